/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-order.h — a medication order, every version of it. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/**
 * WkOrderKind:
 * @WK_ORDER_REGULAR: given at due times (gets an administration grid on the chart)
 * @WK_ORDER_PRN: as required, with an indication and a maximum in 24 h
 * @WK_ORDER_ONCE: once only / stat
 */
typedef enum
{
  WK_ORDER_REGULAR,
  WK_ORDER_PRN,
  WK_ORDER_ONCE,
} WkOrderKind;

typedef enum
{
  WK_ORDER_ACTIVE,
  WK_ORDER_HELD,
  WK_ORDER_DISCONTINUED,
} WkOrderStatus;

/**
 * WkOrder:
 * @id: the model's row id of this version, set by wk_order_insert()
 * @patient_id: the patient
 * @placer_id: the placer order number (ORC-2), the same for every version
 * @version: the version, from 1; the highest version of a placer id is the current order
 * @kind: regular, as required, or once only
 * @status: active, held or discontinued
 * @dmd_code: (nullable): the dm+d code of the drug
 * @drug: the drug as text, as prescribed
 * @dose: the dose, > 0
 * @dose_max: the upper end of a dose range ("1 to 2 tablets"), 0 for a single dose
 * @dose_unit: the dose's unit ("mg", "tablet", "mL")
 * @route: the route ("oral", "IV")
 * @frequency: (nullable): the frequency as prescribed ("TDS", "every 4 hours")
 * @admin_times: (nullable): due times of day in ward local time, "08:00,14:00,22:00";
 *   required for a regular order
 * @min_interval_min: the minimum minutes between doses (as required), 0 for none
 * @prn_indication: (nullable): what an as-required dose is for
 * @prn_max_24h: the maximum total in 24 h, in @dose_unit (as required), 0 for none
 * @start_at: when the order starts (UTC seconds)
 * @stop_at: when it stops (UTC seconds), 0 for no end
 * @status_at: when @status last changed (UTC seconds), 0 when not known
 * @prescriber: (nullable): who prescribed it
 * @instructions: (nullable): instructions to the person giving it
 * @transaction_at: when the sending system made this version (ORC-9, UTC seconds), 0
 *   when not known; a change older than the current version's is stale
 * @order_control: (nullable): what made this version: the HL7 order control (ORC-1)
 *   `NW`, `XO`, `DC`, `CA`, `HD` or `RL`; %NULL for a version not from the feed
 */
typedef struct
{
  gint64        id;
  gint64        patient_id;
  char         *placer_id;
  int           version;
  WkOrderKind   kind;
  WkOrderStatus status;
  char         *dmd_code;
  char         *drug;
  double        dose;
  double        dose_max;
  char         *dose_unit;
  char         *route;
  char         *frequency;
  char         *admin_times;
  int           min_interval_min;
  char         *prn_indication;
  double        prn_max_24h;
  gint64        start_at;
  gint64        stop_at;
  gint64        status_at;
  char         *prescriber;
  char         *instructions;
  gint64        transaction_at;
  char         *order_control;
} WkOrder;

WkOrder *wk_order_new (void);
WkOrder *wk_order_copy (const WkOrder *order);
void     wk_order_free (WkOrder *order);

gboolean wk_order_insert (WkModel *model, WkOrder *order, GError **error);
gboolean wk_order_set_status (
    WkModel *model, const char *placer_id, WkOrderStatus status, gint64 at, GError **error);
WkOrder   *wk_order_load_current (WkModel *model, const char *placer_id, GError **error);
GPtrArray *wk_order_load_versions (WkModel *model, const char *placer_id, GError **error);
GPtrArray *wk_order_load_for_patient (WkModel *model, gint64 patient_id, GError **error);
int        wk_order_count_active (WkModel *model, gint64 patient_id, GError **error);

GArray     *wk_order_parse_admin_times (const char *text, GError **error);
const char *wk_order_kind_to_string (WkOrderKind kind);
gboolean    wk_order_kind_from_string (const char *text, WkOrderKind *kind);
const char *wk_order_status_to_string (WkOrderStatus status);
gboolean    wk_order_status_from_string (const char *text, WkOrderStatus *status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkOrder, wk_order_free)

G_END_DECLS
