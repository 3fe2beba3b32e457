/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile.h — reconciling paper charts after a downtime: scan, status, entry, report. */

#pragma once

#include "wk-model.h"
#include "wk-paper-entry.h"
#include "wk-reconcile-settings.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * WkReconcile:
 *
 * Reconciliation over one ward model (the daemon's, which alone writes it): verifying
 * and recording scanned pages, the status of every printed chart per downtime episode,
 * a returned chart's grid as printed, keying in what was written on it (validated,
 * flagged, audited), and the discrepancy report. Results a screen or a command shows
 * are JSON objects (README "After the outage" describes them). Every function takes the
 * time now, so that tests need no clock.
 */
typedef struct _WkReconcile WkReconcile;

/**
 * WkReconcileScan:
 * @chart_id: the chart
 * @page: the page scanned, from 1
 * @n_pages: the chart's pages
 * @scans: how many times this page has now been scanned (2 or more: returned twice)
 * @outside_ledger: the chart was printed outside the daemon (not in the ledger)
 * @patient_id: the model's patient, 0 when the model does not know the patient
 * @episode_id: (nullable): the episode it was printed in
 * @missing: (element-type guint): the chart's pages not yet back
 *
 * What scanning one page did.
 */
typedef struct
{
  char    *chart_id;
  guint    page;
  guint    n_pages;
  guint    scans;
  gboolean outside_ledger;
  gint64   patient_id;
  char    *episode_id;
  GArray  *missing;
} WkReconcileScan;

/**
 * WkReconcileInput:
 * @chart_id: the chart, as printed ("7KQ2-M9XD") or without the hyphen
 * @placer_id: the order
 * @due: (nullable): for a regular order, the box: its due time as typed ("0800", "8",
 *   "08:00"), with the day first when the grid has that time on several days ("15
 *   0800", "2026-03-15 0800"); %NULL for an as-required or once-only dose
 * @given: whether the box says given
 * @reason_code: (nullable): when not given, the code written
 * @at: (nullable): when it was given, typed as @due; %NULL for the due time
 * @dose: the dose given; 0 for the dose prescribed
 * @unit: (nullable): its unit; %NULL for the order's
 * @by: (nullable): the initials written
 * @note: (nullable): a note for the report
 * @who: who is keying it in
 * @amend: correct the entry already in this box (for a regular order)
 * @amend_entry: correct this entry (any order), 0 for none
 *
 * One box or line of a paper chart as typed, before it is understood.
 */
typedef struct
{
  const char *chart_id;
  const char *placer_id;
  const char *due;
  gboolean    given;
  const char *reason_code;
  const char *at;
  double      dose;
  const char *unit;
  const char *by;
  const char *note;
  const char *who;
  gboolean    amend;
  gint64      amend_entry;
} WkReconcileInput;

WkReconcile *wk_reconcile_new (WkModel *model, WkReconcileSettings *settings, GError **error);
void         wk_reconcile_free (WkReconcile *reconcile);
WkModel     *wk_reconcile_get_model (WkReconcile *reconcile);
const WkReconcileSettings *wk_reconcile_get_settings (WkReconcile *reconcile);

WkReconcileScan *wk_reconcile_scan (WkReconcile *reconcile,
                                    const char  *text,
                                    gssize       length,
                                    const char  *who,
                                    gint64       now,
                                    GError     **error);
void             wk_reconcile_scan_free (WkReconcileScan *scan);
JsonObject      *wk_reconcile_scan_to_json (WkReconcile *reconcile, const WkReconcileScan *scan);

JsonObject *wk_reconcile_dup_status (WkReconcile *reconcile, gint64 now, GError **error);
JsonObject *
wk_reconcile_dup_chart (WkReconcile *reconcile, const char *chart_id, gint64 now, GError **error);
WkPaperEntry *wk_reconcile_enter (WkReconcile            *reconcile,
                                  const WkReconcileInput *input,
                                  gint64                  now,
                                  GError                **error);
GPtrArray    *wk_reconcile_enter_batch (WkReconcile             *reconcile,
                                        const WkReconcileInput **inputs,
                                        guint                    n_inputs,
                                        gint64                   now,
                                        GError                 **error);
JsonObject   *wk_reconcile_entry_to_json (WkReconcile *reconcile, const WkPaperEntry *entry);

JsonObject *wk_reconcile_dup_report (WkReconcile *reconcile,
                                     const char  *episode_id,
                                     gint64       now,
                                     GError     **error);
JsonObject *wk_reconcile_sign_off (WkReconcile *reconcile,
                                   const char  *episode_id,
                                   const char  *digest,
                                   const char  *who,
                                   const char  *note,
                                   gint64       now,
                                   GError     **error);

GPtrArray *wk_reconcile_select_export (WkReconcile        *reconcile,
                                       const char         *episode_id,
                                       WkPaperExportFormat format,
                                       gboolean            again,
                                       GError            **error);

/**
 * WkReconcileClock:
 * @minute: the time of day, minutes after midnight
 * @day: the day of the month, 0 when not typed
 * @month: the month, 0 when not typed
 * @year: the year, 0 when not typed
 *
 * A time as a pharmacist types it: "0800", "8", "08:00", "15 0800", "15/03 0800",
 * "2026-03-15 0800".
 */
typedef struct
{
  int minute;
  int day;
  int month;
  int year;
} WkReconcileClock;

gboolean wk_reconcile_parse_clock (const char *text, WkReconcileClock *clock, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkReconcile, wk_reconcile_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkReconcileScan, wk_reconcile_scan_free)

G_END_DECLS
