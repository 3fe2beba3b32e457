/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-hl7.c — libFuzzer target for the HL7 parser and the feed that applies messages.
 * Any input must parse or be refused with an error, and through the feed must give an
 * acknowledgement that parses, with AE/AR changing nothing: never a crash, leak or
 * sanitizer report. Each input runs against the same small ward (two patients, one
 * order), restored after every input by rolling back a transaction around it. */

#include "wk-bed.h"
#include "wk-config.h"
#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-model-private.h"
#include "wk-model.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-ward.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static WkModel  *model;
static WkConfig *config;
static WkFeed   *feed;

static void
quiet_log (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
}

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  return G_LOG_WRITER_HANDLED;
}

/* The ward every input is applied to: 7A with six beds, patients 0 and 1 in beds, and
 * order ORD1 for patient 0. NHS numbers are those of the seed corpus (999 range). */
static void
setup (void)
{
  static const char *const nhs[] = { "9990000018", "9990000026" };
  g_autoptr (GError) error = NULL;

  g_log_set_writer_func (quiet_writer, NULL, NULL);
  g_log_set_default_handler (quiet_log, NULL);
  model = wk_model_new (&error);
  g_assert_no_error (error);
  config = wk_config_load_from_data ("[ward]\nid = 7A\n[hl7]\nwards = 7A 7B\nmax-message-size = "
                                     "65536\n",
                                     -1, "fuzz.conf", &error);
  g_assert_no_error (error);
  feed = wk_feed_new (model, config, &error);
  g_assert_no_error (error);
  g_assert_true (wk_ward_ensure (model, "7A", NULL, &error));
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", i + 1);

      g_assert_cmpint (wk_bed_ensure (model, "7A", "BAY1", number, &error), >, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (nhs); i++)
    {
      g_autoptr (WkPatient) patient = wk_patient_new ();
      g_autoptr (WkBed) bed = NULL;
      g_autofree char *number = g_strdup_printf ("%u", i + 1);

      bed = wk_bed_load_by_location (model, "7A", "BAY1", number, &error);
      g_assert_no_error (error);
      patient->nhs_number = g_strdup (nhs[i]);
      patient->hospital_number = g_strdup_printf ("RX%07u", i + 1);
      patient->family_name = g_strdup_printf ("FUZZ%u", i);
      patient->bed_id = bed->id;
      g_assert_true (wk_patient_insert (model, patient, &error));
      if (i == 0)
        {
          g_autoptr (WkOrder) order = wk_order_new ();

          order->patient_id = patient->id;
          order->placer_id = g_strdup ("ORD1");
          order->drug = g_strdup ("Paracetamol 500mg tablets");
          order->dose = 1000;
          order->dose_unit = g_strdup ("mg");
          order->route = g_strdup ("oral");
          order->admin_times = g_strdup ("08:00,14:00,22:00");
          order->start_at = 1772352000;
          order->transaction_at = 1772352000;
          g_assert_true (wk_order_insert (model, order, &error));
        }
    }
}

/* A digest of every row of the model, to prove that a refusal changed nothing. */
static char *
fingerprint (void)
{
  static const char *const tables[]
      = { "ward", "bed", "patient", "allergy", "med_order", "administration", "feed_message" };
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY rowid", tables[t]);
      sqlite3_stmt    *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (_wk_model_get_db (model), sql, -1, &stmt, NULL), ==,
                       SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count (stmt); c++)
          {
            const guchar *text = sqlite3_column_text (stmt, c);

            g_checksum_update (checksum, text != NULL ? text : (const guchar *)"\x01NULL", -1);
            g_checksum_update (checksum, (const guchar *)"\x02", 1);
          }
      sqlite3_finalize (stmt);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

/* Reads every value of a parsed message the ways the feed does. */
static void
read_everything (WkHl7Message *m)
{
  static GTimeZone *zone;
  guint             n = MIN (wk_hl7_message_get_n_segments (m), 24);

  if (zone == NULL)
    zone = g_time_zone_new_identifier ("Europe/London");
  for (guint s = 0; s < n; s++)
    {
      guint fields = MIN (wk_hl7_message_get_n_fields (m, s), 32);

      for (guint f = 1; f <= fields; f++)
        {
          guint reps = MIN (wk_hl7_message_get_n_repetitions (m, s, f), 3);

          for (guint r = 1; r <= MAX (reps, 1); r++)
            for (guint c = 1; c <= 3; c++)
              {
                g_autoptr (GError) error = NULL;
                const char *text = wk_hl7_message_get_text (m, s, f, r, c, c, &error);
                double      number;
                gint64      utc;
                const char *date;

                g_assert_true (text == NULL || error == NULL);
                if (text != NULL)
                  g_assert_true (g_utf8_validate (text, -1, NULL));
                g_clear_error (&error);
                (void)wk_hl7_message_get_presence (m, s, f, r, c, 2);
                /* Numbers, times and dates where the text could be one (as the feed reads
                 * them only where HL7 puts them). */
                if (text == NULL || !g_ascii_isdigit (text[0]))
                  continue;
                if (!wk_hl7_message_get_number (m, s, f, r, c, &number, &error))
                  g_assert_nonnull (error);
                g_clear_error (&error);
                if (!wk_hl7_message_get_time (m, s, f, r, c, zone, &utc, &error))
                  g_assert_nonnull (error);
                g_clear_error (&error);
                if (!wk_hl7_message_get_date (m, s, f, r, c, &date, &error))
                  g_assert_nonnull (error);
              }
        }
      {
        WkHl7Location    location = { s, 3, 2, 1, 2 };
        g_autofree char *where = wk_hl7_message_dup_location (m, &location);

        g_assert_nonnull (where);
      }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Message) m = NULL;
  g_autoptr (WkHl7Batch) batch = NULL;
  g_autoptr (GBytes) ack = NULL;
  g_autoptr (WkHl7Message) ack_message = NULL;
  g_autofree char *before = NULL;
  const char      *code;

  if (model == NULL)
    setup ();

  /* The parser alone. */
  m = wk_hl7_message_parse (data, size, NULL, &error);
  g_assert_true ((m == NULL) != (error == NULL));
  if (m != NULL)
    read_everything (m);
  g_clear_error (&error);
  batch = wk_hl7_batch_split (data, size, 65536, &error);
  g_assert_true ((batch == NULL) != (error == NULL));
  g_clear_error (&error);

  /* The feed: a parsable acknowledgement, and a refusal changes nothing. */
  g_assert_true (wk_model_begin (model, &error));
  before = fingerprint ();
  ack = wk_feed_handle (feed, data, size);
  g_assert_nonnull (ack);
  /* For keeping the seed corpus useful: which paths do the seeds reach? */
  if (g_getenv ("WK_FUZZ_SHOW_ACKS") != NULL)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack));

      g_strdelimit (text, "\r", '\n');
      g_printerr ("%s\n", text);
    }
  ack_message
      = wk_hl7_message_parse (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack), NULL, &error);
  if (ack_message == NULL)
    {
      /* A batch of acknowledgements, one for each message of the batch sent. */
      g_autoptr (WkHl7Batch) acks = NULL;

      g_clear_error (&error);
      acks = wk_hl7_batch_split (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack), 0, &error);
      g_assert_no_error (error);
      g_assert_nonnull (batch);
      g_assert_cmpuint (batch->header.length, >, 0);
      g_assert_cmpuint (acks->messages->len, ==, batch->messages->len);
    }
  else
    {
      code = wk_hl7_message_get_text (ack_message, 1, 1, 1, 1, 1, NULL);
      g_assert_nonnull (code);
      g_assert_true (strcmp (code, "AA") == 0 || strcmp (code, "AE") == 0
                     || strcmp (code, "AR") == 0);
      if (strcmp (code, "AA") != 0)
        {
          g_autofree char *after = fingerprint ();

          g_assert_cmpstr (after, ==, before);
        }
    }
  wk_model_rollback (model);
  return 0;
}
