/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-feed.c — applying HL7 messages to the ward model: every event, every refusal. */

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-config.h"
#include "wk-feed-message.h"
#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-model.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"
#include "wk-ward.h"

#include <sqlite3.h>
#include <string.h>

/* ---------------------------------------------------------------------------------- */
/* A feed on a fresh model, and the last acknowledgement it gave                       */

typedef struct
{
  WkModel  *model;
  WkConfig *config;
  WkFeed   *feed;
  gint64    now_us;
  char     *code;     /* MSA-1 */
  char     *control;  /* MSA-2 */
  char     *text;     /* MSA-3 */
  char     *err;      /* ERR-3.1 */
  char     *where;    /* ERR-2 as sent, "PID^1^3^1" */
  char     *ack_type; /* MSH-9 of the ACK */
} Fx;

static gint64
clock_cb (gpointer user_data)
{
  return ((Fx *)user_data)->now_us;
}

static Fx *
fx_new (const char *extra_config)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\nname = Ward 7A\n%s",
                                           extra_config != NULL ? extra_config : "");
  Fx              *f = g_new0 (Fx, 1);

  f->model = wk_model_new (&error);
  g_assert_no_error (error);
  f->config = wk_config_load_from_data (text, -1, "test.conf", &error);
  g_assert_no_error (error);
  f->feed = wk_feed_new (f->model, f->config, &error);
  g_assert_no_error (error);
  f->now_us = (gint64)1772359200 * G_USEC_PER_SEC; /* 2026-03-01T10:00:00Z */
  wk_feed_set_clock (f->feed, clock_cb, f);
  return f;
}

static void
fx_clear_ack (Fx *f)
{
  g_clear_pointer (&f->code, g_free);
  g_clear_pointer (&f->control, g_free);
  g_clear_pointer (&f->text, g_free);
  g_clear_pointer (&f->err, g_free);
  g_clear_pointer (&f->where, g_free);
  g_clear_pointer (&f->ack_type, g_free);
}

static void
fx_free (Fx *f)
{
  fx_clear_ack (f);
  wk_feed_free (f->feed);
  wk_config_free (f->config);
  wk_model_free (f->model);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fx, fx_free)

/* Reads one ACK into the fixture. */
static void
read_ack (Fx *f, const char *data, gsize length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Message) ack = wk_hl7_message_parse ((const guint8 *)data, length, NULL, &error);
  int msa, err;

  g_assert_no_error (error);
  msa = wk_hl7_message_find_segment (ack, "MSA", 0);
  err = wk_hl7_message_find_segment (ack, "ERR", 0);
  g_assert_cmpint (msa, ==, 1);
  fx_clear_ack (f);
  f->code = g_strdup (wk_hl7_message_get_text (ack, msa, 1, 1, 1, 1, NULL));
  f->control = g_strdup (wk_hl7_message_get_text (ack, msa, 2, 1, 1, 1, NULL));
  f->text = g_strdup (wk_hl7_message_get_text (ack, msa, 3, 1, 1, 1, NULL));
  {
    WkHl7Span type = wk_hl7_message_get_raw (ack, 0, 9, 0, 0, 0);

    f->ack_type = g_strndup (type.data, type.length);
  }
  if (err >= 0)
    {
      WkHl7Span where = wk_hl7_message_get_raw (ack, err, 2, 0, 0, 0);

      f->err = g_strdup (wk_hl7_message_get_text (ack, err, 3, 1, 1, 1, NULL));
      f->where = g_strndup (where.data, where.length);
      /* ERR-8 repeats MSA-3 for v2.5 receivers. */
      g_assert_cmpstr (wk_hl7_message_get_text (ack, err, 8, 1, 1, 1, NULL), ==, f->text);
      g_assert_cmpstr (wk_hl7_message_get_text (ack, err, 4, 1, 1, 1, NULL), ==, "E");
    }
  else
    g_assert_cmpstr (f->code, ==, "AA");
}

/* Sends one payload (segments may be separated by \n here; they are sent as \r). */
static const char *
send (Fx *f, const char *text)
{
  g_autofree char *payload = g_strdup (text);
  g_autoptr (GBytes) ack = NULL;
  gsize       length;
  const char *data;

  g_strdelimit (payload, "\n", '\r');
  ack = wk_feed_handle (f->feed, (const guint8 *)payload, strlen (payload));
  g_assert_nonnull (ack);
  data = g_bytes_get_data (ack, &length);
  read_ack (f, data, length);
  return f->code;
}

/* Sends a message that must be refused with @code, the HL7 error @err, a text that
 * contains @reason, and which must change nothing at all. */
static void
assert_refused (Fx *f, const char *text, const char *code, const char *err, const char *reason)
{
  guint64          before = wk_model_get_generation (f->model);
  g_autofree char *before_image = NULL;
  g_autofree char *after_image = NULL;

  send (f, text);
  if (g_strcmp0 (f->code, code) != 0 || g_strcmp0 (f->err, err) != 0 || f->text == NULL
      || strstr (f->text, reason) == NULL)
    g_error ("expected %s %s \"%s\", got %s %s \"%s\"", code, err, reason, f->code, f->err,
             f->text);
  g_assert_cmpuint (wk_model_get_generation (f->model), ==, before);
  (void)before_image;
  (void)after_image;
}

static guint control_counter;

static char *
next_control_id (void)
{
  return g_strdup_printf ("C%05u", ++control_counter);
}

/* ---------------------------------------------------------------------------------- */
/* Messages, made with the builder                                                     */

static char *
bytes_to_string (GBytes *bytes)
{
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
add_msh (WkHl7Builder *b, const char *type, const char *control_id, const char *time)
{
  wk_hl7_builder_segment (b, "MSH");
  wk_hl7_builder_field (b, 3, "PAS");
  wk_hl7_builder_field (b, 4, "RXH");
  wk_hl7_builder_field (b, 5, "WARDKEEP");
  wk_hl7_builder_field (b, 6, "7A");
  wk_hl7_builder_field_raw (b, 7, time);
  wk_hl7_builder_field_raw (b, 9, type);
  wk_hl7_builder_field (b, 10, control_id);
  wk_hl7_builder_field (b, 11, "P");
  wk_hl7_builder_field (b, 12, "2.5.1");
}

static void
add_pid (WkHl7Builder *b, guint n)
{
  g_autofree char *nhs = wk_test_nhs_number (n);
  g_autofree char *mrn = g_strdup_printf ("RX%07u", n + 1);
  g_autofree char *family = g_strdup_printf ("TESTER%u", n);

  wk_hl7_builder_segment (b, "PID");
  wk_hl7_builder_field (b, 1, "1");
  wk_hl7_builder_set (b, 3, 1, 1, 1, nhs);
  wk_hl7_builder_set (b, 3, 1, 4, 1, "NHS");
  wk_hl7_builder_set (b, 3, 1, 5, 1, "NH");
  wk_hl7_builder_set (b, 3, 2, 1, 1, mrn);
  wk_hl7_builder_set (b, 3, 2, 4, 1, "RXH");
  wk_hl7_builder_set (b, 3, 2, 5, 1, "MR");
  wk_hl7_builder_component (b, 5, 1, family);
  wk_hl7_builder_component (b, 5, 2, "Alex");
  wk_hl7_builder_component (b, 5, 3, "Jo");
  wk_hl7_builder_field (b, 7, "19700101");
  wk_hl7_builder_field (b, 8, n % 2 ? "M" : "F");
}

/* An ADT message; @location is PV1-3 as written ("7A^BAY1^1"), NULL for no PV1. */
static char *
adt (const char *event, const char *time, guint n, const char *location, const char *extra)
{
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autofree char *type = g_strdup_printf ("ADT^%s^ADT_A01", event);
  g_autofree char *id = next_control_id ();
  g_autofree char *visit = g_strdup_printf ("V%04u", n);
  g_autoptr (GBytes) bytes = NULL;

  add_msh (b, type, id, time);
  wk_hl7_builder_segment (b, "EVN");
  wk_hl7_builder_field (b, 1, event);
  wk_hl7_builder_field_raw (b, 2, time);
  add_pid (b, n);
  if (location != NULL)
    {
      wk_hl7_builder_segment (b, "PV1");
      wk_hl7_builder_field (b, 1, "1");
      wk_hl7_builder_field (b, 2, "I");
      wk_hl7_builder_field_raw (b, 3, location);
      wk_hl7_builder_field_raw (b, 7, "C123^Invented^Casey^^^Dr");
      wk_hl7_builder_field (b, 19, visit);
      if (strcmp (event, "A01") == 0)
        wk_hl7_builder_field_raw (b, 44, time);
    }
  if (extra != NULL)
    {
      g_autofree char *raw = g_strdup (extra);

      g_strdelimit (raw, "\n", '\r');
      wk_hl7_builder_append_raw (b, raw, -1);
    }
  bytes = wk_hl7_builder_end (b);
  return bytes_to_string (bytes);
}

typedef struct
{
  const char *control; /* ORC-1 */
  const char *placer;  /* ORC-2 */
  const char *when;    /* ORC-9 */
  const char *drug;    /* RXE-2, raw */
  const char *dose;    /* RXE-3 */
  const char *dose_max;
  const char *unit;    /* RXE-5, raw */
  const char *route;   /* RXR-1, raw; "" for no RXR */
  const char *pattern; /* TQ1-3 */
  const char *times;   /* TQ1-4, raw */
  const char *priority;
  const char *start;   /* TQ1-7 */
  const char *stop;    /* TQ1-8 */
  const char *max_24h; /* RXE-19, raw */
  const char *indication;
  const char *instructions;
  const char *status; /* ORC-5 */
  gboolean    no_rxe, no_tq1, no_pid;
} Rx;

static void
add_order_group (WkHl7Builder *b, const Rx *rx)
{
#define OR(x, d) ((x) != NULL ? (x) : (d))
  wk_hl7_builder_segment (b, "ORC");
  wk_hl7_builder_field (b, 1, OR (rx->control, "NW"));
  wk_hl7_builder_field (b, 2, OR (rx->placer, "ORD1"));
  wk_hl7_builder_field (b, 5, rx->status);
  wk_hl7_builder_field_raw (b, 9, OR (rx->when, "202603010900"));
  wk_hl7_builder_field_raw (b, 12, "D456^Prescriber^Pat^^^Dr");
  if (!rx->no_rxe)
    {
      wk_hl7_builder_segment (b, "RXE");
      wk_hl7_builder_field_raw (b, 2, OR (rx->drug, "322236009^Paracetamol 500mg tablets^DMD"));
      wk_hl7_builder_field_raw (b, 3, OR (rx->dose, "1000"));
      wk_hl7_builder_field_raw (b, 4, OR (rx->dose_max, ""));
      wk_hl7_builder_field_raw (b, 5, OR (rx->unit, "mg"));
      wk_hl7_builder_field_raw (b, 7, OR (rx->instructions, ""));
      wk_hl7_builder_field_raw (b, 19, OR (rx->max_24h, ""));
      wk_hl7_builder_field_raw (b, 27, OR (rx->indication, ""));
    }
  if (rx->route == NULL || *rx->route != '\0')
    {
      wk_hl7_builder_segment (b, "RXR");
      wk_hl7_builder_field_raw (b, 1, OR (rx->route, "PO^Oral^HL70162"));
    }
  if (!rx->no_tq1)
    {
      wk_hl7_builder_segment (b, "TQ1");
      wk_hl7_builder_field (b, 1, "1");
      wk_hl7_builder_field_raw (b, 3, OR (rx->pattern, "QDS"));
      wk_hl7_builder_field_raw (b, 4, OR (rx->times, ""));
      wk_hl7_builder_field_raw (b, 7, OR (rx->start, "202603010800"));
      wk_hl7_builder_field_raw (b, 8, OR (rx->stop, ""));
      wk_hl7_builder_field_raw (b, 9, OR (rx->priority, ""));
    }
#undef OR
}

/* An RDE^O11 with one order group for each of @n_rx orders. */
static char *
rde_orders (guint n, const Rx *rx, guint n_rx)
{
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autofree char *id = next_control_id ();
  g_autoptr (GBytes) bytes = NULL;

  add_msh (b, "RDE^O11^RDE_O11", id, "202603011000");
  if (!rx->no_pid)
    {
      add_pid (b, n);
      wk_hl7_builder_segment (b, "PV1");
      wk_hl7_builder_field (b, 2, "I");
      wk_hl7_builder_field_raw (b, 3, "7A^BAY1^1");
    }
  for (guint i = 0; i < n_rx; i++)
    add_order_group (b, &rx[i]);
  bytes = wk_hl7_builder_end (b);
  return bytes_to_string (bytes);
}

static char *
rde (guint n, const Rx *rx)
{
  return rde_orders (n, rx, 1);
}

typedef struct
{
  const char *at;     /* RXA-3 and RXA-4 */
  const char *dose;   /* RXA-6 */
  const char *unit;   /* RXA-7, raw */
  const char *by;     /* RXA-10, raw */
  const char *reason; /* RXA-18, raw */
  const char *status; /* RXA-20 */
  const char *action; /* RXA-21 */
} Rxa;

/* A RAS^O17 with one RXA (NULL fields are left empty). */
static char *
ras (guint n, const char *placer, const Rxa *rxa)
{
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autofree char *id = next_control_id ();
  g_autoptr (GBytes) bytes = NULL;

  add_msh (b, "RAS^O17^RAS_O17", id, "202603011200");
  add_pid (b, n);
  wk_hl7_builder_segment (b, "ORC");
  wk_hl7_builder_field (b, 1, "RE");
  wk_hl7_builder_field (b, 2, placer);
  wk_hl7_builder_segment (b, "RXA");
  wk_hl7_builder_field (b, 1, "0");
  wk_hl7_builder_field (b, 2, "1");
  wk_hl7_builder_field_raw (b, 3, rxa->at);
  wk_hl7_builder_field_raw (b, 4, rxa->at);
  wk_hl7_builder_field_raw (b, 5, "322236009^Paracetamol 500mg tablets^DMD");
  wk_hl7_builder_field_raw (b, 6, rxa->dose);
  wk_hl7_builder_field_raw (b, 7, rxa->unit);
  wk_hl7_builder_field_raw (b, 10, rxa->by);
  wk_hl7_builder_field_raw (b, 18, rxa->reason);
  wk_hl7_builder_field_raw (b, 20, rxa->status);
  wk_hl7_builder_field_raw (b, 21, rxa->action);
  bytes = wk_hl7_builder_end (b);
  return bytes_to_string (bytes);
}

static const Rxa given_1205 = { "202603011205", "1000", "mg^mg", "D456^Nurse^Sam", NULL, "CP" };

/* @text with the first @old replaced by @replacement. */
static char *
edit (const char *text, const char *old, const char *replacement)
{
  const char *at = strstr (text, old);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int)(at - text), text, replacement, at + strlen (old));
}

static WkPatient *
patient (Fx *f, guint n)
{
  g_autofree char *nhs = wk_test_nhs_number (n);

  return wk_patient_load_by_nhs_number (f->model, nhs, NULL);
}

static WkBed *
bed (Fx *f, const char *ward, const char *bay, const char *number)
{
  return wk_bed_load_by_location (f->model, ward, bay, number, NULL);
}

static gboolean
has_patient (Fx *f, guint n)
{
  g_autoptr (WkPatient) p = patient (f, n);

  return p != NULL;
}

static gboolean
has_bed (Fx *f, const char *ward, const char *bay, const char *number)
{
  g_autoptr (WkBed) b = bed (f, ward, bay, number);

  return b != NULL;
}

static gboolean
has_order (Fx *f, const char *placer)
{
  g_autoptr (WkOrder) o = wk_order_load_current (f->model, placer, NULL);

  return o != NULL;
}

static gboolean
has_ward (Fx *f, const char *id)
{
  g_autoptr (WkWard) w = wk_ward_load (f->model, id, NULL);

  return w != NULL;
}

/* Sends a message that must be applied. */
static void
apply (Fx *f, const char *text)
{
  send (f, text);
  if (g_strcmp0 (f->code, "AA") != 0)
    g_error ("expected AA, got %s %s: %s", f->code, f->err, f->text);
}

static void
apply_owned (Fx *f, char *text)
{
  apply (f, text);
  g_free (text);
}

/* ---------------------------------------------------------------------------------- */
/* ADT                                                                                 */

static void
test_admit (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *message
      = adt ("A01", "202603011000", 0, "7A^BAY1^1",
             "AL1|1|DA|91936005^Penicillin^SCT|SV|Anaphylaxis~Rash|20200101\n"
             "AL1|2|FA|^Peanut|MO\n"
             "OBX|1|NM|29463-7^Body weight^LN||72.5|kg^kg|||||F|||202603010930\n"
             "OBX|2|NM|8302-2^Body height^LN||180|cm|||||F\n"
             "ZPI|local|extension\n");
  g_autoptr (WkPatient) p = NULL;
  g_autoptr (WkBed) b = NULL;
  g_autoptr (GPtrArray) allergies = NULL;
  g_autoptr (WkWard) ward = NULL;

  apply (f, message);
  g_assert_cmpstr (f->ack_type, ==, "ACK^A01^ACK");
  g_assert_true (g_str_has_prefix (f->control, "C"));
  p = patient (f, 0);
  g_assert_nonnull (p);
  g_assert_cmpstr (p->hospital_number, ==, "RX0000001");
  g_assert_cmpstr (p->family_name, ==, "TESTER0");
  g_assert_cmpstr (p->given_names, ==, "Alex Jo");
  g_assert_cmpstr (p->birth_date, ==, "1970-01-01");
  g_assert_cmpint (p->sex, ==, WK_SEX_FEMALE);
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpstr (p->ward_id, ==, "7A");
  g_assert_cmpstr (p->consultant, ==, "Dr Casey Invented");
  g_assert_cmpstr (p->visit_number, ==, "V0000");
  g_assert_cmpint (p->admitted_at, ==, 1772359200);
  g_assert_cmpint (p->event_at, ==, 1772359200);
  g_assert_cmpfloat (p->weight_kg, ==, 72.5);
  g_assert_cmpint (p->weight_at, ==, 1772357400);
  g_assert_cmpint (p->allergy_status, ==, WK_ALLERGY_STATUS_RECORDED);
  b = bed (f, "7A", "BAY1", "1");
  g_assert_nonnull (b);
  g_assert_cmpint (b->patient_id, ==, p->id);
  g_assert_cmpint (p->bed_id, ==, b->id);
  ward = wk_ward_load (f->model, "7A", NULL);
  g_assert_cmpstr (ward->name, ==, "Ward 7A");

  allergies = wk_allergy_load_for_patient (f->model, p->id, NULL);
  g_assert_cmpuint (allergies->len, ==, 2);
  {
    WkAllergy *a0 = allergies->pdata[0], *a1 = allergies->pdata[1];

    g_assert_cmpstr (a0->substance, ==, "Penicillin");
    g_assert_cmpstr (a0->code, ==, "91936005");
    g_assert_cmpint (a0->severity, ==, WK_SEVERITY_SEVERE);
    g_assert_cmpint (a0->category, ==, WK_ALLERGY_DRUG);
    g_assert_cmpstr (a0->reaction, ==, "Anaphylaxis, Rash");
    g_assert_cmpint (a0->recorded_at, ==, 1577836800);
    g_assert_cmpstr (a1->substance, ==, "Peanut");
    g_assert_cmpint (a1->category, ==, WK_ALLERGY_FOOD);
    g_assert_cmpint (a1->severity, ==, WK_SEVERITY_MODERATE);
  }
  g_assert_cmpint (wk_feed_message_count (f->model), ==, 1);
}

static void
test_other_ward (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *message = adt ("A01", "202603011000", 0, "9Z^BAY1^1", NULL);
  g_autoptr (GPtrArray) all = NULL;
  WkFeedHealth health;

  send (f, message);
  g_assert_cmpstr (f->code, ==, "AA");
  g_assert_nonnull (strstr (f->text, "not for a ward this kiosk keeps"));
  all = wk_patient_load_all (f->model, NULL);
  g_assert_cmpuint (all->len, ==, 0);
  g_assert_false (has_ward (f, "9Z"));
  wk_feed_get_health (f->feed, &health);
  g_assert_cmpuint (health.n_ignored, ==, 1);
  g_assert_cmpuint (health.n_aa, ==, 1);
}

static void
test_transfer (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;
  g_autoptr (WkBed) old_bed = NULL;
  g_autoptr (WkBed) new_bed = NULL;
  Rx rx = { 0 };

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  apply_owned (f, rde (0, &rx));
  apply_owned (f, adt ("A02", "202603011100", 0, "7A^BAY2^3", NULL));
  p = patient (f, 0);
  old_bed = bed (f, "7A", "BAY1", "1");
  new_bed = bed (f, "7A", "BAY2", "3");
  g_assert_cmpint (old_bed->patient_id, ==, 0);
  g_assert_cmpint (new_bed->patient_id, ==, p->id);
  g_assert_cmpint (p->admitted_at, ==, 1772359200); /* unchanged by a move */
  g_clear_pointer (&p, wk_patient_free);

  /* Out of the ward: the bed is freed, the record and its orders are kept. */
  apply_owned (f, adt ("A02", "202603011200", 0, "8B^BAY1^1", NULL));
  p = patient (f, 0);
  g_assert_nonnull (p);
  g_assert_cmpint (p->stay, ==, WK_STAY_TRANSFERRED_OUT);
  g_assert_cmpint (p->bed_id, ==, 0);
  g_assert_cmpstr (p->ward_id, ==, "7A");
  g_assert_cmpint (p->left_at, ==, 1772366400);
  g_clear_pointer (&new_bed, wk_bed_free);
  new_bed = bed (f, "7A", "BAY2", "3");
  g_assert_cmpint (new_bed->patient_id, ==, 0);
  g_assert_true (has_order (f, "ORD1"));
  g_assert_false (has_ward (f, "8B"));

  /* ... and back in (A12, cancel transfer): the same record takes a bed again. */
  apply_owned (f, adt ("A12", "202603011300", 0, "7A^BAY2^3", NULL));
  g_clear_pointer (&p, wk_patient_free);
  p = patient (f, 0);
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpint (p->left_at, ==, 0);
  g_assert_cmpint (p->bed_id, ==, new_bed->id);
  g_assert_cmpint (p->admitted_at, ==, 1772370000);
}

static void
test_transfer_in (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;

  apply_owned (f, adt ("A02", "202603011000", 4, "7A^SR1^1", NULL));
  p = patient (f, 4);
  g_assert_nonnull (p);
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpint (p->sex, ==, WK_SEX_FEMALE);
}

static void
test_discharge (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;
  g_autofree char *a03 = NULL;

  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", NULL));
  a03 = adt ("A03", "202603021000", 1, "7A^BAY1^2", NULL);
  apply (f, a03);
  p = patient (f, 1);
  g_assert_cmpint (p->stay, ==, WK_STAY_DISCHARGED);
  g_assert_cmpint (p->bed_id, ==, 0);
  g_assert_cmpint (p->left_at, ==, 1772445600);
  g_assert_cmpint (p->sex, ==, WK_SEX_MALE);

  /* Cancel discharge (A13): back in a bed. */
  apply_owned (f, adt ("A13", "202603021100", 1, "7A^BAY1^2", NULL));
  g_clear_pointer (&p, wk_patient_free);
  p = patient (f, 1);
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpint (p->bed_id, >, 0);

  /* Cancel admit (A11): no bed any more. */
  apply_owned (f, adt ("A11", "202603021200", 1, "7A^BAY1^2", NULL));
  g_assert_nonnull (strstr (f->text, "admission cancelled"));
  g_clear_pointer (&p, wk_patient_free);
  p = patient (f, 1);
  g_assert_cmpint (p->stay, ==, WK_STAY_DISCHARGED);
  g_assert_cmpint (p->bed_id, ==, 0);
}

static void
test_preadmit (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;

  apply_owned (f, adt ("A05", "202603011000", 2, "7A", NULL));
  p = patient (f, 2);
  g_assert_cmpint (p->stay, ==, WK_STAY_PRE_ADMITTED);
  g_assert_cmpint (p->bed_id, ==, 0);
  g_assert_cmpstr (p->ward_id, ==, "7A");
  apply_owned (f, adt ("A01", "202603011100", 2, "7A^BAY3^4", NULL));
  g_clear_pointer (&p, wk_patient_free);
  p = patient (f, 2);
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpint (p->bed_id, >, 0);
  /* A booking never takes a patient out of their bed. */
  apply_owned (f, adt ("A05", "202603011200", 2, "7A", NULL));
  g_clear_pointer (&p, wk_patient_free);
  p = patient (f, 2);
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpint (p->bed_id, >, 0);
}

static void
test_update (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;
  g_autoptr (GPtrArray) allergies = NULL;
  g_autofree char *a08 = NULL;
  g_autofree char *renamed = NULL;
  g_autofree char *cleared = NULL;

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1",
                       "AL1|1|DA|^Penicillin|SV\nOBX|1|NM|29463-7||70|kg|||||F|||202603010900\n"));

  /* A08 with a new name, NKA and a newer weight; no PV1-44 admission time change. */
  a08 = adt ("A08", "202603011100", 0, "7A^BAY1^1",
             "AL1|1|DA|716186003^No known allergy^SCT\n"
             "OBX|1|NM|29463-7||68.4|kg|||||F|||202603011030\n");
  renamed = edit (a08, "TESTER0^Alex", "NEWNAME^Alex");
  apply (f, renamed);
  p = patient (f, 0);
  g_assert_cmpstr (p->family_name, ==, "NEWNAME");
  g_assert_cmpint (p->allergy_status, ==, WK_ALLERGY_STATUS_NONE_KNOWN);
  allergies = wk_allergy_load_for_patient (f->model, p->id, NULL);
  g_assert_cmpuint (allergies->len, ==, 0);
  g_assert_cmpfloat (p->weight_kg, ==, 68.4);
  g_assert_cmpint (p->admitted_at, ==, 1772359200);
  g_clear_pointer (&p, wk_patient_free);

  /* No AL1 leaves allergies as they were; an older weight does not replace a newer one;
   * "" clears the date of birth; an absent sex keeps it. */
  g_free (a08);
  a08 = adt ("A08", "202603011200", 0, "7A^BAY1^1",
             "OBX|1|NM|29463-7||90|kg|||||F|||202603010800\n");
  cleared = edit (a08, "|19700101|F", "|\"\"|");
  apply (f, cleared);
  p = patient (f, 0);
  g_assert_cmpint (p->allergy_status, ==, WK_ALLERGY_STATUS_NONE_KNOWN);
  g_assert_cmpfloat (p->weight_kg, ==, 68.4);
  g_assert_null (p->birth_date);
  g_assert_cmpint (p->sex, ==, WK_SEX_FEMALE);
  g_assert_cmpstr (p->family_name, ==, "TESTER0");
  g_clear_pointer (&p, wk_patient_free);

  /* A08 may correct the bed within the ward. */
  apply_owned (f, adt ("A08", "202603011300", 0, "7A^BAY1^5", NULL));
  p = patient (f, 0);
  {
    g_autoptr (WkBed) b = bed (f, "7A", "BAY1", "5");

    g_assert_cmpint (p->bed_id, ==, b->id);
  }
  g_clear_pointer (&p, wk_patient_free);

  /* A31 changes the person, not the stay. */
  g_free (a08);
  a08 = adt ("A31", "202603011400", 0, NULL, NULL);
  g_free (renamed);
  renamed = edit (a08, "TESTER0^Alex", "LATER^Alex");
  apply (f, renamed);
  p = patient (f, 0);
  g_assert_cmpstr (p->family_name, ==, "LATER");
  g_assert_cmpint (p->stay, ==, WK_STAY_ADMITTED);

  /* A31 for someone never on the ward is none of its business. */
  apply_owned (f, adt ("A31", "202603011400", 9, NULL, NULL));
  g_assert_nonnull (strstr (f->text, "not for a ward"));
  g_assert_false (has_patient (f, 9));
}

static void
test_swap (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p0 = NULL;
  g_autoptr (WkPatient) p1 = NULL;
  g_autoptr (WkBed) b1 = NULL;
  g_autoptr (WkBed) b2 = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *swap = NULL;
  g_autofree char *pv1 = NULL;

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", NULL));
  /* A17: patient 0 to bed 2, patient 1 to bed 1; the second PID/PV1 pair is appended. */
  first = adt ("A17", "202603011100", 0, "7A^BAY1^2", NULL);
  second = adt ("A17", "202603011100", 1, "7A^BAY1^1", NULL);
  pv1 = g_strdup (strstr (second, "PID|"));
  swap = g_strconcat (first, pv1, NULL);
  apply (f, swap);
  p0 = patient (f, 0);
  p1 = patient (f, 1);
  b1 = bed (f, "7A", "BAY1", "1");
  b2 = bed (f, "7A", "BAY1", "2");
  g_assert_cmpint (p0->bed_id, ==, b2->id);
  g_assert_cmpint (p1->bed_id, ==, b1->id);

  /* A swap with someone unknown changes nothing. */
  g_free (second);
  second = adt ("A17", "202603011200", 7, "7A^BAY1^2", NULL);
  g_free (pv1);
  pv1 = g_strdup (strstr (second, "PID|"));
  g_free (swap);
  g_free (first);
  first = adt ("A17", "202603011200", 0, "7A^BAY1^1", NULL);
  swap = g_strconcat (first, pv1, NULL);
  assert_refused (f, swap, "AE", "204", "no patient in the model has these identifiers");
  g_assert_cmpstr (f->where, ==, "PID^2^3^1");
}

static void
test_merge (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) survivor = NULL;
  g_autofree char *nhs1 = wk_test_nhs_number (1);
  g_autofree char *a40 = NULL;
  g_autofree char *mrg = NULL;
  Rx               rx = { .placer = "ORD-M" };

  /* Two records of one person: patient 1 (with an order and a bed) merges into 0. */
  apply_owned (f, adt ("A05", "202603011000", 0, "7A", NULL));
  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", "AL1|1|DA|^Latex|MI\n"));
  apply_owned (f, rde (1, &rx));
  mrg = g_strdup_printf ("MRG|%s^^^NHS^NH~RX0000002^^^RXH^MR\n", nhs1);
  a40 = adt ("A40", "202603011100", 0, NULL, mrg);
  apply (f, a40);
  survivor = patient (f, 0);
  g_assert_false (has_patient (f, 1));
  g_assert_cmpint (survivor->stay, ==, WK_STAY_ADMITTED);
  g_assert_cmpint (survivor->bed_id, >, 0);
  g_assert_cmpint (survivor->allergy_status, ==, WK_ALLERGY_STATUS_RECORDED);
  {
    g_autoptr (WkOrder) order = wk_order_load_current (f->model, "ORD-M", NULL);

    g_assert_cmpint (order->patient_id, ==, survivor->id);
  }

  /* A merge of a record the model does not have changes nothing. */
  send (f, a40);
  g_assert_cmpstr (f->code, ==, "AA");
  g_clear_pointer (&a40, g_free);
  a40 = adt ("A40", "202603011200", 0, NULL, mrg);
  apply (f, a40);
  g_assert_nonnull (strstr (f->text, "nothing to merge"));
}

static void
test_merge_reidentify (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;
  g_autofree char *nhs3 = wk_test_nhs_number (3);
  g_autofree char *mrg = g_strdup_printf ("MRG|%s^^^NHS^NH\n", nhs3);
  g_autofree char *a40 = adt ("A40", "202603011100", 5, NULL, mrg);

  /* The merged record is known, the survivor is not: the record takes its identifiers. */
  apply_owned (f, adt ("A01", "202603011000", 3, "7A^BAY1^1", NULL));
  apply (f, a40);
  g_assert_false (has_patient (f, 3));
  p = patient (f, 5);
  g_assert_nonnull (p);
  g_assert_cmpstr (p->hospital_number, ==, "RX0000006");
  g_assert_cmpint (p->bed_id, >, 0);
}

/* ---------------------------------------------------------------------------------- */
/* Refusals                                                                            */

static void
test_refused_not_hl7 (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *bad_utf8 = edit (a01, "|P|2.5.1", "|P|2.5.1||||||UNICODE UTF-8");
  g_autofree char *latin = edit (bad_utf8, "TESTER0", "TEST\xe9R0");
  g_autofree char *escape = edit (a01, "TESTER0", "TES\\Q\\TER");
  g_autofree char *big = g_strnfill (2 * 1024 * 1024, 'x');

  assert_refused (f, "hello", "AR", "102", "does not start with an MSH segment");
  g_assert_null (f->control);
  assert_refused (f, "", "AR", "102", "does not start with an MSH segment");
  /* Undecodable text: AR, and the ACK still names the message when MSH-10 can be read. */
  assert_refused (f, latin, "AR", "102", "PID-5: text that is not valid UTF-8");
  g_assert_true (g_str_has_prefix (f->control, "C"));
  /* A malformed escape: the field is named. */
  assert_refused (f, escape, "AE", "102", "PID-5.1: an unknown escape sequence");
  g_assert_cmpstr (f->where, ==, "PID^1^5^1^1");
  {
    g_autofree char *large = g_strconcat (a01, "NTE|1||", big, NULL);

    assert_refused (f, large, "AR", "102", "over the limit of 1048576 bytes");
  }
}

static void
test_refused_header (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *no_id = NULL;
  g_autofree char *v22 = edit (a01, "|P|2.5.1", "|P|2.2");
  g_autofree char *v26 = edit (a01, "|P|2.5.1", "|P|2.6");
  g_autofree char *training = edit (a01, "|P|2.5.1", "|T|2.5.1");
  g_autofree char *orm = edit (a01, "ADT^A01^ADT_A01", "ORM^O01");
  g_autofree char *a99 = edit (a01, "ADT^A01^ADT_A01", "ADT^A99");
  g_autofree char *no_event = edit (a01, "ADT^A01^ADT_A01", "ADT");
  g_autofree char *no_time = edit (a01, "|202603011000||ADT", "|||ADT");
  g_autofree char *bad_time = edit (a01, "|202603011000||ADT", "|20260399||ADT");
  g_autofree char *bad_evn = edit (a01, "EVN|A01|202603011000", "EVN|A01|tomorrow");

  {
    /* MSH-10 cut to empty. */
    const char *type = strstr (a01, "ADT_A01|");
    const char *rest = strchr (type + 8, '|');

    no_id = g_strdup_printf ("%.*s%s", (int)(type + 8 - a01), a01, rest);
    assert_refused (f, no_id, "AR", "101", "MSH-10: the message control id is missing");
  }
  assert_refused (f, v22, "AR", "203", "MSH-12: the HL7 version is not one wardkeep takes");
  g_assert_cmpstr (f->where, ==, "MSH^1^12^1^1");
  assert_refused (f, v26, "AR", "203", "MSH-12");
  assert_refused (f, training, "AR", "202", "MSH-11: only production messages (P)");
  assert_refused (f, orm, "AR", "200", "MSH-9.1: the message type is not one wardkeep takes");
  assert_refused (f, a99, "AR", "201", "MSH-9.2: the trigger event is not one wardkeep takes");
  assert_refused (f, no_event, "AR", "201", "MSH-9.2");
  assert_refused (f, no_time, "AR", "101", "MSH-7: the time of the message is missing");
  assert_refused (f, bad_time, "AE", "102", "MSH-7.1: not a date and time");
  assert_refused (f, bad_evn, "AE", "102", "EVN-2.1: not a date and time");
}

static void
test_refused_identity (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *nhs0 = wk_test_nhs_number (0);
  g_autofree char *nhs1 = wk_test_nhs_number (1);
  g_autofree char *a01 = adt ("A01", "202603011100", 0, "7A^BAY1^3", NULL);
  g_autofree char *no_pid = NULL;
  g_autofree char *no_ids = NULL;
  g_autofree char *bad_check = NULL;
  g_autofree char *crossed = NULL;
  g_autofree char *other_mrn = NULL;
  g_autofree char *bad_nhs = g_strdup (nhs0);

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", NULL));

  {
    const char *pid = strstr (a01, "PID|");
    const char *end = strchr (pid, '\r');

    no_pid = g_strdup_printf ("%.*s%s", (int)(pid - a01), a01, end + 1);
  }
  assert_refused (f, no_pid, "AE", "100", "PID: the segment is missing");
  {
    g_autofree char *half = edit (a01, "^^^RXH^MR", "^^^RXH^XX");

    no_ids = edit (half, "^^^NHS^NH", "^^^NHS^XX");
  }
  assert_refused (f, no_ids, "AE", "101",
                  "PID-3: neither an NHS number (type NH, authority NHS) nor a hospital number "
                  "(type MR)");
  bad_nhs[9] = bad_nhs[9] == '9' ? '0' : bad_nhs[9] + 1;
  bad_check = edit (a01, nhs0, bad_nhs);
  assert_refused (f, bad_check, "AE", "102", "PID-3.1: Not a valid NHS number: the check digit");
  g_assert_null (strstr (f->text, bad_nhs));
  {
    g_autofree char *both = g_strdup_printf ("%s^^^NHS^NH~%s^^^NHS^NH", nhs0, nhs1);
    g_autofree char *from = g_strdup_printf ("%s^^^NHS^NH", nhs0);
    g_autofree char *dup = edit (a01, from, both);

    assert_refused (f, dup, "AE", "102", "PID-3: two different NHS numbers");
  }
  /* Patient 0's NHS number with patient 1's hospital number: never guessed. */
  crossed = edit (a01, "RX0000001", "RX0000002");
  assert_refused (f, crossed, "AE", "204",
                  "PID-3: the NHS number is patient #1's and the hospital number patient #2's");
  /* The NHS number matches but the model's hospital number differs. */
  other_mrn = edit (a01, "RX0000001", "RX0009999");
  assert_refused (f, other_mrn, "AE", "204",
                  "the NHS number is patient #1's, whose hospital number in the model differs");
  /* Unknown patients on the ward. */
  {
    g_autofree char *a08 = adt ("A08", "202603011100", 6, "7A^BAY1^4", NULL);
    g_autofree char *a03 = adt ("A03", "202603011100", 6, NULL, NULL);
    g_autofree char *a11 = adt ("A11", "202603011100", 6, "7A^BAY1^4", NULL);

    assert_refused (f, a08, "AE", "204", "PID-3: no patient in the model has these identifiers");
    assert_refused (f, a03, "AE", "204", "no patient in the model");
    assert_refused (f, a11, "AE", "204", "no patient in the model");
  }
  /* Neither text nor logs carry the identifiers. */
  g_assert_null (strstr (f->text, nhs0));
  g_assert_null (strstr (f->text, "TESTER"));
}

static void
test_refused_values (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);

  static const struct
  {
    const char *from, *to, *code, *err, *reason, *where;
  } cases[] = {
    { "|19700101|", "|19701301|", "AE", "102", "PID-7.1: not a date", "PID^1^7^1^1" },
    { "|19700101|", "|18000101|", "AE", "102", "PID-7.1: the date of birth is not between", NULL },
    { "|19700101|F", "|19700101|X", "AE", "103", "PID-8.1: not an administrative sex", NULL },
    { "TESTER0^Alex^Jo", "^Alex^Jo", "AE", "101", "PID-5.1: the patient's family name is missing",
      NULL },
    { "|7A^BAY1^1|", "||", "AE", "101", "PV1-3: the patient's location is missing", NULL },
    { "|7A^BAY1^1|", "|^BAY1^1|", "AE", "101", "PV1-3.1: a bay or bed without its ward", NULL },
    { "|7A^BAY1^1|", "|7A^BAY1^1\\X|", "AE", "102", "PV1-3.3: an escape sequence is not closed",
      NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *bad = edit (a01, cases[i].from, cases[i].to);

      assert_refused (f, bad, cases[i].code, cases[i].err, cases[i].reason);
      if (cases[i].where != NULL)
        g_assert_cmpstr (f->where, ==, cases[i].where);
    }
  {
    g_autofree char *no_pv1 = adt ("A01", "202603011000", 0, NULL, NULL);

    assert_refused (f, no_pv1, "AE", "101", "PV1 is missing");
  }

  /* Clinical values. */
  {
    static const struct
    {
      const char *extra, *err, *reason;
    } clinical[] = {
      { "OBX|1|NM|29463-7||72|lb|||||F\n", "103", "OBX-6.1: a weight must be in kg" },
      { "OBX|1|NM|29463-7||900|kg|||||F\n", "102", "OBX-5.1: the weight is not between 0 and" },
      { "OBX|1|NM|29463-7||heavy|kg|||||F\n", "102", "OBX-5.1: not a number" },
      { "OBX|1|NM|29463-7|||kg|||||F\n", "101", "OBX-5.1: the weight's value is missing" },
      { "AL1|1|XX|^Penicillin|SV\n", "103", "AL1-2.1: not an allergen type" },
      { "AL1|1|DA|^Penicillin|BAD\n", "103", "AL1-4.1: not an allergy severity" },
      { "AL1|1|DA||SV\n", "101", "AL1-3: the allergen is missing" },
      { "AL1|1|DA|^Penicillin|SV\nAL1|2|DA|716186003^NKA\n", "102",
        "AL1[1]-3.1: \"no known allergies\" sent together with allergies" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (clinical); i++)
      {
        g_autofree char *bad = adt ("A01", "202603011000", 0, "7A^BAY1^1", clinical[i].extra);

        assert_refused (f, bad, "AE", clinical[i].err, clinical[i].reason);
      }
  }

  /* A closed or occupied bed. */
  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", NULL));
  {
    g_autofree char *occupied = adt ("A01", "202603011000", 0, "7A^BAY1^2", NULL);
    g_autoptr (WkBed) b = bed (f, "7A", "BAY1", "2");
    g_autofree char *reason
        = g_strdup_printf ("PV1-3: bed #%" G_GINT64_FORMAT " is occupied by patient #1", b->id);

    assert_refused (f, occupied, "AE", "207", reason);
    g_assert_false (has_patient (f, 0));
  }
  {
    gint64           closed_bed = wk_bed_ensure (f->model, "7A", "BAY9", "1", NULL);
    g_autofree char *closed = adt ("A01", "202603011000", 0, "7A^BAY9^1", NULL);

    g_assert_true (wk_bed_set_closed (f->model, closed_bed, TRUE, NULL));
    assert_refused (f, closed, "AE", "207", "is closed");
  }
}

/* A message that fails halfway leaves nothing behind. */
static void
test_halfway (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (GPtrArray) all = NULL;
  g_autofree char *bad = adt ("A01", "202603011000", 0, "7A^BAY1^1",
                              "AL1|1|DA|^Penicillin|SV\nAL1|2|DA|^Latex|SV\nAL1|3|ZZ|^Dust|SV\n");
  Rx               first = { .placer = "ORD-A" };
  Rx               second = { .placer = "ORD-B", .dose = "0" };
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autoptr (GBytes) two = NULL;
  g_autofree char *text = NULL;

  assert_refused (f, bad, "AE", "103", "AL1[3]-2.1");
  all = wk_patient_load_all (f->model, NULL);
  g_assert_cmpuint (all->len, ==, 0);
  g_assert_false (has_bed (f, "7A", "BAY1", "1"));
  g_assert_cmpint (wk_feed_message_count (f->model), ==, 0);

  /* Two orders in one RDE, the second bad: the first is not applied either. */
  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  add_msh (b, "RDE^O11^RDE_O11", "TWO-ORDERS", "202603011000");
  add_pid (b, 0);
  add_order_group (b, &first);
  add_order_group (b, &second);
  two = wk_hl7_builder_end (b);
  text = bytes_to_string (two);
  assert_refused (f, text, "AE", "101", "RXE[2]-3.1: the dose must be a number above 0");
  g_assert_false (has_order (f, "ORD-A"));
}

/* ---------------------------------------------------------------------------------- */
/* Pharmacy                                                                            */

static void
test_orders (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkPatient) p = NULL;
  g_autoptr (WkOrder) o = NULL;
  g_autoptr (GPtrArray) versions = NULL;
  Rx nw = { .times = "2200~0800~1400", .instructions = "^Take with food" };
  Rx xo = {
    .control = "XO", .when = "202603011000", .dose = "500", .dose_max = "1000", .pattern = "TDS"
  };
  Rx hd = { .control = "HD", .when = "202603011100" };
  Rx rl = { .control = "RL", .when = "202603011200" };
  Rx dc = { .control = "DC", .when = "202603011300" };

  apply_owned (f, adt ("A01", "202603010800", 0, "7A^BAY1^1", NULL));
  p = patient (f, 0);
  apply_owned (f, rde (0, &nw));
  o = wk_order_load_current (f->model, "ORD1", NULL);
  g_assert_cmpint (o->version, ==, 1);
  g_assert_cmpint (o->patient_id, ==, p->id);
  g_assert_cmpint (o->kind, ==, WK_ORDER_REGULAR);
  g_assert_cmpint (o->status, ==, WK_ORDER_ACTIVE);
  g_assert_cmpstr (o->dmd_code, ==, "322236009");
  g_assert_cmpstr (o->drug, ==, "Paracetamol 500mg tablets");
  g_assert_cmpfloat (o->dose, ==, 1000);
  g_assert_cmpstr (o->dose_unit, ==, "mg");
  g_assert_cmpstr (o->route, ==, "oral");
  g_assert_cmpstr (o->frequency, ==, "QDS");
  g_assert_cmpstr (o->admin_times, ==, "08:00,14:00,22:00"); /* TQ1-4 wins, sorted */
  g_assert_cmpint (o->start_at, ==, 1772352000);
  g_assert_cmpstr (o->prescriber, ==, "Dr Pat Prescriber");
  g_assert_cmpstr (o->instructions, ==, "Take with food");
  g_assert_cmpint (o->transaction_at, ==, 1772355600);
  g_assert_cmpstr (o->order_control, ==, "NW");
  g_clear_pointer (&o, wk_order_free);

  apply_owned (f, rde (0, &xo));
  o = wk_order_load_current (f->model, "ORD1", NULL);
  g_assert_cmpint (o->version, ==, 2);
  g_assert_cmpfloat (o->dose, ==, 500);
  g_assert_cmpfloat (o->dose_max, ==, 1000);
  g_assert_cmpstr (o->admin_times, ==, "08:00,14:00,22:00"); /* from TDS */
  g_assert_cmpstr (o->order_control, ==, "XO");
  g_clear_pointer (&o, wk_order_free);

  apply_owned (f, rde (0, &hd));
  o = wk_order_load_current (f->model, "ORD1", NULL);
  g_assert_cmpint (o->status, ==, WK_ORDER_HELD);
  g_assert_cmpfloat (o->dose, ==, 500); /* a hold keeps the order as it was */
  g_clear_pointer (&o, wk_order_free);
  apply_owned (f, rde (0, &rl));
  o = wk_order_load_current (f->model, "ORD1", NULL);
  g_assert_cmpint (o->status, ==, WK_ORDER_ACTIVE);
  g_clear_pointer (&o, wk_order_free);
  apply_owned (f, rde (0, &dc));
  o = wk_order_load_current (f->model, "ORD1", NULL);
  g_assert_cmpint (o->status, ==, WK_ORDER_DISCONTINUED);
  g_assert_cmpint (o->stop_at, ==, 1772370000);
  g_assert_cmpint (o->status_at, ==, 1772370000);
  versions = wk_order_load_versions (f->model, "ORD1", NULL);
  g_assert_cmpuint (versions->len, ==, 5);

  /* Nothing changes a discontinued order. */
  {
    Rx               again = { .control = "XO", .when = "202603011400" };
    g_autofree char *text = rde (0, &again);

    assert_refused (f, text, "AE", "207", "ORC-1.1: order ORD1 is discontinued");
  }
}

static void
test_order_kinds (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkOrder) prn = NULL;
  g_autoptr (WkOrder) once = NULL;
  g_autoptr (WkOrder) old = NULL;
  Rx prn_rx = { .placer = "PRN1",
                .pattern = "Q4H",
                .priority = "PRN",
                .max_24h = "4000^mg",
                .indication = "^Pain",
                .route = "PR^Rectal",
                .stop = "202603080800" };
  Rx once_rx = { .placer = "STAT1", .pattern = "ONCE", .priority = "S", .route = "IV" };

  apply_owned (f, adt ("A01", "202603010800", 0, "7A^BAY1^1", NULL));
  apply_owned (f, rde (0, &prn_rx));
  prn = wk_order_load_current (f->model, "PRN1", NULL);
  g_assert_cmpint (prn->kind, ==, WK_ORDER_PRN);
  g_assert_null (prn->admin_times);
  g_assert_cmpint (prn->min_interval_min, ==, 240);
  g_assert_cmpfloat (prn->prn_max_24h, ==, 4000);
  g_assert_cmpstr (prn->prn_indication, ==, "Pain");
  g_assert_cmpstr (prn->route, ==, "rectal");
  g_assert_cmpint (prn->stop_at, ==, 1772956800);
  apply_owned (f, rde (0, &once_rx));
  once = wk_order_load_current (f->model, "STAT1", NULL);
  g_assert_cmpint (once->kind, ==, WK_ORDER_ONCE);
  g_assert_cmpstr (once->route, ==, "intravenous");

  /* v2.3/v2.4: no TQ1, the timing is RXE-1 (quantity^interval&times^^start^end^priority). */
  {
    Rx               v23 = { .placer = "OLD1", .no_tq1 = TRUE };
    g_autofree char *text = rde (0, &v23);
    g_autofree char *with_tq = edit (text, "RXE||", "RXE|1^BD&0900,2100^^202603010900^^R|");
    g_autofree char *v231 = edit (with_tq, "|P|2.5.1", "|P|2.3.1");

    apply (f, v231);
    old = wk_order_load_current (f->model, "OLD1", NULL);
    g_assert_cmpstr (old->frequency, ==, "BD");
    g_assert_cmpstr (old->admin_times, ==, "09:00,21:00");
    g_assert_cmpint (old->start_at, ==, 1772355600);
  }
}

static void
test_refused_orders (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  Rx nw = { 0 };

  static const struct
  {
    Rx          rx;
    const char *err, *reason;
  } cases[] = {
    { { .placer = "ORD1" }, "205", "ORC-2.1: order ORD1 already exists; a change is sent as XO" },
    { { .control = "XO", .placer = "NOPE", .no_rxe = TRUE },
      "204",
      "ORC-2.1: order NOPE is not in the model" },
    { { .control = "DC", .placer = "NOPE", .no_rxe = TRUE },
      "204",
      "order NOPE is not in the model" },
    { { .control = "SC", .placer = "ORD2" }, "103", "ORC-1.1: order control SC is not taken" },
    { { .placer = "ORD2", .no_rxe = TRUE }, "100", "ORC: the order has no RXE segment" },
    { { .placer = "ORD2", .dose = "" }, "101", "RXE-3.1: the dose must be a number above 0" },
    { { .placer = "ORD2", .dose = "-5" }, "101", "RXE-3.1: the dose must be a number above 0" },
    { { .placer = "ORD2", .dose = "2", .dose_max = "1" },
      "102",
      "RXE-4.1: the top of the dose range is below its bottom" },
    { { .placer = "ORD2", .unit = "" }, "101", "RXE-5.1: the dose's unit is missing" },
    { { .placer = "ORD2", .drug = "322236009" }, "101", "RXE-2.2: the drug's name is missing" },
    { { .placer = "ORD2", .route = "" }, "100", "ORC: the order has no RXR segment" },
    { { .placer = "ORD2", .pattern = "" }, "101", "TQ1-4: a regular order needs its due times" },
    { { .placer = "ORD2", .times = "0800~2500" }, "102", "TQ1-4: a due time is not a time of day" },
    { { .placer = "ORD2", .stop = "202602010000" },
      "102",
      "TQ1-8.1: the order stops before it starts" },
    { { .placer = "ORD2", .start = "2026-03-01" }, "102", "TQ1-7.1: not a date and time" },
  };

  apply_owned (f, adt ("A01", "202603010800", 0, "7A^BAY1^1", NULL));
  apply_owned (f, adt ("A01", "202603010800", 1, "7A^BAY1^2", NULL));
  apply_owned (f, rde (0, &nw));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = rde (0, &cases[i].rx);

      assert_refused (f, text, "AE", cases[i].err, cases[i].reason);
    }
  /* A refusal that quotes non-ASCII text declares UTF-8 in its ACK. */
  {
    Rx               odd = { .placer = "ORD2" };
    g_autofree char *text = rde (0, &odd);
    g_autofree char *utf8 = edit (text, "|P|2.5.1", "|P|2.5.1||||||UNICODE UTF-8");
    g_autofree char *accented = edit (utf8, "ORC|NW|", "ORC|N\xc3\x89|");

    assert_refused (f, accented, "AE", "103", "ORC-1.1: order control N\xc3\x89 is not taken");
  }
  /* Another patient's order. */
  {
    Rx               xo = { .control = "XO", .when = "202603011000" };
    g_autofree char *text = rde (1, &xo);

    assert_refused (f, text, "AE", "204",
                    "ORC-2.1: order ORD1 belongs to patient #1, not to patient #2");
  }
  /* An order for someone not in the model, on the ward. */
  {
    Rx               other = { .placer = "ORD9" };
    g_autofree char *text = rde (8, &other);

    assert_refused (f, text, "AE", "204", "PID-3: no patient in the model has these identifiers");
  }
  /* A new order needs its patient. */
  {
    Rx               no_pid = { .placer = "ORD9", .no_pid = TRUE };
    g_autofree char *text = rde (0, &no_pid);

    assert_refused (f, text, "AE", "100", "PID: the segment is missing");
  }
  /* Orders for other wards' patients are not this kiosk's. */
  {
    Rx               other = { .placer = "ORD9" };
    g_autofree char *text = rde (8, &other);
    g_autofree char *elsewhere = edit (text, "7A^BAY1^1", "9Z^BAY1^1");

    apply (f, elsewhere);
    g_assert_nonnull (strstr (f->text, "not for a ward"));
  }
}

static void
test_stale (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkOrder) o = NULL;
  g_autoptr (WkPatient) p = NULL;
  g_autoptr (GPtrArray) versions = NULL;
  Rx           nw = { .when = "202603011000" };
  Rx           late_xo = { .control = "XO", .when = "202603011200", .dose = "500" };
  Rx           early_xo = { .control = "XO", .when = "202603011100", .dose = "2000" };
  WkFeedHealth health;

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  apply_owned (f, rde (0, &nw));
  apply_owned (f, rde (0, &late_xo));
  /* The XO made at 11:00 arrives after the one made at 12:00: acknowledged, not applied. */
  apply_owned (f, rde (0, &early_xo));
  g_assert_nonnull (strstr (f->text, "stale: order ORD1 has a newer version (2)"));
  o = wk_order_load_current (f->model, "ORD1", NULL);
  g_assert_cmpint (o->version, ==, 2);
  g_assert_cmpfloat (o->dose, ==, 500);
  versions = wk_order_load_versions (f->model, "ORD1", NULL);
  g_assert_cmpuint (versions->len, ==, 2);

  /* An older ADT event does not undo a newer one. */
  apply_owned (f, adt ("A02", "202603011300", 0, "7A^BAY2^1", NULL));
  apply_owned (f, adt ("A02", "202603011230", 0, "7A^BAY3^1", NULL));
  g_assert_nonnull (strstr (f->text, "stale: the model has a newer event"));
  p = patient (f, 0);
  {
    g_autoptr (WkBed) b = bed (f, "7A", "BAY2", "1");

    g_assert_cmpint (p->bed_id, ==, b->id);
  }
  wk_feed_get_health (f->feed, &health);
  g_assert_cmpuint (health.n_stale, ==, 2);
}

static void
test_administrations (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (WkAdministration) last = NULL;
  Rx               nw = { 0 };
  const Rxa        refused_rxa = { "202603011400", "0", "mg", NULL, NULL, "RE" };
  const Rxa        not_given_rxa = { "202603011800", "0", "mg", NULL, "^Nil by mouth", "NA" };
  g_autofree char *given = ras (0, "ORD1", &given_1205);
  g_autofree char *refused = ras (0, "ORD1", &refused_rxa);
  g_autofree char *not_given = ras (0, "ORD1", &not_given_rxa);

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  apply_owned (f, rde (0, &nw));
  apply (f, given);
  apply (f, refused);
  apply (f, not_given);
  list = wk_administration_load_for_order (f->model, "ORD1", NULL);
  g_assert_cmpuint (list->len, ==, 3);
  {
    WkAdministration *a0 = list->pdata[0], *a1 = list->pdata[1], *a2 = list->pdata[2];

    g_assert_true (a0->given);
    g_assert_cmpfloat (a0->dose, ==, 1000);
    g_assert_cmpstr (a0->dose_unit, ==, "mg");
    g_assert_cmpstr (a0->by_whom, ==, "Sam Nurse");
    g_assert_cmpint (a0->at, ==, 1772366700);
    g_assert_cmpint (a0->order_version, ==, 1);
    g_assert_cmpint (a0->source, ==, WK_ADMINISTRATION_FROM_FEED);
    g_assert_false (a1->given);
    g_assert_cmpstr (a1->reason, ==, "refused");
    g_assert_false (a2->given);
    g_assert_cmpstr (a2->reason, ==, "Nil by mouth");
  }
  last = wk_administration_load_last_given (f->model, "ORD1", NULL);
  g_assert_cmpint (last->at, ==, 1772366700);

  /* The same administration in a new message (new control id) is not counted twice. */
  {
    g_autofree char *again = ras (0, "ORD1", &given_1205);

    apply (f, again);
    g_assert_nonnull (strstr (f->text, "already recorded"));
    g_clear_pointer (&list, g_ptr_array_unref);
    list = wk_administration_load_for_order (f->model, "ORD1", NULL);
    g_assert_cmpuint (list->len, ==, 3);
  }

  /* Refusals. */
  {
    static const struct
    {
      const char *placer;
      Rxa         rxa;
      const char *err, *reason;
    } cases[] = {
      { "NOPE",
        { "202603011205", "1000", "mg" },
        "204",
        "ORC-2.1: order NOPE is not in the model" },
      { "ORD1", { "202603011205", NULL, "mg" }, "101", "RXA-6.1: a dose given needs its amount" },
      { "ORD1", { "202603011205", "999", "mg" }, "101", "RXA-6.1: a dose given needs its amount" },
      { "ORD1",
        { NULL, "1000", "mg" },
        "101",
        "RXA-3.1: the time of the administration is missing" },
      { "ORD1",
        { "202603011805", "0", "mg", NULL, NULL, "NA" },
        "101",
        "RXA-18.1: a dose not given needs its reason" },
      { "ORD1",
        { "202603011805", "1", "mg", NULL, NULL, "XX" },
        "103",
        "RXA-20.1: not a completion status" },
      { "ORD1",
        { "202603011805", "1", "mg", NULL, NULL, "CP", "D" },
        "103",
        "RXA-21.1: only new administrations" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *text = ras (0, cases[i].placer, &cases[i].rxa);

        assert_refused (f, text, "AE", cases[i].err, cases[i].reason);
      }
  }
  /* Another patient named in PID for this order. */
  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", NULL));
  {
    const Rxa        rxa = { "202603011905", "1000", "mg" };
    g_autofree char *text = ras (1, "ORD1", &rxa);

    assert_refused (f, text, "AE", "204", "order ORD1 belongs to patient #1, not to patient #2");
  }

  /* RDS^O13 is noted, and changes nothing but the record of messages applied. */
  {
    g_autofree char *rds = edit (given, "RAS^O17^RAS_O17", "RDS^O13^RDS_O13");
    g_autofree char *rds_id = edit (rds, "RDS_O13|C", "RDS_O13|R");
    guint64          generation = wk_model_get_generation (f->model);

    /* The same control id for another message type is another message: refused. */
    assert_refused (f, rds, "AR", "205", "MSH-10: this control id was already used");
    apply (f, rds_id);
    g_assert_cmpuint (wk_model_get_generation (f->model), ==, generation + 1);
    g_assert_nonnull (strstr (f->text, "noted"));
  }
}

/* ---------------------------------------------------------------------------------- */
/* Repeats, batches, health                                                            */

static void
test_duplicates (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (GError) error = NULL;
  Rx               nw = { 0 };
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *order = NULL;
  g_autofree char *dose = ras (0, "ORD1", &given_1205);
  g_autofree char *reused = NULL;
  g_autofree char *resent = NULL;
  guint64          generation;
  WkFeedHealth     health;

  apply (f, a01);
  order = rde (0, &nw);
  apply (f, order);
  apply (f, dose);

  /* Each repeat is acknowledged AA again and changes nothing. */
  generation = wk_model_get_generation (f->model);
  for (int i = 0; i < 2; i++)
    {
      apply (f, a01);
      g_assert_nonnull (strstr (f->text, "duplicate"));
      apply (f, order);
      apply (f, dose);
    }
  g_assert_cmpuint (wk_model_get_generation (f->model), ==, generation);
  {
    g_autoptr (GPtrArray) list = wk_administration_load_for_order (f->model, "ORD1", NULL);

    g_assert_cmpuint (list->len, ==, 1);
  }
  /* A resend with a new MSH-7 (as engines do) is still the same message. */
  resent = edit (dose, "|202603011200|", "|202603011230|");
  apply (f, resent);
  g_assert_nonnull (strstr (f->text, "duplicate"));

  /* The same control id on different content: refused, nothing applied. */
  reused = edit (dose, "|1000|mg", "|500|mg");
  assert_refused (f, reused, "AR", "205", "MSH-10: this control id was already used");
  wk_feed_get_health (f->feed, &health);
  g_assert_cmpuint (health.n_duplicates, ==, 7);

  /* Repeats are recognised after a restart from a snapshot of the model. */
  {
    gsize   size = 0;
    guint8 *image = wk_model_serialize (f->model, &size, &error);
    g_autoptr (WkModel) reloaded = NULL;
    g_autoptr (WkFeed) feed = NULL;
    g_autoptr (GBytes) ack = NULL;
    g_autofree char *payload = g_strdup (dose);

    g_assert_no_error (error);
    reloaded = wk_model_new_from_serialized (image, size, FALSE, &error);
    g_assert_no_error (error);
    feed = wk_feed_new (reloaded, f->config, &error);
    g_assert_no_error (error);
    g_strdelimit (payload, "\n", '\r');
    generation = wk_model_get_generation (reloaded);
    ack = wk_feed_handle (feed, (const guint8 *)payload, strlen (payload));
    read_ack (f, g_bytes_get_data (ack, NULL), g_bytes_get_size (ack));
    g_assert_cmpstr (f->code, ==, "AA");
    g_assert_nonnull (strstr (f->text, "duplicate"));
    g_assert_cmpuint (wk_model_get_generation (reloaded), ==, generation);
  }
}

static void
test_batch (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *m1 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *m2 = adt ("A01", "202603011000", 1, "7A^BAY1^1", NULL); /* occupied */
  g_autofree char *m3 = adt ("A01", "202603011000", 2, "7A^BAY1^3", NULL);
  g_autofree char *payload
      = g_strdup_printf ("FHS|^~\\&|PAS|RXH\rBHS|^~\\&|PAS|RXH\r%s%s%sBTS|3\rFTS|1\r", m1, m2, m3);
  g_autoptr (GBytes) ack = wk_feed_handle (f->feed, (const guint8 *)payload, strlen (payload));
  g_autoptr (WkHl7Batch) acks = NULL;
  g_autoptr (GError) error = NULL;
  const char *const expected[] = { "AA", "AE", "AA" };

  acks = wk_hl7_batch_split (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (acks->header.data, 3, "FHS", 3);
  g_assert_cmpuint (acks->messages->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      WkHl7Span span = g_array_index (acks->messages, WkHl7Span, i);

      read_ack (f, span.data, span.length);
      g_assert_cmpstr (f->code, ==, expected[i]);
    }
  g_assert_true (has_patient (f, 0));
  g_assert_false (has_patient (f, 1));
  g_assert_true (has_patient (f, 2));

  /* A broken envelope: one AR, nothing applied. */
  {
    g_autofree char *m4 = adt ("A01", "202603011000", 4, "7A^BAY1^4", NULL);
    g_autofree char *broken = g_strdup_printf ("BHS|^~\\&\r%sBTS|2\r", m4);

    assert_refused (f, broken, "AR", "102", "BTS-1: the batch says it holds 2 messages but has 1");
    g_assert_false (has_patient (f, 4));
  }
}

static void
test_health (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  WkFeedHealth health;

  wk_feed_get_health (f->feed, &health);
  g_assert_cmpint (health.last_message_at, ==, 0);
  g_assert_null (health.last_error);
  g_assert_cmpfloat (health.messages_per_minute, ==, 0);

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *bed_location = g_strdup_printf ("7A^BAY1^%u", i + 1);

      apply_owned (f, adt ("A01", "202603011000", i, bed_location, NULL));
      f->now_us += 10 * G_USEC_PER_SEC;
    }
  send (f, "not hl7");
  wk_feed_get_health (f->feed, &health);
  g_assert_cmpint (health.last_message_at, ==, f->now_us);
  g_assert_cmpfloat (health.messages_per_minute, ==, 6);
  g_assert_cmpuint (health.n_aa, ==, 5);
  g_assert_cmpuint (health.n_ar, ==, 1);
  g_assert_cmpuint (health.n_ae, ==, 0);
  g_assert_nonnull (strstr (health.last_error, "does not start with an MSH"));
  g_assert_cmpint (health.last_error_at, ==, f->now_us);

  /* A minute later the rate counts only the last minute. */
  f->now_us += 55 * G_USEC_PER_SEC;
  wk_feed_get_health (f->feed, &health);
  g_assert_cmpfloat (health.messages_per_minute, ==, 1);
  f->now_us += 10 * G_USEC_PER_SEC;
  wk_feed_get_health (f->feed, &health);
  g_assert_cmpfloat (health.messages_per_minute, ==, 0);
}

/* ---------------------------------------------------------------------------------- */
/* Configuration                                                                       */

static void
test_config_rules (void)
{
  g_autoptr (Fx) f = fx_new ("[hl7]\nwards = 7A, 7B\nnhs-number-type = NHSNO\n"
                             "nhs-number-authority = *\nhospital-number-type = PI\n"
                             "hospital-number-authority = RXH\nlocation-ward = 4\n"
                             "location-bay = 0\nlocation-bed = 1\n");
  g_autofree char *nhs = wk_test_nhs_number (0);
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr (WkPatient) p = NULL;
  g_autoptr (WkBed) b = NULL;

  /* This trust: NHS number type NHSNO (any authority), hospital number PI from RXH,
   * PV1-3 as bed^^^ward. */
  {
    g_autofree char *from = g_strdup_printf ("%s^^^NHS^NH~RX0000001^^^RXH^MR", nhs);
    g_autofree char *to = g_strdup_printf ("%s^^^XYZ^NHSNO~RX0000001^^^RXH^PI", nhs);

    ids = edit (a01, from, to);
  }
  text = edit (ids, "|7A^BAY1^1|", "|12^^^7B|");
  apply (f, text);
  p = patient (f, 0);
  g_assert_nonnull (p);
  g_assert_cmpstr (p->hospital_number, ==, "RX0000001");
  b = bed (f, "7B", "", "12");
  g_assert_nonnull (b);
  g_assert_cmpint (b->patient_id, ==, p->id);

  /* The default identifier rules do not match here. */
  {
    g_autofree char *plain = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);

    assert_refused (f, plain, "AE", "101", "PID-3: neither an NHS number (type NHSNO)");
  }

  /* A hospital number from another authority is not this trust's. */
  {
    g_autofree char *other = edit (text, "^^^RXH^PI", "^^^OTHER^PI");
    g_autofree char *nhs_gone_id = edit (other, "^^^XYZ^NHSNO", "^^^XYZ^XX");
    g_autofree char *nhs_gone = edit (nhs_gone_id, "ADT_A01|C", "ADT_A01|Q");

    assert_refused (f, nhs_gone, "AE", "101", "hospital number (type PI, authority RXH)");
  }
}

static void
test_config_all_wards (void)
{
  g_autoptr (Fx) f = fx_new ("[hl7]\nwards = *\n");
  g_autoptr (GPtrArray) wards = NULL;

  apply_owned (f, adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL));
  apply_owned (f, adt ("A01", "202603011000", 1, "ICU^^4", NULL));
  apply_owned (f, adt ("A01", "202603011000", 2, "9Z^BAY2^1", NULL));
  wards = wk_ward_load_all (f->model, NULL);
  g_assert_cmpuint (wards->len, ==, 3);
  g_assert_cmpstr (((WkWard *)wards->pdata[2])->name, ==, "ICU");
  g_assert_true (has_bed (f, "ICU", "", "4"));
}

static void
test_config_refused (void)
{
  static const char *const bad[] = {
    "[hl7]\nwards = 7A *\n",          "[hl7]\nwards = ,\n",
    "[hl7]\nnhs-number-type = N^H\n", "[hl7]\nlocation-ward = 0\n",
    "[hl7]\nmax-message-size = 10\n", "[hl7]\ndefault-charset = latin1\n",
  };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\n%s", bad[i]);
      g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "bad.conf", &error);

      g_assert_null (config);
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
      g_assert_nonnull (strstr (error->message, "[hl7]"));
      g_clear_error (&error);
    }
  {
    g_autoptr (WkConfig) config = wk_config_load_from_data (
        "[ward]\nid = 7A\n[hl7]\nlocation-ward = 2\n", -1, "same.conf", &error);
    g_autoptr (WkModel) model = wk_model_new (NULL);
    g_autoptr (WkFeed) feed = NULL;

    g_assert_no_error (error);
    feed = wk_feed_new (model, config, &error);
    g_assert_null (feed);
    g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
    g_assert_nonnull (strstr (error->message, "must name different components"));
  }
}

/* ---------------------------------------------------------------------------------- */
/* The acknowledgement itself, and what is logged                                      */

static GString *logged;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (logged == NULL)
    return g_log_writer_default (level, fields, n_fields, user_data);
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0)
      g_string_append_printf (logged, "%s\n", (const char *)fields[i].value);
  return G_LOG_WRITER_HANDLED;
}

static void
test_ack_format (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *custom = NULL;
  g_autoptr (GBytes) ack = NULL;
  g_autoptr (WkHl7Message) m = NULL;

  /* A sender with its own delimiters gets them back. */
  custom = g_strdup (a01);
  for (char *p = custom; *p != '\0'; p++)
    *p = *p == '|'    ? '*'
         : *p == '^'  ? '!'
         : *p == '~'  ? '@'
         : *p == '\\' ? '#'
         : *p == '&'  ? '$'
                      : *p;
  ack = wk_feed_handle (f->feed, (const guint8 *)custom, strlen (custom));
  m = wk_hl7_message_parse (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wk_hl7_message_get_delimiters (m)->field, ==, '*');
  g_assert_cmpstr (wk_hl7_message_get_type (m), ==, "ACK");
  g_assert_cmpstr (wk_hl7_message_get_event (m), ==, "A01");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 3, 1, 1, 1, NULL), ==, "WARDKEEP");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 5, 1, 1, 1, NULL), ==, "PAS");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 6, 1, 1, 1, NULL), ==, "RXH");
  g_assert_cmpstr (wk_hl7_message_get_version (m), ==, "2.5.1");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 1, 1, 1, 1, NULL), ==, "AA");
  g_assert_true (has_patient (f, 0));

  /* A sender named in ISO 8859-1 is echoed in UTF-8, and the ACK says so. */
  {
    g_autofree char *latin = edit (a01, "|P|2.5.1", "|P|2.5.1||||||8859/1");
    g_autofree char *sender = edit (latin, "|PAS|RXH|", "|PAS|R\xc8H|");
    g_autofree char *fresh = edit (sender, "ADT_A01|C", "ADT_A01|L");
    g_autoptr (GBytes) latin_ack = wk_feed_handle (f->feed, (const guint8 *)fresh, strlen (fresh));
    g_autoptr (WkHl7Message) l = wk_hl7_message_parse (g_bytes_get_data (latin_ack, NULL),
                                                       g_bytes_get_size (latin_ack), NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (wk_hl7_message_get_charset (l), ==, WK_HL7_CHARSET_UTF8);
    g_assert_cmpstr (wk_hl7_message_get_text (l, 0, 6, 1, 1, 1, NULL), ==, "R\xc3\x88H");
  }

  /* ERR-1 (v2.3 style) and ERR-2/3 (v2.5) name the place and the HL7 code. */
  {
    g_autofree char *bad = edit (a01, "|19700101|", "|1970|");
    g_autofree char *v24 = edit (bad, "|P|2.5.1", "|P|2.4");
    g_autofree char *again = edit (v24, "ADT_A01|C", "ADT_A01|X");
    g_autoptr (GBytes) err_ack = NULL;
    g_autoptr (WkHl7Message) e = NULL;
    WkHl7Span erl;
    int       err;

    g_strdelimit (again, "\n", '\r');
    err_ack = wk_feed_handle (f->feed, (const guint8 *)again, strlen (again));
    e = wk_hl7_message_parse (g_bytes_get_data (err_ack, NULL), g_bytes_get_size (err_ack), NULL,
                              &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wk_hl7_message_get_version (e), ==, "2.4");
    err = wk_hl7_message_find_segment (e, "ERR", 0);
    g_assert_cmpint (err, ==, 2);
    erl = wk_hl7_message_get_raw (e, err, 1, 0, 0, 0);
    g_assert_cmpmem (erl.data, erl.length, "PID^1^7^102&Data type error", 27);
    erl = wk_hl7_message_get_raw (e, err, 3, 0, 0, 0);
    g_assert_cmpmem (erl.data, erl.length, "102^Data type error^HL70357", 27);
  }
}

static void
test_no_patient_data_logged (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autofree char *nhs = wk_test_nhs_number (0);
  g_autofree char *a01 = adt ("A01", "202603011000", 0, "7A^BAY1^1", NULL);
  g_autofree char *crossed = NULL;
  g_autofree char *bad_dob = edit (a01, "|19700101|", "|19700132|");

  logged = g_string_new (NULL);
  g_log_set_debug_enabled (TRUE);

  apply (f, a01);
  apply_owned (f, adt ("A01", "202603011000", 1, "7A^BAY1^2", NULL));
  crossed = edit (a01, "RX0000001", "RX0000002");
  {
    g_autofree char *crossed_id = edit (crossed, "ADT_A01|C", "ADT_A01|Y");
    g_autofree char *bad_dob_id = edit (bad_dob, "ADT_A01|C", "ADT_A01|Z");

    send (f, crossed_id);
    g_assert_cmpstr (f->code, ==, "AE");
    send (f, bad_dob_id);
    g_assert_cmpstr (f->code, ==, "AE");
  }
  send (f, crossed);
  g_assert_cmpstr (f->code, ==, "AR");
  send (f, a01);
  g_assert_nonnull (strstr (logged->str, "refused with AE"));
  g_assert_null (strstr (logged->str, nhs));
  g_assert_null (strstr (logged->str, "RX000000"));
  g_assert_null (strstr (logged->str, "TESTER"));
  g_assert_null (strstr (logged->str, "Alex"));
  g_assert_null (strstr (logged->str, "1970"));
  g_string_free (g_steal_pointer (&logged), TRUE);
  g_log_set_debug_enabled (FALSE);
}

/* ---------------------------------------------------------------------------------- */
/* Patients who arrive from wards this kiosk does not keep                             */

/* An ADT message whose PV1-6 (prior location) is @prior. */
static char *
adt_from (const char *event, const char *time, guint n, const char *location, const char *prior)
{
  g_autofree char *text = adt (event, time, n, location, NULL);
  g_autofree char *old = g_strdup_printf ("|%s||||C123", location);
  g_autofree char *new = g_strdup_printf ("|%s|||%s|C123", location, prior);

  return edit (text, old, new);
}

static void
assert_arrival (Fx *f, guint n, WkArrival arrival, gint64 at, const char *from)
{
  g_autoptr (WkPatient) p = patient (f, n);

  g_assert_nonnull (p);
  g_assert_cmpint (p->arrival, ==, arrival);
  g_assert_cmpint (wk_patient_orders_may_be_missing (p), ==, arrival != WK_ARRIVAL_NONE);
  g_assert_cmpint (p->arrived_at, ==, at);
  g_assert_cmpstr (p->arrived_from, ==, from);
}

/* Transferred in from a ward not kept: the orders from before are missing until the
 * engine sends them, all in one RDE^O11; until then doses of them are refused, saying
 * why, and new orders are taken but do not end the warning. */
static void
test_transfer_in_orders (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkOrder) o = NULL;
  g_autoptr (GPtrArray) given = NULL;
  Rx list[] = { { .control = "XO", .placer = "OLD1", .when = "202603010930" },
                { .control = "XO",
                  .placer = "OLD2",
                  .when = "202603010945",
                  .status = "HD",
                  .drug = "317972000^Furosemide 40mg tablets",
                  .dose = "40",
                  .pattern = "OD" } };
  Rx after = { .placer = "NEW1", .when = "202603011130", .pattern = "BD" };

  apply_owned (f, adt ("A01", "202603010800", 3, "8B^BAY2^3", NULL));
  g_assert_false (has_patient (f, 3));

  apply_owned (f, adt_from ("A02", "202603011000", 3, "7A^BAY1^4", "8B^BAY2^3"));
  g_assert_nonnull (strstr (f->text, "orders from before the arrival are awaited"));
  assert_arrival (f, 3, WK_ARRIVAL_TRANSFER, 1772359200, "8B");

  /* A dose of an order from 8B, and a change to one without the order itself: refused,
   * saying why the order may be missing, and nothing changes. */
  {
    g_autofree char *dose = ras (3, "OLD1", &given_1205);
    Rx hold = { .control = "HD", .placer = "OLD1", .when = "202603011015", .no_rxe = TRUE };
    g_autofree char *change = rde (3, &hold);

    assert_refused (f, dose, "AE", "204",
                    "ORC-2.1: order OLD1 is not in the model: patient #1 arrived from a ward "
                    "this kiosk does not keep at 2026-03-01T10:00:00Z");
    assert_refused (f, change, "AE", "204", "order OLD1 is not in the model: patient #1 arrived");
  }

  /* A new order after the arrival is taken; it says nothing of the orders from before. */
  apply_owned (f, rde (3, &after));
  g_assert_true (has_order (f, "NEW1"));
  assert_arrival (f, 3, WK_ARRIVAL_TRANSFER, 1772359200, "8B");

  /* The engine's list of the patient's current orders, each whole: taken, with the held
   * one held, and the chart no longer warns. */
  apply_owned (f, rde_orders (3, list, G_N_ELEMENTS (list)));
  g_assert_nonnull (strstr (f->text, "order OLD1 was not in the model: taken whole from this XO"));
  g_assert_nonnull (strstr (f->text, "orders from before their arrival are received"));
  assert_arrival (f, 3, WK_ARRIVAL_NONE, 0, NULL);
  o = wk_order_load_current (f->model, "OLD1", NULL);
  g_assert_cmpint (o->version, ==, 1);
  g_assert_cmpint (o->status, ==, WK_ORDER_ACTIVE);
  g_assert_cmpstr (o->order_control, ==, "XO");
  g_assert_cmpint (o->transaction_at, ==, 1772357400);
  g_assert_cmpstr (o->admin_times, ==, "08:00,12:00,18:00,22:00");
  g_clear_pointer (&o, wk_order_free);
  o = wk_order_load_current (f->model, "OLD2", NULL);
  g_assert_cmpint (o->status, ==, WK_ORDER_HELD);
  g_assert_cmpstr (o->drug, ==, "Furosemide 40mg tablets");

  /* The dose from before is recorded once it is sent again. */
  apply_owned (f, ras (3, "OLD1", &given_1205));
  given = wk_administration_load_for_order (f->model, "OLD1", NULL);
  g_assert_cmpuint (given->len, ==, 1);
}

/* Which moves are arrivals: onto the wards kept from elsewhere, never between them. */
static void
test_transfer_in_moves (void)
{
  g_autoptr (Fx) f = fx_new ("[hl7]\nwards = 7A 7B\n");
  g_autoptr (GPtrArray) versions = NULL;
  Rx resend = { .control = "XO" };

  /* Admitted straight here, and moved between wards kept: followed all along. */
  apply_owned (f, adt ("A01", "202603010800", 0, "7A^BAY1^1", NULL));
  apply_owned (f, rde (0, &(Rx){ 0 }));
  apply_owned (f, adt_from ("A02", "202603010900", 0, "7B^BAY1^1", "7A^BAY1^1"));
  assert_arrival (f, 0, WK_ARRIVAL_NONE, 0, NULL);

  /* A PV1-6 that repeats a ward kept is no arrival from elsewhere. */
  apply_owned (f, adt_from ("A01", "202603010930", 2, "7A^BAY1^3", "7A^BAY1^3"));
  assert_arrival (f, 2, WK_ARRIVAL_NONE, 0, NULL);

  /* Admitted from the emergency department (PV1-6), which this kiosk does not keep. */
  apply_owned (f, adt_from ("A01", "202603011000", 1, "7A^BAY1^2", "ED^MAJ^3"));
  assert_arrival (f, 1, WK_ARRIVAL_ADMISSION, 1772359200, "ED");
  /* ... leaving the wards kept ends the warning. */
  apply_owned (f, adt ("A03", "202603011100", 1, "7A^BAY1^2", NULL));
  assert_arrival (f, 1, WK_ARRIVAL_NONE, 0, NULL);

  /* Out to a ward not kept and back: the kiosk did not follow them there. */
  apply_owned (f, adt ("A02", "202603011200", 0, "9C^BAY1^1", NULL));
  assert_arrival (f, 0, WK_ARRIVAL_NONE, 0, NULL);
  apply_owned (f, adt ("A02", "202603011300", 0, "7A^BAY2^1", NULL));
  assert_arrival (f, 0, WK_ARRIVAL_TRANSFER, 1772370000, NULL);
  /* The engine sends the order the kiosk already has, unchanged: no new version, and the
   * warning ends. */
  apply_owned (f, rde (0, &resend));
  g_assert_nonnull (strstr (f->text, "no change: order ORD1 is already as sent (version 1)"));
  versions = wk_order_load_versions (f->model, "ORD1", NULL);
  g_assert_cmpuint (versions->len, ==, 1);
  assert_arrival (f, 0, WK_ARRIVAL_NONE, 0, NULL);
}

/* A change to an order the model does not have, for a patient it has followed all along:
 * taken when the message carries the whole order, refused when it does not. */
static void
test_unknown_order_changes (void)
{
  g_autoptr (Fx) f = fx_new (NULL);
  g_autoptr (WkOrder) held = NULL;
  g_autoptr (WkOrder) stopped = NULL;
  Rx hd = { .control = "HD", .placer = "ORDX", .when = "202603011100" };
  Rx dc = { .control = "DC", .placer = "ORDY", .when = "202603011100" };
  Rx rl = { .control = "RL", .placer = "ORDZ", .when = "202603011100", .no_rxe = TRUE };
  g_autofree char *release = NULL;

  apply_owned (f, adt ("A01", "202603010800", 0, "7A^BAY1^1", NULL));
  apply_owned (f, rde (0, &hd));
  g_assert_nonnull (strstr (f->text, "order ORDX was not in the model: taken whole from this HD"));
  held = wk_order_load_current (f->model, "ORDX", NULL);
  g_assert_cmpint (held->status, ==, WK_ORDER_HELD);
  g_assert_cmpint (held->version, ==, 1);
  apply_owned (f, rde (0, &dc));
  stopped = wk_order_load_current (f->model, "ORDY", NULL);
  g_assert_cmpint (stopped->status, ==, WK_ORDER_DISCONTINUED);
  g_assert_cmpint (stopped->stop_at, ==, 1772362800);
  release = rde (0, &rl);
  assert_refused (f, release, "AE", "204",
                  "ORC-2.1: order ORDZ is not in the model; nothing was changed");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/feed/adt/admit", test_admit);
  g_test_add_func ("/feed/adt/other-ward", test_other_ward);
  g_test_add_func ("/feed/adt/transfer", test_transfer);
  g_test_add_func ("/feed/adt/transfer-in", test_transfer_in);
  g_test_add_func ("/feed/transfer-in/orders", test_transfer_in_orders);
  g_test_add_func ("/feed/transfer-in/moves", test_transfer_in_moves);
  g_test_add_func ("/feed/transfer-in/unknown-order-changes", test_unknown_order_changes);
  g_test_add_func ("/feed/adt/discharge-cancel", test_discharge);
  g_test_add_func ("/feed/adt/preadmit", test_preadmit);
  g_test_add_func ("/feed/adt/update", test_update);
  g_test_add_func ("/feed/adt/swap", test_swap);
  g_test_add_func ("/feed/adt/merge", test_merge);
  g_test_add_func ("/feed/adt/merge-reidentify", test_merge_reidentify);
  g_test_add_func ("/feed/refused/not-hl7", test_refused_not_hl7);
  g_test_add_func ("/feed/refused/header", test_refused_header);
  g_test_add_func ("/feed/refused/identity", test_refused_identity);
  g_test_add_func ("/feed/refused/values", test_refused_values);
  g_test_add_func ("/feed/refused/halfway", test_halfway);
  g_test_add_func ("/feed/pharmacy/orders", test_orders);
  g_test_add_func ("/feed/pharmacy/order-kinds", test_order_kinds);
  g_test_add_func ("/feed/pharmacy/refused", test_refused_orders);
  g_test_add_func ("/feed/pharmacy/administrations", test_administrations);
  g_test_add_func ("/feed/stale", test_stale);
  g_test_add_func ("/feed/duplicates", test_duplicates);
  g_test_add_func ("/feed/batch", test_batch);
  g_test_add_func ("/feed/health", test_health);
  g_test_add_func ("/feed/config/rules", test_config_rules);
  g_test_add_func ("/feed/config/all-wards", test_config_all_wards);
  g_test_add_func ("/feed/config/refused", test_config_refused);
  g_test_add_func ("/feed/ack-format", test_ack_format);
  g_test_add_func ("/feed/no-patient-data-logged", test_no_patient_data_logged);

  return g_test_run ();
}
