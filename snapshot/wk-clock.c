/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-clock.c — the clock behind the monitor: real (GLib main loop) or driven by a test. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-clock.h"

typedef struct
{
  gint64 (*get_monotonic) (WkClock *clock);
  gint64 (*get_wall) (WkClock *clock);
  guint (*add_timeout) (WkClock *clock, gint64 delay_us, WkClockFunc func, gpointer user_data);
  void (*remove_timeout) (WkClock *clock, guint id);
  void (*finalize) (WkClock *clock);
} WkClockClass;

struct _WkClock
{
  const WkClockClass *klass;
  gint                ref_count;

  /* Real clock. */
  GMainContext *context;

  /* Test clock. */
  gint64 monotonic;
  gint64 wall_offset; /* wall = monotonic + wall_offset */
  GList *pending;     /* TestTimeout, ordered by due time, then by id */
  guint  next_id;
};

/* ---- the real clock ---- */

typedef struct
{
  WkClockFunc func;
  gpointer    user_data;
} RealTimeout;

static gint64
real_get_monotonic (WkClock *clock)
{
  return g_get_monotonic_time ();
}

static gint64
real_get_wall (WkClock *clock)
{
  return g_get_real_time ();
}

static gboolean
real_timeout_cb (gpointer data)
{
  RealTimeout *timeout = data;

  timeout->func (timeout->user_data);
  return G_SOURCE_REMOVE;
}

static guint
real_add_timeout (WkClock *clock, gint64 delay_us, WkClockFunc func, gpointer user_data)
{
  RealTimeout *timeout = g_new (RealTimeout, 1);
  GSource     *source;
  guint        id;

  timeout->func = func;
  timeout->user_data = user_data;
  /* GLib timeouts count whole milliseconds on the monotonic clock; round up so that a
   * timeout never fires before its time. */
  source = g_timeout_source_new ((guint)MIN ((MAX (delay_us, 0) + 999) / 1000, G_MAXUINT));
  g_source_set_callback (source, real_timeout_cb, timeout, g_free);
  g_source_set_static_name (source, "[wardkeep] clock timeout");
  id = g_source_attach (source, clock->context);
  g_source_unref (source);
  return id;
}

static void
real_remove_timeout (WkClock *clock, guint id)
{
  GSource *source = g_main_context_find_source_by_id (clock->context, id);

  if (source != NULL)
    g_source_destroy (source);
}

static void
real_finalize (WkClock *clock)
{
  g_main_context_unref (clock->context);
}

static const WkClockClass real_class = {
  real_get_monotonic, real_get_wall, real_add_timeout, real_remove_timeout, real_finalize,
};

/* ---- the test clock ---- */

typedef struct
{
  guint       id;
  gint64      due;
  WkClockFunc func;
  gpointer    user_data;
} TestTimeout;

static gint64
test_get_monotonic (WkClock *clock)
{
  return clock->monotonic;
}

static gint64
test_get_wall (WkClock *clock)
{
  return clock->monotonic + clock->wall_offset;
}

static gint
compare_due (gconstpointer a, gconstpointer b)
{
  const TestTimeout *ta = a, *tb = b;

  if (ta->due != tb->due)
    return ta->due < tb->due ? -1 : 1;
  return ta->id < tb->id ? -1 : (ta->id > tb->id);
}

static guint
test_add_timeout (WkClock *clock, gint64 delay_us, WkClockFunc func, gpointer user_data)
{
  TestTimeout *timeout = g_new (TestTimeout, 1);

  timeout->id = ++clock->next_id;
  timeout->due = clock->monotonic + MAX (delay_us, 0);
  timeout->func = func;
  timeout->user_data = user_data;
  clock->pending = g_list_insert_sorted (clock->pending, timeout, compare_due);
  return timeout->id;
}

static void
test_remove_timeout (WkClock *clock, guint id)
{
  for (GList *l = clock->pending; l != NULL; l = l->next)
    {
      TestTimeout *timeout = l->data;

      if (timeout->id == id)
        {
          clock->pending = g_list_delete_link (clock->pending, l);
          g_free (timeout);
          return;
        }
    }
}

static void
test_finalize (WkClock *clock)
{
  g_list_free_full (clock->pending, g_free);
}

static const WkClockClass test_class = {
  test_get_monotonic, test_get_wall, test_add_timeout, test_remove_timeout, test_finalize,
};

/**
 * wk_clock_new_real:
 *
 * The real clock: monotonic and wall time from the system, timeouts on the thread-default
 * main context of the calling thread.
 *
 * Returns: (transfer full): a new clock
 */
WkClock *
wk_clock_new_real (void)
{
  WkClock *clock = g_new0 (WkClock, 1);

  clock->klass = &real_class;
  clock->ref_count = 1;
  clock->context = g_main_context_ref_thread_default ();
  return clock;
}

/**
 * wk_clock_new_test:
 * @wall_us: the wall time to start at, in microseconds since 1970 (UTC)
 *
 * A clock that stands still until wk_clock_test_advance() moves it. Its monotonic time
 * starts at an arbitrary value (not 0, which code must not treat as special).
 *
 * Returns: (transfer full): a new test clock
 */
WkClock *
wk_clock_new_test (gint64 wall_us)
{
  WkClock *clock = g_new0 (WkClock, 1);

  clock->klass = &test_class;
  clock->ref_count = 1;
  clock->monotonic = 1000 * G_USEC_PER_SEC;
  clock->wall_offset = wall_us - clock->monotonic;
  return clock;
}

/**
 * wk_clock_ref:
 * @clock: a #WkClock
 *
 * Returns: (transfer full): @clock
 */
WkClock *
wk_clock_ref (WkClock *clock)
{
  g_return_val_if_fail (clock != NULL, NULL);

  clock->ref_count++;
  return clock;
}

/**
 * wk_clock_unref:
 * @clock: (nullable) (transfer full): a #WkClock
 *
 * Drops a reference; the last one frees the clock. Timeouts still pending on a test clock
 * are dropped with it; the owner of a timeout on the real clock removes it first.
 */
void
wk_clock_unref (WkClock *clock)
{
  if (clock == NULL || --clock->ref_count > 0)
    return;
  clock->klass->finalize (clock);
  g_free (clock);
}

/**
 * wk_clock_get_monotonic:
 * @clock: a #WkClock
 *
 * Returns: monotonic time in microseconds: it never jumps and never goes back; the only
 *   time to take decisions on
 */
gint64
wk_clock_get_monotonic (WkClock *clock)
{
  g_return_val_if_fail (clock != NULL, 0);

  return clock->klass->get_monotonic (clock);
}

/**
 * wk_clock_get_wall:
 * @clock: a #WkClock
 *
 * Returns: wall time in microseconds since 1970 (UTC); for display and planned windows
 *   only, since it can jump either way
 */
gint64
wk_clock_get_wall (WkClock *clock)
{
  g_return_val_if_fail (clock != NULL, 0);

  return clock->klass->get_wall (clock);
}

/**
 * wk_clock_add_timeout:
 * @clock: a #WkClock
 * @delay_us: how long from now, in microseconds of monotonic time (negative is 0)
 * @func: (scope notified): called once when the timeout falls due
 * @user_data: passed to @func
 *
 * Returns: the timeout's id (never 0), for wk_clock_remove_timeout()
 */
guint
wk_clock_add_timeout (WkClock *clock, gint64 delay_us, WkClockFunc func, gpointer user_data)
{
  g_return_val_if_fail (clock != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);

  return clock->klass->add_timeout (clock, delay_us, func, user_data);
}

/**
 * wk_clock_remove_timeout:
 * @clock: a #WkClock
 * @id: a timeout id from wk_clock_add_timeout(); 0 and ids that have fired are ignored
 *
 * Cancels a timeout that has not fired yet.
 */
void
wk_clock_remove_timeout (WkClock *clock, guint id)
{
  g_return_if_fail (clock != NULL);

  if (id != 0)
    clock->klass->remove_timeout (clock, id);
}

/**
 * wk_clock_is_test:
 * @clock: a #WkClock
 *
 * Returns: %TRUE for a clock made by wk_clock_new_test()
 */
gboolean
wk_clock_is_test (WkClock *clock)
{
  g_return_val_if_fail (clock != NULL, FALSE);

  return clock->klass == &test_class;
}

/**
 * wk_clock_test_advance:
 * @clock: a test clock
 * @us: how far to move monotonic and wall time, in microseconds (0 fires what is due now)
 *
 * Moves the clock forward, firing every timeout that falls due on the way in order of due
 * time (the clock reads each one's due time while it runs), including timeouts those
 * callbacks add when they fall due before the end.
 */
void
wk_clock_test_advance (WkClock *clock, gint64 us)
{
  gint64 target;

  g_return_if_fail (clock != NULL && clock->klass == &test_class);
  g_return_if_fail (us >= 0);

  target = clock->monotonic + us;
  while (clock->pending != NULL && ((TestTimeout *)clock->pending->data)->due <= target)
    {
      TestTimeout *timeout = clock->pending->data;

      clock->pending = g_list_delete_link (clock->pending, clock->pending);
      clock->monotonic = MAX (clock->monotonic, timeout->due);
      timeout->func (timeout->user_data);
      g_free (timeout);
    }
  clock->monotonic = target;
}

/**
 * wk_clock_test_jump_wall:
 * @clock: a test clock
 * @delta_us: how far the wall clock jumps (negative: backwards)
 *
 * Sets the wall clock as NTP or a person would, without moving monotonic time and without
 * firing anything.
 */
void
wk_clock_test_jump_wall (WkClock *clock, gint64 delta_us)
{
  g_return_if_fail (clock != NULL && clock->klass == &test_class);

  clock->wall_offset += delta_us;
}

/**
 * wk_clock_test_get_n_pending:
 * @clock: a test clock
 *
 * Returns: how many timeouts are waiting to fire
 */
guint
wk_clock_test_get_n_pending (WkClock *clock)
{
  g_return_val_if_fail (clock != NULL && clock->klass == &test_class, 0);

  return g_list_length (clock->pending);
}
