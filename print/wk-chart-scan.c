/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-scan.c — finds the QR codes on scanned chart pages (PNG, JPEG, PDF) with libzbar.
 *
 * Everything happens in memory: a PDF is rendered page by page with poppler-glib into a
 * Cairo image, an image file is read with gdk-pixbuf, and each page becomes an 8-bit
 * grey (Y800) image for zbar, which looks for QR codes only and hands their bytes back
 * untouched (ZBAR_CFG_BINARY: no character set guessing). */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-chart-scan.h"

#include "wk-chart-payload.h"
#include "wk-print-error.h"

#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <poppler.h>
#include <string.h>
#include <zbar.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (zbar_image_scanner_t, zbar_image_scanner_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (zbar_image_t, zbar_image_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerDocument, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerPage, g_object_unref)

/**
 * wk_chart_scan_result_free:
 * @result: (nullable) (transfer full): a #WkChartScanResult
 */
void
wk_chart_scan_result_free (WkChartScanResult *result)
{
  if (result == NULL)
    return;
  g_free (result->file);
  g_free (result->text);
  g_free (result->problem);
  g_free (result);
}

static WkChartScanResult *
result_new (WkChartScanKind kind, const char *name, guint page, guint n_pages)
{
  WkChartScanResult *result = g_new0 (WkChartScanResult, 1);

  result->kind = kind;
  result->file = g_strdup (name);
  result->page = page;
  result->n_pages = n_pages;
  return result;
}

static GPtrArray *
results_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)wk_chart_scan_result_free);
}

/* "page 2 of scan.pdf", or "scan.png" for a one-page file. */
static char *
describe_place (const char *name, guint page, guint n_pages)
{
  if (n_pages <= 1)
    return g_strdup (name);
  return g_strdup_printf ("page %u of %s", page, name);
}

/**
 * wk_chart_scan_gray:
 * @pixels: the page as 8-bit grey, one byte per pixel, rows without padding
 * @width: its width in pixels
 * @height: its height in pixels
 * @name: the file it came from, for the results
 * @page: the page of the file, from 1
 * @n_pages: the file's pages
 *
 * Finds every QR code on one page.
 *
 * Returns: (transfer full) (element-type WkChartScanResult): one result per code, in the
 *   order zbar found them, or one %WK_CHART_SCAN_NO_CODE result when there is none
 */
GPtrArray *
wk_chart_scan_gray (
    const guint8 *pixels, guint width, guint height, const char *name, guint page, guint n_pages)
{
  g_autoptr (zbar_image_scanner_t) scanner = zbar_image_scanner_create ();
  g_autoptr (zbar_image_t) image = zbar_image_create ();
  g_autoptr (GPtrArray) results = results_new ();
  g_autofree char *place = describe_place (name, page, n_pages);
  int              found;

  g_return_val_if_fail (pixels != NULL, NULL);

  /* QR codes only, their bytes as they are. */
  zbar_image_scanner_set_config (scanner, 0, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, width, height);
  zbar_image_set_data (image, pixels, (unsigned long)width * height, NULL);

  found = zbar_scan_image (scanner, image);
  for (const zbar_symbol_t *symbol = found > 0 ? zbar_image_first_symbol (image) : NULL;
       symbol != NULL; symbol = zbar_symbol_next (symbol))
    {
      const char        *data = zbar_symbol_get_data (symbol);
      gsize              length = zbar_symbol_get_data_length (symbol);
      gsize              prefix = strlen (WK_CHART_PAYLOAD_PREFIX);
      WkChartScanResult *result;

      if (length >= prefix && memcmp (data, WK_CHART_PAYLOAD_PREFIX, prefix) == 0)
        {
          result = result_new (WK_CHART_SCAN_CODE, name, page, n_pages);
          result->text = g_strndup (data, length);
          result->length = length;
          /* A NUL inside is not ours either: the verifier would see a shorter text. */
          if (strlen (result->text) != length)
            {
              g_clear_pointer (&result->text, g_free);
              result->length = 0;
              result->kind = WK_CHART_SCAN_FOREIGN;
            }
        }
      else
        result = result_new (WK_CHART_SCAN_FOREIGN, name, page, n_pages);
      if (result->kind == WK_CHART_SCAN_FOREIGN)
        result->problem = g_strdup_printf (
            "%s: a QR code that is not a wardkeep chart code (%zu bytes; a wristband or a "
            "label?); only the code in the corner of a wardkeep chart page is read",
            place, length);
      g_ptr_array_add (results, result);
    }
  if (results->len == 0)
    {
      WkChartScanResult *result = result_new (WK_CHART_SCAN_NO_CODE, name, page, n_pages);

      result->problem = g_strdup_printf (
          "%s: no QR code found (is it a census or a blank page, or is the code in the "
          "corner folded, torn or too faint? rescan it at 300 dpi, or type the chart id)",
          place);
      g_ptr_array_add (results, result);
    }
  return g_steal_pointer (&results);
}

/* Cairo's RGB24 or ARGB32 (premultiplied, on white) to 8-bit grey, ITU-R BT.601 weights. */
static guint8 *
surface_to_gray (cairo_surface_t *surface)
{
  int           width = cairo_image_surface_get_width (surface);
  int           height = cairo_image_surface_get_height (surface);
  int           stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  guint8       *gray = g_malloc ((gsize)width * height);

  for (int y = 0; y < height; y++)
    {
      const guint32 *row = (const guint32 *)(data + (gsize)y * stride);

      for (int x = 0; x < width; x++)
        {
          guint32 p = row[x];

          gray[(gsize)y * width + x]
              = (guint8)((((p >> 16) & 0xff) * 77 + ((p >> 8) & 0xff) * 150 + (p & 0xff) * 29)
                         >> 8);
        }
    }
  return gray;
}

/* Renders one PDF page at @dpi on white and scans it. */
static GPtrArray *
scan_pdf_page (PopplerPage *page, int dpi, const char *name, guint index, guint n_pages)
{
  double             points_w, points_h, scale = dpi / 72.0;
  int                width, height;
  cairo_surface_t   *surface;
  cairo_t           *cr;
  g_autofree guint8 *gray = NULL;

  poppler_page_get_size (page, &points_w, &points_h);
  width = MAX (1, (int)(points_w * scale + 0.5));
  height = MAX (1, (int)(points_h * scale + 0.5));
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, scale, scale);
  poppler_page_render_for_printing (page, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  gray = surface_to_gray (surface);
  cairo_surface_destroy (surface);
  return wk_chart_scan_gray (gray, width, height, name, index, n_pages);
}

static GPtrArray *
scan_pdf (GBytes *data, const char *name, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (PopplerDocument) document = poppler_document_new_from_bytes (data, NULL, &local_error);
  g_autoptr (GPtrArray) results = results_new ();
  int n_pages;

  if (document == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s cannot be read as a PDF (%s); scan the pages again, as PDF, PNG or JPEG",
                   name, local_error->message);
      return NULL;
    }
  n_pages = poppler_document_get_n_pages (document);
  if (n_pages <= 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "%s is a PDF without pages",
                   name);
      return NULL;
    }
  for (int i = 0; i < n_pages; i++)
    {
      g_autoptr (PopplerPage) page = poppler_document_get_page (document, i);
      g_autoptr (GPtrArray) found = scan_pdf_page (page, WK_CHART_SCAN_DPI, name, i + 1, n_pages);

      /* A small or faint code may need more pixels per module. */
      if (((WkChartScanResult *)found->pdata[0])->kind == WK_CHART_SCAN_NO_CODE)
        {
          g_clear_pointer (&found, g_ptr_array_unref);
          found = scan_pdf_page (page, WK_CHART_SCAN_RETRY_DPI, name, i + 1, n_pages);
        }
      g_ptr_array_extend_and_steal (results, g_steal_pointer (&found));
    }
  return g_steal_pointer (&results);
}

/* The gdk-pixbuf loader for a file's first bytes: chosen here rather than by GIO's
 * content sniffing, which needs the shared MIME database. */
static const char *
image_type (const guint8 *bytes, gsize size)
{
  if (size >= 8 && memcmp (bytes, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "png";
  if (size >= 3 && memcmp (bytes, "\xff\xd8\xff", 3) == 0)
    return "jpeg";
  if (size >= 4 && (memcmp (bytes, "II*\0", 4) == 0 || memcmp (bytes, "MM\0*", 4) == 0))
    return "tiff";
  return NULL;
}

static GPtrArray *
scan_image (GBytes *data, const char *name, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autofree guint8 *gray = NULL;
  const guint8      *pixels, *bytes;
  int                width, height, stride, channels;
  gsize              size;
  const char        *type;

  bytes = g_bytes_get_data (data, &size);
  type = image_type (bytes, size);
  if (type == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s is not a PDF, PNG or JPEG file; scan the pages again as PDF, PNG or JPEG",
                   name);
      return NULL;
    }
  loader = gdk_pixbuf_loader_new_with_type (type, &local_error);
  if (loader != NULL && !gdk_pixbuf_loader_write_bytes (loader, data, &local_error))
    gdk_pixbuf_loader_close (loader, NULL); /* closed either way; the first error counts */
  else if (loader != NULL)
    gdk_pixbuf_loader_close (loader, &local_error);
  if (local_error != NULL || gdk_pixbuf_loader_get_pixbuf (loader) == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s cannot be read as a %s image (%s); scan the pages again as PDF, PNG or "
                   "JPEG",
                   name, type, local_error != NULL ? local_error->message : "no image in it");
      return NULL;
    }
  /* Transparent pixels count as paper (white); a camera's rotation is applied. */
  pixbuf = gdk_pixbuf_apply_embedded_orientation (gdk_pixbuf_loader_get_pixbuf (loader));
  if (gdk_pixbuf_get_has_alpha (pixbuf))
    {
      GdkPixbuf *flat = gdk_pixbuf_composite_color_simple (
          pixbuf, gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf), GDK_INTERP_NEAREST,
          255, 8, 0xffffff, 0xffffff);

      g_object_unref (pixbuf);
      pixbuf = flat;
    }
  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  channels = gdk_pixbuf_get_n_channels (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  gray = g_malloc ((gsize)width * height);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = pixels + (gsize)y * stride + (gsize)x * channels;

        gray[(gsize)y * width + x] = (guint8)((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
      }
  return wk_chart_scan_gray (gray, width, height, name, 1, 1);
}

/**
 * wk_chart_scan_bytes:
 * @data: a scanned file's contents: a PDF (any number of pages), or a PNG or JPEG image
 * @name: how to call it in results and errors (its file name)
 * @error: return location for a #GError
 *
 * Finds the codes on every page of a scanned file. PDF pages are rendered at
 * %WK_CHART_SCAN_DPI, and again at %WK_CHART_SCAN_RETRY_DPI when no code is found.
 *
 * Returns: (transfer full) (element-type WkChartScanResult): the results, page by page;
 *   %NULL with %WK_PRINT_ERROR_INVALID when the file is neither a PDF nor an image that
 *   can be read
 */
GPtrArray *
wk_chart_scan_bytes (GBytes *data, const char *name, GError **error)
{
  gsize         size;
  const guint8 *bytes;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  bytes = g_bytes_get_data (data, &size);
  if (size >= 5 && memcmp (bytes, "%PDF-", 5) == 0)
    return scan_pdf (data, name, error);
  if (size == 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s is empty; scan the pages again", name);
      return NULL;
    }
  return scan_image (data, name, error);
}

/**
 * wk_chart_scan_file:
 * @path: a scanned file: PDF, PNG or JPEG
 * @error: return location for a #GError
 *
 * As wk_chart_scan_bytes(), reading @path; nothing is written anywhere.
 *
 * Returns: (transfer full) (element-type WkChartScanResult): the results, or %NULL when
 *   the file cannot be read (%WK_PRINT_ERROR_FAILED) or is not a PDF or image
 */
GPtrArray *
wk_chart_scan_file (const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) data = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_FAILED, "Cannot read %s: %s", path,
                   local_error->message);
      return NULL;
    }
  data = g_mapped_file_get_bytes (mapped);
  return wk_chart_scan_bytes (data, path, error);
}
