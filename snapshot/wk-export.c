/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-export.c — the whole ward model as JSON, for IT recovery, drills and reconciliation.
 *
 * Generic over the schema: every table the model has (tables added by later migrations
 * included) is exported with every column, one JSON object per row, one row per line,
 * streamed so that a whole hospital does not need its JSON tree in memory. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-export.h"

#include "wk-autocleanups.h"
#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <sodium.h>

#define FLUSH_AT (64 * 1024)

typedef struct
{
  GOutputStream *out;
  GCancellable  *cancellable;
  GString       *buffer; /* patient data: wiped before it is reused or freed */
} Writer;

static gboolean
writer_flush (Writer *writer, GError **error)
{
  gboolean ok = TRUE;

  if (writer->buffer->len > 0)
    ok = g_output_stream_write_all (writer->out, writer->buffer->str, writer->buffer->len, NULL,
                                    writer->cancellable, error);
  sodium_memzero (writer->buffer->str, writer->buffer->len);
  g_string_truncate (writer->buffer, 0);
  return ok;
}

static gboolean
writer_append (Writer *writer, const char *text, GError **error)
{
  g_string_append (writer->buffer, text);
  return writer->buffer->len < FLUSH_AT || writer_flush (writer, error);
}

/* Appends @node as compact JSON, then wipes the text. */
static gboolean
writer_append_node (Writer *writer, JsonNode *node, GError **error)
{
  char    *text = json_to_string (node, FALSE);
  gboolean ok = writer_append (writer, text, error);

  sodium_memzero (text, strlen (text));
  g_free (text);
  return ok;
}

static JsonNode *
value_node (sqlite3_stmt *stmt, int column)
{
  JsonNode *node = json_node_alloc ();

  switch (sqlite3_column_type (stmt, column))
    {
    case SQLITE_INTEGER:
      return json_node_init_int (node, sqlite3_column_int64 (stmt, column));
    case SQLITE_FLOAT:
      {
        double value = sqlite3_column_double (stmt, column);

        /* JSON has no infinity or NaN. */
        return isfinite (value) ? json_node_init_double (node, value) : json_node_init_null (node);
      }
    case SQLITE_TEXT:
      {
        const char *text = (const char *)sqlite3_column_text (stmt, column);
        int         size = sqlite3_column_bytes (stmt, column);

        if (g_utf8_validate_len (text, size, NULL))
          return json_node_init_string (node, text);
        else
          {
            g_autofree char *valid = g_utf8_make_valid (text, size);

            return json_node_init_string (node, valid);
          }
      }
    case SQLITE_BLOB:
      {
        g_autofree char *base64 = g_base64_encode (sqlite3_column_blob (stmt, column),
                                                   sqlite3_column_bytes (stmt, column));

        return json_node_init_string (node, base64);
      }
    default:
      return json_node_init_null (node);
    }
}

static sqlite3_stmt *
prepare_rows (sqlite3 *db, const char *table)
{
  sqlite3_stmt *stmt = NULL;
  char         *sql = sqlite3_mprintf ("SELECT * FROM \"%w\" ORDER BY rowid", table);

  /* A WITHOUT ROWID table has no rowid: its natural order is its primary key. */
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sqlite3_free (sql);
      sql = sqlite3_mprintf ("SELECT * FROM \"%w\"", table);
      if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        stmt = NULL;
    }
  sqlite3_free (sql);
  return stmt;
}

static gboolean
export_table (Writer *writer, sqlite3 *db, const char *table, gboolean first, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare_rows (db, table);
  g_autoptr (JsonNode) name = json_node_init_string (json_node_alloc (), table);
  int   n_columns, rc;
  gsize n_rows = 0;

  if (stmt == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_DATABASE,
                   "Cannot read table %s of the ward model: %s", table, sqlite3_errmsg (db));
      return FALSE;
    }
  n_columns = sqlite3_column_count (stmt);
  if (!writer_append (writer, first ? "\n    " : ",\n    ", error)
      || !writer_append_node (writer, name, error) || !writer_append (writer, ": [", error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr (JsonNode) row = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();

      for (int i = 0; i < n_columns; i++)
        json_object_set_member (object, sqlite3_column_name (stmt, i), value_node (stmt, i));
      json_node_take_object (row, object);
      if (!writer_append (writer, n_rows++ == 0 ? "\n      " : ",\n      ", error)
          || !writer_append_node (writer, row, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_DATABASE,
                   "Cannot read table %s of the ward model: %s", table, sqlite3_errmsg (db));
      return FALSE;
    }
  return writer_append (writer, n_rows > 0 ? "\n    ]" : "]", error);
}

static JsonNode *
snapshot_node (const WkSnapshotInfo *info)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GDateTime) created = g_date_time_new_from_unix_utc (info->created_at);
  g_autofree char *created_text = created != NULL ? g_date_time_format_iso8601 (created) : NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, (gint64)info->seq);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, info->created_at);
  json_builder_set_member_name (builder, "created_at_utc");
  json_builder_add_string_value (builder, created_text);
  json_builder_set_member_name (builder, "ward_id");
  json_builder_add_string_value (builder, info->ward_id);
  json_builder_set_member_name (builder, "key_id");
  json_builder_add_string_value (builder, info->key_id);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, info->path);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * wk_export_model_json:
 * @model: the model to export
 * @info: (nullable): the snapshot the model was loaded from, recorded in the export
 * @out: where the JSON goes
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Writes every table of @model, every row and column, as one JSON document:
 * `{"format": "wardkeep-model-export", "format_version": 1, "schema_version": N,
 * "snapshot": {seq, created_at, created_at_utc, ward_id, key_id, file} or null,
 * "tables": {"<table>": [{"<column>": value, ...}, ...], ...}}`. Tables are in name
 * order and rows in the order they were added; integers and reals are JSON numbers,
 * text is a string, blobs are base64 strings, NULL is null, and times are UTC seconds
 * as the model stores them. Tables that later schema versions add are exported without
 * any change here.
 *
 * The output is patient data in plain text: write it only where the person asking for
 * it chose (standard output), never to a file the program picks.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_export_model_json (WkModel              *model,
                      const WkSnapshotInfo *info,
                      GOutputStream        *out,
                      GCancellable         *cancellable,
                      GError              **error)
{
  g_autoptr (sqlite3_stmt) tables = NULL;
  g_autofree char *head = NULL;
  sqlite3         *db;
  Writer           writer = { out, cancellable, g_string_sized_new (FLUSH_AT + 4096) };
  gboolean         ok = FALSE, first = TRUE;
  int              rc;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  db = _wk_model_get_db (model);
  if (sqlite3_prepare_v2 (db,
                          "SELECT name FROM sqlite_schema WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                          -1, &tables, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_DATABASE,
                   "Cannot list the tables of the ward model: %s", sqlite3_errmsg (db));
      goto out;
    }

  head = g_strdup_printf ("{\n  \"format\": \"wardkeep-model-export\",\n  \"format_version\": %d,\n"
                          "  \"schema_version\": %d,\n  \"snapshot\": ",
                          WK_EXPORT_FORMAT_VERSION, wk_model_get_schema_version (model));
  if (!writer_append (&writer, head, error))
    goto out;
  if (info != NULL)
    {
      g_autoptr (JsonNode) node = snapshot_node (info);

      if (!writer_append_node (&writer, node, error))
        goto out;
    }
  else if (!writer_append (&writer, "null", error))
    goto out;
  if (!writer_append (&writer, ",\n  \"tables\": {", error))
    goto out;
  while ((rc = sqlite3_step (tables)) == SQLITE_ROW)
    {
      if (!export_table (&writer, db, (const char *)sqlite3_column_text (tables, 0), first, error))
        goto out;
      first = FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_DATABASE,
                   "Cannot list the tables of the ward model: %s", sqlite3_errmsg (db));
      goto out;
    }
  ok = writer_append (&writer, first ? "}\n}\n" : "\n  }\n}\n", error)
       && writer_flush (&writer, error) && g_output_stream_flush (out, cancellable, error);

out:
  sodium_memzero (writer.buffer->str, writer.buffer->allocated_len);
  g_string_free (writer.buffer, TRUE);
  return ok;
}
