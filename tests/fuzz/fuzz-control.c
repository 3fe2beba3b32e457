/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-control.c — libFuzzer target for the control protocol's framing and parsing: the
 * bytes a client (or anything that can open the socket) sends the daemon, and the lines a
 * client reads back. The first byte picks the chunk size the stream is cut into and a small
 * line limit, so that lines split across reads and over-long lines are both explored. Any
 * input must give requests, messages or clear errors — never a crash, leak or sanitizer
 * report — and a request that parses must survive being written out and read back. */

#include "wk-control.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_request (const char *line, gsize length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) id = NULL;
  g_autoptr (WkControlRequest) request = wk_control_request_parse (line, length, &id, &error);
  g_autoptr (WkControlRequest) again = NULL;
  g_autofree char *written = NULL;
  const char      *text = NULL;
  gint64           number = 0;
  gboolean         flag = FALSE;

  if (request == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == WK_CONTROL_ERROR);
      g_assert_cmpint (error->code, ==, WK_CONTROL_ERROR_BAD_REQUEST);
      return;
    }
  g_assert_null (id);
  g_assert_nonnull (request->params);
  /* The parameter readers take any value without harm. */
  wk_control_params_get_string (request->params, "who", FALSE, &text, NULL);
  wk_control_params_get_string (request->params, "reason", TRUE, &text, NULL);
  wk_control_params_get_int (request->params, "patient", FALSE, &number, NULL);
  wk_control_params_get_boolean (request->params, "print", FALSE, &flag, NULL);

  written = wk_control_request_to_line (request->id, request->method, request->params);
  g_assert_true (g_str_has_suffix (written, "\n"));
  again = wk_control_request_parse (written, strlen (written) - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->method, ==, request->method);
  g_assert_true ((again->id == NULL) == (request->id == NULL));
}

static void
check_message (const char *line, gsize length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkControlMessage) message = wk_control_message_parse (line, length, &error);

  if (message == NULL)
    {
      g_assert_error (error, WK_CONTROL_ERROR, WK_CONTROL_ERROR_PROTOCOL);
      return;
    }
  switch (message->kind)
    {
    case WK_CONTROL_MESSAGE_RESULT:
      g_assert_nonnull (message->result);
      break;
    case WK_CONTROL_MESSAGE_ERROR:
      g_assert_nonnull (message->error);
      g_assert_cmpint (message->error->code, <=, WK_CONTROL_ERROR_FAILED);
      break;
    case WK_CONTROL_MESSAGE_EVENT:
      g_assert_nonnull (message->event);
      g_assert_nonnull (message->params);
      break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (WkControlFramer) framer = NULL;
  gsize    chunk, limit;
  gboolean ok = TRUE;
  char    *line;
  gsize    length;

  if (size < 1)
    return 0;
  chunk = 1 + (data[0] & 0x0f) * 7;
  limit = data[0] & 0x80 ? 64 + (data[0] & 0x70) : WK_CONTROL_MAX_LINE;
  framer = wk_control_framer_new (limit);
  data++;
  size--;

  while (size > 0 && ok)
    {
      gsize n = MIN (chunk, size);

      ok = wk_control_framer_push (framer, data, n, NULL);
      data += n;
      size -= n;
      while ((line = wk_control_framer_pop (framer, &length)) != NULL)
        {
          g_assert_cmpuint (length, <=, limit);
          g_assert_null (memchr (line, '\n', length));
          check_request (line, length);
          check_message (line, length);
          g_free (line);
        }
    }
  return 0;
}
