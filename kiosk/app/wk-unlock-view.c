/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-unlock-view.c — who you are and the ward PIN, to unlock the kiosk.
 *
 * The name goes to the audit log with everything done until the kiosk locks again.
 * Wrong PINs are counted (wk-pin-guard.c); the view says how many tries are left, and
 * when unlocking is blocked, until when and whom to ask. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-unlock-view.h"

#include "wk-kiosk-format.h"
#include "wk-pin-pad.h"

#include <glib/gi18n.h>

struct _WkUnlockView
{
  GtkWidget parent_instance;

  WkKiosk      *kiosk;
  GCancellable *cancellable;
  gboolean      busy;

  GtkWidget *who_entry;
  GtkLabel  *message_label;
  WkPinPad  *pad;
};

enum
{
  SIGNAL_UNLOCKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WkUnlockView, wk_unlock_view, GTK_TYPE_WIDGET)

static void
set_message (WkUnlockView *self, const char *message)
{
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
}

static char *
locked_out_message (WkKiosk *kiosk, gint64 until)
{
  gint64           now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *at = wk_kiosk_format_clock (wk_kiosk_get_time_zone (kiosk), until, now);
  g_autofree char *wait = wk_kiosk_format_duration (until - now);

  return g_strdup_printf (_ ("Too many wrong PINs. Unlocking is blocked until %s (%s). Ask the "
                             "nurse in charge; the ward's paper charts still work."),
                          at, wait);
}

static void
unlocked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WkUnlockView *self = user_data;
  g_autoptr (GError) error = NULL;
  WkPinOutcome     outcome;
  g_autofree char *message = NULL;
  gboolean         ok = wk_kiosk_unlock_finish (WK_KIOSK (source), result, &outcome, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pad), TRUE);
  wk_pin_pad_clear (self->pad);
  if (!ok)
    {
      set_message (self, error->message);
      return;
    }
  switch (outcome.result)
    {
    case WK_PIN_RESULT_OK:
      set_message (self, NULL);
      gtk_editable_set_text (GTK_EDITABLE (self->who_entry), "");
      g_signal_emit (self, signals[SIGNAL_UNLOCKED], 0);
      return;
    case WK_PIN_RESULT_WRONG:
      message = g_strdup_printf (
          g_dngettext (NULL, "Wrong PIN. %u more try before unlocking is blocked.",
                       "Wrong PIN. %u more tries before unlocking is blocked.",
                       outcome.attempts_left),
          outcome.attempts_left);
      break;
    case WK_PIN_RESULT_LOCKED_OUT:
      message = locked_out_message (self->kiosk, outcome.locked_until);
      break;
    case WK_PIN_RESULT_NOT_SET:
      message = g_strdup (_ ("No ward PIN is set on this kiosk, so it cannot be unlocked. Ask IT "
                             "to set one ([kiosk] ward-pin)."));
      break;
    }
  set_message (self, message);
  gtk_widget_grab_focus (wk_pin_pad_get_entry (self->pad));
}

static void
pad_activate_cb (WkPinPad *pad, WkUnlockView *self)
{
  const char *who = gtk_editable_get_text (GTK_EDITABLE (self->who_entry));

  if (self->busy || self->kiosk == NULL)
    return;
  self->busy = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pad), FALSE);
  set_message (self, _ ("Checking…"));
  wk_kiosk_unlock_async (self->kiosk, who, wk_pin_pad_get_pin (pad), self->cancellable, unlocked_cb,
                         self);
}

static void
who_activate_cb (GtkEntry *entry, WkUnlockView *self)
{
  gtk_widget_grab_focus (wk_pin_pad_get_entry (self->pad));
}

/**
 * wk_unlock_view_set_kiosk:
 * @self: the view
 * @kiosk: the kiosk it unlocks
 */
void
wk_unlock_view_set_kiosk (WkUnlockView *self, WkKiosk *kiosk)
{
  g_return_if_fail (WK_IS_UNLOCK_VIEW (self));
  g_set_object (&self->kiosk, kiosk);
}

/**
 * wk_unlock_view_reset:
 * @self: the view
 *
 * Clears the entries and shows whether unlocking is blocked; focuses the name.
 */
void
wk_unlock_view_reset (WkUnlockView *self)
{
  gint64 until;

  g_return_if_fail (WK_IS_UNLOCK_VIEW (self));

  wk_pin_pad_clear (self->pad);
  gtk_editable_set_text (GTK_EDITABLE (self->who_entry), "");
  until = self->kiosk != NULL ? wk_kiosk_get_locked_out_until (self->kiosk, WK_PIN_WARD) : 0;
  if (until > 0)
    {
      g_autofree char *message = locked_out_message (self->kiosk, until);

      set_message (self, message);
    }
  else if (self->kiosk != NULL && !wk_kiosk_has_pin (self->kiosk, WK_PIN_WARD))
    set_message (self, _ ("No ward PIN is set on this kiosk, so it cannot be unlocked. Ask IT to "
                          "set one ([kiosk] ward-pin)."));
  else
    set_message (self, NULL);
  gtk_widget_grab_focus (self->who_entry);
}

/**
 * wk_unlock_view_get_message:
 * @self: the view
 *
 * Returns: (transfer none): what the view says about the last attempt
 */
const char *
wk_unlock_view_get_message (WkUnlockView *self)
{
  g_return_val_if_fail (WK_IS_UNLOCK_VIEW (self), NULL);
  return gtk_label_get_text (self->message_label);
}

/**
 * wk_unlock_view_is_busy:
 * @self: the view
 *
 * Returns: whether a PIN is being checked
 */
gboolean
wk_unlock_view_is_busy (WkUnlockView *self)
{
  g_return_val_if_fail (WK_IS_UNLOCK_VIEW (self), FALSE);
  return self->busy;
}

static void
wk_unlock_view_dispose (GObject *object)
{
  WkUnlockView *self = WK_UNLOCK_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->kiosk);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_UNLOCK_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_unlock_view_parent_class)->dispose (object);
}

static void
wk_unlock_view_class_init (WkUnlockViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_unlock_view_dispose;

  /**
   * WkUnlockView::unlocked:
   *
   * The PIN was right: the kiosk is unlocked.
   */
  signals[SIGNAL_UNLOCKED] = g_signal_new ("unlocked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_type_ensure (WK_TYPE_PIN_PAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-unlock-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkUnlockView, who_entry);
  gtk_widget_class_bind_template_child (widget_class, WkUnlockView, message_label);
  gtk_widget_class_bind_template_child (widget_class, WkUnlockView, pad);
}

static void
wk_unlock_view_init (WkUnlockView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  wk_pin_pad_set_prefix (self->pad, "unlock");
  g_signal_connect (self->pad, "activate", G_CALLBACK (pad_activate_cb), self);
  g_signal_connect (self->who_entry, "activate", G_CALLBACK (who_activate_cb), self);
}
