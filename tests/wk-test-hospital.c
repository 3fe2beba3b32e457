/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-hospital.c — a synthetic ward or hospital with every field of the model set.
 * All invented: NHS numbers in the 999 test range, made-up names and drugs. */

#include "wk-test-hospital.h"

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-test-util.h"
#include "wk-ward.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static void
add_allergies (WkModel *model, gint64 patient_id, guint n)
{
  static const char *const substances[] = { "Penicillin", "Latex", "Peanut", "Co-trimoxazole" };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 1 + n % 2; i++)
    {
      g_autoptr (WkAllergy) allergy
          = wk_allergy_new (patient_id, substances[(n + i) % G_N_ELEMENTS (substances)]);

      allergy->category = (WkAllergyCategory)((n + i) % 4);
      allergy->code = g_strdup_printf ("%u", 91936005 + i);
      allergy->reaction = g_strdup (i == 0 ? "Anaphylaxis" : "Rash, itching \"severe\"");
      allergy->severity = (WkSeverity)((n + i) % 4);
      allergy->recorded_at = T0 - 86400 * (gint64)(n % 400);
      g_assert_true (wk_allergy_insert (model, allergy, &error));
      g_assert_no_error (error);
    }
}

/* One order of @patient_id with every field its kind allows; returns its placer id. */
static char *
add_order (WkModel *model, gint64 patient_id, guint n, int version)
{
  g_autoptr (WkOrder) order = wk_order_new ();
  g_autoptr (GError) error = NULL;

  order->patient_id = patient_id;
  order->placer_id = g_strdup_printf ("PL%08u", n);
  order->version = version;
  order->kind = (WkOrderKind)(n % 5 == 4   ? WK_ORDER_ONCE
                              : n % 5 == 3 ? WK_ORDER_PRN
                                           : WK_ORDER_REGULAR);
  order->status = (WkOrderStatus)(n % 11 == 5   ? WK_ORDER_HELD
                                  : n % 13 == 7 ? WK_ORDER_DISCONTINUED
                                                : WK_ORDER_ACTIVE);
  order->dmd_code = g_strdup_printf ("%u", 322236009 + n % 997);
  order->drug = g_strdup_printf ("Inventamol %u mg tablets", 100 + n % 900);
  order->dose = 0.5 + n % 40;
  order->dose_max = n % 6 == 0 ? order->dose * 2 : 0;
  order->dose_unit = g_strdup (n % 2 ? "mg" : "tablet");
  order->route = g_strdup (n % 3 ? "oral" : "IV");
  order->frequency = g_strdup (order->kind == WK_ORDER_REGULAR ? "QDS" : "every 4 hours");
  if (order->kind == WK_ORDER_REGULAR)
    order->admin_times = g_strdup ("06:00,12:00,18:00,22:00");
  if (order->kind == WK_ORDER_PRN)
    {
      order->min_interval_min = 240;
      order->prn_indication = g_strdup ("Pain — mild to moderate");
      order->prn_max_24h = 4000;
    }
  order->start_at = T0 + (gint64)(n % 1000) * 60;
  order->stop_at = n % 4 == 0 ? order->start_at + 7 * 86400 : 0;
  order->status_at = order->start_at + version * 3600;
  order->prescriber = g_strdup_printf ("Dr Invented%u", n % 50);
  order->instructions = g_strdup ("Take with food; \"crush\" if needed \\ ünïcödé ✓\ttab");
  g_assert_true (wk_order_insert (model, order, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&order->placer_id);
}

static void
add_administration (WkModel *model, const char *placer_id, int version, guint n, gint64 at)
{
  g_autoptr (WkAdministration) administration = wk_administration_new (placer_id, version);
  g_autoptr (GError) error = NULL;

  administration->at = at;
  administration->given = n % 7 != 3;
  if (administration->given)
    {
      administration->dose = 1 + n % 20;
      administration->dose_unit = g_strdup ("mg");
    }
  else
    administration->reason = g_strdup ("Patient refused");
  administration->by_whom = g_strdup_printf ("RN Made-up%u", n % 40);
  administration->source = n % 9 == 0 ? WK_ADMINISTRATION_FROM_PAPER : WK_ADMINISTRATION_FROM_FEED;
  administration->external_id = g_strdup_printf ("RXA%09u", n);
  g_assert_true (wk_administration_insert (model, administration, &error));
  g_assert_no_error (error);
}

/**
 * wk_test_hospital_new:
 * @ward_id: the ward's code
 * @n_beds: how many beds; 95% hold a patient, some of the rest are closed
 * @n_orders: how many order rows (versions included), spread over the patients
 * @n_administrations: how many administrations, spread over the orders
 * @first_family_name: (nullable): the family name of the first patient, so that a test
 *   can look for it
 *
 * Builds a model in one transaction with every column of every table set somewhere:
 * allergies recorded, none known and not recorded; regular, as-required and once-only
 * orders, some in two versions, held and discontinued; given and not given doses.
 *
 * Returns: (transfer full): the model
 */
WkModel *
wk_test_hospital_new (const char *ward_id,
                      guint       n_beds,
                      guint       n_orders,
                      guint       n_administrations,
                      const char *first_family_name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkModel) model = wk_test_model_new_ward (ward_id, n_beds);
  g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, ward_id, &error);
  g_autoptr (GPtrArray) orders = g_ptr_array_new_with_free_func (g_free);
  guint n_patients = MAX (1, n_beds * 95 / 100);
  guint order_n = 0;

  g_assert_no_error (error);
  g_assert_true (wk_model_set_meta (model, "ward_id", ward_id, &error));
  g_assert_true (wk_model_begin (model, &error));
  for (guint i = 0; i < n_patients; i++)
    {
      g_autoptr (WkPatient) patient = wk_test_patient_new (i);
      guint n_orders_here = n_orders / n_patients + (i < n_orders % n_patients ? 1 : 0);

      if (i == 0 && first_family_name != NULL)
        {
          g_free (patient->family_name);
          patient->family_name = g_strdup (first_family_name);
        }
      patient->weight_kg = 40.5 + i % 80;
      patient->weight_at = T0 - 3600 * (gint64)(i % 48);
      patient->consultant = g_strdup_printf ("Dr Fictional%u", i % 30);
      /* Allergies are recorded after the patient, which makes the status "recorded". */
      patient->allergy_status
          = i % 3 == 1 ? WK_ALLERGY_STATUS_NONE_KNOWN : WK_ALLERGY_STATUS_NOT_RECORDED;
      patient->visit_number = g_strdup_printf ("V%07u", i);
      patient->bed_id = ((WkBed *)beds->pdata[i % beds->len])->id;
      patient->admitted_at = T0 - 86400 * (gint64)(i % 20);
      g_assert_true (wk_patient_insert (model, patient, &error));
      g_assert_no_error (error);
      if (i % 3 == 2)
        add_allergies (model, patient->id, i);

      /* Every fifth order has a second version: both rows count as orders. */
      for (guint k = 0; k < n_orders_here; k++, order_n++)
        {
          char *placer_id = add_order (model, patient->id, order_n, 1);

          if (order_n % 5 == 1 && k + 1 < n_orders_here)
            {
              g_free (add_order (model, patient->id, order_n, 2));
              k++;
            }
          g_ptr_array_add (orders, placer_id);
        }
    }
  for (guint b = n_patients; b < beds->len; b += 2)
    g_assert_true (wk_bed_set_closed (model, ((WkBed *)beds->pdata[b])->id, TRUE, &error));
  for (guint a = 0; a < n_administrations && orders->len > 0; a++)
    add_administration (model, orders->pdata[a % orders->len], 1, a,
                        T0 + 3600 * (gint64)(a / orders->len + 1));
  g_assert_true (wk_model_commit (model, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&model);
}
