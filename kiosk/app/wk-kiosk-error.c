/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-error.c — the error domain of the kiosk's own code. */

#include "wk-kiosk-error.h"

G_DEFINE_QUARK (wardkeep - kiosk - error - quark, wk_kiosk_error)
