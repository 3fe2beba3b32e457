/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-back-entry.c — paper entries as the EPR takes them back: HL7 RAS^O17, FHIR R4, CSV.
 *
 * Every format carries the same facts per entry: the patient (NHS number, else hospital
 * number), the order (placer number, the version given against, the drug as dm+d code
 * and text), given or not (with the reason's code and meaning), when, the dose and unit,
 * the initials on the paper, and where it came from (chart id and page, who keyed it
 * in). Nothing is written to a file here: the caller decides where the text goes. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-back-entry.h"

#include "wk-bed.h"
#include "wk-chart-id.h"
#include "wk-hl7.h"
#include "wk-mllp-sender.h"
#include "wk-order.h"
#include "wk-paper-chart.h"
#include "wk-patient.h"
#include "wk-print-error.h"

#include <string.h>

/* What an entry is exported with. */
typedef struct
{
  WkPaperChart *chart;
  WkPatient    *patient; /* NULL when the model no longer has the patient */
  WkBed        *bed;
  WkOrder      *order; /* the version given against, else the current one */
  char         *route;
  char         *label; /* the chart id as printed */
} Context;

static void
context_clear (Context *c)
{
  wk_paper_chart_free (c->chart);
  wk_patient_free (c->patient);
  wk_bed_free (c->bed);
  wk_order_free (c->order);
  g_free (c->route);
  g_free (c->label);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Context, context_clear)

static gboolean
load_context (WkReconcile *r, const WkPaperEntry *entry, Context *c, GError **error)
{
  WkModel *model = wk_reconcile_get_model (r);
  g_autoptr (GPtrArray) versions = NULL;

  c->chart = wk_paper_chart_load (model, entry->chart_id, error);
  if (c->chart == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                     "Entry #%" G_GINT64_FORMAT " names chart %s, which was never scanned",
                     entry->id, entry->chart_id);
      return FALSE;
    }
  c->label = wk_chart_id_format (entry->chart_id);
  if (c->chart->patient_id > 0)
    c->patient = wk_patient_load (model, c->chart->patient_id, NULL);
  if (c->patient != NULL && c->patient->bed_id > 0)
    c->bed = wk_bed_load (model, c->patient->bed_id, NULL);
  versions = wk_order_load_versions (model, entry->placer_id, error);
  if (versions == NULL)
    return FALSE;
  for (guint i = 0; i < versions->len; i++)
    if (((WkOrder *)versions->pdata[i])->version == entry->order_version)
      c->order = wk_order_copy (versions->pdata[i]);
  if (c->order == NULL && versions->len > 0)
    c->order = wk_order_copy (versions->pdata[versions->len - 1]);
  if (c->order == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Entry #%" G_GINT64_FORMAT " is for order %s, which the model does not have: "
                   "it cannot be exported until the feed has the order",
                   entry->id, entry->placer_id);
      return FALSE;
    }
  c->route = g_strdup (c->order->route);
  return TRUE;
}

static char *
format_number (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.6g", value));
}

/* "Back-entered from downtime paper chart 7KQ2-M9XD page 2, keyed in by P Harmacist". */
static char *
provenance (const Context *c, const WkPaperEntry *entry)
{
  return g_strdup_printf ("Back-entered from downtime paper chart %s page %u, keyed in by %s",
                          c->label, entry->page, entry->entered_by);
}

static void
append_base36 (GString *text, guint64 value)
{
  char  digits[16];
  gsize n = 0;

  do
    {
      digits[n++] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[value % 36];
      value /= 36;
    }
  while (value > 0);
  while (n > 0)
    g_string_append_c (text, digits[--n]);
}

/**
 * wk_back_entry_dup_control_id:
 * @entry: an entry
 *
 * Returns: (transfer full): an MSH-10 for a message exporting @entry, unique to this
 *   entry and this send (a re-export is a new message): "WK", the entry's id and the
 *   time in microseconds, in base 36 ("WK1C-L0Z3T9QK2P"), at most 20 characters
 */
char *
wk_back_entry_dup_control_id (const WkPaperEntry *entry)
{
  static GMutex lock;
  static gint64 last; /* never the same time twice in one process */
  GString      *text = g_string_new ("WK");
  gint64        now;

  g_mutex_lock (&lock);
  now = last = MAX (g_get_real_time (), last + 1);
  g_mutex_unlock (&lock);
  append_base36 (text, (guint64)entry->id);
  g_string_append_c (text, '-');
  append_base36 (text, (guint64)now);
  return g_string_free (text, FALSE);
}

/**
 * wk_back_entry_build_ras:
 * @reconcile: a #WkReconcile
 * @entry: the entry
 * @control_id: MSH-10
 * @now: MSH-7 and ORC-9 (UTC seconds)
 * @error: return location for a #GError
 *
 * One RAS^O17 (v2.5.1) per entry: PID (the identifiers as `[hl7]` reads them), PV1,
 * ORC (`RE`, the placer order number, who keyed it in), RXA (sub-id 900000000 + the
 * entry's id, so that the record coming back on the feed is recognised; time, drug,
 * dose, the initials, reason not given, completion status `CP`, `RE` or `NA`, action
 * `A`, and the paper it came from) and RXR. README "After the outage" lists the fields.
 *
 * Returns: (transfer full): the message, or %NULL when the entry's chart or order is
 *   not in the model
 */
GBytes *
wk_back_entry_build_ras (WkReconcile        *reconcile,
                         const WkPaperEntry *entry,
                         const char         *control_id,
                         gint64              now,
                         GError            **error)
{
  const WkReconcileSettings *settings = wk_reconcile_get_settings (reconcile);
  g_auto (Context) c = { 0 };
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autofree char *sub_id = NULL;
  g_autofree char *dose = NULL;
  g_autofree char *note = NULL;
  guint            rep = 1;

  g_return_val_if_fail (reconcile != NULL, NULL);
  g_return_val_if_fail (entry != NULL && control_id != NULL, NULL);

  if (!load_context (reconcile, entry, &c, error))
    return NULL;

  wk_hl7_builder_msh (b, "RAS^O17^RAS_O17", control_id, now);
  wk_hl7_builder_field (b, 3, "WARDKEEP");
  wk_hl7_builder_field (b, 4, settings->ward_id);
  wk_hl7_builder_field (b, 5, settings->receiving_application);
  if (settings->receiving_facility != NULL)
    wk_hl7_builder_field (b, 6, settings->receiving_facility);

  wk_hl7_builder_segment (b, "PID");
  wk_hl7_builder_field (b, 1, "1");
  if (c.chart->nhs_number != NULL)
    {
      wk_hl7_builder_set (b, 3, rep, 1, 0, c.chart->nhs_number);
      wk_hl7_builder_set (b, 3, rep, 4, 0, settings->nhs_number_authority);
      wk_hl7_builder_set (b, 3, rep, 5, 0, settings->nhs_number_type);
      rep++;
    }
  {
    const char *hospital
        = c.patient != NULL ? c.patient->hospital_number : c.chart->hospital_number;

    if (hospital != NULL)
      {
        wk_hl7_builder_set (b, 3, rep, 1, 0, hospital);
        if (settings->hospital_number_authority != NULL)
          wk_hl7_builder_set (b, 3, rep, 4, 0, settings->hospital_number_authority);
        wk_hl7_builder_set (b, 3, rep, 5, 0, settings->hospital_number_type);
      }
  }
  if (c.patient != NULL)
    {
      wk_hl7_builder_component (b, 5, 1, c.patient->family_name);
      wk_hl7_builder_component (b, 5, 2, c.patient->given_names);
      if (c.patient->birth_date != NULL)
        {
          g_autofree char *dob = g_strdup (c.patient->birth_date);
          char            *out = dob;

          for (const char *p = c.patient->birth_date; *p != '\0'; p++)
            if (*p != '-')
              *out++ = *p;
          *out = '\0';
          wk_hl7_builder_field (b, 7, dob);
        }
    }
  wk_hl7_builder_segment (b, "PV1");
  wk_hl7_builder_field (b, 2, "I");
  wk_hl7_builder_component (b, 3, 1, c.chart->ward_id);
  if (c.bed != NULL && g_strcmp0 (c.bed->ward_id, c.chart->ward_id) == 0)
    {
      wk_hl7_builder_component (b, 3, 2, c.bed->bay);
      wk_hl7_builder_component (b, 3, 3, c.bed->bed);
    }

  wk_hl7_builder_segment (b, "ORC");
  wk_hl7_builder_field (b, 1, "RE");
  wk_hl7_builder_field (b, 2, entry->placer_id);
  wk_hl7_builder_field_time (b, 9, now);
  wk_hl7_builder_component (b, 10, 2, entry->entered_by);

  wk_hl7_builder_segment (b, "RXA");
  wk_hl7_builder_field (b, 1, "0");
  sub_id = g_strdup_printf ("%" G_GINT64_FORMAT, WK_PAPER_ENTRY_SUB_ID_BASE + entry->id);
  wk_hl7_builder_field (b, 2, sub_id);
  wk_hl7_builder_field_time (b, 3, entry->at);
  wk_hl7_builder_field_time (b, 4, entry->at);
  if (c.order->dmd_code != NULL)
    {
      wk_hl7_builder_component (b, 5, 1, c.order->dmd_code);
      wk_hl7_builder_component (b, 5, 3, "DMD");
    }
  wk_hl7_builder_component (b, 5, 2, c.order->drug);
  dose = format_number (entry->given ? entry->dose : 0);
  wk_hl7_builder_field (b, 6, dose);
  if (entry->given)
    {
      wk_hl7_builder_component (b, 7, 1, entry->dose_unit);
      wk_hl7_builder_component (b, 7, 2, entry->dose_unit);
    }
  note = provenance (&c, entry);
  wk_hl7_builder_component (b, 9, 2, note);
  if (entry->by_whom != NULL)
    wk_hl7_builder_component (b, 10, 2, entry->by_whom);
  if (!entry->given)
    {
      wk_hl7_builder_component (b, 18, 1, entry->reason_code);
      wk_hl7_builder_component (b, 18, 2, entry->reason);
      wk_hl7_builder_component (b, 18, 3, "WKNOTGIVEN");
    }
  wk_hl7_builder_field (b, 20,
                        entry->given                                                  ? "CP"
                        : g_strcmp0 (entry->reason_code, settings->refused_code) == 0 ? "RE"
                                                                                      : "NA");
  wk_hl7_builder_field (b, 21, "A");

  wk_hl7_builder_segment (b, "RXR");
  wk_hl7_builder_component (b, 1, 2, c.route);
  return wk_hl7_builder_end (b);
}

/* ---- FHIR R4 ------------------------------------------------------------------------ */

static void
set_string (JsonObject *object, const char *name, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
}

static JsonObject *
identifier (const char *system, const char *value)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "system", system);
  json_object_set_string_member (object, "value", value);
  return object;
}

static char *
fhir_time (gint64 utc)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);

  return g_date_time_format (when, "%Y-%m-%dT%H:%M:%S+00:00");
}

static JsonObject *
medication_administration (Context *c, const WkPaperEntry *entry)
{
  JsonObject      *resource = json_object_new ();
  JsonArray       *identifiers = json_array_new ();
  JsonObject      *medication = json_object_new ();
  JsonObject      *subject = json_object_new ();
  JsonObject      *request = json_object_new ();
  JsonArray       *notes = json_array_new ();
  JsonObject      *note = json_object_new ();
  g_autofree char *external = wk_paper_entry_dup_external_id (entry);
  g_autofree char *effective = fhir_time (entry->at);
  g_autofree char *text = provenance (c, entry);

  json_object_set_string_member (resource, "resourceType", "MedicationAdministration");
  json_array_add_object_element (identifiers, identifier (WK_BACK_ENTRY_SYSTEM_ENTRY, external));
  json_object_set_array_member (resource, "identifier", identifiers);
  json_object_set_string_member (resource, "status", entry->given ? "completed" : "not-done");
  if (!entry->given)
    {
      JsonArray  *reasons = json_array_new ();
      JsonObject *reason = json_object_new ();
      JsonArray  *codings = json_array_new ();
      JsonObject *coding = json_object_new ();

      json_object_set_string_member (coding, "system", "urn:wardkeep:not-given-reason");
      set_string (coding, "code", entry->reason_code);
      set_string (coding, "display", entry->reason);
      json_array_add_object_element (codings, coding);
      json_object_set_array_member (reason, "coding", codings);
      set_string (reason, "text", entry->reason);
      json_array_add_object_element (reasons, reason);
      json_object_set_array_member (resource, "statusReason", reasons);
    }
  if (c->order->dmd_code != NULL)
    {
      JsonArray  *codings = json_array_new ();
      JsonObject *coding = json_object_new ();

      json_object_set_string_member (coding, "system", WK_BACK_ENTRY_SYSTEM_DMD);
      json_object_set_string_member (coding, "code", c->order->dmd_code);
      json_object_set_string_member (coding, "display", c->order->drug);
      json_array_add_object_element (codings, coding);
      json_object_set_array_member (medication, "coding", codings);
    }
  json_object_set_string_member (medication, "text", c->order->drug);
  json_object_set_object_member (resource, "medicationCodeableConcept", medication);
  if (c->chart->nhs_number != NULL)
    json_object_set_object_member (
        subject, "identifier", identifier (WK_BACK_ENTRY_SYSTEM_NHS_NUMBER, c->chart->nhs_number));
  else
    json_object_set_object_member (
        subject, "identifier",
        identifier ("urn:wardkeep:hospital-number", c->chart->hospital_number));
  json_object_set_object_member (resource, "subject", subject);
  json_object_set_string_member (resource, "effectiveDateTime", effective);
  if (entry->by_whom != NULL)
    {
      JsonArray  *performers = json_array_new ();
      JsonObject *performer = json_object_new ();
      JsonObject *actor = json_object_new ();

      json_object_set_string_member (actor, "display", entry->by_whom);
      json_object_set_object_member (performer, "actor", actor);
      json_array_add_object_element (performers, performer);
      json_object_set_array_member (resource, "performer", performers);
    }
  json_object_set_string_member (request, "type", "MedicationRequest");
  json_object_set_object_member (request, "identifier",
                                 identifier (WK_BACK_ENTRY_SYSTEM_ORDER, entry->placer_id));
  json_object_set_object_member (resource, "request", request);
  json_object_set_string_member (note, "text", text);
  json_array_add_object_element (notes, note);
  if (entry->note != NULL)
    {
      JsonObject *pharmacist = json_object_new ();

      json_object_set_string_member (pharmacist, "text", entry->note);
      json_array_add_object_element (notes, pharmacist);
    }
  json_object_set_array_member (resource, "note", notes);
  if (entry->given)
    {
      JsonObject      *dosage = json_object_new ();
      JsonObject      *route = json_object_new ();
      JsonObject      *dose = json_object_new ();
      g_autofree char *amount = format_number (entry->dose);
      g_autofree char *words
          = g_strdup_printf ("%s %s %s", amount, entry->dose_unit != NULL ? entry->dose_unit : "",
                             c->route != NULL ? c->route : "");

      json_object_set_string_member (dosage, "text", g_strstrip (words));
      if (c->route != NULL)
        {
          json_object_set_string_member (route, "text", c->route);
          json_object_set_object_member (dosage, "route", route);
        }
      else
        json_object_unref (route);
      json_object_set_double_member (dose, "value", entry->dose);
      set_string (dose, "unit", entry->dose_unit);
      json_object_set_object_member (dosage, "dose", dose);
      json_object_set_object_member (resource, "dosage", dosage);
    }
  return resource;
}

/**
 * wk_back_entry_build_fhir:
 * @reconcile: a #WkReconcile
 * @entries: (element-type WkPaperEntry): the entries
 * @now: the bundle's timestamp (UTC seconds)
 * @error: return location for a #GError
 *
 * A FHIR R4 Bundle of type `transaction`: one MedicationAdministration per entry, each
 * POSTed only if none with its identifier exists (`ifNoneExist`), so that the server
 * itself refuses a second copy. README "After the outage" lists the elements.
 *
 * Returns: (transfer full): the bundle as JSON text, or %NULL when an entry cannot be
 *   exported
 */
char *
wk_back_entry_build_fhir (WkReconcile *reconcile, GPtrArray *entries, gint64 now, GError **error)
{
  g_autoptr (JsonObject) bundle = json_object_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *timestamp = fhir_time (now);
  g_autofree char *id = g_uuid_string_random ();
  JsonArray       *list = json_array_new ();

  g_return_val_if_fail (reconcile != NULL && entries != NULL, NULL);

  json_object_set_string_member (bundle, "resourceType", "Bundle");
  json_object_set_string_member (bundle, "id", id);
  json_object_set_string_member (bundle, "type", "transaction");
  json_object_set_string_member (bundle, "timestamp", timestamp);
  json_object_set_array_member (bundle, "entry", list);
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];
      g_auto (Context) c = { 0 };
      JsonObject      *item = json_object_new ();
      JsonObject      *request = json_object_new ();
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *full_url = g_strconcat ("urn:uuid:", uuid, NULL);
      g_autofree char *external = wk_paper_entry_dup_external_id (entry);
      g_autofree char *condition = NULL;
      g_autofree char *escaped = g_uri_escape_string (external, NULL, FALSE);

      if (!load_context (reconcile, entry, &c, error))
        {
          json_object_unref (item);
          json_object_unref (request);
          return NULL;
        }
      json_object_set_string_member (item, "fullUrl", full_url);
      json_object_set_object_member (item, "resource", medication_administration (&c, entry));
      json_object_set_string_member (request, "method", "POST");
      json_object_set_string_member (request, "url", "MedicationAdministration");
      condition = g_strdup_printf ("identifier=%s|%s", WK_BACK_ENTRY_SYSTEM_ENTRY, escaped);
      json_object_set_string_member (request, "ifNoneExist", condition);
      json_object_set_object_member (item, "request", request);
      json_array_add_object_element (list, item);
    }
  json_node_set_object (root, bundle);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

/* ---- CSV ---------------------------------------------------------------------------- */

/* RFC 4180 quoting; text a spreadsheet would run as a formula is prefixed with '. */
static void
append_cell (GString *line, guint *column, const char *value, gboolean text)
{
  gboolean quote;

  if ((*column)++ > 0)
    g_string_append_c (line, ',');
  if (value == NULL)
    return;
  quote = strpbrk (value, ",\"\r\n") != NULL;
  if (quote)
    g_string_append_c (line, '"');
  if (text && strchr ("=+-@\t\r", value[0]) != NULL && value[0] != '\0')
    g_string_append_c (line, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (line, '"');
      g_string_append_c (line, *p);
    }
  if (quote)
    g_string_append_c (line, '"');
}

static const char *const csv_columns[] = {
  "entry",       "chart",       "page",   "nhs_number",    "hospital_number",
  "family_name", "given_names", "order",  "order_version", "drug",
  "dmd_code",    "due",         "status", "given_at",      "given_at_local",
  "dose",        "unit",        "route",  "reason_code",   "reason",
  "initials",    "flags",       "note",   "entered_by",    "entered_at",
  "external_id",
};

/**
 * wk_back_entry_build_csv:
 * @reconcile: a #WkReconcile
 * @entries: (element-type WkPaperEntry): the entries
 * @error: return location for a #GError
 *
 * CSV (RFC 4180, UTF-8, CRLF line ends) with a header line: one line per entry, times in
 * UTC (ISO 8601) and the due and given times in the ward's time zone as well. A text
 * cell a spreadsheet would run as a formula (starting with = + - @) is prefixed with '.
 *
 * Returns: (transfer full): the CSV text, or %NULL when an entry cannot be exported
 */
char *
wk_back_entry_build_csv (WkReconcile *reconcile, GPtrArray *entries, GError **error)
{
  const WkReconcileSettings *settings = wk_reconcile_get_settings (reconcile);
  g_autoptr (GString) csv = g_string_new (NULL);
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (settings->timezone);
  guint column = 0;

  g_return_val_if_fail (reconcile != NULL && entries != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    append_cell (csv, &column, csv_columns[i], FALSE);
  g_string_append (csv, "\r\n");
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];
      g_auto (Context) c = { 0 };
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, entry->id);
      g_autofree char *page = g_strdup_printf ("%u", entry->page);
      g_autofree char *version = g_strdup_printf ("%d", entry->order_version);
      g_autofree char *dose = entry->given ? format_number (entry->dose) : NULL;
      g_autofree char *flags = wk_paper_flags_to_string (entry->flags);
      g_autofree char *external = wk_paper_entry_dup_external_id (entry);
      g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (entry->at);
      g_autoptr (GDateTime) local = g_date_time_to_timezone (at, tz);
      g_autofree char *at_utc = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");
      g_autofree char *at_local = g_date_time_format (local, "%Y-%m-%d %H:%M");
      g_autofree char *due = NULL;
      g_autofree char *entered = NULL;

      if (!load_context (reconcile, entry, &c, error))
        return NULL;
      column = 0;
      if (entry->due_at != 0)
        {
          g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (entry->due_at);

          due = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
        }
      {
        g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (entry->entered_at);

        entered = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
      }
      append_cell (csv, &column, id, FALSE);
      append_cell (csv, &column, c.label, FALSE);
      append_cell (csv, &column, page, FALSE);
      append_cell (csv, &column, c.chart->nhs_number, FALSE);
      append_cell (csv, &column,
                   c.patient != NULL ? c.patient->hospital_number : c.chart->hospital_number, TRUE);
      append_cell (csv, &column, c.patient != NULL ? c.patient->family_name : NULL, TRUE);
      append_cell (csv, &column, c.patient != NULL ? c.patient->given_names : NULL, TRUE);
      append_cell (csv, &column, entry->placer_id, TRUE);
      append_cell (csv, &column, version, FALSE);
      append_cell (csv, &column, c.order->drug, TRUE);
      append_cell (csv, &column, c.order->dmd_code, FALSE);
      append_cell (csv, &column, due, FALSE);
      append_cell (csv, &column, entry->given ? "given" : "not-given", FALSE);
      append_cell (csv, &column, at_utc, FALSE);
      append_cell (csv, &column, at_local, FALSE);
      append_cell (csv, &column, dose, FALSE);
      append_cell (csv, &column, entry->given ? entry->dose_unit : NULL, TRUE);
      append_cell (csv, &column, c.route, TRUE);
      append_cell (csv, &column, entry->reason_code, TRUE);
      append_cell (csv, &column, entry->reason, TRUE);
      append_cell (csv, &column, entry->by_whom, TRUE);
      append_cell (csv, &column, flags, FALSE);
      append_cell (csv, &column, entry->note, TRUE);
      append_cell (csv, &column, entry->entered_by, TRUE);
      append_cell (csv, &column, entered, FALSE);
      append_cell (csv, &column, external, TRUE);
      g_string_append (csv, "\r\n");
    }
  return g_string_free (g_steal_pointer (&csv), FALSE);
}

/* ---- Exports: files, and messages to the interface engine -------------------------- */

/**
 * wk_back_entry_file_free:
 * @file: (nullable) (transfer full): a #WkBackEntryFile
 */
void
wk_back_entry_file_free (WkBackEntryFile *file)
{
  if (file == NULL)
    return;
  g_clear_pointer (&file->entries, g_ptr_array_unref);
  if (file->content != NULL)
    {
      /* Patient data: wiped, not only freed. */
      memset (file->content, 0, strlen (file->content));
      g_free (file->content);
    }
  g_free (file);
}

/**
 * wk_back_entry_prepare:
 * @reconcile: a #WkReconcile
 * @episode_id: (nullable): as for wk_reconcile_select_export()
 * @format: %WK_PAPER_EXPORT_FHIR or %WK_PAPER_EXPORT_CSV
 * @again: include entries already exported in @format (an explicit re-export)
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Builds the document of the entries not yet exported in @format (all of them with
 * @again). Nothing is recorded until wk_back_entry_commit().
 *
 * Returns: (transfer full): the document (possibly of no entries), or %NULL with @error
 */
WkBackEntryFile *
wk_back_entry_prepare (WkReconcile        *reconcile,
                       const char         *episode_id,
                       WkPaperExportFormat format,
                       gboolean            again,
                       gint64              now,
                       GError            **error)
{
  g_autoptr (WkBackEntryFile) file = g_new0 (WkBackEntryFile, 1);

  g_return_val_if_fail (reconcile != NULL, NULL);
  g_return_val_if_fail (format == WK_PAPER_EXPORT_FHIR || format == WK_PAPER_EXPORT_CSV, NULL);

  file->format = format;
  file->again = again;
  file->entries = wk_reconcile_select_export (reconcile, episode_id, format, again, error);
  if (file->entries == NULL)
    return NULL;
  file->content = format == WK_PAPER_EXPORT_FHIR
                      ? wk_back_entry_build_fhir (reconcile, file->entries, now, error)
                      : wk_back_entry_build_csv (reconcile, file->entries, error);
  if (file->content == NULL)
    return NULL;
  return g_steal_pointer (&file);
}

/**
 * wk_back_entry_commit:
 * @reconcile: a #WkReconcile
 * @file: a document from wk_back_entry_prepare(), written out by the caller
 * @who: who exported it
 * @destination: (nullable): where it went (a file name, "standard output")
 * @now: the time now (UTC seconds)
 * @error: return location for a #GError
 *
 * Records every entry of @file as exported in its format, all or nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_back_entry_commit (WkReconcile     *reconcile,
                      WkBackEntryFile *file,
                      const char      *who,
                      const char      *destination,
                      gint64           now,
                      GError         **error)
{
  WkModel *model = wk_reconcile_get_model (reconcile);

  g_return_val_if_fail (reconcile != NULL && file != NULL, FALSE);

  if (!wk_model_begin (model, error))
    return FALSE;
  for (guint i = 0; i < file->entries->len; i++)
    {
      const WkPaperEntry *entry = file->entries->pdata[i];

      if (!wk_paper_entry_record_export (model, entry->id, file->format, now, who, destination,
                                         NULL, error))
        {
          wk_model_rollback (model);
          return FALSE;
        }
    }
  if (!wk_model_commit (model, error))
    {
      wk_model_rollback (model);
      return FALSE;
    }
  g_message ("%u paper entries exported as %s%s", file->entries->len,
             wk_paper_export_format_to_string (file->format), file->again ? " (again)" : "");
  return TRUE;
}

/* One RAS^O17 message waiting to go. */
typedef struct
{
  gint64  entry_id;
  char   *control_id;
  GBytes *message;
  /* Filled as it goes. */
  char *ack;
  guint attempts;
  char *problem;
} Outgoing;

static void
outgoing_free (gpointer data)
{
  Outgoing *out = data;

  g_free (out->control_id);
  g_bytes_unref (out->message);
  g_free (out->ack);
  g_free (out->problem);
  g_free (out);
}

typedef struct
{
  WkReconcile  *reconcile;
  WkMllpSender *sender;
  GPtrArray    *outgoing;
  char         *who;
  gboolean      again;
  GMainContext *context;  /* the caller's: the model is written there only */
  GAsyncQueue  *recorded; /* the main thread's answers to "record this one" */
  char         *stopped;  /* why sending stopped early */
  guint         sent;
} SendJob;

static void
send_job_free (gpointer data)
{
  SendJob *job = data;

  wk_mllp_sender_free (job->sender);
  g_ptr_array_unref (job->outgoing);
  g_free (job->who);
  g_main_context_unref (job->context);
  g_async_queue_unref (job->recorded);
  g_free (job->stopped);
  g_free (job);
}

typedef struct
{
  SendJob  *job;
  Outgoing *out;
} RecordCall;

/* On the caller's main context: records one acknowledged message before the next goes. */
static gboolean
record_sent_cb (gpointer data)
{
  RecordCall *call = data;
  g_autoptr (GError) error = NULL;
  WkModel *model = wk_reconcile_get_model (call->job->reconcile);
  gboolean ok = wk_paper_entry_record_export (model, call->out->entry_id, WK_PAPER_EXPORT_HL7,
                                              g_get_real_time () / G_USEC_PER_SEC, call->job->who,
                                              wk_mllp_sender_get_address (call->job->sender),
                                              call->out->control_id, &error);

  if (!ok)
    call->out->problem
        = g_strdup_printf ("acknowledged, but not recorded as exported: %s", error->message);
  g_async_queue_push (call->job->recorded, GINT_TO_POINTER (ok ? 1 : 2));
  g_free (call);
  return G_SOURCE_REMOVE;
}

static void
send_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SendJob *job = data;

  for (guint i = 0; i < job->outgoing->len; i++)
    {
      Outgoing *out = job->outgoing->pdata[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (WkMllpAck) ack
          = wk_mllp_sender_send (job->sender, out->message, cancellable, &error);
      RecordCall *call;

      if (ack == NULL)
        {
          out->problem = g_strdup (error->message);
          job->stopped = g_strdup (error->message);
          break;
        }
      out->ack = g_strdup (ack->code);
      out->attempts = ack->attempts;
      /* Recorded on the main context before the next message is sent. */
      call = g_new0 (RecordCall, 1);
      call->job = job;
      call->out = out;
      g_main_context_invoke (job->context, record_sent_cb, call);
      if (GPOINTER_TO_INT (g_async_queue_pop (job->recorded)) != 1)
        {
          job->stopped = g_strdup (out->problem);
          break;
        }
      job->sent++;
    }
  wk_mllp_sender_close (job->sender);
  g_task_return_boolean (task, TRUE);
}

/**
 * wk_back_entry_send_async:
 * @reconcile: a #WkReconcile
 * @episode_id: (nullable): as for wk_reconcile_select_export()
 * @again: send entries already exported over HL7 too (an explicit re-export)
 * @who: who is exporting
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: for @callback
 *
 * Sends the entries not yet exported over HL7 to `[reconcile] export-address`, one
 * RAS^O17 each, in a worker thread; each message acknowledged is recorded as exported
 * (on the caller's main context) before the next is sent, so that a message is never
 * counted unsent once acknowledged. The first message that cannot be delivered after
 * the retries stops the export; what was sent stays recorded.
 */
void
wk_back_entry_send_async (WkReconcile        *reconcile,
                          const char         *episode_id,
                          gboolean            again,
                          const char         *who,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  const WkReconcileSettings *settings = wk_reconcile_get_settings (reconcile);
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  SendJob *job;
  gint64   now = g_get_real_time () / G_USEC_PER_SEC;

  g_task_set_source_tag (task, wk_back_entry_send_async);
  if (settings->export_address == NULL)
    {
      g_task_return_new_error (task, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                               "HL7 export is not configured: set [reconcile] export-address to "
                               "the interface engine's host:port (or export FHIR or CSV)");
      return;
    }
  job = g_new0 (SendJob, 1);
  job->reconcile = reconcile;
  job->who = g_strdup (who);
  job->again = again;
  job->context = g_main_context_ref_thread_default ();
  job->recorded = g_async_queue_new ();
  job->outgoing = g_ptr_array_new_with_free_func (outgoing_free);
  g_task_set_task_data (task, job, send_job_free);
  job->sender = wk_mllp_sender_new (settings->export_address, &error);
  if (job->sender == NULL
      || !wk_mllp_sender_set_tls (job->sender, settings->export_tls, settings->export_ca_file,
                                  &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  wk_mllp_sender_set_timeout (job->sender, settings->export_timeout_ms);
  wk_mllp_sender_set_retries (job->sender, settings->export_retries,
                              settings->export_retry_delay_ms);

  /* Messages are built here: the model is read on this thread only. */
  entries = wk_reconcile_select_export (reconcile, episode_id, WK_PAPER_EXPORT_HL7, again, &error);
  if (entries == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const WkPaperEntry *entry = entries->pdata[i];
      Outgoing           *out = g_new0 (Outgoing, 1);

      out->entry_id = entry->id;
      out->control_id = wk_back_entry_dup_control_id (entry);
      out->message = wk_back_entry_build_ras (reconcile, entry, out->control_id, now, &error);
      if (out->message == NULL)
        {
          outgoing_free (out);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_ptr_array_add (job->outgoing, out);
    }
  g_task_run_in_thread (task, send_thread);
}

/**
 * wk_back_entry_send_finish:
 * @reconcile: a #WkReconcile
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what happened: `{"format": "hl7", "destination", "total",
 *   "sent", "again", "stopped" (why sending stopped early, or null), "messages": [{"entry",
 *   "control_id", "ack", "attempts", "problem"}]}`; %NULL with @error when nothing could
 *   be tried (HL7 export not configured, an entry that cannot be built)
 */
JsonObject *
wk_back_entry_send_finish (WkReconcile *reconcile, GAsyncResult *result, GError **error)
{
  GTask   *task = G_TASK (result);
  SendJob *job;
  g_autoptr (JsonObject) object = NULL;
  JsonArray *messages;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  if (!g_task_propagate_boolean (task, error))
    return NULL;
  job = g_task_get_task_data (task);
  object = json_object_new ();
  messages = json_array_new ();
  json_object_set_string_member (object, "format", "hl7");
  json_object_set_string_member (object, "destination", wk_mllp_sender_get_address (job->sender));
  json_object_set_int_member (object, "total", job->outgoing->len);
  json_object_set_int_member (object, "sent", job->sent);
  json_object_set_boolean_member (object, "again", job->again);
  if (job->stopped != NULL)
    json_object_set_string_member (object, "stopped", job->stopped);
  else
    json_object_set_null_member (object, "stopped");
  for (guint i = 0; i < job->outgoing->len; i++)
    {
      Outgoing   *out = job->outgoing->pdata[i];
      JsonObject *item = json_object_new ();

      json_object_set_int_member (item, "entry", out->entry_id);
      json_object_set_string_member (item, "control_id", out->control_id);
      set_string (item, "ack", out->ack);
      json_object_set_int_member (item, "attempts", out->attempts);
      set_string (item, "problem", out->problem);
      json_array_add_object_element (messages, item);
    }
  json_object_set_array_member (object, "messages", messages);
  g_message ("HL7 export to %s: %u of %u messages acknowledged%s%s",
             wk_mllp_sender_get_address (job->sender), job->sent, job->outgoing->len,
             job->stopped != NULL ? "; stopped: " : "", job->stopped != NULL ? job->stopped : "");
  return g_steal_pointer (&object);
}
