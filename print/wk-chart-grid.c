/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-grid.c — the administration grid of a drug chart: which boxes were printed. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-chart-grid.h"

struct _WkChartGrid
{
  GTimeZone *tz;
  gint64     start, end; /* the due times the grid holds, UTC seconds: [start, end) */
  GPtrArray *days;       /* GDateTime, local midnight of each column */
};

static GDateTime *
to_local (GTimeZone *tz, gint64 utc)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);

  return g_date_time_to_timezone (when, tz);
}

static GDateTime *
local_midnight (GTimeZone *tz, GDateTime *when)
{
  return g_date_time_new (tz, g_date_time_get_year (when), g_date_time_get_month (when),
                          g_date_time_get_day_of_month (when), 0, 0, 0);
}

/**
 * wk_chart_grid_new:
 * @tz: the ward's time zone
 * @snapshot_at: when the chart's data was current (UTC seconds)
 * @printed_at: when it was printed (UTC seconds)
 * @grid_hours: how many hours after printing the grid holds (24, 48 or 72)
 *
 * Returns: (transfer full): the grid a chart printed with these times has
 */
WkChartGrid *
wk_chart_grid_new (GTimeZone *tz, gint64 snapshot_at, gint64 printed_at, int grid_hours)
{
  WkChartGrid *grid;
  g_autoptr (GDateTime) from = NULL;
  g_autoptr (GDateTime) hour = NULL;
  g_autoptr (GDateTime) last = NULL;

  g_return_val_if_fail (tz != NULL, NULL);

  /* From the hour the data is from (or the hour before printing, for a late reprint) to
   * grid_hours after printing: doses due since the data was taken have boxes too. */
  grid = g_new0 (WkChartGrid, 1);
  grid->tz = g_time_zone_ref (tz);
  from = to_local (tz, MAX (snapshot_at, printed_at - 3600));
  hour = g_date_time_new (tz, g_date_time_get_year (from), g_date_time_get_month (from),
                          g_date_time_get_day_of_month (from), g_date_time_get_hour (from), 0, 0);
  grid->start = g_date_time_to_unix (hour);
  grid->end = MAX (printed_at, snapshot_at) + (gint64)grid_hours * 3600;
  grid->days = g_ptr_array_new_with_free_func ((GDestroyNotify)g_date_time_unref);
  last = to_local (tz, grid->end - 1);
  for (GDateTime *day = local_midnight (tz, hour);;)
    {
      g_autoptr (GDateTime) next = NULL;

      g_ptr_array_add (grid->days, day);
      if (g_date_time_get_year (day) == g_date_time_get_year (last)
          && g_date_time_get_day_of_year (day) == g_date_time_get_day_of_year (last))
        break;
      next = g_date_time_add_days (day, 1);
      day = local_midnight (tz, next);
    }
  return grid;
}

/**
 * wk_chart_grid_free:
 * @grid: (nullable) (transfer full): a #WkChartGrid
 */
void
wk_chart_grid_free (WkChartGrid *grid)
{
  if (grid == NULL)
    return;
  g_time_zone_unref (grid->tz);
  g_ptr_array_unref (grid->days);
  g_free (grid);
}

/**
 * wk_chart_grid_get_start:
 * @grid: a #WkChartGrid
 *
 * Returns: the first time a box may be due (UTC seconds, on the hour)
 */
gint64
wk_chart_grid_get_start (WkChartGrid *grid)
{
  return grid->start;
}

/**
 * wk_chart_grid_get_end:
 * @grid: a #WkChartGrid
 *
 * Returns: the end of the grid (UTC seconds): boxes are due before it
 */
gint64
wk_chart_grid_get_end (WkChartGrid *grid)
{
  return grid->end;
}

/**
 * wk_chart_grid_get_n_days:
 * @grid: a #WkChartGrid
 *
 * Returns: how many day columns the grid has
 */
guint
wk_chart_grid_get_n_days (WkChartGrid *grid)
{
  return grid->days->len;
}

/**
 * wk_chart_grid_get_day:
 * @grid: a #WkChartGrid
 * @day: a column, from 0
 *
 * Returns: (transfer none): the column's local midnight
 */
GDateTime *
wk_chart_grid_get_day (WkChartGrid *grid, guint day)
{
  g_return_val_if_fail (day < grid->days->len, NULL);
  return grid->days->pdata[day];
}

/**
 * wk_chart_grid_get_due:
 * @grid: a #WkChartGrid
 * @day: a column, from 0
 * @minute: a due time, in minutes after local midnight
 *
 * Returns: the due time on that day (UTC seconds)
 */
gint64
wk_chart_grid_get_due (WkChartGrid *grid, guint day, int minute)
{
  GDateTime *midnight = wk_chart_grid_get_day (grid, day);
  g_autoptr (GDateTime) due = g_date_time_new (
      grid->tz, g_date_time_get_year (midnight), g_date_time_get_month (midnight),
      g_date_time_get_day_of_month (midnight), minute / 60, minute % 60, 0);

  return g_date_time_to_unix (due);
}

/**
 * wk_chart_grid_is_due:
 * @grid: a #WkChartGrid
 * @due: a due time (UTC seconds)
 * @start_at: when the order starts (UTC seconds)
 * @stop_at: when it stops (UTC seconds), 0 for no end
 *
 * Returns: whether the box of @due is open to write in: inside the grid and the order's
 *   dates (its start counted from the minute)
 */
gboolean
wk_chart_grid_is_due (WkChartGrid *grid, gint64 due, gint64 start_at, gint64 stop_at)
{
  return due >= grid->start && due < grid->end && due >= start_at / 60 * 60
         && (stop_at == 0 || due < stop_at);
}

/**
 * wk_chart_grid_dup_boxes:
 * @grid: a #WkChartGrid
 * @minutes: (element-type int): an order's due times, minutes after local midnight
 * @start_at: when the order starts (UTC seconds)
 * @stop_at: when it stops (UTC seconds), 0 for no end
 *
 * Every box of an order's grid in the order the paper reads: each due time's row, left
 * to right across the days.
 *
 * Returns: (transfer full) (element-type WkChartGridBox): the boxes, open and crossed
 */
GArray *
wk_chart_grid_dup_boxes (WkChartGrid *grid, GArray *minutes, gint64 start_at, gint64 stop_at)
{
  GArray *boxes = g_array_new (FALSE, FALSE, sizeof (WkChartGridBox));

  for (guint r = 0; minutes != NULL && r < minutes->len; r++)
    for (guint d = 0; d < grid->days->len; d++)
      {
        WkChartGridBox box = { 0 };

        box.due = wk_chart_grid_get_due (grid, d, g_array_index (minutes, int, r));
        box.row = r;
        box.day = d;
        box.open = wk_chart_grid_is_due (grid, box.due, start_at, stop_at);
        g_array_append_val (boxes, box);
      }
  return boxes;
}
