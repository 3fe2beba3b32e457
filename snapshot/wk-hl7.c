/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-hl7.c — HL7 v2 messages: a zero-copy parser, batch splitting and a message builder. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-hl7.h"

#include "wk-snapshot-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Room for a typical message without a second allocation. */
#define INLINE_SEGMENTS 48
#define INLINE_OFFSETS 640
#define INLINE_ARENA 2048
#define MAX_SPLIT 24

typedef struct
{
  guint32 start; /* first byte of the segment name */
  guint32 end;   /* one past the last byte, before the line end */
  guint32 first; /* index in offsets of entry 0 (the segment name) */
  guint32 n;     /* entries: the name plus each field */
} Segment;

typedef struct ArenaBlock
{
  struct ArenaBlock *next;
  char               data[];
} ArenaBlock;

struct _WkHl7Message
{
  const char     *data;
  gsize           size;
  WkHl7Delimiters delimiters;
  WkHl7Charset    charset;

  Segment *segments;
  guint    n_segments, segments_cap;
  guint32 *offsets; /* start of every entry of every segment */
  guint    n_offsets, offsets_cap;

  /* Decoded text lives here until the message is freed. */
  char       *arena;
  gsize       arena_used, arena_cap;
  ArenaBlock *blocks;

  WkHl7Location error_location;

  /* The zone of the last time read, with its quarter hour (see local_to_utc()). */
  GTimeZone *memo_zone; /* a reference */
  gint64     memo_bucket, memo_delta;

  /* The components of the repetition read last, so that reading several components of
   * one field (PID-3, PV1-3, ...) scans it once. */
  const char *split_data;
  gsize       split_length;
  guint       split_repetition;
  guint       split_count; /* 0: nothing cached */
  gboolean    split_has_subcomponents;
  guint16     split_start[MAX_SPLIT], split_end[MAX_SPLIT];

  Segment seg_inline[INLINE_SEGMENTS];
  guint32 off_inline[INLINE_OFFSETS];
  char    arena_inline[INLINE_ARENA];
};

/* Character sets: MSH-18 spellings, the first of each is the one written. */
static const struct
{
  const char  *name;
  WkHl7Charset charset;
} charset_names[] = {
  { "ASCII", WK_HL7_CHARSET_ASCII },      { "UNICODE UTF-8", WK_HL7_CHARSET_UTF8 },
  { "8859/1", WK_HL7_CHARSET_LATIN1 },    { "UTF-8", WK_HL7_CHARSET_UTF8 },
  { "UTF8", WK_HL7_CHARSET_UTF8 },        { "ISO-8859-1", WK_HL7_CHARSET_LATIN1 },
  { "ISO8859-1", WK_HL7_CHARSET_LATIN1 }, { "ISO_8859-1", WK_HL7_CHARSET_LATIN1 },
  { "ISO IR6", WK_HL7_CHARSET_ASCII },    { "ISO IR100", WK_HL7_CHARSET_LATIN1 },
  { "US-ASCII", WK_HL7_CHARSET_ASCII },
};

/**
 * wk_hl7_charset_from_string:
 * @text: an MSH-18 value (`ASCII`, `UNICODE UTF-8`, `8859/1`) or a common spelling of
 *   one (`UTF-8`, `ISO-8859-1`), in any case
 * @charset: (out): the character set
 *
 * Returns: %TRUE when @text names a character set the parser decodes
 */
gboolean
wk_hl7_charset_from_string (const char *text, WkHl7Charset *charset)
{
  g_return_val_if_fail (text != NULL, FALSE);

  /* The spellings MSH-18 uses, exactly, before the tolerant search. */
  if (strcmp (text, "UNICODE UTF-8") == 0)
    {
      *charset = WK_HL7_CHARSET_UTF8;
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (charset_names); i++)
    if (g_ascii_strcasecmp (text, charset_names[i].name) == 0)
      {
        *charset = charset_names[i].charset;
        return TRUE;
      }
  return FALSE;
}

/**
 * wk_hl7_charset_to_string:
 * @charset: a #WkHl7Charset
 *
 * Returns: its MSH-18 value (`ASCII`, `UNICODE UTF-8`, `8859/1`)
 */
const char *
wk_hl7_charset_to_string (WkHl7Charset charset)
{
  for (gsize i = 0; i < G_N_ELEMENTS (charset_names); i++)
    if (charset_names[i].charset == charset)
      return charset_names[i].name;
  return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Parsing                                                                            */

static gboolean
is_delimiter_char (char c)
{
  return c > 0x20 && c < 0x7f && !g_ascii_isalnum (c);
}

/* Reads MSH-1/MSH-2 (or FHS/BHS): @p points at the segment name. Returns the number of
 * bytes of "MSH|^~\&" on success. */
static gsize
read_delimiters (const char *p, gsize n, WkHl7Delimiters *d, GError **error)
{
  char  chars[5] = { 0 };
  gsize i, count = 0;

  if (n < 4 || !is_delimiter_char (p[3]))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "MSH-1: the field separator after \"%.3s\" is missing or not a punctuation "
                   "character",
                   p);
      return 0;
    }
  d->field = p[3];
  for (i = 4; i < n && p[i] != d->field && p[i] != '\r' && p[i] != '\n'; i++)
    {
      if (count == 5 || !is_delimiter_char (p[i]))
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                       "MSH-2: the encoding characters must be 2 to 5 punctuation characters");
          return 0;
        }
      chars[count++] = p[i];
    }
  if (count < 2)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "MSH-2: the encoding characters must be 2 to 5 punctuation characters "
                   "(component, repetition, escape, sub-component)");
      return 0;
    }
  d->component = chars[0];
  d->repetition = chars[1];
  d->escape = chars[2];
  d->subcomponent = chars[3];
  /* Every delimiter must differ from the others (a fifth, v2.7's truncation, is ignored). */
  {
    char all[5] = { d->field, d->component, d->repetition, d->escape, d->subcomponent };

    for (int a = 0; a < 5; a++)
      for (int b = a + 1; b < 5; b++)
        if (all[a] != 0 && all[a] == all[b])
          {
            g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                         "MSH-2: the delimiter '%c' is declared twice", all[a]);
            return 0;
          }
  }
  return i;
}

static void
push_segment (WkHl7Message *m, const Segment *segment)
{
  if (m->n_segments == m->segments_cap)
    {
      m->segments_cap *= 2;
      if (m->segments == m->seg_inline)
        m->segments = g_memdup2 (m->seg_inline, sizeof m->seg_inline);
      m->segments = g_renew (Segment, m->segments, m->segments_cap);
    }
  m->segments[m->n_segments++] = *segment;
}

static inline void
push_offset (WkHl7Message *m, guint32 offset)
{
  if (G_UNLIKELY (m->n_offsets == m->offsets_cap))
    {
      m->offsets_cap *= 2;
      if (m->offsets == m->off_inline)
        m->offsets = g_memdup2 (m->off_inline, sizeof m->off_inline);
      m->offsets = g_renew (guint32, m->offsets, m->offsets_cap);
    }
  m->offsets[m->n_offsets++] = offset;
}

/* The segment that holds byte @offset, and the field within it. */
static void
locate_offset (WkHl7Message *m, gsize offset, WkHl7Location *location)
{
  guint lo = 0, hi = m->n_segments;

  memset (location, 0, sizeof *location);
  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;

      if (m->segments[mid].start <= offset)
        lo = mid;
      else
        hi = mid;
    }
  location->segment = lo;
  if (m->n_segments == 0)
    return;
  for (guint k = m->segments[lo].n; k-- > 0;)
    if (m->offsets[m->segments[lo].first + k] <= offset)
      {
        gboolean msh = wk_hl7_message_segment_is (m, lo, "MSH");

        location->field = msh && k > 0 ? k + 1 : k;
        break;
      }
}

static gboolean
fail_at (WkHl7Message *m, gsize offset, GError **error, int code, const char *what)
{
  WkHl7Location    location;
  g_autofree char *where = NULL;

  locate_offset (m, offset, &location);
  m->error_location = location;
  where = wk_hl7_message_dup_location (m, &location);
  g_set_error (error, WK_SNAPSHOT_ERROR, code, "%s: %s", where, what);
  return FALSE;
}

/* What each byte is to the indexing loop: 0 text, 1 the field separator (set per
 * message), 2 a control character HL7 text cannot hold, 3 a line end, 4 not ASCII. */
enum
{
  BYTE_TEXT,
  BYTE_FIELD,
  BYTE_CONTROL,
  BYTE_LINE_END,
  BYTE_HIGH,
};

static const guint8 byte_classes[256] = {
  [0 ... 8] = BYTE_CONTROL,    ['\n'] = BYTE_LINE_END,       [11 ... 12] = BYTE_CONTROL,
  ['\r'] = BYTE_LINE_END,      [14 ... 0x1f] = BYTE_CONTROL, [0x7f] = BYTE_CONTROL,
  [0x80 ... 0xff] = BYTE_HIGH,
};

#ifdef __SSE2__
/* A bit for each of sixteen bytes that is not plain text: the field separator, a control
 * character or line end, or a byte from 0x80 (a signed compare puts those below space). */
static inline unsigned
special_mask (const guint8 *p, __m128i field, __m128i space, __m128i delete)
{
  __m128i x = _mm_loadu_si128 ((const __m128i *)p);
  __m128i hit = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (x, field), _mm_cmplt_epi8 (x, space)),
                              _mm_cmpeq_epi8 (x, delete));

  return (unsigned)_mm_movemask_epi8 (hit);
}
#endif

/* Indexes every segment and field in one pass over the bytes. */
static gboolean
index_message (WkHl7Message *m, gsize start, GError **error)
{
  const guint8 *d = (const guint8 *)m->data;
  const gsize   size = m->size;
  const guint8  fs = (guint8)m->delimiters.field;
  guint8        classes[256];
  guint8        high = 0;
  gsize         i = start;

#ifdef __SSE2__
  const __m128i field_v = _mm_set1_epi8 ((char)fs);
  const __m128i space_v = _mm_set1_epi8 (0x20);
  const __m128i delete_v = _mm_set1_epi8 (0x7f);
#endif

  memcpy (classes, byte_classes, sizeof classes);
  classes[fs] = BYTE_FIELD;

  while (i < size)
    {
      Segment segment;

      /* Blank lines between segments (CRLF, LF, CR CR) are tolerated. */
      if (d[i] == '\r' || d[i] == '\n')
        {
          i++;
          continue;
        }
      segment.start = i;
      segment.first = m->n_offsets;
      push_offset (m, i);
      {
        gboolean ended = FALSE;
        guint8   k = BYTE_TEXT;

#ifdef __SSE2__
        /* Sixteen bytes at a time; each bit of the mask is one byte that is not text. */
        while (!ended && i + 16 <= size)
          {
            unsigned mask = special_mask (d + i, field_v, space_v, delete_v);

            while (mask != 0)
              {
                gsize j = i + (gsize)__builtin_ctz (mask);

                mask &= mask - 1;
                k = classes[d[j]];
                if (k == BYTE_FIELD)
                  push_offset (m, j + 1);
                else if (k == BYTE_HIGH)
                  high = 0x80;
                else if (k != BYTE_TEXT)
                  {
                    i = j;
                    ended = TRUE;
                    break;
                  }
              }
            if (!ended)
              i += 16;
          }
#endif
        for (; !ended && i < size; i++)
          {
            k = classes[d[i]];
            if (k == BYTE_FIELD)
              push_offset (m, i + 1);
            else if (k == BYTE_HIGH)
              high = 0x80;
            else if (k != BYTE_TEXT)
              break;
          }
        if (i < size && k == BYTE_CONTROL)
          {
            segment.end = i;
            segment.n = m->n_offsets - segment.first;
            push_segment (m, &segment);
            return fail_at (m, i, error, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                            "a control character that HL7 text cannot contain");
          }
      }
      segment.end = i;
      segment.n = m->n_offsets - segment.first;
      push_segment (m, &segment);

      /* A segment name is three capitals or digits, then a field separator or the end. */
      {
        gsize len
            = (segment.n > 1 ? m->offsets[segment.first + 1] - 1 : segment.end) - segment.start;
        const guint8 *id = d + segment.start;

        if (len != 3 || !(g_ascii_isupper (id[0]) || g_ascii_isdigit (id[0]))
            || !(g_ascii_isupper (id[1]) || g_ascii_isdigit (id[1]))
            || !(g_ascii_isupper (id[2]) || g_ascii_isdigit (id[2])))
          {
            m->error_location.segment = m->n_segments - 1;
            g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                         "Segment %u: does not start with a segment name of three capital "
                         "letters or digits",
                         m->n_segments);
            return FALSE;
          }
        if (m->n_segments > 1 && memcmp (id, "MSH", 3) == 0)
          {
            m->error_location.segment = m->n_segments - 1;
            g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                         "Segment %u: a second MSH segment; send one message per frame, or a "
                         "batch (BHS ... BTS)",
                         m->n_segments);
            return FALSE;
          }
      }
    }

  /* The character set, then the text's bytes against it. */
  {
    WkHl7Span raw = wk_hl7_message_get_raw (m, 0, 18, 1, 1, 1);

    if (raw.length > 0 && !(raw.length == 2 && raw.data[0] == '"' && raw.data[1] == '"'))
      {
        char name[32];

        if (raw.length >= sizeof name)
          goto bad_charset;
        memcpy (name, raw.data, raw.length);
        name[raw.length] = '\0';
        if (!wk_hl7_charset_from_string (name, &m->charset))
          goto bad_charset;
      }
  }
  if (high & 0x80)
    {
      const char *bad = NULL;

      if (m->charset == WK_HL7_CHARSET_ASCII)
        {
          for (gsize j = start; j < size; j++)
            if (d[j] & 0x80)
              {
                bad = m->data + j;
                break;
              }
        }
      else if (m->charset == WK_HL7_CHARSET_UTF8)
        g_utf8_validate (m->data, size, &bad);
      if (bad != NULL && bad < m->data + size)
        return fail_at (
            m, bad - m->data, error, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
            m->charset == WK_HL7_CHARSET_ASCII
                ? "text that is not ASCII, and MSH-18 does not declare another character set"
                : "text that is not valid UTF-8, which MSH-18 declares");
    }
  return TRUE;

bad_charset:
  m->error_location = (WkHl7Location){ 0, 18, 1, 1, 0 };
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_UNSUPPORTED,
               "MSH-18: the character set is not one wardkeep reads (ASCII, UNICODE UTF-8, "
               "8859/1)");
  return FALSE;
}

/**
 * wk_hl7_message_parse:
 * @data: the message's bytes, which must outlive the message
 * @size: how many
 * @options: (nullable): the size limit and default character set; %NULL for defaults
 * @error: return location for a #GError
 *
 * Parses one HL7 v2 message, starting with MSH. Refused with
 * %WK_SNAPSHOT_ERROR_HL7_SYNTAX (with the segment and field in the message) for bytes
 * that are not HL7, a malformed MSH, a bad segment name, a second MSH, control
 * characters, text that does not decode in the message's character set, or a message
 * over the size limit; with %WK_SNAPSHOT_ERROR_HL7_UNSUPPORTED for an MSH-18 character
 * set it does not read.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
WkHl7Message *
wk_hl7_message_parse (const guint8            *data,
                      gsize                    size,
                      const WkHl7ParseOptions *options,
                      GError                 **error)
{
  WkHl7Message *m;
  gsize         max_size
      = options != NULL && options->max_size > 0 ? options->max_size : WK_HL7_DEFAULT_MAX_SIZE;
  gsize start = 0, header;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  if (size > max_size || size > G_MAXUINT32)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "The message is %" G_GSIZE_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT
                   " bytes",
                   size, max_size);
      return NULL;
    }
  while (start < size && (data[start] == '\r' || data[start] == '\n'))
    start++;
  if (size - start < 8 || memcmp (data + start, "MSH", 3) != 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "Not an HL7 v2 message: it does not start with an MSH segment");
      return NULL;
    }

  m = g_new (WkHl7Message, 1);
  m->data = (const char *)data;
  m->size = size;
  m->charset = options != NULL ? options->default_charset : WK_HL7_CHARSET_ASCII;
  m->segments = m->seg_inline;
  m->n_segments = 0;
  m->segments_cap = INLINE_SEGMENTS;
  m->offsets = m->off_inline;
  m->n_offsets = 0;
  m->offsets_cap = INLINE_OFFSETS;
  m->arena = m->arena_inline;
  m->arena_used = 0;
  m->arena_cap = INLINE_ARENA;
  m->blocks = NULL;
  m->split_count = 0;
  m->split_data = NULL;
  m->memo_zone = NULL;
  memset (&m->error_location, 0, sizeof m->error_location);

  header = read_delimiters (m->data + start, size - start, &m->delimiters, error);
  if (header == 0 || !index_message (m, start, error))
    {
      wk_hl7_message_free (m);
      return NULL;
    }
  return m;
}

/**
 * wk_hl7_message_free:
 * @message: (nullable) (transfer full): a #WkHl7Message
 */
void
wk_hl7_message_free (WkHl7Message *message)
{
  if (message == NULL)
    return;
  if (message->segments != message->seg_inline)
    g_free (message->segments);
  if (message->offsets != message->off_inline)
    g_free (message->offsets);
  g_clear_pointer (&message->memo_zone, g_time_zone_unref);
  while (message->blocks != NULL)
    {
      ArenaBlock *next = message->blocks->next;

      g_free (message->blocks);
      message->blocks = next;
    }
  g_free (message);
}

/**
 * wk_hl7_message_get_delimiters:
 * @message: a #WkHl7Message
 *
 * Returns: (transfer none): the delimiters the message declares
 */
const WkHl7Delimiters *
wk_hl7_message_get_delimiters (WkHl7Message *message)
{
  return &message->delimiters;
}

/**
 * wk_hl7_message_get_charset:
 * @message: a #WkHl7Message
 *
 * Returns: the character set of the message's text (MSH-18, or the default)
 */
WkHl7Charset
wk_hl7_message_get_charset (WkHl7Message *message)
{
  return message->charset;
}

/**
 * wk_hl7_message_get_bytes:
 * @message: a #WkHl7Message
 *
 * Returns: the bytes the message was parsed from
 */
WkHl7Span
wk_hl7_message_get_bytes (WkHl7Message *message)
{
  return (WkHl7Span){ message->data, message->size };
}

/**
 * wk_hl7_message_get_n_segments:
 * @message: a #WkHl7Message
 *
 * Returns: how many segments the message has (MSH is segment 0)
 */
guint
wk_hl7_message_get_n_segments (WkHl7Message *message)
{
  return message->n_segments;
}

/**
 * wk_hl7_message_get_segment_id:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 *
 * Returns: its three-character name (not nul-terminated), or an empty span past the end
 */
WkHl7Span
wk_hl7_message_get_segment_id (WkHl7Message *message, guint segment)
{
  if (segment >= message->n_segments
      || message->segments[segment].end - message->segments[segment].start < 3)
    return (WkHl7Span){ NULL, 0 };
  return (WkHl7Span){ message->data + message->segments[segment].start, 3 };
}

/**
 * wk_hl7_message_segment_is:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @id: a segment name such as "PID"
 *
 * Returns: whether the segment is there and has that name
 */
gboolean
wk_hl7_message_segment_is (WkHl7Message *message, guint segment, const char *id)
{
  const char *p;

  if (segment >= message->n_segments
      || message->segments[segment].end - message->segments[segment].start < 3)
    return FALSE;
  p = message->data + message->segments[segment].start;
  return p[0] == id[0] && p[1] == id[1] && p[2] == id[2] && id[3] == '\0';
}

/**
 * wk_hl7_message_find_segment:
 * @message: a #WkHl7Message
 * @id: a segment name such as "PID"
 * @from: the index to start looking at
 *
 * Returns: the index of the first segment named @id at or after @from, or -1
 */
int
wk_hl7_message_find_segment (WkHl7Message *message, const char *id, guint from)
{
  for (guint i = from; i < message->n_segments; i++)
    if (wk_hl7_message_segment_is (message, i, id))
      return (int)i;
  return -1;
}

/**
 * wk_hl7_message_get_n_fields:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 *
 * Returns: the number of the segment's last field (0 for a bare segment name)
 */
guint
wk_hl7_message_get_n_fields (WkHl7Message *message, guint segment)
{
  if (segment >= message->n_segments)
    return 0;
  if (segment == 0)
    return message->segments[0].n; /* MSH-1 is the separator itself */
  return message->segments[segment].n - 1;
}

/* The raw bytes of a whole field. */
static inline WkHl7Span
field_span (WkHl7Message *m, guint segment, guint field)
{
  const Segment *s;
  guint          k;
  guint32        start, end;

  if (segment >= m->n_segments || field == 0)
    return (WkHl7Span){ NULL, 0 };
  s = &m->segments[segment];
  if (segment == 0)
    {
      if (field == 1)
        return (WkHl7Span){ m->data + s->start + 3, 1 };
      k = field - 1;
    }
  else
    k = field;
  if (k >= s->n)
    return (WkHl7Span){ NULL, 0 };
  start = m->offsets[s->first + k];
  end = k + 1 < s->n ? m->offsets[s->first + k + 1] - 1 : s->end;
  return (WkHl7Span){ m->data + start, end - start };
}

/* The @index-th (from 1) part of @span split at @sep; an empty span past the last.
 * Parts are short, so a plain loop beats a call to memchr(). */
static inline WkHl7Span
nth_part (WkHl7Span span, char sep, guint index)
{
  const char *p = span.data, *end = span.data + span.length, *start;

  if (sep == 0)
    return index == 1 ? span : (WkHl7Span){ NULL, 0 };
  if (p == NULL)
    return (WkHl7Span){ NULL, 0 };
  for (guint i = 1; i < index; i++)
    {
      while (p < end && *p != sep)
        p++;
      if (p == end)
        return (WkHl7Span){ NULL, 0 };
      p++;
    }
  for (start = p; p < end && *p != sep; p++)
    ;
  return (WkHl7Span){ start, p - start };
}

/* The value at repetition @rep, component @comp, sub-component @sub (all from 1) of a
 * field, found in one pass; an empty span when the field has no such value. A byte 0
 * never occurs in a message (it is refused), so an undeclared delimiter never matches. */
static inline WkHl7Span
locate (WkHl7Span field, const WkHl7Delimiters *d, guint rep, guint comp, guint sub)
{
  const char *p = field.data, *end = field.data + field.length, *start = p;
  const char  rs = d->repetition, cs = d->component, ss = d->subcomponent;
  guint       r = 1, c = 1, s = 1;

  for (; p < end; p++)
    {
      char ch = *p;

      if (ch != rs && ch != cs && (ch != ss || ss == 0))
        continue;
      if (r == rep && c == comp && s == sub)
        break;
      if (ch == rs)
        r++, c = 1, s = 1;
      else if (ch == cs)
        c++, s = 1;
      else
        s++;
      if (r > rep || (r == rep && (c > comp || (c == comp && s > sub))))
        return (WkHl7Span){ NULL, 0 };
      start = p + 1;
    }
  if (r == rep && c == comp && s == sub)
    return (WkHl7Span){ start, p - start };
  return (WkHl7Span){ NULL, 0 };
}

/* Splits repetition @rep of @field into components for the message's cache. Returns
 * FALSE when the field has more components than the cache holds, or no such repetition
 * (then the cache is left empty). */
static G_NO_INLINE gboolean
split_repetition (WkHl7Message *m, WkHl7Span field, guint rep)
{
  const WkHl7Delimiters *d = &m->delimiters;
  const char            *p = field.data, *end = field.data + field.length, *start;
  const char             rs = d->repetition, cs = d->component, ss = d->subcomponent;
  gboolean               has_sub = FALSE;
  guint                  n = 0;

  m->split_count = 0;

  /* Find the repetition, then record where each of its components starts and ends. */
  for (guint r = 1; r < rep; r++)
    {
      while (p < end && *p != rs)
        p++;
      if (p == end)
        return FALSE;
      p++;
    }
  start = p;
#ifdef __SSE2__
  /* Sixteen bytes at a time while they are inside the message; each bit of the mask
   * is a delimiter. */
  {
    const __m128i rv = _mm_set1_epi8 (rs), cv = _mm_set1_epi8 (cs), sv = _mm_set1_epi8 (ss);
    const char   *limit = m->data + m->size;

    while (p < end && p + 16 <= limit)
      {
        __m128i  x = _mm_loadu_si128 ((const __m128i *)p);
        unsigned hits = (unsigned)_mm_movemask_epi8 (
            _mm_or_si128 (_mm_cmpeq_epi8 (x, rv), _mm_cmpeq_epi8 (x, cv)));
        unsigned subs = (unsigned)_mm_movemask_epi8 (_mm_cmpeq_epi8 (x, sv));
        gsize    left = end - p;
        unsigned valid = left >= 16 ? 0xffffu : (1u << left) - 1;

        has_sub |= (subs & valid) != 0;
        hits &= valid;
        while (hits != 0)
          {
            const char *at = p + __builtin_ctz (hits);

            hits &= hits - 1;
            if (n == MAX_SPLIT)
              return FALSE;
            m->split_start[n] = start - field.data;
            m->split_end[n] = at - field.data;
            n++;
            if (*at == rs)
              goto split_done;
            start = at + 1;
          }
        p += MIN (left, 16);
      }
  }
#endif
  for (;; p++)
    {
      char ch = p < end ? *p : rs;

      if (ch != rs && ch != cs)
        {
          has_sub |= ch == ss;
          continue;
        }
      if (n == MAX_SPLIT)
        return FALSE;
      m->split_start[n] = start - field.data;
      m->split_end[n] = p - field.data;
      n++;
      if (ch == rs)
        break;
      start = p + 1;
    }
#ifdef __SSE2__
split_done:
#endif
  m->split_has_subcomponents = has_sub && ss != 0;
  m->split_data = field.data;
  m->split_length = field.length;
  m->split_repetition = rep;
  m->split_count = n;
  return TRUE;
}

/* As locate(), through the message's cache of the last repetition split into components. */
static G_ALWAYS_INLINE inline WkHl7Span
locate_cached (WkHl7Message *m, WkHl7Span field, guint rep, guint comp, guint sub)
{
  const WkHl7Delimiters *d = &m->delimiters;
  WkHl7Span              part;

  if (G_UNLIKELY (field.length > G_MAXUINT16 || comp > MAX_SPLIT))
    return locate (field, d, rep, comp, sub);
  if (m->split_count == 0 || m->split_data != field.data || m->split_length != field.length
      || m->split_repetition != rep)
    {
      if (!split_repetition (m, field, rep))
        return locate (field, d, rep, comp, sub);
    }
  if (comp > m->split_count)
    return (WkHl7Span){ NULL, 0 };
  part = (WkHl7Span){ field.data + m->split_start[comp - 1],
                      m->split_end[comp - 1] - m->split_start[comp - 1] };
  if (!m->split_has_subcomponents)
    return sub == 1 ? part : (WkHl7Span){ NULL, 0 };
  return nth_part (part, d->subcomponent, sub);
}

static G_ALWAYS_INLINE inline WkHl7Span raw_at (WkHl7Message *message,
                                                guint         segment,
                                                guint         field,
                                                guint         repetition,
                                                guint         component,
                                                guint         subcomponent);

/**
 * wk_hl7_message_get_n_repetitions:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 *
 * Returns: how many repetitions the field has (0 when it is empty)
 */
guint
wk_hl7_message_get_n_repetitions (WkHl7Message *message, guint segment, guint field)
{
  WkHl7Span span = field_span (message, segment, field);
  guint     n = 1;

  if (span.length == 0)
    return 0;
  if (segment == 0 && field <= 2)
    return 1;
  for (const char *p = span.data, *end = span.data + span.length;
       (p = memchr (p, message->delimiters.repetition, end - p)) != NULL; p++)
    n++;
  return n;
}

/**
 * wk_hl7_message_get_raw:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 * @repetition: the repetition from 1, or 0 for the whole field
 * @component: the component from 1, or 0 for the whole repetition
 * @subcomponent: the sub-component from 1, or 0 for the whole component
 *
 * Returns: the raw, still escaped bytes at that position; empty when there are none
 */
WkHl7Span
wk_hl7_message_get_raw (WkHl7Message *message,
                        guint         segment,
                        guint         field,
                        guint         repetition,
                        guint         component,
                        guint         subcomponent)
{
  return raw_at (message, segment, field, repetition, component, subcomponent);
}

static G_ALWAYS_INLINE inline WkHl7Span
raw_at (WkHl7Message *message,
        guint         segment,
        guint         field,
        guint         repetition,
        guint         component,
        guint         subcomponent)
{
  WkHl7Span span = field_span (message, segment, field);

  if (span.length == 0 || (segment == 0 && field <= 2))
    return span;
  if (repetition == 0)
    return span;
  if (component != 0 && subcomponent != 0)
    return locate_cached (message, span, repetition, component, subcomponent);
  span = nth_part (span, message->delimiters.repetition, repetition);
  if (component == 0 || span.length == 0)
    return span;
  span = nth_part (span, message->delimiters.component, component);
  if (subcomponent == 0 || span.length == 0)
    return span;
  return nth_part (span, message->delimiters.subcomponent, subcomponent);
}

static gboolean
span_is_null (WkHl7Span span)
{
  return span.length == 2 && span.data[0] == '"' && span.data[1] == '"';
}

/**
 * wk_hl7_message_get_presence:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 * @repetition: as for wk_hl7_message_get_raw()
 * @component: as for wk_hl7_message_get_raw()
 * @subcomponent: as for wk_hl7_message_get_raw()
 *
 * Returns: whether the position is empty, the explicit null `""`, or has content
 */
WkHl7Presence
wk_hl7_message_get_presence (WkHl7Message *message,
                             guint         segment,
                             guint         field,
                             guint         repetition,
                             guint         component,
                             guint         subcomponent)
{
  WkHl7Span span
      = wk_hl7_message_get_raw (message, segment, field, repetition, component, subcomponent);

  if (span.length == 0)
    return WK_HL7_ABSENT;
  if (span_is_null (span))
    return WK_HL7_NULL;
  return WK_HL7_PRESENT;
}

static char *
arena_alloc (WkHl7Message *m, gsize size)
{
  char *p;

  if (m->arena_cap - m->arena_used < size)
    {
      gsize       cap = MAX (size, 4096);
      ArenaBlock *block = g_malloc (sizeof (ArenaBlock) + cap);

      block->next = m->blocks;
      m->blocks = block;
      m->arena = block->data;
      m->arena_used = 0;
      m->arena_cap = cap;
    }
  p = m->arena + m->arena_used;
  m->arena_used += size;
  return p;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static void
set_location (WkHl7Location *location,
              guint          segment,
              guint          field,
              guint          repetition,
              guint          component,
              guint          subcomponent)
{
  *location = (WkHl7Location){ segment, field, repetition, component, subcomponent };
}

static gboolean
fail_value (WkHl7Message *m,
            guint         segment,
            guint         field,
            guint         repetition,
            guint         component,
            guint         subcomponent,
            int           code,
            const char   *what,
            GError      **error)
{
  g_autofree char *where = NULL;

  set_location (&m->error_location, segment, field, repetition, component, subcomponent);
  where = wk_hl7_message_dup_location (m, &m->error_location);
  g_set_error (error, WK_SNAPSHOT_ERROR, code, "%s: %s", where, what);
  return FALSE;
}

/* Appends one decoded byte of the message's character set as UTF-8. */
static inline char *
put_byte (char *out, guint8 c, WkHl7Charset charset)
{
  if (c >= 0x80 && charset == WK_HL7_CHARSET_LATIN1)
    {
      *out++ = (char)(0xc0 | (c >> 6));
      *out++ = (char)(0x80 | (c & 0x3f));
    }
  else
    *out++ = (char)c;
  return out;
}

/* Unescapes and decodes @span into the arena. Returns NULL with @problem set on failure. */
static const char *
decode (WkHl7Message *m, WkHl7Span span, const char **problem)
{
  const WkHl7Delimiters *d = &m->delimiters;
  const char            *p = span.data, *end = span.data + span.length;
  gboolean               has_escape = FALSE;
  gboolean               from_hex = FALSE;
  char                  *text, *out;

  /* The usual case: no escape, no conversion; copied while looking for an escape. */
  if (m->charset != WK_HL7_CHARSET_LATIN1)
    {
      const char escape = d->escape != 0 ? d->escape : '\r'; /* never in a value */
      gsize      i;

      text = arena_alloc (m, span.length + 1);
      for (i = 0; i < span.length && p[i] != escape; i++)
        text[i] = p[i];
      if (i == span.length)
        {
          text[i] = '\0';
          return text;
        }
      m->arena_used -= span.length + 1;
    }
  for (const char *q = p; d->escape != 0 && q < end; q++)
    if (*q == d->escape)
      {
        has_escape = TRUE;
        break;
      }

  text = out = arena_alloc (m, span.length * 2 + 1);
  while (p < end)
    {
      const char *close;
      gsize       n;

      if (!has_escape || *p != d->escape)
        {
          out = put_byte (out, (guint8)*p++, m->charset);
          continue;
        }
      close = memchr (p + 1, d->escape, end - p - 1);
      if (close == NULL)
        {
          *problem = "an escape sequence is not closed (a lone escape character must be sent as "
                     "\\E\\)";
          return NULL;
        }
      n = close - p - 1;
      p++;
      if (n == 1 && strchr ("FSTRE", *p) != NULL)
        {
          switch (*p)
            {
            case 'F':
              *out++ = d->field;
              break;
            case 'S':
              *out++ = d->component;
              break;
            case 'T':
              *out++ = d->subcomponent;
              break;
            case 'R':
              *out++ = d->repetition;
              break;
            default:
              *out++ = d->escape;
              break;
            }
        }
      else if (*p == 'X')
        {
          if (n < 3 || (n - 1) % 2 != 0)
            {
              *problem = "a \\X..\\ escape needs an even number of hexadecimal digits";
              return NULL;
            }
          for (gsize i = 1; i < n; i += 2)
            {
              int hi = hex_value (p[i]), lo = hex_value (p[i + 1]);
              int c;

              if (hi < 0 || lo < 0)
                {
                  *problem = "a \\X..\\ escape holds a character that is not a hexadecimal digit";
                  return NULL;
                }
              c = hi * 16 + lo;
              if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                {
                  *problem = "a \\X..\\ escape encodes a control character";
                  return NULL;
                }
              if (c >= 0x80 && m->charset == WK_HL7_CHARSET_ASCII)
                {
                  *problem = "a \\X..\\ escape encodes a byte that is not ASCII, and MSH-18 "
                             "declares no other character set";
                  return NULL;
                }
              from_hex = TRUE;
              out = put_byte (out, (guint8)c, m->charset);
            }
        }
      else if ((n == 1 && (*p == 'H' || *p == 'N')) || (n >= 1 && *p == 'Z'))
        ; /* highlighting and locally defined escapes: nothing to show */
      else if (n >= 3 && *p == '.')
        {
          if ((n == 3 && memcmp (p, ".br", 3) == 0) || memcmp (p, ".sp", 3) == 0
              || memcmp (p, ".ce", 3) == 0)
            *out++ = '\n';
          else if (memcmp (p, ".in", 3) != 0 && memcmp (p, ".ti", 3) != 0
                   && memcmp (p, ".sk", 3) != 0 && memcmp (p, ".fi", 3) != 0
                   && memcmp (p, ".nf", 3) != 0)
            {
              *problem = "an unknown formatting escape sequence";
              return NULL;
            }
        }
      else if (n >= 1 && (*p == 'C' || *p == 'M'))
        {
          *problem = "a character set escape (\\C..\\ or \\M..\\), which wardkeep does not read: "
                     "send the text in the character set of MSH-18";
          return NULL;
        }
      else
        {
          *problem = "an unknown escape sequence (a lone escape character must be sent as "
                     "\\E\\)";
          return NULL;
        }
      p = close + 1;
    }
  *out = '\0';
  m->arena_used -= (span.length * 2 + 1) - (out - text + 1);
  if (from_hex && m->charset == WK_HL7_CHARSET_UTF8 && !g_utf8_validate (text, out - text, NULL))
    {
      *problem = "a \\X..\\ escape does not encode valid UTF-8";
      return NULL;
    }
  return text;
}

/**
 * wk_hl7_message_get_text:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 * @repetition: the repetition, from 1 (0 means 1)
 * @component: the component, from 1 (0 means 1)
 * @subcomponent: the sub-component, from 1 (0 means 1)
 * @error: return location for a #GError
 *
 * Unescapes (`\F\ \S\ \T\ \R\ \E\`, `\X..\` hex, `\.br\` and the other formatting
 * escapes) and decodes the value at a position to UTF-8. MSH-1 and MSH-2 are given as
 * they are.
 *
 * Returns: (transfer none) (nullable): the text, owned by @message; %NULL when the
 *   position is empty or the null `""` (with @error unset), or with
 *   %WK_SNAPSHOT_ERROR_HL7_SYNTAX naming the position when it does not decode
 */
const char *
wk_hl7_message_get_text (WkHl7Message *message,
                         guint         segment,
                         guint         field,
                         guint         repetition,
                         guint         component,
                         guint         subcomponent,
                         GError      **error)
{
  WkHl7Span   span;
  const char *problem = NULL;
  const char *text;

  repetition = MAX (repetition, 1);
  component = MAX (component, 1);
  subcomponent = MAX (subcomponent, 1);
  if (segment == 0 && field <= 2)
    {
      char *copy;

      span = field_span (message, 0, field);
      copy = arena_alloc (message, span.length + 1);
      memcpy (copy, span.data, span.length);
      copy[span.length] = '\0';
      return span.length > 0 ? copy : NULL;
    }
  span = raw_at (message, segment, field, repetition, component, subcomponent);
  if (span.length == 0 || span_is_null (span))
    return NULL;
  text = decode (message, span, &problem);
  if (text == NULL)
    fail_value (message, segment, field, repetition, component, subcomponent,
                WK_SNAPSHOT_ERROR_HL7_SYNTAX, problem, error);
  return text;
}

/**
 * wk_hl7_message_get_number:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 * @repetition: the repetition, from 1 (0 means 1)
 * @component: the component, from 1 (0 means 1)
 * @value: (out): the number; 0 when the position is empty or `""`
 * @error: return location for a #GError
 *
 * Reads an HL7 NM value: an optional sign, digits and an optional decimal point.
 *
 * Returns: %TRUE on success; %FALSE with %WK_SNAPSHOT_ERROR_INVALID ("RXE-3: not a
 *   number") naming the position
 */
gboolean
wk_hl7_message_get_number (WkHl7Message *message,
                           guint         segment,
                           guint         field,
                           guint         repetition,
                           guint         component,
                           double       *value,
                           GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  const char *text
      = wk_hl7_message_get_text (message, segment, field, repetition, component, 1, &local_error);
  const char *p;
  gboolean    digits = FALSE;

  *value = 0;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text == NULL)
    return TRUE;
  p = text;
  while (*p == ' ')
    p++;
  if (*p == '+' || *p == '-')
    p++;
  while (g_ascii_isdigit (*p))
    p++, digits = TRUE;
  if (*p == '.')
    for (p++; g_ascii_isdigit (*p); p++)
      digits = TRUE;
  while (*p == ' ')
    p++;
  if (!digits || *p != '\0' || p - text > 40)
    return fail_value (message, segment, field, MAX (repetition, 1), MAX (component, 1), 0,
                       WK_SNAPSHOT_ERROR_INVALID, "not a number", error);
  *value = g_ascii_strtod (text, NULL);
  if (!isfinite (*value))
    return fail_value (message, segment, field, MAX (repetition, 1), MAX (component, 1), 0,
                       WK_SNAPSHOT_ERROR_INVALID, "not a number", error);
  return TRUE;
}

static inline gboolean
read_digits (const char *p, int n, int *value)
{
  int v = 0;

  for (int i = 0; i < n; i++)
    {
      unsigned digit = (guint8)(p[i] - '0');

      if (digit > 9)
        return FALSE;
      v = v * 10 + (int)digit;
    }
  *value = v;
  return TRUE;
}

/* GLib finds a zone's interval by scanning every transition (about 240 for
 * Europe/London), which would dominate reading a message's times. The offset (and any
 * gap) is the same for a whole quarter hour of local time, as zone transitions fall on
 * quarter hours, so it is cached per quarter hour: utc = local + delta. */
#define ZONE_CACHE_SIZE 256
#define ZONE_BUCKET 900

typedef struct
{
  GTimeZone *zone; /* a reference */
  gint64     bucket;
  gint64     delta;
} ZoneCacheEntry;

static ZoneCacheEntry zone_cache[ZONE_CACHE_SIZE];
G_LOCK_DEFINE_STATIC (zone_cache);

static gboolean
local_to_utc (GTimeZone *zone, gint64 local, gint64 *utc)
{
  gint64          bucket = local >= 0 ? local / ZONE_BUCKET : -1;
  ZoneCacheEntry *entry = &zone_cache[(guint64)bucket % ZONE_CACHE_SIZE];
  gint64          start = bucket * ZONE_BUCKET, adjusted;
  int             interval;

  if (bucket >= 0)
    {
      G_LOCK (zone_cache);
      if (entry->zone == zone && entry->bucket == bucket)
        {
          *utc = local + entry->delta;
          G_UNLOCK (zone_cache);
          return TRUE;
        }
      G_UNLOCK (zone_cache);
    }
  else
    start = local;
  adjusted = start;
  interval = g_time_zone_adjust_time (zone, G_TIME_TYPE_STANDARD, &adjusted);
  if (interval < 0)
    return FALSE;
  *utc = local + (adjusted - g_time_zone_get_offset (zone, interval) - start);
  if (bucket >= 0)
    {
      G_LOCK (zone_cache);
      if (entry->zone != zone)
        {
          g_clear_pointer (&entry->zone, g_time_zone_unref);
          entry->zone = g_time_zone_ref (zone);
        }
      entry->bucket = bucket;
      entry->delta = adjusted - g_time_zone_get_offset (zone, interval) - start;
      G_UNLOCK (zone_cache);
    }
  return TRUE;
}

static inline int
days_in_month (int year, int month)
{
  static const guint8 days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  gboolean            leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

  return days[month - 1] + (month == 2 && leap);
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static gint64
days_from_civil (int year, int month, int day)
{
  int      y = year - (month <= 2);
  int      era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (unsigned)(month + (month > 2 ? -3 : 9)) + 2) / 5 + (unsigned)day - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

  return (gint64)era * 146097 + (gint64)doe - 719468;
}

/**
 * wk_hl7_parse_time:
 * @text: an HL7 DTM, `YYYYMMDD[HH[MM[SS[.S[S[S[S]]]]]]][+/-ZZZZ]`
 * @length: its length in bytes
 * @zone: (nullable): the time zone of a time without an offset (UTC when %NULL)
 * @utc: (out): the time in UTC seconds (fractions dropped)
 *
 * Returns: %TRUE when @text is a real date and time
 */
gboolean
wk_hl7_parse_time (const char *text, gsize length, GTimeZone *zone, gint64 *utc)
{
  int    year, month, day, hour = 0, minute = 0, second = 0;
  gsize  digits = 0, i;
  gint64 local;

  for (i = 0; i < length && (guint8)(text[i] - '0') < 10; i++)
    digits++;
  if (digits != 8 && digits != 10 && digits != 12 && digits != 14)
    return FALSE;
  if (!read_digits (text, 4, &year) || !read_digits (text + 4, 2, &month)
      || !read_digits (text + 6, 2, &day))
    return FALSE;
  if (digits >= 10 && !read_digits (text + 8, 2, &hour))
    return FALSE;
  if (digits >= 12 && !read_digits (text + 10, 2, &minute))
    return FALSE;
  if (digits >= 14 && !read_digits (text + 12, 2, &second))
    return FALSE;
  if (year < 1800 || hour > 23 || minute > 59 || second > 59 || month < 1 || month > 12 || day < 1
      || day > days_in_month (year, month))
    return FALSE;
  if (i < length && text[i] == '.')
    {
      gsize start = ++i;

      if (digits != 14)
        return FALSE;
      while (i < length && g_ascii_isdigit (text[i]))
        i++;
      if (i == start || i - start > 4)
        return FALSE;
    }
  local = days_from_civil (year, month, day) * 86400 + hour * 3600 + minute * 60 + second;

  /* An explicit offset wins; otherwise the zone says what the local time was in UTC. */
  if (i < length)
    {
      int oh, om;

      if ((text[i] != '+' && text[i] != '-') || length - i != 5
          || !read_digits (text + i + 1, 2, &oh) || !read_digits (text + i + 3, 2, &om) || oh > 14
          || om > 59)
        return FALSE;
      *utc = local - (text[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      return TRUE;
    }
  if (zone != NULL)
    return local_to_utc (zone, local, utc);
  *utc = local;
  return TRUE;
}

/**
 * wk_hl7_message_get_time:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 * @repetition: the repetition, from 1 (0 means 1)
 * @component: the component, from 1 (0 means 1)
 * @zone: (nullable): the zone of a time sent without an offset (the ward's)
 * @utc: (out): the time in UTC seconds; 0 when the position is empty or `""`
 * @error: return location for a #GError
 *
 * Reads an HL7 DTM (see wk_hl7_parse_time()).
 *
 * Returns: %TRUE on success; %FALSE with %WK_SNAPSHOT_ERROR_INVALID ("RXA-3: not a date
 *   and time") naming the position
 */
gboolean
wk_hl7_message_get_time (WkHl7Message *message,
                         guint         segment,
                         guint         field,
                         guint         repetition,
                         guint         component,
                         GTimeZone    *zone,
                         gint64       *utc,
                         GError      **error)
{
  WkHl7Span span = raw_at (message, segment, field, MAX (repetition, 1), MAX (component, 1), 1);

  *utc = 0;
  if (span.length == 0 || span_is_null (span))
    return TRUE;
  /* A time without an offset is local to @zone. The message remembers the zone's offset
   * for the quarter hour of the last such time: the next ones in it need no lookup. */
  if (zone != NULL && span.length <= 24 && !memchr (span.data, '+', span.length)
      && !memchr (span.data, '-', span.length))
    {
      gint64 local;

      if (!wk_hl7_parse_time (span.data, span.length, NULL, &local))
        goto bad;
      if (local >= 0 && zone == message->memo_zone && local / 900 == message->memo_bucket)
        {
          *utc = local + message->memo_delta;
          return TRUE;
        }
      if (!local_to_utc (zone, local, utc))
        goto bad;
      if (local >= 0)
        {
          if (message->memo_zone != zone)
            {
              g_clear_pointer (&message->memo_zone, g_time_zone_unref);
              message->memo_zone = g_time_zone_ref (zone);
            }
          message->memo_bucket = local / 900;
          message->memo_delta = *utc - local;
        }
      return TRUE;
    }
  if (wk_hl7_parse_time (span.data, span.length, zone, utc))
    return TRUE;

bad:
  *utc = 0;
  return fail_value (message, segment, field, MAX (repetition, 1), MAX (component, 1), 0,
                     WK_SNAPSHOT_ERROR_INVALID,
                     "not a date and time (expected YYYYMMDDHHMM[SS][+/-ZZZZ])", error);
}

/**
 * wk_hl7_message_get_date:
 * @message: a #WkHl7Message
 * @segment: the segment's index
 * @field: the field number
 * @repetition: the repetition, from 1 (0 means 1)
 * @component: the component, from 1 (0 means 1)
 * @iso_date: (out) (transfer none) (nullable): the date as "YYYY-MM-DD", owned by
 *   @message; %NULL when the position is empty or `""`
 * @error: return location for a #GError
 *
 * Reads an HL7 date (`YYYYMMDD`, any time after it ignored), such as a date of birth.
 *
 * Returns: %TRUE on success; %FALSE with %WK_SNAPSHOT_ERROR_INVALID ("PID-7: not a
 *   date") naming the position
 */
gboolean
wk_hl7_message_get_date (WkHl7Message *message,
                         guint         segment,
                         guint         field,
                         guint         repetition,
                         guint         component,
                         const char  **iso_date,
                         GError      **error)
{
  WkHl7Span span = raw_at (message, segment, field, MAX (repetition, 1), MAX (component, 1), 1);
  gint64    ignored;
  int       year, month, day;
  char     *out;

  *iso_date = NULL;
  if (span.length == 0 || span_is_null (span))
    return TRUE;
  if (!wk_hl7_parse_time (span.data, span.length, NULL, &ignored)
      || !read_digits (span.data, 4, &year) || !read_digits (span.data + 4, 2, &month)
      || !read_digits (span.data + 6, 2, &day))
    return fail_value (message, segment, field, MAX (repetition, 1), MAX (component, 1), 0,
                       WK_SNAPSHOT_ERROR_INVALID, "not a date (expected YYYYMMDD)", error);
  out = arena_alloc (message, 11);
  memcpy (out, span.data, 4);
  out[4] = '-';
  memcpy (out + 5, span.data + 4, 2);
  out[7] = '-';
  memcpy (out + 8, span.data + 6, 2);
  out[10] = '\0';
  *iso_date = out;
  return TRUE;
}

static const char *
header_text (WkHl7Message *message, guint field, guint component)
{
  return wk_hl7_message_get_text (message, 0, field, 1, component, 1, NULL);
}

/**
 * wk_hl7_message_get_type:
 * @message: a #WkHl7Message
 *
 * Returns: (nullable): the message type, MSH-9.1 ("ADT")
 */
const char *
wk_hl7_message_get_type (WkHl7Message *message)
{
  return header_text (message, 9, 1);
}

/**
 * wk_hl7_message_get_event:
 * @message: a #WkHl7Message
 *
 * Returns: (nullable): the trigger event, MSH-9.2 ("A01")
 */
const char *
wk_hl7_message_get_event (WkHl7Message *message)
{
  return header_text (message, 9, 2);
}

/**
 * wk_hl7_message_get_control_id:
 * @message: a #WkHl7Message
 *
 * Returns: (nullable): the message control id, MSH-10
 */
const char *
wk_hl7_message_get_control_id (WkHl7Message *message)
{
  return header_text (message, 10, 1);
}

/**
 * wk_hl7_message_get_version:
 * @message: a #WkHl7Message
 *
 * Returns: (nullable): the HL7 version, MSH-12.1 ("2.5.1")
 */
const char *
wk_hl7_message_get_version (WkHl7Message *message)
{
  return header_text (message, 12, 1);
}

/**
 * wk_hl7_message_dup_location:
 * @message: a #WkHl7Message
 * @location: a position in it
 *
 * Names a position as people read it: "PID-3", "PID-3.1", "PID-3[2].4" for the second
 * repetition, "AL1[2]-3" for the second AL1 segment.
 *
 * Returns: (transfer full): the name
 */
char *
wk_hl7_message_dup_location (WkHl7Message *message, const WkHl7Location *location)
{
  GString  *out = g_string_new (NULL);
  WkHl7Span id = wk_hl7_message_get_segment_id (message, location->segment);
  guint     occurrence = 0, total = 0;

  /* Only a real segment name is shown: a broken one may hold any bytes. */
  if (id.length != 3 || !(g_ascii_isupper (id.data[0]) || g_ascii_isdigit (id.data[0]))
      || !(g_ascii_isupper (id.data[1]) || g_ascii_isdigit (id.data[1]))
      || !(g_ascii_isupper (id.data[2]) || g_ascii_isdigit (id.data[2])))
    {
      g_string_append_printf (out, "Segment %u", location->segment + 1);
      return g_string_free (out, FALSE);
    }
  for (guint i = 0; i < message->n_segments; i++)
    if (wk_hl7_message_get_segment_id (message, i).length == 3
        && memcmp (message->data + message->segments[i].start, id.data, 3) == 0)
      {
        total++;
        if (i <= location->segment)
          occurrence++;
      }
  g_string_append_len (out, id.data, 3);
  if (total > 1)
    g_string_append_printf (out, "[%u]", occurrence);
  if (location->field > 0)
    {
      g_string_append_printf (out, "-%u", location->field);
      if (location->repetition > 1)
        g_string_append_printf (out, "[%u]", location->repetition);
      if (location->component > 0)
        g_string_append_printf (out, ".%u", location->component);
      if (location->subcomponent > 1)
        g_string_append_printf (out, ".%u", location->subcomponent);
    }
  return g_string_free (out, FALSE);
}

/**
 * wk_hl7_message_get_error_location:
 * @message: a #WkHl7Message
 *
 * Returns: (transfer none): the position of the last value that failed to read (for
 *   ERR-2), or as set by wk_hl7_message_set_error_location()
 */
const WkHl7Location *
wk_hl7_message_get_error_location (WkHl7Message *message)
{
  return &message->error_location;
}

/**
 * wk_hl7_message_set_error_location:
 * @message: a #WkHl7Message
 * @location: the position a refusal is about
 *
 * Records where a problem found outside the getters is (a value out of range).
 */
void
wk_hl7_message_set_error_location (WkHl7Message *message, const WkHl7Location *location)
{
  message->error_location = *location;
}

/* ---------------------------------------------------------------------------------- */
/* Batches                                                                            */

/**
 * wk_hl7_batch_free:
 * @batch: (nullable) (transfer full): a #WkHl7Batch
 */
void
wk_hl7_batch_free (WkHl7Batch *batch)
{
  if (batch == NULL)
    return;
  g_array_unref (batch->messages);
  g_free (batch);
}

/* The text of field 1 of an envelope segment line (BTS-1, FTS-1), as a count. */
static gboolean
envelope_count (const char *line, gsize length, char fs, gint64 *count)
{
  char  digits[16];
  gsize i = 4, n = 0;

  *count = -1;
  if (length <= 4 || line[3] != fs)
    return TRUE;
  for (; i < length && line[i] != fs && line[i] != '^'; i++)
    {
      if (!g_ascii_isdigit (line[i]) || n + 1 >= sizeof digits)
        return FALSE;
      digits[n++] = line[i];
    }
  if (n == 0)
    return TRUE;
  digits[n] = '\0';
  *count = g_ascii_strtoll (digits, NULL, 10);
  return TRUE;
}

/* Whether a line is the segment @name: the name, then the field separator or nothing. */
static gboolean
is_named (const char *line, gsize length, const char *name, char fs)
{
  return length >= 3 && memcmp (line, name, 3) == 0 && (length == 3 || line[3] == fs);
}

/**
 * wk_hl7_batch_split:
 * @data: an MLLP payload: one message, or a batch (`[FHS] BHS MSH... BTS [FTS]`)
 * @size: its size in bytes
 * @max_size: the largest payload taken; 0 for %WK_HL7_DEFAULT_MAX_SIZE
 * @error: return location for a #GError
 *
 * Splits a payload into its messages without parsing them. A batch's envelope is
 * checked: FHS only first, FTS only last, every message inside a BHS ... BTS, and the
 * counts in BTS-1 and FTS-1 (when sent) equal to what was sent; anything else is refused
 * with %WK_SNAPSHOT_ERROR_HL7_SYNTAX before any message is applied.
 *
 * Returns: (transfer full): the messages, or %NULL with @error set
 */
WkHl7Batch *
wk_hl7_batch_split (const guint8 *data, gsize size, gsize max_size, GError **error)
{
  g_autoptr (WkHl7Batch) batch = g_new0 (WkHl7Batch, 1);
  const char *text = (const char *)data;
  gsize       pos = 0;
  gboolean    in_batch = FALSE, had_file = FALSE, file_closed = FALSE;
  gssize      message_start = -1;
  gint64      batches = 0, in_this_batch = 0;
  guint       line_number = 0;
  char        fs;

  batch->messages = g_array_new (FALSE, FALSE, sizeof (WkHl7Span));
  batch->delimiters = (WkHl7Delimiters){ '|', '^', '~', '\\', '&' };
  if (max_size == 0)
    max_size = WK_HL7_DEFAULT_MAX_SIZE;
  if (size > max_size)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "The message is %" G_GSIZE_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT
                   " bytes",
                   size, max_size);
      return NULL;
    }
  while (pos < size && (text[pos] == '\r' || text[pos] == '\n'))
    pos++;

  /* A lone message: the whole payload, checked by the parser. */
  if (size - pos < 3 || (memcmp (text + pos, "FHS", 3) != 0 && memcmp (text + pos, "BHS", 3) != 0))
    {
      WkHl7Span whole = { text, size };

      g_array_append_val (batch->messages, whole);
      return g_steal_pointer (&batch);
    }
  if (read_delimiters (text + pos, size - pos, &batch->delimiters, error) == 0)
    {
      g_prefix_error (error, "%.3s header: ", text + pos);
      return NULL;
    }
  fs = batch->delimiters.field;

  while (pos < size)
    {
      const char *line = text + pos;
      const char *eol = line;
      gsize       length, next;

      while (eol < text + size && *eol != '\r' && *eol != '\n')
        eol++;
      length = eol - line;
      next = eol - text;
      while (next < size && (text[next] == '\r' || text[next] == '\n'))
        next++;
      line_number++;

      if (is_named (line, length, "FHS", fs))
        {
          if (line_number != 1)
            goto misplaced;
          had_file = TRUE;
          batch->header = (WkHl7Span){ line, length };
        }
      else if (is_named (line, length, "BHS", fs))
        {
          if (in_batch || file_closed)
            goto misplaced;
          in_batch = TRUE;
          in_this_batch = 0;
          batches++;
          if (batch->header.length == 0)
            batch->header = (WkHl7Span){ line, length };
        }
      else if (is_named (line, length, "BTS", fs) || is_named (line, length, "FTS", fs))
        {
          gboolean bts = line[0] == 'B';
          gint64   count;

          if (message_start >= 0)
            {
              WkHl7Span message = { text + message_start, line - (text + message_start) };

              g_array_append_val (batch->messages, message);
              message_start = -1;
            }
          if ((bts && !in_batch) || (!bts && (!had_file || in_batch || file_closed)))
            goto misplaced;
          if (!envelope_count (line, length, batch->delimiters.field, &count))
            {
              g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                           "%.3s-1: the count is not a whole number", line);
              return NULL;
            }
          if (count >= 0 && count != (bts ? in_this_batch : batches))
            {
              g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                           "%.3s-1: the batch says it holds %" G_GINT64_FORMAT
                           " %s but has %" G_GINT64_FORMAT "; nothing in it was applied",
                           line, count, bts ? "messages" : "batches",
                           bts ? in_this_batch : batches);
              return NULL;
            }
          if (bts)
            in_batch = FALSE;
          else
            file_closed = TRUE;
        }
      else if (length >= 4 && memcmp (line, "MSH", 3) == 0 && is_delimiter_char (line[3]))
        {
          if (!in_batch)
            goto misplaced;
          if (message_start >= 0)
            {
              WkHl7Span message = { text + message_start, line - (text + message_start) };

              g_array_append_val (batch->messages, message);
            }
          message_start = line - text;
          in_this_batch++;
        }
      else if (message_start < 0)
        goto misplaced;
      pos = next;
    }
  if (in_batch || (had_file && !file_closed))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "The batch ends without its %s segment; nothing in it was applied",
                   in_batch ? "BTS" : "FTS");
      return NULL;
    }
  return g_steal_pointer (&batch);

misplaced:
  {
    const char *line = text + pos;
    gboolean    named = size - pos >= 3;

    /* Only a real segment name is quoted: a broken line may hold any bytes. */
    for (int i = 0; named && i < 3; i++)
      named = g_ascii_isupper (line[i]) || g_ascii_isdigit (line[i]);
    if (named)
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "Line %u of the batch: a %.3s segment out of place (expected [FHS] BHS, "
                   "messages, BTS [FTS]); nothing in it was applied",
                   line_number, line);
    else
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                   "Line %u of the batch: not a segment (expected [FHS] BHS, messages, BTS "
                   "[FTS]); nothing in it was applied",
                   line_number);
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Building                                                                           */

typedef struct
{
  guint field, repetition, component, subcomponent;
  guint order;
  gsize offset, length; /* of the escaped text, in the builder's texts */
} Value;

struct _WkHl7Builder
{
  WkHl7Delimiters delimiters;
  GString        *out;
  char            segment[4];
  GArray         *values;
  GString        *texts;  /* the open segment's values, escaped, one after another */
  gboolean        sorted; /* values were set in position order: no sort needed */
  guint           order;
};

/**
 * wk_hl7_builder_new:
 * @delimiters: (nullable): the delimiters to declare; %NULL for `|^~\&`
 *
 * Returns: (transfer full): a builder with no segments yet
 */
WkHl7Builder *
wk_hl7_builder_new (const WkHl7Delimiters *delimiters)
{
  WkHl7Builder *b;

  g_return_val_if_fail (
      delimiters == NULL || (delimiters->escape != 0 && delimiters->subcomponent != 0), NULL);

  b = g_new0 (WkHl7Builder, 1);
  b->delimiters = delimiters != NULL ? *delimiters : (WkHl7Delimiters){ '|', '^', '~', '\\', '&' };
  b->out = g_string_sized_new (512);
  b->values = g_array_sized_new (FALSE, FALSE, sizeof (Value), 16);
  b->texts = g_string_sized_new (256);
  b->sorted = TRUE;
  return b;
}

/**
 * wk_hl7_builder_free:
 * @builder: (nullable) (transfer full): a #WkHl7Builder
 */
void
wk_hl7_builder_free (WkHl7Builder *builder)
{
  if (builder == NULL)
    return;
  g_string_free (builder->out, TRUE);
  g_string_free (builder->texts, TRUE);
  g_array_unref (builder->values);
  g_free (builder);
}

static int
compare_positions (const Value *x, const Value *y)
{
  if (x->field != y->field)
    return x->field < y->field ? -1 : 1;
  if (x->repetition != y->repetition)
    return x->repetition < y->repetition ? -1 : 1;
  if (x->component != y->component)
    return x->component < y->component ? -1 : 1;
  if (x->subcomponent != y->subcomponent)
    return x->subcomponent < y->subcomponent ? -1 : 1;
  return 0;
}

static int
compare_values (gconstpointer a, gconstpointer b)
{
  const Value *x = a, *y = b;
  int          c = compare_positions (x, y);

  if (c != 0)
    return c;
  return x->order < y->order ? -1 : 1;
}

static void
repeat_char (GString *out, char c, guint n)
{
  for (guint i = 0; i < n; i++)
    g_string_append_c (out, c);
}

/* Writes the open segment out, its values in position order. */
static void
flush_segment (WkHl7Builder *b)
{
  const WkHl7Delimiters *d = &b->delimiters;
  gboolean               msh;
  guint                  f, r = 1, c = 1, s = 1;

  if (b->segment[0] == '\0')
    return;
  msh = strcmp (b->segment, "MSH") == 0;
  g_string_append_len (b->out, b->segment, 3);
  if (msh)
    {
      char encoding[5] = { d->field, d->component, d->repetition, d->escape, d->subcomponent };

      g_string_append_len (b->out, encoding, 5);
    }
  f = msh ? 2 : 0;
  if (!b->sorted)
    g_array_sort (b->values, compare_values);
  for (guint i = 0; i < b->values->len; i++)
    {
      const Value *v = &g_array_index (b->values, Value, i);
      const Value *after = i + 1 < b->values->len ? &g_array_index (b->values, Value, i + 1) : NULL;

      /* The last value set at a position wins; an empty value writes nothing. */
      if (after != NULL && compare_positions (after, v) == 0)
        continue;
      if (v->length == 0)
        continue;
      if (v->field > f)
        {
          repeat_char (b->out, d->field, v->field - f);
          f = v->field, r = 1, c = 1, s = 1;
        }
      if (v->repetition > r)
        {
          repeat_char (b->out, d->repetition, v->repetition - r);
          r = v->repetition, c = 1, s = 1;
        }
      if (v->component > c)
        {
          repeat_char (b->out, d->component, v->component - c);
          c = v->component, s = 1;
        }
      if (v->subcomponent > s)
        {
          repeat_char (b->out, d->subcomponent, v->subcomponent - s);
          s = v->subcomponent;
        }
      g_string_append_len (b->out, b->texts->str + v->offset, v->length);
    }
  g_string_append_c (b->out, '\r');
  g_array_set_size (b->values, 0);
  g_string_truncate (b->texts, 0);
  b->sorted = TRUE;
  b->segment[0] = '\0';
}

/**
 * wk_hl7_builder_segment:
 * @builder: a #WkHl7Builder
 * @id: the segment's name, three capitals or digits ("PID")
 *
 * Ends the open segment and starts a new one. "MSH" writes MSH-1 and MSH-2 itself.
 */
void
wk_hl7_builder_segment (WkHl7Builder *builder, const char *id)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (id != NULL && strlen (id) == 3);

  flush_segment (builder);
  memcpy (builder->segment, id, 4);
}

/* Starts a value at a position of the open segment; its text is then appended to
 * b->texts and end_value() records its length. FALSE (and nothing to append) when no
 * segment is open or the field is one the builder writes itself. */
static gboolean
begin_value (WkHl7Builder *b, guint field, guint rep, guint comp, guint sub)
{
  Value v = { field, MAX (rep, 1), MAX (comp, 1), MAX (sub, 1), b->order++, b->texts->len, 0 };

  if (b->segment[0] == '\0' || field == 0 || (strcmp (b->segment, "MSH") == 0 && field <= 2))
    {
      g_critical ("wk_hl7_builder: no segment open, or a value for field %u, which is fixed",
                  field);
      return FALSE;
    }
  if (b->values->len > 0
      && compare_positions (&v, &g_array_index (b->values, Value, b->values->len - 1)) < 0)
    b->sorted = FALSE;
  g_array_append_val (b->values, v);
  return TRUE;
}

static void
end_value (WkHl7Builder *b)
{
  Value *v = &g_array_index (b->values, Value, b->values->len - 1);

  v->length = b->texts->len - v->offset;
}

/* Appends @text to @out escaped for one HL7 value with the delimiters @d. */
static void
append_escaped (GString *out, const WkHl7Delimiters *d, const char *text)
{
  const char *run = text;

  for (const char *p = text; *p != '\0'; p++)
    {
      char e = 0;

      if ((guint8)*p >= 0x20 && *p != 0x7f && *p != d->field && *p != d->component
          && *p != d->subcomponent && *p != d->repetition && *p != d->escape)
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      if (*p == d->field)
        e = 'F';
      else if (*p == d->component)
        e = 'S';
      else if (*p == d->subcomponent)
        e = 'T';
      else if (*p == d->repetition)
        e = 'R';
      else if (*p == d->escape)
        e = 'E';
      if (e != 0)
        g_string_append_printf (out, "%c%c%c", d->escape, e, d->escape);
      else if (*p == '\n')
        g_string_append_printf (out, "%c.br%c", d->escape, d->escape);
      else
        g_string_append_printf (out, "%cX%02X%c", d->escape, (guint8)*p, d->escape);
    }
  g_string_append (out, run);
}

/**
 * wk_hl7_escape:
 * @delimiters: (nullable): the message's delimiters; %NULL for `|^~\&`
 * @text: UTF-8 text
 *
 * Escapes text for one HL7 value: delimiters become `\F\ \S\ \T\ \R\ \E\`, a line break
 * `\.br\`, other control characters `\Xhh\`.
 *
 * Returns: (transfer full): the escaped text
 */
char *
wk_hl7_escape (const WkHl7Delimiters *delimiters, const char *text)
{
  WkHl7Delimiters d
      = delimiters != NULL ? *delimiters : (WkHl7Delimiters){ '|', '^', '~', '\\', '&' };
  GString *out;

  if (text == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (text) + 8);
  append_escaped (out, &d, text);
  return g_string_free (out, FALSE);
}

/**
 * wk_hl7_builder_set:
 * @builder: a #WkHl7Builder
 * @field: the field number (MSH-3 and up in MSH)
 * @repetition: the repetition, from 1
 * @component: the component, from 1
 * @subcomponent: the sub-component, from 1
 * @text: (nullable): UTF-8 text, escaped as needed; %NULL or "" leaves it empty
 *
 * Sets one value of the open segment.
 */
void
wk_hl7_builder_set (WkHl7Builder *builder,
                    guint         field,
                    guint         repetition,
                    guint         component,
                    guint         subcomponent,
                    const char   *text)
{
  g_return_if_fail (builder != NULL);

  if (!begin_value (builder, field, repetition, component, subcomponent))
    return;
  if (text != NULL)
    append_escaped (builder->texts, &builder->delimiters, text);
  end_value (builder);
}

/**
 * wk_hl7_builder_field:
 * @builder: a #WkHl7Builder
 * @field: the field number
 * @text: (nullable): UTF-8 text, escaped as needed
 *
 * Sets a field of the open segment to one value.
 */
void
wk_hl7_builder_field (WkHl7Builder *builder, guint field, const char *text)
{
  wk_hl7_builder_set (builder, field, 1, 1, 1, text);
}

/**
 * wk_hl7_builder_component:
 * @builder: a #WkHl7Builder
 * @field: the field number
 * @component: the component, from 1
 * @text: (nullable): UTF-8 text, escaped as needed
 *
 * Sets one component of a field (of its first repetition).
 */
void
wk_hl7_builder_component (WkHl7Builder *builder, guint field, guint component, const char *text)
{
  wk_hl7_builder_set (builder, field, 1, component, 1, text);
}

/**
 * wk_hl7_builder_field_raw:
 * @builder: a #WkHl7Builder
 * @field: the field number
 * @raw: the field as it is written, delimiters included ("ADT^A01"); not escaped
 *
 * Sets a whole field from HL7 text the caller has already encoded.
 */
void
wk_hl7_builder_field_raw (WkHl7Builder *builder, guint field, const char *raw)
{
  g_return_if_fail (builder != NULL);

  if (!begin_value (builder, field, 1, 1, 1))
    return;
  if (raw != NULL)
    g_string_append (builder->texts, raw);
  end_value (builder);
}

/**
 * wk_hl7_builder_field_null:
 * @builder: a #WkHl7Builder
 * @field: the field number
 *
 * Sets a field to the explicit null `""` ("delete what you have").
 */
void
wk_hl7_builder_field_null (WkHl7Builder *builder, guint field)
{
  wk_hl7_builder_field_raw (builder, field, "\"\"");
}

/* Writes @utc as "YYYYMMDDHHMMSS+0000" into @out, or "" outside the years 1 to 9999.
 * The civil date comes from the days since 1970-01-01 (Howard Hinnant's algorithm):
 * every message's MSH-7 goes through here, and GDateTime and printf cost more than the
 * rest of an ACK. */
static const char *
format_time (gint64 utc, char out[20])
{
  gint64 days = utc >= 0 ? utc / 86400 : (utc - 86399) / 86400;
  gint64 second = utc - days * 86400;
  gint64 z = days + 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint64 day = doy - (153 * mp + 2) / 5 + 1;
  gint64 month = mp < 10 ? mp + 3 : mp - 9;
  gint64 year = yoe + era * 400 + (month <= 2);
  int    parts[6] = { (int)(year / 100), (int)(year % 100), (int)month, (int)day, 0, 0 };
  char  *p = out;

  if (year < 1 || year > 9999)
    {
      out[0] = '\0';
      return out;
    }
  parts[4] = (int)(second / 3600);
  parts[5] = (int)(second / 60 % 60);
  for (int i = 0; i < 6; i++)
    {
      *p++ = '0' + parts[i] / 10;
      *p++ = '0' + parts[i] % 10;
    }
  *p++ = '0' + (int)(second % 60) / 10;
  *p++ = '0' + (int)(second % 60) % 10;
  memcpy (p, "+0000", 6);
  return out;
}

/**
 * wk_hl7_format_time:
 * @utc: UTC seconds
 *
 * Returns: (transfer full): the time as an HL7 DTM in UTC, "YYYYMMDDHHMMSS+0000"
 */
char *
wk_hl7_format_time (gint64 utc)
{
  char text[20];

  return g_strdup (format_time (utc, text));
}

/**
 * wk_hl7_builder_field_time:
 * @builder: a #WkHl7Builder
 * @field: the field number
 * @utc: UTC seconds; 0 leaves the field empty
 *
 * Sets a field to a time, written in UTC with its offset.
 */
void
wk_hl7_builder_field_time (WkHl7Builder *builder, guint field, gint64 utc)
{
  g_return_if_fail (builder != NULL);

  if (utc != 0)
    {
      char text[20];

      wk_hl7_builder_field_raw (builder, field, format_time (utc, text));
    }
}

/**
 * wk_hl7_builder_field_number:
 * @builder: a #WkHl7Builder
 * @field: the field number
 * @value: a finite number
 *
 * Sets a field to a number, without exponent or trailing zeros ("2.5").
 */
void
wk_hl7_builder_field_number (WkHl7Builder *builder, guint field, double value)
{
  char  buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char *p;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (isfinite (value));

  g_ascii_formatd (buffer, sizeof buffer, "%.4f", value);
  p = buffer + strlen (buffer) - 1;
  while (*p == '0')
    *p-- = '\0';
  if (*p == '.')
    *p = '\0';
  wk_hl7_builder_field_raw (builder, field, buffer);
}

/**
 * wk_hl7_builder_msh:
 * @builder: a #WkHl7Builder
 * @message_type: MSH-9 with `^` between components ("ADT^A01^ADT_A01")
 * @control_id: MSH-10, unique per message
 * @utc: MSH-7, the time of the message (UTC seconds)
 *
 * Starts the MSH segment with the usual values: MSH-11 `P`, MSH-12 `2.5.1`, MSH-18
 * `UNICODE UTF-8`. Set MSH-3 to MSH-6 (and override any of these) with the field
 * functions.
 */
void
wk_hl7_builder_msh (WkHl7Builder *builder,
                    const char   *message_type,
                    const char   *control_id,
                    gint64        utc)
{
  const char *part = message_type;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (message_type != NULL && control_id != NULL);

  wk_hl7_builder_segment (builder, "MSH");
  wk_hl7_builder_field_time (builder, 7, utc);
  for (guint i = 1; part != NULL; i++)
    {
      const char      *end = i < 3 ? strchr (part, '^') : NULL;
      g_autofree char *text = end != NULL ? g_strndup (part, end - part) : NULL;

      wk_hl7_builder_component (builder, 9, i, text != NULL ? text : part);
      part = end != NULL ? end + 1 : NULL;
    }
  wk_hl7_builder_field (builder, 10, control_id);
  wk_hl7_builder_field (builder, 11, "P");
  wk_hl7_builder_field (builder, 12, "2.5.1");
  wk_hl7_builder_field (builder, 18, "UNICODE UTF-8");
}

/**
 * wk_hl7_builder_append_raw:
 * @builder: a #WkHl7Builder
 * @segments: encoded segments (such as a whole message, inside a batch)
 * @length: their length, or -1 when nul-terminated
 *
 * Ends the open segment and appends already encoded segments, ending them with a CR if
 * they do not end with one.
 */
void
wk_hl7_builder_append_raw (WkHl7Builder *builder, const char *segments, gssize length)
{
  g_return_if_fail (builder != NULL);

  flush_segment (builder);
  if (length < 0)
    length = strlen (segments);
  g_string_append_len (builder->out, segments, length);
  if (length > 0 && segments[length - 1] != '\r' && segments[length - 1] != '\n')
    g_string_append_c (builder->out, '\r');
}

/**
 * wk_hl7_builder_end:
 * @builder: a #WkHl7Builder
 *
 * Ends the open segment and hands out everything built: segments each ended by a CR,
 * ready for an MLLP frame. The builder is empty afterwards and can build the next
 * message.
 *
 * Returns: (transfer full): the message
 */
GBytes *
wk_hl7_builder_end (WkHl7Builder *builder)
{
  gsize length;
  char *data;

  g_return_val_if_fail (builder != NULL, NULL);

  flush_segment (builder);
  length = builder->out->len;
  data = g_string_free (builder->out, FALSE);
  builder->out = g_string_sized_new (512);
  return g_bytes_new_take (data, length);
}
