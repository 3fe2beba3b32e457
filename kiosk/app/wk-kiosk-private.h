/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-private.h — what the parts of WkKiosk share: its fields and internal calls. */

#pragma once

#include "wk-kiosk.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef WkKioskSnapshot WkKioskSnapshotBox;
#define WK_TYPE_KIOSK_SNAPSHOT_BOX (wk_kiosk_snapshot_box_get_type ())
GType wk_kiosk_snapshot_box_get_type (void);

struct _WkKiosk
{
  GObject parent_instance;

  WkConfig     *config;
  WkKeys       *keys;
  WkStore      *store;
  GTimeZone    *tz;
  GCancellable *cancellable;
  gint64        stale_after;

  /* The snapshot shown (wk-kiosk.c). */
  WkKioskSnapshot *snapshot;
  char            *snapshot_problem;
  GFileMonitor    *monitor;
  guint            poll_id;
  guint            reload_id;
  gboolean         loading;
  gboolean         reload_again;

  /* The lock. */
  WkPinGuard *guard;
  gboolean    locked;
  char       *who;

  /* The daemon (wk-kiosk-daemon.c). */
  WkKioskStatus *status;
  gpointer       daemon; /* the daemon's part, private to wk-kiosk-daemon.c */

  /* Printing (wk-kiosk-print.c). */
  GPtrArray *printers; /* WkKioskPrinter from the configuration */
  char      *printer;  /* chosen by staff, NULL for failover order */
  GPtrArray *jobs;     /* WkKioskJob, newest first */
  gpointer   printing; /* the kiosk's own printing, private to wk-kiosk-print.c */
};

void     _wk_kiosk_set_status (WkKiosk *self, WkKioskStatus *status);
void     _wk_kiosk_schedule_refresh (WkKiosk *self);
void     _wk_kiosk_jobs_changed (WkKiosk *self);
gboolean _wk_kiosk_is_drill (WkKiosk *self);

void       _wk_kiosk_merge_jobs (WkKiosk *self, GPtrArray *daemon_jobs);
GPtrArray *_wk_kiosk_jobs_from_json (JsonNode *node);
void       _wk_kiosk_printing_start (WkKiosk *self);

void                     _wk_kiosk_daemon_start (WkKiosk *self);
void                     _wk_kiosk_daemon_call_async (WkKiosk            *self,
                                                      const char         *method,
                                                      JsonObject         *params,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
void                     _wk_kiosk_daemon_refresh_jobs (WkKiosk *self);
struct _WkControlClient *_wk_kiosk_daemon_get_client (WkKiosk *self);
void                     _wk_kiosk_daemon_dispose (WkKiosk *self);
gboolean                 _wk_kiosk_daemon_is_connected (WkKiosk *self);
void                     _wk_kiosk_printing_dispose (WkKiosk *self);

G_END_DECLS
