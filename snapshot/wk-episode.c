/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-episode.c — one downtime episode: the time a ward is on paper, printed for once. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-episode.h"

#include <string.h>

static const char *const kind_names[] = { "outage", "manual", "planned", "drill" };
static const char *const scenario_names[] = { "none", "outage", "planned", "printer-failure" };

/**
 * wk_episode_new:
 * @kind: what started it
 * @reason: why, in words
 *
 * Returns: (transfer full): an episode with a new random id and no times set
 */
WkEpisode *
wk_episode_new (WkEpisodeKind kind, const char *reason)
{
  WkEpisode *episode = g_new0 (WkEpisode, 1);

  g_return_val_if_fail (reason != NULL, NULL);

  episode->id = g_uuid_string_random ();
  episode->kind = kind;
  episode->reason = g_strdup (reason);
  return episode;
}

/**
 * wk_episode_copy:
 * @episode: a #WkEpisode
 *
 * Returns: (transfer full): a copy
 */
WkEpisode *
wk_episode_copy (const WkEpisode *episode)
{
  WkEpisode *copy;

  g_return_val_if_fail (episode != NULL, NULL);

  copy = g_memdup2 (episode, sizeof *episode);
  copy->id = g_strdup (episode->id);
  copy->reason = g_strdup (episode->reason);
  copy->who = g_strdup (episode->who);
  copy->window = g_strdup (episode->window);
  return copy;
}

/**
 * wk_episode_free:
 * @episode: (nullable) (transfer full): a #WkEpisode
 */
void
wk_episode_free (WkEpisode *episode)
{
  if (episode == NULL)
    return;
  g_free (episode->id);
  g_free (episode->reason);
  g_free (episode->who);
  g_free (episode->window);
  g_free (episode);
}

/**
 * wk_episode_kind_to_string:
 * @kind: a #WkEpisodeKind
 *
 * Returns: "outage", "manual", "planned" or "drill"
 */
const char *
wk_episode_kind_to_string (WkEpisodeKind kind)
{
  g_return_val_if_fail ((guint)kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

/**
 * wk_episode_kind_from_string:
 * @text: a name from wk_episode_kind_to_string()
 * @kind: (out): the kind
 *
 * Returns: %FALSE when @text names no kind
 */
gboolean
wk_episode_kind_from_string (const char *text, WkEpisodeKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *kind = (WkEpisodeKind)i;
        return TRUE;
      }
  return FALSE;
}

/**
 * wk_drill_scenario_to_string:
 * @scenario: a #WkDrillScenario
 *
 * Returns: "none", "outage", "planned" or "printer-failure"
 */
const char *
wk_drill_scenario_to_string (WkDrillScenario scenario)
{
  g_return_val_if_fail ((guint)scenario < G_N_ELEMENTS (scenario_names), NULL);

  return scenario_names[scenario];
}

/**
 * wk_drill_scenario_from_string:
 * @text: a name from wk_drill_scenario_to_string()
 * @scenario: (out): the scenario
 *
 * Returns: %FALSE when @text names no scenario
 */
gboolean
wk_drill_scenario_from_string (const char *text, WkDrillScenario *scenario)
{
  for (guint i = 0; i < G_N_ELEMENTS (scenario_names); i++)
    if (g_strcmp0 (text, scenario_names[i]) == 0)
      {
        *scenario = (WkDrillScenario)i;
        return TRUE;
      }
  return FALSE;
}
