/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-patient.c — a patient: identity, stay, bed, weight and allergy status. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-patient.h"

#include "wk-bed.h"
#include "wk-model-private.h"
#include "wk-nhs-number.h"
#include "wk-snapshot-error.h"

#include <math.h>
#include <string.h>

static const WkEnumNick sex_nicks[] = {
  { WK_SEX_UNKNOWN, "unknown" },
  { WK_SEX_FEMALE, "female" },
  { WK_SEX_MALE, "male" },
  { WK_SEX_OTHER, "other" },
  { 0, NULL },
};

static const WkEnumNick allergy_status_nicks[] = {
  { WK_ALLERGY_STATUS_NOT_RECORDED, "not-recorded" },
  { WK_ALLERGY_STATUS_NONE_KNOWN, "none-known" },
  { WK_ALLERGY_STATUS_RECORDED, "recorded" },
  { 0, NULL },
};

static const WkEnumNick stay_nicks[] = {
  { WK_STAY_ADMITTED, "admitted" },
  { WK_STAY_PRE_ADMITTED, "pre-admitted" },
  { WK_STAY_TRANSFERRED_OUT, "transferred-out" },
  { WK_STAY_DISCHARGED, "discharged" },
  { 0, NULL },
};

static const WkEnumNick arrival_nicks[] = {
  { WK_ARRIVAL_TRANSFER, "transfer" },
  { WK_ARRIVAL_ADMISSION, "admission" },
  { 0, NULL },
};

#define PATIENT_COLUMNS                                                                            \
  "id, nhs_number, hospital_number, family_name, given_names, birth_date, sex, weight_kg, "        \
  "weight_at, consultant, allergy_status, stay, visit_number, ward_id, bed_id, admitted_at, "      \
  "left_at, updated_at, event_at, arrival, arrived_at, arrived_from "

/**
 * wk_patient_new:
 *
 * Returns: (transfer full): an empty #WkPatient, allergies not recorded, admitted
 */
WkPatient *
wk_patient_new (void)
{
  return g_new0 (WkPatient, 1);
}

/**
 * wk_patient_copy:
 * @patient: a #WkPatient
 *
 * Returns: (transfer full): a deep copy of @patient
 */
WkPatient *
wk_patient_copy (const WkPatient *patient)
{
  WkPatient *copy;

  g_return_val_if_fail (patient != NULL, NULL);

  copy = g_memdup2 (patient, sizeof *patient);
  copy->nhs_number = g_strdup (patient->nhs_number);
  copy->hospital_number = g_strdup (patient->hospital_number);
  copy->family_name = g_strdup (patient->family_name);
  copy->given_names = g_strdup (patient->given_names);
  copy->birth_date = g_strdup (patient->birth_date);
  copy->consultant = g_strdup (patient->consultant);
  copy->visit_number = g_strdup (patient->visit_number);
  copy->ward_id = g_strdup (patient->ward_id);
  copy->arrived_from = g_strdup (patient->arrived_from);
  return copy;
}

/**
 * wk_patient_free:
 * @patient: (nullable) (transfer full): a #WkPatient
 */
void
wk_patient_free (WkPatient *patient)
{
  if (patient == NULL)
    return;
  g_free (patient->nhs_number);
  g_free (patient->hospital_number);
  g_free (patient->family_name);
  g_free (patient->given_names);
  g_free (patient->birth_date);
  g_free (patient->consultant);
  g_free (patient->visit_number);
  g_free (patient->ward_id);
  g_free (patient->arrived_from);
  g_free (patient);
}

static gboolean
parse_birth_date (const char *text, GDate *date)
{
  int year, month, day;

  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;
  year = atoi (text);
  month = atoi (text + 5);
  day = atoi (text + 8);
  if (!g_date_valid_dmy (day, month, year))
    return FALSE;
  g_date_set_dmy (date, day, month, year);
  return TRUE;
}

/**
 * wk_patient_get_age:
 * @patient: a #WkPatient
 * @now: the moment to measure the age at, in the ward's time zone
 *
 * Returns: the age in whole years, or -1 when the date of birth is not known
 */
int
wk_patient_get_age (const WkPatient *patient, GDateTime *now)
{
  GDate born;
  int   age;

  g_return_val_if_fail (patient != NULL, -1);
  g_return_val_if_fail (now != NULL, -1);

  if (!parse_birth_date (patient->birth_date, &born))
    return -1;
  age = g_date_time_get_year (now) - g_date_get_year (&born);
  if (g_date_time_get_month (now) < (int)g_date_get_month (&born)
      || (g_date_time_get_month (now) == (int)g_date_get_month (&born)
          && g_date_time_get_day_of_month (now) < g_date_get_day (&born)))
    age--;
  return MAX (age, 0);
}

/**
 * wk_patient_orders_may_be_missing:
 * @patient: a #WkPatient
 *
 * Whether the patient arrived from somewhere this kiosk does not keep and the orders
 * placed before (see #WkArrival) have not been received since: their chart must say
 * that medicines may be missing, with @arrived_at and @arrived_from.
 *
 * Returns: %TRUE when orders may be missing from the model
 */
gboolean
wk_patient_orders_may_be_missing (const WkPatient *patient)
{
  g_return_val_if_fail (patient != NULL, FALSE);

  return patient->arrival != WK_ARRIVAL_NONE;
}

static int
count_allergies (WkModel *model, gint64 patient_id)
{
  g_auto (WkModelStmt) stmt
      = _wk_model_prepare (model, "SELECT count(*) FROM allergy WHERE patient_id = ?1", NULL);

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int (stmt, 0);
}

/* Checks every rule that can be checked before SQLite sees the row, with a message that
 * says which field is wrong (never its value: error messages may be logged). */
static gboolean
check_patient (WkModel *model, WkPatient *patient, GError **error)
{
  g_autoptr (GError) nhs_error = NULL;

  if (patient->nhs_number == NULL && _wk_text_is_blank (patient->hospital_number))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "A patient needs an NHS number or a hospital number");
      return FALSE;
    }
  if (patient->nhs_number != NULL && !wk_nhs_number_validate (patient->nhs_number, &nhs_error))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The patient's NHS number is not valid: %s", nhs_error->message);
      return FALSE;
    }
  if (_wk_text_is_blank (patient->family_name))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "A patient needs a family name");
      return FALSE;
    }
  if (patient->birth_date != NULL)
    {
      GDate born;
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

      if (!parse_birth_date (patient->birth_date, &born))
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "The patient's date of birth is not a real date in the form YYYY-MM-DD");
          return FALSE;
        }
      if (g_date_get_year (&born) < 1880 || g_date_get_year (&born) > g_date_time_get_year (now))
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "The patient's date of birth is outside 1880 to this year");
          return FALSE;
        }
    }
  if (patient->weight_kg < 0 || patient->weight_kg >= 700 || isnan (patient->weight_kg))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The patient's weight must be between 0 and 700 kg");
      return FALSE;
    }
  if (_wk_enum_to_nick (sex_nicks, patient->sex) == NULL
      || _wk_enum_to_nick (stay_nicks, patient->stay) == NULL
      || _wk_enum_to_nick (allergy_status_nicks, patient->allergy_status) == NULL
      || (patient->arrival != WK_ARRIVAL_NONE
          && _wk_enum_to_nick (arrival_nicks, patient->arrival) == NULL))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The patient's sex, stay, allergy status or arrival is not a known value");
      return FALSE;
    }
  if (patient->arrival != WK_ARRIVAL_NONE && patient->arrived_at <= 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The patient's arrival needs its time");
      return FALSE;
    }

  /* A bed: it must exist, be open, and the patient must be admitted to take it. */
  if (patient->bed_id != 0)
    {
      g_autoptr (WkBed) bed = wk_bed_load (model, patient->bed_id, error);

      if (bed == NULL)
        return FALSE;
      if (bed->closed)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "Bed #%" G_GINT64_FORMAT " is closed and takes no patient", bed->id);
          return FALSE;
        }
      if (bed->patient_id != 0 && bed->patient_id != patient->id)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "Bed #%" G_GINT64_FORMAT " is already occupied by patient #%" G_GINT64_FORMAT
                       " (one patient per bed)",
                       bed->id, bed->patient_id);
          return FALSE;
        }
      if (patient->stay != WK_STAY_ADMITTED)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "Only an admitted patient can be in a bed (patient #%" G_GINT64_FORMAT
                       " is %s)",
                       patient->id, wk_stay_to_string (patient->stay));
          return FALSE;
        }
      g_free (patient->ward_id);
      patient->ward_id = g_strdup (bed->ward_id);
    }

  /* The allergy status must agree with the allergies on record. */
  if (patient->id != 0)
    {
      int n = count_allergies (model, patient->id);

      if (n > 0 && patient->allergy_status != WK_ALLERGY_STATUS_RECORDED)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "Patient #%" G_GINT64_FORMAT " has %d recorded allergies: remove them "
                       "before recording the status \"%s\"",
                       patient->id, n, wk_allergy_status_to_string (patient->allergy_status));
          return FALSE;
        }
      if (n == 0 && patient->allergy_status == WK_ALLERGY_STATUS_RECORDED)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "Patient #%" G_GINT64_FORMAT " has no allergy on record: add one with "
                       "wk_allergy_insert() rather than setting the status",
                       patient->id);
          return FALSE;
        }
    }
  else if (patient->allergy_status == WK_ALLERGY_STATUS_RECORDED)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "A new patient has no allergy on record yet: add the patient, then the "
                   "allergies");
      return FALSE;
    }
  return TRUE;
}

static void
bind_patient (sqlite3_stmt *stmt, const WkPatient *patient)
{
  _wk_stmt_bind_text_static (stmt, 2, patient->nhs_number);
  _wk_stmt_bind_text_static (stmt, 3, patient->hospital_number);
  sqlite3_bind_text (stmt, 4, patient->family_name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, patient->given_names != NULL ? patient->given_names : "", -1,
                     SQLITE_STATIC);
  _wk_stmt_bind_text_static (stmt, 6, patient->birth_date);
  sqlite3_bind_text (stmt, 7, wk_sex_to_string (patient->sex), -1, SQLITE_STATIC);
  _wk_stmt_bind_double (stmt, 8, patient->weight_kg);
  _wk_stmt_bind_time (stmt, 9, patient->weight_at);
  _wk_stmt_bind_text_static (stmt, 10, patient->consultant);
  sqlite3_bind_text (stmt, 11, wk_allergy_status_to_string (patient->allergy_status), -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 12, wk_stay_to_string (patient->stay), -1, SQLITE_STATIC);
  _wk_stmt_bind_text_static (stmt, 13, patient->visit_number);
  _wk_stmt_bind_text_static (stmt, 14, patient->ward_id);
  if (patient->bed_id != 0)
    sqlite3_bind_int64 (stmt, 15, patient->bed_id);
  _wk_stmt_bind_time (stmt, 16, patient->admitted_at);
  _wk_stmt_bind_time (stmt, 17, patient->left_at);
  sqlite3_bind_int64 (stmt, 18, patient->updated_at);
  _wk_stmt_bind_time (stmt, 19, patient->event_at);
  if (patient->arrival != WK_ARRIVAL_NONE)
    sqlite3_bind_text (stmt, 20, _wk_enum_to_nick (arrival_nicks, patient->arrival), -1,
                       SQLITE_STATIC);
  _wk_stmt_bind_time (stmt, 21, patient->arrival != WK_ARRIVAL_NONE ? patient->arrived_at : 0);
  _wk_stmt_bind_text_static (stmt, 22,
                             patient->arrival != WK_ARRIVAL_NONE ? patient->arrived_from : NULL);
}

/**
 * wk_patient_insert:
 * @model: a #WkModel
 * @patient: the patient to add; its @id and @updated_at are set on success, and its
 *   @ward_id from its bed
 * @error: return location for a #GError
 *
 * Adds a patient. Refused with %WK_SNAPSHOT_ERROR_INVALID for a malformed field and
 * %WK_SNAPSHOT_ERROR_CONSTRAINT when the NHS or hospital number is taken, or the bed is
 * closed or occupied.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_patient_insert (WkModel *model, WkPatient *patient, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (patient != NULL && patient->id == 0, FALSE);

  if (!check_patient (model, patient, error))
    return FALSE;
  stmt = _wk_model_prepare (model,
                            "INSERT INTO patient (" PATIENT_COLUMNS
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                            "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                            error);
  if (stmt == NULL)
    return FALSE;
  patient->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  bind_patient (stmt, patient);
  if (!_wk_model_step_done (model, stmt, "Cannot add the patient", error))
    return FALSE;
  patient->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_patient_update:
 * @model: a #WkModel
 * @patient: the patient, with its @id; @updated_at is set on success, and @ward_id from
 *   its bed
 * @error: return location for a #GError
 *
 * Replaces every field of a patient already in the model, under the same rules as
 * wk_patient_insert(). Moving a patient is an update of @bed_id; leaving a bed is an
 * update to 0.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_patient_update (WkModel *model, WkPatient *patient, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (patient != NULL && patient->id > 0, FALSE);

  if (!check_patient (model, patient, error))
    return FALSE;
  stmt = _wk_model_prepare (
      model,
      "UPDATE patient SET nhs_number = ?2, hospital_number = ?3, family_name = ?4, "
      "given_names = ?5, birth_date = ?6, sex = ?7, weight_kg = ?8, weight_at = ?9, "
      "consultant = ?10, allergy_status = ?11, stay = ?12, visit_number = ?13, ward_id = ?14, "
      "bed_id = ?15, admitted_at = ?16, left_at = ?17, updated_at = ?18, event_at = ?19, "
      "arrival = ?20, arrived_at = ?21, arrived_from = ?22 WHERE id = ?1",
      error);
  if (stmt == NULL)
    return FALSE;
  patient->updated_at = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_bind_int64 (stmt, 1, patient->id);
  bind_patient (stmt, patient);
  if (!_wk_model_step_done (model, stmt, "Cannot change the patient", error))
    return FALSE;
  if (sqlite3_changes (_wk_model_get_db (model)) == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Patient #%" G_GINT64_FORMAT " is not in the model", patient->id);
      return FALSE;
    }
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_patient_delete:
 * @model: a #WkModel
 * @patient_id: the patient
 * @error: return location for a #GError
 *
 * Removes a patient with their allergies, orders and administrations.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_patient_delete (WkModel *model, gint64 patient_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);

  stmt = _wk_model_prepare (model, "DELETE FROM patient WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  if (!_wk_model_step_done (model, stmt, "Cannot remove the patient", error))
    return FALSE;
  if (sqlite3_changes (_wk_model_get_db (model)) == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Patient #%" G_GINT64_FORMAT " is not in the model", patient_id);
      return FALSE;
    }
  _wk_model_touch (model);
  return TRUE;
}

static WkPatient *
patient_from_row (sqlite3_stmt *stmt)
{
  WkPatient *patient = wk_patient_new ();
  int        value = 0;

  patient->id = sqlite3_column_int64 (stmt, 0);
  patient->nhs_number = _wk_stmt_dup_text (stmt, 1);
  patient->hospital_number = _wk_stmt_dup_text (stmt, 2);
  patient->family_name = _wk_stmt_dup_text (stmt, 3);
  patient->given_names = _wk_stmt_dup_text (stmt, 4);
  patient->birth_date = _wk_stmt_dup_text (stmt, 5);
  if (_wk_enum_from_nick (sex_nicks, (const char *)sqlite3_column_text (stmt, 6), &value))
    patient->sex = value;
  patient->weight_kg = _wk_stmt_get_double (stmt, 7);
  patient->weight_at = _wk_stmt_get_time (stmt, 8);
  patient->consultant = _wk_stmt_dup_text (stmt, 9);
  if (_wk_enum_from_nick (allergy_status_nicks, (const char *)sqlite3_column_text (stmt, 10),
                          &value))
    patient->allergy_status = value;
  if (_wk_enum_from_nick (stay_nicks, (const char *)sqlite3_column_text (stmt, 11), &value))
    patient->stay = value;
  patient->visit_number = _wk_stmt_dup_text (stmt, 12);
  patient->ward_id = _wk_stmt_dup_text (stmt, 13);
  patient->bed_id = sqlite3_column_int64 (stmt, 14);
  patient->admitted_at = _wk_stmt_get_time (stmt, 15);
  patient->left_at = _wk_stmt_get_time (stmt, 16);
  patient->updated_at = _wk_stmt_get_time (stmt, 17);
  patient->event_at = _wk_stmt_get_time (stmt, 18);
  if (_wk_enum_from_nick (arrival_nicks, (const char *)sqlite3_column_text (stmt, 19), &value))
    {
      patient->arrival = value;
      patient->arrived_at = _wk_stmt_get_time (stmt, 20);
      patient->arrived_from = _wk_stmt_dup_text (stmt, 21);
    }
  return patient;
}

static WkPatient *
load_one (
    WkModel *model, const char *sql, gint64 id, const char *text, const char *what, GError **error)
{
  g_auto (WkModelStmt) stmt = _wk_model_prepare (model, sql, error);

  if (stmt == NULL)
    return NULL;
  if (text != NULL)
    sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      if (text != NULL)
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "No patient in the model has this %s", what);
      else
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "Patient #%" G_GINT64_FORMAT " is not in the model", id);
      return NULL;
    }
  return patient_from_row (stmt);
}

/**
 * wk_patient_load:
 * @model: a #WkModel
 * @patient_id: the patient
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the patient, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkPatient *
wk_patient_load (WkModel *model, gint64 patient_id, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);

  return load_one (model, "SELECT " PATIENT_COLUMNS "FROM patient WHERE id = ?1", patient_id, NULL,
                   NULL, error);
}

/**
 * wk_patient_load_by_nhs_number:
 * @model: a #WkModel
 * @nhs_number: ten digits
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the patient, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkPatient *
wk_patient_load_by_nhs_number (WkModel *model, const char *nhs_number, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (nhs_number != NULL, NULL);

  return load_one (model, "SELECT " PATIENT_COLUMNS "FROM patient WHERE nhs_number = ?1", 0,
                   nhs_number, "NHS number", error);
}

/**
 * wk_patient_load_by_hospital_number:
 * @model: a #WkModel
 * @hospital_number: the local hospital number
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the patient, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkPatient *
wk_patient_load_by_hospital_number (WkModel *model, const char *hospital_number, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (hospital_number != NULL, NULL);

  return load_one (model, "SELECT " PATIENT_COLUMNS "FROM patient WHERE hospital_number = ?1", 0,
                   hospital_number, "hospital number", error);
}

/**
 * wk_patient_load_by_identifiers:
 * @model: a #WkModel
 * @nhs_number: (nullable): ten digits
 * @hospital_number: (nullable): the local hospital number
 * @error: return location for a #GError
 *
 * Finds, in one indexed lookup, the patients who have either identifier: none, one (who
 * may have both), or two different patients (one has the NHS number, the other the
 * hospital number), which the caller must treat as a disagreement, never as a match.
 *
 * Returns: (transfer full) (element-type WkPatient): the patients, in no particular order,
 *   or %NULL with @error set
 */
GPtrArray *
wk_patient_load_by_identifiers (WkModel    *model,
                                const char *nhs_number,
                                const char *hospital_number,
                                GError    **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) patients = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_patient_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " PATIENT_COLUMNS "FROM patient "
                            "WHERE nhs_number = ?1 OR hospital_number = ?2",
                            error);
  if (stmt == NULL)
    return NULL;
  _wk_stmt_bind_text_static (stmt, 1, nhs_number);
  _wk_stmt_bind_text_static (stmt, 2, hospital_number);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (patients, patient_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot find the patient");
      return NULL;
    }
  return g_steal_pointer (&patients);
}

/**
 * wk_patient_load_all:
 * @model: a #WkModel
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPatient): every patient, by model id
 */
GPtrArray *
wk_patient_load_all (WkModel *model, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) patients = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_patient_free);
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " PATIENT_COLUMNS "FROM patient ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (patients, patient_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot list the patients");
      return NULL;
    }
  return g_steal_pointer (&patients);
}

/**
 * wk_sex_to_string:
 * @sex: a #WkSex
 *
 * Returns: the stable name of @sex ("female", "male", "other", "unknown")
 */
const char *
wk_sex_to_string (WkSex sex)
{
  return _wk_enum_to_nick (sex_nicks, sex);
}

/**
 * wk_sex_from_string:
 * @text: a name from wk_sex_to_string()
 * @sex: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_sex_from_string (const char *text, WkSex *sex)
{
  int value;

  if (!_wk_enum_from_nick (sex_nicks, text, &value))
    return FALSE;
  *sex = value;
  return TRUE;
}

/**
 * wk_allergy_status_to_string:
 * @status: a #WkAllergyStatus
 *
 * Returns: the stable name of @status ("not-recorded", "none-known", "recorded")
 */
const char *
wk_allergy_status_to_string (WkAllergyStatus status)
{
  return _wk_enum_to_nick (allergy_status_nicks, status);
}

/**
 * wk_allergy_status_from_string:
 * @text: a name from wk_allergy_status_to_string()
 * @status: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_allergy_status_from_string (const char *text, WkAllergyStatus *status)
{
  int value;

  if (!_wk_enum_from_nick (allergy_status_nicks, text, &value))
    return FALSE;
  *status = value;
  return TRUE;
}

/**
 * wk_stay_to_string:
 * @stay: a #WkStay
 *
 * Returns: the stable name of @stay ("admitted", "pre-admitted", ...)
 */
const char *
wk_stay_to_string (WkStay stay)
{
  return _wk_enum_to_nick (stay_nicks, stay);
}

/**
 * wk_stay_from_string:
 * @text: a name from wk_stay_to_string()
 * @stay: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_stay_from_string (const char *text, WkStay *stay)
{
  int value;

  if (!_wk_enum_from_nick (stay_nicks, text, &value))
    return FALSE;
  *stay = value;
  return TRUE;
}

/**
 * wk_arrival_to_string:
 * @arrival: a #WkArrival
 *
 * Returns: (nullable): its stable name ("transfer", "admission"), %NULL for
 *   %WK_ARRIVAL_NONE or not a value
 */
const char *
wk_arrival_to_string (WkArrival arrival)
{
  return _wk_enum_to_nick (arrival_nicks, arrival);
}

/* Runs one statement of a merge with the two patient ids bound. */
static gboolean
merge_step (WkModel *model, const char *sql, gint64 survivor_id, gint64 merged_id, GError **error)
{
  g_auto (WkModelStmt) stmt = _wk_model_prepare (model, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, survivor_id);
  sqlite3_bind_int64 (stmt, 2, merged_id);
  return _wk_model_step_done (model, stmt, "Cannot merge the patients", error);
}

/**
 * wk_patient_merge:
 * @model: a #WkModel
 * @survivor_id: the patient who remains
 * @merged_id: the patient merged into @survivor_id, who is removed
 * @error: return location for a #GError
 *
 * Merges two records of one person (HL7 A40): the merged record's orders (with their
 * administrations) and allergies move to the survivor, who also takes the merged
 * record's bed and stay when it has no bed itself and keeps the most recent weight;
 * then the merged record is removed. All or nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_patient_merge (WkModel *model, gint64 survivor_id, gint64 merged_id, GError **error)
{
  g_autoptr (WkPatient) survivor = NULL;
  g_autoptr (WkPatient) merged = NULL;

  g_return_val_if_fail (model != NULL, FALSE);

  if (survivor_id == merged_id)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Cannot merge patient #%" G_GINT64_FORMAT " into itself", survivor_id);
      return FALSE;
    }
  if (!wk_model_begin (model, error))
    return FALSE;
  survivor = wk_patient_load (model, survivor_id, error);
  merged = survivor != NULL ? wk_patient_load (model, merged_id, error) : NULL;
  if (merged == NULL)
    goto fail;

  /* Orders (administrations follow them by placer id) and allergies move across. */
  if (!merge_step (model, "UPDATE med_order SET patient_id = ?1 WHERE patient_id = ?2", survivor_id,
                   merged_id, error)
      || !merge_step (model, "UPDATE allergy SET patient_id = ?1 WHERE patient_id = ?2",
                      survivor_id, merged_id, error))
    goto fail;

  /* The survivor takes the bed when it has none (it is free once the merged record goes). */
  if (survivor->bed_id == 0 && merged->bed_id != 0)
    {
      survivor->bed_id = merged->bed_id;
      survivor->stay = WK_STAY_ADMITTED;
      survivor->left_at = 0;
      if (survivor->admitted_at == 0)
        survivor->admitted_at = merged->admitted_at;
    }
  if (merged->weight_at > survivor->weight_at && merged->weight_kg > 0)
    {
      survivor->weight_kg = merged->weight_kg;
      survivor->weight_at = merged->weight_at;
    }
  if (survivor->nhs_number == NULL && merged->nhs_number != NULL)
    survivor->nhs_number = g_steal_pointer (&merged->nhs_number);
  if (survivor->hospital_number == NULL && merged->hospital_number != NULL)
    survivor->hospital_number = g_steal_pointer (&merged->hospital_number);
  survivor->event_at = MAX (survivor->event_at, merged->event_at);
  /* Orders the kiosk may not have on either record may be missing from the survivor. */
  if (survivor->arrival == WK_ARRIVAL_NONE && merged->arrival != WK_ARRIVAL_NONE)
    {
      survivor->arrival = merged->arrival;
      survivor->arrived_at = merged->arrived_at;
      g_free (survivor->arrived_from);
      survivor->arrived_from = g_steal_pointer (&merged->arrived_from);
    }
  {
    int n = count_allergies (model, survivor_id);

    if (n > 0)
      survivor->allergy_status = WK_ALLERGY_STATUS_RECORDED;
    else if (survivor->allergy_status == WK_ALLERGY_STATUS_NOT_RECORDED)
      survivor->allergy_status = merged->allergy_status == WK_ALLERGY_STATUS_NONE_KNOWN
                                     ? WK_ALLERGY_STATUS_NONE_KNOWN
                                     : WK_ALLERGY_STATUS_NOT_RECORDED;
  }
  /* The identifiers move only once the merged record is gone (they are unique). */
  if (!wk_patient_delete (model, merged_id, error) || !wk_patient_update (model, survivor, error))
    goto fail;
  return _wk_model_end (model, TRUE, error);

fail:
  return _wk_model_end (model, FALSE, NULL);
}
