/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-view.c — the Reconcile screen: scan returned pages, key in what was given.
 *
 * For the pharmacist after a downtime, at the kiosk or a desk running it: the scanner
 * (a USB keyboard-wedge reader) is read wherever the focus is, so a page is scanned
 * without touching the screen; the returned chart then opens as printed, one row per box
 * in the order the paper reads, and what the box says is typed from the keyboard:
 * initials (Enter: given at the due time, as prescribed), or a not-given code, a time or a
 * dose when they differ. Enter saves the row and moves to the next. Everything goes
 * through the daemon's reconcile.* methods: it alone changes the ward model. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-reconcile-view.h"

#include "wk-control.h"
#include "wk-kiosk-private.h"
#include "wk-scanner-wedge.h"

#include <glib/gi18n.h>
#include <string.h>

/* How long a held key waits for the next before it is typed after all. */
#define HELD_KEY_TIMEOUT_MS 400

/* One row of the chart: a box (or a dose without a box) and what it says. */
typedef struct
{
  char     *order;
  char     *due;      /* the box's due time as the daemon reads it ("14 0800"), NULL for none */
  char     *due_time; /* the box's "0800", the time's default */
  gint64    entry_id; /* what was keyed in for it before, 0 for nothing */
  gboolean  box;
  GtkEntry *by;
  GtkEntry *code;
  GtkEntry *time;
  GtkEntry *dose;
  GtkLabel *state;
} Row;

struct _WkReconcileView
{
  GtkWidget parent_instance;

  WkKiosk        *kiosk;
  WkScannerWedge *wedge;
  guint           wedge_timeout_id;
  char           *chart_id;
  GPtrArray      *rows;         /* Row, in the order the paper reads */
  int             focus_row;    /* the row to focus once the chart is shown again, -1 none */
  GtkWidget      *focus_target; /* weak: the field that gets the focus when idle */
  guint           focus_id;
  guint           busy;

  GtkButton         *refresh_button;
  GtkEntry          *scan_entry;
  GtkLabel          *message_label;
  GtkListBox        *chart_list;
  GtkBox            *chart_box;
  GtkScrolledWindow *chart_scroller;
};

G_DEFINE_FINAL_TYPE (WkReconcileView, wk_reconcile_view, GTK_TYPE_WIDGET)

static void
row_free (gpointer data)
{
  Row *row = data;

  g_free (row->order);
  g_free (row->due);
  g_free (row->due_time);
  g_free (row);
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

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

static void
set_message (WkReconcileView *self, const char *message, gboolean problem)
{
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (problem)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
}

static GtkWidget *
label_new (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* "SAMPLE, Sam · NHS 999 000 0026 · BAY1 bed 2". */
static char *
patient_words (JsonObject *holder)
{
  JsonObject *patient = json_object_get_object_member (holder, "patient");
  const char *name = member_string (patient, "name");
  const char *nhs = member_string (patient, "nhs_number");
  const char *bed = member_string (patient, "bed");

  return g_strdup_printf ("%s%s%s%s%s", name != NULL ? name : _ ("patient not in the model"),
                          nhs != NULL ? " · NHS " : "", nhs != NULL ? nhs : "",
                          bed != NULL ? " · " : "", bed != NULL ? bed : "");
}

/* ---- talking to the daemon ---- */

typedef void (*AnswerFunc) (WkReconcileView *self,
                            JsonNode        *result,
                            const GError    *error,
                            gpointer         data);

typedef struct
{
  WkReconcileView *self;
  AnswerFunc       func;
  gpointer         data;
  GDestroyNotify   destroy;
} Pending;

static void
answered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node
      = wk_control_client_call_finish (WK_CONTROL_CLIENT (source), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      pending->self->busy--;
      pending->func (pending->self, node, error, pending->data);
    }
  if (pending->destroy != NULL)
    pending->destroy (pending->data);
  g_object_unref (pending->self);
  g_free (pending);
}

/* Calls a reconcile.* method; @params is taken. */
static void
call (WkReconcileView *self,
      const char      *method,
      JsonObject      *params,
      AnswerFunc       func,
      gpointer         data,
      GDestroyNotify   destroy)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = g_object_ref (self);
  pending->func = func;
  pending->data = data;
  pending->destroy = destroy;
  self->busy++;
  _wk_kiosk_daemon_call_async (self->kiosk, method, params, answered_cb, pending);
}

static const char *
problem_words (const GError *error)
{
  if (g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_NOT_RUNNING)
      || g_error_matches (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_DISCONNECTED))
    return _ ("The wardkeep daemon is not running: reconciliation needs it. Ask IT to start "
              "it (systemctl start wardkeepd).");
  return error->message;
}

/* ---- the list of charts ---- */

static GtkWidget *
chart_row_new (JsonObject *chart)
{
  GtkWidget       *row = gtk_list_box_row_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *patient = patient_words (chart);
  g_autofree char *title = g_strdup_printf ("%s · %s", member_string (chart, "label"), patient);
  g_autofree char *name = g_strdup_printf ("reconcile-chart-%s", member_string (chart, "chart"));
  const char      *state = member_string (chart, "state");
  JsonArray       *missing = json_object_get_array_member (chart, "missing");
  JsonArray       *twice = json_object_get_array_member (chart, "returned_twice");
  GString         *words = g_string_new (NULL);

  if (g_strcmp0 (state, "returned") == 0)
    g_string_append (words, _ ("all pages back"));
  else if (g_strcmp0 (state, "not-returned") == 0)
    g_string_append (words, _ ("NOT BACK"));
  else
    {
      g_string_append (words, _ ("missing page"));
      for (guint i = 0; i < json_array_get_length (missing); i++)
        g_string_append_printf (words, "%s%" G_GINT64_FORMAT, i == 0 ? " " : ", ",
                                json_array_get_int_element (missing, i));
    }
  if (json_array_get_length (twice) > 0)
    g_string_append (words, _ (" · a page came back twice"));
  if (json_object_get_boolean_member (chart, "outside_ledger"))
    g_string_append (words, _ (" · printed outside the daemon"));
  g_string_append_printf (words, " · %" G_GINT64_FORMAT " %s", member_int (chart, "entries"),
                          _ ("keyed in"));

  gtk_widget_add_css_class (box, "order-row");
  gtk_box_append (GTK_BOX (box), label_new (title, "order-drug"));
  gtk_box_append (
      GTK_BOX (box),
      label_new (words->str, g_strcmp0 (state, "returned") == 0 ? "order-how" : "order-last"));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_name (row, name);
  g_object_set_data_full (G_OBJECT (row), "wk-chart", g_strdup (member_string (chart, "chart")),
                          g_free);
  g_object_set_data (G_OBJECT (row), "wk-returned",
                     GINT_TO_POINTER (g_strcmp0 (state, "not-returned") != 0));
  g_string_free (words, TRUE);
  return row;
}

static void
status_answered (WkReconcileView *self, JsonNode *result, const GError *error, gpointer data)
{
  JsonArray *episodes;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chart_list))) != NULL)
    gtk_list_box_remove (self->chart_list, child);
  if (error != NULL)
    {
      set_message (self, problem_words (error), TRUE);
      return;
    }
  episodes = json_object_get_array_member (json_node_get_object (result), "episodes");
  for (guint e = 0; e < json_array_get_length (episodes); e++)
    {
      JsonObject      *episode = json_array_get_object_element (episodes, e);
      JsonArray       *charts = json_object_get_array_member (episode, "charts");
      const char      *id = member_string (episode, "id");
      g_autofree char *title = NULL;
      GtkWidget       *heading;

      title = id != NULL && *id != '\0'
                  ? g_strdup_printf (
                      _ ("Downtime (%s): %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                         " charts back, %" G_GINT64_FORMAT " pages missing"),
                      member_string (episode, "kind"), member_int (episode, "charts_returned"),
                      member_int (episode, "charts_printed"), member_int (episode, "pages_missing"))
                  : g_strdup (_ ("Charts printed outside any downtime episode"));
      heading = label_new (title, "section-title");
      gtk_list_box_append (self->chart_list, heading);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (gtk_widget_get_parent (heading)), FALSE);
      gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (gtk_widget_get_parent (heading)), FALSE);
      for (guint c = 0; c < json_array_get_length (charts); c++)
        gtk_list_box_append (self->chart_list,
                             chart_row_new (json_array_get_object_element (charts, c)));
    }
}

/**
 * wk_reconcile_view_refresh:
 * @self: a #WkReconcileView
 *
 * Asks the daemon again for the charts and the chart shown.
 */
void
wk_reconcile_view_refresh (WkReconcileView *self)
{
  g_return_if_fail (WK_IS_RECONCILE_VIEW (self));

  if (self->kiosk == NULL || wk_kiosk_is_locked (self->kiosk))
    return;
  call (self, "reconcile.status", NULL, status_answered, NULL, NULL);
  if (self->chart_id != NULL)
    wk_reconcile_view_open_chart (self, self->chart_id);
}

static void
chart_activated_cb (GtkListBox *list, GtkListBoxRow *row, WkReconcileView *self)
{
  const char *chart = g_object_get_data (G_OBJECT (row), "wk-chart");

  if (chart == NULL)
    return;
  if (!GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "wk-returned")))
    {
      set_message (self,
                   _ ("No page of this chart has come back yet: find it on the ward, then "
                      "scan it."),
                   TRUE);
      return;
    }
  set_message (self, NULL, FALSE);
  wk_reconcile_view_open_chart (self, chart);
}

/* ---- the chart as printed ---- */

static GtkEntry *
field_new (GtkGrid    *grid,
           int         column,
           int         line,
           const char *name,
           const char *text,
           int         chars,
           const char *accessible)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_widget_set_name (entry, name);
  gtk_editable_set_width_chars (GTK_EDITABLE (entry), chars);
  gtk_editable_set_max_width_chars (GTK_EDITABLE (entry), chars);
  if (text != NULL)
    gtk_editable_set_text (GTK_EDITABLE (entry), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  gtk_grid_attach (grid, entry, column, line, 1, 1);
  return GTK_ENTRY (entry);
}

static void save_row (WkReconcileView *self, Row *row);

static void
row_activate_cb (GtkEntry *entry, gpointer data)
{
  WkReconcileView *self = g_object_get_data (G_OBJECT (entry), "wk-view");

  save_row (self, data);
}

/* "14 0800": the day of the month and the time, in the ward's zone, as the daemon reads
 * a box's due time; and "0800" alone. */
static void
due_words (WkReconcileView *self, const char *iso, char **due, char **time)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_iso8601 (iso, NULL);
  g_autoptr (GDateTime) local = NULL;

  *due = *time = NULL;
  if (utc == NULL)
    return;
  local = g_date_time_to_timezone (utc, wk_kiosk_get_time_zone (self->kiosk));
  *due = g_date_time_format (local, "%d %H%M");
  *time = g_date_time_format (local, "%H%M");
}

static char *
entry_state (JsonObject *entry)
{
  JsonArray *flags = json_object_get_array_member (entry, "flags");
  GString   *text = g_string_new (NULL);

  g_string_append_printf (text, _ ("✓ saved #%" G_GINT64_FORMAT), member_int (entry, "id"));
  for (guint i = 0; flags != NULL && i < json_array_get_length (flags); i++)
    g_string_append_printf (text, "%s%s", i == 0 ? _ (" · flagged: ") : ", ",
                            json_array_get_string_element (flags, i));
  return g_string_free (text, FALSE);
}

static void
add_row (WkReconcileView *self,
         GtkGrid         *grid,
         int              line,
         JsonObject      *order,
         JsonObject      *box,
         JsonObject      *entry)
{
  Row             *row = g_new0 (Row, 1);
  guint            index = self->rows->len;
  g_autofree char *by_name = g_strdup_printf ("reconcile-row-%u-by", index);
  g_autofree char *code_name = g_strdup_printf ("reconcile-row-%u-code", index);
  g_autofree char *time_name = g_strdup_printf ("reconcile-row-%u-time", index);
  g_autofree char *dose_name = g_strdup_printf ("reconcile-row-%u-dose", index);
  g_autofree char *state_name = g_strdup_printf ("reconcile-row-%u-state", index);
  g_autofree char *dose_text = NULL;
  g_autofree char *at_time = NULL;
  g_autofree char *label = NULL;
  g_autofree char *state = NULL;
  const char      *code = NULL;
  GtkWidget       *due_label, *unit_label, *state_label;

  row->order = g_strdup (member_string (order, "order"));
  row->box = box != NULL;
  if (box != NULL)
    {
      due_words (self, member_string (box, "due"), &row->due, &row->due_time);
      label = g_strdup (member_string (box, "due_local"));
    }
  else
    label = g_strdup (entry != NULL ? member_string (entry, "at_local") : _ ("another dose"));
  if (entry != NULL)
    {
      g_autofree char *ignored = NULL;
      JsonNode        *dose = json_object_get_member (entry, "dose");

      row->entry_id = member_int (entry, "id");
      due_words (self, member_string (entry, "at"), &ignored, &at_time);
      code = member_string (entry, "reason_code");
      if (dose != NULL && !JSON_NODE_HOLDS_NULL (dose))
        dose_text = g_strdup_printf ("%g", json_node_get_double (dose));
      state = entry_state (entry);
    }
  if (dose_text == NULL)
    dose_text = g_strdup_printf ("%g", json_object_get_double_member (order, "dose"));

  due_label = label_new (label, NULL);
  gtk_grid_attach (grid, due_label, 0, line, 1, 1);
  row->by = field_new (grid, 1, line, by_name, entry != NULL ? member_string (entry, "by") : NULL,
                       6, _ ("Initials in the box"));
  row->code = field_new (grid, 2, line, code_name, code, 4, _ ("Code for a dose not given"));
  row->time = field_new (grid, 3, line, time_name, at_time != NULL ? at_time : row->due_time, 6,
                         _ ("Time given, as written"));
  row->dose = field_new (grid, 4, line, dose_name, dose_text, 7, _ ("Dose given"));
  unit_label = label_new (member_string (order, "unit"), NULL);
  gtk_grid_attach (grid, unit_label, 5, line, 1, 1);
  state_label = label_new (state != NULL ? state : "", "order-how");
  gtk_widget_set_name (state_label, state_name);
  gtk_widget_set_hexpand (state_label, TRUE);
  gtk_grid_attach (grid, state_label, 6, line, 1, 1);
  row->state = GTK_LABEL (state_label);
  for (GtkEntry **field = (GtkEntry *[]){ row->by, row->code, row->time, row->dose, NULL }; *field;
       field++)
    {
      g_object_set_data (G_OBJECT (*field), "wk-view", self);
      g_signal_connect (*field, "activate", G_CALLBACK (row_activate_cb), row);
    }
  g_ptr_array_add (self->rows, row);
}

static gboolean
focus_idle_cb (gpointer data)
{
  WkReconcileView *self = data;

  self->focus_id = 0;
  if (self->focus_target != NULL)
    gtk_widget_grab_focus (self->focus_target);
  g_clear_weak_pointer (&self->focus_target);
  return G_SOURCE_REMOVE;
}

static void
show_chart (WkReconcileView *self, JsonObject *chart)
{
  GtkWidget       *child;
  GtkWidget       *grid = gtk_grid_new ();
  JsonArray       *orders = json_object_get_array_member (chart, "orders");
  JsonArray       *reasons = json_object_get_array_member (chart, "reasons");
  g_autofree char *patient = patient_words (chart);
  g_autofree char *title
      = g_strdup_printf (_ ("Chart %s · %s"), member_string (chart, "label"), patient);
  g_autoptr (GString) details = g_string_new (NULL);
  JsonArray  *missing = json_object_get_array_member (chart, "missing");
  const char *headings[]
      = { N_ ("Due"), N_ ("Initials"), N_ ("Not given"), N_ ("Time"), N_ ("Dose"), "", "" };
  int line = 1;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chart_box))) != NULL)
    gtk_box_remove (self->chart_box, child);
  g_ptr_array_set_size (self->rows, 0);

  gtk_box_append (self->chart_box, label_new (title, "patient-title"));
  g_string_append_printf (details, _ ("Printed %s, data as of %s · %" G_GINT64_FORMAT " pages"),
                          member_string (chart, "printed_local"),
                          member_string (chart, "snapshot_local"), member_int (chart, "pages"));
  if (json_array_get_length (missing) > 0)
    {
      g_string_append (details, _ (" · NOT BACK: page"));
      for (guint i = 0; i < json_array_get_length (missing); i++)
        g_string_append_printf (details, "%s%" G_GINT64_FORMAT, i == 0 ? " " : ", ",
                                json_array_get_int_element (missing, i));
    }
  g_string_append (details, _ ("\nType the initials and press Enter for a dose given at the "
                               "printed time; a code for a dose not given:"));
  for (guint i = 0; i < json_array_get_length (reasons); i++)
    {
      JsonObject *reason = json_array_get_object_element (reasons, i);

      g_string_append_printf (details, "%s %s %s", i == 0 ? "" : ",",
                              member_string (reason, "code"), member_string (reason, "text"));
    }
  gtk_box_append (self->chart_box, label_new (details->str, "patient-details"));

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_widget_set_name (grid, "reconcile-grid");
  for (int c = 0; c < (int)G_N_ELEMENTS (headings); c++)
    {
      GtkWidget *heading = label_new (*headings[c] != '\0' ? _ (headings[c]) : "", "order-extra");

      gtk_label_set_wrap (GTK_LABEL (heading), FALSE);
      gtk_grid_attach (GTK_GRID (grid), heading, c, 0, 1, 1);
    }
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject      *order = json_array_get_object_element (orders, i);
      JsonArray       *boxes = json_object_get_array_member (order, "boxes");
      JsonArray       *entries = json_object_get_array_member (order, "entries");
      const char      *status = member_string (order, "status");
      const char      *kind = member_string (order, "kind");
      g_autofree char *heading = g_strdup_printf (
          "%s · %s · %s %s%s%s%s%s", member_string (order, "order"), member_string (order, "drug"),
          member_string (order, "dose_text"), member_string (order, "route"),
          member_string (order, "times") != NULL && g_strcmp0 (kind, "regular") == 0 ? " · " : "",
          member_string (order, "times") != NULL && g_strcmp0 (kind, "regular") == 0
              ? member_string (order, "times")
              : "",
          g_strcmp0 (kind, "regular") != 0 ? " · " : "",
          g_strcmp0 (kind, "regular") != 0 ? kind : "");
      guint open = 0;

      if (g_strcmp0 (status, "active") != 0)
        {
          g_autofree char *more = g_strdup_printf (
              "%s · %s", heading,
              g_strcmp0 (status, "held") == 0 ? _ ("printed HELD") : _ ("printed STOPPED"));

          g_free (heading);
          heading = g_steal_pointer (&more);
        }
      gtk_grid_attach (GTK_GRID (grid), label_new (heading, "section-title"), 0, line++, 7, 1);
      for (guint b = 0; b < json_array_get_length (boxes); b++)
        {
          JsonObject *box = json_array_get_object_element (boxes, b);
          JsonNode   *entry = json_object_get_member (box, "entry");

          if (!json_object_get_boolean_member (box, "open"))
            continue;
          add_row (self, GTK_GRID (grid), line++, order, box,
                   JSON_NODE_HOLDS_OBJECT (entry) ? json_node_get_object (entry) : NULL);
          open++;
        }
      /* Doses without a box: those keyed in, and one more to key in. */
      if (open == 0)
        {
          for (guint e = 0; e < json_array_get_length (entries); e++)
            add_row (self, GTK_GRID (grid), line++, order, NULL,
                     json_array_get_object_element (entries, e));
          add_row (self, GTK_GRID (grid), line++, order, NULL, NULL);
        }
    }
  gtk_box_append (self->chart_box, grid);
  if (self->focus_row >= 0 && self->rows->len > 0)
    {
      Row *row = self->rows->pdata[MIN ((guint)self->focus_row, self->rows->len - 1)];

      /* Once the new rows are shown: a widget not yet mapped takes no focus. */
      g_clear_handle_id (&self->focus_id, g_source_remove);
      g_set_weak_pointer (&self->focus_target, GTK_WIDGET (row->by));
      self->focus_id = g_idle_add_full (G_PRIORITY_LOW, focus_idle_cb, self, NULL);
    }
  self->focus_row = -1;
}

static void
chart_answered (WkReconcileView *self, JsonNode *result, const GError *error, gpointer data)
{
  if (error != NULL)
    {
      set_message (self, problem_words (error), TRUE);
      return;
    }
  show_chart (self, json_node_get_object (result));
}

/**
 * wk_reconcile_view_open_chart:
 * @self: a #WkReconcileView
 * @chart_id: a chart with a page back, as printed or without the hyphen
 *
 * Shows the chart as printed, to key in what it says.
 */
void
wk_reconcile_view_open_chart (WkReconcileView *self, const char *chart_id)
{
  JsonObject *params = json_object_new ();
  char       *copy = g_strdup (chart_id); /* @chart_id may be self->chart_id itself */

  g_free (self->chart_id);
  self->chart_id = copy;
  json_object_set_string_member (params, "chart", copy);
  call (self, "reconcile.chart", params, chart_answered, NULL, NULL);
}

/**
 * wk_reconcile_view_get_chart:
 * @self: a #WkReconcileView
 *
 * Returns: (nullable): the chart shown
 */
const char *
wk_reconcile_view_get_chart (WkReconcileView *self)
{
  return self->chart_id;
}

/* ---- keying in ---- */

typedef struct
{
  guint index;
} Saved;

static void
saved_answered (WkReconcileView *self, JsonNode *result, const GError *error, gpointer data)
{
  Saved *saved = data;
  Row   *row = saved->index < self->rows->len ? self->rows->pdata[saved->index] : NULL;

  if (error != NULL)
    {
      if (row != NULL)
        {
          gtk_label_set_text (row->state, problem_words (error));
          gtk_widget_add_css_class (GTK_WIDGET (row->state), "error");
        }
      set_message (self, problem_words (error), TRUE);
      return;
    }
  set_message (self, NULL, FALSE);
  /* Shown again as the daemon has it; the focus goes on to the next row. */
  self->focus_row = saved->index + 1;
  wk_reconcile_view_refresh (self);
}

static gboolean
is_blank (const char *text)
{
  for (; text != NULL && *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

static void
save_row (WkReconcileView *self, Row *row)
{
  JsonObject *params = json_object_new ();
  JsonArray  *list = json_array_new ();
  JsonObject *entry = json_object_new ();
  const char *by = gtk_editable_get_text (GTK_EDITABLE (row->by));
  const char *code = gtk_editable_get_text (GTK_EDITABLE (row->code));
  const char *time = gtk_editable_get_text (GTK_EDITABLE (row->time));
  const char *dose = gtk_editable_get_text (GTK_EDITABLE (row->dose));
  gboolean    given = is_blank (code);
  Saved      *saved = g_new0 (Saved, 1);

  saved->index = g_ptr_array_find (self->rows, row, &saved->index) ? saved->index : 0;
  json_object_set_string_member (entry, "chart", self->chart_id);
  json_object_set_string_member (entry, "order", row->order);
  if (row->due != NULL)
    json_object_set_string_member (entry, "due", row->due);
  json_object_set_boolean_member (entry, "given", given);
  if (!given)
    json_object_set_string_member (entry, "reason", code);
  if (!is_blank (by))
    json_object_set_string_member (entry, "by", by);
  if (!is_blank (time))
    json_object_set_string_member (entry, "at", time);
  if (given && !is_blank (dose))
    {
      char  *end = NULL;
      double value = g_ascii_strtod (dose, &end);

      if (end != dose && *end == '\0' && value > 0)
        json_object_set_double_member (entry, "dose", value);
      else
        {
          gtk_label_set_text (row->state, _ ("The dose is not a number above 0"));
          gtk_widget_add_css_class (GTK_WIDGET (row->state), "error");
          json_object_unref (entry);
          json_array_unref (list);
          json_object_unref (params);
          g_free (saved);
          return;
        }
    }
  if (row->entry_id != 0)
    {
      if (row->box)
        json_object_set_boolean_member (entry, "amend", TRUE);
      else
        json_object_set_int_member (entry, "entry", row->entry_id);
    }
  json_array_add_object_element (list, entry);
  json_object_set_array_member (params, "entries", list);
  json_object_set_string_member (
      params, "who",
      wk_kiosk_get_who (self->kiosk) != NULL ? wk_kiosk_get_who (self->kiosk) : "kiosk");
  gtk_label_set_text (row->state, _ ("saving…"));
  gtk_widget_remove_css_class (GTK_WIDGET (row->state), "error");
  call (self, "reconcile.enter", params, saved_answered, saved, g_free);
}

/* ---- scanning ---- */

static void
scanned_answered (WkReconcileView *self, JsonNode *result, const GError *error, gpointer data)
{
  JsonObject      *scan;
  JsonArray       *missing;
  g_autofree char *patient = NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  if (error != NULL)
    {
      g_autofree char *refused = g_strdup_printf (_ ("Page refused: %s"), problem_words (error));

      set_message (self, refused, TRUE);
      return;
    }
  scan = json_node_get_object (result);
  patient = patient_words (scan);
  missing = json_object_get_array_member (scan, "missing");
  g_string_append_printf (
      text, _ ("Chart %s page %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " is back (%s)."),
      member_string (scan, "label"), member_int (scan, "page"), member_int (scan, "pages"),
      patient);
  if (member_int (scan, "scans") > 1)
    g_string_append_printf (
        text,
        _ (" This page has now been scanned %" G_GINT64_FORMAT " times: check for a second copy."),
        member_int (scan, "scans"));
  if (json_array_get_length (missing) > 0)
    {
      g_string_append (text, _ (" Still missing: page"));
      for (guint i = 0; i < json_array_get_length (missing); i++)
        g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i == 0 ? " " : ", ",
                                json_array_get_int_element (missing, i));
      g_string_append_c (text, '.');
    }
  set_message (self, text->str, member_int (scan, "scans") > 1);
  self->focus_row = 0;
  g_free (self->chart_id);
  self->chart_id = g_strdup (member_string (scan, "chart"));
  wk_reconcile_view_refresh (self);
}

/**
 * wk_reconcile_view_scan:
 * @self: a #WkReconcileView
 * @code: a page's code, as the scanner typed it ("WK:...")
 *
 * Sends the code to the daemon, says what became of the page, and opens its chart.
 */
void
wk_reconcile_view_scan (WkReconcileView *self, const char *code)
{
  JsonObject *params = json_object_new ();

  g_return_if_fail (WK_IS_RECONCILE_VIEW (self));

  json_object_set_string_member (params, "payload", code);
  json_object_set_string_member (
      params, "who",
      wk_kiosk_get_who (self->kiosk) != NULL ? wk_kiosk_get_who (self->kiosk) : "kiosk");
  set_message (self, _ ("Checking the page…"), FALSE);
  call (self, "reconcile.scan", params, scanned_answered, NULL, NULL);
}

static void
scan_activate_cb (GtkEntry *entry, WkReconcileView *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  if (*text == '\0')
    return;
  if (g_str_has_prefix (text, "WK:"))
    wk_reconcile_view_scan (self, text);
  else
    {
      set_message (self, NULL, FALSE);
      self->focus_row = 0;
      wk_reconcile_view_open_chart (self, text);
    }
}

/* Types text the wedge held back into the field that has the focus, as typing would. */
static void
type_into_focus (WkReconcileView *self, const char *text)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  int        position;

  if (text == NULL || *text == '\0' || focus == NULL || !GTK_IS_EDITABLE (focus)
      || !gtk_editable_get_editable (GTK_EDITABLE (focus)))
    return;
  gtk_editable_delete_selection (GTK_EDITABLE (focus));
  position = gtk_editable_get_position (GTK_EDITABLE (focus));
  gtk_editable_insert_text (GTK_EDITABLE (focus), text, -1, &position);
  gtk_editable_set_position (GTK_EDITABLE (focus), position);
}

static gboolean
wedge_timeout_cb (gpointer data)
{
  WkReconcileView *self = data;
  g_autofree char *back = wk_scanner_wedge_timeout (self->wedge, G_MAXINT64);

  self->wedge_timeout_id = 0;
  type_into_focus (self, back);
  return G_SOURCE_REMOVE;
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                WkReconcileView       *self)
{
  gunichar character = gdk_keyval_to_unicode (keyval);
  gboolean enter
      = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;
  gint64 at
      = (gint64)gtk_event_controller_get_current_event_time (GTK_EVENT_CONTROLLER (controller))
        * 1000;
  g_autofree char     *back = NULL;
  g_autofree char     *code = NULL;
  WkScannerWedgeResult result;

  if ((character == 0 || g_unichar_iscntrl (character)) && !enter)
    return GDK_EVENT_PROPAGATE;
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return GDK_EVENT_PROPAGATE;
  result = wk_scanner_wedge_key (self->wedge, enter ? 0 : character, enter, at, &back, &code);
  g_clear_handle_id (&self->wedge_timeout_id, g_source_remove);
  switch (result)
    {
    case WK_SCANNER_WEDGE_HELD:
      /* Gaps are judged by the events' own times; this only gives back a key a person
       * typed last, so it waits long enough for keys a busy screen has not read yet. */
      self->wedge_timeout_id = g_timeout_add (HELD_KEY_TIMEOUT_MS, wedge_timeout_cb, self);
      return GDK_EVENT_STOP;
    case WK_SCANNER_WEDGE_CODE:
      wk_reconcile_view_scan (self, code);
      memset (code, 0, strlen (code));
      return GDK_EVENT_STOP;
    case WK_SCANNER_WEDGE_PASS:
    default:
      type_into_focus (self, back);
      return GDK_EVENT_PROPAGATE;
    }
}

/**
 * wk_reconcile_view_clear:
 * @self: a #WkReconcileView
 *
 * Forgets the chart shown and the list (patient data), as when the kiosk locks.
 */
void
wk_reconcile_view_clear (WkReconcileView *self)
{
  GtkWidget *child;

  g_clear_pointer (&self->chart_id, g_free);
  g_ptr_array_set_size (self->rows, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chart_box))) != NULL)
    gtk_box_remove (self->chart_box, child);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chart_list))) != NULL)
    gtk_list_box_remove (self->chart_list, child);
  set_message (self, NULL, FALSE);
}

static void
locked_cb (WkReconcileView *self)
{
  if (wk_kiosk_is_locked (self->kiosk))
    wk_reconcile_view_clear (self);
}

/**
 * wk_reconcile_view_set_kiosk:
 * @self: a #WkReconcileView
 * @kiosk: the kiosk, whose daemon connection and user the screen uses
 */
void
wk_reconcile_view_set_kiosk (WkReconcileView *self, WkKiosk *kiosk)
{
  g_return_if_fail (WK_IS_RECONCILE_VIEW (self));

  g_set_object (&self->kiosk, kiosk);
  g_signal_connect_object (kiosk, "notify::locked", G_CALLBACK (locked_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
refresh_clicked_cb (GtkButton *button, WkReconcileView *self)
{
  wk_reconcile_view_refresh (self);
}

static void
wk_reconcile_view_dispose (GObject *object)
{
  WkReconcileView *self = WK_RECONCILE_VIEW (object);

  g_clear_handle_id (&self->wedge_timeout_id, g_source_remove);
  g_clear_handle_id (&self->focus_id, g_source_remove);
  g_clear_weak_pointer (&self->focus_target);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_RECONCILE_VIEW);
  g_clear_object (&self->kiosk);
  G_OBJECT_CLASS (wk_reconcile_view_parent_class)->dispose (object);
}

static void
wk_reconcile_view_finalize (GObject *object)
{
  WkReconcileView *self = WK_RECONCILE_VIEW (object);

  wk_scanner_wedge_free (self->wedge);
  g_ptr_array_unref (self->rows);
  g_free (self->chart_id);
  G_OBJECT_CLASS (wk_reconcile_view_parent_class)->finalize (object);
}

static void
wk_reconcile_view_class_init (WkReconcileViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_reconcile_view_dispose;
  object_class->finalize = wk_reconcile_view_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-reconcile-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkReconcileView, refresh_button);
  gtk_widget_class_bind_template_child (widget_class, WkReconcileView, scan_entry);
  gtk_widget_class_bind_template_child (widget_class, WkReconcileView, message_label);
  gtk_widget_class_bind_template_child (widget_class, WkReconcileView, chart_list);
  gtk_widget_class_bind_template_child (widget_class, WkReconcileView, chart_box);
  gtk_widget_class_bind_template_child (widget_class, WkReconcileView, chart_scroller);
}

static void
wk_reconcile_view_init (WkReconcileView *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->wedge = wk_scanner_wedge_new (0);
  self->rows = g_ptr_array_new_with_free_func (row_free);
  self->focus_row = -1;
  /* The scanner is heard before any field sees its keys. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (self->scan_entry, "activate", G_CALLBACK (scan_activate_cb), self);
  g_signal_connect (self->chart_list, "row-activated", G_CALLBACK (chart_activated_cb), self);
  g_signal_connect (self->refresh_button, "clicked", G_CALLBACK (refresh_clicked_cb), self);
}
