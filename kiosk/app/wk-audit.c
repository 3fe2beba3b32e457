/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-audit.c — the kiosk's audit log: who saw and printed what, by model id.
 *
 * Every view of a patient and every print is logged through GLib structured logging
 * with its own domain, so that journald keeps it with fields a query can select
 * (`journalctl GLIB_DOMAIN=wardkeep-audit WK_AUDIT_ACTION=print`). Entries name the
 * person who unlocked the kiosk and the model's ids, never a patient identifier: the
 * model id leads back to the patient through the snapshot, which only the kiosk's key
 * opens. */

#include "wk-audit.h"

/**
 * wk_audit:
 * @who: (nullable): the person who unlocked the kiosk (name or initials as they typed it);
 *   %NULL while it is locked
 * @action: what happened, one word: `unlock`, `view`, `preview`, `print`, ...
 * @patient_id: the patient's model id, or 0
 * @format: the rest of the entry, in words (model ids only)
 *
 * Writes one audit entry at message level to the `wardkeep-audit` domain, with the
 * fields WK_AUDIT_ACTION, WK_AUDIT_WHO and WK_PATIENT_ID.
 */
void
wk_audit (const char *who, const char *action, gint64 patient_id, const char *format, ...)
{
  g_autofree char *detail = NULL;
  g_autofree char *message = NULL;
  g_autofree char *patient = NULL;
  va_list          args;

  g_return_if_fail (action != NULL);
  g_return_if_fail (format != NULL);

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  patient = patient_id != 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, patient_id) : g_strdup ("");
  message = g_strdup_printf ("audit: %s by %s%s%s", action, who != NULL ? who : "nobody (locked)",
                             *detail != '\0' ? ": " : "", detail);
  g_log_structured (WK_AUDIT_DOMAIN, G_LOG_LEVEL_MESSAGE, "WK_AUDIT_ACTION", action, "WK_AUDIT_WHO",
                    who != NULL ? who : "", "WK_PATIENT_ID", patient, "MESSAGE", "%s", message);
}
