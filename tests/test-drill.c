/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-drill.c — downtime drills end to end with real processes: the simulator's health
 * endpoint, wardkeepd, a private cupsd with ippeveprinter printers, and the wardkeep
 * command as IT runs it. Each scenario runs to a report whose figures match what the
 * printers received (jobs, pages); the report's PDF renders and says its figures; a real
 * outage during a drill takes over and prints real charts; a drill never starts during a
 * real downtime; a drill chart scanned back is refused as a record (and timed); the drill
 * leaves the print ledger as it was, but for its own record; bad arguments are told
 * plainly. Probes run every 200 ms; every wait polls with a generous bound. */

#include "wk-drill-log.h"
#include "wk-ledger.h"
#include "wk-test-kiosk.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <signal.h>
#include <string.h>

#define WAIT_S 90
#define BEDS 8 /* in wk_test_ward_new(): two beds not occupied */
#define CHARTS (BEDS - 2)

static JsonObject *
member_object (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
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

/* Waits until the daemon's latest print is the drill's (or not) and is over. */
static JsonObject *
wait_print_finished (WkTestKiosk *kiosk, gboolean drill)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);
      JsonObject *print = member_object (status, "print");

      if (print != NULL && json_object_get_boolean_member (print, "finished")
          && json_object_get_boolean_member (print, "automatic")
          && json_object_get_boolean_member (print, "drill") == drill)
        return g_steal_pointer (&status);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}

static void
wardkeep (WkTestKiosk *kiosk, WkTestRun *run, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *program = wk_test_build_path ("kiosk", "cli", "wardkeep", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;
  int     status;

  g_ptr_array_add (argv, program);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  va_end (args);
  g_ptr_array_add (argv, "--config");
  g_ptr_array_add (argv, (char *)wk_test_kiosk_get_config_path (kiosk));
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (wk_test_kiosk_get_dir (kiosk), (char **)argv->pdata, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  run->status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  run->out = g_steal_pointer (&out);
  run->err = g_steal_pointer (&err);
}

/* What a printer received: documents, and their pages. */
static guint
received_pages (WkTestKiosk *kiosk, const char *printer, guint *n_documents, gboolean drill)
{
  g_autoptr (GPtrArray) received
      = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, printer));
  guint pages = 0;

  for (guint i = 0; i < received->len; i++)
    {
      guint            n = 0;
      g_autofree char *text
          = wk_test_pdf_dup_text (((WkTestDocument *)received->pdata[i])->path, &n);

      /* DRILL on every drill page, and on no real one. */
      g_assert_true ((strstr (text, "DRILL") != NULL) == drill);
      pages += n;
    }
  *n_documents = received->len;
  return pages;
}

static char *
kiosk_config (guint16 health_port, const char *extra)
{
  return g_strdup_printf ("[feed]\naddress = 127.0.0.1\nport = 0\n"
                          "[monitor]\ninterval = 200ms\ntimeout = 150ms\nfailures-to-confirm = 3\n"
                          "successes-to-recover = 3\nplanned-lead-time = 10min\n"
                          "[probe central]\nkind = http\nurl = http://127.0.0.1:%u/health\n%s",
                          health_port, extra != NULL ? extra : "");
}

/* A kiosk with a ward of BEDS beds on its snapshot, the simulator answering its probe. */
static WkTestKiosk *
kiosk_new (WkTestSim **sim, const char *extra)
{
  WkTestKiosk     *kiosk = wk_test_kiosk_new ();
  guint16          health_port = wk_test_closed_port ();
  g_autofree char *config = kiosk_config (health_port, extra);
  g_autoptr (WkModel) ward = wk_test_ward_new (BEDS);

  wk_test_kiosk_write_config (kiosk, config);
  wk_snapshot_info_free (wk_test_kiosk_write_snapshot (kiosk, ward));
  *sim = wk_test_sim_start (kiosk, 0, health_port, BEDS, 0);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  assert_mode (kiosk, "online");
  return kiosk;
}

static JsonObject *
parse_report (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gint64
figure (JsonObject *report, const char *name)
{
  return json_object_get_int_member (member_object (report, "figures"), name);
}

/* The figures are the printers' own: jobs and pages as they received them. */
static void
assert_figures (JsonObject *report, guint documents, guint pages)
{
  g_assert_cmpint (figure (report, "jobs"), ==, documents);
  g_assert_cmpint (figure (report, "jobs_completed"), ==, documents);
  g_assert_cmpint (figure (report, "documents"), ==, documents);
  g_assert_cmpint (figure (report, "pages"), ==, pages);
  g_assert_cmpint (figure (report, "charts_expected"), ==, CHARTS);
  g_assert_cmpint (figure (report, "charts_printed"), ==, CHARTS);
  g_assert_cmpint (figure (report, "charts_for_occupied_beds"), ==, CHARTS);
  g_assert_cmpint (figure (report, "not_printed"), ==, 0);
  g_assert_true (
      json_object_get_boolean_member (member_object (report, "figures"), "census_printed"));
}

/* The drill leaves the ledger as it was: no drill paper or episode, but its record. */
static void
assert_ledger_clean (WkTestKiosk *kiosk, const char *drill_id, guint n_drills)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) jobs = wk_test_kiosk_call (kiosk, "jobs", NULL, &error);
  g_autoptr (JsonNode) history = NULL;
  JsonArray *list;

  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (jobs), "jobs");
  for (guint i = 0; i < json_array_get_length (list); i++)
    g_assert_false (
        json_object_get_boolean_member (json_array_get_object_element (list, i), "drill"));
  history = wk_test_kiosk_call (kiosk, "drill.history", NULL, &error);
  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (history), "drills");
  g_assert_cmpuint (json_array_get_length (list), ==, n_drills);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "drill"),
                   ==, drill_id);
}

/* The same, from the snapshot on disk (what survives a restart): the drill's record in the
 * encrypted store, and no drill episode or paper in its ledger. */
static void
assert_store_clean (WkTestKiosk *kiosk, const char *drill_id)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (WkStore) store = wk_test_kiosk_open_store (kiosk);
      g_autoptr (WkModel) model = wk_store_load_newest (store, NULL, NULL);
      g_autoptr (WkDrillRecord) record
          = model != NULL ? wk_drill_log_load (model, drill_id, NULL) : NULL;

      if (record != NULL)
        {
          g_autoptr (GPtrArray) episodes = wk_ledger_load_episodes (model, NULL);
          g_autoptr (GPtrArray) documents = wk_ledger_load_documents (model, NULL, drill_id, NULL);

          for (guint i = 0; i < episodes->len; i++)
            g_assert_cmpint (((WkLedgerEpisode *)episodes->pdata[i])->kind, !=, WK_EPISODE_DRILL);
          g_assert_cmpuint (documents->len, ==, 0);
          g_assert_nonnull (strstr (record->report, "\"figures\""));
          return;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100000);
    }
}

/* The PDF is one page, saved for a person to look at, and says its figures. */
static void
assert_pdf (const char *path, const char *artefact, JsonObject *report)
{
  g_autofree char *contents = NULL;
  gsize            size;
  guint            n_pages = 0;
  g_autofree char *text = wk_test_pdf_dup_text (path, &n_pages);
  g_autofree char *jobs
      = g_strdup_printf ("Print jobs accepted by CUPS: %" G_GINT64_FORMAT, figure (report, "jobs"));
  g_autofree char *pages
      = g_strdup_printf ("Pages printed: %" G_GINT64_FORMAT, figure (report, "pages"));
  g_autofree char *charts
      = g_strdup_printf ("Charts printed: %" G_GINT64_FORMAT, figure (report, "charts_printed"));

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  g_free (wk_test_save_artefact (artefact, (guint8 *)contents, size));
  g_assert_cmpuint (n_pages, ==, 1);
  if (strstr (text, jobs) == NULL || strstr (text, pages) == NULL || strstr (text, charts) == NULL)
    g_error ("the report's PDF does not say its figures (%s; %s; %s):\n%s", jobs, pages, charts,
             text);
  g_assert_nonnull (strstr (text, "DOWNTIME DRILL REPORT"));
  g_assert_nonnull (strstr (text, json_object_get_string_member (report, "drill")));
  g_assert_nonnull (
      strstr (text, json_object_get_boolean_member (report, "passed") ? "PASS" : "FAIL"));
}

/* ---- the outage drill, with the paper scanned back ---- */

static void
test_outage (void)
{
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (WkTestKiosk) kiosk = kiosk_new (&sim, NULL);
  g_autoptr (JsonObject) report = NULL;
  g_autoptr (GPtrArray) received = NULL;
  g_auto (WkTestRun) start = { 0 };
  g_auto (WkTestRun) scan = { 0 };
  g_auto (WkTestRun) stop = { 0 };
  g_auto (WkTestRun) history = { 0 };
  g_auto (WkTestRun) again = { 0 };
  g_auto (WkTestRun) refused = { 0 };
  g_auto (WkTestRun) export = { 0 };
  g_autofree char *pdf = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.pdf", NULL);
  g_autofree char *json = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.json", NULL);
  g_autofree char *exported = g_build_filename (wk_test_kiosk_get_dir (kiosk), "again.pdf", NULL);
  const char      *id;
  guint            documents, pages;

  wardkeep (kiosk, &start, "drill", "start", "--scenario", "outage", "--who", "IT drill lead",
            NULL);
  g_assert_cmpint (start.status, ==, 0);
  g_assert_nonnull (strstr (start.out, "DRILL started (outage)"));
  assert_mode (kiosk, "drill");
  json_object_unref (wait_print_finished (kiosk, TRUE));
  pages = received_pages (kiosk, "office", &documents, TRUE);
  g_assert_cmpuint (documents, ==, 1 + CHARTS);

  /* A drill chart scanned back: refused as a record, with the reason; timed. */
  received = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "office"));
  wardkeep (kiosk, &scan, "reconcile", "scan", ((WkTestDocument *)received->pdata[1])->path,
            "--who", "Sister Example", NULL);
  if (strstr (scan.out, "printed in a DRILL") == NULL
      && strstr (scan.err, "printed in a DRILL") == NULL)
    g_error ("a drill chart scanned back is not refused as a DRILL:\n%s\n%s", scan.out, scan.err);

  wardkeep (kiosk, &stop, "drill", "stop", "--who", "IT drill lead", "--pdf", pdf, "--json", json,
            NULL);
  g_assert_cmpint (stop.status, ==, 0);
  g_assert_nonnull (strstr (stop.out, ": PASS"));
  assert_mode (kiosk, "online");
  report = parse_report (json);
  id = json_object_get_string_member (report, "drill");
  assert_figures (report, documents, pages);
  g_assert_true (json_object_get_boolean_member (report, "passed"));
  g_assert_cmpstr (json_object_get_string_member (report, "ended"), ==, "stopped");
  g_assert_cmpstr (json_object_get_string_member (report, "started_by"), ==, "IT drill lead");
  /* Detected through the same state machine: three failed probe runs, 200 ms apart. */
  g_assert_cmpfloat (
      json_object_get_double_member (member_object (report, "figures"), "detection_s"), >=, 0.4);
  g_assert_cmpint (figure (report, "scans"), >=, 1);
  g_assert_false (json_node_is_null (
      json_object_get_member (member_object (report, "figures"), "first_scan_s")));
  g_assert_cmpint (figure (report, "failovers"), ==, 0);
  assert_pdf (pdf, "drill-outage-report.pdf", report);
  assert_ledger_clean (kiosk, id, 1);
  assert_store_clean (kiosk, id);

  /* The history lists it; its report exports again, the same. */
  wardkeep (kiosk, &history, "drill", "history", NULL);
  g_assert_cmpint (history.status, ==, 0);
  g_assert_nonnull (strstr (history.out, id));
  g_assert_nonnull (strstr (history.out, "PASS"));
  wardkeep (kiosk, &export, "drill", "export", id, "--pdf", exported, NULL);
  g_assert_cmpint (export.status, ==, 0);
  assert_pdf (exported, "drill-outage-report-exported.pdf", report);

  /* A real downtime: a drill cannot start, and says why. */
  g_free (wk_test_sim_command (sim, "down"));
  assert_mode (kiosk, "downtime");
  wardkeep (kiosk, &refused, "drill", "start", NULL);
  g_assert_cmpint (refused.status, ==, 1);
  if (strstr (refused.err, "A drill cannot start while the monitor is downtime") == NULL)
    g_error ("the refusal does not say why:\n%s", refused.err);
  wardkeep (kiosk, &again, "drill", "history", NULL);
  g_assert_cmpint (again.status, ==, 0);
}

/* ---- the printer failure drill ---- */

static void
test_printer_failure (void)
{
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (WkTestKiosk) kiosk = kiosk_new (&sim, NULL);
  g_autoptr (JsonObject) report = NULL;
  g_auto (WkTestRun) start = { 0 };
  g_auto (WkTestRun) stop = { 0 };
  g_autofree char *json = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.json", NULL);
  g_autofree char *pdf = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.pdf", NULL);
  guint            documents, pages, office;

  wardkeep (kiosk, &start, "drill", "start", "--scenario", "printer-failure", NULL);
  g_assert_cmpint (start.status, ==, 0);
  json_object_unref (wait_print_finished (kiosk, TRUE));
  /* The first printer is reported stopped and gets nothing; the paper fails over. */
  received_pages (kiosk, "office", &office, TRUE);
  g_assert_cmpuint (office, ==, 0);
  pages = received_pages (kiosk, "station", &documents, TRUE);
  g_assert_cmpuint (documents, ==, 1 + CHARTS);
  wardkeep (kiosk, &stop, "drill", "stop", "--json", json, "--pdf", pdf, NULL);
  g_assert_cmpint (stop.status, ==, 0);
  report = parse_report (json);
  assert_figures (report, documents, pages);
  g_assert_cmpint (figure (report, "failovers"), >=, 1);
  g_assert_cmpint (figure (report, "printer_errors"), >=, 1);
  g_assert_nonnull (strstr (stop.out, "failover"));
  assert_pdf (pdf, "drill-printer-failure-report.pdf", report);
  assert_ledger_clean (kiosk, json_object_get_string_member (report, "drill"), 1);
}

/* ---- the planned downtime drill, with a target missed ---- */

static void
test_planned (void)
{
  g_autoptr (WkTestSim) sim = NULL;
  /* A target no ward can meet: the report says FAIL, and which. */
  g_autoptr (WkTestKiosk) kiosk = kiosk_new (&sim, "[drill]\ntarget-first-page = 1ms\n");
  g_autoptr (JsonObject) report = NULL;
  g_auto (WkTestRun) start = { 0 };
  g_auto (WkTestRun) stop = { 0 };
  g_autofree char *json = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.json", NULL);
  g_autofree char *pdf = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.pdf", NULL);
  guint            documents, pages;
  JsonArray       *targets;
  gboolean         missed = FALSE;

  wardkeep (kiosk, &start, "drill", "start", "--scenario", "planned", "--printer", "station", NULL);
  g_assert_cmpint (start.status, ==, 0);
  json_object_unref (wait_print_finished (kiosk, TRUE));
  pages = received_pages (kiosk, "station", &documents, TRUE);
  g_assert_cmpuint (documents, ==, 1 + CHARTS);
  wardkeep (kiosk, &stop, "drill", "stop", "--json", json, "--pdf", pdf, NULL);
  g_assert_cmpint (stop.status, ==, 0);
  g_assert_nonnull (strstr (stop.out, ": FAIL"));
  report = parse_report (json);
  assert_figures (report, documents, pages);
  g_assert_false (json_object_get_boolean_member (report, "passed"));
  g_assert_cmpstr (json_object_get_string_member (report, "clock_starts"), ==,
                   "the planned downtime's pre-print");
  targets = json_object_get_array_member (report, "targets");
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *target = json_array_get_object_element (targets, i);

      if (g_strcmp0 (json_object_get_string_member (target, "key"), "first-page") == 0)
        missed = !json_object_get_boolean_member (target, "passed");
      else
        g_assert_true (json_object_get_boolean_member (target, "passed"));
    }
  g_assert_true (missed);
  assert_pdf (pdf, "drill-planned-report.pdf", report);
  {
    g_autofree char *contents = NULL;
    gsize            size;

    g_assert_true (g_file_get_contents (json, &contents, &size, NULL));
    g_free (wk_test_save_artefact ("drill-planned-report.json", (guint8 *)contents, size));
  }
  {
    g_autofree char *text = wk_test_pdf_dup_text (pdf, NULL);

    g_assert_nonnull (strstr (text, "MISSED"));
  }
}

/* ---- a real outage during a drill ---- */

static void
test_real_outage_takes_over (void)
{
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (WkTestKiosk) kiosk = kiosk_new (&sim, NULL);
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (WkTestRun) start = { 0 };
  g_auto (WkTestRun) history = { 0 };
  g_auto (WkTestRun) stop = { 0 };
  guint       documents;
  JsonObject *object;

  /* A planned drill whose window is an hour away: nothing printed yet. */
  wardkeep (kiosk, &start, "drill", "start", "--scenario", "planned", "--planned-in", "70min",
            NULL);
  g_assert_cmpint (start.status, ==, 0);
  assert_mode (kiosk, "drill");

  /* The systems really go down: DOWNTIME at once, said so, and real charts printed. */
  g_free (wk_test_sim_command (sim, "down"));
  assert_mode (kiosk, "downtime");
  status = wait_print_finished (kiosk, FALSE);
  {
    g_auto (WkTestRun) said = { 0 };

    wardkeep (kiosk, &said, "status", NULL);
    g_assert_cmpint (said.status, ==, 0);
    if (strstr (said.out, "DOWNTIME since") == NULL
        || strstr (said.out, "A drill (planned) was on when this real downtime began: it ended at "
                             "once")
               == NULL)
      g_error ("wardkeep status does not say the real downtime ended the drill:\n%s", said.out);
  }
  received_pages (kiosk, "office", &documents, FALSE);
  g_assert_cmpuint (documents, ==, 1 + CHARTS);

  /* The drill's record says so; there is no drill left to stop. */
  report = wk_test_kiosk_call (kiosk, "drill.report", NULL, &error);
  g_assert_no_error (error);
  object = json_node_get_object (report);
  g_assert_cmpstr (json_object_get_string_member (object, "ended"), ==, "taken-over");
  g_assert_false (json_object_get_boolean_member (object, "passed"));
  g_assert_cmpint (figure (object, "jobs"), ==, 0);
  wardkeep (kiosk, &history, "drill", "history", NULL);
  g_assert_nonnull (strstr (history.out, "ended by a real downtime"));
  wardkeep (kiosk, &stop, "drill", "stop", NULL);
  g_assert_cmpint (stop.status, ==, 1);
  g_assert_nonnull (strstr (stop.err, "No drill is on; the ward is downtime"));
}

/* ---- a daemon killed during a drill ---- */

static void
test_restart_ends_drill (void)
{
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (WkTestKiosk) kiosk = kiosk_new (&sim, NULL);
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (WkTestRun) start = { 0 };
  g_auto (WkTestRun) history = { 0 };
  JsonObject *object;
  const char *id;

  wardkeep (kiosk, &start, "drill", "start", "--scenario", "printer-failure", NULL);
  g_assert_cmpint (start.status, ==, 0);
  json_object_unref (wait_print_finished (kiosk, TRUE));

  /* Killed with its drill on paper: started again, the drill is over, reported, and its
   * paper gone from the ledger; the ward is ONLINE. */
  wk_test_kiosk_kill_daemon (kiosk, SIGKILL);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  assert_mode (kiosk, "online");
  report = wk_test_kiosk_call (kiosk, "drill.report", NULL, &error);
  g_assert_no_error (error);
  object = json_node_get_object (report);
  id = json_object_get_string_member (object, "drill");
  g_assert_cmpstr (json_object_get_string_member (object, "ended"), ==, "interrupted");
  g_assert_false (json_object_get_boolean_member (object, "passed"));
  g_assert_cmpint (figure (object, "jobs"), ==, 1 + CHARTS);
  assert_ledger_clean (kiosk, id, 1);
  wardkeep (kiosk, &history, "drill", "history", NULL);
  g_assert_nonnull (strstr (history.out, "the daemon stopped during it"));
}

/* ---- what IT mistypes ---- */

static void
test_bad_arguments (void)
{
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (WkTestKiosk) kiosk = kiosk_new (&sim, NULL);

  static const struct
  {
    const char *args[7];
    int         status;
    const char *says;
  } cases[] = {
    { { "drill", NULL }, 2, "say start, stop, history or export" },
    { { "drill", "begin", NULL }, 2, "unknown action \"begin\"" },
    { { "drill", "start", "--scenario", "fire", NULL }, 2, "unknown scenario \"fire\"" },
    { { "drill", "start", "--no-print", "--printer", "office", NULL }, 2, "cannot go together" },
    { { "drill", "start", "--planned-in", "10min", NULL },
      2,
      "--planned-in is for --scenario planned" },
    { { "drill", "start", "--scenario", "planned", "--planned-in", "soon", NULL },
      2,
      "--planned-in soon" },
    { { "drill", "stop", "--scenario", "outage", NULL }, 2, "are for drill start" },
    { { "drill", "start", "--pdf", "x.pdf", NULL }, 2, "are for drill stop and drill export" },
    { { "drill", "history", "extra", NULL }, 2, "unexpected argument \"extra\"" },
    { { "drill", "start", "--printer", "basement", NULL },
      1,
      "There is no printer called \"basement\"" },
    { { "drill", "start", "--ward", "9Z", NULL }, 1, "serves ward 7A, not 9Z" },
    { { "drill", "stop", NULL }, 1, "No drill is on; the ward is online" },
    { { "drill", "export", "nosuchdrill", NULL }, 1, "There is no drill nosuchdrill" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (WkTestRun) run = { 0 };
      const char *const *a = cases[i].args;

      wardkeep (kiosk, &run, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
      if (run.status != cases[i].status || strstr (run.err, cases[i].says) == NULL)
        g_error ("wardkeep %s %s %s: exit %d, wanted %d saying \"%s\":\n%s%s", a[0],
                 a[1] != NULL ? a[1] : "", a[1] != NULL && a[2] != NULL ? a[2] : "", run.status,
                 cases[i].status, cases[i].says, run.out, run.err);
    }
  /* Nothing started. */
  assert_mode (kiosk, "online");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/drill/outage", test_outage);
  g_test_add_func ("/drill/printer-failure", test_printer_failure);
  g_test_add_func ("/drill/planned", test_planned);
  g_test_add_func ("/drill/real-outage-takes-over", test_real_outage_takes_over);
  g_test_add_func ("/drill/restart-ends-drill", test_restart_ends_drill);
  g_test_add_func ("/drill/bad-arguments", test_bad_arguments);
  return g_test_run ();
}
