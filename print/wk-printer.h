/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-printer.h — a place documents go: a CUPS queue or IPP printer, or a PDF folder. */

#pragma once

#include "wk-config.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkPrinter:
 *
 * One configured printer behind a small backend vtable: CUPS (a queue of a CUPS
 * scheduler, or an `ipp://` / `ipps://` printer addressed directly) or a PDF folder
 * (each document written as a 0600 file into a folder: the one backend that puts
 * patient data on disk, for `--pdf` and for machines without a printer).
 *
 * The plain functions block (they talk to CUPS or the disk) and are for worker threads;
 * a main loop or GTK thread uses the `_async` variants, which run them in a GTask
 * thread. One #WkPrinter may be used from several threads: calls are serialised.
 */
typedef struct _WkPrinter WkPrinter;

/**
 * WkPrinterState:
 * @WK_PRINTER_STATE_IDLE: ready
 * @WK_PRINTER_STATE_PROCESSING: printing
 * @WK_PRINTER_STATE_STOPPED: stopped: nothing prints until someone starts it again
 * @WK_PRINTER_STATE_UNREACHABLE: the printer (or the CUPS server) does not answer
 */
typedef enum
{
  WK_PRINTER_STATE_IDLE,
  WK_PRINTER_STATE_PROCESSING,
  WK_PRINTER_STATE_STOPPED,
  WK_PRINTER_STATE_UNREACHABLE,
} WkPrinterState;

/**
 * WkPrinterStatus:
 * @state: the printer's state
 * @accepting: whether it takes new jobs
 * @reasons: (array zero-terminated=1): the raw `printer-state-reasons` ("media-empty-error"),
 *   without "none"
 * @message: (nullable): `printer-state-message` as the printer or CUPS wrote it
 * @summary: the state in words ward staff understand: "Ready", "Printing",
 *   "Out of paper", "Not responding: ...", "Stopped", "Not accepting jobs", ...
 * @problem: whether something stops or may soon stop printing (an error reason, stopped,
 *   not accepting, unreachable)
 *
 * What a printer says about itself.
 */
typedef struct
{
  WkPrinterState state;
  gboolean       accepting;
  GStrv          reasons;
  char          *message;
  char          *summary;
  gboolean       problem;
} WkPrinterStatus;

/**
 * WkJobState:
 * @WK_JOB_STATE_PENDING: waiting to print
 * @WK_JOB_STATE_HELD: held (for a retry, or by someone)
 * @WK_JOB_STATE_PROCESSING: printing
 * @WK_JOB_STATE_STOPPED: waiting on a stopped printer
 * @WK_JOB_STATE_CANCELED: canceled (by a person, or by the printer)
 * @WK_JOB_STATE_ABORTED: aborted by the system or the printer
 * @WK_JOB_STATE_COMPLETED: printed
 *
 * A job's state, as IPP numbers it; the last three are final.
 */
typedef enum
{
  WK_JOB_STATE_PENDING = 3,
  WK_JOB_STATE_HELD = 4,
  WK_JOB_STATE_PROCESSING = 5,
  WK_JOB_STATE_STOPPED = 6,
  WK_JOB_STATE_CANCELED = 7,
  WK_JOB_STATE_ABORTED = 8,
  WK_JOB_STATE_COMPLETED = 9,
} WkJobState;

/**
 * WkJobStatus:
 * @state: the job's state
 * @reasons: (array zero-terminated=1): the raw `job-state-reasons`, without "none"
 * @message: (nullable): what the printer or CUPS said about it
 *   (`job-printer-state-message`)
 *
 * What a printer says about one job.
 */
typedef struct
{
  WkJobState state;
  GStrv      reasons;
  char      *message;
} WkJobStatus;

/**
 * WkPrinterDuplex:
 * @WK_PRINTER_DUPLEX_ONE_SIDED: one-sided
 * @WK_PRINTER_DUPLEX_LONG_EDGE: both sides, turned on the long edge (portrait pages)
 * @WK_PRINTER_DUPLEX_SHORT_EDGE: both sides, turned on the short edge
 */
typedef enum
{
  WK_PRINTER_DUPLEX_ONE_SIDED,
  WK_PRINTER_DUPLEX_LONG_EDGE,
  WK_PRINTER_DUPLEX_SHORT_EDGE,
} WkPrinterDuplex;

/**
 * WkPrinterSettings:
 * @media: (nullable): the paper size as CUPS names it ("A4", "iso_a4_210x297mm")
 * @duplex: one- or two-sided
 * @mono: print in black and white
 * @server: (nullable): for a queue name: the CUPS scheduler, "host:port" or a socket
 *   path; %NULL for libcups's default (client.conf, `CUPS_SERVER`, the local socket)
 * @connect_timeout_ms: how long connecting to, or waiting on an answer from, the printer
 *   or server may take
 * @failover_after_ms: how long the printer may make no progress on our jobs (or report a
 *   problem) before the spooler gives the rest to the next printer
 * @retries: how many more times a refused or failed submission is tried
 *
 * How documents are printed on one printer (the `[printer NAME]` settings).
 */
typedef struct
{
  const char     *media;
  WkPrinterDuplex duplex;
  gboolean        mono;
  const char     *server;
  gint64          connect_timeout_ms;
  gint64          failover_after_ms;
  guint           retries;
} WkPrinterSettings;

void wk_printer_settings_init (WkPrinterSettings *settings);

WkPrinter *wk_printer_new (const char              *name,
                           const char              *uri,
                           const WkPrinterSettings *settings,
                           GError                 **error);
WkPrinter *wk_printer_new_folder (const char *name, const char *folder, GError **error);
WkPrinter *wk_printer_new_from_config (WkConfig *config, const char *name, GError **error);
GPtrArray *wk_printer_list_from_config (WkConfig *config, GError **error);
WkPrinter *wk_printer_ref (WkPrinter *printer);
void       wk_printer_unref (WkPrinter *printer);

const char              *wk_printer_get_name (WkPrinter *printer);
const char              *wk_printer_get_uri (WkPrinter *printer);
const char              *wk_printer_get_kind (WkPrinter *printer);
const char              *wk_printer_get_description (WkPrinter *printer);
void                     wk_printer_set_description (WkPrinter *printer, const char *description);
const WkPrinterSettings *wk_printer_get_settings (WkPrinter *printer);
gboolean                 wk_printer_spools (WkPrinter *printer);

WkPrinterStatus              *
wk_printer_get_status (WkPrinter *printer, GCancellable *cancellable, GError **error);
int          wk_printer_submit (WkPrinter    *printer,
                                const char   *job_name,
                                GBytes       *pdf,
                                GCancellable *cancellable,
                                GError      **error);
WkJobStatus *wk_printer_get_job_status (WkPrinter    *printer,
                                        int           job_id,
                                        GCancellable *cancellable,
                                        GError      **error);
gboolean
wk_printer_cancel_job (WkPrinter *printer, int job_id, GCancellable *cancellable, GError **error);
gboolean
wk_printer_purge_job (WkPrinter *printer, int job_id, GCancellable *cancellable, GError **error);

void wk_printer_get_status_async (WkPrinter          *printer,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
WkPrinterStatus      *
wk_printer_get_status_finish (WkPrinter *printer, GAsyncResult *result, GError **error);
void wk_printer_submit_async (WkPrinter          *printer,
                              const char         *job_name,
                              GBytes             *pdf,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data);
int  wk_printer_submit_finish (WkPrinter *printer, GAsyncResult *result, GError **error);
void wk_printer_get_job_status_async (WkPrinter          *printer,
                                      int                 job_id,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
WkJobStatus      *
wk_printer_get_job_status_finish (WkPrinter *printer, GAsyncResult *result, GError **error);
void wk_printer_cancel_job_async (WkPrinter          *printer,
                                  int                 job_id,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
gboolean wk_printer_cancel_job_finish (WkPrinter *printer, GAsyncResult *result, GError **error);

void        wk_printer_status_free (WkPrinterStatus *status);
void        wk_job_status_free (WkJobStatus *status);
gboolean    wk_job_state_is_final (WkJobState state);
const char *wk_job_state_to_string (WkJobState state);
const char *wk_printer_state_to_string (WkPrinterState state);
char       *wk_printer_describe_reasons (const char *const *reasons, gboolean *problem);
gboolean    wk_printer_check_job_name (const char *job_name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPrinter, wk_printer_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPrinterStatus, wk_printer_status_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkJobStatus, wk_job_status_free)

G_END_DECLS
