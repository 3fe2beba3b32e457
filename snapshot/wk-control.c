/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-control.c — the daemon's status and control protocol: JSON lines on a Unix socket. */

#define G_LOG_DOMAIN "wardkeep-snapshot"
#define _GNU_SOURCE /* struct ucred */

#include "wk-control.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads are taken in pieces of this size. */
#define READ_SIZE (64 * 1024)
/* A connection that lets this much of our output pile up (a subscriber that does not
 * read its events) is closed rather than allowed to eat the daemon's memory. */
#define MAX_QUEUED (16 * 1024 * 1024)
/* Requests of one connection being answered at once; more wait until some are. */
#define MAX_IN_FLIGHT 64

static const char *const error_codes[] = {
  "bad-request", "unknown-method", "refused",      "not-found", "failed",
  "not-running", "permission",     "disconnected", "timed-out", "protocol",
};

G_DEFINE_QUARK (wk - control - error - quark, wk_control_error)

/**
 * wk_control_error_to_code:
 * @error: a #WkControlError
 *
 * Returns: the code as the protocol spells it ("bad-request", "refused", ...)
 */
const char *
wk_control_error_to_code (WkControlError error)
{
  if ((guint)error >= G_N_ELEMENTS (error_codes))
    return "failed";
  return error_codes[error];
}

/**
 * wk_control_error_from_code:
 * @code: (nullable): a code as the protocol spells it
 *
 * Returns: the #WkControlError of a wire code; %WK_CONTROL_ERROR_FAILED for a code this
 *   program does not know
 */
WkControlError
wk_control_error_from_code (const char *code)
{
  for (guint i = 0; i <= WK_CONTROL_ERROR_FAILED; i++)
    if (g_strcmp0 (code, error_codes[i]) == 0)
      return (WkControlError)i;
  return WK_CONTROL_ERROR_FAILED;
}

/* ---- framing ---- */

struct _WkControlFramer
{
  gsize       max_line;
  GByteArray *partial; /* the start of a line whose end has not come yet */
  GQueue      lines;   /* char *, finished lines not yet popped */
  GQueue      lengths; /* their lengths, as GSIZE_TO_POINTER */
  gboolean    broken;
};

/**
 * wk_control_framer_new:
 * @max_line: the longest line taken, in bytes without its newline
 *
 * Returns: (transfer full): a framer with nothing in it
 */
WkControlFramer *
wk_control_framer_new (gsize max_line)
{
  WkControlFramer *self = g_new0 (WkControlFramer, 1);

  self->max_line = max_line;
  self->partial = g_byte_array_new ();
  return self;
}

/**
 * wk_control_framer_free:
 * @framer: (nullable) (transfer full): a #WkControlFramer
 */
void
wk_control_framer_free (WkControlFramer *framer)
{
  if (framer == NULL)
    return;
  g_byte_array_unref (framer->partial);
  g_queue_clear_full (&framer->lines, g_free);
  g_queue_clear (&framer->lengths);
  g_free (framer);
}

static gboolean
too_long (WkControlFramer *self, GError **error)
{
  self->broken = TRUE;
  g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
               "A line is longer than %" G_GSIZE_FORMAT " bytes; the connection is closed",
               self->max_line);
  return FALSE;
}

static gboolean
finish_line (WkControlFramer *self)
{
  gsize n = self->partial->len;

  if (n > 0 && self->partial->data[n - 1] == '\r')
    n--;
  if (n > self->max_line)
    return FALSE;
  if (n > 0)
    {
      char *line = g_malloc (n + 1);

      memcpy (line, self->partial->data, n);
      line[n] = '\0';
      g_queue_push_tail (&self->lines, line);
      g_queue_push_tail (&self->lengths, GSIZE_TO_POINTER (n));
    }
  g_byte_array_set_size (self->partial, 0);
  return TRUE;
}

/**
 * wk_control_framer_push:
 * @framer: a #WkControlFramer
 * @data: (array length=size): bytes as they came from the stream
 * @size: how many
 * @error: return location for a #GError
 *
 * Takes more of the stream; finished lines are then ready for wk_control_framer_pop().
 *
 * Returns: %TRUE, or %FALSE with %WK_CONTROL_ERROR_BAD_REQUEST when a line is longer
 *   than the limit (or was before): nothing more is taken, but the lines finished before
 *   it can still be popped
 */
gboolean
wk_control_framer_push (WkControlFramer *self, const void *data, gsize size, GError **error)
{
  const guint8 *bytes = data;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (self->broken)
    return too_long (self, error);
  while (size > 0)
    {
      const guint8 *newline = memchr (bytes, '\n', size);
      gsize         piece = newline != NULL ? (gsize)(newline - bytes) : size;

      /* One byte more than the limit may come: the '\r' of a "\r\n" end. */
      if (self->partial->len + piece > self->max_line + 1)
        return too_long (self, error);
      g_byte_array_append (self->partial, bytes, piece);
      if (newline == NULL)
        break;
      if (!finish_line (self))
        return too_long (self, error);
      bytes += piece + 1;
      size -= piece + 1;
    }
  return TRUE;
}

/**
 * wk_control_framer_pop:
 * @framer: a #WkControlFramer
 * @length: (out) (optional): the line's length in bytes
 *
 * Returns: (transfer full) (nullable): the next finished line without its end (nul
 *   terminated; it may hold other nul bytes), or %NULL when there is none yet
 */
char *
wk_control_framer_pop (WkControlFramer *self, gsize *length)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (g_queue_is_empty (&self->lines))
    return NULL;
  if (length != NULL)
    *length = GPOINTER_TO_SIZE (g_queue_peek_head (&self->lengths));
  g_queue_pop_head (&self->lengths);
  return g_queue_pop_head (&self->lines);
}

/* ---- messages ---- */

static char *
node_to_line (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  return g_strconcat (text, "\n", NULL);
}

/* Parses one line into a JSON object, or says why it is not one. */
static JsonObject *
parse_object (const char *line, gssize length, WkControlError code, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;

  if (length < 0)
    length = strlen (line);
  if (memchr (line, '\0', length) != NULL)
    {
      g_set_error (error, WK_CONTROL_ERROR, code, "The line holds a nul byte; it is not JSON");
      return NULL;
    }
  if (!g_utf8_validate (line, length, NULL))
    {
      g_set_error (error, WK_CONTROL_ERROR, code, "The line is not UTF-8 text");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, line, length, &local_error))
    {
      g_set_error (error, WK_CONTROL_ERROR, code, "The line is not JSON: %s", local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, WK_CONTROL_ERROR, code, "The line is not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
valid_id (JsonNode *node)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE || type == G_TYPE_STRING;
}

static gboolean
valid_method (const char *method)
{
  gsize n = strlen (method);

  if (n == 0 || n > 100)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (method[i]) && strchr ("._-", method[i]) == NULL)
      return FALSE;
  return TRUE;
}

/**
 * wk_control_request_parse:
 * @line: one line, without its end
 * @length: its length, or -1 when nul-terminated
 * @id: (out) (optional) (nullable) (transfer full): on failure, the request's id when it
 *   could be read, for the error answer
 * @error: return location for a #GError
 *
 * Reads one request: a JSON object with a `method` (letters, digits, `.`, `_`, `-`), an
 * optional `id` (a number or a string) and optional `params` (an object). Other members
 * are ignored, so that newer clients can add some.
 *
 * Returns: (transfer full): the request, or %NULL with %WK_CONTROL_ERROR_BAD_REQUEST
 *   saying what is wrong
 */
WkControlRequest *
wk_control_request_parse (const char *line, gssize length, JsonNode **id, GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (WkControlRequest) request = NULL;
  JsonNode *node;

  g_return_val_if_fail (line != NULL, NULL);

  if (id != NULL)
    *id = NULL;
  object = parse_object (line, length, WK_CONTROL_ERROR_BAD_REQUEST, error);
  if (object == NULL)
    return NULL;

  request = g_new0 (WkControlRequest, 1);
  node = json_object_get_member (object, "id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!valid_id (node))
        {
          g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
                       "The request's \"id\" must be a number or a string");
          return NULL;
        }
      request->id = json_node_copy (node);
      if (id != NULL)
        *id = json_node_copy (node);
    }

  node = json_object_get_member (object, "method");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
                   "The request has no \"method\"");
      return NULL;
    }
  if (json_node_get_value_type (node) != G_TYPE_STRING
      || !valid_method (json_node_get_string (node)))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
                   "The request's \"method\" must be the name of a method, such as \"status\"");
      return NULL;
    }
  request->method = g_strdup (json_node_get_string (node));

  node = json_object_get_member (object, "params");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    request->params = json_object_new ();
  else if (JSON_NODE_HOLDS_OBJECT (node))
    request->params = json_object_ref (json_node_get_object (node));
  else
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
                   "The request's \"params\" must be an object");
      return NULL;
    }
  if (id != NULL)
    g_clear_pointer (id, json_node_unref);
  return g_steal_pointer (&request);
}

/**
 * wk_control_request_free:
 * @request: (nullable) (transfer full): a #WkControlRequest
 */
void
wk_control_request_free (WkControlRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer (&request->id, json_node_unref);
  g_free (request->method);
  g_clear_pointer (&request->params, json_object_unref);
  g_free (request);
}

/**
 * wk_control_request_to_line:
 * @id: (nullable): the request's id
 * @method: the method
 * @params: (nullable): its parameters
 *
 * Returns: (transfer full): the request as one line, ending in `\n`
 */
char *
wk_control_request_to_line (JsonNode *id, const char *method, JsonObject *params)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  g_return_val_if_fail (method != NULL, NULL);

  if (id != NULL)
    json_object_set_member (object, "id", json_node_copy (id));
  json_object_set_string_member (object, "method", method);
  if (params != NULL)
    json_object_set_object_member (object, "params", json_object_ref (params));
  json_node_take_object (root, object);
  return node_to_line (root);
}

/**
 * wk_control_result_to_line:
 * @id: (nullable): the id of the request answered
 * @result: (nullable): the result; %NULL for an empty object
 *
 * Returns: (transfer full): the answer as one line, ending in `\n`
 */
char *
wk_control_result_to_line (JsonNode *id, JsonNode *result)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  json_object_set_member (object, "id",
                          id != NULL ? json_node_copy (id) : json_node_new (JSON_NODE_NULL));
  if (result != NULL)
    json_object_set_member (object, "result", json_node_copy (result));
  else
    json_object_set_object_member (object, "result", json_object_new ());
  json_node_take_object (root, object);
  return node_to_line (root);
}

/**
 * wk_control_error_to_line:
 * @id: (nullable): the id of the request refused; %NULL when it could not be read
 * @code: the error code
 * @message: what went wrong, for a person
 *
 * Returns: (transfer full): the error answer as one line, ending in `\n`
 */
char *
wk_control_error_to_line (JsonNode *id, WkControlError code, const char *message)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "code", wk_control_error_to_code (code));
  json_object_set_string_member (error, "message", message != NULL ? message : "");
  json_object_set_member (object, "id",
                          id != NULL ? json_node_copy (id) : json_node_new (JSON_NODE_NULL));
  json_object_set_object_member (object, "error", error);
  json_node_take_object (root, object);
  return node_to_line (root);
}

/**
 * wk_control_event_to_line:
 * @event: the event's name ("status", "print")
 * @params: (nullable): its parameters
 *
 * Returns: (transfer full): the event as one line, ending in `\n`
 */
char *
wk_control_event_to_line (const char *event, JsonObject *params)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  g_return_val_if_fail (event != NULL, NULL);

  json_object_set_string_member (object, "event", event);
  json_object_set_object_member (object, "params",
                                 params != NULL ? json_object_ref (params) : json_object_new ());
  json_node_take_object (root, object);
  return node_to_line (root);
}

static gboolean
protocol_error (GError **error, const char *what)
{
  g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL,
               "The daemon sent a line this program cannot read: %s", what);
  return FALSE;
}

/**
 * wk_control_message_parse:
 * @line: one line the daemon sent, without its end
 * @length: its length, or -1 when nul-terminated
 * @error: return location for a #GError
 *
 * Reads one line from the daemon: a result (`id`, `result`), an error (`id`, `error`
 * with `code` and `message`) or an event (`event`, `params`).
 *
 * Returns: (transfer full): the message, or %NULL with %WK_CONTROL_ERROR_PROTOCOL
 */
WkControlMessage *
wk_control_message_parse (const char *line, gssize length, GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (WkControlMessage) message = g_new0 (WkControlMessage, 1);
  JsonNode *node;

  g_return_val_if_fail (line != NULL, NULL);

  object = parse_object (line, length, WK_CONTROL_ERROR_PROTOCOL, error);
  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, "event");
  if (node != NULL)
    {
      if (json_node_get_value_type (node) != G_TYPE_STRING || *json_node_get_string (node) == '\0')
        return protocol_error (error, "an event without a name"), NULL;
      message->kind = WK_CONTROL_MESSAGE_EVENT;
      message->event = g_strdup (json_node_get_string (node));
      node = json_object_get_member (object, "params");
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        message->params = json_object_new ();
      else if (JSON_NODE_HOLDS_OBJECT (node))
        message->params = json_object_ref (json_node_get_object (node));
      else
        return protocol_error (error, "an event whose params are not an object"), NULL;
      return g_steal_pointer (&message);
    }

  node = json_object_get_member (object, "id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!valid_id (node))
        return protocol_error (error, "an id that is neither a number nor a string"), NULL;
      message->id = json_node_copy (node);
    }
  node = json_object_get_member (object, "error");
  if (node != NULL)
    {
      JsonObject *err;
      JsonNode   *code, *text;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return protocol_error (error, "an error that is not an object"), NULL;
      err = json_node_get_object (node);
      code = json_object_get_member (err, "code");
      text = json_object_get_member (err, "message");
      if (code == NULL || json_node_get_value_type (code) != G_TYPE_STRING || text == NULL
          || json_node_get_value_type (text) != G_TYPE_STRING)
        return protocol_error (error, "an error without a code and a message"), NULL;
      message->kind = WK_CONTROL_MESSAGE_ERROR;
      message->error = g_error_new_literal (
          WK_CONTROL_ERROR, wk_control_error_from_code (json_node_get_string (code)),
          json_node_get_string (text));
      return g_steal_pointer (&message);
    }
  node = json_object_get_member (object, "result");
  if (node == NULL)
    return protocol_error (error, "neither a result, an error nor an event"), NULL;
  message->kind = WK_CONTROL_MESSAGE_RESULT;
  message->result = json_node_copy (node);
  return g_steal_pointer (&message);
}

/**
 * wk_control_message_free:
 * @message: (nullable) (transfer full): a #WkControlMessage
 */
void
wk_control_message_free (WkControlMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->id, json_node_unref);
  g_clear_pointer (&message->result, json_node_unref);
  g_clear_error (&message->error);
  g_free (message->event);
  g_clear_pointer (&message->params, json_object_unref);
  g_free (message);
}

static gboolean
wrong_type (GError **error, const char *name, const char *expected)
{
  g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
               "The parameter \"%s\" must be %s", name, expected);
  return FALSE;
}

/* Finds a parameter holding a value of @type; absent or null is "not given" (*node NULL). */
static gboolean
typed_param (JsonObject *params,
             const char *name,
             gboolean    required,
             GType       type,
             const char *expected,
             JsonNode  **node,
             GError    **error)
{
  *node = params != NULL ? json_object_get_member (params, name) : NULL;
  if (*node != NULL && JSON_NODE_HOLDS_NULL (*node))
    *node = NULL;
  if (*node == NULL)
    {
      if (!required)
        return TRUE;
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_BAD_REQUEST,
                   "The parameter \"%s\" is missing", name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (*node) || json_node_get_value_type (*node) != type)
    {
      *node = NULL;
      return wrong_type (error, name, expected);
    }
  return TRUE;
}

/**
 * wk_control_params_get_string:
 * @params: (nullable): a request's parameters
 * @name: the parameter
 * @required: whether it must be given
 * @value: (out) (transfer none): its value (borrowed from @params), %NULL when not given
 * @error: return location for a #GError
 *
 * Reads a text parameter. A required one must hold more than white space.
 *
 * Returns: %TRUE, or %FALSE with %WK_CONTROL_ERROR_BAD_REQUEST naming the parameter
 */
gboolean
wk_control_params_get_string (
    JsonObject *params, const char *name, gboolean required, const char **value, GError **error)
{
  JsonNode *node;

  *value = NULL;
  if (!typed_param (params, name, required, G_TYPE_STRING, "text", &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  *value = json_node_get_string (node);
  if (required)
    {
      const char *p = *value;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        {
          *value = NULL;
          return wrong_type (error, name, "more than blank text");
        }
    }
  return TRUE;
}

/**
 * wk_control_params_get_int:
 * @params: (nullable): a request's parameters
 * @name: the parameter
 * @required: whether it must be given
 * @value: (out): its value; left as it was when not given
 * @error: return location for a #GError
 *
 * Reads a whole-number parameter.
 *
 * Returns: %TRUE, or %FALSE with %WK_CONTROL_ERROR_BAD_REQUEST naming the parameter
 */
gboolean
wk_control_params_get_int (
    JsonObject *params, const char *name, gboolean required, gint64 *value, GError **error)
{
  JsonNode *node;

  if (!typed_param (params, name, required, G_TYPE_INT64, "a whole number", &node, error))
    return FALSE;
  if (node != NULL)
    *value = json_node_get_int (node);
  return TRUE;
}

/**
 * wk_control_params_get_boolean:
 * @params: (nullable): a request's parameters
 * @name: the parameter
 * @required: whether it must be given
 * @value: (out): its value; left as it was when not given
 * @error: return location for a #GError
 *
 * Reads a true/false parameter.
 *
 * Returns: %TRUE, or %FALSE with %WK_CONTROL_ERROR_BAD_REQUEST naming the parameter
 */
gboolean
wk_control_params_get_boolean (
    JsonObject *params, const char *name, gboolean required, gboolean *value, GError **error)
{
  JsonNode *node;

  if (!typed_param (params, name, required, G_TYPE_BOOLEAN, "true or false", &node, error))
    return FALSE;
  if (node != NULL)
    *value = json_node_get_boolean (node);
  return TRUE;
}

/* ---- the server ---- */

typedef struct
{
  char                *name;
  WkControlMethodFlags flags;
  WkControlMethodFunc  func;
  gpointer             data;
  GDestroyNotify       destroy;
} Method;

/* One client connected to the server. Reference counted: the server's list, each read
 * and write in flight and each call being answered hold one. */
typedef struct
{
  gint               ref_count;
  WkControlServer   *server; /* NULL once closed */
  guint64            serial;
  GSocketConnection *connection;
  GCancellable      *cancellable;
  WkControlFramer   *framer;
  guint8            *buffer;
  WkControlPeer      peer;
  gboolean           subscribed;
  gboolean           closed;
  gboolean           reading;
  gboolean           close_when_written;
  guint              in_flight;
  GQueue             out; /* GBytes */
  gsize              queued;
  gboolean           writing;
} Connection;

struct _WkControlCall
{
  gint        ref_count;
  Connection *connection;
  JsonNode   *id;
  char       *method;
  JsonObject *params;
  gboolean    answered;
};

struct _WkControlServer
{
  GObject parent_instance;

  GSocketService *service;
  char           *path;
  dev_t           dev;
  ino_t           ino;
  GHashTable     *methods; /* name -> Method */
  GPtrArray      *connections;
  guint64         next_serial;
};

G_DEFINE_FINAL_TYPE (WkControlServer, wk_control_server, G_TYPE_OBJECT)

static void connection_read (Connection *connection);
static void connection_write (Connection *connection);

static Connection *
connection_ref (Connection *connection)
{
  g_atomic_int_inc (&connection->ref_count);
  return connection;
}

static void
connection_unref (Connection *connection)
{
  if (!g_atomic_int_dec_and_test (&connection->ref_count))
    return;
  g_assert (connection->closed);
  g_clear_object (&connection->connection);
  g_clear_object (&connection->cancellable);
  wk_control_framer_free (connection->framer);
  g_free (connection->buffer);
  g_queue_clear_full (&connection->out, (GDestroyNotify)g_bytes_unref);
  g_free (connection);
}

static void
connection_close (Connection *connection)
{
  WkControlServer *server = connection->server;

  if (connection->closed)
    return;
  connection->closed = TRUE;
  connection->server = NULL;
  g_cancellable_cancel (connection->cancellable);
  g_io_stream_close (G_IO_STREAM (connection->connection), NULL, NULL);
  g_queue_clear_full (&connection->out, (GDestroyNotify)g_bytes_unref);
  connection->queued = 0;
  g_debug ("control: connection #%" G_GUINT64_FORMAT " closed", connection->serial);
  if (server != NULL)
    g_ptr_array_remove (server->connections, connection);
}

static void
method_free (gpointer data)
{
  Method *method = data;

  if (method->destroy != NULL)
    method->destroy (method->data);
  g_free (method->name);
  g_free (method);
}

/* Queues one line for the client; the line is taken. */
static void
connection_send (Connection *connection, char *line)
{
  gsize n = strlen (line);

  if (connection->closed)
    {
      g_free (line);
      return;
    }
  if (connection->queued + n > MAX_QUEUED)
    {
      g_warning ("control: connection #%" G_GUINT64_FORMAT " (uid %u) does not read what the "
                 "daemon sends; closing it",
                 connection->serial, connection->peer.uid);
      g_free (line);
      connection_close (connection);
      return;
    }
  g_queue_push_tail (&connection->out, g_bytes_new_take (line, n));
  connection->queued += n;
  connection_write (connection);
}

static void
write_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Connection *connection = data;
  g_autoptr (GError) error = NULL;
  GBytes *head;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("control: writing to connection #%" G_GUINT64_FORMAT " failed: %s",
                 connection->serial, error->message);
      connection->writing = FALSE;
      connection_close (connection);
      connection_unref (connection);
      return;
    }
  connection->writing = FALSE;
  head = g_queue_pop_head (&connection->out);
  if (head != NULL)
    {
      connection->queued -= g_bytes_get_size (head);
      g_bytes_unref (head);
    }
  connection_write (connection);
  connection_unref (connection);
}

static void
connection_write (Connection *connection)
{
  GBytes        *head;
  GOutputStream *out;

  if (connection->closed || connection->writing)
    return;
  head = g_queue_peek_head (&connection->out);
  if (head == NULL)
    {
      if (connection->close_when_written)
        connection_close (connection);
      return;
    }
  connection->writing = TRUE;
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection->connection));
  g_output_stream_write_all_async (out, g_bytes_get_data (head, NULL), g_bytes_get_size (head),
                                   G_PRIORITY_DEFAULT, connection->cancellable, write_cb,
                                   connection_ref (connection));
}

/* ---- calls ---- */

/**
 * wk_control_call_ref:
 * @call: a #WkControlCall
 *
 * Returns: (transfer full): @call
 */
WkControlCall *
wk_control_call_ref (WkControlCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  g_atomic_int_inc (&call->ref_count);
  return call;
}

static void
call_answer (WkControlCall *call, char *line)
{
  Connection *connection = call->connection;

  call->answered = TRUE;
  connection->in_flight--;
  connection_send (connection, line);
  /* A connection that had too many requests in flight reads again. */
  if (!connection->reading && connection->in_flight < MAX_IN_FLIGHT)
    connection_read (connection);
}

/**
 * wk_control_call_unref:
 * @call: (transfer full): a #WkControlCall
 *
 * Drops a reference. A call freed without an answer is a bug in its handler: the client
 * gets a `failed` error so that it does not wait for ever.
 */
void
wk_control_call_unref (WkControlCall *call)
{
  g_return_if_fail (call != NULL);

  if (!g_atomic_int_dec_and_test (&call->ref_count))
    return;
  if (!call->answered)
    {
      g_critical ("control: the handler of %s dropped a call without answering it", call->method);
      call_answer (call, wk_control_error_to_line (call->id, WK_CONTROL_ERROR_FAILED,
                                                   "The daemon dropped the request without an "
                                                   "answer; this is a bug in wardkeepd"));
    }
  connection_unref (call->connection);
  g_clear_pointer (&call->id, json_node_unref);
  g_free (call->method);
  g_clear_pointer (&call->params, json_object_unref);
  g_free (call);
}

/**
 * wk_control_call_get_method:
 * @call: a #WkControlCall
 *
 * Returns: the method called
 */
const char *
wk_control_call_get_method (WkControlCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  return call->method;
}

/**
 * wk_control_call_get_params:
 * @call: a #WkControlCall
 *
 * Returns: (transfer none): the call's parameters (an empty object when none were given)
 */
JsonObject *
wk_control_call_get_params (WkControlCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  return call->params;
}

/**
 * wk_control_call_get_peer:
 * @call: a #WkControlCall
 *
 * Returns: (transfer none): who called, from the socket's peer credentials
 */
const WkControlPeer *
wk_control_call_get_peer (WkControlCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  return &call->connection->peer;
}

/**
 * wk_control_call_is_answered:
 * @call: a #WkControlCall
 *
 * Returns: whether the call has had its answer
 */
gboolean
wk_control_call_is_answered (WkControlCall *call)
{
  g_return_val_if_fail (call != NULL, TRUE);

  return call->answered;
}

/**
 * wk_control_call_return:
 * @call: a #WkControlCall not yet answered
 * @result: (nullable) (transfer full): the result; %NULL for an empty object
 *
 * Answers the call.
 */
void
wk_control_call_return (WkControlCall *call, JsonNode *result)
{
  g_return_if_fail (call != NULL);
  g_return_if_fail (!call->answered);

  call_answer (call, wk_control_result_to_line (call->id, result));
  if (result != NULL)
    json_node_unref (result);
}

/**
 * wk_control_call_return_object:
 * @call: a #WkControlCall not yet answered
 * @result: (transfer full): the result
 *
 * Answers the call with an object.
 */
void
wk_control_call_return_object (WkControlCall *call, JsonObject *result)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, result);
  wk_control_call_return (call, node);
}

/**
 * wk_control_call_return_error:
 * @call: a #WkControlCall not yet answered
 * @code: one of the wire codes (%WK_CONTROL_ERROR_BAD_REQUEST to %WK_CONTROL_ERROR_FAILED)
 * @format: what went wrong, for a person
 *
 * Refuses the call, or says it failed.
 */
void
wk_control_call_return_error (WkControlCall *call, WkControlError code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  g_return_if_fail (call != NULL);
  g_return_if_fail (!call->answered);
  g_return_if_fail (code <= WK_CONTROL_ERROR_FAILED);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("control: %s refused (%s): %s", call->method, wk_control_error_to_code (code), message);
  call_answer (call, wk_control_error_to_line (call->id, code, message));
}

/**
 * wk_control_call_return_gerror:
 * @call: a #WkControlCall not yet answered
 * @error: what went wrong
 *
 * Refuses the call with @error's message: its code when it is in %WK_CONTROL_ERROR, else
 * `failed`.
 */
void
wk_control_call_return_gerror (WkControlCall *call, const GError *error)
{
  WkControlError code = WK_CONTROL_ERROR_FAILED;

  g_return_if_fail (error != NULL);

  if (error->domain == WK_CONTROL_ERROR && error->code <= WK_CONTROL_ERROR_FAILED)
    code = (WkControlError)error->code;
  wk_control_call_return_error (call, code, "%s", error->message);
}

/* ---- reading requests ---- */

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static void
handle_line (Connection *connection, const char *line, gsize length)
{
  WkControlServer *server = connection->server;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) bad_id = NULL;
  g_autoptr (WkControlRequest) request = NULL;
  WkControlCall *call;
  Method        *method;
  const char    *who = NULL;

  request = wk_control_request_parse (line, length, &bad_id, &error);
  if (request == NULL)
    {
      g_debug ("control: connection #%" G_GUINT64_FORMAT ": %s", connection->serial,
               error->message);
      connection_send (connection, wk_control_error_to_line (bad_id, WK_CONTROL_ERROR_BAD_REQUEST,
                                                             error->message));
      return;
    }

  if (strcmp (request->method, "subscribe") == 0)
    {
      connection->subscribed = TRUE;
      g_debug ("control: connection #%" G_GUINT64_FORMAT " (uid %u) subscribed", connection->serial,
               connection->peer.uid);
      connection_send (connection, wk_control_result_to_line (request->id, NULL));
      return;
    }
  method = g_hash_table_lookup (server->methods, request->method);
  if (method == NULL)
    {
      g_autoptr (GPtrArray) names = g_ptr_array_new ();
      g_autofree char *list = NULL;
      g_autofree char *message = NULL;
      GHashTableIter   iter;
      gpointer         name;

      g_ptr_array_add (names, "subscribe");
      g_hash_table_iter_init (&iter, server->methods);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        g_ptr_array_add (names, name);
      g_ptr_array_sort (names, compare_names);
      g_ptr_array_add (names, NULL);
      list = g_strjoinv (", ", (char **)names->pdata);
      message
          = g_strdup_printf ("The daemon has no method \"%s\"; it has: %s", request->method, list);
      connection_send (connection, wk_control_error_to_line (
                                       request->id, WK_CONTROL_ERROR_UNKNOWN_METHOD, message));
      return;
    }

  /* Who asked, for the log: the socket's credentials and the name they give. */
  if (json_object_has_member (request->params, "who")
      && json_node_get_value_type (json_object_get_member (request->params, "who"))
             == G_TYPE_STRING)
    who = json_object_get_string_member (request->params, "who");
  if (method->flags & WK_CONTROL_METHOD_READ_ONLY)
    g_debug ("control: %s from uid %u (pid %d)", request->method, connection->peer.uid,
             connection->peer.pid);
  else
    g_message ("control: %s from uid %u (pid %d)%s%s", request->method, connection->peer.uid,
               connection->peer.pid, who != NULL ? ", who: " : "", who != NULL ? who : "");

  call = g_new0 (WkControlCall, 1);
  call->ref_count = 1;
  call->connection = connection_ref (connection);
  call->id = g_steal_pointer (&request->id);
  call->method = g_steal_pointer (&request->method);
  call->params = g_steal_pointer (&request->params);
  connection->in_flight++;
  method->func (server, call, method->data);
  wk_control_call_unref (call);
}

static void
read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Connection *connection = data;
  g_autoptr (GError) error = NULL;
  gssize   n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  char    *line;
  gsize    length;
  gboolean ok;

  connection->reading = FALSE;
  if (connection->closed)
    {
      connection_unref (connection);
      return;
    }
  if (n <= 0)
    {
      if (n < 0)
        g_debug ("control: reading from connection #%" G_GUINT64_FORMAT " failed: %s",
                 connection->serial, error->message);
      connection_close (connection);
      connection_unref (connection);
      return;
    }

  ok = wk_control_framer_push (connection->framer, connection->buffer, n, &error);
  while (!connection->closed
         && (line = wk_control_framer_pop (connection->framer, &length)) != NULL)
    {
      handle_line (connection, line, length);
      g_free (line);
    }
  if (!ok && !connection->closed)
    {
      g_message ("control: connection #%" G_GUINT64_FORMAT " (uid %u) sent %s", connection->serial,
                 connection->peer.uid, "a line over the size limit; closing it");
      connection_send (connection, wk_control_error_to_line (NULL, WK_CONTROL_ERROR_BAD_REQUEST,
                                                             error->message));
      connection->close_when_written = TRUE;
      connection_write (connection);
    }
  else if (connection->in_flight < MAX_IN_FLIGHT)
    connection_read (connection);
  connection_unref (connection);
}

static void
connection_read (Connection *connection)
{
  GInputStream *in;

  if (connection->closed || connection->reading || connection->close_when_written)
    return;
  connection->reading = TRUE;
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection->connection));
  g_input_stream_read_async (in, connection->buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                             connection->cancellable, read_cb, connection_ref (connection));
}

static void
read_peer (Connection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection->connection);
  g_autoptr (GError) error = NULL;
  g_autoptr (GCredentials) credentials = g_socket_get_credentials (socket, &error);

  connection->peer.uid = (guint)-1;
  connection->peer.gid = (guint)-1;
  if (credentials == NULL)
    {
      g_warning ("control: cannot read who connected: %s", error->message);
      return;
    }
#ifdef __linux__
  {
    const struct ucred *ucred
        = g_credentials_get_native (credentials, G_CREDENTIALS_TYPE_LINUX_UCRED);

    if (ucred != NULL)
      {
        connection->peer.uid = ucred->uid;
        connection->peer.gid = ucred->gid;
        connection->peer.pid = ucred->pid;
        return;
      }
  }
#endif
  connection->peer.uid = g_credentials_get_unix_user (credentials, NULL);
  connection->peer.pid = g_credentials_get_unix_pid (credentials, NULL);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *socket_connection,
             GObject           *source,
             gpointer           data)
{
  WkControlServer *self = data;
  Connection      *connection = g_new0 (Connection, 1);

  connection->ref_count = 1;
  connection->server = self;
  connection->serial = ++self->next_serial;
  connection->connection = g_object_ref (socket_connection);
  connection->cancellable = g_cancellable_new ();
  connection->framer = wk_control_framer_new (WK_CONTROL_MAX_LINE);
  connection->buffer = g_malloc (READ_SIZE);
  read_peer (connection);
  g_ptr_array_add (self->connections, connection);
  g_debug ("control: connection #%" G_GUINT64_FORMAT " from uid %u (pid %d)", connection->serial,
           connection->peer.uid, connection->peer.pid);
  connection_read (connection);
  return TRUE;
}

static void
wk_control_server_dispose (GObject *object)
{
  WkControlServer *self = WK_CONTROL_SERVER (object);

  wk_control_server_close (self);
  G_OBJECT_CLASS (wk_control_server_parent_class)->dispose (object);
}

static void
wk_control_server_finalize (GObject *object)
{
  WkControlServer *self = WK_CONTROL_SERVER (object);

  g_hash_table_unref (self->methods);
  g_ptr_array_unref (self->connections);
  g_free (self->path);
  G_OBJECT_CLASS (wk_control_server_parent_class)->finalize (object);
}

static void
wk_control_server_class_init (WkControlServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wk_control_server_dispose;
  object_class->finalize = wk_control_server_finalize;
}

static void
wk_control_server_init (WkControlServer *self)
{
  self->methods = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, method_free);
  self->connections = g_ptr_array_new_with_free_func ((GDestroyNotify)connection_unref);
}

/**
 * wk_control_server_new:
 *
 * Makes a server with no methods but the built-in `subscribe`; it listens once
 * wk_control_server_listen() is called. Connections are served on the thread-default main
 * context of the thread that calls wk_control_server_listen(), which must not block.
 *
 * Returns: (transfer full): the server
 */
WkControlServer *
wk_control_server_new (void)
{
  return g_object_new (WK_TYPE_CONTROL_SERVER, NULL);
}

/* Is another process answering at @path? A socket nobody answers on any more (a daemon
 * that was killed) is stale and will be replaced. */
static gboolean
check_path_free (const char *path, GError **error)
{
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) local_error = NULL;
  struct stat st;

  if (lstat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED,
                   "Cannot look at the control socket %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED,
                   "%s exists and is not a socket; move it away, or set another [daemon] "
                   "control-socket",
                   path);
      return FALSE;
    }
  probe
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (probe == NULL)
    return FALSE;
  g_socket_set_timeout (probe, 2);
  address = g_unix_socket_address_new (path);
  if (g_socket_connect (probe, address, NULL, &local_error))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_REFUSED,
                   "Another program (another wardkeepd?) already answers at %s; stop it first",
                   path);
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_control_server_listen:
 * @server: a #WkControlServer not yet listening
 * @path: the socket's path (at most 100 bytes)
 * @mode: the socket's permissions, such as 0660: who may connect
 * @group: (nullable): the group the socket is given to (the daemon's user must be in
 *   it); %NULL to leave it
 * @error: return location for a #GError
 *
 * Starts answering at @path. The socket is made in a temporary name beside @path, given
 * its mode and group, and only then moved into place, so that nobody can connect while
 * it is more open than @mode. A stale socket left by a killed daemon is replaced; a path
 * where another process answers is refused.
 *
 * Returns: %TRUE, or %FALSE with @error saying why
 */
gboolean
wk_control_server_listen (
    WkControlServer *self, const char *path, guint mode, const char *group, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *temp = NULL;
  gid_t            gid = (gid_t)-1;
  struct stat      st;

  g_return_val_if_fail (WK_IS_CONTROL_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  if (strlen (path) > 100)
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED,
                   "The control socket path %s is too long for a Unix socket (at most 100 "
                   "bytes)",
                   path);
      return FALSE;
    }
  if (group != NULL)
    {
      struct group entry, *found = NULL;
      char         buffer[4096];

      if (getgrnam_r (group, &entry, buffer, sizeof buffer, &found) != 0 || found == NULL)
        {
          g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED,
                       "The group %s for the control socket does not exist; create it (the "
                       "package does) or set another",
                       group);
          return FALSE;
        }
      gid = found->gr_gid;
    }
  if (!check_path_free (path, error))
    return FALSE;

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  temp = g_strdup_printf ("%s/.%.40s.%d", dir, base, (int)getpid ());
  unlink (temp);
  socket
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  address = g_unix_socket_address_new (temp);
  if (!g_socket_bind (socket, address, FALSE, error))
    {
      g_prefix_error (error, "Cannot make the control socket in %s: ", dir);
      return FALSE;
    }
  /* Bound but not listening: nobody can connect until mode and group are right. */
  if (chmod (temp, mode) != 0 || (gid != (gid_t)-1 && chown (temp, (uid_t)-1, gid) != 0))
    {
      int saved = errno;

      unlink (temp);
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED,
                   "Cannot give the control socket %s mode %o%s%s: %s", path, mode,
                   group != NULL ? " and group " : "", group != NULL ? group : "",
                   g_strerror (saved));
      return FALSE;
    }
  if (!g_socket_listen (socket, error) || rename (temp, path) != 0)
    {
      int saved = errno;

      unlink (temp);
      if (error != NULL && *error == NULL)
        g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_FAILED,
                     "Cannot put the control socket in place at %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (stat (path, &st) == 0)
    {
      self->dev = st.st_dev;
      self->ino = st.st_ino;
    }

  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    {
      unlink (path);
      g_clear_object (&self->service);
      return FALSE;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
  self->path = g_strdup (path);
  g_message ("control: answering at %s (mode %04o%s%s)", path, mode,
             group != NULL ? ", group " : "", group != NULL ? group : "");
  return TRUE;
}

/**
 * wk_control_server_close:
 * @server: a #WkControlServer
 *
 * Stops listening, closes every connection (answers to calls still being handled are
 * dropped) and removes the socket, unless another process has put its own there since.
 */
void
wk_control_server_close (WkControlServer *self)
{
  struct stat st;

  g_return_if_fail (WK_IS_CONTROL_SERVER (self));

  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
      if (self->path != NULL && stat (self->path, &st) == 0 && st.st_dev == self->dev
          && st.st_ino == self->ino)
        unlink (self->path);
    }
  while (self->connections->len > 0)
    connection_close (self->connections->pdata[self->connections->len - 1]);
}

/**
 * wk_control_server_get_path:
 * @server: a #WkControlServer
 *
 * Returns: (nullable): where it listens, %NULL before wk_control_server_listen()
 */
const char *
wk_control_server_get_path (WkControlServer *self)
{
  g_return_val_if_fail (WK_IS_CONTROL_SERVER (self), NULL);

  return self->path;
}

/**
 * wk_control_server_add_method:
 * @server: a #WkControlServer
 * @method: the method's name ("status", "reconcile.scan"); letters, digits, `.`, `_`, `-`
 * @flags: how calls are logged
 * @func: answers each call
 * @user_data: passed to @func
 * @destroy: (nullable): frees @user_data when the method is removed or the server goes
 *
 * Adds a method, or replaces the one of that name. Each part of the daemon adds its own
 * (`reconcile.*`, `drill.*`) without the others knowing.
 */
void
wk_control_server_add_method (WkControlServer     *self,
                              const char          *method,
                              WkControlMethodFlags flags,
                              WkControlMethodFunc  func,
                              gpointer             user_data,
                              GDestroyNotify       destroy)
{
  Method *entry;

  g_return_if_fail (WK_IS_CONTROL_SERVER (self));
  g_return_if_fail (method != NULL && valid_method (method));
  g_return_if_fail (strcmp (method, "subscribe") != 0);
  g_return_if_fail (func != NULL);

  entry = g_new0 (Method, 1);
  entry->name = g_strdup (method);
  entry->flags = flags;
  entry->func = func;
  entry->data = user_data;
  entry->destroy = destroy;
  g_hash_table_replace (self->methods, entry->name, entry);
}

/**
 * wk_control_server_remove_method:
 * @server: a #WkControlServer
 * @method: the method's name
 *
 * Returns: whether there was such a method
 */
gboolean
wk_control_server_remove_method (WkControlServer *self, const char *method)
{
  g_return_val_if_fail (WK_IS_CONTROL_SERVER (self), FALSE);

  return g_hash_table_remove (self->methods, method);
}

/**
 * wk_control_server_has_method:
 * @server: a #WkControlServer
 * @method: the method's name
 *
 * Returns: whether the server answers @method
 */
gboolean
wk_control_server_has_method (WkControlServer *self, const char *method)
{
  g_return_val_if_fail (WK_IS_CONTROL_SERVER (self), FALSE);

  return g_strcmp0 (method, "subscribe") == 0 || g_hash_table_contains (self->methods, method);
}

/**
 * wk_control_server_emit_event:
 * @server: a #WkControlServer
 * @event: the event's name ("status", "print")
 * @params: (nullable): its parameters
 *
 * Sends an event to every connection that has subscribed.
 */
void
wk_control_server_emit_event (WkControlServer *self, const char *event, JsonObject *params)
{
  g_autofree char *line = NULL;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify)connection_unref);

  g_return_if_fail (WK_IS_CONTROL_SERVER (self));
  g_return_if_fail (event != NULL);

  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *connection = self->connections->pdata[i];

      if (connection->subscribed)
        g_ptr_array_add (targets, connection_ref (connection));
    }
  if (targets->len == 0)
    return;
  line = wk_control_event_to_line (event, params);
  for (guint i = 0; i < targets->len; i++)
    connection_send (targets->pdata[i], g_strdup (line));
}

/**
 * wk_control_server_get_n_connections:
 * @server: a #WkControlServer
 *
 * Returns: how many clients are connected
 */
guint
wk_control_server_get_n_connections (WkControlServer *self)
{
  g_return_val_if_fail (WK_IS_CONTROL_SERVER (self), 0);

  return self->connections->len;
}

/**
 * wk_control_server_get_n_subscribers:
 * @server: a #WkControlServer
 *
 * Returns: how many connected clients have subscribed to events
 */
guint
wk_control_server_get_n_subscribers (WkControlServer *self)
{
  guint n = 0;

  g_return_val_if_fail (WK_IS_CONTROL_SERVER (self), 0);

  for (guint i = 0; i < self->connections->len; i++)
    if (((Connection *)self->connections->pdata[i])->subscribed)
      n++;
  return n;
}

/* ---- the client ---- */

/* One connection of a client. Reads and writes in flight hold a reference, so that a
 * connection dropped while they run is freed once they come back. */
typedef struct
{
  gint               ref_count;
  GSocketConnection *connection;
  GCancellable      *cancellable;
  WkControlFramer   *framer;
  guint8            *buffer;
  GQueue             out; /* GBytes */
  gboolean           writing;
} Link;

/* A call waiting for its answer. */
typedef struct
{
  WkControlClient *client;
  GTask           *task;
  gint64           id;
  GSource         *cancel_source;
} Pending;

struct _WkControlClient
{
  GObject parent_instance;

  char         *path;
  GMainContext *context;
  Link         *link; /* the connection, NULL when not connected */
  gboolean      connecting;
  GPtrArray    *connect_tasks;
  GHashTable   *pending; /* gint64 id -> Pending */
  gint64        next_id;
  gboolean      want_events;
  gboolean      ready; /* connected, and subscribed again if it had been */
  guint         reconnect_ms;
  GSource      *reconnect_source;
  gboolean      closed;
};

enum
{
  CLIENT_SIGNAL_EVENT,
  CLIENT_SIGNAL_CONNECTED,
  CLIENT_SIGNAL_DISCONNECTED,
  N_CLIENT_SIGNALS
};

static guint client_signals[N_CLIENT_SIGNALS];

G_DEFINE_FINAL_TYPE (WkControlClient, wk_control_client, G_TYPE_OBJECT)

static void client_start_connect (WkControlClient *self);
static void client_read (WkControlClient *self, Link *link);

static Link *
link_ref (Link *link)
{
  g_atomic_int_inc (&link->ref_count);
  return link;
}

static void
link_unref (Link *link)
{
  if (!g_atomic_int_dec_and_test (&link->ref_count))
    return;
  g_clear_object (&link->connection);
  g_clear_object (&link->cancellable);
  wk_control_framer_free (link->framer);
  g_free (link->buffer);
  g_queue_clear_full (&link->out, (GDestroyNotify)g_bytes_unref);
  g_free (link);
}

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  if (pending->cancel_source != NULL)
    {
      g_source_destroy (pending->cancel_source);
      g_source_unref (pending->cancel_source);
    }
  g_clear_object (&pending->task);
  g_free (pending);
}

/* Translates a failure to connect into what a person can act on. */
static GError *
connect_error (const char *path, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING,
                        "The wardkeep daemon is not running (nothing answers at %s)", path);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    return g_error_new (WK_CONTROL_ERROR, WK_CONTROL_ERROR_PERMISSION,
                        "Not allowed to talk to the wardkeep daemon at %s: the user must be in "
                        "the wardkeep group",
                        path);
  return g_error_new (WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING,
                      "Cannot connect to the wardkeep daemon at %s: %s", path, error->message);
}

static gboolean
reconnect_cb (gpointer data)
{
  WkControlClient *self = data;

  g_clear_pointer (&self->reconnect_source, g_source_unref);
  client_start_connect (self);
  return G_SOURCE_REMOVE;
}

/* Ends the connection: every call waiting fails with @reason. */
static void
client_drop (WkControlClient *self, const char *reason)
{
  g_autoptr (GList) values = NULL;
  gboolean was_ready = self->ready;
  Link    *link = g_steal_pointer (&self->link);

  self->ready = FALSE;
  if (link != NULL)
    {
      g_cancellable_cancel (link->cancellable);
      g_io_stream_close (G_IO_STREAM (link->connection), NULL, NULL);
      link_unref (link);
    }
  values = g_hash_table_get_values (self->pending);
  for (GList *l = values; l != NULL; l = l->next)
    {
      Pending *pending = l->data;
      GTask   *task = g_object_ref (pending->task);

      g_hash_table_remove (self->pending, &pending->id);
      g_task_return_new_error (task, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED,
                               "The connection to the wardkeep daemon closed before it "
                               "answered (%s)",
                               reason);
      g_object_unref (task);
    }
  if (was_ready)
    g_signal_emit (self, client_signals[CLIENT_SIGNAL_DISCONNECTED], 0, reason);
  if (!self->closed && self->reconnect_ms > 0 && self->reconnect_source == NULL)
    {
      self->reconnect_source = g_timeout_source_new (self->reconnect_ms);
      g_source_set_callback (self->reconnect_source, reconnect_cb, self, NULL);
      g_source_attach (self->reconnect_source, self->context);
    }
}

static void client_write (Link *link);

static void
client_write_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Link *link = data;

  /* A failed write is seen by the read, which drops the connection. */
  link->writing = FALSE;
  if (g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      g_bytes_unref (g_queue_pop_head (&link->out));
      client_write (link);
    }
  link_unref (link);
}

static void
client_write (Link *link)
{
  GBytes *head;

  if (link->writing || g_cancellable_is_cancelled (link->cancellable))
    return;
  head = g_queue_peek_head (&link->out);
  if (head == NULL)
    return;
  link->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (link->connection)),
                                   g_bytes_get_data (head, NULL), g_bytes_get_size (head),
                                   G_PRIORITY_DEFAULT, link->cancellable, client_write_cb,
                                   link_ref (link));
}

static void
client_send (WkControlClient *self, char *line)
{
  g_queue_push_tail (&self->link->out, g_bytes_new_take (line, strlen (line)));
  client_write (self->link);
}

static gboolean
pending_cancelled_cb (gpointer data)
{
  Pending         *pending = data;
  WkControlClient *self = pending->client;
  GTask           *task = g_object_ref (pending->task);

  g_hash_table_remove (self->pending, &pending->id);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Sends a request; @task gets the answer. */
static void
client_call (WkControlClient *self, const char *method, JsonObject *params, GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (JsonNode) id = NULL;
  Pending *pending;

  if (self->link == NULL)
    {
      g_task_return_new_error (task, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED,
                               "Not connected to the wardkeep daemon at %s", self->path);
      return;
    }
  pending = g_new0 (Pending, 1);
  pending->client = self;
  pending->task = g_object_ref (task);
  pending->id = ++self->next_id;
  if (cancellable != NULL)
    {
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source, pending_cancelled_cb, pending, NULL);
      g_source_attach (pending->cancel_source, self->context);
    }
  g_hash_table_insert (self->pending, &pending->id, pending);
  id = json_node_init_int (json_node_alloc (), pending->id);
  client_send (self, wk_control_request_to_line (id, method, params));
}

static void
client_ready (WkControlClient *self)
{
  self->ready = TRUE;
  g_signal_emit (self, client_signals[CLIENT_SIGNAL_CONNECTED], 0);
}

static void
handle_message (WkControlClient *self, WkControlMessage *message)
{
  Pending *pending;
  GTask   *task;
  gint64   id;

  if (message->kind == WK_CONTROL_MESSAGE_EVENT)
    {
      g_signal_emit (self, client_signals[CLIENT_SIGNAL_EVENT], 0, message->event, message->params);
      return;
    }
  if (message->id == NULL || json_node_get_value_type (message->id) != G_TYPE_INT64)
    {
      g_debug ("control client: an answer to no request of ours: %s",
               message->error != NULL ? message->error->message : "a result");
      return;
    }
  id = json_node_get_int (message->id);
  pending = g_hash_table_lookup (self->pending, &id);
  if (pending == NULL)
    return;
  task = g_object_ref (pending->task);
  g_hash_table_remove (self->pending, &id);
  if (!g_task_return_error_if_cancelled (task))
    {
      if (message->kind == WK_CONTROL_MESSAGE_ERROR)
        g_task_return_error (task, g_error_copy (message->error));
      else
        g_task_return_pointer (task, json_node_ref (message->result),
                               (GDestroyNotify)json_node_unref);
    }
  g_object_unref (task);
}

static void
client_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Link *link = data;
  g_autoptr (GError) error = NULL;
  gssize           n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  WkControlClient *self;
  char            *line;
  gsize            length;

  if (g_cancellable_is_cancelled (link->cancellable))
    {
      link_unref (link);
      return;
    }
  self = g_object_get_data (G_OBJECT (link->connection), "wk-control-client");
  g_assert (self != NULL && self->link == link);
  if (n <= 0)
    {
      client_drop (self, n == 0 ? "the daemon closed the connection" : error->message);
      link_unref (link);
      return;
    }
  if (!wk_control_framer_push (link->framer, link->buffer, n, &error))
    {
      client_drop (self, error->message);
      link_unref (link);
      return;
    }
  g_object_ref (self);
  while (self->link == link && (line = wk_control_framer_pop (link->framer, &length)) != NULL)
    {
      g_autoptr (WkControlMessage) message = wk_control_message_parse (line, length, &error);

      g_free (line);
      if (message == NULL)
        {
          client_drop (self, error->message);
          break;
        }
      handle_message (self, message);
    }
  if (self->link == link)
    client_read (self, link);
  g_object_unref (self);
  link_unref (link);
}

static void
client_read (WkControlClient *self, Link *link)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (link->connection)),
                             link->buffer, READ_SIZE, G_PRIORITY_DEFAULT, link->cancellable,
                             client_read_cb, link_ref (link));
}

static void
resubscribed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  WkControlClient *self = WK_CONTROL_CLIENT (source);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  node = g_task_propagate_pointer (G_TASK (result), &error);
  if (node == NULL)
    {
      if (self->link != NULL)
        client_drop (self, error->message);
      return;
    }
  client_ready (self);
}

static void
finish_connect_tasks (WkControlClient *self, const GError *error)
{
  g_autoptr (GPtrArray) tasks = g_steal_pointer (&self->connect_tasks);

  self->connect_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    {
      if (error != NULL)
        g_task_return_error (tasks->pdata[i], g_error_copy (error));
      else
        g_task_return_boolean (tasks->pdata[i], TRUE);
    }
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  WkControlClient *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  Link *link;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  self->connecting = FALSE;
  if (self->closed)
    {
      g_autoptr (GError) closed = g_error_new (WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED,
                                               "The connection was closed");

      if (connection != NULL)
        g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      finish_connect_tasks (self, closed);
      g_object_unref (self);
      return;
    }
  if (connection == NULL)
    {
      g_autoptr (GError) translated = connect_error (self->path, error);

      finish_connect_tasks (self, translated);
      client_drop (self, translated->message);
      g_object_unref (self);
      return;
    }

  link = g_new0 (Link, 1);
  link->ref_count = 1;
  link->connection = g_steal_pointer (&connection);
  link->cancellable = g_cancellable_new ();
  link->framer = wk_control_framer_new (WK_CONTROL_MAX_LINE);
  link->buffer = g_malloc (READ_SIZE);
  g_object_set_data (G_OBJECT (link->connection), "wk-control-client", self);
  self->link = link;
  client_read (self, link);
  finish_connect_tasks (self, NULL);

  /* A client that had subscribed gets its events again before it says it is back. */
  if (self->want_events)
    {
      g_autoptr (GTask) task = g_task_new (self, NULL, resubscribed_cb, NULL);

      client_call (self, "subscribe", NULL, task);
    }
  else
    client_ready (self);
  g_object_unref (self);
}

static void
client_start_connect (WkControlClient *self)
{
  g_autoptr (GSocketClient) socket_client = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  if (self->reconnect_source != NULL)
    {
      g_source_destroy (self->reconnect_source);
      g_clear_pointer (&self->reconnect_source, g_source_unref);
    }
  if (self->connecting || self->link != NULL)
    return;
  self->connecting = TRUE;
  socket_client = g_socket_client_new ();
  address = g_unix_socket_address_new (self->path);
  g_socket_client_connect_async (socket_client, G_SOCKET_CONNECTABLE (address), NULL, connected_cb,
                                 g_object_ref (self));
}

static void
wk_control_client_dispose (GObject *object)
{
  WkControlClient *self = WK_CONTROL_CLIENT (object);

  /* Nobody hears signals from a client going away. */
  self->ready = FALSE;
  wk_control_client_close (self);
  G_OBJECT_CLASS (wk_control_client_parent_class)->dispose (object);
}

static void
wk_control_client_finalize (GObject *object)
{
  WkControlClient *self = WK_CONTROL_CLIENT (object);

  g_hash_table_unref (self->pending);
  g_ptr_array_unref (self->connect_tasks);
  g_main_context_unref (self->context);
  g_free (self->path);
  G_OBJECT_CLASS (wk_control_client_parent_class)->finalize (object);
}

static void
wk_control_client_class_init (WkControlClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wk_control_client_dispose;
  object_class->finalize = wk_control_client_finalize;

  /**
   * WkControlClient::event:
   * @client: the client
   * @event: the event's name ("status", "print")
   * @params: (transfer none): its parameters
   *
   * An event from the daemon, after wk_control_client_subscribe_async().
   */
  client_signals[CLIENT_SIGNAL_EVENT]
      = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
  /**
   * WkControlClient::connected:
   * @client: the client
   *
   * The client is connected and, if it had subscribed before, subscribed again: ask for
   * the status now.
   */
  client_signals[CLIENT_SIGNAL_CONNECTED]
      = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);
  /**
   * WkControlClient::disconnected:
   * @client: the client
   * @reason: why, in words
   *
   * The connection closed; with a reconnect interval set, the client tries again.
   */
  client_signals[CLIENT_SIGNAL_DISCONNECTED]
      = g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static gboolean
int64_equal (gconstpointer a, gconstpointer b)
{
  return *(const gint64 *)a == *(const gint64 *)b;
}

static guint
int64_hash (gconstpointer v)
{
  return g_int64_hash (v);
}

static void
wk_control_client_init (WkControlClient *self)
{
  self->pending = g_hash_table_new_full (int64_hash, int64_equal, NULL, pending_free);
  self->connect_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->context = g_main_context_ref_thread_default ();
}

/**
 * wk_control_client_new:
 * @path: the daemon's control socket
 *
 * Makes a client of the daemon at @path, not yet connected. It works in the thread-default
 * main context of the thread that makes it.
 *
 * Returns: (transfer full): the client
 */
WkControlClient *
wk_control_client_new (const char *path)
{
  WkControlClient *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (WK_TYPE_CONTROL_CLIENT, NULL);
  self->path = g_strdup (path);
  return self;
}

/**
 * wk_control_client_get_path:
 * @client: a #WkControlClient
 *
 * Returns: the socket it connects to
 */
const char *
wk_control_client_get_path (WkControlClient *self)
{
  g_return_val_if_fail (WK_IS_CONTROL_CLIENT (self), NULL);

  return self->path;
}

/**
 * wk_control_client_is_connected:
 * @client: a #WkControlClient
 *
 * Returns: whether the client is connected (and subscribed again, if it had subscribed)
 */
gboolean
wk_control_client_is_connected (WkControlClient *self)
{
  g_return_val_if_fail (WK_IS_CONTROL_CLIENT (self), FALSE);

  return self->ready;
}

/**
 * wk_control_client_set_reconnect_interval:
 * @client: a #WkControlClient
 * @interval_ms: how long after losing the daemon (or failing to reach it) to try again;
 *   0 never tries by itself (the default)
 *
 * Makes the client follow the daemon through restarts: it connects again by itself, and
 * subscribes again if it had subscribed, then emits #WkControlClient::connected.
 */
void
wk_control_client_set_reconnect_interval (WkControlClient *self, guint interval_ms)
{
  g_return_if_fail (WK_IS_CONTROL_CLIENT (self));

  self->reconnect_ms = interval_ms;
}

/**
 * wk_control_client_connect_async:
 * @client: a #WkControlClient
 * @cancellable: (nullable): stops waiting for the connection
 * @callback: called when connected, or when it failed
 * @user_data: passed to @callback
 *
 * Connects to the daemon (again, after a close). With a reconnect interval set, a failure
 * is reported here and the client keeps trying.
 */
void
wk_control_client_connect_async (WkControlClient    *self,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (WK_IS_CONTROL_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wk_control_client_connect_async);
  self->closed = FALSE;
  if (self->link != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (self->connect_tasks, g_steal_pointer (&task));
  client_start_connect (self);
}

/**
 * wk_control_client_connect_finish:
 * @client: a #WkControlClient
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when connected, or %FALSE with %WK_CONTROL_ERROR_NOT_RUNNING (nothing
 *   answers: the daemon is not running) or %WK_CONTROL_ERROR_PERMISSION
 */
gboolean
wk_control_client_connect_finish (WkControlClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * wk_control_client_call_async:
 * @client: a connected #WkControlClient
 * @method: the method
 * @params: (nullable): its parameters
 * @cancellable: (nullable): stops waiting for the answer (the daemon may still act)
 * @callback: called with the answer
 * @user_data: passed to @callback
 *
 * Calls a method of the daemon. Calls may overlap; each gets its own answer.
 */
void
wk_control_client_call_async (WkControlClient    *self,
                              const char         *method,
                              JsonObject         *params,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (WK_IS_CONTROL_CLIENT (self));
  g_return_if_fail (method != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wk_control_client_call_async);
  client_call (self, method, params, task);
}

/**
 * wk_control_client_call_finish:
 * @client: a #WkControlClient
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the method's result, or %NULL with @error in
 *   %WK_CONTROL_ERROR: the daemon's code and message, or
 *   %WK_CONTROL_ERROR_DISCONNECTED
 */
JsonNode *
wk_control_client_call_finish (WkControlClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
subscribed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = g_task_propagate_pointer (G_TASK (result), &error);

  if (node == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/**
 * wk_control_client_subscribe_async:
 * @client: a connected #WkControlClient
 * @cancellable: (nullable): stops waiting for the answer
 * @callback: called once subscribed
 * @user_data: passed to @callback
 *
 * Asks for the daemon's events (#WkControlClient::event); after a reconnection the client
 * subscribes again by itself.
 */
void
wk_control_client_subscribe_async (WkControlClient    *self,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  GTask *task;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (WK_IS_CONTROL_CLIENT (self));

  self->want_events = TRUE;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wk_control_client_subscribe_async);
  inner = g_task_new (self, cancellable, subscribed_cb, task);
  client_call (self, "subscribe", NULL, inner);
}

/**
 * wk_control_client_subscribe_finish:
 * @client: a #WkControlClient
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE once subscribed
 */
gboolean
wk_control_client_subscribe_finish (WkControlClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * wk_control_client_close:
 * @client: a #WkControlClient
 *
 * Closes the connection and stops reconnecting; calls waiting fail with
 * %WK_CONTROL_ERROR_DISCONNECTED. wk_control_client_connect_async() opens it again.
 */
void
wk_control_client_close (WkControlClient *self)
{
  g_return_if_fail (WK_IS_CONTROL_CLIENT (self));

  self->closed = TRUE;
  if (self->reconnect_source != NULL)
    {
      g_source_destroy (self->reconnect_source);
      g_clear_pointer (&self->reconnect_source, g_source_unref);
    }
  client_drop (self, "closed by this program");
}

/* ---- one blocking call, for command-line tools ---- */

static gboolean
wait_for (
    GSocket *socket, GIOCondition condition, gint64 deadline, guint timeout_ms, GError **error)
{
  gint64 left = deadline - g_get_monotonic_time ();

  if (left <= 0 || !g_socket_condition_timed_wait (socket, condition, left, NULL, NULL))
    {
      g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_TIMED_OUT,
                   "The wardkeep daemon did not answer within %.1f s; it may be hung (see "
                   "journalctl -u wardkeepd)",
                   timeout_ms / 1000.0);
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_control_call_sync:
 * @path: the daemon's control socket
 * @method: the method
 * @params: (nullable): its parameters
 * @timeout_ms: how long to wait for the answer
 * @error: return location for a #GError
 *
 * Connects, calls one method and waits for its answer, blocking: for command-line tools,
 * which have no main loop. Events are not asked for.
 *
 * Returns: (transfer full): the method's result, or %NULL with @error in
 *   %WK_CONTROL_ERROR (%WK_CONTROL_ERROR_NOT_RUNNING when the daemon is not running)
 */
JsonNode *
wk_control_call_sync (
    const char *path, const char *method, JsonObject *params, guint timeout_ms, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (WkControlFramer) framer = wk_control_framer_new (WK_CONTROL_MAX_LINE);
  g_autoptr (JsonNode) id = json_node_init_int (json_node_alloc (), 1);
  g_autofree char   *request = NULL;
  g_autofree guint8 *buffer = g_malloc (READ_SIZE);
  gint64             deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  gsize              sent = 0, total;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (method != NULL, NULL);

  socket
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;
  address = g_unix_socket_address_new (path);
  if (!g_socket_connect (socket, address, NULL, &local_error))
    {
      g_propagate_error (error, connect_error (path, local_error));
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);

  request = wk_control_request_to_line (id, method, params);
  total = strlen (request);
  while (sent < total)
    {
      gssize n;

      if (!wait_for (socket, G_IO_OUT, deadline, timeout_ms, error))
        return NULL;
      n = g_socket_send (socket, request + sent, total - sent, NULL, &local_error);
      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_clear_error (&local_error);
              continue;
            }
          g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED,
                       "Cannot send the request to the wardkeep daemon: %s", local_error->message);
          return NULL;
        }
      sent += n;
    }

  for (;;)
    {
      char  *line;
      gsize  length;
      gssize n;

      while ((line = wk_control_framer_pop (framer, &length)) != NULL)
        {
          g_autoptr (WkControlMessage) message = wk_control_message_parse (line, length, error);

          g_free (line);
          if (message == NULL)
            return NULL;
          if (message->kind == WK_CONTROL_MESSAGE_EVENT || message->id == NULL
              || json_node_get_value_type (message->id) != G_TYPE_INT64
              || json_node_get_int (message->id) != 1)
            continue;
          if (message->kind == WK_CONTROL_MESSAGE_ERROR)
            {
              g_propagate_error (error, g_steal_pointer (&message->error));
              return NULL;
            }
          return g_steal_pointer (&message->result);
        }
      if (!wait_for (socket, G_IO_IN, deadline, timeout_ms, error))
        return NULL;
      n = g_socket_receive (socket, (char *)buffer, READ_SIZE, NULL, &local_error);
      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&local_error);
          continue;
        }
      if (n <= 0)
        {
          g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED,
                       "The wardkeep daemon closed the connection before it answered%s%s",
                       n < 0 ? ": " : "", n < 0 ? local_error->message : "");
          return NULL;
        }
      if (!wk_control_framer_push (framer, buffer, n, &local_error))
        {
          g_set_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL,
                       "The wardkeep daemon sent a line this program cannot read: %s",
                       local_error->message);
          return NULL;
        }
    }
}
