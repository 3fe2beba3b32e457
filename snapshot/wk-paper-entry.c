/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-paper-entry.c — what was written on a returned chart, keyed in by a pharmacist.
 *
 * Each entry is also an administration of the model (source "paper"), so that the model
 * knows every dose, whether the feed or the paper told it. An amendment never edits an
 * entry: it writes a new one, points the old one at it, and moves the administration. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-paper-entry.h"

#include "wk-administration.h"
#include "wk-hl7.h"
#include "wk-model-private.h"
#include "wk-reconcile-log.h"
#include "wk-snapshot-error.h"

#include <math.h>
#include <string.h>

#define ENTRY_COLUMNS                                                                              \
  "id, chart_id, page, placer_id, order_version, due_at, given, at, dose, dose_unit, "             \
  "reason_code, reason, by_whom, flags, note, entered_by, entered_at, administration_id, "         \
  "replaces, replaced_by "

static const struct
{
  WkPaperFlags flag;
  const char  *nick;
  const char  *words;
} flag_names[] = {
  { WK_PAPER_FLAG_DOSE_DIFFERS, "dose-differs", "the dose is not the dose prescribed" },
  { WK_PAPER_FLAG_UNIT_DIFFERS, "unit-differs", "the dose's unit is not the order's" },
  { WK_PAPER_FLAG_PRN_MAX_24H, "prn-max-24h",
    "more than the order's maximum in 24 hours was given" },
  { WK_PAPER_FLAG_PRN_INTERVAL, "prn-interval",
    "given sooner after the previous dose than the minimum interval" },
  { WK_PAPER_FLAG_OUTSIDE_EPISODE, "outside-episode", "the time is after the downtime ended" },
  { WK_PAPER_FLAG_GIVEN_WHILE_HELD, "given-while-held",
    "given although the chart printed the order as held" },
  { WK_PAPER_FLAG_GIVEN_WHILE_STOPPED, "given-while-stopped",
    "given although the chart printed the order as stopped" },
  { WK_PAPER_FLAG_FAR_FROM_DUE, "far-from-due",
    "given more than two hours before or after its due time" },
};

static const WkEnumNick format_nicks[] = {
  { WK_PAPER_EXPORT_HL7, "hl7" },
  { WK_PAPER_EXPORT_FHIR, "fhir" },
  { WK_PAPER_EXPORT_CSV, "csv" },
  { 0, NULL },
};

/**
 * wk_paper_flags_to_string:
 * @flags: #WkPaperFlags
 *
 * Returns: (transfer full): the flags' names, comma separated ("" for none)
 */
char *
wk_paper_flags_to_string (guint flags)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flags & flag_names[i].flag)
      {
        if (text->len > 0)
          g_string_append_c (text, ',');
        g_string_append (text, flag_names[i].nick);
      }
  return g_string_free (text, FALSE);
}

/**
 * wk_paper_flags_from_string:
 * @text: names, comma separated, as wk_paper_flags_to_string() writes them
 * @flags: (out): the flags
 *
 * Returns: whether every name is a flag
 */
gboolean
wk_paper_flags_from_string (const char *text, guint *flags)
{
  g_auto (GStrv) names = g_strsplit (text != NULL ? text : "", ",", -1);

  *flags = 0;
  for (guint i = 0; names[i] != NULL; i++)
    {
      gboolean known = FALSE;

      if (*names[i] == '\0')
        continue;
      for (gsize j = 0; j < G_N_ELEMENTS (flag_names); j++)
        if (strcmp (names[i], flag_names[j].nick) == 0)
          {
            *flags |= flag_names[j].flag;
            known = TRUE;
          }
      if (!known)
        return FALSE;
    }
  return TRUE;
}

/**
 * wk_paper_flag_describe:
 * @flag: one #WkPaperFlags value
 *
 * Returns: (nullable): what it means, in words
 */
const char *
wk_paper_flag_describe (WkPaperFlags flag)
{
  for (gsize i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flag_names[i].flag == flag)
      return flag_names[i].words;
  return NULL;
}

/**
 * wk_paper_export_format_to_string:
 * @format: a #WkPaperExportFormat
 *
 * Returns: (nullable): "hl7", "fhir" or "csv"
 */
const char *
wk_paper_export_format_to_string (WkPaperExportFormat format)
{
  return _wk_enum_to_nick (format_nicks, format);
}

/**
 * wk_paper_export_format_from_string:
 * @text: "hl7", "fhir" or "csv"
 * @format: (out): the format
 *
 * Returns: whether @text names a format
 */
gboolean
wk_paper_export_format_from_string (const char *text, WkPaperExportFormat *format)
{
  int value;

  if (!_wk_enum_from_nick (format_nicks, text, &value))
    return FALSE;
  *format = value;
  return TRUE;
}

/**
 * wk_paper_entry_new:
 *
 * Returns: (transfer full): an empty #WkPaperEntry
 */
WkPaperEntry *
wk_paper_entry_new (void)
{
  return g_new0 (WkPaperEntry, 1);
}

/**
 * wk_paper_entry_copy:
 * @entry: a #WkPaperEntry
 *
 * Returns: (transfer full): a copy
 */
WkPaperEntry *
wk_paper_entry_copy (const WkPaperEntry *entry)
{
  WkPaperEntry *copy = g_memdup2 (entry, sizeof *entry);

  copy->chart_id = g_strdup (entry->chart_id);
  copy->placer_id = g_strdup (entry->placer_id);
  copy->dose_unit = g_strdup (entry->dose_unit);
  copy->reason_code = g_strdup (entry->reason_code);
  copy->reason = g_strdup (entry->reason);
  copy->by_whom = g_strdup (entry->by_whom);
  copy->note = g_strdup (entry->note);
  copy->entered_by = g_strdup (entry->entered_by);
  return copy;
}

/**
 * wk_paper_entry_free:
 * @entry: (nullable) (transfer full): a #WkPaperEntry
 */
void
wk_paper_entry_free (WkPaperEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->chart_id);
  g_free (entry->placer_id);
  g_free (entry->dose_unit);
  g_free (entry->reason_code);
  g_free (entry->reason);
  g_free (entry->by_whom);
  g_free (entry->note);
  g_free (entry->entered_by);
  g_free (entry);
}

/**
 * wk_paper_entry_dup_external_id:
 * @entry: an inserted #WkPaperEntry
 *
 * The administration's external id is the one the feed gives the RAS^O17 record that
 * exports it (order, RXA-3, RXA-2), so that the EPR sending it back is not a second dose.
 *
 * Returns: (transfer full): "<order>/<RXA-3>/<RXA-2>"
 */
char *
wk_paper_entry_dup_external_id (const WkPaperEntry *entry)
{
  g_autofree char *at = wk_hl7_format_time (entry->at);

  return g_strdup_printf ("%s/%s/%" G_GINT64_FORMAT, entry->placer_id, at,
                          WK_PAPER_ENTRY_SUB_ID_BASE + entry->id);
}

static WkPaperEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  WkPaperEntry *entry = wk_paper_entry_new ();

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->chart_id = _wk_stmt_dup_text (stmt, 1);
  entry->page = sqlite3_column_int (stmt, 2);
  entry->placer_id = _wk_stmt_dup_text (stmt, 3);
  entry->order_version = sqlite3_column_int (stmt, 4);
  entry->due_at = sqlite3_column_int64 (stmt, 5);
  entry->given = sqlite3_column_int (stmt, 6) != 0;
  entry->at = sqlite3_column_int64 (stmt, 7);
  entry->dose = _wk_stmt_get_double (stmt, 8);
  entry->dose_unit = _wk_stmt_dup_text (stmt, 9);
  entry->reason_code = _wk_stmt_dup_text (stmt, 10);
  entry->reason = _wk_stmt_dup_text (stmt, 11);
  entry->by_whom = _wk_stmt_dup_text (stmt, 12);
  wk_paper_flags_from_string ((const char *)sqlite3_column_text (stmt, 13), &entry->flags);
  entry->note = _wk_stmt_dup_text (stmt, 14);
  entry->entered_by = _wk_stmt_dup_text (stmt, 15);
  entry->entered_at = sqlite3_column_int64 (stmt, 16);
  entry->administration_id = sqlite3_column_int64 (stmt, 17);
  entry->replaces = sqlite3_column_int64 (stmt, 18);
  entry->replaced_by = sqlite3_column_int64 (stmt, 19);
  return entry;
}

static const char *
entry_problem (const WkPaperEntry *entry)
{
  if (entry->chart_id == NULL || entry->page < 1)
    return "it names no chart page";
  if (_wk_text_is_blank (entry->placer_id) || entry->order_version < 1)
    return "it names no order";
  if (entry->at <= 0)
    return "it has no time";
  if (entry->given && !(entry->dose > 0 && isfinite (entry->dose)))
    return "a dose given needs a dose above 0";
  if (!entry->given && entry->dose != 0)
    return "a dose not given has no dose";
  if (!entry->given && _wk_text_is_blank (entry->reason))
    return "a dose not given needs a reason";
  if (_wk_text_is_blank (entry->entered_by))
    return "it does not say who keyed it in";
  return NULL;
}

/* Inserts the entry and its administration; the caller holds a transaction. */
static gboolean
insert_entry (WkModel *model, WkPaperEntry *entry, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autoptr (WkAdministration) administration = NULL;
  g_autofree char *flags = wk_paper_flags_to_string (entry->flags);

  stmt = _wk_model_prepare (model,
                            "INSERT INTO paper_entry (chart_id, page, placer_id, order_version, "
                            "due_at, given, at, dose, dose_unit, reason_code, reason, by_whom, "
                            "flags, note, entered_by, entered_at, replaces) VALUES (?1, ?2, ?3, "
                            "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entry->chart_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, entry->page);
  sqlite3_bind_text (stmt, 3, entry->placer_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, entry->order_version);
  _wk_stmt_bind_time (stmt, 5, entry->due_at);
  sqlite3_bind_int (stmt, 6, entry->given ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, entry->at);
  _wk_stmt_bind_double (stmt, 8, entry->dose);
  _wk_stmt_bind_text (stmt, 9, entry->dose_unit);
  _wk_stmt_bind_text (stmt, 10, entry->reason_code);
  _wk_stmt_bind_text (stmt, 11, entry->reason);
  _wk_stmt_bind_text (stmt, 12, entry->by_whom);
  sqlite3_bind_text (stmt, 13, flags, -1, SQLITE_TRANSIENT);
  _wk_stmt_bind_text (stmt, 14, entry->note);
  sqlite3_bind_text (stmt, 15, entry->entered_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 16, entry->entered_at);
  _wk_stmt_bind_time (stmt, 17, entry->replaces);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if ((sqlite3_extended_errcode (_wk_model_get_db (model)) & 0xff) == SQLITE_CONSTRAINT
          && strstr (sqlite3_errmsg (_wk_model_get_db (model)), "paper_entry.due_at") != NULL)
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                     "This box of order %s on chart %s is already keyed in; amend that entry "
                     "instead",
                     entry->placer_id, entry->chart_id);
      else
        _wk_model_set_error (model, error, "Cannot record the paper entry");
      sqlite3_reset (stmt);
      return FALSE;
    }
  entry->id = sqlite3_last_insert_rowid (_wk_model_get_db (model));

  /* The dose in the model's administrations, as the feed would have recorded it. */
  administration = wk_administration_new (entry->placer_id, entry->order_version);
  administration->at = entry->at;
  administration->given = entry->given;
  administration->dose = entry->dose;
  administration->dose_unit = g_strdup (entry->dose_unit);
  administration->reason = g_strdup (entry->reason);
  administration->by_whom = g_strdup (entry->by_whom);
  administration->source = WK_ADMINISTRATION_FROM_PAPER;
  administration->external_id = wk_paper_entry_dup_external_id (entry);
  if (!wk_administration_insert (model, administration, error))
    return FALSE;
  entry->administration_id = administration->id;

  sqlite3_reset (stmt);
  stmt = NULL;
  stmt = _wk_model_prepare (model, "UPDATE paper_entry SET administration_id = ?2 WHERE id = ?1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, entry->id);
  sqlite3_bind_int64 (stmt, 2, entry->administration_id);
  return _wk_model_step_done (model, stmt, "Cannot record the paper entry", error);
}

/* "given 1000 mg at <UTC>", without the initials (no names in the audit's detail). */
static char *
describe_entry (const WkPaperEntry *entry)
{
  g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (entry->at);
  g_autofree char *when = g_date_time_format_iso8601 (at);
  g_autofree char *flags = wk_paper_flags_to_string (entry->flags);

  if (entry->given)
    return g_strdup_printf ("order %s v%d: given %g %s at %s%s%s", entry->placer_id,
                            entry->order_version, entry->dose,
                            entry->dose_unit != NULL ? entry->dose_unit : "", when,
                            *flags != '\0' ? ", flags " : "", flags);
  return g_strdup_printf ("order %s v%d: not given (%s) at %s%s%s", entry->placer_id,
                          entry->order_version,
                          entry->reason_code != NULL ? entry->reason_code : entry->reason, when,
                          *flags != '\0' ? ", flags " : "", flags);
}

/**
 * wk_paper_entry_insert:
 * @model: a #WkModel
 * @entry: the entry, validated by the caller (its flags set); its @id and
 *   @administration_id are set on success
 * @error: return location for a #GError
 *
 * Records what was written in a box, as an entry and as an administration from paper,
 * and audits it, all or nothing. A box already keyed in is refused with
 * %WK_SNAPSHOT_ERROR_CONSTRAINT (amend it instead); an incomplete entry with
 * %WK_SNAPSHOT_ERROR_INVALID.
 *
 * Returns: %TRUE when recorded
 */
gboolean
wk_paper_entry_insert (WkModel *model, WkPaperEntry *entry, GError **error)
{
  const char      *problem;
  g_autofree char *detail = NULL;
  gboolean         ok;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  problem = entry_problem (entry);
  if (problem != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The entry for order %s is not complete: %s",
                   entry->placer_id != NULL ? entry->placer_id : "(none)", problem);
      return FALSE;
    }
  if (!wk_model_begin (model, error))
    return FALSE;
  ok = insert_entry (model, entry, error);
  if (ok)
    {
      detail = describe_entry (entry);
      ok = wk_reconcile_log_add (model, entry->entered_at, entry->entered_by, "enter",
                                 entry->chart_id, entry->id, detail, error);
    }
  if (!_wk_model_end (model, ok, error))
    {
      entry->id = 0;
      entry->administration_id = 0;
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_paper_entry_load:
 * @model: a #WkModel
 * @id: an entry's id
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the entry, or %NULL when there is none (with
 *   @error unset) or on failure
 */
WkPaperEntry *
wk_paper_entry_load (WkModel *model, gint64 id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model, "SELECT " ENTRY_COLUMNS "FROM paper_entry WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return entry_from_row (stmt);
  if (rc != SQLITE_DONE)
    _wk_model_set_error (model, error, "Cannot read a paper entry");
  return NULL;
}

static GPtrArray *
load_list (WkModel *model, sqlite3_stmt *stmt, const char *what, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_paper_entry_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, entry_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, what);
      return NULL;
    }
  return g_steal_pointer (&list);
}

/**
 * wk_paper_entry_load_for_chart:
 * @model: a #WkModel
 * @chart_id: (nullable): a chart, or %NULL for every chart
 * @with_replaced: also the entries that amendments replaced
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPaperEntry): the entries, by page, order and
 *   time
 */
GPtrArray *
wk_paper_entry_load_for_chart (WkModel    *model,
                               const char *chart_id,
                               gboolean    with_replaced,
                               GError    **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " ENTRY_COLUMNS "FROM paper_entry "
                            "WHERE (?1 IS NULL OR chart_id = ?1) AND (?2 OR replaced_by IS NULL) "
                            "ORDER BY chart_id, page, placer_id, at, id",
                            error);
  if (stmt == NULL)
    return NULL;
  _wk_stmt_bind_text (stmt, 1, chart_id);
  sqlite3_bind_int (stmt, 2, with_replaced ? 1 : 0);
  return load_list (model, stmt, "Cannot list the paper entries", error);
}

/**
 * wk_paper_entry_load_for_order:
 * @model: a #WkModel
 * @placer_id: an order
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkPaperEntry): the current entries against any
 *   version of the order, on any chart, by time
 */
GPtrArray *
wk_paper_entry_load_for_order (WkModel *model, const char *placer_id, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (placer_id != NULL, NULL);

  stmt = _wk_model_prepare (model,
                            "SELECT " ENTRY_COLUMNS "FROM paper_entry "
                            "WHERE placer_id = ?1 AND replaced_by IS NULL ORDER BY at, id",
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, placer_id, -1, SQLITE_TRANSIENT);
  return load_list (model, stmt, "Cannot list the order's paper entries", error);
}

/* The first export of an entry in any format, for refusing its amendment. */
static gboolean
find_export (WkModel *model, gint64 entry_id, char **format, gint64 *at, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  stmt = _wk_model_prepare (model,
                            "SELECT format, exported_at FROM paper_export WHERE entry_id = ?1 "
                            "ORDER BY exported_at, id LIMIT 1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, entry_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *format = _wk_stmt_dup_text (stmt, 0);
      *at = sqlite3_column_int64 (stmt, 1);
    }
  else if (rc != SQLITE_DONE)
    {
      _wk_model_set_error (model, error, "Cannot read the entry's exports");
      return FALSE;
    }
  return TRUE;
}

static gboolean
amend (WkModel *model, const WkPaperEntry *old, WkPaperEntry *entry, GError **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *detail = NULL;

  /* The old dose leaves the model's administrations; the new one takes its place. */
  if (old->administration_id > 0)
    {
      stmt = _wk_model_prepare (
          model, "DELETE FROM administration WHERE id = ?1 AND source = 'paper'", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, old->administration_id);
      if (!_wk_model_step_done (model, stmt, "Cannot withdraw the amended administration", error))
        return FALSE;
      sqlite3_reset (stmt);
      stmt = NULL;
    }
  /* The old entry leaves its box first, so that the new one may take it. */
  stmt = _wk_model_prepare (model, "UPDATE paper_entry SET replaced_by = id WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, old->id);
  if (!_wk_model_step_done (model, stmt, "Cannot amend the paper entry", error))
    return FALSE;
  sqlite3_reset (stmt);
  stmt = NULL;

  entry->replaces = old->id;
  if (!insert_entry (model, entry, error))
    return FALSE;
  stmt = _wk_model_prepare (model, "UPDATE paper_entry SET replaced_by = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, old->id);
  sqlite3_bind_int64 (stmt, 2, entry->id);
  if (!_wk_model_step_done (model, stmt, "Cannot amend the paper entry", error))
    return FALSE;

  before = describe_entry (old);
  after = describe_entry (entry);
  detail = g_strdup_printf ("entry #%" G_GINT64_FORMAT " amended: was %s; now %s", old->id, before,
                            after);
  return wk_reconcile_log_add (model, entry->entered_at, entry->entered_by, "amend",
                               entry->chart_id, entry->id, detail, error);
}

/**
 * wk_paper_entry_amend:
 * @model: a #WkModel
 * @old_id: the current entry being corrected
 * @entry: what the box really holds (validated by the caller); its @id,
 *   @administration_id and @replaces are set on success
 * @error: return location for a #GError
 *
 * Corrects an entry: a new entry replaces the old one (which is kept, pointing at it),
 * its administration replaces the old one's, and the change is audited. An entry that
 * has been exported is refused with %WK_SNAPSHOT_ERROR_CONSTRAINT (the EPR has it: correct
 * it there); one already replaced, or of another chart, with %WK_SNAPSHOT_ERROR_INVALID.
 *
 * Returns: %TRUE when amended
 */
gboolean
wk_paper_entry_amend (WkModel *model, gint64 old_id, WkPaperEntry *entry, GError **error)
{
  g_autoptr (WkPaperEntry) old = NULL;
  g_autofree char *format = NULL;
  const char      *problem;
  GError          *local_error = NULL;
  gint64           exported_at = 0;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  problem = entry_problem (entry);
  if (problem != NULL)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The amended entry for order %s is not complete: %s",
                   entry->placer_id != NULL ? entry->placer_id : "(none)", problem);
      return FALSE;
    }
  old = wk_paper_entry_load (model, old_id, &local_error);
  if (old == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, local_error);
      else
        g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND,
                     "There is no paper entry #%" G_GINT64_FORMAT " to amend", old_id);
      return FALSE;
    }
  if (old->replaced_by != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Paper entry #%" G_GINT64_FORMAT
                   " was already amended by entry #%" G_GINT64_FORMAT "; amend that one",
                   old_id, old->replaced_by);
      return FALSE;
    }
  if (g_strcmp0 (old->chart_id, entry->chart_id) != 0
      || g_strcmp0 (old->placer_id, entry->placer_id) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "Paper entry #%" G_GINT64_FORMAT " is of order %s on chart %s; an amendment "
                   "keeps its chart and order",
                   old_id, old->placer_id, old->chart_id);
      return FALSE;
    }
  if (!find_export (model, old_id, &format, &exported_at, error))
    return FALSE;
  if (format != NULL)
    {
      g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (exported_at);
      g_autofree char *when = g_date_time_format_iso8601 (at);

      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONSTRAINT,
                   "Paper entry #%" G_GINT64_FORMAT " was exported for back-entry (%s, %s): "
                   "correct the record in the EPR itself; wardkeep keeps what was exported",
                   old_id, format, when);
      return FALSE;
    }

  if (!wk_model_begin (model, error))
    return FALSE;
  if (!_wk_model_end (model, amend (model, old, entry, error), error))
    {
      entry->id = 0;
      entry->administration_id = 0;
      entry->replaces = 0;
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_paper_entry_record_export:
 * @model: a #WkModel
 * @entry_id: the entry exported
 * @format: how
 * @at: when (UTC seconds)
 * @who: who exported it
 * @destination: (nullable): where to (an interface engine's address, a file name)
 * @control_id: (nullable): the HL7 message's control id (MSH-10)
 * @error: return location for a #GError
 *
 * Records one export of an entry (a re-export when it was exported in @format before),
 * and audits it.
 *
 * Returns: %TRUE on success
 */
gboolean
wk_paper_entry_record_export (WkModel            *model,
                              gint64              entry_id,
                              WkPaperExportFormat format,
                              gint64              at,
                              const char         *who,
                              const char         *destination,
                              const char         *control_id,
                              GError            **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  g_autofree char *detail = NULL;
  GError          *local_error = NULL;
  gint64           before;
  gboolean         ok;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (who != NULL, FALSE);

  before = wk_paper_entry_get_exported_at (model, entry_id, format, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (!wk_model_begin (model, error))
    return FALSE;
  stmt = _wk_model_prepare (model,
                            "INSERT INTO paper_export (entry_id, format, exported_at, "
                            "exported_by, destination, control_id, again) VALUES (?1, ?2, ?3, "
                            "?4, ?5, ?6, ?7)",
                            error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, entry_id);
      sqlite3_bind_text (stmt, 2, wk_paper_export_format_to_string (format), -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, at);
      sqlite3_bind_text (stmt, 4, who, -1, SQLITE_TRANSIENT);
      _wk_stmt_bind_text (stmt, 5, destination);
      _wk_stmt_bind_text (stmt, 6, control_id);
      sqlite3_bind_int (stmt, 7, before != 0 ? 1 : 0);
      ok = _wk_model_step_done (model, stmt, "Cannot record the export", error);
    }
  if (ok)
    {
      detail = g_strdup_printf (
          "entry #%" G_GINT64_FORMAT " exported as %s%s%s%s%s", entry_id,
          wk_paper_export_format_to_string (format), destination != NULL ? " to " : "",
          destination != NULL ? destination : "", control_id != NULL ? ", message " : "",
          control_id != NULL ? control_id : "");
      ok = wk_reconcile_log_add (model, at, who, before != 0 ? "re-export" : "export", NULL,
                                 entry_id, detail, error);
    }
  return _wk_model_end (model, ok, error);
}

/**
 * wk_paper_entry_get_exported_at:
 * @model: a #WkModel
 * @entry_id: an entry
 * @format: a format
 * @error: return location for a #GError
 *
 * Returns: when the entry was first exported in @format (UTC seconds), 0 when never (or
 *   on failure, with @error set)
 */
gint64
wk_paper_entry_get_exported_at (WkModel            *model,
                                gint64              entry_id,
                                WkPaperExportFormat format,
                                GError            **error)
{
  g_auto (WkModelStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (model != NULL, 0);

  stmt = _wk_model_prepare (model,
                            "SELECT min (exported_at) FROM paper_export WHERE entry_id = ?1 AND "
                            "format = ?2",
                            error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, entry_id);
  sqlite3_bind_text (stmt, 2, wk_paper_export_format_to_string (format), -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _wk_model_set_error (model, error, "Cannot read the entry's exports");
      return 0;
    }
  return sqlite3_column_int64 (stmt, 0);
}
