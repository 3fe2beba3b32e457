/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-print.c — `wardkeep print` without a daemon: a simulated ward printed end to end
 * through a private cupsd to ippeveprinter, every page of every document the printer
 * received read back from a 150 dpi rendering (zbarimg) and verified (`wardkeep verify-qr`);
 * one file with --pdf; and every refusal. Sample PDFs go to the build folder's artefacts. */

#include "wk-test-kiosk.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static guint
n_received (WkTestKiosk *kiosk, const char *printer)
{
  g_autoptr (GPtrArray) received
      = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, printer));

  return received->len;
}

static void
save_artefact (const char *name, const char *path)
{
  g_autofree char *data = NULL;
  g_autofree char *saved = NULL;
  gsize            size;

  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  saved = wk_test_save_artefact (name, (const guint8 *)data, size);
  g_test_message ("saved %s", saved);
}

static void
test_ward_end_to_end (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (WkModel) ward = wk_test_ward_new (8);
  g_autoptr (WkSnapshotInfo) info G_GNUC_UNUSED = wk_test_kiosk_write_snapshot (kiosk, ward);
  g_autoptr (GPtrArray) received = NULL;
  g_auto (WkTestRun) run = { 0 };
  g_autofree char *from = g_strdup_printf ("From snapshot %" G_GUINT64_FORMAT ":", info->seq);
  guint            codes = 0;

  wk_test_run_wardkeep (&run, NULL, "print", "ward", "--config",
                        wk_test_kiosk_get_config_path (kiosk), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, from));
  g_assert_nonnull (strstr (run.out, "directly (the daemon is not running"));
  g_assert_nonnull (strstr (run.out, "All 7 document(s) printed."));

  /* The census, then six charts: every chart page carries a code that reads back from a
   * 150 dpi image and verifies, with its chart id and page. */
  received = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "office"));
  g_assert_cmpuint (received->len, ==, 7);
  for (guint i = 0; i < received->len; i++)
    {
      WkTestDocument  *document = received->pdata[i];
      g_autofree char *chart_id = g_ascii_strup (document->job_name, -1);
      guint            verified = wk_test_verify_received (kiosk, document->path, chart_id);

      g_assert_nonnull (strstr (run.out, chart_id));
      if (i == 0)
        {
          g_autofree char *text = wk_test_pdf_dup_text (document->path, NULL);

          g_assert_cmpuint (verified, ==, 0);
          g_assert_nonnull (strstr (text, "CENSUS"));
          save_artefact ("print-ward-census.pdf", document->path);
        }
      else
        {
          g_assert_cmpuint (verified, >=, 1);
          if (i == 1)
            save_artefact ("print-ward-chart.pdf", document->path);
        }
      codes += verified;
    }
  g_assert_cmpuint (codes, >=, 6);
  g_assert_cmpuint (n_received (kiosk, "station"), ==, 0);
}

static void
test_pdf (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (WkModel) ward = wk_test_ward_new (8);
  wk_snapshot_info_free (wk_test_kiosk_write_snapshot (kiosk, ward));
  g_autofree char *chart = g_build_filename (wk_test_kiosk_get_dir (kiosk), "chart.pdf", NULL);
  g_autofree char *whole = g_build_filename (wk_test_kiosk_get_dir (kiosk), "ward.pdf", NULL);
  g_auto (WkTestRun) run = { 0 };
  g_auto (WkTestRun) again = { 0 };
  g_auto (WkTestRun) all = { 0 };
  guint       pages = 0;
  struct stat st;

  /* One patient's chart into a new file, mode 0600, said to be patient data. */
  wk_test_run_wardkeep (&run, NULL, "print", "chart", "BAY1-2", "--drill", "--pdf", chart,
                        "--config", wk_test_kiosk_get_config_path (kiosk), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "patient data"));
  g_assert_cmpint (g_stat (chart, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpuint (wk_test_verify_received (kiosk, chart, NULL), >=, 1);
  {
    g_autofree char *text = wk_test_pdf_dup_text (chart, &pages);

    g_assert_nonnull (strstr (text, "DRILL"));
  }
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 0);

  /* Never over an existing file. */
  wk_test_run_wardkeep (&again, NULL, "print", "census", "--pdf", chart, "--config",
                        wk_test_kiosk_get_config_path (kiosk), NULL);
  g_assert_cmpint (again.status, ==, 1);
  g_assert_nonnull (strstr (again.err, "exists already"));

  /* The whole ward in one file: every chart page still verifies. */
  wk_test_run_wardkeep (&all, NULL, "print", "ward", "--pdf", whole, "--config",
                        wk_test_kiosk_get_config_path (kiosk), NULL);
  g_assert_cmpint (all.status, ==, 0);
  g_assert_nonnull (strstr (all.out, "Wrote 7 document(s)"));
  g_assert_cmpuint (wk_test_verify_received (kiosk, whole, NULL), >=, 6);
}

static void
test_refusals (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (WkModel) ward = wk_test_ward_new (8);
  const char *config = wk_test_kiosk_get_config_path (kiosk);
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_auto (WkTestRun) nothing = { 0 };
  g_auto (WkTestRun) usage = { 0 };
  g_auto (WkTestRun) whose = { 0 };
  g_auto (WkTestRun) extra = { 0 };
  g_auto (WkTestRun) bed = { 0 };
  g_auto (WkTestRun) empty = { 0 };
  g_auto (WkTestRun) printer = { 0 };

  /* No snapshot yet. */
  wk_test_run_wardkeep (&nothing, NULL, "print", "census", "--config", config, NULL);
  g_assert_cmpint (nothing.status, ==, 1);
  g_assert_nonnull (strstr (nothing.err, "Nothing can be printed"));

  info = wk_test_kiosk_write_snapshot (kiosk, ward);
  wk_test_run_wardkeep (&usage, NULL, "print", "--config", config, NULL);
  g_assert_cmpint (usage.status, ==, 2);
  g_assert_nonnull (strstr (usage.err, "census, chart PATIENT or ward"));
  wk_test_run_wardkeep (&whose, NULL, "print", "chart", "--config", config, NULL);
  g_assert_cmpint (whose.status, ==, 2);
  wk_test_run_wardkeep (&extra, NULL, "print", "ward", "BAY1-1", "--config", config, NULL);
  g_assert_cmpint (extra.status, ==, 2);
  wk_test_run_wardkeep (&bed, NULL, "print", "chart", "BAY9-9", "--config", config, NULL);
  g_assert_cmpint (bed.status, ==, 1);
  g_assert_nonnull (strstr (bed.err, "Ward 7A has no bed \"BAY9-9\""));
  wk_test_run_wardkeep (&empty, NULL, "print", "chart", "BAY1-3", "--config", config, NULL);
  g_assert_cmpint (empty.status, ==, 1);
  g_assert_nonnull (strstr (empty.err, "is empty"));
  wk_test_run_wardkeep (&printer, NULL, "print", "census", "--printer", "ward-7b", "--config",
                        config, NULL);
  g_assert_cmpint (printer.status, ==, 1);
  g_assert_nonnull (strstr (printer.err, "the printers are: office, station"));
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/print/ward-end-to-end", test_ward_end_to_end);
  g_test_add_func ("/cli/print/pdf", test_pdf);
  g_test_add_func ("/cli/print/refusals", test_refusals);
  return g_test_run ();
}
