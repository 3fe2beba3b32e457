/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-ledger.c — the print ledger (episodes, charts printed) as reconciliation
 * reads it: real episodes and drill episodes told apart, and only drug charts that
 * reached a printer. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-ledger.h"
#include "wk-reconcile-private.h"
#include "wk-snapshot-error.h"

void
_wk_reconcile_episode_free (gpointer data)
{
  WkReconcileEpisode *episode = data;

  g_free (episode->id);
  g_free (episode->kind);
  g_free (episode);
}

void
_wk_reconcile_printed_free (gpointer data)
{
  WkReconcilePrinted *printed = data;

  g_free (printed->chart_id);
  g_free (printed->episode_id);
  g_free (printed);
}

/* Every episode, oldest first. */
GPtrArray *
_wk_reconcile_ledger_episodes (WkModel *model, GError **error)
{
  g_autoptr (GPtrArray) rows = wk_ledger_load_episodes (model, error);
  GPtrArray *episodes;

  if (rows == NULL)
    return NULL;
  episodes = g_ptr_array_new_with_free_func (_wk_reconcile_episode_free);
  for (guint i = rows->len; i > 0; i--)
    {
      const WkLedgerEpisode *row = rows->pdata[i - 1];
      WkReconcileEpisode    *episode = g_new0 (WkReconcileEpisode, 1);

      episode->id = g_strdup (row->id);
      episode->kind = g_strdup (wk_episode_kind_to_string (row->kind));
      episode->started_at = row->started_at;
      episode->ended_at = row->ended_at;
      episode->drill = row->kind == WK_EPISODE_DRILL;
      g_ptr_array_add (episodes, episode);
    }
  return episodes;
}

/* A drug chart that went to a printer: sent or printed. Queued and given-up documents
 * never reached paper. */
static WkReconcilePrinted *
printed_from (const WkLedgerDocument *document)
{
  WkReconcilePrinted *printed;

  if (document->kind != WK_LEDGER_DOCUMENT_CHART || document->drill
      || (document->state != WK_LEDGER_DOCUMENT_SENT
          && document->state != WK_LEDGER_DOCUMENT_PRINTED))
    return NULL;
  printed = g_new0 (WkReconcilePrinted, 1);
  printed->chart_id = g_strdup (document->chart_id);
  printed->patient_id = document->patient_id;
  printed->n_pages = document->n_pages;
  printed->printed_at = document->printed_at;
  printed->episode_id = g_strdup (document->episode_id);
  return printed;
}

/* The drug charts (not census pages, not drill charts) printed in an episode. */
GPtrArray *
_wk_reconcile_ledger_charts (WkModel *model, const char *episode_id, GError **error)
{
  g_autoptr (GPtrArray) rows = wk_ledger_load_documents (model, NULL, episode_id, error);
  GPtrArray *charts;

  if (rows == NULL)
    return NULL;
  charts = g_ptr_array_new_with_free_func (_wk_reconcile_printed_free);
  for (guint i = 0; i < rows->len; i++)
    {
      WkReconcilePrinted *printed = printed_from (rows->pdata[i]);

      if (printed != NULL)
        g_ptr_array_add (charts, printed);
    }
  return charts;
}

/* A chart the daemon sent to a printer, or NULL (with @error unset) when the ledger does
 * not have it. */
WkReconcilePrinted *
_wk_reconcile_ledger_find_chart (WkModel *model, const char *chart_id, GError **error)
{
  GError *local_error = NULL;
  g_autoptr (WkLedgerDocument) document = wk_ledger_load_document (model, chart_id, &local_error);

  if (document == NULL)
    {
      if (g_error_matches (local_error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND))
        g_clear_error (&local_error);
      else
        g_propagate_error (error, local_error);
      return NULL;
    }
  return printed_from (document);
}

/* Adds to @placers (a set of placer ids) every order the ledger says a chart printed, on
 * any of its pages; nothing for a chart not in the ledger. */
gboolean
_wk_reconcile_ledger_add_printed_orders (WkModel    *model,
                                         const char *chart_id,
                                         GHashTable *placers,
                                         GError    **error)
{
  GError *local_error = NULL;
  g_autoptr (WkLedgerDocument) document = wk_ledger_load_document (model, chart_id, &local_error);

  if (document == NULL)
    {
      if (!g_error_matches (local_error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);
      return TRUE;
    }
  for (guint p = 0; document->pages != NULL && p < document->pages->len; p++)
    {
      const WkLedgerPage *page = document->pages->pdata[p];

      for (guint i = 0; page->orders != NULL && i < page->orders->len; i++)
        g_hash_table_add (placers,
                          g_strdup (g_array_index (page->orders, WkLedgerOrderRef, i).placer_id));
    }
  return TRUE;
}
