/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-reconcile.c — reconciling a 30-bed ward's paper: how long each step takes.
 *
 * Reading the scans back (poppler at 150 dpi, then libzbar, retried at 300 dpi where a
 * page shows no code), verifying and recording every page, keying in every box due in
 * the first twelve hours, the discrepancy report (JSON and PDF) and the three exports. A
 * pharmacist scans a page in a few seconds and keys a box in one or two: software time
 * must be negligible beside that. Median of the runs given (default 3). */

#include "wk-back-entry.h"
#include "wk-bed.h"
#include "wk-chart-id.h"
#include "wk-chart-renderer.h"
#include "wk-chart-scan.h"
#include "wk-paper-entry.h"
#include "wk-reconcile-report.h"
#include "wk-reconcile.h"
#include "wk-test-ward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEDS 30
#define NOW (WK_TEST_PRINTED_AT + 12 * 3600)

static int
compare (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static double
median (double *values, int n)
{
  qsort (values, n, sizeof (double), compare);
  return values[n / 2];
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int argc, char **argv)
{
  int runs = MAX (argc > 1 ? atoi (argv[1]) : 3, 1);
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "b.conf", NULL);
  g_autofree double *t_decode = g_new (double, runs);
  g_autofree double *t_record = g_new (double, runs);
  g_autofree double *t_enter = g_new (double, runs);
  g_autofree double *t_report = g_new (double, runs);
  g_autofree double *t_pdf = g_new (double, runs);
  g_autofree double *t_ras = g_new (double, runs);
  g_autofree double *t_fhir = g_new (double, runs);
  g_autofree double *t_csv = g_new (double, runs);
  guint              pages = 0, entries = 0, findings = 0;

  for (int run = 0; run < runs; run++)
    {
      g_autoptr (WkModel) model = wk_test_ward_new (BEDS);
      g_autoptr (WkChartRenderer) renderer = NULL;
      g_autoptr (GPtrArray) ward = NULL;
      g_autoptr (GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (WkReconcile) reconcile
          = wk_reconcile_new (model, wk_reconcile_settings_new (config, keys, NULL), &error);
      g_autoptr (JsonObject) report = NULL;
      g_autoptr (GBytes) pdf = NULL;
      g_autoptr (GPtrArray) selected = NULL;
      g_autofree char *fhir = NULL;
      g_autofree char *csv = NULL;
      WkChartOptions   options;
      gint64           start;

      wk_test_chart_options (&options);
      renderer = wk_chart_renderer_new (&options, keys, &error);
      ward = wk_chart_renderer_render_ward (renderer, model, &error);
      g_assert_no_error (error);

      /* The scanned files: each chart's PDF, read back by poppler and libzbar. */
      start = g_get_monotonic_time ();
      for (guint i = 1; i < ward->len; i++)
        {
          gsize         size;
          const guint8 *data = wk_chart_document_get_pdf (ward->pdata[i], &size);
          g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
          g_autoptr (GPtrArray) results = wk_chart_scan_bytes (bytes, "chart.pdf", &error);

          g_assert_no_error (error);
          for (guint r = 0; r < results->len; r++)
            {
              WkChartScanResult *result = results->pdata[r];

              g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_CODE);
              g_ptr_array_add (codes, g_strdup (result->text));
            }
        }
      t_decode[run] = seconds_since (start);
      pages = codes->len;

      /* Each page verified against the trusted key and recorded. */
      start = g_get_monotonic_time ();
      for (guint i = 0; i < codes->len; i++)
        {
          g_autoptr (WkReconcileScan) scan
              = wk_reconcile_scan (reconcile, codes->pdata[i], -1, "bench", NOW, &error);

          g_assert_no_error (error);
          g_assert_nonnull (scan);
        }
      t_record[run] = seconds_since (start);

      /* Every paracetamol and amoxicillin box due by now keyed in, one call each. */
      start = g_get_monotonic_time ();
      entries = 0;
      for (guint i = 1; i < ward->len; i++)
        {
          WkChartDocument *document = ward->pdata[i];
          g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
          const char      *orders[] = { "PARA", "AMOX" };
          const char      *dues[] = { "0600", "1200", "1400" };

          for (gsize o = 0; o < G_N_ELEMENTS (orders); o++)
            for (gsize d = 0; d < G_N_ELEMENTS (dues); d++)
              {
                g_autofree char *placer = NULL;
                WkReconcileInput input = { 0 };
                g_autoptr (WkPaperEntry) entry = NULL;
                g_autoptr (GError) refused = NULL;
                g_autoptr (WkPatient) patient
                    = wk_patient_load (model, wk_chart_document_get_patient_id (document), NULL);
                guint n = 0;

                /* The usual orders are named P<n>-..., n being the bed's index. */
                for (guint b = 0; b < BEDS; b++)
                  if (wk_test_ward_bed (model, b) == patient->bed_id)
                    n = b;
                placer = g_strdup_printf ("P%u-%s", n, orders[o]);
                input.chart_id = label;
                input.placer_id = placer;
                input.due = dues[d];
                input.given = TRUE;
                input.by = "AB";
                input.who = "bench";
                entry = wk_reconcile_enter (reconcile, &input, NOW, &refused);
                entries += entry != NULL;
              }
        }
      t_enter[run] = seconds_since (start);

      start = g_get_monotonic_time ();
      report = wk_reconcile_dup_report (reconcile, NULL, NOW, &error);
      g_assert_no_error (error);
      t_report[run] = seconds_since (start);
      findings = json_array_get_length (json_object_get_array_member (report, "findings"));
      start = g_get_monotonic_time ();
      pdf = wk_reconcile_report_render (report, "Europe/London", &error);
      g_assert_no_error (error);
      t_pdf[run] = seconds_since (start);

      selected = wk_reconcile_select_export (reconcile, NULL, WK_PAPER_EXPORT_HL7, FALSE, &error);
      start = g_get_monotonic_time ();
      for (guint i = 0; i < selected->len; i++)
        {
          g_autofree char *id = wk_back_entry_dup_control_id (selected->pdata[i]);
          g_autoptr (GBytes) ras
              = wk_back_entry_build_ras (reconcile, selected->pdata[i], id, NOW, &error);

          g_assert_no_error (error);
          g_assert_nonnull (ras);
        }
      t_ras[run] = seconds_since (start);
      start = g_get_monotonic_time ();
      fhir = wk_back_entry_build_fhir (reconcile, selected, NOW, &error);
      t_fhir[run] = seconds_since (start);
      start = g_get_monotonic_time ();
      csv = wk_back_entry_build_csv (reconcile, selected, &error);
      t_csv[run] = seconds_since (start);
      g_assert_no_error (error);
    }

  printf ("bench-reconcile: a %d-bed ward, %u chart pages, median of %d runs (one core)\n", BEDS,
          pages, runs);
  printf ("  read back from the PDFs (poppler 150 dpi + libzbar): %6.2f s  %6.1f pages/s\n",
          median (t_decode, runs), pages / median (t_decode, runs));
  printf ("  verified and recorded (reconcile.scan):              %6.3f s  %6.0f pages/s\n",
          median (t_record, runs), pages / median (t_record, runs));
  printf ("  keyed in (reconcile.enter, one box a call):          %6.3f s  %6.0f entries/s (%u)\n",
          median (t_enter, runs), entries / median (t_enter, runs), entries);
  printf ("  discrepancy report (JSON, %u findings):              %6.3f s\n", findings,
          median (t_report, runs));
  printf ("  discrepancy report as PDF:                           %6.3f s\n", median (t_pdf, runs));
  printf ("  RAS^O17 built:                                       %6.3f s  %6.0f messages/s\n",
          median (t_ras, runs), entries / median (t_ras, runs));
  printf ("  FHIR Bundle / CSV built:                             %6.3f s / %.3f s\n",
          median (t_fhir, runs), median (t_csv, runs));
  return 0;
}
