/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-chart-payload.c — the signed QR payload on every page of a paper drug chart.
 *
 * Format version 1, all integers unsigned LEB128 varints unless said otherwise:
 *
 *   0   version (1 byte, = 1)
 *   1   flags (1 byte): bit 0 DRILL; other bits are 0
 *   2   total length in bytes, signature included (2 bytes, big-endian)
 *   4   key id: the first 8 bytes of BLAKE2b(public key), as wk_keys_dup_key_id_for()
 *   12  chart id (5 bytes, 40 bits of Crockford base32)
 *   17  page, pages
 *       patient (1 byte: 1 = NHS number follows as 5 bytes big-endian, 2 = hospital
 *         number follows as text)
 *       ward id (text), snapshot seq, snapshot time (UTC seconds),
 *       printed-at minus snapshot time (zigzag, seconds),
 *       ward's UTC offset when printed (1 signed byte, quarter hours)
 *       number of orders, then each order:
 *         placer id (text), version,
 *         kind | status << 2 | drug cut << 4 (1 byte; other bits 0),
 *         present (1 byte): which of the optional fields below follow, in this order
 *           (bit 0 dm+d code, 1 dose max, 2 due times, 3 minimum interval, 4 maximum in
 *           24 h, 5 stop time, 6 status time, 7 last given)
 *         drug (text), dose (decimal), unit (token), route (token),
 *         [dm+d code], [dose max (decimal)], [due times: count, then minutes after
 *         midnight each], [minimum interval, minutes], [maximum in 24 h (decimal)],
 *         start, [stop], [status time], [last given] (each in minutes from the
 *         snapshot time, zigzag)
 *   end-64  Ed25519 signature of every byte before it
 *
 * text = length, then that many bytes of UTF-8 without control characters.
 * decimal = mantissa << 3 | decimals, the value being mantissa / 10^decimals (0..6).
 * token = 0 then text, or the index (from 1) of a common unit or route in the tables
 *   below, which are part of format version 1 and never change.
 *
 * A reader checks the version, the length, the key and the signature before it parses
 * anything else, so that only signed data is ever interpreted. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-chart-payload.h"

#include "wk-base45.h"
#include "wk-nhs-number.h"
#include "wk-print-error.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#define HEADER_FIXED 17
#define KEY_ID_SIZE 8
#define SIGNATURE_SIZE 64
#define FLAG_DRILL 0x01
#define PATIENT_NHS 1
#define PATIENT_HOSPITAL 2
#define MAX_PAGES 999
#define MAX_ORDERS 1000
#define MAX_TIMES (24 * 60)

enum
{
  HAS_DMD = 1 << 0,
  HAS_DOSE_MAX = 1 << 1,
  HAS_TIMES = 1 << 2,
  HAS_INTERVAL = 1 << 3,
  HAS_PRN_MAX = 1 << 4,
  HAS_STOP = 1 << 5,
  HAS_STATUS_AT = 1 << 6,
  HAS_LAST_GIVEN = 1 << 7,
};

/* Part of format version 1: append-only in a new version, never reordered. */
static const char *const units[] = {
  "mg",     "microgram", "g",    "nanogram",    "mL",      "L",     "unit",   "units",
  "tablet", "capsule",   "puff", "dose",        "drop",    "patch", "sachet", "mmol",
  "spray",  "ampoule",   "vial", "application", "lozenge", NULL,
};

static const char *const routes[] = {
  "oral",      "PO",         "IV",          "SC",          "IM",           "INH",
  "inhaled",   "TOP",        "topical",     "PR",          "SL",           "NG",
  "nebulised", "buccal",     "transdermal", "intravenous", "subcutaneous", "intramuscular",
  "rectal",    "sublingual", "eye",         "ear",         "nasal",        "vaginal",
  "PEG",       NULL,
};

/**
 * wk_chart_payload_order_free:
 * @order: (nullable) (transfer full): a #WkChartPayloadOrder
 */
void
wk_chart_payload_order_free (WkChartPayloadOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->placer_id);
  g_free (order->dmd_code);
  g_free (order->drug);
  g_free (order->dose_unit);
  g_free (order->route);
  g_free (order->admin_times);
  g_free (order);
}

/* A numeric dm+d (SNOMED CT) code that fits the payload's varint, or NULL. */
static char *
dup_dmd_code (const char *code)
{
  gsize n = code != NULL ? strlen (code) : 0;

  if (n == 0 || n > 18 || code[0] == '0')
    return NULL;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (code[i]))
      return NULL;
  return g_strdup (code);
}

/* Valid UTF-8 with control characters replaced, so that every text encodes. */
static char *
dup_clean_text (const char *text)
{
  char *clean = g_utf8_make_valid (text != NULL ? text : "", -1);

  for (char *p = clean; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  return clean;
}

/**
 * wk_chart_payload_order_new:
 * @order: an order as printed
 * @last_given_at: the last administration printed with it (UTC seconds), 0 for none
 *
 * Takes the essentials of @order for a payload: its name cut to
 * %WK_CHART_PAYLOAD_DRUG_MAX bytes, times to the minute.
 *
 * Returns: (transfer full): the order's payload entry
 */
WkChartPayloadOrder *
wk_chart_payload_order_new (const WkOrder *order, gint64 last_given_at)
{
  WkChartPayloadOrder *entry;
  g_autofree char     *drug = NULL;
  const char          *end;

  g_return_val_if_fail (order != NULL, NULL);

  entry = g_new0 (WkChartPayloadOrder, 1);
  entry->placer_id = dup_clean_text (order->placer_id);
  entry->version = order->version;
  entry->kind = order->kind;
  entry->status = order->status;
  entry->dmd_code = dup_dmd_code (order->dmd_code);
  drug = dup_clean_text (order->drug);
  for (end = drug; *end != '\0' && g_utf8_next_char (end) - drug <= WK_CHART_PAYLOAD_DRUG_MAX;)
    end = g_utf8_next_char (end);
  entry->drug = g_strndup (drug, end - drug);
  entry->drug_cut = *end != '\0';
  entry->dose = order->dose;
  entry->dose_max = order->dose_max;
  entry->dose_unit = dup_clean_text (order->dose_unit);
  entry->route = dup_clean_text (order->route);
  entry->admin_times = order->admin_times != NULL ? g_strdup (order->admin_times) : NULL;
  entry->min_interval_min = MAX (order->min_interval_min, 0);
  entry->prn_max_24h = order->prn_max_24h;
  entry->start_at = order->start_at / 60 * 60;
  entry->stop_at = order->stop_at / 60 * 60;
  entry->status_at = order->status != WK_ORDER_ACTIVE ? order->status_at / 60 * 60 : 0;
  entry->last_given_at = last_given_at / 60 * 60;
  return entry;
}

/**
 * wk_chart_payload_new:
 *
 * Returns: (transfer full): an empty payload of the current format version
 */
WkChartPayload *
wk_chart_payload_new (void)
{
  WkChartPayload *payload = g_new0 (WkChartPayload, 1);

  payload->format_version = WK_CHART_PAYLOAD_VERSION;
  payload->orders = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_chart_payload_order_free);
  return payload;
}

/**
 * wk_chart_payload_free:
 * @payload: (nullable) (transfer full): a #WkChartPayload
 */
void
wk_chart_payload_free (WkChartPayload *payload)
{
  if (payload == NULL)
    return;
  g_free (payload->nhs_number);
  g_free (payload->hospital_number);
  g_free (payload->ward_id);
  g_ptr_array_unref (payload->orders);
  g_free (payload);
}

/* ---- Writing ---------------------------------------------------------------------- */

static void
put_u8 (GByteArray *out, guint8 value)
{
  g_byte_array_append (out, &value, 1);
}

static void
put_varint (GByteArray *out, guint64 value)
{
  do
    {
      put_u8 (out, (value & 0x7f) | (value >= 0x80 ? 0x80 : 0));
      value >>= 7;
    }
  while (value != 0);
}

static void
put_zigzag (GByteArray *out, gint64 value)
{
  put_varint (out, ((guint64)value << 1) ^ (guint64)(value >> 63));
}

static void
put_text (GByteArray *out, const char *text)
{
  gsize n = text != NULL ? strlen (text) : 0;

  put_varint (out, n);
  g_byte_array_append (out, (const guint8 *)text, n);
}

static void
put_token (GByteArray *out, const char *const *table, const char *text)
{
  for (guint i = 0; table[i] != NULL; i++)
    if (g_strcmp0 (table[i], text) == 0)
      {
        put_varint (out, i + 1);
        return;
      }
  put_varint (out, 0);
  put_text (out, text);
}

/* A time to the minute, as minutes from the snapshot's time (zigzag): an order's times
 * are days from it, not decades from the epoch, so they take two or three bytes. */
static void
put_minutes (GByteArray *out, gint64 seconds, gint64 base)
{
  put_zigzag (out, seconds / 60 - base / 60);
}

static gboolean
put_decimal (GByteArray *out, double value, const char *what, GError **error)
{
  guint64 mantissa = 0;
  int     decimals;

  if (!(value > 0) || !isfinite (value) || value > 1e12)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The %s (%g) cannot be put in a chart code: expected a number above 0 and "
                   "below a million million",
                   what, value);
      return FALSE;
    }
  for (decimals = 0; decimals <= 6; decimals++)
    {
      double scaled = value * pow (10, decimals);

      mantissa = (guint64)llround (scaled);
      if (fabs ((double)mantissa - scaled) <= 1e-9 * MAX (1.0, scaled))
        break;
    }
  if (decimals > 6)
    decimals = 6;
  put_varint (out, mantissa << 3 | (guint64)decimals);
  return TRUE;
}

static gboolean
put_order (GByteArray *out, const WkChartPayloadOrder *order, gint64 base, GError **error)
{
  g_autoptr (GArray) times = NULL;
  guint8 present = 0;

  if (order->placer_id == NULL || *order->placer_id == '\0' || order->version < 1
      || order->drug == NULL || order->dose_unit == NULL || order->route == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Order %s cannot be put in a chart code: it lacks its id, version, drug, "
                   "unit or route",
                   order->placer_id != NULL ? order->placer_id : "(no id)");
      return FALSE;
    }
  if (order->admin_times != NULL)
    {
      g_autoptr (GError) times_error = NULL;

      times = wk_order_parse_admin_times (order->admin_times, &times_error);
      if (times == NULL)
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "Order %s cannot be put in a chart code: %s", order->placer_id,
                       times_error->message);
          return FALSE;
        }
    }

  present |= order->dmd_code != NULL ? HAS_DMD : 0;
  present |= order->dose_max > 0 ? HAS_DOSE_MAX : 0;
  present |= times != NULL && times->len > 0 ? HAS_TIMES : 0;
  present |= order->min_interval_min > 0 ? HAS_INTERVAL : 0;
  present |= order->prn_max_24h > 0 ? HAS_PRN_MAX : 0;
  present |= order->stop_at > 0 ? HAS_STOP : 0;
  present |= order->status_at > 0 ? HAS_STATUS_AT : 0;
  present |= order->last_given_at > 0 ? HAS_LAST_GIVEN : 0;

  put_text (out, order->placer_id);
  put_varint (out, order->version);
  put_u8 (out, (order->kind & 3) | (order->status & 3) << 2 | (order->drug_cut ? 1 << 4 : 0));
  put_u8 (out, present);
  put_text (out, order->drug);
  if (!put_decimal (out, order->dose, "dose", error))
    return FALSE;
  put_token (out, units, order->dose_unit);
  put_token (out, routes, order->route);
  if (present & HAS_DMD)
    put_varint (out, g_ascii_strtoull (order->dmd_code, NULL, 10));
  if ((present & HAS_DOSE_MAX) && !put_decimal (out, order->dose_max, "top of the dose", error))
    return FALSE;
  if (present & HAS_TIMES)
    {
      put_varint (out, times->len);
      for (guint i = 0; i < times->len; i++)
        put_varint (out, g_array_index (times, int, i));
    }
  if (present & HAS_INTERVAL)
    put_varint (out, order->min_interval_min);
  if ((present & HAS_PRN_MAX)
      && !put_decimal (out, order->prn_max_24h, "maximum in 24 hours", error))
    return FALSE;
  put_minutes (out, order->start_at, base);
  if (present & HAS_STOP)
    put_minutes (out, order->stop_at, base);
  if (present & HAS_STATUS_AT)
    put_minutes (out, order->status_at, base);
  if (present & HAS_LAST_GIVEN)
    put_minutes (out, order->last_given_at, base);
  return TRUE;
}

/**
 * wk_chart_payload_order_get_size:
 * @order: an order's payload entry
 * @snapshot_at: the snapshot time of the payload it goes in (times are kept relative to
 *   it)
 *
 * Returns: how many bytes @order adds to a payload (before Base45), so that a page's
 *   orders can be chosen to fit its QR code; 0 when it cannot be encoded
 */
gsize
wk_chart_payload_order_get_size (const WkChartPayloadOrder *order, gint64 snapshot_at)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_return_val_if_fail (order != NULL, 0);

  return put_order (out, order, snapshot_at, NULL) ? out->len : 0;
}

static gboolean
write_body (GByteArray *out, const WkChartPayload *payload, GError **error)
{
  guint8 chart_id[WK_CHART_ID_SIZE];
  int    quarters = payload->utc_offset_min / 15;

  if (!wk_chart_id_to_bytes (payload->chart_id, chart_id))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "\"%s\" is not a chart id of eight Crockford base32 characters",
                   payload->chart_id);
      return FALSE;
    }
  if (payload->page < 1 || payload->page > payload->n_pages || payload->n_pages > MAX_PAGES)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Page %u of %u cannot be put in a chart code (at most %d pages)", payload->page,
                   payload->n_pages, MAX_PAGES);
      return FALSE;
    }
  if (payload->utc_offset_min % 15 != 0 || quarters < -64 || quarters > 63)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The ward's UTC offset (%d minutes) is not a whole number of quarter hours",
                   payload->utc_offset_min);
      return FALSE;
    }
  if (payload->nhs_number != NULL && !wk_nhs_number_validate (payload->nhs_number, NULL))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The patient's NHS number is not valid and cannot be put in a chart code");
      return FALSE;
    }
  if (payload->nhs_number == NULL
      && (payload->hospital_number == NULL || *payload->hospital_number == '\0'))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "A chart code names its patient: it needs an NHS or hospital number");
      return FALSE;
    }
  if (payload->ward_id == NULL || *payload->ward_id == '\0' || payload->snapshot_at <= 0
      || payload->printed_at <= 0 || payload->orders->len > MAX_ORDERS)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "A chart code needs its ward, snapshot time and printing time, and at most "
                   "%d orders",
                   MAX_ORDERS);
      return FALSE;
    }

  g_byte_array_append (out, chart_id, sizeof chart_id);
  put_varint (out, payload->page);
  put_varint (out, payload->n_pages);
  if (payload->nhs_number != NULL)
    {
      guint64 n = g_ascii_strtoull (payload->nhs_number, NULL, 10);

      put_u8 (out, PATIENT_NHS);
      for (int shift = 32; shift >= 0; shift -= 8)
        put_u8 (out, (n >> shift) & 0xff);
    }
  else
    {
      g_autofree char *clean = dup_clean_text (payload->hospital_number);

      put_u8 (out, PATIENT_HOSPITAL);
      put_text (out, clean);
    }
  {
    g_autofree char *ward = dup_clean_text (payload->ward_id);

    put_text (out, ward);
  }
  put_varint (out, payload->snapshot_seq);
  put_varint (out, payload->snapshot_at);
  put_zigzag (out, payload->printed_at - payload->snapshot_at);
  put_u8 (out, (guint8)(gint8)quarters);
  put_varint (out, payload->orders->len);
  for (guint i = 0; i < payload->orders->len; i++)
    if (!put_order (out, payload->orders->pdata[i], payload->snapshot_at, error))
      return FALSE;
  return TRUE;
}

/**
 * wk_chart_payload_get_size:
 * @payload: a payload
 *
 * Returns: the size in bytes of @payload encoded and signed, before Base45; 0 when it
 *   cannot be encoded
 */
gsize
wk_chart_payload_get_size (const WkChartPayload *payload)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_return_val_if_fail (payload != NULL, 0);

  if (!write_body (out, payload, NULL))
    return 0;
  return 4 + KEY_ID_SIZE + out->len + SIGNATURE_SIZE;
}

/**
 * wk_chart_payload_encode:
 * @payload: what a page holds; its @key_id and @format_version are ignored
 * @keys: the kiosk's keys, which sign it
 * @error: return location for a #GError
 *
 * Encodes and signs a page's payload as the text of its QR code:
 * %WK_CHART_PAYLOAD_PREFIX then Base45.
 *
 * Returns: (transfer full): the text, or %NULL with %WK_PRINT_ERROR_INVALID when a field
 *   cannot be encoded
 */
char *
wk_chart_payload_encode (const WkChartPayload *payload, WkKeys *keys, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree char *encoded = NULL;
  guint8           signature[SIGNATURE_SIZE];
  guint8           key_id[KEY_ID_SIZE];
  const char      *hex;

  g_return_val_if_fail (payload != NULL, NULL);
  g_return_val_if_fail (keys != NULL, NULL);

  hex = wk_keys_get_key_id (keys);
  if (sodium_hex2bin (key_id, sizeof key_id, hex, strlen (hex), NULL, NULL, NULL) != 0)
    g_return_val_if_reached (NULL);

  put_u8 (out, WK_CHART_PAYLOAD_VERSION);
  put_u8 (out, payload->drill ? FLAG_DRILL : 0);
  put_u8 (out, 0);
  put_u8 (out, 0);
  g_byte_array_append (out, key_id, sizeof key_id);
  if (!write_body (out, payload, error))
    return NULL;
  if (out->len + SIGNATURE_SIZE > G_MAXUINT16)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "A page's chart code would be %u bytes, more than a QR code holds",
                   out->len + SIGNATURE_SIZE);
      return NULL;
    }
  out->data[2] = (out->len + SIGNATURE_SIZE) >> 8;
  out->data[3] = (out->len + SIGNATURE_SIZE) & 0xff;
  wk_keys_sign (keys, out->data, out->len, signature);
  g_byte_array_append (out, signature, sizeof signature);

  encoded = wk_base45_encode (out->data, out->len);
  return g_strconcat (WK_CHART_PAYLOAD_PREFIX, encoded, NULL);
}

/* ---- Reading ---------------------------------------------------------------------- */

typedef struct
{
  const guint8 *p;
  const guint8 *end;
  GError      **error;
  gboolean      failed;
  gint64        base; /* the snapshot's time in minutes: order times are relative to it */
} Reader;

static gboolean malformed (Reader *r, const char *field, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
malformed (Reader *r, const char *field, const char *format, ...)
{
  g_autofree char *why = NULL;
  va_list          args;

  if (r->failed)
    return FALSE;
  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
               "The chart code is signed but malformed: %s: %s. The program that printed it "
               "is faulty; report it with the code",
               field, why);
  r->failed = TRUE;
  return FALSE;
}

static gboolean
get_u8 (Reader *r, const char *field, guint8 *value)
{
  if (r->failed)
    return FALSE;
  if (r->p >= r->end)
    return malformed (r, field, "it runs past the end of the data");
  *value = *r->p++;
  return TRUE;
}

static gboolean
get_varint (Reader *r, const char *field, guint64 *value)
{
  guint64 result = 0;

  for (int shift = 0;; shift += 7)
    {
      guint8 byte = 0;

      if (!get_u8 (r, field, &byte))
        return FALSE;
      if (shift == 63 && byte > 1)
        return malformed (r, field, "the number is too large");
      result |= (guint64)(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0)
        break;
      if (shift == 63)
        return malformed (r, field, "the number is too large");
    }
  *value = result;
  return TRUE;
}

static gboolean
get_bounded (Reader *r, const char *field, guint64 min, guint64 max, guint64 *value)
{
  if (!get_varint (r, field, value))
    return FALSE;
  if (*value < min || *value > max)
    return malformed (
        r, field, "%" G_GUINT64_FORMAT " is outside %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
        *value, min, max);
  return TRUE;
}

static gboolean
get_text (Reader *r, const char *field, gboolean required, char **text)
{
  guint64 n;

  if (!get_varint (r, field, &n))
    return FALSE;
  if (n > (guint64)(r->end - r->p))
    return malformed (r, field, "its text runs past the end of the data");
  if (required && n == 0)
    return malformed (r, field, "it is empty");
  if (!g_utf8_validate ((const char *)r->p, n, NULL))
    return malformed (r, field, "it is not UTF-8 text");
  for (guint64 i = 0; i < n; i++)
    if (r->p[i] < 0x20 || r->p[i] == 0x7f)
      return malformed (r, field, "it holds a control character");
  *text = g_strndup ((const char *)r->p, n);
  r->p += n;
  return TRUE;
}

static gboolean
get_token (Reader *r, const char *field, const char *const *table, char **text)
{
  guint64 index;
  guint   n = g_strv_length ((char **)table);

  if (!get_varint (r, field, &index))
    return FALSE;
  if (index == 0)
    return get_text (r, field, TRUE, text);
  if (index > n)
    return malformed (r, field, "common value %" G_GUINT64_FORMAT " is not one of the %u known",
                      index, n);
  *text = g_strdup (table[index - 1]);
  return TRUE;
}

static gboolean
get_decimal (Reader *r, const char *field, double *value)
{
  guint64 raw;
  guint   decimals;

  if (!get_varint (r, field, &raw))
    return FALSE;
  decimals = raw & 7;
  if (decimals > 6)
    return malformed (r, field, "a number has %u decimals; at most 6", decimals);
  if (raw >> 3 == 0)
    return malformed (r, field, "it is 0; expected a number above 0");
  *value = (double)(raw >> 3) / pow (10, decimals);
  return TRUE;
}

static gboolean
get_minutes (Reader *r, const char *field, gint64 *seconds)
{
  guint64 raw;
  gint64  minutes;

  if (!get_varint (r, field, &raw))
    return FALSE;
  minutes = r->base + ((gint64)(raw >> 1) ^ -(gint64)(raw & 1));
  /* From the epoch to the year 9999, so that the times stay valid GDateTimes. */
  if (minutes < 1 || minutes > G_GINT64_CONSTANT (4190000000))
    return malformed (r, field, "it is not a valid time");
  *seconds = minutes * 60;
  return TRUE;
}

static gboolean
get_order (Reader *r, guint index, WkChartPayloadOrder **out)
{
  g_autoptr (WkChartPayloadOrder) order = g_new0 (WkChartPayloadOrder, 1);
  g_autofree char *field = NULL;
  guint8           bits = 0, present = 0;
  guint64          n;

#define FIELD(name) (g_free (field), field = g_strdup_printf ("order %u %s", index + 1, name))
  if (!get_text (r, FIELD ("id"), TRUE, &order->placer_id)
      || !get_bounded (r, FIELD ("version"), 1, G_MAXINT32, &n))
    return FALSE;
  order->version = n;
  if (!get_u8 (r, FIELD ("kind and status"), &bits))
    return FALSE;
  if ((bits & 3) > WK_ORDER_ONCE || ((bits >> 2) & 3) > WK_ORDER_DISCONTINUED || (bits >> 5) != 0)
    return malformed (r, field, "0x%02x is not a known kind and status", bits);
  order->kind = bits & 3;
  order->status = (bits >> 2) & 3;
  order->drug_cut = (bits >> 4) & 1;
  if (!get_u8 (r, FIELD ("fields"), &present) || !get_text (r, FIELD ("drug"), TRUE, &order->drug)
      || !get_decimal (r, FIELD ("dose"), &order->dose)
      || !get_token (r, FIELD ("dose unit"), units, &order->dose_unit)
      || !get_token (r, FIELD ("route"), routes, &order->route))
    return FALSE;
  if (present & HAS_DMD)
    {
      if (!get_bounded (r, FIELD ("dm+d code"), 1, G_GUINT64_CONSTANT (999999999999999999), &n))
        return FALSE;
      order->dmd_code = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
    }
  if ((present & HAS_DOSE_MAX) && !get_decimal (r, FIELD ("dose range"), &order->dose_max))
    return FALSE;
  if (order->dose_max != 0 && order->dose_max < order->dose)
    return malformed (r, field, "the top of the range is below the dose");
  if (present & HAS_TIMES)
    {
      g_autoptr (GString) times = g_string_new (NULL);
      guint64 count, minute, previous = 0;

      if (!get_bounded (r, FIELD ("due times"), 1, MAX_TIMES, &count))
        return FALSE;
      for (guint64 i = 0; i < count; i++)
        {
          if (!get_bounded (r, field, i == 0 ? 0 : previous + 1, MAX_TIMES - 1, &minute))
            return FALSE;
          g_string_append_printf (times, "%s%02u:%02u", i == 0 ? "" : ",", (guint)(minute / 60),
                                  (guint)(minute % 60));
          previous = minute;
        }
      order->admin_times = g_string_free (g_steal_pointer (&times), FALSE);
    }
  if (present & HAS_INTERVAL)
    {
      if (!get_bounded (r, FIELD ("minimum interval"), 1, 7 * 24 * 60, &n))
        return FALSE;
      order->min_interval_min = n;
    }
  if ((present & HAS_PRN_MAX) && !get_decimal (r, FIELD ("maximum in 24 h"), &order->prn_max_24h))
    return FALSE;
  if (!get_minutes (r, FIELD ("start"), &order->start_at))
    return FALSE;
  if ((present & HAS_STOP) && !get_minutes (r, FIELD ("stop"), &order->stop_at))
    return FALSE;
  if ((present & HAS_STATUS_AT) && !get_minutes (r, FIELD ("status time"), &order->status_at))
    return FALSE;
  if ((present & HAS_LAST_GIVEN) && !get_minutes (r, FIELD ("last given"), &order->last_given_at))
    return FALSE;
#undef FIELD
  *out = g_steal_pointer (&order);
  return TRUE;
}

static gboolean
parse_body (Reader *r, WkChartPayload *payload)
{
  guint64 n, seq, snapshot_at, delta_raw;
  guint8  patient = 0, quarters = 0;
  gint64  delta;

  if (r->end - r->p < WK_CHART_ID_SIZE)
    return malformed (r, "chart id", "it runs past the end of the data");
  {
    g_autofree char *id = wk_chart_id_from_bytes (r->p);

    g_strlcpy (payload->chart_id, id, sizeof payload->chart_id);
    r->p += WK_CHART_ID_SIZE;
  }
  if (!get_bounded (r, "pages", 1, MAX_PAGES, &n))
    return FALSE;
  payload->page = n;
  if (!get_bounded (r, "pages", payload->page, MAX_PAGES, &n))
    return FALSE;
  payload->n_pages = n;

  if (!get_u8 (r, "patient", &patient))
    return FALSE;
  if (patient == PATIENT_NHS)
    {
      guint64 number = 0;

      for (int i = 0; i < 5; i++)
        {
          guint8 byte = 0;

          if (!get_u8 (r, "NHS number", &byte))
            return FALSE;
          number = number << 8 | byte;
        }
      payload->nhs_number = g_strdup_printf ("%010" G_GUINT64_FORMAT, number);
      if (number > G_GUINT64_CONSTANT (9999999999)
          || !wk_nhs_number_validate (payload->nhs_number, NULL))
        return malformed (r, "NHS number", "it is not a valid NHS number");
    }
  else if (patient == PATIENT_HOSPITAL)
    {
      if (!get_text (r, "hospital number", TRUE, &payload->hospital_number))
        return FALSE;
    }
  else
    return malformed (r, "patient", "%u is not a known kind of patient identifier", patient);

  if (!get_text (r, "ward", TRUE, &payload->ward_id) || !get_varint (r, "snapshot", &seq)
      || !get_bounded (r, "snapshot time", 1, G_GUINT64_CONSTANT (253402300799), &snapshot_at)
      || !get_varint (r, "printed at", &delta_raw) || !get_u8 (r, "UTC offset", &quarters))
    return FALSE;
  delta = (gint64)(delta_raw >> 1) ^ -(gint64)(delta_raw & 1);
  if (delta < -(gint64)snapshot_at + 1 || delta > G_GINT64_CONSTANT (253402300799))
    return malformed (r, "printed at", "it is not a valid time");
  if ((gint8)quarters < -64 || (gint8)quarters > 63)
    return malformed (r, "UTC offset", "it is not a valid offset");
  payload->snapshot_seq = seq;
  payload->snapshot_at = snapshot_at;
  r->base = snapshot_at / 60;
  payload->printed_at = snapshot_at + delta;
  payload->utc_offset_min = (gint8)quarters * 15;

  if (!get_bounded (r, "orders", 0, MAX_ORDERS, &n))
    return FALSE;
  for (guint64 i = 0; i < n; i++)
    {
      WkChartPayloadOrder *order = NULL;

      if (!get_order (r, i, &order))
        return FALSE;
      g_ptr_array_add (payload->orders, order);
    }
  if (r->p != r->end)
    return malformed (r, "end", "%zu bytes follow the last order", (gsize)(r->end - r->p));
  return TRUE;
}

/**
 * wk_chart_payload_decode:
 * @text: a scanned chart code's text, as the QR code holds it
 * @length: its length, or -1 when nul-terminated
 * @trusted_keys: (array length=n_trusted): the Ed25519 public keys that may have signed
 *   it, %WK_KEYS_PUBLIC_KEY_SIZE bytes each, one after another
 * @n_trusted: how many keys
 * @error: return location for a #GError
 *
 * Checks and reads a chart code. Each rejection has its own code, with a message that
 * says why: %WK_PRINT_ERROR_FOREIGN (not a wardkeep chart code),
 * %WK_PRINT_ERROR_TRUNCATED (cut short), %WK_PRINT_ERROR_UNSUPPORTED_VERSION,
 * %WK_PRINT_ERROR_UNKNOWN_KEY (signed by a key not in @trusted_keys),
 * %WK_PRINT_ERROR_SIGNATURE (changed after signing), %WK_PRINT_ERROR_INVALID (a field is
 * malformed, naming it). A trailing newline, as scanners add, is ignored.
 *
 * Returns: (transfer full): what the page held, or %NULL with @error set
 */
WkChartPayload *
wk_chart_payload_decode (
    const char *text, gssize length, const guint8 *trusted_keys, gsize n_trusted, GError **error)
{
  g_autoptr (WkChartPayload) payload = NULL;
  g_autofree guint8 *data = NULL;
  g_autofree char   *key_id = NULL;
  const guint8      *key = NULL;
  gsize              size = 0, declared, expected, prefix = strlen (WK_CHART_PAYLOAD_PREFIX);
  Reader             reader = { 0 };
  GError            *local_error = NULL;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (trusted_keys != NULL || n_trusted == 0, NULL);

  if (length < 0)
    length = strlen (text);
  while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r'))
    length--;
  if ((gsize)length < prefix || memcmp (text, WK_CHART_PAYLOAD_PREFIX, prefix) != 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_FOREIGN,
                   "This is not a wardkeep chart code (its text does not start with \"%s\"); "
                   "scan the code in the corner of a wardkeep chart page",
                   WK_CHART_PAYLOAD_PREFIX);
      return NULL;
    }
  text += prefix;
  length -= prefix;

  /* The version, then the length the code should have, from its first characters: a
   * code cut short is reported as such wherever it was cut. */
  if (length < 2)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_TRUNCATED,
                   "The chart code is empty after its prefix: it was cut short");
      return NULL;
    }
  data = wk_base45_decode (text, MIN (length, 3), &size, &local_error);
  if (data == NULL)
    {
      g_propagate_prefixed_error (error, local_error, "The chart code is damaged: ");
      return NULL;
    }
  if (data[0] != WK_CHART_PAYLOAD_VERSION)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNSUPPORTED_VERSION,
                   "The chart code is format version %u; this program reads version %d. "
                   "Use the wardkeep version that printed it",
                   data[0], WK_CHART_PAYLOAD_VERSION);
      return NULL;
    }
  g_clear_pointer (&data, g_free);
  if (length < 6)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_TRUNCATED,
                   "The chart code is %zd characters, too short for its header: it was cut "
                   "short",
                   length);
      return NULL;
    }
  data = wk_base45_decode (text + 3, 3, &size, &local_error);
  if (data == NULL)
    {
      g_propagate_prefixed_error (error, local_error, "The chart code is damaged: ");
      return NULL;
    }
  declared = (gsize)data[0] << 8 | data[1];
  g_clear_pointer (&data, g_free);
  expected = declared / 2 * 3 + declared % 2 * 2;
  if (declared < HEADER_FIXED + SIGNATURE_SIZE)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The chart code's header gives a length of %zu bytes, less than any chart "
                   "code has",
                   declared);
      return NULL;
    }
  if ((gsize)length < expected)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_TRUNCATED,
                   "The chart code has %zd of its %zu characters: it was cut short (scan the "
                   "whole code)",
                   length, expected);
      return NULL;
    }
  if ((gsize)length > expected)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The chart code has %zu characters after its end (%zu expected)",
                   (gsize)length - expected, expected);
      return NULL;
    }
  data = wk_base45_decode (text, length, &size, &local_error);
  if (data == NULL)
    {
      g_propagate_prefixed_error (error, local_error, "The chart code is damaged: ");
      return NULL;
    }
  g_assert (size == declared);

  key_id = g_malloc (KEY_ID_SIZE * 2 + 1);
  sodium_bin2hex (key_id, KEY_ID_SIZE * 2 + 1, data + 4, KEY_ID_SIZE);
  for (gsize i = 0; i < n_trusted && key == NULL; i++)
    {
      g_autofree char *id = wk_keys_dup_key_id_for (trusted_keys + i * WK_KEYS_PUBLIC_KEY_SIZE);

      if (strcmp (id, key_id) == 0)
        key = trusted_keys + i * WK_KEYS_PUBLIC_KEY_SIZE;
    }
  if (key == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNKNOWN_KEY,
                   "The chart code was signed by key %s, which is not trusted here; give the "
                   "public key of the kiosk that printed it",
                   key_id);
      return NULL;
    }
  if (crypto_sign_verify_detached (data + size - SIGNATURE_SIZE, data, size - SIGNATURE_SIZE, key)
      != 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_SIGNATURE,
                   "The chart code's signature does not match its content (key %s): it was "
                   "changed or damaged after printing. Do not trust this page's code",
                   key_id);
      return NULL;
    }

  /* Signed: now the content can be read. */
  payload = wk_chart_payload_new ();
  payload->format_version = data[0];
  g_strlcpy (payload->key_id, key_id, sizeof payload->key_id);
  reader.p = data + HEADER_FIXED - WK_CHART_ID_SIZE;
  reader.end = data + size - SIGNATURE_SIZE;
  reader.error = error;
  if (data[1] & ~FLAG_DRILL)
    {
      malformed (&reader, "flags", "0x%02x has unknown bits", data[1]);
      return NULL;
    }
  payload->drill = (data[1] & FLAG_DRILL) != 0;
  if (!parse_body (&reader, payload))
    return NULL;
  return g_steal_pointer (&payload);
}

/* ---- Describing ------------------------------------------------------------------- */

static char *
format_time (gint64 utc, int offset_min)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_offset (offset_min * 60);
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (utc);
  g_autoptr (GDateTime) local = NULL;

  if (when == NULL || tz == NULL)
    return g_strdup ("(not a valid time)");
  local = g_date_time_to_timezone (when, tz);
  return g_date_time_format (local, "%Y-%m-%d %H:%M %:z");
}

static char *
format_decimal (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", value));
}

/**
 * wk_chart_payload_to_text:
 * @payload: a decoded payload
 *
 * Describes what a page held, for people (`wardkeep verify-qr`), in English, with times
 * in the ward's time as printed.
 *
 * Returns: (transfer full): several lines of text, each ending in a newline
 */
char *
wk_chart_payload_to_text (const WkChartPayload *payload)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *chart_id = NULL;
  g_autofree char *snapshot_at = NULL;
  g_autofree char *printed_at = NULL;

  g_return_val_if_fail (payload != NULL, NULL);

  chart_id = wk_chart_id_format (payload->chart_id);
  snapshot_at = format_time (payload->snapshot_at, payload->utc_offset_min);
  printed_at = format_time (payload->printed_at, payload->utc_offset_min);
  g_string_append_printf (text, "Chart %s, page %u of %u (format version %d)\n", chart_id,
                          payload->page, payload->n_pages, payload->format_version);
  if (payload->drill)
    g_string_append (text, "DRILL — NOT FOR CLINICAL USE: printed in a drill, not a record\n");
  if (payload->nhs_number != NULL)
    {
      g_autofree char *nhs = wk_nhs_number_format (payload->nhs_number);

      g_string_append_printf (text, "Patient:    NHS number %s\n", nhs);
    }
  else
    g_string_append_printf (text, "Patient:    hospital number %s\n", payload->hospital_number);
  g_string_append_printf (text, "Ward:       %s\n", payload->ward_id);
  g_string_append_printf (text, "Data as of: %s (snapshot %" G_GUINT64_FORMAT ")\n", snapshot_at,
                          payload->snapshot_seq);
  g_string_append_printf (text, "Printed:    %s\n", printed_at);
  g_string_append_printf (text, "Orders on this page: %u\n", payload->orders->len);

  for (guint i = 0; i < payload->orders->len; i++)
    {
      const WkChartPayloadOrder *order = payload->orders->pdata[i];
      g_autofree char           *dose = format_decimal (order->dose);
      g_autofree char           *start = format_time (order->start_at, payload->utc_offset_min);
      const char                *status = order->status == WK_ORDER_DISCONTINUED ? "STOPPED"
                                          : order->status == WK_ORDER_HELD       ? "HELD"
                                                                                 : "active";
      const char                *kind = order->kind == WK_ORDER_REGULAR ? "regular"
                                        : order->kind == WK_ORDER_PRN   ? "as required"
                                                                        : "once only";

      g_string_append_printf (text, "  %u. %s version %d: %s%s", i + 1, order->placer_id,
                              order->version, order->drug, order->drug_cut ? "…" : "");
      if (order->dmd_code != NULL)
        g_string_append_printf (text, " (dm+d %s)", order->dmd_code);
      g_string_append_printf (text, "\n     %s, %s; %s", kind, status, dose);
      if (order->dose_max > 0)
        {
          g_autofree char *max = format_decimal (order->dose_max);

          g_string_append_printf (text, " to %s", max);
        }
      g_string_append_printf (text, " %s %s", order->dose_unit, order->route);
      if (order->admin_times != NULL)
        g_string_append_printf (text, " at %s", order->admin_times);
      if (order->min_interval_min > 0)
        g_string_append_printf (text, ", at least %d min apart", order->min_interval_min);
      if (order->prn_max_24h > 0)
        {
          g_autofree char *max = format_decimal (order->prn_max_24h);

          g_string_append_printf (text, ", at most %s %s in 24 h", max, order->dose_unit);
        }
      g_string_append_printf (text, "\n     from %s", start);
      if (order->stop_at > 0)
        {
          g_autofree char *stop = format_time (order->stop_at, payload->utc_offset_min);

          g_string_append_printf (text, " until %s", stop);
        }
      if (order->status_at > 0)
        {
          g_autofree char *at = format_time (order->status_at, payload->utc_offset_min);

          g_string_append_printf (text, "; %s %s",
                                  order->status == WK_ORDER_HELD ? "held" : "stopped", at);
        }
      if (order->last_given_at > 0)
        {
          g_autofree char *at = format_time (order->last_given_at, payload->utc_offset_min);

          g_string_append_printf (text, "; last given %s", at);
        }
      g_string_append_c (text, '\n');
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
