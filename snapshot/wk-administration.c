/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-administration.c — a dose given, or not given, against an order. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-administration.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#include <math.h>

static const WkEnumNick source_nicks[] = {
  { WK_ADMINISTRATION_FROM_FEED, "feed" },
  { WK_ADMINISTRATION_FROM_PAPER, "paper" },
  { 0, NULL },
};

#define ADMINISTRATION_COLUMNS                                                                     \
  "id, placer_id, order_version, at, given, dose, dose_unit, reason, by_whom, source, "            \
  "external_id "

/**
 * wk_administration_new:
 * @placer_id: the order
 * @order_version: its version
 *
 * Returns: (transfer full): a new #WkAdministration from the feed
 */
WkAdministration *
wk_administration_new (const char *placer_id, int order_version)
{
  WkAdministration *administration = g_new0 (WkAdministration, 1);

  administration->placer_id = g_strdup (placer_id);
  administration->order_version = order_version;
  return administration;
}

/**
 * wk_administration_free:
 * @administration: (nullable) (transfer full): a #WkAdministration
 */
void
wk_administration_free (WkAdministration *administration)
{
  if (administration == NULL)
    return;
  g_free (administration->placer_id);
  g_free (administration->dose_unit);
  g_free (administration->reason);
  g_free (administration->by_whom);
  g_free (administration->external_id);
  g_free (administration);
}

/**
 * wk_administration_insert:
 * @model: a #WkModel
 * @administration: the record; its @id is set on success
 * @error: return location for a #GError
 *
 * Records a dose given or not given against an order version in the model. A given
 * dose needs a dose; one not given needs a reason; an @external_id seen before is
 * refused with %WK_SNAPSHOT_ERROR_CONSTRAINT.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_administration_insert (WkModel *model, WkAdministration *administration, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  const char *problem = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (administration != NULL, FALSE);

  if (_wk_text_is_blank (administration->placer_id))
    problem = "it names no order";
  else if (administration->at <= 0)
    problem = "it has no time";
  else if (administration->given && !(administration->dose > 0 && isfinite (administration->dose)))
    problem = "a given dose needs a dose above 0";
  else if (!administration->given && administration->dose != 0)
    problem = "a dose not given has no dose";
  else if (!administration->given && _wk_text_is_blank (administration->reason))
    problem = "a dose not given needs a reason";
  else if (wk_administration_source_to_string (administration->source) == NULL)
    problem = "its source is not a known value";
  if (problem != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An administration of order %s is not valid: %s",
                   administration->placer_id != NULL ? administration->placer_id : "(none)",
                   problem);
      return FALSE;
    }

  stmt = _wk_model_prepare (model,
                            "INSERT INTO administration (placer_id, order_version, at, given, "
                            "dose, dose_unit, reason, by_whom, source, external_id) VALUES (?1, "
                            "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, administration->placer_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, administration->order_version);
  sqlite3_bind_int64 (stmt, 3, administration->at);
  sqlite3_bind_int (stmt, 4, administration->given ? 1 : 0);
  _wk_stmt_bind_double (stmt, 5, administration->dose);
  _wk_stmt_bind_text_static (stmt, 6, administration->dose_unit);
  _wk_stmt_bind_text_static (stmt, 7, administration->reason);
  _wk_stmt_bind_text_static (stmt, 8, administration->by_whom);
  sqlite3_bind_text (stmt, 9, wk_administration_source_to_string (administration->source), -1,
                     SQLITE_STATIC);
  _wk_stmt_bind_text_static (stmt, 10, administration->external_id);
  if (!_wk_model_step_done (model, stmt, "Cannot record the administration", error))
    return FALSE;
  administration->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
  _wk_model_touch (model);
  return TRUE;
}

static WkAdministration *
administration_from_row (sqlite3_stmt *stmt)
{
  WkAdministration *administration = wk_administration_new (
      (const char *)sqlite3_column_text (stmt, 1), sqlite3_column_int (stmt, 2));
  int value;

  administration->id = sqlite3_column_int64 (stmt, 0);
  administration->at = _wk_stmt_get_time (stmt, 3);
  administration->given = sqlite3_column_int (stmt, 4) != 0;
  administration->dose = _wk_stmt_get_double (stmt, 5);
  administration->dose_unit = _wk_stmt_dup_text (stmt, 6);
  administration->reason = _wk_stmt_dup_text (stmt, 7);
  administration->by_whom = _wk_stmt_dup_text (stmt, 8);
  if (_wk_enum_from_nick (source_nicks, (const char *)sqlite3_column_text (stmt, 9), &value))
    administration->source = value;
  administration->external_id = _wk_stmt_dup_text (stmt, 10);
  return administration;
}

/* The one record @sql (a cached literal with ?1 = @key) finds: NULL with @error unset when
 * there is none. */
static WkAdministration *
load_one (WkModel *model, const char *sql, const char *key, const char *what, GError **error)
{
  g_auto (WkModelStmt) stmt = _wk_model_prepare (model, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return administration_from_row (stmt);
  if (rc != SQLITE_DONE)
    _wk_model_set_error (model, error, what);
  return NULL;
}

/**
 * wk_administration_load_for_order:
 * @model: a #WkModel
 * @placer_id: the order
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkAdministration): every record against any
 *   version of the order, oldest first
 */
GPtrArray *
wk_administration_load_for_order (WkModel *model, const char *placer_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) list
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_administration_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (placer_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " ADMINISTRATION_COLUMNS "FROM administration "
                            "WHERE placer_id = ?1 ORDER BY at, id",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, placer_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, administration_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the order's administrations");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/**
 * wk_administration_load_last_given:
 * @model: a #WkModel
 * @placer_id: the order
 * @error: return location for a #GError
 *
 * Finds the last dose actually given against an order, for "last given" on the chart.
 *
 * Returns: (transfer full) (nullable): the record, or %NULL when none was given (with
 *   @error unset) or on failure (with @error set)
 */
WkAdministration *
wk_administration_load_last_given (WkModel *model, const char *placer_id, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (placer_id != NULL, NULL);

  return load_one (model,
                   "SELECT " ADMINISTRATION_COLUMNS "FROM administration "
                   "WHERE placer_id = ?1 AND given = 1 ORDER BY at DESC, id DESC LIMIT 1",
                   placer_id, "Cannot find the order's last dose", error);
}

/**
 * wk_administration_load_by_external_id:
 * @model: a #WkModel
 * @external_id: the record's external id (see #WkAdministration)
 * @error: return location for a #GError
 *
 * Finds a record by its external id, in one indexed lookup: whether a dose sent again
 * is already recorded.
 *
 * Returns: (transfer full) (nullable): the record, or %NULL when there is none (with
 *   @error unset) or on failure (with @error set)
 */
WkAdministration *
wk_administration_load_by_external_id (WkModel *model, const char *external_id, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (external_id != NULL, NULL);

  return load_one (model,
                   "SELECT " ADMINISTRATION_COLUMNS "FROM administration WHERE external_id = ?1",
                   external_id, "Cannot look up an administration", error);
}

/**
 * wk_administration_source_to_string:
 * @source: a #WkAdministrationSource
 *
 * Returns: (nullable): its stable name ("feed", "paper"), %NULL when not a value
 */
const char *
wk_administration_source_to_string (WkAdministrationSource source)
{
  return _wk_enum_to_nick (source_nicks, source);
}
