/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-cli-kiosk.c — `wardkeep kiosk hash-pin`: the configuration line of a kiosk PIN. */

#define G_LOG_DOMAIN "wardkeep"

#include "wk-cli.h"
#include "wk-pin-guard.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PIN_BUFFER 64

/* Reads one line into @buf (at most @size - 1 bytes, newline dropped); with @prompt on a
 * terminal, without echo. Returns FALSE at end of input. */
static gboolean
read_pin (const char *prompt, char *buf, gsize size)
{
  gboolean       tty = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  gboolean       got;
  gsize          len;

  if (tty)
    {
      fprintf (stderr, "%s", prompt);
      fflush (stderr);
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO | ECHONL);
          tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
        }
      else
        tty = FALSE;
    }
  got = fgets (buf, size, stdin) != NULL;
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      fprintf (stderr, "\n");
    }
  if (!got)
    return FALSE;
  len = strlen (buf);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return TRUE;
}

static int
hash_pin (gboolean admin)
{
  char *pin = sodium_malloc (PIN_BUFFER);
  char *again = sodium_malloc (PIN_BUFFER);
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;
  int              status = WK_CLI_EXIT_OK;

  g_assert (pin != NULL && again != NULL);
  if (!read_pin (admin ? "New admin PIN (4 to 12 digits): " : "New ward PIN (4 to 12 digits): ",
                 pin, PIN_BUFFER))
    status = wk_cli_fail ("no PIN given on standard input");
  else if (!wk_pin_is_well_formed (pin, &error))
    status = wk_cli_fail ("%s", error->message);
  else if (isatty (STDIN_FILENO)
           && (!read_pin ("The same PIN again: ", again, PIN_BUFFER) || strcmp (pin, again) != 0))
    status = wk_cli_fail ("the two PINs differ; nothing was changed");
  else if ((hash = wk_pin_hash (pin, &error)) == NULL)
    status = wk_cli_fail ("%s", error->message);
  else
    {
      printf ("%s = %s\n", admin ? "admin-pin" : "ward-pin", hash);
      if (isatty (STDOUT_FILENO))
        fprintf (stderr, "Put this line in the [kiosk] group of the configuration (it is a hash, "
                         "not the PIN), then restart the kiosk.\n");
    }
  sodium_free (pin);
  sodium_free (again);
  return status;
}

/**
 * wk_cli_kiosk:
 * @argc: the arguments' count
 * @argv: `kiosk hash-pin [--admin]`
 *
 * Returns: the exit status
 */
int
wk_cli_kiosk (int argc, char **argv)
{
  gboolean     admin = FALSE;
  GOptionEntry entries[] = {
    { "admin", 0, 0, G_OPTION_ARG_NONE, &admin, "Hash the admin PIN (downtime and drills)", NULL },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("hash-pin");

  g_option_context_set_summary (
      context, "Prints the [kiosk] configuration line of a ward PIN (or, with --admin, the admin\n"
               "PIN): an Argon2id hash. The PIN is read without echo from the terminal, twice,\n"
               "or as one line from standard input.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!wk_cli_parse (context, &argc, &argv))
    return WK_CLI_EXIT_USAGE;
  if (argc != 2 || strcmp (argv[1], "hash-pin") != 0)
    return wk_cli_usage ("kiosk", "expected 'hash-pin'");
  if (sodium_init () < 0)
    return wk_cli_fail ("libsodium cannot start");
  return hash_pin (admin);
}
