/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-kiosk-start.c — wardkeep-kiosk from exec to the census of a 30-bed ward drawn,
 * and its peak memory. Targets: 1.5 s and 150 MB.
 *
 * A throw-away kiosk folder (key, configuration, one snapshot of a 30-bed ward) and an
 * X server of its own (Xvfb, 1920x1080); the real program is started RUNS times with
 * --exit-when-drawn, which quits once the first frame with the census has been painted.
 * The time is wall clock from spawning the process to its line saying the frame is
 * painted (so it includes loading GTK, decrypting the snapshot and drawing); the memory is the
 * process's peak resident set (getrusage of the child). The first run is the coldest the machine
 * allows without dropping the page cache. */

#include "wk-keys.h"
#include "wk-pin-guard.h"
#include "wk-store.h"
#include "wk-test-ui.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS 5
#define TARGET_S 1.5
#define TARGET_MB 150.0

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static char *
make_kiosk (const char *dir)
{
  g_autofree char *key = g_build_filename (dir, "wardkeep.key", NULL);
  g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *socket = g_build_filename (dir, "no-daemon.sock", NULL);
  g_autofree char *config_path = g_build_filename (dir, "wardkeep.conf", NULL);
  g_autofree char *kiosk = wk_test_ui_kiosk_config (state, NULL);
  g_autofree char *config = NULL;
  g_autoptr (WkModel) model = wk_test_ward_new (30);
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  WkStoreOptions options;

  g_unsetenv ("CREDENTIALS_DIRECTORY");
  if (!wk_keys_create_file (key, &error) || (keys = wk_keys_load (key, &error)) == NULL)
    g_error ("%s", error->message);
  g_mkdir_with_parents (snapshots, 0750);
  wk_store_options_init (&options);
  options.ward_id = WK_TEST_WARD;
  store = wk_store_new (snapshots, keys, &options, &error);
  if (store == NULL || (info = wk_store_write (store, model, &error)) == NULL)
    g_error ("%s", error->message);
  config = g_strdup_printf ("[ward]\nid = 7A\nname = Ward 7A — Acute Medicine\n[keys]\nfile = %s\n"
                            "[snapshot]\ndirectory = %s\n[daemon]\ncontrol-socket = %s\n%s",
                            key, snapshots, socket, kiosk);
  if (!g_file_set_contents (config_path, config, -1, &error))
    g_error ("%s", error->message);
  return g_steal_pointer (&config_path);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("bench-kiosk-XXXXXX", NULL);
  g_autofree char *config = NULL;
  g_autofree char *program = NULL;
  const char      *build = g_getenv ("WK_BUILD_DIR");
  double           seconds[RUNS], peak_mb = 0;
  GPid             xvfb;

  /* Run from the build tree: tests/bench/bench-kiosk-start. */
  if (build == NULL)
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *bench_dir = g_path_get_dirname (self);
      g_autofree char *tests_dir = g_path_get_dirname (bench_dir);
      g_autofree char *top = g_path_get_dirname (tests_dir);

      g_setenv ("WK_BUILD_DIR", top, TRUE);
    }
  program = wk_test_build_path ("kiosk", "app", "wardkeep-kiosk", NULL);
  config = make_kiosk (dir);
  xvfb = wk_test_ui_start_xvfb (1920, 1080);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);

  for (int run = 0; run < RUNS; run++)
    {
      const char   *args[] = { program, "--config", config, "--exit-when-drawn", NULL };
      GPid          pid;
      int           out_fd, status;
      struct rusage usage;
      gint64        start = g_get_monotonic_time ();
      g_autoptr (GError) error = NULL;
      char  line[256] = { 0 };
      FILE *out;

      if (!g_spawn_async_with_pipes (NULL, (char **)args, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                     NULL, &pid, NULL, &out_fd, NULL, &error))
        g_error ("%s", error->message);
      out = fdopen (out_fd, "r");
      while (fgets (line, sizeof line, out) != NULL && !g_str_has_prefix (line, "census drawn"))
        ;
      seconds[run] = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
      if (wait4 (pid, &status, 0, &usage) != pid || !WIFEXITED (status)
          || WEXITSTATUS (status) != 0)
        g_error ("wardkeep-kiosk did not exit cleanly (status %d)", status);
      fclose (out);
      if (!g_str_has_prefix (line, "census drawn"))
        g_error ("wardkeep-kiosk never said the census was drawn");
      g_strchomp (line);
      peak_mb = MAX (peak_mb, usage.ru_maxrss / 1024.0);
      printf ("run %d: %.3f s from exec to the census drawn (the kiosk: %s), peak RSS %.1f MB\n",
              run + 1, seconds[run], line, usage.ru_maxrss / 1024.0);
    }
  wk_test_ui_stop_xvfb (xvfb);

  {
    double first = seconds[0];

    qsort (seconds, RUNS, sizeof seconds[0], compare_double);
    printf ("wardkeep-kiosk, 30-bed ward, 1920x1080 Xvfb, cairo renderer, %d runs:\n", RUNS);
    printf ("  start to census drawn: first %.3f s, median %.3f s, worst %.3f s (target %.1f s)\n",
            first, seconds[RUNS / 2], seconds[RUNS - 1], TARGET_S);
    printf ("  peak memory (RSS): %.1f MB (target %.0f MB)\n", peak_mb, TARGET_MB);
  }
  {
    const char *rm[] = { "rm", "-rf", dir, NULL };

    if (!g_spawn_sync (NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                       NULL))
      g_printerr ("could not remove %s\n", dir);
  }
  return 0;
}
