/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-export.c — the JSON export of a whole model: every table, every column, every type. */

#include "wk-export.h"
#include "wk-model-private.h"
#include "wk-test-hospital.h"
#include "wk-test-util.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

static JsonNode *
export_parsed (WkModel *model, const WkSnapshotInfo *info, char **text_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;

  g_assert_true (wk_export_model_json (model, info, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  text = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  if (text_out != NULL)
    *text_out = g_steal_pointer (&text);
  return json_node_ref (json_parser_get_root (parser));
}

static gint64
count_rows (WkModel *model, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3_stmt    *stmt = NULL;
  gint64           n;

  g_assert_cmpint (sqlite3_prepare_v2 (_wk_model_get_db (model), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
test_every_table (void)
{
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 24, 120, 300, "EXPORTNAME");
  g_autoptr (JsonNode) root = export_parsed (model, NULL, NULL);
  JsonObject *top = json_node_get_object (root);
  JsonObject *tables = json_object_get_object_member (top, "tables");
  g_autoptr (GList) names = json_object_get_members (tables);
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  JsonObject   *patient;

  g_assert_cmpstr (json_object_get_string_member (top, "format"), ==, "wardkeep-model-export");
  g_assert_cmpint (json_object_get_int_member (top, "format_version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (top, "schema_version"), ==, WK_MODEL_SCHEMA_VERSION);
  g_assert_true (json_object_get_null_member (top, "snapshot"));

  /* Every table the schema has (not the views; later migrations add tables), in name
   * order, each with all its rows. */
  g_assert_cmpint (sqlite3_prepare_v2 (_wk_model_get_db (model),
                                       "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (expected, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  g_assert_true (g_ptr_array_find_with_equal_func (expected, "patient", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (expected, "med_order", g_str_equal, NULL));
  g_assert_cmpuint (g_list_length (names), ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    {
      const char *name = expected->pdata[i];
      JsonArray  *rows = json_object_get_array_member (tables, name);

      g_assert_cmpstr (g_list_nth_data (names, i), ==, name);
      g_assert_cmpint (json_array_get_length (rows), ==, count_rows (model, name));
    }

  /* Every column of a row, with its type: text, integers, reals and nulls. */
  patient = json_array_get_object_element (json_object_get_array_member (tables, "patient"), 0);
  g_assert_cmpuint (json_object_get_size (patient), ==,
                    count_rows (model, "pragma_table_info ('patient')"));
  g_assert_cmpint (json_object_get_int_member (patient, "id"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (patient, "family_name"), ==, "EXPORTNAME");
  g_assert_cmpfloat (json_object_get_double_member (patient, "weight_kg"), ==, 40.5);
  g_assert_true (json_object_get_null_member (patient, "left_at"));
  g_assert_cmpint (json_object_get_int_member (patient, "admitted_at"), ==, 1767225600);
}

static void
test_generic_and_escaped (void)
{
  g_autoptr (WkModel) model = wk_test_model_new_ward ("7A", 1);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  sqlite3         *db = _wk_model_get_db (model);
  JsonObject      *tables, *row;
  JsonArray       *rows;
  WkSnapshotInfo   info = { .seq = 42,
                            .created_at = 1767225600,
                            .ward_id = "7A",
                            .key_id = "0123456789abcdef",
                            .path = "/var/lib/wardkeep/snapshots/000000000042.wks" };

  /* A table a later schema version might add, with every SQLite type and text that
   * needs escaping: the export knows nothing of it and still exports it whole. */
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TABLE zz_later (n INTEGER, r REAL, t TEXT, b BLOB, z);"
                                 "INSERT INTO zz_later VALUES (-9007199254740993, 0.1, "
                                 "'quote \" backslash \\ tab \t newline \n ünï ✓', x'00ff10', "
                                 "NULL);"
                                 "CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
                                 "INSERT INTO kv VALUES ('b', 2), ('a', 1);",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  root = export_parsed (model, &info, &text);
  tables = json_object_get_object_member (json_node_get_object (root), "tables");
  rows = json_object_get_array_member (tables, "zz_later");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpint (json_object_get_int_member (row, "n"), ==,
                   G_GINT64_CONSTANT (-9007199254740993));
  g_assert_cmpfloat (json_object_get_double_member (row, "r"), ==, 0.1);
  g_assert_cmpstr (json_object_get_string_member (row, "t"), ==,
                   "quote \" backslash \\ tab \t newline \n ünï ✓");
  g_assert_cmpstr (json_object_get_string_member (row, "b"), ==, "AP8Q");
  g_assert_true (json_object_get_null_member (row, "z"));
  /* A table without rowids is exported in its key's order. */
  rows = json_object_get_array_member (tables, "kv");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "k"), ==,
                   "a");
  /* One row per line, so that a whole hospital can be read with line tools. */
  g_assert_nonnull (strstr (text, "\n      {\"n\":-9007199254740993,"));

  /* The snapshot it came from is recorded. */
  row = json_object_get_object_member (json_node_get_object (root), "snapshot");
  g_assert_cmpint (json_object_get_int_member (row, "seq"), ==, 42);
  g_assert_cmpstr (json_object_get_string_member (row, "created_at_utc"), ==,
                   "2026-01-01T00:00:00Z");
  g_assert_cmpstr (json_object_get_string_member (row, "ward_id"), ==, "7A");
  g_assert_cmpstr (json_object_get_string_member (row, "key_id"), ==, "0123456789abcdef");
}

static void
test_write_failure (void)
{
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 6, 6, 6, NULL);
  g_autoptr (GError) error = NULL;
  guint8 small[100];
  g_autoptr (GOutputStream) out = g_memory_output_stream_new (small, sizeof small, NULL, NULL);

  /* Output that cannot be written is an error, not a silently cut export. */
  g_assert_false (wk_export_model_json (model, NULL, out, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/export/every-table", test_every_table);
  g_test_add_func ("/export/generic-and-escaped", test_generic_and_escaped);
  g_test_add_func ("/export/write-failure", test_write_failure);

  return g_test_run ();
}
