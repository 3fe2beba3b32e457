/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-kiosk-ui.c — the kiosk's screens on a real X server, driven by widget name.
 *
 * The kiosk reads real snapshots (written by the real store under a real key) and is
 * driven as a nurse would: unlock with the PIN, open a patient, preview, lock. Each test
 * saves screenshots into the build folder's artefacts/ at the size it runs at (ctest
 * runs it at 1024x600 and at 1920x1080). */

#include "wk-bed-tile.h"
#include "wk-kiosk-window.h"
#include "wk-kiosk.h"
#include "wk-log.h"
#include "wk-preview-view.h"
#include "wk-test-cups.h"
#include "wk-test-kiosk.h"
#include "wk-test-responder.h"
#include "wk-test-ui.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <gdk/x11/gdkx.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

/* The live tests' monitor: DOWNTIME after 3 failed probes, 500 ms apart. */
#define PROBE_INTERVAL_MS 500
#define FAILURES_TO_CONFIRM 3

typedef struct
{
  WkTestKiosk   *harness;
  GSubprocess   *sim;
  WkKiosk       *kiosk;
  WkKioskWindow *window;
  GtkWidget     *root;
  GPtrArray     *audit; /* audit messages seen */
} Fixture;

static void
audit_tap (GLogLevelFlags level, const char *domain, const char *message, gpointer user_data)
{
  Fixture *fixture = user_data;

  if (g_strcmp0 (domain, "wardkeep-audit") == 0)
    g_ptr_array_add (fixture->audit, g_strdup (message));
}

static gboolean
has_snapshot (gpointer data)
{
  return wk_kiosk_get_snapshot (((Fixture *)data)->kiosk) != NULL;
}

static WkKiosk *
new_kiosk (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  WkConfig *config = wk_config_load (wk_test_kiosk_get_config_path (fixture->harness), &error);
  WkKiosk  *kiosk;

  g_assert_no_error (error);
  kiosk = wk_kiosk_new (config, &error);
  g_assert_no_error (error);
  return kiosk;
}

static void
open_window (Fixture *fixture)
{
  fixture->kiosk = new_kiosk (fixture);
  fixture->window = wk_kiosk_window_new (NULL, fixture->kiosk, TRUE);
  fixture->root = GTK_WIDGET (fixture->window);
  wk_kiosk_start (fixture->kiosk);
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (wk_test_ui_wait (has_snapshot, fixture, 30));
  gtk_test_widget_wait_for_draw (fixture->root);
}

static void
close_window (Fixture *fixture)
{
  if (fixture->window != NULL)
    {
      wk_kiosk_window_allow_close (fixture->window);
      gtk_window_set_focus (GTK_WINDOW (fixture->window), NULL);
      gtk_window_destroy (GTK_WINDOW (fixture->window));
      fixture->window = NULL;
      fixture->root = NULL;
    }
  g_clear_object (&fixture->kiosk);
  wk_test_ui_spin (0.05);
}

/* A kiosk of ward 7A (30 beds) with its key, a snapshot, the printers office and
 * station on a private cupsd, and the test PINs; no daemon unless a test starts one. */
static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (WkModel) model = wk_test_ward_new (30);
  g_autoptr (WkSnapshotInfo) info = NULL;
  g_autofree char *state = NULL;
  g_autofree char *kiosk_config = NULL;

  fixture->audit = g_ptr_array_new_with_free_func (g_free);
  wk_log_set_tap (audit_tap, fixture);
  fixture->harness = wk_test_kiosk_new ();
  state = g_build_filename (wk_test_kiosk_get_dir (fixture->harness), "kiosk-state", NULL);
  kiosk_config = wk_test_ui_kiosk_config (state, NULL);
  wk_test_kiosk_write_config (fixture->harness, kiosk_config);
  info = wk_test_kiosk_write_snapshot (fixture->harness, model);
  open_window (fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  close_window (fixture);
  if (fixture->sim != NULL)
    {
      g_subprocess_force_exit (fixture->sim);
      g_subprocess_wait (fixture->sim, NULL, NULL);
      g_clear_object (&fixture->sim);
    }
  wk_log_set_tap (NULL, NULL);
  g_clear_pointer (&fixture->harness, wk_test_kiosk_free);
  g_clear_pointer (&fixture->audit, g_ptr_array_unref);
}

static gboolean
audit_has (Fixture *fixture, const char *needle)
{
  for (guint i = 0; i < fixture->audit->len; i++)
    if (strstr (fixture->audit->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

typedef struct
{
  Fixture    *fixture;
  const char *page;
} PageWait;

static gboolean
page_is (gpointer data)
{
  PageWait *wait = data;

  return g_strcmp0 (wk_kiosk_window_get_page (wait->fixture->window), wait->page) == 0;
}

static void
assert_page (Fixture *fixture, const char *page)
{
  PageWait wait = { fixture, page };

  if (!wk_test_ui_wait (page_is, &wait, 20))
    g_error ("Expected the %s screen, the kiosk shows %s", page,
             wk_kiosk_window_get_page (fixture->window));
}

static gboolean
unlocked (gpointer data)
{
  return !wk_kiosk_is_locked (((Fixture *)data)->kiosk);
}

static gboolean
unlock_answered (gpointer data)
{
  Fixture    *fixture = data;
  const char *message = wk_test_ui_label (fixture->root, "unlock-message");

  return *message != '\0' && strstr (message, "Checking") == NULL;
}

/* Types a PIN on the keypad as fingers would, then OK. */
static void
press_pin (Fixture *fixture, const char *pin)
{
  for (const char *p = pin; *p != '\0'; p++)
    {
      char name[] = "unlock-key-0";

      name[sizeof name - 2] = *p;
      wk_test_ui_click (fixture->root, name);
    }
  wk_test_ui_click (fixture->root, "unlock-key-ok");
}

static void
unlock (Fixture *fixture, const char *who)
{
  wk_test_ui_click (fixture->root, "unlock-button");
  assert_page (fixture, "unlock");
  wk_test_ui_type (fixture->root, "unlock-who", who);
  press_pin (fixture, WK_TEST_WARD_PIN);
  g_assert_true (wk_test_ui_wait (unlocked, fixture, 20));
}

static const WkCensusEntry *
census_entry (Fixture *fixture, guint index)
{
  GPtrArray *census = wk_kiosk_snapshot_get_census (wk_kiosk_get_snapshot (fixture->kiosk));

  g_assert_cmpuint (index, <, census->len);
  return census->pdata[index];
}

/* The locked kiosk shows the banner and the census without names, and no way in but
 * Unlock. */
static void
test_locked (Fixture *fixture, gconstpointer data)
{
  GtkWidget           *tile = wk_test_ui_get (fixture->root, "bed-tile-BAY1-1");
  const WkCensusEntry *first = census_entry (fixture, 0);
  g_autofree char     *name = wk_census_entry_dup_name (first);
  gboolean             name_shown = FALSE;

  g_assert_true (wk_kiosk_is_locked (fixture->kiosk));
  assert_page (fixture, "census");
  /* Small screens get the compact style. */
  g_assert_cmpint (gtk_widget_has_css_class (fixture->root, "compact"), ==,
                   wk_test_ui_get_height () < 800);
  g_assert_cmpint (gtk_widget_get_width (fixture->root), ==, wk_test_ui_get_width ());
  g_assert_true (wk_test_ui_is_shown (wk_test_ui_get (fixture->root, "status-banner")));
  g_assert_true (wk_test_ui_is_shown (wk_test_ui_get (fixture->root, "unlock-button")));
  g_assert_false (wk_test_ui_is_shown (wk_test_ui_get (fixture->root, "open-print")));
  g_assert_false (wk_test_ui_is_shown (wk_test_ui_get (fixture->root, "census-search")));
  /* The banner says plainly that the daemon is not running (none in this test). */
  g_assert_cmpstr (wk_test_ui_label (fixture->root, "banner-mode"), ==, "KIOSK ONLY");
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "banner-headline"), "not running"));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "banner-data-time"), "just now"));

  /* Beds in ward order, names hidden: every label of the tile, none with the name. */
  g_assert_true (wk_test_ui_is_shown (tile));
  {
    GPtrArray *stack = g_ptr_array_new ();

    g_ptr_array_add (stack, tile);
    while (stack->len > 0)
      {
        GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);

        if (GTK_IS_LABEL (w) && strstr (gtk_label_get_text (GTK_LABEL (w)), first->family_name))
          name_shown = TRUE;
        for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
             c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
    g_ptr_array_unref (stack);
  }
  g_assert_false (name_shown);
  g_assert_nonnull (name);

  /* Touching an occupied bed asks for the PIN first. */
  wk_test_ui_click (fixture->root, "bed-tile-BAY1-1");
  assert_page (fixture, "unlock");
  wk_test_ui_click (fixture->root, "unlock-cancel");
  assert_page (fixture, "census");
  g_free (wk_test_ui_screenshot (fixture->root, "locked"));
}

static void
test_unlock_open_patient (Fixture *fixture, gconstpointer data)
{
  const WkCensusEntry *first = census_entry (fixture, 0);
  g_autofree char     *name = wk_census_entry_dup_name (first);
  g_autofree char     *expect_audit = NULL;

  unlock (fixture, "J Smith");
  assert_page (fixture, "census");
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "who-label"), "J Smith"));
  g_assert_true (audit_has (fixture, "unlock by J Smith"));
  g_free (wk_test_ui_screenshot (fixture->root, "census"));

  /* Search by NHS number with spaces finds the one patient. */
  wk_test_ui_type (fixture->root, "census-search", "999 000 0");
  wk_test_ui_spin (0.2);
  wk_test_ui_type (fixture->root, "census-search", "");

  wk_test_ui_click (fixture->root, "bed-tile-BAY1-1");
  assert_page (fixture, "patient");
  g_assert_cmpstr (wk_test_ui_label (fixture->root, "patient-name"), ==, name);
  /* Allergies first, and the recorded one named (patient 0 has penicillin). */
  g_assert_nonnull (
      strstr (wk_test_ui_label (fixture->root, "patient-allergy-text"), "PENICILLIN"));
  g_assert_nonnull (
      strstr (wk_test_ui_label (fixture->root, "patient-allergy-text"), "anaphylaxis"));
  g_assert_nonnull (wk_test_ui_find (fixture->root, "order-P0-PARA"));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "patient-data-time"), "Data as of"));
  expect_audit = g_strdup_printf ("view by J Smith: patient #%" G_GINT64_FORMAT, first->patient_id);
  g_assert_true (audit_has (fixture, expect_audit));
  g_free (wk_test_ui_screenshot (fixture->root, "patient"));

  /* Escape-equivalent: back to the ward. */
  wk_test_ui_click (fixture->root, "patient-back");
  assert_page (fixture, "census");
}

static gboolean
preview_drawn (gpointer data)
{
  Fixture   *fixture = data;
  GtkWidget *view = wk_test_ui_get (fixture->root, "preview-view");

  return wk_preview_view_get_n_pages_shown (WK_PREVIEW_VIEW (view)) > 0;
}

static void
test_preview (Fixture *fixture, gconstpointer data)
{
  unlock (fixture, "AB");
  wk_test_ui_click (fixture->root, "bed-tile-BAY1-2");
  assert_page (fixture, "patient");
  wk_test_ui_click (fixture->root, "patient-preview");
  assert_page (fixture, "preview");
  g_assert_true (wk_test_ui_wait (preview_drawn, fixture, 30));
  g_assert_nonnull (wk_test_ui_find (fixture->root, "preview-page-1"));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "preview-title"), "exactly as"));
  g_assert_true (audit_has (fixture, "preview by AB: chart"));
  g_free (wk_test_ui_screenshot (fixture->root, "preview"));
  wk_test_ui_click (fixture->root, "preview-back");
  assert_page (fixture, "patient");

  /* Locking goes back to the census and forgets who. */
  wk_test_ui_click (fixture->root, "lock-button");
  g_assert_true (wk_kiosk_is_locked (fixture->kiosk));
  assert_page (fixture, "census");
  g_assert_true (audit_has (fixture, "lock by AB"));
}

/* Five wrong PINs block unlocking, and a restarted kiosk still refuses the right PIN. */
static void
test_wrong_pin_locks_out (Fixture *fixture, gconstpointer data)
{
  wk_test_ui_click (fixture->root, "unlock-button");
  wk_test_ui_type (fixture->root, "unlock-who", "Intruder");
  for (int i = 1; i <= 5; i++)
    {
      wk_test_ui_type (fixture->root, "unlock-pin", "");
      press_pin (fixture, "1111");
      g_assert_true (wk_test_ui_wait (unlock_answered, fixture, 20));
      if (i < 5)
        g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "unlock-message"), "Wrong PIN"));
    }
  g_assert_nonnull (
      strstr (wk_test_ui_label (fixture->root, "unlock-message"), "Too many wrong PINs"));
  g_assert_true (audit_has (fixture, "unlock-blocked by Intruder"));

  /* The right PIN is refused while blocked. */
  press_pin (fixture, WK_TEST_WARD_PIN);
  g_assert_true (wk_test_ui_wait (unlock_answered, fixture, 20));
  g_assert_true (wk_kiosk_is_locked (fixture->kiosk));
  g_assert_nonnull (
      strstr (wk_test_ui_label (fixture->root, "unlock-message"), "Too many wrong PINs"));

  /* A restart does not reset the count. */
  close_window (fixture);
  open_window (fixture);
  wk_test_ui_click (fixture->root, "unlock-button");
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "unlock-message"), "blocked until"));
  wk_test_ui_type (fixture->root, "unlock-who", "Intruder");
  press_pin (fixture, WK_TEST_WARD_PIN);
  g_assert_true (wk_test_ui_wait (unlock_answered, fixture, 20));
  g_assert_true (wk_kiosk_is_locked (fixture->kiosk));
}

typedef struct
{
  Fixture       *fixture;
  WkTestPrinter *printer;
  char          *chart;
} PrintWait;

/* The kiosk's job for the chart has completed and the printer holds the document. */
static gboolean
chart_printed (gpointer data)
{
  PrintWait *wait = data;
  GPtrArray *jobs = wk_kiosk_get_jobs (wait->fixture->kiosk);
  g_autoptr (GPtrArray) printed = NULL;
  g_autofree char *job_name = NULL;

  for (guint i = 0; wait->chart == NULL && i < jobs->len; i++)
    if (g_strcmp0 (((WkKioskJob *)jobs->pdata[i])->kind, "chart") == 0)
      wait->chart = g_strdup (((WkKioskJob *)jobs->pdata[i])->chart);
  if (wait->chart == NULL)
    return FALSE;
  job_name = g_ascii_strdown (wait->chart, -1);
  printed = wk_test_printer_dup_printed (wait->printer);
  for (guint i = 0; i < printed->len; i++)
    if (g_strcmp0 (((WkTestDocument *)printed->pdata[i])->job_name, job_name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
job_completed (gpointer data)
{
  PrintWait *wait = data;
  GPtrArray *jobs = wk_kiosk_get_jobs (wait->fixture->kiosk);

  for (guint i = 0; i < jobs->len; i++)
    {
      WkKioskJob *job = jobs->pdata[i];

      if (g_strcmp0 (job->chart, wait->chart) == 0)
        return g_strcmp0 (job->state, "completed") == 0;
    }
  return FALSE;
}

/* With no daemon, the kiosk prints the chart itself, to the ward's first printer, and
 * its queue says so. */
static void
test_print_without_daemon (Fixture *fixture, gconstpointer data)
{
  const WkCensusEntry *first = census_entry (fixture, 0);
  PrintWait        wait = { fixture, wk_test_kiosk_get_printer (fixture->harness, "office"), NULL };
  g_autofree char *expect_audit = NULL;

  unlock (fixture, "J Smith");
  wk_test_ui_click (fixture->root, "bed-tile-BAY1-1");
  assert_page (fixture, "patient");
  wk_test_ui_click (fixture->root, "patient-print");
  g_assert_true (wk_test_ui_wait (chart_printed, &wait, 60));
  if (!wk_test_ui_wait (job_completed, &wait, 90))
    {
      GPtrArray *jobs = wk_kiosk_get_jobs (fixture->kiosk);

      for (guint i = 0; i < jobs->len; i++)
        g_test_message ("job %s: %s (%s)", ((WkKioskJob *)jobs->pdata[i])->chart,
                        ((WkKioskJob *)jobs->pdata[i])->state,
                        ((WkKioskJob *)jobs->pdata[i])->reason);
      g_error ("The kiosk never saw its job completed");
    }
  g_assert_nonnull (
      strstr (wk_test_ui_label (fixture->root, "patient-message"), "printing the chart itself"));
  expect_audit = g_strdup_printf ("print by J Smith: chart %s of patient #%" G_GINT64_FORMAT,
                                  wait.chart, first->patient_id);
  g_assert_true (audit_has (fixture, expect_audit));

  /* The queue shows it printed, on which printer. */
  wk_test_ui_click (fixture->root, "open-print");
  assert_page (fixture, "print");
  {
    g_autofree char *row = g_strdup_printf ("job-%s", wait.chart);

    g_assert_true (wk_test_ui_is_shown (wk_test_ui_get (fixture->root, row)));
  }
  g_free (wk_test_ui_screenshot (fixture->root, "print-queue"));
  g_free (wait.chart);
}

/* Runs xdotool against the kiosk's window on this test's X server: real key presses. */
static void xdotool (const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
xdotool (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int     status = 0;
  va_list args;

  g_ptr_array_add (argv, "xdotool");
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  wk_test_ui_spin (0.15);
}

/* The keyboard focus is in the widget (an entry's focus is in its text inside). */
static gboolean
widget_focused (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (data));

  return focus != NULL && (focus == data || gtk_widget_is_ancestor (focus, data));
}

/* The kiosk works from the keyboard alone: real key presses through the X server. */
static void
test_keyboard (Fixture *fixture, gconstpointer data)
{
  const WkCensusEntry *first = census_entry (fixture, 0);
  GdkSurface          *surface = gtk_native_get_surface (GTK_NATIVE (fixture->window));
  g_autofree char     *window
      = g_strdup_printf ("%lu", (unsigned long)gdk_x11_surface_get_xid (surface));

  xdotool ("windowfocus", "--sync", window, NULL);
  /* Unlock: focus the button, Enter; type the name, Enter goes to the PIN; PIN, Enter. */
  gtk_widget_grab_focus (wk_test_ui_get (fixture->root, "unlock-button"));
  xdotool ("key", "--window", window, "Return", NULL);
  assert_page (fixture, "unlock");
  g_assert_true (wk_test_ui_wait (widget_focused, wk_test_ui_get (fixture->root, "unlock-who"), 5));
  xdotool ("type", "--delay", "30", "KB", NULL);
  xdotool ("key", "Return", NULL);
  xdotool ("type", "--delay", "30", WK_TEST_WARD_PIN, NULL);
  xdotool ("key", "Return", NULL);
  g_assert_true (wk_test_ui_wait (unlocked, fixture, 20));
  g_assert_cmpstr (wk_kiosk_get_who (fixture->kiosk), ==, "KB");
  assert_page (fixture, "census");

  /* Typing searches the census; Enter goes to the first match, Enter again opens it. */
  xdotool ("type", "--delay", "30", first->family_name, NULL);
  wk_test_ui_spin (0.3);
  g_assert_cmpstr (
      gtk_editable_get_text (GTK_EDITABLE (wk_test_ui_get (fixture->root, "census-search"))), ==,
      first->family_name);
  xdotool ("key", "Return", NULL);
  xdotool ("key", "Return", NULL);
  assert_page (fixture, "patient");
  g_assert_cmpint (wk_kiosk_window_get_page (fixture->window) != NULL, ==, TRUE);

  /* Escape goes back; Ctrl+L locks. */
  xdotool ("key", "Escape", NULL);
  assert_page (fixture, "census");
  xdotool ("key", "ctrl+l", NULL);
  g_assert_true (wk_kiosk_is_locked (fixture->kiosk));
}

static gboolean
locked (gpointer data)
{
  return wk_kiosk_is_locked (((Fixture *)data)->kiosk);
}

/* With no touch or key for [kiosk] lock-after, the kiosk locks by itself and forgets
 * who unlocked it. */
static void
test_locks_when_idle (Fixture *fixture, gconstpointer data)
{
  g_autofree char *state
      = g_build_filename (wk_test_kiosk_get_dir (fixture->harness), "kiosk-state", NULL);
  g_autofree char *kiosk_config = wk_test_ui_kiosk_config (state, "lock-after = 10s\n");

  close_window (fixture);
  wk_test_kiosk_write_config (fixture->harness, kiosk_config);
  open_window (fixture);
  unlock (fixture, "Idle Nurse");
  wk_test_ui_click (fixture->root, "bed-tile-BAY1-1");
  assert_page (fixture, "patient");
  g_assert_true (wk_test_ui_wait (locked, fixture, 30));
  assert_page (fixture, "census");
  g_assert_null (wk_kiosk_get_who (fixture->kiosk));
  g_assert_true (audit_has (fixture, "lock by Idle Nurse: no touch or key press"));
}

/* ---- With the real daemon and simulator ---------------------------------------------- */

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
daemon_followed (gpointer data)
{
  Fixture       *fixture = data;
  WkKioskStatus *status = wk_kiosk_get_status (fixture->kiosk);

  return status->daemon && wk_kiosk_get_snapshot (fixture->kiosk) != NULL
         && wk_kiosk_snapshot_get_seq (wk_kiosk_get_snapshot (fixture->kiosk))
                == status->snapshot_seq
         && status->mode == WK_KIOSK_MODE_ONLINE;
}

static gboolean
ward_loaded (gpointer data)
{
  g_autoptr (JsonObject) status = wk_test_kiosk_status (data);
  JsonObject *feed = json_object_get_object_member (status, "feed");
  JsonObject *snapshot = json_object_get_object_member (status, "snapshot");

  /* The simulator's 30-bed ward is in (its initial load and a few events), and written. */
  return json_object_get_int_member (feed, "accepted") >= 150
         && !json_object_get_null_member (snapshot, "seq")
         && !json_object_get_boolean_member (snapshot, "unwritten");
}

/* The ward as the central systems send it: wardkeep-sim's 30-bed ward 7A streamed over
 * MLLP to wardkeepd, which probes the simulator's health endpoint every 500 ms and
 * prints to the harness's printers; the kiosk follows the daemon. */
static void
live_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;
  guint16          feed_port = wk_test_closed_port ();
  guint16          health_port = wk_test_closed_port ();
  g_autofree char *sim = wk_test_build_path ("tests", "sim", "wardkeep-sim", NULL);
  g_autofree char *feed = g_strdup_printf ("--feed=127.0.0.1:%u", feed_port);
  g_autofree char *health = g_strdup_printf ("--health-port=%u", health_port);
  g_autofree char *state = NULL;
  g_autofree char *kiosk_config = NULL;
  g_autofree char *config = NULL;

  fixture->audit = g_ptr_array_new_with_free_func (g_free);
  wk_log_set_tap (audit_tap, fixture);
  fixture->harness = wk_test_kiosk_new ();
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  fixture->sim = g_subprocess_launcher_spawn (launcher, &error, sim, "--seed=3", "--beds=30",
                                              "--keep-running", "--quiet", "--messages=40",
                                              "--connect-timeout=90", feed, health, NULL);
  g_assert_no_error (error);

  state = g_build_filename (wk_test_kiosk_get_dir (fixture->harness), "kiosk-state", NULL);
  kiosk_config = wk_test_ui_kiosk_config (state, NULL);
  config = g_strdup_printf ("[feed]\naddress = 127.0.0.1\nport = %u\n"
                            "[monitor]\ninterval = %ums\ntimeout = %ums\nfailures-to-confirm = %u\n"
                            "successes-to-recover = 2\n"
                            "[probe central]\nkind = http\nurl = http://127.0.0.1:%u/health\n%s",
                            feed_port, PROBE_INTERVAL_MS, PROBE_INTERVAL_MS * 3 / 4,
                            FAILURES_TO_CONFIRM, health_port, kiosk_config);
  wk_test_kiosk_write_config (fixture->harness, config);
  wk_test_kiosk_start_daemon (fixture->harness, NULL);
  g_assert_true (wk_test_ui_wait (ward_loaded, fixture->harness, 120));
  open_window (fixture);
  g_assert_true (wk_test_ui_wait (daemon_followed, fixture, 30));
}

typedef struct
{
  Fixture    *fixture;
  const char *mode;
} BannerWait;

static gboolean
banner_reads (gpointer data)
{
  BannerWait *wait = data;

  return g_strcmp0 (wk_test_ui_label (wait->fixture->root, "banner-mode"), wait->mode) == 0;
}

/* Unlock, open a patient, press Print: the daemon prints the chart and the job reaches
 * the ward's printer; the queue shows it. */
static void
test_live_print (Fixture *fixture, gconstpointer data)
{
  const WkCensusEntry *entry = NULL;
  GPtrArray       *census = wk_kiosk_snapshot_get_census (wk_kiosk_get_snapshot (fixture->kiosk));
  g_autofree char *tile = NULL;
  PrintWait        wait = { fixture, wk_test_kiosk_get_printer (fixture->harness, "office"), NULL };

  g_assert_cmpstr (wk_test_ui_label (fixture->root, "banner-mode"), ==, "ONLINE");
  for (guint i = 0; i < census->len && entry == NULL; i++)
    if (((WkCensusEntry *)census->pdata[i])->patient_id != 0)
      entry = census->pdata[i];
  g_assert_nonnull (entry);
  tile = wk_bed_tile_dup_widget_name (entry);
  unlock (fixture, "Sister Jones");
  g_free (wk_test_ui_screenshot (fixture->root, "census"));
  wk_test_ui_click (fixture->root, tile);
  assert_page (fixture, "patient");
  g_free (wk_test_ui_screenshot (fixture->root, "patient"));
  wk_test_ui_click (fixture->root, "patient-print");
  g_assert_true (wk_test_ui_wait (chart_printed, &wait, 90));
  g_assert_nonnull (
      strstr (wk_test_ui_label (fixture->root, "patient-message"), "Sent to the printer"));
  g_assert_true (audit_has (fixture, "print by Sister Jones: chart of patient #"));
  g_assert_true (wk_test_ui_wait (job_completed, &wait, 90));
  wk_test_ui_click (fixture->root, "open-print");
  assert_page (fixture, "print");
  g_free (wk_test_ui_screenshot (fixture->root, "print-queue"));
  g_free (wait.chart);
}

/* The central systems vanish (the simulator is killed): the banner reads DOWNTIME within
 * the time the monitor is configured to take, and the daemon prints the ward. */
static void
test_live_downtime (Fixture *fixture, gconstpointer data)
{
  BannerWait wait = { fixture, "DOWNTIME" };
  /* Three failed runs 500 ms apart after the outage: 1 to 1.5 s, plus the runs' own
   * time, the status event and a redraw; a noisy machine gets 5 s more. */
  double configured = (FAILURES_TO_CONFIRM)*PROBE_INTERVAL_MS / 1000.0;
  gint64 start;
  double took;

  unlock (fixture, "Charge Nurse");
  start = g_get_monotonic_time ();
  g_subprocess_force_exit (fixture->sim);
  g_subprocess_wait (fixture->sim, NULL, NULL);
  g_assert_true (wk_test_ui_wait (banner_reads, &wait, configured + 5));
  took = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  g_test_message ("DOWNTIME on the banner %.2f s after the simulator was killed (configured: "
                  "%d failures %d ms apart)",
                  took, FAILURES_TO_CONFIRM, PROBE_INTERVAL_MS);
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "banner-headline"), "PAPER"));
  g_assert_true (
      gtk_widget_has_css_class (wk_test_ui_get (fixture->root, "status-banner"), "mode-downtime"));
  /* The daemon prints the ward by itself; the banner says how it goes. */
  g_assert_true (wk_test_kiosk_wait_mode (fixture->harness, "downtime", 5));
  wk_test_ui_spin (3);
  g_free (wk_test_ui_screenshot (fixture->root, "downtime"));
  wk_test_ui_click (fixture->root, "lock-button");
  g_free (wk_test_ui_screenshot (fixture->root, "downtime-locked"));
}

static gboolean
daemon_gone (gpointer data)
{
  return !wk_kiosk_get_status (((Fixture *)data)->kiosk)->daemon;
}

/* The daemon is killed: the kiosk says so plainly, and still prints. */
static void
test_live_daemon_killed (Fixture *fixture, gconstpointer data)
{
  BannerWait wait = { fixture, "KIOSK ONLY" };
  PrintWait  print = { fixture, wk_test_kiosk_get_printer (fixture->harness, "office"), NULL };
  GPtrArray *census = wk_kiosk_snapshot_get_census (wk_kiosk_get_snapshot (fixture->kiosk));
  const WkCensusEntry *entry = NULL;
  g_autofree char     *tile = NULL;

  for (guint i = 0; i < census->len && entry == NULL; i++)
    if (((WkCensusEntry *)census->pdata[i])->patient_id != 0)
      entry = census->pdata[i];
  tile = wk_bed_tile_dup_widget_name (entry);
  wk_test_kiosk_kill_daemon (fixture->harness, SIGKILL);
  g_assert_true (wk_test_ui_wait (daemon_gone, fixture, 30));
  g_assert_true (wk_test_ui_wait (banner_reads, &wait, 5));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "banner-headline"), "not running"));

  unlock (fixture, "RN Patel");
  wk_test_ui_click (fixture->root, tile);
  assert_page (fixture, "patient");
  wk_test_ui_click (fixture->root, "patient-print");
  g_assert_true (wk_test_ui_wait (chart_printed, &print, 90));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "patient-message"), "itself"));
  g_assert_true (audit_has (fixture, "printed by the kiosk itself"));
  g_free (print.chart);
}

static gboolean
admin_answered (gpointer data)
{
  Fixture    *fixture = data;
  const char *message = wk_test_ui_label (fixture->root, "admin-message");

  return *message != '\0' && strstr (message, "Checking") == NULL;
}

static void
press_admin_pin (Fixture *fixture, const char *pin)
{
  for (const char *p = pin; *p != '\0'; p++)
    {
      char name[] = "admin-key-0";

      name[sizeof name - 2] = *p;
      wk_test_ui_click (fixture->root, name);
    }
  wk_test_ui_click (fixture->root, "admin-key-ok");
}

/* A drill started on the kiosk with the admin PIN: the banner says DRILL, not DOWNTIME. */
static void
test_live_drill (Fixture *fixture, gconstpointer data)
{
  BannerWait wait = { fixture, "DRILL" };

  unlock (fixture, "IT Team");
  wk_test_ui_click (fixture->root, "open-admin");
  assert_page (fixture, "admin");
  wk_test_ui_click (fixture->root, "admin-drill-start");
  wk_test_ui_type (fixture->root, "admin-reason", "Monthly downtime drill");
  /* What OK will do is spelt out, and a status event meanwhile does not change it. */
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "admin-summary"), "START A DRILL"));
  wk_test_ui_spin (2);
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "admin-summary"), "START A DRILL"));
  /* A wrong admin PIN first: refused, nothing started. */
  press_admin_pin (fixture, "000000");
  g_assert_true (wk_test_ui_wait (admin_answered, fixture, 20));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "admin-message"), "Wrong admin PIN"));
  press_admin_pin (fixture, WK_TEST_ADMIN_PIN);
  g_assert_true (wk_test_ui_wait (admin_answered, fixture, 20));
  g_test_message ("The admin screen says: %s", wk_test_ui_label (fixture->root, "admin-message"));
  g_assert_true (wk_test_ui_wait (banner_reads, &wait, 30));
  g_assert_true (
      gtk_widget_has_css_class (wk_test_ui_get (fixture->root, "status-banner"), "mode-drill"));
  g_assert_false (
      gtk_widget_has_css_class (wk_test_ui_get (fixture->root, "status-banner"), "mode-downtime"));
  g_assert_nonnull (strstr (wk_test_ui_label (fixture->root, "banner-headline"), "NOT a real"));
  g_assert_true (audit_has (fixture, "drill.start by IT Team: done"));
  g_assert_true (wk_test_kiosk_wait_mode (fixture->harness, "drill", 5));
  wk_test_ui_click (fixture->root, "admin-back");
  wk_test_ui_spin (2);
  g_free (wk_test_ui_screenshot (fixture->root, "drill"));
}

int
main (int argc, char **argv)
{
  int status;

  wk_log_init ("test-kiosk-ui");
  wk_test_ui_init (&argc, &argv);
  wk_kiosk_load_style ();

  g_test_add ("/kiosk/ui/locked", Fixture, NULL, fixture_set_up, test_locked, fixture_tear_down);
  g_test_add ("/kiosk/ui/unlock-open-patient", Fixture, NULL, fixture_set_up,
              test_unlock_open_patient, fixture_tear_down);
  g_test_add ("/kiosk/ui/preview", Fixture, NULL, fixture_set_up, test_preview, fixture_tear_down);
  g_test_add ("/kiosk/ui/wrong-pin-locks-out", Fixture, NULL, fixture_set_up,
              test_wrong_pin_locks_out, fixture_tear_down);
  g_test_add ("/kiosk/ui/print-without-daemon", Fixture, NULL, fixture_set_up,
              test_print_without_daemon, fixture_tear_down);
  g_test_add ("/kiosk/ui/keyboard", Fixture, NULL, fixture_set_up, test_keyboard,
              fixture_tear_down);
  g_test_add ("/kiosk/ui/locks-when-idle", Fixture, NULL, fixture_set_up, test_locks_when_idle,
              fixture_tear_down);
  g_test_add ("/kiosk/live/print", Fixture, NULL, live_set_up, test_live_print, fixture_tear_down);
  g_test_add ("/kiosk/live/downtime", Fixture, NULL, live_set_up, test_live_downtime,
              fixture_tear_down);
  g_test_add ("/kiosk/live/daemon-killed", Fixture, NULL, live_set_up, test_live_daemon_killed,
              fixture_tear_down);
  g_test_add ("/kiosk/live/drill", Fixture, NULL, live_set_up, test_live_drill, fixture_tear_down);
  status = g_test_run ();
  wk_test_ui_finish ();
  return status;
}
