/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-id.c — chart ids: eight Crockford base32 characters staff can read aloud.
 *
 * Staff write a chart's id on paper and read it over the phone, so ids use Crockford's
 * base32: digits and capitals without I, L, O and U, and typing is forgiving (lowercase,
 * O for 0, I or L for 1, hyphens and spaces ignored). 40 random bits make a collision
 * between two charts of one hospital vanishingly unlikely. */

#include "wk-chart-id.h"

#include "wk-print-error.h"

#include <sodium.h>
#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * wk_chart_id_new:
 *
 * Returns: (transfer full): a new random chart id, eight characters ("7KQ2M9XD")
 */
char *
wk_chart_id_new (void)
{
  guint8 bytes[WK_CHART_ID_SIZE];

  /* randombytes_buf() opens its source itself when sodium_init() could not. */
  if (sodium_init () < 0)
    g_warning ("libsodium could not be initialised; chart ids use its random source anyway");
  randombytes_buf (bytes, sizeof bytes);
  return wk_chart_id_from_bytes (bytes);
}

/**
 * wk_chart_id_from_bytes:
 * @bytes: 40 bits
 *
 * Returns: (transfer full): the chart id those bits spell
 */
char *
wk_chart_id_from_bytes (const guint8 bytes[WK_CHART_ID_SIZE])
{
  guint64 bits = 0;
  char   *id = g_malloc (WK_CHART_ID_LENGTH + 1);

  for (int i = 0; i < WK_CHART_ID_SIZE; i++)
    bits = bits << 8 | bytes[i];
  for (int i = WK_CHART_ID_LENGTH - 1; i >= 0; i--, bits >>= 5)
    id[i] = alphabet[bits & 31];
  id[WK_CHART_ID_LENGTH] = '\0';
  return id;
}

static int
value_of (char c)
{
  c = g_ascii_toupper (c);
  if (c == 'O')
    c = '0';
  else if (c == 'I' || c == 'L')
    c = '1';
  for (int i = 0; i < 32; i++)
    if (alphabet[i] == c)
      return i;
  return -1;
}

/**
 * wk_chart_id_to_bytes:
 * @id: a chart id in its normal form (wk_chart_id_normalize())
 * @bytes: (out): its 40 bits
 *
 * Returns: %TRUE when @id is a normal chart id
 */
gboolean
wk_chart_id_to_bytes (const char *id, guint8 bytes[WK_CHART_ID_SIZE])
{
  guint64 bits = 0;

  if (id == NULL || strlen (id) != WK_CHART_ID_LENGTH)
    return FALSE;
  for (int i = 0; i < WK_CHART_ID_LENGTH; i++)
    {
      const char *at = id[i] != '\0' ? strchr (alphabet, id[i]) : NULL;

      if (at == NULL)
        return FALSE;
      bits = bits << 5 | (guint64)(at - alphabet);
    }
  for (int i = WK_CHART_ID_SIZE - 1; i >= 0; i--, bits >>= 8)
    bytes[i] = bits & 0xff;
  return TRUE;
}

/**
 * wk_chart_id_normalize:
 * @text: a chart id as someone typed it ("7kq2-m9xd", "7KQ2 M9XD")
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the id in its normal form, or %NULL with
 *   %WK_PRINT_ERROR_INVALID saying what is wrong with it
 */
char *
wk_chart_id_normalize (const char *text, GError **error)
{
  g_autoptr (GString) id = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      int v;

      if (*p == '-' || *p == ' ')
        continue;
      v = value_of (*p);
      if (v < 0)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "A chart id has only digits and the letters A to Z without U; \"%c\" "
                       "is not one of them",
                       g_ascii_isprint (*p) ? *p : '?');
          return NULL;
        }
      g_string_append_c (id, alphabet[v]);
    }
  if (id->len != WK_CHART_ID_LENGTH)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "A chart id has %d characters (such as 7KQ2-M9XD), not %zu", WK_CHART_ID_LENGTH,
                   id->len);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&id), FALSE);
}

/**
 * wk_chart_id_format:
 * @id: a chart id in its normal form
 *
 * Returns: (transfer full): the id as people see it, in two groups of four ("7KQ2-M9XD")
 */
char *
wk_chart_id_format (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  if (strlen (id) != WK_CHART_ID_LENGTH)
    return g_strdup (id);
  return g_strdup_printf ("%.4s-%.4s", id, id + 4);
}
