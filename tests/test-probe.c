/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-probe.c — health probes against real servers on loopback: HTTP, HTTPS and TCP, each
 * way a central system can fail to answer, and the status-line reader. */

#include "wk-probe-private.h"
#include "wk-probe.h"
#include "wk-snapshot-error.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"

#include <string.h>

typedef struct
{
  WkProbeResult *result;
  GError        *error;
  gboolean       done;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->result, wk_probe_result_free);
  g_clear_error (&outcome->error);
  outcome->done = FALSE;
}

static void
run_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Outcome *outcome = data;

  outcome->result = wk_probe_run_finish (NULL, res, &outcome->error);
  outcome->done = TRUE;
}

static gboolean
outcome_done (gpointer data)
{
  return ((Outcome *)data)->done;
}

/* Runs @probe once on a test clock (which never times it out unless the test says so). */
static WkProbeResult *
run_once (WkProbe *probe)
{
  g_autoptr (WkClock) clock = wk_clock_new_test (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC);
  Outcome outcome = { 0 };

  wk_probe_run_async (probe, clock, NULL, run_cb, &outcome);
  wk_test_wait_for (outcome_done, &outcome, "the probe's result");
  g_assert_no_error (outcome.error);
  g_assert_nonnull (outcome.result);
  g_assert_cmpint (outcome.result->finished_us, >=, outcome.result->started_us);
  return outcome.result;
}

static void
assert_reason (const WkProbeResult *result, gboolean ok, const char *fragment)
{
  g_assert_cmpint (result->ok, ==, ok);
  if (strstr (result->reason, fragment) == NULL)
    g_error ("expected \"%s\" in the probe's reason: %s", fragment, result->reason);
}

static void
test_http_statuses (void)
{
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/health?ward=7A");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkProbe) probe = wk_probe_new_http ("epr", url, 200, &error);
  g_autoptr (WkProbe) expects_204 = wk_probe_new_http ("pas", url, 204, &error);
  g_autoptr (WkProbeResult) up = NULL;
  g_autoptr (WkProbeResult) down = NULL;
  g_autoptr (WkProbeResult) other = NULL;
  g_autofree char *host = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (wk_probe_get_kind (probe), ==, WK_PROBE_HTTP);
  g_assert_cmpstr (wk_probe_get_target (probe), ==, url);

  up = run_once (probe);
  assert_reason (up, TRUE, "HTTP 200 in ");
  g_assert_cmpuint (up->http_status, ==, 200);
  /* A well-formed GET of the path and query, naming the host and port. */
  host = g_strdup_printf ("Host: 127.0.0.1:%u\r\n", wk_test_responder_get_port (responder));
  g_assert_true (g_str_has_prefix (wk_test_responder_get_last_request (responder),
                                   "GET /health?ward=7A HTTP/1.1\r\n"));
  g_assert_nonnull (strstr (wk_test_responder_get_last_request (responder), host));

  wk_test_responder_set_status (responder, 503);
  down = run_once (probe);
  assert_reason (down, FALSE, "HTTP 503 (expected 200)");
  g_assert_cmpuint (down->http_status, ==, 503);

  /* The expected status is the probe's: 204 is up for it, 200 is not. */
  wk_test_responder_set_status (responder, 204);
  other = run_once (expects_204);
  assert_reason (other, TRUE, "HTTP 204");
  g_assert_cmpuint (wk_test_responder_get_n_requests (responder), ==, 3);
}

static void
test_http_closed_and_garbage (void)
{
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/");
  g_autoptr (WkProbe) probe = wk_probe_new_http ("epr", url, 200, NULL);
  g_autoptr (WkProbeResult) closed = NULL;
  g_autoptr (WkProbeResult) garbage = NULL;

  wk_test_responder_set_mode (responder, WK_TEST_RESPONDER_CLOSE);
  closed = run_once (probe);
  assert_reason (closed, FALSE, "connection closed before a response");

  wk_test_responder_set_mode (responder, WK_TEST_RESPONDER_GARBAGE);
  garbage = run_once (probe);
  assert_reason (garbage, FALSE, "not an HTTP response");
}

static gboolean
has_request (gpointer data)
{
  return wk_test_responder_get_n_requests (data) > 0;
}

/* A server that takes the request and never answers: the probe's timeout, on its clock,
 * ends the run with a reason that says how long and what it was waiting for. */
static void
test_http_hanging_times_out (void)
{
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/");
  g_autoptr (WkProbe) probe = wk_probe_new_http ("epr", url, 200, NULL);
  g_autoptr (WkClock) clock = wk_clock_new_test (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC);
  Outcome outcome = { 0 };

  wk_test_responder_set_mode (responder, WK_TEST_RESPONDER_HANG);
  wk_probe_set_timing (probe, 15 * G_USEC_PER_SEC, 5 * G_USEC_PER_SEC);
  wk_probe_run_async (probe, clock, NULL, run_cb, &outcome);
  wk_test_wait_for (has_request, responder, "the request to reach the server");
  g_assert_false (outcome.done);

  /* Not before its time... */
  wk_clock_test_advance (clock, 4999 * 1000);
  g_main_context_iteration (NULL, FALSE);
  g_assert_false (outcome.done);
  /* ...and at it. */
  wk_clock_test_advance (clock, 1000);
  wk_test_wait_for (outcome_done, &outcome, "the timed-out result");
  g_assert_no_error (outcome.error);
  assert_reason (outcome.result, FALSE, "timed out after 5 s waiting for the response");
  g_assert_cmpint (outcome.result->finished_us - outcome.result->started_us, ==,
                   5 * G_USEC_PER_SEC);
  outcome_clear (&outcome);
}

static void
test_tcp (void)
{
  guint16 port;
  g_autoptr (GSocket) listening = wk_test_listening_socket (&port);
  g_autofree char *open_address = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *closed_address = g_strdup_printf ("127.0.0.1:%u", wk_test_closed_port ());
  g_autoptr (GError) error = NULL;
  g_autoptr (WkProbe) up = wk_probe_new_tcp ("mllp", open_address, &error);
  g_autoptr (WkProbe) down = wk_probe_new_tcp ("mllp", closed_address, &error);
  g_autoptr (WkProbeResult) connected = NULL;
  g_autoptr (WkProbeResult) refused = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (wk_probe_get_kind (up), ==, WK_PROBE_TCP);
  connected = run_once (up);
  assert_reason (connected, TRUE, "connected in ");
  g_assert_cmpuint (connected->http_status, ==, 0);
  refused = run_once (down);
  assert_reason (refused, FALSE, "connection refused");
  g_assert_false (g_socket_is_closed (listening));
}

static void
https_checks (void)
{
  g_autofree char *dir = wk_test_scratch_dir ();
  g_autofree char *ca_file = NULL;
  g_autoptr (GTlsCertificate) certificate = wk_test_certificate_new (dir, &ca_file);
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (certificate);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/health");
  g_autoptr (WkProbe) trusting = wk_probe_new_http ("epr", url, 200, NULL);
  g_autoptr (WkProbe) system_trust = wk_probe_new_http ("epr", url, 200, NULL);
  g_autoptr (WkProbeResult) up = NULL;
  g_autoptr (WkProbeResult) untrusted = NULL;
  g_autoptr (WkProbeResult) down = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *not_pem = g_build_filename (dir, "not.pem", NULL);

  g_assert_true (g_str_has_prefix (url, "https://"));
  g_assert_true (wk_probe_set_ca_file (trusting, ca_file, &error));
  g_assert_no_error (error);
  up = run_once (trusting);
  assert_reason (up, TRUE, "HTTP 200");
  g_assert_cmpuint (wk_test_responder_get_n_requests (responder), ==, 1);

  /* The system does not know a throw-away certificate: a failure that says why. */
  untrusted = run_once (system_trust);
  assert_reason (untrusted, FALSE, "TLS failed");
  assert_reason (untrusted, FALSE, "ca-file");
  g_assert_cmpuint (wk_test_responder_get_n_requests (responder), ==, 1);

  wk_test_responder_set_status (responder, 503);
  down = run_once (trusting);
  assert_reason (down, FALSE, "HTTP 503 (expected 200)");

  /* A CA file that holds no certificate is refused when it is set, not at run time. */
  g_assert_true (g_file_set_contents (not_pem, "not a certificate\n", -1, NULL));
  g_assert_false (wk_probe_set_ca_file (trusting, not_pem, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, not_pem));
}

static void
test_https (void)
{
  https_checks ();
  /* The TLS backend did its handshakes in GLib worker threads; let them go. */
  wk_test_stop_worker_threads ();
}

static void
test_cancel (void)
{
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/");
  g_autoptr (WkProbe) probe = wk_probe_new_http ("epr", url, 200, NULL);
  g_autoptr (WkClock) clock = wk_clock_new_test (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Outcome outcome = { 0 };

  wk_test_responder_set_mode (responder, WK_TEST_RESPONDER_HANG);
  wk_probe_run_async (probe, clock, cancellable, run_cb, &outcome);
  wk_test_wait_for (has_request, responder, "the request to reach the server");
  g_cancellable_cancel (cancellable);
  wk_test_wait_for (outcome_done, &outcome, "the cancelled run");
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (outcome.result);
  /* Its timeout went with it. */
  g_assert_cmpuint (wk_clock_test_get_n_pending (clock), ==, 0);
  outcome_clear (&outcome);
}

static void
test_refused_targets (void)
{
  static const struct
  {
    gboolean    http;
    const char *target;
    const char *fragment;
  } cases[] = {
    { TRUE, "ftp://epr.example.nhs.uk/", "http:// or https://" },
    { TRUE, "https:///health", "with a host" },
    { TRUE, "epr.example.nhs.uk/health", "http:// or https://" },
    { TRUE, "https://user:secret@epr.example.nhs.uk/", "user name or password" },
    { FALSE, "epr.example.nhs.uk", "host:port" },
    { FALSE, "epr.example.nhs.uk:99999", "host:port" },
    { FALSE, "", "host:port" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WkProbe) probe = cases[i].http
                                      ? wk_probe_new_http ("epr", cases[i].target, 200, &error)
                                      : wk_probe_new_tcp ("epr", cases[i].target, &error);

      g_assert_null (probe);
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
      if (strstr (error->message, cases[i].fragment) == NULL)
        g_error ("%s: expected \"%s\" in: %s", cases[i].target, cases[i].fragment, error->message);
    }
}

static void
test_status_line (void)
{
  static const struct
  {
    const char  *text;
    WkStatusLine expected;
    guint        status;
  } cases[] = {
    { "HTTP/1.1 200 OK\r\n", WK_STATUS_LINE_OK, 200 },
    { "HTTP/1.0 503 Service Unavailable\r\nServer: x\r\n", WK_STATUS_LINE_OK, 503 },
    { "HTTP/1.1 204\n", WK_STATUS_LINE_OK, 204 },
    { "HTTP/1.1 200 O", WK_STATUS_LINE_INCOMPLETE, 0 },
    { "HTT", WK_STATUS_LINE_INCOMPLETE, 0 },
    { "", WK_STATUS_LINE_INCOMPLETE, 0 },
    { "hello\r\n", WK_STATUS_LINE_MALFORMED, 0 },
    { "SSH-2.0-OpenSSH", WK_STATUS_LINE_MALFORMED, 0 },
    { "HTTP/1.1 20 OK\r\n", WK_STATUS_LINE_MALFORMED, 0 },
    { "HTTP/1.1 2000 OK\r\n", WK_STATUS_LINE_MALFORMED, 0 },
    { "HTTP/1.1 099 OK\r\n", WK_STATUS_LINE_MALFORMED, 0 },
    { "HTTP/1.1 200 O\x01K\r\n", WK_STATUS_LINE_MALFORMED, 0 },
    { "HTTP/11 200 OK\r\n", WK_STATUS_LINE_MALFORMED, 0 },
  };

  g_autofree char *long_line = g_strnfill (2000, 'H');

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status = 0;

      g_assert_cmpint (_wk_probe_parse_status_line (cases[i].text, strlen (cases[i].text), &status),
                       ==, cases[i].expected);
      g_assert_cmpuint (status, ==, cases[i].status);
    }
  /* A server that never ends its first line is not read without end. */
  memcpy (long_line, "HTTP/", 5);
  g_assert_cmpint (_wk_probe_parse_status_line (long_line, 2000, &(guint){ 0 }), ==,
                   WK_STATUS_LINE_MALFORMED);
}

static void
test_format_duration (void)
{
  static const struct
  {
    gint64      us;
    const char *text;
  } cases[] = {
    { 5 * G_USEC_PER_SEC, "5 s" },     { 1500 * 1000, "1.5 s" },        { 250 * 1000, "250 ms" },
    { 120 * G_USEC_PER_SEC, "2 min" }, { 90 * G_USEC_PER_SEC, "90 s" }, { 0, "0 ms" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = _wk_probe_format_duration (cases[i].us);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* Probes never use a proxy; make sure a proxy in the environment would be noticed. */
  g_setenv ("http_proxy", "http://127.0.0.1:1", TRUE);
  g_setenv ("https_proxy", "http://127.0.0.1:1", TRUE);

  g_test_add_func ("/probe/http/statuses", test_http_statuses);
  g_test_add_func ("/probe/http/closed-and-garbage", test_http_closed_and_garbage);
  g_test_add_func ("/probe/http/hanging-times-out", test_http_hanging_times_out);
  g_test_add_func ("/probe/tcp", test_tcp);
  g_test_add_func ("/probe/https", test_https);
  g_test_add_func ("/probe/cancel", test_cancel);
  g_test_add_func ("/probe/refused-targets", test_refused_targets);
  g_test_add_func ("/probe/status-line", test_status_line);
  g_test_add_func ("/probe/format-duration", test_format_duration);

  return g_test_run ();
}
