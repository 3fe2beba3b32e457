/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-kiosk.h — a whole kiosk in a scratch folder for the daemon and command tests: its
 * key, snapshots, configuration, printers on a private cupsd, and wardkeepd as a process. */

#pragma once

#include "wk-model.h"
#include "wk-store.h"
#include "wk-test-cups.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * WkTestRun:
 * @status: the exit status
 * @out: what it wrote on standard output
 * @err: what it wrote on standard error
 *
 * How a command ended.
 */
typedef struct
{
  int   status;
  char *out;
  char *err;
} WkTestRun;

void wk_test_run_clear (WkTestRun *run);
void wk_test_run_wardkeep (WkTestRun *run, const char *input, ...) G_GNUC_NULL_TERMINATED;

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (WkTestRun, wk_test_run_clear)

/**
 * WkTestKiosk:
 *
 * A kiosk in a scratch folder: a master key file (mode 0600), a snapshot folder, a state
 * folder, a control socket path, a private cupsd with the printers "office" and
 * "station" (ippeveprinter), and a configuration file naming all of them, which a test
 * can extend (probes, planned windows) before starting the daemon. The daemon runs as a
 * real process (`wardkeepd --config`), killed when the kiosk is freed.
 */
typedef struct _WkTestKiosk WkTestKiosk;

WkTestKiosk    *wk_test_kiosk_new (void);
void            wk_test_kiosk_free (WkTestKiosk *kiosk);
const char     *wk_test_kiosk_get_dir (WkTestKiosk *kiosk);
const char     *wk_test_kiosk_get_config_path (WkTestKiosk *kiosk);
const char     *wk_test_kiosk_get_socket (WkTestKiosk *kiosk);
const char     *wk_test_kiosk_get_state_dir (WkTestKiosk *kiosk);
const char     *wk_test_kiosk_get_snapshot_dir (WkTestKiosk *kiosk);
WkTestCups     *wk_test_kiosk_get_cups (WkTestKiosk *kiosk);
WkTestPrinter  *wk_test_kiosk_get_printer (WkTestKiosk *kiosk, const char *name);
void            wk_test_kiosk_write_config (WkTestKiosk *kiosk, const char *extra);
WkStore        *wk_test_kiosk_open_store (WkTestKiosk *kiosk);
WkSnapshotInfo *wk_test_kiosk_write_snapshot (WkTestKiosk *kiosk, WkModel *model);

void     wk_test_kiosk_start_daemon (WkTestKiosk *kiosk, const char *const *env);
gboolean wk_test_kiosk_kill_daemon (WkTestKiosk *kiosk, int signal);
gboolean wk_test_kiosk_daemon_is_running (WkTestKiosk *kiosk);
JsonNode *
wk_test_kiosk_call (WkTestKiosk *kiosk, const char *method, JsonObject *params, GError **error);
JsonObject *wk_test_kiosk_status (WkTestKiosk *kiosk);
gboolean    wk_test_kiosk_wait_mode (WkTestKiosk *kiosk, const char *mode, guint timeout_s);

guint wk_test_verify_received (WkTestKiosk *kiosk, const char *path, const char *chart_id);

/**
 * WkTestSim:
 *
 * The central systems, simulated: `wardkeep-sim` as a process, with its health endpoint,
 * its feed to the kiosk and its control socket (an outage on command).
 */
typedef struct _WkTestSim WkTestSim;

WkTestSim *wk_test_sim_start (
    WkTestKiosk *kiosk, guint16 feed_port, guint16 health_port, guint beds, guint messages);
char *wk_test_sim_command (WkTestSim *sim, const char *command);
void  wk_test_sim_wait_feed_done (WkTestSim *sim);
void  wk_test_sim_free (WkTestSim *sim);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestSim, wk_test_sim_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestKiosk, wk_test_kiosk_free)

G_END_DECLS
