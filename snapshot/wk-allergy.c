/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-allergy.c — an allergy recorded for a patient. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-allergy.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

static const WkEnumNick category_nicks[] = {
  { WK_ALLERGY_DRUG, "drug" },
  { WK_ALLERGY_FOOD, "food" },
  { WK_ALLERGY_ENVIRONMENT, "environment" },
  { WK_ALLERGY_OTHER, "other" },
  { 0, NULL },
};

static const WkEnumNick severity_nicks[] = {
  { WK_SEVERITY_UNKNOWN, "unknown" },
  { WK_SEVERITY_MILD, "mild" },
  { WK_SEVERITY_MODERATE, "moderate" },
  { WK_SEVERITY_SEVERE, "severe" },
  { 0, NULL },
};

/**
 * wk_allergy_new:
 * @patient_id: the patient
 * @substance: what they react to
 *
 * Returns: (transfer full): a new drug #WkAllergy of unknown severity
 */
WkAllergy *
wk_allergy_new (gint64 patient_id, const char *substance)
{
  WkAllergy *allergy = g_new0 (WkAllergy, 1);

  allergy->patient_id = patient_id;
  allergy->substance = g_strdup (substance);
  return allergy;
}

/**
 * wk_allergy_free:
 * @allergy: (nullable) (transfer full): a #WkAllergy
 */
void
wk_allergy_free (WkAllergy *allergy)
{
  if (allergy == NULL)
    return;
  g_free (allergy->substance);
  g_free (allergy->code);
  g_free (allergy->reaction);
  g_free (allergy);
}

static gboolean
set_status (WkModel *model, gint64 patient_id, const char *status, GError **error)
{
  g_auto (WkModelStmt) stmt
      = _wk_model_prepare (model, "UPDATE patient SET allergy_status = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
  return _wk_model_step_done (model, stmt, "Cannot record the patient's allergy status", error);
}

/**
 * wk_allergy_insert:
 * @model: a #WkModel
 * @allergy: the allergy; its @id is set on success
 * @error: return location for a #GError
 *
 * Records an allergy, which makes the patient's allergy status "recorded".
 *
 * Returns: %TRUE on success
 */
gboolean
wk_allergy_insert (WkModel *model, WkAllergy *allergy, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (allergy != NULL, FALSE);

  if (_wk_text_is_blank (allergy->substance))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An allergy for patient #%" G_GINT64_FORMAT " needs a substance",
                   allergy->patient_id);
      return FALSE;
    }
  if (wk_allergy_category_to_string (allergy->category) == NULL
      || wk_severity_to_string (allergy->severity) == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An allergy's category or severity is not a known value");
      return FALSE;
    }

  /* The row and the patient's status change together or not at all. */
  if (!wk_model_begin (model, error))
    return FALSE;
  stmt = _wk_model_prepare (model,
                            "INSERT INTO allergy (patient_id, category, substance, code, reaction, "
                            "severity, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, allergy->patient_id);
  sqlite3_bind_text (stmt, 2, wk_allergy_category_to_string (allergy->category), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, allergy->substance, -1, SQLITE_TRANSIENT);
  _wk_stmt_bind_text (stmt, 4, allergy->code);
  _wk_stmt_bind_text (stmt, 5, allergy->reaction);
  sqlite3_bind_text (stmt, 6, wk_severity_to_string (allergy->severity), -1, SQLITE_STATIC);
  _wk_stmt_bind_time (stmt, 7, allergy->recorded_at);
  if (!_wk_model_step_done (model, stmt, "Cannot record the allergy", error))
    goto fail;
  allergy->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
  if (!set_status (model, allergy->patient_id, "recorded", error))
    goto fail;
  _wk_model_touch (model);
  return _wk_model_end (model, TRUE, error);

fail:
  return _wk_model_end (model, FALSE, NULL);
}

/**
 * wk_allergy_delete_all:
 * @model: a #WkModel
 * @patient_id: the patient
 * @error: return location for a #GError
 *
 * Removes every allergy of a patient (before recording a new list from the feed); the
 * patient's allergy status becomes "not recorded".
 *
 * Returns: %TRUE on success
 */
gboolean
wk_allergy_delete_all (WkModel *model, gint64 patient_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);

  if (!wk_model_begin (model, error))
    return FALSE;
  stmt = _wk_model_prepare (model, "DELETE FROM allergy WHERE patient_id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  if (!_wk_model_step_done (model, stmt, "Cannot remove the patient's allergies", error))
    goto fail;
  if (!set_status (model, patient_id, "not-recorded", error))
    goto fail;
  _wk_model_touch (model);
  return _wk_model_end (model, TRUE, error);

fail:
  return _wk_model_end (model, FALSE, NULL);
}

/**
 * wk_allergy_load_for_patient:
 * @model: a #WkModel
 * @patient_id: the patient
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkAllergy): the patient's allergies, most
 *   severe first
 */
GPtrArray *
wk_allergy_load_for_patient (WkModel *model, gint64 patient_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) allergies
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_allergy_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (
      model,
      "SELECT id, category, substance, code, reaction, severity, recorded_at FROM allergy "
      "WHERE patient_id = ?1 ORDER BY CASE severity WHEN 'severe' THEN 0 WHEN 'moderate' THEN 1 "
      "WHEN 'unknown' THEN 2 ELSE 3 END, id",
      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WkAllergy *allergy = wk_allergy_new (patient_id, (const char *)sqlite3_column_text (stmt, 2));
      int        value;

      allergy->id = sqlite3_column_int64 (stmt, 0);
      if (_wk_enum_from_nick (category_nicks, (const char *)sqlite3_column_text (stmt, 1), &value))
        allergy->category = value;
      allergy->code = _wk_stmt_dup_text (stmt, 3);
      allergy->reaction = _wk_stmt_dup_text (stmt, 4);
      if (_wk_enum_from_nick (severity_nicks, (const char *)sqlite3_column_text (stmt, 5), &value))
        allergy->severity = value;
      allergy->recorded_at = _wk_stmt_get_time (stmt, 6);
      g_ptr_array_add (allergies, allergy);
    }
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the patient's allergies");
      return NULL;
    }
  return g_steal_pointer (&allergies);
}

/**
 * wk_allergy_category_to_string:
 * @category: a #WkAllergyCategory
 *
 * Returns: (nullable): its stable name ("drug", "food", ...), %NULL when not a value
 */
const char *
wk_allergy_category_to_string (WkAllergyCategory category)
{
  return _wk_enum_to_nick (category_nicks, category);
}

/**
 * wk_allergy_category_from_string:
 * @text: a stable name
 * @category: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_allergy_category_from_string (const char *text, WkAllergyCategory *category)
{
  int value;

  if (!_wk_enum_from_nick (category_nicks, text, &value))
    return FALSE;
  *category = value;
  return TRUE;
}

/**
 * wk_severity_to_string:
 * @severity: a #WkSeverity
 *
 * Returns: (nullable): its stable name ("mild", ...), %NULL when not a value
 */
const char *
wk_severity_to_string (WkSeverity severity)
{
  return _wk_enum_to_nick (severity_nicks, severity);
}

/**
 * wk_severity_from_string:
 * @text: a stable name
 * @severity: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_severity_from_string (const char *text, WkSeverity *severity)
{
  int value;

  if (!_wk_enum_from_nick (severity_nicks, text, &value))
    return FALSE;
  *severity = value;
  return TRUE;
}
