/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-sim-hospital.c — a synthetic hospital, its own view of every ward, and its HL7 feed.
 * Everything here is invented: names, NHS numbers (999 test range), clinicians. */

#include "wk-sim-hospital.h"

#include "wk-bed.h"
#include "wk-hl7.h"
#include "wk-nhs-number.h"

#include <math.h>
#include <string.h>

#define HOSPITAL_CODE "SIMHOSP"
#define SENDER "SIMEPR"

/* One line of the formulary: a medicine as a ward would prescribe it. Codes are dm+d
 * VMP codes (SNOMED CT identifiers) of the product named. */
typedef struct
{
  const char *dmd;
  const char *drug;
  double      dose;
  double      dose_max;
  const char *unit;
  const char *route_code; /* HL7 table 0162 */
  const char *route;
  WkOrderKind kind;
  const char *frequency; /* TQ1-3 */
  const char *times;     /* TQ1-4, ward local time; regular orders */
  int         min_interval_min;
  double      max_24h;
  const char *indication;
  const char *instructions;
  const char *avoid_if_allergic_to; /* an allergy substance that rules it out */
} Medicine;

static const Medicine formulary[] = {
  { "322236009", "Paracetamol 500mg tablets", 1000, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "QDS",
    "0600,1200,1800,2200", 0, 0, NULL, "Check no other paracetamol-containing products", NULL },
  { "322236009", "Paracetamol 500mg tablets", 500, 1000, "mg", "PO", "Oral", WK_ORDER_PRN, "Q4H",
    NULL, 240, 4000, "Pain or fever", "Maximum 4 g in 24 hours from all sources", NULL },
  { "323509004", "Amoxicillin 250mg capsules", 500, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "TDS",
    "0800,1400,2200", 0, 0, NULL, "Review at 48 hours; course of 5 days", "Penicillin" },
  { "317972000", "Furosemide 40mg tablets", 40, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "OD",
    "0800", 0, 0, NULL, "Daily weight; check U&E", NULL },
  { "317971007", "Furosemide 20mg tablets", 20, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "BD",
    "0800,1400", 0, 0, NULL, "Second dose no later than 2 pm", NULL },
  { "319283006", "Amlodipine 5mg tablets", 5, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "OD", "0800",
    0, 0, NULL, NULL, NULL },
  { "325278007", "Metformin 500mg tablets", 500, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "BD",
    "0800,1800", 0, 0, NULL, "With food; withhold if nil by mouth", NULL },
  { "318590006", "Bisoprolol 5mg tablets", 5, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "OD", "0800",
    0, 0, NULL, "Withhold if pulse below 50 or systolic BP below 90", NULL },
  { "318901006", "Ramipril 2.5mg capsules", 2.5, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "OD",
    "0800", 0, 0, NULL, "Check U&E before each dose change", NULL },
  { "318056008", "Spironolactone 25mg tablets", 25, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "OD",
    "0800", 0, 0, NULL, "Check potassium", NULL },
  { "318859000", "Lisinopril 10mg tablets", 10, 0, "mg", "PO", "Oral", WK_ORDER_REGULAR, "OD",
    "0800", 0, 0, NULL, NULL, NULL },
  { "36126511000001106", "Morphine 10mg modified-release tablets", 10, 0, "mg", "PO", "Oral",
    WK_ORDER_REGULAR, "BD", "0800,2000", 0, 0, NULL,
    "Swallow whole; prescribe a laxative alongside", "Codeine" },
  { "321196004", "Diazepam 2mg tablets", 2, 0, "mg", "PO", "Oral", WK_ORDER_PRN, "Q8H", NULL, 480,
    6, "Anxiety or agitation", "Review daily", NULL },
  { "321152004", "Temazepam 10mg tablets", 10, 0, "mg", "PO", "Oral", WK_ORDER_PRN, "Q24H", NULL,
    1440, 10, "Insomnia, at night", "Not after 2 am", NULL },
  { "317972000", "Furosemide 40mg tablets", 40, 0, "mg", "PO", "Oral", WK_ORDER_ONCE, NULL, NULL, 0,
    0, NULL, "Once only; review fluid balance", NULL },
  { "322236009", "Paracetamol 500mg tablets", 1000, 0, "mg", "PO", "Oral", WK_ORDER_ONCE, NULL,
    NULL, 0, 0, NULL, "Stat dose", NULL },
};

/* Allergies: substance (SNOMED CT substance code), category, reactions. */
typedef struct
{
  const char       *code;
  const char       *substance;
  WkAllergyCategory category;
} Allergen;

static const Allergen allergens[] = {
  { "373270004", "Penicillin", WK_ALLERGY_DRUG },   { "387458008", "Aspirin", WK_ALLERGY_DRUG },
  { "387207008", "Ibuprofen", WK_ALLERGY_DRUG },    { "387494007", "Codeine", WK_ALLERGY_DRUG },
  { "111088007", "Latex", WK_ALLERGY_ENVIRONMENT }, { "256349002", "Peanut", WK_ALLERGY_FOOD },
};

static const char *const reactions[]
    = { "Rash", "Urticaria", "Anaphylaxis", "Angioedema", "Nausea and vomiting", "Wheeze" };

/* Invented names; none is meant to be anyone. */
static const char *const family_names[] = {
  "Ashdown",   "Bramwell",  "Cotterill", "Dunmore", "Ellery",    "Fairlie",
  "Gosforth",  "Haverley",  "Ingleby",   "Jessop",  "Kettleby",  "Lomax",
  "Marchbank", "Netherton", "Oakshott",  "Pennock", "Quarrie",   "Rushworth",
  "Stainrod",  "Thackray",  "Underhill", "Varley",  "Wetherall", "Yardley",
};
static const char *const female_names[]
    = { "Ada",   "Bryony", "Cerys", "Delia", "Elspeth", "Freya",
        "Greta", "Hattie", "Iona",  "Juno",  "Maud",    "Nell" };
static const char *const male_names[] = { "Alfie",  "Bram", "Cyril", "Dougal", "Edmund", "Fergus",
                                          "Gideon", "Hal",  "Ivor",  "Jago",   "Monty",  "Noel" };
static const char *const clinicians[][3] = {
  { "C3012345", "Okonjo", "Adaeze" },  { "C3023456", "Lindqvist", "Pieter" },
  { "C3034567", "Marchetti", "Sara" }, { "C3045678", "Brennan", "Tomas" },
  { "C3056789", "Haddad", "Leila" },   { "C3067890", "Fairbairn", "Ewan" },
};
static const char *const nurses[][2]
    = { { "Pryce", "Bethan" }, { "Osei", "Kwame" }, { "Novak", "Ilse" }, { "Tait", "Morag" } };
static const char *const not_given_reasons[][2] = { { "RE", "Patient refused" },
                                                    { "NA", "Nil by mouth" },
                                                    { "NA", "Patient off the ward" },
                                                    { "NA", "Not available on the ward" } };

/* One message of the initial load: a patient's admission (no order), or an order's
 * NW, HD or DC. */
typedef struct
{
  WkSimPatient *patient;
  WkSimOrder   *order;
  const char   *control;
} InitialItem;

static void
queue_initial (GQueue *queue, WkSimPatient *patient, WkSimOrder *order, const char *control)
{
  InitialItem *item = g_new (InitialItem, 1);

  item->patient = patient;
  item->order = order;
  item->control = control;
  g_queue_push_tail (queue, item);
}

struct _WkSimHospital
{
  WkSimOptions options;
  GRand       *rand;
  GTimeZone   *zone;
  GPtrArray   *wards;
  GPtrArray   *patients;
  gint64       now;
  guint        next_patient;
  guint        next_nhs;
  guint        next_order;
  guint        next_message;
  guint        next_visit;
  guint32      run_id;
  /* The initial load: one patient's admission and orders at a time. */
  GQueue *initial;
  guint   n_initial;
  /* Messages made by an event and sent after it (the orders after a transfer). */
  GQueue *pending;
};

void
wk_sim_event_free (WkSimEvent *event)
{
  if (event == NULL)
    return;
  g_bytes_unref (event->message);
  g_free (event->control_id);
  g_free (event->summary);
  g_free (event);
}

static void
sim_order_free (WkSimOrder *order)
{
  g_ptr_array_unref (order->versions);
  g_ptr_array_unref (order->administrations);
  g_hash_table_unref (order->seen);
  g_free (order);
}

static void
sim_patient_free (WkSimPatient *p)
{
  wk_patient_free (p->patient);
  g_ptr_array_unref (p->wards);
  g_ptr_array_unref (p->allergies);
  g_ptr_array_unref (p->orders);
  g_free (p->consultant_code);
  g_hash_table_unref (p->left_ward_at);
  g_free (p->arrived_from);
  g_free (p);
}

static void
sim_bed_free (WkSimBed *bed)
{
  g_free (bed->bay);
  g_free (bed->bed);
  g_free (bed);
}

static void
sim_ward_free (WkSimWard *ward)
{
  g_free (ward->id);
  g_free (ward->name);
  g_ptr_array_unref (ward->beds);
  g_free (ward);
}

/**
 * wk_sim_options_init:
 * @options: (out caller-allocates): options to fill with defaults
 *
 * One 30-bed ward, seed 1, 90% occupied, starting 2026-03-02 07:00 UTC.
 */
void
wk_sim_options_init (WkSimOptions *options)
{
  options->seed = 1;
  options->n_wards = 1;
  options->beds_per_ward = 30;
  options->start = 1772434800; /* 2026-03-02T07:00:00Z */
  options->occupancy = 0.9;
  options->send_orders_on_transfer = TRUE;
}

static int
pick (WkSimHospital *h, int n)
{
  return g_rand_int_range (h->rand, 0, n);
}

static gboolean
chance (WkSimHospital *h, double p)
{
  return g_rand_double (h->rand) < p;
}

/* The next NHS number of the 999 test range with a valid check digit (the one digit
 * that the model's own check accepts; some bodies have none). */
static char *
next_nhs_number (WkSimHospital *h)
{
  for (;;)
    {
      char digits[11];

      g_snprintf (digits, sizeof digits, "999%06u0", h->next_nhs++ % 1000000);
      for (char check = '0'; check <= '9'; check++)
        {
          digits[9] = check;
          if (wk_nhs_number_validate (digits, NULL))
            return g_strdup (digits);
        }
    }
}

static WkSimWard *
ward_new (guint index, guint n_beds)
{
  WkSimWard               *ward = g_new0 (WkSimWard, 1);
  static const char *const specialties[]
      = { "Acute Medicine",  "Care of the Elderly", "Respiratory",      "Cardiology",
          "General Surgery", "Orthopaedics",        "Gastroenterology", "Stroke" };
  guint bays = n_beds >= 12 ? (n_beds * 4 / 5) / 6 : n_beds / 6;

  ward->id = g_strdup_printf ("%u%c", 7 + index / 2, 'A' + index % 2);
  ward->name
      = g_strdup_printf ("Ward %s %s", ward->id, specialties[index % G_N_ELEMENTS (specialties)]);
  ward->beds = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_bed_free);
  for (guint i = 0; i < n_beds; i++)
    {
      WkSimBed *bed = g_new0 (WkSimBed, 1);

      bed->ward = ward;
      if (i < bays * 6)
        {
          bed->bay = g_strdup_printf ("BAY%u", i / 6 + 1);
          bed->bed = g_strdup_printf ("%u", i % 6 + 1);
        }
      else
        {
          bed->bay = g_strdup ("SIDE");
          bed->bed = g_strdup_printf ("SR%u", i - bays * 6 + 1);
        }
      g_ptr_array_add (ward->beds, bed);
    }
  return ward;
}

/* Due times of a regular order as "08:00,14:00", from "0800,1400". */
static char *
admin_times_text (const char *times)
{
  g_auto (GStrv) parts = g_strsplit (times, ",", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    g_string_append_printf (out, "%s%.2s:%.2s", i > 0 ? "," : "", parts[i], parts[i] + 2);
  return g_string_free (out, FALSE);
}

/* The first due time of @order strictly after @after, in UTC seconds (0 for none). */
static gint64
next_due_after (WkSimHospital *h, const WkOrder *order, gint64 after)
{
  g_autoptr (GDateTime) local = NULL;
  g_auto (GStrv) parts = NULL;
  gint64 best = 0;

  if (order->kind != WK_ORDER_REGULAR || order->admin_times == NULL)
    return 0;
  {
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (after);

    local = g_date_time_to_timezone (utc, h->zone);
  }
  parts = g_strsplit (order->admin_times, ",", -1);
  for (int day = 0; day < 2 && best == 0; day++)
    for (guint i = 0; parts[i] != NULL; i++)
      {
        int hour = atoi (parts[i]), minute = atoi (parts[i] + 3);
        g_autoptr (GDateTime) base = g_date_time_add_days (local, day);
        g_autoptr (GDateTime) due
            = g_date_time_new (h->zone, g_date_time_get_year (base), g_date_time_get_month (base),
                               g_date_time_get_day_of_month (base), hour, minute, 0);
        gint64 t = g_date_time_to_unix (due);

        if (t > after && (best == 0 || t < best))
          best = t;
      }
  if (order->stop_at != 0 && best >= order->stop_at)
    return 0;
  return best;
}

static WkOrder *
order_from_formulary (WkSimHospital *h, WkSimPatient *p, const Medicine *m, gint64 start)
{
  WkOrder           *order = wk_order_new ();
  const char *const *clinician = clinicians[pick (h, G_N_ELEMENTS (clinicians))];

  order->placer_id = g_strdup_printf ("RX%08u", ++h->next_order);
  order->version = 1;
  order->kind = m->kind;
  order->status = WK_ORDER_ACTIVE;
  order->dmd_code = g_strdup (m->dmd);
  order->drug = g_strdup (m->drug);
  order->dose = m->dose;
  order->dose_max = m->dose_max;
  order->dose_unit = g_strdup (m->unit);
  order->route = g_strdup (m->route_code);
  order->frequency = g_strdup (m->frequency);
  order->admin_times = m->times != NULL ? admin_times_text (m->times) : NULL;
  order->min_interval_min = m->min_interval_min;
  order->prn_indication = g_strdup (m->indication);
  order->prn_max_24h = m->max_24h;
  order->start_at = start;
  /* Antibiotics run a course; the rest until stopped. */
  if (strcmp (m->dmd, "323509004") == 0)
    order->stop_at = start + 5 * 86400;
  order->status_at = start;
  order->prescriber = g_strdup_printf ("%s^%s^%s", clinician[0], clinician[1], clinician[2]);
  order->instructions = g_strdup (m->instructions);
  order->patient_id = p->n;
  return order;
}

static gboolean
allergic_to (WkSimPatient *p, const char *substance)
{
  if (substance == NULL)
    return FALSE;
  for (guint i = 0; i < p->allergies->len; i++)
    if (strcmp (((WkAllergy *)p->allergies->pdata[i])->substance, substance) == 0)
      return TRUE;
  return FALSE;
}

/* A medicine the patient has no order for yet and is not allergic to. */
static const Medicine *
pick_medicine (WkSimHospital *h, WkSimPatient *p)
{
  for (int tries = 0; tries < 20; tries++)
    {
      const Medicine *m = &formulary[pick (h, G_N_ELEMENTS (formulary))];
      gboolean        taken = allergic_to (p, m->avoid_if_allergic_to);

      for (guint i = 0; i < p->orders->len && !taken; i++)
        {
          WkSimOrder *o = p->orders->pdata[i];
          WkOrder    *current = o->versions->pdata[o->versions->len - 1];

          if (current->status != WK_ORDER_DISCONTINUED && strcmp (current->drug, m->drug) == 0
              && current->kind == m->kind)
            taken = TRUE;
        }
      if (!taken)
        return m;
    }
  return NULL;
}

static WkSimOrder *
add_order (WkSimHospital *h, WkSimPatient *p, const Medicine *m, gint64 start)
{
  WkSimOrder *o = g_new0 (WkSimOrder, 1);
  WkOrder    *order = order_from_formulary (h, p, m, start);

  o->versions = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_order_free);
  o->administrations = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_administration_free);
  o->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_ptr_array_add (o->versions, order);
  g_ptr_array_add (p->orders, o);
  return o;
}

static WkSimPatient *
patient_new (WkSimHospital *h, gint64 admitted_at)
{
  WkSimPatient      *p = g_new0 (WkSimPatient, 1);
  WkPatient         *patient = wk_patient_new ();
  const char *const *clinician = clinicians[pick (h, G_N_ELEMENTS (clinicians))];
  gboolean           female = chance (h, 0.52);
  int                roll;

  p->n = ++h->next_patient;
  p->wards = g_ptr_array_new_with_free_func (g_free);
  p->allergies = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_allergy_free);
  p->orders = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_order_free);
  p->left_ward_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  patient->nhs_number = next_nhs_number (h);
  patient->hospital_number = g_strdup_printf ("H%02u%06u", h->options.seed % 100, p->n);
  patient->family_name = g_strdup (family_names[pick (h, G_N_ELEMENTS (family_names))]);
  patient->given_names = g_strdup (female ? female_names[pick (h, G_N_ELEMENTS (female_names))]
                                          : male_names[pick (h, G_N_ELEMENTS (male_names))]);
  patient->birth_date
      = g_strdup_printf ("%04d-%02d-%02d", 1928 + pick (h, 78), 1 + pick (h, 12), 1 + pick (h, 28));
  patient->sex = female ? WK_SEX_FEMALE : WK_SEX_MALE;
  patient->weight_kg = round ((45 + g_rand_double (h->rand) * 75) * 10) / 10;
  patient->weight_at = admitted_at;
  p->consultant_code = g_strdup (clinician[0]);
  patient->consultant = g_strdup_printf ("%s^%s^%s", clinician[0], clinician[1], clinician[2]);
  patient->visit_number = g_strdup_printf ("V%08u", ++h->next_visit);
  patient->stay = WK_STAY_ADMITTED;
  patient->admitted_at = admitted_at;

  /* Allergies: mostly none known, some not yet recorded, some recorded. */
  roll = pick (h, 100);
  if (roll < 58)
    patient->allergy_status = WK_ALLERGY_STATUS_NONE_KNOWN;
  else if (roll < 73)
    patient->allergy_status = WK_ALLERGY_STATUS_NOT_RECORDED;
  else
    {
      int n = 1 + (chance (h, 0.25) ? 1 : 0);

      patient->allergy_status = WK_ALLERGY_STATUS_RECORDED;
      for (int i = 0; i < n; i++)
        {
          const Allergen *a = &allergens[pick (h, G_N_ELEMENTS (allergens))];
          WkAllergy      *allergy;

          if (allergic_to (p, a->substance))
            continue;
          allergy = wk_allergy_new (0, a->substance);
          allergy->code = g_strdup (a->code);
          allergy->category = a->category;
          allergy->reaction = g_strdup (reactions[pick (h, G_N_ELEMENTS (reactions))]);
          allergy->severity = strcmp (allergy->reaction, "Anaphylaxis") == 0
                                  ? WK_SEVERITY_SEVERE
                                  : (chance (h, 0.5) ? WK_SEVERITY_MODERATE : WK_SEVERITY_MILD);
          allergy->recorded_at = admitted_at;
          g_ptr_array_add (p->allergies, allergy);
        }
    }
  p->patient = patient;
  g_ptr_array_add (h->patients, p);
  return p;
}

static void
place (WkSimPatient *p, WkSimBed *bed, gint64 now)
{
  if (p->bed != NULL && (bed == NULL || bed->ward != p->bed->ward))
    g_hash_table_insert (p->left_ward_at, g_strdup (p->bed->ward->id), GSIZE_TO_POINTER (now));
  if (p->bed != NULL)
    p->bed->occupant = NULL;
  p->bed = bed;
  if (bed == NULL)
    return;
  bed->occupant = p;
  g_free (p->patient->ward_id);
  p->patient->ward_id = g_strdup (bed->ward->id);
  if (p->wards->len == 0
      || strcmp (g_ptr_array_index (p->wards, p->wards->len - 1), bed->ward->id) != 0)
    g_ptr_array_add (p->wards, g_strdup (bed->ward->id));
}

/**
 * wk_sim_hospital_new:
 * @options: the hospital to make
 *
 * Makes the hospital, with its beds filled as @options says and every patient's
 * allergies, weight and orders. Nothing has been sent yet: wk_sim_hospital_next() sends
 * the initial load first.
 *
 * Returns: (transfer full): the hospital
 */
WkSimHospital *
wk_sim_hospital_new (const WkSimOptions *options)
{
  WkSimHospital *h = g_new0 (WkSimHospital, 1);

  h->options = *options;
  h->rand = g_rand_new_with_seed (options->seed);
  h->zone = g_time_zone_new_identifier ("Europe/London");
  g_assert (h->zone != NULL);
  h->wards = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_ward_free);
  h->patients = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_patient_free);
  h->initial = g_queue_new ();
  h->pending = g_queue_new ();
  h->now = options->start;
  /* Hospitals of other seeds get other NHS numbers (the 999 range holds a million). */
  h->next_nhs = (guint)(((guint64)options->seed * 104729u) % 900000u);
  /* Control ids differ between runs with another seed or start. */
  h->run_id = (options->seed * 2654435761u) ^ (guint32)(options->start / 60);

  for (guint w = 0; w < options->n_wards; w++)
    g_ptr_array_add (h->wards, ward_new (w, options->beds_per_ward));

  /* Patients already in: admitted up to ten days ago, each with three to eight orders
   * started since; a few orders already held or stopped. */
  for (guint w = 0; w < h->wards->len; w++)
    {
      WkSimWard *ward = h->wards->pdata[w];

      for (guint b = 0; b < ward->beds->len; b++)
        {
          WkSimPatient *p;
          int           n_orders;

          if (!chance (h, options->occupancy))
            continue;
          p = patient_new (h, options->start - 3600 - pick (h, 10 * 86400));
          place (p, ward->beds->pdata[b], options->start);
          queue_initial (h->initial, p, NULL, "A01");
          n_orders = 3 + pick (h, 6);
          for (int i = 0; i < n_orders; i++)
            {
              const Medicine *m = pick_medicine (h, p);
              WkSimOrder     *o;
              WkOrder        *order;

              if (m == NULL)
                continue;
              o = add_order (h, p, m,
                             p->patient->admitted_at
                                 + pick (h, (int)(options->start - p->patient->admitted_at)));
              order = o->versions->pdata[0];
              o->next_due
                  = order->kind == WK_ORDER_ONCE ? 0 : next_due_after (h, order, options->start);
              queue_initial (h->initial, p, o, "NW");
              /* Some orders were held or stopped before the feed started. */
              if (order->kind == WK_ORDER_REGULAR && chance (h, 0.12))
                queue_initial (h->initial, p, o, chance (h, 0.5) ? "HD" : "DC");
            }
        }
    }
  return h;
}

/**
 * wk_sim_hospital_new_sized:
 * @seed: the seed
 * @n_wards: how many wards
 * @beds_per_ward: beds on each
 *
 * Returns: (transfer full): a hospital with the other options at their defaults
 */
WkSimHospital *
wk_sim_hospital_new_sized (guint32 seed, guint n_wards, guint beds_per_ward)
{
  WkSimOptions options;

  wk_sim_options_init (&options);
  options.seed = seed;
  options.n_wards = n_wards;
  options.beds_per_ward = beds_per_ward;
  return wk_sim_hospital_new (&options);
}

/**
 * wk_sim_hospital_free:
 * @hospital: (nullable) (transfer full): a #WkSimHospital
 */
void
wk_sim_hospital_free (WkSimHospital *hospital)
{
  if (hospital == NULL)
    return;
  g_ptr_array_unref (hospital->patients);
  g_ptr_array_unref (hospital->wards);
  g_rand_free (hospital->rand);
  g_time_zone_unref (hospital->zone);
  g_queue_free_full (hospital->initial, g_free);
  g_queue_free_full (hospital->pending, (GDestroyNotify)wk_sim_event_free);
  g_free (hospital);
}

/**
 * wk_sim_hospital_get_wards:
 * @hospital: a #WkSimHospital
 *
 * Returns: (transfer none) (element-type WkSimWard): the wards
 */
GPtrArray *
wk_sim_hospital_get_wards (WkSimHospital *hospital)
{
  return hospital->wards;
}

/**
 * wk_sim_hospital_get_patients:
 * @hospital: a #WkSimHospital
 *
 * Returns: (transfer none) (element-type WkSimPatient): every patient, in, gone or
 *   not yet announced
 */
GPtrArray *
wk_sim_hospital_get_patients (WkSimHospital *hospital)
{
  return hospital->patients;
}

/**
 * wk_sim_hospital_count_beds:
 * @hospital: a #WkSimHospital
 *
 * Returns: the number of beds in the hospital
 */
guint
wk_sim_hospital_count_beds (WkSimHospital *hospital)
{
  guint n = 0;

  for (guint w = 0; w < hospital->wards->len; w++)
    n += ((WkSimWard *)hospital->wards->pdata[w])->beds->len;
  return n;
}

/**
 * wk_sim_hospital_count_occupied:
 * @hospital: a #WkSimHospital
 *
 * Returns: the number of occupied beds
 */
guint
wk_sim_hospital_count_occupied (WkSimHospital *hospital)
{
  guint n = 0;

  for (guint i = 0; i < hospital->patients->len; i++)
    if (((WkSimPatient *)hospital->patients->pdata[i])->bed != NULL)
      n++;
  return n;
}

/**
 * wk_sim_hospital_get_now:
 * @hospital: a #WkSimHospital
 *
 * Returns: the simulated time of the last event (UTC seconds)
 */
gint64
wk_sim_hospital_get_now (WkSimHospital *hospital)
{
  return hospital->now;
}

/**
 * wk_sim_hospital_get_n_initial:
 * @hospital: a #WkSimHospital
 *
 * Returns: how many messages the initial load has sent so far
 */
guint
wk_sim_hospital_get_n_initial (WkSimHospital *hospital)
{
  return hospital->n_initial;
}

/* --- HL7 ---------------------------------------------------------------------------- */

static WkHl7Builder *
begin_message (WkSimHospital *h, const char *type, const char *ward, char **control_id)
{
  WkHl7Builder *b = wk_hl7_builder_new (NULL);

  *control_id = g_strdup_printf ("%08X%08u", h->run_id, ++h->next_message);
  wk_hl7_builder_msh (b, type, *control_id, h->now);
  wk_hl7_builder_field (b, 3, SENDER);
  wk_hl7_builder_field (b, 4, HOSPITAL_CODE);
  wk_hl7_builder_field (b, 5, "WARDKEEP");
  wk_hl7_builder_field (b, 6, ward);
  return b;
}

/* An XCN "code^family^given" as the builder's components. */
static void
set_person (WkHl7Builder *b, guint field, const char *xcn)
{
  g_auto (GStrv) parts = g_strsplit (xcn, "^", 3);

  for (guint i = 0; parts[i] != NULL; i++)
    wk_hl7_builder_set (b, field, 1, i + 1, 0, parts[i]);
}

static void
add_pid (WkHl7Builder *b, WkSimPatient *p)
{
  WkPatient       *pt = p->patient;
  g_autofree char *dob = g_strndup (pt->birth_date, 10);

  wk_hl7_builder_segment (b, "PID");
  wk_hl7_builder_field (b, 1, "1");
  wk_hl7_builder_set (b, 3, 1, 1, 0, pt->nhs_number);
  wk_hl7_builder_set (b, 3, 1, 4, 0, "NHS");
  wk_hl7_builder_set (b, 3, 1, 5, 0, "NH");
  wk_hl7_builder_set (b, 3, 2, 1, 0, pt->hospital_number);
  wk_hl7_builder_set (b, 3, 2, 4, 0, HOSPITAL_CODE);
  wk_hl7_builder_set (b, 3, 2, 5, 0, "MR");
  wk_hl7_builder_component (b, 5, 1, pt->family_name);
  wk_hl7_builder_component (b, 5, 2, pt->given_names);
  /* YYYY-MM-DD as YYYYMMDD */
  {
    char date[9] = { dob[0], dob[1], dob[2], dob[3], dob[5], dob[6], dob[8], dob[9], 0 };

    wk_hl7_builder_field (b, 7, date);
  }
  wk_hl7_builder_field (b, 8, pt->sex == WK_SEX_FEMALE ? "F" : "M");
}

static void
add_pv1 (WkHl7Builder *b, WkSimPatient *p, WkSimBed *prior)
{
  WkPatient *pt = p->patient;

  wk_hl7_builder_segment (b, "PV1");
  wk_hl7_builder_field (b, 1, "1");
  wk_hl7_builder_field (b, 2, "I");
  if (p->bed != NULL)
    {
      wk_hl7_builder_component (b, 3, 1, p->bed->ward->id);
      wk_hl7_builder_component (b, 3, 2, p->bed->bay);
      wk_hl7_builder_component (b, 3, 3, p->bed->bed);
    }
  if (prior != NULL)
    {
      wk_hl7_builder_component (b, 6, 1, prior->ward->id);
      wk_hl7_builder_component (b, 6, 2, prior->bay);
      wk_hl7_builder_component (b, 6, 3, prior->bed);
    }
  set_person (b, 7, pt->consultant);
  wk_hl7_builder_field (b, 19, pt->visit_number);
  wk_hl7_builder_field_time (b, 44, pt->admitted_at);
  if (pt->left_at != 0)
    wk_hl7_builder_field_time (b, 45, pt->left_at);
}

static const char *
category_code (WkAllergyCategory category)
{
  switch (category)
    {
    case WK_ALLERGY_DRUG:
      return "DA";
    case WK_ALLERGY_FOOD:
      return "FA";
    case WK_ALLERGY_ENVIRONMENT:
      return "EA";
    case WK_ALLERGY_OTHER:
      return "MA";
    }
  return "DA";
}

static const char *
severity_code (WkSeverity severity)
{
  switch (severity)
    {
    case WK_SEVERITY_SEVERE:
      return "SV";
    case WK_SEVERITY_MODERATE:
      return "MO";
    case WK_SEVERITY_MILD:
      return "MI";
    case WK_SEVERITY_UNKNOWN:
      return "U";
    }
  return "U";
}

/* AL1 segments: the list, "no known allergies", or none at all (not recorded). */
static void
add_allergies (WkHl7Builder *b, WkSimPatient *p)
{
  if (p->patient->allergy_status == WK_ALLERGY_STATUS_NONE_KNOWN)
    {
      wk_hl7_builder_segment (b, "AL1");
      wk_hl7_builder_field (b, 1, "1");
      wk_hl7_builder_field (b, 2, "DA");
      wk_hl7_builder_component (b, 3, 1, "716186003");
      wk_hl7_builder_component (b, 3, 2, "No known allergy");
      return;
    }
  for (guint i = 0; i < p->allergies->len; i++)
    {
      WkAllergy       *a = p->allergies->pdata[i];
      g_autofree char *n = g_strdup_printf ("%u", i + 1);

      wk_hl7_builder_segment (b, "AL1");
      wk_hl7_builder_field (b, 1, n);
      wk_hl7_builder_field (b, 2, category_code (a->category));
      wk_hl7_builder_component (b, 3, 1, a->code);
      wk_hl7_builder_component (b, 3, 2, a->substance);
      wk_hl7_builder_field (b, 4, severity_code (a->severity));
      wk_hl7_builder_field (b, 5, a->reaction);
      wk_hl7_builder_field_time (b, 6, a->recorded_at);
    }
}

static void
add_weight (WkHl7Builder *b, WkSimPatient *p)
{
  wk_hl7_builder_segment (b, "OBX");
  wk_hl7_builder_field (b, 1, "1");
  wk_hl7_builder_field (b, 2, "NM");
  wk_hl7_builder_component (b, 3, 1, "29463-7");
  wk_hl7_builder_component (b, 3, 2, "Body weight");
  wk_hl7_builder_component (b, 3, 3, "LN");
  wk_hl7_builder_field_number (b, 5, p->patient->weight_kg);
  wk_hl7_builder_component (b, 6, 1, "kg");
  wk_hl7_builder_field (b, 11, "F");
  wk_hl7_builder_field_time (b, 14, p->patient->weight_at);
}

static WkSimEvent *
event_new (WkSimHospital *h, WkSimPatient *p, WkHl7Builder *b, char *control_id, char *summary)
{
  WkSimEvent *event = g_new0 (WkSimEvent, 1);

  event->patient = p->n;
  event->message = wk_hl7_builder_end (b);
  event->control_id = control_id;
  event->summary = summary;
  event->at = h->now;
  return event;
}

static WkSimEvent *
adt_message (WkSimHospital *h, WkSimPatient *p, const char *event, WkSimBed *prior, char *summary)
{
  g_autoptr (WkHl7Builder) b = NULL;
  g_autofree char *type = g_strdup_printf ("ADT^%s^ADT_A01", event);
  const char      *ward = p->bed != NULL ? p->bed->ward->id : p->patient->ward_id;
  char            *control_id = NULL;

  if (strcmp (event, "A02") == 0)
    {
      g_free (type);
      type = g_strdup ("ADT^A02^ADT_A02");
    }
  else if (strcmp (event, "A03") == 0)
    {
      g_free (type);
      type = g_strdup ("ADT^A03^ADT_A03");
    }
  b = begin_message (h, type, ward, &control_id);
  wk_hl7_builder_segment (b, "EVN");
  wk_hl7_builder_field_time (b, 2, h->now);
  add_pid (b, p);
  add_pv1 (b, p, prior);
  if (strcmp (event, "A03") != 0)
    {
      add_weight (b, p);
      add_allergies (b, p);
    }
  return event_new (h, p, b, control_id, summary);
}

static const char *
order_control_name (const char *control)
{
  if (strcmp (control, "NW") == 0)
    return "new order";
  if (strcmp (control, "XO") == 0)
    return "order changed";
  if (strcmp (control, "DC") == 0)
    return "order stopped";
  if (strcmp (control, "HD") == 0)
    return "order held";
  if (strcmp (control, "RL") == 0)
    return "order released";
  return control;
}

static const char *
route_text (const char *code)
{
  return strcmp (code, "PO") == 0 ? "Oral" : code;
}

/* One order group (ORC, TQ1, RXE, RXR): the order whole, as its version @order says. */
static void
add_order_group (WkHl7Builder *b, const WkOrder *order, const char *control)
{
  wk_hl7_builder_segment (b, "ORC");
  wk_hl7_builder_field (b, 1, control);
  wk_hl7_builder_component (b, 2, 1, order->placer_id);
  if (order->status == WK_ORDER_HELD)
    wk_hl7_builder_field (b, 5, "HD");
  wk_hl7_builder_field_time (b, 9, order->transaction_at);
  set_person (b, 12, order->prescriber);

  wk_hl7_builder_segment (b, "TQ1");
  wk_hl7_builder_field (b, 1, "1");
  if (order->frequency != NULL)
    wk_hl7_builder_component (b, 3, 1, order->frequency);
  if (order->admin_times != NULL)
    {
      g_auto (GStrv) times = g_strsplit (order->admin_times, ",", -1);

      for (guint i = 0; times[i] != NULL; i++)
        {
          char hhmm[5] = { times[i][0], times[i][1], times[i][3], times[i][4], 0 };

          wk_hl7_builder_set (b, 4, i + 1, 1, 0, hhmm);
        }
    }
  wk_hl7_builder_field_time (b, 7, order->start_at);
  if (order->stop_at != 0)
    wk_hl7_builder_field_time (b, 8, order->stop_at);
  if (order->kind == WK_ORDER_PRN)
    wk_hl7_builder_component (b, 9, 1, "PRN");
  else if (order->kind == WK_ORDER_ONCE)
    wk_hl7_builder_component (b, 9, 1, "S");

  wk_hl7_builder_segment (b, "RXE");
  wk_hl7_builder_component (b, 2, 1, order->dmd_code);
  wk_hl7_builder_component (b, 2, 2, order->drug);
  wk_hl7_builder_field_number (b, 3, order->dose);
  if (order->dose_max > 0)
    wk_hl7_builder_field_number (b, 4, order->dose_max);
  wk_hl7_builder_component (b, 5, 1, order->dose_unit);
  if (order->instructions != NULL)
    wk_hl7_builder_component (b, 7, 2, order->instructions);
  if (order->prn_max_24h > 0)
    {
      g_autofree char *max = g_strdup_printf ("%g", order->prn_max_24h);

      wk_hl7_builder_component (b, 19, 1, max);
      wk_hl7_builder_component (b, 19, 2, order->dose_unit);
    }
  if (order->prn_indication != NULL)
    wk_hl7_builder_component (b, 27, 2, order->prn_indication);

  wk_hl7_builder_segment (b, "RXR");
  wk_hl7_builder_component (b, 1, 1, order->route);
  wk_hl7_builder_component (b, 1, 2, route_text (order->route));
}

/* A new order is seen by the kiosk of every ward the patient has been on: a kiosk follows
 * a patient from their first arrival on its ward. */
static void
mark_seen (WkSimPatient *p, WkSimOrder *o, guint first_version, gboolean sent_again)
{
  for (guint i = 0; i < p->wards->len; i++)
    if (!g_hash_table_contains (o->seen, p->wards->pdata[i]))
      {
        WkSimSeen *seen = g_new0 (WkSimSeen, 1);

        seen->first_version = first_version;
        seen->first_administration = o->administrations->len;
        seen->sent_again = sent_again;
        g_hash_table_insert (o->seen, g_strdup (p->wards->pdata[i]), seen);
      }
}

/* The message sending the order's newest version, made now. */
static WkSimEvent *
order_message (WkSimHospital *h, WkSimPatient *p, WkSimOrder *o, const char *control)
{
  WkOrder *order = o->versions->pdata[o->versions->len - 1];
  g_autoptr (WkHl7Builder) b = NULL;
  char *control_id = NULL;

  order->transaction_at = h->now;
  if (strcmp (control, "NW") == 0)
    mark_seen (p, o, 0, FALSE);
  b = begin_message (h, "RDE^O11^RDE_O11", p->patient->ward_id, &control_id);
  add_pid (b, p);
  add_pv1 (b, p, NULL);
  add_order_group (b, order, control);
  return event_new (h, p, b, control_id,
                    g_strdup_printf ("RDE^O11 %s %s: %s %g %s for patient %u on %s", control,
                                     order_control_name (control), order->placer_id, order->dose,
                                     order->dose_unit, p->n, p->patient->ward_id));
}

/* What the profile asks of an engine after a transfer to another ward: the patient's
 * current orders (active or held), each whole with ORC-1 XO and ORC-9 the time of its
 * newest version, in one RDE^O11. NULL when the patient has none. */
static WkSimEvent *
orders_message (WkSimHospital *h, WkSimPatient *p)
{
  g_autoptr (WkHl7Builder) b = NULL;
  char *control_id = NULL;
  guint n = 0;

  for (guint i = 0; i < p->orders->len; i++)
    {
      WkSimOrder *o = p->orders->pdata[i];
      WkOrder    *order = o->versions->pdata[o->versions->len - 1];

      if (!o->sent || order->status == WK_ORDER_DISCONTINUED)
        continue;
      if (b == NULL)
        {
          b = begin_message (h, "RDE^O11^RDE_O11", p->patient->ward_id, &control_id);
          add_pid (b, p);
          add_pv1 (b, p, NULL);
        }
      add_order_group (b, order, "XO");
      mark_seen (p, o, o->versions->len - 1, TRUE);
      n++;
    }
  if (b == NULL)
    return NULL;
  return event_new (h, p, b, control_id,
                    g_strdup_printf ("RDE^O11 XO the current orders (%u) of patient %u, "
                                     "transferred to %s",
                                     n, p->n, p->patient->ward_id));
}

static WkSimEvent *
administration_message (WkSimHospital *h, WkSimPatient *p, WkSimOrder *o, WkAdministration *a)
{
  WkOrder *order = o->versions->pdata[o->versions->len - 1];
  g_autoptr (WkHl7Builder) b = NULL;
  char       *control_id = NULL;
  const char *status = "CP";
  g_auto (GStrv) by = g_strsplit (a->by_whom, " ", 2);

  b = begin_message (h, "RAS^O17^RAS_O17", p->patient->ward_id, &control_id);
  add_pid (b, p);
  add_pv1 (b, p, NULL);
  wk_hl7_builder_segment (b, "ORC");
  wk_hl7_builder_field (b, 1, "RE");
  wk_hl7_builder_component (b, 2, 1, order->placer_id);
  wk_hl7_builder_segment (b, "RXA");
  wk_hl7_builder_field (b, 1, "0");
  wk_hl7_builder_field (b, 2, "1");
  wk_hl7_builder_field_time (b, 3, a->at);
  wk_hl7_builder_component (b, 5, 1, order->dmd_code);
  wk_hl7_builder_component (b, 5, 2, order->drug);
  wk_hl7_builder_field_number (b, 6, a->given ? a->dose : 0);
  wk_hl7_builder_component (b, 7, 1, order->dose_unit);
  wk_hl7_builder_set (b, 10, 1, 2, 0, by[1]);
  wk_hl7_builder_set (b, 10, 1, 3, 0, by[0]);
  if (!a->given)
    {
      status = strcmp (a->reason, "Patient refused") == 0 ? "RE" : "NA";
      wk_hl7_builder_component (b, 18, 2, a->reason);
    }
  wk_hl7_builder_field (b, 20, status);
  return event_new (h, p, b, control_id,
                    g_strdup_printf ("RAS^O17 %s: %s %s for patient %u on %s",
                                     a->given ? "given" : "not given", order->placer_id,
                                     order->drug, p->n, p->patient->ward_id));
}

/* --- events ------------------------------------------------------------------------- */

/* Stopped now: a later stop time is brought forward, an earlier one kept. */
static void
stop (WkOrder *order, gint64 now)
{
  order->status = WK_ORDER_DISCONTINUED;
  order->status_at = now;
  if (order->stop_at == 0 || order->stop_at > now)
    order->stop_at = MAX (now, order->start_at);
}

/* A new version of an order, carrying the changes the caller makes to it. */
static WkOrder *
new_version (WkSimOrder *o)
{
  WkOrder *current = o->versions->pdata[o->versions->len - 1];
  WkOrder *next = wk_order_copy (current);

  next->version = current->version + 1;
  g_ptr_array_add (o->versions, next);
  return next;
}

static WkSimPatient *
random_inpatient (WkSimHospital *h)
{
  for (int tries = 0; tries < 50; tries++)
    {
      WkSimPatient *p = h->patients->pdata[pick (h, h->patients->len)];

      if (p->bed != NULL)
        return p;
    }
  return NULL;
}

static WkSimBed *
random_empty_bed (WkSimHospital *h)
{
  for (int tries = 0; tries < 50; tries++)
    {
      WkSimWard *ward = h->wards->pdata[pick (h, h->wards->len)];
      WkSimBed  *bed = ward->beds->pdata[pick (h, ward->beds->len)];

      if (bed->occupant == NULL)
        return bed;
    }
  return NULL;
}

static WkSimOrder *
random_order (WkSimHospital *h, WkSimPatient *p, gboolean (*fits) (WkOrder *))
{
  if (p == NULL || p->orders->len == 0)
    return NULL;
  for (int tries = 0; tries < 10; tries++)
    {
      WkSimOrder *o = p->orders->pdata[pick (h, p->orders->len)];

      if (fits (o->versions->pdata[o->versions->len - 1]))
        return o;
    }
  return NULL;
}

static gboolean
is_active (WkOrder *order)
{
  return order->status == WK_ORDER_ACTIVE;
}

static gboolean
is_held (WkOrder *order)
{
  return order->status == WK_ORDER_HELD;
}

static gboolean
is_changeable (WkOrder *order)
{
  return order->status == WK_ORDER_ACTIVE && order->kind == WK_ORDER_REGULAR;
}

static gboolean
is_prn (WkOrder *order)
{
  return order->status == WK_ORDER_ACTIVE && order->kind == WK_ORDER_PRN;
}

static WkAdministration *
record_dose (WkSimHospital *h, WkSimOrder *o, gint64 at, gboolean given)
{
  WkOrder           *order = o->versions->pdata[o->versions->len - 1];
  WkAdministration  *a = wk_administration_new (order->placer_id, order->version);
  const char *const *nurse = nurses[pick (h, G_N_ELEMENTS (nurses))];

  a->at = at;
  a->given = given;
  a->dose = given ? order->dose : 0;
  a->dose_unit = g_strdup (order->dose_unit);
  a->by_whom = g_strdup_printf ("%s %s", nurse[1], nurse[0]);
  if (!given)
    a->reason = g_strdup (not_given_reasons[pick (h, G_N_ELEMENTS (not_given_reasons))][1]);
  g_ptr_array_add (o->administrations, a);
  return a;
}

/* A dose due by now on an active order of a patient in a bed, if any. */
static WkSimEvent *
due_administration (WkSimHospital *h)
{
  WkSimPatient *best_p = NULL;
  WkSimOrder   *best_o = NULL;

  for (guint i = 0; i < h->patients->len; i++)
    {
      WkSimPatient *p = h->patients->pdata[i];

      if (p->bed == NULL)
        continue;
      for (guint j = 0; j < p->orders->len; j++)
        {
          WkSimOrder *o = p->orders->pdata[j];

          if (o->next_due != 0 && o->next_due <= h->now
              && (best_o == NULL || o->next_due < best_o->next_due))
            {
              best_p = p;
              best_o = o;
            }
        }
    }
  if (best_o == NULL)
    return NULL;
  {
    WkOrder          *order = best_o->versions->pdata[best_o->versions->len - 1];
    gint64            due = best_o->next_due;
    WkAdministration *a;

    best_o->next_due = order->kind == WK_ORDER_ONCE ? 0 : next_due_after (h, order, due);
    if (order->status == WK_ORDER_HELD)
      return NULL; /* held: the dose is not given, and the next one is looked at */
    a = record_dose (h, best_o, due, !chance (h, 0.06));
    return administration_message (h, best_p, best_o, a);
  }
}

static WkSimEvent *
admit (WkSimHospital *h)
{
  WkSimBed     *bed = random_empty_bed (h);
  WkSimPatient *p;
  int           n_orders;

  if (bed == NULL)
    return NULL;
  p = patient_new (h, h->now);
  place (p, bed, h->now);
  /* Orders come in their own messages, soon after. */
  n_orders = 2 + pick (h, 4);
  for (int i = 0; i < n_orders; i++)
    {
      const Medicine *m = pick_medicine (h, p);

      if (m != NULL)
        add_order (h, p, m, h->now)->next_due = 0;
    }
  return adt_message (h, p, "A01", NULL,
                      g_strdup_printf ("ADT^A01 admitted: patient %u to %s %s bed %s", p->n,
                                       bed->ward->id, bed->bay, bed->bed));
}

/* The first order of a patient not yet sent (made on admission), if any. */
static WkSimEvent *
unsent_order (WkSimHospital *h)
{
  for (guint i = h->patients->len; i > 0 && i + 8 > h->patients->len; i--)
    {
      WkSimPatient *p = h->patients->pdata[i - 1];

      if (p->bed == NULL)
        continue;
      for (guint j = 0; j < p->orders->len; j++)
        {
          WkSimOrder *o = p->orders->pdata[j];
          WkOrder    *order = o->versions->pdata[0];

          if (!o->sent)
            {
              o->sent = TRUE;
              order->status_at = h->now;
              order->start_at = h->now;
              o->next_due
                  = order->kind == WK_ORDER_ONCE ? h->now : next_due_after (h, order, h->now);
              return order_message (h, p, o, "NW");
            }
        }
    }
  return NULL;
}

static WkSimEvent *
random_event (WkSimHospital *h)
{
  int           roll = pick (h, 100);
  WkSimPatient *p = random_inpatient (h);
  WkSimOrder   *o;
  WkOrder      *order;

  if (p == NULL)
    return admit (h);
  if (roll < 10)
    return admit (h);
  if (roll < 17)
    {
      WkSimBed *was = p->bed;

      p->patient->stay = WK_STAY_DISCHARGED;
      p->patient->left_at = h->now;
      place (p, NULL, h->now);
      {
        /* The discharge names the bed the patient leaves. */
        WkSimEvent *event;

        p->bed = was;
        event = adt_message (
            h, p, "A03", NULL,
            g_strdup_printf ("ADT^A03 discharged: patient %u from %s", p->n, was->ward->id));
        p->bed = NULL;
        return event;
      }
    }
  if (roll < 24)
    {
      WkSimBed *to = random_empty_bed (h);
      WkSimBed *from = p->bed;

      if (to == NULL)
        return NULL;
      place (p, to, h->now);
      {
        WkSimEvent *event = adt_message (
            h, p, "A02", from,
            g_strdup_printf ("ADT^A02 transferred: patient %u from %s to %s %s bed %s", p->n,
                             from->ward->id, to->ward->id, to->bay, to->bed));

        /* To another ward: the engine sends the patient's orders next (or, playing an
         * engine that does not, leaves that ward's kiosk without them). */
        if (to->ward != from->ward)
          {
            WkSimEvent *orders = h->options.send_orders_on_transfer ? orders_message (h, p) : NULL;

            p->arrived_at = h->now;
            g_free (p->arrived_from);
            p->arrived_from = g_strdup (from->ward->id);
            p->unconfirmed = orders == NULL;
            if (orders != NULL)
              g_queue_push_tail (h->pending, orders);
          }
        return event;
      }
    }
  if (roll < 40)
    {
      const Medicine *m = pick_medicine (h, p);

      if (m == NULL)
        return NULL;
      o = add_order (h, p, m, h->now);
      o->sent = TRUE;
      order = o->versions->pdata[0];
      o->next_due = order->kind == WK_ORDER_ONCE ? h->now : next_due_after (h, order, h->now);
      return order_message (h, p, o, "NW");
    }
  if (roll < 50)
    {
      /* A dose change, as after a review. */
      o = random_order (h, p, is_changeable);
      if (o == NULL)
        return NULL;
      order = new_version (o);
      order->dose = order->dose * (chance (h, 0.5) ? 2 : 0.5);
      g_free (order->instructions);
      order->instructions = g_strdup ("Dose changed on review");
      return order_message (h, p, o, "XO");
    }
  if (roll < 58)
    {
      o = random_order (h, p, is_active);
      if (o == NULL)
        return NULL;
      order = new_version (o);
      stop (order, h->now);
      o->next_due = 0;
      return order_message (h, p, o, "DC");
    }
  if (roll < 62)
    {
      o = random_order (h, p, is_active);
      if (o == NULL)
        return NULL;
      order = new_version (o);
      order->status = WK_ORDER_HELD;
      order->status_at = h->now;
      return order_message (h, p, o, "HD");
    }
  if (roll < 66)
    {
      o = random_order (h, p, is_held);
      if (o == NULL)
        return NULL;
      order = new_version (o);
      order->status = WK_ORDER_ACTIVE;
      order->status_at = h->now;
      o->next_due = next_due_after (h, order, h->now);
      return order_message (h, p, o, "RL");
    }
  if (roll < 70)
    {
      /* Allergies reviewed: "not recorded" and "none known" become recorded. */
      const Allergen *a = &allergens[pick (h, G_N_ELEMENTS (allergens))];
      WkAllergy      *allergy;

      if (allergic_to (p, a->substance))
        return NULL;
      allergy = wk_allergy_new (0, a->substance);
      allergy->code = g_strdup (a->code);
      allergy->category = a->category;
      allergy->reaction = g_strdup (reactions[pick (h, G_N_ELEMENTS (reactions))]);
      allergy->severity = WK_SEVERITY_MODERATE;
      allergy->recorded_at = h->now;
      g_ptr_array_add (p->allergies, allergy);
      p->patient->allergy_status = WK_ALLERGY_STATUS_RECORDED;
      return adt_message (h, p, "A08", NULL,
                          g_strdup_printf ("ADT^A08 allergy recorded: patient %u on %s", p->n,
                                           p->patient->ward_id));
    }
  if (roll < 74)
    {
      p->patient->weight_kg
          = round ((p->patient->weight_kg + (g_rand_double (h->rand) - 0.5) * 4) * 10) / 10;
      p->patient->weight_at = h->now;
      return adt_message (
          h, p, "A08", NULL,
          g_strdup_printf ("ADT^A08 weight: patient %u on %s", p->n, p->patient->ward_id));
    }
  /* An as-required dose, within its limits. */
  o = random_order (h, p, is_prn);
  if (o == NULL)
    return NULL;
  order = o->versions->pdata[o->versions->len - 1];
  {
    double total = 0;
    gint64 last = 0;

    for (guint i = 0; i < o->administrations->len; i++)
      {
        WkAdministration *a = o->administrations->pdata[i];

        if (a->given && a->at > h->now - 86400)
          total += a->dose;
        last = MAX (last, a->at);
      }
    if ((last != 0 && h->now - last < order->min_interval_min * 60)
        || (order->prn_max_24h > 0 && total + order->dose > order->prn_max_24h))
      return NULL;
    return administration_message (h, p, o, record_dose (h, o, h->now, TRUE));
  }
}

/**
 * wk_sim_hospital_next:
 * @hospital: a #WkSimHospital
 * @now: the simulated time of the event to make (UTC seconds); not before the last one
 *
 * Makes the next message of the feed and brings the simulator's view in step with it:
 * during the initial load, the next admission or order of a patient already in; then
 * any dose due by @now, else a random event.
 *
 * Returns: (transfer full): the event
 */
WkSimEvent *
wk_sim_hospital_next (WkSimHospital *hospital, gint64 now)
{
  WkSimHospital *h = hospital;
  WkSimEvent    *event = NULL;

  h->now = MAX (h->now, now);
  while (event == NULL && !g_queue_is_empty (h->initial))
    {
      g_autofree InitialItem *item = g_queue_pop_head (h->initial);
      WkSimPatient           *p = item->patient;
      WkSimOrder             *o = item->order;

      if (o == NULL)
        event = adt_message (h, p, "A01", NULL,
                             g_strdup_printf ("ADT^A01 already in: patient %u in %s %s bed %s",
                                              p->n, p->bed->ward->id, p->bed->bay, p->bed->bed));
      else if (strcmp (item->control, "NW") == 0)
        {
          o->sent = TRUE;
          ((WkOrder *)o->versions->pdata[0])->status_at = h->now;
          event = order_message (h, p, o, "NW");
        }
      else
        {
          /* Held or stopped since it was prescribed, before the feed started. */
          WkOrder *next = new_version (o);

          next->status = WK_ORDER_HELD;
          next->status_at = h->now;
          if (strcmp (item->control, "DC") == 0)
            {
              stop (next, h->now);
              o->next_due = 0;
            }
          event = order_message (h, p, o, item->control);
        }
    }
  if (event != NULL)
    {
      event->initial = TRUE;
      h->n_initial++;
      return event;
    }
  if (!g_queue_is_empty (h->pending))
    return g_queue_pop_head (h->pending);
  while (event == NULL)
    {
      event = due_administration (h);
      if (event == NULL)
        event = unsent_order (h);
      if (event == NULL)
        event = random_event (h);
    }
  return event;
}

/* --- the model against the simulator's view --------------------------------------- */

/* How the feed names a person sent as XCN "code^family^given": "given family". */
static char *
person_name (const char *xcn)
{
  g_auto (GStrv) parts = g_strsplit (xcn, "^", 3);

  return g_strdup_printf ("%s %s", parts[2], parts[1]);
}

static const char *
route_name (const char *code)
{
  return strcmp (code, "PO") == 0 ? "oral" : code;
}

typedef struct
{
  GString *out;
  guint    n;
} Diff;

static void diff_add (Diff *d, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
diff_add (Diff *d, const char *format, ...)
{
  va_list args;

  if (d->n++ >= 40)
    return;
  va_start (args, format);
  g_string_append_vprintf (d->out, format, args);
  va_end (args);
  g_string_append_c (d->out, '\n');
}

static void
same_str (Diff *d, const char *who, const char *what, const char *model, const char *sim)
{
  if (g_strcmp0 (model, sim) != 0)
    diff_add (d, "%s: %s is \"%s\" in the model, \"%s\" in the simulator", who, what,
              model != NULL ? model : "(none)", sim != NULL ? sim : "(none)");
}

static void
same_int (Diff *d, const char *who, const char *what, gint64 model, gint64 sim)
{
  if (model != sim)
    diff_add (d,
              "%s: %s is %" G_GINT64_FORMAT " in the model, %" G_GINT64_FORMAT " in the simulator",
              who, what, model, sim);
}

static void
same_num (Diff *d, const char *who, const char *what, double model, double sim)
{
  if (fabs (model - sim) > 1e-6)
    diff_add (d, "%s: %s is %g in the model, %g in the simulator", who, what, model, sim);
}

/* @skipped: how many versions before @s the kiosk never had (its version numbers count
 * from the first it had); @status_at: the status time it must have. */
static void
compare_order_version (
    Diff *d, const char *who, const WkOrder *m, const WkOrder *s, int skipped, gint64 status_at)
{
  g_autofree char *prescriber = person_name (s->prescriber);

  same_int (d, who, "version", m->version, s->version - skipped);
  same_int (d, who, "kind", m->kind, s->kind);
  same_int (d, who, "status", m->status, s->status);
  same_str (d, who, "dm+d code", m->dmd_code, s->dmd_code);
  same_str (d, who, "drug", m->drug, s->drug);
  same_num (d, who, "dose", m->dose, s->dose);
  same_num (d, who, "top of the dose range", m->dose_max, s->dose_max);
  same_str (d, who, "dose unit", m->dose_unit, s->dose_unit);
  same_str (d, who, "route", m->route, route_name (s->route));
  same_str (d, who, "frequency", m->frequency, s->frequency);
  same_str (d, who, "due times", m->admin_times, s->admin_times);
  same_int (d, who, "minimum interval", m->min_interval_min, s->min_interval_min);
  same_str (d, who, "indication", m->prn_indication, s->prn_indication);
  same_num (d, who, "maximum in 24 h", m->prn_max_24h, s->prn_max_24h);
  same_int (d, who, "start", m->start_at, s->start_at);
  same_int (d, who, "stop", m->stop_at, s->stop_at);
  same_int (d, who, "status time", m->status_at, status_at);
  same_str (d, who, "prescriber", m->prescriber, prescriber);
  same_str (d, who, "instructions", m->instructions, s->instructions);
}

/* Every order the kiosk has of the patient: all of them for a kiosk that keeps every
 * ward (@ward NULL); for one that keeps @ward, what it saw from the patient's first
 * arrival there (see #WkSimSeen). */
static void
compare_orders (Diff *d, WkModel *model, WkSimPatient *p, const WkPatient *mp, const char *ward)
{
  static const WkSimSeen all = { 0, 0, FALSE };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) current = wk_order_load_for_patient (model, mp->id, &error);
  guint sent = 0;

  if (current == NULL)
    {
      diff_add (d, "patient %u: cannot load orders: %s", p->n, error->message);
      return;
    }
  for (guint i = 0; i < p->orders->len; i++)
    {
      WkSimOrder      *o = p->orders->pdata[i];
      WkOrder         *first = o->versions->pdata[0];
      g_autofree char *who = g_strdup_printf ("patient %u order %s", p->n, first->placer_id);
      const WkSimSeen *seen = ward != NULL ? g_hash_table_lookup (o->seen, ward) : &all;
      g_autoptr (GPtrArray) versions = NULL;
      g_autoptr (GPtrArray) given = NULL;
      guint n_versions, n_given;

      if (!o->sent || seen == NULL)
        continue;
      sent++;
      versions = wk_order_load_versions (model, first->placer_id, NULL);
      if (versions == NULL || versions->len == 0)
        {
          diff_add (d, "%s: not in the model", who);
          continue;
        }
      n_versions = o->versions->len - seen->first_version;
      same_int (d, who, "number of versions", versions->len, n_versions);
      for (guint v = 0; v < MIN (versions->len, n_versions); v++)
        {
          g_autofree char *whov = g_strdup_printf ("%s version %u", who, v + 1);
          WkOrder         *s = o->versions->pdata[seen->first_version + v];

          /* Sent again after a transfer: the kiosk knows when the order last changed. */
          compare_order_version (d, whov, versions->pdata[v], s, seen->first_version,
                                 v == 0 && seen->sent_again ? s->transaction_at : s->status_at);
          same_int (d, whov, "patient", ((WkOrder *)versions->pdata[v])->patient_id, mp->id);
        }
      given = wk_administration_load_for_order (model, first->placer_id, NULL);
      n_given = o->administrations->len - seen->first_administration;
      same_int (d, who, "number of administrations", given != NULL ? given->len : 0, n_given);
      for (guint k = 0; given != NULL && k < MIN (given->len, n_given); k++)
        {
          WkAdministration *ma = given->pdata[k];
          WkAdministration *sa = o->administrations->pdata[seen->first_administration + k];
          g_autofree char  *whoa = g_strdup_printf ("%s administration %u", who, k + 1);

          same_int (d, whoa, "time", ma->at, sa->at);
          same_int (d, whoa, "given", ma->given, sa->given);
          same_int (d, whoa, "order version", ma->order_version,
                    sa->order_version - (int)seen->first_version);
          same_str (d, whoa, "by", ma->by_whom, sa->by_whom);
          if (sa->given)
            {
              same_num (d, whoa, "dose", ma->dose, sa->dose);
              same_str (d, whoa, "unit", ma->dose_unit, sa->dose_unit);
            }
          else
            same_str (d, whoa, "reason not given", ma->reason, sa->reason);
        }
    }
  {
    g_autofree char *who = g_strdup_printf ("patient %u", p->n);

    same_int (d, who, "number of orders", current->len, sent);
  }
}

static void
compare_patient (Diff *d, WkModel *model, WkSimPatient *p, const char *ward)
{
  WkPatient       *s = p->patient;
  g_autofree char *who = g_strdup_printf ("patient %u", p->n);
  g_autofree char *consultant = person_name (s->consultant);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkPatient) m = wk_patient_load_by_nhs_number (model, s->nhs_number, &error);
  g_autoptr (GPtrArray) allergies = NULL;

  if (m == NULL)
    {
      diff_add (d, "%s: not in the model (%s)", who, error->message);
      return;
    }
  same_str (d, who, "hospital number", m->hospital_number, s->hospital_number);
  same_str (d, who, "family name", m->family_name, s->family_name);
  same_str (d, who, "given names", m->given_names, s->given_names);
  same_str (d, who, "birth date", m->birth_date, s->birth_date);
  same_int (d, who, "sex", m->sex, s->sex);
  same_num (d, who, "weight", m->weight_kg, s->weight_kg);
  same_int (d, who, "weight time", m->weight_at, s->weight_at);
  same_str (d, who, "consultant", m->consultant, consultant);
  same_str (d, who, "visit", m->visit_number, s->visit_number);
  same_int (d, who, "admitted", m->admitted_at, s->admitted_at);
  same_int (d, who, "allergy status", m->allergy_status, s->allergy_status);
  if (ward != NULL && (p->bed == NULL || strcmp (p->bed->ward->id, ward) != 0))
    {
      /* Gone from the only ward the kiosk keeps: discharged, or transferred out when
       * they left it (where they went since is not its business). */
      gboolean discharged = s->stay == WK_STAY_DISCHARGED;

      same_int (d, who, "stay", m->stay, discharged ? WK_STAY_DISCHARGED : WK_STAY_TRANSFERRED_OUT);
      same_int (d, who, "left", m->left_at,
                discharged
                    ? s->left_at
                    : (gint64)GPOINTER_TO_SIZE (g_hash_table_lookup (p->left_ward_at, ward)));
      same_str (d, who, "ward", m->ward_id, ward);
    }
  else
    {
      same_int (d, who, "stay", m->stay, s->stay);
      same_int (d, who, "left", m->left_at, s->left_at);
      same_str (d, who, "ward", m->ward_id, s->ward_id);
    }
  /* Transferred to the one ward kept, without their orders from before: the kiosk must
   * say that medicines may be missing. A kiosk that keeps every ward followed them. */
  {
    gboolean unconfirmed
        = ward != NULL && p->bed != NULL && strcmp (p->bed->ward->id, ward) == 0 && p->unconfirmed;

    same_int (d, who, "arrival", m->arrival, unconfirmed ? WK_ARRIVAL_TRANSFER : WK_ARRIVAL_NONE);
    same_int (d, who, "arrived", m->arrived_at, unconfirmed ? p->arrived_at : 0);
    same_str (d, who, "arrived from", m->arrived_from, unconfirmed ? p->arrived_from : NULL);
  }
  if (p->bed == NULL || (ward != NULL && strcmp (p->bed->ward->id, ward) != 0))
    {
      same_int (d, who, "bed", m->bed_id, 0);
    }
  else
    {
      g_autoptr (WkBed) bed = m->bed_id != 0 ? wk_bed_load (model, m->bed_id, NULL) : NULL;

      if (bed == NULL)
        diff_add (d, "%s: has no bed in the model, %s %s %s in the simulator", who,
                  p->bed->ward->id, p->bed->bay, p->bed->bed);
      else
        {
          same_str (d, who, "bed's ward", bed->ward_id, p->bed->ward->id);
          same_str (d, who, "bay", bed->bay, p->bed->bay);
          same_str (d, who, "bed", bed->bed, p->bed->bed);
        }
    }

  allergies = wk_allergy_load_for_patient (model, m->id, NULL);
  same_int (d, who, "number of allergies", allergies != NULL ? allergies->len : 0,
            p->allergies->len);
  /* The model lists the most severe first: matched by substance. */
  for (guint i = 0; allergies != NULL && i < p->allergies->len; i++)
    {
      WkAllergy *sa = p->allergies->pdata[i], *ma = NULL;

      for (guint j = 0; j < allergies->len && ma == NULL; j++)
        if (g_strcmp0 (((WkAllergy *)allergies->pdata[j])->substance, sa->substance) == 0)
          ma = allergies->pdata[j];
      if (ma == NULL)
        {
          diff_add (d, "%s: allergy to %s is not in the model", who, sa->substance);
          continue;
        }
      same_str (d, who, "allergy code", ma->code, sa->code);
      same_int (d, who, "allergy category", ma->category, sa->category);
      same_int (d, who, "allergy severity", ma->severity, sa->severity);
      same_str (d, who, "allergy reaction", ma->reaction, sa->reaction);
      same_int (d, who, "allergy recorded", ma->recorded_at, sa->recorded_at);
    }
  compare_orders (d, model, p, m, ward);
}

/**
 * wk_sim_hospital_compare_model:
 * @hospital: a #WkSimHospital, after its feed went to a kiosk
 * @model: the kiosk's model after that feed
 * @ward: (nullable): the one ward the kiosk keeps (`[hl7] wards` not set): compare what
 *   a kiosk of that ward must have, every patient who has been on it and only what it
 *   saw of them (see #WkSimSeen); %NULL for a kiosk that keeps every ward
 * @differences: where each difference is described, one per line (the first 40)
 *
 * Compares the model, field by field through its C API, with the simulator's own view
 * of what it sent: every patient (identity, stay, bed, weight, consultant, allergies,
 * whether their orders may be missing), every version of every order, every
 * administration, and who is in each bed.
 *
 * Returns: %TRUE when they are the same
 */
gboolean
wk_sim_hospital_compare_model (WkSimHospital *hospital,
                               WkModel       *model,
                               const char    *ward,
                               GString       *differences)
{
  Diff d = { differences, 0 };
  g_autoptr (GPtrArray) all = wk_patient_load_all (model, NULL);
  guint announced = 0;

  for (guint i = 0; i < hospital->patients->len; i++)
    {
      WkSimPatient *p = hospital->patients->pdata[i];

      if (ward != NULL && !g_ptr_array_find_with_equal_func (p->wards, ward, g_str_equal, NULL))
        continue;
      announced++;
      compare_patient (&d, model, p, ward);
    }
  if (ward == NULL && all != NULL && all->len != announced)
    diff_add (&d, "the model has %u patients, the simulator %u", all->len, announced);

  /* Every bed: the same patient in it, or nobody. */
  for (guint w = 0; w < hospital->wards->len; w++)
    {
      WkSimWard *sw = hospital->wards->pdata[w];

      if (ward != NULL && strcmp (sw->id, ward) != 0)
        continue;
      for (guint b = 0; b < sw->beds->len; b++)
        {
          WkSimBed *sb = sw->beds->pdata[b];
          g_autoptr (WkBed) mb = wk_bed_load_by_location (model, sw->id, sb->bay, sb->bed, NULL);
          gint64 expected = 0;

          if (sb->occupant != NULL)
            {
              g_autoptr (WkPatient) mp
                  = wk_patient_load_by_nhs_number (model, sb->occupant->patient->nhs_number, NULL);

              expected = mp != NULL ? mp->id : -1;
            }
          if ((mb != NULL ? mb->patient_id : 0) != expected)
            diff_add (&d,
                      "bed %s %s %s: patient #%" G_GINT64_FORMAT " in the model, #%" G_GINT64_FORMAT
                      " expected",
                      sw->id, sb->bay, sb->bed, mb != NULL ? mb->patient_id : 0, expected);
        }
    }
  if (d.n > 40)
    g_string_append_printf (differences, "... and %u more differences\n", d.n - 40);
  return d.n == 0;
}
