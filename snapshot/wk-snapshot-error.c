/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-snapshot-error.c — the error domain of libwk-snapshot. */

#include "wk-snapshot-error.h"

G_DEFINE_QUARK (wardkeep - snapshot - error - quark, wk_snapshot_error)
