/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-printer.c — printers and the print spooler against a real cupsd and ippeveprinter. */

#include "wk-print-error.h"
#include "wk-print-spooler.h"
#include "wk-printer.h"
#include "wk-test-cups.h"
#include "wk-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

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
G_GNUC_UNUSED static GPtrArray *
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

G_GNUC_UNUSED static void
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

/* Nothing of ours in cupsd's spool: no job file (dNNNNN-NNN, the PDF), no job control
 * file, no new temporary file (@before: what was there before we printed; lpadmin's
 * PPD generation leaves a file in cupsd's TempDir). */
static void
assert_spool_clean (WkTestCups *cups, GPtrArray *before)
{
  g_autoptr (GPtrArray) files = wk_test_cups_dup_spool_files (cups);
  g_autoptr (GString) left = g_string_new (NULL);

  for (guint i = 0; i < files->len; i++)
    if (before == NULL
        || !g_ptr_array_find_with_equal_func (before, files->pdata[i], g_str_equal, NULL))
      g_string_append_printf (left, "%s ", (char *)files->pdata[i]);
  g_assert_cmpstr (left->str, ==, "");
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

G_GNUC_UNUSED static void
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

G_GNUC_UNUSED static const WkPrintEvent *
find_event (Run *run, WkPrintEventKind kind)
{
  for (guint i = 0; i < run->events->len; i++)
    if (((WkPrintEvent *)run->events->pdata[i])->kind == kind)
      return run->events->pdata[i];
  return NULL;
}

/* Every outcome printed, on the printer its COMPLETED event named. */
G_GNUC_UNUSED static void
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
  g_autoptr (GPtrArray) spool_before = wk_test_cups_dup_spool_files (cups);
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
  assert_spool_clean (cups, spool_before);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/print/printer/queue-receives-pdf", test_queue_receives_pdf);
  g_test_add_func ("/print/printer/direct-same-bytes", test_direct_printer_gets_same_bytes);
  return g_test_run ();
}
