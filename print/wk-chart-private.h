/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-private.h — what chart layout, rendering and documents share inside libwk-print. */

#pragma once

#include "wk-chart-document.h"

#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_t, cairo_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QRcode, QRcode_free)

/* Documents, filled by the renderer. */
WkChartDocument *
_wk_chart_document_new (WkChartDocumentKind kind, const char *id, gint64 patient_id);
cairo_status_t
     _wk_chart_document_write (void *closure, const unsigned char *data, unsigned int length);
void _wk_chart_document_add_page (WkChartDocument *document,
                                  char            *payload,
                                  GArray          *orders,
                                  GArray          *boxes);

/* How a piece of text is set. */
typedef struct
{
  double         size; /* points */
  gboolean       bold;
  PangoAlignment align;
  int            max_lines; /* 0: no limit; else ellipsized after this many lines */
  gboolean       white;     /* white on a black group */
  gboolean       strike;    /* struck through (stopped orders) */
} WkChartTextStyle;

/*
 * A typesetter holds the fonts and Pango context of one renderer, and the layouts it
 * has set, so that text set once (a footer, a heading, a due time) is set only once.
 * Used by one thread at a time.
 */
typedef struct _WkChartTypesetter WkChartTypesetter;

WkChartTypesetter *_wk_chart_typesetter_new (void);
void               _wk_chart_typesetter_free (WkChartTypesetter *typesetter);
PangoContext      *_wk_chart_typesetter_get_context (WkChartTypesetter *typesetter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartTypesetter, _wk_chart_typesetter_free)

/*
 * A block is a part of a page laid out once and drawn where the paginator puts it (a
 * header, a row of the chart, a footer): a list of pieces with positions relative to the
 * block's top left corner. Drawing records the box of every piece (wk-chart-document.h).
 */
typedef struct _WkChartBlock WkChartBlock;

WkChartBlock *_wk_chart_block_new (WkChartTypesetter *typesetter, double width);
void          _wk_chart_block_free (WkChartBlock *block);
double        _wk_chart_block_get_width (WkChartBlock *block);
double        _wk_chart_block_get_height (WkChartBlock *block);
void          _wk_chart_block_set_height (WkChartBlock *block, double height);
int           _wk_chart_block_add_group (WkChartBlock *block,
                                         int           parent,
                                         double        x,
                                         double        y,
                                         double        width,
                                         double        height,
                                         double        border,
                                         gboolean      fill);
void          _wk_chart_block_set_group_height (WkChartBlock *block, int group, double height);
double        _wk_chart_block_add_text (WkChartBlock           *block,
                                        int                     parent,
                                        double                  x,
                                        double                  y,
                                        double                  width,
                                        const char             *markup,
                                        const WkChartTextStyle *style);
void          _wk_chart_block_add_cell (WkChartBlock *block,
                                        int           parent,
                                        double        x,
                                        double        y,
                                        double        width,
                                        double        height,
                                        gboolean      crossed);
void          _wk_chart_block_add_rule (
             WkChartBlock *block, double x1, double y1, double x2, double y2, double width);
void _wk_chart_block_add_qr (
    WkChartBlock *block, int parent, double x, double y, double size, QRcode *qr);
void _wk_chart_block_draw (
    WkChartBlock *block, cairo_t *cr, double x, double y, int order, GArray *boxes);
void _wk_chart_draw_watermark (cairo_t           *cr,
                               WkChartTypesetter *typesetter,
                               double             page_width,
                               double             page_height,
                               const char        *text,
                               gboolean           over,
                               GArray            *boxes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartBlock, _wk_chart_block_free)

G_END_DECLS
