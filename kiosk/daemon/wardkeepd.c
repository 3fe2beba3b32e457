/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wardkeepd.c — the daemon's program: options, configuration, keys, signals, the main loop. */

#define G_LOG_DOMAIN "wardkeepd"

#include "wk-daemon.h"
#include "wk-log.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

static gboolean
quit_cb (gpointer data)
{
  g_message ("Stopping (signal received)");
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
hangup_cb (gpointer data)
{
  g_message ("SIGHUP: the configuration is read at start only; restart wardkeepd to apply it "
             "(systemctl restart wardkeepd)");
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean         check = FALSE, version = FALSE;
  GOptionEntry     entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { "check-config", 0, 0, G_OPTION_ARG_NONE, &check,
          "Check the configuration and the key, then exit", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
        { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- the wardkeep daemon");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkDaemon) daemon = NULL;
  g_autoptr (GMainLoop) loop = NULL;

  setlocale (LC_ALL, "");
  wk_log_init ("wardkeepd");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context, "Follows the hospital's HL7 feed into encrypted snapshots, watches the central "
               "systems, and prints the ward's drug charts and census by itself when they go "
               "down. Status and control: wardkeep status.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "wardkeepd: %s\nRun 'wardkeepd --help' for its options.\n", error->message);
      return EXIT_USAGE;
    }
  if (argc > 1)
    {
      fprintf (stderr, "wardkeepd: unexpected argument \"%s\"\n", argv[1]);
      return EXIT_USAGE;
    }
  if (version)
    {
      printf ("wardkeepd %s\n", WK_VERSION);
      return EXIT_OK;
    }

  config = wk_config_load (config_path, &error);
  if (config == NULL)
    {
      fprintf (stderr, "wardkeepd: %s\n", error->message);
      return EXIT_FAILED;
    }
  wk_log_set_debug (g_strcmp0 (wk_config_get_string (config, "log", "level"), "debug") == 0);
  keys = wk_keys_load (wk_config_get_string (config, "keys", "file"), &error);
  if (keys == NULL)
    {
      fprintf (stderr, "wardkeepd: %s\n", error->message);
      return EXIT_FAILED;
    }
  if (check)
    {
      printf ("The configuration %s is valid, and the key (id %s, from %s) loads.\n",
              wk_config_get_path (config), wk_keys_get_key_id (keys), wk_keys_get_source (keys));
      return EXIT_OK;
    }

  loop = g_main_loop_new (NULL, FALSE);
  daemon = wk_daemon_new (g_steal_pointer (&config), g_steal_pointer (&keys), &error);
  if (daemon == NULL || !wk_daemon_start (daemon, &error))
    {
      g_critical ("Cannot start: %s", error->message);
      return EXIT_FAILED;
    }
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGHUP, hangup_cb, NULL);
  g_main_loop_run (loop);
  wk_daemon_stop (daemon);
  return EXIT_OK;
}
