/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-application.h — wardkeep-kiosk: the application, its options and signals. */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WK_TYPE_KIOSK_APPLICATION (wk_kiosk_application_get_type ())
G_DECLARE_FINAL_TYPE (
    WkKioskApplication, wk_kiosk_application, WK, KIOSK_APPLICATION, AdwApplication)

WkKioskApplication *wk_kiosk_application_new (void);

G_END_DECLS
