/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-view.h — ward actions: print the ward or the census, printers, the queue. */

#pragma once

#include "wk-kiosk.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_PRINT_VIEW (wk_print_view_get_type ())
G_DECLARE_FINAL_TYPE (WkPrintView, wk_print_view, WK, PRINT_VIEW, GtkWidget)

void wk_print_view_set_kiosk (WkPrintView *self, WkKiosk *kiosk);
void wk_print_view_set_message (WkPrintView *self, const char *message, gboolean problem);
void wk_print_view_set_busy (WkPrintView *self, gboolean busy);

G_END_DECLS
