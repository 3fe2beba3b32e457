/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-verify-qr.c — `wardkeep verify-qr`: what a printed chart page held, and whether
 * its code is genuine. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-chart-payload.h"
#include "wk-cli.h"
#include "wk-keys.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Reads a code's text from standard input, as a scanner or `zbarimg --raw` gives it. */
static char *
read_stdin (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  char   buffer[4096];
  size_t n;

  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0 && text->len < 64 * 1024)
    g_string_append_len (text, buffer, n);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * wk_cli_verify_qr:
 * @argc: the arguments after "wardkeep"
 * @argv: the arguments after "wardkeep"; argv[0] is "verify-qr"
 *
 * Checks a chart page's QR code against trusted public keys (given with --public-key,
 * else the kiosk's own key from its configuration) and prints what the page held, or
 * why the code is refused.
 *
 * Returns: 0 when the code is genuine, 1 when it is refused, 2 for a usage error
 */
int
wk_cli_verify_qr (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_auto (GStrv) hex_keys = NULL;
  GOptionEntry entries[] = {
    { "public-key", 'k', 0, G_OPTION_ARG_STRING_ARRAY, &hex_keys,
      "A trusted kiosk public key, 64 hex digits (repeat for several kiosks)", "HEX" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "The configuration whose kiosk key is trusted when no --public-key is given "
      "(default " WK_CONFIG_DEFAULT_PATH ")",
      "FILE" },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("PAYLOAD");
  g_autoptr (GByteArray) trusted = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartPayload) payload = NULL;
  g_autofree char *text = NULL;
  g_autofree char *described = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context, "Prints what a printed chart page held and whether its QR code was signed by a "
               "trusted kiosk.\nPAYLOAD is the code's text as a scanner reads it (it starts "
               "with \"WK:\"; quote it), or - to read it from standard input, e.g.\n"
               "  zbarimg --raw -q -Sbinary page.png | wardkeep verify-qr -");
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 2)
    return wk_cli_usage ("verify-qr", "expected one PAYLOAD (the code's text, or -)");

  /* Trusted keys: those given, else this kiosk's own. */
  for (guint i = 0; hex_keys != NULL && hex_keys[i] != NULL; i++)
    {
      guint8 key[WK_KEYS_PUBLIC_KEY_SIZE];
      size_t n = 0;

      if (strlen (hex_keys[i]) != 2 * WK_KEYS_PUBLIC_KEY_SIZE
          || sodium_hex2bin (key, sizeof key, hex_keys[i], strlen (hex_keys[i]), NULL, &n, NULL)
                 != 0
          || n != sizeof key)
        return wk_cli_usage ("verify-qr",
                             "--public-key \"%s\" is not a public key: expected the 64 hex "
                             "digits of the printing kiosk's public key",
                             hex_keys[i]);
      g_byte_array_append (trusted, key, sizeof key);
    }
  if (trusted->len == 0)
    {
      g_autoptr (WkConfig) config = wk_cli_load_config (config_path);
      g_autoptr (WkKeys) keys = NULL;

      if (config == NULL)
        return WK_CLI_EXIT_FAILED;
      keys = wk_keys_load (wk_config_get_string (config, "keys", "file"), &error);
      if (keys == NULL)
        return wk_cli_fail ("cannot load this kiosk's key to check the code with: %s. Give the "
                            "printing kiosk's public key with --public-key HEX",
                            error->message);
      g_byte_array_append (trusted, wk_keys_get_public_key (keys), WK_KEYS_PUBLIC_KEY_SIZE);
    }

  text = strcmp (argv[1], "-") == 0 ? read_stdin () : g_strdup (argv[1]);
  payload = wk_chart_payload_decode (text, -1, trusted->data,
                                     trusted->len / WK_KEYS_PUBLIC_KEY_SIZE, &error);
  if (payload == NULL)
    return wk_cli_fail ("verify-qr: refused: %s", error->message);

  described = wk_chart_payload_to_text (payload);
  printf ("%s", described);
  printf ("signature valid, key %s\n", payload->key_id);
  if (payload->drill)
    printf ("This page was printed in a DRILL: it is not a clinical record.\n");
  return WK_CLI_EXIT_OK;
}
