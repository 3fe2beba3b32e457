/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-patient-view.h — one patient: allergies first, then every medicine on the chart. */

#pragma once

#include "wk-kiosk-snapshot.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WK_TYPE_PATIENT_VIEW (wk_patient_view_get_type ())
G_DECLARE_FINAL_TYPE (WkPatientView, wk_patient_view, WK, PATIENT_VIEW, GtkWidget)

gboolean wk_patient_view_show (WkPatientView   *self,
                               WkKioskSnapshot *snapshot,
                               gint64           patient_id,
                               GTimeZone       *tz);
gint64   wk_patient_view_get_patient_id (WkPatientView *self);
void     wk_patient_view_set_message (WkPatientView *self, const char *message, gboolean problem);
void     wk_patient_view_set_busy (WkPatientView *self, gboolean busy);

G_END_DECLS
