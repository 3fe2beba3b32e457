/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-census-view.h — the ward census: a tile per bed, bay by bay, with search. */

#pragma once

#include "wk-bed-tile.h"
#include "wk-kiosk-snapshot.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_CENSUS_VIEW (wk_census_view_get_type ())
G_DECLARE_FINAL_TYPE (WkCensusView, wk_census_view, WK, CENSUS_VIEW, GtkWidget)

void
wk_census_view_set_snapshot (WkCensusView *self, WkKioskSnapshot *snapshot, gboolean show_names);
void       wk_census_view_set_message (WkCensusView *self, const char *message);
void       wk_census_view_set_query (WkCensusView *self, const char *query);
guint      wk_census_view_count_shown (WkCensusView *self);
WkBedTile *wk_census_view_find_patient (WkCensusView *self, gint64 patient_id);
gboolean   wk_census_view_focus_first (WkCensusView *self);

G_END_DECLS
