/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-sender.c — sends HL7 messages over MLLP (optionally TLS) and checks each ACK. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-mllp-sender.h"

#include "wk-hl7.h"
#include "wk-snapshot-error.h"

#include <string.h>

#define START_BLOCK 0x0b
#define END_BLOCK 0x1c
#define CARRIAGE_RETURN 0x0d
/* An acknowledgement larger than this is not one. */
#define MAX_ACK (1024 * 1024)

struct _WkMllpSender
{
  char               *address;
  GSocketConnectable *connectable;
  gboolean            tls;
  GTlsDatabase       *database; /* NULL: the system's */
  guint               timeout_ms;
  guint               retries;
  guint               retry_delay_ms;
  GIOStream          *connection;
};

/**
 * wk_mllp_ack_free:
 * @ack: (nullable) (transfer full): a #WkMllpAck
 */
void
wk_mllp_ack_free (WkMllpAck *ack)
{
  if (ack == NULL)
    return;
  g_free (ack->code);
  g_free (ack->text);
  g_free (ack);
}

/**
 * wk_mllp_sender_new:
 * @address: host:port of the MLLP listener
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a sender (not yet connected: the first message connects),
 *   or %NULL with %WK_SNAPSHOT_ERROR_CONFIG when @address is not host:port
 */
WkMllpSender *
wk_mllp_sender_new (const char *address, GError **error)
{
  g_autoptr (GSocketConnectable) connectable = NULL;
  WkMllpSender *sender;

  g_return_val_if_fail (address != NULL, NULL);

  connectable = g_network_address_parse (address, 0, NULL);
  if (connectable == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (connectable)) == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "\"%s\" is not an MLLP address: expected host:port", address);
      return NULL;
    }
  sender = g_new0 (WkMllpSender, 1);
  sender->address = g_strdup (address);
  sender->connectable = g_steal_pointer (&connectable);
  sender->timeout_ms = 10000;
  sender->retries = 3;
  sender->retry_delay_ms = 5000;
  return sender;
}

/**
 * wk_mllp_sender_free:
 * @sender: (nullable) (transfer full): a #WkMllpSender
 */
void
wk_mllp_sender_free (WkMllpSender *sender)
{
  if (sender == NULL)
    return;
  wk_mllp_sender_close (sender);
  g_free (sender->address);
  g_clear_object (&sender->connectable);
  g_clear_object (&sender->database);
  g_free (sender);
}

/**
 * wk_mllp_sender_set_tls:
 * @sender: a #WkMllpSender
 * @tls: whether to connect with TLS, checking the listener's certificate
 * @ca_file: (nullable): a PEM file of the certificate authorities to trust instead of
 *   the system's
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_CONFIG when @ca_file cannot be read
 */
gboolean
wk_mllp_sender_set_tls (WkMllpSender *sender, gboolean tls, const char *ca_file, GError **error)
{
  g_return_val_if_fail (sender != NULL, FALSE);

  sender->tls = tls;
  g_clear_object (&sender->database);
  if (tls && ca_file != NULL)
    {
      g_autoptr (GError) local_error = NULL;

      sender->database = g_tls_file_database_new (ca_file, &local_error);
      if (sender->database == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                       "Cannot read the certificate authorities in %s: %s", ca_file,
                       local_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * wk_mllp_sender_set_timeout:
 * @sender: a #WkMllpSender
 * @timeout_ms: how long connecting, and waiting for an acknowledgement, may take
 */
void
wk_mllp_sender_set_timeout (WkMllpSender *sender, guint timeout_ms)
{
  sender->timeout_ms = MAX (timeout_ms, 1);
}

/**
 * wk_mllp_sender_set_retries:
 * @sender: a #WkMllpSender
 * @retries: how many times a message is sent again after a failure
 * @delay_ms: how long to wait before each
 */
void
wk_mllp_sender_set_retries (WkMllpSender *sender, guint retries, guint delay_ms)
{
  sender->retries = retries;
  sender->retry_delay_ms = delay_ms;
}

/**
 * wk_mllp_sender_get_address:
 * @sender: a #WkMllpSender
 *
 * Returns: host:port
 */
const char *
wk_mllp_sender_get_address (WkMllpSender *sender)
{
  return sender->address;
}

/**
 * wk_mllp_sender_close:
 * @sender: a #WkMllpSender
 *
 * Closes the connection, if open; the next message opens a new one.
 */
void
wk_mllp_sender_close (WkMllpSender *sender)
{
  if (sender->connection != NULL)
    g_io_stream_close (sender->connection, NULL, NULL);
  g_clear_object (&sender->connection);
}

static void
client_event_cb (GSocketClient      *client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 gpointer            data)
{
  WkMllpSender *sender = data;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && sender->database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), sender->database);
}

static gboolean
ensure_connected (WkMllpSender *sender, GCancellable *cancellable, GError **error)
{
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GError) local_error = NULL;
  GSocketConnection *connection;

  if (sender->connection != NULL)
    return TRUE;
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_tls (client, sender->tls);
  g_socket_client_set_timeout (client, (sender->timeout_ms + 999) / 1000);
  g_signal_connect (client, "event", G_CALLBACK (client_event_cb), sender);
  connection = g_socket_client_connect (client, sender->connectable, cancellable, &local_error);
  if (connection == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                   "Cannot connect to the interface engine at %s: %s", sender->address,
                   local_error->message);
      return FALSE;
    }
  sender->connection = G_IO_STREAM (connection);
  return TRUE;
}

/* The plain socket under the (maybe TLS) connection, for waiting with a timeout. */
static GSocket *
base_socket (WkMllpSender *sender)
{
  GIOStream *stream = sender->connection;

  if (G_IS_TLS_CONNECTION (stream))
    {
      GIOStream *base = NULL;

      g_object_get (stream, "base-io-stream", &base, NULL);
      if (base != NULL)
        {
          GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));

          g_object_unref (base);
          return socket;
        }
    }
  return g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
}

/* Reads one framed answer, waiting at most until @deadline (monotonic microseconds). */
static GBytes *
read_frame (WkMllpSender *sender, gint64 deadline, GCancellable *cancellable, GError **error)
{
  GPollableInputStream *in
      = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (sender->connection));
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  gboolean started = FALSE;
  guint8   buffer[4096];

  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      gssize n;

      if (!g_pollable_input_stream_is_readable (in))
        {
          gint64 remaining = deadline - g_get_monotonic_time ();

          if (remaining <= 0
              || !g_socket_condition_timed_wait (base_socket (sender), G_IO_IN, remaining,
                                                 cancellable, &local_error))
            {
              if (local_error != NULL
                  && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return NULL;
                }
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "no acknowledgement within %u ms", sender->timeout_ms);
              return NULL;
            }
        }
      n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, cancellable,
                                                    &local_error);
      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (n < 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "the interface engine closed the connection without acknowledging");
          return NULL;
        }
      for (gssize i = 0; i < n; i++)
        {
          guint8 c = buffer[i];

          if (!started)
            {
              started = c == START_BLOCK;
              continue;
            }
          if (c == CARRIAGE_RETURN && frame->len > 0 && frame->data[frame->len - 1] == END_BLOCK)
            {
              g_byte_array_set_size (frame, frame->len - 1);
              return g_byte_array_free_to_bytes (g_steal_pointer (&frame));
            }
          g_byte_array_append (frame, &c, 1);
          if (frame->len > MAX_ACK)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the answer is longer than any acknowledgement");
              return NULL;
            }
        }
    }
}

/* The ACK of @control_id in @frame, or NULL with @error saying why it is not one. */
static WkMllpAck *
parse_ack (GBytes *frame, const char *control_id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gsize         size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  g_autoptr (WkHl7Message) message = wk_hl7_message_parse (data, size, NULL, &local_error);
  WkMllpAck  *ack;
  const char *code, *answered, *text;
  int         msa, err;

  if (message == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the answer is not an HL7 message (%s)", local_error->message);
      return NULL;
    }
  msa = wk_hl7_message_find_segment (message, "MSA", 1);
  if (msa < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the answer has no MSA segment: it is not an acknowledgement");
      return NULL;
    }
  code = wk_hl7_message_get_text (message, msa, 1, 1, 1, 0, NULL);
  answered = wk_hl7_message_get_text (message, msa, 2, 1, 1, 0, NULL);
  if (g_strcmp0 (answered, control_id) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the acknowledgement is for message %s, not %s",
                   answered != NULL ? answered : "(none)", control_id);
      return NULL;
    }
  if (code == NULL || strlen (code) != 2 || strchr ("AC", code[0]) == NULL
      || strchr ("AER", code[1]) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "MSA-1 \"%s\" is not an acknowledgement code", code != NULL ? code : "");
      return NULL;
    }
  ack = g_new0 (WkMllpAck, 1);
  ack->code = g_strdup (code);
  text = wk_hl7_message_get_text (message, msa, 3, 1, 1, 0, NULL);
  err = wk_hl7_message_find_segment (message, "ERR", 1);
  if (text == NULL && err >= 0)
    text = wk_hl7_message_get_text (message, err, 8, 1, 1, 0, NULL);
  if (text == NULL && err >= 0)
    text = wk_hl7_message_get_text (message, err, 3, 1, 2, 0, NULL);
  ack->text = g_strdup (text);
  return ack;
}

static WkMllpAck *
send_once (WkMllpSender *sender,
           GBytes       *message,
           const char   *control_id,
           GCancellable *cancellable,
           GError      **error)
{
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GError) local_error = NULL;
  GOutputStream *out;
  gsize          size;
  const guint8  *data = g_bytes_get_data (message, &size);
  const guint8   start = START_BLOCK, end[2] = { END_BLOCK, CARRIAGE_RETURN };
  WkMllpAck     *ack;

  if (!ensure_connected (sender, cancellable, error))
    return NULL;
  g_byte_array_append (frame, &start, 1);
  g_byte_array_append (frame, data, size);
  g_byte_array_append (frame, end, 2);
  out = g_io_stream_get_output_stream (sender->connection);
  if (!g_output_stream_write_all (out, frame->data, frame->len, NULL, cancellable, &local_error)
      || !g_output_stream_flush (out, cancellable, &local_error))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                   "Cannot send message %s to %s: %s", control_id, sender->address,
                   local_error->message);
      return NULL;
    }
  answer = read_frame (sender, g_get_monotonic_time () + (gint64)sender->timeout_ms * 1000,
                       cancellable, &local_error);
  if (answer != NULL)
    {
      ack = parse_ack (answer, control_id, &local_error);
      if (ack != NULL)
        return ack;
    }
  g_set_error (error, WK_SNAPSHOT_ERROR,
               g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)
                   ? WK_SNAPSHOT_ERROR_HL7_NACK
                   : WK_SNAPSHOT_ERROR_IO,
               "Message %s to %s: %s", control_id, sender->address, local_error->message);
  return NULL;
}

/**
 * wk_mllp_sender_send:
 * @sender: a #WkMllpSender
 * @message: one HL7 message (unframed)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends @message and waits for its ACK, sending it again on failure as the retries allow.
 * Blocks.
 *
 * Returns: (transfer full): the acknowledgement (`AA` or `CA`), or %NULL with
 *   %WK_SNAPSHOT_ERROR_HL7_NACK (refused with AR/CR, or AE/CE or a wrong answer on the
 *   last try) or %WK_SNAPSHOT_ERROR_IO (no connection, no answer), saying why
 */
WkMllpAck *
wk_mllp_sender_send (WkMllpSender *sender,
                     GBytes       *message,
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (WkHl7Message) parsed = NULL;
  g_autofree char *control_id = NULL;
  gsize            size;
  const guint8    *data;

  g_return_val_if_fail (sender != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);

  data = g_bytes_get_data (message, &size);
  parsed = wk_hl7_message_parse (data, size, NULL, error);
  if (parsed == NULL)
    return NULL;
  control_id = g_strdup (wk_hl7_message_get_control_id (parsed));
  if (control_id == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_MISSING,
                   "The message to send has no MSH-10");
      return NULL;
    }

  for (guint attempt = 1;; attempt++)
    {
      GError    *local_error = NULL;
      WkMllpAck *ack = send_once (sender, message, control_id, cancellable, &local_error);
      gboolean   last = attempt > sender->retries;

      if (ack != NULL)
        {
          ack->attempts = attempt;
          if (ack->code[1] == 'A')
            return ack;
          /* Rejected: sending it again would be rejected again. */
          if (ack->code[1] == 'R' || last)
            {
              g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_NACK,
                           "%s refused message %s with %s%s%s%s", sender->address, control_id,
                           ack->code, ack->text != NULL ? " (" : "",
                           ack->text != NULL ? ack->text : "", ack->text != NULL ? ")" : "");
              wk_mllp_ack_free (ack);
              return NULL;
            }
          g_message ("%s answered message %s with %s; sending it again", sender->address,
                     control_id, ack->code);
          wk_mllp_ack_free (ack);
        }
      else if (last || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          if (attempt > 1)
            g_prefix_error (&local_error, "after %u tries: ", attempt);
          g_propagate_error (error, local_error);
          wk_mllp_sender_close (sender);
          return NULL;
        }
      else
        {
          g_message ("%s; sending it again in %u ms", local_error->message, sender->retry_delay_ms);
          g_clear_error (&local_error);
        }
      /* A fresh connection for the next try: the stream may be out of step. */
      wk_mllp_sender_close (sender);
      if (sender->retry_delay_ms > 0)
        {
          if (g_cancellable_is_cancelled (cancellable))
            {
              g_cancellable_set_error_if_cancelled (cancellable, error);
              return NULL;
            }
          g_usleep ((gulong)sender->retry_delay_ms * 1000);
        }
    }
}
