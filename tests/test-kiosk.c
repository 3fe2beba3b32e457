/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-kiosk.c — the kiosk's logic without a screen: PINs and their limit, the daemon's
 * status, the census and patient records read from a real snapshot, words for times. */

#include "wk-chart-facts.h"
#include "wk-kiosk-error.h"
#include "wk-kiosk-format.h"
#include "wk-kiosk-private.h"
#include "wk-kiosk-snapshot.h"
#include "wk-kiosk-status.h"
#include "wk-log.h"
#include "wk-pin-guard.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#define PIN "2468"

/* Warnings are part of what is tested: kept here, not fatal. */
static GPtrArray *logged;

static void
log_tap_cb (GLogLevelFlags level, const char *domain, const char *message, gpointer user_data)
{
  g_ptr_array_add (logged, g_strdup (message));
}

static gboolean
was_logged (const char *needle)
{
  for (guint i = 0; i < logged->len; i++)
    if (strstr (logged->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

#define NOW G_GINT64_CONSTANT (1795000000)

static WkPinGuard *
new_guard (const char *dir, const char *hash)
{
  g_autoptr (GError) error = NULL;
  WkPinGuard *guard = wk_pin_guard_new (dir, 5, 300, &error);

  g_assert_no_error (error);
  wk_pin_guard_set_hash (guard, WK_PIN_WARD, hash);
  return guard;
}

static char *
hash_of (const char *pin)
{
  g_autoptr (GError) error = NULL;
  char *hash = wk_pin_hash (pin, &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  return hash;
}

static WkPinOutcome
check (WkPinGuard *guard, const char *pin, gint64 now)
{
  g_autoptr (GError) error = NULL;
  WkPinOutcome outcome;

  g_assert_true (wk_pin_guard_check (guard, WK_PIN_WARD, pin, now, &outcome, &error));
  g_assert_no_error (error);
  return outcome;
}

/* Wrong PINs count down; the fifth blocks for the lockout time, in which even the
 * right PIN is refused; after it the right PIN unlocks and the count starts again. */
static void
test_pin_limit (void)
{
  g_autofree char *dir = wk_test_scratch_path ("state");
  g_autofree char *hash = hash_of (PIN);
  g_autoptr (WkPinGuard) guard = new_guard (dir, hash);
  WkPinOutcome outcome;

  for (guint i = 1; i < 5; i++)
    {
      outcome = check (guard, "1111", NOW);
      g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_WRONG);
      g_assert_cmpuint (outcome.attempts_left, ==, 5 - i);
    }
  outcome = check (guard, "1111", NOW);
  g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_LOCKED_OUT);
  g_assert_cmpint (outcome.locked_until, ==, NOW + 300);
  g_assert_cmpint (wk_pin_guard_get_locked_until (guard, WK_PIN_WARD, NOW + 10), ==, NOW + 300);

  outcome = check (guard, PIN, NOW + 299);
  g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_LOCKED_OUT);
  /* The admin PIN has its own count. */
  g_assert_cmpint (wk_pin_guard_get_locked_until (guard, WK_PIN_ADMIN, NOW + 10), ==, 0);

  outcome = check (guard, PIN, NOW + 300);
  g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_OK);
  outcome = check (guard, "1111", NOW + 301);
  g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_WRONG);
  g_assert_cmpuint (outcome.attempts_left, ==, 4);
}

/* A kiosk restarted (a new guard on the same folder) carries the count on, and a
 * second lockout lasts twice as long. */
static void
test_pin_survives_restart (void)
{
  g_autofree char *dir = wk_test_scratch_path ("state");
  g_autofree char *hash = hash_of (PIN);
  WkPinOutcome     outcome;

  {
    g_autoptr (WkPinGuard) guard = new_guard (dir, hash);

    for (guint i = 0; i < 3; i++)
      g_assert_cmpint (check (guard, "9999", NOW).result, ==, WK_PIN_RESULT_WRONG);
  }
  {
    g_autoptr (WkPinGuard) guard = new_guard (dir, hash);

    outcome = check (guard, "9999", NOW);
    g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_WRONG);
    g_assert_cmpuint (outcome.attempts_left, ==, 1);
    outcome = check (guard, "9999", NOW);
    g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_LOCKED_OUT);
  }
  {
    g_autoptr (WkPinGuard) guard = new_guard (dir, hash);

    g_assert_cmpint (check (guard, PIN, NOW + 60).result, ==, WK_PIN_RESULT_LOCKED_OUT);
    for (guint i = 0; i < 5; i++)
      outcome = check (guard, "9999", NOW + 300 + i);
    g_assert_cmpint (outcome.result, ==, WK_PIN_RESULT_LOCKED_OUT);
    g_assert_cmpint (outcome.locked_until, ==, NOW + 304 + 600);
  }
}

/* The attempt is on disk before the PIN is checked: the file says so after a check. */
static void
test_pin_counted_on_disk (void)
{
  g_autofree char *dir = wk_test_scratch_path ("state");
  g_autofree char *hash = hash_of (PIN);
  g_autoptr (WkPinGuard) guard = new_guard (dir, hash);
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  check (guard, "1111", NOW);
  g_assert_true (g_key_file_load_from_file (file, wk_pin_guard_get_state_path (guard), 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_int64 (file, "ward", "failures", NULL), ==, 1);
  g_assert_cmpint (g_stat (wk_pin_guard_get_state_path (guard), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* A damaged count blocks unlocking rather than resetting it; a count that cannot be
 * written refuses the attempt without checking the PIN. */
static void
test_pin_state_problems (void)
{
  g_autofree char *dir = wk_test_scratch_path ("state");
  g_autofree char *path = g_build_filename (dir, "pin-attempts", NULL);
  g_autofree char *file_dir = wk_test_scratch_path ("not-a-folder");
  g_autofree char *under_file = g_build_filename (file_dir, "state", NULL);
  g_autofree char *hash = hash_of (PIN);
  g_autoptr (GError) error = NULL;
  WkPinOutcome outcome;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "[ward]\nfailures=banana\n", -1, NULL));
  {
    g_autoptr (WkPinGuard) guard = NULL;

    guard = new_guard (dir, hash);
    g_assert_true (was_logged ("makes no sense: unlocking is blocked"));
    g_assert_cmpint (check (guard, PIN, g_get_real_time () / G_USEC_PER_SEC).result, ==,
                     WK_PIN_RESULT_LOCKED_OUT);
  }

  /* A state folder that cannot be read is a lockout too. */
  g_assert_true (g_file_set_contents (file_dir, "a file", -1, NULL));
  {
    g_autoptr (WkPinGuard) guard = new_guard (under_file, hash);

    g_assert_true (was_logged ("cannot be read"));
    g_assert_cmpint (check (guard, PIN, g_get_real_time () / G_USEC_PER_SEC).result, ==,
                     WK_PIN_RESULT_LOCKED_OUT);
  }

  /* /proc/self reads as an empty folder and takes no file, even from root. */
  {
    g_autoptr (WkPinGuard) guard = new_guard ("/proc/self", hash);

    g_assert_false (wk_pin_guard_check (guard, WK_PIN_WARD, PIN, NOW, &outcome, &error));
    g_assert_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PIN_STATE);
    g_assert_nonnull (strstr (error->message, "/proc/self"));
    g_assert_nonnull (strstr (error->message, "checks no PIN"));
  }
}

static void
test_pin_format (void)
{
  const char      *bad[] = { "", "123", "12a4", "1234567890123", " 1234", "١٢٣٤" };
  g_autofree char *hash = hash_of ("0000");
  g_autofree char *dir = wk_test_scratch_path ("state");
  g_autoptr (WkPinGuard) guard = new_guard (dir, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (wk_pin_is_well_formed (bad[i], &error));
      g_assert_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PIN_FORMAT);
      g_assert_null (wk_pin_hash (bad[i], NULL));
    }
  g_assert_true (wk_pin_is_well_formed ("000000000000", NULL));
  g_assert_cmpint (crypto_pwhash_str_verify (hash, "0000", 4), ==, 0);
  g_assert_cmpint (crypto_pwhash_str_verify (hash, "0001", 4), !=, 0);
  /* No PIN configured: nothing is checked, nothing counted. */
  g_assert_cmpint (check (guard, "0000", NOW).result, ==, WK_PIN_RESULT_NOT_SET);
  g_assert_false (g_file_test (wk_pin_guard_get_state_path (guard), G_FILE_TEST_EXISTS));
}

/* `wardkeep kiosk hash-pin` prints a configuration line whose hash verifies the PIN. */
static void
test_cli_hash_pin (void)
{
  g_autofree char *wardkeep = wk_test_build_path ("kiosk", "cli", "wardkeep", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) input = g_bytes_new_static ("13579\n", 6);
  g_autoptr (GBytes) out_bytes = NULL;
  g_autoptr (GBytes) err_bytes = NULL;
  const char *hash;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                  | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, wardkeep, "kiosk", "hash-pin", "--admin", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (process, input, NULL, &out_bytes, &err_bytes, &error));
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  out = g_strndup (g_bytes_get_data (out_bytes, NULL), g_bytes_get_size (out_bytes));
  g_assert_true (g_str_has_prefix (out, "admin-pin = $argon2id$"));
  g_strstrip (out);
  hash = out + strlen ("admin-pin = ");
  g_assert_cmpint (crypto_pwhash_str_verify (hash, "13579", 5), ==, 0);

  /* A PIN that is not 4 to 12 digits is refused with the reason, exit status 1. */
  g_clear_object (&process);
  g_clear_pointer (&out_bytes, g_bytes_unref);
  g_clear_pointer (&err_bytes, g_bytes_unref);
  g_clear_pointer (&input, g_bytes_unref);
  input = g_bytes_new_static ("12\n", 3);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                  | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, wardkeep, "kiosk", "hash-pin", NULL);
  g_assert_true (g_subprocess_communicate (process, input, NULL, &out_bytes, &err_bytes, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  err = g_strndup (g_bytes_get_data (err_bytes, NULL), g_bytes_get_size (err_bytes));
  g_assert_nonnull (strstr (err, "4 to 12 digits"));
  g_assert_cmpuint (g_bytes_get_size (out_bytes), ==, 0);
}

/* ---- The daemon's status --------------------------------------------------------------- */

static JsonNode *
parse (const char *json)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (json, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_status_json (void)
{
  g_autoptr (JsonNode) node = parse (
      "{\"version\": \"0.1.0\", \"ward\": {\"id\": \"7A\", \"name\": null}, \"mode\": \"downtime\","
      " \"since\": \"2026-11-22T03:12:40Z\", \"reason\": \"every probe failed 3 times\","
      " \"episode\": {\"id\": 4, \"kind\": \"outage\", \"printed\": true},"
      " \"snapshot\": {\"seq\": 812, \"created_at\": \"2026-11-22T03:11:00Z\", \"age_seconds\": "
      "100,"
      "   \"last_error\": null},"
      " \"feed\": {\"last_message_at\": \"2026-11-22T03:10:58Z\", \"silent\": false, "
      "\"connections\": 1},"
      " \"printers\": [{\"name\": \"office\", \"description\": \"Ward office laser\", \"state\": "
      "\"stopped\", \"accepting\": true, \"summary\": \"Out of paper\", \"reasons\": "
      "[\"media-empty-error\"]}, {\"name\": \"station\", \"state\": \"idle\", \"summary\": "
      "\"Ready\"}],"
      " \"print\": {\"what\": \"ward\", \"documents\": [{}, {}, {}], \"completed\": 2, \"failed\": "
      "1,"
      "   \"finished_at\": null},"
      " \"warnings\": [\"probe epr failed\", 7], \"a_field_from_the_future\": {\"x\": 1}}");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKioskStatus) status = wk_kiosk_status_new_from_json (node, &error);
  WkKioskPrinter *office, *station;

  g_assert_no_error (error);
  g_assert_true (status->daemon);
  g_assert_cmpint (status->mode, ==, WK_KIOSK_MODE_DOWNTIME);
  g_assert_cmpint (status->since, ==, 1795317160);
  g_assert_cmpstr (status->reason, ==, "every probe failed 3 times");
  g_assert_cmpstr (status->episode_kind, ==, "outage");
  g_assert_true (status->episode_printed);
  g_assert_cmpuint (status->snapshot_seq, ==, 812);
  g_assert_cmpint (status->snapshot_created_at, ==, 1795317060);
  g_assert_null (status->snapshot_error);
  g_assert_cmpint (status->feed_last_message_at, ==, 1795317058);
  g_assert_false (status->feed_silent);
  g_assert_cmpuint (status->printers->len, ==, 2);
  office = status->printers->pdata[0];
  station = status->printers->pdata[1];
  g_assert_cmpstr (office->name, ==, "office");
  g_assert_cmpstr (office->summary, ==, "Out of paper");
  g_assert_true (office->problem);
  g_assert_cmpstr (station->summary, ==, "Ready");
  g_assert_false (station->problem);
  g_assert_cmpint (status->print_documents, ==, 3);
  g_assert_cmpint (status->print_completed, ==, 2);
  g_assert_cmpint (status->print_failed, ==, 1);
  g_assert_false (status->print_finished);
  /* Sentences only: a number in the list is not one. */
  g_assert_cmpuint (g_strv_length (status->warnings), ==, 1);
  g_assert_cmpstr (status->warnings[0], ==, "probe epr failed");
}

static void
test_status_refused (void)
{
  const char *bad[] = { "[1, 2]", "{\"mode\": \"panic\"}", "{}", "\"online\"" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) node = parse (bad[i]);
      g_autoptr (GError) error = NULL;

      g_assert_null (wk_kiosk_status_new_from_json (node, &error));
      g_assert_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_DAEMON);
    }
  {
    g_autoptr (JsonNode) node
        = parse ("{\"mode\": \"drill\", \"since\": \"yesterday\", \"feed\": 3}");
    g_autoptr (WkKioskStatus) status = wk_kiosk_status_new_from_json (node, NULL);

    g_assert_cmpint (status->mode, ==, WK_KIOSK_MODE_DRILL);
    g_assert_cmpint (status->since, ==, 0);
    g_assert_cmpint (status->feed_last_message_at, ==, 0);
  }
}

/* ---- The snapshot the kiosk shows ------------------------------------------------------ */

static WkKioskSnapshot *
load_ward (WkModel *model)
{
  g_autofree char *dir = wk_test_scratch_path ("snapshots");
  g_autoptr (WkKeys) keys = wk_test_keys_new (7);
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  WkStoreOptions   store_options;
  WkChartOptions   options;
  WkKioskSnapshot *snapshot;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  wk_store_options_init (&store_options);
  store_options.ward_id = WK_TEST_WARD;
  store = wk_store_new (dir, keys, &store_options, &error);
  g_assert_no_error (error);
  info = wk_store_write (store, model, &error);
  g_assert_no_error (error);
  wk_chart_options_init (&options);
  options.ward_id = WK_TEST_WARD;
  options.timezone = "Europe/London";
  snapshot = wk_kiosk_snapshot_load (store, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wk_kiosk_snapshot_get_seq (snapshot), ==, info->seq);
  g_assert_cmpint (wk_kiosk_snapshot_get_created_at (snapshot), ==, info->created_at);
  return snapshot;
}

/* The census is every bed in ward order (empty and closed ones too), then patients on
 * the ward without a bed, with the facts the tiles show. */
static void
test_snapshot_census (void)
{
  g_autoptr (WkModel) model = wk_test_ward_new (12);
  g_autoptr (WkKioskSnapshot) snapshot = NULL;
  GPtrArray           *census;
  const WkCensusEntry *entry;
  gint64               unbedded;

  unbedded = wk_test_ward_admit (model, 40, 0, WK_ALLERGY_STATUS_NONE_KNOWN);
  snapshot = load_ward (model);
  census = wk_kiosk_snapshot_get_census (snapshot);
  g_assert_cmpstr (wk_kiosk_snapshot_get_ward_name (snapshot), ==, "Ward 7A — Acute Medicine");
  g_assert_cmpuint (census->len, ==, 13);
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *bay = g_strdup_printf ("BAY%u", i / 6 + 1);
      g_autofree char *bed = g_strdup_printf ("%u", i % 6 + 1);

      entry = census->pdata[i];
      g_assert_cmpstr (entry->bay, ==, bay);
      g_assert_cmpstr (entry->bed, ==, bed);
      g_assert_cmpint (entry->bed_id, ==, wk_test_ward_bed (model, i));
    }
  entry = census->pdata[2];
  g_assert_cmpint (entry->patient_id, ==, 0);
  g_assert_false (entry->closed);
  entry = census->pdata[4];
  g_assert_cmpint (entry->patient_id, ==, 0);
  g_assert_true (entry->closed);

  entry = census->pdata[0];
  g_assert_cmpint (entry->allergy_status, ==, WK_ALLERGY_STATUS_RECORDED);
  g_assert_cmpuint (entry->n_allergies, ==, 2);
  g_assert_cmpint (entry->n_active_orders, ==,
                   wk_order_count_active (model, entry->patient_id, NULL));
  g_assert_cmpint (entry->n_active_orders, ==, 7);
  {
    g_autofree char *name = wk_census_entry_dup_name (entry);
    g_autoptr (WkPatient) patient = wk_test_patient_new (0);
    g_autofree char *family = g_utf8_strup (patient->family_name, -1);
    g_autofree char *expected = g_strdup_printf ("%s, %s", family, patient->given_names);

    g_assert_cmpstr (name, ==, expected);
    g_assert_cmpstr (entry->nhs_number, ==, patient->nhs_number);
  }
  g_assert_cmpint (((WkCensusEntry *)census->pdata[1])->allergy_status, ==,
                   WK_ALLERGY_STATUS_NONE_KNOWN);
  g_assert_cmpint (((WkCensusEntry *)census->pdata[5])->allergy_status, ==,
                   WK_ALLERGY_STATUS_NOT_RECORDED);

  entry = census->pdata[12];
  g_assert_cmpint (entry->bed_id, ==, 0);
  g_assert_null (entry->bed);
  g_assert_cmpint (entry->patient_id, ==, unbedded);
  g_assert_true (wk_kiosk_snapshot_find_entry (snapshot, unbedded) == entry);
  g_assert_null (wk_kiosk_snapshot_find_entry (snapshot, 99999));
}

/* A patient's record lists the orders the printed chart lists, section by section. */
static void
test_snapshot_record (void)
{
  g_autoptr (WkModel) model = wk_test_ward_new (2);
  g_autoptr (WkKioskSnapshot) snapshot = load_ward (model);
  const WkCensusEntry   *entry = wk_kiosk_snapshot_get_census (snapshot)->pdata[0];
  const WkPatientRecord *record = wk_kiosk_snapshot_get_patient (snapshot, entry->patient_id);
  g_autoptr (GPtrArray) orders = wk_order_load_for_patient (model, entry->patient_id, NULL);
  guint    expected = 0;
  int      last_section = -1;
  gboolean held = FALSE;

  g_assert_nonnull (record);
  g_assert_cmpint (record->patient->id, ==, entry->patient_id);
  g_assert_cmpstr (record->bed->bed, ==, "1");
  g_assert_cmpuint (record->allergies->len, ==, 2);
  for (guint i = 0; i < orders->len; i++)
    {
      WkOrder *order = orders->pdata[i];
      g_autoptr (WkAdministration) last
          = wk_administration_load_last_given (model, order->placer_id, NULL);

      if (wk_chart_section_of (order, last, wk_kiosk_snapshot_get_created_at (snapshot), 24 * 3600)
          != WK_CHART_SECTION_NONE)
        expected++;
    }
  g_assert_cmpuint (record->entries->len, ==, expected);
  for (guint i = 0; i < record->entries->len; i++)
    {
      const WkChartEntry *chart_entry = record->entries->pdata[i];

      g_assert_cmpint (chart_entry->section, >=, last_section);
      last_section = chart_entry->section;
      held |= chart_entry->order->status == WK_ORDER_HELD;
      if (g_str_has_suffix (chart_entry->order->placer_id, "-PARA"))
        {
          g_assert_nonnull (chart_entry->last_given);
          g_assert_cmpfloat (chart_entry->last_given->dose, ==, 1000);
        }
    }
  g_assert_true (held);
  g_assert_null (wk_kiosk_snapshot_get_patient (snapshot, 424242));
}

/* ---- Data as of ------------------------------------------------------------------------- */

static gboolean
kiosk_has_snapshot (WkKiosk *kiosk)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (wk_kiosk_get_snapshot (kiosk) == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return wk_kiosk_get_snapshot (kiosk) != NULL;
}

/* "Data as of" warns once the data is older than the threshold — unless the daemon is
 * online and has had no message since the snapshot shown (a quiet ward's data is old but
 * current). */
static void
test_stale (void)
{
  g_autofree char *dir = wk_test_scratch_path ("kiosk");
  g_autofree char *key = g_build_filename (dir, "wardkeep.key", NULL);
  g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkModel) model = wk_test_ward_new (4);
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autoptr (WkKiosk) kiosk = NULL;
  WkStoreOptions options;
  WkKioskStatus *status;
  gint64         at;

  g_assert_cmpint (g_mkdir_with_parents (snapshots, 0700), ==, 0);
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  g_assert_true (wk_keys_create_file (key, &error));
  keys = wk_keys_load (key, &error);
  g_assert_no_error (error);
  wk_store_options_init (&options);
  options.ward_id = WK_TEST_WARD;
  store = wk_store_new (snapshots, keys, &options, &error);
  g_assert_no_error (error);
  info = wk_store_write (store, model, &error);
  g_assert_no_error (error);
  text = g_strdup_printf ("[ward]\nid = 7A\n[keys]\nfile = %s\n[snapshot]\ndirectory = %s\n"
                          "[daemon]\ncontrol-socket = %s/none\n"
                          "[kiosk]\nstate-directory = %s/state\nstale-data-warning = 1min\n",
                          key, snapshots, dir, dir);
  kiosk = wk_kiosk_new (wk_config_load_from_data (text, -1, "stale.conf", &error), &error);
  g_assert_no_error (error);
  wk_kiosk_start (kiosk);
  g_assert_true (kiosk_has_snapshot (kiosk));
  at = wk_kiosk_snapshot_get_created_at (wk_kiosk_get_snapshot (kiosk));
  g_assert_cmpint (at, ==, info->created_at);

  /* No daemon: the age alone. */
  g_assert_false (wk_kiosk_get_status (kiosk)->daemon);
  g_assert_false (wk_kiosk_is_data_stale (kiosk, at + 60));
  g_assert_true (wk_kiosk_is_data_stale (kiosk, at + 61));

  /* The daemon online, no message since this snapshot: old but current. */
  status = wk_kiosk_status_new_offline (NULL);
  status->daemon = TRUE;
  status->mode = WK_KIOSK_MODE_ONLINE;
  status->snapshot_seq = info->seq;
  status->feed_last_message_at = at - 5;
  _wk_kiosk_set_status (kiosk, wk_kiosk_status_copy (status));
  g_assert_false (wk_kiosk_is_data_stale (kiosk, at + 3600));

  /* A message came after it (the kiosk has not got the newer snapshot), or the ward is
   * in downtime: old is old. */
  status->feed_last_message_at = at + 10;
  _wk_kiosk_set_status (kiosk, wk_kiosk_status_copy (status));
  g_assert_true (wk_kiosk_is_data_stale (kiosk, at + 3600));
  status->feed_last_message_at = at - 5;
  status->mode = WK_KIOSK_MODE_DOWNTIME;
  _wk_kiosk_set_status (kiosk, wk_kiosk_status_copy (status));
  g_assert_true (wk_kiosk_is_data_stale (kiosk, at + 3600));
  g_assert_false (wk_kiosk_is_data_stale (kiosk, at + 59));
  wk_kiosk_status_free (status);
}

/* ---- Words ------------------------------------------------------------------------------- */

static void
test_format (void)
{
  g_autoptr (GTimeZone) london = g_time_zone_new_identifier ("Europe/London");
  /* 2026-07-01T12:00:00Z is 13:00 in London (BST). */
  gint64           noon = 1782907200;
  g_autofree char *today = wk_kiosk_format_clock (london, noon, noon + 600);
  g_autofree char *yesterday = wk_kiosk_format_clock (london, noon - 86400, noon);
  g_autofree char *d1 = wk_kiosk_format_duration (42);
  g_autofree char *d2 = wk_kiosk_format_duration (25 * 60 + 7);
  g_autofree char *d3 = wk_kiosk_format_duration (3600 + 5 * 60);
  g_autofree char *d4 = wk_kiosk_format_duration (2 * 86400 + 3 * 3600);
  g_autofree char *a1 = wk_kiosk_format_ago (30);
  g_autofree char *a2 = wk_kiosk_format_ago (120);
  g_autofree char *bay1 = wk_kiosk_format_bay ("BAY1");
  g_autofree char *side = wk_kiosk_format_bay ("SIDE");
  g_autofree char *other = wk_kiosk_format_bay ("Annexe");
  g_autofree char *place = wk_kiosk_format_location ("BAY2", "4");
  g_autofree char *nobed = wk_kiosk_format_location (NULL, NULL);
  g_autofree char *born = wk_kiosk_format_birth_date ("1941-03-09");

  g_assert_cmpstr (today, ==, "13:00");
  g_assert_cmpstr (yesterday, ==, "Tue 30 Jun 13:00");
  g_assert_cmpstr (d1, ==, "42 s");
  g_assert_cmpstr (d2, ==, "25 min");
  g_assert_cmpstr (d3, ==, "1 h 05 min");
  g_assert_cmpstr (d4, ==, "2 days 3 h");
  g_assert_cmpstr (a1, ==, "just now");
  g_assert_cmpstr (a2, ==, "2 min ago");
  g_assert_cmpstr (bay1, ==, "Bay 1");
  g_assert_cmpstr (side, ==, "Side rooms");
  g_assert_cmpstr (other, ==, "Annexe");
  g_assert_cmpstr (place, ==, "Bay 2 · Bed 4");
  g_assert_cmpstr (nobed, ==, "No bed");
  g_assert_cmpstr (born, ==, "09 Mar 1941");
  g_assert_null (wk_kiosk_format_birth_date ("March"));
}

int
main (int argc, char **argv)
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  wk_log_init ("test-kiosk");
  logged = g_ptr_array_new_with_free_func (g_free);
  wk_log_set_tap (log_tap_cb, NULL);

  g_test_add_func ("/kiosk/pin/limit", test_pin_limit);
  g_test_add_func ("/kiosk/pin/survives-restart", test_pin_survives_restart);
  g_test_add_func ("/kiosk/pin/counted-on-disk", test_pin_counted_on_disk);
  g_test_add_func ("/kiosk/pin/state-problems", test_pin_state_problems);
  g_test_add_func ("/kiosk/pin/format", test_pin_format);
  g_test_add_func ("/kiosk/pin/cli-hash-pin", test_cli_hash_pin);
  g_test_add_func ("/kiosk/status/json", test_status_json);
  g_test_add_func ("/kiosk/status/refused", test_status_refused);
  g_test_add_func ("/kiosk/snapshot/census", test_snapshot_census);
  g_test_add_func ("/kiosk/snapshot/record", test_snapshot_record);
  g_test_add_func ("/kiosk/format", test_format);
  g_test_add_func ("/kiosk/stale", test_stale);
  return g_test_run ();
}
