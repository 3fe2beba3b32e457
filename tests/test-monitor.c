/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-monitor.c — the health monitor's state machine, driven through real HTTP probes
 * against loopback servers on a test clock: every transition, the counting, manual and
 * planned downtime, drills, wall-clock jumps and restarts. One test runs the real clock. */

#include "wk-monitor.h"
#include "wk-snapshot-error.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"

#include <string.h>

#define SECOND G_GINT64_CONSTANT (1000000)
#define MINUTE (60 * SECOND)
#define INTERVAL (15 * SECOND)
/* 2026-03-01T01:00:00Z */
#define START_WALL (G_GINT64_CONSTANT (1772326800) * SECOND)

typedef struct
{
  WkClock         *clock;
  WkMonitor       *monitor;
  WkTestResponder *responders[2];
  guint            n_probes;
  GPtrArray       *events; /* WkMonitorEvent copies, in order */
  guint            n_results;
  gboolean         acknowledge; /* acknowledge each PRINT_NOW, as the daemon does */
  gint64           origin;      /* when the monitor started: probes run every INTERVAL on */
} Fixture;

static void
event_cb (WkMonitor *monitor, const WkMonitorEvent *event, gpointer data)
{
  Fixture *f = data;

  g_ptr_array_add (f->events, wk_monitor_event_copy (event));
  if (event->kind == WK_MONITOR_EVENT_PROBE_RESULT)
    f->n_results++;
  if (event->kind == WK_MONITOR_EVENT_PRINT_NOW && f->acknowledge)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (wk_monitor_acknowledge_print (monitor, event->episode->id, &error));
      g_assert_no_error (error);
    }
}

static WkMonitorSettings
default_settings (void)
{
  WkMonitorSettings settings;

  wk_monitor_settings_init (&settings);
  return settings;
}

/* A monitor on a test clock at START_WALL with @n_probes HTTP probes (15 s, 5 s) named
 * "a" and "b", each against its own loopback server answering 200. */
static Fixture *
fixture_new (guint n_probes, const WkMonitorSettings *settings)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->clock = wk_clock_new_test (START_WALL);
  f->monitor = wk_monitor_new (f->clock, settings);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_monitor_event_free);
  f->n_probes = n_probes;
  f->acknowledge = TRUE;
  for (guint i = 0; i < n_probes; i++)
    {
      g_autofree char *url = NULL;
      g_autoptr (WkProbe) probe = NULL;
      g_autoptr (GError) error = NULL;

      f->responders[i] = wk_test_responder_new (NULL);
      url = wk_test_responder_dup_url (f->responders[i], "/health");
      probe = wk_probe_new_http (i == 0 ? "a" : "b", url, 200, &error);
      g_assert_no_error (error);
      wk_probe_set_timing (probe, INTERVAL, 5 * SECOND);
      wk_monitor_add_probe (f->monitor, probe);
    }
  g_signal_connect (f->monitor, "event", G_CALLBACK (event_cb), f);
  return f;
}

static void
fixture_free (Fixture *f)
{
  g_object_unref (f->monitor);
  for (guint i = 0; i < f->n_probes; i++)
    wk_test_responder_free (f->responders[i]);
  /* Let the cancelled runs come back before the next test. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (f->events);
  wk_clock_unref (f->clock);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

typedef struct
{
  Fixture *f;
  guint    target;
} ResultWait;

static gboolean
results_in (gpointer data)
{
  ResultWait *wait = data;

  return wait->f->n_results >= wait->target;
}

/* Moves the clock by @us, then waits until every probe run it started has come back. */
static void
advance (Fixture *f, gint64 us)
{
  gint64     before = wk_clock_get_monotonic (f->clock);
  guint      runs = 0;
  ResultWait wait = { f, 0 };

  /* Every probe runs at each multiple of INTERVAL from the start; within one advance a
   * run cannot come back, so the monitor skips the later ones: one run at most. */
  if (f->n_probes > 0 && f->origin > 0)
    {
      gint64 first = (before - f->origin) / INTERVAL + 1;
      gint64 last_run = (before + us - f->origin) / INTERVAL;

      runs = last_run >= first ? 1 : 0;
    }
  wk_clock_test_advance (f->clock, us);
  wait.target = f->n_results + runs * f->n_probes;
  wk_test_wait_for (results_in, &wait, "the probes' results");
}

static void
start (Fixture *f)
{
  ResultWait wait = { f, f->n_results + f->n_probes };

  f->origin = wk_clock_get_monotonic (f->clock);
  wk_monitor_start (f->monitor);
  wk_clock_test_advance (f->clock, 0);
  wk_test_wait_for (results_in, &wait, "the first results");
}

static void
tick (Fixture *f)
{
  advance (f, INTERVAL);
}

static void
set_up (Fixture *f, guint i, gboolean up)
{
  wk_test_responder_set_status (f->responders[i], up ? 200 : 503);
}

static guint
count (Fixture *f, WkMonitorEventKind kind)
{
  guint n = 0;

  for (guint i = 0; i < f->events->len; i++)
    n += ((WkMonitorEvent *)f->events->pdata[i])->kind == kind;
  return n;
}

static const WkMonitorEvent *
last (Fixture *f, WkMonitorEventKind kind)
{
  for (guint i = f->events->len; i > 0; i--)
    if (((WkMonitorEvent *)f->events->pdata[i - 1])->kind == kind)
      return f->events->pdata[i - 1];
  return NULL;
}

/* Every probe fails until the monitor is in DOWNTIME: N intervals with the defaults. */
static void
go_down (Fixture *f)
{
  for (guint i = 0; i < f->n_probes; i++)
    set_up (f, i, FALSE);
  for (int i = 0; i < 3; i++)
    tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
}

/* The states entered so far, "suspect downtime recovering online". */
static char *
transitions (Fixture *f)
{
  g_autoptr (GStrvBuilder) states = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;

  for (guint i = 0; i < f->events->len; i++)
    {
      WkMonitorEvent *event = f->events->pdata[i];

      if (event->kind == WK_MONITOR_EVENT_STATE_CHANGED)
        g_strv_builder_add (states, wk_monitor_state_to_string (event->state));
    }
  list = g_strv_builder_end (states);
  return g_strjoinv (" ", list);
}

static void
assert_transitions (Fixture *f, const char *expected)
{
  g_autofree char *seen = transitions (f);

  g_assert_cmpstr (seen, ==, expected);
}

static void
assert_reason (Fixture *f, const char *fragment)
{
  const char *reason = wk_monitor_get_reason (f->monitor);

  if (strstr (reason, fragment) == NULL)
    g_error ("expected \"%s\" in the monitor's reason: %s", fragment, reason);
}

/* ---- the clock ---- */

typedef struct
{
  WkClock *clock;
  GArray  *fired; /* gint64 monotonic times */
} Fired;

static void
record_cb (gpointer data)
{
  Fired *fired = data;
  gint64 now = wk_clock_get_monotonic (fired->clock);

  g_array_append_val (fired->fired, now);
}

static void
test_clock_test (void)
{
  g_autoptr (WkClock) clock = wk_clock_new_test (START_WALL);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  Fired  fired = { clock, times };
  gint64 t0 = wk_clock_get_monotonic (clock);
  guint  cancelled;

  g_assert_true (wk_clock_is_test (clock));
  g_assert_cmpint (wk_clock_get_wall (clock), ==, START_WALL);
  wk_clock_add_timeout (clock, 30 * SECOND, record_cb, &fired);
  wk_clock_add_timeout (clock, 10 * SECOND, record_cb, &fired);
  cancelled = wk_clock_add_timeout (clock, 20 * SECOND, record_cb, &fired);
  wk_clock_remove_timeout (clock, cancelled);
  g_assert_cmpuint (wk_clock_test_get_n_pending (clock), ==, 2);

  /* A wall-clock jump moves neither the monotonic time nor any timeout. */
  wk_clock_test_jump_wall (clock, 2 * 3600 * SECOND);
  g_assert_cmpint (wk_clock_get_monotonic (clock), ==, t0);
  g_assert_cmpint (wk_clock_get_wall (clock), ==, START_WALL + 2 * 3600 * SECOND);
  g_assert_cmpuint (times->len, ==, 0);

  /* Due timeouts fire in order, each at its own time. */
  wk_clock_test_advance (clock, 60 * SECOND);
  g_assert_cmpuint (times->len, ==, 2);
  g_assert_cmpint (g_array_index (times, gint64, 0), ==, t0 + 10 * SECOND);
  g_assert_cmpint (g_array_index (times, gint64, 1), ==, t0 + 30 * SECOND);
  g_assert_cmpint (wk_clock_get_monotonic (clock), ==, t0 + 60 * SECOND);
  g_assert_cmpint (wk_clock_get_wall (clock), ==, START_WALL + 2 * 3600 * SECOND + 60 * SECOND);
  g_assert_cmpuint (wk_clock_test_get_n_pending (clock), ==, 0);
}

static gboolean
fired_once (gpointer data)
{
  return ((Fired *)data)->fired->len > 0;
}

static void
test_clock_real (void)
{
  g_autoptr (WkClock) clock = wk_clock_new_real ();
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  Fired  fired = { clock, times };
  gint64 asked = wk_clock_get_monotonic (clock);
  gint64 wall = wk_clock_get_wall (clock);
  guint  never;

  g_assert_false (wk_clock_is_test (clock));
  /* The real clock's wall time is the system's. */
  g_assert_cmpint (ABS (wall - g_get_real_time ()), <, 60 * SECOND);
  never = wk_clock_add_timeout (clock, 20 * 1000, record_cb, &fired);
  wk_clock_remove_timeout (clock, never);
  wk_clock_add_timeout (clock, 30 * 1000, record_cb, &fired);
  wk_test_wait_for (fired_once, &fired, "a real timeout");
  g_assert_cmpuint (times->len, ==, 1);
  /* Never early (GLib counts milliseconds on the same monotonic clock). */
  g_assert_cmpint (g_array_index (times, gint64, 0) - asked, >=, 29 * 1000);
}

/* ---- outages ---- */

static void
test_outage_detected (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (2, &settings);
  const WkMonitorEvent *suspect, *downtime, *print;
  g_autofree char      *episode_id = NULL;

  start (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_null (wk_monitor_get_episode (f->monitor));
  assert_reason (f, "a: HTTP 200");

  set_up (f, 0, FALSE);
  set_up (f, 1, FALSE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_SUSPECT);
  assert_reason (f, "1 of 3");
  assert_reason (f, "a: HTTP 503 (expected 200)");
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_SUSPECT);
  assert_reason (f, "2 of 3");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  assert_transitions (f, "suspect downtime");

  /* Timed: SUSPECT at the first failures, DOWNTIME two intervals later, printed at once. */
  suspect = f->events->pdata[0];
  for (guint i = 0; i < f->events->len; i++)
    if (((WkMonitorEvent *)f->events->pdata[i])->kind == WK_MONITOR_EVENT_STATE_CHANGED)
      {
        suspect = f->events->pdata[i];
        break;
      }
  downtime = last (f, WK_MONITOR_EVENT_STATE_CHANGED);
  print = last (f, WK_MONITOR_EVENT_PRINT_NOW);
  g_assert_cmpint (suspect->monotonic_us, ==, f->origin + INTERVAL);
  g_assert_cmpint (downtime->monotonic_us, ==, f->origin + 3 * INTERVAL);
  g_assert_cmpint (downtime->wall_us, ==, START_WALL + 3 * INTERVAL);
  g_assert_cmpint (wk_monitor_get_since (f->monitor, NULL), ==, downtime->monotonic_us);
  g_assert_nonnull (print);
  g_assert_cmpint (print->monotonic_us, ==, downtime->monotonic_us);
  g_assert_false (print->drill);
  g_assert_cmpint (print->episode->kind, ==, WK_EPISODE_OUTAGE);
  g_assert_cmpstr (print->episode->id, ==, wk_monitor_get_episode (f->monitor)->id);
  g_assert_cmpint (print->episode->started_wall_us, ==, START_WALL + 3 * INTERVAL);
  assert_reason (f, "do not answer");
  episode_id = g_strdup (print->episode->id);

  /* Each probe that failed N times is also a warning. */
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING), ==, 2);

  /* Printed once per episode, however long it lasts. */
  for (int i = 0; i < 5; i++)
    tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpstr (wk_monitor_get_episode (f->monitor)->id, ==, episode_id);
  g_assert_cmpint (wk_monitor_get_real_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpstr (wk_monitor_event_kind_to_string (print->kind), ==, "print-now");
  g_assert_cmpstr (wk_monitor_state_to_string (WK_MONITOR_RECOVERING), ==, "recovering");
  g_assert_cmpstr (wk_episode_kind_to_string (WK_EPISODE_PLANNED), ==, "planned");
}

static void
test_one_probe_up_keeps_online (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (2, &settings);
  g_auto (GStrv) warnings = NULL;

  start (f);
  set_up (f, 0, FALSE);
  for (int i = 0; i < 10; i++)
    tick (f);
  /* a has failed ten times, but b answers: no SUSPECT, no DOWNTIME, only a warning. */
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  assert_transitions (f, "");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING), ==, 1);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_WARNING)->warning, ==,
                   WK_MONITOR_WARNING_PROBE_FAILING);
  g_assert_cmpstr (last (f, WK_MONITOR_EVENT_WARNING)->probe, ==, "a");
  warnings = wk_monitor_dup_warnings (f->monitor);
  g_assert_cmpuint (g_strv_length (warnings), ==, 1);
  g_assert_nonnull (strstr (warnings[0], "probe a failed 10 times in a row: HTTP 503"));
  g_assert_cmpuint (wk_monitor_get_last_result (f->monitor, "a")->http_status, ==, 503);
  g_assert_true (wk_monitor_get_last_result (f->monitor, "b")->ok);

  /* Once b fails too, it takes N failures of b (a's count long passed). */
  set_up (f, 1, FALSE);
  tick (f);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_SUSPECT);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);

  /* a's warning clears when it answers again. */
  set_up (f, 0, TRUE);
  tick (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING_CLEARED), ==, 1);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_RECOVERING);
}

static void
test_blip_prints_nothing (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);

  start (f);
  set_up (f, 0, FALSE);
  tick (f);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_SUSPECT);
  set_up (f, 0, TRUE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  /* Another blip starts counting from nothing. */
  set_up (f, 0, FALSE);
  tick (f);
  tick (f);
  set_up (f, 0, TRUE);
  for (int i = 0; i < 5; i++)
    tick (f);
  assert_transitions (f, "suspect online suspect online");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  g_assert_null (wk_monitor_get_episode (f->monitor));
}

static void
test_recovery (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  g_autofree char *episode_id = NULL;

  start (f);
  go_down (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  episode_id = g_strdup (wk_monitor_get_episode (f->monitor)->id);

  /* One answer: RECOVERING, still on paper; a failure: straight back to DOWNTIME. */
  set_up (f, 0, TRUE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_RECOVERING);
  assert_reason (f, "1 of 3 answers in a row");
  set_up (f, 0, FALSE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpstr (wk_monitor_get_episode (f->monitor)->id, ==, episode_id);

  /* M answers in a row: ONLINE, the episode over, printed once in all. */
  set_up (f, 0, TRUE);
  tick (f);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_RECOVERING);
  assert_reason (f, "2 of 3");
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_null (wk_monitor_get_episode (f->monitor));
  assert_reason (f, "answer again");
  assert_transitions (f, "suspect downtime recovering downtime recovering online");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);

  /* A new outage is a new episode, printed again. */
  go_down (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 2);
  g_assert_cmpstr (last (f, WK_MONITOR_EVENT_PRINT_NOW)->episode->id, !=, episode_id);
}

static void
test_confirmation_delay (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;
  gint64 downtime_at;

  settings.confirmation_delay_us = 60 * SECOND;
  f = fixture_new (1, &settings);
  start (f);
  go_down (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  downtime_at = wk_monitor_get_since (f->monitor, NULL);
  /* DOWNTIME shows at once; the print waits for the delay. */
  for (int i = 0; i < 3; i++)
    tick (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  tick (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_PRINT_NOW)->monotonic_us, ==,
                   downtime_at + 60 * SECOND);
  g_assert_nonnull (strstr (last (f, WK_MONITOR_EVENT_PRINT_NOW)->reason, "delay of 1 min"));
}

static void
test_confirmation_delay_recovered (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;

  settings.confirmation_delay_us = 60 * SECOND;
  f = fixture_new (1, &settings);
  start (f);
  go_down (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  /* Back within the delay: never printed, even when the delay has long passed. */
  set_up (f, 0, TRUE);
  for (int i = 0; i < 10; i++)
    tick (f);
  assert_transitions (f, "suspect downtime recovering online");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
}

static void
test_confirmation_delay_cut_short (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;

  settings.confirmation_delay_us = 5 * MINUTE;
  f = fixture_new (1, &settings);
  start (f);
  go_down (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  /* A person who declares downtime needs no confirmation: printed now, and only once. */
  g_assert_true (wk_monitor_declare_downtime (f->monitor, "EPR down", "Night sister", NULL));
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_PRINT_NOW)->monotonic_us, ==,
                   wk_monitor_get_since (f->monitor, NULL));
  advance (f, 10 * MINUTE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
}

/* ---- people ---- */

static void
test_manual (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;
  g_autoptr (GError) error = NULL;
  const WkMonitorEvent *print;

  settings.confirmation_delay_us = 5 * MINUTE; /* never for a person's declaration */
  f = fixture_new (1, &settings);
  start (f);

  /* Refused: nothing to end, no reason, nobody. */
  g_assert_false (wk_monitor_end_downtime (f->monitor, "done", "Sister Invented", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no downtime to end"));
  g_clear_error (&error);
  g_assert_false (wk_monitor_declare_downtime (f->monitor, "  ", "Sister Invented", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (wk_monitor_declare_downtime (f->monitor, "EPR upgrade", NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  assert_transitions (f, "");

  /* Declared: DOWNTIME and printed at once, with who and why. */
  g_assert_true (
      wk_monitor_declare_downtime (f->monitor, "EPR upgrade", "Sister Invented", &error));
  g_assert_no_error (error);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  print = last (f, WK_MONITOR_EVENT_PRINT_NOW);
  g_assert_nonnull (print);
  g_assert_cmpint (print->monotonic_us, ==, f->origin);
  g_assert_cmpint (print->episode->kind, ==, WK_EPISODE_MANUAL);
  g_assert_cmpstr (print->episode->who, ==, "Sister Invented");
  assert_reason (f, "declared by Sister Invented: EPR upgrade");

  /* Answering probes do not end it. */
  for (int i = 0; i < 6; i++)
    tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);

  g_assert_true (
      wk_monitor_end_downtime (f->monitor, "upgrade finished", "Sister Invented", &error));
  g_assert_no_error (error);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  assert_reason (f, "downtime ended by Sister Invented: upgrade finished");
  assert_transitions (f, "downtime online");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
}

static void
test_manual_during_outage (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  g_autoptr (GError) error = NULL;
  g_autofree char *episode_id = NULL;

  start (f);
  go_down (f);
  episode_id = g_strdup (wk_monitor_get_episode (f->monitor)->id);

  /* Declaring during an outage holds the same episode: no second print. */
  g_assert_true (wk_monitor_declare_downtime (f->monitor, "keep paper until pharmacy checks",
                                              "Ward manager", &error));
  g_assert_cmpstr (wk_monitor_get_episode (f->monitor)->id, ==, episode_id);
  set_up (f, 0, TRUE);
  for (int i = 0; i < 4; i++)
    tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);

  /* Ending the declaration while the systems fail leaves an outage that ends by itself. */
  set_up (f, 0, FALSE);
  tick (f);
  g_assert_true (wk_monitor_end_downtime (f->monitor, "checked", "Ward manager", &error));
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  assert_reason (f, "do not answer");
  set_up (f, 0, TRUE);
  for (int i = 0; i < 3; i++)
    tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  assert_transitions (f, "suspect downtime recovering online");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
}

/* ---- planned windows ---- */

static void
test_planned (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (0, &settings);
  g_autoptr (GError) error = NULL;
  const WkMonitorEvent *print;
  gint64                t0 = wk_clock_get_monotonic (f->clock);

  g_assert_true (wk_monitor_add_planned_window (f->monitor, "epr-upgrade", START_WALL + 60 * MINUTE,
                                                START_WALL + 120 * MINUTE, "EPR upgrade", &error));
  g_assert_no_error (error);
  /* One that ended before the monitor started never acts. */
  g_assert_true (
      wk_monitor_add_planned_window (f->monitor, "last-week", START_WALL - 7 * 24 * 60 * MINUTE,
                                     START_WALL - 7 * 24 * 60 * MINUTE + MINUTE, "old", &error));
  start (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  assert_reason (f, "no probes configured");

  /* Charts at the lead time (15 min) before the window, not a second earlier. */
  advance (f, 45 * MINUTE - 1);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  advance (f, 1);
  print = last (f, WK_MONITOR_EVENT_PRINT_NOW);
  g_assert_nonnull (print);
  g_assert_cmpint (print->monotonic_us, ==, t0 + 45 * MINUTE);
  g_assert_cmpint (print->episode->kind, ==, WK_EPISODE_PLANNED);
  g_assert_cmpstr (print->episode->window, ==, "epr-upgrade");
  g_assert_nonnull (strstr (print->reason, "starts in 15 min"));
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);

  /* The window itself: DOWNTIME in the same episode, not printed again. */
  advance (f, 15 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpint (wk_monitor_get_since (f->monitor, NULL), ==, t0 + 60 * MINUTE);
  g_assert_cmpstr (wk_monitor_get_episode (f->monitor)->id, ==, print->episode->id);
  assert_reason (f, "planned downtime epr-upgrade: EPR upgrade");
  advance (f, 60 * MINUTE - 1);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  advance (f, 1);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  assert_transitions (f, "downtime online");

  /* Refused windows. */
  {
    g_autoptr (Fixture) g = fixture_new (0, &settings);

    g_assert_false (wk_monitor_add_planned_window (g->monitor, "backwards", START_WALL, START_WALL,
                                                   "x", &error));
    g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
    g_assert_nonnull (strstr (error->message, "ends before it starts"));
    g_clear_error (&error);
    g_assert_true (wk_monitor_add_planned_window (g->monitor, "twice", START_WALL,
                                                  START_WALL + MINUTE, "x", &error));
    g_assert_false (wk_monitor_add_planned_window (g->monitor, "twice", START_WALL,
                                                   START_WALL + MINUTE, "x", &error));
    g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  }
}

static void
test_planned_at_start (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) soon = fixture_new (0, &settings);
  g_autoptr (Fixture) now = fixture_new (0, &settings);

  /* Started within the lead time: the charts print at once. */
  g_assert_true (wk_monitor_add_planned_window (soon->monitor, "soon", START_WALL + 10 * MINUTE,
                                                START_WALL + 70 * MINUTE, "EPR upgrade", NULL));
  start (soon);
  g_assert_cmpuint (count (soon, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpint (wk_monitor_get_state (soon->monitor), ==, WK_MONITOR_ONLINE);
  advance (soon, 10 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (soon->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpuint (count (soon, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);

  /* Started inside the window: DOWNTIME and printed at once. */
  g_assert_true (wk_monitor_add_planned_window (now->monitor, "now", START_WALL - 10 * MINUTE,
                                                START_WALL + 50 * MINUTE, "EPR upgrade", NULL));
  start (now);
  g_assert_cmpint (wk_monitor_get_state (now->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpuint (count (now, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpint (wk_monitor_get_episode (now->monitor)->kind, ==, WK_EPISODE_PLANNED);
  advance (now, 50 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (now->monitor), ==, WK_MONITOR_ONLINE);
}

/* ---- warnings ---- */

static void
test_feed_silence (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;
  g_auto (GStrv) warnings = NULL;

  settings.feed_silence_us = 10 * MINUTE;
  f = fixture_new (0, &settings);
  start (f);
  advance (f, 9 * MINUTE);
  wk_monitor_note_feed_activity (f->monitor);
  advance (f, 9 * MINUTE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING), ==, 0);
  advance (f, MINUTE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING), ==, 1);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_WARNING)->warning, ==, WK_MONITOR_WARNING_FEED_SILENT);
  g_assert_nonnull (
      strstr (last (f, WK_MONITOR_EVENT_WARNING)->reason, "no HL7 message for 10 min"));
  warnings = wk_monitor_dup_warnings (f->monitor);
  g_assert_cmpuint (g_strv_length (warnings), ==, 1);

  /* A silent feed is a warning, never a downtime, however long it lasts. */
  advance (f, 6 * 60 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING), ==, 1);
  assert_transitions (f, "");

  wk_monitor_note_feed_activity (f->monitor);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING_CLEARED), ==, 1);
  g_clear_pointer (&warnings, g_strfreev);
  warnings = wk_monitor_dup_warnings (f->monitor);
  g_assert_cmpuint (g_strv_length (warnings), ==, 0);
  /* And it is watched again. */
  advance (f, 10 * MINUTE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_WARNING), ==, 2);
}

/* ---- the wall clock ---- */

static void
test_wall_clock_jumps (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  gint64 wall_at_downtime;

  start (f);
  /* Forwards two hours: nothing is decided on it. */
  wk_clock_test_jump_wall (f->clock, 2 * 60 * MINUTE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_CLOCK_JUMP), ==, 1);
  g_assert_nonnull (strstr (last (f, WK_MONITOR_EVENT_CLOCK_JUMP)->reason, "forwards"));

  /* Backwards in the middle of the counting: the count goes on, no faster, no slower. */
  set_up (f, 0, FALSE);
  tick (f);
  wk_clock_test_jump_wall (f->clock, -3 * 60 * MINUTE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_SUSPECT);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_CLOCK_JUMP), ==, 2);
  g_assert_nonnull (strstr (last (f, WK_MONITOR_EVENT_CLOCK_JUMP)->reason, "backwards"));
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpint (wk_monitor_get_since (f->monitor, &wall_at_downtime), ==,
                   f->origin + 4 * INTERVAL);
  /* The wall time shown is the wall clock's, jumps and all. */
  g_assert_cmpint (wall_at_downtime, ==, START_WALL - 60 * MINUTE + 4 * INTERVAL);

  /* A jump of a day neither ends the downtime nor shortens the recovery. */
  wk_clock_test_jump_wall (f->clock, 24 * 60 * MINUTE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  set_up (f, 0, TRUE);
  tick (f);
  tick (f);
  wk_clock_test_jump_wall (f->clock, -24 * 60 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_RECOVERING);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  assert_transitions (f, "suspect downtime recovering online");
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
}

static void
test_wall_clock_jump_planned (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (0, &settings);
  gint64 t0 = wk_clock_get_monotonic (f->clock);

  g_assert_true (wk_monitor_add_planned_window (f->monitor, "epr-upgrade", START_WALL + 60 * MINUTE,
                                                START_WALL + 120 * MINUTE, "EPR upgrade", NULL));
  start (f);
  /* The wall clock leaps into the window: the window neither prints nor starts early. */
  wk_clock_test_jump_wall (f->clock, 90 * MINUTE);
  advance (f, 44 * MINUTE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  /* It keeps the schedule it was given when the monitor started. */
  advance (f, MINUTE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_PRINT_NOW)->monotonic_us, ==, t0 + 45 * MINUTE);
  /* Backwards past the end: it still ends on time. */
  advance (f, 15 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  wk_clock_test_jump_wall (f->clock, -5 * 60 * MINUTE);
  advance (f, 60 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpint (wk_monitor_get_since (f->monitor, NULL), ==, t0 + 120 * MINUTE);
}

/* ---- drills ---- */

static const WkMonitorEvent *
drill_phase_event (Fixture *f, WkMonitorState phase)
{
  for (guint i = 0; i < f->events->len; i++)
    {
      WkMonitorEvent *event = f->events->pdata[i];

      if (event->kind == WK_MONITOR_EVENT_DRILL_PHASE && event->state == phase)
        return event;
    }
  return NULL;
}

static void
test_drill_outage (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (2, &settings);
  g_autoptr (GError) error = NULL;
  WkDrillOptions        options = { WK_DRILL_OUTAGE, "IT on call" };
  const WkMonitorEvent *print;
  gint64                drill_started;

  start (f);
  g_assert_true (wk_monitor_start_drill (f->monitor, &options, &error));
  g_assert_no_error (error);
  drill_started = wk_clock_get_monotonic (f->clock);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DRILL);
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpint (wk_monitor_get_episode (f->monitor)->kind, ==, WK_EPISODE_DRILL);
  g_assert_cmpint (wk_monitor_get_episode (f->monitor)->scenario, ==, WK_DRILL_OUTAGE);
  g_assert_cmpstr (wk_monitor_get_episode (f->monitor)->who, ==, "IT on call");

  /* The probes really answer; the drill counts their runs as failed, as an outage would. */
  tick (f);
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_SUSPECT);
  g_assert_true (last (f, WK_MONITOR_EVENT_PROBE_RESULT)->forced);
  g_assert_true (last (f, WK_MONITOR_EVENT_PROBE_RESULT)->result->ok);
  tick (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  tick (f);
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_DOWNTIME);
  print = last (f, WK_MONITOR_EVENT_PRINT_NOW);
  g_assert_nonnull (print);
  g_assert_true (print->drill);
  g_assert_cmpint (print->episode->kind, ==, WK_EPISODE_DRILL);

  /* Detection timed honestly: first forced failure one interval in, confirmed at N. */
  g_assert_cmpint (drill_phase_event (f, WK_MONITOR_SUSPECT)->monotonic_us, ==,
                   drill_started + INTERVAL);
  g_assert_cmpint (drill_phase_event (f, WK_MONITOR_DOWNTIME)->monotonic_us, ==,
                   drill_started + 3 * INTERVAL);
  g_assert_cmpint (print->monotonic_us, ==, drill_started + 3 * INTERVAL);

  /* The real monitor saw nothing wrong all along. */
  g_assert_cmpint (wk_monitor_get_real_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_REAL_STATE_CHANGED), ==, 0);
  for (int i = 0; i < 3; i++)
    tick (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);

  /* A drill is stopped, not ended as a downtime. */
  g_assert_false (wk_monitor_end_downtime (f->monitor, "done", "IT on call", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "stop the drill"));
  g_clear_error (&error);
  g_assert_true (wk_monitor_stop_drill (f->monitor, "IT on call", &error));
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_null (wk_monitor_get_episode (f->monitor));
  assert_transitions (f, "drill online");
  g_assert_false (last (f, WK_MONITOR_EVENT_STATE_CHANGED)->drill_taken_over);
  g_assert_false (wk_monitor_stop_drill (f->monitor, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
}

static void
test_drill_real_outage_takes_over (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  WkDrillOptions        options = { WK_DRILL_PRINTER_FAILURE, "IT on call" };
  const WkMonitorEvent *takeover, *real_print;

  start (f);
  g_assert_true (wk_monitor_start_drill (f->monitor, &options, NULL));
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_true (last (f, WK_MONITOR_EVENT_PRINT_NOW)->drill);

  /* A real outage underneath: seen while counting, and it takes over at DOWNTIME. */
  set_up (f, 0, FALSE);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DRILL);
  g_assert_cmpint (wk_monitor_get_real_state (f->monitor), ==, WK_MONITOR_SUSPECT);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_REAL_STATE_CHANGED)->state, ==, WK_MONITOR_SUSPECT);
  tick (f);
  tick (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  takeover = last (f, WK_MONITOR_EVENT_STATE_CHANGED);
  g_assert_cmpint (takeover->old_state, ==, WK_MONITOR_DRILL);
  g_assert_true (takeover->drill_taken_over);
  g_assert_nonnull (strstr (takeover->reason, "the drill is over"));
  real_print = last (f, WK_MONITOR_EVENT_PRINT_NOW);
  g_assert_false (real_print->drill);
  g_assert_cmpint (real_print->episode->kind, ==, WK_EPISODE_OUTAGE);
  g_assert_cmpint (real_print->monotonic_us, ==, takeover->monotonic_us);
  g_assert_cmpint (wk_monitor_get_episode (f->monitor)->kind, ==, WK_EPISODE_OUTAGE);
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_ONLINE);
  assert_transitions (f, "drill downtime");
}

static void
test_drill_outage_with_real_outage (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (2, &settings);
  WkDrillOptions options = { WK_DRILL_OUTAGE, "IT on call" };

  start (f);
  g_assert_true (wk_monitor_start_drill (f->monitor, &options, NULL));
  set_up (f, 0, FALSE);
  set_up (f, 1, FALSE);
  for (int i = 0; i < 3; i++)
    tick (f);
  /* Real and forced failures come together: the real downtime wins, only real paper. */
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_true (last (f, WK_MONITOR_EVENT_STATE_CHANGED)->drill_taken_over);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_false (last (f, WK_MONITOR_EVENT_PRINT_NOW)->drill);
}

static void
test_drill_refused (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  g_autoptr (Fixture) none = fixture_new (0, &settings);
  g_autoptr (GError) error = NULL;
  WkDrillOptions outage = { WK_DRILL_OUTAGE, "IT" };
  WkDrillOptions planned = { WK_DRILL_PLANNED, "IT" };

  start (f);
  start (none);
  g_assert_false (wk_monitor_start_drill (none->monitor, &outage, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "[probe NAME]"));
  g_clear_error (&error);

  g_assert_true (wk_monitor_start_drill (f->monitor, &planned, &error));
  g_assert_false (wk_monitor_start_drill (f->monitor, &outage, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "already"));
  g_clear_error (&error);
  g_assert_true (wk_monitor_stop_drill (f->monitor, "IT", &error));

  /* Never during a real downtime, nor while one may be starting. */
  set_up (f, 0, FALSE);
  tick (f);
  g_assert_false (wk_monitor_start_drill (f->monitor, &outage, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "suspect"));
  g_clear_error (&error);
  tick (f);
  tick (f);
  g_assert_false (wk_monitor_start_drill (f->monitor, &planned, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "downtime"));
  g_clear_error (&error);
  set_up (f, 0, TRUE);
  tick (f);
  g_assert_false (wk_monitor_start_drill (f->monitor, &planned, &error));
  g_assert_nonnull (strstr (error->message, "recovering"));
  g_clear_error (&error);
}

static void
test_drill_planned (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (0, &settings);
  WkDrillOptions options = { WK_DRILL_PLANNED, "IT on call", 20 * MINUTE };
  gint64         t0;

  start (f);
  t0 = wk_clock_get_monotonic (f->clock);
  g_assert_true (wk_monitor_start_drill (f->monitor, &options, NULL));
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_ONLINE);
  /* The simulated window starts in 20 min: its charts print 15 min before, at 5 min. */
  advance (f, 5 * MINUTE - 1);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  advance (f, 1);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_true (last (f, WK_MONITOR_EVENT_PRINT_NOW)->drill);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_PRINT_NOW)->monotonic_us, ==, t0 + 5 * MINUTE);
  advance (f, 15 * MINUTE);
  g_assert_cmpint (wk_monitor_get_drill_phase (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpint (drill_phase_event (f, WK_MONITOR_DOWNTIME)->monotonic_us, ==, t0 + 20 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DRILL);
  g_assert_cmpint (wk_monitor_get_real_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_true (wk_monitor_stop_drill (f->monitor, "IT on call", NULL));
  g_assert_cmpuint (wk_clock_test_get_n_pending (f->clock), ==, 1); /* the feed-silence timer */
}

static void
test_drill_planned_window_takes_over (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (0, &settings);
  WkDrillOptions options = { WK_DRILL_PRINTER_FAILURE, "IT" };

  g_assert_true (wk_monitor_add_planned_window (f->monitor, "epr-upgrade", START_WALL + 30 * MINUTE,
                                                START_WALL + 90 * MINUTE, "EPR upgrade", NULL));
  start (f);
  g_assert_true (wk_monitor_start_drill (f->monitor, &options, NULL));
  /* The real window's lead time comes: real charts, and the drill is over. */
  advance (f, 15 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_true (last (f, WK_MONITOR_EVENT_STATE_CHANGED)->drill_taken_over);
  g_assert_false (last (f, WK_MONITOR_EVENT_PRINT_NOW)->drill);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_PRINT_NOW)->episode->kind, ==, WK_EPISODE_PLANNED);
  /* With its charts out, no drill until the window is over. */
  g_assert_false (wk_monitor_start_drill (f->monitor, &options, NULL));
}

/* ---- restarts ---- */

/* Saves @f's monitor state, and makes a new fixture on the same servers, restored. */
static Fixture *
restart (Fixture *f, const WkMonitorSettings *settings)
{
  g_autofree char *saved = wk_monitor_save_to_data (f->monitor);
  g_autoptr (GError) error = NULL;
  Fixture *g = g_new0 (Fixture, 1);

  g->clock = wk_clock_new_test (wk_clock_get_wall (f->clock) + 30 * SECOND);
  g->monitor = wk_monitor_new (g->clock, settings);
  g->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_monitor_event_free);
  g->acknowledge = TRUE;
  for (guint i = 0; i < f->n_probes; i++)
    {
      g_autofree char *url = wk_test_responder_dup_url (f->responders[i], "/health");
      g_autoptr (WkProbe) probe = wk_probe_new_http (i == 0 ? "a" : "b", url, 200, NULL);

      wk_probe_set_timing (probe, INTERVAL, 5 * SECOND);
      wk_monitor_add_probe (g->monitor, probe);
    }
  g_assert_true (wk_monitor_restore_from_data (g->monitor, saved, -1, &error));
  g_assert_no_error (error);
  g_signal_connect (g->monitor, "event", G_CALLBACK (event_cb), g);
  return g;
}

/* The restored fixture shares the first one's servers; it must not free them. */
static void
restarted_free (Fixture *g)
{
  g->n_probes = 0;
  fixture_free (g);
}

static void
test_restore_downtime (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  Fixture         *g;
  g_autofree char *episode_id = NULL;
  gint64           started_wall;

  start (f);
  go_down (f);
  episode_id = g_strdup (wk_monitor_get_episode (f->monitor)->id);
  started_wall = wk_monitor_get_episode (f->monitor)->started_wall_us;

  /* Killed and restarted during DOWNTIME, printed and acknowledged: not printed again. */
  g = restart (f, &settings);
  g->n_probes = 1;
  g->responders[0] = f->responders[0];
  start (g);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpstr (wk_monitor_get_episode (g->monitor)->id, ==, episode_id);
  g_assert_cmpint (wk_monitor_get_episode (g->monitor)->kind, ==, WK_EPISODE_OUTAGE);
  g_assert_cmpint (wk_monitor_get_episode (g->monitor)->started_wall_us, ==, started_wall);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  tick (g);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_DOWNTIME);

  /* It recovers as it would have: M answers in a row. */
  set_up (f, 0, TRUE);
  tick (g);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_RECOVERING);
  tick (g);
  tick (g);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  restarted_free (g);
}

static void
test_restore_unacknowledged (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (1, &settings);
  Fixture         *g;
  g_autofree char *episode_id = NULL;

  /* Killed after PRINT_NOW but before the daemon confirmed its print: print again. */
  f->acknowledge = FALSE;
  start (f);
  go_down (f);
  episode_id = g_strdup (wk_monitor_get_episode (f->monitor)->id);
  g = restart (f, &settings);
  g->n_probes = 1;
  g->responders[0] = f->responders[0];
  start (g);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpstr (last (g, WK_MONITOR_EVENT_PRINT_NOW)->episode->id, ==, episode_id);
  /* Acknowledged this time: a third start would not print. */
  restarted_free (g);
}

static void
test_restore_within_confirmation_delay (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;
  Fixture         *g;
  g_autofree char *episode_id = NULL;
  g_autofree char *saved = NULL;

  /* Killed while the confirmation delay ran: the restarted monitor waits it again, then
   * prints the same episode once. */
  settings.confirmation_delay_us = 2 * MINUTE;
  f = fixture_new (1, &settings);
  start (f);
  go_down (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  episode_id = g_strdup (wk_monitor_get_episode (f->monitor)->id);
  saved = wk_monitor_save_to_data (f->monitor);
  g_assert_nonnull (strstr (saved, "print=waiting"));
  g = restart (f, &settings);
  g->n_probes = 1;
  g->responders[0] = f->responders[0];
  start (g);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  for (int i = 0; i < 8; i++)
    tick (g);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpstr (last (g, WK_MONITOR_EVENT_PRINT_NOW)->episode->id, ==, episode_id);
  g_assert_cmpint (last (g, WK_MONITOR_EVENT_PRINT_NOW)->monotonic_us, ==, g->origin + 2 * MINUTE);
  restarted_free (g);
}

static void
test_restore_declared (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = NULL;
  Fixture         *g;
  g_autofree char *saved = NULL;

  settings.confirmation_delay_us = 2 * MINUTE;
  f = fixture_new (0, &settings);
  start (f);
  /* Ward on paper by a declaration, printed; the saved text says what to keep. */
  g_assert_true (wk_monitor_declare_downtime (f->monitor, "EPR upgrade", "Sister Invented", NULL));
  saved = wk_monitor_save_to_data (f->monitor);
  g_assert_nonnull (strstr (saved, "kind=manual"));
  g_assert_nonnull (strstr (saved, "print=done"));
  g_assert_nonnull (strstr (saved, "hold=true"));
  g_assert_nonnull (strstr (saved, "hold-who=Sister Invented"));

  /* Restored, the declaration still holds: answering probes do not end it. */
  g = restart (f, &settings);
  start (g);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_DOWNTIME);
  assert_reason (g, "declared by Sister Invented");
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  g_assert_true (wk_monitor_end_downtime (g->monitor, "done", "Sister Invented", NULL));
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_ONLINE);
  restarted_free (g);
}

static void
test_restore_planned_lead (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (0, &settings);
  g_autoptr (GError) error = NULL;
  g_autofree char *saved = NULL;
  Fixture         *g = g_new0 (Fixture, 1);
  const char      *printed_id;

  g_assert_true (wk_monitor_add_planned_window (f->monitor, "epr-upgrade", START_WALL + 10 * MINUTE,
                                                START_WALL + 70 * MINUTE, "EPR upgrade", NULL));
  start (f);
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  printed_id = last (f, WK_MONITOR_EVENT_PRINT_NOW)->episode->id;
  saved = wk_monitor_save_to_data (f->monitor);
  g_assert_nonnull (strstr (saved, "[window epr-upgrade]"));

  /* Restarted a minute later, within the lead time: the pre-printed charts stand. */
  g->clock = wk_clock_new_test (START_WALL + MINUTE);
  g->monitor = wk_monitor_new (g->clock, &settings);
  g->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_monitor_event_free);
  g_assert_true (wk_monitor_add_planned_window (g->monitor, "epr-upgrade", START_WALL + 10 * MINUTE,
                                                START_WALL + 70 * MINUTE, "EPR upgrade", NULL));
  g_assert_true (wk_monitor_restore_from_data (g->monitor, saved, -1, &error));
  g_assert_no_error (error);
  g_signal_connect (g->monitor, "event", G_CALLBACK (event_cb), g);
  start (g);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  advance (g, 9 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_cmpstr (wk_monitor_get_episode (g->monitor)->id, ==, printed_id);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  fixture_free (g);
}

/* A planned window a person ended early stays ended across a restart. */
static void
test_restore_planned_ended_early (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = fixture_new (0, &settings);
  g_autoptr (GError) error = NULL;
  g_autofree char *saved = NULL;
  Fixture         *g = g_new0 (Fixture, 1);

  g_assert_true (wk_monitor_add_planned_window (f->monitor, "epr-upgrade", START_WALL - 10 * MINUTE,
                                                START_WALL + 110 * MINUTE, "EPR upgrade", NULL));
  start (f);
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_DOWNTIME);
  g_assert_true (wk_monitor_end_downtime (f->monitor, "finished early", "IT on call", &error));
  g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
  saved = wk_monitor_save_to_data (f->monitor);
  g_assert_nonnull (strstr (saved, "ended=true"));

  g->clock = wk_clock_new_test (START_WALL + MINUTE);
  g->monitor = wk_monitor_new (g->clock, &settings);
  g->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_monitor_event_free);
  g_assert_true (wk_monitor_add_planned_window (g->monitor, "epr-upgrade", START_WALL - 10 * MINUTE,
                                                START_WALL + 110 * MINUTE, "EPR upgrade", NULL));
  g_assert_true (wk_monitor_restore_from_data (g->monitor, saved, -1, &error));
  g_assert_no_error (error);
  g_signal_connect (g->monitor, "event", G_CALLBACK (event_cb), g);
  start (g);
  advance (g, 60 * MINUTE);
  g_assert_cmpint (wk_monitor_get_state (g->monitor), ==, WK_MONITOR_ONLINE);
  g_assert_cmpuint (count (g, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  assert_transitions (g, "");
  fixture_free (g);
}

static void
test_restore_refused (void)
{
  static const struct
  {
    const char *data;
    const char *fragment;
  } cases[] = {
    { "not a key file", "not usable" },
    { "[monitor]\nversion=2\n", "[monitor] version" },
    { "[monitor]\nversion=1\n[elsewhere]\nx=1\n", "unknown group" },
    { "[monitor]\nversion=1\n[episode]\nkind=outage\n", "[episode] id: missing" },
    { "[monitor]\nversion=1\n[episode]\nid=../../etc\nkind=outage\n", "[episode] id" },
    { "[monitor]\nversion=1\n[episode]\nid=abc\nkind=drill\nstarted=2026-03-01T01:00:00Z\n",
      "[episode] kind" },
    { "[monitor]\nversion=1\n[episode]\nid=abc\nkind=outage\nstarted=yesterday\n",
      "[episode] started" },
    { "[monitor]\nversion=1\n[episode]\nid=abc\nkind=outage\nstarted=2026-03-01T01:00:00Z\n"
      "reason=x\nprint=sometimes\ndown=true\nhold=false\n",
      "[episode] print" },
    { "[monitor]\nversion=1\n[episode]\nid=abc\nkind=manual\nstarted=2026-03-01T01:00:00Z\n"
      "reason=x\nprint=done\ndown=false\nhold=true\n",
      "[episode] hold-reason: missing" },
    { "[monitor]\nversion=1\n[episode]\nid=abc\nkind=outage\nstarted=2026-03-01T01:00:00Z\n"
      "reason=two\\nlines\nprint=done\ndown=maybe\nhold=false\n",
      "[episode] reason" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      WkMonitorSettings settings = default_settings ();
      g_autoptr (Fixture) f = fixture_new (0, &settings);
      g_autoptr (GError) error = NULL;

      g_assert_false (wk_monitor_restore_from_data (f->monitor, cases[i].data, -1, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
      if (strstr (error->message, cases[i].fragment) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": expected \"%s\" in: %s", i, cases[i].fragment,
                 error->message);
      /* Nothing restored: the monitor starts ONLINE. */
      start (f);
      g_assert_cmpint (wk_monitor_get_state (f->monitor), ==, WK_MONITOR_ONLINE);
      g_assert_null (wk_monitor_get_episode (f->monitor));
    }
}

/* ---- configuration ---- */

static void
test_from_config (void)
{
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\ntimezone = Europe/London\n"
                                           "[monitor]\ninterval = 10s\ntimeout = 2s\n"
                                           "failures-to-confirm = 2\nconfirmation-delay = 1min\n"
                                           "planned-lead-time = 30min\n"
                                           "[probe epr]\nkind = http\nurl = http://127.0.0.1:%u/\n"
                                           "[probe mllp]\nkind = tcp\naddress = 127.0.0.1:%u\n"
                                           "interval = 20s\n"
                                           "[planned upgrade]\nstart = 2026-03-01 02:00\n"
                                           "end = 2026-03-01 04:00\nreason = EPR upgrade\n",
                                           wk_test_responder_get_port (responder),
                                           wk_test_responder_get_port (responder));
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "test.conf", &error);
  g_autoptr (WkClock) clock = wk_clock_new_test (START_WALL);
  g_autoptr (WkMonitor) monitor = NULL;
  g_autoptr (GPtrArray) events
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_monitor_event_free);
  Fixture f = { clock, NULL, { NULL }, 0, events, 0, FALSE, 0 };
  g_autoptr (WkProbe) check = NULL;

  g_assert_no_error (error);
  monitor = wk_monitor_new_from_config (config, clock, &error);
  g_assert_no_error (error);
  f.monitor = monitor;
  g_signal_connect (monitor, "event", G_CALLBACK (event_cb), &f);
  wk_monitor_start (monitor);
  /* The window (02:00 London = 02:00Z in March) prints 30 min before: 01:30Z. */
  wk_clock_test_advance (clock, 30 * MINUTE - SECOND);
  g_assert_cmpuint (count (&f, WK_MONITOR_EVENT_PRINT_NOW), ==, 0);
  wk_clock_test_advance (clock, SECOND);
  g_assert_cmpuint (count (&f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
  g_assert_cmpstr (last (&f, WK_MONITOR_EVENT_PRINT_NOW)->episode->window, ==, "upgrade");

  /* Each probe takes its timing from its group, else from [monitor]. */
  check = wk_probe_new_from_config (config, "mllp", &error);
  g_assert_no_error (error);
  g_assert_cmpint (wk_probe_get_interval (check), ==, 20 * SECOND);
  g_assert_cmpint (wk_probe_get_timeout (check), ==, 2 * SECOND);
  g_clear_pointer (&check, wk_probe_unref);
  check = wk_probe_new_from_config (config, "epr", &error);
  g_assert_cmpint (wk_probe_get_interval (check), ==, 10 * SECOND);
  g_assert_cmpint (wk_probe_get_kind (check), ==, WK_PROBE_HTTP);
  wk_monitor_stop (monitor);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
assert_config_refused (const char *text, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "test.conf", &error);

  g_assert_null (config);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected \"%s\" in: %s", fragment, error->message);
}

static void
test_config_refused (void)
{
  assert_config_refused ("[ward]\nid = 7A\n[monitor]\ninterval = 5s\ntimeout = 5s\n",
                         "line 5: [monitor] timeout: must be shorter than the interval");
  assert_config_refused ("[ward]\nid = 7A\n[monitor]\ninterval = 2s\n",
                         "[monitor] timeout: must be shorter");
  assert_config_refused ("[ward]\nid = 7A\n[probe epr]\nkind = http\n", "[probe epr] url: missing");
  assert_config_refused ("[ward]\nid = 7A\n[probe epr]\nkind = http\naddress = epr:80\n",
                         "takes url, not address");
  assert_config_refused ("[ward]\nid = 7A\n[probe epr]\nkind = http\nurl = ftp://epr/\n",
                         "line 5: [probe epr] url: expected an http:// or https:// URL");
  assert_config_refused ("[ward]\nid = 7A\n[probe mllp]\nkind = tcp\naddress = mllp\n",
                         "[probe mllp] address: expected an address as host:port");
  assert_config_refused ("[ward]\nid = 7A\n[probe mllp]\nkind = tcp\nurl = http://x/\n",
                         "a tcp probe takes address");
  assert_config_refused ("[ward]\nid = 7A\n[probe mllp]\nkind = tcp\naddress = m:1\n"
                         "expect-status = 200\n",
                         "[probe mllp] expect-status: only for http probes");
  assert_config_refused ("[ward]\nid = 7A\n[probe mllp]\nkind = smtp\naddress = m:1\n",
                         "one of `http`, `tcp`");
  assert_config_refused ("[ward]\nid = 7A\n[probe mllp]\naddress = m:1\n",
                         "missing required key \"kind\"");
  assert_config_refused ("[ward]\nid = 7A\n[probe epr]\nkind = http\nurl = http://e/\n"
                         "interval = 1s\ntimeout = 2s\n",
                         "[probe epr] timeout: must be shorter than the probe's interval");
  assert_config_refused ("[ward]\nid = 7A\n[planned x]\nstart = 2026-03-01 02:00\n"
                         "end = 2026-03-01 01:00\nreason = r\n",
                         "line 5: [planned x] end: must be after start");
  assert_config_refused ("[ward]\nid = 7A\n[planned x]\nstart = tomorrow\n"
                         "end = 2026-03-01 01:00\nreason = r\n",
                         "line 4: [planned x] start: expected a date and time");
  assert_config_refused ("[ward]\nid = 7A\n[planned x]\nstart = 2026-03-01 01:00\n"
                         "end = 2026-03-01 03:00\n",
                         "missing required key \"reason\"");
  assert_config_refused ("[ward]\nid = 7A\n[monitor]\nfailures-to-confirm = 0\n",
                         "[monitor] failures-to-confirm");
  /* Every problem at once: a wrong value and what keys mean together. */
  assert_config_refused ("[ward]\nid = 7A\n[monitor]\nfailures-to-confirm = 0\n"
                         "[probe epr]\nkind = http\n",
                         "2 problems in the configuration");
}

static void
test_parse_time (void)
{
  g_autoptr (GTimeZone) london = g_time_zone_new_identifier ("Europe/London");

  static const struct
  {
    const char *text;
    gint64      unix_s;
  } good[] = {
    { "2026-03-01 02:00", 1772330400 }, /* GMT */
    { "2026-07-01 02:00", 1782867600 }, /* BST: an hour earlier in UTC */
    { "2026-07-01T02:00:30", 1782867630 },    { "2026-07-01T02:00Z", 1782871200 },
    { "2026-07-01 02:00+02:00", 1782864000 }, { "2026-07-01 02:00-0130", 1782876600 },
    { "2026-07-01 02:00+05", 1782853200 },
  };

  static const char *const bad[] = {
    "",
    "2026-03-01",
    "2026-03-01 2:00",
    "2026-13-01 02:00",
    "2026-02-30 02:00",
    "2026-03-01 24:00",
    "2026-03-01 02:00 ",
    "2026-03-01 02:00+25:00",
    "2026-03-01 02:00Zulu",
    "1969-12-31 23:59",
    "2026-03-01 02:00:60",
    "2026/03/01 02:00",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 us = 0;

      g_assert_true (wk_config_parse_time (good[i].text, london, &us, &error));
      g_assert_no_error (error);
      if (us != good[i].unix_s * SECOND)
        g_error ("%s: got %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT, good[i].text,
                 us / SECOND, good[i].unix_s);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 us = 0;

      if (wk_config_parse_time (bad[i], london, &us, &error))
        g_error ("accepted \"%s\"", bad[i]);
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
      g_assert_nonnull (strstr (error->message, "2026-03-01 01:00"));
    }
}

/* ---- the whole path on the real clock ---- */

typedef struct
{
  Fixture       *f;
  WkMonitorState state;
} StateWait;

static gboolean
state_reached (gpointer data)
{
  StateWait *wait = data;

  return wk_monitor_get_state (wait->f->monitor) == wait->state;
}

static gboolean
printed (gpointer data)
{
  return count (data, WK_MONITOR_EVENT_PRINT_NOW) > 0;
}

/* Real clock, real GLib timeouts, real sockets: short intervals, an HTTP and a TCP probe.
 * Asserts the order of what happens and that detection never beats the counting, not how
 * fast it is (that is the benchmark's job). */
static void
test_real_clock_end_to_end (void)
{
  WkMonitorSettings settings = default_settings ();
  g_autoptr (Fixture) f = g_new0 (Fixture, 1);
  g_autoptr (WkTestResponder) responder = wk_test_responder_new (NULL);
  g_autofree char *url = wk_test_responder_dup_url (responder, "/health");
  /* The interface engine's port: a server that accepts (a bare listening socket's
   * backlog would fill up with probe connections). */
  WkTestResponder *engine = wk_test_responder_new (NULL);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", wk_test_responder_get_port (engine));
  g_autoptr (WkProbe) http = wk_probe_new_http ("epr", url, 200, NULL);
  g_autoptr (WkProbe) tcp = wk_probe_new_tcp ("mllp", address, NULL);
  StateWait    wait = { f, WK_MONITOR_ONLINE };
  const gint64 interval = 400 * 1000;
  gint64       outage_at, suspect_at = 0, downtime_at = 0;

  settings.successes_to_recover = 2;
  settings.confirmation_delay_us = 100 * 1000;
  f->clock = wk_clock_new_real ();
  f->monitor = wk_monitor_new (f->clock, &settings);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_monitor_event_free);
  f->acknowledge = TRUE;
  wk_probe_set_timing (http, interval, 300 * 1000);
  wk_probe_set_timing (tcp, interval, 300 * 1000);
  wk_monitor_add_probe (f->monitor, http);
  wk_monitor_add_probe (f->monitor, tcp);
  g_signal_connect (f->monitor, "event", G_CALLBACK (event_cb), f);
  wk_monitor_start (f->monitor);
  {
    ResultWait results = { f, 4 };

    wk_test_wait_for (results_in, &results, "two rounds of results");
  }
  wk_test_wait_for (state_reached, &wait, "ONLINE on the real clock");

  /* The EPR answers 503 and the interface engine's port closes. */
  outage_at = g_get_monotonic_time ();
  wk_test_responder_set_status (responder, 503);
  wk_test_responder_free (engine);
  wait.state = WK_MONITOR_DOWNTIME;
  wk_test_wait_for (state_reached, &wait, "DOWNTIME on the real clock");
  wk_test_wait_for (printed, f, "PRINT_NOW after the confirmation delay");
  for (guint i = 0; i < f->events->len; i++)
    {
      WkMonitorEvent *event = f->events->pdata[i];

      if (event->kind == WK_MONITOR_EVENT_STATE_CHANGED && event->state == WK_MONITOR_SUSPECT)
        suspect_at = event->monotonic_us;
      if (event->kind == WK_MONITOR_EVENT_STATE_CHANGED && event->state == WK_MONITOR_DOWNTIME)
        downtime_at = event->monotonic_us;
    }
  g_assert_cmpint (suspect_at, >, outage_at);
  /* Three failures of each probe, an interval apart: never sooner than two intervals. */
  g_assert_cmpint (downtime_at - suspect_at, >=, 2 * interval - interval / 2);
  g_assert_cmpint (last (f, WK_MONITOR_EVENT_PRINT_NOW)->monotonic_us - downtime_at, >=,
                   100 * 1000);
  g_assert_nonnull (strstr (wk_monitor_get_reason (f->monitor), "connection refused"));
  g_assert_nonnull (strstr (wk_monitor_get_reason (f->monitor), "HTTP 503"));

  /* The EPR comes back (the TCP probe stays down): one probe up ends it after M. */
  wk_test_responder_set_status (responder, 200);
  wait.state = WK_MONITOR_ONLINE;
  wk_test_wait_for (state_reached, &wait, "ONLINE again on the real clock");
  {
    g_autofree char *seen = transitions (f);

    /* (A loaded machine may time a loopback run out now and then: SUSPECT on the way.) */
    g_assert_true (g_str_has_suffix (seen, "downtime recovering online"));
  }
  g_assert_cmpuint (count (f, WK_MONITOR_EVENT_PRINT_NOW), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_setenv ("http_proxy", "http://127.0.0.1:1", TRUE);

  g_test_add_func ("/monitor/clock/test", test_clock_test);
  g_test_add_func ("/monitor/clock/real", test_clock_real);
  g_test_add_func ("/monitor/outage/detected", test_outage_detected);
  g_test_add_func ("/monitor/outage/one-probe-up-keeps-online", test_one_probe_up_keeps_online);
  g_test_add_func ("/monitor/outage/blip-prints-nothing", test_blip_prints_nothing);
  g_test_add_func ("/monitor/outage/recovery", test_recovery);
  g_test_add_func ("/monitor/outage/confirmation-delay", test_confirmation_delay);
  g_test_add_func ("/monitor/outage/confirmation-delay-recovered",
                   test_confirmation_delay_recovered);
  g_test_add_func ("/monitor/outage/confirmation-delay-cut-short",
                   test_confirmation_delay_cut_short);
  g_test_add_func ("/monitor/manual/declare-and-end", test_manual);
  g_test_add_func ("/monitor/manual/during-outage", test_manual_during_outage);
  g_test_add_func ("/monitor/planned/lead-time", test_planned);
  g_test_add_func ("/monitor/planned/at-start", test_planned_at_start);
  g_test_add_func ("/monitor/feed-silence-is-a-warning", test_feed_silence);
  g_test_add_func ("/monitor/wall-clock/jumps-change-nothing", test_wall_clock_jumps);
  g_test_add_func ("/monitor/wall-clock/planned-keeps-schedule", test_wall_clock_jump_planned);
  g_test_add_func ("/monitor/drill/outage", test_drill_outage);
  g_test_add_func ("/monitor/drill/real-outage-takes-over", test_drill_real_outage_takes_over);
  g_test_add_func ("/monitor/drill/outage-with-real-outage", test_drill_outage_with_real_outage);
  g_test_add_func ("/monitor/drill/refused", test_drill_refused);
  g_test_add_func ("/monitor/drill/planned", test_drill_planned);
  g_test_add_func ("/monitor/drill/planned-window-takes-over",
                   test_drill_planned_window_takes_over);
  g_test_add_func ("/monitor/restore/downtime", test_restore_downtime);
  g_test_add_func ("/monitor/restore/unacknowledged-print", test_restore_unacknowledged);
  g_test_add_func ("/monitor/restore/declared", test_restore_declared);
  g_test_add_func ("/monitor/restore/within-confirmation-delay",
                   test_restore_within_confirmation_delay);
  g_test_add_func ("/monitor/restore/planned-lead", test_restore_planned_lead);
  g_test_add_func ("/monitor/restore/planned-ended-early", test_restore_planned_ended_early);
  g_test_add_func ("/monitor/restore/refused", test_restore_refused);
  g_test_add_func ("/monitor/config/from-config", test_from_config);
  g_test_add_func ("/monitor/config/refused", test_config_refused);
  g_test_add_func ("/monitor/config/parse-time", test_parse_time);
  g_test_add_func ("/monitor/real-clock-end-to-end", test_real_clock_end_to_end);

  return g_test_run ();
}
