/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-bed-tile.h — one bed on the census: who is in it, allergies, medicines. */

#pragma once

#include "wk-kiosk-snapshot.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_BED_TILE (wk_bed_tile_get_type ())
G_DECLARE_FINAL_TYPE (WkBedTile, wk_bed_tile, WK, BED_TILE, GtkFlowBoxChild)

WkBedTile *wk_bed_tile_new (const WkCensusEntry *entry, gboolean show_names);
void       wk_bed_tile_update (WkBedTile *self, const WkCensusEntry *entry, gboolean show_names);
gint64     wk_bed_tile_get_patient_id (WkBedTile *self);
gboolean   wk_bed_tile_matches (WkBedTile *self, const char *query);
char      *wk_bed_tile_dup_widget_name (const WkCensusEntry *entry);

G_END_DECLS
