/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-chart-payload.c — the signed QR payload: round trips, every rejection, and codes
 * read back from printed pages by a scanner. */

#include "wk-base45.h"
#include "wk-bed.h"
#include "wk-chart-id.h"
#include "wk-chart-payload.h"
#include "wk-chart-renderer.h"
#include "wk-order.h"
#include "wk-print-error.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

/* ---- Base45 and chart ids ----------------------------------------------------------- */

static void
test_base45 (void)
{
  /* RFC 9285, section 4.3 and 4.4. */
  static const struct
  {
    const char *bytes, *text;
  } vectors[] = {
    { "AB", "BB8" },
    { "Hello!!", "%69 VD92EX0" },
    { "base-45", "UJCLQE7W581" },
    { "ietf!", "QED8WEX0" },
    { "", "" },
  };

  g_autoptr (GError) error = NULL;
  gsize size;

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *text
          = wk_base45_encode ((const guint8 *)vectors[i].bytes, strlen (vectors[i].bytes));
      g_autofree guint8 *bytes
          = wk_base45_decode (vectors[i].text, strlen (vectors[i].text), &size, &error);

      g_assert_cmpstr (text, ==, vectors[i].text);
      g_assert_no_error (error);
      g_assert_cmpmem (bytes, size, vectors[i].bytes, strlen (vectors[i].bytes));
    }

  /* Every byte value survives. */
  {
    guint8             all[256];
    g_autofree char   *text = NULL;
    g_autofree guint8 *back = NULL;

    for (int i = 0; i < 256; i++)
      all[i] = 255 - i;
    text = wk_base45_encode (all, sizeof all);
    back = wk_base45_decode (text, strlen (text), &size, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (back, size, all, sizeof all);
  }

  /* A group cut short; a character outside the alphabet; a group too large (RFC 9285
   * section 6: "GGW" is 65536). */
  g_assert_null (wk_base45_decode ("BB8B", 4, &size, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_null (wk_base45_decode ("BBa", 3, &size, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Character 3"));
  g_clear_error (&error);
  g_assert_null (wk_base45_decode ("GGW", 3, &size, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (wk_base45_decode ("::", 2, &size, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
}

static void
test_chart_id (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint8           bytes[WK_CHART_ID_SIZE] = { 0x01, 0x23, 0x45, 0x67, 0x89 };
  g_autofree char *id = wk_chart_id_from_bytes (bytes);
  g_autofree char *shown = wk_chart_id_format (id);
  g_autofree char *typed = wk_chart_id_normalize ("0l3m-aoe9", &error);
  guint8           back[WK_CHART_ID_SIZE];

  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, "04HMASW9");
  g_assert_cmpstr (shown, ==, "04HM-ASW9");
  g_assert_true (wk_chart_id_to_bytes (id, back));
  g_assert_cmpmem (back, sizeof back, bytes, sizeof bytes);
  /* Crockford: o is 0, l is 1, case and hyphens do not matter. */
  g_assert_cmpstr (typed, ==, "013MA0E9");

  g_assert_null (wk_chart_id_normalize ("0L3M-A0E", &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (wk_chart_id_normalize ("0L3M-A0EU", &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "\"U\""));
  g_assert_false (wk_chart_id_to_bytes ("0L3MA0E9", back));

  for (int i = 0; i < 1000; i++)
    {
      char *fresh = wk_chart_id_new ();

      g_assert_true (wk_chart_id_to_bytes (fresh, back));
      g_assert_true (g_hash_table_add (seen, fresh));
    }
}

/* ---- Round trips ---------------------------------------------------------------------- */

static WkChartPayload *
sample_payload (void)
{
  WkChartPayload *payload = wk_chart_payload_new ();
  g_autoptr (WkOrder) regular = wk_test_order_new (1, "ORD-0001", 3);
  g_autoptr (WkOrder) prn = wk_test_order_new (1, "ORD-0002", 1);
  g_autoptr (WkOrder) once = wk_test_order_new (1, "ORD-0003", 12);

  g_strlcpy (payload->chart_id, "7KQ2M9XD", sizeof payload->chart_id);
  payload->page = 2;
  payload->n_pages = 3;
  payload->nhs_number = wk_test_nhs_number (5);
  payload->ward_id = g_strdup ("7A");
  payload->snapshot_seq = 123456789;
  payload->snapshot_at = WK_TEST_SNAPSHOT_AT;
  payload->printed_at = WK_TEST_PRINTED_AT;
  payload->utc_offset_min = 60;

  regular->stop_at = WK_TEST_SNAPSHOT_AT + 86400 + 59; /* kept to the minute */
  g_ptr_array_add (payload->orders,
                   wk_chart_payload_order_new (regular, WK_TEST_SNAPSHOT_AT - 3600));

  prn->kind = WK_ORDER_PRN;
  g_clear_pointer (&prn->admin_times, g_free);
  g_free (prn->drug);
  prn->drug = g_strdup ("Morphine sulfate 10mg/5ml oral solution");
  prn->dose = 2.5;
  prn->dose_max = 5;
  prn->min_interval_min = 240;
  prn->prn_max_24h = 20;
  g_free (prn->route);
  prn->route = g_strdup ("by mouth via a syringe");
  g_free (prn->dose_unit);
  prn->dose_unit = g_strdup ("mg");
  g_ptr_array_add (payload->orders, wk_chart_payload_order_new (prn, 0));

  once->kind = WK_ORDER_ONCE;
  once->status = WK_ORDER_DISCONTINUED;
  once->status_at = WK_TEST_SNAPSHOT_AT - 600;
  g_clear_pointer (&once->admin_times, g_free);
  g_free (once->dmd_code);
  once->dmd_code = g_strdup ("not-a-dmd-code");
  once->dose = 0.125;
  g_free (once->dose_unit);
  once->dose_unit = g_strdup ("microgram");
  g_ptr_array_add (payload->orders, wk_chart_payload_order_new (once, 0));
  return payload;
}

static void
test_round_trip (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (WkChartPayload) payload = sample_payload ();
  g_autoptr (WkChartPayload) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char     *text = NULL;
  g_autofree char     *described = NULL;
  WkChartPayloadOrder *a, *b, *c;

  payload->drill = TRUE;
  text = wk_chart_payload_encode (payload, keys, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (text, WK_CHART_PAYLOAD_PREFIX));
  /* Only QR alphanumeric characters, so the code uses its compact mode. */
  for (const char *p = text; *p != '\0'; p++)
    g_assert_nonnull (strchr ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", *p));
  g_assert_cmpuint ((strlen (text) - 3) / 3 * 2, <=, wk_chart_payload_get_size (payload));
  g_assert_cmpuint (wk_chart_payload_get_size (payload), <, 320);

  back = wk_chart_payload_decode (text, -1, wk_keys_get_public_key (keys), 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->format_version, ==, WK_CHART_PAYLOAD_VERSION);
  g_assert_true (back->drill);
  g_assert_cmpstr (back->chart_id, ==, "7KQ2M9XD");
  g_assert_cmpuint (back->page, ==, 2);
  g_assert_cmpuint (back->n_pages, ==, 3);
  g_assert_cmpstr (back->nhs_number, ==, payload->nhs_number);
  g_assert_null (back->hospital_number);
  g_assert_cmpstr (back->ward_id, ==, "7A");
  g_assert_cmpuint (back->snapshot_seq, ==, 123456789);
  g_assert_cmpint (back->snapshot_at, ==, WK_TEST_SNAPSHOT_AT);
  g_assert_cmpint (back->printed_at, ==, WK_TEST_PRINTED_AT);
  g_assert_cmpint (back->utc_offset_min, ==, 60);
  g_assert_cmpstr (back->key_id, ==, wk_keys_get_key_id (keys));
  g_assert_cmpuint (back->orders->len, ==, 3);

  a = back->orders->pdata[0];
  g_assert_cmpstr (a->placer_id, ==, "ORD-0001");
  g_assert_cmpint (a->version, ==, 3);
  g_assert_cmpint (a->kind, ==, WK_ORDER_REGULAR);
  g_assert_cmpint (a->status, ==, WK_ORDER_ACTIVE);
  g_assert_cmpstr (a->dmd_code, ==, "322236009");
  g_assert_cmpstr (a->drug, ==, "Paracetamol 500mg tablet");
  g_assert_true (a->drug_cut);
  g_assert_cmpfloat (a->dose, ==, 1000);
  g_assert_cmpstr (a->dose_unit, ==, "mg");
  g_assert_cmpstr (a->route, ==, "oral");
  g_assert_cmpstr (a->admin_times, ==, "06:00,12:00,18:00,22:00");
  g_assert_cmpint (a->start_at, ==, 1767225600);
  g_assert_cmpint (a->stop_at, ==, WK_TEST_SNAPSHOT_AT + 86400);
  g_assert_cmpint (a->last_given_at, ==, WK_TEST_SNAPSHOT_AT - 3600);
  g_assert_cmpint (a->status_at, ==, 0);

  b = back->orders->pdata[1];
  g_assert_cmpint (b->kind, ==, WK_ORDER_PRN);
  g_assert_cmpfloat (b->dose, ==, 2.5);
  g_assert_cmpfloat (b->dose_max, ==, 5);
  g_assert_cmpint (b->min_interval_min, ==, 240);
  g_assert_cmpfloat (b->prn_max_24h, ==, 20);
  g_assert_cmpstr (b->route, ==, "by mouth via a syringe");
  g_assert_null (b->admin_times);
  g_assert_cmpint (b->last_given_at, ==, 0);

  c = back->orders->pdata[2];
  g_assert_cmpint (c->version, ==, 12);
  g_assert_cmpint (c->kind, ==, WK_ORDER_ONCE);
  g_assert_cmpint (c->status, ==, WK_ORDER_DISCONTINUED);
  g_assert_cmpint (c->status_at, ==, WK_TEST_SNAPSHOT_AT - 600);
  g_assert_null (c->dmd_code);
  g_assert_cmpfloat (c->dose, ==, 0.125);
  g_assert_cmpstr (c->dose_unit, ==, "microgram");

  described = wk_chart_payload_to_text (back);
  g_assert_nonnull (strstr (described, "Chart 7KQ2-M9XD, page 2 of 3"));
  g_assert_nonnull (strstr (described, "DRILL — NOT FOR CLINICAL USE"));
  g_assert_nonnull (strstr (described, "Data as of: 2026-03-14 03:13 +01:00 (snapshot 123456789)"));
  g_assert_nonnull (strstr (described, "1. ORD-0001 version 3: Paracetamol 500mg tablet… (dm+d "
                                       "322236009)"));
  g_assert_nonnull (strstr (described, "2.5 to 5 mg by mouth via a syringe, at least 240 min "
                                       "apart, at most 20 mg in 24 h"));
  g_assert_nonnull (strstr (described, "once only, STOPPED"));
}

static void
test_hospital_number (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (WkChartPayload) payload = sample_payload ();
  g_autoptr (WkChartPayload) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  g_clear_pointer (&payload->nhs_number, g_free);
  payload->hospital_number = g_strdup ("RX0000123");
  g_ptr_array_set_size (payload->orders, 0);
  text = wk_chart_payload_encode (payload, keys, &error);
  g_assert_no_error (error);
  back = wk_chart_payload_decode (text, -1, wk_keys_get_public_key (keys), 1, &error);
  g_assert_no_error (error);
  g_assert_null (back->nhs_number);
  g_assert_cmpstr (back->hospital_number, ==, "RX0000123");
  g_assert_cmpuint (back->orders->len, ==, 0);
  g_assert_false (back->drill);

  /* A payload that cannot be encoded is refused, not half-written. */
  g_clear_pointer (&payload->hospital_number, g_free);
  g_assert_null (wk_chart_payload_encode (payload, keys, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  payload->nhs_number = g_strdup ("9990000019"); /* wrong check digit */
  g_assert_null (wk_chart_payload_encode (payload, keys, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
  g_clear_error (&error);
  g_free (payload->nhs_number);
  payload->nhs_number = wk_test_nhs_number (1);
  payload->page = 4;
  g_assert_null (wk_chart_payload_encode (payload, keys, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID);
}

/* ---- Rejections, one by one ---------------------------------------------------------- */

/* A byte image of a payload, built here from the format's description rather than by
 * the encoder, so that each field can be made wrong on its own. */
typedef struct
{
  GByteArray *bytes;
} Image;

static void
put (Image *image, const guint8 *data, gsize n)
{
  g_byte_array_append (image->bytes, data, n);
}

static void
put_byte (Image *image, guint8 b)
{
  put (image, &b, 1);
}

static void
put_varint (Image *image, guint64 v)
{
  do
    {
      put_byte (image, (v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
      v >>= 7;
    }
  while (v != 0);
}

static void
put_text (Image *image, const char *text, gssize n)
{
  if (n < 0)
    n = strlen (text);
  put_varint (image, n);
  put (image, (const guint8 *)text, n);
}

/* Version, flags, length (filled in by finish), key id. */
static Image
image_start (WkKeys *keys, guint8 version, guint8 flags)
{
  Image  image = { g_byte_array_new () };
  guint8 key_id[8];

  put_byte (&image, version);
  put_byte (&image, flags);
  put_byte (&image, 0);
  put_byte (&image, 0);
  g_assert_cmpint (sodium_hex2bin (key_id, 8, wk_keys_get_key_id (keys), 16, NULL, NULL, NULL), ==,
                   0);
  put (&image, key_id, 8);
  return image;
}

/* Chart id and pages. */
static void
image_pages (Image *image, guint page, guint n_pages)
{
  static const guint8 chart_id[5] = { 1, 2, 3, 4, 5 };

  put (image, chart_id, 5);
  put_varint (image, page);
  put_varint (image, n_pages);
}

/* Chart id, page 1 of 1, and a patient by NHS number. */
static void
image_patient (Image *image, guint64 nhs_number)
{
  image_pages (image, 1, 1);
  put_byte (image, 1);
  for (int shift = 32; shift >= 0; shift -= 8)
    put_byte (image, (nhs_number >> shift) & 0xff);
}

static guint64
test_nhs_number (void)
{
  g_autofree char *nhs = wk_test_nhs_number (3);

  return g_ascii_strtoull (nhs, NULL, 10);
}

/* Chart id, page 1 of 1, the patient's NHS number, ward, snapshot, printed, offset. */
static void
image_header (Image *image)
{
  image_patient (image, test_nhs_number ());
  put_text (image, "7A", -1);
  put_varint (image, 42);
  put_varint (image, WK_TEST_SNAPSHOT_AT);
  put_varint (image, 37 * 60 * 2); /* zigzag of +37 min */
  put_byte (image, 0);
}

/* The header and one order, up to its drug: id, version, kind and status, @present. */
static void
image_order_start (Image *image, guint8 kind_status, guint8 present)
{
  image_header (image);
  put_varint (image, 1);
  put_text (image, "ORD-1", -1);
  put_varint (image, 1);
  put_byte (image, kind_status);
  put_byte (image, present);
  put_text (image, "Paracetamol", -1);
}

/* One valid order: id, version, kind/status, fields, drug, dose, unit, route, start. */
static void
image_order (Image *image)
{
  put_text (image, "ORD-1", -1);
  put_varint (image, 1);
  put_byte (image, 0);
  put_byte (image, 0);
  put_text (image, "Paracetamol", -1);
  put_varint (image, 1000 << 3);
  put_varint (image, 1);
  put_varint (image, 1);
  put_varint (image, 0); /* start: at the snapshot's time */
}

/* Sets the length, signs, and gives the code's text. */
static char *
image_finish (Image *image, WkKeys *keys)
{
  guint8           signature[64];
  g_autofree char *encoded = NULL;
  guint            n = image->bytes->len + 64;

  image->bytes->data[2] = n >> 8;
  image->bytes->data[3] = n & 0xff;
  wk_keys_sign (keys, image->bytes->data, image->bytes->len, signature);
  put (image, signature, sizeof signature);
  encoded = wk_base45_encode (image->bytes->data, image->bytes->len);
  g_byte_array_unref (image->bytes);
  return g_strconcat (WK_CHART_PAYLOAD_PREFIX, encoded, NULL);
}

static void
assert_refused (const char *text, WkKeys *keys, int code, const char *says)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartPayload) payload
      = wk_chart_payload_decode (text, -1, wk_keys_get_public_key (keys), 1, &error);

  g_assert_null (payload);
  g_assert_error (error, WK_PRINT_ERROR, code);
  if (strstr (error->message, says) == NULL)
    g_error ("expected \"%s\" in: %s", says, error->message);
}

static void
test_image_is_valid (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (GError) error = NULL;
  Image            image = image_start (keys, 1, 0);
  g_autofree char *text = NULL;
  g_autoptr (WkChartPayload) payload = NULL;

  /* The test's own builder agrees with the decoder, so each rejection below is about
   * the one thing it changes. */
  image_header (&image);
  put_varint (&image, 1);
  image_order (&image);
  text = image_finish (&image, keys);
  payload = wk_chart_payload_decode (text, -1, wk_keys_get_public_key (keys), 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (payload->chart_id, ==, "04106105");
  g_assert_cmpint (payload->printed_at, ==, WK_TEST_PRINTED_AT);
  g_assert_cmpstr (((WkChartPayloadOrder *)payload->orders->pdata[0])->placer_id, ==, "ORD-1");
}

static void
test_reject_foreign (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);

  assert_refused ("https://www.nhs.uk/", keys, WK_PRINT_ERROR_FOREIGN, "not a wardkeep chart code");
  assert_refused ("", keys, WK_PRINT_ERROR_FOREIGN, "not a wardkeep chart code");
  assert_refused ("HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC", keys, WK_PRINT_ERROR_FOREIGN, "WK:");
  assert_refused ("wk:BB8", keys, WK_PRINT_ERROR_FOREIGN, "WK:");
  assert_refused ("9990000018", keys, WK_PRINT_ERROR_FOREIGN, "WK:");
}

static void
test_reject_truncated (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (WkChartPayload) payload = sample_payload ();
  g_autofree char *text = wk_chart_payload_encode (payload, keys, NULL);
  gsize            n = strlen (text);
  g_autofree char *less_one_group = g_strndup (text, n - 3);
  g_autofree char *less_one_char = g_strndup (text, n - 1);
  g_autofree char *half = g_strndup (text, 3 + (n - 3) / 2 / 3 * 3);
  g_autofree char *header_only = g_strndup (text, 3 + 3);
  g_autofree char *with_newline = g_strconcat (text, "\n", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartPayload) back = NULL;

  assert_refused (less_one_group, keys, WK_PRINT_ERROR_TRUNCATED, "cut short");
  assert_refused (less_one_char, keys, WK_PRINT_ERROR_TRUNCATED, "cut short");
  assert_refused (half, keys, WK_PRINT_ERROR_TRUNCATED, "cut short");
  assert_refused (header_only, keys, WK_PRINT_ERROR_TRUNCATED, "cut short");
  assert_refused ("WK:", keys, WK_PRINT_ERROR_TRUNCATED, "cut short");
  /* A scanner's trailing newline is not damage. */
  back = wk_chart_payload_decode (with_newline, -1, wk_keys_get_public_key (keys), 1, &error);
  g_assert_no_error (error);
}

static void
test_reject_version (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);

  for (guint8 version = 0; version < 4; version += 2)
    {
      Image            image = image_start (keys, version, 0);
      g_autofree char *text = NULL;

      image_header (&image);
      put_varint (&image, 0);
      text = image_finish (&image, keys);
      assert_refused (text, keys, WK_PRINT_ERROR_UNSUPPORTED_VERSION,
                      version == 0 ? "format version 0" : "format version 2");
    }
}

static void
test_reject_unknown_key (void)
{
  g_autoptr (WkKeys) kiosk = wk_test_keys_new (0x42);
  g_autoptr (WkKeys) other = wk_test_keys_new (0x17);
  g_autoptr (WkChartPayload) payload = sample_payload ();
  g_autofree char *text = wk_chart_payload_encode (payload, other, NULL);
  g_autoptr (GError) error = NULL;
  guint8 both[2 * WK_KEYS_PUBLIC_KEY_SIZE];
  g_autoptr (WkChartPayload) back = NULL;

  assert_refused (text, kiosk, WK_PRINT_ERROR_UNKNOWN_KEY, wk_keys_get_key_id (other));
  g_assert_null (wk_chart_payload_decode (text, -1, NULL, 0, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);

  /* Trusting several kiosks: the one that signed is found. */
  memcpy (both, wk_keys_get_public_key (kiosk), WK_KEYS_PUBLIC_KEY_SIZE);
  memcpy (both + WK_KEYS_PUBLIC_KEY_SIZE, wk_keys_get_public_key (other), WK_KEYS_PUBLIC_KEY_SIZE);
  back = wk_chart_payload_decode (text, -1, both, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->key_id, ==, wk_keys_get_key_id (other));
}

/* Re-encodes a payload's bytes after @change, without signing again. */
static char *
tamper (const char *text, void (*change) (guint8 *data, gsize size))
{
  gsize              size;
  g_autofree guint8 *data = wk_base45_decode (text + 3, strlen (text) - 3, &size, NULL);
  g_autofree char   *encoded = NULL;

  change (data, size);
  encoded = wk_base45_encode (data, size);
  return g_strconcat (WK_CHART_PAYLOAD_PREFIX, encoded, NULL);
}

static void
flip_page (guint8 *data, gsize size)
{
  data[12 + 5] ^= 0x01; /* page 2 becomes page 3 */
}

static void
flip_signature (guint8 *data, gsize size)
{
  data[size - 10] ^= 0x80;
}

static void
flip_drill (guint8 *data, gsize size)
{
  data[1] ^= 0x01; /* a drill chart passed off as a real one */
}

static void
other_key_id (guint8 *data, gsize size)
{
  g_autoptr (WkKeys) other = wk_test_keys_new (0x17);

  sodium_hex2bin (data + 4, 8, wk_keys_get_key_id (other), 16, NULL, NULL, NULL);
}

static void
test_reject_signature (void)
{
  g_autoptr (WkKeys) kiosk = wk_test_keys_new (0x42);
  g_autoptr (WkKeys) other = wk_test_keys_new (0x17);
  g_autoptr (WkChartPayload) payload = sample_payload ();
  g_autofree char *text = NULL;
  g_autofree char *page = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *drill = NULL;
  g_autofree char *claimed = NULL;
  g_autoptr (GError) error = NULL;
  guint8 both[2 * WK_KEYS_PUBLIC_KEY_SIZE];

  payload->drill = TRUE;
  text = wk_chart_payload_encode (payload, kiosk, NULL);
  page = tamper (text, flip_page);
  signature = tamper (text, flip_signature);
  drill = tamper (text, flip_drill);
  claimed = tamper (text, other_key_id);
  assert_refused (page, kiosk, WK_PRINT_ERROR_SIGNATURE, "changed or damaged after printing");
  assert_refused (signature, kiosk, WK_PRINT_ERROR_SIGNATURE, wk_keys_get_key_id (kiosk));
  assert_refused (drill, kiosk, WK_PRINT_ERROR_SIGNATURE, "does not match");

  /* Signed by one trusted kiosk, claiming to be another trusted kiosk. */
  memcpy (both, wk_keys_get_public_key (kiosk), WK_KEYS_PUBLIC_KEY_SIZE);
  memcpy (both + WK_KEYS_PUBLIC_KEY_SIZE, wk_keys_get_public_key (other), WK_KEYS_PUBLIC_KEY_SIZE);
  g_assert_null (wk_chart_payload_decode (claimed, -1, both, 2, &error));
  g_assert_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_SIGNATURE);
}

typedef void (*BreakFunc) (Image *image);

static void
break_flags (Image *image)
{
  image->bytes->data[1] = 0x80;
  image_header (image);
  put_varint (image, 0);
}

static void
break_page_zero (Image *image)
{
  image_pages (image, 0, 1);
}

static void
break_page_after_last (Image *image)
{
  image_pages (image, 3, 2);
}

static void
break_nhs_number (Image *image)
{
  image_patient (image, G_GUINT64_CONSTANT (9990000019)); /* check digit wrong */
}

static void
break_patient_kind (Image *image)
{
  image_pages (image, 1, 1);
  put_byte (image, 7);
}

static void
break_ward_text (Image *image)
{
  image_patient (image, test_nhs_number ());
  put_text (image, "7\xff", 2);
}

static void
break_ward_control (Image *image)
{
  image_patient (image, test_nhs_number ());
  put_text (image, "7\n", 2);
}

static void
break_text_length (Image *image)
{
  image_patient (image, test_nhs_number ());
  put_varint (image, 5000);
  put (image, (const guint8 *)"7A", 2);
}

static void
break_varint (Image *image)
{
  static const guint8 id[5] = { 0 };
  static const guint8 huge[11] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1 };

  put (image, id, 5);
  put (image, huge, sizeof huge);
}

static void
break_order_count (Image *image)
{
  image_header (image);
  put_varint (image, 2);
  image_order (image);
}

static void
break_order_kind (Image *image)
{
  image_header (image);
  put_varint (image, 1);
  put_text (image, "ORD-1", -1);
  put_varint (image, 1);
  put_byte (image, 3); /* kind 3 does not exist */
}

static void
break_order_version (Image *image)
{
  image_header (image);
  put_varint (image, 1);
  put_text (image, "ORD-1", -1);
  put_varint (image, 0);
}

static void
break_order_id (Image *image)
{
  image_header (image);
  put_varint (image, 1);
  put_text (image, "", 0);
}

static void
break_dose (Image *image)
{
  image_order_start (image, 0, 0);
  put_varint (image, 0 << 3); /* a dose of 0 */
}

static void
break_decimals (Image *image)
{
  image_order_start (image, 0, 0);
  put_varint (image, 1000 << 3 | 7); /* 7 decimals */
}

static void
break_unit (Image *image)
{
  image_order_start (image, 0, 0);
  put_varint (image, 1000 << 3);
  put_varint (image, 200); /* no common unit 200 */
}

static void
break_times (Image *image)
{
  image_order_start (image, 0, 1 << 2);
  put_varint (image, 1000 << 3);
  put_varint (image, 1);
  put_varint (image, 1);
  put_varint (image, 2);
  put_varint (image, 720);
  put_varint (image, 360); /* before the one before it */
}

static void
break_trailing (Image *image)
{
  image_header (image);
  put_varint (image, 1);
  image_order (image);
  put_byte (image, 0);
}

/* Signed by a trusted key, so that only the field's own check can refuse it. */
static void
test_reject_malformed (void)
{
  static const struct
  {
    BreakFunc   func;
    const char *says;
  } cases[] = {
    { break_flags, "flags: 0x80 has unknown bits" },
    { break_page_zero, "pages: 0 is outside 1 to 999" },
    { break_page_after_last, "pages: 2 is outside 3 to 999" },
    { break_nhs_number, "NHS number: it is not a valid NHS number" },
    { break_patient_kind, "patient: 7 is not a known kind" },
    { break_ward_text, "ward: it is not UTF-8 text" },
    { break_ward_control, "ward: it holds a control character" },
    { break_text_length, "ward: its text runs past the end" },
    { break_varint, "pages: the number is too large" },
    { break_order_count, "order 2 id: it runs past the end" },
    { break_order_kind, "order 1 kind and status: 0x03 is not a known kind" },
    { break_order_version, "order 1 version: 0 is outside" },
    { break_order_id, "order 1 id: it is empty" },
    { break_dose, "order 1 dose: it is 0" },
    { break_decimals, "order 1 dose: a number has 7 decimals" },
    { break_unit, "order 1 dose unit: common value 200 is not one of the" },
    { break_times, "order 1 due times: 360 is outside 721 to 1439" },
    { break_trailing, "end: 1 bytes follow the last order" },
  };

  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Image            image = image_start (keys, 1, 0);
      g_autofree char *text = NULL;

      cases[i].func (&image);
      text = image_finish (&image, keys);
      assert_refused (text, keys, WK_PRINT_ERROR_INVALID, cases[i].says);
    }

  /* Bytes after the declared end are refused before anything is trusted. */
  {
    Image            image = image_start (keys, 1, 0);
    g_autofree char *text = NULL;
    g_autofree char *longer = NULL;

    image_header (&image);
    put_varint (&image, 0);
    text = image_finish (&image, keys);
    longer = g_strconcat (text, "000", NULL);
    assert_refused (longer, keys, WK_PRINT_ERROR_INVALID, "characters after its end");
    /* Base45 that is not Base45, in the middle of a code of the right length. */
    text[strlen (text) / 2] = 'a';
    assert_refused (text, keys, WK_PRINT_ERROR_INVALID, "not Base45");
  }
  /* A header whose length is less than any code's. */
  {
    guint8           header[4] = { 1, 0, 0, 10 };
    g_autofree char *encoded = wk_base45_encode (header, sizeof header);
    g_autofree char *text = g_strconcat (WK_CHART_PAYLOAD_PREFIX, encoded, NULL);

    assert_refused (text, keys, WK_PRINT_ERROR_INVALID, "less than any chart code has");
  }
}

/* ---- Printed, scanned, verified ------------------------------------------------------- */

/* Renders page @page of @pdf at 150 dpi, as a scanner would, and reads its QR code back
 * with zbarimg (the codes are text: -Sbinary keeps zbar from converting it). */
static char *
scan_page (const guint8 *pdf, gsize size, guint page)
{
  g_autofree char *path = wk_test_scratch_path ("scan.pdf");
  g_autofree char *stem = wk_test_scratch_path ("scan");
  g_autofree char *png = wk_test_scratch_path ("scan.png");
  g_autofree char *number = g_strdup_printf ("%u", page);
  g_autoptr (GError) error = NULL;
  char            *out = NULL;
  g_autofree char *err = NULL;
  int              status;
  const char      *render[] = { "pdftoppm", "-r",   "150",         "-f", number, "-l",
                                number,     "-png", "-singlefile", path, stem,   NULL };
  const char      *scan[] = { "zbarimg", "--raw", "-q", "--nodbus", "-Sbinary", png, NULL };

  g_assert_true (g_file_set_contents (path, (const char *)pdf, size, &error));
  g_assert_true (g_spawn_sync (NULL, (char **)render, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **)scan, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("zbarimg found no code on page %u: %s", page, err);
  g_unlink (png);
  return out;
}

static void
test_scan_every_page (void)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (WkModel) model = wk_test_ward_new (1);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (WkChartDocument) document = NULL;
  g_autoptr (WkBed) bed = wk_bed_load (model, wk_test_ward_bed (model, 0), &error);
  WkChartOptions options;
  gsize          size;
  const guint8  *pdf;
  guint          n_pages;

  /* Enough orders for several pages, some of them with long names and instructions. */
  for (guint i = 0; i < 24; i++)
    {
      g_autofree char *placer = g_strdup_printf ("SCAN-%02u", i);
      g_autoptr (WkOrder) order = wk_test_order_new (bed->patient_id, placer, 1 + i);

      if (i % 3 == 0)
        {
          g_free (order->drug);
          order->drug = g_strdup ("Co-amoxiclav 500mg/125mg tablets (amoxicillin and clavulanic "
                                  "acid), film-coated, for oral use only, hospital pack of 21");
          order->instructions = g_strdup ("Take with food; complete the course of seven days "
                                          "unless a microbiologist advises otherwise");
        }
      wk_order_insert (model, order, &error);
      g_assert_no_error (error);
    }
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, keys, &error);
  document = wk_chart_renderer_render_chart (renderer, model, bed->patient_id, &error);
  g_assert_no_error (error);
  pdf = wk_chart_document_get_pdf (document, &size);
  n_pages = wk_chart_document_get_n_pages (document);
  g_assert_cmpuint (n_pages, >=, 4);

  for (guint p = 0; p < n_pages; p++)
    {
      g_autofree char *scanned = scan_page (pdf, size, p + 1);
      g_autoptr (WkChartPayload) payload = NULL;
      guint                  n;
      const WkChartOrderRef *refs = wk_chart_document_get_page_orders (document, p, &n);

      /* The same text the page was printed with, and it verifies. */
      g_assert_cmpstr (scanned, ==, wk_chart_document_get_page_payload (document, p));
      payload = wk_chart_payload_decode (scanned, -1, wk_keys_get_public_key (keys), 1, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (payload->chart_id, ==, wk_chart_document_get_id (document));
      g_assert_cmpuint (payload->page, ==, p + 1);
      g_assert_cmpuint (payload->n_pages, ==, n_pages);
      g_assert_cmpstr (payload->key_id, ==, wk_keys_get_key_id (keys));
      g_assert_cmpuint (payload->snapshot_seq, ==, 42);
      g_assert_cmpint (payload->snapshot_at, ==, WK_TEST_SNAPSHOT_AT);
      g_assert_cmpuint (payload->orders->len, ==, n);
      g_assert_cmpuint (n, >, 0);
      for (guint i = 0; i < n; i++)
        {
          WkChartPayloadOrder *order = payload->orders->pdata[i];

          g_assert_cmpstr (order->placer_id, ==, refs[i].placer_id);
          g_assert_cmpint (order->version, ==, refs[i].version);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/print/base45", test_base45);
  g_test_add_func ("/print/chart-id", test_chart_id);
  g_test_add_func ("/print/payload/round-trip", test_round_trip);
  g_test_add_func ("/print/payload/hospital-number", test_hospital_number);
  g_test_add_func ("/print/payload/test-image-is-valid", test_image_is_valid);
  g_test_add_func ("/print/payload/reject/foreign", test_reject_foreign);
  g_test_add_func ("/print/payload/reject/truncated", test_reject_truncated);
  g_test_add_func ("/print/payload/reject/version", test_reject_version);
  g_test_add_func ("/print/payload/reject/unknown-key", test_reject_unknown_key);
  g_test_add_func ("/print/payload/reject/signature", test_reject_signature);
  g_test_add_func ("/print/payload/reject/malformed", test_reject_malformed);
  g_test_add_func ("/print/payload/scan-every-page", test_scan_every_page);
  return g_test_run ();
}
