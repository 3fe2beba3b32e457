/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-print-run.c — the one print path: a ward's snapshot rendered and printed through a
 * real cupsd to ippeveprinter printers, in ward order, recorded in the print ledger, held
 * until released, failed over, resumed; and finding a patient as staff name them. */

#include "wk-chart-payload.h"
#include "wk-ledger.h"
#include "wk-print-error.h"
#include "wk-print-run.h"
#include "wk-printer.h"
#include "wk-snapshot-error.h"
#include "wk-test-cups.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <string.h>

typedef struct
{
  WkTestCups    *cups;
  WkTestPrinter *office;
  WkTestPrinter *station;
  char          *dir;
  WkConfig      *config;
  WkKeys        *keys;
  WkStore       *store;
  WkModel       *model; /* the live model: the ward, and the ledger */
  GPtrArray     *printers;
  /* What a run reported. */
  GPtrArray *events;   /* WkPrintEvent */
  GPtrArray *batches;  /* GPtrArray of chart ids, one per "rendered" */
  GPtrArray *outcomes; /* WkPrintOutcome */
  GError    *error;
  gboolean   done;
  guint      n_submitted_before_release;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  WkStoreOptions   options;

  f->cups = wk_test_cups_new ();
  f->office = wk_test_cups_add_printer (f->cups, "office", TRUE);
  f->station = wk_test_cups_add_printer (f->cups, "station", TRUE);
  f->dir = wk_test_scratch_dir ();
  text = g_strdup_printf ("[ward]\nid = 7A\n"
                          "[printer office]\nuri = office\nserver = %s\norder = 1\n"
                          "connect-timeout = 2s\nfailover-after = 20s\nretries = 1\n"
                          "[printer station]\nuri = station\nserver = %s\norder = 2\n"
                          "connect-timeout = 2s\nretries = 1\n",
                          wk_test_cups_get_server (f->cups), wk_test_cups_get_server (f->cups));
  f->config = wk_config_load_from_data (text, -1, "test.conf", &error);
  g_assert_no_error (error);
  f->keys = wk_test_keys_new (7);
  wk_store_options_init (&options);
  options.ward_id = "7A";
  f->store = wk_store_new (f->dir, f->keys, &options, &error);
  g_assert_no_error (error);
  f->model = wk_test_ward_new (8);
  f->printers = wk_printer_list_from_config (f->config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->printers->len, ==, 2);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_print_event_free);
  f->batches = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->batches);
  g_clear_pointer (&f->outcomes, g_ptr_array_unref);
  g_clear_error (&f->error);
  g_ptr_array_unref (f->printers);
  wk_model_free (f->model);
  wk_store_unref (f->store);
  wk_keys_free (f->keys);
  wk_config_free (f->config);
  wk_test_cups_free (f->cups);
  g_free (f->dir);
  wk_test_stop_worker_threads ();
}

static WkSnapshotInfo *
write_snapshot (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  WkSnapshotInfo *info = wk_store_write (f->store, f->model, &error);

  g_assert_no_error (error);
  return info;
}

static void
rendered_cb (WkPrintRun *run, GPtrArray *documents, gpointer data)
{
  Fixture   *f = data;
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < documents->len; i++)
    g_ptr_array_add (ids, g_strdup (((WkLedgerDocument *)documents->pdata[i])->chart_id));
  g_ptr_array_add (f->batches, ids);
}

static void
event_cb (WkPrintRun *run, const WkPrintEvent *event, gpointer data)
{
  Fixture *f = data;

  g_ptr_array_add (f->events, wk_print_event_copy (event));
}

static void
finished_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *f = data;

  f->outcomes = wk_print_run_finish (WK_PRINT_RUN (source), result, &f->error);
  f->done = TRUE;
}

static gboolean
run_done (gpointer data)
{
  return ((Fixture *)data)->done;
}

static WkPrintRun *
new_run (Fixture *f, WkLedgerWhat what, gint64 patient_id)
{
  WkPrintRun *run = wk_print_run_new (f->config, f->keys, f->printers, what, patient_id);

  wk_print_run_set_store (run, f->store);
  wk_print_run_set_poll_interval (run, 50);
  g_signal_connect (run, "rendered", G_CALLBACK (rendered_cb), f);
  g_signal_connect (run, "event", G_CALLBACK (event_cb), f);
  return run;
}

static void
run_to_end (Fixture *f, WkPrintRun *run)
{
  f->done = FALSE;
  wk_print_run_start_async (run, NULL, finished_cb, f);
  wk_test_wait_for (run_done, f, "the print run to finish");
}

static guint
count_events (Fixture *f, WkPrintEventKind kind, const char *document)
{
  guint n = 0;

  for (guint i = 0; i < f->events->len; i++)
    {
      WkPrintEvent *event = f->events->pdata[i];

      if (event->kind == kind && (document == NULL || g_strcmp0 (event->document, document) == 0))
        n++;
    }
  return n;
}

/* The job names a printer received, in order (ippeveprinter lower-cases them). */
static GPtrArray *
received_names (WkTestPrinter *printer)
{
  g_autoptr (GPtrArray) received = wk_test_printer_dup_received (printer);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < received->len; i++)
    g_ptr_array_add (names, g_ascii_strup (((WkTestDocument *)received->pdata[i])->job_name, -1));
  return names;
}

static void
test_ward (Fixture *f, gconstpointer data)
{
  g_autoptr (WkSnapshotInfo) info G_GNUC_UNUSED = write_snapshot (f);
  g_autoptr (WkPrintRun) run = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  g_autoptr (WkLedgerRequest) request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, "Sister Test");
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GPtrArray) recorded = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *documents;
  char       request_id[64];

  g_strlcpy (request_id, request->id, sizeof request_id);
  wk_print_run_set_ledger (run, f->model, g_steal_pointer (&request));
  run_to_end (f, run);
  g_assert_no_error (f->error);

  /* The census, then six charts (eight beds: one empty, one closed), in ward order. */
  documents = wk_print_run_get_documents (run);
  g_assert_cmpuint (documents->len, ==, 7);
  g_assert_cmpint (((WkLedgerDocument *)documents->pdata[0])->kind, ==, WK_LEDGER_DOCUMENT_CENSUS);
  for (guint i = 1; i < documents->len; i++)
    g_assert_cmpint (((WkLedgerDocument *)documents->pdata[i])->kind, ==, WK_LEDGER_DOCUMENT_CHART);
  g_assert_cmpuint (wk_print_run_get_snapshot_seq (run), ==, info->seq);
  g_assert_cmpint (wk_print_run_get_snapshot_at (run), ==, info->created_at);

  /* The census went out alone first, then the charts. */
  g_assert_cmpuint (f->batches->len, ==, 2);
  g_assert_cmpuint (((GPtrArray *)f->batches->pdata[0])->len, ==, 1);
  g_assert_cmpuint (((GPtrArray *)f->batches->pdata[1])->len, ==, 6);

  /* Every document printed once, on the first printer, in that order. */
  g_assert_cmpuint (f->outcomes->len, ==, 7);
  for (guint i = 0; i < f->outcomes->len; i++)
    g_assert_true (((WkPrintOutcome *)f->outcomes->pdata[i])->printed);
  names = received_names (f->office);
  g_assert_cmpuint (names->len, ==, 7);
  for (guint i = 0; i < names->len; i++)
    g_assert_cmpstr (names->pdata[i], ==, ((WkLedgerDocument *)documents->pdata[i])->chart_id);

  /* The ledger knows all of it: the request, each document printed on office with its
   * pages, each job accepted and completed with its CUPS id. */
  recorded = wk_ledger_load_documents (f->model, request_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recorded->len, ==, 7);
  for (guint i = 0; i < recorded->len; i++)
    {
      WkLedgerDocument *document = recorded->pdata[i];
      g_autoptr (WkLedgerDocument) full
          = wk_ledger_load_document (f->model, document->chart_id, &error);
      g_autoptr (GPtrArray) jobs = wk_ledger_load_jobs (f->model, document->chart_id, &error);
      WkLedgerJob *job;

      g_assert_cmpstr (document->chart_id, ==, ((WkLedgerDocument *)documents->pdata[i])->chart_id);
      g_assert_cmpint (document->state, ==, WK_LEDGER_DOCUMENT_PRINTED);
      g_assert_cmpstr (document->printer, ==, "office");
      g_assert_cmpuint (document->snapshot_seq, ==, info->seq);
      g_assert_cmpstr (document->requested_by, ==, "Sister Test");
      g_assert_cmpuint (full->pages->len, ==, document->n_pages);
      if (document->kind == WK_LEDGER_DOCUMENT_CHART)
        {
          WkLedgerPage *page = full->pages->pdata[0];

          g_assert_true (g_str_has_prefix (page->payload, "WK:"));
          g_assert_cmpuint (page->orders->len, >, 0);
        }
      g_assert_cmpuint (jobs->len, ==, 1);
      job = jobs->pdata[0];
      g_assert_cmpint (job->state, ==, WK_LEDGER_JOB_COMPLETED);
      g_assert_cmpstr (job->printer, ==, "office");
      g_assert_cmpint (job->cups_job_id, >, 0);
      g_assert_cmpint (job->accepted_us, >=, job->submitted_us);
      g_assert_cmpint (job->completed_us, >=, job->accepted_us);
      g_assert_cmpuint (count_events (f, WK_PRINT_EVENT_ACCEPTED, document->chart_id), ==, 1);
    }
}

static void
hold_rendered_cb (WkPrintRun *run, GPtrArray *documents, gpointer data)
{
  Fixture *f = data;

  /* Nothing of a batch is sent before the caller lets it go. */
  for (guint i = 0; i < documents->len; i++)
    f->n_submitted_before_release += count_events (
        f, WK_PRINT_EVENT_SUBMITTED, ((WkLedgerDocument *)documents->pdata[i])->chart_id);
  wk_print_run_release (run);
}

static void
test_hold (Fixture *f, gconstpointer data)
{
  wk_snapshot_info_free (write_snapshot (f));
  g_autoptr (WkPrintRun) run = new_run (f, WK_LEDGER_WHAT_CENSUS, 0);
  g_autoptr (WkPrintRun) released = NULL;

  /* A census held and never released: rendered, recorded, never sent. */
  wk_print_run_set_hold (run, TRUE);
  f->done = FALSE;
  wk_print_run_start_async (run, NULL, finished_cb, f);
  while (f->batches->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (f->done);
  g_assert_cmpuint (count_events (f, WK_PRINT_EVENT_SUBMITTED, NULL), ==, 0);
  /* Released: it goes. */
  wk_print_run_release (run);
  wk_test_wait_for (run_done, f, "the released census");
  g_assert_no_error (f->error);
  g_assert_cmpuint (count_events (f, WK_PRINT_EVENT_COMPLETED, NULL), ==, 1);

  /* A ward released batch by batch from the signal, as the daemon does after its write. */
  g_ptr_array_set_size (f->batches, 0);
  g_ptr_array_set_size (f->events, 0);
  released = wk_print_run_new (f->config, f->keys, f->printers, WK_LEDGER_WHAT_WARD, 0);
  wk_print_run_set_store (released, f->store);
  wk_print_run_set_poll_interval (released, 50);
  wk_print_run_set_hold (released, TRUE);
  g_signal_connect (released, "rendered", G_CALLBACK (rendered_cb), f);
  g_signal_connect (released, "rendered", G_CALLBACK (hold_rendered_cb), f);
  g_signal_connect (released, "event", G_CALLBACK (event_cb), f);
  run_to_end (f, released);
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->batches->len, ==, 2);
  g_assert_cmpuint (f->n_submitted_before_release, ==, 0);
  g_assert_cmpuint (count_events (f, WK_PRINT_EVENT_COMPLETED, NULL), ==, 7);
}

static void
test_first_printer_and_failover (Fixture *f, gconstpointer data)
{
  wk_snapshot_info_free (write_snapshot (f));
  g_autoptr (WkPrintRun) run = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  g_autoptr (WkPrintRun) failing = NULL;
  g_autoptr (GPtrArray) at_station = NULL;
  g_autoptr (GPtrArray) at_office = NULL;
  g_autoptr (GError) error = NULL;

  /* Unknown printers are named with those there are. */
  g_assert_false (wk_print_run_set_first_printer (run, "ward-7b", &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "office, station"));
  g_clear_error (&error);

  /* Staff pick the station printer: everything goes there. */
  g_assert_true (wk_print_run_set_first_printer (run, "station", &error));
  run_to_end (f, run);
  g_assert_no_error (f->error);
  at_station = received_names (f->station);
  g_assert_cmpuint (at_station->len, ==, 7);
  at_office = received_names (f->office);
  g_assert_cmpuint (at_office->len, ==, 0);
  g_clear_pointer (&at_office, g_ptr_array_unref);

  /* The station printer is stopped: the ward goes to office instead, none lost. */
  wk_test_cups_disable (f->cups, "station", "paper jam");
  g_clear_pointer (&f->outcomes, g_ptr_array_unref);
  failing = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  g_assert_true (wk_print_run_set_first_printer (failing, "station", &error));
  run_to_end (f, failing);
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->outcomes->len, ==, 7);
  for (guint i = 0; i < f->outcomes->len; i++)
    {
      WkPrintOutcome *outcome = f->outcomes->pdata[i];

      g_assert_true (outcome->printed);
      g_assert_cmpstr (outcome->printer, ==, "office");
    }
  at_office = received_names (f->office);
  g_assert_cmpuint (at_office->len, ==, 7);
  g_assert_cmpuint (count_events (f, WK_PRINT_EVENT_FAILOVER, NULL), >=, 1);
}

static void
test_chart_drill_resume (Fixture *f, gconstpointer data)
{
  g_autoptr (WkSnapshotInfo) info G_GNUC_UNUSED = write_snapshot (f);
  gint64                          patient = wk_print_find_patient (f->model, "7A", "BAY1-2", NULL);
  g_autoptr (WkPrintRun) chart = new_run (f, WK_LEDGER_WHAT_CHART, patient);
  g_autoptr (WkPrintRun) resumed = NULL;
  g_autoptr (WkChartPayload) payload = NULL;
  g_autoptr (GError) error = NULL;
  WkLedgerDocument *document;
  GPtrArray        *documents;

  /* One patient's chart, for a drill: its codes say so. */
  g_assert_cmpint (patient, >, 0);
  wk_print_run_set_drill (chart, TRUE);
  run_to_end (f, chart);
  g_assert_no_error (f->error);
  documents = wk_print_run_get_documents (chart);
  g_assert_cmpuint (documents->len, ==, 1);
  document = documents->pdata[0];
  g_assert_cmpint (document->kind, ==, WK_LEDGER_DOCUMENT_CHART);
  g_assert_cmpint (document->patient_id, ==, patient);
  g_assert_true (document->drill);
  payload = wk_chart_payload_decode (((WkLedgerPage *)document->pages->pdata[0])->payload, -1,
                                     wk_keys_get_public_key (f->keys), 1, &error);
  g_assert_no_error (error);
  g_assert_true (payload->drill);
  g_assert_cmpuint (payload->snapshot_seq, ==, info->seq);

  /* A ward resumed after a restart: the census and two charts went out already. */
  g_clear_pointer (&f->outcomes, g_ptr_array_unref);
  resumed = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  wk_print_run_skip_census (resumed);
  wk_print_run_skip_patient (resumed, patient);
  wk_print_run_skip_patient (resumed, wk_print_find_patient (f->model, "7A", "BAY1-1", NULL));
  run_to_end (f, resumed);
  g_assert_no_error (f->error);
  documents = wk_print_run_get_documents (resumed);
  g_assert_cmpuint (documents->len, ==, 4);
  for (guint i = 0; i < documents->len; i++)
    {
      document = documents->pdata[i];
      g_assert_cmpint (document->kind, ==, WK_LEDGER_DOCUMENT_CHART);
      g_assert_cmpint (document->patient_id, !=, patient);
      g_assert_false (document->drill);
    }
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (WkPrintRun) empty = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  g_autoptr (WkPrintRun) second = NULL;
  g_autoptr (WkPrintRun) first = NULL;
  g_autoptr (WkEpisode) episode = wk_episode_new (WK_EPISODE_OUTAGE, "probes failed");
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  WkLedgerRequest *request;

  /* No snapshot yet: nothing to print, and it says why. */
  run_to_end (f, empty);
  g_assert_error (f->error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (f->error->message, "Nothing can be printed"));
  g_clear_error (&f->error);
  g_assert_cmpuint (count_events (f, WK_PRINT_EVENT_SUBMITTED, NULL), ==, 0);

  /* The ward is printed by itself once per episode: a second automatic print is refused
   * before anything is rendered. */
  info = write_snapshot (f);
  episode->started_wall_us = g_get_real_time ();
  g_assert_true (wk_ledger_record_episode (f->model, episode, &error));
  first = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, WK_LEDGER_REQUESTED_BY_DAEMON);
  request->episode_id = g_strdup (episode->id);
  request->automatic = TRUE;
  wk_print_run_set_ledger (first, f->model, request);
  run_to_end (f, first);
  g_assert_no_error (f->error);
  g_ptr_array_set_size (f->batches, 0);
  second = new_run (f, WK_LEDGER_WHAT_WARD, 0);
  request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, WK_LEDGER_REQUESTED_BY_DAEMON);
  request->episode_id = g_strdup (episode->id);
  request->automatic = TRUE;
  wk_print_run_set_ledger (second, f->model, request);
  run_to_end (f, second);
  g_assert_error (f->error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_cmpuint (f->batches->len, ==, 0);
}

static void
test_find_patient (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *nhs = wk_test_nhs_number (0);
  g_autofree char *spaced = NULL;
  g_autofree char *by_id = NULL;
  gint64           first = wk_print_find_patient (f->model, "7A", "BAY1-1", &error);

  g_assert_no_error (error);
  g_assert_cmpint (first, >, 0);
  spaced = g_strdup_printf ("%.3s %.3s %s", nhs, nhs + 3, nhs + 6);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", spaced, &error), ==, first);
  g_assert_no_error (error);
  by_id = g_strdup_printf ("#%" G_GINT64_FORMAT, first);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", by_id, &error), ==, first);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", by_id + 1, &error), ==, first);

  /* The third bed is empty, the fifth closed; others do not exist. */
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", "BAY1-3", &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Bed BAY1-3 on ward 7A is empty");
  g_clear_error (&error);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", "BAY1-5", &error), ==, 0);
  g_assert_nonnull (strstr (error->message, "closed"));
  g_clear_error (&error);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", "BAY9-9", &error), ==, 0);
  g_assert_nonnull (strstr (error->message, "has no bed \"BAY9-9\""));
  g_clear_error (&error);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", "9999999999", &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_assert_null (strstr (error->message, "9999999999"));
  g_clear_error (&error);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", "#4000", &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (wk_print_find_patient (f->model, "7A", "  ", &error), ==, 0);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/print-run/ward", test_ward);
  ADD ("/print-run/hold", test_hold);
  ADD ("/print-run/first-printer-and-failover", test_first_printer_and_failover);
  ADD ("/print-run/chart-drill-resume", test_chart_drill_resume);
  ADD ("/print-run/refusals", test_refusals);
  ADD ("/print-run/find-patient", test_find_patient);
#undef ADD
  return g_test_run ();
}
