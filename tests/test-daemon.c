/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-daemon.c — wardkeepd end to end with real processes: the simulator (feed and health
 * endpoint), the daemon, a private cupsd with ippeveprinter printers, and the wardkeep
 * command. An outage prints the ward exactly once, a blip prints nothing, recovery returns
 * to ONLINE, a SIGKILL and restart during DOWNTIME prints nothing twice, a daemon without
 * network prints from its snapshot on declaration, a clock jump changes nothing, and
 * `wardkeep status` tells the truth in every state. Probes run every 200 ms; every wait has
 * a generous upper bound and polls, so that a loaded machine is slower, never wrong. */

#include "wk-control.h"
#include "wk-ledger.h"
#include "wk-monitor.h"
#include "wk-patient.h"
#include "wk-test-kiosk.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_S 90

/* ---- moving the daemon's wall clock ---- */

#define FAKETIME_LIBRARY "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

/* Whether libfaketime can move the daemon's wall clock. Not in the AddressSanitizer build:
 * preloaded into an ASan process it deadlocks in ASan's start-up (recursive
 * clock_gettime), so there the test runs with the real clock and says what it skipped;
 * the gcc build runs it whole. */
static gboolean
can_fake_time (void)
{
#ifdef WK_TEST_SANITIZED
  g_test_skip ("libfaketime cannot be preloaded into an AddressSanitizer build of wardkeepd "
               "(it deadlocks at start); the gcc build runs the clock checks");
  return FALSE;
#else
  g_assert_true (g_file_test (FAKETIME_LIBRARY, G_FILE_TEST_EXISTS));
  return TRUE;
#endif
}

/* ---- the daemon, through its socket and the command line ---- */

static char *
kiosk_config (
    guint16 feed_port, guint16 health_port, guint interval_ms, guint failures, guint successes)
{
  g_autoptr (GString) text = g_string_new (NULL);

  g_string_append_printf (text, "[feed]\naddress = 127.0.0.1\nport = %u\n", feed_port);
  g_string_append_printf (text,
                          "[monitor]\ninterval = %ums\ntimeout = %ums\nfailures-to-confirm = %u\n"
                          "successes-to-recover = %u\n",
                          interval_ms, interval_ms * 3 / 4, failures, successes);
  if (health_port > 0)
    g_string_append_printf (
        text, "[probe central]\nkind = http\nurl = http://127.0.0.1:%u/health\n", health_port);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static guint
n_received (WkTestKiosk *kiosk, const char *printer)
{
  g_autoptr (GPtrArray) received
      = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, printer));

  return received->len;
}

static JsonObject *
member_object (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Waits until the daemon's last print is over (every document printed or given up), and
 * returns the status then. */
static JsonObject *
wait_print_finished (WkTestKiosk *kiosk, gboolean automatic)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);
      JsonObject *print = member_object (status, "print");

      if (print != NULL && json_object_get_boolean_member (print, "finished")
          && json_object_get_boolean_member (print, "automatic") == automatic)
        return g_steal_pointer (&status);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}

static gint64
probe_runs (WkTestKiosk *kiosk)
{
  g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);
  JsonArray *probes = json_object_get_array_member (status, "probes");

  g_assert_cmpuint (json_array_get_length (probes), >, 0);
  return json_object_get_int_member (json_array_get_object_element (probes, 0), "runs");
}

/* Lets the monitor run @n more probes: the time in which a second print would show. */
static void
wait_probe_runs (WkTestKiosk *kiosk, guint n)
{
  gint64 start = probe_runs (kiosk);
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (probe_runs (kiosk) < start + n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}

static void
assert_mode (WkTestKiosk *kiosk, const char *mode)
{
  if (!wk_test_kiosk_wait_mode (kiosk, mode, WAIT_S))
    {
      g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);

      g_error ("the daemon never reached %s; it is %s (%s)", mode,
               json_object_get_string_member (status, "mode"),
               json_object_get_string_member (status, "reason"));
    }
}

/* `wardkeep status` as a person runs it: exit 0 and the mode in capitals. */
static void
assert_cli_status (WkTestKiosk *kiosk, const char *words)
{
  g_auto (WkTestRun) run = { 0 };

  wk_test_run_wardkeep (&run, NULL, "status", "--config", wk_test_kiosk_get_config_path (kiosk),
                        NULL);
  g_assert_cmpint (run.status, ==, 0);
  if (strstr (run.out, words) == NULL)
    g_error ("wardkeep status does not say \"%s\":\n%s", words, run.out);
}

/* The charts the ward's print must hold: every patient admitted on ward 7A, with a bed or
 * without, in the newest snapshot. */
static guint
expected_charts (WkTestKiosk *kiosk)
{
  g_autoptr (WkStore) store = wk_test_kiosk_open_store (kiosk);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_store_load_newest (store, NULL, &error);
  g_autoptr (GPtrArray) patients = NULL;
  guint n = 0;

  g_assert_no_error (error);
  patients = wk_patient_load_all (model, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < patients->len; i++)
    {
      WkPatient *patient = patients->pdata[i];

      n += g_strcmp0 (patient->ward_id, "7A") == 0 && patient->stay == WK_STAY_ADMITTED;
    }
  return n;
}

/* Every document a printer received once, and no job name twice. */
static void
assert_each_once (WkTestKiosk *kiosk, const char *printer)
{
  g_autoptr (GPtrArray) received
      = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, printer));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < received->len; i++)
    g_assert_true (g_hash_table_add (seen, ((WkTestDocument *)received->pdata[i])->job_name));
}

static gboolean
ledger_said_once_per_patient (WkTestKiosk *kiosk, guint expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = wk_test_kiosk_call (kiosk, "jobs", NULL, &error);
  JsonArray *jobs;
  g_autoptr (GHashTable) patients = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint charts = 0, census = 0;

  g_assert_no_error (error);
  jobs = json_object_get_array_member (json_node_get_object (result), "jobs");
  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);

      g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "completed");
      g_assert_cmpstr (json_object_get_string_member (job, "requested_by"), ==, "daemon");
      if (g_strcmp0 (json_object_get_string_member (job, "kind"), "census") == 0)
        census++;
      else
        {
          gint64 id = json_object_get_int_member (job, "patient");

          g_array_append_val (ids, id);
          charts++;
        }
    }
  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_add (patients, &g_array_index (ids, gint64, i)));
  return census == 1 && charts == expected;
}

/* ---- the outage, end to end ---- */

static void
test_outage (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  guint16          feed_port = wk_test_closed_port ();
  guint16          health_port = wk_test_closed_port ();
  g_autofree char *config = kiosk_config (feed_port, health_port, 200, 3, 10);
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (JsonObject) printed = NULL;
  g_autoptr (JsonObject) restarted = NULL;
  g_autofree char *episode = NULL;
  guint            charts, documents;

  /* The hospital feeds the kiosk; everything is up. */
  wk_test_kiosk_write_config (kiosk, config);
  sim = wk_test_sim_start (kiosk, feed_port, health_port, 8, 10);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  wk_test_sim_wait_feed_done (sim);
  assert_mode (kiosk, "online");
  assert_cli_status (kiosk, "ONLINE since");
  {
    gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

    /* The feed's data written to a snapshot. */
    for (;;)
      {
        g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);
        JsonObject *snapshot = member_object (status, "snapshot");

        if (!json_object_get_boolean_member (snapshot, "unwritten")
            && json_object_get_int_member (member_object (status, "feed"), "accepted") > 0)
          break;
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (50000);
      }
  }
  charts = expected_charts (kiosk);
  g_assert_cmpuint (charts, >=, 4);
  documents = 1 + charts;
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 0);

  /* The central systems stop answering: DOWNTIME after three failed probes, and the whole
   * ward on paper: the census and one chart per patient, once, in the ledger. */
  g_free (wk_test_sim_command (sim, "down"));
  assert_mode (kiosk, "downtime");
  assert_cli_status (kiosk, "DOWNTIME since");
  printed = wait_print_finished (kiosk, TRUE);
  g_assert_cmpint (json_object_get_int_member (member_object (printed, "print"), "documents"), ==,
                   documents);
  g_assert_cmpint (json_object_get_int_member (member_object (printed, "print"), "completed"), ==,
                   documents);
  g_assert_true (json_object_get_boolean_member (member_object (printed, "episode"), "printed"));
  episode = g_strdup (json_object_get_string_member (member_object (printed, "episode"), "id"));
  g_assert_cmpuint (n_received (kiosk, "office"), ==, documents);
  g_assert_cmpuint (n_received (kiosk, "station"), ==, 0);
  assert_each_once (kiosk, "office");
  g_assert_true (ledger_said_once_per_patient (kiosk, charts));
  {
    g_autofree char *words = g_strdup_printf ("The ward was printed: %u document(s)", documents);

    assert_cli_status (kiosk, words);
  }
  {
    g_autoptr (GPtrArray) received
        = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "office"));
    WkTestDocument  *chart = received->pdata[1];
    g_autofree char *chart_id = g_ascii_strup (chart->job_name, -1);

    /* What came out of the printer reads back and verifies. */
    g_assert_cmpuint (wk_test_verify_received (kiosk, chart->path, chart_id), >=, 1);
  }

  /* Downtime goes on: the ward is not printed again. */
  wait_probe_runs (kiosk, 10);
  g_assert_cmpuint (n_received (kiosk, "office"), ==, documents);

  /* Killed and restarted in DOWNTIME: the same episode, still on paper, no second print. */
  wk_test_kiosk_kill_daemon (kiosk, SIGKILL);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  assert_mode (kiosk, "downtime");
  restarted = wk_test_kiosk_status (kiosk);
  g_assert_cmpstr (json_object_get_string_member (member_object (restarted, "episode"), "id"), ==,
                   episode);
  g_assert_true (json_object_get_boolean_member (member_object (restarted, "episode"), "printed"));
  wait_probe_runs (kiosk, 10);
  g_clear_pointer (&restarted, json_object_unref);
  restarted = wk_test_kiosk_status (kiosk);
  g_assert_cmpstr (json_object_get_string_member (restarted, "mode"), ==, "downtime");
  g_assert_cmpuint (n_received (kiosk, "office"), ==, documents);
  g_assert_true (ledger_said_once_per_patient (kiosk, charts));

  /* The systems answer again: RECOVERING, then ONLINE after ten answers; nothing printed. */
  g_free (wk_test_sim_command (sim, "up"));
  assert_mode (kiosk, "recovering");
  assert_cli_status (kiosk, "RECOVERING since");
  assert_mode (kiosk, "online");
  assert_cli_status (kiosk, "ONLINE since");
  g_assert_cmpuint (n_received (kiosk, "office"), ==, documents);
}

static void
test_blip (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  guint16 feed_port = wk_test_closed_port ();
  guint16 health_port = wk_test_closed_port ();
  /* Ten failures at 300 ms confirm an outage: a blip of one or two is well inside. */
  g_autofree char *config = kiosk_config (feed_port, health_port, 300, 10, 2);
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) jobs = NULL;
  g_autoptr (JsonObject) status = NULL;

  wk_test_kiosk_write_config (kiosk, config);
  sim = wk_test_sim_start (kiosk, feed_port, health_port, 8, 5);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  wk_test_sim_wait_feed_done (sim);
  assert_mode (kiosk, "online");

  g_free (wk_test_sim_command (sim, "down"));
  assert_mode (kiosk, "suspect");
  assert_cli_status (kiosk, "SUSPECT since");
  g_free (wk_test_sim_command (sim, "up"));
  assert_mode (kiosk, "online");
  wait_probe_runs (kiosk, 5);

  /* Nothing printed, nothing in the ledger, no episode. */
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 0);
  g_assert_cmpuint (n_received (kiosk, "station"), ==, 0);
  jobs = wk_test_kiosk_call (kiosk, "jobs", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (jobs), "jobs")),
      ==, 0);
  status = wk_test_kiosk_status (kiosk);
  g_assert_true (json_object_get_null_member (status, "episode"));
  g_assert_true (json_object_get_null_member (status, "print"));
}

/* No network at all: the feed port is taken and no probe is configured; a declaration
 * prints the ward from the snapshot the daemon started from. */
static void
test_declared_without_network (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (WkModel) ward = wk_test_ward_new (8);
  g_autoptr (WkSnapshotInfo) info = wk_test_kiosk_write_snapshot (kiosk, ward);
  guint16                   feed_port;
  g_autoptr (GSocket) taken G_GNUC_UNUSED = wk_test_listening_socket (&feed_port);
  g_autofree char *config = g_strdup_printf ("[feed]\naddress = 127.0.0.1\nport = %u\n", feed_port);
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (JsonObject) finished = NULL;
  g_auto (WkTestRun) declare = { 0 };
  g_auto (WkTestRun) again = { 0 };
  g_auto (WkTestRun) chart = { 0 };
  g_auto (WkTestRun) end = { 0 };
  g_auto (WkTestRun) end_again = { 0 };
  const char *path = wk_test_kiosk_get_config_path (kiosk);
  /* The daemon's clock two hours on: the paper must give the snapshot's time. */
  const char *env[]
      = { "LD_PRELOAD=" FAKETIME_LIBRARY, "FAKETIME=+2h", "FAKETIME_DONT_FAKE_MONOTONIC=1", NULL };
  gboolean faked = can_fake_time ();

  g_assert_nonnull (taken); /* held open: the daemon cannot listen there */
  wk_test_kiosk_write_config (kiosk, config);
  wk_test_kiosk_start_daemon (kiosk, faked ? env : NULL);
  assert_mode (kiosk, "online");
  status = wk_test_kiosk_status (kiosk);
  g_assert_false (json_object_get_boolean_member (member_object (status, "feed"), "listening"));
  assert_cli_status (kiosk, "Feed: NOT RECEIVING");

  wk_test_run_wardkeep (&declare, NULL, "downtime", "declare", "--reason", "network down", "--who",
                        "Sister Test", "--config", path, NULL);
  g_assert_cmpint (declare.status, ==, 0);
  g_assert_nonnull (strstr (declare.out, "Downtime declared"));
  finished = wait_print_finished (kiosk, TRUE);
  g_assert_cmpint (json_object_get_int_member (member_object (finished, "print"), "completed"), ==,
                   7);
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 7);
  {
    /* The paper's data time is the snapshot's, two hours before it was printed. */
    g_autoptr (GPtrArray) received
        = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "office"));
    g_autofree char *text
        = wk_test_pdf_dup_text (((WkTestDocument *)received->pdata[0])->path, NULL);
    g_autoptr (GTimeZone) london = g_time_zone_new_identifier ("Europe/London");
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (info->created_at);
    g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, london);
    g_autofree char *when = g_date_time_format (local, "DATA AS OF %a %d %b %Y %H:%M");

    if (faked && strstr (text, when) == NULL)
      g_error ("the census does not say \"%s\":\n%s", when, text);
  }
  assert_cli_status (kiosk, "by Sister Test");

  /* Declaring again is refused, in words. */
  wk_test_run_wardkeep (&again, NULL, "downtime", "declare", "--reason", "again", "--config", path,
                        NULL);
  g_assert_cmpint (again.status, ==, 1);
  g_assert_nonnull (strstr (again.err, "already in DOWNTIME"));

  /* Staff reprint one chart through the daemon: recorded under the episode. */
  wk_test_run_wardkeep (&chart, NULL, "print", "chart", "BAY1-2", "--who", "Nurse Example",
                        "--config", path, NULL);
  g_assert_cmpint (chart.status, ==, 0);
  g_assert_nonnull (strstr (chart.out, "The daemon is printing request"));
  g_assert_nonnull (strstr (chart.out, "printed"));
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 8);

  /* Ended: ONLINE (no probe to wait for); a second end is refused. */
  wk_test_run_wardkeep (&end, NULL, "downtime", "end", "--reason", "network back", "--who",
                        "Sister Test", "--config", path, NULL);
  g_assert_cmpint (end.status, ==, 0);
  assert_mode (kiosk, "online");
  wk_test_run_wardkeep (&end_again, NULL, "downtime", "end", "--reason", "again", "--config", path,
                        NULL);
  g_assert_cmpint (end_again.status, ==, 1);
  g_assert_nonnull (strstr (end_again.err, "no downtime to end"));
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 8);
}

static void
copy_print_now (WkMonitor *monitor, const WkMonitorEvent *event, gpointer data)
{
  if (event->kind == WK_MONITOR_EVENT_PRINT_NOW)
    *(WkEpisode **)data = wk_episode_copy (event->episode);
}

static WkLedgerDocument *
recorded (WkModel              *model,
          const char           *chart_id,
          WkLedgerRequest      *request,
          WkLedgerDocumentKind  kind,
          gint64                patient_id,
          WkLedgerDocumentState state)
{
  g_autoptr (GError) error = NULL;
  WkLedgerDocument *document = wk_ledger_document_new (chart_id, request->id, kind);

  document->patient_id = patient_id;
  document->ward_id = g_strdup ("7A");
  document->snapshot_seq = 1;
  document->snapshot_at = g_get_real_time () / G_USEC_PER_SEC - 60;
  document->printed_at = document->snapshot_at + 30;
  wk_ledger_document_add_page (document, NULL, NULL, 0);
  g_assert_true (wk_ledger_record_document (model, document, &error));
  g_assert_no_error (error);
  if (state != WK_LEDGER_DOCUMENT_QUEUED)
    g_assert_true (wk_ledger_set_document_state (model, chart_id, state, "office", NULL, &error));
  g_assert_no_error (error);
  return document;
}

/* A daemon that died in the middle of the ward's print (the monitor's print still due,
 * the census and one chart accepted by a printer, one chart recorded but never sent)
 * prints, when it comes back, only what did not go out: every other chart, once. */
static void
test_resume_after_crash (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (WkModel) ward = wk_test_ward_new (8);
  g_autoptr (WkClock) clock = wk_clock_new_test (g_get_real_time ());
  g_autoptr (WkMonitor) monitor = wk_monitor_new (clock, NULL);
  g_autoptr (WkEpisode) episode = NULL;
  g_autoptr (WkLedgerRequest) request = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) patients = NULL;
  g_autoptr (JsonObject) finished = NULL;
  g_autoptr (JsonNode) jobs = NULL;
  g_autofree char *state = NULL;
  g_autofree char *state_path = NULL;
  g_autoptr (GHashTable) printed
      = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gint64 first = 0, second = 0;
  guint  n_patients = 0, n_charts = 0;

  /* The monitor's state as the dead daemon left it: a declared downtime, print due. */
  g_signal_connect (monitor, "event", G_CALLBACK (copy_print_now), &episode);
  wk_monitor_start (monitor);
  g_assert_true (wk_monitor_declare_downtime (monitor, "EPR upgrade", "Sister Test", &error));
  g_assert_nonnull (episode);
  state = wk_monitor_save_to_data (monitor);
  g_assert_nonnull (strstr (state, "print=due"));
  g_assert_cmpint (g_mkdir_with_parents (wk_test_kiosk_get_state_dir (kiosk), 0750), ==, 0);
  state_path = g_build_filename (wk_test_kiosk_get_state_dir (kiosk), "monitor.state", NULL);
  g_assert_true (g_file_set_contents (state_path, state, -1, &error));

  /* Its ledger: the census and the first patient's chart went out, the second's did not. */
  patients = wk_patient_load_all (ward, &error);
  for (guint i = 0; i < patients->len; i++)
    {
      WkPatient *patient = patients->pdata[i];

      if (patient->stay != WK_STAY_ADMITTED)
        continue;
      n_patients++;
      if (first == 0)
        first = patient->id;
      else if (second == 0)
        second = patient->id;
    }
  g_assert_true (wk_ledger_record_episode (ward, episode, &error));
  request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, WK_LEDGER_REQUESTED_BY_DAEMON);
  request->episode_id = g_strdup (episode->id);
  request->automatic = TRUE;
  g_assert_true (wk_ledger_record_request (ward, request, &error));
  wk_ledger_document_free (
      recorded (ward, "AAAAAAA1", request, WK_LEDGER_DOCUMENT_CENSUS, 0, WK_LEDGER_DOCUMENT_SENT));
  wk_ledger_document_free (recorded (ward, "AAAAAAA2", request, WK_LEDGER_DOCUMENT_CHART, first,
                                     WK_LEDGER_DOCUMENT_PRINTED));
  wk_ledger_document_free (recorded (ward, "AAAAAAA3", request, WK_LEDGER_DOCUMENT_CHART, second,
                                     WK_LEDGER_DOCUMENT_QUEUED));
  wk_snapshot_info_free (wk_test_kiosk_write_snapshot (kiosk, ward));

  /* It comes back in the same episode and finishes the print. */
  wk_test_kiosk_write_config (kiosk, "[feed]\naddress = 127.0.0.1\nport = 0\n");
  wk_test_kiosk_start_daemon (kiosk, NULL);
  assert_mode (kiosk, "downtime");
  finished = wait_print_finished (kiosk, TRUE);
  g_assert_cmpstr (json_object_get_string_member (member_object (finished, "episode"), "id"), ==,
                   episode->id);
  g_assert_cmpint (json_object_get_int_member (member_object (finished, "print"), "completed"), ==,
                   n_patients - 1);
  g_assert_cmpuint (n_received (kiosk, "office"), ==, n_patients - 1);

  /* What it printed: one chart for every patient but the first, no census. */
  jobs = wk_test_kiosk_call (kiosk, "jobs", NULL, &error);
  g_assert_no_error (error);
  {
    JsonArray *list = json_object_get_array_member (json_node_get_object (jobs), "jobs");

    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *job = json_array_get_object_element (list, i);
        const char *chart = json_object_get_string_member (job, "chart");
        gint64     *patient = g_new (gint64, 1);

        if (g_str_has_prefix (chart, "AAAAAAA"))
          {
            /* The one never sent is marked so; the others are as they were. */
            if (strcmp (chart, "AAAAAAA3") == 0)
              {
                g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "failed");
                g_assert_nonnull (
                    strstr (json_object_get_string_member (job, "reason"), "before it was sent"));
              }
            g_free (patient);
            continue;
          }
        g_assert_cmpstr (json_object_get_string_member (job, "kind"), ==, "chart");
        g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "completed");
        *patient = json_object_get_int_member (job, "patient");
        g_assert_cmpint (*patient, !=, first);
        g_assert_true (g_hash_table_add (printed, patient));
        n_charts++;
      }
  }
  g_assert_cmpuint (n_charts, ==, n_patients - 1);
  g_assert_true (g_hash_table_contains (printed, &second));

  /* Once done, done: a further restart starts no print at all (the restored episode's
   * print would start before the daemon answers). */
  wk_test_kiosk_kill_daemon (kiosk, SIGKILL);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  assert_mode (kiosk, "downtime");
  g_clear_pointer (&finished, json_object_unref);
  finished = wk_test_kiosk_status (kiosk);
  g_assert_true (json_object_get_null_member (finished, "print"));
  g_assert_true (json_object_get_boolean_member (member_object (finished, "episode"), "printed"));
  g_assert_cmpuint (n_received (kiosk, "office"), ==, n_patients - 1);
}

/* A wall clock that jumps (an NTP step, a person) changes nothing: libfaketime moves the
 * daemon's wall clock, its monotonic clock runs on. */
static void
test_clock_jump (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  guint16          health_port = wk_test_closed_port ();
  g_autofree char *config = kiosk_config (0, health_port, 200, 3, 3);
  g_autofree char *offset_file = g_build_filename (wk_test_kiosk_get_dir (kiosk), "faketime", NULL);
  g_autofree char *preload = NULL;
  g_autofree char *timestamp = g_strconcat ("FAKETIME_TIMESTAMP_FILE=", offset_file, NULL);
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_auto (WkTestRun) declare = { 0 };
  const char *path = wk_test_kiosk_get_config_path (kiosk);

  preload = g_strdup ("LD_PRELOAD=" FAKETIME_LIBRARY);
  if (!can_fake_time ())
    return;
  {
    const char *env[]
        = { preload, timestamp, "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1", NULL };

    g_assert_true (g_file_set_contents (offset_file, "+0\n", -1, NULL));
    wk_test_kiosk_write_config (kiosk, config);
    sim = wk_test_sim_start (kiosk, 0, health_port, 8, 0);
    wk_test_kiosk_start_daemon (kiosk, env);
  }
  assert_mode (kiosk, "online");

  /* Three hours forward while ONLINE: still ONLINE, nothing printed. */
  g_assert_true (g_file_set_contents (offset_file, "+3h\n", -1, NULL));
  wait_probe_runs (kiosk, 10);
  status = wk_test_kiosk_status (kiosk);
  g_assert_cmpstr (json_object_get_string_member (status, "mode"), ==, "online");
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 0);

  /* Declared downtime prints once; five hours back changes nothing. */
  wk_test_run_wardkeep (&declare, NULL, "downtime", "declare", "--reason", "clock test", "--who",
                        "IT", "--config", path, NULL);
  g_assert_cmpint (declare.status, ==, 0);
  g_clear_pointer (&status, json_object_unref);
  status = wait_print_finished (kiosk, TRUE);
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 1); /* an empty ward: the census */
  g_assert_true (g_file_set_contents (offset_file, "-2h\n", -1, NULL));
  wait_probe_runs (kiosk, 10);
  g_clear_pointer (&status, json_object_unref);
  status = wk_test_kiosk_status (kiosk);
  g_assert_cmpstr (json_object_get_string_member (status, "mode"), ==, "downtime");
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 1);
}

/* Stale data is called stale: a daemon whose clock is 47 minutes past the snapshot. */
static void
test_status_states (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (WkModel) ward = wk_test_ward_new (4);
  wk_snapshot_info_free (wk_test_kiosk_write_snapshot (kiosk, ward));
  const char *path = wk_test_kiosk_get_config_path (kiosk);
  const char *env[]
      = { "LD_PRELOAD=" FAKETIME_LIBRARY, "FAKETIME=+47m", "FAKETIME_DONT_FAKE_MONOTONIC=1", NULL };
  gboolean faked;
  g_auto (WkTestRun) stopped = { 0 };
  g_auto (WkTestRun) json = { 0 };
  g_auto (WkTestRun) drill = { 0 };
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonNode) started = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) finished = NULL;

  /* Not running: said plainly, with its own exit status, and how old the snapshot is. */
  wk_test_run_wardkeep (&stopped, NULL, "status", "--config", path, NULL);
  g_assert_cmpint (stopped.status, ==, 3);
  g_assert_nonnull (strstr (stopped.out, "wardkeepd is NOT running"));
  g_assert_nonnull (strstr (stopped.out, "nothing will print by itself"));
  g_assert_nonnull (strstr (stopped.out, "The newest snapshot is 1"));

  wk_test_kiosk_write_config (kiosk, "[feed]\naddress = 127.0.0.1\nport = 0\n");
  faked = can_fake_time ();
  wk_test_kiosk_start_daemon (kiosk, faked ? env : NULL);
  assert_mode (kiosk, "online");
  assert_cli_status (kiosk, faked ? "47 min old" : "Data as of");
  wk_test_run_wardkeep (&json, NULL, "status", "--json", "--config", path, NULL);
  g_assert_cmpint (json.status, ==, 0);
  g_assert_nonnull (strstr (json.out, "\"mode\" : \"online\""));
  g_assert_nonnull (strstr (json.out, "\"data_age_seconds\""));

  /* A drill: the status says DRILL and what is real; its paper goes to the second printer
   * (the first is made to fail) and is marked DRILL. */
  json_object_set_string_member (params, "scenario", "printer-failure");
  json_object_set_string_member (params, "who", "IT drill lead");
  started = wk_test_kiosk_call (kiosk, "drill.start", params, &error);
  g_assert_no_error (error);
  assert_cli_status (kiosk, "DRILL since");
  assert_cli_status (kiosk, "This is a DRILL (printer-failure");
  finished = wait_print_finished (kiosk, TRUE);
  g_assert_true (json_object_get_boolean_member (member_object (finished, "print"), "drill"));
  g_assert_cmpuint (n_received (kiosk, "office"), ==, 0);
  g_assert_cmpuint (n_received (kiosk, "station"), ==, 4);
  {
    g_autoptr (GPtrArray) received
        = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "station"));
    g_autofree char *text
        = wk_test_pdf_dup_text (((WkTestDocument *)received->pdata[1])->path, NULL);

    g_assert_nonnull (strstr (text, "DRILL"));
  }
  json_object_remove_member (params, "scenario");
  report = wk_test_kiosk_call (kiosk, "drill.stop", params, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (report), "scenario"), ==,
                   "printer-failure");
  assert_mode (kiosk, "online");
  wk_test_run_wardkeep (&drill, NULL, "status", "--config", path, NULL);
  g_assert_null (strstr (drill.out, "DRILL since"));
}

/* systemd: READY=1 and STATUS= on NOTIFY_SOCKET, WATCHDOG=1 at half WatchdogSec. */
static void
test_systemd_notify (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autofree char *socket_path = g_build_filename (wk_test_kiosk_get_dir (kiosk), "notify", NULL);
  g_autofree char *notify = g_strconcat ("NOTIFY_SOCKET=", socket_path, NULL);
  const char      *env[] = { notify, "WATCHDOG_USEC=400000", NULL };
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (socket_path);
  g_autoptr (GError) error = NULL;
  gboolean ready = FALSE, status = FALSE;
  guint    watchdogs = 0;
  gint64   deadline;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  wk_test_kiosk_write_config (kiosk, "[feed]\naddress = 127.0.0.1\nport = 0\n");
  wk_test_kiosk_start_daemon (kiosk, env);
  g_socket_set_blocking (socket, FALSE);
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (!(ready && status && watchdogs >= 3))
    {
      char   buffer[4096];
      gssize n;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_socket_condition_timed_wait (socket, G_IO_IN, 100000, NULL, NULL);
      n = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL);
      if (n <= 0)
        continue;
      buffer[n] = '\0';
      ready |= strstr (buffer, "READY=1") != NULL;
      status |= g_str_has_prefix (buffer, "STATUS=online");
      watchdogs += strstr (buffer, "WATCHDOG=1") != NULL;
    }
}

static void
test_program (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autofree char *program = wk_test_build_path ("kiosk", "daemon", "wardkeepd", NULL);
  g_autofree char *bad = g_build_filename (wk_test_kiosk_get_dir (kiosk), "bad.conf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status;

  /* --check-config loads the configuration and the key. */
  {
    const char *argv[]
        = { program, "--check-config", "--config", wk_test_kiosk_get_config_path (kiosk), NULL };

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, NULL));
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (out, "is valid, and the key"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { program, "--check-config", "--config", bad, NULL };

    g_assert_true (
        g_file_set_contents (bad, "[ward]\nid = 7A\n[daemon]\ncontrol-sockte = x\n", -1, NULL));
    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, NULL));
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "control-sockte"));
    g_assert_nonnull (strstr (err, "control-socket"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A second daemon on the same kiosk refuses to run: it would print the ward again. */
  wk_test_kiosk_write_config (kiosk, "[feed]\naddress = 127.0.0.1\nport = 0\n");
  wk_test_kiosk_start_daemon (kiosk, NULL);
  {
    const char *argv[] = { program, "--config", wk_test_kiosk_get_config_path (kiosk), NULL };

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, NULL));
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "Another wardkeepd is running"));
  }
  g_assert_true (wk_test_kiosk_daemon_is_running (kiosk));

  /* SIGTERM stops it cleanly (status 0; in the sanitizer build, no leak): its socket is
   * gone. */
  g_assert_true (wk_test_kiosk_kill_daemon (kiosk, SIGTERM));
  g_assert_false (g_file_test (wk_test_kiosk_get_socket (kiosk), G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/daemon/outage", test_outage);
  g_test_add_func ("/daemon/blip", test_blip);
  g_test_add_func ("/daemon/declared-without-network", test_declared_without_network);
  g_test_add_func ("/daemon/resume-after-crash", test_resume_after_crash);
  g_test_add_func ("/daemon/clock-jump", test_clock_jump);
  g_test_add_func ("/daemon/status-states", test_status_states);
  g_test_add_func ("/daemon/systemd-notify", test_systemd_notify);
  g_test_add_func ("/daemon/program", test_program);
  return g_test_run ();
}
