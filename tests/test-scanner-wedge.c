/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-scanner-wedge.c — a USB scanner's burst of keys told from a person typing. */

#include "wk-scanner-wedge.h"

#include <string.h>

#define MS 1000

/* A code as a wedge scanner types it: a key every 2 ms, then Enter. */
static const char code[] = "WK:1K9B*RXP$2.NBO/U3 4FM3-7%+C:Q";

typedef struct
{
  GString *typed; /* what reached the screen as typing, in order */
  char    *scanned;
  guint    held;
} Screen;

static void
screen_clear (Screen *screen)
{
  g_string_free (screen->typed, TRUE);
  g_free (screen->scanned);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Screen, screen_clear)

/* Feeds one key as the kiosk's key controller would, noting what it does with it. */
static WkScannerWedgeResult
press (WkScannerWedge *wedge, Screen *screen, gunichar c, gboolean enter, gint64 at)
{
  g_autofree char     *back = NULL;
  g_autofree char     *scanned = NULL;
  WkScannerWedgeResult result = wk_scanner_wedge_key (wedge, c, enter, at, &back, &scanned);

  if (back != NULL)
    g_string_append (screen->typed, back);
  switch (result)
    {
    case WK_SCANNER_WEDGE_PASS:
      if (enter)
        g_string_append_c (screen->typed, '\n');
      else if (c != 0)
        g_string_append_unichar (screen->typed, c);
      break;
    case WK_SCANNER_WEDGE_HELD:
      screen->held++;
      break;
    case WK_SCANNER_WEDGE_CODE:
      g_free (screen->scanned);
      screen->scanned = g_steal_pointer (&scanned);
      break;
    }
  return result;
}

static gint64
type_text (WkScannerWedge *wedge, Screen *screen, const char *text, gint64 at, gint64 gap)
{
  for (const char *p = text; *p != '\0'; p++, at += gap)
    press (wedge, screen, (guchar)*p, FALSE, at);
  return at;
}

static void
test_scanner_burst (void)
{
  g_autoptr (WkScannerWedge) wedge = wk_scanner_wedge_new (0);
  g_auto (Screen) screen = { g_string_new (NULL) };
  gint64 at = type_text (wedge, &screen, code, 1000 * MS, 2 * MS);

  g_assert_cmpint (press (wedge, &screen, 0, TRUE, at), ==, WK_SCANNER_WEDGE_CODE);
  g_assert_cmpstr (screen.scanned, ==, code);
  g_assert_cmpstr (screen.typed->str, ==, "");
  g_assert_cmpuint (screen.held, ==, strlen (code));
  /* Nothing is held afterwards: no timeout is due. */
  g_assert_cmpint (wk_scanner_wedge_get_deadline (wedge), ==, 0);
}

/* A person typing the same characters, 120 ms apart: all of it is typing. */
static void
test_person_typing (void)
{
  g_autoptr (WkScannerWedge) wedge = wk_scanner_wedge_new (0);
  g_auto (Screen) screen = { g_string_new (NULL) };
  gint64 at = type_text (wedge, &screen, "WK:1K9", 1000 * MS, 120 * MS);

  press (wedge, &screen, 0, TRUE, at);
  g_assert_null (screen.scanned);
  g_assert_cmpstr (screen.typed->str, ==, "WK:1K9\n");
}

/* A held key comes back when no next key comes in time. */
static void
test_timeout_gives_back (void)
{
  g_autoptr (WkScannerWedge) wedge = wk_scanner_wedge_new (0);
  g_auto (Screen) screen = { g_string_new (NULL) };
  g_autofree char *early = NULL;
  g_autofree char *late = NULL;

  g_assert_cmpint (press (wedge, &screen, 'W', FALSE, 1000 * MS), ==, WK_SCANNER_WEDGE_HELD);
  g_assert_cmpint (wk_scanner_wedge_get_deadline (wedge), ==,
                   1000 * MS + WK_SCANNER_WEDGE_MAX_GAP_US);
  early = wk_scanner_wedge_timeout (wedge, 1000 * MS + 10 * MS);
  g_assert_null (early);
  late = wk_scanner_wedge_timeout (wedge, 1000 * MS + 50 * MS);
  g_assert_cmpstr (late, ==, "W");
  g_assert_cmpint (wk_scanner_wedge_get_deadline (wedge), ==, 0);
}

/* Fast, but not a chart code: given back in order, with the key that told. */
static void
test_fast_but_not_ours (void)
{
  g_autoptr (WkScannerWedge) wedge = wk_scanner_wedge_new (0);
  g_auto (Screen) wrong_prefix = { g_string_new (NULL) };
  g_auto (Screen) lower_case = { g_string_new (NULL) };
  g_auto (Screen) too_short = { g_string_new (NULL) };
  g_autoptr (WkScannerWedge) second = wk_scanner_wedge_new (0);
  g_autoptr (WkScannerWedge) third = wk_scanner_wedge_new (0);
  gint64 at;

  /* A wristband's code: "WKX...". */
  at = type_text (wedge, &wrong_prefix, "WKX99", 0, 2 * MS);
  press (wedge, &wrong_prefix, 0, TRUE, at);
  g_assert_cmpstr (wrong_prefix.typed->str, ==, "WKX99\n");
  g_assert_null (wrong_prefix.scanned);
  /* A character no chart code has. */
  at = type_text (second, &lower_case, "WK:AbC", 0, 2 * MS);
  press (second, &lower_case, 0, TRUE, at);
  g_assert_cmpstr (lower_case.typed->str, ==, "WK:AbC\n");
  /* The prefix alone, then Enter. */
  at = type_text (third, &too_short, "WK:", 0, 2 * MS);
  press (third, &too_short, 0, TRUE, at);
  g_assert_cmpstr (too_short.typed->str, ==, "WK:\n");
  g_assert_null (too_short.scanned);
}

/* Shift presses between a scanner's keys change nothing; a pause mid-code is typing. */
static void
test_modifiers_and_pauses (void)
{
  g_autoptr (WkScannerWedge) wedge = wk_scanner_wedge_new (0);
  g_autoptr (WkScannerWedge) slow = wk_scanner_wedge_new (0);
  g_auto (Screen) screen = { g_string_new (NULL) };
  g_auto (Screen) paused = { g_string_new (NULL) };
  gint64 at = 0;

  for (const char *p = code; *p != '\0'; p++)
    {
      g_assert_cmpint (press (wedge, &screen, 0, FALSE, at), ==,
                       p == code ? WK_SCANNER_WEDGE_PASS : WK_SCANNER_WEDGE_HELD);
      press (wedge, &screen, (guchar)*p, FALSE, at + MS);
      at += 3 * MS;
    }
  press (wedge, &screen, 0, TRUE, at);
  g_assert_cmpstr (screen.scanned, ==, code);

  at = type_text (slow, &paused, "WK:12", 0, 2 * MS);
  at = type_text (slow, &paused, "34", at + 200 * MS, 2 * MS);
  press (slow, &paused, 0, TRUE, at);
  g_assert_null (paused.scanned);
  g_assert_cmpstr (paused.typed->str, ==, "WK:1234\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kiosk/wedge/scanner-burst", test_scanner_burst);
  g_test_add_func ("/kiosk/wedge/person-typing", test_person_typing);
  g_test_add_func ("/kiosk/wedge/timeout", test_timeout_gives_back);
  g_test_add_func ("/kiosk/wedge/fast-but-not-ours", test_fast_but_not_ours);
  g_test_add_func ("/kiosk/wedge/modifiers-and-pauses", test_modifiers_and_pauses);
  return g_test_run ();
}
