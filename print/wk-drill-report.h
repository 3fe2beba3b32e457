/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-drill-report.h — a downtime drill's report as one page of evidence (PDF). */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

GBytes *wk_drill_report_render (JsonObject *report, const char *zone_name, GError **error);
char   *wk_drill_report_describe_seconds (double seconds);

G_END_DECLS
