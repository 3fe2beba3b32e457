/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-settings.h — the [reconcile] settings: trusted kiosk keys, reasons, export. */

#pragma once

#include "wk-config.h"
#include "wk-keys.h"

#include <glib.h>

G_BEGIN_DECLS

/** The not-given codes when `[reconcile] not-given-reasons` is not set. */
#define WK_RECONCILE_DEFAULT_REASONS                                                               \
  "1=Patient refused;2=Nil by mouth;3=Medicine not available;4=Patient off the ward;"              \
  "5=Unable to give (no access or route);6=Withheld on clinical grounds;7=Patient asleep;"         \
  "8=Other (see the notes)"

/**
 * WkNotGivenReason:
 * @code: what staff write in the box ("1", "R")
 * @text: what it means ("Patient refused")
 *
 * A code a chart's box may hold when a dose was not given.
 */
typedef struct
{
  char *code;
  char *text;
} WkNotGivenReason;

/**
 * WkReconcileSettings:
 * @ward_id: the ward (`[ward] id`)
 * @timezone: the ward's time zone (`[ward] timezone`)
 * @grid_hours: the hours a chart's grid covers (`[chart] grid-hours`)
 * @trusted_keys: the public keys whose charts are accepted, %WK_KEYS_PUBLIC_KEY_SIZE
 *   bytes each
 * @n_trusted: how many
 * @reasons: (element-type WkNotGivenReason): the not-given codes, in the order written
 * @refused_code: the code meaning the patient refused (sent as RXA-20 `RE`)
 * @export_address: (nullable): the interface engine's host:port for RAS^O17, %NULL
 *   when HL7 export is not configured
 * @export_tls: whether to connect with TLS
 * @export_ca_file: (nullable): a PEM file of the certificate authorities to trust
 * @export_timeout_ms: how long to wait for an acknowledgement
 * @export_retries: how many times a message is sent again after no or a negative answer
 * @export_retry_delay_ms: the wait before sending again
 * @receiving_application: MSH-5 of exported messages
 * @receiving_facility: (nullable): MSH-6 of exported messages
 * @nhs_number_type: PID-3.5 of the NHS number (`[hl7] nhs-number-type`)
 * @nhs_number_authority: PID-3.4 of the NHS number; "NHS" when the feed accepts any
 * @hospital_number_type: PID-3.5 of the hospital number
 * @hospital_number_authority: (nullable): PID-3.4 of the hospital number; %NULL when the
 *   feed accepts any
 *
 * What reconciliation needs from the configuration, checked.
 */
typedef struct
{
  char      *ward_id;
  char      *timezone;
  int        grid_hours;
  guint8    *trusted_keys;
  gsize      n_trusted;
  GPtrArray *reasons;
  char      *refused_code;
  char      *export_address;
  gboolean   export_tls;
  char      *export_ca_file;
  guint      export_timeout_ms;
  guint      export_retries;
  guint      export_retry_delay_ms;
  char      *receiving_application;
  char      *receiving_facility;
  char      *nhs_number_type;
  char      *nhs_number_authority;
  char      *hospital_number_type;
  char      *hospital_number_authority;
} WkReconcileSettings;

WkReconcileSettings *wk_reconcile_settings_new (WkConfig *config, WkKeys *own_keys, GError **error);
void                 wk_reconcile_settings_free (WkReconcileSettings *settings);
const WkNotGivenReason *wk_reconcile_settings_find_reason (const WkReconcileSettings *settings,
                                                           const char                *code);

gboolean   wk_reconcile_parse_trusted_keys (const char *text, GByteArray *keys, GError **error);
GPtrArray *wk_reconcile_parse_reasons (const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkReconcileSettings, wk_reconcile_settings_free)

G_END_DECLS
