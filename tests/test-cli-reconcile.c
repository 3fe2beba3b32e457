/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-reconcile.c — `wardkeep reconcile` as a pharmacist runs it, against the
 * reconcile.* methods on a real control socket: pages printed, rendered by pdftoppm, read
 * back through libzbar, keyed in, reported, signed off and exported. */

#include "wk-administration.h"
#include "wk-back-entry.h"
#include "wk-chart-id.h"
#include "wk-chart-renderer.h"
#include "wk-control.h"
#include "wk-feed.h"
#include "wk-ledger.h"
#include "wk-reconcile-service.h"
#include "wk-reconcile.h"
#include "wk-test-engine.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define NOW (WK_TEST_PRINTED_AT + 20 * 3600) /* Saturday 22:50 */

typedef struct
{
  WkKeys             *keys;
  WkModel            *model;
  GPtrArray          *documents;
  WkReconcile        *reconcile;
  WkReconcileService *service;
  WkControlServer    *server;
  char               *config;
  char               *dir;
} Fixture;

static gint64
fixed_now (gpointer data)
{
  return NOW;
}

static void
write_config (Fixture *f, const char *extra)
{
  g_autofree char *socket = g_build_filename (f->dir, "control", NULL);
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\n\n[daemon]\ncontrol-socket = %s\n%s",
                                           socket, extra != NULL ? extra : "");

  g_free (f->config);
  f->config = g_build_filename (f->dir, "wardkeep.conf", NULL);
  g_assert_true (g_file_set_contents (f->config, text, -1, NULL));
}

/* The daemon's side: the ward model, its ledger of what was printed, the methods. */
static void
start_service (Fixture *f, const char *extra)
{
  g_autofree char *socket = g_build_filename (f->dir, "control", NULL);
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\n%s", extra != NULL ? extra : "");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "daemon.conf", &error);
  WkReconcileSettings *settings;

  g_assert_no_error (error);
  settings = wk_reconcile_settings_new (config, f->keys, &error);
  g_assert_no_error (error);
  f->reconcile = wk_reconcile_new (f->model, settings, &error);
  g_assert_no_error (error);
  f->service = wk_reconcile_service_new (f->reconcile);
  wk_reconcile_service_set_now_func (f->service, fixed_now, NULL);
  f->server = wk_control_server_new ();
  wk_reconcile_service_register (f->service, f->server);
  g_assert_true (wk_control_server_listen (f->server, socket, 0600, NULL, &error));
  g_assert_no_error (error);
  write_config (f, NULL);
}

static void
stop_service (Fixture *f)
{
  if (f->server != NULL)
    {
      wk_reconcile_service_unregister (f->service, f->server);
      wk_control_server_close (f->server);
    }
  g_clear_object (&f->server);
  g_clear_pointer (&f->service, wk_reconcile_service_free);
  g_clear_pointer (&f->reconcile, wk_reconcile_free);
}

/* What the daemon records when an outage starts at 02:40 and it prints the ward. */
static void
record_ward_print (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) episode = wk_episode_new (WK_EPISODE_OUTAGE, "every probe failed");
  g_autoptr (WkLedgerRequest) request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, "daemon");

  episode->started_wall_us = (WK_TEST_PRINTED_AT - 10 * 60) * G_USEC_PER_SEC;
  g_assert_true (wk_ledger_record_episode (f->model, episode, &error));
  request->episode_id = g_strdup (episode->id);
  request->automatic = TRUE;
  request->requested_at = WK_TEST_PRINTED_AT;
  g_assert_true (wk_ledger_record_request (f->model, request, &error));
  for (guint i = 0; i < f->documents->len; i++)
    {
      WkChartDocument *document = f->documents->pdata[i];
      gboolean         is_chart = wk_chart_document_get_kind (document) == WK_CHART_DOCUMENT_CHART;
      g_autoptr (WkLedgerDocument) row = wk_ledger_document_new (
          wk_chart_document_get_id (document), request->id,
          is_chart ? WK_LEDGER_DOCUMENT_CHART : WK_LEDGER_DOCUMENT_CENSUS);

      row->patient_id = wk_chart_document_get_patient_id (document);
      row->ward_id = g_strdup (WK_TEST_WARD);
      row->position = i;
      row->snapshot_seq = 42;
      row->snapshot_at = WK_TEST_SNAPSHOT_AT;
      row->printed_at = WK_TEST_PRINTED_AT;
      for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
        wk_ledger_document_add_page (row, wk_chart_document_get_page_payload (document, p), NULL,
                                     0);
      g_assert_true (wk_ledger_record_document (f->model, row, &error));
      g_assert_true (wk_ledger_set_document_state (
          f->model, row->chart_id, WK_LEDGER_DOCUMENT_PRINTED, "office", NULL, &error));
      g_assert_no_error (error);
    }
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  WkChartOptions options;

  f->dir = wk_test_scratch_dir ();
  f->keys = wk_test_keys_new (0x42);
  f->model = wk_test_ward_new (6);
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, f->keys, &error);
  f->documents = wk_chart_renderer_render_ward (renderer, f->model, &error);
  g_assert_no_error (error);
  record_ward_print (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  stop_service (f);
  g_ptr_array_unref (f->documents);
  wk_model_free (f->model);
  wk_keys_free (f->keys);
  g_free (f->config);
  g_free (f->dir);
}

/* ---- running wardkeep while the service answers on this thread's main loop ---------- */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

typedef struct
{
  Run     *run;
  gboolean done;
} Waiting;

static void
communicated_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Waiting *waiting = data;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_communicate_utf8_finish (
      G_SUBPROCESS (source), result, &waiting->run->out, &waiting->run->err, &error));
  g_assert_no_error (error);
  waiting->run->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  waiting->done = TRUE;
}

/* Runs `wardkeep reconcile ARGS... --config CONFIG` with @input on its standard input. */
static void
run_reconcile (Fixture *f, Run *run, const char *input, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  Waiting waiting = { run, FALSE };
  va_list args;

  g_ptr_array_add (argv, wk_test_build_path ("kiosk", "cli", "wardkeep", NULL));
  g_ptr_array_add (argv, g_strdup ("reconcile"));
  va_start (args, input);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, g_strdup ("--config"));
  g_ptr_array_add (argv, g_strdup (f->config));
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *)argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input != NULL ? input : "", NULL, communicated_cb,
                                       &waiting);
  while (!waiting.done)
    g_main_context_iteration (NULL, TRUE);
}

static void
assert_contains (const char *text, const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("\"%s\" is not in:\n%s", part, text);
}

/* Renders @document's pages with pdftoppm into @dir at 150 dpi, as a scanner would:
 * PREFIX-N.png. */
static void
render_pages (WkChartDocument *document, const char *dir, const char *prefix)
{
  g_autofree char *pdf = g_build_filename (dir, "print.pdf", NULL);
  g_autofree char *stem = g_build_filename (dir, prefix, NULL);
  const char      *argv[] = { "pdftoppm", "-r", "150", "-png", pdf, stem, NULL };
  g_autoptr (GError) error = NULL;
  gsize         size;
  const guint8 *data = wk_chart_document_get_pdf (document, &size);
  int           status;

  g_assert_true (g_file_set_contents (pdf, (const char *)data, size, &error));
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (pdf);
}

/* ---- the tests -------------------------------------------------------------------------- */

/* Nothing answers: say so, and what to do. */
static void
test_not_running (Fixture *f, gconstpointer data)
{
  g_auto (Run) run = { 0 };

  write_config (f, NULL);
  run_reconcile (f, &run, NULL, "status", NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, "The wardkeep daemon is not running (nothing answers at");
  assert_contains (run.err, "start it (systemctl start wardkeepd)");
}

/* Printed pages rendered with pdftoppm, read by libzbar through `reconcile scan`; a
 * forged page and a blank one are reported with the file; the status shows what is
 * missing. */
static void
test_scan_and_status (Fixture *f, gconstpointer data)
{
  g_autofree char *pages = g_build_filename (f->dir, "scans", NULL);
  g_autofree char *c0 = NULL, *c1_1 = NULL, *blank = NULL, *forged = NULL;
  g_autofree char *label0 = wk_chart_id_format (wk_chart_document_get_id (f->documents->pdata[1]));
  g_autofree char *label1 = wk_chart_id_format (wk_chart_document_get_id (f->documents->pdata[2]));
  g_auto (Run) scan = { 0 };
  g_auto (Run) again = { 0 };
  g_auto (Run) status = { 0 };
  g_auto (Run) typed = { 0 };
  g_autofree char *expected = NULL;

  start_service (f, NULL);
  g_assert_cmpint (g_mkdir_with_parents (pages, 0700), ==, 0);
  render_pages (f->documents->pdata[1], pages, "bed1");
  render_pages (f->documents->pdata[2], pages, "bed2");
  render_pages (f->documents->pdata[0], pages, "census");
  c0 = g_build_filename (pages, "bed1-1.png", NULL);
  c1_1 = g_build_filename (pages, "bed1-2.png", NULL);
  blank = g_build_filename (pages, "census-1.png", NULL);
  forged = g_build_filename (pages, "bed2-1.png", NULL);

  run_reconcile (f, &scan, NULL, "scan", c0, c1_1, blank, "--who", "P Harmacist", NULL);
  g_assert_cmpint (scan.status, ==, 1); /* the census page has no code */
  expected = g_strdup_printf ("%s: chart %s page 1 of 2", c0, label0);
  assert_contains (scan.out, expected);
  assert_contains (scan.out, "pages still missing: 2");
  assert_contains (scan.out, ": no QR code found");
  assert_contains (scan.out, "2 pages back, 0 refused, 1 without a wardkeep code.");

  /* The same page again: returned twice. A code typed by a scanner that was changed: refused. */
  {
    g_autofree char *payload
        = g_strdup (wk_chart_document_get_page_payload (f->documents->pdata[2], 0));
    g_autofree char *input = NULL;

    payload[strlen (payload) - 5] = payload[strlen (payload) - 5] == 'A' ? 'B' : 'A';
    input = g_strdup_printf ("%s\n%s\n", payload,
                             wk_chart_document_get_page_payload (f->documents->pdata[2], 1));
    run_reconcile (f, &typed, input, "scan", "-", NULL);
    g_assert_cmpint (typed.status, ==, 1);
    assert_contains (typed.out, "code 1: REFUSED: ");
    g_clear_pointer (&expected, g_free);
    expected = g_strdup_printf ("code 2: chart %s page 2 of 2", label1);
    assert_contains (typed.out, expected);
  }
  run_reconcile (f, &again, NULL, "scan", c0, NULL);
  assert_contains (again.out, "RETURNED TWICE (scanned 2 times)");

  run_reconcile (f, &status, NULL, "status", NULL);
  g_assert_cmpint (status.status, ==, 0);
  assert_contains (status.out, "(outage)");
  assert_contains (status.out, "charts printed 4, all pages back 1, pages missing 1, not back 2");
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%s  missing-pages", label1);
  assert_contains (status.out, expected);
  g_unlink (forged);
}

static void
scan_pages (Fixture *f, WkChartDocument *document)
{
  for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WkReconcileScan) scan
          = wk_reconcile_scan (f->reconcile, wk_chart_document_get_page_payload (document, p), -1,
                               "P Harmacist", NOW, &error);

      g_assert_no_error (error);
      g_assert_nonnull (scan);
    }
}

/* Keying in one box, a batch from standard input, and a refusal with what to do. */
static void
test_enter (Fixture *f, gconstpointer data)
{
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (f->documents->pdata[1]));
  g_auto (Run) one = { 0 };
  g_auto (Run) batch = { 0 };
  g_auto (Run) wrong = { 0 };
  g_auto (Run) show = { 0 };
  g_autoptr (GPtrArray) entries = NULL;
  const char *lines = "# bed 1, as written\n"
                      "--order P0-PARA --due 12 --at 1215 --given --by AB\n"
                      "--order P0-RAMI --due 0800 --not-given 2\n"
                      "--order P0-MORP --at 0400 --dose 5 --given --by 'C D' --note 'for pain'\n";

  start_service (f, NULL);
  scan_pages (f, f->documents->pdata[1]);
  run_reconcile (f, &one, NULL, "enter", label, "--order", "P0-PARA", "--due", "0600", "--given",
                 "--by", "AB", "--who", "P Harmacist", NULL);
  g_assert_cmpint (one.status, ==, 0);
  assert_contains (one.out, "P0-PARA: given Sat 14 Mar 06:00, 1000 mg, by AB (entry #1)");

  run_reconcile (f, &batch, lines, "enter", label, "--batch", "-", NULL);
  g_assert_cmpint (batch.status, ==, 0);
  assert_contains (batch.out, "P0-RAMI: not given (2 Nil by mouth)");
  assert_contains (batch.out, "P0-MORP: given Sat 14 Mar 04:00, 5 mg, by C D");

  run_reconcile (f, &wrong, NULL, "enter", label, "--order", "P0-PARA", "--due", "0700", "--given",
                 "--by", "AB", NULL);
  g_assert_cmpint (wrong.status, ==, 1);
  assert_contains (wrong.err, "entry 1: Order P0-PARA has no box at 07:00 on this chart (its due "
                              "times are 06:00,12:00,18:00,22:00)");

  entries = wk_paper_entry_load_for_chart (f->model, NULL, FALSE, NULL);
  g_assert_cmpuint (entries->len, ==, 4);

  run_reconcile (f, &show, NULL, "show", label, NULL);
  g_assert_cmpint (show.status, ==, 0);
  assert_contains (show.out, "box Sat 14 Mar 12:00: given Sat 14 Mar 12:15, 1000 mg, by AB");
  assert_contains (show.out, "box Sat 14 Mar 18:00: -");
  assert_contains (show.out, "Not-given codes: 1 Patient refused, 2 Nil by mouth");
}

static GBytes *
central_handle (const guint8 *message, gsize size, gpointer data)
{
  return wk_feed_handle (data, message, size);
}

/* Report, sign-off and every export, from the command line. */
static void
test_report_signoff_export (Fixture *f, gconstpointer data)
{
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (f->documents->pdata[1]));
  g_autofree char *pdf = g_build_filename (f->dir, "report.pdf", NULL);
  g_autofree char *csv = g_build_filename (f->dir, "back-entry.csv", NULL);
  g_autofree char *address = NULL;
  g_autofree char *extra = NULL;
  g_autoptr (WkModel) central_model = wk_test_ward_new (6);
  g_autoptr (WkConfig) central_config
      = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "central.conf", NULL);
  g_autoptr (WkFeed) central = wk_feed_new (central_model, central_config, NULL);
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (central_handle, central);
  g_auto (Run) report = { 0 };
  g_auto (Run) signoff = { 0 };
  g_auto (Run) unsigned_who = { 0 };
  g_auto (Run) to_csv = { 0 };
  g_auto (Run) csv_again = { 0 };
  g_auto (Run) fhir = { 0 };
  g_auto (Run) hl7 = { 0 };
  g_auto (Run) hl7_again = { 0 };
  g_autofree char *contents = NULL;
  struct stat      st;

  address = wk_test_engine_dup_address (engine);
  extra = g_strdup_printf ("[reconcile]\nexport-address = %s\nexport-retry-delay = 0s\n", address);
  start_service (f, extra);
  scan_pages (f, f->documents->pdata[1]);
  {
    WkReconcileInput input = { 0 };
    g_autoptr (GError) error = NULL;
    g_autoptr (WkPaperEntry) entry = NULL;

    input.chart_id = label;
    input.placer_id = "P0-PARA";
    input.due = "1200";
    input.given = TRUE;
    input.by = "AB";
    input.who = "P Harmacist";
    entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);
    g_assert_no_error (error);
  }

  run_reconcile (f, &report, NULL, "report", "--pdf", pdf, NULL);
  g_assert_cmpint (report.status, ==, 0);
  assert_contains (report.out, "Discrepancy report, ward 7A, episode ");
  assert_contains (report.out, "chart-not-returned");
  assert_contains (report.out, "Not yet signed off.");
  g_assert_cmpint (g_stat (pdf, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (pdf, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));

  run_reconcile (f, &unsigned_who, NULL, "signoff", NULL);
  g_assert_cmpint (unsigned_who.status, ==, 2);
  assert_contains (unsigned_who.err, "say who signs: --who \"NAME\"");
  run_reconcile (f, &signoff, NULL, "signoff", "--who", "R Pharmacist", "--note", "reviewed", NULL);
  g_assert_cmpint (signoff.status, ==, 0);
  assert_contains (signoff.out, "Signed off by R Pharmacist, Sat 14 Mar 22:50");

  run_reconcile (f, &to_csv, NULL, "export", "--format", "csv", "--output", csv, NULL);
  g_assert_cmpint (to_csv.status, ==, 0);
  assert_contains (to_csv.err, "1 administrations exported as csv to");
  g_assert_cmpint (g_stat (csv, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "entry,chart,page,nhs_number"));
  assert_contains (contents, "P0-PARA");
  run_reconcile (f, &csv_again, NULL, "export", "--format", "csv", "--output", csv, NULL);
  assert_contains (csv_again.err, "Nothing to export");

  /* FHIR to a pipe (standard output is not a terminal here). */
  run_reconcile (f, &fhir, NULL, "export", "--format", "fhir", NULL);
  g_assert_cmpint (fhir.status, ==, 0);
  assert_contains (fhir.out, "\"resourceType\" : \"Bundle\"");
  assert_contains (fhir.out, "https://fhir.nhs.uk/Id/nhs-number");

  run_reconcile (f, &hl7, NULL, "export", "--format", "hl7", NULL);
  g_assert_cmpint (hl7.status, ==, 0);
  assert_contains (hl7.out, "1 of 1 RAS^O17 messages acknowledged by 127.0.0.1:");
  run_reconcile (f, &hl7_again, NULL, "export", "--format", "hl7", NULL);
  assert_contains (hl7_again.out, "Nothing to send");
  g_clear_pointer (&engine, wk_test_engine_free);
  {
    g_autoptr (GPtrArray) records
        = wk_administration_load_for_order (central_model, "P0-PARA", NULL);
    guint from_paper = 0;

    for (guint i = 0; i < records->len; i++)
      from_paper += g_strcmp0 (((WkAdministration *)records->pdata[i])->by_whom, "AB") == 0
                    && ((WkAdministration *)records->pdata[i])->at > WK_TEST_SNAPSHOT_AT;
    g_assert_cmpuint (from_paper, ==, 1);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/cli/reconcile/not-running", test_not_running);
  ADD ("/cli/reconcile/scan-and-status", test_scan_and_status);
  ADD ("/cli/reconcile/enter", test_enter);
  ADD ("/cli/reconcile/report-signoff-export", test_report_signoff_export);
#undef ADD
  return g_test_run ();
}
