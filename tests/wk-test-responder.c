/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-responder.c — a loopback HTTP(S) server the monitor's tests control. Real
 * sockets on 127.0.0.1 with a port the kernel picks; never a hard-coded port. */

#include "wk-test-responder.h"

#include <string.h>

struct _WkTestResponder
{
  GSocketService     *service;
  GCancellable       *cancellable; /* cancelled when the responder goes */
  guint16             port;
  GTlsCertificate    *certificate;
  WkTestResponderMode mode;
  guint               status;
  guint               n_requests;
  char               *last_request;
  GPtrArray          *held; /* connections left hanging */
};

typedef struct
{
  WkTestResponder *responder;
  GIOStream       *stream;
  char             buffer[4096];
  gsize            length;
} Connection;

static void
connection_free (Connection *connection)
{
  g_object_unref (connection->stream);
  g_free (connection);
}

static void
written_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Connection *connection = data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  g_io_stream_close (connection->stream, NULL, NULL);
  connection_free (connection);
}

static void
answer (Connection *connection, const char *text)
{
  GOutputStream *out = g_io_stream_get_output_stream (connection->stream);
  char          *copy = g_strdup (text);

  g_object_set_data_full (G_OBJECT (connection->stream), "answer", copy, g_free);
  g_output_stream_write_all_async (out, copy, strlen (copy), G_PRIORITY_DEFAULT, NULL, written_cb,
                                   connection);
}

static void
read_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Connection *connection = data;
  g_autoptr (GError) error = NULL;
  gssize           n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);
  WkTestResponder *responder = connection->responder;

  /* The end, an error, or the responder going (its cancellable): nothing to answer. */
  if (n <= 0)
    {
      connection_free (connection);
      return;
    }
  connection->length += (gsize)n;
  if (g_strstr_len (connection->buffer, connection->length, "\r\n\r\n") == NULL
      && connection->length < sizeof connection->buffer - 1)
    {
      g_input_stream_read_async (G_INPUT_STREAM (source), connection->buffer + connection->length,
                                 sizeof connection->buffer - 1 - connection->length,
                                 G_PRIORITY_DEFAULT, responder->cancellable, read_cb, connection);
      return;
    }

  /* A whole request: answer as the test asked. */
  responder->n_requests++;
  g_free (responder->last_request);
  responder->last_request = g_strndup (connection->buffer, connection->length);
  switch (responder->mode)
    {
    case WK_TEST_RESPONDER_STATUS:
      {
        g_autofree char *text = g_strdup_printf ("HTTP/1.1 %u Test\r\nContent-Length: 0\r\n"
                                                 "Connection: close\r\n\r\n",
                                                 responder->status);

        answer (connection, text);
        break;
      }
    case WK_TEST_RESPONDER_HANG:
      g_ptr_array_add (responder->held, g_object_ref (connection->stream));
      connection_free (connection);
      break;
    case WK_TEST_RESPONDER_CLOSE:
      g_io_stream_close (connection->stream, NULL, NULL);
      connection_free (connection);
      break;
    case WK_TEST_RESPONDER_GARBAGE:
      answer (connection, "hello, this is not HTTP\r\n");
      break;
    }
}

static void
start_reading (Connection *connection)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (connection->stream), connection->buffer,
                             sizeof connection->buffer - 1, G_PRIORITY_DEFAULT,
                             connection->responder->cancellable, read_cb, connection);
}

static void
handshake_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Connection *connection = data;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), res, NULL))
    {
      connection_free (connection);
      return;
    }
  start_reading (connection);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *socket_connection,
             GObject           *source,
             gpointer           data)
{
  WkTestResponder *responder = data;
  Connection      *connection = g_new0 (Connection, 1);

  connection->responder = responder;
  if (responder->certificate != NULL)
    {
      g_autoptr (GError) error = NULL;
      GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (socket_connection),
                                                    responder->certificate, &error);

      g_assert_no_error (error);
      connection->stream = tls;
      g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                        responder->cancellable, handshake_cb, connection);
      return TRUE;
    }
  connection->stream = G_IO_STREAM (g_object_ref (socket_connection));
  start_reading (connection);
  return TRUE;
}

/**
 * wk_test_responder_new:
 * @certificate: (nullable): serve HTTPS with this certificate; %NULL for plain HTTP
 *
 * Returns: (transfer full): a server on 127.0.0.1 at a port the kernel chose, answering
 *   200 until told otherwise
 */
WkTestResponder *
wk_test_responder_new (GTlsCertificate *certificate)
{
  WkTestResponder *responder = g_new0 (WkTestResponder, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError) error = NULL;

  responder->service = g_socket_service_new ();
  responder->cancellable = g_cancellable_new ();
  responder->status = 200;
  responder->held = g_ptr_array_new_with_free_func (g_object_unref);
  responder->certificate = certificate != NULL ? g_object_ref (certificate) : NULL;
  g_socket_listener_add_address (G_SOCKET_LISTENER (responder->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                 &error);
  g_assert_no_error (error);
  responder->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (responder->service, "incoming", G_CALLBACK (incoming_cb), responder);
  g_socket_service_start (responder->service);
  return responder;
}

/**
 * wk_test_responder_free:
 * @responder: (nullable) (transfer full): a responder; its port closes
 */
void
wk_test_responder_free (WkTestResponder *responder)
{
  if (responder == NULL)
    return;
  g_cancellable_cancel (responder->cancellable);
  g_signal_handlers_disconnect_by_data (responder->service, responder);
  g_socket_service_stop (responder->service);
  g_socket_listener_close (G_SOCKET_LISTENER (responder->service));
  g_object_unref (responder->service);
  for (guint i = 0; i < responder->held->len; i++)
    g_io_stream_close (responder->held->pdata[i], NULL, NULL);
  g_ptr_array_unref (responder->held);
  g_clear_object (&responder->certificate);
  g_object_unref (responder->cancellable);
  g_free (responder->last_request);
  g_free (responder);
}

/**
 * wk_test_responder_get_port:
 * @responder: a responder
 *
 * Returns: its port on 127.0.0.1
 */
guint16
wk_test_responder_get_port (WkTestResponder *responder)
{
  return responder->port;
}

/**
 * wk_test_responder_dup_url:
 * @responder: a responder
 * @path: the path, starting with /
 *
 * Returns: (transfer full): http://127.0.0.1:PORT/PATH (https:// when it has a certificate)
 */
char *
wk_test_responder_dup_url (WkTestResponder *responder, const char *path)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", responder->certificate != NULL ? "https" : "http",
                          responder->port, path);
}

/**
 * wk_test_responder_set_status:
 * @responder: a responder
 * @status: the status to answer with from now on (the mode becomes STATUS)
 */
void
wk_test_responder_set_status (WkTestResponder *responder, guint status)
{
  responder->status = status;
  responder->mode = WK_TEST_RESPONDER_STATUS;
}

/**
 * wk_test_responder_set_mode:
 * @responder: a responder
 * @mode: how to treat the requests from now on
 */
void
wk_test_responder_set_mode (WkTestResponder *responder, WkTestResponderMode mode)
{
  responder->mode = mode;
}

/**
 * wk_test_responder_get_n_requests:
 * @responder: a responder
 *
 * Returns: how many whole requests it has read
 */
guint
wk_test_responder_get_n_requests (WkTestResponder *responder)
{
  return responder->n_requests;
}

/**
 * wk_test_responder_get_last_request:
 * @responder: a responder
 *
 * Returns: (nullable): the last request's text
 */
const char *
wk_test_responder_get_last_request (WkTestResponder *responder)
{
  return responder->last_request;
}

/**
 * wk_test_closed_port:
 *
 * Returns: a port on 127.0.0.1 that nothing listens on (the kernel gave it out and it was
 *   closed again)
 */
guint16
wk_test_closed_port (void)
{
  guint16 port;
  g_autoptr (GSocket) socket = wk_test_listening_socket (&port);

  g_socket_close (socket, NULL);
  return port;
}

/**
 * wk_test_listening_socket:
 * @port: (out): its port
 *
 * Returns: (transfer full): a TCP socket listening on 127.0.0.1 (connections to it are
 *   accepted by the kernel, never read)
 */
GSocket *
wk_test_listening_socket (guint16 *port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) local = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_listen (socket, &error));
  g_assert_no_error (error);
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&socket);
}

static gboolean
give_up_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * wk_test_wait_for:
 * @done: returns %TRUE once what the test waits for has happened
 * @data: passed to @done
 * @what: what it waits for, for the failure message
 *
 * Runs the main loop until @done says so; fails the test after 120 s of real time (a
 * guard against hanging, not a timing assertion).
 */
void
wk_test_wait_for (gboolean (*done) (gpointer data), gpointer data, const char *what)
{
  gboolean given_up = FALSE;
  guint    guard = g_timeout_add_seconds (120, give_up_cb, &given_up);

  while (!done (data) && !given_up)
    g_main_context_iteration (NULL, TRUE);
  if (given_up)
    g_error ("gave up after 120 s waiting for %s", what);
  g_source_remove (guard);
}

/**
 * wk_test_certificate_new:
 * @dir: a scratch folder
 * @ca_file: (out) (transfer full): the PEM file that trusts it (itself: it is self-signed)
 *
 * Makes a throw-away self-signed certificate for 127.0.0.1 with openssl.
 *
 * Returns: (transfer full): the certificate with its private key
 */
GTlsCertificate *
wk_test_certificate_new (const char *dir, char **ca_file)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  const char      *argv[] = { "openssl",
                              "req",
                              "-x509",
                              "-newkey",
                              "ec",
                              "-pkeyopt",
                              "ec_paramgen_curve:prime256v1",
                              "-nodes",
                              "-days",
                              "2",
                              "-subj",
                              "/CN=wardkeep test server",
                              "-addext",
                              "subjectAltName=IP:127.0.0.1",
                              "-keyout",
                              key,
                              "-out",
                              cert,
                              NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int              status = 0;
  GTlsCertificate *certificate;

  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("openssl could not make a test certificate: %s", err);
  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  *ca_file = g_steal_pointer (&cert);
  return certificate;
}

/**
 * wk_test_stop_worker_threads:
 *
 * Waits until GLib's idle worker threads (those GTask, the resolver and the TLS backend
 * ran in) have exited. clang 14's LeakSanitizer crashes at exit ("Tracer caught signal
 * 11") on a thread that holds dynamic TLS of a module loaded at run time, such as
 * glib-networking's GnuTLS; with those threads gone, the leak check runs as usual.
 */
void
wk_test_stop_worker_threads (void)
{
  /* A thread of GTask's pool waits half a second for more work before it becomes an
   * unused thread that can be stopped. */
  for (int i = 0; i < 40; i++)
    {
      g_usleep (50 * 1000);
      g_thread_pool_set_max_unused_threads (0);
      g_thread_pool_stop_unused_threads ();
      if (i >= 12 && g_thread_pool_get_num_unused_threads () == 0)
        break;
    }
  g_thread_pool_set_max_unused_threads (2);
}
