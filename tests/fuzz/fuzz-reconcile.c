/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-reconcile.c — libFuzzer target for what a pharmacist types and a scanner sends
 * during reconciliation: times ("0800", "15 0800"), the [reconcile] lists (not-given
 * reasons, trusted keys), a whole entry against a returned chart of a real ward model,
 * and a scanner's keystrokes. Any input must give a value or a clear error, never a
 * crash, leak or sanitizer report, and a refused entry changes nothing. */

#include "wk-bed.h"
#include "wk-chart-renderer.h"
#include "wk-paper-entry.h"
#include "wk-reconcile.h"
#include "wk-scanner-wedge.h"
#include "wk-test-ward.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A returned chart on a ward model, made once. */
typedef struct
{
  WkModel     *model;
  WkReconcile *reconcile;
  char        *chart;
} Ward;

static Ward *
ward_get (void)
{
  static Ward *ward;

  if (ward == NULL)
    {
      g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
      g_autoptr (WkConfig) config
          = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "fuzz.conf", NULL);
      g_autoptr (WkChartRenderer) renderer = NULL;
      g_autoptr (WkChartDocument) document = NULL;
      WkChartOptions options;

      ward = g_new0 (Ward, 1);
      ward->model = wk_test_ward_new (1);
      ward->reconcile
          = wk_reconcile_new (ward->model, wk_reconcile_settings_new (config, keys, NULL), NULL);
      wk_test_chart_options (&options);
      renderer = wk_chart_renderer_new (&options, keys, NULL);
      {
        g_autoptr (WkBed) bed = wk_bed_load (ward->model, wk_test_ward_bed (ward->model, 0), NULL);

        document = wk_chart_renderer_render_chart (renderer, ward->model, bed->patient_id, NULL);
      }
      g_assert_nonnull (document);
      for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
        wk_reconcile_scan_free (
            wk_reconcile_scan (ward->reconcile, wk_chart_document_get_page_payload (document, p),
                               -1, "fuzz", WK_TEST_PRINTED_AT + 20 * 3600, NULL));
      ward->chart = g_strdup (wk_chart_document_get_id (document));
    }
  return ward;
}

/* The input's NUL-separated fields, at most @n; missing ones are NULL. */
static void
split (const char *text, gsize size, const char **fields, guint n)
{
  const char *p = text, *end = text + size;

  for (guint i = 0; i < n; i++)
    {
      fields[i] = p < end ? p : NULL;
      p += p < end ? strlen (p) + 1 : 0;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  guint8 selector;

  if (size == 0)
    return 0;
  selector = data[0] % 5;
  text = g_malloc (size);
  memcpy (text, data + 1, size - 1);
  text[size - 1] = '\0';

  switch (selector)
    {
    case 0:
      {
        WkReconcileClock clock;

        if (wk_reconcile_parse_clock (text, &clock, &error))
          g_assert (clock.minute >= 0 && clock.minute < 24 * 60);
        else
          g_assert_nonnull (error);
      }
      break;
    case 1:
      {
        g_autoptr (GPtrArray) reasons = wk_reconcile_parse_reasons (text, &error);

        g_assert ((reasons == NULL) != (error == NULL));
      }
      break;
    case 2:
      {
        g_autoptr (GByteArray) keys = g_byte_array_new ();

        if (wk_reconcile_parse_trusted_keys (text, keys, &error))
          g_assert_cmpuint (keys->len % 32, ==, 0);
        else
          g_assert_nonnull (error);
      }
      break;
    case 3:
      {
        /* Keystrokes: each byte a key, its gap in ms from the byte before. */
        g_autoptr (WkScannerWedge) wedge = wk_scanner_wedge_new (0);
        gint64 at = 0;

        for (gsize i = 1; i + 1 < size; i += 2)
          {
            g_autofree char *back = NULL;
            g_autofree char *code = NULL;
            guint8           key = data[i];

            at += data[i + 1] * 1000;
            (void)wk_scanner_wedge_key (wedge, key == '\n' ? 0 : key, key == '\n', at, &back,
                                        &code);
          }
        g_free (wk_scanner_wedge_timeout (wedge, G_MAXINT64));
      }
      break;
    default:
      {
        /* A whole entry: order, due, at, reason, by, dose, unit; then undone. */
        Ward            *ward = ward_get ();
        const char      *fields[7];
        WkReconcileInput input = { 0 };
        g_autoptr (WkPaperEntry) entry = NULL;

        split (text, size - 1, fields, G_N_ELEMENTS (fields));
        input.chart_id = ward->chart;
        input.placer_id = fields[0] != NULL && *fields[0] != '\0' ? fields[0] : "P0-PARA";
        input.due = fields[1];
        input.at = fields[2];
        input.reason_code = fields[3];
        input.given = fields[3] == NULL || *fields[3] == '\0';
        input.by = fields[4];
        input.dose = fields[5] != NULL ? g_ascii_strtod (fields[5], NULL) : 0;
        input.unit = fields[6];
        input.who = "fuzz";
        g_assert_true (wk_model_begin (ward->model, NULL));
        entry
            = wk_reconcile_enter (ward->reconcile, &input, WK_TEST_PRINTED_AT + 20 * 3600, &error);
        g_assert ((entry == NULL) != (error == NULL));
        wk_model_rollback (ward->model);
      }
      break;
    }
  return 0;
}
