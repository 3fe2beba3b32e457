/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-status-banner.c — the always-visible banner: mode, since when, data age, health.
 *
 * Read at a glance, by someone stressed: one word for the mode (its colour repeats it,
 * never replaces it), one sentence saying what to do, then the facts behind it — since
 * when, why, printing, the feed, the printers — and how old the data on the screen is,
 * which turns amber when it is older than the configured threshold. A drill is purple
 * and striped and says DRILL, never red. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-status-banner.h"

#include "wk-kiosk-format.h"

#include <glib/gi18n.h>

struct _WkStatusBanner
{
  GtkWidget parent_instance;

  WkKiosk *kiosk;
  guint    tick_id;

  GtkLabel  *mode_label;
  GtkLabel  *headline_label;
  GtkLabel  *details_label;
  GtkWidget *data_box;
  GtkLabel  *data_caption_label;
  GtkLabel  *data_time_label;
  GtkLabel  *clock_label;
};

G_DEFINE_FINAL_TYPE (WkStatusBanner, wk_status_banner, GTK_TYPE_WIDGET)

static const char *const mode_classes[] = { "mode-unknown",  "mode-online",     "mode-suspect",
                                            "mode-downtime", "mode-recovering", "mode-drill" };

/* Sets a label's text only when it changed: the banner ticks every second. */
static void
set_text (GtkLabel *label, const char *text)
{
  if (g_strcmp0 (gtk_label_get_text (label), text) != 0)
    gtk_label_set_text (label, text);
}

static const char *
mode_word (WkKioskMode mode)
{
  switch (mode)
    {
    case WK_KIOSK_MODE_ONLINE:
      return _ ("ONLINE");
    case WK_KIOSK_MODE_SUSPECT:
      return _ ("SUSPECT");
    case WK_KIOSK_MODE_DOWNTIME:
      return _ ("DOWNTIME");
    case WK_KIOSK_MODE_RECOVERING:
      return _ ("RECOVERING");
    case WK_KIOSK_MODE_DRILL:
      return _ ("DRILL");
    case WK_KIOSK_MODE_UNKNOWN:
    default:
      return _ ("KIOSK ONLY");
    }
}

static const char *
headline (const WkKioskStatus *status)
{
  switch (status->mode)
    {
    case WK_KIOSK_MODE_ONLINE:
      return _ ("Central systems are up. Use the EPR as usual.");
    case WK_KIOSK_MODE_SUSPECT:
      return _ ("Central systems are not answering. Checking — keep using the EPR for now.");
    case WK_KIOSK_MODE_DOWNTIME:
      if (g_strcmp0 (status->episode_kind, "manual") == 0)
        return _ ("Downtime declared. Use the PAPER drug charts.");
      if (g_strcmp0 (status->episode_kind, "planned") == 0)
        return _ ("Planned downtime. Use the PAPER drug charts.");
      return _ ("Central systems are DOWN. Use the PAPER drug charts.");
    case WK_KIOSK_MODE_RECOVERING:
      return _ ("Central systems are answering again. Stay on PAPER until ONLINE.");
    case WK_KIOSK_MODE_DRILL:
      return _ ("DRILL — NOT a real downtime. Keep using the EPR for patient care.");
    case WK_KIOSK_MODE_UNKNOWN:
    default:
      return _ ("The wardkeep service is not running: nothing prints by itself. You can still "
                "view and print here. Call IT.");
    }
}

static void
append (GString *text, const char *part)
{
  if (part == NULL || *part == '\0')
    return;
  if (text->len > 0)
    g_string_append (text, "  ·  ");
  g_string_append (text, part);
}

static char *
build_details (WkStatusBanner *self, const WkKioskStatus *status, gint64 now)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GTimeZone       *tz = wk_kiosk_get_time_zone (self->kiosk);
  WkKioskSnapshot *snapshot = wk_kiosk_get_snapshot (self->kiosk);
  gboolean         on_paper = status->mode == WK_KIOSK_MODE_DOWNTIME
                      || status->mode == WK_KIOSK_MODE_RECOVERING
                      || status->mode == WK_KIOSK_MODE_DRILL;

  if (status->daemon && status->since > 0)
    {
      g_autofree char *at = wk_kiosk_format_clock (tz, status->since, now);
      g_autofree char *length = wk_kiosk_format_duration (now - status->since);
      g_autofree char *part = g_strdup_printf (_ ("Since %s (%s)"), at, length);

      append (text, part);
    }
  /* Most important first: printing, printers that need someone, then why. */
  if (on_paper && status->print_documents > 0 && !status->print_finished)
    {
      g_autofree char *part
          = g_strdup_printf (_ ("Printing the ward: %d of %d documents printed"),
                             (int)status->print_completed, (int)status->print_documents);

      append (text, part);
    }
  else if (on_paper && status->episode_printed)
    append (text, _ ("The ward's charts have been printed"));
  if (status->print_failed > 0)
    {
      g_autofree char *part = g_strdup_printf (
          g_dngettext (NULL, "%d document did not print: see Print",
                       "%d documents did not print: see Print", status->print_failed),
          (int)status->print_failed);

      append (text, part);
    }
  for (guint i = 0; status->printers != NULL && i < status->printers->len; i++)
    {
      WkKioskPrinter  *printer = status->printers->pdata[i];
      g_autofree char *part = NULL;

      if (printer->summary == NULL || !printer->problem)
        continue;
      part = g_strdup_printf (_ ("Printer %s: %s"), printer->name, printer->summary);
      append (text, part);
    }
  if (status->mode == WK_KIOSK_MODE_DRILL && status->drill_scenario != NULL)
    {
      g_autofree char *part = g_strdup_printf (_ ("Drill scenario: %s"), status->drill_scenario);

      append (text, part);
    }
  if (status->daemon && status->mode != WK_KIOSK_MODE_ONLINE)
    append (text, status->reason);

  if (status->daemon)
    {
      if (status->feed_silent && status->feed_last_message_at > 0)
        {
          g_autofree char *ago = wk_kiosk_format_duration (now - status->feed_last_message_at);
          g_autofree char *part = g_strdup_printf (_ ("Feed: no messages for %s"), ago);

          append (text, part);
        }
      else if (status->feed_silent)
        append (text, _ ("Feed: no messages received yet"));
      else if (status->feed_error != NULL && status->mode == WK_KIOSK_MODE_ONLINE)
        {
          g_autofree char *part = g_strdup_printf (_ ("Feed: %s"), status->feed_error);

          append (text, part);
        }
      if (status->snapshot_error != NULL)
        {
          g_autofree char *part = g_strdup_printf (_ ("Saving data: %s"), status->snapshot_error);

          append (text, part);
        }
      /* On paper the reason says what the probes' warnings would. */
      for (guint i = 0; !on_paper && status->warnings != NULL && status->warnings[i] != NULL; i++)
        append (text, status->warnings[i]);
    }
  else if (snapshot != NULL)
    {
      g_autofree char *part = g_strdup_printf (_ ("Showing the newest data this kiosk could check "
                                                  "(snapshot %" G_GUINT64_FORMAT ")"),
                                               wk_kiosk_snapshot_get_seq (snapshot));

      append (text, part);
    }
  if (snapshot == NULL && wk_kiosk_get_snapshot_problem (self->kiosk) != NULL)
    append (text, wk_kiosk_get_snapshot_problem (self->kiosk));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * wk_status_banner_update:
 * @self: the banner
 *
 * Shows the kiosk's status and the age of its data as of now.
 */
void
wk_status_banner_update (WkStatusBanner *self)
{
  const WkKioskStatus *status;
  WkKioskSnapshot     *snapshot;
  gint64               now = g_get_real_time () / G_USEC_PER_SEC;
  GTimeZone           *tz;
  g_autofree char     *details = NULL;
  g_autofree char     *clock = NULL;
  g_autofree char     *data_time = NULL;
  g_autofree char     *accessible = NULL;
  gboolean             stale;

  g_return_if_fail (WK_IS_STATUS_BANNER (self));

  if (self->kiosk == NULL)
    return;
  status = wk_kiosk_get_status (self->kiosk);
  snapshot = wk_kiosk_get_snapshot (self->kiosk);
  tz = wk_kiosk_get_time_zone (self->kiosk);

  for (guint i = 0; i < G_N_ELEMENTS (mode_classes); i++)
    {
      if (i == status->mode)
        gtk_widget_add_css_class (GTK_WIDGET (self), mode_classes[i]);
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self), mode_classes[i]);
    }
  set_text (self->mode_label, mode_word (status->mode));
  set_text (self->headline_label, headline (status));
  details = build_details (self, status, now);
  set_text (self->details_label, details);
  gtk_widget_set_visible (GTK_WIDGET (self->details_label), *details != '\0');

  if (snapshot != NULL)
    {
      gint64           at = wk_kiosk_snapshot_get_created_at (snapshot);
      g_autofree char *when = wk_kiosk_format_clock (tz, at, now);
      g_autofree char *ago = wk_kiosk_format_ago (now - at);

      data_time = g_strdup_printf (_ ("%s (%s)"), when, ago);
    }
  else
    data_time = g_strdup (_ ("no data"));
  stale = wk_kiosk_is_data_stale (self->kiosk, now);
  set_text (self->data_caption_label, stale ? _ ("DATA AS OF — OLD") : _ ("DATA AS OF"));
  set_text (self->data_time_label, data_time);
  if (stale)
    gtk_widget_add_css_class (self->data_box, "stale");
  else
    gtk_widget_remove_css_class (self->data_box, "stale");

  clock = wk_kiosk_format_clock (tz, now, now);
  set_text (self->clock_label, clock);

  accessible = g_strdup_printf ("%s. %s %s. %s %s.", mode_word (status->mode), headline (status),
                                details, gtk_label_get_text (self->data_caption_label), data_time);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

/**
 * wk_status_banner_get_mode_text:
 * @self: the banner
 *
 * Returns: (transfer none): the mode word the banner shows ("DOWNTIME")
 */
const char *
wk_status_banner_get_mode_text (WkStatusBanner *self)
{
  g_return_val_if_fail (WK_IS_STATUS_BANNER (self), NULL);
  return gtk_label_get_text (self->mode_label);
}

static void
kiosk_changed_cb (WkStatusBanner *self)
{
  wk_status_banner_update (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  wk_status_banner_update (user_data);
  return G_SOURCE_CONTINUE;
}

/**
 * wk_status_banner_set_kiosk:
 * @self: the banner
 * @kiosk: the kiosk whose status it shows
 *
 * Follows @kiosk's status and snapshot, and ticks every second for the clock and the
 * data's age.
 */
void
wk_status_banner_set_kiosk (WkStatusBanner *self, WkKiosk *kiosk)
{
  g_return_if_fail (WK_IS_STATUS_BANNER (self));
  g_return_if_fail (self->kiosk == NULL);

  self->kiosk = g_object_ref (kiosk);
  g_signal_connect_object (kiosk, "notify::status", G_CALLBACK (kiosk_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "notify::snapshot", G_CALLBACK (kiosk_changed_cb), self,
                           G_CONNECT_SWAPPED);
  self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
  wk_status_banner_update (self);
}

static void
wk_status_banner_dispose (GObject *object)
{
  WkStatusBanner *self = WK_STATUS_BANNER (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->kiosk);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_STATUS_BANNER);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_status_banner_parent_class)->dispose (object);
}

static void
wk_status_banner_class_init (WkStatusBannerClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_status_banner_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-status-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, mode_label);
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, headline_label);
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, details_label);
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, data_box);
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, data_caption_label);
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, data_time_label);
  gtk_widget_class_bind_template_child (widget_class, WkStatusBanner, clock_label);
  gtk_widget_class_set_css_name (widget_class, "statusbanner");
}

static void
wk_status_banner_init (WkStatusBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
