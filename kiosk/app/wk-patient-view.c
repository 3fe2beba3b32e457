/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-patient-view.c — one patient: allergies first, then every medicine on the chart.
 *
 * The same facts the paper chart carries, in the same order: who and where, the
 * allergies in a heavy box ("no known drug allergies" and "not recorded" read
 * differently), then regular, as-required and once-only medicines, those held (DO NOT
 * GIVE), and those stopped recently (struck through). Each medicine shows dose, route,
 * timing, instructions and when it was last given; which orders appear, and where,
 * comes from wk_chart_section_of(), as on paper. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-patient-view.h"

#include "wk-kiosk-format.h"
#include "wk-nhs-number.h"

#include <glib/gi18n.h>

struct _WkPatientView
{
  GtkWidget parent_instance;

  gint64 patient_id;

  GtkLabel  *title_label;
  GtkLabel  *details_label;
  GtkWidget *allergy_box;
  GtkLabel  *allergy_title;
  GtkLabel  *allergy_label;
  GtkLabel  *message_label;
  GtkWidget *scroller;
  GtkBox    *sections_box;
  GtkLabel  *data_label;
  GtkWidget *print_button;
  GtkWidget *preview_button;
};

G_DEFINE_FINAL_TYPE (WkPatientView, wk_patient_view, GTK_TYPE_WIDGET)

/* What the screen groups orders by: the chart's sections, with held orders apart. */
typedef enum
{
  GROUP_REGULAR,
  GROUP_PRN,
  GROUP_ONCE,
  GROUP_HELD,
  GROUP_STOPPED,
  N_GROUPS,
} Group;

static Group
group_of (const WkChartEntry *entry)
{
  if (entry->section == WK_CHART_SECTION_STOPPED)
    return GROUP_STOPPED;
  if (entry->order->status == WK_ORDER_HELD)
    return GROUP_HELD;
  return entry->section == WK_CHART_SECTION_PRN    ? GROUP_PRN
         : entry->section == WK_CHART_SECTION_ONCE ? GROUP_ONCE
                                                   : GROUP_REGULAR;
}

static const char *
group_title (Group group)
{
  switch (group)
    {
    case GROUP_REGULAR:
      return _ ("REGULAR MEDICINES");
    case GROUP_PRN:
      return _ ("AS REQUIRED (PRN)");
    case GROUP_ONCE:
      return _ ("ONCE ONLY");
    case GROUP_HELD:
      return _ ("HELD — DO NOT GIVE");
    case GROUP_STOPPED:
    default:
      return _ ("STOPPED RECENTLY — DO NOT GIVE");
    }
}

static GtkWidget *
add_label (GtkBox *box, const char *text, const char *css_class, gboolean markup)
{
  GtkWidget *label = gtk_label_new (NULL);

  if (markup)
    gtk_label_set_markup (GTK_LABEL (label), text);
  else
    gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, css_class);
  gtk_box_append (box, label);
  return label;
}

static char *
format_times (const char *admin_times)
{
  g_auto (GStrv) parts = g_strsplit (admin_times != NULL ? admin_times : "", ",", -1);

  return g_strjoinv (" ", parts);
}

static char *
describe_how (const WkChartEntry *entry, GTimeZone *tz, gint64 now)
{
  const WkOrder   *order = entry->order;
  g_autofree char *dose = wk_chart_format_dose (order);
  g_autoptr (GString) how = g_string_new (NULL);

  g_string_append_printf (how, "%s · %s", dose, order->route);
  switch (order->kind)
    {
    case WK_ORDER_REGULAR:
      {
        g_autofree char *times = format_times (order->admin_times);

        if (order->frequency != NULL)
          g_string_append_printf (how, " · %s", order->frequency);
        if (*times != '\0')
          g_string_append_printf (how, _ (" · due %s"), times);
        break;
      }
    case WK_ORDER_PRN:
      g_string_append (how, _ (" · as required"));
      g_string_append_printf (how, _ (" · for %s"),
                              order->prn_indication != NULL
                                  ? order->prn_indication
                                  : _ ("(not stated — ask the prescriber)"));
      if (order->min_interval_min > 0)
        {
          g_autofree char *interval = wk_chart_format_interval (order->min_interval_min);

          g_string_append_printf (how, _ (" · at least %s between doses"), interval);
        }
      if (order->prn_max_24h > 0)
        {
          g_autofree char *max = wk_chart_format_number (order->prn_max_24h);

          g_string_append_printf (how, _ (" · at most %s %s in 24 h"), max, order->dose_unit);
        }
      else
        g_string_append (how, _ (" · 24-hour maximum not stated"));
      break;
    case WK_ORDER_ONCE:
      {
        g_autofree char *due = wk_kiosk_format_clock (tz, order->start_at, now);

        g_string_append_printf (how, _ (" · once only, due %s"), due);
        break;
      }
    }
  return g_string_free (g_steal_pointer (&how), FALSE);
}

static char *
describe_extra (const WkChartEntry *entry, GTimeZone *tz, gint64 now)
{
  const WkOrder *order = entry->order;
  g_autoptr (GString) extra = g_string_new (NULL);
  g_autofree char *start = wk_kiosk_format_clock (tz, order->start_at, now);

  if (order->instructions != NULL && *order->instructions != '\0')
    g_string_append_printf (extra, _ ("Instructions: %s\n"), order->instructions);
  g_string_append_printf (extra, _ ("Started %s"), start);
  if (order->stop_at > 0)
    {
      g_autofree char *stop = wk_kiosk_format_clock (tz, order->stop_at, now);

      g_string_append_printf (extra, _ (" · until %s"), stop);
    }
  g_string_append_printf (extra, _ (" · prescriber %s · order %s v%d"),
                          order->prescriber != NULL ? order->prescriber : _ ("not recorded"),
                          order->placer_id, order->version);
  return g_string_free (g_steal_pointer (&extra), FALSE);
}

static char *
describe_last_given (const WkChartEntry *entry, GTimeZone *tz, gint64 now)
{
  const WkAdministration *last = entry->last_given;
  g_autofree char        *at = NULL;
  g_autofree char        *ago = NULL;
  g_autofree char        *dose = NULL;

  if (last == NULL)
    return g_strdup (_ ("Last given: none on record"));
  at = wk_kiosk_format_clock (tz, last->at, now);
  ago = wk_kiosk_format_ago (now - last->at);
  dose = wk_chart_format_number (last->dose);
  return g_strdup_printf (_ ("Last given %s, %s (%s %s)"), at, ago, dose,
                          last->dose_unit != NULL ? last->dose_unit : entry->order->dose_unit);
}

static void
add_order_row (
    WkPatientView *self, const WkChartEntry *entry, Group group, GTimeZone *tz, gint64 now)
{
  GtkWidget       *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget       *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 1);
  g_autofree char *how = describe_how (entry, tz, now);
  g_autofree char *extra = describe_extra (entry, tz, now);
  g_autofree char *drug = g_markup_escape_text (entry->order->drug, -1);
  g_autofree char *name = g_strdup_printf ("order-%s", entry->order->placer_id);
  GtkWidget       *label;

  gtk_widget_add_css_class (row, "order-row");
  gtk_widget_set_name (row, name);
  gtk_widget_set_hexpand (text, TRUE);
  if (group == GROUP_STOPPED)
    {
      g_autofree char *struck = g_strdup_printf ("<s>%s</s>", drug);

      gtk_widget_add_css_class (row, "stopped");
      add_label (GTK_BOX (text), struck, "order-drug", TRUE);
    }
  else
    add_label (GTK_BOX (text), drug, "order-drug", TRUE);
  add_label (GTK_BOX (text), how, "order-how", FALSE);
  add_label (GTK_BOX (text), extra, "order-extra", FALSE);
  if (group != GROUP_STOPPED)
    {
      g_autofree char *last = describe_last_given (entry, tz, now);

      add_label (GTK_BOX (text), last, "order-last", FALSE);
    }
  gtk_box_append (GTK_BOX (row), text);

  if (group == GROUP_HELD || group == GROUP_STOPPED)
    {
      gint64 at = entry->order->status == WK_ORDER_DISCONTINUED || entry->order->stop_at == 0
                      ? entry->order->status_at
                      : entry->order->stop_at;
      g_autofree char *when = at > 0 ? wk_kiosk_format_clock (tz, at, now) : NULL;
      g_autofree char *badge = group == GROUP_HELD
                                   ? (when != NULL ? g_strdup_printf (_ ("HELD since %s"), when)
                                                   : g_strdup (_ ("HELD")))
                                   : (when != NULL ? g_strdup_printf (_ ("STOPPED %s"), when)
                                                   : g_strdup (_ ("STOPPED")));

      label = gtk_label_new (badge);
      gtk_widget_add_css_class (label, "order-badge");
      gtk_widget_set_valign (label, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (row), label);
    }
  gtk_box_append (self->sections_box, row);
}

static void
show_allergies (WkPatientView *self, const WkPatientRecord *record)
{
  g_autoptr (GString) text = g_string_new (NULL);
  WkAllergyStatus status = record->patient->allergy_status;

  gtk_widget_remove_css_class (self->allergy_box, "none-known");
  gtk_widget_remove_css_class (self->allergy_box, "not-recorded");
  if (status == WK_ALLERGY_STATUS_NONE_KNOWN)
    {
      gtk_widget_add_css_class (self->allergy_box, "none-known");
      g_string_append (text, _ ("NO KNOWN DRUG ALLERGIES (recorded in the EPR)"));
    }
  else if (status == WK_ALLERGY_STATUS_NOT_RECORDED || record->allergies->len == 0)
    {
      gtk_widget_add_css_class (self->allergy_box, "not-recorded");
      g_string_append (text, _ ("ALLERGIES NOT RECORDED — ASK THE PATIENT before giving any "
                                "medicine"));
    }
  else
    for (guint i = 0; i < record->allergies->len; i++)
      {
        const WkAllergy *allergy = record->allergies->pdata[i];
        g_autofree char *substance = g_utf8_strup (allergy->substance, -1);

        if (i > 0)
          g_string_append (text, ";  ");
        g_string_append (text, substance);
        if (allergy->reaction != NULL)
          g_string_append_printf (text, " — %s", allergy->reaction);
        if (allergy->severity != WK_SEVERITY_UNKNOWN)
          g_string_append_printf (text, " (%s)", wk_severity_to_string (allergy->severity));
      }
  gtk_label_set_text (self->allergy_label, text->str);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->allergy_box), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  text->str, -1);
}

static char *
describe_patient (const WkPatientRecord *record, const WkCensusEntry *entry)
{
  const WkPatient *patient = record->patient;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *place = wk_kiosk_format_location (record->bed != NULL ? record->bed->bay : NULL,
                                                     record->bed != NULL ? record->bed->bed : NULL);

  if (patient->nhs_number != NULL)
    {
      g_autofree char *nhs = wk_nhs_number_format (patient->nhs_number);

      g_string_append_printf (text, _ ("NHS %s"), nhs);
    }
  else
    g_string_append_printf (text, _ ("Hospital no. %s"), patient->hospital_number);
  if (patient->birth_date != NULL)
    {
      g_autofree char *born = wk_kiosk_format_birth_date (patient->birth_date);

      g_string_append_printf (text, _ (" · born %s"), born != NULL ? born : patient->birth_date);
    }
  if (entry != NULL && entry->age >= 0)
    g_string_append_printf (text, _ (" (%d y)"), entry->age);
  g_string_append_printf (text, " · %s", wk_sex_to_string (patient->sex));
  g_string_append_printf (text, " · %s", place);
  if (patient->weight_kg > 0)
    {
      g_autofree char *kg = wk_chart_format_number (patient->weight_kg);

      g_string_append_printf (text, _ (" · %s kg"), kg);
    }
  if (patient->consultant != NULL)
    g_string_append_printf (text, _ (" · consultant %s"), patient->consultant);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * wk_patient_view_show:
 * @self: the view
 * @snapshot: the snapshot shown
 * @patient_id: the patient
 * @tz: the ward's time zone
 *
 * Shows a patient's record from @snapshot.
 *
 * Returns: whether the patient is on the census of @snapshot (else the view is
 *   unchanged)
 */
gboolean
wk_patient_view_show (WkPatientView   *self,
                      WkKioskSnapshot *snapshot,
                      gint64           patient_id,
                      GTimeZone       *tz)
{
  const WkPatientRecord *record;
  const WkCensusEntry   *entry;
  GtkWidget             *child;
  gint64                 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char       *title = NULL;
  g_autofree char       *details = NULL;
  g_autofree char       *data_at = NULL;
  g_autofree char       *data_text = NULL;
  gboolean               keep_scroll;
  double                 scroll = 0;
  GtkAdjustment         *adjustment;

  g_return_val_if_fail (WK_IS_PATIENT_VIEW (self), FALSE);

  record = wk_kiosk_snapshot_get_patient (snapshot, patient_id);
  entry = wk_kiosk_snapshot_find_entry (snapshot, patient_id);
  if (record == NULL || entry == NULL)
    return FALSE;

  /* A newer snapshot of the same patient keeps the reader's place. */
  keep_scroll = patient_id == self->patient_id;
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  if (keep_scroll)
    scroll = gtk_adjustment_get_value (adjustment);
  else
    wk_patient_view_set_message (self, NULL, FALSE);
  self->patient_id = patient_id;

  title = wk_census_entry_dup_name (entry);
  gtk_label_set_text (self->title_label, title);
  details = describe_patient (record, entry);
  gtk_label_set_text (self->details_label, details);
  show_allergies (self, record);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sections_box))) != NULL)
    gtk_box_remove (self->sections_box, child);
  for (Group group = 0; group < N_GROUPS; group++)
    {
      guint      shown = 0;
      GtkWidget *heading = NULL;

      for (guint i = 0; i < record->entries->len; i++)
        {
          const WkChartEntry *chart_entry = record->entries->pdata[i];

          if (group_of (chart_entry) != group)
            continue;
          if (shown++ == 0)
            {
              heading = add_label (self->sections_box, group_title (group), "section-title", FALSE);
              if (group == GROUP_HELD)
                gtk_widget_add_css_class (heading, "held");
              if (group == GROUP_STOPPED)
                gtk_widget_add_css_class (heading, "stopped");
            }
          add_order_row (self, chart_entry, group, tz, now);
        }
      if (shown == 0 && group <= GROUP_ONCE)
        {
          g_autofree char *none = g_strdup_printf (_ ("%s: none"), group_title (group));

          heading = add_label (self->sections_box, none, "section-title", FALSE);
        }
    }

  data_at = wk_kiosk_format_clock (tz, wk_kiosk_snapshot_get_created_at (snapshot), now);
  data_text
      = g_strdup_printf (_ ("Data as of %s (snapshot %" G_GUINT64_FORMAT "). Doses given since "
                            "then are not shown: check the paper chart."),
                         data_at, wk_kiosk_snapshot_get_seq (snapshot));
  gtk_label_set_text (self->data_label, data_text);
  if (keep_scroll)
    gtk_adjustment_set_value (adjustment, scroll);
  else
    gtk_adjustment_set_value (adjustment, 0);
  return TRUE;
}

/**
 * wk_patient_view_get_patient_id:
 * @self: the view
 *
 * Returns: the patient shown, 0 for none
 */
gint64
wk_patient_view_get_patient_id (WkPatientView *self)
{
  g_return_val_if_fail (WK_IS_PATIENT_VIEW (self), 0);
  return self->patient_id;
}

/**
 * wk_patient_view_set_message:
 * @self: the view
 * @message: (nullable): what happened to a print or preview; %NULL hides the message
 * @problem: whether it went wrong
 */
void
wk_patient_view_set_message (WkPatientView *self, const char *message, gboolean problem)
{
  g_return_if_fail (WK_IS_PATIENT_VIEW (self));

  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (problem)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "problem");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "problem");
}

/**
 * wk_patient_view_set_busy:
 * @self: the view
 * @busy: whether a print or preview is under way (its buttons wait)
 */
void
wk_patient_view_set_busy (WkPatientView *self, gboolean busy)
{
  g_return_if_fail (WK_IS_PATIENT_VIEW (self));

  gtk_widget_set_sensitive (self->print_button, !busy);
  gtk_widget_set_sensitive (self->preview_button, !busy);
}

static void
wk_patient_view_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), WK_TYPE_PATIENT_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_patient_view_parent_class)->dispose (object);
}

static void
wk_patient_view_class_init (WkPatientViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_patient_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-patient-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, title_label);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, details_label);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, allergy_box);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, allergy_title);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, allergy_label);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, message_label);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, scroller);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, sections_box);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, data_label);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, print_button);
  gtk_widget_class_bind_template_child (widget_class, WkPatientView, preview_button);
}

static void
wk_patient_view_init (WkPatientView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
