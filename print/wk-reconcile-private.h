/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-private.h — what reconciliation's files share inside libwk-print. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/* A downtime episode, from the chart ledger. */
typedef struct
{
  char    *id;
  char    *kind;
  gint64   started_at;
  gint64   ended_at; /* 0 while it lasts */
  gboolean drill;
} WkReconcileEpisode;

/* A drug chart the ledger says was printed. */
typedef struct
{
  char  *chart_id;
  gint64 patient_id;
  guint  n_pages;
  gint64 printed_at;
  char  *episode_id;
} WkReconcilePrinted;

void _wk_reconcile_episode_free (gpointer episode);
void _wk_reconcile_printed_free (gpointer printed);

/* The ledger, as reconciliation reads it (wk-reconcile-ledger.c). */
GPtrArray *_wk_reconcile_ledger_episodes (WkModel *model, GError **error);
GPtrArray *_wk_reconcile_ledger_charts (WkModel *model, const char *episode_id, GError **error);
WkReconcilePrinted          *
_wk_reconcile_ledger_find_chart (WkModel *model, const char *chart_id, GError **error);
gboolean _wk_reconcile_ledger_add_printed_orders (WkModel    *model,
                                                  const char *chart_id,
                                                  GHashTable *placers,
                                                  GError    **error);

G_END_DECLS
