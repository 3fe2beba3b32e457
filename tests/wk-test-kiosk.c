/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-kiosk.c — a kiosk's folder for tests: key, configuration, snapshots, a display.
 *
 * The kiosk reads what a real one reads: a 0600 key file, a configuration with PINs
 * hashed as `wardkeep kiosk hash-pin` hashes them, and snapshots written by the real
 * store. The display is a real X server (Xvfb) the test starts on a display number the
 * server picks itself (-displayfd), so that tests running at once never share one. */

#include "wk-test-kiosk.h"

#include "wk-pin-guard.h"
#include "wk-test-util.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/**
 * wk_test_kiosk_new:
 * @extra_config: (nullable): more configuration, appended (groups the kiosk needs:
 *   `[printer ...]`, `[daemon]`, ...)
 *
 * Makes a kiosk folder for ward 7A: a new key, an empty snapshot folder, and a
 * configuration with the test PINs and @extra_config.
 *
 * Returns: (transfer full): the kiosk folder
 */
WkTestKiosk *
wk_test_kiosk_new (const char *extra_config)
{
  WkTestKiosk *kiosk = g_new0 (WkTestKiosk, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *ward_hash = wk_pin_hash (WK_TEST_WARD_PIN, &error);
  g_autofree char *admin_hash = wk_pin_hash (WK_TEST_ADMIN_PIN, &error);
  g_autofree char *config = NULL;
  g_autofree char *base = wk_test_scratch_dir ();

  g_assert_no_error (error);
  kiosk->dir = g_build_filename (base, "kiosk", NULL);
  g_assert_cmpint (g_mkdir_with_parents (kiosk->dir, 0700), ==, 0);
  kiosk->key_path = g_build_filename (kiosk->dir, "wardkeep.key", NULL);
  kiosk->snapshot_dir = g_build_filename (kiosk->dir, "snapshots", NULL);
  kiosk->state_dir = g_build_filename (kiosk->dir, "state", NULL);
  kiosk->config_path = g_build_filename (kiosk->dir, "wardkeep.conf", NULL);
  g_assert_cmpint (g_mkdir_with_parents (kiosk->snapshot_dir, 0750), ==, 0);

  g_unsetenv ("CREDENTIALS_DIRECTORY");
  g_assert_true (wk_keys_create_file (kiosk->key_path, &error));
  g_assert_no_error (error);
  kiosk->keys = wk_keys_load (kiosk->key_path, &error);
  g_assert_no_error (error);

  config = g_strdup_printf ("[ward]\nid = 7A\nname = Ward 7A — Acute Medicine\n\n"
                            "[keys]\nfile = %s\n\n"
                            "[snapshot]\ndirectory = %s\n\n"
                            "[kiosk]\nward-pin = %s\nadmin-pin = %s\nstate-directory = %s\n\n%s",
                            kiosk->key_path, kiosk->snapshot_dir, ward_hash, admin_hash,
                            kiosk->state_dir, extra_config != NULL ? extra_config : "");
  g_assert_true (g_file_set_contents (kiosk->config_path, config, -1, &error));
  g_assert_no_error (error);
  return kiosk;
}

/**
 * wk_test_kiosk_load_config:
 * @kiosk: a kiosk folder
 *
 * Returns: (transfer full): its configuration, loaded
 */
WkConfig *
wk_test_kiosk_load_config (WkTestKiosk *kiosk)
{
  g_autoptr (GError) error = NULL;
  WkConfig *config = wk_config_load (kiosk->config_path, &error);

  g_assert_no_error (error);
  return config;
}

/**
 * wk_test_kiosk_write:
 * @kiosk: a kiosk folder
 * @model: a ward model
 *
 * Writes @model as the next snapshot, as the daemon would.
 *
 * Returns: its sequence number
 */
guint64
wk_test_kiosk_write (WkTestKiosk *kiosk, WkModel *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;

  if (kiosk->store == NULL)
    {
      g_autoptr (WkConfig) config = wk_test_kiosk_load_config (kiosk);

      kiosk->store = wk_store_new_from_config (config, kiosk->keys, NULL, &error);
      g_assert_no_error (error);
    }
  info = wk_store_write (kiosk->store, model, &error);
  g_assert_no_error (error);
  return info->seq;
}

/**
 * wk_test_kiosk_free:
 * @kiosk: (nullable): a kiosk folder
 */
void
wk_test_kiosk_free (WkTestKiosk *kiosk)
{
  if (kiosk == NULL)
    return;
  g_clear_pointer (&kiosk->store, wk_store_unref);
  g_clear_pointer (&kiosk->keys, wk_keys_free);
  g_free (kiosk->dir);
  g_free (kiosk->key_path);
  g_free (kiosk->snapshot_dir);
  g_free (kiosk->state_dir);
  g_free (kiosk->config_path);
  g_free (kiosk);
}

/**
 * wk_test_xvfb_start:
 * @width: the screen's width in pixels
 * @height: its height
 *
 * Starts an X server of its own for this test program (Xvfb, 24-bit, no TCP) on a free
 * display number it chooses, and points DISPLAY at it. Call before gtk_init().
 *
 * Returns: the server's process id, for wk_test_xvfb_stop()
 */
GPid
wk_test_xvfb_start (int width, int height)
{
  g_autofree char *screen = g_strdup_printf ("%dx%dx24", width, height);
  int              fds[2];
  GPid             pid = 0;
  g_autoptr (GError) error = NULL;
  char        buf[32] = { 0 };
  gsize       got = 0;
  const char *argv[]
      = { "Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset", NULL };
  const int target_fds[] = { 3 };
  int       out_fd = -1;

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);
  {
    int source_fds[] = { fds[1] };

    g_assert_true (g_spawn_async_with_pipes_and_fds (
        NULL, argv, NULL,
        G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
        -1, -1, -1, source_fds, target_fds, 1, &pid, NULL, NULL, NULL, &error));
  }
  g_assert_no_error (error);
  close (fds[1]);
  out_fd = fds[0];
  /* Xvfb writes the display number and a newline once it accepts connections. */
  while (got < sizeof buf - 1)
    {
      gssize n = read (out_fd, buf + got, sizeof buf - 1 - got);

      if (n <= 0)
        break;
      got += n;
      if (buf[got - 1] == '\n')
        break;
    }
  close (out_fd);
  g_assert_cmpuint (got, >, 0);
  g_strstrip (buf);
  {
    g_autofree char *display = g_strdup_printf (":%s", buf);

    g_setenv ("DISPLAY", display, TRUE);
  }
  g_unsetenv ("WAYLAND_DISPLAY");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  return pid;
}

/**
 * wk_test_xvfb_stop:
 * @pid: the server from wk_test_xvfb_start()
 */
void
wk_test_xvfb_stop (GPid pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
}
