/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-probe.c — one health probe of a central system: a TCP connect or an HTTP(S) GET. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-probe.h"

#include "wk-probe-private.h"
#include "wk-snapshot-error.h"

#include <string.h>

/* How much of the response is read, at most, looking for the status line. */
#define STATUS_LINE_MAX 1024

struct _WkProbe
{
  gint                ref_count;
  char               *name;
  WkProbeKind         kind;
  char               *target; /* the URL or host:port, as configured */
  guint               expect_status;
  gint64              interval_us;
  gint64              timeout_us;
  GSocketConnectable *connectable;
  gboolean            tls;
  GTlsDatabase       *database; /* NULL: the system's */
  char               *request;  /* HTTP: the whole GET request */
};

/* ---- results ---- */

/**
 * wk_probe_result_new:
 * @ok: whether the system answered as expected
 * @reason: what happened, in words
 *
 * Returns: (transfer full): a result with no times set
 */
WkProbeResult *
wk_probe_result_new (gboolean ok, const char *reason)
{
  WkProbeResult *result = g_new0 (WkProbeResult, 1);

  g_return_val_if_fail (reason != NULL, NULL);

  result->ok = ok;
  result->reason = g_strdup (reason);
  return result;
}

/**
 * wk_probe_result_copy:
 * @result: a #WkProbeResult
 *
 * Returns: (transfer full): a copy of @result
 */
WkProbeResult *
wk_probe_result_copy (const WkProbeResult *result)
{
  WkProbeResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = g_memdup2 (result, sizeof *result);
  copy->reason = g_strdup (result->reason);
  return copy;
}

/**
 * wk_probe_result_free:
 * @result: (nullable) (transfer full): a #WkProbeResult
 */
void
wk_probe_result_free (WkProbeResult *result)
{
  if (result == NULL)
    return;
  g_free (result->reason);
  g_free (result);
}

/* ---- the status line ---- */

/**
 * _wk_probe_parse_status_line:
 * @data: the first bytes of an HTTP response (not nul-terminated)
 * @length: how many
 * @status: (out): the status, when the line is complete and well formed
 *
 * Reads "HTTP/d.d NNN[ reason]" followed by CRLF or LF.
 *
 * Returns: what the bytes hold so far
 */
WkStatusLine
_wk_probe_parse_status_line (const char *data, gsize length, guint *status)
{
  static const char prefix[] = "HTTP/";
  const char       *end = memchr (data, '\n', length);
  gsize             n = end != NULL ? (gsize)(end - data) : length;
  gsize             i;

  /* What has arrived must be able to start a status line, even before its end. */
  for (i = 0; i < n && i < strlen (prefix); i++)
    if (data[i] != prefix[i])
      return WK_STATUS_LINE_MALFORMED;
  if (end == NULL)
    return length >= STATUS_LINE_MAX ? WK_STATUS_LINE_MALFORMED : WK_STATUS_LINE_INCOMPLETE;
  if (n > 0 && data[n - 1] == '\r')
    n--;

  /* HTTP/d.d SP ddd (SP reason)? */
  if (n < 12 || !g_ascii_isdigit (data[5]) || data[6] != '.' || !g_ascii_isdigit (data[7])
      || data[8] != ' ' || !g_ascii_isdigit (data[9]) || !g_ascii_isdigit (data[10])
      || !g_ascii_isdigit (data[11]) || (n > 12 && data[12] != ' '))
    return WK_STATUS_LINE_MALFORMED;
  for (i = 12; i < n; i++)
    if (data[i] != '\t' && g_ascii_iscntrl (data[i]))
      return WK_STATUS_LINE_MALFORMED;
  if (data[9] == '0')
    return WK_STATUS_LINE_MALFORMED;
  *status = (guint)((data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0'));
  return WK_STATUS_LINE_OK;
}

/**
 * _wk_probe_format_duration:
 * @us: a duration in microseconds
 *
 * Returns: (transfer full): it in words: "5 s", "1.5 s", "250 ms", "2 min"
 */
char *
_wk_probe_format_duration (gint64 us)
{
  gint64 ms = (us + 500) / 1000;

  if (ms >= 60000 && ms % 60000 == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min", ms / 60000);
  if (ms >= 1000 && ms % 1000 == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", ms / 1000);
  if (ms >= 1000)
    return g_strdup_printf ("%.1f s", ms / 1000.0);
  return g_strdup_printf ("%" G_GINT64_FORMAT " ms", ms);
}

/* ---- construction ---- */

static WkProbe *
probe_new (const char *name, WkProbeKind kind, const char *target)
{
  WkProbe *probe = g_new0 (WkProbe, 1);

  probe->ref_count = 1;
  probe->name = g_strdup (name);
  probe->kind = kind;
  probe->target = g_strdup (target);
  probe->interval_us = WK_PROBE_DEFAULT_INTERVAL_US;
  probe->timeout_us = WK_PROBE_DEFAULT_TIMEOUT_US;
  return probe;
}

/**
 * wk_probe_new_tcp:
 * @name: what screens and logs call the probe
 * @address: "host:port" ("[::1]:2575" for an IPv6 address)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a probe that succeeds when a TCP connection is accepted, or
 *   %NULL with %WK_SNAPSHOT_ERROR_CONFIG when @address is not host:port
 */
WkProbe *
wk_probe_new_tcp (const char *name, const char *address, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GSocketConnectable) connectable = NULL;
  WkProbe *probe;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (address != NULL, NULL);

  connectable = g_network_address_parse (address, 0, &local_error);
  if (connectable == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (connectable)) == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "expected an address as host:port (such as epr.example.nhs.uk:443 or "
                   "[::1]:2575), got \"%s\"%s%s",
                   address, local_error != NULL ? ": " : "",
                   local_error != NULL ? local_error->message : "");
      return NULL;
    }
  probe = probe_new (name, WK_PROBE_TCP, address);
  probe->connectable = g_steal_pointer (&connectable);
  return probe;
}

/**
 * wk_probe_new_http:
 * @name: what screens and logs call the probe
 * @url: an http:// or https:// URL
 * @expect_status: the HTTP status that means the system is up (100 to 599)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a probe that succeeds when a GET of @url returns
 *   @expect_status, or %NULL with %WK_SNAPSHOT_ERROR_CONFIG when @url is not usable
 */
WkProbe *
wk_probe_new_http (const char *name, const char *url, guint expect_status, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autofree char *host_header = NULL;
  g_autofree char *path = NULL;
  const char      *scheme;
  const char      *host;
  gboolean         tls;
  int              port;
  WkProbe         *probe;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (expect_status >= 100 && expect_status <= 599, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local_error);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || host == NULL || *host == '\0')
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "expected an http:// or https:// URL with a host (such as "
                   "https://epr.example.nhs.uk/health), got \"%s\"",
                   url);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "the URL must not carry a user name or password; probe a health page that "
                   "needs none");
      return NULL;
    }

  tls = strcmp (scheme, "https") == 0;
  port = g_uri_get_port (uri);
  if (port <= 0)
    port = tls ? 443 : 80;
  if (strchr (host, ':') != NULL)
    host_header = g_strdup_printf ("[%s]", host);
  else
    host_header = g_strdup (host);
  if (port != (tls ? 443 : 80))
    {
      char *with_port = g_strdup_printf ("%s:%d", host_header, port);

      g_free (host_header);
      host_header = with_port;
    }
  path = g_strdup_printf ("%s%s%s", *g_uri_get_path (uri) != '\0' ? g_uri_get_path (uri) : "/",
                          g_uri_get_query (uri) != NULL ? "?" : "",
                          g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "");

  probe = probe_new (name, WK_PROBE_HTTP, url);
  probe->expect_status = expect_status;
  probe->tls = tls;
  probe->connectable = g_network_address_new (host, (guint16)port);
  probe->request = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                                    "Host: %s\r\n"
                                    "User-Agent: wardkeep/%s (health probe)\r\n"
                                    "Accept: */*\r\n"
                                    "Connection: close\r\n"
                                    "\r\n",
                                    path, host_header, WK_VERSION);
  return probe;
}

/**
 * wk_probe_new_from_config:
 * @config: a loaded configuration
 * @name: the NAME of a `[probe NAME]` group
 * @error: return location for a #GError
 *
 * Makes the probe a `[probe NAME]` group describes, with its interval and timeout, or
 * those of `[monitor]` when it sets none.
 *
 * Returns: (transfer full): the probe, or %NULL with %WK_SNAPSHOT_ERROR_CONFIG (the CA
 *   file cannot be read, for instance)
 */
WkProbe *
wk_probe_new_from_config (WkConfig *config, const char *name, GError **error)
{
  g_autofree char *group = NULL;
  g_autoptr (WkProbe) probe = NULL;
  const char *kind;
  const char *ca_file;
  gint64      interval_ms, timeout_ms;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  group = g_strconcat ("probe ", name, NULL);
  kind = wk_config_get_string (config, group, "kind");
  if (g_strcmp0 (kind, "tcp") == 0)
    probe = wk_probe_new_tcp (name, wk_config_get_string (config, group, "address"), error);
  else
    probe = wk_probe_new_http (name, wk_config_get_string (config, group, "url"),
                               (guint)wk_config_get_int (config, group, "expect-status"), error);
  if (probe == NULL)
    {
      g_prefix_error (error, "%s: [%s]: ", wk_config_get_path (config), group);
      return NULL;
    }

  /* Not set reads as 0 (the schema's minimum is above it): then [monitor]'s. */
  interval_ms = wk_config_get_duration_ms (config, group, "interval");
  if (interval_ms == 0)
    interval_ms = wk_config_get_duration_ms (config, "monitor", "interval");
  timeout_ms = wk_config_get_duration_ms (config, group, "timeout");
  if (timeout_ms == 0)
    timeout_ms = wk_config_get_duration_ms (config, "monitor", "timeout");
  wk_probe_set_timing (probe, interval_ms * 1000, timeout_ms * 1000);

  ca_file = wk_config_get_string (config, group, "ca-file");
  if (ca_file != NULL && !wk_probe_set_ca_file (probe, ca_file, error))
    return NULL;
  return g_steal_pointer (&probe);
}

/**
 * wk_probe_ref:
 * @probe: a #WkProbe
 *
 * Returns: (transfer full): @probe
 */
WkProbe *
wk_probe_ref (WkProbe *probe)
{
  g_return_val_if_fail (probe != NULL, NULL);

  probe->ref_count++;
  return probe;
}

/**
 * wk_probe_unref:
 * @probe: (nullable) (transfer full): a #WkProbe
 */
void
wk_probe_unref (WkProbe *probe)
{
  if (probe == NULL || --probe->ref_count > 0)
    return;
  g_free (probe->name);
  g_free (probe->target);
  g_clear_object (&probe->connectable);
  g_clear_object (&probe->database);
  g_free (probe->request);
  g_free (probe);
}

/**
 * wk_probe_set_timing:
 * @probe: a #WkProbe
 * @interval_us: how often the monitor runs it, in microseconds
 * @timeout_us: how long one run may take; less than @interval_us
 */
void
wk_probe_set_timing (WkProbe *probe, gint64 interval_us, gint64 timeout_us)
{
  g_return_if_fail (probe != NULL);
  g_return_if_fail (timeout_us > 0 && timeout_us < interval_us);

  probe->interval_us = interval_us;
  probe->timeout_us = timeout_us;
}

/**
 * wk_probe_set_ca_file:
 * @probe: an HTTPS #WkProbe
 * @path: a PEM file of the certificates to trust instead of the system's (a hospital's
 *   own certificate authority)
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_CONFIG when the file cannot be read
 *   as certificates
 */
gboolean
wk_probe_set_ca_file (WkProbe *probe, const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GTlsDatabase *database;

  g_return_val_if_fail (probe != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  database = g_tls_file_database_new (path, &local_error);
  if (database == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "probe %s: cannot read the certificates in %s: %s. Set ca-file to a PEM "
                   "file of the certificate authority that signed the server's certificate",
                   probe->name, path, local_error->message);
      return FALSE;
    }
  g_clear_object (&probe->database);
  probe->database = database;
  return TRUE;
}

/**
 * wk_probe_get_name:
 * @probe: a #WkProbe
 *
 * Returns: the probe's name
 */
const char *
wk_probe_get_name (WkProbe *probe)
{
  g_return_val_if_fail (probe != NULL, NULL);

  return probe->name;
}

/**
 * wk_probe_get_kind:
 * @probe: a #WkProbe
 *
 * Returns: TCP or HTTP
 */
WkProbeKind
wk_probe_get_kind (WkProbe *probe)
{
  g_return_val_if_fail (probe != NULL, WK_PROBE_TCP);

  return probe->kind;
}

/**
 * wk_probe_get_target:
 * @probe: a #WkProbe
 *
 * Returns: the URL or host:port it checks
 */
const char *
wk_probe_get_target (WkProbe *probe)
{
  g_return_val_if_fail (probe != NULL, NULL);

  return probe->target;
}

/**
 * wk_probe_get_interval:
 * @probe: a #WkProbe
 *
 * Returns: how often it runs, in microseconds
 */
gint64
wk_probe_get_interval (WkProbe *probe)
{
  g_return_val_if_fail (probe != NULL, 0);

  return probe->interval_us;
}

/**
 * wk_probe_get_timeout:
 * @probe: a #WkProbe
 *
 * Returns: how long one run may take, in microseconds
 */
gint64
wk_probe_get_timeout (WkProbe *probe)
{
  g_return_val_if_fail (probe != NULL, 0);

  return probe->timeout_us;
}

/* ---- one run ---- */

typedef struct
{
  WkProbe           *probe;
  WkClock           *clock;
  GCancellable      *cancel; /* ours: cancelled by the timeout or the caller's cancellable */
  GCancellable      *caller_cancellable;
  gulong             caller_handler;
  guint              timeout_id;
  gboolean           timed_out;
  const char        *phase; /* what the run is waiting for, for "timed out ... while ..." */
  gint64             started_us;
  GSocketConnection *connection;
  char               buffer[STATUS_LINE_MAX];
  gsize              length;
} Run;

static void
run_free (Run *run)
{
  wk_clock_remove_timeout (run->clock, run->timeout_id);
  if (run->caller_cancellable != NULL)
    g_cancellable_disconnect (run->caller_cancellable, run->caller_handler);
  g_clear_object (&run->caller_cancellable);
  if (run->connection != NULL)
    {
      /* Closing a TLS connection may write; do it without waiting for anybody. */
      g_io_stream_close_async (G_IO_STREAM (run->connection), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_clear_object (&run->connection);
    }
  g_clear_object (&run->cancel);
  wk_clock_unref (run->clock);
  wk_probe_unref (run->probe);
  g_free (run);
}

static void
run_return (GTask *task, gboolean ok, const char *reason, guint status)
{
  Run           *run = g_task_get_task_data (task);
  WkProbeResult *result = wk_probe_result_new (ok, reason);

  result->http_status = status;
  result->started_us = run->started_us;
  result->finished_us = wk_clock_get_monotonic (run->clock);
  g_task_return_pointer (task, result, (GDestroyNotify)wk_probe_result_free);
}

/* A failed step: the caller's cancellation is an error, everything else is a result. */
static void
run_return_error (GTask *task, const GError *error)
{
  Run             *run = g_task_get_task_data (task);
  g_autofree char *reason = NULL;

  if (run->timed_out)
    {
      g_autofree char *after = _wk_probe_format_duration (run->probe->timeout_us);

      reason = g_strdup_printf ("timed out after %s %s", after, run->phase);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    reason = g_strdup ("connection refused");
  else if (error->domain == G_RESOLVER_ERROR)
    reason = g_strdup_printf ("host name not resolved: %s", error->message);
  else if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    reason = g_strdup_printf ("TLS failed: %s (is the server's certificate authority trusted? "
                              "see ca-file)",
                              error->message);
  else if (error->domain == G_TLS_ERROR)
    reason = g_strdup_printf ("TLS failed: %s", error->message);
  else
    reason = g_strdup (error->message);
  run_return (task, FALSE, reason, 0);
}

static void
run_timeout_cb (gpointer data)
{
  Run *run = data;

  run->timeout_id = 0;
  run->timed_out = TRUE;
  g_cancellable_cancel (run->cancel);
}

static void
caller_cancelled_cb (GCancellable *cancellable, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static void
read_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GTask) task = data;
  g_autoptr (GError) error = NULL;
  Run         *run = g_task_get_task_data (task);
  gssize       n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);
  guint        status = 0;
  WkStatusLine line;

  if (n < 0)
    {
      run_return_error (task, error);
      return;
    }
  if (n == 0)
    {
      run_return (task, FALSE,
                  run->length == 0 ? "connection closed before a response"
                                   : "connection closed in the middle of the status line",
                  0);
      return;
    }
  run->length += (gsize)n;
  line = _wk_probe_parse_status_line (run->buffer, run->length, &status);
  if (line == WK_STATUS_LINE_INCOMPLETE)
    {
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (run->connection));

      g_input_stream_read_async (in, run->buffer + run->length, sizeof run->buffer - run->length,
                                 G_PRIORITY_DEFAULT, run->cancel, read_cb, g_steal_pointer (&task));
      return;
    }
  if (line == WK_STATUS_LINE_MALFORMED)
    {
      run_return (task, FALSE, "the answer is not an HTTP response", 0);
      return;
    }
  if (status != run->probe->expect_status)
    {
      g_autofree char *reason
          = g_strdup_printf ("HTTP %u (expected %u)", status, run->probe->expect_status);

      run_return (task, FALSE, reason, status);
      return;
    }
  {
    g_autofree char *took
        = _wk_probe_format_duration (wk_clock_get_monotonic (run->clock) - run->started_us);
    g_autofree char *reason = g_strdup_printf ("HTTP %u in %s", status, took);

    run_return (task, TRUE, reason, status);
  }
}

static void
write_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GTask) task = data;
  g_autoptr (GError) error = NULL;
  Run          *run = g_task_get_task_data (task);
  GInputStream *in;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      run_return_error (task, error);
      return;
    }
  run->phase = "waiting for the response";
  in = g_io_stream_get_input_stream (G_IO_STREAM (run->connection));
  g_input_stream_read_async (in, run->buffer, sizeof run->buffer, G_PRIORITY_DEFAULT, run->cancel,
                             read_cb, g_steal_pointer (&task));
}

static void
connect_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GTask) task = data;
  g_autoptr (GError) error = NULL;
  Run           *run = g_task_get_task_data (task);
  GOutputStream *out;

  run->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  if (run->connection == NULL)
    {
      run_return_error (task, error);
      return;
    }
  if (run->probe->kind == WK_PROBE_TCP)
    {
      g_autofree char *took
          = _wk_probe_format_duration (wk_clock_get_monotonic (run->clock) - run->started_us);
      g_autofree char *reason = g_strdup_printf ("connected in %s", took);

      run_return (task, TRUE, reason, 0);
      return;
    }
  run->phase = "while sending the request";
  out = g_io_stream_get_output_stream (G_IO_STREAM (run->connection));
  g_output_stream_write_all_async (out, run->probe->request, strlen (run->probe->request),
                                   G_PRIORITY_DEFAULT, run->cancel, write_cb,
                                   g_steal_pointer (&task));
}

/* Trusts the probe's own certificate authority, when it has one. */
static void
client_event_cb (GSocketClient      *client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 gpointer            data)
{
  WkProbe *probe = data;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && probe->database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), probe->database);
}

static void
probe_closure_notify (gpointer data, GClosure *closure)
{
  wk_probe_unref (data);
}

/**
 * wk_probe_run_async:
 * @probe: a #WkProbe
 * @clock: the clock the timeout runs on
 * @cancellable: (nullable): cancels the run (then the result is %G_IO_ERROR_CANCELLED)
 * @callback: called with the result
 * @user_data: passed to @callback
 *
 * Runs the probe once, on the thread-default main context, never blocking it. Failing to
 * reach the system is a result (with @ok %FALSE), not an error.
 */
void
wk_probe_run_async (WkProbe            *probe,
                    WkClock            *clock,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GSocketClient) client = NULL;
  Run *run;

  g_return_if_fail (probe != NULL);
  g_return_if_fail (clock != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, wk_probe_run_async);
  g_task_set_check_cancellable (task, FALSE);
  run = g_new0 (Run, 1);
  run->probe = wk_probe_ref (probe);
  run->clock = wk_clock_ref (clock);
  run->cancel = g_cancellable_new ();
  run->phase = "while connecting";
  run->started_us = wk_clock_get_monotonic (clock);
  g_task_set_task_data (task, run, (GDestroyNotify)run_free);

  if (cancellable != NULL)
    {
      run->caller_cancellable = g_object_ref (cancellable);
      run->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                   g_object_ref (run->cancel), g_object_unref);
    }
  run->timeout_id = wk_clock_add_timeout (clock, probe->timeout_us, run_timeout_cb, run);

  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_tls (client, probe->tls);
  g_signal_connect_data (client, "event", G_CALLBACK (client_event_cb), wk_probe_ref (probe),
                         probe_closure_notify, 0);
  g_socket_client_connect_async (client, probe->connectable, run->cancel, connect_cb,
                                 g_steal_pointer (&task));
}

/**
 * wk_probe_run_finish:
 * @probe: the #WkProbe
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what the run found, or %NULL with %G_IO_ERROR_CANCELLED when
 *   the caller cancelled it
 */
WkProbeResult *
wk_probe_run_finish (WkProbe *probe, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
