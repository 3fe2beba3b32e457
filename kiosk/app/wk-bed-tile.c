/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-bed-tile.c — one bed on the census: who is in it, allergies, medicines.
 *
 * A tile reads top to bottom as a nurse scans a bay: which bed, the allergy marker
 * (a word on a colour: ALLERGIES, NKDA, NOT RECORDED), the name, NHS number and age, and
 * how many medicines are active. Empty beds are dashed and say so; closed beds are
 * hatched and say so. On the locked screen names and NHS numbers can be left off. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-bed-tile.h"

#include "wk-kiosk-format.h"
#include "wk-nhs-number.h"

#include <glib/gi18n.h>
#include <string.h>

struct _WkBedTile
{
  GtkFlowBoxChild parent_instance;

  gint64 patient_id;
  char  *search_text; /* casefolded name, NHS and hospital numbers, bed; NULL when hidden */

  GtkWidget *tile;
  GtkLabel  *bed_label;
  GtkLabel  *allergy_label;
  GtkLabel  *age_label;
  GtkLabel  *name_label;
  GtkLabel  *facts_label;
  GtkLabel  *orders_label;
};

G_DEFINE_FINAL_TYPE (WkBedTile, wk_bed_tile, GTK_TYPE_FLOW_BOX_CHILD)

static void
set_class (GtkWidget *widget, const char *name, gboolean on)
{
  if (on)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

/**
 * wk_bed_tile_dup_widget_name:
 * @entry: a census line
 *
 * Returns: (transfer full): the tile's widget name, which tests find it by:
 *   "bed-tile-BAY1-3", or "patient-tile-12" for a patient without a bed
 */
char *
wk_bed_tile_dup_widget_name (const WkCensusEntry *entry)
{
  char *name;

  if (entry->bed == NULL)
    return g_strdup_printf ("patient-tile-%" G_GINT64_FORMAT, entry->patient_id);
  name = g_strdup_printf ("bed-tile-%s-%s", entry->bay != NULL ? entry->bay : "", entry->bed);
  g_strcanon (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", '_');
  return name;
}

static void
set_allergy (WkBedTile *self, const WkCensusEntry *entry)
{
  GtkWidget  *chip = GTK_WIDGET (self->allergy_label);
  const char *text = NULL;

  set_class (chip, "recorded", FALSE);
  set_class (chip, "none-known", FALSE);
  set_class (chip, "not-recorded", FALSE);
  if (entry->patient_id != 0)
    switch (entry->allergy_status)
      {
      case WK_ALLERGY_STATUS_RECORDED:
        text = _ ("ALLERGIES");
        set_class (chip, "recorded", TRUE);
        break;
      case WK_ALLERGY_STATUS_NONE_KNOWN:
        text = _ ("NKDA");
        set_class (chip, "none-known", TRUE);
        break;
      case WK_ALLERGY_STATUS_NOT_RECORDED:
        text = _ ("ALLERGIES ?");
        set_class (chip, "not-recorded", TRUE);
        break;
      }
  gtk_label_set_text (self->allergy_label, text != NULL ? text : "");
  gtk_widget_set_visible (chip, text != NULL);
}

/**
 * wk_bed_tile_update:
 * @self: a tile
 * @entry: the census line it shows now
 * @show_names: whether to show the name and NHS number (not on a locked screen unless
 *   configured)
 *
 * Shows @entry in place, so that a new snapshot keeps focus and scrolling where they are.
 */
void
wk_bed_tile_update (WkBedTile *self, const WkCensusEntry *entry, gboolean show_names)
{
  g_autofree char *bed = NULL;
  g_autofree char *name = NULL;
  g_autofree char *facts = NULL;
  g_autofree char *age = NULL;
  g_autofree char *orders = NULL;
  g_autofree char *accessible = NULL;
  g_autofree char *nhs = NULL;
  const char      *allergy_words = "";
  gboolean         occupied = entry->patient_id != 0;

  g_return_if_fail (WK_IS_BED_TILE (self));

  self->patient_id = entry->patient_id;
  bed = entry->bed != NULL ? g_strdup_printf (_ ("Bed %s"), entry->bed) : g_strdup (_ ("No bed"));
  gtk_label_set_text (self->bed_label, bed);
  set_allergy (self, entry);
  set_class (self->tile, "empty", !occupied && !entry->closed);
  set_class (self->tile, "closed", entry->closed);
  set_class (self->tile, "occupied", occupied);
  gtk_widget_set_sensitive (GTK_WIDGET (self), occupied);

  if (occupied)
    {
      nhs = entry->nhs_number != NULL ? wk_nhs_number_format (entry->nhs_number)
                                      : g_strdup (entry->hospital_number);
      name = show_names ? wk_census_entry_dup_name (entry) : g_strdup (_ ("Occupied"));
      if (show_names)
        facts = g_strdup (nhs != NULL ? nhs : _ ("no number"));
      else
        facts = g_strdup ("");
      age = show_names && entry->age >= 0 ? g_strdup_printf (_ ("%d y"), entry->age)
                                          : g_strdup ("");
      /* TRANSLATORS: active medicine orders on a census tile; keep it short */
      orders = g_strdup_printf (g_dngettext (NULL, "%u med", "%u meds", entry->n_active_orders),
                                entry->n_active_orders);
      allergy_words = entry->allergy_status == WK_ALLERGY_STATUS_RECORDED ? _ ("allergies recorded")
                      : entry->allergy_status == WK_ALLERGY_STATUS_NONE_KNOWN
                          ? _ ("no known drug allergies")
                          : _ ("allergies not recorded");
    }
  else
    {
      name = g_strdup (entry->closed ? _ ("CLOSED") : _ ("Empty"));
      facts = g_strdup ("");
      age = g_strdup ("");
      orders = g_strdup ("");
    }
  gtk_label_set_text (self->name_label, name);
  set_class (GTK_WIDGET (self->name_label), "state-word", !occupied);
  gtk_label_set_text (self->age_label, age);
  gtk_label_set_text (self->facts_label, facts);
  gtk_widget_set_visible (GTK_WIDGET (self->facts_label), *facts != '\0');
  gtk_label_set_text (self->orders_label, orders);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->orders_label)), occupied);

  g_clear_pointer (&self->search_text, g_free);
  if (occupied && show_names)
    {
      g_autofree char *joined
          = g_strjoin (" ", name, entry->nhs_number ? entry->nhs_number : "",
                       entry->hospital_number ? entry->hospital_number : "", bed, NULL);

      self->search_text = g_utf8_casefold (joined, -1);
    }

  {
    g_autofree char *place = wk_kiosk_format_location (entry->bay, entry->bed);

    g_autofree char *active
        = occupied ? g_strdup_printf (g_dngettext (NULL, "%u active medicine",
                                                   "%u active medicines", entry->n_active_orders),
                                      entry->n_active_orders)
                   : g_strdup ("");

    accessible = g_strdup_printf ("%s: %s%s%s%s%s%s%s%s%s", place, name, *facts ? ", " : "", facts,
                                  *age ? ", " : "", age, *allergy_words ? ", " : "", allergy_words,
                                  *active ? ", " : "", active);
  }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  {
    g_autofree char *widget_name = wk_bed_tile_dup_widget_name (entry);

    gtk_widget_set_name (GTK_WIDGET (self), widget_name);
  }
}

/**
 * wk_bed_tile_new:
 * @entry: a census line
 * @show_names: whether to show names and NHS numbers
 *
 * Returns: (transfer floating): a tile
 */
WkBedTile *
wk_bed_tile_new (const WkCensusEntry *entry, gboolean show_names)
{
  WkBedTile *self = g_object_new (WK_TYPE_BED_TILE, NULL);

  wk_bed_tile_update (self, entry, show_names);
  return self;
}

/**
 * wk_bed_tile_get_patient_id:
 * @self: a tile
 *
 * Returns: the patient in the bed (model id), 0 when empty
 */
gint64
wk_bed_tile_get_patient_id (WkBedTile *self)
{
  g_return_val_if_fail (WK_IS_BED_TILE (self), 0);
  return self->patient_id;
}

/**
 * wk_bed_tile_matches:
 * @self: a tile
 * @query: (nullable): what staff typed: part of a name, an NHS number with or without
 *   spaces, a hospital number or a bed
 *
 * Returns: whether the tile is shown for @query; every tile matches an empty query, no
 *   tile without names matches any other
 */
gboolean
wk_bed_tile_matches (WkBedTile *self, const char *query)
{
  g_autofree char *folded = NULL;
  g_autofree char *digits = NULL;
  gsize            n = 0;

  g_return_val_if_fail (WK_IS_BED_TILE (self), FALSE);

  folded = g_utf8_casefold (query != NULL ? query : "", -1);
  g_strstrip (folded);
  if (*folded == '\0')
    return TRUE;
  if (self->search_text == NULL)
    return FALSE;
  if (strstr (self->search_text, folded) != NULL)
    return TRUE;
  /* "999 123 4567" finds 9991234567. */
  digits = g_strdup (folded);
  for (const char *p = folded; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      digits[n++] = *p;
    else if (*p != ' ' && *p != '-')
      return FALSE;
  digits[n] = '\0';
  return n >= 3 && strstr (self->search_text, digits) != NULL;
}

static void
wk_bed_tile_finalize (GObject *object)
{
  WkBedTile *self = WK_BED_TILE (object);

  g_free (self->search_text);
  G_OBJECT_CLASS (wk_bed_tile_parent_class)->finalize (object);
}

static void
wk_bed_tile_dispose (GObject *object)
{
  /* The flow box child owns its child: let it go before the template does. */
  gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), WK_TYPE_BED_TILE);
  G_OBJECT_CLASS (wk_bed_tile_parent_class)->dispose (object);
}

static void
wk_bed_tile_class_init (WkBedTileClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wk_bed_tile_dispose;
  object_class->finalize = wk_bed_tile_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/wardkeep/Kiosk/wk-bed-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, tile);
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, bed_label);
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, allergy_label);
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, age_label);
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, name_label);
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, facts_label);
  gtk_widget_class_bind_template_child (widget_class, WkBedTile, orders_label);
}

static void
wk_bed_tile_init (WkBedTile *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
