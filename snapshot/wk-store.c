/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-store.c — the folder of encrypted, numbered snapshots: write, rotate, list, load.
 *
 * A snapshot file (README "Snapshots"): a 144-byte plain header, then the serialized
 * model as a libsodium secretstream (XChaCha20-Poly1305) in 64 KiB chunks, the last one
 * tagged FINAL. The header is the additional data of the first chunk, so changing any
 * byte of it makes the file fail authentication; its own BLAKE2b checksum only lets a
 * damaged header be told apart from a wrong key. */

#define G_LOG_DOMAIN "wardkeep-snapshot"
#define _GNU_SOURCE /* renameat2 */

#include "wk-store.h"

#include "wk-snapshot-error.h"
#include "wk-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The header, format version 1. The first 12 bytes (magic, version, header length) and
 * the checksum as the last 8 bytes of the header stay where they are in every version. */
#define MAGIC "\x89WKS\r\n\x1a\n"
#define MAGIC_SIZE 8
#define OFF_VERSION 8
#define OFF_HEADER_SIZE 10
#define OFF_CHUNK_SIZE 12
#define OFF_SEQ 16
#define OFF_CREATED_AT 24
#define OFF_MODEL_SIZE 32
#define OFF_KEY_ID 40
#define KEY_ID_SIZE 8
#define OFF_WARD 48
#define WARD_SIZE 64
#define OFF_STREAM 112
#define STREAM_HEADER_SIZE crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define OFF_CHECKSUM 136
#define CHECKSUM_SIZE 8
#define HEADER_SIZE 144
#define HEADER_SIZE_MAX 4096

#define CHUNK_SIZE 65536
#define CHUNK_SIZE_MIN 1024
#define CHUNK_SIZE_MAX (16 * 1024 * 1024)
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define CHUNKS_PER_WRITE 16

#define SEQ_DIGITS 12
#define TMP_PREFIX ".wks-tmp-"

G_STATIC_ASSERT (OFF_STREAM + STREAM_HEADER_SIZE == OFF_CHECKSUM);
G_STATIC_ASSERT (OFF_CHECKSUM + CHECKSUM_SIZE == HEADER_SIZE);
G_STATIC_ASSERT (OFF_WARD + WARD_SIZE == OFF_STREAM);

/* When a file was known to be good: a snapshot file never changes once renamed into
 * place, so the same seq with the same inode, size and time is the same file. */
typedef struct
{
  ino_t   ino;
  goffset size;
  gint64  mtime_ns;
} FileStamp;

struct _WkStore
{
  gatomicrefcount ref;
  char           *directory;
  guint8         *key; /* sodium_malloc(), read-only */
  guint8          key_id[KEY_ID_SIZE];
  char           *key_id_hex;
  char           *ward_id;
  guint           keep;
  gboolean        keep_hourly;

  GMutex      lock;   /* writing and rotation */
  int         dir_fd; /* open and locked by the first write; -1 before */
  guint64     last_seq;
  GMutex      good_lock; /* only for good, so that readers never wait for a write */
  GHashTable *good;      /* seq (guint64 *) -> FileStamp *: verified or written by us */

  WkStoreClockFunc clock_func;
  gpointer         clock_data;
  WkStoreWriteFunc write_func;
  gpointer         write_data;
};

/* What the header of a file says. */
typedef struct
{
  guint   version;
  guint   header_size;
  guint32 chunk_size;
  guint64 seq;
  gint64  created_at;
  guint64 model_size;
  guint8  key_id[KEY_ID_SIZE];
  char    ward_id[WARD_SIZE + 1];
  guint8  raw[HEADER_SIZE];
} Header;

/* Little-endian fields, whatever the machine. */
static void
put_le (guint8 *p, guint64 value, int n)
{
  for (int i = 0; i < n; i++)
    p[i] = (guint8)(value >> (8 * i));
}

static guint64
get_le (const guint8 *p, int n)
{
  guint64 value = 0;

  for (int i = n - 1; i >= 0; i--)
    value = (value << 8) | p[i];
  return value;
}

static void
header_checksum (const guint8 *header, gsize size, guint8 out[CHECKSUM_SIZE])
{
  crypto_generichash (out, CHECKSUM_SIZE, header, size - CHECKSUM_SIZE, NULL, 0);
}

static char *
seq_file_name (guint64 seq)
{
  return g_strdup_printf ("%0*" G_GUINT64_FORMAT WK_STORE_SUFFIX, SEQ_DIGITS, seq);
}

/* The seq a snapshot's file name gives (digits, then .wks), or 0 for any other name. */
static guint64
seq_from_name (const char *name)
{
  const char *p = name;
  guint64     seq = 0;

  if (!g_ascii_isdigit (*p))
    return 0;
  for (; g_ascii_isdigit (*p); p++)
    {
      if (seq > (G_MAXUINT64 - 9) / 10)
        return 0;
      seq = seq * 10 + (guint64)(*p - '0');
    }
  return strcmp (p, WK_STORE_SUFFIX) == 0 ? seq : 0;
}

static gint64
real_clock (gpointer user_data)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static ssize_t
real_write (int fd, const void *buf, size_t size, gpointer user_data)
{
  return write (fd, buf, size);
}

/**
 * wk_snapshot_info_copy:
 * @info: a #WkSnapshotInfo
 *
 * Returns: (transfer full): a copy of @info
 */
WkSnapshotInfo *
wk_snapshot_info_copy (const WkSnapshotInfo *info)
{
  WkSnapshotInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_memdup2 (info, sizeof *info);
  copy->ward_id = g_strdup (info->ward_id);
  copy->key_id = g_strdup (info->key_id);
  copy->path = g_strdup (info->path);
  copy->error = info->error != NULL ? g_error_copy (info->error) : NULL;
  return copy;
}

/**
 * wk_snapshot_info_free:
 * @info: (nullable) (transfer full): a #WkSnapshotInfo
 *
 * Frees @info.
 */
void
wk_snapshot_info_free (WkSnapshotInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->ward_id);
  g_free (info->key_id);
  g_free (info->path);
  g_clear_error (&info->error);
  g_free (info);
}

/**
 * wk_store_options_init:
 * @options: (out caller-allocates): the options to fill
 *
 * Sets the defaults: no ward, keep the newest 20 and one per hour for a day.
 */
void
wk_store_options_init (WkStoreOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->keep = 20;
  options->keep_hourly = TRUE;
}

/**
 * wk_store_new:
 * @directory: the snapshot folder; it need not exist until the first write
 * @keys: the kiosk's keys; the store keeps its own copy of what it needs
 * @options: (nullable): the options; %NULL for the defaults of wk_store_options_init()
 * @error: return location for a #GError
 *
 * Opens a snapshot folder. Nothing on disk is touched until a snapshot is written:
 * a store only ever loading needs nothing but read access to the folder.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
WkStore *
wk_store_new (const char *directory, WkKeys *keys, const WkStoreOptions *options, GError **error)
{
  WkStoreOptions defaults;
  WkStore       *store;

  g_return_val_if_fail (directory != NULL, NULL);
  g_return_val_if_fail (keys != NULL, NULL);

  if (options == NULL)
    {
      wk_store_options_init (&defaults);
      options = &defaults;
    }
  if (options->ward_id != NULL
      && (*options->ward_id == '\0' || strlen (options->ward_id) > WARD_SIZE
          || !g_utf8_validate (options->ward_id, -1, NULL)))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "The ward id must be 1 to %d bytes of text to be written into snapshots",
                   WARD_SIZE);
      return NULL;
    }
  if (options->keep < 1)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "Snapshot rotation must keep at least the newest snapshot ([snapshot] keep)");
      return NULL;
    }
  /* Whoever holds the store may hold decrypted models: no core dumps, no ptrace. */
  wk_keys_harden_process ();

  store = g_new0 (WkStore, 1);
  g_atomic_ref_count_init (&store->ref);
  store->directory = g_strdup (directory);
  store->key = sodium_malloc (WK_KEYS_SNAPSHOT_KEY_SIZE);
  if (store->key == NULL)
    {
      wk_store_unref (store);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                   "Cannot allocate locked memory for the snapshot key");
      return NULL;
    }
  memcpy (store->key, wk_keys_get_snapshot_key (keys), WK_KEYS_SNAPSHOT_KEY_SIZE);
  sodium_mprotect_readonly (store->key);
  store->key_id_hex = g_strdup (wk_keys_get_key_id (keys));
  if (sodium_hex2bin (store->key_id, sizeof store->key_id, store->key_id_hex,
                      strlen (store->key_id_hex), NULL, NULL, NULL)
      != 0)
    g_assert_not_reached (); /* wk-keys makes 16 hex digits */
  store->ward_id = g_strdup (options->ward_id);
  store->keep = options->keep;
  store->keep_hourly = options->keep_hourly;
  g_mutex_init (&store->lock);
  g_mutex_init (&store->good_lock);
  store->dir_fd = -1;
  store->good = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  store->clock_func = real_clock;
  store->write_func = real_write;
  return store;
}

/**
 * wk_store_new_from_config:
 * @config: the kiosk's configuration: `[ward] id` and the `[snapshot]` group
 * @keys: the kiosk's keys
 * @directory: (nullable): a snapshot folder to use instead of `[snapshot] directory`
 * @error: return location for a #GError
 *
 * Opens the snapshot folder the configuration names, with its retention settings.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
WkStore *
wk_store_new_from_config (WkConfig *config, WkKeys *keys, const char *directory, GError **error)
{
  WkStoreOptions options;

  g_return_val_if_fail (config != NULL, NULL);

  wk_store_options_init (&options);
  options.ward_id = wk_config_get_string (config, "ward", "id");
  options.keep = (guint)wk_config_get_int (config, "snapshot", "keep");
  options.keep_hourly = wk_config_get_boolean (config, "snapshot", "keep-hourly");
  if (directory == NULL)
    directory = wk_config_get_string (config, "snapshot", "directory");
  return wk_store_new (directory, keys, &options, error);
}

/**
 * wk_store_ref:
 * @store: a #WkStore
 *
 * Returns: (transfer full): @store, with one more reference
 */
WkStore *
wk_store_ref (WkStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  g_atomic_ref_count_inc (&store->ref);
  return store;
}

/**
 * wk_store_unref:
 * @store: (nullable) (transfer full): a #WkStore
 *
 * Drops a reference; the last one wipes the key, releases the folder's write lock and
 * frees the store.
 */
void
wk_store_unref (WkStore *store)
{
  if (store == NULL || !g_atomic_ref_count_dec (&store->ref))
    return;
  if (store->dir_fd >= 0)
    close (store->dir_fd); /* also releases the lock */
  sodium_free (store->key);
  g_free (store->key_id_hex);
  g_free (store->directory);
  g_free (store->ward_id);
  g_clear_pointer (&store->good, g_hash_table_unref);
  g_mutex_clear (&store->lock);
  g_mutex_clear (&store->good_lock);
  g_free (store);
}

/**
 * wk_store_get_directory:
 * @store: a #WkStore
 *
 * Returns: the snapshot folder
 */
const char *
wk_store_get_directory (WkStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  return store->directory;
}

/**
 * wk_store_get_ward_id:
 * @store: a #WkStore
 *
 * Returns: (nullable): the ward the store writes and loads snapshots of
 */
const char *
wk_store_get_ward_id (WkStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  return store->ward_id;
}

void
_wk_store_set_clock (WkStore *store, WkStoreClockFunc func, gpointer user_data)
{
  store->clock_func = func != NULL ? func : real_clock;
  store->clock_data = user_data;
}

void
_wk_store_set_write_func (WkStore *store, WkStoreWriteFunc func, gpointer user_data)
{
  store->write_func = func != NULL ? func : real_write;
  store->write_data = user_data;
}

/* The store's clock: UTC seconds. */
gint64
_wk_store_now (WkStore *store)
{
  return store->clock_func (store->clock_data);
}

/* What to do about a failed system call, for the people who can act on it. */
static const char *
errno_advice (int code)
{
  switch (code)
    {
    case ENOSPC:
    case EDQUOT:
      return "free space on the disk; the previous snapshots are intact";
    case EACCES:
    case EPERM:
    case EROFS:
      return "the folder must belong to the wardkeep user and be writable";
    case EIO:
      return "the disk may be failing; the previous snapshots are intact";
    default:
      return "the previous snapshots are intact";
    }
}

static void set_errno_error (GError **error, int code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

/* "<what>: <strerror> (<advice>)" with the matching error code. */
static void
set_errno_error (GError **error, int code, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WK_SNAPSHOT_ERROR,
               code == EACCES || code == EPERM ? WK_SNAPSHOT_ERROR_PERMISSION
                                               : WK_SNAPSHOT_ERROR_IO,
               "%s: %s (%s)", what, g_strerror (code), errno_advice (code));
}

/* --- reading ------------------------------------------------------------------ */

static gboolean
read_full (int fd, guint8 *buf, gsize size, gsize *got, GError **error)
{
  gsize done = 0;

  while (done < size)
    {
      ssize_t n = read (fd, buf + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO, "cannot be read: %s",
                       g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      done += n;
    }
  *got = done;
  return TRUE;
}

/* Checks a header that is at the start of @buf (@got bytes read). Errors say why in
 * words that follow "the snapshot ...". */
static gboolean
parse_header (const guint8 *buf, gsize got, Header *header, GError **error)
{
  guint8 checksum[CHECKSUM_SIZE];

  memset (header, 0, sizeof *header);
  if (got < OFF_CHUNK_SIZE || memcmp (buf, MAGIC, MAGIC_SIZE) != 0)
    {
      if (got < MAGIC_SIZE && memcmp (buf, MAGIC, got) == 0)
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                     "is truncated: only %zu bytes, not even a whole header", got);
      else
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                     "is not a wardkeep snapshot (its first bytes are not the snapshot magic)");
      return FALSE;
    }
  header->version = (guint)get_le (buf + OFF_VERSION, 2);
  header->header_size = (guint)get_le (buf + OFF_HEADER_SIZE, 2);
  if (header->header_size < OFF_CHUNK_SIZE + CHECKSUM_SIZE || header->header_size > HEADER_SIZE_MAX)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "has a damaged header (impossible header length %u)", header->header_size);
      return FALSE;
    }
  if (got < header->header_size)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "is truncated: only %zu bytes, not even the whole %u-byte header", got,
                   header->header_size);
      return FALSE;
    }
  header_checksum (buf, header->header_size, checksum);
  if (sodium_memcmp (checksum, buf + header->header_size - CHECKSUM_SIZE, CHECKSUM_SIZE) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "has a damaged header (its checksum does not match)");
      return FALSE;
    }
  if (header->version != WK_STORE_FORMAT_VERSION)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_UNSUPPORTED_VERSION,
                   "has format version %u, but this wardkeep reads version %d: install a newer "
                   "wardkeep to read it",
                   header->version, WK_STORE_FORMAT_VERSION);
      return FALSE;
    }
  if (header->header_size != HEADER_SIZE)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "has a damaged header (length %u, version %u headers are %d bytes)",
                   header->header_size, header->version, HEADER_SIZE);
      return FALSE;
    }
  memcpy (header->raw, buf, HEADER_SIZE);
  header->chunk_size = (guint32)get_le (buf + OFF_CHUNK_SIZE, 4);
  header->seq = get_le (buf + OFF_SEQ, 8);
  header->created_at = (gint64)get_le (buf + OFF_CREATED_AT, 8);
  header->model_size = get_le (buf + OFF_MODEL_SIZE, 8);
  memcpy (header->key_id, buf + OFF_KEY_ID, KEY_ID_SIZE);
  memcpy (header->ward_id, buf + OFF_WARD, WARD_SIZE);
  header->ward_id[WARD_SIZE] = '\0';
  /* The checksum matched, so these can only be wrong in a file made by another program. */
  if (header->chunk_size < CHUNK_SIZE_MIN || header->chunk_size > CHUNK_SIZE_MAX || header->seq == 0
      || header->model_size == 0 || header->model_size > G_MAXSIZE / 2 || header->ward_id[0] == '\0'
      || !g_utf8_validate (header->ward_id, -1, NULL))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "has a header no wardkeep writes (chunk size, sequence number, size or ward "
                   "out of range)");
      return FALSE;
    }
  return TRUE;
}

static guint64
n_chunks_for (guint64 model_size, guint32 chunk_size)
{
  return (model_size + chunk_size - 1) / chunk_size;
}

/* Fills the parts of @info that the header gives. */
static void
info_take_header (WkSnapshotInfo *info, const Header *header)
{
  char hex[KEY_ID_SIZE * 2 + 1];

  info->seq = header->seq;
  info->created_at = header->created_at;
  info->model_size = header->model_size;
  g_free (info->ward_id);
  info->ward_id = g_strdup (header->ward_id);
  sodium_bin2hex (hex, sizeof hex, header->key_id, KEY_ID_SIZE);
  g_free (info->key_id);
  info->key_id = g_strdup (hex);
}

/* How far to read a file. */
typedef enum
{
  READ_HEADER,       /* the header and the file's size only */
  READ_AUTHENTICATE, /* and decrypt every chunk, keeping nothing */
  READ_MODEL,        /* and open the decrypted model, read-only */
  READ_MODEL_CHECKED /* and have SQLite check every page of it too */
} ReadDepth;

/* Decrypts the chunks of an open file positioned after its header: into @plain when
 * given (model_size bytes), else into a scratch buffer that is wiped. */
static gboolean
decrypt_chunks (WkStore *store, int fd, const Header *header, guint8 *plain, GError **error)
{
  crypto_secretstream_xchacha20poly1305_state state;
  guint64            n_chunks = n_chunks_for (header->model_size, header->chunk_size);
  gsize              cipher_size = header->chunk_size + ABYTES;
  g_autofree guint8 *cipher = g_malloc (cipher_size);
  guint8            *scratch = NULL;
  gboolean           ok = FALSE;

  if (plain == NULL)
    {
      scratch = sodium_malloc (header->chunk_size);
      if (scratch == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                       "cannot be checked: out of locked memory");
          return FALSE;
        }
    }
  if (crypto_secretstream_xchacha20poly1305_init_pull (&state, header->raw + OFF_STREAM, store->key)
      != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "has a damaged stream header");
      goto out;
    }
  for (guint64 i = 0; i < n_chunks; i++)
    {
      gboolean last = i + 1 == n_chunks;
      gsize    plain_size = last ? header->model_size - i * header->chunk_size : header->chunk_size;
      guint8  *dest = plain != NULL ? plain + i * header->chunk_size : scratch;
      gsize    got = 0;
      guint8   tag = 0;

      if (!read_full (fd, cipher, plain_size + ABYTES, &got, error))
        goto out;
      if (got != plain_size + ABYTES)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                       "is truncated in chunk %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT, i + 1,
                       n_chunks);
          goto out;
        }
      /* The header is the first chunk's additional data: it cannot be altered either. */
      if (crypto_secretstream_xchacha20poly1305_pull (&state, dest, NULL, &tag, cipher, got,
                                                      i == 0 ? header->raw : NULL,
                                                      i == 0 ? HEADER_SIZE : 0)
          != 0)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                       "is damaged or was altered: chunk %" G_GUINT64_FORMAT
                       " of %" G_GUINT64_FORMAT " fails authentication",
                       i + 1, n_chunks);
          goto out;
        }
      if (last != (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL))
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                       "is damaged: chunk %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                       " is %s marked as the last",
                       i + 1, n_chunks, last ? "not" : "wrongly");
          goto out;
        }
    }
  ok = TRUE;

out:
  sodium_memzero (&state, sizeof state);
  sodium_free (scratch); /* wipes */
  return ok;
}

/* Reads a snapshot file as far as @depth, filling @info (which the caller made, with
 * path set) and returning the model for READ_MODEL. Errors say what is wrong with the
 * file, without naming it. */
static gboolean
read_snapshot (
    WkStore *store, int fd, ReadDepth depth, WkSnapshotInfo *info, WkModel **model, GError **error)
{
  g_autofree char *base = g_path_get_basename (info->path);
  guint8           buf[HEADER_SIZE_MAX];
  Header           header;
  struct stat      st;
  guint64          n_chunks, expected;
  gsize            got = 0;
  guint8          *plain = NULL;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO, "is not a regular file");
      return FALSE;
    }
  info->size = st.st_size;
  if (!read_full (fd, buf, MIN ((gsize)st.st_size, sizeof buf), &got, error))
    return FALSE;
  if (!parse_header (buf, got, &header, error))
    return FALSE;
  info_take_header (info, &header);

  /* A file renamed to another seq would pass for a newer or older snapshot than it is. */
  if (seq_from_name (base) != 0 && seq_from_name (base) != header.seq)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "is snapshot %" G_GUINT64_FORMAT " under the name of another (%s)", header.seq,
                   base);
      return FALSE;
    }
  if (memcmp (header.key_id, store->key_id, KEY_ID_SIZE) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_KEY,
                   "was sealed with key %s, not this kiosk's key %s (was the key replaced? "
                   "only key %s can read it)",
                   info->key_id, store->key_id_hex, info->key_id);
      return FALSE;
    }
  n_chunks = n_chunks_for (header.model_size, header.chunk_size);
  expected = HEADER_SIZE + header.model_size + n_chunks * ABYTES;
  if ((guint64)st.st_size != expected)
    {
      if ((guint64)st.st_size < expected)
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                     "is truncated: %" G_GUINT64_FORMAT " bytes of the %" G_GUINT64_FORMAT
                     " it should have",
                     (guint64)st.st_size, expected);
      else
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                     "has %" G_GUINT64_FORMAT " unexpected bytes after its end",
                     (guint64)st.st_size - expected);
      return FALSE;
    }
  if (depth == READ_HEADER)
    return TRUE;

  if (lseek (fd, HEADER_SIZE, SEEK_SET) != HEADER_SIZE)
    {
      int saved = errno;

      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO, "cannot be read: %s",
                   g_strerror (saved));
      return FALSE;
    }
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (depth >= READ_MODEL)
    {
      /* SQLite takes this buffer over and frees it when the model is closed. */
      plain = sqlite3_malloc64 (header.model_size);
      if (plain == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                       "cannot be loaded: out of memory for a %" G_GUINT64_FORMAT "-byte model",
                       header.model_size);
          return FALSE;
        }
    }
  if (!decrypt_chunks (store, fd, &header, plain, error))
    {
      if (plain != NULL)
        {
          sodium_memzero (plain, header.model_size);
          sqlite3_free (plain);
        }
      return FALSE;
    }
  if (depth >= READ_MODEL)
    {
      g_autoptr (GError) local = NULL;

      if (depth == READ_MODEL_CHECKED)
        *model = wk_model_new_from_serialized (plain, header.model_size, TRUE, &local);
      else
        *model = wk_model_new_from_authenticated (plain, header.model_size, &local);
      if (*model == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, local->code,
                       "holds a model that cannot be used: %s", local->message);
          return FALSE;
        }
    }
  info->verified = TRUE;
  return TRUE;
}

static FileStamp
stamp_of (const struct stat *st)
{
  return (FileStamp){ st->st_ino, st->st_size,
                      (gint64)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec };
}

/* Remembers that the file of @seq, as it is now, is good. */
static void
remember_good (WkStore *store, guint64 seq, const struct stat *st)
{
  FileStamp stamp = stamp_of (st);

  g_mutex_lock (&store->good_lock);
  g_hash_table_insert (store->good, g_memdup2 (&seq, sizeof seq), g_memdup2 (&stamp, sizeof stamp));
  g_mutex_unlock (&store->good_lock);
}

static void
forget_good (WkStore *store, guint64 seq)
{
  g_mutex_lock (&store->good_lock);
  g_hash_table_remove (store->good, &seq);
  g_mutex_unlock (&store->good_lock);
}

static gboolean
known_good (WkStore *store, guint64 seq, const struct stat *st)
{
  FileStamp  now = stamp_of (st);
  FileStamp *stamp;
  gboolean   same;

  g_mutex_lock (&store->good_lock);
  stamp = g_hash_table_lookup (store->good, &seq);
  same = stamp != NULL && stamp->ino == now.ino && stamp->size == now.size
         && stamp->mtime_ns == now.mtime_ns;
  g_mutex_unlock (&store->good_lock);
  return same;
}

/* Whether a snapshot is of this kiosk's ward (any ward when the store has none). */
static gboolean
check_ward (WkStore *store, WkSnapshotInfo *info, GError **error)
{
  if (store->ward_id == NULL || g_strcmp0 (info->ward_id, store->ward_id) == 0)
    return TRUE;
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_WARD,
               "is of ward %s, not of this kiosk's ward %s", info->ward_id, store->ward_id);
  return FALSE;
}

/* Opens and reads one file; @info comes back filled in either way. */
static gboolean
read_path (WkStore         *store,
           const char      *path,
           ReadDepth        depth,
           gboolean         no_follow,
           WkSnapshotInfo **info_out,
           WkModel        **model,
           GError         **error)
{
  g_autoptr (WkSnapshotInfo) info = g_new0 (WkSnapshotInfo, 1);
  g_autofree char *base = g_path_get_basename (path);
  gboolean         ok;
  int              fd;

  info->path = g_strdup (path);
  info->seq = seq_from_name (base);
  fd = open (path, O_RDONLY | O_CLOEXEC | (no_follow ? O_NOFOLLOW : 0));
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, WK_SNAPSHOT_ERROR,
                   saved == ENOENT   ? WK_SNAPSHOT_ERROR_NOT_FOUND
                   : saved == EACCES ? WK_SNAPSHOT_ERROR_PERMISSION
                                     : WK_SNAPSHOT_ERROR_IO,
                   "cannot be opened: %s%s", g_strerror (saved),
                   saved == EACCES ? " (the user must be in the wardkeep group)" : "");
      ok = FALSE;
    }
  else
    {
      ok = read_snapshot (store, fd, depth, info, model, error);
      /* Good for rotation means good for this ward too. */
      if (ok && depth >= READ_AUTHENTICATE && info->seq != 0 && check_ward (store, info, NULL))
        {
          struct stat st;

          if (fstat (fd, &st) == 0)
            remember_good (store, info->seq, &st);
        }
      close (fd);
    }
  if (info_out != NULL)
    *info_out = g_steal_pointer (&info);
  return ok;
}

/* "Snapshot <path> <reason>", for errors that leave this file. */
static void
prefix_path (GError **error, const char *path)
{
  g_prefix_error (error, "Snapshot %s ", path);
}

/**
 * wk_store_load_file:
 * @store: a #WkStore
 * @path: a snapshot file, in the store's folder or anywhere else
 * @info: (out) (optional) (transfer full): what the file is, also on failure
 * @error: return location for a #GError
 *
 * Verifies and decrypts one snapshot file into a read-only model. Unlike
 * wk_store_load_newest(), a snapshot of another ward is loaded (it is the file asked
 * for, as for `wardkeep snapshot export`); @info says whose it is.
 *
 * Returns: (transfer full): the read-only model, or %NULL with @error set:
 *   %WK_SNAPSHOT_ERROR_CORRUPT (damaged, truncated, altered), %WK_SNAPSHOT_ERROR_WRONG_KEY,
 *   %WK_SNAPSHOT_ERROR_UNSUPPORTED_VERSION, %WK_SNAPSHOT_ERROR_IO and friends
 */
WkModel *
wk_store_load_file (WkStore *store, const char *path, WkSnapshotInfo **info, GError **error)
{
  g_autoptr (WkSnapshotInfo) local_info = NULL;
  WkModel *model = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (!read_path (store, path, READ_MODEL, FALSE, &local_info, &model, error))
    {
      if (error != NULL && *error != NULL)
        local_info->error = g_error_copy (*error);
      prefix_path (error, path);
    }
  if (info != NULL)
    *info = g_steal_pointer (&local_info);
  return model;
}

/**
 * wk_store_verify_file:
 * @store: a #WkStore
 * @path: a snapshot file
 * @info: (out) (optional) (transfer full): what the file is, also on failure
 * @error: return location for a #GError
 *
 * Checks a snapshot as loading it would (every chunk authenticated under this kiosk's
 * key, the model inside opened), and has SQLite check every page of the model as well.
 *
 * Returns: %TRUE when the file would load
 */
gboolean
wk_store_verify_file (WkStore *store, const char *path, WkSnapshotInfo **info, GError **error)
{
  g_autoptr (WkSnapshotInfo) local_info = NULL;
  g_autoptr (WkModel) model = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  ok = read_path (store, path, READ_MODEL_CHECKED, FALSE, &local_info, &model, error);
  if (!ok)
    {
      if (error != NULL && *error != NULL)
        local_info->error = g_error_copy (*error);
      prefix_path (error, path);
    }
  if (info != NULL)
    *info = g_steal_pointer (&local_info);
  return ok;
}

static int
compare_seq_descending (gconstpointer a, gconstpointer b)
{
  const WkSnapshotInfo *x = *(WkSnapshotInfo *const *)a;
  const WkSnapshotInfo *y = *(WkSnapshotInfo *const *)b;

  return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/* The snapshot files of the folder, newest first, as infos with path and seq only. An
 * absent folder is an empty list. */
static GPtrArray *
list_names (WkStore *store, GError **error)
{
  g_autoptr (GPtrArray) list
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_snapshot_info_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (store->directory, 0, &local);
  const char *name;

  if (dir == NULL)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&list);
      g_set_error (error, WK_SNAPSHOT_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_ACCES)
                       ? WK_SNAPSHOT_ERROR_PERMISSION
                       : WK_SNAPSHOT_ERROR_IO,
                   "Cannot read the snapshot folder: %s%s", local->message,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_ACCES)
                       ? " (the user must be in the wardkeep group)"
                       : "");
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint64         seq = seq_from_name (name);
      WkSnapshotInfo *info;

      if (seq == 0)
        continue; /* temp files of a write in progress or interrupted, and anything else */
      info = g_new0 (WkSnapshotInfo, 1);
      info->seq = seq;
      info->path = g_build_filename (store->directory, name, NULL);
      g_ptr_array_add (list, info);
    }
  g_ptr_array_sort (list, compare_seq_descending);
  return g_steal_pointer (&list);
}

/**
 * wk_store_list:
 * @store: a #WkStore
 * @verify: whether to authenticate each file whole (slower) rather than read its header
 * @error: return location for a #GError
 *
 * Lists the snapshots in the folder, newest first, each with what its header says and,
 * when it cannot be used, why (damaged, another key, another ward, ...). Without
 * @verify only the header and the file's size are checked and `verified` stays %FALSE.
 * A folder that does not exist yet has no snapshots.
 *
 * Returns: (transfer full) (element-type WkSnapshotInfo): the snapshots, or %NULL with
 *   @error set when the folder cannot be read
 */
GPtrArray *
wk_store_list (WkStore *store, gboolean verify, GError **error)
{
  g_autoptr (GPtrArray) list = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  list = list_names (store, error);
  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      WkSnapshotInfo *entry = list->pdata[i];
      g_autoptr (WkSnapshotInfo) info = NULL;
      g_autoptr (GError) problem = NULL;
      WkModel *model = NULL;

      if (read_path (store, entry->path, verify ? READ_MODEL_CHECKED : READ_HEADER, TRUE, &info,
                     &model, &problem))
        check_ward (store, info, &problem);
      wk_model_free (model);
      info->error = g_steal_pointer (&problem);
      wk_snapshot_info_free (entry);
      list->pdata[i] = g_steal_pointer (&info);
    }
  return g_steal_pointer (&list);
}

/**
 * wk_store_load_newest:
 * @store: a #WkStore
 * @info: (out) (optional) (transfer full): which snapshot was loaded
 * @error: return location for a #GError
 *
 * Loads the newest snapshot of this kiosk's ward that verifies, into a read-only model.
 * Each newer file that does not (truncated, damaged, another key, a newer format,
 * another ward) is skipped with a warning in the log saying which file and why. Needs
 * only read access to the folder and never writes to it.
 *
 * Returns: (transfer full): the model, or %NULL with @error set:
 *   %WK_SNAPSHOT_ERROR_NOT_FOUND when there is no usable snapshot
 */
WkModel *
wk_store_load_newest (WkStore *store, WkSnapshotInfo **info, GError **error)
{
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *newest_problem = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  list = list_names (store, error);
  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      WkSnapshotInfo *entry = list->pdata[i];
      g_autoptr (WkSnapshotInfo) loaded = NULL;
      g_autoptr (GError) problem = NULL;
      WkModel *model = NULL;

      /* The header first: another ward's snapshot is not even decrypted. */
      if (read_path (store, entry->path, READ_HEADER, TRUE, &loaded, NULL, &problem)
          && check_ward (store, loaded, &problem))
        {
          g_clear_pointer (&loaded, wk_snapshot_info_free);
          read_path (store, entry->path, READ_MODEL, TRUE, &loaded, &model, &problem);
        }
      if (model != NULL)
        {
          if (i > 0)
            g_message ("Loaded snapshot %s, the newest usable one (%u newer skipped)", loaded->path,
                       i);
          if (info != NULL)
            *info = g_steal_pointer (&loaded);
          return model;
        }
      g_warning ("Skipping snapshot %s: it %s; trying the one before", entry->path,
                 problem->message);
      if (newest_problem == NULL)
        newest_problem = g_strdup_printf ("%s %s", entry->path, problem->message);
    }
  if (list->len == 0)
    g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                 "There is no snapshot in %s yet", store->directory);
  else
    g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                 "None of the %u snapshots in %s can be loaded (the newest, %s)", list->len,
                 store->directory, newest_problem);
  return NULL;
}

/* --- writing ------------------------------------------------------------------ */

/* Removes temp files a killed writer left behind (caller holds the folder's lock). */
static void
remove_stale_temp_files (WkStore *store)
{
  g_autoptr (GDir) dir = g_dir_open (store->directory, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, TMP_PREFIX))
      {
        if (unlinkat (store->dir_fd, name, 0) == 0)
          g_debug ("Removed %s, left by an interrupted snapshot write", name);
      }
}

/* Makes the folder and takes the one-writer lock on it, the first time (caller holds
 * store->lock). */
static gboolean
ensure_writable (WkStore *store, GError **error)
{
  int fd;

  if (store->dir_fd >= 0)
    return TRUE;
  if (store->ward_id == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "Cannot write snapshots without a ward id ([ward] id)");
      return FALSE;
    }
  if (g_mkdir_with_parents (store->directory, 0750) != 0)
    {
      set_errno_error (error, errno, "Cannot create the snapshot folder %s", store->directory);
      return FALSE;
    }
  fd = open (store->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      set_errno_error (error, errno, "Cannot open the snapshot folder %s", store->directory);
      return FALSE;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;

      close (fd);
      if (saved == EWOULDBLOCK)
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                     "Another process is writing snapshots in %s; only one may (is wardkeepd "
                     "running twice?)",
                     store->directory);
      else
        set_errno_error (error, saved, "Cannot lock the snapshot folder %s", store->directory);
      return FALSE;
    }
  store->dir_fd = fd;
  remove_stale_temp_files (store);
  return TRUE;
}

/* The highest seq in the folder or written by this store (caller holds the lock). */
static guint64
highest_seq (WkStore *store)
{
  g_autoptr (GDir) dir = g_dir_open (store->directory, 0, NULL);
  guint64     highest = store->last_seq;
  const char *name;

  if (dir == NULL)
    return highest;
  while ((name = g_dir_read_name (dir)) != NULL)
    highest = MAX (highest, seq_from_name (name));
  return highest;
}

static gboolean
write_all (WkStore *store, int fd, const guint8 *buf, gsize size)
{
  while (size > 0)
    {
      ssize_t n = store->write_func (fd, buf, size, store->write_data);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          errno = EIO;
          return FALSE;
        }
      buf += n;
      size -= n;
    }
  return TRUE;
}

/* Encrypts @image after @header into @fd. On failure errno says why. */
static gboolean
write_encrypted (WkStore *store, int fd, guint8 *header, const guint8 *image, gsize size)
{
  crypto_secretstream_xchacha20poly1305_state state;
  guint64                                     n_chunks = n_chunks_for (size, CHUNK_SIZE);
  gsize                                       batch_size = CHUNKS_PER_WRITE * (CHUNK_SIZE + ABYTES);
  g_autofree guint8                          *out = g_malloc (MAX (batch_size, HEADER_SIZE));
  gsize                                       filled = 0;
  goffset                                     written = HEADER_SIZE;
  gboolean                                    ok = FALSE;

  crypto_secretstream_xchacha20poly1305_init_push (&state, header + OFF_STREAM, store->key);
  header_checksum (header, HEADER_SIZE, header + OFF_CHECKSUM);
  if (!write_all (store, fd, header, HEADER_SIZE))
    goto out;
  for (guint64 i = 0; i < n_chunks; i++)
    {
      gboolean last = i + 1 == n_chunks;
      gsize    plain_size = last ? size - i * CHUNK_SIZE : CHUNK_SIZE;

      crypto_secretstream_xchacha20poly1305_push (
          &state, out + filled, NULL, image + i * CHUNK_SIZE, plain_size, i == 0 ? header : NULL,
          i == 0 ? HEADER_SIZE : 0,
          last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
               : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
      filled += plain_size + ABYTES;
      if (last || filled + CHUNK_SIZE + ABYTES > batch_size)
        {
          if (!write_all (store, fd, out, filled))
            goto out;
          /* Start writing this batch to the disk now, while the next one is encrypted, so
           * that the fsync at the end has little left to wait for. Only a hint. */
          sync_file_range (fd, written, filled, SYNC_FILE_RANGE_WRITE);
          written += filled;
          filled = 0;
        }
    }
  ok = TRUE;

out:
  sodium_memzero (&state, sizeof state);
  return ok;
}

static void
build_header (WkStore *store, guint8 *header, guint64 seq, gint64 created_at, gsize size)
{
  memset (header, 0, HEADER_SIZE);
  memcpy (header, MAGIC, MAGIC_SIZE);
  put_le (header + OFF_VERSION, WK_STORE_FORMAT_VERSION, 2);
  put_le (header + OFF_HEADER_SIZE, HEADER_SIZE, 2);
  put_le (header + OFF_CHUNK_SIZE, CHUNK_SIZE, 4);
  put_le (header + OFF_SEQ, seq, 8);
  put_le (header + OFF_CREATED_AT, (guint64)created_at, 8);
  put_le (header + OFF_MODEL_SIZE, size, 8);
  memcpy (header + OFF_KEY_ID, store->key_id, KEY_ID_SIZE);
  memcpy (header + OFF_WARD, store->ward_id, strlen (store->ward_id));
}

static gboolean rotate_locked (WkStore *store, GError **error);

/* rename(2) that never replaces a snapshot, where the file system can promise it. */
static gboolean
rename_no_replace (const char *from, const char *to)
{
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno != EINVAL && errno != ENOSYS)
    return FALSE;
  return rename (from, to) == 0;
}

/* Writes @image as the next snapshot (caller holds the lock). */
static WkSnapshotInfo *
write_locked (WkStore *store, const guint8 *image, gsize size, gint64 created_at, GError **error)
{
  g_autofree char *tmp_path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  guint8           header[HEADER_SIZE];
  WkSnapshotInfo  *info;
  struct stat      st;
  guint64          seq;
  int              fd;

  if (!ensure_writable (store, error))
    return NULL;
  seq = highest_seq (store) + 1;
  name = seq_file_name (seq);
  path = g_build_filename (store->directory, name, NULL);

  /* The temp file is in the same folder, so that the rename is atomic. */
  tmp_path = g_build_filename (store->directory, TMP_PREFIX "XXXXXX", NULL);
  fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, 0640);
  if (fd < 0)
    {
      set_errno_error (error, errno, "Cannot write snapshot %s in %s", name, store->directory);
      return NULL;
    }
  build_header (store, header, seq, created_at, size);
  if (!write_encrypted (store, fd, header, image, size) || fsync (fd) != 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      close (fd);
      unlinkat (store->dir_fd, strrchr (tmp_path, '/') + 1, 0);
      set_errno_error (error, saved, "Cannot write snapshot %s in %s", name, store->directory);
      return NULL;
    }
  if (close (fd) != 0 || !rename_no_replace (tmp_path, path))
    {
      int saved = errno;

      unlinkat (store->dir_fd, strrchr (tmp_path, '/') + 1, 0);
      set_errno_error (error, saved, "Cannot put snapshot %s in place in %s", name,
                       store->directory);
      return NULL;
    }
  /* The rename is durable only once the folder is. */
  if (fsync (store->dir_fd) != 0)
    {
      set_errno_error (error, errno, "Cannot make snapshot %s durable in %s", name,
                       store->directory);
      return NULL;
    }
  store->last_seq = seq;
  remember_good (store, seq, &st);

  info = g_new0 (WkSnapshotInfo, 1);
  info->seq = seq;
  info->created_at = created_at;
  info->ward_id = g_strdup (store->ward_id);
  info->key_id = g_strdup (store->key_id_hex);
  info->path = g_steal_pointer (&path);
  info->size = st.st_size;
  info->model_size = size;
  return info;
}

WkSnapshotInfo *
_wk_store_write_image (WkStore *store, guint8 *image, gsize size, gint64 created_at, GError **error)
{
  g_autoptr (GError) rotate_error = NULL;
  WkSnapshotInfo *info;

  g_mutex_lock (&store->lock);
  info = write_locked (store, image, size, created_at, error);
  if (info != NULL && !rotate_locked (store, &rotate_error))
    g_warning ("Snapshot rotation in %s failed: %s", store->directory, rotate_error->message);
  g_mutex_unlock (&store->lock);

  /* The image is the decrypted model: wipe it before it goes back to the allocator. */
  sodium_memzero (image, size);
  sqlite3_free (image);
  return info;
}

/**
 * wk_store_write:
 * @store: a #WkStore with a ward id
 * @model: the model to write; not inside a transaction
 * @error: return location for a #GError
 *
 * Writes the whole model now as the next numbered snapshot, atomically and durably,
 * then rotates old snapshots out. On failure (a full disk, ...) nothing already written
 * is touched and no temp file is left behind. This blocks on the disk: code on a main
 * loop uses a #WkSnapshotWriter instead.
 *
 * Returns: (transfer full): what was written, or %NULL with @error set
 */
WkSnapshotInfo *
wk_store_write (WkStore *store, WkModel *model, GError **error)
{
  guint8 *image;
  gsize   size = 0;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  image = wk_model_serialize (model, &size, error);
  if (image == NULL)
    return NULL;
  return _wk_store_write_image (store, image, size, _wk_store_now (store), error);
}

/* --- rotation ----------------------------------------------------------------- */

/* Whether the file of @entry is good, verifying it when it is not known to be. */
static gboolean
entry_is_good (WkStore *store, WkSnapshotInfo *entry)
{
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GError) problem = NULL;
  struct stat st;
  gboolean    ok;
  int         fd;

  if (stat (entry->path, &st) != 0)
    return FALSE;
  if (known_good (store, entry->seq, &st))
    return TRUE;
  fd = open (entry->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return FALSE;
  info = g_new0 (WkSnapshotInfo, 1);
  info->path = g_strdup (entry->path);
  ok = read_snapshot (store, fd, READ_AUTHENTICATE, info, NULL, &problem)
       && check_ward (store, info, &problem);
  if (ok && fstat (fd, &st) == 0)
    remember_good (store, entry->seq, &st);
  close (fd);
  return ok;
}

static gboolean
rotate_locked (WkStore *store, GError **error)
{
  g_autoptr (GPtrArray) list = list_names (store, error);
  g_autoptr (GHashTable) hours = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree gboolean *keep = NULL;
  gint64               now_hour = _wk_store_now (store) / 3600;
  gboolean             have_good = FALSE;
  guint                deleted = 0;

  if (list == NULL)
    return FALSE;
  keep = g_new0 (gboolean, list->len);
  for (guint i = 0; i < list->len; i++)
    {
      WkSnapshotInfo *entry = list->pdata[i];
      g_autoptr (WkSnapshotInfo) header = NULL;

      /* The newest N. */
      if (i < store->keep)
        keep[i] = TRUE;
      /* The newest of each UTC hour of the last 24 (the list is newest first). */
      if (store->keep_hourly
          && read_path (store, entry->path, READ_HEADER, TRUE, &header, NULL, NULL))
        {
          gint64 hour = header->created_at / 3600;

          if (hour > now_hour - 24 && hour <= now_hour && !g_hash_table_contains (hours, &hour))
            {
              g_hash_table_add (hours, g_memdup2 (&hour, sizeof hour));
              keep[i] = TRUE;
            }
        }
    }
  /* Never delete the only good snapshot: the newest good one stays whatever its age. */
  for (guint i = 0; i < list->len && !have_good; i++)
    if (entry_is_good (store, list->pdata[i]))
      have_good = keep[i] = TRUE;
  if (!have_good)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT,
                   "no snapshot verifies, so none is deleted");
      return FALSE;
    }
  for (guint i = 0; i < list->len; i++)
    {
      WkSnapshotInfo  *entry = list->pdata[i];
      g_autofree char *base = NULL;

      if (keep[i])
        continue;
      base = g_path_get_basename (entry->path);
      if (unlinkat (store->dir_fd, base, 0) != 0 && errno != ENOENT)
        g_warning ("Cannot delete the old snapshot %s: %s", entry->path, g_strerror (errno));
      else
        {
          forget_good (store, entry->seq);
          deleted++;
        }
    }
  if (deleted > 0 && fsync (store->dir_fd) != 0)
    {
      set_errno_error (error, errno, "Cannot make the rotation of %s durable", store->directory);
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_store_rotate:
 * @store: a #WkStore
 * @error: return location for a #GError
 *
 * Deletes the snapshots that retention does not keep: it keeps the newest `keep`, the
 * newest of each UTC hour of the last 24 hours (with `keep_hourly`), and always the
 * newest snapshot that verifies, however old, so that rotation can never leave the
 * folder without a good snapshot. wk_store_write() rotates after every write; this is
 * for a changed retention setting. Takes the folder's write lock.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_store_rotate (WkStore *store, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);

  g_mutex_lock (&store->lock);
  ok = ensure_writable (store, error) && rotate_locked (store, error);
  g_mutex_unlock (&store->lock);
  return ok;
}
