/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-daemon-print.c — how fast wardkeepd puts a 30-bed ward on paper: from the moment
 * the last failed probe confirms the downtime to the first document, and to the last, that
 * a private cupsd accepted. Real processes: the simulator (feed and health endpoint), the
 * daemon, cupsd and an ippeveprinter. Prints its figures; not a test. */

#include "wk-test-kiosk.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 5
#define WAIT_US (120 * G_USEC_PER_SEC)

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static JsonObject *
status_of (WkTestKiosk *kiosk)
{
  return wk_test_kiosk_status (kiosk);
}

static JsonObject *
print_of (JsonObject *status)
{
  JsonNode *node = json_object_get_member (status, "print");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Waits for the automatic print of a new episode to be over; returns its status. */
static JsonObject *
wait_print (WkTestKiosk *kiosk, const char *previous_request)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  for (;;)
    {
      JsonObject *status = status_of (kiosk);
      JsonObject *print = print_of (status);

      if (print != NULL && json_object_get_boolean_member (print, "automatic")
          && json_object_get_boolean_member (print, "finished")
          && g_strcmp0 (json_object_get_string_member (print, "request"), previous_request) != 0)
        return status;
      json_object_unref (status);
      if (g_get_monotonic_time () > deadline)
        g_error ("the ward was not printed within 120 s");
      g_usleep (20000);
    }
}

static void
summarise (const char *what, GArray *values)
{
  g_array_sort (values, compare_doubles);
  printf ("  %-50s median %6.3f s, best %6.3f s, worst %6.3f s\n", what,
          g_array_index (values, double, values->len / 2), g_array_index (values, double, 0),
          g_array_index (values, double, values->len - 1));
}

int
main (int argc, char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("bench-daemon-XXXXXX", NULL);
  g_autoptr (WkTestKiosk) kiosk = NULL;
  g_autoptr (WkTestSim) sim = NULL;
  g_autoptr (GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) last = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *config = NULL;
  g_autofree char *previous = NULL;
  guint16          feed_port, health_port;
  gint64           documents = 0, pages = 0;

  /* Everything in a folder of its own; the daemon of this build. */
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("WK_BUILD_DIR", WK_BENCH_BUILD_DIR, FALSE);
  feed_port = wk_test_closed_port ();
  health_port = wk_test_closed_port ();
  kiosk = wk_test_kiosk_new ();
  config = g_strdup_printf ("[feed]\naddress = 127.0.0.1\nport = %u\n"
                            "[monitor]\ninterval = 200ms\ntimeout = 150ms\n"
                            "failures-to-confirm = 3\nsuccesses-to-recover = 2\n"
                            "[probe central]\nkind = http\nurl = http://127.0.0.1:%u/health\n",
                            feed_port, health_port);
  wk_test_kiosk_write_config (kiosk, config);
  sim = wk_test_sim_start (kiosk, feed_port, health_port, 30, 20);
  wk_test_kiosk_start_daemon (kiosk, NULL);
  wk_test_sim_wait_feed_done (sim);
  if (!wk_test_kiosk_wait_mode (kiosk, "online", 120))
    g_error ("the daemon did not come online");

  printf ("bench-daemon-print: a 30-bed ward (the simulator's, seed 7) through a private cupsd "
          "to ippeveprinter;\nprobes every 200 ms, DOWNTIME on the third failure; %d outages\n",
          RUNS);
  for (int run = 0; run < RUNS; run++)
    {
      g_free (wk_test_sim_command (sim, "down"));
      g_autoptr (JsonObject) status = wait_print (kiosk, previous);
      JsonObject *print = print_of (status);
      double      a = json_object_get_double_member (print, "first_accepted_after_downtime_s");
      double      b = json_object_get_double_member (print, "last_accepted_after_downtime_s");

      g_free (previous);
      previous = g_strdup (json_object_get_string_member (print, "request"));
      documents = json_object_get_int_member (print, "documents");
      g_array_append_val (first, a);
      g_array_append_val (last, b);
      printf ("  outage %d: %" G_GINT64_FORMAT " documents; first accepted %.3f s, last %.3f s "
              "after DOWNTIME\n",
              run + 1, documents, a, b);
      g_free (wk_test_sim_command (sim, "up"));
      if (!wk_test_kiosk_wait_mode (kiosk, "online", 120))
        g_error ("the daemon did not come back online");
    }
  {
    g_autoptr (GPtrArray) received
        = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "office"));

    for (guint i = 0; i < received->len && i < (guint)documents; i++)
      {
        guint n = 0;

        g_free (wk_test_pdf_dup_text (((WkTestDocument *)received->pdata[i])->path, &n));
        pages += n;
      }
  }
  printf ("Each outage printed %" G_GINT64_FORMAT " documents (%" G_GINT64_FORMAT " pages): the "
          "census, then one chart per patient.\n",
          documents, pages);
  summarise ("DOWNTIME confirmed -> first job accepted by cupsd", first);
  summarise ("DOWNTIME confirmed -> last job accepted by cupsd", last);
  printf ("  targets: first <= 0.5 s, last <= 3 s\n");
  wk_test_sim_free (g_steal_pointer (&sim));
  wk_test_kiosk_free (g_steal_pointer (&kiosk));
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", home);

    if (system (command) != 0)
      fprintf (stderr, "could not remove %s\n", home);
  }
  return 0;
}
