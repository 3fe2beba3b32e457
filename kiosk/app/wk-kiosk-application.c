/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-application.c — wardkeep-kiosk: the application, its options and signals.
 *
 * One process, one window. Not D-Bus unique (a ward machine runs one kiosk, under
 * cage, often without a session bus). The configuration is read before anything is
 * shown: a configuration that does not load stops the program with every problem
 * listed, for systemd's journal. SIGTERM, SIGINT and SIGHUP end it cleanly; nothing in
 * the window does. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-application.h"

#include "wk-kiosk-window.h"
#include "wk-kiosk.h"
#include "wk-log.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>

struct _WkKioskApplication
{
  AdwApplication parent_instance;

  char          *config_path;
  gboolean       windowed;
  gboolean       exit_when_drawn;
  WkKiosk       *kiosk;
  WkKioskWindow *window;
};

G_DEFINE_FINAL_TYPE (WkKioskApplication, wk_kiosk_application, ADW_TYPE_APPLICATION)

static gboolean
quit_on_signal_cb (gpointer user_data)
{
  WkKioskApplication *self = user_data;

  g_message ("Stopping on a signal");
  if (self->window != NULL)
    wk_kiosk_window_allow_close (self->window);
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_CONTINUE;
}

static int
wk_kiosk_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  WkKioskApplication *self = WK_KIOSK_APPLICATION (application);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      printf ("wardkeep-kiosk %s\n", WK_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "config", "^ay", &self->config_path);
  self->windowed = g_variant_dict_contains (options, "windowed");
  self->exit_when_drawn = g_variant_dict_contains (options, "exit-when-drawn");

  config = wk_config_load (self->config_path, &error);
  if (config == NULL)
    {
      fprintf (stderr, "wardkeep-kiosk: %s\n", error->message);
      return 1;
    }
  wk_log_set_debug (g_strcmp0 (wk_config_get_string (config, "log", "level"), "debug") == 0);
  self->kiosk = wk_kiosk_new (g_steal_pointer (&config), &error);
  if (self->kiosk == NULL)
    {
      fprintf (stderr, "wardkeep-kiosk: %s\n", error->message);
      return 1;
    }
  return -1;
}

static void
wk_kiosk_application_startup (GApplication *application)
{
  WkKioskApplication *self = WK_KIOSK_APPLICATION (application);

  G_APPLICATION_CLASS (wk_kiosk_application_parent_class)->startup (application);
  wk_kiosk_load_style ();
  g_unix_signal_add (SIGTERM, quit_on_signal_cb, self);
  g_unix_signal_add (SIGINT, quit_on_signal_cb, self);
  g_unix_signal_add (SIGHUP, quit_on_signal_cb, self);
}

static void
wk_kiosk_application_activate (GApplication *application)
{
  WkKioskApplication *self = WK_KIOSK_APPLICATION (application);

  if (self->window == NULL)
    {
      self->window
          = wk_kiosk_window_new (GTK_APPLICATION (application), self->kiosk, !self->windowed);
      wk_kiosk_window_set_exit_when_drawn (self->window, self->exit_when_drawn);
      wk_kiosk_start (self->kiosk);
      g_message ("wardkeep-kiosk %s started for ward %s", WK_VERSION,
                 wk_config_get_string (wk_kiosk_get_config (self->kiosk), "ward", "id"));
    }
  gtk_window_present (GTK_WINDOW (self->window));
}

static void
wk_kiosk_application_finalize (GObject *object)
{
  WkKioskApplication *self = WK_KIOSK_APPLICATION (object);

  g_free (self->config_path);
  g_clear_object (&self->kiosk);
  G_OBJECT_CLASS (wk_kiosk_application_parent_class)->finalize (object);
}

static void
wk_kiosk_application_class_init (WkKioskApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = wk_kiosk_application_finalize;
  app_class->handle_local_options = wk_kiosk_application_handle_local_options;
  app_class->startup = wk_kiosk_application_startup;
  app_class->activate = wk_kiosk_application_activate;
}

static void
wk_kiosk_application_init (WkKioskApplication *self)
{
  static const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, NULL,
      N_ ("The configuration file (default " WK_CONFIG_DEFAULT_PATH ")"), N_ ("FILE") },
    { "windowed", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_ ("A window that can be closed instead of a fullscreen kiosk (for development)"), NULL },
    { "exit-when-drawn", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL,
      "Quit once the census has been drawn (the start-up benchmark)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_ ("Print the version"), NULL },
    { NULL },
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (
      G_APPLICATION (self),
      _ ("The ward's touch screen: status, census, drug charts and printing."));
}

/**
 * wk_kiosk_application_new:
 *
 * Returns: (transfer full): the application
 */
WkKioskApplication *
wk_kiosk_application_new (void)
{
  return g_object_new (WK_TYPE_KIOSK_APPLICATION, "application-id", "org.wardkeep.Kiosk", "flags",
                       G_APPLICATION_NON_UNIQUE, NULL);
}
