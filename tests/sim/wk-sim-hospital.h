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
 * @send_orders_on_transfer: after moving a patient to another ward, send the patient's
 *   current orders in one RDE^O11 (each whole, `XO`), as the README's profile asks of an
 *   interface engine; %FALSE plays an engine that does not (the kiosk must say that
 *   medicines may be missing)
 */
typedef struct
{
  guint32  seed;
  guint    n_wards;
  guint    beds_per_ward;
  gint64   start;
  double   occupancy;
  gboolean send_orders_on_transfer;
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
 * WkSimSeen:
 * @first_version: the index in the order's versions of the first version a kiosk
 *   keeping the ward has (0: every version)
 * @first_administration: the index of the first dose it has
 * @sent_again: whether that first version reached it in the orders sent after a
 *   transfer (its status time is then the version's transaction time)
 *
 * What of an order a kiosk that keeps one ward has seen: a kiosk follows a patient from
 * their first arrival on its ward, and gets the orders from before in the list sent
 * after the transfer.
 */
typedef struct
{
  guint    first_version;
  guint    first_administration;
  gboolean sent_again;
} WkSimSeen;

/**
 * WkSimOrder:
 * @versions: (element-type WkOrder): every version sent, in order; the last is current;
 *   each version's @transaction_at is the time it was sent (ORC-9)
 * @administrations: (element-type WkAdministration): the doses recorded against it
 * @next_due: the next due time not yet recorded (regular and once-only orders), 0 none
 * @sent: whether its first version has been sent
 * @seen: (element-type utf8 WkSimSeen): by ward, what a kiosk keeping that ward has of it
 */
typedef struct
{
  GPtrArray  *versions;
  GPtrArray  *administrations;
  gint64      next_due;
  gboolean    sent;
  GHashTable *seen;
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
 * @left_ward_at: (element-type utf8 gint64): by ward, when the patient last left it
 *   (UTC seconds, as a pointer-sized integer)
 * @unconfirmed: whether a kiosk keeping only the patient's present ward has been left
 *   without their orders from before they were transferred there: no list was sent
 *   (the engine does not, or they had no current order)
 * @arrived_at: when they were last transferred to another ward, 0 if never
 * @arrived_from: (nullable): the ward they were transferred from
 */
struct _WkSimPatient
{
  guint       n;
  WkPatient  *patient;
  WkSimBed   *bed;
  GPtrArray  *wards;
  GPtrArray  *allergies;
  GPtrArray  *orders;
  char       *consultant_code;
  GHashTable *left_ward_at;
  gboolean    unconfirmed;
  gint64      arrived_at;
  char       *arrived_from;
};

/**
 * WkSimEvent:
 * @message: the HL7 message, without the MLLP frame
 * @control_id: its MSH-10
 * @summary: what happened, for a person watching (patients by number, never by name)
 * @at: the simulated time of the event (UTC seconds)
 * @initial: whether it is part of the initial load of the hospital
 * @patient: the number of the patient it is about
 *
 * The orders sent after a transfer are one event of their own, the one after the A02.
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
