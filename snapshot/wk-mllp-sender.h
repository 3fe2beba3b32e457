/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-sender.h — sends HL7 messages over MLLP (optionally TLS) and checks each ACK. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkMllpAck:
 * @code: MSA-1: `AA` or `CA` (accepted), `AE`/`CE` (error), `AR`/`CR` (rejected)
 * @text: (nullable): MSA-3, else ERR-8, else ERR-3's text: the receiver's words
 * @attempts: how many times the message was sent before this answer
 *
 * The answer a message got.
 */
typedef struct
{
  char *code;
  char *text;
  guint attempts;
} WkMllpAck;

/**
 * WkMllpSender:
 *
 * A connection to an interface engine's MLLP listener (`0x0B` message `0x1C 0x0D`), plain
 * or TLS, that sends one message at a time and waits for its acknowledgement: an ACK
 * whose MSA-2 is the message's MSH-10. A message that gets no answer in time, an
 * answer that is not its ACK, a broken connection or an `AE`/`CE` is sent again after
 * the retry delay, on a new connection, up to the number of retries; an `AR`/`CR`
 * (rejected) is not sent again. Blocking: use it from a worker thread (the daemon does,
 * in a GTask), never from a main loop.
 */
typedef struct _WkMllpSender WkMllpSender;

WkMllpSender *wk_mllp_sender_new (const char *address, GError **error);
void          wk_mllp_sender_free (WkMllpSender *sender);
gboolean
wk_mllp_sender_set_tls (WkMllpSender *sender, gboolean tls, const char *ca_file, GError **error);
void        wk_mllp_sender_set_timeout (WkMllpSender *sender, guint timeout_ms);
void        wk_mllp_sender_set_retries (WkMllpSender *sender, guint retries, guint delay_ms);
const char *wk_mllp_sender_get_address (WkMllpSender *sender);
WkMllpAck  *wk_mllp_sender_send (WkMllpSender *sender,
                                 GBytes       *message,
                                 GCancellable *cancellable,
                                 GError      **error);
void        wk_mllp_sender_close (WkMllpSender *sender);
void        wk_mllp_ack_free (WkMllpAck *ack);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkMllpSender, wk_mllp_sender_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkMllpAck, wk_mllp_ack_free)

G_END_DECLS
