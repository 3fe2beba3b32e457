/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-facts.c — what a drug chart says about an order, shared by paper and screen.
 *
 * The printed chart and the kiosk's patient view must list the same orders in the same
 * places and write doses the same way, so both ask these functions. */

#include "wk-chart-facts.h"

/**
 * wk_chart_section_of:
 * @order: the current version of an order
 * @last_given: (nullable): the last dose given against it
 * @data_at: when the data is from (the snapshot's time, UTC seconds)
 * @stopped_window: how long (seconds) before @data_at a stopped order is still listed
 *
 * Returns: the section the chart lists @order in, or %WK_CHART_SECTION_NONE
 */
WkChartSection
wk_chart_section_of (const WkOrder          *order,
                     const WkAdministration *last_given,
                     gint64                  data_at,
                     gint64                  stopped_window)
{
  gint64 recent = data_at - stopped_window;

  g_return_val_if_fail (order != NULL, WK_CHART_SECTION_NONE);

  if (order->status == WK_ORDER_DISCONTINUED)
    return order->status_at >= recent && order->status_at > 0 ? WK_CHART_SECTION_STOPPED
                                                              : WK_CHART_SECTION_NONE;
  /* A course that has run its length is stopped too. */
  if (order->stop_at > 0 && order->stop_at <= data_at)
    return order->stop_at >= recent ? WK_CHART_SECTION_STOPPED : WK_CHART_SECTION_NONE;
  switch (order->kind)
    {
    case WK_ORDER_REGULAR:
      return WK_CHART_SECTION_REGULAR;
    case WK_ORDER_PRN:
      return WK_CHART_SECTION_PRN;
    case WK_ORDER_ONCE:
      /* A once-only dose given long ago is done with. */
      if (last_given != NULL && last_given->at >= order->start_at && last_given->at < recent)
        return WK_CHART_SECTION_NONE;
      return WK_CHART_SECTION_ONCE;
    }
  return WK_CHART_SECTION_NONE;
}

/**
 * wk_chart_format_number:
 * @value: a dose or quantity
 *
 * Writes a number as prescribed: no trailing zeros ("1.0 mg" reads as 10 mg), never
 * "1e3", and a full stop as the decimal point whatever the locale.
 *
 * Returns: (transfer full): the number
 */
char *
wk_chart_format_number (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.10g", value));
}

/**
 * wk_chart_format_dose:
 * @order: an order
 *
 * Returns: (transfer full): its dose with the unit: "500 mg", "1 to 2 tablet"
 */
char *
wk_chart_format_dose (const WkOrder *order)
{
  g_autofree char *dose = NULL;

  g_return_val_if_fail (order != NULL, NULL);

  dose = wk_chart_format_number (order->dose);
  if (order->dose_max > order->dose)
    {
      g_autofree char *max = wk_chart_format_number (order->dose_max);

      return g_strdup_printf ("%s to %s %s", dose, max, order->dose_unit);
    }
  return g_strdup_printf ("%s %s", dose, order->dose_unit);
}

/**
 * wk_chart_format_interval:
 * @minutes: an interval between doses
 *
 * Returns: (transfer full): "4 hours", "1 hour", "90 min"
 */
char *
wk_chart_format_interval (int minutes)
{
  if (minutes % 60 == 0)
    return g_strdup_printf ("%d hour%s", minutes / 60, minutes == 60 ? "" : "s");
  return g_strdup_printf ("%d min", minutes);
}
