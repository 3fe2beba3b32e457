/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-snapshot-writer.c — writes the live model to the store after changes, off the main loop. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-snapshot-writer.h"

#include "wk-snapshot-error.h"
#include "wk-store-private.h"

#include <sodium.h>
#include <sqlite3.h>

struct _WkSnapshotWriter
{
  guint         ref; /* the writer, and each write in flight; owner thread only */
  WkStore      *store;
  WkModel      *model; /* NULL once freed */
  GMainContext *context;
  GSource      *timer;
  gint64        debounce_us;
  gint64        max_delay_us;

  gboolean   dirty;          /* changes not yet in a write */
  gint64     first_dirty_us; /* monotonic time of the first of them */
  gint64     last_change_us;
  gboolean   writing;
  gboolean   flush_requested;
  GPtrArray *flushes;     /* GTask waiting for everything to be written */
  GMutex     flight_lock; /* the worker says when its write is over, for free() */
  GCond      flight_cond;
  gboolean   in_worker;

  WkSnapshotInfo *last_written;
  GError         *last_error;
  gint64          last_failure_us;
  guint           n_written;
  guint           n_failures; /* in a row */

  WkSnapshotWriterStatusFunc status_func;
  gpointer                   status_data;
};

/* One write, handed to the worker thread. */
typedef struct
{
  WkSnapshotWriter *writer; /* only its flight lock and cond, from the worker */
  WkStore          *store;
  guint8           *image; /* the serialized model: wiped and freed by the store */
  gsize             size;
  gint64            created_at;
  gint64            first_dirty_us;
} Job;

static void schedule (WkSnapshotWriter *writer);

static void
job_free (gpointer data)
{
  Job *job = data;

  if (job->image != NULL)
    {
      sodium_memzero (job->image, job->size);
      sqlite3_free (job->image);
    }
  wk_store_unref (job->store);
  g_free (job);
}

static WkSnapshotWriter *
writer_ref (WkSnapshotWriter *writer)
{
  writer->ref++;
  return writer;
}

static void
writer_unref (WkSnapshotWriter *writer)
{
  if (--writer->ref > 0)
    return;
  g_assert (writer->flushes->len == 0);
  g_ptr_array_unref (writer->flushes);
  wk_store_unref (writer->store);
  g_main_context_unref (writer->context);
  g_clear_pointer (&writer->last_written, wk_snapshot_info_free);
  g_clear_error (&writer->last_error);
  g_mutex_clear (&writer->flight_lock);
  g_cond_clear (&writer->flight_cond);
  g_free (writer);
}

/* A source that fires once at its ready time and waits for the next. */
static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

/* Answers every waiting flush: with @error, or with success once nothing is unwritten. */
static void
complete_flushes (WkSnapshotWriter *writer, const GError *error)
{
  g_autoptr (GPtrArray) flushes = NULL;

  if (writer->flushes->len == 0)
    {
      writer->flush_requested = FALSE;
      return;
    }
  if (error == NULL && (writer->dirty || writer->writing))
    return; /* flush_requested stays: the next write starts at once */
  flushes = g_steal_pointer (&writer->flushes);
  writer->flushes = g_ptr_array_new ();
  writer->flush_requested = FALSE;
  for (guint i = 0; i < flushes->len; i++)
    {
      GTask *task = flushes->pdata[i];

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

static void
write_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job            *job = data;
  GError         *error = NULL;
  WkSnapshotInfo *info;

  info = _wk_store_write_image (job->store, g_steal_pointer (&job->image), job->size,
                                job->created_at, &error);
  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify)wk_snapshot_info_free);

  g_mutex_lock (&job->writer->flight_lock);
  job->writer->in_worker = FALSE;
  g_cond_broadcast (&job->writer->flight_cond);
  g_mutex_unlock (&job->writer->flight_lock);
}

static void
write_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WkSnapshotWriter *writer = user_data;
  Job              *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  WkSnapshotInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  writer->writing = FALSE;
  if (writer->model == NULL)
    {
      /* Freed while writing: nobody is waiting for the result. */
      wk_snapshot_info_free (info);
      writer_unref (writer);
      return;
    }
  if (info != NULL)
    {
      if (writer->n_failures > 0)
        g_message ("Snapshots are written again (%s) after %u failed attempt%s", info->path,
                   writer->n_failures, writer->n_failures == 1 ? "" : "s");
      g_debug ("Wrote snapshot %s (%" G_GUINT64_FORMAT " bytes of model)", info->path,
               info->model_size);
      g_clear_pointer (&writer->last_written, wk_snapshot_info_free);
      writer->last_written = info;
      g_clear_error (&writer->last_error);
      writer->n_written++;
      writer->n_failures = 0;
    }
  else
    {
      /* What that write held is not on disk: it is unwritten again, from when it was. */
      if (!writer->dirty || job->first_dirty_us < writer->first_dirty_us)
        writer->first_dirty_us = job->first_dirty_us;
      writer->last_change_us = MAX (writer->last_change_us, job->first_dirty_us);
      writer->dirty = TRUE;
      if (writer->last_error == NULL
          || g_strcmp0 (writer->last_error->message, error->message) != 0)
        g_warning ("%s; retrying every %.1f s", error->message,
                   (double)writer->max_delay_us / G_USEC_PER_SEC);
      g_clear_error (&writer->last_error);
      writer->last_error = g_error_copy (error);
      writer->last_failure_us = g_get_monotonic_time ();
      writer->n_failures++;
    }
  if (writer->status_func != NULL)
    writer->status_func (writer, writer->status_data);
  if (writer->model != NULL)
    {
      complete_flushes (writer, error);
      schedule (writer);
    }
  writer_unref (writer);
}

/* Serializes the model here, on its own thread, and hands the rest to a worker. */
static void
start_write (WkSnapshotWriter *writer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  Job    *job;
  guint8 *image;
  gsize   size = 0;

  image = wk_model_serialize (writer->model, &size, &error);
  if (image == NULL && error == NULL) /* called inside a transaction: a caller's bug */
    g_set_error (&error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                 "Cannot copy the ward model for a snapshot while a change is half made");
  if (image == NULL)
    {
      g_warning ("%s; retrying later", error->message);
      g_clear_error (&writer->last_error);
      writer->last_error = g_error_copy (error);
      writer->last_failure_us = g_get_monotonic_time ();
      writer->n_failures++;
      complete_flushes (writer, error);
      schedule (writer);
      return;
    }
  job = g_new0 (Job, 1);
  job->writer = writer;
  job->store = wk_store_ref (writer->store);
  job->image = image;
  job->size = size;
  job->created_at = _wk_store_now (writer->store);
  job->first_dirty_us = writer->first_dirty_us;
  writer->dirty = FALSE;
  writer->first_dirty_us = 0;
  writer->writing = TRUE;
  g_mutex_lock (&writer->flight_lock);
  writer->in_worker = TRUE;
  g_mutex_unlock (&writer->flight_lock);

  g_main_context_push_thread_default (writer->context);
  task = g_task_new (NULL, NULL, write_done_cb, writer_ref (writer));
  g_main_context_pop_thread_default (writer->context);
  g_task_set_source_tag (task, start_write);
  g_task_set_task_data (task, job, job_free);
  g_task_run_in_thread (task, write_thread);
}

static gboolean
timer_cb (gpointer user_data)
{
  WkSnapshotWriter *writer = user_data;

  if (writer->dirty && !writer->writing)
    start_write (writer);
  return G_SOURCE_CONTINUE;
}

/* Sets when the next write starts: never while one is in flight; at once for a flush;
 * else after the debounce, but no later than the maximum delay after the first
 * unwritten change; after a failure, not before the maximum delay has passed. */
static void
schedule (WkSnapshotWriter *writer)
{
  gint64 deadline;

  if (writer->writing || !writer->dirty)
    {
      g_source_set_ready_time (writer->timer, -1);
      return;
    }
  if (writer->flush_requested)
    deadline = 0;
  else
    {
      deadline = MIN (writer->last_change_us + writer->debounce_us,
                      writer->first_dirty_us + writer->max_delay_us);
      if (writer->n_failures > 0)
        deadline = MAX (deadline, writer->last_failure_us + writer->max_delay_us);
    }
  g_source_set_ready_time (writer->timer, deadline);
}

static void
model_changed_cb (WkModel *model, gpointer user_data)
{
  WkSnapshotWriter *writer = user_data;
  gint64            now = g_get_monotonic_time ();

  if (!writer->dirty)
    writer->first_dirty_us = now;
  writer->dirty = TRUE;
  writer->last_change_us = now;
  schedule (writer);
}

/**
 * wk_snapshot_writer_new:
 * @store: where to write; the writer holds a reference
 * @model: the live model; it must outlive the writer
 * @debounce_ms: how long after a change to write (`[snapshot] debounce`)
 * @max_delay_ms: the longest a change waits while others keep arriving
 *   (`[snapshot] max-delay`)
 *
 * Attaches a writer to @model through wk_model_set_changed_func() (the model's one
 * changed function). It runs in the thread-default main context of the calling thread,
 * which must be the thread that changes the model.
 *
 * Returns: (transfer full): the writer
 */
WkSnapshotWriter *
wk_snapshot_writer_new (WkStore *store, WkModel *model, guint debounce_ms, guint max_delay_ms)
{
  WkSnapshotWriter *writer;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  writer = g_new0 (WkSnapshotWriter, 1);
  writer->ref = 1;
  writer->store = wk_store_ref (store);
  writer->model = model;
  writer->context = g_main_context_ref_thread_default ();
  writer->debounce_us = (gint64)debounce_ms * 1000;
  writer->max_delay_us = (gint64)MAX (max_delay_ms, 1) * 1000;
  writer->flushes = g_ptr_array_new ();
  g_mutex_init (&writer->flight_lock);
  g_cond_init (&writer->flight_cond);
  writer->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_name (writer->timer, "wardkeep snapshot writer");
  g_source_set_callback (writer->timer, timer_cb, writer, NULL);
  g_source_set_ready_time (writer->timer, -1);
  g_source_attach (writer->timer, writer->context);
  wk_model_set_changed_func (model, model_changed_cb, writer);
  return writer;
}

/**
 * wk_snapshot_writer_new_from_config:
 * @store: where to write; the writer holds a reference
 * @model: the live model; it must outlive the writer
 * @config: the configuration: `[snapshot] debounce` and `max-delay`
 *
 * wk_snapshot_writer_new() with the configured delays.
 *
 * Returns: (transfer full): the writer
 */
WkSnapshotWriter *
wk_snapshot_writer_new_from_config (WkStore *store, WkModel *model, WkConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  return wk_snapshot_writer_new (
      store, model, (guint)wk_config_get_duration_ms (config, "snapshot", "debounce"),
      (guint)wk_config_get_duration_ms (config, "snapshot", "max-delay"));
}

/**
 * wk_snapshot_writer_free:
 * @writer: (nullable) (transfer full): a #WkSnapshotWriter
 *
 * Detaches the writer from its model. Changes not yet written are not written: call
 * wk_snapshot_writer_flush() first on a clean shutdown. A write in flight is waited
 * for (at most one write), so that no thread still writes once this returns; what is
 * left of it is released the next time the main context runs. Waiting flushes fail
 * with %G_IO_ERROR_CANCELLED.
 */
void
wk_snapshot_writer_free (WkSnapshotWriter *writer)
{
  g_autoptr (GError) error = NULL;

  if (writer == NULL)
    return;
  wk_model_set_changed_func (writer->model, NULL, NULL);
  writer->model = NULL;
  g_source_destroy (writer->timer);
  g_clear_pointer (&writer->timer, g_source_unref);
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
               "The snapshot writer was closed before the changes were written");
  complete_flushes (writer, error);
  g_mutex_lock (&writer->flight_lock);
  while (writer->in_worker)
    g_cond_wait (&writer->flight_cond, &writer->flight_lock);
  g_mutex_unlock (&writer->flight_lock);
  writer_unref (writer);
}

/**
 * wk_snapshot_writer_set_status_func:
 * @writer: a #WkSnapshotWriter
 * @func: (nullable): called after each write attempt
 * @user_data: passed to @func
 *
 * Sets the function told about each write, successful or not (the daemon's status).
 */
void
wk_snapshot_writer_set_status_func (WkSnapshotWriter          *writer,
                                    WkSnapshotWriterStatusFunc func,
                                    gpointer                   user_data)
{
  g_return_if_fail (writer != NULL);

  writer->status_func = func;
  writer->status_data = user_data;
}

/**
 * wk_snapshot_writer_flush_async:
 * @writer: a #WkSnapshotWriter
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every change made so far is on disk, or writing it failed
 * @user_data: passed to @callback
 *
 * Writes what is unwritten now, without waiting for the debounce.
 */
void
wk_snapshot_writer_flush_async (WkSnapshotWriter   *writer,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (writer != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, wk_snapshot_writer_flush_async);
  if (!writer->dirty && !writer->writing)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  g_ptr_array_add (writer->flushes, task);
  writer->flush_requested = TRUE;
  schedule (writer);
}

/**
 * wk_snapshot_writer_flush_finish:
 * @writer: a #WkSnapshotWriter
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when every change made before the flush is in a snapshot on disk
 */
gboolean
wk_snapshot_writer_flush_finish (WkSnapshotWriter *writer, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
flush_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/**
 * wk_snapshot_writer_flush:
 * @writer: a #WkSnapshotWriter
 * @error: return location for a #GError
 *
 * Writes what is unwritten and waits for it, running the writer's main context
 * meanwhile: for a clean shutdown, from the thread that owns the model.
 *
 * Returns: %TRUE when every change is in a snapshot on disk
 */
gboolean
wk_snapshot_writer_flush (WkSnapshotWriter *writer, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (writer != NULL, FALSE);

  g_main_context_push_thread_default (writer->context);
  wk_snapshot_writer_flush_async (writer, NULL, flush_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (writer->context, TRUE);
  g_main_context_pop_thread_default (writer->context);
  return wk_snapshot_writer_flush_finish (writer, result, error);
}

/**
 * wk_snapshot_writer_has_unwritten:
 * @writer: a #WkSnapshotWriter
 *
 * Returns: whether some change is not yet in a snapshot on disk
 */
gboolean
wk_snapshot_writer_has_unwritten (WkSnapshotWriter *writer)
{
  g_return_val_if_fail (writer != NULL, FALSE);

  return writer->dirty || writer->writing;
}

/**
 * wk_snapshot_writer_is_writing:
 * @writer: a #WkSnapshotWriter
 *
 * Returns: whether a write is in flight
 */
gboolean
wk_snapshot_writer_is_writing (WkSnapshotWriter *writer)
{
  g_return_val_if_fail (writer != NULL, FALSE);

  return writer->writing;
}

/**
 * wk_snapshot_writer_get_last_written:
 * @writer: a #WkSnapshotWriter
 *
 * Returns: (nullable) (transfer none): the last snapshot written (seq, time, file), or
 *   %NULL before the first
 */
const WkSnapshotInfo *
wk_snapshot_writer_get_last_written (WkSnapshotWriter *writer)
{
  g_return_val_if_fail (writer != NULL, NULL);

  return writer->last_written;
}

/**
 * wk_snapshot_writer_get_last_error:
 * @writer: a #WkSnapshotWriter
 *
 * Returns: (nullable) (transfer none): why the last write failed, or %NULL when it
 *   succeeded
 */
const GError *
wk_snapshot_writer_get_last_error (WkSnapshotWriter *writer)
{
  g_return_val_if_fail (writer != NULL, NULL);

  return writer->last_error;
}

/**
 * wk_snapshot_writer_get_n_written:
 * @writer: a #WkSnapshotWriter
 *
 * Returns: how many snapshots this writer has written
 */
guint
wk_snapshot_writer_get_n_written (WkSnapshotWriter *writer)
{
  g_return_val_if_fail (writer != NULL, 0);

  return writer->n_written;
}
