/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-daemon.c — the kiosk's link to wardkeepd: status, events, requests.
 *
 * The kiosk follows the daemon over the control socket (README "Status and control"):
 * it subscribes to events, asks for the status and the print queue whenever it
 * (re)connects, and keeps the banner's status from the daemon's status events. The
 * client reconnects by itself every two seconds; while the daemon is not there, the
 * status is the offline one and the kiosk says so. Nothing here blocks: the client is
 * asynchronous GIO. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-control.h"
#include "wk-kiosk-error.h"
#include "wk-kiosk-private.h"

#include <glib/gi18n.h>

#define RECONNECT_MS 2000
/* Print events come in bursts (one per document and step): the queue is asked for once
 * a burst has settled. */
#define JOBS_DELAY_MS 400

typedef struct
{
  WkControlClient *client;
  gboolean         connected;
  gboolean         subscribed;
  guint            jobs_id;
  GPtrArray       *jobs; /* WkKioskJob from the daemon */
} DaemonLink;

static DaemonLink *
link_of (WkKiosk *self)
{
  return self->daemon;
}

/* ---- The print queue ------------------------------------------------------------------ */

static gint64
latest_time (JsonObject *object)
{
  gint64 latest = 0;
  g_autoptr (GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode   *node = json_object_get_member (object, name);

      if (g_str_has_suffix (name, "_at") && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING)
        latest = MAX (latest, wk_kiosk_parse_time (json_node_get_string (node)));
    }
  return latest;
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

static gint64
int_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_INT64
             ? json_node_get_int (node)
             : 0;
}

/**
 * _wk_kiosk_jobs_from_json:
 * @node: the result of a `jobs` request
 *
 * Returns: (transfer full) (element-type WkKioskJob): the jobs, in the daemon's order
 *   (newest first); the ones that make no sense are left out
 */
GPtrArray *
_wk_kiosk_jobs_from_json (JsonNode *node)
{
  GPtrArray  *jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_kiosk_job_free);
  JsonObject *object
      = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode  *list = object != NULL ? json_object_get_member (object, "jobs") : NULL;
  JsonArray *array
      = list != NULL && JSON_NODE_HOLDS_ARRAY (list) ? json_node_get_array (list) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode   *element = json_array_get_element (array, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      WkKioskJob *job;

      if (item == NULL || string_member (item, "chart") == NULL)
        continue;
      job = g_new0 (WkKioskJob, 1);
      job->chart = g_strdup (string_member (item, "chart"));
      job->kind = g_strdup (string_member (item, "kind"));
      job->patient_id = int_member (item, "patient");
      job->pages = int_member (item, "pages");
      job->printer = g_strdup (string_member (item, "printer"));
      job->state = g_strdup (string_member (item, "state") != NULL ? string_member (item, "state")
                                                                   : "queued");
      job->reason = g_strdup (string_member (item, "reason"));
      job->requested_by = g_strdup (string_member (item, "requested_by"));
      job->updated_at = latest_time (item);
      job->drill
          = json_object_has_member (item, "drill")
            && JSON_NODE_HOLDS_VALUE (json_object_get_member (item, "drill"))
            && json_node_get_value_type (json_object_get_member (item, "drill")) == G_TYPE_BOOLEAN
            && json_object_get_boolean_member (item, "drill");
      g_ptr_array_add (jobs, job);
    }
  return jobs;
}

static void
jobs_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKiosk) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &error);
  DaemonLink *link = link_of (self);

  if (node == NULL || link == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The daemon's print queue is not available: %s", error->message);
      return;
    }
  g_clear_pointer (&link->jobs, g_ptr_array_unref);
  link->jobs = _wk_kiosk_jobs_from_json (node);
  _wk_kiosk_merge_jobs (self, link->jobs);
}

static gboolean
jobs_timeout_cb (gpointer user_data)
{
  WkKiosk    *self = user_data;
  DaemonLink *link = link_of (self);

  link->jobs_id = 0;
  if (link->connected)
    wk_control_client_call_async (link->client, "jobs", NULL, self->cancellable, jobs_done_cb,
                                  g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
refresh_jobs (WkKiosk *self)
{
  DaemonLink *link = link_of (self);

  if (link->jobs_id == 0)
    link->jobs_id = g_timeout_add (JOBS_DELAY_MS, jobs_timeout_cb, self);
}

/* ---- Status --------------------------------------------------------------------------- */

static void
take_status (WkKiosk *self, JsonNode *node)
{
  g_autoptr (GError) error = NULL;
  WkKioskStatus *status = wk_kiosk_status_new_from_json (node, &error);

  if (status == NULL)
    {
      g_warning ("Ignoring a status from the daemon: %s", error->message);
      return;
    }
  _wk_kiosk_set_status (self, status);
}

static void
status_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKiosk) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &error);

  if (node != NULL)
    take_status (self, node);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("The daemon did not give its status: %s", error->message);
}

static void
event_cb (WkControlClient *client, const char *event, JsonObject *params, WkKiosk *self)
{
  if (g_strcmp0 (event, "status") == 0 && params != NULL)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), params);

      take_status (self, node);
    }
  else if (g_strcmp0 (event, "print") == 0)
    refresh_jobs (self);
}

static void
subscribed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKiosk) self = user_data;
  g_autoptr (GError) error = NULL;
  DaemonLink *link = link_of (self);

  if (!wk_control_client_subscribe_finish (WK_CONTROL_CLIENT (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Not following the daemon's events: %s", error->message);
      return;
    }
  if (link != NULL)
    link->subscribed = TRUE;
}

static void
connected_cb (WkControlClient *client, WkKiosk *self)
{
  DaemonLink *link = link_of (self);

  if (!link->connected)
    g_message ("Following the daemon at %s", wk_control_client_get_path (client));
  link->connected = TRUE;
  /* The client subscribes again by itself after a reconnection. */
  if (!link->subscribed)
    wk_control_client_subscribe_async (client, self->cancellable, subscribed_cb,
                                       g_object_ref (self));
  wk_control_client_call_async (client, "status", NULL, self->cancellable, status_done_cb,
                                g_object_ref (self));
  refresh_jobs (self);
}

static void
go_offline (WkKiosk *self, const char *why)
{
  DaemonLink *link = link_of (self);

  if (link->connected)
    g_message ("The daemon is gone (%s): showing this kiosk's own data and printing directly", why);
  link->connected = FALSE;
  g_clear_pointer (&link->jobs, g_ptr_array_unref);
  _wk_kiosk_set_status (self, wk_kiosk_status_new_offline (self->printers));
  _wk_kiosk_merge_jobs (self, NULL);
}

static void
disconnected_cb (WkControlClient *client, const char *reason, WkKiosk *self)
{
  go_offline (self, reason);
}

static void
first_connect_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* The reference taken for the call only kept the kiosk alive until now. */
  g_object_unref (user_data);
  if (!wk_control_client_connect_finish (WK_CONTROL_CLIENT (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("The daemon does not answer at %s (%s): trying again every %d s",
               wk_control_client_get_path (WK_CONTROL_CLIENT (source)), error->message,
               RECONNECT_MS / 1000);
}

/**
 * _wk_kiosk_daemon_start:
 * @self: the kiosk
 *
 * Starts following the daemon at `[daemon] control-socket`.
 */
void
_wk_kiosk_daemon_start (WkKiosk *self)
{
  DaemonLink *link;

  if (self->daemon != NULL)
    return;
  link = g_new0 (DaemonLink, 1);
  self->daemon = link;
  link->client
      = wk_control_client_new (wk_config_get_string (self->config, "daemon", "control-socket"));
  wk_control_client_set_reconnect_interval (link->client, RECONNECT_MS);
  g_signal_connect (link->client, "connected", G_CALLBACK (connected_cb), self);
  g_signal_connect (link->client, "disconnected", G_CALLBACK (disconnected_cb), self);
  g_signal_connect (link->client, "event", G_CALLBACK (event_cb), self);
  wk_control_client_connect_async (link->client, self->cancellable, first_connect_cb,
                                   g_object_ref (self));
}

/**
 * _wk_kiosk_daemon_dispose:
 * @self: the kiosk
 *
 * Stops following the daemon.
 */
void
_wk_kiosk_daemon_dispose (WkKiosk *self)
{
  DaemonLink *link = link_of (self);

  if (link == NULL)
    return;
  g_clear_handle_id (&link->jobs_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (link->client, self);
  wk_control_client_close (link->client);
  g_clear_object (&link->client);
  g_clear_pointer (&link->jobs, g_ptr_array_unref);
  g_free (link);
  self->daemon = NULL;
}

/**
 * _wk_kiosk_daemon_is_connected:
 * @self: the kiosk
 *
 * Returns: whether the daemon answers
 */
gboolean
_wk_kiosk_daemon_is_connected (WkKiosk *self)
{
  DaemonLink *link = link_of (self);

  return link != NULL && link->connected && wk_control_client_is_connected (link->client);
}

/**
 * _wk_kiosk_daemon_call_async:
 * @self: the kiosk
 * @method: a method of the protocol
 * @params: (transfer full) (nullable): its parameters
 * @callback: called with the answer
 * @user_data: for @callback
 *
 * Calls the daemon; finish with wk_control_client_call_finish() on the source object.
 */
void
_wk_kiosk_daemon_call_async (WkKiosk            *self,
                             const char         *method,
                             JsonObject         *params,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  DaemonLink *link = link_of (self);
  g_autoptr (JsonObject) owned = params;

  wk_control_client_call_async (link->client, method, owned, self->cancellable, callback,
                                user_data);
}

/**
 * _wk_kiosk_daemon_refresh_jobs:
 * @self: the kiosk
 *
 * Asks the daemon for its print queue shortly.
 */
void
_wk_kiosk_daemon_refresh_jobs (WkKiosk *self)
{
  if (link_of (self) != NULL && link_of (self)->connected)
    refresh_jobs (self);
}

/**
 * _wk_kiosk_daemon_get_client:
 * @self: the kiosk
 *
 * Returns: (transfer none): the client of the daemon's control socket
 */
WkControlClient *
_wk_kiosk_daemon_get_client (WkKiosk *self)
{
  return link_of (self)->client;
}
