/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-cups.c — a private cupsd and ippeveprinter printers on loopback, for tests.
 *
 * Recipe: ../shared/notes/real-components.md "CUPS + ippeveprinter". Every server binds
 * 127.0.0.1 (ippeveprinter also ::1) on a port picked at run time; a port another suite
 * grabbed in between makes our server exit, and it is started again on another port. */

#include "wk-test-cups.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <cups/cups.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poppler.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_ATTEMPTS 5
#define READY_TIMEOUT_US (20 * G_USEC_PER_SEC)

struct _WkTestCups
{
  char      *dir;
  char      *server; /* "127.0.0.1:PORT" */
  char      *spool_dir;
  char      *bus_address;
  GPid       cupsd;
  GPid       dbus;
  GPtrArray *printers;
  guint      counter;
};

struct _WkTestPrinter
{
  WkTestCups *cups;
  char       *name;
  char       *service; /* the printer-name it announces, unique to this process */
  char       *dir;     /* control files, the print command, one folder per run */
  char       *uri;
  int         port;
  guint       run;
  GPid        pid;
};

/* In the child: its own process group, and death with the test process. */
static void
child_setup (gpointer data)
{
  pid_t parent = GPOINTER_TO_INT (data);

  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127);
}

/* Where a program is: on PATH, or in the sbin folders Debian puts cupsd and ippeveprinter
 * in (not on every user's PATH). */
static char *
find_tool (const char *name)
{
  char *path = g_find_program_in_path (name);

  for (const char *const *dir = (const char *const[]){ "/usr/sbin", "/sbin", NULL };
       path == NULL && *dir != NULL; dir++)
    {
      g_autofree char *candidate = g_build_filename (*dir, name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        path = g_steal_pointer (&candidate);
    }
  if (path == NULL)
    g_error ("%s is not installed (tests/run setup installs it)", name);
  return path;
}

static GPid
spawn (const char *const *argv, const char *const *env, const char *log_path)
{
  g_autofree char        *program = find_tool (argv[0]);
  g_autofree const char **args
      = g_memdup2 (argv, sizeof (char *) * (g_strv_length ((char **)argv) + 1));
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  int  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  GPid pid = 0;

  g_assert_cmpint (log_fd, >=, 0);
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    envp = g_environ_setenv (envp, env[i], env[i + 1], TRUE);
  /* The child must talk to our servers only, whatever the test's environment says. */
  envp = g_environ_unsetenv (envp, "CUPS_SERVER");
  args[0] = program;
  g_spawn_async_with_pipes_and_fds (NULL, args, (const char *const *)envp,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                    child_setup, GINT_TO_POINTER (getpid ()), -1, log_fd, log_fd,
                                    NULL, NULL, 0, &pid, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  close (log_fd);
  return pid;
}

/* TRUE while @pid runs; reaps it once it has exited. */
static gboolean
child_alive (GPid pid)
{
  int status;

  if (pid <= 0)
    return FALSE;
  return waitpid (pid, &status, WNOHANG) == 0;
}

/* Stops a child and everything in its process group, politely first. */
static void
stop_child (GPid *pid)
{
  int status;

  if (*pid <= 0)
    return;
  kill (-*pid, SIGCONT);
  kill (-*pid, SIGTERM);
  for (int i = 0; i < 300; i++)
    {
      if (waitpid (*pid, &status, WNOHANG) != 0)
        break;
      if (i == 299)
        {
          kill (-*pid, SIGKILL);
          waitpid (*pid, &status, 0);
        }
      g_usleep (10000);
    }
  kill (-*pid, SIGKILL); /* anything left in the group (filters, backends) */
  *pid = 0;
}

/* A port free on 127.0.0.1 now. Another process may take it before our server binds it;
 * callers start their server again on another port when that happens. */
static int
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t          len = sizeof addr;
  int                fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *)&addr, &len), ==, 0);
  close (fd);
  return ntohs (addr.sin_port);
}

static void
write_file (const char *path, const char *text, int mode)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle) != NULL;
}

static void printer_free (WkTestPrinter *printer);

static void
start_dbus (WkTestCups *cups)
{
  g_autofree char *socket_path = g_build_filename (cups->dir, "bus.sock", NULL);
  g_autofree char *log = g_build_filename (cups->dir, "dbus.log", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", socket_path, NULL);
  const char      *argv[]
      = { "dbus-daemon", "--session", "--nofork", "--nopidfile", "--address", address, NULL };
  gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

  cups->dbus = spawn (argv, NULL, log);
  while (!g_file_test (socket_path, G_FILE_TEST_EXISTS))
    {
      g_assert_true (child_alive (cups->dbus));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5000);
    }
  cups->bus_address = g_steal_pointer (&address);
}

static gboolean
try_start_cupsd (WkTestCups *cups)
{
  g_autofree char *etc = g_build_filename (cups->dir, "etc", NULL);
  g_autofree char *conf = g_build_filename (etc, "cupsd.conf", NULL);
  g_autofree char *files_conf = g_build_filename (etc, "cups-files.conf", NULL);
  g_autofree char *error_log = g_build_filename (cups->dir, "log", "error_log", NULL);
  g_autofree char *out = g_build_filename (cups->dir, "log", "cupsd.out", NULL);
  g_autofree char *text = NULL;
  g_autofree char *listening = NULL;
  int              port = free_port ();
  const char      *argv[] = { "cupsd", "-f", "-c", conf, "-s", files_conf, NULL };
  gint64           deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

  /* PreserveJobFiles is left at CUPS's default (one day) on purpose: the spooler must
   * purge its jobs itself, and the tests check that it does. */
  text = g_strdup_printf ("LogLevel debug\n"
                          "MaxLogSize 0\n"
                          "Listen 127.0.0.1:%d\n"
                          "Browsing No\n"
                          "BrowseLocalProtocols none\n"
                          "DefaultAuthType None\n"
                          "WebInterface No\n"
                          "JobRetryInterval 5\n"
                          "<Location />\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
                          "<Location /admin>\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
                          "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n"
                          "</Policy>\n",
                          port);
  write_file (conf, text, 0644);
  g_unlink (error_log);
  cups->cupsd = spawn (argv, NULL, out);

  listening = g_strdup_printf ("Listening to 127.0.0.1:%d ", port);
  while (!file_contains (error_log, listening))
    {
      if (!child_alive (cups->cupsd) || g_get_monotonic_time () > deadline)
        {
          stop_child (&cups->cupsd);
          return FALSE;
        }
      g_usleep (5000);
    }
  g_free (cups->server);
  cups->server = g_strdup_printf ("127.0.0.1:%d", port);
  return TRUE;
}

static void
start_cupsd (WkTestCups *cups)
{
  const char      *dirs[] = { "etc", "spool", "spool/tmp", "cache", "state", "log" };
  g_autofree char *files_conf = NULL;
  g_autofree char *text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *d = g_build_filename (cups->dir, dirs[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
    }
  cups->spool_dir = g_build_filename (cups->dir, "spool", NULL);
  files_conf = g_build_filename (cups->dir, "etc", "cups-files.conf", NULL);
  text = g_strdup_printf ("ServerRoot %1$s/etc\nRequestRoot %1$s/spool\nTempDir %1$s/spool/tmp\n"
                          "CacheDir %1$s/cache\nStateDir %1$s/state\n"
                          "ErrorLog %1$s/log/error_log\nAccessLog %1$s/log/access_log\n"
                          "PageLog %1$s/log/page_log\n"
                          "User lp\nGroup lp\nSystemGroup root\nFileDevice No\n",
                          cups->dir);
  write_file (files_conf, text, 0644);
  for (int attempt = 0; attempt < START_ATTEMPTS; attempt++)
    if (try_start_cupsd (cups))
      return;
  g_error ("cupsd did not start; see %s/log", cups->dir);
}

/**
 * wk_test_cups_new:
 *
 * Starts a private D-Bus daemon and cupsd in a new folder under the temporary folder
 * (not the test's isolated home: cupsd's filters run as `lp` and must reach the spool).
 * The test fails at once when they cannot start.
 *
 * Returns: (transfer full): the running scheduler; free it to stop everything
 */
WkTestCups *
wk_test_cups_new (void)
{
  g_autoptr (GError) error = NULL;
  WkTestCups *cups = g_new0 (WkTestCups, 1);

  cups->dir = g_dir_make_tmp ("wk-cups-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (cups->dir, 0755), ==, 0);
  cups->printers = g_ptr_array_new_with_free_func ((GDestroyNotify)printer_free);
  start_dbus (cups);
  start_cupsd (cups);
  return cups;
}

static void
printer_free (WkTestPrinter *printer)
{
  stop_child (&printer->pid);
  g_free (printer->name);
  g_free (printer->service);
  g_free (printer->dir);
  g_free (printer->uri);
  g_free (printer);
}

static void
remove_tree (GFile *file)
{
  g_autoptr (GFileEnumerator) children = g_file_enumerate_children (
      file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);

  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr (GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          remove_tree (child);
          g_object_unref (info);
        }
    }
  g_file_delete (file, NULL, NULL);
}

/**
 * wk_test_cups_free:
 * @cups: (nullable) (transfer full): a #WkTestCups
 *
 * Stops every printer, cupsd and the bus, and removes the folder, unless the test
 * failed (then the logs stay, and their folder is printed).
 */
void
wk_test_cups_free (WkTestCups *cups)
{
  if (cups == NULL)
    return;
  g_ptr_array_unref (cups->printers);
  stop_child (&cups->cupsd);
  stop_child (&cups->dbus);
  if (g_test_initialized () && g_test_failed ())
    g_test_message ("cupsd and printer logs kept in %s", cups->dir);
  else
    {
      g_autoptr (GFile) dir = g_file_new_for_path (cups->dir);

      remove_tree (dir);
    }
  g_free (cups->dir);
  g_free (cups->server);
  g_free (cups->spool_dir);
  g_free (cups->bus_address);
  g_free (cups);
}

/**
 * wk_test_cups_get_server:
 * @cups: a #WkTestCups
 *
 * Returns: the scheduler's address, "127.0.0.1:PORT"
 */
const char *
wk_test_cups_get_server (WkTestCups *cups)
{
  return cups->server;
}

/**
 * wk_test_cups_get_spool_dir:
 * @cups: a #WkTestCups
 *
 * Returns: cupsd's spool folder (RequestRoot), where job files live
 */
const char *
wk_test_cups_get_spool_dir (WkTestCups *cups)
{
  return cups->spool_dir;
}

/**
 * wk_test_cups_get_dir:
 * @cups: a #WkTestCups
 *
 * Returns: the folder holding everything this scheduler and its printers write
 */
const char *
wk_test_cups_get_dir (WkTestCups *cups)
{
  return cups->dir;
}

/**
 * wk_test_cups_run_tool:
 * @cups: a #WkTestCups
 * @tool: a CUPS command that takes `-h server` (lpadmin, cupsenable, cupsreject, ...)
 * @...: its arguments, %NULL-terminated
 *
 * Runs @tool against this scheduler; the test fails when it fails.
 */
void
wk_test_cups_run_tool (WkTestCups *cups, const char *tool, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) envp = g_environ_unsetenv (g_get_environ (), "CUPS_SERVER");
  int     status = 0;
  va_list args;

  g_autofree char *program = find_tool (tool);

  g_ptr_array_add (argv, program);
  g_ptr_array_add (argv, "-h");
  g_ptr_array_add (argv, cups->server);
  va_start (args, tool);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", tool, out, err);
}

/**
 * wk_test_cups_disable:
 * @cups: a #WkTestCups
 * @queue: a queue
 * @reason: (nullable): the reason shown with it
 *
 * Stops @queue, as `cupsdisable` does: jobs wait, the printer state is "stopped".
 */
void
wk_test_cups_disable (WkTestCups *cups, const char *queue, const char *reason)
{
  if (reason != NULL)
    wk_test_cups_run_tool (cups, "cupsdisable", "-r", reason, queue, NULL);
  else
    wk_test_cups_run_tool (cups, "cupsdisable", queue, NULL);
}

/**
 * wk_test_cups_enable:
 * @cups: a #WkTestCups
 * @queue: a queue
 *
 * Starts @queue again (`cupsenable`).
 */
void
wk_test_cups_enable (WkTestCups *cups, const char *queue)
{
  wk_test_cups_run_tool (cups, "cupsenable", queue, NULL);
}

/**
 * wk_test_cups_reject:
 * @cups: a #WkTestCups
 * @queue: a queue
 * @reason: (nullable): the reason shown with it
 *
 * Makes @queue refuse new jobs (`cupsreject`).
 */
void
wk_test_cups_reject (WkTestCups *cups, const char *queue, const char *reason)
{
  if (reason != NULL)
    wk_test_cups_run_tool (cups, "cupsreject", "-r", reason, queue, NULL);
  else
    wk_test_cups_run_tool (cups, "cupsreject", queue, NULL);
}

/**
 * wk_test_cups_accept:
 * @cups: a #WkTestCups
 * @queue: a queue
 *
 * Makes @queue take jobs again (`cupsaccept`).
 */
void
wk_test_cups_accept (WkTestCups *cups, const char *queue)
{
  wk_test_cups_run_tool (cups, "cupsaccept", queue, NULL);
}

/* `lpadmin -m everywhere` makes cupsd write the queue's PPD into its TempDir, and cupsd
 * leaves it there: not a job's file. */
static gboolean
is_generated_ppd (const char *path)
{
  char  head[16] = "";
  FILE *file = fopen (path, "re");

  if (file == NULL)
    return FALSE;
  if (fread (head, 1, sizeof head - 1, file) == 0)
    head[0] = '\0';
  fclose (file);
  return g_str_has_prefix (head, "*PPD-Adobe:");
}

static void
list_files (const char *dir, const char *relative, GPtrArray *out)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *rel
          = relative != NULL ? g_build_filename (relative, name, NULL) : g_strdup (name);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        list_files (path, rel, out);
      else if (!is_generated_ppd (path))
        g_ptr_array_add (out, g_steal_pointer (&rel));
    }
}

/**
 * wk_test_cups_dup_spool_files:
 * @cups: a #WkTestCups
 *
 * Lists what cupsd holds in its spool: job files (`dNNNNN-NNN`, the documents), job
 * control files (`cNNNNN`) and its temporary files, relative to the spool folder. The
 * PPD files lpadmin has cupsd generate (and leave) in its TempDir are not listed.
 *
 * Returns: (transfer full) (element-type utf8): the files, sorted
 */
GPtrArray *
wk_test_cups_dup_spool_files (WkTestCups *cups)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  list_files (cups->spool_dir, NULL, files);
  g_ptr_array_sort (files, (GCompareFunc)g_strcmp0);
  return files;
}

/* ---- printers ---------------------------------------------------------------------- */

/* The print command: records each document it "prints", unless the test made the
 * printer fail its jobs, or kill itself once it has printed enough. */
static const char print_command[]
    = "#!/bin/sh\n"
      "# wardkeep test printer: prints a document by recording it (argument 1).\n"
      "dir=$(dirname \"$0\")\n"
      "if [ -e \"$dir/failing\" ]; then echo 'ERROR: test printer fails this job' >&2; exit 1; "
      "fi\n"
      "if [ -e \"$dir/kill-after\" ]; then\n"
      "  done=$(cat \"$dir\"/run-*/printed 2>/dev/null | wc -l)\n"
      "  if [ \"$done\" -ge \"$(cat \"$dir/kill-after\")\" ]; then kill -9 \"$PPID\"; exit 1; fi\n"
      "fi\n"
      "echo \"$1\" >> \"$(dirname \"$1\")/printed\"\n";

/* Asks the printer on @port its name: TRUE when it is ours and answers. */
static gboolean
printer_answers (WkTestPrinter *printer, int port)
{
  static const char *const wanted[] = { "printer-name" };
  http_t *http = httpConnect2 ("127.0.0.1", port, NULL, AF_INET, HTTP_ENCRYPTION_IF_REQUESTED, 1,
                               1000, NULL);
  ipp_t  *request, *response;
  ipp_attribute_t *name;
  gboolean         ours;

  if (http == NULL)
    return FALSE;
  request = ippNewRequest (IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, printer->uri);
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 1, NULL,
                 wanted);
  response = cupsDoRequest (http, request, "/ipp/print");
  name = response != NULL ? ippFindAttribute (response, "printer-name", IPP_TAG_NAME) : NULL;
  ours = name != NULL && g_strcmp0 (ippGetString (name, 0, NULL), printer->service) == 0;
  ippDelete (response);
  httpClose (http);
  return ours;
}

static gboolean
try_start_printer (WkTestPrinter *printer, int port)
{
  g_autofree char *run_dir = g_strdup_printf ("%s/run-%u", printer->dir, printer->run);
  g_autofree char *command = g_build_filename (printer->dir, "print", NULL);
  g_autofree char *log = g_strdup_printf ("%s/run-%u.log", printer->dir, printer->run);
  g_autofree char *port_text = g_strdup_printf ("%d", port);
  const char      *env[] = { "DBUS_SYSTEM_BUS_ADDRESS", printer->cups->bus_address, NULL };
  const char      *argv[] = { "ippeveprinter",
                              "-k",
                              "-c",
                              command,
                              "-d",
                              run_dir,
                              "-p",
                              port_text,
                              "-n",
                              "localhost",
                              "-f",
                              "application/pdf,image/pwg-raster,image/jpeg",
                              "-r",
                              "off",
                              printer->service,
                              NULL };
  gint64           deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

  g_assert_cmpint (g_mkdir_with_parents (run_dir, 0755), ==, 0);
  g_free (printer->uri);
  printer->uri = g_strdup_printf ("ipp://localhost:%d/ipp/print", port);
  printer->pid = spawn (argv, env, log);
  while (!printer_answers (printer, port))
    {
      if (!child_alive (printer->pid) || g_get_monotonic_time () > deadline)
        {
          stop_child (&printer->pid);
          return FALSE;
        }
      g_usleep (5000);
    }
  printer->port = port;
  return TRUE;
}

static void
start_printer (WkTestPrinter *printer, int port)
{
  printer->run++;
  for (int attempt = 0; attempt < START_ATTEMPTS; attempt++)
    {
      if (try_start_printer (printer, port > 0 ? port : free_port ()))
        return;
      port = 0; /* the old port is taken: any other will do for a direct printer */
    }
  g_error ("ippeveprinter %s did not start; see %s", printer->name, printer->dir);
}

/* Whether cupsd has loaded queue @name's PPD: it then reports the paper sizes. */
static gboolean
queue_is_ready (WkTestCups *cups, const char *name)
{
  static const char *const wanted[] = { "media-supported", "printer-make-and-model" };
  const char              *colon = strrchr (cups->server, ':');
  http_t                  *http = httpConnect2 ("127.0.0.1", atoi (colon + 1), NULL, AF_INET,
                                                HTTP_ENCRYPTION_IF_REQUESTED, 1, 1000, NULL);
  g_autofree char         *uri = g_strdup_printf ("ipp://%s/printers/%s", cups->server, name);
  g_autofree char         *resource = g_strdup_printf ("/printers/%s", name);
  ipp_t                   *request, *response;
  ipp_attribute_t         *media;
  gboolean                 ready;

  g_assert_nonnull (http);
  request = ippNewRequest (IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                 G_N_ELEMENTS (wanted), NULL, wanted);
  response = cupsDoRequest (http, request, resource);
  media = response != NULL ? ippFindAttribute (response, "media-supported", IPP_TAG_ZERO) : NULL;
  ready = media != NULL && ippGetCount (media) > 0;
  ippDelete (response);
  httpClose (http);
  return ready;
}

/**
 * wk_test_cups_add_printer:
 * @cups: a #WkTestCups
 * @name: the printer's name (and its queue's, with @queue)
 * @queue: also add it to cupsd as queue @name (`lpadmin -m everywhere`)
 *
 * Starts an ippeveprinter that takes PDF and completes each job at once.
 *
 * Returns: (transfer none): the printer, freed with @cups
 */
WkTestPrinter *
wk_test_cups_add_printer (WkTestCups *cups, const char *name, gboolean queue)
{
  WkTestPrinter   *printer = g_new0 (WkTestPrinter, 1);
  g_autofree char *command = NULL;

  printer->cups = cups;
  printer->name = g_strdup (name);
  printer->service = g_strdup_printf ("wk-%s-%d-%u", name, (int)getpid (), cups->counter++);
  printer->dir = g_build_filename (cups->dir, "printers", name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (printer->dir, 0755), ==, 0);
  command = g_build_filename (printer->dir, "print", NULL);
  write_file (command, print_command, 0755);
  g_ptr_array_add (cups->printers, printer);
  start_printer (printer, 0);
  if (queue)
    {
      gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

      wk_test_cups_run_tool (cups, "lpadmin", "-p", name, "-E", "-v", printer->uri, "-m",
                             "everywhere", NULL);
      /* lpadmin returns before cupsd has loaded the queue's PPD; a job sent before that
       * is aborted ("Unable to convert file"). */
      while (!queue_is_ready (cups, name))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_usleep (5000);
        }
    }
  return printer;
}

/**
 * wk_test_printer_get_name:
 * @printer: a #WkTestPrinter
 *
 * Returns: its name (and queue name)
 */
const char *
wk_test_printer_get_name (WkTestPrinter *printer)
{
  return printer->name;
}

/**
 * wk_test_printer_get_uri:
 * @printer: a #WkTestPrinter
 *
 * Returns: the printer's own URI, `ipp://localhost:PORT/ipp/print`
 */
const char *
wk_test_printer_get_uri (WkTestPrinter *printer)
{
  return printer->uri;
}

/**
 * wk_test_printer_kill:
 * @printer: a #WkTestPrinter
 *
 * Kills the printer with SIGKILL, as a power cut would, and waits until it is gone.
 */
void
wk_test_printer_kill (WkTestPrinter *printer)
{
  int status;

  if (printer->pid <= 0)
    return;
  kill (-printer->pid, SIGKILL);
  waitpid (printer->pid, &status, 0);
  printer->pid = 0;
}

/**
 * wk_test_printer_pause:
 * @printer: a #WkTestPrinter
 *
 * Freezes the printer (SIGSTOP): connections are accepted by the kernel but nothing
 * answers, as with a hung printer.
 */
void
wk_test_printer_pause (WkTestPrinter *printer)
{
  g_assert_cmpint (kill (printer->pid, SIGSTOP), ==, 0);
}

/**
 * wk_test_printer_resume:
 * @printer: a #WkTestPrinter
 *
 * Lets a paused printer go on (SIGCONT).
 */
void
wk_test_printer_resume (WkTestPrinter *printer)
{
  g_assert_cmpint (kill (printer->pid, SIGCONT), ==, 0);
}

/**
 * wk_test_printer_restart:
 * @printer: a #WkTestPrinter
 *
 * Starts the printer again on the same port (after wk_test_printer_kill(), or stops it
 * first), with a fresh folder for what it receives: ippeveprinter numbers jobs from 1
 * again.
 */
void
wk_test_printer_restart (WkTestPrinter *printer)
{
  stop_child (&printer->pid);
  start_printer (printer, printer->port);
  g_assert_cmpstr (printer->uri, !=, NULL);
}

/**
 * wk_test_printer_is_running:
 * @printer: a #WkTestPrinter
 *
 * Returns: whether the printer's process is alive (it may have killed itself, see
 *   wk_test_printer_set_kill_after())
 */
gboolean
wk_test_printer_is_running (WkTestPrinter *printer)
{
  if (child_alive (printer->pid))
    return TRUE;
  printer->pid = 0;
  return FALSE;
}

/**
 * wk_test_printer_set_failing:
 * @printer: a #WkTestPrinter
 * @failing: whether jobs fail
 *
 * Makes the printer abort every job from now on (its print command fails), or not.
 */
void
wk_test_printer_set_failing (WkTestPrinter *printer, gboolean failing)
{
  g_autofree char *path = g_build_filename (printer->dir, "failing", NULL);

  if (failing)
    write_file (path, "", 0644);
  else
    g_unlink (path);
}

/**
 * wk_test_printer_set_kill_after:
 * @printer: a #WkTestPrinter
 * @n_documents: how many documents it prints before it dies
 *
 * Makes the printer kill itself (SIGKILL) when a job arrives after it has printed
 * @n_documents: the job it received is not printed and nobody hears back about it.
 */
void
wk_test_printer_set_kill_after (WkTestPrinter *printer, guint n_documents)
{
  g_autofree char *path = g_build_filename (printer->dir, "kill-after", NULL);
  g_autofree char *text = g_strdup_printf ("%u\n", n_documents);

  write_file (path, text, 0644);
}

/**
 * wk_test_document_free:
 * @document: (transfer full): a #WkTestDocument
 */
void
wk_test_document_free (WkTestDocument *document)
{
  g_free (document->job_name);
  g_free (document->path);
  g_free (document->printer);
  g_free (document);
}

static WkTestDocument *
document_new (WkTestPrinter *printer, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  const char      *dash = strchr (base, '-');
  WkTestDocument  *document = g_new0 (WkTestDocument, 1);

  /* ippeveprinter keeps "<job-id>-<job-name>.<extension>" */
  g_assert_nonnull (dash);
  document->job_name = g_strndup (dash + 1, strcspn (dash + 1, "."));
  document->path = g_strdup (path);
  document->printer = g_strdup (printer->name);
  return document;
}

static int
compare_job_ids (gconstpointer a, gconstpointer b)
{
  const WkTestDocument *x = *(WkTestDocument *const *)a, *y = *(WkTestDocument *const *)b;
  g_autofree char      *base_x = g_path_get_basename (x->path);
  g_autofree char      *base_y = g_path_get_basename (y->path);

  return atoi (base_x) - atoi (base_y);
}

/**
 * wk_test_printer_dup_printed:
 * @printer: a #WkTestPrinter
 *
 * Lists the documents the printer printed (its print command ran to the end), over
 * every run since it was added, in the order it printed them.
 *
 * Returns: (transfer full) (element-type WkTestDocument): the documents
 */
GPtrArray *
wk_test_printer_dup_printed (WkTestPrinter *printer)
{
  GPtrArray *documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_test_document_free);

  for (guint run = 1; run <= printer->run; run++)
    {
      g_autofree char *log = g_strdup_printf ("%s/run-%u/printed", printer->dir, run);
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;

      if (!g_file_get_contents (log, &text, NULL, NULL))
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i] != '\0')
          g_ptr_array_add (documents, document_new (printer, lines[i]));
    }
  return documents;
}

/**
 * wk_test_printer_dup_received:
 * @printer: a #WkTestPrinter
 *
 * Lists every document the printer received, printed or not (a printer that dies or
 * aborts a job has received it all the same), over every run, in job order.
 *
 * Returns: (transfer full) (element-type WkTestDocument): the documents
 */
GPtrArray *
wk_test_printer_dup_received (WkTestPrinter *printer)
{
  GPtrArray *documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_test_document_free);

  for (guint run = 1; run <= printer->run; run++)
    {
      g_autofree char *dir_path = g_strdup_printf ("%s/run-%u", printer->dir, run);
      g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
      g_autoptr (GPtrArray) in_run
          = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_test_document_free);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_ascii_isdigit (name[0]) && g_str_has_suffix (name, ".pdf"))
          {
            g_autofree char *path = g_build_filename (dir_path, name, NULL);

            g_ptr_array_add (in_run, document_new (printer, path));
          }
      g_ptr_array_sort (in_run, compare_job_ids);
      g_ptr_array_extend_and_steal (documents, g_steal_pointer (&in_run));
    }
  return documents;
}

/* ---- test documents ---------------------------------------------------------------- */

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/**
 * wk_test_pdf_new:
 * @title: what every page says, e.g. "chart 3"
 * @n_pages: how many A4 pages
 *
 * Makes a PDF whose page k says "@title page k of @n_pages" in large type.
 *
 * Returns: (transfer full): the PDF
 */
GBytes *
wk_test_pdf_new (const char *title, guint n_pages)
{
  GByteArray      *bytes = g_byte_array_new ();
  cairo_surface_t *surface
      = cairo_pdf_surface_create_for_stream (append_bytes, bytes, 595.276, 841.89);
  cairo_t *cr = cairo_create (surface);

  for (guint k = 1; k <= n_pages; k++)
    {
      g_autofree char *line = g_strdup_printf ("%s page %u of %u", title, k, n_pages);

      cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
      cairo_set_font_size (cr, 36);
      cairo_move_to (cr, 50, 200);
      cairo_show_text (cr, line);
      cairo_show_page (cr);
    }
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (bytes);
}

/**
 * wk_test_write_pdf:
 * @path: where
 * @title: what every page says
 * @n_pages: how many pages
 *
 * Writes wk_test_pdf_new() to @path.
 */
void
wk_test_write_pdf (const char *path, const char *title, guint n_pages)
{
  g_autoptr (GBytes) pdf = wk_test_pdf_new (title, n_pages);
  g_autoptr (GError) error = NULL;

  g_assert_true (
      g_file_set_contents (path, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf), &error));
  g_assert_no_error (error);
}

/**
 * wk_test_pdf_dup_text:
 * @path: a PDF file
 * @n_pages: (out) (optional): its number of pages
 *
 * Reads a PDF back with poppler.
 *
 * Returns: (transfer full): the text of its pages, one line per page; the test fails
 *   when the file is not a readable PDF
 */
char *
wk_test_pdf_dup_text (const char *path, guint *n_pages)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  PopplerDocument *document = poppler_document_new_from_gfile (file, NULL, NULL, &error);
  GString         *text = g_string_new (NULL);

  g_assert_no_error (error);
  for (int i = 0; i < poppler_document_get_n_pages (document); i++)
    {
      PopplerPage     *page = poppler_document_get_page (document, i);
      g_autofree char *page_text = poppler_page_get_text (page);

      g_strstrip (page_text);
      g_string_append_printf (text, "%s\n", page_text);
      g_object_unref (page);
    }
  if (n_pages != NULL)
    *n_pages = poppler_document_get_n_pages (document);
  g_object_unref (document);
  return g_string_free (text, FALSE);
}
