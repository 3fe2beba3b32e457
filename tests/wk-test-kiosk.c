/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-kiosk.c — a whole kiosk in a scratch folder for the daemon and command tests: its
 * key, snapshots, configuration, printers on a private cupsd, and wardkeepd as a process. */

#include "wk-test-kiosk.h"

#include "wk-chart-id.h"
#include "wk-control.h"
#include "wk-keys.h"
#include "wk-test-util.h"

#include <fcntl.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct _WkTestKiosk
{
  char          *dir;
  char          *config_path;
  char          *key_path;
  char          *snapshot_dir;
  char          *state_dir;
  char          *socket;
  char          *log_path;
  WkTestCups    *cups;
  WkTestPrinter *office;
  WkTestPrinter *station;
  WkKeys        *keys;
  GSubprocess   *daemon;
  guint          n_starts;
};

/**
 * wk_test_run_clear:
 * @run: a #WkTestRun
 */
void
wk_test_run_clear (WkTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/**
 * wk_test_run_wardkeep:
 * @run: (out caller-allocates): how it ended
 * @input: (nullable): its standard input
 * @...: its arguments, %NULL-terminated
 *
 * Runs the `wardkeep` command of this build, without a systemd credential.
 */
void
wk_test_run_wardkeep (WkTestRun *run, const char *input, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, wk_test_build_path ("kiosk", "cli", "wardkeep", NULL));
  va_start (args, input);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "CREDENTIALS_DIRECTORY");
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (
      g_subprocess_communicate_utf8 (process, input, NULL, &run->out, &run->err, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_error ("wardkeep %s died (signal %d):\n%s", (char *)argv->pdata[1],
             g_subprocess_get_term_sig (process), run->err);
  run->status = g_subprocess_get_exit_status (process);
}

/**
 * wk_test_kiosk_new:
 *
 * Returns: (transfer full): a kiosk with its key, its printers and a configuration
 */
WkTestKiosk *
wk_test_kiosk_new (void)
{
  WkTestKiosk *kiosk = g_new0 (WkTestKiosk, 1);
  g_autoptr (GError) error = NULL;

  kiosk->dir = wk_test_scratch_dir ();
  kiosk->config_path = g_build_filename (kiosk->dir, "wardkeep.conf", NULL);
  kiosk->key_path = g_build_filename (kiosk->dir, "wardkeep.key", NULL);
  kiosk->snapshot_dir = g_build_filename (kiosk->dir, "snapshots", NULL);
  kiosk->state_dir = g_build_filename (kiosk->dir, "state", NULL);
  kiosk->socket = g_build_filename (kiosk->dir, "control", NULL);
  kiosk->log_path = g_build_filename (kiosk->dir, "wardkeepd.log", NULL);
  g_assert_true (wk_keys_create_file (kiosk->key_path, &error));
  g_assert_no_error (error);
  kiosk->keys = wk_keys_load (kiosk->key_path, &error);
  g_assert_no_error (error);
  kiosk->cups = wk_test_cups_new ();
  kiosk->office = wk_test_cups_add_printer (kiosk->cups, "office", TRUE);
  kiosk->station = wk_test_cups_add_printer (kiosk->cups, "station", TRUE);
  wk_test_kiosk_write_config (kiosk, NULL);
  return kiosk;
}

/**
 * wk_test_kiosk_free:
 * @kiosk: (transfer full): a #WkTestKiosk
 *
 * Kills its daemon, its printers and its cupsd; on a failing test (or with
 * WK_TEST_SHOW_LOG set) the daemon's log is printed first.
 */
void
wk_test_kiosk_free (WkTestKiosk *kiosk)
{
  if (kiosk == NULL)
    return;
  wk_test_kiosk_kill_daemon (kiosk, SIGKILL);
  if ((g_test_initialized () && g_test_failed ()) || g_getenv ("WK_TEST_SHOW_LOG") != NULL)
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (kiosk->log_path, &log, NULL, NULL))
        g_printerr ("---- wardkeepd's log ----\n%s\n----\n", log);
    }
  wk_test_cups_free (kiosk->cups);
  wk_keys_free (kiosk->keys);
  g_free (kiosk->dir);
  g_free (kiosk->config_path);
  g_free (kiosk->key_path);
  g_free (kiosk->snapshot_dir);
  g_free (kiosk->state_dir);
  g_free (kiosk->socket);
  g_free (kiosk->log_path);
  g_free (kiosk);
}

const char *
wk_test_kiosk_get_dir (WkTestKiosk *kiosk)
{
  return kiosk->dir;
}

const char *
wk_test_kiosk_get_config_path (WkTestKiosk *kiosk)
{
  return kiosk->config_path;
}

const char *
wk_test_kiosk_get_state_dir (WkTestKiosk *kiosk)
{
  return kiosk->state_dir;
}

const char *
wk_test_kiosk_get_socket (WkTestKiosk *kiosk)
{
  return kiosk->socket;
}

const char *
wk_test_kiosk_get_snapshot_dir (WkTestKiosk *kiosk)
{
  return kiosk->snapshot_dir;
}

WkTestCups *
wk_test_kiosk_get_cups (WkTestKiosk *kiosk)
{
  return kiosk->cups;
}

/**
 * wk_test_kiosk_get_printer:
 * @kiosk: a #WkTestKiosk
 * @name: "office" (the first in failover order) or "station"
 *
 * Returns: (transfer none): the printer
 */
WkTestPrinter *
wk_test_kiosk_get_printer (WkTestKiosk *kiosk, const char *name)
{
  return g_strcmp0 (name, "station") == 0 ? kiosk->station : kiosk->office;
}

/**
 * wk_test_kiosk_write_config:
 * @kiosk: a #WkTestKiosk
 * @extra: (nullable): more groups (probes, `[monitor]`, planned windows)
 *
 * Writes the configuration: ward 7A, the key file, snapshots written quickly (200 ms
 * debounce), printers office (first) and station, the control socket and state folder.
 */
void
wk_test_kiosk_write_config (WkTestKiosk *kiosk, const char *extra)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  text = g_strdup_printf ("[ward]\nid = 7A\nname = Ward 7A Acute Medicine\n"
                          "[keys]\nfile = %s\n"
                          "[snapshot]\ndirectory = %s\ndebounce = 200ms\nmax-delay = 1s\n"
                          "[printer office]\nuri = office\nserver = %s\norder = 1\n"
                          "description = Ward office laser\nconnect-timeout = 2s\n"
                          "failover-after = 20s\nretries = 1\n"
                          "[printer station]\nuri = station\nserver = %s\norder = 2\n"
                          "connect-timeout = 2s\nretries = 1\n"
                          "[daemon]\ncontrol-socket = %s\nstate-directory = %s\n%s",
                          kiosk->key_path, kiosk->snapshot_dir,
                          wk_test_cups_get_server (kiosk->cups),
                          wk_test_cups_get_server (kiosk->cups), kiosk->socket, kiosk->state_dir,
                          extra != NULL ? extra : "");
  g_assert_true (g_file_set_contents (kiosk->config_path, text, -1, &error));
  g_assert_no_error (error);
}

/**
 * wk_test_kiosk_open_store:
 * @kiosk: a #WkTestKiosk
 *
 * Returns: (transfer full): the kiosk's snapshot folder, for ward 7A
 */
WkStore *
wk_test_kiosk_open_store (WkTestKiosk *kiosk)
{
  g_autoptr (GError) error = NULL;
  WkStoreOptions options;
  WkStore       *store;

  wk_store_options_init (&options);
  options.ward_id = "7A";
  store = wk_store_new (kiosk->snapshot_dir, kiosk->keys, &options, &error);
  g_assert_no_error (error);
  return store;
}

/**
 * wk_test_kiosk_write_snapshot:
 * @kiosk: a #WkTestKiosk whose daemon is not running (it owns the folder then)
 * @model: the ward
 *
 * Returns: (transfer full): the snapshot written
 */
WkSnapshotInfo *
wk_test_kiosk_write_snapshot (WkTestKiosk *kiosk, WkModel *model)
{
  g_autoptr (WkStore) store = wk_test_kiosk_open_store (kiosk);
  g_autoptr (GError) error = NULL;
  WkSnapshotInfo *info = wk_store_write (store, model, &error);

  g_assert_no_error (error);
  return info;
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * wk_test_kiosk_start_daemon:
 * @kiosk: a #WkTestKiosk whose daemon is not running
 * @env: (nullable): more environment variables, "NAME=value"
 *
 * Starts `wardkeepd --config` (its output appended to wardkeepd.log in the kiosk's folder)
 * and waits until it answers on its control socket.
 */
void
wk_test_kiosk_start_daemon (WkTestKiosk *kiosk, const char *const *env)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *program = wk_test_build_path ("kiosk", "daemon", "wardkeepd", NULL);
  gint64           deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_assert_null (kiosk->daemon);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_unsetenv (launcher, "CREDENTIALS_DIRECTORY");
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_USEC");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "", TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1] != NULL ? pair[1] : "", TRUE);
    }
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* Every start's output goes to one log, appended. */
  {
    int              fd = g_open (kiosk->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    g_autofree char *banner = g_strdup_printf ("==== start %u\n", ++kiosk->n_starts);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (write (fd, banner, strlen (banner)), ==, (gssize)strlen (banner));
    g_subprocess_launcher_take_stdout_fd (launcher, dup (fd));
    g_subprocess_launcher_take_stderr_fd (launcher, fd);
  }
  kiosk->daemon = g_subprocess_launcher_spawn (launcher, &error, program, "--config",
                                               kiosk->config_path, NULL);
  g_assert_no_error (error);

  /* Ready once it answers; it must not die on the way. */
  for (;;)
    {
      g_autoptr (JsonNode) status = NULL;

      g_assert_true (wk_test_kiosk_daemon_is_running (kiosk));
      status = wk_control_call_sync (kiosk->socket, "status", NULL, 5000, NULL);
      if (status != NULL)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

/**
 * wk_test_kiosk_kill_daemon:
 * @kiosk: a #WkTestKiosk
 * @signal: SIGTERM (a clean stop) or SIGKILL (a crash)
 *
 * Stops the daemon, if it runs, and waits until it has gone.
 *
 * Returns: whether it exited with status 0 (after SIGTERM: a clean stop, and in the
 *   sanitizer build no leak found)
 */
gboolean
wk_test_kiosk_kill_daemon (WkTestKiosk *kiosk, int signal)
{
  gboolean clean;

  if (kiosk->daemon == NULL)
    return FALSE;
  g_subprocess_send_signal (kiosk->daemon, signal);
  g_subprocess_wait (kiosk->daemon, NULL, NULL);
  clean = g_subprocess_get_if_exited (kiosk->daemon)
          && g_subprocess_get_exit_status (kiosk->daemon) == 0;
  g_clear_object (&kiosk->daemon);
  return clean;
}

/**
 * wk_test_kiosk_daemon_is_running:
 * @kiosk: a #WkTestKiosk
 *
 * Returns: whether the daemon started by the test is still alive
 */
gboolean
wk_test_kiosk_daemon_is_running (WkTestKiosk *kiosk)
{
  g_autofree char *path = NULL;
  g_autofree char *stat = NULL;
  const char      *end;

  if (kiosk->daemon == NULL || g_subprocess_get_identifier (kiosk->daemon) == NULL)
    return FALSE;
  /* Without reaping it (GLib does that): a process that has exited is a zombie. */
  path = g_strdup_printf ("/proc/%s/stat", g_subprocess_get_identifier (kiosk->daemon));
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

/**
 * wk_test_kiosk_call:
 * @kiosk: a #WkTestKiosk with its daemon running
 * @method: a method
 * @params: (nullable): its parameters
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the result, or %NULL with @error
 */
JsonNode *
wk_test_kiosk_call (WkTestKiosk *kiosk, const char *method, JsonObject *params, GError **error)
{
  return wk_control_call_sync (kiosk->socket, method, params, 30000, error);
}

/**
 * wk_test_kiosk_status:
 * @kiosk: a #WkTestKiosk with its daemon running
 *
 * Returns: (transfer full): the daemon's status
 */
JsonObject *
wk_test_kiosk_status (WkTestKiosk *kiosk)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = wk_test_kiosk_call (kiosk, "status", NULL, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/**
 * wk_test_kiosk_wait_mode:
 * @kiosk: a #WkTestKiosk with its daemon running
 * @mode: "online", "suspect", "downtime", "recovering" or "drill"
 * @timeout_s: the most to wait, in seconds (a guard, not a timing assertion)
 *
 * Returns: whether the daemon reached @mode in time
 */
gboolean
wk_test_kiosk_wait_mode (WkTestKiosk *kiosk, const char *mode, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);

      if (g_strcmp0 (json_object_get_string_member (status, "mode"), mode) == 0)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (50000);
    }
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static char *
run_tool (const char *const *argv, const char *input, int *status)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = input != NULL ? g_bytes_new (input, strlen (input)) : NULL;
  g_autoptr (GBytes) out = NULL;
  char *text;

  process
      = g_subprocess_newv (argv,
                           (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE)
                               | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                           &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (process, in, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  return text;
}

/**
 * wk_test_verify_received:
 * @kiosk: a #WkTestKiosk
 * @path: a PDF a printer received
 * @chart_id: (nullable): the chart id it must carry (%NULL: a file of several documents, whose
 *   pages are only checked to be genuine)
 *
 * Reads every page back as a ward clerk's scanner would: rendered with `pdftoppm -r 150`,
 * its QR code decoded with `zbarimg --raw -Sbinary`, and checked with `wardkeep
 * verify-qr`, which must find the signature valid, and the chart id and page number
 * right. Fails the test otherwise.
 *
 * Returns: how many pages carried a verified code (0 for a census, which has none)
 */
guint
wk_test_verify_received (WkTestKiosk *kiosk, const char *path, const char *chart_id)
{
  g_autofree char *prefix = g_build_filename (kiosk->dir, "page", NULL);
  g_autofree char *formatted = chart_id != NULL ? wk_chart_id_format (chart_id) : NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) pages = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *wardkeep = wk_test_build_path ("kiosk", "cli", "wardkeep", NULL);
  const char      *name;
  guint            verified = 0;
  int              status;

  {
    const char *argv[] = { "pdftoppm", "-r", "150", "-png", path, prefix, NULL };
    g_free (run_tool (argv, NULL, &status));
    g_assert_cmpint (status, ==, 0);
  }
  dir = g_dir_open (kiosk->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "page-") && g_str_has_suffix (name, ".png"))
      g_ptr_array_add (pages, g_build_filename (kiosk->dir, name, NULL));
  g_ptr_array_sort (pages, compare_paths);
  g_assert_cmpuint (pages->len, >, 0);
  for (guint i = 0; i < pages->len; i++)
    {
      const char *zbar[]
          = { "zbarimg", "--raw", "-q", "--nodbus", "-Sbinary", pages->pdata[i], NULL };
      g_autofree char *code = run_tool (zbar, NULL, &status);

      if (status == 4) /* no code on the page */
        {
          g_unlink (pages->pdata[i]);
          continue;
        }
      g_assert_cmpint (status, ==, 0);
      {
        const char *verify[] = { wardkeep, "verify-qr", "-", "--config", kiosk->config_path, NULL };
        g_autofree char *text = run_tool (verify, code, &status);
        g_autofree char *expected
            = formatted != NULL
                  ? g_strdup_printf ("Chart %s, page %u of %u", formatted, i + 1, pages->len)
                  : g_strdup ("signature valid");

        if (status != 0 || strstr (text, expected) == NULL
            || strstr (text, "signature valid") == NULL)
          g_error ("page %u of %s (%s): verify-qr said: %s", i + 1, path, chart_id, text);
        verified++;
      }
      g_unlink (pages->pdata[i]);
    }
  return verified;
}

/* ---- the simulator of the central systems ---- */

struct _WkTestSim
{
  GSubprocess *process;
  char        *control;
  char        *ready;
  guint16      health_port;
};

/**
 * wk_test_sim_start:
 * @kiosk: the kiosk whose folder holds the simulator's socket
 * @feed_port: the kiosk's MLLP port, 0 for no feed (a health endpoint only)
 * @health_port: the port of the health endpoint on 127.0.0.1
 * @beds: beds of the one ward (7A)
 * @messages: events after the patients already in, then the feed is done
 *
 * Starts `wardkeep-sim` (killed with the test) and waits until it listens.
 *
 * Returns: (transfer full): the simulator
 */
WkTestSim *
wk_test_sim_start (
    WkTestKiosk *kiosk, guint16 feed_port, guint16 health_port, guint beds, guint messages)
{
  WkTestSim *sim = g_new0 (WkTestSim, 1);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;

  sim->control = g_build_filename (wk_test_kiosk_get_dir (kiosk), "sim.sock", NULL);
  sim->ready = g_build_filename (wk_test_kiosk_get_dir (kiosk), "sim.ready", NULL);
  sim->health_port = health_port;
  g_ptr_array_add (argv, wk_test_build_path ("tests", "sim", "wardkeep-sim", NULL));
  g_ptr_array_add (argv, g_strdup ("--seed=7"));
  g_ptr_array_add (argv, g_strdup_printf ("--beds=%u", beds));
  g_ptr_array_add (argv, g_strdup ("--keep-running"));
  g_ptr_array_add (argv, g_strdup ("--quiet"));
  g_ptr_array_add (argv, g_strdup_printf ("--health-port=%u", health_port));
  g_ptr_array_add (argv, g_strdup_printf ("--control-socket=%s", sim->control));
  g_ptr_array_add (argv, g_strdup_printf ("--ready-file=%s", sim->ready));
  if (feed_port > 0)
    {
      g_ptr_array_add (argv, g_strdup_printf ("--feed=127.0.0.1:%u", feed_port));
      g_ptr_array_add (argv, g_strdup_printf ("--messages=%u", messages));
      g_ptr_array_add (argv, g_strdup ("--connect-timeout=90"));
    }
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sim->process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  while (!g_file_test (sim->ready, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  return sim;
}

/**
 * wk_test_sim_free:
 * @sim: (transfer full): a simulator
 *
 * Kills it.
 */
void
wk_test_sim_free (WkTestSim *sim)
{
  g_subprocess_send_signal (sim->process, SIGKILL);
  g_subprocess_wait (sim->process, NULL, NULL);
  g_object_unref (sim->process);
  g_free (sim->control);
  g_free (sim->ready);
  g_free (sim);
}

/**
 * wk_test_sim_command:
 * @sim: a simulator
 * @command: down (an outage: the health endpoint answers 503, the feed stops), up, status
 *
 * Returns: (transfer full): its answer
 */
char *
wk_test_sim_command (WkTestSim *sim, const char *command)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (sim->control);
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  char            *answer;

  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), line,
                                 strlen (line), NULL, NULL, &error));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  answer = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  return answer;
}

/**
 * wk_test_sim_wait_feed_done:
 * @sim: a simulator with a feed
 *
 * Waits until the simulator has sent its feed and every message was acknowledged AA.
 */
void
wk_test_sim_wait_feed_done (WkTestSim *sim)
{
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *status = wk_test_sim_command (sim, "status");

      g_assert_null (strstr (status, "feed=failed"));
      if (strstr (status, "feed=done") != NULL)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}
