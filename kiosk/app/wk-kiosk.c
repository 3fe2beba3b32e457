/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-kiosk.c — the kiosk's state behind the screens: snapshot, status, lock, printing.
 *
 * The screens (wk-kiosk-window.c and its views) only show what this object holds and
 * ask it to act. It keeps:
 *  - the newest snapshot this kiosk can verify itself, reloaded when a newer one appears
 *    in the folder (a file monitor, the daemon's snapshot number, and a slow poll as a
 *    safety net), so that the census and charts never depend on the daemon;
 *  - the daemon's status for the banner, or an offline status when it is not running;
 *  - the lock: who unlocked the kiosk, and the PIN checks (wk-pin-guard.c);
 *  - printing: through the daemon when it runs, by the kiosk itself otherwise.
 * Everything that blocks (decrypting, rendering, PIN hashing, CUPS, the socket) runs in
 * worker threads or on asynchronous GIO; this object lives on the GTK thread. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk.h"

#include "wk-audit.h"
#include "wk-kiosk-error.h"
#include "wk-kiosk-private.h"
#include "wk-printer.h"

#include <glib/gi18n.h>
#include <string.h>

/* How often the folder is looked at even without a file monitor event. */
#define POLL_SECONDS 15
/* Events of one snapshot write (temp file, rename) are taken together. */
#define RELOAD_DELAY_MS 300

enum
{
  PROP_0,
  PROP_SNAPSHOT,
  PROP_STATUS,
  PROP_LOCKED,
  PROP_WHO,
  PROP_PRINTER,
  N_PROPS
};

enum
{
  SIGNAL_JOBS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WkKiosk, wk_kiosk, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (WkKioskSnapshotBox,
                     wk_kiosk_snapshot_box,
                     wk_kiosk_snapshot_ref,
                     wk_kiosk_snapshot_unref)

/**
 * wk_kiosk_job_copy:
 * @job: a job
 *
 * Returns: (transfer full): a copy
 */
WkKioskJob *
wk_kiosk_job_copy (const WkKioskJob *job)
{
  WkKioskJob *copy = g_new0 (WkKioskJob, 1);

  *copy = *job;
  copy->chart = g_strdup (job->chart);
  copy->kind = g_strdup (job->kind);
  copy->printer = g_strdup (job->printer);
  copy->state = g_strdup (job->state);
  copy->reason = g_strdup (job->reason);
  copy->requested_by = g_strdup (job->requested_by);
  return copy;
}

/**
 * wk_kiosk_job_free:
 * @job: (nullable): a job
 */
void
wk_kiosk_job_free (WkKioskJob *job)
{
  if (job == NULL)
    return;
  g_free (job->chart);
  g_free (job->kind);
  g_free (job->printer);
  g_free (job->state);
  g_free (job->reason);
  g_free (job->requested_by);
  g_free (job);
}

static void
wk_kiosk_dispose (GObject *object)
{
  WkKiosk *self = WK_KIOSK (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->monitor != NULL)
    g_file_monitor_cancel (self->monitor);
  g_clear_object (&self->monitor);
  _wk_kiosk_daemon_dispose (self);
  _wk_kiosk_printing_dispose (self);
  G_OBJECT_CLASS (wk_kiosk_parent_class)->dispose (object);
}

static void
wk_kiosk_finalize (GObject *object)
{
  WkKiosk *self = WK_KIOSK (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->snapshot, wk_kiosk_snapshot_unref);
  g_free (self->snapshot_problem);
  g_clear_pointer (&self->status, wk_kiosk_status_free);
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_clear_pointer (&self->printers, g_ptr_array_unref);
  g_clear_pointer (&self->guard, wk_pin_guard_free);
  g_clear_pointer (&self->store, wk_store_unref);
  g_clear_pointer (&self->keys, wk_keys_free);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_free (self->who);
  g_free (self->printer);
  g_clear_pointer (&self->config, wk_config_free);
  G_OBJECT_CLASS (wk_kiosk_parent_class)->finalize (object);
}

static void
wk_kiosk_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  WkKiosk *self = WK_KIOSK (object);

  switch (prop_id)
    {
    case PROP_SNAPSHOT:
      g_value_set_boxed (value, self->snapshot);
      break;
    case PROP_STATUS:
      g_value_set_boxed (value, self->status);
      break;
    case PROP_LOCKED:
      g_value_set_boolean (value, self->locked);
      break;
    case PROP_WHO:
      g_value_set_string (value, self->who);
      break;
    case PROP_PRINTER:
      g_value_set_string (value, self->printer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wk_kiosk_class_init (WkKioskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wk_kiosk_dispose;
  object_class->finalize = wk_kiosk_finalize;
  object_class->get_property = wk_kiosk_get_property;

  properties[PROP_SNAPSHOT]
      = g_param_spec_boxed ("snapshot", NULL, NULL, WK_TYPE_KIOSK_SNAPSHOT_BOX,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] = g_param_spec_boxed ("status", NULL, NULL, WK_TYPE_KIOSK_STATUS,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCKED] = g_param_spec_boolean ("locked", NULL, NULL, TRUE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_WHO]
      = g_param_spec_string ("who", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRINTER] = g_param_spec_string ("printer", NULL, NULL, NULL,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WkKiosk::jobs-changed:
   *
   * The print queue changed (wk_kiosk_get_jobs()).
   */
  signals[SIGNAL_JOBS_CHANGED]
      = g_signal_new ("jobs-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);
}

static void
wk_kiosk_init (WkKiosk *self)
{
  self->locked = TRUE;
  self->cancellable = g_cancellable_new ();
  self->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_kiosk_job_free);
  self->printers = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_kiosk_printer_free);
}

/* The printers of the configuration, in failover order. */
static void
read_printers (WkKiosk *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) printers = wk_printer_list_from_config (self->config, &error);

  if (printers == NULL)
    {
      g_warning ("The configured printers cannot be used: %s", error->message);
      return;
    }
  for (guint i = 0; i < printers->len; i++)
    g_ptr_array_add (self->printers,
                     wk_kiosk_printer_new (wk_printer_get_name (printers->pdata[i]),
                                           wk_printer_get_description (printers->pdata[i])));
}

/**
 * wk_kiosk_new:
 * @config: (transfer full): the configuration
 * @error: return location for an error
 *
 * Makes the kiosk's state from its configuration. A key that cannot be read is not an
 * error here: the kiosk then shows why it has no data (wk_kiosk_get_snapshot_problem())
 * and still shows the daemon's status. Only a PIN state folder that cannot be used at
 * all fails.
 *
 * Returns: (transfer full) (nullable): the kiosk
 */
WkKiosk *
wk_kiosk_new (WkConfig *config, GError **error)
{
  g_autoptr (WkKiosk) self = g_object_new (WK_TYPE_KIOSK, NULL);
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  self->config = config;
  self->tz = g_time_zone_new_identifier (wk_config_get_string (config, "ward", "timezone"));
  if (self->tz == NULL)
    self->tz = g_time_zone_new_utc ();
  self->stale_after = wk_config_get_duration_ms (config, "kiosk", "stale-data-warning") / 1000;
  read_printers (self);
  self->status = wk_kiosk_status_new_offline (self->printers);

  self->guard = wk_pin_guard_new (
      wk_config_get_string (config, "kiosk", "state-directory"),
      (guint)wk_config_get_int (config, "kiosk", "pin-attempts"),
      MAX (wk_config_get_duration_ms (config, "kiosk", "pin-lockout") / 1000, 1), error);
  if (self->guard == NULL)
    return NULL;
  wk_pin_guard_set_hash (self->guard, WK_PIN_WARD,
                         wk_config_get_string (config, "kiosk", "ward-pin"));
  wk_pin_guard_set_hash (self->guard, WK_PIN_ADMIN,
                         wk_config_get_string (config, "kiosk", "admin-pin"));

  self->keys = wk_keys_load (wk_config_get_string (config, "keys", "file"), &local_error);
  if (self->keys != NULL)
    self->store = wk_store_new_from_config (config, self->keys, NULL, &local_error);
  if (self->store == NULL)
    {
      g_warning ("The kiosk cannot read snapshots: %s", local_error->message);
      self->snapshot_problem = g_strdup_printf (_ ("This kiosk cannot open the ward's data: %s"),
                                                local_error->message);
    }
  return g_steal_pointer (&self);
}

/* ---- The snapshot -------------------------------------------------------------------- */

static void refresh_snapshot (WkKiosk *self);

static void
set_snapshot (WkKiosk *self, WkKioskSnapshot *snapshot)
{
  if (snapshot == self->snapshot)
    return;
  g_clear_pointer (&self->snapshot, wk_kiosk_snapshot_unref);
  self->snapshot = wk_kiosk_snapshot_ref (snapshot);
  g_clear_pointer (&self->snapshot_problem, g_free);
  g_message ("Showing snapshot %" G_GUINT64_FORMAT, wk_kiosk_snapshot_get_seq (snapshot));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNAPSHOT]);
}

typedef struct
{
  WkStore       *store;
  WkChartOptions options;
  guint64        current_seq;
} RefreshData;

static void
refresh_data_free (RefreshData *data)
{
  wk_store_unref (data->store);
  g_free (data);
}

/* In a worker: the newest snapshot if it is newer than the one shown, else nothing. */
static void
refresh_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RefreshData *data = task_data;
  GError      *error = NULL;
  g_autoptr (GPtrArray) files = NULL;
  guint64          newest = 0;
  WkKioskSnapshot *snapshot;

  /* Headers only: cheap, so that the folder can be looked at often. */
  files = wk_store_list (data->store, FALSE, NULL);
  for (guint i = 0; files != NULL && i < files->len; i++)
    newest = MAX (newest, ((WkSnapshotInfo *)files->pdata[i])->seq);
  if (data->current_seq != 0 && newest <= data->current_seq)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  snapshot = wk_kiosk_snapshot_load (data->store, &data->options, &error);
  if (snapshot == NULL)
    g_task_return_error (task, error);
  else if (wk_kiosk_snapshot_get_seq (snapshot) <= data->current_seq)
    {
      /* The newer file does not verify: keep showing the one we have. */
      wk_kiosk_snapshot_unref (snapshot);
      g_task_return_pointer (task, NULL, NULL);
    }
  else
    g_task_return_pointer (task, snapshot, (GDestroyNotify)wk_kiosk_snapshot_unref);
}

static void
refresh_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (WkKiosk) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (WkKioskSnapshot) snapshot = g_task_propagate_pointer (G_TASK (result), &error);

  self->loading = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (snapshot != NULL)
    set_snapshot (self, snapshot);
  else if (error != NULL && self->snapshot == NULL)
    {
      g_warning ("No snapshot to show: %s", error->message);
      g_free (self->snapshot_problem);
      self->snapshot_problem = g_strdup_printf (
          _ ("There is no snapshot of the ward this kiosk can read yet: %s"), error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNAPSHOT]);
    }
  else if (error != NULL)
    g_warning ("Keeping snapshot %" G_GUINT64_FORMAT ": %s",
               wk_kiosk_snapshot_get_seq (self->snapshot), error->message);
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      refresh_snapshot (self);
    }
}

static void
refresh_snapshot (WkKiosk *self)
{
  g_autoptr (GTask) task = NULL;
  RefreshData *data;

  if (self->store == NULL)
    return;
  if (self->loading)
    {
      self->reload_again = TRUE;
      return;
    }
  self->loading = TRUE;
  data = g_new0 (RefreshData, 1);
  data->store = wk_store_ref (self->store);
  wk_chart_options_init (&data->options);
  wk_chart_options_load_config (&data->options, self->config); /* strings owned by config */
  data->current_seq = self->snapshot != NULL ? wk_kiosk_snapshot_get_seq (self->snapshot) : 0;
  task = g_task_new (NULL, self->cancellable, refresh_done_cb, g_object_ref (self));
  g_task_set_task_data (task, data, (GDestroyNotify)refresh_data_free);
  g_task_run_in_thread (task, refresh_thread);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  WkKiosk *self = user_data;

  self->reload_id = 0;
  refresh_snapshot (self);
  return G_SOURCE_REMOVE;
}

/**
 * _wk_kiosk_schedule_refresh:
 * @self: the kiosk
 *
 * Looks for a newer snapshot shortly (several events of one write are taken together).
 */
void
_wk_kiosk_schedule_refresh (WkKiosk *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (RELOAD_DELAY_MS, reload_timeout_cb, self);
}

static void
folder_changed_cb (
    GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event, gpointer user_data)
{
  WkKiosk         *self = user_data;
  g_autofree char *name = g_file_get_basename (other != NULL ? other : file);

  if (name != NULL && g_str_has_suffix (name, WK_STORE_SUFFIX) && name[0] != '.')
    _wk_kiosk_schedule_refresh (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  refresh_snapshot (user_data);
  return G_SOURCE_CONTINUE;
}

/**
 * wk_kiosk_start:
 * @self: the kiosk
 *
 * Starts loading the newest snapshot, watching its folder and following the daemon.
 */
void
wk_kiosk_start (WkKiosk *self)
{
  g_return_if_fail (WK_IS_KIOSK (self));

  if (self->store != NULL)
    {
      g_autoptr (GFile) folder = g_file_new_for_path (wk_store_get_directory (self->store));
      g_autoptr (GError) error = NULL;

      self->monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
      if (self->monitor != NULL)
        g_signal_connect (self->monitor, "changed", G_CALLBACK (folder_changed_cb), self);
      else
        g_message ("Not watching %s (%s): looking every %d s", wk_store_get_directory (self->store),
                   error->message, POLL_SECONDS);
      self->poll_id = g_timeout_add_seconds (POLL_SECONDS, poll_cb, self);
      refresh_snapshot (self);
    }
  _wk_kiosk_daemon_start (self);
  _wk_kiosk_printing_start (self);
}

/* ---- Accessors ----------------------------------------------------------------------- */

/**
 * wk_kiosk_get_config:
 * @self: the kiosk
 *
 * Returns: (transfer none): its configuration
 */
WkConfig *
wk_kiosk_get_config (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->config;
}

/**
 * wk_kiosk_get_keys:
 * @self: the kiosk
 *
 * Returns: (transfer none) (nullable): its keys, %NULL when they cannot be read
 */
WkKeys *
wk_kiosk_get_keys (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->keys;
}

/**
 * wk_kiosk_get_time_zone:
 * @self: the kiosk
 *
 * Returns: (transfer none): the ward's time zone
 */
GTimeZone *
wk_kiosk_get_time_zone (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->tz;
}

/**
 * wk_kiosk_get_timezone:
 * @self: the kiosk
 *
 * Returns: (transfer none): the ward's time zone's name
 */
const char *
wk_kiosk_get_timezone (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return wk_config_get_string (self->config, "ward", "timezone");
}

/**
 * wk_kiosk_get_snapshot:
 * @self: the kiosk
 *
 * Returns: (transfer none) (nullable): the snapshot shown, %NULL before one is loaded
 */
WkKioskSnapshot *
wk_kiosk_get_snapshot (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->snapshot;
}

/**
 * wk_kiosk_get_snapshot_problem:
 * @self: the kiosk
 *
 * Returns: (transfer none) (nullable): why there is no snapshot to show, in words
 */
const char *
wk_kiosk_get_snapshot_problem (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->snapshot_problem;
}

/**
 * wk_kiosk_get_status:
 * @self: the kiosk
 *
 * Returns: (transfer none): the status the banner shows
 */
WkKioskStatus *
wk_kiosk_get_status (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->status;
}

/**
 * _wk_kiosk_set_status:
 * @self: the kiosk
 * @status: (transfer full): the new status
 *
 * Shows a new status; a newer snapshot number than the one shown is looked for.
 */
void
_wk_kiosk_set_status (WkKiosk *self, WkKioskStatus *status)
{
  g_clear_pointer (&self->status, wk_kiosk_status_free);
  self->status = status;
  if (status->daemon && status->snapshot_seq != 0
      && (self->snapshot == NULL
          || status->snapshot_seq > wk_kiosk_snapshot_get_seq (self->snapshot)))
    _wk_kiosk_schedule_refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

/**
 * wk_kiosk_get_jobs:
 * @self: the kiosk
 *
 * Returns: (transfer none) (element-type WkKioskJob): the print queue, newest first
 */
GPtrArray *
wk_kiosk_get_jobs (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->jobs;
}

/**
 * _wk_kiosk_jobs_changed:
 * @self: the kiosk
 */
void
_wk_kiosk_jobs_changed (WkKiosk *self)
{
  g_signal_emit (self, signals[SIGNAL_JOBS_CHANGED], 0);
}

/**
 * wk_kiosk_get_stale_after:
 * @self: the kiosk
 *
 * Returns: how old (seconds) the data may be before "data as of" warns
 */
gint64
wk_kiosk_get_stale_after (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), 0);
  return self->stale_after;
}

/**
 * wk_kiosk_is_data_stale:
 * @self: the kiosk
 * @now: the time (UTC seconds)
 *
 * The data is stale when it is older than `[kiosk] stale-data-warning`, except while
 * the daemon is online and says that the snapshot shown holds every message the feed
 * sent (a quiet ward at night changes nothing, and that is not old data).
 *
 * Returns: whether "data as of" should warn
 */
gboolean
wk_kiosk_is_data_stale (WkKiosk *self, gint64 now)
{
  gint64 at;

  g_return_val_if_fail (WK_IS_KIOSK (self), TRUE);

  if (self->snapshot == NULL)
    return TRUE;
  at = wk_kiosk_snapshot_get_created_at (self->snapshot);
  if (now - at <= self->stale_after)
    return FALSE;
  return !(self->status->daemon && self->status->mode == WK_KIOSK_MODE_ONLINE
           && self->status->snapshot_seq == wk_kiosk_snapshot_get_seq (self->snapshot)
           && self->status->feed_last_message_at <= at);
}

/* ---- The lock ------------------------------------------------------------------------ */

/**
 * wk_kiosk_is_locked:
 * @self: the kiosk
 *
 * Returns: whether the kiosk is locked
 */
gboolean
wk_kiosk_is_locked (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), TRUE);
  return self->locked;
}

/**
 * wk_kiosk_get_who:
 * @self: the kiosk
 *
 * Returns: (transfer none) (nullable): who unlocked it, %NULL while locked
 */
const char *
wk_kiosk_get_who (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->who;
}

/**
 * wk_kiosk_get_lock_shows_names:
 * @self: the kiosk
 *
 * Returns: whether the locked census shows names (`[kiosk] lock-screen-names`)
 */
gboolean
wk_kiosk_get_lock_shows_names (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), FALSE);
  return wk_config_get_boolean (self->config, "kiosk", "lock-screen-names");
}

/**
 * wk_kiosk_get_lock_after_ms:
 * @self: the kiosk
 *
 * Returns: the inactivity (ms) after which the kiosk locks
 */
gint64
wk_kiosk_get_lock_after_ms (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), 0);
  return wk_config_get_duration_ms (self->config, "kiosk", "lock-after");
}

/**
 * wk_kiosk_has_pin:
 * @self: the kiosk
 * @kind: which PIN
 *
 * Returns: whether that PIN is configured
 */
gboolean
wk_kiosk_has_pin (WkKiosk *self, WkPinKind kind)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), FALSE);
  return wk_pin_guard_has_pin (self->guard, kind);
}

/**
 * wk_kiosk_get_locked_out_until:
 * @self: the kiosk
 * @kind: which PIN
 *
 * Returns: until when (UTC seconds) no PIN of @kind is checked, 0 when it is not blocked
 */
gint64
wk_kiosk_get_locked_out_until (WkKiosk *self, WkPinKind kind)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), 0);
  return wk_pin_guard_get_locked_until (self->guard, kind, g_get_real_time () / G_USEC_PER_SEC);
}

/* A name or initials for the audit log: trimmed, one line, at most 40 characters. */
static char *
clean_who (const char *who, GError **error)
{
  g_autofree char *text = g_strstrip (g_strdup (who != NULL ? who : ""));

  if (*text == '\0' || !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, WK_KIOSK_ERROR, WK_KIOSK_ERROR_FAILED,
                   _ ("Type your name or initials first: the log records who used the kiosk."));
      return NULL;
    }
  for (char *p = text; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      *p = ' ';
  if (g_utf8_strlen (text, -1) > 40)
    {
      char *end = g_utf8_offset_to_pointer (text, 40);

      *end = '\0';
    }
  return g_steal_pointer (&text);
}

typedef struct
{
  char        *who;
  WkPinOutcome outcome;
} UnlockData;

static void
unlock_data_free (UnlockData *data)
{
  g_free (data->who);
  g_free (data);
}

static void
unlock_checked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WkKiosk    *self = g_task_get_source_object (task);
  UnlockData *data = g_task_get_task_data (task);
  GError     *error = NULL;

  if (!wk_pin_guard_check_finish (result, &data->outcome, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  switch (data->outcome.result)
    {
    case WK_PIN_RESULT_OK:
      g_free (self->who);
      self->who = g_strdup (data->who);
      self->locked = FALSE;
      wk_audit (self->who, "unlock", 0, "the kiosk was unlocked with the ward PIN");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WHO]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCKED]);
      break;
    case WK_PIN_RESULT_WRONG:
      wk_audit (data->who, "unlock-refused", 0,
                "wrong ward PIN, %u more before unlocking is blocked", data->outcome.attempts_left);
      break;
    case WK_PIN_RESULT_LOCKED_OUT:
      {
        g_autoptr (GDateTime) until = g_date_time_new_from_unix_utc (data->outcome.locked_until);
        g_autofree char *text = g_date_time_format_iso8601 (until);

        wk_audit (data->who, "unlock-blocked", 0, "too many wrong ward PINs: blocked until %s",
                  text);
        break;
      }
    case WK_PIN_RESULT_NOT_SET:
      break;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * wk_kiosk_unlock_async:
 * @self: the kiosk
 * @who: the person's name or initials, for the audit log
 * @pin: the ward PIN as typed
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the PIN has been checked
 * @user_data: data for @callback
 *
 * Checks the ward PIN (in a worker thread, counted against the limit) and unlocks the
 * kiosk for @who when it is right.
 */
void
wk_kiosk_unlock_async (WkKiosk            *self,
                       const char         *who,
                       const char         *pin,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  UnlockData *data = g_new0 (UnlockData, 1);
  GError     *error = NULL;

  g_task_set_source_tag (task, wk_kiosk_unlock_async);
  g_task_set_task_data (task, data, (GDestroyNotify)unlock_data_free);
  data->who = clean_who (who, &error);
  if (data->who == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  wk_pin_guard_check_async (self->guard, WK_PIN_WARD, pin, cancellable, unlock_checked_cb,
                            g_steal_pointer (&task));
}

/**
 * wk_kiosk_unlock_finish:
 * @self: the kiosk
 * @result: the result given to the callback
 * @outcome: (out): what the PIN check found
 * @error: return location for an error
 *
 * Returns: %FALSE when no PIN was checked (no name given, or the attempt could not be
 *   counted), else %TRUE with @outcome set
 */
gboolean
wk_kiosk_unlock_finish (WkKiosk *self, GAsyncResult *result, WkPinOutcome *outcome, GError **error)
{
  UnlockData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  *outcome = data->outcome;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * wk_kiosk_lock:
 * @self: the kiosk
 * @why: why, for the audit log ("inactivity", "lock button")
 *
 * Locks the kiosk: the screens go back to the status and the census (without names
 * unless configured), and the next person must unlock it.
 */
void
wk_kiosk_lock (WkKiosk *self, const char *why)
{
  g_return_if_fail (WK_IS_KIOSK (self));

  if (self->locked)
    return;
  wk_audit (self->who, "lock", 0, "%s", why);
  self->locked = TRUE;
  g_clear_pointer (&self->who, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WHO]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCKED]);
}

/**
 * wk_kiosk_note_view:
 * @self: the kiosk
 * @patient_id: the patient whose record is shown
 *
 * Writes the audit entry for a person looking at a patient's record.
 */
void
wk_kiosk_note_view (WkKiosk *self, gint64 patient_id)
{
  g_return_if_fail (WK_IS_KIOSK (self));

  wk_audit (self->who, "view", patient_id,
            "patient #%" G_GINT64_FORMAT " from snapshot %" G_GUINT64_FORMAT, patient_id,
            self->snapshot != NULL ? wk_kiosk_snapshot_get_seq (self->snapshot) : 0);
}

/* ---- Printers ------------------------------------------------------------------------ */

/**
 * wk_kiosk_get_printer:
 * @self: the kiosk
 *
 * Returns: (transfer none) (nullable): the printer staff chose, %NULL for the ward's
 *   printers in failover order
 */
const char *
wk_kiosk_get_printer (WkKiosk *self)
{
  g_return_val_if_fail (WK_IS_KIOSK (self), NULL);
  return self->printer;
}

/**
 * wk_kiosk_set_printer:
 * @self: the kiosk
 * @name: (nullable): a configured printer, or %NULL for failover order
 */
void
wk_kiosk_set_printer (WkKiosk *self, const char *name)
{
  g_return_if_fail (WK_IS_KIOSK (self));

  if (g_strcmp0 (self->printer, name) == 0)
    return;
  g_free (self->printer);
  self->printer = g_strdup (name);
  wk_audit (self->who, "choose-printer", 0, "printer %s", name != NULL ? name : "(failover order)");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRINTER]);
}

/* ---- Preview ------------------------------------------------------------------------- */

static void
preview_rendered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WkKiosk         *self = g_task_get_source_object (task);
  WkKioskSnapshot *snapshot = g_task_get_task_data (task);
  GError          *error = NULL;
  g_autoptr (GPtrArray) documents = wk_kiosk_snapshot_render_finish (snapshot, result, &error);
  WkChartDocument *document;

  if (documents == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  document = g_ptr_array_steal_index (documents, 0);
  wk_audit (self->who, "preview", wk_chart_document_get_patient_id (document),
            "chart %s of patient #%" G_GINT64_FORMAT ", %u pages, snapshot %" G_GUINT64_FORMAT,
            wk_chart_document_get_id (document), wk_chart_document_get_patient_id (document),
            wk_chart_document_get_n_pages (document), wk_kiosk_snapshot_get_seq (snapshot));
  g_task_return_pointer (task, document, (GDestroyNotify)wk_chart_document_free);
}

/**
 * _wk_kiosk_is_drill:
 * @self: the kiosk
 *
 * Returns: whether a drill is on: everything printed is marked DRILL
 */
gboolean
_wk_kiosk_is_drill (WkKiosk *self)
{
  return self->status->mode == WK_KIOSK_MODE_DRILL;
}

/**
 * wk_kiosk_preview_async:
 * @self: the kiosk
 * @patient_id: a patient on the census
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the chart
 * @user_data: data for @callback
 *
 * Renders, in a worker thread, the chart that printing this patient from the snapshot
 * shown would send to the printer. The PDF stays in memory.
 */
void
wk_kiosk_preview_async (WkKiosk            *self,
                        gint64              patient_id,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, wk_kiosk_preview_async);
  if (self->locked)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_NOT_UNLOCKED,
                               _ ("Unlock the kiosk first."));
      return;
    }
  if (self->snapshot == NULL || self->keys == NULL)
    {
      g_task_return_new_error (task, WK_KIOSK_ERROR, WK_KIOSK_ERROR_FAILED, "%s",
                               self->snapshot_problem != NULL
                                   ? self->snapshot_problem
                                   : _ ("There is no data to show yet."));
      return;
    }
  g_task_set_task_data (task, wk_kiosk_snapshot_ref (self->snapshot),
                        (GDestroyNotify)wk_kiosk_snapshot_unref);
  wk_kiosk_snapshot_render_async (self->snapshot, self->keys, WK_RENDER_CHART, patient_id,
                                  _wk_kiosk_is_drill (self), cancellable, preview_rendered_cb,
                                  g_steal_pointer (&task));
}

/**
 * wk_kiosk_preview_finish:
 * @self: the kiosk
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the chart
 */
WkChartDocument *
wk_kiosk_preview_finish (WkKiosk *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
