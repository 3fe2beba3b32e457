/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-paper-entry.h — what was written on a returned chart, keyed in by a pharmacist. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/** Paper administrations carry 900000000 + the entry's id as their RXA-2 sub-id, so that
 * the back-entered record, when the EPR sends it back on the feed, is recognised. */
#define WK_PAPER_ENTRY_SUB_ID_BASE G_GINT64_CONSTANT (900000000)

/**
 * WkPaperFlags:
 * @WK_PAPER_FLAG_DOSE_DIFFERS: the dose given is not the dose prescribed (or outside its
 *   range)
 * @WK_PAPER_FLAG_UNIT_DIFFERS: the dose's unit is not the order's
 * @WK_PAPER_FLAG_PRN_MAX_24H: with this dose, more than the order's maximum was given in
 *   some 24 hours (paper and feed together)
 * @WK_PAPER_FLAG_PRN_INTERVAL: given sooner after the previous dose than the order's
 *   minimum interval
 * @WK_PAPER_FLAG_OUTSIDE_EPISODE: the time is after the downtime episode ended
 * @WK_PAPER_FLAG_GIVEN_WHILE_HELD: given although the chart printed the order as held
 * @WK_PAPER_FLAG_GIVEN_WHILE_STOPPED: given although the chart printed the order as
 *   stopped
 * @WK_PAPER_FLAG_FAR_FROM_DUE: given more than two hours before or after its due time
 *
 * What validation found about an entry: recorded with it and shown in the report; a flag
 * never stops an entry.
 */
typedef enum
{
  WK_PAPER_FLAG_DOSE_DIFFERS = 1 << 0,
  WK_PAPER_FLAG_UNIT_DIFFERS = 1 << 1,
  WK_PAPER_FLAG_PRN_MAX_24H = 1 << 2,
  WK_PAPER_FLAG_PRN_INTERVAL = 1 << 3,
  WK_PAPER_FLAG_OUTSIDE_EPISODE = 1 << 4,
  WK_PAPER_FLAG_GIVEN_WHILE_HELD = 1 << 5,
  WK_PAPER_FLAG_GIVEN_WHILE_STOPPED = 1 << 6,
  WK_PAPER_FLAG_FAR_FROM_DUE = 1 << 7,
} WkPaperFlags;

/**
 * WkPaperEntry:
 * @id: the model's id, set when inserted
 * @chart_id: the chart it was written on
 * @page: the page
 * @placer_id: the order
 * @order_version: the order's version as printed
 * @due_at: the box's due time (UTC seconds) for a regular order; 0 for an as-required or
 *   once-only dose
 * @given: whether the dose was given
 * @at: when it was given, or when it was due and not given (UTC seconds)
 * @dose: the dose given, 0 when not given
 * @dose_unit: (nullable): its unit
 * @reason_code: (nullable): the code written when not given
 * @reason: (nullable): the code's meaning; required when not given
 * @by_whom: (nullable): the initials written in the box
 * @flags: #WkPaperFlags that validation found
 * @note: (nullable): the pharmacist's note
 * @entered_by: who keyed it in
 * @entered_at: when (UTC seconds)
 * @administration_id: the administration recorded for it in the model
 * @replaces: the entry this one amended, 0 for none
 * @replaced_by: the entry that amended this one, 0 while it is current
 *
 * One box or line of a returned chart, as keyed in.
 */
typedef struct
{
  gint64   id;
  char    *chart_id;
  guint    page;
  char    *placer_id;
  int      order_version;
  gint64   due_at;
  gboolean given;
  gint64   at;
  double   dose;
  char    *dose_unit;
  char    *reason_code;
  char    *reason;
  char    *by_whom;
  guint    flags;
  char    *note;
  char    *entered_by;
  gint64   entered_at;
  gint64   administration_id;
  gint64   replaces;
  gint64   replaced_by;
} WkPaperEntry;

/**
 * WkPaperExportFormat:
 * @WK_PAPER_EXPORT_HL7: RAS^O17 messages acknowledged by the interface engine
 * @WK_PAPER_EXPORT_FHIR: a FHIR R4 Bundle of MedicationAdministration resources
 * @WK_PAPER_EXPORT_CSV: a CSV file
 */
typedef enum
{
  WK_PAPER_EXPORT_HL7,
  WK_PAPER_EXPORT_FHIR,
  WK_PAPER_EXPORT_CSV,
} WkPaperExportFormat;

WkPaperEntry *wk_paper_entry_new (void);
WkPaperEntry *wk_paper_entry_copy (const WkPaperEntry *entry);
void          wk_paper_entry_free (WkPaperEntry *entry);
char         *wk_paper_entry_dup_external_id (const WkPaperEntry *entry);

gboolean wk_paper_entry_insert (WkModel *model, WkPaperEntry *entry, GError **error);
gboolean wk_paper_entry_amend (WkModel *model, gint64 old_id, WkPaperEntry *entry, GError **error);
WkPaperEntry *wk_paper_entry_load (WkModel *model, gint64 id, GError **error);
GPtrArray    *wk_paper_entry_load_for_chart (WkModel    *model,
                                             const char *chart_id,
                                             gboolean    with_replaced,
                                             GError    **error);
GPtrArray    *wk_paper_entry_load_for_order (WkModel *model, const char *placer_id, GError **error);

gboolean wk_paper_entry_record_export (WkModel            *model,
                                       gint64              entry_id,
                                       WkPaperExportFormat format,
                                       gint64              at,
                                       const char         *who,
                                       const char         *destination,
                                       const char         *control_id,
                                       GError            **error);
gint64   wk_paper_entry_get_exported_at (WkModel            *model,
                                         gint64              entry_id,
                                         WkPaperExportFormat format,
                                         GError            **error);

char       *wk_paper_flags_to_string (guint flags);
gboolean    wk_paper_flags_from_string (const char *text, guint *flags);
const char *wk_paper_flag_describe (WkPaperFlags flag);
const char *wk_paper_export_format_to_string (WkPaperExportFormat format);
gboolean    wk_paper_export_format_from_string (const char *text, WkPaperExportFormat *format);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPaperEntry, wk_paper_entry_free)

G_END_DECLS
