/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-chart-payload.c — libFuzzer target for the chart QR payload decoder. A scanned
 * code is untrusted input: any text must give a payload or a clear error, never a crash,
 * leak or sanitizer report.
 *
 * The first byte picks what the rest is. 'T': a scanned code's text, as is. Anything
 * else: the body of a payload after its fixed header, which the target signs with a key
 * the decoder trusts, so that the fuzzer reaches the parser behind the signature check;
 * a body that decodes must encode again to the same payload. */

#include "wk-base45.h"
#include "wk-chart-payload.h"
#include "wk-keys.h"

#include <glib.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static WkKeys *
fuzz_keys (void)
{
  static WkKeys *keys = NULL;

  if (keys == NULL)
    {
      guint8 master[WK_KEYS_MASTER_SIZE];

      memset (master, 0x42, sizeof master);
      keys = wk_keys_new_from_master (master, sizeof master, NULL);
      g_assert_nonnull (keys);
    }
  return keys;
}

/* A signed code around @body: version 1, @flags, length, key id, body, signature. */
static char *
sign_body (WkKeys *keys, guint8 flags, const guint8 *body, gsize size)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_autofree char *encoded = NULL;
  guint8           header[4] = { 1, flags, 0, 0 };
  guint8           key_id[8];
  guint8           signature[WK_KEYS_SIGNATURE_SIZE];
  gsize            total = sizeof header + sizeof key_id + size + sizeof signature;

  header[2] = (total >> 8) & 0xff;
  header[3] = total & 0xff;
  g_assert_cmpint (
      sodium_hex2bin (key_id, sizeof key_id, wk_keys_get_key_id (keys), 16, NULL, NULL, NULL), ==,
      0);
  g_byte_array_append (bytes, header, sizeof header);
  g_byte_array_append (bytes, key_id, sizeof key_id);
  g_byte_array_append (bytes, body, size);
  wk_keys_sign (keys, bytes->data, bytes->len, signature);
  g_byte_array_append (bytes, signature, sizeof signature);
  encoded = wk_base45_encode (bytes->data, bytes->len);
  return g_strconcat (WK_CHART_PAYLOAD_PREFIX, encoded, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  WkKeys          *keys = fuzz_keys ();
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartPayload) payload = NULL;

  if (size < 1 || size > 4000)
    return 0;
  if (data[0] == 'T')
    text = g_strndup ((const char *)data + 1, size - 1);
  else
    text = sign_body (keys, data[0] & 0x03, data + 1, size - 1);

  payload = wk_chart_payload_decode (text, -1, wk_keys_get_public_key (keys), 1, &error);
  g_assert ((payload == NULL) != (error == NULL));
  if (payload != NULL)
    {
      g_autofree char *described = wk_chart_payload_to_text (payload);
      g_autofree char *again = NULL;
      g_autofree char *described_again = NULL;
      g_autoptr (WkChartPayload) back = NULL;

      /* What decodes encodes again, to the same thing. */
      again = wk_chart_payload_encode (payload, keys, &error);
      g_assert_no_error (error);
      back = wk_chart_payload_decode (again, -1, wk_keys_get_public_key (keys), 1, &error);
      g_assert_no_error (error);
      described_again = wk_chart_payload_to_text (back);
      g_assert_cmpstr (described, ==, described_again);
    }
  return 0;
}
