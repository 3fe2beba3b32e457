/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-ledger.c — the print ledger: episodes, requests, documents with their pages, jobs,
 * and every rule the model keeps about them. */

#include "wk-ledger.h"
#include "wk-model-private.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"

#include <string.h>

/* 2026-03-14T02:13:00Z */
#define T0 G_GINT64_CONSTANT (1773454380)

typedef struct
{
  WkModel *model;
  gint64   patients[2];
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->model = wk_test_model_new_ward ("7A", 4);
  for (guint i = 0; i < G_N_ELEMENTS (f->patients); i++)
    {
      g_autoptr (WkPatient) patient = wk_test_patient_new (i);

      patient->ward_id = g_strdup ("7A");
      g_assert_true (wk_patient_insert (f->model, patient, &error));
      g_assert_no_error (error);
      f->patients[i] = patient->id;
    }
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wk_model_free (f->model);
}

static WkEpisode *
episode_new (WkEpisodeKind kind, WkDrillScenario scenario)
{
  WkEpisode *episode = wk_episode_new (kind, "every probe failed 3 times in a row");

  episode->scenario = scenario;
  episode->started_wall_us = T0 * G_USEC_PER_SEC;
  if (kind == WK_EPISODE_MANUAL || kind == WK_EPISODE_DRILL)
    episode->who = g_strdup ("Sister Test");
  return episode;
}

static WkLedgerRequest *
record_request (Fixture *f, WkLedgerWhat what, const char *episode_id, gboolean drill)
{
  g_autoptr (GError) error = NULL;
  WkLedgerRequest *request = wk_ledger_request_new (what, "Sister Test");

  request->episode_id = g_strdup (episode_id);
  request->drill = drill;
  if (what == WK_LEDGER_WHAT_CHART)
    request->patient_id = f->patients[0];
  g_assert_true (wk_ledger_record_request (f->model, request, &error));
  g_assert_no_error (error);
  return request;
}

static WkLedgerDocument *
document_new (const char          *chart_id,
              WkLedgerRequest     *request,
              WkLedgerDocumentKind kind,
              gint64               patient_id)
{
  WkLedgerDocument *document = wk_ledger_document_new (chart_id, request->id, kind);

  document->patient_id = patient_id;
  document->ward_id = g_strdup ("7A");
  document->drill = request->drill;
  document->snapshot_seq = 42;
  document->snapshot_at = T0;
  document->printed_at = T0 + 37 * 60;
  return document;
}

static void
test_episode (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) outage = episode_new (WK_EPISODE_OUTAGE, WK_DRILL_NONE);
  g_autoptr (WkEpisode) drill = episode_new (WK_EPISODE_DRILL, WK_DRILL_PRINTER_FAILURE);
  g_autoptr (WkLedgerEpisode) loaded = NULL;
  g_autoptr (GPtrArray) all = NULL;
  guint64 generation;

  g_assert_true (wk_ledger_record_episode (f->model, outage, &error));
  g_assert_no_error (error);
  loaded = wk_ledger_load_episode (f->model, outage->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->id, ==, outage->id);
  g_assert_cmpint (loaded->kind, ==, WK_EPISODE_OUTAGE);
  g_assert_cmpint (loaded->scenario, ==, WK_DRILL_NONE);
  g_assert_cmpstr (loaded->reason, ==, "every probe failed 3 times in a row");
  g_assert_null (loaded->who);
  g_assert_cmpint (loaded->started_at, ==, T0);
  g_assert_cmpint (loaded->ended_at, ==, 0);

  /* A restarted daemon records its episode again: nothing changes. */
  generation = wk_model_get_generation (f->model);
  g_assert_true (wk_ledger_record_episode (f->model, outage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (wk_model_get_generation (f->model), ==, generation);

  g_assert_true (wk_ledger_record_episode (f->model, drill, &error));
  g_assert_no_error (error);
  all = wk_ledger_load_episodes (f->model, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (((WkLedgerEpisode *)all->pdata[0])->id, ==, drill->id);
  g_assert_cmpint (((WkLedgerEpisode *)all->pdata[0])->scenario, ==, WK_DRILL_PRINTER_FAILURE);
  g_assert_cmpstr (((WkLedgerEpisode *)all->pdata[0])->who, ==, "Sister Test");

  /* Ending: once, and never before it began (a clock set back). */
  g_assert_true (wk_ledger_end_episode (f->model, outage->id, T0 - 3600, "back online", &error));
  g_assert_no_error (error);
  g_clear_pointer (&loaded, wk_ledger_episode_free);
  loaded = wk_ledger_load_episode (f->model, outage->id, &error);
  g_assert_cmpint (loaded->ended_at, ==, T0);
  g_assert_cmpstr (loaded->end_reason, ==, "back online");
  g_assert_false (wk_ledger_end_episode (f->model, outage->id, T0 + 60, "again", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_false (wk_ledger_end_episode (f->model, "no-such-episode", T0, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
}

static void
test_episode_rules (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) episode = episode_new (WK_EPISODE_OUTAGE, WK_DRILL_NONE);
  g_autoptr (WkEpisode) same_id = NULL;

  /* A drill needs its scenario, and a real episode has none. */
  episode->scenario = WK_DRILL_OUTAGE;
  g_assert_false (wk_ledger_record_episode (f->model, episode, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "scenario"));
  g_clear_error (&error);
  episode->kind = WK_EPISODE_DRILL;
  episode->scenario = WK_DRILL_NONE;
  g_assert_false (wk_ledger_record_episode (f->model, episode, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);

  /* No reason, no episode. */
  episode->kind = WK_EPISODE_OUTAGE;
  g_free (episode->reason);
  episode->reason = g_strdup (" ");
  g_assert_false (wk_ledger_record_episode (f->model, episode, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no reason"));
  g_clear_error (&error);

  /* An id reused for another kind of episode is refused. */
  g_free (episode->reason);
  episode->reason = g_strdup ("outage");
  g_assert_true (wk_ledger_record_episode (f->model, episode, &error));
  same_id = wk_episode_copy (episode);
  same_id->kind = WK_EPISODE_MANUAL;
  g_assert_false (wk_ledger_record_episode (f->model, same_id, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
}

static void
test_request_rules (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) outage = episode_new (WK_EPISODE_OUTAGE, WK_DRILL_NONE);
  g_autoptr (WkEpisode) drill = episode_new (WK_EPISODE_DRILL, WK_DRILL_OUTAGE);
  g_autoptr (WkLedgerRequest) automatic = NULL;
  g_autoptr (WkLedgerRequest) second = NULL;
  g_autoptr (WkLedgerRequest) request = NULL;
  g_autoptr (WkLedgerRequest) found = NULL;

  g_assert_true (wk_ledger_record_episode (f->model, outage, &error));
  g_assert_true (wk_ledger_record_episode (f->model, drill, &error));
  g_assert_no_error (error);

  /* Before it, the ward has not been printed for the episode. */
  g_assert_null (wk_ledger_load_automatic_request (f->model, outage->id, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  automatic = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, WK_LEDGER_REQUESTED_BY_DAEMON);
  automatic->episode_id = g_strdup (outage->id);
  automatic->automatic = TRUE;
  g_assert_true (wk_ledger_record_request (f->model, automatic, &error));
  g_assert_no_error (error);
  found = wk_ledger_load_automatic_request (f->model, outage->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, automatic->id);
  g_assert_true (found->automatic);
  g_assert_cmpint (found->what, ==, WK_LEDGER_WHAT_WARD);
  g_assert_cmpstr (found->requested_by, ==, "daemon");

  /* Once per episode. */
  second = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, WK_LEDGER_REQUESTED_BY_DAEMON);
  second->episode_id = g_strdup (outage->id);
  second->automatic = TRUE;
  g_assert_false (wk_ledger_record_request (f->model, second, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "once per episode"));
  g_clear_error (&error);

  /* The automatic print is the daemon's, of the whole ward, in an episode. */
  request = wk_ledger_request_new (WK_LEDGER_WHAT_CENSUS, WK_LEDGER_REQUESTED_BY_DAEMON);
  request->automatic = TRUE;
  request->episode_id = g_strdup (drill->id);
  request->drill = TRUE;
  g_assert_false (wk_ledger_record_request (f->model, request, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, wk_ledger_request_free);

  /* A chart names its patient; the others none. */
  request = wk_ledger_request_new (WK_LEDGER_WHAT_CHART, "Sister Test");
  g_assert_false (wk_ledger_record_request (f->model, request, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  request->what = WK_LEDGER_WHAT_CENSUS;
  request->patient_id = f->patients[0];
  g_assert_false (wk_ledger_record_request (f->model, request, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);

  /* Drill paper in a drill episode; real paper in a real one. */
  request->what = WK_LEDGER_WHAT_WARD;
  request->patient_id = 0;
  request->episode_id = g_strdup (drill->id);
  g_assert_false (wk_ledger_record_request (f->model, request, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "DRILL"));
  g_clear_error (&error);
  request->drill = TRUE;
  g_assert_true (wk_ledger_record_request (f->model, request, &error));
  g_assert_no_error (error);

  /* Somebody asked, in an episode that exists. */
  g_clear_pointer (&request, wk_ledger_request_free);
  request = wk_ledger_request_new (WK_LEDGER_WHAT_CENSUS, "");
  g_assert_false (wk_ledger_record_request (f->model, request, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_free (request->requested_by);
  request->requested_by = g_strdup ("Sister Test");
  request->episode_id = g_strdup ("no-such-episode");
  g_assert_false (wk_ledger_record_request (f->model, request, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
}

static void
test_document_pages (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkLedgerRequest) request = record_request (f, WK_LEDGER_WHAT_WARD, NULL, FALSE);
  g_autoptr (WkLedgerDocument) census = NULL;
  g_autoptr (WkLedgerDocument) chart = NULL;
  g_autoptr (WkLedgerDocument) loaded = NULL;
  g_autoptr (GPtrArray) listed = NULL;
  const WkLedgerOrderRef page1[] = { { "ORD-1", 1 }, { "ORD-2", 3 } };
  const WkLedgerOrderRef page2[] = { { "ORD-3", 2 } };
  WkLedgerPage          *page;

  census = document_new ("0CENSES0", request, WK_LEDGER_DOCUMENT_CENSUS, 0);
  wk_ledger_document_add_page (census, "WK:CENSUS", NULL, 0);
  g_assert_true (wk_ledger_record_document (f->model, census, &error));
  g_assert_no_error (error);
  g_assert_cmpint (census->id, >, 0);

  chart = document_new ("7KQ2M9XD", request, WK_LEDGER_DOCUMENT_CHART, f->patients[1]);
  chart->position = 1;
  wk_ledger_document_add_page (chart, "WK:PAGE1", page1, G_N_ELEMENTS (page1));
  wk_ledger_document_add_page (chart, "WK:PAGE2", page2, G_N_ELEMENTS (page2));
  g_assert_true (wk_ledger_record_document (f->model, chart, &error));
  g_assert_no_error (error);

  loaded = wk_ledger_load_document (f->model, "7KQ2M9XD", &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->kind, ==, WK_LEDGER_DOCUMENT_CHART);
  g_assert_cmpint (loaded->patient_id, ==, f->patients[1]);
  g_assert_cmpstr (loaded->request_id, ==, request->id);
  g_assert_cmpstr (loaded->requested_by, ==, "Sister Test");
  g_assert_null (loaded->episode_id);
  g_assert_cmpuint (loaded->snapshot_seq, ==, 42);
  g_assert_cmpint (loaded->snapshot_at, ==, T0);
  g_assert_cmpint (loaded->printed_at, ==, T0 + 37 * 60);
  g_assert_cmpint (loaded->state, ==, WK_LEDGER_DOCUMENT_QUEUED);
  g_assert_cmpuint (loaded->n_pages, ==, 2);
  g_assert_cmpuint (loaded->pages->len, ==, 2);
  page = loaded->pages->pdata[0];
  g_assert_cmpuint (page->page, ==, 1);
  g_assert_cmpstr (page->payload, ==, "WK:PAGE1");
  g_assert_cmpuint (page->orders->len, ==, 2);
  g_assert_cmpstr (g_array_index (page->orders, WkLedgerOrderRef, 1).placer_id, ==, "ORD-2");
  g_assert_cmpint (g_array_index (page->orders, WkLedgerOrderRef, 1).version, ==, 3);
  page = loaded->pages->pdata[1];
  g_assert_cmpuint (page->page, ==, 2);
  g_assert_cmpuint (page->orders->len, ==, 1);
  g_assert_cmpstr (g_array_index (page->orders, WkLedgerOrderRef, 0).placer_id, ==, "ORD-3");

  /* The census page carries no order. */
  g_clear_pointer (&loaded, wk_ledger_document_free);
  loaded = wk_ledger_load_document (f->model, "0CENSES0", &error);
  g_assert_cmpuint (loaded->pages->len, ==, 1);
  g_assert_cmpuint (((WkLedgerPage *)loaded->pages->pdata[0])->orders->len, ==, 0);

  listed = wk_ledger_load_documents (f->model, request->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 2);
  g_assert_cmpstr (((WkLedgerDocument *)listed->pdata[0])->chart_id, ==, "0CENSES0");
  g_assert_cmpstr (((WkLedgerDocument *)listed->pdata[1])->chart_id, ==, "7KQ2M9XD");
}

static void
test_document_rules (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkLedgerRequest) request = record_request (f, WK_LEDGER_WHAT_WARD, NULL, FALSE);
  g_autoptr (WkLedgerDocument) document = NULL;
  const WkLedgerOrderRef bad_order[] = { { "", 1 } };
  guint64                generation;

  /* Chart ids are eight characters people can read back: no I, L, O or U. */
  document = document_new ("7KQ2M9XI", request, WK_LEDGER_DOCUMENT_CHART, f->patients[0]);
  wk_ledger_document_add_page (document, "WK:1", NULL, 0);
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "chart id"));
  g_clear_error (&error);
  g_clear_pointer (&document, wk_ledger_document_free);

  /* A chart has a patient; the census none. */
  document = document_new ("AAAAAAAA", request, WK_LEDGER_DOCUMENT_CHART, 0);
  wk_ledger_document_add_page (document, "WK:1", NULL, 0);
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  document->kind = WK_LEDGER_DOCUMENT_CENSUS;
  document->patient_id = f->patients[0];
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&document, wk_ledger_document_free);

  /* No pages, no document; nor without its data time. */
  document = document_new ("AAAAAAAA", request, WK_LEDGER_DOCUMENT_CENSUS, 0);
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no pages"));
  g_clear_error (&error);
  wk_ledger_document_add_page (document, "WK:1", NULL, 0);
  document->snapshot_at = 0;
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  document->snapshot_at = T0;

  /* Its DRILL marking is its request's. */
  document->drill = TRUE;
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "DRILL"));
  g_clear_error (&error);
  document->drill = FALSE;

  /* A request that does not exist. */
  g_free (document->request_id);
  document->request_id = g_strdup ("no-such-request");
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_free (document->request_id);
  document->request_id = g_strdup (request->id);

  /* A bad order on the second page leaves nothing of the document behind. */
  wk_ledger_document_add_page (document, "WK:2", bad_order, 1);
  generation = wk_model_get_generation (f->model);
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (wk_model_get_generation (f->model), ==, generation);
  g_assert_null (wk_ledger_load_document (f->model, "AAAAAAAA", &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&document, wk_ledger_document_free);

  /* A chart id is used once. */
  document = document_new ("AAAAAAAA", request, WK_LEDGER_DOCUMENT_CENSUS, 0);
  wk_ledger_document_add_page (document, "WK:1", NULL, 0);
  g_assert_true (wk_ledger_record_document (f->model, document, &error));
  g_assert_no_error (error);
  g_assert_false (wk_ledger_record_document (f->model, document, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "printed before"));
}

static void
test_document_state (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkLedgerRequest) request = record_request (f, WK_LEDGER_WHAT_CENSUS, NULL, FALSE);
  g_autoptr (WkLedgerDocument) document = NULL;
  g_autoptr (WkLedgerDocument) loaded = NULL;

  document = document_new ("BBBBBBBB", request, WK_LEDGER_DOCUMENT_CENSUS, 0);
  wk_ledger_document_add_page (document, "WK:1", NULL, 0);
  g_assert_true (wk_ledger_record_document (f->model, document, &error));

  /* Sent and printed need the printer; not printed needs the reason. */
  g_assert_false (wk_ledger_set_document_state (f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_SENT, NULL,
                                                NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (wk_ledger_set_document_state (
      f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_NOT_PRINTED, NULL, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);

  /* Failed on one printer, queued again, sent to the next, printed. */
  g_assert_true (wk_ledger_set_document_state (f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_NOT_PRINTED,
                                               "office", "out of paper", &error));
  g_assert_true (wk_ledger_set_document_state (f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_QUEUED,
                                               NULL, NULL, &error));
  g_assert_true (wk_ledger_set_document_state (f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_SENT,
                                               "station", NULL, &error));
  g_assert_true (wk_ledger_set_document_state (f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_PRINTED,
                                               NULL, NULL, &error));
  g_assert_no_error (error);
  loaded = wk_ledger_load_document (f->model, "BBBBBBBB", &error);
  g_assert_cmpint (loaded->state, ==, WK_LEDGER_DOCUMENT_PRINTED);
  g_assert_cmpstr (loaded->printer, ==, "station");

  /* Printed is final: a reprint is a new document. */
  g_assert_false (wk_ledger_set_document_state (f->model, "BBBBBBBB", WK_LEDGER_DOCUMENT_QUEUED,
                                                NULL, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_cmpint (wk_ledger_record_job (f->model, "BBBBBBBB", "station", 1, &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_false (wk_ledger_set_document_state (f->model, "CCCCCCCC", WK_LEDGER_DOCUMENT_QUEUED,
                                                NULL, NULL, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
}

static void
test_jobs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkLedgerRequest) request = record_request (f, WK_LEDGER_WHAT_CHART, NULL, FALSE);
  g_autoptr (WkLedgerDocument) document = NULL;
  g_autoptr (WkLedgerJob) job = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  gint64 t = T0 * G_USEC_PER_SEC;
  gint64 first, second;

  document = document_new ("DDDDDDDD", request, WK_LEDGER_DOCUMENT_CHART, f->patients[0]);
  wk_ledger_document_add_page (document, "WK:1", NULL, 0);
  g_assert_true (wk_ledger_record_document (f->model, document, &error));

  /* The first attempt fails on one printer. */
  first = wk_ledger_record_job (f->model, "DDDDDDDD", "office", t, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first, >, 0);
  g_assert_false (
      wk_ledger_update_job (f->model, first, WK_LEDGER_JOB_ACCEPTED, 0, NULL, t + 1000, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "job id"));
  g_clear_error (&error);
  g_assert_true (
      wk_ledger_update_job (f->model, first, WK_LEDGER_JOB_ACCEPTED, 17, NULL, t + 1000, &error));
  g_assert_false (
      wk_ledger_update_job (f->model, first, WK_LEDGER_JOB_FAILED, 0, NULL, t + 2000, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (wk_ledger_update_job (f->model, first, WK_LEDGER_JOB_FAILED, 0,
                                       "media-empty-error", t + 2000, &error));
  g_assert_no_error (error);
  /* Failed is final. */
  g_assert_false (
      wk_ledger_update_job (f->model, first, WK_LEDGER_JOB_COMPLETED, 0, NULL, t + 3000, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_clear_error (&error);

  /* The second goes through; its times are kept, a time set back is its submission. */
  second = wk_ledger_record_job (f->model, "DDDDDDDD", "station", t + 5000, &error);
  g_assert_true (
      wk_ledger_update_job (f->model, second, WK_LEDGER_JOB_PROCESSING, 3, NULL, t + 4000, &error));
  g_assert_false (
      wk_ledger_update_job (f->model, second, WK_LEDGER_JOB_ACCEPTED, 0, NULL, t + 6000, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "cannot go back"));
  g_clear_error (&error);
  g_assert_true (
      wk_ledger_update_job (f->model, second, WK_LEDGER_JOB_COMPLETED, 0, NULL, t + 9000, &error));
  g_assert_no_error (error);

  job = wk_ledger_load_job (f->model, second, &error);
  g_assert_cmpstr (job->chart_id, ==, "DDDDDDDD");
  g_assert_cmpstr (job->printer, ==, "station");
  g_assert_cmpint (job->cups_job_id, ==, 3);
  g_assert_cmpint (job->state, ==, WK_LEDGER_JOB_COMPLETED);
  g_assert_cmpint (job->submitted_us, ==, t + 5000);
  g_assert_cmpint (job->accepted_us, ==, t + 5000);
  g_assert_cmpint (job->completed_us, ==, t + 9000);
  g_assert_cmpint (job->failed_us, ==, 0);

  jobs = wk_ledger_load_jobs (f->model, "DDDDDDDD", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 2);
  g_assert_cmpint (((WkLedgerJob *)jobs->pdata[0])->state, ==, WK_LEDGER_JOB_FAILED);
  g_assert_cmpstr (((WkLedgerJob *)jobs->pdata[0])->reason, ==, "media-empty-error");
  g_assert_cmpint (((WkLedgerJob *)jobs->pdata[0])->accepted_us, ==, t + 1000);
  g_assert_cmpint (((WkLedgerJob *)jobs->pdata[0])->failed_us, ==, t + 2000);

  g_assert_cmpint (wk_ledger_record_job (f->model, "EEEEEEEE", "office", t, &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (wk_ledger_record_job (f->model, "DDDDDDDD", "", t, &error), ==, 0);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
}

/* The ledger survives serialization, as a snapshot carries it; a merged patient's paper
 * follows their orders to the surviving record. */
static void
test_serialized (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) outage = episode_new (WK_EPISODE_OUTAGE, WK_DRILL_NONE);
  g_autoptr (WkLedgerRequest) request = NULL;
  g_autoptr (WkLedgerDocument) document = NULL;
  g_autoptr (WkLedgerDocument) loaded = NULL;
  g_autoptr (WkModel) copy = NULL;
  g_autoptr (GPtrArray) documents = NULL;
  g_autoptr (WkOrder) order = wk_test_order_new (f->patients[1], "ORD-9", 1);
  const WkLedgerOrderRef orders[] = { { "ORD-9", 1 } };
  guint8                *image;
  gsize                  size;

  g_assert_true (wk_order_insert (f->model, order, &error));
  g_assert_no_error (error);
  g_assert_true (wk_ledger_record_episode (f->model, outage, &error));
  request = record_request (f, WK_LEDGER_WHAT_WARD, outage->id, FALSE);
  document = document_new ("FFFFFFFF", request, WK_LEDGER_DOCUMENT_CHART, f->patients[1]);
  wk_ledger_document_add_page (document, "WK:1", orders, 1);
  g_assert_true (wk_ledger_record_document (f->model, document, &error));
  g_assert_true (wk_patient_merge (f->model, f->patients[0], f->patients[1], &error));
  g_assert_no_error (error);

  image = wk_model_serialize (f->model, &size, &error);
  g_assert_no_error (error);
  copy = wk_model_new_from_serialized (image, size, TRUE, &error);
  g_assert_no_error (error);
  documents = wk_ledger_load_documents (copy, NULL, outage->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (documents->len, ==, 1);
  loaded = wk_ledger_load_document (copy, "FFFFFFFF", &error);
  g_assert_cmpstr (loaded->episode_id, ==, outage->id);
  g_assert_cmpint (loaded->patient_id, ==, f->patients[0]);
  g_assert_cmpstr (
      g_array_index (((WkLedgerPage *)loaded->pages->pdata[0])->orders, WkLedgerOrderRef, 0)
          .placer_id,
      ==, "ORD-9");
}

/* A snapshot written before the ledger existed (schema 2) still opens read-only: it is
 * brought up to date in memory, and stays read-only. */
static void
test_older_snapshot (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) old = NULL;
  g_autoptr (GPtrArray) episodes = NULL;
  g_autoptr (WkEpisode) episode = episode_new (WK_EPISODE_OUTAGE, WK_DRILL_NONE);
  guint8 *image;
  gsize   size;

  g_assert_cmpint (sqlite3_exec (_wk_model_get_db (f->model),
                                 /* Schema 6 (transfer-in; 5 is redone harmlessly), 4
                                  * (reconciliation), then 3. */
                                 "ALTER TABLE patient DROP COLUMN arrived_from; "
                                 "ALTER TABLE patient DROP COLUMN arrived_at; "
                                 "ALTER TABLE patient DROP COLUMN arrival; "
                                 "DROP TABLE paper_export; DROP TABLE reconcile_signoff; "
                                 "DROP TABLE reconcile_audit; DROP TABLE paper_entry; "
                                 "DROP TABLE paper_order; DROP TABLE paper_page; "
                                 "DROP TABLE paper_chart; "
                                 "DROP TABLE print_job; DROP TABLE printed_page_order; "
                                 "DROP TABLE printed_page; DROP TABLE printed_document; "
                                 "DROP TABLE print_request; DROP TABLE episode; "
                                 "DROP TRIGGER printed_document_follows_merge; "
                                 "PRAGMA user_version = 2",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  image = wk_model_serialize (f->model, &size, &error);
  g_assert_no_error (error);
  old = wk_model_new_from_serialized (image, size, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wk_model_get_schema_version (old), ==, WK_MODEL_SCHEMA_VERSION);
  g_assert_true (wk_model_is_read_only (old));
  episodes = wk_ledger_load_episodes (old, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (episodes->len, ==, 0);
  g_assert_false (wk_ledger_record_episode (old, episode, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "read-only"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ledger/episode", test_episode);
  ADD ("/ledger/episode/rules", test_episode_rules);
  ADD ("/ledger/request/rules", test_request_rules);
  ADD ("/ledger/document/pages", test_document_pages);
  ADD ("/ledger/document/rules", test_document_rules);
  ADD ("/ledger/document/state", test_document_state);
  ADD ("/ledger/jobs", test_jobs);
  ADD ("/ledger/serialized", test_serialized);
  ADD ("/ledger/older-snapshot", test_older_snapshot);
#undef ADD
  return g_test_run ();
}
