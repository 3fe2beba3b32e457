/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-mllp.c — MLLP messages per second with ACKs, over loopback, on one connection
 * and on eight: the listener alone, and end to end (the feed applies each message to the
 * ward model before it is acknowledged). The messages are the simulator's feed of a
 * 1,200-bed hospital. Prints its figures; asserts nothing about speed. */

#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-mllp-client.h"
#include "wk-mllp-listener.h"
#include "wk-sim-hospital.h"

#include <stdio.h>
#include <string.h>

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

/* The kiosk's side end to end: WkFeed applies each message to a fresh model. */
static GBytes *
apply (const guint8 *message, gsize size, gpointer user_data)
{
  return wk_feed_handle (user_data, message, size);
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

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) feed = make_feed (1, 20000);
  g_autoptr (GPtrArray) initial = initial_only (feed);
  guint  not_aa = 0;
  double rate;

  printf ("bench-mllp: the simulator's feed of a %u-bed hospital: %u messages "
          "(%u initial load, %u events), lock-step (each message waits for its ACK)\n",
          N_WARDS * BEDS_PER_WARD, feed->len, initial->len, feed->len - initial->len);

  rate = run (ack_only, NULL, feed, 1, &not_aa);
  printf ("  listener only (parse, ACK; nothing applied), 1 connection:  %8.0f msg/s\n", rate);
  rate = run (ack_only, NULL, initial, 8, &not_aa);
  printf ("  listener only (parse, ACK; nothing applied), 8 connections: %8.0f msg/s\n", rate);
  {
    Kiosk *k = kiosk_new ();

    rate = run (apply, k->feed, feed, 1, &not_aa);
    printf (
        "  end to end (WkFeed applies, then ACK),      1 connection:  %8.0f msg/s  (%u not AA)\n",
        rate, not_aa);
    kiosk_free (k);
  }
  {
    Kiosk *k = kiosk_new ();

    rate = run (apply, k->feed, initial, 8, &not_aa);
    printf ("  end to end (WkFeed applies, then ACK),      8 connections: %8.0f msg/s  (%u not AA; "
            "the initial load, by patient)\n",
            rate, not_aa);
    kiosk_free (k);
  }
  printf ("  target: end to end >= 10000 msg/s with ACKs\n");
  return 0;
}
