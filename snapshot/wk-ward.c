/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-ward.c — a ward in the model. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-ward.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#include <string.h>

/**
 * wk_ward_new:
 * @id: the ward's code
 * @name: (nullable): its name; the code when %NULL
 *
 * Returns: (transfer full): a new #WkWard
 */
WkWard *
wk_ward_new (const char *id, const char *name)
{
  WkWard *ward = g_new0 (WkWard, 1);

  ward->id = g_strdup (id);
  ward->name = g_strdup (name != NULL ? name : id);
  return ward;
}

/**
 * wk_ward_free:
 * @ward: (nullable) (transfer full): a #WkWard
 */
void
wk_ward_free (WkWard *ward)
{
  if (ward == NULL)
    return;
  g_free (ward->id);
  g_free (ward->name);
  g_free (ward);
}

static gboolean
check_ward (const WkWard *ward, GError **error)
{
  if (_wk_text_is_blank (ward->id) || strlen (ward->id) > 64)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "A ward needs a code of 1 to 64 characters");
      return FALSE;
    }
  if (_wk_text_is_blank (ward->name))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID, "Ward %s needs a name",
                   ward->id);
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_ward_insert:
 * @model: a #WkModel
 * @ward: the ward to add
 * @error: return location for a #GError
 *
 * Adds a ward; a ward with the same code is refused with %WK_SNAPSHOT_ERROR_CONSTRAINT.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_ward_insert (WkModel *model, const WkWard *ward, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (ward != NULL, FALSE);

  if (!check_ward (ward, error))
    return FALSE;
  stmt = _wk_model_prepare (model, "INSERT INTO ward (id, name) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, ward->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, ward->name, -1, SQLITE_TRANSIENT);
  if (!_wk_model_step_done (model, stmt, "Cannot add the ward", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_ward_ensure:
 * @model: a #WkModel
 * @id: the ward's code
 * @name: (nullable): its name; the code when %NULL
 * @error: return location for a #GError
 *
 * Adds the ward unless the model already has it; an existing ward keeps its name.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_ward_ensure (WkModel *model, const char *id, const char *name, GError **error)
{
  g_autoptr (WkWard) ward = wk_ward_new (id, name);
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);

  if (!check_ward (ward, error))
    return FALSE;
  stmt = _wk_model_prepare (model, "INSERT OR IGNORE INTO ward (id, name) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, ward->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, ward->name, -1, SQLITE_TRANSIENT);
  if (!_wk_model_step_done (model, stmt, "Cannot add the ward", error))
    return FALSE;
  if (sqlite3_changes (_wk_model_get_db (model)) > 0)
    _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_ward_load:
 * @model: a #WkModel
 * @id: the ward's code
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ward, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkWard *
wk_ward_load (WkModel *model, const char *id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT id, name FROM ward WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Ward %s is not in the model", id);
      return NULL;
    }
  return wk_ward_new ((const char *)sqlite3_column_text (stmt, 0),
                      (const char *)sqlite3_column_text (stmt, 1));
}

/**
 * wk_ward_load_all:
 * @model: a #WkModel
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkWard): every ward, in natural order of code
 */
GPtrArray *
wk_ward_load_all (WkModel *model, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) wards = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_ward_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT id, name FROM ward ORDER BY id COLLATE WK_NATURAL",
                            error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (wards, wk_ward_new ((const char *)sqlite3_column_text (stmt, 0),
                                         (const char *)sqlite3_column_text (stmt, 1)));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the wards");
      return NULL;
    }
  return g_steal_pointer (&wards);
}
