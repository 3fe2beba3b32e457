/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-store.c — snapshot write and load times, and peak memory, for a whole hospital.
 *
 * A synthetic hospital (1,200 beds, 24,000 order rows, 200,000 administrations) is
 * written as a snapshot (serialize + encrypt + write + fsync + rename + fsync of the
 * folder) and loaded back (read + authenticate + decrypt + open read-only + quick
 * check), several times each, into a folder on the disk the kiosk would use. Targets:
 * write <= 150 ms, load <= 150 ms on a 2-core machine. */

#include "wk-keys.h"
#include "wk-store.h"
#include "wk-test-hospital.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 7

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

/* The peak resident memory since the last reset, in MiB (VmHWM). */
static double
peak_mib (void)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line != NULL ? g_ascii_strtod (line + 6, NULL) / 1024.0 : -1;
}

static double
rss_mib (void)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtod (line + 6, NULL) / 1024.0 : -1;
}

/* Resets VmHWM to the current RSS, so that the next peak is the next step's own. */
static void
reset_peak (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f == NULL || fputs ("5", f) < 0 || fclose (f) != 0)
    fprintf (stderr, "(cannot reset the peak memory counter; peaks are since start)\n");
}

static void
report (const char *what, double *ms, double target)
{
  qsort (ms, RUNS, sizeof (double), compare_doubles);
  printf ("%-44s median %7.1f ms  min %7.1f  max %7.1f  (target <= %.0f ms: %s)\n", what,
          ms[RUNS / 2], ms[0], ms[RUNS - 1], target, ms[RUNS / 2] <= target ? "met" : "MISSED");
}

static WkKeys *
bench_keys (void)
{
  g_autoptr (GError) error = NULL;
  guint8  master[WK_KEYS_MASTER_SIZE];
  WkKeys *keys;

  memset (master, 0x5a, sizeof master);
  keys = wk_keys_new_from_master (master, sizeof master, &error);
  g_assert_no_error (error);
  return keys;
}

/* The child: load the newest snapshot of @dir RUNS times; the process's peak memory is
 * what a kiosk needs to load this hospital. */
static int
load_runs (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = bench_keys ();
  g_autoptr (WkStore) store = NULL;
  WkStoreOptions options;
  double         load_ms[RUNS];
  double         before = rss_mib ();

  wk_store_options_init (&options);
  options.ward_id = "HOSP";
  store = wk_store_new (dir, keys, &options, &error);
  g_assert_no_error (error);
  for (int i = 0; i < RUNS; i++)
    {
      g_autoptr (WkSnapshotInfo) info = NULL;
      g_autoptr (WkModel) loaded = NULL;
      gint64 start = g_get_monotonic_time ();

      loaded = wk_store_load_newest (store, &info, &error);
      load_ms[i] = (g_get_monotonic_time () - start) / 1e3;
      g_assert_no_error (error);
    }
  report ("load: read+authenticate+decrypt+open", load_ms, 150);
  printf ("peak memory of a process that loads it: %.1f MiB (%.1f MiB before loading)\n",
          peak_mib (), before);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkModel) model = NULL;
  WkStoreOptions options;
  double         write_ms[RUNS], serialize_ms[RUNS];
  double         write_peak = 0, base_rss;
  gint64         start;
  goffset        file_size = 0;
  guint64        model_size = 0;

  if (argc == 3 && strcmp (argv[1], "--load") == 0)
    return load_runs (argv[2]);
  /* On the build's disk, not a tmpfs: fsync must cost what it costs. */
  dir = g_build_filename (g_get_current_dir (), "bench-store-XXXXXX", NULL);
  if (g_mkdtemp (dir) == NULL)
    g_error ("Cannot make a folder for the benchmark: %s", g_strerror (errno));
  keys = bench_keys ();
  wk_store_options_init (&options);
  options.ward_id = "HOSP";
  options.keep = 2;
  options.keep_hourly = FALSE;
  {
    g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);

    store = wk_store_new (snapshots, keys, &options, &error);
    g_assert_no_error (error);
  }

  start = g_get_monotonic_time ();
  model = wk_test_hospital_new ("HOSP", 1200, 24000, 200000, NULL);
  printf ("synthetic hospital: 1,200 beds, 24,000 order rows, 200,000 administrations "
          "(built in %.1f s)\n",
          (g_get_monotonic_time () - start) / 1e6);
  base_rss = rss_mib ();

  for (int i = 0; i < RUNS; i++)
    {
      g_autoptr (WkSnapshotInfo) info = NULL;
      guint8 *image;
      gsize   size;

      /* The part the daemon's main loop waits for: a copy of the model in memory. */
      start = g_get_monotonic_time ();
      image = wk_model_serialize (model, &size, &error);
      serialize_ms[i] = (g_get_monotonic_time () - start) / 1e3;
      g_assert_no_error (error);
      /* What `wardkeep snapshot verify` adds to a load: SQLite checks every page. */
      if (i == 0)
        {
          g_autoptr (WkModel) opened = NULL;

          start = g_get_monotonic_time ();
          opened = wk_model_new_from_serialized (image, size, TRUE, &error);
          g_assert_no_error (error);
          printf ("deep check of a decrypted image (quick_check, as snapshot verify does): "
                  "%.1f ms\n",
                  (g_get_monotonic_time () - start) / 1e3);
        }
      else
        sqlite3_free (image);

      reset_peak ();
      start = g_get_monotonic_time ();
      info = wk_store_write (store, model, &error);
      write_ms[i] = (g_get_monotonic_time () - start) / 1e3;
      g_assert_no_error (error);
      write_peak = MAX (write_peak, peak_mib () - base_rss);
      file_size = info->size;
      model_size = info->model_size;
    }
  g_clear_pointer (&model, wk_model_free);

  printf ("model %.1f MiB, snapshot file %.1f MiB, %d runs each\n", model_size / 1048576.0,
          file_size / 1048576.0, RUNS);
  report ("serialize only (blocks the main loop)", serialize_ms, 150);
  report ("write: serialize+encrypt+write+fsync+rename", write_ms, 150);
  printf ("peak memory of a write, above the live model: %.1f MiB\n", write_peak);
  fflush (stdout);

  /* Loading is what the kiosk does at start: measured in a fresh process of its own. */
  {
    g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);
    const char      *child_argv[] = { "/proc/self/exe", "--load", snapshots, NULL };
    int              status = 0;

    if (!g_spawn_sync (NULL, (char **)child_argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                       NULL, NULL, &status, &error)
        || !g_spawn_check_wait_status (status, &error))
      g_error ("The load benchmark failed: %s", error->message);
  }

  {
    g_autoptr (GPtrArray) list = wk_store_list (store, FALSE, NULL);

    for (guint i = 0; list != NULL && i < list->len; i++)
      g_unlink (((WkSnapshotInfo *)list->pdata[i])->path);
    g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);
    g_rmdir (snapshots);
    g_rmdir (dir);
  }
  return 0;
}
