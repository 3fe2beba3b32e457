/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-daemon-private.h — what the parts of wardkeepd share. */

#pragma once

#include "wk-clock.h"
#include "wk-control.h"
#include "wk-daemon.h"
#include "wk-feed.h"
#include "wk-ledger.h"
#include "wk-mllp-listener.h"
#include "wk-monitor.h"
#include "wk-print-run.h"
#include "wk-printer.h"
#include "wk-reconcile-service.h"
#include "wk-snapshot-writer.h"
#include "wk-store.h"

G_BEGIN_DECLS

/* One print the daemon makes: the automatic print of an episode, or a request. */
typedef struct
{
  gint           ref_count;
  WkDaemon      *daemon;
  WkPrintRun    *run;
  char          *request_id;
  WkLedgerWhat   what;
  gboolean       automatic;
  gboolean       drill;
  char          *episode_id;
  char          *requested_by;
  WkControlCall *call;    /* a `print` call, answered once the documents are rendered */
  GHashTable    *settled; /* chart ids accepted by a printer, or given up */
  guint          n_documents;
  guint          n_accepted;
  guint          n_completed;
  guint          n_failed;
  gboolean       rendered;
  gboolean       finished;
  gboolean       acknowledged;
  char          *error;
  gint64         started_at; /* UTC microseconds */
  gint64         finished_at;
  gint64         started_mono;
  gint64         downtime_us;       /* monotonic: when the monitor confirmed the downtime */
  gint64         first_accepted_us; /* monotonic */
  gint64         last_accepted_us;
} WkDaemonPrint;

struct _WkDaemon
{
  WkConfig    *config;
  WkKeys      *keys;
  WkClock     *clock;
  char        *ward_id;
  char        *ward_name;
  gint64       started_at; /* UTC microseconds */
  int          lock_fd;
  char        *state_path;
  GThreadPool *saver;
  gint64       downtime_us;

  WkStore          *store;
  WkModel          *model;
  WkSnapshotInfo   *loaded;
  WkSnapshotWriter *writer;
  char             *load_problem;

  WkFeed         *feed;
  WkMllpListener *listener;
  char           *feed_problem;

  /* Reconciliation after a downtime: reconcile.* on the control socket. */
  WkReconcile        *reconcile;
  WkReconcileService *reconcile_service;

  WkMonitor  *monitor;
  GHashTable *open_episodes; /* episode ids recorded in the ledger and not ended */
  GHashTable *probe_runs;    /* probe name -> runs since start (GUINT_TO_POINTER) */

  GPtrArray  *printers;
  GHashTable *printer_status; /* name -> WkPrinterStatus */
  guint       printer_poll;
  guint       n_polls;

  GPtrArray     *prints; /* WkDaemonPrint in progress */
  WkDaemonPrint *last_print;
  gboolean       drill_prints;
  char          *drill_printer;

  WkControlServer *control;
  guint            status_timer;
  gint64           last_status_event;

  guint watchdog;
};

/* wk-daemon.c */
void           _wk_daemon_status_changed (WkDaemon *daemon);
void           _wk_daemon_save_monitor (WkDaemon *daemon);
WkDaemonPrint *_wk_daemon_print (WkDaemon    *daemon,
                                 WkLedgerWhat what,
                                 gint64       patient_id,
                                 const char  *printer,
                                 gboolean     drill,
                                 const char  *requested_by,
                                 GError     **error);
void           _wk_daemon_print_unref (WkDaemonPrint *print);
char          *_wk_daemon_format_time (WkDaemon *daemon, gint64 wall_us);

/* wk-daemon-control.c */
void        _wk_daemon_control_init (WkDaemon *daemon);
JsonObject *_wk_daemon_dup_status (WkDaemon *daemon);
JsonObject *_wk_daemon_print_to_json (WkDaemonPrint *print);
char       *_wk_daemon_iso_time (gint64 wall_us);

/* wk-daemon-systemd.c */
void  _wk_daemon_notify_ready (WkDaemon *daemon);
void  _wk_daemon_notify_status (WkDaemon *daemon, const char *status);
void  _wk_daemon_notify_stopping (void);
guint _wk_daemon_start_watchdog (void);

G_END_DECLS
