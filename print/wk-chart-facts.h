/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-facts.h — what a drug chart says about an order, shared by paper and screen. */

#pragma once

#include "wk-administration.h"
#include "wk-order.h"

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkChartSection:
 * @WK_CHART_SECTION_NONE: not on the chart (stopped before the stopped window, or a
 *   once-only dose given long ago)
 * @WK_CHART_SECTION_REGULAR: regular medicines, with boxes per due time
 * @WK_CHART_SECTION_PRN: as-required medicines
 * @WK_CHART_SECTION_ONCE: once-only doses
 * @WK_CHART_SECTION_STOPPED: stopped recently: struck through, never given from the chart
 *
 * Where a chart lists an order. A held order stays in the section of its kind, marked
 * HELD — DO NOT GIVE.
 */
typedef enum
{
  WK_CHART_SECTION_NONE = -1,
  WK_CHART_SECTION_REGULAR,
  WK_CHART_SECTION_PRN,
  WK_CHART_SECTION_ONCE,
  WK_CHART_SECTION_STOPPED,
  WK_CHART_N_SECTIONS,
} WkChartSection;

WkChartSection wk_chart_section_of (const WkOrder          *order,
                                    const WkAdministration *last_given,
                                    gint64                  data_at,
                                    gint64                  stopped_window);
char          *wk_chart_format_number (double value);
char          *wk_chart_format_dose (const WkOrder *order);
char          *wk_chart_format_interval (int minutes);

G_END_DECLS
