/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-snapshot.c — `wardkeep key` and `wardkeep snapshot` as IT staff run them. */

#define _GNU_SOURCE /* posix_openpt */

#include "wk-keys.h"
#include "wk-store.h"
#include "wk-test-hospital.h"
#include "wk-test-util.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER "WOMBATEXPORTSENTINEL"

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

/* Reads a terminal's master side until the program on it has gone (EIO). */
static gpointer
read_terminal (gpointer data)
{
  int      master = GPOINTER_TO_INT (data);
  GString *out = g_string_new (NULL);
  char     buf[4096];
  ssize_t  n;

  while ((n = read (master, buf, sizeof buf)) > 0)
    g_string_append_len (out, buf, n);
  return g_string_free (out, FALSE);
}

/* Runs wardkeep with the NULL-terminated arguments; with @pty, its standard output is a
 * terminal (whose output is read back), else a pipe. */
static void
run_wardkeep_full (Run *run, gboolean pty, const char *first, va_list args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  int master = -1;

  g_ptr_array_add (argv, wk_test_build_path ("kiosk", "cli", "wardkeep", NULL));
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE
                                        | (pty ? 0 : G_SUBPROCESS_FLAGS_STDOUT_PIPE));
  if (pty)
    {
      int slave;

      master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
      g_assert_cmpint (master, >=, 0);
      g_assert_cmpint (grantpt (master), ==, 0);
      g_assert_cmpint (unlockpt (master), ==, 0);
      slave = open (ptsname (master), O_RDWR | O_NOCTTY | O_CLOEXEC);
      g_assert_cmpint (slave, >=, 0);
      g_subprocess_launcher_take_stdout_fd (launcher, slave);
    }
  child = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_clear_object (&launcher); /* closes our copy of the terminal's slave side */
  if (pty)
    {
      GThread         *reader = g_thread_new ("terminal", read_terminal, GINT_TO_POINTER (master));
      g_autofree char *err = NULL;

      g_assert_true (g_subprocess_communicate_utf8 (child, NULL, NULL, NULL, &err, &error));
      g_assert_no_error (error);
      run->out = g_thread_join (reader);
      close (master);
      run->err = g_steal_pointer (&err);
    }
  else
    {
      g_assert_true (
          g_subprocess_communicate_utf8 (child, NULL, NULL, &run->out, &run->err, &error));
      g_assert_no_error (error);
    }
  run->status = g_subprocess_get_exit_status (child);
}

static void
run_wardkeep (Run *run, ...)
{
  va_list args;

  va_start (args, run);
  run_wardkeep_full (run, FALSE, va_arg (args, const char *), args);
  va_end (args);
}

static void
run_wardkeep_on_terminal (Run *run, ...)
{
  va_list args;

  va_start (args, run);
  run_wardkeep_full (run, TRUE, va_arg (args, const char *), args);
  va_end (args);
}

static void
assert_contains (const char *text, const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("expected \"%s\" in:\n%s", needle, text);
}

/* A kiosk: key file, configuration, and three snapshots of which the middle one is
 * damaged. */
typedef struct
{
  char *key;
  char *dir;
  char *config;
} Kiosk;

static void
kiosk_setup (Kiosk *k, gconstpointer unused)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkStore) store = NULL;
  g_autoptr (WkModel) model = wk_test_hospital_new ("7A", 12, 40, 40, MARKER);
  g_autofree char *text = NULL;
  g_autofree char *second = NULL;
  WkStoreOptions   options;

  k->key = wk_test_scratch_path ("wardkeep.key");
  k->dir = wk_test_scratch_path ("snapshots");
  k->config = wk_test_scratch_path ("wardkeep.conf");
  g_assert_true (wk_keys_create_file (k->key, &error));
  text = g_strdup_printf ("[ward]\nid = 7A\n[keys]\nfile = %s\n[snapshot]\ndirectory = %s\n",
                          k->key, k->dir);
  g_assert_true (g_file_set_contents (k->config, text, -1, &error));

  keys = wk_keys_load (k->key, &error);
  g_assert_no_error (error);
  wk_store_options_init (&options);
  options.ward_id = "7A";
  store = wk_store_new (k->dir, keys, &options, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (WkSnapshotInfo) info = wk_store_write (store, model, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (info->seq, ==, i + 1);
    }
  second = g_build_filename (k->dir, "000000000002.wks", NULL);
  g_assert_cmpint (truncate (second, 1000), ==, 0);
}

static void
kiosk_teardown (Kiosk *k, gconstpointer unused)
{
  g_free (k->key);
  g_free (k->dir);
  g_free (k->config);
}

static void
test_key_init (void)
{
  g_autofree char *path = wk_test_scratch_path ("new.key");
  g_autofree char *config = wk_test_scratch_path ("key.conf");
  g_autofree char *configured = wk_test_scratch_path ("configured.key");
  g_autofree char *text = g_strdup_printf ("[ward]\nid = 7A\n[keys]\nfile = %s\n", configured);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_auto (Run) created = { 0 };
  g_auto (Run) again = { 0 };
  g_auto (Run) from_config = { 0 };
  struct stat st;
  gsize       size = 0;

  run_wardkeep (&created, "key", "init", "--file", path, NULL);
  g_assert_cmpint (created.status, ==, 0);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, 32);
  keys = wk_keys_load (path, &error);
  g_assert_no_error (error);
  /* It says where the key is, how to seal it for systemd, and what losing it means. */
  assert_contains (created.out, path);
  assert_contains (created.out, wk_keys_get_key_id (keys));
  assert_contains (created.out, "systemd-creds encrypt --name=wardkeep.key --with-key=auto");
  assert_contains (created.out, "/etc/credstore.encrypted/wardkeep.key");
  assert_contains (created.out, "LoadCredentialEncrypted=wardkeep.key");
  assert_contains (created.out, "systemctl restart wardkeepd");
  assert_contains (created.out, "unreadable");
  assert_contains (created.out, "wardkeep key public");

  /* Never over an existing key. */
  g_assert_true (g_file_get_contents (path, &before, &size, NULL));
  run_wardkeep (&again, "key", "init", "--file", path, NULL);
  g_assert_cmpint (again.status, ==, 1);
  assert_contains (again.err, "never overwritten");
  g_assert_true (g_file_get_contents (path, &after, &size, NULL));
  g_assert_cmpmem (before, 32, after, 32);

  /* Without --file, where the configuration says. */
  g_assert_true (g_file_set_contents (config, text, -1, NULL));
  run_wardkeep (&from_config, "key", "init", "--config", config, NULL);
  g_assert_cmpint (from_config.status, ==, 0);
  g_assert_true (g_file_test (configured, G_FILE_TEST_IS_REGULAR));
}

static void
test_key_public (void)
{
  g_autofree char *path = wk_test_scratch_path ("public.key");
  g_autofree char *loose = wk_test_scratch_path ("loose.key");
  g_autofree char *credentials = wk_test_scratch_path ("credentials");
  g_autofree char *credential = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKeys) keys = NULL;
  g_autoptr (WkKeys) sealed = NULL;
  char             hex[65], sealed_hex[65];
  g_autofree char *line = NULL;
  g_autofree char *sealed_line = NULL;
  g_auto (Run) run = { 0 };
  g_auto (Run) bad = { 0 };
  g_auto (Run) from_credential = { 0 };

  g_assert_true (wk_keys_create_file (path, &error));
  keys = wk_keys_load (path, &error);
  g_assert_no_error (error);
  sodium_bin2hex (hex, sizeof hex, wk_keys_get_public_key (keys), 32);
  line = g_strdup_printf ("%s\n", hex);
  run_wardkeep (&run, "key", "public", "--file", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, line);

  /* A key file others can read is refused, with the reason. */
  g_assert_true (wk_keys_create_file (loose, &error));
  g_assert_cmpint (g_chmod (loose, 0644), ==, 0);
  run_wardkeep (&bad, "key", "public", "--file", loose, NULL);
  g_assert_cmpint (bad.status, ==, 1);
  assert_contains (bad.err, "permissions 0644");
  assert_contains (bad.err, "0600 or 0400");

  /* Under systemd the credential wins, as it does for the service. */
  g_assert_cmpint (g_mkdir (credentials, 0700), ==, 0);
  credential = g_build_filename (credentials, WK_KEYS_CREDENTIAL_NAME, NULL);
  g_assert_true (wk_keys_create_file (credential, &error));
  sealed = wk_keys_load (credential, &error);
  g_assert_no_error (error);
  sodium_bin2hex (sealed_hex, sizeof sealed_hex, wk_keys_get_public_key (sealed), 32);
  sealed_line = g_strdup_printf ("%s\n", sealed_hex);
  g_setenv ("CREDENTIALS_DIRECTORY", credentials, TRUE);
  run_wardkeep (&from_credential, "key", "public", "--file", path, NULL);
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  g_assert_cmpint (from_credential.status, ==, 0);
  g_assert_cmpstr (from_credential.out, ==, sealed_line);
}

static void
test_snapshot_list (Kiosk *k, gconstpointer unused)
{
  g_auto (Run) run = { 0 };
  g_auto (Run) quick = { 0 };
  g_auto (GStrv) lines = NULL;

  run_wardkeep (&run, "snapshot", "list", "--config", k->config, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, k->dir);
  assert_contains (run.out, "SEQ  CREATED (Europe/London)");
  lines = g_strsplit (run.out, "\n", -1);
  /* Heading, column titles, then newest first. */
  g_assert_true (g_str_has_prefix (lines[2], "  3  "));
  assert_contains (lines[2], " 7A ");
  assert_contains (lines[2], "verified");
  g_assert_true (g_str_has_prefix (lines[3], "  2  "));
  assert_contains (lines[3], "NOT USABLE: it is truncated: 1000 bytes of the ");
  g_assert_true (g_str_has_prefix (lines[4], "  1  "));
  assert_contains (lines[4], "verified");
  assert_contains (run.out, "The kiosk loads snapshot 3, data as of ");
  assert_contains (run.out, "1 of 3 snapshots cannot be used.");

  /* --quick reads headers and sizes only, which is enough to see the truncation. */
  run_wardkeep (&quick, "snapshot", "list", "--quick", "--config", k->config, NULL);
  g_assert_cmpint (quick.status, ==, 0);
  assert_contains (quick.out, "header and size look right (not decrypted)");
  assert_contains (quick.out, "NOT USABLE: it is truncated");
}

static void
test_snapshot_verify (Kiosk *k, gconstpointer unused)
{
  g_autofree char *third = g_build_filename (k->dir, "000000000003.wks", NULL);
  g_autofree char *second = g_build_filename (k->dir, "000000000002.wks", NULL);
  g_auto (Run) good = { 0 };
  g_auto (Run) damaged = { 0 };
  g_auto (Run) all = { 0 };
  g_auto (Run) all_good = { 0 };
  g_auto (Run) too_many = { 0 };

  run_wardkeep (&good, "snapshot", "verify", third, "--config", k->config, NULL);
  g_assert_cmpint (good.status, ==, 0);
  assert_contains (good.out, "verified. Snapshot 3 of ward 7A, data as of ");

  run_wardkeep (&damaged, "snapshot", "verify", second, "--config", k->config, NULL);
  g_assert_cmpint (damaged.status, ==, 1);
  assert_contains (damaged.err, second);
  assert_contains (damaged.err, "is truncated");

  /* The whole folder: status 1 while any snapshot is unusable. */
  run_wardkeep (&all, "snapshot", "verify", "--config", k->config, NULL);
  g_assert_cmpint (all.status, ==, 1);
  assert_contains (all.out, "1 of 3 snapshots cannot be used.");
  g_assert_cmpint (g_unlink (second), ==, 0);
  run_wardkeep (&all_good, "snapshot", "verify", "--config", k->config, NULL);
  g_assert_cmpint (all_good.status, ==, 0);
  assert_contains (all_good.out, "The kiosk loads snapshot 3");

  run_wardkeep (&too_many, "snapshot", "verify", third, second, "--config", k->config, NULL);
  g_assert_cmpint (too_many.status, ==, 2);
}

static void
test_snapshot_export (Kiosk *k, gconstpointer unused)
{
  g_autofree char *third = g_build_filename (k->dir, "000000000003.wks", NULL);
  g_autofree char *other_key = wk_test_scratch_path ("other.key");
  g_autofree char *other_config = wk_test_scratch_path ("other.conf");
  g_autofree char *other_text = NULL;
  g_autofree char *root = g_path_get_dirname (g_get_user_cache_dir ());
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };
  g_auto (Run) xml = { 0 };
  g_auto (Run) terminal = { 0 };
  g_auto (Run) forced = { 0 };
  g_auto (Run) wrong_key = { 0 };
  JsonObject *top, *snapshot;
  JsonArray  *patients;

  run_wardkeep (&run, "snapshot", "export", "--format", "json", third, "--config", k->config, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  top = json_node_get_object (json_parser_get_root (parser));
  snapshot = json_object_get_object_member (top, "snapshot");
  g_assert_cmpint (json_object_get_int_member (snapshot, "seq"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "ward_id"), ==, "7A");
  patients
      = json_object_get_array_member (json_object_get_object_member (top, "tables"), "patient");
  g_assert_cmpuint (json_array_get_length (patients), ==, 11);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (patients, 0), "family_name"),
      ==, MARKER);
  assert_contains (run.err, "This is patient data in plain text");

  /* The export went to the pipe only: no file anywhere holds it. */
  {
    g_autofree char *command = g_strdup_printf ("grep -rl %s %s", MARKER, root);
    g_autofree char *found = NULL;
    int              status = 0;

    g_assert_true (g_spawn_command_line_sync (command, &found, NULL, &status, NULL));
    g_assert_cmpstr (found, ==, "");
  }

  run_wardkeep (&xml, "snapshot", "export", "--format", "xml", third, "--config", k->config, NULL);
  g_assert_cmpint (xml.status, ==, 2);
  assert_contains (xml.err, "unknown export format \"xml\"");

  /* Patient data does not go to a terminal unless asked for. */
  run_wardkeep_on_terminal (&terminal, "snapshot", "export", "--format", "json", third, "--config",
                            k->config, NULL);
  g_assert_cmpint (terminal.status, ==, 1);
  assert_contains (terminal.err, "Refusing to write patient data to a terminal");
  g_assert_null (strstr (terminal.out, MARKER));
  run_wardkeep_on_terminal (&forced, "snapshot", "export", "--force", third, "--config", k->config,
                            NULL);
  g_assert_cmpint (forced.status, ==, 0);
  assert_contains (forced.out, MARKER);

  /* Another kiosk's key cannot read it, and says so. */
  g_assert_true (wk_keys_create_file (other_key, &error));
  other_text = g_strdup_printf ("[ward]\nid = 7A\n[keys]\nfile = %s\n[snapshot]\ndirectory = %s\n",
                                other_key, k->dir);
  g_assert_true (g_file_set_contents (other_config, other_text, -1, NULL));
  run_wardkeep (&wrong_key, "snapshot", "export", third, "--config", other_config, NULL);
  g_assert_cmpint (wrong_key.status, ==, 1);
  assert_contains (wrong_key.err, "was sealed with key");
  g_assert_cmpstr (wrong_key.out, ==, "");
}

static void
test_snapshot_usage (void)
{
  g_auto (Run) none = { 0 };
  g_auto (Run) unknown = { 0 };
  g_auto (Run) export_none = { 0 };

  run_wardkeep (&none, "snapshot", NULL);
  g_assert_cmpint (none.status, ==, 2);
  assert_contains (none.err, "expected an action: list, verify or export");
  run_wardkeep (&unknown, "snapshot", "lsit", NULL);
  g_assert_cmpint (unknown.status, ==, 2);
  assert_contains (unknown.err, "unknown action \"lsit\"");
  run_wardkeep (&export_none, "snapshot", "export", NULL);
  g_assert_cmpint (export_none.status, ==, 2);
  assert_contains (export_none.err, "export takes exactly one snapshot file");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_unsetenv ("CREDENTIALS_DIRECTORY");

  g_test_add_func ("/cli/key/init", test_key_init);
  g_test_add_func ("/cli/key/public", test_key_public);
  g_test_add ("/cli/snapshot/list", Kiosk, NULL, kiosk_setup, test_snapshot_list, kiosk_teardown);
  g_test_add ("/cli/snapshot/verify", Kiosk, NULL, kiosk_setup, test_snapshot_verify,
              kiosk_teardown);
  g_test_add ("/cli/snapshot/export", Kiosk, NULL, kiosk_setup, test_snapshot_export,
              kiosk_teardown);
  g_test_add_func ("/cli/snapshot/usage", test_snapshot_usage);

  return g_test_run ();
}
