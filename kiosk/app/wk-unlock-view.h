/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-unlock-view.h — who you are and the ward PIN, to unlock the kiosk. */

#pragma once

#include "wk-kiosk.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_UNLOCK_VIEW (wk_unlock_view_get_type ())
G_DECLARE_FINAL_TYPE (WkUnlockView, wk_unlock_view, WK, UNLOCK_VIEW, GtkWidget)

void        wk_unlock_view_set_kiosk (WkUnlockView *self, WkKiosk *kiosk);
void        wk_unlock_view_reset (WkUnlockView *self);
const char *wk_unlock_view_get_message (WkUnlockView *self);
gboolean    wk_unlock_view_is_busy (WkUnlockView *self);

G_END_DECLS
