/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-nhs-number.c — NHS number validation (modulus 11) and 3-3-4 formatting. */

#include "wk-nhs-number.h"

#include "wk-snapshot-error.h"

#include <string.h>

/**
 * wk_nhs_number_validate:
 * @digits: the number as ten digits, without spaces
 * @error: return location for a #GError
 *
 * Checks an NHS number: exactly ten digits whose last is the modulus 11 check digit of
 * the first nine (weights 10 down to 2). A number whose check digit would be 10 is never
 * issued and is refused. Messages say what is wrong without repeating the number.
 *
 * Returns: %TRUE when valid; %FALSE with %WK_SNAPSHOT_ERROR_INVALID otherwise
 */
gboolean
wk_nhs_number_validate (const char *digits, GError **error)
{
  gsize len;
  int   sum = 0, check;

  if (digits == NULL || *digits == '\0')
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An NHS number is ten digits; this one is empty");
      return FALSE;
    }
  for (len = 0; digits[len] != '\0'; len++)
    if (!g_ascii_isdigit (digits[len]))
      {
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                     "An NHS number is ten digits; character %zu is not a digit", len + 1);
        return FALSE;
      }
  if (len != 10)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An NHS number is ten digits; this one has %zu", len);
      return FALSE;
    }

  for (int i = 0; i < 9; i++)
    sum += (digits[i] - '0') * (10 - i);
  check = 11 - sum % 11;
  if (check == 11)
    check = 0;
  if (check == 10)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Not a valid NHS number: its first nine digits give check digit 10, which "
                   "is never issued");
      return FALSE;
    }
  if (check != digits[9] - '0')
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Not a valid NHS number: the check digit (the last) does not match the "
                   "first nine digits; check for a mistyped digit");
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_nhs_number_normalize:
 * @text: an NHS number as typed or printed: ten digits, or 3-3-4 groups separated by
 *   single spaces or hyphens ("999 123 4560", "999-123-4560")
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the ten digits of a valid number, or %NULL with
 *   %WK_SNAPSHOT_ERROR_INVALID
 */
char *
wk_nhs_number_normalize (const char *text, GError **error)
{
  char             digits[11];
  gsize            len;
  g_autofree char *trimmed = NULL;

  if (text == NULL)
    {
      wk_nhs_number_validate (NULL, error);
      return NULL;
    }
  trimmed = g_strstrip (g_strdup (text));
  len = strlen (trimmed);

  /* Grouped 3-3-4: the separators must be where the groups end, and the same. */
  if (len == 12)
    {
      char sep = trimmed[3];

      if ((sep == ' ' || sep == '-') && trimmed[7] == sep)
        {
          memcpy (digits, trimmed, 3);
          memcpy (digits + 3, trimmed + 4, 3);
          memcpy (digits + 6, trimmed + 8, 4);
          digits[10] = '\0';
          if (!wk_nhs_number_validate (digits, error))
            return NULL;
          return g_strdup (digits);
        }
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An NHS number is ten digits, grouped 3-3-4 with spaces or hyphens");
      return NULL;
    }
  if (!wk_nhs_number_validate (trimmed, error))
    return NULL;
  return g_steal_pointer (&trimmed);
}

/**
 * wk_nhs_number_format:
 * @digits: ten digits
 *
 * Formats an NHS number for people, in 3-3-4 groups: "999 123 4560".
 *
 * Returns: (transfer full): the formatted number; @digits unchanged when it is not ten
 *   digits
 */
char *
wk_nhs_number_format (const char *digits)
{
  g_return_val_if_fail (digits != NULL, NULL);

  if (strlen (digits) != 10 || strspn (digits, "0123456789") != 10)
    return g_strdup (digits);
  return g_strdup_printf ("%.3s %.3s %.4s", digits, digits + 3, digits + 6);
}

/**
 * wk_nhs_number_is_test_range:
 * @digits: ten digits
 *
 * Returns: whether the number is in the 999 range reserved for test data
 */
gboolean
wk_nhs_number_is_test_range (const char *digits)
{
  return digits != NULL && g_str_has_prefix (digits, "999");
}
