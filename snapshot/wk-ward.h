/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-ward.h — a ward in the model. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/**
 * WkWard:
 * @id: the ward's code as the feed spells it in PV1-3.1 (e.g. "7A")
 * @name: the name staff use ("Ward 7A — Acute Medicine")
 */
typedef struct
{
  char *id;
  char *name;
} WkWard;

WkWard    *wk_ward_new (const char *id, const char *name);
void       wk_ward_free (WkWard *ward);
gboolean   wk_ward_insert (WkModel *model, const WkWard *ward, GError **error);
gboolean   wk_ward_ensure (WkModel *model, const char *id, const char *name, GError **error);
WkWard    *wk_ward_load (WkModel *model, const char *id, GError **error);
GPtrArray *wk_ward_load_all (WkModel *model, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkWard, wk_ward_free)

G_END_DECLS
