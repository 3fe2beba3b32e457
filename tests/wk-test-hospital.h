/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-hospital.h — a synthetic ward or hospital with every field of the model set. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

WkModel *wk_test_hospital_new (const char *ward_id,
                               guint       n_beds,
                               guint       n_orders,
                               guint       n_administrations,
                               const char *first_family_name);

G_END_DECLS
