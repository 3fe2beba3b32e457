/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-preview-view.c — the pages of a chart exactly as they would print, from memory.
 *
 * The chart renderer's PDF bytes are handed to poppler straight from memory (a GBytes
 * over the document, which frees and wipes them when poppler lets go): the PDF is
 * patient data and is never written to a file. Pages are rasterised in a worker thread
 * at the width the view has, and shown as pictures. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-preview-view.h"

#include "wk-chart-id.h"

#include <glib/gi18n.h>
#include <poppler.h>

struct _WkPreviewView
{
  GtkWidget parent_instance;

  GCancellable *cancellable;
  guint         n_pages;

  GtkLabel  *title_label;
  GtkWidget *scroller;
  GtkBox    *pages_box;
};

G_DEFINE_FINAL_TYPE (WkPreviewView, wk_preview_view, GTK_TYPE_WIDGET)

/* poppler-glib 22.02 defines no cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerDocument, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerPage, g_object_unref)

typedef struct
{
  WkChartDocument *document;
  int              width; /* pixels */
} RenderData;

static void
render_data_free (RenderData *data)
{
  g_clear_pointer (&data->document, wk_chart_document_free);
  g_free (data);
}

static void
render_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RenderData   *data = task_data;
  gsize         size = 0;
  const guint8 *pdf = wk_chart_document_get_pdf (data->document, &size);
  g_autoptr (GBytes) bytes = g_bytes_new_static (pdf, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (PopplerDocument) poppler = poppler_document_new_from_bytes (bytes, NULL, &error);
  g_autoptr (GPtrArray) textures = g_ptr_array_new_with_free_func (g_object_unref);

  if (poppler == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "The chart's PDF cannot be shown: %s", error->message);
      return;
    }
  for (int i = 0; i < poppler_document_get_n_pages (poppler); i++)
    {
      g_autoptr (PopplerPage) page = poppler_document_get_page (poppler, i);
      double           w = 0, h = 0, scale;
      int              pw, ph;
      cairo_surface_t *surface;
      cairo_t         *cr;
      g_autoptr (GBytes) pixels = NULL;

      if (g_task_return_error_if_cancelled (task))
        return;
      poppler_page_get_size (page, &w, &h);
      scale = data->width / w;
      pw = data->width;
      ph = (int)(h * scale + 0.5);
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, pw, ph);
      cr = cairo_create (surface);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      cairo_scale (cr, scale, scale);
      poppler_page_render_for_printing (page, cr);
      cairo_destroy (cr);
      cairo_surface_flush (surface);
      pixels = g_bytes_new (cairo_image_surface_get_data (surface),
                            (gsize)cairo_image_surface_get_stride (surface) * ph);
      g_ptr_array_add (textures, gdk_memory_texture_new (pw, ph, GDK_MEMORY_DEFAULT, pixels,
                                                         cairo_image_surface_get_stride (surface)));
      cairo_surface_destroy (surface);
    }
  g_task_return_pointer (task, g_steal_pointer (&textures), (GDestroyNotify)g_ptr_array_unref);
}

static void
clear_pages (WkPreviewView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->pages_box))) != NULL)
    gtk_box_remove (self->pages_box, child);
  self->n_pages = 0;
}

static void
rendered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WkPreviewView *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) textures = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  clear_pages (self);
  if (textures == NULL)
    {
      gtk_label_set_text (self->title_label, error->message);
      return;
    }
  for (guint i = 0; i < textures->len; i++)
    {
      GdkTexture      *texture = textures->pdata[i];
      GtkWidget       *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
      g_autofree char *name = g_strdup_printf ("preview-page-%u", i + 1);
      g_autofree char *label = g_strdup_printf (_ ("Page %u of %u"), i + 1, textures->len);

      gtk_widget_set_name (picture, name);
      gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
      gtk_widget_add_css_class (picture, "preview-page");
      gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      gtk_box_append (self->pages_box, picture);
    }
  self->n_pages = textures->len;
}

/**
 * wk_preview_view_show_document:
 * @self: the view
 * @document: (transfer full): the chart as it would print
 *
 * Shows every page of @document, rasterised in a worker thread.
 */
void
wk_preview_view_show_document (WkPreviewView *self, WkChartDocument *document)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *id = NULL;
  g_autofree char *title = NULL;
  RenderData      *data;
  int              width;
  guint            n = wk_chart_document_get_n_pages (document);

  g_return_if_fail (WK_IS_PREVIEW_VIEW (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  clear_pages (self);

  id = wk_chart_id_format (wk_chart_document_get_id (document));
  title = g_strdup_printf (g_dngettext (NULL, "Chart %s, %u page, exactly as it will print",
                                        "Chart %s, %u pages, exactly as they will print", n),
                           id, n);
  gtk_label_set_text (self->title_label, title);

  /* As wide as the view allows, a readable A4 on any screen the kiosk runs on. */
  width = gtk_widget_get_width (self->scroller) - 40;
  data = g_new0 (RenderData, 1);
  data->document = document;
  data->width = CLAMP (width, 560, 1400);
  task = g_task_new (NULL, self->cancellable, rendered_cb, self);
  g_task_set_task_data (task, data, (GDestroyNotify)render_data_free);
  g_task_run_in_thread (task, render_thread);
}

/**
 * wk_preview_view_clear:
 * @self: the view
 * @message: what the view says instead of pages ("Preparing the preview…")
 */
void
wk_preview_view_clear (WkPreviewView *self, const char *message)
{
  g_return_if_fail (WK_IS_PREVIEW_VIEW (self));

  g_cancellable_cancel (self->cancellable);
  clear_pages (self);
  gtk_label_set_text (self->title_label, message);
}

/**
 * wk_preview_view_get_n_pages_shown:
 * @self: the view
 *
 * Returns: how many pages are shown
 */
guint
wk_preview_view_get_n_pages_shown (WkPreviewView *self)
{
  g_return_val_if_fail (WK_IS_PREVIEW_VIEW (self), 0);
  return self->n_pages;
}

static void
wk_preview_view_dispose (GObject *object)
{
  WkPreviewView *self = WK_PREVIEW_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_PREVIEW_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_preview_view_parent_class)->dispose (object);
}

static void
wk_preview_view_class_init (WkPreviewViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_preview_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-preview-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkPreviewView, title_label);
  gtk_widget_class_bind_template_child (widget_class, WkPreviewView, scroller);
  gtk_widget_class_bind_template_child (widget_class, WkPreviewView, pages_box);
}

static void
wk_preview_view_init (WkPreviewView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
