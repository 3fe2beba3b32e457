/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-snapshot-writer.c — the debounced writer on a real main loop, real threads and
 * real files: coalescing, no starvation, one write in flight, failures, flush. */

#include "wk-keys.h"
#include "wk-log.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-snapshot-writer.h"
#include "wk-store-private.h"
#include "wk-test-hospital.h"
#include "wk-test-util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Nothing here may take this long; a hang fails instead of blocking the suite. */
#define PATIENCE_US (60 * G_USEC_PER_SEC)

typedef struct
{
  char             *dir;
  WkKeys           *keys;
  WkStore          *store;
  WkModel          *model;
  WkSnapshotWriter *writer;
  guint             statuses;
  guint             next_patient;
} Fixture;

static void
status_cb (WkSnapshotWriter *writer, gpointer user_data)
{
  Fixture *f = user_data;

  f->statuses++;
}

static void
fixture_open (Fixture *f, guint debounce_ms, guint max_delay_ms)
{
  g_autoptr (GError) error = NULL;
  WkStoreOptions options;
  guint8         master[WK_KEYS_MASTER_SIZE];

  memset (master, 0x42, sizeof master);
  f->dir = wk_test_scratch_path ("snapshots");
  f->keys = wk_keys_new_from_master (master, sizeof master, &error);
  g_assert_no_error (error);
  wk_store_options_init (&options);
  options.ward_id = "7A";
  f->store = wk_store_new (f->dir, f->keys, &options, &error);
  g_assert_no_error (error);
  f->model = wk_test_hospital_new ("7A", 12, 40, 40, NULL);
  f->next_patient = 100;
  f->writer = wk_snapshot_writer_new (f->store, f->model, debounce_ms, max_delay_ms);
  wk_snapshot_writer_set_status_func (f->writer, status_cb, f);
}

static void
fixture_close (Fixture *f)
{
  g_clear_pointer (&f->writer, wk_snapshot_writer_free);
  g_clear_pointer (&f->model, wk_model_free);
  g_clear_pointer (&f->store, wk_store_unref);
  g_clear_pointer (&f->keys, wk_keys_free);
  g_clear_pointer (&f->dir, g_free);
}

/* One change to the model, as an HL7 message would make: a pre-admitted patient. */
static void
change (Fixture *f)
{
  g_autoptr (WkPatient) patient = wk_test_patient_new (f->next_patient++);
  g_autoptr (GError) error = NULL;

  patient->stay = WK_STAY_PRE_ADMITTED;
  g_assert_true (wk_patient_insert (f->model, patient, &error));
  g_assert_no_error (error);
}

static guint
count_patients (WkModel *model)
{
  g_autoptr (GPtrArray) patients = wk_patient_load_all (model, NULL);

  g_assert_nonnull (patients);
  return patients->len;
}

/* The newest snapshot on disk, checked to hold the model as it is now. */
static void
assert_newest_is_current (Fixture *f, guint64 seq)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) loaded = wk_store_load_newest (f->store, &info, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (info->seq, ==, seq);
  g_assert_cmpuint (count_patients (loaded), ==, count_patients (f->model));
  g_assert_cmpuint (wk_snapshot_writer_get_last_written (f->writer)->seq, ==, seq);
}

/* Runs the default main context until @done says so; fails after PATIENCE_US. */
static void
iterate_until (gboolean (*done) (Fixture *f), Fixture *f)
{
  gint64 give_up = g_get_monotonic_time () + PATIENCE_US;

  while (!done (f))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_coalesce (void)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;

  fixture_open (&f, 200, 5000);
  g_assert_false (wk_snapshot_writer_has_unwritten (f.writer));
  g_assert_null (wk_snapshot_writer_get_last_written (f.writer));

  /* A burst of 100 changes makes one snapshot, with all of them. */
  for (int i = 0; i < 100; i++)
    change (&f);
  g_assert_true (wk_snapshot_writer_has_unwritten (f.writer));
  g_assert_true (wk_snapshot_writer_flush (f.writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (wk_snapshot_writer_get_n_written (f.writer), ==, 1);
  g_assert_cmpuint (f.statuses, ==, 1);
  g_assert_false (wk_snapshot_writer_has_unwritten (f.writer));
  g_assert_null (wk_snapshot_writer_get_last_error (f.writer));
  assert_newest_is_current (&f, 1);

  /* Nothing unwritten: a flush writes nothing. */
  g_assert_true (wk_snapshot_writer_flush (f.writer, &error));
  g_assert_cmpuint (wk_snapshot_writer_get_n_written (f.writer), ==, 1);
  fixture_close (&f);
}

static gboolean
written_once (Fixture *f)
{
  return wk_snapshot_writer_get_n_written (f->writer) >= 1;
}

static void
test_debounce (void)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (
      "[ward]\nid = 7A\n[snapshot]\ndebounce = 100ms\nmax-delay = 5s\n", -1, "writer.conf", &error);

  /* One change: written after the configured debounce, without a flush. */
  g_assert_no_error (error);
  fixture_open (&f, 1, 1);
  g_clear_pointer (&f.writer, wk_snapshot_writer_free);
  f.writer = wk_snapshot_writer_new_from_config (f.store, f.model, config);
  change (&f);
  iterate_until (written_once, &f);
  g_assert_cmpuint (wk_snapshot_writer_get_n_written (f.writer), ==, 1);
  assert_newest_is_current (&f, 1);
  fixture_close (&f);
}

typedef struct
{
  Fixture *f;
  guint    changes;
  guint    changes_at_first_write;
} Stream;

static gboolean
stream_change_cb (gpointer user_data)
{
  Stream *stream = user_data;

  change (stream->f);
  stream->changes++;
  return G_SOURCE_CONTINUE;
}

static void
stream_status_cb (WkSnapshotWriter *writer, gpointer user_data)
{
  Stream *stream = user_data;

  if (stream->changes_at_first_write == 0)
    stream->changes_at_first_write = stream->changes;
}

static gboolean
written_twice (Fixture *f)
{
  return wk_snapshot_writer_get_n_written (f->writer) >= 2;
}

static void
test_no_starvation (void)
{
  Fixture f = { 0 };
  Stream  stream = { &f, 0, 0 };
  guint   source;

  /* A change every 20 ms never leaves a 300 ms quiet spell, so a plain debounce would
   * never write; the maximum delay makes it write, again and again, while the changes
   * keep coming. */
  fixture_open (&f, 300, 600);
  wk_snapshot_writer_set_status_func (f.writer, stream_status_cb, &stream);
  source = g_timeout_add (20, stream_change_cb, &stream);
  iterate_until (written_twice, &f);
  g_source_remove (source);
  g_assert_cmpuint (stream.changes_at_first_write, >, 0);
  g_assert_cmpuint (stream.changes, >, stream.changes_at_first_write);
  g_assert_null (wk_snapshot_writer_get_last_error (f.writer));
  fixture_close (&f);
}

/* A disk that blocks each write until the test lets it go, and counts what overlaps. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean blocking;
  guint    entered; /* writes that reached the disk */
  guint    inside;  /* writes in write(2) now */
  guint    most_inside;
  int      fail_errno;
} Disk;

static ssize_t
disk_write (int fd, const void *buf, size_t size, gpointer user_data)
{
  Disk   *disk = user_data;
  ssize_t n;

  g_mutex_lock (&disk->lock);
  disk->inside++;
  disk->most_inside = MAX (disk->most_inside, disk->inside);
  disk->entered++;
  g_cond_broadcast (&disk->cond);
  while (disk->blocking)
    g_cond_wait (&disk->cond, &disk->lock);
  g_mutex_unlock (&disk->lock);

  if (disk->fail_errno != 0)
    {
      errno = disk->fail_errno;
      n = -1;
    }
  else
    n = write (fd, buf, size);

  g_mutex_lock (&disk->lock);
  disk->inside--;
  g_mutex_unlock (&disk->lock);
  return n;
}

static void
disk_release (Disk *disk)
{
  g_mutex_lock (&disk->lock);
  disk->blocking = FALSE;
  g_cond_broadcast (&disk->cond);
  g_mutex_unlock (&disk->lock);
}

typedef struct
{
  Fixture *f;
  Disk    *disk;
  guint    applied;
} Feed;

static gboolean
feed_cb (gpointer user_data)
{
  Feed *feed = user_data;

  change (feed->f);
  feed->applied++;
  return feed->applied < 20 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
disk_entered (Fixture *f)
{
  return wk_snapshot_writer_is_writing (f->writer);
}

static void
test_one_in_flight (void)
{
  Fixture f = { 0 };
  Disk    disk = { .blocking = TRUE };
  Feed    feed = { &f, &disk, 0 };
  g_autoptr (GError) error = NULL;
  gint64 give_up;

  g_mutex_init (&disk.lock);
  g_cond_init (&disk.cond);
  fixture_open (&f, 50, 100);
  _wk_store_set_write_func (f.store, disk_write, &disk);

  /* The first write gets stuck on the disk... */
  change (&f);
  iterate_until (disk_entered, &f);
  g_mutex_lock (&disk.lock);
  while (disk.entered == 0)
    g_cond_wait (&disk.cond, &disk.lock);
  g_mutex_unlock (&disk.lock);

  /* ...while the main loop goes on applying changes, well past the debounce and the
   * maximum delay, without starting a second write. */
  g_timeout_add (10, feed_cb, &feed);
  give_up = g_get_monotonic_time () + PATIENCE_US;
  while (feed.applied < 20)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (wk_snapshot_writer_is_writing (f.writer));
  g_assert_true (wk_snapshot_writer_has_unwritten (f.writer));
  g_assert_cmpuint (wk_snapshot_writer_get_n_written (f.writer), ==, 0);
  g_mutex_lock (&disk.lock);
  g_assert_cmpuint (disk.most_inside, ==, 1);
  g_mutex_unlock (&disk.lock);

  /* Let go: the stuck write lands, then one more holds the 20 changes made meanwhile. */
  disk_release (&disk);
  g_assert_true (wk_snapshot_writer_flush (f.writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (wk_snapshot_writer_get_n_written (f.writer), ==, 2);
  g_assert_cmpuint (disk.most_inside, ==, 1);
  assert_newest_is_current (&f, 2);

  fixture_close (&f);
  g_mutex_clear (&disk.lock);
  g_cond_clear (&disk.cond);
}

static void
test_failure_and_recovery (void)
{
  Fixture f = { 0 };
  Disk    disk = { .blocking = FALSE };
  g_autoptr (GError) error = NULL;
  g_autofree char *newest = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize            before_size = 0, after_size = 0;
  const GError    *last;

  g_mutex_init (&disk.lock);
  g_cond_init (&disk.cond);
  fixture_open (&f, 50, 200);
  _wk_store_set_write_func (f.store, disk_write, &disk);
  change (&f);
  g_assert_true (wk_snapshot_writer_flush (f.writer, &error));
  g_assert_no_error (error);
  newest = g_build_filename (f.dir, "000000000001.wks", NULL);
  g_assert_true (g_file_get_contents (newest, &before, &before_size, NULL));

  /* The disk fills up: the flush fails with the reason, which the writer keeps for
   * the daemon to show; the last good snapshot is untouched. */
  disk.fail_errno = ENOSPC;
  change (&f);
  g_assert_false (wk_snapshot_writer_flush (f.writer, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  g_clear_error (&error);
  last = wk_snapshot_writer_get_last_error (f.writer);
  g_assert_error ((GError *)last, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
  g_assert_true (wk_snapshot_writer_has_unwritten (f.writer));
  g_assert_cmpuint (wk_snapshot_writer_get_last_written (f.writer)->seq, ==, 1);
  g_assert_cmpuint (f.statuses, ==, 2);
  g_assert_true (g_file_get_contents (newest, &after, &after_size, NULL));
  g_assert_cmpmem (before, before_size, after, after_size);

  /* Space again: the writer retries by itself, and the error clears. */
  disk.fail_errno = 0;
  while (wk_snapshot_writer_has_unwritten (f.writer))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (wk_snapshot_writer_get_last_error (f.writer));
  assert_newest_is_current (&f, 2);

  fixture_close (&f);
  g_mutex_clear (&disk.lock);
  g_cond_clear (&disk.cond);
}

static void
flush_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  g_assert_false (wk_snapshot_writer_flush_finish (NULL, result, error));
}

static void
test_free_with_pending (void)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;

  g_autofree char *first = NULL;

  /* Freed with a write in flight: free waits for it, so the snapshot is complete on
   * disk when free returns. */
  fixture_open (&f, 50, 100);
  first = g_build_filename (f.dir, "000000000001.wks", NULL);
  change (&f);
  wk_snapshot_writer_flush_async (f.writer, NULL, flush_done_cb, &error);
  iterate_until (disk_entered, &f);
  g_clear_pointer (&f.writer, wk_snapshot_writer_free);
  g_assert_true (g_file_test (first, G_FILE_TEST_IS_REGULAR));
  {
    g_autoptr (WkModel) loaded = wk_store_load_newest (f.store, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (count_patients (loaded), ==, count_patients (f.model));
  }
  /* The flush waiting is told it will not happen. */
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The model is no longer watched: a change starts nothing. */
  change (&f);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_usleep (200000);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  {
    g_autofree char *second = g_build_filename (f.dir, "000000000002.wks", NULL);

    g_assert_false (g_file_test (second, G_FILE_TEST_EXISTS));
  }
  fixture_close (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* Failed writes are logged as warnings, as they should be; they are not fatal here. */
  wk_log_init ("test-snapshot-writer");

  g_test_add_func ("/snapshot-writer/coalesce", test_coalesce);
  g_test_add_func ("/snapshot-writer/debounce", test_debounce);
  g_test_add_func ("/snapshot-writer/no-starvation", test_no_starvation);
  g_test_add_func ("/snapshot-writer/one-in-flight", test_one_in_flight);
  g_test_add_func ("/snapshot-writer/failure-and-recovery", test_failure_and_recovery);
  g_test_add_func ("/snapshot-writer/free-with-pending", test_free_with_pending);

  return g_test_run ();
}
