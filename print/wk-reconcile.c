/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile.c — reconciling paper charts after a downtime: scan, status, entry, report.
 *
 * The paper is the record of what happened on the ward while the EPR was down; this
 * module turns it back into data. A scanned page is believed only when its code verifies
 * against a trusted kiosk key, and then its code alone says what the page printed. What a
 * pharmacist keys in is checked against that (a box must exist, a time must fall where
 * the chart was in use) and flagged where a person should look again (a dose not as
 * prescribed, an as-required maximum exceeded); the report then compares the paper with
 * what the central systems say now. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-reconcile.h"

#include "wk-administration.h"
#include "wk-bed.h"
#include "wk-chart-grid.h"
#include "wk-chart-id.h"
#include "wk-chart-payload.h"
#include "wk-nhs-number.h"
#include "wk-order.h"
#include "wk-paper-chart.h"
#include "wk-patient.h"
#include "wk-print-error.h"
#include "wk-reconcile-log.h"
#include "wk-reconcile-private.h"
#include "wk-snapshot-error.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

/* A dose given this long before or after its due time is flagged. */
#define FAR_FROM_DUE (2 * 3600)
/* A given time is looked for this far around the due time it belongs to. */
#define AT_SEARCH (12 * 3600)
/* How early a dose may be given before the grid's first box. */
#define EARLY_GIVE (2 * 3600)

struct _WkReconcile
{
  WkModel             *model;
  WkReconcileSettings *settings;
  GTimeZone           *tz;
};

/**
 * wk_reconcile_new:
 * @model: the ward model (borrowed; it must outlive the reconciliation)
 * @settings: (transfer full): the `[reconcile]` settings
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reconciliation, or %NULL when the ward's time zone is
 *   unknown
 */
WkReconcile *
wk_reconcile_new (WkModel *model, WkReconcileSettings *settings, GError **error)
{
  g_autoptr (WkReconcileSettings) owned = settings;
  WkReconcile *reconcile;
  GTimeZone   *tz;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (settings != NULL, NULL);

  tz = g_time_zone_new_identifier (settings->timezone != NULL ? settings->timezone
                                                              : "Europe/London");
  if (tz == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Cannot reconcile: \"%s\" is not a time zone of the tz database",
                   settings->timezone);
      return NULL;
    }
  reconcile = g_new0 (WkReconcile, 1);
  reconcile->model = model;
  reconcile->settings = g_steal_pointer (&owned);
  reconcile->tz = tz;
  return reconcile;
}

/**
 * wk_reconcile_free:
 * @reconcile: (nullable) (transfer full): a #WkReconcile
 */
void
wk_reconcile_free (WkReconcile *reconcile)
{
  if (reconcile == NULL)
    return;
  wk_reconcile_settings_free (reconcile->settings);
  g_time_zone_unref (reconcile->tz);
  g_free (reconcile);
}

/**
 * wk_reconcile_get_model:
 * @reconcile: a #WkReconcile
 *
 * Returns: (transfer none): its model
 */
WkModel *
wk_reconcile_get_model (WkReconcile *reconcile)
{
  return reconcile->model;
}

/**
 * wk_reconcile_get_settings:
 * @reconcile: a #WkReconcile
 *
 * Returns: (transfer none): its settings
 */
const WkReconcileSettings *
wk_reconcile_get_settings (WkReconcile *reconcile)
{
  return reconcile->settings;
}

/**
 * wk_reconcile_scan_free:
 * @scan: (nullable) (transfer full): a #WkReconcileScan
 */
void
wk_reconcile_scan_free (WkReconcileScan *scan)
{
  if (scan == NULL)
    return;
  g_free (scan->chart_id);
  g_free (scan->episode_id);
  g_clear_pointer (&scan->missing, g_array_unref);
  g_free (scan);
}

/* ---------------------------------------------------------------------------------- */
/* Words and times                                                                    */

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

static GDateTime *
to_local (WkReconcile *r, gint64 utc)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);

  return g_date_time_to_timezone (when, r->tz);
}

/* "Sat 14 Mar 08:05" in the ward's time zone. */
static char *
format_local (WkReconcile *r, gint64 utc)
{
  g_autoptr (GDateTime) when = to_local (r, utc);

  return g_date_time_format (when, "%a %d %b %H:%M");
}

static char *
format_clock (WkReconcile *r, gint64 utc)
{
  g_autoptr (GDateTime) when = to_local (r, utc);

  return g_date_time_format (when, "%H:%M");
}

static char *
format_iso (gint64 utc)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);

  return g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
}

static void
add_time (JsonBuilder *builder, const char *name, gint64 utc)
{
  json_builder_set_member_name (builder, name);
  if (utc == 0)
    json_builder_add_null_value (builder);
  else
    {
      g_autofree char *iso = format_iso (utc);

      json_builder_add_string_value (builder, iso);
    }
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder *builder, const char *name, double value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_boolean (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_pages (JsonBuilder *builder, const char *name, GArray *pages)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; pages != NULL && i < pages->len; i++)
    json_builder_add_int_value (builder, g_array_index (pages, guint, i));
  json_builder_end_array (builder);
}

static JsonObject *
builder_steal_object (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_object_ref (json_node_get_object (root));
}

/* "1000 mg", "2.5 to 5 mg". */
static char *
format_dose (double dose, double dose_max, const char *unit)
{
  char low[G_ASCII_DTOSTR_BUF_SIZE], high[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (low, sizeof low, "%.6g", dose);
  if (dose_max > dose)
    {
      g_ascii_formatd (high, sizeof high, "%.6g", dose_max);
      return g_strdup_printf ("%s to %s %s", low, high, unit != NULL ? unit : "");
    }
  return g_strdup_printf ("%s %s", low, unit != NULL ? unit : "");
}

/* The patient a chart is for, as the model knows them now. */
static void
add_patient (WkReconcile *r,
             JsonBuilder *builder,
             gint64       patient_id,
             const char  *nhs_number,
             const char  *hospital_number)
{
  g_autoptr (WkPatient) patient
      = patient_id > 0 ? wk_patient_load (r->model, patient_id, NULL) : NULL;
  g_autoptr (WkBed) bed = patient != NULL && patient->bed_id > 0
                              ? wk_bed_load (r->model, patient->bed_id, NULL)
                              : NULL;
  g_autofree char *nhs = NULL;

  /* The identifiers the paper printed; the model's for a chart none of whose pages is back. */
  if (nhs_number == NULL && hospital_number == NULL && patient != NULL)
    {
      nhs_number = patient->nhs_number;
      hospital_number = patient->hospital_number;
    }
  nhs = nhs_number != NULL ? wk_nhs_number_format (nhs_number) : NULL;
  json_builder_set_member_name (builder, "patient");
  json_builder_begin_object (builder);
  add_int (builder, "id", patient != NULL ? patient->id : 0);
  if (patient != NULL)
    {
      g_autofree char *upper = g_utf8_strup (patient->family_name, -1);
      g_autofree char *shown = *patient->given_names != '\0'
                                   ? g_strdup_printf ("%s, %s", upper, patient->given_names)
                                   : g_strdup (upper);

      add_string (builder, "name", shown);
      add_string (builder, "birth_date", patient->birth_date);
    }
  else
    {
      add_string (builder, "name", NULL);
      add_string (builder, "birth_date", NULL);
    }
  add_string (builder, "nhs_number", nhs);
  add_string (builder, "hospital_number", hospital_number);
  if (bed != NULL)
    {
      g_autofree char *where = *bed->bay != '\0' ? g_strdup_printf ("%s bed %s", bed->bay, bed->bed)
                                                 : g_strdup_printf ("bed %s", bed->bed);

      add_string (builder, "bed", where);
    }
  else
    add_string (builder, "bed", NULL);
  json_builder_end_object (builder);
}

/* ---------------------------------------------------------------------------------- */
/* The ledger: what the daemon printed, per episode                                  */

static WkReconcileEpisode *
find_episode (GPtrArray *episodes, const char *id)
{
  for (guint i = 0; id != NULL && i < episodes->len; i++)
    if (g_strcmp0 (((WkReconcileEpisode *)episodes->pdata[i])->id, id) == 0)
      return episodes->pdata[i];
  return NULL;
}

/* The episode a chart printed at @printed_at outside the daemon belongs to: the last one
 * that had started by then and had not ended. */
static WkReconcileEpisode *
episode_at (GPtrArray *episodes, gint64 printed_at)
{
  WkReconcileEpisode *found = NULL;

  for (guint i = 0; i < episodes->len; i++)
    {
      WkReconcileEpisode *episode = episodes->pdata[i];

      if (!episode->drill && episode->started_at <= printed_at
          && (episode->ended_at == 0 || printed_at <= episode->ended_at))
        found = episode;
    }
  return found;
}

/* ---------------------------------------------------------------------------------- */
/* Scanning                                                                           */

static WkPaperOrder *
paper_order_from_payload (const WkChartPayloadOrder *entry, guint page)
{
  WkPaperOrder *order = wk_paper_order_new ();

  order->page = page;
  order->placer_id = g_strdup (entry->placer_id);
  order->version = entry->version;
  order->kind = entry->kind;
  order->status = entry->status;
  order->dmd_code = g_strdup (entry->dmd_code);
  order->drug = g_strdup (entry->drug);
  order->drug_cut = entry->drug_cut;
  order->dose = entry->dose;
  order->dose_max = entry->dose_max;
  order->dose_unit = g_strdup (entry->dose_unit);
  order->route = g_strdup (entry->route);
  order->admin_times = g_strdup (entry->admin_times);
  order->min_interval_min = entry->min_interval_min;
  order->prn_max_24h = entry->prn_max_24h;
  order->start_at = entry->start_at;
  order->stop_at = entry->stop_at;
  order->status_at = entry->status_at;
  order->last_given_at = entry->last_given_at;
  return order;
}

/* The pages of a chart not yet back. */
static GArray *
missing_pages (WkReconcile *r, const char *chart_id, guint n_pages, GArray **twice, GError **error)
{
  g_autoptr (GPtrArray) pages = wk_paper_chart_load_pages (r->model, chart_id, error);
  g_autoptr (GArray) missing = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree gboolean *back = g_new0 (gboolean, n_pages + 1);

  if (pages == NULL)
    return NULL;
  if (twice != NULL)
    *twice = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < pages->len; i++)
    {
      WkPaperPage *page = pages->pdata[i];

      if (page->page <= n_pages)
        back[page->page] = TRUE;
      if (twice != NULL && page->scans > 1)
        g_array_append_val (*twice, page->page);
    }
  for (guint p = 1; p <= n_pages; p++)
    if (!back[p])
      g_array_append_val (missing, p);
  return g_steal_pointer (&missing);
}

/**
 * wk_reconcile_scan:
 * @reconcile: a #WkReconcile
 * @text: the text of a page's QR code, as a scanner or zbar reads it
 * @length: its length, or -1 when nul-terminated
 * @who: who is scanning
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Verifies a page's code against the trusted kiosk keys and marks the page returned.
 * Refused, with the reason and nothing recorded: a code that is not a wardkeep chart
 * code, cut short, of an unknown format version, signed by a key not trusted, changed
 * after signing (the %WK_PRINT_ERROR codes of wk_chart_payload_decode()), printed in a
 * drill (%WK_PRINT_ERROR_DRILL), for a ward this model does not keep
 * (%WK_PRINT_ERROR_INVALID), or claiming to be a page already scanned with other content
 * (%WK_SNAPSHOT_ERROR_CONSTRAINT). A verified chart the ledger does not know (a kiosk
 * printed it while the daemon was down) is accepted as printed outside the daemon.
 *
 * Returns: (transfer full): what was recorded, or %NULL with @error set
 */
WkReconcileScan *
wk_reconcile_scan (WkReconcile *reconcile,
                   const char  *text,
                   gssize       length,
                   const char  *who,
                   gint64       now,
                   GError     **error)
{
  WkReconcile *r = reconcile;
  g_autoptr (WkChartPayload) payload = NULL;
  g_autoptr (WkPaperChart) chart = wk_paper_chart_new ();
  g_autoptr (WkPatient) patient = NULL;
  g_autoptr (GPtrArray) orders
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_order_free);
  g_autoptr (GPtrArray) episodes = NULL;
  g_autoptr (WkReconcileScan) scan = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char    *formatted = NULL;
  WkReconcilePrinted *printed;
  guint               scans = 0;

  g_return_val_if_fail (reconcile != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  payload = wk_chart_payload_decode (text, length, r->settings->trusted_keys,
                                     r->settings->n_trusted, error);
  if (payload == NULL)
    return NULL;
  formatted = wk_chart_id_format (payload->chart_id);
  if (payload->drill)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_DRILL,
                   "Chart %s page %u was printed in a DRILL (\"DRILL — NOT FOR CLINICAL USE\"): "
                   "it is not a clinical record and is not reconciled",
                   formatted, payload->page);
      return NULL;
    }
  if (g_strcmp0 (payload->ward_id, r->settings->ward_id) != 0)
    {
      g_autoptr (GPtrArray) beds = wk_bed_load_ward (r->model, payload->ward_id, NULL);

      if (beds == NULL || beds->len == 0)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "Chart %s was printed for ward %s, which this kiosk does not keep; "
                       "reconcile it at ward %s's kiosk",
                       formatted, payload->ward_id, payload->ward_id);
          return NULL;
        }
    }
  if (is_blank (who))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Scanning needs to know who is doing it: give your name");
      return NULL;
    }

  /* The chart's header, as the code says; the patient and episode as the model knows. */
  chart->chart_id = g_strdup (payload->chart_id);
  chart->nhs_number = g_strdup (payload->nhs_number);
  chart->hospital_number = g_strdup (payload->hospital_number);
  chart->ward_id = g_strdup (payload->ward_id);
  chart->snapshot_seq = payload->snapshot_seq;
  chart->snapshot_at = payload->snapshot_at;
  chart->printed_at = payload->printed_at;
  chart->utc_offset_min = payload->utc_offset_min;
  chart->key_id = g_strdup (payload->key_id);
  chart->n_pages = payload->n_pages;
  patient = payload->nhs_number != NULL
                ? wk_patient_load_by_nhs_number (r->model, payload->nhs_number, NULL)
                : wk_patient_load_by_hospital_number (r->model, payload->hospital_number, NULL);
  chart->patient_id = patient != NULL ? patient->id : 0;

  printed = _wk_reconcile_ledger_find_chart (r->model, payload->chart_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (printed != NULL)
    {
      chart->episode_id = g_strdup (printed->episode_id);
      _wk_reconcile_printed_free (printed);
    }
  else
    {
      WkReconcileEpisode *episode;

      episodes = _wk_reconcile_ledger_episodes (r->model, error);
      if (episodes == NULL)
        return NULL;
      episode = episode_at (episodes, payload->printed_at);
      chart->episode_id = episode != NULL ? g_strdup (episode->id) : NULL;
      chart->outside_ledger = TRUE;
    }

  for (guint i = 0; i < payload->orders->len; i++)
    g_ptr_array_add (orders, paper_order_from_payload (payload->orders->pdata[i], payload->page));
  if (!wk_paper_chart_record_page (r->model, chart, payload->page, text, orders, now, who, &scans,
                                   error))
    return NULL;
  {
    g_autoptr (WkPaperChart) known = wk_paper_chart_load (r->model, chart->chart_id, NULL);

    /* The first page back decided the chart's episode and ledger status. */
    if (known != NULL)
      {
        g_free (chart->episode_id);
        chart->episode_id = g_strdup (known->episode_id);
        chart->outside_ledger = known->outside_ledger;
      }
  }

  scan = g_new0 (WkReconcileScan, 1);
  scan->chart_id = g_strdup (chart->chart_id);
  scan->page = payload->page;
  scan->n_pages = payload->n_pages;
  scan->scans = scans;
  scan->outside_ledger = chart->outside_ledger;
  scan->patient_id = chart->patient_id;
  scan->episode_id = g_strdup (chart->episode_id);
  scan->missing = missing_pages (r, chart->chart_id, chart->n_pages, NULL, error);
  if (scan->missing == NULL)
    return NULL;
  g_message ("Chart %s page %u of %u returned%s%s (patient #%" G_GINT64_FORMAT ")", formatted,
             scan->page, scan->n_pages, scans > 1 ? ", again" : "",
             scan->outside_ledger ? ", printed outside the daemon" : "", scan->patient_id);
  return g_steal_pointer (&scan);
}

/**
 * wk_reconcile_scan_to_json:
 * @reconcile: a #WkReconcile
 * @scan: what a scan did
 *
 * Returns: (transfer full): `{"chart", "label", "page", "pages", "scans",
 *   "returned_twice", "outside_ledger", "episode", "patient", "missing"}`
 */
JsonObject *
wk_reconcile_scan_to_json (WkReconcile *reconcile, const WkReconcileScan *scan)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (WkPaperChart) chart = wk_paper_chart_load (reconcile->model, scan->chart_id, NULL);
  g_autofree char *label = wk_chart_id_format (scan->chart_id);

  json_builder_begin_object (builder);
  add_string (builder, "chart", scan->chart_id);
  add_string (builder, "label", label);
  add_int (builder, "page", scan->page);
  add_int (builder, "pages", scan->n_pages);
  add_int (builder, "scans", scan->scans);
  add_boolean (builder, "returned_twice", scan->scans > 1);
  add_boolean (builder, "outside_ledger", scan->outside_ledger);
  add_string (builder, "episode", scan->episode_id);
  add_patient (reconcile, builder, scan->patient_id, chart != NULL ? chart->nhs_number : NULL,
               chart != NULL ? chart->hospital_number : NULL);
  add_pages (builder, "missing", scan->missing);
  json_builder_end_object (builder);
  return builder_steal_object (builder);
}

/* ---------------------------------------------------------------------------------- */
/* Status: per episode, what was printed and what came back                          */

/* One chart in a status: printed (ledger), returned (pages back), or both. */
typedef struct
{
  char         *chart_id;
  gint64        patient_id;
  guint         n_pages;
  gint64        printed_at;
  gboolean      in_ledger;
  WkPaperChart *paper; /* NULL when no page came back */
} StatusChart;

static void
status_chart_free (gpointer data)
{
  StatusChart *chart = data;

  g_free (chart->chart_id);
  wk_paper_chart_free (chart->paper);
  g_free (chart);
}

static gint
compare_status_charts (gconstpointer a, gconstpointer b)
{
  const StatusChart *x = *(StatusChart *const *)a, *y = *(StatusChart *const *)b;

  if (x->printed_at != y->printed_at)
    return x->printed_at < y->printed_at ? -1 : 1;
  return strcmp (x->chart_id, y->chart_id);
}

/* Every chart of an episode ("" for charts outside any), printed or returned. */
static GPtrArray *
episode_charts (WkReconcile *r, const char *episode_id, GPtrArray *returned, GError **error)
{
  g_autoptr (GPtrArray) charts = g_ptr_array_new_with_free_func (status_chart_free);
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);

  if (*episode_id != '\0')
    {
      g_autoptr (GPtrArray) printed = _wk_reconcile_ledger_charts (r->model, episode_id, error);

      if (printed == NULL)
        return NULL;
      for (guint i = 0; i < printed->len; i++)
        {
          WkReconcilePrinted *p = printed->pdata[i];
          StatusChart        *chart = g_new0 (StatusChart, 1);

          chart->chart_id = g_strdup (p->chart_id);
          chart->patient_id = p->patient_id;
          chart->n_pages = p->n_pages;
          chart->printed_at = p->printed_at;
          chart->in_ledger = TRUE;
          g_ptr_array_add (charts, chart);
          g_hash_table_insert (by_id, chart->chart_id, chart);
        }
    }
  for (guint i = 0; i < returned->len; i++)
    {
      WkPaperChart *paper = returned->pdata[i];
      StatusChart  *chart;

      if (g_strcmp0 (paper->episode_id != NULL ? paper->episode_id : "", episode_id) != 0)
        continue;
      chart = g_hash_table_lookup (by_id, paper->chart_id);
      if (chart == NULL)
        {
          chart = g_new0 (StatusChart, 1);
          chart->chart_id = g_strdup (paper->chart_id);
          chart->patient_id = paper->patient_id;
          chart->printed_at = paper->printed_at;
          g_ptr_array_add (charts, chart);
          g_hash_table_insert (by_id, chart->chart_id, chart);
        }
      /* The code's header is what was printed. */
      chart->n_pages = paper->n_pages;
      if (chart->patient_id == 0)
        chart->patient_id = paper->patient_id;
      chart->paper = wk_paper_chart_new ();
      chart->paper->chart_id = g_strdup (paper->chart_id);
      chart->paper->nhs_number = g_strdup (paper->nhs_number);
      chart->paper->hospital_number = g_strdup (paper->hospital_number);
      chart->paper->outside_ledger = paper->outside_ledger;
      chart->paper->n_pages = paper->n_pages;
      chart->paper->printed_at = paper->printed_at;
      chart->paper->snapshot_at = paper->snapshot_at;
    }
  g_ptr_array_sort (charts, compare_status_charts);
  return g_steal_pointer (&charts);
}

/* Counts for a status and a report. */
typedef struct
{
  guint charts, charts_returned, charts_partly, charts_not_returned, outside_ledger;
  guint pages, pages_returned, pages_missing, pages_twice, entries;
} StatusCounts;

static gboolean
add_status_chart (
    WkReconcile *r, JsonBuilder *builder, StatusChart *chart, StatusCounts *counts, GError **error)
{
  g_autoptr (GArray) missing = NULL;
  g_autoptr (GArray) twice = NULL;
  g_autoptr (GArray) returned = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char *label = wk_chart_id_format (chart->chart_id);
  const char      *state;

  missing = missing_pages (r, chart->chart_id, chart->n_pages, &twice, error);
  if (missing == NULL)
    return FALSE;
  entries = wk_paper_entry_load_for_chart (r->model, chart->chart_id, FALSE, error);
  if (entries == NULL)
    return FALSE;
  for (guint p = 1, m = 0; p <= chart->n_pages; p++)
    {
      if (m < missing->len && g_array_index (missing, guint, m) == p)
        m++;
      else
        g_array_append_val (returned, p);
    }
  if (missing->len == 0)
    state = "returned";
  else if (returned->len == 0)
    state = "not-returned";
  else
    state = "missing-pages";

  counts->charts++;
  counts->charts_returned += missing->len == 0;
  counts->charts_partly += missing->len > 0 && returned->len > 0;
  counts->charts_not_returned += returned->len == 0;
  counts->outside_ledger += !chart->in_ledger;
  counts->pages += chart->n_pages;
  counts->pages_returned += returned->len;
  counts->pages_missing += missing->len;
  counts->pages_twice += twice->len;
  counts->entries += entries->len;

  json_builder_begin_object (builder);
  add_string (builder, "chart", chart->chart_id);
  add_string (builder, "label", label);
  add_patient (r, builder, chart->patient_id,
               chart->paper != NULL ? chart->paper->nhs_number : NULL,
               chart->paper != NULL ? chart->paper->hospital_number : NULL);
  add_time (builder, "printed_at", chart->printed_at);
  add_int (builder, "pages", chart->n_pages);
  add_pages (builder, "returned", returned);
  add_pages (builder, "missing", missing);
  add_pages (builder, "returned_twice", twice);
  add_boolean (builder, "outside_ledger", !chart->in_ledger);
  add_int (builder, "entries", entries->len);
  add_string (builder, "state", state);
  json_builder_end_object (builder);
  return TRUE;
}

static void
add_counts (JsonBuilder *builder, const StatusCounts *counts)
{
  add_int (builder, "charts_printed", counts->charts);
  add_int (builder, "charts_returned", counts->charts_returned);
  add_int (builder, "charts_missing_pages", counts->charts_partly);
  add_int (builder, "charts_not_returned", counts->charts_not_returned);
  add_int (builder, "charts_outside_ledger", counts->outside_ledger);
  add_int (builder, "pages_printed", counts->pages);
  add_int (builder, "pages_returned", counts->pages_returned);
  add_int (builder, "pages_missing", counts->pages_missing);
  add_int (builder, "pages_returned_twice", counts->pages_twice);
  add_int (builder, "entries", counts->entries);
}

static void
add_episode (JsonBuilder *builder, const WkReconcileEpisode *episode)
{
  add_string (builder, "id", episode != NULL ? episode->id : "");
  add_string (builder, "kind", episode != NULL ? episode->kind : "none");
  add_time (builder, "started_at", episode != NULL ? episode->started_at : 0);
  add_time (builder, "ended_at", episode != NULL ? episode->ended_at : 0);
}

/* One episode's status object; "" is the charts outside any episode. */
static gboolean
add_episode_status (WkReconcile              *r,
                    JsonBuilder              *builder,
                    const WkReconcileEpisode *episode,
                    GPtrArray                *returned,
                    StatusCounts             *counts,
                    GError                  **error)
{
  g_autoptr (GPtrArray) charts
      = episode_charts (r, episode != NULL ? episode->id : "", returned, error);

  if (charts == NULL)
    return FALSE;
  if (episode == NULL && charts->len == 0)
    return TRUE;
  json_builder_begin_object (builder);
  add_episode (builder, episode);
  json_builder_set_member_name (builder, "charts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < charts->len; i++)
    if (!add_status_chart (r, builder, charts->pdata[i], counts, error))
      return FALSE;
  json_builder_end_array (builder);
  add_counts (builder, counts);
  json_builder_end_object (builder);
  return TRUE;
}

/**
 * wk_reconcile_dup_status:
 * @reconcile: a #WkReconcile
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Per downtime episode (newest first, drills left out), then the returned charts outside
 * any episode: every chart printed and returned, its pages back, missing and returned
 * twice, and counts. README "After the outage" describes the object.
 *
 * Returns: (transfer full): `{"episodes": [...]}`, or %NULL with @error set
 */
JsonObject *
wk_reconcile_dup_status (WkReconcile *reconcile, gint64 now, GError **error)
{
  WkReconcile *r = reconcile;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) episodes = NULL;
  g_autoptr (GPtrArray) returned = NULL;

  g_return_val_if_fail (reconcile != NULL, NULL);

  episodes = _wk_reconcile_ledger_episodes (r->model, error);
  if (episodes == NULL)
    return NULL;
  returned = wk_paper_chart_load_all (r->model, error);
  if (returned == NULL)
    return NULL;
  json_builder_begin_object (builder);
  add_time (builder, "generated_at", now);
  json_builder_set_member_name (builder, "episodes");
  json_builder_begin_array (builder);
  for (guint i = episodes->len; i > 0; i--)
    {
      WkReconcileEpisode *episode = episodes->pdata[i - 1];
      StatusCounts        counts = { 0 };

      if (episode->drill)
        continue;
      if (!add_episode_status (r, builder, episode, returned, &counts, error))
        return NULL;
    }
  {
    StatusCounts counts = { 0 };

    if (!add_episode_status (r, builder, NULL, returned, &counts, error))
      return NULL;
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return builder_steal_object (builder);
}

/* ---------------------------------------------------------------------------------- */
/* A returned chart as printed                                                        */

/* A returned chart with what its pages printed: each order once (the first page it is
 * on), and its grid. */
typedef struct
{
  WkPaperChart       *chart;
  GPtrArray          *orders; /* WkPaperOrder, each placer id once */
  WkChartGrid        *grid;
  WkReconcileEpisode *episode; /* NULL when none is known */
  GPtrArray          *episodes;
} ChartView;

static void
chart_view_free (ChartView *view)
{
  if (view == NULL)
    return;
  wk_paper_chart_free (view->chart);
  g_clear_pointer (&view->orders, g_ptr_array_unref);
  g_clear_pointer (&view->grid, wk_chart_grid_free);
  g_clear_pointer (&view->episodes, g_ptr_array_unref);
  g_free (view);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChartView, chart_view_free)

static ChartView *
load_chart_view (WkReconcile *r, const char *typed_id, GError **error)
{
  g_autoptr (ChartView) view = g_new0 (ChartView, 1);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *chart_id
      = wk_chart_id_normalize (typed_id != NULL ? typed_id : "", &local_error);

  if (chart_id == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "%s", local_error->message);
      return NULL;
    }
  view->chart = wk_paper_chart_load (r->model, chart_id, error);
  if (view->chart == NULL)
    {
      if (error != NULL && *error == NULL)
        {
          g_autofree char *label = wk_chart_id_format (chart_id);

          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                       "No page of chart %s has been scanned yet: scan its pages first", label);
        }
      return NULL;
    }
  all = wk_paper_chart_load_orders (r->model, chart_id, error);
  if (all == NULL)
    return NULL;
  view->orders = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_order_free);
  for (guint i = 0; i < all->len; i++)
    {
      WkPaperOrder *order = all->pdata[i];

      if (g_hash_table_contains (seen, order->placer_id))
        continue;
      g_hash_table_add (seen, order->placer_id);
      g_ptr_array_add (view->orders, g_steal_pointer (&all->pdata[i]));
    }
  view->grid = wk_chart_grid_new (r->tz, view->chart->snapshot_at, view->chart->printed_at,
                                  r->settings->grid_hours);
  view->episodes = _wk_reconcile_ledger_episodes (r->model, error);
  if (view->episodes == NULL)
    return NULL;
  view->episode = find_episode (view->episodes, view->chart->episode_id);
  return g_steal_pointer (&view);
}

static WkPaperOrder *
view_find_order (ChartView *view, const char *placer_id)
{
  for (guint i = 0; i < view->orders->len; i++)
    if (g_strcmp0 (((WkPaperOrder *)view->orders->pdata[i])->placer_id, placer_id) == 0)
      return view->orders->pdata[i];
  return NULL;
}

/* A regular order's boxes as the page printed them; none when it was printed held or
 * stopped (the paper has a notice instead of boxes). */
static GArray *
order_boxes (ChartView *view, const WkPaperOrder *order)
{
  g_autoptr (GArray) minutes = NULL;

  if (order->kind != WK_ORDER_REGULAR || order->status != WK_ORDER_ACTIVE
      || (order->stop_at != 0 && order->stop_at <= view->chart->snapshot_at))
    return g_array_new (FALSE, FALSE, sizeof (WkChartGridBox));
  minutes = wk_order_parse_admin_times (order->admin_times != NULL ? order->admin_times : "", NULL);
  if (minutes == NULL)
    return g_array_new (FALSE, FALSE, sizeof (WkChartGridBox));
  return wk_chart_grid_dup_boxes (view->grid, minutes, order->start_at, order->stop_at);
}

/* The order's version as printed, from the model (its full name), or NULL. */
static WkOrder *
load_printed_version (WkReconcile *r, const WkPaperOrder *order)
{
  g_autoptr (GPtrArray) versions = wk_order_load_versions (r->model, order->placer_id, NULL);

  for (guint i = 0; versions != NULL && i < versions->len; i++)
    {
      WkOrder *version = versions->pdata[i];

      if (version->version == order->version)
        return wk_order_copy (version);
    }
  return NULL;
}

/**
 * wk_reconcile_entry_to_json:
 * @reconcile: a #WkReconcile
 * @entry: an entry
 *
 * Returns: (transfer full): the entry as the status, chart and report objects show it
 */
JsonObject *
wk_reconcile_entry_to_json (WkReconcile *reconcile, const WkPaperEntry *entry)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *at_local = format_local (reconcile, entry->at);
  g_autofree char *label = wk_chart_id_format (entry->chart_id);

  json_builder_begin_object (builder);
  add_int (builder, "id", entry->id);
  add_string (builder, "chart", entry->chart_id);
  add_string (builder, "label", label);
  add_int (builder, "page", entry->page);
  add_string (builder, "order", entry->placer_id);
  add_int (builder, "version", entry->order_version);
  add_time (builder, "due", entry->due_at);
  add_boolean (builder, "given", entry->given);
  add_time (builder, "at", entry->at);
  add_string (builder, "at_local", at_local);
  if (entry->given)
    add_double (builder, "dose", entry->dose);
  else
    {
      json_builder_set_member_name (builder, "dose");
      json_builder_add_null_value (builder);
    }
  add_string (builder, "unit", entry->dose_unit);
  add_string (builder, "reason_code", entry->reason_code);
  add_string (builder, "reason", entry->reason);
  add_string (builder, "by", entry->by_whom);
  json_builder_set_member_name (builder, "flags");
  json_builder_begin_array (builder);
  for (guint bit = 1; bit != 0 && bit <= WK_PAPER_FLAG_FAR_FROM_DUE; bit <<= 1)
    if (entry->flags & bit)
      {
        g_autofree char *nick = wk_paper_flags_to_string (bit);

        json_builder_add_string_value (builder, nick);
      }
  json_builder_end_array (builder);
  add_string (builder, "note", entry->note);
  add_string (builder, "entered_by", entry->entered_by);
  add_time (builder, "entered_at", entry->entered_at);
  if (entry->replaces != 0)
    add_int (builder, "replaces", entry->replaces);
  json_builder_end_object (builder);
  return builder_steal_object (builder);
}

static void
add_entry (WkReconcile *r, JsonBuilder *builder, const WkPaperEntry *entry)
{
  g_autoptr (JsonObject) object = wk_reconcile_entry_to_json (r, entry);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  json_builder_add_value (builder, node);
}

static const char *
kind_word (WkOrderKind kind)
{
  return kind == WK_ORDER_PRN ? "as-required" : kind == WK_ORDER_ONCE ? "once-only" : "regular";
}

static void
add_order_view (WkReconcile        *r,
                JsonBuilder        *builder,
                ChartView          *view,
                const WkPaperOrder *order,
                GPtrArray          *entries)
{
  g_autoptr (WkOrder) printed = load_printed_version (r, order);
  g_autoptr (GArray) boxes = order_boxes (view, order);
  g_autofree char *dose = format_dose (order->dose, order->dose_max, order->dose_unit);

  json_builder_begin_object (builder);
  add_int (builder, "page", order->page);
  add_string (builder, "order", order->placer_id);
  add_int (builder, "version", order->version);
  add_string (builder, "kind", kind_word (order->kind));
  add_string (builder, "status",
              order->status == WK_ORDER_DISCONTINUED ? "stopped"
              : order->status == WK_ORDER_HELD       ? "held"
                                                     : "active");
  add_string (builder, "drug", printed != NULL ? printed->drug : order->drug);
  add_double (builder, "dose", order->dose);
  add_double (builder, "dose_max", order->dose_max);
  add_string (builder, "unit", order->dose_unit);
  add_string (builder, "dose_text", dose);
  add_string (builder, "route", order->route);
  add_string (builder, "times", order->admin_times);
  add_int (builder, "min_interval_min", order->min_interval_min);
  add_double (builder, "prn_max_24h", order->prn_max_24h);
  add_time (builder, "start_at", order->start_at);
  add_time (builder, "stop_at", order->stop_at);
  json_builder_set_member_name (builder, "boxes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < boxes->len; i++)
    {
      const WkChartGridBox *box = &g_array_index (boxes, WkChartGridBox, i);
      g_autofree char      *clock = format_clock (r, box->due);
      g_autofree char      *when = format_local (r, box->due);

      json_builder_begin_object (builder);
      add_time (builder, "due", box->due);
      add_string (builder, "time", clock);
      add_string (builder, "due_local", when);
      add_int (builder, "row", box->row);
      add_int (builder, "day", box->day);
      add_boolean (builder, "open", box->open);
      json_builder_set_member_name (builder, "entry");
      {
        const WkPaperEntry *found = NULL;

        for (guint j = 0; j < entries->len; j++)
          {
            const WkPaperEntry *entry = entries->pdata[j];

            if (strcmp (entry->placer_id, order->placer_id) == 0 && entry->due_at == box->due)
              found = entry;
          }
        if (found != NULL)
          add_entry (r, builder, found);
        else
          json_builder_add_null_value (builder);
      }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  /* Doses without a box: as required, once only, or against an order printed held or
   * stopped. */
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint j = 0; j < entries->len; j++)
    {
      const WkPaperEntry *entry = entries->pdata[j];

      if (strcmp (entry->placer_id, order->placer_id) == 0 && entry->due_at == 0)
        add_entry (r, builder, entry);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/**
 * wk_reconcile_dup_chart:
 * @reconcile: a #WkReconcile
 * @chart_id: a chart with a page back, as printed ("7KQ2-M9XD") or without the hyphen
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * A returned chart as printed, for keying in: its header, its grid's days, and each
 * order of its returned pages with its boxes (due time, open or crossed, and the entry
 * keyed in for it) or, for doses without a box, its entries; and the not-given codes.
 *
 * Returns: (transfer full): the chart, or %NULL with %WK_SNAPSHOT_ERROR_NOT_FOUND when
 *   no page of it has been scanned
 */
JsonObject *
wk_reconcile_dup_chart (WkReconcile *reconcile, const char *chart_id, gint64 now, GError **error)
{
  WkReconcile *r = reconcile;
  g_autoptr (ChartView) view = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GArray) missing = NULL;
  g_autoptr (GArray) twice = NULL;
  g_autofree char *label = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *data_time = NULL;

  g_return_val_if_fail (reconcile != NULL, NULL);

  view = load_chart_view (r, chart_id, error);
  if (view == NULL)
    return NULL;
  entries = wk_paper_entry_load_for_chart (r->model, view->chart->chart_id, FALSE, error);
  if (entries == NULL)
    return NULL;
  missing = missing_pages (r, view->chart->chart_id, view->chart->n_pages, &twice, error);
  if (missing == NULL)
    return NULL;
  label = wk_chart_id_format (view->chart->chart_id);
  printed = format_local (r, view->chart->printed_at);
  data_time = format_local (r, view->chart->snapshot_at);

  json_builder_begin_object (builder);
  add_string (builder, "chart", view->chart->chart_id);
  add_string (builder, "label", label);
  add_patient (r, builder, view->chart->patient_id, view->chart->nhs_number,
               view->chart->hospital_number);
  add_string (builder, "ward", view->chart->ward_id);
  add_time (builder, "printed_at", view->chart->printed_at);
  add_string (builder, "printed_local", printed);
  add_time (builder, "snapshot_at", view->chart->snapshot_at);
  add_string (builder, "snapshot_local", data_time);
  add_int (builder, "pages", view->chart->n_pages);
  add_pages (builder, "missing", missing);
  add_pages (builder, "returned_twice", twice);
  add_boolean (builder, "outside_ledger", view->chart->outside_ledger);
  json_builder_set_member_name (builder, "episode");
  json_builder_begin_object (builder);
  add_episode (builder, view->episode);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "grid");
  json_builder_begin_object (builder);
  add_time (builder, "start", wk_chart_grid_get_start (view->grid));
  add_time (builder, "end", wk_chart_grid_get_end (view->grid));
  json_builder_set_member_name (builder, "days");
  json_builder_begin_array (builder);
  for (guint d = 0; d < wk_chart_grid_get_n_days (view->grid); d++)
    {
      g_autofree char *day = g_date_time_format (wk_chart_grid_get_day (view->grid, d), "%a %d %b");

      json_builder_add_string_value (builder, day);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "orders");
  json_builder_begin_array (builder);
  for (guint i = 0; i < view->orders->len; i++)
    add_order_view (r, builder, view, view->orders->pdata[i], entries);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "reasons");
  json_builder_begin_array (builder);
  for (guint i = 0; i < r->settings->reasons->len; i++)
    {
      const WkNotGivenReason *reason = r->settings->reasons->pdata[i];

      json_builder_begin_object (builder);
      add_string (builder, "code", reason->code);
      add_string (builder, "text", reason->text);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  add_time (builder, "generated_at", now);
  json_builder_end_object (builder);
  return builder_steal_object (builder);
}

/* ---------------------------------------------------------------------------------- */
/* Keying in                                                                          */

static gboolean
all_digits (const char *text, gsize min, gsize max)
{
  gsize n = strlen (text);

  return n >= min && n <= max && strspn (text, "0123456789") == n;
}

/* "0800", "800", "8", "08", "8:00", "08:00" → minutes after midnight. */
static gboolean
parse_time_of_day (const char *text, int *minute)
{
  g_autofree char *digits = g_strdup (text);
  char            *colon = strchr (digits, ':');
  int              h, m;

  if (colon != NULL)
    {
      if (!all_digits (colon + 1, 2, 2))
        return FALSE;
      memmove (colon, colon + 1, strlen (colon));
      if (!all_digits (digits, 3, 4))
        return FALSE;
    }
  if (!all_digits (digits, 1, 4))
    return FALSE;
  if (strlen (digits) <= 2)
    {
      h = atoi (digits);
      m = 0;
    }
  else
    {
      int value = atoi (digits);

      h = value / 100;
      m = value % 100;
    }
  if (h > 23 || m > 59)
    return FALSE;
  *minute = h * 60 + m;
  return TRUE;
}

/**
 * wk_reconcile_parse_clock:
 * @text: a time as typed: "0800", "800", "8", "08:00", optionally after a day: "15 0800"
 *   (day of the month), "15/03 0800" (day and month), "2026-03-15 0800"
 * @clock: (out caller-allocates): what it says
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @text is a time; else %FALSE with %WK_PRINT_ERROR_INVALID saying
 *   what is expected
 */
gboolean
wk_reconcile_parse_clock (const char *text, WkReconcileClock *clock, GError **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text != NULL ? text : ""));
  char            *space = strpbrk (copy, " T");
  const char      *time_part = copy;

  g_return_val_if_fail (clock != NULL, FALSE);

  memset (clock, 0, sizeof *clock);
  if (space != NULL)
    {
      const char *date = copy;

      *space = '\0';
      time_part = g_strchug (space + 1);
      if (all_digits (date, 1, 2))
        clock->day = atoi (date);
      else if (strlen (date) <= 5 && strchr (date, '/') != NULL)
        {
          g_auto (GStrv) parts = g_strsplit (date, "/", -1);

          if (g_strv_length (parts) == 2 && all_digits (parts[0], 1, 2)
              && all_digits (parts[1], 1, 2))
            {
              clock->day = atoi (parts[0]);
              clock->month = atoi (parts[1]);
            }
        }
      else if (strlen (date) == 10 && date[4] == '-' && date[7] == '-')
        {
          GDate parsed;

          g_date_clear (&parsed, 1);
          g_date_set_parse (&parsed, date);
          if (g_date_valid (&parsed) && all_digits (date + 8, 2, 2))
            {
              clock->day = g_date_get_day (&parsed);
              clock->month = g_date_get_month (&parsed);
              clock->year = g_date_get_year (&parsed);
            }
        }
      if (clock->day < 1 || clock->day > 31 || clock->month > 12)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "\"%s\" is not a day: write the day of the month (15), day/month "
                       "(15/03) or the date (2026-03-15) before the time",
                       date);
          return FALSE;
        }
    }
  if (!parse_time_of_day (time_part, &clock->minute))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "\"%s\" is not a time: write it as on the chart, 0800 or 8 or 08:00 (24-hour "
                   "clock), with the day first when needed (15 0800)",
                   text != NULL ? text : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
clock_matches_day (const WkReconcileClock *clock, GDateTime *local)
{
  return (clock->day == 0 || g_date_time_get_day_of_month (local) == clock->day)
         && (clock->month == 0 || g_date_time_get_month (local) == clock->month)
         && (clock->year == 0 || g_date_time_get_year (local) == clock->year);
}

static int
local_minute (WkReconcile *r, gint64 utc)
{
  g_autoptr (GDateTime) local = to_local (r, utc);

  return g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local);
}

/* The box a typed due time names. */
static gboolean
resolve_due (WkReconcile           *r,
             ChartView             *view,
             const WkPaperOrder    *order,
             const char            *typed,
             gint64                 now,
             const WkChartGridBox **found_box,
             GArray                *boxes,
             GError               **error)
{
  WkReconcileClock clock;
  g_autoptr (GString) days = g_string_new (NULL);
  const WkChartGridBox *crossed = NULL;
  guint                 n = 0;

  if (!wk_reconcile_parse_clock (typed, &clock, error))
    return FALSE;
  *found_box = NULL;
  for (guint i = 0; i < boxes->len; i++)
    {
      const WkChartGridBox *box = &g_array_index (boxes, WkChartGridBox, i);
      g_autoptr (GDateTime) local = to_local (r, box->due);

      if (local_minute (r, box->due) != clock.minute || !clock_matches_day (&clock, local))
        continue;
      if (!box->open)
        {
          crossed = box;
          continue;
        }
      {
        g_autofree char *day = g_date_time_format (local, "%a %d %b");

        g_string_append_printf (days, "%s%s", n > 0 ? ", " : "", day);
      }
      *found_box = box;
      n++;
    }
  if (n == 1)
    return TRUE;
  if (n > 1)
    {
      const WkChartGridBox *past = NULL;
      guint                 n_past = 0;

      /* Only one of them already due: that one (a box not yet due has nothing in it). */
      for (guint i = 0; i < boxes->len; i++)
        {
          const WkChartGridBox *box = &g_array_index (boxes, WkChartGridBox, i);
          g_autoptr (GDateTime) local = to_local (r, box->due);

          if (box->open && box->due <= now && local_minute (r, box->due) == clock.minute
              && clock_matches_day (&clock, local))
            {
              past = box;
              n_past++;
            }
        }
      if (n_past == 1)
        {
          *found_box = past;
          return TRUE;
        }
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Order %s has a %02d:%02d box on several days (%s): say which, with the day "
                   "of the month first (\"15 %02d%02d\")",
                   order->placer_id, clock.minute / 60, clock.minute % 60, days->str,
                   clock.minute / 60, clock.minute % 60);
      return FALSE;
    }
  if (crossed != NULL)
    {
      g_autofree char *when = format_local (r, crossed->due);

      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The box of order %s due %s is crossed through on the chart (outside the "
                   "grid or the order's dates): nothing can be written in it",
                   order->placer_id, when);
      return FALSE;
    }
  if (boxes->len == 0)
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                 "Order %s has no boxes on this chart (it is %s, or was printed held or "
                 "stopped): key its doses in without a due time",
                 order->placer_id, kind_word (order->kind));
  else
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                 "Order %s has no box at %02d:%02d%s on this chart (its due times are %s)",
                 order->placer_id, clock.minute / 60, clock.minute % 60,
                 clock.day != 0 ? " on that day" : "",
                 order->admin_times != NULL ? order->admin_times : "none");
  return FALSE;
}

/* The time a typed clock means: nearest to the due time when there is one, else the one
 * moment within the chart's use. */
static gboolean
resolve_at (WkReconcile        *r,
            ChartView          *view,
            const WkPaperOrder *order,
            const char         *typed,
            gint64              due,
            gint64              now,
            gint64             *at,
            GError            **error)
{
  WkReconcileClock clock;
  gint64           low = due != 0 ? due - AT_SEARCH : wk_chart_grid_get_start (view->grid);
  gint64           high
      = due != 0 ? due + AT_SEARCH : MIN (now, wk_chart_grid_get_end (view->grid) + AT_SEARCH);
  gint64     best = 0;
  guint      n = 0;
  GDateTime *first = wk_chart_grid_get_day (view->grid, 0);
  g_autoptr (GString) candidates = g_string_new (NULL);

  if (!wk_reconcile_parse_clock (typed, &clock, error))
    return FALSE;
  /* Every day the chart was in use, and the day after its grid ends. */
  for (int d = -1; d <= (int)wk_chart_grid_get_n_days (view->grid) + 1; d++)
    {
      g_autoptr (GDateTime) day = g_date_time_add_days (first, d);
      g_autoptr (GDateTime) local = g_date_time_new (
          r->tz, g_date_time_get_year (day), g_date_time_get_month (day),
          g_date_time_get_day_of_month (day), clock.minute / 60, clock.minute % 60, 0);
      gint64 utc = g_date_time_to_unix (local);

      if (!clock_matches_day (&clock, local) || utc < low || utc > high)
        continue;
      if (due != 0)
        {
          if (n == 0 || ABS (utc - due) < ABS (best - due))
            best = utc;
          n = 1;
          continue;
        }
      {
        g_autofree char *when = format_local (r, utc);

        g_string_append_printf (candidates, "%s%s", n > 0 ? ", " : "", when);
      }
      best = utc;
      n++;
    }
  if (n == 1)
    {
      *at = best;
      return TRUE;
    }
  if (n > 1)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s could be %s: say which, with the day of the month first (\"15 %02d%02d\")",
                   typed, candidates->str, clock.minute / 60, clock.minute % 60);
      return FALSE;
    }
  if (due != 0)
    {
      g_autofree char *when = format_local (r, due);

      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s is not within 12 hours of the box's due time (%s): check the time, or "
                   "give the day (\"15 %02d%02d\")",
                   typed, when, clock.minute / 60, clock.minute % 60);
    }
  else
    {
      g_autofree char *from = format_local (r, wk_chart_grid_get_start (view->grid));

      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s is not a time this chart was in use (from %s until now): check the time "
                   "and the day",
                   typed, from);
    }
  return FALSE;
}

/* A dose given, for the as-required checks. */
typedef struct
{
  gint64 at;
  double dose;
} GivenDose;

/* Given doses of an order in the unit it is prescribed in (paper and feed), excluding
 * the administration @skip (an entry being amended). */
static GArray *
given_doses (WkReconcile *r, const char *placer_id, const char *unit, gint64 skip, GError **error)
{
  g_autoptr (GPtrArray) records = wk_administration_load_for_order (r->model, placer_id, error);
  GArray *doses;

  if (records == NULL)
    return NULL;
  doses = g_array_new (FALSE, FALSE, sizeof (GivenDose));
  for (guint i = 0; i < records->len; i++)
    {
      WkAdministration *a = records->pdata[i];
      GivenDose         given = { a->at, a->dose };

      if (!a->given || a->id == skip
          || (unit != NULL && a->dose_unit != NULL && g_ascii_strcasecmp (a->dose_unit, unit) != 0))
        continue;
      g_array_append_val (doses, given);
    }
  return doses;
}

/* The most given in any 24 hours that include @at, with @dose given at @at: every window
 * worth trying starts at a dose (or at @at) and runs 24 hours. */
static double
max_in_24h_around (GArray *doses, gint64 at, double dose)
{
  double worst = 0;

  for (guint s = 0; s <= doses->len; s++)
    {
      gint64 start = s < doses->len ? g_array_index (doses, GivenDose, s).at : at;
      double total = 0;

      if (start > at || start <= at - 24 * 3600)
        continue;
      total = dose;
      for (guint i = 0; i < doses->len; i++)
        {
          const GivenDose *given = &g_array_index (doses, GivenDose, i);

          if (given->at >= start && given->at < start + 24 * 3600)
            total += given->dose;
        }
      worst = MAX (worst, total);
    }
  return worst;
}

/* The flags of a dose given, against the order as printed and the other doses. */
static gboolean
flags_for (WkReconcile        *r,
           ChartView          *view,
           const WkPaperOrder *order,
           WkPaperEntry       *entry,
           gint64              skip_administration,
           GError            **error)
{
  const char *unit = entry->dose_unit != NULL ? entry->dose_unit : order->dose_unit;

  entry->flags = 0;
  if (view->episode != NULL && view->episode->ended_at != 0 && entry->at > view->episode->ended_at)
    entry->flags |= WK_PAPER_FLAG_OUTSIDE_EPISODE;
  if (entry->due_at != 0 && ABS (entry->at - entry->due_at) > FAR_FROM_DUE)
    entry->flags |= WK_PAPER_FLAG_FAR_FROM_DUE;
  if (!entry->given)
    return TRUE;
  if (order->status == WK_ORDER_HELD)
    entry->flags |= WK_PAPER_FLAG_GIVEN_WHILE_HELD;
  if (order->status == WK_ORDER_DISCONTINUED
      || (order->stop_at != 0 && entry->at >= order->stop_at))
    entry->flags |= WK_PAPER_FLAG_GIVEN_WHILE_STOPPED;
  if (g_ascii_strcasecmp (unit, order->dose_unit) != 0)
    entry->flags |= WK_PAPER_FLAG_UNIT_DIFFERS;
  else if (entry->dose < order->dose * (1 - 1e-9)
           || entry->dose > MAX (order->dose, order->dose_max) * (1 + 1e-9))
    entry->flags |= WK_PAPER_FLAG_DOSE_DIFFERS;

  if (order->kind == WK_ORDER_PRN && (order->prn_max_24h > 0 || order->min_interval_min > 0))
    {
      g_autoptr (GArray) doses
          = given_doses (r, order->placer_id, order->dose_unit, skip_administration, error);

      if (doses == NULL)
        return FALSE;
      if (order->prn_max_24h > 0 && !(entry->flags & WK_PAPER_FLAG_UNIT_DIFFERS)
          && max_in_24h_around (doses, entry->at, entry->dose) > order->prn_max_24h * (1 + 1e-9))
        entry->flags |= WK_PAPER_FLAG_PRN_MAX_24H;
      for (guint i = 0; order->min_interval_min > 0 && i < doses->len; i++)
        {
          gint64 t = g_array_index (doses, GivenDose, i).at;

          if (ABS (t - entry->at) < (gint64)order->min_interval_min * 60)
            entry->flags |= WK_PAPER_FLAG_PRN_INTERVAL;
        }
    }
  return TRUE;
}

/* The current entry of a box, or the entry named, for an amendment. */
static WkPaperEntry *
find_amended (WkReconcile            *r,
              const WkReconcileInput *input,
              const char             *chart_id,
              const char             *placer_id,
              gint64                  due,
              GError                **error)
{
  g_autoptr (GPtrArray) entries = NULL;

  if (input->amend_entry != 0)
    {
      WkPaperEntry *entry = wk_paper_entry_load (r->model, input->amend_entry, error);

      if (entry == NULL && error != NULL && *error == NULL)
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "There is no entry #%" G_GINT64_FORMAT " to amend", input->amend_entry);
      return entry;
    }
  if (due == 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Order %s has no boxes: name the entry to amend by its number", placer_id);
      return NULL;
    }
  entries = wk_paper_entry_load_for_chart (r->model, chart_id, FALSE, error);
  if (entries == NULL)
    return NULL;
  for (guint i = 0; i < entries->len; i++)
    {
      WkPaperEntry *entry = entries->pdata[i];

      if (strcmp (entry->placer_id, placer_id) == 0 && entry->due_at == due)
        return g_steal_pointer (&entries->pdata[i]);
    }
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
               "The box of order %s has no entry to amend: key it in without amending", placer_id);
  return NULL;
}

static WkPaperEntry *
enter_one (WkReconcile *r, const WkReconcileInput *input, gint64 now, GError **error)
{
  g_autoptr (ChartView) view = NULL;
  g_autoptr (WkPaperEntry) entry = wk_paper_entry_new ();
  g_autoptr (WkPaperEntry) amended = NULL;
  g_autoptr (GArray) boxes = NULL;
  g_autofree char      *label = NULL;
  const WkPaperOrder   *order;
  const WkChartGridBox *box = NULL;
  gint64                low;

  view = load_chart_view (r, input->chart_id, error);
  if (view == NULL)
    return NULL;
  label = wk_chart_id_format (view->chart->chart_id);
  if (is_blank (input->placer_id))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Which order? Give the order id printed in its row");
      return NULL;
    }
  order = view_find_order (view, input->placer_id);
  if (order == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Order %s is not on the returned pages of chart %s: check the order id, or "
                   "scan the page it is on",
                   input->placer_id, label);
      return NULL;
    }
  if (is_blank (input->who))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Keying in needs to know who is doing it: give your name");
      return NULL;
    }

  /* The box, then the time. */
  boxes = order_boxes (view, order);
  if (input->due != NULL)
    {
      if (!resolve_due (r, view, order, input->due, now, &box, boxes, error))
        return NULL;
      entry->due_at = box->due;
    }
  else if (boxes->len > 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Order %s is a regular order with boxes: say which box, by its due time "
                   "(--due 0800)",
                   order->placer_id);
      return NULL;
    }
  if (input->at != NULL)
    {
      if (!resolve_at (r, view, order, input->at, entry->due_at, now, &entry->at, error))
        return NULL;
    }
  else if (entry->due_at != 0)
    entry->at = entry->due_at;
  else
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "A dose of order %s (%s) needs the time written beside it (--at 1430)",
                   order->placer_id, kind_word (order->kind));
      return NULL;
    }
  if (entry->at > now + 60)
    {
      g_autofree char *when = format_local (r, entry->at);

      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s is in the future: check the time and the day", when);
      return NULL;
    }
  low = wk_chart_grid_get_start (view->grid) - (entry->due_at != 0 ? EARLY_GIVE : 0);
  if (entry->at < low)
    {
      g_autofree char *when = format_local (r, entry->at);
      g_autofree char *from = format_local (r, wk_chart_grid_get_start (view->grid));

      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "%s is before chart %s was in use (its grid starts %s): was it written on "
                   "an older chart?",
                   when, label, from);
      return NULL;
    }

  entry->chart_id = g_strdup (view->chart->chart_id);
  entry->page = order->page;
  entry->placer_id = g_strdup (order->placer_id);
  entry->order_version = order->version;
  entry->given = input->given;
  entry->by_whom = is_blank (input->by) ? NULL : g_strstrip (g_strdup (input->by));
  entry->note = is_blank (input->note) ? NULL : g_strdup (input->note);
  entry->entered_by = g_strdup (input->who);
  entry->entered_at = now;
  if (input->given)
    {
      if (!(input->dose >= 0 && isfinite (input->dose)))
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "The dose must be a number above 0");
          return NULL;
        }
      if (entry->by_whom == NULL)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "A dose given needs the initials written in the box (--by AB; ? when "
                       "they cannot be read)");
          return NULL;
        }
      entry->dose = input->dose > 0 ? input->dose : order->dose;
      entry->dose_unit = g_strdup (!is_blank (input->unit) ? input->unit : order->dose_unit);
    }
  else
    {
      const WkNotGivenReason *reason
          = wk_reconcile_settings_find_reason (r->settings, input->reason_code);

      if (reason == NULL)
        {
          g_autoptr (GString) codes = g_string_new (NULL);

          for (guint i = 0; i < r->settings->reasons->len; i++)
            {
              const WkNotGivenReason *known = r->settings->reasons->pdata[i];

              g_string_append_printf (codes, "%s%s %s", i > 0 ? ", " : "", known->code,
                                      known->text);
            }
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "%s: a dose not given needs the code written in the box, one of: %s",
                       input->reason_code != NULL ? "That code is not known" : "No code",
                       codes->str);
          return NULL;
        }
      entry->reason_code = g_strdup (reason->code);
      entry->reason = g_strdup (reason->text);
    }

  if (input->amend || input->amend_entry != 0)
    {
      amended = find_amended (r, input, entry->chart_id, entry->placer_id, entry->due_at, error);
      if (amended == NULL)
        return NULL;
    }
  else if (order->kind == WK_ORDER_ONCE)
    {
      g_autoptr (GPtrArray) others
          = wk_paper_entry_load_for_order (r->model, order->placer_id, error);

      if (others == NULL)
        return NULL;
      for (guint i = 0; i < others->len; i++)
        if (strcmp (((WkPaperEntry *)others->pdata[i])->chart_id, entry->chart_id) == 0)
          {
            g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                         "The once-only dose of order %s on chart %s is already keyed in "
                         "(entry #%" G_GINT64_FORMAT "); amend it instead",
                         order->placer_id, label, ((WkPaperEntry *)others->pdata[i])->id);
            return NULL;
          }
    }
  if (!flags_for (r, view, order, entry, amended != NULL ? amended->administration_id : 0, error))
    return NULL;
  if (amended != NULL ? !wk_paper_entry_amend (r->model, amended->id, entry, error)
                      : !wk_paper_entry_insert (r->model, entry, error))
    return NULL;
  g_message ("Chart %s: paper entry #%" G_GINT64_FORMAT " %s for order %s", label, entry->id,
             amended != NULL ? "amended" : "keyed in", entry->placer_id);
  return g_steal_pointer (&entry);
}

/**
 * wk_reconcile_enter:
 * @reconcile: a #WkReconcile
 * @input: what was written, as typed
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Keys in one box or line of a returned chart. A box is named by its due time and must
 * be open on the printed grid; the time given defaults to the due time; the dose to the
 * dose prescribed. Refused (nothing recorded), with what to do: an order not on the
 * returned pages, a box that does not exist or is crossed through, a time in the future
 * or before the chart was in use, a not-given code that is not configured, a dose given
 * without initials, a box already keyed in (unless amending). Recorded with flags: a dose
 * not as prescribed, an as-required maximum or interval exceeded, a dose given against a
 * held or stopped order, far from its due time, or after the episode ended.
 *
 * Returns: (transfer full): the entry recorded, or %NULL with @error set
 */
WkPaperEntry *
wk_reconcile_enter (WkReconcile            *reconcile,
                    const WkReconcileInput *input,
                    gint64                  now,
                    GError                **error)
{
  g_return_val_if_fail (reconcile != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);

  return enter_one (reconcile, input, now, error);
}

/**
 * wk_reconcile_enter_batch:
 * @reconcile: a #WkReconcile
 * @inputs: (array length=n_inputs): what was written, box by box, in order
 * @n_inputs: how many
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Keys in several boxes, all or nothing: the first one refused refuses the batch, with
 * its number ("entry 3: ...") and nothing recorded.
 *
 * Returns: (transfer full) (element-type WkPaperEntry): the entries recorded, in order
 */
GPtrArray *
wk_reconcile_enter_batch (WkReconcile             *reconcile,
                          const WkReconcileInput **inputs,
                          guint                    n_inputs,
                          gint64                   now,
                          GError                 **error)
{
  g_autoptr (GPtrArray) entries
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_entry_free);

  g_return_val_if_fail (reconcile != NULL, NULL);
  g_return_val_if_fail (inputs != NULL || n_inputs == 0, NULL);

  if (!wk_model_begin (reconcile->model, error))
    return NULL;
  for (guint i = 0; i < n_inputs; i++)
    {
      GError       *local_error = NULL;
      WkPaperEntry *entry = enter_one (reconcile, inputs[i], now, &local_error);

      if (entry == NULL)
        {
          wk_model_rollback (reconcile->model);
          g_propagate_prefixed_error (error, local_error, "entry %u: ", i + 1);
          return NULL;
        }
      g_ptr_array_add (entries, entry);
    }
  if (!wk_model_commit (reconcile->model, error))
    {
      wk_model_rollback (reconcile->model);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

/* ---------------------------------------------------------------------------------- */
/* The discrepancy report                                                             */

/* One finding under construction. */
typedef struct
{
  JsonBuilder *builder;
  guint        n;
  guint        high;
} Findings;

/* Starts a finding; the caller adds its details and calls end_finding(). */
static void
begin_finding (WkReconcile        *r,
               Findings           *findings,
               const char         *kind,
               const char         *severity,
               const char         *chart_id,
               guint               page,
               gint64              patient_id,
               const WkPaperChart *chart,
               const char         *placer_id,
               const char         *drug,
               const char         *text)
{
  JsonBuilder *b = findings->builder;

  findings->n++;
  findings->high += strcmp (severity, "high") == 0;
  json_builder_begin_object (b);
  add_string (b, "kind", kind);
  add_string (b, "severity", severity);
  add_string (b, "chart", chart_id);
  if (chart_id != NULL)
    {
      g_autofree char *label = wk_chart_id_format (chart_id);

      add_string (b, "label", label);
    }
  else
    add_string (b, "label", NULL);
  add_int (b, "page", page);
  add_patient (r, b, patient_id, chart != NULL ? chart->nhs_number : NULL,
               chart != NULL ? chart->hospital_number : NULL);
  add_string (b, "order", placer_id);
  add_string (b, "drug", drug);
  add_string (b, "text", text);
}

static void
end_finding (Findings *findings)
{
  json_builder_end_object (findings->builder);
}

static void
add_finding (WkReconcile        *r,
             Findings           *findings,
             const char         *kind,
             const char         *severity,
             const char         *chart_id,
             guint               page,
             gint64              patient_id,
             const WkPaperChart *chart,
             const char         *placer_id,
             const char         *drug,
             const char         *text)
{
  begin_finding (r, findings, kind, severity, chart_id, page, patient_id, chart, placer_id, drug,
                 text);
  end_finding (findings);
}

/* The time a version was made: its ORC-9, else when its status changed; 0 when not known
 * (never its start, which may be long after it was prescribed). */
static gint64
version_time (const WkOrder *order)
{
  if (order->transaction_at != 0)
    return order->transaction_at;
  return order->status_at;
}

/* What differs between the version printed and the current one, in words. */
static char *
describe_change (WkReconcile *r, const WkPaperOrder *printed, const WkOrder *current)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *before = format_dose (printed->dose, printed->dose_max, printed->dose_unit);
  g_autofree char *after = format_dose (current->dose, current->dose_max, current->dose_unit);

  if (strcmp (before, after) != 0)
    g_string_append_printf (text, "; dose %s → %s", before, after);
  if (g_strcmp0 (printed->route, current->route) != 0)
    g_string_append_printf (text, "; route %s → %s", printed->route, current->route);
  if (g_strcmp0 (printed->admin_times, current->admin_times) != 0)
    g_string_append_printf (text, "; due times %s → %s",
                            printed->admin_times != NULL ? printed->admin_times : "none",
                            current->admin_times != NULL ? current->admin_times : "none");
  if (printed->prn_max_24h != current->prn_max_24h)
    g_string_append_printf (text, "; maximum in 24 h %g → %g", printed->prn_max_24h,
                            current->prn_max_24h);
  if (printed->min_interval_min != current->min_interval_min)
    g_string_append_printf (text, "; minimum interval %d → %d min", printed->min_interval_min,
                            current->min_interval_min);
  if (printed->stop_at / 60 != current->stop_at / 60)
    {
      g_autofree char *stop
          = current->stop_at != 0 ? format_local (r, current->stop_at) : g_strdup ("no end");

      g_string_append_printf (text, "; stop %s", stop);
    }
  if (text->len == 0)
    g_string_append (text, "; instructions or other details");
  return g_strdup (text->str + 2);
}

/* Orders changed, stopped or held centrally while the ward worked from paper. */
static gboolean
find_order_changes (WkReconcile        *r,
                    Findings           *findings,
                    const WkPaperChart *chart,
                    const WkPaperOrder *printed,
                    gint64              use_end,
                    GPtrArray          *entries,
                    GError            **error)
{
  g_autoptr (GPtrArray) versions = wk_order_load_versions (r->model, printed->placer_id, error);
  const WkOrder   *current, *change = NULL;
  g_autofree char *text = NULL;
  g_autofree char *when = NULL;
  g_autofree char *what = NULL;
  const char      *kind, *severity;
  guint            after = 0;

  if (versions == NULL)
    return FALSE;
  if (versions->len == 0)
    {
      text = g_strdup_printf ("Order %s (%s) was printed on the chart but the central record "
                              "does not have it: check the order in the EPR before back-entry",
                              printed->placer_id, printed->drug);
      add_finding (r, findings, "order-unknown", "medium", chart->chart_id, printed->page,
                   chart->patient_id, chart, printed->placer_id, printed->drug, text);
      return TRUE;
    }
  current = versions->pdata[versions->len - 1];
  if (current->version <= printed->version)
    return TRUE;
  /* The first version after the one printed that was made while the paper was in use
   * (every later version was made after the chart's data time; one made at a time not
   * known is taken as made then). */
  for (guint i = 0; i < versions->len; i++)
    {
      const WkOrder *version = versions->pdata[i];
      gint64         at = version_time (version);

      if (version->version > printed->version && at <= use_end)
        {
          change = version;
          break;
        }
    }
  if (change == NULL)
    return TRUE;
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];

      after += strcmp (entry->placer_id, printed->placer_id) == 0 && entry->given
               && entry->at >= version_time (change);
    }
  when = version_time (change) != 0 ? format_local (r, version_time (change))
                                    : g_strdup ("a time not recorded");
  if (current->status == WK_ORDER_DISCONTINUED)
    {
      kind = "order-stopped";
      what = g_strdup_printf ("was stopped centrally at %s", when);
    }
  else if (current->status == WK_ORDER_HELD)
    {
      kind = "order-held";
      what = g_strdup_printf ("was put on hold centrally at %s", when);
    }
  else
    {
      g_autofree char *changes = describe_change (r, printed, current);

      kind = "order-changed";
      what = g_strdup_printf ("was changed centrally at %s (version %d printed, now version "
                              "%d): %s",
                              when, printed->version, current->version, changes);
    }
  severity = after > 0 ? "high" : "medium";
  if (after > 0)
    text = g_strdup_printf ("Order %s (%s) %s, while the ward worked from the paper chart. %u "
                            "dose%s given on paper after the change: check them against the "
                            "new order",
                            printed->placer_id, current->drug, what, after,
                            after == 1 ? " was" : "s were");
  else
    text = g_strdup_printf ("Order %s (%s) %s, while the ward worked from the paper chart. No "
                            "dose was given on paper after the change",
                            printed->placer_id, current->drug, what);
  add_finding (r, findings, kind, severity, chart->chart_id, printed->page, chart->patient_id,
               chart, printed->placer_id, current->drug, text);
  return TRUE;
}

/* How far apart two records of an order may be and still be the same dose. */
static gint64
same_dose_window (const WkPaperOrder *order)
{
  g_autoptr (GArray) minutes = NULL;
  int gap = 24 * 60;

  if (order->kind == WK_ORDER_ONCE)
    return G_MAXINT32;
  if (order->kind == WK_ORDER_PRN)
    return (order->min_interval_min > 0 ? order->min_interval_min : 60) * 60;
  minutes = wk_order_parse_admin_times (order->admin_times != NULL ? order->admin_times : "", NULL);
  for (guint i = 0; minutes != NULL && i < minutes->len; i++)
    {
      int a = g_array_index (minutes, int, i);
      int b = g_array_index (minutes, int, (i + 1) % minutes->len);
      int d = (b - a + 24 * 60) % (24 * 60);

      if (d > 0)
        gap = MIN (gap, d);
    }
  return CLAMP (gap / 2, 30, 6 * 60) * 60;
}

/* Doses given on paper that the central record also has as given. */
static gboolean
find_double_doses (WkReconcile        *r,
                   Findings           *findings,
                   const WkPaperChart *chart,
                   const WkPaperOrder *order,
                   const char         *drug,
                   GPtrArray          *entries,
                   GError            **error)
{
  g_autoptr (GPtrArray) records
      = wk_administration_load_for_order (r->model, order->placer_id, error);
  gint64 window = same_dose_window (order);

  if (records == NULL)
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];

      if (strcmp (entry->placer_id, order->placer_id) != 0 || !entry->given)
        continue;
      for (guint j = 0; j < records->len; j++)
        {
          const WkAdministration *central = records->pdata[j];
          g_autofree char        *paper_at = NULL;
          g_autofree char        *central_at = NULL;
          g_autofree char        *text = NULL;

          if (central->source != WK_ADMINISTRATION_FROM_FEED || !central->given
              || ABS (central->at - entry->at) > window)
            continue;
          paper_at = format_local (r, entry->at);
          central_at = format_local (r, central->at);
          text = g_strdup_printf (
              "Order %s (%s): given on paper at %s (%g %s, entry #%" G_GINT64_FORMAT
              ") and recorded centrally as given at %s (%g %s): possible double dose. "
              "Check with the ward before back-entry",
              order->placer_id, drug, paper_at, entry->dose,
              entry->dose_unit != NULL ? entry->dose_unit : "", entry->id, central_at,
              central->dose, central->dose_unit != NULL ? central->dose_unit : "");
          begin_finding (r, findings, "double-dose", "high", chart->chart_id, entry->page,
                         chart->patient_id, chart, order->placer_id, drug, text);
          add_int (findings->builder, "entry", entry->id);
          add_time (findings->builder, "paper_at", entry->at);
          add_time (findings->builder, "central_at", central->at);
          end_finding (findings);
        }
    }
  return TRUE;
}

/* An as-required order given over its maximum in some 24 hours (paper and feed). */
static gboolean
find_prn_over_max (WkReconcile        *r,
                   Findings           *findings,
                   const WkPaperChart *chart,
                   const WkPaperOrder *order,
                   const char         *drug,
                   gint64              use_end,
                   GError            **error)
{
  g_autoptr (GArray) doses = NULL;
  double           worst = 0;
  gint64           worst_at = 0;
  g_autofree char *from = NULL;
  g_autofree char *text = NULL;

  if (order->kind != WK_ORDER_PRN || order->prn_max_24h <= 0)
    return TRUE;
  doses = given_doses (r, order->placer_id, order->dose_unit, 0, error);
  if (doses == NULL)
    return FALSE;
  for (guint s = 0; s < doses->len; s++)
    {
      gint64 start = g_array_index (doses, GivenDose, s).at;
      double total = 0;

      if (start < chart->snapshot_at - 24 * 3600 || start > use_end)
        continue;
      for (guint i = 0; i < doses->len; i++)
        {
          const GivenDose *given = &g_array_index (doses, GivenDose, i);

          if (given->at >= start && given->at < start + 24 * 3600)
            total += given->dose;
        }
      if (total > worst)
        {
          worst = total;
          worst_at = start;
        }
    }
  if (worst <= order->prn_max_24h * (1 + 1e-9))
    return TRUE;
  from = format_local (r, worst_at);
  text = g_strdup_printf ("Order %s (%s, as required, at most %g %s in 24 hours): %g %s were "
                          "given in the 24 hours from %s (paper and central records together)",
                          order->placer_id, drug, order->prn_max_24h, order->dose_unit, worst,
                          order->dose_unit, from);
  begin_finding (r, findings, "prn-over-max", "high", chart->chart_id, order->page,
                 chart->patient_id, chart, order->placer_id, drug, text);
  add_double (findings->builder, "given_24h", worst);
  add_double (findings->builder, "max_24h", order->prn_max_24h);
  end_finding (findings);
  return TRUE;
}

/* Boxes due while the chart was in use with nothing keyed in. */
static void
find_blank_boxes (WkReconcile        *r,
                  Findings           *findings,
                  ChartView          *view,
                  const WkPaperOrder *order,
                  const char         *drug,
                  GPtrArray          *entries,
                  gint64              use_end)
{
  g_autoptr (GArray) boxes = order_boxes (view, order);
  g_autoptr (GString) times = g_string_new (NULL);
  g_autofree char *text = NULL;
  guint            blank = 0;

  for (guint i = 0; i < boxes->len; i++)
    {
      const WkChartGridBox *box = &g_array_index (boxes, WkChartGridBox, i);
      gboolean              keyed = FALSE;

      if (!box->open || box->due > use_end)
        continue;
      for (guint j = 0; j < entries->len && !keyed; j++)
        {
          const WkPaperEntry *entry = entries->pdata[j];

          keyed = strcmp (entry->placer_id, order->placer_id) == 0 && entry->due_at == box->due;
        }
      if (!keyed)
        {
          g_autofree char *when = format_local (r, box->due);

          g_string_append_printf (times, "%s%s", blank > 0 ? ", " : "", when);
          blank++;
        }
    }
  if (blank == 0)
    return;
  text = g_strdup_printf ("Order %s (%s): %u box%s due while the ward was on paper ha%s nothing "
                          "keyed in (%s). Key in what the paper says; a blank box may be a "
                          "missed dose",
                          order->placer_id, drug, blank, blank == 1 ? "" : "es",
                          blank == 1 ? "s" : "ve", times->str);
  begin_finding (r, findings, "blank-boxes", "medium", view->chart->chart_id, order->page,
                 view->chart->patient_id, view->chart, order->placer_id, drug, text);
  add_int (findings->builder, "boxes", blank);
  end_finding (findings);
}

/* Orders prescribed centrally during the downtime that no paper chart of the patient
 * printed. */
static gboolean
find_added_orders (WkReconcile        *r,
                   Findings           *findings,
                   const WkPaperChart *chart,
                   GHashTable         *printed_placers,
                   gint64              use_end,
                   GError            **error)
{
  g_autoptr (GPtrArray) orders = NULL;

  if (chart->patient_id == 0)
    return TRUE;
  orders = wk_order_load_for_patient (r->model, chart->patient_id, error);
  if (orders == NULL)
    return FALSE;
  for (guint i = 0; i < orders->len; i++)
    {
      const WkOrder *order = orders->pdata[i];
      g_autoptr (GPtrArray) versions = NULL;
      gint64           created;
      g_autofree char *when = NULL;
      g_autofree char *text = NULL;

      if (g_hash_table_contains (printed_placers, order->placer_id))
        continue;
      versions = wk_order_load_versions (r->model, order->placer_id, error);
      if (versions == NULL)
        return FALSE;
      /* Prescribed while the paper was in use; when is not known, it is not claimed. */
      created = version_time (versions->pdata[0]);
      if (created == 0 || created <= chart->snapshot_at || created > use_end)
        continue;
      when = format_local (r, created);
      text = g_strdup_printf ("Order %s (%s) was prescribed centrally at %s, during the "
                              "downtime, and is on no paper chart of this patient: check "
                              "whether the ward knew of it and what was given",
                              order->placer_id, order->drug, when);
      add_finding (r, findings, "order-added", "medium", chart->chart_id, 0, chart->patient_id,
                   chart, order->placer_id, order->drug, text);
    }
  return TRUE;
}

static const char *
flag_severity (guint flag)
{
  switch (flag)
    {
    case WK_PAPER_FLAG_DOSE_DIFFERS:
    case WK_PAPER_FLAG_GIVEN_WHILE_HELD:
    case WK_PAPER_FLAG_GIVEN_WHILE_STOPPED:
      return "high";
    default:
      return "medium";
    }
}

static void
find_flagged_entries (WkReconcile        *r,
                      Findings           *findings,
                      const WkPaperChart *chart,
                      const char         *drug,
                      const WkPaperOrder *order,
                      GPtrArray          *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];

      if (strcmp (entry->placer_id, order->placer_id) != 0)
        continue;
      /* The as-required maximum is judged again, with every record, as its own finding. */
      for (guint bit = 1; bit <= WK_PAPER_FLAG_FAR_FROM_DUE; bit <<= 1)
        {
          g_autofree char *at = NULL;
          g_autofree char *text = NULL;
          g_autofree char *nick = NULL;

          if (!(entry->flags & bit) || bit == WK_PAPER_FLAG_PRN_MAX_24H)
            continue;
          at = format_local (r, entry->at);
          nick = wk_paper_flags_to_string (bit);
          text = g_strdup_printf (
              "Order %s (%s), entry #%" G_GINT64_FORMAT " (%s %s): %s", order->placer_id, drug,
              entry->id, entry->given ? "given" : "not given", at, wk_paper_flag_describe (bit));
          begin_finding (r, findings, "entry-flagged", flag_severity (bit), chart->chart_id,
                         entry->page, chart->patient_id, chart, order->placer_id, drug, text);
          add_string (findings->builder, "flag", nick);
          add_int (findings->builder, "entry", entry->id);
          end_finding (findings);
        }
    }
}

/* When the paper was in use until: the episode's end, else now (within the grid). */
static gint64
use_end_of (ChartView *view, gint64 now)
{
  if (view->episode != NULL && view->episode->ended_at != 0)
    return MIN (view->episode->ended_at, now);
  return MIN (now, wk_chart_grid_get_end (view->grid));
}

static gboolean
find_chart_discrepancies (WkReconcile *r,
                          Findings    *findings,
                          StatusChart *status,
                          GPtrArray   *episode_charts_list,
                          gint64       now,
                          GPtrArray   *all_entries,
                          GError     **error)
{
  g_autoptr (GArray) missing = NULL;
  g_autoptr (GArray) twice = NULL;
  g_autoptr (ChartView) view = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GHashTable) printed_placers
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 use_end;

  if (status->paper == NULL)
    {
      g_autofree char *label = wk_chart_id_format (status->chart_id);
      g_autofree char *text = g_strdup_printf (
          "Chart %s has not come back: none of its %u page%s has been scanned. Find it on the "
          "ward",
          label, status->n_pages, status->n_pages == 1 ? "" : "s");

      add_finding (r, findings, "chart-not-returned", "medium", status->chart_id, 0,
                   status->patient_id, NULL, NULL, NULL, text);
      return TRUE;
    }
  missing = missing_pages (r, status->chart_id, status->n_pages, &twice, error);
  if (missing == NULL)
    return FALSE;
  for (guint i = 0; i < missing->len; i++)
    {
      g_autofree char *label = wk_chart_id_format (status->chart_id);
      guint            page = g_array_index (missing, guint, i);
      g_autofree char *text = g_strdup_printf (
          "Chart %s page %u of %u has not come back: what was written on it is not "
          "reconciled. Find the page on the ward",
          label, page, status->n_pages);

      add_finding (r, findings, "missing-page", "medium", status->chart_id, page,
                   status->patient_id, status->paper, NULL, NULL, text);
    }
  for (guint i = 0; i < twice->len; i++)
    {
      g_autofree char *label = wk_chart_id_format (status->chart_id);
      guint            page = g_array_index (twice, guint, i);
      g_autofree char *text = g_strdup_printf (
          "Chart %s page %u of %u was returned more than once: check that two copies were not "
          "written on separately (photocopies)",
          label, page, status->n_pages);

      add_finding (r, findings, "page-returned-twice", "low", status->chart_id, page,
                   status->patient_id, status->paper, NULL, NULL, text);
    }

  view = load_chart_view (r, status->chart_id, error);
  if (view == NULL)
    return FALSE;
  entries = wk_paper_entry_load_for_chart (r->model, status->chart_id, FALSE, error);
  if (entries == NULL)
    return FALSE;
  use_end = use_end_of (view, now);
  for (guint i = 0; i < view->orders->len; i++)
    {
      const WkPaperOrder *order = view->orders->pdata[i];
      g_autoptr (WkOrder) printed = load_printed_version (r, order);
      const char *drug = printed != NULL ? printed->drug : order->drug;

      if (!find_order_changes (r, findings, view->chart, order, use_end, entries, error)
          || !find_double_doses (r, findings, view->chart, order, drug, entries, error)
          || !find_prn_over_max (r, findings, view->chart, order, drug, use_end, error))
        return FALSE;
      find_blank_boxes (r, findings, view, order, drug, entries, use_end);
      find_flagged_entries (r, findings, view->chart, drug, order, entries);
    }
  /* Orders on any chart of the same patient in this episode were on paper: the pages that
   * came back, and what the ledger says every page printed. */
  for (guint c = 0; c < episode_charts_list->len; c++)
    {
      StatusChart *other = episode_charts_list->pdata[c];
      g_autoptr (GPtrArray) orders = NULL;

      if (other->patient_id != status->patient_id)
        continue;
      if (!_wk_reconcile_ledger_add_printed_orders (r->model, other->chart_id, printed_placers,
                                                    error))
        return FALSE;
      if (other->paper == NULL)
        continue;
      orders = wk_paper_chart_load_orders (r->model, other->chart_id, error);
      if (orders == NULL)
        return FALSE;
      for (guint i = 0; i < orders->len; i++)
        g_hash_table_add (printed_placers,
                          g_strdup (((WkPaperOrder *)orders->pdata[i])->placer_id));
    }
  if (!find_added_orders (r, findings, view->chart, printed_placers, use_end, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (all_entries, wk_paper_entry_copy (entries->pdata[i]));
  return TRUE;
}

static char *
digest_of (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  guint8           hash[32];
  char             hex[65];
  gsize            length;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  crypto_generichash (hash, sizeof hash, (const guint8 *)text, length, NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

static gboolean
resolve_episode (WkReconcile               *r,
                 GPtrArray                 *episodes,
                 const char                *episode_id,
                 const WkReconcileEpisode **episode,
                 GError                   **error)
{
  *episode = NULL;
  if (episode_id == NULL)
    {
      /* The newest real episode; charts outside any when there is none. */
      for (guint i = episodes->len; i > 0; i--)
        if (!((WkReconcileEpisode *)episodes->pdata[i - 1])->drill)
          {
            *episode = episodes->pdata[i - 1];
            return TRUE;
          }
      return TRUE;
    }
  if (*episode_id == '\0')
    return TRUE;
  *episode = find_episode (episodes, episode_id);
  if (*episode == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "There is no downtime episode %s: `wardkeep reconcile status` lists them",
                   episode_id);
      return FALSE;
    }
  if ((*episode)->drill)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_DRILL,
                   "Episode %s was a drill: its charts are not clinical records and are not "
                   "reconciled",
                   episode_id);
      return FALSE;
    }
  return TRUE;
}

static void
add_signoff (WkReconcile *r, JsonBuilder *builder, const WkSignoff *signoff, const char *digest)
{
  json_builder_set_member_name (builder, "signed_off");
  if (signoff == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  {
    g_autofree char *at_local = format_local (r, signoff->signed_at);

    json_builder_begin_object (builder);
    add_string (builder, "by", signoff->signed_by);
    add_time (builder, "at", signoff->signed_at);
    add_string (builder, "at_local", at_local);
    add_string (builder, "digest", signoff->digest);
    add_int (builder, "findings", signoff->findings);
    add_string (builder, "note", signoff->note);
    add_boolean (builder, "current", g_strcmp0 (signoff->digest, digest) == 0);
    json_builder_end_object (builder);
  }
}

/**
 * wk_reconcile_dup_report:
 * @reconcile: a #WkReconcile
 * @episode_id: (nullable): the episode; "" for charts outside any episode; %NULL for the
 *   newest one
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Compares what was on paper with the central record as the model has it now: charts
 * and pages not back, pages returned twice, orders changed, stopped, held or added
 * centrally during the downtime, doses recorded both on paper and centrally (possible
 * double doses), as-required maximums exceeded, boxes due with nothing keyed in, and the
 * flags of the entries. The findings have a digest that a sign-off records, so that a
 * report changed since it was signed says so.
 *
 * Returns: (transfer full): the report (README "After the outage"), or %NULL with
 *   @error set
 */
JsonObject *
wk_reconcile_dup_report (WkReconcile *reconcile, const char *episode_id, gint64 now, GError **error)
{
  WkReconcile *r = reconcile;
  g_autoptr (GPtrArray) episodes = NULL;
  g_autoptr (GPtrArray) returned = NULL;
  g_autoptr (GPtrArray) charts = NULL;
  g_autoptr (GPtrArray) entries
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_entry_free);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) findings_node = NULL;
  g_autoptr (WkSignoff) signoff = NULL;
  g_autofree char          *digest = NULL;
  const WkReconcileEpisode *episode;
  Findings                  findings = { 0 };
  StatusCounts              counts = { 0 };
  GError                   *local_error = NULL;

  g_return_val_if_fail (reconcile != NULL, NULL);

  episodes = _wk_reconcile_ledger_episodes (r->model, error);
  if (episodes == NULL || !resolve_episode (r, episodes, episode_id, &episode, error))
    return NULL;
  returned = wk_paper_chart_load_all (r->model, error);
  if (returned == NULL)
    return NULL;
  charts = episode_charts (r, episode != NULL ? episode->id : "", returned, error);
  if (charts == NULL)
    return NULL;

  /* The findings first: the digest is over them alone. */
  findings.builder = json_builder_new ();
  json_builder_begin_array (findings.builder);
  for (guint i = 0; i < charts->len; i++)
    if (!find_chart_discrepancies (r, &findings, charts->pdata[i], charts, now, entries, error))
      {
        g_object_unref (findings.builder);
        return NULL;
      }
  json_builder_end_array (findings.builder);
  findings_node = json_builder_get_root (findings.builder);
  g_object_unref (findings.builder);
  digest = digest_of (findings_node);
  signoff = wk_signoff_load_latest (r->model, episode != NULL ? episode->id : "", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  json_builder_begin_object (builder);
  add_string (builder, "format", "wardkeep-discrepancy-report");
  add_int (builder, "format_version", 1);
  add_string (builder, "ward", r->settings->ward_id);
  add_time (builder, "generated_at", now);
  json_builder_set_member_name (builder, "episode");
  json_builder_begin_object (builder);
  add_episode (builder, episode);
  json_builder_end_object (builder);
  /* The status counts of the episode's charts. */
  json_builder_set_member_name (builder, "charts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < charts->len; i++)
    if (!add_status_chart (r, builder, charts->pdata[i], &counts, error))
      return NULL;
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "summary");
  json_builder_begin_object (builder);
  add_counts (builder, &counts);
  add_int (builder, "findings", findings.n);
  add_int (builder, "findings_high", findings.high);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "findings");
  json_builder_add_value (builder, json_node_copy (findings_node));
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];
      g_autoptr (JsonObject) object = wk_reconcile_entry_to_json (r, entry);
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);
      g_autoptr (GPtrArray) versions = wk_order_load_versions (r->model, entry->placer_id, NULL);

      for (guint f = WK_PAPER_EXPORT_HL7; f <= WK_PAPER_EXPORT_CSV; f++)
        {
          g_autofree char *member
              = g_strdup_printf ("exported_%s", wk_paper_export_format_to_string (f));
          gint64 at = wk_paper_entry_get_exported_at (r->model, entry->id, f, NULL);

          if (at != 0)
            {
              g_autofree char *iso = format_iso (at);

              json_object_set_string_member (object, member, iso);
            }
          else
            json_object_set_null_member (object, member);
        }
      if (versions != NULL && versions->len > 0)
        json_object_set_string_member (object, "drug",
                                       ((WkOrder *)versions->pdata[versions->len - 1])->drug);
      json_node_set_object (node, object);
      json_builder_add_value (builder, node);
    }
  json_builder_end_array (builder);
  add_string (builder, "digest", digest);
  add_signoff (r, builder, signoff, digest);
  json_builder_end_object (builder);
  return builder_steal_object (builder);
}

/**
 * wk_reconcile_sign_off:
 * @reconcile: a #WkReconcile
 * @episode_id: (nullable): as for wk_reconcile_dup_report()
 * @digest: (nullable): the digest of the report the pharmacist read; when given and the
 *   report has changed since (a page scanned, an entry keyed in), the sign-off is refused
 * @who: the pharmacist signing
 * @note: (nullable): what they write with it
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Signs the episode's discrepancy report off: records who and when with the report's
 * digest, and audits it.
 *
 * Returns: (transfer full): the report, now signed, or %NULL with @error set
 */
JsonObject *
wk_reconcile_sign_off (WkReconcile *reconcile,
                       const char  *episode_id,
                       const char  *digest,
                       const char  *who,
                       const char  *note,
                       gint64       now,
                       GError     **error)
{
  g_autoptr (JsonObject) report = NULL;
  g_autoptr (WkSignoff) signoff = g_new0 (WkSignoff, 1);
  JsonObject *episode;
  const char *current;

  g_return_val_if_fail (reconcile != NULL, NULL);

  if (is_blank (who))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "A sign-off needs the name of the pharmacist signing");
      return NULL;
    }
  report = wk_reconcile_dup_report (reconcile, episode_id, now, error);
  if (report == NULL)
    return NULL;
  current = json_object_get_string_member (report, "digest");
  if (digest != NULL && g_ascii_strcasecmp (digest, current) != 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The report has changed since it was read (pages scanned or entries keyed "
                   "in since): read it again, then sign it off");
      return NULL;
    }
  episode = json_object_get_object_member (report, "episode");
  signoff->episode_id = g_strdup (json_object_get_string_member (episode, "id"));
  signoff->signed_by = g_strdup (who);
  signoff->signed_at = now;
  signoff->digest = g_strdup (current);
  signoff->findings
      = json_object_get_int_member (json_object_get_object_member (report, "summary"), "findings");
  signoff->note = is_blank (note) ? NULL : g_strdup (note);
  if (!wk_signoff_insert (reconcile->model, signoff, error))
    return NULL;
  g_message ("Discrepancy report of episode %s signed off, %u findings",
             *signoff->episode_id != '\0' ? signoff->episode_id : "(none)", signoff->findings);
  return wk_reconcile_dup_report (reconcile, signoff->episode_id, now, error);
}

/**
 * wk_reconcile_select_export:
 * @reconcile: a #WkReconcile
 * @episode_id: (nullable): the episode whose entries to export; "" for charts outside
 *   any episode; %NULL for every entry
 * @format: the format
 * @again: also the entries already exported in @format (an explicit re-export)
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPaperEntry): the current entries to export, by
 *   chart and time
 */
GPtrArray *
wk_reconcile_select_export (WkReconcile        *reconcile,
                            const char         *episode_id,
                            WkPaperExportFormat format,
                            gboolean            again,
                            GError            **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) selected
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_entry_free);
  g_autoptr (GHashTable) charts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (reconcile != NULL, NULL);

  if (episode_id != NULL)
    {
      g_autoptr (GPtrArray) returned = wk_paper_chart_load_all (reconcile->model, error);

      if (returned == NULL)
        return NULL;
      for (guint i = 0; i < returned->len; i++)
        {
          WkPaperChart *chart = returned->pdata[i];

          if (g_strcmp0 (chart->episode_id != NULL ? chart->episode_id : "", episode_id) == 0)
            g_hash_table_add (charts, g_strdup (chart->chart_id));
        }
    }
  entries = wk_paper_entry_load_for_chart (reconcile->model, NULL, FALSE, error);
  if (entries == NULL)
    return NULL;
  for (guint i = 0; i < entries->len; i++)
    {
      WkPaperEntry *entry = entries->pdata[i];
      GError       *local_error = NULL;

      if (episode_id != NULL && !g_hash_table_contains (charts, entry->chart_id))
        continue;
      if (!again
          && wk_paper_entry_get_exported_at (reconcile->model, entry->id, format, &local_error)
                 != 0)
        continue;
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      g_ptr_array_add (selected, g_steal_pointer (&entries->pdata[i]));
    }
  return g_steal_pointer (&selected);
}
