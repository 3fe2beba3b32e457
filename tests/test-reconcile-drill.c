/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-reconcile-drill.c — a whole outage, from printing to a signed-off discrepancy report
 * and administrations exported, with real processes: wardkeepd prints the ward to a private
 * cupsd; the printed pages are rendered with pdftoppm and scanned back through libzbar by
 * `wardkeep reconcile scan`; doses are keyed in from the command line; the central feed
 * records a dose too; the report finds the double dose and the page that never came back;
 * a pharmacist signs it off; the doses go to an interface engine as RAS^O17, which its own
 * WkFeed reads back. */

#include "wk-administration.h"
#include "wk-chart-id.h"
#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-mllp-sender.h"
#include "wk-order.h"
#include "wk-paper-entry.h"
#include "wk-test-engine.h"
#include "wk-test-kiosk.h"
#include "wk-test-responder.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define WAIT_S 90

static void
assert_contains (const char *text, const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("\"%s\" is not in:\n%s", part, text);
}

static JsonObject *
member_object (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Runs `wardkeep ARGS... --config CONFIG` with @input on standard input. */
static void
wardkeep (WkTestKiosk *kiosk, WkTestRun *run, const char *input, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, wk_test_build_path ("kiosk", "cli", "wardkeep", NULL));
  va_start (args, input);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, g_strdup ("--config"));
  g_ptr_array_add (argv, g_strdup (wk_test_kiosk_get_config_path (kiosk)));
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *)argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_assert_true (
      g_subprocess_communicate_utf8 (process, input, NULL, &run->out, &run->err, &error));
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
}

/* The ward as the drill finds it: the usual ward, and on every patient an order due on the
 * hour just begun (its box is on paper and already due), so that the drill keys in doses
 * that are due now, on the real clock. */
static WkModel *
ward_due_now (GDateTime *hour, char **hhmm)
{
  g_autoptr (WkModel) model = wk_test_ward_new (6);
  g_autoptr (GPtrArray) patients = wk_patient_load_all (model, NULL);
  g_autofree char *times = g_date_time_format (hour, "%H:%M");

  *hhmm = g_date_time_format (hour, "%H%M");
  for (guint i = 0; i < patients->len; i++)
    {
      WkPatient       *patient = patients->pdata[i];
      g_autofree char *placer = g_strdup_printf ("NOW-%" G_GINT64_FORMAT, patient->id);
      g_autoptr (WkOrder) order = wk_test_order_new (patient->id, placer, 1);
      g_autoptr (GError) error = NULL;

      g_free (order->drug);
      order->drug = g_strdup ("Levetiracetam 500mg tablets");
      g_free (order->admin_times);
      order->admin_times = g_strdup (times);
      order->dose = 500;
      order->start_at = g_date_time_to_unix (hour) - 2 * 86400;
      order->transaction_at = order->start_at;
      g_assert_true (wk_order_insert (model, order, &error));
    }
  return g_steal_pointer (&model);
}

/* The central system records the dose too, on the feed: RAS^O17 over MLLP to the daemon. */
static void
central_gives (guint16 feed_port, const char *nhs, const char *placer, gint64 at)
{
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autoptr (GBytes) message = NULL;
  g_autoptr (WkMllpSender) sender = NULL;
  g_autoptr (WkMllpAck) ack = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", feed_port);

  wk_hl7_builder_msh (b, "RAS^O17^RAS_O17", "CENTRAL-RAS-1", g_get_real_time () / G_USEC_PER_SEC);
  wk_hl7_builder_field (b, 3, "EPR");
  wk_hl7_builder_field (b, 4, "TRUST");
  wk_hl7_builder_segment (b, "PID");
  wk_hl7_builder_set (b, 3, 1, 1, 0, nhs);
  wk_hl7_builder_set (b, 3, 1, 4, 0, "NHS");
  wk_hl7_builder_set (b, 3, 1, 5, 0, "NH");
  wk_hl7_builder_segment (b, "ORC");
  wk_hl7_builder_field (b, 1, "RE");
  wk_hl7_builder_field (b, 2, placer);
  wk_hl7_builder_segment (b, "RXA");
  wk_hl7_builder_field (b, 1, "0");
  wk_hl7_builder_field (b, 2, "1");
  wk_hl7_builder_field_time (b, 3, at);
  wk_hl7_builder_component (b, 5, 2, "Levetiracetam 500mg tablets");
  wk_hl7_builder_field (b, 6, "500");
  wk_hl7_builder_field (b, 7, "mg");
  wk_hl7_builder_component (b, 10, 2, "CD");
  wk_hl7_builder_field (b, 20, "CP");
  message = wk_hl7_builder_end (b);
  sender = wk_mllp_sender_new (address, &error);
  wk_mllp_sender_set_timeout (sender, 10000);
  wk_mllp_sender_set_retries (sender, 0, 0);
  ack = wk_mllp_sender_send (sender, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ack->code, ==, "AA");
}

static JsonObject *
wait_print_finished (WkTestKiosk *kiosk)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (JsonObject) status = wk_test_kiosk_status (kiosk);
      JsonObject *print = member_object (status, "print");

      if (print != NULL && json_object_get_boolean_member (print, "finished"))
        return g_steal_pointer (&status);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
}

/* Renders a printed PDF's pages as a 150 dpi scanner would: DIR/STEM-N.png. */
static guint
render_pages (const char *pdf, const char *dir, const char *stem)
{
  g_autofree char *prefix = g_build_filename (dir, stem, NULL);
  const char      *argv[] = { "pdftoppm", "-r", "150", "-png", pdf, prefix, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) folder = NULL;
  const char *name;
  int         status;
  guint       n = 0;

  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  folder = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (folder)) != NULL)
    n += g_str_has_prefix (name, stem) && g_str_has_suffix (name, ".png");
  return n;
}

static GBytes *
central_handle (const guint8 *message, gsize size, gpointer data)
{
  return wk_feed_handle (data, message, size);
}

static void
test_drill (void)
{
  g_autoptr (WkTestKiosk) kiosk = wk_test_kiosk_new ();
  g_autoptr (GTimeZone) london = g_time_zone_new_identifier ("Europe/London");
  g_autoptr (GDateTime) now = g_date_time_new_now (london);
  g_autoptr (GDateTime) hour
      = g_date_time_new (london, g_date_time_get_year (now), g_date_time_get_month (now),
                         g_date_time_get_day_of_month (now), g_date_time_get_hour (now), 0, 0);
  g_autofree char *due = NULL;
  g_autoptr (WkModel) ward = ward_due_now (hour, &due);
  g_autoptr (WkSnapshotInfo) snapshot = NULL;
  g_autofree char *central_due = NULL;
  g_autoptr (WkModel) central_model = ward_due_now (hour, &central_due);
  g_autoptr (WkConfig) central_config
      = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "central.conf", NULL);
  g_autoptr (WkFeed) central = wk_feed_new (central_model, central_config, NULL);
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (central_handle, central);
  g_autoptr (GPtrArray) received = NULL;
  g_autoptr (JsonObject) printed = NULL;
  g_autofree char *engine_address = wk_test_engine_dup_address (engine);
  g_autofree char *scans = g_build_filename (wk_test_kiosk_get_dir (kiosk), "scans", NULL);
  g_autofree char *report_pdf
      = g_build_filename (wk_test_kiosk_get_dir (kiosk), "report.pdf", NULL);
  g_autofree char *csv = g_build_filename (wk_test_kiosk_get_dir (kiosk), "back-entry.csv", NULL);
  g_autofree char *config = NULL;
  g_autofree char *chart_label = NULL;
  g_autofree char *second_label = NULL;
  g_autofree char *missing_label = NULL;
  g_autofree char *batch = NULL;
  g_autofree char *prn_at = NULL;
  g_autoptr (GPtrArray) png = g_ptr_array_new_with_free_func (g_free);
  guint16 feed_port = wk_test_closed_port ();
  gint64  first_patient = 0;

  /* The kiosk: its ward on a snapshot, its printers, an interface engine for back-entry. */
  config = g_strdup_printf ("[feed]\naddress = 127.0.0.1\nport = %u\n"
                            "[reconcile]\nexport-address = %s\nexport-retry-delay = 0s\n",
                            feed_port, engine_address);
  wk_test_kiosk_write_config (kiosk, config);
  snapshot = wk_test_kiosk_write_snapshot (kiosk, ward);
  {
    g_autoptr (GPtrArray) patients = wk_patient_load_all (ward, NULL);

    first_patient = ((WkPatient *)patients->pdata[0])->id;
  }
  wk_test_kiosk_start_daemon (kiosk, NULL);

  /* Downtime is declared: the ward is printed at once. */
  {
    g_auto (WkTestRun) run = { 0 };

    wardkeep (kiosk, &run, NULL, "downtime", "declare", "--reason", "EPR upgrade", "--who",
              "IT on call", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  printed = wait_print_finished (kiosk);
  received = wk_test_printer_dup_received (wk_test_kiosk_get_printer (kiosk, "office"));
  g_assert_cmpuint (received->len, >=, 5);

  /* The paper comes back: every chart page scanned but one. The first chart is the first
   * bed's; its second page stays on the ward. */
  g_assert_cmpint (g_mkdir_with_parents (scans, 0700), ==, 0);
  for (guint i = 1; i < received->len; i++)
    {
      WkTestDocument  *document = received->pdata[i];
      g_autofree char *stem = g_strdup_printf ("chart%u", i);
      guint            pages = render_pages (document->path, scans, stem);

      g_assert_cmpuint (pages, >=, 1);
      for (guint p = 1; p <= pages; p++)
        {
          g_autofree char *name = pages > 1 ? g_strdup_printf ("%s-%u.png", stem, p)
                                            : g_strdup_printf ("%s-%u.png", stem, p);
          g_autofree char *path = g_build_filename (scans, name, NULL);

          if (!g_file_test (path, G_FILE_TEST_EXISTS))
            {
              g_free (path);
              path = g_strdup_printf ("%s/%s-%02u.png", scans, stem, p);
            }
          g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
          if (i == 1 && p == 2)
            {
              g_autofree char *id = g_ascii_strup (document->job_name, -1);

              missing_label = wk_chart_id_format (id);
              continue;
            }
          g_ptr_array_add (png, g_steal_pointer (&path));
        }
      if (i == 1 || i == 2)
        {
          g_autofree char *id = g_ascii_strup (document->job_name, -1);

          if (i == 1)
            chart_label = wk_chart_id_format (id);
          else
            second_label = wk_chart_id_format (id);
        }
    }
  g_assert_nonnull (missing_label);
  {
    g_auto (WkTestRun) run = { 0 };
    g_autoptr (GPtrArray) argv = g_ptr_array_new ();
    g_autofree char *wardkeep_path = wk_test_build_path ("kiosk", "cli", "wardkeep", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (GSubprocess) process = NULL;

    g_ptr_array_add (argv, wardkeep_path);
    g_ptr_array_add (argv, "reconcile");
    g_ptr_array_add (argv, "scan");
    for (guint i = 0; i < png->len; i++)
      g_ptr_array_add (argv, png->pdata[i]);
    g_ptr_array_add (argv, "--who");
    g_ptr_array_add (argv, "P Harmacist");
    g_ptr_array_add (argv, "--config");
    g_ptr_array_add (argv, (char *)wk_test_kiosk_get_config_path (kiosk));
    g_ptr_array_add (argv, NULL);
    process = g_subprocess_newv ((const char *const *)argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                 &error);
    g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &run.out, &run.err, &error));
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
    assert_contains (run.out, "pages still missing: 2");
    assert_contains (run.out, "0 refused, 0 without a wardkeep code");
  }
  /* A forged code typed by a scanner: refused with the reason. */
  {
    g_auto (WkTestRun) run = { 0 };

    wardkeep (kiosk, &run, "WK:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n", "reconcile", "scan", "-",
              NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_contains (run.out, "code 1: REFUSED: ");
  }
  /* The status: the page that never came back. */
  {
    g_auto (WkTestRun) run = { 0 };
    g_autofree char *line = g_strdup_printf ("%s  missing-pages", missing_label);

    wardkeep (kiosk, &run, NULL, "reconcile", "status", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_contains (run.out, "(manual)");
    assert_contains (run.out, line);
  }

  /* Keyed in from the paper: the box due on the hour given by AB, an as-required dose. */
  {
    g_autoptr (GDateTime) at = g_date_time_add_seconds (now, -60);
    g_autofree char *placer = g_strdup_printf ("NOW-%" G_GINT64_FORMAT, first_patient);
    g_auto (WkTestRun) run = { 0 };

    prn_at = g_date_time_format (g_date_time_compare (at, hour) > 0 ? at : hour, "%H%M");
    /* Each line starts with its chart: the first bed's, then the second bed's. */
    batch = g_strdup_printf ("%s --order %s --due %s --given --by AB\n"
                             "%s --order P1-MORP --at %s --dose 5 --given --by AB\n",
                             chart_label, placer, due, second_label, prn_at);
    wardkeep (kiosk, &run, batch, "reconcile", "enter", "--batch", "-", "--who", "P Harmacist",
              NULL);
    if (run.status != 0)
      g_error ("enter failed:\n%s%s", run.out, run.err);
    assert_contains (run.out, "given");
    /* The EPR recorded the same dose ten minutes later: a double dose. */
    {
      g_autofree char *nhs = wk_test_nhs_number (0);

      central_gives (feed_port, nhs, placer, g_date_time_to_unix (hour) + 600);
    }
  }

  /* Back online: the episode ends. */
  {
    g_auto (WkTestRun) run = { 0 };

    wardkeep (kiosk, &run, NULL, "downtime", "end", "--reason", "EPR back", "--who", "IT on call",
              NULL);
    g_assert_cmpint (run.status, ==, 0);
  }

  /* The report finds what the drill planted; the pharmacist signs it off. */
  {
    g_auto (WkTestRun) report = { 0 };
    g_auto (WkTestRun) signoff = { 0 };
    g_auto (WkTestRun) signed_report = { 0 };
    struct stat st;

    wardkeep (kiosk, &report, NULL, "reconcile", "report", "--pdf", report_pdf, NULL);
    g_assert_cmpint (report.status, ==, 0);
    assert_contains (report.out, "double-dose");
    assert_contains (report.out, "missing-page");
    assert_contains (report.out, "Not yet signed off.");
    g_assert_cmpint (g_stat (report_pdf, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    {
      g_autofree char *contents = NULL;
      gsize            size;

      g_assert_true (g_file_get_contents (report_pdf, &contents, &size, NULL));
      g_free (wk_test_save_artefact ("reconcile-drill-report.pdf", (guint8 *)contents, size));
    }
    wardkeep (kiosk, &signoff, NULL, "reconcile", "signoff", "--who", "R Pharmacist", "--note",
              "double dose reported on Datix", NULL);
    g_assert_cmpint (signoff.status, ==, 0);
    assert_contains (signoff.out, "Signed off by R Pharmacist");
    wardkeep (kiosk, &signed_report, NULL, "reconcile", "report", NULL);
    assert_contains (signed_report.out, "Signed off by R Pharmacist");
    g_assert_null (strstr (signed_report.out, "HAS CHANGED SINCE"));
  }

  /* Back-entry: RAS^O17 to the interface engine, and CSV for the record. */
  {
    g_auto (WkTestRun) hl7 = { 0 };
    g_auto (WkTestRun) again = { 0 };
    g_auto (WkTestRun) to_csv = { 0 };
    g_autofree char *placer = g_strdup_printf ("NOW-%" G_GINT64_FORMAT, first_patient);

    wardkeep (kiosk, &hl7, NULL, "reconcile", "export", "--format", "hl7", NULL);
    if (hl7.status != 0)
      g_error ("export failed:\n%s%s", hl7.out, hl7.err);
    assert_contains (hl7.out, "2 of 2 RAS^O17 messages acknowledged");
    wardkeep (kiosk, &again, NULL, "reconcile", "export", "--format", "hl7", NULL);
    assert_contains (again.out, "Nothing to send");
    wardkeep (kiosk, &to_csv, NULL, "reconcile", "export", "--format", "csv", "--output", csv,
              NULL);
    g_assert_cmpint (to_csv.status, ==, 0);
    g_clear_pointer (&engine, wk_test_engine_free);
    {
      g_autoptr (GPtrArray) records
          = wk_administration_load_for_order (central_model, placer, NULL);
      g_autoptr (GPtrArray) morphine
          = wk_administration_load_for_order (central_model, "P1-MORP", NULL);
      guint paper = 0;

      for (guint i = 0; i < records->len; i++)
        paper += g_strcmp0 (((WkAdministration *)records->pdata[i])->by_whom, "AB") == 0;
      g_assert_cmpuint (paper, ==, 1);
      paper = 0;
      for (guint i = 0; i < morphine->len; i++)
        paper += g_strcmp0 (((WkAdministration *)morphine->pdata[i])->by_whom, "AB") == 0
                 && ((WkAdministration *)morphine->pdata[i])->dose == 5;
      g_assert_cmpuint (paper, ==, 1);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/reconcile/drill", test_drill);
  return g_test_run ();
}
