/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-feed-message.c — the model's record of HL7 messages already applied, by control id. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-feed-message.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

/**
 * wk_feed_message_new:
 * @control_id: MSH-10
 * @digest: the content digest, 32 hex digits
 * @ack_code: `AA`, `AE` or `AR`
 * @note: (nullable): the acknowledgement's text
 * @received_at: when it was applied (UTC seconds)
 *
 * Returns: (transfer full): a new #WkFeedMessage
 */
WkFeedMessage *
wk_feed_message_new (const char *control_id,
                     const char *digest,
                     const char *ack_code,
                     const char *note,
                     gint64      received_at)
{
  WkFeedMessage *message = g_new0 (WkFeedMessage, 1);

  message->control_id = g_strdup (control_id);
  message->digest = g_strdup (digest);
  message->ack_code = g_strdup (ack_code);
  message->note = g_strdup (note);
  message->received_at = received_at;
  return message;
}

/**
 * wk_feed_message_free:
 * @message: (nullable) (transfer full): a #WkFeedMessage
 */
void
wk_feed_message_free (WkFeedMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->control_id);
  g_free (message->digest);
  g_free (message->ack_code);
  g_free (message->note);
  g_free (message);
}

/**
 * wk_feed_message_insert:
 * @model: a #WkModel
 * @message: the message applied
 * @error: return location for a #GError
 *
 * Records an applied message, and forgets the oldest beyond %WK_FEED_MESSAGE_KEEP. A
 * control id already recorded is refused with %WK_SNAPSHOT_ERROR_CONSTRAINT.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_feed_message_insert (WkModel *model, const WkFeedMessage *message, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  gint64 rowid;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  stmt = _wk_model_prepare (model,
                            "INSERT INTO feed_message (control_id, digest, ack_code, note, "
                            "received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, message->control_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, message->digest, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, message->ack_code, -1, SQLITE_STATIC);
  _wk_stmt_bind_text_static (stmt, 4, message->note);
  sqlite3_bind_int64 (stmt, 5, message->received_at);
  if (!_wk_model_step_done (model, stmt, "Cannot record the applied message", error))
    return FALSE;
  rowid = sqlite3_last_insert_rowid (_wk_model_get_db (model));
  sqlite3_reset (stmt);

  /* Pruning in steps of a thousand keeps the cost per message negligible. */
  if (rowid % 1000 == 0 && rowid > WK_FEED_MESSAGE_KEEP)
    {
      stmt = _wk_model_prepare (model, "DELETE FROM feed_message WHERE rowid <= ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, rowid - WK_FEED_MESSAGE_KEEP);
      if (!_wk_model_step_done (model, stmt, "Cannot forget old applied messages", error))
        return FALSE;
    }
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_feed_message_load:
 * @model: a #WkModel
 * @control_id: MSH-10
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the recorded message, or %NULL with
 *   %WK_SNAPSHOT_ERROR_NOT_FOUND when the control id is not recorded
 */
WkFeedMessage *
wk_feed_message_load (WkModel *model, const char *control_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (control_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT digest, ack_code, note, received_at FROM feed_message "
                            "WHERE control_id = ?1",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, control_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "No message with this control id was applied");
      return NULL;
    }
  return wk_feed_message_new (control_id, (const char *)sqlite3_column_text (stmt, 0),
                              (const char *)sqlite3_column_text (stmt, 1),
                              (const char *)sqlite3_column_text (stmt, 2),
                              sqlite3_column_int64 (stmt, 3));
}

/**
 * wk_feed_message_count:
 * @model: a #WkModel
 *
 * Returns: how many applied messages the model remembers, or -1 on failure
 */
gint64
wk_feed_message_count (WkModel *model)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, -1);

  stmt = _wk_model_prepare (model, "SELECT count(*) FROM feed_message", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}
