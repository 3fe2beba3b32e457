/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-model.h — the ward model: an in-memory SQLite database behind a C API. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkModel:
 *
 * The ward's working model: wards, beds, patients, allergies, medication orders and
 * administrations, held in an in-memory SQLite database whose schema lives in
 * `snapshot/schema/`. The types in wk-ward.h, wk-bed.h, wk-patient.h, wk-allergy.h,
 * wk-order.h and wk-administration.h read and change it.
 *
 * A model is used from one thread at a time. Every change is checked against the
 * model's rules (one patient per bed, one row per order version, ...) and a change
 * that breaks one is refused with %WK_SNAPSHOT_ERROR_CONSTRAINT and leaves the model
 * as it was.
 */
typedef struct _WkModel WkModel;

/**
 * WkModelChangedFunc:
 * @model: the model that changed
 * @user_data: the data given to wk_model_set_changed_func()
 *
 * Called after a change has been committed: after each changing call made outside a
 * transaction, or once when the outermost transaction with changes commits.
 */
typedef void (*WkModelChangedFunc) (WkModel *model, gpointer user_data);

/** The schema version this program creates and understands. */
#define WK_MODEL_SCHEMA_VERSION 6

WkModel *wk_model_new (GError **error);
WkModel *
wk_model_new_from_serialized (guint8 *data, gsize size, gboolean read_only, GError **error);
WkModel *wk_model_new_from_authenticated (guint8 *data, gsize size, GError **error);
void     wk_model_free (WkModel *model);
guint8  *wk_model_serialize (WkModel *model, gsize *size, GError **error);

gboolean wk_model_is_read_only (WkModel *model);
int      wk_model_get_schema_version (WkModel *model);
guint64  wk_model_get_generation (WkModel *model);
void     wk_model_set_changed_func (WkModel *model, WkModelChangedFunc func, gpointer user_data);

gboolean wk_model_begin (WkModel *model, GError **error);
gboolean wk_model_commit (WkModel *model, GError **error);
void     wk_model_rollback (WkModel *model);

gboolean wk_model_set_meta (WkModel *model, const char *key, const char *value, GError **error);
char    *wk_model_dup_meta (WkModel *model, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkModel, wk_model_free)

G_END_DECLS
