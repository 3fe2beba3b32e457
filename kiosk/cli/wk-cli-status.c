/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-status.c — `wardkeep status` and `wardkeep downtime declare|end`: what the daemon
 * says, in words, and a person's declaration. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-control.h"
#include "wk-store.h"

#include <stdio.h>
#include <string.h>

#define CALL_TIMEOUT_MS 15000

static const char *
text (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
number (JsonObject *object, const char *member, gint64 otherwise)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return otherwise;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64)json_node_get_double (node);
  return otherwise;
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

/* An ISO 8601 time from the daemon, as the ward reads it: "03:12" today, else with the day. */
static char *
local_time (const char *iso, GTimeZone *zone)
{
  g_autoptr (GDateTime) when = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) now = NULL;

  if (when == NULL)
    return g_strdup ("unknown");
  local = g_date_time_to_timezone (when, zone);
  now = g_date_time_new_now (zone);
  if (g_date_time_get_year (now) == g_date_time_get_year (local)
      && g_date_time_get_day_of_year (now) == g_date_time_get_day_of_year (local))
    return g_date_time_format (local, "%H:%M");
  return g_date_time_format (local, "%a %d %b %H:%M");
}

static char *
age (gint64 seconds)
{
  if (seconds < 60)
    return g_strdup ("less than a minute old");
  if (seconds < 2 * 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min old", seconds / 60);
  if (seconds < 2 * 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min old", seconds / 3600,
                            seconds % 3600 / 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " days old", seconds / 86400);
}

static void
print_status (JsonObject *status)
{
  JsonObject *ward = object (status, "ward");
  JsonObject *episode = object (status, "episode");
  JsonObject *drill = object (status, "drill");
  JsonObject *snapshot = object (status, "snapshot");
  JsonObject *feed = object (status, "feed");
  JsonObject *print = object (status, "print");
  JsonArray  *probes = array (status, "probes");
  JsonArray  *printers = array (status, "printers");
  JsonArray  *warnings = array (status, "warnings");
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier (
      text (ward, "timezone") != NULL ? text (ward, "timezone") : "Europe/London");
  g_autofree char *mode
      = g_ascii_strup (text (status, "mode") != NULL ? text (status, "mode") : "?", -1);
  g_autofree char *since = NULL;

  if (zone == NULL)
    zone = g_time_zone_new_utc ();
  since = local_time (text (status, "since"), zone);
  printf ("Ward %s — %s since %s: %s\n",
          text (ward, "name") != NULL ? text (ward, "name") : text (ward, "id"), mode, since,
          text (status, "reason") != NULL ? text (status, "reason") : "");
  if (drill != NULL)
    {
      g_autofree char *real = g_ascii_strup (
          text (status, "real_mode") != NULL ? text (status, "real_mode") : "?", -1);
      g_autofree char *phase
          = g_ascii_strup (text (drill, "phase") != NULL ? text (drill, "phase") : "?", -1);

      printf ("  This is a DRILL (%s, started by %s); its phase: %s. Really: %s.\n",
              text (drill, "scenario"), text (drill, "who") != NULL ? text (drill, "who") : "?",
              phase, real);
    }
  if (episode != NULL)
    {
      g_autofree char *started = local_time (text (episode, "started_at"), zone);
      gint64           out = number (episode, "documents_out", 0);
      gint64           failed = number (episode, "documents_not_printed", 0);
      g_autofree char *paper = NULL;

      if (text (episode, "print_request") == NULL)
        paper = g_strdup ("The ward has not been printed for it yet.");
      else if (!flag (episode, "printed"))
        paper = g_strdup_printf ("The ward is being printed: %" G_GINT64_FORMAT
                                 " document(s) with a printer so far.",
                                 out);
      else if (failed > 0)
        paper = g_strdup_printf ("The ward's print is over: %" G_GINT64_FORMAT
                                 " document(s) went to a printer, %" G_GINT64_FORMAT
                                 " were NOT printed.",
                                 out, failed);
      else
        paper = g_strdup_printf (
            "The ward was printed: %" G_GINT64_FORMAT " document(s) went to a printer.", out);
      printf ("Episode %s: %s, since %s%s%s. %s\n", text (episode, "id"), text (episode, "kind"),
              started, text (episode, "who") != NULL ? ", by " : "",
              text (episode, "who") != NULL ? text (episode, "who") : "", paper);
    }

  /* How old the data on paper would be. */
  if (text (status, "data_as_of") != NULL)
    {
      g_autofree char *when = local_time (text (status, "data_as_of"), zone);
      g_autofree char *old = age (number (status, "data_age_seconds", 0));

      printf ("Data as of %s, %s", when, old);
      if (snapshot != NULL && number (snapshot, "seq", 0) > 0)
        {
          g_autofree char *written = local_time (text (snapshot, "created_at"), zone);

          printf (" (newest snapshot %" G_GINT64_FORMAT ", written %s)",
                  number (snapshot, "seq", 0), written);
        }
      printf ("\n");
    }
  else
    printf ("No data: there is no snapshot yet, so nothing can be printed.\n");

  if (feed != NULL)
    {
      g_autofree char *last = local_time (text (feed, "last_message_at"), zone);

      if (!flag (feed, "listening"))
        printf ("Feed: NOT RECEIVING");
      else if (text (feed, "last_message_at") == NULL)
        printf ("Feed: no HL7 message yet (port %" G_GINT64_FORMAT ")", number (feed, "port", 0));
      else
        printf ("Feed: last message %s, %.0f a minute, %" G_GINT64_FORMAT " connection(s)", last,
                json_object_get_double_member_with_default (feed, "messages_per_minute", 0),
                number (feed, "connections", 0));
      if (text (feed, "last_error") != NULL)
        printf (" — last problem: %s", text (feed, "last_error"));
      printf ("\n");
    }
  for (guint i = 0; probes != NULL && i < json_array_get_length (probes); i++)
    {
      JsonObject      *probe = json_array_get_object_element (probes, i);
      JsonNode        *ok = json_object_get_member (probe, "ok");
      g_autofree char *at = local_time (text (probe, "at"), zone);

      printf ("%s %s: %s — %s (%s)\n", i == 0 ? "Probes:" : "       ", text (probe, "name"),
              ok == NULL || JSON_NODE_HOLDS_NULL (ok) ? "not run yet"
              : json_node_get_boolean (ok)            ? "answers"
                                                      : "FAILS",
              text (probe, "reason") != NULL ? text (probe, "reason") : "", at);
    }
  if (probes == NULL || json_array_get_length (probes) == 0)
    printf ("Probes: none; downtime only when declared or planned\n");
  for (guint i = 0; printers != NULL && i < json_array_get_length (printers); i++)
    {
      JsonObject *printer = json_array_get_object_element (printers, i);

      printf ("%s %s%s%s%s: %s\n", i == 0 ? "Printers:" : "         ", text (printer, "name"),
              text (printer, "description") != NULL ? " (" : "",
              text (printer, "description") != NULL ? text (printer, "description") : "",
              text (printer, "description") != NULL ? ")" : "",
              text (printer, "summary") != NULL ? text (printer, "summary") : "?");
    }
  if (print != NULL)
    {
      g_autofree char *started = local_time (text (print, "started_at"), zone);

      printf ("Last print: %s%s%s, %s by %s: %" G_GINT64_FORMAT " document(s), %" G_GINT64_FORMAT
              " accepted by a printer, %" G_GINT64_FORMAT " printed, %" G_GINT64_FORMAT
              " NOT printed%s\n",
              text (print, "what"), flag (print, "drill") ? " (DRILL)" : "",
              flag (print, "automatic") ? " (by itself, for the downtime)" : "", started,
              text (print, "requested_by"), number (print, "documents", 0),
              number (print, "accepted", 0), number (print, "completed", 0),
              number (print, "failed", 0), flag (print, "finished") ? "" : "; still printing");
      if (text (print, "error") != NULL)
        printf ("  It failed: %s\n", text (print, "error"));
    }
  for (guint i = 0; warnings != NULL && i < json_array_get_length (warnings); i++)
    printf ("%s %s\n", i == 0 ? "Warnings:" : "         ",
            json_array_get_string_element (warnings, i));
}

/* The daemon is not running: say so plainly, and how old the newest snapshot is, if it
 * can be read. */
static int
not_running (WkConfig *config, const GError *error)
{
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (GPtrArray) list = NULL;

  printf ("wardkeepd is NOT running: this ward is not being watched, and nothing will print by "
          "itself.\n(%s)\nStart it with: systemctl start wardkeepd (its log: journalctl -u "
          "wardkeepd).\n",
          error->message);
  keys = wk_keys_load (wk_config_get_string (config, "keys", "file"), NULL);
  if (keys != NULL)
    store = wk_store_new_from_config (config, keys, NULL, NULL);
  if (store != NULL)
    list = wk_store_list (store, FALSE, NULL);
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      WkSnapshotInfo *info = list->pdata[i];

      if (info->error == NULL && info->created_at > 0)
        {
          g_autoptr (GTimeZone) zone
              = g_time_zone_new_identifier (wk_config_get_string (config, "ward", "timezone"));
          g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (info->created_at);
          g_autoptr (GDateTime) local = g_date_time_to_timezone (when, zone);
          g_autofree char *at = g_date_time_format (local, "%a %d %b %H:%M");
          g_autofree char *old = age (g_get_real_time () / G_USEC_PER_SEC - info->created_at);

          printf ("The newest snapshot is %" G_GUINT64_FORMAT ", written %s, %s: 'wardkeep print' "
                  "prints from it.\n",
                  info->seq, at, old);
          break;
        }
    }
  return WK_CLI_EXIT_NOT_RUNNING;
}

/**
 * wk_cli_status:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "status"
 *
 * Prints what the daemon says: its mode, since when and why, the episode, how old the data
 * is, the feed, probes, printers, the last print and warnings; `--json` prints the status
 * object as the daemon sends it.
 *
 * Returns: 0 when the daemon answered, 3 when it is not running, 1 when it could not be
 *   asked, 2 for a usage error
 */
int
wk_cli_status (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean         json = FALSE;
  GOptionEntry     entries[] = {
        { "json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print the daemon's status object as JSON", NULL },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_autoptr (WkConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Says what the daemon wardkeepd is doing: online or in "
                                         "downtime, since when and why, how old the ward's data "
                                         "is, the feed, the probes, the printers and the last "
                                         "print. Exit status 3 when the daemon is not running.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("status", "unexpected argument \"%s\"", argv[1]);
  config = wk_cli_load_config (config_path);
  if (config == NULL)
    return WK_CLI_EXIT_FAILED;
  status = wk_control_call_sync (wk_config_get_string (config, "daemon", "control-socket"),
                                 "status", NULL, CALL_TIMEOUT_MS, &error);
  if (status == NULL)
    {
      if (g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING))
        {
          if (json)
            {
              printf ("{\"running\": false, \"error\": {\"code\": \"not-running\", \"message\": "
                      "\"%s\"}}\n",
                      "wardkeepd is not running");
              return WK_CLI_EXIT_NOT_RUNNING;
            }
          return not_running (config, error);
        }
      return wk_cli_fail ("%s", error->message);
    }
  if (json)
    {
      g_autofree char *text = json_to_string (status, TRUE);

      printf ("%s\n", text);
      return WK_CLI_EXIT_OK;
    }
  if (!JSON_NODE_HOLDS_OBJECT (status))
    return wk_cli_fail ("The daemon's status is not an object");
  print_status (json_node_get_object (status));
  return WK_CLI_EXIT_OK;
}

/**
 * wk_cli_downtime:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "downtime"
 *
 * Declares downtime (the ward goes to DOWNTIME and is printed at once) or ends it.
 *
 * Returns: 0 when the daemon did it, 1 when it refused, 3 when it is not running, 2 for a
 *   usage error
 */
int
wk_cli_downtime (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *who = NULL;
  GOptionEntry     entries[] = {
        { "reason", 'r', 0, G_OPTION_ARG_STRING, &reason, "Why, in words staff understand", "TEXT" },
        { "who", 'w', 0, G_OPTION_ARG_STRING, &who, "Who (default: your user name)", "NAME" },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new ("declare|end");
  g_autoptr (WkConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  gboolean declare;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context, "declare: the ward goes on paper now (DOWNTIME) and is printed at once; answering "
               "probes do not end it.\nend: ends a declared downtime (the ward is back ONLINE "
               "once the central systems answer).");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 2 || (strcmp (argv[1], "declare") != 0 && strcmp (argv[1], "end") != 0))
    return wk_cli_usage ("downtime", "say declare or end");
  declare = strcmp (argv[1], "declare") == 0;
  if (reason == NULL || *g_strstrip (reason) == '\0')
    return wk_cli_usage ("downtime", "give the reason with --reason TEXT");
  config = wk_cli_load_config (config_path);
  if (config == NULL)
    return WK_CLI_EXIT_FAILED;
  json_object_set_string_member (params, "reason", reason);
  json_object_set_string_member (params, "who", who != NULL ? who : g_get_user_name ());
  status = wk_control_call_sync (wk_config_get_string (config, "daemon", "control-socket"),
                                 declare ? "downtime.declare" : "downtime.end", params,
                                 CALL_TIMEOUT_MS, &error);
  if (status == NULL)
    {
      if (g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING))
        {
          fprintf (stderr,
                   "wardkeep: wardkeepd is not running, so downtime cannot be %s. Print the ward "
                   "by hand: wardkeep print ward\n",
                   declare ? "declared" : "ended");
          return WK_CLI_EXIT_NOT_RUNNING;
        }
      return wk_cli_fail ("%s", error->message);
    }
  if (declare)
    printf ("Downtime declared: the ward is printed now.\n");
  else
    printf ("Downtime ended.\n");
  if (JSON_NODE_HOLDS_OBJECT (status))
    print_status (json_node_get_object (status));
  return WK_CLI_EXIT_OK;
}
