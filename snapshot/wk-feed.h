/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-feed.h — applies the hospital's HL7 v2 feed to the ward model and acknowledges it. */

#pragma once

#include "wk-config.h"
#include "wk-model.h"

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkFeed:
 *
 * Follows the HL7 feed described in the README ("The HL7 feed"): each message of an
 * MLLP payload is checked, applied to the model in one transaction (all or nothing) and
 * acknowledged: `AA` when applied (or when it is a repeat, or stale, or not for an
 * accepted ward, which change nothing), `AE` when its content cannot be applied safely,
 * `AR` when it is not taken at all. Refusals carry an ERR segment saying what was wrong
 * and where (segment and field), never a patient identifier; they change nothing.
 *
 * A feed is used on one thread (the daemon's main loop): applying is in memory and does
 * no blocking I/O.
 */
typedef struct _WkFeed WkFeed;

/**
 * WkFeedHealth:
 * @last_message_at: when the last message arrived (UTC microseconds), 0 for none yet
 * @messages_per_minute: how many messages arrived in the last 60 seconds
 * @last_error: (nullable): the text of the last AE or AR (no patient data), owned by the
 *   feed and valid until its next wk_feed_handle()
 * @last_error_at: when it was given (UTC microseconds), 0 for none
 * @n_aa: messages acknowledged with AA (including the next three)
 * @n_ae: messages refused with AE
 * @n_ar: messages (or payloads) refused with AR
 * @n_duplicates: repeats of a message already applied, acknowledged again
 * @n_stale: messages older than what the model has, acknowledged and not applied
 * @n_ignored: messages about wards this kiosk does not keep, acknowledged
 *
 * How the feed is doing, for the daemon's status and the kiosk.
 */
typedef struct
{
  gint64      last_message_at;
  double      messages_per_minute;
  const char *last_error;
  gint64      last_error_at;
  guint64     n_aa;
  guint64     n_ae;
  guint64     n_ar;
  guint64     n_duplicates;
  guint64     n_stale;
  guint64     n_ignored;
} WkFeedHealth;

/**
 * WkFeedClockFunc:
 * @user_data: the data given to wk_feed_set_clock()
 *
 * Returns: the time now, in UTC microseconds
 */
typedef gint64 (*WkFeedClockFunc) (gpointer user_data);

WkFeed *wk_feed_new (WkModel *model, WkConfig *config, GError **error);
void    wk_feed_free (WkFeed *feed);
GBytes *wk_feed_handle (WkFeed *feed, const guint8 *data, gsize size);
void    wk_feed_get_health (WkFeed *feed, WkFeedHealth *health);
void    wk_feed_set_clock (WkFeed *feed, WkFeedClockFunc func, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkFeed, wk_feed_free)

G_END_DECLS
