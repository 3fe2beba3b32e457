/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-base45.c — Base45 (RFC 9285): binary as text in a QR code's alphanumeric mode.
 *
 * A QR code's alphanumeric mode stores 45 characters at 5.5 bits each; Base45 packs two
 * bytes into three of them, so binary costs about as much as in byte mode while the
 * symbol holds plain text that every scanner returns unchanged and that can be pasted
 * into a command line. */

#include "wk-base45.h"

#include "wk-print-error.h"

#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/**
 * wk_base45_encode:
 * @data: (array length=size): the bytes
 * @size: how many
 *
 * Returns: (transfer full): @data in Base45: three characters per two bytes, two for a
 *   last odd byte
 */
char *
wk_base45_encode (const guint8 *data, gsize size)
{
  char *text = g_malloc (size / 2 * 3 + (size % 2) * 2 + 1);
  char *p = text;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  for (gsize i = 0; i + 1 < size; i += 2)
    {
      guint n = data[i] * 256u + data[i + 1];

      *p++ = alphabet[n % 45];
      *p++ = alphabet[n / 45 % 45];
      *p++ = alphabet[n / 2025];
    }
  if (size % 2 == 1)
    {
      guint n = data[size - 1];

      *p++ = alphabet[n % 45];
      *p++ = alphabet[n / 45];
    }
  *p = '\0';
  return text;
}

static int
value_of (char c)
{
  const char *at = c != '\0' ? strchr (alphabet, c) : NULL;

  return at != NULL ? (int)(at - alphabet) : -1;
}

/**
 * wk_base45_decode:
 * @text: Base45 text
 * @length: its length in bytes
 * @size: (out): how many bytes were decoded
 * @error: return location for a #GError
 *
 * Decodes Base45. A length that leaves one character over (a group cut short) is refused
 * with %WK_PRINT_ERROR_TRUNCATED; a character outside the alphabet, or a group whose
 * value does not fit its bytes, with %WK_PRINT_ERROR_INVALID, naming its position.
 *
 * Returns: (transfer full) (array length=size): the bytes, or %NULL with @error set
 */
guint8 *
wk_base45_decode (const char *text, gsize length, gsize *size, GError **error)
{
  g_autofree guint8 *data = NULL;
  gsize              n = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (size != NULL, NULL);

  if (length % 3 == 1)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_TRUNCATED,
                   "The code's text ends in the middle of a group (%zu characters): it was cut "
                   "short",
                   length);
      return NULL;
    }
  data = g_malloc (length / 3 * 2 + 2);
  for (gsize i = 0; i < length; i += 3)
    {
      gsize group = MIN (3, length - i);
      guint value = 0, weight = 1, limit = group == 3 ? 65535 : 255;

      for (gsize k = 0; k < group; k++)
        {
          int v = value_of (text[i + k]);

          if (v < 0)
            {
              g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                           "Character %zu of the code's text is not Base45 (byte 0x%02x)",
                           i + k + 1, (guint8)text[i + k]);
              return NULL;
            }
          value += v * weight;
          weight *= 45;
        }
      if (value > limit)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "Characters %zu to %zu of the code's text are not valid Base45", i + 1,
                       i + group);
          return NULL;
        }
      if (group == 3)
        data[n++] = value >> 8;
      data[n++] = value & 0xff;
    }
  *size = n;
  return g_steal_pointer (&data);
}
