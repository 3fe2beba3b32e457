/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-status.c — what the banner shows: the daemon's status, read from its JSON.
 *
 * The status object is the contract of README "Status and control": fields are added
 * over time and never renamed, absent facts are null. So a field that is missing or
 * null reads as "not known", and an unknown field is ignored; only a status that is not
 * an object, or whose mode is not one of the five, is refused. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-status.h"

#include "wk-kiosk-error.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (WkKioskStatus, wk_kiosk_status, wk_kiosk_status_copy, wk_kiosk_status_free)

static const char *const mode_names[]
    = { "unknown", "online", "suspect", "downtime", "recovering", "drill" };

/**
 * wk_kiosk_mode_to_string:
 * @mode: a mode
 *
 * Returns: its name in the protocol: `online`, `downtime`, ...
 */
const char *
wk_kiosk_mode_to_string (WkKioskMode mode)
{
  g_return_val_if_fail (mode <= WK_KIOSK_MODE_DRILL, "unknown");
  return mode_names[mode];
}

/**
 * wk_kiosk_mode_from_string:
 * @text: (nullable): a mode as the protocol names it
 *
 * Returns: the mode, %WK_KIOSK_MODE_UNKNOWN for anything else
 */
WkKioskMode
wk_kiosk_mode_from_string (const char *text)
{
  for (guint i = 1; text != NULL && i < G_N_ELEMENTS (mode_names); i++)
    if (strcmp (text, mode_names[i]) == 0)
      return i;
  return WK_KIOSK_MODE_UNKNOWN;
}

/**
 * wk_kiosk_parse_time:
 * @iso8601: (nullable): an ISO 8601 time with an offset or Z
 *
 * Returns: the time in UTC seconds, 0 when @iso8601 is %NULL or not a time
 */
gint64
wk_kiosk_parse_time (const char *iso8601)
{
  g_autoptr (GDateTime) t = NULL;

  if (iso8601 == NULL)
    return 0;
  t = g_date_time_new_from_iso8601 (iso8601, NULL);
  return t != NULL ? g_date_time_to_unix (t) : 0;
}

/**
 * wk_kiosk_printer_new:
 * @name: the printer's name
 * @description: (nullable): where it is
 *
 * Returns: (transfer full): a printer whose state is not known yet
 */
WkKioskPrinter *
wk_kiosk_printer_new (const char *name, const char *description)
{
  WkKioskPrinter *printer = g_new0 (WkKioskPrinter, 1);

  printer->name = g_strdup (name);
  printer->description = g_strdup (description);
  printer->accepting = TRUE;
  return printer;
}

/**
 * wk_kiosk_printer_copy:
 * @printer: a printer
 *
 * Returns: (transfer full): a copy
 */
WkKioskPrinter *
wk_kiosk_printer_copy (const WkKioskPrinter *printer)
{
  WkKioskPrinter *copy = wk_kiosk_printer_new (printer->name, printer->description);

  copy->state = g_strdup (printer->state);
  copy->accepting = printer->accepting;
  copy->summary = g_strdup (printer->summary);
  copy->problem = printer->problem;
  return copy;
}

/**
 * wk_kiosk_printer_free:
 * @printer: (nullable): a printer
 */
void
wk_kiosk_printer_free (WkKioskPrinter *printer)
{
  if (printer == NULL)
    return;
  g_free (printer->name);
  g_free (printer->description);
  g_free (printer->state);
  g_free (printer->summary);
  g_free (printer);
}

static GPtrArray *
copy_printers (GPtrArray *printers)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_kiosk_printer_free);

  for (guint i = 0; printers != NULL && i < printers->len; i++)
    g_ptr_array_add (copy, wk_kiosk_printer_copy (printers->pdata[i]));
  return copy;
}

/**
 * wk_kiosk_status_new_offline:
 * @printers: (nullable) (element-type WkKioskPrinter): the printers the kiosk knows,
 *   copied
 *
 * Returns: (transfer full): the status when no daemon answers: mode unknown
 */
WkKioskStatus *
wk_kiosk_status_new_offline (GPtrArray *printers)
{
  WkKioskStatus *status = g_new0 (WkKioskStatus, 1);

  status->printers = copy_printers (printers);
  status->warnings = g_new0 (char *, 1);
  return status;
}

/**
 * wk_kiosk_status_copy:
 * @status: a status
 *
 * Returns: (transfer full): a deep copy
 */
WkKioskStatus *
wk_kiosk_status_copy (const WkKioskStatus *status)
{
  WkKioskStatus *copy = g_new0 (WkKioskStatus, 1);

  *copy = *status;
  copy->reason = g_strdup (status->reason);
  copy->episode_kind = g_strdup (status->episode_kind);
  copy->drill_scenario = g_strdup (status->drill_scenario);
  copy->snapshot_error = g_strdup (status->snapshot_error);
  copy->feed_error = g_strdup (status->feed_error);
  copy->printers = copy_printers (status->printers);
  copy->warnings = g_strdupv (status->warnings);
  copy->print_what = g_strdup (status->print_what);
  return copy;
}

/**
 * wk_kiosk_status_free:
 * @status: (nullable): a status
 */
void
wk_kiosk_status_free (WkKioskStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->reason);
  g_free (status->episode_kind);
  g_free (status->drill_scenario);
  g_free (status->snapshot_error);
  g_free (status->feed_error);
  g_clear_pointer (&status->printers, g_ptr_array_unref);
  g_strfreev (status->warnings);
  g_free (status->print_what);
  g_free (status);
}

/* Readers that take a missing member, a null or a value of another type as not known. */
static JsonObject *
get_object (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
get_string (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

static gint64
get_int (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64)json_node_get_double (node);
  return 0;
}

static gboolean
get_bool (JsonObject *object, const char *member, gboolean fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_BOOLEAN
             ? json_node_get_boolean (node)
             : fallback;
}

static JsonArray *
get_array (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
read_printers (WkKioskStatus *status, JsonArray *printers)
{
  for (guint i = 0; printers != NULL && i < json_array_get_length (printers); i++)
    {
      JsonNode       *node = json_array_get_element (printers, i);
      JsonObject     *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      WkKioskPrinter *printer;

      if (object == NULL || get_string (object, "name") == NULL)
        continue;
      printer
          = wk_kiosk_printer_new (get_string (object, "name"), get_string (object, "description"));
      printer->state = g_strdup (get_string (object, "state"));
      printer->accepting = get_bool (object, "accepting", TRUE);
      printer->summary = g_strdup (get_string (object, "summary"));
      /* Anything but an idle or printing printer that accepts jobs needs someone. */
      printer->problem
          = get_bool (object, "problem",
                      !printer->accepting
                          || (printer->state != NULL && strcmp (printer->state, "idle") != 0
                              && strcmp (printer->state, "processing") != 0));
      g_ptr_array_add (status->printers, printer);
    }
}

/**
 * wk_kiosk_status_new_from_json:
 * @node: the `result` of a `status` request, or the `params` of a `status` event
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the status, or %NULL when @node is not a status
 */
WkKioskStatus *
wk_kiosk_status_new_from_json (JsonNode *node, GError **error)
{
  g_autoptr (WkKioskStatus) status = NULL;
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  JsonObject *object, *episode, *drill, *snapshot, *feed, *print;
  JsonArray  *list;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_DAEMON,
                   "The daemon's status is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (node);
  status = wk_kiosk_status_new_offline (NULL);
  status->daemon = TRUE;
  status->mode = wk_kiosk_mode_from_string (get_string (object, "mode"));
  if (status->mode == WK_KIOSK_MODE_UNKNOWN)
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_DAEMON,
                   "The daemon's status has no mode this kiosk knows (\"%s\")",
                   get_string (object, "mode") != NULL ? get_string (object, "mode") : "none");
      return NULL;
    }
  status->real_mode = wk_kiosk_mode_from_string (get_string (object, "real_mode"));
  status->since = wk_kiosk_parse_time (get_string (object, "since"));
  status->reason = g_strdup (get_string (object, "reason"));

  episode = get_object (object, "episode");
  status->episode_kind = g_strdup (get_string (episode, "kind"));
  status->episode_printed = get_bool (episode, "printed", FALSE);
  drill = get_object (object, "drill");
  status->drill_scenario = g_strdup (get_string (drill, "scenario"));

  snapshot = get_object (object, "snapshot");
  status->snapshot_seq = get_int (snapshot, "seq");
  status->snapshot_created_at = wk_kiosk_parse_time (get_string (snapshot, "created_at"));
  status->snapshot_error = g_strdup (get_string (snapshot, "last_error"));

  feed = get_object (object, "feed");
  status->feed_last_message_at = wk_kiosk_parse_time (get_string (feed, "last_message_at"));
  status->feed_silent = get_bool (feed, "silent", FALSE);
  status->feed_connections = get_int (feed, "connections");
  status->feed_error = g_strdup (get_string (feed, "last_error"));

  read_printers (status, get_array (object, "printers"));

  list = get_array (object, "warnings");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *w = json_array_get_element (list, i);

      if (JSON_NODE_HOLDS_VALUE (w) && json_node_get_value_type (w) == G_TYPE_STRING)
        g_ptr_array_add (warnings, g_strdup (json_node_get_string (w)));
    }
  g_ptr_array_add (warnings, NULL);
  g_strfreev (status->warnings);
  status->warnings = (GStrv)g_ptr_array_steal (warnings, NULL);

  print = get_object (object, "print");
  status->print_what = g_strdup (get_string (print, "what"));
  list = get_array (print, "documents");
  status->print_documents
      = list != NULL ? json_array_get_length (list) : get_int (print, "documents");
  status->print_completed = get_int (print, "completed");
  status->print_failed = get_int (print, "failed");
  status->print_finished = get_bool (print, "finished", get_string (print, "finished_at") != NULL);
  return g_steal_pointer (&status);
}
