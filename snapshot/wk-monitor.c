/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-monitor.c — the health monitor: is the ward online, or must it be on paper? */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-monitor.h"

#include "wk-model-private.h"
#include "wk-probe-private.h"
#include "wk-snapshot-error.h"

#include <string.h>

/* A wall clock that moves this much against the monotonic clock has jumped. */
#define CLOCK_JUMP_US (30 * G_USEC_PER_SEC)
#define SAVED_VERSION 1

/* Where the printing of an episode stands: the daemon prints once per episode. */
typedef enum
{
  PRINT_NONE,    /* no episode */
  PRINT_WAITING, /* the confirmation delay runs */
  PRINT_DUE,     /* PRINT_NOW was emitted; the daemon has not acknowledged it yet */
  PRINT_DONE,    /* the daemon acknowledged it */
} PrintState;

static const char *const print_names[] = { "none", "waiting", "due", "done" };
static const char *const state_names[] = { "online", "suspect", "downtime", "recovering", "drill" };
static const char *const event_names[]
    = { "state-changed",   "print-now",   "probe-result",       "warning",
        "warning-cleared", "drill-phase", "real-state-changed", "clock-jump" };

/* One probe, its schedule and what its runs found. Reference counted because a run in
 * flight outlives a stopped monitor until its cancellation comes back. */
typedef struct
{
  gint           ref_count;
  WkMonitor     *monitor; /* NULL once the monitor has stopped */
  WkProbe       *probe;
  guint          timer;
  gint64         due;
  GCancellable  *cancellable; /* the run in flight, or NULL */
  gint64         run_started;
  WkProbeResult *last;
  guint          fail_streak;
  guint          ok_streak;
  gboolean       failing_warned;
  guint          drill_fail_streak; /* an outage drill's forced failures */
  gboolean       drill_counted;
} Slot;

typedef enum
{
  WINDOW_WAITING,
  WINDOW_LEAD, /* charts printed; the window has not started */
  WINDOW_ACTIVE,
  WINDOW_DONE,
} WindowStage;

/* A planned downtime window, anchored to the monotonic clock when it is added: a wall
 * clock that jumps later neither starts nor ends it. */
typedef struct
{
  WkMonitor  *monitor;
  char       *name;
  char       *reason;
  gint64      start_wall;
  gint64      end_wall;
  gint64      lead_at; /* monotonic */
  gint64      start_at;
  gint64      end_at; /* G_MAXINT64: until stopped (a drill's) */
  guint       timer;
  WindowStage stage;
  WkEpisode  *episode; /* opened at the lead time */
  PrintState  print;
  gboolean    drill;
} Window;

struct _WkMonitor
{
  GObject parent_instance;

  WkClock          *clock;
  WkMonitorSettings settings;
  GPtrArray        *slots;
  GPtrArray        *windows;
  gboolean          started;

  /* The real monitor: probes, declarations and planned windows. */
  gboolean       down; /* the probes say the central systems are down */
  gboolean       hold; /* a person declared downtime */
  char          *hold_reason;
  char          *hold_who;
  WkEpisode     *episode;
  PrintState     print;
  guint          confirm_timer;
  WkMonitorState real_state;
  char          *real_reason;
  char          *ended_note; /* who ended the last downtime, for the ONLINE reason */

  /* The drill, when one is on. */
  WkEpisode     *drill;
  WkMonitorState drill_phase;
  char          *drill_reason;
  PrintState     drill_print;
  guint          drill_confirm_timer;
  Window        *drill_window;

  /* What everybody sees. */
  WkMonitorState state;
  gint64         since;
  gint64         since_wall;

  gint64   last_feed;
  guint    feed_timer;
  gboolean feed_silent;
  gint64   wall_offset;
};

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WkMonitor, wk_monitor, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (WkMonitorEvent, wk_monitor_event, wk_monitor_event_copy, wk_monitor_event_free)

static void update (WkMonitor *self);
static void slot_schedule (Slot *slot);

/* ---- events ---- */

/**
 * wk_monitor_event_copy:
 * @event: a #WkMonitorEvent
 *
 * Returns: (transfer full): a deep copy, to keep after the signal handler returns
 */
WkMonitorEvent *
wk_monitor_event_copy (const WkMonitorEvent *event)
{
  WkMonitorEvent *copy;

  g_return_val_if_fail (event != NULL, NULL);

  copy = g_memdup2 (event, sizeof *event);
  copy->reason = g_strdup (event->reason);
  copy->episode = event->episode != NULL ? wk_episode_copy (event->episode) : NULL;
  copy->probe = g_strdup (event->probe);
  copy->result = event->result != NULL ? wk_probe_result_copy (event->result) : NULL;
  return copy;
}

/**
 * wk_monitor_event_free:
 * @event: (nullable) (transfer full): a copied #WkMonitorEvent
 */
void
wk_monitor_event_free (WkMonitorEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->reason);
  wk_episode_free (event->episode);
  g_free (event->probe);
  wk_probe_result_free (event->result);
  g_free (event);
}

static void
emit (WkMonitor *self, WkMonitorEvent *event)
{
  event->monotonic_us = wk_clock_get_monotonic (self->clock);
  event->wall_us = wk_clock_get_wall (self->clock);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

/**
 * wk_monitor_state_to_string:
 * @state: a #WkMonitorState
 *
 * Returns: "online", "suspect", "downtime", "recovering" or "drill"
 */
const char *
wk_monitor_state_to_string (WkMonitorState state)
{
  g_return_val_if_fail ((guint)state < G_N_ELEMENTS (state_names), NULL);

  return state_names[state];
}

/**
 * wk_monitor_event_kind_to_string:
 * @kind: a #WkMonitorEventKind
 *
 * Returns: its name for logs and reports: "state-changed", "print-now", "probe-result",
 *   "warning", "warning-cleared", "drill-phase", "real-state-changed" or "clock-jump"
 */
const char *
wk_monitor_event_kind_to_string (WkMonitorEventKind kind)
{
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (event_names), NULL);

  return event_names[kind];
}

static char *
format_wall (gint64 wall_us)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

/* The probes' latest results, "pas: connection refused; epr: HTTP 503 (expected 200)". */
static char *
describe_probes (WkMonitor *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (out->len > 0)
        g_string_append (out, "; ");
      g_string_append_printf (out, "%s: %s", wk_probe_get_name (slot->probe),
                              slot->last != NULL ? slot->last->reason : "not run yet");
    }
  return g_string_free (out, FALSE);
}

/* ---- the public state ---- */

static void
set_public (WkMonitor *self, WkMonitorState state, const char *reason, gboolean taken_over)
{
  WkMonitorEvent event = { WK_MONITOR_EVENT_STATE_CHANGED };

  if (state == self->state)
    return;
  event.old_state = self->state;
  event.state = state;
  event.reason = (char *)reason;
  event.episode = state == WK_MONITOR_DRILL ? self->drill : self->episode;
  event.drill = state == WK_MONITOR_DRILL;
  event.drill_taken_over = taken_over;
  self->state = state;
  self->since = wk_clock_get_monotonic (self->clock);
  self->since_wall = wk_clock_get_wall (self->clock);
  g_message ("monitor: %s -> %s: %s", state_names[event.old_state], state_names[state], reason);
  emit (self, &event);
}

/* ---- printing, once per episode ---- */

static void
emit_print_now (WkMonitor *self, WkEpisode *episode, gboolean drill, const char *reason)
{
  WkMonitorEvent event = { WK_MONITOR_EVENT_PRINT_NOW };

  event.reason = (char *)reason;
  event.episode = episode;
  event.drill = drill;
  g_message ("monitor: print the ward now for %s episode %s: %s",
             wk_episode_kind_to_string (episode->kind), episode->id, reason);
  emit (self, &event);
}

static void
confirm_timer_cb (gpointer data)
{
  WkMonitor       *self = data;
  g_autofree char *delay = _wk_probe_format_duration (self->settings.confirmation_delay_us);
  g_autofree char *reason = NULL;

  self->confirm_timer = 0;
  self->print = PRINT_DUE;
  reason = g_strdup_printf ("downtime confirmed (it lasted the confirmation delay of %s): %s",
                            delay, self->real_reason);
  emit_print_now (self, self->episode, FALSE, reason);
}

/* Prints a new episode: at once for a person's declaration or a planned window, after
 * the confirmation delay for what the probes found. */
static void
start_printing (WkMonitor *self)
{
  g_autofree char *reason = NULL;

  if (self->episode->kind == WK_EPISODE_OUTAGE && self->settings.confirmation_delay_us > 0)
    {
      self->print = PRINT_WAITING;
      self->confirm_timer = wk_clock_add_timeout (self->clock, self->settings.confirmation_delay_us,
                                                  confirm_timer_cb, self);
      return;
    }
  self->print = PRINT_DUE;
  reason = g_strdup_printf ("downtime: %s", self->real_reason);
  emit_print_now (self, self->episode, FALSE, reason);
}

/* ---- windows ---- */

static void
window_free (Window *window)
{
  if (window->timer != 0)
    wk_clock_remove_timeout (window->monitor->clock, window->timer);
  g_free (window->name);
  g_free (window->reason);
  wk_episode_free (window->episode);
  g_free (window);
}

static Window *
find_window (WkMonitor *self, const char *name)
{
  for (guint i = 0; i < self->windows->len; i++)
    {
      Window *window = self->windows->pdata[i];

      if (strcmp (window->name, name) == 0)
        return window;
    }
  return NULL;
}

static Window *
active_window (WkMonitor *self)
{
  for (guint i = 0; i < self->windows->len; i++)
    {
      Window *window = self->windows->pdata[i];

      if (window->stage == WINDOW_ACTIVE)
        return window;
    }
  return NULL;
}

/* A window whose charts are printed (or due) and that has not ended. */
static Window *
pending_window (WkMonitor *self)
{
  for (guint i = 0; i < self->windows->len; i++)
    {
      Window *window = self->windows->pdata[i];

      if (window->episode != NULL
          && (window->stage == WINDOW_LEAD || window->stage == WINDOW_ACTIVE))
        return window;
    }
  return NULL;
}

static void drill_end (WkMonitor *self);
static void check_clock_jump (WkMonitor *self);
static void drill_set_phase (WkMonitor *self, WkMonitorState phase, const char *reason);
static void drill_print (WkMonitor *self, const char *reason);

static void
window_lead (Window *window)
{
  WkMonitor       *self = window->monitor;
  g_autofree char *in = _wk_probe_format_duration (
      MAX (window->start_at - wk_clock_get_monotonic (self->clock), 0));
  g_autofree char *reason = NULL;

  if (window->drill)
    {
      reason = g_strdup_printf ("planned downtime (drill) starts in %s", in);
      drill_print (self, reason);
      return;
    }

  /* Restored after a restart: its charts were printed, or are due again. */
  if (window->episode != NULL)
    {
      if (window->print == PRINT_DUE
          && (self->episode == NULL || strcmp (self->episode->id, window->episode->id) != 0))
        {
          reason = g_strdup_printf ("planned downtime %s starts in %s (printing again: the "
                                    "print was not confirmed before the restart)",
                                    window->name, in);
          emit_print_now (self, window->episode, FALSE, reason);
        }
      return;
    }
  /* Already on paper: the window joins the episode that is on. */
  if (self->episode != NULL)
    return;

  reason
      = g_strdup_printf ("planned downtime %s starts in %s: %s", window->name, in, window->reason);
  if (self->drill != NULL)
    {
      g_autofree char *over = g_strdup_printf ("%s; the drill is over", reason);

      drill_end (self);
      set_public (self, self->real_state, over, TRUE);
    }
  window->episode = wk_episode_new (WK_EPISODE_PLANNED, reason);
  window->episode->window = g_strdup (window->name);
  window->episode->started_us = wk_clock_get_monotonic (self->clock);
  window->episode->started_wall_us = wk_clock_get_wall (self->clock);
  window->print = PRINT_DUE;
  emit_print_now (self, window->episode, FALSE, reason);
}

static void
window_begin (Window *window)
{
  WkMonitor *self = window->monitor;

  if (window->drill)
    {
      drill_set_phase (self, WK_MONITOR_DOWNTIME, "planned downtime (drill) started");
      return;
    }
  g_message ("monitor: planned downtime %s starts", window->name);
}

static void window_timer_cb (gpointer data);

/* Moves a window through every stage whose time has come, then waits for the next. The
 * caller updates the state afterwards. */
static void
window_step (Window *window)
{
  WkMonitor *self = window->monitor;
  gint64     now = wk_clock_get_monotonic (self->clock);
  gboolean   drill = window->drill;

  if (window->timer != 0)
    {
      wk_clock_remove_timeout (self->clock, window->timer);
      window->timer = 0;
    }
  /* A window that is over (before the monitor started) prints nothing and holds nothing. */
  if (now >= window->end_at)
    {
      window->stage = WINDOW_DONE;
      return;
    }
  while (window->stage != WINDOW_DONE)
    {
      gint64 next = window->stage == WINDOW_WAITING ? window->lead_at
                    : window->stage == WINDOW_LEAD  ? window->start_at
                                                    : window->end_at;

      if (now < next)
        {
          if (next != G_MAXINT64)
            window->timer = wk_clock_add_timeout (self->clock, next - now, window_timer_cb, window);
          break;
        }
      window->stage++;
      if (window->stage == WINDOW_LEAD)
        window_lead (window);
      else if (window->stage == WINDOW_ACTIVE)
        window_begin (window);
      else
        g_message ("monitor: planned downtime %s ends", window->name);
      /* A drill window may have gone with its drill (a handler stopped it). */
      if (drill && self->drill_window != window)
        return;
    }
}

static void
window_timer_cb (gpointer data)
{
  Window    *window = data;
  WkMonitor *self = window->monitor;

  window->timer = 0;
  check_clock_jump (self);
  window_step (window);
  update (self);
}

/* ---- the real state ---- */

static gboolean
all_failing (WkMonitor *self)
{
  if (self->slots->len == 0)
    return FALSE;
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (slot->last == NULL || slot->last->ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
any_ok (WkMonitor *self)
{
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (slot->last != NULL && slot->last->ok)
        return TRUE;
    }
  return FALSE;
}

static gboolean
confirmed (WkMonitor *self)
{
  if (self->slots->len == 0)
    return FALSE;
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (slot->fail_streak < self->settings.failures_to_confirm)
        return FALSE;
    }
  return TRUE;
}

static guint
best_ok_streak (WkMonitor *self)
{
  guint best = 0;

  for (guint i = 0; i < self->slots->len; i++)
    best = MAX (best, ((Slot *)self->slots->pdata[i])->ok_streak);
  return best;
}

static guint
least_fail_streak (WkMonitor *self)
{
  guint least = G_MAXUINT;

  for (guint i = 0; i < self->slots->len; i++)
    least = MIN (least, ((Slot *)self->slots->pdata[i])->fail_streak);
  return least;
}

/* The state the probes, declarations and windows call for, without any drill. */
static WkMonitorState
compute_real (WkMonitor *self, char **reason)
{
  g_autofree char *probes = describe_probes (self);
  Window          *window = active_window (self);
  guint            n = self->settings.failures_to_confirm;
  guint            m = self->settings.successes_to_recover;

  if (self->hold)
    {
      *reason = g_strdup_printf ("declared by %s: %s", self->hold_who, self->hold_reason);
      return WK_MONITOR_DOWNTIME;
    }
  if (window != NULL)
    {
      *reason = g_strdup_printf ("planned downtime %s: %s", window->name, window->reason);
      return WK_MONITOR_DOWNTIME;
    }
  if (self->down)
    {
      *reason = g_strdup_printf ("the central systems do not answer (%s)", probes);
      return WK_MONITOR_DOWNTIME;
    }
  if (self->episode != NULL)
    {
      guint best = best_ok_streak (self);

      if (self->slots->len == 0 || best >= m)
        {
          if (self->ended_note != NULL)
            *reason = g_strdup_printf ("%s (%s)", self->ended_note, probes);
          else
            *reason = g_strdup_printf ("the central systems answer again (%s)", probes);
          return WK_MONITOR_ONLINE;
        }
      *reason = g_strdup_printf ("%u of %u answers in a row before online (%s)", best, m, probes);
      return WK_MONITOR_RECOVERING;
    }
  if (all_failing (self))
    {
      *reason = g_strdup_printf ("every probe fails, %u of %u times in a row before downtime (%s)",
                                 least_fail_streak (self), n, probes);
      return WK_MONITOR_SUSPECT;
    }
  if (self->slots->len == 0)
    *reason = g_strdup ("no probes configured: downtime only when declared or planned");
  else if (self->ended_note != NULL)
    *reason = g_strdup_printf ("%s (%s)", self->ended_note, probes);
  else
    *reason = g_strdup_printf ("the central systems answer (%s)", probes);
  return WK_MONITOR_ONLINE;
}

static void
open_episode (WkMonitor *self)
{
  Window       *pending = pending_window (self);
  WkEpisodeKind kind;

  /* The lead time of a planned window opened this episode already: no second print. */
  if (pending != NULL)
    {
      self->episode = wk_episode_copy (pending->episode);
      self->print = pending->print;
      return;
    }
  kind = self->hold                     ? WK_EPISODE_MANUAL
         : active_window (self) != NULL ? WK_EPISODE_PLANNED
                                        : WK_EPISODE_OUTAGE;
  self->episode = wk_episode_new (kind, self->real_reason);
  self->episode->started_us = wk_clock_get_monotonic (self->clock);
  self->episode->started_wall_us = wk_clock_get_wall (self->clock);
  if (kind == WK_EPISODE_MANUAL)
    self->episode->who = g_strdup (self->hold_who);
  if (kind == WK_EPISODE_PLANNED)
    self->episode->window = g_strdup (active_window (self)->name);
  self->print = PRINT_NONE;
}

static void
close_episode (WkMonitor *self)
{
  if (self->print == PRINT_WAITING)
    g_message ("monitor: the downtime ended within the confirmation delay; nothing was printed");
  wk_clock_remove_timeout (self->clock, self->confirm_timer);
  self->confirm_timer = 0;
  g_clear_pointer (&self->episode, wk_episode_free);
  self->print = PRINT_NONE;
}

/* Recomputes the real state from everything known, then what everybody sees. */
static void
update (WkMonitor *self)
{
  g_autofree char *reason = NULL;
  WkMonitorState   old_real = self->real_state;
  WkMonitorState   real = compute_real (self, &reason);
  gboolean         opened = FALSE;

  g_free (self->real_reason);
  self->real_reason = g_steal_pointer (&reason);
  self->real_state = real;

  if (real == WK_MONITOR_DOWNTIME && self->episode == NULL)
    {
      open_episode (self);
      opened = self->print == PRINT_NONE;
      g_clear_pointer (&self->ended_note, g_free);
    }
  else if (real == WK_MONITOR_ONLINE && self->episode != NULL)
    close_episode (self);

  if (self->drill != NULL)
    {
      if (real == WK_MONITOR_DOWNTIME)
        {
          g_autofree char *over = g_strdup_printf (
              "a real downtime during the drill (%s); the drill is over", self->real_reason);

          drill_end (self);
          set_public (self, real, over, TRUE);
        }
      else if (real != old_real)
        {
          WkMonitorEvent event = { WK_MONITOR_EVENT_REAL_STATE_CHANGED };

          event.old_state = old_real;
          event.state = real;
          event.reason = self->real_reason;
          emit (self, &event);
        }
    }
  else
    set_public (self, real, self->real_reason, FALSE);

  if (opened)
    start_printing (self);
  else if (self->print == PRINT_WAITING && (self->hold || active_window (self) != NULL))
    {
      g_autofree char *why = g_strdup_printf ("downtime: %s", self->real_reason);

      /* A person's declaration or a planned window needs no confirmation. */
      wk_clock_remove_timeout (self->clock, self->confirm_timer);
      self->confirm_timer = 0;
      self->print = PRINT_DUE;
      emit_print_now (self, self->episode, FALSE, why);
    }
}

/* ---- the drill ---- */

static void
drill_print (WkMonitor *self, const char *reason)
{
  self->drill_print = PRINT_DUE;
  emit_print_now (self, self->drill, TRUE, reason);
}

static void
drill_confirm_timer_cb (gpointer data)
{
  WkMonitor *self = data;

  self->drill_confirm_timer = 0;
  drill_print (self, "downtime (drill) confirmed after the confirmation delay");
}

static void
drill_set_phase (WkMonitor *self, WkMonitorState phase, const char *reason)
{
  WkMonitorEvent event = { WK_MONITOR_EVENT_DRILL_PHASE };

  if (phase == self->drill_phase)
    return;
  event.old_state = self->drill_phase;
  event.state = phase;
  event.reason = (char *)reason;
  event.episode = self->drill;
  event.drill = TRUE;
  self->drill_phase = phase;
  g_free (self->drill_reason);
  self->drill_reason = g_strdup_printf ("%s: %s", self->drill->reason, reason);
  g_message ("monitor: drill phase %s: %s", state_names[phase], reason);
  emit (self, &event);
}

/* An outage drill counts every probe run that started after the drill as failed, through
 * the same counting as the real monitor. */
static void
drill_count (WkMonitor *self, Slot *slot)
{
  gboolean all_counted = TRUE;
  gboolean all_confirmed = TRUE;

  slot->drill_counted = TRUE;
  slot->drill_fail_streak++;
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *other = self->slots->pdata[i];

      all_counted &= other->drill_counted;
      all_confirmed &= other->drill_fail_streak >= self->settings.failures_to_confirm;
    }
  if (all_confirmed)
    {
      if (self->drill_phase == WK_MONITOR_DOWNTIME)
        return;
      drill_set_phase (self, WK_MONITOR_DOWNTIME,
                       "every probe failed (forced by the drill) often enough to confirm");
      if (self->settings.confirmation_delay_us > 0)
        self->drill_confirm_timer = wk_clock_add_timeout (
            self->clock, self->settings.confirmation_delay_us, drill_confirm_timer_cb, self);
      else
        drill_print (self, "downtime (drill) confirmed");
    }
  else if (all_counted)
    drill_set_phase (self, WK_MONITOR_SUSPECT, "every probe fails (forced by the drill)");
}

static void
drill_end (WkMonitor *self)
{
  wk_clock_remove_timeout (self->clock, self->drill_confirm_timer);
  self->drill_confirm_timer = 0;
  g_clear_pointer (&self->drill_window, window_free);
  g_clear_pointer (&self->drill, wk_episode_free);
  g_clear_pointer (&self->drill_reason, g_free);
  self->drill_phase = WK_MONITOR_ONLINE;
  self->drill_print = PRINT_NONE;
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      slot->drill_fail_streak = 0;
      slot->drill_counted = FALSE;
    }
}

/* ---- probes ---- */

static Slot *
slot_ref (Slot *slot)
{
  slot->ref_count++;
  return slot;
}

static void
slot_unref (Slot *slot)
{
  if (--slot->ref_count > 0)
    return;
  g_assert (slot->monitor == NULL);
  wk_probe_unref (slot->probe);
  wk_probe_result_free (slot->last);
  g_free (slot);
}

static void
check_clock_jump (WkMonitor *self)
{
  gint64 offset = wk_clock_get_wall (self->clock) - wk_clock_get_monotonic (self->clock);
  gint64 jump = offset - self->wall_offset;

  if (ABS (jump) > CLOCK_JUMP_US)
    {
      WkMonitorEvent   event = { WK_MONITOR_EVENT_CLOCK_JUMP };
      g_autofree char *by = _wk_probe_format_duration (ABS (jump));
      g_autofree char *reason
          = g_strdup_printf ("the wall clock jumped %s %s; downtime is decided on the monotonic "
                             "clock only, and planned windows keep the times they had",
                             by, jump > 0 ? "forwards" : "backwards");

      self->wall_offset = offset;
      event.reason = reason;
      g_message ("monitor: %s", reason);
      emit (self, &event);
    }
}

static void
slot_result (Slot *slot, WkProbeResult *result)
{
  WkMonitor     *self = slot->monitor;
  WkMonitorEvent event = { WK_MONITOR_EVENT_PROBE_RESULT };
  guint          n = self->settings.failures_to_confirm;
  const char    *name = wk_probe_get_name (slot->probe);
  gboolean       forced = self->drill != NULL && self->drill->scenario == WK_DRILL_OUTAGE
                    && slot->run_started >= self->drill->started_us;
  g_autofree char *text = NULL;

  check_clock_jump (self);
  wk_probe_result_free (slot->last);
  slot->last = wk_probe_result_copy (result);
  if (result->ok)
    {
      slot->ok_streak++;
      slot->fail_streak = 0;
    }
  else
    {
      slot->fail_streak++;
      slot->ok_streak = 0;
    }
  g_debug ("monitor: probe %s: %s", name, result->reason);
  event.probe = (char *)name;
  event.result = result;
  event.forced = forced;
  event.reason = result->reason;
  emit (self, &event);
  if (slot->monitor == NULL)
    return;

  /* One probe failing for long is worth a warning even while others answer. */
  if (!result->ok && slot->fail_streak >= n && !slot->failing_warned)
    {
      WkMonitorEvent warning = { WK_MONITOR_EVENT_WARNING };

      slot->failing_warned = TRUE;
      text = g_strdup_printf ("probe %s failed %u times in a row: %s", name, slot->fail_streak,
                              result->reason);
      warning.warning = WK_MONITOR_WARNING_PROBE_FAILING;
      warning.probe = (char *)name;
      warning.reason = text;
      g_message ("monitor: %s", text);
      emit (self, &warning);
    }
  else if (result->ok && slot->failing_warned)
    {
      WkMonitorEvent cleared = { WK_MONITOR_EVENT_WARNING_CLEARED };

      slot->failing_warned = FALSE;
      text = g_strdup_printf ("probe %s answers again: %s", name, result->reason);
      cleared.warning = WK_MONITOR_WARNING_PROBE_FAILING;
      cleared.probe = (char *)name;
      cleared.reason = text;
      g_message ("monitor: %s", text);
      emit (self, &cleared);
    }

  /* Down once every probe failed N times in a row, or again as soon as every probe fails
   * while the ward is still on paper; up again as soon as one answers. */
  if (confirmed (self) || (self->episode != NULL && all_failing (self)))
    self->down = TRUE;
  else if (any_ok (self))
    self->down = FALSE;
  update (self);

  if (forced && self->drill != NULL)
    drill_count (self, slot);
}

static void
run_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Slot *slot = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkProbeResult) result = wk_probe_run_finish (slot->probe, res, &error);

  if (slot->monitor != NULL)
    {
      g_clear_object (&slot->cancellable);
      if (result != NULL)
        slot_result (slot, result);
    }
  slot_unref (slot);
}

static void
slot_timer_cb (gpointer data)
{
  Slot *slot = data;

  slot->timer = 0;
  if (slot->cancellable == NULL)
    {
      slot->cancellable = g_cancellable_new ();
      slot->run_started = wk_clock_get_monotonic (slot->monitor->clock);
      wk_probe_run_async (slot->probe, slot->monitor->clock, slot->cancellable, run_cb,
                          slot_ref (slot));
    }
  else
    g_debug ("monitor: probe %s is still running; this run is skipped",
             wk_probe_get_name (slot->probe));
  slot->due += wk_probe_get_interval (slot->probe);
  slot_schedule (slot);
}

/* Runs at a fixed rate: every interval from the first run, whatever each run takes. */
static void
slot_schedule (Slot *slot)
{
  gint64 now = wk_clock_get_monotonic (slot->monitor->clock);

  if (slot->due < now)
    slot->due = now;
  slot->timer = wk_clock_add_timeout (slot->monitor->clock, slot->due - now, slot_timer_cb, slot);
}

/* ---- feed silence ---- */

static void
feed_timer_cb (gpointer data)
{
  WkMonitor *self = data;
  gint64     silent = wk_clock_get_monotonic (self->clock) - self->last_feed;

  self->feed_timer = 0;
  check_clock_jump (self);
  if (silent < self->settings.feed_silence_us)
    {
      self->feed_timer = wk_clock_add_timeout (self->clock, self->settings.feed_silence_us - silent,
                                               feed_timer_cb, self);
      return;
    }
  {
    WkMonitorEvent   event = { WK_MONITOR_EVENT_WARNING };
    g_autofree char *for_how_long = _wk_probe_format_duration (silent);
    g_autofree char *reason = g_strdup_printf (
        "no HL7 message for %s: the feed may have stopped (a warning, not a downtime)",
        for_how_long);

    self->feed_silent = TRUE;
    event.warning = WK_MONITOR_WARNING_FEED_SILENT;
    event.reason = reason;
    g_message ("monitor: %s", reason);
    emit (self, &event);
  }
}

/**
 * wk_monitor_note_feed_activity:
 * @monitor: a #WkMonitor
 *
 * Tells the monitor that an HL7 message arrived. After the feed-silence threshold without
 * one, the monitor raises a WARNING (never a downtime: a quiet ward at night is normal).
 */
void
wk_monitor_note_feed_activity (WkMonitor *self)
{
  g_return_if_fail (WK_IS_MONITOR (self));

  self->last_feed = wk_clock_get_monotonic (self->clock);
  if (self->feed_silent)
    {
      WkMonitorEvent event = { WK_MONITOR_EVENT_WARNING_CLEARED };

      self->feed_silent = FALSE;
      event.warning = WK_MONITOR_WARNING_FEED_SILENT;
      event.reason = "the HL7 feed is flowing again";
      g_message ("monitor: %s", event.reason);
      emit (self, &event);
    }
  if (self->started && self->feed_timer == 0 && self->settings.feed_silence_us > 0)
    self->feed_timer
        = wk_clock_add_timeout (self->clock, self->settings.feed_silence_us, feed_timer_cb, self);
}

/* ---- life cycle ---- */

static void
wk_monitor_dispose (GObject *object)
{
  WkMonitor *self = WK_MONITOR (object);

  wk_monitor_stop (self);
  G_OBJECT_CLASS (wk_monitor_parent_class)->dispose (object);
}

static void
wk_monitor_finalize (GObject *object)
{
  WkMonitor *self = WK_MONITOR (object);

  g_ptr_array_unref (self->slots);
  g_ptr_array_unref (self->windows);
  wk_episode_free (self->episode);
  wk_episode_free (self->drill);
  g_free (self->hold_reason);
  g_free (self->hold_who);
  g_free (self->real_reason);
  g_free (self->ended_note);
  g_free (self->drill_reason);
  wk_clock_unref (self->clock);
  G_OBJECT_CLASS (wk_monitor_parent_class)->finalize (object);
}

static void
wk_monitor_class_init (WkMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wk_monitor_dispose;
  object_class->finalize = wk_monitor_finalize;

  /**
   * WkMonitor::event:
   * @monitor: the monitor
   * @event: (transfer none): what happened; valid during the emission only (copy it
   *   with wk_monitor_event_copy() to keep it)
   *
   * Every state change, print, probe result and warning, with its time.
   */
  signals[SIGNAL_EVENT]
      = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, WK_TYPE_MONITOR_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
wk_monitor_init (WkMonitor *self)
{
  self->slots = g_ptr_array_new ();
  self->windows = g_ptr_array_new_with_free_func ((GDestroyNotify)window_free);
}

/**
 * wk_monitor_settings_init:
 * @settings: (out caller-allocates): settings to fill
 *
 * Fills in the defaults: 3 failures to confirm, 3 successes to recover, no confirmation
 * delay, a feed-silence warning after 30 min, charts 15 min before a planned window.
 */
void
wk_monitor_settings_init (WkMonitorSettings *settings)
{
  g_return_if_fail (settings != NULL);

  settings->failures_to_confirm = 3;
  settings->successes_to_recover = 3;
  settings->confirmation_delay_us = 0;
  settings->feed_silence_us = (gint64)30 * 60 * G_USEC_PER_SEC;
  settings->planned_lead_us = (gint64)15 * 60 * G_USEC_PER_SEC;
}

/**
 * wk_monitor_new:
 * @clock: the clock every decision is taken on
 * @settings: (nullable): the timing; %NULL for the defaults
 *
 * Makes a monitor with no probes and no planned windows; add them, restore what the
 * daemon saved, connect to #WkMonitor::event, then wk_monitor_start().
 *
 * Returns: (transfer full): a new monitor, ONLINE
 */
WkMonitor *
wk_monitor_new (WkClock *clock, const WkMonitorSettings *settings)
{
  WkMonitor *self;

  g_return_val_if_fail (clock != NULL, NULL);
  g_return_val_if_fail (settings == NULL || settings->failures_to_confirm >= 1, NULL);
  g_return_val_if_fail (settings == NULL || settings->successes_to_recover >= 1, NULL);

  self = g_object_new (WK_TYPE_MONITOR, NULL);
  self->clock = wk_clock_ref (clock);
  if (settings != NULL)
    self->settings = *settings;
  else
    wk_monitor_settings_init (&self->settings);
  self->since = wk_clock_get_monotonic (clock);
  self->since_wall = wk_clock_get_wall (clock);
  self->wall_offset = self->since_wall - self->since;
  self->real_reason = g_strdup ("not started");
  return self;
}

/**
 * wk_monitor_new_from_config:
 * @config: a loaded configuration
 * @clock: the clock every decision is taken on
 * @error: return location for a #GError
 *
 * Makes the monitor `[monitor]`, the `[probe NAME]` groups and the `[planned NAME]`
 * windows describe; planned times without a UTC offset are in the ward's time zone.
 *
 * Returns: (transfer full): the monitor, not started; or %NULL with
 *   %WK_SNAPSHOT_ERROR_CONFIG
 */
WkMonitor *
wk_monitor_new_from_config (WkConfig *config, WkClock *clock, GError **error)
{
  g_autoptr (WkMonitor) self = NULL;
  g_autoptr (GTimeZone) zone = NULL;
  g_auto (GStrv) probes = NULL;
  g_auto (GStrv) windows = NULL;
  WkMonitorSettings settings;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (clock != NULL, NULL);

  settings.failures_to_confirm
      = (guint)wk_config_get_int (config, "monitor", "failures-to-confirm");
  settings.successes_to_recover
      = (guint)wk_config_get_int (config, "monitor", "successes-to-recover");
  settings.confirmation_delay_us
      = wk_config_get_duration_ms (config, "monitor", "confirmation-delay") * 1000;
  settings.feed_silence_us
      = wk_config_get_duration_ms (config, "monitor", "feed-silence-warning") * 1000;
  settings.planned_lead_us
      = wk_config_get_duration_ms (config, "monitor", "planned-lead-time") * 1000;
  self = wk_monitor_new (clock, &settings);

  probes = wk_config_dup_instances (config, "probe");
  for (guint i = 0; probes[i] != NULL; i++)
    {
      g_autoptr (WkProbe) probe = wk_probe_new_from_config (config, probes[i], error);

      if (probe == NULL)
        return NULL;
      wk_monitor_add_probe (self, probe);
    }

  zone = g_time_zone_new_identifier (wk_config_get_string (config, "ward", "timezone"));
  windows = wk_config_dup_instances (config, "planned");
  for (guint i = 0; windows[i] != NULL; i++)
    {
      g_autofree char *group = g_strconcat ("planned ", windows[i], NULL);
      gint64           start = 0, end = 0;

      if (!wk_config_parse_time (wk_config_get_string (config, group, "start"), zone, &start, error)
          || !wk_config_parse_time (wk_config_get_string (config, group, "end"), zone, &end, error)
          || !wk_monitor_add_planned_window (self, windows[i], start, end,
                                             wk_config_get_string (config, group, "reason"), error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * wk_monitor_add_probe:
 * @monitor: a #WkMonitor, not started
 * @probe: a probe; the monitor runs it at its interval from wk_monitor_start() on
 */
void
wk_monitor_add_probe (WkMonitor *self, WkProbe *probe)
{
  Slot *slot;

  g_return_if_fail (WK_IS_MONITOR (self));
  g_return_if_fail (probe != NULL);
  g_return_if_fail (!self->started);

  slot = g_new0 (Slot, 1);
  slot->ref_count = 1;
  slot->monitor = self;
  slot->probe = wk_probe_ref (probe);
  g_ptr_array_add (self->slots, slot);
}

/**
 * wk_monitor_add_planned_window:
 * @monitor: a #WkMonitor, not started
 * @name: the window's name (its `[planned NAME]`)
 * @start_wall_us: when it starts, wall time (UTC microseconds)
 * @end_wall_us: when it ends; after @start_wall_us
 * @reason: why, in words staff understand ("EPR upgrade")
 * @error: return location for a #GError
 *
 * Plans a downtime window. Its times are anchored to the monotonic clock now: the charts
 * print at the lead time before its start, the monitor is in DOWNTIME from its start to
 * its end, and a wall clock that jumps afterwards moves none of it. A window that has
 * already ended is kept but never acts.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_CONFIG when it ends before it starts
 *   or its name is taken
 */
gboolean
wk_monitor_add_planned_window (WkMonitor  *self,
                               const char *name,
                               gint64      start_wall_us,
                               gint64      end_wall_us,
                               const char *reason,
                               GError    **error)
{
  Window *window;
  gint64  to_monotonic;

  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);
  g_return_val_if_fail (name != NULL && reason != NULL, FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (end_wall_us <= start_wall_us)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "planned downtime %s ends before it starts; set end after start", name);
      return FALSE;
    }
  if (find_window (self, name) != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "planned downtime %s is planned twice; give each window its own name", name);
      return FALSE;
    }
  to_monotonic = wk_clock_get_monotonic (self->clock) - wk_clock_get_wall (self->clock);
  window = g_new0 (Window, 1);
  window->monitor = self;
  window->name = g_strdup (name);
  window->reason = g_strdup (reason);
  window->start_wall = start_wall_us;
  window->end_wall = end_wall_us;
  window->start_at = start_wall_us + to_monotonic;
  window->end_at = end_wall_us + to_monotonic;
  window->lead_at = window->start_at - self->settings.planned_lead_us;
  g_ptr_array_add (self->windows, window);
  return TRUE;
}

/**
 * wk_monitor_start:
 * @monitor: a #WkMonitor
 *
 * Starts the probes (each runs at once, then at its interval), the planned windows (one
 * that is on now puts the monitor in DOWNTIME at once; one whose lead time has come
 * prints at once) and the feed-silence timer. An episode restored with
 * wk_monitor_restore_from_data() whose print was due but never acknowledged is printed
 * again now.
 */
void
wk_monitor_start (WkMonitor *self)
{
  g_return_if_fail (WK_IS_MONITOR (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  if (self->slots->len == 0)
    g_message ("monitor: no probes configured: downtime only when declared or planned");
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      slot->due = wk_clock_get_monotonic (self->clock);
      slot_schedule (slot);
    }

  /* What the windows call for now, with the episode restored, then the state. */
  for (guint i = 0; i < self->windows->len; i++)
    window_step (self->windows->pdata[i]);
  update (self);
  if (self->episode != NULL && self->print == PRINT_DUE)
    emit_print_now (self, self->episode, FALSE,
                    "printing again: the print of this downtime was not confirmed before the "
                    "restart");
  else if (self->episode != NULL && self->print == PRINT_WAITING)
    start_printing (self);

  self->last_feed = wk_clock_get_monotonic (self->clock);
  if (self->settings.feed_silence_us > 0)
    self->feed_timer
        = wk_clock_add_timeout (self->clock, self->settings.feed_silence_us, feed_timer_cb, self);
}

/**
 * wk_monitor_stop:
 * @monitor: a #WkMonitor
 *
 * Cancels the probes in flight and every timer. The monitor keeps its state but takes no
 * more decisions; it cannot be started again. Disposing the monitor stops it.
 */
void
wk_monitor_stop (WkMonitor *self)
{
  g_return_if_fail (WK_IS_MONITOR (self));

  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (slot->cancellable != NULL)
        {
          g_cancellable_cancel (slot->cancellable);
          g_clear_object (&slot->cancellable);
        }
      wk_clock_remove_timeout (self->clock, slot->timer);
      slot->monitor = NULL;
      slot_unref (slot);
    }
  g_ptr_array_set_size (self->slots, 0);
  for (guint i = 0; i < self->windows->len; i++)
    {
      Window *window = self->windows->pdata[i];

      wk_clock_remove_timeout (self->clock, window->timer);
      window->timer = 0;
    }
  if (self->drill != NULL)
    drill_end (self);
  wk_clock_remove_timeout (self->clock, self->confirm_timer);
  wk_clock_remove_timeout (self->clock, self->feed_timer);
  self->confirm_timer = self->feed_timer = 0;
}

/* ---- people ---- */

/**
 * wk_monitor_declare_downtime:
 * @monitor: a #WkMonitor
 * @reason: why, in words ("EPR upgrade")
 * @who: who declares it (a name or role staff know)
 * @error: return location for a #GError
 *
 * Declares downtime: the monitor goes to DOWNTIME at once (ending a drill) and prints at
 * once, without the confirmation delay, unless the ward is on paper already. The downtime
 * lasts until wk_monitor_end_downtime(): answering probes do not end it.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID when @reason or @who is empty
 */
gboolean
wk_monitor_declare_downtime (WkMonitor *self, const char *reason, const char *who, GError **error)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);

  if (_wk_text_is_blank (reason) || _wk_text_is_blank (who))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Declaring downtime needs a reason and who declares it");
      return FALSE;
    }
  g_free (self->hold_reason);
  g_free (self->hold_who);
  self->hold_reason = g_strdup (reason);
  self->hold_who = g_strdup (who);
  self->hold = TRUE;
  g_message ("monitor: downtime declared by %s: %s", who, reason);
  update (self);
  return TRUE;
}

/**
 * wk_monitor_end_downtime:
 * @monitor: a #WkMonitor
 * @reason: why, in words ("upgrade finished")
 * @who: who ends it
 * @error: return location for a #GError
 *
 * Ends a declared downtime, and a planned window early. The monitor goes ONLINE once a
 * probe has answered M times in a row (RECOVERING until then); while every probe still
 * fails it stays in DOWNTIME, now as an outage that ends by itself when they answer.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID when there is no downtime to
 *   end or @reason or @who is empty
 */
gboolean
wk_monitor_end_downtime (WkMonitor *self, const char *reason, const char *who, GError **error)
{
  Window *window;

  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);

  if (_wk_text_is_blank (reason) || _wk_text_is_blank (who))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Ending downtime needs a reason and who ends it");
      return FALSE;
    }
  if (self->episode == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "There is no downtime to end: the monitor is %s%s", state_names[self->state],
                   self->drill != NULL ? " (to end the drill, stop the drill)" : "");
      return FALSE;
    }
  self->hold = FALSE;
  while ((window = active_window (self)) != NULL)
    {
      wk_clock_remove_timeout (self->clock, window->timer);
      window->timer = 0;
      window->stage = WINDOW_DONE;
    }
  g_free (self->ended_note);
  self->ended_note = g_strdup_printf ("downtime ended by %s: %s", who, reason);
  g_message ("monitor: %s", self->ended_note);
  update (self);
  return TRUE;
}

/**
 * wk_monitor_start_drill:
 * @monitor: a #WkMonitor
 * @options: which drill, by whom
 * @error: return location for a #GError
 *
 * Starts a drill: the monitor goes to DRILL and a drill episode opens; its PRINT_NOW has
 * @drill set (every page gets the DRILL watermark, nothing goes upstream). The scenario
 * sets the drill's phase (wk_monitor_get_drill_phase()):
 *
 * - outage: each probe's runs that start from now on count as failed — on the real
 *   schedule, arriving when the real run finishes — through the same counting (SUSPECT,
 *   DOWNTIME after N for every probe) and confirmation delay as a real outage; the
 *   events time the detection honestly.
 * - planned: a window starts @planned_start_in_us from now; its charts print at the lead
 *   time before it (at once when it is nearer), then the phase is DOWNTIME.
 * - printer-failure: phase DOWNTIME and PRINT_NOW at once.
 *
 * The real monitor runs on underneath (wk_monitor_get_real_state(), REAL_STATE_CHANGED
 * events): a real downtime ends the drill at once (STATE_CHANGED from DRILL with
 * @drill_taken_over).
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_CONSTRAINT when a drill is on already,
 *   the ward is or may be going on paper for real, or an outage drill has no probe
 */
gboolean
wk_monitor_start_drill (WkMonitor *self, const WkDrillOptions *options, GError **error)
{
  g_autofree char *reason = NULL;
  Window          *pending;

  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);
  g_return_val_if_fail (options != NULL && options->scenario != WK_DRILL_NONE, FALSE);
  g_return_val_if_fail (self->started, FALSE);

  if (self->drill != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "A drill is on already (started by %s); stop it first",
                   self->drill->who != NULL ? self->drill->who : "somebody");
      return FALSE;
    }
  if (self->real_state != WK_MONITOR_ONLINE)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "A drill cannot start while the monitor is %s (%s): a drill never runs "
                   "during a real downtime, or while one may be starting",
                   state_names[self->real_state], self->real_reason);
      return FALSE;
    }
  pending = pending_window (self);
  if (pending != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "A drill cannot start: the charts for planned downtime %s are printed and "
                   "it starts soon",
                   pending->name);
      return FALSE;
    }
  if (options->scenario == WK_DRILL_OUTAGE && self->slots->len == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "An outage drill needs at least one [probe NAME] in the configuration: it "
                   "forces the probes to fail");
      return FALSE;
    }

  reason = g_strdup_printf ("drill (%s) started by %s",
                            wk_drill_scenario_to_string (options->scenario),
                            options->who != NULL ? options->who : "somebody");
  self->drill = wk_episode_new (WK_EPISODE_DRILL, reason);
  self->drill->scenario = options->scenario;
  self->drill->who = g_strdup (options->who);
  self->drill->started_us = wk_clock_get_monotonic (self->clock);
  self->drill->started_wall_us = wk_clock_get_wall (self->clock);
  self->drill_phase = WK_MONITOR_ONLINE;
  self->drill_print = PRINT_NONE;
  self->drill_reason = g_strdup (reason);
  set_public (self, WK_MONITOR_DRILL, reason, FALSE);

  switch (options->scenario)
    {
    case WK_DRILL_OUTAGE:
      break;
    case WK_DRILL_PLANNED:
      {
        Window *window = g_new0 (Window, 1);
        gint64  now = wk_clock_get_monotonic (self->clock);

        window->monitor = self;
        window->name = g_strdup ("drill");
        window->reason = g_strdup ("planned downtime (drill)");
        window->drill = TRUE;
        window->start_at = now
                           + (options->planned_start_in_us > 0 ? options->planned_start_in_us
                                                               : self->settings.planned_lead_us);
        window->lead_at = window->start_at - self->settings.planned_lead_us;
        window->end_at = G_MAXINT64;
        self->drill_window = window;
        window_step (window);
        break;
      }
    case WK_DRILL_PRINTER_FAILURE:
      drill_set_phase (self, WK_MONITOR_DOWNTIME, "downtime (drill) at once");
      drill_print (self, "downtime (drill): printing, with the printer made to fail");
      break;
    case WK_DRILL_NONE:
      g_assert_not_reached ();
    }
  return TRUE;
}

/**
 * wk_monitor_stop_drill:
 * @monitor: a #WkMonitor
 * @who: (nullable): who stops it
 * @error: return location for a #GError
 *
 * Ends the drill: the monitor shows the real state again.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID when no drill is on
 */
gboolean
wk_monitor_stop_drill (WkMonitor *self, const char *who, GError **error)
{
  g_autofree char *reason = NULL;

  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);

  if (self->drill == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "No drill is on; the monitor is %s", state_names[self->state]);
      return FALSE;
    }
  drill_end (self);
  reason = g_strdup_printf ("drill ended by %s; %s", who != NULL ? who : "somebody",
                            self->real_reason);
  set_public (self, self->real_state, reason, FALSE);
  return TRUE;
}

/**
 * wk_monitor_acknowledge_print:
 * @monitor: a #WkMonitor
 * @episode_id: the id of the episode a PRINT_NOW named
 * @error: return location for a #GError
 *
 * Tells the monitor that the ward's charts for this episode are queued. Until then a
 * restart prints the episode again (twice is better than never); after it, never.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_NOT_FOUND when no current or pending
 *   episode has that id
 */
gboolean
wk_monitor_acknowledge_print (WkMonitor *self, const char *episode_id, GError **error)
{
  gboolean found = FALSE;

  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);
  g_return_val_if_fail (episode_id != NULL, FALSE);

  if (self->episode != NULL && strcmp (self->episode->id, episode_id) == 0
      && self->print != PRINT_WAITING)
    {
      self->print = PRINT_DONE;
      found = TRUE;
    }
  if (self->drill != NULL && strcmp (self->drill->id, episode_id) == 0)
    {
      self->drill_print = PRINT_DONE;
      found = TRUE;
    }
  for (guint i = 0; i < self->windows->len; i++)
    {
      Window *window = self->windows->pdata[i];

      if (window->episode != NULL && strcmp (window->episode->id, episode_id) == 0)
        {
          window->print = PRINT_DONE;
          found = TRUE;
        }
    }
  if (!found)
    g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                 "No downtime episode %s is waiting for its print", episode_id);
  return found;
}

/* ---- what everybody sees ---- */

/**
 * wk_monitor_get_state:
 * @monitor: a #WkMonitor
 *
 * Returns: the state to show and act on (DRILL while a drill is on)
 */
WkMonitorState
wk_monitor_get_state (WkMonitor *self)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), WK_MONITOR_ONLINE);

  return self->state;
}

/**
 * wk_monitor_get_real_state:
 * @monitor: a #WkMonitor
 *
 * Returns: what the probes, declarations and windows say, a drill or not (never DRILL)
 */
WkMonitorState
wk_monitor_get_real_state (WkMonitor *self)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), WK_MONITOR_ONLINE);

  return self->real_state;
}

/**
 * wk_monitor_get_drill_phase:
 * @monitor: a #WkMonitor
 *
 * Returns: during a drill, its simulated state: ONLINE (nothing yet; a planned drill's
 *   lead time), SUSPECT (forced failures counting) or DOWNTIME; ONLINE without a drill
 */
WkMonitorState
wk_monitor_get_drill_phase (WkMonitor *self)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), WK_MONITOR_ONLINE);

  return self->drill_phase;
}

/**
 * wk_monitor_get_since:
 * @monitor: a #WkMonitor
 * @wall_us: (out) (optional): the wall time the state began (UTC microseconds)
 *
 * Returns: the monotonic time the current state began
 */
gint64
wk_monitor_get_since (WkMonitor *self, gint64 *wall_us)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), 0);

  if (wall_us != NULL)
    *wall_us = self->since_wall;
  return self->since;
}

/**
 * wk_monitor_get_reason:
 * @monitor: a #WkMonitor
 *
 * Returns: why the monitor is in its state, in words; it changes within a state too
 *   ("2 of 3 answers in a row before online")
 */
const char *
wk_monitor_get_reason (WkMonitor *self)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), NULL);

  return self->drill != NULL ? self->drill_reason : self->real_reason;
}

/**
 * wk_monitor_get_episode:
 * @monitor: a #WkMonitor
 *
 * Returns: (nullable) (transfer none): the episode on (the drill's during a drill), or
 *   %NULL when the ward is not on paper
 */
const WkEpisode *
wk_monitor_get_episode (WkMonitor *self)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), NULL);

  return self->drill != NULL ? self->drill : self->episode;
}

/**
 * wk_monitor_dup_warnings:
 * @monitor: a #WkMonitor
 *
 * Returns: (transfer full): the warnings that hold now, in words (empty when none)
 */
GStrv
wk_monitor_dup_warnings (WkMonitor *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (WK_IS_MONITOR (self), NULL);

  if (self->feed_silent)
    {
      g_autofree char *silent
          = _wk_probe_format_duration (wk_clock_get_monotonic (self->clock) - self->last_feed);
      g_autofree char *text = g_strdup_printf ("no HL7 message for %s", silent);

      g_strv_builder_add (builder, text);
    }
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (slot->failing_warned)
        {
          g_autofree char *text = g_strdup_printf ("probe %s failed %u times in a row: %s",
                                                   wk_probe_get_name (slot->probe),
                                                   slot->fail_streak, slot->last->reason);

          g_strv_builder_add (builder, text);
        }
    }
  return g_strv_builder_end (builder);
}

/**
 * wk_monitor_get_last_result:
 * @monitor: a #WkMonitor
 * @probe: a probe's name
 *
 * Returns: (nullable) (transfer none): the probe's latest result, or %NULL before its first
 */
const WkProbeResult *
wk_monitor_get_last_result (WkMonitor *self, const char *probe)
{
  g_return_val_if_fail (WK_IS_MONITOR (self), NULL);

  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = self->slots->pdata[i];

      if (g_strcmp0 (wk_probe_get_name (slot->probe), probe) == 0)
        return slot->last;
    }
  return NULL;
}

/* ---- saving and restoring an episode across a restart ---- */

/**
 * wk_monitor_save_to_data:
 * @monitor: a #WkMonitor
 *
 * What the daemon must save (in its state folder, after every STATE_CHANGED and
 * PRINT_NOW event and after wk_monitor_acknowledge_print()) so that a restart during a
 * downtime neither prints again nor forgets the downtime: the real episode on (id, kind,
 * when it started, why, who, whether the probes found the systems down, whether a person's
 * declaration holds it, and where its print stands) and the episodes opened at the lead
 * time of planned windows. A drill is not saved: a restart ends it. No patient data.
 *
 * Returns: (transfer full): the text to save (a key file)
 */
char *
wk_monitor_save_to_data (WkMonitor *self)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *saved_at = NULL;

  g_return_val_if_fail (WK_IS_MONITOR (self), NULL);

  saved_at = format_wall (wk_clock_get_wall (self->clock));
  g_key_file_set_integer (file, "monitor", "version", SAVED_VERSION);
  g_key_file_set_string (file, "monitor", "saved-at", saved_at);
  if (self->episode != NULL)
    {
      g_autofree char *started = format_wall (self->episode->started_wall_us);

      g_key_file_set_string (file, "episode", "id", self->episode->id);
      g_key_file_set_string (file, "episode", "kind",
                             wk_episode_kind_to_string (self->episode->kind));
      g_key_file_set_string (file, "episode", "started", started);
      g_key_file_set_string (file, "episode", "reason", self->episode->reason);
      if (self->episode->who != NULL)
        g_key_file_set_string (file, "episode", "who", self->episode->who);
      if (self->episode->window != NULL)
        g_key_file_set_string (file, "episode", "window", self->episode->window);
      g_key_file_set_string (file, "episode", "print", print_names[self->print]);
      g_key_file_set_boolean (file, "episode", "down", self->down);
      g_key_file_set_boolean (file, "episode", "hold", self->hold);
      if (self->hold)
        {
          g_key_file_set_string (file, "episode", "hold-reason", self->hold_reason);
          g_key_file_set_string (file, "episode", "hold-who", self->hold_who);
        }
    }
  for (guint i = 0; i < self->windows->len; i++)
    {
      Window          *window = self->windows->pdata[i];
      g_autofree char *group = NULL;

      gboolean ended_early
          = window->stage == WINDOW_DONE && window->end_at > wk_clock_get_monotonic (self->clock);

      /* Printed for and not over; or ended early by a person, which a restart keeps. */
      if (!ended_early && (window->episode == NULL || window->stage == WINDOW_DONE))
        continue;
      group = g_strconcat ("window ", window->name, NULL);
      if (ended_early)
        g_key_file_set_boolean (file, group, "ended", TRUE);
      if (window->episode != NULL)
        {
          g_key_file_set_string (file, group, "episode", window->episode->id);
          g_key_file_set_string (file, group, "print", print_names[window->print]);
        }
    }
  return g_key_file_to_data (file, NULL, NULL);
}

static gboolean
saved_problem (GError **error, const char *where, const char *what)
{
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
               "The saved monitor state is not usable (%s: %s); nothing was restored. Delete "
               "the file to start afresh",
               where, what);
  return FALSE;
}

/* A saved text value: present, UTF-8 (GKeyFile checks), one line, at most @max bytes. */
static char *
saved_text (GKeyFile *file, const char *group, const char *key, gboolean required, GError **error)
{
  g_autofree char *value = g_key_file_get_string (file, group, key, NULL);
  g_autofree char *where = g_strdup_printf ("[%s] %s", group, key);

  if (value == NULL)
    {
      if (required)
        saved_problem (error, where, "missing");
      return NULL;
    }
  if (*value == '\0' || strlen (value) > 1000 || strpbrk (value, "\n\r") != NULL)
    {
      saved_problem (error, where, "expected one line of 1 to 1000 characters");
      return NULL;
    }
  return g_steal_pointer (&value);
}

static gboolean
saved_print (GKeyFile *file, const char *group, PrintState *print, GError **error)
{
  g_autofree char *value = saved_text (file, group, "print", TRUE, error);
  g_autofree char *where = g_strdup_printf ("[%s] print", group);

  if (value == NULL)
    return FALSE;
  for (guint i = PRINT_WAITING; i < G_N_ELEMENTS (print_names); i++)
    if (strcmp (value, print_names[i]) == 0)
      {
        *print = (PrintState)i;
        return TRUE;
      }
  return saved_problem (error, where, "expected waiting, due or done");
}

static gboolean
saved_boolean (GKeyFile *file, const char *group, const char *key, gboolean *value, GError **error)
{
  g_autofree char *text = saved_text (file, group, key, TRUE, error);
  g_autofree char *where = g_strdup_printf ("[%s] %s", group, key);

  if (text == NULL)
    return FALSE;
  if (strcmp (text, "true") != 0 && strcmp (text, "false") != 0)
    return saved_problem (error, where, "expected true or false");
  *value = strcmp (text, "true") == 0;
  return TRUE;
}

static gboolean
valid_id (const char *id)
{
  gsize n = strlen (id);

  if (n == 0 || n > 64)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-')
      return FALSE;
  return TRUE;
}

/**
 * wk_monitor_restore_from_data:
 * @monitor: a #WkMonitor with its probes and planned windows, not started
 * @data: what wk_monitor_save_to_data() gave before the restart
 * @length: its length, or -1 when nul-terminated
 * @error: return location for a #GError
 *
 * Puts the monitor back into the episode it was in: same id (so the daemon does not print
 * it twice), kind, start (wall time; the monotonic clock does not survive a reboot, so the
 * episode's monotonic start is now), reason, declaration and print state. A print that was
 * due and never acknowledged is made again at wk_monitor_start(); one still waiting for the
 * confirmation delay waits the whole delay again. A planned window's episode is matched by
 * the window's name; one no longer configured is dropped. All or nothing: data that does
 * not check out changes nothing.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID saying what is wrong
 */
gboolean
wk_monitor_restore_from_data (WkMonitor *self, const char *data, gssize length, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (WkEpisode) episode = NULL;
  g_auto (GStrv) groups = NULL;
  g_autofree char *hold_reason = NULL;
  g_autofree char *hold_who = NULL;
  g_autoptr (GPtrArray) window_episodes
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_episode_free);
  g_autoptr (GArray) window_prints = g_array_new (FALSE, FALSE, sizeof (PrintState));
  g_autoptr (GPtrArray) window_targets = g_ptr_array_new ();
  g_autoptr (GArray) window_ended = g_array_new (FALSE, FALSE, sizeof (gboolean));
  PrintState print = PRINT_NONE;
  gboolean   down = FALSE, hold = FALSE;
  gint64     version;

  g_return_val_if_fail (WK_IS_MONITOR (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (length < 0)
    length = strlen (data);
  if (!g_key_file_load_from_data (file, data, length, G_KEY_FILE_NONE, &local_error))
    return saved_problem (error, "the file", local_error->message);
  version = g_key_file_get_int64 (file, "monitor", "version", NULL);
  if (version != SAVED_VERSION)
    return saved_problem (error, "[monitor] version", "expected 1");

  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char      *group = groups[i];
      g_autofree char *id = NULL;
      Window          *window;
      PrintState       window_print = PRINT_NONE;
      gboolean         ended = FALSE;
      WkEpisode       *window_episode = NULL;

      if (strcmp (group, "monitor") == 0 || strcmp (group, "episode") == 0)
        continue;
      if (!g_str_has_prefix (group, "window "))
        return saved_problem (error, group, "unknown group");
      if (g_key_file_has_key (file, group, "ended", NULL)
          && !saved_boolean (file, group, "ended", &ended, error))
        return FALSE;
      if (!ended || g_key_file_has_key (file, group, "episode", NULL))
        {
          id = saved_text (file, group, "episode", TRUE, error);
          if (id == NULL)
            return FALSE;
          if (!valid_id (id))
            return saved_problem (error, group, "the episode id is malformed");
          if (!saved_print (file, group, &window_print, error))
            return FALSE;
        }
      window = find_window (self, group + strlen ("window "));
      if (window == NULL)
        {
          g_message ("monitor: planned downtime %s is no longer configured; its saved episode "
                     "is dropped",
                     group + strlen ("window "));
          continue;
        }
      if (id != NULL)
        {
          window_episode = wk_episode_new (WK_EPISODE_PLANNED, window->reason);
          g_free (window_episode->id);
          window_episode->id = g_steal_pointer (&id);
          window_episode->window = g_strdup (window->name);
          window_episode->started_us = wk_clock_get_monotonic (self->clock);
          window_episode->started_wall_us = wk_clock_get_wall (self->clock);
        }
      g_ptr_array_add (window_episodes, window_episode);
      g_array_append_val (window_prints, window_print);
      g_array_append_val (window_ended, ended);
      g_ptr_array_add (window_targets, window);
    }

  if (g_key_file_has_group (file, "episode"))
    {
      g_autofree char *id = saved_text (file, "episode", "id", TRUE, error);
      g_autofree char *kind = NULL;
      g_autofree char *started = NULL;
      g_autofree char *reason = NULL;
      g_autoptr (GDateTime) time = NULL;
      WkEpisodeKind episode_kind;

      if (id == NULL)
        return FALSE;
      if (!valid_id (id))
        return saved_problem (error, "[episode] id", "malformed");
      kind = saved_text (file, "episode", "kind", TRUE, error);
      if (kind == NULL)
        return FALSE;
      if (!wk_episode_kind_from_string (kind, &episode_kind) || episode_kind == WK_EPISODE_DRILL)
        return saved_problem (error, "[episode] kind", "expected outage, manual or planned");
      started = saved_text (file, "episode", "started", TRUE, error);
      if (started == NULL)
        return FALSE;
      time = g_date_time_new_from_iso8601 (started, NULL);
      /* Before 1970 is no episode of this program's, and would not be saved back as it
       * was read (a year of three digits). */
      if (time == NULL || g_date_time_to_unix (time) < 0)
        return saved_problem (error, "[episode] started",
                              "expected a time such as 2026-03-01T02:00:00Z");
      reason = saved_text (file, "episode", "reason", TRUE, error);
      if (reason == NULL)
        return FALSE;
      if (!saved_print (file, "episode", &print, error)
          || !saved_boolean (file, "episode", "down", &down, error)
          || !saved_boolean (file, "episode", "hold", &hold, error))
        return FALSE;
      if (hold)
        {
          hold_reason = saved_text (file, "episode", "hold-reason", TRUE, error);
          if (hold_reason == NULL)
            return FALSE;
          hold_who = saved_text (file, "episode", "hold-who", TRUE, error);
          if (hold_who == NULL)
            return FALSE;
        }

      episode = wk_episode_new (episode_kind, reason);
      g_free (episode->id);
      episode->id = g_steal_pointer (&id);
      if (g_key_file_has_key (file, "episode", "who", NULL)
          && (episode->who = saved_text (file, "episode", "who", TRUE, error)) == NULL)
        return FALSE;
      if (g_key_file_has_key (file, "episode", "window", NULL)
          && (episode->window = saved_text (file, "episode", "window", TRUE, error)) == NULL)
        return FALSE;
      episode->started_us = wk_clock_get_monotonic (self->clock);
      episode->started_wall_us = g_date_time_to_unix (time) * G_USEC_PER_SEC;
    }

  /* Everything checked out: apply it. */
  for (guint i = 0; i < window_targets->len; i++)
    {
      Window *window = window_targets->pdata[i];

      wk_episode_free (window->episode);
      window->episode = g_steal_pointer (&window_episodes->pdata[i]);
      window->print = g_array_index (window_prints, PrintState, i);
      if (g_array_index (window_ended, gboolean, i))
        window->stage = WINDOW_DONE;
    }
  if (episode != NULL)
    {
      wk_episode_free (self->episode);
      self->episode = g_steal_pointer (&episode);
      self->print = print;
      self->down = down;
      self->hold = hold;
      g_free (self->hold_reason);
      g_free (self->hold_who);
      self->hold_reason = g_steal_pointer (&hold_reason);
      self->hold_who = g_steal_pointer (&hold_who);
      g_message ("monitor: restored %s episode %s (print %s)",
                 wk_episode_kind_to_string (self->episode->kind), self->episode->id,
                 print_names[self->print]);
    }
  return TRUE;
}
