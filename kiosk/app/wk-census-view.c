/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-census-view.c — the ward census: a tile per bed, bay by bay, with search.
 *
 * Beds are in ward order (bay, then bed, in natural order), one row per bay as the ward
 * is laid out, with patients on the ward without a bed last. A new snapshot updates the
 * tiles in place when the beds are the same ones, so that focus and scrolling stay
 * where the nurse left them; only a change of beds rebuilds the grid. Touching (or
 * Enter on) an occupied tile emits ::patient-activated. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-census-view.h"

#include "wk-kiosk-format.h"

#include <glib/gi18n.h>

struct _WkCensusView
{
  GtkWidget parent_instance;

  char      *layout_key; /* the beds shown, to tell an update from a new layout */
  GPtrArray *tiles;      /* WkBedTile, in ward order */
  GPtrArray *bays;       /* the row (GtkBox) of each bay */
  char      *query;

  GtkStack  *stack;
  GtkWidget *scroller;
  GtkBox    *bays_box;
  GtkLabel  *message_label;
};

enum
{
  SIGNAL_PATIENT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WkCensusView, wk_census_view, GTK_TYPE_WIDGET)

static char *
layout_key_of (GPtrArray *census)
{
  g_autoptr (GString) key = g_string_new (NULL);

  for (guint i = 0; i < census->len; i++)
    {
      const WkCensusEntry *entry = census->pdata[i];

      if (entry->bed_id != 0)
        g_string_append_printf (key, "b%" G_GINT64_FORMAT ";", entry->bed_id);
      else
        g_string_append_printf (key, "p%" G_GINT64_FORMAT ";", entry->patient_id);
    }
  return g_string_free (g_steal_pointer (&key), FALSE);
}

static gboolean
filter_cb (GtkFlowBoxChild *child, gpointer user_data)
{
  WkCensusView *self = user_data;

  return wk_bed_tile_matches (WK_BED_TILE (child), self->query);
}

static void
child_activated_cb (GtkFlowBox *box, GtkFlowBoxChild *child, WkCensusView *self)
{
  gint64 patient_id = wk_bed_tile_get_patient_id (WK_BED_TILE (child));

  if (patient_id != 0)
    g_signal_emit (self, signals[SIGNAL_PATIENT_ACTIVATED], 0, patient_id);
}

static GtkFlowBox *
add_bay (WkCensusView *self, const char *title)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *box = gtk_flow_box_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0.5);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 6);
  gtk_widget_add_css_class (label, "bay-label");
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (box), TRUE);
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (box), GTK_SELECTION_NONE);
  gtk_flow_box_set_activate_on_single_click (GTK_FLOW_BOX (box), TRUE);
  /* A bay on one row as it is on the ward (bays are of six beds, or close). */
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (box), 6);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (box), 8);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (box), 0);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (box), 0);
  gtk_widget_set_hexpand (box, TRUE);
  gtk_flow_box_set_filter_func (GTK_FLOW_BOX (box), filter_cb, self, NULL);
  g_signal_connect (box, "child-activated", G_CALLBACK (child_activated_cb), self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);

  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), box);
  gtk_box_append (self->bays_box, row);
  g_ptr_array_add (self->bays, row);
  return GTK_FLOW_BOX (box);
}

static void
rebuild (WkCensusView *self, GPtrArray *census, gboolean show_names)
{
  GtkWidget  *child;
  GtkFlowBox *box = NULL;
  const char *bay = NULL;
  gboolean    in_unbedded = FALSE;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->bays_box))) != NULL)
    gtk_box_remove (self->bays_box, child);
  g_ptr_array_set_size (self->tiles, 0);
  g_ptr_array_set_size (self->bays, 0);

  for (guint i = 0; i < census->len; i++)
    {
      const WkCensusEntry *entry = census->pdata[i];
      WkBedTile           *tile;

      if (entry->bed == NULL && !in_unbedded)
        {
          box = add_bay (self, _ ("No bed"));
          in_unbedded = TRUE;
        }
      else if (entry->bed != NULL && (box == NULL || g_strcmp0 (bay, entry->bay) != 0))
        {
          g_autofree char *title = wk_kiosk_format_bay (entry->bay);

          box = add_bay (self, title);
          bay = entry->bay;
        }
      tile = wk_bed_tile_new (entry, show_names);
      gtk_flow_box_append (box, GTK_WIDGET (tile));
      g_ptr_array_add (self->tiles, tile);
    }
}

/* Hides a bay whose beds are all filtered out by the search. */
static void
update_bays (WkCensusView *self)
{
  for (guint i = 0; i < self->bays->len; i++)
    {
      GtkWidget *row = self->bays->pdata[i];
      GtkWidget *box = gtk_widget_get_last_child (row);
      gboolean   any = FALSE;

      for (GtkWidget *c = gtk_widget_get_first_child (box); c != NULL && !any;
           c = gtk_widget_get_next_sibling (c))
        if (WK_IS_BED_TILE (c))
          any = wk_bed_tile_matches (WK_BED_TILE (c), self->query);
      gtk_widget_set_visible (row, any);
    }
}

/**
 * wk_census_view_set_snapshot:
 * @self: the census
 * @snapshot: the snapshot to show
 * @show_names: whether tiles show names and NHS numbers
 *
 * Shows @snapshot's census, in place when the beds are the same.
 */
void
wk_census_view_set_snapshot (WkCensusView *self, WkKioskSnapshot *snapshot, gboolean show_names)
{
  GPtrArray       *census;
  g_autofree char *key = NULL;

  g_return_if_fail (WK_IS_CENSUS_VIEW (self));
  g_return_if_fail (snapshot != NULL);

  census = wk_kiosk_snapshot_get_census (snapshot);
  key = layout_key_of (census);
  if (g_strcmp0 (key, self->layout_key) != 0)
    {
      rebuild (self, census, show_names);
      g_free (self->layout_key);
      self->layout_key = g_steal_pointer (&key);
    }
  else
    for (guint i = 0; i < census->len; i++)
      wk_bed_tile_update (self->tiles->pdata[i], census->pdata[i], show_names);

  for (guint i = 0; i < self->bays->len; i++)
    gtk_flow_box_invalidate_filter (
        GTK_FLOW_BOX (gtk_widget_get_last_child (self->bays->pdata[i])));
  update_bays (self);
  if (census->len == 0)
    wk_census_view_set_message (self, _ ("The ward has no beds in this snapshot."));
  else
    gtk_stack_set_visible_child_name (self->stack, "tiles");
}

/**
 * wk_census_view_set_message:
 * @self: the census
 * @message: why there is no census to show
 */
void
wk_census_view_set_message (WkCensusView *self, const char *message)
{
  g_return_if_fail (WK_IS_CENSUS_VIEW (self));

  gtk_label_set_text (self->message_label, message);
  gtk_stack_set_visible_child_name (self->stack, "message");
}

/**
 * wk_census_view_set_query:
 * @self: the census
 * @query: (nullable): a search: part of a name, an NHS or hospital number, a bed
 *
 * Shows only the tiles that match.
 */
void
wk_census_view_set_query (WkCensusView *self, const char *query)
{
  g_return_if_fail (WK_IS_CENSUS_VIEW (self));

  g_free (self->query);
  self->query = g_strdup (query);
  for (guint i = 0; i < self->bays->len; i++)
    gtk_flow_box_invalidate_filter (
        GTK_FLOW_BOX (gtk_widget_get_last_child (self->bays->pdata[i])));
  update_bays (self);
}

/**
 * wk_census_view_count_shown:
 * @self: the census
 *
 * Returns: how many tiles the search leaves shown
 */
guint
wk_census_view_count_shown (WkCensusView *self)
{
  guint n = 0;

  g_return_val_if_fail (WK_IS_CENSUS_VIEW (self), 0);

  for (guint i = 0; i < self->tiles->len; i++)
    if (wk_bed_tile_matches (self->tiles->pdata[i], self->query))
      n++;
  return n;
}

/**
 * wk_census_view_find_patient:
 * @self: the census
 * @patient_id: a patient
 *
 * Returns: (transfer none) (nullable): the patient's tile
 */
WkBedTile *
wk_census_view_find_patient (WkCensusView *self, gint64 patient_id)
{
  g_return_val_if_fail (WK_IS_CENSUS_VIEW (self), NULL);

  for (guint i = 0; i < self->tiles->len; i++)
    if (wk_bed_tile_get_patient_id (self->tiles->pdata[i]) == patient_id)
      return self->tiles->pdata[i];
  return NULL;
}

/**
 * wk_census_view_focus_first:
 * @self: the census
 *
 * Moves the keyboard focus to the first occupied tile the search shows.
 *
 * Returns: whether a tile took the focus
 */
gboolean
wk_census_view_focus_first (WkCensusView *self)
{
  g_return_val_if_fail (WK_IS_CENSUS_VIEW (self), FALSE);

  for (guint i = 0; i < self->tiles->len; i++)
    {
      WkBedTile *tile = self->tiles->pdata[i];

      if (wk_bed_tile_get_patient_id (tile) != 0 && wk_bed_tile_matches (tile, self->query))
        return gtk_widget_grab_focus (GTK_WIDGET (tile));
    }
  return FALSE;
}

static void
wk_census_view_dispose (GObject *object)
{
  WkCensusView *self = WK_CENSUS_VIEW (object);

  g_clear_pointer (&self->tiles, g_ptr_array_unref);
  g_clear_pointer (&self->bays, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), WK_TYPE_CENSUS_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (wk_census_view_parent_class)->dispose (object);
}

static void
wk_census_view_finalize (GObject *object)
{
  WkCensusView *self = WK_CENSUS_VIEW (object);

  g_free (self->layout_key);
  g_free (self->query);
  G_OBJECT_CLASS (wk_census_view_parent_class)->finalize (object);
}

static void
wk_census_view_class_init (WkCensusViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_census_view_dispose;
  object_class->finalize = wk_census_view_finalize;

  /**
   * WkCensusView::patient-activated:
   * @patient_id: the patient's model id
   *
   * Someone touched (or pressed Enter on) an occupied bed.
   */
  signals[SIGNAL_PATIENT_ACTIVATED]
      = g_signal_new ("patient-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/wardkeep/Kiosk/wk-census-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WkCensusView, stack);
  gtk_widget_class_bind_template_child (widget_class, WkCensusView, scroller);
  gtk_widget_class_bind_template_child (widget_class, WkCensusView, bays_box);
  gtk_widget_class_bind_template_child (widget_class, WkCensusView, message_label);
}

static void
wk_census_view_init (WkCensusView *self)
{
  self->tiles = g_ptr_array_new ();
  self->bays = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  wk_census_view_set_message (self, _ ("Loading the ward's data…"));
}
