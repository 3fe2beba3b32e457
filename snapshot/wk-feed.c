/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-feed.c — applies the hospital's HL7 v2 feed to the ward model and acknowledges it. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-feed.h"

#include "wk-administration.h"
#include "wk-allergy.h"
#include "wk-bed.h"
#include "wk-feed-message.h"
#include "wk-hl7.h"
#include "wk-nhs-number.h"
#include "wk-order.h"
#include "wk-patient.h"
#include "wk-snapshot-error.h"
#include "wk-ward.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

/* HL7 table 0357, message error condition codes (ERR-3). */
enum
{
  HL7_SEGMENT_SEQUENCE = 100,
  HL7_REQUIRED_MISSING = 101,
  HL7_DATA_TYPE = 102,
  HL7_TABLE_VALUE = 103,
  HL7_UNSUPPORTED_TYPE = 200,
  HL7_UNSUPPORTED_EVENT = 201,
  HL7_UNSUPPORTED_PROCESSING = 202,
  HL7_UNSUPPORTED_VERSION = 203,
  HL7_UNKNOWN_KEY = 204,
  HL7_DUPLICATE_KEY = 205,
  HL7_INTERNAL = 207,
};

#define BUCKETS 60

struct _WkFeed
{
  WkModel          *model;
  GTimeZone        *zone;
  GStrv             wards; /* NULL: every ward */
  char             *home_ward;
  char             *home_ward_name;
  char             *nhs_type, *nhs_authority; /* authority NULL: any */
  char             *mrn_type, *mrn_authority;
  guint             loc_ward, loc_bay, loc_bed;
  WkHl7ParseOptions parse_options;
  WkFeedClockFunc   clock;
  gpointer          clock_data;
  guint64           ack_counter;

  /* Health. */
  gint64  last_message_at;
  char   *last_error;
  gint64  last_error_at;
  guint64 n_aa, n_ae, n_ar, n_duplicates, n_stale, n_ignored;
  gint64  bucket_second[BUCKETS];
  guint   bucket_count[BUCKETS];
};

/* What became of one message. */
typedef struct
{
  const char   *ack; /* "AA", "AE", "AR" */
  int           hl7_code;
  char         *text; /* MSA-3 / ERR-8; NULL for a plain AA */
  gboolean      located;
  WkHl7Location location;
  gboolean      duplicate, stale, ignored;
} Outcome;

/* The state of applying one message. */
typedef struct
{
  WkFeed       *feed;
  WkHl7Message *m;
  WkModel      *model;
  gint64        message_at; /* MSH-7 */
  gint64        event_at;   /* EVN-6, else EVN-2, else MSH-7 */
  int           hl7_code;   /* for the error being reported; 0 to derive it */
  gboolean      located;
  gboolean      stale, ignored;
  gboolean      orders_resent; /* an NW or XO group of an order from before the arrival */
  GString      *note;
} Apply;

/* ---------------------------------------------------------------------------------- */
/* Reading values, with errors that name where                                       */

static gboolean fail (Apply      *a,
                      GError    **error,
                      int         code,
                      int         hl7_code,
                      guint       segment,
                      guint       field,
                      guint       component,
                      const char *format,
                      ...) G_GNUC_PRINTF (8, 9);

static gboolean
fail (Apply      *a,
      GError    **error,
      int         code,
      int         hl7_code,
      guint       segment,
      guint       field,
      guint       component,
      const char *format,
      ...)
{
  WkHl7Location    location = { segment, field, field > 0 ? 1 : 0, component, 0 };
  g_autofree char *where = wk_hl7_message_dup_location (a->m, &location);
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  wk_hl7_message_set_error_location (a->m, &location);
  a->located = TRUE;
  a->hl7_code = hl7_code;
  g_set_error (error, WK_SNAPSHOT_ERROR, code, "%s: %s", where, what);
  return FALSE;
}

/* A value that did not read: the getter named the place; this is a data type error. */
static gboolean
getter_failed (Apply *a, GError *local, GError **error)
{
  a->located = TRUE;
  a->hl7_code = HL7_DATA_TYPE;
  g_propagate_error (error, local);
  return FALSE;
}

static gboolean
text_at (Apply *a, guint seg, guint field, guint rep, guint comp, const char **out, GError **error)
{
  GError *local = NULL;

  *out = wk_hl7_message_get_text (a->m, seg, field, rep, comp, 1, &local);
  return local == NULL || getter_failed (a, local, error);
}

/* CE/CWE text: the text component (2), else the code (1). */
static gboolean
coded_text_at (Apply *a, guint seg, guint field, guint rep, const char **out, GError **error)
{
  if (!text_at (a, seg, field, rep, 2, out, error))
    return FALSE;
  if (*out == NULL && !text_at (a, seg, field, rep, 1, out, error))
    return FALSE;
  return TRUE;
}

static gboolean
time_at (Apply *a, guint seg, guint field, guint comp, gint64 *out, GError **error)
{
  GError *local = NULL;

  if (!wk_hl7_message_get_time (a->m, seg, field, 1, comp, a->feed->zone, out, &local))
    return getter_failed (a, local, error);
  return TRUE;
}

static gboolean
number_at (Apply *a, guint seg, guint field, guint comp, double *out, GError **error)
{
  GError *local = NULL;

  if (!wk_hl7_message_get_number (a->m, seg, field, 1, comp, out, &local))
    return getter_failed (a, local, error);
  return TRUE;
}

static WkHl7Presence
presence (Apply *a, guint seg, guint field, guint comp)
{
  return wk_hl7_message_get_presence (a->m, seg, field, 1, comp, 1);
}

/* A person's name from an XPN (first = 1) or an XCN (first = 2, after the id):
 * "prefix given middle family". */
static gboolean
name_at (Apply *a, guint seg, guint field, guint first, char **out, GError **error)
{
  const char *family, *given, *middle, *prefix;
  GString    *name;

  *out = NULL;
  if (!text_at (a, seg, field, 1, first, &family, error)
      || !text_at (a, seg, field, 1, first + 1, &given, error)
      || !text_at (a, seg, field, 1, first + 2, &middle, error)
      || !text_at (a, seg, field, 1, first + 4, &prefix, error))
    return FALSE;
  name = g_string_new (NULL);
  {
    const char *parts[] = { prefix, given, middle, family };

    for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
      if (parts[i] != NULL)
        g_string_append_printf (name, "%s%s", name->len > 0 ? " " : "", parts[i]);
  }
  if (name->len == 0 && first == 2 && !text_at (a, seg, field, 1, 1, &family, error))
    {
      g_string_free (name, TRUE);
      return FALSE;
    }
  if (name->len == 0 && first == 2 && family != NULL)
    g_string_append (name, family);
  *out = name->len > 0 ? g_string_free (name, FALSE) : (g_string_free (name, TRUE), NULL);
  return TRUE;
}

/* Wraps a model error: it is about @segment as a whole. */
static gboolean
model_failed (Apply *a, guint segment, GError **error)
{
  if (!a->located)
    {
      WkHl7Location    location = { segment, 0, 0, 0, 0 };
      g_autofree char *where = wk_hl7_message_dup_location (a->m, &location);

      wk_hl7_message_set_error_location (a->m, &location);
      a->located = TRUE;
      if (error != NULL && *error != NULL)
        g_prefix_error (error, "%s: ", where);
    }
  return FALSE;
}

static void
add_note (Apply *a, const char *text)
{
  if (a->note->len > 0)
    g_string_append (a->note, "; ");
  g_string_append (a->note, text);
}

/* ---------------------------------------------------------------------------------- */
/* Identity, location and the patient's record                                        */

typedef struct
{
  const char *nhs; /* normalized and valid: points at nhs_digits */
  const char *mrn; /* owned by the message */
  char        nhs_digits[11];
} Identity;

static gboolean
code_matches (const char *wanted, const char *got)
{
  return wanted == NULL || g_strcmp0 (wanted, got) == 0;
}

/* Reads the NHS and hospital numbers from a CX list (PID-3, MRG-1). */
static gboolean
read_identity (Apply *a, guint seg, guint field, Identity *id, GError **error)
{
  WkFeed *feed = a->feed;
  guint   n = wk_hl7_message_get_n_repetitions (a->m, seg, field);

  memset (id, 0, sizeof *id);
  for (guint r = 1; r <= n; r++)
    {
      const char *value, *authority, *type;

      if (!text_at (a, seg, field, r, 1, &value, error)
          || !text_at (a, seg, field, r, 4, &authority, error)
          || !text_at (a, seg, field, r, 5, &type, error))
        return FALSE;
      if (value == NULL)
        continue;
      if (g_strcmp0 (type, feed->nhs_type) == 0 && code_matches (feed->nhs_authority, authority))
        {
          g_autoptr (GError) invalid = NULL;
          g_autofree char *digits = wk_nhs_number_normalize (value, &invalid);

          if (digits == NULL)
            {
              WkHl7Location    location = { seg, field, r, 1, 0 };
              g_autofree char *where = wk_hl7_message_dup_location (a->m, &location);

              wk_hl7_message_set_error_location (a->m, &location);
              a->located = TRUE;
              a->hl7_code = HL7_DATA_TYPE;
              g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID, "%s: %s", where,
                           invalid->message);
              return FALSE;
            }
          if (id->nhs != NULL && strcmp (id->nhs, digits) != 0)
            return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, seg, field, 0,
                         "two different NHS numbers; nothing was changed");
          g_strlcpy (id->nhs_digits, digits, sizeof id->nhs_digits);
          id->nhs = id->nhs_digits;
        }
      else if (g_strcmp0 (type, feed->mrn_type) == 0
               && code_matches (feed->mrn_authority, authority))
        {
          if (id->mrn != NULL && strcmp (id->mrn, value) != 0)
            return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, seg, field, 0,
                         "two different hospital numbers; nothing was changed");
          id->mrn = value;
        }
    }
  if (id->nhs == NULL && id->mrn == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, seg, field, 0,
                 "neither an NHS number (type %s%s%s) nor a hospital number (type %s%s%s)",
                 feed->nhs_type, feed->nhs_authority != NULL ? ", authority " : "",
                 feed->nhs_authority != NULL ? feed->nhs_authority : "", feed->mrn_type,
                 feed->mrn_authority != NULL ? ", authority " : "",
                 feed->mrn_authority != NULL ? feed->mrn_authority : "");
  return TRUE;
}

/* Finds the patient the identifiers name, never guessing: identifiers that point at two
 * records, or at a record whose other identifier differs, are refused. */
static gboolean
find_patient (Apply *a, const Identity *id, guint seg, guint field, WkPatient **out, GError **error)
{
  g_autoptr (GPtrArray) found = wk_patient_load_by_identifiers (a->model, id->nhs, id->mrn, error);
  WkPatient *patient;

  *out = NULL;
  if (found == NULL)
    return model_failed (a, seg, error);
  if (found->len == 0)
    return TRUE;
  if (found->len > 1)
    {
      WkPatient *first = found->pdata[0], *second = found->pdata[1];
      gboolean   first_by_nhs = g_strcmp0 (first->nhs_number, id->nhs) == 0;

      return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_UNKNOWN_KEY, seg, field, 0,
                   "the NHS number is patient #%" G_GINT64_FORMAT "'s and the hospital number "
                   "patient #%" G_GINT64_FORMAT "'s in the model; nothing was changed",
                   first_by_nhs ? first->id : second->id, first_by_nhs ? second->id : first->id);
    }
  patient = found->pdata[0];
  if (id->nhs != NULL && patient->nhs_number != NULL && strcmp (patient->nhs_number, id->nhs) != 0)
    return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_UNKNOWN_KEY, seg, field, 0,
                 "the hospital number is patient #%" G_GINT64_FORMAT "'s, whose NHS number in "
                 "the model differs; nothing was changed",
                 patient->id);
  if (id->mrn != NULL && patient->hospital_number != NULL
      && strcmp (patient->hospital_number, id->mrn) != 0)
    return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_UNKNOWN_KEY, seg, field, 0,
                 "the NHS number is patient #%" G_GINT64_FORMAT "'s, whose hospital number in "
                 "the model differs; nothing was changed",
                 patient->id);
  *out = g_ptr_array_steal_index_fast (found, 0);
  return TRUE;
}

/* Fills identifiers the model does not have yet (a trace added the NHS number). */
static void
complete_identity (WkPatient *patient, const Identity *id)
{
  if (patient->nhs_number == NULL && id->nhs != NULL)
    patient->nhs_number = g_strdup (id->nhs);
  if (patient->hospital_number == NULL && id->mrn != NULL)
    patient->hospital_number = g_strdup (id->mrn);
}

typedef struct
{
  const char *ward; /* NULL when the message gives no location */
  const char *bay;
  const char *bed;
  gboolean    accepted;
} Location;

static gboolean
ward_is_accepted (WkFeed *feed, const char *ward)
{
  return ward != NULL
         && (feed->wards == NULL || g_strv_contains ((const char *const *)feed->wards, ward));
}

static gboolean
read_location (Apply *a, int pv1, guint field, Location *location, GError **error)
{
  WkFeed *feed = a->feed;

  memset (location, 0, sizeof *location);
  if (pv1 < 0)
    return TRUE;
  if (!text_at (a, pv1, field, 1, feed->loc_ward, &location->ward, error)
      || (feed->loc_bay > 0 && !text_at (a, pv1, field, 1, feed->loc_bay, &location->bay, error))
      || !text_at (a, pv1, field, 1, feed->loc_bed, &location->bed, error))
    return FALSE;
  if (location->ward == NULL && (location->bay != NULL || location->bed != NULL))
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, pv1, field,
                 feed->loc_ward, "a bay or bed without its ward");
  location->accepted = ward_is_accepted (feed, location->ward);
  return TRUE;
}

static const struct
{
  const char *code;
  WkSex       sex;
} sexes[] = {
  { "F", WK_SEX_FEMALE },  { "M", WK_SEX_MALE },  { "O", WK_SEX_OTHER },
  { "U", WK_SEX_UNKNOWN }, { "A", WK_SEX_OTHER }, { "N", WK_SEX_UNKNOWN },
};

/* Demographics from PID: absent values leave what is known, `""` clears it. */
static gboolean
read_person (Apply *a, guint pid, WkPatient *patient, GError **error)
{
  const char *family, *given, *middle, *sex;
  const char *birth = NULL;
  GError     *local = NULL;

  if (!text_at (a, pid, 5, 1, 1, &family, error) || !text_at (a, pid, 5, 1, 2, &given, error)
      || !text_at (a, pid, 5, 1, 3, &middle, error) || !text_at (a, pid, 8, 1, 1, &sex, error))
    return FALSE;
  if (family != NULL)
    {
      g_free (patient->family_name);
      patient->family_name = g_strdup (family);
    }
  if (patient->family_name == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, pid, 5, 1,
                 "the patient's family name is missing");
  if (family != NULL || presence (a, pid, 5, 2) != WK_HL7_ABSENT)
    {
      g_free (patient->given_names);
      patient->given_names = middle != NULL && given != NULL
                                 ? g_strconcat (given, " ", middle, NULL)
                                 : g_strdup (given != NULL ? given : "");
    }

  if (!wk_hl7_message_get_date (a->m, pid, 7, 1, 1, &birth, &local))
    return getter_failed (a, local, error);
  if (birth != NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

      if (atoi (birth) < 1880 || atoi (birth) > g_date_time_get_year (now))
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, pid, 7, 1,
                     "the date of birth is not between 1880 and this year");
      g_free (patient->birth_date);
      patient->birth_date = g_strdup (birth);
    }
  else if (presence (a, pid, 7, 1) == WK_HL7_NULL)
    g_clear_pointer (&patient->birth_date, g_free);

  if (sex != NULL)
    {
      gsize i;

      for (i = 0; i < G_N_ELEMENTS (sexes); i++)
        if (strcmp (sex, sexes[i].code) == 0)
          break;
      if (i == G_N_ELEMENTS (sexes))
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, pid, 8, 1,
                     "not an administrative sex (F, M, O, U, A, N)");
      patient->sex = sexes[i].sex;
    }
  else if (presence (a, pid, 8, 1) == WK_HL7_NULL)
    patient->sex = WK_SEX_UNKNOWN;
  return TRUE;
}

/* Consultant and visit from PV1. */
static gboolean
read_visit (Apply *a, int pv1, WkPatient *patient, GError **error)
{
  g_autofree char *consultant = NULL;
  const char      *visit;

  if (pv1 < 0)
    return TRUE;
  if (!name_at (a, pv1, 7, 2, &consultant, error) || !text_at (a, pv1, 19, 1, 1, &visit, error))
    return FALSE;
  if (consultant != NULL)
    {
      g_free (patient->consultant);
      patient->consultant = g_steal_pointer (&consultant);
    }
  else if (presence (a, pv1, 7, 1) == WK_HL7_NULL)
    g_clear_pointer (&patient->consultant, g_free);
  if (visit != NULL)
    {
      g_free (patient->visit_number);
      patient->visit_number = g_strdup (visit);
    }
  return TRUE;
}

static gboolean
ensure_ward (Apply *a, const char *ward, GError **error)
{
  WkFeed *feed = a->feed;

  return wk_ward_ensure (
      a->model, ward, g_strcmp0 (ward, feed->home_ward) == 0 ? feed->home_ward_name : NULL, error);
}

/* Puts the patient on an accepted ward, in the bed PV1-3 names (if any). */
static gboolean
place (Apply *a, WkPatient *patient, const Location *location, int pv1, GError **error)
{
  gint64 bed_id = 0;

  if (!ensure_ward (a, location->ward, error))
    return model_failed (a, pv1, error);
  if (location->bed != NULL)
    {
      g_autoptr (WkBed) bed = NULL;

      bed_id = wk_bed_ensure (a->model, location->ward, location->bay, location->bed, error);
      if (bed_id == 0)
        return model_failed (a, pv1, error);
      bed = wk_bed_load (a->model, bed_id, error);
      if (bed == NULL)
        return model_failed (a, pv1, error);
      if (bed->closed)
        return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_INTERNAL, pv1, 3, 0,
                     "bed #%" G_GINT64_FORMAT " is closed; nothing was changed", bed_id);
      if (bed->patient_id != 0 && bed->patient_id != patient->id)
        return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_INTERNAL, pv1, 3, 0,
                     "bed #%" G_GINT64_FORMAT " is occupied by patient #%" G_GINT64_FORMAT
                     " in the model; nothing was changed",
                     bed_id, bed->patient_id);
    }
  patient->bed_id = bed_id;
  g_free (patient->ward_id);
  patient->ward_id = g_strdup (location->ward);
  if (patient->stay != WK_STAY_ADMITTED)
    {
      patient->stay = WK_STAY_ADMITTED;
      patient->left_at = 0;
    }
  return TRUE;
}

static void
leave (WkPatient *patient, WkStay stay, gint64 at)
{
  patient->bed_id = 0;
  patient->stay = stay;
  patient->left_at = at;
  /* Off the wards kept, the chart is not printed: the next arrival decides anew. */
  patient->arrival = WK_ARRIVAL_NONE;
  patient->arrived_at = 0;
  g_clear_pointer (&patient->arrived_from, g_free);
}

/* Whether the model has the patient admitted on a ward this kiosk keeps: then it has
 * followed their orders, and a move between wards it keeps is not an arrival. */
static gboolean
is_here (WkFeed *feed, const WkPatient *patient)
{
  return patient != NULL && patient->stay == WK_STAY_ADMITTED
         && ward_is_accepted (feed, patient->ward_id);
}

/* A patient placed on a ward kept from somewhere this kiosk did not follow them: a
 * transfer (A02, A12, A17), or an admission from a ward not kept that PV1-6 names. Their
 * orders from before were never sent here, and may be missing until the engine sends
 * them. */
static gboolean
note_arrival (Apply *a, WkPatient *patient, gboolean transfer, int pv1, GError **error)
{
  WkFeed     *feed = a->feed;
  const char *from = NULL;

  if (pv1 >= 0 && !text_at (a, pv1, 6, 1, feed->loc_ward, &from, error))
    return FALSE;
  /* Admitted from outside the hospital's wards, every order is placed after this; from a
   * ward kept, the kiosk had them (some systems repeat the location in PV1-6). */
  if (!transfer && (from == NULL || ward_is_accepted (feed, from)))
    return TRUE;
  patient->arrival = transfer ? WK_ARRIVAL_TRANSFER : WK_ARRIVAL_ADMISSION;
  patient->arrived_at = a->event_at;
  g_free (patient->arrived_from);
  patient->arrived_from = g_strdup (from);
  add_note (a, "orders from before the arrival are awaited: the chart says medicines may be "
               "missing");
  return TRUE;
}

static gboolean
save_patient (Apply *a, WkPatient *patient, guint pid, GError **error)
{
  gboolean ok;

  patient->event_at = MAX (patient->event_at, a->event_at);
  ok = patient->id == 0 ? wk_patient_insert (a->model, patient, error)
                        : wk_patient_update (a->model, patient, error);
  return ok || model_failed (a, pid, error);
}

/* AL1 segments replace the patient's allergies; a message with none leaves them. */
static gboolean
apply_allergies (Apply *a, WkPatient *patient, GError **error)
{
  static const struct
  {
    const char       *code;
    WkAllergyCategory category;
  } types[] = {
    { "DA", WK_ALLERGY_DRUG },        { "FA", WK_ALLERGY_FOOD },  { "EA", WK_ALLERGY_ENVIRONMENT },
    { "MA", WK_ALLERGY_OTHER },       { "AA", WK_ALLERGY_OTHER }, { "PA", WK_ALLERGY_OTHER },
    { "LA", WK_ALLERGY_ENVIRONMENT }, { "MC", WK_ALLERGY_OTHER },
  };

  static const struct
  {
    const char *code;
    WkSeverity  severity;
  } severities[] = {
    { "SV", WK_SEVERITY_SEVERE },
    { "MO", WK_SEVERITY_MODERATE },
    { "MI", WK_SEVERITY_MILD },
    { "U", WK_SEVERITY_UNKNOWN },
  };

  g_autoptr (GPtrArray) allergies
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_allergy_free);
  gboolean none_known = FALSE;
  int      first = wk_hl7_message_find_segment (a->m, "AL1", 0);

  if (first < 0)
    return TRUE;
  for (int seg = first; seg >= 0; seg = wk_hl7_message_find_segment (a->m, "AL1", seg + 1))
    {
      const char *type, *code, *text, *severity;
      g_autoptr (WkAllergy) allergy = NULL;
      g_autoptr (GString) reaction = g_string_new (NULL);
      guint n_reactions = wk_hl7_message_get_n_repetitions (a->m, seg, 5);

      if (!text_at (a, seg, 2, 1, 1, &type, error) || !text_at (a, seg, 3, 1, 1, &code, error)
          || !text_at (a, seg, 3, 1, 2, &text, error)
          || !text_at (a, seg, 4, 1, 1, &severity, error))
        return FALSE;
      if (g_strcmp0 (code, "716186003") == 0 || g_strcmp0 (code, "409137002") == 0)
        {
          none_known = TRUE;
          continue;
        }
      if (code == NULL && text == NULL)
        return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, seg, 3, 0,
                     "the allergen is missing");
      /* An allergen sent as a code only is still an allergy: never dropped. */
      allergy = wk_allergy_new (patient->id, text != NULL ? text : code);
      allergy->code = g_strdup (code);
      allergy->category = WK_ALLERGY_OTHER;
      if (type != NULL)
        {
          gsize i;

          for (i = 0; i < G_N_ELEMENTS (types); i++)
            if (strcmp (types[i].code, type) == 0)
              break;
          if (i == G_N_ELEMENTS (types))
            return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, seg, 2, 1,
                         "not an allergen type (DA, FA, EA, MA)");
          allergy->category = types[i].category;
        }
      if (severity != NULL)
        {
          gsize i;

          for (i = 0; i < G_N_ELEMENTS (severities); i++)
            if (strcmp (severities[i].code, severity) == 0)
              break;
          if (i == G_N_ELEMENTS (severities))
            return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, seg, 4, 1,
                         "not an allergy severity (SV, MO, MI, U)");
          allergy->severity = severities[i].severity;
        }
      for (guint r = 1; r <= n_reactions; r++)
        {
          const char *one;

          if (!text_at (a, seg, 5, r, 1, &one, error))
            return FALSE;
          if (one != NULL)
            g_string_append_printf (reaction, "%s%s", reaction->len > 0 ? ", " : "", one);
        }
      if (reaction->len > 0)
        allergy->reaction = g_strdup (reaction->str);
      if (!time_at (a, seg, 6, 1, &allergy->recorded_at, error))
        return FALSE;
      g_ptr_array_add (allergies, g_steal_pointer (&allergy));
    }
  if (none_known && allergies->len > 0)
    return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, first, 3, 1,
                 "\"no known allergies\" sent together with allergies; nothing was changed");

  if (!wk_allergy_delete_all (a->model, patient->id, error))
    return model_failed (a, first, error);
  patient->allergy_status = WK_ALLERGY_STATUS_NOT_RECORDED;
  for (guint i = 0; i < allergies->len; i++)
    {
      WkAllergy *allergy = allergies->pdata[i];

      allergy->patient_id = patient->id;
      if (!wk_allergy_insert (a->model, allergy, error))
        return model_failed (a, first, error);
      patient->allergy_status = WK_ALLERGY_STATUS_RECORDED;
    }
  if (none_known)
    {
      patient->allergy_status = WK_ALLERGY_STATUS_NONE_KNOWN;
      if (!wk_patient_update (a->model, patient, error))
        return model_failed (a, first, error);
    }
  return TRUE;
}

/* OBX body weight (LOINC 29463-7): the newest measurement wins. */
static gboolean
apply_weight (Apply *a, WkPatient *patient, gboolean *changed, GError **error)
{
  for (int seg = wk_hl7_message_find_segment (a->m, "OBX", 0); seg >= 0;
       seg = wk_hl7_message_find_segment (a->m, "OBX", seg + 1))
    {
      const char *code, *unit;
      double      kg;
      gint64      at;

      if (!text_at (a, seg, 3, 1, 1, &code, error))
        return FALSE;
      if (g_strcmp0 (code, "29463-7") != 0)
        continue;
      if (!number_at (a, seg, 5, 1, &kg, error) || !text_at (a, seg, 6, 1, 1, &unit, error)
          || !time_at (a, seg, 14, 1, &at, error))
        return FALSE;
      if (at == 0)
        at = a->event_at;
      if (at < patient->weight_at)
        continue;
      if (presence (a, seg, 5, 1) == WK_HL7_NULL)
        {
          patient->weight_kg = 0;
          patient->weight_at = 0;
          *changed = TRUE;
          continue;
        }
      if (presence (a, seg, 5, 1) == WK_HL7_ABSENT)
        return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, seg, 5, 1,
                     "the weight's value is missing");
      if (unit == NULL || g_ascii_strcasecmp (unit, "kg") != 0)
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, seg, 6, 1,
                     "a weight must be in kg");
      if (!(kg > 0 && kg < 700))
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, seg, 5, 1,
                     "the weight is not between 0 and 700 kg");
      patient->weight_kg = kg;
      patient->weight_at = at;
      *changed = TRUE;
    }
  return TRUE;
}

/* Saves the patient, then what the message says about allergies and weight. */
static gboolean
save_with_clinical (Apply *a, WkPatient *patient, guint pid, GError **error)
{
  gboolean weight_changed = FALSE;

  if (!apply_weight (a, patient, &weight_changed, error) || !save_patient (a, patient, pid, error))
    return FALSE;
  return apply_allergies (a, patient, error);
}

/* ---------------------------------------------------------------------------------- */
/* ADT                                                                                */

typedef enum
{
  ADT_ADMIT,     /* A01, A04, A13 */
  ADT_PREADMIT,  /* A05 */
  ADT_TRANSFER,  /* A02, A12 */
  ADT_DISCHARGE, /* A03 */
  ADT_CANCEL,    /* A11 */
  ADT_UPDATE,    /* A08 */
  ADT_PERSON,    /* A31 */
  ADT_SWAP,      /* A17 */
  ADT_MERGE,     /* A40 */
} AdtKind;

static const struct
{
  const char *event;
  AdtKind     kind;
} adt_events[] = {
  { "A01", ADT_ADMIT },  { "A02", ADT_TRANSFER }, { "A03", ADT_DISCHARGE },
  { "A04", ADT_ADMIT },  { "A05", ADT_PREADMIT }, { "A08", ADT_UPDATE },
  { "A11", ADT_CANCEL }, { "A12", ADT_TRANSFER }, { "A13", ADT_ADMIT },
  { "A17", ADT_SWAP },   { "A31", ADT_PERSON },   { "A40", ADT_MERGE },
};

static int
segment_after (Apply *a, const char *id, guint from, const char *stop)
{
  guint n = wk_hl7_message_get_n_segments (a->m);

  for (guint i = from; i < n; i++)
    {
      if (wk_hl7_message_segment_is (a->m, i, id))
        return (int)i;
      if (stop != NULL && wk_hl7_message_segment_is (a->m, i, stop))
        return -1;
    }
  return -1;
}

static gboolean
require_segment (Apply *a, int index, const char *id, GError **error)
{
  if (index >= 0)
    return TRUE;
  a->hl7_code = HL7_SEGMENT_SEQUENCE;
  a->located = FALSE;
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_HL7_MISSING,
               "%s: the segment is missing", id);
  return FALSE;
}

static gboolean
ignore (Apply *a, const char *why)
{
  a->ignored = TRUE;
  add_note (a, why);
  return TRUE;
}

static gboolean
is_stale (Apply *a, const WkPatient *patient)
{
  if (patient == NULL || a->event_at >= patient->event_at)
    return FALSE;
  a->stale = TRUE;
  add_note (a, "stale: the model has a newer event for this patient; not applied");
  return TRUE;
}

static gboolean
unknown_patient (Apply *a, int pid, GError **error)
{
  return fail (a, error, WK_SNAPSHOT_ERROR_NOT_FOUND, HL7_UNKNOWN_KEY, pid, 3, 0,
               "no patient in the model has these identifiers; nothing was changed");
}

/* A17: two PID/PV1 pairs, each with the patient's new bed. */
static gboolean
apply_swap (Apply *a, GError **error)
{
  int pid[2], pv1[2];
  g_autoptr (WkPatient) patient0 = NULL;
  g_autoptr (WkPatient) patient1 = NULL;
  WkPatient *patients[2] = { NULL, NULL };
  Location   location[2];

  pid[0] = segment_after (a, "PID", 1, NULL);
  pid[1] = pid[0] >= 0 ? segment_after (a, "PID", pid[0] + 1, NULL) : -1;
  if (!require_segment (a, pid[0], "PID", error)
      || !require_segment (a, pid[1], "PID (second)", error))
    return FALSE;
  for (int i = 0; i < 2; i++)
    {
      Identity id;

      pv1[i] = segment_after (a, "PV1", pid[i] + 1, "PID");
      if (!require_segment (a, pv1[i], "PV1", error) || !read_identity (a, pid[i], 3, &id, error)
          || !find_patient (a, &id, pid[i], 3, &patients[i], error)
          || !read_location (a, pv1[i], 3, &location[i], error))
        {
          wk_patient_free (patients[0]);
          wk_patient_free (patients[1]);
          return FALSE;
        }
    }
  patient0 = patients[0];
  patient1 = patients[1];
  if (patient0 == NULL || patient1 == NULL)
    {
      if (!location[0].accepted && !location[1].accepted)
        return ignore (a, "not for a ward this kiosk keeps; not applied");
      return unknown_patient (a, patient0 == NULL ? pid[0] : pid[1], error);
    }
  if (patient0->id == patient1->id)
    return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, pid[1], 3, 0,
                 "both PID segments name patient #%" G_GINT64_FORMAT, patient0->id);
  if (is_stale (a, patient0) || is_stale (a, patient1))
    return TRUE;

  /* Both leave their beds first: each takes the other's. */
  for (int i = 0; i < 2; i++)
    {
      patients[i]->bed_id = 0;
      if (!wk_patient_update (a->model, patients[i], error))
        return model_failed (a, pid[i], error);
    }
  for (int i = 0; i < 2; i++)
    {
      if (location[i].accepted)
        {
          gboolean arriving = !is_here (a->feed, patients[i]);

          if (!place (a, patients[i], &location[i], pv1[i], error)
              || (arriving && !note_arrival (a, patients[i], TRUE, pv1[i], error)))
            return FALSE;
        }
      else if (patients[i]->stay == WK_STAY_ADMITTED)
        leave (patients[i], WK_STAY_TRANSFERRED_OUT, a->event_at);
      if (!save_patient (a, patients[i], pid[i], error))
        return FALSE;
    }
  return TRUE;
}

/* A40: PID-3 is the surviving patient, MRG-1 the record merged into it. */
static gboolean
apply_merge (Apply *a, int pid, GError **error)
{
  int      mrg = segment_after (a, "MRG", pid + 1, NULL);
  Identity survivor_id, prior_id;
  g_autoptr (WkPatient) survivor = NULL;
  g_autoptr (WkPatient) prior = NULL;

  if (!require_segment (a, mrg, "MRG", error) || !read_identity (a, pid, 3, &survivor_id, error)
      || !read_identity (a, mrg, 1, &prior_id, error)
      || !find_patient (a, &prior_id, mrg, 1, &prior, error)
      || !find_patient (a, &survivor_id, pid, 3, &survivor, error))
    return FALSE;
  if (prior == NULL)
    return ignore (a, "the merged record is not in the model; nothing to merge");
  if (is_stale (a, prior) || is_stale (a, survivor))
    return TRUE;
  if (survivor == NULL)
    {
      /* The record simply takes the surviving identifiers PID-3 gives. */
      if (survivor_id.nhs != NULL)
        {
          g_free (prior->nhs_number);
          prior->nhs_number = g_strdup (survivor_id.nhs);
        }
      if (survivor_id.mrn != NULL)
        {
          g_free (prior->hospital_number);
          prior->hospital_number = g_strdup (survivor_id.mrn);
        }
      if (!read_person (a, pid, prior, error))
        return FALSE;
      return save_patient (a, prior, pid, error);
    }
  if (survivor->id != prior->id)
    {
      gint64 survivor_key = survivor->id;

      if (!wk_patient_merge (a->model, survivor_key, prior->id, error))
        return model_failed (a, mrg, error);
      wk_patient_free (survivor);
      survivor = wk_patient_load (a->model, survivor_key, error);
      if (survivor == NULL)
        return model_failed (a, pid, error);
    }
  if (!read_person (a, pid, survivor, error))
    return FALSE;
  return save_patient (a, survivor, pid, error);
}

static gboolean
apply_adt (Apply *a, AdtKind kind, GError **error)
{
  int      pid = segment_after (a, "PID", 1, NULL);
  int      pv1;
  Identity id;
  Location location;
  g_autoptr (WkPatient) patient = NULL;
  gboolean known;

  if (kind == ADT_SWAP)
    return apply_swap (a, error);
  if (!require_segment (a, pid, "PID", error))
    return FALSE;
  if (kind == ADT_MERGE)
    return apply_merge (a, pid, error);
  pv1 = segment_after (a, "PV1", pid + 1, NULL);
  if (!read_identity (a, pid, 3, &id, error) || !find_patient (a, &id, pid, 3, &patient, error)
      || !read_location (a, pv1, 3, &location, error))
    return FALSE;
  known = patient != NULL;
  if (is_stale (a, patient))
    return TRUE;

  /* Someone this kiosk has never seen, somewhere it does not keep: not its business. */
  if (!known && !location.accepted
      && (location.ward != NULL || kind == ADT_PERSON || kind == ADT_MERGE))
    return ignore (a, "not for a ward this kiosk keeps; not applied");

  switch (kind)
    {
    case ADT_ADMIT:
    case ADT_TRANSFER:
    case ADT_PREADMIT:
      if (location.ward == NULL)
        return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING,
                     pv1 >= 0 ? (guint)pv1 : 0, pv1 >= 0 ? 3 : 0, 0,
                     pv1 >= 0 ? "the patient's location is missing" : "PV1 is missing");
      if (!location.accepted)
        {
          /* Admitted, moved or booked elsewhere: the bed here is freed, the record kept. */
          if (patient->stay == WK_STAY_ADMITTED || patient->stay == WK_STAY_PRE_ADMITTED)
            leave (patient, WK_STAY_TRANSFERRED_OUT, a->event_at);
          else
            return ignore (a, "not for a ward this kiosk keeps; not applied");
          if (!read_person (a, pid, patient, error))
            return FALSE;
          complete_identity (patient, &id);
          return save_patient (a, patient, pid, error);
        }
      if (patient == NULL)
        {
          patient = wk_patient_new ();
          patient->nhs_number = g_strdup (id.nhs);
          patient->hospital_number = g_strdup (id.mrn);
          patient->stay = kind == ADT_PREADMIT ? WK_STAY_PRE_ADMITTED : WK_STAY_DISCHARGED;
        }
      complete_identity (patient, &id);
      if (!read_person (a, pid, patient, error) || !read_visit (a, pv1, patient, error))
        return FALSE;
      if (kind == ADT_PREADMIT)
        {
          /* A booking never moves a patient who is already in. */
          if (patient->stay != WK_STAY_ADMITTED)
            {
              if (!ensure_ward (a, location.ward, error))
                return model_failed (a, pv1, error);
              g_free (patient->ward_id);
              patient->ward_id = g_strdup (location.ward);
              patient->stay = WK_STAY_PRE_ADMITTED;
              patient->left_at = 0;
            }
        }
      else
        {
          gboolean arriving = patient->stay != WK_STAY_ADMITTED;
          gboolean from_elsewhere = !is_here (a->feed, patient);
          gint64   admitted = 0;

          if (!place (a, patient, &location, pv1, error)
              || !time_at (a, pv1, 44, 1, &admitted, error)
              || (from_elsewhere && !note_arrival (a, patient, kind == ADT_TRANSFER, pv1, error)))
            return FALSE;
          if (admitted != 0)
            patient->admitted_at = admitted;
          else if (arriving || patient->admitted_at == 0)
            patient->admitted_at = a->event_at;
        }
      return save_with_clinical (a, patient, pid, error);

    case ADT_DISCHARGE:
    case ADT_CANCEL:
      if (!known)
        return unknown_patient (a, pid, error);
      {
        gint64 left = 0;

        if (kind == ADT_DISCHARGE && pv1 >= 0 && !time_at (a, pv1, 45, 1, &left, error))
          return FALSE;
        if (!read_person (a, pid, patient, error))
          return FALSE;
        leave (patient, WK_STAY_DISCHARGED, left != 0 ? left : a->event_at);
        if (kind == ADT_CANCEL)
          add_note (a, "admission cancelled: the patient no longer has a bed here");
        return save_patient (a, patient, pid, error);
      }

    case ADT_UPDATE:
    case ADT_PERSON:
      if (!known)
        return unknown_patient (a, pid, error);
      complete_identity (patient, &id);
      if (!read_person (a, pid, patient, error)
          || (kind == ADT_UPDATE && !read_visit (a, pv1, patient, error)))
        return FALSE;
      /* A08 may correct the bed within the wards kept; moves out come as A02. */
      if (kind == ADT_UPDATE && location.accepted && location.bed != NULL
          && patient->stay == WK_STAY_ADMITTED && !place (a, patient, &location, pv1, error))
        return FALSE;
      return save_with_clinical (a, patient, pid, error);

    case ADT_SWAP:
    case ADT_MERGE:
      break;
    }
  g_assert_not_reached ();
}

/* ---------------------------------------------------------------------------------- */
/* Pharmacy                                                                           */

typedef struct
{
  int orc, end; /* the group is [orc, end) */
  int rxe, rxo, rxr, tq1;
} OrderGroup;

static int
find_in (Apply *a, const OrderGroup *g, const char *id)
{
  for (int i = g->orc + 1; i < g->end; i++)
    if (wk_hl7_message_segment_is (a->m, i, id))
      return i;
  return -1;
}

static GArray *
order_groups (Apply *a)
{
  GArray *groups = g_array_new (FALSE, FALSE, sizeof (OrderGroup));
  guint   n = wk_hl7_message_get_n_segments (a->m);

  for (int orc = segment_after (a, "ORC", 1, NULL); orc >= 0;)
    {
      OrderGroup g = { orc, 0, -1, -1, -1, -1 };
      int        next = segment_after (a, "ORC", orc + 1, NULL);

      g.end = next >= 0 ? next : (int)n;
      g.rxe = find_in (a, &g, "RXE");
      g.rxo = find_in (a, &g, "RXO");
      g.rxr = find_in (a, &g, "RXR");
      g.tq1 = find_in (a, &g, "TQ1");
      g_array_append_val (groups, g);
      orc = next;
    }
  return groups;
}

static const struct
{
  const char *code;
  const char *route;
} routes[] = {
  { "PO", "oral" },          { "IV", "intravenous" }, { "SC", "subcutaneous" },
  { "IM", "intramuscular" }, { "INH", "inhaled" },    { "TOP", "topical" },
  { "PR", "rectal" },        { "SL", "sublingual" },  { "NG", "nasogastric" },
  { "NEB", "nebulised" },    { "TD", "transdermal" }, { "OP", "eye" },
  { "OT", "ear" },           { "NS", "nasal" },       { "PV", "vaginal" },
  { "ID", "intradermal" },   { "IT", "intrathecal" }, { "BU", "buccal" },
};

/* Due times for the usual repeat patterns (UK drug chart times). */
static const struct
{
  const char *code;
  const char *times;
  int         interval_min;
} frequencies[] = {
  { "OD", "08:00", 0 },
  { "QD", "08:00", 0 },
  { "MANE", "08:00", 0 },
  { "ON", "22:00", 0 },
  { "NOCTE", "22:00", 0 },
  { "QHS", "22:00", 0 },
  { "BD", "08:00,20:00", 0 },
  { "BID", "08:00,20:00", 0 },
  { "TDS", "08:00,14:00,22:00", 0 },
  { "TID", "08:00,14:00,22:00", 0 },
  { "QDS", "08:00,12:00,18:00,22:00", 0 },
  { "QID", "08:00,12:00,18:00,22:00", 0 },
  { "Q2H", "00:00,02:00,04:00,06:00,08:00,10:00,12:00,14:00,16:00,18:00,20:00,22:00", 120 },
  { "Q4H", "02:00,06:00,10:00,14:00,18:00,22:00", 240 },
  { "Q6H", "00:00,06:00,12:00,18:00", 360 },
  { "Q8H", "06:00,14:00,22:00", 480 },
  { "Q12H", "08:00,20:00", 720 },
  { "Q24H", "08:00", 1440 },
};

static int
compare_minutes (gconstpointer a, gconstpointer b)
{
  return *(const int *)a - *(const int *)b;
}

/* Due times "HHMM" (TQ1-4 repetitions, or RXE-1.2.2 comma separated) as "HH:MM,...". */
static gboolean
read_due_times (Apply *a, guint seg, guint field, gboolean from_tq, char **out, GError **error)
{
  g_autoptr (GArray) minutes = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GString) text = g_string_new (NULL);
  g_auto (GStrv) parts = NULL;

  *out = NULL;
  if (from_tq)
    {
      GError     *local = NULL;
      const char *raw = wk_hl7_message_get_text (a->m, seg, field, 1, 2, 2, &local);

      if (local != NULL)
        return getter_failed (a, local, error);
      parts = g_strsplit (raw != NULL ? raw : "", ",", -1);
    }
  else
    {
      guint n = wk_hl7_message_get_n_repetitions (a->m, seg, field);
      g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);

      for (guint r = 1; r <= n; r++)
        {
          const char *one;

          if (!text_at (a, seg, field, r, 1, &one, error))
            return FALSE;
          if (one != NULL)
            g_ptr_array_add (list, g_strdup (one));
        }
      g_ptr_array_add (list, NULL);
      parts = (GStrv)g_ptr_array_steal (list, NULL);
    }
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *p = g_strstrip (parts[i]);
      int         value;

      if (*p == '\0')
        continue;
      if ((strlen (p) != 4 && strlen (p) != 6) || !g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1])
          || !g_ascii_isdigit (p[2]) || !g_ascii_isdigit (p[3])
          || (p[4] && (!g_ascii_isdigit (p[4]) || !g_ascii_isdigit (p[5]))))
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, seg, field, 0,
                     "a due time is not of the form HHMM");
      value = ((p[0] - '0') * 10 + (p[1] - '0')) * 60 + (p[2] - '0') * 10 + (p[3] - '0');
      if (value >= 24 * 60 || p[2] > '5')
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, seg, field, 0,
                     "a due time is not a time of day");
      g_array_append_val (minutes, value);
    }
  g_array_sort (minutes, compare_minutes);
  for (guint i = 0; i < minutes->len; i++)
    {
      int value = g_array_index (minutes, int, i);

      if (i > 0 && value == g_array_index (minutes, int, i - 1))
        continue;
      g_string_append_printf (text, "%s%02d:%02d", text->len > 0 ? "," : "", value / 60,
                              value % 60);
    }
  if (text->len > 0)
    *out = g_strdup (text->str);
  return TRUE;
}

/* Reads the whole of an order from its RXE (or RXO), RXR and TQ1 (or RXE-1). */
static gboolean
read_order (Apply *a, const OrderGroup *g, gint64 transaction_at, WkOrder *order, GError **error)
{
  int              rx = g->rxe >= 0 ? g->rxe : g->rxo;
  gboolean         rxe = g->rxe >= 0;
  const char      *code, *drug, *unit, *instructions, *route_code, *route_text;
  const char      *pattern = NULL, *priority = NULL;
  double           dose, dose_max;
  g_autofree char *times = NULL;
  int              timing = g->tq1;

  if (rx < 0)
    {
      a->hl7_code = HL7_SEGMENT_SEQUENCE;
      return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_SEGMENT_SEQUENCE, g->orc, 0, 0,
                   "the order has no RXE segment");
    }
  /* Drug and dose: RXE-2..5, or RXO-1..4 (one field earlier). */
  {
    guint base = rxe ? 2 : 1;

    if (!text_at (a, rx, base, 1, 1, &code, error) || !text_at (a, rx, base, 1, 2, &drug, error)
        || !number_at (a, rx, base + 1, 1, &dose, error)
        || !number_at (a, rx, base + 2, 1, &dose_max, error)
        || !text_at (a, rx, base + 3, 1, 1, &unit, error))
      return FALSE;
    if (unit == NULL && !text_at (a, rx, base + 3, 1, 2, &unit, error))
      return FALSE;
    if (drug == NULL)
      return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, rx, base, 2,
                   "the drug's name is missing");
    if (!(dose > 0))
      return fail (a, error,
                   presence (a, rx, base + 1, 1) == WK_HL7_PRESENT ? WK_SNAPSHOT_ERROR_INVALID
                                                                   : WK_SNAPSHOT_ERROR_HL7_MISSING,
                   HL7_REQUIRED_MISSING, rx, base + 1, 1, "the dose must be a number above 0");
    if (dose_max != 0 && dose_max < dose)
      return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, rx, base + 2, 1,
                   "the top of the dose range is below its bottom");
    if (unit == NULL)
      return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, rx, base + 3, 1,
                   "the dose's unit is missing");
  }
  g_free (order->dmd_code);
  order->dmd_code = g_strdup (code);
  g_free (order->drug);
  order->drug = g_strdup (drug);
  order->dose = dose;
  order->dose_max = dose_max;
  g_free (order->dose_unit);
  order->dose_unit = g_strdup (unit);

  /* Route (RXR-1). */
  if (g->rxr < 0)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_SEGMENT_SEQUENCE, g->orc, 0, 0,
                 "the order has no RXR segment (its route)");
  if (!text_at (a, g->rxr, 1, 1, 1, &route_code, error)
      || !text_at (a, g->rxr, 1, 1, 2, &route_text, error))
    return FALSE;
  g_free (order->route);
  order->route = NULL;
  for (gsize i = 0; route_code != NULL && i < G_N_ELEMENTS (routes); i++)
    if (strcmp (routes[i].code, route_code) == 0)
      order->route = g_strdup (routes[i].route);
  if (order->route == NULL)
    order->route = g_strdup (route_text != NULL ? route_text : route_code);
  if (order->route == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, g->rxr, 1, 1,
                 "the route is missing");

  /* Timing: TQ1 (v2.5), else the TQ in RXE-1 (v2.3, v2.4). */
  if (timing >= 0)
    {
      if (!text_at (a, timing, 3, 1, 1, &pattern, error)
          || !read_due_times (a, timing, 4, FALSE, &times, error)
          || !time_at (a, timing, 7, 1, &order->start_at, error)
          || !time_at (a, timing, 8, 1, &order->stop_at, error)
          || !text_at (a, timing, 9, 1, 1, &priority, error))
        return FALSE;
    }
  else if (rxe)
    {
      GError *local = NULL;

      pattern = wk_hl7_message_get_text (a->m, rx, 1, 1, 2, 1, &local);
      if (local != NULL)
        return getter_failed (a, local, error);
      if (!read_due_times (a, rx, 1, TRUE, &times, error)
          || !time_at (a, rx, 1, 4, &order->start_at, error)
          || !time_at (a, rx, 1, 5, &order->stop_at, error)
          || !text_at (a, rx, 1, 1, 6, &priority, error))
        return FALSE;
      timing = rx;
    }
  else
    pattern = priority = NULL;
  if (order->start_at == 0 && !time_at (a, g->orc, 15, 1, &order->start_at, error))
    return FALSE;
  if (order->start_at == 0)
    order->start_at = transaction_at;
  if (order->stop_at != 0 && order->stop_at < order->start_at)
    return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, timing >= 0 ? timing : g->orc,
                 timing == g->tq1 ? 8 : 1, timing == g->tq1 ? 1 : 5,
                 "the order stops before it starts");

  order->kind = WK_ORDER_REGULAR;
  if (priority != NULL && (strcmp (priority, "PRN") == 0 || strcmp (priority, "P") == 0))
    order->kind = WK_ORDER_PRN;
  else if (priority != NULL && (strcmp (priority, "S") == 0 || strcmp (priority, "STAT") == 0))
    order->kind = WK_ORDER_ONCE;
  g_free (order->frequency);
  order->frequency = g_strdup (pattern);
  order->min_interval_min = 0;
  for (gsize i = 0; pattern != NULL && i < G_N_ELEMENTS (frequencies); i++)
    if (g_ascii_strcasecmp (frequencies[i].code, pattern) == 0)
      {
        if (times == NULL)
          times = g_strdup (frequencies[i].times);
        if (order->kind == WK_ORDER_PRN)
          order->min_interval_min = frequencies[i].interval_min;
      }
  g_free (order->admin_times);
  order->admin_times = order->kind == WK_ORDER_REGULAR ? g_steal_pointer (&times) : NULL;
  if (order->kind == WK_ORDER_REGULAR && order->admin_times == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING,
                 timing >= 0 ? timing : g->orc, timing == g->tq1 ? 4 : 0, 0,
                 "a regular order needs its due times (TQ1-4, or a repeat pattern such as BD)");

  /* Instructions, and for as-required orders the indication and 24-hour maximum. */
  g_clear_pointer (&order->prn_indication, g_free);
  order->prn_max_24h = 0;
  instructions = NULL;
  if (rxe)
    {
      const char *indication;
      double      max_24h;

      if (!coded_text_at (a, rx, 7, 1, &instructions, error)
          || !coded_text_at (a, rx, 27, 1, &indication, error)
          || !number_at (a, rx, 19, 1, &max_24h, error))
        return FALSE;
      if (order->kind == WK_ORDER_PRN)
        {
          if (max_24h < 0)
            return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, rx, 19, 1,
                         "the 24-hour maximum must be above 0");
          order->prn_indication = g_strdup (indication);
          order->prn_max_24h = max_24h;
        }
    }
  g_free (order->instructions);
  order->instructions = g_strdup (instructions);
  g_free (order->prescriber);
  return name_at (a, g->orc, 12, 2, &order->prescriber, error);
}

/* The current version of the order ORC-2 names, in @order (NULL when the model has none);
 * refused when it belongs to another patient than PID-3's. */
static gboolean
current_order (Apply            *a,
               const OrderGroup *g,
               const char       *placer,
               WkPatient        *patient,
               WkOrder         **order,
               GError          **error)
{
  g_autoptr (GError) local = NULL;

  *order = wk_order_load_current (a->model, placer, &local);
  if (*order == NULL && !g_error_matches (local, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return model_failed (a, g->orc, error);
    }
  if (*order != NULL && patient != NULL && (*order)->patient_id != patient->id)
    {
      gint64 owner = (*order)->patient_id;

      g_clear_pointer (order, wk_order_free);
      return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_UNKNOWN_KEY, g->orc, 2, 1,
                   "order %s belongs to patient #%" G_GINT64_FORMAT
                   ", not to patient #%" G_GINT64_FORMAT " named in PID-3; nothing was changed",
                   placer, owner, patient->id);
    }
  return TRUE;
}

/* Whether two versions of an order say the same thing (what a resent order does). */
static gboolean
same_order (const WkOrder *x, const WkOrder *y)
{
  return x->kind == y->kind && x->status == y->status && x->dose == y->dose
         && x->dose_max == y->dose_max && x->min_interval_min == y->min_interval_min
         && x->prn_max_24h == y->prn_max_24h && x->start_at == y->start_at
         && x->stop_at == y->stop_at && g_strcmp0 (x->dmd_code, y->dmd_code) == 0
         && g_strcmp0 (x->drug, y->drug) == 0 && g_strcmp0 (x->dose_unit, y->dose_unit) == 0
         && g_strcmp0 (x->route, y->route) == 0 && g_strcmp0 (x->frequency, y->frequency) == 0
         && g_strcmp0 (x->admin_times, y->admin_times) == 0
         && g_strcmp0 (x->prn_indication, y->prn_indication) == 0
         && g_strcmp0 (x->prescriber, y->prescriber) == 0
         && g_strcmp0 (x->instructions, y->instructions) == 0;
}

/* Refuses a change to (or a dose of) an order the model does not have, saying why it may
 * be missing when the patient's orders from before their arrival are awaited. */
static gboolean
unknown_order (Apply *a, guint orc, const char *placer, const WkPatient *patient, GError **error)
{
  if (patient != NULL && patient->arrival != WK_ARRIVAL_NONE)
    {
      g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (patient->arrived_at);
      g_autofree char *when = at != NULL ? g_date_time_format_iso8601 (at) : g_strdup ("?");

      return fail (a, error, WK_SNAPSHOT_ERROR_NOT_FOUND, HL7_UNKNOWN_KEY, orc, 2, 1,
                   "order %s is not in the model: patient #%" G_GINT64_FORMAT " arrived from "
                   "a ward this kiosk does not keep at %s, and their orders from before have "
                   "not been sent (RDE^O11 XO for each, with RXE, RXR and TQ1); nothing was "
                   "changed",
                   placer, patient->id, when);
    }
  return fail (a, error, WK_SNAPSHOT_ERROR_NOT_FOUND, HL7_UNKNOWN_KEY, orc, 2, 1,
               "order %s is not in the model; nothing was changed", placer);
}

static gboolean
apply_order_group (Apply *a, const OrderGroup *g, WkPatient *patient, int pid, GError **error)
{
  static const char *const controls[] = { "NW", "XO", "DC", "CA", "HD", "RL", NULL };
  const char              *control, *placer, *order_status;
  gint64                   transaction_at;
  gboolean                 sends_order; /* NW or XO: the whole order */
  g_autoptr (WkOrder) current = NULL;
  g_autoptr (WkOrder) order = NULL;

  if (!text_at (a, g->orc, 1, 1, 1, &control, error)
      || !text_at (a, g->orc, 2, 1, 1, &placer, error)
      || !text_at (a, g->orc, 5, 1, 1, &order_status, error)
      || !time_at (a, g->orc, 9, 1, &transaction_at, error))
    return FALSE;
  if (control == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, g->orc, 1, 1,
                 "the order control is missing");
  if (!g_strv_contains (controls, control))
    return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, g->orc, 1, 1,
                 "order control %s is not taken (NW, XO, DC, CA, HD, RL)", control);
  if (placer == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, g->orc, 2, 1,
                 "the placer order number is missing");
  if (strlen (placer) > 64)
    return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_DATA_TYPE, g->orc, 2, 1,
                 "the placer order number is longer than 64 characters");
  if (transaction_at == 0)
    transaction_at = a->message_at;
  sends_order = strcmp (control, "NW") == 0 || strcmp (control, "XO") == 0;

  if (!current_order (a, g, placer, patient, &current, error))
    return FALSE;
  if (current != NULL && transaction_at < current->transaction_at)
    {
      g_autofree char *note
          = g_strdup_printf ("stale: order %s has a newer version (%d) in the model; not applied",
                             placer, current->version);

      a->stale = TRUE;
      add_note (a, note);
      return TRUE;
    }

  if (current == NULL)
    {
      /* An order the model does not have is taken from the message when the message
       * carries the whole order (RXE, RXR, timing): a new order, or one placed before
       * this kiosk followed the patient (the engine's list after a transfer). A change
       * without the order itself is refused: nothing is guessed. */
      if (strcmp (control, "NW") != 0 && g->rxe < 0 && g->rxo < 0)
        return unknown_order (a, g->orc, placer, patient, error);
      if (patient == NULL)
        return require_segment (a, pid, "PID", error);
      order = wk_order_new ();
      order->patient_id = patient->id;
      order->placer_id = g_strdup (placer);
      order->version = 1;
      order->status = WK_ORDER_ACTIVE;
      order->status_at = transaction_at;
      if (!read_order (a, g, transaction_at, order, error))
        return FALSE;
      if (strcmp (control, "NW") != 0)
        {
          g_autofree char *note = g_strdup_printf (
              "order %s was not in the model: taken whole from this %s", placer, control);

          add_note (a, note);
        }
    }
  else if (strcmp (control, "NW") == 0)
    return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_DUPLICATE_KEY, g->orc, 2, 1,
                 "order %s already exists; a change is sent as XO", placer);
  else
    {
      if (current->status == WK_ORDER_DISCONTINUED)
        return fail (a, error, WK_SNAPSHOT_ERROR_CONSTRAINT, HL7_INTERNAL, g->orc, 1, 1,
                     "order %s is discontinued and cannot be changed (%s); send a new order",
                     placer, control);
      order = wk_order_copy (current);
      order->version = current->version + 1;
      if (strcmp (control, "XO") == 0 && !read_order (a, g, transaction_at, order, error))
        return FALSE;
    }

  /* The status: what the order control says, or for a whole order ORC-5 `HD` (held). */
  if (strcmp (control, "DC") == 0 || strcmp (control, "CA") == 0)
    {
      order->status = WK_ORDER_DISCONTINUED;
      order->status_at = transaction_at;
      if (order->stop_at == 0 || order->stop_at > transaction_at)
        order->stop_at = MAX (transaction_at, order->start_at);
    }
  else if (strcmp (control, "HD") == 0 || strcmp (control, "RL") == 0)
    {
      order->status = strcmp (control, "HD") == 0 ? WK_ORDER_HELD : WK_ORDER_ACTIVE;
      order->status_at = transaction_at;
    }
  else if (g_strcmp0 (order_status, "HD") == 0 && order->status != WK_ORDER_HELD)
    {
      order->status = WK_ORDER_HELD;
      order->status_at = transaction_at;
    }

  /* An order from before the patient's arrival, sent whole: the engine is sending the
   * patient's orders (see apply_pharmacy()). */
  if (sends_order && patient != NULL && patient->arrival != WK_ARRIVAL_NONE
      && transaction_at <= patient->arrived_at)
    a->orders_resent = TRUE;

  /* Sent again as it is: the same order, acknowledged without a new version. */
  if (current != NULL && strcmp (control, "XO") == 0 && same_order (order, current))
    {
      g_autofree char *note = g_strdup_printf (
          "no change: order %s is already as sent (version %d)", placer, current->version);

      add_note (a, note);
      return TRUE;
    }
  g_free (order->order_control);
  order->order_control = g_strdup (control);
  order->transaction_at = transaction_at;
  if (!wk_order_insert (a->model, order, error))
    return model_failed (a, g->rxe >= 0 ? g->rxe : g->orc, error);
  return TRUE;
}

/* The patient a pharmacy message names in PID, or NULL with @error unset when it is for
 * a ward this kiosk does not keep. */
static gboolean
pharmacy_patient (Apply *a, int pid, WkPatient **patient, gboolean *ignored, GError **error)
{
  Identity id;
  Location location;

  *patient = NULL;
  *ignored = FALSE;
  if (pid < 0)
    return TRUE;
  if (!read_identity (a, pid, 3, &id, error) || !find_patient (a, &id, pid, 3, patient, error)
      || !read_location (a, segment_after (a, "PV1", pid + 1, "ORC"), 3, &location, error))
    return FALSE;
  if (*patient == NULL && location.ward != NULL && !location.accepted)
    {
      *ignored = TRUE;
      return ignore (a, "not for a ward this kiosk keeps; not applied");
    }
  if (*patient == NULL)
    return unknown_patient (a, pid, error);
  return TRUE;
}

static gboolean
apply_administration (Apply *a, int rxa, const WkOrder *order, GError **error)
{
  const char      *status, *reason, *unit, *sub_id;
  g_autofree char *by = NULL;
  g_autoptr (WkAdministration) record = wk_administration_new (order->placer_id, order->version);
  g_autoptr (WkAdministration) known = NULL;
  GError   *local = NULL;
  WkHl7Span at_raw;
  double    dose;

  if (!text_at (a, rxa, 20, 1, 1, &status, error) || !coded_text_at (a, rxa, 18, 1, &reason, error)
      || !text_at (a, rxa, 7, 1, 1, &unit, error) || !text_at (a, rxa, 2, 1, 1, &sub_id, error)
      || !number_at (a, rxa, 6, 1, &dose, error) || !time_at (a, rxa, 3, 1, &record->at, error)
      || !name_at (a, rxa, 10, 2, &by, error))
    return FALSE;
  if (unit == NULL && !text_at (a, rxa, 7, 1, 2, &unit, error))
    return FALSE;
  if (record->at == 0)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, rxa, 3, 1,
                 "the time of the administration is missing");
  if (presence (a, rxa, 21, 1) == WK_HL7_PRESENT)
    {
      const char *action;

      if (!text_at (a, rxa, 21, 1, 1, &action, error))
        return FALSE;
      if (strcmp (action, "A") != 0)
        return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, rxa, 21, 1,
                     "only new administrations (action code A) are taken; corrections and "
                     "deletions must be made in the EPR");
    }
  if (status == NULL || strcmp (status, "CP") == 0 || strcmp (status, "PA") == 0)
    {
      record->given = TRUE;
      if (!(dose > 0) || dose == 999)
        return fail (a, error,
                     presence (a, rxa, 6, 1) == WK_HL7_PRESENT ? WK_SNAPSHOT_ERROR_INVALID
                                                               : WK_SNAPSHOT_ERROR_HL7_MISSING,
                     HL7_REQUIRED_MISSING, rxa, 6, 1, "a dose given needs its amount above 0");
      record->dose = dose;
      record->dose_unit = g_strdup (unit != NULL ? unit : order->dose_unit);
    }
  else if (strcmp (status, "RE") == 0 || strcmp (status, "NA") == 0)
    {
      record->given = FALSE;
      if (reason == NULL && strcmp (status, "RE") == 0)
        reason = "refused";
      if (reason == NULL)
        return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, rxa, 18, 1,
                     "a dose not given needs its reason");
      record->reason = g_strdup (reason);
    }
  else
    return fail (a, error, WK_SNAPSHOT_ERROR_INVALID, HL7_TABLE_VALUE, rxa, 20, 1,
                 "not a completion status (CP, PA, RE, NA)");
  record->by_whom = g_steal_pointer (&by);
  record->source = WK_ADMINISTRATION_FROM_FEED;
  at_raw = wk_hl7_message_get_raw (a->m, rxa, 3, 1, 1, 1);
  record->external_id = g_strdup_printf ("%s/%.*s/%s", order->placer_id, (int)at_raw.length,
                                         at_raw.data, sub_id != NULL ? sub_id : "");

  /* A record sent again in another message is already there: not counted twice. */
  known = wk_administration_load_by_external_id (a->model, record->external_id, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return model_failed (a, rxa, error);
    }
  if (known != NULL && strcmp (known->placer_id, order->placer_id) == 0)
    {
      add_note (a, "an administration already recorded was not recorded again");
      return TRUE;
    }
  if (!wk_administration_insert (a->model, record, error))
    return model_failed (a, rxa, error);
  return TRUE;
}

/* RAS: the RXA segments of one order group. */
static gboolean
apply_administration_group (
    Apply *a, const OrderGroup *g, WkPatient *patient, int pid, GError **error)
{
  const char *placer;
  g_autoptr (WkOrder) order = NULL;
  gboolean any = FALSE;

  if (!text_at (a, g->orc, 2, 1, 1, &placer, error))
    return FALSE;
  if (placer == NULL)
    return fail (a, error, WK_SNAPSHOT_ERROR_HL7_MISSING, HL7_REQUIRED_MISSING, g->orc, 2, 1,
                 "the placer order number is missing");
  if (!current_order (a, g, placer, patient, &order, error))
    return FALSE;
  /* A dose cannot be kept without its order: refused, so that it is sent again once the
   * order is here, rather than lost (a dose lost is a dose given twice). */
  if (order == NULL)
    return unknown_order (a, g->orc, placer, patient, error);
  for (int rxa = g->orc + 1; rxa < g->end; rxa++)
    if (wk_hl7_message_segment_is (a->m, rxa, "RXA"))
      {
        any = TRUE;
        if (!apply_administration (a, rxa, order, error))
          return FALSE;
      }
  if (!any)
    return require_segment (a, -1, "RXA", error);
  return TRUE;
}

typedef gboolean (*GroupFunc) (
    Apply *a, const OrderGroup *g, WkPatient *patient, int pid, GError **error);

/* RDE and RAS: the patient (PID, optional), then each ORC group. */
static gboolean
apply_pharmacy (Apply *a, GroupFunc apply_group, GError **error)
{
  int pid = segment_after (a, "PID", 1, "ORC");
  g_autoptr (WkPatient) patient = NULL;
  g_autoptr (GArray) groups = order_groups (a);
  gboolean ignored;

  if (groups->len == 0)
    return require_segment (a, -1, "ORC", error);
  if (!pharmacy_patient (a, pid, &patient, &ignored, error))
    return FALSE;
  if (ignored)
    return TRUE;
  for (guint i = 0; i < groups->len; i++)
    if (!apply_group (a, &g_array_index (groups, OrderGroup, i), patient, pid, error))
      return FALSE;

  /* The engine sent the patient's orders from before their arrival (the profile sends all
   * of them in one message): the chart no longer needs to warn. New orders alone (placed
   * after the arrival) say nothing about the ones from before, and do not clear it. */
  if (a->orders_resent && patient != NULL && patient->arrival != WK_ARRIVAL_NONE)
    {
      patient->arrival = WK_ARRIVAL_NONE;
      patient->arrived_at = 0;
      g_clear_pointer (&patient->arrived_from, g_free);
      if (!wk_patient_update (a->model, patient, error))
        return model_failed (a, pid, error);
      add_note (a, "the patient's orders from before their arrival are received");
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------- */
/* One message                                                                        */

static const char *
hl7_code_text (int code)
{
  switch (code)
    {
    case HL7_SEGMENT_SEQUENCE:
      return "Segment sequence error";
    case HL7_REQUIRED_MISSING:
      return "Required field missing";
    case HL7_DATA_TYPE:
      return "Data type error";
    case HL7_TABLE_VALUE:
      return "Table value not found";
    case HL7_UNSUPPORTED_TYPE:
      return "Unsupported message type";
    case HL7_UNSUPPORTED_EVENT:
      return "Unsupported event code";
    case HL7_UNSUPPORTED_PROCESSING:
      return "Unsupported processing id";
    case HL7_UNSUPPORTED_VERSION:
      return "Unsupported version id";
    case HL7_UNKNOWN_KEY:
      return "Unknown key identifier";
    case HL7_DUPLICATE_KEY:
      return "Duplicate key identifier";
    default:
      return "Application internal error";
    }
}

static int
default_hl7_code (const GError *error)
{
  if (error->domain != WK_SNAPSHOT_ERROR)
    return HL7_INTERNAL;
  switch (error->code)
    {
    case WK_SNAPSHOT_ERROR_HL7_SYNTAX:
    case WK_SNAPSHOT_ERROR_INVALID:
      return HL7_DATA_TYPE;
    case WK_SNAPSHOT_ERROR_HL7_MISSING:
      return HL7_REQUIRED_MISSING;
    case WK_SNAPSHOT_ERROR_HL7_UNSUPPORTED:
      return HL7_UNSUPPORTED_TYPE;
    case WK_SNAPSHOT_ERROR_NOT_FOUND:
      return HL7_UNKNOWN_KEY;
    default:
      return HL7_INTERNAL;
    }
}

static void
refuse (Outcome *o, const char *ack, int hl7_code, const char *text)
{
  o->ack = ack;
  o->hl7_code = hl7_code;
  g_free (o->text);
  /* Texts are written to be UTF-8; an ACK must never carry bytes that do not decode. */
  o->text = text != NULL ? g_utf8_make_valid (text, -1) : NULL;
}

/* 32 hex digits of BLAKE2b over the message type (MSH-9) and everything after MSH: a
 * resend with a new MSH-7 is the same message, a reused control id is not. */
static void
message_digest (WkHl7Message *m, char hex[33])
{
  WkHl7Span   all = wk_hl7_message_get_bytes (m);
  WkHl7Span   type = wk_hl7_message_get_raw (m, 0, 9, 0, 0, 0);
  WkHl7Span   msh_end = wk_hl7_message_get_raw (m, 0, wk_hl7_message_get_n_fields (m, 0), 0, 0, 0);
  const char *body = msh_end.data != NULL ? msh_end.data + msh_end.length : all.data;
  crypto_generichash_state state;
  guint8                   hash[16];

  crypto_generichash_init (&state, NULL, 0, sizeof hash);
  crypto_generichash_update (&state, (const guint8 *)type.data, type.length);
  crypto_generichash_update (&state, (const guint8 *)body, all.data + all.length - body);
  crypto_generichash_final (&state, hash, sizeof hash);
  sodium_bin2hex (hex, 33, hash, sizeof hash);
}

static gboolean
version_is_taken (const char *version)
{
  static const char *const taken[] = { "2.3", "2.3.1", "2.4", "2.5", "2.5.1", NULL };

  return version != NULL && g_strv_contains (taken, version);
}

/* Checks MSH: what is refused here is refused with AR. */
static gboolean
check_header (WkFeed *feed, WkHl7Message *m, Outcome *o)
{
  const char *type = wk_hl7_message_get_type (m);
  const char *event = wk_hl7_message_get_event (m);
  const char *control_id = wk_hl7_message_get_control_id (m);
  const char *processing = wk_hl7_message_get_text (m, 0, 11, 1, 1, 1, NULL);
  const char *version = wk_hl7_message_get_version (m);
  gboolean    taken = FALSE;

  o->located = TRUE;
  if (control_id == NULL || strlen (control_id) > 199)
    {
      o->location = (WkHl7Location){ 0, 10, 1, 1, 0 };
      refuse (o, "AR", HL7_REQUIRED_MISSING,
              "MSH-10: the message control id is missing or longer than 199 characters");
      return FALSE;
    }
  if (!version_is_taken (version))
    {
      o->location = (WkHl7Location){ 0, 12, 1, 1, 0 };
      refuse (o, "AR", HL7_UNSUPPORTED_VERSION,
              "MSH-12: the HL7 version is not one wardkeep takes (2.3, 2.3.1, 2.4, 2.5, 2.5.1)");
      return FALSE;
    }
  if (processing != NULL && strcmp (processing, "P") != 0)
    {
      o->location = (WkHl7Location){ 0, 11, 1, 1, 0 };
      refuse (o, "AR", HL7_UNSUPPORTED_PROCESSING,
              "MSH-11: only production messages (P) are applied; this one is for training or "
              "debugging");
      return FALSE;
    }
  if (type == NULL
      || (strcmp (type, "ADT") != 0 && strcmp (type, "RDE") != 0 && strcmp (type, "RAS") != 0
          && strcmp (type, "RDS") != 0))
    {
      o->location = (WkHl7Location){ 0, 9, 1, 1, 0 };
      refuse (o, "AR", HL7_UNSUPPORTED_TYPE,
              "MSH-9.1: the message type is not one wardkeep takes (ADT, RDE, RAS, RDS)");
      return FALSE;
    }
  if (event != NULL && strcmp (type, "ADT") == 0)
    for (gsize i = 0; i < G_N_ELEMENTS (adt_events); i++)
      taken = taken || strcmp (adt_events[i].event, event) == 0;
  else if (event != NULL)
    taken = (strcmp (type, "RDE") == 0 && strcmp (event, "O11") == 0)
            || (strcmp (type, "RAS") == 0 && strcmp (event, "O17") == 0)
            || (strcmp (type, "RDS") == 0 && strcmp (event, "O13") == 0);
  if (!taken)
    {
      o->location = (WkHl7Location){ 0, 9, 1, 2, 0 };
      refuse (o, "AR", HL7_UNSUPPORTED_EVENT,
              "MSH-9.2: the trigger event is not one wardkeep takes (ADT A01 A02 A03 A04 A05 A08 "
              "A11 A12 A13 A17 A31 A40, RDE^O11, RAS^O17, RDS^O13)");
      return FALSE;
    }
  o->located = FALSE;
  return TRUE;
}

static gint64
now_us (WkFeed *feed)
{
  return feed->clock != NULL ? feed->clock (feed->clock_data) : g_get_real_time ();
}

/* Applies one parsed message in one transaction. */
static void
apply_message (WkFeed *feed, WkHl7Message *m, Outcome *o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkFeedMessage) seen = NULL;
  g_autoptr (GString) note = g_string_new (NULL);
  const char *control_id = wk_hl7_message_get_control_id (m);
  const char *type = wk_hl7_message_get_type (m);
  const char *event = wk_hl7_message_get_event (m);
  Apply       a = { feed, m, feed->model, 0, 0, 0, FALSE, FALSE, FALSE, FALSE, note };
  char        digest[33];
  gboolean    ok;

  /* A repeat is acknowledged again; a control id reused for other content is not. */
  message_digest (m, digest);
  seen = wk_feed_message_load (feed->model, control_id, NULL);
  if (seen != NULL)
    {
      if (strcmp (seen->digest, digest) != 0)
        {
          o->located = TRUE;
          o->location = (WkHl7Location){ 0, 10, 1, 1, 0 };
          refuse (o, "AR", HL7_DUPLICATE_KEY,
                  "MSH-10: this control id was already used for a different message; nothing "
                  "was changed");
          return;
        }
      o->duplicate = TRUE;
      refuse (o, "AA", 0, "duplicate: this message was already applied; not applied again");
      return;
    }

  /* Times: MSH-7 is the message's; the event's is EVN-6, else EVN-2, else MSH-7. */
  {
    GError *local = NULL;
    int     evn = segment_after (&a, "EVN", 1, NULL);

    if (!time_at (&a, 0, 7, 1, &a.message_at, &local)
        || (evn >= 0
            && (!time_at (&a, evn, 6, 1, &a.event_at, &local)
                || (a.event_at == 0 && !time_at (&a, evn, 2, 1, &a.event_at, &local)))))
      {
        refuse (o, "AE", HL7_DATA_TYPE, local->message);
        o->located = TRUE;
        o->location = *wk_hl7_message_get_error_location (m);
        g_error_free (local);
        return;
      }
    if (a.message_at == 0)
      {
        o->located = TRUE;
        o->location = (WkHl7Location){ 0, 7, 1, 1, 0 };
        refuse (o, "AR", HL7_REQUIRED_MISSING, "MSH-7: the time of the message is missing");
        return;
      }
    if (a.event_at == 0)
      a.event_at = a.message_at;
  }

  if (!wk_model_begin (feed->model, &error))
    {
      refuse (o, "AE", HL7_INTERNAL, error->message);
      return;
    }
  if (strcmp (type, "ADT") == 0)
    {
      AdtKind kind = ADT_UPDATE;

      for (gsize i = 0; i < G_N_ELEMENTS (adt_events); i++)
        if (strcmp (adt_events[i].event, event) == 0)
          kind = adt_events[i].kind;
      ok = apply_adt (&a, kind, &error);
    }
  else if (strcmp (type, "RDE") == 0)
    ok = apply_pharmacy (&a, apply_order_group, &error);
  else if (strcmp (type, "RAS") == 0)
    ok = apply_pharmacy (&a, apply_administration_group, &error);
  else
    {
      add_note (&a, "noted: dispenses (RDS O13) do not change the chart");
      ok = TRUE;
    }

  if (ok)
    {
      g_autoptr (WkFeedMessage) record
          = wk_feed_message_new (control_id, digest, "AA", note->len > 0 ? note->str : NULL,
                                 now_us (feed) / G_USEC_PER_SEC);

      ok = wk_feed_message_insert (feed->model, record, &error);
    }
  if (!ok || !wk_model_commit (feed->model, &error))
    {
      wk_model_rollback (feed->model);
      refuse (o, "AE", a.hl7_code != 0 ? a.hl7_code : default_hl7_code (error), error->message);
      o->located = a.located;
      o->location = *wk_hl7_message_get_error_location (m);
      return;
    }
  o->ack = "AA";
  o->stale = a.stale;
  o->ignored = a.ignored;
  if (note->len > 0)
    o->text = g_strdup (note->str);
}

/* The control id of a message that did not parse, when its MSH line gives one. */
static char *
salvage_control_id (const guint8 *data, gsize size)
{
  const char *p = (const char *)data, *end = p + size;
  char        fs;
  guint       field = 2; /* the field being read: MSH-2 follows "MSH|" */

  while (p < end && (*p == '\r' || *p == '\n'))
    p++;
  if (end - p < 4 || memcmp (p, "MSH", 3) != 0)
    return NULL;
  fs = p[3];
  for (p += 4; p < end && *p != '\r' && *p != '\n'; p++)
    if (*p == fs)
      {
        if (++field == 10)
          {
            const char *stop = p + 1;

            while (stop < end && *stop != fs && *stop != '\r' && *stop != '\n' && *stop != '^')
              stop++;
            for (const char *c = p + 1; c < stop; c++)
              if ((guint8)*c < 0x20 || (guint8)*c >= 0x7f || *c == '\\')
                return NULL;
            return stop - (p + 1) > 0 && stop - (p + 1) < 200 ? g_strndup (p + 1, stop - (p + 1))
                                                              : NULL;
          }
      }
  return NULL;
}

/* Builds the acknowledgement of one message. */
static GBytes *
build_ack (WkFeed *feed, WkHl7Message *m, const char *control_id, const Outcome *o)
{
  const WkHl7Delimiters *d = m != NULL ? wk_hl7_message_get_delimiters (m) : NULL;
  g_autoptr (WkHl7Builder) b = NULL;
  g_autofree char *ack_id = NULL;
  g_autofree char *type = NULL;
  const char      *event = m != NULL ? wk_hl7_message_get_event (m) : NULL;
  const char      *version = m != NULL ? wk_hl7_message_get_version (m) : NULL;
  gint64           now = now_us (feed);

  if (d != NULL && (d->escape == 0 || d->subcomponent == 0))
    d = NULL;
  b = wk_hl7_builder_new (d);
  if (!version_is_taken (version))
    version = "2.5.1";
  ack_id = g_strdup_printf ("WK%" G_GINT64_FORMAT "-%" G_GUINT64_FORMAT, now / G_USEC_PER_SEC,
                            ++feed->ack_counter);
  type = event != NULL && strlen (event) <= 3 ? g_strconcat ("ACK^", event, "^ACK", NULL)
                                              : g_strdup ("ACK");
  wk_hl7_builder_msh (b, type, ack_id, now / G_USEC_PER_SEC);
  wk_hl7_builder_field (b, 3, "WARDKEEP");
  wk_hl7_builder_field (b, 4, feed->home_ward);
  /* MSH-5/MSH-6 echo the sender; the text may quote the message (an order number, a
   * code). Declare UTF-8 when any of it is more than ASCII, else nothing (ASCII, which
   * every receiver reads). */
  {
    const char *quoted[] = { m != NULL ? wk_hl7_message_get_text (m, 0, 3, 1, 1, 1, NULL) : NULL,
                             m != NULL ? wk_hl7_message_get_text (m, 0, 4, 1, 1, 1, NULL) : NULL,
                             o->text, feed->home_ward, control_id };
    gboolean ascii = TRUE;

    for (guint i = 0; i < G_N_ELEMENTS (quoted); i++)
      for (const char *p = quoted[i]; p != NULL && *p != '\0'; p++)
        ascii = ascii && (guint8)*p < 0x80;
    wk_hl7_builder_field (b, 5, quoted[0]);
    wk_hl7_builder_field (b, 6, quoted[1]);
    wk_hl7_builder_field (b, 12, version);
    wk_hl7_builder_field (b, 18, ascii ? NULL : "UNICODE UTF-8");
  }

  wk_hl7_builder_segment (b, "MSA");
  wk_hl7_builder_field (b, 1, o->ack);
  wk_hl7_builder_field (b, 2, control_id);
  wk_hl7_builder_field (b, 3, o->text);

  if (strcmp (o->ack, "AA") != 0)
    {
      wk_hl7_builder_segment (b, "ERR");
      if (o->located && m != NULL
          && wk_hl7_message_get_segment_id (m, o->location.segment).length == 3)
        {
          WkHl7Span        id = wk_hl7_message_get_segment_id (m, o->location.segment);
          g_autofree char *segment = g_strndup (id.data, id.length);
          guint            sequence = 0;

          for (guint i = 0; i <= o->location.segment; i++)
            if (wk_hl7_message_segment_is (m, i, segment))
              sequence++;
          /* ERR-1 for v2.3/v2.4 receivers, ERR-2 for v2.5 ones. */
          wk_hl7_builder_set (b, 1, 1, 1, 1, segment);
          wk_hl7_builder_set (b, 2, 1, 1, 1, segment);
          if (sequence > 0)
            {
              g_autofree char *n = g_strdup_printf ("%u", sequence);

              wk_hl7_builder_set (b, 1, 1, 2, 1, n);
              wk_hl7_builder_set (b, 2, 1, 2, 1, n);
            }
          if (o->location.field > 0)
            {
              g_autofree char *f = g_strdup_printf ("%u", o->location.field);
              g_autofree char *r = g_strdup_printf ("%u", MAX (o->location.repetition, 1));
              g_autofree char *c = g_strdup_printf ("%u", o->location.component);

              wk_hl7_builder_set (b, 1, 1, 3, 1, f);
              wk_hl7_builder_set (b, 2, 1, 3, 1, f);
              wk_hl7_builder_set (b, 2, 1, 4, 1, r);
              if (o->location.component > 0)
                wk_hl7_builder_set (b, 2, 1, 5, 1, c);
            }
        }
      {
        g_autofree char *code = g_strdup_printf ("%d", o->hl7_code);

        wk_hl7_builder_set (b, 1, 1, 4, 1, code);
        wk_hl7_builder_set (b, 1, 1, 4, 2, hl7_code_text (o->hl7_code));
        wk_hl7_builder_set (b, 3, 1, 1, 1, code);
        wk_hl7_builder_set (b, 3, 1, 2, 1, hl7_code_text (o->hl7_code));
        wk_hl7_builder_set (b, 3, 1, 3, 1, "HL70357");
      }
      wk_hl7_builder_field (b, 4, "E");
      wk_hl7_builder_field (b, 8, o->text);
    }
  return wk_hl7_builder_end (b);
}

static void
count (WkFeed *feed, const Outcome *o, const char *control_id, const char *what)
{
  gint64 now = now_us (feed);
  gint64 second = now / G_USEC_PER_SEC;
  guint  bucket = (guint)(second % BUCKETS);

  feed->last_message_at = now;
  if (feed->bucket_second[bucket] != second)
    {
      feed->bucket_second[bucket] = second;
      feed->bucket_count[bucket] = 0;
    }
  feed->bucket_count[bucket]++;

  if (strcmp (o->ack, "AA") == 0)
    {
      feed->n_aa++;
      feed->n_duplicates += o->duplicate;
      feed->n_stale += o->stale;
      feed->n_ignored += o->ignored;
      g_debug ("HL7 %s %s: AA%s%s", what, control_id != NULL ? control_id : "(no id)",
               o->text != NULL ? ", " : "", o->text != NULL ? o->text : "");
      return;
    }
  if (strcmp (o->ack, "AE") == 0)
    feed->n_ae++;
  else
    feed->n_ar++;
  g_free (feed->last_error);
  feed->last_error = g_strdup (o->text);
  feed->last_error_at = now;
  g_message ("HL7 %s %s refused with %s (%d): %s", what,
             control_id != NULL ? control_id : "(no id)", o->ack, o->hl7_code, o->text);
}

/* Parses, checks and applies one message; returns its acknowledgement. */
static GBytes *
handle_one (WkFeed *feed, const guint8 *data, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Message) m = NULL;
  g_autofree char *salvaged = NULL;
  g_autofree char *what = NULL;
  Outcome          o = { "AA", 0, NULL, FALSE, { 0 }, FALSE, FALSE, FALSE };
  const char      *control_id = NULL;
  GBytes          *ack;

  m = wk_hl7_message_parse (data, size, &feed->parse_options, &error);
  if (m == NULL)
    {
      salvaged = salvage_control_id (data, size);
      control_id = salvaged;
      refuse (&o, "AR", HL7_DATA_TYPE, error->message);
      what = g_strdup ("message");
    }
  else
    {
      control_id = wk_hl7_message_get_control_id (m);
      what = g_strdup_printf (
          "%s^%s", wk_hl7_message_get_type (m) != NULL ? wk_hl7_message_get_type (m) : "?",
          wk_hl7_message_get_event (m) != NULL ? wk_hl7_message_get_event (m) : "?");
      if (check_header (feed, m, &o))
        apply_message (feed, m, &o);
    }
  count (feed, &o, control_id, what);
  ack = build_ack (feed, m, control_id, &o);
  g_free (o.text);
  return ack;
}

/**
 * wk_feed_handle:
 * @feed: a #WkFeed
 * @data: one MLLP frame's payload: a message, or a batch
 * @size: its size in bytes
 *
 * Applies the payload to the model, each message in one transaction, and builds the
 * acknowledgement to send back: an ACK for a message; for a batch, a batch of ACKs in
 * the same envelope (`[FHS] BHS ACK... BTS [FTS]`), one per message in order. A payload
 * that is not HL7 at all, or a batch whose envelope is broken, gets one ACK with `AR`
 * and nothing in it is applied.
 *
 * Returns: (transfer full): the acknowledgement; never %NULL
 */
GBytes *
wk_feed_handle (WkFeed *feed, const guint8 *data, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WkHl7Batch) batch = NULL;
  g_autoptr (WkHl7Builder) out = NULL;
  gboolean         file;
  gint64           now;
  g_autofree char *time = NULL;

  g_return_val_if_fail (feed != NULL, NULL);
  g_return_val_if_fail (data != NULL || size == 0, NULL);

  batch = wk_hl7_batch_split (data, size, feed->parse_options.max_size, &error);
  if (batch == NULL)
    {
      Outcome o
          = { "AR", HL7_DATA_TYPE, g_strdup (error->message), FALSE, { 0 }, FALSE, FALSE, FALSE };
      GBytes *ack;

      count (feed, &o, NULL, "batch");
      ack = build_ack (feed, NULL, NULL, &o);
      g_free (o.text);
      return ack;
    }
  if (batch->header.length == 0)
    return handle_one (feed, data, size);

  /* A batch of acknowledgements in the same envelope, with the standard delimiters (each
   * ACK inside uses its message's own). */
  file = memcmp (batch->header.data, "FHS", 3) == 0;
  now = now_us (feed) / G_USEC_PER_SEC;
  time = wk_hl7_format_time (now);
  out = wk_hl7_builder_new (NULL);
  for (int i = file ? 0 : 1; i < 2; i++)
    {
      g_autofree char *ward = wk_hl7_escape (NULL, feed->home_ward);
      g_autofree char *header
          = g_strdup_printf ("%s|^~\\&|WARDKEEP|%s|||%s", i == 0 ? "FHS" : "BHS", ward, time);

      wk_hl7_builder_append_raw (out, header, -1);
    }
  for (guint i = 0; i < batch->messages->len; i++)
    {
      WkHl7Span span = g_array_index (batch->messages, WkHl7Span, i);
      g_autoptr (GBytes) ack = handle_one (feed, (const guint8 *)span.data, span.length);
      gsize       length;
      const char *text = g_bytes_get_data (ack, &length);

      wk_hl7_builder_append_raw (out, text, length);
    }
  {
    g_autofree char *trailer = g_strdup_printf ("BTS|%u", batch->messages->len);

    wk_hl7_builder_append_raw (out, trailer, -1);
    if (file)
      {
        g_autofree char *fts = g_strdup ("FTS|1");

        wk_hl7_builder_append_raw (out, fts, -1);
      }
  }
  return wk_hl7_builder_end (out);
}

/* ---------------------------------------------------------------------------------- */
/* Setting up                                                                         */

static char *
authority (const char *value)
{
  return g_strcmp0 (value, "*") == 0 ? NULL : g_strdup (value);
}

/**
 * wk_feed_new:
 * @model: (transfer none): the ward model to apply messages to; it must outlive the feed
 * @config: (transfer none): the configuration (`[ward]` and `[hl7]`)
 * @error: return location for a #GError
 *
 * Sets up the feed for one model. Refused with %WK_SNAPSHOT_ERROR_CONFIG when `[hl7]`
 * names one PV1-3 component for two things, and with %WK_SNAPSHOT_ERROR_INVALID for a
 * read-only model.
 *
 * Returns: (transfer full): the feed, or %NULL with @error set
 */
WkFeed *
wk_feed_new (WkModel *model, WkConfig *config, GError **error)
{
  g_autoptr (WkFeed) feed = NULL;
  const char      *wards, *charset;
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  if (wk_model_is_read_only (model))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "The HL7 feed needs a writable ward model, not one loaded read-only");
      return NULL;
    }
  if (sodium_init () < 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_FAILED,
                   "Cannot initialise libsodium");
      return NULL;
    }
  feed = g_new0 (WkFeed, 1);
  feed->model = model;
  feed->zone = g_time_zone_new_identifier (wk_config_get_string (config, "ward", "timezone"));
  if (feed->zone == NULL)
    feed->zone = g_time_zone_new_utc ();
  feed->home_ward = g_strdup (wk_config_get_string (config, "ward", "id"));
  feed->home_ward_name = g_strdup (wk_config_get_string (config, "ward", "name"));
  wards = wk_config_get_string (config, "hl7", "wards");
  trimmed = g_strstrip (g_strdup (wards != NULL ? wards : ""));
  if (wards == NULL)
    feed->wards = g_strsplit (feed->home_ward, "\x01", -1);
  else if (strcmp (trimmed, "*") == 0)
    feed->wards = NULL;
  else
    {
      g_auto (GStrv) parts = g_strsplit_set (wards, " ,", -1);
      g_autoptr (GStrvBuilder) list = g_strv_builder_new ();

      for (guint i = 0; parts[i] != NULL; i++)
        if (*parts[i] != '\0')
          g_strv_builder_add (list, parts[i]);
      feed->wards = g_strv_builder_end (list);
    }
  feed->nhs_type = g_strdup (wk_config_get_string (config, "hl7", "nhs-number-type"));
  feed->nhs_authority = authority (wk_config_get_string (config, "hl7", "nhs-number-authority"));
  feed->mrn_type = g_strdup (wk_config_get_string (config, "hl7", "hospital-number-type"));
  feed->mrn_authority
      = authority (wk_config_get_string (config, "hl7", "hospital-number-authority"));
  feed->loc_ward = wk_config_get_int (config, "hl7", "location-ward");
  feed->loc_bay = wk_config_get_int (config, "hl7", "location-bay");
  feed->loc_bed = wk_config_get_int (config, "hl7", "location-bed");
  if (feed->loc_ward == feed->loc_bed || feed->loc_ward == feed->loc_bay
      || feed->loc_bay == feed->loc_bed)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "%s: [hl7] location-ward, location-bay and location-bed must name different "
                   "components of PV1-3",
                   wk_config_get_path (config));
      return NULL;
    }
  feed->parse_options.max_size = wk_config_get_int (config, "hl7", "max-message-size");
  charset = wk_config_get_string (config, "hl7", "default-charset");
  feed->parse_options.default_charset = strcmp (charset, "utf-8") == 0    ? WK_HL7_CHARSET_UTF8
                                        : strcmp (charset, "8859-1") == 0 ? WK_HL7_CHARSET_LATIN1
                                                                          : WK_HL7_CHARSET_ASCII;
  return g_steal_pointer (&feed);
}

/**
 * wk_feed_free:
 * @feed: (nullable) (transfer full): a #WkFeed
 */
void
wk_feed_free (WkFeed *feed)
{
  if (feed == NULL)
    return;
  g_clear_pointer (&feed->zone, g_time_zone_unref);
  g_strfreev (feed->wards);
  g_free (feed->home_ward);
  g_free (feed->home_ward_name);
  g_free (feed->nhs_type);
  g_free (feed->nhs_authority);
  g_free (feed->mrn_type);
  g_free (feed->mrn_authority);
  g_free (feed->last_error);
  g_free (feed);
}

/**
 * wk_feed_get_health:
 * @feed: a #WkFeed
 * @health: (out caller-allocates): filled with the feed's health
 *
 * Reports the time of the last message, the rate, the last error and the counts.
 */
void
wk_feed_get_health (WkFeed *feed, WkFeedHealth *health)
{
  gint64 second;
  guint  total = 0;

  g_return_if_fail (feed != NULL);
  g_return_if_fail (health != NULL);

  second = now_us (feed) / G_USEC_PER_SEC;
  for (guint i = 0; i < BUCKETS; i++)
    if (feed->bucket_second[i] > second - BUCKETS && feed->bucket_second[i] <= second)
      total += feed->bucket_count[i];
  health->last_message_at = feed->last_message_at;
  health->messages_per_minute = total;
  health->last_error = feed->last_error;
  health->last_error_at = feed->last_error_at;
  health->n_aa = feed->n_aa;
  health->n_ae = feed->n_ae;
  health->n_ar = feed->n_ar;
  health->n_duplicates = feed->n_duplicates;
  health->n_stale = feed->n_stale;
  health->n_ignored = feed->n_ignored;
}

/**
 * wk_feed_set_clock:
 * @feed: a #WkFeed
 * @func: (nullable): returns the time now in UTC microseconds; %NULL for the real clock
 * @user_data: passed to @func
 *
 * Replaces the clock the feed reads (tests, drills).
 */
void
wk_feed_set_clock (WkFeed *feed, WkFeedClockFunc func, gpointer user_data)
{
  g_return_if_fail (feed != NULL);

  feed->clock = func;
  feed->clock_data = user_data;
}
