/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-config.c — the configuration file: values, defaults, and every kind of mistake. */

#include "wk-config.h"
#include "wk-snapshot-error.h"

#include <string.h>

#define MINIMAL "[ward]\nid = 7A\n"

/* Loads @text and asserts it is refused with a message holding each of the NULL-ended
 * fragments (file, line, group, key, what was expected). */
static void
assert_refused (const char *text, ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "test.conf", &error);
  va_list     args;
  const char *fragment;

  g_assert_null (config);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "test.conf"));
  va_start (args, text);
  while ((fragment = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, fragment) == NULL)
      g_error ("expected \"%s\" in the error: %s", fragment, error->message);
  va_end (args);
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (MINIMAL, -1, "test.conf", &error);
  g_auto (GStrv) printers = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (wk_config_get_path (config), ==, "test.conf");
  g_assert_cmpstr (wk_config_get_string (config, "ward", "id"), ==, "7A");
  g_assert_null (wk_config_get_string (config, "ward", "name"));
  g_assert_cmpstr (wk_config_get_string (config, "ward", "timezone"), ==, "Europe/London");
  g_assert_cmpstr (wk_config_get_string (config, "log", "level"), ==, "message");
  g_assert_cmpint (wk_config_get_duration_ms (config, "snapshot", "debounce"), ==, 2000);
  g_assert_cmpint (wk_config_get_int (config, "snapshot", "keep"), ==, 20);
  g_assert_true (wk_config_get_boolean (config, "snapshot", "keep-hourly"));
  printers = wk_config_dup_instances (config, "printer");
  g_assert_cmpuint (g_strv_length (printers), ==, 0);
}

static void
test_values_and_instances (void)
{
  const char *text = "# A kiosk\n"
                     "[ward]\n"
                     "id = 7A\n"
                     "name = Ward 7A \\t(Acute)\n"
                     "timezone = Europe/Dublin\n"
                     "\n"
                     "[snapshot]\n"
                     "debounce = 1s500ms\n"
                     "keep = 5\n"
                     "keep-hourly = false\n"
                     "[printer office]\n"
                     "uri = ipp://127.0.0.1:8632/ipp/print\n"
                     "[printer bay-2]\n"
                     "uri = WARD-7A-BAY2\n"
                     "description = Bay 2 laser\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data (text, -1, "test.conf", &error);
  g_auto (GStrv) printers = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (wk_config_get_string (config, "ward", "name"), ==, "Ward 7A \t(Acute)");
  g_assert_cmpstr (wk_config_get_string (config, "ward", "timezone"), ==, "Europe/Dublin");
  g_assert_cmpint (wk_config_get_duration_ms (config, "snapshot", "debounce"), ==, 1500);
  g_assert_cmpint (wk_config_get_int (config, "snapshot", "keep"), ==, 5);
  g_assert_false (wk_config_get_boolean (config, "snapshot", "keep-hourly"));
  printers = wk_config_dup_instances (config, "printer");
  g_assert_cmpuint (g_strv_length (printers), ==, 2);
  g_assert_cmpstr (printers[0], ==, "office");
  g_assert_cmpstr (printers[1], ==, "bay-2");
  g_assert_cmpstr (wk_config_get_string (config, "printer bay-2", "uri"), ==, "WARD-7A-BAY2");
  g_assert_null (wk_config_get_string (config, "printer office", "description"));
}

static void
test_unknown_group (void)
{
  assert_refused (MINIMAL "[wrad]\nid = 7B\n", "line 3", "[wrad]", "unknown group",
                  "did you mean [ward]?", NULL);
  assert_refused (MINIMAL "[printer]\nuri = x\n", "[printer]", "unknown group", NULL);
}

static void
test_unknown_key (void)
{
  assert_refused ("[ward]\nid = 7A\nnmae = Ward 7A\n", "test.conf line 3", "[ward] nmae",
                  "unknown key", "did you mean name?", "[ward] takes: id, name, timezone", NULL);
  /* Locale variants are not settings either. */
  assert_refused ("[ward]\nid = 7A\nname[fr] = Salle 7A\n", "unknown key", NULL);
}

static void
test_wrong_type (void)
{
  assert_refused (MINIMAL "[log]\nlevel = loud\n", "line 4", "[log] level",
                  "one of `message`, `debug`", "loud", NULL);
  assert_refused ("[ward]\nid = 7 A\n", "line 2", "[ward] id", "no spaces", NULL);
  assert_refused (MINIMAL "[snapshot]\nkeep = twenty\n", "line 4", "[snapshot] keep",
                  "a whole number from 1 to 1000", "twenty", NULL);
  assert_refused (MINIMAL "[snapshot]\nkeep = 0\n", "[snapshot] keep", "from 1 to 1000", NULL);
  assert_refused (MINIMAL "[snapshot]\nkeep-hourly = yes\n", "[snapshot] keep-hourly",
                  "true or false", "yes", NULL);
  assert_refused (MINIMAL "[snapshot]\ndebounce = 2\n", "[snapshot] debounce", "duration such as",
                  NULL);
  assert_refused (MINIMAL "[snapshot]\ndebounce = 1h\n", "[snapshot] debounce",
                  "from 100 ms to 600000 ms", NULL);
  assert_refused ("[ward]\nid = 7A\ntimezone = Mars/Olympus\n", "line 3", "[ward] timezone",
                  "time zone", NULL);
}

static void
test_missing_required (void)
{
  assert_refused ("[ward]\nname = Ward 7A\n", "[ward] id", "missing, and required", NULL);
  assert_refused ("# nothing\n", "[ward] id", "missing", NULL);
  assert_refused ("[ward]\nid =\n", "line 2", "[ward] id", "must not be empty", NULL);
  assert_refused (MINIMAL "[printer office]\ndescription = Office\n", "line 3", "[printer office]",
                  "missing required key \"uri\"", NULL);
}

static void
test_malformed_file (void)
{
  assert_refused ("[ward]\nid = 7A\nthis is not a setting\n", "line 3", "key = value", NULL);
  assert_refused ("id = 7A\n[ward]\nid = 7A\n", "line 1", "after a [group]", NULL);
  assert_refused ("[ward]\nid = 7A\nid = 7B\n", "line 3", "set twice (first on line 2)", NULL);
  assert_refused ("[ward]\nid = 7A\n[ward]\nname = x\n", "line 3", "appears twice", NULL);
  assert_refused ("[ward]\nid = \xff\xfe\n", "not UTF-8", NULL);
}

static void
test_every_problem_listed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data ("[ward]\nnmae = x\n[log]\nlevel = loud\n",
                                                          -1, "test.conf", &error);

  g_assert_null (config);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "3 problems"));
  g_assert_nonnull (strstr (error->message, "nmae"));
  g_assert_nonnull (strstr (error->message, "loud"));
  g_assert_nonnull (strstr (error->message, "[ward] id"));
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "no-such.conf", NULL);
  g_autoptr (WkConfig) config = wk_config_load (path, &error);

  g_assert_null (config);
  g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "no-such.conf"));
  g_assert_nonnull (strstr (error->message, "--config"));
}

static void
test_duration (void)
{
  const struct
  {
    const char *text;
    gint64      ms;
  } good[] = { { "500ms", 500 },       { "2s", 2000 },     { "15min", 900000 },
               { "1h30min", 5400000 }, { "1d", 86400000 }, { "0s", 0 } };

  const char *bad[] = { "", "15", "2 s", "1.5h", "s", "2sec", "-1s", "99999999999h", "400d" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      gint64 ms = -1;
      g_autoptr (GError) error = NULL;

      g_assert_true (wk_config_parse_duration (good[i].text, &ms, &error));
      g_assert_no_error (error);
      g_assert_cmpint (ms, ==, good[i].ms);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gint64 ms = -1;
      g_autoptr (GError) error = NULL;

      g_assert_false (wk_config_parse_duration (bad[i], &ms, &error));
      g_assert_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG);
      g_assert_cmpint (ms, ==, -1);
    }
}

/* The README's configuration reference is the schema's: every setting documented, with
 * its default, and nothing documented that does not exist. */
static void
test_readme_matches_schema (void)
{
  g_autofree char *readme_path = g_build_filename (g_getenv ("WK_SOURCE_DIR"), "README.md", NULL);
  g_autofree char *readme = NULL;
  g_autofree char *reference = wk_config_dup_reference ();
  g_autoptr (GError) error = NULL;
  const char      *start, *end;
  g_autofree char *section = NULL;

  g_assert_true (g_file_get_contents (readme_path, &readme, NULL, &error));
  g_assert_no_error (error);
  start = strstr (readme, "<!-- config-reference:start -->\n");
  end = strstr (readme, "<!-- config-reference:end -->");
  g_assert_nonnull (start);
  g_assert_nonnull (end);
  start += strlen ("<!-- config-reference:start -->\n");
  section = g_strndup (start, end - start);
  if (g_strcmp0 (g_strstrip (section), g_strstrip (reference)) != 0)
    g_error ("README.md's configuration reference is out of date: replace the text between the "
             "config-reference markers with the output of `wardkeep config reference`");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/values-and-instances", test_values_and_instances);
  g_test_add_func ("/config/error/unknown-group", test_unknown_group);
  g_test_add_func ("/config/error/unknown-key", test_unknown_key);
  g_test_add_func ("/config/error/wrong-type", test_wrong_type);
  g_test_add_func ("/config/error/missing-required", test_missing_required);
  g_test_add_func ("/config/error/malformed-file", test_malformed_file);
  g_test_add_func ("/config/error/every-problem-listed", test_every_problem_listed);
  g_test_add_func ("/config/error/missing-file", test_missing_file);
  g_test_add_func ("/config/duration", test_duration);
  g_test_add_func ("/config/readme-matches-schema", test_readme_matches_schema);

  return g_test_run ();
}
