/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-document.h — a rendered drug chart or census: its PDF and what is on each page. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  WK_CHART_DOCUMENT_CHART,
  WK_CHART_DOCUMENT_CENSUS,
} WkChartDocumentKind;

/**
 * WkChartOrderRef:
 * @placer_id: the order's placer order number
 * @version: the version printed
 *
 * An order printed on a page (what reconciliation matches paper entries against).
 */
typedef struct
{
  char *placer_id;
  int   version;
} WkChartOrderRef;

/**
 * WkChartBoxKind:
 * @WK_CHART_BOX_GROUP: a block or frame holding other items (a row, the header, a box)
 * @WK_CHART_BOX_TEXT: text, as wide and tall as its glyphs reach
 * @WK_CHART_BOX_CELL: a box on the page for staff to write in
 * @WK_CHART_BOX_CELL_UNUSED: a box of the grid crossed through: no dose is due then
 * @WK_CHART_BOX_QR: a QR code with its quiet zone
 * @WK_CHART_BOX_WATERMARK: the DRILL watermark, drawn over everything on purpose
 */
typedef enum
{
  WK_CHART_BOX_GROUP,
  WK_CHART_BOX_TEXT,
  WK_CHART_BOX_CELL,
  WK_CHART_BOX_CELL_UNUSED,
  WK_CHART_BOX_QR,
  WK_CHART_BOX_WATERMARK,
} WkChartBoxKind;

/**
 * WkChartBox:
 * @kind: what was drawn
 * @x: left edge, in points from the page's left edge
 * @y: top edge, in points from the page's top edge
 * @width: width in points
 * @height: height in points
 * @parent: the index of the group it was drawn in, -1 for the page itself
 * @order: the index, in wk_chart_document_get_page_orders(), of the order whose row it
 *   belongs to; -1 for the header, footer and headings
 *
 * Where the layout drew one item. Items in the same parent never overlap, every item
 * lies inside its parent, and the page's items inside its printable area; the watermark
 * is the only exception.
 */
typedef struct
{
  WkChartBoxKind kind;
  double         x, y, width, height;
  int            parent;
  int            order;
} WkChartBox;

/**
 * WkChartDocument:
 *
 * One rendered document: a patient's drug chart or the ward census, as PDF bytes in
 * memory (they are patient data: never written to a file by this library, and wiped
 * when freed), with its id and, for each page, the QR payload and the orders printed on
 * it, for the chart ledger and reconciliation.
 */
typedef struct _WkChartDocument WkChartDocument;

WkChartDocumentKind wk_chart_document_get_kind (WkChartDocument *document);
const char         *wk_chart_document_get_id (WkChartDocument *document);
gint64              wk_chart_document_get_patient_id (WkChartDocument *document);
guint               wk_chart_document_get_n_pages (WkChartDocument *document);
const guint8       *wk_chart_document_get_pdf (WkChartDocument *document, gsize *size);
const char         *wk_chart_document_get_page_payload (WkChartDocument *document, guint index);
const WkChartOrderRef *
wk_chart_document_get_page_orders (WkChartDocument *document, guint index, guint *n_orders);
const WkChartBox      *
wk_chart_document_get_page_boxes (WkChartDocument *document, guint index, guint *n_boxes);
void wk_chart_document_free (WkChartDocument *document);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartDocument, wk_chart_document_free)

G_END_DECLS
