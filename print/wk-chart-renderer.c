/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-renderer.c — lays out drug charts and the ward census as PDF, signing each page.
 *
 * A chart follows the conventions of UK inpatient drug charts: patient details and the
 * allergy box on every page, then regular medicines (one row each, with a box for every
 * due time in the grid's window: times down, dates across), as-required, once-only,
 * and orders stopped recently (struck through, never in the grid). The footer of every
 * page says how old the data is, the chart's id, page N of M and carries the signed QR
 * code of what the page holds. Rows are laid out once as blocks (wk-chart-layout.c),
 * then paginated so that each page's rows fit both the page and its QR code. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-chart-renderer.h"

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-chart-facts.h"
#include "wk-chart-grid.h"
#include "wk-chart-id.h"
#include "wk-chart-payload.h"
#include "wk-chart-private.h"
#include "wk-nhs-number.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-print-error.h"
#include "wk-ward.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* Page geometry, in points. The left margin leaves room for a hole punch. */
#define MARGIN_LEFT 40.0
#define MARGIN_RIGHT 28.0
#define MARGIN_TOP 28.0
#define MARGIN_BOTTOM 28.0
#define GAP 6.0
/* The QR code's square, quiet zone included, and its smallest module: 1.5 pt modules
 * decode from a 150 dpi scan (DESIGN.md "Paper"). */
#define QR_AREA 156.0
#define QR_MIN_MODULE 1.5
/* Chart rows. */
#define TEXT_COLUMN 196.0
#define TIME_COLUMN 34.0
#define CELL_HEIGHT 18.0
#define DATE_COLUMN_MAX 150.0
#define ROW_PAD 4.0
#define RECORD_ROWS 3

#define DRILL_TEXT "DRILL — NOT FOR CLINICAL USE"

/* Sections are the shared ones of wk-chart-facts.h, so that the screen lists the same. */
typedef WkChartSection Section;
#define SECTION_REGULAR WK_CHART_SECTION_REGULAR
#define SECTION_PRN WK_CHART_SECTION_PRN
#define SECTION_ONCE WK_CHART_SECTION_ONCE
#define SECTION_STOPPED WK_CHART_SECTION_STOPPED
#define N_SECTIONS WK_CHART_N_SECTIONS

struct _WkChartRenderer
{
  char              *ward_id;
  GTimeZone         *tz;
  guint64            snapshot_seq;
  gint64             snapshot_at;
  gint64             printed_at;
  WkPaperSize        paper;
  int                grid_hours;
  gint64             stopped_window;
  gboolean           drill;
  WkKeys            *keys;
  WkChartTypesetter *typesetter;
  double             page_width, page_height;
  WkChartGrid       *grid;      /* the grid's days and due times */
  gsize              qr_budget; /* payload bytes a page's QR code may hold */
};

typedef struct
{
  WkOrder          *order;
  WkAdministration *last_given;
  Section           section;
  gsize             payload_size;
} ChartOrder;

typedef struct
{
  WkPatient *patient;
  WkBed     *bed;
  char      *ward_name;
  GPtrArray *allergies;
  GPtrArray *sections[N_SECTIONS]; /* ChartOrder */
} ChartData;

/* A page being filled: its rows and where they go, and the orders on it. */
typedef struct
{
  GPtrArray *blocks;     /* WkChartBlock, borrowed */
  GPtrArray *row_orders; /* ChartOrder of each block, borrowed; NULL for none */
  GArray    *ys;         /* double */
  GPtrArray *orders;     /* ChartOrder, borrowed, each once */
} PagePlan;

static void
chart_order_free (gpointer data)
{
  ChartOrder *entry = data;

  wk_order_free (entry->order);
  wk_administration_free (entry->last_given);
  g_free (entry);
}

static void
chart_data_free (ChartData *data)
{
  wk_patient_free (data->patient);
  wk_bed_free (data->bed);
  g_free (data->ward_name);
  g_clear_pointer (&data->allergies, g_ptr_array_unref);
  for (int i = 0; i < N_SECTIONS; i++)
    g_clear_pointer (&data->sections[i], g_ptr_array_unref);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChartData, chart_data_free)

static void
page_plan_free (gpointer data)
{
  PagePlan *plan = data;

  g_ptr_array_unref (plan->blocks);
  g_ptr_array_unref (plan->row_orders);
  g_array_unref (plan->ys);
  g_ptr_array_unref (plan->orders);
  g_free (plan);
}

static PagePlan *
page_plan_new (void)
{
  PagePlan *plan = g_new0 (PagePlan, 1);

  plan->blocks = g_ptr_array_new ();
  plan->row_orders = g_ptr_array_new ();
  plan->ys = g_array_new (FALSE, FALSE, sizeof (double));
  plan->orders = g_ptr_array_new ();
  return plan;
}

/* ---- Options ---------------------------------------------------------------------- */

/**
 * wk_chart_options_init:
 * @options: (out caller-allocates): options to fill with the defaults
 *
 * A4, a 24-hour grid, orders stopped in the last 24 hours listed, Europe/London, not a
 * drill; the ward, snapshot and times are left for the caller.
 */
void
wk_chart_options_init (WkChartOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->paper = WK_PAPER_A4;
  options->grid_hours = 24;
  options->stopped_window = 24 * 3600;
}

/**
 * wk_chart_options_load_config:
 * @options: options to update
 * @config: the kiosk's configuration
 *
 * Takes the ward, its time zone and the `[chart]` settings from @config. The strings
 * stay owned by @config, which must outlive @options' use.
 */
void
wk_chart_options_load_config (WkChartOptions *options, WkConfig *config)
{
  g_return_if_fail (options != NULL);
  g_return_if_fail (config != NULL);

  options->ward_id = wk_config_get_string (config, "ward", "id");
  options->timezone = wk_config_get_string (config, "ward", "timezone");
  options->paper = g_strcmp0 (wk_config_get_string (config, "chart", "paper"), "letter") == 0
                       ? WK_PAPER_LETTER
                       : WK_PAPER_A4;
  options->grid_hours = atoi (wk_config_get_string (config, "chart", "grid-hours"));
  options->stopped_window = wk_config_get_duration_ms (config, "chart", "stopped-window") / 1000;
}

/* ---- Times and text --------------------------------------------------------------- */

static const char *const weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const months[]
    = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static GDateTime *
to_local (WkChartRenderer *renderer, gint64 utc)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);

  if (when == NULL)
    when = g_date_time_new_from_unix_utc (0);
  return g_date_time_to_timezone (when, renderer->tz);
}

/* "Sat 14 Mar 2026 02:13 GMT": English whatever the locale, as the ward reads it. */
static char *
format_full (WkChartRenderer *renderer, gint64 utc)
{
  g_autoptr (GDateTime) t = to_local (renderer, utc);

  return g_strdup_printf ("%s %d %s %d %02d:%02d %s", weekdays[g_date_time_get_day_of_week (t) - 1],
                          g_date_time_get_day_of_month (t), months[g_date_time_get_month (t) - 1],
                          g_date_time_get_year (t), g_date_time_get_hour (t),
                          g_date_time_get_minute (t), g_date_time_get_timezone_abbreviation (t));
}

/* "14 Mar 02:13" */
static char *
format_short (WkChartRenderer *renderer, gint64 utc)
{
  g_autoptr (GDateTime) t = to_local (renderer, utc);

  return g_strdup_printf ("%d %s %02d:%02d", g_date_time_get_day_of_month (t),
                          months[g_date_time_get_month (t) - 1], g_date_time_get_hour (t),
                          g_date_time_get_minute (t));
}

/* "14 Mar 2026", from local time or from an ISO date. */
static char *
format_date (WkChartRenderer *renderer, gint64 utc)
{
  g_autoptr (GDateTime) t = to_local (renderer, utc);

  return g_strdup_printf ("%d %s %d", g_date_time_get_day_of_month (t),
                          months[g_date_time_get_month (t) - 1], g_date_time_get_year (t));
}

static char *
format_birth_date (const char *iso)
{
  int year, month, day;

  if (iso == NULL || sscanf (iso, "%d-%d-%d", &year, &month, &day) != 3 || month < 1 || month > 12)
    return NULL;
  return g_strdup_printf ("%02d %s %d", day, months[month - 1], year);
}

static char *
format_age (gint64 seconds)
{
  if (seconds < 60)
    return g_strdup ("less than a minute");
  if (seconds < 3600)
    return g_strdup_printf ("%d min", (int)(seconds / 60));
  if (seconds < 86400)
    return g_strdup_printf ("%d h %02d min", (int)(seconds / 3600), (int)(seconds % 3600 / 60));
  return g_strdup_printf ("%d day%s %d h", (int)(seconds / 86400), seconds < 2 * 86400 ? "" : "s",
                          (int)(seconds % 86400 / 3600));
}

static char *
format_patient_name (const WkPatient *patient)
{
  g_autofree char *family = g_utf8_strup (patient->family_name, -1);

  if (patient->given_names == NULL || *patient->given_names == '\0')
    return g_steal_pointer (&family);
  return g_strdup_printf ("%s, %s", family, patient->given_names);
}

/* The ward as staff call it: its name ("Ward 7A — Acute Medicine"), or "Ward 7A". */
static char *
format_ward (const char *ward_id, const char *ward_name)
{
  if (ward_name != NULL && g_strcmp0 (ward_name, ward_id) != 0)
    return g_strdup (ward_name);
  return g_strdup_printf ("Ward %s", ward_id);
}

/* Where the patient is: "Bay BAY1 · Bed 3", the line staff look for first. */
static char *
format_bed (const WkBed *bed)
{
  if (bed == NULL)
    return g_strdup ("No bed");
  if (bed->bay != NULL && *bed->bay != '\0')
    return g_strdup_printf ("Bay %s · Bed %s", bed->bay, bed->bed);
  return g_strdup_printf ("Bed %s", bed->bed);
}

/* ---- The renderer ----------------------------------------------------------------- */

/* How many payload bytes fit a QR code of QR_AREA at QR_MIN_MODULE, in Base45 in
 * alphanumeric mode at ECC level M; found once per process, by trial with libqrencode. */
static gsize
compute_qr_budget (void)
{
  static gsize budget = 0;

  if (g_once_init_enter (&budget))
    {
      int   max_version = ((int)(QR_AREA / QR_MIN_MODULE) - 2 * 4 - 17) / 4;
      gsize low = 3, high = 7089;

      while (low < high)
        {
          gsize            mid = (low + high + 1) / 2;
          g_autofree char *text = g_malloc (mid + 1);
          QRcode          *qr;
          gboolean         fits;

          memcpy (text, WK_CHART_PAYLOAD_PREFIX, 3);
          memset (text + 3, 'A', mid - 3);
          text[mid] = '\0';
          qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
          fits = qr != NULL && qr->version <= max_version;
          QRcode_free (qr);
          if (fits)
            low = mid;
          else
            high = mid - 1;
        }
      /* Characters after the prefix, three per two bytes; 2% spare for the mode choice. */
      g_once_init_leave (&budget, (low - strlen (WK_CHART_PAYLOAD_PREFIX)) / 3 * 2 * 98 / 100);
    }
  return budget;
}

/**
 * wk_chart_renderer_new:
 * @options: what to print and how
 * @keys: the kiosk's keys, which sign every page's QR code; borrowed, and must outlive
 *   the renderer
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a renderer, or %NULL with %WK_PRINT_ERROR_INVALID naming
 *   the option that is wrong
 */
WkChartRenderer *
wk_chart_renderer_new (const WkChartOptions *options, WkKeys *keys, GError **error)
{
  g_autoptr (WkChartRenderer) renderer = NULL;
  const char *problem = NULL;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (keys != NULL, NULL);

  if (options->ward_id == NULL || *options->ward_id == '\0')
    problem = "no ward is given";
  else if (options->grid_hours != 24 && options->grid_hours != 48 && options->grid_hours != 72)
    problem = "the grid must cover 24, 48 or 72 hours";
  else if (options->snapshot_at <= 0 || options->printed_at <= 0)
    problem = "the snapshot's time and the printing time are both needed";
  else if (options->stopped_window < 0)
    problem = "the window for stopped orders cannot be negative";
  else if (options->paper != WK_PAPER_A4 && options->paper != WK_PAPER_LETTER)
    problem = "the paper is neither A4 nor Letter";
  if (problem != NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "Cannot print charts: %s",
                   problem);
      return NULL;
    }

  renderer = g_new0 (WkChartRenderer, 1);
  renderer->tz = g_time_zone_new_identifier (options->timezone != NULL ? options->timezone
                                                                       : "Europe/London");
  if (renderer->tz == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Cannot print charts: \"%s\" is not a time zone of the tz database",
                   options->timezone);
      return NULL;
    }
  renderer->ward_id = g_strdup (options->ward_id);
  renderer->snapshot_seq = options->snapshot_seq;
  renderer->snapshot_at = options->snapshot_at;
  renderer->printed_at = options->printed_at;
  renderer->paper = options->paper;
  renderer->grid_hours = options->grid_hours;
  renderer->stopped_window = options->stopped_window;
  renderer->drill = options->drill;
  renderer->keys = keys;
  renderer->page_width = options->paper == WK_PAPER_LETTER ? 612 : 595.276;
  renderer->page_height = options->paper == WK_PAPER_LETTER ? 792 : 841.89;

  renderer->typesetter = _wk_chart_typesetter_new ();
  renderer->qr_budget = compute_qr_budget ();
  renderer->grid = wk_chart_grid_new (renderer->tz, renderer->snapshot_at, renderer->printed_at,
                                      renderer->grid_hours);
  return g_steal_pointer (&renderer);
}

/**
 * wk_chart_renderer_free:
 * @renderer: (nullable) (transfer full): a #WkChartRenderer
 */
void
wk_chart_renderer_free (WkChartRenderer *renderer)
{
  if (renderer == NULL)
    return;
  g_free (renderer->ward_id);
  g_clear_pointer (&renderer->tz, g_time_zone_unref);
  g_clear_pointer (&renderer->grid, wk_chart_grid_free);
  g_clear_pointer (&renderer->typesetter, _wk_chart_typesetter_free);
  g_free (renderer);
}

static double
content_width (WkChartRenderer *renderer)
{
  return renderer->page_width - MARGIN_LEFT - MARGIN_RIGHT;
}

/* ---- From the model --------------------------------------------------------------- */

/* The ward as staff call it, from the model. */
static char *
dup_ward_name (WkModel *model, const char *ward_id)
{
  g_autoptr (WkWard) ward = wk_ward_load (model, ward_id, NULL);

  return format_ward (ward_id, ward != NULL ? ward->name : NULL);
}

static ChartData *
load_chart_data (WkChartRenderer *renderer, WkModel *model, gint64 patient_id, GError **error)
{
  g_autoptr (ChartData) data = g_new0 (ChartData, 1);
  g_autoptr (GPtrArray) orders = NULL;

  data->patient = wk_patient_load (model, patient_id, error);
  if (data->patient == NULL)
    return NULL;
  if (data->patient->bed_id != 0)
    {
      data->bed = wk_bed_load (model, data->patient->bed_id, error);
      if (data->bed == NULL)
        return NULL;
    }
  data->ward_name = dup_ward_name (model, data->bed != NULL                ? data->bed->ward_id
                                          : data->patient->ward_id != NULL ? data->patient->ward_id
                                                                           : renderer->ward_id);
  data->allergies = wk_allergy_load_for_patient (model, patient_id, error);
  if (data->allergies == NULL)
    return NULL;
  orders = wk_order_load_for_patient (model, patient_id, error);
  if (orders == NULL)
    return NULL;
  for (int i = 0; i < N_SECTIONS; i++)
    data->sections[i] = g_ptr_array_new_with_free_func (chart_order_free);

  for (guint i = 0; i < orders->len; i++)
    {
      WkOrder *order = orders->pdata[i];
      g_autoptr (GError) local_error = NULL;
      g_autoptr (WkAdministration) last
          = wk_administration_load_last_given (model, order->placer_id, &local_error);
      g_autoptr (WkChartPayloadOrder) entry = NULL;
      ChartOrder *chart_order;
      int         section;

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      section = wk_chart_section_of (order, last, renderer->snapshot_at, renderer->stopped_window);
      if (section < 0)
        continue;
      chart_order = g_new0 (ChartOrder, 1);
      chart_order->order = g_steal_pointer (&orders->pdata[i]);
      chart_order->last_given = g_steal_pointer (&last);
      chart_order->section = section;
      entry = wk_chart_payload_order_new (
          chart_order->order, chart_order->last_given != NULL ? chart_order->last_given->at : 0);
      chart_order->payload_size = wk_chart_payload_order_get_size (entry, renderer->snapshot_at);
      g_ptr_array_add (data->sections[section], chart_order);
    }
  return g_steal_pointer (&data);
}

/* ---- Blocks: header, allergies, headings, rows, footer ---------------------------- */

/* MAX() of a height and a call that adds text, calling it once (MAX evaluates twice). */
static double
taller (double a, double b)
{
  return MAX (a, b);
}

static WkChartTextStyle
style_of (double size, gboolean is_bold, int max_lines)
{
  WkChartTextStyle style = { size, is_bold, PANGO_ALIGN_LEFT, max_lines };

  return style;
}

/* A black bar across the block with white text, left and right. */
static double
add_banner (WkChartRenderer *renderer, WkChartBlock *block, double y, const char *left)
{
  double           width = _wk_chart_block_get_width (block);
  WkChartTextStyle style = style_of (8.5, TRUE, 1);
  int              bar = _wk_chart_block_add_group (block, -1, 0, y, width, 15, 0, TRUE);
  g_autofree char *title = g_markup_escape_text (left, -1);
  const char      *right = renderer->drill ? DRILL_TEXT : "Printed by the ward's downtime kiosk";
  double           h;

  style.white = TRUE;
  h = _wk_chart_block_add_text (block, bar, 4, y + 2, width * 0.55 - 8, title, &style);
  style.align = PANGO_ALIGN_RIGHT;
  h = taller (h, _wk_chart_block_add_text (block, bar, width * 0.55, y + 2, width * 0.45 - 4, right,
                                           &style));
  _wk_chart_block_set_group_height (block, bar, MAX (15, h + 4));
  return y + MAX (15, h + 4);
}

static WkChartBlock *
build_chart_header (WkChartRenderer *renderer, ChartData *data)
{
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, content_width (renderer));
  double           width = content_width (renderer), y, h;
  const WkPatient *patient = data->patient;
  g_autoptr (GDateTime) now = to_local (renderer, renderer->printed_at);
  g_autofree char *name = format_patient_name (patient);
  g_autofree char *location = format_bed (data->bed);
  g_autofree char *markup = NULL;
  WkChartTextStyle style = style_of (16, TRUE, 3);
  char            *fields[6][2] = { { NULL } };
  double           column = (width - 16) / 3;

  y = add_banner (renderer, block, 0, "DRUG CHART — DOWNTIME PAPER COPY") + 4;
  markup = g_markup_escape_text (name, -1);
  h = _wk_chart_block_add_text (block, -1, 0, y, width * 0.6 - 8, markup, &style);
  g_clear_pointer (&markup, g_free);
  style = style_of (15, TRUE, 2);
  style.align = PANGO_ALIGN_RIGHT;
  markup = g_markup_printf_escaped ("<span size='10240'>%s</span>\n%s", data->ward_name, location);
  h = taller (h, _wk_chart_block_add_text (block, -1, width * 0.6, y, width * 0.4, markup, &style));
  g_clear_pointer (&markup, g_free);
  y += h + 4;

  /* Identity and clinical details, three across: label small, value bold. */
  fields[0][0] = g_strdup ("NHS number");
  fields[0][1] = patient->nhs_number != NULL ? wk_nhs_number_format (patient->nhs_number) : NULL;
  fields[1][0] = g_strdup ("Date of birth (age)");
  fields[1][1] = format_birth_date (patient->birth_date);
  if (fields[1][1] != NULL)
    {
      char *with_age
          = g_strdup_printf ("%s (%d y)", fields[1][1], wk_patient_get_age (patient, now));

      g_free (fields[1][1]);
      fields[1][1] = with_age;
    }
  fields[2][0] = g_strdup ("Hospital number");
  fields[2][1] = g_strdup (patient->hospital_number);
  fields[3][0] = g_strdup ("Sex");
  fields[3][1] = g_strdup (patient->sex == WK_SEX_FEMALE  ? "Female"
                           : patient->sex == WK_SEX_MALE  ? "Male"
                           : patient->sex == WK_SEX_OTHER ? "Other"
                                                          : NULL);
  fields[4][0] = g_strdup ("Weight");
  if (patient->weight_kg > 0)
    {
      g_autofree char *kg = wk_chart_format_number (round (patient->weight_kg * 10) / 10);
      g_autofree char *when
          = patient->weight_at > 0 ? format_date (renderer, patient->weight_at) : NULL;

      fields[4][1]
          = when != NULL ? g_strdup_printf ("%s kg (%s)", kg, when) : g_strdup_printf ("%s kg", kg);
    }
  fields[5][0] = g_strdup ("Consultant");
  fields[5][1] = g_strdup (patient->consultant);
  for (int row = 0; row < 2; row++)
    {
      double row_height = 0;

      for (int col = 0; col < 3; col++)
        {
          char           **field = fields[row * 3 + col];
          g_autofree char *text = NULL;

          style = style_of (10, FALSE, 3);
          if (field[1] != NULL && *field[1] != '\0')
            text = g_markup_printf_escaped ("<span size='7168'>%s</span>\n<b>%s</b>", field[0],
                                            field[1]);
          else
            text = g_markup_printf_escaped ("<span size='7168'>%s</span>\nnot recorded", field[0]);
          row_height = taller (row_height, _wk_chart_block_add_text (block, -1, col * (column + 8),
                                                                     y, column, text, &style));
          g_free (field[0]);
          g_free (field[1]);
        }
      y += row_height + 3;
    }
  _wk_chart_block_add_rule (block, 0, y + 1, width, y + 1, 1.0);
  _wk_chart_block_set_height (block, y + 3);
  return block;
}

#define ALLERGY_BORDER 2.5
#define ALLERGY_LABEL 86.0
#define ALLERGIES_LISTED 12

static WkChartBlock *
build_allergies (WkChartRenderer *renderer, ChartData *data)
{
  double        width = content_width (renderer);
  WkChartBlock *block = _wk_chart_block_new (renderer->typesetter, width);
  int    frame = _wk_chart_block_add_group (block, -1, 0, 0, width, 0, ALLERGY_BORDER, FALSE);
  double inner = ALLERGY_BORDER, pad = 4;
  int    label = _wk_chart_block_add_group (block, frame, inner, inner, ALLERGY_LABEL, 0, 0, TRUE);
  g_autoptr (GString) text = g_string_new (NULL);
  WkChartTextStyle style = style_of (11, TRUE, 0);
  double           label_h, text_h, h;
  double           text_x = inner + ALLERGY_LABEL + 6;

  style.white = TRUE;
  style.align = PANGO_ALIGN_CENTER;
  label_h = _wk_chart_block_add_text (block, label, inner + pad, inner + pad,
                                      ALLERGY_LABEL - 2 * pad, "ALLERGIES", &style);

  /* "No known allergies" and "not recorded" are different facts and read differently. */
  if (data->patient->allergy_status == WK_ALLERGY_STATUS_NONE_KNOWN)
    g_string_append (text, "<span size='13312'>NO KNOWN DRUG ALLERGIES</span>\n"
                           "<span size='8192' weight='normal'>Recorded in the EPR as no known "
                           "drug allergies (NKDA).</span>");
  else if (data->patient->allergy_status == WK_ALLERGY_STATUS_NOT_RECORDED
           || data->allergies->len == 0)
    g_string_append (text, "<span size='13312'>ALLERGIES NOT RECORDED — ASK THE PATIENT</span>\n"
                           "<span size='8192' weight='normal'>Nothing was recorded in the EPR. "
                           "Ask the patient or their family before giving any medicine.</span>");
  else
    {
      guint listed = MIN (data->allergies->len, ALLERGIES_LISTED);

      for (guint i = 0; i < listed; i++)
        {
          const WkAllergy *allergy = data->allergies->pdata[i];
          g_autofree char *substance = g_utf8_strup (allergy->substance, -1);
          g_autofree char *item = NULL;
          const char      *severity = wk_severity_to_string (allergy->severity);

          item = g_markup_printf_escaped (
              "%s%s<span weight='normal'>%s%s%s%s%s%s</span>", i > 0 ? ";  " : "", substance,
              allergy->reaction != NULL ? " — " : "",
              allergy->reaction != NULL ? allergy->reaction : "",
              allergy->severity != WK_SEVERITY_UNKNOWN ? " (" : "",
              allergy->severity != WK_SEVERITY_UNKNOWN ? severity : "",
              allergy->severity != WK_SEVERITY_UNKNOWN ? ")" : "",
              allergy->category == WK_ALLERGY_FOOD          ? " [food]"
              : allergy->category == WK_ALLERGY_ENVIRONMENT ? " [environment]"
                                                            : "");
          g_string_append (text, item);
        }
      if (data->allergies->len > listed)
        g_string_append_printf (text, "\nAND %u MORE NOT PRINTED — ASK THE PATIENT",
                                data->allergies->len - listed);
    }
  style = style_of (11, TRUE, 0);
  text_h = _wk_chart_block_add_text (block, frame, text_x, inner + pad,
                                     width - text_x - inner - pad, text->str, &style);
  h = MAX (label_h, text_h) + 2 * (inner + pad);
  _wk_chart_block_set_group_height (block, label, h - 2 * inner);
  _wk_chart_block_set_group_height (block, frame, h);
  _wk_chart_block_set_height (block, h);
  return block;
}

#define ARRIVAL_BORDER 3.5

/* "TRANSFERRED IN FROM 8B ON Mon 2 Mar 2026 14:32 GMT" and what it means for the chart. */
static char *
arrival_markup (WkChartRenderer *renderer, const WkPatient *patient, gboolean heading)
{
  g_autofree char *when = format_full (renderer, patient->arrived_at);
  g_autofree char *from
      = patient->arrived_from != NULL
            ? g_utf8_strup (patient->arrived_from, -1)
            : g_strdup (patient->arrival == WK_ARRIVAL_TRANSFER ? "ANOTHER WARD"
                                                                : "ANOTHER WARD OR DEPARTMENT");
  gboolean transfer = patient->arrival == WK_ARRIVAL_TRANSFER;

  if (!heading)
    {
      g_autofree char *short_when = format_short (renderer, patient->arrived_at);

      return g_markup_printf_escaped ("%s%s%s %s", transfer ? "TRANSFERRED IN" : "ADMITTED",
                                      patient->arrived_from != NULL ? " FROM " : "",
                                      patient->arrived_from != NULL ? from : "", short_when);
    }
  return g_markup_printf_escaped (
      "<span size='13312'>%s FROM %s — %s</span>\n"
      "MEDICINES PRESCRIBED BEFORE THE %s MAY BE MISSING FROM THIS CHART. "
      "CHECK WITH PHARMACY BEFORE GIVING OR OMITTING ANY DOSE.\n"
      "<span size='8192' weight='normal'>The EPR has not sent this patient's medicines to the "
      "downtime kiosk since the %s. Check the current prescriptions with pharmacy or the "
      "prescriber, and the transfer letter.</span>",
      transfer ? "TRANSFERRED IN" : "ADMITTED", from, when, transfer ? "TRANSFER" : "ADMISSION",
      transfer ? "transfer" : "admission");
}

/* Under the allergies on every page of a patient whose orders may be missing (see
 * wk_patient_orders_may_be_missing()): a heavy box, its label reversed out like the
 * allergies' so that it cannot be taken for an ordinary note. NULL for everyone else. */
static WkChartBlock *
build_arrival (WkChartRenderer *renderer, ChartData *data)
{
  double           width = content_width (renderer), inner = ARRIVAL_BORDER, pad = 4;
  WkChartBlock    *block;
  WkChartTextStyle style = style_of (11, TRUE, 0);
  g_autofree char *markup = NULL;
  double           label_h, text_h, h, text_x = inner + ALLERGY_LABEL + 6;
  int              frame, label;

  if (!wk_patient_orders_may_be_missing (data->patient))
    return NULL;
  block = _wk_chart_block_new (renderer->typesetter, width);
  frame = _wk_chart_block_add_group (block, -1, 0, 0, width, 0, ARRIVAL_BORDER, FALSE);
  label = _wk_chart_block_add_group (block, frame, inner, inner, ALLERGY_LABEL, 0, 0, TRUE);
  style.white = TRUE;
  style.align = PANGO_ALIGN_CENTER;
  label_h
      = _wk_chart_block_add_text (block, label, inner + pad, inner + pad, ALLERGY_LABEL - 2 * pad,
                                  "⚠\nMEDICINES\nMAY BE\nMISSING", &style);
  style = style_of (11, TRUE, 0);
  markup = arrival_markup (renderer, data->patient, TRUE);
  text_h = _wk_chart_block_add_text (block, frame, text_x, inner + pad,
                                     width - text_x - inner - pad, markup, &style);
  h = MAX (label_h, text_h) + 2 * (inner + pad);
  _wk_chart_block_set_group_height (block, label, h - 2 * inner);
  _wk_chart_block_set_group_height (block, frame, h);
  _wk_chart_block_set_height (block, h);
  return block;
}

/* Geometry shared by headings and rows. */
static double
grid_x (void)
{
  return TEXT_COLUMN + TIME_COLUMN;
}

static double
date_column_width (WkChartRenderer *renderer)
{
  double grid = content_width (renderer) - grid_x ();

  return MIN (DATE_COLUMN_MAX, grid / wk_chart_grid_get_n_days (renderer->grid));
}

/* The record table of as-required and once-only rows: date and time, dose, given by. */
static void
record_columns (WkChartRenderer *renderer, double x[3], double w[3])
{
  double left = TEXT_COLUMN + 4, width = content_width (renderer) - left;

  w[0] = width * 0.4;
  w[1] = width * 0.3;
  w[2] = width - w[0] - w[1];
  x[0] = left;
  x[1] = left + w[0];
  x[2] = x[1] + w[1];
}

static const char *const section_titles[N_SECTIONS] = {
  "REGULAR MEDICINES",
  "AS REQUIRED (PRN) MEDICINES",
  "ONCE ONLY / STAT",
  "STOPPED — DO NOT GIVE",
};

static WkChartBlock *
build_heading (WkChartRenderer *renderer, Section section, gboolean continued)
{
  double           width = content_width (renderer);
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, width);
  int              bar = _wk_chart_block_add_group (block, -1, 0, 0, width, 0, 0, TRUE);
  WkChartTextStyle style = style_of (10, TRUE, 2);
  g_autofree char *title = NULL;
  double           h;

  style.white = TRUE;
  if (section == SECTION_STOPPED)
    {
      g_autofree char *window
          = renderer->stopped_window % 3600 == 0
                ? g_strdup_printf ("%d h", (int)(renderer->stopped_window / 3600))
                : g_strdup_printf ("%d min", (int)(renderer->stopped_window / 60));

      title = g_strdup_printf ("%s%s <span size='8192' weight='normal'>stopped in the last %s "
                               "before the data time; never in the grid</span>",
                               section_titles[section], continued ? " (continued)" : "", window);
    }
  else
    title = g_strdup_printf ("%s%s", section_titles[section], continued ? " (continued)" : "");
  h = _wk_chart_block_add_text (
      block, bar, 4, 3, section == SECTION_STOPPED ? width - 8 : TEXT_COLUMN - 8, title, &style);

  style = style_of (8, TRUE, 2);
  style.white = TRUE;
  style.align = PANGO_ALIGN_CENTER;
  if (section == SECTION_REGULAR)
    {
      double column = date_column_width (renderer);

      h = taller (h, _wk_chart_block_add_text (block, bar, TEXT_COLUMN, 3, TIME_COLUMN - 2, "Time",
                                               &style));
      for (guint i = 0; i < wk_chart_grid_get_n_days (renderer->grid); i++)
        {
          GDateTime       *day = wk_chart_grid_get_day (renderer->grid, i);
          g_autofree char *label = g_strdup_printf (
              "%s\n%d %s", weekdays[g_date_time_get_day_of_week (day) - 1],
              g_date_time_get_day_of_month (day), months[g_date_time_get_month (day) - 1]);

          h = taller (h, _wk_chart_block_add_text (block, bar, grid_x () + i * column + 1, 3,
                                                   column - 2, label, &style));
        }
    }
  else if (section != SECTION_STOPPED)
    {
      static const char *const labels[3] = { "Date and time given", "Dose", "Given by" };
      double                   x[3], w[3];

      record_columns (renderer, x, w);
      for (int i = 0; i < 3; i++)
        h = taller (
            h, _wk_chart_block_add_text (block, bar, x[i] + 1, 3, w[i] - 2, labels[i], &style));
    }
  _wk_chart_block_set_group_height (block, bar, h + 6);
  _wk_chart_block_set_height (block, h + 6);
  return block;
}

/* The lines every order row starts with, down the text column; returns their height. */
static double
add_order_text (WkChartRenderer  *renderer,
                WkChartBlock     *block,
                const ChartOrder *entry,
                gboolean          struck,
                gboolean          continued)
{
  const WkOrder   *order = entry->order;
  double           width = TEXT_COLUMN - 8, y = ROW_PAD;
  g_autofree char *dose = wk_chart_format_dose (order);
  g_autofree char *markup = NULL;
  g_autofree char *start = format_short (renderer, order->start_at);
  WkChartTextStyle style = style_of (10.5, TRUE, 6);
  const char      *how = order->kind == WK_ORDER_PRN    ? "as required"
                         : order->kind == WK_ORDER_ONCE ? "once only"
                         : order->frequency != NULL     ? order->frequency
                                                        : "";

  style.strike = struck;
  markup = g_markup_printf_escaped ("%s%s", order->drug, continued ? " (continued)" : "");
  y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
  g_clear_pointer (&markup, g_free);

  style = style_of (10, TRUE, 4);
  style.strike = struck;
  markup
      = g_markup_printf_escaped ("%s · %s%s%s", dose, order->route, *how != '\0' ? " · " : "", how);
  y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style) + 1;
  g_clear_pointer (&markup, g_free);

  if (order->kind == WK_ORDER_PRN)
    {
      g_autoptr (GString) limits = g_string_new (NULL);

      style = style_of (9, FALSE, 3);
      markup = g_markup_printf_escaped ("<b>For:</b> %s", order->prn_indication != NULL
                                                              ? order->prn_indication
                                                              : "not stated — ask the prescriber");
      y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
      g_clear_pointer (&markup, g_free);
      if (order->min_interval_min > 0)
        {
          g_autofree char *interval = wk_chart_format_interval (order->min_interval_min);

          g_string_append_printf (limits, "At least %s between doses", interval);
        }
      else
        g_string_append (limits, "Minimum interval not stated");
      if (order->prn_max_24h > 0)
        {
          g_autofree char *max = wk_chart_format_number (order->prn_max_24h);

          g_string_append_printf (limits, " · at most %s %s in 24 h", max, order->dose_unit);
        }
      else
        g_string_append (limits, " · 24-hour maximum not stated");
      markup = g_markup_escape_text (limits->str, -1);
      style = style_of (9, TRUE, 3);
      y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
      g_clear_pointer (&markup, g_free);
    }

  style = style_of (8, FALSE, 2);
  if (order->kind == WK_ORDER_ONCE && !struck)
    {
      markup = g_markup_printf_escaped ("<b>Due %s</b>", start);
      style.size = 9;
    }
  else if (order->stop_at > 0)
    {
      g_autofree char *stop = format_short (renderer, order->stop_at);

      markup = g_markup_printf_escaped ("Start %s · until %s", start, stop);
    }
  else
    markup = g_markup_printf_escaped ("Start %s", start);
  y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
  g_clear_pointer (&markup, g_free);

  if (order->instructions != NULL && *order->instructions != '\0')
    {
      style = style_of (8.5, FALSE, 12);
      markup = g_markup_printf_escaped ("<b>Instructions:</b> %s", order->instructions);
      y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
      g_clear_pointer (&markup, g_free);
    }

  if (!struck)
    {
      style = style_of (9, TRUE, 2);
      if (entry->last_given != NULL)
        {
          g_autofree char *at = format_short (renderer, entry->last_given->at);
          g_autofree char *given = wk_chart_format_number (entry->last_given->dose);

          markup = g_markup_printf_escaped ("Last given %s (%s %s)", at, given,
                                            entry->last_given->dose_unit != NULL
                                                ? entry->last_given->dose_unit
                                                : order->dose_unit);
        }
      else
        markup = g_strdup ("Last given: none on record");
      y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
      g_clear_pointer (&markup, g_free);
    }

  style = style_of (7.5, FALSE, 2);
  markup = g_markup_printf_escaped ("Prescriber %s · order %s v%d",
                                    order->prescriber != NULL ? order->prescriber : "not recorded",
                                    order->placer_id, order->version);
  y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
  return y + ROW_PAD;
}

/* A heavy box in place of the boxes a row would have: HELD, STOPPED, GIVEN. */
static double
add_notice (WkChartBlock *block,
            double        x,
            double        y,
            double        width,
            double        min_height,
            const char   *title,
            const char   *detail)
{
  int              frame = _wk_chart_block_add_group (block, -1, x, y, width, 0, 2, FALSE);
  WkChartTextStyle style = style_of (11, TRUE, 0);
  g_autofree char *markup
      = g_markup_printf_escaped ("%s\n<span size='8192' weight='normal'>%s</span>", title, detail);
  double h;

  style.align = PANGO_ALIGN_CENTER;
  h = _wk_chart_block_add_text (block, frame, x + 6, y + 5, width - 12, markup, &style) + 10;
  h = MAX (h, min_height);
  _wk_chart_block_set_group_height (block, frame, h);
  return h;
}

static double
add_held (WkChartRenderer *renderer,
          WkChartBlock    *block,
          const WkOrder   *order,
          double           x,
          double           min_height)
{
  g_autofree char *since = order->status_at > 0 ? format_short (renderer, order->status_at)
                                                : g_strdup ("a time not recorded");
  g_autofree char *detail = g_strdup_printf (
      "Held since %s. Give it only if a prescriber restarts it in writing.", since);

  return add_notice (block, x, ROW_PAD, content_width (renderer) - x, min_height,
                     "HELD — DO NOT GIVE", detail);
}

/* A row ends with a rule across the page under it. */
static void
finish_row (WkChartRenderer *renderer, WkChartBlock *block, double height)
{
  _wk_chart_block_set_height (block, height);
  _wk_chart_block_add_rule (block, 0, height - 0.5, content_width (renderer), height - 0.5, 0.75);
}

/* A regular order: its text, then a box for each due time (rows) on each day (columns)
 * of the grid; boxes outside the window or the order's dates are crossed through. */
static WkChartBlock *
build_regular_row (WkChartRenderer  *renderer,
                   const ChartOrder *entry,
                   GArray           *times,
                   guint             first,
                   guint             count,
                   gboolean          continued)
{
  WkChartBlock *block = _wk_chart_block_new (renderer->typesetter, content_width (renderer));
  double        text_h = add_order_text (renderer, block, entry, FALSE, continued);
  double        grid_h = 0, column = date_column_width (renderer);

  if (entry->order->status == WK_ORDER_HELD)
    grid_h = add_held (renderer, block, entry->order, TEXT_COLUMN, 40) + 2 * ROW_PAD;
  else
    {
      WkChartTextStyle style = style_of (9, TRUE, 1);

      for (guint k = 0; k < count; k++)
        {
          int              minute = g_array_index (times, int, first + k);
          double           y = ROW_PAD + k * CELL_HEIGHT;
          g_autofree char *label = g_strdup_printf ("%02d:%02d", minute / 60, minute % 60);

          _wk_chart_block_add_text (block, -1, TEXT_COLUMN, y + 3, TIME_COLUMN - 4, label, &style);
          for (guint d = 0; d < wk_chart_grid_get_n_days (renderer->grid); d++)
            {
              gint64 due = wk_chart_grid_get_due (renderer->grid, d, minute);

              _wk_chart_block_add_cell (block, -1, grid_x () + d * column, y, column, CELL_HEIGHT,
                                        !wk_chart_grid_is_due (renderer->grid, due,
                                                               entry->order->start_at,
                                                               entry->order->stop_at));
            }
        }
      grid_h = count * CELL_HEIGHT + 2 * ROW_PAD;
    }
  finish_row (renderer, block, MAX (text_h, grid_h));
  return block;
}

/* As required and once only: text, and rows of boxes to record each dose given. */
static WkChartBlock *
build_record_row (WkChartRenderer *renderer, const ChartOrder *entry)
{
  WkChartBlock  *block = _wk_chart_block_new (renderer->typesetter, content_width (renderer));
  const WkOrder *order = entry->order;
  double         text_h = add_order_text (renderer, block, entry, FALSE, FALSE);
  double         right_h, x[3], w[3];
  guint          rows = order->kind == WK_ORDER_ONCE ? 1 : RECORD_ROWS;

  record_columns (renderer, x, w);
  if (order->status == WK_ORDER_HELD)
    right_h = add_held (renderer, block, order, x[0], 40) + 2 * ROW_PAD;
  else if (order->kind == WK_ORDER_ONCE && entry->last_given != NULL
           && entry->last_given->at >= order->start_at)
    {
      g_autofree char *at = format_short (renderer, entry->last_given->at);
      g_autofree char *title = g_strdup_printf ("GIVEN %s", at);

      right_h = add_notice (block, x[0], ROW_PAD, content_width (renderer) - x[0], 0, title,
                            "A once-only dose: do not give it again.")
                + 2 * ROW_PAD;
    }
  else
    {
      for (guint r = 0; r < rows; r++)
        for (int c = 0; c < 3; c++)
          _wk_chart_block_add_cell (block, -1, x[c], ROW_PAD + r * CELL_HEIGHT, w[c], CELL_HEIGHT,
                                    FALSE);
      right_h = rows * CELL_HEIGHT + 2 * ROW_PAD;
    }
  finish_row (renderer, block, MAX (text_h, right_h));
  return block;
}

/* A stopped order: struck through, outside the grid, with a notice in its place. */
static WkChartBlock *
build_stopped_row (WkChartRenderer *renderer, const ChartOrder *entry)
{
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, content_width (renderer));
  const WkOrder   *order = entry->order;
  double           text_h = add_order_text (renderer, block, entry, TRUE, FALSE), right_h;
  gboolean         ended = order->status != WK_ORDER_DISCONTINUED;
  gint64           at = ended ? order->stop_at : order->status_at;
  g_autofree char *when = format_short (renderer, at);
  g_autofree char *title = g_strdup_printf ("%s %s", ended ? "COURSE ENDED" : "STOPPED", when);

  right_h
      = add_notice (block, TEXT_COLUMN + 4, ROW_PAD, content_width (renderer) - TEXT_COLUMN - 4, 0,
                    title, "DO NOT GIVE. Listed so that nobody gives it from an older chart.")
        + 2 * ROW_PAD;
  finish_row (renderer, block, MAX (text_h, right_h));
  return block;
}

/* An empty section says so; for a patient whose medicines may be missing, that none
 * has been received, never that the EPR has none. */
static WkChartBlock *
build_none_row (WkChartRenderer *renderer, Section section, const WkPatient *patient)
{
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, content_width (renderer));
  WkChartTextStyle style = style_of (9, FALSE, 2);
  static const char *const what[]
      = { "No regular medicines", "No as-required medicines", "No once-only medicines", "" };
  g_autofree char *text
      = wk_patient_orders_may_be_missing (patient)
            ? g_strdup_printf ("<b>%s received since the patient arrived — the EPR may have some "
                               "(see MEDICINES MAY BE MISSING above).</b>",
                               what[section])
            : g_strdup_printf ("%s in the EPR when the data was taken.", what[section]);
  double h
      = _wk_chart_block_add_text (block, -1, 0, ROW_PAD, content_width (renderer), text, &style);

  _wk_chart_block_set_height (block, h + 2 * ROW_PAD);
  return block;
}

/* The footer: how old the data is, when printed, the id and page, and the QR code when
 * @qr is given. Every page has one. */
static WkChartBlock *
build_footer (WkChartRenderer *renderer,
              const char      *what,
              const char      *id,
              guint            page,
              guint            n_pages,
              QRcode          *qr)
{
  double           width = content_width (renderer);
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, width);
  double           left = qr != NULL ? width - QR_AREA - 8 : width, y = 4, h;
  g_autofree char *data_at = format_full (renderer, renderer->snapshot_at);
  g_autofree char *printed = format_full (renderer, renderer->printed_at);
  g_autofree char *age = format_age (MAX (0, renderer->printed_at - renderer->snapshot_at));
  g_autofree char *shown_id = wk_chart_id_format (id);
  g_autofree char *markup = NULL;
  WkChartTextStyle style = style_of (12.5, TRUE, 2);
  int              bar;

  _wk_chart_block_add_rule (block, 0, 0.5, width, 0.5, 1.0);
  bar = _wk_chart_block_add_group (block, -1, 0, y, left, 0, 0, TRUE);
  style.white = TRUE;
  markup = g_markup_printf_escaped ("DATA AS OF %s", data_at);
  h = _wk_chart_block_add_text (block, bar, 5, y + 3, left - 10, markup, &style);
  _wk_chart_block_set_group_height (block, bar, h + 6);
  y += h + 6 + 3;
  g_clear_pointer (&markup, g_free);

  style = style_of (9.5, TRUE, 3);
  markup = g_strdup_printf ("The data was %s old when printed: anything since then is not on "
                            "this %s.",
                            age, what);
  y += _wk_chart_block_add_text (block, -1, 0, y, left, markup, &style) + 2;
  g_clear_pointer (&markup, g_free);

  style = style_of (9, FALSE, 2);
  markup = g_markup_printf_escaped ("Printed %s · snapshot %" G_GUINT64_FORMAT " · ward %s",
                                    printed, renderer->snapshot_seq, renderer->ward_id);
  y += _wk_chart_block_add_text (block, -1, 0, y, left, markup, &style) + 4;
  g_clear_pointer (&markup, g_free);

  style = style_of (14, TRUE, 1);
  markup = g_strdup_printf ("%s %s", qr != NULL ? "Chart" : "Census", shown_id);
  h = _wk_chart_block_add_text (block, -1, 0, y, left * 0.55, markup, &style);
  g_clear_pointer (&markup, g_free);
  style.align = PANGO_ALIGN_RIGHT;
  markup = g_strdup_printf ("Page %u of %u", page, n_pages);
  h = taller (h, _wk_chart_block_add_text (block, -1, left * 0.55, y, left * 0.45, markup, &style));
  y += h + 4;
  g_clear_pointer (&markup, g_free);

  style = style_of (7.5, FALSE, 5);
  if (qr != NULL)
    markup = g_strdup_printf (
        "%sRecord every dose given on this chart. Keep its pages together and give them to "
        "pharmacy when the EPR is back. The code is signed by kiosk key %s: check it with "
        "\"wardkeep verify-qr\".",
        renderer->drill ? "DRILL: not a clinical record. " : "",
        wk_keys_get_key_id (renderer->keys));
  else
    markup = g_strdup_printf ("%sEvery bed of the ward in ward order, as the EPR had them at the "
                              "data time. Each patient's drug chart is printed after it.",
                              renderer->drill ? "DRILL: not a clinical record. " : "");
  y += _wk_chart_block_add_text (block, -1, 0, y, left, markup, &style);
  g_clear_pointer (&markup, g_free);

  if (qr != NULL)
    {
      _wk_chart_block_add_qr (block, -1, width - QR_AREA, 2, QR_AREA, qr);
      y = MAX (y, QR_AREA + 2);
    }
  _wk_chart_block_set_height (block, y);
  return block;
}

/* ---- Pages ------------------------------------------------------------------------ */

/* The PDF surface of a document, writing into its wiped-on-free buffer. */
static cairo_surface_t *
create_surface (WkChartRenderer *renderer, WkChartDocument *document, const char *title)
{
  cairo_surface_t *surface = cairo_pdf_surface_create_for_stream (
      _wk_chart_document_write, document, renderer->page_width, renderer->page_height);
  g_autoptr (GDateTime) printed = g_date_time_new_from_unix_utc (renderer->printed_at);
  g_autofree char *date = g_date_time_format (printed, "%Y-%m-%dT%H:%M:%SZ");

  /* No patient identifier in the metadata: a title a print queue may show. */
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "wardkeep " WK_VERSION);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
  return surface;
}

static gboolean
finish_surface (cairo_surface_t *surface, cairo_t *cr, GError **error)
{
  cairo_status_t status = cairo_status (cr);

  if (status == CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_RENDER, "Cannot write the PDF: %s",
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

static void
draw_watermark (WkChartRenderer *renderer, cairo_t *cr, gboolean over, GArray *boxes)
{
  if (renderer->drill)
    _wk_chart_draw_watermark (cr, renderer->typesetter, renderer->page_width, renderer->page_height,
                              DRILL_TEXT, over, boxes);
}

static GArray *
new_boxes (void)
{
  return g_array_sized_new (FALSE, FALSE, sizeof (WkChartBox), 256);
}

/* The payload of a page: the chart, the patient, the snapshot, and each order on it. */
static WkChartPayload *
build_payload (WkChartRenderer *renderer,
               ChartData       *data,
               const char      *chart_id,
               guint            page,
               guint            n_pages,
               GPtrArray       *orders)
{
  WkChartPayload *payload = wk_chart_payload_new ();
  g_autoptr (GDateTime) printed = to_local (renderer, renderer->printed_at);

  payload->drill = renderer->drill;
  g_strlcpy (payload->chart_id, chart_id, sizeof payload->chart_id);
  payload->page = page;
  payload->n_pages = n_pages;
  payload->nhs_number = g_strdup (data->patient->nhs_number);
  if (payload->nhs_number == NULL)
    payload->hospital_number = g_strdup (data->patient->hospital_number);
  payload->ward_id = g_strdup (renderer->ward_id);
  payload->snapshot_seq = renderer->snapshot_seq;
  payload->snapshot_at = renderer->snapshot_at;
  payload->printed_at = renderer->printed_at;
  payload->utc_offset_min = (int)(g_date_time_get_utc_offset (printed) / G_TIME_SPAN_MINUTE);
  for (guint i = 0; orders != NULL && i < orders->len; i++)
    {
      const ChartOrder *entry = orders->pdata[i];

      g_ptr_array_add (payload->orders,
                       wk_chart_payload_order_new (
                           entry->order, entry->last_given != NULL ? entry->last_given->at : 0));
    }
  return payload;
}

/* The rows of a section, each with the order it prints (NULL for "none"). */
static void
build_section_rows (WkChartRenderer *renderer,
                    ChartData       *data,
                    Section          section,
                    double           avail,
                    GPtrArray       *rows,
                    GPtrArray       *row_orders)
{
  GPtrArray *orders = data->sections[section];

  if (orders->len == 0)
    {
      g_ptr_array_add (rows, build_none_row (renderer, section, data->patient));
      g_ptr_array_add (row_orders, NULL);
      return;
    }
  for (guint i = 0; i < orders->len; i++)
    {
      ChartOrder *entry = orders->pdata[i];

      if (section == SECTION_REGULAR)
        {
          g_autoptr (GArray) times = wk_order_parse_admin_times (
              entry->order->admin_times != NULL ? entry->order->admin_times : "", NULL);
          guint per_row = MAX (1, (guint)((avail - 2 * ROW_PAD) / CELL_HEIGHT));

          /* A regular order without valid due times still gets its row, with no boxes. */
          if (times == NULL || entry->order->admin_times == NULL)
            {
              g_clear_pointer (&times, g_array_unref);
              times = g_array_new (FALSE, FALSE, sizeof (int));
            }
          /* So many due times that a page cannot hold them: one row per page-full. */
          for (guint first = 0; first == 0 || first < times->len; first += per_row)
            {
              g_ptr_array_add (rows,
                               build_regular_row (renderer, entry, times, first,
                                                  MIN (per_row, times->len - first), first > 0));
              g_ptr_array_add (row_orders, entry);
            }
        }
      else if (section == SECTION_STOPPED)
        {
          g_ptr_array_add (rows, build_stopped_row (renderer, entry));
          g_ptr_array_add (row_orders, entry);
        }
      else
        {
          g_ptr_array_add (rows, build_record_row (renderer, entry));
          g_ptr_array_add (row_orders, entry);
        }
    }
}

/* Lays out and draws a chart from its data, touching no model: the part of rendering
 * that runs in any thread (with a typesetter of its own). */
static WkChartDocument *
render_chart_data (WkChartRenderer *renderer, ChartData *data, GError **error)
{
  g_autoptr (WkChartBlock) header = NULL;
  g_autoptr (WkChartBlock) allergies = NULL;
  g_autoptr (WkChartBlock) arrival = NULL;
  g_autoptr (WkChartBlock) sample_footer = NULL;
  g_autoptr (GPtrArray) blocks
      = g_ptr_array_new_with_free_func ((GDestroyNotify)_wk_chart_block_free);
  g_autoptr (GPtrArray) plans = g_ptr_array_new_with_free_func (page_plan_free);
  g_autoptr (WkChartPayload) sample = NULL;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (cairo_surface_t) surface = NULL;
  g_autoptr (cairo_t) cr = NULL;
  g_autofree char *chart_id = wk_chart_id_new ();
  g_autofree char *title = NULL;
  gint64           patient_id = data->patient->id;
  PagePlan        *plan;
  double           top, bottom, y;
  gsize            fixed, used;

  if (data->patient->nhs_number == NULL && data->patient->hospital_number == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Patient #%" G_GINT64_FORMAT " has neither an NHS nor a hospital number",
                   patient_id);
      return NULL;
    }

  /* What every page has: the header and allergies on top (and for a patient whose
   * medicines may be missing, the box saying so), the footer at the bottom. */
  header = build_chart_header (renderer, data);
  allergies = build_allergies (renderer, data);
  arrival = build_arrival (renderer, data);
  sample_footer = build_footer (renderer, "chart", chart_id, 999, 999,
                                QRcode_encodeString ("WK:", 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  top = MARGIN_TOP + _wk_chart_block_get_height (header) + GAP
        + _wk_chart_block_get_height (allergies) + GAP
        + (arrival != NULL ? _wk_chart_block_get_height (arrival) + GAP : 0);
  bottom = renderer->page_height - MARGIN_BOTTOM - _wk_chart_block_get_height (sample_footer) - GAP;
  sample = build_payload (renderer, data, chart_id, 1, 1, NULL);
  fixed = wk_chart_payload_get_size (sample) + 4;

  /* Fill pages with rows, section by section; a row goes to the next page when it
   * would not fit the page or its QR code. */
  plan = page_plan_new ();
  g_ptr_array_add (plans, plan);
  y = top;
  used = fixed;
  for (int section = 0; section < N_SECTIONS; section++)
    {
      g_autoptr (GPtrArray) rows = g_ptr_array_new ();
      g_autoptr (GPtrArray) row_orders = g_ptr_array_new ();
      WkChartBlock *heading, *continued = NULL;
      gboolean      headed = FALSE;

      if (section == SECTION_STOPPED && data->sections[section]->len == 0)
        continue;
      heading = build_heading (renderer, section, FALSE);
      g_ptr_array_add (blocks, heading);
      build_section_rows (renderer, data, section,
                          bottom - top - _wk_chart_block_get_height (heading), rows, row_orders);
      for (guint i = 0; i < rows->len; i++)
        {
          WkChartBlock *row = rows->pdata[i];
          ChartOrder   *entry = row_orders->pdata[i];
          double        need = _wk_chart_block_get_height (row)
                        + (headed ? 0 : _wk_chart_block_get_height (heading));
          gboolean listed = entry == NULL || g_ptr_array_find (plan->orders, entry, NULL);

          g_ptr_array_add (blocks, row);
          if ((y + need > bottom || (!listed && used + entry->payload_size > renderer->qr_budget))
              && plan->blocks->len > 0)
            {
              plan = page_plan_new ();
              g_ptr_array_add (plans, plan);
              y = top;
              used = fixed;
              listed = entry == NULL;
              headed = FALSE;
              if (continued == NULL)
                {
                  continued = build_heading (renderer, section, TRUE);
                  g_ptr_array_add (blocks, continued);
                }
            }
          if (!headed)
            {
              WkChartBlock *h = i == 0 ? heading : continued;

              g_ptr_array_add (plan->blocks, h);
              g_ptr_array_add (plan->row_orders, NULL);
              g_array_append_val (plan->ys, y);
              y += _wk_chart_block_get_height (h);
              headed = TRUE;
            }
          g_ptr_array_add (plan->blocks, row);
          g_ptr_array_add (plan->row_orders, entry);
          g_array_append_val (plan->ys, y);
          y += _wk_chart_block_get_height (row);
          if (!listed)
            {
              g_ptr_array_add (plan->orders, entry);
              used += entry->payload_size;
            }
        }
      y += GAP;
    }

  /* Draw every page, now that the number of pages is known. */
  document = _wk_chart_document_new (WK_CHART_DOCUMENT_CHART, chart_id, patient_id);
  title = g_strdup_printf ("%sDrug chart %s", renderer->drill ? "DRILL " : "", chart_id);
  surface = create_surface (renderer, document, title);
  cr = cairo_create (surface);
  for (guint p = 0; p < plans->len; p++)
    {
      PagePlan *page = plans->pdata[p];
      GArray   *boxes = new_boxes ();
      GArray *refs = g_array_sized_new (FALSE, FALSE, sizeof (WkChartOrderRef), page->orders->len);
      g_autoptr (WkChartPayload) payload
          = build_payload (renderer, data, chart_id, p + 1, plans->len, page->orders);
      g_autoptr (WkChartBlock) footer = NULL;
      char   *text = wk_chart_payload_encode (payload, renderer->keys, error);
      QRcode *qr;

      if (text == NULL)
        {
          g_array_unref (boxes);
          g_array_unref (refs);
          return NULL;
        }
      qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
      if (qr == NULL)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_RENDER,
                       "Cannot make the QR code of page %u of patient #%" G_GINT64_FORMAT
                       "'s chart: %s",
                       p + 1, patient_id, g_strerror (errno));
          g_free (text);
          g_array_unref (boxes);
          g_array_unref (refs);
          return NULL;
        }
      if (QR_AREA / (qr->width + 8) < QR_MIN_MODULE)
        g_warning ("Page %u of patient #%" G_GINT64_FORMAT "'s chart holds one order too large "
                   "for a QR code that scans at 150 dpi",
                   p + 1, patient_id);
      footer = build_footer (renderer, "chart", chart_id, p + 1, plans->len, qr);

      draw_watermark (renderer, cr, FALSE, boxes);
      _wk_chart_block_draw (header, cr, MARGIN_LEFT, MARGIN_TOP, -1, boxes);
      _wk_chart_block_draw (allergies, cr, MARGIN_LEFT,
                            MARGIN_TOP + _wk_chart_block_get_height (header) + GAP, -1, boxes);
      if (arrival != NULL)
        _wk_chart_block_draw (arrival, cr, MARGIN_LEFT,
                              MARGIN_TOP + _wk_chart_block_get_height (header) + GAP
                                  + _wk_chart_block_get_height (allergies) + GAP,
                              -1, boxes);
      for (guint b = 0; b < page->blocks->len; b++)
        {
          guint order;

          if (page->row_orders->pdata[b] == NULL
              || !g_ptr_array_find (page->orders, page->row_orders->pdata[b], &order))
            order = -1;
          _wk_chart_block_draw (page->blocks->pdata[b], cr, MARGIN_LEFT,
                                g_array_index (page->ys, double, b), (int)order, boxes);
        }
      _wk_chart_block_draw (
          footer, cr, MARGIN_LEFT,
          renderer->page_height - MARGIN_BOTTOM - _wk_chart_block_get_height (footer), -1, boxes);
      draw_watermark (renderer, cr, TRUE, NULL);
      cairo_show_page (cr);

      for (guint i = 0; i < page->orders->len; i++)
        {
          const ChartOrder *entry = page->orders->pdata[i];
          WkChartOrderRef   ref = { g_strdup (entry->order->placer_id), entry->order->version };

          g_array_append_val (refs, ref);
        }
      _wk_chart_document_add_page (document, text, refs, boxes);
    }
  if (!finish_surface (surface, cr, error))
    return NULL;
  return g_steal_pointer (&document);
}

/**
 * wk_chart_renderer_render_chart:
 * @renderer: a #WkChartRenderer
 * @model: the ward model (loaded from the snapshot the options name)
 * @patient_id: the patient's model id
 * @error: return location for a #GError
 *
 * Renders a patient's drug chart: as many pages as the orders need, each with the
 * patient's details and allergies, a footer with the data time and page N of M, and a
 * QR code signed with the kiosk key holding what the page shows.
 *
 * Returns: (transfer full): the chart, or %NULL with @error set (the model's error when
 *   the patient cannot be read, %WK_PRINT_ERROR_RENDER when the PDF cannot be made)
 */
WkChartDocument *
wk_chart_renderer_render_chart (WkChartRenderer *renderer,
                                WkModel         *model,
                                gint64           patient_id,
                                GError         **error)
{
  g_autoptr (ChartData) data = NULL;

  g_return_val_if_fail (renderer != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  data = load_chart_data (renderer, model, patient_id, error);
  if (data == NULL)
    return NULL;
  return render_chart_data (renderer, data, error);
}

/* ---- The census ------------------------------------------------------------------- */

typedef struct
{
  WkBed     *bed;     /* NULL for a patient on the ward without a bed */
  WkPatient *patient; /* NULL for an empty or closed bed */
  GPtrArray *allergies;
  int        active;
} CensusLine;

static void
census_line_free (gpointer data)
{
  CensusLine *line = data;

  wk_bed_free (line->bed);
  wk_patient_free (line->patient);
  g_clear_pointer (&line->allergies, g_ptr_array_unref);
  g_free (line);
}

/* Census columns: bed, patient, NHS number, born, allergies, active orders. */
static void
census_columns (WkChartRenderer *renderer, double x[6], double w[6])
{
  static const double fixed[6] = { 50, 136, 74, 86, 0, 46 };
  double              gap = 6, rest = content_width (renderer) - 5 * gap;

  for (int i = 0; i < 6; i++)
    rest -= fixed[i];
  for (int i = 0; i < 6; i++)
    {
      w[i] = i == 4 ? rest : fixed[i];
      x[i] = i == 0 ? 0 : x[i - 1] + w[i - 1] + gap;
    }
}

static WkChartBlock *
build_census_header (WkChartRenderer *renderer, const char *ward_name, GPtrArray *lines)
{
  double           width = content_width (renderer), y, h;
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, width);
  WkChartTextStyle style = style_of (16, TRUE, 2);
  g_autofree char *markup = NULL;
  guint            occupied = 0, empty = 0, closed = 0, unbedded = 0, missing = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      CensusLine *line = lines->pdata[i];

      if (line->patient != NULL && wk_patient_orders_may_be_missing (line->patient))
        missing++;
      if (line->bed == NULL)
        unbedded++;
      else if (line->patient != NULL)
        occupied++;
      else if (line->bed->closed)
        closed++;
      else
        empty++;
    }
  y = add_banner (renderer, block, 0, "WARD CENSUS — DOWNTIME PAPER COPY") + 4;
  markup = g_markup_escape_text (ward_name, -1);
  y += _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style) + 2;
  g_clear_pointer (&markup, g_free);
  style = style_of (10, TRUE, 2);
  markup = g_strdup_printf (
      "%u beds: %u occupied, %u empty, %u closed%s", lines->len - unbedded, occupied, empty, closed,
      unbedded > 0 ? "; and patients on the ward without a bed, listed last" : "");
  h = _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
  y += h + 4;
  if (missing > 0)
    {
      g_clear_pointer (&markup, g_free);
      markup = g_strdup_printf ("⚠ %u patient%s arrived from wards or departments this kiosk "
                                "does not keep: medicines may be missing from their charts "
                                "(marked ⚠). Check with pharmacy.",
                                missing, missing == 1 ? "" : "s");
      h = _wk_chart_block_add_text (block, -1, 0, y, width, markup, &style);
      y += h + 4;
    }
  _wk_chart_block_set_height (block, y);
  return block;
}

static WkChartBlock *
build_census_heading (WkChartRenderer *renderer)
{
  static const char *const labels[6]
      = { "Bed", "Patient", "NHS number", "Born (age)", "Allergies", "Active orders" };
  double           width = content_width (renderer), x[6], w[6], h = 0;
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, width);
  int              bar = _wk_chart_block_add_group (block, -1, 0, 0, width, 0, 0, TRUE);
  WkChartTextStyle style = style_of (8.5, TRUE, 2);

  style.white = TRUE;
  census_columns (renderer, x, w);
  for (int i = 0; i < 6; i++)
    h = taller (h, _wk_chart_block_add_text (block, bar, x[i] + 2, 3, w[i] - 4, labels[i], &style));
  _wk_chart_block_set_group_height (block, bar, h + 6);
  _wk_chart_block_set_height (block, h + 6);
  return block;
}

static char *
allergy_flag (const WkPatient *patient, GPtrArray *allergies)
{
  g_autoptr (GString) text = NULL;

  if (patient->allergy_status == WK_ALLERGY_STATUS_NONE_KNOWN)
    return g_strdup ("No known drug allergies");
  if (patient->allergy_status == WK_ALLERGY_STATUS_NOT_RECORDED || allergies->len == 0)
    return g_strdup ("<b>NOT RECORDED — ASK</b>");
  text = g_string_new ("<b>ALLERGIES:</b> ");
  for (guint i = 0; i < allergies->len && i < 4; i++)
    {
      const WkAllergy *allergy = allergies->pdata[i];
      g_autofree char *item
          = g_markup_printf_escaped ("%s%s", i > 0 ? ", " : "", allergy->substance);

      g_string_append (text, item);
    }
  if (allergies->len > 4)
    g_string_append_printf (text, " and %u more", allergies->len - 4);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static WkChartBlock *
build_census_row (WkChartRenderer *renderer, const CensusLine *line)
{
  double           width = content_width (renderer), x[6], w[6], h = 0;
  WkChartBlock    *block = _wk_chart_block_new (renderer->typesetter, width);
  WkChartTextStyle style = style_of (9, FALSE, 4);
  char            *cells[6] = { NULL };

  census_columns (renderer, x, w);
  if (line->bed != NULL)
    cells[0]
        = line->bed->bay != NULL && *line->bed->bay != '\0'
              ? g_markup_printf_escaped ("<span size='7168'>%s</span>\n<b><span "
                                         "size='11264'>%s</span></b>",
                                         line->bed->bay, line->bed->bed)
              : g_markup_printf_escaped ("<b><span size='11264'>%s</span></b>", line->bed->bed);
  else
    cells[0] = g_strdup ("<b>no bed</b>");

  if (line->patient != NULL)
    {
      const WkPatient *patient = line->patient;
      g_autofree char *name = format_patient_name (patient);
      g_autofree char *born = format_birth_date (patient->birth_date);
      g_autoptr (GDateTime) now = to_local (renderer, renderer->printed_at);
      g_autofree char *nhs
          = patient->nhs_number != NULL ? wk_nhs_number_format (patient->nhs_number) : NULL;

      cells[1] = g_markup_printf_escaped (
          "<b>%s</b>\n<span size='7168'>Hospital no %s</span>", name,
          patient->hospital_number != NULL ? patient->hospital_number : "not recorded");
      /* Medicines may be missing from this patient's chart: said here too. */
      if (wk_patient_orders_may_be_missing (patient))
        {
          g_autofree char *arrived = arrival_markup (renderer, patient, FALSE);
          char            *with = g_strdup_printf (
                         "%s\n<span size='7680'><b>⚠ MEDICINES MAY BE MISSING</b>\n%s</span>", cells[1],
                         arrived);

          g_free (cells[1]);
          cells[1] = with;
        }
      cells[2]
          = nhs != NULL ? g_markup_printf_escaped ("<b>%s</b>", nhs) : g_strdup ("not recorded");
      cells[3] = born != NULL ? g_markup_printf_escaped ("%s\n%d years", born,
                                                         wk_patient_get_age (patient, now))
                              : g_strdup ("not recorded");
      cells[4] = allergy_flag (patient, line->allergies);
      cells[5] = g_strdup_printf ("<b><span size='11264'>%d</span></b>%s", line->active,
                                  wk_patient_orders_may_be_missing (patient)
                                      ? "\n<span size='7168'><b>⚠ may be more</b></span>"
                                      : "");
    }
  else if (line->bed->closed)
    cells[1] = g_strdup ("<b>CLOSED</b>");
  else
    cells[1] = g_strdup ("— empty —");

  for (int i = 0; i < 6; i++)
    if (cells[i] != NULL)
      {
        h = taller (
            h, _wk_chart_block_add_text (block, -1, x[i] + 2, ROW_PAD, w[i] - 4, cells[i], &style));
        g_free (cells[i]);
      }
  h += 2 * ROW_PAD;
  _wk_chart_block_add_rule (block, 0, h - 0.5, width, h - 0.5, 0.75);
  _wk_chart_block_set_height (block, h);
  return block;
}

static GPtrArray *
load_census (WkChartRenderer *renderer, WkModel *model, GError **error)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (census_line_free);
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, renderer->ward_id, error);
  g_autoptr (GPtrArray) patients = NULL;

  if (beds == NULL)
    return NULL;
  for (guint i = 0; i < beds->len; i++)
    {
      CensusLine *line = g_new0 (CensusLine, 1);

      line->bed = g_steal_pointer (&beds->pdata[i]);
      g_ptr_array_add (lines, line);
      if (line->bed->patient_id == 0)
        continue;
      line->patient = wk_patient_load (model, line->bed->patient_id, error);
      if (line->patient == NULL)
        return NULL;
    }

  /* Patients admitted to the ward with no bed (in transit, or the feed left them out)
   * need their charts as much as anyone. */
  patients = wk_patient_load_all (model, error);
  if (patients == NULL)
    return NULL;
  for (guint i = 0; i < patients->len; i++)
    {
      WkPatient *patient = patients->pdata[i];

      if (patient->bed_id == 0 && patient->stay == WK_STAY_ADMITTED
          && g_strcmp0 (patient->ward_id, renderer->ward_id) == 0)
        {
          CensusLine *line = g_new0 (CensusLine, 1);

          line->patient = g_steal_pointer (&patients->pdata[i]);
          g_ptr_array_add (lines, line);
        }
    }

  for (guint i = 0; i < lines->len; i++)
    {
      CensusLine *line = lines->pdata[i];

      if (line->patient == NULL)
        continue;
      line->allergies = wk_allergy_load_for_patient (model, line->patient->id, error);
      line->active = wk_order_count_active (model, line->patient->id, error);
      if (line->allergies == NULL || line->active < 0)
        return NULL;
    }
  return g_steal_pointer (&lines);
}

static WkChartDocument *
render_census (WkChartRenderer *renderer, const char *ward_name, GPtrArray *lines, GError **error)
{
  g_autofree char *id = wk_chart_id_new ();
  g_autoptr (WkChartBlock) header = build_census_header (renderer, ward_name, lines);
  g_autoptr (WkChartBlock) heading = build_census_heading (renderer);
  g_autoptr (WkChartBlock) sample_footer = build_footer (renderer, "census", id, 999, 999, NULL);
  g_autoptr (GPtrArray) rows
      = g_ptr_array_new_with_free_func ((GDestroyNotify)_wk_chart_block_free);
  g_autoptr (GArray) page_starts = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (cairo_surface_t) surface = NULL;
  g_autoptr (cairo_t) cr = NULL;
  g_autofree char *title = NULL;
  double           top = MARGIN_TOP + _wk_chart_block_get_height (header) + GAP;
  double           bottom
      = renderer->page_height - MARGIN_BOTTOM - _wk_chart_block_get_height (sample_footer) - GAP;
  double y = top + _wk_chart_block_get_height (heading);
  guint  start = 0;

  /* Rows in ward order; a page holds as many as fit under the table's heading. */
  for (guint i = 0; i < lines->len; i++)
    {
      WkChartBlock *row = build_census_row (renderer, lines->pdata[i]);

      g_ptr_array_add (rows, row);
      if (y + _wk_chart_block_get_height (row) > bottom && i > start)
        {
          g_array_append_val (page_starts, start);
          start = i;
          y = top + _wk_chart_block_get_height (heading);
        }
      y += _wk_chart_block_get_height (row);
    }
  g_array_append_val (page_starts, start);

  document = _wk_chart_document_new (WK_CHART_DOCUMENT_CENSUS, id, 0);
  title = g_strdup_printf ("%sWard census %s", renderer->drill ? "DRILL " : "", id);
  surface = create_surface (renderer, document, title);
  cr = cairo_create (surface);
  for (guint p = 0; p < page_starts->len; p++)
    {
      guint first = g_array_index (page_starts, guint, p);
      guint end = p + 1 < page_starts->len ? g_array_index (page_starts, guint, p + 1) : rows->len;
      GArray *boxes = new_boxes ();
      g_autoptr (WkChartBlock) footer
          = build_footer (renderer, "census", id, p + 1, page_starts->len, NULL);

      draw_watermark (renderer, cr, FALSE, boxes);
      _wk_chart_block_draw (header, cr, MARGIN_LEFT, MARGIN_TOP, -1, boxes);
      y = top;
      _wk_chart_block_draw (heading, cr, MARGIN_LEFT, y, -1, boxes);
      y += _wk_chart_block_get_height (heading);
      for (guint r = first; r < end; r++)
        {
          _wk_chart_block_draw (rows->pdata[r], cr, MARGIN_LEFT, y, -1, boxes);
          y += _wk_chart_block_get_height (rows->pdata[r]);
        }
      _wk_chart_block_draw (
          footer, cr, MARGIN_LEFT,
          renderer->page_height - MARGIN_BOTTOM - _wk_chart_block_get_height (footer), -1, boxes);
      draw_watermark (renderer, cr, TRUE, NULL);
      cairo_show_page (cr);
      _wk_chart_document_add_page (document, NULL,
                                   g_array_new (FALSE, FALSE, sizeof (WkChartOrderRef)), boxes);
    }
  if (!finish_surface (surface, cr, error))
    return NULL;
  return g_steal_pointer (&document);
}

/**
 * wk_chart_renderer_render_census:
 * @renderer: a #WkChartRenderer
 * @model: the ward model
 * @error: return location for a #GError
 *
 * Renders the ward census: every bed of the ward in ward order, occupied, empty or
 * closed, with the patient, NHS number, date of birth, allergy flag and count of active
 * orders; then patients on the ward without a bed.
 *
 * Returns: (transfer full): the census, or %NULL with @error set
 */
WkChartDocument *
wk_chart_renderer_render_census (WkChartRenderer *renderer, WkModel *model, GError **error)
{
  g_autoptr (GPtrArray) lines = NULL;

  g_return_val_if_fail (renderer != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  lines = load_census (renderer, model, error);
  if (lines == NULL)
    return NULL;
  {
    g_autofree char *ward_name = dup_ward_name (model, renderer->ward_id);

    return render_census (renderer, ward_name, lines, error);
  }
}

/* Rendering a ward's documents on several cores: what was read from the model, and
 * where each document goes. */
typedef struct
{
  WkChartRenderer  *renderer;
  const char       *ward_name;
  GPtrArray        *census_lines;
  GPtrArray        *charts; /* ChartData */
  WkChartDocument **documents;
  guint             n_documents;
  gint              next;
  GMutex            lock;
  GError           *error;
} WardWork;

/* Takes documents to render until none is left or one failed. Each thread has its own
 * typesetter (fonts, Pango context and layouts); everything else in the renderer is
 * only read. */
static void
render_ward_documents (WardWork *work, WkChartRenderer *renderer)
{
  for (;;)
    {
      guint            i = (guint)g_atomic_int_add (&work->next, 1);
      GError          *local_error = NULL;
      WkChartDocument *document;
      gboolean         failed;

      g_mutex_lock (&work->lock);
      failed = work->error != NULL;
      g_mutex_unlock (&work->lock);
      if (i >= work->n_documents || failed)
        return;
      document = i == 0
                     ? render_census (renderer, work->ward_name, work->census_lines, &local_error)
                     : render_chart_data (renderer, work->charts->pdata[i - 1], &local_error);
      if (document == NULL)
        {
          g_mutex_lock (&work->lock);
          if (work->error == NULL)
            work->error = local_error;
          else
            g_error_free (local_error);
          g_mutex_unlock (&work->lock);
          return;
        }
      work->documents[i] = document;
    }
}

/* A helper thread: a shallow copy of the renderer with a typesetter (fonts, Pango
 * context, layouts) of its own; everything else in the renderer is only read. */
static gpointer
render_ward_worker (gpointer user_data)
{
  WardWork       *work = user_data;
  WkChartRenderer mine = *work->renderer;

  mine.typesetter = _wk_chart_typesetter_new ();
  render_ward_documents (work, &mine);
  _wk_chart_typesetter_free (mine.typesetter);
  return NULL;
}

/**
 * wk_chart_renderer_render_ward:
 * @renderer: a #WkChartRenderer
 * @model: the ward model
 * @error: return location for a #GError
 *
 * Renders what "print ward" prints: the census, then one drug chart per occupied bed in
 * ward order, then a chart for each patient on the ward without a bed. The model is
 * read in the calling thread; the documents are laid out and drawn on up to four cores
 * at once, each thread with fonts of its own.
 *
 * Returns: (transfer full) (element-type WkChartDocument): the documents in print order,
 *   or %NULL with @error set
 */
GPtrArray *
wk_chart_renderer_render_ward (WkChartRenderer *renderer, WkModel *model, GError **error)
{
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GPtrArray) charts = NULL;
  g_autoptr (GPtrArray) documents = NULL;
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  g_autofree char *ward_name = NULL;
  WardWork         work = { 0 };
  guint            n_threads;

  g_return_val_if_fail (renderer != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  /* Everything the documents need from the model, read here: a model is used from one
   * thread at a time. */
  lines = load_census (renderer, model, error);
  if (lines == NULL)
    return NULL;
  ward_name = dup_ward_name (model, renderer->ward_id);
  charts = g_ptr_array_new_with_free_func ((GDestroyNotify)chart_data_free);
  for (guint i = 0; i < lines->len; i++)
    {
      CensusLine *line = lines->pdata[i];
      ChartData  *data;

      if (line->patient == NULL)
        continue;
      data = load_chart_data (renderer, model, line->patient->id, error);
      if (data == NULL)
        return NULL;
      g_ptr_array_add (charts, data);
    }

  work.renderer = renderer;
  work.ward_name = ward_name;
  work.census_lines = lines;
  work.charts = charts;
  work.n_documents = charts->len + 1;
  work.documents = g_new0 (WkChartDocument *, work.n_documents);
  g_mutex_init (&work.lock);
  n_threads = CLAMP (g_get_num_processors (), 1, 4);
  n_threads = MIN (n_threads, work.n_documents);
  for (guint i = 1; i < n_threads; i++)
    g_ptr_array_add (threads, g_thread_new ("wk-render", render_ward_worker, &work));
  render_ward_documents (&work, renderer);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_mutex_clear (&work.lock);

  documents = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_chart_document_free);
  for (guint i = 0; i < work.n_documents; i++)
    if (work.documents[i] != NULL)
      g_ptr_array_add (documents, work.documents[i]);
  g_free (work.documents);
  if (work.error != NULL)
    {
      g_propagate_error (error, work.error);
      return NULL;
    }
  return g_steal_pointer (&documents);
}
