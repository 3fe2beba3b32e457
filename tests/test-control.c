/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-control.c — the status and control protocol: line framing and message parsing, and a
 * real server and clients over a Unix socket (methods, errors, events, peer credentials,
 * permissions, stale sockets, reconnection). */

#include "wk-control.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- framing and parsing ---- */

static void
test_framer_lines (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlFramer) framer = wk_control_framer_new (16);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  gsize            length = 0;

  /* A line cut anywhere is put back together; CRLF and empty lines are taken. */
  g_assert_true (wk_control_framer_push (framer, "{\"a\"", 4, &error));
  g_assert_null (wk_control_framer_pop (framer, NULL));
  g_assert_true (wk_control_framer_push (framer, ":1}\r\n\n\nsecond\nthi", 17, &error));
  g_assert_no_error (error);
  a = wk_control_framer_pop (framer, &length);
  g_assert_cmpstr (a, ==, "{\"a\":1}");
  g_assert_cmpuint (length, ==, 7);
  b = wk_control_framer_pop (framer, &length);
  g_assert_cmpstr (b, ==, "second");
  g_assert_null (wk_control_framer_pop (framer, NULL));
  g_assert_true (wk_control_framer_push (framer, "rd\n", 3, &error));
  c = wk_control_framer_pop (framer, NULL);
  g_assert_cmpstr (c, ==, "third");
}

static void
test_framer_limit (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlFramer) framer = wk_control_framer_new (8);
  g_autoptr (WkControlFramer) open_ended = wk_control_framer_new (8);
  g_autofree char *exact = NULL;
  g_autofree char *before = NULL;

  /* Exactly the limit (with its CR) is a line; one byte more is refused, and then
   * everything is: the stream is out of step. */
  g_assert_true (wk_control_framer_push (framer, "12345678\r\nok\n123456789\nnext\n", 28, &error)
                 == FALSE);
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "longer than 8 bytes"));
  g_clear_error (&error);
  exact = wk_control_framer_pop (framer, NULL);
  g_assert_cmpstr (exact, ==, "12345678");
  before = wk_control_framer_pop (framer, NULL);
  g_assert_cmpstr (before, ==, "ok");
  g_assert_null (wk_control_framer_pop (framer, NULL));
  g_assert_false (wk_control_framer_push (framer, "x\n", 2, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  /* A line that never ends is refused as soon as it is too long, not when it ends. */
  g_assert_true (wk_control_framer_push (open_ended, "12345", 5, &error));
  g_assert_false (wk_control_framer_push (open_ended, "67890", 5, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
}

static void
assert_bad_request (const char *line, const char *words, gboolean has_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) id = NULL;
  g_autoptr (WkControlRequest) request = wk_control_request_parse (line, -1, &id, &error);

  g_assert_null (request);
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  if (strstr (error->message, words) == NULL)
    g_error ("refusing %s, expected \"%s\" in: %s", line, words, error->message);
  g_assert_true ((id != NULL) == has_id);
}

static void
test_request_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlRequest) request = NULL;
  g_autoptr (WkControlRequest) bare = NULL;
  g_autoptr (WkControlRequest) back = NULL;
  g_autofree char *line = NULL;
  const char      *reason = NULL;
  gint64           n = 0;
  gboolean         flag = FALSE;

  request = wk_control_request_parse (
      "{\"id\": 7, \"method\": \"downtime.declare\", \"params\": {\"reason\": \"EPR upgrade\", "
      "\"who\": \"J Smith\", \"n\": 3, \"print\": true}, \"future\": [1]}",
      -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (request->method, ==, "downtime.declare");
  g_assert_cmpint (json_node_get_int (request->id), ==, 7);
  g_assert_true (wk_control_params_get_string (request->params, "reason", TRUE, &reason, &error));
  g_assert_cmpstr (reason, ==, "EPR upgrade");
  g_assert_true (wk_control_params_get_int (request->params, "n", TRUE, &n, &error));
  g_assert_cmpint (n, ==, 3);
  g_assert_true (wk_control_params_get_boolean (request->params, "print", FALSE, &flag, &error));
  g_assert_true (flag);

  /* Parameters: missing, of the wrong type, blank. */
  g_assert_true (wk_control_params_get_string (request->params, "printer", FALSE, &reason, &error));
  g_assert_null (reason);
  g_assert_false (wk_control_params_get_string (request->params, "printer", TRUE, &reason, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  g_assert_cmpstr (error->message, ==, "The parameter \"printer\" is missing");
  g_clear_error (&error);
  g_assert_false (wk_control_params_get_string (request->params, "n", FALSE, &reason, &error));
  g_assert_cmpstr (error->message, ==, "The parameter \"n\" must be text");
  g_clear_error (&error);
  g_assert_false (wk_control_params_get_int (request->params, "reason", FALSE, &n, &error));
  g_assert_cmpstr (error->message, ==, "The parameter \"reason\" must be a whole number");
  g_clear_error (&error);
  g_assert_false (wk_control_params_get_boolean (request->params, "n", FALSE, &flag, &error));
  g_assert_cmpstr (error->message, ==, "The parameter \"n\" must be true or false");
  g_clear_error (&error);

  /* No id and no params: an empty object; a string id is repeated as it came. */
  bare = wk_control_request_parse ("{\"method\":\"status\"}", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (bare->id);
  g_assert_cmpuint (json_object_get_size (bare->params), ==, 0);
  line = wk_control_request_to_line (request->id, "status", request->params);
  g_assert_true (g_str_has_suffix (line, "}\n"));
  back = wk_control_request_parse (line, strlen (line) - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->method, ==, "status");
  g_assert_cmpint (json_node_get_int (back->id), ==, 7);

  /* Each way a request can be wrong, named; the id is kept for the answer when it can be. */
  assert_bad_request ("not json", "not JSON", FALSE);
  assert_bad_request ("[1,2]", "not a JSON object", FALSE);
  assert_bad_request ("{\"id\": 1}", "has no \"method\"", TRUE);
  assert_bad_request ("{\"id\": \"a\", \"method\": 3}", "must be the name of a method", TRUE);
  assert_bad_request ("{\"id\": 2, \"method\": \"has space\"}", "must be the name of a method",
                      TRUE);
  assert_bad_request ("{\"id\": {}, \"method\": \"status\"}", "\"id\" must be a number or a string",
                      FALSE);
  assert_bad_request ("{\"id\": 3, \"method\": \"status\", \"params\": [1]}",
                      "\"params\" must be an object", TRUE);
  assert_bad_request ("{\"method\": \"st\xff\"}", "not UTF-8", FALSE);
}

static void
test_message_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlMessage) result = NULL;
  g_autoptr (WkControlMessage) failure = NULL;
  g_autoptr (WkControlMessage) event = NULL;
  g_autoptr (WkControlMessage) unknown = NULL;
  g_autoptr (JsonNode) id = json_node_init_string (json_node_alloc (), "x1");
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *result_line = wk_control_result_to_line (id, NULL);
  g_autofree char *error_line
      = wk_control_error_to_line (id, WK_CONTROL_ERROR_REFUSED, "Already in DOWNTIME");
  g_autofree char *event_line = NULL;

  json_object_set_string_member (params, "mode", "downtime");
  event_line = wk_control_event_to_line ("status", params);

  result = wk_control_message_parse (result_line, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->kind, ==, WK_CONTROL_MESSAGE_RESULT);
  g_assert_cmpstr (json_node_get_string (result->id), ==, "x1");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (result->result));

  failure = wk_control_message_parse (error_line, -1, &error);
  g_assert_cmpint (failure->kind, ==, WK_CONTROL_MESSAGE_ERROR);
  g_assert_error (failure->error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_REFUSED);
  g_assert_cmpstr (failure->error->message, ==, "Already in DOWNTIME");

  event = wk_control_message_parse (event_line, -1, &error);
  g_assert_cmpint (event->kind, ==, WK_CONTROL_MESSAGE_EVENT);
  g_assert_cmpstr (event->event, ==, "status");
  g_assert_cmpstr (json_object_get_string_member (event->params, "mode"), ==, "downtime");

  /* A code from a newer daemon reads as failed, with its message. */
  unknown = wk_control_message_parse (
      "{\"id\":1,\"error\":{\"code\":\"overheated\",\"message\":\"too hot\"}}", -1, &error);
  g_assert_error (unknown->error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED);

  g_assert_null (wk_control_message_parse ("{\"id\":1}", -1, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (wk_control_message_parse ("{\"id\":1,\"error\":{\"code\":1}}", -1, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (wk_control_message_parse ("{\"event\":\"\"}", -1, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL);
}

/* ---- a server and its clients ---- */

typedef struct
{
  char            *dir;
  char            *path;
  WkControlServer *server;
  GPtrArray       *held; /* calls answered later */
  guint            n_calls;
  WkControlPeer    peer;
} Fixture;

static void
echo_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  Fixture    *f = data;
  JsonObject *result = json_object_new ();

  f->n_calls++;
  f->peer = *wk_control_call_get_peer (call);
  json_object_set_string_member (result, "method", wk_control_call_get_method (call));
  json_object_set_object_member (result, "params",
                                 json_object_ref (wk_control_call_get_params (call)));
  wk_control_call_return_object (call, result);
}

static void
refuse_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  const char *reason = NULL;
  g_autoptr (GError) error = NULL;

  if (!wk_control_params_get_string (wk_control_call_get_params (call), "reason", TRUE, &reason,
                                     &error))
    {
      wk_control_call_return_gerror (call, error);
      return;
    }
  wk_control_call_return_error (call, WK_CONTROL_ERROR_REFUSED,
                                "The ward is already in DOWNTIME (outage since 03:12)");
}

static void
hold_cb (WkControlServer *server, WkControlCall *call, gpointer data)
{
  Fixture *f = data;

  g_ptr_array_add (f->held, wk_control_call_ref (call));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = wk_test_scratch_dir ();
  f->path = g_build_filename (f->dir, "control", NULL);
  f->held = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_control_call_unref);
  f->server = wk_control_server_new ();
  wk_control_server_add_method (f->server, "echo", WK_CONTROL_METHOD_READ_ONLY, echo_cb, f, NULL);
  wk_control_server_add_method (f->server, "downtime.declare", WK_CONTROL_METHOD_NONE, refuse_cb, f,
                                NULL);
  wk_control_server_add_method (f->server, "slow", WK_CONTROL_METHOD_NONE, hold_cb, f, NULL);
  g_assert_true (wk_control_server_listen (f->server, f->path, 0660, NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_ptr_array_unref (f->held);
  g_clear_object (&f->server);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_free (f->path);
  g_free (f->dir);
}

typedef struct
{
  gboolean  done;
  JsonNode *result;
  GError   *error;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->result, json_node_unref);
  g_clear_error (&answer->error);
  answer->done = FALSE;
}

static gboolean
answer_done (gpointer data)
{
  return ((Answer *)data)->done;
}

static void
call_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Answer *answer = data;

  answer->result
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &answer->error);
  answer->done = TRUE;
}

static void
connect_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Answer *answer = data;

  wk_control_client_connect_finish (WK_CONTROL_CLIENT (source), result, &answer->error);
  answer->done = TRUE;
}

static void
subscribe_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Answer *answer = data;

  wk_control_client_subscribe_finish (WK_CONTROL_CLIENT (source), result, &answer->error);
  answer->done = TRUE;
}

static WkControlClient *
connected_client (const char *path)
{
  WkControlClient *client = wk_control_client_new (path);
  Answer           answer = { 0 };

  wk_control_client_connect_async (client, NULL, connect_cb, &answer);
  wk_test_wait_for (answer_done, &answer, "the client to connect");
  g_assert_no_error (answer.error);
  g_assert_true (wk_control_client_is_connected (client));
  return client;
}

static void
call (WkControlClient *client, const char *method, JsonObject *params, Answer *answer)
{
  answer_clear (answer);
  wk_control_client_call_async (client, method, params, NULL, call_cb, answer);
  wk_test_wait_for (answer_done, answer, method);
}

static void
test_server_call (Fixture *f, gconstpointer data)
{
  g_autoptr (WkControlClient) client = connected_client (f->path);
  g_autoptr (JsonObject) params = json_object_new ();
  Answer      answer = { 0 };
  JsonObject *result;
  struct stat st;

  /* The socket is there with the mode asked for. */
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0660);

  json_object_set_string_member (params, "what", "census");
  call (client, "echo", params, &answer);
  g_assert_no_error (answer.error);
  result = json_node_get_object (answer.result);
  g_assert_cmpstr (json_object_get_string_member (result, "method"), ==, "echo");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (result, "params"), "what"), ==,
      "census");

  /* Who called, from the socket's credentials: this very process. */
  g_assert_cmpuint (f->peer.uid, ==, getuid ());
  g_assert_cmpuint (f->peer.gid, ==, getgid ());
  g_assert_cmpint (f->peer.pid, ==, getpid ());
  g_assert_cmpuint (wk_control_server_get_n_connections (f->server), ==, 1);
  answer_clear (&answer);
}

static void
test_server_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (WkControlClient) client = connected_client (f->path);
  g_autoptr (JsonObject) params = json_object_new ();
  Answer answer = { 0 };

  /* An unknown method names itself and the methods there are. */
  call (client, "reconcile.scan", NULL, &answer);
  g_assert_error (answer.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_UNKNOWN_METHOD);
  g_assert_nonnull (strstr (answer.error->message, "no method \"reconcile.scan\""));
  g_assert_nonnull (strstr (answer.error->message, "downtime.declare, echo, slow, subscribe"));

  /* A handler's refusal arrives with its code and words; a missing parameter as such. */
  call (client, "downtime.declare", NULL, &answer);
  g_assert_error (answer.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  g_assert_cmpstr (answer.error->message, ==, "The parameter \"reason\" is missing");
  json_object_set_string_member (params, "reason", "EPR upgrade");
  json_object_set_string_member (params, "who", "J Smith");
  call (client, "downtime.declare", params, &answer);
  g_assert_error (answer.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_REFUSED);
  g_assert_cmpstr (answer.error->message, ==,
                   "The ward is already in DOWNTIME (outage since 03:12)");

  /* A method registered later (reconcile.*, drill.*) is answered without a restart. */
  wk_control_server_add_method (f->server, "reconcile.scan", WK_CONTROL_METHOD_NONE, echo_cb, f,
                                NULL);
  call (client, "reconcile.scan", NULL, &answer);
  g_assert_no_error (answer.error);
  g_assert_true (wk_control_server_remove_method (f->server, "reconcile.scan"));
  g_assert_false (wk_control_server_has_method (f->server, "reconcile.scan"));
  answer_clear (&answer);
}

static void
test_server_async (Fixture *f, gconstpointer data)
{
  g_autoptr (WkControlClient) client = connected_client (f->path);
  Answer slow = { 0 };
  Answer fast = { 0 };

  /* A call answered later does not hold up the next one; each answer finds its call. */
  wk_control_client_call_async (client, "slow", NULL, NULL, call_cb, &slow);
  call (client, "echo", NULL, &fast);
  g_assert_no_error (fast.error);
  g_assert_false (slow.done);
  g_assert_cmpuint (f->held->len, ==, 1);
  wk_control_call_return_object (f->held->pdata[0], json_object_new ());
  g_assert_true (wk_control_call_is_answered (f->held->pdata[0]));
  wk_test_wait_for (answer_done, &slow, "the slow answer");
  g_assert_no_error (slow.error);
  answer_clear (&slow);
  answer_clear (&fast);
}

typedef struct
{
  guint       n;
  char       *event;
  JsonObject *params;
} Events;

static void
event_cb (WkControlClient *client, const char *event, JsonObject *params, gpointer data)
{
  Events *events = data;

  events->n++;
  g_free (events->event);
  events->event = g_strdup (event);
  g_clear_pointer (&events->params, json_object_unref);
  events->params = json_object_ref (params);
}

static gboolean
events_arrived (gpointer data)
{
  return ((Events *)data)->n > 0;
}

static void
events_clear (Events *events)
{
  events->n = 0;
  g_clear_pointer (&events->event, g_free);
  g_clear_pointer (&events->params, json_object_unref);
}

static void
test_server_events (Fixture *f, gconstpointer data)
{
  g_autoptr (WkControlClient) listener = connected_client (f->path);
  g_autoptr (WkControlClient) other = connected_client (f->path);
  g_autoptr (JsonObject) params = json_object_new ();
  Events heard = { 0 }, not_heard = { 0 };
  Answer answer = { 0 };

  g_signal_connect (listener, "event", G_CALLBACK (event_cb), &heard);
  g_signal_connect (other, "event", G_CALLBACK (event_cb), &not_heard);
  wk_control_client_subscribe_async (listener, NULL, subscribe_cb, &answer);
  wk_test_wait_for (answer_done, &answer, "the subscription");
  g_assert_no_error (answer.error);
  g_assert_cmpuint (wk_control_server_get_n_subscribers (f->server), ==, 1);

  json_object_set_string_member (params, "mode", "downtime");
  wk_control_server_emit_event (f->server, "status", params);
  wk_test_wait_for (events_arrived, &heard, "the status event");
  g_assert_cmpstr (heard.event, ==, "status");
  g_assert_cmpstr (json_object_get_string_member (heard.params, "mode"), ==, "downtime");

  /* The client that did not subscribe heard nothing, and still gets answers. */
  call (other, "echo", NULL, &answer);
  g_assert_no_error (answer.error);
  g_assert_cmpuint (not_heard.n, ==, 0);
  events_clear (&heard);
  answer_clear (&answer);
}

/* A raw client in a thread of its own (the server runs on this thread's main loop): it
 * writes bytes as they are, then reads until the server closes or @lines lines came. */
typedef struct
{
  char    *path;
  GBytes  *data;
  guint    lines;
  GString *got;
  gboolean closed;
  gboolean done;
} Raw;

static gpointer
raw_thread (gpointer data)
{
  Raw *raw = data;
  g_autoptr (GSocket) socket
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (raw->path);
  gsize       size, sent = 0;
  const char *bytes = g_bytes_get_data (raw->data, &size);
  char        buffer[4096];

  g_assert_true (g_socket_connect (socket, address, NULL, NULL));
  g_socket_set_timeout (socket, 60);
  /* A server that gave up on the request stops reading: a failed write is expected. */
  while (sent < size)
    {
      gssize n = g_socket_send (socket, bytes + sent, size - sent, NULL, NULL);

      if (n <= 0)
        break;
      sent += n;
    }
  for (;;)
    {
      guint  newlines = 0;
      gssize n;

      for (gsize i = 0; i < raw->got->len; i++)
        newlines += raw->got->str[i] == '\n';
      if (newlines >= raw->lines)
        break;
      n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
      if (n <= 0)
        {
          raw->closed = TRUE;
          break;
        }
      g_string_append_len (raw->got, buffer, n);
    }
  g_atomic_int_set (&raw->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
raw_done (gpointer data)
{
  return g_atomic_int_get (&((Raw *)data)->done);
}

static GStrv
raw_exchange (const char *path, const void *data, gsize size, guint lines, gboolean *closed)
{
  Raw raw = { g_strdup (path), g_bytes_new (data, size), lines, g_string_new (NULL), FALSE, FALSE };
  GThread *thread = g_thread_new ("raw-client", raw_thread, &raw);
  GStrv    result;

  wk_test_wait_for (raw_done, &raw, "the raw client");
  g_thread_join (thread);
  if (closed != NULL)
    *closed = raw.closed;
  result = g_strsplit (raw.got->str, "\n", -1);
  g_free (raw.path);
  g_bytes_unref (raw.data);
  g_string_free (raw.got, TRUE);
  return result;
}

static void
test_server_bad_input (Fixture *f, gconstpointer data)
{
  const char input[]
      = "hello\n{\"id\": 5, \"method\": \"echo\"}\n{\"id\": 6, \"method\": \"x y\"}\n";
  g_auto (GStrv) lines = raw_exchange (f->path, input, strlen (input), 3, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlMessage) first = NULL;
  g_autoptr (WkControlMessage) second = NULL;
  g_autoptr (WkControlMessage) third = NULL;

  /* Garbage gets an error without an id; the connection carries on with the next request. */
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  first = wk_control_message_parse (lines[0], -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first->kind, ==, WK_CONTROL_MESSAGE_ERROR);
  g_assert_null (first->id);
  g_assert_error (first->error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (first->error->message, "not JSON"));
  second = wk_control_message_parse (lines[1], -1, &error);
  g_assert_cmpint (second->kind, ==, WK_CONTROL_MESSAGE_RESULT);
  g_assert_cmpint (json_node_get_int (second->id), ==, 5);
  third = wk_control_message_parse (lines[2], -1, &error);
  g_assert_cmpint (third->kind, ==, WK_CONTROL_MESSAGE_ERROR);
  g_assert_cmpint (json_node_get_int (third->id), ==, 6);
  g_assert_cmpuint (f->n_calls, ==, 1);
}

static void
test_server_oversized (Fixture *f, gconstpointer data)
{
  gsize            size = WK_CONTROL_MAX_LINE + 4096;
  g_autofree char *input = g_malloc (size);
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlMessage) refusal = NULL;
  gboolean closed = FALSE;

  /* More than 1 MiB without a newline: refused, and the connection closed. */
  memset (input, ' ', size);
  lines = raw_exchange (f->path, input, size, 2, &closed);
  g_assert_true (closed);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  refusal = wk_control_message_parse (lines[0], -1, &error);
  g_assert_no_error (error);
  g_assert_error (refusal->error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (refusal->error->message, "longer than 1048576 bytes"));
  g_assert_cmpuint (f->n_calls, ==, 0);
}

static void
test_server_socket_path (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlServer) second = wk_control_server_new ();
  g_autoptr (WkControlServer) third = wk_control_server_new ();
  g_autoptr (WkControlServer) grouped = wk_control_server_new ();
  g_autoptr (GSocket) stale = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree char *stale_path = g_build_filename (f->dir, "stale", NULL);
  g_autofree char *file_path = g_build_filename (f->dir, "file", NULL);
  g_autofree char *grouped_path = g_build_filename (f->dir, "grouped", NULL);
  g_autoptr (WkControlClient) client = NULL;
  struct group *group = getgrgid (getgid ());
  struct stat   st;

  /* Somebody answers there already: refused, and their socket is left alone. */
  g_assert_false (wk_control_server_listen (second, f->path, 0660, NULL, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "already answers"));
  g_clear_error (&error);
  g_clear_object (&second);
  client = connected_client (f->path);

  /* A socket a killed daemon left behind is replaced. */
  stale = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                        &error);
  address = g_unix_socket_address_new (stale_path);
  g_assert_true (g_socket_bind (stale, address, FALSE, &error));
  g_socket_close (stale, NULL);
  g_assert_true (wk_control_server_listen (third, stale_path, 0600, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (stale_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_object (&third);
  g_assert_false (g_file_test (stale_path, G_FILE_TEST_EXISTS));

  /* Something that is not a socket is never removed. */
  g_assert_true (g_file_set_contents (file_path, "keep me", -1, NULL));
  second = wk_control_server_new ();
  g_assert_false (wk_control_server_listen (second, file_path, 0660, NULL, &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "is not a socket"));
  g_clear_error (&error);
  g_assert_true (g_file_test (file_path, G_FILE_TEST_IS_REGULAR));

  /* A group that does not exist is named; one that does gets the socket. */
  g_assert_false (
      wk_control_server_listen (grouped, grouped_path, 0660, "no-such-group-wk", &error));
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no-such-group-wk"));
  g_clear_error (&error);
  g_assert_nonnull (group);
  g_assert_true (wk_control_server_listen (grouped, grouped_path, 0660, group->gr_name, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (grouped_path, &st), ==, 0);
  g_assert_cmpuint (st.st_gid, ==, getgid ());
  g_assert_cmpint (st.st_mode & 0777, ==, 0660);
}

typedef struct
{
  char     *path;
  char     *method;
  JsonNode *result;
  GError   *error;
  gboolean  done;
} SyncCall;

static gpointer
sync_thread (gpointer data)
{
  SyncCall *sync = data;

  sync->result = wk_control_call_sync (sync->path, sync->method, NULL, 30000, &sync->error);
  g_atomic_int_set (&sync->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
sync_done (gpointer data)
{
  return g_atomic_int_get (&((SyncCall *)data)->done);
}

static void
run_sync (SyncCall *sync)
{
  GThread *thread = g_thread_new ("sync-call", sync_thread, sync);

  wk_test_wait_for (sync_done, sync, "the blocking call");
  g_thread_join (thread);
}

static void
test_client_sync (Fixture *f, gconstpointer data)
{
  g_autoptr (WkControlClient) listener = connected_client (f->path);
  SyncCall ok = { f->path, "echo" };
  SyncCall refused = { f->path, "downtime.declare" };
  Answer   answer = { 0 };

  wk_control_client_subscribe_async (listener, NULL, subscribe_cb, &answer);
  wk_test_wait_for (answer_done, &answer, "the subscription");
  run_sync (&ok);
  g_assert_no_error (ok.error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (ok.result), "method"), ==,
                   "echo");
  run_sync (&refused);
  g_assert_null (refused.result);
  g_assert_error (refused.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST);
  json_node_unref (ok.result);
  g_clear_error (&refused.error);
  answer_clear (&answer);
}

static void
test_client_not_running (void)
{
  g_autofree char *dir = wk_test_scratch_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *stale_path = g_build_filename (dir, "stale", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) stale = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (WkControlClient) client = wk_control_client_new (missing);
  g_autoptr (JsonNode) result = NULL;
  Answer answer = { 0 };

  result = wk_control_call_sync (missing, "status", NULL, 1000, &error);
  g_assert_null (result);
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING);
  g_assert_nonnull (strstr (error->message, "not running"));
  g_clear_error (&error);

  /* A socket left by a daemon that was killed: nobody answers. */
  stale = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                        &error);
  address = g_unix_socket_address_new (stale_path);
  g_assert_true (g_socket_bind (stale, address, FALSE, &error));
  g_socket_close (stale, NULL);
  result = wk_control_call_sync (stale_path, "status", NULL, 1000, &error);
  g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING);
  g_clear_error (&error);

  wk_control_client_connect_async (client, NULL, connect_cb, &answer);
  wk_test_wait_for (answer_done, &answer, "the failed connection");
  g_assert_error (answer.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING);
  g_assert_false (wk_control_client_is_connected (client));
  answer_clear (&answer);
  call (client, "status", NULL, &answer);
  g_assert_error (answer.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED);
  answer_clear (&answer);
}

static void
count_cb (WkControlClient *client, gpointer data)
{
  (*(guint *)data)++;
}

static void
disconnected_cb (WkControlClient *client, const char *reason, gpointer data)
{
  (*(guint *)data)++;
}

static gboolean
counter_reached (gpointer data)
{
  return *(guint *)data > 0;
}

static void
test_client_reconnect (Fixture *f, gconstpointer data)
{
  g_autoptr (WkControlClient) client = connected_client (f->path);
  g_autoptr (GError) error = NULL;
  Answer answer = { 0 };
  Answer pending = { 0 };
  Events heard = { 0 };
  guint  n_connected = 0, n_disconnected = 0;

  wk_control_client_set_reconnect_interval (client, 50);
  g_signal_connect (client, "event", G_CALLBACK (event_cb), &heard);
  g_signal_connect (client, "connected", G_CALLBACK (count_cb), &n_connected);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), &n_disconnected);
  wk_control_client_subscribe_async (client, NULL, subscribe_cb, &answer);
  wk_test_wait_for (answer_done, &answer, "the subscription");
  g_assert_no_error (answer.error);

  /* The daemon goes away with a call unanswered: the call fails, the client says so. */
  wk_control_client_call_async (client, "slow", NULL, NULL, call_cb, &pending);
  wk_test_wait_for (counter_reached, &f->held->len, "the slow call to arrive");
  g_clear_object (&f->server);
  wk_test_wait_for (answer_done, &pending, "the pending call to fail");
  g_assert_error (pending.error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED);
  wk_test_wait_for (counter_reached, &n_disconnected, "the client to notice");
  g_assert_false (wk_control_client_is_connected (client));
  /* Answering a call whose connection has gone is harmless. */
  wk_control_call_return (f->held->pdata[0], NULL);

  /* The daemon comes back: the client reconnects, subscribes again, and hears events. */
  f->server = wk_control_server_new ();
  g_assert_true (wk_control_server_listen (f->server, f->path, 0660, NULL, &error));
  g_assert_no_error (error);
  wk_test_wait_for (counter_reached, &n_connected, "the client to reconnect");
  g_assert_true (wk_control_client_is_connected (client));
  g_assert_cmpuint (wk_control_server_get_n_subscribers (f->server), ==, 1);
  wk_control_server_emit_event (f->server, "status", NULL);
  wk_test_wait_for (events_arrived, &heard, "an event after reconnecting");
  g_assert_cmpstr (heard.event, ==, "status");

  /* Closed by its owner, it stays closed. */
  wk_control_client_close (client);
  g_assert_false (wk_control_client_is_connected (client));
  events_clear (&heard);
  answer_clear (&answer);
  answer_clear (&pending);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/control/framer/lines", test_framer_lines);
  g_test_add_func ("/control/framer/limit", test_framer_limit);
  g_test_add_func ("/control/request/parse", test_request_parse);
  g_test_add_func ("/control/message/parse", test_message_parse);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/control/server/call", test_server_call);
  ADD ("/control/server/errors", test_server_errors);
  ADD ("/control/server/async", test_server_async);
  ADD ("/control/server/events", test_server_events);
  ADD ("/control/server/bad-input", test_server_bad_input);
  ADD ("/control/server/oversized", test_server_oversized);
  ADD ("/control/server/socket-path", test_server_socket_path);
  ADD ("/control/client/sync", test_client_sync);
  ADD ("/control/client/reconnect", test_client_reconnect);
#undef ADD
  g_test_add_func ("/control/client/not-running", test_client_not_running);
  return g_test_run ();
}
