/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-keys.c — master key files, credentials and derived keys. */

#include "wk-keys.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
write_key (const char *name, gsize size, guint8 fill, int mode)
{
  g_autofree char *path = wk_test_scratch_path (name);
  guint8           bytes[64];
  g_autoptr (GError) error = NULL;

  memset (bytes, fill, sizeof bytes);
  g_assert_true (g_file_set_contents (path, (const char *)bytes, size, &error));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return g_steal_pointer (&path);
}

static void
test_derivation (void)
{
  guint8      master[WK_KEYS_MASTER_SIZE];
  guint8      other[WK_KEYS_MASTER_SIZE];
  guint8      signature[WK_KEYS_SIGNATURE_SIZE];
  const char *message = "chart 7A-000123 page 1 of 2";
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) a = NULL;
  g_autoptr (WkKeys) b = NULL;
  g_autoptr (WkKeys) c = NULL;

  memset (master, 0x11, sizeof master);
  memset (other, 0x22, sizeof other);
  a = wk_keys_new_from_master (master, sizeof master, &error);
  g_assert_no_error (error);
  b = wk_keys_new_from_master (master, sizeof master, &error);
  c = wk_keys_new_from_master (other, sizeof other, &error);

  /* The same master derives the same keys; another master, different ones. */
  g_assert_cmpmem (wk_keys_get_public_key (a), 32, wk_keys_get_public_key (b), 32);
  g_assert_cmpmem (wk_keys_get_snapshot_key (a), 32, wk_keys_get_snapshot_key (b), 32);
  g_assert_cmpstr (wk_keys_get_key_id (a), ==, wk_keys_get_key_id (b));
  g_assert_cmpstr (wk_keys_get_key_id (a), !=, wk_keys_get_key_id (c));
  g_assert_cmpuint (strlen (wk_keys_get_key_id (a)), ==, 16);
  g_assert_true (memcmp (wk_keys_get_snapshot_key (a), wk_keys_get_snapshot_key (c), 32) != 0);
  /* The snapshot key is not the master, nor related to the public key. */
  g_assert_true (memcmp (wk_keys_get_snapshot_key (a), master, 32) != 0);
  g_assert_true (memcmp (wk_keys_get_snapshot_key (a), wk_keys_get_public_key (a), 32) != 0);

  /* Signatures verify with the public key, and only for the message signed. */
  wk_keys_sign (a, (const guint8 *)message, strlen (message), signature);
  g_assert_cmpint (crypto_sign_verify_detached (signature, (const guint8 *)message,
                                                strlen (message), wk_keys_get_public_key (a)),
                   ==, 0);
  g_assert_cmpint (crypto_sign_verify_detached (signature, (const guint8 *)message,
                                                strlen (message), wk_keys_get_public_key (c)),
                   !=, 0);
  signature[3] ^= 1;
  g_assert_cmpint (crypto_sign_verify_detached (signature, (const guint8 *)message,
                                                strlen (message), wk_keys_get_public_key (a)),
                   !=, 0);

  /* Holding keys makes the process non-dumpable. */
  g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);

  g_assert_null (wk_keys_new_from_master (master, 16, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_KEY);
}

static void
test_key_file_modes (void)
{
  const int accepted[] = { 0600, 0400 };
  const int refused[] = { 0644, 0640, 0604, 0660, 0666, 0700, 0602 };

  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *path = write_key ("good.key", 32, 0x33, accepted[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (WkKeys) keys = wk_keys_load (path, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (wk_keys_get_source (keys), ==, path);
      g_assert_cmpint (g_chmod (path, 0600), ==, 0);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *path = write_key ("bad.key", 32, 0x33, refused[i]);
      g_autofree char *mode = g_strdup_printf ("%04o", refused[i]);
      g_autoptr (GError) error = NULL;

      g_assert_null (wk_keys_load (path, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_PERMISSION);
      g_assert_nonnull (strstr (error->message, mode));
      g_assert_nonnull (strstr (error->message, "0600 or 0400"));
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
}

static void
test_key_file_refusals (void)
{
  g_autofree char *short_key = write_key ("short.key", 31, 0x44, 0600);
  g_autofree char *long_key = write_key ("long.key", 33, 0x44, 0600);
  g_autofree char *missing = wk_test_scratch_path ("missing.key");
  g_autofree char *symlink_path = wk_test_scratch_path ("link.key");
  g_autoptr (GError) error = NULL;

  g_assert_null (wk_keys_load (short_key, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_KEY);
  g_assert_nonnull (strstr (error->message, "shorter than 32 bytes"));
  g_clear_error (&error);
  g_assert_null (wk_keys_load (long_key, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_KEY);
  g_assert_nonnull (strstr (error->message, "longer than 32 bytes"));
  g_clear_error (&error);
  g_assert_null (wk_keys_load (missing, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "wardkeep key init"));
  g_clear_error (&error);
  /* A symbolic link is not followed: the key must be the file itself. */
  g_assert_cmpint (symlink (short_key, symlink_path), ==, 0);
  g_assert_null (wk_keys_load (symlink_path, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (wk_keys_load (NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO);
}

static void
test_create_file (void)
{
  g_autofree char *path = wk_test_scratch_path ("new.key");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  gsize       size = 0;
  struct stat st;

  g_assert_true (wk_keys_create_file (path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &before, &size, NULL));
  g_assert_cmpuint (size, ==, 32);
  keys = wk_keys_load (path, &error);
  g_assert_no_error (error);

  /* Never overwritten. */
  g_assert_false (wk_keys_create_file (path, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, "never overwritten"));
  g_assert_true (g_file_get_contents (path, &after, &size, NULL));
  g_assert_cmpmem (before, 32, after, 32);
}

static void
test_credential_first (void)
{
  g_autofree char *dir = wk_test_scratch_path ("credentials");
  g_autofree char *credential = NULL;
  g_autofree char *file = write_key ("file.key", 32, 0x55, 0600);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) from_credential = NULL;
  g_autoptr (WkKeys) from_file = NULL;
  guint8 bytes[32];

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  credential = g_build_filename (dir, WK_KEYS_CREDENTIAL_NAME, NULL);
  memset (bytes, 0x66, sizeof bytes);
  g_assert_true (g_file_set_contents (credential, (const char *)bytes, 32, NULL));
  /* systemd decides the credential's mode; it is not refused for being 0644. */
  g_assert_cmpint (g_chmod (credential, 0644), ==, 0);

  g_setenv ("CREDENTIALS_DIRECTORY", dir, TRUE);
  from_credential = wk_keys_load (file, &error);
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  g_assert_no_error (error);
  g_assert_nonnull (strstr (wk_keys_get_source (from_credential), "credential"));
  from_file = wk_keys_load (file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wk_keys_get_key_id (from_credential), !=, wk_keys_get_key_id (from_file));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/keys/derivation", test_derivation);
  g_test_add_func ("/keys/file/modes", test_key_file_modes);
  g_test_add_func ("/keys/file/refusals", test_key_file_refusals);
  g_test_add_func ("/keys/file/create", test_create_file);
  g_test_add_func ("/keys/credential-first", test_credential_first);

  return g_test_run ();
}
