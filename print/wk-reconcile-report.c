/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-report.c — the discrepancy report as a PDF a pharmacist can sign off.
 *
 * Laid out with the chart's own blocks (wk-chart-layout.c), on A4, black on white like the
 * charts: a header on every page, the sign-off first (who signed, when, and whether the
 * report has changed since; or a box to sign by hand), the counts, the findings with the
 * high ones first, then every administration keyed in from paper. The PDF is rendered in
 * memory from the report's JSON: it holds patient data, and the caller decides where it
 * goes. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-reconcile-report.h"

#include "wk-chart-private.h"
#include "wk-print-error.h"

#include <cairo-pdf.h>
#include <string.h>

#define PAGE_WIDTH 595.276
#define PAGE_HEIGHT 841.89
#define MARGIN 36.0
#define CONTENT_WIDTH (PAGE_WIDTH - 2 * MARGIN)
#define GAP 6.0

typedef struct
{
  WkChartTypesetter *typesetter;
  GTimeZone         *tz;
  JsonObject        *report;
  GPtrArray         *blocks;   /* WkChartBlock, the body in reading order */
  GHashTable        *headings; /* blocks kept on the page of the block after them */
} Report;

static WkChartTextStyle
style_of (double size, gboolean bold, int max_lines)
{
  WkChartTextStyle style = { size, bold, PANGO_ALIGN_LEFT, max_lines, FALSE, FALSE };

  return style;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  return json_node_get_int (node);
}

/* "Sat 14 Mar 2026 23:10" from an ISO 8601 UTC time of the report. */
static char *
local_time (Report *r, const char *iso)
{
  g_autoptr (GDateTime) utc = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return NULL;
  local = g_date_time_to_timezone (utc, r->tz);
  return g_date_time_format (local, "%a %d %b %Y %H:%M");
}

/* A black bar with white text, as the charts' headings. */
static double
add_bar (Report *r, WkChartBlock *block, double y, const char *markup, double size)
{
  WkChartTextStyle style = style_of (size, TRUE, 2);
  int              bar = _wk_chart_block_add_group (block, -1, 0, y, CONTENT_WIDTH, 0, 0, TRUE);
  double           h;

  style.white = TRUE;
  h = _wk_chart_block_add_text (block, bar, 6, 3, CONTENT_WIDTH - 12, markup, &style);
  _wk_chart_block_set_group_height (block, bar, h + 6);
  return h + 6;
}

static WkChartBlock *
build_header (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  JsonObject      *episode = json_object_get_object_member (r->report, "episode");
  const char      *id = member_string (episode, "id");
  g_autofree char *started = local_time (r, member_string (episode, "started_at"));
  g_autofree char *ended = local_time (r, member_string (episode, "ended_at"));
  g_autofree char *generated = local_time (r, member_string (r->report, "generated_at"));
  g_autofree char *markup = NULL;
  WkChartTextStyle style = style_of (9, FALSE, 3);
  double           y;

  y = add_bar (r, block, 0, "DISCREPANCY REPORT — PAPER CHARTS AFTER A DOWNTIME", 12);
  if (id != NULL && *id != '\0' && ended != NULL)
    markup = g_markup_printf_escaped (
        "Ward <b>%s</b> · downtime episode <b>%s</b> (%s) from <b>%s</b> to <b>%s</b>\n"
        "Compared with the central record as it was at <b>%s</b>",
        member_string (r->report, "ward"), id, member_string (episode, "kind"),
        started != NULL ? started : "?", ended, generated != NULL ? generated : "?");
  else if (id != NULL && *id != '\0')
    markup = g_markup_printf_escaped (
        "Ward <b>%s</b> · downtime episode <b>%s</b> (%s) from <b>%s</b> (not ended)\n"
        "Compared with the central record as it was at <b>%s</b>",
        member_string (r->report, "ward"), id, member_string (episode, "kind"),
        started != NULL ? started : "?", generated != NULL ? generated : "?");
  else
    markup = g_markup_printf_escaped (
        "Ward <b>%s</b> · charts printed outside any recorded downtime episode\n"
        "Compared with the central record as it was at <b>%s</b>",
        member_string (r->report, "ward"), generated != NULL ? generated : "?");
  y += 3 + _wk_chart_block_add_text (block, -1, 0, y + 3, CONTENT_WIDTH, markup, &style);
  _wk_chart_block_add_rule (block, 0, y + 3, CONTENT_WIDTH, y + 3, 0.8);
  _wk_chart_block_set_height (block, y + 6);
  return block;
}

static WkChartBlock *
build_footer (Report *r, guint page, guint n_pages)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  WkChartTextStyle style = style_of (7.5, FALSE, 2);
  const char      *digest = member_string (r->report, "digest");
  g_autofree char *left = g_markup_printf_escaped (
      "Findings digest %.16s… · wardkeep %s · patient data: keep it as the paper charts",
      digest != NULL ? digest : "", WK_VERSION);
  g_autofree char *right = g_markup_printf_escaped ("<b>Page %u of %u</b>", page, n_pages);
  double           h;

  _wk_chart_block_add_rule (block, 0, 0, CONTENT_WIDTH, 0, 0.5);
  h = _wk_chart_block_add_text (block, -1, 0, 3, CONTENT_WIDTH * 0.8, left, &style);
  style.align = PANGO_ALIGN_RIGHT;
  style.size = 9;
  h = MAX (h, _wk_chart_block_add_text (block, -1, CONTENT_WIDTH * 0.8, 3, CONTENT_WIDTH * 0.2,
                                        right, &style));
  _wk_chart_block_set_height (block, h + 3);
  return block;
}

/* Who signed and when, or a box to sign by hand. */
static WkChartBlock *
build_signoff (Report *r)
{
  WkChartBlock *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  JsonNode     *node = json_object_get_member (r->report, "signed_off");
  JsonObject   *signoff
      = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  int              frame = _wk_chart_block_add_group (block, -1, 0, 0, CONTENT_WIDTH, 0, 2, FALSE);
  WkChartTextStyle title = style_of (13, TRUE, 2);
  WkChartTextStyle body = style_of (9.5, FALSE, 6);
  g_autofree char *heading = NULL;
  g_autofree char *text = NULL;
  double           y = 6;

  if (signoff != NULL)
    {
      g_autofree char *at = local_time (r, member_string (signoff, "at"));
      gboolean         current = json_object_get_boolean_member (signoff, "current");
      const char      *note = member_string (signoff, "note");

      heading
          = g_markup_printf_escaped ("%s by %s, %s", current ? "SIGNED OFF" : "SIGNED OFF EARLIER",
                                     member_string (signoff, "by"), at != NULL ? at : "");
      if (current)
        text = g_markup_printf_escaped (
            "These findings (digest %.16s…) were reviewed and signed off in wardkeep.%s%s",
            member_string (signoff, "digest"), note != NULL ? "\nNote: " : "",
            note != NULL ? note : "");
      else
        text = g_markup_printf_escaped (
            "<b>The report has changed since it was signed off</b> (pages scanned or "
            "administrations keyed in since): review these findings and sign off again with "
            "<tt>wardkeep reconcile signoff</tt>.");
    }
  else
    {
      heading = g_strdup ("NOT YET SIGNED OFF");
      text = g_strdup ("Review every finding below, then sign off with <tt>wardkeep reconcile "
                       "signoff --who NAME</tt> or on the kiosk's Reconcile screen.\n\n"
                       "Pharmacist (name) ______________________________   Signature "
                       "____________________   Date and time ______________");
    }
  y += _wk_chart_block_add_text (block, frame, 8, y, CONTENT_WIDTH - 16, heading, &title) + 3;
  y += _wk_chart_block_add_text (block, frame, 8, y, CONTENT_WIDTH - 16, text, &body) + 8;
  _wk_chart_block_set_group_height (block, frame, y);
  _wk_chart_block_set_height (block, y + GAP);
  return block;
}

static WkChartBlock *
build_summary (Report *r)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  JsonObject      *s = json_object_get_object_member (r->report, "summary");
  WkChartTextStyle style = style_of (9.5, FALSE, 5);
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;
  double           h, y;

  y = add_bar (r, block, 0, "SUMMARY", 10) + 4;
  left = g_markup_printf_escaped (
      "Charts printed: <b>%" G_GINT64_FORMAT "</b> (%" G_GINT64_FORMAT
      " of them outside the daemon)\nAll pages back: <b>%" G_GINT64_FORMAT
      "</b>\nSome pages missing: <b>%" G_GINT64_FORMAT "</b>\nNot back at all: <b>%" G_GINT64_FORMAT
      "</b>",
      member_int (s, "charts_printed"), member_int (s, "charts_outside_ledger"),
      member_int (s, "charts_returned"), member_int (s, "charts_missing_pages"),
      member_int (s, "charts_not_returned"));
  right = g_markup_printf_escaped (
      "Pages: <b>%" G_GINT64_FORMAT "</b> printed, <b>%" G_GINT64_FORMAT
      "</b> back, <b>%" G_GINT64_FORMAT "</b> missing, <b>%" G_GINT64_FORMAT "</b> returned twice\n"
      "Administrations keyed in from paper: <b>%" G_GINT64_FORMAT
      "</b>\nFindings: <b>%" G_GINT64_FORMAT "</b>\nOf which high: <b>%" G_GINT64_FORMAT "</b>",
      member_int (s, "pages_printed"), member_int (s, "pages_returned"),
      member_int (s, "pages_missing"), member_int (s, "pages_returned_twice"),
      member_int (s, "entries"), member_int (s, "findings"), member_int (s, "findings_high"));
  h = _wk_chart_block_add_text (block, -1, 0, y, CONTENT_WIDTH / 2 - 6, left, &style);
  h = MAX (h, _wk_chart_block_add_text (block, -1, CONTENT_WIDTH / 2 + 6, y, CONTENT_WIDTH / 2 - 6,
                                        right, &style));
  _wk_chart_block_set_height (block, y + h + GAP);
  return block;
}

static WkChartBlock *
build_heading (Report *r, const char *text)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  g_autofree char *markup = g_markup_escape_text (text, -1);

  _wk_chart_block_set_height (block, add_bar (r, block, 0, markup, 10) + 3);
  g_hash_table_add (r->headings, block);
  return block;
}

static const struct
{
  const char *kind;
  const char *title;
} kind_titles[] = {
  { "double-dose", "Possible double dose" },
  { "prn-over-max", "As-required maximum exceeded" },
  { "order-changed", "Order changed centrally during the downtime" },
  { "order-stopped", "Order stopped centrally during the downtime" },
  { "order-held", "Order put on hold centrally during the downtime" },
  { "order-added", "Order prescribed centrally, not on paper" },
  { "order-unknown", "Order not in the central record" },
  { "chart-not-returned", "Chart not returned" },
  { "missing-page", "Page not returned" },
  { "page-returned-twice", "Page returned twice" },
  { "blank-boxes", "Boxes with nothing keyed in" },
  { "entry-flagged", "Administration flagged" },
};

static const char *
title_of (const char *kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kind_titles); i++)
    if (g_strcmp0 (kind, kind_titles[i].kind) == 0)
      return kind_titles[i].title;
  return kind;
}

/* "SURNAME, Given · NHS 999 000 0018 · BAY1 bed 1 · chart 7KQ2-M9XD page 2". */
static char *
describe_where (JsonObject *finding)
{
  JsonObject *patient = json_object_get_object_member (finding, "patient");
  GString    *text = g_string_new (NULL);
  const char *name = member_string (patient, "name");
  const char *nhs = member_string (patient, "nhs_number");
  const char *bed = member_string (patient, "bed");
  const char *label = member_string (finding, "label");
  gint64      page = member_int (finding, "page");

  g_string_append (text, name != NULL ? name : "patient not in the model");
  if (nhs != NULL)
    g_string_append_printf (text, " · NHS %s", nhs);
  if (bed != NULL)
    g_string_append_printf (text, " · %s", bed);
  if (label != NULL)
    g_string_append_printf (text, " · chart %s", label);
  if (page > 0)
    g_string_append_printf (text, " page %" G_GINT64_FORMAT, page);
  return g_string_free (text, FALSE);
}

static WkChartBlock *
build_finding (Report *r, JsonObject *finding)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  const char      *severity = member_string (finding, "severity");
  gboolean         high = g_strcmp0 (severity, "high") == 0;
  g_autofree char *upper = g_ascii_strup (severity != NULL ? severity : "", -1);
  g_autofree char *where = describe_where (finding);
  g_autofree char *markup = NULL;
  WkChartTextStyle label_style = style_of (8.5, TRUE, 1);
  WkChartTextStyle body = style_of (9, FALSE, 8);
  double           label_width = 52, x = label_width + 8, h, label_h;
  int              label;

  /* HIGH reversed out in black; the others framed or plain: no colour carries meaning. */
  label = _wk_chart_block_add_group (block, -1, 0, 2, label_width, 0,
                                     g_strcmp0 (severity, "low") == 0 ? 0 : 1.2, high);
  label_style.white = high;
  label_style.align = PANGO_ALIGN_CENTER;
  label_h = _wk_chart_block_add_text (block, label, 2, 3, label_width - 4, upper, &label_style);
  _wk_chart_block_set_group_height (block, label, label_h + 6);
  markup
      = g_markup_printf_escaped ("<b>%s</b> — %s\n%s", title_of (member_string (finding, "kind")),
                                 where, member_string (finding, "text"));
  h = _wk_chart_block_add_text (block, -1, x, 2, CONTENT_WIDTH - x, markup, &body);
  h = MAX (h, label_h + 6) + 4;
  _wk_chart_block_add_rule (block, 0, h, CONTENT_WIDTH, h, 0.3);
  _wk_chart_block_set_height (block, h + 3);
  return block;
}

/* Columns of the administrations table: x and width. */
static const double entry_x[] = { 0, 120, 270, 322, 380, 432, 466, 523.276 };

static WkChartBlock *
build_entry_row (Report *r, JsonObject *entry, gboolean header)
{
  WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
  WkChartTextStyle style = style_of (header ? 7.5 : 8, header, 4);
  char            *cells[7] = { NULL };
  double           h = 0;

  if (header)
    {
      const char *titles[7] = { "Chart, page", "Order, drug",          "Due", "Given?", "When",
                                "Dose",        "By · flags · exported" };

      for (int i = 0; i < 7; i++)
        cells[i] = g_strdup (titles[i]);
    }
  else
    {
      gboolean         given = json_object_get_boolean_member (entry, "given");
      g_autofree char *due = local_time (r, member_string (entry, "due"));
      JsonArray       *flags = json_object_get_array_member (entry, "flags");
      GString         *last = g_string_new (NULL);

      cells[0] = g_markup_printf_escaped ("%s p.%" G_GINT64_FORMAT "\n#%" G_GINT64_FORMAT,
                                          member_string (entry, "label"),
                                          member_int (entry, "page"), member_int (entry, "id"));
      cells[1] = g_markup_printf_escaped (
          "<b>%s</b> v%" G_GINT64_FORMAT "\n%s", member_string (entry, "order"),
          member_int (entry, "version"),
          member_string (entry, "drug") != NULL ? member_string (entry, "drug") : "");
      cells[2] = g_markup_escape_text (due != NULL ? due : "as required", -1);
      if (given)
        cells[3] = g_strdup ("<b>Given</b>");
      else
        cells[3] = g_markup_printf_escaped ("<b>Not given</b>\n%s %s",
                                            member_string (entry, "reason_code"),
                                            member_string (entry, "reason"));
      cells[4] = g_markup_escape_text (member_string (entry, "at_local"), -1);
      if (given)
        {
          JsonNode *dose = json_object_get_member (entry, "dose");

          cells[5] = g_markup_printf_escaped ("%g %s", json_node_get_double (dose),
                                              member_string (entry, "unit"));
        }
      else
        cells[5] = g_strdup ("—");
      g_string_append (last, member_string (entry, "by") != NULL ? member_string (entry, "by")
                                                                 : "(no initials)");
      for (guint i = 0; flags != NULL && i < json_array_get_length (flags); i++)
        g_string_append_printf (last, "%s%s", i == 0 ? " · " : ", ",
                                json_array_get_string_element (flags, i));
      {
        const char *formats[] = { "hl7", "fhir", "csv" };
        gboolean    any = FALSE;

        for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
          {
            g_autofree char *member = g_strdup_printf ("exported_%s", formats[i]);

            if (member_string (entry, member) != NULL)
              {
                g_string_append_printf (last, "%s%s", any ? ", " : "\nexported: ", formats[i]);
                any = TRUE;
              }
          }
        if (!any)
          g_string_append (last, "\nnot exported");
      }
      cells[6] = g_markup_escape_text (last->str, -1);
      g_string_free (last, TRUE);
    }
  for (int i = 0; i < 7; i++)
    {
      h = MAX (h, _wk_chart_block_add_text (block, -1, entry_x[i] + 1, 2,
                                            entry_x[i + 1] - entry_x[i] - 4, cells[i], &style));
      g_free (cells[i]);
    }
  _wk_chart_block_add_rule (block, 0, h + 4, CONTENT_WIDTH, h + 4, header ? 0.8 : 0.3);
  _wk_chart_block_set_height (block, h + 6);
  return block;
}

static int
severity_rank (JsonObject *finding)
{
  const char *severity = member_string (finding, "severity");

  return g_strcmp0 (severity, "high") == 0 ? 0 : g_strcmp0 (severity, "medium") == 0 ? 1 : 2;
}

static gint
compare_findings (gconstpointer a, gconstpointer b)
{
  JsonObject *x = *(JsonObject *const *)a, *y = *(JsonObject *const *)b;

  return severity_rank (x) - severity_rank (y);
}

static void
build_body (Report *r)
{
  JsonArray *findings = json_object_get_array_member (r->report, "findings");
  JsonArray *entries = json_object_get_array_member (r->report, "entries");
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autofree char *heading = NULL;

  g_ptr_array_add (r->blocks, build_signoff (r));
  g_ptr_array_add (r->blocks, build_summary (r));
  for (guint i = 0; i < json_array_get_length (findings); i++)
    g_ptr_array_add (sorted, json_array_get_object_element (findings, i));
  /* High first, then medium, then low; in the report's order within each (stable). */
  g_ptr_array_sort (sorted, compare_findings);
  heading = g_strdup_printf ("FINDINGS (%u) — HIGH FIRST", sorted->len);
  g_ptr_array_add (r->blocks, build_heading (r, heading));
  if (sorted->len == 0)
    {
      WkChartBlock    *block = _wk_chart_block_new (r->typesetter, CONTENT_WIDTH);
      WkChartTextStyle style = style_of (10, TRUE, 2);

      _wk_chart_block_set_height (
          block, _wk_chart_block_add_text (block, -1, 0, 2, CONTENT_WIDTH,
                                           "No discrepancy found between the paper and the "
                                           "central record.",
                                           &style)
                     + GAP);
      g_ptr_array_add (r->blocks, block);
    }
  for (guint i = 0; i < sorted->len; i++)
    g_ptr_array_add (r->blocks, build_finding (r, sorted->pdata[i]));
  g_clear_pointer (&heading, g_free);
  heading = g_strdup_printf ("ADMINISTRATIONS KEYED IN FROM PAPER (%u)",
                             json_array_get_length (entries));
  g_ptr_array_add (r->blocks, build_heading (r, heading));
  g_ptr_array_add (r->blocks, build_entry_row (r, NULL, TRUE));
  g_hash_table_add (r->headings, r->blocks->pdata[r->blocks->len - 1]);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    g_ptr_array_add (r->blocks,
                     build_entry_row (r, json_array_get_object_element (entries, i), FALSE));
}

static cairo_status_t
write_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/**
 * wk_reconcile_report_render:
 * @report: a report from wk_reconcile_dup_report()
 * @zone_name: (nullable): the ward's time zone; %NULL for Europe/London
 * @error: return location for a #GError
 *
 * Renders the discrepancy report as an A4 PDF, in memory.
 *
 * Returns: (transfer full): the PDF, or %NULL with %WK_PRINT_ERROR_RENDER
 */
GBytes *
wk_reconcile_report_render (JsonObject *report, const char *zone_name, GError **error)
{
  g_autoptr (WkChartTypesetter) typesetter = _wk_chart_typesetter_new ();
  g_autoptr (GByteArray) pdf = g_byte_array_new ();
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (WkChartBlock) header = NULL;
  g_autoptr (GArray) boxes = g_array_new (FALSE, FALSE, sizeof (WkChartBox));
  Report           r = { 0 };
  cairo_surface_t *surface;
  cairo_t         *cr;
  cairo_status_t   status;
  double           top, bottom, y;
  guint            n_pages;

  g_return_val_if_fail (report != NULL, NULL);

  r.typesetter = typesetter;
  r.tz = g_time_zone_new_identifier (zone_name != NULL ? zone_name : "Europe/London");
  if (r.tz == NULL)
    r.tz = g_time_zone_new_utc ();
  r.report = report;
  r.blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)_wk_chart_block_free);
  r.headings = g_hash_table_new (NULL, NULL);
  header = build_header (&r);
  build_body (&r);

  /* Pages: the header on each, then blocks while they fit above the footer's room. */
  top = MARGIN + _wk_chart_block_get_height (header) + GAP;
  bottom = PAGE_HEIGHT - MARGIN - 24;
  y = top;
  g_array_append_val (starts, (guint){ 0 });
  for (guint i = 0; i < r.blocks->len; i++)
    {
      double h = _wk_chart_block_get_height (r.blocks->pdata[i]);

      /* A heading goes to the next page with what it heads (a table's heading, its header
       * row and its first row together). */
      for (guint j = i;
           g_hash_table_contains (r.headings, r.blocks->pdata[j]) && j + 1 < r.blocks->len; j++)
        h += _wk_chart_block_get_height (r.blocks->pdata[j + 1]);

      if (y + h > bottom && y > top)
        {
          g_array_append_val (starts, i);
          y = top;
        }
      y += _wk_chart_block_get_height (r.blocks->pdata[i]);
    }
  n_pages = starts->len;

  surface = cairo_pdf_surface_create_for_stream (write_bytes, pdf, PAGE_WIDTH, PAGE_HEIGHT);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, "wardkeep discrepancy report");
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "wardkeep " WK_VERSION);
  cr = cairo_create (surface);
  for (guint p = 0; p < n_pages; p++)
    {
      guint first = g_array_index (starts, guint, p);
      guint end = p + 1 < n_pages ? g_array_index (starts, guint, p + 1) : r.blocks->len;
      g_autoptr (WkChartBlock) footer = build_footer (&r, p + 1, n_pages);

      _wk_chart_block_draw (header, cr, MARGIN, MARGIN, -1, boxes);
      y = top;
      for (guint i = first; i < end; i++)
        {
          _wk_chart_block_draw (r.blocks->pdata[i], cr, MARGIN, y, -1, boxes);
          y += _wk_chart_block_get_height (r.blocks->pdata[i]);
        }
      _wk_chart_block_draw (footer, cr, MARGIN, PAGE_HEIGHT - MARGIN - 20, -1, boxes);
      cairo_show_page (cr);
      g_array_set_size (boxes, 0);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  g_ptr_array_unref (r.blocks);
  g_hash_table_unref (r.headings);
  g_time_zone_unref (r.tz);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_RENDER,
                   "Cannot write the discrepancy report: %s", cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&pdf));
}
