/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-drill.c — a drill on a 30-bed ward, as its report measures it: drill start to
 * DOWNTIME (outage drills), to the first document printed and to the ward on paper (every
 * CUPS job completed), and how long `drill.stop` takes to answer with the report. Real
 * processes: the simulator's health endpoint, wardkeepd, a private cupsd and two
 * ippeveprinters. Prints its figures; not a test. */

#include "wk-test-kiosk.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 3
#define BEDS 30
#define WAIT_US (120 * G_USEC_PER_SEC)

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static void
summarise (const char *what, GArray *values)
{
  if (values->len == 0)
    return;
  g_array_sort (values, compare_doubles);
  printf ("  %-52s median %7.3f s, best %7.3f s, worst %7.3f s\n", what,
          g_array_index (values, double, values->len / 2), g_array_index (values, double, 0),
          g_array_index (values, double, values->len - 1));
}

static JsonObject *
call (WkTestKiosk *kiosk, const char *method, JsonObject *params)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = wk_test_kiosk_call (kiosk, method, params, &error);

  if (result == NULL)
    g_error ("%s: %s", method, error->message);
  return json_object_ref (json_node_get_object (result));
}

/* Waits for the drill's automatic print to be over. */
static void
wait_printed (WkTestKiosk *kiosk)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  for (;;)
    {
      g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);
      JsonNode   *node = json_object_get_member (status, "print");
      JsonObject *print
          = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (print != NULL && json_object_get_boolean_member (print, "drill")
          && json_object_get_boolean_member (print, "finished")
          && json_object_get_boolean_member (print, "automatic"))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("the drill's print did not finish within 120 s");
      g_usleep (20000);
    }
}

static double
figure (JsonObject *report, const char *name)
{
  JsonNode *node = json_object_get_member (json_object_get_object_member (report, "figures"), name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_double (node) : NAN;
}

static void
run_scenario (WkTestKiosk *kiosk, const char *scenario)
{
  g_autoptr (GArray) detection = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) paper = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) stop = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 jobs = 0, pages = 0;

  printf ("%s drills:\n", scenario);
  for (int run = 0; run < RUNS; run++)
    {
      g_autoptr (JsonObject) start_params = json_object_new ();
      g_autoptr (JsonObject) stop_params = json_object_new ();
      g_autoptr (JsonObject) status = NULL;
      g_autoptr (JsonObject) report = NULL;
      double d, f, p, s;
      gint64 t0;

      json_object_set_string_member (start_params, "scenario", scenario);
      json_object_set_string_member (start_params, "who", "bench");
      json_object_set_string_member (stop_params, "who", "bench");
      status = call (kiosk, "drill.start", start_params);
      wait_printed (kiosk);
      t0 = g_get_monotonic_time ();
      report = call (kiosk, "drill.stop", stop_params);
      s = (g_get_monotonic_time () - t0) / 1e6;
      d = figure (report, "detection_s");
      f = figure (report, "first_page_s");
      p = figure (report, "on_paper_s");
      jobs = (gint64)figure (report, "jobs");
      pages = (gint64)figure (report, "pages");
      if (!isnan (d) && strcmp (scenario, "outage") == 0)
        g_array_append_val (detection, d);
      g_array_append_val (first, f);
      g_array_append_val (paper, p);
      g_array_append_val (stop, s);
      printf ("  drill %d: %s, %" G_GINT64_FORMAT " jobs, %" G_GINT64_FORMAT
              " pages; detected %.3f s, first page %.3f s, on paper %.3f s, report in %.3f s\n",
              run + 1, json_object_get_boolean_member (report, "passed") ? "PASS" : "FAIL", jobs,
              pages, d, f, p, s);
      if (!wk_test_kiosk_wait_mode (kiosk, "online", 60))
        g_error ("the daemon did not come back online");
    }
  summarise ("drill start -> DOWNTIME (drill) confirmed", detection);
  summarise ("drill start -> first document printed (CUPS)", first);
  summarise ("drill start -> ward on paper (last job completed)", paper);
  summarise ("drill.stop -> report made, kept, ledger cleaned", stop);
}

int
main (int argc, char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("bench-drill-XXXXXX", NULL);
  g_autoptr (WkTestKiosk) kiosk = NULL;
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (WkModel) ward = NULL;
  g_autofree char *config = NULL;
  guint16          health_port;

  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("WK_BUILD_DIR", WK_BENCH_BUILD_DIR, FALSE);
  health_port = wk_test_closed_port ();
  kiosk = wk_test_kiosk_new ();
  config = g_strdup_printf ("[feed]\naddress = 127.0.0.1\nport = 0\n"
                            "[monitor]\ninterval = 200ms\ntimeout = 150ms\n"
                            "failures-to-confirm = 3\nsuccesses-to-recover = 2\n"
                            "[probe central]\nkind = http\nurl = http://127.0.0.1:%u/health\n",
                            health_port);
  wk_test_kiosk_write_config (kiosk, config);
  ward = wk_test_ward_new (BEDS);
  wk_snapshot_info_free (wk_test_kiosk_write_snapshot (kiosk, ward));
  sim = wk_test_sim_start (kiosk, 0, health_port, BEDS, 0);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  if (!wk_test_kiosk_wait_mode (kiosk, "online", 120))
    g_error ("the daemon did not come online");

  printf ("bench-drill: a %d-bed ward (%d occupied) through a private cupsd to ippeveprinter;\n"
          "probes every 200 ms, DOWNTIME on the third failure; %d drills per scenario\n",
          BEDS, BEDS - 2, RUNS);
  run_scenario (kiosk, "outage");
  run_scenario (kiosk, "printer-failure");
  wk_test_sim_free (g_steal_pointer (&sim));
  wk_test_kiosk_free (g_steal_pointer (&kiosk));
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", home);

    if (system (command) != 0)
      fprintf (stderr, "could not remove %s\n", home);
  }
  return 0;
}
