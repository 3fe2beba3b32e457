/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-grid.h — the administration grid of a drug chart: which boxes were printed. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkChartGridBox:
 * @due: when the dose is due (UTC seconds)
 * @row: the due time's row, from 0, in the order of the order's due times
 * @day: the day's column, from 0
 * @open: whether the box was printed to write in; %FALSE when crossed through (outside
 *   the grid's window or the order's dates)
 *
 * One box of a regular order's grid.
 */
typedef struct
{
  gint64   due;
  guint    row;
  guint    day;
  gboolean open;
} WkChartGridBox;

/**
 * WkChartGrid:
 *
 * The days and hours a chart's administration grid covers: from the hour of the data
 * time (or the hour before printing, for a late reprint) to the grid's hours after
 * printing, one column per local day, in the ward's time zone. The renderer draws it,
 * and reconciliation rebuilds it from a scanned page to know which boxes were on paper.
 */
typedef struct _WkChartGrid WkChartGrid;

WkChartGrid            *
wk_chart_grid_new (GTimeZone *tz, gint64 snapshot_at, gint64 printed_at, int grid_hours);
void       wk_chart_grid_free (WkChartGrid *grid);
gint64     wk_chart_grid_get_start (WkChartGrid *grid);
gint64     wk_chart_grid_get_end (WkChartGrid *grid);
guint      wk_chart_grid_get_n_days (WkChartGrid *grid);
GDateTime *wk_chart_grid_get_day (WkChartGrid *grid, guint day);
gint64     wk_chart_grid_get_due (WkChartGrid *grid, guint day, int minute);
gboolean   wk_chart_grid_is_due (WkChartGrid *grid, gint64 due, gint64 start_at, gint64 stop_at);
GArray *
wk_chart_grid_dup_boxes (WkChartGrid *grid, GArray *minutes, gint64 start_at, gint64 stop_at);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartGrid, wk_chart_grid_free)

G_END_DECLS
