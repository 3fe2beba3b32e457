/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-status-banner.h — the always-visible banner: mode, since when, data age, health. */

#pragma once

#include "wk-kiosk.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_STATUS_BANNER (wk_status_banner_get_type ())
G_DECLARE_FINAL_TYPE (WkStatusBanner, wk_status_banner, WK, STATUS_BANNER, GtkWidget)

void        wk_status_banner_set_kiosk (WkStatusBanner *self, WkKiosk *kiosk);
void        wk_status_banner_update (WkStatusBanner *self);
const char *wk_status_banner_get_mode_text (WkStatusBanner *self);

G_END_DECLS
