/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk-window.c — the kiosk's one window: banner, toolbar and the screens.
 *
 * A kiosk, not a desktop application: fullscreen, undecorated, and it refuses to close
 * (only a signal to the process ends it). The banner is always on top; below it the
 * screens: the census, a patient, the preview of their chart, printing, unlocking and
 * the admin screen. Every screen is reached in at most two touches and by keyboard
 * (Tab, arrows, Enter, Escape goes back, typing searches). After `[kiosk] lock-after`
 * without a touch or a key press the kiosk locks: the census without names, the banner,
 * and an Unlock button. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-window.h"

#include "wk-admin-view.h"
#include "wk-census-view.h"
#include "wk-kiosk-error.h"
#include "wk-patient-view.h"
#include "wk-preview-view.h"
#include "wk-print-view.h"
#include "wk-reconcile-view.h"
#include "wk-status-banner.h"
#include "wk-unlock-view.h"

#include <glib/gi18n.h>
#include <stdio.h>

/* Below this height (1024x600 and the like) the compact style is used. */
#define COMPACT_HEIGHT 800

struct _WkKioskWindow
{
  AdwApplicationWindow parent_instance;

  WkKiosk      *kiosk;
  GCancellable *cancellable;
  gboolean      kiosk_mode;
  gboolean      allow_close;
  gboolean      exit_when_drawn;
  gint64        started_us;
  guint         idle_id;
  gint64        pending_patient; /* to open once unlocked */
  int           compact;         /* -1 not decided, else 0/1 */
  guint         compact_id;
  gboolean      busy;

  WkStatusBanner  *banner;
  GtkWidget       *toolbar;
  GtkLabel        *ward_label;
  GtkLabel        *who_label;
  GtkWidget       *search_entry;
  GtkWidget       *spacer;
  GtkWidget       *print_button;
  GtkWidget       *admin_button;
  GtkWidget       *lock_button;
  GtkWidget       *unlock_button;
  GtkStack        *stack;
  WkCensusView    *census_view;
  WkPatientView   *patient_view;
  WkPreviewView   *preview_view;
  WkPrintView     *print_view;
  WkUnlockView    *unlock_view;
  WkAdminView     *admin_view;
  WkReconcileView *reconcile_view;
};

G_DEFINE_FINAL_TYPE (WkKioskWindow, wk_kiosk_window, ADW_TYPE_APPLICATION_WINDOW)

/* The templates and style sheet (wardkeep-kiosk.gresource.xml). Referring to it links
 * the resource's object file out of the static library, which registers it. */
GResource *wk_kiosk_get_resource (void);

/**
 * wk_kiosk_load_style:
 *
 * Loads the kiosk's style sheet (assets/kiosk/wardkeep-kiosk.css, compiled into the
 * resource) for the default display, over libadwaita's dark style.
 */
void
wk_kiosk_load_style (void)
{
  static gboolean loaded;
  GtkCssProvider *provider;

  if (loaded)
    return;
  loaded = TRUE;
  g_assert (wk_kiosk_get_resource () != NULL);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/org/wardkeep/Kiosk/wardkeep-kiosk.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
  g_object_unref (provider);
}

/* ---- Pages --------------------------------------------------------------------------- */

static void update_actions (WkKioskWindow *self);

static void
show_page (WkKioskWindow *self, const char *page)
{
  gboolean census = g_str_equal (page, "census");

  gboolean   searchable = census && !wk_kiosk_is_locked (self->kiosk);
  GtkWidget *page_widget;
  GtkWidget *focus;

  gtk_stack_set_visible_child_name (self->stack, page);
  /* The search belongs to the census; elsewhere its room is empty. */
  gtk_widget_set_visible (self->search_entry, searchable);
  gtk_widget_set_visible (self->spacer, !searchable);
  update_actions (self);

  /* Keyboard users land on the page they went to, not on a widget now hidden. */
  page_widget = gtk_stack_get_visible_child (self->stack);
  focus = gtk_root_get_focus (GTK_ROOT (self));
  if (focus == NULL || !gtk_widget_get_mapped (focus)
      || !gtk_widget_is_ancestor (focus, page_widget))
    {
      if (census && !wk_census_view_focus_first (self->census_view))
        gtk_widget_grab_focus (wk_kiosk_is_locked (self->kiosk) ? self->unlock_button
                                                                : self->search_entry);
      else if (g_str_equal (page, "patient") || g_str_equal (page, "preview")
               || g_str_equal (page, "print") || g_str_equal (page, "admin"))
        gtk_widget_child_focus (page_widget, GTK_DIR_TAB_FORWARD);
    }
}

/**
 * wk_kiosk_window_get_page:
 * @self: the window
 *
 * Returns: (transfer none): the screen shown: "census", "patient", "preview", "print",
 *   "unlock" or "admin"
 */
const char *
wk_kiosk_window_get_page (WkKioskWindow *self)
{
  g_return_val_if_fail (WK_IS_KIOSK_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

static gboolean
shows_names (WkKioskWindow *self)
{
  return !wk_kiosk_is_locked (self->kiosk) || wk_kiosk_get_lock_shows_names (self->kiosk);
}

static void
update_toolbar (WkKioskWindow *self)
{
  WkKioskSnapshot *snapshot = wk_kiosk_get_snapshot (self->kiosk);
  g_autofree char *ward = NULL;
  g_autofree char *beds_text = NULL;
  g_autofree char *who = NULL;
  gboolean         locked = wk_kiosk_is_locked (self->kiosk);

  if (snapshot != NULL)
    {
      GPtrArray *census = wk_kiosk_snapshot_get_census (snapshot);
      guint      beds = 0, occupied = 0;

      for (guint i = 0; i < census->len; i++)
        {
          const WkCensusEntry *entry = census->pdata[i];

          beds += entry->bed_id != 0;
          occupied += entry->bed_id != 0 && entry->patient_id != 0;
        }
      ward = g_strdup (wk_kiosk_snapshot_get_ward_name (snapshot));
      beds_text = g_strdup_printf (_ ("%u of %u beds occupied"), occupied, beds);
    }
  else
    {
      ward = g_strdup_printf (
          _ ("Ward %s"), wk_config_get_string (wk_kiosk_get_config (self->kiosk), "ward", "id"));
      beds_text = g_strdup (_ ("no data yet"));
    }
  gtk_label_set_text (self->ward_label, ward);

  if (locked)
    who = g_strdup_printf (_ ("%s · Locked: Unlock to see patients and print"), beds_text);
  else
    who = g_strdup_printf (_ ("%s · Unlocked by %s"), beds_text, wk_kiosk_get_who (self->kiosk));
  gtk_label_set_text (self->who_label, who);

  gtk_widget_set_visible (self->unlock_button, locked);
  gtk_widget_set_visible (self->lock_button, !locked);
  gtk_widget_set_visible (self->print_button, !locked);
  gtk_widget_set_visible (self->admin_button,
                          !locked && wk_kiosk_has_pin (self->kiosk, WK_PIN_ADMIN));
}

static void
update_actions (WkKioskWindow *self)
{
  gboolean    locked = wk_kiosk_is_locked (self->kiosk);
  gboolean    data = wk_kiosk_get_snapshot (self->kiosk) != NULL;
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  gboolean    on_patient = g_strcmp0 (page, "patient") == 0 || g_strcmp0 (page, "preview") == 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.unlock", locked);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.lock", !locked);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.print-menu", !locked);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.reconcile", !locked);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.admin",
                                 !locked && wk_kiosk_has_pin (self->kiosk, WK_PIN_ADMIN));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.print-ward",
                                 !locked && data && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.print-census",
                                 !locked && data && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.print-chart",
                                 !locked && data && on_patient && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.preview",
                                 !locked && data && on_patient && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.retry", !locked);
}

static void
show_census (WkKioskWindow *self)
{
  show_page (self, "census");
}

/**
 * wk_kiosk_window_open_patient:
 * @self: the window
 * @patient_id: a patient on the census
 *
 * Shows the patient (after unlocking, when the kiosk is locked), and logs the view.
 */
void
wk_kiosk_window_open_patient (WkKioskWindow *self, gint64 patient_id)
{
  WkKioskSnapshot *snapshot = wk_kiosk_get_snapshot (self->kiosk);

  g_return_if_fail (WK_IS_KIOSK_WINDOW (self));

  if (wk_kiosk_is_locked (self->kiosk))
    {
      self->pending_patient = patient_id;
      show_page (self, "unlock");
      wk_unlock_view_reset (self->unlock_view);
      return;
    }
  if (snapshot == NULL
      || !wk_patient_view_show (self->patient_view, snapshot, patient_id,
                                wk_kiosk_get_time_zone (self->kiosk)))
    return;
  wk_kiosk_note_view (self->kiosk, patient_id);
  show_page (self, "patient");
}

static void
patient_activated_cb (WkCensusView *view, gint64 patient_id, WkKioskWindow *self)
{
  wk_kiosk_window_open_patient (self, patient_id);
}

static void
unlocked_cb (WkUnlockView *view, WkKioskWindow *self)
{
  gint64 patient = self->pending_patient;

  self->pending_patient = 0;
  if (patient != 0)
    wk_kiosk_window_open_patient (self, patient);
  else
    show_census (self);
}

/* ---- Following the kiosk ------------------------------------------------------------- */

static gboolean
exit_after_paint_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  /* The tick runs before the frame it belongs to is painted: wait for one more. */
  if (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "wk-ticks")) < 1)
    {
      g_object_set_data (G_OBJECT (self), "wk-ticks", GINT_TO_POINTER (1));
      return G_SOURCE_CONTINUE;
    }
  printf ("census drawn %.1f ms after the window was made\n",
          (g_get_monotonic_time () - self->started_us) / 1000.0);
  fflush (stdout);
  self->allow_close = TRUE;
  g_application_quit (g_application_get_default ());
  return G_SOURCE_REMOVE;
}

static void
snapshot_changed_cb (WkKioskWindow *self)
{
  WkKioskSnapshot *snapshot = wk_kiosk_get_snapshot (self->kiosk);
  const char      *page = gtk_stack_get_visible_child_name (self->stack);

  update_toolbar (self);
  update_actions (self);
  if (snapshot == NULL)
    {
      const char *problem = wk_kiosk_get_snapshot_problem (self->kiosk);

      wk_census_view_set_message (self->census_view,
                                  problem != NULL ? problem : _ ("Loading the ward's data…"));
      return;
    }
  wk_census_view_set_snapshot (self->census_view, snapshot, shows_names (self));
  /* A patient on screen follows the new data, or is gone from the ward. */
  if (g_strcmp0 (page, "patient") == 0)
    {
      gint64 patient = wk_patient_view_get_patient_id (self->patient_view);

      if (!wk_patient_view_show (self->patient_view, snapshot, patient,
                                 wk_kiosk_get_time_zone (self->kiosk)))
        show_census (self);
    }
  if (self->exit_when_drawn)
    {
      self->exit_when_drawn = FALSE;
      gtk_widget_add_tick_callback (GTK_WIDGET (self), exit_after_paint_cb, NULL, NULL);
    }
}

static void
locked_changed_cb (WkKioskWindow *self)
{
  gboolean locked = wk_kiosk_is_locked (self->kiosk);

  if (locked)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      wk_preview_view_clear (self->preview_view, "");
      self->pending_patient = 0;
      show_census (self);
    }
  if (wk_kiosk_get_snapshot (self->kiosk) != NULL)
    wk_census_view_set_snapshot (self->census_view, wk_kiosk_get_snapshot (self->kiosk),
                                 shows_names (self));
  update_toolbar (self);
  show_page (self, gtk_stack_get_visible_child_name (self->stack));
}

static void
search_changed_cb (GtkSearchEntry *entry, WkKioskWindow *self)
{
  if (wk_kiosk_is_locked (self->kiosk))
    return;
  wk_census_view_set_query (self->census_view, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
search_activate_cb (GtkSearchEntry *entry, WkKioskWindow *self)
{
  wk_census_view_focus_first (self->census_view);
}

/* Typing a letter or digit on the census (unlocked) starts a search; Enter, arrows and
 * the like stay with the tiles. (GtkSearchEntry's key capture would take Enter too.) */
static gboolean
census_key_cb (GtkEventControllerKey *controller,
               guint                  keyval,
               guint                  keycode,
               GdkModifierType        state,
               WkKioskWindow         *self)
{
  gunichar     c = gdk_keyval_to_unicode (keyval);
  char         text[8] = { 0 };
  int          position;
  GtkEditable *editable = GTK_EDITABLE (self->search_entry);

  if (wk_kiosk_is_locked (self->kiosk) || c == 0 || !g_unichar_isgraph (c)
      || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    return GDK_EVENT_PROPAGATE;
  g_unichar_to_utf8 (c, text);
  gtk_widget_grab_focus (self->search_entry);
  position = g_utf8_strlen (gtk_editable_get_text (editable), -1);
  gtk_editable_insert_text (editable, text, -1, &position);
  gtk_editable_set_position (editable, -1);
  return GDK_EVENT_STOP;
}

/* ---- Inactivity --------------------------------------------------------------------- */

static gboolean
idle_lock_cb (gpointer user_data)
{
  WkKioskWindow *self = user_data;

  self->idle_id = 0;
  wk_kiosk_lock (self->kiosk, "no touch or key press for the lock-after time");
  return G_SOURCE_REMOVE;
}

static void
restart_idle_timer (WkKioskWindow *self)
{
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (!wk_kiosk_is_locked (self->kiosk))
    self->idle_id = g_timeout_add (wk_kiosk_get_lock_after_ms (self->kiosk), idle_lock_cb, self);
}

static gboolean
input_event_cb (GtkEventControllerLegacy *controller, GdkEvent *event, WkKioskWindow *self)
{
  switch (gdk_event_get_event_type (event))
    {
    case GDK_KEY_PRESS:
    case GDK_BUTTON_PRESS:
    case GDK_TOUCH_BEGIN:
    case GDK_SCROLL:
      restart_idle_timer (self);
      break;
    default:
      break;
    }
  return GDK_EVENT_PROPAGATE;
}

/* ---- Actions ------------------------------------------------------------------------- */

static void
census_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  show_census (WK_KIOSK_WINDOW (widget));
}

static void
back_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);
  const char    *page = gtk_stack_get_visible_child_name (self->stack);

  if (g_strcmp0 (page, "preview") == 0)
    show_page (self, "patient");
  else if (g_strcmp0 (page, "census") == 0)
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  else
    show_census (self);
}

static void
lock_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  wk_kiosk_lock (WK_KIOSK_WINDOW (widget)->kiosk, "the Lock button");
}

static void
unlock_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  self->pending_patient = 0;
  show_page (self, "unlock");
  wk_unlock_view_reset (self->unlock_view);
}

static void
print_menu_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  wk_print_view_set_message (self->print_view, NULL, FALSE);
  show_page (self, "print");
}

static void
reconcile_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  show_page (self, "reconcile");
  wk_reconcile_view_refresh (self->reconcile_view);
}

static void
admin_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  show_page (self, "admin");
  wk_admin_view_reset (self->admin_view);
}

static void
set_busy (WkKioskWindow *self, gboolean busy)
{
  self->busy = busy;
  wk_patient_view_set_busy (self->patient_view, busy);
  wk_print_view_set_busy (self->print_view, busy);
  update_actions (self);
}

static void
preview_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKioskWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  WkChartDocument *document = wk_kiosk_preview_finish (WK_KIOSK (source), result, &error);

  set_busy (self, FALSE);
  if (document == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          wk_patient_view_set_message (self->patient_view, error->message, TRUE);
          show_page (self, "patient");
        }
      return;
    }
  wk_preview_view_show_document (self->preview_view, document);
}

static void
preview_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  set_busy (self, TRUE);
  wk_preview_view_clear (self->preview_view, _ ("Preparing the preview…"));
  show_page (self, "preview");
  wk_kiosk_preview_async (self->kiosk, wk_patient_view_get_patient_id (self->patient_view),
                          self->cancellable, preview_done_cb, g_object_ref (self));
}

static void
print_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKioskWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = wk_kiosk_print_finish (WK_KIOSK (source), result, &error);
  const char      *text = answer != NULL ? answer : error->message;
  const char      *page = gtk_stack_get_visible_child_name (self->stack);

  set_busy (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_strcmp0 (page, "print") == 0)
    wk_print_view_set_message (self->print_view, text, answer == NULL);
  else
    {
      wk_patient_view_set_message (self->patient_view, text, answer == NULL);
      if (g_strcmp0 (page, "preview") == 0)
        show_page (self, "patient");
    }
}

static void
start_print (WkKioskWindow *self, WkPrintWhat what, gint64 patient_id)
{
  const char *waiting = _ ("Sending to the printer…");

  set_busy (self, TRUE);
  if (what == WK_PRINT_WHAT_CHART)
    wk_patient_view_set_message (self->patient_view, waiting, FALSE);
  else
    wk_print_view_set_message (self->print_view, waiting, FALSE);
  wk_kiosk_print_async (self->kiosk, what, patient_id, self->cancellable, print_done_cb,
                        g_object_ref (self));
}

static void
print_chart_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  start_print (self, WK_PRINT_WHAT_CHART, wk_patient_view_get_patient_id (self->patient_view));
}

static void
print_ward_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  start_print (WK_KIOSK_WINDOW (widget), WK_PRINT_WHAT_WARD, 0);
}

static void
print_census_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  start_print (WK_KIOSK_WINDOW (widget), WK_PRINT_WHAT_CENSUS, 0);
}

static void
retry_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKioskWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = wk_kiosk_retry_finish (WK_KIOSK (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  wk_print_view_set_message (self->print_view, answer != NULL ? answer : error->message,
                             answer == NULL);
}

static void
retry_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  wk_print_view_set_message (self->print_view, _ ("Sending to the printer again…"), FALSE);
  wk_kiosk_retry_async (self->kiosk, g_variant_get_string (parameter, NULL), self->cancellable,
                        retry_done_cb, g_object_ref (self));
}

static void
search_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);

  if (wk_kiosk_is_locked (self->kiosk))
    return;
  show_census (self);
  gtk_widget_grab_focus (self->search_entry);
}

/* ---- The window ---------------------------------------------------------------------- */

static gboolean
close_request_cb (GtkWindow *window, gpointer user_data)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (window);

  /* A kiosk has no close: only a signal to the process (systemd, Ctrl-C) ends it. */
  return self->kiosk_mode && !self->allow_close;
}

/**
 * wk_kiosk_window_allow_close:
 * @self: the window
 *
 * Lets the window close: the program is ending.
 */
void
wk_kiosk_window_allow_close (WkKioskWindow *self)
{
  g_return_if_fail (WK_IS_KIOSK_WINDOW (self));
  self->allow_close = TRUE;
}

/**
 * wk_kiosk_window_set_exit_when_drawn:
 * @self: the window
 * @exit_when_drawn: quit the application once the census has been drawn
 *
 * For the start-up benchmark: prints "census drawn N ms after start" and quits.
 */
void
wk_kiosk_window_set_exit_when_drawn (WkKioskWindow *self, gboolean exit_when_drawn)
{
  g_return_if_fail (WK_IS_KIOSK_WINDOW (self));
  self->exit_when_drawn = exit_when_drawn;
}

/**
 * wk_kiosk_window_get_kiosk:
 * @self: the window
 *
 * Returns: (transfer none): the kiosk it shows
 */
WkKiosk *
wk_kiosk_window_get_kiosk (WkKioskWindow *self)
{
  g_return_val_if_fail (WK_IS_KIOSK_WINDOW (self), NULL);
  return self->kiosk;
}

static gboolean
apply_compact_cb (gpointer user_data)
{
  WkKioskWindow *self = user_data;

  self->compact_id = 0;
  if (self->compact)
    gtk_widget_add_css_class (GTK_WIDGET (self), "compact");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "compact");
  return G_SOURCE_REMOVE;
}

static void
wk_kiosk_window_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (widget);
  int            compact = height < COMPACT_HEIGHT;

  GTK_WIDGET_CLASS (wk_kiosk_window_parent_class)->size_allocate (widget, width, height, baseline);
  /* Changing style while allocating would allocate again from inside: do it after. */
  if (compact != self->compact && self->compact_id == 0)
    {
      self->compact = compact;
      self->compact_id = g_idle_add (apply_compact_cb, self);
    }
}

/**
 * wk_kiosk_window_new:
 * @application: the application
 * @kiosk: the kiosk to show
 * @kiosk_mode: fullscreen and impossible to close (off for development)
 *
 * Returns: (transfer full): the window
 */
WkKioskWindow *
wk_kiosk_window_new (GtkApplication *application, WkKiosk *kiosk, gboolean kiosk_mode)
{
  WkKioskWindow *self = g_object_new (WK_TYPE_KIOSK_WINDOW, "application", application, NULL);

  self->kiosk = g_object_ref (kiosk);
  self->kiosk_mode = kiosk_mode;
  wk_status_banner_set_kiosk (self->banner, kiosk);
  wk_print_view_set_kiosk (self->print_view, kiosk);
  wk_unlock_view_set_kiosk (self->unlock_view, kiosk);
  wk_admin_view_set_kiosk (self->admin_view, kiosk);
  wk_reconcile_view_set_kiosk (self->reconcile_view, kiosk);
  g_signal_connect_object (kiosk, "notify::snapshot", G_CALLBACK (snapshot_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "notify::locked", G_CALLBACK (locked_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "notify::who", G_CALLBACK (update_toolbar), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (kiosk, "notify::locked", G_CALLBACK (restart_idle_timer), self,
                           G_CONNECT_SWAPPED);
  if (kiosk_mode)
    {
      GdkDisplay *display = gdk_display_get_default ();
      GListModel *monitors = display != NULL ? gdk_display_get_monitors (display) : NULL;

      /* Without a window manager (cage aside) fullscreen may mean nothing: cover the
       * first monitor anyway. */
      if (monitors != NULL && g_list_model_get_n_items (monitors) > 0)
        {
          g_autoptr (GdkMonitor) monitor = g_list_model_get_item (monitors, 0);
          GdkRectangle geometry;

          gdk_monitor_get_geometry (monitor, &geometry);
          gtk_window_set_default_size (GTK_WINDOW (self), geometry.width, geometry.height);
          /* The first frame already in the right style (allocation follows later). */
          self->compact = geometry.height < COMPACT_HEIGHT;
          apply_compact_cb (self);
        }
      gtk_window_fullscreen (GTK_WINDOW (self));
    }
  snapshot_changed_cb (self);
  locked_changed_cb (self);
  return self;
}

static void
wk_kiosk_window_dispose (GObject *object)
{
  WkKioskWindow *self = WK_KIOSK_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_clear_handle_id (&self->compact_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_KIOSK_WINDOW);
  g_clear_object (&self->kiosk);
  G_OBJECT_CLASS (wk_kiosk_window_parent_class)->dispose (object);
}

static void
wk_kiosk_window_class_init (WkKioskWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_kiosk_window_dispose;
  widget_class->size_allocate = wk_kiosk_window_size_allocate;
  g_assert (wk_kiosk_get_resource () != NULL);

  g_type_ensure (WK_TYPE_STATUS_BANNER);
  g_type_ensure (WK_TYPE_CENSUS_VIEW);
  g_type_ensure (WK_TYPE_PATIENT_VIEW);
  g_type_ensure (WK_TYPE_PREVIEW_VIEW);
  g_type_ensure (WK_TYPE_PRINT_VIEW);
  g_type_ensure (WK_TYPE_UNLOCK_VIEW);
  g_type_ensure (WK_TYPE_ADMIN_VIEW);
  g_type_ensure (WK_TYPE_RECONCILE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-kiosk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, toolbar);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, ward_label);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, who_label);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, spacer);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, print_button);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, admin_button);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, lock_button);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, census_view);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, patient_view);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, preview_view);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, print_view);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, unlock_view);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, admin_view);
  gtk_widget_class_bind_template_child (widget_class, WkKioskWindow, reconcile_view);

  gtk_widget_class_install_action (widget_class, "kiosk.census", NULL, census_action);
  gtk_widget_class_install_action (widget_class, "kiosk.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "kiosk.lock", NULL, lock_action);
  gtk_widget_class_install_action (widget_class, "kiosk.unlock", NULL, unlock_action);
  gtk_widget_class_install_action (widget_class, "kiosk.print-menu", NULL, print_menu_action);
  gtk_widget_class_install_action (widget_class, "kiosk.admin", NULL, admin_action);
  gtk_widget_class_install_action (widget_class, "kiosk.reconcile", NULL, reconcile_action);
  gtk_widget_class_install_action (widget_class, "kiosk.preview", NULL, preview_action);
  gtk_widget_class_install_action (widget_class, "kiosk.print-chart", NULL, print_chart_action);
  gtk_widget_class_install_action (widget_class, "kiosk.print-ward", NULL, print_ward_action);
  gtk_widget_class_install_action (widget_class, "kiosk.print-census", NULL, print_census_action);
  gtk_widget_class_install_action (widget_class, "kiosk.retry", "s", retry_action);
  gtk_widget_class_install_action (widget_class, "kiosk.search", NULL, search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "kiosk.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "kiosk.search",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK,
                                       "kiosk.print-chart", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "kiosk.lock",
                                       NULL);
}

static void
wk_kiosk_window_init (WkKioskWindow *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->started_us = g_get_monotonic_time ();
  self->compact = -1;
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  g_signal_connect (self->census_view, "patient-activated", G_CALLBACK (patient_activated_cb),
                    self);
  g_signal_connect (self->unlock_view, "unlocked", G_CALLBACK (unlocked_cb), self);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (census_key_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->census_view), controller);

  /* Every touch, click, scroll or key press anywhere counts as activity. */
  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "event", G_CALLBACK (input_event_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}
