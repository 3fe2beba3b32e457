/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-hl7-parse.c — HL7 messages parsed per second, over a realistic ward feed mix.
 *
 * The mix is what a ward's feed carries: ADT (PID with two identifiers, PV1, two AL1,
 * OBX weight), RDE^O11 (PID, PV1, ORC, RXE, RXR, TQ1) and RAS^O17 (PID, ORC, RXA, RXR).
 * "parse + read" parses each message and reads every field the feed's applier reads,
 * through the same getters (unescaped, decoded, numbers and times converted); "parse
 * only" indexes the message. Also printed, for scale: whole messages applied to an
 * in-memory model (wk_feed_handle on a whole-hospital configuration). Target for
 * parse + read: at least 350,000 messages per second. */

#include "wk-config.h"
#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-model.h"
#include "wk-test-util.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define N_MESSAGES 3000

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
  wk_hl7_builder_field_raw (b, 11, "1 Test Street^^Testtown^^TE1 1ST");
}

static void
add_pv1 (WkHl7Builder *b, guint n)
{
  g_autofree char *location = g_strdup_printf ("W%u^BAY%u^%u", n / 30, n % 30 / 6 + 1, n % 6 + 1);

  wk_hl7_builder_segment (b, "PV1");
  wk_hl7_builder_field (b, 1, "1");
  wk_hl7_builder_field (b, 2, "I");
  wk_hl7_builder_field_raw (b, 3, location);
  wk_hl7_builder_field_raw (b, 7, "C123^Invented^Casey^^^Dr");
  wk_hl7_builder_field (b, 19, "V0001");
  wk_hl7_builder_field_raw (b, 44, "202603011000");
}

static GBytes *
make_message (guint i)
{
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autofree char *id = g_strdup_printf ("B%06u", i);
  guint            n = i / 3;

  switch (i % 3)
    {
    case 0:
      wk_hl7_builder_msh (b, "ADT^A01^ADT_A01", id, 1772359200);
      wk_hl7_builder_field (b, 3, "PAS");
      wk_hl7_builder_field (b, 4, "RXH");
      wk_hl7_builder_segment (b, "EVN");
      wk_hl7_builder_field (b, 1, "A01");
      wk_hl7_builder_field_raw (b, 2, "202603011000");
      add_pid (b, n);
      add_pv1 (b, n);
      wk_hl7_builder_append_raw (
          b,
          "AL1|1|DA|91936005^Penicillin^SCT|SV|Anaphylaxis~Rash|20200101\r"
          "AL1|2|FA|227493005^Cashew nuts^SCT|MO|Urticaria\r"
          "OBX|1|NM|29463-7^Body weight^LN||72.5|kg^kg^UCUM|||||F|||202603010930\r",
          -1);
      break;
    case 1:
      {
        g_autofree char *placer = g_strdup_printf ("ORD%06u", i);

        wk_hl7_builder_msh (b, "RDE^O11^RDE_O11", id, 1772359200);
        wk_hl7_builder_field (b, 3, "EPMA");
        add_pid (b, n);
        add_pv1 (b, n);
        wk_hl7_builder_segment (b, "ORC");
        wk_hl7_builder_field (b, 1, "NW");
        wk_hl7_builder_field (b, 2, placer);
        wk_hl7_builder_field_raw (b, 9, "202603011000");
        wk_hl7_builder_field_raw (b, 12, "D456^Prescriber^Pat^^^Dr");
        wk_hl7_builder_segment (b, "RXE");
        wk_hl7_builder_field_raw (b, 2, "322236009^Paracetamol 500mg tablets^DMD");
        wk_hl7_builder_field (b, 3, "1000");
        wk_hl7_builder_field (b, 5, "mg");
        wk_hl7_builder_field_raw (b, 7, "^Take with or after food");
        wk_hl7_builder_segment (b, "RXR");
        wk_hl7_builder_field_raw (b, 1, "PO^Oral^HL70162");
        wk_hl7_builder_segment (b, "TQ1");
        wk_hl7_builder_field (b, 1, "1");
        wk_hl7_builder_field (b, 3, "QDS");
        wk_hl7_builder_field_raw (b, 4, "0800~1200~1800~2200");
        wk_hl7_builder_field_raw (b, 7, "202603010800");
        break;
      }
    default:
      {
        g_autofree char *placer = g_strdup_printf ("ORD%06u", i - 1);

        wk_hl7_builder_msh (b, "RAS^O17^RAS_O17", id, 1772366400);
        wk_hl7_builder_field (b, 3, "EPMA");
        add_pid (b, n);
        wk_hl7_builder_segment (b, "ORC");
        wk_hl7_builder_field (b, 1, "RE");
        wk_hl7_builder_field (b, 2, placer);
        wk_hl7_builder_segment (b, "RXA");
        wk_hl7_builder_field (b, 1, "0");
        wk_hl7_builder_field (b, 2, "1");
        wk_hl7_builder_field_raw (b, 3, "202603011205");
        wk_hl7_builder_field_raw (b, 4, "202603011205");
        wk_hl7_builder_field_raw (b, 5, "322236009^Paracetamol 500mg tablets^DMD");
        wk_hl7_builder_field (b, 6, "1000");
        wk_hl7_builder_field_raw (b, 7, "mg^mg");
        wk_hl7_builder_field_raw (b, 10, "N789^Nurse^Sam");
        wk_hl7_builder_field (b, 20, "CP");
        wk_hl7_builder_segment (b, "RXR");
        wk_hl7_builder_field_raw (b, 1, "PO^Oral^HL70162");
        break;
      }
    }
  return wk_hl7_builder_end (b);
}

/* What the applier reads of each segment: {field, component} pairs, and which are times,
 * numbers or dates. */
typedef enum
{
  TEXT,
  NUMBER,
  TIME,
  DATE,
} Kind;

typedef struct
{
  const char *segment;
  guint       field, component;
  Kind        kind;
} Read;

static const Read reads[] = {
  { "MSH", 7, 1, TIME },   { "MSH", 9, 1, TEXT },    { "MSH", 9, 2, TEXT },
  { "MSH", 10, 1, TEXT },  { "MSH", 11, 1, TEXT },   { "MSH", 12, 1, TEXT },
  { "MSH", 18, 1, TEXT },  { "EVN", 2, 1, TIME },    { "EVN", 6, 1, TIME },
  { "PID", 5, 1, TEXT },   { "PID", 5, 2, TEXT },    { "PID", 5, 3, TEXT },
  { "PID", 7, 1, DATE },   { "PID", 8, 1, TEXT },    { "PV1", 3, 1, TEXT },
  { "PV1", 3, 2, TEXT },   { "PV1", 3, 3, TEXT },    { "PV1", 7, 2, TEXT },
  { "PV1", 7, 3, TEXT },   { "PV1", 7, 6, TEXT },    { "PV1", 19, 1, TEXT },
  { "PV1", 44, 1, TIME },  { "PV1", 45, 1, TIME },   { "AL1", 2, 1, TEXT },
  { "AL1", 3, 1, TEXT },   { "AL1", 3, 2, TEXT },    { "AL1", 4, 1, TEXT },
  { "AL1", 5, 1, TEXT },   { "AL1", 6, 1, TIME },    { "OBX", 3, 1, TEXT },
  { "OBX", 5, 1, NUMBER }, { "OBX", 6, 1, TEXT },    { "OBX", 14, 1, TIME },
  { "ORC", 1, 1, TEXT },   { "ORC", 2, 1, TEXT },    { "ORC", 9, 1, TIME },
  { "ORC", 12, 2, TEXT },  { "ORC", 12, 3, TEXT },   { "ORC", 12, 6, TEXT },
  { "ORC", 15, 1, TIME },  { "RXE", 2, 1, TEXT },    { "RXE", 2, 2, TEXT },
  { "RXE", 3, 1, NUMBER }, { "RXE", 4, 1, NUMBER },  { "RXE", 5, 1, TEXT },
  { "RXE", 7, 2, TEXT },   { "RXE", 19, 1, NUMBER }, { "RXE", 27, 2, TEXT },
  { "RXR", 1, 1, TEXT },   { "RXR", 1, 2, TEXT },    { "TQ1", 3, 1, TEXT },
  { "TQ1", 7, 1, TIME },   { "TQ1", 8, 1, TIME },    { "TQ1", 9, 1, TEXT },
  { "RXA", 2, 1, TEXT },   { "RXA", 3, 1, TIME },    { "RXA", 6, 1, NUMBER },
  { "RXA", 7, 1, TEXT },   { "RXA", 10, 2, TEXT },   { "RXA", 10, 3, TEXT },
  { "RXA", 18, 2, TEXT },  { "RXA", 20, 1, TEXT },   { "RXA", 21, 1, TEXT },
};

/* Where the reads of segment @id start in the table (past the end for none). */
static gsize
group_start (const char *id)
{
  static gsize starts[16];
  static char  names[16][4];
  static guint n_groups;

  if (n_groups == 0)
    for (gsize i = 0; i < G_N_ELEMENTS (reads); i++)
      if (i == 0 || strcmp (reads[i].segment, reads[i - 1].segment) != 0)
        {
          g_assert (n_groups < G_N_ELEMENTS (starts));
          starts[n_groups] = i;
          memcpy (names[n_groups++], reads[i].segment, 4);
        }
  for (guint g = 0; g < n_groups; g++)
    if (names[g][0] == id[0] && names[g][1] == id[1] && names[g][2] == id[2])
      return starts[g];
  return G_N_ELEMENTS (reads);
}

static guint64 sink;

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  return G_LOG_WRITER_HANDLED;
}

/* Reads a parsed message as the applier does. */
static void
read_message (WkHl7Message *m, GTimeZone *zone)
{
  guint n = wk_hl7_message_get_n_segments (m);

  for (guint s = 0; s < n; s++)
    {
      WkHl7Span id = wk_hl7_message_get_segment_id (m, s);

      /* PID-3: every repetition's value, authority and type. */
      if (memcmp (id.data, "PID", 3) == 0)
        for (guint r = 1; r <= wk_hl7_message_get_n_repetitions (m, s, 3); r++)
          for (guint c = 1; c <= 5; c += (c == 1 ? 3 : 1))
            {
              const char *text = wk_hl7_message_get_text (m, s, 3, r, c, 1, NULL);

              sink += text != NULL ? (guint8)text[0] : 0;
            }
      if (memcmp (id.data, "TQ1", 3) == 0)
        for (guint r = 1; r <= wk_hl7_message_get_n_repetitions (m, s, 4); r++)
          {
            const char *text = wk_hl7_message_get_text (m, s, 4, r, 1, 1, NULL);

            sink += text != NULL ? (guint8)text[0] : 0;
          }
      /* The reads of one segment are consecutive in the table (see group_start). */
      gsize first = group_start (id.data);

      for (gsize i = first; i < G_N_ELEMENTS (reads) && memcmp (id.data, reads[i].segment, 3) == 0;
           i++)
        {
          const Read *read = &reads[i];
          double      number;
          gint64      utc;
          const char *text;

          switch (read->kind)
            {
            case TEXT:
              text = wk_hl7_message_get_text (m, s, read->field, 1, read->component, 1, NULL);
              sink += text != NULL ? (guint8)text[0] : 0;
              break;
            case NUMBER:
              if (wk_hl7_message_get_number (m, s, read->field, 1, read->component, &number, NULL))
                sink += (guint64)number;
              break;
            case TIME:
              if (wk_hl7_message_get_time (m, s, read->field, 1, read->component, zone, &utc, NULL))
                sink += (guint64)utc;
              break;
            case DATE:
              if (wk_hl7_message_get_date (m, s, read->field, 1, read->component, &text, NULL)
                  && text != NULL)
                sink += (guint8)text[0];
              break;
            }
        }
    }
}

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs parse only, or parse + read, over the mix for about @seconds of wall time.
 * Returns messages per second of wall time; @per_cpu_second gets them per second of
 * this process's CPU time (what the machine's other load does not distort). */
static double
run (GBytes **messages,
     gboolean read,
     double   seconds,
     gsize   *bytes_per_message,
     double  *per_cpu_second)
{
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier ("Europe/London");
  g_autoptr (GTimer) timer = g_timer_new ();
  double  cpu_start = cpu_seconds ();
  guint64 count = 0, bytes = 0;

  while (g_timer_elapsed (timer, NULL) < seconds)
    for (guint i = 0; i < N_MESSAGES; i++)
      {
        gsize         size;
        const guint8 *data = g_bytes_get_data (messages[i], &size);
        WkHl7Message *m = wk_hl7_message_parse (data, size, NULL, NULL);

        if (m == NULL)
          g_error ("message %u does not parse", i);
        if (read)
          read_message (m, zone);
        else
          sink += wk_hl7_message_get_n_segments (m);
        wk_hl7_message_free (m);
        count++;
        bytes += size;
      }
  *bytes_per_message = bytes / count;
  *per_cpu_second = count / (cpu_seconds () - cpu_start);
  return count / g_timer_elapsed (timer, NULL);
}

static G_GNUC_NO_INLINE void
count_run (GBytes **messages)
{
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier ("Europe/London");

  for (int round = 0; round < 2; round++)
    for (guint i = 0; i < N_MESSAGES; i++)
      {
        gsize         size;
        const guint8 *data = g_bytes_get_data (messages[i], &size);
        WkHl7Message *m = wk_hl7_message_parse (data, size, NULL, NULL);

        read_message (m, zone);
        wk_hl7_message_free (m);
      }
}

int
main (int argc, char **argv)
{
  GBytes *messages[N_MESSAGES];
  gsize   bytes_per_message;
  double  seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 3.0;
  double  parse_only, parse_read, best = 0, cpu, parse_only_cpu, best_cpu = 0;

  for (guint i = 0; i < N_MESSAGES; i++)
    messages[i] = make_message (i);

  /* `bench-hl7-parse count`: parse and read each message twice, nothing else, for
   * counting instructions per message (valgrind --tool=callgrind --toggle-collect=count_run). */
  if (argc > 1 && strcmp (argv[1], "count") == 0)
    {
      count_run (messages);
      for (guint i = 0; i < N_MESSAGES; i++)
        g_bytes_unref (messages[i]);
      return 0;
    }

  /* Warm up, then take the best of three runs (the machine is shared and noisy). */
  g_log_set_writer_func (quiet_writer, NULL, NULL);
  run (messages, TRUE, 0.3, &bytes_per_message, &cpu);
  parse_only = run (messages, FALSE, seconds, &bytes_per_message, &parse_only_cpu);
  for (int i = 0; i < 3; i++)
    {
      best = MAX (best, run (messages, TRUE, seconds, &bytes_per_message, &cpu));
      best_cpu = MAX (best_cpu, cpu);
    }
  parse_read = best;

  printf ("HL7 parse benchmark: %u distinct messages (ADT with PID/PV1/AL1/OBX, RDE with "
          "ORC/RXE/RXR/TQ1, RAS with RXA), %" G_GSIZE_FORMAT " bytes each on average\n",
          N_MESSAGES, bytes_per_message);
  printf ("  parse only:            %10.0f messages/s  (%6.1f MB/s); per CPU second %10.0f\n",
          parse_only, parse_only * bytes_per_message / 1e6, parse_only_cpu);
  printf ("  parse + read fields:   %10.0f messages/s  (%6.1f MB/s); per CPU second %10.0f"
          "  target >= 350000: %s\n",
          parse_read, parse_read * bytes_per_message / 1e6, best_cpu,
          best_cpu >= 350000 ? "met" : "NOT MET");

  /* For scale: applying whole messages to an in-memory model. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WkModel) model = wk_model_new (&error);
    g_autoptr (WkConfig) config
        = wk_config_load_from_data ("[ward]\nid = W0\n[hl7]\nwards = *\n", -1, "bench", &error);
    g_autoptr (WkFeed) feed = NULL;
    g_autoptr (GTimer) timer = g_timer_new ();
    WkFeedHealth health;

    g_assert_no_error (error);
    feed = wk_feed_new (model, config, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < N_MESSAGES; i++)
      {
        gsize         size;
        const guint8 *data = g_bytes_get_data (messages[i], &size);
        g_bytes_unref (wk_feed_handle (feed, data, size));
      }
    wk_feed_get_health (feed, &health);
    printf ("  parse + apply + ACK:   %10.0f messages/s  (%u messages: %" G_GUINT64_FORMAT
            " AA, %" G_GUINT64_FORMAT " AE, %" G_GUINT64_FORMAT " AR)\n",
            N_MESSAGES / g_timer_elapsed (timer, NULL), N_MESSAGES, health.n_aa, health.n_ae,
            health.n_ar);
  }

  for (guint i = 0; i < N_MESSAGES; i++)
    g_bytes_unref (messages[i]);
  return sink == 42 ? 1 : 0;
}
