/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-ledger.h — the print ledger: downtime episodes, and everything that went out on paper. */

#pragma once

#include "wk-episode.h"
#include "wk-model.h"

G_BEGIN_DECLS

/**
 * WkLedgerWhat:
 * @WK_LEDGER_WHAT_WARD: the census, then every occupied bed's drug chart in ward order
 * @WK_LEDGER_WHAT_CENSUS: the ward census alone
 * @WK_LEDGER_WHAT_CHART: one patient's drug chart
 *
 * What a print request asked for.
 */
typedef enum
{
  WK_LEDGER_WHAT_WARD,
  WK_LEDGER_WHAT_CENSUS,
  WK_LEDGER_WHAT_CHART,
} WkLedgerWhat;

/**
 * WkLedgerDocumentKind:
 * @WK_LEDGER_DOCUMENT_CHART: a patient's drug chart
 * @WK_LEDGER_DOCUMENT_CENSUS: the ward census
 */
typedef enum
{
  WK_LEDGER_DOCUMENT_CHART,
  WK_LEDGER_DOCUMENT_CENSUS,
} WkLedgerDocumentKind;

/**
 * WkLedgerDocumentState:
 * @WK_LEDGER_DOCUMENT_QUEUED: recorded, not yet taken by a printer
 * @WK_LEDGER_DOCUMENT_SENT: a printer (or CUPS) took it; not yet printed
 * @WK_LEDGER_DOCUMENT_PRINTED: printed; final
 * @WK_LEDGER_DOCUMENT_NOT_PRINTED: given up (every printer failed, or the daemon stopped
 *   before it was sent); a retry queues it again
 *
 * Where a document stands.
 */
typedef enum
{
  WK_LEDGER_DOCUMENT_QUEUED,
  WK_LEDGER_DOCUMENT_SENT,
  WK_LEDGER_DOCUMENT_PRINTED,
  WK_LEDGER_DOCUMENT_NOT_PRINTED,
} WkLedgerDocumentState;

/**
 * WkLedgerJobState:
 * @WK_LEDGER_JOB_SUBMITTED: being sent to the printer
 * @WK_LEDGER_JOB_ACCEPTED: the printer (or CUPS) took it and gave it a job id
 * @WK_LEDGER_JOB_PROCESSING: printing
 * @WK_LEDGER_JOB_COMPLETED: printed; final
 * @WK_LEDGER_JOB_FAILED: refused, canceled, aborted or given up; final
 *
 * Where one attempt to print a document stands. States only move forward.
 */
typedef enum
{
  WK_LEDGER_JOB_SUBMITTED,
  WK_LEDGER_JOB_ACCEPTED,
  WK_LEDGER_JOB_PROCESSING,
  WK_LEDGER_JOB_COMPLETED,
  WK_LEDGER_JOB_FAILED,
} WkLedgerJobState;

/**
 * WkLedgerEpisode:
 * @id: the episode's id (WkEpisode's)
 * @kind: what started it
 * @scenario: for a drill, which one; else %WK_DRILL_NONE
 * @reason: why it started
 * @who: (nullable): who declared it or started the drill
 * @window: (nullable): for a planned episode, the window's NAME
 * @started_at: when it started (UTC seconds)
 * @ended_at: when it ended (UTC seconds), 0 while it is on
 * @end_reason: (nullable): how it ended
 *
 * A downtime episode as the ledger keeps it.
 */
typedef struct
{
  char           *id;
  WkEpisodeKind   kind;
  WkDrillScenario scenario;
  char           *reason;
  char           *who;
  char           *window;
  gint64          started_at;
  gint64          ended_at;
  char           *end_reason;
} WkLedgerEpisode;

/**
 * WkLedgerRequest:
 * @id: the request's id (a UUID made by wk_ledger_request_new())
 * @what: what was asked for
 * @patient_id: for %WK_LEDGER_WHAT_CHART, the patient (model id); else 0
 * @episode_id: (nullable): the episode it was made in
 * @drill: the paper is a drill's (DRILL on every page)
 * @automatic: the daemon's own print of the ward when @episode_id started
 * @requested_by: who asked: "daemon" for the automatic print, else a person's name
 * @requested_at: when (UTC seconds)
 * @printer: (nullable): the printer asked for; %NULL for the configured printers in order
 *
 * One request to print.
 */
typedef struct
{
  char        *id;
  WkLedgerWhat what;
  gint64       patient_id;
  char        *episode_id;
  gboolean     drill;
  gboolean     automatic;
  char        *requested_by;
  gint64       requested_at;
  char        *printer;
} WkLedgerRequest;

/**
 * WkLedgerOrderRef:
 * @placer_id: the order's placer number
 * @version: the version printed
 *
 * An order as a page carried it.
 */
typedef struct
{
  char *placer_id;
  int   version;
} WkLedgerOrderRef;

/**
 * WkLedgerPage:
 * @page: the page number, from 1
 * @payload: (nullable): the text of the page's QR code ("WK:..."), %NULL for none
 * @orders: (element-type WkLedgerOrderRef): the orders on the page, in print order
 *
 * What one printed page carried.
 */
typedef struct
{
  guint   page;
  char   *payload;
  GArray *orders;
} WkLedgerPage;

/**
 * WkLedgerDocument:
 * @id: the model's id, set when recorded
 * @chart_id: the chart id as printed (8 characters)
 * @request_id: the request it was printed for
 * @kind: chart or census
 * @patient_id: a chart's patient (model id); 0 for the census, or when the patient's
 *   record has since left the model (the pages' QR codes still name them)
 * @ward_id: the ward
 * @position: its place in the request (0 first)
 * @drill: DRILL on every page
 * @snapshot_seq: the snapshot the data came from (0: the daemon's live model before its
 *   first snapshot)
 * @snapshot_at: when that data was current (UTC seconds): "DATA AS OF"
 * @printed_at: the printing time on the paper (UTC seconds)
 * @n_pages: how many pages
 * @printer: (nullable): where it went (the last printer tried, until printed)
 * @state: where it stands
 * @reason: (nullable): why it was not printed, or what happened last
 * @episode_id: (nullable): read only: the request's episode
 * @requested_by: (nullable): read only: who asked for the request
 * @pages: (element-type WkLedgerPage): what each page carried; given when recording,
 *   loaded by wk_ledger_load_document() only
 *
 * One printed document.
 */
typedef struct
{
  gint64                id;
  char                 *chart_id;
  char                 *request_id;
  WkLedgerDocumentKind  kind;
  gint64                patient_id;
  char                 *ward_id;
  guint                 position;
  gboolean              drill;
  guint64               snapshot_seq;
  gint64                snapshot_at;
  gint64                printed_at;
  guint                 n_pages;
  char                 *printer;
  WkLedgerDocumentState state;
  char                 *reason;
  char                 *episode_id;
  char                 *requested_by;
  GPtrArray            *pages;
} WkLedgerDocument;

/**
 * WkLedgerJob:
 * @id: the model's id
 * @chart_id: the document's chart id
 * @printer: the printer's name
 * @cups_job_id: the job id the printer or CUPS gave, 0 before it was accepted
 * @state: where it stands
 * @reason: (nullable): why it failed, or what the printer said
 * @submitted_us: when it was sent (UTC microseconds)
 * @accepted_us: when it was accepted, 0 if not (yet)
 * @completed_us: when it was printed, 0 if not (yet)
 * @failed_us: when it failed, 0 if it did not
 *
 * One attempt to print a document.
 */
typedef struct
{
  gint64           id;
  char            *chart_id;
  char            *printer;
  int              cups_job_id;
  WkLedgerJobState state;
  char            *reason;
  gint64           submitted_us;
  gint64           accepted_us;
  gint64           completed_us;
  gint64           failed_us;
} WkLedgerJob;

/** Who asks for the daemon's own print of the ward. */
#define WK_LEDGER_REQUESTED_BY_DAEMON "daemon"

gboolean wk_ledger_record_episode (WkModel *model, const WkEpisode *episode, GError **error);
gboolean wk_ledger_end_episode (
    WkModel *model, const char *episode_id, gint64 ended_at, const char *reason, GError **error);
WkLedgerEpisode *wk_ledger_load_episode (WkModel *model, const char *episode_id, GError **error);
GPtrArray       *wk_ledger_load_episodes (WkModel *model, GError **error);
void             wk_ledger_episode_free (WkLedgerEpisode *episode);

WkLedgerRequest *wk_ledger_request_new (WkLedgerWhat what, const char *requested_by);
void             wk_ledger_request_free (WkLedgerRequest *request);
gboolean wk_ledger_record_request (WkModel *model, WkLedgerRequest *request, GError **error);
WkLedgerRequest *wk_ledger_load_request (WkModel *model, const char *request_id, GError **error);
WkLedgerRequest *
wk_ledger_load_automatic_request (WkModel *model, const char *episode_id, GError **error);
GPtrArray *wk_ledger_load_requests (WkModel *model, guint limit, GError **error);

WkLedgerDocument *
wk_ledger_document_new (const char *chart_id, const char *request_id, WkLedgerDocumentKind kind);
void     wk_ledger_document_add_page (WkLedgerDocument       *document,
                                      const char             *payload,
                                      const WkLedgerOrderRef *orders,
                                      guint                   n_orders);
void     wk_ledger_document_free (WkLedgerDocument *document);
gboolean wk_ledger_record_document (WkModel *model, WkLedgerDocument *document, GError **error);
gboolean wk_ledger_set_document_state (WkModel              *model,
                                       const char           *chart_id,
                                       WkLedgerDocumentState state,
                                       const char           *printer,
                                       const char           *reason,
                                       GError              **error);
WkLedgerDocument *wk_ledger_load_document (WkModel *model, const char *chart_id, GError **error);
GPtrArray        *wk_ledger_load_documents (WkModel    *model,
                                            const char *request_id,
                                            const char *episode_id,
                                            GError    **error);

gint64 wk_ledger_record_job (
    WkModel *model, const char *chart_id, const char *printer, gint64 submitted_us, GError **error);
gboolean     wk_ledger_update_job (WkModel         *model,
                                   gint64           job_id,
                                   WkLedgerJobState state,
                                   int              cups_job_id,
                                   const char      *reason,
                                   gint64           at_us,
                                   GError         **error);
WkLedgerJob *wk_ledger_load_job (WkModel *model, gint64 job_id, GError **error);
GPtrArray   *wk_ledger_load_jobs (WkModel *model, const char *chart_id, GError **error);
void         wk_ledger_job_free (WkLedgerJob *job);

const char *wk_ledger_what_to_string (WkLedgerWhat what);
gboolean    wk_ledger_what_from_string (const char *text, WkLedgerWhat *what);
const char *wk_ledger_document_kind_to_string (WkLedgerDocumentKind kind);
const char *wk_ledger_document_state_to_string (WkLedgerDocumentState state);
const char *wk_ledger_job_state_to_string (WkLedgerJobState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkLedgerEpisode, wk_ledger_episode_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkLedgerRequest, wk_ledger_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkLedgerDocument, wk_ledger_document_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkLedgerJob, wk_ledger_job_free)

G_END_DECLS
