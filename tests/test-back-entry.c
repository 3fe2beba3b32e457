/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-back-entry.c — paper entries exported: RAS^O17 over MLLP, read back by WkFeed; FHIR;
 * CSV. */

#include "wk-administration.h"
#include "wk-back-entry.h"
#include "wk-chart-id.h"
#include "wk-chart-renderer.h"
#include "wk-feed.h"
#include "wk-hl7.h"
#include "wk-mllp-sender.h"
#include "wk-paper-entry.h"
#include "wk-print-error.h"
#include "wk-reconcile-log.h"
#include "wk-reconcile.h"
#include "wk-snapshot-error.h"
#include "wk-test-engine.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <string.h>

#define NOW (WK_TEST_PRINTED_AT + 20 * 3600) /* Saturday 22:50 */

typedef struct
{
  WkKeys      *keys;
  WkModel     *model;
  GPtrArray   *documents;
  WkReconcile *reconcile;
  GPtrArray   *entries; /* WkPaperEntry, as keyed in */
} Fixture;

static WkReconcile *
reconcile_new (WkModel *model, WkKeys *keys, const char *extra)
{
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\n%s", extra != NULL ? extra : "");
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "test.conf", &error);
  WkReconcileSettings *settings;
  WkReconcile         *reconcile;

  g_assert_no_error (error);
  settings = wk_reconcile_settings_new (config, keys, &error);
  g_assert_no_error (error);
  reconcile = wk_reconcile_new (model, settings, &error);
  g_assert_no_error (error);
  return reconcile;
}

static void
scan_chart (Fixture *f, WkChartDocument *document)
{
  for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WkReconcileScan) scan
          = wk_reconcile_scan (f->reconcile, wk_chart_document_get_page_payload (document, p), -1,
                               "P Harmacist", NOW, &error);

      g_assert_no_error (error);
      g_assert_nonnull (scan);
    }
}

static void
key_in (Fixture    *f,
        const char *chart_id,
        const char *order,
        const char *due,
        const char *at,
        const char *reason,
        double      dose,
        const char *note)
{
  g_autofree char *label = wk_chart_id_format (chart_id);
  g_autoptr (GError) error = NULL;
  WkReconcileInput input = { 0 };
  WkPaperEntry    *entry;

  input.chart_id = label;
  input.placer_id = order;
  input.due = due;
  input.at = at;
  input.given = reason == NULL;
  input.reason_code = reason;
  input.dose = dose;
  input.by = "AB";
  input.note = note;
  input.who = "P Harmacist";
  entry = wk_reconcile_enter (f->reconcile, &input, NOW, &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->entries, entry);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  WkChartOptions options;
  const char    *chart0, *chart1;

  f->keys = wk_test_keys_new (0x42);
  f->model = wk_test_ward_new (6);
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, f->keys, &error);
  f->documents = wk_chart_renderer_render_ward (renderer, f->model, &error);
  g_assert_no_error (error);
  f->reconcile = reconcile_new (f->model, f->keys, data);
  f->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_entry_free);
  scan_chart (f, f->documents->pdata[1]);
  scan_chart (f, f->documents->pdata[2]);
  chart0 = wk_chart_document_get_id (f->documents->pdata[1]);
  chart1 = wk_chart_document_get_id (f->documents->pdata[2]);
  key_in (f, chart0, "P0-PARA", "0600", "0610", NULL, 0, NULL);
  key_in (f, chart0, "P0-RAMI", "0800", NULL, "1", 0, NULL);
  key_in (f, chart0, "P0-MORP", NULL, "1400", NULL, 5, NULL);
  key_in (f, chart1, "P1-METF", "0800", NULL, "3", 0, "Pharmacy \"out of stock\", ward rang");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_ptr_array_unref (f->entries);
  wk_reconcile_free (f->reconcile);
  g_ptr_array_unref (f->documents);
  wk_model_free (f->model);
  wk_keys_free (f->keys);
}

static const WkPaperEntry *
entry (Fixture *f, guint i)
{
  return f->entries->pdata[i];
}

/* ---- RAS^O17 ------------------------------------------------------------------------- */

static const char *
text_of (WkHl7Message *message, const char *segment, guint field, guint component)
{
  int index = wk_hl7_message_find_segment (message, segment, 0);

  g_assert_cmpint (index, >=, 0);
  return wk_hl7_message_get_text (message, index, field, 1, component, 0, NULL);
}

/* Each message carries exactly what was keyed in, where the README says. */
static void
test_ras_fields (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->entries->len; i++)
    {
      const WkPaperEntry *e = entry (f, i);
      g_autofree char    *control_id = wk_back_entry_dup_control_id (e);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes = wk_back_entry_build_ras (f->reconcile, e, control_id, NOW, &error);
      g_autoptr (WkHl7Message) message = NULL;
      g_autofree char *sub_id
          = g_strdup_printf ("%" G_GINT64_FORMAT, WK_PAPER_ENTRY_SUB_ID_BASE + e->id);
      g_autofree char *nhs = wk_test_nhs_number (i < 3 ? 0 : 1);
      gsize            size;
      const guint8    *raw;
      gint64           at = 0;

      g_assert_no_error (error);
      raw = g_bytes_get_data (bytes, &size);
      message = wk_hl7_message_parse (raw, size, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (wk_hl7_message_get_type (message), ==, "RAS");
      g_assert_cmpstr (wk_hl7_message_get_event (message), ==, "O17");
      g_assert_cmpstr (wk_hl7_message_get_control_id (message), ==, control_id);
      g_assert_cmpstr (text_of (message, "MSH", 3, 1), ==, "WARDKEEP");
      g_assert_cmpstr (text_of (message, "MSH", 4, 1), ==, "7A");
      g_assert_cmpstr (text_of (message, "MSH", 5, 1), ==, "EPR");
      g_assert_cmpstr (text_of (message, "PID", 3, 1), ==, nhs);
      g_assert_cmpstr (text_of (message, "PID", 3, 5), ==, "NH");
      g_assert_cmpstr (text_of (message, "ORC", 1, 1), ==, "RE");
      g_assert_cmpstr (text_of (message, "ORC", 2, 1), ==, e->placer_id);
      g_assert_cmpstr (text_of (message, "RXA", 2, 1), ==, sub_id);
      g_assert_true (wk_hl7_message_get_time (
          message, wk_hl7_message_find_segment (message, "RXA", 0), 3, 1, 1, NULL, &at, NULL));
      g_assert_cmpint (at, ==, e->at);
      g_assert_cmpstr (text_of (message, "RXA", 10, 2), ==, "AB");
      g_assert_cmpstr (text_of (message, "RXA", 21, 1), ==, "A");
      g_assert_nonnull (strstr (text_of (message, "RXA", 9, 2), "paper chart"));
      if (e->given)
        {
          g_assert_cmpstr (text_of (message, "RXA", 20, 1), ==, "CP");
          g_assert_cmpfloat (g_ascii_strtod (text_of (message, "RXA", 6, 1), NULL), ==, e->dose);
          g_assert_cmpstr (text_of (message, "RXA", 7, 1), ==, e->dose_unit);
        }
      else
        {
          /* Code 1 is "Patient refused": RE; other reasons NA. */
          g_assert_cmpstr (text_of (message, "RXA", 20, 1), ==,
                           strcmp (e->reason_code, "1") == 0 ? "RE" : "NA");
          g_assert_cmpstr (text_of (message, "RXA", 18, 1), ==, e->reason_code);
          g_assert_cmpstr (text_of (message, "RXA", 18, 2), ==, e->reason);
        }
    }
}

/* The central side, as a model following the feed: the same ward, without the paper. */
typedef struct
{
  WkModel *model;
  WkFeed  *feed;
  GSList  *acks; /* MSA-1 and text, "AA: text" */
} Central;

static Central *
central_new (void)
{
  Central *central = g_new0 (Central, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config
      = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "c.conf", &error);

  central->model = wk_test_ward_new (6);
  central->feed = wk_feed_new (central->model, config, &error);
  g_assert_no_error (error);
  return central;
}

static void
central_free (Central *central)
{
  wk_feed_free (central->feed);
  wk_model_free (central->model);
  g_slist_free_full (central->acks, g_free);
  g_free (central);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Central, central_free)

/* Applies a message as the kiosk's feed would, noting the acknowledgement. */
static GBytes *
central_handle (const guint8 *message, gsize size, gpointer data)
{
  Central *central = data;
  g_autoptr (GBytes) ack = wk_feed_handle (central->feed, message, size);
  gsize         ack_size;
  const guint8 *raw = g_bytes_get_data (ack, &ack_size);
  g_autoptr (WkHl7Message) parsed = wk_hl7_message_parse (raw, ack_size, NULL, NULL);
  int msa = wk_hl7_message_find_segment (parsed, "MSA", 0);

  central->acks = g_slist_append (
      central->acks,
      g_strdup_printf ("%s: %s", wk_hl7_message_get_text (parsed, msa, 1, 1, 1, 0, NULL),
                       wk_hl7_message_get_text (parsed, msa, 3, 1, 1, 0, NULL) != NULL
                           ? wk_hl7_message_get_text (parsed, msa, 3, 1, 1, 0, NULL)
                           : ""));
  return g_steal_pointer (&ack);
}

/* The central record has exactly what was keyed in: read back by our own feed. */
static void
assert_central_has (Fixture *f, WkModel *model)
{
  guint total = 0;

  for (guint i = 0; i < f->entries->len; i++)
    {
      const WkPaperEntry *e = entry (f, i);
      g_autoptr (GPtrArray) records = wk_administration_load_for_order (model, e->placer_id, NULL);
      const WkAdministration *found = NULL;

      for (guint j = 0; j < records->len; j++)
        {
          const WkAdministration *a = records->pdata[j];

          if (a->source == WK_ADMINISTRATION_FROM_FEED && a->at == e->at
              && g_strcmp0 (a->by_whom, "AB") == 0)
            {
              g_assert_null (found);
              found = a;
            }
        }
      g_assert_nonnull (found);
      g_assert_cmpint (found->given, ==, e->given);
      g_assert_cmpint (found->order_version, ==, e->order_version);
      if (e->given)
        {
          g_assert_cmpfloat (found->dose, ==, e->dose);
          g_assert_cmpstr (found->dose_unit, ==, e->dose_unit);
        }
      else
        g_assert_cmpstr (found->reason, ==, e->reason);
    }
  /* And nothing else from paper: the usual ward has three doses from before the print. */
  for (guint i = 0; i < f->entries->len; i++)
    {
      g_autoptr (GPtrArray) records
          = wk_administration_load_for_order (model, entry (f, i)->placer_id, NULL);

      for (guint j = 0; j < records->len; j++)
        total += g_strcmp0 (((WkAdministration *)records->pdata[j])->by_whom, "AB") == 0
                 && ((WkAdministration *)records->pdata[j])->at > WK_TEST_SNAPSHOT_AT;
    }
  g_assert_cmpuint (total, ==, f->entries->len);
}

/* RAS^O17 read back by WkFeed: applied centrally; sent back to this kiosk, not doubled. */
static void
test_ras_read_back (Fixture *f, gconstpointer data)
{
  g_autoptr (Central) central = central_new ();
  g_autoptr (WkFeed) own = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "c.conf", NULL);
  g_autoptr (GError) error = NULL;

  own = wk_feed_new (f->model, config, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < f->entries->len; i++)
    {
      g_autofree char *control_id = wk_back_entry_dup_control_id (entry (f, i));
      g_autoptr (GBytes) message
          = wk_back_entry_build_ras (f->reconcile, entry (f, i), control_id, NOW, &error);
      g_autoptr (GBytes) ack = NULL;
      gsize         size;
      const guint8 *raw = g_bytes_get_data (message, &size);

      g_assert_no_error (error);
      g_bytes_unref (central_handle (raw, size, central));
      /* The EPR sends it back on the feed: this kiosk already has it from paper. */
      ack = wk_feed_handle (own, raw, size);
      g_assert_nonnull (strstr (g_bytes_get_data (ack, NULL), "MSA|AA|"));
      g_assert_nonnull (strstr (g_bytes_get_data (ack, NULL), "already recorded"));
    }
  for (GSList *l = central->acks; l != NULL; l = l->next)
    g_assert_cmpstr (l->data, ==, "AA: ");
  assert_central_has (f, central->model);
  /* This kiosk's model: each dose once, from paper. */
  for (guint i = 0; i < f->entries->len; i++)
    {
      g_autoptr (GPtrArray) records
          = wk_administration_load_for_order (f->model, entry (f, i)->placer_id, NULL);
      guint from_feed = 0;

      for (guint j = 0; j < records->len; j++)
        from_feed += ((WkAdministration *)records->pdata[j])->source == WK_ADMINISTRATION_FROM_FEED
                     && ((WkAdministration *)records->pdata[j])->at > WK_TEST_SNAPSHOT_AT;
      g_assert_cmpuint (from_feed, ==, 0);
    }
}

/* ---- Over MLLP ----------------------------------------------------------------------- */

typedef struct
{
  WkReconcile *reconcile;
  GMainLoop   *loop;
  JsonObject  *result;
  GError      *error;
} Wait;

static void
sent_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Wait *wait = data;

  wait->result = wk_back_entry_send_finish (wait->reconcile, result, &wait->error);
  g_main_loop_quit (wait->loop);
}

static JsonObject *
send_all (WkReconcile *reconcile, gboolean again, GError **error)
{
  Wait wait = { reconcile, g_main_loop_new (NULL, FALSE), NULL, NULL };

  wk_back_entry_send_async (reconcile, NULL, again, "P Harmacist", NULL, sent_cb, &wait);
  g_main_loop_run (wait.loop);
  g_main_loop_unref (wait.loop);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.result;
}

/* A loopback address nobody listens on: a port the system gave, then closed. */
static char *
closed_address (void)
{
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (NULL, NULL);

  return wk_test_engine_dup_address (engine);
}

/* A reconciliation exporting to @engine (NULL: a port nobody listens on), with no delay
 * between tries. */
static WkReconcile *
reconcile_to (Fixture *f, WkTestEngine *engine, const char *timeout, guint retries)
{
  g_autofree char *address
      = engine != NULL ? wk_test_engine_dup_address (engine) : closed_address ();
  g_autofree char *text = g_strdup_printf ("[reconcile]\nexport-address = %s\nexport-retry-delay = "
                                           "0s\nexport-timeout = %s\nexport-retries = %u\n",
                                           address, timeout, retries);

  return reconcile_new (f->model, f->keys, text);
}

static guint
count_selected (Fixture *f, WkPaperExportFormat format)
{
  g_autoptr (GPtrArray) left = wk_reconcile_select_export (f->reconcile, NULL, format, FALSE, NULL);

  return left->len;
}

/* Every entry to the interface engine, acknowledged, recorded; not twice unless asked. */
static void
test_mllp_export (Fixture *f, gconstpointer data)
{
  g_autoptr (Central) central = central_new ();
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (central_handle, central);
  g_autoptr (WkReconcile) reconcile = reconcile_to (f, engine, "2s", 3);
  g_autoptr (JsonObject) first = NULL;
  g_autoptr (JsonObject) second = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *messages;

  first = send_all (reconcile, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (first, "total"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (first, "sent"), ==, 4);
  g_assert_true (json_object_get_null_member (first, "stopped"));
  messages = json_object_get_array_member (first, "messages");
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      g_assert_cmpstr (json_object_get_string_member (message, "ack"), ==, "AA");
      g_assert_cmpint (json_object_get_int_member (message, "attempts"), ==, 1);
    }
  g_assert_cmpuint (count_selected (f, WK_PAPER_EXPORT_HL7), ==, 0);
  g_assert_cmpuint (count_selected (f, WK_PAPER_EXPORT_CSV), ==, 4);

  /* Nothing left: nothing is sent. */
  second = send_all (reconcile, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (second, "total"), ==, 0);
  g_assert_cmpuint (wk_test_engine_get_n_messages (engine), ==, 4);

  /* An explicit re-export: new messages, which the central feed knows already. */
  again = send_all (reconcile, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (again, "sent"), ==, 4);
  g_assert_true (json_object_get_boolean_member (again, "again"));
  g_clear_pointer (&engine, wk_test_engine_free);
  g_assert_cmpuint (g_slist_length (central->acks), ==, 8);
  for (GSList *l = g_slist_nth (central->acks, 4); l != NULL; l = l->next)
    g_assert_nonnull (strstr (l->data, "already recorded"));
  assert_central_has (f, central->model);
  events = wk_reconcile_log_load (f->model, NULL, NULL);
  g_assert_cmpstr (((WkReconcileEvent *)events->pdata[events->len - 1])->action, ==, "re-export");
}

/* Answers AE to a message the first time, AA the second. */
static GBytes *
error_once (const guint8 *message, gsize size, gpointer data)
{
  GHashTable *seen = data;
  g_autoptr (WkHl7Message) parsed = wk_hl7_message_parse (message, size, NULL, NULL);
  char *id = g_strdup (wk_hl7_message_get_control_id (parsed));

  if (g_hash_table_add (seen, id))
    return wk_test_engine_ack (message, size, "AE", "EPR busy, try again");
  return wk_test_engine_ack (message, size, "AA", NULL);
}

static void
test_mllp_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (error_once, seen);
  g_autoptr (WkReconcile) reconcile = reconcile_to (f, engine, "2s", 3);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = send_all (reconcile, FALSE, &error);
  JsonArray *messages = json_object_get_array_member (result, "messages");

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result, "sent"), ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (
        json_object_get_int_member (json_array_get_object_element (messages, i), "attempts"), ==,
        2);
  g_clear_pointer (&engine, wk_test_engine_free);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 4);
}

/* Accepts the first message, rejects the second. */
static GBytes *
reject_second (const guint8 *message, gsize size, gpointer data)
{
  guint *count = data;

  if (++*count == 2)
    return wk_test_engine_ack (message, size, "AR", "unknown patient");
  return wk_test_engine_ack (message, size, "AA", NULL);
}

static void
test_mllp_rejected (Fixture *f, gconstpointer data)
{
  guint count = 0;
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (reject_second, &count);
  g_autoptr (WkReconcile) reconcile = reconcile_to (f, engine, "2s", 3);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = send_all (reconcile, FALSE, &error);
  const char *stopped;

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result, "sent"), ==, 1);
  stopped = json_object_get_string_member (result, "stopped");
  g_assert_nonnull (strstr (stopped, "refused message"));
  g_assert_nonnull (strstr (stopped, "with AR (unknown patient)"));
  /* A rejection is not retried, and the rest waits for the next export. */
  g_assert_cmpuint (wk_test_engine_get_n_messages (engine), ==, 2);
  g_assert_cmpuint (count_selected (f, WK_PAPER_EXPORT_HL7), ==, 3);
}

static GBytes *
silent (const guint8 *message, gsize size, gpointer data)
{
  return NULL;
}

/* No answer, or nobody there: nothing is recorded as exported. */
static void
test_mllp_unanswered (Fixture *f, gconstpointer data)
{
  g_autoptr (WkTestEngine) engine = wk_test_engine_new (silent, NULL);
  g_autoptr (WkReconcile) reconcile = reconcile_to (f, engine, "300ms", 1);
  g_autoptr (WkReconcile) nobody = reconcile_to (f, NULL, "2s", 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = send_all (reconcile, FALSE, &error);
  g_autoptr (JsonObject) refused = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result, "sent"), ==, 0);
  g_assert_nonnull (
      strstr (json_object_get_string_member (result, "stopped"), "after 2 tries: Message WK"));
  g_assert_nonnull (strstr (json_object_get_string_member (result, "stopped"),
                            "no acknowledgement within 300 ms"));
  g_assert_cmpuint (wk_test_engine_get_n_messages (engine), ==, 2);

  refused = send_all (nobody, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (refused, "sent"), ==, 0);
  g_assert_nonnull (strstr (json_object_get_string_member (refused, "stopped"),
                            "Cannot connect to the interface engine at 127.0.0.1:"));
  g_assert_cmpuint (count_selected (f, WK_PAPER_EXPORT_HL7), ==, 4);
}

/* Without an address, HL7 export says how to configure it. */
static void
test_mllp_not_configured (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = send_all (f->reconcile, FALSE, &error);

  g_assert_null (result);
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "set [reconcile] export-address"));
}

/* ---- FHIR and CSV ---------------------------------------------------------------------- */

static void
test_fhir (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkBackEntryFile) file
      = wk_back_entry_prepare (f->reconcile, NULL, WK_PAPER_EXPORT_FHIR, FALSE, NOW, &error);
  g_autoptr (WkBackEntryFile) none = NULL;
  g_autoptr (WkBackEntryFile) again = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *bundle;
  JsonArray  *items;

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, file->content, -1, &error));
  bundle = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (bundle, "resourceType"), ==, "Bundle");
  g_assert_cmpstr (json_object_get_string_member (bundle, "type"), ==, "transaction");
  items = json_object_get_array_member (bundle, "entry");
  g_assert_cmpuint (json_array_get_length (items), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      JsonObject *resource = json_object_get_object_member (item, "resource");
      const char *value = json_object_get_string_member (
          json_array_get_object_element (json_object_get_array_member (resource, "identifier"), 0),
          "value");
      const WkPaperEntry *e = NULL;
      JsonObject         *subject = json_object_get_object_member (
                  json_object_get_object_member (resource, "subject"), "identifier");
      JsonObject      *request = json_object_get_object_member (resource, "request");
      g_autofree char *nhs = NULL;

      /* Resources come by chart and order: each is matched to its entry by identifier. */
      for (guint j = 0; j < f->entries->len; j++)
        {
          g_autofree char *external = wk_paper_entry_dup_external_id (entry (f, j));

          if (strcmp (external, value) == 0)
            e = entry (f, j);
        }
      g_assert_nonnull (e);
      nhs = wk_test_nhs_number (g_str_has_prefix (e->placer_id, "P0-") ? 0 : 1);
      g_assert_true (
          g_str_has_prefix (json_object_get_string_member (item, "fullUrl"), "urn:uuid:"));
      g_assert_cmpstr (
          json_object_get_string_member (json_object_get_object_member (item, "request"), "method"),
          ==, "POST");
      g_assert_cmpstr (json_object_get_string_member (resource, "resourceType"), ==,
                       "MedicationAdministration");
      g_assert_cmpstr (json_object_get_string_member (subject, "system"), ==,
                       "https://fhir.nhs.uk/Id/nhs-number");
      g_assert_cmpstr (json_object_get_string_member (subject, "value"), ==, nhs);
      g_assert_cmpstr (json_object_get_string_member (
                           json_object_get_object_member (request, "identifier"), "value"),
                       ==, e->placer_id);
      if (e->given)
        {
          JsonObject *dose = json_object_get_object_member (
              json_object_get_object_member (resource, "dosage"), "dose");

          g_assert_cmpstr (json_object_get_string_member (resource, "status"), ==, "completed");
          g_assert_cmpfloat (json_object_get_double_member (dose, "value"), ==, e->dose);
          g_assert_cmpstr (json_object_get_string_member (dose, "unit"), ==, e->dose_unit);
          g_assert_false (json_object_has_member (resource, "statusReason"));
        }
      else
        {
          JsonObject *reason = json_array_get_object_element (
              json_object_get_array_member (resource, "statusReason"), 0);

          g_assert_cmpstr (json_object_get_string_member (resource, "status"), ==, "not-done");
          g_assert_cmpstr (json_object_get_string_member (reason, "text"), ==, e->reason);
          g_assert_false (json_object_has_member (resource, "dosage"));
        }
      {
        g_autoptr (GDateTime) at = g_date_time_new_from_iso8601 (
            json_object_get_string_member (resource, "effectiveDateTime"), NULL);

        g_assert_cmpint (g_date_time_to_unix (at), ==, e->at);
      }
    }

  /* Recorded once written out; then nothing is left, unless asked again. */
  g_assert_true (
      wk_back_entry_commit (f->reconcile, file, "P Harmacist", "bundle.json", NOW, &error));
  none = wk_back_entry_prepare (f->reconcile, NULL, WK_PAPER_EXPORT_FHIR, FALSE, NOW, &error);
  g_assert_cmpuint (none->entries->len, ==, 0);
  again = wk_back_entry_prepare (f->reconcile, NULL, WK_PAPER_EXPORT_FHIR, TRUE, NOW, &error);
  g_assert_cmpuint (again->entries->len, ==, 4);
}

/* Splits one CSV line (RFC 4180 quoting). */
static GPtrArray *
csv_cells (const char *line)
{
  GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
  GString   *cell = g_string_new (NULL);
  gboolean   quoted = FALSE;

  for (const char *p = line;; p++)
    {
      if (quoted && *p == '"' && p[1] == '"')
        {
          g_string_append_c (cell, '"');
          p++;
        }
      else if (*p == '"')
        quoted = !quoted;
      else if ((*p == ',' && !quoted) || *p == '\0')
        {
          g_ptr_array_add (cells, g_strdup (cell->str));
          g_string_truncate (cell, 0);
          if (*p == '\0')
            break;
        }
      else
        g_string_append_c (cell, *p);
    }
  g_string_free (cell, TRUE);
  return cells;
}

static void
test_csv (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkBackEntryFile) file = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GPtrArray) header = NULL;
  gboolean found_formula = FALSE;
  guint    note = 0, status = 0;

  /* A note a spreadsheet would run as a formula. */
  key_in (f, wk_chart_document_get_id (f->documents->pdata[1]), "P0-PARA", "1200", NULL, NULL, 0,
          "=HYPERLINK(\"http://example.org\")");
  file = wk_back_entry_prepare (f->reconcile, NULL, WK_PAPER_EXPORT_CSV, FALSE, NOW, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (file->content, "\r\n"));
  lines = g_strsplit (file->content, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 5 + 1);
  header = csv_cells (lines[0]);
  g_assert_cmpstr (header->pdata[0], ==, "entry");
  for (guint i = 0; i < header->len; i++)
    {
      note = strcmp (header->pdata[i], "note") == 0 ? i : note;
      status = strcmp (header->pdata[i], "status") == 0 ? i : status;
    }
  /* Lines come by chart and order: each is matched to its entry by the entry's number. */
  for (guint i = 1; i <= 5; i++)
    {
      g_autoptr (GPtrArray) cells = csv_cells (lines[i]);
      const WkPaperEntry *e = NULL;

      g_assert_cmpuint (cells->len, ==, header->len);
      for (guint j = 0; j < f->entries->len; j++)
        if (entry (f, j)->id == g_ascii_strtoll (cells->pdata[0], NULL, 10))
          e = entry (f, j);
      g_assert_nonnull (e);
      g_assert_cmpstr (cells->pdata[status], ==, e->given ? "given" : "not-given");
      if (strcmp (e->placer_id, "P1-METF") == 0)
        g_assert_cmpstr (cells->pdata[note], ==, "Pharmacy \"out of stock\", ward rang");
      else if (e->note != NULL)
        {
          g_assert_cmpstr (cells->pdata[note], ==, "'=HYPERLINK(\"http://example.org\")");
          found_formula = TRUE;
        }
    }
  g_assert_true (found_formula);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/back-entry/ras/fields", test_ras_fields);
  ADD ("/back-entry/ras/read-back", test_ras_read_back);
  ADD ("/back-entry/mllp/export", test_mllp_export);
  ADD ("/back-entry/mllp/retry", test_mllp_retry);
  ADD ("/back-entry/mllp/rejected", test_mllp_rejected);
  ADD ("/back-entry/mllp/unanswered", test_mllp_unanswered);
  ADD ("/back-entry/mllp/not-configured", test_mllp_not_configured);
  ADD ("/back-entry/fhir", test_fhir);
  ADD ("/back-entry/csv", test_csv);
#undef ADD
  return g_test_run ();
}
