/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-patient.h — a patient: identity, stay, bed, weight and allergy status. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

typedef enum
{
  WK_SEX_UNKNOWN,
  WK_SEX_FEMALE,
  WK_SEX_MALE,
  WK_SEX_OTHER,
} WkSex;

/**
 * WkAllergyStatus:
 * @WK_ALLERGY_STATUS_NOT_RECORDED: nobody has recorded anything: ask the patient
 * @WK_ALLERGY_STATUS_NONE_KNOWN: recorded as no known drug allergies
 * @WK_ALLERGY_STATUS_RECORDED: one or more allergies are recorded (wk-allergy.h)
 *
 * "No known allergies" and "not recorded" are different facts and print differently.
 */
typedef enum
{
  WK_ALLERGY_STATUS_NOT_RECORDED,
  WK_ALLERGY_STATUS_NONE_KNOWN,
  WK_ALLERGY_STATUS_RECORDED,
} WkAllergyStatus;

typedef enum
{
  WK_STAY_ADMITTED,
  WK_STAY_PRE_ADMITTED,
  WK_STAY_TRANSFERRED_OUT,
  WK_STAY_DISCHARGED,
} WkStay;

/**
 * WkArrival:
 * @WK_ARRIVAL_NONE: the kiosk has every order of the patient: it has followed them
 *   since they came onto the wards it keeps, or the EPR has sent their orders since
 * @WK_ARRIVAL_TRANSFER: transferred in from a ward this kiosk does not keep; the orders
 *   placed before the transfer have not been sent and may be missing
 * @WK_ARRIVAL_ADMISSION: admitted from another ward or department this kiosk does not
 *   keep (PV1-6); the orders placed before the admission may be missing
 *
 * Whether, and why, the kiosk may not have all of a patient's orders. Charts and screens
 * must say so: a chart without the medicines prescribed on the last ward, and nothing
 * saying they are missing, is the confusing paper that causes near misses.
 */
typedef enum
{
  WK_ARRIVAL_NONE,
  WK_ARRIVAL_TRANSFER,
  WK_ARRIVAL_ADMISSION,
} WkArrival;

/**
 * WkPatient:
 * @id: the model's id, set by wk_patient_insert(); logs name patients by this id only
 * @nhs_number: (nullable): ten digits, no spaces, valid check digit
 * @hospital_number: (nullable): the local hospital (MRN) number
 * @family_name: the family name
 * @given_names: the given names, space separated
 * @birth_date: (nullable): ISO 8601 date, "YYYY-MM-DD"
 * @sex: the administrative sex
 * @weight_kg: the last weight in kg, 0 when not known
 * @weight_at: when it was measured (UTC seconds), 0 when not known
 * @consultant: (nullable): the responsible consultant as the feed names them
 * @allergy_status: whether allergies are recorded, none known, or not recorded
 * @stay: where the patient is in their stay
 * @visit_number: (nullable): the visit (PV1-19)
 * @ward_id: (nullable): the ward; set from the bed when the patient has one
 * @bed_id: the bed's model id, 0 for none; one patient per bed, and only while admitted
 * @admitted_at: when admitted (UTC seconds), 0 when not known
 * @left_at: when transferred out or discharged, 0 while on the ward
 * @updated_at: when the model last changed this row; set by the model
 * @event_at: the time of the last feed event applied to the patient (UTC seconds), 0
 *   when none; an older event is stale and not applied
 * @arrival: %WK_ARRIVAL_NONE, or how the patient arrived while their orders from before
 *   have not been received (see wk_patient_orders_may_be_missing())
 * @arrived_at: when they arrived (UTC seconds); set with @arrival, else 0
 * @arrived_from: (nullable): the ward they came from, as the feed spells it, when known
 *
 * A patient. At least one of @nhs_number and @hospital_number is set.
 */
typedef struct
{
  gint64          id;
  char           *nhs_number;
  char           *hospital_number;
  char           *family_name;
  char           *given_names;
  char           *birth_date;
  WkSex           sex;
  double          weight_kg;
  gint64          weight_at;
  char           *consultant;
  WkAllergyStatus allergy_status;
  WkStay          stay;
  char           *visit_number;
  char           *ward_id;
  gint64          bed_id;
  gint64          admitted_at;
  gint64          left_at;
  gint64          updated_at;
  gint64          event_at;
  WkArrival       arrival;
  gint64          arrived_at;
  char           *arrived_from;
} WkPatient;

WkPatient *wk_patient_new (void);
WkPatient *wk_patient_copy (const WkPatient *patient);
void       wk_patient_free (WkPatient *patient);
int        wk_patient_get_age (const WkPatient *patient, GDateTime *now);
gboolean   wk_patient_orders_may_be_missing (const WkPatient *patient);

gboolean   wk_patient_insert (WkModel *model, WkPatient *patient, GError **error);
gboolean   wk_patient_update (WkModel *model, WkPatient *patient, GError **error);
gboolean   wk_patient_delete (WkModel *model, gint64 patient_id, GError **error);
WkPatient *wk_patient_load (WkModel *model, gint64 patient_id, GError **error);
WkPatient *wk_patient_load_by_nhs_number (WkModel *model, const char *nhs_number, GError **error);
WkPatient *
wk_patient_load_by_hospital_number (WkModel *model, const char *hospital_number, GError **error);
GPtrArray *wk_patient_load_by_identifiers (WkModel    *model,
                                           const char *nhs_number,
                                           const char *hospital_number,
                                           GError    **error);
GPtrArray *wk_patient_load_all (WkModel *model, GError **error);
gboolean   wk_patient_merge (WkModel *model, gint64 survivor_id, gint64 merged_id, GError **error);

const char *wk_sex_to_string (WkSex sex);
gboolean    wk_sex_from_string (const char *text, WkSex *sex);
const char *wk_allergy_status_to_string (WkAllergyStatus status);
gboolean    wk_allergy_status_from_string (const char *text, WkAllergyStatus *status);
const char *wk_stay_to_string (WkStay stay);
gboolean    wk_stay_from_string (const char *text, WkStay *stay);
const char *wk_arrival_to_string (WkArrival arrival);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPatient, wk_patient_free)

G_END_DECLS
