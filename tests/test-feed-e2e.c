/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-feed-e2e.c — the feed end to end: the simulator's hospital over loopback MLLP
 * (plain and TLS) into the listener, applied by WkFeed to the ward model, and the model
 * compared field by field with the simulator's own view; bad input changes nothing. */

#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-mllp-client.h"
#include "wk-mllp-listener.h"
#include "wk-model.h"
#include "wk-sim-hospital.h"
#include "wk-test-mllp.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <string.h>

typedef struct
{
  WkModel        *model;
  WkConfig       *config;
  WkFeed         *feed;
  WkMllpListener *listener;
} Kiosk;

static GBytes *
feed_handler (const guint8 *message, gsize size, gpointer user_data)
{
  return wk_feed_handle (user_data, message, size);
}

/* A kiosk as the daemon wires it: listener -> WkFeed -> model. */
static Kiosk *
kiosk_new (const char *config_text, const WkTestTls *tls)
{
  g_autoptr (GError) error = NULL;
  Kiosk *k = g_new0 (Kiosk, 1);

  k->config = wk_config_load_from_data (config_text, -1, "e2e.conf", &error);
  g_assert_no_error (error);
  k->model = wk_model_new (&error);
  g_assert_no_error (error);
  k->feed = wk_feed_new (k->model, k->config, &error);
  g_assert_no_error (error);
  k->listener = wk_mllp_listener_new_from_config (k->config, feed_handler, k->feed, NULL, &error);
  g_assert_no_error (error);
  if (tls != NULL)
    {
      g_assert_true (wk_mllp_listener_set_tls (k->listener, tls->server_cert, tls->server_key,
                                               tls->ca, &error));
      g_assert_no_error (error);
    }
  g_assert_true (wk_mllp_listener_start (k->listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  return k;
}

static void
kiosk_free (Kiosk *k)
{
  wk_mllp_listener_free (k->listener);
  wk_feed_free (k->feed);
  wk_model_free (k->model);
  wk_config_free (k->config);
  g_free (k);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Kiosk, kiosk_free)

/* The code in MSA-1 of an ACK, and the ERR-8 text when there is one. */
static char *
ack_code (GBytes *ack, char **text)
{
  gsize         size = 0;
  const guint8 *data = g_bytes_get_data (ack, &size);
  g_autoptr (WkHl7Message) m = wk_hl7_message_parse (data, size, NULL, NULL);
  int msa, err;

  g_assert_nonnull (m);
  msa = wk_hl7_message_find_segment (m, "MSA", 0);
  g_assert_cmpint (msa, >, 0);
  err = wk_hl7_message_find_segment (m, "ERR", 0);
  if (text != NULL)
    *text = err > 0 ? g_strdup (wk_hl7_message_get_text (m, err, 8, 1, 1, 0, NULL)) : NULL;
  return g_strdup (wk_hl7_message_get_text (m, msa, 1, 1, 1, 0, NULL));
}

/* The simulator's side: a hospital, streamed by a client thread. */
typedef struct
{
  WkSimHospital         *hospital;
  guint16                port;
  const WkMllpClientTls *tls;
  guint                  events;
  guint                  sent;
  GPtrArray             *refused; /* "control id summary: code text" for each ACK not AA */
  GError                *error;
} Feeder;

static gpointer
feeder_main (gpointer data)
{
  Feeder *f = data;
  g_autoptr (WkMllpClient) client
      = wk_mllp_client_connect ("127.0.0.1", f->port, f->tls, 60, &f->error);
  gint64 start = wk_sim_hospital_get_now (f->hospital);
  guint  stream = 0;

  while (client != NULL && stream < f->events)
    {
      g_autoptr (WkSimEvent) event = wk_sim_hospital_next (f->hospital, start + stream * 60);
      g_autoptr (GBytes) ack = wk_mllp_client_exchange (client, event->message, &f->error);
      g_autofree char *text = NULL;
      g_autofree char *code = NULL;

      if (ack == NULL)
        break;
      f->sent++;
      code = ack_code (ack, &text);
      if (g_strcmp0 (code, "AA") != 0)
        g_ptr_array_add (f->refused, g_strdup_printf ("%s %s: %s %s", event->control_id,
                                                      event->summary, code, text));
      if (!event->initial)
        stream++;
    }
  return NULL;
}

/* Streams the feed into the kiosk and checks every message was acknowledged AA and the
 * model equals the simulator's view (of @ward alone, for a kiosk that keeps one ward of
 * the simulator's hospital; NULL when it keeps every ward). */
static void
feed_and_compare_ward (
    Kiosk *k, WkSimHospital *h, guint events, const WkMllpClientTls *tls, const char *ward)
{
  Feeder f = { h, wk_mllp_listener_get_port (k->listener), tls, events, 0, NULL, NULL };
  g_autoptr (GString) differences = g_string_new (NULL);
  WkMllpStats stats;

  f.refused = g_ptr_array_new_with_free_func (g_free);
  wk_test_run_in_thread (feeder_main, &f);
  g_assert_no_error (f.error);
  for (guint i = 0; i < MIN (f.refused->len, 10); i++)
    g_test_message ("not AA: %s", (char *)f.refused->pdata[i]);
  g_assert_cmpuint (f.refused->len, ==, 0);
  g_ptr_array_unref (f.refused);

  wk_mllp_listener_get_stats (k->listener, &stats);
  g_assert_cmpuint (stats.frames, ==, f.sent);
  g_assert_cmpuint (stats.frames_refused, ==, 0);
  g_test_message ("%u messages, %u patients, %u of %u beds occupied", f.sent,
                  wk_sim_hospital_get_patients (h)->len, wk_sim_hospital_count_occupied (h),
                  wk_sim_hospital_count_beds (h));
  if (!wk_sim_hospital_compare_model (h, k->model, ward, differences))
    g_error ("the model differs from the simulator's view:\n%s", differences->str);
}

static void
feed_and_compare (Kiosk *k, WkSimHospital *h, guint events, const WkMllpClientTls *tls)
{
  feed_and_compare_ward (k, h, events, tls, NULL);
}

/* How many patients came onto @ward from another ward (and so brought orders from there),
 * and how many of those are there now without their orders from before. */
static guint
count_transferred_in (WkSimHospital *h, const char *ward, guint *unconfirmed)
{
  GPtrArray *patients = wk_sim_hospital_get_patients (h);
  guint      n = 0;

  *unconfirmed = 0;
  for (guint i = 0; i < patients->len; i++)
    {
      WkSimPatient *p = patients->pdata[i];
      guint         at;

      if (g_ptr_array_find_with_equal_func (p->wards, ward, g_str_equal, &at) && at > 0)
        n++;
      if (p->bed != NULL && strcmp (p->bed->ward->id, ward) == 0 && p->unconfirmed)
        (*unconfirmed)++;
    }
  return n;
}

/* A kiosk that keeps one ward of a hospital of six, as most wards will run it: patients
 * are transferred in from the other wards with orders placed there, and the simulator,
 * like a correct interface engine, sends each one's current orders after the transfer.
 * Every message is acknowledged AA and the model is what the kiosk of that ward must
 * have: the ward's patients, each with every order they have now and everything since. */
static void
test_one_ward_of_many (void)
{
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 8A\n", NULL);
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (15, 6, 30);
  guint unconfirmed, arrived;

  feed_and_compare_ward (k, h, 6000, NULL, "8A");
  arrived = count_transferred_in (h, "8A", &unconfirmed);
  g_test_message ("%u patients transferred in to 8A, %u there now with no current order", arrived,
                  unconfirmed);
  g_assert_cmpuint (arrived, >=, 10);
}

static void
test_ward (void)
{
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 7A\n", NULL);
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (11, 1, 30);

  feed_and_compare (k, h, 3000, NULL);
}

static void
test_hospital (void)
{
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 7A\n[hl7]\nwards = *\n", NULL);
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (12, 40, 30);

  g_assert_cmpuint (wk_sim_hospital_count_beds (h), ==, 1200);
  feed_and_compare (k, h, 6000, NULL);
}

static void
test_tls (void)
{
  g_autoptr (WkTestTls) tls = wk_test_tls_new ();
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 7A\n[hl7]\nwards = *\n", tls);
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (13, 6, 30);
  WkMllpClientTls client = { tls->ca, tls->client_cert, tls->client_key, NULL };

  feed_and_compare (k, h, 1500, &client);
}

/* The same hospital, with an interface engine that does not send a patient's orders after
 * a transfer. The kiosk of the one ward says, for each patient transferred in, that their
 * medicines may be missing (and their chart prints it); it refuses doses of orders it
 * never had, saying why, and takes everything else. */
static void
test_one_ward_engine_does_not_send_orders (void)
{
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 8A\n", NULL);
  g_autoptr (WkSimHospital) h = NULL;
  g_autoptr (GPtrArray) refused = g_ptr_array_new_with_free_func (g_free);
  GPtrArray   *patients;
  WkSimOptions options;
  Feeder       f = { NULL, wk_mllp_listener_get_port (k->listener), NULL, 4000, 0, refused, NULL };
  guint        flagged = 0, followed = 0;

  wk_sim_options_init (&options);
  options.seed = 15;
  options.n_wards = 6;
  options.send_orders_on_transfer = FALSE;
  h = wk_sim_hospital_new (&options);
  f.hospital = h;
  wk_test_run_in_thread (feeder_main, &f);
  g_assert_no_error (f.error);

  /* The only refusals: doses of orders from before a transfer (AE), each saying why. */
  for (guint i = 0; i < refused->len; i++)
    if (strstr (refused->pdata[i], "RAS^O17") == NULL || strstr (refused->pdata[i], ": AE ") == NULL
        || strstr (refused->pdata[i], "arrived from a ward this kiosk does not keep") == NULL)
      g_error ("refused for another reason: %s", (char *)refused->pdata[i]);
  g_test_message ("%u doses of orders from before a transfer refused", refused->len);
  g_assert_cmpuint (refused->len, >, 0);

  /* Every patient on the ward who was transferred in is flagged, with when and whence;
   * everyone admitted straight to it is not. */
  patients = wk_sim_hospital_get_patients (h);
  for (guint i = 0; i < patients->len; i++)
    {
      WkSimPatient *p = patients->pdata[i];
      g_autoptr (WkPatient) m = NULL;

      if (p->bed == NULL || strcmp (p->bed->ward->id, "8A") != 0)
        continue;
      m = wk_patient_load_by_nhs_number (k->model, p->patient->nhs_number, NULL);
      g_assert_nonnull (m);
      if (strcmp (p->wards->pdata[0], "8A") != 0 && p->unconfirmed)
        {
          g_assert_true (wk_patient_orders_may_be_missing (m));
          g_assert_cmpint (m->arrival, ==, WK_ARRIVAL_TRANSFER);
          g_assert_cmpint (m->arrived_at, ==, p->arrived_at);
          g_assert_cmpstr (m->arrived_from, ==, p->arrived_from);
          flagged++;
        }
      else
        {
          g_assert_false (wk_patient_orders_may_be_missing (m));
          followed++;
        }
    }
  g_test_message ("on 8A: %u transferred in without their orders, %u followed all along", flagged,
                  followed);
  g_assert_cmpuint (flagged, >=, 3);
  g_assert_cmpuint (followed, >=, 10);

  /* Their charts say so, and the census counts them. */
  {
    g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
    g_autoptr (WkChartRenderer) renderer = NULL;
    g_autoptr (WkChartDocument) census = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *census_text = NULL;
    g_autofree char *count = g_strdup_printf ("%u patient%s arrived from wards or departments",
                                              flagged, flagged == 1 ? "" : "s");
    WkChartOptions   chart_options;
    guint            charts = 0;

    wk_chart_options_init (&chart_options);
    chart_options.ward_id = "8A";
    chart_options.timezone = "Europe/London";
    chart_options.snapshot_seq = 1;
    chart_options.snapshot_at = wk_sim_hospital_get_now (h);
    chart_options.printed_at = chart_options.snapshot_at + 60;
    renderer = wk_chart_renderer_new (&chart_options, keys, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < patients->len && charts < 2; i++)
      {
        WkSimPatient *p = patients->pdata[i];
        g_autoptr (WkPatient) m = NULL;
        g_autoptr (WkChartDocument) chart = NULL;
        g_autofree char *text = NULL;
        g_autofree char *from = NULL;
        gsize            size;
        const guint8    *pdf;

        if (p->bed == NULL || strcmp (p->bed->ward->id, "8A") != 0 || !p->unconfirmed)
          continue;
        m = wk_patient_load_by_nhs_number (k->model, p->patient->nhs_number, NULL);
        chart = wk_chart_renderer_render_chart (renderer, k->model, m->id, &error);
        g_assert_no_error (error);
        pdf = wk_chart_document_get_pdf (chart, &size);
        if (charts++ == 0)
          {
            g_autofree char *path = wk_test_save_artefact ("e2e-transferred-in.pdf", pdf, size);

            g_test_message ("saved %s", path);
          }
        text = wk_test_pdf_to_text (pdf, size, 1, FALSE);
        from = g_strdup_printf ("TRANSFERRED IN FROM %s — ", p->arrived_from);
        g_assert_nonnull (strstr (text, from));
        g_assert_nonnull (strstr (text, "MEDICINES PRESCRIBED BEFORE THE TRANSFER MAY BE MISSING "
                                        "FROM THIS CHART"));
        /* An empty section never claims the EPR has nothing. */
        g_assert_null (strstr (text, "in the EPR when the data was taken"));
      }
    census = wk_chart_renderer_render_census (renderer, k->model, &error);
    g_assert_no_error (error);
    {
      gsize         size;
      const guint8 *pdf = wk_chart_document_get_pdf (census, &size);

      census_text = wk_test_pdf_to_text (pdf, size, 0, FALSE);
    }
    g_assert_nonnull (strstr (census_text, count));
  }
}

/* Bad input of every kind after a feed: each is refused or dropped, and the model is
 * exactly as it was. */
typedef struct
{
  guint16    port;
  GPtrArray *codes; /* what each bad message got back */
  GError    *error;
} Abuse;

static gpointer
abuse_main (gpointer data)
{
  Abuse *ab = data;
  g_autoptr (WkMllpClient) client
      = wk_mllp_client_connect ("127.0.0.1", ab->port, NULL, 60, &ab->error);
  g_autofree char  *big = NULL;
  const char       *cut = "noise\x0bMSH|^~\\&|cut";
  const char *const bad[] = {
    /* a bad NHS number check digit */
    "MSH|^~\\&|SIMEPR|SIMHOSP|WARDKEEP|7A|20260302120000+0000||ADT^A01^ADT_A01|BAD1|P|2.5.1\r"
    "EVN||20260302120000+0000\r"
    "PID|1||9990000011^^^NHS^NH~H7777777^^^SIMHOSP^MR||Nobody^Test||19500101|F\r"
    "PV1|1|I|7A^BAY1^1\r",
    /* an order for a patient nobody knows */
    "MSH|^~\\&|SIMEPR|SIMHOSP|WARDKEEP|7A|20260302120000+0000||RDE^O11^RDE_O11|BAD2|P|2.5.1\r"
    "PID|1||9999999999^^^NHS^NH||Nobody^Test||19500101|F\r"
    "PV1|1|I|7A^BAY1^1\r"
    "ORC|NW|RXBAD1|||||||20260302120000+0000\r"
    "TQ1|1||OD|0800\rRXE||322236009^Paracetamol 500mg tablets|1000||mg\rRXR|PO\r",
    /* not HL7 at all */
    "hello, is this the pharmacy?",
    /* a message type the kiosk does not take */
    ("MSH|^~\\&|SIMEPR|SIMHOSP|WARDKEEP|7A|20260302120000+0000||ORU^R01^ORU_R01|BAD3|P|2.5.1\r"
     "PID|1||9990000018^^^NHS^NH\r"),
  };

  if (client == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GBytes) message = g_bytes_new_static (bad[i], strlen (bad[i]));
      g_autoptr (GBytes) ack = wk_mllp_client_exchange (client, message, &ab->error);

      if (ack == NULL)
        return NULL;
      g_ptr_array_add (ab->codes, ack_code (ack, NULL));
    }
  /* Garbage, a frame cut short, then an oversized message: the last is refused (AR). */
  big = g_strdup_printf ("\x0b"
                         "MSH|^~\\&|SIMEPR|SIMHOSP|WARDKEEP|7A|20260302120000+0000||ADT^A08|BAD4|"
                         "P|2.5.1\rNTE|1||%02000000d\r\x1c\x0d",
                         0);
  if (!wk_mllp_client_write_raw (client, cut, strlen (cut), &ab->error)
      || !wk_mllp_client_write_raw (client, big, strlen (big), &ab->error))
    return NULL;
  {
    g_autoptr (GBytes) ack = wk_mllp_client_read_frame (client, &ab->error);

    if (ack != NULL)
      g_ptr_array_add (ab->codes, ack_code (ack, NULL));
  }
  return NULL;
}

static void
test_bad_input_changes_nothing (void)
{
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 7A\n", NULL);
  g_autoptr (WkSimHospital) h = wk_sim_hospital_new_sized (14, 1, 30);
  g_autoptr (GString) differences = g_string_new (NULL);
  Abuse   ab = { wk_mllp_listener_get_port (k->listener), NULL, NULL };
  guint64 generation;

  feed_and_compare (k, h, 500, NULL);
  generation = wk_model_get_generation (k->model);
  ab.codes = g_ptr_array_new_with_free_func (g_free);
  wk_test_run_in_thread (abuse_main, &ab);
  g_assert_no_error (ab.error);
  g_assert_cmpuint (ab.codes->len, ==, 5);
  g_assert_cmpstr (ab.codes->pdata[0], ==, "AE");
  g_assert_cmpstr (ab.codes->pdata[1], ==, "AE");
  g_assert_cmpstr (ab.codes->pdata[2], ==, "AR");
  g_assert_cmpstr (ab.codes->pdata[3], ==, "AR");
  g_assert_cmpstr (ab.codes->pdata[4], ==, "AR");
  g_ptr_array_unref (ab.codes);

  /* Nothing about the ward changed. */
  g_assert_cmpuint (wk_model_get_generation (k->model), ==, generation);
  if (!wk_sim_hospital_compare_model (h, k->model, NULL, differences))
    g_error ("bad input changed the model:\n%s", differences->str);
}

/* The installed program, as a demo runs it, against the kiosk; the test rebuilds the
 * same hospital from the same seed and start and compares. */
typedef struct
{
  gboolean exited;
  int      status;
  char    *out;
} Run;

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, NULL, NULL);
  run->status = g_subprocess_get_if_exited (G_SUBPROCESS (source))
                    ? g_subprocess_get_exit_status (G_SUBPROCESS (source))
                    : -1;
  run->exited = TRUE;
}

static void
test_sim_program (void)
{
  g_autoptr (Kiosk) k = kiosk_new ("[ward]\nid = 7A\n[hl7]\nwards = *\n", NULL);
  g_autofree char *program = wk_test_build_path ("tests", "sim", "wardkeep-sim", NULL);
  g_autofree char *feed = g_strdup_printf ("127.0.0.1:%u", wk_mllp_listener_get_port (k->listener));
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GString) differences = g_string_new (NULL);
  g_autoptr (WkSimHospital) h = NULL;
  WkSimOptions options;
  Run          run = { FALSE, 0, NULL };
  guint        stream = 0;

  /* Twice: the second run repeats the same messages, which are acknowledged again and
   * not applied twice, so a demo's simulator can be restarted with the same seed. */
  for (int i = 0; i < 2; i++)
    {
      g_clear_object (&process);
      run.exited = FALSE;
      process
          = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, "--feed", feed,
                              "--seed", "21", "--wards", "3", "--beds", "30", "--messages", "800",
                              "--start", "2026-03-02T07:00:00Z", "--step", "60", "--quiet", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8_async (process, NULL, NULL, run_done_cb, &run);
      while (!run.exited)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_nonnull (strstr (run.out, "800 events)"));
      g_clear_pointer (&run.out, g_free);
    }

  /* The same hospital, the same events at the same simulated times. */
  wk_sim_options_init (&options);
  options.seed = 21;
  options.n_wards = 3;
  options.beds_per_ward = 30;
  options.start = 1772434800; /* 2026-03-02T07:00:00Z */
  h = wk_sim_hospital_new (&options);
  while (stream < 800)
    {
      g_autoptr (WkSimEvent) event = wk_sim_hospital_next (h, options.start + stream * 60);

      if (!event->initial)
        stream++;
    }
  if (!wk_sim_hospital_compare_model (h, k->model, NULL, differences))
    g_error ("the model differs from the simulator's view:\n%s", differences->str);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/feed-e2e/ward-30-beds", test_ward);
  g_test_add_func ("/feed-e2e/hospital-1200-beds", test_hospital);
  g_test_add_func ("/feed-e2e/one-ward-of-many", test_one_ward_of_many);
  g_test_add_func ("/feed-e2e/one-ward-engine-does-not-send-orders",
                   test_one_ward_engine_does_not_send_orders);
  g_test_add_func ("/feed-e2e/tls", test_tls);
  g_test_add_func ("/feed-e2e/bad-input-changes-nothing", test_bad_input_changes_nothing);
  g_test_add_func ("/feed-e2e/sim-program", test_sim_program);
  status = g_test_run ();
  wk_test_settle_threads ();
  return status;
}
