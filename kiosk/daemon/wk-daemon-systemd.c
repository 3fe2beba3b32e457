/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-daemon-systemd.c — telling systemd: ready, status, stopping, and the watchdog. */

#define G_LOG_DOMAIN "wardkeepd"

#include "wk-daemon-private.h"

#include <systemd/sd-daemon.h>

/**
 * _wk_daemon_notify_ready:
 * @daemon: the daemon
 *
 * READY=1 (Type=notify), with the first status line.
 */
void
_wk_daemon_notify_ready (WkDaemon *self)
{
  g_autofree char *status = g_strdup_printf (
      "STATUS=%s: %s", wk_monitor_state_to_string (wk_monitor_get_state (self->monitor)),
      wk_monitor_get_reason (self->monitor));

  sd_notify (0, "READY=1");
  sd_notify (0, status);
  g_message ("Ready: ward %s, %s", self->ward_id,
             wk_monitor_state_to_string (wk_monitor_get_state (self->monitor)));
}

/**
 * _wk_daemon_notify_status:
 * @daemon: the daemon
 * @status: one line for `systemctl status`
 */
void
_wk_daemon_notify_status (WkDaemon *self, const char *status)
{
  g_autofree char *line = g_strconcat ("STATUS=", status, NULL);

  sd_notify (0, line);
}

/**
 * _wk_daemon_notify_stopping:
 *
 * STOPPING=1.
 */
void
_wk_daemon_notify_stopping (void)
{
  sd_notify (0, "STOPPING=1");
}

static gboolean
watchdog_cb (gpointer data)
{
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/**
 * _wk_daemon_start_watchdog:
 *
 * When systemd watches the daemon (WatchdogSec=), keeps it alive from the main loop at
 * half the interval: a main loop that blocks stops the keep-alives, and systemd restarts
 * the daemon.
 *
 * Returns: the timer's source id, or 0 when there is no watchdog
 */
guint
_wk_daemon_start_watchdog (void)
{
  uint64_t usec = 0;

  if (sd_watchdog_enabled (0, &usec) <= 0 || usec == 0)
    return 0;
  g_message ("systemd watchdog every %.1f s: keep-alives every %.1f s", usec / 1e6, usec / 2e6);
  sd_notify (0, "WATCHDOG=1");
  return g_timeout_add (MAX (usec / 2000, 1), watchdog_cb, NULL);
}
