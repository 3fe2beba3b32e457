/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-engine.c — a stand-in interface engine: an MLLP listener on loopback, in a thread.
 *
 * Real sockets, real framing: it binds 127.0.0.1 on a port the system picks, takes one
 * connection at a time, and answers each framed message with what its function returns. */

#include "wk-test-engine.h"

#include "wk-hl7.h"

#include <string.h>

struct _WkTestEngine
{
  GSocketListener *listener;
  guint16          port;
  GCancellable    *cancel;
  GThread         *thread;
  WkTestEngineFunc func;
  gpointer         user_data;
  guint            n_messages; /* atomic */
};

static void
serve (WkTestEngine *engine, GSocketConnection *connection)
{
  GInputStream  *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  gboolean started = FALSE;
  guint8   buffer[4096];

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, engine->cancel, NULL);

      if (n <= 0)
        return;
      for (gssize i = 0; i < n; i++)
        {
          if (!started)
            {
              started = buffer[i] == 0x0b;
              continue;
            }
          if (buffer[i] == 0x0d && frame->len > 0 && frame->data[frame->len - 1] == 0x1c)
            {
              g_autoptr (GBytes) ack = NULL;

              g_atomic_int_inc (&engine->n_messages);
              ack = engine->func (frame->data, frame->len - 1, engine->user_data);
              g_byte_array_set_size (frame, 0);
              started = FALSE;
              if (ack != NULL)
                {
                  gsize         size;
                  const guint8 *data = g_bytes_get_data (ack, &size);
                  const guint8  start = 0x0b, end[2] = { 0x1c, 0x0d };

                  if (!g_output_stream_write_all (out, &start, 1, NULL, engine->cancel, NULL)
                      || !g_output_stream_write_all (out, data, size, NULL, engine->cancel, NULL)
                      || !g_output_stream_write_all (out, end, 2, NULL, engine->cancel, NULL))
                    return;
                }
              continue;
            }
          g_byte_array_append (frame, &buffer[i], 1);
        }
    }
}

static gpointer
engine_thread (gpointer data)
{
  WkTestEngine *engine = data;

  for (;;)
    {
      g_autoptr (GSocketConnection) connection
          = g_socket_listener_accept (engine->listener, NULL, engine->cancel, NULL);

      if (connection == NULL)
        return NULL;
      serve (engine, connection);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
}

/**
 * wk_test_engine_new:
 * @func: answers each message, on the engine's thread
 * @user_data: for @func
 *
 * Returns: (transfer full): a running engine on 127.0.0.1 and a free port
 */
WkTestEngine *
wk_test_engine_new (WkTestEngineFunc func, gpointer user_data)
{
  WkTestEngine *engine = g_new0 (WkTestEngine, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  engine->func = func;
  engine->user_data = user_data;
  engine->cancel = g_cancellable_new ();
  engine->listener = g_socket_listener_new ();
  g_socket_listener_add_address (engine->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  engine->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  engine->thread = g_thread_new ("test-engine", engine_thread, engine);
  return engine;
}

/**
 * wk_test_engine_dup_address:
 * @engine: a #WkTestEngine
 *
 * Returns: (transfer full): "127.0.0.1:PORT"
 */
char *
wk_test_engine_dup_address (WkTestEngine *engine)
{
  return g_strdup_printf ("127.0.0.1:%u", engine->port);
}

/**
 * wk_test_engine_get_n_messages:
 * @engine: a #WkTestEngine
 *
 * Returns: how many messages it has received
 */
guint
wk_test_engine_get_n_messages (WkTestEngine *engine)
{
  return g_atomic_int_get (&engine->n_messages);
}

/**
 * wk_test_engine_free:
 * @engine: (nullable) (transfer full): a #WkTestEngine; its thread is stopped and joined
 */
void
wk_test_engine_free (WkTestEngine *engine)
{
  if (engine == NULL)
    return;
  g_cancellable_cancel (engine->cancel);
  g_socket_listener_close (engine->listener);
  g_thread_join (engine->thread);
  g_object_unref (engine->listener);
  g_object_unref (engine->cancel);
  g_free (engine);
}

/**
 * wk_test_engine_ack:
 * @message: the message answered
 * @size: its size
 * @code: MSA-1
 * @text: (nullable): MSA-3
 *
 * Returns: (transfer full): an ACK of @message
 */
GBytes *
wk_test_engine_ack (const guint8 *message, gsize size, const char *code, const char *text)
{
  g_autoptr (WkHl7Message) parsed = wk_hl7_message_parse (message, size, NULL, NULL);
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);

  g_assert_nonnull (parsed);
  wk_hl7_builder_msh (b, "ACK^O17^ACK", "ENGINE-ACK", g_get_real_time () / G_USEC_PER_SEC);
  wk_hl7_builder_field (b, 3, "ENGINE");
  wk_hl7_builder_segment (b, "MSA");
  wk_hl7_builder_field (b, 1, code);
  wk_hl7_builder_field (b, 2, wk_hl7_message_get_control_id (parsed));
  if (text != NULL)
    wk_hl7_builder_field (b, 3, text);
  return wk_hl7_builder_end (b);
}
