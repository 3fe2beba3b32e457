/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-scanner-wedge.c — tells a USB barcode scanner's keystrokes from a person's typing. */

#include "wk-scanner-wedge.h"

#include <string.h>

#define PREFIX "WK:"
/* No chart code is longer: a QR code of version 40 holds 4296 alphanumeric characters. */
#define MAX_CODE 4400

struct _WkScannerWedge
{
  gint64   max_gap_us;
  GString *held;    /* the keys held back: the burst so far */
  gint64   last_us; /* when the last held key came */
};

/**
 * wk_scanner_wedge_new:
 * @max_gap_us: the longest gap between two keys of a scan; 0 for the default
 *   (%WK_SCANNER_WEDGE_MAX_GAP_US)
 *
 * Returns: (transfer full): a wedge watching nothing yet
 */
WkScannerWedge *
wk_scanner_wedge_new (gint64 max_gap_us)
{
  WkScannerWedge *wedge = g_new0 (WkScannerWedge, 1);

  wedge->max_gap_us = max_gap_us > 0 ? max_gap_us : WK_SCANNER_WEDGE_MAX_GAP_US;
  wedge->held = g_string_new (NULL);
  return wedge;
}

/**
 * wk_scanner_wedge_free:
 * @wedge: (nullable) (transfer full): a #WkScannerWedge
 */
void
wk_scanner_wedge_free (WkScannerWedge *wedge)
{
  if (wedge == NULL)
    return;
  /* A code held is patient data. */
  memset (wedge->held->str, 0, wedge->held->len);
  g_string_free (wedge->held, TRUE);
  g_free (wedge);
}

/* The characters a chart code's text may hold: the prefix, then Base45. */
static gboolean
is_code_character (gunichar c)
{
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
         || (c != 0 && strchr (" $%*+-./:", c) != NULL);
}

/* Gives back what was held (it was typing), and starts again. */
static char *
give_back (WkScannerWedge *wedge)
{
  char *text = g_strndup (wedge->held->str, wedge->held->len);

  memset (wedge->held->str, 0, wedge->held->len);
  g_string_truncate (wedge->held, 0);
  return text;
}

/**
 * wk_scanner_wedge_key:
 * @wedge: a #WkScannerWedge
 * @character: the key's character, 0 for a key that types none (a modifier, an arrow)
 * @enter: whether the key is Enter (Return, or keypad Enter)
 * @time_us: when it came (monotonic microseconds, the event's time)
 * @given_back: (out) (transfer full) (optional): when the result is
 *   %WK_SCANNER_WEDGE_PASS, the keys held back before this one that were typing after all
 *   (to type before it); %NULL when none
 * @code: (out) (transfer full) (optional): when the result is %WK_SCANNER_WEDGE_CODE, the
 *   scanned code's text (without the Enter)
 *
 * Returns: what to do with the key
 */
WkScannerWedgeResult
wk_scanner_wedge_key (WkScannerWedge *wedge,
                      gunichar        character,
                      gboolean        enter,
                      gint64          time_us,
                      char          **given_back,
                      char          **code)
{
  gboolean in_time;

  if (given_back != NULL)
    *given_back = NULL;
  if (code != NULL)
    *code = NULL;
  if (character == 0 && !enter)
    {
      /* Shift and the like come between a scanner's characters too: no decision. */
      return wedge->held->len > 0 ? WK_SCANNER_WEDGE_HELD : WK_SCANNER_WEDGE_PASS;
    }
  in_time = wedge->held->len > 0 && time_us - wedge->last_us <= wedge->max_gap_us;

  if (wedge->held->len > 0 && !in_time)
    {
      /* Too slow: what was held was typed by a person. This key starts afresh. */
      g_autofree char *back = give_back (wedge);

      if (given_back != NULL)
        *given_back = g_steal_pointer (&back);
    }

  if (enter)
    {
      if (wedge->held->len > strlen (PREFIX))
        {
          char *text = give_back (wedge);

          if (code != NULL)
            *code = text;
          else
            g_free (text);
          return WK_SCANNER_WEDGE_CODE;
        }
      if (wedge->held->len > 0)
        {
          char *back = give_back (wedge);

          if (given_back != NULL)
            *given_back = back;
          else
            g_free (back);
        }
      return WK_SCANNER_WEDGE_PASS;
    }

  /* Held while it can still be the start of a code, and while every key comes in time. */
  if (wedge->held->len < strlen (PREFIX)
          ? (gunichar)PREFIX[wedge->held->len] == character
          : is_code_character (character) && wedge->held->len < MAX_CODE)
    {
      g_string_append_unichar (wedge->held, character);
      wedge->last_us = time_us;
      return WK_SCANNER_WEDGE_HELD;
    }
  if (wedge->held->len > 0)
    {
      char *back = give_back (wedge);

      if (given_back != NULL && *given_back != NULL)
        {
          char *both = g_strconcat (*given_back, back, NULL);

          g_free (*given_back);
          g_free (back);
          *given_back = both;
        }
      else if (given_back != NULL)
        *given_back = back;
      else
        g_free (back);
    }
  return WK_SCANNER_WEDGE_PASS;
}

/**
 * wk_scanner_wedge_get_deadline:
 * @wedge: a #WkScannerWedge
 *
 * Returns: when the keys held must be given back if no key comes (monotonic
 *   microseconds), or 0 when nothing is held
 */
gint64
wk_scanner_wedge_get_deadline (WkScannerWedge *wedge)
{
  return wedge->held->len > 0 ? wedge->last_us + wedge->max_gap_us : 0;
}

/**
 * wk_scanner_wedge_timeout:
 * @wedge: a #WkScannerWedge
 * @time_us: the time now (monotonic microseconds)
 *
 * Gives back the held keys once no key came in time: a person typed them.
 *
 * Returns: (transfer full) (nullable): the keys to type, or %NULL when there are none or
 *   the deadline has not passed
 */
char *
wk_scanner_wedge_timeout (WkScannerWedge *wedge, gint64 time_us)
{
  if (wedge->held->len == 0 || time_us - wedge->last_us <= wedge->max_gap_us)
    return NULL;
  return give_back (wedge);
}
