/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-monitor.h — the health monitor: is the ward online, or must it be on paper? */

#pragma once

#include "wk-clock.h"
#include "wk-config.h"
#include "wk-episode.h"
#include "wk-probe.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkMonitorState:
 * @WK_MONITOR_ONLINE: the central systems answer (or there is nothing to watch)
 * @WK_MONITOR_SUSPECT: every probe's latest run failed, not yet often enough to confirm
 * @WK_MONITOR_DOWNTIME: the ward is on paper: every probe failed N times in a row, or a
 *   person declared downtime, or a planned window is on
 * @WK_MONITOR_RECOVERING: the downtime is over as far as anyone said, but no probe has
 *   answered M times in a row yet; still on paper
 * @WK_MONITOR_DRILL: a drill is on (see wk_monitor_get_drill_phase()); the real
 *   monitor runs underneath and a real downtime ends the drill at once
 */
typedef enum
{
  WK_MONITOR_ONLINE,
  WK_MONITOR_SUSPECT,
  WK_MONITOR_DOWNTIME,
  WK_MONITOR_RECOVERING,
  WK_MONITOR_DRILL,
} WkMonitorState;

/**
 * WkMonitorSettings:
 * @failures_to_confirm: N: every probe must fail this many times in a row for DOWNTIME
 * @successes_to_recover: M: a probe must answer this many times in a row to end it
 * @confirmation_delay_us: how long DOWNTIME must last before the ward is printed
 * @feed_silence_us: after this long without an HL7 message, warn (0: never)
 * @planned_lead_us: how long before a planned window its charts are printed
 *
 * The monitor's timing (`[monitor]` in the configuration; each probe has its own interval
 * and timeout). wk_monitor_settings_init() fills in the defaults.
 */
typedef struct
{
  guint  failures_to_confirm;
  guint  successes_to_recover;
  gint64 confirmation_delay_us;
  gint64 feed_silence_us;
  gint64 planned_lead_us;
} WkMonitorSettings;

/**
 * WkMonitorEventKind:
 * @WK_MONITOR_EVENT_STATE_CHANGED: wk_monitor_get_state() changed
 * @WK_MONITOR_EVENT_PRINT_NOW: print the ward for @episode, now (once per episode:
 *   confirmed downtime after the confirmation delay, a declared downtime, the lead time
 *   before a planned window, a drill's downtime)
 * @WK_MONITOR_EVENT_PROBE_RESULT: a probe run finished
 * @WK_MONITOR_EVENT_WARNING: a warning was raised (not a downtime)
 * @WK_MONITOR_EVENT_WARNING_CLEARED: a warning no longer holds
 * @WK_MONITOR_EVENT_DRILL_PHASE: the drill's simulated state moved (its SUSPECT, its
 *   DOWNTIME)
 * @WK_MONITOR_EVENT_REAL_STATE_CHANGED: during a drill, the real state underneath changed
 * @WK_MONITOR_EVENT_CLOCK_JUMP: the wall clock jumped; nothing was decided on it
 */
typedef enum
{
  WK_MONITOR_EVENT_STATE_CHANGED,
  WK_MONITOR_EVENT_PRINT_NOW,
  WK_MONITOR_EVENT_PROBE_RESULT,
  WK_MONITOR_EVENT_WARNING,
  WK_MONITOR_EVENT_WARNING_CLEARED,
  WK_MONITOR_EVENT_DRILL_PHASE,
  WK_MONITOR_EVENT_REAL_STATE_CHANGED,
  WK_MONITOR_EVENT_CLOCK_JUMP,
} WkMonitorEventKind;

/**
 * WkMonitorWarning:
 * @WK_MONITOR_WARNING_NONE: not a warning event
 * @WK_MONITOR_WARNING_FEED_SILENT: no HL7 message for longer than the threshold
 * @WK_MONITOR_WARNING_PROBE_FAILING: one probe failed N times in a row (others may answer)
 */
typedef enum
{
  WK_MONITOR_WARNING_NONE,
  WK_MONITOR_WARNING_FEED_SILENT,
  WK_MONITOR_WARNING_PROBE_FAILING,
} WkMonitorWarning;

/**
 * WkMonitorEvent:
 * @kind: what happened
 * @monotonic_us: when, on the monitor's monotonic clock (what a drill report times)
 * @wall_us: when, in wall time (UTC microseconds), for display
 * @old_state: STATE_CHANGED, REAL_STATE_CHANGED, DRILL_PHASE: the state before
 * @state: the state after
 * @reason: what happened, in words for staff and logs
 * @episode: (nullable): the episode the event belongs to (for PRINT_NOW, the one to print)
 * @drill: the event belongs to a drill (PRINT_NOW: every page gets the DRILL watermark)
 * @drill_taken_over: STATE_CHANGED from DRILL: a real downtime ended the drill
 * @probe: (nullable): PROBE_RESULT and PROBE_FAILING warnings: the probe's name
 * @result: (nullable): PROBE_RESULT: what the probe really found
 * @forced: PROBE_RESULT: an outage drill counted this run as a failure
 * @warning: WARNING, WARNING_CLEARED: which warning
 *
 * What the "event" signal carries. Every state change, print and warning is an event with
 * its time, so that the daemon can log and act on them and a drill report can time them.
 */
typedef struct
{
  WkMonitorEventKind kind;
  gint64             monotonic_us;
  gint64             wall_us;
  WkMonitorState     old_state;
  WkMonitorState     state;
  char              *reason;
  WkEpisode         *episode;
  gboolean           drill;
  gboolean           drill_taken_over;
  char              *probe;
  WkProbeResult     *result;
  gboolean           forced;
  WkMonitorWarning   warning;
} WkMonitorEvent;

#define WK_TYPE_MONITOR_EVENT (wk_monitor_event_get_type ())
GType           wk_monitor_event_get_type (void);
WkMonitorEvent *wk_monitor_event_copy (const WkMonitorEvent *event);
void            wk_monitor_event_free (WkMonitorEvent *event);

/**
 * WkDrillOptions:
 * @scenario: which drill
 * @who: (nullable): who starts it, for the report and the logs
 * @planned_start_in_us: %WK_DRILL_PLANNED: how long from now the simulated window starts
 *   (its charts print at the lead time before; 0: the lead time, so they print at once)
 */
typedef struct
{
  WkDrillScenario scenario;
  const char     *who;
  gint64          planned_start_in_us;
} WkDrillOptions;

#define WK_TYPE_MONITOR (wk_monitor_get_type ())
G_DECLARE_FINAL_TYPE (WkMonitor, wk_monitor, WK, MONITOR, GObject)

void wk_monitor_settings_init (WkMonitorSettings *settings);

WkMonitor *wk_monitor_new (WkClock *clock, const WkMonitorSettings *settings);
WkMonitor *wk_monitor_new_from_config (WkConfig *config, WkClock *clock, GError **error);
void       wk_monitor_add_probe (WkMonitor *monitor, WkProbe *probe);
gboolean   wk_monitor_add_planned_window (WkMonitor  *monitor,
                                          const char *name,
                                          gint64      start_wall_us,
                                          gint64      end_wall_us,
                                          const char *reason,
                                          GError    **error);
gboolean
wk_monitor_restore_from_data (WkMonitor *monitor, const char *data, gssize length, GError **error);
void wk_monitor_start (WkMonitor *monitor);
void wk_monitor_stop (WkMonitor *monitor);

void     wk_monitor_note_feed_activity (WkMonitor *monitor);
gboolean wk_monitor_declare_downtime (WkMonitor  *monitor,
                                      const char *reason,
                                      const char *who,
                                      GError    **error);
gboolean
wk_monitor_end_downtime (WkMonitor *monitor, const char *reason, const char *who, GError **error);
gboolean wk_monitor_start_drill (WkMonitor *monitor, const WkDrillOptions *options, GError **error);
gboolean wk_monitor_stop_drill (WkMonitor *monitor, const char *who, GError **error);
gboolean wk_monitor_acknowledge_print (WkMonitor *monitor, const char *episode_id, GError **error);

WkMonitorState       wk_monitor_get_state (WkMonitor *monitor);
WkMonitorState       wk_monitor_get_real_state (WkMonitor *monitor);
WkMonitorState       wk_monitor_get_drill_phase (WkMonitor *monitor);
gint64               wk_monitor_get_since (WkMonitor *monitor, gint64 *wall_us);
const char          *wk_monitor_get_reason (WkMonitor *monitor);
const WkEpisode     *wk_monitor_get_episode (WkMonitor *monitor);
GStrv                wk_monitor_dup_warnings (WkMonitor *monitor);
const WkProbeResult *wk_monitor_get_last_result (WkMonitor *monitor, const char *probe);
char                *wk_monitor_save_to_data (WkMonitor *monitor);

const char *wk_monitor_state_to_string (WkMonitorState state);
const char *wk_monitor_event_kind_to_string (WkMonitorEventKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkMonitorEvent, wk_monitor_event_free)

G_END_DECLS
