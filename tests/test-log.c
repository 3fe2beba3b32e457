/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-log.c — patient identifiers never reach a log line. */

#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-log.h"
#include "wk-model.h"
#include "wk-nhs-number.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-test-util.h"

#include <string.h>

static GString *captured;

static void
capture_cb (GLogLevelFlags level, const char *domain, const char *message, gpointer user_data)
{
  g_string_append_printf (captured, "%s\n", message);
}

static void
test_redact (void)
{
  const struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "patient 9990000018 moved", "patient [redacted] moved" },
    { "patient 999 000 0018 moved", "patient [redacted] moved" },
    { "patient 999-000-0018", "patient [redacted]" },
    { "x9990000018y", "x[redacted]y" },
    /* Not NHS-number-shaped: left alone. */
    { "patient #12 in bed 4, 3 orders", "patient #12 in bed 4, 3 orders" },
    { "snapshot 123456789 (9 digits)", "snapshot 123456789 (9 digits)" },
    { "id 99900000181 is eleven digits", "id 99900000181 is eleven digits" },
    { "999 000 00189", "999 000 00189" },
    { "999 000-0018", "999 000-0018" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = wk_log_redact (cases[i].in);

      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

static void
test_writer_redacts (void)
{
  g_string_truncate (captured, 0);
  g_message ("A careless line naming 9990000018");
  g_assert_null (strstr (captured->str, "9990000018"));
  g_assert_nonnull (strstr (captured->str, "A careless line naming [redacted]"));
}

/* Drives the model through successes and refusals with debug logging on, then checks
 * that no identifier of the sentinel patient appears in anything logged. */
static void
test_model_logs_no_identifiers (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 3);
  g_autoptr (WkPatient) sentinel = wk_test_patient_new (7);
  g_autoptr (WkPatient) twin = NULL;
  g_autoptr (WkOrder) order = NULL;
  g_autoptr (WkAllergy) allergy = NULL;
  g_autofree char *formatted = NULL;
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, "7A", NULL);

  g_string_truncate (captured, 0);
  wk_log_set_debug (TRUE);
  g_free (sentinel->family_name);
  sentinel->family_name = g_strdup ("ZZSENTINELNAME");
  g_free (sentinel->given_names);
  sentinel->given_names = g_strdup ("Qwertyuiop");
  sentinel->bed_id = ((WkBed *)beds->pdata[0])->id;
  g_assert_true (wk_patient_insert (model, sentinel, &error));
  order = wk_test_order_new (sentinel->id, "ORD1", 1);
  g_assert_true (wk_order_insert (model, order, &error));
  allergy = wk_allergy_new (sentinel->id, "Penicillin");
  g_assert_true (wk_allergy_insert (model, allergy, &error));

  /* Refusals log too, when their callers log the errors, as daemons do. */
  twin = wk_patient_copy (sentinel);
  twin->id = 0;
  g_assert_false (wk_patient_insert (model, twin, &error));
  g_message ("refused: %s", error->message);
  g_clear_error (&error);
  twin->nhs_number[9] = twin->nhs_number[9] == '0' ? '1' : '0';
  g_assert_false (wk_patient_insert (model, twin, &error));
  g_message ("refused: %s", error->message);
  g_clear_error (&error);
  g_debug ("patient #%" G_GINT64_FORMAT " admitted", sentinel->id);
  wk_log_set_debug (FALSE);

  formatted = wk_nhs_number_format (sentinel->nhs_number);
  g_assert_nonnull (strstr (captured->str, "admitted"));
  g_assert_null (strstr (captured->str, sentinel->nhs_number));
  g_assert_null (strstr (captured->str, twin->nhs_number));
  g_assert_null (strstr (captured->str, formatted));
  g_assert_null (strstr (captured->str, sentinel->hospital_number));
  g_assert_null (strstr (captured->str, "ZZSENTINELNAME"));
  g_assert_null (strstr (captured->str, "Qwertyuiop"));
  g_assert_null (strstr (captured->str, sentinel->birth_date));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  wk_log_init ("test-log");
  captured = g_string_new (NULL);
  wk_log_set_tap (capture_cb, NULL);

  g_test_add_func ("/log/redact", test_redact);
  g_test_add_func ("/log/writer-redacts", test_writer_redacts);
  g_test_add_func ("/log/model-logs-no-identifiers", test_model_logs_no_identifiers);

  return g_test_run ();
}
