/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-mllp.c — what the MLLP tests share: throw-away TLS material, client threads. */

#include "wk-test-mllp.h"

#include "wk-hl7.h"
#include "wk-test-util.h"

static void
run (const char *dir, const char *command)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = 0;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  if (!g_spawn_sync (dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error))
    g_error ("cannot run %s: %s (install the openssl package)", argv[0], error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", command, error->message, err);
}

static void
make_ca (const char *dir, const char *name)
{
  g_autofree char *command
      = g_strdup_printf ("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-keyout %s.key -out %s.pem -days 2 -subj /CN=wardkeep-test-%s",
                         name, name, name);

  run (dir, command);
}

static void
make_cert (const char *dir, const char *ca, const char *name, const char *extensions)
{
  g_autofree char *ext = g_strdup_printf ("%s/%s.ext", dir, name);
  g_autofree char *request = NULL;
  g_autofree char *sign = NULL;

  g_assert_true (g_file_set_contents (ext, extensions, -1, NULL));
  request = g_strdup_printf ("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                             "-keyout %s.key -out %s.csr -subj /CN=%s",
                             name, name, name);
  run (dir, request);
  sign = g_strdup_printf ("openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -set_serial %u "
                          "-out %s.pem -days 2 -extfile %s.ext",
                          name, ca, ca, g_random_int_range (2, 1000000), name, name);
  run (dir, sign);
}

/**
 * wk_test_tls_new:
 *
 * Makes a CA, a kiosk certificate for localhost and 127.0.0.1, a client certificate
 * from the CA and one from another CA, in the test's scratch folder.
 *
 * Returns: (transfer full): the paths
 */
WkTestTls *
wk_test_tls_new (void)
{
  g_autofree char *dir = wk_test_scratch_path ("tls");
  WkTestTls       *tls = g_new0 (WkTestTls, 1);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  make_ca (dir, "ca");
  make_ca (dir, "rogue-ca");
  make_cert (dir, "ca", "server",
             "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  make_cert (dir, "ca", "client", "extendedKeyUsage=clientAuth\n");
  make_cert (dir, "rogue-ca", "rogue", "extendedKeyUsage=clientAuth\n");
  tls->ca = g_build_filename (dir, "ca.pem", NULL);
  tls->server_cert = g_build_filename (dir, "server.pem", NULL);
  tls->server_key = g_build_filename (dir, "server.key", NULL);
  tls->client_cert = g_build_filename (dir, "client.pem", NULL);
  tls->client_key = g_build_filename (dir, "client.key", NULL);
  tls->rogue_cert = g_build_filename (dir, "rogue.pem", NULL);
  tls->rogue_key = g_build_filename (dir, "rogue.key", NULL);
  return tls;
}

/**
 * wk_test_tls_free:
 * @tls: (nullable) (transfer full): the paths
 */
void
wk_test_tls_free (WkTestTls *tls)
{
  if (tls == NULL)
    return;
  g_free (tls->ca);
  g_free (tls->server_cert);
  g_free (tls->server_key);
  g_free (tls->client_cert);
  g_free (tls->client_key);
  g_free (tls->rogue_cert);
  g_free (tls->rogue_key);
  g_free (tls);
}

typedef struct
{
  GThreadFunc func;
  gpointer    data;
  gpointer    result;
  gint        done;
} ThreadRun;

static gpointer
thread_main (gpointer data)
{
  ThreadRun *run_data = data;

  run_data->result = run_data->func (run_data->data);
  g_atomic_int_set (&run_data->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/**
 * wk_test_run_in_thread:
 * @func: a client, written in blocking style
 * @data: its data
 *
 * Runs @func in a thread of its own while the main context (where the listener under
 * test serves) runs, and returns when @func does.
 *
 * Returns: what @func returned
 */
gpointer
wk_test_run_in_thread (GThreadFunc func, gpointer data)
{
  ThreadRun run_data = { func, data, NULL, 0 };
  GThread  *thread = g_thread_new ("test-client", thread_main, &run_data);

  while (!g_atomic_int_get (&run_data.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  return run_data.result;
}

/**
 * wk_test_ack:
 * @message: a message as received
 * @size: its length
 * @code: the acknowledgement code: "AA", "AE" or "AR"
 * @text: (nullable): the ERR text for AE and AR
 *
 * A stand-in for the kiosk's applier where a test needs only an acknowledgement.
 *
 * Returns: (transfer full): an ACK of @message, with MSA-2 its control id
 */
GBytes *
wk_test_ack (const guint8 *message, gsize size, const char *code, const char *text)
{
  g_autoptr (WkHl7Message) parsed = wk_hl7_message_parse (message, size, NULL, NULL);
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  const char *control_id = parsed != NULL ? wk_hl7_message_get_control_id (parsed) : NULL;

  wk_hl7_builder_msh (b, "ACK", "TESTACK", 0);
  wk_hl7_builder_segment (b, "MSA");
  wk_hl7_builder_field (b, 1, code);
  wk_hl7_builder_field (b, 2, control_id != NULL ? control_id : "");
  if (text != NULL)
    {
      wk_hl7_builder_segment (b, "ERR");
      wk_hl7_builder_field (b, 8, text);
    }
  return wk_hl7_builder_end (b);
}

/**
 * wk_test_settle_threads:
 *
 * Lets the worker threads GIO used (TLS handshakes run in GTask threads) finish exiting
 * before the test program does: LeakSanitizer's check at exit crashes when a thread is
 * exiting while it runs. Call at the end of main() of tests that used TLS.
 */
void
wk_test_settle_threads (void)
{
  /* A GTask worker goes idle in its pool, then after half a second joins GLib's unused
   * threads, which this ends. */
  for (int i = 0; i < 15; i++)
    {
      g_thread_pool_stop_unused_threads ();
      g_usleep (100000);
    }
}
