/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-ward.c — a populated synthetic ward and kiosk keys for the paper tests.
 * Every patient is invented, with an NHS number of the 999 test range. */

#include "wk-test-ward.h"

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-order.h"
#include "wk-test-util.h"
#include "wk-ward.h"

#include <glib/gstdio.h>
#include <string.h>

/**
 * wk_test_keys_new:
 * @fill: the byte the master key is made of (one kiosk per value)
 *
 * Returns: (transfer full): kiosk keys derived from a fixed master key
 */
WkKeys *
wk_test_keys_new (guint8 fill)
{
  guint8 master[WK_KEYS_MASTER_SIZE];
  g_autoptr (GError) error = NULL;
  WkKeys *keys;

  memset (master, fill, sizeof master);
  keys = wk_keys_new_from_master (master, sizeof master, &error);
  g_assert_no_error (error);
  return keys;
}

/**
 * wk_test_chart_options:
 * @options: (out caller-allocates): options for the test ward, data as of
 *   %WK_TEST_SNAPSHOT_AT, printed at %WK_TEST_PRINTED_AT, snapshot 42
 */
void
wk_test_chart_options (WkChartOptions *options)
{
  wk_chart_options_init (options);
  options->ward_id = WK_TEST_WARD;
  options->timezone = "Europe/London";
  options->snapshot_seq = 42;
  options->snapshot_at = WK_TEST_SNAPSHOT_AT;
  options->printed_at = WK_TEST_PRINTED_AT;
}

/**
 * wk_test_ward_bed:
 * @model: a model from wk_test_ward_new()
 * @index: which bed in ward order, from 0
 *
 * Returns: the bed's model id
 */
gint64
wk_test_ward_bed (WkModel *model, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, WK_TEST_WARD, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (index, <, beds->len);
  return ((WkBed *)beds->pdata[index])->id;
}

/**
 * wk_test_ward_admit:
 * @model: a model
 * @n: which invented patient (wk_test_patient_new())
 * @bed_id: the bed, 0 for none
 * @allergies: what is recorded about allergies; %WK_ALLERGY_STATUS_RECORDED adds two
 *
 * Returns: the patient's model id
 */
gint64
wk_test_ward_admit (WkModel *model, guint n, gint64 bed_id, WkAllergyStatus allergies)
{
  g_autoptr (WkPatient) patient = wk_test_patient_new (n);
  g_autoptr (GError) error = NULL;

  patient->bed_id = bed_id;
  patient->ward_id = g_strdup (WK_TEST_WARD);
  patient->weight_kg = 50 + n % 40 + 0.5;
  patient->weight_at = WK_TEST_SNAPSHOT_AT - 3 * 86400;
  patient->consultant = g_strdup (n % 2 ? "Dr Imaginary" : "Dr Fictional");
  patient->allergy_status
      = allergies == WK_ALLERGY_STATUS_RECORDED ? WK_ALLERGY_STATUS_NOT_RECORDED : allergies;
  patient->admitted_at = WK_TEST_SNAPSHOT_AT - 5 * 86400;
  wk_patient_insert (model, patient, &error);
  g_assert_no_error (error);
  if (allergies == WK_ALLERGY_STATUS_RECORDED)
    {
      g_autoptr (WkAllergy) penicillin = wk_allergy_new (patient->id, "Penicillin");
      g_autoptr (WkAllergy) latex = wk_allergy_new (patient->id, "Latex");

      penicillin->reaction = g_strdup ("anaphylaxis");
      penicillin->severity = WK_SEVERITY_SEVERE;
      latex->reaction = g_strdup ("rash");
      latex->severity = WK_SEVERITY_MILD;
      latex->category = WK_ALLERGY_ENVIRONMENT;
      wk_allergy_insert (model, penicillin, &error);
      g_assert_no_error (error);
      wk_allergy_insert (model, latex, &error);
      g_assert_no_error (error);
      patient->allergy_status = WK_ALLERGY_STATUS_RECORDED;
      wk_patient_update (model, patient, &error);
      g_assert_no_error (error);
    }
  return patient->id;
}

static void
insert_order (WkModel *model, WkOrder *order)
{
  g_autoptr (GError) error = NULL;

  wk_order_insert (model, order, &error);
  g_assert_no_error (error);
}

static void
give (WkModel *model, const WkOrder *order, gint64 at, double dose)
{
  g_autoptr (WkAdministration) given = wk_administration_new (order->placer_id, order->version);
  g_autoptr (GError) error = NULL;

  given->at = at;
  given->given = TRUE;
  given->dose = dose;
  given->dose_unit = g_strdup (order->dose_unit);
  given->by_whom = g_strdup ("AB");
  wk_administration_insert (model, given, &error);
  g_assert_no_error (error);
}

/**
 * wk_test_ward_add_usual_orders:
 * @model: a model
 * @patient_id: the patient
 * @n: the patient's number, which makes the placer ids unique ("P<n>-...")
 *
 * Gives a patient a typical medical inpatient's orders: five regular (one held, one a
 * course ending tomorrow), two as required, one once only, one stopped an hour before
 * the data time and one stopped a week before (which no chart prints).
 */
void
wk_test_ward_add_usual_orders (WkModel *model, gint64 patient_id, guint n)
{
  static const struct
  {
    const char *suffix, *drug, *unit, *route, *frequency, *times;
    double      dose, dose_max;
    WkOrderKind kind;
  } usual[] = {
    { "PARA", "Paracetamol 500mg tablets", "mg", "oral", "QDS", "06:00,12:00,18:00,22:00", 1000, 0,
      WK_ORDER_REGULAR },
    { "RAMI", "Ramipril 2.5mg capsules", "mg", "oral", "OD", "08:00", 2.5, 0, WK_ORDER_REGULAR },
    { "METF", "Metformin 500mg tablets", "mg", "oral", "BD", "08:00,18:00", 500, 0,
      WK_ORDER_REGULAR },
    { "AMOX", "Amoxicillin 500mg capsules", "mg", "oral", "TDS", "06:00,14:00,22:00", 500, 0,
      WK_ORDER_REGULAR },
    { "DALT", "Dalteparin 5,000units/0.2ml injection", "units", "SC", "OD", "18:00", 5000, 0,
      WK_ORDER_REGULAR },
    { "MORP", "Morphine sulfate 10mg/5ml oral solution", "mg", "oral", NULL, NULL, 2.5, 5,
      WK_ORDER_PRN },
    { "ONDA", "Ondansetron 4mg tablets", "mg", "oral", NULL, NULL, 4, 0, WK_ORDER_PRN },
    { "CEFT", "Ceftriaxone 1g powder for solution for injection", "g", "IV", NULL, NULL, 1, 0,
      WK_ORDER_ONCE },
    { "FURO", "Furosemide 40mg tablets", "mg", "oral", "OM", "08:00", 40, 0, WK_ORDER_REGULAR },
    { "SIMV", "Simvastatin 40mg tablets", "mg", "oral", "ON", "22:00", 40, 0, WK_ORDER_REGULAR },
  };

  for (guint i = 0; i < G_N_ELEMENTS (usual); i++)
    {
      g_autofree char *placer = g_strdup_printf ("P%u-%s", n, usual[i].suffix);
      g_autoptr (WkOrder) order = wk_test_order_new (patient_id, placer, 1);

      g_free (order->drug);
      order->drug = g_strdup (usual[i].drug);
      g_free (order->dose_unit);
      order->dose_unit = g_strdup (usual[i].unit);
      g_free (order->route);
      order->route = g_strdup (usual[i].route);
      g_clear_pointer (&order->frequency, g_free);
      order->frequency = g_strdup (usual[i].frequency);
      g_clear_pointer (&order->admin_times, g_free);
      order->admin_times = g_strdup (usual[i].times);
      order->dose = usual[i].dose;
      order->dose_max = usual[i].dose_max;
      order->kind = usual[i].kind;
      order->start_at = WK_TEST_SNAPSHOT_AT - 2 * 86400;
      if (usual[i].kind == WK_ORDER_PRN)
        {
          order->prn_indication = g_strdup (i == 5 ? "pain" : "nausea or vomiting");
          order->min_interval_min = i == 5 ? 240 : 480;
          order->prn_max_24h = i == 5 ? 20 : 16;
        }
      if (usual[i].kind == WK_ORDER_ONCE)
        {
          order->start_at = WK_TEST_SNAPSHOT_AT + 3 * 3600;
          order->instructions = g_strdup ("Give over 5 minutes before the CT scan");
        }
      if (i == 3)
        order->stop_at = WK_TEST_SNAPSHOT_AT + 86400 + 7 * 3600;
      if (i == 0)
        order->instructions = g_strdup ("Check no other paracetamol-containing products taken");
      insert_order (model, order);

      if (i == 0 || i == 2 || i == 5)
        give (model, order, WK_TEST_SNAPSHOT_AT - 4 * 3600 - 13 * 60, order->dose);
      if (i == 4)
        g_assert_true (wk_order_set_status (model, placer, WK_ORDER_HELD,
                                            WK_TEST_SNAPSHOT_AT - 6 * 3600, NULL));
      if (i == 8)
        g_assert_true (wk_order_set_status (model, placer, WK_ORDER_DISCONTINUED,
                                            WK_TEST_SNAPSHOT_AT - 3600, NULL));
      if (i == 9)
        g_assert_true (wk_order_set_status (model, placer, WK_ORDER_DISCONTINUED,
                                            WK_TEST_SNAPSHOT_AT - 7 * 86400, NULL));
    }
}

/**
 * wk_test_ward_new:
 * @n_beds: how many beds, in bays of six
 *
 * Ward 7A, "Ward 7A — Acute Medicine", beds in bays of six ("BAY1" bed "1" ...), as a
 * night shift finds it: every bed occupied but the third (empty) and the
 * fifth (closed); allergy status by turn: recorded, none known, not recorded; each
 * patient with wk_test_ward_add_usual_orders().
 *
 * Returns: (transfer full): the model
 */
WkModel *
wk_test_ward_new (guint n_beds)
{
  g_autoptr (WkModel) model = wk_model_new (NULL);
  g_autoptr (GError) error = NULL;
  static const WkAllergyStatus statuses[]
      = { WK_ALLERGY_STATUS_RECORDED, WK_ALLERGY_STATUS_NONE_KNOWN,
          WK_ALLERGY_STATUS_NOT_RECORDED };

  wk_ward_ensure (model, WK_TEST_WARD, "Ward 7A — Acute Medicine", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_beds; i++)
    {
      g_autofree char *bay = g_strdup_printf ("BAY%u", i / 6 + 1);
      g_autofree char *bed = g_strdup_printf ("%u", i % 6 + 1);

      wk_bed_ensure (model, WK_TEST_WARD, bay, bed, &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n_beds; i++)
    {
      gint64 bed = wk_test_ward_bed (model, i);
      gint64 patient;

      if (i == 2)
        continue;
      if (i == 4)
        {
          g_assert_true (wk_bed_set_closed (model, bed, TRUE, &error));
          continue;
        }
      patient = wk_test_ward_admit (model, i, bed, statuses[i % 3]);
      wk_test_ward_add_usual_orders (model, patient, i);
    }
  return g_steal_pointer (&model);
}

/**
 * wk_test_pdf_to_text:
 * @pdf: a PDF
 * @size: its size
 * @page: one page (from 1), or 0 for all
 * @layout: %TRUE to keep the page's layout (rows stay rows); %FALSE for reading order
 *   with every run of white space made one space, so that wrapped text reads whole
 *
 * Runs pdftotext (poppler-utils) on @pdf in the test's scratch folder.
 *
 * Returns: (transfer full): the text
 */
char *
wk_test_pdf_to_text (const guint8 *pdf, gsize size, int page, gboolean layout)
{
  g_autofree char *path = wk_test_scratch_path ("text.pdf");
  g_autofree char *first = g_strdup_printf ("%d", page != 0 ? page : 1);
  g_autofree char *last = g_strdup_printf ("%d", page);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  int              status;

  g_assert_true (g_file_set_contents (path, (const char *)pdf, size, &error));
  g_ptr_array_add (argv, "pdftotext");
  if (layout)
    g_ptr_array_add (argv, "-layout");
  g_ptr_array_add (argv, "-enc");
  g_ptr_array_add (argv, "UTF-8");
  g_ptr_array_add (argv, "-f");
  g_ptr_array_add (argv, first);
  if (page != 0)
    {
      g_ptr_array_add (argv, "-l");
      g_ptr_array_add (argv, last);
    }
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, "-");
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (path);
  if (!layout)
    {
      g_autoptr (GRegex) space = g_regex_new ("\\s+", 0, 0, NULL);

      return g_regex_replace_literal (space, out, -1, 0, " ", 0, NULL);
    }
  return g_steal_pointer (&out);
}

/**
 * wk_test_pdf_count_grey:
 * @pdf: a PDF
 * @size: its size
 * @page: the page, from 1
 *
 * Renders a page at 50 dpi in grey levels without anti-aliasing (pdftoppm), so that
 * black content is black, and counts the pixels that are neither black nor white: what
 * the page draws in grey (the drill watermark, and nothing else on a chart).
 *
 * Returns: how many grey pixels
 */
guint
wk_test_pdf_count_grey (const guint8 *pdf, gsize size, int page)
{
  g_autofree char *path = wk_test_scratch_path ("grey.pdf");
  g_autofree char *number = g_strdup_printf ("%d", page);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  gsize            out_size = 0;
  int              status, width, height, offset = 0;
  guint            grey = 0;
  const char      *argv[] = { "pdftoppm", "-r", "50",   "-gray", "-aa",  "no", "-aaVector",
                              "no",       "-f", number, "-l",    number, path, NULL };

  g_assert_true (g_file_set_contents (path, (const char *)pdf, size, &error));
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (path);
  /* pdftoppm writes a binary PGM to standard output: "P5\n<w> <h>\n255\n" then pixels. */
  g_assert_cmpint (sscanf (out, "P5 %d %d 255%n", &width, &height, &offset), ==, 2);
  out_size = (gsize)width * height;
  for (gsize i = 0; i < out_size; i++)
    {
      guint8 v = out[offset + 1 + i];

      grey += v > 60 && v < 230;
    }
  return grey;
}

/**
 * wk_test_save_artefact:
 * @name: a file name
 * @data: its content
 * @size: its size
 *
 * Saves a file for people to look at into the build folder's artefacts/ (sample PDFs
 * of invented patients).
 *
 * Returns: (transfer full): its path
 */
char *
wk_test_save_artefact (const char *name, const guint8 *data, gsize size)
{
  g_autofree char *dir = wk_test_build_path ("artefacts", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, (const char *)data, size, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}
