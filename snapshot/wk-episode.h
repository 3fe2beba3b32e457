/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-episode.h — one downtime episode: the time a ward is on paper, printed for once. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkEpisodeKind:
 * @WK_EPISODE_OUTAGE: the probes found the central systems down
 * @WK_EPISODE_MANUAL: a person declared downtime
 * @WK_EPISODE_PLANNED: a planned downtime window from the configuration
 * @WK_EPISODE_DRILL: a drill: everything as in a downtime, on paper marked DRILL
 */
typedef enum
{
  WK_EPISODE_OUTAGE,
  WK_EPISODE_MANUAL,
  WK_EPISODE_PLANNED,
  WK_EPISODE_DRILL,
} WkEpisodeKind;

/**
 * WkDrillScenario:
 * @WK_DRILL_NONE: not a drill
 * @WK_DRILL_OUTAGE: every probe run from the drill's start counts as failed, through the
 *   same counting and confirmation delay as a real outage, so the detection time it
 *   reports is the real one
 * @WK_DRILL_PLANNED: a planned window is simulated; charts are printed at the lead time
 *   before it starts
 * @WK_DRILL_PRINTER_FAILURE: downtime at once; the daemon makes the printing fail over
 */
typedef enum
{
  WK_DRILL_NONE,
  WK_DRILL_OUTAGE,
  WK_DRILL_PLANNED,
  WK_DRILL_PRINTER_FAILURE,
} WkDrillScenario;

/**
 * WkEpisode:
 * @id: unique (a random UUID): the daemon prints once per id and names it on paper
 * @kind: what started it
 * @scenario: for %WK_EPISODE_DRILL, which drill; else %WK_DRILL_NONE
 * @reason: why it started, in words
 * @who: (nullable): who declared it or started the drill
 * @window: (nullable): for %WK_EPISODE_PLANNED, the NAME of its `[planned NAME]` window
 * @started_us: monotonic time it started (after a restore: the time of the restore)
 * @started_wall_us: wall time it started (UTC microseconds), for display; kept across
 *   restarts
 *
 * A downtime episode: from the moment a ward needs paper (a confirmed outage, a declared
 * downtime, the lead time before a planned window, a drill) until the monitor is back
 * ONLINE. The daemon prints the ward once per episode.
 */
typedef struct
{
  char           *id;
  WkEpisodeKind   kind;
  WkDrillScenario scenario;
  char           *reason;
  char           *who;
  char           *window;
  gint64          started_us;
  gint64          started_wall_us;
} WkEpisode;

WkEpisode *wk_episode_new (WkEpisodeKind kind, const char *reason);
WkEpisode *wk_episode_copy (const WkEpisode *episode);
void       wk_episode_free (WkEpisode *episode);

const char *wk_episode_kind_to_string (WkEpisodeKind kind);
gboolean    wk_episode_kind_from_string (const char *text, WkEpisodeKind *kind);
const char *wk_drill_scenario_to_string (WkDrillScenario scenario);
gboolean    wk_drill_scenario_from_string (const char *text, WkDrillScenario *scenario);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkEpisode, wk_episode_free)

G_END_DECLS
