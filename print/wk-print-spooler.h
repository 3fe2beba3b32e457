/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-spooler.h — prints a ward's documents in order, tracks them, fails over. */

#pragma once

#include "wk-printer.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkPrintDocument:
 *
 * One document to print: a PDF in memory, named by the id the caller gives (the chart
 * id, "census-7A-..."), which is also its job name — never a patient identifier.
 */
typedef struct _WkPrintDocument WkPrintDocument;

WkPrintDocument *wk_print_document_new (const char *id, GBytes *pdf, guint n_pages, GError **error);
WkPrintDocument *wk_print_document_ref (WkPrintDocument *document);
void             wk_print_document_unref (WkPrintDocument *document);
const char      *wk_print_document_get_id (WkPrintDocument *document);
GBytes          *wk_print_document_get_pdf (WkPrintDocument *document);
guint            wk_print_document_get_n_pages (WkPrintDocument *document);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPrintDocument, wk_print_document_unref)

/**
 * WkPrintEventKind:
 * @WK_PRINT_EVENT_SUBMITTED: a document is being sent to a printer
 * @WK_PRINT_EVENT_ACCEPTED: the printer (or CUPS) took it: @job_id is set
 * @WK_PRINT_EVENT_COMPLETED: the printer printed it
 * @WK_PRINT_EVENT_FAILED: its job or submission failed on @printer (@message says why);
 *   it goes to the next printer, or is retried
 * @WK_PRINT_EVENT_PRINTER_STATE: @printer's state changed while it had our documents
 *   (@message: "Out of paper", "Ready", ...; @problem says whether it holds printing up)
 * @WK_PRINT_EVENT_FAILOVER: @n_documents documents go from @printer to @next_printer
 *   (%NULL: there is none left) because of @message
 * @WK_PRINT_EVENT_NOT_PRINTED: a document was not printed (@message says why); final
 * @WK_PRINT_EVENT_FINISHED: the run is over: @n_documents printed, @n_not_printed not
 *
 * What a print run reports, in the order it happens.
 */
typedef enum
{
  WK_PRINT_EVENT_SUBMITTED,
  WK_PRINT_EVENT_ACCEPTED,
  WK_PRINT_EVENT_COMPLETED,
  WK_PRINT_EVENT_FAILED,
  WK_PRINT_EVENT_PRINTER_STATE,
  WK_PRINT_EVENT_FAILOVER,
  WK_PRINT_EVENT_NOT_PRINTED,
  WK_PRINT_EVENT_FINISHED,
} WkPrintEventKind;

/**
 * WkPrintEvent:
 * @kind: what happened
 * @time_us: when, on the monotonic clock (g_get_monotonic_time()), as the worker saw it
 * @document: (nullable): the document's id
 * @index: the document's position in the run (0 = first), or -1
 * @printer: (nullable): the printer's name
 * @next_printer: (nullable): for %WK_PRINT_EVENT_FAILOVER, where the documents go
 * @job_id: the job, or 0
 * @message: (nullable): in words for staff: why, or the printer's state
 * @problem: for %WK_PRINT_EVENT_PRINTER_STATE, whether the printer needs attention
 * @n_documents: for %WK_PRINT_EVENT_FAILOVER, how many documents move; for
 *   %WK_PRINT_EVENT_FINISHED, how many were printed
 * @n_not_printed: for %WK_PRINT_EVENT_FINISHED, how many were not
 *
 * One thing a print run reports. Strings are owned by the event.
 */
typedef struct
{
  WkPrintEventKind kind;
  gint64           time_us;
  char            *document;
  int              index;
  char            *printer;
  char            *next_printer;
  int              job_id;
  char            *message;
  gboolean         problem;
  guint            n_documents;
  guint            n_not_printed;
} WkPrintEvent;

#define WK_TYPE_PRINT_EVENT (wk_print_event_get_type ())
GType         wk_print_event_get_type (void);
WkPrintEvent *wk_print_event_copy (const WkPrintEvent *event);
void          wk_print_event_free (WkPrintEvent *event);
const char   *wk_print_event_kind_to_string (WkPrintEventKind kind);
char         *wk_print_event_describe (const WkPrintEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPrintEvent, wk_print_event_free)

/**
 * WkPrintOutcome:
 * @document: the document's id
 * @printed: whether it was printed
 * @printer: (nullable): where it was printed (or last tried)
 * @job_id: its job there, or 0
 * @reason: (nullable): why it was not printed
 * @also_sent_to: (nullable): a printer that had a job for it which could not be canceled
 *   (it was unreachable): when that printer comes back, it may print the document again
 *
 * What became of one document.
 */
typedef struct
{
  char    *document;
  gboolean printed;
  char    *printer;
  int      job_id;
  char    *reason;
  char    *also_sent_to;
} WkPrintOutcome;

void wk_print_outcome_free (WkPrintOutcome *outcome);

#define WK_TYPE_PRINT_SPOOLER (wk_print_spooler_get_type ())
G_DECLARE_FINAL_TYPE (WkPrintSpooler, wk_print_spooler, WK, PRINT_SPOOLER, GObject)

WkPrintSpooler *wk_print_spooler_new (GPtrArray *printers);
GPtrArray      *wk_print_spooler_get_printers (WkPrintSpooler *spooler);
void            wk_print_spooler_set_poll_interval (WkPrintSpooler *spooler, guint interval_ms);
void            wk_print_spooler_print_async (WkPrintSpooler     *spooler,
                                              GPtrArray          *documents,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
GPtrArray *
wk_print_spooler_print_finish (WkPrintSpooler *spooler, GAsyncResult *result, GError **error);

G_END_DECLS
