/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-reconcile.c — `wardkeep reconcile scan|status|show|enter|report|signoff|export`:
 * the pharmacist's side of a downtime, through the daemon (the model's only writer). */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-chart-scan.h"
#include "wk-cli.h"
#include "wk-control.h"
#include "wk-reconcile-report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Long enough for a whole ward's report; HL7 export waits for every acknowledgement. */
#define CALL_TIMEOUT_MS (60 * 1000)
#define EXPORT_TIMEOUT_MS (30 * 60 * 1000)

typedef struct
{
  WkConfig *config;
  char     *who;
} Session;

static void
session_clear (Session *session)
{
  g_clear_pointer (&session->config, wk_config_free);
  g_free (session->who);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Session, session_clear)

static gboolean
session_open (Session *session, const char *config_path, const char *who)
{
  session->config = wk_cli_load_config (config_path);
  session->who = g_strdup (who != NULL ? who : g_get_user_name ());
  return session->config != NULL;
}

/* Prints why a call failed, in words. */
static void
explain (const GError *error)
{
  if (g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING))
    wk_cli_fail ("%s.\nReconciliation is kept in the ward model, which only the daemon "
                 "changes: start it (systemctl start wardkeepd) and run this again.",
                 error->message);
  else
    wk_cli_fail ("%s", error->message);
}

/* Calls a reconcile.* method; prints what went wrong and returns NULL. */
static JsonNode *
call (Session *session, const char *method, JsonObject *params, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  const char *path = wk_config_get_string (session->config, "daemon", "control-socket");
  JsonNode   *result = wk_control_call_sync (path, method, params, timeout_ms, &error);

  if (result == NULL)
    explain (error);
  return result;
}

static JsonObject *
call_object (Session *session, const char *method, JsonObject *params, guint timeout_ms)
{
  g_autoptr (JsonNode) node = call (session, method, params, timeout_ms);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      wk_cli_fail ("The daemon answered %s with something that is not an object", method);
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

/* "1,3" or "none". */
static char *
pages_text (JsonObject *object, const char *name)
{
  JsonArray *pages = json_object_get_array_member (object, name);
  GString   *text = g_string_new (NULL);

  for (guint i = 0; pages != NULL && i < json_array_get_length (pages); i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            json_array_get_int_element (pages, i));
  if (text->len == 0)
    g_string_append (text, "none");
  return g_string_free (text, FALSE);
}

/* "SURNAME, Given, BAY1 bed 3" for people. */
static char *
patient_text (JsonObject *holder)
{
  JsonObject *patient = json_object_get_object_member (holder, "patient");
  const char *name = member_string (patient, "name");
  const char *bed = member_string (patient, "bed");
  const char *nhs = member_string (patient, "nhs_number");

  return g_strdup_printf ("%s%s%s%s%s", name != NULL ? name : "patient not in the model",
                          nhs != NULL ? ", NHS " : "", nhs != NULL ? nhs : "",
                          bed != NULL ? ", " : "", bed != NULL ? bed : "");
}

static void
print_json (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_node_set_object (node, object);
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static char *
local_time (Session *session, const char *iso)
{
  g_autoptr (GTimeZone) zone
      = g_time_zone_new_identifier (wk_config_get_string (session->config, "ward", "timezone"));
  g_autoptr (GDateTime) utc = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return NULL;
  local = g_date_time_to_timezone (utc, zone != NULL ? zone : g_time_zone_new_utc ());
  return g_date_time_format (local, "%a %d %b %H:%M");
}

/* Writes patient data where it was asked to go: a file made 0600, or standard output;
 * never a temporary file. */
static gboolean
write_private (const char *path, const void *data, gsize size, gboolean force)
{
  const guint8 *p = data;
  int           fd;

  if (path == NULL)
    {
      if (isatty (STDOUT_FILENO) && !force)
        {
          wk_cli_fail ("this is patient data: give --output FILE (written mode 0600), redirect "
                       "it, or add --force to show it on this terminal");
          return FALSE;
        }
      if (fwrite (data, 1, size, stdout) != size || fflush (stdout) != 0)
        {
          wk_cli_fail ("cannot write to standard output: %s", g_strerror (errno));
          return FALSE;
        }
      return TRUE;
    }
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || fchmod (fd, 0600) != 0)
    {
      wk_cli_fail ("cannot write %s: %s", path, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  while (size > 0)
    {
      ssize_t n = write (fd, p, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          wk_cli_fail ("cannot write %s: %s", path, g_strerror (errno));
          close (fd);
          return FALSE;
        }
      p += n;
      size -= n;
    }
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      wk_cli_fail ("cannot write %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* ---- scan ---- */

static const char scan_summary[]
    = "Marks returned pages: reads the QR code in the corner of each page of scanned files\n"
      "(PDF, PNG, JPEG), checks it was signed by a trusted kiosk, and tells the daemon the\n"
      "page is back. FILE - reads codes as a USB scanner types them, one per line.";

/* One code to the daemon; prints what happened. Returns whether it was accepted; sets
 * @stop when the daemon cannot be reached at all. */
static gboolean
scan_payload (Session *session, const char *where, const char *text, gboolean *stop)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *patient = NULL;
  g_autofree char *missing = NULL;
  JsonObject      *result;
  const char      *path = wk_config_get_string (session->config, "daemon", "control-socket");

  json_object_set_string_member (params, "payload", text);
  json_object_set_string_member (params, "who", session->who);
  node = wk_control_call_sync (path, "reconcile.scan", params, CALL_TIMEOUT_MS, &error);
  if (node == NULL)
    {
      /* The daemon's own refusals are about the page; the client's about the daemon. */
      if (error->domain == WK_CONTROL_ERROR && error->code >= WK_CONTROL_ERROR_NOT_RUNNING)
        {
          explain (error);
          *stop = TRUE;
          return FALSE;
        }
      printf ("%s: REFUSED: %s\n", where, error->message);
      return FALSE;
    }
  result = json_node_get_object (node);
  patient = patient_text (result);
  missing = pages_text (result, "missing");
  printf ("%s: chart %s page %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " (%s): ", where,
          member_string (result, "label"), member_int (result, "page"),
          member_int (result, "pages"), patient);
  if (member_int (result, "scans") > 1)
    printf ("RETURNED TWICE (scanned %" G_GINT64_FORMAT " times)", member_int (result, "scans"));
  else
    printf ("back");
  if (json_object_get_boolean_member (result, "outside_ledger"))
    printf ("; printed outside the daemon");
  if (strcmp (missing, "none") != 0)
    printf ("; pages still missing: %s", missing);
  printf ("\n");
  return TRUE;
}

static int
reconcile_scan (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *who = NULL;
  GOptionEntry     entries[] = {
        { "who", 'w', 0, G_OPTION_ARG_STRING, &who, "Who is scanning (default: your user name)",
          "NAME" },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new ("FILE...");
  g_auto (Session) session = { 0 };
  guint    accepted = 0, refused = 0, unread = 0;
  gboolean stop = FALSE;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, scan_summary);
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc < 2)
    return wk_cli_usage ("reconcile scan", "name the scanned files (PDF, PNG, JPEG), or -");
  if (!session_open (&session, config_path, who))
    return WK_CLI_EXIT_FAILED;

  for (int i = 1; i < argc && !stop; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) results = NULL;

      if (strcmp (argv[i], "-") == 0)
        {
          char  line[16384];
          guint n = 0;

          while (!stop && fgets (line, sizeof line, stdin) != NULL)
            {
              g_autofree char *where = g_strdup_printf ("code %u", ++n);

              g_strstrip (line);
              if (*line == '\0')
                continue;
              if (scan_payload (&session, where, line, &stop))
                accepted++;
              else
                refused++;
            }
          continue;
        }
      results = wk_chart_scan_file (argv[i], &error);
      if (results == NULL)
        {
          printf ("%s: NOT READ: %s\n", argv[i], error->message);
          unread++;
          continue;
        }
      for (guint r = 0; r < results->len && !stop; r++)
        {
          WkChartScanResult *result = results->pdata[r];
          g_autofree char   *where = result->n_pages > 1
                                         ? g_strdup_printf ("%s page %u", argv[i], result->page)
                                         : g_strdup (argv[i]);

          if (result->kind != WK_CHART_SCAN_CODE)
            {
              printf ("%s\n", result->problem);
              unread++;
            }
          else if (scan_payload (&session, where, result->text, &stop))
            accepted++;
          else
            refused++;
        }
    }
  if (stop)
    return WK_CLI_EXIT_FAILED;
  printf ("%u page%s back, %u refused, %u without a wardkeep code.\n", accepted,
          accepted == 1 ? "" : "s", refused, unread);
  return refused > 0 || unread > 0 ? WK_CLI_EXIT_FAILED : WK_CLI_EXIT_OK;
}

/* ---- status ---- */

static void
print_episode (Session *session, JsonObject *episode)
{
  const char      *id = member_string (episode, "id");
  g_autofree char *started = local_time (session, member_string (episode, "started_at"));
  g_autofree char *ended = local_time (session, member_string (episode, "ended_at"));
  JsonArray       *charts = json_object_get_array_member (episode, "charts");

  if (id != NULL && *id != '\0')
    printf ("Episode %s (%s): %s to %s\n", id, member_string (episode, "kind"),
            started != NULL ? started : "?", ended != NULL ? ended : "now (not ended)");
  else
    printf ("Charts printed outside any recorded episode\n");
  printf ("  charts printed %" G_GINT64_FORMAT ", all pages back %" G_GINT64_FORMAT
          ", pages missing %" G_GINT64_FORMAT ", not back %" G_GINT64_FORMAT
          ", printed outside the daemon %" G_GINT64_FORMAT "\n",
          member_int (episode, "charts_printed"), member_int (episode, "charts_returned"),
          member_int (episode, "charts_missing_pages"), member_int (episode, "charts_not_returned"),
          member_int (episode, "charts_outside_ledger"));
  printf ("  pages printed %" G_GINT64_FORMAT ", back %" G_GINT64_FORMAT
          ", missing %" G_GINT64_FORMAT ", returned twice %" G_GINT64_FORMAT
          "; entries keyed in %" G_GINT64_FORMAT "\n",
          member_int (episode, "pages_printed"), member_int (episode, "pages_returned"),
          member_int (episode, "pages_missing"), member_int (episode, "pages_returned_twice"),
          member_int (episode, "entries"));
  printf ("  %-10s %-13s %-5s %-9s %-9s %-7s %-7s %s\n", "CHART", "STATE", "PAGES", "BACK",
          "MISSING", "TWICE", "ENTRIES", "PATIENT");
  for (guint i = 0; charts != NULL && i < json_array_get_length (charts); i++)
    {
      JsonObject      *chart = json_array_get_object_element (charts, i);
      g_autofree char *back = pages_text (chart, "returned");
      g_autofree char *missing = pages_text (chart, "missing");
      g_autofree char *twice = pages_text (chart, "returned_twice");
      g_autofree char *patient = patient_text (chart);

      printf (
          "  %-10s %-13s %-5" G_GINT64_FORMAT " %-9s %-9s %-7s %-7" G_GINT64_FORMAT " %s%s\n",
          member_string (chart, "label"), member_string (chart, "state"),
          member_int (chart, "pages"), back, missing, twice, member_int (chart, "entries"), patient,
          json_object_get_boolean_member (chart, "outside_ledger") ? " [outside the daemon]" : "");
    }
  printf ("\n");
}

static int
reconcile_status (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean         json = FALSE;
  GOptionEntry     entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the daemon's answer as JSON", NULL },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_auto (Session) session = { 0 };
  g_autoptr (JsonObject) status = NULL;
  JsonArray *episodes;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Per downtime episode: the charts printed, which came "
                                         "back, which pages are missing, which came back twice.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("reconcile status", "it takes no arguments");
  if (!session_open (&session, config_path, NULL))
    return WK_CLI_EXIT_FAILED;
  status = call_object (&session, "reconcile.status", NULL, CALL_TIMEOUT_MS);
  if (status == NULL)
    return WK_CLI_EXIT_FAILED;
  if (json)
    {
      print_json (status);
      return WK_CLI_EXIT_OK;
    }
  episodes = json_object_get_array_member (status, "episodes");
  if (json_array_get_length (episodes) == 0)
    printf ("No downtime episode and no returned chart yet.\n");
  for (guint i = 0; i < json_array_get_length (episodes); i++)
    print_episode (&session, json_array_get_object_element (episodes, i));
  return WK_CLI_EXIT_OK;
}

/* ---- show ---- */

static void
print_entry_line (JsonObject *entry, const char *indent)
{
  JsonArray *flags = json_object_get_array_member (entry, "flags");
  JsonNode  *dose = json_object_get_member (entry, "dose");

  if (json_object_get_boolean_member (entry, "given"))
    printf ("%sgiven %s, %g %s, by %s (entry #%" G_GINT64_FORMAT ")", indent,
            member_string (entry, "at_local"), json_node_get_double (dose),
            member_string (entry, "unit"),
            member_string (entry, "by") != NULL ? member_string (entry, "by") : "?",
            member_int (entry, "id"));
  else
    printf ("%snot given (%s %s) %s (entry #%" G_GINT64_FORMAT ")", indent,
            member_string (entry, "reason_code"), member_string (entry, "reason"),
            member_string (entry, "at_local"), member_int (entry, "id"));
  for (guint i = 0; flags != NULL && i < json_array_get_length (flags); i++)
    printf ("%s%s", i == 0 ? "  FLAGGED: " : ", ", json_array_get_string_element (flags, i));
  printf ("\n");
}

static int
reconcile_show (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean         json = FALSE;
  GOptionEntry     entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the daemon's answer as JSON", NULL },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new ("CHART");
  g_auto (Session) session = { 0 };
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) chart = NULL;
  g_autofree char *patient = NULL;
  g_autofree char *missing = NULL;
  JsonArray       *orders, *reasons;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Shows a returned chart as printed: each order of its "
                                         "returned pages, its boxes by due time and what has "
                                         "been keyed in.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 2)
    return wk_cli_usage ("reconcile show", "name one chart, as printed (7KQ2-M9XD)");
  if (!session_open (&session, config_path, NULL))
    return WK_CLI_EXIT_FAILED;
  json_object_set_string_member (params, "chart", argv[1]);
  chart = call_object (&session, "reconcile.chart", params, CALL_TIMEOUT_MS);
  if (chart == NULL)
    return WK_CLI_EXIT_FAILED;
  if (json)
    {
      print_json (chart);
      return WK_CLI_EXIT_OK;
    }
  patient = patient_text (chart);
  missing = pages_text (chart, "missing");
  printf ("Chart %s: %s\nPrinted %s from data as of %s; %" G_GINT64_FORMAT " pages, missing: %s\n",
          member_string (chart, "label"), patient, member_string (chart, "printed_local"),
          member_string (chart, "snapshot_local"), member_int (chart, "pages"), missing);
  orders = json_object_get_array_member (chart, "orders");
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      JsonArray  *boxes = json_object_get_array_member (order, "boxes");
      JsonArray  *list = json_object_get_array_member (order, "entries");

      printf ("\nPage %" G_GINT64_FORMAT "  %s v%" G_GINT64_FORMAT "  %s  %s %s  (%s%s%s)\n",
              member_int (order, "page"), member_string (order, "order"),
              member_int (order, "version"), member_string (order, "drug"),
              member_string (order, "dose_text"), member_string (order, "route"),
              member_string (order, "kind"),
              g_strcmp0 (member_string (order, "status"), "active") != 0 ? ", printed " : "",
              g_strcmp0 (member_string (order, "status"), "active") != 0
                  ? member_string (order, "status")
                  : "");
      for (guint b = 0; b < json_array_get_length (boxes); b++)
        {
          JsonObject *box = json_array_get_object_element (boxes, b);
          JsonNode   *entry = json_object_get_member (box, "entry");

          if (!json_object_get_boolean_member (box, "open"))
            continue;
          printf ("  box %s: ", member_string (box, "due_local"));
          if (JSON_NODE_HOLDS_OBJECT (entry))
            print_entry_line (json_node_get_object (entry), "");
          else
            printf ("-\n");
        }
      for (guint e = 0; e < json_array_get_length (list); e++)
        print_entry_line (json_array_get_object_element (list, e), "  ");
    }
  reasons = json_object_get_array_member (chart, "reasons");
  printf ("\nNot-given codes:");
  for (guint i = 0; i < json_array_get_length (reasons); i++)
    {
      JsonObject *reason = json_array_get_object_element (reasons, i);

      printf ("%s %s %s", i > 0 ? "," : "", member_string (reason, "code"),
              member_string (reason, "text"));
    }
  printf ("\n");
  return WK_CLI_EXIT_OK;
}

/* ---- enter ---- */

typedef struct
{
  char    *chart;
  char    *order;
  char    *due;
  gboolean given;
  char    *not_given;
  char    *at;
  char    *dose;
  char    *unit;
  char    *by;
  char    *note;
  gboolean amend;
  int      entry;
} EntryOptions;

static void
entry_options_clear (EntryOptions *o)
{
  g_free (o->chart);
  g_free (o->order);
  g_free (o->due);
  g_free (o->not_given);
  g_free (o->at);
  g_free (o->dose);
  g_free (o->unit);
  g_free (o->by);
  g_free (o->note);
  memset (o, 0, sizeof *o);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EntryOptions, entry_options_clear)

static void
add_entry_options (GOptionContext *context, EntryOptions *o)
{
  GOptionEntry entries[] = {
    { "order", 'o', 0, G_OPTION_ARG_STRING, &o->order, "The order id printed in the row", "ID" },
    { "due", 'd', 0, G_OPTION_ARG_STRING, &o->due,
      "The box: its due time as printed (0800, 8, 08:00; \"15 0800\" when the grid has it on "
      "several days); not for as-required or once-only doses",
      "TIME" },
    { "given", 'g', 0, G_OPTION_ARG_NONE, &o->given, "The dose was given (initialled)", NULL },
    { "not-given", 'n', 0, G_OPTION_ARG_STRING, &o->not_given,
      "The dose was not given: the code written in the box", "CODE" },
    { "at", 'a', 0, G_OPTION_ARG_STRING, &o->at,
      "When it was given, as written (default: the box's due time)", "TIME" },
    { "dose", 0, 0, G_OPTION_ARG_STRING, &o->dose, "The dose given (default: as prescribed)",
      "AMOUNT" },
    { "unit", 0, 0, G_OPTION_ARG_STRING, &o->unit, "The dose's unit (default: as prescribed)",
      "UNIT" },
    { "by", 'b', 0, G_OPTION_ARG_STRING, &o->by, "The initials in the box (? when unreadable)",
      "INITIALS" },
    { "note", 0, 0, G_OPTION_ARG_STRING, &o->note, "A note for the report", "TEXT" },
    { "amend", 0, 0, G_OPTION_ARG_NONE, &o->amend, "Correct what was keyed in for this box", NULL },
    { "entry", 'e', 0, G_OPTION_ARG_INT, &o->entry,
      "Correct this entry (its number, for doses without a box)", "N" },
    { NULL },
  };
  GOptionGroup *group
      = g_option_group_new ("entry", "What a box says:", "What a box says", NULL, NULL);

  g_option_group_add_entries (group, entries);
  g_option_context_add_group (context, group);
}

/* One entry's options as the daemon takes them; NULL after printing what is wrong. */
static JsonObject *
entry_to_json (const EntryOptions *o, const char *chart, const char *where)
{
  g_autoptr (JsonObject) entry = json_object_new ();

  if (o->order == NULL)
    {
      wk_cli_usage ("reconcile enter", "%s: which order? (--order ID)", where);
      return NULL;
    }
  if (o->given == (o->not_given != NULL))
    {
      wk_cli_usage ("reconcile enter", "%s: say --given, or --not-given CODE", where);
      return NULL;
    }
  json_object_set_string_member (entry, "chart", o->chart != NULL ? o->chart : chart);
  json_object_set_string_member (entry, "order", o->order);
  if (o->due != NULL)
    json_object_set_string_member (entry, "due", o->due);
  json_object_set_boolean_member (entry, "given", o->given);
  if (o->not_given != NULL)
    json_object_set_string_member (entry, "reason", o->not_given);
  if (o->at != NULL)
    json_object_set_string_member (entry, "at", o->at);
  if (o->dose != NULL)
    {
      char  *end = NULL;
      double dose = g_ascii_strtod (o->dose, &end);

      if (end == o->dose || *end != '\0' || !(dose > 0))
        {
          wk_cli_usage ("reconcile enter", "%s: --dose \"%s\" is not an amount above 0", where,
                        o->dose);
          return NULL;
        }
      json_object_set_double_member (entry, "dose", dose);
    }
  if (o->unit != NULL)
    json_object_set_string_member (entry, "unit", o->unit);
  if (o->by != NULL)
    json_object_set_string_member (entry, "by", o->by);
  if (o->note != NULL)
    json_object_set_string_member (entry, "note", o->note);
  if (o->amend)
    json_object_set_boolean_member (entry, "amend", TRUE);
  if (o->entry > 0)
    json_object_set_int_member (entry, "entry", o->entry);
  return g_steal_pointer (&entry);
}

/* A line of a batch: the options of one entry, optionally after its chart. */
static JsonObject *
batch_line_to_json (const char *line, const char *chart, guint number)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) words = NULL;
  g_auto (EntryOptions) o = { 0 };
  g_autofree char *where = g_strdup_printf ("line %u", number);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  GOptionContext *context;
  char          **argv;
  int             argc, first = 0;
  gboolean        ok;

  if (!g_shell_parse_argv (line, &argc, &words, &error))
    {
      wk_cli_usage ("reconcile enter", "%s: %s", where, error->message);
      return NULL;
    }
  g_ptr_array_add (args, "enter");
  if (words[0][0] != '-')
    {
      o.chart = g_strdup (words[0]);
      first = 1;
    }
  for (int i = first; i < argc; i++)
    g_ptr_array_add (args, words[i]);
  g_ptr_array_add (args, NULL);
  argc = args->len - 1;
  argv = (char **)args->pdata;
  context = g_option_context_new (NULL);
  g_option_context_set_help_enabled (context, FALSE);
  add_entry_options (context, &o);
  ok = g_option_context_parse (context, &argc, &argv, &error);
  g_option_context_free (context);
  if (!ok || argc != 1)
    {
      wk_cli_usage ("reconcile enter", "%s: %s", where,
                    ok ? "unexpected words; each line holds one entry's options" : error->message);
      return NULL;
    }
  if (o.chart == NULL && chart == NULL)
    {
      wk_cli_usage ("reconcile enter", "%s: which chart? Start the line with it", where);
      return NULL;
    }
  return entry_to_json (&o, chart, where);
}

static void
print_entered (JsonArray *entries)
{
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      printf ("%s %s: ", member_string (entry, "label"), member_string (entry, "order"));
      print_entry_line (entry, "");
    }
}

static int
reconcile_enter (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *who = NULL;
  g_autofree char *batch = NULL;
  g_auto (EntryOptions) o = { 0 };
  GOptionEntry entries[] = {
    { "batch", 0, 0, G_OPTION_ARG_FILENAME, &batch,
      "Read entries from FILE (- for standard input): one per line, each the options of one "
      "entry, optionally after its chart; # starts a comment. All or nothing",
      "FILE" },
    { "who", 'w', 0, G_OPTION_ARG_STRING, &who, "Who is keying in (default: your user name)",
      "NAME" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("[CHART]");
  g_auto (Session) session = { 0 };
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) result = NULL;
  JsonArray  *list = json_array_new ();
  const char *chart;

  g_option_context_add_main_entries (context, entries, NULL);
  add_entry_options (context, &o);
  g_option_context_set_summary (
      context, "Keys in what a returned chart's box says, e.g.\n"
               "  wardkeep reconcile enter 7KQ2-M9XD --order P12-PARA --due 0800 --given --by AB\n"
               "  wardkeep reconcile enter 7KQ2-M9XD --order P12-MORP --at 1430 --dose 5 "
               "--given --by CD\n"
               "  wardkeep reconcile enter 7KQ2-M9XD --order P12-RAMI --due 8 --not-given 2\n"
               "Times are as written on the chart, in the ward's time zone.");
  json_object_set_array_member (params, "entries", list);
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc > 2)
    return wk_cli_usage ("reconcile enter", "one CHART at most");
  chart = argc == 2 ? argv[1] : NULL;

  if (batch != NULL)
    {
      g_autofree char *text = NULL;
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) lines = NULL;

      if (o.order != NULL || o.due != NULL || o.given || o.not_given != NULL)
        return wk_cli_usage ("reconcile enter", "--batch takes the entries from the file only");
      if (strcmp (batch, "-") == 0)
        {
          g_autoptr (GString) input = g_string_new (NULL);
          char   buffer[4096];
          size_t n;

          while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0)
            g_string_append_len (input, buffer, n);
          text = g_string_free (g_steal_pointer (&input), FALSE);
        }
      else if (!g_file_get_contents (batch, &text, NULL, &error))
        return wk_cli_fail ("cannot read %s: %s", batch, error->message);
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          JsonObject *entry;

          g_strstrip (lines[i]);
          if (*lines[i] == '\0' || *lines[i] == '#')
            continue;
          entry = batch_line_to_json (lines[i], chart, i + 1);
          if (entry == NULL)
            return WK_CLI_EXIT_USAGE;
          json_array_add_object_element (list, entry);
        }
      if (json_array_get_length (list) == 0)
        return wk_cli_usage ("reconcile enter", "%s holds no entry", batch);
    }
  else
    {
      JsonObject *entry;

      if (chart == NULL)
        return wk_cli_usage ("reconcile enter", "which chart? (as printed, 7KQ2-M9XD)");
      entry = entry_to_json (&o, chart, "the entry");
      if (entry == NULL)
        return WK_CLI_EXIT_USAGE;
      json_array_add_object_element (list, entry);
    }
  if (!session_open (&session, config_path, who))
    return WK_CLI_EXIT_FAILED;
  json_object_set_string_member (params, "who", session.who);
  result = call_object (&session, "reconcile.enter", params, CALL_TIMEOUT_MS);
  if (result == NULL)
    return WK_CLI_EXIT_FAILED;
  print_entered (json_object_get_array_member (result, "entries"));
  return WK_CLI_EXIT_OK;
}

/* ---- report and sign-off ---- */

static void
print_report (Session *session, JsonObject *report)
{
  JsonObject *episode = json_object_get_object_member (report, "episode");
  JsonObject *summary = json_object_get_object_member (report, "summary");
  JsonArray  *findings = json_object_get_array_member (report, "findings");
  JsonNode   *signed_node = json_object_get_member (report, "signed_off");
  const char *id = member_string (episode, "id");

  printf ("Discrepancy report, ward %s, %s%s\n", member_string (report, "ward"),
          id != NULL && *id != '\0' ? "episode " : "charts outside any episode",
          id != NULL ? id : "");
  printf ("%" G_GINT64_FORMAT " findings (%" G_GINT64_FORMAT " high); %" G_GINT64_FORMAT
          " charts printed, %" G_GINT64_FORMAT " pages missing; %" G_GINT64_FORMAT
          " administrations keyed in\n",
          member_int (summary, "findings"), member_int (summary, "findings_high"),
          member_int (summary, "charts_printed"), member_int (summary, "pages_missing"),
          member_int (summary, "entries"));
  for (const char *const *severity = (const char *const[]){ "high", "medium", "low", NULL };
       *severity != NULL; severity++)
    for (guint i = 0; i < json_array_get_length (findings); i++)
      {
        JsonObject      *finding = json_array_get_object_element (findings, i);
        g_autofree char *upper = NULL;
        g_autofree char *patient = NULL;

        if (g_strcmp0 (member_string (finding, "severity"), *severity) != 0)
          continue;
        upper = g_ascii_strup (*severity, -1);
        patient = patient_text (finding);
        printf ("  %-6s %s (%s)\n         %s\n", upper, member_string (finding, "kind"), patient,
                member_string (finding, "text"));
      }
  if (signed_node != NULL && JSON_NODE_HOLDS_OBJECT (signed_node))
    {
      JsonObject      *signoff = json_node_get_object (signed_node);
      g_autofree char *at = local_time (session, member_string (signoff, "at"));

      printf ("Signed off by %s, %s%s\n", member_string (signoff, "by"), at,
              json_object_get_boolean_member (signoff, "current")
                  ? ""
                  : " — THE REPORT HAS CHANGED SINCE: sign it off again");
    }
  else
    printf ("Not yet signed off.\n");
  printf ("Findings digest %s\n", member_string (report, "digest"));
}

static int
reconcile_report (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *episode = NULL;
  g_autofree char *pdf_path = NULL;
  gboolean         json = FALSE;
  GOptionEntry     entries[] = {
        { "episode", 'e', 0, G_OPTION_ARG_STRING, &episode,
          "The downtime episode (default: the newest); \"\" for charts outside any", "ID" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the report as JSON", NULL },
        { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf_path,
          "Also write the report as PDF to FILE (mode 0600: it is patient data)", "FILE" },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_auto (Session) session = { 0 };
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) report = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Compares the paper with the central record: pages "
                                         "missing, orders changed during the downtime, "
                                         "possible double doses, maximums exceeded.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("reconcile report", "it takes no arguments");
  if (!session_open (&session, config_path, NULL))
    return WK_CLI_EXIT_FAILED;
  if (episode != NULL)
    json_object_set_string_member (params, "episode", episode);
  report = call_object (&session, "reconcile.report", params, CALL_TIMEOUT_MS);
  if (report == NULL)
    return WK_CLI_EXIT_FAILED;
  if (pdf_path != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) pdf = wk_reconcile_report_render (
          report, wk_config_get_string (session.config, "ward", "timezone"), &error);
      gsize         size;
      const guint8 *data;

      if (pdf == NULL)
        return wk_cli_fail ("%s", error->message);
      data = g_bytes_get_data (pdf, &size);
      if (!write_private (pdf_path, data, size, FALSE))
        return WK_CLI_EXIT_FAILED;
    }
  if (json)
    print_json (report);
  else
    print_report (&session, report);
  if (pdf_path != NULL && !json)
    printf ("The report is in %s (patient data: keep it as the paper charts).\n", pdf_path);
  return WK_CLI_EXIT_OK;
}

static int
reconcile_signoff (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *episode = NULL;
  g_autofree char *who = NULL;
  g_autofree char *note = NULL;
  g_autofree char *digest = NULL;
  GOptionEntry     entries[] = {
        { "who", 'w', 0, G_OPTION_ARG_STRING, &who, "The pharmacist signing (required)", "NAME" },
        { "episode", 'e', 0, G_OPTION_ARG_STRING, &episode,
          "The downtime episode (default: the newest); \"\" for charts outside any", "ID" },
        { "note", 0, 0, G_OPTION_ARG_STRING, &note, "What to write with the sign-off", "TEXT" },
        { "digest", 0, 0, G_OPTION_ARG_STRING, &digest,
          "Sign only the report with this findings digest (as `report` printed it)", "HEX" },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_auto (Session) session = { 0 };
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) report = NULL;
  g_autoptr (JsonObject) signed_report = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Signs the discrepancy report off: records who and "
                                         "when, and the findings signed.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("reconcile signoff", "it takes no arguments");
  if (who == NULL || *g_strstrip (who) == '\0')
    return wk_cli_usage ("reconcile signoff", "say who signs: --who \"NAME\"");
  if (!session_open (&session, config_path, who))
    return WK_CLI_EXIT_FAILED;
  if (episode != NULL)
    json_object_set_string_member (params, "episode", episode);
  /* Sign what is shown: the findings as they are now, unless a digest was read before. */
  if (digest == NULL)
    {
      report = call_object (&session, "reconcile.report", params, CALL_TIMEOUT_MS);
      if (report == NULL)
        return WK_CLI_EXIT_FAILED;
      print_report (&session, report);
      json_object_set_string_member (params, "digest", member_string (report, "digest"));
    }
  else
    json_object_set_string_member (params, "digest", digest);
  json_object_set_string_member (params, "who", session.who);
  if (note != NULL)
    json_object_set_string_member (params, "note", note);
  signed_report = call_object (&session, "reconcile.signoff", params, CALL_TIMEOUT_MS);
  if (signed_report == NULL)
    return WK_CLI_EXIT_FAILED;
  {
    JsonObject      *signoff = json_object_get_object_member (signed_report, "signed_off");
    g_autofree char *at = local_time (&session, member_string (signoff, "at"));

    printf ("\nSigned off by %s, %s (%" G_GINT64_FORMAT " findings).\n",
            member_string (signoff, "by"), at, member_int (signoff, "findings"));
  }
  return WK_CLI_EXIT_OK;
}

/* ---- export ---- */

static int
export_hl7 (Session *session, JsonObject *params)
{
  g_autoptr (JsonObject) result
      = call_object (session, "reconcile.export", params, EXPORT_TIMEOUT_MS);
  const char *stopped;

  if (result == NULL)
    return WK_CLI_EXIT_FAILED;
  if (member_int (result, "total") == 0)
    {
      printf ("Nothing to send: every entry was exported over HL7 before (--again sends them "
              "again).\n");
      return WK_CLI_EXIT_OK;
    }
  printf ("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " RAS^O17 messages acknowledged by %s.\n",
          member_int (result, "sent"), member_int (result, "total"),
          member_string (result, "destination"));
  stopped = member_string (result, "stopped");
  if (stopped != NULL)
    {
      printf ("Stopped: %s\nThe rest were not sent: run the export again once the interface "
              "engine takes them.\n",
              stopped);
      return WK_CLI_EXIT_FAILED;
    }
  return WK_CLI_EXIT_OK;
}

static int
export_file (Session *session, JsonObject *params, const char *output, gboolean force)
{
  g_autoptr (JsonObject) first = call_object (session, "reconcile.export", params, CALL_TIMEOUT_MS);
  g_autoptr (GString) content = g_string_new (NULL);
  g_autoptr (JsonObject) commit = json_object_new ();
  g_autoptr (JsonObject) committed = NULL;
  const char *token;
  JsonObject *part;
  gint64      entries;

  if (first == NULL)
    return WK_CLI_EXIT_FAILED;
  token = member_string (first, "token");
  entries = member_int (first, "entries");
  if (entries == 0)
    {
      fprintf (stderr,
               "Nothing to export: every entry was exported as %s before (--again "
               "exports them again).\n",
               member_string (first, "format"));
      return WK_CLI_EXIT_OK;
    }
  /* The parts, then the file, then the record that it was exported. */
  for (part = first;;)
    {
      g_autoptr (JsonObject) params_next = json_object_new ();
      JsonObject *next;

      g_string_append (content, member_string (part, "data"));
      if (json_object_get_boolean_member (part, "complete"))
        break;
      json_object_set_string_member (params_next, "token", token);
      json_object_set_int_member (params_next, "offset", member_int (part, "offset"));
      next = call_object (session, "reconcile.export.fetch", params_next, CALL_TIMEOUT_MS);
      if (next == NULL)
        return WK_CLI_EXIT_FAILED;
      if (part != first)
        json_object_unref (part);
      part = next;
    }
  if (part != first)
    json_object_unref (part);
  if (!write_private (output, content->str, content->len, force))
    return WK_CLI_EXIT_FAILED;
  json_object_set_string_member (commit, "token", token);
  json_object_set_string_member (commit, "who", session->who);
  json_object_set_string_member (commit, "destination",
                                 output != NULL ? output : "standard output");
  committed = call_object (session, "reconcile.export.commit", commit, CALL_TIMEOUT_MS);
  memset (content->str, 0, content->len);
  if (committed == NULL)
    return WK_CLI_EXIT_FAILED;
  fprintf (stderr, "%" G_GINT64_FORMAT " administrations exported as %s%s%s.\n",
           member_int (committed, "exported"), member_string (committed, "format"),
           output != NULL ? " to " : "", output != NULL ? output : "");
  return WK_CLI_EXIT_OK;
}

static int
reconcile_export (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *format = NULL;
  g_autofree char *episode = NULL;
  g_autofree char *output = NULL;
  g_autofree char *who = NULL;
  gboolean         again = FALSE, force = FALSE;
  GOptionEntry     entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
          "hl7 (RAS^O17 to [reconcile] export-address), fhir (an R4 Bundle) or csv", "FORMAT" },
        { "episode", 'e', 0, G_OPTION_ARG_STRING, &episode,
          "Only this downtime episode's entries (default: every entry not yet exported)", "ID" },
        { "again", 0, 0, G_OPTION_ARG_NONE, &again,
          "Export again entries already exported in this format", NULL },
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
          "Write fhir or csv to FILE (made mode 0600) instead of standard output", "FILE" },
        { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Show fhir or csv on a terminal", NULL },
        { "who", 'w', 0, G_OPTION_ARG_STRING, &who, "Who exports (default: your user name)", "NAME" },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_auto (Session) session = { 0 };
  g_autoptr (JsonObject) params = json_object_new ();

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Exports what was keyed in for back-entry into the "
                                         "EPR. Nothing is exported twice in one format unless "
                                         "--again says so.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("reconcile export", "it takes no arguments");
  if (format == NULL
      || (strcmp (format, "hl7") != 0 && strcmp (format, "fhir") != 0
          && strcmp (format, "csv") != 0))
    return wk_cli_usage ("reconcile export", "say --format hl7, fhir or csv");
  if (strcmp (format, "hl7") == 0 && output != NULL)
    return wk_cli_usage ("reconcile export", "hl7 goes to the interface engine, not a file");
  if (!session_open (&session, config_path, who))
    return WK_CLI_EXIT_FAILED;
  json_object_set_string_member (params, "format", format);
  json_object_set_string_member (params, "who", session.who);
  json_object_set_boolean_member (params, "again", again);
  if (episode != NULL)
    json_object_set_string_member (params, "episode", episode);
  if (strcmp (format, "hl7") == 0)
    return export_hl7 (&session, params);
  return export_file (&session, params, output, force);
}

/* ---- dispatch ---- */

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} subcommands[] = {
  { "scan", reconcile_scan, "FILE... | -: mark returned pages from scans or a USB scanner" },
  { "status", reconcile_status, "per episode: charts printed, returned, missing pages" },
  { "show", reconcile_show, "CHART: a returned chart as printed, with what was keyed in" },
  { "enter", reconcile_enter, "CHART --order ID ...: key in what a box says (or --batch)" },
  { "report", reconcile_report, "the discrepancy report (--json, --pdf FILE)" },
  { "signoff", reconcile_signoff, "--who NAME: sign the discrepancy report off" },
  { "export", reconcile_export, "--format hl7|fhir|csv: export for back-entry" },
};

/**
 * wk_cli_reconcile:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "reconcile"
 *
 * Runs `wardkeep reconcile SUBCOMMAND`.
 *
 * Returns: the exit status
 */
int
wk_cli_reconcile (int argc, char **argv)
{
  if (argc >= 2)
    for (gsize i = 0; i < G_N_ELEMENTS (subcommands); i++)
      if (strcmp (argv[1], subcommands[i].name) == 0)
        {
          g_autofree char *name = g_strdup_printf ("reconcile %s", argv[1]);
          char            *saved = argv[1];
          int              status;

          argv[1] = name;
          status = subcommands[i].run (argc - 1, argv + 1);
          argv[1] = saved;
          return status;
        }
  fprintf (stderr, "Usage: wardkeep reconcile SUBCOMMAND [OPTIONS]\n\n"
                   "After a downtime: scan the returned paper charts, key in what was given,\n"
                   "review the discrepancies, sign them off and export for back-entry.\n\n");
  for (gsize i = 0; i < G_N_ELEMENTS (subcommands); i++)
    fprintf (stderr, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
  fprintf (stderr, "\nRun 'wardkeep reconcile SUBCOMMAND --help' for its options.\n");
  return argc >= 2 && strcmp (argv[1], "--help") != 0 && strcmp (argv[1], "help") != 0
             ? WK_CLI_EXIT_USAGE
             : (argc >= 2 ? WK_CLI_EXIT_OK : WK_CLI_EXIT_USAGE);
}
