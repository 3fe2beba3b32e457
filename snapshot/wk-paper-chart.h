/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-paper-chart.h — printed charts whose pages came back after a downtime, page by page. */

#pragma once

#include "wk-model.h"
#include "wk-order.h"

G_BEGIN_DECLS

/**
 * WkPaperOrder:
 * @page: the page it was printed on, from 1
 * @placer_id: the placer order number
 * @version: the version printed
 * @kind: regular, as required or once only
 * @status: its status when printed
 * @dmd_code: (nullable): its dm+d code
 * @drug: the drug's name as the page's code holds it (the start of it when @drug_cut)
 * @drug_cut: whether @drug is only the start of the name
 * @dose: the dose
 * @dose_max: the top of a dose range, 0 for none
 * @dose_unit: the dose's unit
 * @route: the route
 * @admin_times: (nullable): due times, "HH:MM,HH:MM" in ward local time
 * @min_interval_min: minimum minutes between as-required doses, 0 for none
 * @prn_max_24h: the maximum in 24 h of an as-required order, 0 for none
 * @start_at: when it starts (UTC seconds)
 * @stop_at: when it stops (UTC seconds), 0 for no end
 * @status_at: when it was held or stopped, 0 when not known
 * @last_given_at: the last dose printed with it, 0 for none
 *
 * An order as a returned page printed it.
 */
typedef struct
{
  guint         page;
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
} WkPaperOrder;

/**
 * WkPaperChart:
 * @chart_id: the chart's id, eight characters
 * @patient_id: the model's patient, 0 when the model has no patient with its identifiers
 * @nhs_number: (nullable): the NHS number the chart printed
 * @hospital_number: (nullable): the hospital number, when it had no NHS number
 * @ward_id: the ward it was printed for
 * @snapshot_seq: the snapshot it was printed from
 * @snapshot_at: when that snapshot's data was current (UTC seconds)
 * @printed_at: when it was printed (UTC seconds)
 * @utc_offset_min: the ward's offset from UTC when printed, minutes
 * @key_id: the key that signed its codes
 * @n_pages: how many pages it has
 * @episode_id: (nullable): the downtime episode it was printed in, %NULL when none is known
 * @outside_ledger: printed outside the daemon: not in the chart ledger
 * @first_scanned_at: when its first page came back (UTC seconds)
 *
 * A printed chart at least one page of which has come back, as its codes describe it.
 */
typedef struct
{
  char    *chart_id;
  gint64   patient_id;
  char    *nhs_number;
  char    *hospital_number;
  char    *ward_id;
  guint64  snapshot_seq;
  gint64   snapshot_at;
  gint64   printed_at;
  int      utc_offset_min;
  char    *key_id;
  guint    n_pages;
  char    *episode_id;
  gboolean outside_ledger;
  gint64   first_scanned_at;
} WkPaperChart;

/**
 * WkPaperPage:
 * @chart_id: the chart
 * @page: the page, from 1
 * @payload: the text of its code, as scanned and verified
 * @scans: how many times it was scanned (more than 1: returned twice)
 * @first_scanned_at: when it first came back (UTC seconds)
 * @last_scanned_at: when it was last scanned (UTC seconds)
 * @scanned_by: (nullable): who scanned it first
 *
 * A page that came back.
 */
typedef struct
{
  char  *chart_id;
  guint  page;
  char  *payload;
  guint  scans;
  gint64 first_scanned_at;
  gint64 last_scanned_at;
  char  *scanned_by;
} WkPaperPage;

WkPaperOrder *wk_paper_order_new (void);
void          wk_paper_order_free (WkPaperOrder *order);
WkPaperChart *wk_paper_chart_new (void);
void          wk_paper_chart_free (WkPaperChart *chart);
void          wk_paper_page_free (WkPaperPage *page);

gboolean      wk_paper_chart_record_page (WkModel            *model,
                                          const WkPaperChart *chart,
                                          guint               page,
                                          const char         *payload,
                                          GPtrArray          *orders,
                                          gint64              at,
                                          const char         *who,
                                          guint              *scans,
                                          GError            **error);
WkPaperChart *wk_paper_chart_load (WkModel *model, const char *chart_id, GError **error);
GPtrArray    *wk_paper_chart_load_all (WkModel *model, GError **error);
GPtrArray    *wk_paper_chart_load_pages (WkModel *model, const char *chart_id, GError **error);
GPtrArray    *wk_paper_chart_load_orders (WkModel *model, const char *chart_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPaperOrder, wk_paper_order_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPaperChart, wk_paper_chart_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPaperPage, wk_paper_page_free)

G_END_DECLS
