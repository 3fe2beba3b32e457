/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-printers.c — `wardkeep printers`: the configured printers and their state. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-printer.h"

#include <stdio.h>

/**
 * wk_cli_printers:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "printers"
 *
 * Lists the configured printers in the order documents go to them, each with its state
 * in words, CUPS's raw state reasons and message, so that IT can see at a glance which
 * printer would take the ward now.
 *
 * Returns: 0 when every printer is ready, 1 when one has a problem (or the
 *   configuration is wrong, or none is configured), 2 for a mistyped command line
 */
int
wk_cli_printers (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  GOptionEntry     entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
        { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_autoptr (WkConfig) config = NULL;
  g_autoptr (GPtrArray) printers = NULL;
  g_autoptr (GError) error = NULL;
  guint n_problems = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "List the configured printers, in the order the ward's charts go "
                                "to them, and what each says about its state.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 1)
    return wk_cli_usage ("printers", "unexpected argument \"%s\"", argv[1]);
  config = wk_cli_load_config (config_path);
  if (config == NULL)
    return WK_CLI_EXIT_FAILED;
  printers = wk_printer_list_from_config (config, &error);
  if (printers == NULL)
    return wk_cli_fail ("%s", error->message);
  if (printers->len == 0)
    return wk_cli_fail ("%s: no printer is configured; add a [printer NAME] group",
                        wk_config_get_path (config));

  for (guint i = 0; i < printers->len; i++)
    {
      WkPrinter *printer = printers->pdata[i];
      g_autoptr (WkPrinterStatus) status = wk_printer_get_status (printer, NULL, &error);
      g_autofree char *reasons = NULL;

      if (status == NULL)
        return wk_cli_fail ("%s", error->message);
      n_problems += status->problem;
      reasons = g_strjoinv (", ", status->reasons);
      printf ("%u. %s%s%s%s (%s %s)\n   %s\n", i + 1, wk_printer_get_name (printer),
              wk_printer_get_description (printer) != NULL ? " — " : "",
              wk_printer_get_description (printer) != NULL ? wk_printer_get_description (printer)
                                                           : "",
              i == 0 ? ", first choice" : "", wk_printer_get_kind (printer),
              wk_printer_get_uri (printer), status->summary);
      if (*reasons != '\0' || status->message != NULL)
        printf ("   state %s, %saccepting jobs; reasons: %s; message: %s\n",
                wk_printer_state_to_string (status->state), status->accepting ? "" : "not ",
                *reasons != '\0' ? reasons : "none",
                status->message != NULL ? status->message : "none");
    }
  if (n_problems > 0)
    {
      fprintf (stderr, "wardkeep: %u of %u printers cannot print right now\n", n_problems,
               printers->len);
      return WK_CLI_EXIT_FAILED;
    }
  return WK_CLI_EXIT_OK;
}
