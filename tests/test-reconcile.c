/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-reconcile.c — reconciliation on a ward model: scanning, status, keying in, report. */

#include "wk-administration.h"
#include "wk-base45.h"
#include "wk-chart-document.h"
#include "wk-chart-id.h"
#include "wk-chart-payload.h"
#include "wk-chart-renderer.h"
#include "wk-ledger.h"
#include "wk-order.h"
#include "wk-paper-chart.h"
#include "wk-paper-entry.h"
#include "wk-print-error.h"
#include "wk-reconcile-log.h"
#include "wk-reconcile-report.h"
#include "wk-reconcile.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <string.h>

/* Saturday 14 March 2026 in London (GMT): data 02:13, printed 02:50. */
#define HOUR 3600
#define NOW (WK_TEST_PRINTED_AT + 20 * HOUR) /* 22:50 the same day */

typedef struct
{
  WkKeys      *keys;
  WkModel     *model;
  GPtrArray   *documents; /* the census, then one chart per patient */
  WkReconcile *reconcile;
} Fixture;

static WkReconcile *
reconcile_new (WkModel *model, WkKeys *keys, const char *extra)
{
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\n%s", extra != NULL ? extra : "");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "test.conf", &error);
  WkReconcileSettings *settings;
  WkReconcile         *reconcile;

  g_assert_no_error (error);
  settings = wk_reconcile_settings_new (config, keys, &error);
  g_assert_no_error (error);
  reconcile = wk_reconcile_new (model, settings, &error);
  g_assert_no_error (error);
  return reconcile;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  WkChartOptions options;

  f->keys = wk_test_keys_new (0x42);
  f->model = wk_test_ward_new (6);
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, f->keys, &error);
  g_assert_no_error (error);
  f->documents = wk_chart_renderer_render_ward (renderer, f->model, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->documents->len, ==, 5);
  f->reconcile = reconcile_new (f->model, f->keys, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wk_reconcile_free (f->reconcile);
  g_ptr_array_unref (f->documents);
  wk_model_free (f->model);
  wk_keys_free (f->keys);
}

/* The chart of the @n-th patient (0: the first bed's). */
static WkChartDocument *
chart (Fixture *f, guint n)
{
  WkChartDocument *document = f->documents->pdata[1 + n];

  g_assert_cmpint (wk_chart_document_get_kind (document), ==, WK_CHART_DOCUMENT_CHART);
  return document;
}

static WkReconcileScan *
scan_page (Fixture *f, WkChartDocument *document, guint index)
{
  g_autoptr (GError) error = NULL;
  WkReconcileScan *scan
      = wk_reconcile_scan (f->reconcile, wk_chart_document_get_page_payload (document, index), -1,
                           "P Harmacist", NOW, &error);

  g_assert_no_error (error);
  return scan;
}

static void
scan_all (Fixture *f, WkChartDocument *document)
{
  for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
    wk_reconcile_scan_free (scan_page (f, document, p));
}

static JsonObject *
status_chart (Fixture *f, const char *chart_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = wk_reconcile_dup_status (f->reconcile, NOW, &error);
  JsonArray *episodes;

  g_assert_no_error (error);
  episodes = json_object_get_array_member (status, "episodes");
  for (guint e = 0; e < json_array_get_length (episodes); e++)
    {
      JsonArray *charts
          = json_object_get_array_member (json_array_get_object_element (episodes, e), "charts");

      for (guint c = 0; c < json_array_get_length (charts); c++)
        {
          JsonObject *object = json_array_get_object_element (charts, c);

          if (g_strcmp0 (json_object_get_string_member (object, "chart"), chart_id) == 0)
            return json_object_ref (object);
        }
    }
  return NULL;
}

static char *
pages_text (JsonObject *object, const char *member)
{
  JsonArray *pages = json_object_get_array_member (object, member);
  GString   *text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (pages); i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            json_array_get_int_element (pages, i));
  return g_string_free (text, FALSE);
}

/* ---- Scanning ------------------------------------------------------------------------ */

/* Every page of a chart scanned: the chart is returned in full, page by page. */
static void
test_scan_accepts (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  const char      *id = wk_chart_document_get_id (document);
  guint            n = wk_chart_document_get_n_pages (document);
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *returned = NULL;

  for (guint p = 0; p < n; p++)
    {
      g_autoptr (WkReconcileScan) scan = scan_page (f, document, p);

      g_assert_cmpstr (scan->chart_id, ==, id);
      g_assert_cmpuint (scan->page, ==, p + 1);
      g_assert_cmpuint (scan->n_pages, ==, n);
      g_assert_cmpuint (scan->scans, ==, 1);
      g_assert_cmpint (scan->patient_id, ==, wk_chart_document_get_patient_id (document));
      g_assert_cmpuint (scan->missing->len, ==, n - p - 1);
    }
  status = status_chart (f, id);
  g_assert_nonnull (status);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "returned");
  returned = pages_text (status, "returned");
  g_assert_cmpstr (returned, ==, n == 1 ? "1" : "1,2");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (status, "missing")), ==,
                    0);

  /* Each page is audited, with who scanned it. */
  events = wk_reconcile_log_load (f->model, id, NULL);
  g_assert_cmpuint (events->len, ==, n);
  g_assert_cmpstr (((WkReconcileEvent *)events->pdata[0])->action, ==, "scan");
  g_assert_cmpstr (((WkReconcileEvent *)events->pdata[0])->who, ==, "P Harmacist");
}

static void
assert_refused (Fixture *f, const char *text, GQuark domain, int code, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkReconcileScan) scan
      = wk_reconcile_scan (f->reconcile, text, -1, "P Harmacist", NOW, &error);
  g_autoptr (GPtrArray) charts = NULL;

  g_assert_null (scan);
  g_assert_error (error, domain, code);
  if (strstr (error->message, words) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, words);
  /* Nothing was recorded. */
  charts = wk_paper_chart_load_all (f->model, NULL);
  g_assert_cmpuint (charts->len, ==, 0);
}

/* Tampered, foreign, drill and other-ward codes are refused with the reason. */
static void
test_scan_refuses (Fixture *f, gconstpointer data)
{
  const char *payload = wk_chart_document_get_page_payload (chart (f, 0), 0);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize              size;

  /* A byte changed after signing: the signature no longer verifies. */
  bytes = wk_base45_decode (payload + 3, strlen (payload) - 3, &size, &error);
  g_assert_no_error (error);
  bytes[size / 2] ^= 0x01;
  {
    g_autofree char *encoded = wk_base45_encode (bytes, size);
    g_autofree char *tampered = g_strconcat ("WK:", encoded, NULL);

    assert_refused (f, tampered, WK_PRINT_ERROR, WK_PRINT_ERROR_SIGNATURE, "changed");
  }

  /* Signed by another kiosk's key that is not trusted. */
  {
    g_autoptr (WkKeys) foreign = wk_test_keys_new (0x43);
    g_autoptr (WkChartRenderer) renderer = NULL;
    g_autoptr (WkChartDocument) document = NULL;
    WkChartOptions options;

    wk_test_chart_options (&options);
    renderer = wk_chart_renderer_new (&options, foreign, &error);
    document = wk_chart_renderer_render_chart (
        renderer, f->model, wk_chart_document_get_patient_id (chart (f, 0)), &error);
    g_assert_no_error (error);
    assert_refused (f, wk_chart_document_get_page_payload (document, 0), WK_PRINT_ERROR,
                    WK_PRINT_ERROR_UNKNOWN_KEY, "not trusted");
  }

  /* Not ours, and cut short. */
  assert_refused (f, "https://example.org/leaflet", WK_PRINT_ERROR, WK_PRINT_ERROR_FOREIGN,
                  "not a wardkeep chart code");
  {
    g_autofree char *cut = g_strndup (payload, strlen (payload) / 2);

    assert_refused (f, cut, WK_PRINT_ERROR, WK_PRINT_ERROR_TRUNCATED, "cut short");
  }

  /* A drill chart is genuine, but not a clinical record. */
  {
    g_autoptr (WkChartRenderer) renderer = NULL;
    g_autoptr (WkChartDocument) document = NULL;
    WkChartOptions options;

    wk_test_chart_options (&options);
    options.drill = TRUE;
    renderer = wk_chart_renderer_new (&options, f->keys, &error);
    document = wk_chart_renderer_render_chart (
        renderer, f->model, wk_chart_document_get_patient_id (chart (f, 0)), &error);
    g_assert_no_error (error);
    assert_refused (f, wk_chart_document_get_page_payload (document, 0), WK_PRINT_ERROR,
                    WK_PRINT_ERROR_DRILL, "printed in a DRILL");
  }

  /* Another ward's chart, signed by a trusted key. */
  {
    g_autoptr (WkChartRenderer) renderer = NULL;
    g_autoptr (WkChartDocument) document = NULL;
    WkChartOptions options;

    wk_test_chart_options (&options);
    options.ward_id = "7B";
    renderer = wk_chart_renderer_new (&options, f->keys, &error);
    document = wk_chart_renderer_render_chart (
        renderer, f->model, wk_chart_document_get_patient_id (chart (f, 0)), &error);
    g_assert_no_error (error);
    assert_refused (f, wk_chart_document_get_page_payload (document, 0), WK_PRINT_ERROR,
                    WK_PRINT_ERROR_INVALID, "printed for ward 7B");
  }
}

/* Another kiosk's key, once trusted in [reconcile] trusted-keys, is accepted. */
static void
test_scan_trusted_key (Fixture *f, gconstpointer data)
{
  g_autoptr (WkKeys) other = wk_test_keys_new (0x43);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (WkReconcileScan) scan = NULL;
  g_autofree char *hex = g_malloc (2 * WK_KEYS_PUBLIC_KEY_SIZE + 1);
  g_autofree char *extra = NULL;
  WkChartOptions   options;

  for (guint i = 0; i < WK_KEYS_PUBLIC_KEY_SIZE; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", wk_keys_get_public_key (other)[i]);
  extra = g_strdup_printf ("[reconcile]\ntrusted-keys = %s:%s\ntrust-own-key = false\n",
                           wk_keys_get_key_id (other), hex);
  wk_reconcile_free (f->reconcile);
  f->reconcile = reconcile_new (f->model, NULL, extra);

  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, other, &error);
  document = wk_chart_renderer_render_chart (
      renderer, f->model, wk_chart_document_get_patient_id (chart (f, 0)), &error);
  g_assert_no_error (error);
  scan = wk_reconcile_scan (f->reconcile, wk_chart_document_get_page_payload (document, 0), -1,
                            "P Harmacist", NOW, &error);
  g_assert_no_error (error);
  g_assert_true (scan->outside_ledger);

  /* This kiosk's own key is no longer trusted. */
  g_clear_pointer (&scan, wk_reconcile_scan_free);
  scan = wk_reconcile_scan (f->reconcile, wk_chart_document_get_page_payload (chart (f, 1), 0), -1,
                            "P Harmacist", NOW, &error);
  g_assert_null (scan);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNKNOWN_KEY);
}

/* A page scanned twice is counted as returned twice; the chart is returned once. */
static void
test_scan_twice (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 1);
  g_autoptr (WkReconcileScan) first = scan_page (f, document, 0);
  g_autoptr (WkReconcileScan) second = scan_page (f, document, 0);
  g_autoptr (JsonObject) status = status_chart (f, wk_chart_document_get_id (document));
  g_autofree char *twice = pages_text (status, "returned_twice");

  g_assert_cmpuint (first->scans, ==, 1);
  g_assert_cmpuint (second->scans, ==, 2);
  g_assert_cmpstr (twice, ==, "1");
}

/* The patient with many orders has a chart of several pages; page 2 never comes back. */
static void
test_status_missing_page (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *returned = NULL;
  gint64           patient = wk_chart_document_get_patient_id (chart (f, 0));
  WkChartOptions   options;
  guint            n;

  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *placer = g_strdup_printf ("EXTRA-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (patient, placer, 1);

      g_assert_true (wk_order_insert (f->model, order, &error));
    }
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, f->keys, &error);
  document = wk_chart_renderer_render_chart (renderer, f->model, patient, &error);
  g_assert_no_error (error);
  n = wk_chart_document_get_n_pages (document);
  g_assert_cmpuint (n, >=, 3);
  for (guint p = 0; p < n; p++)
    if (p != 1)
      wk_reconcile_scan_free (scan_page (f, document, p));

  status = status_chart (f, wk_chart_document_get_id (document));
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "missing-pages");
  missing = pages_text (status, "missing");
  g_assert_cmpstr (missing, ==, "2");
  returned = pages_text (status, "returned");
  g_assert_true (g_str_has_prefix (returned, "1,3"));
}

/* ---- Keying in ------------------------------------------------------------------------- */

/* What a box says when a dose was given, initialled AB, keyed in by P Harmacist. */
static WkReconcileInput
given_input (const char *chart_id, const char *order)
{
  WkReconcileInput input = { 0 };

  input.chart_id = chart_id;
  input.placer_id = order;
  input.given = TRUE;
  input.by = "AB";
  input.who = "P Harmacist";
  return input;
}

static WkPaperEntry *
enter (Fixture    *f,
       const char *chart_id,
       const char *order,
       const char *due,
       gboolean    given,
       const char *at,
       GError    **error)
{
  WkReconcileInput input = given_input (chart_id, order);

  input.due = due;
  input.given = given;
  input.reason_code = given ? NULL : "2";
  input.at = at;
  return wk_reconcile_enter (f->reconcile, &input, NOW, error);
}

static WkPaperEntry *
enter_ok (Fixture    *f,
          const char *chart_id,
          const char *order,
          const char *due,
          gboolean    given,
          const char *at)
{
  g_autoptr (GError) error = NULL;
  WkPaperEntry *entry = enter (f, chart_id, order, due, given, at, &error);

  g_assert_no_error (error);
  return entry;
}

static void
enter_refused (
    Fixture *f, const WkReconcileInput *input, GQuark domain, int code, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPaperEntry) entry = wk_reconcile_enter (f->reconcile, input, NOW, &error);

  g_assert_null (entry);
  g_assert_error (error, domain, code);
  if (strstr (error->message, words) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, words);
}

/* Local time on Saturday 14 March 2026 (GMT). */
static gint64
sat (int hour, int minute)
{
  return 1773446400 + hour * HOUR + minute * 60;
}

/* A box keyed in by its due time, typed as the chart shows it. */
static void
test_enter_box (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (WkPaperEntry) ramipril = NULL;
  g_autoptr (WkPaperEntry) paracetamol = NULL;
  g_autoptr (WkPaperEntry) refused = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (JsonObject) view = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *orders;

  scan_all (f, document);
  /* "0800", the grid's due time by default, the dose prescribed. */
  ramipril = enter_ok (f, label, "P0-RAMI", "0800", TRUE, NULL);
  g_assert_cmpint (ramipril->due_at, ==, sat (8, 0));
  g_assert_cmpint (ramipril->at, ==, sat (8, 0));
  g_assert_cmpfloat (ramipril->dose, ==, 2.5);
  g_assert_cmpstr (ramipril->dose_unit, ==, "mg");
  g_assert_cmpuint (ramipril->flags, ==, 0);
  /* "12" and a time given typed as "1215". */
  paracetamol = enter_ok (f, label, "P0-PARA", "12", TRUE, "1215");
  g_assert_cmpint (paracetamol->due_at, ==, sat (12, 0));
  g_assert_cmpint (paracetamol->at, ==, sat (12, 15));
  /* Not given, with the code written in the box. */
  refused = enter_ok (f, label, "P0-PARA", "06:00", FALSE, NULL);
  g_assert_false (refused->given);
  g_assert_cmpstr (refused->reason_code, ==, "2");
  g_assert_cmpstr (refused->reason, ==, "Nil by mouth");

  /* Each is an administration from paper in the model, found by the feed's id. */
  records = wk_administration_load_for_order (f->model, "P0-RAMI", &error);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpint (((WkAdministration *)records->pdata[0])->source, ==,
                   WK_ADMINISTRATION_FROM_PAPER);
  g_assert_cmpstr (((WkAdministration *)records->pdata[0])->by_whom, ==, "AB");
  {
    g_autofree char *expected = g_strdup_printf ("P0-RAMI/20260314080000+0000/%" G_GINT64_FORMAT,
                                                 WK_PAPER_ENTRY_SUB_ID_BASE + ramipril->id);

    g_assert_cmpstr (((WkAdministration *)records->pdata[0])->external_id, ==, expected);
  }

  /* The chart as printed shows the entries in their boxes. */
  view = wk_reconcile_dup_chart (f->reconcile, label, NOW, &error);
  g_assert_no_error (error);
  orders = json_object_get_array_member (view, "orders");
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      JsonArray  *boxes = json_object_get_array_member (order, "boxes");

      if (strcmp (json_object_get_string_member (order, "order"), "P0-PARA") != 0)
        continue;
      g_assert_cmpstr (json_object_get_string_member (order, "drug"), ==,
                       "Paracetamol 500mg tablets");
      /* 06:00, 12:00, 18:00, 22:00 on two days: the Sunday boxes are past the grid. */
      g_assert_cmpuint (json_array_get_length (boxes), ==, 8);
      for (guint b = 0; b < 8; b++)
        {
          JsonObject *box = json_array_get_object_element (boxes, b);
          JsonNode   *entry = json_object_get_member (box, "entry");

          g_assert_cmpint (json_object_get_boolean_member (box, "open"), ==, b % 2 == 0);
          if (b == 0 || b == 2)
            g_assert_false (JSON_NODE_HOLDS_NULL (entry));
          else
            g_assert_true (JSON_NODE_HOLDS_NULL (entry));
        }
    }
}

/* What cannot be on the paper is refused with what to do, and nothing is recorded. */
static void
test_enter_refuses (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (WkPaperEntry) first = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  WkReconcileInput input = { 0 };

  scan_all (f, document);
  input = given_input (label, "P0-PARA");
  input.due = "0700";
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "has no box at 07:00");
  input.due = "0630x";
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "is not a time");
  /* Sunday's boxes are crossed through: the grid ends at 02:50. */
  input.due = "15 0600";
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "crossed through");
  input.due = "22";
  input.at = "2300";
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "in the future");
  input.at = NULL;
  input.by = NULL;
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "initials");
  input.by = "AB";
  input.given = FALSE;
  input.reason_code = "9";
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                 "one of: 1 Patient refused, 2 Nil by mouth");
  input.given = TRUE;
  input.placer_id = "P9-NONE";
  enter_refused (f, &input, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                 "not on the returned pages");
  /* As required: the time is needed; a regular order: the box is. */
  input.placer_id = "P0-MORP";
  input.due = NULL;
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "needs the time written");
  input.placer_id = "P0-PARA";
  enter_refused (f, &input, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "say which box");
  input.chart_id = "ZZZZ-ZZZZ";
  enter_refused (f, &input, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                 "No page of chart ZZZZ-ZZZZ has been scanned");
  entries = wk_paper_entry_load_for_chart (f->model, NULL, TRUE, NULL);
  g_assert_cmpuint (entries->len, ==, 0);

  /* A box keyed in twice: the second is refused, amending is the way. */
  first = enter_ok (f, label, "P0-PARA", "0600", TRUE, NULL);
  input.chart_id = label;
  input.due = "0600";
  enter_refused (f, &input, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                 "already keyed in; amend");
}

static gboolean
has_flag (const WkPaperEntry *entry, WkPaperFlags flag)
{
  return (entry->flags & flag) != 0;
}

/* Flagged, not refused: dose not as prescribed, as-required limits, held, late. */
static void
test_enter_flags (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (GError) error = NULL;
  const char      *morphine[] = { "0400", "0800", "1200", "1500" };
  WkReconcileInput input = { 0 };

  scan_all (f, document);
  /* Ramipril 2.5 mg prescribed, 5 mg written. */
  input = given_input (label, "P0-RAMI");
  input.due = "0800";
  input.dose = 5;
  {
    g_autoptr (WkPaperEntry) entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (entry->flags, ==, WK_PAPER_FLAG_DOSE_DIFFERS);
  }
  /* Metformin given three hours after its 08:00 box. */
  input.placer_id = "P0-METF";
  input.dose = 0;
  input.at = "1100";
  {
    g_autoptr (WkPaperEntry) entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (entry->flags, ==, WK_PAPER_FLAG_FAR_FROM_DUE);
  }
  /* Morphine 2.5 to 5 mg as required, every 4 hours, at most 20 mg in 24 hours; the feed
   * gave 2.5 mg at 22:00 the evening before. 5 mg at 04:00, 08:00, 12:00: 17.5 mg; then
   * 5 mg at 15:00, three hours after the last: 22.5 mg. */
  input.placer_id = "P0-MORP";
  input.due = NULL;
  input.dose = 5;
  for (gsize i = 0; i < G_N_ELEMENTS (morphine); i++)
    {
      g_autoptr (WkPaperEntry) entry = NULL;

      input.at = morphine[i];
      entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);
      g_assert_no_error (error);
      g_assert_cmpint (entry->due_at, ==, 0);
      g_assert_cmpint (entry->at, ==, sat (atoi (morphine[i]) / 100, 0));
      if (i < 3)
        g_assert_cmpuint (entry->flags, ==, 0);
      else
        {
          g_assert_true (has_flag (entry, WK_PAPER_FLAG_PRN_MAX_24H));
          g_assert_true (has_flag (entry, WK_PAPER_FLAG_PRN_INTERVAL));
        }
    }
  /* Dalteparin was printed held (no boxes): given anyway. */
  input.placer_id = "P0-DALT";
  input.at = "1800";
  input.dose = 0;
  {
    g_autoptr (WkPaperEntry) entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (entry->flags, ==, WK_PAPER_FLAG_GIVEN_WHILE_HELD);
  }
}

/* An amendment replaces the entry and its administration; an exported entry cannot be
 * amended here. */
static void
test_enter_amend (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (WkPaperEntry) first = NULL;
  g_autoptr (WkPaperEntry) second = NULL;
  g_autoptr (WkPaperEntry) old = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GPtrArray) current = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  WkReconcileInput input = { 0 };

  scan_all (f, document);
  first = enter_ok (f, label, "P0-RAMI", "0800", TRUE, NULL);
  input.chart_id = label;
  input.placer_id = "P0-RAMI";
  input.due = "0800";
  input.given = FALSE;
  input.reason_code = "1";
  input.who = "P Harmacist";
  input.amend = TRUE;
  second = wk_reconcile_enter (f->reconcile, &input, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpint (second->replaces, ==, first->id);

  old = wk_paper_entry_load (f->model, first->id, NULL);
  g_assert_cmpint (old->replaced_by, ==, second->id);
  current
      = wk_paper_entry_load_for_chart (f->model, wk_chart_document_get_id (document), FALSE, NULL);
  g_assert_cmpuint (current->len, ==, 1);
  records = wk_administration_load_for_order (f->model, "P0-RAMI", NULL);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_false (((WkAdministration *)records->pdata[0])->given);
  g_assert_cmpstr (((WkAdministration *)records->pdata[0])->reason, ==, "Patient refused");
  events = wk_reconcile_log_load (f->model, wk_chart_document_get_id (document), NULL);
  g_assert_cmpstr (((WkReconcileEvent *)events->pdata[events->len - 1])->action, ==, "amend");
  g_assert_nonnull (strstr (((WkReconcileEvent *)events->pdata[events->len - 1])->detail,
                            "was order P0-RAMI v1: given 2.5 mg"));

  /* Once exported, it is the EPR's to correct. */
  g_assert_true (wk_paper_entry_record_export (f->model, second->id, WK_PAPER_EXPORT_CSV, NOW,
                                               "P Harmacist", "ward7a.csv", NULL, &error));
  input.given = TRUE;
  input.by = "AB";
  enter_refused (f, &input, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                 "correct the record in the EPR");
}

/* A batch is all or nothing: one bad line refuses all of it, naming the line. */
static void
test_enter_batch (Fixture *f, gconstpointer data)
{
  WkChartDocument        *document = chart (f, 0);
  g_autofree char        *label = wk_chart_id_format (wk_chart_document_get_id (document));
  WkReconcileInput        inputs[3] = { { 0 } };
  const WkReconcileInput *pointers[3] = { &inputs[0], &inputs[1], &inputs[2] };
  const char             *dues[3] = { "0600", "1200", "1300" };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) stored = NULL;

  scan_all (f, document);
  for (guint i = 0; i < 3; i++)
    {
      inputs[i].chart_id = label;
      inputs[i].placer_id = "P0-PARA";
      inputs[i].due = dues[i];
      inputs[i].given = TRUE;
      inputs[i].by = "AB";
      inputs[i].who = "P Harmacist";
    }
  entries = wk_reconcile_enter_batch (f->reconcile, pointers, 3, NOW, &error);
  g_assert_null (entries);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "entry 3: Order P0-PARA has no box at 13:00"));
  stored = wk_paper_entry_load_for_chart (f->model, NULL, TRUE, NULL);
  g_assert_cmpuint (stored->len, ==, 0);
  g_clear_error (&error);

  inputs[2].due = "1800";
  entries = wk_reconcile_enter_batch (f->reconcile, pointers, 3, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 3);
  g_clear_pointer (&stored, g_ptr_array_unref);
  stored = wk_paper_entry_load_for_chart (f->model, NULL, TRUE, NULL);
  g_assert_cmpuint (stored->len, ==, 3);
}

/* ---- The discrepancy report ---------------------------------------------------------- */

static JsonObject *
report (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  JsonObject *object = wk_reconcile_dup_report (f->reconcile, NULL, NOW, &error);

  g_assert_no_error (error);
  return object;
}

/* The findings of a kind, for an order (or any when NULL). */
static guint
count_findings (JsonObject *object, const char *kind, const char *order, JsonObject **first)
{
  JsonArray *findings = json_object_get_array_member (object, "findings");
  guint      n = 0;

  for (guint i = 0; i < json_array_get_length (findings); i++)
    {
      JsonObject *finding = json_array_get_object_element (findings, i);

      if (strcmp (json_object_get_string_member (finding, "kind"), kind) != 0
          || (order != NULL
              && g_strcmp0 (json_object_get_string_member (finding, "order"), order) != 0))
        continue;
      if (n++ == 0 && first != NULL)
        *first = finding;
    }
  return n;
}

static void
add_version (WkModel *model, const char *placer, gint64 at, WkOrderStatus status, double dose)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkOrder) current = wk_order_load_current (model, placer, &error);
  g_autoptr (WkOrder) next = wk_order_copy (current);

  next->version = current->version + 1;
  next->status = status;
  next->status_at = at;
  next->transaction_at = at;
  next->dose = dose;
  g_free (next->order_control);
  next->order_control = g_strdup (status == WK_ORDER_DISCONTINUED ? "DC" : "XO");
  g_assert_true (wk_order_insert (model, next, &error));
}

static void
feed_gives (WkModel *model, const char *placer, gint64 at, double dose)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkOrder) order = wk_order_load_current (model, placer, &error);
  g_autoptr (WkAdministration) given = wk_administration_new (placer, order->version);

  given->at = at;
  given->given = TRUE;
  given->dose = dose;
  given->dose_unit = g_strdup (order->dose_unit);
  given->by_whom = g_strdup ("CD");
  given->external_id = g_strdup_printf ("%s/feed/%" G_GINT64_FORMAT, placer, at);
  g_assert_true (wk_administration_insert (model, given, &error));
}

/* What the paper says against what the central record says now. */
static void
test_report_findings (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 1);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *finding = NULL;
  JsonObject *summary;

  scan_all (f, document);
  /* Paracetamol 12:00 given on paper; the EPR also has it given at 12:20: double dose. */
  g_clear_pointer (&(WkPaperEntry *){ enter_ok (f, label, "P1-PARA", "1200", TRUE, NULL) },
                   wk_paper_entry_free);
  feed_gives (f->model, "P1-PARA", sat (12, 20), 1000);
  /* Metformin doubled centrally at 10:00, stopped ramipril at 09:00, a new order at 11:00. */
  add_version (f->model, "P1-METF", sat (10, 0), WK_ORDER_ACTIVE, 1000);
  add_version (f->model, "P1-RAMI", sat (9, 0), WK_ORDER_DISCONTINUED, 2.5);
  {
    g_autoptr (WkOrder) added
        = wk_test_order_new (wk_chart_document_get_patient_id (document), "P1-NEW", 1);

    added->transaction_at = sat (11, 0);
    added->start_at = sat (11, 0);
    g_assert_true (wk_order_insert (f->model, added, &error));
  }
  /* Metformin at 18:00 given on paper, after the change. */
  g_clear_pointer (&(WkPaperEntry *){ enter_ok (f, label, "P1-METF", "1800", TRUE, NULL) },
                   wk_paper_entry_free);

  object = report (f);
  g_assert_cmpstr (json_object_get_string_member (object, "format"), ==,
                   "wardkeep-discrepancy-report");
  g_assert_cmpuint (count_findings (object, "double-dose", "P1-PARA", &finding), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (finding, "severity"), ==, "high");
  g_assert_nonnull (strstr (json_object_get_string_member (finding, "text"),
                            "given on paper at Sat 14 Mar 12:00"));
  g_assert_nonnull (strstr (json_object_get_string_member (finding, "text"),
                            "recorded centrally as given at Sat 14 Mar 12:20"));
  g_assert_cmpuint (count_findings (object, "order-changed", "P1-METF", &finding), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (finding, "severity"), ==, "high");
  g_assert_nonnull (
      strstr (json_object_get_string_member (finding, "text"), "dose 500 mg → 1000 mg"));
  g_assert_cmpuint (count_findings (object, "order-stopped", "P1-RAMI", &finding), ==, 1);
  g_assert_nonnull (strstr (json_object_get_string_member (finding, "text"),
                            "was stopped centrally at Sat 14 Mar 09:00"));
  g_assert_cmpuint (count_findings (object, "order-added", "P1-NEW", NULL), ==, 1);
  /* Amoxicillin's boxes due since the print have nothing keyed in. */
  g_assert_cmpuint (count_findings (object, "blank-boxes", "P1-AMOX", &finding), ==, 1);
  g_assert_cmpint (json_object_get_int_member (finding, "boxes"), ==, 3);
  /* The patient is named for the pharmacist. */
  g_assert_nonnull (json_object_get_string_member (
      json_object_get_object_member (finding, "patient"), "nhs_number"));
  summary = json_object_get_object_member (object, "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "entries"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (summary, "findings_high"), >=, 2);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "signed_off")));
}

/* An as-required maximum exceeded with paper and central doses together. */
static void
test_report_prn_over_max (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (JsonObject) object = NULL;
  const char *times[] = { "0400", "0900" };
  JsonObject *finding = NULL;

  scan_all (f, document);
  for (gsize i = 0; i < G_N_ELEMENTS (times); i++)
    {
      WkReconcileInput input = given_input (label, "P0-MORP");
      g_autoptr (GError) error = NULL;
      g_autoptr (WkPaperEntry) entry = NULL;

      input.at = times[i];
      input.dose = 5;
      entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);
      g_assert_no_error (error);
    }
  /* The EPR recorded doses too, at 13:00 and 17:00: 2.5 + 5 + 5 + 5 + 5 = 22.5 mg. */
  feed_gives (f->model, "P0-MORP", sat (13, 0), 5);
  feed_gives (f->model, "P0-MORP", sat (17, 0), 5);
  object = report (f);
  g_assert_cmpuint (count_findings (object, "prn-over-max", "P0-MORP", &finding), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (finding, "given_24h"), ==, 22.5);
  g_assert_cmpfloat (json_object_get_double_member (finding, "max_24h"), ==, 20);
}

/* A sign-off records who and when; a report changed since says so. */
static void
test_report_sign_off (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (JsonObject) before = NULL;
  g_autoptr (JsonObject) signed_report = NULL;
  g_autoptr (JsonObject) after = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  JsonObject      *signoff;

  scan_all (f, document);
  before = report (f);
  digest = g_strdup (json_object_get_string_member (before, "digest"));
  g_assert_cmpuint (strlen (digest), ==, 64);
  signed_report = wk_reconcile_sign_off (f->reconcile, NULL, digest, "R Pharmacist",
                                         "checked with ward sister", NOW, &error);
  g_assert_no_error (error);
  signoff = json_object_get_object_member (signed_report, "signed_off");
  g_assert_cmpstr (json_object_get_string_member (signoff, "by"), ==, "R Pharmacist");
  g_assert_cmpstr (json_object_get_string_member (signoff, "at"), ==, "2026-03-14T22:50:00Z");
  g_assert_true (json_object_get_boolean_member (signoff, "current"));

  /* An entry keyed in after the sign-off changes the report. */
  g_clear_pointer (&(WkPaperEntry *){ enter_ok (f, label, "P0-PARA", "0600", TRUE, NULL) },
                   wk_paper_entry_free);
  after = report (f);
  g_assert_cmpstr (json_object_get_string_member (after, "digest"), !=, digest);
  signoff = json_object_get_object_member (after, "signed_off");
  g_assert_false (json_object_get_boolean_member (signoff, "current"));
  /* Signing what was read before is refused. */
  g_assert_null (
      wk_reconcile_sign_off (f->reconcile, NULL, digest, "R Pharmacist", NULL, NOW, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "has changed since it was read"));
}

/* ---- Episodes: the ledger says what was printed ------------------------------------ */

#define EPISODE "episode-outage-1"

/* Records what the daemon does when an outage starts at 02:40 and it prints the ward. */
static void
record_ward_print (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) episode = wk_episode_new (WK_EPISODE_OUTAGE, "every probe failed");
  g_autoptr (WkLedgerRequest) request = wk_ledger_request_new (WK_LEDGER_WHAT_WARD, "daemon");

  g_free (episode->id);
  episode->id = g_strdup (EPISODE);
  episode->started_wall_us = (WK_TEST_PRINTED_AT - 10 * 60) * G_USEC_PER_SEC;
  g_assert_true (wk_ledger_record_episode (f->model, episode, &error));
  request->episode_id = g_strdup (EPISODE);
  request->automatic = TRUE;
  request->requested_at = WK_TEST_PRINTED_AT;
  g_assert_true (wk_ledger_record_request (f->model, request, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < f->documents->len; i++)
    {
      WkChartDocument *document = f->documents->pdata[i];
      gboolean         is_chart = wk_chart_document_get_kind (document) == WK_CHART_DOCUMENT_CHART;
      g_autoptr (WkLedgerDocument) row = wk_ledger_document_new (
          wk_chart_document_get_id (document), request->id,
          is_chart ? WK_LEDGER_DOCUMENT_CHART : WK_LEDGER_DOCUMENT_CENSUS);

      row->patient_id = wk_chart_document_get_patient_id (document);
      row->ward_id = g_strdup (WK_TEST_WARD);
      row->position = i;
      row->snapshot_seq = 42;
      row->snapshot_at = WK_TEST_SNAPSHOT_AT;
      row->printed_at = WK_TEST_PRINTED_AT;
      for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
        {
          guint                        n;
          const WkChartOrderRef       *refs = wk_chart_document_get_page_orders (document, p, &n);
          g_autofree WkLedgerOrderRef *orders = g_new0 (WkLedgerOrderRef, MAX (n, 1));

          for (guint o = 0; o < n; o++)
            {
              orders[o].placer_id = refs[o].placer_id;
              orders[o].version = refs[o].version;
            }
          wk_ledger_document_add_page (row, wk_chart_document_get_page_payload (document, p),
                                       orders, n);
        }
      g_assert_true (wk_ledger_record_document (f->model, row, &error));
      g_assert_no_error (error);
      g_assert_true (wk_ledger_set_document_state (f->model, row->chart_id, WK_LEDGER_DOCUMENT_SENT,
                                                   "office", NULL, &error));
      g_assert_true (wk_ledger_set_document_state (
          f->model, row->chart_id, WK_LEDGER_DOCUMENT_PRINTED, "office", NULL, &error));
    }
}

static JsonObject *
episode_status (Fixture *f, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = wk_reconcile_dup_status (f->reconcile, NOW, &error);
  JsonArray *episodes;

  g_assert_no_error (error);
  episodes = json_object_get_array_member (status, "episodes");
  for (guint e = 0; e < json_array_get_length (episodes); e++)
    {
      JsonObject *episode = json_array_get_object_element (episodes, e);

      if (g_strcmp0 (json_object_get_string_member (episode, "id"), id) == 0)
        return json_object_ref (episode);
    }
  return NULL;
}

/* Per episode: charts printed, returned, missing pages, and charts printed outside the
 * daemon placed in the episode they were printed in. */
static void
test_episode_status (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonObject) episode = NULL;
  g_autoptr (JsonObject) report_object = NULL;
  g_autoptr (WkReconcileScan) scan = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *finding = NULL;

  record_ward_print (f);
  scan_all (f, chart (f, 0));
  scan = scan_page (f, chart (f, 1), 0);
  g_assert_false (scan->outside_ledger);
  g_assert_cmpstr (scan->episode_id, ==, EPISODE);

  episode = episode_status (f, EPISODE);
  g_assert_nonnull (episode);
  g_assert_cmpstr (json_object_get_string_member (episode, "kind"), ==, "outage");
  g_assert_cmpint (json_object_get_int_member (episode, "charts_printed"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (episode, "charts_returned"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (episode, "charts_missing_pages"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (episode, "charts_not_returned"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (episode, "pages_missing"), ==,
                   1 + wk_chart_document_get_n_pages (chart (f, 2))
                       + wk_chart_document_get_n_pages (chart (f, 3)));
  g_assert_cmpint (json_object_get_int_member (episode, "charts_outside_ledger"), ==, 0);

  /* A kiosk reprinted patient 3's chart at 05:00 while the daemon was down. */
  {
    g_autoptr (WkChartRenderer) renderer = NULL;
    g_autoptr (WkChartDocument) reprint = NULL;
    g_autoptr (WkReconcileScan) outside = NULL;
    WkChartOptions options;

    wk_test_chart_options (&options);
    options.printed_at = sat (5, 0);
    renderer = wk_chart_renderer_new (&options, f->keys, &error);
    reprint = wk_chart_renderer_render_chart (
        renderer, f->model, wk_chart_document_get_patient_id (chart (f, 3)), &error);
    g_assert_no_error (error);
    outside = wk_reconcile_scan (f->reconcile, wk_chart_document_get_page_payload (reprint, 0), -1,
                                 "P Harmacist", NOW, &error);
    g_assert_no_error (error);
    g_assert_true (outside->outside_ledger);
    g_assert_cmpstr (outside->episode_id, ==, EPISODE);
  }
  g_clear_pointer (&episode, json_object_unref);
  episode = episode_status (f, EPISODE);
  g_assert_cmpint (json_object_get_int_member (episode, "charts_printed"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (episode, "charts_outside_ledger"), ==, 1);

  /* The report names what has not come back. */
  report_object = wk_reconcile_dup_report (f->reconcile, EPISODE, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_findings (report_object, "chart-not-returned", NULL, NULL), ==, 2);
  /* Chart 1's page 2, and the reprint's page 2 (its page 1 came back). */
  g_assert_cmpuint (count_findings (report_object, "missing-page", NULL, &finding), ==, 2);
  g_assert_cmpint (json_object_get_int_member (finding, "page"), ==, 2);
  {
    g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (chart (f, 1)));
    g_autofree char *expected = g_strdup_printf ("Chart %s page 2 of 2 has not come back", label);

    g_assert_true (g_str_has_prefix (json_object_get_string_member (finding, "text"), expected));
  }
}

/* After the episode ends, paper doses are flagged; boxes due after it are not blank. */
static void
test_episode_ended (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPaperEntry) late = NULL;
  g_autoptr (JsonObject) object = NULL;
  JsonObject      *finding = NULL;
  WkReconcileInput input = { 0 };

  record_ward_print (f);
  g_assert_true (wk_ledger_end_episode (f->model, EPISODE, sat (12, 30), "back online", &error));
  scan_all (f, document);
  input = given_input (label, "P0-ONDA");
  input.at = "1300";
  late = wk_reconcile_enter (f->reconcile, &input, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (late->flags, ==, WK_PAPER_FLAG_OUTSIDE_EPISODE);

  object = wk_reconcile_dup_report (f->reconcile, NULL, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (object, "episode"), "id"), ==,
      EPISODE);
  /* Paracetamol 06:00 and 12:00 were due before 12:30; 18:00 and 22:00 were not. */
  g_assert_cmpuint (count_findings (object, "blank-boxes", "P0-PARA", &finding), ==, 1);
  g_assert_cmpint (json_object_get_int_member (finding, "boxes"), ==, 2);
  g_assert_cmpuint (count_findings (object, "entry-flagged", "P0-ONDA", &finding), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (finding, "flag"), ==, "outside-episode");
}

/* A drill's episode has no report: its paper is not a clinical record. */
static void
test_episode_drill (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkEpisode) drill = wk_episode_new (WK_EPISODE_DRILL, "monthly drill");
  g_autoptr (JsonObject) object = NULL;

  drill->scenario = WK_DRILL_OUTAGE;
  drill->started_wall_us = WK_TEST_PRINTED_AT * G_USEC_PER_SEC;
  g_assert_true (wk_ledger_record_episode (f->model, drill, &error));
  object = wk_reconcile_dup_report (f->reconcile, drill->id, NOW, &error);
  g_assert_null (object);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_DRILL);
}

/* The report as a PDF: what it found, the entries, and whether it is signed. */
static void
test_report_pdf (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 1);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (JsonObject) unsigned_report = NULL;
  g_autoptr (JsonObject) signed_report = NULL;
  g_autoptr (GBytes) pdf = NULL;
  g_autoptr (GBytes) signed_pdf = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *signed_text = NULL;
  g_autofree char *path = NULL;
  gsize            size;
  const guint8    *bytes;

  record_ward_print (f);
  scan_all (f, document);
  wk_reconcile_scan_free (scan_page (f, chart (f, 0), 0));
  g_clear_pointer (&(WkPaperEntry *){ enter_ok (f, label, "P1-PARA", "1200", TRUE, NULL) },
                   wk_paper_entry_free);
  g_clear_pointer (&(WkPaperEntry *){ enter_ok (f, label, "P1-RAMI", "0800", FALSE, NULL) },
                   wk_paper_entry_free);
  feed_gives (f->model, "P1-PARA", sat (12, 20), 1000);
  add_version (f->model, "P1-METF", sat (10, 0), WK_ORDER_ACTIVE, 1000);

  unsigned_report = wk_reconcile_dup_report (f->reconcile, NULL, NOW, &error);
  g_assert_no_error (error);
  pdf = wk_reconcile_report_render (unsigned_report, "Europe/London", &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (pdf, &size);
  g_assert_true (size > 1000 && memcmp (bytes, "%PDF-", 5) == 0);
  text = wk_test_pdf_to_text (bytes, size, 0, FALSE);
  g_assert_nonnull (strstr (text, "DISCREPANCY REPORT"));
  g_assert_nonnull (strstr (text, "NOT YET SIGNED OFF"));
  g_assert_nonnull (strstr (text, "Possible double dose"));
  g_assert_nonnull (strstr (text, "Order changed centrally during the downtime"));
  g_assert_nonnull (strstr (text, "Chart not returned"));
  g_assert_nonnull (strstr (text, "Page not returned"));
  g_assert_nonnull (strstr (text, "ADMINISTRATIONS KEYED IN FROM PAPER (2)"));
  g_assert_nonnull (strstr (text, "Nil by mouth"));
  g_assert_nonnull (strstr (text, "Page 1 of"));
  path = wk_test_save_artefact ("reconcile-report-unsigned.pdf", bytes, size);

  signed_report = wk_reconcile_sign_off (f->reconcile, NULL, NULL, "R Pharmacist",
                                         "Double dose discussed with the ward sister", NOW, &error);
  g_assert_no_error (error);
  signed_pdf = wk_reconcile_report_render (signed_report, "Europe/London", &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (signed_pdf, &size);
  signed_text = wk_test_pdf_to_text (bytes, size, 0, FALSE);
  g_assert_nonnull (strstr (signed_text, "SIGNED OFF by R Pharmacist, Sat 14 Mar 2026 22:50"));
  g_assert_nonnull (strstr (signed_text, "Double dose discussed with the ward sister"));
  g_assert_null (strstr (signed_text, "NOT YET SIGNED OFF"));
  g_free (path);
  path = wk_test_save_artefact ("reconcile-report-signed.pdf", bytes, size);
}

/* Nothing is exported twice unless asked. */
static void
test_export_selection (Fixture *f, gconstpointer data)
{
  WkChartDocument *document = chart (f, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (document));
  g_autoptr (WkPaperEntry) a = NULL;
  g_autoptr (WkPaperEntry) b = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GPtrArray) csv = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;

  scan_all (f, document);
  a = enter_ok (f, label, "P0-PARA", "0600", TRUE, NULL);
  b = enter_ok (f, label, "P0-RAMI", "0800", TRUE, NULL);
  first = wk_reconcile_select_export (f->reconcile, NULL, WK_PAPER_EXPORT_HL7, FALSE, &error);
  g_assert_cmpuint (first->len, ==, 2);
  g_assert_true (wk_paper_entry_record_export (f->model, a->id, WK_PAPER_EXPORT_HL7, NOW,
                                               "P Harmacist", "127.0.0.1:2575", "WK1", &error));
  second = wk_reconcile_select_export (f->reconcile, NULL, WK_PAPER_EXPORT_HL7, FALSE, &error);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_cmpint (((WkPaperEntry *)second->pdata[0])->id, ==, b->id);
  again = wk_reconcile_select_export (f->reconcile, NULL, WK_PAPER_EXPORT_HL7, TRUE, &error);
  g_assert_cmpuint (again->len, ==, 2);
  /* Each format on its own. */
  csv = wk_reconcile_select_export (f->reconcile, NULL, WK_PAPER_EXPORT_CSV, FALSE, &error);
  g_assert_cmpuint (csv->len, ==, 2);
  /* A second export is recorded as a re-export. */
  g_assert_true (wk_paper_entry_record_export (f->model, a->id, WK_PAPER_EXPORT_HL7, NOW + 60,
                                               "P Harmacist", "127.0.0.1:2575", "WK2", &error));
  g_assert_cmpint (wk_paper_entry_get_exported_at (f->model, a->id, WK_PAPER_EXPORT_HL7, NULL), ==,
                   NOW);
  events = wk_reconcile_log_load (f->model, NULL, NULL);
  g_assert_cmpstr (((WkReconcileEvent *)events->pdata[events->len - 1])->action, ==, "re-export");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/reconcile/scan/accepts", test_scan_accepts);
  ADD ("/reconcile/scan/refuses", test_scan_refuses);
  ADD ("/reconcile/scan/trusted-key", test_scan_trusted_key);
  ADD ("/reconcile/scan/twice", test_scan_twice);
  ADD ("/reconcile/status/missing-page", test_status_missing_page);
  ADD ("/reconcile/enter/box", test_enter_box);
  ADD ("/reconcile/enter/refuses", test_enter_refuses);
  ADD ("/reconcile/enter/flags", test_enter_flags);
  ADD ("/reconcile/enter/amend", test_enter_amend);
  ADD ("/reconcile/enter/batch", test_enter_batch);
  ADD ("/reconcile/report/findings", test_report_findings);
  ADD ("/reconcile/report/prn-over-max", test_report_prn_over_max);
  ADD ("/reconcile/report/sign-off", test_report_sign_off);
  ADD ("/reconcile/episode/status", test_episode_status);
  ADD ("/reconcile/episode/ended", test_episode_ended);
  ADD ("/reconcile/episode/drill", test_episode_drill);
  ADD ("/reconcile/report/pdf", test_report_pdf);
  ADD ("/reconcile/export/selection", test_export_selection);
#undef ADD
  return g_test_run ();
}
