/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-print.c — `wardkeep print census|chart PATIENT|ward`: through the daemon when it
 * runs, else straight from the newest snapshot; or into a PDF file. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-chart-id.h"
#include "wk-chart-renderer.h"
#include "wk-cli.h"
#include "wk-control.h"
#include "wk-print-run.h"
#include "wk-printer.h"
#include "wk-store.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <fcntl.h>
#include <poppler.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Poppler 22.02 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerDocument, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerPage, g_object_unref)

typedef struct
{
  WkLedgerWhat what;
  const char  *patient; /* as typed */
  char        *printer;
  char        *pdf;
  char        *who;
  gboolean     drill;
  gboolean     direct;
  gboolean     no_wait;
} Request;

/* A time in the ward's zone for people: "Sat 14 Mar 02:13 GMT". */
static char *
local_time (WkConfig *config, gint64 utc)
{
  g_autoptr (GTimeZone) zone
      = g_time_zone_new_identifier (wk_config_get_string (config, "ward", "timezone"));
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);
  g_autoptr (GDateTime) local = NULL;

  if (when == NULL)
    return g_strdup ("an unknown time");
  local = g_date_time_to_timezone (when, zone != NULL ? zone : g_time_zone_new_utc ());
  return g_date_time_format (local, "%a %d %b %H:%M %Z");
}

static void
print_data_time (WkConfig *config, guint64 seq, gint64 at)
{
  g_autofree char *when = local_time (config, at);
  gint64           age = g_get_real_time () / G_USEC_PER_SEC - at;

  printf ("From snapshot %" G_GUINT64_FORMAT ": data as of %s (%" G_GINT64_FORMAT " min old)\n",
          seq, when, MAX (age, 0) / 60);
}

/* ---- straight from the snapshot ---- */

typedef struct
{
  GMainLoop *loop;
  GPtrArray *outcomes;
  GError    *error;
} Waiting;

static void
run_event_cb (WkPrintRun *run, const WkPrintEvent *event, gpointer data)
{
  g_autofree char *line = wk_print_event_describe (event);

  printf ("  %s\n", line);
  fflush (stdout);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Waiting *waiting = data;

  waiting->outcomes = wk_print_run_finish (WK_PRINT_RUN (source), result, &waiting->error);
  g_main_loop_quit (waiting->loop);
}

static int
report_outcomes (GPtrArray *outcomes)
{
  guint printed = 0;

  for (guint i = 0; i < outcomes->len; i++)
    printed += ((WkPrintOutcome *)outcomes->pdata[i])->printed;
  if (printed == outcomes->len)
    {
      printf ("All %u document(s) printed.\n", printed);
      return WK_CLI_EXIT_OK;
    }
  printf ("%u document(s) printed, %u NOT printed:\n", printed, outcomes->len - printed);
  for (guint i = 0; i < outcomes->len; i++)
    {
      WkPrintOutcome *outcome = outcomes->pdata[i];

      if (!outcome->printed)
        printf ("  %s: %s\n", outcome->document, outcome->reason != NULL ? outcome->reason : "");
    }
  return WK_CLI_EXIT_FAILED;
}

static cairo_status_t
write_cb (void *closure, const unsigned char *data, unsigned int length)
{
  return fwrite (data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                     : CAIRO_STATUS_WRITE_ERROR;
}

/* Writes every page of @pdfs, in order, into one new PDF file, mode 0600: each page is
 * drawn again as vectors (text and QR codes stay sharp). */
static gboolean
write_pdf (const char *path, GPtrArray *pdfs, GError **error)
{
  cairo_surface_t *surface = NULL;
  cairo_t         *cr = NULL;
  FILE            *file;
  int              fd;
  gboolean         ok = TRUE;

  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create %s: %s%s", path,
                   g_strerror (saved),
                   saved == EEXIST ? " (it exists already; choose another name, or delete it)"
                                   : "");
      return FALSE;
    }
  file = fdopen (fd, "wb");
  for (guint i = 0; i < pdfs->len && ok; i++)
    {
      g_autoptr (PopplerDocument) document
          = poppler_document_new_from_bytes (pdfs->pdata[i], NULL, error);

      if (document == NULL)
        {
          ok = FALSE;
          break;
        }
      for (int p = 0; p < poppler_document_get_n_pages (document); p++)
        {
          g_autoptr (PopplerPage) page = poppler_document_get_page (document, p);
          double width, height;

          poppler_page_get_size (page, &width, &height);
          if (surface == NULL)
            {
              surface = cairo_pdf_surface_create_for_stream (write_cb, file, width, height);
              cr = cairo_create (surface);
            }
          cairo_pdf_surface_set_size (surface, width, height);
          poppler_page_render_for_printing (page, cr);
          cairo_show_page (cr);
        }
    }
  if (cr != NULL)
    cairo_destroy (cr);
  if (surface != NULL)
    {
      cairo_surface_finish (surface);
      if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS && ok)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write %s: %s", path,
                       cairo_status_to_string (cairo_surface_status (surface)));
          ok = FALSE;
        }
      cairo_surface_destroy (surface);
    }
  if (fclose (file) != 0 && ok)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot write %s: %s", path,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    unlink (path);
  return ok;
}

static int
print_direct (WkConfig *config, const Request *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkModel) model = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GPtrArray) printers = NULL;
  g_autoptr (WkPrintRun) run = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  const char *ward_id = wk_config_get_string (config, "ward", "id");
  gint64      patient_id = 0;
  Waiting     waiting = { 0 };

  keys = wk_cli_load_keys (config, NULL);
  if (keys == NULL)
    return WK_CLI_EXIT_FAILED;
  store = wk_store_new_from_config (config, keys, NULL, &error);
  if (store == NULL)
    return wk_cli_fail ("%s", error->message);
  model = wk_store_load_newest (store, &info, &error);
  if (model == NULL)
    return wk_cli_fail ("Nothing can be printed: %s", error->message);
  if (request->what == WK_LEDGER_WHAT_CHART)
    {
      patient_id = wk_print_find_patient (model, ward_id, request->patient, &error);
      if (patient_id == 0)
        return wk_cli_fail ("%s", error->message);
    }

  if (request->pdf != NULL)
    {
      WkChartOptions options;
      g_autoptr (WkChartRenderer) renderer = NULL;
      g_autoptr (GPtrArray) documents = NULL;
      g_autoptr (GPtrArray) pdfs = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
      guint pages = 0;

      wk_chart_options_init (&options);
      wk_chart_options_load_config (&options, config);
      options.snapshot_seq = info->seq;
      options.snapshot_at = info->created_at;
      options.printed_at = g_get_real_time () / G_USEC_PER_SEC;
      options.drill = request->drill;
      renderer = wk_chart_renderer_new (&options, keys, &error);
      if (renderer != NULL)
        {
          if (request->what == WK_LEDGER_WHAT_WARD)
            documents = wk_chart_renderer_render_ward (renderer, model, &error);
          else
            {
              WkChartDocument *one
                  = request->what == WK_LEDGER_WHAT_CENSUS
                        ? wk_chart_renderer_render_census (renderer, model, &error)
                        : wk_chart_renderer_render_chart (renderer, model, patient_id, &error);

              if (one != NULL)
                {
                  documents
                      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_chart_document_free);
                  g_ptr_array_add (documents, one);
                }
            }
        }
      if (documents == NULL)
        return wk_cli_fail ("Cannot lay out the charts: %s", error->message);
      for (guint i = 0; i < documents->len; i++)
        {
          WkChartDocument *document = g_steal_pointer (&documents->pdata[i]);
          gsize            size;
          const guint8    *bytes = wk_chart_document_get_pdf (document, &size);

          g_autofree char *formatted = wk_chart_id_format (wk_chart_document_get_id (document));

          pages += wk_chart_document_get_n_pages (document);
          printf ("  %s  %s, %u page(s)\n", formatted,
                  wk_chart_document_get_kind (document) == WK_CHART_DOCUMENT_CENSUS ? "census"
                                                                                    : "chart",
                  wk_chart_document_get_n_pages (document));
          g_ptr_array_add (pdfs, g_bytes_new_with_free_func (bytes, size,
                                                             (GDestroyNotify)wk_chart_document_free,
                                                             document));
        }
      if (!write_pdf (request->pdf, pdfs, &error))
        return wk_cli_fail ("%s", error->message);
      print_data_time (config, info->seq, info->created_at);
      printf ("Wrote %u document(s), %u page(s), to %s (mode 0600).\n", documents->len, pages,
              request->pdf);
      printf ("This file is patient data: keep it on encrypted storage, share it with nobody "
              "who does not need it, and delete it when done (shred -u %s).\n",
              request->pdf);
      return WK_CLI_EXIT_OK;
    }

  printers = wk_printer_list_from_config (config, &error);
  if (printers == NULL)
    return wk_cli_fail ("%s", error->message);
  if (printers->len == 0)
    return wk_cli_fail ("No printer is configured: add a [printer NAME] group to %s, or write "
                        "a PDF with --pdf FILE",
                        wk_config_get_path (config));
  run = wk_print_run_new (config, keys, printers, request->what, patient_id);
  wk_print_run_set_model (run, g_steal_pointer (&model), info->seq, info->created_at);
  wk_print_run_set_drill (run, request->drill);
  if (request->printer != NULL && !wk_print_run_set_first_printer (run, request->printer, &error))
    return wk_cli_fail ("%s", error->message);
  g_signal_connect (run, "event", G_CALLBACK (run_event_cb), NULL);

  print_data_time (config, info->seq, info->created_at);
  printf ("Printing %s%s directly (the daemon is not running: nothing is recorded in the print "
          "ledger; the QR code on each page is the record).\n",
          wk_ledger_what_to_string (request->what), request->drill ? " for a DRILL" : "");
  fflush (stdout);
  loop = g_main_loop_new (NULL, FALSE);
  waiting.loop = loop;
  wk_print_run_start_async (run, NULL, run_done_cb, &waiting);
  g_main_loop_run (loop);
  if (waiting.outcomes == NULL)
    {
      int status = wk_cli_fail ("%s", waiting.error->message);

      g_error_free (waiting.error);
      return status;
    }
  {
    int status = report_outcomes (waiting.outcomes);

    g_ptr_array_unref (waiting.outcomes);
    return status;
  }
}

/* ---- through the daemon ---- */

typedef struct
{
  GMainLoop  *loop;
  char       *request_id;
  gboolean    no_wait;
  int         status;
  gboolean    finished;
  GError     *error;
  JsonObject *params;
} Following;

static void
follow_event_cb (WkControlClient *client, const char *event, JsonObject *params, gpointer data)
{
  Following  *following = data;
  const char *request = NULL, *kind = NULL, *message = NULL;

  if (g_strcmp0 (event, "print") != 0)
    return;
  wk_control_params_get_string (params, "request", FALSE, &request, NULL);
  if (following->request_id == NULL || g_strcmp0 (request, following->request_id) != 0)
    return;
  wk_control_params_get_string (params, "kind", FALSE, &kind, NULL);
  wk_control_params_get_string (params, "message", FALSE, &message, NULL);
  if (message != NULL)
    printf ("  %s\n", message);
  fflush (stdout);
  if (g_strcmp0 (kind, "finished") == 0)
    {
      gint64 not_printed = 0;

      wk_control_params_get_int (params, "not_printed", FALSE, &not_printed, NULL);
      following->status = not_printed == 0 ? WK_CLI_EXIT_OK : WK_CLI_EXIT_FAILED;
      following->finished = TRUE;
      g_main_loop_quit (following->loop);
    }
}

static void
follow_disconnected_cb (WkControlClient *client, const char *reason, gpointer data)
{
  Following *following = data;

  if (following->finished)
    return;
  fprintf (stderr, "wardkeep: the daemon went away while printing (%s); see 'wardkeep status'\n",
           reason);
  following->status = WK_CLI_EXIT_FAILED;
  g_main_loop_quit (following->loop);
}

static void
printed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Following *following = data;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *object;
  JsonArray  *documents;
  const char *request = NULL;

  node = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &following->error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      if (following->error == NULL)
        following->error = g_error_new (WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL,
                                        "The daemon's answer to print is not an object");
      g_main_loop_quit (following->loop);
      return;
    }
  object = json_node_get_object (node);
  wk_control_params_get_string (object, "request", TRUE, &request, NULL);
  following->request_id = g_strdup (request);
  documents = json_object_has_member (object, "documents")
                  ? json_object_get_array_member (object, "documents")
                  : NULL;
  printf ("The daemon is printing request %s: %u document(s)\n", request,
          documents != NULL ? json_array_get_length (documents) : 0);
  for (guint i = 0; documents != NULL && i < json_array_get_length (documents); i++)
    {
      JsonObject *document = json_array_get_object_element (documents, i);

      printf ("  %-8s %s, %" G_GINT64_FORMAT " page(s)\n",
              json_object_get_string_member_with_default (document, "chart", "?"),
              json_object_get_string_member_with_default (document, "kind", "?"),
              json_object_get_int_member_with_default (document, "pages", 0));
    }
  fflush (stdout);
  if (following->no_wait)
    {
      printf ("Follow it with 'wardkeep status'.\n");
      following->status = WK_CLI_EXIT_OK;
      following->finished = TRUE;
      g_main_loop_quit (following->loop);
    }
}

static void
subscribed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Following *following = data;

  if (!wk_control_client_subscribe_finish (WK_CONTROL_CLIENT (source), result, &following->error))
    {
      g_main_loop_quit (following->loop);
      return;
    }
  wk_control_client_call_async (WK_CONTROL_CLIENT (source), "print", following->params, NULL,
                                printed_cb, following);
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Following *following = data;

  if (!wk_control_client_connect_finish (WK_CONTROL_CLIENT (source), result, &following->error))
    {
      g_main_loop_quit (following->loop);
      return;
    }
  wk_control_client_subscribe_async (WK_CONTROL_CLIENT (source), NULL, subscribed_cb, following);
}

/* Returns -1 when the daemon is not running (the caller prints directly). */
static int
print_via_daemon (WkConfig *config, const Request *request)
{
  g_autoptr (WkControlClient) client = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *who = NULL;
  Following        following = { loop };

  following.no_wait = request->no_wait;
  following.params = params;
  following.status = WK_CLI_EXIT_FAILED;
  who = request->who != NULL ? g_strdup (request->who) : g_strdup (g_get_user_name ());
  json_object_set_string_member (params, "what", wk_ledger_what_to_string (request->what));
  if (request->patient != NULL)
    json_object_set_string_member (params, "patient", request->patient);
  if (request->printer != NULL)
    json_object_set_string_member (params, "printer", request->printer);
  json_object_set_string_member (params, "who", who);
  if (request->drill)
    json_object_set_boolean_member (params, "drill", TRUE);

  client = wk_control_client_new (wk_config_get_string (config, "daemon", "control-socket"));
  g_signal_connect (client, "event", G_CALLBACK (follow_event_cb), &following);
  g_signal_connect (client, "disconnected", G_CALLBACK (follow_disconnected_cb), &following);
  wk_control_client_connect_async (client, NULL, connected_cb, &following);
  g_main_loop_run (loop);
  g_signal_handlers_disconnect_by_data (client, &following);
  if (following.error != NULL)
    {
      int status = -1;

      if (!g_error_matches (following.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING))
        status = wk_cli_fail ("The daemon did not print: %s", following.error->message);
      g_error_free (following.error);
      g_free (following.request_id);
      return status;
    }
  g_free (following.request_id);
  return following.status;
}

/**
 * wk_cli_print:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "print"
 *
 * Prints the ward, the census or one patient's chart: through the daemon when it runs
 * (recorded in its print ledger), else straight from the newest snapshot; or into a PDF
 * file with --pdf.
 *
 * Returns: 0 when every document was printed (or written), 1 when not, 2 for a usage
 *   error
 */
int
wk_cli_print (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autoptr (WkConfig) config = NULL;
  Request      request = { 0 };
  GOptionEntry entries[] = {
    { "printer", 'p', 0, G_OPTION_ARG_STRING, &request.printer,
      "Print on this printer first (a [printer NAME] of the configuration)", "NAME" },
    { "drill", 0, 0, G_OPTION_ARG_NONE, &request.drill,
      "Mark every page DRILL — NOT FOR CLINICAL USE", NULL },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &request.pdf,
      "Write the documents into this new PDF file (mode 0600) instead of printing", "FILE" },
    { "who", 0, 0, G_OPTION_ARG_STRING, &request.who,
      "Who asks, for the print ledger (default: your user name)", "NAME" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &request.direct,
      "Print from the newest snapshot without asking the daemon", NULL },
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &request.no_wait,
      "Through the daemon: return once the documents are rendered", NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("census | chart PATIENT | ward");
  int             status;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "Prints the ward (the census, then every occupied bed's drug chart in ward order), the "
      "census, or one patient's chart. PATIENT is a bed (BAY1-3), a patient number (#12) or an "
      "NHS number.\nWhen the daemon runs it prints (and records what went out); otherwise the "
      "newest snapshot is printed directly.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc < 2 || !wk_ledger_what_from_string (argv[1], &request.what))
    return wk_cli_usage ("print", "say what to print: census, chart PATIENT or ward");
  if (request.what == WK_LEDGER_WHAT_CHART && argc != 3)
    return wk_cli_usage ("print", "say whose chart: a bed (BAY1-3), #12 or an NHS number");
  if (request.what != WK_LEDGER_WHAT_CHART && argc != 2)
    return wk_cli_usage ("print", "unexpected argument \"%s\"", argv[2]);
  request.patient = request.what == WK_LEDGER_WHAT_CHART ? argv[2] : NULL;

  config = wk_cli_load_config (config_path);
  if (config == NULL)
    return WK_CLI_EXIT_FAILED;
  status = -1;
  if (request.pdf == NULL && !request.direct)
    status = print_via_daemon (config, &request);
  if (status < 0)
    status = print_direct (config, &request);
  g_free (request.printer);
  g_free (request.pdf);
  g_free (request.who);
  return status;
}
