/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-pin-pad.h — a PIN entry with a keypad big enough for gloved fingers. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_PIN_PAD (wk_pin_pad_get_type ())
G_DECLARE_FINAL_TYPE (WkPinPad, wk_pin_pad, WK, PIN_PAD, GtkWidget)

void        wk_pin_pad_set_prefix (WkPinPad *self, const char *prefix);
const char *wk_pin_pad_get_pin (WkPinPad *self);
void        wk_pin_pad_clear (WkPinPad *self);
GtkWidget  *wk_pin_pad_get_entry (WkPinPad *self);

G_END_DECLS
