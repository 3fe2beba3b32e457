/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-cups.h — a private cupsd and ippeveprinter printers on loopback, for tests. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkTestCups:
 *
 * A private CUPS scheduler for one test: its own ServerRoot, spool, logs and a free
 * loopback port in a scratch folder, plus a private D-Bus daemon (ippeveprinter needs a
 * bus for DNS-SD). Nothing is shared with other tests running at the same time: no fixed
 * port, no fixed path, no environment variable set in the test process (tools like
 * lpadmin are told the server with `-h`). Every process it starts is killed when it is
 * freed, and dies with the test process if the test aborts (PR_SET_PDEATHSIG).
 */
typedef struct _WkTestCups WkTestCups;

/**
 * WkTestPrinter:
 *
 * One `ippeveprinter` on a free loopback port (`-k` keeps every document it receives),
 * optionally added to the #WkTestCups as a queue (`lpadmin -m everywhere`). A document is
 * "printed" when the printer's print command ran to the end for it; the command also
 * lets a test make jobs fail, slow down, or make the printer kill itself after N
 * documents (a deterministic "printer dies mid-ward").
 */
typedef struct _WkTestPrinter WkTestPrinter;

/**
 * WkTestDocument:
 * @job_name: the job name as the printer received it (ippeveprinter lower-cases it)
 * @path: the file the printer kept
 * @printer: the printer's name
 *
 * A document a test printer printed.
 */
typedef struct
{
  char *job_name;
  char *path;
  char *printer;
} WkTestDocument;

WkTestCups    *wk_test_cups_new (void);
void           wk_test_cups_free (WkTestCups *cups);
const char    *wk_test_cups_get_server (WkTestCups *cups);
const char    *wk_test_cups_get_spool_dir (WkTestCups *cups);
const char    *wk_test_cups_get_dir (WkTestCups *cups);
WkTestPrinter *wk_test_cups_add_printer (WkTestCups *cups, const char *name, gboolean queue);
void       wk_test_cups_run_tool (WkTestCups *cups, const char *tool, ...) G_GNUC_NULL_TERMINATED;
void       wk_test_cups_disable (WkTestCups *cups, const char *queue, const char *reason);
void       wk_test_cups_enable (WkTestCups *cups, const char *queue);
void       wk_test_cups_reject (WkTestCups *cups, const char *queue, const char *reason);
void       wk_test_cups_accept (WkTestCups *cups, const char *queue);
GPtrArray *wk_test_cups_dup_spool_files (WkTestCups *cups);

const char *wk_test_printer_get_name (WkTestPrinter *printer);
const char *wk_test_printer_get_uri (WkTestPrinter *printer);
void        wk_test_printer_kill (WkTestPrinter *printer);
void        wk_test_printer_pause (WkTestPrinter *printer);
void        wk_test_printer_resume (WkTestPrinter *printer);
void        wk_test_printer_restart (WkTestPrinter *printer);
void        wk_test_printer_set_failing (WkTestPrinter *printer, gboolean failing);
void        wk_test_printer_set_kill_after (WkTestPrinter *printer, guint n_documents);
gboolean    wk_test_printer_is_running (WkTestPrinter *printer);
GPtrArray  *wk_test_printer_dup_printed (WkTestPrinter *printer);
GPtrArray  *wk_test_printer_dup_received (WkTestPrinter *printer);

void    wk_test_document_free (WkTestDocument *document);
void    wk_test_write_pdf (const char *path, const char *title, guint n_pages);
GBytes *wk_test_pdf_new (const char *title, guint n_pages);
char   *wk_test_pdf_dup_text (const char *path, guint *n_pages);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestCups, wk_test_cups_free)

G_END_DECLS
