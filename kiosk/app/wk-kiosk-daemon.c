/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-daemon.c — the kiosk's link to wardkeepd: status, events, requests. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-error.h"
#include "wk-kiosk-private.h"

#include <glib/gi18n.h>

void
_wk_kiosk_daemon_start (WkKiosk *self)
{
}

void
_wk_kiosk_daemon_dispose (WkKiosk *self)
{
}

gboolean
_wk_kiosk_daemon_is_connected (WkKiosk *self)
{
  return FALSE;
}
