/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-daemon.c — wardkeepd: the feed, the snapshots, the monitor and printing on one loop.
 *
 * Printing once per episode across a crash. The print ledger lives in the live model and
 * is made durable by writing a snapshot (a flush of the debounced writer). Every batch of
 * documents a print run renders is recorded, then a snapshot is written, and only then is
 * the batch sent; each acceptance by a printer is recorded and written too. The monitor is
 * told the print is done (wk_monitor_acknowledge_print(), saved in the state folder) once
 * every document is with a printer (or given up) and that is on disk. A daemon killed and
 * restarted in the same episode therefore finds either the print acknowledged (nothing to
 * do), or the episode's automatic request in the ledger: it then prints only what did not
 * go out — the census and the charts of patients with no document a printer accepted —
 * and marks the documents recorded but never sent as not printed. What remains is the
 * window between a printer accepting a document and that fact reaching the disk (one
 * snapshot write, tens of milliseconds): a crash exactly there prints that document again,
 * with a new chart id (twice is better than never). */

#define G_LOG_DOMAIN "wardkeepd"

#include "wk-daemon-private.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-ward.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define PRINTER_POLL_S 30
#define PRINTER_POLL_BUSY_S 5
#define STATUS_EVENT_GAP_US (200 * 1000)

static void sync_episodes (WkDaemon *self);

/* ---- small helpers ---- */

/**
 * _wk_daemon_format_time:
 * @daemon: the daemon
 * @wall_us: a wall time (UTC microseconds)
 *
 * Returns: (transfer full): the time in the ward's zone for people, "03:12" today or
 *   "Sat 14 Mar 03:12"
 */
char *
_wk_daemon_format_time (WkDaemon *self, gint64 wall_us)
{
  g_autoptr (GTimeZone) zone
      = g_time_zone_new_identifier (wk_config_get_string (self->config, "ward", "timezone"));
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) now = NULL;

  if (utc == NULL)
    return g_strdup ("?");
  when = g_date_time_to_timezone (utc, zone != NULL ? zone : g_time_zone_new_utc ());
  now = g_date_time_new_now (zone != NULL ? zone : g_time_zone_new_utc ());
  if (g_date_time_get_day_of_year (now) == g_date_time_get_day_of_year (when)
      && g_date_time_get_year (now) == g_date_time_get_year (when))
    return g_date_time_format (when, "%H:%M");
  return g_date_time_format (when, "%a %d %b %H:%M");
}

/* ---- the monitor's state on disk ---- */

/* Waits for every queued save, then frees the pool. */
static void
finish_saves (GThreadPool *pool)
{
  g_thread_pool_free (pool, FALSE, TRUE);
}

/* Writes @data to @path: a temporary file, fsync, rename, fsync of the folder, so that a
 * crash leaves the old state or the new. Runs in the saver thread. */
static void
save_thread (gpointer data, gpointer user_data)
{
  g_auto (GStrv) job = data; /* path, text */
  g_autofree char *dir = g_path_get_dirname (job[0]);
  g_autofree char *temp = g_strconcat (job[0], ".tmp", NULL);
  gsize            size = strlen (job[1]), done = 0;
  int              fd, dir_fd;

  fd = g_open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  while (fd >= 0 && done < size)
    {
      ssize_t n = write (fd, job[1] + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  if (fd < 0 || done < size || fsync (fd) != 0 || close (fd) != 0 || rename (temp, job[0]) != 0)
    {
      g_warning ("Cannot save the downtime episode to %s: %s; a restart may print the ward "
                 "again",
                 job[0], g_strerror (errno));
      if (fd >= 0)
        close (fd);
      g_unlink (temp);
      return;
    }
  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
}

/**
 * _wk_daemon_save_monitor:
 * @daemon: the daemon
 *
 * Saves the monitor's episode (no patient data) to the state folder, off the main loop:
 * one saver thread writes the saves in order, the last one standing.
 */
void
_wk_daemon_save_monitor (WkDaemon *self)
{
  char **job = g_new0 (char *, 3);

  job[0] = g_strdup (self->state_path);
  job[1] = wk_monitor_save_to_data (self->monitor);
  g_thread_pool_push (self->saver, job, NULL);
}

static void
restore_monitor (WkDaemon *self)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;

  if (!g_file_get_contents (self->state_path, &data, &size, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read the saved downtime episode: %s", error->message);
      return;
    }
  if (!wk_monitor_restore_from_data (self->monitor, data, size, &error))
    {
      g_autofree char *bad = g_strconcat (self->state_path, ".bad", NULL);

      g_warning ("%s (kept as %s)", error->message, bad);
      g_rename (self->state_path, bad);
    }
}

/* ---- status changes ---- */

static gboolean
status_timer_cb (gpointer data)
{
  WkDaemon *self = data;
  g_autoptr (JsonObject) status = _wk_daemon_dup_status (self);

  self->status_timer = 0;
  self->last_status_event = g_get_monotonic_time ();
  wk_control_server_emit_event (self->control, "status", status);
  return G_SOURCE_REMOVE;
}

/**
 * _wk_daemon_status_changed:
 * @daemon: the daemon
 *
 * Tells subscribers the status changed: at most five times a second, the last change
 * always included.
 */
void
_wk_daemon_status_changed (WkDaemon *self)
{
  gint64 wait;

  if (self->status_timer != 0 || self->control == NULL
      || wk_control_server_get_n_subscribers (self->control) == 0)
    return;
  wait = self->last_status_event + STATUS_EVENT_GAP_US - g_get_monotonic_time ();
  self->status_timer
      = g_timeout_add (wait > 0 ? (guint)(wait / 1000) + 1 : 0, status_timer_cb, self);
}

/* ---- printers ---- */

typedef struct
{
  WkDaemon  *daemon;
  WkPrinter *printer;
} Poll;

static void
printer_status_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Poll *poll = data;
  g_autoptr (GError) error = NULL;
  WkPrinterStatus *status = wk_printer_get_status_finish (poll->printer, result, &error);

  if (status != NULL)
    {
      g_hash_table_replace (poll->daemon->printer_status,
                            g_strdup (wk_printer_get_name (poll->printer)), status);
      _wk_daemon_status_changed (poll->daemon);
    }
  wk_printer_unref (poll->printer);
  g_free (poll);
}

static void
poll_printers (WkDaemon *self)
{
  for (guint i = 0; i < self->printers->len; i++)
    {
      Poll *poll = g_new0 (Poll, 1);

      poll->daemon = self;
      poll->printer = wk_printer_ref (self->printers->pdata[i]);
      wk_printer_get_status_async (poll->printer, NULL, printer_status_cb, poll);
    }
}

/* Every 5 s while printing (staff watch the screen then), else every 30 s. */
static gboolean
poll_printers_cb (gpointer data)
{
  WkDaemon *self = data;

  if (self->prints->len > 0 || ++self->n_polls % (PRINTER_POLL_S / PRINTER_POLL_BUSY_S) == 0)
    poll_printers (self);
  return G_SOURCE_CONTINUE;
}

/* ---- prints ---- */

static void
print_free (WkDaemonPrint *print)
{
  if (print->run != NULL)
    g_signal_handlers_disconnect_by_data (print->run, print);
  g_clear_object (&print->run);
  g_clear_pointer (&print->call, wk_control_call_unref);
  g_hash_table_unref (print->settled);
  g_free (print->request_id);
  g_free (print->episode_id);
  g_free (print->requested_by);
  g_free (print->error);
  g_free (print);
}

static WkDaemonPrint *
print_ref (WkDaemonPrint *print)
{
  print->ref_count++;
  return print;
}

/**
 * _wk_daemon_print_unref:
 * @print: (transfer full): a print
 */
void
_wk_daemon_print_unref (WkDaemonPrint *print)
{
  if (--print->ref_count == 0)
    print_free (print);
}

static void
emit_print_event (WkDaemonPrint *print, JsonObject *params)
{
  json_object_set_string_member (params, "request", print->request_id);
  if (!json_object_has_member (params, "at"))
    {
      g_autofree char *at = _wk_daemon_iso_time (g_get_real_time ());

      json_object_set_string_member (params, "at", at);
    }
  wk_control_server_emit_event (print->daemon->control, "print", params);
}

/* Once every document of the automatic print is with a printer (or given up) and that is
 * on disk, the monitor is told: a restart then never prints the episode again. */
static void
maybe_acknowledge (WkDaemonPrint *print)
{
  WkDaemon *self = print->daemon;
  g_autoptr (GError) error = NULL;

  if (!print->automatic || print->acknowledged || !print->rendered
      || g_hash_table_size (print->settled) < print->n_documents)
    return;
  print->acknowledged = TRUE;
  if (!wk_monitor_acknowledge_print (self->monitor, print->episode_id, &error))
    g_debug ("%s", error->message); /* the episode ended meanwhile */
  else
    g_message ("print: the ward's print for episode %s is with the printers (%u document(s))",
               print->episode_id, print->n_documents);
  _wk_daemon_save_monitor (self);
  _wk_daemon_status_changed (self);
}

typedef struct
{
  WkDaemonPrint *print;
  gboolean       release;
} Flush;

static void
flushed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Flush *flush = data;
  g_autoptr (GError) error = NULL;

  /* Paper never waits on the disk: a failed write is reported, and printing goes on. */
  if (!wk_snapshot_writer_flush_finish (flush->print->daemon->writer, result, &error))
    g_warning ("The print ledger could not be written to disk (%s): what is printed now may "
               "print again after a restart",
               error->message);
  if (flush->release && flush->print->run != NULL)
    wk_print_run_release (flush->print->run);
  maybe_acknowledge (flush->print);
  _wk_daemon_print_unref (flush->print);
  g_free (flush);
}

/* Writes a snapshot with everything recorded so far; then releases a batch, if asked. */
static void
make_durable (WkDaemonPrint *print, gboolean release)
{
  Flush *flush = g_new0 (Flush, 1);

  flush->print = print_ref (print);
  flush->release = release;
  wk_snapshot_writer_flush_async (print->daemon->writer, NULL, flushed_cb, flush);
}

static void
print_rendered_cb (WkPrintRun *run, GPtrArray *documents, gpointer data)
{
  WkDaemonPrint *print = data;
  g_autoptr (JsonObject) params = json_object_new ();
  JsonArray *list = json_array_new ();

  print->n_documents += documents->len;
  for (guint i = 0; i < documents->len; i++)
    {
      WkLedgerDocument *document = documents->pdata[i];
      JsonObject       *item = json_object_new ();

      json_object_set_string_member (item, "chart", document->chart_id);
      json_object_set_string_member (item, "kind",
                                     wk_ledger_document_kind_to_string (document->kind));
      if (document->patient_id > 0)
        json_object_set_int_member (item, "patient", document->patient_id);
      json_object_set_int_member (item, "pages", document->n_pages);
      json_array_add_object_element (list, item);
    }
  json_object_set_string_member (params, "kind", "rendered");
  json_object_set_array_member (params, "documents", list);
  {
    g_autofree char *message = g_strdup_printf ("%u document(s) ready to print", documents->len);

    json_object_set_string_member (params, "message", message);
  }
  emit_print_event (print, params);
  /* Recorded in the ledger; sent once that is on disk. */
  make_durable (print, TRUE);
  _wk_daemon_status_changed (print->daemon);
}

static void
answer_call (WkDaemonPrint *print, const GError *error)
{
  g_autoptr (WkControlCall) call = g_steal_pointer (&print->call);
  JsonObject *result;
  JsonArray  *list;
  GPtrArray  *documents;

  if (call == NULL)
    return;
  documents = wk_print_run_get_documents (print->run);
  if (error != NULL && documents->len == 0)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_FAILED, "%s", error->message);
      return;
    }
  result = json_object_new ();
  list = json_array_new ();
  json_object_set_string_member (result, "request", print->request_id);
  for (guint i = 0; i < documents->len; i++)
    {
      WkLedgerDocument *document = documents->pdata[i];
      JsonObject       *item = json_object_new ();

      json_object_set_string_member (item, "chart", document->chart_id);
      json_object_set_string_member (item, "kind",
                                     wk_ledger_document_kind_to_string (document->kind));
      if (document->patient_id > 0)
        json_object_set_int_member (item, "patient", document->patient_id);
      json_object_set_int_member (item, "pages", document->n_pages);
      json_array_add_object_element (list, item);
    }
  json_object_set_array_member (result, "documents", list);
  if (error != NULL)
    json_object_set_string_member (result, "warning", error->message);
  wk_control_call_return_object (call, result);
}

static void
print_rendering_finished_cb (WkPrintRun *run, const GError *error, gpointer data)
{
  WkDaemonPrint *print = data;

  print->rendered = TRUE;
  if (error != NULL)
    {
      g_free (print->error);
      print->error = g_strdup (error->message);
      g_warning ("print: %s%s: %s", print->automatic ? "the ward's print for episode " : "request ",
                 print->automatic ? print->episode_id : print->request_id, error->message);
    }
  answer_call (print, error);
  maybe_acknowledge (print);
  _wk_daemon_status_changed (print->daemon);
}

static void
print_event_cb (WkPrintRun *run, const WkPrintEvent *event, gpointer data)
{
  WkDaemonPrint *print = data;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *message = wk_print_event_describe (event);
  gboolean         durable = FALSE;

  switch (event->kind)
    {
    case WK_PRINT_EVENT_ACCEPTED:
      print->n_accepted++;
      if (print->first_accepted_us == 0)
        print->first_accepted_us = event->time_us;
      print->last_accepted_us = event->time_us;
      g_hash_table_add (print->settled, g_strdup (event->document));
      durable = TRUE;
      break;
    case WK_PRINT_EVENT_COMPLETED:
      print->n_completed++;
      g_hash_table_add (print->settled, g_strdup (event->document));
      durable = TRUE;
      break;
    case WK_PRINT_EVENT_NOT_PRINTED:
      print->n_failed++;
      g_hash_table_add (print->settled, g_strdup (event->document));
      g_warning ("print: %s", message);
      durable = TRUE;
      break;
    case WK_PRINT_EVENT_FAILOVER:
    case WK_PRINT_EVENT_FAILED:
      g_message ("print: %s", message);
      break;
    case WK_PRINT_EVENT_PRINTER_STATE:
      {
        WkPrinterStatus *status
            = g_hash_table_lookup (print->daemon->printer_status, event->printer);

        if (status != NULL)
          {
            g_free (status->summary);
            status->summary = g_strdup (event->message);
            status->problem = event->problem;
          }
        break;
      }
    case WK_PRINT_EVENT_SUBMITTED:
    case WK_PRINT_EVENT_FINISHED:
      break;
    }

  json_object_set_string_member (params, "kind", wk_print_event_kind_to_string (event->kind));
  if (event->document != NULL)
    json_object_set_string_member (params, "chart", event->document);
  if (event->printer != NULL)
    json_object_set_string_member (params, "printer", event->printer);
  if (event->next_printer != NULL)
    json_object_set_string_member (params, "next_printer", event->next_printer);
  if (event->job_id > 0)
    json_object_set_int_member (params, "job_id", event->job_id);
  json_object_set_boolean_member (params, "problem", event->problem);
  json_object_set_string_member (params, "message", message);
  emit_print_event (print, params);
  if (durable)
    make_durable (print, FALSE);
  _wk_daemon_status_changed (print->daemon);
}

static void
print_finished_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  WkDaemonPrint *print = data;
  WkDaemon      *self = print->daemon;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) outcomes = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *message = NULL;

  /* The events counted each document; the outcomes only say the same again. */
  outcomes = wk_print_run_finish (WK_PRINT_RUN (source), result, &error);
  print->finished = TRUE;
  print->finished_at = g_get_real_time ();
  print->rendered = TRUE;
  if (error != NULL && print->error == NULL)
    print->error = g_strdup (error->message);
  answer_call (print, error);
  if (print->n_failed == 0 && print->error == NULL)
    message = g_strdup_printf ("All %u document(s) printed", print->n_completed);
  else if (print->error != NULL && print->n_documents == 0)
    message = g_strdup_printf ("Nothing was printed: %s", print->error);
  else
    message = g_strdup_printf ("%u document(s) printed, %u NOT printed%s%s", print->n_completed,
                               print->n_documents - print->n_completed,
                               print->error != NULL ? ": " : "",
                               print->error != NULL ? print->error : "");
  g_message ("print: %s %s: %s", print->automatic ? "the ward's print for episode" : "request",
             print->automatic ? print->episode_id : print->request_id, message);
  json_object_set_string_member (params, "kind", "finished");
  json_object_set_int_member (params, "printed", print->n_completed);
  json_object_set_int_member (params, "not_printed", print->n_documents - print->n_completed);
  json_object_set_string_member (params, "message", message);
  emit_print_event (print, params);
  make_durable (print, FALSE);
  g_ptr_array_remove (self->prints, print);
  _wk_daemon_status_changed (self);
}

static WkDaemonPrint *
print_new (WkDaemon *self, WkPrintRun *run, const WkLedgerRequest *request)
{
  WkDaemonPrint *print = g_new0 (WkDaemonPrint, 1);

  print->ref_count = 1;
  print->daemon = self;
  print->run = run;
  print->request_id = g_strdup (request->id);
  print->what = request->what;
  print->automatic = request->automatic;
  print->drill = request->drill;
  print->episode_id = g_strdup (request->episode_id);
  print->requested_by = g_strdup (request->requested_by);
  print->settled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  print->started_at = g_get_real_time ();
  print->started_mono = g_get_monotonic_time ();
  print->downtime_us = request->automatic ? self->downtime_us : 0;
  g_signal_connect (run, "rendered", G_CALLBACK (print_rendered_cb), print);
  g_signal_connect (run, "rendering-finished", G_CALLBACK (print_rendering_finished_cb), print);
  g_signal_connect (run, "event", G_CALLBACK (print_event_cb), print);
  return print;
}

/* The printers a print goes to: a printer-failure drill makes the first one fail (the
 * documents go to the second); a printer asked for goes first. */
static GPtrArray *
printers_for (WkDaemon *self, gboolean drill, WkDrillScenario scenario)
{
  GPtrArray *printers = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_printer_unref);

  for (guint i = 0; i < self->printers->len; i++)
    if (!(drill && scenario == WK_DRILL_PRINTER_FAILURE && i == 0 && self->printers->len > 1))
      g_ptr_array_add (printers, wk_printer_ref (self->printers->pdata[i]));
  return printers;
}

/* Starts @run (taken), whose print is @print (taken). */
static void
start_run (WkDaemon *self, WkDaemonPrint *print, WkPrintRun *run)
{
  g_ptr_array_add (self->prints, print);
  g_clear_pointer (&self->last_print, _wk_daemon_print_unref);
  self->last_print = print_ref (print);
  wk_print_run_start_async (run, NULL, print_finished_cb, print);
  g_object_unref (run); /* the print and the run's own task hold it */
  poll_printers (self);
  _wk_daemon_status_changed (self);
}

/* Prints from a snapshot holding everything the feed has brought: one is written first
 * when changes are not yet on disk. */
typedef struct
{
  WkDaemon      *daemon;
  WkDaemonPrint *print;
  WkPrintRun    *run;
} Pending;

static void
data_flushed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *pending = data;
  g_autoptr (GError) error = NULL;

  if (!wk_snapshot_writer_flush_finish (pending->daemon->writer, result, &error))
    g_warning ("The newest changes could not be written (%s): printing from the last "
               "snapshot written",
               error->message);
  start_run (pending->daemon, pending->print, pending->run);
  g_free (pending);
}

static void
start_when_written (WkDaemon *self, WkDaemonPrint *print, WkPrintRun *run)
{
  Pending *pending;

  if (!wk_snapshot_writer_has_unwritten (self->writer))
    {
      start_run (self, print, run);
      return;
    }
  pending = g_new0 (Pending, 1);
  pending->daemon = self;
  pending->print = print;
  pending->run = run;
  wk_snapshot_writer_flush_async (self->writer, NULL, data_flushed_cb, pending);
}

static WkPrintRun *
new_run (
    WkDaemon *self, WkLedgerWhat what, gint64 patient_id, gboolean drill, WkDrillScenario scenario)
{
  g_autoptr (GPtrArray) printers = printers_for (self, drill, scenario);
  WkPrintRun *run = wk_print_run_new (self->config, self->keys, printers, what, patient_id);

  wk_print_run_set_store (run, self->store);
  wk_print_run_set_drill (run, drill);
  wk_print_run_set_hold (run, TRUE);
  return run;
}

/**
 * _wk_daemon_print:
 * @daemon: the daemon
 * @what: what to print
 * @patient_id: for a chart, the patient
 * @printer: (nullable): the printer to try first
 * @drill: mark it DRILL
 * @requested_by: who asks
 * @error: return location for a #GError
 *
 * Prints on request, recorded in the ledger under the episode on (if any).
 *
 * Returns: (transfer none): the print, or %NULL with @error (an unknown printer)
 */
WkDaemonPrint *
_wk_daemon_print (WkDaemon    *self,
                  WkLedgerWhat what,
                  gint64       patient_id,
                  const char  *printer,
                  gboolean     drill,
                  const char  *requested_by,
                  GError     **error)
{
  const WkEpisode *episode = wk_monitor_get_episode (self->monitor);
  g_autoptr (WkPrintRun) run = NULL;
  WkLedgerRequest *request;
  WkDaemonPrint   *print;

  /* Paper made during a drill is drill paper; a real episode's is real. */
  if (episode != NULL)
    drill = episode->kind == WK_EPISODE_DRILL;
  run = new_run (self, what, patient_id, drill,
                 episode != NULL ? episode->scenario : WK_DRILL_NONE);
  if (printer != NULL && !wk_print_run_set_first_printer (run, printer, error))
    return NULL;
  request = wk_ledger_request_new (what, requested_by);
  if (episode != NULL)
    {
      wk_ledger_record_episode (self->model, episode, NULL);
      request->episode_id = g_strdup (episode->id);
    }
  wk_print_run_set_ledger (run, self->model, request);
  print = print_new (self, g_object_ref (run), request);
  g_message ("print: %s asked for the %s (request %s)", requested_by,
             wk_ledger_what_to_string (what), request->id);
  start_when_written (self, print, g_steal_pointer (&run));
  return print;
}

/* The automatic print of an episode; after a restart, only what did not go out. */
static void
start_automatic_print (WkDaemon *self, const WkEpisode *episode, gboolean drill)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkLedgerRequest) existing = NULL;
  g_autoptr (WkPrintRun) run = NULL;
  WkLedgerRequest *request;
  WkDaemonPrint   *print;

  for (guint i = 0; i < self->prints->len; i++)
    {
      WkDaemonPrint *running = self->prints->pdata[i];

      if (running->automatic && g_strcmp0 (running->episode_id, episode->id) == 0)
        return; /* under way already */
    }
  if (drill && !self->drill_prints)
    {
      g_message ("print: drill %s prints nothing (asked so)", episode->id);
      wk_monitor_acknowledge_print (self->monitor, episode->id, NULL);
      _wk_daemon_save_monitor (self);
      return;
    }
  if (!wk_ledger_record_episode (self->model, episode, &error))
    g_warning ("print ledger: cannot record episode %s: %s", episode->id, error->message);
  g_clear_error (&error);
  g_hash_table_add (self->open_episodes, g_strdup (episode->id));

  run = new_run (self, WK_LEDGER_WHAT_WARD, 0, drill, episode->scenario);
  if (drill && self->drill_printer != NULL)
    wk_print_run_set_first_printer (run, self->drill_printer, NULL);
  existing = wk_ledger_load_automatic_request (self->model, episode->id, NULL);
  if (existing != NULL)
    {
      g_autoptr (GPtrArray) documents
          = wk_ledger_load_documents (self->model, existing->id, NULL, NULL);
      guint out = 0, again = 0;

      /* What a printer took went out; what was recorded and never sent did not. */
      for (guint i = 0; documents != NULL && i < documents->len; i++)
        {
          WkLedgerDocument *document = documents->pdata[i];

          if (document->state == WK_LEDGER_DOCUMENT_SENT
              || document->state == WK_LEDGER_DOCUMENT_PRINTED)
            {
              out++;
              if (document->kind == WK_LEDGER_DOCUMENT_CENSUS)
                wk_print_run_skip_census (run);
              else
                wk_print_run_skip_patient (run, document->patient_id);
            }
          else if (document->state == WK_LEDGER_DOCUMENT_QUEUED)
            {
              again++;
              wk_ledger_set_document_state (self->model, document->chart_id,
                                            WK_LEDGER_DOCUMENT_NOT_PRINTED, NULL,
                                            "the daemon stopped before it was sent; printed "
                                            "again under a new chart id",
                                            NULL);
            }
        }
      g_message ("print: resuming the ward's print for episode %s after a restart: %u "
                 "document(s) went out before, %u were never sent",
                 episode->id, out, again);
      request = g_steal_pointer (&existing);
    }
  else
    {
      request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, WK_LEDGER_REQUESTED_BY_DAEMON);
      request->episode_id = g_strdup (episode->id);
      request->automatic = TRUE;
    }
  wk_print_run_set_ledger (run, self->model, request);
  print = print_new (self, g_object_ref (run), request);
  start_when_written (self, print, g_steal_pointer (&run));
}

/* ---- the monitor ---- */

/* Keeps the ledger's episodes in step with the monitor: the one on is recorded, those no
 * longer on are ended. */
static void
sync_episodes (WkDaemon *self)
{
  const WkEpisode *episode = wk_monitor_get_episode (self->monitor);
  g_autoptr (GPtrArray) ended = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer       id;

  if (episode != NULL && !g_hash_table_contains (self->open_episodes, episode->id))
    {
      g_autoptr (GError) error = NULL;

      if (wk_ledger_record_episode (self->model, episode, &error))
        g_hash_table_add (self->open_episodes, g_strdup (episode->id));
      else
        g_warning ("print ledger: cannot record episode %s: %s", episode->id, error->message);
    }
  g_hash_table_iter_init (&iter, self->open_episodes);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    {
      /* A drill's episode ends with the drill; the real one underneath stays on. */
      if (episode != NULL && strcmp (id, episode->id) == 0)
        continue;
      if (wk_monitor_get_state (self->monitor) == WK_MONITOR_DRILL
          && wk_monitor_get_real_state (self->monitor) != WK_MONITOR_ONLINE)
        continue;
      g_ptr_array_add (ended, g_strdup (id));
    }
  for (guint i = 0; i < ended->len; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!wk_ledger_end_episode (self->model, ended->pdata[i], g_get_real_time () / G_USEC_PER_SEC,
                                  wk_monitor_get_reason (self->monitor), &error)
          && !g_error_matches (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT))
        g_warning ("print ledger: cannot end episode %s: %s", (char *)ended->pdata[i],
                   error->message);
      g_hash_table_remove (self->open_episodes, ended->pdata[i]);
    }
}

static void
monitor_event_cb (WkMonitor *monitor, const WkMonitorEvent *event, gpointer data)
{
  WkDaemon *self = data;

  switch (event->kind)
    {
    case WK_MONITOR_EVENT_STATE_CHANGED:
    case WK_MONITOR_EVENT_DRILL_PHASE:
    case WK_MONITOR_EVENT_REAL_STATE_CHANGED:
      /* When the ward went on paper: what the print's timings are measured from. */
      if (event->state == WK_MONITOR_DOWNTIME && event->old_state != WK_MONITOR_RECOVERING)
        self->downtime_us = event->monotonic_us;
      sync_episodes (self);
      _wk_daemon_save_monitor (self);
      {
        g_autofree char *since = _wk_daemon_format_time (self, event->wall_us);
        g_autofree char *status = g_strdup_printf (
            "%s since %s: %s", wk_monitor_state_to_string (wk_monitor_get_state (monitor)), since,
            wk_monitor_get_reason (monitor));

        _wk_daemon_notify_status (self, status);
      }
      break;
    case WK_MONITOR_EVENT_PRINT_NOW:
      start_automatic_print (self, event->episode, event->drill);
      _wk_daemon_save_monitor (self);
      break;
    case WK_MONITOR_EVENT_CLOCK_JUMP:
      g_message ("%s", event->reason);
      break;
    case WK_MONITOR_EVENT_PROBE_RESULT:
      g_hash_table_replace (
          self->probe_runs, g_strdup (event->probe),
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->probe_runs, event->probe))
                            + 1));
      break;
    case WK_MONITOR_EVENT_WARNING:
    case WK_MONITOR_EVENT_WARNING_CLEARED:
      break;
    }
  _wk_daemon_status_changed (self);
}

/* ---- the feed ---- */

static GBytes *
feed_cb (const guint8 *message, gsize size, gpointer data)
{
  WkDaemon        *self = data;
  GBytes          *ack = wk_feed_handle (self->feed, message, size);
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);

  /* The ward's data is current as of this message: what paper says "DATA AS OF". */
  wk_model_set_meta (self->model, WK_PRINT_DATA_AS_OF, now, NULL);
  wk_monitor_note_feed_activity (self->monitor);
  _wk_daemon_status_changed (self);
  return ack;
}

static void
writer_status_cb (WkSnapshotWriter *writer, gpointer data)
{
  _wk_daemon_status_changed (data);
}

/* ---- life ---- */

/* The live model: the newest good snapshot, writable; an empty ward when there is none. */
static WkModel *
load_model (WkDaemon *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (WkModel) snapshot = NULL;
  g_autoptr (WkModel) model = NULL;

  snapshot = wk_store_load_newest (self->store, &self->loaded, &local_error);
  if (snapshot != NULL)
    {
      gsize   size;
      guint8 *image = wk_model_serialize (snapshot, &size, error);

      if (image == NULL)
        return NULL;
      model = wk_model_new_from_serialized (image, size, FALSE, error);
      if (model == NULL)
        return NULL;
      {
        g_autofree char *when
            = _wk_daemon_format_time (self, self->loaded->created_at * G_USEC_PER_SEC);

        g_message ("Loaded snapshot %" G_GUINT64_FORMAT " (data as of %s): the ward is printable",
                   self->loaded->seq, when);
      }
    }
  else
    {
      if (g_error_matches (local_error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND))
        g_message ("No snapshot in %s yet: starting with an empty ward %s",
                   wk_store_get_directory (self->store), self->ward_id);
      else
        {
          self->load_problem
              = g_strdup_printf ("no snapshot could be loaded: %s", local_error->message);
          g_warning ("Starting with an empty ward: %s", self->load_problem);
        }
      model = wk_model_new (error);
      if (model == NULL)
        return NULL;
    }
  if (!wk_ward_ensure (model, self->ward_id, self->ward_name, error))
    return NULL;
  /* A snapshot that does not say how current its data is: as current as the snapshot. */
  if (self->loaded != NULL)
    {
      g_autofree char *known = wk_model_dup_meta (model, WK_PRINT_DATA_AS_OF);
      g_autofree char *at = g_strdup_printf ("%" G_GINT64_FORMAT, self->loaded->created_at);

      if (known == NULL && !wk_model_set_meta (model, WK_PRINT_DATA_AS_OF, at, error))
        return NULL;
    }
  return g_steal_pointer (&model);
}

/* One daemon per state folder: a second would print the ward a second time. */
static gboolean
lock_state (WkDaemon *self, const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "wardkeepd.lock", NULL);

  if (g_mkdir_with_parents (dir, 0750) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                   "Cannot make the state folder %s: %s ([daemon] state-directory)", dir,
                   g_strerror (errno));
      return FALSE;
    }
  self->lock_fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (self->lock_fd < 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO, "Cannot open %s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Another wardkeepd is running with the state folder %s; stop it first", dir);
      return FALSE;
    }
  return TRUE;
}

/* Reconciliation after a downtime (README "After the outage"): the reconcile.* methods. A
 * setting that keeps it from working turns it off with a warning; printing goes on. */
static void
start_reconcile (WkDaemon *self)
{
  g_autoptr (GError) error = NULL;
  WkReconcileSettings *settings = wk_reconcile_settings_new (self->config, self->keys, &error);

  if (settings != NULL)
    self->reconcile = wk_reconcile_new (self->model, settings, &error);
  if (self->reconcile == NULL)
    {
      g_warning ("Reconciliation is off: %s", error->message);
      return;
    }
  self->reconcile_service = wk_reconcile_service_new (self->reconcile);
  wk_reconcile_service_register (self->reconcile_service, self->control);
}

/**
 * wk_daemon_new:
 * @config: (transfer full): the configuration
 * @keys: (transfer full): the kiosk's keys
 * @error: return location for a #GError
 *
 * Loads the newest good snapshot into the live model and makes every part, without
 * starting anything.
 *
 * Returns: (transfer full): the daemon, or %NULL with @error
 */
WkDaemon *
wk_daemon_new (WkConfig *config, WkKeys *keys, GError **error)
{
  g_autoptr (WkDaemon) self = g_new0 (WkDaemon, 1);
  const char *name;

  self->config = config;
  self->keys = keys;
  self->lock_fd = -1;
  self->started_at = g_get_real_time ();
  self->ward_id = g_strdup (wk_config_get_string (config, "ward", "id"));
  name = wk_config_get_string (config, "ward", "name");
  self->ward_name = g_strdup (name != NULL ? name : self->ward_id);
  self->open_episodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->probe_runs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->printer_status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify)wk_printer_status_free);
  self->prints = g_ptr_array_new_with_free_func ((GDestroyNotify)_wk_daemon_print_unref);
  self->drill_prints = TRUE;

  if (!lock_state (self, wk_config_get_string (config, "daemon", "state-directory"), error))
    return NULL;
  self->state_path = g_build_filename (wk_config_get_string (config, "daemon", "state-directory"),
                                       "monitor.state", NULL);
  self->saver = g_thread_pool_new (save_thread, NULL, 1, TRUE, NULL);
  self->clock = wk_clock_new_real ();
  self->store = wk_store_new_from_config (config, keys, NULL, error);
  if (self->store == NULL)
    return NULL;
  self->model = load_model (self, error);
  if (self->model == NULL)
    return NULL;
  self->writer = wk_snapshot_writer_new_from_config (self->store, self->model, config);
  wk_snapshot_writer_set_status_func (self->writer, writer_status_cb, self);
  self->feed = wk_feed_new (self->model, config, error);
  if (self->feed == NULL)
    return NULL;
  self->monitor = wk_monitor_new_from_config (config, self->clock, error);
  if (self->monitor == NULL)
    return NULL;
  self->printers = wk_printer_list_from_config (config, error);
  if (self->printers == NULL)
    return NULL;
  self->control = wk_control_server_new ();
  start_reconcile (self);
  return g_steal_pointer (&self);
}

/**
 * wk_daemon_start:
 * @daemon: a #WkDaemon
 * @error: return location for a #GError
 *
 * Opens the control socket, resumes the episode the daemon was in, starts the monitor and
 * the feed, and tells systemd it is ready. A feed that cannot listen is reported and the
 * daemon runs on without it (printing matters more).
 *
 * Returns: %TRUE, or %FALSE with @error when the control socket cannot be opened
 */
gboolean
wk_daemon_start (WkDaemon *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) episodes = NULL;
  const char *group = wk_config_get_string (self->config, "daemon", "control-group");

  _wk_daemon_control_init (self);
  if (!wk_control_server_listen (self->control,
                                 wk_config_get_string (self->config, "daemon", "control-socket"),
                                 0660, group, error))
    return FALSE;

  /* The feed: a port in use is reported, the daemon runs on. */
  self->listener
      = wk_mllp_listener_new_from_config (self->config, feed_cb, self, NULL, &local_error);
  if (self->listener == NULL
      || !wk_mllp_listener_start (
          self->listener, wk_config_get_string (self->config, "feed", "address"),
          (guint16)wk_config_get_int (self->config, "feed", "port"), &local_error))
    {
      self->feed_problem
          = g_strdup_printf ("the HL7 feed cannot be received: %s", local_error->message);
      g_warning ("%s", self->feed_problem);
      g_clear_pointer (&self->listener, wk_mllp_listener_free);
      g_clear_error (&local_error);
    }
  else
    g_message ("HL7 feed: listening on %s port %u%s",
               wk_config_get_string (self->config, "feed", "address"),
               wk_mllp_listener_get_port (self->listener),
               wk_mllp_listener_is_tls (self->listener) ? " (TLS)" : "");

  /* The episode the daemon was in, and the ledger's episodes still open. */
  restore_monitor (self);
  episodes = wk_ledger_load_episodes (self->model, NULL);
  for (guint i = 0; episodes != NULL && i < episodes->len; i++)
    {
      WkLedgerEpisode *episode = episodes->pdata[i];

      if (episode->ended_at == 0)
        g_hash_table_add (self->open_episodes, g_strdup (episode->id));
    }
  g_signal_connect (self->monitor, "event", G_CALLBACK (monitor_event_cb), self);
  wk_monitor_start (self->monitor);
  sync_episodes (self);

  /* A first snapshot at once: what there is to print must be on disk. */
  if (self->loaded == NULL)
    wk_snapshot_writer_flush_async (self->writer, NULL, NULL, NULL);

  poll_printers (self);
  self->printer_poll = g_timeout_add_seconds (PRINTER_POLL_BUSY_S, poll_printers_cb, self);
  self->watchdog = _wk_daemon_start_watchdog ();
  _wk_daemon_notify_ready (self);
  return TRUE;
}

/**
 * wk_daemon_stop:
 * @daemon: a #WkDaemon
 *
 * Stops cleanly: no more probes or feed, the live model written to a snapshot, the episode
 * saved. Jobs already with a printer print on.
 */
void
wk_daemon_stop (WkDaemon *self)
{
  g_autoptr (GError) error = NULL;

  _wk_daemon_notify_stopping ();
  g_clear_pointer (&self->listener, wk_mllp_listener_free);
  if (self->monitor != NULL)
    wk_monitor_stop (self->monitor);
  if (self->writer != NULL && !wk_snapshot_writer_flush (self->writer, &error))
    g_warning ("The last changes could not be written before stopping: %s", error->message);
  if (self->monitor != NULL)
    _wk_daemon_save_monitor (self);
  /* Every save on disk before the process goes. */
  if (self->saver != NULL)
    g_clear_pointer (&self->saver, finish_saves);
  if (self->control != NULL)
    wk_control_server_close (self->control);
  g_message ("Stopped");
}

/**
 * wk_daemon_free:
 * @daemon: (nullable) (transfer full): a #WkDaemon
 */
void
wk_daemon_free (WkDaemon *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->status_timer, g_source_remove);
  g_clear_handle_id (&self->printer_poll, g_source_remove);
  g_clear_handle_id (&self->watchdog, g_source_remove);
  g_clear_pointer (&self->last_print, _wk_daemon_print_unref);
  g_clear_pointer (&self->prints, g_ptr_array_unref);
  if (self->reconcile_service != NULL)
    wk_reconcile_service_unregister (self->reconcile_service, self->control);
  g_clear_pointer (&self->reconcile_service, wk_reconcile_service_free);
  g_clear_pointer (&self->reconcile, wk_reconcile_free);
  g_clear_object (&self->control);
  g_clear_pointer (&self->listener, wk_mllp_listener_free);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->feed, wk_feed_free);
  g_clear_pointer (&self->writer, wk_snapshot_writer_free);
  g_clear_pointer (&self->model, wk_model_free);
  g_clear_pointer (&self->loaded, wk_snapshot_info_free);
  g_clear_pointer (&self->store, wk_store_unref);
  g_clear_pointer (&self->printers, g_ptr_array_unref);
  g_clear_pointer (&self->printer_status, g_hash_table_unref);
  g_clear_pointer (&self->open_episodes, g_hash_table_unref);
  g_clear_pointer (&self->probe_runs, g_hash_table_unref);
  g_clear_pointer (&self->clock, wk_clock_unref);
  if (self->saver != NULL)
    g_clear_pointer (&self->saver, finish_saves);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_free (self->state_path);
  g_free (self->ward_id);
  g_free (self->ward_name);
  g_free (self->load_problem);
  g_free (self->feed_problem);
  g_free (self->drill_printer);
  wk_keys_free (self->keys);
  wk_config_free (self->config);
  g_free (self);
}
