/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-log.h — reconciliation's audit trail and discrepancy report sign-offs. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/**
 * WkReconcileEvent:
 * @id: the model's id
 * @at: when (UTC seconds)
 * @who: who did it (the name they gave)
 * @action: `scan`, `scan-again`, `enter`, `amend`, `sign-off`, `export` or `re-export`
 * @chart_id: (nullable): the chart concerned
 * @entry_id: the paper entry concerned, 0 for none
 * @detail: (nullable): what, in words, naming model ids and chart ids only
 *
 * One line of the audit trail.
 */
typedef struct
{
  gint64 id;
  gint64 at;
  char  *who;
  char  *action;
  char  *chart_id;
  gint64 entry_id;
  char  *detail;
} WkReconcileEvent;

/**
 * WkSignoff:
 * @id: the model's id
 * @episode_id: the episode the report covers, "" for charts outside any episode
 * @signed_by: who signed it off
 * @signed_at: when (UTC seconds)
 * @digest: the BLAKE2b-256 of the report's findings, 64 hex digits
 * @findings: how many findings the report had
 * @note: (nullable): what the pharmacist wrote
 *
 * A discrepancy report signed off.
 */
typedef struct
{
  gint64 id;
  char  *episode_id;
  char  *signed_by;
  gint64 signed_at;
  char  *digest;
  guint  findings;
  char  *note;
} WkSignoff;

void       wk_reconcile_event_free (WkReconcileEvent *event);
gboolean   wk_reconcile_log_add (WkModel    *model,
                                 gint64      at,
                                 const char *who,
                                 const char *action,
                                 const char *chart_id,
                                 gint64      entry_id,
                                 const char *detail,
                                 GError    **error);
GPtrArray *wk_reconcile_log_load (WkModel *model, const char *chart_id, GError **error);

void       wk_signoff_free (WkSignoff *signoff);
gboolean   wk_signoff_insert (WkModel *model, WkSignoff *signoff, GError **error);
WkSignoff *wk_signoff_load_latest (WkModel *model, const char *episode_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkReconcileEvent, wk_reconcile_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkSignoff, wk_signoff_free)

G_END_DECLS
