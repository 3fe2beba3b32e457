/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-bed.c — a bed on a ward: empty, occupied or closed. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-bed.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#define BED_COLUMNS                                                                                \
  "b.id, b.ward_id, b.bay, b.bed, b.closed, (SELECT p.id FROM patient p WHERE p.bed_id = b.id) "

/**
 * wk_bed_new:
 * @ward_id: the ward
 * @bay: (nullable): the bay or room, %NULL for none
 * @bed: the bed
 *
 * Returns: (transfer full): a new open #WkBed not yet in any model
 */
WkBed *
wk_bed_new (const char *ward_id, const char *bay, const char *bed)
{
  WkBed *self = g_new0 (WkBed, 1);

  self->ward_id = g_strdup (ward_id);
  self->bay = g_strdup (bay != NULL ? bay : "");
  self->bed = g_strdup (bed);
  return self;
}

/**
 * wk_bed_free:
 * @bed: (nullable) (transfer full): a #WkBed
 */
void
wk_bed_free (WkBed *bed)
{
  if (bed == NULL)
    return;
  g_free (bed->ward_id);
  g_free (bed->bay);
  g_free (bed->bed);
  g_free (bed);
}

static WkBed *
bed_from_row (sqlite3_stmt *stmt)
{
  WkBed *bed = wk_bed_new ((const char *)sqlite3_column_text (stmt, 1),
                           (const char *)sqlite3_column_text (stmt, 2),
                           (const char *)sqlite3_column_text (stmt, 3));

  bed->id = sqlite3_column_int64 (stmt, 0);
  bed->closed = sqlite3_column_int (stmt, 4) != 0;
  bed->patient_id = sqlite3_column_int64 (stmt, 5);
  return bed;
}

/**
 * wk_bed_insert:
 * @model: a #WkModel
 * @bed: the bed to add; its @id is set on success
 * @error: return location for a #GError
 *
 * Adds a bed to a ward already in the model.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_bed_insert (WkModel *model, WkBed *bed, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (bed != NULL, FALSE);

  if (_wk_text_is_blank (bed->bed))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Cannot add a bed without a bed number to ward %s", bed->ward_id);
      return FALSE;
    }
  stmt = _wk_model_prepare (
      model, "INSERT INTO bed (ward_id, bay, bed, closed) VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, bed->ward_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, bed->bay != NULL ? bed->bay : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, bed->bed, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, bed->closed ? 1 : 0);
  if (!_wk_model_step_done (model, stmt, "Cannot add the bed", error))
    return FALSE;
  bed->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
  bed->patient_id = 0;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_bed_ensure:
 * @model: a #WkModel
 * @ward_id: the ward, which must be in the model
 * @bay: (nullable): the bay or room
 * @bed: the bed
 * @error: return location for a #GError
 *
 * Finds the bed, adding it as an open bed when the ward does not have it yet (feeds
 * name beds as they use them).
 *
 * Returns: the bed's model id, or 0 with @error set
 */
gint64
wk_bed_ensure (
    WkModel *model, const char *ward_id, const char *bay, const char *bed, GError **error)
{
  g_autoptr (WkBed) found = NULL;
  g_autoptr (GError) local_error = NULL;

  found = wk_bed_load_by_location (model, ward_id, bay, bed, &local_error);
  if (found == NULL)
    {
      if (!g_error_matches (local_error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return 0;
        }
      found = wk_bed_new (ward_id, bay, bed);
      if (!wk_bed_insert (model, found, error))
        return 0;
    }
  return found->id;
}

/**
 * wk_bed_set_closed:
 * @model: a #WkModel
 * @bed_id: the bed
 * @closed: %TRUE to close it, %FALSE to open it
 * @error: return location for a #GError
 *
 * Closes or opens a bed. An occupied bed cannot be closed.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_bed_set_closed (WkModel *model, gint64 bed_id, gboolean closed, GError **error)
{
  g_autoptr (WkBed) bed = NULL;
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);

  bed = wk_bed_load (model, bed_id, error);
  if (bed == NULL)
    return FALSE;
  if (closed && bed->patient_id != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Cannot close bed #%" G_GINT64_FORMAT ": patient #%" G_GINT64_FORMAT " is in it",
                   bed_id, bed->patient_id);
      return FALSE;
    }
  stmt = _wk_model_prepare (model, "UPDATE bed SET closed = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, bed_id);
  sqlite3_bind_int (stmt, 2, closed ? 1 : 0);
  if (!_wk_model_step_done (model, stmt, "Cannot change the bed", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_bed_delete:
 * @model: a #WkModel
 * @bed_id: the bed
 * @error: return location for a #GError
 *
 * Removes an empty bed from its ward. An occupied bed is refused.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_bed_delete (WkModel *model, gint64 bed_id, GError **error)
{
  g_autoptr (WkBed) bed = NULL;
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);

  bed = wk_bed_load (model, bed_id, error);
  if (bed == NULL)
    return FALSE;
  if (bed->patient_id != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Cannot remove bed #%" G_GINT64_FORMAT ": patient #%" G_GINT64_FORMAT
                   " is in it",
                   bed_id, bed->patient_id);
      return FALSE;
    }
  stmt = _wk_model_prepare (model, "DELETE FROM bed WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, bed_id);
  if (!_wk_model_step_done (model, stmt, "Cannot remove the bed", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_bed_load:
 * @model: a #WkModel
 * @bed_id: the bed
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the bed, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkBed *
wk_bed_load (WkModel *model, gint64 bed_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " BED_COLUMNS "FROM bed b WHERE b.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, bed_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Bed #%" G_GINT64_FORMAT " is not in the model", bed_id);
      return NULL;
    }
  return bed_from_row (stmt);
}

/**
 * wk_bed_load_by_location:
 * @model: a #WkModel
 * @ward_id: the ward
 * @bay: (nullable): the bay or room, %NULL or "" for none
 * @bed: the bed
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the bed, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkBed *
wk_bed_load_by_location (
    WkModel *model, const char *ward_id, const char *bay, const char *bed, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (ward_id != NULL && bed != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " BED_COLUMNS "FROM bed b "
                            "WHERE b.ward_id = ?1 AND b.bay = ?2 AND b.bed = ?3",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, ward_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, bay != NULL ? bay : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, bed, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Ward %s has no bed %s%s%s", ward_id, bay != NULL ? bay : "",
                   bay != NULL && *bay != '\0' ? "/" : "", bed);
      return NULL;
    }
  return bed_from_row (stmt);
}

/**
 * wk_bed_load_ward:
 * @model: a #WkModel
 * @ward_id: the ward
 * @error: return location for a #GError
 *
 * Lists a ward's beds in ward order: by bay, then bed, numbers by value ("Bed 2"
 * before "Bed 10").
 *
 * Returns: (transfer full) (element-type WkBed): the beds, or %NULL with @error set
 */
GPtrArray *
wk_bed_load_ward (WkModel *model, const char *ward_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) beds = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_bed_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (ward_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " BED_COLUMNS "FROM bed b WHERE b.ward_id = ?1 "
                            "ORDER BY b.bay COLLATE WK_NATURAL, b.bed COLLATE WK_NATURAL",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, ward_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (beds, bed_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the ward's beds");
      return NULL;
    }
  return g_steal_pointer (&beds);
}
