/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-pin-pad.c — a PIN entry with a keypad big enough for gloved fingers.
 *
 * The entry hides what is typed; the keypad's keys type into it, so the PIN can be
 * entered by touch or by keyboard alike. OK (or Enter) emits ::activate. Every key has
 * a widget name, PREFIX-key-N, and the entry PREFIX-pin, for tests and assistive tools. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-pin-pad.h"

#include <glib/gi18n.h>

struct _WkPinPad
{
  GtkWidget parent_instance;

  GtkGrid   *grid;
  GtkWidget *entry;
  GPtrArray *keys; /* GtkButton, with "wk-key" data: "0".."9", "back", "ok" */
};

enum
{
  SIGNAL_ACTIVATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WkPinPad, wk_pin_pad, GTK_TYPE_WIDGET)

static void
key_clicked_cb (GtkButton *button, WkPinPad *self)
{
  const char  *key = g_object_get_data (G_OBJECT (button), "wk-key");
  GtkEditable *editable = GTK_EDITABLE (self->entry);
  int          position = -1;

  if (g_strcmp0 (key, "ok") == 0)
    g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0);
  else if (g_strcmp0 (key, "back") == 0)
    {
      int len = g_utf8_strlen (gtk_editable_get_text (editable), -1);

      if (len > 0)
        gtk_editable_delete_text (editable, len - 1, len);
    }
  else
    {
      position = g_utf8_strlen (gtk_editable_get_text (editable), -1);
      gtk_editable_insert_text (editable, key, -1, &position);
    }
}

static void
entry_activate_cb (GtkWidget *entry, WkPinPad *self)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0);
}

/**
 * wk_pin_pad_set_prefix:
 * @self: the pad
 * @prefix: the start of its widgets' names ("unlock": "unlock-pin", "unlock-key-7", ...)
 */
void
wk_pin_pad_set_prefix (WkPinPad *self, const char *prefix)
{
  g_autofree char *entry_name = g_strdup_printf ("%s-pin", prefix);

  g_return_if_fail (WK_IS_PIN_PAD (self));

  gtk_widget_set_name (self->entry, entry_name);
  for (guint i = 0; i < self->keys->len; i++)
    {
      GtkWidget       *key = self->keys->pdata[i];
      g_autofree char *name = g_strdup_printf (
          "%s-key-%s", prefix, (char *)g_object_get_data (G_OBJECT (key), "wk-key"));

      gtk_widget_set_name (key, name);
    }
}

/**
 * wk_pin_pad_get_pin:
 * @self: the pad
 *
 * Returns: (transfer none): what was typed
 */
const char *
wk_pin_pad_get_pin (WkPinPad *self)
{
  g_return_val_if_fail (WK_IS_PIN_PAD (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->entry));
}

/**
 * wk_pin_pad_clear:
 * @self: the pad
 */
void
wk_pin_pad_clear (WkPinPad *self)
{
  g_return_if_fail (WK_IS_PIN_PAD (self));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
}

/**
 * wk_pin_pad_get_entry:
 * @self: the pad
 *
 * Returns: (transfer none): the PIN entry, to give it the focus
 */
GtkWidget *
wk_pin_pad_get_entry (WkPinPad *self)
{
  g_return_val_if_fail (WK_IS_PIN_PAD (self), NULL);
  return self->entry;
}

static void
wk_pin_pad_dispose (GObject *object)
{
  WkPinPad *self = WK_PIN_PAD (object);

  g_clear_pointer (&self->keys, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_PIN_PAD);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_pin_pad_parent_class)->dispose (object);
}

static void
wk_pin_pad_class_init (WkPinPadClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_pin_pad_dispose;

  /**
   * WkPinPad::activate:
   *
   * OK was pressed, or Enter in the entry.
   */
  signals[SIGNAL_ACTIVATE] = g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wardkeep/Kiosk/wk-pin-pad.ui");
  gtk_widget_class_bind_template_child (widget_class, WkPinPad, grid);
}

static void
wk_pin_pad_init (WkPinPad *self)
{
  static const char *const layout[]
      = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok" };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->keys = g_ptr_array_new ();

  self->entry = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (self->entry), FALSE);
  g_object_set (self->entry, "placeholder-text", _ ("PIN"), "activates-default", FALSE, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("PIN"), -1);
  g_signal_connect (self->entry, "activate", G_CALLBACK (entry_activate_cb), self);
  gtk_grid_attach (self->grid, self->entry, 0, 0, 3, 1);

  for (guint i = 0; i < G_N_ELEMENTS (layout); i++)
    {
      const char *key = layout[i];
      const char *label = g_str_equal (key, "back") ? "⌫"
                          : g_str_equal (key, "ok") ? _ ("OK")
                                                    : key;
      GtkWidget  *button = gtk_button_new_with_label (label);

      g_object_set_data (G_OBJECT (button), "wk-key", (gpointer)key);
      if (g_str_equal (key, "back"))
        gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        _ ("Delete the last digit"), -1);
      if (g_str_equal (key, "ok"))
        gtk_widget_add_css_class (button, "suggested-action");
      gtk_widget_set_focus_on_click (button, FALSE);
      g_signal_connect (button, "clicked", G_CALLBACK (key_clicked_cb), self);
      gtk_grid_attach (self->grid, button, i % 3, 1 + i / 3, 1, 1);
      g_ptr_array_add (self->keys, button);
    }
  wk_pin_pad_set_prefix (self, "pin");
}
