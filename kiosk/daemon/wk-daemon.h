/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-daemon.h — wardkeepd: the feed, the snapshots, the monitor and printing on one loop. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkDaemon:
 *
 * The headless part of a kiosk. It owns the live ward model (loaded from the newest good
 * snapshot at start, so the ward is printable at once, before any feed arrives), follows
 * the HL7 feed into it, keeps the snapshot folder following it, runs the health monitor,
 * prints the ward by itself once per downtime episode and on request, and answers the
 * status and control protocol. Everything runs on the thread-default main context of
 * the thread that makes it; rendering, CUPS and disk writes run in worker threads.
 */
typedef struct _WkDaemon WkDaemon;

WkDaemon *wk_daemon_new (WkConfig *config, WkKeys *keys, GError **error);
gboolean  wk_daemon_start (WkDaemon *daemon, GError **error);
void      wk_daemon_stop (WkDaemon *daemon);
void      wk_daemon_free (WkDaemon *daemon);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkDaemon, wk_daemon_free)

G_END_DECLS
