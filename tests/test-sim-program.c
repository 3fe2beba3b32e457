/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sim-program.c — wardkeep-sim as demos and drills run it: a real process sending its
 * feed over loopback MLLP (plain and TLS), checking ACKs, serving the health endpoint,
 * going down and coming back on a signal or the control socket. */

#include "wk-mllp-client.h"
#include "wk-mllp-listener.h"
#include "wk-test-mllp.h"
#include "wk-test-util.h"

#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <string.h>

typedef struct
{
  WkMllpListener *listener;
  guint           frames;
  guint           refuse_at; /* answer AE to this message (1-based); 0 never */
  GSubprocess    *process;
  char           *out; /* the simulator's stdout once it has exited */
  int             status;
  gboolean        exited;
} Fixture;

static GBytes *
handler (const guint8 *message, gsize size, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->frames++;
  if (fixture->frames == fixture->refuse_at)
    return wk_test_ack (message, size, "AE", "PID-3: the NHS number's check digit is wrong");
  return wk_test_ack (message, size, "AA", NULL);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->listener = wk_mllp_listener_new (handler, fixture, NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  if (fixture->process != NULL && !fixture->exited)
    {
      g_subprocess_force_exit (fixture->process);
      g_subprocess_wait (fixture->process, NULL, NULL);
    }
  g_clear_object (&fixture->process);
  g_clear_pointer (&fixture->listener, wk_mllp_listener_free);
  g_free (fixture->out);
}

static void
communicate_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *fixture = data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &fixture->out, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (G_SUBPROCESS (source)))
    g_error ("wardkeep-sim died (wait status %d); it printed:\n%s",
             g_subprocess_get_status (G_SUBPROCESS (source)), fixture->out);
  fixture->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  fixture->exited = TRUE;
}

/* Starts wardkeep-sim with @args (NULL-terminated), collecting its output. */
static void
spawn_sim (Fixture *fixture, const char *first, ...)
{
  g_autofree char *program = wk_test_build_path ("tests", "sim", "wardkeep-sim", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, program);
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  fixture->process = g_subprocess_newv ((const char *const *)argv->pdata,
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (fixture->process, NULL, NULL, communicate_cb, fixture);
}

static void
wait_exit (Fixture *fixture)
{
  while (!fixture->exited)
    g_main_context_iteration (NULL, TRUE);
}

static char *
feed_arg (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  if (wk_mllp_listener_get_port (fixture->listener) == 0)
    g_assert_true (wk_mllp_listener_start (fixture->listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  return g_strdup_printf ("127.0.0.1:%u", wk_mllp_listener_get_port (fixture->listener));
}

/* "feed done: N messages acknowledged" in the output: N. */
static guint
acknowledged (const char *out)
{
  const char *line = strstr (out, "feed done: ");

  g_assert_nonnull (line);
  return (guint)g_ascii_strtoull (line + strlen ("feed done: "), NULL, 10);
}

static void
test_feed_and_acks (Fixture *fixture, gconstpointer data)
{
  g_autofree char *feed = feed_arg (fixture);

  spawn_sim (fixture, "--feed", feed, "--seed", "5", "--wards", "2", "--messages", "300", "--start",
             "2026-03-02T07:00:00Z", NULL);
  wait_exit (fixture);
  g_assert_cmpint (fixture->status, ==, 0);
  g_assert_nonnull (strstr (fixture->out, "ready: health endpoint http://127.0.0.1:"));
  g_assert_nonnull (strstr (fixture->out, "hospital: 2 wards, 60 beds"));
  /* Every message it sent reached the kiosk and was acknowledged, and it says so. */
  g_assert_cmpuint (acknowledged (fixture->out), ==, fixture->frames);
  g_assert_nonnull (strstr (fixture->out, " 300 events)"));
}

static void
test_refused_ack_fails (Fixture *fixture, gconstpointer data)
{
  g_autofree char *feed = feed_arg (fixture);

  fixture->refuse_at = 10;
  spawn_sim (fixture, "--feed", feed, "--messages", "100", NULL);
  wait_exit (fixture);
  g_assert_cmpint (fixture->status, ==, 1);
  g_assert_nonnull (strstr (fixture->out, "FAILED: the kiosk answered AE to "));
  g_assert_nonnull (strstr (fixture->out, "the NHS number's check digit is wrong"));
  g_assert_null (strstr (fixture->out, "feed done"));
  g_assert_cmpuint (fixture->frames, ==, 10);
}

static void
test_kiosk_unreachable (Fixture *fixture, gconstpointer data)
{
  g_autofree char *feed = feed_arg (fixture);

  /* Nobody listens there once the listener is gone. */
  g_clear_pointer (&fixture->listener, wk_mllp_listener_free);
  spawn_sim (fixture, "--feed", feed, "--connect-timeout", "1", NULL);
  wait_exit (fixture);
  g_assert_cmpint (fixture->status, ==, 1);
  g_assert_nonnull (strstr (fixture->out, "FAILED: cannot reach the kiosk at 127.0.0.1:"));
}

/* Runs the main context (the kiosk side) for @ms. */
static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

/* The kiosk restarts mid-feed: the simulator reconnects and sends again what was not
 * acknowledged, as an interface engine does, and finishes. */
static void
test_kiosk_restart (Fixture *fixture, gconstpointer data)
{
  g_autofree char *feed = feed_arg (fixture);
  g_autoptr (GError) error = NULL;
  guint16 port = wk_mllp_listener_get_port (fixture->listener);

  spawn_sim (fixture, "--feed", feed, "--messages", "200", NULL);
  while (fixture->frames < 50)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&fixture->listener, wk_mllp_listener_free);
  run_for (300);
  fixture->listener = wk_mllp_listener_new (handler, fixture, NULL);
  g_assert_true (wk_mllp_listener_start (fixture->listener, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  wait_exit (fixture);
  g_assert_cmpint (fixture->status, ==, 0);
  g_assert_nonnull (strstr (fixture->out, "lost the kiosk before it acknowledged"));
  g_assert_nonnull (strstr (fixture->out, " 200 events)"));
  /* Every message was acknowledged; the one lost in the restart, if any, was sent twice. */
  g_assert_cmpuint (fixture->frames, >=, acknowledged (fixture->out));
  g_assert_cmpuint (fixture->frames, <=, acknowledged (fixture->out) + 1);
}

static void
test_usage (Fixture *fixture, gconstpointer data)
{
  g_autofree char  *program = wk_test_build_path ("tests", "sim", "wardkeep-sim", NULL);
  const char *const bad[][3] = { { "--feed", "nowhere", NULL },
                                 { "--beds", "500", NULL },
                                 { "--start", "yesterday", NULL },
                                 { "--tls-cert", "c.pem", NULL } };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *err = NULL;
      g_autoptr (GSubprocess) process
          = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                              &error, program, bad[i][0], bad[i][1], NULL);

      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
      g_assert_true (g_str_has_prefix (err, "wardkeep-sim: --"));
    }
}

/* GET /health: the HTTP status code. */
static int
health (guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  char  reply[256] = { 0 };
  gsize n = 0;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 "GET /health HTTP/1.0\r\n\r\n", 24, NULL, NULL, &error));
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)), reply,
                           sizeof reply - 1, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.0 "));
  return atoi (reply + 9);
}

static char *
control (const char *path, const char *command)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GSocketConnection) connection = NULL;
  char  reply[256] = { 0 };
  gsize n = 0;

  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), command,
                             strlen (command), NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)), reply,
                           sizeof reply - 1, &n, NULL, NULL);
  return g_strdup (reply);
}

static void
test_outage_on_command (Fixture *fixture, gconstpointer data)
{
  g_autofree char *feed = feed_arg (fixture);
  g_autofree char *ready = wk_test_scratch_path ("sim.ready");
  g_autofree char *socket_path = wk_test_scratch_path ("sim.control");
  g_autofree char *text = NULL;
  g_autofree char *reply = NULL;
  guint16          port = 0;
  guint            frames;

  spawn_sim (fixture, "--feed", feed, "--rate", "200", "--keep-running", "--ready-file", ready,
             "--control-socket", socket_path, NULL);
  while (!g_file_get_contents (ready, &text, NULL, NULL))
    run_for (20);
  g_assert_true (g_str_has_prefix (text, "health-port="));
  port = atoi (text + strlen ("health-port="));
  g_assert_cmpint (health (port), ==, 200);
  while (fixture->frames < 20)
    run_for (20);

  /* Down on the control socket: health fails and the feed stops. */
  reply = control (socket_path, "down\n");
  g_assert_true (g_str_has_prefix (reply, "down sent="));
  g_assert_cmpint (health (port), ==, 503);
  run_for (200);
  frames = fixture->frames;
  run_for (500);
  g_assert_cmpuint (fixture->frames, ==, frames);

  /* Up on SIGUSR2: health answers and the feed goes on. */
  g_subprocess_send_signal (fixture->process, SIGUSR2);
  while (fixture->frames < frames + 20)
    run_for (20);
  g_assert_cmpint (health (port), ==, 200);

  /* Down on SIGUSR1. */
  g_subprocess_send_signal (fixture->process, SIGUSR1);
  while (health (port) != 503)
    run_for (20);

  g_clear_pointer (&reply, g_free);
  reply = control (socket_path, "status\n");
  g_assert_true (g_str_has_prefix (reply, "down sent="));
  g_clear_pointer (&reply, g_free);
  reply = control (socket_path, "reboot\n");
  g_assert_true (g_str_has_prefix (reply, "error: unknown command \"reboot\""));
  g_clear_pointer (&reply, g_free);
  reply = control (socket_path, "quit\n");
  wait_exit (fixture);
  g_assert_cmpint (fixture->status, ==, 0);
  g_assert_nonnull (strstr (fixture->out, "CENTRAL SYSTEMS DOWN (control socket)"));
  g_assert_nonnull (strstr (fixture->out, "CENTRAL SYSTEMS UP (SIGUSR2)"));
  g_assert_nonnull (strstr (fixture->out, "CENTRAL SYSTEMS DOWN (SIGUSR1)"));
}

static void
test_tls (Fixture *fixture, gconstpointer data)
{
  g_autoptr (WkTestTls) tls = wk_test_tls_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *feed = NULL;

  g_assert_true (wk_mllp_listener_set_tls (fixture->listener, tls->server_cert, tls->server_key,
                                           tls->ca, &error));
  g_assert_no_error (error);
  feed = feed_arg (fixture);
  spawn_sim (fixture, "--feed", feed, "--messages", "50", "--tls-ca", tls->ca, "--tls-cert",
             tls->client_cert, "--tls-key", tls->client_key, NULL);
  wait_exit (fixture);
  g_assert_cmpint (fixture->status, ==, 0);
  g_assert_nonnull (strstr (fixture->out, "(TLS)"));
  g_assert_cmpuint (acknowledged (fixture->out), ==, fixture->frames);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
#define ADD(path, func)                                                                            \
  g_test_add ("/sim-program/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("feed-and-acks", test_feed_and_acks);
  ADD ("refused-ack-fails", test_refused_ack_fails);
  ADD ("kiosk-unreachable", test_kiosk_unreachable);
  ADD ("kiosk-restart", test_kiosk_restart);
  ADD ("usage", test_usage);
  ADD ("outage-on-command", test_outage_on_command);
  ADD ("tls", test_tls);
#undef ADD
  status = g_test_run ();
  wk_test_settle_threads ();
  return status;
}
