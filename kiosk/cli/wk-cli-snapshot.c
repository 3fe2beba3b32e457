/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-snapshot.c — `wardkeep snapshot list|verify|export`: the snapshot folder for IT. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-export.h"
#include "wk-store.h"

#include <gio/gunixoutputstream.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  WkConfig  *config;
  WkKeys    *keys;
  WkStore   *store;
  GTimeZone *zone;
} Context;

static void
context_clear (Context *context)
{
  g_clear_pointer (&context->store, wk_store_unref);
  g_clear_pointer (&context->keys, wk_keys_free);
  g_clear_pointer (&context->config, wk_config_free);
  g_clear_pointer (&context->zone, g_time_zone_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Context, context_clear)

/* Configuration, keys and store; prints why on failure. */
static gboolean
context_open (Context *context, const char *config_path, const char *directory)
{
  g_autoptr (GError) error = NULL;

  context->config = wk_cli_load_config (config_path);
  if (context->config == NULL)
    return FALSE;
  context->keys = wk_cli_load_keys (context->config, NULL);
  if (context->keys == NULL)
    return FALSE;
  context->store = wk_store_new_from_config (context->config, context->keys, directory, &error);
  if (context->store == NULL)
    {
      wk_cli_fail ("%s", error->message);
      return FALSE;
    }
  context->zone
      = g_time_zone_new_identifier (wk_config_get_string (context->config, "ward", "timezone"));
  if (context->zone == NULL)
    context->zone = g_time_zone_new_utc ();
  return TRUE;
}

/* A snapshot time in the ward's zone, "2026-01-05 14:02:11 GMT"; "unknown" for 0. */
static char *
format_time (Context *context, gint64 utc)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (utc == 0)
    return g_strdup ("unknown");
  when = g_date_time_new_from_unix_utc (utc);
  if (when == NULL)
    return g_strdup ("invalid");
  local = g_date_time_to_timezone (when, context->zone);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S %Z");
}

static char *
describe_state (const WkSnapshotInfo *info)
{
  if (info->error != NULL)
    return g_strdup_printf ("NOT USABLE: it %s", info->error->message);
  return g_strdup (info->verified ? "verified" : "header and size look right (not decrypted)");
}

static void
print_table (Context *context, GPtrArray *list)
{
  g_autofree char *zone_heading = g_strdup_printf (
      "CREATED (%s)", wk_config_get_string (context->config, "ward", "timezone"));
  int seq_width = 3;

  for (guint i = 0; i < list->len; i++)
    {
      g_autofree char *seq
          = g_strdup_printf ("%" G_GUINT64_FORMAT, ((WkSnapshotInfo *)list->pdata[i])->seq);

      seq_width = MAX (seq_width, (int)strlen (seq));
    }
  printf ("%-*s  %-27s  %-9s  %-8s  %s\n", seq_width, "SEQ", zone_heading, "SIZE", "WARD", "STATE");
  for (guint i = 0; i < list->len; i++)
    {
      WkSnapshotInfo  *info = list->pdata[i];
      g_autofree char *when = format_time (context, info->created_at);
      g_autofree char *size = g_format_size (info->size);
      g_autofree char *state = describe_state (info);

      printf ("%*" G_GUINT64_FORMAT "  %-27s  %-9s  %-8s  %s\n", seq_width, info->seq, when, size,
              info->ward_id != NULL ? info->ward_id : "?", state);
    }
}

/* The first usable snapshot of a verified list: the one the kiosk would load. */
static WkSnapshotInfo *
first_usable (GPtrArray *list)
{
  for (guint i = 0; i < list->len; i++)
    {
      WkSnapshotInfo *info = list->pdata[i];

      if (info->verified && info->error == NULL)
        return info;
    }
  return NULL;
}

static int
list_folder (Context *context, gboolean verify, gboolean is_verify_command)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = wk_store_list (context->store, verify, &error);
  WkSnapshotInfo *usable;
  guint           bad = 0;

  if (list == NULL)
    return wk_cli_fail ("%s", error->message);
  printf ("Snapshots in %s (ward %s, this kiosk's key %s):\n",
          wk_store_get_directory (context->store), wk_store_get_ward_id (context->store),
          wk_keys_get_key_id (context->keys));
  if (list->len == 0)
    {
      printf ("none yet.\n");
      return is_verify_command ? WK_CLI_EXIT_FAILED : WK_CLI_EXIT_OK;
    }
  print_table (context, list);
  for (guint i = 0; i < list->len; i++)
    if (((WkSnapshotInfo *)list->pdata[i])->error != NULL)
      bad++;
  if (!verify)
    return WK_CLI_EXIT_OK;
  usable = first_usable (list);
  if (usable != NULL)
    {
      g_autofree char *when = format_time (context, usable->created_at);

      printf ("The kiosk loads snapshot %" G_GUINT64_FORMAT ", data as of %s.\n", usable->seq,
              when);
    }
  else
    printf ("No snapshot can be loaded: the kiosk has no data to show or print.\n");
  if (bad > 0)
    printf ("%u of %u snapshot%s cannot be used.\n", bad, list->len, list->len == 1 ? "" : "s");
  if (is_verify_command && (bad > 0 || usable == NULL))
    return WK_CLI_EXIT_FAILED;
  return WK_CLI_EXIT_OK;
}

static int
verify_file (Context *context, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autofree char *when = NULL;

  if (!wk_store_verify_file (context->store, path, &info, &error))
    return wk_cli_fail ("%s", error->message);
  when = format_time (context, info->created_at);
  printf ("%s: verified. Snapshot %" G_GUINT64_FORMAT " of ward %s, data as of %s, key %s.\n", path,
          info->seq, info->ward_id, when, info->key_id);
  if (g_strcmp0 (info->ward_id, wk_store_get_ward_id (context->store)) != 0)
    printf ("Note: this kiosk serves ward %s, so it would not load this snapshot.\n",
            wk_store_get_ward_id (context->store));
  return WK_CLI_EXIT_OK;
}

static int
export_file (Context *context, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkModel) model = NULL;
  g_autoptr (GOutputStream) out = NULL;
  g_autoptr (GOutputStream) buffered = NULL;
  g_autofree char *when = NULL;

  model = wk_store_load_file (context->store, path, &info, &error);
  if (model == NULL)
    return wk_cli_fail ("%s", error->message);
  out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  buffered = g_buffered_output_stream_new_sized (out, 256 * 1024);
  if (!wk_export_model_json (model, info, buffered, NULL, &error)
      || !g_output_stream_close (buffered, NULL, &error))
    return wk_cli_fail ("Cannot export snapshot %s: %s", path, error->message);
  when = format_time (context, info->created_at);
  fprintf (stderr,
           "Exported snapshot %" G_GUINT64_FORMAT " of ward %s (data as of %s). This is "
           "patient data in plain text: keep it on encrypted storage and delete it when "
           "done.\n",
           info->seq, info->ward_id, when);
  return WK_CLI_EXIT_OK;
}

/**
 * wk_cli_snapshot:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "snapshot"
 *
 * `snapshot list` shows every snapshot (seq, time, size, ward, verified or why not);
 * `snapshot verify [FILE]` checks one file, or all of them (exit status 1 when any
 * cannot be used); `snapshot export --format json FILE` decrypts one to standard
 * output, refusing a terminal without --force.
 *
 * Returns: an exit status
 */
int
wk_cli_snapshot (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *format = NULL;
  gboolean         force = FALSE, quick = FALSE;
  g_auto (Context) context = { 0 };
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
    { "directory", 'd', 0, G_OPTION_ARG_FILENAME, &directory,
      "The snapshot folder, instead of the configuration's [snapshot] directory", "DIR" },
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick,
      "list: check headers and sizes only, without decrypting", NULL },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "export: the output format (json)", "json" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "export: write patient data even to a terminal",
      NULL },
    { NULL },
  };
  GOptionContext *options
      = g_option_context_new ("list | verify [FILE] | export --format json FILE");
  const char *action;

  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_summary (
      options, "list: every snapshot with its sequence number, time, size, ward and whether it "
               "verifies.\n"
               "verify: check one snapshot file, or every one (exit status 1 if any fails).\n"
               "export: decrypt a snapshot to standard output as JSON, for IT recovery.");
  if (!wk_cli_parse (options, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc < 2)
    return wk_cli_usage ("snapshot", "expected an action: list, verify or export");
  action = argv[1];

  if (strcmp (action, "list") == 0)
    {
      if (argc != 2)
        return wk_cli_usage ("snapshot", "list takes no file");
      if (!context_open (&context, config_path, directory))
        return WK_CLI_EXIT_FAILED;
      return list_folder (&context, !quick, FALSE);
    }
  if (strcmp (action, "verify") == 0)
    {
      if (argc > 3)
        return wk_cli_usage ("snapshot", "verify takes at most one file");
      if (!context_open (&context, config_path, directory))
        return WK_CLI_EXIT_FAILED;
      return argc == 3 ? verify_file (&context, argv[2]) : list_folder (&context, TRUE, TRUE);
    }
  if (strcmp (action, "export") == 0)
    {
      if (argc != 3)
        return wk_cli_usage ("snapshot", "export takes exactly one snapshot file");
      if (format != NULL && strcmp (format, "json") != 0)
        return wk_cli_usage ("snapshot", "unknown export format \"%s\"; the one format is json",
                             format);
      /* Patient data on a screen is patient data in a scrollback buffer. */
      if (isatty (STDOUT_FILENO) && !force)
        return wk_cli_fail (
            "Refusing to write patient data to a terminal. Redirect the output to a file on "
            "encrypted storage or to a program (wardkeep snapshot export --format json FILE > "
            "export.json), or pass --force.");
      if (!context_open (&context, config_path, directory))
        return WK_CLI_EXIT_FAILED;
      return export_file (&context, argv[2]);
    }
  return wk_cli_usage ("snapshot", "unknown action \"%s\"; expected list, verify or export",
                       action);
}
