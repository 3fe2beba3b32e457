/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-pin-guard.h — checks the ward and admin PINs, with a limit on wrong attempts that
 * survives a restart. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkPinKind:
 * @WK_PIN_WARD: the ward PIN, which unlocks the kiosk
 * @WK_PIN_ADMIN: the admin PIN, which declares and ends downtime and runs drills
 */
typedef enum
{
  WK_PIN_WARD,
  WK_PIN_ADMIN,
} WkPinKind;

/**
 * WkPinResult:
 * @WK_PIN_RESULT_OK: the PIN is right
 * @WK_PIN_RESULT_WRONG: the PIN is wrong; @attempts_left more are allowed
 * @WK_PIN_RESULT_LOCKED_OUT: too many wrong PINs: no PIN is checked until @locked_until
 * @WK_PIN_RESULT_NOT_SET: no PIN of this kind is configured
 */
typedef enum
{
  WK_PIN_RESULT_OK,
  WK_PIN_RESULT_WRONG,
  WK_PIN_RESULT_LOCKED_OUT,
  WK_PIN_RESULT_NOT_SET,
} WkPinResult;

/**
 * WkPinOutcome:
 * @result: what the check found
 * @attempts_left: for %WK_PIN_RESULT_WRONG, how many more wrong PINs block unlocking
 * @locked_until: for %WK_PIN_RESULT_LOCKED_OUT, when checking resumes (UTC seconds)
 */
typedef struct
{
  WkPinResult result;
  guint       attempts_left;
  gint64      locked_until;
} WkPinOutcome;

/**
 * WkPinGuard:
 *
 * Checks PINs against their Argon2id hashes (libsodium crypto_pwhash_str) and limits
 * wrong attempts: after @max_attempts wrong PINs in a row of one kind, no PIN of that
 * kind is checked for the lockout time, doubled for each further lockout until a right
 * PIN. The counts live in a file in the state folder, written (fsync, rename) before
 * each PIN is checked, so that killing or restarting the kiosk mid-attempt resets
 * nothing; a file that cannot be read counts as a lockout, and a count that cannot be
 * written refuses the attempt.
 *
 * Checks are serialised; the blocking call is for worker threads.
 */
typedef struct _WkPinGuard WkPinGuard;

WkPinGuard *wk_pin_guard_new (const char *state_directory,
                              guint       max_attempts,
                              gint64      lockout_seconds,
                              GError    **error);
void        wk_pin_guard_free (WkPinGuard *guard);
void        wk_pin_guard_set_hash (WkPinGuard *guard, WkPinKind kind, const char *hash);
gboolean    wk_pin_guard_has_pin (WkPinGuard *guard, WkPinKind kind);
const char *wk_pin_guard_get_state_path (WkPinGuard *guard);
gint64      wk_pin_guard_get_locked_until (WkPinGuard *guard, WkPinKind kind, gint64 now);
gboolean    wk_pin_guard_check (WkPinGuard   *guard,
                                WkPinKind     kind,
                                const char   *pin,
                                gint64        now,
                                WkPinOutcome *outcome,
                                GError      **error);
void        wk_pin_guard_check_async (WkPinGuard         *guard,
                                      WkPinKind           kind,
                                      const char         *pin,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean    wk_pin_guard_check_finish (GAsyncResult *result, WkPinOutcome *outcome, GError **error);

char    *wk_pin_hash (const char *pin, GError **error);
gboolean wk_pin_is_well_formed (const char *pin, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkPinGuard, wk_pin_guard_free)

G_END_DECLS
