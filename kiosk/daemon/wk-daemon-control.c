/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-daemon-control.c — wardkeepd's status and the methods of its control socket. */

#define G_LOG_DOMAIN "wardkeepd"

#include "wk-daemon-private.h"
#include "wk-patient.h"
#include "wk-print-error.h"
#include "wk-snapshot-error.h"

#include <string.h>
#include <unistd.h>

/**
 * _wk_daemon_iso_time:
 * @wall_us: a wall time, UTC microseconds
 *
 * Returns: (transfer full): the time as ISO 8601 UTC, "2026-11-22T03:12:40Z"
 */
char *
_wk_daemon_iso_time (gint64 wall_us)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);

  return when != NULL ? g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

static void
set_time (JsonObject *object, const char *member, gint64 wall_us)
{
  if (wall_us <= 0)
    json_object_set_null_member (object, member);
  else
    {
      g_autofree char *text = _wk_daemon_iso_time (wall_us);

      json_object_set_string_member (object, member, text);
    }
}

static void
set_text (JsonObject *object, const char *member, const char *text)
{
  if (text == NULL)
    json_object_set_null_member (object, member);
  else
    json_object_set_string_member (object, member, text);
}

/* The wall time of a monotonic time of the monitor's clock. */
static gint64
wall_of (WkDaemon *self, gint64 monotonic_us)
{
  return wk_clock_get_wall (self->clock) - (wk_clock_get_monotonic (self->clock) - monotonic_us);
}

static const char *const printer_states[] = { "idle", "processing", "stopped", "unreachable" };

/**
 * _wk_daemon_print_to_json:
 * @print: a print
 *
 * Returns: (transfer full): the status's `print` object
 */
JsonObject *
_wk_daemon_print_to_json (WkDaemonPrint *print)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "request", print->request_id);
  json_object_set_string_member (object, "what", wk_ledger_what_to_string (print->what));
  json_object_set_boolean_member (object, "automatic", print->automatic);
  json_object_set_boolean_member (object, "drill", print->drill);
  set_text (object, "episode", print->episode_id);
  set_text (object, "requested_by", print->requested_by);
  json_object_set_int_member (object, "documents", print->n_documents);
  json_object_set_int_member (object, "accepted", print->n_accepted);
  json_object_set_int_member (object, "completed", print->n_completed);
  json_object_set_int_member (object, "failed", print->n_failed);
  json_object_set_boolean_member (object, "rendering", !print->rendered);
  json_object_set_boolean_member (object, "finished", print->finished);
  set_text (object, "error", print->error);
  set_time (object, "started_at", print->started_at);
  set_time (object, "finished_at", print->finished_at);
  /* How long from the print's start the first and the last document took to be accepted
   * by a printer (what a drill times). */
  if (print->first_accepted_us > 0)
    {
      json_object_set_double_member (object, "first_accepted_after_s",
                                     (print->first_accepted_us - print->started_mono) / 1e6);
      json_object_set_double_member (object, "last_accepted_after_s",
                                     (print->last_accepted_us - print->started_mono) / 1e6);
    }
  else
    {
      json_object_set_null_member (object, "first_accepted_after_s");
      json_object_set_null_member (object, "last_accepted_after_s");
    }
  /* The automatic print: from the moment the monitor confirmed the downtime. */
  if (print->first_accepted_us > 0 && print->downtime_us > 0)
    {
      json_object_set_double_member (object, "first_accepted_after_downtime_s",
                                     (print->first_accepted_us - print->downtime_us) / 1e6);
      json_object_set_double_member (object, "last_accepted_after_downtime_s",
                                     (print->last_accepted_us - print->downtime_us) / 1e6);
    }
  return object;
}

static JsonObject *
episode_json (WkDaemon *self, const WkEpisode *episode)
{
  JsonObject *object = json_object_new ();
  g_autoptr (WkLedgerRequest) automatic
      = wk_ledger_load_automatic_request (self->model, episode->id, NULL);
  gboolean printed = FALSE;

  json_object_set_string_member (object, "id", episode->id);
  json_object_set_string_member (object, "kind", wk_episode_kind_to_string (episode->kind));
  set_time (object, "started_at", episode->started_wall_us);
  set_text (object, "reason", episode->reason);
  set_text (object, "who", episode->who);
  /* Printed: every document of the automatic print is with a printer (or given up); how
   * many went out and how many did not. */
  if (automatic != NULL)
    {
      g_autoptr (GPtrArray) documents
          = wk_ledger_load_documents (self->model, automatic->id, NULL, NULL);
      guint out = 0, failed = 0;

      printed = TRUE;
      for (guint i = 0; i < self->prints->len; i++)
        {
          WkDaemonPrint *print = self->prints->pdata[i];

          if (print->automatic && g_strcmp0 (print->episode_id, episode->id) == 0)
            printed = print->acknowledged;
        }
      for (guint i = 0; documents != NULL && i < documents->len; i++)
        {
          WkLedgerDocument *document = documents->pdata[i];

          out += document->state == WK_LEDGER_DOCUMENT_SENT
                 || document->state == WK_LEDGER_DOCUMENT_PRINTED;
          failed += document->state == WK_LEDGER_DOCUMENT_NOT_PRINTED;
        }
      json_object_set_int_member (object, "documents_out", out);
      json_object_set_int_member (object, "documents_not_printed", failed);
    }
  json_object_set_boolean_member (object, "printed", printed);
  set_text (object, "print_request", automatic != NULL ? automatic->id : NULL);
  return object;
}

/**
 * _wk_daemon_dup_status:
 * @daemon: the daemon
 *
 * Returns: (transfer full): the status object of README "Status and control"
 */
JsonObject *
_wk_daemon_dup_status (WkDaemon *self)
{
  JsonObject           *status = json_object_new ();
  JsonObject           *ward = json_object_new ();
  JsonObject           *snapshot = json_object_new ();
  JsonObject           *feed = json_object_new ();
  JsonArray            *probes = json_array_new ();
  JsonArray            *printers = json_array_new ();
  JsonArray            *warnings = json_array_new ();
  WkMonitorState        state = wk_monitor_get_state (self->monitor);
  const WkEpisode      *episode = wk_monitor_get_episode (self->monitor);
  const WkSnapshotInfo *newest = wk_snapshot_writer_get_last_written (self->writer);
  const GError         *write_error = wk_snapshot_writer_get_last_error (self->writer);
  g_auto (GStrv) monitor_warnings = wk_monitor_dup_warnings (self->monitor);
  g_auto (GStrv) probe_names = wk_config_dup_instances (self->config, "probe");
  gint64       now = g_get_real_time ();
  gint64       since_wall = 0;
  WkFeedHealth health;

  json_object_set_string_member (status, "version", WK_VERSION);
  json_object_set_int_member (status, "pid", getpid ());
  set_time (status, "started_at", self->started_at);
  set_time (status, "now", now);
  json_object_set_string_member (ward, "id", self->ward_id);
  json_object_set_string_member (ward, "name", self->ward_name);
  json_object_set_string_member (ward, "timezone",
                                 wk_config_get_string (self->config, "ward", "timezone"));
  json_object_set_object_member (status, "ward", ward);

  /* The mode, since when, why. */
  json_object_set_string_member (status, "mode", wk_monitor_state_to_string (state));
  if (state == WK_MONITOR_DRILL)
    json_object_set_string_member (
        status, "real_mode",
        wk_monitor_state_to_string (wk_monitor_get_real_state (self->monitor)));
  else
    json_object_set_null_member (status, "real_mode");
  wk_monitor_get_since (self->monitor, &since_wall);
  set_time (status, "since", since_wall);
  set_text (status, "reason", wk_monitor_get_reason (self->monitor));
  if (episode != NULL)
    json_object_set_object_member (status, "episode", episode_json (self, episode));
  else
    json_object_set_null_member (status, "episode");
  if (state == WK_MONITOR_DRILL && episode != NULL)
    {
      JsonObject *drill = json_object_new ();

      json_object_set_string_member (drill, "scenario",
                                     wk_drill_scenario_to_string (episode->scenario));
      json_object_set_string_member (
          drill, "phase", wk_monitor_state_to_string (wk_monitor_get_drill_phase (self->monitor)));
      set_time (drill, "started_at", episode->started_wall_us);
      set_text (drill, "who", episode->who);
      json_object_set_object_member (status, "drill", drill);
    }
  else
    json_object_set_null_member (status, "drill");

  /* The newest good snapshot: what paper would be printed from. */
  if (newest == NULL)
    newest = self->loaded;
  if (newest != NULL)
    {
      json_object_set_int_member (snapshot, "seq", (gint64)newest->seq);
      set_time (snapshot, "created_at", newest->created_at * G_USEC_PER_SEC);
      json_object_set_int_member (snapshot, "age_seconds",
                                  MAX (0, now / G_USEC_PER_SEC - newest->created_at));
    }
  else
    {
      json_object_set_null_member (snapshot, "seq");
      json_object_set_null_member (snapshot, "created_at");
      json_object_set_null_member (snapshot, "age_seconds");
    }
  set_text (snapshot, "last_error",
            write_error != NULL ? write_error->message : self->load_problem);
  json_object_set_boolean_member (snapshot, "unwritten",
                                  wk_snapshot_writer_has_unwritten (self->writer));
  json_object_set_string_member (snapshot, "directory", wk_store_get_directory (self->store));
  json_object_set_object_member (status, "snapshot", snapshot);
  {
    g_autofree char *known = wk_model_dup_meta (self->model, WK_PRINT_DATA_AS_OF);
    gint64           data_as_of = known != NULL ? g_ascii_strtoll (known, NULL, 10) : 0;

    /* How current the ward's data is: the last HL7 message, or the snapshot it came in. */
    if (data_as_of <= 0 && newest != NULL)
      data_as_of = newest->created_at;
    set_time (status, "data_as_of", data_as_of * G_USEC_PER_SEC);
    if (data_as_of > 0)
      json_object_set_int_member (status, "data_age_seconds",
                                  MAX (0, now / G_USEC_PER_SEC - data_as_of));
    else
      json_object_set_null_member (status, "data_age_seconds");
  }

  /* The feed. */
  wk_feed_get_health (self->feed, &health);
  set_time (feed, "last_message_at", health.last_message_at);
  json_object_set_double_member (feed, "messages_per_minute", health.messages_per_minute);
  set_text (feed, "last_error",
            self->feed_problem != NULL ? self->feed_problem : health.last_error);
  set_time (feed, "last_error_at", health.last_error_at);
  if (self->listener != NULL)
    {
      WkMllpStats stats;

      wk_mllp_listener_get_stats (self->listener, &stats);
      json_object_set_int_member (feed, "connections", stats.connections_open);
      json_object_set_int_member (feed, "port", wk_mllp_listener_get_port (self->listener));
      json_object_set_boolean_member (feed, "listening", TRUE);
    }
  else
    {
      json_object_set_int_member (feed, "connections", 0);
      json_object_set_null_member (feed, "port");
      json_object_set_boolean_member (feed, "listening", FALSE);
    }
  {
    gint64   quiet_from = health.last_message_at > 0 ? health.last_message_at : self->started_at;
    gint64   limit = wk_config_get_duration_ms (self->config, "monitor", "feed-silence-warning");
    gboolean silent = (now - quiet_from) / 1000 > limit;

    json_object_set_boolean_member (feed, "silent", silent);
  }
  json_object_set_int_member (feed, "accepted", (gint64)health.n_aa);
  json_object_set_int_member (feed, "refused", (gint64)(health.n_ae + health.n_ar));
  json_object_set_object_member (status, "feed", feed);

  /* Probes, printers. */
  for (guint i = 0; probe_names[i] != NULL; i++)
    {
      const WkProbeResult *result = wk_monitor_get_last_result (self->monitor, probe_names[i]);
      JsonObject          *probe = json_object_new ();

      json_object_set_string_member (probe, "name", probe_names[i]);
      json_object_set_int_member (
          probe, "runs", GPOINTER_TO_UINT (g_hash_table_lookup (self->probe_runs, probe_names[i])));
      if (result != NULL)
        {
          json_object_set_boolean_member (probe, "ok", result->ok);
          set_text (probe, "reason", result->reason);
          set_time (probe, "at", wall_of (self, result->finished_us));
        }
      else
        {
          json_object_set_null_member (probe, "ok");
          set_text (probe, "reason", "not run yet");
          json_object_set_null_member (probe, "at");
        }
      json_array_add_object_element (probes, probe);
    }
  json_object_set_array_member (status, "probes", probes);
  for (guint i = 0; i < self->printers->len; i++)
    {
      WkPrinter       *printer = self->printers->pdata[i];
      WkPrinterStatus *known
          = g_hash_table_lookup (self->printer_status, wk_printer_get_name (printer));
      JsonObject *item = json_object_new ();
      JsonArray  *reasons = json_array_new ();

      json_object_set_string_member (item, "name", wk_printer_get_name (printer));
      set_text (item, "description", wk_printer_get_description (printer));
      if (known != NULL)
        {
          json_object_set_string_member (item, "state", printer_states[known->state]);
          json_object_set_boolean_member (item, "accepting", known->accepting);
          set_text (item, "summary", known->summary);
          json_object_set_boolean_member (item, "problem", known->problem);
          for (guint r = 0; known->reasons != NULL && known->reasons[r] != NULL; r++)
            json_array_add_string_element (reasons, known->reasons[r]);
        }
      else
        {
          json_object_set_null_member (item, "state");
          json_object_set_null_member (item, "accepting");
          set_text (item, "summary", "not asked yet");
          json_object_set_boolean_member (item, "problem", FALSE);
        }
      json_object_set_array_member (item, "reasons", reasons);
      json_array_add_object_element (printers, item);
    }
  json_object_set_array_member (status, "printers", printers);

  if (self->last_print != NULL)
    json_object_set_object_member (status, "print", _wk_daemon_print_to_json (self->last_print));
  else
    json_object_set_null_member (status, "print");

  /* Sentences for the kiosk's banner. */
  for (guint i = 0; monitor_warnings[i] != NULL; i++)
    json_array_add_string_element (warnings, monitor_warnings[i]);
  if (self->feed_problem != NULL)
    json_array_add_string_element (warnings, self->feed_problem);
  if (write_error != NULL)
    {
      g_autofree char *text
          = g_strdup_printf ("snapshots are not being written: %s", write_error->message);

      json_array_add_string_element (warnings, text);
    }
  if (self->load_problem != NULL)
    json_array_add_string_element (warnings, self->load_problem);
  if (newest == NULL)
    json_array_add_string_element (warnings, "there is no snapshot yet: nothing can be printed");
  if (self->printers->len == 0)
    json_array_add_string_element (warnings,
                                   "no printer is configured: the ward cannot be printed");
  if (self->last_print != NULL && self->last_print->error != NULL)
    {
      g_autofree char *text
          = g_strdup_printf ("the last print failed: %s", self->last_print->error);

      json_array_add_string_element (warnings, text);
    }
  if (self->last_print != NULL && self->last_print->n_failed > 0)
    {
      g_autofree char *text = g_strdup_printf ("%u document(s) of the last print were NOT printed",
                                               self->last_print->n_failed);

      json_array_add_string_element (warnings, text);
    }
  json_object_set_array_member (status, "warnings", warnings);
  return status;
}

/* ---- methods ---- */

static void
status_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  wk_control_call_return_object (call, _wk_daemon_dup_status (data));
}

static gboolean
get_who (WkControlCall *call, const char **who)
{
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "who", TRUE, who, &error))
    {
      wk_control_call_return_gerror (call, error);
      return FALSE;
    }
  return TRUE;
}

static void
declare_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon      *self = data;
  JsonObject    *params = wk_control_call_get_params (call);
  WkMonitorState real = wk_monitor_get_real_state (self->monitor);
  const char    *reason = NULL, *who = NULL;
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_string (params, "reason", TRUE, &reason, &error)
      || !get_who (call, &who))
    {
      if (error != NULL)
        wk_control_call_return_gerror (call, error);
      return;
    }
  if (real == WK_MONITOR_DOWNTIME || real == WK_MONITOR_RECOVERING)
    {
      const WkEpisode *episode = wk_monitor_get_episode (self->monitor);
      g_autofree char *since = _wk_daemon_format_time (
          self, episode != NULL ? episode->started_wall_us : g_get_real_time ());

      wk_control_call_return_error (
          call, WK_CONTROL_ERROR_REFUSED, "The ward is already in DOWNTIME (%s since %s)",
          episode != NULL ? wk_episode_kind_to_string (episode->kind) : "downtime", since);
      return;
    }
  if (!wk_monitor_declare_downtime (self->monitor, reason, who, &error))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST, "%s", error->message);
      return;
    }
  wk_control_call_return_object (call, _wk_daemon_dup_status (self));
}

static void
end_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon   *self = data;
  const char *reason = NULL, *who = NULL;
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "reason", TRUE, &reason,
                                     &error)
      || !get_who (call, &who))
    {
      if (error != NULL)
        wk_control_call_return_gerror (call, error);
      return;
    }
  if (!wk_monitor_end_downtime (self->monitor, reason, who, &error))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_REFUSED, "%s", error->message);
      return;
    }
  wk_control_call_return_object (call, _wk_daemon_dup_status (self));
}

/* The patient a request names: a model id, or text as staff write it. */
static gint64
find_patient (WkDaemon *self, JsonObject *params, GError **error)
{
  JsonNode *node = json_object_get_member (params, "patient");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
                   "The parameter \"patient\" is missing: a chart is printed for one patient");
      return 0;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      g_autoptr (WkPatient) patient = wk_patient_load (self->model, json_node_get_int (node), NULL);

      if (patient == NULL)
        g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_FOUND,
                     "There is no patient #%" G_GINT64_FORMAT, json_node_get_int (node));
      return patient != NULL ? patient->id : 0;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autoptr (GError) local_error = NULL;
      gint64 id = wk_print_find_patient (self->model, self->ward_id, json_node_get_string (node),
                                         &local_error);

      if (id == 0)
        g_set_error_literal (
            error, WK_CONTROL_ERROR,
            g_error_matches (local_error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND)
                ? WK_CONTROL_ERROR_NOT_FOUND
                : WK_CONTROL_ERROR_BAD_REQUEST,
            local_error->message);
      return id;
    }
  g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
               "The parameter \"patient\" must be a patient number or a bed (BAY1-3)");
  return 0;
}

static void
print_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon      *self = data;
  JsonObject    *params = wk_control_call_get_params (call);
  const char    *what_text = NULL, *printer = NULL, *who = NULL;
  gboolean       drill = FALSE;
  gint64         patient_id = 0;
  WkLedgerWhat   what;
  WkDaemonPrint *print;
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_string (params, "what", TRUE, &what_text, &error)
      || !wk_control_params_get_string (params, "printer", FALSE, &printer, &error)
      || !wk_control_params_get_boolean (params, "drill", FALSE, &drill, &error))
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  if (!get_who (call, &who))
    return;
  if (!wk_ledger_what_from_string (what_text, &what))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST,
                                    "The parameter \"what\" must be ward, census or chart");
      return;
    }
  if (what == WK_LEDGER_WHAT_CHART && (patient_id = find_patient (self, params, &error)) == 0)
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  print = _wk_daemon_print (self, what, patient_id, printer, drill, who, &error);
  if (print == NULL)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_NOT_FOUND, "%s", error->message);
      return;
    }
  print->call = wk_control_call_ref (call);
}

static JsonObject *
job_json (WkDaemon *self, WkLedgerDocument *document)
{
  g_autoptr (GPtrArray) jobs = wk_ledger_load_jobs (self->model, document->chart_id, NULL);
  WkLedgerJob *job = jobs != NULL && jobs->len > 0 ? jobs->pdata[jobs->len - 1] : NULL;
  JsonObject  *item = json_object_new ();
  const char  *state;

  json_object_set_string_member (item, "chart", document->chart_id);
  json_object_set_string_member (item, "kind", wk_ledger_document_kind_to_string (document->kind));
  if (document->patient_id > 0)
    json_object_set_int_member (item, "patient", document->patient_id);
  else
    json_object_set_null_member (item, "patient");
  json_object_set_int_member (item, "pages", document->n_pages);
  set_text (item, "printer", document->printer);
  json_object_set_string_member (item, "document_state",
                                 wk_ledger_document_state_to_string (document->state));
  /* The job's state in the protocol's words; a document not yet sent is queued. */
  if (document->state == WK_LEDGER_DOCUMENT_NOT_PRINTED)
    state = "failed";
  else if (job == NULL)
    state = "queued";
  else
    state = wk_ledger_job_state_to_string (job->state);
  json_object_set_string_member (item, "state", state);
  if (job != NULL && job->cups_job_id > 0)
    json_object_set_int_member (item, "job_id", job->cups_job_id);
  else
    json_object_set_null_member (item, "job_id");
  set_text (item, "reason",
            document->reason != NULL ? document->reason : (job != NULL ? job->reason : NULL));
  set_text (item, "episode", document->episode_id);
  json_object_set_boolean_member (item, "drill", document->drill);
  set_text (item, "requested_by", document->requested_by);
  json_object_set_string_member (item, "request", document->request_id);
  json_object_set_int_member (item, "snapshot_seq", (gint64)document->snapshot_seq);
  set_time (item, "printed_at", document->printed_at * G_USEC_PER_SEC);
  set_time (item, "submitted_at", job != NULL ? job->submitted_us : 0);
  set_time (item, "accepted_at", job != NULL ? job->accepted_us : 0);
  set_time (item, "completed_at", job != NULL ? job->completed_us : 0);
  set_time (item, "failed_at", job != NULL ? job->failed_us : 0);
  json_object_set_int_member (item, "attempts", jobs != NULL ? jobs->len : 0);
  return item;
}

static void
jobs_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon   *self = data;
  gint64      limit = 20;
  JsonObject *result;
  JsonArray  *list;
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_int (wk_control_call_get_params (call), "requests", FALSE, &limit,
                                  &error))
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  requests = wk_ledger_load_requests (self->model, (guint)CLAMP (limit, 1, 1000), &error);
  if (requests == NULL)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_FAILED, "%s", error->message);
      return;
    }
  result = json_object_new ();
  list = json_array_new ();
  for (guint i = 0; i < requests->len; i++)
    {
      WkLedgerRequest *request = requests->pdata[i];
      g_autoptr (GPtrArray) documents
          = wk_ledger_load_documents (self->model, request->id, NULL, NULL);

      /* Newest first: a request's documents, last first. */
      for (guint j = documents != NULL ? documents->len : 0; j-- > 0;)
        json_array_add_object_element (list, job_json (self, documents->pdata[j]));
    }
  json_object_set_array_member (result, "jobs", list);
  wk_control_call_return_object (call, result);
}

static void
retry_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon   *self = data;
  JsonObject *params = wk_control_call_get_params (call);
  const char *chart = NULL, *printer = NULL, *who = NULL;
  g_autoptr (WkLedgerDocument) document = NULL;
  g_autoptr (GError) error = NULL;
  WkDaemonPrint *print;

  if (!wk_control_params_get_string (params, "chart", TRUE, &chart, &error)
      || !wk_control_params_get_string (params, "printer", FALSE, &printer, &error))
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  if (!get_who (call, &who))
    return;
  {
    g_autoptr (GString) normal = g_string_new (NULL);

    /* As staff read it off the paper: 7KQ2-M9XD, any case. */
    for (const char *p = chart; *p != '\0'; p++)
      if (*p != '-' && *p != ' ')
        g_string_append_c (normal, g_ascii_toupper (*p));
    document = wk_ledger_load_document (self->model, normal->str, &error);
  }
  if (document == NULL)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_NOT_FOUND, "%s", error->message);
      return;
    }
  if (document->kind == WK_LEDGER_DOCUMENT_CHART && document->patient_id == 0)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_REFUSED,
                                    "Chart %s's patient is no longer in the ward's data", chart);
      return;
    }
  print = _wk_daemon_print (self,
                            document->kind == WK_LEDGER_DOCUMENT_CENSUS ? WK_LEDGER_WHAT_CENSUS
                                                                        : WK_LEDGER_WHAT_CHART,
                            document->patient_id, printer, document->drill, who, &error);
  if (print == NULL)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_NOT_FOUND, "%s", error->message);
      return;
    }
  print->call = wk_control_call_ref (call);
}

static void
drill_start_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon      *self = data;
  JsonObject    *params = wk_control_call_get_params (call);
  const char    *scenario_text = NULL, *printer = NULL, *who = NULL;
  gboolean       print = TRUE;
  gint64         planned_in = 0;
  WkDrillOptions options = { 0 };
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_string (params, "scenario", TRUE, &scenario_text, &error)
      || !wk_control_params_get_string (params, "printer", FALSE, &printer, &error)
      || !wk_control_params_get_boolean (params, "print", FALSE, &print, &error)
      || !wk_control_params_get_int (params, "planned_in_seconds", FALSE, &planned_in, &error))
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  if (!get_who (call, &who))
    return;
  if (!wk_drill_scenario_from_string (scenario_text, &options.scenario)
      || options.scenario == WK_DRILL_NONE)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST,
                                    "The parameter \"scenario\" must be outage, planned or "
                                    "printer-failure");
      return;
    }
  if (printer != NULL)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < self->printers->len; i++)
        known |= g_strcmp0 (wk_printer_get_name (self->printers->pdata[i]), printer) == 0;
      if (!known)
        {
          wk_control_call_return_error (call, WK_CONTROL_ERROR_NOT_FOUND,
                                        "There is no printer called \"%s\"", printer);
          return;
        }
    }
  options.who = who;
  options.planned_start_in_us = planned_in * G_USEC_PER_SEC;
  self->drill_prints = print;
  g_free (self->drill_printer);
  self->drill_printer = g_strdup (printer);
  if (!wk_monitor_start_drill (self->monitor, &options, &error))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_REFUSED, "%s", error->message);
      return;
    }
  wk_control_call_return_object (call, _wk_daemon_dup_status (self));
}

static void
drill_stop_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon        *self = data;
  const WkEpisode *episode = wk_monitor_get_episode (self->monitor);
  g_autoptr (WkEpisode) drill = NULL;
  g_autoptr (GError) error = NULL;
  const char *who = NULL;
  JsonObject *report;

  if (!get_who (call, &who))
    return;
  if (wk_monitor_get_state (self->monitor) != WK_MONITOR_DRILL || episode == NULL)
    {
      wk_control_call_return_error (
          call, WK_CONTROL_ERROR_REFUSED, "No drill is on; the ward is %s",
          wk_monitor_state_to_string (wk_monitor_get_state (self->monitor)));
      return;
    }
  drill = wk_episode_copy (episode);
  if (!wk_monitor_stop_drill (self->monitor, who, &error))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_REFUSED, "%s", error->message);
      return;
    }

  /* The full drill report is its own piece of work; this is what the daemon knows. */
  report = json_object_new ();
  json_object_set_string_member (report, "episode", drill->id);
  json_object_set_string_member (report, "scenario", wk_drill_scenario_to_string (drill->scenario));
  set_text (report, "started_by", drill->who);
  json_object_set_string_member (report, "stopped_by", who);
  set_time (report, "started_at", drill->started_wall_us);
  set_time (report, "stopped_at", g_get_real_time ());
  if (self->last_print != NULL && g_strcmp0 (self->last_print->episode_id, drill->id) == 0)
    json_object_set_object_member (report, "print", _wk_daemon_print_to_json (self->last_print));
  else
    json_object_set_null_member (report, "print");
  wk_control_call_return_object (call, report);
}

/**
 * _wk_daemon_control_init:
 * @daemon: the daemon
 *
 * Registers the daemon's methods on its control server.
 */
void
_wk_daemon_control_init (WkDaemon *self)
{
  wk_control_server_add_method (self->control, "status", WK_CONTROL_METHOD_READ_ONLY, status_method,
                                self, NULL);
  wk_control_server_add_method (self->control, "jobs", WK_CONTROL_METHOD_READ_ONLY, jobs_method,
                                self, NULL);
  wk_control_server_add_method (self->control, "downtime.declare", WK_CONTROL_METHOD_NONE,
                                declare_method, self, NULL);
  wk_control_server_add_method (self->control, "downtime.end", WK_CONTROL_METHOD_NONE, end_method,
                                self, NULL);
  wk_control_server_add_method (self->control, "print", WK_CONTROL_METHOD_NONE, print_method, self,
                                NULL);
  wk_control_server_add_method (self->control, "jobs.retry", WK_CONTROL_METHOD_NONE, retry_method,
                                self, NULL);
  wk_control_server_add_method (self->control, "drill.start", WK_CONTROL_METHOD_NONE,
                                drill_start_method, self, NULL);
  wk_control_server_add_method (self->control, "drill.stop", WK_CONTROL_METHOD_NONE,
                                drill_stop_method, self, NULL);
}
