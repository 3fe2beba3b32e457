/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-listener.c — the HL7 feed's MLLP server: framing, TLS, allow-list, ACKs. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-mllp-listener.h"

#include "wk-hl7.h"
#include "wk-mllp-framer.h"
#include "wk-snapshot-error.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define MLLP_START 0x0B
#define MLLP_END 0x1C
#define MLLP_CR 0x0D

/* One read's worth; a connection owns one such buffer. */
#define READ_CHUNK 16384
/* Reading pauses while this many bytes of acknowledgements wait for a peer to read them. */
#define OUT_HIGH_WATER 65536
typedef struct _Connection Connection;

struct _WkMllpListener
{
  WkMllpHandler    handler;
  gpointer         user_data;
  GDestroyNotify   destroy;
  WkMllpRefuseFunc refuse;
  gpointer         refuse_data;
  char            *home_ward; /* for the refusals of a listener made from the configuration */

  gsize            max_frame_size;
  guint            idle_timeout_ms;
  guint            frame_timeout_ms;
  guint            max_connections;
  GPtrArray       *allowed; /* GInetAddressMask; empty: nobody; NULL: everybody */
  GTlsCertificate *certificate;
  GTlsDatabase    *client_ca;

  GSocketService *service;
  GMainContext   *context;
  guint16         port;
  GHashTable     *connections; /* Connection set: the open ones */
  guint           alive;       /* Connection structs not yet freed */
  guint           next_id;

  WkMllpStats stats;
  char       *last_error;
  gint64      last_error_at;
};

struct _Connection
{
  int             ref; /* the connections table's while open, and a TLS handshake's */
  WkMllpListener *listener;
  guint           id;
  char           *peer;
  GIOStream      *stream; /* the socket connection, or the TLS connection over it */
  GSocket        *socket;
  GCancellable   *cancellable;
  GSource        *timer;
  GSource        *input_source;  /* while waiting for bytes */
  GSource        *output_source; /* while waiting to write acknowledgements */
  gint64          last_activity; /* monotonic µs */
  gint64          frame_started; /* monotonic µs, while in a frame */

  guint8 *rbuf;
  gsize   rpos, rlen;

  WkMllpFramer *framer;
  guint64       garbage_seen;

  GByteArray *out; /* acknowledgements, framed, from out_pos on not yet written */
  gsize       out_pos;
  gsize       accounted;

  gboolean handshaking, processing, eof, closed;
};

static void wait_input (Connection *conn);
static void process (Connection *conn);
static void close_connection (Connection *conn);

static void note_error (WkMllpListener *listener, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Keeps the last problem a peer caused for the daemon's status, and logs it. Peers
 * misbehave; that is not a bug of ours, so it is a message, not a warning. */
static void
note_error (WkMllpListener *listener, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_free (listener->last_error);
  listener->last_error = g_strdup_vprintf (format, args);
  va_end (args);
  listener->last_error_at = g_get_real_time ();
  g_message ("MLLP: %s", listener->last_error);
}

static Connection *
connection_ref (Connection *conn)
{
  conn->ref++;
  return conn;
}

static void
connection_unref (Connection *conn)
{
  if (--conn->ref > 0)
    return;
  g_assert (conn->closed);
  conn->listener->alive--;
  g_clear_object (&conn->stream);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->cancellable);
  g_clear_pointer (&conn->framer, wk_mllp_framer_free);
  g_clear_pointer (&conn->out, g_byte_array_unref);
  g_free (conn->rbuf);
  g_free (conn->peer);
  g_free (conn);
}

/* Brings the listener's count of buffered bytes up to date with this connection's. */
static void
account (Connection *conn)
{
  WkMllpListener *listener = conn->listener;
  gsize           now = 0;

  if (conn->framer != NULL)
    now += wk_mllp_framer_get_buffered (conn->framer);
  if (conn->out != NULL)
    now += conn->out->len - conn->out_pos;
  listener->stats.buffered_bytes = listener->stats.buffered_bytes - conn->accounted + now;
  listener->stats.buffered_peak
      = MAX (listener->stats.buffered_peak, listener->stats.buffered_bytes);
  conn->accounted = now;
}

static void
touch (Connection *conn)
{
  conn->last_activity = g_get_monotonic_time ();
}

/* The idle and frame deadlines, checked by one timer per connection. */
static gint64
next_deadline (Connection *conn)
{
  WkMllpListener *listener = conn->listener;
  gint64          deadline = conn->last_activity + (gint64)listener->idle_timeout_ms * 1000;

  if (conn->frame_started != 0)
    deadline = MIN (deadline, conn->frame_started + (gint64)listener->frame_timeout_ms * 1000);
  return deadline;
}

static gboolean
timer_cb (gpointer data)
{
  Connection     *conn = data; /* the timer is destroyed before the connection is freed */
  WkMllpListener *listener = conn->listener;
  gint64          now = g_get_monotonic_time ();

  if (now >= conn->last_activity + (gint64)listener->idle_timeout_ms * 1000)
    {
      listener->stats.idle_closed++;
      note_error (listener, "connection #%u from %s closed: nothing for %u ms (idle timeout)",
                  conn->id, conn->peer, listener->idle_timeout_ms);
      close_connection (conn);
      return G_SOURCE_REMOVE;
    }
  if (conn->frame_started != 0
      && now >= conn->frame_started + (gint64)listener->frame_timeout_ms * 1000)
    {
      listener->stats.idle_closed++;
      note_error (listener,
                  "connection #%u from %s closed: a frame begun %u ms ago has not ended "
                  "(frame timeout); %zu bytes dropped",
                  conn->id, conn->peer, listener->frame_timeout_ms,
                  wk_mllp_framer_get_frame_size (conn->framer));
      close_connection (conn);
      return G_SOURCE_REMOVE;
    }
  g_source_set_ready_time (conn->timer, next_deadline (conn));
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

static void
start_timer (Connection *conn)
{
  conn->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_name (conn->timer, "wardkeep MLLP connection timer");
  g_source_set_callback (conn->timer, timer_cb, conn, NULL);
  g_source_set_ready_time (conn->timer, next_deadline (conn));
  g_source_attach (conn->timer, conn->listener->context);
}

static void
stop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
close_connection (Connection *conn)
{
  WkMllpListener *listener = conn->listener;

  if (conn->closed)
    return;
  conn->closed = TRUE;
  connection_ref (conn); /* the table's reference goes below */
  /* A frame still arriving is dropped with the connection. */
  if (wk_mllp_framer_reset (conn->framer) > 0)
    listener->stats.frames_refused++;
  g_cancellable_cancel (conn->cancellable);
  stop_source (&conn->timer);
  stop_source (&conn->input_source);
  stop_source (&conn->output_source);
  g_byte_array_set_size (conn->out, 0);
  conn->out_pos = 0;
  account (conn);
  listener->stats.connections_open--;
  g_debug ("MLLP connection #%u from %s closed", conn->id, conn->peer);
  /* Closing the socket itself is immediate and cannot wait on a peer that reads nothing
   * (closing TLS would first try to send close_notify to it). */
  g_socket_close (conn->socket, NULL);
  g_hash_table_remove (listener->connections, conn);
  connection_unref (conn);
}

static gboolean output_ready_cb (GObject *stream, gpointer data);

/* Writes what it can of the acknowledgements without blocking; the rest when the peer
 * reads. Once all are out, goes on with what was read and not yet processed. */
static void
flush_output (Connection *conn)
{
  GPollableOutputStream *output
      = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (conn->stream));

  while (!conn->closed && conn->out_pos < conn->out->len)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (
          output, conn->out->data + conn->out_pos, conn->out->len - conn->out_pos, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (conn->output_source == NULL)
            {
              conn->output_source = g_pollable_output_stream_create_source (output, NULL);
              g_source_set_callback (conn->output_source, G_SOURCE_FUNC (output_ready_cb), conn,
                                     NULL);
              g_source_attach (conn->output_source, conn->listener->context);
            }
          account (conn);
          return;
        }
      if (n < 0)
        {
          note_error (conn->listener, "connection #%u from %s: cannot send an acknowledgement: %s",
                      conn->id, conn->peer, error->message);
          close_connection (conn);
          return;
        }
      conn->out_pos += n;
      touch (conn);
    }
  if (conn->closed)
    return;
  g_byte_array_set_size (conn->out, 0);
  conn->out_pos = 0;
  stop_source (&conn->output_source);
  account (conn);
  if (!conn->processing && conn->rpos < conn->rlen)
    process (conn);
  else if (conn->eof && !conn->processing)
    close_connection (conn); /* the peer is done and has every acknowledgement */
}

static gboolean
output_ready_cb (GObject *stream, gpointer data)
{
  Connection *conn = connection_ref (data); /* kept while a close may happen below */

  flush_output (conn);
  connection_unref (conn);
  return G_SOURCE_CONTINUE; /* flush_output removes the source once all is written */
}

static void
queue_framed (Connection *conn, GBytes *ack)
{
  static const guint8 start = MLLP_START, end[] = { MLLP_END, MLLP_CR };
  gsize               size = 0;
  const guint8       *data = g_bytes_get_data (ack, &size);

  g_byte_array_append (conn->out, &start, 1);
  g_byte_array_append (conn->out, data, size);
  g_byte_array_append (conn->out, end, 2);
  account (conn);
  if (conn->output_source == NULL)
    flush_output (conn);
}

static void
dispatch_frame (Connection *conn)
{
  WkMllpListener *listener = conn->listener;
  g_autoptr (GBytes) ack = NULL;
  gsize         size = 0;
  const guint8 *message = wk_mllp_framer_get_frame (conn->framer, &size);

  listener->stats.frames++;
  ack = listener->handler (message, size, listener->user_data);
  g_assert (ack != NULL);
  queue_framed (conn, ack);
}

/* An oversized frame has ended: refuse it from its head, or close when that cannot be. */
static void
refuse_oversized (Connection *conn)
{
  WkMllpListener *listener = conn->listener;
  g_autoptr (GBytes) ack = NULL;
  g_autofree char *reason = NULL;
  gsize            size = 0, head;
  const guint8    *data = wk_mllp_framer_get_frame (conn->framer, &size);
  const guint8    *cr = memchr (data, MLLP_CR, size);

  listener->stats.frames_refused++;
  reason = g_strdup_printf ("the message is %zu bytes long; the largest this kiosk takes is %zu "
                            "bytes ([hl7] max-message-size)",
                            wk_mllp_framer_get_frame_size (conn->framer), listener->max_frame_size);
  note_error (listener, "connection #%u from %s: message refused: %s", conn->id, conn->peer,
              reason);
  /* The head, cut after the first segment: the MSH segment only. */
  head = cr != NULL ? (gsize)(cr - data) + 1 : size;
  if (listener->refuse != NULL)
    ack = listener->refuse (data, head, reason, listener->refuse_data);
  if (ack == NULL)
    {
      note_error (listener,
                  "connection #%u from %s closed: an oversized message without a readable MSH "
                  "segment cannot be refused with an acknowledgement",
                  conn->id, conn->peer);
      close_connection (conn);
      return;
    }
  queue_framed (conn, ack);
}

/* Runs the framing over what has been read, until it is used up or too many
 * acknowledgements wait for the peer. */
static void
process (Connection *conn)
{
  WkMllpListener *listener = conn->listener;

  conn->processing = TRUE;
  while (!conn->closed && conn->rpos < conn->rlen
         && conn->out->len - conn->out_pos < OUT_HIGH_WATER)
    {
      WkMllpFramerEvent event;

      conn->rpos += wk_mllp_framer_push (conn->framer, conn->rbuf + conn->rpos,
                                         conn->rlen - conn->rpos, &event);
      switch (event)
        {
        case WK_MLLP_FRAMER_NONE:
          break;
        case WK_MLLP_FRAMER_FRAME:
          dispatch_frame (conn);
          break;
        case WK_MLLP_FRAMER_OVERSIZED:
          refuse_oversized (conn);
          break;
        case WK_MLLP_FRAMER_DROPPED:
          listener->stats.frames_refused++;
          note_error (listener,
                      "connection #%u from %s: a frame of %zu bytes dropped unanswered: %s",
                      conn->id, conn->peer, wk_mllp_framer_get_frame_size (conn->framer),
                      wk_mllp_framer_get_problem (conn->framer));
          break;
        case WK_MLLP_FRAMER_GARBAGE:
          note_error (listener,
                      "connection #%u from %s: bytes outside any MLLP frame dropped (a frame "
                      "starts with 0x0B)",
                      conn->id, conn->peer);
          break;
        }
      /* The frame timeout runs from a frame's first byte. */
      if (!wk_mllp_framer_is_in_frame (conn->framer))
        conn->frame_started = 0;
      else if (conn->frame_started == 0)
        conn->frame_started = g_get_monotonic_time ();
    }
  listener->stats.garbage_bytes
      += wk_mllp_framer_get_garbage_bytes (conn->framer) - conn->garbage_seen;
  conn->garbage_seen = wk_mllp_framer_get_garbage_bytes (conn->framer);
  conn->processing = FALSE;
  account (conn);
  if (conn->closed)
    return;
  if (conn->rpos < conn->rlen)
    stop_source (&conn->input_source); /* paused until the peer reads its acknowledgements */
  else if (conn->eof && conn->out->len == 0)
    close_connection (conn);
  else
    wait_input (conn);
}

/* Bytes from the peer: one read's worth per call, so that connections take turns. */
static gboolean
input_ready_cb (GObject *stream, gpointer data)
{
  Connection *conn = data;
  g_autoptr (GError) error = NULL;
  gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream), conn->rbuf,
                                                       READ_CHUNK, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n < 0)
    {
      note_error (conn->listener, "connection #%u from %s: cannot read: %s", conn->id, conn->peer,
                  error->message);
      close_connection (conn);
      return G_SOURCE_REMOVE;
    }
  connection_ref (conn); /* kept while a close may happen below */
  if (n == 0)
    {
      gsize dropped = wk_mllp_framer_reset (conn->framer);

      if (dropped > 0)
        {
          conn->listener->stats.frames_refused++;
          note_error (conn->listener,
                      "connection #%u from %s: a frame of %zu bytes dropped unanswered: the peer "
                      "closed the connection before it ended",
                      conn->id, conn->peer, dropped);
        }
      conn->frame_started = 0;
      conn->eof = TRUE;
      stop_source (&conn->input_source);
      /* Close once the last acknowledgements are out. */
      if (conn->out->len == 0)
        close_connection (conn);
      connection_unref (conn);
      return G_SOURCE_REMOVE;
    }
  touch (conn);
  conn->rpos = 0;
  conn->rlen = n;
  process (conn);
  connection_unref (conn);
  return G_SOURCE_CONTINUE; /* process() removes the source when it pauses */
}

static void
wait_input (Connection *conn)
{
  GInputStream *input;

  if (conn->closed || conn->eof || conn->handshaking || conn->input_source != NULL)
    return;
  input = g_io_stream_get_input_stream (conn->stream);
  conn->input_source
      = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (input), NULL);
  g_source_set_callback (conn->input_source, G_SOURCE_FUNC (input_ready_cb), conn, NULL);
  g_source_attach (conn->input_source, conn->listener->context);
}

static void
handshake_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Connection *conn = data;
  g_autoptr (GError) error = NULL;
  gboolean ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);

  conn->handshaking = FALSE;
  if (!conn->closed)
    {
      if (!ok)
        {
          conn->listener->stats.connections_refused++;
          note_error (conn->listener, "connection #%u from %s refused: TLS handshake failed: %s",
                      conn->id, conn->peer, error->message);
          close_connection (conn);
        }
      else
        {
          touch (conn);
          wait_input (conn);
        }
    }
  connection_unref (conn);
}

/* An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) as the IPv4 address it is. */
static GInetAddress *
unmap_address (GInetAddress *address)
{
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8       *b = g_inet_address_to_bytes (address);
      static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

      if (memcmp (b, prefix, sizeof prefix) == 0)
        return g_inet_address_new_from_bytes (b + 12, G_SOCKET_FAMILY_IPV4);
    }
  return g_object_ref (address);
}

static gboolean
peer_allowed (WkMllpListener *listener, GInetAddress *address)
{
  g_autoptr (GInetAddress) plain = NULL;

  if (listener->allowed == NULL)
    return TRUE;
  plain = unmap_address (address);
  for (guint i = 0; i < listener->allowed->len; i++)
    if (g_inet_address_mask_matches (listener->allowed->pdata[i], plain))
      return TRUE;
  return FALSE;
}

/* GIO leaves a server to decide on a client's certificate: accept exactly those that
 * verified against the configured CA, with no error at all. */
static gboolean
accept_certificate_cb (GTlsConnection      *tls,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       gpointer             data)
{
  return errors == 0;
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           data)
{
  WkMllpListener *listener = data;
  g_autoptr (GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autofree char *peer = NULL;
  Connection      *conn;
  GInetAddress    *address = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_autoptr (GInetAddress) plain
          = unmap_address (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
      g_autofree char *text = g_inet_address_to_string (plain);

      address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
      peer = g_strdup_printf (
          g_inet_address_get_family (plain) == G_SOCKET_FAMILY_IPV6 ? "[%s]:%u" : "%s:%u", text,
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
    }
  else
    peer = g_strdup ("an unknown peer");

  if (address == NULL || !peer_allowed (listener, address))
    {
      listener->stats.connections_refused++;
      note_error (listener, "connection from %s refused: not in the allow-list ([feed] allow)",
                  peer);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  if (listener->stats.connections_open >= listener->max_connections)
    {
      listener->stats.connections_refused++;
      note_error (listener,
                  "connection from %s refused: %u connections are open already ([feed] "
                  "max-connections)",
                  peer, listener->stats.connections_open);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  conn = g_new0 (Connection, 1);
  conn->ref = 1; /* the connections table's */
  conn->listener = listener;
  conn->id = ++listener->next_id;
  conn->peer = g_steal_pointer (&peer);
  conn->socket = g_object_ref (g_socket_connection_get_socket (connection));
  conn->cancellable = g_cancellable_new ();
  conn->rbuf = g_malloc (READ_CHUNK);
  conn->framer = wk_mllp_framer_new (listener->max_frame_size);
  conn->out = g_byte_array_sized_new (256);
  listener->alive++;
  listener->stats.connections_open++;
  listener->stats.connections_total++;
  g_hash_table_add (listener->connections, conn);
  touch (conn);
  /* Acknowledgements are small and awaited: send them at once. */
  g_socket_set_option (conn->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_debug ("MLLP connection #%u from %s", conn->id, conn->peer);

  if (listener->certificate != NULL)
    {
      g_autoptr (GError) error = NULL;
      GIOStream *tls
          = g_tls_server_connection_new (G_IO_STREAM (connection), listener->certificate, &error);

      if (tls == NULL)
        {
          conn->stream = g_object_ref (G_IO_STREAM (connection));
          listener->stats.connections_refused++;
          note_error (listener, "connection #%u from %s refused: cannot set TLS up: %s", conn->id,
                      conn->peer, error->message);
          close_connection (conn);
          return TRUE;
        }
      conn->stream = tls;
      if (listener->client_ca != NULL)
        {
          g_tls_connection_set_database (G_TLS_CONNECTION (tls), listener->client_ca);
          g_object_set (tls, "authentication-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
          g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
        }
      conn->handshaking = TRUE;
      g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                        conn->cancellable, handshake_cb, connection_ref (conn));
    }
  else
    {
      conn->stream = g_object_ref (G_IO_STREAM (connection));
      wait_input (conn);
    }
  start_timer (conn);
  return TRUE;
}

/**
 * wk_mllp_listener_new:
 * @handler: applies each message and returns its acknowledgement
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data with the listener
 *
 * Makes a listener with the defaults of the `[feed]` group: frames up to 1 MiB, a
 * 15-minute idle timeout, a 30-second frame timeout, 64 connections, loopback peers
 * only, no TLS. It listens once wk_mllp_listener_start() is called.
 *
 * Returns: (transfer full): the listener
 */
WkMllpListener *
wk_mllp_listener_new (WkMllpHandler handler, gpointer user_data, GDestroyNotify destroy)
{
  WkMllpListener *listener;

  g_return_val_if_fail (handler != NULL, NULL);

  listener = g_new0 (WkMllpListener, 1);
  listener->handler = handler;
  listener->user_data = user_data;
  listener->destroy = destroy;
  listener->max_frame_size = 1048576;
  listener->idle_timeout_ms = 15 * 60 * 1000;
  listener->frame_timeout_ms = 30 * 1000;
  listener->max_connections = 64;
  listener->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                 (GDestroyNotify)connection_unref, NULL);
  if (!wk_mllp_parse_allow_list ("127.0.0.1, ::1", &listener->allowed, NULL))
    g_assert_not_reached ();
  return listener;
}

/**
 * wk_mllp_listener_new_from_config:
 * @config: the configuration; its `[feed]` group is used
 * @handler: applies each message and returns its acknowledgement
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data with the listener (also on failure)
 * @error: return location for a #GError
 *
 * Makes a listener as `[feed]` says (allow-list, TLS files, timeouts, connections; the
 * frame limit is `[hl7] max-message-size`), refusing oversized messages with
 * wk_mllp_refuse_with_ar(). It listens once wk_mllp_listener_start() is called with
 * `[feed] address` and `port`.
 *
 * Returns: (transfer full) (nullable): the listener, or %NULL with
 *   %WK_SNAPSHOT_ERROR_CONFIG (an unreadable TLS file, a certificate without a key, ...)
 */
WkMllpListener *
wk_mllp_listener_new_from_config (WkConfig      *config,
                                  WkMllpHandler  handler,
                                  gpointer       user_data,
                                  GDestroyNotify destroy,
                                  GError       **error)
{
  g_autoptr (WkMllpListener) listener = wk_mllp_listener_new (handler, user_data, destroy);
  const char *certificate = wk_config_get_string (config, "feed", "tls-certificate");
  const char *key = wk_config_get_string (config, "feed", "tls-key");
  const char *client_ca = wk_config_get_string (config, "feed", "tls-client-ca");

  wk_mllp_listener_set_max_frame_size (listener,
                                       wk_config_get_int (config, "hl7", "max-message-size"));
  wk_mllp_listener_set_max_connections (listener,
                                        wk_config_get_int (config, "feed", "max-connections"));
  wk_mllp_listener_set_idle_timeout (listener,
                                     wk_config_get_duration_ms (config, "feed", "idle-timeout"));
  listener->frame_timeout_ms = wk_config_get_duration_ms (config, "feed", "frame-timeout");
  listener->home_ward = g_strdup (wk_config_get_string (config, "ward", "id"));
  wk_mllp_listener_set_refuse_func (listener, wk_mllp_refuse_with_ar, listener->home_ward);
  if (!wk_mllp_listener_set_allowed_peers (listener, wk_config_get_string (config, "feed", "allow"),
                                           error))
    return NULL;
  if (certificate != NULL || key != NULL || client_ca != NULL)
    {
      if (certificate == NULL || key == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                       "%s: [feed] TLS needs both tls-certificate and tls-key (%s is missing)",
                       wk_config_get_path (config),
                       certificate == NULL ? "tls-certificate" : "tls-key");
          return NULL;
        }
      if (!wk_mllp_listener_set_tls (listener, certificate, key, client_ca, error))
        return NULL;
    }
  return g_steal_pointer (&listener);
}

/**
 * wk_mllp_listener_free:
 * @listener: (nullable) (transfer full): a #WkMllpListener
 *
 * Stops listening, closes every connection and frees the listener. Runs the listener's
 * main context until the closed connections' cancelled operations have reported back.
 */
void
wk_mllp_listener_free (WkMllpListener *listener)
{
  if (listener == NULL)
    return;
  if (listener->service != NULL)
    {
      g_socket_service_stop (listener->service);
      g_socket_listener_close (G_SOCKET_LISTENER (listener->service));
      g_signal_handlers_disconnect_by_data (listener->service, listener);
    }
  {
    g_autoptr (GPtrArray) open = g_ptr_array_new ();
    GHashTableIter iter;
    gpointer       key;

    g_hash_table_iter_init (&iter, listener->connections);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (open, key);
    for (guint i = 0; i < open->len; i++)
      close_connection (open->pdata[i]);
  }
  while (listener->alive > 0)
    g_main_context_iteration (listener->context, TRUE);
  g_clear_object (&listener->service);
  g_clear_pointer (&listener->context, g_main_context_unref);
  g_hash_table_unref (listener->connections);
  g_clear_pointer (&listener->allowed, g_ptr_array_unref);
  g_clear_object (&listener->certificate);
  g_clear_object (&listener->client_ca);
  if (listener->destroy != NULL)
    listener->destroy (listener->user_data);
  g_free (listener->last_error);
  g_free (listener->home_ward);
  g_free (listener);
}

/**
 * wk_mllp_listener_set_refuse_func:
 * @listener: a #WkMllpListener
 * @func: (nullable): builds the `MSA|AR` of an oversized frame; %NULL closes the
 *   connection on an oversized frame instead
 * @user_data: data for @func
 */
void
wk_mllp_listener_set_refuse_func (WkMllpListener  *listener,
                                  WkMllpRefuseFunc func,
                                  gpointer         user_data)
{
  g_return_if_fail (listener != NULL);

  listener->refuse = func;
  listener->refuse_data = user_data;
}

/**
 * wk_mllp_listener_set_max_frame_size:
 * @listener: a #WkMllpListener
 * @max_frame_size: the largest message taken, in bytes (at least %WK_MLLP_HEAD_SIZE)
 */
void
wk_mllp_listener_set_max_frame_size (WkMllpListener *listener, gsize max_frame_size)
{
  g_return_if_fail (listener != NULL);
  g_return_if_fail (max_frame_size >= WK_MLLP_HEAD_SIZE);

  listener->max_frame_size = max_frame_size;
}

/**
 * wk_mllp_listener_set_idle_timeout:
 * @listener: a #WkMllpListener
 * @timeout_ms: a connection on which nothing is read or written for this long is
 *   closed; a frame begun must end within the smaller of this and the frame timeout
 */
void
wk_mllp_listener_set_idle_timeout (WkMllpListener *listener, guint timeout_ms)
{
  g_return_if_fail (listener != NULL);
  g_return_if_fail (timeout_ms > 0);

  listener->idle_timeout_ms = timeout_ms;
  listener->frame_timeout_ms = MIN (listener->frame_timeout_ms, timeout_ms);
}

/**
 * wk_mllp_listener_set_max_connections:
 * @listener: a #WkMllpListener
 * @max_connections: how many connections may be open at once; more are closed at once
 */
void
wk_mllp_listener_set_max_connections (WkMllpListener *listener, guint max_connections)
{
  g_return_if_fail (listener != NULL);
  g_return_if_fail (max_connections > 0);

  listener->max_connections = max_connections;
}

/**
 * wk_mllp_parse_allow_list:
 * @allow: addresses and networks ("10.1.2.3, 10.1.4.0/24, ::1"), separated by commas,
 *   semicolons or spaces; "*" for any peer
 * @masks: (out) (transfer full) (optional): the #GInetAddressMask of each entry, or %NULL
 *   for "*"
 * @error: return location for a #GError
 *
 * Returns: %TRUE when every entry is an address or network; %FALSE with
 *   %WK_SNAPSHOT_ERROR_CONFIG naming the first one that is not
 */
gboolean
wk_mllp_parse_allow_list (const char *allow, GPtrArray **masks, GError **error)
{
  g_auto (GStrv) entries = NULL;
  g_autoptr (GPtrArray) result = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean any = FALSE;

  g_return_val_if_fail (allow != NULL, FALSE);

  entries = g_strsplit_set (allow, ",; \t", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_autoptr (GError) local_error = NULL;
      GInetAddressMask *mask;

      if (entries[i][0] == '\0')
        continue;
      if (strcmp (entries[i], "*") == 0)
        {
          any = TRUE;
          continue;
        }
      mask = g_inet_address_mask_new_from_string (entries[i], &local_error);
      if (mask == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                       "\"%s\" is not an IP address or network (expected e.g. 10.1.2.3, "
                       "10.1.2.0/24 or ::1, or * for any peer)",
                       entries[i]);
          return FALSE;
        }
      g_ptr_array_add (result, mask);
    }
  if (!any && result->len == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "the allow-list is empty: name the interface engine's address (or * for "
                   "any peer)");
      return FALSE;
    }
  if (masks != NULL)
    *masks = any ? NULL : g_steal_pointer (&result);
  return TRUE;
}

/**
 * wk_mllp_listener_set_allowed_peers:
 * @listener: a #WkMllpListener
 * @allow: the peers that may connect, as wk_mllp_parse_allow_list() takes them
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @allow is valid; %FALSE with %WK_SNAPSHOT_ERROR_CONFIG, leaving the
 *   allow-list as it was
 */
gboolean
wk_mllp_listener_set_allowed_peers (WkMllpListener *listener, const char *allow, GError **error)
{
  GPtrArray *masks = NULL;

  g_return_val_if_fail (listener != NULL, FALSE);

  if (!wk_mllp_parse_allow_list (allow, &masks, error))
    return FALSE;
  g_clear_pointer (&listener->allowed, g_ptr_array_unref);
  listener->allowed = masks;
  return TRUE;
}

/**
 * wk_mllp_listener_set_tls:
 * @listener: a #WkMllpListener
 * @certificate_file: the server's certificate (PEM; may hold the chain)
 * @key_file: its private key (PEM)
 * @client_ca_file: (nullable): when set, peers must present a certificate signed by a CA
 *   in this file (PEM)
 * @error: return location for a #GError
 *
 * Makes every connection TLS. Call before wk_mllp_listener_start().
 *
 * Returns: %TRUE on success; %FALSE with %WK_SNAPSHOT_ERROR_CONFIG when TLS is not
 *   available or a file cannot be used
 */
gboolean
wk_mllp_listener_set_tls (WkMllpListener *listener,
                          const char     *certificate_file,
                          const char     *key_file,
                          const char     *client_ca_file,
                          GError        **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GTlsDatabase) client_ca = NULL;

  g_return_val_if_fail (listener != NULL, FALSE);
  g_return_val_if_fail (certificate_file != NULL && key_file != NULL, FALSE);

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "TLS for the feed is configured but GIO has no TLS backend: install the "
                   "glib-networking package");
      return FALSE;
    }
  certificate = g_tls_certificate_new_from_files (certificate_file, key_file, &local_error);
  if (certificate == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "Cannot load the feed's TLS certificate %s with key %s: %s", certificate_file,
                   key_file, local_error->message);
      return FALSE;
    }
  if (client_ca_file != NULL)
    {
      client_ca = g_tls_file_database_new (client_ca_file, &local_error);
      if (client_ca == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                       "Cannot load the CA for the feed's client certificates %s: %s",
                       client_ca_file, local_error->message);
          return FALSE;
        }
    }
  g_set_object (&listener->certificate, certificate);
  g_set_object (&listener->client_ca, client_ca);
  return TRUE;
}

/**
 * wk_mllp_listener_start:
 * @listener: a #WkMllpListener
 * @address: (nullable): the address to listen on ("127.0.0.1", "0.0.0.0"); %NULL or
 *   "*" for every address, IPv4 and IPv6
 * @port: the port; 0 picks a free one (wk_mllp_listener_get_port() says which)
 * @error: return location for a #GError
 *
 * Starts listening. Connections are served, and the handler called, on the thread-default
 * main context of the caller.
 *
 * Returns: %TRUE when listening; %FALSE with %WK_SNAPSHOT_ERROR_IO
 */
gboolean
wk_mllp_listener_start (WkMllpListener *listener, const char *address, guint16 port, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GSocketService) service = NULL;
  guint16 bound = 0;

  g_return_val_if_fail (listener != NULL, FALSE);
  g_return_val_if_fail (listener->service == NULL, FALSE);

  service = g_socket_service_new ();
  /* Room for many peers connecting at once (GIO's default is 10). */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (service), 128);
  if (address == NULL || strcmp (address, "*") == 0)
    {
      bound = port == 0 ? g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL,
                                                               &local_error)
                        : (g_socket_listener_add_inet_port (G_SOCKET_LISTENER (service), port, NULL,
                                                            &local_error)
                               ? port
                               : 0);
    }
  else
    {
      g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
      g_autoptr (GSocketAddress) socket_address = NULL;
      g_autoptr (GSocketAddress) effective = NULL;

      if (inet == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                       "Cannot listen for the feed on \"%s\": not an IP address (expected e.g. "
                       "0.0.0.0, 10.1.2.3 or *)",
                       address);
          return FALSE;
        }
      socket_address = g_inet_socket_address_new (inet, port);
      if (g_socket_listener_add_address (G_SOCKET_LISTENER (service), socket_address,
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                         &effective, &local_error))
        bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    }
  if (bound == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                   "Cannot listen for the feed on %s port %u: %s. Is another program using the "
                   "port? Check [feed] address and port",
                   address != NULL ? address : "*", port, local_error->message);
      return FALSE;
    }
  listener->port = bound;
  listener->context = g_main_context_ref_thread_default ();
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), listener);
  g_socket_service_start (service);
  listener->service = g_steal_pointer (&service);
  g_message ("Listening for the HL7 feed (MLLP%s) on %s port %u",
             listener->certificate ? " over TLS" : "", address != NULL ? address : "*", bound);
  return TRUE;
}

/**
 * wk_mllp_listener_get_port:
 * @listener: a #WkMllpListener
 *
 * Returns: the port listened on, 0 before wk_mllp_listener_start()
 */
guint16
wk_mllp_listener_get_port (WkMllpListener *listener)
{
  g_return_val_if_fail (listener != NULL, 0);

  return listener->port;
}

/**
 * wk_mllp_listener_is_tls:
 * @listener: a #WkMllpListener
 *
 * Returns: whether connections are TLS
 */
gboolean
wk_mllp_listener_is_tls (WkMllpListener *listener)
{
  g_return_val_if_fail (listener != NULL, FALSE);

  return listener->certificate != NULL;
}

/**
 * wk_mllp_listener_get_stats:
 * @listener: a #WkMllpListener
 * @stats: (out caller-allocates): the counters now
 */
void
wk_mllp_listener_get_stats (WkMllpListener *listener, WkMllpStats *stats)
{
  g_return_if_fail (listener != NULL);
  g_return_if_fail (stats != NULL);

  *stats = listener->stats;
}

/**
 * wk_mllp_listener_dup_last_error:
 * @listener: a #WkMllpListener
 * @at: (out) (optional): when it happened (UTC µs), 0 when nothing went wrong yet
 *
 * The last problem a peer caused (refused connection, dropped or refused frame, failed
 * handshake, timeout), for the daemon's status. It names the connection and the peer's
 * address, never message content.
 *
 * Returns: (transfer full) (nullable): the problem, or %NULL when there was none
 */
char *
wk_mllp_listener_dup_last_error (WkMllpListener *listener, gint64 *at)
{
  g_return_val_if_fail (listener != NULL, NULL);

  if (at != NULL)
    *at = listener->last_error_at;
  return g_strdup (listener->last_error);
}

/**
 * wk_mllp_refuse_with_ar:
 * @head: the first segment of the refused frame: its MSH segment
 * @size: its length
 * @reason: why the message is refused
 * @user_data: (nullable): the ward's code, as a `const char *`, for MSH-4 of the ACK
 *
 * A #WkMllpRefuseFunc that answers `MSA|AR` with an ERR segment carrying @reason
 * (ERR-3 102, ERR-4 E, ERR-8 the text), addressed back to the sender named in the
 * head's MSH, with MSA-2 its control id. Only the MSH segment is read.
 *
 * Returns: (transfer full) (nullable): the ACK; %NULL when @head is not a readable MSH
 *   segment with a control id
 */
GBytes *
wk_mllp_refuse_with_ar (const guint8 *head, gsize size, const char *reason, gpointer user_data)
{
  g_autoptr (WkHl7Message) msh = wk_hl7_message_parse (head, size, NULL, NULL);
  g_autoptr (WkHl7Builder) b = NULL;
  const WkHl7Delimiters *d;
  const char            *control_id, *event, *version;
  g_autofree char       *type = NULL;
  g_autofree char       *ack_id = NULL;

  if (msh == NULL || (control_id = wk_hl7_message_get_control_id (msh)) == NULL)
    return NULL;
  d = wk_hl7_message_get_delimiters (msh);
  b = wk_hl7_builder_new (d->escape != 0 && d->subcomponent != 0 ? d : NULL);
  event = wk_hl7_message_get_event (msh);
  version = wk_hl7_message_get_version (msh);
  type = event != NULL && strlen (event) <= 3 ? g_strconcat ("ACK^", event, "^ACK", NULL)
                                              : g_strdup ("ACK");
  ack_id = g_strconcat ("AR", control_id, NULL);
  wk_hl7_builder_msh (b, type, ack_id, g_get_real_time () / G_USEC_PER_SEC);
  wk_hl7_builder_field (b, 3, "WARDKEEP");
  wk_hl7_builder_field (b, 4, user_data);
  wk_hl7_builder_field (b, 5, wk_hl7_message_get_text (msh, 0, 3, 1, 1, 1, NULL));
  wk_hl7_builder_field (b, 6, wk_hl7_message_get_text (msh, 0, 4, 1, 1, 1, NULL));
  if (version != NULL)
    wk_hl7_builder_field (b, 12, version);
  wk_hl7_builder_segment (b, "MSA");
  wk_hl7_builder_field (b, 1, "AR");
  wk_hl7_builder_field (b, 2, control_id);
  wk_hl7_builder_field (b, 3, reason);
  wk_hl7_builder_segment (b, "ERR");
  wk_hl7_builder_set (b, 3, 1, 1, 1, "102");
  wk_hl7_builder_set (b, 3, 1, 2, 1, "Data type error");
  wk_hl7_builder_set (b, 3, 1, 3, 1, "HL70357");
  wk_hl7_builder_field (b, 4, "E");
  wk_hl7_builder_field (b, 8, reason);
  return wk_hl7_builder_end (b);
}
