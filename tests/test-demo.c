/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-demo.c — `wardkeep demo`, the README's first command, run headless: the kiosk
 * through Broadway, an outage staged on standard input, the ward printed into the
 * demo's printer folder, and nothing left running after it stops. */

#include "wk-control.h"
#include "wk-test-util.h"

#include <gio/gio.h>
#include <string.h>

#define WAIT_S 240

typedef struct
{
  GSubprocess      *demo;
  GDataInputStream *out;
  GString          *said;
  char             *dir;
} Demo;

/* Reads the demo's output until a line contains @needle. */
static void
wait_for_line (Demo *demo, const char *needle)
{
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line_utf8 (demo->out, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        g_error ("The demo ended before saying \"%s\"; it said:\n%s", needle, demo->said->str);
      g_string_append_printf (demo->said, "%s\n", line);
      if (strstr (line, needle) != NULL)
        return;
    }
}

static void
send (Demo *demo, const char *text)
{
  g_autoptr (GError) error = NULL;
  GOutputStream *in = g_subprocess_get_stdin_pipe (demo->demo);

  g_assert_true (g_output_stream_write_all (in, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (in, NULL, &error));
}

static guint
count_pdfs (const char *dir)
{
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;
  guint       n = 0;

  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    n += g_str_has_suffix (name, ".pdf");
  return n;
}

/* The daemon's automatic print of the downtime, once it is over: every document. */
static JsonObject *
automatic_print_done (const char *socket)
{
  g_autoptr (JsonNode) node = wk_control_call_sync (socket, "status", NULL, 5000, NULL);
  JsonObject *status = node != NULL ? json_node_get_object (node) : NULL;
  JsonNode   *print = status != NULL ? json_object_get_member (status, "print") : NULL;
  JsonObject *object;

  if (print == NULL || !JSON_NODE_HOLDS_OBJECT (print))
    return NULL;
  object = json_node_get_object (print);
  if (!json_object_get_boolean_member (object, "automatic")
      || !json_object_get_boolean_member (object, "finished"))
    return NULL;
  return json_object_ref (object);
}

/* Processes still running with the demo's folder on their command line. */
static guint
count_leftovers (const char *dir)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint       n = 0;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize            size = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "cmdline", NULL);
      if (!g_file_get_contents (path, &cmdline, &size, NULL))
        continue;
      for (gsize i = 0; i + 1 < size; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      if (strstr (cmdline, dir) != NULL)
        {
          g_test_message ("still running: %s", cmdline);
          n++;
        }
    }
  return n;
}

static void
test_demo_outage (void)
{
  g_autofree char *wardkeep = wk_test_build_path ("kiosk", "cli", "wardkeep", NULL);
  g_autofree char *printed = NULL;
  g_autofree char *socket = NULL;
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) print = NULL;
  gint64 deadline;
  Demo   demo = { 0 };

  demo.dir = wk_test_scratch_path ("demo");
  demo.said = g_string_new (NULL);
  printed = g_build_filename (demo.dir, "printed", NULL);
  socket = g_build_filename (demo.dir, "control", NULL);
  /* Headless, as on a server: no display, so the kiosk goes through Broadway. */
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  /* The test's isolated folders hide the system's GSettings schemas, which GTK reads. */
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", "/usr/share/glib-2.0/schemas",
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  demo.demo = g_subprocess_launcher_spawn (launcher, &error, wardkeep, "demo", "--for", "600",
                                           "--dir", demo.dir, "--rate", "50", NULL);
  g_assert_no_error (error);
  demo.out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (demo.demo));

  wait_for_line (&demo, "No display here");
  wait_for_line (&demo, "http://127.0.0.1:");
  wait_for_line (&demo, "To stage an outage, press O and Enter");
  wait_for_line (&demo, "ONLINE");
  /* Let the simulator's ward arrive before the outage. */
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (GError) status_error = NULL;
      g_autoptr (JsonNode) node
          = wk_control_call_sync (socket, "status", NULL, 5000, &status_error);
      JsonObject *feed;

      g_assert_no_error (status_error);
      feed = json_object_get_object_member (json_node_get_object (node), "feed");

      if (json_object_get_int_member (feed, "accepted") >= 150)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200000);
    }

  send (&demo, "o\n");
  wait_for_line (&demo, "DOWNTIME (");
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while ((print = automatic_print_done (socket)) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200000);
    }
  /* The whole ward reached the printer's folder: the census and a chart per patient. */
  g_assert_cmpstr (json_object_get_string_member (print, "what"), ==, "ward");
  g_assert_cmpint (json_object_get_int_member (print, "failed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (print, "documents"), >, 10);
  g_assert_cmpint (json_object_get_int_member (print, "completed"), ==,
                   json_object_get_int_member (print, "documents"));
  g_assert_cmpuint (count_pdfs (printed), ==, json_object_get_int_member (print, "documents"));

  send (&demo, "u\n");
  wait_for_line (&demo, "ONLINE");
  send (&demo, "q\n");
  wait_for_line (&demo, "Stopped.");
  g_assert_true (g_subprocess_wait_check (demo.demo, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_leftovers (demo.dir), ==, 0);
  g_test_message ("The demo said:\n%s", demo.said->str);

  g_object_unref (demo.out);
  g_object_unref (demo.demo);
  g_string_free (demo.said, TRUE);
  g_free (demo.dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/demo/outage-prints-the-ward", test_demo_outage);
  return g_test_run ();
}
