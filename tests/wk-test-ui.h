/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-ui.h — driving GTK widgets by name, waiting on the main loop, screenshots. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The PINs the kiosk tests configure (wk_test_ui_kiosk_config()). */
#define WK_TEST_WARD_PIN "2468"
#define WK_TEST_ADMIN_PIN "975310"

typedef gboolean (*WkTestCondition) (gpointer data);

char       *wk_test_ui_kiosk_config (const char *state_dir, const char *extra);
GPid        wk_test_ui_start_xvfb (int width, int height);
void        wk_test_ui_stop_xvfb (GPid pid);
void        wk_test_ui_init (int *argc, char ***argv);
void        wk_test_ui_finish (void);
int         wk_test_ui_get_width (void);
int         wk_test_ui_get_height (void);
GtkWidget  *wk_test_ui_find (GtkWidget *root, const char *name);
GtkWidget  *wk_test_ui_get (GtkWidget *root, const char *name);
gboolean    wk_test_ui_is_shown (GtkWidget *widget);
void        wk_test_ui_click (GtkWidget *root, const char *name);
void        wk_test_ui_type (GtkWidget *root, const char *name, const char *text);
const char *wk_test_ui_label (GtkWidget *root, const char *name);
gboolean    wk_test_ui_wait (WkTestCondition condition, gpointer data, double seconds);
void        wk_test_ui_spin (double seconds);
char       *wk_test_ui_screenshot (GtkWidget *window, const char *what);

G_END_DECLS
