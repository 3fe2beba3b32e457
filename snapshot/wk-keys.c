/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-keys.c — the kiosk's master key and the keys derived from it. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-keys.h"

#include "wk-snapshot-error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define KDF_CONTEXT "wardkeep"
#define SUBKEY_SNAPSHOT 1
#define SUBKEY_SIGNING 2

/* The secret parts, in one sodium_malloc() block. */
typedef struct
{
  guint8 snapshot_key[WK_KEYS_SNAPSHOT_KEY_SIZE];
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
} Secrets;

struct _WkKeys
{
  Secrets *secrets;
  guint8   public_key[WK_KEYS_PUBLIC_KEY_SIZE];
  char    *key_id;
  char    *source;
};

static gboolean
init_sodium (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                   "Cannot initialise libsodium (no secure random source?)");
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_keys_harden_process:
 *
 * Makes the process non-dumpable and its core dumps empty, so that neither a crash nor
 * ptrace by another user can read keys or decrypted patient data. Called whenever keys
 * are loaded; safe to call more than once.
 */
void
wk_keys_harden_process (void)
{
  struct rlimit none = { 0, 0 };

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    g_warning ("Cannot make the process non-dumpable: %s", g_strerror (errno));
  if (setrlimit (RLIMIT_CORE, &none) != 0)
    g_warning ("Cannot turn core dumps off: %s", g_strerror (errno));
}

/**
 * wk_keys_dup_key_id_for:
 * @public_key: an Ed25519 public key
 *
 * Returns: (transfer full): the key id of @public_key: 16 lowercase hex digits
 */
char *
wk_keys_dup_key_id_for (const guint8 public_key[WK_KEYS_PUBLIC_KEY_SIZE])
{
  guint8 hash[8];
  char   hex[sizeof hash * 2 + 1];

  crypto_generichash (hash, sizeof hash, public_key, WK_KEYS_PUBLIC_KEY_SIZE, NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

/**
 * wk_keys_new_from_master:
 * @master: the master key
 * @size: its size, which must be %WK_KEYS_MASTER_SIZE
 * @error: return location for a #GError
 *
 * Derives a kiosk's keys from its master key. The caller still owns, and should wipe,
 * @master.
 *
 * Returns: (transfer full): the keys, or %NULL with @error set
 */
WkKeys *
wk_keys_new_from_master (const guint8 *master, gsize size, GError **error)
{
  WkKeys *keys;
  guint8 *seed;

  g_return_val_if_fail (master != NULL, NULL);

  if (!init_sodium (error))
    return NULL;
  if (size != WK_KEYS_MASTER_SIZE)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_KEY,
                   "A wardkeep master key is exactly %d bytes, not %zu", WK_KEYS_MASTER_SIZE, size);
      return NULL;
    }
  wk_keys_harden_process ();

  keys = g_new0 (WkKeys, 1);
  keys->secrets = sodium_malloc (sizeof (Secrets));
  seed = sodium_malloc (crypto_sign_SEEDBYTES);
  if (keys->secrets == NULL || seed == NULL)
    {
      sodium_free (seed);
      wk_keys_free (keys);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                   "Cannot allocate locked memory for the keys");
      return NULL;
    }
  crypto_kdf_derive_from_key (keys->secrets->snapshot_key, WK_KEYS_SNAPSHOT_KEY_SIZE,
                              SUBKEY_SNAPSHOT, KDF_CONTEXT, master);
  crypto_kdf_derive_from_key (seed, crypto_sign_SEEDBYTES, SUBKEY_SIGNING, KDF_CONTEXT, master);
  crypto_sign_seed_keypair (keys->public_key, keys->secrets->secret_key, seed);
  sodium_free (seed);
  sodium_mprotect_readonly (keys->secrets);

  keys->key_id = wk_keys_dup_key_id_for (keys->public_key);
  keys->source = g_strdup ("memory");
  return keys;
}

/* Reads exactly a master key from @fd into sodium_malloc() memory. */
static guint8 *
read_master (int fd, const char *path, GError **error)
{
  guint8 *master = sodium_malloc (WK_KEYS_MASTER_SIZE + 1);
  gsize   got = 0;

  if (master == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                   "Cannot allocate locked memory for the master key");
      return NULL;
    }
  /* One byte more than a key, to tell a longer file from a key. */
  while (got < WK_KEYS_MASTER_SIZE + 1)
    {
      ssize_t n = read (fd, master + got, WK_KEYS_MASTER_SIZE + 1 - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          sodium_free (master);
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                       "Cannot read the key file %s: %s", path, g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      got += n;
    }
  if (got != WK_KEYS_MASTER_SIZE)
    {
      sodium_free (master);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_WRONG_KEY,
                   "The key file %s is %s %d bytes: it is not a wardkeep key (create one with "
                   "'wardkeep key init')",
                   path, got < WK_KEYS_MASTER_SIZE ? "shorter than" : "longer than",
                   WK_KEYS_MASTER_SIZE);
      return NULL;
    }
  return master;
}

static WkKeys *
load_file (const char *path, gboolean check_mode, const char *source, GError **error)
{
  struct stat st;
  guint8     *master;
  WkKeys     *keys;
  int         fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, WK_SNAPSHOT_ERROR,
                   saved == EACCES ? WK_SNAPSHOT_ERROR_PERMISSION : WK_SNAPSHOT_ERROR_IO,
                   "Cannot open the key file %s: %s%s", path, g_strerror (saved),
                   saved == ENOENT ? " (create one with 'wardkeep key init', or provide the "
                                     "systemd credential " WK_KEYS_CREDENTIAL_NAME ")"
                                   : "");
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_PERMISSION,
                   "The key file %s is not a regular file", path);
      return NULL;
    }
  /* Anyone but the owner able to read, or anyone able to write, and it is not a secret. */
  if (check_mode && (st.st_mode & 07777) != 0600 && (st.st_mode & 07777) != 0400)
    {
      close (fd);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_PERMISSION,
                   "The key file %s has permissions %04o; it must be 0600 or 0400 so that only "
                   "its owner can read it (chmod 600 %s)",
                   path, (unsigned)(st.st_mode & 07777), path);
      return NULL;
    }
  master = read_master (fd, path, error);
  close (fd);
  if (master == NULL)
    return NULL;
  keys = wk_keys_new_from_master (master, WK_KEYS_MASTER_SIZE, error);
  sodium_free (master); /* wipes it */
  if (keys == NULL)
    return NULL;
  g_free (keys->source);
  keys->source = g_strdup (source);
  return keys;
}

/**
 * wk_keys_load:
 * @key_file: (nullable): the key file to use when there is no systemd credential
 * @error: return location for a #GError
 *
 * Loads the master key: from the systemd credential `wardkeep.key`
 * (`$CREDENTIALS_DIRECTORY/wardkeep.key`, from `LoadCredentialEncrypted=`) when the
 * process has one, else from @key_file, which must be a regular file of exactly 32 bytes
 * with permissions 0600 or 0400 (refused otherwise, with the reason).
 *
 * Returns: (transfer full): the keys, or %NULL with @error set
 */
WkKeys *
wk_keys_load (const char *key_file, GError **error)
{
  const char *credentials = g_getenv ("CREDENTIALS_DIRECTORY");

  if (!init_sodium (error))
    return NULL;
  if (credentials != NULL)
    {
      g_autofree char *path = g_build_filename (credentials, WK_KEYS_CREDENTIAL_NAME, NULL);

      /* systemd owns the credential's mode, in a private read-only mount. */
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return load_file (path, FALSE, "systemd credential " WK_KEYS_CREDENTIAL_NAME, error);
    }
  if (key_file == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                   "No master key: there is no systemd credential " WK_KEYS_CREDENTIAL_NAME
                   " and no key file is configured ([keys] file)");
      return NULL;
    }
  return load_file (key_file, TRUE, key_file, error);
}

/**
 * wk_keys_create_file:
 * @path: where to create the key file; it must not exist
 * @error: return location for a #GError
 *
 * Creates a new random master key file with permissions 0600. An existing file is never
 * overwritten: replacing a key makes every snapshot and chart signed with it unreadable.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_keys_create_file (const char *path, GError **error)
{
  guint8 *master;
  int     fd;
  gsize   done = 0;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!init_sodium (error))
    return FALSE;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, WK_SNAPSHOT_ERROR,
                   saved == EEXIST ? WK_SNAPSHOT_ERROR_PERMISSION : WK_SNAPSHOT_ERROR_IO,
                   "Cannot create the key file %s: %s%s", path, g_strerror (saved),
                   saved == EEXIST ? " (a key is never overwritten: snapshots and charts made "
                                     "with it would become unreadable)"
                                   : "");
      return FALSE;
    }
  master = sodium_malloc (WK_KEYS_MASTER_SIZE);
  if (master == NULL)
    {
      close (fd);
      unlink (path);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                   "Cannot allocate locked memory for the master key");
      return FALSE;
    }
  crypto_kdf_keygen (master);
  while (done < WK_KEYS_MASTER_SIZE)
    {
      ssize_t n = write (fd, master + done, WK_KEYS_MASTER_SIZE - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  sodium_free (master);
  if (done != WK_KEYS_MASTER_SIZE || fsync (fd) != 0 || close (fd) != 0)
    {
      int saved = errno;

      unlink (path);
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_IO,
                   "Cannot write the key file %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_keys_free:
 * @keys: (nullable) (transfer full): a #WkKeys
 *
 * Wipes and frees the keys.
 */
void
wk_keys_free (WkKeys *keys)
{
  if (keys == NULL)
    return;
  sodium_free (keys->secrets); /* wipes */
  g_free (keys->key_id);
  g_free (keys->source);
  g_free (keys);
}

/**
 * wk_keys_get_source:
 * @keys: a #WkKeys
 *
 * Returns: where the master key came from (the credential, or the key file's path)
 */
const char *
wk_keys_get_source (WkKeys *keys)
{
  g_return_val_if_fail (keys != NULL, NULL);

  return keys->source;
}

/**
 * wk_keys_get_key_id:
 * @keys: a #WkKeys
 *
 * Returns: the key id: 16 hex digits naming the signing key pair (and so the master key)
 */
const char *
wk_keys_get_key_id (WkKeys *keys)
{
  g_return_val_if_fail (keys != NULL, NULL);

  return keys->key_id;
}

/**
 * wk_keys_get_snapshot_key:
 * @keys: a #WkKeys
 *
 * Returns: (array fixed-size=32): the key that encrypts snapshots; read-only memory
 */
const guint8 *
wk_keys_get_snapshot_key (WkKeys *keys)
{
  g_return_val_if_fail (keys != NULL, NULL);

  return keys->secrets->snapshot_key;
}

/**
 * wk_keys_get_public_key:
 * @keys: a #WkKeys
 *
 * Returns: (array fixed-size=32): the Ed25519 public key that verifies chart QR codes
 */
const guint8 *
wk_keys_get_public_key (WkKeys *keys)
{
  g_return_val_if_fail (keys != NULL, NULL);

  return keys->public_key;
}

/**
 * wk_keys_sign:
 * @keys: a #WkKeys
 * @message: the bytes to sign
 * @size: their size
 * @signature: (out caller-allocates): the Ed25519 signature
 *
 * Signs @message with the kiosk's signing key (detached signature).
 */
void
wk_keys_sign (WkKeys       *keys,
              const guint8 *message,
              gsize         size,
              guint8        signature[WK_KEYS_SIGNATURE_SIZE])
{
  g_return_if_fail (keys != NULL);
  g_return_if_fail (message != NULL || size == 0);

  crypto_sign_detached (signature, NULL, message, size, keys->secrets->secret_key);
}
