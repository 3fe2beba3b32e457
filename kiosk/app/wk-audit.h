/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-audit.h — the kiosk's audit log: who saw and printed what, by model id. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The log domain of audit entries (journalctl GLIB_DOMAIN=wardkeep-audit). */
#define WK_AUDIT_DOMAIN "wardkeep-audit"

void wk_audit (const char *who, const char *action, gint64 patient_id, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

G_END_DECLS
