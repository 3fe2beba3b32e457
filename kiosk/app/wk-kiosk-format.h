/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-format.h — times, ages and places in the words the ward's screens use. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *wk_kiosk_format_clock (GTimeZone *tz, gint64 utc, gint64 now);
char *wk_kiosk_format_duration (gint64 seconds);
char *wk_kiosk_format_ago (gint64 seconds);
char *wk_kiosk_format_birth_date (const char *iso);
char *wk_kiosk_format_bay (const char *bay);
char *wk_kiosk_format_location (const char *bay, const char *bed);

G_END_DECLS
