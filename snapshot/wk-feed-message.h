/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-feed-message.h — the model's record of HL7 messages already applied, by control id. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

/** How many of the newest applied messages the model remembers. */
#define WK_FEED_MESSAGE_KEEP 50000

/**
 * WkFeedMessage:
 * @control_id: the message control id, MSH-10
 * @digest: 32 hex digits identifying the message's content (everything after MSH), so
 *   that a true repeat can be told from a control id used again for another message
 * @ack_code: the acknowledgement it was given: `AA`, `AE` or `AR`
 * @note: (nullable): the acknowledgement's text, without patient data
 * @received_at: when it was applied (UTC seconds)
 *
 * One message the feed applied. A message with a control id already recorded is
 * acknowledged again, not applied twice, even after a restart from a snapshot.
 */
typedef struct
{
  char  *control_id;
  char  *digest;
  char  *ack_code;
  char  *note;
  gint64 received_at;
} WkFeedMessage;

WkFeedMessage *wk_feed_message_new (const char *control_id,
                                    const char *digest,
                                    const char *ack_code,
                                    const char *note,
                                    gint64      received_at);
void           wk_feed_message_free (WkFeedMessage *message);
gboolean wk_feed_message_insert (WkModel *model, const WkFeedMessage *message, GError **error);
WkFeedMessage *wk_feed_message_load (WkModel *model, const char *control_id, GError **error);
gint64         wk_feed_message_count (WkModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkFeedMessage, wk_feed_message_free)

G_END_DECLS
