/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-printer-private.h — the printer backend vtable, shared inside libwk-print only. */

#pragma once

#include "wk-printer.h"

G_BEGIN_DECLS

/* One backend: every function is called with the printer's lock held, from a worker
 * thread; none is optional. */
typedef struct
{
  const char *kind;
  WkPrinterStatus *(*get_status) (WkPrinter *printer, GCancellable *cancellable, GError **error);
  int (*submit) (WkPrinter    *printer,
                 const char   *job_name,
                 GBytes       *pdf,
                 GCancellable *cancellable,
                 GError      **error);
  WkJobStatus *(*get_job_status) (WkPrinter    *printer,
                                  int           job_id,
                                  GCancellable *cancellable,
                                  GError      **error);
  /* Without @purge: cancels a job that is not final, and fails for a final one. With
   * @purge: whatever the backend keeps of the job, final or not (CUPS's spool files), is
   * deleted. */
  gboolean (*cancel_job) (
      WkPrinter *printer, int job_id, gboolean purge, GCancellable *cancellable, GError **error);
  void (*finalize) (gpointer data);
} WkPrinterBackend;

WkPrinter       *_wk_printer_new (const WkPrinterBackend  *backend,
                                  const char              *name,
                                  const char              *uri,
                                  const WkPrinterSettings *settings,
                                  gpointer                 data);
gpointer         _wk_printer_get_data (WkPrinter *printer);
void             _wk_printer_set_spools (WkPrinter *printer, gboolean spools);
WkPrinterStatus *_wk_printer_status_new (WkPrinterState state,
                                         gboolean       accepting,
                                         GStrv          reasons,
                                         const char    *message);
WkPrinter       *_wk_printer_new_cups (const char              *name,
                                       const char              *uri,
                                       const WkPrinterSettings *settings,
                                       GError                 **error);

G_END_DECLS
