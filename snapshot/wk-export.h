/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-export.h — the whole ward model as JSON, for IT recovery, drills and reconciliation. */

#pragma once

#include "wk-model.h"
#include "wk-store.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/** The version of the export's layout ("format_version" in the JSON). */
#define WK_EXPORT_FORMAT_VERSION 1

gboolean wk_export_model_json (WkModel              *model,
                               const WkSnapshotInfo *info,
                               GOutputStream        *out,
                               GCancellable         *cancellable,
                               GError              **error);

G_END_DECLS
