/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-error.c — the error domain of libwk-print. */

#include "wk-print-error.h"

G_DEFINE_QUARK (wardkeep - print - error - quark, wk_print_error)
