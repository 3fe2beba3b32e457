/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-mllp.c — MLLP messages per second with ACKs, over loopback, on one connection
 * and on eight: the listener alone, and end to end (the feed applies each message to the
 * ward model before it is acknowledged). The messages are the simulator's feed of a
 * 1,200-bed hospital. Also the feed in process, without sockets: microseconds per
 * message of each type (where the time goes). Prints its figures; asserts nothing about
 * speed.
 *
 *   bench-mllp          everything
 *   bench-mllp e2e        only end to end on one connection (for perf record)
 *   bench-mllp apply [N]  only the feed in process, with N events after the initial load
 *                         (20000), nothing else running: for perf record, or for counting
 *                         instructions with valgrind --tool=callgrind
 *                         --toggle-collect=wk_feed_handle
 */

#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-mllp-client.h"
#include "wk-mllp-listener.h"
#include "wk-sim-hospital.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define N_WARDS 40
#define BEDS_PER_WARD 30
#define MAX_CONNECTIONS 8

typedef struct
{
  guint16    port;
  GPtrArray *messages; /* GBytes, this connection's share, in order */
  guint      not_aa;
  GError    *error;
  gint      *ready;
  gint      *go;
} Client;

static gint done_clients;

static gpointer
client_main (gpointer data)
{
  Client *c = data;
  g_autoptr (WkMllpClient) client
      = wk_mllp_client_connect ("127.0.0.1", c->port, NULL, 60, &c->error);

  g_atomic_int_inc (c->ready);
  while (client != NULL && !g_atomic_int_get (c->go))
    g_usleep (100);
  for (guint i = 0; client != NULL && i < c->messages->len; i++)
    {
      g_autoptr (GBytes) ack = wk_mllp_client_exchange (client, c->messages->pdata[i], &c->error);
      gsize       size = 0;
      const char *text;

      if (ack == NULL)
        break;
      text = g_bytes_get_data (ack, &size);
      /* An ACK's MSA segment follows its MSH: "MSA|AA|". */
      {
        const char *msa = g_strstr_len (text, size, "\rMSA|");

        if (msa == NULL || strncmp (msa + 5, "AA", 2) != 0)
          c->not_aa++;
      }
    }
  g_atomic_int_inc (&done_clients);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* The kiosk's side: acknowledges without applying anything (the listener's own cost). */
static GBytes *
ack_only (const guint8 *message, gsize size, gpointer user_data)
{
  g_autoptr (WkHl7Message) parsed = wk_hl7_message_parse (message, size, NULL, NULL);
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);

  wk_hl7_builder_msh (b, "ACK", "BENCH", 0);
  wk_hl7_builder_segment (b, "MSA");
  wk_hl7_builder_field (b, 1, parsed != NULL ? "AA" : "AR");
  wk_hl7_builder_field (b, 2, parsed != NULL ? wk_hl7_message_get_control_id (parsed) : "");
  return wk_hl7_builder_end (b);
}

static gint64 handler_ns; /* time spent in the kiosk's handler during a run */

static gint64 clock_ns (clockid_t clock);

/* The kiosk's side end to end: WkFeed applies each message to a fresh model. */
static GBytes *
apply (const guint8 *message, gsize size, gpointer user_data)
{
  gint64  start = clock_ns (CLOCK_MONOTONIC);
  GBytes *ack = wk_feed_handle (user_data, message, size);

  handler_ns += clock_ns (CLOCK_MONOTONIC) - start;
  return ack;
}

typedef struct
{
  WkConfig *config;
  WkModel  *model;
  WkFeed   *feed;
} Kiosk;

static Kiosk *
kiosk_new (void)
{
  g_autoptr (GError) error = NULL;
  Kiosk *k = g_new0 (Kiosk, 1);

  k->config
      = wk_config_load_from_data ("[ward]\nid = 7A\n[hl7]\nwards = *\n", -1, "bench.conf", &error);
  k->model = wk_model_new (&error);
  k->feed = wk_feed_new (k->model, k->config, &error);
  if (k->feed == NULL)
    g_error ("%s", error->message);
  return k;
}

static void
kiosk_free (Kiosk *k)
{
  wk_feed_free (k->feed);
  wk_model_free (k->model);
  wk_config_free (k->config);
  g_free (k);
}

/* Sends every message, spread over @n connections by patient (so that each patient's
 * messages keep their order), and returns messages per second. */
static double
run (WkMllpHandler handler, gpointer handler_data, GPtrArray *events, guint n, guint *not_aa)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkMllpListener) listener = wk_mllp_listener_new (handler, handler_data, NULL);
  Client   clients[MAX_CONNECTIONS] = { 0 };
  GThread *threads[MAX_CONNECTIONS];
  gint     ready = 0, go = 0;
  gint64   start, end;

  if (!wk_mllp_listener_start (listener, "127.0.0.1", 0, &error))
    g_error ("%s", error->message);
  for (guint i = 0; i < n; i++)
    {
      clients[i].port = wk_mllp_listener_get_port (listener);
      clients[i].messages = g_ptr_array_new ();
      clients[i].ready = &ready;
      clients[i].go = &go;
    }
  for (guint i = 0; i < events->len; i++)
    {
      WkSimEvent *e = events->pdata[i];

      g_ptr_array_add (clients[e->patient % n].messages, e->message);
    }
  done_clients = 0;
  handler_ns = 0;
  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("bench-client", client_main, &clients[i]);
  while (g_atomic_int_get (&ready) < (gint)n)
    g_main_context_iteration (NULL, FALSE);
  start = g_get_monotonic_time ();
  g_atomic_int_set (&go, 1);
  while (g_atomic_int_get (&done_clients) < (gint)n)
    g_main_context_iteration (NULL, TRUE);
  end = g_get_monotonic_time ();
  *not_aa = 0;
  for (guint i = 0; i < n; i++)
    {
      g_thread_join (threads[i]);
      if (clients[i].error != NULL)
        g_error ("connection %u: %s", i, clients[i].error->message);
      *not_aa += clients[i].not_aa;
      g_ptr_array_unref (clients[i].messages);
    }
  return events->len / ((end - start) / (double)G_USEC_PER_SEC);
}

static GPtrArray *
make_feed (guint32 seed, guint events)
{
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (seed, N_WARDS, BEDS_PER_WARD);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_sim_event_free);
  gint64     start = wk_sim_hospital_get_now (h);
  guint      stream = 0;

  while (stream < events)
    {
      WkSimEvent *e = wk_sim_hospital_next (h, start + stream * 20);

      if (!e->initial)
        stream++;
      g_ptr_array_add (out, e);
    }
  return out;
}

/* The initial load alone: on several connections, messages about different patients
 * may be applied in any order without changing the outcome. */
static GPtrArray *
initial_only (GPtrArray *feed)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < feed->len; i++)
    if (((WkSimEvent *)feed->pdata[i])->initial)
      g_ptr_array_add (out, feed->pdata[i]);
  return out;
}

/* What a message is, for the per-type figures: "RDE^O11 XO", "ADT^A02", "RAS^O17". */
static char *
message_kind (GBytes *message)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (message, &size);
  g_autoptr (WkHl7Message) m = wk_hl7_message_parse (data, size, NULL, NULL);
  int         orc = m != NULL ? wk_hl7_message_find_segment (m, "ORC", 0) : -1;
  const char *control = orc >= 0 && wk_hl7_message_segment_is (m, 0, "MSH")
                                && g_strcmp0 (wk_hl7_message_get_type (m), "RDE") == 0
                            ? wk_hl7_message_get_text (m, orc, 1, 1, 1, 1, NULL)
                            : NULL;

  if (m == NULL)
    return g_strdup ("(does not parse)");
  return g_strdup_printf ("%s^%s%s%s", wk_hl7_message_get_type (m), wk_hl7_message_get_event (m),
                          control != NULL ? " " : "", control != NULL ? control : "");
}

typedef struct
{
  char  *kind;
  guint  n;
  gint64 total_ns;
  gint64 max_ns;
} KindTime;

static gint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint64
now_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

static int
compare_kinds (gconstpointer a, gconstpointer b)
{
  const KindTime *ka = *(KindTime *const *)a, *kb = *(KindTime *const *)b;

  return strcmp (ka->kind, kb->kind);
}

/* Applies every message to a fresh model in this thread, with no sockets: the feed's
 * own cost. Returns messages per second of wall time, and in @per_cpu_second per second
 * of this thread's CPU time (what other load on the machine distorts least); fills
 * @kinds (KindTime, by kind). */
static G_GNUC_NO_INLINE double
apply_all (GPtrArray *events, GPtrArray *kinds, guint *not_aa, double *per_cpu_second)
{
  g_autoptr (GHashTable) by_kind = g_hash_table_new (g_str_hash, g_str_equal);
  Kiosk *k = kiosk_new ();
  gint64 total = 0, cpu = 0;

  *not_aa = 0;
  for (guint i = 0; i < events->len; i++)
    {
      WkSimEvent      *e = events->pdata[i];
      g_autofree char *kind = message_kind (e->message);
      KindTime        *t = g_hash_table_lookup (by_kind, kind);
      gsize            size, ack_size;
      const guint8    *data = g_bytes_get_data (e->message, &size);
      gint64           before, took;
      GBytes          *ack;
      const char      *text, *msa;

      if (t == NULL)
        {
          t = g_new0 (KindTime, 1);
          t->kind = g_steal_pointer (&kind);
          g_hash_table_insert (by_kind, t->kind, t);
          g_ptr_array_add (kinds, t);
        }
      cpu -= clock_ns (CLOCK_THREAD_CPUTIME_ID);
      before = now_ns ();
      ack = wk_feed_handle (k->feed, data, size);
      took = now_ns () - before;
      cpu += clock_ns (CLOCK_THREAD_CPUTIME_ID);
      total += took;
      t->n++;
      t->total_ns += took;
      t->max_ns = MAX (t->max_ns, took);
      text = g_bytes_get_data (ack, &ack_size);
      msa = g_strstr_len (text, ack_size, "\rMSA|");
      if (msa == NULL || strncmp (msa + 5, "AA", 2) != 0)
        (*not_aa)++;
      g_bytes_unref (ack);
    }
  kiosk_free (k);
  g_ptr_array_sort (kinds, compare_kinds);
  *per_cpu_second = events->len / (cpu / 1e9);
  return events->len / (total / 1e9);
}

static void
kind_time_free (KindTime *t)
{
  g_free (t->kind);
  g_free (t);
}

static void
print_apply (GPtrArray *feed)
{
  g_autoptr (GPtrArray) kinds = g_ptr_array_new_with_free_func ((GDestroyNotify)kind_time_free);
  guint  not_aa = 0;
  double per_cpu, rate = apply_all (feed, kinds, &not_aa, &per_cpu);

  printf ("  in process (WkFeed only, no sockets), one thread:   %8.0f msg/s = %5.1f us/msg  "
          "(%u not AA); per CPU second %.0f = %.1f us/msg\n",
          rate, 1e6 / rate, not_aa, per_cpu, 1e6 / per_cpu);
  for (guint i = 0; i < kinds->len; i++)
    {
      KindTime *t = kinds->pdata[i];

      printf ("    %-12s %6u messages  %7.1f us each on average, %7.1f us at most\n", t->kind, t->n,
              t->total_ns / 1e3 / t->n, t->max_ns / 1e3);
    }
}

/* End to end on @n connections, a fresh kiosk: messages per second, and how much of
 * each message's round trip the kiosk spent applying it. */
static void
end_to_end (GPtrArray *events, guint n, const char *what)
{
  Kiosk *k = kiosk_new ();
  guint  not_aa = 0;
  double rate = run (apply, k->feed, events, n, &not_aa);

  printf (
      "  end to end (WkFeed applies, then ACK),      %u connection%s %8.0f msg/s  (%u not AA%s; "
      "applying took %.1f of the %.1f us per message)\n",
      n, n == 1 ? ": " : "s:", rate, not_aa, what, handler_ns / 1e3 / events->len, 1e6 / rate);
  kiosk_free (k);
}

int
main (int argc, char **argv)
{
  gboolean apply_only = argc > 1 && strcmp (argv[1], "apply") == 0;
  g_autoptr (GPtrArray) feed
      = make_feed (1, apply_only && argc > 2 ? (guint)g_ascii_strtoull (argv[2], NULL, 10) : 20000);
  g_autoptr (GPtrArray) initial = initial_only (feed);
  guint  not_aa = 0;
  double rate;

  if (apply_only)
    {
      print_apply (feed);
      return 0;
    }
  if (argc > 1 && strcmp (argv[1], "e2e") == 0)
    {
      end_to_end (feed, 1, "");
      return 0;
    }

  printf ("bench-mllp: the simulator's feed of a %u-bed hospital: %u messages "
          "(%u initial load, %u events), lock-step (each message waits for its ACK)\n",
          N_WARDS * BEDS_PER_WARD, feed->len, initial->len, feed->len - initial->len);

  rate = run (ack_only, NULL, feed, 1, &not_aa);
  printf ("  listener only (parse, ACK; nothing applied), 1 connection:  %8.0f msg/s\n", rate);
  rate = run (ack_only, NULL, initial, 8, &not_aa);
  printf ("  listener only (parse, ACK; nothing applied), 8 connections: %8.0f msg/s\n", rate);
  end_to_end (feed, 1, "");
  end_to_end (initial, 8, "; the initial load, by patient");
  print_apply (feed);
  printf ("  target: end to end >= 10000 msg/s with ACKs\n");
  return 0;
}
