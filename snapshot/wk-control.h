/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-control.h — the daemon's status and control protocol: JSON lines on a Unix socket. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/** Where wardkeepd answers unless `[daemon] control-socket` says otherwise. */
#define WK_CONTROL_DEFAULT_SOCKET "/run/wardkeep/control"
/** The longest line either side sends or takes, in bytes, without its newline. */
#define WK_CONTROL_MAX_LINE (1024 * 1024)

#define WK_CONTROL_ERROR (wk_control_error_quark ())

/**
 * WkControlError:
 * @WK_CONTROL_ERROR_BAD_REQUEST: `bad-request`: the request is not valid (not JSON, no
 *   method, a parameter missing or of the wrong type, too long)
 * @WK_CONTROL_ERROR_UNKNOWN_METHOD: `unknown-method`: the daemon has no such method
 * @WK_CONTROL_ERROR_REFUSED: `refused`: valid, but not now ("already in DOWNTIME")
 * @WK_CONTROL_ERROR_NOT_FOUND: `not-found`: the patient, chart or job does not exist
 * @WK_CONTROL_ERROR_FAILED: `failed`: the daemon tried and failed
 * @WK_CONTROL_ERROR_NOT_RUNNING: (client side) nothing answers at the socket: the daemon
 *   is not running
 * @WK_CONTROL_ERROR_PERMISSION: (client side) the socket may not be used by this user
 * @WK_CONTROL_ERROR_DISCONNECTED: (client side) the connection closed before the answer
 * @WK_CONTROL_ERROR_TIMED_OUT: (client side) no answer in time
 * @WK_CONTROL_ERROR_PROTOCOL: (client side) the daemon sent something that is not the
 *   protocol
 *
 * The error codes of the protocol (README "Status and control"). The first five travel
 * on the wire as the `code` of an error answer; the others are what a client finds
 * itself. A wire code a client does not know reads as %WK_CONTROL_ERROR_FAILED.
 */
typedef enum
{
  WK_CONTROL_ERROR_BAD_REQUEST,
  WK_CONTROL_ERROR_UNKNOWN_METHOD,
  WK_CONTROL_ERROR_REFUSED,
  WK_CONTROL_ERROR_NOT_FOUND,
  WK_CONTROL_ERROR_FAILED,
  WK_CONTROL_ERROR_NOT_RUNNING,
  WK_CONTROL_ERROR_PERMISSION,
  WK_CONTROL_ERROR_DISCONNECTED,
  WK_CONTROL_ERROR_TIMED_OUT,
  WK_CONTROL_ERROR_PROTOCOL,
} WkControlError;

GQuark         wk_control_error_quark (void);
const char    *wk_control_error_to_code (WkControlError error);
WkControlError wk_control_error_from_code (const char *code);

/* ---- framing ---- */

/**
 * WkControlFramer:
 *
 * Cuts a byte stream into lines: each ends at `\n` (a `\r` before it is dropped, empty
 * lines are skipped). A line longer than the limit, finished or not, is an error, after
 * which the framer takes nothing more: the stream cannot be trusted to be back in step.
 */
typedef struct _WkControlFramer WkControlFramer;

WkControlFramer *wk_control_framer_new (gsize max_line);
void             wk_control_framer_free (WkControlFramer *framer);
gboolean
wk_control_framer_push (WkControlFramer *framer, const void *data, gsize size, GError **error);
char *wk_control_framer_pop (WkControlFramer *framer, gsize *length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkControlFramer, wk_control_framer_free)

/* ---- messages ---- */

/**
 * WkControlRequest:
 * @id: (nullable): the request's `id` (a number or a string), repeated in the answer
 * @method: the method's name
 * @params: the parameters; an empty object when the request has none
 *
 * One request, as a client sends it.
 */
typedef struct
{
  JsonNode   *id;
  char       *method;
  JsonObject *params;
} WkControlRequest;

WkControlRequest       *
wk_control_request_parse (const char *line, gssize length, JsonNode **id, GError **error);
void  wk_control_request_free (WkControlRequest *request);
char *wk_control_request_to_line (JsonNode *id, const char *method, JsonObject *params);

/**
 * WkControlMessageKind:
 * @WK_CONTROL_MESSAGE_RESULT: the answer to a request: @id and @result
 * @WK_CONTROL_MESSAGE_ERROR: a refused or failed request: @id (%NULL when the request
 *   could not be read) and @error
 * @WK_CONTROL_MESSAGE_EVENT: an event for a subscriber: @event and @params
 */
typedef enum
{
  WK_CONTROL_MESSAGE_RESULT,
  WK_CONTROL_MESSAGE_ERROR,
  WK_CONTROL_MESSAGE_EVENT,
} WkControlMessageKind;

/**
 * WkControlMessage:
 * @kind: what it is
 * @id: (nullable): the id of the request answered
 * @result: (nullable): for a result, its value
 * @error: (nullable): for an error, in %WK_CONTROL_ERROR with the wire code's value
 * @event: (nullable): for an event, its name ("status", "print")
 * @params: (nullable): for an event, its parameters
 *
 * One line the daemon sends.
 */
typedef struct
{
  WkControlMessageKind kind;
  JsonNode            *id;
  JsonNode            *result;
  GError              *error;
  char                *event;
  JsonObject          *params;
} WkControlMessage;

WkControlMessage *wk_control_message_parse (const char *line, gssize length, GError **error);
void              wk_control_message_free (WkControlMessage *message);
char             *wk_control_result_to_line (JsonNode *id, JsonNode *result);
char             *wk_control_error_to_line (JsonNode *id, WkControlError code, const char *message);
char             *wk_control_event_to_line (const char *event, JsonObject *params);

gboolean wk_control_params_get_string (
    JsonObject *params, const char *name, gboolean required, const char **value, GError **error);
gboolean wk_control_params_get_int (
    JsonObject *params, const char *name, gboolean required, gint64 *value, GError **error);
gboolean wk_control_params_get_boolean (
    JsonObject *params, const char *name, gboolean required, gboolean *value, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkControlRequest, wk_control_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkControlMessage, wk_control_message_free)

/* ---- the server ---- */

/**
 * WkControlPeer:
 * @uid: the connecting process's user id
 * @gid: its group id
 * @pid: its process id, 0 when not known
 *
 * Who is at the other end of a connection, from the socket's peer credentials.
 */
typedef struct
{
  guint uid;
  guint gid;
  gint  pid;
} WkControlPeer;

/**
 * WkControlCall:
 *
 * One request being answered. The handler answers at once or later (keeping a
 * reference) with wk_control_call_return() or an error; exactly once. An answer to a
 * connection that has closed in the meantime is dropped.
 */
typedef struct _WkControlCall WkControlCall;

/**
 * WkControlMethodFlags:
 * @WK_CONTROL_METHOD_NONE: a method that changes something: every call is logged with the
 *   caller's user id and the `who` it gives
 * @WK_CONTROL_METHOD_READ_ONLY: a method that only reads (status, jobs): logged at debug
 *   level, since screens call it all the time
 */
typedef enum
{
  WK_CONTROL_METHOD_NONE = 0,
  WK_CONTROL_METHOD_READ_ONLY = 1 << 0,
} WkControlMethodFlags;

#define WK_TYPE_CONTROL_SERVER (wk_control_server_get_type ())
G_DECLARE_FINAL_TYPE (WkControlServer, wk_control_server, WK, CONTROL_SERVER, GObject)

/**
 * WkControlMethodFunc:
 * @server: the server
 * @call: the call to answer (borrowed: take a reference to answer later)
 * @user_data: the data given to wk_control_server_add_method()
 *
 * Handles one call of a method.
 */
typedef void (*WkControlMethodFunc) (WkControlServer *server,
                                     WkControlCall   *call,
                                     gpointer         user_data);

WkControlServer *wk_control_server_new (void);
gboolean         wk_control_server_listen (
            WkControlServer *server, const char *path, guint mode, const char *group, GError **error);
void        wk_control_server_close (WkControlServer *server);
const char *wk_control_server_get_path (WkControlServer *server);
void        wk_control_server_add_method (WkControlServer     *server,
                                          const char          *method,
                                          WkControlMethodFlags flags,
                                          WkControlMethodFunc  func,
                                          gpointer             user_data,
                                          GDestroyNotify       destroy);
gboolean    wk_control_server_remove_method (WkControlServer *server, const char *method);
gboolean    wk_control_server_has_method (WkControlServer *server, const char *method);
void  wk_control_server_emit_event (WkControlServer *server, const char *event, JsonObject *params);
guint wk_control_server_get_n_connections (WkControlServer *server);
guint wk_control_server_get_n_subscribers (WkControlServer *server);

WkControlCall       *wk_control_call_ref (WkControlCall *call);
void                 wk_control_call_unref (WkControlCall *call);
const char          *wk_control_call_get_method (WkControlCall *call);
JsonObject          *wk_control_call_get_params (WkControlCall *call);
const WkControlPeer *wk_control_call_get_peer (WkControlCall *call);
gboolean             wk_control_call_is_answered (WkControlCall *call);
void                 wk_control_call_return (WkControlCall *call, JsonNode *result);
void                 wk_control_call_return_object (WkControlCall *call, JsonObject *result);
void
wk_control_call_return_error (WkControlCall *call, WkControlError code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
void wk_control_call_return_gerror (WkControlCall *call, const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkControlCall, wk_control_call_unref)

/* ---- the client ---- */

#define WK_TYPE_CONTROL_CLIENT (wk_control_client_get_type ())
G_DECLARE_FINAL_TYPE (WkControlClient, wk_control_client, WK, CONTROL_CLIENT, GObject)

WkControlClient *wk_control_client_new (const char *path);
const char      *wk_control_client_get_path (WkControlClient *client);
gboolean         wk_control_client_is_connected (WkControlClient *client);
void wk_control_client_set_reconnect_interval (WkControlClient *client, guint interval_ms);
void wk_control_client_connect_async (WkControlClient    *client,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean
wk_control_client_connect_finish (WkControlClient *client, GAsyncResult *result, GError **error);
void wk_control_client_call_async (WkControlClient    *client,
                                   const char         *method,
                                   JsonObject         *params,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
JsonNode      *
wk_control_client_call_finish (WkControlClient *client, GAsyncResult *result, GError **error);
void wk_control_client_subscribe_async (WkControlClient    *client,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean
wk_control_client_subscribe_finish (WkControlClient *client, GAsyncResult *result, GError **error);
void wk_control_client_close (WkControlClient *client);

JsonNode *wk_control_call_sync (
    const char *path, const char *method, JsonObject *params, guint timeout_ms, GError **error);

G_END_DECLS
