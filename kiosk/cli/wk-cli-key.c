/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-key.c — `wardkeep key init|public`: create the master key, show its public half. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-keys.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/**
 * wk_cli_load_keys:
 * @config: the configuration (`[keys] file`)
 * @key_file: (nullable): a key file given on the command line instead
 *
 * Loads the master key as the service would: the systemd credential when the process
 * has one, else the key file. Prints why on failure.
 *
 * Returns: (transfer full) (nullable): the keys, or %NULL after printing why
 */
WkKeys *
wk_cli_load_keys (WkConfig *config, const char *key_file)
{
  g_autoptr (GError) error = NULL;
  WkKeys *keys;

  if (key_file == NULL && config != NULL)
    key_file = wk_config_get_string (config, "keys", "file");
  keys = wk_keys_load (key_file, &error);
  if (keys == NULL)
    wk_cli_fail ("%s", error->message);
  return keys;
}

static void
print_next_steps (const char *path, const char *key_id)
{
  printf ("Created the wardkeep master key %s\n"
          "(32 random bytes, permissions 0600, key id %s).\n\n",
          path, key_id);
  printf ("Losing this key makes every snapshot and every chart QR code made with it\n"
          "unreadable, and a new key cannot read them: keep a copy in the hospital's key\n"
          "escrow, labelled with the ward and the key id %s.\n\n",
          key_id);
  printf ("Next steps:\n"
          "  1. Seal it for the services with systemd credentials: bound to this machine's\n"
          "     TPM2 chip where it has one, else to its host key file\n"
          "     (/var/lib/systemd/credential.secret):\n"
          "       systemd-creds encrypt --name=wardkeep.key --with-key=auto %s \\\n"
          "           /etc/credstore.encrypted/wardkeep.key\n"
          "     The packaged units wardkeepd.service and wardkeep-kiosk.service load it from\n"
          "     there as their credential wardkeep.key (LoadCredentialEncrypted=wardkeep.key).\n"
          "     Then start the daemon with the key:\n"
          "       systemctl restart wardkeepd\n"
          "  2. Give pharmacy the public key that verifies printed charts:\n"
          "       wardkeep key public --file %s\n"
          "  3. Once the escrow copy is safe, remove the plain file: shred -u %s\n"
          "     (To keep a key file instead of sealing it, chown wardkeep:wardkeep %s and keep\n"
          "     it at permissions 0600 or 0400: then only the daemon can read it, not the\n"
          "     kiosk's screen, which runs as another user.)\n",
          path, path, path, path);
}

static int
key_init (WkConfig *config, const char *key_file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  const char *path = key_file != NULL ? key_file : wk_config_get_string (config, "keys", "file");

  if (!wk_keys_create_file (path, &error))
    return wk_cli_fail ("%s", error->message);
  /* Read back the file just made, not a credential this shell may also have. */
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  keys = wk_keys_load (path, &error);
  if (keys == NULL)
    return wk_cli_fail ("%s", error->message);
  print_next_steps (path, wk_keys_get_key_id (keys));
  return WK_CLI_EXIT_OK;
}

static int
key_public (WkConfig *config, const char *key_file)
{
  g_autoptr (WkKeys) keys = wk_cli_load_keys (config, key_file);
  char hex[WK_KEYS_PUBLIC_KEY_SIZE * 2 + 1];

  if (keys == NULL)
    return WK_CLI_EXIT_FAILED;
  sodium_bin2hex (hex, sizeof hex, wk_keys_get_public_key (keys), WK_KEYS_PUBLIC_KEY_SIZE);
  printf ("%s\n", hex);
  return WK_CLI_EXIT_OK;
}

/**
 * wk_cli_key:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "key"
 *
 * `key init` creates a new master key file (never over an existing one) and says what
 * to do next; `key public` prints the Ed25519 public key, in hex, that verifies the QR
 * codes on this kiosk's charts.
 *
 * Returns: an exit status
 */
int
wk_cli_key (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *key_file = NULL;
  g_autoptr (WkConfig) config = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The configuration file (default " WK_CONFIG_DEFAULT_PATH ")", "FILE" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &key_file,
      "The key file, instead of the configuration's [keys] file", "PATH" },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("init|public");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context, "init: create the kiosk's master key file, and say how to provision it.\n"
               "public: print the public key (hex) that verifies this kiosk's chart QR codes.");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 2)
    return wk_cli_usage ("key", "expected one action, init or public");
  if (strcmp (argv[1], "init") != 0 && strcmp (argv[1], "public") != 0)
    return wk_cli_usage ("key", "unknown action \"%s\"; expected init or public", argv[1]);

  /* The key file comes from the configuration unless --file names it. */
  if (key_file == NULL)
    {
      config = wk_cli_load_config (config_path);
      if (config == NULL)
        return WK_CLI_EXIT_FAILED;
    }
  if (strcmp (argv[1], "init") == 0)
    return key_init (config, key_file);
  return key_public (config, key_file);
}
