/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-ward.h — a populated synthetic ward and kiosk keys for the paper tests. */

#pragma once

#include "wk-chart-renderer.h"
#include "wk-keys.h"
#include "wk-model.h"
#include "wk-patient.h"

#include <glib.h>

G_BEGIN_DECLS

#define WK_TEST_WARD "7A"
/* 2026-03-14T02:13:00Z, the data time of every test chart; printed 37 min later. */
#define WK_TEST_SNAPSHOT_AT G_GINT64_CONSTANT (1773454380)
#define WK_TEST_PRINTED_AT (WK_TEST_SNAPSHOT_AT + 37 * 60)

WkKeys  *wk_test_keys_new (guint8 fill);
void     wk_test_chart_options (WkChartOptions *options);
WkModel *wk_test_ward_new (guint n_beds);
gint64   wk_test_ward_admit (WkModel *model, guint n, gint64 bed_id, WkAllergyStatus allergies);
void     wk_test_ward_add_usual_orders (WkModel *model, gint64 patient_id, guint n);
gint64   wk_test_ward_bed (WkModel *model, guint index);
char    *wk_test_pdf_to_text (const guint8 *pdf, gsize size, int page, gboolean layout);
guint    wk_test_pdf_count_grey (const guint8 *pdf, gsize size, int page);
char    *wk_test_save_artefact (const char *name, const guint8 *data, gsize size);

G_END_DECLS
