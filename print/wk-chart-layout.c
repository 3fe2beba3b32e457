/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-layout.c — blocks of a printed page: text, boxes and QR codes, measured once,
 * drawn where the paginator puts them, with the box of every item recorded. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-chart-private.h"

#include <math.h>

/* The one family every page uses (fonts-dejavu-core); fontconfig falls back for scripts
 * and symbols it lacks, and Pango draws a box for a glyph no font has, measured like any
 * other, so that a missing glyph can never push text out of its place. */
#define FONT_FAMILY "DejaVu Sans"
#define QR_QUIET_MODULES 4

typedef enum
{
  PIECE_GROUP,
  PIECE_TEXT,
  PIECE_CELL,
  PIECE_RULE,
  PIECE_QR,
} PieceKind;

typedef struct
{
  PieceKind    kind;
  int          parent; /* index of a group piece, -1 for the block */
  double       x, y, width, height;
  double       border; /* GROUP frame, RULE, CELL line width; 0 for none */
  gboolean     fill;   /* GROUP filled black */
  gboolean     crossed;
  gboolean     white;
  PangoLayout *layout;
  QRcode      *qr;
} Piece;

struct _WkChartBlock
{
  PangoContext *pango;
  double        width;
  double        height;
  GArray       *pieces;
};

static void
piece_clear (gpointer data)
{
  Piece *piece = data;

  g_clear_object (&piece->layout);
  g_clear_pointer (&piece->qr, QRcode_free);
}

/**
 * _wk_chart_block_new:
 * @pango: the context text is set in (the renderer's)
 * @width: the block's width in points
 *
 * Returns: (transfer full): an empty block, 0 points tall
 */
WkChartBlock *
_wk_chart_block_new (PangoContext *pango, double width)
{
  WkChartBlock *block = g_new0 (WkChartBlock, 1);

  block->pango = g_object_ref (pango);
  block->width = width;
  block->pieces = g_array_new (FALSE, TRUE, sizeof (Piece));
  g_array_set_clear_func (block->pieces, piece_clear);
  return block;
}

/**
 * _wk_chart_block_free:
 * @block: (nullable) (transfer full): a block
 */
void
_wk_chart_block_free (WkChartBlock *block)
{
  if (block == NULL)
    return;
  g_array_unref (block->pieces);
  g_object_unref (block->pango);
  g_free (block);
}

/** _wk_chart_block_get_width: Returns: the block's width in points */
double
_wk_chart_block_get_width (WkChartBlock *block)
{
  return block->width;
}

/** _wk_chart_block_get_height: Returns: the block's height in points */
double
_wk_chart_block_get_height (WkChartBlock *block)
{
  return block->height;
}

/**
 * _wk_chart_block_set_height:
 * @block: a block
 * @height: its height in points, once its content is laid out
 */
void
_wk_chart_block_set_height (WkChartBlock *block, double height)
{
  block->height = height;
}

static int
add_piece (WkChartBlock *block, const Piece *piece)
{
  g_assert (piece->parent >= -1 && piece->parent < (int)block->pieces->len);
  g_assert (piece->parent == -1
            || g_array_index (block->pieces, Piece, piece->parent).kind == PIECE_GROUP);
  g_array_append_vals (block->pieces, piece, 1);
  return block->pieces->len - 1;
}

/**
 * _wk_chart_block_add_group:
 * @block: a block
 * @parent: the group it is in, -1 for the block
 * @x: left, relative to the block
 * @y: top, relative to the block
 * @width: width
 * @height: height (may be set later with _wk_chart_block_set_group_height())
 * @border: the frame's line width, 0 for no frame
 * @fill: whether the group is filled black (for white text)
 *
 * Returns: the group's index, for the pieces inside it
 */
int
_wk_chart_block_add_group (WkChartBlock *block,
                           int           parent,
                           double        x,
                           double        y,
                           double        width,
                           double        height,
                           double        border,
                           gboolean      fill)
{
  Piece piece = { PIECE_GROUP, parent, x, y, width, height, border, fill };

  return add_piece (block, &piece);
}

/**
 * _wk_chart_block_set_group_height:
 * @block: a block
 * @group: a group's index
 * @height: its height
 */
void
_wk_chart_block_set_group_height (WkChartBlock *block, int group, double height)
{
  g_array_index (block->pieces, Piece, group).height = height;
}

/**
 * _wk_chart_block_add_text:
 * @block: a block
 * @parent: the group it is in, -1 for the block
 * @x: left of the space it is given
 * @y: top
 * @width: the width it wraps to
 * @markup: Pango markup; values from data must be escaped
 * @style: how it is set
 *
 * Lays text out: wrapped at words, or inside a word that is longer than the line; cut
 * with an ellipsis after @style's max_lines.
 *
 * Returns: the height it takes, in points
 */
double
_wk_chart_block_add_text (WkChartBlock           *block,
                          int                     parent,
                          double                  x,
                          double                  y,
                          double                  width,
                          const char             *markup,
                          const WkChartTextStyle *style)
{
  g_autoptr (PangoFontDescription) font = pango_font_description_new ();
  Piece          piece = { PIECE_TEXT, parent, x, y, width };
  PangoRectangle logical;

  pango_font_description_set_family_static (font, FONT_FAMILY);
  pango_font_description_set_absolute_size (font, style->size * PANGO_SCALE);
  pango_font_description_set_weight (font, style->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);

  piece.layout = pango_layout_new (block->pango);
  pango_layout_set_font_description (piece.layout, font);
  pango_layout_set_width (piece.layout, (int)floor (width * PANGO_SCALE));
  pango_layout_set_wrap (piece.layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (piece.layout, style->align);
  if (style->max_lines > 0)
    {
      pango_layout_set_height (piece.layout, -style->max_lines);
      pango_layout_set_ellipsize (piece.layout, PANGO_ELLIPSIZE_END);
    }
  if (style->strike)
    {
      g_autofree char *struck = g_strdup_printf ("<s>%s</s>", markup);

      pango_layout_set_markup (piece.layout, struck, -1);
    }
  else
    pango_layout_set_markup (piece.layout, markup, -1);
  pango_layout_get_pixel_extents (piece.layout, NULL, &logical);
  piece.height = logical.y + logical.height;
  piece.white = style->white;
  add_piece (block, &piece);
  return piece.height;
}

/**
 * _wk_chart_block_add_cell:
 * @block: a block
 * @parent: the group it is in
 * @x: left
 * @y: top
 * @width: width
 * @height: height
 * @crossed: whether it is crossed through: a box that is not for use
 *
 * Adds a box for staff to write in.
 */
void
_wk_chart_block_add_cell (WkChartBlock *block,
                          int           parent,
                          double        x,
                          double        y,
                          double        width,
                          double        height,
                          gboolean      crossed)
{
  Piece piece = { PIECE_CELL, parent, x, y, width, height, 0.9 };

  piece.crossed = crossed;
  add_piece (block, &piece);
}

/**
 * _wk_chart_block_add_rule:
 * @block: a block
 * @x1: start
 * @y1: start
 * @x2: end
 * @y2: end
 * @width: line width
 *
 * Adds a line that separates parts of the block (not an item: nothing is recorded).
 */
void
_wk_chart_block_add_rule (
    WkChartBlock *block, double x1, double y1, double x2, double y2, double width)
{
  Piece piece = { PIECE_RULE, -1, x1, y1, x2 - x1, y2 - y1, width };

  add_piece (block, &piece);
}

/**
 * _wk_chart_block_add_qr:
 * @block: a block
 * @parent: the group it is in
 * @x: left of the square, quiet zone included
 * @y: top
 * @size: the square's side
 * @qr: (transfer full): the symbol
 */
void
_wk_chart_block_add_qr (
    WkChartBlock *block, int parent, double x, double y, double size, QRcode *qr)
{
  Piece piece = { PIECE_QR, parent, x, y, size, size };

  piece.qr = qr;
  add_piece (block, &piece);
}

static void
record (GArray        *boxes,
        WkChartBoxKind kind,
        double         x,
        double         y,
        double         w,
        double         h,
        int            parent,
        int            order)
{
  WkChartBox box = { kind, x, y, w, h, parent, order };

  if (boxes != NULL)
    g_array_append_val (boxes, box);
}

static void
draw_qr (cairo_t *cr, const Piece *piece, double x, double y)
{
  const QRcode *qr = piece->qr;
  double        module = piece->width / (qr->width + 2 * QR_QUIET_MODULES);
  double        left = x + QR_QUIET_MODULES * module;
  double        top = y + QR_QUIET_MODULES * module;

  /* Horizontal runs of dark modules, one fill for the symbol. */
  for (int row = 0; row < qr->width; row++)
    {
      const unsigned char *line = qr->data + row * qr->width;

      for (int col = 0; col < qr->width;)
        {
          int start;

          if (!(line[col] & 1))
            {
              col++;
              continue;
            }
          start = col;
          while (col < qr->width && (line[col] & 1))
            col++;
          cairo_rectangle (cr, left + start * module, top + row * module, (col - start) * module,
                           module);
        }
    }
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_fill (cr);
}

/**
 * _wk_chart_block_draw:
 * @block: a block
 * @cr: the page
 * @x: where the block's left edge goes on the page
 * @y: where its top goes
 * @order: the index of the order the block is the row of, on its page; -1 for none
 * @boxes: (element-type WkChartBox) (nullable): where to record what is drawn
 *
 * Draws the block and records its box (a group whose parent is the page) and the box
 * of each piece in it. A text's box is where its glyphs reach, not the space it was
 * given, so that a test can prove nothing spills over.
 */
void
_wk_chart_block_draw (
    WkChartBlock *block, cairo_t *cr, double x, double y, int order, GArray *boxes)
{
  g_autofree int *index = g_new (int, block->pieces->len + 1);
  int             root = boxes != NULL ? (int)boxes->len : -1;

  /* index[i]: where piece i's box is recorded, for the pieces inside it. */
  record (boxes, WK_CHART_BOX_GROUP, x, y, block->width, block->height, -1, order);
  for (guint i = 0; i < block->pieces->len; i++)
    {
      const Piece *piece = &g_array_index (block->pieces, Piece, i);
      double       px = x + piece->x, py = y + piece->y;
      int          parent = piece->parent == -1 ? root : index[piece->parent];

      index[i] = boxes != NULL ? (int)boxes->len : -1;
      cairo_save (cr);
      cairo_set_source_rgb (cr, 0, 0, 0);
      switch (piece->kind)
        {
        case PIECE_GROUP:
          if (piece->fill)
            {
              cairo_rectangle (cr, px, py, piece->width, piece->height);
              cairo_fill (cr);
            }
          else if (piece->border > 0)
            {
              double inset = piece->border / 2;

              cairo_set_line_width (cr, piece->border);
              cairo_rectangle (cr, px + inset, py + inset, piece->width - piece->border,
                               piece->height - piece->border);
              cairo_stroke (cr);
            }
          record (boxes, WK_CHART_BOX_GROUP, px, py, piece->width, piece->height, parent, order);
          break;

        case PIECE_TEXT:
          {
            PangoRectangle ink, logical;
            double         left, top, right, bottom;

            pango_layout_get_extents (piece->layout, &ink, &logical);
            left = MIN (ink.x, logical.x) / (double)PANGO_SCALE;
            top = MIN (ink.y, logical.y) / (double)PANGO_SCALE;
            right = MAX (ink.x + ink.width, logical.x + logical.width) / (double)PANGO_SCALE;
            bottom = MAX (ink.y + ink.height, logical.y + logical.height) / (double)PANGO_SCALE;
            /* An empty text has no extent: record it as nothing at its place. */
            if (ink.width == 0 && logical.width == 0)
              right = left;
            if (piece->white)
              cairo_set_source_rgb (cr, 1, 1, 1);
            cairo_move_to (cr, px, py);
            pango_cairo_show_layout (cr, piece->layout);
            record (boxes, WK_CHART_BOX_TEXT, px + left, py + top, right - left, bottom - top,
                    parent, order);
            break;
          }

        case PIECE_CELL:
          {
            double inset = piece->border / 2;

            cairo_set_line_width (cr, piece->border);
            cairo_rectangle (cr, px + inset, py + inset, piece->width - piece->border,
                             piece->height - piece->border);
            cairo_stroke (cr);
            if (piece->crossed)
              {
                /* Not for use: a line from corner to corner, as on paper charts. */
                cairo_set_line_width (cr, 0.7);
                cairo_move_to (cr, px + inset, py + piece->height - inset);
                cairo_line_to (cr, px + piece->width - inset, py + inset);
                cairo_stroke (cr);
              }
            record (boxes, piece->crossed ? WK_CHART_BOX_CELL_UNUSED : WK_CHART_BOX_CELL, px, py,
                    piece->width, piece->height, parent, order);
            break;
          }

        case PIECE_RULE:
          cairo_set_line_width (cr, piece->border);
          cairo_move_to (cr, px, py);
          cairo_line_to (cr, px + piece->width, py + piece->height);
          cairo_stroke (cr);
          /* A separator inside its block, not an item: nothing is recorded. */
          break;

        case PIECE_QR:
          draw_qr (cr, piece, px, py);
          record (boxes, WK_CHART_BOX_QR, px, py, piece->width, piece->height, parent, order);
          break;
        }
      cairo_restore (cr);
    }
}

/**
 * _wk_chart_draw_watermark:
 * @cr: the page
 * @pango: the context text is set in
 * @page_width: the page's width
 * @page_height: the page's height
 * @text: the watermark ("DRILL — NOT FOR CLINICAL USE")
 * @over: %FALSE to draw the text itself, in grey under the page's content; %TRUE to draw
 *   its outline in black over everything
 * @boxes: (element-type WkChartBox) (nullable): where to record it (under only)
 *
 * Puts @text diagonally across the page, corner to corner. Drawn twice: as real text
 * (so that it can be found in the PDF) under the content, which stays readable, and as
 * an outline over the content, so that no black area can hide it.
 */
void
_wk_chart_draw_watermark (cairo_t      *cr,
                          PangoContext *pango,
                          double        page_width,
                          double        page_height,
                          const char   *text,
                          gboolean      over,
                          GArray       *boxes)
{
  g_autoptr (PangoLayout) layout = pango_layout_new (pango);
  g_autoptr (PangoFontDescription) font = pango_font_description_new ();
  double         angle = -atan2 (page_height, page_width);
  double         diagonal = hypot (page_width, page_height);
  double         scale;
  PangoRectangle logical;

  pango_font_description_set_family_static (font, FONT_FAMILY);
  pango_font_description_set_absolute_size (font, 40 * PANGO_SCALE);
  pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_extents (layout, NULL, &logical);
  scale = diagonal * 0.8 / logical.width;

  cairo_save (cr);
  cairo_translate (cr, page_width / 2, page_height / 2);
  cairo_rotate (cr, angle);
  cairo_scale (cr, scale, scale);
  cairo_move_to (cr, -logical.width / 2.0, -logical.height / 2.0);
  if (!over)
    {
      cairo_set_source_rgb (cr, 0.72, 0.72, 0.72);
      pango_cairo_show_layout (cr, layout);
      record (boxes, WK_CHART_BOX_WATERMARK, 0, 0, page_width, page_height, -1, -1);
    }
  else
    {
      pango_cairo_layout_path (cr, layout);
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_set_line_width (cr, 0.9 / scale);
      cairo_stroke (cr);
    }
  cairo_restore (cr);
}
