/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli.h — what the wardkeep command's subcommands share. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses: scripts can tell a failure from a mistyped command. */
#define WK_CLI_EXIT_OK 0
#define WK_CLI_EXIT_FAILED 1
#define WK_CLI_EXIT_USAGE 2
/* The daemon wardkeepd is not running (status, downtime). */
#define WK_CLI_EXIT_NOT_RUNNING 3

/**
 * WkCliCommand:
 * @name: the subcommand ("config")
 * @usage: its arguments, for help ("check|reference [--config FILE]")
 * @summary: one line for `wardkeep help`
 * @run: runs it; argv[0] is @name; returns an exit status
 */
typedef struct
{
  const char *name;
  const char *usage;
  const char *summary;
  int (*run) (int argc, char **argv);
} WkCliCommand;

int wk_cli_config (int argc, char **argv);
int wk_cli_verify_qr (int argc, char **argv);
int wk_cli_key (int argc, char **argv);
int wk_cli_snapshot (int argc, char **argv);
int wk_cli_print (int argc, char **argv);
int wk_cli_status (int argc, char **argv);
int wk_cli_downtime (int argc, char **argv);
int wk_cli_printers (int argc, char **argv);
int wk_cli_kiosk (int argc, char **argv);
int wk_cli_demo (int argc, char **argv);
int wk_cli_reconcile (int argc, char **argv);

gboolean  wk_cli_parse (GOptionContext *context, int *argc, char ***argv);
WkConfig *wk_cli_load_config (const char *path);
int       wk_cli_usage (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);
int       wk_cli_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);
WkKeys   *wk_cli_load_keys (WkConfig *config, const char *key_file);

G_END_DECLS
