/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-paper-chart.c — printed charts whose pages came back after a downtime, page by page. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-paper-chart.h"

#include "wk-model-private.h"
#include "wk-reconcile-log.h"
#include "wk-snapshot-error.h"

#include <string.h>

#define CHART_COLUMNS                                                                              \
  "chart_id, patient_id, nhs_number, hospital_number, ward_id, snapshot_seq, snapshot_at, "        \
  "printed_at, utc_offset_min, key_id, n_pages, episode_id, outside_ledger, first_scanned_at "

#define ORDER_COLUMNS                                                                              \
  "page, placer_id, version, kind, status, dmd_code, drug, drug_cut, dose, dose_max, dose_unit, "  \
  "route, admin_times, min_interval_min, prn_max_24h, start_at, stop_at, status_at, "              \
  "last_given_at "

/**
 * wk_paper_order_new:
 *
 * Returns: (transfer full): an empty #WkPaperOrder
 */
WkPaperOrder *
wk_paper_order_new (void)
{
  return g_new0 (WkPaperOrder, 1);
}

/**
 * wk_paper_order_free:
 * @order: (nullable) (transfer full): a #WkPaperOrder
 */
void
wk_paper_order_free (WkPaperOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->placer_id);
  g_free (order->dmd_code);
  g_free (order->drug);
  g_free (order->dose_unit);
  g_free (order->route);
  g_free (order->admin_times);
  g_free (order);
}

/**
 * wk_paper_chart_new:
 *
 * Returns: (transfer full): an empty #WkPaperChart
 */
WkPaperChart *
wk_paper_chart_new (void)
{
  return g_new0 (WkPaperChart, 1);
}

/**
 * wk_paper_chart_free:
 * @chart: (nullable) (transfer full): a #WkPaperChart
 */
void
wk_paper_chart_free (WkPaperChart *chart)
{
  if (chart == NULL)
    return;
  g_free (chart->chart_id);
  g_free (chart->nhs_number);
  g_free (chart->hospital_number);
  g_free (chart->ward_id);
  g_free (chart->key_id);
  g_free (chart->episode_id);
  g_free (chart);
}

/**
 * wk_paper_page_free:
 * @page: (nullable) (transfer full): a #WkPaperPage
 */
void
wk_paper_page_free (WkPaperPage *page)
{
  if (page == NULL)
    return;
  g_free (page->chart_id);
  g_free (page->payload);
  g_free (page->scanned_by);
  g_free (page);
}

static WkPaperChart *
chart_from_row (sqlite3_stmt *stmt)
{
  WkPaperChart *chart = wk_paper_chart_new ();

  chart->chart_id = _wk_stmt_dup_text (stmt, 0);
  chart->patient_id = sqlite3_column_int64 (stmt, 1);
  chart->nhs_number = _wk_stmt_dup_text (stmt, 2);
  chart->hospital_number = _wk_stmt_dup_text (stmt, 3);
  chart->ward_id = _wk_stmt_dup_text (stmt, 4);
  chart->snapshot_seq = (guint64)sqlite3_column_int64 (stmt, 5);
  chart->snapshot_at = sqlite3_column_int64 (stmt, 6);
  chart->printed_at = sqlite3_column_int64 (stmt, 7);
  chart->utc_offset_min = sqlite3_column_int (stmt, 8);
  chart->key_id = _wk_stmt_dup_text (stmt, 9);
  chart->n_pages = sqlite3_column_int (stmt, 10);
  chart->episode_id = _wk_stmt_dup_text (stmt, 11);
  chart->outside_ledger = sqlite3_column_int (stmt, 12) != 0;
  chart->first_scanned_at = sqlite3_column_int64 (stmt, 13);
  return chart;
}

/**
 * wk_paper_chart_load:
 * @model: a #WkModel
 * @chart_id: a chart id
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the chart, or %NULL when none of its pages came
 *   back (with @error unset) or on failure (with @error set)
 */
WkPaperChart *
wk_paper_chart_load (WkModel *model, const char *chart_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (chart_id != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " CHART_COLUMNS "FROM paper_chart WHERE chart_id = ?1",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return chart_from_row (stmt);
  if (rc != SQLITE_DONE)
    _wk_model_set_error (model, error, "Cannot read a returned chart");
  return NULL;
}

/**
 * wk_paper_chart_load_all:
 * @model: a #WkModel
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPaperChart): every chart with a page back,
 *   in printing order
 */
GPtrArray *
wk_paper_chart_load_all (WkModel *model, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_chart_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (
      model, "SELECT " CHART_COLUMNS "FROM paper_chart ORDER BY printed_at, chart_id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, chart_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the returned charts");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/**
 * wk_paper_chart_load_pages:
 * @model: a #WkModel
 * @chart_id: a chart id
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPaperPage): the chart's pages that came back,
 *   in page order
 */
GPtrArray *
wk_paper_chart_load_pages (WkModel *model, const char *chart_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_page_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (chart_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT chart_id, page, payload, scans, first_scanned_at, "
                            "last_scanned_at, scanned_by FROM paper_page WHERE chart_id = ?1 "
                            "ORDER BY page",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WkPaperPage *page = g_new0 (WkPaperPage, 1);

      page->chart_id = _wk_stmt_dup_text (stmt, 0);
      page->page = sqlite3_column_int (stmt, 1);
      page->payload = _wk_stmt_dup_text (stmt, 2);
      page->scans = sqlite3_column_int (stmt, 3);
      page->first_scanned_at = sqlite3_column_int64 (stmt, 4);
      page->last_scanned_at = sqlite3_column_int64 (stmt, 5);
      page->scanned_by = _wk_stmt_dup_text (stmt, 6);
      g_ptr_array_add (list, page);
    }
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list a chart's returned pages");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/**
 * wk_paper_chart_load_orders:
 * @model: a #WkModel
 * @chart_id: a chart id
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPaperOrder): the orders the chart's returned
 *   pages printed, page by page in print order
 */
GPtrArray *
wk_paper_chart_load_orders (WkModel *model, const char *chart_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_order_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (chart_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " ORDER_COLUMNS "FROM paper_order WHERE chart_id = ?1 "
                            "ORDER BY page, position",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WkPaperOrder *order = wk_paper_order_new ();

      order->page = sqlite3_column_int (stmt, 0);
      order->placer_id = _wk_stmt_dup_text (stmt, 1);
      order->version = sqlite3_column_int (stmt, 2);
      wk_order_kind_from_string ((const char *)sqlite3_column_text (stmt, 3), &order->kind);
      wk_order_status_from_string ((const char *)sqlite3_column_text (stmt, 4), &order->status);
      order->dmd_code = _wk_stmt_dup_text (stmt, 5);
      order->drug = _wk_stmt_dup_text (stmt, 6);
      order->drug_cut = sqlite3_column_int (stmt, 7) != 0;
      order->dose = _wk_stmt_get_double (stmt, 8);
      order->dose_max = _wk_stmt_get_double (stmt, 9);
      order->dose_unit = _wk_stmt_dup_text (stmt, 10);
      order->route = _wk_stmt_dup_text (stmt, 11);
      order->admin_times = _wk_stmt_dup_text (stmt, 12);
      order->min_interval_min = sqlite3_column_int (stmt, 13);
      order->prn_max_24h = _wk_stmt_get_double (stmt, 14);
      order->start_at = sqlite3_column_int64 (stmt, 15);
      order->stop_at = sqlite3_column_int64 (stmt, 16);
      order->status_at = sqlite3_column_int64 (stmt, 17);
      order->last_given_at = sqlite3_column_int64 (stmt, 18);
      g_ptr_array_add (list, order);
    }
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the orders of a returned chart");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/* Whether a page's header says the same chart as the one recorded: same patient,
 * snapshot, printing, key and number of pages. */
static const char *
header_difference (const WkPaperChart *known, const WkPaperChart *chart)
{
  if (g_strcmp0 (known->nhs_number, chart->nhs_number) != 0
      || g_strcmp0 (known->hospital_number, chart->hospital_number) != 0)
    return "another patient";
  if (known->snapshot_seq != chart->snapshot_seq || known->snapshot_at != chart->snapshot_at)
    return "another snapshot";
  if (known->printed_at != chart->printed_at)
    return "another printing time";
  if (known->n_pages != chart->n_pages)
    return "another number of pages";
  if (g_strcmp0 (known->key_id, chart->key_id) != 0)
    return "another kiosk key";
  if (g_strcmp0 (known->ward_id, chart->ward_id) != 0)
    return "another ward";
  return NULL;
}

static gboolean
insert_chart (WkModel *model, const WkPaperChart *chart, gint64 at, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  stmt
      = _wk_model_prepare (model,
                           "INSERT INTO paper_chart (" CHART_COLUMNS
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, chart->chart_id, -1, SQLITE_TRANSIENT);
  if (chart->patient_id > 0)
    sqlite3_bind_int64 (stmt, 2, chart->patient_id);
  _wk_stmt_bind_text (stmt, 3, chart->nhs_number);
  _wk_stmt_bind_text (stmt, 4, chart->hospital_number);
  _wk_stmt_bind_text (stmt, 5, chart->ward_id);
  sqlite3_bind_int64 (stmt, 6, (sqlite3_int64)chart->snapshot_seq);
  sqlite3_bind_int64 (stmt, 7, chart->snapshot_at);
  sqlite3_bind_int64 (stmt, 8, chart->printed_at);
  sqlite3_bind_int (stmt, 9, chart->utc_offset_min);
  _wk_stmt_bind_text (stmt, 10, chart->key_id);
  sqlite3_bind_int (stmt, 11, chart->n_pages);
  _wk_stmt_bind_text (stmt, 12, chart->episode_id);
  sqlite3_bind_int (stmt, 13, chart->outside_ledger ? 1 : 0);
  sqlite3_bind_int64 (stmt, 14, at);
  return _wk_model_step_done (model, stmt, "Cannot record the returned chart", error);
}

static gboolean
insert_order (WkModel            *model,
              const char         *chart_id,
              guint               page,
              guint               position,
              const WkPaperOrder *order,
              GError            **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  stmt = _wk_model_prepare (model,
                            "INSERT INTO paper_order (chart_id, position, " ORDER_COLUMNS
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                            "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, position);
  sqlite3_bind_int (stmt, 3, page);
  sqlite3_bind_text (stmt, 4, order->placer_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 5, order->version);
  sqlite3_bind_text (stmt, 6, wk_order_kind_to_string (order->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, wk_order_status_to_string (order->status), -1, SQLITE_STATIC);
  _wk_stmt_bind_text (stmt, 8, order->dmd_code);
  sqlite3_bind_text (stmt, 9, order->drug != NULL ? order->drug : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 10, order->drug_cut ? 1 : 0);
  sqlite3_bind_double (stmt, 11, order->dose);
  _wk_stmt_bind_double (stmt, 12, order->dose_max);
  sqlite3_bind_text (stmt, 13, order->dose_unit != NULL ? order->dose_unit : "", -1,
                     SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 14, order->route != NULL ? order->route : "", -1, SQLITE_TRANSIENT);
  _wk_stmt_bind_text (stmt, 15, order->admin_times);
  if (order->min_interval_min > 0)
    sqlite3_bind_int (stmt, 16, order->min_interval_min);
  _wk_stmt_bind_double (stmt, 17, order->prn_max_24h);
  sqlite3_bind_int64 (stmt, 18, order->start_at);
  _wk_stmt_bind_time (stmt, 19, order->stop_at);
  _wk_stmt_bind_time (stmt, 20, order->status_at);
  _wk_stmt_bind_time (stmt, 21, order->last_given_at);
  return _wk_model_step_done (model, stmt, "Cannot record an order of a returned page", error);
}

/* The page as recorded: its payload and scans, or FALSE in @found. */
static gboolean
find_page (WkModel    *model,
           const char *chart_id,
           guint       page,
           gboolean   *found,
           char      **payload,
           GError    **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  stmt = _wk_model_prepare (
      model, "SELECT payload FROM paper_page WHERE chart_id = ?1 AND page = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, page);
  rc = sqlite3_step (stmt);
  *found = rc == SQLITE_ROW;
  if (*found)
    *payload = _wk_stmt_dup_text (stmt, 0);
  else if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read a returned page");
      return FALSE;
    }
  return TRUE;
}

static gboolean
record_page (WkModel            *model,
             const WkPaperChart *chart,
             guint               page,
             const char         *payload,
             GPtrArray          *orders,
             gint64              at,
             const char         *who,
             guint              *scans,
             GError            **error)
{
  g_autoptr (WkPaperChart) known = NULL;
  g_autofree char *known_payload = NULL;
  g_autofree char *detail = NULL;
  g_auto (WkModelStmt) stmt = NULL;
  GError  *local_error = NULL;
  gboolean found = FALSE;

  known = wk_paper_chart_load (model, chart->chart_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (known != NULL)
    {
      const char *difference = header_difference (known, chart);

      /* One id, two different charts: never merge them. */
      if (difference != NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "Page %u of chart %s does not belong with the pages of that chart already "
                       "scanned (it is for %s); keep it aside and report it to IT",
                       page, chart->chart_id, difference);
          return FALSE;
        }
    }
  else if (!insert_chart (model, chart, at, error))
    return FALSE;

  if (!find_page (model, chart->chart_id, page, &found, &known_payload, error))
    return FALSE;
  if (found && strcmp (known_payload, payload) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Page %u of chart %s was already scanned with different content; keep this "
                   "sheet aside and report it to IT",
                   page, chart->chart_id);
      return FALSE;
    }
  if (found)
    {
      stmt = _wk_model_prepare (model,
                                "UPDATE paper_page SET scans = scans + 1, last_scanned_at = ?3 "
                                "WHERE chart_id = ?1 AND page = ?2 RETURNING scans",
                                error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, chart->chart_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 2, page);
      sqlite3_bind_int64 (stmt, 3, at);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        {
          _wk_model_set_error (model, error, "Cannot record the page scanned again");
          return FALSE;
        }
      *scans = sqlite3_column_int (stmt, 0);
      sqlite3_reset (stmt);
      detail = g_strdup_printf ("page %u of %u scanned again (%u times)", page, chart->n_pages,
                                *scans);
      return wk_reconcile_log_add (model, at, who, "scan-again", chart->chart_id, 0, detail, error);
    }

  stmt = _wk_model_prepare (model,
                            "INSERT INTO paper_page (chart_id, page, payload, first_scanned_at, "
                            "last_scanned_at, scanned_by) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, chart->chart_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, page);
  sqlite3_bind_text (stmt, 3, payload, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, at);
  _wk_stmt_bind_text (stmt, 5, who);
  if (!_wk_model_step_done (model, stmt, "Cannot record the returned page", error))
    return FALSE;
  for (guint i = 0; orders != NULL && i < orders->len; i++)
    if (!insert_order (model, chart->chart_id, page, i, orders->pdata[i], error))
      return FALSE;
  *scans = 1;
  detail = g_strdup_printf ("page %u of %u returned%s", page, chart->n_pages,
                            chart->outside_ledger ? " (printed outside the daemon)" : "");
  return wk_reconcile_log_add (model, at, who, "scan", chart->chart_id, 0, detail, error);
}

/**
 * wk_paper_chart_record_page:
 * @model: a #WkModel
 * @chart: the chart, as the page's verified code describes it (its @patient_id,
 *   @episode_id and @outside_ledger filled in by the caller)
 * @page: the page, from 1 to the chart's pages
 * @payload: the text of the page's code
 * @orders: (element-type WkPaperOrder) (nullable): the orders the page printed
 * @at: when it was scanned (UTC seconds)
 * @who: who scanned it
 * @scans: (out): how many times the page has now been scanned (more than 1: returned
 *   twice)
 * @error: return location for a #GError
 *
 * Marks a page as returned, recording its chart the first time one of its pages comes
 * back, and audits it. A page scanned again counts another return. A page whose chart
 * id is known with another header, or scanned before with another content, is refused
 * with %WK_SNAPSHOT_ERROR_CONSTRAINT: two sheets claim to be the same page.
 *
 * Returns: %TRUE when recorded
 */
gboolean
wk_paper_chart_record_page (WkModel            *model,
                            const WkPaperChart *chart,
                            guint               page,
                            const char         *payload,
                            GPtrArray          *orders,
                            gint64              at,
                            const char         *who,
                            guint              *scans,
                            GError            **error)
{
  guint count = 0;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (chart != NULL && chart->chart_id != NULL, FALSE);
  g_return_val_if_fail (payload != NULL, FALSE);
  g_return_val_if_fail (who != NULL, FALSE);

  if (page < 1 || page > chart->n_pages)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Page %u of chart %s is outside its %u pages", page, chart->chart_id,
                   chart->n_pages);
      return FALSE;
    }
  if (!wk_model_begin (model, error))
    return FALSE;
  _wk_model_touch (model);
  if (!_wk_model_end (
          model, record_page (model, chart, page, payload, orders, at, who, &count, error), error))
    return FALSE;
  if (scans != NULL)
    *scans = count;
  return TRUE;
}
