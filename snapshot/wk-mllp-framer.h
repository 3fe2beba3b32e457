/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-framer.h — MLLP framing (0x0B message 0x1C 0x0D) over a byte stream, bounded. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** How much of an oversized frame is kept for its refusal: enough for the MSH segment. */
#define WK_MLLP_HEAD_SIZE 1024

/**
 * WkMllpFramerEvent:
 * @WK_MLLP_FRAMER_NONE: every byte given was taken; nothing to report
 * @WK_MLLP_FRAMER_FRAME: a complete frame: wk_mllp_framer_get_frame()
 * @WK_MLLP_FRAMER_OVERSIZED: a frame larger than the maximum ended; only its head
 *   (at most %WK_MLLP_HEAD_SIZE bytes) was kept: wk_mllp_framer_get_frame() gives the head,
 *   wk_mllp_framer_get_frame_size() the whole length
 * @WK_MLLP_FRAMER_DROPPED: a frame was dropped: a new start byte came before its end, or
 *   its end byte 0x1C was not followed by 0x0D; wk_mllp_framer_get_problem() says which
 * @WK_MLLP_FRAMER_GARBAGE: bytes outside any frame began (once per run of them; line
 *   ends between frames are not garbage)
 */
typedef enum
{
  WK_MLLP_FRAMER_NONE,
  WK_MLLP_FRAMER_FRAME,
  WK_MLLP_FRAMER_OVERSIZED,
  WK_MLLP_FRAMER_DROPPED,
  WK_MLLP_FRAMER_GARBAGE,
} WkMllpFramerEvent;

/**
 * WkMllpFramer:
 *
 * Finds MLLP frames in a byte stream fed to it in pieces of any size. It holds at most
 * one frame, and never more than the maximum frame size: an oversized frame is read to
 * its end keeping only its head. Bytes between frames are dropped and counted.
 */
typedef struct _WkMllpFramer WkMllpFramer;

WkMllpFramer *wk_mllp_framer_new (gsize max_frame_size);
void          wk_mllp_framer_free (WkMllpFramer *framer);
void          wk_mllp_framer_set_max_frame_size (WkMllpFramer *framer, gsize max_frame_size);
gsize         wk_mllp_framer_push (WkMllpFramer      *framer,
                                   const guint8      *data,
                                   gsize              size,
                                   WkMllpFramerEvent *event);
const guint8 *wk_mllp_framer_get_frame (WkMllpFramer *framer, gsize *size);
gsize         wk_mllp_framer_get_frame_size (WkMllpFramer *framer);
const char   *wk_mllp_framer_get_problem (WkMllpFramer *framer);
gboolean      wk_mllp_framer_is_in_frame (WkMllpFramer *framer);
gsize         wk_mllp_framer_get_buffered (WkMllpFramer *framer);
guint64       wk_mllp_framer_get_garbage_bytes (WkMllpFramer *framer);
gsize         wk_mllp_framer_reset (WkMllpFramer *framer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkMllpFramer, wk_mllp_framer_free)

G_END_DECLS
