/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-preview-view.h — the pages of a chart exactly as they would print, from memory. */

#pragma once

#include "wk-chart-document.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_PREVIEW_VIEW (wk_preview_view_get_type ())
G_DECLARE_FINAL_TYPE (WkPreviewView, wk_preview_view, WK, PREVIEW_VIEW, GtkWidget)

void  wk_preview_view_show_document (WkPreviewView *self, WkChartDocument *document);
void  wk_preview_view_clear (WkPreviewView *self, const char *message);
guint wk_preview_view_get_n_pages_shown (WkPreviewView *self);

G_END_DECLS
