/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-view.c — ward actions: print the ward or the census, printers, the queue.
 *
 * The printer list offers the ward's printers in failover order (the default: a job
 * goes to the next printer when one fails) or one printer chosen by hand, each with its
 * state in words. The queue lists every document with its state; a failed one has a
 * Retry button. A failed print is never silently lost (DESIGN.md safety rule 4). */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-print-view.h"

#include "wk-chart-id.h"
#include "wk-kiosk-format.h"

#include <glib/gi18n.h>

struct _WkPrintView
{
  GtkWidget parent_instance;

  WkKiosk *kiosk;
  gboolean updating; /* rows are being rebuilt: selection changes are not choices */

  GtkLabel   *message_label;
  GtkWidget  *ward_button;
  GtkWidget  *census_button;
  GtkLabel   *ward_label;
  GtkListBox *printer_list;
  GtkListBox *job_list;
  GtkWidget  *empty_label;
};

G_DEFINE_FINAL_TYPE (WkPrintView, wk_print_view, GTK_TYPE_WIDGET)

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
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

static GtkWidget *
printer_row_new (const char *name, const char *title, const char *state, gboolean problem)
{
  GtkWidget       *row = gtk_list_box_row_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *widget_name = g_strdup_printf ("printer-%s", name != NULL ? name : "auto");
  g_autofree char *accessible = g_strdup_printf ("%s: %s", title, state);

  gtk_widget_add_css_class (box, "printer-row");
  gtk_box_append (GTK_BOX (box), label_new (title, "order-drug"));
  gtk_box_append (GTK_BOX (box), label_new (state, problem ? "state-problem" : "state-ok"));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_name (row, widget_name);
  g_object_set_data_full (G_OBJECT (row), "wk-printer", g_strdup (name), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  return row;
}

static void
update_printers (WkPrintView *self)
{
  WkKioskStatus *status = wk_kiosk_get_status (self->kiosk);
  const char    *chosen = wk_kiosk_get_printer (self->kiosk);
  GtkWidget     *row;
  GtkWidget     *selected = NULL;

  self->updating = TRUE;
  clear_list (self->printer_list);
  row = printer_row_new (NULL, _ ("Ward printers, in order"),
                         _ ("If one fails, the next one prints (recommended)"), FALSE);
  gtk_list_box_append (self->printer_list, row);
  selected = row;
  for (guint i = 0; status->printers != NULL && i < status->printers->len; i++)
    {
      WkKioskPrinter  *printer = status->printers->pdata[i];
      g_autofree char *title
          = printer->description != NULL
                ? g_strdup_printf ("%s — %s", printer->name, printer->description)
                : g_strdup (printer->name);
      const char *state = printer->summary != NULL ? printer->summary
                          : status->daemon         ? _ ("State not known yet")
                                                   : _ ("State shown when printing");

      row = printer_row_new (printer->name, title, state, printer->problem);
      gtk_list_box_append (self->printer_list, row);
      if (g_strcmp0 (chosen, printer->name) == 0)
        selected = row;
    }
  gtk_list_box_select_row (self->printer_list, GTK_LIST_BOX_ROW (selected));
  self->updating = FALSE;
}

static const char *
state_words (const WkKioskJob *job)
{
  if (g_strcmp0 (job->state, "completed") == 0)
    return _ ("Printed");
  if (g_strcmp0 (job->state, "failed") == 0)
    return _ ("NOT PRINTED");
  if (g_strcmp0 (job->state, "processing") == 0)
    return _ ("Printing");
  if (g_strcmp0 (job->state, "accepted") == 0)
    return _ ("With the printer");
  if (g_strcmp0 (job->state, "submitted") == 0)
    return _ ("Sending");
  return _ ("Waiting");
}

static char *
describe_document (WkPrintView *self, const WkKioskJob *job)
{
  WkKioskSnapshot     *snapshot = wk_kiosk_get_snapshot (self->kiosk);
  const WkCensusEntry *entry
      = snapshot != NULL ? wk_kiosk_snapshot_find_entry (snapshot, job->patient_id) : NULL;
  g_autofree char *id = wk_chart_id_format (job->chart);

  if (g_strcmp0 (job->kind, "census") == 0)
    return g_strdup_printf (_ ("Ward census (%s)"), id != NULL ? id : job->chart);
  if (entry != NULL)
    {
      g_autofree char *place = wk_kiosk_format_location (entry->bay, entry->bed);
      g_autofree char *name = wk_census_entry_dup_name (entry);

      return g_strdup_printf (_ ("Chart %s — %s — %s"), id != NULL ? id : job->chart, place, name);
    }
  return g_strdup_printf (_ ("Chart %s — patient no longer on the ward"),
                          id != NULL ? id : job->chart);
}

static void
update_jobs (WkPrintView *self)
{
  GPtrArray *jobs = wk_kiosk_get_jobs (self->kiosk);
  gint64     now = g_get_real_time () / G_USEC_PER_SEC;

  clear_list (self->job_list);
  gtk_widget_set_visible (self->empty_label, jobs->len == 0);
  for (guint i = 0; i < jobs->len && i < 200; i++)
    {
      const WkKioskJob *job = jobs->pdata[i];
      GtkWidget        *row = gtk_list_box_row_new ();
      GtkWidget        *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget        *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 1);
      g_autofree char  *what = describe_document (self, job);
      g_autofree char  *when
          = wk_kiosk_format_clock (wk_kiosk_get_time_zone (self->kiosk), job->updated_at, now);
      g_autofree char *pages
          = job->pages > 0 ? g_strdup_printf (
                g_dngettext (NULL, " · %d page", " · %d pages", job->pages), (int)job->pages)
                           : g_strdup ("");
      g_autofree char *state = g_strdup_printf (
          "%s%s%s · %s%s · %s", state_words (job), job->reason != NULL ? ": " : "",
          job->reason != NULL ? job->reason : "",
          job->printer != NULL ? job->printer : _ ("no printer yet"), pages, when);
      g_autofree char *name = g_strdup_printf ("job-%s", job->chart);
      gboolean         failed = g_strcmp0 (job->state, "failed") == 0;
      gboolean         done = g_strcmp0 (job->state, "completed") == 0;

      gtk_widget_set_hexpand (text, TRUE);
      gtk_box_append (GTK_BOX (text), label_new (what, "order-drug"));
      gtk_box_append (GTK_BOX (text), label_new (state, failed ? "state-problem"
                                                        : done ? "state-ok"
                                                               : "state-busy"));
      gtk_box_append (GTK_BOX (box), text);
      if (failed)
        {
          GtkWidget       *retry = gtk_button_new_with_label (_ ("Retry"));
          g_autofree char *retry_name = g_strdup_printf ("job-retry-%s", job->chart);

          gtk_widget_set_name (retry, retry_name);
          gtk_widget_set_valign (retry, GTK_ALIGN_CENTER);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (retry), "kiosk.retry");
          gtk_actionable_set_action_target (GTK_ACTIONABLE (retry), "s", job->chart);
          gtk_box_append (GTK_BOX (box), retry);
        }
      gtk_widget_add_css_class (box, "job-row");
      gtk_widget_set_name (row, name);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_list_box_append (self->job_list, row);
    }
}

static void
update_ward (WkPrintView *self)
{
  WkKioskSnapshot *snapshot = wk_kiosk_get_snapshot (self->kiosk);
  guint            charts = 0;
  g_autofree char *text = NULL;

  if (snapshot != NULL)
    {
      GPtrArray *census = wk_kiosk_snapshot_get_census (snapshot);

      for (guint i = 0; i < census->len; i++)
        if (((WkCensusEntry *)census->pdata[i])->patient_id != 0)
          charts++;
      text = g_strdup_printf (
          g_dngettext (NULL, "The census, then the drug chart of the %u patient.",
                       "The census, then the drug charts of all %u patients, in bed order.",
                       charts),
          charts);
    }
  else
    text = g_strdup (_ ("There is no data to print yet."));
  gtk_label_set_text (self->ward_label, text);
}

static void
row_selected_cb (GtkListBox *list, GtkListBoxRow *row, WkPrintView *self)
{
  if (self->updating || row == NULL || self->kiosk == NULL)
    return;
  wk_kiosk_set_printer (self->kiosk, g_object_get_data (G_OBJECT (row), "wk-printer"));
}

/**
 * wk_print_view_set_kiosk:
 * @self: the view
 * @kiosk: the kiosk whose printers and queue it shows
 */
void
wk_print_view_set_kiosk (WkPrintView *self, WkKiosk *kiosk)
{
  g_return_if_fail (WK_IS_PRINT_VIEW (self));
  g_return_if_fail (self->kiosk == NULL);

  self->kiosk = g_object_ref (kiosk);
  g_signal_connect_object (kiosk, "notify::status", G_CALLBACK (update_printers), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "notify::printer", G_CALLBACK (update_printers), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "jobs-changed", G_CALLBACK (update_jobs), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "notify::snapshot", G_CALLBACK (update_ward), self,
                           G_CONNECT_SWAPPED);
  update_printers (self);
  update_jobs (self);
  update_ward (self);
}

/**
 * wk_print_view_set_message:
 * @self: the view
 * @message: (nullable): what happened to the last request; %NULL hides it
 * @problem: whether it went wrong
 */
void
wk_print_view_set_message (WkPrintView *self, const char *message, gboolean problem)
{
  g_return_if_fail (WK_IS_PRINT_VIEW (self));

  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (problem)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "problem");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "problem");
}

/**
 * wk_print_view_set_busy:
 * @self: the view
 * @busy: whether a print request is under way
 */
void
wk_print_view_set_busy (WkPrintView *self, gboolean busy)
{
  g_return_if_fail (WK_IS_PRINT_VIEW (self));

  gtk_widget_set_sensitive (self->ward_button, !busy);
  gtk_widget_set_sensitive (self->census_button, !busy);
}

static void
wk_print_view_dispose (GObject *object)
{
  WkPrintView *self = WK_PRINT_VIEW (object);

  g_clear_object (&self->kiosk);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_PRINT_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_print_view_parent_class)->dispose (object);
}

static void
wk_print_view_class_init (WkPrintViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_print_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-print-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, message_label);
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, ward_button);
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, census_button);
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, ward_label);
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, printer_list);
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, job_list);
  gtk_widget_class_bind_template_child (widget_class, WkPrintView, empty_label);
}

static void
wk_print_view_init (WkPrintView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->printer_list, "row-selected", G_CALLBACK (row_selected_cb), self);
}
