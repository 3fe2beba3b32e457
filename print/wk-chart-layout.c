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

struct _WkChartTypesetter
{
  PangoFontMap *font_map;
  PangoContext *context;
  GHashTable   *layouts; /* style, width and markup -> PangoLayout */
};

struct _WkChartBlock
{
  WkChartTypesetter *typesetter;
  double             width;
  double             height;
  GArray            *pieces;
};

static void
piece_clear (gpointer data)
{
  Piece *piece = data;

  g_clear_object (&piece->layout);
  g_clear_pointer (&piece->qr, QRcode_free);
}

/**
 * _wk_chart_typesetter_new:
 *
 * Returns: (transfer full): a typesetter with fonts of its own, measuring in points,
 *   without hinting, so that a layout is the same on every page and in every thread
 */
WkChartTypesetter *
_wk_chart_typesetter_new (void)
{
  WkChartTypesetter    *typesetter = g_new0 (WkChartTypesetter, 1);
  cairo_font_options_t *options = cairo_font_options_create ();

  typesetter->font_map = pango_cairo_font_map_new ();
  typesetter->context = pango_font_map_create_context (typesetter->font_map);
  pango_cairo_context_set_resolution (typesetter->context, 72);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (typesetter->context, options);
  cairo_font_options_destroy (options);
  pango_context_set_base_dir (typesetter->context, PANGO_DIRECTION_LTR);
  /* Glyphs where the font puts them, not rounded to whole points: even spacing, and the
   * PDF needs no correction after every glyph. */
  pango_context_set_round_glyph_positions (typesetter->context, FALSE);
  typesetter->layouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  return typesetter;
}

/**
 * _wk_chart_typesetter_free:
 * @typesetter: (nullable) (transfer full): a typesetter
 */
void
_wk_chart_typesetter_free (WkChartTypesetter *typesetter)
{
  if (typesetter == NULL)
    return;
  g_hash_table_unref (typesetter->layouts);
  g_object_unref (typesetter->context);
  g_object_unref (typesetter->font_map);
  g_free (typesetter);
}

/**
 * _wk_chart_typesetter_get_context:
 * @typesetter: a typesetter
 *
 * Returns: (transfer none): its Pango context
 */
PangoContext *
_wk_chart_typesetter_get_context (WkChartTypesetter *typesetter)
{
  return typesetter->context;
}

/* The layout of @markup in @style at @width: set once, then shared. */
static PangoLayout *
typeset (WkChartTypesetter      *typesetter,
         const char             *markup,
         const WkChartTextStyle *style,
         double                  width)
{
  g_autoptr (PangoFontDescription) font = NULL;
  g_autofree char *key
      = g_strdup_printf ("%g %d %d %d %d %.3f\n%s", style->size, style->bold, style->align,
                         style->max_lines, style->strike, width, markup);
  PangoLayout *layout = g_hash_table_lookup (typesetter->layouts, key);

  if (layout != NULL)
    return g_object_ref (layout);

  font = pango_font_description_new ();
  pango_font_description_set_family_static (font, FONT_FAMILY);
  pango_font_description_set_absolute_size (font, style->size * PANGO_SCALE);
  pango_font_description_set_weight (font, style->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  layout = pango_layout_new (typesetter->context);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, (int)floor (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, style->align);
  if (style->max_lines > 0)
    {
      pango_layout_set_height (layout, -style->max_lines);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  if (style->strike)
    {
      g_autofree char *struck = g_strdup_printf ("<s>%s</s>", markup);

      pango_layout_set_markup (layout, struck, -1);
    }
  else
    pango_layout_set_markup (layout, markup, -1);
  g_hash_table_insert (typesetter->layouts, g_steal_pointer (&key), g_object_ref (layout));
  return layout;
}

/**
 * _wk_chart_block_new:
 * @typesetter: what sets its text (the renderer's); must outlive the block
 * @width: the block's width in points
 *
 * Returns: (transfer full): an empty block, 0 points tall
 */
WkChartBlock *
_wk_chart_block_new (WkChartTypesetter *typesetter, double width)
{
  WkChartBlock *block = g_new0 (WkChartBlock, 1);

  block->typesetter = typesetter;
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
  Piece          piece = { PIECE_TEXT, parent, x, y, width };
  PangoRectangle logical;

  piece.layout = typeset (block->typesetter, markup, style, width);
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

/* The symbol as a 1-bit stencil, one pixel per module, drawn scaled without
 * smoothing: a few hundred bytes in the PDF instead of a path of thousands of squares,
 * and modules with edges as sharp as the printer makes them. */
static void
draw_qr (cairo_t *cr, const Piece *piece, double x, double y)
{
  const QRcode    *qr = piece->qr;
  double           module = piece->width / (qr->width + 2 * QR_QUIET_MODULES);
  cairo_surface_t *stencil = cairo_image_surface_create (CAIRO_FORMAT_A1, qr->width, qr->width);
  int              stride = cairo_image_surface_get_stride (stencil);
  unsigned char   *bits;
  cairo_pattern_t *pattern;

  cairo_surface_flush (stencil);
  bits = cairo_image_surface_get_data (stencil);
  for (int row = 0; row < qr->width; row++)
    {
      guint32 *words = (guint32 *)(gpointer)(bits + row * stride);

      for (int col = 0; col < qr->width; col++)
        if (qr->data[row * qr->width + col] & 1)
          {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
            words[col >> 5] |= 1u << (col & 31);
#else
            words[col >> 5] |= 0x80000000u >> (col & 31);
#endif
          }
    }
  cairo_surface_mark_dirty (stencil);

  pattern = cairo_pattern_create_for_surface (stencil);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_save (cr);
  cairo_translate (cr, x + QR_QUIET_MODULES * module, y + QR_QUIET_MODULES * module);
  cairo_scale (cr, module, module);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_mask (cr, pattern);
  cairo_restore (cr);
  cairo_pattern_destroy (pattern);
  cairo_surface_destroy (stencil);
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
  guint           n_cells = 0;

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
          /* Stroked together after the loop: one path for a row's boxes. */
          record (boxes, piece->crossed ? WK_CHART_BOX_CELL_UNUSED : WK_CHART_BOX_CELL, px, py,
                  piece->width, piece->height, parent, order);
          n_cells++;
          break;

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
  if (n_cells == 0)
    return;

  /* The boxes staff write in, then the lines through those not for use (corner to
   * corner, as on paper charts): two paths, however many boxes. */
  cairo_save (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = 0; i < block->pieces->len; i++)
    {
      const Piece *piece = &g_array_index (block->pieces, Piece, i);
      double       inset = piece->border / 2;

      if (piece->kind == PIECE_CELL)
        cairo_rectangle (cr, x + piece->x + inset, y + piece->y + inset,
                         piece->width - piece->border, piece->height - piece->border);
    }
  cairo_set_line_width (cr, 0.9);
  cairo_stroke (cr);
  for (guint i = 0; i < block->pieces->len; i++)
    {
      const Piece *piece = &g_array_index (block->pieces, Piece, i);
      double       inset = piece->border / 2;

      if (piece->kind == PIECE_CELL && piece->crossed)
        {
          cairo_move_to (cr, x + piece->x + inset, y + piece->y + piece->height - inset);
          cairo_line_to (cr, x + piece->x + piece->width - inset, y + piece->y + inset);
        }
    }
  cairo_set_line_width (cr, 0.7);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/**
 * _wk_chart_draw_watermark:
 * @cr: the page
 * @typesetter: what sets the text
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
_wk_chart_draw_watermark (cairo_t           *cr,
                          WkChartTypesetter *typesetter,
                          double             page_width,
                          double             page_height,
                          const char        *text,
                          gboolean           over,
                          GArray            *boxes)
{
  g_autoptr (PangoLayout) layout = pango_layout_new (typesetter->context);
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
