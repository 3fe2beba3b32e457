/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-administration.h — a dose given, or not given, against an order. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

typedef enum
{
  WK_ADMINISTRATION_FROM_FEED,
  WK_ADMINISTRATION_FROM_PAPER,
} WkAdministrationSource;

/**
 * WkAdministration:
 * @id: the model's id, set by wk_administration_insert()
 * @placer_id: the order
 * @order_version: the version of the order it was given against
 * @at: when it was given or due (UTC seconds)
 * @given: whether the dose was given
 * @dose: the dose given, > 0 when given; 0 when not given
 * @dose_unit: (nullable): the unit of @dose
 * @reason: (nullable): why it was not given; required when not given
 * @by_whom: (nullable): who gave it (name or initials)
 * @source: where the record came from: the feed, or paper charts keyed in afterwards
 * @external_id: (nullable): an id unique to this record (RXA or a paper entry id), so
 *   that a repeated record is refused rather than counted twice
 */
typedef struct
{
  gint64                 id;
  char                  *placer_id;
  int                    order_version;
  gint64                 at;
  gboolean               given;
  double                 dose;
  char                  *dose_unit;
  char                  *reason;
  char                  *by_whom;
  WkAdministrationSource source;
  char                  *external_id;
} WkAdministration;

WkAdministration *wk_administration_new (const char *placer_id, int order_version);
void              wk_administration_free (WkAdministration *administration);
gboolean
wk_administration_insert (WkModel *model, WkAdministration *administration, GError **error);
GPtrArray *wk_administration_load_for_order (WkModel *model, const char *placer_id, GError **error);
WkAdministration *
wk_administration_load_last_given (WkModel *model, const char *placer_id, GError **error);
WkAdministration *
wk_administration_load_by_external_id (WkModel *model, const char *external_id, GError **error);
const char *wk_administration_source_to_string (WkAdministrationSource source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkAdministration, wk_administration_free)

G_END_DECLS
