/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-chart-layout.c — paper drug charts and the ward census: content, pages, layout. */

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-chart-payload.h"
#include "wk-chart-renderer.h"
#include "wk-config.h"
#include "wk-nhs-number.h"
#include "wk-order.h"
#include "wk-print-error.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/* Printable area: wardkeep keeps 10 mm clear on every side (lasers print to ~5 mm). */
#define PRINTABLE_MARGIN 28.0
#define EPSILON 0.01

typedef struct
{
  WkKeys  *keys;
  WkModel *model;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->keys = wk_test_keys_new (0x42);
  fixture->model = wk_test_ward_new (GPOINTER_TO_UINT (data) != 0 ? GPOINTER_TO_UINT (data) : 8);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  wk_model_free (fixture->model);
  wk_keys_free (fixture->keys);
}

static WkChartDocument *
render_chart (Fixture *fixture, const WkChartOptions *options, gint64 patient_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = wk_chart_renderer_new (options, fixture->keys, &error);
  WkChartDocument *document;

  g_assert_no_error (error);
  document = wk_chart_renderer_render_chart (renderer, fixture->model, patient_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (document);
  return document;
}

static gint64
patient_in_bed (Fixture *fixture, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkBed) bed
      = wk_bed_load (fixture->model, wk_test_ward_bed (fixture->model, index), &error);

  g_assert_no_error (error);
  g_assert_cmpint (bed->patient_id, >, 0);
  return bed->patient_id;
}

/* The text of a page (or all, for 0) in reading order, white space collapsed. */
static char *
document_text (WkChartDocument *document, int page)
{
  gsize         size;
  const guint8 *pdf = wk_chart_document_get_pdf (document, &size);

  return wk_test_pdf_to_text (pdf, size, page, FALSE);
}

static void
save (WkChartDocument *document, const char *name)
{
  gsize            size;
  const guint8    *pdf = wk_chart_document_get_pdf (document, &size);
  g_autofree char *path = wk_test_save_artefact (name, pdf, size);

  g_test_message ("saved %s", path);
}

static guint
count_in (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Every order the chart prints appears, active ones in their sections, the recently
 * stopped one only as STOPPED, the one stopped long ago not at all. */
static void
test_chart_content (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (WkChartDocument) document = NULL;
  g_autofree char *text = NULL;
  g_autofree char *nhs = NULL;
  g_autoptr (WkPatient) patient = NULL;
  const char              *stopped;
  static const char *const active[] = {
    "Paracetamol 500mg tablets",
    "Ramipril 2.5mg capsules",
    "Metformin 500mg tablets",
    "Amoxicillin 500mg capsules",
    "Dalteparin 5,000units/0.2ml injection",
    "Morphine sulfate 10mg/5ml oral solution",
    "Ondansetron 4mg tablets",
  };

  wk_test_chart_options (&options);
  patient = wk_patient_load (fixture->model, patient_in_bed (fixture, 0), NULL);
  document = render_chart (fixture, &options, patient->id);
  save (document, "chart.pdf");
  text = document_text (document, 0);
  nhs = wk_nhs_number_format (patient->nhs_number);

  g_assert_cmpint (wk_chart_document_get_kind (document), ==, WK_CHART_DOCUMENT_CHART);
  g_assert_cmpint (wk_chart_document_get_patient_id (document), ==, patient->id);
  g_assert_nonnull (strstr (text, "TESTER0, Alex"));
  g_assert_nonnull (strstr (text, nhs));
  g_assert_cmpuint (strlen (nhs), ==, 12); /* 3-3-4 */
  g_assert_nonnull (strstr (text, "RX0000001"));
  g_assert_nonnull (strstr (text, "Ward 7A — Acute Medicine"));
  g_assert_nonnull (strstr (text, "Bay BAY1 · Bed 1"));
  g_assert_nonnull (strstr (text, "Dr Fictional"));
  g_assert_nonnull (strstr (text, "50.5 kg"));
  for (guint i = 0; i < G_N_ELEMENTS (active); i++)
    g_assert_nonnull (strstr (text, active[i]));
  g_assert_nonnull (strstr (text, "Ceftriaxone 1g powder"));
  g_assert_nonnull (strstr (text, "REGULAR MEDICINES"));
  g_assert_nonnull (strstr (text, "AS REQUIRED (PRN) MEDICINES"));
  g_assert_nonnull (strstr (text, "ONCE ONLY / STAT"));
  /* Doses and routes as prescribed, and what the feed last recorded. */
  g_assert_nonnull (strstr (text, "1000 mg · oral · QDS"));
  g_assert_nonnull (strstr (text, "2.5 to 5 mg · oral · as required"));
  g_assert_nonnull (strstr (text, "For: pain"));
  g_assert_nonnull (strstr (text, "At least 4 hours between doses · at most 20 mg in 24 h"));
  g_assert_nonnull (strstr (text, "Last given 13 Mar 22:00 (1000 mg)"));
  g_assert_nonnull (strstr (text, "HELD — DO NOT GIVE"));
  g_assert_nonnull (strstr (text, "Due 14 Mar 05:13"));

  /* Stopped an hour ago: only after the STOPPED heading; stopped a week ago: absent. */
  stopped = strstr (text, "STOPPED — DO NOT GIVE");
  g_assert_nonnull (stopped);
  g_assert_nonnull (strstr (stopped, "Furosemide 40mg tablets"));
  g_assert_cmpuint (count_in (text, "Furosemide"), ==, 1);
  g_assert_nonnull (strstr (stopped, "STOPPED 14 Mar 01:13"));
  g_assert_null (strstr (text, "Simvastatin"));
  g_assert_null (strstr (text, "P0-SIMV"));
  g_assert_null (strstr (text, "DRILL"));
}

/* Is @inner inside @outer (edges may touch)? */
static gboolean
box_inside (const WkChartBox *inner, const WkChartBox *outer)
{
  return inner->x >= outer->x - EPSILON && inner->y >= outer->y - EPSILON
         && inner->x + inner->width <= outer->x + outer->width + EPSILON
         && inner->y + inner->height <= outer->y + outer->height + EPSILON;
}

static gboolean
boxes_overlap (const WkChartBox *a, const WkChartBox *b)
{
  if (a->width <= 0 || a->height <= 0 || b->width <= 0 || b->height <= 0)
    return FALSE;
  return a->x + EPSILON < b->x + b->width && b->x + EPSILON < a->x + a->width
         && a->y + EPSILON < b->y + b->height && b->y + EPSILON < a->y + a->height;
}

/* The layout's promise: on every page, nothing drawn overlaps anything beside it,
 * everything lies inside what holds it, and the page's items inside the printable area. */
static void
assert_layout_sound (WkChartDocument *document, double page_width, double page_height)
{
  WkChartBox page = { WK_CHART_BOX_GROUP,
                      PRINTABLE_MARGIN,
                      PRINTABLE_MARGIN,
                      page_width - 2 * PRINTABLE_MARGIN,
                      page_height - 2 * PRINTABLE_MARGIN,
                      -1 };

  for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
    {
      guint             n;
      const WkChartBox *boxes = wk_chart_document_get_page_boxes (document, p, &n);

      g_assert_cmpuint (n, >, 20);
      for (guint i = 0; i < n; i++)
        {
          const WkChartBox *box = &boxes[i];
          const WkChartBox *parent = box->parent >= 0 ? &boxes[box->parent] : &page;

          if (box->kind == WK_CHART_BOX_WATERMARK)
            continue;
          g_assert_cmpint (box->parent, <, (int)i);
          if (!box_inside (box, parent))
            g_error ("page %u item %u (kind %d, %.1f,%.1f %.1fx%.1f) is outside its parent "
                     "%d (%.1f,%.1f %.1fx%.1f)",
                     p + 1, i, box->kind, box->x, box->y, box->width, box->height, box->parent,
                     parent->x, parent->y, parent->width, parent->height);
          for (guint j = i + 1; j < n; j++)
            if (boxes[j].parent == box->parent && boxes[j].kind != WK_CHART_BOX_WATERMARK
                && boxes_overlap (box, &boxes[j]))
              g_error ("page %u items %u (kind %d, %.1f,%.1f %.1fx%.1f) and %u (kind %d, "
                       "%.1f,%.1f %.1fx%.1f) overlap",
                       p + 1, i, box->kind, box->x, box->y, box->width, box->height, j,
                       boxes[j].kind, boxes[j].x, boxes[j].y, boxes[j].width, boxes[j].height);
        }
    }
}

/* Forty orders with everything a feed might send that a layout could trip on: names of
 * 120 characters, right-to-left scripts, emoji no font has, and fields left empty. */
static void
test_adversarial_layout (Fixture *fixture, gconstpointer data)
{
  static const char *const names[] = {
    "Co-amoxiclav 500mg/125mg tablets (Amoxicillin and clavulanic acid) film-coated, "
    "sugar-free, for oral use only, hospital pack",
    "باراسيتامول ٥٠٠ ملغ أقراص مغلفة للاستخدام الفموي فقط — جرعة البالغين حسب التعليمات المرفقة مع "
    "العبوة",
    "פרצטמול 500 מ\"ג טבליות לשימוש דרך הפה בלבד, יש לקחת עם מים ולא יותר מארבע פעמים ביום "
    "בכלל",
    "💊💊💊 Emoji 🧪🩺🩸 medicine 😷🤒🤕 name with symbols ⚕️☢️☣️ "
    "that "
    "no "
    "installed "
    "font has "
    "🦠🧬🫀🫁 end",
    "SupercalifragilisticexpialidociousHydrochlorideMonohydrateExtendedReleaseTabletsWith"
    "NoSpacesAtAllForWrapping0123456789",
    "x",
  };
  WkChartOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (GHashTable) printed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *text = NULL;
  g_autoptr (WkPatient) patient = wk_test_patient_new (77);

  /* A patient with no bed, no date of birth, no weight, no consultant, and allergies
   * with long names in mixed scripts. */
  g_clear_pointer (&patient->birth_date, g_free);
  patient->ward_id = g_strdup (WK_TEST_WARD);
  g_free (patient->given_names);
  patient->given_names = g_strdup ("Ααααα Βββββ Γγγγγ Δδδδδ Εεεεε Ζζζζζ Ηηηηη Θθθθθ Ιιιιι Κκκκκ "
                                   "Λλλλλ Μμμμμ Ννννν 名前 😀");
  wk_patient_insert (fixture->model, patient, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (WkAllergy) allergy = wk_allergy_new (patient->id, names[i]);

      allergy->reaction = g_strdup (names[(i + 3) % G_N_ELEMENTS (names)]);
      wk_allergy_insert (fixture->model, allergy, &error);
      g_assert_no_error (error);
    }
  patient->allergy_status = WK_ALLERGY_STATUS_RECORDED;
  wk_patient_update (fixture->model, patient, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *placer = g_strdup_printf ("ADV-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (patient->id, placer, 1 + i % 3);

      g_free (order->drug);
      order->drug = g_strdup (names[i % G_N_ELEMENTS (names)]);
      order->kind = i % 4 == 1 ? WK_ORDER_PRN : i % 4 == 3 ? WK_ORDER_ONCE : WK_ORDER_REGULAR;
      if (order->kind != WK_ORDER_REGULAR)
        g_clear_pointer (&order->admin_times, g_free);
      if (i % 8 == 0)
        {
          g_free (order->admin_times);
          order->admin_times = g_strdup ("00:00,02:00,04:00,06:00,08:00,10:00,12:00,14:00,"
                                         "16:00,18:00,20:00,22:00");
        }
      if (i % 5 == 0)
        {
          g_free (order->dose_unit);
          order->dose_unit = g_strdup (names[(i / 5) % G_N_ELEMENTS (names)]);
        }
      if (i % 3 == 0)
        order->instructions
            = g_strdup_printf ("%s %s %s", names[i % 6], names[(i + 1) % 6], names[(i + 2) % 6]);
      if (i % 7 == 0)
        g_clear_pointer (&order->prescriber, g_free);
      g_clear_pointer (&order->frequency, g_free);
      if (order->kind == WK_ORDER_PRN && i % 2)
        order->prn_indication = g_strdup (names[(i + 4) % 6]);
      order->dose = i % 2 ? 0.125 : 123456.75;
      wk_order_insert (fixture->model, order, &error);
      g_assert_no_error (error);
      if (i % 10 == 9)
        {
          wk_order_set_status (fixture->model, placer, WK_ORDER_HELD, WK_TEST_SNAPSHOT_AT - 60,
                               &error);
          g_assert_no_error (error);
        }
    }

  wk_test_chart_options (&options);
  options.grid_hours = 72;
  document = render_chart (fixture, &options, patient->id);
  save (document, "chart-adversarial.pdf");
  g_assert_cmpuint (wk_chart_document_get_n_pages (document), >=, 6);
  assert_layout_sound (document, 595.276, 841.89);

  /* All forty are on the chart, and each page's code holds its orders. */
  for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
    {
      guint                  n;
      const WkChartOrderRef *refs = wk_chart_document_get_page_orders (document, p, &n);
      const guint8          *key = wk_keys_get_public_key (fixture->keys);
      g_autoptr (WkChartPayload) payload = wk_chart_payload_decode (
          wk_chart_document_get_page_payload (document, p), -1, key, 1, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (payload->orders->len, ==, n);
      for (guint i = 0; i < n; i++)
        {
          WkChartPayloadOrder *entry = payload->orders->pdata[i];

          g_assert_cmpstr (entry->placer_id, ==, refs[i].placer_id);
          g_assert_cmpint (entry->version, ==, refs[i].version);
          g_hash_table_add (printed, refs[i].placer_id);
        }
    }
  g_assert_cmpuint (g_hash_table_size (printed), ==, 40);
  text = document_text (document, 0);
  g_assert_nonnull (strstr (text, "not recorded"));
  g_assert_nonnull (strstr (text, "No bed"));
}

/* Many orders: every page carries the header, allergies and the footer, with page N of M
 * and the data time. */
static void
test_pages_and_footers (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPatient) patient = NULL;
  g_autofree char *nhs = NULL;
  g_autofree char *chart_id = NULL;
  guint            n_pages, listed = 0;

  patient = wk_patient_load (fixture->model, patient_in_bed (fixture, 0), &error);
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *placer = g_strdup_printf ("EXTRA-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (patient->id, placer, 1);

      g_free (order->drug);
      order->drug = g_strdup_printf ("Extra medicine %02u 10mg tablets", i);
      wk_order_insert (fixture->model, order, &error);
      g_assert_no_error (error);
    }
  wk_test_chart_options (&options);
  document = render_chart (fixture, &options, patient->id);
  save (document, "chart-many-orders.pdf");
  n_pages = wk_chart_document_get_n_pages (document);
  nhs = wk_nhs_number_format (patient->nhs_number);
  chart_id = g_strdup_printf ("Chart %.4s-%.4s", wk_chart_document_get_id (document),
                              wk_chart_document_get_id (document) + 4);
  g_assert_cmpuint (n_pages, >=, 5);
  assert_layout_sound (document, 595.276, 841.89);

  for (guint p = 1; p <= n_pages; p++)
    {
      g_autofree char *text = document_text (document, p);
      g_autofree char *page_of = g_strdup_printf ("Page %u of %u", p, n_pages);

      g_assert_nonnull (strstr (text, "TESTER0, Alex"));
      g_assert_nonnull (strstr (text, nhs));
      g_assert_nonnull (strstr (text, "ALLERGIES"));
      g_assert_nonnull (strstr (text, "PENICILLIN"));
      g_assert_nonnull (strstr (text, "DATA AS OF Sat 14 Mar 2026 02:13 GMT"));
      g_assert_nonnull (strstr (text, "The data was 37 min old when printed"));
      g_assert_nonnull (strstr (text, "Printed Sat 14 Mar 2026 02:50 GMT"));
      g_assert_nonnull (strstr (text, chart_id));
      g_assert_nonnull (strstr (text, page_of));
      listed += count_in (text, "EXTRA-");
    }
  /* Each extra order on exactly one page (none splits across pages). */
  g_assert_cmpuint (listed, ==, 30);
}

static void
assert_allergy_text (Fixture           *fixture,
                     WkAllergyStatus    status,
                     const char        *present,
                     const char *const *absent)
{
  WkChartOptions options;
  g_autoptr (WkChartDocument) document = NULL;
  g_autofree char *text = NULL;
  gint64           patient = wk_test_ward_admit (fixture->model, 90 + status, 0, status);

  wk_test_chart_options (&options);
  document = render_chart (fixture, &options, patient);
  text = document_text (document, 0);
  g_assert_nonnull (strstr (text, present));
  for (guint i = 0; absent[i] != NULL; i++)
    g_assert_null (strstr (text, absent[i]));
}

/* "No known drug allergies" and "not recorded" are different facts, printed differently. */
static void
test_allergy_status (Fixture *fixture, gconstpointer data)
{
  const char *const not_nkda[] = { "NO KNOWN DRUG ALLERGIES", "PENICILLIN", NULL };
  const char *const not_recorded[] = { "NOT RECORDED", "PENICILLIN", NULL };
  const char *const not_either[] = { "NO KNOWN DRUG ALLERGIES", "NOT RECORDED", NULL };

  assert_allergy_text (fixture, WK_ALLERGY_STATUS_NOT_RECORDED,
                       "ALLERGIES NOT RECORDED — ASK THE PATIENT", not_nkda);
  assert_allergy_text (fixture, WK_ALLERGY_STATUS_NONE_KNOWN, "NO KNOWN DRUG ALLERGIES",
                       not_recorded);
  assert_allergy_text (fixture, WK_ALLERGY_STATUS_RECORDED, "PENICILLIN — anaphylaxis (severe)",
                       not_either);
}

/* Counts a page's boxes for order @placer_id by kind. */
static void
count_cells (WkChartDocument *document, const char *placer_id, guint *open, guint *crossed)
{
  *open = *crossed = 0;
  for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
    {
      guint                  n_refs, n_boxes;
      const WkChartOrderRef *refs = wk_chart_document_get_page_orders (document, p, &n_refs);
      const WkChartBox      *boxes = wk_chart_document_get_page_boxes (document, p, &n_boxes);

      for (guint b = 0; b < n_boxes; b++)
        if (boxes[b].order >= 0 && strcmp (refs[boxes[b].order].placer_id, placer_id) == 0)
          {
            *open += boxes[b].kind == WK_CHART_BOX_CELL;
            *crossed += boxes[b].kind == WK_CHART_BOX_CELL_UNUSED;
          }
    }
}

/* The grid has a box per due time in the window; stopped and held orders have none. */
static void
test_grid (Fixture *fixture, gconstpointer data)
{
  static const struct
  {
    int   hours;
    guint para, amox;
  } expected[] = {
    /* Window from 02:00 on Sat 14 Mar to 02:50 after 24/48/72 h (GMT, no DST change).
     * Paracetamol QDS 06 12 18 22; amoxicillin TDS 06 14 22 until Sun 15 Mar 09:13. */
    { 24, 4, 3 },
    { 48, 8, 4 },
    { 72, 12, 4 },
  };

  gint64 patient = patient_in_bed (fixture, 0);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      WkChartOptions options;
      g_autoptr (WkChartDocument) document = NULL;
      guint open, crossed;

      wk_test_chart_options (&options);
      options.grid_hours = expected[i].hours;
      document = render_chart (fixture, &options, patient);
      count_cells (document, "P0-PARA", &open, &crossed);
      g_assert_cmpuint (open, ==, expected[i].para);
      g_assert_cmpuint (open + crossed, ==, 4 * (expected[i].hours / 24 + 1));
      count_cells (document, "P0-AMOX", &open, &crossed);
      g_assert_cmpuint (open, ==, expected[i].amox);
      /* Stopped: never in the grid. Held: no box to give it in. */
      count_cells (document, "P0-FURO", &open, &crossed);
      g_assert_cmpuint (open + crossed, ==, 0);
      count_cells (document, "P0-DALT", &open, &crossed);
      g_assert_cmpuint (open + crossed, ==, 0);
      /* As required: three lines of three boxes to record doses. */
      count_cells (document, "P0-MORP", &open, &crossed);
      g_assert_cmpuint (open, ==, 9);
    }
}

static guint
grey_pixels (WkChartDocument *document, int page)
{
  gsize         size;
  const guint8 *pdf = wk_chart_document_get_pdf (document, &size);

  return wk_test_pdf_count_grey (pdf, size, page);
}

/* A drill chart says so on every page, across the page and in its code; a real one
 * nowhere. */
static void
test_drill (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (WkChartDocument) census = NULL;
  g_autoptr (WkChartDocument) real = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  gint64 patient = patient_in_bed (fixture, 0);

  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *placer = g_strdup_printf ("DRILL-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (patient, placer, 1);

      wk_order_insert (fixture->model, order, &error);
      g_assert_no_error (error);
    }
  wk_test_chart_options (&options);
  real = render_chart (fixture, &options, patient);
  options.drill = TRUE;
  document = render_chart (fixture, &options, patient);
  save (document, "chart-drill.pdf");
  renderer = wk_chart_renderer_new (&options, fixture->keys, &error);
  census = wk_chart_renderer_render_census (renderer, fixture->model, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wk_chart_document_get_n_pages (document), >=, 3);

  for (guint d = 0; d < 2; d++)
    {
      WkChartDocument *doc = d == 0 ? document : census;

      for (guint p = 0; p < wk_chart_document_get_n_pages (doc); p++)
        {
          g_autofree char  *text = document_text (doc, p + 1);
          guint             n, watermarks = 0;
          const WkChartBox *boxes = wk_chart_document_get_page_boxes (doc, p, &n);

          /* The banner at the top of the page, the watermark drawn across it (the only
           * grey on a page: its letters, corner to corner) and the footer's warning. */
          g_assert_nonnull (strstr (text, "DRILL — NOT FOR CLINICAL USE"));
          g_assert_nonnull (strstr (text, "DRILL: not a clinical record"));
          g_assert_cmpuint (grey_pixels (doc, p + 1), >, 1000);
          for (guint b = 0; b < n; b++)
            watermarks += boxes[b].kind == WK_CHART_BOX_WATERMARK;
          g_assert_cmpuint (watermarks, ==, 1);
          if (d == 0)
            {
              g_autoptr (WkChartPayload) payload
                  = wk_chart_payload_decode (wk_chart_document_get_page_payload (doc, p), -1,
                                             wk_keys_get_public_key (fixture->keys), 1, &error);

              g_assert_no_error (error);
              g_assert_true (payload->drill);
            }
        }
    }

  /* The same chart for real: no watermark, no banner, a clinical code. */
  for (guint p = 0; p < wk_chart_document_get_n_pages (real); p++)
    {
      g_autofree char *text = document_text (real, p + 1);
      g_autoptr (WkChartPayload) payload
          = wk_chart_payload_decode (wk_chart_document_get_page_payload (real, p), -1,
                                     wk_keys_get_public_key (fixture->keys), 1, &error);

      g_assert_no_error (error);
      g_assert_false (payload->drill);
      g_assert_null (strstr (text, "NOT FOR CLINICAL USE"));
      g_assert_cmpuint (grey_pixels (real, p + 1), ==, 0);
    }
}

/* The census lists every bed in ward order, occupied, empty or closed. */
static void
test_census (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (WkChartDocument) census = NULL;
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (fixture->model, WK_TEST_WARD, &error);
  g_autofree char *text = NULL;
  const char      *at;

  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, fixture->keys, &error);
  census = wk_chart_renderer_render_census (renderer, fixture->model, &error);
  g_assert_no_error (error);
  save (census, "census.pdf");
  g_assert_cmpint (wk_chart_document_get_kind (census), ==, WK_CHART_DOCUMENT_CENSUS);
  g_assert_null (wk_chart_document_get_page_payload (census, 0));
  assert_layout_sound (census, 595.276, 841.89);
  {
    gsize         size;
    const guint8 *pdf = wk_chart_document_get_pdf (census, &size);

    /* Row by row, as laid out. */
    text = wk_test_pdf_to_text (pdf, size, 0, TRUE);
  }
  g_assert_nonnull (strstr (text, "WARD CENSUS"));
  g_assert_nonnull (strstr (text, "14 beds: 12 occupied, 1 empty, 1 closed"));
  g_assert_nonnull (strstr (text, "DATA AS OF Sat 14 Mar 2026 02:13 GMT"));

  /* Bed by bed, in ward order: each patient's name and NHS number, or empty, or closed. */
  at = text;
  for (guint i = 0; i < beds->len; i++)
    {
      WkBed           *bed = beds->pdata[i];
      g_autofree char *expect = NULL;

      if (bed->patient_id != 0)
        {
          g_autoptr (WkPatient) patient = wk_patient_load (fixture->model, bed->patient_id, &error);
          g_autofree char *nhs = wk_nhs_number_format (patient->nhs_number);
          g_autofree char *family = g_utf8_strup (patient->family_name, -1);

          expect = g_strdup_printf ("%s, %s", family, patient->given_names);
          at = strstr (at, expect);
          g_assert_nonnull (at);
          g_assert_nonnull (strstr (at, nhs));
        }
      else
        {
          at = strstr (at, bed->closed ? "CLOSED" : "— empty —");
          g_assert_nonnull (at);
        }
    }
  g_assert_nonnull (strstr (text, "No known drug"));
  g_assert_nonnull (strstr (text, "NOT RECORDED —"));
  g_assert_nonnull (strstr (text, "ALLERGIES:"));
  g_assert_nonnull (strstr (text, "Penicillin, Latex"));
}

/* A patient transferred in from a ward the kiosk does not keep, whose orders from before
 * have not been received: every page of their chart says, under the allergies and before
 * any medicine, that medicines may be missing; the census marks them. Others' charts say
 * nothing of it. */
static void
test_transferred_in (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPatient) moved = wk_patient_load (fixture->model, patient_in_bed (fixture, 0), NULL);
  g_autoptr (WkPatient) admitted = NULL;
  g_autoptr (WkChartDocument) chart = NULL;
  g_autoptr (WkChartDocument) other = NULL;
  g_autoptr (WkChartDocument) from_ed = NULL;
  g_autoptr (WkChartDocument) census = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autofree char *other_text = NULL;
  g_autofree char *ed_text = NULL;
  g_autofree char *census_text = NULL;
  guint            n_pages;

  moved->arrival = WK_ARRIVAL_TRANSFER;
  moved->arrived_at = WK_TEST_SNAPSHOT_AT - 50 * 60; /* 01:23 GMT */
  moved->arrived_from = g_strdup ("8B");
  g_assert_true (wk_patient_update (fixture->model, moved, &error));
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *placer = g_strdup_printf ("NEW-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (moved->id, placer, 1);

      wk_order_insert (fixture->model, order, &error);
      g_assert_no_error (error);
    }
  wk_test_chart_options (&options);
  chart = render_chart (fixture, &options, moved->id);
  save (chart, "chart-transferred-in.pdf");
  assert_layout_sound (chart, 595.276, 841.89);
  n_pages = wk_chart_document_get_n_pages (chart);
  g_assert_cmpuint (n_pages, >=, 3);
  for (guint p = 1; p <= n_pages; p++)
    {
      g_autofree char *text = document_text (chart, p);
      const char      *allergies = strstr (text, "ALLERGIES");
      const char *warning = strstr (text, "TRANSFERRED IN FROM 8B — Sat 14 Mar 2026 01:23 GMT");
      const char *medicines = strstr (text, "MEDICINES (");

      g_test_message ("page %u", p);
      g_assert_nonnull (allergies);
      g_assert_nonnull (warning);
      g_assert_true (allergies < warning);
      if (medicines != NULL)
        g_assert_true (warning < medicines);
      g_assert_nonnull (strstr (text, "MEDICINES PRESCRIBED BEFORE THE TRANSFER MAY BE MISSING "
                                      "FROM THIS CHART. CHECK WITH PHARMACY BEFORE GIVING OR "
                                      "OMITTING ANY DOSE."));
      g_assert_nonnull (strstr (text, "MEDICINES MAY BE MISSING"));
    }

  /* Someone admitted from the emergency department, the ward not given, and someone the
   * kiosk has followed all along. */
  admitted = wk_patient_load (fixture->model, patient_in_bed (fixture, 1), NULL);
  admitted->arrival = WK_ARRIVAL_ADMISSION;
  admitted->arrived_at = WK_TEST_SNAPSHOT_AT - 3600;
  g_assert_true (wk_patient_update (fixture->model, admitted, &error));
  from_ed = render_chart (fixture, &options, admitted->id);
  ed_text = document_text (from_ed, 0);
  g_assert_nonnull (strstr (ed_text, "ADMITTED FROM ANOTHER WARD OR DEPARTMENT — Sat 14 Mar 2026 "
                                     "01:13 GMT"));
  g_assert_nonnull (strstr (ed_text, "MEDICINES PRESCRIBED BEFORE THE ADMISSION MAY BE MISSING"));
  other = render_chart (fixture, &options, patient_in_bed (fixture, 3));
  other_text = document_text (other, 0);
  g_assert_null (strstr (other_text, "MAY BE MISSING"));
  g_assert_null (strstr (other_text, "TRANSFERRED IN"));

  renderer = wk_chart_renderer_new (&options, fixture->keys, &error);
  census = wk_chart_renderer_render_census (renderer, fixture->model, &error);
  g_assert_no_error (error);
  save (census, "census-transferred-in.pdf");
  assert_layout_sound (census, 595.276, 841.89);
  census_text = document_text (census, 0);
  g_assert_nonnull (strstr (census_text, "2 patients arrived from wards or departments this kiosk "
                                         "does not keep: medicines may be missing from their "
                                         "charts"));
  {
    const char *row = strstr (census_text, "TESTER0, Alex");

    g_assert_nonnull (row);
    g_assert_nonnull (
        strstr (row, "⚠ MEDICINES MAY BE MISSING TRANSFERRED IN FROM 8B 14 Mar 01:23"));
    g_assert_nonnull (strstr (row, "⚠ may be more"));
    g_assert_cmpuint (count_in (census_text, "⚠ MEDICINES MAY BE MISSING"), ==, 2);
  }
}

/* "Print ward": the census, then one chart per occupied bed in ward order. */
static void
test_ward (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (GPtrArray) documents = NULL;
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (fixture->model, WK_TEST_WARD, &error);
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  guint next = 1;

  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, fixture->keys, &error);
  documents = wk_chart_renderer_render_ward (renderer, fixture->model, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wk_chart_document_get_kind (documents->pdata[0]), ==, WK_CHART_DOCUMENT_CENSUS);
  for (guint i = 0; i < beds->len; i++)
    {
      WkBed *bed = beds->pdata[i];

      if (bed->patient_id == 0)
        continue;
      g_assert_cmpuint (next, <, documents->len);
      g_assert_cmpint (wk_chart_document_get_patient_id (documents->pdata[next]), ==,
                       bed->patient_id);
      next++;
    }
  g_assert_cmpuint (next, ==, documents->len);
  /* Every document has its own id. */
  for (guint i = 0; i < documents->len; i++)
    g_assert_true (
        g_hash_table_add (ids, (gpointer)wk_chart_document_get_id (documents->pdata[i])));
}

/* US Letter pages are Letter-sized, with the same layout guarantees. */
static void
test_letter (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = wk_test_scratch_path ("letter.pdf");
  g_autofree char *info = NULL;
  gsize            size;
  const guint8    *pdf;
  int              status;
  const char      *argv[] = { "pdfinfo", path, NULL };

  wk_test_chart_options (&options);
  options.paper = WK_PAPER_LETTER;
  document = render_chart (fixture, &options, patient_in_bed (fixture, 1));
  pdf = wk_chart_document_get_pdf (document, &size);
  g_assert_true (g_file_set_contents (path, (const char *)pdf, size, &error));
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &info,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (info, "612 x 792 pts (letter)"));
  assert_layout_sound (document, 612, 792);
}

typedef struct
{
  Fixture *fixture;
  gint64   patient;
  WkModel *model;
  guint    pages;
} ThreadJob;

static gpointer
render_in_thread (gpointer data)
{
  ThreadJob     *job = data;
  WkChartOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;

  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, job->fixture->keys, &error);
  for (int i = 0; i < 5; i++)
    {
      g_autoptr (WkChartDocument) document
          = wk_chart_renderer_render_chart (renderer, job->model, job->patient, &error);

      g_assert_no_error (error);
      job->pages = wk_chart_document_get_n_pages (document);
    }
  return NULL;
}

/* Renderers in different threads at once (the daemon renders in GTask threads). */
static void
test_threads (Fixture *fixture, gconstpointer data)
{
  ThreadJob jobs[3];
  GThread  *threads[3];
  g_autoptr (GError) error = NULL;
  gsize   size;
  guint8 *copy;

  copy = wk_model_serialize (fixture->model, &size, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      guint8 *mine = sqlite3_malloc64 (size);

      memcpy (mine, copy, size);

      jobs[i].fixture = fixture;
      jobs[i].patient = patient_in_bed (fixture, i == 2 ? 3 : i);
      /* One model per thread, as each of the daemon's tasks loads its snapshot. */
      jobs[i].model = wk_model_new_from_serialized (mine, size, TRUE, &error);
      g_assert_no_error (error);
      jobs[i].pages = 0;
    }
  sqlite3_free (copy);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    threads[i] = g_thread_new ("render", render_in_thread, &jobs[i]);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (jobs[i].pages, ==, 2);
      wk_model_free (jobs[i].model);
    }
}

/* Options that cannot make a chart are refused, naming what is wrong. */
static void
test_bad_options (Fixture *fixture, gconstpointer data)
{
  WkChartOptions options;
  g_autoptr (GError) error = NULL;

  wk_test_chart_options (&options);
  options.grid_hours = 36;
  g_assert_null (wk_chart_renderer_new (&options, fixture->keys, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "24, 48 or 72"));
  g_clear_error (&error);

  wk_test_chart_options (&options);
  options.timezone = "Europe/Nowhere";
  g_assert_null (wk_chart_renderer_new (&options, fixture->keys, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Europe/Nowhere"));
  g_clear_error (&error);

  wk_test_chart_options (&options);
  options.snapshot_at = 0;
  g_assert_null (wk_chart_renderer_new (&options, fixture->keys, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);

  /* A patient not in the model is the model's error, untouched. */
  {
    g_autoptr (WkChartRenderer) renderer = NULL;

    wk_test_chart_options (&options);
    renderer = wk_chart_renderer_new (&options, fixture->keys, &error);
    g_assert_null (wk_chart_renderer_render_chart (renderer, fixture->model, 9999, &error));
    g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND);
  }
}

/* The [chart] settings and the ward's time zone reach the options. */
static void
test_options_from_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) defaults
      = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "defaults.conf", &error);
  g_autoptr (WkConfig) config = wk_config_load_from_data (
      "[ward]\nid = 9B\ntimezone = America/New_York\n\n[chart]\npaper = letter\n"
      "grid-hours = 72\nstopped-window = 12h\n",
      -1, "chart.conf", &error);
  g_autoptr (WkConfig) wrong = NULL;
  WkChartOptions options;

  g_assert_no_error (error);
  wk_chart_options_init (&options);
  wk_chart_options_load_config (&options, defaults);
  g_assert_cmpstr (options.ward_id, ==, "7A");
  g_assert_cmpstr (options.timezone, ==, "Europe/London");
  g_assert_cmpint (options.paper, ==, WK_PAPER_A4);
  g_assert_cmpint (options.grid_hours, ==, 24);
  g_assert_cmpint (options.stopped_window, ==, 24 * 3600);

  wk_chart_options_load_config (&options, config);
  g_assert_cmpstr (options.ward_id, ==, "9B");
  g_assert_cmpstr (options.timezone, ==, "America/New_York");
  g_assert_cmpint (options.paper, ==, WK_PAPER_LETTER);
  g_assert_cmpint (options.grid_hours, ==, 72);
  g_assert_cmpint (options.stopped_window, ==, 12 * 3600);

  /* A grid the chart cannot print is refused when the configuration is read. */
  wrong = wk_config_load_from_data ("[ward]\nid = 7A\n[chart]\ngrid-hours = 36\n", -1, "wrong.conf",
                                    &error);
  g_assert_null (wrong);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "[chart] grid-hours"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func, beds)                                                                      \
  g_test_add (path, Fixture, GUINT_TO_POINTER (beds), fixture_set_up, func, fixture_tear_down)
  ADD ("/print/chart/content", test_chart_content, 6);
  ADD ("/print/chart/pages-and-footers", test_pages_and_footers, 2);
  ADD ("/print/chart/adversarial-layout", test_adversarial_layout, 1);
  ADD ("/print/chart/allergy-status", test_allergy_status, 1);
  ADD ("/print/chart/grid", test_grid, 2);
  ADD ("/print/chart/drill", test_drill, 2);
  ADD ("/print/chart/letter", test_letter, 2);
  ADD ("/print/chart/threads", test_threads, 4);
  ADD ("/print/chart/bad-options", test_bad_options, 1);
  ADD ("/print/census/beds-in-ward-order", test_census, 14);
  ADD ("/print/chart/transferred-in", test_transferred_in, 4);
  ADD ("/print/ward/census-then-charts", test_ward, 8);
#undef ADD
  g_test_add_func ("/print/chart/options-from-config", test_options_from_config);
  return g_test_run ();
}
