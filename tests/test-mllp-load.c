/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-mllp-load.c — the MLLP listener under abuse: 200 connections at once, senders
 * that send one byte at a time, oversized and unterminated frames and garbage, while
 * well-behaved peers must still be served and acknowledged, and the listener's buffered
 * bytes must stay under a bound. */

#include "wk-mllp-client.h"
#include "wk-mllp-listener.h"
#include "wk-test-mllp.h"
#include "wk-test-util.h"

#include <string.h>

#define N_SLOW 150
#define N_OVERSIZED 20
#define N_UNTERMINATED 20
#define N_GARBAGE 10
#define N_GOOD 8
#define GOOD_MESSAGES 40
#define MAX_FRAME 8192
#define OVERSIZE (MAX_FRAME * 40)
#define N_CONNECTIONS (N_SLOW + N_OVERSIZED + N_UNTERMINATED + N_GARBAGE + N_GOOD)

typedef struct
{
  guint16     port;
  GHashTable *seen; /* messages the handler took -> count */
  guint       handled;
  GError     *error;
  guint       open_while_busy;
  gsize       oversized_bytes_sent;
  guint       acks_checked;
  guint       good_sent;
  GPtrArray  *connections; /* the clients, closed by the main thread after its checks */
} Load;

static GBytes *
handler (const guint8 *message, gsize size, gpointer user_data)
{
  Load *load = user_data;
  char *text = g_strndup ((const char *)message, size);

  load->handled++;
  g_hash_table_replace (
      load->seen, text,
      GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (load->seen, text)) + 1));
  return g_bytes_new_take (g_strdup_printf ("AA|%.*s", (int)size, message), size + 3);
}

static GBytes *
refuse (const guint8 *head, gsize size, const char *reason, gpointer user_data)
{
  /* What the kiosk builds from the MSH segment: here, the control id it carries. */
  return g_bytes_new_take (g_strdup_printf ("AR|%.*s", (int)size, head), size + 3);
}

static char *
message (const char *kind, guint connection, guint n)
{
  return g_strdup_printf ("MSH|^~\\&|EPR|HOSP|WARDKEEP|7A|20260301120000||ADT^A08|%s-%u-%u|P|2.4\r"
                          "PID|1||%u^^^HOSP^MR\r",
                          kind, connection, n, connection * 1000 + n);
}

static gboolean
expect_ack (WkMllpClient *client, const char *prefix, const char *sent, Load *load)
{
  g_autoptr (GBytes) ack = wk_mllp_client_read_frame (client, &load->error);
  g_autofree char *expected = NULL;
  gsize            size = 0;
  const char      *data;

  if (ack == NULL)
    return FALSE;
  data = g_bytes_get_data (ack, &size);
  expected = g_strconcat (prefix, sent, NULL);
  if (size != strlen (expected) || memcmp (data, expected, size) != 0)
    {
      g_set_error (&load->error, G_IO_ERROR, G_IO_ERROR_FAILED, "expected ACK \"%s\", got \"%.*s\"",
                   expected, (int)size, data);
      return FALSE;
    }
  load->acks_checked++;
  return TRUE;
}

#define CHECK(x)                                                                                   \
  if (!(x))                                                                                        \
    return NULL;

static gpointer
clients (gpointer data)
{
  Load *load = data;
  g_autoptr (GPtrArray) slow = g_ptr_array_new ();
  g_autoptr (GPtrArray) slow_frames = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) abusive = g_ptr_array_new ();
  g_autoptr (GPtrArray) good = g_ptr_array_new ();
  gsize longest = 0;

  /* Every connection opened first, so that all of them are open at once. */
  for (guint i = 0; i < N_SLOW; i++)
    {
      WkMllpClient    *c = wk_mllp_client_connect ("127.0.0.1", load->port, NULL, 30, &load->error);
      g_autofree char *m = message ("slow", i, 0);

      CHECK (c != NULL);
      g_ptr_array_add (load->connections, c);
      g_ptr_array_add (slow, c);
      g_ptr_array_add (slow_frames, g_strdup_printf ("\x0b%s\x1c\x0d", m));
      longest = MAX (longest, strlen (slow_frames->pdata[i]));
    }
  for (guint i = 0; i < N_OVERSIZED + N_UNTERMINATED + N_GARBAGE; i++)
    {
      WkMllpClient *c = wk_mllp_client_connect ("127.0.0.1", load->port, NULL, 30, &load->error);

      CHECK (c != NULL);
      g_ptr_array_add (load->connections, c);
      g_ptr_array_add (abusive, c);
    }
  for (guint i = 0; i < N_GOOD; i++)
    {
      WkMllpClient *c = wk_mllp_client_connect ("127.0.0.1", load->port, NULL, 30, &load->error);

      CHECK (c != NULL);
      g_ptr_array_add (load->connections, c);
      g_ptr_array_add (good, c);
    }

  /* Unterminated frames: begun, a few KB sent, never ended while the rest goes on. */
  for (guint i = 0; i < N_UNTERMINATED; i++)
    {
      g_autofree char *m = message ("unterminated", i, 0);
      g_autofree char *partial = g_strdup_printf ("\x0b%s%0*d", m, 4000, 0);

      CHECK (wk_mllp_client_write_raw (abusive->pdata[N_OVERSIZED + i], partial, strlen (partial),
                                       &load->error));
    }

  /* Slow senders send one byte per round each; between rounds every well-behaved peer
   * exchanges a message, and the abusive ones send more abuse. */
  for (gsize round = 0; round < longest; round++)
    {
      for (guint i = 0; i < N_SLOW; i++)
        {
          const char *frame = slow_frames->pdata[i];

          if (round < strlen (frame))
            CHECK (wk_mllp_client_write_raw (slow->pdata[i], frame + round, 1, &load->error));
        }
      if (round % (longest / GOOD_MESSAGES + 1) == 0)
        for (guint i = 0; i < N_GOOD; i++)
          {
            g_autofree char *m = message ("good", i, round);

            CHECK (wk_mllp_client_send (good->pdata[i], m, strlen (m), &load->error));
            CHECK (expect_ack (good->pdata[i], "AA|", m, load));
            load->good_sent++;
          }
      if (round < N_OVERSIZED)
        {
          /* An oversized message, then a good one on the same connection. */
          WkMllpClient    *c = abusive->pdata[round];
          g_autofree char *m = message ("oversized", round, 0);
          g_autofree char *after = message ("after-oversized", round, 0);
          g_autofree char *msh = g_strndup (m, strchr (m, '\r') - m + 1);
          g_autoptr (GString) big = g_string_new ("\x0b");

          g_string_append (big, m);
          while (big->len < OVERSIZE)
            g_string_append (big, "OBX|1|TX|||padding padding padding padding\r");
          g_string_append (big, "\x1c\x0d");
          load->oversized_bytes_sent += big->len;
          CHECK (wk_mllp_client_write_raw (c, big->str, big->len, &load->error));
          CHECK (expect_ack (c, "AR|", msh, load));
          CHECK (wk_mllp_client_send (c, after, strlen (after), &load->error));
          CHECK (expect_ack (c, "AA|", after, load));
        }
      if (round < N_GARBAGE)
        {
          WkMllpClient    *c = abusive->pdata[N_OVERSIZED + N_UNTERMINATED + round];
          g_autofree char *m = message ("after-garbage", round, 0);
          g_autofree char *noise = g_strdup_printf ("%0*d\x1c\x0d\x1cGET /\r\n", 5000, 7);

          CHECK (wk_mllp_client_write_raw (c, noise, strlen (noise), &load->error));
          CHECK (wk_mllp_client_send (c, m, strlen (m), &load->error));
          CHECK (expect_ack (c, "AA|", m, load));
        }
    }

  /* Every slow sender is acknowledged with its own message. */
  for (guint i = 0; i < N_SLOW; i++)
    {
      g_autofree char *m = message ("slow", i, 0);

      CHECK (expect_ack (slow->pdata[i], "AA|", m, load));
    }
  return NULL;
}

static void
test_load (void)
{
  g_autoptr (GError) error = NULL;
  Load load = { 0 };
  g_autoptr (WkMllpListener) listener = NULL;
  WkMllpStats stats;
  guint       expected_handled = 0;

  load.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  load.connections = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_mllp_client_free);
  listener = wk_mllp_listener_new (handler, &load, NULL);
  wk_mllp_listener_set_refuse_func (listener, refuse, NULL);
  wk_mllp_listener_set_max_frame_size (listener, MAX_FRAME);
  wk_mllp_listener_set_max_connections (listener, N_CONNECTIONS);
  g_assert_true (wk_mllp_listener_start (listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  load.port = wk_mllp_listener_get_port (listener);

  wk_test_run_in_thread (clients, &load);
  g_assert_no_error (load.error);

  wk_mllp_listener_get_stats (listener, &stats);
  g_test_message ("%u connections, %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
                  " refused, %" G_GUINT64_FORMAT " garbage bytes, peak %zu bytes buffered "
                  "(%zu bytes of oversized frames sent)",
                  (guint)stats.connections_total, stats.frames, stats.frames_refused,
                  stats.garbage_bytes, stats.buffered_peak, load.oversized_bytes_sent);

  /* Everyone was let in, at once, and the good peers were all served and answered. */
  g_assert_cmpuint (stats.connections_total, ==, N_CONNECTIONS);
  g_assert_cmpuint (stats.connections_refused, ==, 0);
  g_assert_cmpuint (load.acks_checked, ==, load.handled + N_OVERSIZED);
  for (guint i = 0; i < N_SLOW; i++)
    {
      g_autofree char *m = message ("slow", i, 0);

      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (load.seen, m)), ==, 1);
    }
  expected_handled = N_SLOW + N_OVERSIZED + N_GARBAGE;
  g_assert_cmpuint (load.good_sent, >=, N_GOOD * GOOD_MESSAGES / 2);
  g_assert_cmpuint (load.handled, ==, expected_handled + load.good_sent);
  /* Nothing oversized or unterminated reached the handler. */
  {
    GHashTableIter iter;
    gpointer       key;

    g_hash_table_iter_init (&iter, load.seen);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      {
        g_assert_null (strstr (key, "|oversized-"));
        g_assert_null (strstr (key, "|unterminated-"));
      }
  }
  g_assert_cmpuint (stats.frames_refused, ==, N_OVERSIZED);
  g_assert_cmpuint (stats.garbage_bytes, >=, N_GARBAGE * 5000);

  /* Memory bounded: at most one frame (capped at MAX_FRAME) per connection plus its
   * acknowledgements; far below the oversized bytes that went through. */
  g_assert_cmpuint (stats.buffered_peak, <=, (gsize)N_CONNECTIONS * (MAX_FRAME + 1024));
  g_assert_cmpuint (stats.buffered_peak, <, load.oversized_bytes_sent / 10);

  /* Every connection is still open; the unterminated frames are held (under the cap)
   * and are dropped with their connections. */
  g_assert_cmpuint (stats.connections_open, ==, N_CONNECTIONS);
  g_assert_cmpuint (stats.buffered_bytes, >=, N_UNTERMINATED * 4000);
  g_clear_pointer (&load.connections, g_ptr_array_unref);
  do
    {
      g_main_context_iteration (NULL, TRUE);
      wk_mllp_listener_get_stats (listener, &stats);
    }
  while (stats.connections_open > 0);
  g_assert_cmpuint (stats.buffered_bytes, ==, 0);
  g_assert_cmpuint (stats.frames_refused, ==, N_OVERSIZED + N_UNTERMINATED);
  g_clear_pointer (&listener, wk_mllp_listener_free);
  g_hash_table_unref (load.seen);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/mllp/load", test_load);
  return g_test_run ();
}
