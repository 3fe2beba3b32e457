/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-framer.c — MLLP framing (0x0B message 0x1C 0x0D) over a byte stream, bounded. */

#include "wk-mllp-framer.h"

#include <string.h>

#define MLLP_START 0x0B
#define MLLP_END 0x1C
#define MLLP_CR 0x0D

/* A frame buffer that grew beyond this is given back after its frame. */
#define FRAME_KEEP 65536

typedef enum
{
  STATE_OUTSIDE,     /* between frames: waiting for 0x0B */
  STATE_INSIDE,      /* in a frame */
  STATE_END,         /* saw 0x1C, expecting 0x0D */
  STATE_DISCARD,     /* in an oversized frame: keeping its head only */
  STATE_DISCARD_END, /* saw 0x1C at the end of an oversized frame */
} State;

struct _WkMllpFramer
{
  gsize       max_frame_size;
  State       state;
  GByteArray *frame;      /* the frame so far, or the head of an oversized one */
  gsize       frame_size; /* its whole length, also of an oversized one */
  gboolean    reported;   /* the last event's frame is still held, until the next push */
  gboolean    in_garbage;
  guint64     garbage_bytes;
  const char *problem;
};

/**
 * wk_mllp_framer_new:
 * @max_frame_size: the largest message taken, in bytes (at least %WK_MLLP_HEAD_SIZE)
 *
 * Returns: (transfer full): a framer, between frames
 */
WkMllpFramer *
wk_mllp_framer_new (gsize max_frame_size)
{
  WkMllpFramer *framer = g_new0 (WkMllpFramer, 1);

  g_return_val_if_fail (max_frame_size >= WK_MLLP_HEAD_SIZE, NULL);

  framer->max_frame_size = max_frame_size;
  framer->frame = g_byte_array_sized_new (1024);
  return framer;
}

/**
 * wk_mllp_framer_free:
 * @framer: (nullable) (transfer full): a #WkMllpFramer
 */
void
wk_mllp_framer_free (WkMllpFramer *framer)
{
  if (framer == NULL)
    return;
  g_byte_array_unref (framer->frame);
  g_free (framer);
}

/**
 * wk_mllp_framer_set_max_frame_size:
 * @framer: a #WkMllpFramer
 * @max_frame_size: the largest message taken (at least %WK_MLLP_HEAD_SIZE); applies from
 *   the next frame
 */
void
wk_mllp_framer_set_max_frame_size (WkMllpFramer *framer, gsize max_frame_size)
{
  g_return_if_fail (framer != NULL);
  g_return_if_fail (max_frame_size >= WK_MLLP_HEAD_SIZE);

  framer->max_frame_size = max_frame_size;
}

/* Forgets the frame and gives back a buffer that grew large for it. */
static void
clear_frame (WkMllpFramer *framer)
{
  if (framer->frame->len > FRAME_KEEP)
    {
      g_byte_array_unref (framer->frame);
      framer->frame = g_byte_array_sized_new (1024);
    }
  else
    g_byte_array_set_size (framer->frame, 0);
  framer->frame_size = 0;
  framer->reported = FALSE;
}

/* Appends message bytes, keeping only the head once the frame is too large. */
static void
append (WkMllpFramer *framer, const guint8 *data, gsize n)
{
  if (framer->state == STATE_INSIDE && framer->frame_size + n > framer->max_frame_size)
    {
      gsize keep = framer->frame->len < WK_MLLP_HEAD_SIZE
                       ? MIN (WK_MLLP_HEAD_SIZE - framer->frame->len, n)
                       : 0;

      g_byte_array_append (framer->frame, data, keep);
      g_byte_array_set_size (framer->frame, MIN (framer->frame->len, WK_MLLP_HEAD_SIZE));
      framer->state = STATE_DISCARD;
    }
  else if (framer->state == STATE_INSIDE)
    g_byte_array_append (framer->frame, data, n);
  framer->frame_size += n;
}

/**
 * wk_mllp_framer_push:
 * @framer: a #WkMllpFramer
 * @data: the next bytes of the stream
 * @size: how many
 * @event: (out): what the bytes taken ended with
 *
 * Takes bytes until the end of a frame or another event, or until @data is used up.
 * The frame of an event stays readable until the next call.
 *
 * Returns: how many bytes of @data were taken; call again with the rest
 */
gsize
wk_mllp_framer_push (WkMllpFramer *framer, const guint8 *data, gsize size, WkMllpFramerEvent *event)
{
  gsize pos = 0;

  g_return_val_if_fail (framer != NULL && event != NULL, 0);

  *event = WK_MLLP_FRAMER_NONE;
  if (framer->reported)
    clear_frame (framer);
  while (pos < size)
    {
      guint8 b = data[pos];

      switch (framer->state)
        {
        case STATE_OUTSIDE:
          pos++;
          if (b == MLLP_START)
            {
              framer->state = STATE_INSIDE;
              framer->in_garbage = FALSE;
            }
          else if (b != '\r' && b != '\n')
            {
              framer->garbage_bytes++;
              if (!framer->in_garbage)
                {
                  framer->in_garbage = TRUE;
                  *event = WK_MLLP_FRAMER_GARBAGE;
                  return pos;
                }
            }
          break;

        case STATE_INSIDE:
        case STATE_DISCARD:
          {
            gsize n = 0;

            /* The run of message bytes up to the next framing byte, in one go. */
            while (pos + n < size && data[pos + n] != MLLP_END && data[pos + n] != MLLP_START)
              n++;
            if (n > 0)
              {
                append (framer, data + pos, n);
                pos += n;
                break;
              }
            pos++;
            if (b == MLLP_END)
              framer->state = framer->state == STATE_INSIDE ? STATE_END : STATE_DISCARD_END;
            else
              {
                /* Report the cut frame; the start byte taken begins the next one. */
                framer->problem = "a new frame (0x0B) began before it ended (0x1C 0x0D)";
                framer->state = STATE_INSIDE;
                framer->reported = TRUE;
                *event = WK_MLLP_FRAMER_DROPPED;
                /* The next push clears the cut frame, then goes on inside the new one. */
                return pos;
              }
            break;
          }

        case STATE_END:
        case STATE_DISCARD_END:
          framer->reported = TRUE;
          if (b == MLLP_CR)
            {
              pos++;
              *event = framer->state == STATE_END ? WK_MLLP_FRAMER_FRAME : WK_MLLP_FRAMER_OVERSIZED;
            }
          else
            {
              /* Not taken: a 0x0B here starts the next frame. */
              framer->problem = "its end byte 0x1C was not followed by 0x0D";
              *event = WK_MLLP_FRAMER_DROPPED;
            }
          framer->state = STATE_OUTSIDE;
          return pos;
        }
    }
  return pos;
}

/**
 * wk_mllp_framer_get_frame:
 * @framer: a #WkMllpFramer
 * @size: (out): the length of what is returned
 *
 * Returns: (transfer none): after %WK_MLLP_FRAMER_FRAME the message, after
 *   %WK_MLLP_FRAMER_OVERSIZED its head, after %WK_MLLP_FRAMER_DROPPED what was kept of it;
 *   valid until the next wk_mllp_framer_push()
 */
const guint8 *
wk_mllp_framer_get_frame (WkMllpFramer *framer, gsize *size)
{
  *size = framer->frame->len;
  return framer->frame->data;
}

/**
 * wk_mllp_framer_get_frame_size:
 * @framer: a #WkMllpFramer
 *
 * Returns: the whole length of the frame reported (or in progress), oversized or not
 */
gsize
wk_mllp_framer_get_frame_size (WkMllpFramer *framer)
{
  return framer->frame_size;
}

/**
 * wk_mllp_framer_get_problem:
 * @framer: a #WkMllpFramer
 *
 * Returns: why the last %WK_MLLP_FRAMER_DROPPED frame was dropped
 */
const char *
wk_mllp_framer_get_problem (WkMllpFramer *framer)
{
  return framer->problem;
}

/**
 * wk_mllp_framer_is_in_frame:
 * @framer: a #WkMllpFramer
 *
 * Returns: whether a frame has begun and not ended
 */
gboolean
wk_mllp_framer_is_in_frame (WkMllpFramer *framer)
{
  return framer->state != STATE_OUTSIDE && !framer->reported;
}

/**
 * wk_mllp_framer_get_buffered:
 * @framer: a #WkMllpFramer
 *
 * Returns: the bytes held: never more than the maximum frame size
 */
gsize
wk_mllp_framer_get_buffered (WkMllpFramer *framer)
{
  return framer->frame->len;
}

/**
 * wk_mllp_framer_get_garbage_bytes:
 * @framer: a #WkMllpFramer
 *
 * Returns: how many bytes outside any frame were dropped
 */
guint64
wk_mllp_framer_get_garbage_bytes (WkMllpFramer *framer)
{
  return framer->garbage_bytes;
}

/**
 * wk_mllp_framer_reset:
 * @framer: a #WkMllpFramer
 *
 * Drops a frame in progress (when its connection ends).
 *
 * Returns: the length of the frame dropped, 0 when none was in progress
 */
gsize
wk_mllp_framer_reset (WkMllpFramer *framer)
{
  gsize dropped = wk_mllp_framer_is_in_frame (framer) ? framer->frame_size : 0;

  clear_frame (framer);
  framer->state = STATE_OUTSIDE;
  return dropped;
}
