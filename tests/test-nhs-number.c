/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-nhs-number.c — NHS number rules: modulus 11, the check digit 10, 3-3-4 format. */

#include "wk-nhs-number.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"

#include <string.h>

static void
test_valid (void)
{
  /* 999 000 001 8: 9x10 + 9x9 + 9x8 + 1x2 = 245; 245 mod 11 = 3; 11 - 3 = 8. */
  g_assert_true (wk_nhs_number_validate ("9990000018", NULL));
  /* Check digit 11 becomes 0. */
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *number = wk_test_nhs_number (i);
      g_autoptr (GError) error = NULL;

      g_assert_true (wk_nhs_number_validate (number, &error));
      g_assert_no_error (error);
      g_assert_true (wk_nhs_number_is_test_range (number));
    }
}

static void
test_invalid (void)
{
  const struct
  {
    const char *number;
    const char *reason;
  } cases[] = {
    { "9990000019", "check digit" },    /* last digit mistyped */
    { "9990000108", "check digit" },    /* two digits swapped */
    { "9990000000", "check digit 10" }, /* 999000000 gives 10: never issued */
    { "999000001", "has 9" },           /* too short */
    { "99900000180", "has 11" },        /* too long */
    { "999000001X", "character 10" },   /* not a digit */
    { "999 000 0018", "character 4" },  /* spaces are for people, not validate() */
    { "", "empty" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (wk_nhs_number_validate (cases[i].number, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].reason));
      /* A message may be logged: it never repeats the number. */
      if (strlen (cases[i].number) >= 9)
        g_assert_null (strstr (error->message, cases[i].number));
    }
  g_assert_false (wk_nhs_number_validate (NULL, NULL));
}

static void
test_normalize (void)
{
  const char *accepted[] = { "9990000018", "999 000 0018", "999-000-0018", "  999 000 0018\n" };
  const char *refused[]
      = { "999 0000018", "999-000 0018", "99 9000 0018", "999 000 0019", "999  000 0018" };

  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *digits = wk_nhs_number_normalize (accepted[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (digits, ==, "9990000018");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *digits = wk_nhs_number_normalize (refused[i], &error);

      g_assert_null (digits);
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
    }
}

static void
test_format (void)
{
  g_autofree char *formatted = wk_nhs_number_format ("9990000018");
  g_autofree char *untouched = wk_nhs_number_format ("12345");

  g_assert_cmpstr (formatted, ==, "999 000 0018");
  g_assert_cmpstr (untouched, ==, "12345");
  g_assert_false (wk_nhs_number_is_test_range ("1000000000"));
  g_assert_true (wk_nhs_number_is_test_range ("9990000018"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/nhs-number/valid", test_valid);
  g_test_add_func ("/nhs-number/invalid", test_invalid);
  g_test_add_func ("/nhs-number/normalize", test_normalize);
  g_test_add_func ("/nhs-number/format", test_format);

  return g_test_run ();
}
