/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-sim-hospital.h — a synthetic hospital, its own view of every ward, and its HL7 feed. */

#pragma once

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-model.h"
#include "wk-order.h"
#include "wk-patient.h"

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkSimOptions:
 * @seed: the same seed (and start) gives the same hospital and the same feed
 * @n_wards: how many wards ("7A", "7B", "8A", ...)
 * @beds_per_ward: beds on each ward: bays of six, then side rooms
 * @start: the simulated time the feed starts at (UTC seconds)
 * @occupancy: the share of beds occupied at the start, from 0 to 1
 */
typedef struct
{
  guint32 seed;
  guint   n_wards;
  guint   beds_per_ward;
  gint64  start;
  double  occupancy;
} WkSimOptions;

typedef struct _WkSimWard    WkSimWard;
typedef struct _WkSimPatient WkSimPatient;

/**
 * WkSimBed:
 * @ward: the ward
 * @bay: the bay ("BAY1") or "SIDE" for side rooms
 * @bed: the bed ("3", "SR2")
 * @occupant: (nullable): who is in it
 */
typedef struct
{
  WkSimWard    *ward;
  char         *bay;
  char         *bed;
  WkSimPatient *occupant;
} WkSimBed;

/**
 * WkSimWard:
 * @id: the ward code, as PV1-3.1
 * @name: what staff call it
 * @beds: (element-type WkSimBed): its beds
 */
struct _WkSimWard
{
  char      *id;
  char      *name;
  GPtrArray *beds;
};

/**
 * WkSimOrder:
 * @versions: (element-type WkOrder): every version sent, in order; the last is current
 * @administrations: (element-type WkAdministration): the doses recorded against it
 * @next_due: the next due time not yet recorded (regular and once-only orders), 0 none
 * @sent: whether its first version has been sent
 */
typedef struct
{
  GPtrArray *versions;
  GPtrArray *administrations;
  gint64     next_due;
  gboolean   sent;
} WkSimOrder;

/**
 * WkSimPatient:
 * @n: the simulator's number for the patient (what it prints, never a name)
 * @patient: identity and stay as sent: names, numbers, birth date, sex, weight,
 *   consultant, visit, admitted and left times, allergy status; @ward_id is the ward
 *   the patient is on or was last on
 * @bed: (nullable): the bed the patient is in
 * @wards: the wards the patient has been on, in order
 * @allergies: (element-type WkAllergy): the recorded allergies
 * @orders: (element-type WkSimOrder): every medication order
 * @consultant_code: the consultant's code as sent in PV1-7.1
 */
struct _WkSimPatient
{
  guint      n;
  WkPatient *patient;
  WkSimBed  *bed;
  GPtrArray *wards;
  GPtrArray *allergies;
  GPtrArray *orders;
  char      *consultant_code;
};

/**
 * WkSimEvent:
 * @message: the HL7 message, without the MLLP frame
 * @control_id: its MSH-10
 * @summary: what happened, for a person watching (patients by number, never by name)
 * @at: the simulated time of the event (UTC seconds)
 * @initial: whether it is part of the initial load of the hospital
 * @patient: the number of the patient it is about
 */
typedef struct
{
  GBytes  *message;
  char    *control_id;
  char    *summary;
  gint64   at;
  gboolean initial;
  guint    patient;
} WkSimEvent;

/**
 * WkSimHospital:
 *
 * A hospital made up from a seed: wards of beds, patients with invented names and NHS
 * numbers in the 999 test range, allergies and weights, and realistic inpatient drug
 * orders (common medicines with their dm+d codes and typical doses, routes, frequencies
 * and due times). It streams its HL7 feed one message at a time — first the patients
 * already in, then admissions, transfers, discharges, new, changed, held and stopped
 * orders, doses given at due times and as required, allergy and weight updates — and
 * keeps its own view of every ward in step with what it sent.
 */
typedef struct _WkSimHospital WkSimHospital;

void           wk_sim_options_init (WkSimOptions *options);
WkSimHospital *wk_sim_hospital_new (const WkSimOptions *options);
WkSimHospital *wk_sim_hospital_new_sized (guint32 seed, guint n_wards, guint beds_per_ward);
void           wk_sim_hospital_free (WkSimHospital *hospital);
GPtrArray     *wk_sim_hospital_get_wards (WkSimHospital *hospital);
GPtrArray     *wk_sim_hospital_get_patients (WkSimHospital *hospital);
guint          wk_sim_hospital_count_beds (WkSimHospital *hospital);
guint          wk_sim_hospital_count_occupied (WkSimHospital *hospital);
gint64         wk_sim_hospital_get_now (WkSimHospital *hospital);
WkSimEvent    *wk_sim_hospital_next (WkSimHospital *hospital, gint64 now);
guint          wk_sim_hospital_get_n_initial (WkSimHospital *hospital);
gboolean       wk_sim_hospital_compare_model (WkSimHospital *hospital,
                                              WkModel       *model,
                                              const char    *ward,
                                              GString       *differences);

void wk_sim_event_free (WkSimEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkSimHospital, wk_sim_hospital_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkSimEvent, wk_sim_event_free)

G_END_DECLS
