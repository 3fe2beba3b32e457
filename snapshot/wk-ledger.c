/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-ledger.c — the print ledger: downtime episodes, and everything that went out on paper. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-ledger.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#include <string.h>

static const WkEnumNick what_nicks[] = {
  { WK_LEDGER_WHAT_WARD, "ward" },
  { WK_LEDGER_WHAT_CENSUS, "census" },
  { WK_LEDGER_WHAT_CHART, "chart" },
  { 0, NULL },
};

static const WkEnumNick document_kind_nicks[] = {
  { WK_LEDGER_DOCUMENT_CHART, "chart" },
  { WK_LEDGER_DOCUMENT_CENSUS, "census" },
  { 0, NULL },
};

static const WkEnumNick document_state_nicks[] = {
  { WK_LEDGER_DOCUMENT_QUEUED, "queued" },
  { WK_LEDGER_DOCUMENT_SENT, "sent" },
  { WK_LEDGER_DOCUMENT_PRINTED, "printed" },
  { WK_LEDGER_DOCUMENT_NOT_PRINTED, "not-printed" },
  { 0, NULL },
};

static const WkEnumNick job_state_nicks[] = {
  { WK_LEDGER_JOB_SUBMITTED, "submitted" },   { WK_LEDGER_JOB_ACCEPTED, "accepted" },
  { WK_LEDGER_JOB_PROCESSING, "processing" }, { WK_LEDGER_JOB_COMPLETED, "completed" },
  { WK_LEDGER_JOB_FAILED, "failed" },         { 0, NULL },
};

/* Crockford base32 without I, L, O and U: what chart ids are written in. */
static const char chart_id_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static gboolean invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;

  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID, message);
  return FALSE;
}

static gboolean
valid_chart_id (const char *id)
{
  if (id == NULL || strlen (id) != 8)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (strchr (chart_id_alphabet, *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
valid_key (const char *id)
{
  return id != NULL && *id != '\0' && strlen (id) <= 64;
}

/* ---- names ---- */

/**
 * wk_ledger_what_to_string:
 * @what: a #WkLedgerWhat
 *
 * Returns: "ward", "census" or "chart"
 */
const char *
wk_ledger_what_to_string (WkLedgerWhat what)
{
  return _wk_enum_to_nick (what_nicks, what);
}

/**
 * wk_ledger_what_from_string:
 * @text: (nullable): "ward", "census" or "chart"
 * @what: (out): the value
 *
 * Returns: whether @text names one
 */
gboolean
wk_ledger_what_from_string (const char *text, WkLedgerWhat *what)
{
  int value;

  if (!_wk_enum_from_nick (what_nicks, text, &value))
    return FALSE;
  *what = (WkLedgerWhat)value;
  return TRUE;
}

/**
 * wk_ledger_document_kind_to_string:
 * @kind: a #WkLedgerDocumentKind
 *
 * Returns: "chart" or "census"
 */
const char *
wk_ledger_document_kind_to_string (WkLedgerDocumentKind kind)
{
  return _wk_enum_to_nick (document_kind_nicks, kind);
}

/**
 * wk_ledger_document_state_to_string:
 * @state: a #WkLedgerDocumentState
 *
 * Returns: "queued", "sent", "printed" or "not-printed"
 */
const char *
wk_ledger_document_state_to_string (WkLedgerDocumentState state)
{
  return _wk_enum_to_nick (document_state_nicks, state);
}

/**
 * wk_ledger_job_state_to_string:
 * @state: a #WkLedgerJobState
 *
 * Returns: "submitted", "accepted", "processing", "completed" or "failed"
 */
const char *
wk_ledger_job_state_to_string (WkLedgerJobState state)
{
  return _wk_enum_to_nick (job_state_nicks, state);
}

static int
nick_value (const WkEnumNick *nicks, sqlite3_stmt *stmt, int column)
{
  int value = 0;

  _wk_enum_from_nick (nicks, (const char *)sqlite3_column_text (stmt, column), &value);
  return value;
}

/* ---- episodes ---- */

#define EPISODE_COLUMNS "id, kind, scenario, reason, who, window, started_at, ended_at, end_reason "

/**
 * wk_ledger_episode_free:
 * @episode: (nullable) (transfer full): a #WkLedgerEpisode
 */
void
wk_ledger_episode_free (WkLedgerEpisode *episode)
{
  if (episode == NULL)
    return;
  g_free (episode->id);
  g_free (episode->reason);
  g_free (episode->who);
  g_free (episode->window);
  g_free (episode->end_reason);
  g_free (episode);
}

static WkLedgerEpisode *
episode_from_row (sqlite3_stmt *stmt)
{
  WkLedgerEpisode *episode = g_new0 (WkLedgerEpisode, 1);

  episode->id = _wk_stmt_dup_text (stmt, 0);
  wk_episode_kind_from_string ((const char *)sqlite3_column_text (stmt, 1), &episode->kind);
  episode->scenario = WK_DRILL_NONE;
  if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
    wk_drill_scenario_from_string ((const char *)sqlite3_column_text (stmt, 2), &episode->scenario);
  episode->reason = _wk_stmt_dup_text (stmt, 3);
  episode->who = _wk_stmt_dup_text (stmt, 4);
  episode->window = _wk_stmt_dup_text (stmt, 5);
  episode->started_at = _wk_stmt_get_time (stmt, 6);
  episode->ended_at = _wk_stmt_get_time (stmt, 7);
  episode->end_reason = _wk_stmt_dup_text (stmt, 8);
  return episode;
}

/**
 * wk_ledger_record_episode:
 * @model: a writable #WkModel
 * @episode: the episode the monitor opened
 * @error: return location for a #GError
 *
 * Records a downtime episode when it starts. Recording the same episode again (a daemon
 * restarted in it) changes nothing.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID (no id or reason, a drill
 *   without a scenario) or %WK_SNAPSHOT_ERROR_CONSTRAINT (the id is taken by an episode of
 *   another kind)
 */
gboolean
wk_ledger_record_episode (WkModel *model, const WkEpisode *episode, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (WkLedgerEpisode) existing = NULL;
  gboolean drill;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (episode != NULL, FALSE);

  drill = episode->kind == WK_EPISODE_DRILL;
  if (!valid_key (episode->id))
    return invalid (error, "Cannot record a downtime episode without an id of 1 to 64 characters");
  if (_wk_text_is_blank (episode->reason))
    return invalid (error, "Cannot record downtime episode %s: it has no reason", episode->id);
  if (drill != (episode->scenario != WK_DRILL_NONE))
    return invalid (error,
                    "Cannot record downtime episode %s: a drill needs its scenario, and only a "
                    "drill has one",
                    episode->id);

  stmt = _wk_model_prepare (model,
                            "INSERT INTO episode (id, kind, scenario, reason, who, window, "
                            "started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                            "ON CONFLICT (id) DO NOTHING",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, episode->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, wk_episode_kind_to_string (episode->kind), -1, SQLITE_STATIC);
  if (drill)
    sqlite3_bind_text (stmt, 3, wk_drill_scenario_to_string (episode->scenario), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, episode->reason, -1, SQLITE_TRANSIENT);
  _wk_stmt_bind_text (stmt, 5, episode->who);
  _wk_stmt_bind_text (stmt, 6, episode->window);
  sqlite3_bind_int64 (stmt, 7, episode->started_wall_us / G_USEC_PER_SEC);
  if (!_wk_model_step_done (model, stmt, "Cannot record the downtime episode", error))
    return FALSE;
  if (sqlite3_changes (_wk_model_get_db (model)) > 0)
    {
      _wk_model_touch (model);
      return TRUE;
    }

  /* Already there: the same episode again after a restart, or an id reused by mistake. */
  existing = wk_ledger_load_episode (model, episode->id, error);
  if (existing == NULL)
    return FALSE;
  if (existing->kind != episode->kind || existing->scenario != episode->scenario)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Cannot record downtime episode %s as %s: the ledger has it as %s", episode->id,
                   wk_episode_kind_to_string (episode->kind),
                   wk_episode_kind_to_string (existing->kind));
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_ledger_end_episode:
 * @model: a writable #WkModel
 * @episode_id: the episode
 * @ended_at: when it ended (UTC seconds); a time before its start (the wall clock was
 *   set back) is recorded as its start
 * @reason: (nullable): how it ended, in words
 * @error: return location for a #GError
 *
 * Records the end of an episode.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_NOT_FOUND, or
 *   %WK_SNAPSHOT_ERROR_CONSTRAINT when it has ended already
 */
gboolean
wk_ledger_end_episode (
    WkModel *model, const char *episode_id, gint64 ended_at, const char *reason, GError **error)
{
  g_autoptr (WkLedgerEpisode) episode = NULL;
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (episode_id != NULL, FALSE);

  episode = wk_ledger_load_episode (model, episode_id, error);
  if (episode == NULL)
    return FALSE;
  if (episode->ended_at != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Downtime episode %s has ended already", episode_id);
      return FALSE;
    }
  stmt = _wk_model_prepare (
      model, "UPDATE episode SET ended_at = ?2, end_reason = ?3 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, episode_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, MAX (ended_at, episode->started_at));
  _wk_stmt_bind_text (stmt, 3, reason);
  if (!_wk_model_step_done (model, stmt, "Cannot record the end of the downtime episode", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_ledger_load_episode:
 * @model: a #WkModel
 * @episode_id: the episode
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the episode, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkLedgerEpisode *
wk_ledger_load_episode (WkModel *model, const char *episode_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (episode_id != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " EPISODE_COLUMNS "FROM episode WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, episode_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "The ledger has no downtime episode %s", episode_id);
      return NULL;
    }
  return episode_from_row (stmt);
}

/**
 * wk_ledger_load_episodes:
 * @model: a #WkModel
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkLedgerEpisode): every episode, the newest first
 */
GPtrArray *
wk_ledger_load_episodes (WkModel *model, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) episodes = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (
      model, "SELECT " EPISODE_COLUMNS "FROM episode ORDER BY started_at DESC, rowid DESC", error);
  if (stmt == NULL)
    return NULL;
  episodes = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_ledger_episode_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (episodes, episode_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the downtime episodes");
      return NULL;
    }
  return g_steal_pointer (&episodes);
}

/* ---- requests ---- */

#define REQUEST_COLUMNS                                                                            \
  "id, what, patient_id, episode_id, drill, automatic, requested_by, requested_at, printer "

/**
 * wk_ledger_request_new:
 * @what: what is asked for
 * @requested_by: who asks ("daemon" for the automatic print)
 *
 * Returns: (transfer full): a request with a new id, asked for now
 */
WkLedgerRequest *
wk_ledger_request_new (WkLedgerWhat what, const char *requested_by)
{
  WkLedgerRequest *request = g_new0 (WkLedgerRequest, 1);

  request->id = g_uuid_string_random ();
  request->what = what;
  request->requested_by = g_strdup (requested_by);
  request->requested_at = g_get_real_time () / G_USEC_PER_SEC;
  return request;
}

/**
 * wk_ledger_request_free:
 * @request: (nullable) (transfer full): a #WkLedgerRequest
 */
void
wk_ledger_request_free (WkLedgerRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->id);
  g_free (request->episode_id);
  g_free (request->requested_by);
  g_free (request->printer);
  g_free (request);
}

static WkLedgerRequest *
request_from_row (sqlite3_stmt *stmt)
{
  WkLedgerRequest *request = g_new0 (WkLedgerRequest, 1);

  request->id = _wk_stmt_dup_text (stmt, 0);
  request->what = nick_value (what_nicks, stmt, 1);
  request->patient_id = sqlite3_column_int64 (stmt, 2);
  request->episode_id = _wk_stmt_dup_text (stmt, 3);
  request->drill = sqlite3_column_int (stmt, 4) != 0;
  request->automatic = sqlite3_column_int (stmt, 5) != 0;
  request->requested_by = _wk_stmt_dup_text (stmt, 6);
  request->requested_at = _wk_stmt_get_time (stmt, 7);
  request->printer = _wk_stmt_dup_text (stmt, 8);
  return request;
}

/**
 * wk_ledger_record_request:
 * @model: a writable #WkModel
 * @request: the request
 * @error: return location for a #GError
 *
 * Records a request to print, before its documents. The rules: someone asked for it; a
 * chart request names a patient in the model and the others none; a request made in an
 * episode is a drill's exactly when the episode is a drill; the automatic print is the
 * daemon's print of a whole ward for an episode, and there is at most one per episode
 * (%WK_SNAPSHOT_ERROR_CONSTRAINT for a second: the daemon prints the ward by itself once
 * per episode).
 *
 * Returns: %TRUE, or %FALSE with @error saying which rule the request breaks
 */
gboolean
wk_ledger_record_request (WkModel *model, WkLedgerRequest *request, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  if (!valid_key (request->id))
    return invalid (error, "Cannot record a print request without an id of 1 to 64 characters");
  if (_wk_text_is_blank (request->requested_by))
    return invalid (error, "Cannot record print request %s: it does not say who asked",
                    request->id);
  if ((request->what == WK_LEDGER_WHAT_CHART) != (request->patient_id > 0))
    return invalid (error,
                    "Cannot record print request %s: a chart is printed for one patient, and "
                    "only a chart names a patient",
                    request->id);
  if (request->automatic
      && (request->what != WK_LEDGER_WHAT_WARD || request->episode_id == NULL
          || strcmp (request->requested_by, WK_LEDGER_REQUESTED_BY_DAEMON) != 0))
    return invalid (error,
                    "Cannot record print request %s: the automatic print is the daemon's print of "
                    "the whole ward for a downtime episode",
                    request->id);
  if (request->episode_id != NULL)
    {
      g_autoptr (WkLedgerEpisode) episode
          = wk_ledger_load_episode (model, request->episode_id, error);

      if (episode == NULL)
        return FALSE;
      if ((episode->kind == WK_EPISODE_DRILL) != (request->drill != FALSE))
        return invalid (error,
                        "Cannot record print request %s: %s episode %s, so its paper %s be marked "
                        "DRILL",
                        request->id,
                        episode->kind == WK_EPISODE_DRILL ? "it is for drill" : "it is for real",
                        episode->id, episode->kind == WK_EPISODE_DRILL ? "must" : "must not");
    }
  if (request->automatic)
    {
      g_autoptr (WkLedgerRequest) existing
          = wk_ledger_load_automatic_request (model, request->episode_id, NULL);

      if (existing != NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                       "The ward was printed by itself for downtime episode %s already (request "
                       "%s): it is printed once per episode",
                       request->episode_id, existing->id);
          return FALSE;
        }
    }
  if (request->requested_at == 0)
    request->requested_at = g_get_real_time () / G_USEC_PER_SEC;

  stmt = _wk_model_prepare (model,
                            "INSERT INTO print_request (" REQUEST_COLUMNS ") "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, request->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, wk_ledger_what_to_string (request->what), -1, SQLITE_STATIC);
  if (request->patient_id > 0)
    sqlite3_bind_int64 (stmt, 3, request->patient_id);
  _wk_stmt_bind_text (stmt, 4, request->episode_id);
  sqlite3_bind_int (stmt, 5, request->drill ? 1 : 0);
  sqlite3_bind_int (stmt, 6, request->automatic ? 1 : 0);
  sqlite3_bind_text (stmt, 7, request->requested_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, request->requested_at);
  _wk_stmt_bind_text (stmt, 9, request->printer);
  if (!_wk_model_step_done (model, stmt, "Cannot record the print request", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/* The request the statement finds for @key, or NULL (and @missing, naming @key) when none. */
static WkLedgerRequest *
load_one_request (sqlite3_stmt *stmt, const char *key, const char *missing, GError **error)
{
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND, "%s %s", missing, key);
      return NULL;
    }
  return request_from_row (stmt);
}

/**
 * wk_ledger_load_request:
 * @model: a #WkModel
 * @request_id: the request
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the request, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkLedgerRequest *
wk_ledger_load_request (WkModel *model, const char *request_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (request_id != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " REQUEST_COLUMNS "FROM print_request WHERE id = ?1",
                            error);
  return load_one_request (stmt, request_id, "The ledger has no print request", error);
}

/**
 * wk_ledger_load_automatic_request:
 * @model: a #WkModel
 * @episode_id: an episode
 * @error: return location for a #GError
 *
 * Finds the daemon's own print of the ward for an episode: whether the ward was printed
 * for it already.
 *
 * Returns: (transfer full): the request, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND when
 *   the ward has not been printed by itself for the episode
 */
WkLedgerRequest *
wk_ledger_load_automatic_request (WkModel *model, const char *episode_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (episode_id != NULL, NULL);

  stmt = _wk_model_prepare (
      model, "SELECT " REQUEST_COLUMNS "FROM print_request WHERE episode_id = ?1 AND automatic = 1",
      error);
  return load_one_request (stmt, episode_id,
                           "The ward has not been printed by itself for downtime episode", error);
}

/**
 * wk_ledger_load_requests:
 * @model: a #WkModel
 * @limit: at most this many; 0 for all
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkLedgerRequest): the print requests, the newest
 *   first
 */
GPtrArray *
wk_ledger_load_requests (WkModel *model, guint limit, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " REQUEST_COLUMNS
                            "FROM print_request ORDER BY requested_at DESC, rowid DESC LIMIT ?1",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64)limit : -1);
  requests = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_ledger_request_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (requests, request_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the print requests");
      return NULL;
    }
  return g_steal_pointer (&requests);
}

/* ---- documents ---- */

#define DOCUMENT_COLUMNS                                                                           \
  "d.id, d.chart_id, d.request_id, d.kind, d.patient_id, d.ward_id, d.position, d.drill, "         \
  "d.snapshot_seq, d.snapshot_at, d.printed_at, d.pages, d.printer, d.state, d.reason, "           \
  "r.episode_id, r.requested_by "

static void
page_free (gpointer data)
{
  WkLedgerPage *page = data;

  g_free (page->payload);
  g_array_unref (page->orders);
  g_free (page);
}

static void
order_ref_clear (gpointer data)
{
  WkLedgerOrderRef *ref = data;

  g_free (ref->placer_id);
}

static WkLedgerPage *
page_new (guint number, const char *payload)
{
  WkLedgerPage *page = g_new0 (WkLedgerPage, 1);

  page->page = number;
  page->payload = g_strdup (payload);
  page->orders = g_array_new (FALSE, TRUE, sizeof (WkLedgerOrderRef));
  g_array_set_clear_func (page->orders, order_ref_clear);
  return page;
}

static void
page_add_order (WkLedgerPage *page, const char *placer_id, int version)
{
  WkLedgerOrderRef ref = { g_strdup (placer_id), version };

  g_array_append_val (page->orders, ref);
}

/**
 * wk_ledger_document_new:
 * @chart_id: the chart id as printed
 * @request_id: the request it is printed for
 * @kind: chart or census
 *
 * Returns: (transfer full): a document to fill in (patient, snapshot, times, pages) and
 *   record with wk_ledger_record_document()
 */
WkLedgerDocument *
wk_ledger_document_new (const char *chart_id, const char *request_id, WkLedgerDocumentKind kind)
{
  WkLedgerDocument *document = g_new0 (WkLedgerDocument, 1);

  document->chart_id = g_strdup (chart_id);
  document->request_id = g_strdup (request_id);
  document->kind = kind;
  document->pages = g_ptr_array_new_with_free_func (page_free);
  return document;
}

/**
 * wk_ledger_document_add_page:
 * @document: a #WkLedgerDocument being filled in
 * @payload: (nullable): the page's QR code text
 * @orders: (array length=n_orders) (nullable): the orders on the page, in print order
 * @n_orders: how many
 *
 * Adds the next page (page 1 first).
 */
void
wk_ledger_document_add_page (WkLedgerDocument       *document,
                             const char             *payload,
                             const WkLedgerOrderRef *orders,
                             guint                   n_orders)
{
  WkLedgerPage *page;

  g_return_if_fail (document != NULL);

  page = page_new (document->pages->len + 1, payload);
  for (guint i = 0; i < n_orders; i++)
    page_add_order (page, orders[i].placer_id, orders[i].version);
  g_ptr_array_add (document->pages, page);
  document->n_pages = document->pages->len;
}

/**
 * wk_ledger_document_free:
 * @document: (nullable) (transfer full): a #WkLedgerDocument
 */
void
wk_ledger_document_free (WkLedgerDocument *document)
{
  if (document == NULL)
    return;
  g_free (document->chart_id);
  g_free (document->request_id);
  g_free (document->ward_id);
  g_free (document->printer);
  g_free (document->reason);
  g_free (document->episode_id);
  g_free (document->requested_by);
  g_clear_pointer (&document->pages, g_ptr_array_unref);
  g_free (document);
}

static WkLedgerDocument *
document_from_row (sqlite3_stmt *stmt)
{
  WkLedgerDocument *document = wk_ledger_document_new ((const char *)sqlite3_column_text (stmt, 1),
                                                       (const char *)sqlite3_column_text (stmt, 2),
                                                       nick_value (document_kind_nicks, stmt, 3));

  document->id = sqlite3_column_int64 (stmt, 0);
  document->patient_id = sqlite3_column_int64 (stmt, 4);
  document->ward_id = _wk_stmt_dup_text (stmt, 5);
  document->position = sqlite3_column_int (stmt, 6);
  document->drill = sqlite3_column_int (stmt, 7) != 0;
  document->snapshot_seq = sqlite3_column_int64 (stmt, 8);
  document->snapshot_at = _wk_stmt_get_time (stmt, 9);
  document->printed_at = _wk_stmt_get_time (stmt, 10);
  document->n_pages = sqlite3_column_int (stmt, 11);
  document->printer = _wk_stmt_dup_text (stmt, 12);
  document->state = nick_value (document_state_nicks, stmt, 13);
  document->reason = _wk_stmt_dup_text (stmt, 14);
  document->episode_id = _wk_stmt_dup_text (stmt, 15);
  document->requested_by = _wk_stmt_dup_text (stmt, 16);
  return document;
}

static gboolean
insert_pages (WkModel *model, WkLedgerDocument *document, GError **error)
{
  for (guint i = 0; i < document->pages->len; i++)
    {
      WkLedgerPage *page = document->pages->pdata[i];
      g_auto (WkModelStmt) stmt = NULL;

      stmt = _wk_model_prepare (
          model, "INSERT INTO printed_page (document_id, page, payload) VALUES (?1, ?2, ?3)",
          error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, document->id);
      sqlite3_bind_int (stmt, 2, i + 1);
      _wk_stmt_bind_text (stmt, 3, page->payload);
      if (!_wk_model_step_done (model, stmt, "Cannot record a printed page", error))
        return FALSE;
      for (guint j = 0; j < page->orders->len; j++)
        {
          const WkLedgerOrderRef *ref = &g_array_index (page->orders, WkLedgerOrderRef, j);
          g_auto (WkModelStmt) order = NULL;

          if (_wk_text_is_blank (ref->placer_id) || ref->version < 1)
            return invalid (error,
                            "Cannot record chart %s: an order on page %u has no placer id or "
                            "version",
                            document->chart_id, i + 1);
          order = _wk_model_prepare (model,
                                     "INSERT INTO printed_page_order (document_id, page, position, "
                                     "placer_id, order_version) VALUES (?1, ?2, ?3, ?4, ?5)",
                                     error);
          if (order == NULL)
            return FALSE;
          sqlite3_bind_int64 (order, 1, document->id);
          sqlite3_bind_int (order, 2, i + 1);
          sqlite3_bind_int (order, 3, j);
          sqlite3_bind_text (order, 4, ref->placer_id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int (order, 5, ref->version);
          if (!_wk_model_step_done (model, order, "Cannot record an order on a printed page",
                                    error))
            return FALSE;
        }
    }
  return TRUE;
}

/**
 * wk_ledger_record_document:
 * @model: a writable #WkModel
 * @document: the document, with its pages; its @id is set on success
 * @error: return location for a #GError
 *
 * Records a document before it is sent to a printer, with what each page carries, in one
 * change: all of it or nothing. It is recorded as queued whatever @state says. The rules:
 * a well-formed chart id not used before; a request in the ledger, whose drill flag the
 * document shares; a chart has a patient and the census none; at least one page; a ward
 * and the snapshot's time.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_INVALID, %WK_SNAPSHOT_ERROR_NOT_FOUND
 *   (no such request) or %WK_SNAPSHOT_ERROR_CONSTRAINT (the chart id is taken)
 */
gboolean
wk_ledger_record_document (WkModel *model, WkLedgerDocument *document, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (WkLedgerRequest) request = NULL;
  gboolean ok;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (document != NULL, FALSE);

  if (!valid_chart_id (document->chart_id))
    return invalid (error, "Cannot record a document whose chart id is not 8 characters of "
                           "0-9 and A-Z without I, L, O and U");
  if ((document->kind == WK_LEDGER_DOCUMENT_CHART) != (document->patient_id > 0))
    return invalid (error, "Cannot record %s: a chart is of one patient, and the census of none",
                    document->chart_id);
  if (document->pages == NULL || document->pages->len == 0)
    return invalid (error, "Cannot record %s: it has no pages", document->chart_id);
  if (_wk_text_is_blank (document->ward_id) || document->snapshot_at <= 0
      || document->printed_at <= 0)
    return invalid (error, "Cannot record %s: it needs its ward, data time and printing time",
                    document->chart_id);
  request = wk_ledger_load_request (model, document->request_id != NULL ? document->request_id : "",
                                    error);
  if (request == NULL)
    return FALSE;
  if (request->drill != (document->drill != FALSE))
    return invalid (error, "Cannot record %s: its DRILL marking differs from its request's",
                    document->chart_id);

  if (!wk_model_begin (model, error))
    return FALSE;
  stmt = _wk_model_prepare (model,
                            "INSERT INTO printed_document (chart_id, request_id, kind, patient_id, "
                            "ward_id, position, drill, snapshot_seq, snapshot_at, printed_at, "
                            "pages, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                            "'queued')",
                            error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, document->chart_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, document->request_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, wk_ledger_document_kind_to_string (document->kind), -1,
                         SQLITE_STATIC);
      if (document->patient_id > 0)
        sqlite3_bind_int64 (stmt, 4, document->patient_id);
      sqlite3_bind_text (stmt, 5, document->ward_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 6, document->position);
      sqlite3_bind_int (stmt, 7, document->drill ? 1 : 0);
      sqlite3_bind_int64 (stmt, 8, (gint64)document->snapshot_seq);
      sqlite3_bind_int64 (stmt, 9, document->snapshot_at);
      sqlite3_bind_int64 (stmt, 10, document->printed_at);
      sqlite3_bind_int (stmt, 11, document->pages->len);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          if ((sqlite3_extended_errcode (_wk_model_get_db (model)) & 0xff) == SQLITE_CONSTRAINT
              && strstr (sqlite3_errmsg (_wk_model_get_db (model)), "chart_id") != NULL)
            g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                         "Cannot record chart %s: a document with this chart id was printed "
                         "before",
                         document->chart_id);
          else
            _wk_model_set_error (model, error, "Cannot record the printed document");
          ok = FALSE;
        }
      sqlite3_reset (stmt);
    }
  if (ok)
    {
      document->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
      ok = insert_pages (model, document, error);
    }
  if (ok)
    _wk_model_touch (model);
  if (!_wk_model_end (model, ok, error))
    {
      document->id = 0;
      return FALSE;
    }
  document->n_pages = document->pages->len;
  document->state = WK_LEDGER_DOCUMENT_QUEUED;
  g_clear_pointer (&document->printer, g_free);
  g_clear_pointer (&document->reason, g_free);
  return TRUE;
}

/**
 * wk_ledger_set_document_state:
 * @model: a writable #WkModel
 * @chart_id: the document
 * @state: where it stands now
 * @printer: (nullable): the printer it went to (needed for sent and printed); %NULL keeps
 *   the one recorded
 * @reason: (nullable): why (needed for not printed)
 * @error: return location for a #GError
 *
 * Moves a document on: queued, sent to a printer, printed (final), not printed (a retry
 * may queue it again).
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_NOT_FOUND, %WK_SNAPSHOT_ERROR_INVALID
 *   (a printer or reason missing) or %WK_SNAPSHOT_ERROR_CONSTRAINT (it is printed already)
 */
gboolean
wk_ledger_set_document_state (WkModel              *model,
                              const char           *chart_id,
                              WkLedgerDocumentState state,
                              const char           *printer,
                              const char           *reason,
                              GError              **error)
{
  g_autoptr (WkLedgerDocument) document = NULL;
  g_auto (WkModelStmt) stmt = NULL;
  const char *new_printer;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (chart_id != NULL, FALSE);

  document = wk_ledger_load_document (model, chart_id, error);
  if (document == NULL)
    return FALSE;
  if (document->state == WK_LEDGER_DOCUMENT_PRINTED && state != WK_LEDGER_DOCUMENT_PRINTED)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Chart %s is printed already; print it again as a new document", chart_id);
      return FALSE;
    }
  new_printer = !_wk_text_is_blank (printer) ? printer : document->printer;
  if ((state == WK_LEDGER_DOCUMENT_SENT || state == WK_LEDGER_DOCUMENT_PRINTED)
      && new_printer == NULL)
    return invalid (error, "Cannot record chart %s as %s without the printer it went to", chart_id,
                    wk_ledger_document_state_to_string (state));
  if (state == WK_LEDGER_DOCUMENT_NOT_PRINTED && _wk_text_is_blank (reason))
    return invalid (error, "Cannot record chart %s as not printed without the reason", chart_id);

  stmt = _wk_model_prepare (model,
                            "UPDATE printed_document SET state = ?2, printer = ?3, reason = ?4 "
                            "WHERE chart_id = ?1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, wk_ledger_document_state_to_string (state), -1, SQLITE_STATIC);
  _wk_stmt_bind_text (stmt, 3, new_printer);
  _wk_stmt_bind_text (stmt, 4, reason);
  if (!_wk_model_step_done (model, stmt, "Cannot record where the document stands", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

static gboolean
load_pages (WkModel *model, WkLedgerDocument *document, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  stmt = _wk_model_prepare (model,
                            "SELECT p.page, p.payload, o.placer_id, o.order_version "
                            "FROM printed_page p LEFT JOIN printed_page_order o "
                            "ON o.document_id = p.document_id AND o.page = p.page "
                            "WHERE p.document_id = ?1 ORDER BY p.page, o.position",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, document->id);
  g_ptr_array_set_size (document->pages, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint         number = sqlite3_column_int (stmt, 0);
      WkLedgerPage *page
          = document->pages->len > 0 ? document->pages->pdata[document->pages->len - 1] : NULL;

      if (page == NULL || page->page != number)
        {
          page = page_new (number, (const char *)sqlite3_column_text (stmt, 1));
          g_ptr_array_add (document->pages, page);
        }
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        page_add_order (page, (const char *)sqlite3_column_text (stmt, 2),
                        sqlite3_column_int (stmt, 3));
    }
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the printed pages");
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_ledger_load_document:
 * @model: a #WkModel
 * @chart_id: the chart id as printed
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the document with its pages, or %NULL with
 *   %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkLedgerDocument *
wk_ledger_load_document (WkModel *model, const char *chart_id, GError **error)
{
  g_autoptr (WkLedgerDocument) document = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (chart_id != NULL, NULL);

  {
    g_auto (WkModelStmt) stmt = _wk_model_prepare (model,
                                                   "SELECT " DOCUMENT_COLUMNS
                                                   "FROM printed_document d JOIN print_request r "
                                                   "ON r.id = d.request_id WHERE d.chart_id = ?1",
                                                   error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_text (stmt, 1, chart_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (stmt) != SQLITE_ROW)
      {
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "The ledger has no printed document with chart id %s", chart_id);
        return NULL;
      }
    document = document_from_row (stmt);
  }
  if (!load_pages (model, document, error))
    return NULL;
  return g_steal_pointer (&document);
}

/**
 * wk_ledger_load_documents:
 * @model: a #WkModel
 * @request_id: (nullable): only this request's documents
 * @episode_id: (nullable): only the documents of requests made in this episode
 * @error: return location for a #GError
 *
 * Lists printed documents without their pages, in the order they were asked for (request
 * after request, then their place in it).
 *
 * Returns: (transfer full) (element-type WkLedgerDocument): the documents
 */
GPtrArray *
wk_ledger_load_documents (WkModel    *model,
                          const char *request_id,
                          const char *episode_id,
                          GError    **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) documents = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " DOCUMENT_COLUMNS "FROM printed_document d JOIN print_request "
                            "r ON r.id = d.request_id WHERE (?1 IS NULL OR d.request_id = ?1) "
                            "AND (?2 IS NULL OR r.episode_id = ?2) "
                            "ORDER BY r.requested_at, r.rowid, d.position, d.id",
                            error);
  if (stmt == NULL)
    return NULL;
  _wk_stmt_bind_text (stmt, 1, request_id);
  _wk_stmt_bind_text (stmt, 2, episode_id);
  documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_ledger_document_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (documents, document_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the printed documents");
      return NULL;
    }
  return g_steal_pointer (&documents);
}

/* ---- jobs ---- */

#define JOB_COLUMNS                                                                                \
  "j.id, d.chart_id, j.printer, j.cups_job_id, j.state, j.reason, j.submitted_us, "                \
  "j.accepted_us, j.completed_us, j.failed_us "

/**
 * wk_ledger_job_free:
 * @job: (nullable) (transfer full): a #WkLedgerJob
 */
void
wk_ledger_job_free (WkLedgerJob *job)
{
  if (job == NULL)
    return;
  g_free (job->chart_id);
  g_free (job->printer);
  g_free (job->reason);
  g_free (job);
}

static WkLedgerJob *
job_from_row (sqlite3_stmt *stmt)
{
  WkLedgerJob *job = g_new0 (WkLedgerJob, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->chart_id = _wk_stmt_dup_text (stmt, 1);
  job->printer = _wk_stmt_dup_text (stmt, 2);
  job->cups_job_id = sqlite3_column_int (stmt, 3);
  job->state = nick_value (job_state_nicks, stmt, 4);
  job->reason = _wk_stmt_dup_text (stmt, 5);
  job->submitted_us = sqlite3_column_int64 (stmt, 6);
  job->accepted_us = sqlite3_column_int64 (stmt, 7);
  job->completed_us = sqlite3_column_int64 (stmt, 8);
  job->failed_us = sqlite3_column_int64 (stmt, 9);
  return job;
}

/**
 * wk_ledger_record_job:
 * @model: a writable #WkModel
 * @chart_id: the document being printed
 * @printer: the printer it is sent to
 * @submitted_us: when (UTC microseconds)
 * @error: return location for a #GError
 *
 * Records an attempt to print a document, as it is sent.
 *
 * Returns: the job's model id, or 0 with %WK_SNAPSHOT_ERROR_NOT_FOUND (no such document),
 *   %WK_SNAPSHOT_ERROR_INVALID or %WK_SNAPSHOT_ERROR_CONSTRAINT (the document is printed
 *   already: a reprint is a new document)
 */
gint64
wk_ledger_record_job (
    WkModel *model, const char *chart_id, const char *printer, gint64 submitted_us, GError **error)
{
  g_autoptr (WkLedgerDocument) document = NULL;
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, 0);
  g_return_val_if_fail (chart_id != NULL, 0);

  if (_wk_text_is_blank (printer) || submitted_us <= 0)
    {
      invalid (error, "Cannot record a print job for chart %s without its printer and time",
               chart_id);
      return 0;
    }
  document = wk_ledger_load_document (model, chart_id, error);
  if (document == NULL)
    return 0;
  if (document->state == WK_LEDGER_DOCUMENT_PRINTED)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Chart %s is printed already; print it again as a new document", chart_id);
      return 0;
    }
  stmt = _wk_model_prepare (model,
                            "INSERT INTO print_job (document_id, printer, state, submitted_us) "
                            "VALUES (?1, ?2, 'submitted', ?3)",
                            error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, document->id);
  sqlite3_bind_text (stmt, 2, printer, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, submitted_us);
  if (!_wk_model_step_done (model, stmt, "Cannot record the print job", error))
    return 0;
  _wk_model_touch (model);
  return sqlite3_last_insert_rowid (_wk_model_get_db (model));
}

/**
 * wk_ledger_update_job:
 * @model: a writable #WkModel
 * @job_id: the job's model id
 * @state: where it stands now
 * @cups_job_id: the job id the printer gave, 0 to keep the one recorded
 * @reason: (nullable): why it failed (needed for failed), or what the printer said
 * @at_us: when (UTC microseconds); a time before its submission (the wall clock was set
 *   back) is recorded as its submission time
 * @error: return location for a #GError
 *
 * Moves a job on. States only move forward (submitted, accepted, processing, completed),
 * or to failed from any but completed; completed and failed are final. Accepted and later
 * need the printer's job id; the first state at or past accepted records @at_us as the
 * time it was accepted.
 *
 * Returns: %TRUE, or %FALSE with %WK_SNAPSHOT_ERROR_NOT_FOUND, %WK_SNAPSHOT_ERROR_INVALID
 *   or %WK_SNAPSHOT_ERROR_CONSTRAINT (a move back, or out of a final state)
 */
gboolean
wk_ledger_update_job (WkModel         *model,
                      gint64           job_id,
                      WkLedgerJobState state,
                      int              cups_job_id,
                      const char      *reason,
                      gint64           at_us,
                      GError         **error)
{
  g_autoptr (WkLedgerJob) job = NULL;
  g_auto (WkModelStmt) stmt = NULL;
  int    new_cups_id;
  gint64 at;

  g_return_val_if_fail (model != NULL, FALSE);

  job = wk_ledger_load_job (model, job_id, error);
  if (job == NULL)
    return FALSE;
  if (job->state == WK_LEDGER_JOB_COMPLETED || job->state == WK_LEDGER_JOB_FAILED)
    {
      if (job->state == state)
        return TRUE;
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Print job #%" G_GINT64_FORMAT " of chart %s is %s already and cannot become %s",
                   job_id, job->chart_id, wk_ledger_job_state_to_string (job->state),
                   wk_ledger_job_state_to_string (state));
      return FALSE;
    }
  if (state != WK_LEDGER_JOB_FAILED && state < job->state)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Print job #%" G_GINT64_FORMAT " of chart %s is %s and cannot go back to %s",
                   job_id, job->chart_id, wk_ledger_job_state_to_string (job->state),
                   wk_ledger_job_state_to_string (state));
      return FALSE;
    }
  new_cups_id = cups_job_id > 0 ? cups_job_id : job->cups_job_id;
  if (state >= WK_LEDGER_JOB_ACCEPTED && state != WK_LEDGER_JOB_FAILED && new_cups_id <= 0)
    return invalid (error,
                    "Print job #%" G_GINT64_FORMAT " of chart %s cannot be %s without the "
                    "printer's job id",
                    job_id, job->chart_id, wk_ledger_job_state_to_string (state));
  if (state == WK_LEDGER_JOB_FAILED && _wk_text_is_blank (reason))
    return invalid (error,
                    "Print job #%" G_GINT64_FORMAT " of chart %s cannot fail without a reason",
                    job_id, job->chart_id);

  at = MAX (at_us, job->submitted_us);
  stmt = _wk_model_prepare (
      model,
      "UPDATE print_job SET state = ?2, cups_job_id = ?3, reason = coalesce (?4, reason), "
      "accepted_us = CASE WHEN ?2 IN ('accepted', 'processing', 'completed') "
      "THEN coalesce (accepted_us, ?5) ELSE accepted_us END, "
      "completed_us = CASE WHEN ?2 = 'completed' THEN ?5 ELSE completed_us END, "
      "failed_us = CASE WHEN ?2 = 'failed' THEN ?5 ELSE failed_us END WHERE id = ?1",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_text (stmt, 2, wk_ledger_job_state_to_string (state), -1, SQLITE_STATIC);
  if (new_cups_id > 0)
    sqlite3_bind_int (stmt, 3, new_cups_id);
  _wk_stmt_bind_text (stmt, 4, reason);
  sqlite3_bind_int64 (stmt, 5, at);
  if (!_wk_model_step_done (model, stmt, "Cannot record where the print job stands", error))
    return FALSE;
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_ledger_load_job:
 * @model: a #WkModel
 * @job_id: the job's model id
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the job, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkLedgerJob *
wk_ledger_load_job (WkModel *model, gint64 job_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " JOB_COLUMNS "FROM print_job j JOIN printed_document d "
                            "ON d.id = j.document_id WHERE j.id = ?1",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, job_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "The ledger has no print job #%" G_GINT64_FORMAT, job_id);
      return NULL;
    }
  return job_from_row (stmt);
}

/**
 * wk_ledger_load_jobs:
 * @model: a #WkModel
 * @chart_id: (nullable): only this document's jobs
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkLedgerJob): the jobs, in the order they were
 *   submitted
 */
GPtrArray *
wk_ledger_load_jobs (WkModel *model, const char *chart_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " JOB_COLUMNS "FROM print_job j JOIN printed_document d "
                            "ON d.id = j.document_id WHERE (?1 IS NULL OR d.chart_id = ?1) "
                            "ORDER BY j.id",
                            error);
  if (stmt == NULL)
    return NULL;
  _wk_stmt_bind_text (stmt, 1, chart_id);
  jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_ledger_job_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the print jobs");
      return NULL;
    }
  return g_steal_pointer (&jobs);
}
