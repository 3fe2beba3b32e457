/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-document.c — a rendered drug chart or census: its PDF and what is on each page. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-chart-private.h"

#include <sodium.h>
#include <string.h>

typedef struct
{
  char   *payload;
  GArray *orders; /* WkChartOrderRef */
  GArray *boxes;  /* WkChartBox */
} Page;

struct _WkChartDocument
{
  WkChartDocumentKind kind;
  char               *id;
  gint64              patient_id;
  guint8             *pdf;
  gsize               pdf_size;
  gsize               pdf_allocated;
  GPtrArray          *pages;
};

static void
order_ref_clear (gpointer data)
{
  WkChartOrderRef *ref = data;

  g_free (ref->placer_id);
}

static void
page_free (gpointer data)
{
  Page *page = data;

  g_free (page->payload);
  g_array_unref (page->orders);
  g_array_unref (page->boxes);
  g_free (page);
}

/* Wipes and frees a PDF buffer: it holds patient data. */
static void
wipe_free (guint8 *data, gsize size)
{
  if (data == NULL)
    return;
  sodium_memzero (data, size);
  g_free (data);
}

/**
 * _wk_chart_document_new:
 * @kind: chart or census
 * @id: the document's id (wk-chart-id.h)
 * @patient_id: the patient's model id, 0 for a census
 *
 * Returns: (transfer full): an empty document
 */
WkChartDocument *
_wk_chart_document_new (WkChartDocumentKind kind, const char *id, gint64 patient_id)
{
  WkChartDocument *document = g_new0 (WkChartDocument, 1);

  document->kind = kind;
  document->id = g_strdup (id);
  document->patient_id = patient_id;
  document->pages = g_ptr_array_new_with_free_func (page_free);
  return document;
}

/**
 * _wk_chart_document_write:
 * @closure: the #WkChartDocument
 * @data: PDF bytes from cairo
 * @length: how many
 *
 * A cairo_write_func_t that appends to the document's PDF. Growing the buffer copies it
 * and wipes the old one, so that no copy of the PDF is left in freed memory.
 *
 * Returns: %CAIRO_STATUS_SUCCESS
 */
cairo_status_t
_wk_chart_document_write (void *closure, const unsigned char *data, unsigned int length)
{
  WkChartDocument *document = closure;

  if (document->pdf_size + length > document->pdf_allocated)
    {
      gsize   allocated = MAX (document->pdf_allocated * 2, 64 * 1024);
      guint8 *grown;

      while (allocated < document->pdf_size + length)
        allocated *= 2;
      grown = g_malloc (allocated);
      if (document->pdf_size > 0)
        memcpy (grown, document->pdf, document->pdf_size);
      wipe_free (document->pdf, document->pdf_allocated);
      document->pdf = grown;
      document->pdf_allocated = allocated;
    }
  memcpy (document->pdf + document->pdf_size, data, length);
  document->pdf_size += length;
  return CAIRO_STATUS_SUCCESS;
}

/**
 * _wk_chart_document_add_page:
 * @document: a document
 * @payload: (transfer full) (nullable): the page's QR payload text
 * @orders: (transfer full) (element-type WkChartOrderRef): the orders on the page
 * @boxes: (transfer full) (element-type WkChartBox): what the layout drew
 */
void
_wk_chart_document_add_page (WkChartDocument *document,
                             char            *payload,
                             GArray          *orders,
                             GArray          *boxes)
{
  Page *page = g_new0 (Page, 1);

  page->payload = payload;
  page->orders = orders;
  page->boxes = boxes;
  g_array_set_clear_func (page->orders, order_ref_clear);
  g_ptr_array_add (document->pages, page);
}

/**
 * wk_chart_document_free:
 * @document: (nullable) (transfer full): a #WkChartDocument
 *
 * Frees the document, wiping its PDF bytes first.
 */
void
wk_chart_document_free (WkChartDocument *document)
{
  if (document == NULL)
    return;
  wipe_free (document->pdf, document->pdf_allocated);
  g_free (document->id);
  g_ptr_array_unref (document->pages);
  g_free (document);
}

/**
 * wk_chart_document_get_kind:
 * @document: a #WkChartDocument
 *
 * Returns: whether it is a drug chart or a census
 */
WkChartDocumentKind
wk_chart_document_get_kind (WkChartDocument *document)
{
  g_return_val_if_fail (document != NULL, WK_CHART_DOCUMENT_CHART);

  return document->kind;
}

/**
 * wk_chart_document_get_id:
 * @document: a #WkChartDocument
 *
 * Returns: the document's id, eight characters, as printed on every page (in two
 *   groups of four) and held in its QR codes
 */
const char *
wk_chart_document_get_id (WkChartDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  return document->id;
}

/**
 * wk_chart_document_get_patient_id:
 * @document: a #WkChartDocument
 *
 * Returns: the model id of the chart's patient, 0 for a census
 */
gint64
wk_chart_document_get_patient_id (WkChartDocument *document)
{
  g_return_val_if_fail (document != NULL, 0);

  return document->patient_id;
}

/**
 * wk_chart_document_get_n_pages:
 * @document: a #WkChartDocument
 *
 * Returns: how many pages it has
 */
guint
wk_chart_document_get_n_pages (WkChartDocument *document)
{
  g_return_val_if_fail (document != NULL, 0);

  return document->pages->len;
}

/**
 * wk_chart_document_get_pdf:
 * @document: a #WkChartDocument
 * @size: (out): the PDF's size in bytes
 *
 * Returns: (transfer none) (array length=size): the PDF, valid while @document lives
 */
const guint8 *
wk_chart_document_get_pdf (WkChartDocument *document, gsize *size)
{
  g_return_val_if_fail (document != NULL, NULL);
  g_return_val_if_fail (size != NULL, NULL);

  *size = document->pdf_size;
  return document->pdf;
}

static Page *
get_page (WkChartDocument *document, guint index)
{
  g_return_val_if_fail (document != NULL, NULL);
  g_return_val_if_fail (index < document->pages->len, NULL);

  return document->pages->pdata[index];
}

/**
 * wk_chart_document_get_page_payload:
 * @document: a #WkChartDocument
 * @index: the page, from 0
 *
 * Returns: (nullable): the text of the page's QR code (wk-chart-payload.h); %NULL on
 *   a census page
 */
const char *
wk_chart_document_get_page_payload (WkChartDocument *document, guint index)
{
  Page *page = get_page (document, index);

  return page != NULL ? page->payload : NULL;
}

/**
 * wk_chart_document_get_page_orders:
 * @document: a #WkChartDocument
 * @index: the page, from 0
 * @n_orders: (out): how many orders
 *
 * Returns: (array length=n_orders): the orders printed on the page, in print order,
 *   stopped ones included
 */
const WkChartOrderRef *
wk_chart_document_get_page_orders (WkChartDocument *document, guint index, guint *n_orders)
{
  Page *page = get_page (document, index);

  g_return_val_if_fail (n_orders != NULL, NULL);

  *n_orders = page != NULL ? page->orders->len : 0;
  return page != NULL ? (const WkChartOrderRef *)(gpointer)page->orders->data : NULL;
}

/**
 * wk_chart_document_get_page_boxes:
 * @document: a #WkChartDocument
 * @index: the page, from 0
 * @n_boxes: (out): how many items
 *
 * Returns: (array length=n_boxes): where the layout drew each item of the page
 */
const WkChartBox *
wk_chart_document_get_page_boxes (WkChartDocument *document, guint index, guint *n_boxes)
{
  Page *page = get_page (document, index);

  g_return_val_if_fail (n_boxes != NULL, NULL);

  *n_boxes = page != NULL ? page->boxes->len : 0;
  return page != NULL ? (const WkChartBox *)(gpointer)page->boxes->data : NULL;
}
