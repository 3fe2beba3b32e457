/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-snapshot.c — libFuzzer target for the snapshot file reader: header parsing, size
 * checks, chunk authentication and opening the model. Any file must load or be refused
 * with a clear error, never crash, leak or trip a sanitizer. The seeds in
 * corpus/fuzz-snapshot are real snapshots sealed with the key below. */

#define _GNU_SOURCE /* memfd_create */

#include "wk-keys.h"
#include "wk-snapshot-error.h"
#include "wk-store.h"

#include <glib.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HEADER_SIZE 144
#define CHECKSUM_AT 136

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static WkStore *store;
static int      fd = -1;
static char     path[64];

static void
init_once (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  guint8         master[WK_KEYS_MASTER_SIZE];
  WkStoreOptions options;

  memset (master, 0x5a, sizeof master); /* the seeds' key */
  keys = wk_keys_new_from_master (master, sizeof master, &error);
  g_assert_no_error (error);
  wk_store_options_init (&options);
  options.ward_id = "7A";
  store = wk_store_new ("/nonexistent/wardkeep-fuzz", keys, &options, &error);
  g_assert_no_error (error);
  fd = memfd_create ("snapshot", MFD_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) model = NULL;

  if (store == NULL)
    init_once ();
  /* Half the inputs get their header checksum recomputed, so that mutated header fields
   * reach the checks behind it rather than all stopping at the checksum. */
  if (size >= HEADER_SIZE && size % 2 == 0)
    crypto_generichash (copy + CHECKSUM_AT, 8, copy, CHECKSUM_AT, NULL, 0);
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  g_assert_cmpint (pwrite (fd, copy, size, 0), ==, (ssize_t)size);

  model = wk_store_load_file (store, path, &info, &error);
  g_assert ((model == NULL) != (error == NULL));
  g_assert_nonnull (info);
  if (model != NULL)
    g_assert_true (info->verified);
  else
    {
      g_assert_true (error->domain == WK_SNAPSHOT_ERROR);
      g_assert_nonnull (strstr (error->message, path));
    }
  return 0;
}
