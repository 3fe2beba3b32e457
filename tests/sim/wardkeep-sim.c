/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wardkeep-sim.c — the central systems, simulated: a synthetic hospital's HL7 feed over
 * MLLP to a kiosk, a health endpoint, and an outage on command. */

#include "wk-hl7.h"
#include "wk-mllp-client.h"
#include "wk-sim-hospital.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

typedef struct
{
  /* options */
  guint32  seed;
  guint    n_wards;
  guint    beds;
  char    *feed;
  char    *tls_ca;
  char    *tls_cert;
  char    *tls_key;
  char    *tls_name;
  double   rate;
  guint    messages;
  char    *start;
  guint    step;
  int      health_port;
  char    *ready_file;
  char    *control_socket;
  gboolean keep_running;
  gboolean verbose;
  gboolean quiet;
  guint    connect_timeout;

  /* shared between the feed thread and the main loop */
  gint            up;     /* 1 while central systems are up */
  gint            stop;   /* 1 once asked to quit */
  gint            failed; /* 1 when an ACK was not AA, or the kiosk could not be reached */
  gint            done;   /* 1 once the feed has sent everything asked */
  gint            sent, accepted;
  GMainLoop      *loop;
  GSocketService *health;
  GSocketService *control;
  guint16         health_port_bound;
  GMutex          print_lock;
} Sim;

static void sim_print (Sim *sim, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Everything the simulator says goes to stdout, one line at a time, for a person
 * watching or a script reading. */
static void
sim_print (Sim *sim, const char *format, ...)
{
  g_autofree char *text = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  va_list          args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_mutex_lock (&sim->print_lock);
  printf ("[%s] %s\n", stamp, text);
  fflush (stdout);
  g_mutex_unlock (&sim->print_lock);
}

static void
set_up (Sim *sim, gboolean up, const char *why)
{
  if (g_atomic_int_get (&sim->up) == up)
    return;
  g_atomic_int_set (&sim->up, up);
  sim_print (sim,
             up ? "CENTRAL SYSTEMS UP (%s): health endpoint answers 200, the feed resumes"
                : "CENTRAL SYSTEMS DOWN (%s): health endpoint answers 503, the feed stops",
             why);
}

/* --- the feed ------------------------------------------------------------------------ */

/* Checks an acknowledgement: MSA-1 AA and MSA-2 the control id sent. */
static gboolean
check_ack (Sim *sim, WkSimEvent *event, GBytes *ack)
{
  gsize         size = 0;
  const guint8 *data = g_bytes_get_data (ack, &size);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Message) message = wk_hl7_message_parse (data, size, NULL, &error);
  int         msa, err;
  const char *code, *control_id;

  if (message == NULL)
    {
      sim_print (sim, "FAILED: the kiosk's acknowledgement of %s cannot be read: %s",
                 event->control_id, error->message);
      return FALSE;
    }
  msa = wk_hl7_message_find_segment (message, "MSA", 0);
  if (msa < 0)
    {
      sim_print (sim, "FAILED: the kiosk's acknowledgement of %s has no MSA segment",
                 event->control_id);
      return FALSE;
    }
  code = wk_hl7_message_get_text (message, msa, 1, 1, 1, 0, NULL);
  control_id = wk_hl7_message_get_text (message, msa, 2, 1, 1, 0, NULL);
  if (g_strcmp0 (control_id, event->control_id) != 0)
    {
      sim_print (sim, "FAILED: sent %s, but the acknowledgement is for \"%s\"", event->control_id,
                 control_id != NULL ? control_id : "");
      return FALSE;
    }
  if (g_strcmp0 (code, "AA") == 0 || g_strcmp0 (code, "CA") == 0)
    return TRUE;
  err = wk_hl7_message_find_segment (message, "ERR", 0);
  sim_print (sim, "FAILED: the kiosk answered %s to %s (%s): %s", code != NULL ? code : "?",
             event->control_id, event->summary,
             err >= 0 ? wk_hl7_message_get_text (message, err, 8, 1, 1, 0, NULL)
                      : "no ERR segment");
  return FALSE;
}

static gboolean
parse_host_port (const char *text, char **host, guint16 *port)
{
  const char *colon = strrchr (text, ':');
  guint64     n = 0;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &n, NULL))
    return FALSE;
  *host = g_strndup (text, colon - text);
  *port = n;
  return TRUE;
}

static WkMllpClient *
connect_kiosk (Sim *sim, const char *host, guint16 port)
{
  WkMllpClientTls tls = { sim->tls_ca, sim->tls_cert, sim->tls_key, sim->tls_name };
  gint64   deadline = g_get_monotonic_time () + (gint64)sim->connect_timeout * G_USEC_PER_SEC;
  gboolean said = FALSE;

  while (!g_atomic_int_get (&sim->stop) && g_atomic_int_get (&sim->up))
    {
      g_autoptr (GError) error = NULL;
      WkMllpClient *client
          = wk_mllp_client_connect (host, port, sim->tls_ca != NULL ? &tls : NULL, 30, &error);

      if (client != NULL)
        {
          sim_print (sim, "connected to the kiosk at %s:%u%s", host, port,
                     sim->tls_ca != NULL ? " (TLS)" : "");
          return client;
        }
      if (g_get_monotonic_time () > deadline)
        {
          sim_print (sim, "FAILED: cannot reach the kiosk at %s:%u for %u s: %s", host, port,
                     sim->connect_timeout, error->message);
          g_atomic_int_set (&sim->failed, 1);
          return NULL;
        }
      if (!said)
        sim_print (sim, "waiting for the kiosk at %s:%u (%s)", host, port, error->message);
      said = TRUE;
      g_usleep (200000);
    }
  return NULL;
}

static gint64
parse_start (const char *text)
{
  g_autoptr (GDateTime) time = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();

  if (text == NULL)
    return g_get_real_time () / G_USEC_PER_SEC;
  time = g_date_time_new_from_iso8601 (text, utc);
  return time != NULL ? g_date_time_to_unix (time) : -1;
}

static gpointer
feed_thread (gpointer data)
{
  Sim         *sim = data;
  WkSimOptions options;
  g_autoptr (WkSimHospital) hospital = NULL;
  g_autoptr (WkMllpClient) client = NULL;
  g_autoptr (WkSimEvent) event = NULL; /* sent, not yet acknowledged */
  g_autofree char *host = NULL;
  guint16          port = 0;
  guint            stream = 0, n_initial = 0;
  gint64           started = g_get_monotonic_time ();
  gint64           real_start;

  wk_sim_options_init (&options);
  options.seed = sim->seed;
  options.n_wards = sim->n_wards;
  options.beds_per_ward = sim->beds;
  options.start = parse_start (sim->start);
  real_start = options.start;
  hospital = wk_sim_hospital_new (&options);
  sim_print (sim, "hospital: %u wards, %u beds, %u patients in (seed %u)", sim->n_wards,
             wk_sim_hospital_count_beds (hospital), wk_sim_hospital_count_occupied (hospital),
             sim->seed);
  if (sim->feed == NULL)
    {
      sim_print (sim, "no --feed given: serving the health endpoint only");
      return NULL;
    }
  parse_host_port (sim->feed, &host, &port);

  while (!g_atomic_int_get (&sim->stop))
    {
      g_autoptr (GBytes) ack = NULL;
      g_autoptr (GError) error = NULL;
      gint64 now;

      if (!g_atomic_int_get (&sim->up))
        {
          /* Down: the engine sends nothing and lets go of its connection. */
          g_clear_pointer (&client, wk_mllp_client_free);
          g_usleep (50000);
          continue;
        }
      if (client == NULL)
        {
          client = connect_kiosk (sim, host, port);
          if (client == NULL)
            break;
        }
      if (event == NULL && sim->messages > 0 && stream >= sim->messages)
        break;

      /* Simulated time: real time from the start when paced, else a fixed step. A message
       * not acknowledged is sent again first. */
      if (sim->rate > 0)
        now = real_start + (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
      else
        now = real_start + (gint64)stream * sim->step;
      if (event == NULL)
        event = wk_sim_hospital_next (hospital, now);
      ack = wk_mllp_client_exchange (client, event->message, &error);
      if (ack == NULL)
        {
          /* As an interface engine does: reconnect and send it again (a kiosk that applied
           * it already acknowledges the repeat without applying it twice). */
          sim_print (sim,
                     "lost the kiosk before it acknowledged %s (%s): reconnecting to send it "
                     "again",
                     event->control_id, error->message);
          g_clear_pointer (&client, wk_mllp_client_free);
          continue;
        }
      g_atomic_int_inc (&sim->sent);
      if (!check_ack (sim, event, ack))
        {
          g_atomic_int_set (&sim->failed, 1);
          break;
        }
      g_atomic_int_inc (&sim->accepted);
      if (event->initial)
        n_initial++;
      else
        stream++;
      if (sim->verbose || (sim->rate > 0 && !sim->quiet))
        sim_print (sim, "%s  %s  AA", event->control_id, event->summary);
      else if (!sim->quiet && g_atomic_int_get (&sim->sent) % 5000 == 0)
        sim_print (sim, "%d messages acknowledged", g_atomic_int_get (&sim->sent));
      g_clear_pointer (&event, wk_sim_event_free);
      if (sim->rate > 0)
        g_usleep ((gulong)(G_USEC_PER_SEC / sim->rate));
    }

  if (!g_atomic_int_get (&sim->failed))
    {
      double seconds = (g_get_monotonic_time () - started) / (double)G_USEC_PER_SEC;

      sim_print (sim,
                 "feed done: %d messages acknowledged AA (%u initial load, %u events) in %.1f s; "
                 "%u patients in beds",
                 g_atomic_int_get (&sim->accepted), n_initial, stream, seconds,
                 wk_sim_hospital_count_occupied (hospital));
    }
  g_atomic_int_set (&sim->done, 1);
  if (g_atomic_int_get (&sim->failed) || !sim->keep_running)
    {
      g_atomic_int_set (&sim->stop, 1);
      g_main_loop_quit (sim->loop);
    }
  return NULL;
}

/* --- health endpoint and control socket ---------------------------------------------- */

static void
health_reply (GSocketConnection *connection, gboolean up)
{
  GOutputStream   *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GInputStream    *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  const char      *body = up ? "up\n" : "down: central systems are in a simulated outage\n";
  g_autofree char *reply = NULL;
  char             request[1024];

  /* Read the request line (enough for GET /health); the answer does not depend on it. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 2);
  g_input_stream_read (in, request, sizeof request, NULL, NULL);
  reply = g_strdup_printf ("HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                           "Connection: close\r\n\r\n%s",
                           up ? "200 OK" : "503 Service Unavailable", strlen (body), body);
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static gboolean
health_cb (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  Sim *sim = data;

  health_reply (connection, g_atomic_int_get (&sim->up));
  return TRUE;
}

static gboolean
control_cb (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  Sim             *sim = data;
  GInputStream    *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream   *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  char             line[256] = { 0 };
  gssize           n;
  g_autofree char *reply = NULL;

  g_socket_set_timeout (g_socket_connection_get_socket (connection), 2);
  n = g_input_stream_read (in, line, sizeof line - 1, NULL, NULL);
  if (n > 0)
    line[n] = '\0';
  g_strstrip (line);
  if (strcmp (line, "down") == 0)
    set_up (sim, FALSE, "control socket");
  else if (strcmp (line, "up") == 0)
    set_up (sim, TRUE, "control socket");
  else if (strcmp (line, "quit") == 0)
    {
      g_atomic_int_set (&sim->stop, 1);
      g_main_loop_quit (sim->loop);
    }
  else if (strcmp (line, "status") != 0)
    {
      reply = g_strdup_printf ("error: unknown command \"%s\"; commands: up, down, status, quit\n",
                               line);
      g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
      return TRUE;
    }
  reply = g_strdup_printf ("%s sent=%d acknowledged=%d feed=%s\n",
                           g_atomic_int_get (&sim->up) ? "up" : "down",
                           g_atomic_int_get (&sim->sent), g_atomic_int_get (&sim->accepted),
                           g_atomic_int_get (&sim->failed) ? "failed"
                           : g_atomic_int_get (&sim->done) ? "done"
                                                           : "running");
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  return TRUE;
}

static gboolean
signal_down_cb (gpointer data)
{
  set_up (data, FALSE, "SIGUSR1");
  return G_SOURCE_CONTINUE;
}

static gboolean
signal_up_cb (gpointer data)
{
  set_up (data, TRUE, "SIGUSR2");
  return G_SOURCE_CONTINUE;
}

static gboolean
signal_quit_cb (gpointer data)
{
  Sim *sim = data;

  sim_print (sim, "stopping");
  g_atomic_int_set (&sim->stop, 1);
  g_main_loop_quit (sim->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
start_servers (Sim *sim, GError **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, sim->health_port);
  g_autoptr (GSocketAddress) effective = NULL;

  sim->health = g_threaded_socket_service_new (4);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (sim->health), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                      error))
    return FALSE;
  sim->health_port_bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (sim->health, "run", G_CALLBACK (health_cb), sim);
  g_socket_service_start (sim->health);

  if (sim->control_socket != NULL)
    {
      g_autoptr (GSocketAddress) path = g_unix_socket_address_new (sim->control_socket);

      g_unlink (sim->control_socket);
      sim->control = g_socket_service_new ();
      if (!g_socket_listener_add_address (G_SOCKET_LISTENER (sim->control), path,
                                          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                          NULL, error))
        return FALSE;
      g_signal_connect (sim->control, "incoming", G_CALLBACK (control_cb), sim);
      g_socket_service_start (sim->control);
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Sim sim = { .seed = 1, .n_wards = 1, .beds = 30, .step = 60, .connect_timeout = 30, .up = 1 };
  int seed = 1, n_wards = 1, beds = 30, messages = 0, step = 60, connect_timeout = 30;
  g_autoptr (GError) error = NULL;
  g_autoptr (GThread) thread = NULL;
  g_autofree char *feed = NULL, *tls_ca = NULL, *tls_cert = NULL, *tls_key = NULL, *tls_name = NULL,
                  *start = NULL, *ready_file = NULL, *control_socket = NULL;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "The hospital and its feed (default 1)", "N" },
    { "wards", 'w', 0, G_OPTION_ARG_INT, &n_wards, "Number of wards (default 1)", "N" },
    { "beds", 'b', 0, G_OPTION_ARG_INT, &beds, "Beds per ward (default 30)", "N" },
    { "feed", 'f', 0, G_OPTION_ARG_STRING, &feed,
      "Send the feed over MLLP to the kiosk at HOST:PORT", "HOST:PORT" },
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &tls_ca,
      "Use TLS; trust the kiosk's certificate from this CA (PEM)", "FILE" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Client certificate (PEM)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "Client key (PEM)", "FILE" },
    { "tls-name", 0, 0, G_OPTION_ARG_STRING, &tls_name,
      "The name the kiosk's certificate must carry (default: HOST)", "NAME" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &sim.rate,
      "Messages per second, in real time; 0 (default) as fast as the kiosk acknowledges", "N" },
    { "messages", 'n', 0, G_OPTION_ARG_INT, &messages,
      "Stop after N events following the initial load (default: never)", "N" },
    { "start", 0, 0, G_OPTION_ARG_STRING, &start, "Simulated start time, ISO 8601 (default: now)",
      "TIME" },
    { "step", 0, 0, G_OPTION_ARG_INT, &step,
      "Simulated seconds between events when not paced (default 60)", "S" },
    { "health-port", 'p', 0, G_OPTION_ARG_INT, &sim.health_port,
      "Port of the health endpoint on 127.0.0.1; 0 (default) picks one", "PORT" },
    { "ready-file", 0, 0, G_OPTION_ARG_FILENAME, &ready_file,
      "Once listening, write health-port=N and pid=N to FILE", "FILE" },
    { "control-socket", 'c', 0, G_OPTION_ARG_FILENAME, &control_socket,
      "Unix socket taking the commands down, up, status and quit", "PATH" },
    { "keep-running", 'k', 0, G_OPTION_ARG_NONE, &sim.keep_running,
      "After the last message, keep serving the health endpoint until stopped", NULL },
    { "connect-timeout", 0, 0, G_OPTION_ARG_INT, &connect_timeout,
      "Seconds to keep trying to reach the kiosk (default 30)", "S" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &sim.verbose, "Print every message", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &sim.quiet, "Print only the start and the end", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- the hospital's central systems, simulated");

  setlocale (LC_ALL, "");
  g_option_context_set_summary (
      context,
      "Streams a synthetic hospital's HL7 v2 feed over MLLP to a wardkeep kiosk, checks every\n"
      "acknowledgement, and serves the health endpoint the kiosk probes (GET /health on\n"
      "127.0.0.1: 200 when up, 503 when down). An outage: SIGUSR1 or \"down\" on the control\n"
      "socket takes the central systems down (health 503, the feed stops); SIGUSR2 or \"up\"\n"
      "brings them back. Everything in the feed is invented; NHS numbers are 999 test numbers.\n"
      "Exit status: 0 done, 1 an acknowledgement was not AA or the kiosk could not be\n"
      "reached, 2 a mistyped command line.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "wardkeep-sim: %s\nRun 'wardkeep-sim --help' for its options.\n",
               error->message);
      return EXIT_USAGE;
    }
  sim.feed = feed;
  sim.tls_ca = tls_ca;
  sim.tls_cert = tls_cert;
  sim.tls_key = tls_key;
  sim.tls_name = tls_name;
  sim.start = start;
  sim.ready_file = ready_file;
  sim.control_socket = control_socket;
  {
    g_autofree char *host = NULL;
    guint16          port = 0;
    const char      *problem = NULL;

    if (seed < 0)
      problem = "--seed must be 0 or more";
    else if (n_wards < 1 || n_wards > 200)
      problem = "--wards must be from 1 to 200";
    else if (beds < 1 || beds > 60)
      problem = "--beds must be from 1 to 60 per ward";
    else if (messages < 0 || step < 1 || connect_timeout < 1 || sim.rate < 0)
      problem = "--messages, --step, --connect-timeout and --rate must be positive";
    else if (sim.health_port < 0 || sim.health_port > 65535)
      problem = "--health-port must be from 0 to 65535";
    else if (sim.feed != NULL && !parse_host_port (sim.feed, &host, &port))
      problem = "--feed must be HOST:PORT, e.g. 127.0.0.1:2575";
    else if ((sim.tls_cert != NULL) != (sim.tls_key != NULL))
      problem = "--tls-cert and --tls-key go together";
    else if (sim.tls_cert != NULL && sim.tls_ca == NULL)
      problem = "--tls-cert needs --tls-ca (the CA of the kiosk's certificate)";
    else if (parse_start (sim.start) < 0)
      problem = "--start must be an ISO 8601 time such as 2026-03-02T07:00:00Z";
    if (problem != NULL)
      {
        fprintf (stderr, "wardkeep-sim: %s\nRun 'wardkeep-sim --help' for its options.\n", problem);
        return EXIT_USAGE;
      }
  }
  sim.seed = seed;
  sim.n_wards = n_wards;
  sim.beds = beds;
  sim.messages = messages;
  sim.step = step;
  sim.connect_timeout = connect_timeout;
  g_mutex_init (&sim.print_lock);
  sim.loop = g_main_loop_new (NULL, FALSE);

  if (!start_servers (&sim, &error))
    {
      fprintf (stderr, "wardkeep-sim: cannot listen: %s\n", error->message);
      return EXIT_FAILED;
    }
  g_unix_signal_add (SIGUSR1, signal_down_cb, &sim);
  g_unix_signal_add (SIGUSR2, signal_up_cb, &sim);
  g_unix_signal_add (SIGINT, signal_quit_cb, &sim);
  g_unix_signal_add (SIGTERM, signal_quit_cb, &sim);

  if (sim.ready_file != NULL)
    {
      g_autofree char *text
          = g_strdup_printf ("health-port=%u\npid=%d\n", sim.health_port_bound, (int)getpid ());

      if (!g_file_set_contents (sim.ready_file, text, -1, &error))
        {
          fprintf (stderr, "wardkeep-sim: cannot write %s: %s\n", sim.ready_file, error->message);
          return EXIT_FAILED;
        }
    }
  sim_print (&sim, "ready: health endpoint http://127.0.0.1:%u/health%s%s; feed to %s",
             sim.health_port_bound, sim.control_socket ? ", control socket " : "",
             sim.control_socket ? sim.control_socket : "", sim.feed ? sim.feed : "nobody");

  thread = g_thread_new ("feed", feed_thread, &sim);
  if (sim.feed != NULL || sim.keep_running)
    g_main_loop_run (sim.loop);
  g_atomic_int_set (&sim.stop, 1);
  g_thread_join (g_steal_pointer (&thread));

  g_socket_service_stop (sim.health);
  g_socket_listener_close (G_SOCKET_LISTENER (sim.health));
  g_object_unref (sim.health);
  if (sim.control != NULL)
    {
      g_socket_listener_close (G_SOCKET_LISTENER (sim.control));
      g_object_unref (sim.control);
      g_unlink (sim.control_socket);
    }
  g_main_loop_unref (sim.loop);
  /* TLS handshakes ran in GIO's worker threads: let them exit before the process does
   * (LeakSanitizer's check at exit crashes on a thread exiting meanwhile). */
  for (int i = 0; sim.tls_ca != NULL && i < 15; i++)
    {
      g_thread_pool_stop_unused_threads ();
      g_usleep (100000);
    }
  return g_atomic_int_get (&sim.failed) ? EXIT_FAILED : EXIT_OK;
}
