/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-mllp-framer.c — libFuzzer target for MLLP framing: whatever bytes arrive, in
 * whatever pieces, the framer finds the same frames, holds no more than the maximum
 * frame size, and never hands out a frame with a framing byte inside. */

#include "wk-mllp-framer.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_FRAME 2048

/* Every event as text ("F:<hex of frame>", "O:<size>", "D:<size>", "G"), for comparing
 * two runs over the same bytes cut differently. */
static GPtrArray *
run (const guint8 *data, gsize size, guint seed)
{
  g_autoptr (WkMllpFramer) framer = wk_mllp_framer_new (MAX_FRAME);
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  GRand     *rand = g_rand_new_with_seed (seed);
  gsize      pos = 0;

  while (pos < size)
    {
      gsize piece = (gsize)g_rand_int_range (rand, 1, 64); /* not inside MIN (): evaluated twice */
      gsize chunk = seed == 0 ? size - pos : MIN (size - pos, piece);
      gsize taken = 0;

      while (taken < chunk)
        {
          WkMllpFramerEvent event;
          gsize         n = wk_mllp_framer_push (framer, data + pos + taken, chunk - taken, &event);
          gsize         frame_size = 0;
          const guint8 *frame = wk_mllp_framer_get_frame (framer, &frame_size);

          g_assert_cmpuint (wk_mllp_framer_get_buffered (framer), <=, MAX_FRAME);
          g_assert_true (n > 0 || event != WK_MLLP_FRAMER_NONE);
          taken += n;
          switch (event)
            {
            case WK_MLLP_FRAMER_NONE:
              break;
            case WK_MLLP_FRAMER_FRAME:
              g_assert_cmpuint (frame_size, <=, MAX_FRAME);
              g_assert_null (memchr (frame, 0x0b, frame_size));
              g_assert_null (memchr (frame, 0x1c, frame_size));
              {
                GString *text = g_string_new ("F:");

                for (gsize i = 0; i < frame_size; i++)
                  g_string_append_printf (text, "%02x", frame[i]);
                g_ptr_array_add (events, g_string_free (text, FALSE));
              }
              break;
            case WK_MLLP_FRAMER_OVERSIZED:
              g_assert_cmpuint (frame_size, <=, WK_MLLP_HEAD_SIZE);
              g_assert_cmpuint (wk_mllp_framer_get_frame_size (framer), >, MAX_FRAME);
              g_ptr_array_add (events,
                               g_strdup_printf ("O:%zu", wk_mllp_framer_get_frame_size (framer)));
              break;
            case WK_MLLP_FRAMER_DROPPED:
              g_assert_nonnull (wk_mllp_framer_get_problem (framer));
              g_ptr_array_add (events,
                               g_strdup_printf ("D:%zu", wk_mllp_framer_get_frame_size (framer)));
              break;
            case WK_MLLP_FRAMER_GARBAGE:
              /* Runs of garbage may be split differently by chunking; not compared. */
              break;
            }
        }
      pos += chunk;
    }
  g_ptr_array_add (events, g_strdup_printf ("G:%" G_GUINT64_FORMAT " in-frame:%d",
                                            wk_mllp_framer_get_garbage_bytes (framer),
                                            wk_mllp_framer_is_in_frame (framer)));
  g_rand_free (rand);
  return events;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) whole = run (data, size, 0);
  g_autoptr (GPtrArray) pieces = run (data, size, 1 + (size > 0 ? data[0] : 0));

  g_assert_cmpuint (whole->len, ==, pieces->len);
  for (guint i = 0; i < whole->len; i++)
    g_assert_cmpstr (whole->pdata[i], ==, pieces->pdata[i]);
  return 0;
}
