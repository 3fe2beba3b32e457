/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-printer.c — printers and the print spooler against a real cupsd and ippeveprinter. */

#include "wk-print-error.h"
#include "wk-print-spooler.h"
#include "wk-printer.h"
#include "wk-snapshot-error.h"
#include "wk-test-cups.h"
#include "wk-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- helpers ------------------------------------------------------------------------ */

static WkPrinter *
new_printer (const char *name, const char *uri, WkTestCups *cups, gint64 failover_after_ms)
{
  WkPrinterSettings settings;
  g_autoptr (GError) error = NULL;
  WkPrinter *printer;

  wk_printer_settings_init (&settings);
  settings.server = cups != NULL ? wk_test_cups_get_server (cups) : NULL;
  settings.connect_timeout_ms = 2000;
  settings.failover_after_ms = failover_after_ms;
  settings.retries = 1;
  printer = wk_printer_new (name, uri, &settings, &error);
  g_assert_no_error (error);
  return printer;
}

static char *
chart_id (guint i)
{
  return i == 0 ? g_strdup ("7a-census") : g_strdup_printf ("7a-chart-%02u", i);
}

/* A ward: the census and @n_charts charts of one to three pages each. */
static GPtrArray *
new_ward (guint n_charts)
{
  GPtrArray *documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_print_document_unref);

  for (guint i = 0; i <= n_charts; i++)
    {
      g_autofree char *id = chart_id (i);
      guint            pages = i == 0 ? 2 : 1 + i % 3;
      g_autoptr (GBytes) pdf = wk_test_pdf_new (id, pages);
      g_autoptr (GError) error = NULL;

      g_ptr_array_add (documents, wk_print_document_new (id, pdf, pages, &error));
      g_assert_no_error (error);
    }
  return documents;
}

static WkJobStatus *
wait_job_final (WkPrinter *printer, int job_id)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WkJobStatus) status = wk_printer_get_job_status (printer, job_id, NULL, &error);

      g_assert_no_error (error);
      if (wk_job_state_is_final (status->state))
        return g_steal_pointer (&status);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}

/* The printed documents of @printers, by job name -> how many times. */
static GHashTable *
count_printed (WkTestPrinter **printers, guint n, GPtrArray **all)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (all != NULL)
    *all = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_test_document_free);
  for (guint p = 0; p < n; p++)
    {
      g_autoptr (GPtrArray) printed = wk_test_printer_dup_printed (printers[p]);

      for (guint i = 0; i < printed->len; i++)
        {
          WkTestDocument *document = printed->pdata[i];
          guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, document->job_name));

          g_hash_table_replace (counts, g_strdup (document->job_name),
                                GUINT_TO_POINTER (count + 1));
          if (all != NULL)
            g_ptr_array_add (*all, g_steal_pointer (&printed->pdata[i]));
        }
    }
  return counts;
}

static guint
n_printed (WkTestPrinter *printer)
{
  g_autoptr (GPtrArray) printed = wk_test_printer_dup_printed (printer);

  return printed->len;
}

static guint
n_received (WkTestPrinter *printer)
{
  g_autoptr (GPtrArray) received = wk_test_printer_dup_received (printer);

  return received->len;
}

static void
assert_each_printed_once (WkTestPrinter **printers, guint n, guint n_documents)
{
  g_autoptr (GHashTable) counts = count_printed (printers, n, NULL);

  for (guint i = 0; i < n_documents; i++)
    {
      g_autofree char *id = chart_id (i);

      if (GPOINTER_TO_UINT (g_hash_table_lookup (counts, id)) != 1)
        g_error ("%s was printed %u times, not once", id,
                 GPOINTER_TO_UINT (g_hash_table_lookup (counts, id)));
    }
  g_assert_cmpuint (g_hash_table_size (counts), ==, n_documents);
}

/* Nothing of ours left in cupsd's spool: no job file (dNNNNN-NNN, the PDF), no job
 * control file, no temporary file. */
static void
assert_spool_clean (WkTestCups *cups)
{
  g_autoptr (GPtrArray) files = wk_test_cups_dup_spool_files (cups);
  g_autofree char *list = NULL;

  g_ptr_array_add (files, NULL);
  list = g_strjoinv (" ", (char **)files->pdata);
  g_assert_cmpstr (list, ==, "");
}

static void
assert_scratch_empty (void)
{
  g_autofree char *scratch = wk_test_scratch_dir ();
  g_autoptr (GDir) dir = g_dir_open (scratch, 0, NULL);

  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
}

/* ---- one run of the spooler --------------------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  GPtrArray *events;
  GPtrArray *outcomes;
  GError    *error;
  gboolean   finished_before_callback;
  void (*on_event) (const WkPrintEvent *event, gpointer data);
  gpointer on_event_data;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_pointer (&run->events, g_ptr_array_unref);
  g_clear_pointer (&run->outcomes, g_ptr_array_unref);
  g_clear_error (&run->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
event_cb (WkPrintSpooler *spooler, const WkPrintEvent *event, Run *run)
{
  g_ptr_array_add (run->events, wk_print_event_copy (event));
  if (run->on_event != NULL)
    run->on_event (event, run->on_event_data);
}

static void
printed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Run          *run = data;
  WkPrintEvent *last = run->events->len > 0 ? run->events->pdata[run->events->len - 1] : NULL;

  run->finished_before_callback = last != NULL && last->kind == WK_PRINT_EVENT_FINISHED;
  run->outcomes = wk_print_spooler_print_finish (WK_PRINT_SPOOLER (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
run_spooler (Run *run, GPtrArray *printers, GPtrArray *documents, GCancellable *cancellable)
{
  g_autoptr (WkPrintSpooler) spooler = wk_print_spooler_new (printers);

  run->loop = g_main_loop_new (NULL, FALSE);
  run->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_print_event_free);
  wk_print_spooler_set_poll_interval (spooler, 100);
  g_signal_connect (spooler, "event", G_CALLBACK (event_cb), run);
  wk_print_spooler_print_async (spooler, documents, cancellable, printed_cb, run);
  g_main_loop_run (run->loop);
  g_assert_true (run->finished_before_callback);
  for (guint i = 0; i < run->events->len; i++)
    {
      g_autofree char *text = wk_print_event_describe (run->events->pdata[i]);

      g_test_message ("event: %s", text);
    }
}

static guint
count_events (Run *run, WkPrintEventKind kind)
{
  guint n = 0;

  for (guint i = 0; i < run->events->len; i++)
    n += ((WkPrintEvent *)run->events->pdata[i])->kind == kind;
  return n;
}

static const WkPrintEvent *
find_event (Run *run, WkPrintEventKind kind)
{
  for (guint i = 0; i < run->events->len; i++)
    if (((WkPrintEvent *)run->events->pdata[i])->kind == kind)
      return run->events->pdata[i];
  return NULL;
}

/* Every outcome printed, on the printer its COMPLETED event named. */
static void
assert_all_printed (Run *run, guint n_documents)
{
  const WkPrintEvent *finished = run->events->pdata[run->events->len - 1];

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->outcomes->len, ==, n_documents);
  for (guint i = 0; i < n_documents; i++)
    {
      WkPrintOutcome  *outcome = run->outcomes->pdata[i];
      g_autofree char *id = chart_id (i);

      g_assert_cmpstr (outcome->document, ==, id);
      g_assert_true (outcome->printed);
      g_assert_null (outcome->reason);
      g_assert_cmpint (outcome->job_id, >, 0);
    }
  g_assert_cmpint (finished->kind, ==, WK_PRINT_EVENT_FINISHED);
  g_assert_cmpuint (finished->n_documents, ==, n_documents);
  g_assert_cmpuint (finished->n_not_printed, ==, 0);
  g_assert_cmpuint (count_events (run, WK_PRINT_EVENT_COMPLETED), ==, n_documents);
  g_assert_cmpuint (count_events (run, WK_PRINT_EVENT_NOT_PRINTED), ==, 0);
}

/* ---- printers ----------------------------------------------------------------------- */

static void
test_queue_receives_pdf (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  g_autoptr (WkPrinter) printer = new_printer ("office", "office", cups, 60000);
  g_autoptr (GBytes) pdf = wk_test_pdf_new ("chart 1", 3);
  g_autofree char *sent_path = wk_test_scratch_path ("sent.pdf");
  g_autofree char *sent = NULL;
  g_autofree char *received = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) printed = NULL;
  g_autoptr (WkJobStatus) status = NULL;
  WkTestDocument *document;
  guint           pages = 0;
  int             job_id;

  job_id = wk_printer_submit (printer, "7a-chart-01", pdf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_id, >, 0);
  status = wait_job_final (printer, job_id);
  g_assert_cmpstr (wk_job_state_to_string (status->state), ==, "completed");

  /* The printer got one document, under the chart id, with the pages we sent: cupsd's
   * pdftopdf rewrites the file, so it is compared page by page, by its text. */
  printed = wk_test_printer_dup_printed (office);
  g_assert_cmpuint (printed->len, ==, 1);
  document = printed->pdata[0];
  g_assert_cmpstr (document->job_name, ==, "7a-chart-01");
  wk_test_write_pdf (sent_path, "chart 1", 3);
  sent = wk_test_pdf_dup_text (sent_path, NULL);
  received = wk_test_pdf_dup_text (document->path, &pages);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpstr (sent, ==, "chart 1 page 1 of 3\nchart 1 page 2 of 3\nchart 1 page 3 of 3\n");
  g_assert_cmpstr (received, ==, sent);
  g_unlink (sent_path);

  /* CUPS keeps the printed PDF in its spool until we purge it. */
  g_assert_cmpuint (wk_test_cups_dup_spool_files (cups)->len, >, 0);
  g_assert_true (wk_printer_purge_job (printer, job_id, NULL, &error));
  g_assert_no_error (error);
  assert_spool_clean (cups);
  assert_scratch_empty ();
}

static void
test_direct_printer_gets_same_bytes (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", FALSE);
  g_autoptr (WkPrinter) printer = new_printer ("bay", wk_test_printer_get_uri (bay), NULL, 60000);
  g_autoptr (GBytes) pdf = wk_test_pdf_new ("chart 2", 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) printed = NULL;
  g_autoptr (WkJobStatus) status = NULL;
  g_autofree char *received = NULL;
  gsize            length = 0;
  int              job_id;

  job_id = wk_printer_submit (printer, "7a-chart-02", pdf, NULL, &error);
  g_assert_no_error (error);
  status = wait_job_final (printer, job_id);
  g_assert_cmpint (status->state, ==, WK_JOB_STATE_COMPLETED);

  /* Straight to the printer, nothing rewrites it: the very bytes we sent. */
  printed = wk_test_printer_dup_printed (bay);
  g_assert_cmpuint (printed->len, ==, 1);
  g_assert_cmpstr (((WkTestDocument *)printed->pdata[0])->job_name, ==, "7a-chart-02");
  g_assert_true (
      g_file_get_contents (((WkTestDocument *)printed->pdata[0])->path, &received, &length, NULL));
  g_assert_cmpmem (received, length, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf));
  /* Nothing to purge on a printer; asking is harmless. */
  g_assert_true (wk_printer_purge_job (printer, job_id, NULL, &error));
}

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} Wait;

static void
got_result_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Wait *wait = data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

/* Runs the main loop until the pending call answers; returns its result. */
static GAsyncResult *
wait_result (Wait *wait)
{
  g_clear_object (&wait->result);
  g_main_loop_run (wait->loop);
  return wait->result;
}

static void
test_async (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  g_autoptr (WkPrinter) printer = new_printer ("office", "office", cups, 60000);
  g_autoptr (GBytes) pdf = wk_test_pdf_new ("chart 4", 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPrinterStatus) status = NULL;
  Wait wait = { g_main_loop_new (NULL, FALSE), NULL };
  int  job_id;

  /* The same operations from a main loop, each in a worker thread. */
  wk_printer_get_status_async (printer, NULL, got_result_cb, &wait);
  status = wk_printer_get_status_finish (printer, wait_result (&wait), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status->summary, ==, "Ready");

  wk_printer_submit_async (printer, "7a-chart-04", pdf, NULL, got_result_cb, &wait);
  job_id = wk_printer_submit_finish (printer, wait_result (&wait), &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_id, >, 0);

  for (gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;;)
    {
      g_autoptr (WkJobStatus) job = NULL;

      wk_printer_get_job_status_async (printer, job_id, NULL, got_result_cb, &wait);
      job = wk_printer_get_job_status_finish (printer, wait_result (&wait), &error);
      g_assert_no_error (error);
      if (job->state == WK_JOB_STATE_COMPLETED)
        break;
      g_assert_false (wk_job_state_is_final (job->state));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
  g_assert_cmpuint (n_printed (office), ==, 1);

  /* A printed job cannot be canceled; the printer says so. */
  wk_printer_cancel_job_async (printer, job_id, NULL, got_result_cb, &wait);
  g_assert_false (wk_printer_cancel_job_finish (printer, wait_result (&wait), &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER);
  g_assert_nonnull (strstr (error->message, "did not cancel job"));
  g_clear_error (&error);

  /* A bad job name is refused before anything is sent. */
  wk_printer_submit_async (printer, "chart for TESTER", pdf, NULL, got_result_cb, &wait);
  g_assert_cmpint (wk_printer_submit_finish (printer, wait_result (&wait), &error), ==, 0);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_object (&wait.result);
  g_main_loop_unref (wait.loop);
  g_assert_true (wk_printer_purge_job (printer, job_id, NULL, NULL));
}

static void
test_states (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", FALSE);
  g_autoptr (WkPrinter) queue = new_printer ("office", "office", cups, 60000);
  g_autoptr (WkPrinter) direct = new_printer ("bay", wk_test_printer_get_uri (bay), NULL, 60000);
  g_autoptr (WkPrinter) missing = new_printer ("missing", "no-such-queue", cups, 60000);
  g_autoptr (WkPrinterStatus) status = NULL;
  g_autoptr (GBytes) pdf = wk_test_pdf_new ("chart 1", 1);
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (wk_printer_get_kind (queue), ==, "cups");
  g_assert_true (wk_printer_spools (queue));
  g_assert_false (wk_printer_spools (direct));

  /* Ready. */
  status = wk_printer_get_status (queue, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wk_printer_state_to_string (status->state), ==, "idle");
  g_assert_true (status->accepting);
  g_assert_false (status->problem);
  g_assert_cmpstr (status->summary, ==, "Ready");
  g_clear_pointer (&status, wk_printer_status_free);

  /* Stopped in CUPS, with the reason IT gave. */
  wk_test_cups_disable (cups, "office", "Tray 2 jammed");
  status = wk_printer_get_status (queue, NULL, &error);
  g_assert_cmpint (status->state, ==, WK_PRINTER_STATE_STOPPED);
  g_assert_true (status->problem);
  g_assert_true (g_strv_contains ((const char *const *)status->reasons, "paused"));
  g_assert_cmpstr (status->message, ==, "Tray 2 jammed");
  g_assert_cmpstr (status->summary, ==, "Stopped: Tray 2 jammed");
  g_clear_pointer (&status, wk_printer_status_free);
  wk_test_cups_enable (cups, "office");

  /* Refusing jobs: the status says so, and so does a submission. */
  wk_test_cups_reject (cups, "office", "Out of service");
  status = wk_printer_get_status (queue, NULL, &error);
  g_assert_cmpint (status->state, ==, WK_PRINTER_STATE_IDLE);
  g_assert_false (status->accepting);
  g_assert_true (status->problem);
  g_assert_true (g_str_has_prefix (status->summary, "Not accepting jobs"));
  g_clear_pointer (&status, wk_printer_status_free);
  g_assert_cmpint (wk_printer_submit (queue, "7a-chart-01", pdf, NULL, &error), ==, 0);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_NOT_ACCEPTING);
  g_assert_nonnull (strstr (error->message, "not accepting jobs"));
  g_clear_error (&error);
  wk_test_cups_accept (cups, "office");

  /* A queue CUPS does not have. */
  status = wk_printer_get_status (missing, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (status->problem);
  g_assert_false (status->accepting);
  g_assert_nonnull (strstr (status->summary, "no-such-queue"));
  g_clear_pointer (&status, wk_printer_status_free);
  g_assert_cmpint (wk_printer_submit (missing, "7a-chart-01", pdf, NULL, &error), ==, 0);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER);
  g_assert_nonnull (strstr (error->message, "Check the printer's uri"));
  g_clear_error (&error);

  /* A printer that is switched off, addressed directly. */
  status = wk_printer_get_status (direct, NULL, &error);
  g_assert_cmpstr (status->summary, ==, "Ready");
  g_clear_pointer (&status, wk_printer_status_free);
  wk_test_printer_kill (bay);
  status = wk_printer_get_status (direct, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status->state, ==, WK_PRINTER_STATE_UNREACHABLE);
  g_assert_true (status->problem);
  g_assert_true (g_str_has_prefix (status->summary, "Not responding: "));
  g_clear_pointer (&status, wk_printer_status_free);
  g_assert_cmpint (wk_printer_submit (direct, "7a-chart-01", pdf, NULL, &error), ==, 0);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNREACHABLE);
  g_clear_error (&error);
  /* ... and back. */
  wk_test_printer_restart (bay);
  status = wk_printer_get_status (direct, NULL, &error);
  g_assert_cmpstr (status->summary, ==, "Ready");
  g_clear_pointer (&status, wk_printer_status_free);

  /* The printer behind a queue is switched off: CUPS only says so in words, while a job
   * waits. */
  wk_test_printer_kill (office);
  g_assert_cmpint (wk_printer_submit (queue, "7a-chart-02", pdf, NULL, &error), >, 0);
  g_assert_no_error (error);
  for (gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;;)
    {
      status = wk_printer_get_status (queue, NULL, &error);
      if (g_str_has_prefix (status->summary, "Not responding"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_clear_pointer (&status, wk_printer_status_free);
      g_usleep (100000);
    }
  g_assert_true (status->problem);
  g_assert_cmpint (status->state, ==, WK_PRINTER_STATE_PROCESSING);
}

/* Runs `wardkeep printers`; @cups_server: CUPS_SERVER for it alone, or NULL. */
static int
run_wardkeep_printers (const char *config, const char *cups_server, char **out, char **err)
{
  g_autofree char *program = wk_test_build_path ("kiosk", "cli", "wardkeep", NULL);
  const char      *argv[] = { program, "printers", "--config", config, NULL };
  g_auto (GStrv) envp = g_environ_unsetenv (g_get_environ (), "CUPS_SERVER");
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (cups_server != NULL)
    envp = g_environ_setenv (envp, "CUPS_SERVER", cups_server, TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                               &status, &error));
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL) ? 0 : WEXITSTATUS (status);
}

static void
test_cli_printers (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  g_autofree char *config = wk_test_scratch_path ("wardkeep.conf");
  g_autofree char *folder = wk_test_scratch_path ("pdf");
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;

  wk_test_cups_add_printer (cups, "office", TRUE);
  wk_test_cups_add_printer (cups, "bay", TRUE);
  text = g_strdup_printf ("[ward]\nid = 7A\n"
                          "[printer pdf]\nuri = %s\norder = 90\n"
                          "[printer bay]\nuri = bay\nserver = %s\norder = 60\n"
                          "[printer office]\nuri = office\nserver = %s\n"
                          "description = Ward 7A office laser\n",
                          folder, wk_test_cups_get_server (cups), wk_test_cups_get_server (cups));
  g_assert_true (g_file_set_contents (config, text, -1, NULL));

  /* In the order charts go to them; a stopped one is named, with CUPS's own words. */
  wk_test_cups_disable (cups, "bay", "Tray 2 jammed");
  g_assert_cmpint (run_wardkeep_printers (config, NULL, &out, &err), ==, 1);
  expected = g_strdup_printf ("1. office — Ward 7A office laser, first choice (cups office)\n"
                              "   Ready\n"
                              "2. bay (cups bay)\n"
                              "   Stopped: Tray 2 jammed\n"
                              "   state stopped, accepting jobs; reasons: paused; message: Tray 2 "
                              "jammed\n"
                              "3. pdf (folder %s)\n"
                              "   Ready: saves each chart as a PDF file (patient data) in %s\n"
                              "   state idle, accepting jobs; reasons: none; message: saves each "
                              "chart as a PDF file (patient data) in %s\n",
                              folder, folder, folder);
  g_assert_cmpstr (out, ==, expected);
  g_assert_cmpstr (err, ==, "wardkeep: 1 of 3 printers cannot print right now\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  wk_test_cups_enable (cups, "bay");
  g_assert_cmpint (run_wardkeep_printers (config, NULL, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Without `server`, a queue is on the machine's CUPS: libcups's default, here set for
   * the child alone. */
  g_free (text);
  text = g_strdup ("[ward]\nid = 7A\n[printer office]\nuri = office\n");
  g_assert_true (g_file_set_contents (config, text, -1, NULL));
  g_assert_cmpint (run_wardkeep_printers (config, wk_test_cups_get_server (cups), &out, &err), ==,
                   0);
  g_assert_cmpstr (out, ==, "1. office, first choice (cups office)\n   Ready\n");
  g_unlink (config);
}

static void
test_reasons_in_words (void)
{
  const char *const paper[] = { "media-empty-error", "door-open", "toner-low-warning", NULL };
  const char *const low[] = { "toner-low-warning", "media-low-report", "none", NULL };
  const char *const unknown[] = { "tray-3-sensor-error", NULL };
  const char *const offline[] = { "offline-report", NULL };
  g_autofree char  *words = NULL;
  gboolean          problem = FALSE;

  words = wk_printer_describe_reasons (paper, &problem);
  g_assert_cmpstr (words, ==, "out of paper; a door is open; toner running low");
  g_assert_true (problem);
  g_free (words);
  words = wk_printer_describe_reasons (low, &problem);
  g_assert_cmpstr (words, ==, "toner running low; paper running low");
  g_assert_false (problem);
  g_free (words);
  words = wk_printer_describe_reasons (unknown, &problem);
  g_assert_cmpstr (words, ==, "tray 3 sensor");
  g_assert_true (problem);
  g_free (words);
  /* CUPS reports a printer that is off as offline-report: still a problem. */
  words = wk_printer_describe_reasons (offline, &problem);
  g_assert_cmpstr (words, ==, "switched off or disconnected");
  g_assert_true (problem);
}

static void
test_job_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) pdf = wk_test_pdf_new ("x", 1);
  g_autoptr (GBytes) text = g_bytes_new_static ("hello", 5);
  g_autofree char *nhs = wk_test_nhs_number (3);
  g_autofree char *with_nhs = g_strdup_printf ("chart-%s", nhs);
  g_autofree char *long_name = g_strnfill (65, 'a');

  g_assert_true (wk_printer_check_job_name ("7A-chart-0001.v2_x", &error));
  g_assert_no_error (error);

  /* Names CUPS would log that could identify a patient, or are not names at all. */
  g_assert_false (wk_printer_check_job_name (with_nhs, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "NHS number"));
  g_clear_error (&error);
  g_assert_false (wk_printer_check_job_name ("TESTER Alex", &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "character 7"));
  g_clear_error (&error);
  g_assert_false (wk_printer_check_job_name ("", &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (wk_printer_check_job_name (long_name, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);

  /* Documents: a valid name and a PDF. */
  g_assert_null (wk_print_document_new (with_nhs, pdf, 1, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (wk_print_document_new ("7a-chart-01", text, 1, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not a PDF"));
}

static void
test_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = NULL;
  g_autoptr (GPtrArray) printers = NULL;
  const WkPrinterSettings *office;

  config = wk_config_load_from_data ("[ward]\nid = 7A\n"
                                     "[printer office]\nuri = ward-7a\nduplex = long-edge\n"
                                     "mono = true\nfailover-after = 45s\nretries = 0\n"
                                     "server = cups.example:8631\nmedia = Letter\n"
                                     "[printer first]\nuri = ipps://bay1.example/ipp/print\n"
                                     "order = 10\ndescription = Bay 1 laser\n"
                                     "[printer pdf]\nuri = /srv/charts\norder = 90\n",
                                     -1, "test.conf", &error);
  g_assert_no_error (error);
  printers = wk_printer_list_from_config (config, &error);
  g_assert_no_error (error);

  /* By order, then file order (office has the default, 50). */
  g_assert_cmpuint (printers->len, ==, 3);
  g_assert_cmpstr (wk_printer_get_name (printers->pdata[0]), ==, "first");
  g_assert_cmpstr (wk_printer_get_description (printers->pdata[0]), ==, "Bay 1 laser");
  g_assert_cmpstr (wk_printer_get_name (printers->pdata[1]), ==, "office");
  g_assert_cmpstr (wk_printer_get_name (printers->pdata[2]), ==, "pdf");
  g_assert_cmpstr (wk_printer_get_kind (printers->pdata[2]), ==, "folder");
  office = wk_printer_get_settings (printers->pdata[1]);
  g_assert_cmpint (office->duplex, ==, WK_PRINTER_DUPLEX_LONG_EDGE);
  g_assert_true (office->mono);
  g_assert_cmpint (office->failover_after_ms, ==, 45000);
  g_assert_cmpuint (office->retries, ==, 0);
  g_assert_cmpstr (office->server, ==, "cups.example:8631");
  g_assert_cmpstr (office->media, ==, "Letter");
  g_assert_cmpint (office->connect_timeout_ms, ==, 10000);
  g_clear_pointer (&config, wk_config_free);
  g_clear_pointer (&printers, g_ptr_array_unref);

  /* A URI wardkeep cannot print to is refused with the file, group and key. */
  config = wk_config_load_from_data ("[ward]\nid = 7A\n[printer office]\nuri = socket://10.0.0.9\n",
                                     -1, "test.conf", &error);
  g_assert_no_error (error);
  g_assert_null (wk_printer_list_from_config (config, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "test.conf: [printer office] uri: "));
  g_assert_nonnull (strstr (error->message, "add a CUPS queue"));
  g_clear_error (&error);
  g_clear_pointer (&config, wk_config_free);

  /* Bad values never load. */
  g_assert_null (wk_config_load_from_data ("[ward]\nid = 7A\n[printer office]\nuri = q\n"
                                           "duplex = both\n",
                                           -1, "test.conf", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "[printer office] duplex"));
  g_clear_error (&error);
  g_assert_null (wk_config_load_from_data ("[ward]\nid = 7A\n[printer office]\nuri = q\n"
                                           "failover-after = 10ms\n",
                                           -1, "test.conf", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "[printer office] failover-after"));
}

static void
test_folder (void)
{
  g_autofree char *folder = wk_test_scratch_path ("charts");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPrinter) printer = NULL;
  g_autoptr (WkPrinterStatus) status = NULL;
  g_autoptr (GBytes) pdf = wk_test_pdf_new ("chart 1", 2);
  g_autoptr (WkJobStatus) job = NULL;
  g_autofree char *first = g_build_filename (folder, "7a-chart-01.pdf", NULL);
  g_autofree char *second = g_build_filename (folder, "7a-chart-01-2.pdf", NULL);
  g_autofree char *stale = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GDir) dir = NULL;
  gsize       length = 0;
  struct stat st;
  int         job_id;
  guint       n_files = 0;

  printer = wk_printer_new ("pdf", folder, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wk_printer_get_kind (printer), ==, "folder");
  status = wk_printer_get_status (printer, NULL, &error);
  g_assert_cmpint (status->state, ==, WK_PRINTER_STATE_IDLE);
  g_assert_nonnull (strstr (status->summary, folder));
  g_assert_nonnull (strstr (status->summary, "patient data"));

  job_id = wk_printer_submit (printer, "7a-chart-01", pdf, NULL, &error);
  g_assert_no_error (error);
  job = wk_printer_get_job_status (printer, job_id, NULL, &error);
  g_assert_cmpint (job->state, ==, WK_JOB_STATE_COMPLETED);
  g_assert_nonnull (strstr (job->message, first));

  /* The very PDF, readable by this user only, in a folder only this user can enter. */
  g_assert_true (g_file_get_contents (first, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf));
  g_assert_cmpint (stat (first, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (stat (folder, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  /* After a crash in the middle of a write (a hidden temp file) and a restart, the same
   * chart again never overwrites the first file. */
  stale = g_build_filename (folder, ".7a-chart-09.pdf.Ab12Cd", NULL);
  g_assert_true (g_file_set_contents (stale, "%PDF-1.5 half", -1, NULL));
  g_clear_pointer (&printer, wk_printer_unref);
  printer = wk_printer_new ("pdf", folder, NULL, &error);
  g_assert_cmpint (wk_printer_submit (printer, "7a-chart-01", pdf, NULL, &error), ==, 1);
  g_assert_true (g_file_test (second, G_FILE_TEST_IS_REGULAR));
  g_assert_true (wk_printer_purge_job (printer, 1, NULL, &error));
  g_assert_true (g_file_test (first, G_FILE_TEST_IS_REGULAR));

  /* No temporary file left beside them, not even the one of an earlier crash. */
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  dir = g_dir_open (folder, 0, NULL);
  for (const char *name; (name = g_dir_read_name (dir)) != NULL; n_files++)
    g_assert_false (name[0] == '.');
  g_assert_cmpuint (n_files, ==, 2);

  /* A relative path is refused; a folder that cannot be made stops the printer. */
  g_assert_null (wk_printer_new_folder ("pdf", "charts", &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&printer, wk_printer_unref);
  g_clear_pointer (&status, wk_printer_status_free);
  {
    g_autofree char *below_file = g_build_filename (first, "sub", NULL);

    printer = wk_printer_new_folder ("pdf", below_file, &error);
    status = wk_printer_get_status (printer, NULL, &error);
    g_assert_cmpint (status->state, ==, WK_PRINTER_STATE_STOPPED);
    g_assert_true (g_str_has_prefix (status->summary, "Stopped: cannot write PDF files"));
    g_assert_cmpint (wk_printer_submit (printer, "7a-chart-02", pdf, NULL, &error), ==, 0);
    g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_NOT_ACCEPTING);
  }
}

/* ---- the spooler -------------------------------------------------------------------- */

static GPtrArray *
printer_list (WkPrinter *first, ...)
{
  GPtrArray *printers = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_printer_unref);
  va_list    args;

  va_start (args, first);
  for (WkPrinter *p = first; p != NULL; p = va_arg (args, WkPrinter *))
    g_ptr_array_add (printers, p);
  va_end (args);
  return printers;
}

/* For each document: submitted, then accepted, then completed, in that order. */
static void
assert_event_order (Run *run, guint n_documents)
{
  for (guint d = 0; d < n_documents; d++)
    {
      g_autofree char *id = chart_id (d);
      int              last = -1;

      for (guint i = 0; i < run->events->len; i++)
        {
          WkPrintEvent *event = run->events->pdata[i];

          if (g_strcmp0 (event->document, id) != 0)
            continue;
          g_assert_cmpint (event->index, ==, d);
          if (event->kind == WK_PRINT_EVENT_SUBMITTED)
            last = 0;
          else if (event->kind == WK_PRINT_EVENT_ACCEPTED)
            {
              g_assert_cmpint (last, ==, 0);
              g_assert_cmpint (event->job_id, >, 0);
              last = 1;
            }
          else if (event->kind == WK_PRINT_EVENT_COMPLETED)
            {
              g_assert_cmpint (last, ==, 1);
              last = 2;
            }
        }
      g_assert_cmpint (last, ==, 2);
    }
}

static void
test_ward (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", TRUE);
  WkTestPrinter *all[] = { office, bay };
  g_autoptr (GPtrArray) printers = printer_list (new_printer ("office", "office", cups, 60000),
                                                 new_printer ("bay", "bay", cups, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (30);
  g_autoptr (GPtrArray) printed = NULL;
  g_auto (Run) run = { 0 };

  run_spooler (&run, printers, ward, NULL);
  assert_all_printed (&run, 31);
  assert_event_order (&run, 31);
  g_assert_cmpuint (count_events (&run, WK_PRINT_EVENT_FAILOVER), ==, 0);

  /* Everything on the first printer, each once, in ward order (census first). */
  assert_each_printed_once (all, 2, 31);
  printed = wk_test_printer_dup_printed (office);
  g_assert_cmpuint (printed->len, ==, 31);
  for (guint i = 0; i < printed->len; i++)
    {
      g_autofree char *id = chart_id (i);
      WkTestDocument  *document = printed->pdata[i];
      g_autofree char *text = wk_test_pdf_dup_text (document->path, NULL);
      g_autofree char *first_line = g_strdup_printf ("%s page 1 of ", id);

      g_assert_cmpstr (document->job_name, ==, id);
      g_assert_true (g_str_has_prefix (text, first_line));
      g_assert_cmpstr (((WkPrintOutcome *)run.outcomes->pdata[i])->printer, ==, "office");
    }

  /* The spooler purged every job: no PDF is left in CUPS's spool. */
  assert_spool_clean (cups);
  assert_scratch_empty ();
}

static void
test_failover_when_stopped (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", TRUE);
  WkTestPrinter *all[] = { office, bay };
  g_autoptr (GPtrArray) printers = printer_list (new_printer ("office", "office", cups, 60000),
                                                 new_printer ("bay", "bay", cups, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (5);
  const WkPrintEvent *failover;

  /* Stopped: passed over before anything is sent to it. */
  wk_test_cups_disable (cups, "office", "Paper jam in tray 1");
  {
    g_auto (Run) run = { 0 };

    run_spooler (&run, printers, ward, NULL);
    assert_all_printed (&run, 6);
    failover = find_event (&run, WK_PRINT_EVENT_FAILOVER);
    g_assert_nonnull (failover);
    g_assert_cmpstr (failover->printer, ==, "office");
    g_assert_cmpstr (failover->next_printer, ==, "bay");
    g_assert_cmpuint (failover->n_documents, ==, 6);
    g_assert_nonnull (strstr (failover->message, "Paper jam in tray 1"));
    g_assert_cmpuint (count_events (&run, WK_PRINT_EVENT_SUBMITTED), ==, 6);
    g_assert_cmpstr (((WkPrintOutcome *)run.outcomes->pdata[0])->printer, ==, "bay");
    assert_each_printed_once (all, 2, 6);
  }
  wk_test_cups_enable (cups, "office");

  /* Refusing jobs: the same. */
  wk_test_cups_reject (cups, "office", NULL);
  {
    g_auto (Run) run = { 0 };
    g_autoptr (GPtrArray) bay_printed = NULL;

    run_spooler (&run, printers, ward, NULL);
    assert_all_printed (&run, 6);
    failover = find_event (&run, WK_PRINT_EVENT_FAILOVER);
    g_assert_nonnull (failover);
    g_assert_true (g_str_has_prefix (failover->message, "Not accepting jobs"));
    bay_printed = wk_test_printer_dup_printed (bay);
    g_assert_cmpuint (bay_printed->len, ==, 12);
  }
  g_assert_cmpuint (n_printed (office), ==, 0);
  assert_spool_clean (cups);
}

static void
test_failover_when_job_aborts (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", FALSE);
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", TRUE);
  WkTestPrinter *all[] = { office, bay };
  g_autoptr (GPtrArray) printers
      = printer_list (new_printer ("office", wk_test_printer_get_uri (office), NULL, 60000),
                      new_printer ("bay", "bay", cups, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (8);
  g_auto (Run) run = { 0 };
  const WkPrintEvent *failed, *failover;

  /* The first printer takes the jobs, then aborts them. */
  wk_test_printer_set_failing (office, TRUE);
  run_spooler (&run, printers, ward, NULL);
  assert_all_printed (&run, 9);

  failed = find_event (&run, WK_PRINT_EVENT_FAILED);
  g_assert_nonnull (failed);
  g_assert_cmpstr (failed->printer, ==, "office");
  g_assert_true (g_str_has_prefix (failed->message, "the job was aborted"));
  failover = find_event (&run, WK_PRINT_EVENT_FAILOVER);
  g_assert_cmpstr (failover->printer, ==, "office");
  g_assert_cmpstr (failover->next_printer, ==, "bay");
  g_assert_cmpstr (failover->message, ==, failed->message);
  /* Failed job, and whatever the printer had not printed: all of them moved. */
  g_assert_cmpuint (failover->n_documents, ==, 9);
  for (guint i = 0; i < 9; i++)
    g_assert_cmpstr (((WkPrintOutcome *)run.outcomes->pdata[i])->printer, ==, "bay");
  assert_each_printed_once (all, 2, 9);
}

static void
count_completed (const WkPrintEvent *event, gpointer data)
{
  guint *n_completed = data;

  if (event->kind == WK_PRINT_EVENT_COMPLETED)
    (*n_completed)++;
}

static void
test_primary_dies_mid_ward (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", TRUE);
  WkTestPrinter *all[] = { office, bay };
  g_autoptr (GPtrArray) printers = printer_list (new_printer ("office", "office", cups, 8000),
                                                 new_printer ("bay", "bay", cups, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (30);
  g_autoptr (GPtrArray) office_printed = NULL;
  g_autoptr (GPtrArray) bay_printed = NULL;
  g_auto (Run) run = { 0 };
  const WkPrintEvent *failover;
  guint               n_completed = 0;

  /* The office printer dies (SIGKILL) when the 11th document reaches it. */
  wk_test_printer_set_kill_after (office, 10);
  run.on_event = count_completed;
  run.on_event_data = &n_completed;
  run_spooler (&run, printers, ward, NULL);
  g_assert_false (wk_test_printer_is_running (office));

  assert_all_printed (&run, 31);
  failover = find_event (&run, WK_PRINT_EVENT_FAILOVER);
  g_assert_nonnull (failover);
  g_assert_cmpstr (failover->printer, ==, "office");
  g_assert_cmpstr (failover->next_printer, ==, "bay");
  g_assert_cmpuint (failover->n_documents, ==, 21);
  g_assert_true (g_str_has_prefix (failover->message, "nothing printed for 8 s"));

  /* Ten on the office printer, the other 21 on the bay printer, each exactly once. */
  office_printed = wk_test_printer_dup_printed (office);
  bay_printed = wk_test_printer_dup_printed (bay);
  g_assert_cmpuint (office_printed->len, ==, 10);
  g_assert_cmpuint (bay_printed->len, ==, 21);
  /* It had the eleventh when it died, and never printed it. */
  g_assert_cmpuint (n_received (office), ==, 11);
  assert_each_printed_once (all, 2, 31);
  for (guint i = 0; i < 31; i++)
    g_assert_cmpstr (((WkPrintOutcome *)run.outcomes->pdata[i])->printer, ==,
                     i < 10 ? "office" : "bay");

  /* The jobs the office queue still held were canceled and purged: nothing is left to
   * print twice when the printer comes back, and no PDF stays in the spool. */
  assert_spool_clean (cups);
}

static void
test_direct_primary_dies (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", FALSE);
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", FALSE);
  g_autoptr (GPtrArray) printers
      = printer_list (new_printer ("office", wk_test_printer_get_uri (office), NULL, 5000),
                      new_printer ("bay", wk_test_printer_get_uri (bay), NULL, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (12);
  g_autoptr (GPtrArray) office_printed = NULL;
  g_autoptr (GPtrArray) bay_printed = NULL;
  g_auto (Run) run = { 0 };
  const WkPrintEvent *failover;
  guint               n_warned = 0;

  /* Printers addressed directly: the office printer prints five documents as fast as they
   * arrive and dies on the sixth, before anyone heard that the five were done. Their
   * state is unknown and nobody can cancel them, so they go to the bay printer too, and
   * each is reported as one the office printer may have printed as well. */
  wk_test_printer_set_kill_after (office, 5);
  run_spooler (&run, printers, ward, NULL);
  assert_all_printed (&run, 13);
  failover = find_event (&run, WK_PRINT_EVENT_FAILOVER);
  g_assert_cmpstr (failover->printer, ==, "office");
  g_assert_cmpstr (failover->next_printer, ==, "bay");
  g_assert_cmpuint (failover->n_documents, ==, 13);

  /* Every document reached paper; a document on paper twice is always one reported. */
  office_printed = wk_test_printer_dup_printed (office);
  bay_printed = wk_test_printer_dup_printed (bay);
  g_assert_cmpuint (office_printed->len, ==, 5);
  assert_each_printed_once (&bay, 1, 13);
  for (guint i = 0; i < office_printed->len; i++)
    {
      WkTestDocument  *document = office_printed->pdata[i];
      g_autofree char *id = chart_id (i);
      WkPrintOutcome  *outcome = run.outcomes->pdata[i];

      g_assert_cmpstr (document->job_name, ==, id);
      g_assert_cmpstr (outcome->also_sent_to, ==, "office");
    }
  for (guint i = 0; i < run.events->len; i++)
    {
      WkPrintEvent *event = run.events->pdata[i];

      if (event->kind == WK_PRINT_EVENT_FAILED
          && strstr (event->message, "may also print on office"))
        n_warned++;
    }
  /* The five, and the sixth too when the printer had answered for it before dying. */
  g_assert_cmpuint (n_warned, >=, 5);
  for (guint i = 0; i < 13; i++)
    if (((WkPrintOutcome *)run.outcomes->pdata[i])->also_sent_to != NULL)
      n_warned--;
  g_assert_cmpuint (n_warned, ==, 0);
}

static void
enable_on_problem (const WkPrintEvent *event, gpointer data)
{
  WkTestCups *cups = data;

  if (event->kind == WK_PRINT_EVENT_PRINTER_STATE && event->problem)
    wk_test_cups_enable (cups, "office");
}

static void
test_last_printer_waits (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  g_autoptr (GPtrArray) printers
      = printer_list (new_printer ("office", "office", cups, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (3);
  g_auto (Run) run = { 0 };
  const WkPrintEvent *state;

  /* The only printer is stopped: the charts wait in its queue, the run says so, and
   * they print once someone starts it. */
  wk_test_cups_disable (cups, "office", "Toner door open");
  run.on_event = enable_on_problem;
  run.on_event_data = cups;
  run_spooler (&run, printers, ward, NULL);
  assert_all_printed (&run, 4);
  state = find_event (&run, WK_PRINT_EVENT_PRINTER_STATE);
  g_assert_nonnull (state);
  g_assert_true (state->problem);
  g_assert_nonnull (strstr (state->message, "Toner door open"));
  g_assert_cmpuint (count_events (&run, WK_PRINT_EVENT_FAILOVER), ==, 0);
  g_assert_cmpuint (n_printed (office), ==, 4);
}

static void
cancel_on_problem (const WkPrintEvent *event, gpointer data)
{
  if (event->kind == WK_PRINT_EVENT_PRINTER_STATE && event->problem)
    g_cancellable_cancel (data);
}

static void
test_cancel (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *office = wk_test_cups_add_printer (cups, "office", TRUE);
  g_autoptr (GPtrArray) printers
      = printer_list (new_printer ("office", "office", cups, 60000), NULL);
  g_autoptr (GPtrArray) ward = new_ward (3);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (Run) run = { 0 };
  const WkPrintEvent *finished;

  wk_test_cups_disable (cups, "office", NULL);
  run.on_event = cancel_on_problem;
  run.on_event_data = cancellable;
  run_spooler (&run, printers, ward, cancellable);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (run.outcomes);
  g_assert_cmpuint (count_events (&run, WK_PRINT_EVENT_NOT_PRINTED), ==, 4);
  finished = run.events->pdata[run.events->len - 1];
  g_assert_cmpuint (finished->n_not_printed, ==, 4);

  /* The queued jobs went with the run: starting the queue prints nothing. */
  assert_spool_clean (cups);
  wk_test_cups_enable (cups, "office");
  g_assert_cmpuint (n_printed (office), ==, 0);
}

static void
test_nowhere_to_print (void)
{
  g_autoptr (WkTestCups) cups = wk_test_cups_new ();
  WkTestPrinter *bay = wk_test_cups_add_printer (cups, "bay", FALSE);
  g_autoptr (GPtrArray) ward = new_ward (2);
  g_autoptr (GPtrArray) none = g_ptr_array_new ();

  /* No printer configured. */
  {
    g_auto (Run) run = { 0 };

    run_spooler (&run, none, ward, NULL);
    g_assert_no_error (run.error);
    g_assert_cmpuint (count_events (&run, WK_PRINT_EVENT_NOT_PRINTED), ==, 3);
    for (guint i = 0; i < 3; i++)
      {
        WkPrintOutcome *outcome = run.outcomes->pdata[i];

        g_assert_false (outcome->printed);
        g_assert_nonnull (strstr (outcome->reason, "no printer is configured"));
      }
  }

  /* The only printer is switched off: tried, retried, and reported. */
  wk_test_printer_kill (bay);
  {
    g_autoptr (GPtrArray) printers
        = printer_list (new_printer ("bay", wk_test_printer_get_uri (bay), NULL, 60000), NULL);
    g_auto (Run) run = { 0 };
    const WkPrintEvent *finished;

    run_spooler (&run, printers, ward, NULL);
    g_assert_no_error (run.error);
    finished = run.events->pdata[run.events->len - 1];
    g_assert_cmpuint (finished->n_documents, ==, 0);
    g_assert_cmpuint (finished->n_not_printed, ==, 3);
    g_assert_nonnull (find_event (&run, WK_PRINT_EVENT_FAILED));
    g_assert_null (find_event (&run, WK_PRINT_EVENT_FAILOVER)->next_printer);
    for (guint i = 0; i < 3; i++)
      {
        WkPrintOutcome *outcome = run.outcomes->pdata[i];

        g_assert_false (outcome->printed);
        g_assert_nonnull (strstr (outcome->reason, "Cannot reach the printer for printer bay"));
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/print/printer/queue-receives-pdf", test_queue_receives_pdf);
  g_test_add_func ("/print/printer/direct-same-bytes", test_direct_printer_gets_same_bytes);
  g_test_add_func ("/print/printer/async", test_async);
  g_test_add_func ("/print/printer/states", test_states);
  g_test_add_func ("/print/printer/cli-printers", test_cli_printers);
  g_test_add_func ("/print/printer/reasons-in-words", test_reasons_in_words);
  g_test_add_func ("/print/printer/job-names", test_job_names);
  g_test_add_func ("/print/printer/config", test_config);
  g_test_add_func ("/print/printer/folder", test_folder);
  g_test_add_func ("/print/spooler/ward", test_ward);
  g_test_add_func ("/print/spooler/failover-stopped-or-rejecting", test_failover_when_stopped);
  g_test_add_func ("/print/spooler/failover-job-aborted", test_failover_when_job_aborts);
  g_test_add_func ("/print/spooler/primary-dies-mid-ward", test_primary_dies_mid_ward);
  g_test_add_func ("/print/spooler/direct-primary-dies", test_direct_primary_dies);
  g_test_add_func ("/print/spooler/last-printer-waits", test_last_printer_waits);
  g_test_add_func ("/print/spooler/cancel", test_cancel);
  g_test_add_func ("/print/spooler/nowhere-to-print", test_nowhere_to_print);
  return g_test_run ();
}
