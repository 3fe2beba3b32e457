/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-hl7.c — the HL7 v2 parser, batch splitting and the message builder. */

#include "wk-hl7.h"
#include "wk-snapshot-error.h"
#include "wk-test-util.h"

#include <string.h>

/* Parses a message written with \r between segments; the text must outlive it. */
static WkHl7Message *
parse (const char *text, GError **error)
{
  return wk_hl7_message_parse ((const guint8 *)text, strlen (text), NULL, error);
}

static WkHl7Message *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  WkHl7Message *message = parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

/* Asserts that @text (of @length bytes, -1 for nul-terminated) is refused with @code and a message
 * containing @expected. */
static void
assert_refused (const char *text, gssize length, int code, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Message) message = wk_hl7_message_parse (
      (const guint8 *)text, length < 0 ? strlen (text) : (gsize)length, NULL, &error);

  g_assert_null (message);
  g_assert_error (error, WK_SNAPSHOT_ERROR, code);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected \"%s\" in \"%s\"", expected, error->message);
}

static const char *const adt_a01
    = "MSH|^~\\&|PAS|RXH|WARDKEEP|7A|20260301101500+0000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r"
      "EVN|A01|20260301101500\r"
      "PID|1||9990000018^^^NHS^NH~RX0000001^^^RXH^MR||TESTER^Alex^Jo^^Mx||19700101|F|||"
      "1 Test Street^^Testtown^^TE1 1ST\r"
      "PV1|1|I|7A^BAY1^3^RXH||||C123^CONSULTANT^Invented||||||||||||V0001|||||||||||||||||||||||"
      "||20260301101000\r"
      "AL1|1|DA|91936005^Penicillin^SCT|SV|Anaphylaxis\r"
      "AL1|2|FA|227493005^Cashew nuts^SCT|MO|Rash\r"
      "ZPI|custom|data\r";

static void
test_structure (void)
{
  g_autoptr (WkHl7Message) m = parse_ok (adt_a01);
  WkHl7Span span;

  g_assert_cmpuint (wk_hl7_message_get_n_segments (m), ==, 7);
  g_assert_true (wk_hl7_message_segment_is (m, 0, "MSH"));
  g_assert_true (wk_hl7_message_segment_is (m, 2, "PID"));
  g_assert_false (wk_hl7_message_segment_is (m, 2, "PV1"));
  g_assert_false (wk_hl7_message_segment_is (m, 99, "PID"));
  g_assert_cmpint (wk_hl7_message_find_segment (m, "AL1", 0), ==, 4);
  g_assert_cmpint (wk_hl7_message_find_segment (m, "AL1", 5), ==, 5);
  g_assert_cmpint (wk_hl7_message_find_segment (m, "AL1", 6), ==, -1);
  g_assert_cmpint (wk_hl7_message_find_segment (m, "ZPI", 0), ==, 6);

  g_assert_cmpstr (wk_hl7_message_get_type (m), ==, "ADT");
  g_assert_cmpstr (wk_hl7_message_get_event (m), ==, "A01");
  g_assert_cmpstr (wk_hl7_message_get_control_id (m), ==, "MSG00001");
  g_assert_cmpstr (wk_hl7_message_get_version (m), ==, "2.5.1");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 1, 0, 0, 0, NULL), ==, "|");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 2, 0, 0, 0, NULL), ==, "^~\\&");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 3, 1, 1, 1, NULL), ==, "PAS");
  g_assert_cmpuint (wk_hl7_message_get_n_fields (m, 0), ==, 12);

  /* Repetitions and components of PID-3. */
  g_assert_cmpuint (wk_hl7_message_get_n_repetitions (m, 2, 3), ==, 2);
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 3, 1, 1, 1, NULL), ==, "9990000018");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 3, 1, 4, 1, NULL), ==, "NHS");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 3, 1, 5, 1, NULL), ==, "NH");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 3, 2, 1, 1, NULL), ==, "RX0000001");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 3, 2, 5, 1, NULL), ==, "MR");
  g_assert_null (wk_hl7_message_get_text (m, 2, 3, 3, 1, 1, NULL));
  g_assert_null (wk_hl7_message_get_text (m, 2, 3, 1, 6, 1, NULL));
  span = wk_hl7_message_get_raw (m, 2, 3, 0, 0, 0);
  g_assert_cmpmem (span.data, span.length, "9990000018^^^NHS^NH~RX0000001^^^RXH^MR", 38);
  span = wk_hl7_message_get_raw (m, 2, 3, 2, 0, 0);
  g_assert_cmpmem (span.data, span.length, "RX0000001^^^RXH^MR", 18);

  /* 0 means the first repetition, component and sub-component for text. */
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 5, 0, 0, 0, NULL), ==, "TESTER");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 5, 1, 2, 0, NULL), ==, "Alex");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 3, 3, 1, 3, 1, NULL), ==, "3");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 3, 19, 1, 1, 1, NULL), ==, "V0001");

  /* Beyond the end: absent, never an error. */
  g_assert_null (wk_hl7_message_get_text (m, 2, 200, 1, 1, 1, NULL));
  g_assert_null (wk_hl7_message_get_text (m, 42, 1, 1, 1, 1, NULL));
  g_assert_cmpint (wk_hl7_message_get_presence (m, 2, 2, 1, 1, 1), ==, WK_HL7_ABSENT);
}

static void
test_subcomponents (void)
{
  g_autoptr (WkHl7Message) m = parse_ok ("MSH|^~\\&|A|B|C|D|20260301||ORM^O01|1|P|2.4\r"
                                         "ORC|NW|ORD1&PLACER^X||||||1&D&20260301&20260302\r");

  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 2, 1, 1, 1, NULL), ==, "ORD1");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 2, 1, 1, 2, NULL), ==, "PLACER");
  g_assert_null (wk_hl7_message_get_text (m, 1, 2, 1, 1, 3, NULL));
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 2, 1, 2, 1, NULL), ==, "X");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 8, 1, 1, 4, NULL), ==, "20260302");
}

static void
test_empty_and_null (void)
{
  g_autoptr (WkHl7Message) m = parse_ok ("MSH|^~\\&|||||||ADT^A08|2|P|2.3\r"
                                         "PID|||123^^^^MR||\"\"|x^\"\"^|\"\"||||\r");
  WkHl7Span span;

  /* Trailing empty fields are counted and empty. */
  g_assert_cmpuint (wk_hl7_message_get_n_fields (m, 1), ==, 11);
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 12, 1, 1, 1), ==, WK_HL7_ABSENT);
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 4, 1, 1, 1), ==, WK_HL7_ABSENT);
  /* The explicit null. */
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 5, 1, 1, 1), ==, WK_HL7_NULL);
  g_assert_null (wk_hl7_message_get_text (m, 1, 5, 1, 1, 1, NULL));
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 6, 1, 2, 1), ==, WK_HL7_NULL);
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 6, 1, 1, 1), ==, WK_HL7_PRESENT);
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 6, 1, 3, 1), ==, WK_HL7_ABSENT);
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 7, 0, 0, 0), ==, WK_HL7_NULL);
  span = wk_hl7_message_get_raw (m, 1, 7, 0, 0, 0);
  g_assert_cmpmem (span.data, span.length, "\"\"", 2);
  /* A bare segment name. */
  {
    g_autoptr (WkHl7Message) bare = parse_ok ("MSH|^~\\&\rEVN\rPID|");

    g_assert_cmpuint (wk_hl7_message_get_n_segments (bare), ==, 3);
    g_assert_cmpuint (wk_hl7_message_get_n_fields (bare, 1), ==, 0);
    g_assert_cmpuint (wk_hl7_message_get_n_fields (bare, 2), ==, 1);
    g_assert_null (wk_hl7_message_get_type (bare));
  }
}

static void
test_segment_separators (void)
{
  const char *const variants[] = {
    "MSH|^~\\&|A\rPID|1|X\rPV1|1|I",         "MSH|^~\\&|A\nPID|1|X\nPV1|1|I\n",
    "MSH|^~\\&|A\r\nPID|1|X\r\nPV1|1|I\r\n", "\r\nMSH|^~\\&|A\r\rPID|1|X\n\nPV1|1|I\r\n\r\n",
    "MSH|^~\\&|A\r\nPID|1|X\nPV1|1|I\r",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr (WkHl7Message) m = parse_ok (variants[i]);

      g_assert_cmpuint (wk_hl7_message_get_n_segments (m), ==, 3);
      g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 2, 1, 1, 1, NULL), ==, "X");
      g_assert_cmpstr (wk_hl7_message_get_text (m, 2, 2, 1, 1, 1, NULL), ==, "I");
      g_assert_cmpstr (wk_hl7_message_get_text (m, 0, 3, 1, 1, 1, NULL), ==, "A");
    }
}

static void
test_escapes (void)
{
  static const struct
  {
    const char *raw;
    const char *text;
  } cases[] = {
    { "a\\F\\b", "a|b" },
    { "a\\S\\b", "a^b" },
    { "a\\T\\b", "a&b" },
    { "a\\R\\b", "a~b" },
    { "a\\E\\b", "a\\b" },
    { "\\E\\\\E\\", "\\\\" },
    { "line one\\.br\\line two", "line one\nline two" },
    { "a\\.sp\\b\\.sp 2\\c", "a\nb\nc" },
    { "\\H\\bold\\N\\ text", "bold text" },
    { "x\\.in+4\\\\.ti-2\\\\.sk 3\\\\.fi\\\\.nf\\y", "xy" },
    { "\\.ce\\centred", "\ncentred" },
    { "\\X41\\\\X4243\\", "ABC" },
    { "tab\\X09\\end", "tab\tend" },
    { "\\X0D0A\\", "\r\n" },
    { "\\Zlocal\\ok", "ok" },
    { "caf\\XC3A9\\", "caf\xc3\xa9" },
  };

  static const struct
  {
    const char *raw;
    const char *problem;
  } bad[] = {
    { "a\\Fb", "not closed" },
    { "a\\Q\\b", "unknown escape" },
    { "\\\\", "unknown escape" },
    { "\\X4\\", "even number" },
    { "\\XZZ\\", "not a hexadecimal" },
    { "\\X00\\", "control character" },
    { "\\X1B\\", "control character" },
    { "\\.xx\\", "unknown formatting" },
    { "\\C2842\\", "character set escape" },
    { "\\M248C\\", "character set escape" },
    { "\\XC3\\", "not encode valid UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (
          "MSH|^~\\&|||||||ADT^A08|1|P|2.5||||||UNICODE UTF-8\rNTE|1||%s", cases[i].raw);
      g_autoptr (WkHl7Message) m = parse_ok (text);
      g_autoptr (GError) error = NULL;

      g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 3, 1, 1, 1, &error), ==, cases[i].text);
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf (
          "MSH|^~\\&|||||||ADT^A08|1|P|2.5||||||UNICODE UTF-8\rNTE|1||%s", bad[i].raw);
      g_autoptr (WkHl7Message) m = parse_ok (text);
      g_autoptr (GError) error = NULL;

      g_assert_null (wk_hl7_message_get_text (m, 1, 3, 1, 1, 1, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX);
      g_assert_true (g_str_has_prefix (error->message, "NTE-3.1: "));
      if (strstr (error->message, bad[i].problem) == NULL)
        g_error ("case %s: expected \"%s\" in \"%s\"", bad[i].raw, bad[i].problem, error->message);
      g_assert_cmpuint (wk_hl7_message_get_error_location (m)->segment, ==, 1);
      g_assert_cmpuint (wk_hl7_message_get_error_location (m)->field, ==, 3);
    }

  /* An escape sequence never crosses a component: the component ends it. */
  {
    g_autoptr (WkHl7Message) m = parse_ok ("MSH|^~\\&\rNTE|1||a\\F^\\b");
    g_autoptr (GError) error = NULL;

    g_assert_null (wk_hl7_message_get_text (m, 1, 3, 1, 1, 1, &error));
    g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX);
  }
  /* \X80\ in an ASCII message is refused. */
  {
    g_autoptr (WkHl7Message) m = parse_ok ("MSH|^~\\&\rNTE|1||\\XE9\\");
    g_autoptr (GError) error = NULL;

    g_assert_null (wk_hl7_message_get_text (m, 1, 3, 1, 1, 1, &error));
    g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX);
    g_assert_nonnull (strstr (error->message, "not ASCII"));
  }
}

static void
test_custom_delimiters (void)
{
  /* Field *, component !, repetition @, escape #, sub-component $. */
  g_autoptr (WkHl7Message) m
      = parse_ok ("MSH*!@#$*PAS*RXH*****ADT!A01*C1*P*2.3\r"
                  "PID*1**A1!!!NHS!NH@B2!!!RXH!MR**O#F#BRIEN!Pat$Sub*a|b^c~d\\e&f#T#g#S#h#E#\r");
  const WkHl7Delimiters *d = wk_hl7_message_get_delimiters (m);

  g_assert_cmpint (d->field, ==, '*');
  g_assert_cmpint (d->component, ==, '!');
  g_assert_cmpint (d->repetition, ==, '@');
  g_assert_cmpint (d->escape, ==, '#');
  g_assert_cmpint (d->subcomponent, ==, '$');
  g_assert_cmpstr (wk_hl7_message_get_event (m), ==, "A01");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 3, 2, 5, 1, NULL), ==, "MR");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 1, 1, NULL), ==, "O*BRIEN");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 2, 2, NULL), ==, "Sub");
  /* The default delimiters are plain text here; the custom ones are escaped. */
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 6, 1, 1, 1, NULL), ==, "a|b^c~d\\e&f$g!h#");

  /* Two encoding characters only: no escapes and no sub-components. */
  {
    g_autoptr (WkHl7Message) two = parse_ok ("MSH|^~|A\rPID|1||a\\b&c^d");

    g_assert_cmpint (wk_hl7_message_get_delimiters (two)->escape, ==, 0);
    g_assert_cmpstr (wk_hl7_message_get_text (two, 1, 3, 1, 1, 1, NULL), ==, "a\\b&c");
    g_assert_cmpstr (wk_hl7_message_get_text (two, 1, 3, 1, 1, 2, NULL), ==, NULL);
  }
}

static void
test_not_hl7 (void)
{
  const char *nul_inside = "MSH|^~\\&|A\rPID|1|X\0Y\r";

  assert_refused ("", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "does not start with an MSH");
  assert_refused ("hello world", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "does not start with an MSH");
  assert_refused ("GET / HTTP/1.1\r\n\r\n", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "MSH");
  assert_refused ("MSHX^~\\&|A", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "MSH-1");
  assert_refused ("MSH|^|A|B|C", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "MSH-2");
  assert_refused ("MSH|^^\\&|A|B", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "declared twice");
  assert_refused ("MSH|^~A&|A|B", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "MSH-2");
  assert_refused ("MSH|^~\\&|A\rpid|1\r", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "Segment 2");
  assert_refused ("MSH|^~\\&|A\rPIDX|1\r", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "Segment 2");
  assert_refused ("MSH|^~\\&|A\rPI|1\r", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "Segment 2");
  assert_refused ("MSH|^~\\&|A\rMSH|^~\\&|B\r", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "second MSH");
  assert_refused (nul_inside, 20, WK_SNAPSHOT_ERROR_HL7_SYNTAX, "PID-2: a control character");
  assert_refused ("MSH|^~\\&|A\rPID|1|\x1b[2J\r", -1, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                  "control character");
  /* Found by fuzz-hl7: a control character in a last "segment" shorter than a name; the
   * error names the segment by number, and nothing is read past the end. */
  {
    const char short_segment[]
        = { 'M', 'S', 'H', '|', '^', '~', '\\', '&', '|', 'A', '\r', '\xff', '\x12' };

    assert_refused (short_segment, sizeof short_segment, WK_SNAPSHOT_ERROR_HL7_SYNTAX,
                    "Segment 2: a control character");
  }
}

static void
test_size_limit (void)
{
  g_autoptr (GString) text = g_string_new ("MSH|^~\\&|A|B|C|D|20260301||ADT^A08|1|P|2.5\r");
  WkHl7ParseOptions options = { .max_size = 100 };
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Message) m = NULL;

  while (text->len <= 100)
    g_string_append (text, "NTE|1||some text\r");
  m = wk_hl7_message_parse ((const guint8 *)text->str, text->len, &options, &error);
  g_assert_null (m);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX);
  g_assert_nonnull (strstr (error->message, "over the limit of 100 bytes"));
  g_clear_error (&error);
  options.max_size = text->len;
  m = wk_hl7_message_parse ((const guint8 *)text->str, text->len, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wk_hl7_message_get_n_segments (m), >, 2);
}

static void
test_many_segments (void)
{
  /* More segments and fields than fit the message's inline index. */
  g_autoptr (GString) text = g_string_new ("MSH|^~\\&|A|B|C|D|20260301||ADT^A08|1|P|2.5\r");
  g_autoptr (WkHl7Message) m = NULL;

  for (guint i = 0; i < 500; i++)
    g_string_append_printf (text, "OBX|%u|NM|%u||%u.5|||||||||||||||||||||\r", i + 1, i, i);
  m = parse_ok (text->str);
  g_assert_cmpuint (wk_hl7_message_get_n_segments (m), ==, 501);
  for (guint i = 0; i < 500; i += 37)
    {
      double value;

      g_assert_true (wk_hl7_message_get_number (m, i + 1, 5, 1, 1, &value, NULL));
      g_assert_cmpfloat (value, ==, i + 0.5);
      g_assert_cmpuint (wk_hl7_message_get_n_fields (m, i + 1), ==, 26);
    }
  /* Many decoded values outgrow the inline arena. */
  for (guint round = 0; round < 10; round++)
    for (guint i = 0; i < 500; i++)
      {
        g_autofree char *expected = g_strdup_printf ("%u", i);

        g_assert_cmpstr (wk_hl7_message_get_text (m, i + 1, 3, 1, 1, 1, NULL), ==, expected);
      }
}

static void
test_charsets (void)
{
  g_autoptr (GError) error = NULL;

  /* UTF-8 declared. */
  {
    g_autoptr (WkHl7Message) m = parse_ok ("MSH|^~\\&|||||||ADT^A08|1|P|2.5||||||UNICODE UTF-8\r"
                                           "PID|1||1^^^^MR||Ni\xc3\xb1o^Zo\xc3\xab\r");

    g_assert_cmpint (wk_hl7_message_get_charset (m), ==, WK_HL7_CHARSET_UTF8);
    g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 1, 1, NULL), ==, "Ni\xc3\xb1o");
    g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 2, 1, NULL), ==, "Zo\xc3\xab");
  }
  /* ISO 8859-1 declared: decoded to UTF-8. */
  {
    g_autoptr (WkHl7Message) m = parse_ok ("MSH|^~\\&|||||||ADT^A08|1|P|2.4||||||8859/1\r"
                                           "PID|1||1^^^^MR||Ni\xf1o^Zo\xeb^\\XE9\\\r");

    g_assert_cmpint (wk_hl7_message_get_charset (m), ==, WK_HL7_CHARSET_LATIN1);
    g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 1, 1, NULL), ==, "Ni\xc3\xb1o");
    g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 2, 1, NULL), ==, "Zo\xc3\xab");
    g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 3, 1, NULL), ==, "\xc3\xa9");
  }
  /* No MSH-18: the default, ASCII, refuses 8-bit text and names where it is. */
  assert_refused ("MSH|^~\\&|||||||ADT^A08|1|P|2.5\rPID|1||1^^^^MR||Ni\xf1o\r", -1,
                  WK_SNAPSHOT_ERROR_HL7_SYNTAX, "PID-5: text that is not ASCII");
  /* ... unless the caller's default says otherwise. */
  {
    const char       *text = "MSH|^~\\&|||||||ADT^A08|1|P|2.5\rPID|1||1^^^^MR||Ni\xf1o\r";
    WkHl7ParseOptions options = { .default_charset = WK_HL7_CHARSET_LATIN1 };
    g_autoptr (WkHl7Message) m
        = wk_hl7_message_parse ((const guint8 *)text, strlen (text), &options, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 1, 1, NULL), ==, "Ni\xc3\xb1o");
  }
  /* Invalid UTF-8 where UTF-8 is declared. */
  assert_refused ("MSH|^~\\&|||||||ADT^A08|1|P|2.5||||||UNICODE UTF-8\rPID|1||1||Ni\xf1o\r", -1,
                  WK_SNAPSHOT_ERROR_HL7_SYNTAX, "PID-5: text that is not valid UTF-8");
  /* A character set wardkeep does not read. */
  assert_refused ("MSH|^~\\&|||||||ADT^A08|1|P|2.5||||||ISO IR87\rPID|1\r", -1,
                  WK_SNAPSHOT_ERROR_HL7_UNSUPPORTED, "MSH-18");
  {
    WkHl7Charset charset;

    g_assert_true (wk_hl7_charset_from_string ("unicode utf-8", &charset));
    g_assert_cmpint (charset, ==, WK_HL7_CHARSET_UTF8);
    g_assert_false (wk_hl7_charset_from_string ("UNICODE", &charset));
    g_assert_cmpstr (wk_hl7_charset_to_string (WK_HL7_CHARSET_LATIN1), ==, "8859/1");
  }
}

static void
test_numbers_times_dates (void)
{
  g_autoptr (GTimeZone) london = g_time_zone_new_identifier ("Europe/London");
  g_autoptr (WkHl7Message) m
      = parse_ok ("MSH|^~\\&\r"
                  "OBX|1|NM|29463-7^Body weight^LN||72.5|kg|||||F|||20260715083000\r"
                  "OBX|2|NM|x||-3|||||||||20260115083000+0100\r"
                  "OBX|3|NM|x||.5|||||||||20260715\r"
                  "OBX|4|NM|x||1e5|||||||||20260230\r"
                  "OBX|5|NM|x||72,5|||||||||2026071508301\r"
                  "OBX|6|NM|x||abc|||||||||202607150830301\r"
                  "OBX|7|NM|x||\"\"|||||||||20260715083000.1234-0500\r");
  double value;
  gint64 utc;
  g_autoptr (GError) error = NULL;
  const char *date;

  g_assert_true (wk_hl7_message_get_number (m, 1, 5, 1, 1, &value, &error));
  g_assert_cmpfloat (value, ==, 72.5);
  g_assert_true (wk_hl7_message_get_number (m, 2, 5, 1, 1, &value, &error));
  g_assert_cmpfloat (value, ==, -3);
  g_assert_true (wk_hl7_message_get_number (m, 3, 5, 1, 1, &value, &error));
  g_assert_cmpfloat (value, ==, 0.5);
  g_assert_true (wk_hl7_message_get_number (m, 7, 5, 1, 1, &value, &error));
  g_assert_cmpfloat (value, ==, 0);
  g_assert_no_error (error);
  for (guint s = 4; s <= 6; s++)
    {
      g_assert_false (wk_hl7_message_get_number (m, s, 5, 1, 1, &value, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
      g_assert_true (g_str_has_suffix (error->message, "-5.1: not a number"));
      g_assert_true (g_str_has_prefix (error->message, "OBX["));
      g_clear_error (&error);
    }

  /* Without an offset: the ward's zone (British Summer Time in July). */
  g_assert_true (wk_hl7_message_get_time (m, 1, 14, 1, 1, london, &utc, &error));
  g_assert_cmpint (utc, ==, 1784100600); /* 2026-07-15T07:30:00Z */
  g_assert_true (wk_hl7_message_get_time (m, 1, 14, 1, 1, NULL, &utc, &error));
  g_assert_cmpint (utc, ==, 1784104200); /* read as UTC */
  /* With an offset, the zone is not used. */
  g_assert_true (wk_hl7_message_get_time (m, 2, 14, 1, 1, london, &utc, &error));
  g_assert_cmpint (utc, ==, 1768462200); /* 2026-01-15T07:30:00Z */
  g_assert_true (wk_hl7_message_get_time (m, 3, 14, 1, 1, london, &utc, &error));
  g_assert_cmpint (utc, ==, 1784070000); /* midnight BST */
  g_assert_true (wk_hl7_message_get_time (m, 7, 14, 1, 1, london, &utc, &error));
  g_assert_cmpint (utc, ==, 1784122200); /* 13:30Z */
  g_assert_true (wk_hl7_message_get_time (m, 1, 13, 1, 1, london, &utc, &error));
  g_assert_cmpint (utc, ==, 0); /* absent */
  g_assert_no_error (error);
  for (guint s = 4; s <= 6; s++)
    {
      g_assert_false (wk_hl7_message_get_time (m, s, 14, 1, 1, london, &utc, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "-14.1: not a date and time"));
      g_clear_error (&error);
    }

  g_assert_true (wk_hl7_message_get_date (m, 1, 14, 1, 1, &date, &error));
  g_assert_cmpstr (date, ==, "2026-07-15");
  g_assert_false (wk_hl7_message_get_date (m, 4, 14, 1, 1, &date, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "OBX[4]-14.1: not a date"));

  {
    static const char *const bad[]
        = { "2026",          "202601",   "20261301",     "20260101246000", "202601011200+1",
            "20260101+2500", "17990101", "2026010112.5", "20260101120000." };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      g_assert_false (wk_hl7_parse_time (bad[i], strlen (bad[i]), NULL, &utc));
  }
}

static void
test_locations (void)
{
  g_autoptr (WkHl7Message) m = parse_ok (adt_a01);
  WkHl7Location    pid = { 2, 3, 2, 4, 0 };
  WkHl7Location    al1 = { 5, 3, 1, 1, 0 };
  WkHl7Location    seg = { 3, 0, 0, 0, 0 };
  WkHl7Location    sub = { 2, 3, 1, 1, 2 };
  g_autofree char *a = wk_hl7_message_dup_location (m, &pid);
  g_autofree char *b = wk_hl7_message_dup_location (m, &al1);
  g_autofree char *c = wk_hl7_message_dup_location (m, &seg);
  g_autofree char *d = wk_hl7_message_dup_location (m, &sub);

  g_assert_cmpstr (a, ==, "PID-3[2].4");
  g_assert_cmpstr (b, ==, "AL1[2]-3.1");
  g_assert_cmpstr (c, ==, "PV1");
  g_assert_cmpstr (d, ==, "PID-3.1.2");
}

static void
test_batch (void)
{
  const char *file = "FHS|^~\\&|PAS|RXH|||20260301\r"
                     "BHS|^~\\&|PAS|RXH|||20260301\r"
                     "MSH|^~\\&|PAS|RXH|||20260301||ADT^A08|B1|P|2.5\rPID|1||1^^^^MR\r"
                     "MSH|^~\\&|PAS|RXH|||20260301||ADT^A08|B2|P|2.5\nPID|1||2^^^^MR\n"
                     "BTS|2\r"
                     "BHS|^~\\&|PAS|RXH\r"
                     "MSH|^~\\&|PAS|RXH|||20260301||ADT^A08|B3|P|2.5\r\nPID|1||3^^^^MR\r\n"
                     "BTS|1\r"
                     "FTS|2\r";
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Batch) batch
      = wk_hl7_batch_split ((const guint8 *)file, strlen (file), 0, &error);
  const char *const ids[] = { "B1", "B2", "B3" };

  g_assert_no_error (error);
  g_assert_cmpuint (batch->messages->len, ==, 3);
  g_assert_cmpmem (batch->header.data, 3, "FHS", 3);
  for (guint i = 0; i < 3; i++)
    {
      WkHl7Span span = g_array_index (batch->messages, WkHl7Span, i);
      g_autoptr (WkHl7Message) m
          = wk_hl7_message_parse ((const guint8 *)span.data, span.length, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (wk_hl7_message_get_n_segments (m), ==, 2);
      g_assert_cmpstr (wk_hl7_message_get_control_id (m), ==, ids[i]);
    }

  /* A lone message is a batch of one, untouched. */
  {
    g_autoptr (WkHl7Batch) one
        = wk_hl7_batch_split ((const guint8 *)adt_a01, strlen (adt_a01), 0, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (one->messages->len, ==, 1);
    g_assert_cmpuint (g_array_index (one->messages, WkHl7Span, 0).length, ==, strlen (adt_a01));
    g_assert_cmpuint (one->header.length, ==, 0);
  }

  /* Broken envelopes are refused whole. */
  {
    static const struct
    {
      const char *text;
      const char *problem;
    } bad[] = {
      { "BHS|^~\\&\rMSH|^~\\&|A\rBTS|2\r", "BTS-1: the batch says it holds 2 messages but has 1" },
      { "BHS|^~\\&\rMSH|^~\\&|A\r", "without its BTS" },
      { "FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A\rBTS\r", "without its FTS" },
      { "FHS|^~\\&\rBHS|^~\\&\rBTS\rFTS|3\r", "FTS-1: the batch says it holds 3 batches" },
      { "BHS|^~\\&\rPID|1\rMSH|^~\\&|A\rBTS\r", "PID segment out of place" },
      { "BHS|^~\\&\rMSH|^~\\&|A\rBTS\rMSH|^~\\&|B\r", "MSH segment out of place" },
      { "BHS|^~\\&\rFHS|^~\\&\r", "FHS segment out of place" },
      { "BHS|^~\\&\rMSH|^~\\&|A\rBTS|x\r", "BTS-1: the count is not a whole number" },
      { "BHS^\r", "BHS header" },
      { "BHS|^~\\&\rMSH|^~\\&|A\rBTS|1\r\xe1"
        "EVN|x\r",
        "Line 4 of the batch: not a segment" },
      { "FHS|^~\\&\rBHS|^~\\&\rBTS~2\rFTS|1\r", "Line 3 of the batch: a BTS segment out of place" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (WkHl7Batch) none
            = wk_hl7_batch_split ((const guint8 *)bad[i].text, strlen (bad[i].text), 0, &error);

        g_assert_null (none);
        g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX);
        if (strstr (error->message, bad[i].problem) == NULL)
          g_error ("batch %" G_GSIZE_FORMAT ": expected \"%s\" in \"%s\"", i, bad[i].problem,
                   error->message);
        g_clear_error (&error);
      }
  }
  /* An empty batch is a batch of no messages. */
  {
    const char *empty = "FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1\r";
    g_autoptr (WkHl7Batch) none
        = wk_hl7_batch_split ((const guint8 *)empty, strlen (empty), 0, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (none->messages->len, ==, 0);
  }
  g_assert_null (wk_hl7_batch_split ((const guint8 *)file, strlen (file), 50, &error));
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_SYNTAX);
}

static void
test_builder (void)
{
  g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (WkHl7Message) m = NULL;
  g_autofree char *nhs = wk_test_nhs_number (0);
  const char      *tricky = "O'Brien | Smith ^ Jones ~ and & \\ co\nnext line";
  gsize            length;
  const char      *data;
  g_autoptr (GError) error = NULL;
  gint64 utc;
  double value;

  wk_hl7_builder_msh (b, "ADT^A01^ADT_A01", "CTRL-1", 1772360100);
  wk_hl7_builder_field (b, 3, "PAS");
  wk_hl7_builder_field (b, 4, "RXH");
  wk_hl7_builder_segment (b, "PID");
  /* Out of order on purpose: the builder sorts positions. */
  wk_hl7_builder_set (b, 3, 2, 5, 1, "MR");
  wk_hl7_builder_set (b, 3, 1, 1, 1, nhs);
  wk_hl7_builder_set (b, 3, 1, 4, 1, "NHS");
  wk_hl7_builder_set (b, 3, 1, 5, 1, "NH");
  wk_hl7_builder_set (b, 3, 2, 1, 1, "RX0000001");
  wk_hl7_builder_component (b, 5, 1, tricky);
  wk_hl7_builder_component (b, 5, 2, "Alex");
  wk_hl7_builder_component (b, 5, 2, "Sam"); /* the last value wins */
  wk_hl7_builder_set (b, 11, 1, 1, 2, "sub");
  wk_hl7_builder_field_null (b, 8);
  wk_hl7_builder_field (b, 9, ""); /* empty: nothing written, no trailing field */
  wk_hl7_builder_segment (b, "OBX");
  wk_hl7_builder_field_number (b, 5, 72.5);
  wk_hl7_builder_field_number (b, 6, 3);
  wk_hl7_builder_field_time (b, 14, 1772360100);
  bytes = wk_hl7_builder_end (b);
  data = g_bytes_get_data (bytes, &length);

  g_assert_true (g_str_has_prefix (data, "MSH|^~\\&|PAS|RXH|||20260301101500+0000||ADT^A01^ADT_A01|"
                                         "CTRL-1|P|2.5.1||||||UNICODE UTF-8\rPID|||"));
  g_assert_nonnull (g_strstr_len (data, length,
                                  "O'Brien \\F\\ Smith \\S\\ Jones \\R\\ and \\T\\ \\E\\ "
                                  "co\\.br\\next line^Sam|||\"\"|||&sub\r"));
  g_assert_nonnull (g_strstr_len (data, length, "OBX|||||72.5|3||||||||20260301101500+0000\r"));
  g_assert_cmpint (data[length - 1], ==, '\r');

  m = wk_hl7_message_parse ((const guint8 *)data, length, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 3, 1, 1, 1, NULL), ==, nhs);
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 3, 2, 5, 1, NULL), ==, "MR");
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 1, 1, &error), ==, tricky);
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 5, 1, 2, 1, NULL), ==, "Sam");
  g_assert_cmpint (wk_hl7_message_get_presence (m, 1, 8, 1, 1, 1), ==, WK_HL7_NULL);
  g_assert_cmpuint (wk_hl7_message_get_n_fields (m, 1), ==, 11);
  g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 11, 1, 1, 2, NULL), ==, "sub");
  g_assert_true (wk_hl7_message_get_time (m, 2, 14, 1, 1, NULL, &utc, &error));
  g_assert_cmpint (utc, ==, 1772360100);
  g_assert_true (wk_hl7_message_get_number (m, 2, 5, 1, 1, &value, &error));
  g_assert_cmpfloat (value, ==, 72.5);
  g_assert_cmpint (wk_hl7_message_get_charset (m), ==, WK_HL7_CHARSET_UTF8);

  /* The builder is empty after end() and builds the next message. */
  {
    g_autoptr (GBytes) next = NULL;

    wk_hl7_builder_segment (b, "MSH");
    wk_hl7_builder_field (b, 10, "2");
    next = wk_hl7_builder_end (b);
    g_assert_cmpmem (g_bytes_get_data (next, NULL), g_bytes_get_size (next), "MSH|^~\\&||||||||2\r",
                     18);
  }
}

/* Any text survives building and parsing, with any delimiters. */
static void
test_builder_round_trip (void)
{
  const WkHl7Delimiters sets[] = { { '|', '^', '~', '\\', '&' }, { '*', '!', '@', '#', '$' } };
  const char            alphabet[] = "|^~\\&*!@#$ aZ09\n\t\"'%.\xc3\xa9";
  GRand                *rand = g_rand_new_with_seed (42);

  for (gsize s = 0; s < G_N_ELEMENTS (sets); s++)
    for (guint round = 0; round < 300; round++)
      {
        g_autoptr (WkHl7Builder) b = wk_hl7_builder_new (&sets[s]);
        g_autoptr (GBytes) bytes = NULL;
        g_autoptr (WkHl7Message) m = NULL;
        g_autoptr (GError) error = NULL;
        char        texts[4][24];
        const char *got;

        for (guint t = 0; t < 4; t++)
          {
            guint n = g_rand_int_range (rand, 1, 20), j = 0;

            while (j < n)
              {
                /* Whole UTF-8 characters only: é is the last two bytes of the alphabet. */
                guint pick = g_rand_int_range (rand, 0, sizeof alphabet - 2);

                if (pick >= sizeof alphabet - 3)
                  {
                    texts[t][j++] = '\xc3';
                    texts[t][j++] = '\xa9';
                  }
                else
                  texts[t][j++] = alphabet[pick];
              }
            texts[t][j] = '\0';
            if (strcmp (texts[t], "\"\"") == 0)
              strcpy (texts[t], "x");
          }
        wk_hl7_builder_msh (b, "ADT^A08", "R", 1772360100);
        wk_hl7_builder_segment (b, "NTE");
        wk_hl7_builder_set (b, 3, 1, 1, 1, texts[0]);
        wk_hl7_builder_set (b, 3, 1, 2, 2, texts[1]);
        wk_hl7_builder_set (b, 3, 2, 1, 1, texts[2]);
        wk_hl7_builder_set (b, 4, 1, 1, 1, texts[3]);
        bytes = wk_hl7_builder_end (b);
        m = wk_hl7_message_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL,
                                  &error);
        g_assert_no_error (error);
        got = wk_hl7_message_get_text (m, 1, 3, 1, 1, 1, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (got, ==, texts[0]);
        g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 3, 1, 2, 2, NULL), ==, texts[1]);
        g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 3, 2, 1, 1, NULL), ==, texts[2]);
        g_assert_cmpstr (wk_hl7_message_get_text (m, 1, 4, 1, 1, 1, NULL), ==, texts[3]);
      }
  g_rand_free (rand);
}

/* HL7 times are written without GDateTime, by calendar arithmetic: the same text as
 * GDateTime for every kind of day (leap days, centuries, the epoch, years to 9999). */
static void
test_format_time (void)
{
  const gint64 times[] = { 0,          1,          86399, 86400,  951782400,   951868799,
                           4107542400, 1772360100, -1,    -86400, -2208988800, 253402300799 };
  GRand       *rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < G_N_ELEMENTS (times) + 2000; i++)
    {
      gint64 t
          = i < G_N_ELEMENTS (times) ? times[i] : (gint64)(g_rand_double (rand) * 253402300799.0);
      g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (t);
      g_autofree char *expected = g_date_time_format (utc, "%Y%m%d%H%M%S+0000");
      g_autofree char *got = wk_hl7_format_time (t);

      g_assert_cmpstr (got, ==, expected);
    }
  g_rand_free (rand);
  /* Beyond what an HL7 DTM can say: nothing rather than a wrong year. */
  {
    g_autofree char *got = wk_hl7_format_time (253402300800);

    g_assert_cmpstr (got, ==, "");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/hl7/parse/structure", test_structure);
  g_test_add_func ("/hl7/parse/subcomponents", test_subcomponents);
  g_test_add_func ("/hl7/parse/empty-and-null", test_empty_and_null);
  g_test_add_func ("/hl7/parse/segment-separators", test_segment_separators);
  g_test_add_func ("/hl7/parse/escapes", test_escapes);
  g_test_add_func ("/hl7/parse/custom-delimiters", test_custom_delimiters);
  g_test_add_func ("/hl7/parse/not-hl7", test_not_hl7);
  g_test_add_func ("/hl7/parse/size-limit", test_size_limit);
  g_test_add_func ("/hl7/parse/many-segments", test_many_segments);
  g_test_add_func ("/hl7/parse/charsets", test_charsets);
  g_test_add_func ("/hl7/parse/numbers-times-dates", test_numbers_times_dates);
  g_test_add_func ("/hl7/parse/locations", test_locations);
  g_test_add_func ("/hl7/batch/split", test_batch);
  g_test_add_func ("/hl7/builder/build", test_builder);
  g_test_add_func ("/hl7/builder/round-trip", test_builder_round_trip);
  g_test_add_func ("/hl7/builder/format-time", test_format_time);

  return g_test_run ();
}
