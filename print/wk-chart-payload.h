/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-payload.h — the signed QR payload on every page of a paper drug chart. */

#pragma once

#include "wk-chart-id.h"
#include "wk-keys.h"
#include "wk-order.h"

#include <glib.h>

G_BEGIN_DECLS

/** The payload format this program writes and reads. */
#define WK_CHART_PAYLOAD_VERSION 1
/** Every wardkeep chart code's text starts with this; the rest is Base45. */
#define WK_CHART_PAYLOAD_PREFIX "WK:"
/** At most this many bytes of a drug's name are kept in a payload. */
#define WK_CHART_PAYLOAD_DRUG_MAX 24

/**
 * WkChartPayloadOrder:
 * @placer_id: the placer order number
 * @version: the order's version as printed
 * @kind: regular, as required or once only
 * @status: active, held or discontinued (printed as STOPPED)
 * @dmd_code: (nullable): the dm+d code, digits only; other codes are not kept
 * @drug: the start of the drug's name, at most %WK_CHART_PAYLOAD_DRUG_MAX bytes, cut at a
 *   character boundary
 * @drug_cut: whether @drug is only the start of the name
 * @dose: the dose
 * @dose_max: the top of a dose range, 0 for none
 * @dose_unit: the dose's unit
 * @route: the route
 * @admin_times: (nullable): the due times, "HH:MM,HH:MM" in ward local time
 * @min_interval_min: the minimum minutes between as-required doses, 0 for none
 * @prn_max_24h: the maximum in 24 h of an as-required order, 0 for none
 * @start_at: when the order starts (UTC seconds, to the minute)
 * @stop_at: when it stops (UTC seconds, to the minute), 0 for no end
 * @status_at: when it was held or stopped (UTC seconds, to the minute), 0 when unknown
 * @last_given_at: the last administration printed (UTC seconds, to the minute), 0 for
 *   none
 *
 * The essentials of one order as printed on a page: enough for a pharmacist to see what
 * the page held without the kiosk.
 */
typedef struct
{
  char         *placer_id;
  int           version;
  WkOrderKind   kind;
  WkOrderStatus status;
  char         *dmd_code;
  char         *drug;
  gboolean      drug_cut;
  double        dose;
  double        dose_max;
  char         *dose_unit;
  char         *route;
  char         *admin_times;
  int           min_interval_min;
  double        prn_max_24h;
  gint64        start_at;
  gint64        stop_at;
  gint64        status_at;
  gint64        last_given_at;
} WkChartPayloadOrder;

/**
 * WkChartPayload:
 * @format_version: the payload format (%WK_CHART_PAYLOAD_VERSION)
 * @drill: the page was printed in a drill and is not a clinical record
 * @chart_id: the chart's id, eight characters (wk-chart-id.h)
 * @page: this page, from 1
 * @n_pages: the chart's pages
 * @nhs_number: (nullable): the patient's NHS number, ten digits
 * @hospital_number: (nullable): the hospital number, kept only when there is no NHS number
 * @ward_id: the ward
 * @snapshot_seq: the sequence number of the snapshot the chart was printed from
 * @snapshot_at: when that snapshot's data was current (UTC seconds): "data as of"
 * @printed_at: when the chart was printed (UTC seconds)
 * @utc_offset_min: the ward's offset from UTC when printed, in minutes (a multiple of 15)
 * @key_id: the id of the kiosk key that signed it (16 hex digits)
 * @orders: (element-type WkChartPayloadOrder): the orders on the page, in print order
 *
 * What one printed page of a drug chart held. Encoded as a compact binary record
 * signed with the kiosk's Ed25519 key, in Base45 after %WK_CHART_PAYLOAD_PREFIX so that
 * the QR code uses its alphanumeric mode.
 */
typedef struct
{
  int        format_version;
  gboolean   drill;
  char       chart_id[WK_CHART_ID_LENGTH + 1];
  guint      page;
  guint      n_pages;
  char      *nhs_number;
  char      *hospital_number;
  char      *ward_id;
  guint64    snapshot_seq;
  gint64     snapshot_at;
  gint64     printed_at;
  int        utc_offset_min;
  char       key_id[17];
  GPtrArray *orders;
} WkChartPayload;

WkChartPayloadOrder *wk_chart_payload_order_new (const WkOrder *order, gint64 last_given_at);
void                 wk_chart_payload_order_free (WkChartPayloadOrder *order);
gsize wk_chart_payload_order_get_size (const WkChartPayloadOrder *order, gint64 snapshot_at);

WkChartPayload *wk_chart_payload_new (void);
void            wk_chart_payload_free (WkChartPayload *payload);
gsize           wk_chart_payload_get_size (const WkChartPayload *payload);
char *wk_chart_payload_encode (const WkChartPayload *payload, WkKeys *keys, GError **error);
WkChartPayload *wk_chart_payload_decode (
    const char *text, gssize length, const guint8 *trusted_keys, gsize n_trusted, GError **error);
char *wk_chart_payload_to_text (const WkChartPayload *payload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartPayloadOrder, wk_chart_payload_order_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkChartPayload, wk_chart_payload_free)

G_END_DECLS
