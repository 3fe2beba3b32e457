/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-nhs-number.h — NHS number validation (modulus 11) and 3-3-4 formatting. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean wk_nhs_number_validate (const char *digits, GError **error);
char    *wk_nhs_number_normalize (const char *text, GError **error);
char    *wk_nhs_number_format (const char *digits);
gboolean wk_nhs_number_is_test_range (const char *digits);

G_END_DECLS
