/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-run.h — the one print path: a snapshot rendered and sent to the ward's printers. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"
#include "wk-ledger.h"
#include "wk-model.h"
#include "wk-print-spooler.h"
#include "wk-store.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WK_PRINT_DATA_AS_OF:
 *
 * The model fact (wk_model_set_meta()) holding when the ward's data was last known current,
 * UTC seconds as text: the daemon sets it to the arrival time of each HL7 message, and to
 * the snapshot's time when it loads a snapshot without it. Paper says "DATA AS OF" this time
 * when it is older than the snapshot (a snapshot written later, say for the print ledger,
 * holds no newer ward data).
 */
#define WK_PRINT_DATA_AS_OF "data_as_of"

/**
 * WkPrintRun:
 *
 * One print of the ward, the census or one patient's chart, the same for the daemon, the
 * kiosk and the command line. It takes the newest snapshot that verifies (or a model the
 * caller hands over), renders it with #WkChartRenderer in a worker thread — the census
 * first, so that it goes out at once, then the charts in ward order — and sends the
 * documents through a #WkPrintSpooler to the printers in failover order. Nothing blocks
 * the main context.
 *
 * It reports as it goes: #WkPrintRun::rendered when documents are ready to send (with
 * what each page carries, as the print ledger keeps it), then each #WkPrintEvent of the
 * spooler. Where records go is the caller's choice: with wk_print_run_set_ledger() the
 * run writes the request, each document with its pages and each job into that (live,
 * writable) model as they happen — the daemon does this; without it nothing is recorded
 * but the paper itself, whose signed QR codes are self-contained (the command line when
 * no daemon runs). With wk_print_run_set_hold() the run waits after each batch of
 * documents, before sending it, until wk_print_run_release(): the daemon uses the pause
 * to make the ledger durable first.
 */
#define WK_TYPE_PRINT_RUN (wk_print_run_get_type ())
G_DECLARE_FINAL_TYPE (WkPrintRun, wk_print_run, WK, PRINT_RUN, GObject)

WkPrintRun *wk_print_run_new (
    WkConfig *config, WkKeys *keys, GPtrArray *printers, WkLedgerWhat what, gint64 patient_id);
void wk_print_run_set_store (WkPrintRun *run, WkStore *store);
void
wk_print_run_set_model (WkPrintRun *run, WkModel *model, guint64 snapshot_seq, gint64 snapshot_at);
void     wk_print_run_set_drill (WkPrintRun *run, gboolean drill);
gboolean wk_print_run_set_first_printer (WkPrintRun *run, const char *name, GError **error);
void     wk_print_run_skip_census (WkPrintRun *run);
void     wk_print_run_skip_patient (WkPrintRun *run, gint64 patient_id);
void     wk_print_run_set_ledger (WkPrintRun *run, WkModel *model, WkLedgerRequest *request);
void     wk_print_run_set_hold (WkPrintRun *run, gboolean hold);
void     wk_print_run_release (WkPrintRun *run);
void     wk_print_run_set_poll_interval (WkPrintRun *run, guint interval_ms);

void       wk_print_run_start_async (WkPrintRun         *run,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
GPtrArray *wk_print_run_finish (WkPrintRun *run, GAsyncResult *result, GError **error);

WkLedgerWhat wk_print_run_get_what (WkPrintRun *run);
gboolean     wk_print_run_get_drill (WkPrintRun *run);
const char  *wk_print_run_get_request_id (WkPrintRun *run);
GPtrArray   *wk_print_run_get_documents (WkPrintRun *run);
guint64      wk_print_run_get_snapshot_seq (WkPrintRun *run);
gint64       wk_print_run_get_snapshot_at (WkPrintRun *run);
gboolean     wk_print_run_is_rendering (WkPrintRun *run);

gint64
wk_print_find_patient (WkModel *model, const char *ward_id, const char *text, GError **error);

G_END_DECLS
