/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-print.c — printing from the kiosk: through the daemon, or by itself. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-error.h"
#include "wk-kiosk-private.h"

#include <glib/gi18n.h>

void
_wk_kiosk_printing_dispose (WkKiosk *self)
{
}

void
wk_kiosk_print_async (WkKiosk            *self,
                      WkPrintWhat         what,
                      gint64              patient_id,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT, "not yet");
}

char *
wk_kiosk_print_finish (WkKiosk *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
wk_kiosk_retry_async (WkKiosk            *self,
                      const char         *chart,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PRINT, "not yet");
}

char *
wk_kiosk_retry_finish (WkKiosk *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
wk_kiosk_admin_async (WkKiosk            *self,
                      const char         *method,
                      const char         *pin,
                      const char         *who,
                      const char         *reason,
                      const char         *scenario,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_DAEMON, "not yet");
}

char *
wk_kiosk_admin_finish (WkKiosk *self, GAsyncResult *result, WkPinOutcome *outcome, GError **error)
{
  memset (outcome, 0, sizeof *outcome);
  return g_task_propagate_pointer (G_TASK (result), error);
}
