/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-mllp.c — the MLLP listener over real loopback sockets: framing, bad input, TLS,
 * allow-list, timeouts and configuration. The handler here answers "ACK:" + message;
 * the HL7 side is tested end to end in test-feed-e2e.c. */

#include "wk-config.h"
#include "wk-hl7.h"
#include "wk-mllp-client.h"
#include "wk-mllp-listener.h"
#include "wk-snapshot-error.h"
#include "wk-test-mllp.h"
#include "wk-test-util.h"

#include <string.h>

#define MSH "MSH|^~\\&|EPR|HOSP|WARDKEEP|7A|20260301120000||ADT^A01|CTRL1|P|2.4\r"

typedef struct
{
  WkMllpListener *listener;
  GPtrArray      *messages; /* what the handler saw, as strings */
  guint16         port;
} Fixture;

static GBytes *
echo_handler (const guint8 *message, gsize size, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->messages, g_strndup ((const char *)message, size));
  return g_bytes_new_take (g_strdup_printf ("ACK:%.*s", (int)size, message), size + 4);
}

static GBytes *
refuse_head (const guint8 *head, gsize size, const char *reason, gpointer user_data)
{
  if (size < 4 || memcmp (head, "MSH", 3) != 0)
    return NULL;
  return g_bytes_new_take (g_strdup_printf ("AR:%s", reason), strlen (reason) + 3);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->messages = g_ptr_array_new_with_free_func (g_free);
  fixture->listener = wk_mllp_listener_new (echo_handler, fixture, NULL);
  wk_mllp_listener_set_refuse_func (fixture->listener, refuse_head, NULL);
}

static void
fixture_start (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (wk_mllp_listener_start (fixture->listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fixture->port = wk_mllp_listener_get_port (fixture->listener);
  g_assert_cmpuint (fixture->port, >, 0);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->listener, wk_mllp_listener_free);
  g_ptr_array_unref (fixture->messages);
}

static WkMllpStats
stats_of (Fixture *fixture)
{
  WkMllpStats stats;

  wk_mllp_listener_get_stats (fixture->listener, &stats);
  return stats;
}

/* Runs the main context until the listener has no connection open. */
static void
wait_all_closed (Fixture *fixture)
{
  while (stats_of (fixture).connections_open > 0)
    g_main_context_iteration (NULL, TRUE);
}

/* Client threads: each gets the port and writes what it saw into the job. */
typedef struct
{
  guint16                port;
  const WkMllpClientTls *tls;
  GPtrArray             *chunks; /* raw writes, each a GBytes; sent in order */
  gboolean               one_byte_at_a_time;
  guint                  expect_frames;
  GPtrArray             *frames;      /* what came back, as strings */
  gboolean               close_first; /* close our side instead of waiting for the kiosk */
  gboolean               closed_by_kiosk;
  GError                *error;
} Job;

static Job *
job_new (Fixture *fixture)
{
  Job *job = g_new0 (Job, 1);

  job->port = fixture->port;
  job->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  job->frames = g_ptr_array_new_with_free_func (g_free);
  return job;
}

static void
job_free (Job *job)
{
  g_ptr_array_unref (job->chunks);
  g_ptr_array_unref (job->frames);
  g_clear_error (&job->error);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

static void
job_add (Job *job, const char *data, gssize size)
{
  g_ptr_array_add (job->chunks, g_bytes_new (data, size < 0 ? strlen (data) : (gsize)size));
}

static void
job_add_frame (Job *job, const char *message)
{
  g_autofree char *frame = g_strdup_printf ("\x0b%s\x1c\x0d", message);

  job_add (job, frame, -1);
}

static gpointer
job_run (gpointer data)
{
  Job *job = data;
  g_autoptr (WkMllpClient) client
      = wk_mllp_client_connect ("127.0.0.1", job->port, job->tls, 20, &job->error);

  if (client == NULL)
    return NULL;
  for (guint i = 0; i < job->chunks->len; i++)
    {
      gsize         size = 0;
      const guint8 *bytes = g_bytes_get_data (job->chunks->pdata[i], &size);

      if (job->one_byte_at_a_time)
        {
          for (gsize j = 0; j < size; j++)
            if (!wk_mllp_client_write_raw (client, bytes + j, 1, &job->error))
              return NULL;
        }
      else if (!wk_mllp_client_write_raw (client, bytes, size, &job->error))
        return NULL;
    }
  for (guint i = 0; i < job->expect_frames; i++)
    {
      g_autoptr (GBytes) frame = wk_mllp_client_read_frame (client, &job->error);
      gsize       size = 0;
      const char *text;

      if (frame == NULL)
        return NULL;
      text = g_bytes_get_data (frame, &size);
      g_ptr_array_add (job->frames, g_strndup (text, size));
    }
  if (!job->close_first)
    job->closed_by_kiosk = wk_mllp_client_wait_closed (client, NULL);
  return NULL;
}

/* Runs a job that ends by closing its side: after its frames it shuts down writing. */
static void
run_job (Job *job)
{
  wk_test_run_in_thread (job_run, job);
}

static void
test_ack_per_frame_in_order (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;
  g_autofree char *all = NULL;

  fixture_start (fixture);
  job = job_new (fixture);
  /* Three messages in one write: each is handled and acknowledged, in order. */
  all = g_strdup ("\x0b" MSH "PID|1\r\x1c\x0d\x0b" MSH "PID|2\r\x1c\x0d\x0b" MSH "PID|3\r\x1c\x0d");
  job_add (job, all, -1);
  job->expect_frames = 3;
  wk_mllp_listener_set_idle_timeout (fixture->listener, 300);
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpuint (job->frames->len, ==, 3);
  g_assert_cmpstr (job->frames->pdata[0], ==, "ACK:" MSH "PID|1\r");
  g_assert_cmpstr (job->frames->pdata[1], ==, "ACK:" MSH "PID|2\r");
  g_assert_cmpstr (job->frames->pdata[2], ==, "ACK:" MSH "PID|3\r");
  g_assert_cmpuint (fixture->messages->len, ==, 3);
  g_assert_cmpstr (fixture->messages->pdata[0], ==, MSH "PID|1\r");
  /* The idle connection was then closed by the kiosk. */
  g_assert_true (job->closed_by_kiosk);
  wait_all_closed (fixture);
  g_assert_cmpuint (stats_of (fixture).frames, ==, 3);
  g_assert_cmpuint (stats_of (fixture).frames_refused, ==, 0);
  g_assert_cmpuint (stats_of (fixture).idle_closed, ==, 1);
  g_assert_cmpuint (stats_of (fixture).buffered_bytes, ==, 0);
}

static void
test_partial_reads (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;

  fixture_start (fixture);
  job = job_new (fixture);
  job->close_first = TRUE;
  job_add_frame (job, MSH "PID|1|slow\r");
  job_add_frame (job, MSH "PID|2|slow\r");
  job->one_byte_at_a_time = TRUE;
  job->expect_frames = 2;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpstr (job->frames->pdata[0], ==, "ACK:" MSH "PID|1|slow\r");
  g_assert_cmpstr (job->frames->pdata[1], ==, "ACK:" MSH "PID|2|slow\r");
  g_assert_cmpuint (fixture->messages->len, ==, 2);
}

static void
test_garbage_between_frames (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;
  g_autofree char *last_error = NULL;

  fixture_start (fixture);
  job = job_new (fixture);
  job_add (job, "GET / HTTP/1.0\r\n\r\n", -1);
  job_add_frame (job, MSH "PID|1\r");
  job_add (job, "\r\n", -1); /* line ends between frames are usual and harmless */
  job_add (job, "\x1c\x0dnoise", -1);
  job_add_frame (job, MSH "PID|2\r");
  job->expect_frames = 2;
  job->close_first = TRUE;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpuint (job->frames->len, ==, 2);
  g_assert_cmpstr (job->frames->pdata[1], ==, "ACK:" MSH "PID|2\r");
  wait_all_closed (fixture);
  /* The handler saw the two messages and nothing of the noise. */
  g_assert_cmpuint (fixture->messages->len, ==, 2);
  g_assert_cmpstr (fixture->messages->pdata[0], ==, MSH "PID|1\r");
  /* "GET / HTTP/1.0", then 0x1C and "noise"; the line ends are not counted. */
  g_assert_cmpuint (stats_of (fixture).garbage_bytes, ==, strlen ("GET / HTTP/1.0") + 6);
  last_error = wk_mllp_listener_dup_last_error (fixture->listener, NULL);
  g_assert_nonnull (strstr (last_error, "outside any MLLP frame"));
}

static void
test_unterminated_and_bad_end (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;

  fixture_start (fixture);
  wk_mllp_listener_set_idle_timeout (fixture->listener, 300);
  job = job_new (fixture);
  /* A frame cut off by the next start byte, then one whose 0x1C is not followed by
   * 0x0D: neither reaches the handler, and the good frames around them are served. */
  job_add (job, "\x0b" MSH "PID|cut", -1);
  job_add_frame (job, MSH "PID|1\r");
  job_add (job, "\x0b" MSH "PID|bad-end\x1cX", -1);
  job_add_frame (job, MSH "PID|2\r");
  job_add (job, "\x0b" MSH "PID|never-ends", -1);
  job->expect_frames = 2;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpuint (job->frames->len, ==, 2);
  g_assert_cmpstr (job->frames->pdata[0], ==, "ACK:" MSH "PID|1\r");
  g_assert_cmpstr (job->frames->pdata[1], ==, "ACK:" MSH "PID|2\r");
  g_assert_cmpuint (fixture->messages->len, ==, 2);
  wait_all_closed (fixture);
  /* The cut one, the bad end, and the one the frame timeout ended. */
  g_assert_cmpuint (stats_of (fixture).frames_refused, ==, 3);
  g_assert_cmpuint (stats_of (fixture).buffered_bytes, ==, 0);
}

static void
test_oversized_refused (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;
  g_autoptr (GString) big = g_string_new ("\x0b" MSH "PID|1|");
  g_autofree char *expected = NULL;

  fixture_start (fixture);
  wk_mllp_listener_set_max_frame_size (fixture->listener, 4096);
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (big, 'A' + i % 26);
  g_string_append (big, "\r\x1c\x0d");
  job = job_new (fixture);
  job_add (job, big->str, big->len);
  job_add_frame (job, MSH "PID|after\r");
  job->expect_frames = 2;
  job->close_first = TRUE;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpuint (job->frames->len, ==, 2);
  expected = g_strdup_printf ("AR:the message is %zu bytes long; the largest this kiosk takes "
                              "is 4096 bytes ([hl7] max-message-size)",
                              big->len - 3);
  g_assert_cmpstr (job->frames->pdata[0], ==, expected);
  /* The connection goes on: the next message is served. */
  g_assert_cmpstr (job->frames->pdata[1], ==, "ACK:" MSH "PID|after\r");
  g_assert_cmpuint (fixture->messages->len, ==, 1);
  g_assert_cmpuint (stats_of (fixture).frames_refused, ==, 1);
  /* Never more than the limit (plus a read's worth of acknowledgements) held. */
  g_assert_cmpuint (stats_of (fixture).buffered_peak, <=, 4096 + 256);
}

/* The refusal the daemon uses: an HL7 AR built from the MSH segment alone. */
static void
test_oversized_refused_with_ar (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;
  g_autoptr (GString) big = g_string_new ("\x0b" MSH "PID|1|");
  g_autoptr (WkHl7Message) ack = NULL;
  g_autoptr (GError) error = NULL;
  int msa, err;

  wk_mllp_listener_set_refuse_func (fixture->listener, wk_mllp_refuse_with_ar, (gpointer) "7A");
  wk_mllp_listener_set_max_frame_size (fixture->listener, 2048);
  fixture_start (fixture);
  while (big->len < 10000)
    g_string_append (big, "NTE|1||padding\r");
  g_string_append (big, "\x1c\x0d");
  job = job_new (fixture);
  job_add (job, big->str, big->len);
  job->expect_frames = 1;
  job->close_first = TRUE;
  run_job (job);
  g_assert_no_error (job->error);
  ack = wk_hl7_message_parse ((const guint8 *)job->frames->pdata[0], strlen (job->frames->pdata[0]),
                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wk_hl7_message_get_type (ack), ==, "ACK");
  g_assert_cmpstr (wk_hl7_message_get_event (ack), ==, "A01");
  g_assert_cmpstr (wk_hl7_message_get_text (ack, 0, 5, 1, 1, 0, NULL), ==, "EPR");
  msa = wk_hl7_message_find_segment (ack, "MSA", 0);
  g_assert_cmpstr (wk_hl7_message_get_text (ack, msa, 1, 1, 1, 0, NULL), ==, "AR");
  g_assert_cmpstr (wk_hl7_message_get_text (ack, msa, 2, 1, 1, 0, NULL), ==, "CTRL1");
  err = wk_hl7_message_find_segment (ack, "ERR", 0);
  g_assert_cmpint (err, >, 0);
  g_assert_cmpstr (wk_hl7_message_get_text (ack, err, 4, 1, 1, 0, NULL), ==, "E");
  g_assert_nonnull (strstr (wk_hl7_message_get_text (ack, err, 8, 1, 1, 0, NULL),
                            "the largest this kiosk takes is 2048 bytes"));
  g_assert_cmpuint (fixture->messages->len, ==, 0);

  /* Without a readable MSH there is nothing to refuse: no ACK. */
  g_assert_null (wk_mllp_refuse_with_ar ((const guint8 *)"PID|1\r", 6, "too big", NULL));
}

static void
test_oversized_without_msh_closes (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;
  g_autofree char *junk = g_malloc (20000);

  fixture_start (fixture);
  wk_mllp_listener_set_max_frame_size (fixture->listener, 4096);
  memset (junk, 'x', 20000);
  job = job_new (fixture);
  job_add (job, "\x0b", 1);
  job_add (job, junk, 20000);
  job_add (job, "\x1c\x0d", 2);
  job_add_frame (job, MSH "PID|never-read\r");
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_true (job->closed_by_kiosk);
  g_assert_cmpuint (fixture->messages->len, ==, 0);
  wait_all_closed (fixture);
  g_assert_cmpuint (stats_of (fixture).frames_refused, ==, 1);
}

static void
test_eof_mid_frame (Fixture *fixture, gconstpointer data)
{
  g_autoptr (Job) job = NULL;

  fixture_start (fixture);
  job = job_new (fixture);
  job_add_frame (job, MSH "PID|1\r");
  job_add (job, "\x0b" MSH "PID|half", -1);
  job->expect_frames = 1;
  job->close_first = TRUE;
  run_job (job);
  g_assert_cmpuint (job->frames->len, ==, 1);
  wait_all_closed (fixture);
  /* The client closed with half a frame sent: dropped, never handled. */
  g_assert_cmpuint (fixture->messages->len, ==, 1);
  g_assert_cmpuint (stats_of (fixture).frames_refused, ==, 1);
  g_assert_cmpuint (stats_of (fixture).buffered_bytes, ==, 0);
}

static void
test_allow_list (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Job) job = NULL;
  g_autofree char *last_error = NULL;

  /* A bad entry is refused, naming it, and leaves the list as it was. */
  g_assert_false (
      wk_mllp_listener_set_allowed_peers (fixture->listener, "10.0.0.1, nonsense", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "\"nonsense\" is not an IP address"));
  g_clear_error (&error);
  g_assert_false (wk_mllp_listener_set_allowed_peers (fixture->listener, " , ", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_clear_error (&error);

  g_assert_true (
      wk_mllp_listener_set_allowed_peers (fixture->listener, "10.1.2.0/24; 192.0.2.7", &error));
  fixture_start (fixture);
  job = job_new (fixture);
  job_add_frame (job, MSH "PID|1\r");
  job->expect_frames = 1;
  run_job (job);
  /* Disconnected unanswered; the message never reached the handler. */
  g_assert_cmpuint (job->frames->len, ==, 0);
  g_assert_error (job->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_cmpuint (fixture->messages->len, ==, 0);
  g_assert_cmpuint (stats_of (fixture).connections_refused, ==, 1);
  last_error = wk_mllp_listener_dup_last_error (fixture->listener, NULL);
  g_assert_nonnull (strstr (last_error, "connection from 127.0.0.1:"));
  g_assert_nonnull (strstr (last_error, "not in the allow-list"));

  /* The loopback network let in. */
  g_clear_pointer (&job, job_free);
  g_assert_true (
      wk_mllp_listener_set_allowed_peers (fixture->listener, "10.1.2.0/24, 127.0.0.0/8", &error));
  job = job_new (fixture);
  job_add_frame (job, MSH "PID|1\r");
  job->expect_frames = 1;
  job->close_first = TRUE;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpuint (job->frames->len, ==, 1);
}

static void
test_max_connections (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkMllpClient) first = NULL;
  g_autoptr (Job) job = NULL;

  wk_mllp_listener_set_max_connections (fixture->listener, 1);
  fixture_start (fixture);
  first = wk_mllp_client_connect ("127.0.0.1", fixture->port, NULL, 10, &error);
  g_assert_no_error (error);
  while (stats_of (fixture).connections_open < 1)
    g_main_context_iteration (NULL, TRUE);
  job = job_new (fixture);
  job_add_frame (job, MSH "PID|1\r");
  job->expect_frames = 1;
  run_job (job);
  g_assert_error (job->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_cmpuint (fixture->messages->len, ==, 0);
  g_assert_cmpuint (stats_of (fixture).connections_refused, ==, 1);
}

/* TLS: a client that trusts the test CA is served; a plain one is not; with client
 * certificates required, only a client with a certificate from the configured CA is. */
static void
test_tls (Fixture *fixture, gconstpointer data)
{
  g_autoptr (WkTestTls) tls = wk_test_tls_new ();
  g_autoptr (GError) error = NULL;
  WkMllpClientTls client_tls = { .ca_file = tls->ca };
  g_autoptr (Job) job = NULL;
  g_autoptr (Job) plain = NULL;

  g_assert_true (wk_mllp_listener_set_tls (fixture->listener, tls->server_cert, tls->server_key,
                                           NULL, &error));
  g_assert_no_error (error);
  g_assert_true (wk_mllp_listener_is_tls (fixture->listener));
  fixture_start (fixture);

  job = job_new (fixture);
  job->tls = &client_tls;
  job->close_first = TRUE;
  job_add_frame (job, MSH "PID|1|tls\r");
  job_add_frame (job, MSH "PID|2|tls\r");
  job->one_byte_at_a_time = TRUE;
  job->expect_frames = 2;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpstr (job->frames->pdata[0], ==, "ACK:" MSH "PID|1|tls\r");
  g_assert_cmpstr (job->frames->pdata[1], ==, "ACK:" MSH "PID|2|tls\r");

  plain = job_new (fixture);
  job_add_frame (plain, MSH "PID|plain\r");
  plain->expect_frames = 1;
  run_job (plain);
  g_assert_nonnull (plain->error);
  g_assert_cmpuint (plain->frames->len, ==, 0);
  g_assert_cmpuint (fixture->messages->len, ==, 2);
  wait_all_closed (fixture);
  g_assert_cmpuint (stats_of (fixture).connections_refused, ==, 1);
}

static void
test_tls_client_certificate (Fixture *fixture, gconstpointer data)
{
  g_autoptr (WkTestTls) tls = wk_test_tls_new ();
  g_autoptr (GError) error = NULL;
  WkMllpClientTls with_cert
      = { .ca_file = tls->ca, .certificate_file = tls->client_cert, .key_file = tls->client_key };
  WkMllpClientTls without_cert = { .ca_file = tls->ca };
  WkMllpClientTls rogue
      = { .ca_file = tls->ca, .certificate_file = tls->rogue_cert, .key_file = tls->rogue_key };
  const WkMllpClientTls *refused[] = { &without_cert, &rogue };
  g_autoptr (Job) job = NULL;

  g_assert_true (wk_mllp_listener_set_tls (fixture->listener, tls->server_cert, tls->server_key,
                                           tls->ca, &error));
  g_assert_no_error (error);
  fixture_start (fixture);

  job = job_new (fixture);
  job->tls = &with_cert;
  job->close_first = TRUE;
  job_add_frame (job, MSH "PID|1|mutual\r");
  job->expect_frames = 1;
  run_job (job);
  g_assert_no_error (job->error);
  g_assert_cmpstr (job->frames->pdata[0], ==, "ACK:" MSH "PID|1|mutual\r");

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (Job) bad = job_new (fixture);

      bad->tls = refused[i];
      job_add_frame (bad, MSH "PID|intruder\r");
      bad->expect_frames = 1;
      run_job (bad);
      g_assert_nonnull (bad->error);
      g_assert_cmpuint (bad->frames->len, ==, 0);
    }
  wait_all_closed (fixture);
  g_assert_cmpuint (fixture->messages->len, ==, 1);
  g_assert_cmpuint (stats_of (fixture).connections_refused, ==, 2);
  {
    g_autofree char *last_error = wk_mllp_listener_dup_last_error (fixture->listener, NULL);

    g_assert_nonnull (strstr (last_error, "TLS handshake failed"));
  }
}

static void
test_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = NULL;
  g_autoptr (WkMllpListener) listener = NULL;
  WkMllpStats stats;

  /* Defaults: port 2575, loopback peers only. */
  config = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "test.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpint (wk_config_get_int (config, "feed", "port"), ==, WK_MLLP_DEFAULT_PORT);
  g_assert_cmpstr (wk_config_get_string (config, "feed", "allow"), ==, "127.0.0.1, ::1");
  g_clear_pointer (&config, wk_config_free);

  /* A bad allow-list and a bad address are refused when the file is loaded. */
  config = wk_config_load_from_data (
      "[ward]\nid = 7A\n[feed]\naddress = ward7a\nallow = 10.0.0.0/33\n", -1, "test.conf", &error);
  g_assert_null (config);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (
      strstr (error->message, "test.conf line 4: [feed] address: expected `*` or an IP"));
  g_assert_nonnull (
      strstr (error->message, "test.conf line 5: [feed] allow: \"10.0.0.0/33\" is not"));
  g_clear_error (&error);

  /* A certificate without its key is refused when the listener is made. */
  config = wk_config_load_from_data (
      "[ward]\nid = 7A\n[feed]\ntls-certificate = /nonexistent.pem\n", -1, "test.conf", &error);
  g_assert_no_error (error);
  listener = wk_mllp_listener_new_from_config (config, echo_handler, NULL, NULL, &error);
  g_assert_null (listener);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "tls-key is missing"));
  g_clear_error (&error);
  g_clear_pointer (&config, wk_config_free);

  /* Unreadable TLS files are named. */
  config = wk_config_load_from_data (
      "[ward]\nid = 7A\n[feed]\ntls-certificate = /nonexistent.pem\ntls-key = /nonexistent.key\n",
      -1, "test.conf", &error);
  g_assert_no_error (error);
  listener = wk_mllp_listener_new_from_config (config, echo_handler, NULL, NULL, &error);
  g_assert_null (listener);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "/nonexistent.pem"));
  g_clear_error (&error);
  g_clear_pointer (&config, wk_config_free);

  /* Port 0 picks a free port. */
  config = wk_config_load_from_data ("[ward]\nid = 7A\n[feed]\naddress = 127.0.0.1\nport = 0\n"
                                     "idle-timeout = 2s\n[hl7]\nmax-message-size = 2048\n",
                                     -1, "test.conf", &error);
  g_assert_no_error (error);
  listener = wk_mllp_listener_new_from_config (config, echo_handler, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wk_mllp_listener_start (listener, wk_config_get_string (config, "feed", "address"),
                                         wk_config_get_int (config, "feed", "port"), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (wk_mllp_listener_get_port (listener), >, 0);
  g_assert_false (wk_mllp_listener_is_tls (listener));
  wk_mllp_listener_get_stats (listener, &stats);
  g_assert_cmpuint (stats.connections_total, ==, 0);
}

static void
test_port_in_use (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkMllpListener) second = wk_mllp_listener_new (echo_handler, fixture, NULL);

  fixture_start (fixture);
  g_assert_false (wk_mllp_listener_start (second, "127.0.0.1", fixture->port, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "Is another program using the port?"));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/mllp/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("ack-per-frame-in-order", test_ack_per_frame_in_order);
  ADD ("partial-reads", test_partial_reads);
  ADD ("garbage-between-frames", test_garbage_between_frames);
  ADD ("unterminated-and-bad-end", test_unterminated_and_bad_end);
  ADD ("oversized-refused", test_oversized_refused);
  ADD ("oversized-refused-with-ar", test_oversized_refused_with_ar);
  ADD ("oversized-without-msh-closes", test_oversized_without_msh_closes);
  ADD ("eof-mid-frame", test_eof_mid_frame);
  ADD ("allow-list", test_allow_list);
  ADD ("max-connections", test_max_connections);
  ADD ("tls", test_tls);
  ADD ("tls-client-certificate", test_tls_client_certificate);
  ADD ("port-in-use", test_port_in_use);
#undef ADD
  g_test_add_func ("/mllp/config", test_config);
  status = g_test_run ();
  wk_test_settle_threads ();
  return status;
}
