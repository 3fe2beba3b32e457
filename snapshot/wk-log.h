/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-log.h — structured logging to journald or stderr, with patient identifiers kept out. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkLogTapFunc:
 * @level: the message's level
 * @domain: (nullable): its log domain
 * @message: the message, already redacted
 * @user_data: the data given to wk_log_set_tap()
 *
 * Sees every message that is written (tests, and the daemon's "last error").
 */
typedef void (*WkLogTapFunc) (GLogLevelFlags level,
                              const char    *domain,
                              const char    *message,
                              gpointer       user_data);

void  wk_log_init (const char *program);
void  wk_log_set_debug (gboolean debug);
void  wk_log_set_tap (WkLogTapFunc func, gpointer user_data);
char *wk_log_redact (const char *message);

G_END_DECLS
