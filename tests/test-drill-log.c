/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-drill-log.c — a drill's record in the ward model: kept, listed, never changed; and
 * the drill's paper removed from the print ledger, a real episode's never. */

#include "wk-drill-log.h"
#include "wk-ledger.h"
#include "wk-model-private.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"

#include <string.h>

/* 2026-03-14T02:13:00Z */
#define T0 G_GINT64_CONSTANT (1773454380)

static gint64
count (WkModel *model, const char *sql)
{
  g_auto (WkModelStmt) stmt = _wk_model_prepare (model, sql, NULL);

  g_assert_nonnull (stmt);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

/* An episode with one request, its census and one chart (each a page and a completed job). */
static WkEpisode *
print_episode (WkModel      *model,
               WkEpisodeKind kind,
               const char   *census_id,
               const char   *chart_id,
               gint64        patient_id)
{
  g_autoptr (GError) error = NULL;
  WkEpisode *episode = wk_episode_new (kind, kind == WK_EPISODE_DRILL ? "drill" : "outage");
  g_autoptr (WkLedgerRequest) request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, "daemon");
  const char *ids[] = { census_id, chart_id };

  episode->scenario = kind == WK_EPISODE_DRILL ? WK_DRILL_OUTAGE : WK_DRILL_NONE;
  episode->started_wall_us = T0 * G_USEC_PER_SEC;
  g_assert_true (wk_ledger_record_episode (model, episode, &error));
  g_assert_no_error (error);
  request->episode_id = g_strdup (episode->id);
  request->drill = kind == WK_EPISODE_DRILL;
  request->automatic = TRUE;
  g_assert_true (wk_ledger_record_request (model, request, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (WkLedgerDocument) document = wk_ledger_document_new (
          ids[i], request->id, i == 0 ? WK_LEDGER_DOCUMENT_CENSUS : WK_LEDGER_DOCUMENT_CHART);
      gint64 job;

      document->patient_id = i == 0 ? 0 : patient_id;
      document->ward_id = g_strdup ("7A");
      document->drill = request->drill;
      document->snapshot_seq = 42;
      document->snapshot_at = T0;
      document->printed_at = T0 + 60;
      wk_ledger_document_add_page (document, "WK:PAGE", NULL, 0);
      g_assert_true (wk_ledger_record_document (model, document, &error));
      g_assert_no_error (error);
      job = wk_ledger_record_job (model, ids[i], "office", T0 * G_USEC_PER_SEC, &error);
      g_assert_no_error (error);
      g_assert_true (wk_ledger_update_job (model, job, WK_LEDGER_JOB_COMPLETED, 7, NULL,
                                           (T0 + 5) * G_USEC_PER_SEC, &error));
      g_assert_no_error (error);
    }
  return episode;
}

static void
test_forget_paper (void)
{
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 4);
  g_autoptr (WkPatient) patient = wk_test_patient_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) real = NULL;
  g_autoptr (WkEpisode) drill = NULL;
  g_autoptr (GPtrArray) episodes = NULL;

  patient->ward_id = g_strdup ("7A");
  g_assert_true (wk_patient_insert (model, patient, &error));
  real = print_episode (model, WK_EPISODE_OUTAGE, "AAAAAAAA", "BBBBBBBB", patient->id);
  drill = print_episode (model, WK_EPISODE_DRILL, "CCCCCCCC", "DDDDDDDD", patient->id);
  g_assert_cmpint (count (model, "SELECT count(*) FROM printed_document"), ==, 4);

  /* A real episode's paper stays, whatever is asked. */
  g_assert_false (wk_drill_log_forget_paper (model, real->id, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "real downtime"));
  g_clear_error (&error);

  /* The drill's goes, all of it; the real episode's is untouched. */
  g_assert_true (wk_drill_log_forget_paper (model, drill->id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (model, "SELECT count(*) FROM printed_document"), ==, 2);
  g_assert_cmpint (count (model, "SELECT count(*) FROM printed_page"), ==, 2);
  g_assert_cmpint (count (model, "SELECT count(*) FROM print_job"), ==, 2);
  g_assert_cmpint (count (model, "SELECT count(*) FROM print_request"), ==, 1);
  g_assert_cmpint (count (model, "SELECT count(*) FROM printed_document WHERE drill = 1"), ==, 0);
  episodes = wk_ledger_load_episodes (model, &error);
  g_assert_cmpuint (episodes->len, ==, 1);
  g_assert_cmpstr (((WkLedgerEpisode *)episodes->pdata[0])->id, ==, real->id);
  /* The patient is still there: only paper went. */
  g_assert_cmpint (count (model, "SELECT count(*) FROM patient"), ==, 1);
}

static WkDrillRecord *
record_new (const char *id, gint64 started_at, gboolean passed)
{
  WkDrillRecord *record = g_new0 (WkDrillRecord, 1);

  record->id = g_strdup (id);
  record->scenario = WK_DRILL_PRINTER_FAILURE;
  record->ward_id = g_strdup ("7A");
  record->started_by = g_strdup ("IT drill lead");
  record->stopped_by = g_strdup ("IT drill lead");
  record->started_at = started_at;
  record->ended_at = started_at + 300;
  record->passed = passed;
  record->report = g_strdup ("{\"drill\": \"x\", \"figures\": {\"pages\": 13}}");
  return record;
}

static void
test_record (void)
{
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 4);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkDrillRecord) first = record_new ("drill-1", T0, TRUE);
  g_autoptr (WkDrillRecord) second = record_new ("drill-2", T0 + 86400, FALSE);
  g_autoptr (WkDrillRecord) loaded = NULL;
  g_autoptr (WkDrillRecord) bad = record_new ("drill-3", T0, TRUE);
  g_autoptr (GPtrArray) all = NULL;
  g_auto (WkModelStmt) stmt = NULL;

  g_assert_true (wk_drill_log_record (model, first, &error));
  g_assert_true (wk_drill_log_record (model, second, &error));
  g_assert_no_error (error);
  loaded = wk_drill_log_load (model, "drill-1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->scenario, ==, WK_DRILL_PRINTER_FAILURE);
  g_assert_cmpint (loaded->ended_at, ==, T0 + 300);
  g_assert_true (loaded->passed);
  g_assert_false (loaded->taken_over);
  g_assert_cmpstr (loaded->stopped_by, ==, "IT drill lead");
  g_assert_nonnull (strstr (loaded->report, "\"pages\": 13"));

  /* Newest first. */
  all = wk_drill_log_load_all (model, &error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (((WkDrillRecord *)all->pdata[0])->id, ==, "drill-2");

  /* Evidence: never recorded twice, never changed, never without a JSON report. */
  g_assert_false (wk_drill_log_record (model, first, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  stmt = _wk_model_prepare (model, "UPDATE drill SET passed = 1 WHERE id = 'drill-2'", NULL);
  g_assert_cmpint (sqlite3_step (stmt), !=, SQLITE_DONE);
  g_assert_nonnull (strstr (sqlite3_errmsg (_wk_model_get_db (model)), "never changed"));
  sqlite3_reset (stmt);
  g_free (bad->report);
  bad->report = g_strdup ("not json");
  g_assert_false (wk_drill_log_record (model, bad, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (wk_drill_log_load (model, "drill-9", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "wardkeep drill history"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/drill-log/forget-paper", test_forget_paper);
  g_test_add_func ("/drill-log/record", test_record);
  return g_test_run ();
}
