/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-report.h — the discrepancy report as a PDF a pharmacist can sign off. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

GBytes *wk_reconcile_report_render (JsonObject *report, const char *zone_name, GError **error);

G_END_DECLS
