/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-util.c — synthetic ward data and helpers shared by the tests.
 * Every NHS number made here is in the 999 test range; every name is invented. */

#include "wk-test-util.h"

#include "wk-bed.h"
#include "wk-nhs-number.h"
#include "wk-ward.h"

#include <glib/gstdio.h>

/**
 * wk_test_nhs_number:
 * @n: which number (0, 1, 2, ...)
 *
 * Returns: (transfer full): the @n-th valid NHS number of the 999 test range
 */
char *
wk_test_nhs_number (guint n)
{
  guint seen = 0;

  for (guint body = 0; body < 1000000; body++)
    {
      char digits[11];
      int  sum = 0, check;

      g_snprintf (digits, sizeof digits, "999%06u", body);
      for (int i = 0; i < 9; i++)
        sum += (digits[i] - '0') * (10 - i);
      check = (11 - sum % 11) % 11;
      if (check == 10)
        continue;
      digits[9] = '0' + check;
      digits[10] = '\0';
      if (seen++ == n)
        {
          g_assert_true (wk_nhs_number_validate (digits, NULL));
          return g_strdup (digits);
        }
    }
  g_assert_not_reached ();
}

/**
 * wk_test_model_new_ward:
 * @ward_id: the ward
 * @n_beds: how many open beds, in bays of six ("BAY1"/"1" ... )
 *
 * Returns: (transfer full): a model with one ward and its empty beds
 */
WkModel *
wk_test_model_new_ward (const char *ward_id, guint n_beds)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_model_new (&error);

  g_assert_no_error (error);
  g_assert_true (wk_ward_ensure (model, ward_id, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n_beds; i++)
    {
      g_autofree char *bay = g_strdup_printf ("BAY%u", i / 6 + 1);
      g_autofree char *bed = g_strdup_printf ("%u", i % 6 + 1);

      g_assert_cmpint (wk_bed_ensure (model, ward_id, bay, bed, &error), >, 0);
      g_assert_no_error (error);
    }
  return g_steal_pointer (&model);
}

/**
 * wk_test_patient_new:
 * @n: which patient
 *
 * Returns: (transfer full): an invented admitted patient with a test-range NHS number
 */
WkPatient *
wk_test_patient_new (guint n)
{
  static const char *const family[] = { "TESTER", "SAMPLE", "EXAMPLE", "DUMMY", "PLACEHOLDER" };
  static const char *const given[] = { "Alex", "Sam", "Jo", "Chris", "Robin", "Kim" };
  WkPatient               *patient = wk_patient_new ();

  patient->nhs_number = wk_test_nhs_number (n);
  patient->hospital_number = g_strdup_printf ("RX%07u", n + 1);
  patient->family_name = g_strdup_printf ("%s%u", family[n % G_N_ELEMENTS (family)], n);
  patient->given_names = g_strdup (given[n % G_N_ELEMENTS (given)]);
  patient->birth_date = g_strdup_printf ("%04u-%02u-%02u", 1930 + n % 70, n % 12 + 1, n % 28 + 1);
  patient->sex = n % 2 ? WK_SEX_MALE : WK_SEX_FEMALE;
  patient->stay = WK_STAY_ADMITTED;
  return patient;
}

/**
 * wk_test_order_new:
 * @patient_id: the patient
 * @placer_id: the placer order number
 * @version: the version
 *
 * Returns: (transfer full): a valid regular paracetamol order, four times a day
 */
WkOrder *
wk_test_order_new (gint64 patient_id, const char *placer_id, int version)
{
  WkOrder *order = wk_order_new ();

  order->patient_id = patient_id;
  order->placer_id = g_strdup (placer_id);
  order->version = version;
  order->kind = WK_ORDER_REGULAR;
  order->dmd_code = g_strdup ("322236009");
  order->drug = g_strdup ("Paracetamol 500mg tablets");
  order->dose = 1000;
  order->dose_unit = g_strdup ("mg");
  order->route = g_strdup ("oral");
  order->frequency = g_strdup ("QDS");
  order->admin_times = g_strdup ("06:00,12:00,18:00,22:00");
  order->start_at = 1767225600; /* 2026-01-01T00:00:00Z */
  order->prescriber = g_strdup ("Dr Invented");
  return order;
}

/**
 * wk_test_scratch_dir:
 *
 * A folder of the current test's own, removed when the test ends (it lives inside the
 * directories G_TEST_OPTION_ISOLATE_DIRS makes per test), so that tests running at the
 * same time never share files.
 *
 * Returns: (transfer full): the folder's path; it exists
 */
char *
wk_test_scratch_dir (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "scratch", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return g_steal_pointer (&dir);
}

/**
 * wk_test_scratch_path:
 * @name: a file or folder name
 *
 * Returns: (transfer full): @name inside wk_test_scratch_dir()
 */
char *
wk_test_scratch_path (const char *name)
{
  g_autofree char *dir = wk_test_scratch_dir ();

  return g_build_filename (dir, name, NULL);
}

/**
 * wk_test_build_path:
 * @first: the first element below the build folder
 *
 * Returns: (transfer full): a path inside the project's build folder (WK_BUILD_DIR)
 */
char *
wk_test_build_path (const char *first, ...)
{
  const char *top = g_getenv ("WK_BUILD_DIR");
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_assert_nonnull (top);
  g_ptr_array_add (parts, (gpointer)top);
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer)p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **)parts->pdata);
}
