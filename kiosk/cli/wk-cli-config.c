/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-config.c — `wardkeep config check|reference`. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"

#include <stdio.h>
#include <string.h>

/**
 * wk_cli_config:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "config"
 *
 * `config check` loads the configuration and says whether it is valid, listing every
 * problem; `config reference` prints the Markdown reference of every setting.
 *
 * Returns: an exit status
 */
int
wk_cli_config (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  GOptionEntry     entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new ("check|reference");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "check: load the configuration and list every problem in it.\n"
                                "reference: print every setting, its type and default.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 2)
    return wk_cli_usage ("config", "expected one action, check or reference");

  if (strcmp (argv[1], "reference") == 0)
    {
      g_autofree char *reference = wk_config_dup_reference ();

      printf ("%s", reference);
      return WK_CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "check") == 0)
    {
      g_autoptr (WkConfig) config = wk_cli_load_config (config_path);
      g_auto (GStrv) printers = NULL;

      if (config == NULL)
        return WK_CLI_EXIT_FAILED;
      printers = wk_config_dup_instances (config, "printer");
      printf ("%s: valid. Ward %s, %u printer%s configured.\n", wk_config_get_path (config),
              wk_config_get_string (config, "ward", "id"), g_strv_length (printers),
              g_strv_length (printers) == 1 ? "" : "s");
      return WK_CLI_EXIT_OK;
    }
  return wk_cli_usage ("config", "unknown action \"%s\"; expected check or reference", argv[1]);
}
