/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-snapshot.h — the snapshot the kiosk shows: census, patient records, rendering. */

#pragma once

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-chart-document.h"
#include "wk-chart-facts.h"
#include "wk-chart-renderer.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-store.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkCensusEntry:
 * @bed_id: the bed's model id; 0 for a patient on the ward without a bed
 * @bay: (nullable): the bay or room as the feed names it ("BAY1", "SIDE")
 * @bed: (nullable): the bed ("3", "SR2")
 * @closed: whether the bed is closed
 * @patient_id: the patient's model id; 0 for an empty or closed bed
 * @family_name: (nullable): the patient's family name
 * @given_names: (nullable): their given names
 * @nhs_number: (nullable): ten digits
 * @hospital_number: (nullable): the local hospital number
 * @age: age in whole years at the snapshot's time, -1 when the birth date is not known
 * @allergy_status: whether allergies are recorded, none known, or not recorded
 * @n_allergies: how many allergies are recorded
 * @n_active_orders: how many orders are active
 *
 * One line of the census, in ward order: a bed with whoever is in it, or a patient on
 * the ward without a bed (listed last).
 */
typedef struct
{
  gint64          bed_id;
  char           *bay;
  char           *bed;
  gboolean        closed;
  gint64          patient_id;
  char           *family_name;
  char           *given_names;
  char           *nhs_number;
  char           *hospital_number;
  int             age;
  WkAllergyStatus allergy_status;
  guint           n_allergies;
  guint           n_active_orders;
} WkCensusEntry;

/**
 * WkChartEntry:
 * @order: the current version of an order
 * @last_given: (nullable): the last dose given against it
 * @section: where the chart lists it
 *
 * One medicine on a patient's chart.
 */
typedef struct
{
  WkOrder          *order;
  WkAdministration *last_given;
  WkChartSection    section;
} WkChartEntry;

/**
 * WkPatientRecord:
 * @patient: who
 * @bed: (nullable): their bed
 * @allergies: (element-type WkAllergy): their recorded allergies
 * @entries: (element-type WkChartEntry): every order the chart lists, section by section
 *   in the model's order within a section
 *
 * What the kiosk's patient view shows: the facts the paper chart carries.
 */
typedef struct
{
  WkPatient *patient;
  WkBed     *bed;
  GPtrArray *allergies;
  GPtrArray *entries;
} WkPatientRecord;

/**
 * WkRenderKind:
 * @WK_RENDER_CHART: one patient's drug chart
 * @WK_RENDER_CENSUS: the ward census
 * @WK_RENDER_WARD: the census, then every patient's chart
 *
 * What to render.
 */
typedef enum
{
  WK_RENDER_CHART,
  WK_RENDER_CENSUS,
  WK_RENDER_WARD,
} WkRenderKind;

/**
 * WkKioskSnapshot:
 *
 * The newest snapshot the kiosk could verify, opened read-only, with everything the
 * screens show read out of it once when it is loaded (the census and every patient's
 * record), so that the GTK thread never queries the model. Rendering runs in a worker
 * thread; the model is used by one thread at a time.
 *
 * Immutable once loaded, reference counted, safe to share between threads.
 */
typedef struct _WkKioskSnapshot WkKioskSnapshot;

void             wk_kiosk_snapshot_load_async (WkStore              *store,
                                               const WkChartOptions *options,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
WkKioskSnapshot *wk_kiosk_snapshot_load_finish (GAsyncResult *result, GError **error);
WkKioskSnapshot *
wk_kiosk_snapshot_load (WkStore *store, const WkChartOptions *options, GError **error);
WkKioskSnapshot *wk_kiosk_snapshot_ref (WkKioskSnapshot *self);
void             wk_kiosk_snapshot_unref (WkKioskSnapshot *self);

guint64                wk_kiosk_snapshot_get_seq (WkKioskSnapshot *self);
gint64                 wk_kiosk_snapshot_get_created_at (WkKioskSnapshot *self);
const char            *wk_kiosk_snapshot_get_ward_name (WkKioskSnapshot *self);
GPtrArray             *wk_kiosk_snapshot_get_census (WkKioskSnapshot *self);
const WkCensusEntry   *wk_kiosk_snapshot_find_entry (WkKioskSnapshot *self, gint64 patient_id);
const WkPatientRecord *wk_kiosk_snapshot_get_patient (WkKioskSnapshot *self, gint64 patient_id);

void wk_kiosk_snapshot_render_async (WkKioskSnapshot    *self,
                                     WkKeys             *keys,
                                     WkRenderKind        kind,
                                     gint64              patient_id,
                                     gboolean            drill,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
GPtrArray *
wk_kiosk_snapshot_render_finish (WkKioskSnapshot *self, GAsyncResult *result, GError **error);

char *wk_census_entry_dup_name (const WkCensusEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkKioskSnapshot, wk_kiosk_snapshot_unref)

G_END_DECLS
