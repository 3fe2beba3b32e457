/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-ui.c — driving GTK widgets by name, waiting on the main loop, screenshots.
 *
 * UI tests run the kiosk's real widgets in the test process on a real X server of
 * their own (Xvfb, started here at the size the test is registered with,
 * WK_TEST_SCREEN=WIDTHxHEIGHT), find widgets by the names the kiosk gives them, press
 * them as a touch would (their "clicked"/"activate" signals), and wait on the main loop
 * for what a person would see. Screenshots are rendered by the window's own renderer
 * and saved as PNG into the build folder's artefacts/. */

#include "wk-test-ui.h"

#include "wk-pin-guard.h"
#include "wk-test-util.h"

#include <adwaita.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static GPid xvfb;
static int  screen_width = 1024, screen_height = 600;

/**
 * wk_test_ui_start_xvfb:
 * @width: the screen's width
 * @height: its height
 *
 * Starts an X server of its own for this program (Xvfb, 24-bit, no TCP) on a free
 * display number it chooses (-displayfd), and points DISPLAY at it.
 *
 * Returns: its process id, for wk_test_ui_stop_xvfb()
 */
GPid
wk_test_ui_start_xvfb (int width, int height)
{
  g_autofree char *screen = g_strdup_printf ("%dx%dx24", width, height);
  g_autofree char *display = NULL;
  const char      *argv[]
      = { "Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset", NULL };
  const int target_fds[] = { 3 };
  int       fds[2];
  int       source_fds[1];
  GPid      pid = 0;
  char      buf[32] = { 0 };
  gsize     got = 0;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  source_fds[0] = fds[1];
  g_assert_true (g_spawn_async_with_pipes_and_fds (
      NULL, argv, NULL,
      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, -1,
      -1, -1, source_fds, target_fds, 1, &pid, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  close (fds[1]);
  /* Xvfb writes the display number and a newline once it accepts connections. */
  while (got < sizeof buf - 1)
    {
      gssize n = read (fds[0], buf + got, sizeof buf - 1 - got);

      if (n <= 0)
        break;
      got += n;
      if (buf[got - 1] == '\n')
        break;
    }
  close (fds[0]);
  g_assert_cmpuint (got, >, 0);
  g_strstrip (buf);
  display = g_strdup_printf (":%s", buf);
  g_setenv ("DISPLAY", display, TRUE);
  g_unsetenv ("WAYLAND_DISPLAY");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  return pid;
}

/**
 * wk_test_ui_stop_xvfb:
 * @pid: (nullable): a server from wk_test_ui_start_xvfb(), or 0
 */
void
wk_test_ui_stop_xvfb (GPid pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
}

/**
 * wk_test_ui_kiosk_config:
 * @state_dir: the kiosk's state folder (its count of wrong PINs)
 * @extra: (nullable): more of the `[kiosk]` group
 *
 * Returns: (transfer full): a `[kiosk]` group with the test PINs, hashed as
 *   `wardkeep kiosk hash-pin` hashes them
 */
char *
wk_test_ui_kiosk_config (const char *state_dir, const char *extra)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ward = wk_pin_hash (WK_TEST_WARD_PIN, &error);
  g_autofree char *admin = wk_pin_hash (WK_TEST_ADMIN_PIN, &error);

  g_assert_no_error (error);
  return g_strdup_printf ("[kiosk]\nward-pin = %s\nadmin-pin = %s\nstate-directory = %s\n%s", ward,
                          admin, state_dir, extra != NULL ? extra : "");
}

/**
 * wk_test_ui_init:
 * @argc: main()'s argc
 * @argv: main()'s argv
 *
 * Starts Xvfb at WK_TEST_SCREEN (default 1024x600), then GTest (isolated folders) and
 * GTK with libadwaita.
 */
void
wk_test_ui_init (int *argc, char ***argv)
{
  const char *screen = g_getenv ("WK_TEST_SCREEN");

  if (screen != NULL && sscanf (screen, "%dx%d", &screen_width, &screen_height) != 2)
    g_error ("WK_TEST_SCREEN must be WIDTHxHEIGHT, not %s", screen);
  xvfb = wk_test_ui_start_xvfb (screen_width, screen_height);
  g_setenv ("GTK_A11Y", "none", TRUE);
  /* Isolated XDG folders hide the system's GSettings schemas, which GTK looks up. */
  g_setenv ("GSETTINGS_SCHEMA_DIR", "/usr/share/glib-2.0/schemas", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  gtk_init ();
  adw_init ();
}

/**
 * wk_test_ui_finish:
 *
 * Stops the X server.
 */
void
wk_test_ui_finish (void)
{
  wk_test_ui_stop_xvfb (xvfb);
  xvfb = 0;
}

/**
 * wk_test_ui_get_width:
 *
 * Returns: the screen's width
 */
int
wk_test_ui_get_width (void)
{
  return screen_width;
}

/**
 * wk_test_ui_get_height:
 *
 * Returns: the screen's height
 */
int
wk_test_ui_get_height (void)
{
  return screen_height;
}

/**
 * wk_test_ui_find:
 * @root: where to look
 * @name: a widget name
 *
 * Returns: (transfer none) (nullable): the first widget named @name under @root
 *   (depth first), %NULL when there is none
 */
GtkWidget *
wk_test_ui_find (GtkWidget *root, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = wk_test_ui_find (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/**
 * wk_test_ui_get:
 * @root: where to look
 * @name: a widget name
 *
 * Returns: (transfer none): the widget; the test fails when there is none
 */
GtkWidget *
wk_test_ui_get (GtkWidget *root, const char *name)
{
  GtkWidget *widget = wk_test_ui_find (root, name);

  if (widget == NULL)
    g_error ("No widget named %s", name);
  return widget;
}

/**
 * wk_test_ui_is_shown:
 * @widget: a widget
 *
 * Returns: whether @widget and every parent are visible and mapped (on screen)
 */
gboolean
wk_test_ui_is_shown (GtkWidget *widget)
{
  return widget != NULL && gtk_widget_get_mapped (widget);
}

/**
 * wk_test_ui_click:
 * @root: where to look
 * @name: a button's (or a tile's) name
 *
 * Presses it as a touch would; the test fails when it is not shown or not sensitive.
 */
void
wk_test_ui_click (GtkWidget *root, const char *name)
{
  GtkWidget *widget = wk_test_ui_get (root, name);

  if (!wk_test_ui_is_shown (widget))
    g_error ("%s is not on screen", name);
  if (!gtk_widget_is_sensitive (widget))
    g_error ("%s cannot be pressed now", name);
  if (GTK_IS_BUTTON (widget))
    g_signal_emit_by_name (widget, "clicked");
  else
    g_assert_true (gtk_widget_activate (widget));
  wk_test_ui_spin (0.05);
}

/**
 * wk_test_ui_type:
 * @root: where to look
 * @name: an entry's name
 * @text: what to type (replaces its text)
 */
void
wk_test_ui_type (GtkWidget *root, const char *name, const char *text)
{
  GtkWidget *widget = wk_test_ui_get (root, name);

  g_assert_true (GTK_IS_EDITABLE (widget));
  gtk_editable_set_text (GTK_EDITABLE (widget), text);
  wk_test_ui_spin (0.02);
}

/**
 * wk_test_ui_label:
 * @root: where to look
 * @name: a label's name
 *
 * Returns: (transfer none): its text
 */
const char *
wk_test_ui_label (GtkWidget *root, const char *name)
{
  GtkWidget *widget = wk_test_ui_get (root, name);

  g_assert_true (GTK_IS_LABEL (widget));
  return gtk_label_get_text (GTK_LABEL (widget));
}

/**
 * wk_test_ui_wait:
 * @condition: what to wait for
 * @data: its data
 * @seconds: the longest wait
 *
 * Runs the main loop until @condition holds.
 *
 * Returns: whether it held before the time ran out
 */
gboolean
wk_test_ui_wait (WkTestCondition condition, gpointer data, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64)(seconds * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/**
 * wk_test_ui_spin:
 * @seconds: how long
 *
 * Runs the main loop for a while (for redraws after a change).
 */
void
wk_test_ui_spin (double seconds)
{
  wk_test_ui_wait (never, NULL, seconds);
}

/**
 * wk_test_ui_screenshot:
 * @window: a window on screen
 * @what: what it shows ("census", "patient", ...)
 *
 * Saves the window as it is drawn into artefacts/kiosk-WHAT-WIDTHxHEIGHT.png in the
 * build folder, for people to look at.
 *
 * Returns: (transfer full): the file's path
 */
char *
wk_test_ui_screenshot (GtkWidget *window, const char *what)
{
  int              width = gtk_widget_get_width (window);
  int              height = gtk_widget_get_height (window);
  g_autofree char *dir = wk_test_build_path ("artefacts", NULL);
  g_autofree char *name = g_strdup_printf ("kiosk-%s-%dx%d.png", what, screen_width, screen_height);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  wk_test_ui_spin (0.3);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  /* The paintable gives what the last frame drew: a window changed since has none until
   * it is drawn again (slow under the sanitizers). */
  for (;;)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
      if (node != NULL || g_get_monotonic_time () > deadline)
        break;
      gtk_widget_queue_draw (window);
      gtk_test_widget_wait_for_draw (window);
      wk_test_ui_spin (0.1);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
  return g_steal_pointer (&path);
}
