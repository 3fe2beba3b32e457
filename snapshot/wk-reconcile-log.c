/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-log.c — reconciliation's audit trail and discrepancy report sign-offs. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-reconcile-log.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

/**
 * wk_reconcile_event_free:
 * @event: (nullable) (transfer full): a #WkReconcileEvent
 */
void
wk_reconcile_event_free (WkReconcileEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->who);
  g_free (event->action);
  g_free (event->chart_id);
  g_free (event->detail);
  g_free (event);
}

/**
 * wk_reconcile_log_add:
 * @model: a #WkModel
 * @at: when (UTC seconds)
 * @who: who did it
 * @action: what: `scan`, `scan-again`, `enter`, `amend`, `sign-off`, `export`, `re-export`
 * @chart_id: (nullable): the chart concerned
 * @entry_id: the paper entry concerned, 0 for none
 * @detail: (nullable): what, in words; model ids and chart ids only, never a patient's
 *   identifiers
 * @error: return location for a #GError
 *
 * Adds a line to the audit trail (in the caller's transaction, when there is one).
 *
 * Returns: %TRUE on success
 */
gboolean
wk_reconcile_log_add (WkModel    *model,
                      gint64      at,
                      const char *who,
                      const char *action,
                      const char *chart_id,
                      gint64      entry_id,
                      const char *detail,
                      GError    **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  if (_wk_text_is_blank (who))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Reconciliation needs to know who is doing it: give your name");
      return FALSE;
    }
  stmt = _wk_model_prepare (model,
                            "INSERT INTO reconcile_audit (at, who, action, chart_id, entry_id, "
                            "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, at);
  sqlite3_bind_text (stmt, 2, who, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, action, -1, SQLITE_TRANSIENT);
  _wk_stmt_bind_text (stmt, 4, chart_id);
  _wk_stmt_bind_time (stmt, 5, entry_id);
  _wk_stmt_bind_text (stmt, 6, detail);
  if (!_wk_model_step_done (model, stmt, "Cannot add to the reconciliation audit trail", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_reconcile_log_load:
 * @model: a #WkModel
 * @chart_id: (nullable): one chart's lines, or %NULL for all
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkReconcileEvent): the audit trail, oldest first
 */
GPtrArray *
wk_reconcile_log_load (WkModel *model, const char *chart_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) list
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_reconcile_event_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT id, at, who, action, chart_id, entry_id, detail FROM "
                            "reconcile_audit WHERE ?1 IS NULL OR chart_id = ?1 ORDER BY id",
                            error);
  if (stmt == NULL)
    return NULL;
  _wk_stmt_bind_text (stmt, 1, chart_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WkReconcileEvent *event = g_new0 (WkReconcileEvent, 1);

      event->id = sqlite3_column_int64 (stmt, 0);
      event->at = sqlite3_column_int64 (stmt, 1);
      event->who = _wk_stmt_dup_text (stmt, 2);
      event->action = _wk_stmt_dup_text (stmt, 3);
      event->chart_id = _wk_stmt_dup_text (stmt, 4);
      event->entry_id = sqlite3_column_int64 (stmt, 5);
      event->detail = _wk_stmt_dup_text (stmt, 6);
      g_ptr_array_add (list, event);
    }
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the reconciliation audit trail");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/**
 * wk_signoff_free:
 * @signoff: (nullable) (transfer full): a #WkSignoff
 */
void
wk_signoff_free (WkSignoff *signoff)
{
  if (signoff == NULL)
    return;
  g_free (signoff->episode_id);
  g_free (signoff->signed_by);
  g_free (signoff->digest);
  g_free (signoff->note);
  g_free (signoff);
}

/**
 * wk_signoff_insert:
 * @model: a #WkModel
 * @signoff: the sign-off; its @id is set on success
 * @error: return location for a #GError
 *
 * Records a discrepancy report signed off, and audits it.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_signoff_insert (WkModel *model, WkSignoff *signoff, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autofree char *detail = NULL;
  gboolean         ok;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (signoff != NULL && signoff->episode_id != NULL, FALSE);

  if (_wk_text_is_blank (signoff->signed_by))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "A sign-off needs the name of the pharmacist signing");
      return FALSE;
    }
  if (!wk_model_begin (model, error))
    return FALSE;
  stmt = _wk_model_prepare (model,
                            "INSERT INTO reconcile_signoff (episode_id, signed_by, signed_at, "
                            "digest, findings, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, signoff->episode_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, signoff->signed_by, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, signoff->signed_at);
      _wk_stmt_bind_text (stmt, 4, signoff->digest);
      sqlite3_bind_int (stmt, 5, signoff->findings);
      _wk_stmt_bind_text (stmt, 6, signoff->note);
      ok = _wk_model_step_done (model, stmt, "Cannot record the sign-off", error);
    }
  if (ok)
    {
      signoff->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
      detail = g_strdup_printf ("discrepancy report of episode %s signed off, %u findings, "
                                "digest %.16s",
                                *signoff->episode_id != '\0' ? signoff->episode_id : "(none)",
                                signoff->findings, signoff->digest);
      ok = wk_reconcile_log_add (model, signoff->signed_at, signoff->signed_by, "sign-off", NULL, 0,
                                 detail, error);
    }
  return _wk_model_end (model, ok, error);
}

/**
 * wk_signoff_load_latest:
 * @model: a #WkModel
 * @episode_id: the episode, "" for charts outside any episode
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the newest sign-off of the episode's report, or
 *   %NULL when there is none (with @error unset) or on failure (with @error set)
 */
WkSignoff *
wk_signoff_load_latest (WkModel *model, const char *episode_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  WkSignoff *signoff;
  int        rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (episode_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT id, episode_id, signed_by, signed_at, digest, findings, note "
                            "FROM reconcile_signoff WHERE episode_id = ?1 "
                            "ORDER BY signed_at DESC, id DESC LIMIT 1",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, episode_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc != SQLITE_DONE)
        _wk_model_set_error (model, error, "Cannot read the report's sign-off");
      return NULL;
    }
  signoff = g_new0 (WkSignoff, 1);
  signoff->id = sqlite3_column_int64 (stmt, 0);
  signoff->episode_id = _wk_stmt_dup_text (stmt, 1);
  signoff->signed_by = _wk_stmt_dup_text (stmt, 2);
  signoff->signed_at = sqlite3_column_int64 (stmt, 3);
  signoff->digest = _wk_stmt_dup_text (stmt, 4);
  signoff->findings = sqlite3_column_int (stmt, 5);
  signoff->note = _wk_stmt_dup_text (stmt, 6);
  return signoff;
}
