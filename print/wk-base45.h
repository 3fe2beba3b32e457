/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-base45.h — Base45 (RFC 9285): binary as text in a QR code's alphanumeric mode. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char   *wk_base45_encode (const guint8 *data, gsize size);
guint8 *wk_base45_decode (const char *text, gsize length, gsize *size, GError **error);

G_END_DECLS
