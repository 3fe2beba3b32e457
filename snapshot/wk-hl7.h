/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-hl7.h — HL7 v2 messages: a zero-copy parser, batch splitting and a message builder. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The message size limit when the caller sets none: 1 MiB. */
#define WK_HL7_DEFAULT_MAX_SIZE (1024 * 1024)

/**
 * WkHl7Charset:
 * @WK_HL7_CHARSET_ASCII: MSH-18 `ASCII`: 7-bit text only
 * @WK_HL7_CHARSET_UTF8: MSH-18 `UNICODE UTF-8`
 * @WK_HL7_CHARSET_LATIN1: MSH-18 `8859/1` (ISO 8859-1)
 *
 * The character sets the parser decodes. Text handed out is always UTF-8.
 */
typedef enum
{
  WK_HL7_CHARSET_ASCII,
  WK_HL7_CHARSET_UTF8,
  WK_HL7_CHARSET_LATIN1,
} WkHl7Charset;

gboolean    wk_hl7_charset_from_string (const char *text, WkHl7Charset *charset);
const char *wk_hl7_charset_to_string (WkHl7Charset charset);

/**
 * WkHl7Delimiters:
 * @field: MSH-1, usually `|`
 * @component: usually `^`
 * @repetition: usually `~`
 * @escape: usually `\`; 0 when the message declares none
 * @subcomponent: usually `&`; 0 when the message declares none
 *
 * The delimiters a message declares in MSH-1 and MSH-2.
 */
typedef struct
{
  char field;
  char component;
  char repetition;
  char escape;
  char subcomponent;
} WkHl7Delimiters;

/**
 * WkHl7Span:
 * @data: (nullable): the first byte, inside the caller's buffer; not nul-terminated
 * @length: the number of bytes
 *
 * A run of raw (still escaped) bytes of a message.
 */
typedef struct
{
  const char *data;
  gsize       length;
} WkHl7Span;

/**
 * WkHl7Presence:
 * @WK_HL7_ABSENT: the value is empty or not sent: keep what is known
 * @WK_HL7_NULL: the value is the explicit null `""`: clear what is known
 * @WK_HL7_PRESENT: the value has content
 */
typedef enum
{
  WK_HL7_ABSENT,
  WK_HL7_NULL,
  WK_HL7_PRESENT,
} WkHl7Presence;

/**
 * WkHl7Location:
 * @segment: the segment's index in the message, from 0
 * @field: the field number (HL7's: PID-3 is 3), 0 for the whole segment
 * @repetition: the repetition, from 1; 0 when not relevant
 * @component: the component, from 1; 0 when not relevant
 * @subcomponent: the sub-component, from 1; 0 when not relevant
 *
 * Where in a message something is, for an ERR-2 error location and for error messages.
 */
typedef struct
{
  guint segment;
  guint field;
  guint repetition;
  guint component;
  guint subcomponent;
} WkHl7Location;

/**
 * WkHl7ParseOptions:
 * @max_size: the largest message taken, in bytes; 0 for %WK_HL7_DEFAULT_MAX_SIZE
 * @default_charset: the character set of a message without MSH-18
 *
 * How messages are read. A zeroed struct (or %NULL) means: 1 MiB, ASCII.
 */
typedef struct
{
  gsize        max_size;
  WkHl7Charset default_charset;
} WkHl7ParseOptions;

/**
 * WkHl7Message:
 *
 * A parsed HL7 v2 message: a view over the caller's bytes, which must outlive it.
 * Parsing indexes segments and fields once; repetitions, components and sub-components
 * are found on demand, and text is unescaped and decoded to UTF-8 only when asked for
 * (into memory the message owns). Segments are separated by CR, LF or CRLF.
 *
 * Fields are numbered as HL7 numbers them (MSH-1 is the field separator, MSH-2 the
 * encoding characters, PID-3 the third field after the segment name); repetitions,
 * components and sub-components from 1. Asking for something the message does not have
 * gives an absent value, never an error.
 */
typedef struct _WkHl7Message WkHl7Message;

WkHl7Message          *wk_hl7_message_parse (const guint8            *data,
                                             gsize                    size,
                                             const WkHl7ParseOptions *options,
                                             GError                 **error);
void                   wk_hl7_message_free (WkHl7Message *message);
const WkHl7Delimiters *wk_hl7_message_get_delimiters (WkHl7Message *message);
WkHl7Charset           wk_hl7_message_get_charset (WkHl7Message *message);
WkHl7Span              wk_hl7_message_get_bytes (WkHl7Message *message);

guint     wk_hl7_message_get_n_segments (WkHl7Message *message);
WkHl7Span wk_hl7_message_get_segment_id (WkHl7Message *message, guint segment);
gboolean  wk_hl7_message_segment_is (WkHl7Message *message, guint segment, const char *id);
int       wk_hl7_message_find_segment (WkHl7Message *message, const char *id, guint from);
guint     wk_hl7_message_get_n_fields (WkHl7Message *message, guint segment);
guint     wk_hl7_message_get_n_repetitions (WkHl7Message *message, guint segment, guint field);

WkHl7Span     wk_hl7_message_get_raw (WkHl7Message *message,
                                      guint         segment,
                                      guint         field,
                                      guint         repetition,
                                      guint         component,
                                      guint         subcomponent);
WkHl7Presence wk_hl7_message_get_presence (WkHl7Message *message,
                                           guint         segment,
                                           guint         field,
                                           guint         repetition,
                                           guint         component,
                                           guint         subcomponent);
const char   *wk_hl7_message_get_text (WkHl7Message *message,
                                       guint         segment,
                                       guint         field,
                                       guint         repetition,
                                       guint         component,
                                       guint         subcomponent,
                                       GError      **error);
gboolean      wk_hl7_message_get_number (WkHl7Message *message,
                                         guint         segment,
                                         guint         field,
                                         guint         repetition,
                                         guint         component,
                                         double       *value,
                                         GError      **error);
gboolean      wk_hl7_message_get_time (WkHl7Message *message,
                                       guint         segment,
                                       guint         field,
                                       guint         repetition,
                                       guint         component,
                                       GTimeZone    *zone,
                                       gint64       *utc,
                                       GError      **error);
gboolean      wk_hl7_message_get_date (WkHl7Message *message,
                                       guint         segment,
                                       guint         field,
                                       guint         repetition,
                                       guint         component,
                                       const char  **iso_date,
                                       GError      **error);

const char *wk_hl7_message_get_type (WkHl7Message *message);
const char *wk_hl7_message_get_event (WkHl7Message *message);
const char *wk_hl7_message_get_control_id (WkHl7Message *message);
const char *wk_hl7_message_get_version (WkHl7Message *message);

char *wk_hl7_message_dup_location (WkHl7Message *message, const WkHl7Location *location);
const WkHl7Location *wk_hl7_message_get_error_location (WkHl7Message *message);
void wk_hl7_message_set_error_location (WkHl7Message *message, const WkHl7Location *location);

gboolean wk_hl7_parse_time (const char *text, gsize length, GTimeZone *zone, gint64 *utc);

/**
 * WkHl7Batch:
 * @messages: (element-type WkHl7Span): each message of the batch, in order
 * @header: the FHS segment, else the BHS segment, else an empty span (a lone message)
 * @delimiters: the delimiters the header declares (the default ones for a lone message)
 *
 * An MLLP payload split into messages: a lone message, or an HL7 batch
 * (`[FHS] BHS MSH... BTS [FTS]`), whose envelope segments are checked and left out.
 */
typedef struct
{
  GArray         *messages;
  WkHl7Span       header;
  WkHl7Delimiters delimiters;
} WkHl7Batch;

WkHl7Batch *wk_hl7_batch_split (const guint8 *data, gsize size, gsize max_size, GError **error);
void        wk_hl7_batch_free (WkHl7Batch *batch);

/**
 * WkHl7Builder:
 *
 * Builds HL7 messages with correct escaping: text is given in UTF-8 and every
 * delimiter, line break or control character in it is escaped. Values may be set in
 * any order within a segment; setting a position twice keeps the last value.
 *
 * |[<!-- language="C" -->
 * g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
 * wk_hl7_builder_msh (b, "ADT^A01^ADT_A01", "MSG0001", time (NULL));
 * wk_hl7_builder_field (b, 3, "PAS");
 * wk_hl7_builder_segment (b, "PID");
 * wk_hl7_builder_set (b, 3, 1, 1, 0, nhs_number);
 * wk_hl7_builder_set (b, 3, 1, 4, 0, "NHS");
 * wk_hl7_builder_set (b, 3, 1, 5, 0, "NH");
 * wk_hl7_builder_set (b, 5, 1, 1, 0, "O'Brien");
 * g_autoptr (GBytes) message = wk_hl7_builder_end (b);
 * ]|
 */
typedef struct _WkHl7Builder WkHl7Builder;

WkHl7Builder *wk_hl7_builder_new (const WkHl7Delimiters *delimiters);
void          wk_hl7_builder_free (WkHl7Builder *builder);
void          wk_hl7_builder_segment (WkHl7Builder *builder, const char *id);
void          wk_hl7_builder_msh (WkHl7Builder *builder,
                                  const char   *message_type,
                                  const char   *control_id,
                                  gint64        utc);
void          wk_hl7_builder_field (WkHl7Builder *builder, guint field, const char *text);
void
wk_hl7_builder_component (WkHl7Builder *builder, guint field, guint component, const char *text);
void    wk_hl7_builder_set (WkHl7Builder *builder,
                            guint         field,
                            guint         repetition,
                            guint         component,
                            guint         subcomponent,
                            const char   *text);
void    wk_hl7_builder_field_raw (WkHl7Builder *builder, guint field, const char *raw);
void    wk_hl7_builder_field_null (WkHl7Builder *builder, guint field);
void    wk_hl7_builder_field_time (WkHl7Builder *builder, guint field, gint64 utc);
void    wk_hl7_builder_field_number (WkHl7Builder *builder, guint field, double value);
void    wk_hl7_builder_append_raw (WkHl7Builder *builder, const char *segments, gssize length);
GBytes *wk_hl7_builder_end (WkHl7Builder *builder);
char   *wk_hl7_escape (const WkHl7Delimiters *delimiters, const char *text);
char   *wk_hl7_format_time (gint64 utc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkHl7Message, wk_hl7_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkHl7Batch, wk_hl7_batch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkHl7Builder, wk_hl7_builder_free)

G_END_DECLS
