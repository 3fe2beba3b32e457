/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-drill-log.c — the record a downtime drill leaves in the ward model: its report.
 *
 * A drill prints like a real downtime and the print ledger records its paper as it goes
 * (its episode, requests, documents, pages and jobs, all marked as a drill's). When the
 * drill ends, its report is computed from those rows and kept here; then the rows go
 * (wk_drill_log_forget_paper()), so that the ledger reconciliation reads is as it was
 * before the drill. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-drill-log.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#define DRILL_COLUMNS                                                                              \
  "id, scenario, ward_id, started_by, stopped_by, started_at, ended_at, ended_how, passed, "       \
  "report "

/**
 * wk_drill_record_free:
 * @record: (nullable) (transfer full): a #WkDrillRecord
 */
void
wk_drill_record_free (WkDrillRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->ward_id);
  g_free (record->started_by);
  g_free (record->stopped_by);
  g_free (record->report);
  g_free (record);
}

static WkDrillRecord *
record_from_row (sqlite3_stmt *stmt)
{
  WkDrillRecord *record = g_new0 (WkDrillRecord, 1);

  record->id = _wk_stmt_dup_text (stmt, 0);
  wk_drill_scenario_from_string ((const char *)sqlite3_column_text (stmt, 1), &record->scenario);
  record->ward_id = _wk_stmt_dup_text (stmt, 2);
  record->started_by = _wk_stmt_dup_text (stmt, 3);
  record->stopped_by = _wk_stmt_dup_text (stmt, 4);
  record->started_at = sqlite3_column_int64 (stmt, 5);
  record->ended_at = sqlite3_column_int64 (stmt, 6);
  record->taken_over = g_strcmp0 ((const char *)sqlite3_column_text (stmt, 7), "taken-over") == 0;
  record->interrupted = g_strcmp0 ((const char *)sqlite3_column_text (stmt, 7), "interrupted") == 0;
  record->passed = sqlite3_column_int (stmt, 8) != 0;
  record->report = _wk_stmt_dup_text (stmt, 9);
  return record;
}

/**
 * wk_drill_log_record:
 * @model: a writable #WkModel
 * @record: the drill, ended
 * @error: return location for a #GError
 *
 * Keeps a drill's record. A record is evidence: the same drill is never recorded twice.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID (no id, scenario or report,
 *   a report that is not JSON) or %WK_SNAPSHOT_ERROR_CONSTRAINT (recorded already)
 */
gboolean
wk_drill_log_record (WkModel *model, const WkDrillRecord *record, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (record->id == NULL || *record->id == '\0' || record->scenario == WK_DRILL_NONE
      || record->report == NULL || record->ward_id == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Cannot keep the drill's record: it needs an id, a scenario, a ward and a "
                   "report");
      return FALSE;
    }
  stmt = _wk_model_prepare (model,
                            "INSERT INTO drill (" DRILL_COLUMNS
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, record->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, wk_drill_scenario_to_string (record->scenario), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, record->ward_id, -1, SQLITE_TRANSIENT);
  _wk_stmt_bind_text (stmt, 4, record->started_by);
  _wk_stmt_bind_text (stmt, 5, record->stopped_by);
  sqlite3_bind_int64 (stmt, 6, record->started_at);
  sqlite3_bind_int64 (stmt, 7, MAX (record->ended_at, record->started_at));
  sqlite3_bind_text (stmt, 8,
                     record->taken_over    ? "taken-over"
                     : record->interrupted ? "interrupted"
                                           : "stopped",
                     -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 9, record->passed ? 1 : 0);
  sqlite3_bind_text (stmt, 10, record->report, -1, SQLITE_TRANSIENT);
  if (!_wk_model_step_done (model, stmt, "Cannot keep the drill's record", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_drill_log_load:
 * @model: a #WkModel
 * @id: a drill's id
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the drill's record, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkDrillRecord *
wk_drill_log_load (WkModel *model, const char *id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " DRILL_COLUMNS "FROM drill WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return record_from_row (stmt);
  if (rc != SQLITE_DONE)
    _wk_model_set_error (model, error, "Cannot read the drill's record");
  else
    g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                 "There is no drill %s (`wardkeep drill history` lists them)", id);
  return NULL;
}

/**
 * wk_drill_log_load_all:
 * @model: a #WkModel
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkDrillRecord): every drill kept, newest first,
 *   or %NULL with @error
 */
GPtrArray *
wk_drill_log_load_all (WkModel *model, GError **error)
{
  g_autoptr (GPtrArray) records
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_drill_record_free);
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (
      model, "SELECT " DRILL_COLUMNS "FROM drill ORDER BY started_at DESC, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the drills");
      return NULL;
    }
  return g_steal_pointer (&records);
}

/**
 * wk_drill_log_forget_paper:
 * @model: a writable #WkModel
 * @episode_id: a drill's episode
 * @error: return location for a #GError
 *
 * Removes a drill's paper from the print ledger — its episode, its requests, their
 * documents, pages and jobs — in one transaction, so that the ledger is as it was before
 * the drill. Only a drill's rows: a real episode is refused.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID (not a drill's episode) or an
 *   error of the model
 */
gboolean
wk_drill_log_forget_paper (WkModel *model, const char *episode_id, GError **error)
{
  static const char *const steps[] = {
    ("DELETE FROM printed_document WHERE request_id IN "
     "(SELECT id FROM print_request WHERE episode_id = ?1 AND drill = 1)"),
    "DELETE FROM print_request WHERE episode_id = ?1 AND drill = 1",
    "DELETE FROM episode WHERE id = ?1 AND kind = 'drill'",
  };
  g_auto (WkModelStmt) check = NULL;
  gboolean ok = TRUE;
  int      rc;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (episode_id != NULL, FALSE);

  check = _wk_model_prepare (model, "SELECT kind FROM episode WHERE id = ?1", error);
  if (check == NULL)
    return FALSE;
  sqlite3_bind_text (check, 1, episode_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (check);
  if (rc == SQLITE_ROW && g_strcmp0 ((const char *)sqlite3_column_text (check, 0), "drill") != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Episode %s is a real downtime: its paper stays in the ledger", episode_id);
      return FALSE;
    }
  sqlite3_reset (check);
  if (!wk_model_begin (model, error))
    return FALSE;
  for (gsize i = 0; ok && i < G_N_ELEMENTS (steps); i++)
    {
      g_auto (WkModelStmt) stmt = _wk_model_prepare (model, steps[i], error);

      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, episode_id, -1, SQLITE_TRANSIENT);
          ok = _wk_model_step_done (model, stmt, "Cannot remove the drill's paper from the ledger",
                                    error);
        }
    }
  if (ok)
    _wk_model_touch (model);
  return _wk_model_end (model, ok, error);
}
