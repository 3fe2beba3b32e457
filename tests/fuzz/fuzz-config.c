/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-config.c — libFuzzer target for the text parsers of the foundation: the
 * configuration file, durations and NHS numbers. Any input must give a value or a clear
 * error, never a crash, leak or sanitizer report. */

#include "wk-config.h"
#include "wk-nhs-number.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *)data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = NULL;
  g_autofree char *digits = NULL;
  gint64           ms;

  config = wk_config_load_from_data ((const char *)data, size, "fuzz.conf", &error);
  g_assert ((config == NULL) != (error == NULL));
  if (config != NULL)
    {
      /* A loaded configuration answers every getter. */
      g_auto (GStrv) printers = wk_config_dup_instances (config, "printer");

      g_assert_nonnull (wk_config_get_string (config, "ward", "id"));
      (void)wk_config_get_duration_ms (config, "snapshot", "debounce");
      for (guint i = 0; printers[i] != NULL; i++)
        {
          g_autofree char *group = g_strconcat ("printer ", printers[i], NULL);

          g_assert_nonnull (wk_config_get_string (config, group, "uri"));
        }
    }
  g_clear_error (&error);

  if (!wk_config_parse_duration (text, &ms, &error))
    g_assert_nonnull (error);
  g_clear_error (&error);
  digits = wk_nhs_number_normalize (text, &error);
  g_assert ((digits == NULL) != (error == NULL));
  return 0;
}
