/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-monitor.c — how fast the health monitor sees an outage, on the real clock against
 * real loopback servers: probe round trips, and the time from the systems going down to
 * DOWNTIME and PRINT_NOW and back to ONLINE, for each way of failing. Prints its figures. */

#include "wk-monitor.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#define MS G_GINT64_CONSTANT (1000)

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *values, double p)
{
  g_array_sort (values, compare_gint64);
  return g_array_index (values, gint64, (guint)(p * (values->len - 1))) / 1000.0;
}

typedef struct
{
  WkProbeResult *result;
} Outcome;

static void
run_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  ((Outcome *)data)->result = wk_probe_run_finish (NULL, res, NULL);
}

static gboolean
outcome_done (gpointer data)
{
  return ((Outcome *)data)->result != NULL;
}

/* Round trips of one probe, in ms. */
static void
bench_probe (const char *what, WkProbe *probe, guint n)
{
  g_autoptr (WkClock) clock = wk_clock_new_real ();
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < n; i++)
    {
      Outcome outcome = { NULL };
      gint64  took;

      wk_probe_run_async (probe, clock, NULL, run_cb, &outcome);
      wk_test_wait_for (outcome_done, &outcome, "a probe result");
      if (!outcome.result->ok)
        g_error ("%s failed: %s", what, outcome.result->reason);
      took = outcome.result->finished_us - outcome.result->started_us;
      g_array_append_val (times, took);
      wk_probe_result_free (outcome.result);
    }
  g_print ("  %-28s %4u runs   median %6.2f ms   p95 %6.2f ms   max %6.2f ms\n", what, n,
           percentile (times, 0.5), percentile (times, 0.95), percentile (times, 1.0));
}

typedef struct
{
  WkMonitor     *monitor;
  gint64         suspect_at, downtime_at, print_at, online_at;
  WkMonitorState state;
} Watch;

static void
event_cb (WkMonitor *monitor, const WkMonitorEvent *event, gpointer data)
{
  Watch *watch = data;

  if (event->kind == WK_MONITOR_EVENT_STATE_CHANGED)
    {
      if (event->state == WK_MONITOR_SUSPECT && watch->suspect_at == 0)
        watch->suspect_at = event->monotonic_us;
      if (event->state == WK_MONITOR_DOWNTIME && watch->downtime_at == 0)
        watch->downtime_at = event->monotonic_us;
      if (event->state == WK_MONITOR_ONLINE && watch->downtime_at != 0)
        watch->online_at = event->monotonic_us;
    }
  if (event->kind == WK_MONITOR_EVENT_PRINT_NOW)
    {
      watch->print_at = event->monotonic_us;
      wk_monitor_acknowledge_print (monitor, event->episode->id, NULL);
    }
}

static gboolean
printed (gpointer data)
{
  return ((Watch *)data)->print_at != 0;
}

static gboolean
online_again (gpointer data)
{
  return ((Watch *)data)->online_at != 0;
}

/* Lets the main loop run for @us. */
static void
sleep_in_loop (gint64 us)
{
  gint64 until = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (500);
    }
}

typedef enum
{
  FAIL_STATUS,
  FAIL_HANG,
  FAIL_REFUSED,
} Failure;

/* One outage, with the times from its start in ms (@to_online from the servers answering
 * again; -1 when not measured). */
static void
one_outage (Failure failure,
            gint64  interval,
            gint64  timeout,
            gint64  delay,
            double *to_suspect,
            double *to_downtime,
            double *to_print,
            double *to_online)
{
  WkMonitorSettings settings;
  g_autoptr (WkClock) clock = wk_clock_new_real ();
  g_autoptr (WkMonitor) monitor = NULL;
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/health");
  WkTestResponder *tcp_server = wk_test_responder_new (NULL);
  g_autofree char *address
      = g_strdup_printf ("127.0.0.1:%u", wk_test_responder_get_port (tcp_server));
  g_autoptr (WkProbe) probe = failure == FAIL_REFUSED ? wk_probe_new_tcp ("mllp", address, NULL)
                                                      : wk_probe_new_http ("epr", url, 200, NULL);
  Watch  watch = { 0 };
  gint64 outage_at, back_at;

  wk_monitor_settings_init (&settings);
  settings.confirmation_delay_us = delay;
  monitor = wk_monitor_new (clock, &settings);
  wk_probe_set_timing (probe, interval, timeout);
  wk_monitor_add_probe (monitor, probe);
  g_signal_connect (monitor, "event", G_CALLBACK (event_cb), &watch);
  wk_monitor_start (monitor);

  /* The outage starts at a random point of the probe's schedule. */
  sleep_in_loop (interval + g_random_int_range (0, (gint32)interval));
  outage_at = g_get_monotonic_time ();
  if (failure == FAIL_STATUS)
    wk_test_responder_set_status (responder, 503);
  else if (failure == FAIL_HANG)
    wk_test_responder_set_mode (responder, WK_TEST_RESPONDER_HANG);
  else
    g_clear_pointer (&tcp_server, wk_test_responder_free);
  wk_test_wait_for (printed, &watch, "PRINT_NOW");
  *to_suspect = (watch.suspect_at - outage_at) / 1000.0;
  *to_downtime = (watch.downtime_at - outage_at) / 1000.0;
  *to_print = (watch.print_at - outage_at) / 1000.0;
  *to_online = -1;
  wk_test_responder_free (tcp_server);
  if (failure == FAIL_REFUSED)
    return;

  back_at = g_get_monotonic_time ();
  wk_test_responder_set_status (responder, 200);
  wk_test_wait_for (online_again, &watch, "ONLINE");
  *to_online = (watch.online_at - back_at) / 1000.0;
}

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, data);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("wardkeep-bench-monitor-XXXXXX", NULL);
  g_autofree char *ca_file = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (WkTestResponder) http = wk_test_responder_new (NULL);
  g_autoptr (WkTestResponder) https = NULL;
  g_autofree char *http_url = wk_test_responder_dup_url (http, "/health");
  g_autofree char *https_url = NULL;
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", wk_test_responder_get_port (http));
  g_autoptr (WkProbe) http_probe = wk_probe_new_http ("epr", http_url, 200, NULL);
  g_autoptr (WkProbe) https_probe = NULL;
  g_autoptr (WkProbe) tcp_probe = wk_probe_new_tcp ("mllp", address, NULL);
  const gint64             interval = 500 * MS, timeout = 200 * MS, delay = 250 * MS;
  static const char *const failure_names[] = { "HTTP 503", "server hangs", "port closed" };
  const int                trials = 3;

  g_setenv ("http_proxy", "http://127.0.0.1:1", TRUE);
  g_log_set_writer_func (quiet_writer, NULL, NULL);
  certificate = wk_test_certificate_new (dir, &ca_file);
  https = wk_test_responder_new (certificate);
  https_url = wk_test_responder_dup_url (https, "/health");
  https_probe = wk_probe_new_http ("epr", https_url, 200, NULL);
  g_assert_true (wk_probe_set_ca_file (https_probe, ca_file, NULL));

  g_print ("bench-monitor: probe round trips on loopback (real clock, real sockets)\n");
  bench_probe ("TCP connect", tcp_probe, 500);
  bench_probe ("HTTP GET, status line", http_probe, 500);
  bench_probe ("HTTPS GET (new TLS session)", https_probe, 100);

  g_print ("\nbench-monitor: outage to DOWNTIME, one HTTP probe, N=3, M=3, interval %.0f ms, "
           "timeout %.0f ms, confirmation delay %.0f ms;\n"
           "  times from the outage starting (at a random point of the schedule); expected "
           "DOWNTIME between (N-1)*interval and N*interval\n  after it, plus the time a "
           "failing run takes (up to the timeout when the server hangs)\n",
           interval / 1000.0, timeout / 1000.0, delay / 1000.0);
  for (int f = 0; f < 3; f++)
    for (int t = 0; t < trials; t++)
      {
        double suspect, downtime, print, online;

        one_outage ((Failure)f, interval, timeout, delay, &suspect, &downtime, &print, &online);
        g_print ("  %-13s trial %d: SUSPECT %7.1f ms  DOWNTIME %7.1f ms  PRINT_NOW %7.1f ms",
                 failure_names[f], t + 1, suspect, downtime, print);
        if (online >= 0)
          g_print ("  back ONLINE %7.1f ms after the server answered again\n", online);
        else
          g_print ("\n");
      }
  g_print ("\n  with the defaults (interval 15 s, timeout 5 s, N=3, delay 0) the same counting "
           "gives DOWNTIME and PRINT_NOW\n  30-45 s after an outage starts (35-50 s when the "
           "servers hang), and ONLINE 30-45 s after they answer again.\n");

  /* Let GLib's TLS worker threads go before the process ends. */
  wk_test_stop_worker_threads ();
  {
    g_autofree char *key = g_build_filename (dir, "key.pem", NULL);

    g_unlink (ca_file);
    g_unlink (key);
    g_rmdir (dir);
  }
  return EXIT_SUCCESS;
}
