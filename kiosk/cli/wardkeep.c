/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wardkeep.c — the command line for IT staff and scripts: dispatches to subcommands. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-log.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

/* One row per subcommand; each lives in wk-cli-<name>.c. */
static const WkCliCommand commands[] = {
  { "config", "check|reference [--config FILE]",
    "check the configuration file, or print the reference of every setting", wk_cli_config },
  { "verify-qr", "PAYLOAD [--public-key HEX]... [--config FILE]",
    "show what a printed chart page held and whether its QR code is genuine", wk_cli_verify_qr },
  { "key", "init|public [--config FILE] [--file PATH]",
    "create the kiosk's master key, or print the public key that verifies its charts", wk_cli_key },
  { "snapshot", "list | verify [FILE] | export --format json FILE [--config FILE]",
    "list and verify the encrypted snapshots, or decrypt one to standard output", wk_cli_snapshot },
  { "printers", "[--config FILE]",
    "list the printers in the order charts go to them, and their state", wk_cli_printers },
  { "print", "census | chart PATIENT | ward [--printer NAME] [--drill] [--pdf FILE]",
    "print the ward, the census or one patient's chart (through the daemon when it runs)",
    wk_cli_print },
  { "status", "[--json] [--config FILE]",
    "what the daemon is doing: online or downtime, since when, how old the data is (exit 3: not "
    "running)",
    wk_cli_status },
  { "downtime", "declare|end --reason TEXT [--who NAME]",
    "declare downtime (the ward is printed at once), or end a declared one", wk_cli_downtime },
  { "kiosk", "hash-pin [--admin]", "print the configuration line of a kiosk PIN (an Argon2id hash)",
    wk_cli_kiosk },
  { "demo", "[--for SECONDS] [--broadway] [--dir DIR]",
    "run wardkeep on a simulated ward, with a printer and the kiosk, and stage an outage",
    wk_cli_demo },
  { "reconcile", "scan|status|show|enter|report|signoff|export [--config FILE]",
    "after a downtime: scan returned charts, key in doses, report, sign off, export",
    wk_cli_reconcile },
  { "drill", "start|stop|history|export [--scenario S] [--no-print|--printer P] [--pdf FILE]",
    "rehearse a downtime safely (DRILL on every page), measured; keep and export its report",
    wk_cli_drill },
};

/* A command's summary, wrapped under it at column 22 (help2man makes the man page of it). */
static void
print_summary (FILE *out, const char *summary)
{
  g_auto (GStrv) words = g_strsplit (summary, " ", -1);
  int column = 0;

  for (char **word = words; *word != NULL; word++)
    {
      if (column > 0 && column + 1 + (int)strlen (*word) > 78)
        {
          fputc ('\n', out);
          column = 0;
        }
      column += fprintf (out, column == 0 ? "%22s%s" : " %s%s", "", *word);
    }
  fputc ('\n', out);
}

static void
print_help (FILE *out)
{
  fprintf (out, "Usage: wardkeep COMMAND [OPTIONS]\n\n"
                "wardkeep keeps a ward's prescriptions and beds ready for paper when the\n"
                "hospital's central systems go down.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      fprintf (out, "  %s %s\n", commands[i].name, commands[i].usage);
      print_summary (out, commands[i].summary);
    }
  fprintf (out, "  version\n");
  print_summary (out, "print the version");
  fprintf (out, "  help\n");
  print_summary (out, "show this help");
  fprintf (out, "\nRun 'wardkeep COMMAND --help' for a command's options.\n");
}

/**
 * wk_cli_parse:
 * @context: (transfer full): the command's options
 * @argc: (inout): the arguments
 * @argv: (inout): the arguments
 *
 * Parses a subcommand's options, printing a usage error naming the option at fault.
 *
 * Returns: %TRUE when the options are valid
 */
gboolean
wk_cli_parse (GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = g_option_context_parse (context, argc, argv, &error);

  if (!ok)
    fprintf (stderr, "wardkeep %s: %s\nRun 'wardkeep %s --help' for its options.\n", (*argv)[0],
             error->message, (*argv)[0]);
  g_option_context_free (context);
  return ok;
}

/**
 * wk_cli_load_config:
 * @path: (nullable): the --config argument; %NULL for the default file
 *
 * Loads the configuration, printing every problem with it on failure.
 *
 * Returns: (transfer full) (nullable): the configuration, or %NULL after printing why
 */
WkConfig *
wk_cli_load_config (const char *path)
{
  g_autoptr (GError) error = NULL;
  WkConfig *config = wk_config_load (path, &error);

  if (config == NULL)
    {
      fprintf (stderr, "wardkeep: %s\n", error->message);
      return NULL;
    }
  wk_log_set_debug (g_strcmp0 (wk_config_get_string (config, "log", "level"), "debug") == 0);
  return config;
}

/**
 * wk_cli_usage:
 * @command: the subcommand
 * @format: what was wrong with the command line
 *
 * Returns: %WK_CLI_EXIT_USAGE, after printing the problem
 */
int
wk_cli_usage (const char *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "wardkeep %s: %s\nRun 'wardkeep %s --help' for its usage.\n", command, message,
           command);
  return WK_CLI_EXIT_USAGE;
}

/**
 * wk_cli_fail:
 * @format: what failed
 *
 * Returns: %WK_CLI_EXIT_FAILED, after printing the failure
 */
int
wk_cli_fail (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "wardkeep: %s\n", message);
  return WK_CLI_EXIT_FAILED;
}

int
main (int argc, char **argv)
{
  const char *name;

  setlocale (LC_ALL, "");
  wk_log_init ("wardkeep");

  if (argc < 2)
    {
      print_help (stderr);
      return WK_CLI_EXIT_USAGE;
    }
  name = argv[1];
  if (strcmp (name, "--version") == 0 || strcmp (name, "version") == 0)
    {
      printf ("wardkeep %s\n", WK_VERSION);
      return WK_CLI_EXIT_OK;
    }
  if (strcmp (name, "help") == 0 || strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0)
    {
      print_help (stdout);
      return WK_CLI_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (name, commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "wardkeep: unknown command \"%s\"; run 'wardkeep help' for the list.\n", name);
  return WK_CLI_EXIT_USAGE;
}
