/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-drill-log.h — the record a downtime drill leaves in the ward model: its report. */

#pragma once

#include "wk-episode.h"
#include "wk-model.h"

G_BEGIN_DECLS

/**
 * WkDrillRecord:
 * @id: the drill's episode id
 * @scenario: which drill
 * @ward_id: the ward drilled
 * @started_by: (nullable): who started it
 * @stopped_by: (nullable): who stopped it (%NULL when a real downtime took over)
 * @started_at: when it started (UTC seconds)
 * @ended_at: when it ended (UTC seconds)
 * @taken_over: a real downtime ended it
 * @interrupted: the daemon stopped during it (reported when it started again)
 * @passed: every target was met
 * @report: the report, JSON (README "Drills")
 *
 * One drill, as the evidence kept for it in the encrypted store (schema 0007).
 */
typedef struct
{
  char           *id;
  WkDrillScenario scenario;
  char           *ward_id;
  char           *started_by;
  char           *stopped_by;
  gint64          started_at;
  gint64          ended_at;
  gboolean        taken_over;
  gboolean        interrupted;
  gboolean        passed;
  char           *report;
} WkDrillRecord;

void           wk_drill_record_free (WkDrillRecord *record);
gboolean       wk_drill_log_record (WkModel *model, const WkDrillRecord *record, GError **error);
WkDrillRecord *wk_drill_log_load (WkModel *model, const char *id, GError **error);
GPtrArray     *wk_drill_log_load_all (WkModel *model, GError **error);
gboolean       wk_drill_log_forget_paper (WkModel *model, const char *episode_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkDrillRecord, wk_drill_record_free)

G_END_DECLS
