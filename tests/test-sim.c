/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sim.c — the simulator's hospital and feed: deterministic, clinically sensible,
 * valid HL7, invented data only. */

#include "wk-hl7.h"
#include "wk-nhs-number.h"
#include "wk-sim-hospital.h"

#include <string.h>

/* Runs the feed: the initial load and then @events events a minute apart. */
static GPtrArray *
run_feed (WkSimHospital *h, guint events)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_sim_event_free);
  gint64     start = wk_sim_hospital_get_now (h);
  guint      stream = 0;

  while (stream < events)
    {
      WkSimEvent *event = wk_sim_hospital_next (h, start + stream * 60);

      if (!event->initial)
        stream++;
      g_ptr_array_add (out, event);
    }
  return out;
}

static void
test_deterministic (void)
{
  g_autoptr (WkSimHospital) a = wk_sim_hospital_new_sized (42, 3, 30);
  g_autoptr (WkSimHospital) b = wk_sim_hospital_new_sized (42, 3, 30);
  g_autoptr (WkSimHospital) c = wk_sim_hospital_new_sized (43, 3, 30);
  g_autoptr (GPtrArray) fa = run_feed (a, 500);
  g_autoptr (GPtrArray) fb = run_feed (b, 500);
  g_autoptr (GPtrArray) fc = run_feed (c, 500);
  guint same_as_other_seed = 0;

  g_assert_cmpuint (fa->len, ==, fb->len);
  for (guint i = 0; i < fa->len; i++)
    {
      WkSimEvent *ea = fa->pdata[i], *eb = fb->pdata[i];

      g_assert_true (g_bytes_equal (ea->message, eb->message));
      g_assert_cmpstr (ea->summary, ==, eb->summary);
    }
  for (guint i = 0; i < MIN (fa->len, fc->len); i++)
    if (g_bytes_equal (((WkSimEvent *)fa->pdata[i])->message,
                       ((WkSimEvent *)fc->pdata[i])->message))
      same_as_other_seed++;
  g_assert_cmpuint (same_as_other_seed, ==, 0);
}

static void
test_hospital (void)
{
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (7, 40, 30);
  GPtrArray *patients = wk_sim_hospital_get_patients (h);
  g_autoptr (GHashTable) numbers = g_hash_table_new (g_str_hash, g_str_equal);
  guint by_status[3] = { 0 }, by_kind[3] = { 0 }, with_range = 0;

  g_assert_cmpuint (wk_sim_hospital_count_beds (h), ==, 1200);
  /* About 90% occupied. */
  g_assert_cmpuint (wk_sim_hospital_count_occupied (h), >, 1000);
  g_assert_cmpuint (wk_sim_hospital_count_occupied (h), <, 1150);
  for (guint i = 0; i < patients->len; i++)
    {
      WkSimPatient *p = patients->pdata[i];
      WkPatient    *pt = p->patient;

      /* Test-range NHS numbers, valid and unique. */
      g_assert_true (g_str_has_prefix (pt->nhs_number, "999"));
      g_assert_true (wk_nhs_number_validate (pt->nhs_number, NULL));
      g_assert_false (g_hash_table_contains (numbers, pt->nhs_number));
      g_hash_table_add (numbers, pt->nhs_number);
      g_assert_cmpfloat (pt->weight_kg, >=, 45);
      g_assert_cmpfloat (pt->weight_kg, <=, 120);
      by_status[pt->allergy_status]++;
      g_assert_cmpuint (p->allergies->len > 0, ==,
                        pt->allergy_status == WK_ALLERGY_STATUS_RECORDED);
      g_assert_cmpuint (p->orders->len, >=, 1);
      for (guint j = 0; j < p->orders->len; j++)
        {
          WkSimOrder *o = p->orders->pdata[j];
          WkOrder    *order = o->versions->pdata[0];

          by_kind[order->kind]++;
          g_assert_cmpfloat (order->dose, >, 0);
          g_assert_nonnull (order->dmd_code);
          if (order->kind == WK_ORDER_REGULAR)
            {
              g_autoptr (GArray) times = wk_order_parse_admin_times (order->admin_times, NULL);

              g_assert_nonnull (times);
              g_assert_cmpuint (times->len, >=, 1);
            }
          if (order->kind == WK_ORDER_PRN)
            {
              g_assert_nonnull (order->prn_indication);
              g_assert_cmpfloat (order->prn_max_24h, >=, order->dose);
              g_assert_cmpint (order->min_interval_min, >, 0);
            }
          if (order->dose_max > 0)
            with_range++;
          /* Nobody allergic to penicillin gets amoxicillin. */
          if (strcmp (order->dmd_code, "323509004") == 0)
            for (guint k = 0; k < p->allergies->len; k++)
              g_assert_cmpstr (((WkAllergy *)p->allergies->pdata[k])->substance, !=, "Penicillin");
        }
    }
  /* "No known allergies", "not recorded" and recorded allergies all occur. */
  for (guint s = 0; s < 3; s++)
    g_assert_cmpuint (by_status[s], >, 50);
  for (guint k = 0; k < 3; k++)
    g_assert_cmpuint (by_kind[k], >, 50);
  g_assert_cmpuint (with_range, >, 10);
}

static void
test_feed_is_valid_hl7 (void)
{
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (3, 4, 30);
  g_autoptr (GPtrArray) feed = run_feed (h, 3000);
  g_autoptr (GHashTable) control_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint held = 0, stopped = 0, given = 0, not_given = 0;

  for (guint i = 0; i < feed->len; i++)
    {
      WkSimEvent   *event = feed->pdata[i];
      gsize         size = 0;
      const guint8 *data = g_bytes_get_data (event->message, &size);
      g_autoptr (GError) error = NULL;
      g_autoptr (WkHl7Message) m = wk_hl7_message_parse (data, size, NULL, &error);
      g_autofree char *type = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (wk_hl7_message_get_control_id (m), ==, event->control_id);
      g_assert_false (g_hash_table_contains (control_ids, event->control_id));
      g_hash_table_add (control_ids, event->control_id);
      type = g_strdup_printf ("%s^%s", wk_hl7_message_get_type (m), wk_hl7_message_get_event (m));
      g_hash_table_replace (types, g_steal_pointer (&type), NULL);
      /* Summaries name patients by number, never by name or NHS number. */
      for (guint j = 0; j < wk_sim_hospital_get_patients (h)->len; j++)
        {
          WkSimPatient *p = wk_sim_hospital_get_patients (h)->pdata[j];

          g_assert_null (strstr (event->summary, p->patient->nhs_number));
          g_assert_null (strstr (event->summary, p->patient->family_name));
        }
      if (strstr (event->summary, " HD ") != NULL)
        held++;
      if (strstr (event->summary, " DC ") != NULL)
        stopped++;
      if (strstr (event->summary, "RAS^O17 given") != NULL)
        given++;
      if (strstr (event->summary, "RAS^O17 not given") != NULL)
        not_given++;
    }
  g_assert_true (g_hash_table_contains (types, "ADT^A01"));
  g_assert_true (g_hash_table_contains (types, "ADT^A02"));
  g_assert_true (g_hash_table_contains (types, "ADT^A03"));
  g_assert_true (g_hash_table_contains (types, "ADT^A08"));
  g_assert_true (g_hash_table_contains (types, "RDE^O11"));
  g_assert_true (g_hash_table_contains (types, "RAS^O17"));
  g_assert_cmpuint (held, >, 0);
  g_assert_cmpuint (stopped, >, 0);
  g_assert_cmpuint (given, >, 100);
  g_assert_cmpuint (not_given, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/sim/deterministic", test_deterministic);
  g_test_add_func ("/sim/hospital", test_hospital);
  g_test_add_func ("/sim/feed-is-valid-hl7", test_feed_is_valid_hl7);
  return g_test_run ();
}
