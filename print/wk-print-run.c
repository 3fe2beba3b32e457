/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-run.c — the one print path: a snapshot rendered and sent to the ward's printers.
 *
 * A worker thread loads the snapshot and renders; each batch of documents it finishes
 * (the census alone first, then the charts) comes back to the main context in order,
 * where it is recorded (when a ledger is given), reported, held if the caller asked, and
 * handed to the spooler as one run. A batch is sent only once every document of the
 * batch before has been taken by a printer (or given up), so that the paper comes out
 * in ward order even though the batches are separate spooler runs. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-print-run.h"

#include "wk-bed.h"
#include "wk-chart-renderer.h"
#include "wk-patient.h"
#include "wk-print-error.h"
#include "wk-snapshot-error.h"

#include <string.h>

/* What the worker hands to the main context: a batch of documents, or the end. */
typedef struct
{
  WkPrintRun *run;
  GPtrArray  *documents; /* WkChartDocument, or NULL for the end */
  guint64     snapshot_seq;
  gint64      snapshot_at;
  gint64      printed_at;
  GError     *error; /* the end: why rendering stopped */
} Delivery;

/* A batch recorded and waiting to be sent, or being sent. */
typedef struct
{
  guint       index;
  GPtrArray  *documents; /* WkPrintDocument */
  GHashTable *unsettled; /* chart ids not yet taken by a printer nor given up */
} Batch;

struct _WkPrintRun
{
  GObject parent_instance;

  /* Set before the start; only read afterwards (the worker reads them too). */
  char          *ward_id;
  char          *timezone;
  WkChartOptions options;
  WkKeys        *keys;
  GPtrArray     *printers;
  WkLedgerWhat   what;
  gint64         patient_id;
  gboolean       drill;
  gboolean       skip_census;
  GArray        *skip_patients;
  WkStore       *store;
  WkModel       *model; /* handed to the worker at the start */
  guint64        model_seq;
  gint64         model_at;
  guint          poll_ms;

  /* The main context's. */
  GMainContext    *context;
  GTask           *task;
  GCancellable    *cancellable;
  WkPrintSpooler  *spooler;
  WkModel         *ledger;
  WkLedgerRequest *request;
  gboolean         hold;
  guint            n_released;
  guint            n_batches;
  GQueue           waiting; /* Batch */
  Batch           *sending;
  guint            n_spooling;
  gboolean         rendering;
  GError          *render_error;
  GPtrArray       *documents; /* WkLedgerDocument, in print order */
  GPtrArray       *outcomes;
  GHashTable      *open_jobs; /* chart id -> ledger job id (gint64 *) */
  guint64          snapshot_seq;
  gint64           snapshot_at;
};

G_DEFINE_FINAL_TYPE (WkPrintRun, wk_print_run, G_TYPE_OBJECT)

enum
{
  SIGNAL_RENDERED,
  SIGNAL_EVENT,
  SIGNAL_RENDERING_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void try_send (WkPrintRun *self);

static void
batch_free (Batch *batch)
{
  g_ptr_array_unref (batch->documents);
  g_hash_table_unref (batch->unsettled);
  g_free (batch);
}

static void
wk_print_run_dispose (GObject *object)
{
  WkPrintRun *self = WK_PRINT_RUN (object);

  g_clear_object (&self->spooler);
  G_OBJECT_CLASS (wk_print_run_parent_class)->dispose (object);
}

static void
wk_print_run_finalize (GObject *object)
{
  WkPrintRun *self = WK_PRINT_RUN (object);

  g_free (self->ward_id);
  g_free (self->timezone);
  g_ptr_array_unref (self->printers);
  g_array_unref (self->skip_patients);
  g_clear_pointer (&self->store, wk_store_unref);
  g_clear_pointer (&self->model, wk_model_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->request, wk_ledger_request_free);
  g_queue_clear_full (&self->waiting, (GDestroyNotify)batch_free);
  g_clear_pointer (&self->sending, batch_free);
  g_clear_error (&self->render_error);
  g_ptr_array_unref (self->documents);
  g_clear_pointer (&self->outcomes, g_ptr_array_unref);
  g_hash_table_unref (self->open_jobs);
  G_OBJECT_CLASS (wk_print_run_parent_class)->finalize (object);
}

static void
wk_print_run_class_init (WkPrintRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wk_print_run_dispose;
  object_class->finalize = wk_print_run_finalize;

  /**
   * WkPrintRun::rendered:
   * @run: the run
   * @documents: (element-type WkLedgerDocument): the batch of documents now rendered (and
   *   recorded, with a ledger), in print order, with what each page carries
   *
   * Documents are ready to send. With wk_print_run_set_hold(), they wait for
   * wk_print_run_release().
   */
  signals[SIGNAL_RENDERED]
      = g_signal_new ("rendered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * WkPrintRun::event:
   * @run: the run
   * @event: what the spooler reports: a document submitted, accepted, printed, failed, ...
   *
   * Emitted after the ledger (if any) has recorded the event.
   */
  signals[SIGNAL_EVENT]
      = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, WK_TYPE_PRINT_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * WkPrintRun::rendering-finished:
   * @run: the run
   * @error: (nullable) (type GLib.Error): why rendering stopped, or %NULL when every
   *   document was rendered (wk_print_run_get_documents() has them all)
   *
   * Rendering is over; printing may go on.
   */
  signals[SIGNAL_RENDERING_FINISHED]
      = g_signal_new ("rendering-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
wk_print_run_init (WkPrintRun *self)
{
  self->skip_patients = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_ledger_document_free);
  self->open_jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->poll_ms = 250;
}

/**
 * wk_print_run_new:
 * @config: the configuration: the ward, its time zone and the `[chart]` settings
 * @keys: the kiosk's keys, which sign the QR codes; they must outlive the run
 * @printers: (element-type WkPrinter): the printers, in failover order
 * @what: the ward, the census, or one patient's chart
 * @patient_id: for a chart, the patient (model id); else 0
 *
 * Makes a print run. Give it a source (wk_print_run_set_store() or
 * wk_print_run_set_model()), then start it.
 *
 * Returns: (transfer full): the run
 */
WkPrintRun *
wk_print_run_new (
    WkConfig *config, WkKeys *keys, GPtrArray *printers, WkLedgerWhat what, gint64 patient_id)
{
  WkPrintRun *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (keys != NULL, NULL);
  g_return_val_if_fail (printers != NULL, NULL);
  g_return_val_if_fail ((what == WK_LEDGER_WHAT_CHART) == (patient_id > 0), NULL);

  self = g_object_new (WK_TYPE_PRINT_RUN, NULL);
  wk_chart_options_init (&self->options);
  wk_chart_options_load_config (&self->options, config);
  self->ward_id = g_strdup (self->options.ward_id);
  self->timezone = g_strdup (self->options.timezone);
  self->options.ward_id = self->ward_id;
  self->options.timezone = self->timezone;
  self->keys = keys;
  self->printers = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_printer_unref);
  for (guint i = 0; i < printers->len; i++)
    g_ptr_array_add (self->printers, wk_printer_ref (printers->pdata[i]));
  self->what = what;
  self->patient_id = patient_id;
  self->request = wk_ledger_request_new (what, "unknown");
  self->request->patient_id = patient_id;
  return self;
}

/**
 * wk_print_run_set_store:
 * @run: a #WkPrintRun not started
 * @store: the snapshot folder: the newest snapshot that verifies is printed
 *
 * Prints from the newest good snapshot, loaded (read-only) in the worker thread.
 */
void
wk_print_run_set_store (WkPrintRun *self, WkStore *store)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));
  g_return_if_fail (self->task == NULL);

  g_clear_pointer (&self->store, wk_store_unref);
  self->store = wk_store_ref (store);
}

/**
 * wk_print_run_set_model:
 * @run: a #WkPrintRun not started
 * @model: (transfer full): the model to print; the run uses it from its worker thread,
 *   so nobody else may touch it
 * @snapshot_seq: the snapshot it was loaded from, 0 for none
 * @snapshot_at: when its data was current (UTC seconds): "DATA AS OF"
 *
 * Prints this model instead of the newest snapshot.
 */
void
wk_print_run_set_model (WkPrintRun *self, WkModel *model, guint64 snapshot_seq, gint64 snapshot_at)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));
  g_return_if_fail (self->task == NULL);
  g_return_if_fail (model != NULL && snapshot_at > 0);

  g_clear_pointer (&self->model, wk_model_free);
  self->model = model;
  self->model_seq = snapshot_seq;
  self->model_at = snapshot_at;
}

/**
 * wk_print_run_set_drill:
 * @run: a #WkPrintRun not started
 * @drill: the paper is for a drill: DRILL — NOT FOR CLINICAL USE on every page
 */
void
wk_print_run_set_drill (WkPrintRun *self, gboolean drill)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));
  g_return_if_fail (self->task == NULL);

  self->drill = drill;
  self->request->drill = drill;
}

/**
 * wk_print_run_set_first_printer:
 * @run: a #WkPrintRun not started
 * @name: a printer's name
 * @error: return location for a #GError
 *
 * Sends the documents to @name first (the others follow in their order, for failover).
 *
 * Returns: %TRUE, or %FALSE with %WK_PRINT_ERROR_INVALID naming the printers there are
 */
gboolean
wk_print_run_set_first_printer (WkPrintRun *self, const char *name, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);

  g_return_val_if_fail (WK_IS_PRINT_RUN (self), FALSE);
  g_return_val_if_fail (self->task == NULL, FALSE);

  for (guint i = 0; i < self->printers->len; i++)
    {
      WkPrinter *printer = self->printers->pdata[i];

      if (g_strcmp0 (wk_printer_get_name (printer), name) == 0)
        {
          wk_printer_ref (printer);
          g_ptr_array_remove_index (self->printers, i);
          g_ptr_array_insert (self->printers, 0, printer);
          g_free (self->request->printer);
          self->request->printer = g_strdup (name);
          return TRUE;
        }
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "",
                              wk_printer_get_name (printer));
    }
  g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
               "There is no printer called \"%s\"; the printers are: %s", name,
               names->len > 0 ? names->str : "none (add a [printer NAME] group)");
  return FALSE;
}

/**
 * wk_print_run_skip_census:
 * @run: a #WkPrintRun of the ward, not started
 *
 * Leaves the census out: it went out already (a print resumed after a restart).
 */
void
wk_print_run_skip_census (WkPrintRun *self)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));

  self->skip_census = TRUE;
}

/**
 * wk_print_run_skip_patient:
 * @run: a #WkPrintRun of the ward, not started
 * @patient_id: a patient whose chart went out already
 *
 * Leaves a patient's chart out of a ward print.
 */
void
wk_print_run_skip_patient (WkPrintRun *self, gint64 patient_id)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));

  g_array_append_val (self->skip_patients, patient_id);
}

/**
 * wk_print_run_set_ledger:
 * @run: a #WkPrintRun not started
 * @model: the live, writable model the ledger is kept in; it must outlive the run and is
 *   only touched in the main context
 * @request: (transfer full): the request as the ledger records it (who asked, the
 *   episode, whether it is the automatic print); what, patient, drill and printer are
 *   taken from the run
 *
 * Records the request, each document with its pages, and each job in @model as they
 * happen. A request already in the ledger (the same id) is not recorded again: the run's
 * documents are added to it (an automatic print resumed after a restart).
 */
void
wk_print_run_set_ledger (WkPrintRun *self, WkModel *model, WkLedgerRequest *request)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));
  g_return_if_fail (self->task == NULL);
  g_return_if_fail (model != NULL && request != NULL);

  request->what = self->what;
  request->patient_id = self->patient_id;
  request->drill = self->drill;
  g_free (request->printer);
  request->printer = g_strdup (self->request->printer);
  wk_ledger_request_free (self->request);
  self->request = request;
  self->ledger = model;
}

/**
 * wk_print_run_set_hold:
 * @run: a #WkPrintRun not started
 * @hold: whether each batch of documents waits for wk_print_run_release() before it is
 *   sent
 */
void
wk_print_run_set_hold (WkPrintRun *self, gboolean hold)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));

  self->hold = hold;
}

/**
 * wk_print_run_release:
 * @run: a #WkPrintRun
 *
 * Lets the next batch announced by #WkPrintRun::rendered be sent (with
 * wk_print_run_set_hold()).
 */
void
wk_print_run_release (WkPrintRun *self)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));

  self->n_released++;
  try_send (self);
}

/**
 * wk_print_run_set_poll_interval:
 * @run: a #WkPrintRun not started
 * @interval_ms: how often the spooler asks after its jobs
 */
void
wk_print_run_set_poll_interval (WkPrintRun *self, guint interval_ms)
{
  g_return_if_fail (WK_IS_PRINT_RUN (self));

  self->poll_ms = interval_ms;
}

/* ---- the worker ---- */

static gboolean deliver_cb (gpointer data);

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_object_unref (delivery->run);
  g_clear_pointer (&delivery->documents, g_ptr_array_unref);
  g_clear_error (&delivery->error);
  g_free (delivery);
}

/* Hands documents (or the end, when @documents is NULL) to the main context. Deliveries
 * are idle sources of one priority attached in order, so they are handled in order. */
static void
deliver (WkPrintRun *self, GPtrArray *documents, WkChartOptions *options, GError *error)
{
  Delivery *delivery = g_new0 (Delivery, 1);

  delivery->run = g_object_ref (self);
  delivery->documents = documents;
  delivery->snapshot_seq = options->snapshot_seq;
  delivery->snapshot_at = options->snapshot_at;
  delivery->printed_at = options->printed_at;
  delivery->error = error;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, deliver_cb, delivery,
                              delivery_free);
}

static GPtrArray *
documents_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)wk_chart_document_free);
}

static gboolean
skipped (WkPrintRun *self, gint64 patient_id)
{
  for (guint i = 0; i < self->skip_patients->len; i++)
    if (g_array_index (self->skip_patients, gint64, i) == patient_id)
      return TRUE;
  return FALSE;
}

static GError *
render (WkPrintRun *self, WkModel *model, WkChartOptions *options, GCancellable *cancellable)
{
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (GPtrArray) ward = NULL;
  GPtrArray       *rest;
  WkChartDocument *document;
  GError          *error = NULL;

  renderer = wk_chart_renderer_new (options, self->keys, &error);
  if (renderer == NULL)
    return error;

  switch (self->what)
    {
    case WK_LEDGER_WHAT_CENSUS:
    case WK_LEDGER_WHAT_CHART:
      document = self->what == WK_LEDGER_WHAT_CENSUS
                     ? wk_chart_renderer_render_census (renderer, model, &error)
                     : wk_chart_renderer_render_chart (renderer, model, self->patient_id, &error);
      if (document == NULL)
        return error;
      rest = documents_new ();
      g_ptr_array_add (rest, document);
      deliver (self, rest, options, NULL);
      return NULL;

    case WK_LEDGER_WHAT_WARD:
      /* The census goes out on its own at once; the charts render meanwhile. */
      if (!self->skip_census)
        {
          document = wk_chart_renderer_render_census (renderer, model, &error);
          if (document == NULL)
            return error;
          rest = documents_new ();
          g_ptr_array_add (rest, document);
          deliver (self, rest, options, NULL);
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        return error;
      ward = wk_chart_renderer_render_ward (renderer, model, &error);
      if (ward == NULL)
        return error;
      rest = documents_new ();
      for (guint i = 0; i < ward->len; i++)
        {
          WkChartDocument *one = ward->pdata[i];

          if (wk_chart_document_get_kind (one) == WK_CHART_DOCUMENT_CENSUS
              || skipped (self, wk_chart_document_get_patient_id (one)))
            continue;
          ward->pdata[i] = NULL;
          g_ptr_array_add (rest, one);
        }
      if (rest->len > 0)
        deliver (self, rest, options, NULL);
      else
        g_ptr_array_unref (rest);
      return NULL;
    }
  g_assert_not_reached ();
}

static void
render_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WkPrintRun *self = source;
  g_autoptr (WkModel) model = task_data != NULL ? task_data : NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  WkChartOptions options = self->options;
  GError        *error = NULL;

  g_task_set_task_data (task, NULL, NULL);
  options.drill = self->drill;
  if (model != NULL)
    {
      options.snapshot_seq = self->model_seq;
      options.snapshot_at = self->model_at;
    }
  else
    {
      model = wk_store_load_newest (self->store, &info, &error);
      if (model != NULL)
        {
          options.snapshot_seq = info->seq;
          options.snapshot_at = info->created_at;
        }
      else
        g_prefix_error (&error, "Nothing can be printed: ");
    }
  if (model != NULL)
    {
      g_autofree char *data_as_of = wk_model_dup_meta (model, WK_PRINT_DATA_AS_OF);
      gint64           known = data_as_of != NULL ? g_ascii_strtoll (data_as_of, NULL, 10) : 0;

      /* The data is as old as the last news the ward had, not as the file it came in. */
      if (known > 0 && known < options.snapshot_at)
        options.snapshot_at = known;
      options.printed_at = g_get_real_time () / G_USEC_PER_SEC;
      error = render (self, model, &options, cancellable);
    }
  deliver (self, NULL, &options, error);
  g_task_return_boolean (task, TRUE);
}

/* ---- the main context ---- */

static void
complete_if_done (WkPrintRun *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->task == NULL || self->rendering || self->sending != NULL
      || !g_queue_is_empty (&self->waiting) || self->n_spooling > 0)
    return;
  task = g_steal_pointer (&self->task);
  if (self->render_error != NULL)
    {
      if (self->documents->len > 0)
        g_task_return_new_error (task, self->render_error->domain, self->render_error->code,
                                 "%s (%u document(s) were sent before it failed)",
                                 self->render_error->message, self->documents->len);
      else
        g_task_return_error (task, g_error_copy (self->render_error));
      return;
    }
  g_task_return_pointer (task, g_ptr_array_ref (self->outcomes), (GDestroyNotify)g_ptr_array_unref);
}

/* The time an event of the spooler happened, in wall time (the ledger's clock). */
static gint64
event_wall_time (const WkPrintEvent *event)
{
  return g_get_real_time () - (g_get_monotonic_time () - event->time_us);
}

static void
ledger_warn (const char *what, const GError *error)
{
  g_warning ("print ledger: cannot record %s: %s", what, error->message);
}

/* What the spooler reports, written into the ledger. */
static void
record_event (WkPrintRun *self, const WkPrintEvent *event)
{
  g_autoptr (GError) error = NULL;
  gint64 *job
      = event->document != NULL ? g_hash_table_lookup (self->open_jobs, event->document) : NULL;
  gint64 at = event_wall_time (event);

  switch (event->kind)
    {
    case WK_PRINT_EVENT_SUBMITTED:
      {
        gint64 id
            = wk_ledger_record_job (self->ledger, event->document, event->printer, at, &error);

        if (id == 0)
          ledger_warn ("a print job", error);
        else
          g_hash_table_replace (self->open_jobs, g_strdup (event->document),
                                g_memdup2 (&id, sizeof id));
        break;
      }
    case WK_PRINT_EVENT_ACCEPTED:
      if ((job != NULL
           && !wk_ledger_update_job (self->ledger, *job, WK_LEDGER_JOB_ACCEPTED, event->job_id,
                                     NULL, at, &error))
          || !wk_ledger_set_document_state (self->ledger, event->document, WK_LEDGER_DOCUMENT_SENT,
                                            event->printer, NULL, &error))
        ledger_warn ("an accepted job", error);
      break;
    case WK_PRINT_EVENT_COMPLETED:
      if ((job != NULL
           && !wk_ledger_update_job (self->ledger, *job, WK_LEDGER_JOB_COMPLETED, event->job_id,
                                     NULL, at, &error))
          || !wk_ledger_set_document_state (self->ledger, event->document,
                                            WK_LEDGER_DOCUMENT_PRINTED, event->printer, NULL,
                                            &error))
        ledger_warn ("a printed document", error);
      g_hash_table_remove (self->open_jobs, event->document);
      break;
    case WK_PRINT_EVENT_FAILED:
      if (job != NULL
          && !wk_ledger_update_job (self->ledger, *job, WK_LEDGER_JOB_FAILED, 0,
                                    event->message != NULL ? event->message : "failed", at, &error))
        ledger_warn ("a failed job", error);
      g_hash_table_remove (self->open_jobs, event->document);
      break;
    case WK_PRINT_EVENT_NOT_PRINTED:
      if (job != NULL)
        wk_ledger_update_job (self->ledger, *job, WK_LEDGER_JOB_FAILED, 0,
                              event->message != NULL ? event->message : "not printed", at, NULL);
      if (!wk_ledger_set_document_state (
              self->ledger, event->document, WK_LEDGER_DOCUMENT_NOT_PRINTED, event->printer,
              event->message != NULL ? event->message : "not printed", &error))
        ledger_warn ("a document not printed", error);
      g_hash_table_remove (self->open_jobs, event->document);
      break;
    case WK_PRINT_EVENT_PRINTER_STATE:
    case WK_PRINT_EVENT_FAILOVER:
    case WK_PRINT_EVENT_FINISHED:
      break;
    }
}

static void
spooler_event_cb (WkPrintSpooler *spooler, const WkPrintEvent *event, gpointer data)
{
  WkPrintRun *self = data;

  if (self->ledger != NULL)
    record_event (self, event);
  /* Each batch is a spooler run of its own; the run's end is the callback's. */
  if (event->kind != WK_PRINT_EVENT_FINISHED)
    g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);

  /* The batch being sent is settled once each of its documents is with a printer. */
  if (self->sending != NULL && event->document != NULL
      && (event->kind == WK_PRINT_EVENT_ACCEPTED || event->kind == WK_PRINT_EVENT_COMPLETED
          || event->kind == WK_PRINT_EVENT_NOT_PRINTED))
    {
      g_hash_table_remove (self->sending->unsettled, event->document);
      if (g_hash_table_size (self->sending->unsettled) == 0)
        {
          g_clear_pointer (&self->sending, batch_free);
          try_send (self);
        }
    }
}

static void
spooled_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (WkPrintRun) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) outcomes = NULL;

  outcomes = wk_print_spooler_print_finish (WK_PRINT_SPOOLER (source), result, &error);
  self->n_spooling--;
  if (outcomes != NULL)
    for (guint i = 0; i < outcomes->len; i++)
      g_ptr_array_add (self->outcomes, g_steal_pointer (&outcomes->pdata[i]));
  /* A run that ended without settling its batch (canceled) lets the next one go. */
  if (self->sending != NULL && self->n_spooling == 0)
    g_clear_pointer (&self->sending, batch_free);
  try_send (self);
  complete_if_done (self);
}

static void
try_send (WkPrintRun *self)
{
  Batch *batch;

  if (self->sending != NULL)
    return;
  batch = g_queue_peek_head (&self->waiting);
  if (batch == NULL || (self->hold && batch->index >= self->n_released))
    {
      complete_if_done (self);
      return;
    }
  g_queue_pop_head (&self->waiting);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      for (guint i = 0; i < batch->documents->len; i++)
        if (self->ledger != NULL)
          wk_ledger_set_document_state (self->ledger,
                                        wk_print_document_get_id (batch->documents->pdata[i]),
                                        WK_LEDGER_DOCUMENT_NOT_PRINTED, NULL,
                                        "printing was stopped before it was sent", NULL);
      batch_free (batch);
      try_send (self);
      return;
    }
  self->sending = batch;
  self->n_spooling++;
  wk_print_spooler_print_async (self->spooler, batch->documents, self->cancellable, spooled_cb,
                                g_object_ref (self));
}

/* A rendered document as the ledger keeps it. */
static WkLedgerDocument *
ledger_document (WkPrintRun *self, WkChartDocument *document, const Delivery *delivery)
{
  WkLedgerDocument *record;
  guint             n_pages = wk_chart_document_get_n_pages (document);

  record = wk_ledger_document_new (wk_chart_document_get_id (document), self->request->id,
                                   wk_chart_document_get_kind (document) == WK_CHART_DOCUMENT_CENSUS
                                       ? WK_LEDGER_DOCUMENT_CENSUS
                                       : WK_LEDGER_DOCUMENT_CHART);
  record->patient_id = wk_chart_document_get_patient_id (document);
  record->ward_id = g_strdup (self->ward_id);
  record->position = self->documents->len;
  record->drill = self->drill;
  record->snapshot_seq = delivery->snapshot_seq;
  record->snapshot_at = delivery->snapshot_at;
  record->printed_at = delivery->printed_at;
  record->episode_id = g_strdup (self->request->episode_id);
  record->requested_by = g_strdup (self->request->requested_by);
  for (guint p = 0; p < n_pages; p++)
    {
      guint                  n_orders = 0;
      const WkChartOrderRef *orders = wk_chart_document_get_page_orders (document, p, &n_orders);
      g_autofree WkLedgerOrderRef *refs = g_new0 (WkLedgerOrderRef, MAX (n_orders, 1));

      for (guint o = 0; o < n_orders; o++)
        {
          refs[o].placer_id = orders[o].placer_id;
          refs[o].version = orders[o].version;
        }
      wk_ledger_document_add_page (record, wk_chart_document_get_page_payload (document, p), refs,
                                   n_orders);
    }
  return record;
}

static gboolean
deliver_cb (gpointer data)
{
  Delivery   *delivery = data;
  WkPrintRun *self = delivery->run;
  g_autoptr (GPtrArray) announced = NULL;
  Batch *batch;

  if (delivery->documents == NULL)
    {
      self->rendering = FALSE;
      /* The caller reports it (wk_print_run_finish()). */
      self->render_error = g_steal_pointer (&delivery->error);
      g_signal_emit (self, signals[SIGNAL_RENDERING_FINISHED], 0, self->render_error);
      try_send (self);
      complete_if_done (self);
      return G_SOURCE_REMOVE;
    }

  self->snapshot_seq = delivery->snapshot_seq;
  self->snapshot_at = delivery->snapshot_at;
  batch = g_new0 (Batch, 1);
  batch->index = self->n_batches++;
  batch->documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_print_document_unref);
  batch->unsettled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  announced = g_ptr_array_new ();
  for (guint i = 0; i < delivery->documents->len; i++)
    {
      WkChartDocument  *document = g_steal_pointer (&delivery->documents->pdata[i]);
      WkLedgerDocument *record = ledger_document (self, document, delivery);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) pdf = NULL;
      WkPrintDocument *printable;
      const guint8    *bytes;
      gsize            size;

      if (self->ledger != NULL && !wk_ledger_record_document (self->ledger, record, &error))
        ledger_warn ("a printed document", error);
      g_ptr_array_add (self->documents, record);
      g_ptr_array_add (announced, record);

      /* The PDF is handed over without a copy; the document (which wipes it) goes with
       * the last reference. */
      bytes = wk_chart_document_get_pdf (document, &size);
      pdf = g_bytes_new_with_free_func (bytes, size, (GDestroyNotify)wk_chart_document_free,
                                        document);
      printable = wk_print_document_new (record->chart_id, pdf, record->n_pages, &error);
      if (printable == NULL)
        {
          g_warning ("print: %s", error->message);
          continue;
        }
      g_ptr_array_add (batch->documents, printable);
      g_hash_table_add (batch->unsettled, g_strdup (record->chart_id));
    }
  g_queue_push_tail (&self->waiting, batch);
  g_signal_emit (self, signals[SIGNAL_RENDERED], 0, announced);
  try_send (self);
  return G_SOURCE_REMOVE;
}

/* A request already in the ledger (an automatic print resumed after a restart) gets
 * more documents; it is not recorded again. */
static gboolean
request_recorded (WkPrintRun *self)
{
  g_autoptr (WkLedgerRequest) found
      = wk_ledger_load_request (self->ledger, self->request->id, NULL);

  return found != NULL;
}

/**
 * wk_print_run_start_async:
 * @run: a #WkPrintRun with a source, not started
 * @cancellable: (nullable): stops the run: what is not yet printed is canceled and reported
 * @callback: called when every document is printed or given up
 * @user_data: passed to @callback
 *
 * Starts the run: records the request (with a ledger), then renders and prints. Events
 * and the callback come in the thread-default main context of the caller.
 */
void
wk_print_run_start_async (WkPrintRun         *self,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GTask) render_task = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (WK_IS_PRINT_RUN (self));
  g_return_if_fail (self->task == NULL && self->context == NULL);
  g_return_if_fail (self->store != NULL || self->model != NULL);

  self->context = g_main_context_ref_thread_default ();
  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, wk_print_run_start_async);
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  self->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_print_outcome_free);
  self->spooler = wk_print_spooler_new (self->printers);
  wk_print_spooler_set_poll_interval (self->spooler, self->poll_ms);
  g_signal_connect (self->spooler, "event", G_CALLBACK (spooler_event_cb), self);

  if (self->ledger != NULL && !request_recorded (self)
      && !wk_ledger_record_request (self->ledger, self->request, &error))
    {
      g_autoptr (GTask) task = g_steal_pointer (&self->task);

      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->rendering = TRUE;
  render_task = g_task_new (self, self->cancellable, NULL, NULL);
  g_task_set_task_data (render_task, g_steal_pointer (&self->model), NULL);
  g_task_run_in_thread (render_task, render_thread);
}

/**
 * wk_print_run_finish:
 * @run: a #WkPrintRun
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPrintOutcome): what became of each document sent,
 *   or %NULL with @error when nothing could be rendered (no snapshot, no such patient), the
 *   ledger refused the request, or rendering failed part way (the documents sent before
 *   are in wk_print_run_get_documents())
 */
GPtrArray *
wk_print_run_finish (WkPrintRun *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * wk_print_run_get_what:
 * @run: a #WkPrintRun
 *
 * Returns: what it prints
 */
WkLedgerWhat
wk_print_run_get_what (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), WK_LEDGER_WHAT_WARD);

  return self->what;
}

/**
 * wk_print_run_get_drill:
 * @run: a #WkPrintRun
 *
 * Returns: whether its paper is a drill's
 */
gboolean
wk_print_run_get_drill (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), FALSE);

  return self->drill;
}

/**
 * wk_print_run_get_request_id:
 * @run: a #WkPrintRun
 *
 * Returns: the id of its request (the ledger's, with a ledger)
 */
const char *
wk_print_run_get_request_id (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), NULL);

  return self->request->id;
}

/**
 * wk_print_run_get_documents:
 * @run: a #WkPrintRun
 *
 * Returns: (transfer none) (element-type WkLedgerDocument): the documents rendered so far,
 *   in print order, with what each page carries (also without a ledger)
 */
GPtrArray *
wk_print_run_get_documents (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), NULL);

  return self->documents;
}

/**
 * wk_print_run_get_snapshot_seq:
 * @run: a #WkPrintRun
 *
 * Returns: the snapshot printed from, once its first documents are rendered; else 0
 */
guint64
wk_print_run_get_snapshot_seq (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), 0);

  return self->snapshot_seq;
}

/**
 * wk_print_run_get_snapshot_at:
 * @run: a #WkPrintRun
 *
 * Returns: the data time of the snapshot printed from (UTC seconds), once known; else 0
 */
gint64
wk_print_run_get_snapshot_at (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), 0);

  return self->snapshot_at;
}

/**
 * wk_print_run_is_rendering:
 * @run: a #WkPrintRun
 *
 * Returns: whether documents are still being rendered
 */
gboolean
wk_print_run_is_rendering (WkPrintRun *self)
{
  g_return_val_if_fail (WK_IS_PRINT_RUN (self), FALSE);

  return self->rendering;
}

/* ---- finding a patient as staff name them ---- */

static gboolean
all_digits (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (; *text != '\0'; text++)
    if (!g_ascii_isdigit (*text))
      return FALSE;
  return TRUE;
}

/**
 * wk_print_find_patient:
 * @model: a ward model
 * @ward_id: the ward whose beds are meant
 * @text: the patient as a person names them: a bed (`BAY1-3`: bay, hyphen, bed; a bed
 *   without a bay as `-3`, or by its name when that is not only digits), a model id
 *   (`12` or `#12`), or an NHS number (ten digits, spaces or hyphens allowed: `999 123
 *   4567`)
 * @error: return location for a #GError
 *
 * Returns: the patient's model id, or 0 with %WK_SNAPSHOT_ERROR_NOT_FOUND (no such bed,
 *   an empty bed, no such patient) or %WK_PRINT_ERROR_INVALID (nothing given). Messages
 *   never repeat an NHS number.
 */
gint64
wk_print_find_patient (WkModel *model, const char *ward_id, const char *text, GError **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *digits = NULL;
  g_autoptr (WkPatient) patient = NULL;
  g_autoptr (WkBed) bed = NULL;
  const char *dash;
  GString    *compact;

  g_return_val_if_fail (model != NULL && ward_id != NULL, 0);

  trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  if (*trimmed == '\0')
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Say which patient: a bed (BAY1-3), a patient number (#12) or an NHS number");
      return 0;
    }

  /* An NHS number: ten digits, however they are spaced. */
  compact = g_string_new (NULL);
  for (const char *p = trimmed; *p != '\0'; p++)
    if (*p != ' ' && *p != '-')
      g_string_append_c (compact, *p);
  digits = g_string_free (compact, FALSE);
  if (strlen (digits) == 10 && all_digits (digits))
    {
      g_autoptr (GError) local_error = NULL;

      patient = wk_patient_load_by_nhs_number (model, digits, &local_error);
      if (patient == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                       "No patient with that NHS number is in the ward's data");
          return 0;
        }
      return patient->id;
    }

  /* A model id. */
  if (all_digits (trimmed + (trimmed[0] == '#')))
    {
      gint64 id = g_ascii_strtoll (trimmed + (trimmed[0] == '#'), NULL, 10);

      patient = wk_patient_load (model, id, NULL);
      if (patient == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                       "There is no patient #%" G_GINT64_FORMAT " in the ward's data", id);
          return 0;
        }
      return patient->id;
    }

  /* A bed: BAY-BED, split at the last hyphen. */
  dash = strrchr (trimmed, '-');
  {
    g_autofree char *bay = dash != NULL ? g_strndup (trimmed, dash - trimmed) : g_strdup ("");
    const char      *name = dash != NULL ? dash + 1 : trimmed;

    bed = *name != '\0' ? wk_bed_load_by_location (model, ward_id, bay, name, NULL) : NULL;
    if (bed == NULL)
      {
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "Ward %s has no bed \"%s\" (write a bed as BAY-BED, such as BAY1-3)", ward_id,
                     trimmed);
        return 0;
      }
    if (bed->patient_id == 0)
      {
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "Bed %s on ward %s is empty%s", trimmed, ward_id,
                     bed->closed ? " (it is closed)" : "");
        return 0;
      }
    return bed->patient_id;
  }
}
