/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-scan.h — finds the QR codes on scanned chart pages (PNG, JPEG, PDF) with libzbar. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The resolution scanned PDFs are rendered at first; a page without a code is tried again
 * at %WK_CHART_SCAN_RETRY_DPI. */
#define WK_CHART_SCAN_DPI 150
#define WK_CHART_SCAN_RETRY_DPI 300

/**
 * WkChartScanKind:
 * @WK_CHART_SCAN_CODE: a code whose text starts with "WK:", to be verified
 * @WK_CHART_SCAN_FOREIGN: a code that is not a wardkeep chart code (a wristband, a
 *   pharmacy label): reported, never read further
 * @WK_CHART_SCAN_NO_CODE: a page on which no code was found
 */
typedef enum
{
  WK_CHART_SCAN_CODE,
  WK_CHART_SCAN_FOREIGN,
  WK_CHART_SCAN_NO_CODE,
} WkChartScanKind;

/**
 * WkChartScanResult:
 * @kind: what was found
 * @file: the file, as given
 * @page: the page of the file, from 1 (1 for an image)
 * @n_pages: how many pages the file has
 * @text: (nullable): for %WK_CHART_SCAN_CODE, the code's text (nul-terminated); %NULL
 *   otherwise: a foreign code's content is never kept, it may be patient data
 * @length: the length of @text in bytes
 * @problem: (nullable): for the other kinds, what is wrong in words, naming the file
 *   and page
 *
 * One code found on a page, or one page without any.
 */
typedef struct
{
  WkChartScanKind kind;
  char           *file;
  guint           page;
  guint           n_pages;
  char           *text;
  gsize           length;
  char           *problem;
} WkChartScanResult;

void       wk_chart_scan_result_free (WkChartScanResult *result);
GPtrArray *wk_chart_scan_file (const char *path, GError **error);
GPtrArray *wk_chart_scan_bytes (GBytes *data, const char *name, GError **error);
GPtrArray *wk_chart_scan_gray (
    const guint8 *pixels, guint width, guint height, const char *name, guint page, guint n_pages);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartScanResult, wk_chart_scan_result_free)

G_END_DECLS
