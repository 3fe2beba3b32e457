/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-service.c — the daemon's reconcile.* control methods.
 *
 * Thin: each method reads its parameters, calls wk-reconcile or wk-back-entry, and
 * answers with their JSON. Refusals a person caused (a forged code, a box that does not
 * exist) answer `refused` with the reason; things that do not exist `not-found`; the
 * model failing `failed`. An export to a file is prepared here, fetched by the client in
 * parts (the protocol's lines are at most 1 MiB) and recorded as exported only when the
 * client says it has written it. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-reconcile-service.h"

#include "wk-back-entry.h"
#include "wk-print-error.h"
#include "wk-snapshot-error.h"

#include <string.h>

/* A prepared export is forgotten after this long without being fetched and committed. */
#define PENDING_LIFETIME (15 * 60)

typedef struct
{
  WkBackEntryFile *file;
  gint64           created_at;
} Pending;

struct _WkReconcileService
{
  WkReconcile       *reconcile;
  WkReconcileNowFunc now_func;
  gpointer           now_data;
  GHashTable        *pending; /* token -> Pending */
};

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  wk_back_entry_file_free (pending->file);
  g_free (pending);
}

static gint64
real_now (gpointer data)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/**
 * wk_reconcile_service_new:
 * @reconcile: the reconciliation (borrowed; it must outlive the service)
 *
 * Returns: (transfer full): the service
 */
WkReconcileService *
wk_reconcile_service_new (WkReconcile *reconcile)
{
  WkReconcileService *service = g_new0 (WkReconcileService, 1);

  g_return_val_if_fail (reconcile != NULL, NULL);

  service->reconcile = reconcile;
  service->now_func = real_now;
  service->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  return service;
}

/**
 * wk_reconcile_service_free:
 * @service: (nullable) (transfer full): a #WkReconcileService, unregistered first
 */
void
wk_reconcile_service_free (WkReconcileService *service)
{
  if (service == NULL)
    return;
  g_hash_table_unref (service->pending);
  g_free (service);
}

/**
 * wk_reconcile_service_set_now_func:
 * @service: a #WkReconcileService
 * @func: (nullable): tells the time; %NULL for the real clock
 * @user_data: for @func
 *
 * For tests and demos: the time the methods take as now.
 */
void
wk_reconcile_service_set_now_func (WkReconcileService *service,
                                   WkReconcileNowFunc  func,
                                   gpointer            user_data)
{
  service->now_func = func != NULL ? func : real_now;
  service->now_data = user_data;
}

static gint64
now_of (WkReconcileService *service)
{
  return service->now_func (service->now_data);
}

/* Refusals a person caused read `refused`; what does not exist `not-found`. */
static void
return_error (WkControlCall *call, const GError *error)
{
  WkControlError code = WK_CONTROL_ERROR_FAILED;

  if (error->domain == WK_CONTROL_ERROR)
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  if (error->domain == WK_PRINT_ERROR && error->code != WK_PRINT_ERROR_FAILED)
    code = WK_CONTROL_ERROR_REFUSED;
  else if (error->domain == WK_SNAPSHOT_ERROR)
    switch (error->code)
      {
      case WK_SNAPSHOT_ERROR_NOT_FOUND:
        code = WK_CONTROL_ERROR_NOT_FOUND;
        break;
      case WK_SNAPSHOT_ERROR_INVALID:
      case WK_SNAPSHOT_ERROR_CONSTRAINT:
      case WK_SNAPSHOT_ERROR_HL7_NACK:
        code = WK_CONTROL_ERROR_REFUSED;
        break;
      default:
        break;
      }
  wk_control_call_return_error (call, code, "%s", error->message);
}

/* Answers with @object, which the caller keeps. */
static void
return_object (WkControlCall *call, JsonObject *object)
{
  wk_control_call_return_object (call, json_object_ref (object));
}

static gboolean
get_double (JsonObject *params, const char *name, double *value, GError **error)
{
  JsonNode *node = params != NULL ? json_object_get_member (params, name) : NULL;

  *value = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST, "\"%s\" must be a number",
                   name);
      return FALSE;
    }
  *value = json_node_get_double (node);
  return TRUE;
}

/* ---- reconcile.scan ---- */

static void
scan_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  JsonObject         *params = wk_control_call_get_params (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkReconcileScan) scan = NULL;
  g_autoptr (JsonObject) result = NULL;
  const char *payload, *who;

  if (!wk_control_params_get_string (params, "payload", TRUE, &payload, &error)
      || !wk_control_params_get_string (params, "who", TRUE, &who, &error))
    {
      return_error (call, error);
      return;
    }
  scan = wk_reconcile_scan (service->reconcile, payload, -1, who, now_of (service), &error);
  if (scan == NULL)
    {
      return_error (call, error);
      return;
    }
  result = wk_reconcile_scan_to_json (service->reconcile, scan);
  return_object (call, result);
}

/* ---- reconcile.status, .chart, .report ---- */

static void
status_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result
      = wk_reconcile_dup_status (service->reconcile, now_of (service), &error);

  if (result == NULL)
    return_error (call, error);
  else
    return_object (call, result);
}

static void
chart_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  const char *chart;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "chart", TRUE, &chart,
                                     &error))
    {
      return_error (call, error);
      return;
    }
  result = wk_reconcile_dup_chart (service->reconcile, chart, now_of (service), &error);
  if (result == NULL)
    return_error (call, error);
  else
    return_object (call, result);
}

static void
report_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  const char *episode;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "episode", FALSE, &episode,
                                     &error))
    {
      return_error (call, error);
      return;
    }
  result = wk_reconcile_dup_report (service->reconcile, episode, now_of (service), &error);
  if (result == NULL)
    return_error (call, error);
  else
    return_object (call, result);
}

static void
signoff_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  JsonObject         *params = wk_control_call_get_params (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  const char *episode, *digest, *who, *note;

  if (!wk_control_params_get_string (params, "episode", FALSE, &episode, &error)
      || !wk_control_params_get_string (params, "digest", FALSE, &digest, &error)
      || !wk_control_params_get_string (params, "who", TRUE, &who, &error)
      || !wk_control_params_get_string (params, "note", FALSE, &note, &error))
    {
      return_error (call, error);
      return;
    }
  result = wk_reconcile_sign_off (service->reconcile, episode, digest, who, note, now_of (service),
                                  &error);
  if (result == NULL)
    return_error (call, error);
  else
    return_object (call, result);
}

/* ---- reconcile.enter ---- */

/* One entry's parameters; the strings stay borrowed from @object. */
static gboolean
read_input (JsonObject *object, const char *who, WkReconcileInput *input, GError **error)
{
  gboolean given = TRUE, amend = FALSE;
  gint64   entry = 0;

  memset (input, 0, sizeof *input);
  if (!wk_control_params_get_string (object, "chart", TRUE, &input->chart_id, error)
      || !wk_control_params_get_string (object, "order", TRUE, &input->placer_id, error)
      || !wk_control_params_get_string (object, "due", FALSE, &input->due, error)
      || !wk_control_params_get_boolean (object, "given", FALSE, &given, error)
      || !wk_control_params_get_string (object, "reason", FALSE, &input->reason_code, error)
      || !wk_control_params_get_string (object, "at", FALSE, &input->at, error)
      || !get_double (object, "dose", &input->dose, error)
      || !wk_control_params_get_string (object, "unit", FALSE, &input->unit, error)
      || !wk_control_params_get_string (object, "by", FALSE, &input->by, error)
      || !wk_control_params_get_string (object, "note", FALSE, &input->note, error)
      || !wk_control_params_get_boolean (object, "amend", FALSE, &amend, error)
      || !wk_control_params_get_int (object, "entry", FALSE, &entry, error))
    return FALSE;
  if (object != NULL && !json_object_has_member (object, "given"))
    given = input->reason_code == NULL;
  input->given = given;
  input->amend = amend;
  input->amend_entry = entry;
  input->who = who;
  return TRUE;
}

static void
enter_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  JsonObject         *params = wk_control_call_get_params (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree WkReconcileInput        *inputs = NULL;
  g_autofree const WkReconcileInput **pointers = NULL;
  g_autoptr (JsonObject) result = json_object_new ();
  JsonArray  *list, *out;
  JsonNode   *node;
  const char *who;
  guint       n;

  node = params != NULL ? json_object_get_member (params, "entries") : NULL;
  if (!wk_control_params_get_string (params, "who", TRUE, &who, &error))
    {
      return_error (call, error);
      return;
    }
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) == 0)
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST,
                                    "\"entries\" must be a list of at least one entry");
      return;
    }
  list = json_node_get_array (node);
  n = json_array_get_length (list);
  inputs = g_new0 (WkReconcileInput, n);
  pointers = g_new0 (const WkReconcileInput *, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (list, i);

      if (!JSON_NODE_HOLDS_OBJECT (item))
        {
          wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST,
                                        "entry %u is not an object", i + 1);
          return;
        }
      if (!read_input (json_node_get_object (item), who, &inputs[i], &error))
        {
          g_prefix_error (&error, "entry %u: ", i + 1);
          return_error (call, error);
          return;
        }
      pointers[i] = &inputs[i];
    }
  entries = wk_reconcile_enter_batch (service->reconcile, pointers, n, now_of (service), &error);
  if (entries == NULL)
    {
      return_error (call, error);
      return;
    }
  out = json_array_new ();
  for (guint i = 0; i < entries->len; i++)
    json_array_add_object_element (
        out, wk_reconcile_entry_to_json (service->reconcile, entries->pdata[i]));
  json_object_set_array_member (result, "entries", out);
  return_object (call, result);
}

/* ---- reconcile.export, .export.fetch, .export.commit ---- */

static void
forget_old_exports (WkReconcileService *service)
{
  GHashTableIter iter;
  Pending       *pending;
  gint64         now = now_of (service);

  g_hash_table_iter_init (&iter, service->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&pending))
    if (now - pending->created_at > PENDING_LIFETIME || now < pending->created_at)
      g_hash_table_iter_remove (&iter);
}

/* A part of @text from @offset, at most a chunk, ending on a character boundary. */
static void
add_chunk (JsonObject *result, const char *text, gsize offset)
{
  gsize       length = strlen (text), end = MIN (length, offset + WK_RECONCILE_SERVICE_CHUNK);
  const char *stop = text + end;

  if (end < length)
    stop = g_utf8_find_prev_char (text + offset, text + end + 1);
  if (stop == NULL || stop <= text + offset)
    stop = text + end;
  {
    g_autofree char *part = g_strndup (text + offset, stop - (text + offset));

    json_object_set_string_member (result, "data", part);
  }
  json_object_set_int_member (result, "offset", stop - text);
  json_object_set_int_member (result, "size", length);
  json_object_set_boolean_member (result, "complete", (gsize)(stop - text) >= length);
}

static void
sent_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (WkControlCall) call = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = wk_back_entry_send_finish (NULL, res, &error);

  if (result == NULL)
    return_error (call, error);
  else
    return_object (call, result);
}

static void
export_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  JsonObject         *params = wk_control_call_get_params (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkBackEntryFile) file = NULL;
  g_autoptr (JsonObject) result = NULL;
  const char         *format_name, *episode, *who;
  gboolean            again = FALSE;
  WkPaperExportFormat format;
  Pending            *pending;
  g_autofree char    *token = NULL;

  if (!wk_control_params_get_string (params, "format", TRUE, &format_name, &error)
      || !wk_control_params_get_string (params, "episode", FALSE, &episode, &error)
      || !wk_control_params_get_string (params, "who", TRUE, &who, &error)
      || !wk_control_params_get_boolean (params, "again", FALSE, &again, &error))
    {
      return_error (call, error);
      return;
    }
  if (!wk_paper_export_format_from_string (format_name, &format))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST,
                                    "\"format\" must be hl7, fhir or csv, not \"%s\"", format_name);
      return;
    }
  if (format == WK_PAPER_EXPORT_HL7)
    {
      wk_back_entry_send_async (service->reconcile, episode, again, who, NULL, sent_cb,
                                wk_control_call_ref (call));
      return;
    }

  forget_old_exports (service);
  file = wk_back_entry_prepare (service->reconcile, episode, format, again, now_of (service),
                                &error);
  if (file == NULL)
    {
      return_error (call, error);
      return;
    }
  result = json_object_new ();
  token = g_uuid_string_random ();
  json_object_set_string_member (result, "token", token);
  json_object_set_string_member (result, "format", format_name);
  json_object_set_int_member (result, "entries", file->entries->len);
  json_object_set_boolean_member (result, "again", again);
  add_chunk (result, file->content, 0);
  pending = g_new0 (Pending, 1);
  pending->file = g_steal_pointer (&file);
  pending->created_at = now_of (service);
  g_hash_table_insert (service->pending, g_steal_pointer (&token), pending);
  return_object (call, result);
}

static Pending *
find_pending (WkReconcileService *service, WkControlCall *call, const char **token)
{
  g_autoptr (GError) error = NULL;
  Pending *pending;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "token", TRUE, token,
                                     &error))
    {
      return_error (call, error);
      return NULL;
    }
  forget_old_exports (service);
  pending = g_hash_table_lookup (service->pending, *token);
  if (pending == NULL)
    wk_control_call_return_error (call, WK_CONTROL_ERROR_NOT_FOUND,
                                  "No export %s is waiting (it was committed, or forgotten after "
                                  "15 minutes): export again",
                                  *token);
  return pending;
}

static void
fetch_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = json_object_new ();
  const char *token;
  Pending    *pending = find_pending (service, call, &token);
  gint64      offset = 0;

  if (pending == NULL)
    return;
  if (!wk_control_params_get_int (wk_control_call_get_params (call), "offset", TRUE, &offset,
                                  &error))
    {
      return_error (call, error);
      return;
    }
  if (offset < 0 || (gsize)offset > strlen (pending->file->content))
    {
      wk_control_call_return_error (call, WK_CONTROL_ERROR_BAD_REQUEST,
                                    "\"offset\" is outside the export");
      return;
    }
  json_object_set_string_member (result, "token", token);
  add_chunk (result, pending->file->content, offset);
  return_object (call, result);
}

static void
commit_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  WkReconcileService *service = data;
  JsonObject         *params = wk_control_call_get_params (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = json_object_new ();
  const char *token, *who, *destination;
  Pending    *pending = find_pending (service, call, &token);

  if (pending == NULL)
    return;
  if (!wk_control_params_get_string (params, "who", TRUE, &who, &error)
      || !wk_control_params_get_string (params, "destination", FALSE, &destination, &error))
    {
      return_error (call, error);
      return;
    }
  if (!wk_back_entry_commit (service->reconcile, pending->file, who, destination, now_of (service),
                             &error))
    {
      return_error (call, error);
      return;
    }
  json_object_set_string_member (result, "format",
                                 wk_paper_export_format_to_string (pending->file->format));
  json_object_set_int_member (result, "exported", pending->file->entries->len);
  g_hash_table_remove (service->pending, token);
  return_object (call, result);
}

/* ---- registration ---- */

static const struct
{
  const char          *name;
  WkControlMethodFlags flags;
  WkControlMethodFunc  func;
} methods[] = {
  { "reconcile.scan", WK_CONTROL_METHOD_NONE, scan_cb },
  { "reconcile.status", WK_CONTROL_METHOD_READ_ONLY, status_cb },
  { "reconcile.chart", WK_CONTROL_METHOD_READ_ONLY, chart_cb },
  { "reconcile.enter", WK_CONTROL_METHOD_NONE, enter_cb },
  { "reconcile.report", WK_CONTROL_METHOD_READ_ONLY, report_cb },
  { "reconcile.signoff", WK_CONTROL_METHOD_NONE, signoff_cb },
  { "reconcile.export", WK_CONTROL_METHOD_NONE, export_cb },
  { "reconcile.export.fetch", WK_CONTROL_METHOD_READ_ONLY, fetch_cb },
  { "reconcile.export.commit", WK_CONTROL_METHOD_NONE, commit_cb },
};

/**
 * wk_reconcile_service_register:
 * @service: a #WkReconcileService
 * @server: the daemon's control server
 *
 * Adds the reconcile.* methods to @server.
 */
void
wk_reconcile_service_register (WkReconcileService *service, WkControlServer *server)
{
  g_return_if_fail (service != NULL);
  g_return_if_fail (WK_IS_CONTROL_SERVER (server));

  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    wk_control_server_add_method (server, methods[i].name, methods[i].flags, methods[i].func,
                                  service, NULL);
}

/**
 * wk_reconcile_service_unregister:
 * @service: a #WkReconcileService
 * @server: the server it was registered on
 *
 * Removes the reconcile.* methods (before the service is freed).
 */
void
wk_reconcile_service_unregister (WkReconcileService *service, WkControlServer *server)
{
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    wk_control_server_remove_method (server, methods[i].name);
}
