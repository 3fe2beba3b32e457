/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-snapshot-error.h — the error domain of libwk-snapshot. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WK_SNAPSHOT_ERROR (wk_snapshot_error_quark ())

/**
 * WkSnapshotError:
 * @WK_SNAPSHOT_ERROR_FAILED: anything not covered below
 * @WK_SNAPSHOT_ERROR_INVALID: a value is malformed (bad NHS number, empty drug name, ...)
 * @WK_SNAPSHOT_ERROR_CONSTRAINT: the change would break a rule of the model
 *   (two patients in one bed, a duplicate order version, ...)
 * @WK_SNAPSHOT_ERROR_NOT_FOUND: the patient, bed or order does not exist
 * @WK_SNAPSHOT_ERROR_DATABASE: SQLite failed for a reason that is not the caller's
 * @WK_SNAPSHOT_ERROR_IO: reading or writing a file failed
 * @WK_SNAPSHOT_ERROR_CORRUPT: data failed authentication or is truncated
 * @WK_SNAPSHOT_ERROR_WRONG_KEY: data was sealed under another key
 * @WK_SNAPSHOT_ERROR_UNSUPPORTED_VERSION: data or schema is newer than this program
 * @WK_SNAPSHOT_ERROR_PERMISSION: a file has unsafe permissions or cannot be accessed
 * @WK_SNAPSHOT_ERROR_CONFIG: the configuration is wrong
 * @WK_SNAPSHOT_ERROR_WRONG_WARD: a snapshot is authentic but of another ward than the
 *   kiosk's, and is never shown or printed as this ward's
 * @WK_SNAPSHOT_ERROR_HL7_SYNTAX: bytes that are not a well-formed HL7 message (bad
 *   structure, undecodable text, too large): refused with AR
 * @WK_SNAPSHOT_ERROR_HL7_UNSUPPORTED: an HL7 message type, event, version, processing id
 *   or character set that is not taken: refused with AR
 * @WK_SNAPSHOT_ERROR_HL7_MISSING: an HL7 message lacks a value it needs: refused with AE
 * @WK_SNAPSHOT_ERROR_HL7_NACK: a system we sent an HL7 message to refused it (AR, or AE
 *   after the retries) or never acknowledged it
 *
 * Error codes of %WK_SNAPSHOT_ERROR. Messages never carry patient identifiers: they
 * name model ids (patient #12) so that they can be logged.
 */
typedef enum
{
  WK_SNAPSHOT_ERROR_FAILED,
  WK_SNAPSHOT_ERROR_INVALID,
  WK_SNAPSHOT_ERROR_CONSTRAINT,
  WK_SNAPSHOT_ERROR_NOT_FOUND,
  WK_SNAPSHOT_ERROR_DATABASE,
  WK_SNAPSHOT_ERROR_IO,
  WK_SNAPSHOT_ERROR_CORRUPT,
  WK_SNAPSHOT_ERROR_WRONG_KEY,
  WK_SNAPSHOT_ERROR_UNSUPPORTED_VERSION,
  WK_SNAPSHOT_ERROR_PERMISSION,
  WK_SNAPSHOT_ERROR_CONFIG,
  WK_SNAPSHOT_ERROR_WRONG_WARD,
  WK_SNAPSHOT_ERROR_HL7_SYNTAX,
  WK_SNAPSHOT_ERROR_HL7_UNSUPPORTED,
  WK_SNAPSHOT_ERROR_HL7_MISSING,
  WK_SNAPSHOT_ERROR_HL7_NACK,
} WkSnapshotError;

GQuark wk_snapshot_error_quark (void);

G_END_DECLS
