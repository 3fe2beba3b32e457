/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-monitor.c — libFuzzer target for the health monitor's parsers: the saved episode a
 * restarted daemon restores, the HTTP status line a probe reads, and planned window
 * times. Any input must give a value or a clear error, never a crash, leak or sanitizer
 * report; a restored state must save and restore again to the same thing. */

#include "wk-config.h"
#include "wk-monitor.h"
#include "wk-probe-private.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* 2026-03-01T01:00:00Z */
#define START_WALL (G_GINT64_CONSTANT (1772326800) * G_USEC_PER_SEC)

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, data);
}

static WkMonitor *
monitor_new (WkClock *clock)
{
  WkMonitor *monitor = wk_monitor_new (clock, NULL);

  g_assert_true (wk_monitor_add_planned_window (
      monitor, "epr-upgrade", START_WALL + G_GINT64_CONSTANT (600) * G_USEC_PER_SEC,
      START_WALL + G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC, "EPR upgrade", NULL));
  return monitor;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean  once;
  g_autofree char *text = g_strndup ((const char *)data, size);
  g_autoptr (GTimeZone) london = g_time_zone_new_identifier ("Europe/London");
  g_autoptr (WkClock) clock = wk_clock_new_test (START_WALL);
  g_autoptr (WkMonitor) monitor = NULL;
  g_autoptr (GError) error = NULL;
  guint  status = 0;
  gint64 us;

  if (!once)
    {
      g_log_set_writer_func (quiet_writer, NULL, NULL);
      once = TRUE;
    }

  /* The status line: complete, incomplete or malformed, and a status only when complete. */
  switch (_wk_probe_parse_status_line ((const char *)data, size, &status))
    {
    case WK_STATUS_LINE_OK:
      g_assert_cmpuint (status, >=, 100);
      g_assert_cmpuint (status, <=, 999);
      break;
    case WK_STATUS_LINE_INCOMPLETE:
      g_assert_null (memchr (data, '\n', size));
      break;
    case WK_STATUS_LINE_MALFORMED:
      break;
    }

  if (!wk_config_parse_time (text, london, &us, &error))
    g_assert_nonnull (error);
  g_clear_error (&error);

  /* A saved state: refused with a reason, or restored; then it saves and restores again
   * to the same text, and the monitor starts and stops on it. */
  monitor = monitor_new (clock);
  if (wk_monitor_restore_from_data (monitor, (const char *)data, size, &error))
    {
      g_autofree char *saved = wk_monitor_save_to_data (monitor);
      g_autoptr (WkMonitor) again = monitor_new (clock);
      g_autofree char *saved_again = NULL;

      g_assert_no_error (error);
      g_assert_true (wk_monitor_restore_from_data (again, saved, -1, &error));
      g_assert_no_error (error);
      saved_again = wk_monitor_save_to_data (again);
      g_assert_cmpstr (saved, ==, saved_again);
      wk_monitor_start (monitor);
      wk_clock_test_advance (clock, G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC);
      wk_monitor_stop (monitor);
    }
  else
    g_assert_nonnull (error);
  return 0;
}
