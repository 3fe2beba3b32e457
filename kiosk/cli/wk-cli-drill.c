/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-drill.c — `wardkeep drill start|stop|history|export`: a downtime drill run by IT,
 * through the daemon, and its report (README "Drills"). */

#include "wk-cli.h"
#include "wk-control.h"
#include "wk-drill-report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Stopping waits for the drill's jobs still printing to be cancelled. */
#define CALL_TIMEOUT_MS (60 * 1000)

static const char *
text (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static double
number (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NAN;
  return json_node_get_double (node);
}

static gboolean
flag (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static JsonObject *
object (JsonObject *parent, const char *member)
{
  JsonNode *node = parent != NULL ? json_object_get_member (parent, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
array (JsonObject *parent, const char *member)
{
  JsonNode *node = parent != NULL ? json_object_get_member (parent, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* Calls the daemon; NULL after saying why (a daemon not running is said plainly). */
static JsonObject *
call (WkConfig *config, const char *method, JsonObject *params, int *status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result
      = wk_control_call_sync (wk_config_get_string (config, "daemon", "control-socket"), method,
                              params, CALL_TIMEOUT_MS, &error);

  if (result == NULL)
    {
      if (g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING))
        {
          fprintf (stderr, "wardkeep: wardkeepd is not running: drills are run by the daemon. "
                           "Start it (systemctl start wardkeepd) and try again.\n");
          *status = WK_CLI_EXIT_NOT_RUNNING;
          return NULL;
        }
      *status = wk_cli_fail ("%s", error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (result))
    {
      *status = wk_cli_fail ("wardkeepd answered %s with something other than an object", method);
      return NULL;
    }
  return json_object_ref (json_node_get_object (result));
}

static char *
seconds (double value)
{
  return wk_drill_report_describe_seconds (value);
}

static void
print_report (JsonObject *report)
{
  JsonObject      *figures = object (report, "figures");
  JsonArray       *targets = array (report, "targets");
  JsonArray       *problems = array (report, "problems");
  g_autofree char *detection = seconds (number (figures, "detection_s"));
  g_autofree char *first = seconds (number (figures, "first_page_s"));
  g_autofree char *paper = seconds (number (figures, "on_paper_s"));

  printf ("Drill %s (%s) on ward %s: %s\n", text (report, "drill"), text (report, "scenario"),
          text (report, "ward"), flag (report, "passed") ? "PASS" : "FAIL");
  if (g_strcmp0 (text (report, "ended"), "taken-over") == 0)
    printf ("  Ended by a REAL downtime: %s\n", text (report, "taken_over_reason"));
  else if (g_strcmp0 (text (report, "ended"), "interrupted") == 0)
    printf ("  Ended when the daemon stopped during it\n");
  for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++)
    {
      JsonObject      *target = json_array_get_object_element (targets, i);
      gboolean         percent = g_strcmp0 (text (target, "unit"), "%") == 0;
      g_autofree char *value = percent
                                   ? (isnan (number (target, "value"))
                                          ? g_strdup ("not measured")
                                          : g_strdup_printf ("%.0f %%", number (target, "value")))
                                   : seconds (number (target, "value"));

      printf ("  %-6s %s: %s\n", flag (target, "passed") ? "met" : "MISSED", text (target, "name"),
              value);
    }
  printf ("  Downtime detected after %s; first page printed after %s; ward on paper after %s\n",
          detection, first, paper);
  printf ("  %.0f job(s) accepted by CUPS, %.0f completed, %.0f page(s); %.0f chart(s) printed, "
          "for %.0f of the %.0f occupied bed(s); %.0f printer error(s), %.0f failover(s); %.0f "
          "page(s) scanned back\n",
          number (figures, "jobs"), number (figures, "jobs_completed"), number (figures, "pages"),
          number (figures, "charts_printed"), number (figures, "charts_for_occupied_beds"),
          number (figures, "charts_expected"), number (figures, "printer_errors"),
          number (figures, "failovers"), number (figures, "scans"));
  for (guint i = 0; problems != NULL && i < json_array_get_length (problems); i++)
    if (JSON_NODE_HOLDS_VALUE (json_array_get_element (problems, i)))
      printf ("  ! %s\n", json_array_get_string_element (problems, i));
}

/* Writes the report's PDF and JSON; FALSE after saying why. */
static gboolean
write_files (WkConfig *config, JsonObject *report, const char *pdf_path, const char *json_path)
{
  g_autoptr (GError) error = NULL;

  if (pdf_path != NULL)
    {
      g_autoptr (GBytes) pdf = wk_drill_report_render (
          report, wk_config_get_string (config, "ward", "timezone"), &error);
      gsize         size;
      gconstpointer data;

      if (pdf == NULL)
        {
          wk_cli_fail ("%s", error->message);
          return FALSE;
        }
      data = g_bytes_get_data (pdf, &size);
      if (!g_file_set_contents (pdf_path, data, size, &error))
        {
          wk_cli_fail ("cannot write the report: %s", error->message);
          return FALSE;
        }
      printf ("Report (PDF): %s\n", pdf_path);
    }
  if (json_path != NULL)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *json = NULL;

      json_node_set_object (node, report);
      json = json_to_string (node, TRUE);
      if (!g_file_set_contents (json_path, json, -1, &error))
        {
          wk_cli_fail ("cannot write the report: %s", error->message);
          return FALSE;
        }
      printf ("Report (JSON): %s\n", json_path);
    }
  return TRUE;
}

static int
drill_start (WkConfig   *config,
             const char *scenario,
             const char *ward,
             gboolean    no_print,
             const char *printer,
             gint64      planned_in_ms,
             const char *who)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) status = NULL;
  int result = WK_CLI_EXIT_OK;

  json_object_set_string_member (params, "scenario", scenario);
  json_object_set_string_member (params, "who", who != NULL ? who : g_get_user_name ());
  if (ward != NULL)
    json_object_set_string_member (params, "ward", ward);
  if (printer != NULL)
    json_object_set_string_member (params, "printer", printer);
  if (no_print)
    json_object_set_boolean_member (params, "print", FALSE);
  if (planned_in_ms >= 0)
    json_object_set_int_member (params, "planned_in_seconds", planned_in_ms / 1000);
  status = call (config, "drill.start", params, &result);
  if (status == NULL)
    return result;
  printf ("DRILL started (%s) on ward %s. Every page printed says DRILL — NOT FOR CLINICAL USE;\n"
          "nothing is sent upstream, and a real outage takes over at once.\n",
          scenario, text (object (status, "ward"), "id"));
  if (g_strcmp0 (scenario, "outage") == 0)
    printf ("The probes now count as failing: the ward goes to DOWNTIME (drill) as it would in an "
            "outage, then prints.\n");
  else if (g_strcmp0 (scenario, "planned") == 0)
    printf ("A planned downtime is simulated: the ward's charts print at the lead time.\n");
  else
    printf ("The first printer is reported stopped: the charts fail over to the next.\n");
  printf ("Follow it with `wardkeep status`; end it with `wardkeep drill stop`, which writes the "
          "report.\n");
  return WK_CLI_EXIT_OK;
}

static int
drill_stop (WkConfig *config, const char *who, const char *pdf_path, const char *json_path)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) report = NULL;
  g_autofree char *pdf_default = NULL;
  int              result = WK_CLI_EXIT_OK;

  json_object_set_string_member (params, "who", who != NULL ? who : g_get_user_name ());
  report = call (config, "drill.stop", params, &result);
  if (report == NULL)
    return result;
  print_report (report);
  /* The PDF in the current folder unless told otherwise: what IT hands on. */
  if (pdf_path == NULL)
    pdf_path = pdf_default = g_strdup_printf ("drill-%s.pdf", text (report, "drill"));
  if (!write_files (config, report, pdf_path, json_path))
    {
      fprintf (stderr,
               "wardkeep: the report is kept by the daemon all the same: wardkeep drill "
               "export %s --pdf FILE\n",
               text (report, "drill"));
      return WK_CLI_EXIT_FAILED;
    }
  printf ("The report is kept in the kiosk's encrypted store: wardkeep drill history, wardkeep "
          "drill export %s\n",
          text (report, "drill"));
  return WK_CLI_EXIT_OK;
}

static int
drill_history (WkConfig *config, gboolean json)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) history = NULL;
  g_autoptr (GTimeZone) zone = NULL;
  JsonArray *drills;
  int        result = WK_CLI_EXIT_OK;

  history = call (config, "drill.history", params, &result);
  if (history == NULL)
    return result;
  if (json)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *out = NULL;

      json_node_set_object (node, history);
      out = json_to_string (node, TRUE);
      printf ("%s\n", out);
      return WK_CLI_EXIT_OK;
    }
  drills = array (history, "drills");
  if (drills == NULL || json_array_get_length (drills) == 0)
    {
      printf ("No drill has been run on this kiosk yet. Start one: wardkeep drill start\n");
      return WK_CLI_EXIT_OK;
    }
  zone = g_time_zone_new_identifier (wk_config_get_string (config, "ward", "timezone"));
  printf ("%-36s %-16s %-15s %-6s %-12s %s\n", "DRILL", "STARTED", "SCENARIO", "RESULT", "ON PAPER",
          "STARTED BY");
  for (guint i = 0; i < json_array_get_length (drills); i++)
    {
      JsonObject *item = json_array_get_object_element (drills, i);
      g_autoptr (GDateTime) utc = g_date_time_new_from_iso8601 (text (item, "started_at"), NULL);
      g_autoptr (GDateTime) local
          = utc != NULL && zone != NULL ? g_date_time_to_timezone (utc, zone) : NULL;
      g_autofree char *when
          = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup ("?");
      g_autofree char *paper = seconds (number (object (item, "figures"), "on_paper_s"));

      printf ("%-36s %-16s %-15s %-6s %-12s %s%s\n", text (item, "drill"), when,
              text (item, "scenario"), flag (item, "passed") ? "PASS" : "FAIL", paper,
              text (item, "started_by") != NULL ? text (item, "started_by") : "?",
              g_strcmp0 (text (item, "ended"), "taken-over") == 0 ? " (ended by a real downtime)"
              : g_strcmp0 (text (item, "ended"), "interrupted") == 0
                  ? " (the daemon stopped during it)"
                  : "");
    }
  return WK_CLI_EXIT_OK;
}

static int
drill_export (WkConfig *config, const char *id, const char *pdf_path, const char *json_path)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) report = NULL;
  int result = WK_CLI_EXIT_OK;

  if (id != NULL)
    json_object_set_string_member (params, "drill", id);
  report = call (config, "drill.report", params, &result);
  if (report == NULL)
    return result;
  print_report (report);
  return write_files (config, report, pdf_path, json_path) ? WK_CLI_EXIT_OK : WK_CLI_EXIT_FAILED;
}

/**
 * wk_cli_drill:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "drill"
 *
 * Starts or stops a drill through the daemon, lists the drills kept, or exports one's
 * report (README "Drills").
 *
 * Returns: 0 when done, 1 when the daemon refused or failed, 2 for a usage error, 3 when
 *   the daemon is not running
 */
int
wk_cli_drill (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *scenario = NULL;
  g_autofree char *ward = NULL;
  g_autofree char *printer = NULL;
  g_autofree char *planned_in = NULL;
  g_autofree char *who = NULL;
  g_autofree char *pdf_path = NULL;
  g_autofree char *json_path = NULL;
  gboolean         no_print = FALSE, json = FALSE;
  gint64           planned_in_ms = -1;
  GOptionEntry     entries[] = {
        { "scenario", 's', 0, G_OPTION_ARG_STRING, &scenario,
          "start: outage (the default: probes forced to fail), planned (charts pre-printed at the "
              "lead time) or printer-failure (the first printer reported stopped)",
          "SCENARIO" },
        { "ward", 0, 0, G_OPTION_ARG_STRING, &ward, "start: the ward (this kiosk's; checked)", "WARD" },
        { "no-print", 0, 0, G_OPTION_ARG_NONE, &no_print, "start: a drill without paper", NULL },
        { "printer", 'p', 0, G_OPTION_ARG_STRING, &printer,
          "start: the printer the drill's paper goes to first", "NAME" },
        { "planned-in", 0, 0, G_OPTION_ARG_STRING, &planned_in,
          "start --scenario planned: when the simulated window starts (default: the lead time, so "
              "the charts print at once)",
          "DURATION" },
        { "who", 'w', 0, G_OPTION_ARG_STRING, &who, "start, stop: who (default: your user name)",
          "NAME" },
        { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf_path,
          "stop, export: write the report as PDF to FILE (stop: drill-ID.pdf by default)", "FILE" },
        { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path,
          "stop, export: write the report as JSON to FILE", "FILE" },
        { "as-json", 0, 0, G_OPTION_ARG_NONE, &json, "history: print the list as JSON", NULL },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new ("start|stop|history|export [DRILL]");
  g_autoptr (WkConfig) config = NULL;
  const char *action;
  gboolean    starting;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "start: the ward goes into DRILL, which behaves as DOWNTIME (detection, automatic printing, "
      "the kiosk's banner) with DRILL on every page, nothing sent upstream, and the real monitor "
      "running underneath.\nstop: ends the drill, keeps its report and writes it as PDF.\n"
      "history: the drills kept.\nexport [DRILL]: a drill's report (the latest by default).");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc < 2)
    return wk_cli_usage ("drill", "say start, stop, history or export");
  action = argv[1];
  if (strcmp (action, "start") != 0 && strcmp (action, "stop") != 0
      && strcmp (action, "history") != 0 && strcmp (action, "export") != 0)
    return wk_cli_usage ("drill", "unknown action \"%s\": say start, stop, history or export",
                         action);
  if (argc > (strcmp (action, "export") == 0 ? 3 : 2))
    return wk_cli_usage ("drill", "unexpected argument \"%s\"",
                         argv[strcmp (action, "export") == 0 ? 3 : 2]);
  starting = strcmp (action, "start") == 0;
  if (!starting
      && (scenario != NULL || ward != NULL || no_print || printer != NULL || planned_in != NULL))
    return wk_cli_usage ("drill", "--scenario, --ward, --no-print, --printer and --planned-in "
                                  "are for drill start");
  if (starting && (pdf_path != NULL || json_path != NULL))
    return wk_cli_usage ("drill", "--pdf and --json are for drill stop and drill export");
  if (json && strcmp (action, "history") != 0)
    return wk_cli_usage ("drill", "--as-json is for drill history");
  if (starting)
    {
      if (scenario == NULL)
        scenario = g_strdup ("outage");
      if (strcmp (scenario, "outage") != 0 && strcmp (scenario, "planned") != 0
          && strcmp (scenario, "printer-failure") != 0)
        return wk_cli_usage ("drill",
                             "unknown scenario \"%s\": say outage, planned or "
                             "printer-failure",
                             scenario);
      if (no_print && printer != NULL)
        return wk_cli_usage ("drill", "--no-print and --printer cannot go together");
      if (planned_in != NULL)
        {
          g_autoptr (GError) error = NULL;

          if (strcmp (scenario, "planned") != 0)
            return wk_cli_usage ("drill", "--planned-in is for --scenario planned");
          if (!wk_config_parse_duration (planned_in, &planned_in_ms, &error))
            return wk_cli_usage ("drill", "--planned-in %s: %s", planned_in, error->message);
        }
    }
  config = wk_cli_load_config (config_path);
  if (config == NULL)
    return WK_CLI_EXIT_FAILED;
  if (starting)
    return drill_start (config, scenario, ward, no_print, printer, planned_in_ms, who);
  if (strcmp (action, "stop") == 0)
    return drill_stop (config, who, pdf_path, json_path);
  if (strcmp (action, "history") == 0)
    return drill_history (config, json);
  return drill_export (config, argc > 2 ? argv[2] : NULL, pdf_path, json_path);
}
