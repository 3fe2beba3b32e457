/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-admin-view.h — declare or end downtime, start or stop a drill, with the admin PIN. */

#pragma once

#include "wk-kiosk.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_ADMIN_VIEW (wk_admin_view_get_type ())
G_DECLARE_FINAL_TYPE (WkAdminView, wk_admin_view, WK, ADMIN_VIEW, GtkWidget)

void        wk_admin_view_set_kiosk (WkAdminView *self, WkKiosk *kiosk);
void        wk_admin_view_reset (WkAdminView *self);
const char *wk_admin_view_get_message (WkAdminView *self);

G_END_DECLS
