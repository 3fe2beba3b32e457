/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-print-error.h — the error domain of libwk-print. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WK_PRINT_ERROR (wk_print_error_quark ())

/**
 * WkPrintError:
 * @WK_PRINT_ERROR_FAILED: anything not covered below
 * @WK_PRINT_ERROR_INVALID: the input (a QR payload, a chart request) is malformed
 * @WK_PRINT_ERROR_SIGNATURE: a signature does not verify (the data was changed)
 * @WK_PRINT_ERROR_RENDER: a page could not be laid out or written
 * @WK_PRINT_ERROR_PRINTER: the printer or CUPS refused or failed the job
 * @WK_PRINT_ERROR_FOREIGN: a scanned code is not a wardkeep chart code at all
 * @WK_PRINT_ERROR_TRUNCATED: a chart code is shorter than it says it is (cut off)
 * @WK_PRINT_ERROR_UNSUPPORTED_VERSION: a chart code is of a format version this
 *   program does not read
 * @WK_PRINT_ERROR_UNKNOWN_KEY: a chart code was signed by a key that is not trusted
 * @WK_PRINT_ERROR_UNREACHABLE: the printer or the CUPS server does not answer
 * @WK_PRINT_ERROR_NOT_ACCEPTING: the printer is stopped or refuses new jobs
 * @WK_PRINT_ERROR_DRILL: a chart code is genuine but was printed in a drill: it is not a
 *   clinical record
 *
 * Error codes of %WK_PRINT_ERROR.
 */
typedef enum
{
  WK_PRINT_ERROR_FAILED,
  WK_PRINT_ERROR_INVALID,
  WK_PRINT_ERROR_SIGNATURE,
  WK_PRINT_ERROR_RENDER,
  WK_PRINT_ERROR_PRINTER,
  WK_PRINT_ERROR_FOREIGN,
  WK_PRINT_ERROR_TRUNCATED,
  WK_PRINT_ERROR_UNSUPPORTED_VERSION,
  WK_PRINT_ERROR_UNKNOWN_KEY,
  WK_PRINT_ERROR_UNREACHABLE,
  WK_PRINT_ERROR_NOT_ACCEPTING,
  WK_PRINT_ERROR_DRILL,
} WkPrintError;

GQuark wk_print_error_quark (void);

G_END_DECLS
