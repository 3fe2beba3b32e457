/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-chart-scan.c — scanned chart pages (PDF, PNG, JPEG) read back with libzbar. */

#include "wk-bed.h"
#include "wk-chart-payload.h"
#include "wk-chart-renderer.h"
#include "wk-chart-scan.h"
#include "wk-print-error.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib/gstdio.h>
#include <qrencode.h>
#include <string.h>

typedef struct
{
  WkKeys          *keys;
  WkModel         *model;
  WkChartDocument *chart;  /* the first bed's chart, several pages */
  WkChartDocument *census; /* no code on it */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (WkBed) bed = NULL;
  WkChartOptions options;

  f->keys = wk_test_keys_new (0x42);
  f->model = wk_test_ward_new (1);
  bed = wk_bed_load (f->model, wk_test_ward_bed (f->model, 0), &error);
  g_assert_no_error (error);
  /* Enough orders for more than one page. */
  for (guint i = 0; i < 14; i++)
    {
      g_autofree char *placer = g_strdup_printf ("SCAN-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (bed->patient_id, placer, 1);

      g_assert_true (wk_order_insert (f->model, order, &error));
    }
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, f->keys, &error);
  g_assert_no_error (error);
  f->chart = wk_chart_renderer_render_chart (renderer, f->model, bed->patient_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wk_chart_document_get_n_pages (f->chart), >=, 2);
  f->census = wk_chart_renderer_render_census (renderer, f->model, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wk_chart_document_free (f->chart);
  wk_chart_document_free (f->census);
  wk_model_free (f->model);
  wk_keys_free (f->keys);
}

static GBytes *
pdf_bytes (WkChartDocument *document)
{
  gsize         size;
  const guint8 *pdf = wk_chart_document_get_pdf (document, &size);

  return g_bytes_new (pdf, size);
}

/* Renders page @page of @document with pdftoppm, as a 150 dpi scanner would, into
 * scratch file @name (.png or .jpg). */
static char *
render_page (WkChartDocument *document, guint page, const char *name)
{
  g_autofree char *pdf_path = wk_test_scratch_path ("page.pdf");
  g_autofree char *out = wk_test_scratch_path (name);
  g_autofree char *stem = g_strndup (out, strrchr (out, '.') - out);
  g_autofree char *number = g_strdup_printf ("%u", page);
  gboolean         jpeg = g_str_has_suffix (name, ".jpg");
  const char      *argv[]
      = { "pdftoppm",    "-r",     "150", "-f", number, "-l", number, jpeg ? "-jpeg" : "-png",
          "-singlefile", pdf_path, stem,  NULL };
  g_autoptr (GError) error = NULL;
  gsize         size;
  const guint8 *pdf = wk_chart_document_get_pdf (document, &size);
  int           status;

  g_assert_true (g_file_set_contents (pdf_path, (const char *)pdf, size, &error));
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (pdf_path);
  g_assert_true (g_file_test (out, G_FILE_TEST_EXISTS));
  return g_steal_pointer (&out);
}

/* The chart's PDF scanned as it is: one code per page, the very text printed. */
static void
test_pdf (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) pdf = pdf_bytes (f->chart);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = wk_chart_scan_bytes (pdf, "returned.pdf", &error);
  guint n_pages = wk_chart_document_get_n_pages (f->chart);

  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, n_pages);
  for (guint p = 0; p < n_pages; p++)
    {
      WkChartScanResult *result = results->pdata[p];

      g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_CODE);
      g_assert_cmpstr (result->file, ==, "returned.pdf");
      g_assert_cmpuint (result->page, ==, p + 1);
      g_assert_cmpuint (result->n_pages, ==, n_pages);
      g_assert_cmpstr (result->text, ==, wk_chart_document_get_page_payload (f->chart, p));
      g_assert_cmpuint (result->length, ==, strlen (result->text));
      g_assert_null (result->problem);
    }
}

/* PNG and JPEG files from a 150 dpi render: the codes read back exactly, and verify. */
static void
test_png_and_jpeg (Fixture *f, gconstpointer data)
{
  const char *names[] = { "page.png", "page.jpg" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = render_page (f->chart, 2, names[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) results = wk_chart_scan_file (path, &error);
      g_autoptr (WkChartPayload) payload = NULL;
      WkChartScanResult *result;

      g_assert_no_error (error);
      g_assert_cmpuint (results->len, ==, 1);
      result = results->pdata[0];
      g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_CODE);
      g_assert_cmpstr (result->file, ==, path);
      g_assert_cmpuint (result->page, ==, 1);
      g_assert_cmpstr (result->text, ==, wk_chart_document_get_page_payload (f->chart, 1));
      payload = wk_chart_payload_decode (result->text, result->length,
                                         wk_keys_get_public_key (f->keys), 1, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (payload->page, ==, 2);
      g_unlink (path);
    }
}

/* Draws a QR code of @text with libqrencode, @module points a module, at (x, y). */
static void
draw_qr (cairo_t *cr, const char *text, double x, double y, double module)
{
  QRcode *qr = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);

  g_assert_nonnull (qr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (int r = 0; r < qr->width; r++)
    for (int c = 0; c < qr->width; c++)
      if (qr->data[r * qr->width + c] & 1)
        cairo_rectangle (cr, x + c * module, y + r * module, module, module);
  cairo_fill (cr);
  QRcode_free (qr);
}

/* A scanner's PDF: page 1 is a photo of the chart's first page, page 2 a blank sheet,
 * page 3 a wristband's code (invented data) beside nothing of ours. */
static void
test_scanned_pdf (Fixture *f, gconstpointer data)
{
  g_autofree char *png = render_page (f->chart, 1, "photo.png");
  g_autofree char *pdf = wk_test_scratch_path ("scanner.pdf");
  cairo_surface_t *photo = cairo_image_surface_create_from_png (png);
  cairo_surface_t *surface = cairo_pdf_surface_create (pdf, 595.276, 841.89);
  cairo_t         *cr = cairo_create (surface);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = NULL;
  WkChartScanResult *result;

  g_assert_cmpint (cairo_surface_status (photo), ==, CAIRO_STATUS_SUCCESS);
  cairo_save (cr);
  cairo_scale (cr, 72.0 / 150, 72.0 / 150);
  cairo_set_source_surface (cr, photo, 0, 0);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_show_page (cr);
  cairo_show_page (cr);
  draw_qr (cr, "NHS:9990000018|DOE^JANE", 100, 100, 3);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  cairo_surface_destroy (surface);
  cairo_surface_destroy (photo);

  results = wk_chart_scan_file (pdf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 3);
  result = results->pdata[0];
  g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_CODE);
  g_assert_cmpstr (result->text, ==, wk_chart_document_get_page_payload (f->chart, 0));

  /* The blank page and the foreign code are reported with the file and page, and the
   * foreign code's content is not kept. */
  result = results->pdata[1];
  g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_NO_CODE);
  g_assert_cmpuint (result->page, ==, 2);
  g_assert_null (result->text);
  g_assert_true (g_str_has_prefix (result->problem, "page 2 of "));
  g_assert_nonnull (strstr (result->problem, "scanner.pdf: no QR code found"));
  result = results->pdata[2];
  g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_FOREIGN);
  g_assert_cmpuint (result->page, ==, 3);
  g_assert_null (result->text);
  g_assert_nonnull (strstr (result->problem, "page 3 of "));
  g_assert_nonnull (strstr (result->problem, "not a wardkeep chart code"));
  g_assert_null (strstr (result->problem, "999"));
  g_unlink (png);
  g_unlink (pdf);
}

/* The census has no code: its page is reported, not mistaken for a chart. */
static void
test_census (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) pdf = pdf_bytes (f->census);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = wk_chart_scan_bytes (pdf, "census.pdf", &error);
  WkChartScanResult *result;

  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 1);
  result = results->pdata[0];
  g_assert_cmpint (result->kind, ==, WK_CHART_SCAN_NO_CODE);
  g_assert_cmpstr (result->problem, ==,
                   "census.pdf: no QR code found (is it a census or a blank page, or is the code "
                   "in the corner folded, torn or too faint? rescan it at 300 dpi, or type the "
                   "chart id)");
}

/* Files that are not scans are refused naming the file; nothing else is read. */
static void
test_not_a_scan (Fixture *f, gconstpointer data)
{
  g_autofree char *text = wk_test_scratch_path ("notes.txt");
  g_autofree char *empty = wk_test_scratch_path ("empty.png");
  g_autofree char *missing = wk_test_scratch_path ("missing.pdf");
  g_autofree char *broken = wk_test_scratch_path ("broken.pdf");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = NULL;

  g_assert_true (g_file_set_contents (text, "bed 4: paracetamol given 08:00\n", -1, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (g_file_set_contents (broken, "%PDF-1.5\n1 0 obj <<", -1, NULL));

  results = wk_chart_scan_file (text, &error);
  g_assert_null (results);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, text));
  g_assert_cmpstr (strstr (error->message, " is not"), ==,
                   " is not a PDF, PNG or JPEG file; scan the pages again as PDF, PNG or JPEG");
  g_clear_error (&error);

  g_assert_null (wk_chart_scan_file (empty, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "is empty"));
  g_clear_error (&error);

  g_assert_null (wk_chart_scan_file (broken, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "cannot be read as a PDF"));
  g_clear_error (&error);

  /* Image files cut short or damaged, as a failed transfer leaves them. */
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *path = render_page (f->chart, 1, i == 0 ? "cut.png" : "cut.jpg");
      g_autofree char *contents = NULL;
      gsize            size;

      g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
      memset (contents + 16, 0x5a, 64);
      g_assert_true (g_file_set_contents (path, contents, i == 0 ? 200 : 100, NULL));
      g_assert_null (wk_chart_scan_file (path, &error));
      g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, i == 0 ? "cannot be read as a png image"
                                                       : "cannot be read as a jpeg image"));
      g_clear_error (&error);
    }

  g_assert_null (wk_chart_scan_file (missing, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, missing));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/print/scan/pdf", test_pdf);
  ADD ("/print/scan/png-and-jpeg", test_png_and_jpeg);
  ADD ("/print/scan/scanner-pdf", test_scanned_pdf);
  ADD ("/print/scan/census", test_census);
  ADD ("/print/scan/not-a-scan", test_not_a_scan);
#undef ADD
  return g_test_run ();
}
