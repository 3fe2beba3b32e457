/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-print.c — printing from the kiosk: through the daemon, or by itself.
 *
 * While the daemon runs, prints are asked of it (`print`, `jobs.retry`): it renders from
 * its newest snapshot, keeps the chart ledger and tracks the jobs, and the kiosk shows
 * its queue. When the daemon does not answer — not running, gone mid-request, or silent
 * for PRINT_TIMEOUT_S — the kiosk prints by itself through the one print path the
 * daemon and the command line use (#WkPrintRun: the newest snapshot that verifies,
 * rendered in a worker thread, spooled with failover between the ward's printers). Its
 * own jobs join the queue view, marked as printed by the kiosk; a failed one is printed
 * again from the newest data. Either way each print is written to the audit log with
 * who asked. The admin actions (downtime,
 * drills) need the admin PIN and the daemon. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-audit.h"
#include "wk-chart-id.h"
#include "wk-control.h"
#include "wk-drill-report.h"
#include "wk-kiosk-error.h"
#include "wk-kiosk-private.h"
#include "wk-print-run.h"
#include "wk-printer.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* How long the daemon may take to take a print before the kiosk prints by itself. */
#define PRINT_TIMEOUT_S 15
/* How often the kiosk asks its printers how they are while the daemon is not there. */
#define PRINTER_POLL_S 20

typedef struct
{
  GPtrArray *jobs; /* WkKioskJob printed by the kiosk itself, newest first */
  guint      poll_id;
  guint      polling; /* status requests under way */
} Printing;

static Printing *
printing_of (WkKiosk *self)
{
  if (self->printing == NULL)
    {
      Printing *printing = g_new0 (Printing, 1);

      printing->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_kiosk_job_free);
      self->printing = printing;
    }
  return self->printing;
}

/**
 * _wk_kiosk_printing_dispose:
 * @self: the kiosk
 */
void
_wk_kiosk_printing_dispose (WkKiosk *self)
{
  Printing *printing = self->printing;

  if (printing == NULL)
    return;
  g_clear_handle_id (&printing->poll_id, g_source_remove);
  g_clear_pointer (&printing->jobs, g_ptr_array_unref);
  g_free (printing);
  self->printing = NULL;
}

static int
newest_first (gconstpointer a, gconstpointer b)
{
  const WkKioskJob *x = *(WkKioskJob *const *)a;
  const WkKioskJob *y = *(WkKioskJob *const *)b;

  return (y->updated_at > x->updated_at) - (y->updated_at < x->updated_at);
}

/**
 * _wk_kiosk_merge_jobs:
 * @self: the kiosk
 * @daemon_jobs: (nullable) (element-type WkKioskJob): the daemon's queue, %NULL when it
 *   is not there
 *
 * Makes the queue the screens show: the daemon's jobs and the kiosk's own, newest first.
 */
void
_wk_kiosk_merge_jobs (WkKiosk *self, GPtrArray *daemon_jobs)
{
  Printing *printing = printing_of (self);

  g_ptr_array_set_size (self->jobs, 0);
  for (guint i = 0; daemon_jobs != NULL && i < daemon_jobs->len; i++)
    g_ptr_array_add (self->jobs, wk_kiosk_job_copy (daemon_jobs->pdata[i]));
  for (guint i = 0; i < printing->jobs->len; i++)
    g_ptr_array_add (self->jobs, wk_kiosk_job_copy (printing->jobs->pdata[i]));
  g_ptr_array_sort (self->jobs, newest_first);
  _wk_kiosk_jobs_changed (self);
}

static void
local_jobs_changed (WkKiosk *self)
{
  _wk_kiosk_daemon_refresh_jobs (self);
  /* The daemon's part of the queue is kept until its next answer. */
  {
    g_autoptr (GPtrArray) daemon_jobs
        = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_kiosk_job_free);
    Printing *printing = printing_of (self);

    for (guint i = 0; i < self->jobs->len; i++)
      {
        WkKioskJob *job = self->jobs->pdata[i];
        gboolean    ours = FALSE;

        for (guint k = 0; k < printing->jobs->len && !ours; k++)
          ours = job->local
                 && g_strcmp0 (((WkKioskJob *)printing->jobs->pdata[k])->chart, job->chart) == 0;
        if (!job->local && !ours)
          g_ptr_array_add (daemon_jobs, wk_kiosk_job_copy (job));
      }
    _wk_kiosk_merge_jobs (self, daemon_jobs);
  }
}

static WkKioskJob *
find_local_job (WkKiosk *self, const char *chart)
{
  Printing *printing = printing_of (self);

  for (guint i = 0; chart != NULL && i < printing->jobs->len; i++)
    if (g_strcmp0 (((WkKioskJob *)printing->jobs->pdata[i])->chart, chart) == 0)
      return printing->jobs->pdata[i];
  return NULL;
}

static void
set_job (WkKioskJob *job, const char *state, const char *printer, const char *reason)
{
  g_free (job->state);
  job->state = g_strdup (state);
  if (printer != NULL)
    {
      g_free (job->printer);
      job->printer = g_strdup (printer);
    }
  g_free (job->reason);
  job->reason = g_strdup (reason);
  job->updated_at = g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- The kiosk's own printers ---------------------------------------------------------- */

static WkKioskPrinter *
find_printer (WkKiosk *self, const char *name)
{
  for (guint i = 0; name != NULL && i < self->printers->len; i++)
    if (g_strcmp0 (((WkKioskPrinter *)self->printers->pdata[i])->name, name) == 0)
      return self->printers->pdata[i];
  return NULL;
}

static void
note_printer_state (WkKiosk *self, const char *name, const char *summary, gboolean problem)
{
  WkKioskPrinter *printer = find_printer (self, name);

  if (printer == NULL)
    return;
  g_free (printer->summary);
  printer->summary = g_strdup (summary);
  printer->problem = problem;
  if (!_wk_kiosk_daemon_is_connected (self))
    _wk_kiosk_set_status (self, wk_kiosk_status_new_offline (self->printers));
}

typedef struct
{
  WkKiosk   *kiosk;
  WkPrinter *printer;
} StatusAsk;

static void
printer_status_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StatusAsk *ask = user_data;
  g_autoptr (WkKiosk) self = ask->kiosk;
  g_autoptr (WkPrinter) printer = ask->printer;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPrinterStatus) status = wk_printer_get_status_finish (printer, result, &error);

  g_free (ask);
  if (self->printing == NULL)
    return;
  printing_of (self)->polling--;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (status != NULL)
    note_printer_state (self, wk_printer_get_name (printer), status->summary, status->problem);
  else
    {
      g_autofree char *summary = g_strdup_printf (_ ("Not responding: %s"), error->message);

      note_printer_state (self, wk_printer_get_name (printer), summary, TRUE);
    }
}

static gboolean
poll_printers_cb (gpointer user_data)
{
  WkKiosk  *self = user_data;
  Printing *printing = printing_of (self);
  g_autoptr (GPtrArray) printers = NULL;
  g_autoptr (GError) error = NULL;

  /* The daemon reports its printers itself; only a kiosk on its own asks them. */
  if (_wk_kiosk_daemon_is_connected (self) || printing->polling > 0)
    return G_SOURCE_CONTINUE;
  printers = wk_printer_list_from_config (self->config, &error);
  for (guint i = 0; printers != NULL && i < printers->len; i++)
    {
      StatusAsk *ask = g_new0 (StatusAsk, 1);

      ask->kiosk = g_object_ref (self);
      ask->printer = wk_printer_ref (printers->pdata[i]);
      printing->polling++;
      wk_printer_get_status_async (ask->printer, self->cancellable, printer_status_cb, ask);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
poll_printers_once_cb (gpointer user_data)
{
  poll_printers_cb (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * _wk_kiosk_printing_start:
 * @self: the kiosk
 *
 * Starts asking the printers how they are while the daemon is not there.
 */
void
_wk_kiosk_printing_start (WkKiosk *self)
{
  Printing *printing = printing_of (self);

  if (printing->poll_id == 0)
    printing->poll_id = g_timeout_add_seconds (PRINTER_POLL_S, poll_printers_cb, self);
  g_idle_add_full (G_PRIORITY_LOW, poll_printers_once_cb, g_object_ref (self), g_object_unref);
}

/* ---- Printing by the kiosk itself -------------------------------------------------------- */

typedef struct
{
  WkPrintWhat what;
  gint64      patient_id;
  char       *who;
  char       *printer;
} PrintData;

static void
print_data_free (PrintData *data)
{
  g_free (data->who);
  g_free (data->printer);
  g_free (data);
}

static const char *
what_word (WkPrintWhat what)
{
  return what == WK_PRINT_WHAT_WARD ? "ward" : what == WK_PRINT_WHAT_CENSUS ? "census" : "chart";
}

static void
run_event_cb (WkPrintRun *run, WkPrintEvent *event, WkKiosk *self)
{
  WkKioskJob *job = find_local_job (self, event->document);

  switch (event->kind)
    {
    case WK_PRINT_EVENT_SUBMITTED:
      if (job != NULL)
        set_job (job, "submitted", event->printer, NULL);
      break;
    case WK_PRINT_EVENT_ACCEPTED:
      if (job != NULL)
        set_job (job, "accepted", event->printer, NULL);
      break;
    case WK_PRINT_EVENT_COMPLETED:
      if (job != NULL)
        set_job (job, "completed", event->printer, NULL);
      break;
    case WK_PRINT_EVENT_FAILED:
      if (job != NULL)
        set_job (job, "queued", event->printer, event->message);
      break;
    case WK_PRINT_EVENT_NOT_PRINTED:
      if (job != NULL)
        set_job (job, "failed", event->printer, event->message);
      break;
    case WK_PRINT_EVENT_PRINTER_STATE:
      note_printer_state (self, event->printer, event->message, event->problem);
      break;
    case WK_PRINT_EVENT_FAILOVER:
      {
        g_autofree char *what = wk_print_event_describe (event);

        g_message ("%s", what);
        break;
      }
    case WK_PRINT_EVENT_FINISHED:
      break;
    }
  local_jobs_changed (self);
}

/* Documents are ready: they join the queue, and the audit log says who printed what. */
static void
run_rendered_cb (WkPrintRun *run, GPtrArray *documents, WkKiosk *self)
{
  Printing   *printing = printing_of (self);
  const char *who = g_object_get_data (G_OBJECT (run), "wk-who");
  const char *printer = g_object_get_data (G_OBJECT (run), "wk-printer");

  for (guint i = 0; i < documents->len; i++)
    {
      const WkLedgerDocument *document = documents->pdata[i];
      gboolean                census = document->kind == WK_LEDGER_DOCUMENT_CENSUS;
      WkKioskJob             *job = g_new0 (WkKioskJob, 1);

      job->chart = g_strdup (document->chart_id);
      job->kind = g_strdup (census ? "census" : "chart");
      job->patient_id = document->patient_id;
      job->pages = document->n_pages;
      job->requested_by = g_strdup (who);
      job->drill = document->drill;
      job->local = TRUE;
      set_job (job, "queued", printer, NULL);
      g_ptr_array_insert (printing->jobs, 0, job);
      wk_audit (who, "print", document->patient_id,
                "%s %s%s%" G_GINT64_FORMAT ", %u pages, snapshot %" G_GUINT64_FORMAT
                ", printed by the kiosk itself to %s",
                census ? "census" : "chart", document->chart_id, census ? "" : " of patient #",
                census ? (gint64)0 : document->patient_id, document->n_pages,
                document->snapshot_seq, printer != NULL ? printer : "the ward's printers");
    }
  local_jobs_changed (self);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKiosk) self = user_data;
  WkPrintRun *run = WK_PRINT_RUN (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) outcomes = wk_print_run_finish (run, result, &error);

  g_signal_handlers_disconnect_by_data (run, self);
  if (self->printing == NULL)
    return;
  for (guint i = 0; outcomes != NULL && i < outcomes->len; i++)
    {
      WkPrintOutcome *outcome = outcomes->pdata[i];
      WkKioskJob     *job = find_local_job (self, outcome->document);

      if (job != NULL)
        set_job (job, outcome->printed ? "completed" : "failed", outcome->printer,
                 outcome->printed ? NULL : outcome->reason);
    }
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_warning ("The kiosk's own print failed: %s", error->message);
      wk_audit (g_object_get_data (G_OBJECT (run), "wk-who"), "print-failed", 0, "%s",
                error->message);
    }
  local_jobs_changed (self);
}

/* Starts printing by the kiosk itself: the ward's printers in failover order, the one
 * staff chose first. */
static WkPrintRun *
start_run (WkKiosk *self, WkPrintWhat what, gint64 patient_id, const char *who, GError **error)
{
  g_autoptr (GPtrArray) printers = NULL;
  g_autoptr (WkPrintRun) run = NULL;
  WkLedgerWhat ledger_what = what == WK_PRINT_WHAT_WARD     ? WK_LEDGER_WHAT_WARD
                             : what == WK_PRINT_WHAT_CENSUS ? WK_LEDGER_WHAT_CENSUS
                                                            : WK_LEDGER_WHAT_CHART;

  if (self->store == NULL || self->keys == NULL)
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT, "%s",
                   self->snapshot_problem != NULL ? self->snapshot_problem
                                                  : _ ("There is no data to print yet."));
      return NULL;
    }
  printers = wk_printer_list_from_config (self->config, error);
  if (printers == NULL)
    return NULL;
  if (printers->len == 0)
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT,
                   _ ("No printer is configured for this kiosk ([printer NAME] groups). Ask IT."));
      return NULL;
    }
  run = wk_print_run_new (self->config, self->keys, printers, ledger_what,
                          what == WK_PRINT_WHAT_CHART ? patient_id : 0);
  wk_print_run_set_store (run, self->store);
  wk_print_run_set_drill (run, _wk_kiosk_is_drill (self));
  if (self->printer != NULL && !wk_print_run_set_first_printer (run, self->printer, error))
    return NULL;
  g_object_set_data_full (G_OBJECT (run), "wk-who", g_strdup (who), g_free);
  g_object_set_data_full (G_OBJECT (run), "wk-printer", g_strdup (self->printer), g_free);
  g_signal_connect (run, "rendered", G_CALLBACK (run_rendered_cb), self);
  g_signal_connect (run, "event", G_CALLBACK (run_event_cb), self);
  wk_print_run_start_async (run, NULL, run_done_cb, g_object_ref (self));
  return g_steal_pointer (&run);
}

/* Takes @task: the kiosk prints by itself. */
static void
print_locally (GTask *task)
{
  WkKiosk   *self = g_task_get_source_object (task);
  PrintData *data = g_task_get_task_data (task);
  GError    *error = NULL;
  g_autoptr (WkPrintRun) run = start_run (self, data->what, data->patient_id, data->who, &error);

  if (run == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_task_return_pointer (
      task,
      g_strdup (data->what == WK_PRINT_WHAT_CHART
                    ? _ ("This kiosk is printing the chart itself: the wardkeep service is not "
                         "running. See Print for its progress.")
                    : _ ("This kiosk is printing itself: the wardkeep service is not running. See "
                         "Print for the progress of each document.")),
      g_free);
  g_object_unref (task);
}

/* ---- Printing through the daemon ----------------------------------------------------- */

static gboolean
daemon_is_gone (const GError *error)
{
  return g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING)
         || g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED)
         || g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_TIMED_OUT)
         || g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PERMISSION)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static char *
describe_documents (JsonNode *result, gint64 *pages_out)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (result) ? json_node_get_object (result) : NULL;
  JsonNode   *list = object != NULL ? json_object_get_member (object, "documents") : NULL;
  JsonArray  *array
      = list != NULL && JSON_NODE_HOLDS_ARRAY (list) ? json_node_get_array (list) : NULL;
  guint  n = array != NULL ? json_array_get_length (array) : 0;
  gint64 pages = 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (element)
          && json_object_has_member (json_node_get_object (element), "pages"))
        pages += json_object_get_int_member (json_node_get_object (element), "pages");
    }
  *pages_out = pages;
  if (n == 1)
    {
      JsonObject      *first = json_node_get_object (json_array_get_element (array, 0));
      const char      *chart = json_object_has_member (first, "chart")
                                   ? json_object_get_string_member (first, "chart")
                                   : NULL;
      g_autofree char *id = chart != NULL ? wk_chart_id_format (chart) : NULL;

      return g_strdup_printf (
          _ ("Sent to the printer: %s %s, %" G_GINT64_FORMAT " pages."),
          g_strcmp0 (json_object_get_string_member (first, "kind"), "census") == 0 ? _ ("census")
                                                                                   : _ ("chart"),
          id != NULL ? id : "", pages);
    }
  return g_strdup_printf (_ ("Sent to the printer: %u documents, %" G_GINT64_FORMAT " pages. See "
                             "Print for their progress."),
                          n, pages);
}

static void
daemon_printed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WkKiosk   *self = g_task_get_source_object (task);
  PrintData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &error);
  GSource *timeout = g_object_get_data (G_OBJECT (task), "wk-timeout");
  gint64   pages = 0;
  char    *message;

  if (timeout != NULL)
    g_source_destroy (timeout);
  if (answer == NULL && daemon_is_gone (error))
    {
      g_message ("The daemon did not take the print (%s): the kiosk prints it itself",
                 error->message);
      print_locally (g_steal_pointer (&task));
      return;
    }
  if (answer == NULL)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT,
                               _ ("The wardkeep service did not print: %s"), error->message);
      return;
    }
  message = describe_documents (answer, &pages);
  wk_audit (data->who, "print", data->patient_id,
            "%s%s%" G_GINT64_FORMAT " through the daemon to %s, %" G_GINT64_FORMAT " pages",
            what_word (data->what), data->patient_id != 0 ? " of patient #" : " ", data->patient_id,
            data->printer != NULL ? data->printer : "the ward's printers", pages);
  _wk_kiosk_daemon_refresh_jobs (self);
  g_task_return_pointer (task, message, g_free);
}

static gboolean
print_timeout_cb (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

/**
 * wk_kiosk_print_async:
 * @self: the kiosk
 * @what: a chart, the census, or the whole ward
 * @patient_id: for %WK_PRINT_WHAT_CHART, the patient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the print is on its way (not when it is on paper: the queue
 *   follows it)
 * @user_data: for @callback
 *
 * Prints through the daemon when it runs, else by the kiosk itself, to the printer
 * chosen (wk_kiosk_set_printer()) or the ward's printers in failover order.
 */
void
wk_kiosk_print_async (WkKiosk            *self,
                      WkPrintWhat         what,
                      gint64              patient_id,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  PrintData *data = g_new0 (PrintData, 1);

  g_task_set_source_tag (task, wk_kiosk_print_async);
  g_task_set_task_data (task, data, (GDestroyNotify)print_data_free);
  data->what = what;
  data->patient_id = what == WK_PRINT_WHAT_CHART ? patient_id : 0;
  data->who = g_strdup (self->who);
  data->printer = g_strdup (self->printer);
  if (self->locked)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_NOT_UNLOCKED,
                               _ ("Unlock the kiosk first."));
      return;
    }
  if (_wk_kiosk_daemon_is_connected (self))
    {
      JsonObject *params = json_object_new ();
      g_autoptr (GCancellable) timeout = g_cancellable_new ();
      GSource *source = g_timeout_source_new_seconds (PRINT_TIMEOUT_S);

      json_object_set_string_member (params, "what", what_word (what));
      if (what == WK_PRINT_WHAT_CHART)
        json_object_set_int_member (params, "patient", patient_id);
      if (self->printer != NULL)
        json_object_set_string_member (params, "printer", self->printer);
      json_object_set_string_member (params, "who", self->who);
      /* A daemon that hangs must not keep the ward from its paper. */
      g_source_set_callback (source, print_timeout_cb, g_object_ref (timeout), g_object_unref);
      g_source_attach (source, NULL);
      g_object_set_data_full (G_OBJECT (task), "wk-timeout", source,
                              (GDestroyNotify)g_source_unref);
      wk_control_client_call_async (_wk_kiosk_daemon_get_client (self), "print", params, timeout,
                                    daemon_printed_cb, g_steal_pointer (&task));
      json_object_unref (params);
      return;
    }
  print_locally (g_steal_pointer (&task));
}

/**
 * wk_kiosk_print_finish:
 * @self: the kiosk
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): what happened, in words for the screen
 */
char *
wk_kiosk_print_finish (WkKiosk *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Retry --------------------------------------------------------------------------- */

static void
daemon_retried_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WkKiosk *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &error);

  if (answer == NULL)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT,
                               _ ("The wardkeep service did not send it again: %s"),
                               error->message);
      return;
    }
  _wk_kiosk_daemon_refresh_jobs (self);
  g_task_return_pointer (task, g_strdup (_ ("Sent to the printer again.")), g_free);
}

/**
 * wk_kiosk_retry_async:
 * @self: the kiosk
 * @chart: the id of a document that did not print
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once it is on its way again
 * @user_data: for @callback
 *
 * Prints a failed document again, to the printer chosen or in failover order.
 */
void
wk_kiosk_retry_async (WkKiosk            *self,
                      const char         *chart,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  WkKioskJob *job = find_local_job (self, chart);
  GError     *error = NULL;

  g_task_set_source_tag (task, wk_kiosk_retry_async);
  if (self->locked)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_NOT_UNLOCKED,
                               _ ("Unlock the kiosk first."));
      return;
    }
  wk_audit (self->who, "print-retry", job != NULL ? job->patient_id : 0, "document %s to %s", chart,
            self->printer != NULL ? self->printer : "the ward's printers");
  if (job == NULL)
    {
      JsonObject *params = json_object_new ();

      if (!_wk_kiosk_daemon_is_connected (self))
        {
          json_object_unref (params);
          g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT,
                                   _ ("The wardkeep service that printed it is not running: print "
                                      "the chart again from the patient, or the whole ward."));
          return;
        }
      json_object_set_string_member (params, "chart", chart);
      if (self->printer != NULL)
        json_object_set_string_member (params, "printer", self->printer);
      json_object_set_string_member (params, "who", self->who);
      _wk_kiosk_daemon_call_async (self, "jobs.retry", params, daemon_retried_cb,
                                   g_steal_pointer (&task));
      return;
    }
  if (g_strcmp0 (job->state, "failed") != 0)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT,
                               _ ("That document is printed or still on its way."));
      return;
    }
  /* The kiosk keeps no PDF: the document is made again from the newest data, with a new
   * chart id, and the failed one stays in the queue as not printed. */
  {
    gboolean census = g_strcmp0 (job->kind, "census") == 0;
    g_autoptr (WkPrintRun) run
        = start_run (self, census ? WK_PRINT_WHAT_CENSUS : WK_PRINT_WHAT_CHART,
                     census ? 0 : job->patient_id, self->who, &error);

    if (run == NULL)
      {
        g_task_return_error (task, error);
        return;
      }
  }
  g_task_return_pointer (task, g_strdup (_ ("Printing it again from the newest data.")), g_free);
}

/**
 * wk_kiosk_retry_finish:
 * @self: the kiosk
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): what happened, in words
 */
char *
wk_kiosk_retry_finish (WkKiosk *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Downtime and drills --------------------------------------------------------------- */

typedef struct
{
  char        *method;
  char        *who;
  char        *reason;
  char        *scenario;
  WkPinOutcome outcome;
} AdminData;

static void
admin_data_free (AdminData *data)
{
  g_free (data->method);
  g_free (data->who);
  g_free (data->reason);
  g_free (data->scenario);
  g_free (data);
}

static const char *
admin_done_words (const char *method)
{
  if (g_str_equal (method, "downtime.declare"))
    return _ ("Downtime declared: the ward's charts are printing now.");
  if (g_str_equal (method, "downtime.end"))
    return _ ("The declared downtime is over.");
  if (g_str_equal (method, "drill.start"))
    return _ ("The drill has started: everything printed is marked DRILL.");
  return _ ("The drill has stopped.");
}

/* What the drill's report says, in a sentence for the nurse in charge and IT. */
static char *
drill_stopped_words (JsonObject *report)
{
  JsonArray       *targets = json_object_has_member (report, "targets")
                                 ? json_object_get_array_member (report, "targets")
                                 : NULL;
  JsonObject      *figures = json_object_has_member (report, "figures")
                                 ? json_object_get_object_member (report, "figures")
                                 : NULL;
  JsonNode        *paper = figures != NULL ? json_object_get_member (figures, "on_paper_s") : NULL;
  guint            n = targets != NULL ? json_array_get_length (targets) : 0, met = 0;
  g_autofree char *on_paper = NULL;
  g_autofree char *first = NULL;
  g_autofree char *paper_words = NULL;

  for (guint i = 0; i < n; i++)
    met += json_object_get_boolean_member (json_array_get_object_element (targets, i), "passed");
  if (paper != NULL && JSON_NODE_HOLDS_VALUE (paper))
    {
      on_paper = wk_drill_report_describe_seconds (json_node_get_double (paper));
      paper_words = g_strdup_printf (_ ("Ward on paper in %s."), on_paper);
    }
  else
    paper_words = g_strdup (_ ("The ward was not all on paper when it stopped."));
  first = g_strdup_printf (json_object_get_boolean_member (report, "passed")
                               ? _ ("The drill has stopped: PASS, %u of %u targets met.")
                               : _ ("The drill has stopped: FAIL, %u of %u targets met."),
                           met, n);
  return g_strdup_printf (_ ("%s %s Its report is kept: wardkeep drill export %s"), first,
                          paper_words, json_object_get_string_member (report, "drill"));
}

static void
admin_answered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WkKiosk   *self = g_task_get_source_object (task);
  AdminData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &error);

  if (answer == NULL)
    {
      wk_audit (data->who, data->method, 0, "refused by the daemon: %s", error->message);
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_DAEMON, "%s", error->message);
      return;
    }
  wk_audit (data->who, data->method, 0, "done%s%s%s%s", data->reason != NULL ? ", reason: " : "",
            data->reason != NULL ? data->reason : "", data->scenario != NULL ? ", scenario " : "",
            data->scenario != NULL ? data->scenario : "");
  /* Declaring, ending and starting answer with the new status: show it at once. */
  if (!g_str_equal (data->method, "drill.stop"))
    {
      g_autoptr (GError) status_error = NULL;
      WkKioskStatus *status = wk_kiosk_status_new_from_json (answer, &status_error);

      if (status != NULL)
        _wk_kiosk_set_status (self, status);
    }
  if (g_str_equal (data->method, "drill.stop") && JSON_NODE_HOLDS_OBJECT (answer))
    {
      g_task_return_pointer (task, drill_stopped_words (json_node_get_object (answer)), g_free);
      return;
    }
  g_task_return_pointer (task, g_strdup (admin_done_words (data->method)), g_free);
}

static void
admin_checked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WkKiosk    *self = g_task_get_source_object (task);
  AdminData  *data = g_task_get_task_data (task);
  GError     *error = NULL;
  JsonObject *params;

  if (!wk_pin_guard_check_finish (result, &data->outcome, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (data->outcome.result != WK_PIN_RESULT_OK)
    {
      wk_audit (data->who, data->method, 0, "admin PIN %s",
                data->outcome.result == WK_PIN_RESULT_LOCKED_OUT ? "blocked" : "refused");
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  if (!_wk_kiosk_daemon_is_connected (self))
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_DAEMON,
                               _ ("The wardkeep service is not running: downtime and drills are "
                                  "run by it. Call IT."));
      return;
    }
  params = json_object_new ();
  json_object_set_string_member (params, "who", data->who);
  if (g_str_has_prefix (data->method, "downtime."))
    json_object_set_string_member (params, "reason", data->reason);
  if (g_str_equal (data->method, "drill.start"))
    {
      json_object_set_string_member (params, "scenario", data->scenario);
      json_object_set_boolean_member (params, "print", TRUE);
      if (self->printer != NULL)
        json_object_set_string_member (params, "printer", self->printer);
    }
  _wk_kiosk_daemon_call_async (self, data->method, params, admin_answered_cb,
                               g_steal_pointer (&task));
}

/**
 * wk_kiosk_admin_async:
 * @self: the kiosk
 * @method: `downtime.declare`, `downtime.end`, `drill.start` or `drill.stop`
 * @pin: the admin PIN as typed
 * @who: who asks (for the daemon and the log)
 * @reason: (nullable): why (required to declare or end a downtime)
 * @scenario: (nullable): the drill's scenario, for `drill.start`
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: for @callback
 *
 * Checks the admin PIN (counted against the limit), then asks the daemon.
 */
void
wk_kiosk_admin_async (WkKiosk            *self,
                      const char         *method,
                      const char         *pin,
                      const char         *who,
                      const char         *reason,
                      const char         *scenario,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  AdminData       *data = g_new0 (AdminData, 1);
  g_autofree char *why = g_strstrip (g_strdup (reason != NULL ? reason : ""));
  g_autofree char *name = g_strstrip (g_strdup (who != NULL ? who : ""));

  g_task_set_source_tag (task, wk_kiosk_admin_async);
  g_task_set_task_data (task, data, (GDestroyNotify)admin_data_free);
  data->method = g_strdup (method);
  data->who = g_strdup (*name != '\0' ? name : self->who);
  data->reason = *why != '\0' ? g_strdup (why) : NULL;
  data->scenario = g_strdup (scenario);
  if (self->locked)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_NOT_UNLOCKED,
                               _ ("Unlock the kiosk first."));
      return;
    }
  if (data->who == NULL || *data->who == '\0')
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_FAILED,
                               _ ("Type your name: the log records who did this."));
      return;
    }
  if (g_str_has_prefix (method, "downtime.") && data->reason == NULL)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_FAILED,
                               _ ("Type why: the banner and the log show the reason."));
      return;
    }
  wk_pin_guard_check_async (self->guard, WK_PIN_ADMIN, pin, cancellable, admin_checked_cb,
                            g_steal_pointer (&task));
}

/**
 * wk_kiosk_admin_finish:
 * @self: the kiosk
 * @result: the result given to the callback
 * @outcome: (out): what the PIN check found
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): what was done, in words; %NULL with @error set
 *   when it failed, or %NULL without an error when the PIN was not accepted (see
 *   @outcome)
 */
char *
wk_kiosk_admin_finish (WkKiosk *self, GAsyncResult *result, WkPinOutcome *outcome, GError **error)
{
  AdminData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  *outcome = data->outcome;
  return g_task_propagate_pointer (G_TASK (result), error);
}
