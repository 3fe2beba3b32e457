/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-snapshot-writer.h — writes the live model to the store after changes, off the main loop. */

#pragma once

#include "wk-config.h"
#include "wk-model.h"
#include "wk-store.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkSnapshotWriter:
 *
 * Keeps the snapshot folder following a live model. After a change the writer waits
 * for the debounce delay (changes in the meantime join the same snapshot, and each one
 * starts the delay again), but never longer than the maximum delay after the first
 * change not yet written, so a steady stream of changes is still written every few
 * seconds. The model is serialized on the thread that owns it, in the main context that
 * was the thread default when the writer was made (a copy in memory, milliseconds);
 * encryption, writing, fsync, rename and rotation run in a worker thread, one write at
 * a time, so the main loop never waits on the disk. A failed write is retried after
 * the maximum delay, and the previous snapshots stay as they were.
 *
 * The model must not be inside an open transaction when the main loop runs (HL7
 * messages are applied in one go).
 */
typedef struct _WkSnapshotWriter WkSnapshotWriter;

/**
 * WkSnapshotWriterStatusFunc:
 * @writer: the writer
 * @user_data: the data given to wk_snapshot_writer_set_status_func()
 *
 * Called in the writer's main context after each write, successful or not; the
 * getters say how it went.
 */
typedef void (*WkSnapshotWriterStatusFunc) (WkSnapshotWriter *writer, gpointer user_data);

WkSnapshotWriter *
wk_snapshot_writer_new (WkStore *store, WkModel *model, guint debounce_ms, guint max_delay_ms);
WkSnapshotWriter      *
wk_snapshot_writer_new_from_config (WkStore *store, WkModel *model, WkConfig *config);
void wk_snapshot_writer_free (WkSnapshotWriter *writer);
void wk_snapshot_writer_set_status_func (WkSnapshotWriter          *writer,
                                         WkSnapshotWriterStatusFunc func,
                                         gpointer                   user_data);

void wk_snapshot_writer_flush_async (WkSnapshotWriter   *writer,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean
wk_snapshot_writer_flush_finish (WkSnapshotWriter *writer, GAsyncResult *result, GError **error);
gboolean wk_snapshot_writer_flush (WkSnapshotWriter *writer, GError **error);

gboolean              wk_snapshot_writer_has_unwritten (WkSnapshotWriter *writer);
gboolean              wk_snapshot_writer_is_writing (WkSnapshotWriter *writer);
const WkSnapshotInfo *wk_snapshot_writer_get_last_written (WkSnapshotWriter *writer);
const GError         *wk_snapshot_writer_get_last_error (WkSnapshotWriter *writer);
guint                 wk_snapshot_writer_get_n_written (WkSnapshotWriter *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkSnapshotWriter, wk_snapshot_writer_free)

G_END_DECLS
