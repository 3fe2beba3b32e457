/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli.c — the wardkeep command as a user runs it: exit statuses and messages. */

#include "wk-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_wardkeep (Run *run, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, wk_test_build_path ("kiosk", "cli", "wardkeep", NULL));
  va_start (args, run);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &run->out, &run->err, &run->status, &error));
  g_assert_no_error (error);
  run->status = g_spawn_check_wait_status (run->status, NULL) ? 0 : WEXITSTATUS (run->status);
}

static char *
write_config (const char *text)
{
  g_autofree char *path = wk_test_scratch_path ("wardkeep.conf");
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
test_version (void)
{
  g_auto (Run) run = { 0 };

  run_wardkeep (&run, "--version", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "wardkeep "));
  g_assert_nonnull (strstr (run.out, WK_VERSION));
}

static void
test_usage_errors (void)
{
  g_auto (Run) none = { 0 };
  g_auto (Run) unknown = { 0 };
  g_auto (Run) bad_option = { 0 };
  g_auto (Run) bad_action = { 0 };

  run_wardkeep (&none, NULL);
  g_assert_cmpint (none.status, ==, 2);
  g_assert_nonnull (strstr (none.err, "Usage: wardkeep COMMAND"));

  run_wardkeep (&unknown, "frobnicate", NULL);
  g_assert_cmpint (unknown.status, ==, 2);
  g_assert_nonnull (strstr (unknown.err, "unknown command \"frobnicate\""));

  run_wardkeep (&bad_option, "config", "check", "--colour", NULL);
  g_assert_cmpint (bad_option.status, ==, 2);
  g_assert_nonnull (strstr (bad_option.err, "--colour"));

  run_wardkeep (&bad_action, "config", "chek", NULL);
  g_assert_cmpint (bad_action.status, ==, 2);
  g_assert_nonnull (strstr (bad_action.err, "unknown action \"chek\""));
}

static void
test_config_check (void)
{
  g_autofree char *good = write_config ("[ward]\nid = 7A\n[printer office]\nuri = q\n");
  g_auto (Run) ok = { 0 };
  g_auto (Run) bad = { 0 };
  g_auto (Run) missing = { 0 };
  g_autofree char *bad_path = NULL;

  run_wardkeep (&ok, "config", "check", "--config", good, NULL);
  g_assert_cmpint (ok.status, ==, 0);
  g_assert_nonnull (strstr (ok.out, "valid. Ward 7A, 1 printer configured"));

  bad_path = write_config ("[ward]\nid = 7A\nnmae = x\n");
  run_wardkeep (&bad, "config", "check", "--config", bad_path, NULL);
  g_assert_cmpint (bad.status, ==, 1);
  g_assert_nonnull (strstr (bad.err, "line 3: [ward] nmae: unknown key (did you mean name?)"));

  run_wardkeep (&missing, "config", "check", "--config", "/nonexistent/wardkeep.conf", NULL);
  g_assert_cmpint (missing.status, ==, 1);
  g_assert_nonnull (strstr (missing.err, "/nonexistent/wardkeep.conf"));
}

static void
test_config_reference (void)
{
  g_auto (Run) run = { 0 };

  run_wardkeep (&run, "config", "reference", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "| `id` | text | **required** |"));
  g_assert_nonnull (strstr (run.out, "| `timezone` | text | `Europe/London` |"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/version", test_version);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/config/check", test_config_check);
  g_test_add_func ("/cli/config/reference", test_config_reference);

  return g_test_run ();
}
