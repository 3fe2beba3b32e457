/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk.h — the kiosk's state behind the screens: snapshot, status, lock, printing. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"
#include "wk-kiosk-snapshot.h"
#include "wk-kiosk-status.h"
#include "wk-pin-guard.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkKioskJob:
 * @chart: the document's id (chart id, or the census's)
 * @kind: `chart` or `census`
 * @patient_id: the patient (model id), 0 for the census
 * @pages: how many pages
 * @printer: (nullable): where it went
 * @state: `queued`, `submitted`, `accepted`, `processing`, `completed` or `failed`
 * @reason: (nullable): why it failed, or what the printer says
 * @requested_by: (nullable): who asked for it
 * @updated_at: when its state last changed (UTC seconds)
 * @drill: whether it was printed for a drill
 * @local: whether the kiosk printed it itself (the daemon was not running)
 *
 * One document on its way to paper, as the queue view shows it.
 */
typedef struct
{
  char    *chart;
  char    *kind;
  gint64   patient_id;
  gint64   pages;
  char    *printer;
  char    *state;
  char    *reason;
  char    *requested_by;
  gint64   updated_at;
  gboolean drill;
  gboolean local;
} WkKioskJob;

WkKioskJob *wk_kiosk_job_copy (const WkKioskJob *job);
void        wk_kiosk_job_free (WkKioskJob *job);

/**
 * WkPrintWhat:
 * @WK_PRINT_WHAT_CHART: one patient's drug chart
 * @WK_PRINT_WHAT_CENSUS: the census
 * @WK_PRINT_WHAT_WARD: the census and every chart
 */
typedef enum
{
  WK_PRINT_WHAT_CHART,
  WK_PRINT_WHAT_CENSUS,
  WK_PRINT_WHAT_WARD,
} WkPrintWhat;

#define WK_TYPE_KIOSK (wk_kiosk_get_type ())
G_DECLARE_FINAL_TYPE (WkKiosk, wk_kiosk, WK, KIOSK, GObject)

WkKiosk *wk_kiosk_new (WkConfig *config, GError **error);
void     wk_kiosk_start (WkKiosk *self);

WkConfig        *wk_kiosk_get_config (WkKiosk *self);
WkKeys          *wk_kiosk_get_keys (WkKiosk *self);
const char      *wk_kiosk_get_timezone (WkKiosk *self);
GTimeZone       *wk_kiosk_get_time_zone (WkKiosk *self);
WkKioskSnapshot *wk_kiosk_get_snapshot (WkKiosk *self);
const char      *wk_kiosk_get_snapshot_problem (WkKiosk *self);
WkKioskStatus   *wk_kiosk_get_status (WkKiosk *self);
GPtrArray       *wk_kiosk_get_jobs (WkKiosk *self);
gint64           wk_kiosk_get_stale_after (WkKiosk *self);
gboolean         wk_kiosk_is_data_stale (WkKiosk *self, gint64 now);

gboolean    wk_kiosk_is_locked (WkKiosk *self);
const char *wk_kiosk_get_who (WkKiosk *self);
gboolean    wk_kiosk_get_lock_shows_names (WkKiosk *self);
gint64      wk_kiosk_get_lock_after_ms (WkKiosk *self);
gboolean    wk_kiosk_has_pin (WkKiosk *self, WkPinKind kind);
gint64      wk_kiosk_get_locked_out_until (WkKiosk *self, WkPinKind kind);
void        wk_kiosk_unlock_async (WkKiosk            *self,
                                   const char         *who,
                                   const char         *pin,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
gboolean
wk_kiosk_unlock_finish (WkKiosk *self, GAsyncResult *result, WkPinOutcome *outcome, GError **error);
void wk_kiosk_lock (WkKiosk *self, const char *why);

const char *wk_kiosk_get_printer (WkKiosk *self);
void        wk_kiosk_set_printer (WkKiosk *self, const char *name);
void        wk_kiosk_note_view (WkKiosk *self, gint64 patient_id);

void             wk_kiosk_preview_async (WkKiosk            *self,
                                         gint64              patient_id,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
WkChartDocument *wk_kiosk_preview_finish (WkKiosk *self, GAsyncResult *result, GError **error);
void             wk_kiosk_print_async (WkKiosk            *self,
                                       WkPrintWhat         what,
                                       gint64              patient_id,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
char            *wk_kiosk_print_finish (WkKiosk *self, GAsyncResult *result, GError **error);
void             wk_kiosk_retry_async (WkKiosk            *self,
                                       const char         *chart,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
char            *wk_kiosk_retry_finish (WkKiosk *self, GAsyncResult *result, GError **error);
void             wk_kiosk_admin_async (WkKiosk            *self,
                                       const char         *method,
                                       const char         *pin,
                                       const char         *who,
                                       const char         *reason,
                                       const char         *scenario,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
char *
wk_kiosk_admin_finish (WkKiosk *self, GAsyncResult *result, WkPinOutcome *outcome, GError **error);

G_END_DECLS
