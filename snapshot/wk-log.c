/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-log.c — structured logging to journald or stderr, with patient identifiers kept out.
 *
 * The rule: no log line carries a patient identifier or clinical detail; code logs the
 * model's ids (patient #12) instead, and tests/lint-log-fields.sh refuses log calls that
 * pass patient fields. As a last line of defence this writer replaces anything shaped
 * like an NHS number (ten digits, or 3-3-4 groups) before it is written anywhere, so log
 * times as ISO 8601 text, never as ten-digit epoch seconds. */

#include "wk-log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REDACTED "[redacted]"

static char        *log_program;
static WkLogTapFunc tap_func;
static gpointer     tap_data;

static gboolean
is_digit_at (const char *s, gsize len, gsize i)
{
  return i < len && g_ascii_isdigit (s[i]);
}

/* Length of an NHS-number-shaped token at @i (which starts a digit run), or 0. */
static gsize
nhs_shape_at (const char *s, gsize len, gsize i)
{
  gsize run = 0;

  while (is_digit_at (s, len, i + run))
    run++;
  if (run == 10)
    return 10;
  /* 3-3-4 with the same single separator: "999 123 4560", "999-123-4560". */
  if (run == 3 && i + 12 <= len && (s[i + 3] == ' ' || s[i + 3] == '-') && s[i + 7] == s[i + 3])
    {
      for (gsize k = 4; k < 7; k++)
        if (!g_ascii_isdigit (s[i + k]))
          return 0;
      for (gsize k = 8; k < 12; k++)
        if (!g_ascii_isdigit (s[i + k]))
          return 0;
      if (!is_digit_at (s, len, i + 12))
        return 12;
    }
  return 0;
}

/**
 * wk_log_redact:
 * @message: a log message
 *
 * Replaces every token shaped like an NHS number with "[redacted]".
 *
 * Returns: (transfer full): the redacted message
 */
char *
wk_log_redact (const char *message)
{
  GString *out;
  gsize    len, i = 0;

  g_return_val_if_fail (message != NULL, NULL);

  len = strlen (message);
  out = g_string_sized_new (len);
  while (i < len)
    {
      gsize shape;

      if (!g_ascii_isdigit (message[i]) || (i > 0 && g_ascii_isdigit (message[i - 1])))
        {
          g_string_append_c (out, message[i++]);
          continue;
        }
      shape = nhs_shape_at (message, len, i);
      if (shape > 0)
        {
          g_string_append (out, REDACTED);
          i += shape;
          continue;
        }
      while (i < len && g_ascii_isdigit (message[i]))
        g_string_append_c (out, message[i++]);
    }
  return g_string_free (out, FALSE);
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GLogField       *copy = g_newa (GLogField, n_fields + 1);
  g_autofree char *redacted = NULL;
  const char      *domain = NULL;
  gsize            n = 0;

  for (gsize i = 0; i < n_fields; i++)
    {
      copy[n] = fields[i];
      if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
        {
          redacted = wk_log_redact (fields[i].value);
          copy[n].value = redacted;
        }
      else if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
        domain = fields[i].value;
      n++;
    }
  if (log_program != NULL)
    copy[n++] = (GLogField){ "SYSLOG_IDENTIFIER", log_program, -1 };

  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (tap_func != NULL && redacted != NULL)
    tap_func (level, domain, redacted, tap_data);
  if (g_log_writer_is_journald (fileno (stderr))
      && g_log_writer_journald (level, copy, n, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, copy, n, user_data);
}

/**
 * wk_log_init:
 * @program: the program's name, as journald should show it
 *
 * Sends all GLib logging through wardkeep's writer: journald when the program runs
 * under systemd, stderr otherwise, with NHS-number-shaped text redacted. Call once, at
 * the start of main().
 */
void
wk_log_init (const char *program)
{
  g_return_if_fail (log_program == NULL);

  log_program = g_strdup (program);
  g_log_set_writer_func (writer, NULL, NULL);
}

/**
 * wk_log_set_debug:
 * @debug: whether to write debug and info messages
 *
 * Turns tracing on or off (the `[log] level` setting); `G_MESSAGES_DEBUG` also turns it on.
 */
void
wk_log_set_debug (gboolean debug)
{
  g_log_set_debug_enabled (debug);
}

/**
 * wk_log_set_tap:
 * @func: (nullable): called with every message written
 * @user_data: passed to @func
 *
 * Sets the one function that sees every message after redaction.
 */
void
wk_log_set_tap (WkLogTapFunc func, gpointer user_data)
{
  tap_func = func;
  tap_data = user_data;
}
