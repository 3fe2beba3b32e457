/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-format.c — times, ages and places in the words the ward's screens use.
 *
 * Times are the ward's local time, 24-hour, as on the paper charts; a time that is not
 * today carries its day, so that "03:12" is never mistaken for last night's. */

#include "wk-kiosk-format.h"

#include <glib/gi18n.h>
#include <stdio.h>

/**
 * wk_kiosk_format_clock:
 * @tz: the ward's time zone
 * @utc: a time (UTC seconds)
 * @now: the time now (UTC seconds)
 *
 * Returns: (transfer full): "03:12" today, "Sat 14 Mar 23:10" on another day
 */
char *
wk_kiosk_format_clock (GTimeZone *tz, gint64 utc, gint64 now)
{
  g_autoptr (GDateTime) t_utc = g_date_time_new_from_unix_utc (utc);
  g_autoptr (GDateTime) n_utc = g_date_time_new_from_unix_utc (now);
  g_autoptr (GDateTime) t = NULL;
  g_autoptr (GDateTime) n = NULL;

  if (t_utc == NULL || n_utc == NULL)
    return g_strdup ("--:--");
  t = g_date_time_to_timezone (t_utc, tz);
  n = g_date_time_to_timezone (n_utc, tz);
  if (g_date_time_get_year (t) == g_date_time_get_year (n)
      && g_date_time_get_day_of_year (t) == g_date_time_get_day_of_year (n))
    return g_date_time_format (t, "%H:%M");
  /* TRANSLATORS: a time on another day than today, as strftime writes it */
  return g_date_time_format (t, _ ("%a %d %b %H:%M"));
}

/**
 * wk_kiosk_format_duration:
 * @seconds: a length of time
 *
 * Returns: (transfer full): "40 s", "25 min", "1 h 05 min", "2 days 3 h"
 */
char *
wk_kiosk_format_duration (gint64 seconds)
{
  seconds = MAX (seconds, 0);
  if (seconds < 60)
    return g_strdup_printf (_ ("%d s"), (int)seconds);
  if (seconds < 3600)
    return g_strdup_printf (_ ("%d min"), (int)(seconds / 60));
  if (seconds < 86400)
    return g_strdup_printf (_ ("%d h %02d min"), (int)(seconds / 3600), (int)(seconds % 3600 / 60));
  return g_strdup_printf (g_dngettext (NULL, "%d day %d h", "%d days %d h", seconds / 86400),
                          (int)(seconds / 86400), (int)(seconds % 86400 / 3600));
}

/**
 * wk_kiosk_format_ago:
 * @seconds: how long ago
 *
 * Returns: (transfer full): "just now", "2 min ago", "1 h 05 min ago"
 */
char *
wk_kiosk_format_ago (gint64 seconds)
{
  g_autofree char *duration = NULL;

  if (seconds < 60)
    return g_strdup (_ ("just now"));
  duration = wk_kiosk_format_duration (seconds);
  /* TRANSLATORS: %s is a length of time, "25 min" */
  return g_strdup_printf (_ ("%s ago"), duration);
}

/**
 * wk_kiosk_format_birth_date:
 * @iso: (nullable): a date of birth, "YYYY-MM-DD"
 *
 * Returns: (transfer full) (nullable): "01 Jan 1930", %NULL when @iso is not a date
 */
char *
wk_kiosk_format_birth_date (const char *iso)
{
  int year, month, day;
  g_autoptr (GDateTime) date = NULL;

  if (iso == NULL || sscanf (iso, "%d-%d-%d", &year, &month, &day) != 3)
    return NULL;
  date = g_date_time_new_utc (year, month, day, 0, 0, 0);
  return date != NULL ? g_date_time_format (date, "%d %b %Y") : NULL;
}

/**
 * wk_kiosk_format_bay:
 * @bay: (nullable): a bay as the feed names it
 *
 * Returns: (transfer full): the bay as staff say it: "BAY1" is "Bay 1", "SIDE" is "Side
 *   rooms", anything else as it is; "No bay" for none
 */
char *
wk_kiosk_format_bay (const char *bay)
{
  if (bay == NULL || *bay == '\0')
    return g_strdup (_ ("No bay"));
  if (g_ascii_strncasecmp (bay, "BAY", 3) == 0 && bay[3] != '\0')
    {
      const char *rest = bay + 3;

      while (*rest == ' ')
        rest++;
      return g_strdup_printf (_ ("Bay %s"), rest);
    }
  if (g_ascii_strcasecmp (bay, "SIDE") == 0)
    return g_strdup (_ ("Side rooms"));
  return g_strdup (bay);
}

/**
 * wk_kiosk_format_location:
 * @bay: (nullable): the bay
 * @bed: (nullable): the bed; %NULL for a patient without a bed
 *
 * Returns: (transfer full): "Bay 1 · Bed 3", "Side rooms · Bed SR2", "No bed"
 */
char *
wk_kiosk_format_location (const char *bay, const char *bed)
{
  g_autofree char *bay_text = NULL;

  if (bed == NULL)
    return g_strdup (_ ("No bed"));
  if (bay == NULL || *bay == '\0')
    return g_strdup_printf (_ ("Bed %s"), bed);
  bay_text = wk_kiosk_format_bay (bay);
  return g_strdup_printf (_ ("%s · Bed %s"), bay_text, bed);
}
