/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-keys.h — the kiosk's master key and the keys derived from it. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The size of a master key, and of a key file, in bytes. */
#define WK_KEYS_MASTER_SIZE 32
/** The name of the systemd credential that holds the master key. */
#define WK_KEYS_CREDENTIAL_NAME "wardkeep.key"
#define WK_KEYS_SIGNATURE_SIZE 64
#define WK_KEYS_PUBLIC_KEY_SIZE 32
#define WK_KEYS_SNAPSHOT_KEY_SIZE 32

/**
 * WkKeys:
 *
 * A kiosk's keys. One 32-byte master key, from a systemd credential or a key file,
 * derives (libsodium crypto_kdf, context "wardkeep") the key that encrypts snapshots
 * (subkey 1) and the seed of the Ed25519 key pair that signs chart QR codes (subkey 2).
 * The key id names the key pair: 16 hex digits of the BLAKE2b hash of the public key.
 *
 * All key material lives in sodium_malloc() memory (guard pages, locked into RAM, read
 * only once derived) and is wiped when freed. Loading keys also makes the process
 * non-dumpable, so that no core dump can hold them or decrypted data.
 */
typedef struct _WkKeys WkKeys;

WkKeys  *wk_keys_load (const char *key_file, GError **error);
WkKeys  *wk_keys_new_from_master (const guint8 *master, gsize size, GError **error);
gboolean wk_keys_create_file (const char *path, GError **error);
void     wk_keys_free (WkKeys *keys);

const char   *wk_keys_get_source (WkKeys *keys);
const char   *wk_keys_get_key_id (WkKeys *keys);
const guint8 *wk_keys_get_snapshot_key (WkKeys *keys);
const guint8 *wk_keys_get_public_key (WkKeys *keys);
void          wk_keys_sign (WkKeys       *keys,
                            const guint8 *message,
                            gsize         size,
                            guint8        signature[WK_KEYS_SIGNATURE_SIZE]);
char         *wk_keys_dup_key_id_for (const guint8 public_key[WK_KEYS_PUBLIC_KEY_SIZE]);
void          wk_keys_harden_process (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkKeys, wk_keys_free)

G_END_DECLS
