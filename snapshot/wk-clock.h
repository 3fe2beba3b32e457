/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-clock.h — the clock behind the monitor: real (GLib main loop) or driven by a test. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkClock:
 *
 * Time as the health monitor and the probes see it, behind a small vtable so that tests
 * can drive it: monotonic time (for every decision: counting intervals, timeouts,
 * confirmation delays), wall time (UTC, only for display and for planned downtime
 * windows, which people write in wall time), and one-shot timeouts scheduled on the
 * monotonic time.
 *
 * The real clock reads g_get_monotonic_time() and g_get_real_time() and schedules its
 * timeouts as GLib timeout sources on the thread-default main context of the thread that
 * created it (which GLib runs on the monotonic clock too). The test clock stands still
 * until the test advances it; it then fires every timeout that has fallen due, in order
 * of due time, each with the clock set to its due time. Its wall time can jump (forwards
 * or backwards) without the monotonic time moving, as a real wall clock does when NTP or
 * a person sets it.
 *
 * A clock is reference counted and used from one thread.
 */
typedef struct _WkClock WkClock;

/**
 * WkClockFunc:
 * @user_data: the data given to wk_clock_add_timeout()
 *
 * Called once when a timeout falls due.
 */
typedef void (*WkClockFunc) (gpointer user_data);

WkClock *wk_clock_new_real (void);
WkClock *wk_clock_new_test (gint64 wall_us);
WkClock *wk_clock_ref (WkClock *clock);
void     wk_clock_unref (WkClock *clock);

gint64 wk_clock_get_monotonic (WkClock *clock);
gint64 wk_clock_get_wall (WkClock *clock);
guint  wk_clock_add_timeout (WkClock *clock, gint64 delay_us, WkClockFunc func, gpointer user_data);
void   wk_clock_remove_timeout (WkClock *clock, guint id);

gboolean wk_clock_is_test (WkClock *clock);
void     wk_clock_test_advance (WkClock *clock, gint64 us);
void     wk_clock_test_jump_wall (WkClock *clock, gint64 delta_us);
guint    wk_clock_test_get_n_pending (WkClock *clock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkClock, wk_clock_unref)

G_END_DECLS
