/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-store-private.h — what the snapshot writer and the tests share with wk-store.c. */

#pragma once

#include "wk-store.h"

#include <sys/types.h>

G_BEGIN_DECLS

/* The clock snapshots are stamped and rotated by: UTC seconds. Tests set their own. */
typedef gint64 (*WkStoreClockFunc) (gpointer user_data);

/* Writes up to @size bytes of a snapshot being written, as write(2) does (returning -1
 * with errno set on failure). Tests set one that fails with ENOSPC, where no small file
 * system can be mounted. */
typedef ssize_t (*WkStoreWriteFunc) (int fd, const void *buf, size_t size, gpointer user_data);

void _wk_store_set_clock (WkStore *store, WkStoreClockFunc func, gpointer user_data);
void _wk_store_set_write_func (WkStore *store, WkStoreWriteFunc func, gpointer user_data);

gint64          _wk_store_now (WkStore *store);
WkSnapshotInfo *_wk_store_write_image (
    WkStore *store, guint8 *image, gsize size, gint64 created_at, GError **error);

G_END_DECLS
