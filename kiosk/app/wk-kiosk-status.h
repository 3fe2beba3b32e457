/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-status.h — what the banner shows: the daemon's status, read from its JSON. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * WkKioskMode:
 * @WK_KIOSK_MODE_UNKNOWN: the daemon is not running or cannot be reached
 * @WK_KIOSK_MODE_ONLINE: the central systems answer
 * @WK_KIOSK_MODE_SUSPECT: they stopped answering; not yet a downtime
 * @WK_KIOSK_MODE_DOWNTIME: the ward is on paper
 * @WK_KIOSK_MODE_RECOVERING: they answer again; still on paper
 * @WK_KIOSK_MODE_DRILL: a drill is on
 */
typedef enum
{
  WK_KIOSK_MODE_UNKNOWN,
  WK_KIOSK_MODE_ONLINE,
  WK_KIOSK_MODE_SUSPECT,
  WK_KIOSK_MODE_DOWNTIME,
  WK_KIOSK_MODE_RECOVERING,
  WK_KIOSK_MODE_DRILL,
} WkKioskMode;

/**
 * WkKioskPrinter:
 * @name: the printer's name in the configuration (`[printer NAME]`)
 * @description: (nullable): where it is, in words
 * @state: `idle`, `processing`, `stopped`, `unreachable` (or %NULL: not known yet)
 * @accepting: whether it takes jobs
 * @summary: (nullable): its state in words ("Out of paper")
 * @problem: whether it needs attention
 */
typedef struct
{
  char    *name;
  char    *description;
  char    *state;
  gboolean accepting;
  char    *summary;
  gboolean problem;
} WkKioskPrinter;

/**
 * WkKioskStatus:
 * @daemon: whether this status came from a running daemon
 * @mode: the mode the banner shows
 * @real_mode: during a drill, what the real monitor says
 * @since: when @mode began (UTC seconds), 0 when not known
 * @reason: (nullable): why, in words
 * @episode_kind: (nullable): `outage`, `manual`, `planned` or `drill`
 * @episode_printed: whether the ward's automatic print of this episode is done
 * @drill_scenario: (nullable): the drill's scenario
 * @snapshot_seq: the daemon's newest good snapshot, 0 for none
 * @snapshot_created_at: its time (UTC seconds)
 * @snapshot_error: (nullable): why the last snapshot write failed
 * @feed_last_message_at: when the last HL7 message came (UTC seconds), 0 for never
 * @feed_silent: whether the feed has been silent past the warning time
 * @feed_connections: how many feed connections are open
 * @feed_error: (nullable): the feed's last error
 * @printers: (element-type WkKioskPrinter): the printers in failover order
 * @warnings: (array zero-terminated=1): sentences for the banner
 * @print_what: (nullable): the latest print: `ward`, `census` or `chart`
 * @print_documents: its documents
 * @print_completed: how many printed
 * @print_failed: how many failed
 * @print_finished: whether it is over
 *
 * The status the kiosk shows, from the daemon's `status` answer and events (README
 * "Status and control"), or made up locally when the daemon is not running.
 */
typedef struct
{
  gboolean    daemon;
  WkKioskMode mode;
  WkKioskMode real_mode;
  gint64      since;
  char       *reason;
  char       *episode_kind;
  gboolean    episode_printed;
  char       *drill_scenario;
  guint64     snapshot_seq;
  gint64      snapshot_created_at;
  char       *snapshot_error;
  gint64      feed_last_message_at;
  gboolean    feed_silent;
  gint64      feed_connections;
  char       *feed_error;
  GPtrArray  *printers;
  GStrv       warnings;
  char       *print_what;
  gint64      print_documents;
  gint64      print_completed;
  gint64      print_failed;
  gboolean    print_finished;
} WkKioskStatus;

#define WK_TYPE_KIOSK_STATUS (wk_kiosk_status_get_type ())
GType           wk_kiosk_status_get_type (void);
WkKioskStatus  *wk_kiosk_status_new_offline (GPtrArray *printers);
WkKioskStatus  *wk_kiosk_status_new_from_json (JsonNode *node, GError **error);
WkKioskStatus  *wk_kiosk_status_copy (const WkKioskStatus *status);
void            wk_kiosk_status_free (WkKioskStatus *status);
WkKioskPrinter *wk_kiosk_printer_new (const char *name, const char *description);
WkKioskPrinter *wk_kiosk_printer_copy (const WkKioskPrinter *printer);
void            wk_kiosk_printer_free (WkKioskPrinter *printer);
const char     *wk_kiosk_mode_to_string (WkKioskMode mode);
WkKioskMode     wk_kiosk_mode_from_string (const char *text);
gint64          wk_kiosk_parse_time (const char *iso8601);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkKioskStatus, wk_kiosk_status_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkKioskPrinter, wk_kiosk_printer_free)

G_END_DECLS
