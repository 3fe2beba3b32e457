/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-client.c — a blocking MLLP client (plain or TLS) for the simulator and tests. */

#include "wk-mllp-client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

struct _WkMllpClient
{
  GSocketConnection *connection;
  GIOStream         *stream; /* the connection, or TLS over it */
  GByteArray        *in;     /* read but not yet returned */
};

/**
 * wk_mllp_client_connect:
 * @host: the kiosk's address
 * @port: its MLLP port
 * @tls: (nullable): TLS settings; %NULL for plain MLLP
 * @timeout_s: seconds any one connect, read or write may take
 * @error: return location for a #GError
 *
 * Connects, and for TLS completes the handshake (checking the kiosk's certificate
 * against @tls->ca_file).
 *
 * Returns: (transfer full) (nullable): the connection
 */
WkMllpClient *
wk_mllp_client_connect (
    const char *host, guint16 port, const WkMllpClientTls *tls, guint timeout_s, GError **error)
{
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GIOStream) stream = NULL;
  WkMllpClient *client;

  g_socket_client_set_timeout (socket_client, timeout_s);
  /* MLLP goes straight to the kiosk; no proxy settings are looked up. */
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  connection = g_socket_client_connect_to_host (socket_client, host, port, NULL, error);
  if (connection == NULL)
    return NULL;
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1,
                       NULL);
  if (tls != NULL)
    {
      g_autoptr (GSocketConnectable) identity
          = g_network_address_new (tls->server_name != NULL ? tls->server_name : host, port);
      g_autoptr (GTlsDatabase) database = g_tls_file_database_new (tls->ca_file, error);

      if (database == NULL)
        return NULL;
      stream = g_tls_client_connection_new (G_IO_STREAM (connection), identity, error);
      if (stream == NULL)
        return NULL;
      g_tls_connection_set_database (G_TLS_CONNECTION (stream), database);
      if (tls->certificate_file != NULL)
        {
          g_autoptr (GTlsCertificate) certificate
              = g_tls_certificate_new_from_files (tls->certificate_file, tls->key_file, error);

          if (certificate == NULL)
            return NULL;
          g_tls_connection_set_certificate (G_TLS_CONNECTION (stream), certificate);
        }
      if (!g_tls_connection_handshake (G_TLS_CONNECTION (stream), NULL, error))
        return NULL;
    }
  else
    stream = g_object_ref (G_IO_STREAM (connection));

  client = g_new0 (WkMllpClient, 1);
  client->connection = g_steal_pointer (&connection);
  client->stream = g_steal_pointer (&stream);
  client->in = g_byte_array_new ();
  return client;
}

/**
 * wk_mllp_client_free:
 * @client: (nullable) (transfer full): a #WkMllpClient
 *
 * Closes the connection.
 */
void
wk_mllp_client_free (WkMllpClient *client)
{
  if (client == NULL)
    return;
  g_io_stream_close (client->stream, NULL, NULL);
  g_object_unref (client->stream);
  g_object_unref (client->connection);
  g_byte_array_unref (client->in);
  g_free (client);
}

/**
 * wk_mllp_client_write_raw:
 * @client: a #WkMllpClient
 * @data: bytes to send as they are, framing or not
 * @size: their length
 * @error: return location for a #GError
 *
 * Returns: %TRUE when all were written
 */
gboolean
wk_mllp_client_write_raw (WkMllpClient *client, const void *data, gsize size, GError **error)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (client->stream), data, size,
                                    NULL, NULL, error);
}

/**
 * wk_mllp_client_send:
 * @client: a #WkMllpClient
 * @message: a message
 * @size: its length
 * @error: return location for a #GError
 *
 * Sends @message in one MLLP frame (one write).
 *
 * Returns: %TRUE when written
 */
gboolean
wk_mllp_client_send (WkMllpClient *client, const void *message, gsize size, GError **error)
{
  g_autoptr (GByteArray) frame = g_byte_array_sized_new (size + 3);

  g_byte_array_append (frame, (const guint8 *)"\x0b", 1);
  g_byte_array_append (frame, message, size);
  g_byte_array_append (frame, (const guint8 *)"\x1c\x0d", 2);
  return wk_mllp_client_write_raw (client, frame->data, frame->len, error);
}

/* The end of the first complete frame in @in (the index after 0x1C 0x0D), or 0. */
static gsize
frame_end (GByteArray *in, gsize *start)
{
  const guint8 *b = in->len > 0 ? memchr (in->data, 0x0b, in->len) : NULL;

  if (b == NULL)
    return 0;
  *start = b - in->data;
  for (gsize i = *start + 1; i + 1 < in->len; i++)
    if (in->data[i] == 0x1c && in->data[i + 1] == 0x0d)
      return i + 2;
  return 0;
}

/**
 * wk_mllp_client_read_frame:
 * @client: a #WkMllpClient
 * @error: return location for a #GError
 *
 * Reads the next frame the kiosk sends (its acknowledgement of the oldest message not
 * yet acknowledged).
 *
 * Returns: (transfer full) (nullable): its content without the frame; %NULL with
 *   G_IO_ERROR_CONNECTION_CLOSED when the kiosk closed the connection, or another error
 */
GBytes *
wk_mllp_client_read_frame (WkMllpClient *client, GError **error)
{
  GInputStream *input = g_io_stream_get_input_stream (client->stream);

  for (;;)
    {
      gsize  start = 0, end = frame_end (client->in, &start);
      guint8 buf[16384];
      gssize n;

      if (end > 0)
        {
          GBytes *frame = g_bytes_new (client->in->data + start + 1, end - start - 3);

          g_byte_array_remove_range (client->in, 0, end);
          return frame;
        }
      n = g_input_stream_read (input, buf, sizeof buf, NULL, error);
      if (n < 0)
        return NULL;
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "the kiosk closed the MLLP connection (%u bytes unread)", client->in->len);
          return NULL;
        }
      g_byte_array_append (client->in, buf, n);
    }
}

/**
 * wk_mllp_client_exchange:
 * @client: a #WkMllpClient
 * @message: a message
 * @error: return location for a #GError
 *
 * Sends @message and waits for its acknowledgement, as an interface engine does.
 *
 * Returns: (transfer full) (nullable): the acknowledgement without its frame
 */
GBytes *
wk_mllp_client_exchange (WkMllpClient *client, GBytes *message, GError **error)
{
  gsize         size = 0;
  const guint8 *data = g_bytes_get_data (message, &size);

  if (!wk_mllp_client_send (client, data, size, error))
    return NULL;
  return wk_mllp_client_read_frame (client, error);
}

/**
 * wk_mllp_client_wait_closed:
 * @client: a #WkMllpClient
 * @error: return location for a #GError
 *
 * Reads until the kiosk closes the connection (within the timeout), dropping whatever
 * frames arrive before.
 *
 * Returns: %TRUE when the kiosk closed (or reset) the connection; %FALSE on timeout
 */
gboolean
wk_mllp_client_wait_closed (WkMllpClient *client, GError **error)
{
  GInputStream *input = g_io_stream_get_input_stream (client->stream);

  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      guint8 buf[4096];
      gssize n = g_input_stream_read (input, buf, sizeof buf, NULL, &local_error);

      if (n == 0)
        return TRUE;
      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          return TRUE; /* reset, or a TLS error because the kiosk dropped the session */
        }
    }
}
