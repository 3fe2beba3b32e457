/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-bed.h — a bed on a ward: empty, occupied or closed. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/**
 * WkBed:
 * @id: the model's id for the bed, set by wk_bed_insert()
 * @ward_id: the ward it is on
 * @bay: the bay or room (PV1-3.2), "" for none
 * @bed: the bed (PV1-3.3)
 * @closed: whether the bed is closed and takes no patient
 * @patient_id: the model id of the patient in it, 0 when empty; read from the model,
 *   ignored when writing (a patient is placed with wk_patient_update())
 */
typedef struct
{
  gint64   id;
  char    *ward_id;
  char    *bay;
  char    *bed;
  gboolean closed;
  gint64   patient_id;
} WkBed;

WkBed   *wk_bed_new (const char *ward_id, const char *bay, const char *bed);
void     wk_bed_free (WkBed *bed);
gboolean wk_bed_insert (WkModel *model, WkBed *bed, GError **error);
gint64   wk_bed_ensure (
      WkModel *model, const char *ward_id, const char *bay, const char *bed, GError **error);
gboolean wk_bed_set_closed (WkModel *model, gint64 bed_id, gboolean closed, GError **error);
gboolean wk_bed_delete (WkModel *model, gint64 bed_id, GError **error);
WkBed   *wk_bed_load (WkModel *model, gint64 bed_id, GError **error);
WkBed   *wk_bed_load_by_location (
      WkModel *model, const char *ward_id, const char *bay, const char *bed, GError **error);
GPtrArray *wk_bed_load_ward (WkModel *model, const char *ward_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkBed, wk_bed_free)

G_END_DECLS
