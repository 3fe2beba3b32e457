/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-renderer.h — lays out drug charts and the ward census as PDF, signing each page. */

#pragma once

#include "wk-chart-document.h"
#include "wk-config.h"
#include "wk-keys.h"
#include "wk-model.h"

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  WK_PAPER_A4,
  WK_PAPER_LETTER,
} WkPaperSize;

/**
 * WkChartOptions:
 * @ward_id: the ward to print (its census and beds)
 * @timezone: (nullable): the ward's time zone, a tz database name; %NULL for
 *   Europe/London
 * @snapshot_seq: the sequence number of the snapshot the model was loaded from
 * @snapshot_at: when the snapshot's data was current (UTC seconds): "DATA AS OF"
 * @printed_at: when the charts are printed (UTC seconds)
 * @paper: A4 or US Letter
 * @grid_hours: how many hours of due doses the administration grid holds: 24, 48 or 72
 * @stopped_window: how long (seconds) before @snapshot_at an order may have stopped to
 *   be listed as STOPPED; older stopped orders are left off
 * @drill: the charts are for a drill: DRILL — NOT FOR CLINICAL USE on every page, and
 *   the QR payloads say so
 *
 * What to print and how. Strings are borrowed: wk_chart_renderer_new() copies them.
 */
typedef struct
{
  const char *ward_id;
  const char *timezone;
  guint64     snapshot_seq;
  gint64      snapshot_at;
  gint64      printed_at;
  WkPaperSize paper;
  int         grid_hours;
  gint64      stopped_window;
  gboolean    drill;
} WkChartOptions;

/**
 * WkChartRenderer:
 *
 * Renders one snapshot's drug charts and census. Each renderer has its own fonts and
 * Pango context and touches no global state, so that renderers in different threads
 * (the daemon's GTask threads) run at once; one renderer is used by one thread at a time.
 */
typedef struct _WkChartRenderer WkChartRenderer;

void wk_chart_options_init (WkChartOptions *options);
void wk_chart_options_load_config (WkChartOptions *options, WkConfig *config);

WkChartRenderer      *
wk_chart_renderer_new (const WkChartOptions *options, WkKeys *keys, GError **error);
void wk_chart_renderer_free (WkChartRenderer *renderer);
WkChartDocument *wk_chart_renderer_render_chart (WkChartRenderer *renderer,
                                                 WkModel         *model,
                                                 gint64           patient_id,
                                                 GError         **error);
WkChartDocument *
wk_chart_renderer_render_census (WkChartRenderer *renderer, WkModel *model, GError **error);
GPtrArray *
wk_chart_renderer_render_ward (WkChartRenderer *renderer, WkModel *model, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartRenderer, wk_chart_renderer_free)

G_END_DECLS
