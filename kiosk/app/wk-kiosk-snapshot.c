/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-snapshot.c — the snapshot the kiosk shows: census, patient records, rendering.
 *
 * Loading decrypts the newest snapshot that verifies (wk_store_load_newest) in a worker
 * thread and reads out, in the same thread, everything the screens show. The census
 * follows the printed census (print/wk-chart-renderer.c): every bed in ward order, then
 * patients admitted to the ward without a bed. Patient records list orders where the
 * chart lists them (wk_chart_section_of), so the screen and the paper agree. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-snapshot.h"

#include "wk-nhs-number.h"
#include "wk-ward.h"

#include <glib/gi18n.h>

struct _WkKioskSnapshot
{
  gatomicrefcount ref_count;
  GMutex          model_lock; /* the model is used by one thread at a time */
  WkModel        *model;
  WkChartOptions  options; /* strings below are owned here */
  char           *ward_id;
  char           *timezone;
  guint64         seq;
  gint64          created_at;
  char           *ward_name;
  GPtrArray      *census;   /* WkCensusEntry */
  GHashTable     *patients; /* patient id -> WkPatientRecord */
};

static void
census_entry_free (gpointer data)
{
  WkCensusEntry *entry = data;

  g_free (entry->bay);
  g_free (entry->bed);
  g_free (entry->family_name);
  g_free (entry->given_names);
  g_free (entry->nhs_number);
  g_free (entry->hospital_number);
  g_free (entry);
}

static void
chart_entry_free (gpointer data)
{
  WkChartEntry *entry = data;

  wk_order_free (entry->order);
  wk_administration_free (entry->last_given);
  g_free (entry);
}

static void
patient_record_free (gpointer data)
{
  WkPatientRecord *record = data;

  wk_patient_free (record->patient);
  wk_bed_free (record->bed);
  g_clear_pointer (&record->allergies, g_ptr_array_unref);
  g_clear_pointer (&record->entries, g_ptr_array_unref);
  g_free (record);
}

static WkCensusEntry *
census_entry_new (const WkBed *bed, const WkPatient *patient, GDateTime *at)
{
  WkCensusEntry *entry = g_new0 (WkCensusEntry, 1);

  entry->age = -1;
  if (bed != NULL)
    {
      entry->bed_id = bed->id;
      entry->bay = g_strdup (bed->bay);
      entry->bed = g_strdup (bed->bed);
      entry->closed = bed->closed;
    }
  if (patient != NULL)
    {
      entry->patient_id = patient->id;
      entry->family_name = g_strdup (patient->family_name);
      entry->given_names = g_strdup (patient->given_names);
      entry->nhs_number = g_strdup (patient->nhs_number);
      entry->hospital_number = g_strdup (patient->hospital_number);
      entry->age = wk_patient_get_age (patient, at);
      entry->allergy_status = patient->allergy_status;
    }
  return entry;
}

/* Reads one patient's record: allergies, and the orders the chart lists. */
static WkPatientRecord *
load_record (WkKioskSnapshot *self, WkPatient *patient, GError **error)
{
  g_autoptr (GPtrArray) orders = NULL;
  GPtrArray       *by_section[WK_CHART_N_SECTIONS] = { NULL };
  WkPatientRecord *record;

  orders = wk_order_load_for_patient (self->model, patient->id, error);
  if (orders == NULL)
    return NULL;
  for (int i = 0; i < WK_CHART_N_SECTIONS; i++)
    by_section[i] = g_ptr_array_new ();

  record = g_new0 (WkPatientRecord, 1);
  record->patient = wk_patient_copy (patient);
  record->entries = g_ptr_array_new_with_free_func (chart_entry_free);
  record->allergies = wk_allergy_load_for_patient (self->model, patient->id, error);
  if (record->allergies == NULL)
    goto fail;
  if (patient->bed_id != 0)
    {
      record->bed = wk_bed_load (self->model, patient->bed_id, error);
      if (record->bed == NULL)
        goto fail;
    }
  for (guint i = 0; i < orders->len; i++)
    {
      WkOrder *order = orders->pdata[i];
      g_autoptr (GError) local_error = NULL;
      g_autoptr (WkAdministration) last
          = wk_administration_load_last_given (self->model, order->placer_id, &local_error);
      WkChartSection section;
      WkChartEntry  *entry;

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      section = wk_chart_section_of (order, last, self->created_at, self->options.stopped_window);
      if (section == WK_CHART_SECTION_NONE)
        continue;
      entry = g_new0 (WkChartEntry, 1);
      entry->order = g_steal_pointer (&orders->pdata[i]);
      entry->last_given = g_steal_pointer (&last);
      entry->section = section;
      g_ptr_array_add (by_section[section], entry);
    }
  for (int s = 0; s < WK_CHART_N_SECTIONS; s++)
    {
      for (guint i = 0; i < by_section[s]->len; i++)
        g_ptr_array_add (record->entries, by_section[s]->pdata[i]);
      g_ptr_array_unref (by_section[s]);
    }
  return record;

fail:
  /* Entries sorted so far are owned by their section arrays. */
  for (int s = 0; s < WK_CHART_N_SECTIONS; s++)
    {
      g_ptr_array_set_free_func (by_section[s], chart_entry_free);
      g_ptr_array_unref (by_section[s]);
    }
  patient_record_free (record);
  return NULL;
}

static gboolean
read_out (WkKioskSnapshot *self, GError **error)
{
  g_autoptr (GPtrArray) beds = NULL;
  g_autoptr (GPtrArray) patients = NULL;
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (self->timezone);
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (self->created_at);
  g_autoptr (GDateTime) at = NULL;
  g_autoptr (WkWard) ward = NULL;

  if (tz == NULL)
    tz = g_time_zone_new_utc ();
  if (utc == NULL)
    utc = g_date_time_new_from_unix_utc (0);
  at = g_date_time_to_timezone (utc, tz);

  ward = wk_ward_load (self->model, self->ward_id, NULL);
  self->ward_name = ward != NULL && ward->name != NULL && g_strcmp0 (ward->name, ward->id) != 0
                        ? g_strdup (ward->name)
                        : g_strdup_printf (_ ("Ward %s"), self->ward_id);

  beds = wk_bed_load_ward (self->model, self->ward_id, error);
  if (beds == NULL)
    return FALSE;
  patients = wk_patient_load_all (self->model, error);
  if (patients == NULL)
    return FALSE;

  for (guint i = 0; i < beds->len; i++)
    {
      WkBed     *bed = beds->pdata[i];
      WkPatient *occupant = NULL;

      for (guint p = 0; bed->patient_id != 0 && p < patients->len; p++)
        if (((WkPatient *)patients->pdata[p])->id == bed->patient_id)
          occupant = patients->pdata[p];
      g_ptr_array_add (self->census, census_entry_new (bed, occupant, at));
    }
  /* Patients admitted to the ward with no bed need their charts as much as anyone. */
  for (guint p = 0; p < patients->len; p++)
    {
      WkPatient *patient = patients->pdata[p];

      if (patient->bed_id == 0 && patient->stay == WK_STAY_ADMITTED
          && g_strcmp0 (patient->ward_id, self->ward_id) == 0)
        g_ptr_array_add (self->census, census_entry_new (NULL, patient, at));
    }

  for (guint i = 0; i < self->census->len; i++)
    {
      WkCensusEntry   *entry = self->census->pdata[i];
      WkPatientRecord *record;
      WkPatient       *patient = NULL;
      int              active;

      if (entry->patient_id == 0)
        continue;
      for (guint p = 0; p < patients->len && patient == NULL; p++)
        if (((WkPatient *)patients->pdata[p])->id == entry->patient_id)
          patient = patients->pdata[p];
      g_assert (patient != NULL);
      record = load_record (self, patient, error);
      if (record == NULL)
        return FALSE;
      entry->n_allergies = record->allergies->len;
      active = wk_order_count_active (self->model, entry->patient_id, error);
      if (active < 0)
        return FALSE;
      entry->n_active_orders = active;
      g_hash_table_insert (self->patients, &record->patient->id, record);
    }
  return TRUE;
}

/**
 * wk_kiosk_snapshot_load:
 * @store: the snapshot folder
 * @options: the ward, its time zone and the chart settings; the snapshot's sequence and
 *   time are filled in from the snapshot
 * @error: return location for an error
 *
 * Loads the newest snapshot that verifies and reads out the census and every patient's
 * record. Blocks: call it from a worker thread (wk_kiosk_snapshot_load_async()).
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL when none verifies
 */
WkKioskSnapshot *
wk_kiosk_snapshot_load (WkStore *store, const WkChartOptions *options, GError **error)
{
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkKioskSnapshot) self = NULL;
  WkModel *model;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (options != NULL && options->ward_id != NULL, NULL);

  model = wk_store_load_newest (store, &info, error);
  if (model == NULL)
    return NULL;

  self = g_new0 (WkKioskSnapshot, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->model_lock);
  self->model = model;
  self->options = *options;
  self->ward_id = g_strdup (options->ward_id);
  self->timezone = g_strdup (options->timezone != NULL ? options->timezone : "Europe/London");
  self->options.ward_id = self->ward_id;
  self->options.timezone = self->timezone;
  self->seq = info->seq;
  self->created_at = info->created_at;
  self->options.snapshot_seq = info->seq;
  self->options.snapshot_at = info->created_at;
  self->census = g_ptr_array_new_with_free_func (census_entry_free);
  self->patients = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, patient_record_free);
  if (!read_out (self, error))
    return NULL;
  g_debug ("Loaded snapshot %" G_GUINT64_FORMAT ": %u census lines, %u patients", self->seq,
           self->census->len, g_hash_table_size (self->patients));
  return g_steal_pointer (&self);
}

typedef struct
{
  WkStore       *store;
  WkChartOptions options;
  char          *ward_id;
  char          *timezone;
} LoadData;

static void
load_data_free (LoadData *data)
{
  wk_store_unref (data->store);
  g_free (data->ward_id);
  g_free (data->timezone);
  g_free (data);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData        *data = task_data;
  GError          *error = NULL;
  WkKioskSnapshot *snapshot = wk_kiosk_snapshot_load (data->store, &data->options, &error);

  if (snapshot == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, snapshot, (GDestroyNotify)wk_kiosk_snapshot_unref);
}

/**
 * wk_kiosk_snapshot_load_async:
 * @store: the snapshot folder
 * @options: as for wk_kiosk_snapshot_load(); copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the calling thread's main context when done
 * @user_data: data for @callback
 *
 * Loads the newest snapshot in a worker thread.
 */
void
wk_kiosk_snapshot_load_async (WkStore              *store,
                              const WkChartOptions *options,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadData *data = g_new0 (LoadData, 1);

  data->store = wk_store_ref (store);
  data->options = *options;
  data->ward_id = g_strdup (options->ward_id);
  data->timezone = g_strdup (options->timezone);
  data->options.ward_id = data->ward_id;
  data->options.timezone = data->timezone;
  g_task_set_source_tag (task, wk_kiosk_snapshot_load_async);
  g_task_set_task_data (task, data, (GDestroyNotify)load_data_free);
  g_task_run_in_thread (task, load_thread);
}

/**
 * wk_kiosk_snapshot_load_finish:
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the snapshot, or %NULL when none verifies
 */
WkKioskSnapshot *
wk_kiosk_snapshot_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * wk_kiosk_snapshot_ref:
 * @self: a snapshot
 *
 * Returns: (transfer full): @self
 */
WkKioskSnapshot *
wk_kiosk_snapshot_ref (WkKioskSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * wk_kiosk_snapshot_unref:
 * @self: (transfer full): a snapshot
 *
 * Drops a reference; the last one frees the model and everything read from it.
 */
void
wk_kiosk_snapshot_unref (WkKioskSnapshot *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->model, wk_model_free);
  g_mutex_clear (&self->model_lock);
  g_clear_pointer (&self->census, g_ptr_array_unref);
  g_clear_pointer (&self->patients, g_hash_table_unref);
  g_free (self->ward_id);
  g_free (self->timezone);
  g_free (self->ward_name);
  g_free (self);
}

/**
 * wk_kiosk_snapshot_get_seq:
 * @self: a snapshot
 *
 * Returns: its sequence number
 */
guint64
wk_kiosk_snapshot_get_seq (WkKioskSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->seq;
}

/**
 * wk_kiosk_snapshot_get_created_at:
 * @self: a snapshot
 *
 * Returns: when its data was current (UTC seconds): "data as of"
 */
gint64
wk_kiosk_snapshot_get_created_at (WkKioskSnapshot *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->created_at;
}

/**
 * wk_kiosk_snapshot_get_ward_name:
 * @self: a snapshot
 *
 * Returns: (transfer none): the ward as staff call it ("Ward 7A", or its name)
 */
const char *
wk_kiosk_snapshot_get_ward_name (WkKioskSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->ward_name;
}

/**
 * wk_kiosk_snapshot_get_census:
 * @self: a snapshot
 *
 * Returns: (transfer none) (element-type WkCensusEntry): the census in ward order
 */
GPtrArray *
wk_kiosk_snapshot_get_census (WkKioskSnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->census;
}

/**
 * wk_kiosk_snapshot_find_entry:
 * @self: a snapshot
 * @patient_id: a patient's model id
 *
 * Returns: (transfer none) (nullable): the patient's census line, %NULL when they are not
 *   on the ward in this snapshot
 */
const WkCensusEntry *
wk_kiosk_snapshot_find_entry (WkKioskSnapshot *self, gint64 patient_id)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; patient_id != 0 && i < self->census->len; i++)
    if (((WkCensusEntry *)self->census->pdata[i])->patient_id == patient_id)
      return self->census->pdata[i];
  return NULL;
}

/**
 * wk_kiosk_snapshot_get_patient:
 * @self: a snapshot
 * @patient_id: a patient on the census
 *
 * Returns: (transfer none) (nullable): the patient's record, %NULL when they are not on
 *   the census of this snapshot
 */
const WkPatientRecord *
wk_kiosk_snapshot_get_patient (WkKioskSnapshot *self, gint64 patient_id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_hash_table_lookup (self->patients, &patient_id);
}

typedef struct
{
  WkKeys      *keys;
  WkRenderKind kind;
  gint64       patient_id;
  gboolean     drill;
} RenderData;

static void
render_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WkKioskSnapshot *self = g_object_get_data (G_OBJECT (task), "wk-snapshot");
  RenderData      *data = task_data;
  WkChartOptions   options = self->options;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (GPtrArray) documents = NULL;
  GError *error = NULL;

  options.printed_at = g_get_real_time () / G_USEC_PER_SEC;
  options.drill = data->drill;
  renderer = wk_chart_renderer_new (&options, data->keys, &error);
  if (renderer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_mutex_lock (&self->model_lock);
  switch (data->kind)
    {
    case WK_RENDER_CHART:
    case WK_RENDER_CENSUS:
      {
        WkChartDocument *document
            = data->kind == WK_RENDER_CHART
                  ? wk_chart_renderer_render_chart (renderer, self->model, data->patient_id, &error)
                  : wk_chart_renderer_render_census (renderer, self->model, &error);

        if (document != NULL)
          {
            documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_chart_document_free);
            g_ptr_array_add (documents, document);
          }
        break;
      }
    case WK_RENDER_WARD:
      documents = wk_chart_renderer_render_ward (renderer, self->model, &error);
      break;
    }
  g_mutex_unlock (&self->model_lock);

  if (documents == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&documents), (GDestroyNotify)g_ptr_array_unref);
}

/**
 * wk_kiosk_snapshot_render_async:
 * @self: a snapshot
 * @keys: the kiosk's keys (they sign the QR codes); must outlive the call
 * @kind: a chart, the census, or the whole ward
 * @patient_id: for %WK_RENDER_CHART, the patient
 * @drill: mark every page DRILL — NOT FOR CLINICAL USE
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the calling thread's main context when done
 * @user_data: data for @callback
 *
 * Renders, in a worker thread, exactly what printing from this snapshot would send to
 * the printer, with the printing time taken when rendering starts.
 */
void
wk_kiosk_snapshot_render_async (WkKioskSnapshot    *self,
                                WkKeys             *keys,
                                WkRenderKind        kind,
                                gint64              patient_id,
                                gboolean            drill,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  RenderData *data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (keys != NULL);

  /* The task's source object must be a GObject; the snapshot is kept alive by the data. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  data = g_new0 (RenderData, 1);
  data->keys = keys;
  data->kind = kind;
  data->patient_id = patient_id;
  data->drill = drill;
  g_task_set_source_tag (task, wk_kiosk_snapshot_render_async);
  g_task_set_task_data (task, data, g_free);
  g_object_set_data_full (G_OBJECT (task), "wk-snapshot", wk_kiosk_snapshot_ref (self),
                          (GDestroyNotify)wk_kiosk_snapshot_unref);
  g_task_run_in_thread (task, render_thread);
}

/**
 * wk_kiosk_snapshot_render_finish:
 * @self: the snapshot rendered from
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type WkChartDocument) (nullable): the documents, in
 *   printing order
 */
GPtrArray *
wk_kiosk_snapshot_render_finish (WkKioskSnapshot *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * wk_census_entry_dup_name:
 * @entry: a census line with a patient
 *
 * Returns: (transfer full): "SMITH, Jane": the family name in capitals, as on the chart
 */
char *
wk_census_entry_dup_name (const WkCensusEntry *entry)
{
  g_autofree char *family = NULL;

  g_return_val_if_fail (entry != NULL, NULL);

  family = g_utf8_strup (entry->family_name != NULL ? entry->family_name : "", -1);
  if (entry->given_names == NULL || *entry->given_names == '\0')
    return g_steal_pointer (&family);
  return g_strdup_printf ("%s, %s", family, entry->given_names);
}
