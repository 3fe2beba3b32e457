/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-daemon-drill.c — a downtime drill measured from the real events, and its report.
 *
 * The monitor runs the drill (wk_monitor_start_drill()): the same state machine, the same
 * automatic print, every page marked DRILL. This part watches it: the monitor's events
 * (the drill's start, its SUSPECT and DOWNTIME, the print it asks for, a real downtime
 * taking over), the print path's events (printer errors, failovers) and the drill pages
 * scanned back in. When the drill ends the report is computed from the print ledger —
 * each job as CUPS reported it: accepted, completed, failed — and measured against the
 * `[drill]` targets; the report is kept in the model (wk-drill-log.h, so in the encrypted
 * snapshots) and the drill's paper leaves the ledger: the model is as it was, but for
 * the drill's record. A drill whose paper is still printing when it ends has its jobs
 * cancelled first; the report is made once every one is final. */

#define G_LOG_DOMAIN "wardkeepd"

#include "wk-bed.h"
#include "wk-chart-id.h"
#include "wk-chart-payload.h"
#include "wk-daemon-private.h"
#include "wk-drill-log.h"
#include "wk-drill-report.h"
#include "wk-snapshot-error.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gint64 wall_us;
  char  *text;
} Moment;

struct _WkDaemonDrill
{
  WkEpisode     *episode;
  gboolean       print;
  char          *printer;
  gint64         started_wall; /* UTC microseconds */
  guint64        snapshot_seq;
  gint64         data_as_of; /* UTC seconds */
  guint          charts_expected;
  GHashTable    *in_beds; /* patients in the occupied beds at the start (model ids) */
  GArray        *moments;
  gint64         detected_wall;
  gint64         paper_due_wall;
  guint          failovers;
  guint          printer_errors;
  GPtrArray     *problems;
  GHashTable    *scanned; /* "CHART/page" */
  guint          n_scans;
  gint64         first_scan;
  gint64         last_scan;
  gboolean       ending;
  char          *stopped_by;
  char          *taken_over;
  gboolean       interrupted;
  gint64         ended_wall;
  WkControlCall *call;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkDaemonDrill, _wk_daemon_drill_free)

static void
moment_clear (gpointer data)
{
  g_free (((Moment *)data)->text);
}

static void note (WkDaemonDrill *drill, gint64 wall_us, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
note (WkDaemonDrill *drill, gint64 wall_us, const char *format, ...)
{
  Moment  moment = { wall_us > 0 ? wall_us : g_get_real_time (), NULL };
  va_list args;

  va_start (args, format);
  moment.text = g_strdup_vprintf (format, args);
  va_end (args);
  g_array_append_val (drill->moments, moment);
}

/**
 * _wk_daemon_drill_free:
 * @drill: (nullable) (transfer full): a drill
 */
void
_wk_daemon_drill_free (WkDaemonDrill *drill)
{
  if (drill == NULL)
    return;
  g_clear_pointer (&drill->episode, wk_episode_free);
  g_clear_pointer (&drill->call, wk_control_call_unref);
  g_array_unref (drill->moments);
  g_ptr_array_unref (drill->problems);
  g_hash_table_unref (drill->scanned);
  g_hash_table_unref (drill->in_beds);
  g_free (drill->printer);
  g_free (drill->stopped_by);
  g_free (drill->taken_over);
  g_free (drill);
}

/* The charts the ward should get: one per occupied bed, for the patient in it. */
static void
note_occupied (WkDaemon *self, WkDaemonDrill *drill)
{
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (self->model, self->ward_id, NULL);

  for (guint i = 0; beds != NULL && i < beds->len; i++)
    {
      gint64 patient = ((WkBed *)beds->pdata[i])->patient_id;

      if (patient > 0 && g_hash_table_add (drill->in_beds, g_memdup2 (&patient, sizeof patient)))
        drill->charts_expected++;
    }
}

/**
 * _wk_daemon_drill_begin:
 * @daemon: the daemon
 * @print: whether the drill prints
 * @printer: (nullable): the printer its paper goes to first
 *
 * Starts measuring, just before the monitor starts the drill (a printer-failure drill
 * prints at once, from within wk_monitor_start_drill()).
 */
void
_wk_daemon_drill_begin (WkDaemon *self, gboolean print, const char *printer)
{
  WkDaemonDrill        *drill = g_new0 (WkDaemonDrill, 1);
  const WkSnapshotInfo *newest = wk_snapshot_writer_get_last_written (self->writer);
  g_autofree char      *known = wk_model_dup_meta (self->model, WK_PRINT_DATA_AS_OF);

  g_return_if_fail (self->drill == NULL);

  if (newest == NULL)
    newest = self->loaded;
  drill->print = print;
  drill->printer = g_strdup (printer);
  drill->started_wall = g_get_real_time ();
  drill->snapshot_seq = newest != NULL ? newest->seq : 0;
  drill->data_as_of = known != NULL ? g_ascii_strtoll (known, NULL, 10) : 0;
  if (drill->data_as_of <= 0 && newest != NULL)
    drill->data_as_of = newest->created_at;
  drill->in_beds = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  note_occupied (self, drill);
  drill->moments = g_array_new (FALSE, FALSE, sizeof (Moment));
  g_array_set_clear_func (drill->moments, moment_clear);
  drill->problems = g_ptr_array_new_with_free_func (g_free);
  drill->scanned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->drill = drill;
}

/**
 * _wk_daemon_drill_abandon:
 * @daemon: the daemon
 *
 * The monitor refused the drill: nothing to measure.
 */
void
_wk_daemon_drill_abandon (WkDaemon *self)
{
  g_clear_pointer (&self->drill, _wk_daemon_drill_free);
}

/**
 * _wk_daemon_drill_started:
 * @daemon: the daemon
 *
 * The monitor started the drill.
 */
void
_wk_daemon_drill_started (WkDaemon *self)
{
  WkDaemonDrill   *drill = self->drill;
  const WkEpisode *episode = wk_monitor_get_episode (self->monitor);

  if (drill == NULL || episode == NULL)
    return;
  if (drill->episode == NULL)
    drill->episode = wk_episode_copy (episode);
  drill->started_wall = episode->started_wall_us;
  g_message ("drill %s (%s) started by %s: %u occupied bed(s), data %" G_GINT64_FORMAT
             " s old, printing %s",
             episode->id, wk_drill_scenario_to_string (episode->scenario),
             episode->who != NULL ? episode->who : "somebody", drill->charts_expected,
             MAX (0, drill->started_wall / G_USEC_PER_SEC - drill->data_as_of),
             drill->print ? "on" : "off");
}

static gboolean
is_ours (WkDaemonDrill *drill, const char *episode_id)
{
  return drill != NULL && !drill->ending && drill->episode != NULL
         && g_strcmp0 (drill->episode->id, episode_id) == 0;
}

/**
 * _wk_daemon_drill_monitor_event:
 * @daemon: the daemon
 * @event: what the monitor reported
 *
 * Times the drill's own states; a real downtime that takes over ends the drill.
 */
void
_wk_daemon_drill_monitor_event (WkDaemon *self, const WkMonitorEvent *event)
{
  WkDaemonDrill *drill = self->drill;

  if (event->kind == WK_MONITOR_EVENT_STATE_CHANGED && event->state == WK_MONITOR_ONLINE)
    g_clear_pointer (&self->drill_taken_over, g_free);
  if (drill == NULL || drill->ending)
    return;
  if (drill->episode == NULL && event->drill && event->episode != NULL)
    drill->episode = wk_episode_copy (event->episode);
  switch (event->kind)
    {
    case WK_MONITOR_EVENT_STATE_CHANGED:
      if (event->state == WK_MONITOR_DRILL)
        note (drill, event->wall_us, "Drill started: %s", event->reason);
      else if (event->drill_taken_over)
        {
          g_autofree char *why = g_strdup (event->reason);

          _wk_daemon_drill_finish (self, NULL, why, NULL);
        }
      break;
    case WK_MONITOR_EVENT_DRILL_PHASE:
      if (event->state == WK_MONITOR_SUSPECT)
        note (drill, event->wall_us, "SUSPECT (drill): %s", event->reason);
      else if (event->state == WK_MONITOR_DOWNTIME)
        {
          drill->detected_wall = event->wall_us;
          note (drill, event->wall_us, "DOWNTIME declared (drill): %s", event->reason);
        }
      break;
    case WK_MONITOR_EVENT_PRINT_NOW:
      if (event->drill && is_ours (drill, event->episode->id))
        {
          drill->paper_due_wall = event->wall_us;
          note (drill, event->wall_us, "%s: %s",
                drill->print ? "The ward's print started"
                             : "The ward's print was due (printing "
                               "off for this drill)",
                event->reason);
        }
      break;
    case WK_MONITOR_EVENT_REAL_STATE_CHANGED:
      note (drill, event->wall_us, "The REAL monitor went %s: %s",
            wk_monitor_state_to_string (event->state), event->reason);
      break;
    case WK_MONITOR_EVENT_PROBE_RESULT:
    case WK_MONITOR_EVENT_WARNING:
    case WK_MONITOR_EVENT_WARNING_CLEARED:
    case WK_MONITOR_EVENT_CLOCK_JUMP:
      break;
    }
}

/**
 * _wk_daemon_drill_print_event:
 * @daemon: the daemon
 * @print: a print
 * @event: what its run reported
 *
 * Counts the drill's printer errors and failovers as they happen; the jobs themselves are
 * read from the ledger at the end.
 */
void
_wk_daemon_drill_print_event (WkDaemon *self, WkDaemonPrint *print, const WkPrintEvent *event)
{
  WkDaemonDrill   *drill = self->drill;
  g_autofree char *message = NULL;

  if (!print->drill || !is_ours (drill, print->episode_id))
    return;
  message = wk_print_event_describe (event);
  switch (event->kind)
    {
    case WK_PRINT_EVENT_FAILOVER:
      drill->failovers++;
      note (drill, 0, "Failover: %s", message);
      break;
    case WK_PRINT_EVENT_PRINTER_STATE:
      if (event->problem)
        {
          drill->printer_errors++;
          note (drill, 0, "Printer problem: %s", message);
        }
      break;
    case WK_PRINT_EVENT_FAILED:
      note (drill, 0, "Job failed: %s", message);
      break;
    case WK_PRINT_EVENT_NOT_PRINTED:
      note (drill, 0, "NOT printed: %s", message);
      break;
    case WK_PRINT_EVENT_SUBMITTED:
    case WK_PRINT_EVENT_ACCEPTED:
    case WK_PRINT_EVENT_COMPLETED:
    case WK_PRINT_EVENT_FINISHED:
      break;
    }
}

/**
 * _wk_daemon_drill_scanned:
 * @payload: a drill page's code, scanned and refused as a record
 * @daemon: the daemon
 *
 * Times the scanning of the drill's paper (each page counted once).
 */
void
_wk_daemon_drill_scanned (const char *payload, gpointer data)
{
  WkDaemon        *self = data;
  WkDaemonDrill   *drill = self->drill;
  gint64           now = g_get_real_time ();
  g_autofree char *key = NULL;
  g_autofree char *label = NULL;
  g_autoptr (WkChartPayload) decoded = NULL;
  g_autoptr (WkLedgerDocument) document = NULL;

  if (drill == NULL || drill->ending || drill->episode == NULL)
    return;
  decoded = wk_chart_payload_decode (payload, -1, wk_keys_get_public_key (self->keys), 1, NULL);
  if (decoded == NULL)
    return;
  document = wk_ledger_load_document (self->model, decoded->chart_id, NULL);
  if (document == NULL || g_strcmp0 (document->episode_id, drill->episode->id) != 0)
    return; /* another drill's paper */
  key = g_strdup_printf ("%s/%u", decoded->chart_id, decoded->page);
  if (!g_hash_table_add (drill->scanned, g_steal_pointer (&key)))
    return;
  label = wk_chart_id_format (decoded->chart_id);
  drill->n_scans++;
  if (drill->first_scan == 0)
    {
      drill->first_scan = now;
      note (drill, now, "First drill page scanned back in (chart %s page %u)", label,
            decoded->page);
    }
  drill->last_scan = now;
}

/* ---- the report ---- */

static double
after (gint64 from_us, gint64 at_us)
{
  return at_us > 0 && from_us > 0 ? (at_us - from_us) / 1e6 : NAN;
}

static void
set_seconds (JsonObject *object, const char *member, double seconds)
{
  if (isnan (seconds))
    json_object_set_null_member (object, member);
  else
    json_object_set_double_member (object, member, round (seconds * 10) / 10);
}

static void
set_time (JsonObject *object, const char *member, gint64 wall_us)
{
  g_autofree char *text = wall_us > 0 ? _wk_daemon_iso_time (wall_us) : NULL;

  if (text == NULL)
    json_object_set_null_member (object, member);
  else
    json_object_set_string_member (object, member, text);
}

static void
set_text (JsonObject *object, const char *member, const char *text)
{
  if (text == NULL)
    json_object_set_null_member (object, member);
  else
    json_object_set_string_member (object, member, text);
}

/* Adds a target; returns whether it was met. A limit of 0 leaves it out. */
static gboolean
add_target (JsonArray  *targets,
            GPtrArray  *problems,
            const char *key,
            const char *name,
            double      limit,
            double      value,
            gboolean    percent)
{
  JsonObject *target;
  gboolean    passed;

  if (limit <= 0)
    return TRUE;
  passed = !isnan (value) && (percent ? value >= limit : value <= limit);
  target = json_object_new ();
  json_object_set_string_member (target, "key", key);
  json_object_set_string_member (target, "name", name);
  json_object_set_string_member (target, "unit", percent ? "%" : "s");
  json_object_set_double_member (target, "limit", limit);
  set_seconds (target, "value", value);
  json_object_set_boolean_member (target, "passed", passed);
  json_array_add_object_element (targets, target);
  if (!passed)
    {
      g_autofree char *measured = percent ? (isnan (value) ? g_strdup ("not measured")
                                                           : g_strdup_printf ("%.0f %%", value))
                                          : wk_drill_report_describe_seconds (value);

      g_ptr_array_add (problems,
                       g_strdup_printf ("Target missed: %s (measured: %s)", name, measured));
    }
  return passed;
}

static gint
compare_moments (gconstpointer a, gconstpointer b)
{
  const Moment *x = a, *y = b;

  return x->wall_us < y->wall_us ? -1 : x->wall_us > y->wall_us;
}

static char *
minutes_name (const char *what, gint64 ms)
{
  g_autofree char *limit = wk_drill_report_describe_seconds (ms / 1000.0);

  return g_strdup_printf ("%s within %s", what, limit);
}

/* The report, from what was noted and what the ledger holds of the drill's paper. */
static JsonObject *
build_report (WkDaemon *self, WkDaemonDrill *drill)
{
  JsonObject *report = json_object_new ();
  JsonObject *snapshot = json_object_new ();
  JsonObject *figures = json_object_new ();
  JsonArray  *targets = json_array_new ();
  JsonArray  *timeline = json_array_new ();
  JsonArray  *jobs_list = json_array_new ();
  JsonArray  *problems = json_array_new ();
  g_autoptr (GPtrArray) documents
      = wk_ledger_load_documents (self->model, NULL, drill->episode->id, NULL);
  GPtrArray *notes = drill->problems;
  gint64     first_accepted = 0, first_completed = 0, last_completed = 0, t0;
  guint      n_jobs = 0, n_completed = 0, pages = 0, charts = 0, not_printed = 0, for_beds = 0;
  gboolean   census = FALSE, passed = TRUE, outage;
  g_autoptr (GHashTable) patients = g_hash_table_new (NULL, NULL);
  WkConfig *config = self->config;

  outage = drill->episode->scenario == WK_DRILL_OUTAGE;
  for (guint i = 0; documents != NULL && i < documents->len; i++)
    {
      WkLedgerDocument *document = documents->pdata[i];
      g_autoptr (GPtrArray) jobs = wk_ledger_load_jobs (self->model, document->chart_id, NULL);
      WkLedgerJob     *done = NULL;
      JsonObject      *item = json_object_new ();
      g_autofree char *label = wk_chart_id_format (document->chart_id);

      for (guint j = 0; jobs != NULL && j < jobs->len; j++)
        {
          WkLedgerJob *job = jobs->pdata[j];

          if (job->cups_job_id > 0)
            n_jobs++;
          if (job->accepted_us > 0 && (first_accepted == 0 || job->accepted_us < first_accepted))
            first_accepted = job->accepted_us;
          if (job->state == WK_LEDGER_JOB_COMPLETED)
            done = job;
        }
      json_object_set_string_member (item, "chart", label);
      json_object_set_string_member (item, "kind",
                                     wk_ledger_document_kind_to_string (document->kind));
      json_object_set_int_member (item, "pages", document->n_pages);
      json_object_set_int_member (item, "attempts", jobs != NULL ? jobs->len : 0);
      set_text (item, "printer", document->printer);
      if (done != NULL)
        {
          n_completed++;
          pages += document->n_pages;
          if (first_completed == 0 || done->completed_us < first_completed)
            first_completed = done->completed_us;
          last_completed = MAX (last_completed, done->completed_us);
          if (document->kind == WK_LEDGER_DOCUMENT_CENSUS)
            census = TRUE;
          else if (document->patient_id > 0
                   && g_hash_table_add (patients, GINT_TO_POINTER ((gint)document->patient_id)))
            {
              charts++;
              for_beds += g_hash_table_contains (drill->in_beds, &document->patient_id);
            }
          json_object_set_string_member (item, "state", "printed");
          json_object_set_int_member (item, "job_id", done->cups_job_id);
          set_time (item, "accepted_at", done->accepted_us);
          set_time (item, "completed_at", done->completed_us);
        }
      else
        {
          not_printed++;
          json_object_set_string_member (item, "state", "not printed");
          json_object_set_null_member (item, "job_id");
          set_text (item, "reason", document->reason);
          g_ptr_array_add (
              notes, g_strdup_printf (
                         "%s %s was not printed: %s",
                         document->kind == WK_LEDGER_DOCUMENT_CENSUS ? "The census" : "Chart",
                         label, document->reason != NULL ? document->reason : "still queued"));
        }
      json_array_add_object_element (jobs_list, item);
    }

  /* The clock starts when the ward needs paper: the drill's start (the systems "went
   * down", or the printer failed), or a planned drill's pre-print. */
  if (drill->episode->scenario == WK_DRILL_PLANNED && drill->paper_due_wall > 0)
    t0 = drill->paper_due_wall;
  else
    t0 = drill->started_wall;

  json_object_set_string_member (report, "drill", drill->episode->id);
  json_object_set_string_member (report, "ward", self->ward_id);
  json_object_set_string_member (report, "ward_name", self->ward_name);
  json_object_set_string_member (report, "scenario",
                                 wk_drill_scenario_to_string (drill->episode->scenario));
  set_text (report, "started_by", drill->episode->who);
  set_text (report, "stopped_by", drill->stopped_by);
  set_time (report, "started_at", drill->started_wall);
  set_time (report, "ended_at", drill->ended_wall);
  json_object_set_string_member (report, "ended",
                                 drill->taken_over != NULL ? "taken-over"
                                 : drill->interrupted      ? "interrupted"
                                                           : "stopped");
  set_text (report, "taken_over_reason", drill->taken_over);
  json_object_set_boolean_member (report, "printing", drill->print);
  set_text (report, "printer", drill->printer);
  json_object_set_string_member (report, "clock_starts",
                                 t0 == drill->started_wall ? "the drill's start"
                                                           : "the planned downtime's pre-print");
  set_time (report, "clock_started_at", t0);

  json_object_set_int_member (snapshot, "seq", (gint64)drill->snapshot_seq);
  set_time (snapshot, "data_as_of", drill->data_as_of * G_USEC_PER_SEC);
  set_seconds (
      snapshot, "age_s",
      drill->data_as_of > 0 ? MAX (0, drill->started_wall / 1e6 - (double)drill->data_as_of) : NAN);
  json_object_set_object_member (report, "snapshot", snapshot);

  set_seconds (figures, "detection_s", after (drill->started_wall, drill->detected_wall));
  set_seconds (figures, "first_accepted_s", after (t0, first_accepted));
  set_seconds (figures, "first_page_s", after (t0, first_completed));
  set_seconds (figures, "on_paper_s",
               not_printed == 0 && documents != NULL && documents->len > 0
                   ? after (t0, last_completed)
                   : NAN);
  json_object_set_int_member (figures, "documents", documents != NULL ? documents->len : 0);
  json_object_set_int_member (figures, "jobs", n_jobs);
  json_object_set_int_member (figures, "jobs_completed", n_completed);
  json_object_set_int_member (figures, "pages", pages);
  json_object_set_int_member (figures, "charts_expected", drill->charts_expected);
  json_object_set_int_member (figures, "charts_printed", charts);
  json_object_set_int_member (figures, "charts_for_occupied_beds", for_beds);
  json_object_set_boolean_member (figures, "census_printed", census);
  json_object_set_int_member (figures, "not_printed", not_printed);
  json_object_set_int_member (figures, "printer_errors", drill->printer_errors);
  json_object_set_int_member (figures, "failovers", drill->failovers);
  json_object_set_int_member (figures, "scans", drill->n_scans);
  set_seconds (figures, "first_scan_s", after (first_completed, drill->first_scan));
  set_seconds (figures, "last_scan_s", after (first_completed, drill->last_scan));
  json_object_set_object_member (report, "figures", figures);

  /* The targets. */
  if (outage)
    {
      g_autofree char *name = minutes_name (
          "Outage detected", wk_config_get_duration_ms (config, "drill", "target-detection"));

      passed
          &= add_target (targets, notes, "detection", name,
                         wk_config_get_duration_ms (config, "drill", "target-detection") / 1000.0,
                         after (drill->started_wall, drill->detected_wall), FALSE);
    }
  if (drill->print && drill->taken_over == NULL && !drill->interrupted)
    {
      gint64           first_ms = wk_config_get_duration_ms (config, "drill", "target-first-page");
      gint64           paper_ms = wk_config_get_duration_ms (config, "drill", "target-on-paper");
      gint64           scan_ms = wk_config_get_duration_ms (config, "drill", "target-scan-back");
      gint64           percent = wk_config_get_int (config, "drill", "target-charts");
      g_autofree char *first_name = minutes_name ("First page printed", first_ms);
      g_autofree char *paper_name = minutes_name ("Ward on paper", paper_ms);
      g_autofree char *scan_name = minutes_name ("Charts scanned back", scan_ms);
      g_autofree char *charts_name = g_strdup_printf (
          "Drug chart printed for every occupied bed (%u)", drill->charts_expected);

      passed &= add_target (targets, notes, "first-page", first_name, first_ms / 1000.0,
                            after (t0, first_completed), FALSE);
      passed &= add_target (targets, notes, "on-paper", paper_name, paper_ms / 1000.0,
                            not_printed == 0 ? after (t0, last_completed) : NAN, FALSE);
      passed &= add_target (
          targets, notes, "charts", charts_name, (double)percent,
          drill->charts_expected > 0 ? 100.0 * for_beds / drill->charts_expected : 100.0, TRUE);
      passed &= add_target (targets, notes, "scan-back", scan_name, scan_ms / 1000.0,
                            after (first_completed, drill->last_scan), FALSE);
    }
  else if (!drill->print)
    g_ptr_array_add (notes, g_strdup ("Printing was off for this drill (--no-print): the paper "
                                      "targets were not measured"));
  if (drill->interrupted)
    {
      passed = FALSE;
      g_ptr_array_add (notes, g_strdup ("The daemon stopped during the drill (a restart or a "
                                        "crash): the drill ended there, and this report was "
                                        "made from the print ledger when it started again; "
                                        "the paper targets were not measured"));
    }
  if (drill->taken_over != NULL)
    {
      passed = FALSE;
      g_ptr_array_add (notes, g_strdup_printf ("A REAL downtime ended the drill: %s. The ward was "
                                               "printed for real (real charts, not DRILL)",
                                               drill->taken_over));
    }
  if (drill->failovers > 0 || drill->printer_errors > 0)
    g_ptr_array_add (notes,
                     g_strdup_printf ("%u printer problem(s) and %u failover(s)%s",
                                      drill->printer_errors, drill->failovers,
                                      drill->episode->scenario == WK_DRILL_PRINTER_FAILURE
                                          ? " (this scenario stops the first printer on purpose)"
                                          : ""));
  if (drill->episode->scenario == WK_DRILL_PRINTER_FAILURE && self->printers->len < 2)
    g_ptr_array_add (notes, g_strdup ("Only one printer is configured: with it stopped there is "
                                      "nowhere to fail over to (add a second [printer NAME])"));
  if (drill->print && drill->taken_over == NULL && !drill->interrupted && !census)
    g_ptr_array_add (notes, g_strdup ("The ward census was not printed"));
  if (drill->data_as_of > 0 && drill->started_wall / G_USEC_PER_SEC - drill->data_as_of > 3600)
    g_ptr_array_add (notes, g_strdup ("The ward's data was more than an hour old at the start: "
                                      "check the HL7 feed"));
  json_object_set_array_member (report, "targets", targets);
  json_object_set_boolean_member (report, "passed", passed);
  for (guint i = 0; i < notes->len; i++)
    json_array_add_string_element (problems, notes->pdata[i]);
  json_object_set_array_member (report, "problems", problems);

  /* The timeline: what was noted, and the jobs' milestones from the ledger. */
  if (first_accepted > 0)
    note (drill, first_accepted, "First job accepted by CUPS");
  if (first_completed > 0)
    note (drill, first_completed, "First document printed (CUPS job completed)");
  if (last_completed > 0)
    note (drill, last_completed, "Last document printed: %u document(s), %u page(s)%s", n_completed,
          pages, not_printed > 0 ? "; some NOT printed" : "");
  if (drill->last_scan > 0 && drill->n_scans > 1)
    note (drill, drill->last_scan, "Last drill page scanned back in (%u page(s) in all)",
          drill->n_scans);
  note (drill, drill->ended_wall, "%s",
        drill->taken_over != NULL ? "Drill ended by a real downtime"
        : drill->interrupted      ? "The daemon started again; the drill had ended with it"
                                  : "Drill stopped");
  g_array_sort (drill->moments, compare_moments);
  for (guint i = 0; i < drill->moments->len; i++)
    {
      Moment     *moment = &g_array_index (drill->moments, Moment, i);
      JsonObject *event = json_object_new ();

      set_time (event, "at", moment->wall_us);
      set_seconds (event, "after_s", after (drill->started_wall, moment->wall_us));
      json_object_set_string_member (event, "event", moment->text);
      json_array_add_object_element (timeline, event);
    }
  json_object_set_array_member (report, "timeline", timeline);
  json_object_set_array_member (report, "jobs", jobs_list);
  return report;
}

/* Every print of the drill is over: the report, kept; the drill's paper, forgotten. */
static void
complete (WkDaemon *self)
{
  g_autoptr (WkDaemonDrill) drill = g_steal_pointer (&self->drill);
  g_autoptr (JsonObject) report = build_report (self, drill);
  g_autoptr (WkDrillRecord) record = g_new0 (WkDrillRecord, 1);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GError) error = NULL;

  json_node_set_object (node, report);
  record->id = g_strdup (drill->episode->id);
  record->scenario = drill->episode->scenario;
  record->ward_id = g_strdup (self->ward_id);
  record->started_by = g_strdup (drill->episode->who);
  record->stopped_by = g_strdup (drill->stopped_by);
  record->started_at = drill->started_wall / G_USEC_PER_SEC;
  record->ended_at = drill->ended_wall / G_USEC_PER_SEC;
  record->taken_over = drill->taken_over != NULL;
  record->interrupted = drill->interrupted;
  record->passed = json_object_get_boolean_member (report, "passed");
  record->report = json_to_string (node, FALSE);
  if (!wk_drill_log_record (self->model, record, &error))
    g_warning ("drill %s: its report could not be kept: %s", record->id, error->message);
  g_clear_error (&error);
  if (!wk_drill_log_forget_paper (self->model, record->id, &error))
    g_warning ("drill %s: its paper could not be removed from the ledger: %s", record->id,
               error->message);
  g_hash_table_remove (self->open_episodes, record->id);
  /* The drill's print, cancelled or not, is not the ward's latest print any more: the
   * status and the kiosk speak of real paper only. */
  if (self->last_print != NULL && self->last_print->drill
      && g_strcmp0 (self->last_print->episode_id, record->id) == 0)
    g_clear_pointer (&self->last_print, _wk_daemon_print_unref);
  wk_snapshot_writer_flush_async (self->writer, NULL, NULL, NULL);
  g_message ("drill %s ended (%s): %s; report kept (wardkeep drill export %s)", record->id,
             record->taken_over    ? "a real downtime took over"
             : record->interrupted ? "the daemon stopped during it"
                                   : "stopped",
             record->passed ? "PASS" : "FAIL", record->id);
  if (drill->call != NULL)
    wk_control_call_return_object (drill->call, json_object_ref (report));
  _wk_daemon_status_changed (self);
}

static guint
count_prints (WkDaemon *self, WkDaemonDrill *drill)
{
  guint n = 0;

  for (guint i = 0; i < self->prints->len; i++)
    {
      WkDaemonPrint *print = self->prints->pdata[i];

      n += print->drill && g_strcmp0 (print->episode_id, drill->episode->id) == 0;
    }
  return n;
}

/**
 * _wk_daemon_drill_print_finished:
 * @daemon: the daemon
 *
 * A print finished: a drill that has ended and waited for its paper is reported.
 */
void
_wk_daemon_drill_print_finished (WkDaemon *self)
{
  if (self->drill != NULL && self->drill->ending && count_prints (self, self->drill) == 0)
    complete (self);
}

/**
 * _wk_daemon_drill_finish:
 * @daemon: the daemon
 * @stopped_by: (nullable): who stopped it
 * @taken_over: (nullable): the real downtime's reason, when one ended the drill
 * @call: (nullable): the `drill.stop` call, answered with the report
 *
 * Ends the measuring (the monitor has ended the drill): its prints still running are
 * cancelled, and the report is made once they are over.
 */
void
_wk_daemon_drill_finish (WkDaemon      *self,
                         const char    *stopped_by,
                         const char    *taken_over,
                         WkControlCall *call)
{
  WkDaemonDrill *drill = self->drill;

  if (drill == NULL || drill->ending || drill->episode == NULL)
    {
      if (call != NULL)
        wk_control_call_return_error (call, WK_CONTROL_ERROR_FAILED,
                                      "The drill was not measured, so it has no report");
      if (drill != NULL && !drill->ending)
        g_clear_pointer (&self->drill, _wk_daemon_drill_free);
      return;
    }
  drill->ending = TRUE;
  drill->ended_wall = g_get_real_time ();
  drill->stopped_by = g_strdup (stopped_by);
  drill->taken_over = g_strdup (taken_over);
  drill->call = call != NULL ? wk_control_call_ref (call) : NULL;
  if (taken_over != NULL)
    {
      g_warning ("drill %s: a REAL downtime took over (%s); its report is kept", drill->episode->id,
                 taken_over);
      g_free (self->drill_taken_over);
      self->drill_taken_over = g_strdup_printf (
          "A drill (%s) was on when this real downtime began: it ended at once, and the ward "
          "is printed for real. Its report: wardkeep drill export %s",
          wk_drill_scenario_to_string (drill->episode->scenario), drill->episode->id);
    }
  for (guint i = 0; i < self->prints->len; i++)
    {
      WkDaemonPrint *print = self->prints->pdata[i];

      if (print->drill && g_strcmp0 (print->episode_id, drill->episode->id) == 0)
        {
          g_message ("drill %s: stopping its print (request %s)", drill->episode->id,
                     print->request_id);
          g_cancellable_cancel (print->cancellable);
        }
    }
  if (count_prints (self, drill) == 0)
    complete (self);
}

/**
 * _wk_daemon_drill_recover:
 * @daemon: the daemon, starting
 *
 * A drill is not carried over a restart: a drill episode the ledger still holds is one the
 * daemon stopped during. Its report is made from what the ledger holds (marked as
 * interrupted), and its paper leaves the ledger, as when a drill is stopped.
 */
void
_wk_daemon_drill_recover (WkDaemon *self)
{
  g_autoptr (GPtrArray) episodes = wk_ledger_load_episodes (self->model, NULL);

  for (guint i = 0; episodes != NULL && i < episodes->len; i++)
    {
      WkLedgerEpisode *row = episodes->pdata[i];
      g_autoptr (WkDrillRecord) kept = NULL;

      if (row->kind != WK_EPISODE_DRILL)
        continue;
      kept = wk_drill_log_load (self->model, row->id, NULL);
      if (kept != NULL)
        {
          /* Reported already; only its paper was left (a crash in between). */
          wk_drill_log_forget_paper (self->model, row->id, NULL);
          continue;
        }
      _wk_daemon_drill_begin (self, TRUE, NULL);
      self->drill->episode = wk_episode_new (WK_EPISODE_DRILL, row->reason);
      g_free (self->drill->episode->id);
      self->drill->episode->id = g_strdup (row->id);
      self->drill->episode->scenario = row->scenario;
      self->drill->episode->who = g_strdup (row->who);
      self->drill->started_wall = row->started_at * G_USEC_PER_SEC;
      self->drill->charts_expected = 0;
      self->drill->ending = TRUE;
      self->drill->interrupted = TRUE;
      self->drill->ended_wall
          = row->ended_at > 0 ? row->ended_at * G_USEC_PER_SEC : g_get_real_time ();
      g_warning ("drill %s was on when the daemon stopped: it is over; its report is kept",
                 row->id);
      complete (self);
    }
}

/* ---- drill.history, drill.report ---- */

static void
history_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = wk_drill_log_load_all (self->model, &error);
  JsonObject *result;
  JsonArray  *list;

  if (records == NULL)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_FAILED, "%s", error->message);
      return;
    }
  result = json_object_new ();
  list = json_array_new ();
  for (guint i = 0; i < records->len; i++)
    {
      WkDrillRecord *record = records->pdata[i];
      g_autoptr (JsonNode) node = json_from_string (record->report, NULL);
      JsonObject *report
          = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "drill", record->id);
      json_object_set_string_member (item, "scenario",
                                     wk_drill_scenario_to_string (record->scenario));
      json_object_set_string_member (item, "ward", record->ward_id);
      set_time (item, "started_at", record->started_at * G_USEC_PER_SEC);
      set_time (item, "ended_at", record->ended_at * G_USEC_PER_SEC);
      set_text (item, "started_by", record->started_by);
      set_text (item, "stopped_by", record->stopped_by);
      json_object_set_string_member (item, "ended",
                                     record->taken_over    ? "taken-over"
                                     : record->interrupted ? "interrupted"
                                                           : "stopped");
      json_object_set_boolean_member (item, "passed", record->passed);
      if (report != NULL && json_object_has_member (report, "figures"))
        json_object_set_object_member (
            item, "figures", json_object_ref (json_object_get_object_member (report, "figures")));
      json_array_add_object_element (list, item);
    }
  json_object_set_array_member (result, "drills", list);
  wk_control_call_return_object (call, result);
}

static void
report_method (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkDaemon   *self = data;
  const char *id = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkDrillRecord) record = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "drill", FALSE, &id,
                                     &error))
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  /* No id: the latest drill. */
  if (id == NULL)
    {
      records = wk_drill_log_load_all (self->model, &error);
      if (records != NULL && records->len == 0)
        {
          wk_control_call_return_error (call, WK_CONTROL_ERROR_NOT_FOUND,
                                        "No drill has been run on this kiosk yet (wardkeep drill "
                                        "start)");
          return;
        }
      if (records != NULL)
        id = ((WkDrillRecord *)records->pdata[0])->id;
    }
  if (id != NULL)
    record = wk_drill_log_load (self->model, id, &error);
  if (record == NULL)
    {
      wk_control_call_return_error (
          call,
          g_error_matches (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND)
              ? WK_CONTROL_ERROR_NOT_FOUND
              : WK_CONTROL_ERROR_FAILED,
          "%s", error->message);
      return;
    }
  node = json_from_string (record->report, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_FAILED,
                                    "Drill %s's report cannot be read", record->id);
      return;
    }
  wk_control_call_return_object (call, json_object_ref (json_node_get_object (node)));
}

/**
 * _wk_daemon_drill_init_control:
 * @daemon: the daemon
 *
 * Registers `drill.history` and `drill.report` (README "Status and control").
 */
void
_wk_daemon_drill_init_control (WkDaemon *self)
{
  wk_control_server_add_method (self->control, "drill.history", WK_CONTROL_METHOD_READ_ONLY,
                                history_method, self, NULL);
  wk_control_server_add_method (self->control, "drill.report", WK_CONTROL_METHOD_READ_ONLY,
                                report_method, self, NULL);
}
