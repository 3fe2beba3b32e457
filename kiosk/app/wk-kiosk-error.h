/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-error.h — the error domain of the kiosk's own code. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WK_KIOSK_ERROR (wk_kiosk_error_quark ())

/**
 * WkKioskError:
 * @WK_KIOSK_ERROR_FAILED: anything not covered below
 * @WK_KIOSK_ERROR_PIN_FORMAT: a PIN is not 4 to 12 digits
 * @WK_KIOSK_ERROR_PIN_STATE: the count of wrong PINs cannot be kept (its folder is not
 *   writable): no PIN is checked
 * @WK_KIOSK_ERROR_DAEMON: the daemon refused a request or cannot be reached
 * @WK_KIOSK_ERROR_PRINT: printing failed
 * @WK_KIOSK_ERROR_NOT_UNLOCKED: the action needs the kiosk unlocked
 *
 * Error codes of %WK_KIOSK_ERROR.
 */
typedef enum
{
  WK_KIOSK_ERROR_FAILED,
  WK_KIOSK_ERROR_PIN_FORMAT,
  WK_KIOSK_ERROR_PIN_STATE,
  WK_KIOSK_ERROR_DAEMON,
  WK_KIOSK_ERROR_PRINT,
  WK_KIOSK_ERROR_NOT_UNLOCKED,
} WkKioskError;

GQuark wk_kiosk_error_quark (void);

G_END_DECLS
