/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store.c — encrypted snapshots on real files: round trip, damage, crashes, full
 * disks, rotation, and no plaintext anywhere. */

#define _GNU_SOURCE /* unshare, memmem */

#include "wk-export.h"
#include "wk-keys.h"
#include "wk-log.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-store-private.h"
#include "wk-test-hospital.h"
#include "wk-test-util.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A family name that appears nowhere but in the test models, to search files for. */
#define MARKER "QUOKKAPLAINTEXTSENTINEL"
#define HEADER_SIZE 144
#define CHUNK_CIPHER_SIZE (65536 + 17)

static GPtrArray *logged; /* every log message written, after redaction */

static void
log_tap_cb (GLogLevelFlags level, const char *domain, const char *message, gpointer user_data)
{
  g_ptr_array_add (logged, g_strdup (message));
}

/* The logged messages that contain every one of the NULL-terminated strings. */
static guint
count_logged (const char *first, ...)
{
  guint n = 0;

  for (guint i = 0; i < logged->len; i++)
    {
      const char *message = logged->pdata[i];
      gboolean    all = TRUE;
      va_list     args;

      va_start (args, first);
      for (const char *s = first; s != NULL && all; s = va_arg (args, const char *))
        all = strstr (message, s) != NULL;
      va_end (args);
      n += all;
    }
  return n;
}

static WkKeys *
keys_new (guint8 fill)
{
  g_autoptr (GError) error = NULL;
  guint8  master[WK_KEYS_MASTER_SIZE];
  WkKeys *keys;

  memset (master, fill, sizeof master);
  keys = wk_keys_new_from_master (master, sizeof master, &error);
  g_assert_no_error (error);
  return keys;
}

static WkStore *
store_new (const char *dir, WkKeys *keys, const char *ward, guint keep, gboolean hourly)
{
  g_autoptr (GError) error = NULL;
  WkStoreOptions options;
  WkStore       *store;

  wk_store_options_init (&options);
  options.ward_id = ward;
  options.keep = keep;
  options.keep_hourly = hourly;
  store = wk_store_new (dir, keys, &options, &error);
  g_assert_no_error (error);
  return store;
}

static guint64
write_ok (WkStore *store, WkModel *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = wk_store_write (store, model, &error);

  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info->seq;
}

static char *
export_text (WkModel *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

  g_assert_true (wk_export_model_json (model, NULL, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

static guint
count_patients (WkModel *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) patients = wk_patient_load_all (model, &error);

  g_assert_no_error (error);
  return patients->len;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Like list_dir, properly sorted. */
static char *
sorted_dir (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **)names->pdata);
}

static char *
seq_path (const char *dir, guint64 seq)
{
  g_autofree char *name = g_strdup_printf ("%012" G_GUINT64_FORMAT ".wks", seq);

  return g_build_filename (dir, name, NULL);
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &data, &size, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

static void
write_bytes (const char *path, const void *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, data, size, &error));
  g_assert_no_error (error);
}

/* Whether the file at @path contains @needle (a plain byte search). */
static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *data = NULL;
  gsize            size = 0;

  if (!g_file_get_contents (path, &data, &size, NULL))
    return FALSE;
  return memmem (data, size, needle, strlen (needle)) != NULL;
}

/* Counts the files below @dir that contain @needle; adds their paths to @found. */
static guint
grep_tree (const char *dir, const char *needle, GPtrArray *found, guint *n_files)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;
  guint       hits = 0;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        hits += grep_tree (path, needle, found, n_files);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          (*n_files)++;
          if (file_contains (path, needle))
            {
              g_ptr_array_add (found, g_strdup (path));
              hits++;
            }
        }
    }
  return hits;
}

/* --- round trip --------------------------------------------------------------- */

static gint64 fake_now = 1767225600; /* 2026-01-01T00:00:00Z */

static gint64
fake_clock (gpointer user_data)
{
  return fake_now;
}

static void
test_round_trip (void)
{
  g_autofree char *dir = wk_test_scratch_path ("snapshots");
  g_autoptr (WkKeys) keys = keys_new (0x11);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 300, 1200, 2400, MARKER);
  g_autoptr (WkModel) loaded = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *original = NULL;
  g_autofree char *restored = NULL;
  struct stat      st;

  _wk_store_set_clock (store, fake_clock, NULL);
  g_assert_cmpuint (write_ok (store, model), ==, 1);
  loaded = wk_store_load_newest (store, &info, &error);
  g_assert_no_error (error);

  /* What the snapshot says about itself. */
  g_assert_cmpuint (info->seq, ==, 1);
  g_assert_cmpint (info->created_at, ==, fake_now);
  g_assert_cmpstr (info->ward_id, ==, "7A");
  g_assert_cmpstr (info->key_id, ==, wk_keys_get_key_id (keys));
  g_assert_true (info->verified);
  g_assert_null (info->error);
  g_assert_true (g_str_has_suffix (info->path, "/000000000001.wks"));
  g_assert_cmpint (g_stat (info->path, &st), ==, 0);
  g_assert_cmpint (info->size, ==, st.st_size);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0750);

  /* A read-only model with every row and every column as written. */
  g_assert_true (wk_model_is_read_only (loaded));
  g_assert_cmpuint (count_patients (loaded), ==, 285);
  original = export_text (model);
  restored = export_text (loaded);
  g_assert_cmpuint (strlen (original), >, 500000);
  g_assert_cmpstr (restored, ==, original);

  /* And through the typed API, field by field for every patient. */
  before = wk_patient_load_all (model, &error);
  after = wk_patient_load_all (loaded, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, ==, after->len);
  for (guint i = 0; i < before->len; i++)
    {
      WkPatient *a = before->pdata[i], *b = after->pdata[i];

      g_assert_cmpint (a->id, ==, b->id);
      g_assert_cmpstr (a->nhs_number, ==, b->nhs_number);
      g_assert_cmpstr (a->hospital_number, ==, b->hospital_number);
      g_assert_cmpstr (a->family_name, ==, b->family_name);
      g_assert_cmpstr (a->given_names, ==, b->given_names);
      g_assert_cmpstr (a->birth_date, ==, b->birth_date);
      g_assert_cmpint (a->sex, ==, b->sex);
      g_assert_cmpfloat (a->weight_kg, ==, b->weight_kg);
      g_assert_cmpint (a->weight_at, ==, b->weight_at);
      g_assert_cmpstr (a->consultant, ==, b->consultant);
      g_assert_cmpint (a->allergy_status, ==, b->allergy_status);
      g_assert_cmpint (a->stay, ==, b->stay);
      g_assert_cmpstr (a->visit_number, ==, b->visit_number);
      g_assert_cmpstr (a->ward_id, ==, b->ward_id);
      g_assert_cmpint (a->bed_id, ==, b->bed_id);
      g_assert_cmpint (a->admitted_at, ==, b->admitted_at);
      g_assert_cmpint (a->left_at, ==, b->left_at);
      g_assert_cmpint (a->updated_at, ==, b->updated_at);
    }
  g_assert_cmpstr (((WkPatient *)after->pdata[0])->family_name, ==, MARKER);

  /* The model loaded from a snapshot refuses changes. */
  g_assert_false (wk_model_set_meta (loaded, "x", "y", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
}

/* --- damage ------------------------------------------------------------------- */

typedef struct
{
  char    *dir;
  WkKeys  *keys;
  WkStore *store;
  char    *newest; /* the file each case damages */
  GBytes  *good;   /* its bytes, undamaged */
  guint    older_patients;
} Damage;

static WkModel *damage_model; /* built once for all the damage cases */

/* A writable copy of @model. */
static WkModel *
model_copy (WkModel *model)
{
  g_autoptr (GError) error = NULL;
  gsize    size = 0;
  guint8  *image = wk_model_serialize (model, &size, &error);
  WkModel *copy;

  g_assert_no_error (error);
  copy = wk_model_new_from_serialized (image, size, FALSE, &error);
  g_assert_no_error (error);
  return copy;
}

static void
damage_setup (Damage *d, gconstpointer unused)
{
  g_autoptr (WkModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPatient) extra = wk_test_patient_new (500);

  if (damage_model == NULL)
    damage_model = wk_test_hospital_new ("7A", 40, 400, 1500, MARKER);
  model = model_copy (damage_model);
  d->dir = wk_test_scratch_path ("damage");
  d->keys = keys_new (0x22);
  d->store = store_new (d->dir, d->keys, "7A", 20, TRUE);
  g_assert_cmpuint (write_ok (d->store, model), ==, 1);
  d->older_patients = count_patients (model);
  extra->stay = WK_STAY_PRE_ADMITTED;
  g_assert_true (wk_patient_insert (model, extra, &error));
  g_assert_cmpuint (write_ok (d->store, model), ==, 2);
  d->newest = seq_path (d->dir, 2);
  d->good = read_bytes (d->newest);
  /* Several chunks, so that damage can fall on chunk boundaries. */
  g_assert_cmpuint (g_bytes_get_size (d->good), >, HEADER_SIZE + 3 * CHUNK_CIPHER_SIZE);
}

static void
damage_teardown (Damage *d, gconstpointer unused)
{
  g_free (d->dir);
  g_free (d->newest);
  g_bytes_unref (d->good);
  wk_store_unref (d->store);
  wk_keys_free (d->keys);
}

/* Puts @bytes in place of the newest snapshot and checks that it is refused with @code,
 * that loading falls back to the previous one, and that the log says which file and
 * why. */
static void
assert_refused (Damage *d, const guint8 *bytes, gsize size, int code, const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkSnapshotInfo) loaded_info = NULL;
  g_autoptr (WkModel) loaded = NULL;

  write_bytes (d->newest, bytes, size);
  g_assert_false (wk_store_verify_file (d->store, d->newest, &info, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, code);
  g_assert_nonnull (strstr (error->message, d->newest));
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("expected \"%s\" in: %s", reason, error->message);
  g_assert_false (info->verified);
  g_assert_error (info->error, WK_SNAPSHOT_ERROR, code);
  g_clear_error (&error);

  g_ptr_array_set_size (logged, 0);
  loaded = wk_store_load_newest (d->store, &loaded_info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded_info->seq, ==, 1);
  g_assert_cmpuint (count_patients (loaded), ==, d->older_patients);
  g_assert_cmpuint (count_logged ("Skipping snapshot", d->newest, "trying the one before", NULL),
                    ==, 1);
  if (reason != NULL)
    g_assert_cmpuint (count_logged (d->newest, reason, NULL), ==, 1);
}

static void
test_damage_truncated (Damage *d, gconstpointer unused)
{
  gsize         size = g_bytes_get_size (d->good);
  const guint8 *bytes = g_bytes_get_data (d->good, NULL);
  GArray       *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize         fixed[] = { 0,
                            1,
                            8,
                            12,
                            100,
                            HEADER_SIZE - 1,
                            HEADER_SIZE,
                            HEADER_SIZE + 1,
                            HEADER_SIZE + CHUNK_CIPHER_SIZE - 1,
                            HEADER_SIZE + CHUNK_CIPHER_SIZE,
                            HEADER_SIZE + CHUNK_CIPHER_SIZE + 1,
                            HEADER_SIZE + 2 * CHUNK_CIPHER_SIZE,
                            size - 17,
                            size - 1 };

  g_array_append_vals (cuts, fixed, G_N_ELEMENTS (fixed));
  for (int i = 0; i < 40; i++)
    {
      gsize at = (gsize)g_test_rand_int_range (0, (gint32)size);

      g_array_append_val (cuts, at);
    }
  for (guint i = 0; i < cuts->len; i++)
    {
      gsize at = g_array_index (cuts, gsize, i);

      g_test_message ("truncated to %zu of %zu bytes", at, size);
      assert_refused (d, bytes, at, WK_SNAPSHOT_ERROR_CORRUPT,
                      at >= HEADER_SIZE ? "is truncated: " : NULL);
    }
  g_array_unref (cuts);
}

static void
assert_flip_refused (Damage *d, gsize at, const char *reason)
{
  gsize            size = g_bytes_get_size (d->good);
  g_autofree char *copy = g_memdup2 (g_bytes_get_data (d->good, NULL), size);

  copy[at] ^= 0x01;
  assert_refused (d, (const guint8 *)copy, size, WK_SNAPSHOT_ERROR_CORRUPT, reason);
}

static void
test_damage_header (Damage *d, gconstpointer unused)
{
  /* Every byte of the header: magic, version, lengths, seq, time, size, key id, ward,
   * stream header and checksum. */
  for (gsize at = 0; at < HEADER_SIZE; at++)
    assert_flip_refused (d, at, at < 8 ? "is not a wardkeep snapshot" : "has a damaged header");
}

static void
test_damage_body (Damage *d, gconstpointer unused)
{
  gsize size = g_bytes_get_size (d->good);

  /* The first and last bytes of each chunk, and random bytes in between. */
  for (gsize chunk = HEADER_SIZE; chunk < size; chunk += CHUNK_CIPHER_SIZE)
    {
      assert_flip_refused (d, chunk + 1, "fails authentication");
      assert_flip_refused (d, MIN (chunk + CHUNK_CIPHER_SIZE, size) - 17 - 1,
                           "fails authentication");
    }
  for (int i = 0; i < 30; i++)
    assert_flip_refused (d, (gsize)g_test_rand_int_range (HEADER_SIZE, (gint32)size - 17),
                         "fails authentication");
}

static void
test_damage_tag (Damage *d, gconstpointer unused)
{
  gsize size = g_bytes_get_size (d->good);

  /* Each chunk starts with its encrypted tag byte and ends with its 16-byte MAC. */
  assert_flip_refused (d, HEADER_SIZE, "chunk 1 of");
  assert_flip_refused (d, size - CHUNK_CIPHER_SIZE + 17, "fails authentication");
  for (gsize at = HEADER_SIZE + CHUNK_CIPHER_SIZE - 16; at < HEADER_SIZE + CHUNK_CIPHER_SIZE; at++)
    assert_flip_refused (d, at, "chunk 1 of");
  for (gsize at = size - 16; at < size; at++)
    assert_flip_refused (d, at, "fails authentication");
}

static void
test_damage_rearranged (Damage *d, gconstpointer unused)
{
  gsize            size = g_bytes_get_size (d->good);
  g_autofree char *swapped = g_memdup2 (g_bytes_get_data (d->good, NULL), size);
  g_autofree char *longer = g_malloc (size + 5);
  g_autofree char *forged = g_memdup2 (g_bytes_get_data (d->good, NULL), size);
  g_autofree char *renamed = seq_path (d->dir, 3);
  guint8           tmp[CHUNK_CIPHER_SIZE];
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) loaded = NULL;

  /* Two whole chunks swapped. */
  memcpy (tmp, swapped + HEADER_SIZE, CHUNK_CIPHER_SIZE);
  memcpy (swapped + HEADER_SIZE, swapped + HEADER_SIZE + CHUNK_CIPHER_SIZE, CHUNK_CIPHER_SIZE);
  memcpy (swapped + HEADER_SIZE + CHUNK_CIPHER_SIZE, tmp, CHUNK_CIPHER_SIZE);
  assert_refused (d, (guint8 *)swapped, size, WK_SNAPSHOT_ERROR_CORRUPT, "fails authentication");

  /* Bytes after the end. */
  memcpy (longer, g_bytes_get_data (d->good, NULL), size);
  memcpy (longer + size, "extra", 5);
  assert_refused (d, (guint8 *)longer, size + 5, WK_SNAPSHOT_ERROR_CORRUPT,
                  "5 unexpected bytes after its end");

  /* A header changed with its checksum recomputed: the checksum is no seal, the
   * authenticated chunk is. */
  forged[24] ^= 0x40; /* created-at */
  crypto_generichash ((guint8 *)forged + 136, 8, (guint8 *)forged, 136, NULL, 0);
  assert_refused (d, (guint8 *)forged, size, WK_SNAPSHOT_ERROR_CORRUPT, "chunk 1 of");

  /* A good snapshot under the name of a newer one is not taken for it. */
  write_bytes (d->newest, g_bytes_get_data (d->good, NULL), size);
  write_bytes (renamed, g_bytes_get_data (d->good, NULL), size);
  g_ptr_array_set_size (logged, 0);
  loaded = wk_store_load_newest (d->store, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->seq, ==, 2);
  g_assert_cmpuint (count_logged (renamed, "is snapshot 2 under the name of another", NULL), ==, 1);
  g_assert_cmpint (g_unlink (renamed), ==, 0);
}

static void
test_damage_wrong_key (Damage *d, gconstpointer unused)
{
  g_autoptr (WkKeys) other_keys = keys_new (0x99);
  g_autoptr (WkStore) other = NULL;
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 4, 4, 4, NULL);
  g_autoptr (GBytes) sealed_elsewhere = NULL;
  g_autofree char *reason = NULL;

  /* Another kiosk's snapshot (its key) in this folder. */
  g_clear_pointer (&d->store, wk_store_unref); /* gives up the folder's write lock */
  g_assert_cmpint (g_unlink (d->newest), ==, 0);
  other = store_new (d->dir, other_keys, "7A", 20, TRUE);
  g_assert_cmpuint (write_ok (other, model), ==, 2);
  sealed_elsewhere = read_bytes (d->newest);
  d->store = store_new (d->dir, d->keys, "7A", 20, TRUE);

  reason = g_strdup_printf ("was sealed with key %s, not this kiosk's key %s",
                            wk_keys_get_key_id (other_keys), wk_keys_get_key_id (d->keys));
  assert_refused (d, g_bytes_get_data (sealed_elsewhere, NULL), g_bytes_get_size (sealed_elsewhere),
                  WK_SNAPSHOT_ERROR_WRONG_KEY, reason);
}

static void
test_damage_future_version (Damage *d, gconstpointer unused)
{
  gsize            size = g_bytes_get_size (d->good);
  g_autofree char *future = g_memdup2 (g_bytes_get_data (d->good, NULL), size);

  /* As a newer wardkeep would write it: version 2, a valid header checksum. */
  future[8] = 2;
  crypto_generichash ((guint8 *)future + 136, 8, (guint8 *)future, 136, NULL, 0);
  assert_refused (d, (guint8 *)future, size, WK_SNAPSHOT_ERROR_UNSUPPORTED_VERSION,
                  "has format version 2, but this wardkeep reads version 1");
}

static void
test_damage_other_ward (Damage *d, gconstpointer unused)
{
  g_autoptr (WkStore) other = NULL;
  g_autoptr (WkModel) model = wk_test_hospital_new ("8B", 4, 4, 4, NULL);
  g_autoptr (GBytes) other_ward = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) loaded = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&d->store, wk_store_unref);
  g_assert_cmpint (g_unlink (d->newest), ==, 0);
  other = store_new (d->dir, d->keys, "8B", 20, TRUE);
  g_assert_cmpuint (write_ok (other, model), ==, 2);
  other_ward = read_bytes (d->newest);
  d->store = store_new (d->dir, d->keys, "7A", 20, TRUE);

  /* Authentic, but never loaded as this ward's newest... */
  g_ptr_array_set_size (logged, 0);
  loaded = wk_store_load_newest (d->store, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->seq, ==, 1);
  g_assert_cmpuint (count_logged (d->newest, "is of ward 8B, not of this kiosk's ward 7A", NULL),
                    ==, 1);
  g_clear_pointer (&info, wk_snapshot_info_free);
  g_clear_pointer (&loaded, wk_model_free);

  /* ...though it can be opened by name, saying whose it is. */
  loaded = wk_store_load_file (d->store, d->newest, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->ward_id, ==, "8B");
  g_assert_true (wk_store_verify_file (d->store, d->newest, NULL, &error));
  g_assert_no_error (error);
}

static void
test_damage_nothing_usable (void)
{
  g_autofree char *dir = wk_test_scratch_path ("nothing");
  g_autofree char *missing = wk_test_scratch_path ("missing");
  g_autofree char *first = seq_path (dir, 1);
  g_autoptr (WkKeys) keys = keys_new (0x33);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkStore) absent = store_new (missing, keys, "7A", 20, TRUE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 4, 4, 4, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  /* No folder yet: nothing to load, and loading does not create it. */
  g_assert_null (wk_store_load_newest (absent, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no snapshot in"));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* The only snapshot damaged: an error naming it and why, not an empty ward. */
  g_assert_cmpuint (write_ok (store, model), ==, 1);
  bytes = read_bytes (first);
  write_bytes (first, g_bytes_get_data (bytes, NULL), 200);
  g_assert_null (wk_store_load_newest (store, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "None of the 1 snapshots"));
  g_assert_nonnull (strstr (error->message, first));
  g_assert_nonnull (strstr (error->message, "is truncated"));
}

/* --- loading without write access ------------------------------------------------ */

/* Loads the newest snapshot; exit status 0 when it is @seq. Run as another user. */
static int
load_as_reader (WkStore *store, guint64 seq)
{
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) model = wk_store_load_newest (store, &info, NULL);

  return model != NULL && info->seq == seq ? 0 : 1;
}

static void
test_load_read_only_folder (void)
{
  g_autofree char *dir = wk_test_scratch_path ("readonly");
  g_autoptr (WkKeys) keys = keys_new (0x44);
  g_autoptr (WkStore) writer = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkStore) reader = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 6, 10, 10, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  struct stat      st_before, st_after;
  int              status;

  g_assert_cmpuint (write_ok (writer, model), ==, 1);
  g_assert_cmpuint (write_ok (writer, model), ==, 2);
  g_clear_pointer (&writer, wk_store_unref);
  before = sorted_dir (dir);
  g_assert_cmpint (g_stat (dir, &st_before), ==, 0);

  if (geteuid () == 0)
    {
      /* As root, load as "nobody", a user that may read the folder but not write it. */
      g_autofree char *up = g_path_get_dirname (dir);
      pid_t            pid;

      /* The test's private folders become passable (not readable) for others. */
      while (strcmp (up, "/") != 0)
        {
          struct stat st;
          char       *parent = g_path_get_dirname (up);

          g_assert_cmpint (g_stat (up, &st), ==, 0);
          g_assert_cmpint (g_chmod (up, (st.st_mode & 07777) | 0011), ==, 0);
          g_free (up);
          up = parent;
        }
      g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
      for (int i = 1; i <= 2; i++)
        {
          g_autofree char *path = seq_path (dir, i);

          g_assert_cmpint (g_chmod (path, 0644), ==, 0);
        }
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          if (setgid (65534) != 0 || setuid (65534) != 0)
            _exit (3);
          if (access (dir, W_OK) == 0)
            _exit (4);
          _exit (load_as_reader (reader, 2));
        }
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  else
    {
      g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
      g_assert_cmpint (load_as_reader (reader, 2), ==, 0);
      g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
    }

  /* Loading created, removed and changed nothing in the folder. */
  after = sorted_dir (dir);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (g_stat (dir, &st_after), ==, 0);
  g_assert_cmpint (st_after.st_mtim.tv_sec, ==, st_before.st_mtim.tv_sec);
  g_assert_cmpint (st_after.st_mtim.tv_nsec, ==, st_before.st_mtim.tv_nsec);
}

/* --- one writer, and what a killed one leaves ----------------------------------- */

static void
test_one_writer (void)
{
  g_autofree char *dir = wk_test_scratch_path ("onewriter");
  g_autofree char *stale = NULL;
  g_autoptr (WkKeys) keys = keys_new (0x55);
  g_autoptr (WkStore) first = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkStore) second = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 4, 4, 4, MARKER);
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;

  /* A temp file a killed writer left: ignored by readers, removed by the next writer. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0750), ==, 0);
  stale = g_build_filename (dir, ".wks-tmp-AbC123", NULL);
  write_bytes (stale, "half a snapshot", 15);
  g_assert_null (wk_store_load_newest (first, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (write_ok (first, model), ==, 1);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==, "000000000001.wks");

  /* A second writer on the same folder is refused, and writes nothing. */
  info = wk_store_write (second, model, &error);
  g_assert_null (info);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "Another process is writing snapshots in"));
  g_clear_error (&error);
  g_clear_pointer (&names, g_free);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==, "000000000001.wks");

  /* Once the first lets go, the second continues the numbering. */
  g_clear_pointer (&first, wk_store_unref);
  g_assert_cmpuint (write_ok (second, model), ==, 2);
}

/* --- rotation ------------------------------------------------------------------- */

static char *
expected_names (GArray *seqs)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < seqs->len; i++)
    g_ptr_array_add (
        names, g_strdup_printf ("%012" G_GUINT64_FORMAT ".wks", g_array_index (seqs, guint64, i)));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **)names->pdata);
}

static void
test_rotation_newest (void)
{
  g_autofree char *dir = wk_test_scratch_path ("rotation-newest");
  g_autoptr (WkKeys) keys = keys_new (0x66);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 3, FALSE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 2, 2, 2, NULL);
  g_autofree char *names = NULL;

  for (int i = 1; i <= 10; i++)
    g_assert_cmpuint (write_ok (store, model), ==, i);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==, "000000000008.wks 000000000009.wks 000000000010.wks");
}

static void
test_rotation_hourly (void)
{
  g_autofree char *dir = wk_test_scratch_path ("rotation-hourly");
  g_autoptr (WkKeys) keys = keys_new (0x77);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 5, TRUE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 2, 2, 2, NULL);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 start = 1767225600 + 1234; /* not on the hour */

  _wk_store_set_clock (store, fake_clock, NULL);
  /* 30 hours of snapshots, one every 10 minutes, some gaps of several hours. */
  for (guint i = 0; i < 180; i++)
    {
      g_autoptr (GArray) expected = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr (GHashTable) hours
          = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
      g_autofree char *want = NULL;
      g_autofree char *have = NULL;
      gint64           now_hour;
      guint64          seq;

      if (i >= 40 && i < 70)
        continue; /* 5 hours without snapshots */
      fake_now = start + (gint64)i * 600;
      seq = write_ok (store, model);
      g_array_append_val (times, fake_now);
      g_assert_cmpuint (seq, ==, times->len);

      /* The promise, computed independently: the newest 5, plus the newest snapshot of
       * each UTC clock hour of the last 24 (this hour and the 23 before). */
      now_hour = fake_now / 3600;
      for (guint64 s = seq; s >= 1; s--)
        {
          gint64   hour = g_array_index (times, gint64, s - 1) / 3600;
          gboolean newest_n = s + 5 > seq;
          gboolean hourly = hour > now_hour - 24 && !g_hash_table_contains (hours, &hour);

          if (hourly)
            g_hash_table_add (hours, g_memdup2 (&hour, sizeof hour));
          if (newest_n || hourly)
            g_array_append_val (expected, s);
        }
      want = expected_names (expected);
      have = sorted_dir (dir);
      g_assert_cmpstr (have, ==, want);
    }
  fake_now = 1767225600;
}

static void
test_rotation_keeps_good (void)
{
  g_autofree char *dir = wk_test_scratch_path ("rotation-good");
  g_autoptr (WkKeys) keys = keys_new (0x88);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 1, FALSE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 2, 2, 2, NULL);
  g_autoptr (GBytes) good = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *first = seq_path (dir, 1);

  g_assert_cmpuint (write_ok (store, model), ==, 1);
  g_clear_pointer (&store, wk_store_unref);
  good = read_bytes (first);
  /* Three newer files that are all damaged (not by wardkeep: by the disk, say). */
  for (int i = 2; i <= 4; i++)
    {
      g_autofree char *path = seq_path (dir, i);

      write_bytes (path, g_bytes_get_data (good, NULL), g_bytes_get_size (good) - 1);
    }
  /* keep = 1 would keep only seq 4; the only good one, seq 1, is kept too. */
  store = store_new (dir, keys, "7A", 1, FALSE);
  g_assert_true (wk_store_rotate (store, &error));
  g_assert_no_error (error);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==, "000000000001.wks 000000000004.wks");

  /* A good newer snapshot lets the old ones go. */
  g_assert_cmpuint (write_ok (store, model), ==, 5);
  g_clear_pointer (&names, g_free);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==, "000000000005.wks");

  /* Nothing good at all: rotation deletes nothing and says why. */
  g_clear_pointer (&store, wk_store_unref);
  {
    g_autofree char *fifth = seq_path (dir, 5);
    g_autofree char *sixth = seq_path (dir, 6);

    write_bytes (fifth, "damaged", 7);
    write_bytes (sixth, "damaged", 7);
  }
  store = store_new (dir, keys, "7A", 1, FALSE);
  g_assert_false (wk_store_rotate (store, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "none is deleted"));
  g_clear_pointer (&names, g_free);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==, "000000000005.wks 000000000006.wks");
}

/* --- a full disk ---------------------------------------------------------------- */

typedef struct
{
  gsize    budget; /* bytes that still fit */
  gboolean full;
} DiskBudget;

/* write(2) on a disk with @budget bytes left: a short write, then ENOSPC. */
static ssize_t
budget_write (int fd, const void *buf, size_t size, gpointer user_data)
{
  DiskBudget *disk = user_data;
  ssize_t     n;

  if (!disk->full)
    return write (fd, buf, size);
  if (disk->budget == 0)
    {
      errno = ENOSPC;
      return -1;
    }
  n = write (fd, buf, MIN (size, disk->budget));
  if (n > 0)
    disk->budget -= n;
  return n;
}

/* Fills the file system of @dir with one file; returns its path. */
static char *
fill_disk (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "filler", NULL);
  static char      block[65536];
  int              fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  gsize            bs = sizeof block;

  g_assert_cmpint (fd, >=, 0);
  /* Down to single bytes, so that not even a header fits. */
  while (bs > 0)
    {
      if (write (fd, block, bs) < 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          bs /= 2;
        }
    }
  g_assert_cmpint (fsync (fd), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  return g_steal_pointer (&path);
}

/* The same assertions on a real full tmpfs (@on_tmpfs) or with an injected ENOSPC. */
static void
check_disk_full (const char *dir, gboolean on_tmpfs)
{
  g_autoptr (WkKeys) keys = keys_new (0x99);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkModel) small = wk_test_hospital_new ("7A", 10, 20, 20, NULL);
  g_autoptr (WkModel) large = wk_test_hospital_new ("7A", 60, 600, 2000, NULL);
  g_autofree char *first = seq_path (dir, 1);
  g_autofree char *second = seq_path (dir, 2);
  g_autoptr (GBytes) first_bytes = NULL;
  g_autoptr (GBytes) second_bytes = NULL;
  g_autoptr (GBytes) first_after = NULL;
  g_autoptr (GBytes) second_after = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *names = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) loaded = NULL;
  DiskBudget disk = { 0 };

  _wk_store_set_write_func (store, budget_write, &disk);
  g_assert_cmpuint (write_ok (store, small), ==, 1);
  g_assert_cmpuint (write_ok (store, small), ==, 2);
  first_bytes = read_bytes (first);
  second_bytes = read_bytes (second);

  if (on_tmpfs)
    filler = fill_disk (dir);
  else
    {
      disk.full = TRUE;
      disk.budget = 70000; /* the header and part of the first chunk */
    }

  /* The write fails, says so and why, and leaves everything as it was. */
  info = wk_store_write (store, large, &error);
  g_assert_null (info);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "Cannot write snapshot 000000000003"));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  g_assert_nonnull (strstr (error->message, "the previous snapshots are intact"));
  g_clear_error (&error);
  names = sorted_dir (dir);
  g_assert_cmpstr (names, ==,
                   on_tmpfs ? "000000000001.wks 000000000002.wks filler"
                            : "000000000001.wks 000000000002.wks");
  first_after = read_bytes (first);
  second_after = read_bytes (second);
  g_assert_true (g_bytes_equal (first_after, first_bytes));
  g_assert_true (g_bytes_equal (second_after, second_bytes));
  loaded = wk_store_load_newest (store, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->seq, ==, 2);
  g_assert_cmpuint (count_patients (loaded), ==, count_patients (small));
  g_clear_pointer (&info, wk_snapshot_info_free);

  /* Space again: the next write goes through as the next seq. */
  if (on_tmpfs)
    g_assert_cmpint (g_unlink (filler), ==, 0);
  disk.full = FALSE;
  g_assert_cmpuint (write_ok (store, large), ==, 3);
  g_clear_pointer (&loaded, wk_model_free);
  loaded = wk_store_load_newest (store, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->seq, ==, 3);
  g_assert_cmpuint (count_patients (loaded), ==, count_patients (large));
}

static void
test_disk_full_injected (void)
{
  g_autofree char *dir = wk_test_scratch_path ("full-injected");

  check_disk_full (dir, FALSE);
}

/* In a mount namespace of its own, so that the mount goes when the process does. */
static gboolean
mount_small_tmpfs (const char *dir, char **why)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return FALSE;
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
      || mount ("tmpfs", dir, "tmpfs", 0, "size=2m,mode=0750") != 0)
    {
      *why = g_strdup (g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static void
test_disk_full_tmpfs (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = wk_test_scratch_path ("full-tmpfs");
      g_autofree char *why = NULL;

      if (mount_small_tmpfs (dir, &why))
        {
          g_test_message ("a 2 MiB tmpfs is mounted on %s", dir);
          check_disk_full (dir, TRUE);
        }
      else
        {
          /* Not root, or no mount namespaces here: the same assertions, ENOSPC injected. */
          g_test_message ("cannot mount a tmpfs here (%s): injecting ENOSPC instead", why);
          check_disk_full (dir, FALSE);
        }
      return;
    }
  /* A fresh single-threaded process, as unshare(CLONE_NEWNS) needs. */
  g_test_trap_subprocess (NULL, 0,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* --- crash safety --------------------------------------------------------------- */

#define CRASH_KEEP 3

/* The writer child: writes snapshots of the model in the folder's newest snapshot as fast
 * as it can, telling the parent on stdout "S <seq>" before each write and "C <seq>" once
 * it is complete. */
static int
crash_writer_main (const char *dir, const char *key_file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkModel) model = NULL;
  g_autoptr (GPtrArray) list = NULL;
  guint64 next;

  g_unsetenv ("CREDENTIALS_DIRECTORY");
  keys = wk_keys_load (key_file, &error);
  g_assert_no_error (error);
  store = store_new (dir, keys, "7A", CRASH_KEEP, FALSE);
  list = wk_store_list (store, FALSE, &error);
  g_assert_no_error (error);
  next = ((WkSnapshotInfo *)list->pdata[0])->seq + 1;
  /* The model the last writer left, made writable again (quicker than building one). */
  {
    g_autoptr (WkModel) newest = wk_store_load_newest (store, NULL, &error);
    guint8 *image;
    gsize   size = 0;

    g_assert_no_error (error);
    image = wk_model_serialize (newest, &size, &error);
    g_assert_no_error (error);
    model = wk_model_new_from_serialized (image, size, FALSE, &error);
    g_assert_no_error (error);
  }
  printf ("R\n");
  fflush (stdout);
  for (;; next++)
    {
      g_autofree char *seq_text = g_strdup_printf ("%" G_GUINT64_FORMAT, next);
      g_autoptr (WkSnapshotInfo) info = NULL;

      /* The model says which write it is, so the parent can tell whose content it got. */
      g_assert_true (wk_model_set_meta (model, "test-seq", seq_text, &error));
      printf ("S %" G_GUINT64_FORMAT "\n", next);
      fflush (stdout);
      info = wk_store_write (store, model, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (info->seq, ==, next);
      printf ("C %" G_GUINT64_FORMAT "\n", next);
      fflush (stdout);
    }
  return 0;
}

static void
test_crash_safety (void)
{
  g_autofree char *dir = wk_test_scratch_path ("crash");
  g_autofree char *key_file = wk_test_scratch_path ("crash.key");
  g_autoptr (GHashTable) completed
      = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) reader = NULL;
  g_autoptr (GPtrArray) leaked = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  const char *iterations_env = g_getenv ("WK_CRASH_ITERATIONS");
  guint       iterations = iterations_env != NULL ? (guint)atoi (iterations_env) : 200;
  guint64     highest_completed = 0;
  guint       in_flight_kills = 0, in_flight_loaded = 0, n_files = 0;

  g_assert_true (wk_keys_create_file (key_file, &error));
  keys = wk_keys_load (key_file, &error);
  g_assert_no_error (error);
  reader = store_new (dir, keys, "7A", CRASH_KEEP, FALSE);

  /* The first snapshot, which the writers start from. */
  {
    g_autoptr (WkStore) seed = store_new (dir, keys, "7A", CRASH_KEEP, FALSE);
    g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 30, 300, 1500, MARKER);

    g_assert_true (wk_model_set_meta (model, "test-seq", "1", &error));
    g_assert_cmpuint (write_ok (seed, model), ==, 1);
    highest_completed = 1;
    g_hash_table_add (completed, g_memdup2 (&highest_completed, sizeof highest_completed));
  }
  /* A killed child is never checked for leaks; everything else in it is. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);

  for (guint iteration = 0; iteration < iterations; iteration++)
    {
      const char *argv[] = { "/proc/self/exe", "--crash-writer", dir, key_file, NULL };
      g_autoptr (GSubprocess) child = NULL;
      g_autoptr (GDataInputStream) lines = NULL;
      g_autoptr (WkSnapshotInfo) info = NULL;
      g_autoptr (WkModel) model = NULL;
      g_autofree char *ready = NULL;
      g_autofree char *content_seq = NULL;
      g_autofree char *line = NULL;
      guint64          started = 0;

      child = g_subprocess_launcher_spawnv (launcher, argv, &error);
      g_assert_no_error (error);
      lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
      ready = g_data_input_stream_read_line (lines, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (ready, ==, "R");

      /* Kill it at any moment: before, inside or after a write. */
      g_usleep (g_test_rand_int_range (0, 25000));
      g_subprocess_force_exit (child);
      g_assert_true (g_subprocess_wait (child, NULL, &error));
      g_assert_true (g_subprocess_get_if_signaled (child));

      /* Every report it made before it died is still in the pipe. */
      started = 0;
      while ((line = g_data_input_stream_read_line (lines, NULL, NULL, &error)) != NULL)
        {
          guint64 seq = g_ascii_strtoull (line + 2, NULL, 10);

          if (line[0] == 'S')
            started = seq;
          else if (line[0] == 'C')
            {
              g_hash_table_add (completed, g_memdup2 (&seq, sizeof seq));
              highest_completed = MAX (highest_completed, seq);
              if (seq == started)
                started = 0;
            }
          g_clear_pointer (&line, g_free);
        }
      in_flight_kills += started != 0;

      /* A good snapshot is always there: the newest the writer completed, or the one it
       * was writing when it was killed if that got as far as its rename (complete on
       * disk, killed before it could report it). Never an older one. */
      model = wk_store_load_newest (reader, &info, &error);
      g_assert_no_error (error);
      content_seq = wk_model_dup_meta (model, "test-seq");
      g_assert_cmpuint (g_ascii_strtoull (content_seq, NULL, 10), ==, info->seq);
      if (!g_hash_table_contains (completed, &info->seq))
        {
          g_assert_cmpuint (info->seq, ==, started);
          g_assert_cmpuint (started, ==, highest_completed + 1);
          in_flight_loaded++;
          g_hash_table_add (completed, g_memdup2 (&info->seq, sizeof info->seq));
          highest_completed = info->seq;
        }
      g_assert_cmpuint (info->seq, ==, highest_completed);
    }

  /* Every snapshot file left is whole, and nothing the writers left holds plaintext. */
  list = wk_store_list (reader, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, >=, 1);
  g_assert_cmpuint (list->len, <=, CRASH_KEEP + 1);
  for (guint i = 0; i < list->len; i++)
    g_assert_null (((WkSnapshotInfo *)list->pdata[i])->error);
  g_assert_cmpuint (grep_tree (dir, MARKER, leaked, &n_files), ==, 0);
  g_test_message ("%u kills, %u during a write, %u of those after the rename; %" G_GUINT64_FORMAT
                  " snapshots written; %u files left, none with plaintext",
                  iterations, in_flight_kills, in_flight_loaded, highest_completed, n_files);
  g_assert_cmpuint (highest_completed, >, iterations / 2);
}

/* --- nothing plaintext on disk -------------------------------------------------- */

static void
test_no_plaintext (void)
{
  g_autofree char *dir = wk_test_scratch_path ("plaintext");
  g_autofree char *root = g_path_get_dirname (g_get_user_cache_dir ());
  g_autoptr (WkKeys) keys = keys_new (0xaa);
  g_autoptr (WkStore) store = store_new (dir, keys, "7A", 20, TRUE);
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 20, 100, 100, MARKER);
  g_autoptr (WkPatient) first = NULL;
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *newest = NULL;
  guint            n_files = 0;

  /* Writes, including ones that fail half way, and loads that skip damaged files. */
  g_ptr_array_set_size (logged, 0);
  write_ok (store, model);
  write_ok (store, model);
  newest = seq_path (dir, 2);
  bytes = read_bytes (newest);
  write_bytes (newest, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes) / 2);
  {
    g_autoptr (WkModel) loaded = wk_store_load_newest (store, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (count_patients (loaded), ==, count_patients (model));
  }
  {
    DiskBudget disk = { 1000, TRUE };

    _wk_store_set_write_func (store, budget_write, &disk);
    g_assert_null (wk_store_write (store, model, &error));
    g_clear_error (&error);
    _wk_store_set_write_func (store, NULL, NULL);
  }

  /* The marker name and the first NHS number are nowhere in any file the test made, nor
   * in any log line. */
  first = wk_patient_load (model, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first->family_name, ==, MARKER);
  g_assert_cmpuint (grep_tree (root, MARKER, found, &n_files), ==, 0);
  g_assert_cmpuint (grep_tree (root, first->nhs_number, found, &n_files), ==, 0);
  g_assert_cmpuint (n_files, >=, 2);
  g_assert_cmpuint (count_logged (MARKER, NULL), ==, 0);
  g_assert_cmpuint (count_logged (first->nhs_number, NULL), ==, 0);
  g_assert_cmpuint (count_logged ("Skipping snapshot", NULL), ==, 1);

  /* And no core dump could hold it. */
  g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "--crash-writer") == 0)
    return crash_writer_main (argv[2], argv[3]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  wk_log_init ("test-store");
  logged = g_ptr_array_new_with_free_func (g_free);
  wk_log_set_tap (log_tap_cb, NULL);

  g_test_add_func ("/store/round-trip", test_round_trip);
  g_test_add ("/store/damage/truncated", Damage, NULL, damage_setup, test_damage_truncated,
              damage_teardown);
  g_test_add ("/store/damage/header-byte", Damage, NULL, damage_setup, test_damage_header,
              damage_teardown);
  g_test_add ("/store/damage/body-byte", Damage, NULL, damage_setup, test_damage_body,
              damage_teardown);
  g_test_add ("/store/damage/tag-byte", Damage, NULL, damage_setup, test_damage_tag,
              damage_teardown);
  g_test_add ("/store/damage/rearranged", Damage, NULL, damage_setup, test_damage_rearranged,
              damage_teardown);
  g_test_add ("/store/damage/wrong-key", Damage, NULL, damage_setup, test_damage_wrong_key,
              damage_teardown);
  g_test_add ("/store/damage/future-version", Damage, NULL, damage_setup,
              test_damage_future_version, damage_teardown);
  g_test_add ("/store/damage/other-ward", Damage, NULL, damage_setup, test_damage_other_ward,
              damage_teardown);
  g_test_add_func ("/store/damage/nothing-usable", test_damage_nothing_usable);
  g_test_add_func ("/store/load/read-only-folder", test_load_read_only_folder);
  g_test_add_func ("/store/one-writer", test_one_writer);
  g_test_add_func ("/store/rotation/newest", test_rotation_newest);
  g_test_add_func ("/store/rotation/hourly", test_rotation_hourly);
  g_test_add_func ("/store/rotation/keeps-good", test_rotation_keeps_good);
  g_test_add_func ("/store/disk-full/injected", test_disk_full_injected);
  g_test_add_func ("/store/disk-full/tmpfs", test_disk_full_tmpfs);
  g_test_add_func ("/store/crash-safety", test_crash_safety);
  g_test_add_func ("/store/no-plaintext", test_no_plaintext);

  int status = g_test_run ();

  g_ptr_array_unref (logged);
  g_clear_pointer (&damage_model, wk_model_free);
  return status;
}
