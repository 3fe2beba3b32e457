/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-model.c — the ward model: CRUD, its rules, transactions, serialization. */

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-model-private.h"
#include "wk-model.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"
#include "wk-ward.h"

#include <gio/gio.h>
#include <sqlite3.h>
#include <string.h>

static guint
count_rows (WkModel *model, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3_stmt    *stmt = NULL;
  guint            n;

  g_assert_cmpint (sqlite3_prepare_v2 (_wk_model_get_db (model), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static gint64
first_bed (WkModel *model)
{
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, "7A", NULL);

  g_assert_nonnull (beds);
  g_assert_cmpuint (beds->len, >, 0);
  return ((WkBed *)beds->pdata[0])->id;
}

static void
test_schema_version (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_model_new (&error);

  g_assert_no_error (error);
  g_assert_cmpint (wk_model_get_schema_version (model), ==, WK_MODEL_SCHEMA_VERSION);
  g_assert_false (wk_model_is_read_only (model));
  g_assert_cmpuint (count_rows (model, "patient"), ==, 0);
}

static void
test_ward (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_model_new (&error);
  g_autoptr (WkWard) ward = wk_ward_new ("7A", "Ward 7A Acute Medicine");
  g_autoptr (WkWard) blank = wk_ward_new ("  ", NULL);
  g_autoptr (WkWard) loaded = NULL;
  g_autoptr (GPtrArray) all = NULL;

  g_assert_true (wk_ward_insert (model, ward, &error));
  g_assert_no_error (error);
  loaded = wk_ward_load (model, "7A", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->name, ==, "Ward 7A Acute Medicine");

  g_assert_false (wk_ward_insert (model, ward, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "already exists"));
  g_clear_error (&error);

  g_assert_false (wk_ward_insert (model, blank, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);

  /* ensure keeps the existing ward and its name. */
  g_assert_true (wk_ward_ensure (model, "7A", "Other name", &error));
  g_assert_true (wk_ward_ensure (model, "10B", NULL, &error));
  all = wk_ward_load_all (model, &error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (((WkWard *)all->pdata[0])->id, ==, "7A");
  g_assert_cmpstr (((WkWard *)all->pdata[0])->name, ==, "Ward 7A Acute Medicine");
  g_assert_cmpstr (((WkWard *)all->pdata[1])->id, ==, "10B");

  g_assert_null (wk_ward_load (model, "99", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
}

static void
test_bed_order (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 0);
  const char *beds[][2] = { { "BAY10", "1" }, { "BAY2", "10" }, { "BAY2", "2" },
                            { "SR1", "1" },   { "BAY2", "1" },  { "", "3" } };
  const char *expected[][2] = { { "", "3" },      { "BAY2", "1" },  { "BAY2", "2" },
                                { "BAY2", "10" }, { "BAY10", "1" }, { "SR1", "1" } };
  g_autoptr (GPtrArray) loaded = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (beds); i++)
    g_assert_cmpint (wk_bed_ensure (model, "7A", beds[i][0], beds[i][1], &error), >, 0);
  /* ensure finds the bed it already has. */
  g_assert_cmpint (wk_bed_ensure (model, "7A", "BAY2", "2", &error), ==,
                   wk_bed_ensure (model, "7A", "BAY2", "2", &error));
  loaded = wk_bed_load_ward (model, "7A", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, G_N_ELEMENTS (expected));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      WkBed *bed = loaded->pdata[i];

      g_assert_cmpstr (bed->bay, ==, expected[i][0]);
      g_assert_cmpstr (bed->bed, ==, expected[i][1]);
      g_assert_false (bed->closed);
      g_assert_cmpint (bed->patient_id, ==, 0);
    }

  /* A bed on a ward the model does not have is refused. */
  g_assert_cmpint (wk_bed_ensure (model, "NOPE", "A", "1", &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
}

static void
test_patient_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 6);
  g_autoptr (WkPatient) patient = wk_test_patient_new (3);
  g_autoptr (WkPatient) loaded = NULL;
  g_autoptr (WkPatient) by_nhs = NULL;
  g_autoptr (WkPatient) by_mrn = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_utc (2026, 11, 22, 12, 0, 0);

  patient->weight_kg = 72.5;
  patient->weight_at = 1767225600;
  patient->consultant = g_strdup ("Dr Invented Consultant");
  patient->visit_number = g_strdup ("V0001");
  patient->bed_id = first_bed (model);
  patient->admitted_at = 1767225600;
  g_free (patient->birth_date);
  patient->birth_date = g_strdup ("1950-11-23");
  g_assert_true (wk_patient_insert (model, patient, &error));
  g_assert_no_error (error);
  g_assert_cmpint (patient->id, >, 0);
  g_assert_cmpstr (patient->ward_id, ==, "7A"); /* taken from the bed */

  loaded = wk_patient_load (model, patient->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->nhs_number, ==, patient->nhs_number);
  g_assert_cmpstr (loaded->hospital_number, ==, patient->hospital_number);
  g_assert_cmpstr (loaded->family_name, ==, patient->family_name);
  g_assert_cmpstr (loaded->given_names, ==, patient->given_names);
  g_assert_cmpstr (loaded->birth_date, ==, "1950-11-23");
  g_assert_cmpint (loaded->sex, ==, patient->sex);
  g_assert_cmpfloat (loaded->weight_kg, ==, 72.5);
  g_assert_cmpint (loaded->weight_at, ==, 1767225600);
  g_assert_cmpstr (loaded->consultant, ==, "Dr Invented Consultant");
  g_assert_cmpint (loaded->allergy_status, ==, WK_ALLERGY_STATUS_NOT_RECORDED);
  g_assert_cmpint (loaded->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpstr (loaded->visit_number, ==, "V0001");
  g_assert_cmpstr (loaded->ward_id, ==, "7A");
  g_assert_cmpint (loaded->bed_id, ==, patient->bed_id);
  g_assert_cmpint (loaded->admitted_at, ==, 1767225600);
  g_assert_cmpint (loaded->left_at, ==, 0);
  /* One day before the 76th birthday. */
  g_assert_cmpint (wk_patient_get_age (loaded, now), ==, 75);

  by_nhs = wk_patient_load_by_nhs_number (model, patient->nhs_number, &error);
  g_assert_no_error (error);
  g_assert_cmpint (by_nhs->id, ==, patient->id);
  by_mrn = wk_patient_load_by_hospital_number (model, patient->hospital_number, &error);
  g_assert_no_error (error);
  g_assert_cmpint (by_mrn->id, ==, patient->id);

  /* Update: discharge, out of the bed. */
  loaded->stay = WK_STAY_DISCHARGED;
  loaded->bed_id = 0;
  loaded->left_at = 1767312000;
  g_assert_true (wk_patient_update (model, loaded, &error));
  g_assert_no_error (error);
  g_clear_pointer (&by_nhs, wk_patient_free);
  by_nhs = wk_patient_load (model, patient->id, &error);
  g_assert_cmpint (by_nhs->stay, ==, WK_STAY_DISCHARGED);
  g_assert_cmpint (by_nhs->bed_id, ==, 0);
  g_assert_cmpint (by_nhs->left_at, ==, 1767312000);

  g_assert_true (wk_patient_delete (model, patient->id, &error));
  g_assert_null (wk_patient_load (model, patient->id, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (wk_patient_delete (model, patient->id, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
}

typedef void (*Spoil) (WkPatient *patient);

static void
spoil_check_digit (WkPatient *p)
{
  p->nhs_number[9] = p->nhs_number[9] == '0' ? '1' : '0';
}

static void
spoil_identifiers (WkPatient *p)
{
  g_clear_pointer (&p->nhs_number, g_free);
  g_clear_pointer (&p->hospital_number, g_free);
}

static void
spoil_family_name (WkPatient *p)
{
  g_free (p->family_name);
  p->family_name = g_strdup (" ");
}

static void
spoil_birth_date (WkPatient *p)
{
  g_free (p->birth_date);
  p->birth_date = g_strdup ("1990-02-30");
}

static void
spoil_birth_format (WkPatient *p)
{
  g_free (p->birth_date);
  p->birth_date = g_strdup ("23/11/1950");
}

static void
spoil_future_birth (WkPatient *p)
{
  g_free (p->birth_date);
  p->birth_date = g_strdup ("2999-01-01");
}

static void
spoil_weight (WkPatient *p)
{
  p->weight_kg = -3;
}

static void
spoil_sex (WkPatient *p)
{
  p->sex = 42;
}

static void
spoil_arrival (WkPatient *p)
{
  p->arrival = 7;
  p->arrived_at = 1767225600;
}

static void
spoil_arrival_time (WkPatient *p)
{
  p->arrival = WK_ARRIVAL_TRANSFER;
}

static void
test_patient_invalid (void)
{
  const Spoil spoils[]
      = { spoil_check_digit,  spoil_identifiers,  spoil_family_name, spoil_birth_date,
          spoil_birth_format, spoil_future_birth, spoil_weight,      spoil_sex,
          spoil_arrival,      spoil_arrival_time };
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);

  for (gsize i = 0; i < G_N_ELEMENTS (spoils); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WkPatient) patient = wk_test_patient_new (i);

      spoils[i](patient);
      g_assert_false (wk_patient_insert (model, patient, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
      /* The message says what is wrong and never carries the identifier itself. */
      if (patient->nhs_number != NULL)
        g_assert_null (strstr (error->message, patient->nhs_number));
      g_assert_cmpint (patient->id, ==, 0);
      g_assert_cmpuint (count_rows (model, "patient"), ==, 0);
    }
}

static void
test_patient_unique_identifiers (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) first = wk_test_patient_new (0);
  g_autoptr (WkPatient) same_nhs = wk_test_patient_new (1);
  g_autoptr (WkPatient) same_mrn = wk_test_patient_new (2);

  g_assert_true (wk_patient_insert (model, first, &error));
  g_free (same_nhs->nhs_number);
  same_nhs->nhs_number = g_strdup (first->nhs_number);
  g_assert_false (wk_patient_insert (model, same_nhs, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "NHS number"));
  g_clear_error (&error);

  g_free (same_mrn->hospital_number);
  same_mrn->hospital_number = g_strdup (first->hospital_number);
  g_assert_false (wk_patient_insert (model, same_mrn, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "hospital number"));
  g_assert_cmpuint (count_rows (model, "patient"), ==, 1);
}

static void
test_one_patient_per_bed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) first = wk_test_patient_new (0);
  g_autoptr (WkPatient) second = wk_test_patient_new (1);
  g_autoptr (WkPatient) reloaded = NULL;
  g_autoptr (WkBed) bed = NULL;
  gint64 bed_id = first_bed (model);

  first->bed_id = bed_id;
  g_assert_true (wk_patient_insert (model, first, &error));
  second->bed_id = bed_id;
  g_assert_false (wk_patient_insert (model, second, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "one patient per bed"));
  g_clear_error (&error);
  g_assert_cmpuint (count_rows (model, "patient"), ==, 1);

  /* Moving an existing patient into the occupied bed is refused the same way. */
  second->bed_id = 0;
  g_assert_true (wk_patient_insert (model, second, &error));
  second->bed_id = bed_id;
  g_assert_false (wk_patient_update (model, second, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  bed = wk_bed_load (model, bed_id, &error);
  g_assert_cmpint (bed->patient_id, ==, first->id);

  /* Only an admitted patient takes a bed. */
  reloaded = wk_patient_load (model, second->id, &error);
  reloaded->stay = WK_STAY_PRE_ADMITTED;
  reloaded->bed_id = bed_id + 1;
  g_assert_false (wk_patient_update (model, reloaded, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);

  /* First moves out; then second may move in. */
  first->bed_id = 0;
  g_assert_true (wk_patient_update (model, first, &error));
  second->bed_id = bed_id;
  g_assert_true (wk_patient_update (model, second, &error));
  g_assert_no_error (error);
}

static void
test_closed_bed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  gint64 bed_id = first_bed (model);

  g_assert_true (wk_bed_set_closed (model, bed_id, TRUE, &error));
  patient->bed_id = bed_id;
  g_assert_false (wk_patient_insert (model, patient, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "closed"));
  g_clear_error (&error);

  g_assert_true (wk_bed_set_closed (model, bed_id, FALSE, &error));
  g_assert_true (wk_patient_insert (model, patient, &error));
  g_assert_false (wk_bed_set_closed (model, bed_id, TRUE, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_false (wk_bed_delete (model, bed_id, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_true (wk_bed_delete (model, bed_id + 1, &error));
}

static void
test_allergy_status (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  g_autoptr (WkAllergy) penicillin = NULL;
  g_autoptr (WkAllergy) orphan = wk_allergy_new (9999, "Latex");
  g_autoptr (WkAllergy) nuts = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (WkPatient) reloaded = NULL;

  g_assert_true (wk_patient_insert (model, patient, &error));
  g_assert_cmpint (patient->allergy_status, ==, WK_ALLERGY_STATUS_NOT_RECORDED);

  /* "none known" is a fact of its own, different from "not recorded". */
  patient->allergy_status = WK_ALLERGY_STATUS_NONE_KNOWN;
  g_assert_true (wk_patient_update (model, patient, &error));
  reloaded = wk_patient_load (model, patient->id, &error);
  g_assert_cmpint (reloaded->allergy_status, ==, WK_ALLERGY_STATUS_NONE_KNOWN);
  g_clear_pointer (&reloaded, wk_patient_free);

  /* Claiming "recorded" without an allergy on record is refused. */
  patient->allergy_status = WK_ALLERGY_STATUS_RECORDED;
  g_assert_false (wk_patient_update (model, patient, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);

  penicillin = wk_allergy_new (patient->id, "Penicillin");
  penicillin->severity = WK_SEVERITY_MODERATE;
  penicillin->reaction = g_strdup ("Rash");
  nuts = wk_allergy_new (patient->id, "Peanut");
  nuts->category = WK_ALLERGY_FOOD;
  nuts->severity = WK_SEVERITY_SEVERE;
  g_assert_true (wk_allergy_insert (model, penicillin, &error));
  g_assert_true (wk_allergy_insert (model, nuts, &error));
  g_assert_no_error (error);
  reloaded = wk_patient_load (model, patient->id, &error);
  g_assert_cmpint (reloaded->allergy_status, ==, WK_ALLERGY_STATUS_RECORDED);

  list = wk_allergy_load_for_patient (model, patient->id, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((WkAllergy *)list->pdata[0])->substance, ==, "Peanut"); /* severe first */
  g_assert_cmpint (((WkAllergy *)list->pdata[0])->category, ==, WK_ALLERGY_FOOD);
  g_assert_cmpstr (((WkAllergy *)list->pdata[1])->reaction, ==, "Rash");

  /* "none known" while allergies are on record is refused. */
  reloaded->allergy_status = WK_ALLERGY_STATUS_NONE_KNOWN;
  g_assert_false (wk_patient_update (model, reloaded, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);

  /* An allergy for a patient not in the model changes nothing. */
  g_assert_false (wk_allergy_insert (model, orphan, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_cmpuint (count_rows (model, "allergy"), ==, 2);

  g_assert_true (wk_allergy_delete_all (model, patient->id, &error));
  g_clear_pointer (&reloaded, wk_patient_free);
  reloaded = wk_patient_load (model, patient->id, &error);
  g_assert_cmpint (reloaded->allergy_status, ==, WK_ALLERGY_STATUS_NOT_RECORDED);
  g_assert_cmpuint (count_rows (model, "allergy"), ==, 0);
}

static void
test_order_versions (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  g_autoptr (WkPatient) other = wk_test_patient_new (1);
  g_autoptr (WkOrder) v1 = NULL;
  g_autoptr (WkOrder) v2 = NULL;
  g_autoptr (WkOrder) again = NULL;
  g_autoptr (WkOrder) stolen = NULL;
  g_autoptr (WkOrder) current = NULL;
  g_autoptr (GPtrArray) versions = NULL;
  g_autoptr (GPtrArray) orders = NULL;

  g_assert_true (wk_patient_insert (model, patient, &error));
  g_assert_true (wk_patient_insert (model, other, &error));
  v1 = wk_test_order_new (patient->id, "ORD1", 1);
  v2 = wk_test_order_new (patient->id, "ORD1", 2);
  v2->dose = 500;
  v2->instructions = g_strdup ("Reduced: weight under 50 kg");
  /* The newer version arrives first: the older must not become current. */
  g_assert_true (wk_order_insert (model, v2, &error));
  g_assert_true (wk_order_insert (model, v1, &error));
  g_assert_no_error (error);

  current = wk_order_load_current (model, "ORD1", &error);
  g_assert_cmpint (current->version, ==, 2);
  g_assert_cmpfloat (current->dose, ==, 500);
  g_assert_cmpstr (current->instructions, ==, "Reduced: weight under 50 kg");
  g_assert_cmpstr (current->admin_times, ==, "06:00,12:00,18:00,22:00");

  versions = wk_order_load_versions (model, "ORD1", &error);
  g_assert_cmpuint (versions->len, ==, 2);
  g_assert_cmpint (((WkOrder *)versions->pdata[0])->version, ==, 1);

  /* Unique order id + version. */
  again = wk_test_order_new (patient->id, "ORD1", 2);
  g_assert_false (wk_order_insert (model, again, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "already exists"));
  g_clear_error (&error);

  /* A version for another patient is refused. */
  stolen = wk_test_order_new (other->id, "ORD1", 3);
  g_assert_false (wk_order_insert (model, stolen, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_cmpuint (count_rows (model, "med_order"), ==, 2);

  g_assert_cmpint (wk_order_count_active (model, patient->id, &error), ==, 1);
  g_assert_true (wk_order_set_status (model, "ORD1", WK_ORDER_DISCONTINUED, 1767312000, &error));
  g_assert_cmpint (wk_order_count_active (model, patient->id, &error), ==, 0);
  g_clear_pointer (&current, wk_order_free);
  current = wk_order_load_current (model, "ORD1", &error);
  g_assert_cmpint (current->status, ==, WK_ORDER_DISCONTINUED);
  g_assert_cmpint (current->status_at, ==, 1767312000);
  g_clear_pointer (&versions, g_ptr_array_unref);
  versions = wk_order_load_versions (model, "ORD1", &error);
  g_assert_cmpint (((WkOrder *)versions->pdata[0])->status, ==, WK_ORDER_ACTIVE);

  g_assert_false (wk_order_set_status (model, "NOPE", WK_ORDER_HELD, 0, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  orders = wk_order_load_for_patient (model, patient->id, &error);
  g_assert_cmpuint (orders->len, ==, 1);
  g_assert_cmpint (((WkOrder *)orders->pdata[0])->version, ==, 2);
}

typedef void (*SpoilOrder) (WkOrder *order);

static void
spoil_placer (WkOrder *o)
{
  g_free (o->placer_id);
  o->placer_id = g_strdup ("");
}

static void
spoil_version (WkOrder *o)
{
  o->version = 0;
}

static void
spoil_drug (WkOrder *o)
{
  g_free (o->drug);
  o->drug = NULL;
}

static void
spoil_dose (WkOrder *o)
{
  o->dose = 0;
}

static void
spoil_range (WkOrder *o)
{
  o->dose_max = o->dose / 2;
}

static void
spoil_unit (WkOrder *o)
{
  g_free (o->dose_unit);
  o->dose_unit = g_strdup ("");
}

static void
spoil_route (WkOrder *o)
{
  g_free (o->route);
  o->route = NULL;
}

static void
spoil_start (WkOrder *o)
{
  o->start_at = 0;
}

static void
spoil_stop (WkOrder *o)
{
  o->stop_at = o->start_at - 60;
}

static void
spoil_times (WkOrder *o)
{
  g_free (o->admin_times);
  o->admin_times = NULL;
}

static void
spoil_times_format (WkOrder *o)
{
  g_free (o->admin_times);
  o->admin_times = g_strdup ("8am");
}

static void
spoil_times_order (WkOrder *o)
{
  g_free (o->admin_times);
  o->admin_times = g_strdup ("22:00,08:00");
}

static void
spoil_times_value (WkOrder *o)
{
  g_free (o->admin_times);
  o->admin_times = g_strdup ("24:00");
}

static void
spoil_prn_fields (WkOrder *o)
{
  o->prn_max_24h = 4000;
}

static void
spoil_kind (WkOrder *o)
{
  o->kind = 7;
}

static void
test_order_invalid (void)
{
  const SpoilOrder spoils[]
      = { spoil_placer,       spoil_version,     spoil_drug,        spoil_dose,       spoil_range,
          spoil_unit,         spoil_route,       spoil_start,       spoil_stop,       spoil_times,
          spoil_times_format, spoil_times_order, spoil_times_value, spoil_prn_fields, spoil_kind };
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  g_autoptr (WkOrder) prn = NULL;
  g_autoptr (WkOrder) orphan = NULL;

  g_assert_true (wk_patient_insert (model, patient, &error));
  for (gsize i = 0; i < G_N_ELEMENTS (spoils); i++)
    {
      g_autoptr (WkOrder) order = wk_test_order_new (patient->id, "ORD9", 1);

      spoils[i](order);
      g_assert_false (wk_order_insert (model, order, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_cmpuint (count_rows (model, "med_order"), ==, 0);

  /* An as-required order needs no due times and carries its own limits. */
  prn = wk_test_order_new (patient->id, "ORD10", 1);
  prn->kind = WK_ORDER_PRN;
  g_clear_pointer (&prn->admin_times, g_free);
  prn->prn_indication = g_strdup ("Pain");
  prn->prn_max_24h = 4000;
  prn->min_interval_min = 240;
  g_assert_true (wk_order_insert (model, prn, &error));
  g_assert_no_error (error);

  /* An order for a patient not in the model is refused by the model's rules. */
  orphan = wk_test_order_new (4242, "ORD11", 1);
  g_assert_false (wk_order_insert (model, orphan, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
}

static void
test_administration (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  g_autoptr (WkOrder) order = NULL;
  g_autoptr (WkAdministration) first = wk_administration_new ("ORD1", 1);
  g_autoptr (WkAdministration) second = wk_administration_new ("ORD1", 1);
  g_autoptr (WkAdministration) refused = wk_administration_new ("ORD1", 1);
  g_autoptr (WkAdministration) unknown = wk_administration_new ("ORD1", 7);
  g_autoptr (WkAdministration) last = NULL;
  g_autoptr (GPtrArray) list = NULL;

  g_assert_true (wk_patient_insert (model, patient, &error));
  order = wk_test_order_new (patient->id, "ORD1", 1);
  g_assert_true (wk_order_insert (model, order, &error));
  g_assert_null (wk_administration_load_last_given (model, "ORD1", &error));
  g_assert_no_error (error);

  first->at = 1767247200;
  first->given = TRUE;
  first->dose = 1000;
  first->dose_unit = g_strdup ("mg");
  first->by_whom = g_strdup ("AB");
  first->external_id = g_strdup ("RXA-1");
  g_assert_true (wk_administration_insert (model, first, &error));
  g_assert_no_error (error);

  /* Not given: a reason is required, and a dose is not allowed. */
  second->at = 1767268800;
  second->given = FALSE;
  g_assert_false (wk_administration_insert (model, second, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  second->reason = g_strdup ("Patient refused");
  g_assert_true (wk_administration_insert (model, second, &error));

  /* Given without a dose; against an order version the model does not have; the same
   * record twice: each refused. */
  refused->at = 1767268800;
  refused->given = TRUE;
  g_assert_false (wk_administration_insert (model, refused, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  unknown->at = 1767268800;
  unknown->given = TRUE;
  unknown->dose = 1000;
  g_assert_false (wk_administration_insert (model, unknown, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  first->id = 0;
  g_assert_false (wk_administration_insert (model, first, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "already recorded"));
  g_clear_error (&error);

  list = wk_administration_load_for_order (model, "ORD1", &error);
  g_assert_cmpuint (list->len, ==, 2);
  last = wk_administration_load_last_given (model, "ORD1", &error);
  g_assert_nonnull (last);
  g_assert_cmpint (last->at, ==, 1767247200); /* the later one was not given */
  g_assert_cmpstr (last->by_whom, ==, "AB");
  g_assert_cmpfloat (last->dose, ==, 1000);

  /* Removing the patient removes their orders and administrations. */
  g_assert_true (wk_patient_delete (model, patient->id, &error));
  g_assert_cmpuint (count_rows (model, "med_order"), ==, 0);
  g_assert_cmpuint (count_rows (model, "administration"), ==, 0);
}

static void
count_changes_cb (WkModel *model, gpointer user_data)
{
  (*(guint *)user_data)++;
}

static void
test_transaction (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  g_autoptr (WkPatient) second = wk_test_patient_new (1);
  g_autoptr (WkOrder) order = NULL;
  guint   changes = 0;
  guint64 generation = wk_model_get_generation (model);

  wk_model_set_changed_func (model, count_changes_cb, &changes);

  /* All or nothing: a rolled-back change leaves no trace and tells nobody. */
  g_assert_true (wk_model_begin (model, &error));
  g_assert_true (wk_patient_insert (model, patient, &error));
  order = wk_test_order_new (patient->id, "ORD1", 1);
  g_assert_true (wk_order_insert (model, order, &error));
  wk_model_rollback (model);
  g_assert_cmpuint (count_rows (model, "patient"), ==, 0);
  g_assert_cmpuint (count_rows (model, "med_order"), ==, 0);
  g_assert_cmpuint (changes, ==, 0);
  g_assert_cmpuint (wk_model_get_generation (model), ==, generation);

  /* Nested transactions: one notification when the outermost commits. */
  patient->id = 0;
  g_assert_true (wk_model_begin (model, &error));
  g_assert_true (wk_patient_insert (model, patient, &error));
  g_assert_true (wk_model_begin (model, &error));
  g_assert_true (wk_patient_insert (model, second, &error));
  g_assert_true (wk_model_commit (model, &error));
  g_assert_cmpuint (changes, ==, 0);
  g_assert_true (wk_model_commit (model, &error));
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (wk_model_get_generation (model), ==, generation + 1);
  g_assert_cmpuint (count_rows (model, "patient"), ==, 2);

  /* Outside a transaction each change notifies; a refused change does not. */
  g_assert_true (wk_model_set_meta (model, "ward_id", "7A", &error));
  g_assert_cmpuint (changes, ==, 2);
  second->id = 0;
  g_assert_false (wk_patient_insert (model, second, &error));
  g_clear_error (&error);
  g_assert_cmpuint (changes, ==, 2);
}

static WkModel *
build_sample (guint n_patients)
{
  g_autoptr (GError) error = NULL;
  WkModel *model = wk_test_model_new_ward ("7A", n_patients);
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, "7A", &error);

  for (guint i = 0; i < n_patients; i++)
    {
      g_autoptr (WkPatient) patient = wk_test_patient_new (i);
      g_autoptr (WkOrder) order = NULL;
      g_autoptr (WkAllergy) allergy = NULL;
      g_autofree char *placer = g_strdup_printf ("ORD%u", i);

      patient->bed_id = ((WkBed *)beds->pdata[i])->id;
      g_assert_true (wk_patient_insert (model, patient, &error));
      order = wk_test_order_new (patient->id, placer, 1);
      g_assert_true (wk_order_insert (model, order, &error));
      allergy = wk_allergy_new (patient->id, "Penicillin");
      g_assert_true (wk_allergy_insert (model, allergy, &error));
      g_assert_no_error (error);
    }
  return model;
}

static void
test_serialize_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = build_sample (12);
  g_autoptr (WkModel) copy = NULL;
  g_autoptr (GPtrArray) patients = NULL;
  g_autoptr (GPtrArray) copied = NULL;
  g_autoptr (WkPatient) extra = wk_test_patient_new (99);
  gsize   size = 0;
  guint8 *data;

  g_assert_true (wk_model_set_meta (model, "ward_id", "7A", &error));
  data = wk_model_serialize (model, &size, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (size, >, 0);
  copy = wk_model_new_from_serialized (data, size, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (wk_model_is_read_only (copy));

  patients = wk_patient_load_all (model, &error);
  copied = wk_patient_load_all (copy, &error);
  g_assert_cmpuint (copied->len, ==, patients->len);
  for (guint i = 0; i < patients->len; i++)
    {
      WkPatient *a = patients->pdata[i], *b = copied->pdata[i];

      g_assert_cmpstr (a->nhs_number, ==, b->nhs_number);
      g_assert_cmpstr (a->family_name, ==, b->family_name);
      g_assert_cmpint (a->bed_id, ==, b->bed_id);
      g_assert_cmpint (b->allergy_status, ==, WK_ALLERGY_STATUS_RECORDED);
    }
  g_assert_cmpuint (count_rows (copy, "med_order"), ==, 12);
  {
    g_autofree char *ward = wk_model_dup_meta (copy, "ward_id");

    g_assert_cmpstr (ward, ==, "7A");
  }

  /* A model loaded from a snapshot refuses changes, saying so. */
  g_assert_false (wk_patient_insert (copy, extra, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "read-only"));
}

static void
test_serialize_refusals (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = build_sample (2);
  guint8 *garbage = sqlite3_malloc64 (4096);
  guint8 *data;
  gsize   size = 0;

  /* Not a database at all. */
  memset (garbage, 0x5a, 4096);
  g_assert_null (wk_model_new_from_serialized (garbage, 4096, TRUE, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT);
  g_clear_error (&error);

  /* A schema newer than this program: refused, not misread. */
  g_assert_cmpint (
      sqlite3_exec (_wk_model_get_db (model), "PRAGMA user_version = 99", NULL, NULL, NULL), ==,
      SQLITE_OK);
  data = wk_model_serialize (model, &size, &error);
  g_assert_null (wk_model_new_from_serialized (data, size, FALSE, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_UNSUPPORTED_VERSION);
  g_assert_nonnull (strstr (error->message, "99"));
}

/* Steps one SQL statement on the model's database; returns SQLite's extended code. */
static int
raw_sql (WkModel *model, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  int           rc = sqlite3_prepare_v2 (_wk_model_get_db (model), sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        rc = sqlite3_extended_errcode (_wk_model_get_db (model));
    }
  sqlite3_finalize (stmt);
  return rc;
}

/* How many temporary b-trees (OpenEphemeral) the statement builds each time it runs. */
static guint
count_temporary_tables (WkModel *model, const char *sql)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN ", sql, NULL);
  sqlite3_stmt    *stmt = NULL;
  guint            n = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (_wk_model_get_db (model), explain, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    n += g_strcmp0 ((const char *)sqlite3_column_text (stmt, 1), "OpenEphemeral") == 0;
  sqlite3_finalize (stmt);
  return n;
}

/* Schema 3 rewrote the coded-value checks (x IN (...) as x = ... OR ...): the same rules,
 * also on a model migrated from schema 2, and no temporary table on any write. */
static void
test_value_checks (void)
{
  static const char *const tables[]
      = { "ward", "bed", "patient", "allergy", "med_order", "administration", "feed_message" };

  static const struct
  {
    const char *set, *bad, *good;
  } rules[] = {
    { "UPDATE patient SET sex = '%s'", "unknow", "other" },
    { "UPDATE patient SET allergy_status = '%s'", "none", "none-known" },
    { "UPDATE patient SET stay = '%s'", "gone", "discharged" },
    { "UPDATE allergy SET category = '%s'", "drugs", "food" },
    { "UPDATE allergy SET severity = '%s'", "fatal", "severe" },
    { "UPDATE med_order SET kind = '%s'", "stat", "once" },
    { "UPDATE med_order SET status = '%s'", "stopped", "held" },
    { "UPDATE med_order SET order_control = '%s'", "SC", "RL" },
    { "UPDATE feed_message SET ack_code = '%s'", "CA", "AE" },
  };

  g_autoptr (GError) error = NULL;
  sqlite3      *old = NULL;
  guint8       *image;
  sqlite3_int64 size = 0;
  g_autoptr (WkModel) model = NULL;

  /* A model at schema 2, as an older wardkeep wrote it, with a row in each table. */
  g_assert_cmpint (sqlite3_open (":memory:", &old), ==, SQLITE_OK);
  for (int i = 1; i <= 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/org/wardkeep/snapshot/schema/%04d-%s.sql", i,
                                               i == 1 ? "ward-model" : "feed");
      g_autoptr (GBytes) sql = g_resources_lookup_data (path, 0, &error);

      g_assert_no_error (error);
      g_assert_cmpint (sqlite3_exec (old, g_bytes_get_data (sql, NULL), NULL, NULL, NULL), ==,
                       SQLITE_OK);
    }
  g_assert_cmpint (
      sqlite3_exec (old,
                    "PRAGMA user_version = 2;"
                    "INSERT INTO ward VALUES ('7A', 'Ward 7A');"
                    "INSERT INTO patient (id, nhs_number, family_name, updated_at) "
                    "VALUES (1, '9990000018', 'Tester', 1);"
                    "INSERT INTO allergy (patient_id, substance) VALUES (1, 'Penicillin');"
                    "INSERT INTO med_order (patient_id, placer_id, version, kind, drug, dose, "
                    "dose_unit, route, admin_times, start_at, order_control) VALUES (1, 'RX1', 1, "
                    "'regular', 'Paracetamol', 1000, 'mg', 'oral', '08:00', 1, 'NW');"
                    "INSERT INTO feed_message VALUES ('C1', '0123456789abcdef0123456789abcdef', "
                    "'AA', NULL, 1);",
                    NULL, NULL, NULL),
      ==, SQLITE_OK);
  image = sqlite3_serialize (old, "main", &size, 0);
  sqlite3_close (old);
  model = wk_model_new_from_serialized (image, size, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wk_model_get_schema_version (model), ==, WK_MODEL_SCHEMA_VERSION);
  g_assert_cmpuint (count_rows (model, "med_order"), ==, 1);
  {
    sqlite3_stmt *check = NULL;

    g_assert_cmpint (
        sqlite3_prepare_v2 (_wk_model_get_db (model), "PRAGMA integrity_check", -1, &check, NULL),
        ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (check), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *)sqlite3_column_text (check, 0), ==, "ok");
    sqlite3_finalize (check);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autofree char *bad = g_strdup_printf (rules[i].set, rules[i].bad);
      g_autofree char *good = g_strdup_printf (rules[i].set, rules[i].good);

      g_test_message ("%s", bad);
      g_assert_cmpint (raw_sql (model, bad), ==, SQLITE_CONSTRAINT_CHECK);
      g_assert_cmpint (raw_sql (model, good), ==, SQLITE_DONE);
    }
  /* NULL passes as before where the column takes it. */
  g_assert_cmpint (raw_sql (model, "UPDATE med_order SET order_control = NULL"), ==, SQLITE_DONE);
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *insert = g_strdup_printf ("INSERT INTO %s DEFAULT VALUES", tables[i]);

      g_assert_cmpuint (count_temporary_tables (model, insert), ==, 0);
    }
}

/* Whether a patient's orders may be missing (arrived from a ward not kept) is kept with
 * the patient, and survives a merge. */
static void
test_patient_arrival (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 2);
  g_autoptr (WkPatient) arrived = wk_test_patient_new (1);
  g_autoptr (WkPatient) other = wk_test_patient_new (2);
  g_autoptr (WkPatient) loaded = NULL;

  g_assert_false (wk_patient_orders_may_be_missing (other));
  arrived->arrival = WK_ARRIVAL_TRANSFER;
  arrived->arrived_at = 1767225600;
  arrived->arrived_from = g_strdup ("8B");
  g_assert_true (wk_patient_insert (model, arrived, &error));
  g_assert_no_error (error);
  loaded = wk_patient_load (model, arrived->id, &error);
  g_assert_true (wk_patient_orders_may_be_missing (loaded));
  g_assert_cmpint (loaded->arrival, ==, WK_ARRIVAL_TRANSFER);
  g_assert_cmpint (loaded->arrived_at, ==, 1767225600);
  g_assert_cmpstr (loaded->arrived_from, ==, "8B");
  g_assert_cmpstr (wk_arrival_to_string (loaded->arrival), ==, "transfer");
  g_clear_pointer (&loaded, wk_patient_free);

  /* The survivor of a merge may miss the merged record's orders too. */
  g_assert_true (wk_patient_insert (model, other, &error));
  g_assert_true (wk_patient_merge (model, other->id, arrived->id, &error));
  g_assert_no_error (error);
  loaded = wk_patient_load (model, other->id, &error);
  g_assert_cmpint (loaded->arrival, ==, WK_ARRIVAL_TRANSFER);
  g_assert_cmpstr (loaded->arrived_from, ==, "8B");

  /* Cleared: nothing of the arrival is kept. */
  loaded->arrival = WK_ARRIVAL_NONE;
  g_assert_true (wk_patient_update (model, loaded, &error));
  g_clear_pointer (&loaded, wk_patient_free);
  loaded = wk_patient_load (model, other->id, &error);
  g_assert_false (wk_patient_orders_may_be_missing (loaded));
  g_assert_cmpint (loaded->arrived_at, ==, 0);
  g_assert_null (loaded->arrived_from);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/model/schema/version", test_schema_version);
  g_test_add_func ("/model/ward/insert-load", test_ward);
  g_test_add_func ("/model/bed/natural-order", test_bed_order);
  g_test_add_func ("/model/bed/closed", test_closed_bed);
  g_test_add_func ("/model/patient/round-trip", test_patient_round_trip);
  g_test_add_func ("/model/patient/invalid", test_patient_invalid);
  g_test_add_func ("/model/patient/arrival", test_patient_arrival);
  g_test_add_func ("/model/patient/unique-identifiers", test_patient_unique_identifiers);
  g_test_add_func ("/model/patient/one-per-bed", test_one_patient_per_bed);
  g_test_add_func ("/model/allergy/status", test_allergy_status);
  g_test_add_func ("/model/order/versions", test_order_versions);
  g_test_add_func ("/model/order/invalid", test_order_invalid);
  g_test_add_func ("/model/administration/rules", test_administration);
  g_test_add_func ("/model/transaction/all-or-nothing", test_transaction);
  g_test_add_func ("/model/serialize/round-trip", test_serialize_round_trip);
  g_test_add_func ("/model/serialize/refusals", test_serialize_refusals);
  g_test_add_func ("/model/schema/value-checks", test_value_checks);

  return g_test_run ();
}
