/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-util.h — synthetic ward data and helpers shared by the tests. */

#pragma once

#include "wk-model.h"
#include "wk-order.h"
#include "wk-patient.h"

#include <glib.h>

G_BEGIN_DECLS

char      *wk_test_nhs_number (guint n);
WkModel   *wk_test_model_new_ward (const char *ward_id, guint n_beds);
WkPatient *wk_test_patient_new (guint n);
WkOrder   *wk_test_order_new (gint64 patient_id, const char *placer_id, int version);
char      *wk_test_scratch_dir (void);
char      *wk_test_scratch_path (const char *name);
char      *wk_test_build_path (const char *first, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
