/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-window.h — the kiosk's one window: banner, toolbar and the screens. */

#pragma once

#include "wk-kiosk.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define WK_TYPE_KIOSK_WINDOW (wk_kiosk_window_get_type ())
G_DECLARE_FINAL_TYPE (WkKioskWindow, wk_kiosk_window, WK, KIOSK_WINDOW, AdwApplicationWindow)

WkKioskWindow             *
wk_kiosk_window_new (GtkApplication *application, WkKiosk *kiosk, gboolean kiosk_mode);
WkKiosk    *wk_kiosk_window_get_kiosk (WkKioskWindow *self);
const char *wk_kiosk_window_get_page (WkKioskWindow *self);
void        wk_kiosk_window_open_patient (WkKioskWindow *self, gint64 patient_id);
void        wk_kiosk_window_allow_close (WkKioskWindow *self);
void        wk_kiosk_window_set_exit_when_drawn (WkKioskWindow *self, gboolean exit_when_drawn);

void wk_kiosk_load_style (void);

G_END_DECLS
