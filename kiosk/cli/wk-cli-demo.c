/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-demo.c — `wardkeep demo`: a simulated ward on the kiosk, and an outage on a key.
 *
 * Everything real, on this machine only: the simulator of the central systems
 * (wardkeep-sim: a 30-bed ward's HL7 feed over MLLP and a health endpoint), the daemon
 * (wardkeepd: it follows the feed, keeps snapshots, probes the health endpoint and
 * prints the ward when it goes down), a printer (ippeveprinter on a free loopback port,
 * keeping every PDF it receives in a folder) and the kiosk (wardkeep-kiosk on the
 * display, or through GTK's Broadway backend in a browser when there is none). They run
 * in a throw-away folder with a demo key and configuration, each in its own process
 * group and told to die with the demo (PR_SET_PDEATHSIG), so that Ctrl-C — or the demo
 * being killed — leaves nothing running. Everything in it is invented. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-control.h"
#include "wk-keys.h"
#include "wk-kiosk-status.h"
#include "wk-pin-guard.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define DEMO_WARD_PIN "1234"
#define DEMO_ADMIN_PIN "4321"
#define READY_TIMEOUT_S 60

typedef struct
{
  char        *name; /* what the person is told: "the simulator" */
  GSubprocess *process;
  char        *log;
} Child;

typedef struct
{
  /* options */
  char    *dir;
  int      for_seconds;
  gboolean broadway;
  int      beds;
  double   rate;

  /* the folder */
  char *printed_dir;
  char *logs_dir;
  char *config_path;
  char *socket_path;
  char *run_dir;

  /* what runs, in the order it is started */
  GPtrArray *children; /* Child */
  Child     *sim;
  Child     *daemon;
  Child     *kiosk;

  GMainLoop        *loop;
  WkControlClient  *client;
  WkKioskMode       mode;
  GDataInputStream *input;
  GCancellable     *cancellable;
  gboolean          stopping;
  int               status;
  guint             printed_seen;
} Demo;

static void demo_stop (Demo *demo, int status);

static void say (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Everything the demo says goes to standard output, one stamped line at a time. */
static void
say (const char *format, ...)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *text = NULL;
  va_list          args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("[%s] %s\n", stamp, text);
  fflush (stdout);
}

static void
child_free (Child *child)
{
  g_free (child->name);
  g_clear_object (&child->process);
  g_free (child->log);
  g_free (child);
}

/* ---- Finding the programs -------------------------------------------------------------- */

/* Next to this program (installed), in the build tree (kiosk/cli/../SUBDIR), or on PATH. */
static char *
find_program (const char *name, const char *build_subdir)
{
  g_autofree char  *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char  *here = self != NULL ? g_path_get_dirname (self) : g_strdup (".");
  g_autofree char  *beside = g_build_filename (here, name, NULL);
  g_autofree char  *built = g_build_filename (here, "..", "..", build_subdir, name, NULL);
  const char *const other[] = { "/usr/sbin", "/usr/libexec/wardkeep", "/usr/lib/wardkeep" };
  char             *found;

  if (g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
    return g_canonicalize_filename (built, NULL);
  if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&beside);
  found = g_find_program_in_path (name);
  if (found != NULL)
    return found;
  for (guint i = 0; i < G_N_ELEMENTS (other); i++)
    {
      char *path = g_build_filename (other[i], name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return path;
      g_free (path);
    }
  return NULL;
}

/* ---- Starting and stopping ------------------------------------------------------------- */

static void
child_setup (gpointer data)
{
  /* Its own process group, so that Ctrl-C reaches the demo only and it stops them in
   * order; and dead with the demo, however the demo dies. */
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
child_exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Demo  *demo = user_data;
  Child *child = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  if (demo->stopping)
    return;
  for (guint i = 0; i < demo->children->len; i++)
    if (((Child *)demo->children->pdata[i])->process == G_SUBPROCESS (source))
      child = demo->children->pdata[i];
  if (child == NULL)
    return;
  say ("%s stopped by itself (%s): stopping the demo. Its log: %s", child->name,
       g_subprocess_get_if_exited (G_SUBPROCESS (source)) ? "it exited" : "killed by a signal",
       child->log);
  demo_stop (demo, WK_CLI_EXIT_FAILED);
}

static Child *
start (Demo              *demo,
       const char        *name,
       const char        *log_name,
       const char *const *argv,
       const char *const *env,
       GError           **error)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  Child *child = g_new0 (Child, 1);

  child->name = g_strdup (name);
  child->log = g_build_filename (demo->logs_dir, log_name, NULL);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, child->log);
  g_subprocess_launcher_set_stderr_file_path (launcher, child->log);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "CREDENTIALS_DIRECTORY");
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1] != NULL ? pair[1] : "", TRUE);
    }
  child->process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (child->process == NULL)
    {
      child_free (child);
      return NULL;
    }
  g_ptr_array_add (demo->children, child);
  g_subprocess_wait_async (child->process, NULL, child_exited_cb, demo);
  return child;
}

/* Stops a child that did not come up, without it counting as a failure. */
static void
discard (Demo *demo, Child *child)
{
  g_subprocess_force_exit (child->process);
  g_subprocess_wait (child->process, NULL, NULL);
  g_ptr_array_remove (demo->children, child);
}

static gboolean
wait_for (GSubprocess *process, gboolean (*ready) (gpointer), gpointer data, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (ready (data))
        return TRUE;
      if (process != NULL && g_subprocess_get_identifier (process) == NULL)
        return FALSE;
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
      g_usleep (20000);
    }
  return FALSE;
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
port_answers (gpointer data)
{
  guint16 port = GPOINTER_TO_UINT (data);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;

  g_socket_client_set_timeout (client, 1);
  /* Loopback: never through a proxy (whose settings may not even be readable). */
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

static gboolean
daemon_answers (gpointer data)
{
  g_autoptr (JsonNode) status = wk_control_call_sync (data, "status", NULL, 2000, NULL);

  return status != NULL;
}

/* A port free on loopback now (bound to 0, read back, released). */
static guint16
free_port (GError **error)
{
  g_autoptr (GSocket) socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  return bound != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) : 0;
}

static void
demo_stop (Demo *demo, int status)
{
  if (demo->stopping)
    return;
  demo->stopping = TRUE;
  demo->status = MAX (demo->status, status);
  g_cancellable_cancel (demo->cancellable);
  if (demo->client != NULL)
    wk_control_client_close (demo->client);
  say ("Stopping everything the demo started…");
  /* The other way round from the start: kiosk, daemon, simulator, printer. */
  for (guint i = demo->children->len; i > 0; i--)
    {
      Child *child = demo->children->pdata[i - 1];
      gint64 deadline;

      if (g_subprocess_get_identifier (child->process) == NULL)
        continue;
      g_subprocess_send_signal (child->process, SIGTERM);
      deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
      while (g_subprocess_get_identifier (child->process) != NULL
             && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (10000);
        }
      if (g_subprocess_get_identifier (child->process) != NULL)
        {
          g_subprocess_force_exit (child->process);
          g_subprocess_wait (child->process, NULL, NULL);
        }
    }
  if (demo->loop != NULL)
    g_main_loop_quit (demo->loop);
}

/* ---- The folder ------------------------------------------------------------------------- */

static gboolean
prepare_folder (Demo *demo, GError **error)
{
  g_autofree char *key = NULL;

  if (demo->dir == NULL)
    {
      demo->dir = g_dir_make_tmp ("wardkeep-demo-XXXXXX", error);
      if (demo->dir == NULL)
        return FALSE;
    }
  else if (g_mkdir_with_parents (demo->dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot make the demo folder %s: %s", demo->dir, g_strerror (errno));
      return FALSE;
    }
  g_chmod (demo->dir, 0700);
  demo->printed_dir = g_build_filename (demo->dir, "printed", NULL);
  demo->logs_dir = g_build_filename (demo->dir, "logs", NULL);
  demo->run_dir = g_build_filename (demo->dir, "run", NULL);
  demo->config_path = g_build_filename (demo->dir, "wardkeep.conf", NULL);
  demo->socket_path = g_build_filename (demo->dir, "control", NULL);
  g_mkdir_with_parents (demo->printed_dir, 0700);
  g_mkdir_with_parents (demo->logs_dir, 0700);
  g_mkdir_with_parents (demo->run_dir, 0700);
  key = g_build_filename (demo->dir, "demo.key", NULL);
  if (!g_file_test (key, G_FILE_TEST_EXISTS) && !wk_keys_create_file (key, error))
    return FALSE;
  return TRUE;
}

static gboolean
write_config (Demo *demo, guint16 feed_port, guint16 health_port, guint16 ipp_port, GError **error)
{
  g_autofree char *ward_pin = wk_pin_hash (DEMO_WARD_PIN, error);
  g_autofree char *admin_pin = ward_pin != NULL ? wk_pin_hash (DEMO_ADMIN_PIN, error) : NULL;
  g_autofree char *text = NULL;

  if (admin_pin == NULL)
    return FALSE;
  text = g_strdup_printf (
      "# wardkeep demo: a throw-away kiosk on this machine only. Everything is invented.\n"
      "[ward]\nid = 7A\n\n"
      "[keys]\nfile = %s/demo.key\n\n"
      "[snapshot]\ndirectory = %s/snapshots\ndebounce = 1s\nmax-delay = 5s\n\n"
      "[feed]\naddress = 127.0.0.1\nport = %u\n\n"
      "# Quick to notice for a demo: DOWNTIME about 6 s after the systems stop answering.\n"
      "[monitor]\ninterval = 2s\ntimeout = 1s\nfailures-to-confirm = 3\nsuccesses-to-recover = "
      "2\n\n"
      "[probe epr]\nkind = http\nurl = http://127.0.0.1:%u/health\n\n"
      "[printer demo]\nuri = ipp://localhost:%u/ipp/print\n"
      "description = the demo's printer: PDFs in %s\nconnect-timeout = 3s\n\n"
      "[daemon]\ncontrol-socket = %s\nstate-directory = %s/state\n\n"
      "[kiosk]\n# The ward PIN is " DEMO_WARD_PIN ", the admin PIN " DEMO_ADMIN_PIN ".\n"
      "ward-pin = %s\nadmin-pin = %s\nlock-after = 10min\nstate-directory = %s/kiosk-state\n",
      demo->dir, demo->dir, feed_port, health_port, ipp_port, demo->printed_dir, demo->socket_path,
      demo->dir, ward_pin, admin_pin, demo->dir);
  return g_file_set_contents_full (demo->config_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

/* ---- Following the daemon ----------------------------------------------------------------- */

static guint
count_printed (Demo *demo)
{
  g_autoptr (GDir) dir = g_dir_open (demo->printed_dir, 0, NULL);
  const char *name;
  guint       n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    n += g_str_has_suffix (name, ".pdf");
  return n;
}

static void
event_cb (WkControlClient *client, const char *event, JsonObject *params, Demo *demo)
{
  if (g_strcmp0 (event, "status") == 0 && params != NULL)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), params);
      g_autoptr (WkKioskStatus) status = wk_kiosk_status_new_from_json (node, NULL);

      if (status == NULL || status->mode == demo->mode)
        return;
      demo->mode = status->mode;
      switch (status->mode)
        {
        case WK_KIOSK_MODE_ONLINE:
          say ("Ward 7A is ONLINE: the central systems answer.");
          break;
        case WK_KIOSK_MODE_SUSPECT:
          say ("SUSPECT: the central systems stopped answering; confirming…");
          break;
        case WK_KIOSK_MODE_DOWNTIME:
          say ("DOWNTIME (%s): the daemon prints the ward now, to %s",
               status->reason != NULL ? status->reason : "", demo->printed_dir);
          break;
        case WK_KIOSK_MODE_RECOVERING:
          say ("RECOVERING: the central systems answer again; the ward stays on paper until "
               "ONLINE.");
          break;
        case WK_KIOSK_MODE_DRILL:
          say ("DRILL: a drill is running (started on the kiosk).");
          break;
        case WK_KIOSK_MODE_UNKNOWN:
          break;
        }
    }
  else if (g_strcmp0 (event, "print") == 0)
    {
      guint printed = count_printed (demo);

      if (printed != demo->printed_seen)
        {
          demo->printed_seen = printed;
          say ("%u PDF%s in %s", printed, printed == 1 ? "" : "s", demo->printed_dir);
        }
    }
}

static void
subscribed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  wk_control_client_subscribe_finish (WK_CONTROL_CLIENT (source), result, NULL);
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Demo *demo = user_data;

  if (wk_control_client_connect_finish (WK_CONTROL_CLIENT (source), result, NULL))
    wk_control_client_subscribe_async (demo->client, demo->cancellable, subscribed_cb, demo);
}

/* ---- Keys --------------------------------------------------------------------------------- */

static void read_next_line (Demo *demo);

static void
line_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Demo *demo = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);
  char             key;

  if (line == NULL)
    {
      /* End of input (not a terminal, or closed): the demo runs on until Ctrl-C or --for. */
      return;
    }
  key = g_ascii_tolower (g_strstrip (line)[0]);
  if (key == 'o')
    {
      say ("Taking the central systems DOWN (the health endpoint answers 503, the feed stops).");
      say ("Watch the kiosk: SUSPECT, then DOWNTIME in about 6 s, and the ward printed to %s",
           demo->printed_dir);
      g_subprocess_send_signal (demo->sim->process, SIGUSR1);
    }
  else if (key == 'u')
    {
      say ("Bringing the central systems back UP: RECOVERING, then ONLINE in a few seconds.");
      g_subprocess_send_signal (demo->sim->process, SIGUSR2);
    }
  else if (key == 'q')
    {
      demo_stop (demo, WK_CLI_EXIT_OK);
      return;
    }
  else if (key != '\0')
    say (
        "Keys: O and Enter for an outage, U and Enter to end it, Q and Enter (or Ctrl-C) to stop.");
  read_next_line (demo);
}

static void
read_next_line (Demo *demo)
{
  if (!demo->stopping)
    g_data_input_stream_read_line_async (demo->input, G_PRIORITY_DEFAULT, demo->cancellable,
                                         line_read_cb, demo);
}

static gboolean
interrupted_cb (gpointer user_data)
{
  demo_stop (user_data, WK_CLI_EXIT_OK);
  return G_SOURCE_CONTINUE;
}

static gboolean
time_up_cb (gpointer user_data)
{
  Demo *demo = user_data;

  say ("%d s are up (--for).", demo->for_seconds);
  demo_stop (demo, WK_CLI_EXIT_OK);
  return G_SOURCE_REMOVE;
}

/* ---- The demo ------------------------------------------------------------------------------ */

static gboolean
read_ready_file (const char *path, guint16 *health_port)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "health-port="))
      {
        *health_port = (guint16)g_ascii_strtoull (lines[i] + strlen ("health-port="), NULL, 10);
        return *health_port != 0;
      }
  return FALSE;
}

static gboolean
start_printer (Demo *demo, guint16 *ipp_port, GError **error)
{
  g_autofree char *bus = g_build_filename (demo->dir, "bus.sock", NULL);
  g_autofree char *bus_address = g_strdup_printf ("unix:path=%s", bus);
  g_autofree char *bus_env = g_strdup_printf ("DBUS_SYSTEM_BUS_ADDRESS=%s", bus_address);
  g_autofree char *dbus = find_program ("dbus-daemon", ".");
  g_autofree char *ippeveprinter = find_program ("ippeveprinter", ".");
  g_autofree char *address_arg = g_strdup_printf ("--address=%s", bus_address);
  const char *dbus_argv[] = { dbus, "--session", address_arg, "--nofork", "--nopidfile", NULL };
  const char *env[] = { bus_env, NULL };

  if (dbus == NULL || ippeveprinter == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "the demo's printer needs ippeveprinter and dbus-daemon (Debian packages "
                   "cups-ipp-utils and dbus-daemon; tests/run demo installs them)");
      return FALSE;
    }
  /* ippeveprinter wants a D-Bus system bus for DNS-SD; a private one will do. */
  if (start (demo, "the printer's D-Bus", "dbus.log", dbus_argv, NULL, error) == NULL)
    return FALSE;
  if (!wait_for (NULL, file_exists, bus, 10))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "dbus-daemon did not start");
      return FALSE;
    }
  /* A free port may be taken between the look and the listen: try a few. */
  for (int attempt = 0; attempt < 5; attempt++)
    {
      g_autofree char *port_arg = NULL;
      Child           *printer;
      guint16          port = free_port (error);
      const char      *argv[] = { ippeveprinter, "-k",  "-c",
                                  "/bin/true",   "-d",  demo->printed_dir,
                                  "-p",          NULL,  "-n",
                                  "localhost",   "-f",  "application/pdf",
                                  "-r",          "off", "wardkeep-demo",
                                  NULL };

      if (port == 0)
        return FALSE;
      port_arg = g_strdup_printf ("%u", port);
      argv[7] = port_arg;
      printer = start (demo, "the printer", "ippeveprinter.log", argv, env, error);
      if (printer == NULL)
        return FALSE;
      if (wait_for (printer->process, port_answers, GUINT_TO_POINTER (port), 15))
        {
          *ipp_port = port;
          return TRUE;
        }
      discard (demo, printer);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "ippeveprinter did not start (see %s/ippeveprinter.log)", demo->logs_dir);
  return FALSE;
}

static gboolean
start_kiosk (Demo *demo, GError **error)
{
  g_autofree char *kiosk = find_program ("wardkeep-kiosk", "kiosk/app");
  const char      *x11 = g_getenv ("DISPLAY");
  const char      *wayland = g_getenv ("WAYLAND_DISPLAY");
  gboolean         display = (x11 != NULL && *x11 != '\0') || (wayland != NULL && *wayland != '\0');
  g_autofree char *runtime_env = g_strdup_printf ("XDG_RUNTIME_DIR=%s", demo->run_dir);

  if (kiosk == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "wardkeep-kiosk is not built or installed");
      return FALSE;
    }
  if (display && !demo->broadway)
    {
      const char *argv[] = { kiosk, "--config", demo->config_path, "--windowed", NULL };

      demo->kiosk = start (demo, "the kiosk", "wardkeep-kiosk.log", argv, NULL, error);
      if (demo->kiosk == NULL)
        return FALSE;
      say ("The kiosk is on your display (a window; on a ward it is fullscreen).");
      return TRUE;
    }

  /* No display: GTK's Broadway backend draws the kiosk in a web browser. */
  {
    g_autofree char *broadwayd = find_program ("gtk4-broadwayd", ".");
    guint16          port = 0;

    if (broadwayd == NULL)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "there is no display and no gtk4-broadwayd to show the kiosk in a browser "
                     "(Debian package libgtk-4-bin)");
        return FALSE;
      }
    for (int attempt = 0; attempt < 5 && port == 0; attempt++)
      {
        g_autofree char *port_arg = NULL;
        Child           *server;
        guint16          candidate = free_port (error);
        const char *argv[] = { broadwayd, "--address", "127.0.0.1", "--port", NULL, ":1", NULL };
        const char *env[] = { runtime_env, NULL };

        if (candidate == 0)
          return FALSE;
        port_arg = g_strdup_printf ("%u", candidate);
        argv[4] = port_arg;
        server = start (demo, "the Broadway server", "broadwayd.log", argv, env, error);
        if (server == NULL)
          return FALSE;
        if (wait_for (server->process, port_answers, GUINT_TO_POINTER (candidate), 15))
          port = candidate;
        else
          discard (demo, server);
      }
    if (port == 0)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "gtk4-broadwayd did not start (see %s/broadwayd.log)", demo->logs_dir);
        return FALSE;
      }
    {
      const char *argv[] = { kiosk, "--config", demo->config_path, NULL };
      const char *env[] = { "GDK_BACKEND=broadway", "BROADWAY_DISPLAY=:1", runtime_env, NULL };

      demo->kiosk = start (demo, "the kiosk", "wardkeep-kiosk.log", argv, env, error);
      if (demo->kiosk == NULL)
        return FALSE;
    }
    say ("No display here: the kiosk is served by GTK's Broadway backend. Open");
    say ("    http://127.0.0.1:%u/", port);
    say ("in a web browser on this machine (or through an SSH tunnel: ssh -L %u:127.0.0.1:%u).",
         port, port);
  }
  return TRUE;
}

static int
demo_run (Demo *demo)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sim = find_program ("wardkeep-sim", "tests/sim");
  g_autofree char *daemon = find_program ("wardkeepd", "kiosk/daemon");
  g_autofree char *ready = NULL;
  g_autofree char *beds = g_strdup_printf ("%d", demo->beds);
  g_autofree char *rate = g_strdup_printf ("%g", demo->rate);
  g_autofree char *feed = NULL;
  guint16          feed_port, health_port = 0, ipp_port = 0;

  if (sim == NULL || daemon == NULL)
    return wk_cli_fail ("the demo needs wardkeep-sim and wardkeepd, which are not built or "
                        "installed here (run tests/run demo from a clone)");
  if (!prepare_folder (demo, &error))
    return wk_cli_fail ("%s", error->message);
  say ("wardkeep demo: a simulated 30-bed ward on this machine only. Everything is invented.");
  say ("The demo's folder (key, configuration, snapshots, logs): %s", demo->dir);

  if (!start_printer (demo, &ipp_port, &error))
    goto failed;
  say ("Printer: ipp://localhost:%u/ipp/print keeps every page it prints as a PDF in", ipp_port);
  say ("    %s", demo->printed_dir);

  /* The simulator keeps trying to reach the daemon's feed port until the daemon listens. */
  feed_port = free_port (&error);
  if (feed_port == 0)
    goto failed;
  ready = g_build_filename (demo->dir, "sim.ready", NULL);
  feed = g_strdup_printf ("127.0.0.1:%u", feed_port);
  {
    const char *argv[] = { sim,
                           "--beds",
                           beds,
                           "--feed",
                           feed,
                           "--health-port",
                           "0",
                           "--ready-file",
                           ready,
                           "--keep-running",
                           "--rate",
                           rate,
                           "--connect-timeout",
                           "120",
                           NULL };

    demo->sim = start (demo, "the simulator", "wardkeep-sim.log", argv, NULL, &error);
    if (demo->sim == NULL)
      goto failed;
    if (!wait_for (demo->sim->process, file_exists, ready, READY_TIMEOUT_S)
        || !read_ready_file (ready, &health_port))
      {
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "the simulator did not start (see %s)",
                     demo->sim->log);
        goto failed;
      }
  }
  say ("Central systems (simulated): the HL7 feed of ward 7A, health at http://127.0.0.1:%u/health",
       health_port);

  if (!write_config (demo, feed_port, health_port, ipp_port, &error))
    goto failed;
  {
    const char *argv[] = { daemon, "--config", demo->config_path, NULL };

    demo->daemon = start (demo, "the daemon (wardkeepd)", "wardkeepd.log", argv, NULL, &error);
    if (demo->daemon == NULL)
      goto failed;
    if (!wait_for (demo->daemon->process, daemon_answers, demo->socket_path, READY_TIMEOUT_S))
      {
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "wardkeepd did not start (see %s)",
                     demo->daemon->log);
        goto failed;
      }
  }
  say ("wardkeepd follows the feed and probes the health endpoint every 2 s.");

  if (!start_kiosk (demo, &error))
    goto failed;

  demo->client = wk_control_client_new (demo->socket_path);
  wk_control_client_set_reconnect_interval (demo->client, 1000);
  g_signal_connect (demo->client, "event", G_CALLBACK (event_cb), demo);
  wk_control_client_connect_async (demo->client, demo->cancellable, connected_cb, demo);

  printf ("\n");
  say ("Ready. The ward PIN is " DEMO_WARD_PIN
       " (unlock to see patients and print), the admin PIN " DEMO_ADMIN_PIN
       " (downtime and drills).");
  say ("To stage an outage, press O and Enter here: the central systems go down, the kiosk turns");
  say ("SUSPECT then DOWNTIME, and the ward's charts and census print to %s", demo->printed_dir);
  say ("Press U and Enter to bring the systems back, Q and Enter or Ctrl-C to stop everything.");
  printf ("\n");

  if (demo->for_seconds > 0)
    g_timeout_add_seconds (demo->for_seconds, time_up_cb, demo);
  {
    g_autoptr (GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);

    demo->input = g_data_input_stream_new (in);
    read_next_line (demo);
  }
  if (!demo->stopping)
    g_main_loop_run (demo->loop);
  say ("Stopped. The demo's folder stays for you to look at: %s (remove it with rm -r).",
       demo->dir);
  return demo->status;

failed:
  demo_stop (demo, WK_CLI_EXIT_FAILED);
  return wk_cli_fail ("%s", error->message);
}

/**
 * wk_cli_demo:
 * @argc: the arguments' count
 * @argv: `demo [--for SECONDS] [--broadway] [--dir DIR] [--beds N] [--rate N]`
 *
 * Returns: the exit status
 */
int
wk_cli_demo (int argc, char **argv)
{
  Demo         demo = { .beds = 30, .rate = 5 };
  char        *dir = NULL;
  GOptionEntry entries[] = {
    { "for", 0, 0, G_OPTION_ARG_INT, &demo.for_seconds, "Stop by itself after SECONDS", "SECONDS" },
    { "broadway", 0, 0, G_OPTION_ARG_NONE, &demo.broadway,
      "Show the kiosk in a web browser (GTK's Broadway) even when there is a display", NULL },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "The demo's folder (default: a new one in /tmp)",
      "DIR" },
    { "beds", 0, 0, G_OPTION_ARG_INT, &demo.beds, "Beds on the ward (default 30)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &demo.rate,
      "HL7 messages per second from the simulator (default 10)", "N" },
    { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  int             status;
  guint           sigint, sigterm;

  g_option_context_set_summary (
      context,
      "Runs wardkeep on a simulated ward on this machine: the central systems' simulator, the\n"
      "daemon, a printer that keeps PDFs in a folder, and the kiosk (on the display, or in a\n"
      "web browser through GTK's Broadway when there is none). Press O and Enter to take the\n"
      "central systems down and watch the ward print; U brings them back; Ctrl-C stops all.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("demo", "unexpected argument '%s'", argv[1]);
  if (demo.for_seconds < 0 || demo.beds < 6 || demo.beds > 200 || demo.rate <= 0)
    return wk_cli_usage ("demo", "--for must be positive, --beds from 6 to 200, --rate above 0");

  demo.dir = dir;
  demo.children = g_ptr_array_new_with_free_func ((GDestroyNotify)child_free);
  demo.loop = g_main_loop_new (NULL, FALSE);
  demo.cancellable = g_cancellable_new ();
  sigint = g_unix_signal_add (SIGINT, interrupted_cb, &demo);
  sigterm = g_unix_signal_add (SIGTERM, interrupted_cb, &demo);

  status = demo_run (&demo);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_object (&demo.client);
  g_clear_object (&demo.input);
  g_clear_object (&demo.cancellable);
  g_ptr_array_unref (demo.children);
  g_main_loop_unref (demo.loop);
  g_free (demo.dir);
  g_free (demo.printed_dir);
  g_free (demo.logs_dir);
  g_free (demo.config_path);
  g_free (demo.socket_path);
  g_free (demo.run_dir);
  return status;
}
