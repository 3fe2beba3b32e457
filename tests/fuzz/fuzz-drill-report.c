/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-drill-report.c — libFuzzer target for the drill report's renderer: any JSON object
 * (a report as kept in the store, or anything else) renders to one page or a clear error,
 * never a crash, leak or sanitizer report. */

#include "wk-drill-report.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GBytes) pdf = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *root;

  if (size > 64 * 1024 || !json_parser_load_from_data (parser, (const char *)data, size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  pdf = wk_drill_report_render (json_node_get_object (root), "Europe/London", &error);
  g_assert ((pdf == NULL) != (error == NULL));
  return 0;
}
