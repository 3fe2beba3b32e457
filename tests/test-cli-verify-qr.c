/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-verify-qr.c — `wardkeep verify-qr` as pharmacy runs it on a scanned code. */

#include "wk-chart-payload.h"
#include "wk-chart-renderer.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>
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

/* Runs wardkeep with @input on its standard input (NULL for none). */
static void
run_wardkeep (Run *run, const char *input, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, wk_test_build_path ("kiosk", "cli", "wardkeep", NULL));
  va_start (args, input);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "CREDENTIALS_DIRECTORY");
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (
      g_subprocess_communicate_utf8 (process, input, NULL, &run->out, &run->err, &error));
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
}

/* A real chart page's code, printed by the kiosk whose master key is all @fill. */
static char *
printed_code (guint8 fill, gboolean drill)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (fill);
  g_autoptr (WkModel) model = wk_test_ward_new (1);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (GPtrArray) documents = NULL;
  WkChartOptions options;

  wk_test_chart_options (&options);
  options.drill = drill;
  renderer = wk_chart_renderer_new (&options, keys, &error);
  documents = wk_chart_renderer_render_ward (renderer, model, &error);
  g_assert_no_error (error);
  return g_strdup (wk_chart_document_get_page_payload (documents->pdata[1], 0));
}

static char *
public_key_hex (guint8 fill)
{
  g_autoptr (WkKeys) keys = wk_test_keys_new (fill);
  char hex[2 * WK_KEYS_PUBLIC_KEY_SIZE + 1];

  sodium_bin2hex (hex, sizeof hex, wk_keys_get_public_key (keys), WK_KEYS_PUBLIC_KEY_SIZE);
  return g_strdup (hex);
}

static void
test_valid (void)
{
  g_autofree char *code = printed_code (0x42, FALSE);
  g_autofree char *key = public_key_hex (0x42);
  g_autofree char *other = public_key_hex (0x17);
  g_autofree char *nhs = NULL;
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autofree char *valid = g_strdup_printf ("signature valid, key %s\n", wk_keys_get_key_id (keys));
  g_auto (Run) run = { 0 };
  g_auto (Run) piped = { 0 };

  run_wardkeep (&run, NULL, "verify-qr", code, "--public-key", other, "--public-key", key, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_suffix (run.out, valid));
  g_assert_nonnull (strstr (run.out, "page 1 of 2"));
  g_assert_nonnull (strstr (run.out, "Patient:    NHS number 999 000 0018"));
  g_assert_nonnull (strstr (run.out, "Data as of: 2026-03-14 02:13 +00:00 (snapshot 42)"));
  g_assert_nonnull (strstr (run.out, "P0-PARA version 1: Paracetamol 500mg tablet"));
  g_assert_null (strstr (run.out, "DRILL"));

  /* From a scanner's output on standard input, trailing newline and all. */
  nhs = g_strconcat (code, "\n", NULL);
  run_wardkeep (&piped, nhs, "verify-qr", "-", "--public-key", key, NULL);
  g_assert_cmpint (piped.status, ==, 0);
  g_assert_true (g_str_has_suffix (piped.out, valid));
}

static void
test_refused (void)
{
  g_autofree char *code = printed_code (0x42, TRUE);
  g_autofree char *key = public_key_hex (0x42);
  g_autofree char *other = public_key_hex (0x17);
  g_autofree char *tampered = g_strdup (code);
  g_autofree char *truncated = g_strndup (code, strlen (code) - 6);
  g_auto (Run) foreign = { 0 };
  g_auto (Run) changed = { 0 };
  g_auto (Run) cut = { 0 };
  g_auto (Run) untrusted = { 0 };
  g_auto (Run) bad_key = { 0 };
  g_auto (Run) drill = { 0 };

  /* One character changed in the middle: still Base45, no longer what was signed. */
  tampered[strlen (tampered) / 2] = tampered[strlen (tampered) / 2] == '0' ? '1' : '0';
  run_wardkeep (&foreign, NULL, "verify-qr", "https://example.org/", "--public-key", key, NULL);
  run_wardkeep (&changed, NULL, "verify-qr", tampered, "--public-key", key, NULL);
  run_wardkeep (&cut, NULL, "verify-qr", truncated, "--public-key", key, NULL);
  run_wardkeep (&untrusted, NULL, "verify-qr", code, "--public-key", other, NULL);
  run_wardkeep (&bad_key, NULL, "verify-qr", code, "--public-key", "12ab", NULL);
  run_wardkeep (&drill, NULL, "verify-qr", code, "--public-key", key, NULL);

  g_assert_cmpint (foreign.status, ==, 1);
  g_assert_nonnull (strstr (foreign.err, "refused: This is not a wardkeep chart code"));
  g_assert_cmpint (changed.status, ==, 1);
  g_assert_nonnull (strstr (changed.err, "refused:"));
  g_assert_cmpstr (changed.out, ==, "");
  g_assert_cmpint (cut.status, ==, 1);
  g_assert_nonnull (strstr (cut.err, "cut short"));
  g_assert_cmpint (untrusted.status, ==, 1);
  g_assert_nonnull (strstr (untrusted.err, "not trusted here"));
  g_assert_cmpint (bad_key.status, ==, 2);
  g_assert_nonnull (strstr (bad_key.err, "64 hex digits"));
  /* A drill page is genuine, and says it is not a clinical record. */
  g_assert_cmpint (drill.status, ==, 0);
  g_assert_nonnull (strstr (drill.out, "DRILL — NOT FOR CLINICAL USE"));
}

/* Without --public-key, the kiosk's own key from its configuration is trusted. */
static void
test_own_key (void)
{
  g_autofree char *code = printed_code (0x42, FALSE);
  g_autofree char *foreign_code = printed_code (0x17, FALSE);
  g_autofree char *key_path = wk_test_scratch_path ("wardkeep.key");
  g_autofree char *config_path = wk_test_scratch_path ("wardkeep.conf");
  g_autofree char *config = g_strdup_printf ("[ward]\nid = 7A\n\n[keys]\nfile = %s\n", key_path);
  g_autoptr (GError) error = NULL;
  guint8 master[WK_KEYS_MASTER_SIZE];
  g_auto (Run) own = { 0 };
  g_auto (Run) other = { 0 };
  g_auto (Run) no_key = { 0 };

  memset (master, 0x42, sizeof master);
  g_assert_true (g_file_set_contents (key_path, (const char *)master, sizeof master, &error));
  g_assert_cmpint (g_chmod (key_path, 0600), ==, 0);
  g_assert_true (g_file_set_contents (config_path, config, -1, &error));

  run_wardkeep (&own, NULL, "verify-qr", code, "--config", config_path, NULL);
  g_assert_cmpint (own.status, ==, 0);
  g_assert_nonnull (strstr (own.out, "signature valid"));
  run_wardkeep (&other, NULL, "verify-qr", foreign_code, "--config", config_path, NULL);
  g_assert_cmpint (other.status, ==, 1);
  g_assert_nonnull (strstr (other.err, "not trusted here"));

  g_assert_cmpint (g_unlink (key_path), ==, 0);
  run_wardkeep (&no_key, NULL, "verify-qr", code, "--config", config_path, NULL);
  g_assert_cmpint (no_key.status, ==, 1);
  g_assert_nonnull (strstr (no_key.err, "--public-key"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/verify-qr/valid", test_valid);
  g_test_add_func ("/cli/verify-qr/refused", test_refused);
  g_test_add_func ("/cli/verify-qr/own-key", test_own_key);
  return g_test_run ();
}
