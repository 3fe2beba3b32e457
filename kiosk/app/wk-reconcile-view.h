/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-view.h — the Reconcile screen: scan returned pages, key in what was given. */

#pragma once

#include "wk-kiosk.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_RECONCILE_VIEW (wk_reconcile_view_get_type ())
G_DECLARE_FINAL_TYPE (WkReconcileView, wk_reconcile_view, WK, RECONCILE_VIEW, GtkWidget)

void        wk_reconcile_view_set_kiosk (WkReconcileView *self, WkKiosk *kiosk);
void        wk_reconcile_view_refresh (WkReconcileView *self);
void        wk_reconcile_view_open_chart (WkReconcileView *self, const char *chart_id);
void        wk_reconcile_view_scan (WkReconcileView *self, const char *code);
const char *wk_reconcile_view_get_chart (WkReconcileView *self);
void        wk_reconcile_view_clear (WkReconcileView *self);

G_END_DECLS
