/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-reconcile-ui.c — the kiosk's Reconcile screen on a real X server: a returned page
 * scanned by a keyboard-wedge scanner (real key events, typed by xdotool at a scanner's
 * speed), and one chart's boxes keyed in from the keyboard. The daemon's reconcile.*
 * methods answer on the kiosk's control socket from this process, over the ward model. */

#include "wk-chart-id.h"
#include "wk-chart-renderer.h"
#include "wk-control.h"
#include "wk-kiosk-window.h"
#include "wk-kiosk.h"
#include "wk-ledger.h"
#include "wk-log.h"
#include "wk-paper-chart.h"
#include "wk-paper-entry.h"
#include "wk-reconcile-service.h"
#include "wk-reconcile-view.h"
#include "wk-reconcile.h"
#include "wk-test-kiosk.h"
#include "wk-test-ui.h"
#include "wk-test-util.h"
#include "wk-test-ward.h"

#include <string.h>

#define NOW (WK_TEST_PRINTED_AT + 20 * 3600) /* Saturday 14 March 2026, 22:50 */

typedef struct
{
  WkTestKiosk        *harness;
  WkModel            *model;
  WkKeys             *keys;
  GPtrArray          *documents;
  WkReconcile        *reconcile;
  WkReconcileService *service;
  WkControlServer    *server;
  WkKiosk            *kiosk;
  WkKioskWindow      *window;
  GtkWidget          *root;
} Fixture;

static gint64
fixed_now (gpointer data)
{
  return NOW;
}

static gboolean
has_snapshot (gpointer data)
{
  return wk_kiosk_get_snapshot (((Fixture *)data)->kiosk) != NULL;
}

static gboolean
unlocked (gpointer data)
{
  return !wk_kiosk_is_locked (((Fixture *)data)->kiosk);
}

/* The daemon's side: reconcile.* over the ward model on the kiosk's control socket. */
static void
start_service (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkConfig) config = wk_config_load_from_data ("[ward]\nid = 7A\n", -1, "d.conf", NULL);
  WkReconcileSettings *settings = wk_reconcile_settings_new (config, f->keys, &error);

  g_assert_no_error (error);
  f->reconcile = wk_reconcile_new (f->model, settings, &error);
  g_assert_no_error (error);
  f->service = wk_reconcile_service_new (f->reconcile);
  wk_reconcile_service_set_now_func (f->service, fixed_now, NULL);
  f->server = wk_control_server_new ();
  wk_reconcile_service_register (f->service, f->server);
  g_assert_true (wk_control_server_listen (f->server, wk_test_kiosk_get_socket (f->harness), 0600,
                                           NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkChartRenderer) renderer = NULL;
  g_autoptr (WkSnapshotInfo) info = NULL;
  WkConfig        *config; /* the kiosk takes it */
  g_autofree char *state = NULL;
  g_autofree char *kiosk_config = NULL;
  WkChartOptions   options;

  f->harness = wk_test_kiosk_new ();
  f->keys = wk_test_keys_new (0x42);
  f->model = wk_test_ward_new (6);
  wk_test_chart_options (&options);
  renderer = wk_chart_renderer_new (&options, f->keys, &error);
  f->documents = wk_chart_renderer_render_ward (renderer, f->model, &error);
  g_assert_no_error (error);
  state = g_build_filename (wk_test_kiosk_get_dir (f->harness), "kiosk-state", NULL);
  kiosk_config = wk_test_ui_kiosk_config (state, NULL);
  wk_test_kiosk_write_config (f->harness, kiosk_config);
  info = wk_test_kiosk_write_snapshot (f->harness, f->model);
  start_service (f);

  config = wk_config_load (wk_test_kiosk_get_config_path (f->harness), &error);
  g_assert_no_error (error);
  f->kiosk = wk_kiosk_new (config, &error);
  g_assert_no_error (error);
  f->window = wk_kiosk_window_new (NULL, f->kiosk, TRUE);
  f->root = GTK_WIDGET (f->window);
  wk_kiosk_start (f->kiosk);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (wk_test_ui_wait (has_snapshot, f, 30));
  gtk_test_widget_wait_for_draw (f->root);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wk_kiosk_window_allow_close (f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->kiosk);
  wk_test_ui_spin (0.05);
  wk_reconcile_service_unregister (f->service, f->server);
  wk_control_server_close (f->server);
  g_clear_object (&f->server);
  wk_reconcile_service_free (f->service);
  wk_reconcile_free (f->reconcile);
  g_ptr_array_unref (f->documents);
  wk_model_free (f->model);
  wk_keys_free (f->keys);
  wk_test_kiosk_free (f->harness);
}

static void
exited_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  *(gboolean *)data = TRUE;
}

/* Runs xdotool against the kiosk's X server while the kiosk goes on answering. */
static void
xdotool (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  gboolean done = FALSE;
  va_list  args;

  g_ptr_array_add (argv, "xdotool");
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, exited_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_get_successful (process));
}

static void
unlock (Fixture *f, const char *who)
{
  wk_test_ui_click (f->root, "unlock-button");
  wk_test_ui_type (f->root, "unlock-who", who);
  for (const char *p = WK_TEST_WARD_PIN; *p != '\0'; p++)
    {
      char name[] = "unlock-key-0";

      name[sizeof name - 2] = *p;
      wk_test_ui_click (f->root, name);
    }
  wk_test_ui_click (f->root, "unlock-key-ok");
  g_assert_true (wk_test_ui_wait (unlocked, f, 20));
}

typedef struct
{
  Fixture    *f;
  const char *name;
  const char *part;
} LabelWait;

static gboolean
label_has (gpointer data)
{
  LabelWait *wait = data;
  GtkWidget *widget = wk_test_ui_find (wait->f->root, wait->name);

  return widget != NULL && GTK_IS_LABEL (widget)
         && strstr (gtk_label_get_text (GTK_LABEL (widget)), wait->part) != NULL;
}

static void
wait_label (Fixture *f, const char *name, const char *part)
{
  LabelWait wait = { f, name, part };

  if (!wk_test_ui_wait (label_has, &wait, 20))
    {
      GtkWidget *widget = wk_test_ui_find (f->root, name);

      g_error ("%s does not say \"%s\"; it says \"%s\"", name, part,
               widget != NULL && GTK_IS_LABEL (widget) ? gtk_label_get_text (GTK_LABEL (widget))
                                                       : "(no such label)");
    }
}

typedef struct
{
  Fixture    *f;
  const char *name;
} FocusWait;

static gboolean
has_focus (gpointer data)
{
  FocusWait *wait = data;
  GtkWidget *widget = wk_test_ui_find (wait->f->root, wait->name);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (wait->f->root));

  return widget != NULL && focus != NULL
         && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static void
wait_focus (Fixture *f, const char *name)
{
  FocusWait wait = { f, name };

  if (!wk_test_ui_wait (has_focus, &wait, 20))
    {
      GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->root));

      while (focus != NULL && g_str_has_prefix (gtk_widget_get_name (focus), "Gtk"))
        focus = gtk_widget_get_parent (focus);
      g_error ("The focus is not on %s but on %s", name,
               focus != NULL ? gtk_widget_get_name (focus) : "nothing");
    }
}

static GPtrArray *
model_entries (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *entries = wk_paper_entry_load_for_chart (f->model, NULL, FALSE, &error);

  g_assert_no_error (error);
  return entries;
}

/* A page scanned with the keyboard-wedge scanner opens its chart; two boxes are keyed in
 * from the keyboard: initials and Enter, then Tab, a not-given code and Enter. */
static void
test_scan_and_key_in (Fixture *f, gconstpointer data)
{
  WkChartDocument *chart = f->documents->pdata[1];
  const char      *payload = wk_chart_document_get_page_payload (chart, 0);
  g_autofree char *label = wk_chart_id_format (wk_chart_document_get_id (chart));
  g_autofree char *expected = g_strdup_printf ("Chart %s page 1 of 2 is back", label);
  g_autoptr (GPtrArray) entries = NULL;
  const WkPaperEntry *first, *second;

  unlock (f, "P Harmacist");
  wk_test_ui_click (f->root, "open-reconcile");
  g_assert_cmpstr (wk_kiosk_window_get_page (f->window), ==, "reconcile");
  gtk_widget_grab_focus (wk_test_ui_get (f->root, "reconcile-scan"));
  wk_test_ui_spin (0.2);

  /* The scanner types the code as fast keystrokes, then Enter. */
  xdotool ("search", "--sync", "--name", "^wardkeep$", "windowfocus", "--sync", NULL);
  xdotool ("type", "--delay", "3", payload, NULL);
  xdotool ("key", "Return", NULL);
  wait_label (f, "reconcile-message", expected);
  wait_label (f, "reconcile-message", "Still missing: page 2");
  /* The wedge took the keys: nothing was typed into the field. */
  g_assert_cmpstr (
      gtk_editable_get_text (GTK_EDITABLE (wk_test_ui_get (f->root, "reconcile-scan"))), ==, "");
  g_assert_cmpstr (
      wk_reconcile_view_get_chart (WK_RECONCILE_VIEW (wk_test_ui_get (f->root, "reconcile-view"))),
      ==, wk_chart_document_get_id (chart));
  wait_focus (f, "reconcile-row-0-by");
  gtk_test_widget_wait_for_draw (f->root);
  g_free (wk_test_ui_screenshot (f->root, "reconcile-scanned"));

  /* A person types: initials, Enter (given at the due time, as prescribed). */
  xdotool ("type", "--delay", "120", "AB", NULL);
  xdotool ("key", "Return", NULL);
  wait_label (f, "reconcile-row-0-state", "saved #1");
  wait_focus (f, "reconcile-row-1-by");
  /* The next box: Tab to the code, 2 (nil by mouth), Enter. */
  xdotool ("key", "Tab", NULL);
  xdotool ("type", "--delay", "120", "2", NULL);
  xdotool ("key", "Return", NULL);
  wait_label (f, "reconcile-row-1-state", "saved #2");
  gtk_test_widget_wait_for_draw (f->root);
  g_free (wk_test_ui_screenshot (f->root, "reconcile-keyed"));

  entries = model_entries (f);
  g_assert_cmpuint (entries->len, ==, 2);
  first = entries->pdata[0];
  second = entries->pdata[1];
  if (first->id > second->id)
    {
      first = entries->pdata[1];
      second = entries->pdata[0];
    }
  g_assert_true (first->given);
  g_assert_cmpstr (first->by_whom, ==, "AB");
  g_assert_cmpint (first->at, ==, first->due_at);
  g_assert_cmpstr (first->entered_by, ==, "P Harmacist");
  g_assert_false (second->given);
  g_assert_cmpstr (second->reason_code, ==, "2");
  g_assert_cmpstr (second->placer_id, ==, first->placer_id);
}

/* A code that was changed is refused on the screen, with the reason. */
static void
test_forged_page (Fixture *f, gconstpointer data)
{
  g_autofree char *forged
      = g_strdup (wk_chart_document_get_page_payload (f->documents->pdata[2], 0));
  g_autoptr (GPtrArray) entries = NULL;

  forged[strlen (forged) - 4] = forged[strlen (forged) - 4] == 'A' ? 'B' : 'A';
  unlock (f, "P Harmacist");
  wk_test_ui_click (f->root, "open-reconcile");
  wk_reconcile_view_scan (WK_RECONCILE_VIEW (wk_test_ui_get (f->root, "reconcile-view")), forged);
  wait_label (f, "reconcile-message", "Page refused: ");
  entries = wk_paper_chart_load_all (f->model, NULL);
  g_assert_cmpuint (entries->len, ==, 0);
}

int
main (int argc, char **argv)
{
  int status;

  wk_log_init ("test-reconcile-ui");
  wk_test_ui_init (&argc, &argv);
  wk_kiosk_load_style ();
  g_test_add ("/reconcile/ui/scan-and-key-in", Fixture, NULL, fixture_set_up, test_scan_and_key_in,
              fixture_tear_down);
  g_test_add ("/reconcile/ui/forged-page", Fixture, NULL, fixture_set_up, test_forged_page,
              fixture_tear_down);
  status = g_test_run ();
  wk_test_ui_finish ();
  return status;
}
