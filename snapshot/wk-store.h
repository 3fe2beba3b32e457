/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-store.h — the folder of encrypted, numbered snapshots of the ward model. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"
#include "wk-model.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/** The file format version this program writes and reads (README "Snapshots"). */
#define WK_STORE_FORMAT_VERSION 1
/** The suffix of a snapshot file: `<seq>.wks`, seq zero-padded to 12 digits. */
#define WK_STORE_SUFFIX ".wks"

/**
 * WkSnapshotInfo:
 * @seq: the sequence number (from the header; from the file name when the header
 *   cannot be read)
 * @created_at: when the model was taken, UTC seconds; 0 when the header is unreadable
 * @ward_id: (nullable): the ward the snapshot is of
 * @key_id: (nullable): the id of the key it was sealed with (16 hex digits)
 * @path: the file
 * @size: the file's size in bytes
 * @model_size: the size of the decrypted model in bytes
 * @verified: whether the whole file was authenticated and opened as a model
 * @error: (nullable): why the file cannot be used; %NULL when @verified, or when it was
 *   not checked
 *
 * What is known about one snapshot file. Nothing in it is patient data.
 */
typedef struct
{
  guint64  seq;
  gint64   created_at;
  char    *ward_id;
  char    *key_id;
  char    *path;
  goffset  size;
  guint64  model_size;
  gboolean verified;
  GError  *error;
} WkSnapshotInfo;

WkSnapshotInfo *wk_snapshot_info_copy (const WkSnapshotInfo *info);
void            wk_snapshot_info_free (WkSnapshotInfo *info);

/**
 * WkStoreOptions:
 * @ward_id: (nullable): the ward this kiosk serves: written into every snapshot
 *   (required to write), and snapshots of another ward are never loaded as the newest
 * @keep: how many of the newest snapshots rotation keeps (at least 1)
 * @keep_hourly: whether rotation also keeps the newest snapshot of each of the last 24
 *   hours
 *
 * How a #WkStore names and keeps snapshots. wk_store_options_init() sets the defaults.
 */
typedef struct
{
  const char *ward_id;
  guint       keep;
  gboolean    keep_hourly;
} WkStoreOptions;

/**
 * WkStore:
 *
 * One folder of snapshots, `<seq>.wks`, each an encrypted, authenticated copy of the
 * whole ward model (README "Snapshots" documents the format). Writing is atomic (a temp
 * file in the folder, write, fsync, rename, fsync of the folder), so a crash or power
 * loss leaves either the old set of snapshots or the old set plus the new one, and
 * never damages a snapshot already written. Loading verifies every byte and falls back
 * to the previous snapshot when the newest is damaged, truncated, sealed under another
 * key or from a newer wardkeep. Loading needs only read access to the folder and never
 * creates a file in it.
 *
 * A store may be used from several threads: writes are serialised by the store, and
 * only one process at a time may write to a folder (it holds a lock on the folder).
 */
typedef struct _WkStore WkStore;

void wk_store_options_init (WkStoreOptions *options);
WkStore *
wk_store_new (const char *directory, WkKeys *keys, const WkStoreOptions *options, GError **error);
WkStore *
wk_store_new_from_config (WkConfig *config, WkKeys *keys, const char *directory, GError **error);
WkStore *wk_store_ref (WkStore *store);
void     wk_store_unref (WkStore *store);

const char *wk_store_get_directory (WkStore *store);
const char *wk_store_get_ward_id (WkStore *store);

WkSnapshotInfo *wk_store_write (WkStore *store, WkModel *model, GError **error);
gboolean        wk_store_rotate (WkStore *store, GError **error);
GPtrArray      *wk_store_list (WkStore *store, gboolean verify, GError **error);
WkModel        *wk_store_load_newest (WkStore *store, WkSnapshotInfo **info, GError **error);
WkModel *
wk_store_load_file (WkStore *store, const char *path, WkSnapshotInfo **info, GError **error);
gboolean
wk_store_verify_file (WkStore *store, const char *path, WkSnapshotInfo **info, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkSnapshotInfo, wk_snapshot_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkStore, wk_store_unref)

G_END_DECLS
