/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-kiosk.h — a kiosk's folder for tests: key, configuration, snapshots, a display. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"
#include "wk-model.h"
#include "wk-store.h"

#include <glib.h>

G_BEGIN_DECLS

/* The PINs every test kiosk is configured with. */
#define WK_TEST_WARD_PIN "2468"
#define WK_TEST_ADMIN_PIN "975310"

/**
 * WkTestKiosk:
 * @dir: the kiosk's folder (scratch)
 * @key_path: its master key file (0600)
 * @snapshot_dir: its snapshot folder
 * @state_dir: its state folder (PIN attempts)
 * @config_path: its configuration file
 * @keys: its keys
 * @store: its snapshot store, for writing snapshots as the daemon would
 */
typedef struct
{
  char    *dir;
  char    *key_path;
  char    *snapshot_dir;
  char    *state_dir;
  char    *config_path;
  WkKeys  *keys;
  WkStore *store;
} WkTestKiosk;

WkTestKiosk *wk_test_kiosk_new (const char *extra_config);
void         wk_test_kiosk_free (WkTestKiosk *kiosk);
WkConfig    *wk_test_kiosk_load_config (WkTestKiosk *kiosk);
guint64      wk_test_kiosk_write (WkTestKiosk *kiosk, WkModel *model);

GPid wk_test_xvfb_start (int width, int height);
void wk_test_xvfb_stop (GPid pid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestKiosk, wk_test_kiosk_free)

G_END_DECLS
