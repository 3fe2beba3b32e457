/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-spooler.c — prints a ward's documents in order, tracks them, fails over.
 *
 * A run works in one GTask thread: it submits every document left to the current
 * printer, polls each job to a final state, and moves what is left — including the
 * document whose job failed — to the next printer when the current one is stopped, not
 * accepting, unreachable, makes no progress for its failover-after time, or a job is
 * aborted or canceled by the printer. Jobs moved away are canceled (and purged) first, so
 * that a printer that comes back does not print them a second time. On the last printer
 * there is nowhere to go: jobs stay queued and the run keeps waiting and saying so, a
 * failed job is retried, and a document that still fails is reported as not printed.
 * Events reach the caller's main context in order, through one queue. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-print-spooler.h"

#include "wk-print-error.h"

#include <string.h>

/* ---- documents ---------------------------------------------------------------------- */

struct _WkPrintDocument
{
  gint    ref_count;
  char   *id;
  GBytes *pdf;
  guint   n_pages;
};

/**
 * wk_print_document_new:
 * @id: the document's id, used as the job name: the chart id, never a patient
 *   identifier (see wk_printer_check_job_name())
 * @pdf: the PDF
 * @n_pages: how many pages it has (for reports; 0 when not known)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the document, or %NULL with %WK_PRINT_ERROR_INVALID when @id
 *   cannot be a job name or @pdf is not a PDF
 */
WkPrintDocument *
wk_print_document_new (const char *id, GBytes *pdf, guint n_pages, GError **error)
{
  WkPrintDocument *document;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (pdf != NULL, NULL);

  if (!wk_printer_check_job_name (id, error))
    return NULL;
  if (g_bytes_get_size (pdf) < 5 || memcmp (g_bytes_get_data (pdf, NULL), "%PDF-", 5) != 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Document %s is not a PDF (it does not start with %%PDF-)", id);
      return NULL;
    }
  document = g_new0 (WkPrintDocument, 1);
  document->ref_count = 1;
  document->id = g_strdup (id);
  document->pdf = g_bytes_ref (pdf);
  document->n_pages = n_pages;
  return document;
}

/**
 * wk_print_document_ref:
 * @document: a #WkPrintDocument
 *
 * Returns: (transfer full): @document
 */
WkPrintDocument *
wk_print_document_ref (WkPrintDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  g_atomic_int_inc (&document->ref_count);
  return document;
}

/**
 * wk_print_document_unref:
 * @document: (nullable) (transfer full): a #WkPrintDocument
 */
void
wk_print_document_unref (WkPrintDocument *document)
{
  if (document == NULL || !g_atomic_int_dec_and_test (&document->ref_count))
    return;
  g_free (document->id);
  g_bytes_unref (document->pdf);
  g_free (document);
}

/**
 * wk_print_document_get_id:
 * @document: a #WkPrintDocument
 *
 * Returns: its id (its job name)
 */
const char *
wk_print_document_get_id (WkPrintDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  return document->id;
}

/**
 * wk_print_document_get_pdf:
 * @document: a #WkPrintDocument
 *
 * Returns: (transfer none): the PDF
 */
GBytes *
wk_print_document_get_pdf (WkPrintDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  return document->pdf;
}

/**
 * wk_print_document_get_n_pages:
 * @document: a #WkPrintDocument
 *
 * Returns: its number of pages, 0 when not known
 */
guint
wk_print_document_get_n_pages (WkPrintDocument *document)
{
  g_return_val_if_fail (document != NULL, 0);

  return document->n_pages;
}

/* ---- events and outcomes ------------------------------------------------------------ */

/**
 * wk_print_event_copy:
 * @event: an event
 *
 * Returns: (transfer full): a copy
 */
WkPrintEvent *
wk_print_event_copy (const WkPrintEvent *event)
{
  WkPrintEvent *copy = g_new (WkPrintEvent, 1);

  *copy = *event;
  copy->document = g_strdup (event->document);
  copy->printer = g_strdup (event->printer);
  copy->next_printer = g_strdup (event->next_printer);
  copy->message = g_strdup (event->message);
  return copy;
}

/**
 * wk_print_event_free:
 * @event: (nullable) (transfer full): an event
 */
void
wk_print_event_free (WkPrintEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->document);
  g_free (event->printer);
  g_free (event->next_printer);
  g_free (event->message);
  g_free (event);
}

G_DEFINE_BOXED_TYPE (WkPrintEvent, wk_print_event, wk_print_event_copy, wk_print_event_free)

/**
 * wk_print_event_kind_to_string:
 * @kind: an event kind
 *
 * Returns: "submitted", "accepted", "completed", "failed", "printer-state", "failover",
 *   "not-printed" or "finished"
 */
const char *
wk_print_event_kind_to_string (WkPrintEventKind kind)
{
  static const char *const names[] = { "submitted",     "accepted", "completed",   "failed",
                                       "printer-state", "failover", "not-printed", "finished" };

  return kind < G_N_ELEMENTS (names) ? names[kind] : "unknown";
}

/**
 * wk_print_event_describe:
 * @event: an event
 *
 * Returns: (transfer full): the event as one sentence for a screen or a log
 */
char *
wk_print_event_describe (const WkPrintEvent *event)
{
  const char *message = event->message != NULL ? event->message : "";

  switch (event->kind)
    {
    case WK_PRINT_EVENT_SUBMITTED:
      return g_strdup_printf ("Sending %s to %s", event->document, event->printer);
    case WK_PRINT_EVENT_ACCEPTED:
      return g_strdup_printf ("%s accepted %s (job %d)", event->printer, event->document,
                              event->job_id);
    case WK_PRINT_EVENT_COMPLETED:
      return g_strdup_printf ("%s printed %s", event->printer, event->document);
    case WK_PRINT_EVENT_FAILED:
      return g_strdup_printf ("%s did not print %s: %s", event->printer, event->document, message);
    case WK_PRINT_EVENT_PRINTER_STATE:
      return g_strdup_printf ("Printer %s: %s", event->printer, message);
    case WK_PRINT_EVENT_FAILOVER:
      if (event->next_printer == NULL)
        return g_strdup_printf ("%s cannot print (%s) and there is no other printer: %u "
                                "document(s) not printed",
                                event->printer, message, event->n_documents);
      return g_strdup_printf ("%s cannot print (%s): sending the remaining %u document(s) to %s",
                              event->printer, message, event->n_documents, event->next_printer);
    case WK_PRINT_EVENT_NOT_PRINTED:
      return g_strdup_printf ("%s was NOT printed: %s", event->document, message);
    case WK_PRINT_EVENT_FINISHED:
      if (event->n_not_printed == 0)
        return g_strdup_printf ("All %u document(s) printed", event->n_documents);
      return g_strdup_printf ("%u document(s) printed, %u NOT printed", event->n_documents,
                              event->n_not_printed);
    }
  return g_strdup (message);
}

/**
 * wk_print_outcome_free:
 * @outcome: (nullable) (transfer full): an outcome
 */
void
wk_print_outcome_free (WkPrintOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->document);
  g_free (outcome->printer);
  g_free (outcome->reason);
  g_free (outcome->also_sent_to);
  g_free (outcome);
}

/* ---- the spooler -------------------------------------------------------------------- */

struct _WkPrintSpooler
{
  GObject    parent_instance;
  GPtrArray *printers;
  guint      poll_interval_ms;
};

G_DEFINE_FINAL_TYPE (WkPrintSpooler, wk_print_spooler, G_TYPE_OBJECT)

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
wk_print_spooler_finalize (GObject *object)
{
  WkPrintSpooler *self = WK_PRINT_SPOOLER (object);

  g_clear_pointer (&self->printers, g_ptr_array_unref);
  G_OBJECT_CLASS (wk_print_spooler_parent_class)->finalize (object);
}

static void
wk_print_spooler_class_init (WkPrintSpoolerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = wk_print_spooler_finalize;

  /**
   * WkPrintSpooler::event:
   * @spooler: the spooler
   * @event: what happened
   *
   * Emitted in the main context that started the run, in the order things happened,
   * and always before the run's callback.
   */
  signals[SIGNAL_EVENT]
      = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, WK_TYPE_PRINT_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
wk_print_spooler_init (WkPrintSpooler *self)
{
  self->poll_interval_ms = 250;
}

/**
 * wk_print_spooler_new:
 * @printers: (element-type WkPrinter): the printers to use, in the order to try them
 *
 * Returns: (transfer full): a spooler
 */
WkPrintSpooler *
wk_print_spooler_new (GPtrArray *printers)
{
  WkPrintSpooler *self;

  g_return_val_if_fail (printers != NULL, NULL);

  self = g_object_new (WK_TYPE_PRINT_SPOOLER, NULL);
  self->printers = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_printer_unref);
  for (guint i = 0; i < printers->len; i++)
    g_ptr_array_add (self->printers, wk_printer_ref (printers->pdata[i]));
  return self;
}

/**
 * wk_print_spooler_get_printers:
 * @spooler: a #WkPrintSpooler
 *
 * Returns: (transfer none) (element-type WkPrinter): its printers, in order
 */
GPtrArray *
wk_print_spooler_get_printers (WkPrintSpooler *spooler)
{
  g_return_val_if_fail (WK_IS_PRINT_SPOOLER (spooler), NULL);

  return spooler->printers;
}

/**
 * wk_print_spooler_set_poll_interval:
 * @spooler: a #WkPrintSpooler
 * @interval_ms: how often job states are asked (default 250 ms)
 *
 * Takes effect for runs started afterwards.
 */
void
wk_print_spooler_set_poll_interval (WkPrintSpooler *spooler, guint interval_ms)
{
  g_return_if_fail (WK_IS_PRINT_SPOOLER (spooler));

  spooler->poll_interval_ms = MAX (interval_ms, 10);
}

/* ---- one run ------------------------------------------------------------------------ */

typedef enum
{
  ITEM_WAITING,
  ITEM_SUBMITTED,
  ITEM_PRINTED,
  ITEM_NOT_PRINTED,
} ItemState;

typedef struct
{
  WkPrintDocument *document;
  int              index;
  ItemState        state;
  guint            printer;
  int              job_id;
  guint            failures; /* failed jobs on the current printer */
  char            *reason;
  char            *also_sent_to;
} Item;

typedef struct
{
  WkPrintSpooler *spooler;
  GPtrArray      *printers;
  GArray         *items;
  guint           poll_interval_ms;
  GMainContext   *context;
  GMutex          lock; /* guards events, drain_pending and cancelled */
  GCond           cond;
  GQueue          events;
  gboolean        drain_pending;
  gboolean        cancelled;
  GCancellable   *cancellable;
  gulong          cancelled_id;
  GHashTable     *purge_warned;
} Run;

static void
item_clear (Item *item)
{
  g_clear_pointer (&item->document, wk_print_document_unref);
  g_clear_pointer (&item->reason, g_free);
  g_clear_pointer (&item->also_sent_to, g_free);
}

static void
run_clear (Run *run)
{
  if (run->cancelled_id != 0)
    g_cancellable_disconnect (run->cancellable, run->cancelled_id);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->spooler);
  g_clear_pointer (&run->printers, g_ptr_array_unref);
  g_clear_pointer (&run->items, g_array_unref);
  g_clear_pointer (&run->context, g_main_context_unref);
  g_queue_clear_full (&run->events, (GDestroyNotify)wk_print_event_free);
  g_clear_pointer (&run->purge_warned, g_hash_table_unref);
  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
}

static Run *
run_ref (Run *run)
{
  return g_atomic_rc_box_acquire (run);
}

static void
run_unref (Run *run)
{
  g_atomic_rc_box_release_full (run, (GDestroyNotify)run_clear);
}

static gboolean
drain_cb (gpointer data)
{
  Run   *run = data;
  GQueue pending = G_QUEUE_INIT;

  g_mutex_lock (&run->lock);
  pending = run->events;
  g_queue_init (&run->events);
  run->drain_pending = FALSE;
  g_mutex_unlock (&run->lock);

  for (GList *l = pending.head; l != NULL; l = l->next)
    g_signal_emit (run->spooler, signals[SIGNAL_EVENT], 0, l->data);
  g_queue_clear_full (&pending, (GDestroyNotify)wk_print_event_free);
  return G_SOURCE_REMOVE;
}

/* Queues @event (taking it) for the caller's main context, and logs it. */
static void
emit (Run *run, WkPrintEvent *event)
{
  g_autofree char *text = wk_print_event_describe (event);
  gboolean         schedule;

  event->time_us = g_get_monotonic_time ();
  if (event->kind == WK_PRINT_EVENT_FAILOVER || event->kind == WK_PRINT_EVENT_NOT_PRINTED
      || event->kind == WK_PRINT_EVENT_FAILED || event->kind == WK_PRINT_EVENT_FINISHED
      || (event->kind == WK_PRINT_EVENT_PRINTER_STATE && event->problem))
    g_message ("%s", text);
  else
    g_debug ("%s", text);

  g_mutex_lock (&run->lock);
  g_queue_push_tail (&run->events, event);
  schedule = !run->drain_pending;
  run->drain_pending = TRUE;
  g_mutex_unlock (&run->lock);
  if (schedule)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, drain_cb, run_ref (run), (GDestroyNotify)run_unref);
      g_source_set_static_name (source, "[wardkeep] print events");
      g_source_attach (source, run->context);
      g_source_unref (source);
    }
}

static WkPrintEvent *
event_new (WkPrintEventKind kind, Run *run, Item *item, guint printer)
{
  WkPrintEvent *event = g_new0 (WkPrintEvent, 1);

  event->kind = kind;
  event->index = -1;
  if (item != NULL)
    {
      event->document = g_strdup (item->document->id);
      event->index = item->index;
      event->job_id = item->job_id;
    }
  if (printer < run->printers->len)
    event->printer = g_strdup (wk_printer_get_name (run->printers->pdata[printer]));
  return event;
}

static void
emit_item (Run *run, WkPrintEventKind kind, Item *item, guint printer, const char *message)
{
  WkPrintEvent *event = event_new (kind, run, item, printer);

  event->message = g_strdup (message);
  emit (run, event);
}

static Item *
item_at (Run *run, guint i)
{
  return &g_array_index (run->items, Item, i);
}

static gboolean
is_cancelled (Run *run)
{
  gboolean cancelled;

  g_mutex_lock (&run->lock);
  cancelled = run->cancelled;
  g_mutex_unlock (&run->lock);
  return cancelled;
}

/* Sleeps @ms, or less when the run is cancelled. */
static void
pause_ms (Run *run, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  g_mutex_lock (&run->lock);
  while (!run->cancelled)
    if (!g_cond_wait_until (&run->cond, &run->lock, end))
      break;
  g_mutex_unlock (&run->lock);
}

static void
cancelled_cb (GCancellable *cancellable, Run *run)
{
  g_mutex_lock (&run->lock);
  run->cancelled = TRUE;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
}

static guint
count_state (Run *run, ItemState state)
{
  guint n = 0;

  for (guint i = 0; i < run->items->len; i++)
    n += item_at (run, i)->state == state;
  return n;
}

static void
mark_printed (Run *run, Item *item, guint p)
{
  WkPrinter *printer = run->printers->pdata[p];
  g_autoptr (GError) error = NULL;

  item->state = ITEM_PRINTED;
  item->printer = p;
  emit_item (run, WK_PRINT_EVENT_COMPLETED, item, p, NULL);
  /* CUPS keeps a printed job's PDF in its spool for a day by default: purge it now. */
  if (!wk_printer_purge_job (printer, item->job_id, NULL, &error)
      && !g_hash_table_contains (run->purge_warned, printer))
    {
      g_hash_table_add (run->purge_warned, printer);
      g_warning ("%s", error->message);
    }
}

static void
mark_not_printed (Run *run, Item *item, guint p, const char *reason)
{
  item->state = ITEM_NOT_PRINTED;
  g_free (item->reason);
  item->reason = g_strdup (reason);
  emit_item (run, WK_PRINT_EVENT_NOT_PRINTED, item, p, reason);
}

/* Why a final job that is not completed failed, in words. */
static char *
describe_job_failure (WkJobStatus *status)
{
  g_autofree char *reasons = g_strjoinv (", ", status->reasons);
  const char      *what
      = status->state == WK_JOB_STATE_ABORTED ? "the job was aborted" : "the job was canceled";

  if (status->message != NULL && *reasons != '\0')
    return g_strdup_printf ("%s: %s (%s)", what, status->message, reasons);
  if (status->message != NULL)
    return g_strdup_printf ("%s: %s", what, status->message);
  if (*reasons != '\0')
    return g_strdup_printf ("%s (%s)", what, reasons);
  return g_strdup (what);
}

/* Purges a canceled job from cupsd. cupsd finishes canceling a job that was printing only
 * once its filters and backend have exited, and writes the job's record again then: so
 * for such a job the purge waits until the queue has stopped printing it. A purge is
 * repeated until cupsd no longer knows the job (a few seconds at most; a purge CUPS
 * refuses is not repeated). */
static void
purge_when_final (WkPrinter *printer, int job_id, gboolean was_processing)
{
  if (!wk_printer_spools (printer))
    return;
  for (int i = 0; was_processing && i < 200; i++)
    {
      g_autoptr (WkPrinterStatus) status = wk_printer_get_status (printer, NULL, NULL);

      if (status->state != WK_PRINTER_STATE_PROCESSING)
        break;
      g_usleep (50000);
    }
  for (int i = 0; i < 100; i++)
    {
      g_autoptr (WkJobStatus) status = wk_printer_get_job_status (printer, job_id, NULL, NULL);

      if (status == NULL)
        return; /* gone (or unreachable) */
      if (wk_job_state_is_final (status->state)
          && !wk_printer_purge_job (printer, job_id, NULL, NULL))
        return;
      g_usleep (50000);
    }
}

/* Before documents leave printer @p: those it printed meanwhile count as printed; the
 * others are canceled there (and purged) and wait for the next printer. Last first, so
 * that the queue does not start each waiting job in turn as the one before is canceled. */
static void
settle (Run *run, guint p)
{
  WkPrinter *printer = run->printers->pdata[p];

  for (guint i = run->items->len; i-- > 0;)
    {
      Item *item = item_at (run, i);
      g_autoptr (WkJobStatus) status = NULL;
      g_autoptr (GError) error = NULL;

      if (item->state != ITEM_SUBMITTED || item->printer != p)
        continue;
      status = wk_printer_get_job_status (printer, item->job_id, NULL, NULL);
      if (status != NULL && status->state == WK_JOB_STATE_COMPLETED)
        {
          mark_printed (run, item, p);
          continue;
        }
      if (status == NULL || !wk_job_state_is_final (status->state))
        {
          if (wk_printer_cancel_job (printer, item->job_id, NULL, &error))
            purge_when_final (printer, item->job_id,
                              status != NULL && status->state == WK_JOB_STATE_PROCESSING);
          else
            {
              g_clear_pointer (&status, wk_job_status_free);
              status = wk_printer_get_job_status (printer, item->job_id, NULL, NULL);
              if (status != NULL && status->state == WK_JOB_STATE_COMPLETED)
                {
                  mark_printed (run, item, p);
                  continue;
                }
              if (status == NULL)
                {
                  /* Unreachable: the job may still print when the printer comes back. */
                  g_autofree char *warning = g_strdup_printf (
                      "its job there could not be canceled (%s): it may also print on %s when "
                      "%s comes back",
                      error->message, wk_printer_get_name (printer), wk_printer_get_name (printer));

                  g_free (item->also_sent_to);
                  item->also_sent_to = g_strdup (wk_printer_get_name (printer));
                  emit_item (run, WK_PRINT_EVENT_FAILED, item, p, warning);
                }
            }
        }
      else
        wk_printer_purge_job (printer, item->job_id, NULL, NULL);
      item->state = ITEM_WAITING;
      item->job_id = 0;
    }
}

static int
submit_with_retries (Run *run, guint p, Item *item, GError **error)
{
  WkPrinter               *printer = run->printers->pdata[p];
  const WkPrinterSettings *settings = wk_printer_get_settings (printer);

  for (guint attempt = 0;; attempt++)
    {
      g_autoptr (GError) local_error = NULL;
      int job_id = wk_printer_submit (printer, item->document->id, item->document->pdf,
                                      run->cancellable, &local_error);

      if (job_id > 0)
        return job_id;
      if (attempt >= settings->retries || is_cancelled (run)
          || g_error_matches (local_error, WK_PRINT_ERROR, WK_PRINT_ERROR_NOT_ACCEPTING)
          || g_error_matches (local_error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return 0;
        }
      g_debug ("Printer %s: submission of %s failed (%s); trying again",
               wk_printer_get_name (printer), item->document->id, local_error->message);
      pause_ms (run, 500 * (attempt + 1));
    }
}

static void
emit_printer_state (Run *run, guint p, WkPrinterStatus *status, char **last_summary)
{
  WkPrintEvent *event;

  if (g_strcmp0 (*last_summary, status->summary) == 0)
    return;
  g_free (*last_summary);
  *last_summary = g_strdup (status->summary);
  event = event_new (WK_PRINT_EVENT_PRINTER_STATE, run, NULL, p);
  event->message = g_strdup (status->summary);
  event->problem = status->problem;
  emit (run, event);
}

/* Prints what is left on printer @p. Returns NULL when every document is final (or the
 * run is cancelled), else why the rest must move to the next printer. */
static char *
print_on (Run *run, guint p, gboolean last)
{
  WkPrinter               *printer = run->printers->pdata[p];
  const WkPrinterSettings *settings = wk_printer_get_settings (printer);
  g_autofree char         *last_summary = NULL;
  g_autoptr (WkPrinterStatus) status = NULL;
  gint64 last_progress;

  status = wk_printer_get_status (printer, NULL, NULL);
  if (status->problem)
    emit_printer_state (run, p, status, &last_summary);
  /* A stopped, refusing or silent printer is passed over at once. The last one is tried
   * all the same: a stopped queue still takes jobs, which wait there for someone to start
   * it, and a refusal or silence is reported by the submission (after its retries). */
  if (!last
      && (!status->accepting || status->state == WK_PRINTER_STATE_UNREACHABLE
          || status->state == WK_PRINTER_STATE_STOPPED))
    return g_strdup (status->summary);

  for (;;)
    {
      for (guint i = 0; i < run->items->len && !is_cancelled (run); i++)
        {
          Item *item = item_at (run, i);
          g_autoptr (GError) error = NULL;
          int job_id;

          if (item->state != ITEM_WAITING)
            continue;
          item->printer = p;
          emit_item (run, WK_PRINT_EVENT_SUBMITTED, item, p, NULL);
          job_id = submit_with_retries (run, p, item, &error);
          if (job_id <= 0)
            {
              if (is_cancelled (run))
                return NULL;
              emit_item (run, WK_PRINT_EVENT_FAILED, item, p, error->message);
              settle (run, p);
              return g_strdup (error->message);
            }
          item->state = ITEM_SUBMITTED;
          item->job_id = job_id;
          emit_item (run, WK_PRINT_EVENT_ACCEPTED, item, p, NULL);
        }

      if (is_cancelled (run))
        return NULL;

      /* Track every job here to a final state. */
      last_progress = g_get_monotonic_time ();
      while (count_state (run, ITEM_SUBMITTED) > 0)
        {
          gboolean retry = FALSE;

          pause_ms (run, run->poll_interval_ms);
          if (is_cancelled (run))
            return NULL;
          for (guint i = 0; i < run->items->len; i++)
            {
              Item *item = item_at (run, i);
              g_autoptr (WkJobStatus) job = NULL;
              g_autoptr (GError) error = NULL;
              g_autofree char *failure = NULL;

              if (item->state != ITEM_SUBMITTED || item->printer != p)
                continue;
              job = wk_printer_get_job_status (printer, item->job_id, NULL, &error);
              if (job == NULL
                  && g_error_matches (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNREACHABLE))
                break; /* no answer: the no-progress clock decides */
              if (job != NULL && job->state == WK_JOB_STATE_COMPLETED)
                {
                  mark_printed (run, item, p);
                  last_progress = g_get_monotonic_time ();
                  continue;
                }
              if (job != NULL && !wk_job_state_is_final (job->state))
                continue;
              failure = job != NULL ? describe_job_failure (job) : g_strdup (error->message);
              emit_item (run, WK_PRINT_EVENT_FAILED, item, p, failure);
              if (job != NULL)
                wk_printer_purge_job (printer, item->job_id, NULL, NULL);
              item->state = ITEM_WAITING;
              item->job_id = 0;
              if (!last)
                {
                  settle (run, p);
                  return g_steal_pointer (&failure);
                }
              /* Nowhere else to go: try it again here, a few times. */
              if (++item->failures > settings->retries)
                mark_not_printed (run, item, p, failure);
              else
                retry = TRUE;
              last_progress = g_get_monotonic_time ();
            }
          if (retry)
            break;

          g_clear_pointer (&status, wk_printer_status_free);
          status = wk_printer_get_status (printer, NULL, NULL);
          emit_printer_state (run, p, status, &last_summary);
          if (!last && status->state == WK_PRINTER_STATE_STOPPED)
            {
              settle (run, p);
              return g_strdup (status->summary);
            }
          if (g_get_monotonic_time () - last_progress > settings->failover_after_ms * 1000)
            {
              g_autofree char *why = NULL;

              why = g_strdup_printf ("nothing printed for %" G_GINT64_FORMAT " s (%s)",
                                     settings->failover_after_ms / 1000, status->summary);
              if (!last)
                {
                  settle (run, p);
                  return g_steal_pointer (&why);
                }
              {
                WkPrintEvent *event = event_new (WK_PRINT_EVENT_PRINTER_STATE, run, NULL, p);

                event->message = g_strdup_printf (
                    "%s; no other printer is configured, so the charts wait in its queue", why);
                event->problem = TRUE;
                emit (run, event);
              }
              last_progress = g_get_monotonic_time ();
            }
        }
      if (count_state (run, ITEM_WAITING) == 0)
        return NULL;
    }
}

/* The run was cancelled: cancel what is queued (last first, as settle() does), then
 * report, in order, what printed meanwhile and what did not. */
static void
abandon (Run *run)
{
  for (guint i = run->items->len; i-- > 0;)
    {
      Item      *item = item_at (run, i);
      WkPrinter *printer;
      g_autoptr (WkJobStatus) status = NULL;

      if (item->state != ITEM_SUBMITTED)
        continue;
      printer = run->printers->pdata[item->printer];
      status = wk_printer_get_job_status (printer, item->job_id, NULL, NULL);
      if (wk_printer_cancel_job (printer, item->job_id, NULL, NULL))
        {
          purge_when_final (printer, item->job_id,
                            status != NULL && status->state == WK_JOB_STATE_PROCESSING);
          item->job_id = 0;
        }
    }
  for (guint i = 0; i < run->items->len; i++)
    {
      Item *item = item_at (run, i);

      if (item->state == ITEM_SUBMITTED && item->job_id > 0)
        {
          WkPrinter *printer = run->printers->pdata[item->printer];
          g_autoptr (WkJobStatus) status
              = wk_printer_get_job_status (printer, item->job_id, NULL, NULL);

          if (status != NULL && status->state == WK_JOB_STATE_COMPLETED)
            {
              mark_printed (run, item, item->printer);
              continue;
            }
        }
      if (item->state == ITEM_SUBMITTED || item->state == ITEM_WAITING)
        mark_not_printed (run, item, item->printer, "printing was stopped before it was printed");
    }
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Run          *run = task_data;
  guint         p = 0;
  WkPrintEvent *finished;
  GPtrArray    *outcomes;

  while (count_state (run, ITEM_WAITING) + count_state (run, ITEM_SUBMITTED) > 0)
    {
      g_autofree char *reason = NULL;
      WkPrintEvent    *event;
      guint            moving;

      if (is_cancelled (run))
        {
          abandon (run);
          break;
        }
      if (p >= run->printers->len)
        break;
      reason = print_on (run, p, p + 1 == run->printers->len);
      if (reason == NULL)
        continue;

      /* Fail over: everything not printed goes to the next printer. */
      moving = count_state (run, ITEM_WAITING);
      event = event_new (WK_PRINT_EVENT_FAILOVER, run, NULL, p);
      event->message = g_strdup (reason);
      event->n_documents = moving;
      if (p + 1 < run->printers->len)
        event->next_printer = g_strdup (wk_printer_get_name (run->printers->pdata[p + 1]));
      emit (run, event);
      for (guint i = 0; i < run->items->len; i++)
        {
          Item *item = item_at (run, i);

          item->failures = 0;
          if (item->state == ITEM_WAITING && p + 1 >= run->printers->len)
            mark_not_printed (run, item, p, reason);
        }
      p++;
    }
  if (run->printers->len == 0)
    for (guint i = 0; i < run->items->len; i++)
      if (item_at (run, i)->state == ITEM_WAITING)
        mark_not_printed (run, item_at (run, i), G_MAXUINT,
                          "no printer is configured (add a [printer NAME] group)");

  finished = event_new (WK_PRINT_EVENT_FINISHED, run, NULL, G_MAXUINT);
  finished->n_documents = count_state (run, ITEM_PRINTED);
  finished->n_not_printed = count_state (run, ITEM_NOT_PRINTED);
  emit (run, finished);

  if (is_cancelled (run))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Printing was canceled; %u document(s) were not printed",
                               count_state (run, ITEM_NOT_PRINTED));
      return;
    }
  outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_print_outcome_free);
  for (guint i = 0; i < run->items->len; i++)
    {
      Item           *item = item_at (run, i);
      WkPrintOutcome *outcome = g_new0 (WkPrintOutcome, 1);

      outcome->document = g_strdup (item->document->id);
      outcome->printed = item->state == ITEM_PRINTED;
      if (item->printer < run->printers->len)
        outcome->printer = g_strdup (wk_printer_get_name (run->printers->pdata[item->printer]));
      outcome->job_id = outcome->printed ? item->job_id : 0;
      outcome->reason = g_strdup (item->reason);
      outcome->also_sent_to = g_strdup (item->also_sent_to);
      g_ptr_array_add (outcomes, outcome);
    }
  g_task_return_pointer (task, outcomes, (GDestroyNotify)g_ptr_array_unref);
}

/**
 * wk_print_spooler_print_async:
 * @spooler: a #WkPrintSpooler
 * @documents: (element-type WkPrintDocument): what to print, in order (census first,
 *   then the charts in bed order)
 * @cancellable: (nullable): cancels the run: queued jobs are canceled, and what was not
 *   printed is reported
 * @callback: called in the thread-default main context when every document is final
 * @user_data: for @callback
 *
 * Prints @documents: submits each to the first printer, tracks every job to completion,
 * and fails over to the next printer as the type's documentation says. Every document
 * ends printed exactly once, or reported as not printed with the reason. Emits
 * #WkPrintSpooler::event as it goes. Nothing blocks the calling thread.
 */
void
wk_print_spooler_print_async (WkPrintSpooler     *spooler,
                              GPtrArray          *documents,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  Run *run;

  g_return_if_fail (WK_IS_PRINT_SPOOLER (spooler));
  g_return_if_fail (documents != NULL);

  run = g_atomic_rc_box_new0 (Run);
  run->spooler = g_object_ref (spooler);
  run->printers = g_ptr_array_ref (spooler->printers);
  run->poll_interval_ms = spooler->poll_interval_ms;
  run->context = g_main_context_ref_thread_default ();
  run->purge_warned = g_hash_table_new (NULL, NULL);
  g_mutex_init (&run->lock);
  g_cond_init (&run->cond);
  g_queue_init (&run->events);
  run->items = g_array_sized_new (FALSE, TRUE, sizeof (Item), documents->len);
  g_array_set_clear_func (run->items, (GDestroyNotify)item_clear);
  for (guint i = 0; i < documents->len; i++)
    {
      Item item = { wk_print_document_ref (documents->pdata[i]), (int)i, ITEM_WAITING, 0 };

      g_array_append_val (run->items, item);
    }
  if (cancellable != NULL)
    {
      run->cancellable = g_object_ref (cancellable);
      run->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), run, NULL);
    }

  task = g_task_new (spooler, cancellable, callback, user_data);
  g_task_set_source_tag (task, wk_print_spooler_print_async);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, run, (GDestroyNotify)run_unref);
  g_task_run_in_thread (task, run_thread);
}

/**
 * wk_print_spooler_print_finish:
 * @spooler: a #WkPrintSpooler
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPrintOutcome): what became of each document,
 *   in the order given; %NULL with %G_IO_ERROR_CANCELLED when the run was cancelled
 *   (the events said what was printed)
 */
GPtrArray *
wk_print_spooler_print_finish (WkPrintSpooler *spooler, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (WK_IS_PRINT_SPOOLER (spooler), NULL);
  g_return_val_if_fail (g_task_is_valid (result, spooler), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
