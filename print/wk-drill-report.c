/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-drill-report.c — a downtime drill's report as one page of evidence (PDF).
 *
 * One A4 page, black on white like the charts, laid out with the charts' blocks
 * (wk-chart-layout.c): the verdict (PASS or FAIL, in words and reversed out, never by
 * colour alone), each target with its figure and result, the figures, what went wrong,
 * the timeline, and lines for the drill lead and a witness to sign. Rendered in memory
 * from the report's JSON, which the daemon computes from the real events (README
 * "Drills"); no patient data is on it. A timeline too long for the page keeps its first
 * and last events and says how many were left out (the JSON has them all). */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-drill-report.h"

#include "wk-chart-private.h"
#include "wk-print-error.h"

#include <cairo-pdf.h>
#include <math.h>
#include <string.h>

#define PAGE_WIDTH 595.276
#define PAGE_HEIGHT 841.89
#define MARGIN 36.0
#define CONTENT_WIDTH (PAGE_WIDTH - 2 * MARGIN)
#define GAP 7.0
#define FOOTER_ROOM 30.0

typedef struct
{
  WkChartTypesetter *typesetter;
  GTimeZone         *tz;
  JsonObject        *report;
} Report;

static WkChartTextStyle
style_of (double size, gboolean bold, int max_lines)
{
  WkChartTextStyle style = { size, bold, PANGO_ALIGN_LEFT, max_lines, FALSE, FALSE };

  return style;
}

static JsonNode *
member (JsonObject *object, const char *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* A number, or NAN when the member is null or missing (not measured). */
static double
member_number (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    return NAN;
  return json_node_get_double (node);
}

/* A count: 0 when not measured or out of range (a report from elsewhere). */
static gint64
member_count (JsonObject *object, const char *name)
{
  double value = member_number (object, name);

  return isnan (value) || value < 0 || value > 1e15 ? 0 : (gint64)value;
}

static JsonObject *
element_object (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
element_string (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return "?";
  return json_node_get_string (node);
}

static gboolean
member_true (JsonObject *object, const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

/**
 * wk_drill_report_describe_seconds:
 * @seconds: a duration; NAN when it was not measured
 *
 * Returns: (transfer full): the duration as a report says it: "4.2 s", "3 min 05 s",
 *   "1 h 02 min", or "not measured"
 */
char *
wk_drill_report_describe_seconds (double seconds)
{
  gint64 whole;

  if (isnan (seconds))
    return g_strdup ("not measured");
  if (seconds > 0 && seconds < 0.1)
    return g_strdup_printf ("%.0f ms", seconds * 1000);
  if (seconds < 60)
    return g_strdup_printf ("%.1f s", MAX (seconds, 0));
  seconds = MIN (seconds, 1e9);
  whole = (gint64)llround (seconds);
  if (whole < 3600 && whole % 60 == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min", whole / 60);
  if (whole < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s", whole / 60,
                            whole % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min", whole / 3600,
                          (whole % 3600) / 60);
}

/* "Sat 14 Mar 2026 23:10:05" from an ISO 8601 UTC time. */
static char *
local_time (Report *r, const char *iso, const char *format)
{
  g_autoptr (GDateTime) utc = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_timezone (utc, r->tz);
  return g_date_time_format (local, format);
}

static double
add_bar (WkChartBlock *block, double y, const char *markup, double size)
{
  WkChartTextStyle style = style_of (size, TRUE, 2);
  int              bar = _wk_chart_block_add_group (block, -1, 0, y, CONTENT_WIDTH, 0, 0, TRUE);
  double           h;

  style.white = TRUE;
  h = _wk_chart_block_add_text (block, bar, 6, 3, CONTENT_WIDTH - 12, markup, &style);
  _wk_chart_block_set_group_height (block, bar, h + 6);
  return h + 6;
}

static const char *
scenario_words (const char *scenario)
{
  if (g_strcmp0 (scenario, "outage") == 0)
    return "central systems go down (probes forced to fail)";
  if (g_strcmp0 (scenario, "planned") == 0)
    return "planned downtime (charts pre-printed at the lead time)";
  if (g_strcmp0 (scenario, "printer-failure") == 0)
    return "the ward's first printer fails (printing fails over)";
  return scenario != NULL ? scenario : "?";
}

static WkChartBlock *
build_header (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  const char      *ward_name = member_string (r->report, "ward_name");
  const char      *started_by = member_string (r->report, "started_by");
  const char      *stopped_by = member_string (r->report, "stopped_by");
  const char      *taken_reason = member_string (r->report, "taken_over_reason");
  g_autofree char *title
      = g_markup_printf_escaped ("DOWNTIME DRILL REPORT — %s (%s)",
                                 ward_name != NULL ? ward_name : member_string (r->report, "ward"),
                                 member_string (r->report, "ward"));
  g_autofree char *started
      = local_time (r, member_string (r->report, "started_at"), "%a %d %b %Y %H:%M:%S");
  g_autofree char *ended = local_time (r, member_string (r->report, "ended_at"), "%H:%M:%S");
  g_autofree char *ending = NULL;
  g_autofree char *markup = NULL;
  WkChartTextStyle style = style_of (9, FALSE, 6);
  double           y;

  if (g_strcmp0 (member_string (r->report, "ended"), "taken-over") == 0)
    ending = g_markup_printf_escaped ("<b>ended at %s by a REAL downtime</b> (%s)", ended,
                                      taken_reason != NULL ? taken_reason : "");
  else if (g_strcmp0 (member_string (r->report, "ended"), "interrupted") == 0)
    ending = g_markup_printf_escaped ("<b>ended at %s when the daemon stopped</b>", ended);
  else
    ending = g_markup_printf_escaped ("stopped at <b>%s</b> by %s", ended,
                                      stopped_by != NULL ? stopped_by : "?");
  y = add_bar (block, 0, title, 13);
  markup = g_markup_printf_escaped ("Drill <b>%s</b> · scenario <b>%s</b>: %s\n"
                                    "Started <b>%s</b> by %s; ",
                                    member_string (r->report, "drill"),
                                    member_string (r->report, "scenario"),
                                    scenario_words (member_string (r->report, "scenario")), started,
                                    started_by != NULL ? started_by : "?");
  {
    g_autofree char *all = g_strconcat (
        markup, ending,
        ".\nNothing was sent to the hospital's systems. Every page printed said DRILL — NOT FOR "
        "CLINICAL USE, and the drill's paper left the print ledger when the drill ended.",
        NULL);

    y += 3 + _wk_chart_block_add_text (block, -1, 0, y + 3, CONTENT_WIDTH, all, &style);
  }
  _wk_chart_block_set_height (block, y + GAP);
  return block;
}

/* PASS or FAIL, reversed out for a fail: the first thing a board member reads. */
static WkChartBlock *
build_verdict (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  gboolean         passed = member_true (r->report, "passed");
  JsonArray       *targets = member_array (r->report, "targets");
  guint            n = targets != NULL ? json_array_get_length (targets) : 0, met = 0;
  WkChartTextStyle big = style_of (20, TRUE, 1);
  WkChartTextStyle body = style_of (10, FALSE, 3);
  g_autofree char *text = NULL;
  int              box;
  double           h;

  for (guint i = 0; i < n; i++)
    met += member_true (element_object (targets, i), "passed");
  box = _wk_chart_block_add_group (block, -1, 0, 0, 110, 0, 2, !passed);
  big.align = PANGO_ALIGN_CENTER;
  big.white = !passed;
  h = _wk_chart_block_add_text (block, box, 4, 6, 102, passed ? "PASS" : "FAIL", &big);
  _wk_chart_block_set_group_height (block, box, h + 12);
  text = g_markup_printf_escaped ("<b>%u of %u targets met.</b> %s", met, n,
                                  passed ? "The ward went on paper as the downtime procedure "
                                           "expects."
                                         : "See the targets missed and what went wrong below.");
  h = MAX (h + 12, _wk_chart_block_add_text (block, -1, 124, 8, CONTENT_WIDTH - 124, text, &body));
  _wk_chart_block_set_height (block, h + GAP);
  return block;
}

static WkChartBlock *
build_heading (Report *r, const char *text)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  g_autofree char *markup = g_markup_escape_text (text, -1);

  _wk_chart_block_set_height (block, add_bar (block, 0, markup, 9.5) + 3);
  return block;
}

/* Columns of the targets table. */
static const double target_x[] = { 0, 250, 360, 470, CONTENT_WIDTH };

static WkChartBlock *
build_target_row (Report *r, JsonObject *target)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  WkChartTextStyle style = style_of (9, target == NULL, 2);
  char            *cells[4] = { NULL };
  double           h = 0;

  if (target == NULL)
    {
      cells[0] = g_strdup ("Target");
      cells[1] = g_strdup ("Limit");
      cells[2] = g_strdup ("Measured");
      cells[3] = g_strdup ("Result");
    }
  else
    {
      const char *unit = member_string (target, "unit");
      gboolean    percent = g_strcmp0 (unit, "%") == 0;
      double      limit = member_number (target, "limit");
      double      value = member_number (target, "value");

      cells[0] = g_markup_escape_text (
          member_string (target, "name") != NULL ? member_string (target, "name") : "?", -1);
      if (percent)
        {
          cells[1] = g_strdup_printf ("at least %.0f %%", limit);
          cells[2] = isnan (value) ? g_strdup ("not measured") : g_strdup_printf ("%.0f %%", value);
        }
      else
        {
          g_autofree char *l = wk_drill_report_describe_seconds (limit);

          cells[1] = g_strdup_printf ("within %s", l);
          cells[2] = wk_drill_report_describe_seconds (value);
        }
      cells[3] = g_strdup (member_true (target, "passed") ? "<b>met</b>" : "<b>MISSED</b>");
    }
  for (int i = 0; i < 4; i++)
    {
      h = MAX (h, _wk_chart_block_add_text (block, -1, target_x[i] + 1, 2,
                                            target_x[i + 1] - target_x[i] - 4, cells[i], &style));
      g_free (cells[i]);
    }
  _wk_chart_block_add_rule (block, 0, h + 4, CONTENT_WIDTH, h + 4, target == NULL ? 0.8 : 0.3);
  _wk_chart_block_set_height (block, h + 6);
  return block;
}

static char *
seconds_of (JsonObject *figures, const char *name)
{
  return wk_drill_report_describe_seconds (member_number (figures, name));
}

static WkChartBlock *
build_figures (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  JsonObject      *f = member_object (r->report, "figures");
  JsonObject      *snapshot = member_object (r->report, "snapshot");
  WkChartTextStyle style = style_of (9, FALSE, 12);
  g_autofree char *detection = seconds_of (f, "detection_s");
  g_autofree char *first_accepted = seconds_of (f, "first_accepted_s");
  g_autofree char *first_page = seconds_of (f, "first_page_s");
  g_autofree char *on_paper = seconds_of (f, "on_paper_s");
  g_autofree char *first_scan = seconds_of (f, "first_scan_s");
  g_autofree char *last_scan = seconds_of (f, "last_scan_s");
  g_autofree char *age = wk_drill_report_describe_seconds (member_number (snapshot, "age_s"));
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;
  g_autofree char *scans = NULL;
  const char      *from = member_string (r->report, "clock_starts");
  double           h;

  if (member_number (f, "scans") > 0)
    scans = g_markup_printf_escaped (
        "Drill pages scanned back: <b>%.0f</b>; first <b>%s</b>, last <b>%s</b> after the first "
        "page printed",
        member_number (f, "scans"), first_scan, last_scan);
  else
    scans = g_strdup ("Drill pages scanned back: <b>none</b>");

  {
    g_autofree char *times = g_markup_printf_escaped (
        "Times from <b>%s</b>.\n"
        "Downtime detected: <b>%s</b>\n"
        "First job accepted by CUPS: <b>%s</b>\n"
        "First document printed: <b>%s</b>\n"
        "Ward on paper (last printed): <b>%s</b>\n",
        from != NULL ? from : "the drill's start", detection, first_accepted, first_page, on_paper);
    g_autofree char *data = g_markup_printf_escaped (
        "\nData printed was <b>%s</b> old at the start (snapshot %" G_GINT64_FORMAT ")", age,
        member_count (snapshot, "seq"));

    left = g_strconcat (times, scans, data, NULL);
  }
  right = g_markup_printf_escaped (
      "Print jobs accepted by CUPS: <b>%" G_GINT64_FORMAT "</b>\n"
      "Jobs completed: <b>%" G_GINT64_FORMAT "</b>\n"
      "Pages printed: <b>%" G_GINT64_FORMAT "</b>\n"
      "Occupied beds (charts expected): <b>%" G_GINT64_FORMAT "</b>\n"
      "Charts printed: <b>%" G_GINT64_FORMAT "</b> (<b>%" G_GINT64_FORMAT "</b> for those beds)\n"
      "Census: <b>%s</b>\n"
      "Documents not printed: <b>%" G_GINT64_FORMAT "</b>\n"
      "Printer errors: <b>%" G_GINT64_FORMAT "</b> · failovers: <b>%" G_GINT64_FORMAT "</b>",
      member_count (f, "jobs"), member_count (f, "jobs_completed"), member_count (f, "pages"),
      member_count (f, "charts_expected"), member_count (f, "charts_printed"),
      member_count (f, "charts_for_occupied_beds"),
      member_true (f, "census_printed") ? "printed" : "NOT printed",
      member_count (f, "not_printed"), member_count (f, "printer_errors"),
      member_count (f, "failovers"));
  h = _wk_chart_block_add_text (block, -1, 0, 2, CONTENT_WIDTH * 0.55 - 6, left, &style);
  h = MAX (h, _wk_chart_block_add_text (block, -1, CONTENT_WIDTH * 0.55 + 6, 2,
                                        CONTENT_WIDTH * 0.45 - 6, right, &style));
  _wk_chart_block_set_height (block, h + GAP);
  return block;
}

static WkChartBlock *
build_lines (Report *r, JsonArray *lines, guint max, const char *none, gboolean timeline)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  WkChartTextStyle style = style_of (8.5, FALSE, 2);
  guint            n = lines != NULL ? json_array_get_length (lines) : 0;
  double           y = 2;

  if (n == 0)
    {
      style.bold = TRUE;
      y += _wk_chart_block_add_text (block, -1, 0, y, CONTENT_WIDTH, none, &style);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *markup = NULL;

      /* Too many for the page: the first ones and the last ones, and how many between. */
      if (n > max && i == max - 3)
        {
          markup = g_markup_printf_escaped ("… %u more (all of them are in the report's JSON: "
                                            "wardkeep drill export --json)",
                                            n - max + 1);
          i = n - 3;
        }
      else if (timeline)
        {
          JsonObject      *event = element_object (lines, i);
          g_autofree char *at = local_time (r, member_string (event, "at"), "%H:%M:%S");
          g_autofree char *after
              = wk_drill_report_describe_seconds (member_number (event, "after_s"));

          markup = g_markup_printf_escaped ("<b>%s</b>  +%s  %s", at, after,
                                            member_string (event, "event"));
        }
      else
        markup = g_markup_printf_escaped ("• %s", element_string (lines, i));
      y += _wk_chart_block_add_text (block, -1, 0, y, CONTENT_WIDTH, markup, &style) + 1;
    }
  _wk_chart_block_set_height (block, y + GAP);
  return block;
}

static WkChartBlock *
build_signatures (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  WkChartTextStyle style = style_of (9, FALSE, 3);
  double           h;

  h = _wk_chart_block_add_text (
      block, -1, 0, 8, CONTENT_WIDTH,
      "Drill lead (name) ____________________  Signature ______________  Date ____________\n\n"
      "Witness (name) _______________________  Signature ______________  Date ____________",
      &style);
  _wk_chart_block_set_height (block, h + 10);
  return block;
}

static WkChartBlock *
build_footer (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  WkChartTextStyle style = style_of (7.5, FALSE, 2);
  g_autofree char *generated
      = local_time (r, member_string (r->report, "ended_at"), "%a %d %b %Y %H:%M");
  g_autofree char *text = g_markup_printf_escaped (
      "wardkeep %s · drill report of %s, kept in the kiosk's encrypted store (wardkeep drill "
      "history; wardkeep drill export %s) · no patient data",
      WK_VERSION, generated, member_string (r->report, "drill"));
  double h;

  _wk_chart_block_add_rule (block, 0, 0, CONTENT_WIDTH, 0, 0.5);
  h = _wk_chart_block_add_text (block, -1, 0, 3, CONTENT_WIDTH, text, &style);
  _wk_chart_block_set_height (block, h + 3);
  return block;
}

static cairo_status_t
write_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* The body's blocks for a timeline of at most @max_events lines. */
static GPtrArray *
build_body (Report *r, guint max_events)
{
  GPtrArray *blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)_wk_chart_block_free);
  JsonArray *targets = member_array (r->report, "targets");

  g_ptr_array_add (blocks, build_verdict (r));
  g_ptr_array_add (blocks, build_heading (r, "TARGETS"));
  g_ptr_array_add (blocks, build_target_row (r, NULL));
  for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++)
    g_ptr_array_add (blocks, build_target_row (r, element_object (targets, i)));
  g_ptr_array_add (blocks, build_heading (r, "FIGURES (FROM THE PRINTERS' OWN JOB STATES)"));
  g_ptr_array_add (blocks, build_figures (r));
  g_ptr_array_add (blocks, build_heading (r, "WHAT WENT WRONG"));
  g_ptr_array_add (blocks, build_lines (r, member_array (r->report, "problems"), 8,
                                        "Nothing went wrong.", FALSE));
  g_ptr_array_add (blocks, build_heading (r, "TIMELINE"));
  g_ptr_array_add (blocks, build_lines (r, member_array (r->report, "timeline"), max_events,
                                        "No event was recorded.", TRUE));
  g_ptr_array_add (blocks, build_signatures (r));
  return blocks;
}

/**
 * wk_drill_report_render:
 * @report: a drill's report (README "Drills": the JSON `drill.stop` returns)
 * @zone_name: (nullable): the ward's time zone; %NULL for Europe/London
 * @error: return location for a #GError
 *
 * Renders the report as one A4 page of PDF, in memory.
 *
 * Returns: (transfer full): the PDF, or %NULL with %WK_PRINT_ERROR_RENDER
 */
GBytes *
wk_drill_report_render (JsonObject *report, const char *zone_name, GError **error)
{
  g_autoptr (WkChartTypesetter) typesetter = _wk_chart_typesetter_new ();
  g_autoptr (GByteArray) pdf = g_byte_array_new ();
  g_autoptr (GArray) boxes = g_array_new (FALSE, FALSE, sizeof (WkChartBox));
  g_autoptr (WkChartBlock) header = NULL;
  g_autoptr (WkChartBlock) footer = NULL;
  g_autoptr (GPtrArray) blocks = NULL;
  Report           r = { 0 };
  cairo_surface_t *surface;
  cairo_t         *cr;
  cairo_status_t   status;
  double           y, room;
  guint            max_events = 40;

  g_return_val_if_fail (report != NULL, NULL);

  r.typesetter = typesetter;
  r.tz = g_time_zone_new_identifier (zone_name != NULL ? zone_name : "Europe/London");
  if (r.tz == NULL)
    r.tz = g_time_zone_new_utc ();
  r.report = report;
  header = build_header (&r);
  footer = build_footer (&r);
  room = PAGE_HEIGHT - 2 * MARGIN - FOOTER_ROOM - _wk_chart_block_get_height (header);
  /* One page: the timeline is shortened until everything fits. */
  for (;;)
    {
      double h = 0;

      g_clear_pointer (&blocks, g_ptr_array_unref);
      blocks = build_body (&r, max_events);
      for (guint i = 0; i < blocks->len; i++)
        h += _wk_chart_block_get_height (blocks->pdata[i]);
      if (h <= room || max_events <= 6)
        break;
      max_events -= 2;
    }

  surface = cairo_pdf_surface_create_for_stream (write_bytes, pdf, PAGE_WIDTH, PAGE_HEIGHT);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, "wardkeep drill report");
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "wardkeep " WK_VERSION);
  cr = cairo_create (surface);
  _wk_chart_block_draw (header, cr, MARGIN, MARGIN, -1, boxes);
  y = MARGIN + _wk_chart_block_get_height (header);
  for (guint i = 0; i < blocks->len; i++)
    {
      _wk_chart_block_draw (blocks->pdata[i], cr, MARGIN, y, -1, boxes);
      y += _wk_chart_block_get_height (blocks->pdata[i]);
    }
  _wk_chart_block_draw (footer, cr, MARGIN, PAGE_HEIGHT - MARGIN - FOOTER_ROOM + 6, -1, boxes);
  cairo_show_page (cr);
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  g_time_zone_unref (r.tz);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_RENDER,
                   "Cannot write the drill report: %s", cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&pdf));
}
