/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-allergy.h — an allergy recorded for a patient. */

#pragma once

#include "wk-model.h"

G_BEGIN_DECLS

typedef enum
{
  WK_ALLERGY_DRUG,
  WK_ALLERGY_FOOD,
  WK_ALLERGY_ENVIRONMENT,
  WK_ALLERGY_OTHER,
} WkAllergyCategory;

typedef enum
{
  WK_SEVERITY_UNKNOWN,
  WK_SEVERITY_MILD,
  WK_SEVERITY_MODERATE,
  WK_SEVERITY_SEVERE,
} WkSeverity;

/**
 * WkAllergy:
 * @id: the model's id, set by wk_allergy_insert()
 * @patient_id: the patient
 * @category: drug, food, environment or other (AL1-2)
 * @substance: what the patient reacts to, as text (AL1-3.2)
 * @code: (nullable): its code (dm+d or SNOMED CT, AL1-3.1)
 * @reaction: (nullable): the reaction ("rash", "anaphylaxis")
 * @severity: how severe
 * @recorded_at: when recorded (UTC seconds), 0 when not known
 */
typedef struct
{
  gint64            id;
  gint64            patient_id;
  WkAllergyCategory category;
  char             *substance;
  char             *code;
  char             *reaction;
  WkSeverity        severity;
  gint64            recorded_at;
} WkAllergy;

WkAllergy *wk_allergy_new (gint64 patient_id, const char *substance);
void       wk_allergy_free (WkAllergy *allergy);
gboolean   wk_allergy_insert (WkModel *model, WkAllergy *allergy, GError **error);
gboolean   wk_allergy_delete_all (WkModel *model, gint64 patient_id, GError **error);
GPtrArray *wk_allergy_load_for_patient (WkModel *model, gint64 patient_id, GError **error);

const char *wk_allergy_category_to_string (WkAllergyCategory category);
gboolean    wk_allergy_category_from_string (const char *text, WkAllergyCategory *category);
const char *wk_severity_to_string (WkSeverity severity);
gboolean    wk_severity_from_string (const char *text, WkSeverity *severity);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkAllergy, wk_allergy_free)

G_END_DECLS
