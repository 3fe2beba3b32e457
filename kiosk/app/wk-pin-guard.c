/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-pin-guard.c — checks the ward and admin PINs, with a limit on wrong attempts that
 * survives a restart.
 *
 * A four-digit PIN has 10,000 values: its hash alone protects nothing, the limit on
 * attempts does. So the limit must not be reset by killing the kiosk (a crash, a
 * restart by systemd, someone pulling the plug): each attempt is counted on disk
 * before the PIN is checked, and a count that cannot be read is taken as a lockout. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-pin-guard.h"

#include "wk-kiosk-error.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#define STATE_FILE "pin-attempts"
#define MAX_LOCKOUT_SECONDS (24 * 3600)
#define PIN_MIN_DIGITS 4
#define PIN_MAX_DIGITS 12

typedef struct
{
  guint  failures;     /* wrong PINs in a row */
  guint  lockouts;     /* lockouts since the last right PIN */
  gint64 locked_until; /* UTC seconds, 0 for none */
} KindState;

struct _WkPinGuard
{
  GMutex    lock;
  char     *directory;
  char     *path;
  guint     max_attempts;
  gint64    lockout_seconds;
  char     *hashes[2];
  KindState state[2];
};

static const char *const kind_groups[] = { "ward", "admin" };

/**
 * wk_pin_is_well_formed:
 * @pin: a PIN as typed
 * @error: return location for an error
 *
 * Returns: whether @pin is 4 to 12 digits
 */
gboolean
wk_pin_is_well_formed (const char *pin, GError **error)
{
  gsize len = pin != NULL ? strlen (pin) : 0;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (pin[i]))
      len = 0;
  if (len < PIN_MIN_DIGITS || len > PIN_MAX_DIGITS)
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PIN_FORMAT,
                   _ ("A PIN is %d to %d digits, nothing else."), PIN_MIN_DIGITS, PIN_MAX_DIGITS);
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_pin_hash:
 * @pin: a PIN of 4 to 12 digits
 * @error: return location for an error
 *
 * Hashes a PIN for the configuration: Argon2id with libsodium's interactive limits
 * (64 MiB, about a tenth of a second), a random salt.
 *
 * Returns: (transfer full) (nullable): the `$argon2id$...` string
 */
char *
wk_pin_hash (const char *pin, GError **error)
{
  char out[crypto_pwhash_STRBYTES];

  if (!wk_pin_is_well_formed (pin, error))
    return NULL;
  if (sodium_init () < 0
      || crypto_pwhash_str (out, pin, strlen (pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE)
             != 0)
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_FAILED,
                   "Hashing the PIN failed: not enough memory for Argon2id (64 MiB)");
      return NULL;
    }
  return g_strdup (out);
}

/* Reads the counts; a file that is there but cannot be read or makes no sense counts
 * as a lockout of both kinds, so that damaging it unlocks nothing. */
static void
load_state (WkPinGuard *guard, gint64 now)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) error = NULL;

  memset (guard->state, 0, sizeof guard->state);
  if (!g_key_file_load_from_file (file, guard->path, G_KEY_FILE_NONE, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return;
      g_warning ("The count of wrong PINs in %s cannot be read (%s): unlocking is blocked for "
                 "%" G_GINT64_FORMAT " s",
                 guard->path, error->message, guard->lockout_seconds);
      for (int k = 0; k < 2; k++)
        {
          guard->state[k].lockouts = 1;
          guard->state[k].locked_until = now + guard->lockout_seconds;
        }
      return;
    }
  for (int k = 0; k < 2; k++)
    {
      KindState *state = &guard->state[k];
      g_autoptr (GError) e1 = NULL;
      g_autoptr (GError) e2 = NULL;
      g_autoptr (GError) e3 = NULL;
      gint64 failures, lockouts, until;

      if (!g_key_file_has_group (file, kind_groups[k]))
        continue;
      failures = g_key_file_get_int64 (file, kind_groups[k], "failures", &e1);
      lockouts = g_key_file_get_int64 (file, kind_groups[k], "lockouts", &e2);
      until = g_key_file_get_int64 (file, kind_groups[k], "locked-until", &e3);
      if (e1 != NULL || e2 != NULL || e3 != NULL || failures < 0 || lockouts < 0 || until < 0)
        {
          g_warning ("The count of wrong %s PINs in %s makes no sense: unlocking is blocked for "
                     "%" G_GINT64_FORMAT " s",
                     kind_groups[k], guard->path, guard->lockout_seconds);
          state->lockouts = 1;
          state->locked_until = now + guard->lockout_seconds;
          continue;
        }
      state->failures = MIN (failures, G_MAXUINT);
      state->lockouts = MIN (lockouts, 64);
      state->locked_until = until;
    }
}

static gboolean
save_state (WkPinGuard *guard, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize            size = 0;
  g_autoptr (GError) local_error = NULL;

  g_key_file_set_comment (file, NULL, NULL,
                          " wardkeep-kiosk: wrong PINs in a row, kept across restarts. "
                          "Do not edit.",
                          NULL);
  for (int k = 0; k < 2; k++)
    {
      g_key_file_set_int64 (file, kind_groups[k], "failures", guard->state[k].failures);
      g_key_file_set_int64 (file, kind_groups[k], "lockouts", guard->state[k].lockouts);
      g_key_file_set_int64 (file, kind_groups[k], "locked-until", guard->state[k].locked_until);
    }
  data = g_key_file_to_data (file, &size, NULL);
  /* g_file_set_contents_full writes a temp file, fsyncs and renames it into place. */
  if (g_mkdir_with_parents (guard->directory, 0700) != 0
      || !g_file_set_contents_full (guard->path, data, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                    &local_error))
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_PIN_STATE,
                   _ ("The kiosk cannot record PIN attempts in %s (%s), so it checks no PIN. "
                      "Ask IT to make that folder writable by the kiosk."),
                   guard->directory,
                   local_error != NULL ? local_error->message : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/**
 * wk_pin_guard_new:
 * @state_directory: the folder of the attempt counts (`[kiosk] state-directory`)
 * @max_attempts: wrong PINs in a row before a lockout (at least 1)
 * @lockout_seconds: the first lockout's length
 * @error: return location for an error
 *
 * Makes a guard with no PINs set, reading the counts left by earlier runs.
 *
 * Returns: (transfer full) (nullable): the guard
 */
WkPinGuard *
wk_pin_guard_new (const char *state_directory,
                  guint       max_attempts,
                  gint64      lockout_seconds,
                  GError    **error)
{
  WkPinGuard *guard;

  g_return_val_if_fail (state_directory != NULL, NULL);
  g_return_val_if_fail (max_attempts > 0, NULL);
  g_return_val_if_fail (lockout_seconds > 0, NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_FAILED, "libsodium cannot start");
      return NULL;
    }
  guard = g_new0 (WkPinGuard, 1);
  g_mutex_init (&guard->lock);
  guard->directory = g_strdup (state_directory);
  guard->path = g_build_filename (state_directory, STATE_FILE, NULL);
  guard->max_attempts = max_attempts;
  guard->lockout_seconds = lockout_seconds;
  load_state (guard, g_get_real_time () / G_USEC_PER_SEC);
  return guard;
}

/**
 * wk_pin_guard_free:
 * @guard: (nullable): a guard
 */
void
wk_pin_guard_free (WkPinGuard *guard)
{
  if (guard == NULL)
    return;
  g_mutex_clear (&guard->lock);
  g_free (guard->directory);
  g_free (guard->path);
  g_free (guard->hashes[0]);
  g_free (guard->hashes[1]);
  g_free (guard);
}

/**
 * wk_pin_guard_set_hash:
 * @guard: a guard
 * @kind: which PIN
 * @hash: (nullable): its Argon2id hash; %NULL when none is configured
 */
void
wk_pin_guard_set_hash (WkPinGuard *guard, WkPinKind kind, const char *hash)
{
  g_return_if_fail (guard != NULL);

  g_mutex_lock (&guard->lock);
  g_free (guard->hashes[kind]);
  guard->hashes[kind] = g_strdup (hash);
  g_mutex_unlock (&guard->lock);
}

/**
 * wk_pin_guard_has_pin:
 * @guard: a guard
 * @kind: which PIN
 *
 * Returns: whether a PIN of @kind is configured
 */
gboolean
wk_pin_guard_has_pin (WkPinGuard *guard, WkPinKind kind)
{
  gboolean has;

  g_return_val_if_fail (guard != NULL, FALSE);

  g_mutex_lock (&guard->lock);
  has = guard->hashes[kind] != NULL;
  g_mutex_unlock (&guard->lock);
  return has;
}

/**
 * wk_pin_guard_get_state_path:
 * @guard: a guard
 *
 * Returns: (transfer none): the file the counts live in
 */
const char *
wk_pin_guard_get_state_path (WkPinGuard *guard)
{
  g_return_val_if_fail (guard != NULL, NULL);
  return guard->path;
}

/**
 * wk_pin_guard_get_locked_until:
 * @guard: a guard
 * @kind: which PIN
 * @now: the time (UTC seconds)
 *
 * Returns: when checking @kind resumes (UTC seconds), 0 when it is not blocked at @now
 */
gint64
wk_pin_guard_get_locked_until (WkPinGuard *guard, WkPinKind kind, gint64 now)
{
  gint64 until;

  g_return_val_if_fail (guard != NULL, 0);

  g_mutex_lock (&guard->lock);
  until = guard->state[kind].locked_until > now ? guard->state[kind].locked_until : 0;
  g_mutex_unlock (&guard->lock);
  return until;
}

/**
 * wk_pin_guard_check:
 * @guard: a guard
 * @kind: which PIN
 * @pin: the PIN as typed
 * @now: the time (UTC seconds)
 * @outcome: (out): what the check found
 * @error: return location for an error
 *
 * Checks a PIN, counting the attempt on disk first. Blocks for the Argon2id check
 * (about a tenth of a second): call it from a worker thread.
 *
 * Returns: %FALSE with @error when the attempt could not be counted (nothing was
 *   checked), else %TRUE with @outcome set
 */
gboolean
wk_pin_guard_check (WkPinGuard   *guard,
                    WkPinKind     kind,
                    const char   *pin,
                    gint64        now,
                    WkPinOutcome *outcome,
                    GError      **error)
{
  KindState       *state;
  gboolean         ok = TRUE;
  g_autofree char *hash = NULL;

  g_return_val_if_fail (guard != NULL, FALSE);
  g_return_val_if_fail (outcome != NULL, FALSE);

  memset (outcome, 0, sizeof *outcome);
  g_mutex_lock (&guard->lock);
  state = &guard->state[kind];
  hash = g_strdup (guard->hashes[kind]);

  if (hash == NULL)
    outcome->result = WK_PIN_RESULT_NOT_SET;
  else if (state->locked_until > now)
    {
      outcome->result = WK_PIN_RESULT_LOCKED_OUT;
      outcome->locked_until = state->locked_until;
    }
  else
    {
      gboolean right;

      /* Counted before it is checked: killing the kiosk now does not forget it. */
      state->failures++;
      if (!save_state (guard, error))
        {
          state->failures--;
          ok = FALSE;
          goto out;
        }
      right = pin != NULL && wk_pin_is_well_formed (pin, NULL)
              && crypto_pwhash_str_verify (hash, pin, strlen (pin)) == 0;
      if (right)
        {
          state->failures = 0;
          state->lockouts = 0;
          state->locked_until = 0;
          outcome->result = WK_PIN_RESULT_OK;
        }
      else if (state->failures >= guard->max_attempts)
        {
          gint64 length = guard->lockout_seconds;

          for (guint i = 0; i < state->lockouts && length < MAX_LOCKOUT_SECONDS; i++)
            length *= 2;
          state->lockouts++;
          state->failures = 0;
          state->locked_until = now + MIN (length, MAX_LOCKOUT_SECONDS);
          outcome->result = WK_PIN_RESULT_LOCKED_OUT;
          outcome->locked_until = state->locked_until;
        }
      else
        {
          outcome->result = WK_PIN_RESULT_WRONG;
          outcome->attempts_left = guard->max_attempts - state->failures;
        }
      /* A right PIN whose reset cannot be written still unlocks; a lockout that cannot
       * be written is kept in memory and the next attempt fails to be counted anyway. */
      if (outcome->result != WK_PIN_RESULT_WRONG)
        {
          g_autoptr (GError) save_error = NULL;

          if (!save_state (guard, &save_error))
            g_warning ("%s", save_error->message);
        }
    }
out:
  g_mutex_unlock (&guard->lock);
  if (hash != NULL)
    sodium_memzero (hash, strlen (hash));
  return ok;
}

typedef struct
{
  WkPinGuard  *guard;
  WkPinKind    kind;
  char        *pin; /* sodium_malloc: wiped when freed */
  WkPinOutcome outcome;
} CheckData;

static void
check_data_free (CheckData *data)
{
  sodium_free (data->pin);
  g_free (data);
}

static void
check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CheckData *data = task_data;
  GError    *error = NULL;

  if (!wk_pin_guard_check (data->guard, data->kind, data->pin, g_get_real_time () / G_USEC_PER_SEC,
                           &data->outcome, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * wk_pin_guard_check_async:
 * @guard: a guard, which must outlive the call
 * @kind: which PIN
 * @pin: the PIN as typed (copied into guarded memory and wiped after)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the calling thread's main context when done
 * @user_data: data for @callback
 *
 * Checks a PIN in a worker thread (see wk_pin_guard_check()).
 */
void
wk_pin_guard_check_async (WkPinGuard         *guard,
                          WkPinKind           kind,
                          const char         *pin,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CheckData *data = g_new0 (CheckData, 1);
  gsize      len = pin != NULL ? strlen (pin) : 0;

  data->guard = guard;
  data->kind = kind;
  data->pin = sodium_malloc (len + 1);
  g_assert (data->pin != NULL);
  memcpy (data->pin, pin != NULL ? pin : "", len + 1);
  g_task_set_source_tag (task, wk_pin_guard_check_async);
  g_task_set_task_data (task, data, (GDestroyNotify)check_data_free);
  g_task_run_in_thread (task, check_thread);
}

/**
 * wk_pin_guard_check_finish:
 * @result: the result given to the callback
 * @outcome: (out): what the check found
 * @error: return location for an error
 *
 * Returns: as wk_pin_guard_check()
 */
gboolean
wk_pin_guard_check_finish (GAsyncResult *result, WkPinOutcome *outcome, GError **error)
{
  CheckData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (outcome != NULL, FALSE);

  data = g_task_get_task_data (G_TASK (result));
  *outcome = data->outcome;
  return g_task_propagate_boolean (G_TASK (result), error);
}
