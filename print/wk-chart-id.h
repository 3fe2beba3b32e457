/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-id.h — chart ids: eight Crockford base32 characters staff can read aloud. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The length of a chart id in characters, without the hyphen people see. */
#define WK_CHART_ID_LENGTH 8
/** The size of a chart id in bytes, as QR payloads hold it (40 bits). */
#define WK_CHART_ID_SIZE 5

char    *wk_chart_id_new (void);
char    *wk_chart_id_normalize (const char *text, GError **error);
char    *wk_chart_id_format (const char *id);
gboolean wk_chart_id_to_bytes (const char *id, guint8 bytes[WK_CHART_ID_SIZE]);
char    *wk_chart_id_from_bytes (const guint8 bytes[WK_CHART_ID_SIZE]);

G_END_DECLS
