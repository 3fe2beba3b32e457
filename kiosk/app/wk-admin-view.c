/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-admin-view.c — declare or end downtime, start or stop a drill, with the admin PIN.
 *
 * Only what makes sense now is offered: a downtime can be declared unless the ward is
 * already on paper, a declared downtime ended, a drill started while the ward is
 * online and stopped while one runs. The daemon decides in the end (it refuses a drill
 * during a real downtime, for one) and the view shows its answer in words. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-admin-view.h"

#include "wk-kiosk-format.h"
#include "wk-pin-pad.h"

#include <glib/gi18n.h>

struct _WkAdminView
{
  GtkWidget parent_instance;

  WkKiosk      *kiosk;
  GCancellable *cancellable;
  gboolean      busy;

  GtkWidget *declare_button;
  GtkWidget *end_button;
  GtkWidget *drill_button;
  GtkWidget *stop_button;
  GtkWidget *scenario_dropdown;
  GtkWidget *reason_entry;
  GtkWidget *who_entry;
  GtkLabel  *message_label;
  GtkLabel  *summary_label;
  WkPinPad  *pad;
};

G_DEFINE_FINAL_TYPE (WkAdminView, wk_admin_view, GTK_TYPE_WIDGET)

static const char *const scenarios[] = { "outage", "planned", "printer-failure" };

static void
set_message (WkAdminView *self, const char *message)
{
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
}

static GtkWidget *
chosen_button (WkAdminView *self)
{
  GtkWidget *buttons[]
      = { self->declare_button, self->end_button, self->drill_button, self->stop_button };

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (buttons[i])))
      return buttons[i];
  return NULL;
}

/* Says in words what OK will do: nobody declares a real downtime meaning a drill. */
static void
update_summary (WkAdminView *self)
{
  GtkWidget       *chosen = chosen_button (self);
  g_autofree char *text = NULL;

  if (chosen == NULL || !gtk_widget_get_sensitive (chosen))
    text = g_strdup (_ ("Choose what to do."));
  else if (chosen == self->drill_button)
    text = g_strdup_printf (
        _ ("OK will START A DRILL (%s). Nothing is declared for real."),
        gtk_string_object_get_string (GTK_STRING_OBJECT (
            gtk_drop_down_get_selected_item (GTK_DROP_DOWN (self->scenario_dropdown)))));
  else
    text = g_strdup_printf (_ ("OK will: %s"), gtk_button_get_label (GTK_BUTTON (chosen)));
  gtk_label_set_text (self->summary_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pad),
                            chosen != NULL && gtk_widget_get_sensitive (chosen));
}

/* Offers what the ward's mode allows. The choice is made once when the screen opens
 * (@pick); a status change later only takes away a choice that no longer makes sense,
 * never swaps the one staff made for another. */
static void
update_choices (WkAdminView *self, gboolean pick)
{
  WkKioskStatus *status = wk_kiosk_get_status (self->kiosk);
  gboolean       online
      = status->daemon
        && (status->mode == WK_KIOSK_MODE_ONLINE || status->mode == WK_KIOSK_MODE_SUSPECT);
  gboolean declared = status->daemon && status->mode == WK_KIOSK_MODE_DOWNTIME
                      && g_strcmp0 (status->episode_kind, "manual") == 0;
  gboolean   drill = status->daemon && status->mode == WK_KIOSK_MODE_DRILL;
  GtkWidget *chosen;

  gtk_widget_set_sensitive (self->declare_button,
                            status->daemon && status->mode != WK_KIOSK_MODE_DOWNTIME && !drill);
  gtk_widget_set_sensitive (self->end_button, declared);
  gtk_widget_set_sensitive (self->drill_button, online && status->mode == WK_KIOSK_MODE_ONLINE);
  gtk_widget_set_sensitive (self->scenario_dropdown, online);
  gtk_widget_set_sensitive (self->stop_button, drill);
  chosen = chosen_button (self);
  if (pick || (chosen != NULL && !gtk_widget_get_sensitive (chosen)))
    {
      GtkWidget *buttons[]
          = { self->declare_button, self->end_button, self->drill_button, self->stop_button };

      for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
        gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (buttons[i]), FALSE);
      if (drill)
        gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->stop_button), TRUE);
      else if (declared)
        gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->end_button), TRUE);
    }
  if (!status->daemon)
    set_message (self, _ ("The wardkeep service is not running: downtime and drills are run by "
                          "it. Call IT."));
  update_summary (self);
}

static void
status_changed_cb (WkAdminView *self)
{
  update_choices (self, FALSE);
}

static const char *
chosen_method (WkAdminView *self)
{
  GtkWidget *chosen = chosen_button (self);

  if (chosen == self->declare_button)
    return "downtime.declare";
  if (chosen == self->end_button)
    return "downtime.end";
  if (chosen == self->drill_button)
    return "drill.start";
  if (chosen == self->stop_button)
    return "drill.stop";
  return NULL;
}

static void
done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WkAdminView *self = user_data;
  g_autoptr (GError) error = NULL;
  WkPinOutcome     outcome;
  g_autofree char *answer = wk_kiosk_admin_finish (WK_KIOSK (source), result, &outcome, &error);
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pad), TRUE);
  wk_pin_pad_clear (self->pad);
  if (answer != NULL)
    {
      set_message (self, answer);
      gtk_editable_set_text (GTK_EDITABLE (self->reason_entry), "");
      update_choices (self, TRUE);
      set_message (self, answer);
      return;
    }
  if (error != NULL)
    {
      set_message (self, error->message);
      return;
    }
  switch (outcome.result)
    {
    case WK_PIN_RESULT_WRONG:
      message = g_strdup_printf (
          g_dngettext (NULL, "Wrong admin PIN. %u more try before it is blocked.",
                       "Wrong admin PIN. %u more tries before it is blocked.",
                       outcome.attempts_left),
          outcome.attempts_left);
      break;
    case WK_PIN_RESULT_LOCKED_OUT:
      {
        gint64           now = g_get_real_time () / G_USEC_PER_SEC;
        g_autofree char *at = wk_kiosk_format_clock (wk_kiosk_get_time_zone (self->kiosk),
                                                     outcome.locked_until, now);

        message = g_strdup_printf (_ ("Too many wrong admin PINs: blocked until %s."), at);
        break;
      }
    case WK_PIN_RESULT_NOT_SET:
      message = g_strdup (_ ("No admin PIN is set on this kiosk ([kiosk] admin-pin). Ask IT."));
      break;
    case WK_PIN_RESULT_OK:
      break;
    }
  set_message (self, message);
}

static void
pad_activate_cb (WkPinPad *pad, WkAdminView *self)
{
  const char *method = chosen_method (self);
  guint       scenario = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->scenario_dropdown));

  if (self->busy || self->kiosk == NULL)
    return;
  if (method == NULL)
    {
      set_message (self, _ ("Choose what to do first."));
      return;
    }
  self->busy = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pad), FALSE);
  set_message (self, _ ("Checking…"));
  wk_kiosk_admin_async (self->kiosk, method, wk_pin_pad_get_pin (pad),
                        gtk_editable_get_text (GTK_EDITABLE (self->who_entry)),
                        gtk_editable_get_text (GTK_EDITABLE (self->reason_entry)),
                        scenarios[MIN (scenario, G_N_ELEMENTS (scenarios) - 1)], self->cancellable,
                        done_cb, self);
}

/**
 * wk_admin_view_set_kiosk:
 * @self: the view
 * @kiosk: the kiosk
 */
void
wk_admin_view_set_kiosk (WkAdminView *self, WkKiosk *kiosk)
{
  g_return_if_fail (WK_IS_ADMIN_VIEW (self));
  g_return_if_fail (self->kiosk == NULL);

  self->kiosk = g_object_ref (kiosk);
  g_signal_connect_object (kiosk, "notify::status", G_CALLBACK (status_changed_cb), self,
                           G_CONNECT_SWAPPED);
  update_choices (self, TRUE);
}

/**
 * wk_admin_view_reset:
 * @self: the view
 *
 * Clears the form, fills in who unlocked the kiosk, offers what the mode allows.
 */
void
wk_admin_view_reset (WkAdminView *self)
{
  const char *who;

  g_return_if_fail (WK_IS_ADMIN_VIEW (self));

  wk_pin_pad_clear (self->pad);
  gtk_editable_set_text (GTK_EDITABLE (self->reason_entry), "");
  who = self->kiosk != NULL ? wk_kiosk_get_who (self->kiosk) : NULL;
  gtk_editable_set_text (GTK_EDITABLE (self->who_entry), who != NULL ? who : "");
  set_message (self, NULL);
  if (self->kiosk != NULL)
    update_choices (self, TRUE);
  gtk_widget_grab_focus (self->reason_entry);
}

/**
 * wk_admin_view_get_message:
 * @self: the view
 *
 * Returns: (transfer none): what the view says about the last request
 */
const char *
wk_admin_view_get_message (WkAdminView *self)
{
  g_return_val_if_fail (WK_IS_ADMIN_VIEW (self), NULL);
  return gtk_label_get_text (self->message_label);
}

static void
wk_admin_view_dispose (GObject *object)
{
  WkAdminView *self = WK_ADMIN_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->kiosk);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_ADMIN_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_admin_view_parent_class)->dispose (object);
}

static void
wk_admin_view_class_init (WkAdminViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_admin_view_dispose;
  g_type_ensure (WK_TYPE_PIN_PAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-admin-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, declare_button);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, end_button);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, drill_button);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, scenario_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, reason_entry);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, who_entry);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, message_label);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, WkAdminView, pad);
}

static void
wk_admin_view_init (WkAdminView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  wk_pin_pad_set_prefix (self->pad, "admin");
  g_signal_connect (self->pad, "activate", G_CALLBACK (pad_activate_cb), self);
  g_signal_connect_swapped (self->declare_button, "toggled", G_CALLBACK (update_summary), self);
  g_signal_connect_swapped (self->end_button, "toggled", G_CALLBACK (update_summary), self);
  g_signal_connect_swapped (self->drill_button, "toggled", G_CALLBACK (update_summary), self);
  g_signal_connect_swapped (self->stop_button, "toggled", G_CALLBACK (update_summary), self);
  g_signal_connect_swapped (self->scenario_dropdown, "notify::selected",
                            G_CALLBACK (update_summary), self);
}
