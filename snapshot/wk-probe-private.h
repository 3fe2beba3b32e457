/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-probe-private.h — the HTTP status-line reader, shared with its fuzz target. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkStatusLine:
 * @WK_STATUS_LINE_INCOMPLETE: no end of line yet; read more
 * @WK_STATUS_LINE_OK: a status line, with its status
 * @WK_STATUS_LINE_MALFORMED: the first line is not "HTTP/d.d NNN ..."
 */
typedef enum
{
  WK_STATUS_LINE_INCOMPLETE,
  WK_STATUS_LINE_OK,
  WK_STATUS_LINE_MALFORMED,
} WkStatusLine;

WkStatusLine _wk_probe_parse_status_line (const char *data, gsize length, guint *status);
char        *_wk_probe_format_duration (gint64 us);

G_END_DECLS
