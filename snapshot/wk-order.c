/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-order.c — a medication order, every version of it. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-order.h"

#include "wk-model-private.h"
#include "wk-snapshot-error.h"

#include <math.h>
#include <string.h>

static const WkEnumNick kind_nicks[] = {
  { WK_ORDER_REGULAR, "regular" },
  { WK_ORDER_PRN, "prn" },
  { WK_ORDER_ONCE, "once" },
  { 0, NULL },
};

static const WkEnumNick status_nicks[] = {
  { WK_ORDER_ACTIVE, "active" },
  { WK_ORDER_HELD, "held" },
  { WK_ORDER_DISCONTINUED, "discontinued" },
  { 0, NULL },
};

#define ORDER_COLUMNS                                                                              \
  "id, patient_id, placer_id, version, kind, status, dmd_code, drug, dose, dose_max, dose_unit, "  \
  "route, frequency, admin_times, min_interval_min, prn_indication, prn_max_24h, start_at, "       \
  "stop_at, status_at, prescriber, instructions, transaction_at, order_control "

/**
 * wk_order_new:
 *
 * Returns: (transfer full): an empty active regular #WkOrder, version 1
 */
WkOrder *
wk_order_new (void)
{
  WkOrder *order = g_new0 (WkOrder, 1);

  order->version = 1;
  return order;
}

/**
 * wk_order_copy:
 * @order: a #WkOrder
 *
 * Returns: (transfer full): a deep copy of @order
 */
WkOrder *
wk_order_copy (const WkOrder *order)
{
  WkOrder *copy;

  g_return_val_if_fail (order != NULL, NULL);

  copy = g_memdup2 (order, sizeof *order);
  copy->placer_id = g_strdup (order->placer_id);
  copy->dmd_code = g_strdup (order->dmd_code);
  copy->drug = g_strdup (order->drug);
  copy->dose_unit = g_strdup (order->dose_unit);
  copy->route = g_strdup (order->route);
  copy->frequency = g_strdup (order->frequency);
  copy->admin_times = g_strdup (order->admin_times);
  copy->prn_indication = g_strdup (order->prn_indication);
  copy->prescriber = g_strdup (order->prescriber);
  copy->instructions = g_strdup (order->instructions);
  copy->order_control = g_strdup (order->order_control);
  return copy;
}

/**
 * wk_order_free:
 * @order: (nullable) (transfer full): a #WkOrder
 */
void
wk_order_free (WkOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->placer_id);
  g_free (order->dmd_code);
  g_free (order->drug);
  g_free (order->dose_unit);
  g_free (order->route);
  g_free (order->frequency);
  g_free (order->admin_times);
  g_free (order->prn_indication);
  g_free (order->prescriber);
  g_free (order->instructions);
  g_free (order->order_control);
  g_free (order);
}

/**
 * wk_order_parse_admin_times:
 * @text: due times, "HH:MM" separated by commas, in increasing order
 * @error: return location for a #GError
 *
 * Parses an order's due times of day.
 *
 * Returns: (transfer full) (element-type int): minutes after midnight for each time, or
 *   %NULL with %WK_SNAPSHOT_ERROR_INVALID saying which time is wrong
 */
GArray *
wk_order_parse_admin_times (const char *text, GError **error)
{
  g_autoptr (GArray) minutes = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto (GStrv) parts = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *p = parts[i];
      int         value;

      if (strlen (p) != 5 || !g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) || p[2] != ':'
          || !g_ascii_isdigit (p[3]) || !g_ascii_isdigit (p[4]))
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "Due time %u (\"%s\") is not of the form HH:MM", i + 1, p);
          return NULL;
        }
      value = ((p[0] - '0') * 10 + (p[1] - '0')) * 60 + (p[3] - '0') * 10 + (p[4] - '0');
      if (value >= 24 * 60 || (p[3] - '0') > 5)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "Due time %u (\"%s\") is not a time of day", i + 1, p);
          return NULL;
        }
      if (minutes->len > 0 && value <= g_array_index (minutes, int, minutes->len - 1))
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "Due time %u (\"%s\") is not after the one before it", i + 1, p);
          return NULL;
        }
      g_array_append_val (minutes, value);
    }
  return g_steal_pointer (&minutes);
}

/* Checks the rules SQLite cannot explain well, naming the order by its placer id. */
static gboolean
check_order (const WkOrder *order, GError **error)
{
  const char *problem = NULL;

  if (_wk_text_is_blank (order->placer_id))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "An order needs a placer order number");
      return FALSE;
    }
  if (order->version < 1)
    problem = "its version must be 1 or more";
  else if (wk_order_kind_to_string (order->kind) == NULL
           || wk_order_status_to_string (order->status) == NULL)
    problem = "its kind or status is not a known value";
  else if (_wk_text_is_blank (order->drug))
    problem = "it names no drug";
  else if (!(order->dose > 0) || !isfinite (order->dose))
    problem = "its dose must be a number above 0";
  else if (order->dose_max != 0 && !(order->dose_max >= order->dose && isfinite (order->dose_max)))
    problem = "the top of its dose range is below the bottom";
  else if (_wk_text_is_blank (order->dose_unit))
    problem = "its dose has no unit";
  else if (_wk_text_is_blank (order->route))
    problem = "it has no route";
  else if (order->start_at <= 0)
    problem = "it has no start time";
  else if (order->stop_at != 0 && order->stop_at < order->start_at)
    problem = "it stops before it starts";
  else if (order->kind == WK_ORDER_REGULAR && _wk_text_is_blank (order->admin_times))
    problem = "a regular order needs its due times";
  else if (order->kind != WK_ORDER_PRN
           && (order->prn_indication != NULL || order->prn_max_24h != 0))
    problem = "only an as-required order has an indication and a 24-hour maximum";
  else if (order->prn_max_24h < 0 || !isfinite (order->prn_max_24h))
    problem = "its 24-hour maximum must be above 0";
  else if (order->min_interval_min < 0)
    problem = "its minimum interval must be above 0";
  if (problem != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Order %s version %d is not valid: %s", order->placer_id, order->version,
                   problem);
      return FALSE;
    }
  if (order->admin_times != NULL)
    {
      g_autoptr (GError) times_error = NULL;
      g_autoptr (GArray) times = wk_order_parse_admin_times (order->admin_times, &times_error);

      if (times == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "Order %s version %d is not valid: %s", order->placer_id, order->version,
                       times_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * wk_order_insert:
 * @model: a #WkModel
 * @order: the order version to add; its @id is set on success
 * @error: return location for a #GError
 *
 * Adds one version of an order. A placer id and version already in the model, or a
 * version of an order that belongs to another patient, is refused with
 * %WK_SNAPSHOT_ERROR_CONSTRAINT. Versions may arrive in any order; the highest is current.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_order_insert (WkModel *model, WkOrder *order, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (order != NULL, FALSE);

  if (!check_order (order, error))
    return FALSE;

  /* Every version of an order is for the same patient. */
  stmt = _wk_model_prepare (model, "SELECT patient_id FROM med_order WHERE placer_id = ?1 LIMIT 1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, order->placer_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) != order->patient_id)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Order %s belongs to patient #%" G_GINT64_FORMAT ", not #%" G_GINT64_FORMAT,
                   order->placer_id, (gint64)sqlite3_column_int64 (stmt, 0), order->patient_id);
      return FALSE;
    }
  sqlite3_reset (stmt);

  stmt = _wk_model_prepare (model,
                            "INSERT INTO med_order (patient_id, placer_id, version, kind, status, "
                            "dmd_code, drug, dose, dose_max, dose_unit, route, frequency, "
                            "admin_times, min_interval_min, prn_indication, prn_max_24h, start_at, "
                            "stop_at, status_at, prescriber, instructions, transaction_at, "
                            "order_control) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                            "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, order->patient_id);
  sqlite3_bind_text (stmt, 2, order->placer_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, order->version);
  sqlite3_bind_text (stmt, 4, wk_order_kind_to_string (order->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, wk_order_status_to_string (order->status), -1, SQLITE_STATIC);
  _wk_stmt_bind_text_static (stmt, 6, order->dmd_code);
  sqlite3_bind_text (stmt, 7, order->drug, -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 8, order->dose);
  _wk_stmt_bind_double (stmt, 9, order->dose_max);
  sqlite3_bind_text (stmt, 10, order->dose_unit, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, order->route, -1, SQLITE_STATIC);
  _wk_stmt_bind_text_static (stmt, 12, order->frequency);
  _wk_stmt_bind_text_static (stmt, 13, order->admin_times);
  if (order->min_interval_min > 0)
    sqlite3_bind_int (stmt, 14, order->min_interval_min);
  _wk_stmt_bind_text_static (stmt, 15, order->prn_indication);
  _wk_stmt_bind_double (stmt, 16, order->prn_max_24h);
  sqlite3_bind_int64 (stmt, 17, order->start_at);
  _wk_stmt_bind_time (stmt, 18, order->stop_at);
  _wk_stmt_bind_time (stmt, 19, order->status_at);
  _wk_stmt_bind_text_static (stmt, 20, order->prescriber);
  _wk_stmt_bind_text_static (stmt, 21, order->instructions);
  _wk_stmt_bind_time (stmt, 22, order->transaction_at);
  _wk_stmt_bind_text_static (stmt, 23, order->order_control);
  if (!_wk_model_step_done (model, stmt, "Cannot add the order", error))
    return FALSE;
  order->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));
  _wk_model_touch (model);
  return TRUE;
}

/**
 * wk_order_set_status:
 * @model: a #WkModel
 * @placer_id: the order
 * @status: its new status
 * @at: when the status changed (UTC seconds)
 * @error: return location for a #GError
 *
 * Holds, releases or discontinues the current version of an order.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_order_set_status (
    WkModel *model, const char *placer_id, WkOrderStatus status, gint64 at, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (placer_id != NULL, FALSE);

  if (wk_order_status_to_string (status) == NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Order %s: the status is not a known value", placer_id);
      return FALSE;
    }
  stmt = _wk_model_prepare (model,
                            "UPDATE med_order SET status = ?2, status_at = ?3 WHERE placer_id = ?1 "
                            "AND version = (SELECT max (version) FROM med_order WHERE placer_id = "
                            "?1)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, placer_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, wk_order_status_to_string (status), -1, SQLITE_STATIC);
  _wk_stmt_bind_time (stmt, 3, at);
  if (!_wk_model_step_done (model, stmt, "Cannot change the order's status", error))
    return FALSE;
  if (sqlite3_changes (_wk_model_get_db (model)) == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Order %s is not in the model", placer_id);
      return FALSE;
    }
  _wk_model_touch (model);
  return TRUE;
}

static WkOrder *
order_from_row (sqlite3_stmt *stmt)
{
  WkOrder *order = wk_order_new ();
  int      value;

  order->id = sqlite3_column_int64 (stmt, 0);
  order->patient_id = sqlite3_column_int64 (stmt, 1);
  order->placer_id = _wk_stmt_dup_text (stmt, 2);
  order->version = sqlite3_column_int (stmt, 3);
  if (_wk_enum_from_nick (kind_nicks, (const char *)sqlite3_column_text (stmt, 4), &value))
    order->kind = value;
  if (_wk_enum_from_nick (status_nicks, (const char *)sqlite3_column_text (stmt, 5), &value))
    order->status = value;
  order->dmd_code = _wk_stmt_dup_text (stmt, 6);
  order->drug = _wk_stmt_dup_text (stmt, 7);
  order->dose = _wk_stmt_get_double (stmt, 8);
  order->dose_max = _wk_stmt_get_double (stmt, 9);
  order->dose_unit = _wk_stmt_dup_text (stmt, 10);
  order->route = _wk_stmt_dup_text (stmt, 11);
  order->frequency = _wk_stmt_dup_text (stmt, 12);
  order->admin_times = _wk_stmt_dup_text (stmt, 13);
  order->min_interval_min = sqlite3_column_int (stmt, 14);
  order->prn_indication = _wk_stmt_dup_text (stmt, 15);
  order->prn_max_24h = _wk_stmt_get_double (stmt, 16);
  order->start_at = _wk_stmt_get_time (stmt, 17);
  order->stop_at = _wk_stmt_get_time (stmt, 18);
  order->status_at = _wk_stmt_get_time (stmt, 19);
  order->prescriber = _wk_stmt_dup_text (stmt, 20);
  order->instructions = _wk_stmt_dup_text (stmt, 21);
  order->transaction_at = _wk_stmt_get_time (stmt, 22);
  order->order_control = _wk_stmt_dup_text (stmt, 23);
  return order;
}

static GPtrArray *
load_list (WkModel *model, sqlite3_stmt *stmt, const char *what, GError **error)
{
  g_autoptr (GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_order_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (orders, order_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, what);
      return NULL;
    }
  return g_steal_pointer (&orders);
}

/**
 * wk_order_load_current:
 * @model: a #WkModel
 * @placer_id: the order
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the highest version of the order, or %NULL with
 *   %WK_SNAPSHOT_ERROR_NOT_FOUND
 */
WkOrder *
wk_order_load_current (WkModel *model, const char *placer_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (placer_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " ORDER_COLUMNS "FROM med_order WHERE placer_id = ?1 "
                            "ORDER BY version DESC LIMIT 1",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, placer_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                   "Order %s is not in the model", placer_id);
      return NULL;
    }
  return order_from_row (stmt);
}

/**
 * wk_order_load_versions:
 * @model: a #WkModel
 * @placer_id: the order
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkOrder): every version, oldest first (empty
 *   when the order is unknown)
 */
GPtrArray *
wk_order_load_versions (WkModel *model, const char *placer_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (placer_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " ORDER_COLUMNS "FROM med_order WHERE placer_id = ?1 "
                            "ORDER BY version",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, placer_id, -1, SQLITE_TRANSIENT);
  return load_list (model, stmt, "Cannot list the order's versions", error);
}

/**
 * wk_order_load_for_patient:
 * @model: a #WkModel
 * @patient_id: the patient
 * @error: return location for a #GError
 *
 * Lists the current version of each of a patient's orders, in chart order: regular,
 * as required, once only; then by start time and drug.
 *
 * Returns: (transfer full) (element-type WkOrder): the orders, or %NULL with @error set
 */
GPtrArray *
wk_order_load_for_patient (WkModel *model, gint64 patient_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);

  stmt
      = _wk_model_prepare (model,
                           "SELECT " ORDER_COLUMNS "FROM current_order WHERE patient_id = ?1 "
                           "ORDER BY CASE kind WHEN 'regular' THEN 0 WHEN 'prn' THEN 1 ELSE 2 END, "
                           "start_at, drug, placer_id",
                           error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  return load_list (model, stmt, "Cannot list the patient's orders", error);
}

/**
 * wk_order_count_active:
 * @model: a #WkModel
 * @patient_id: the patient
 * @error: return location for a #GError
 *
 * Returns: how many of the patient's current orders are active, or -1 with @error set
 */
int
wk_order_count_active (WkModel *model, gint64 patient_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, -1);

  stmt = _wk_model_prepare (model,
                            "SELECT count(*) FROM current_order WHERE patient_id = ?1 "
                            "AND status = 'active'",
                            error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, patient_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      _wk_model_set_error (model, error, "Cannot count the patient's orders");
      return -1;
    }
  return sqlite3_column_int (stmt, 0);
}

/**
 * wk_order_kind_to_string:
 * @kind: a #WkOrderKind
 *
 * Returns: (nullable): its stable name ("regular", "prn", "once"), %NULL when not a value
 */
const char *
wk_order_kind_to_string (WkOrderKind kind)
{
  return _wk_enum_to_nick (kind_nicks, kind);
}

/**
 * wk_order_kind_from_string:
 * @text: a stable name
 * @kind: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_order_kind_from_string (const char *text, WkOrderKind *kind)
{
  int value;

  if (!_wk_enum_from_nick (kind_nicks, text, &value))
    return FALSE;
  *kind = value;
  return TRUE;
}

/**
 * wk_order_status_to_string:
 * @status: a #WkOrderStatus
 *
 * Returns: (nullable): its stable name ("active", "held", "discontinued")
 */
const char *
wk_order_status_to_string (WkOrderStatus status)
{
  return _wk_enum_to_nick (status_nicks, status);
}

/**
 * wk_order_status_from_string:
 * @text: a stable name
 * @status: (out): the value
 *
 * Returns: %TRUE when @text is a known name
 */
gboolean
wk_order_status_from_string (const char *text, WkOrderStatus *status)
{
  int value;

  if (!_wk_enum_from_nick (status_nicks, text, &value))
    return FALSE;
  *status = value;
  return TRUE;
}
