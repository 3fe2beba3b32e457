/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-printer.c — a place documents go: what every printer backend shares. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-print-error.h"
#include "wk-printer-private.h"

#include <string.h>

struct _WkPrinter
{
  gint                    ref_count;
  const WkPrinterBackend *backend;
  gpointer                data;
  char                   *name;
  char                   *uri;
  char                   *description;
  char                   *media;
  char                   *server;
  WkPrinterSettings       settings;
  gboolean                spools;
  GMutex                  lock;
};

/**
 * wk_printer_settings_init:
 * @settings: (out caller-allocates): settings to fill
 *
 * Fills @settings with the defaults the configuration documents.
 */
void
wk_printer_settings_init (WkPrinterSettings *settings)
{
  g_return_if_fail (settings != NULL);

  *settings = (WkPrinterSettings){
    .media = "A4",
    .duplex = WK_PRINTER_DUPLEX_ONE_SIDED,
    .mono = FALSE,
    .server = NULL,
    .connect_timeout_ms = 10000,
    .failover_after_ms = 120000,
    .retries = 2,
  };
}

WkPrinter *
_wk_printer_new (const WkPrinterBackend  *backend,
                 const char              *name,
                 const char              *uri,
                 const WkPrinterSettings *settings,
                 gpointer                 data)
{
  WkPrinter *printer = g_new0 (WkPrinter, 1);

  printer->ref_count = 1;
  printer->backend = backend;
  printer->data = data;
  printer->name = g_strdup (name);
  printer->uri = g_strdup (uri);
  printer->settings = *settings;
  printer->media = g_strdup (settings->media);
  printer->server = g_strdup (settings->server);
  printer->settings.media = printer->media;
  printer->settings.server = printer->server;
  g_mutex_init (&printer->lock);
  return printer;
}

gpointer
_wk_printer_get_data (WkPrinter *printer)
{
  return printer->data;
}

void
_wk_printer_set_spools (WkPrinter *printer, gboolean spools)
{
  printer->spools = spools;
}

/**
 * wk_printer_spools:
 * @printer: a #WkPrinter
 *
 * Returns: whether the printer is a queue of a CUPS scheduler, which keeps each job's
 *   document in its spool until wardkeep purges it
 */
gboolean
wk_printer_spools (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, FALSE);

  return printer->spools;
}

/**
 * wk_printer_new:
 * @name: how screens and logs call the printer (the NAME of `[printer NAME]`)
 * @uri: a CUPS queue name, an `ipp://` or `ipps://` printer URI, or an absolute folder
 *   path (see wk_printer_new_folder())
 * @settings: (nullable): how to print; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Makes a printer. Nothing is contacted yet.
 *
 * Returns: (transfer full): the printer, or %NULL with %WK_PRINT_ERROR_INVALID when
 *   @uri is none of the above
 */
WkPrinter *
wk_printer_new (const char              *name,
                const char              *uri,
                const WkPrinterSettings *settings,
                GError                 **error)
{
  WkPrinterSettings defaults;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (settings == NULL)
    {
      wk_printer_settings_init (&defaults);
      settings = &defaults;
    }
  if (uri[0] == '/')
    return wk_printer_new_folder (name, uri, error);
  return _wk_printer_new_cups (name, uri, settings, error);
}

/**
 * wk_printer_ref:
 * @printer: a #WkPrinter
 *
 * Returns: (transfer full): @printer
 */
WkPrinter *
wk_printer_ref (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, NULL);

  g_atomic_int_inc (&printer->ref_count);
  return printer;
}

/**
 * wk_printer_unref:
 * @printer: (nullable) (transfer full): a #WkPrinter
 */
void
wk_printer_unref (WkPrinter *printer)
{
  if (printer == NULL || !g_atomic_int_dec_and_test (&printer->ref_count))
    return;
  printer->backend->finalize (printer->data);
  g_mutex_clear (&printer->lock);
  g_free (printer->name);
  g_free (printer->uri);
  g_free (printer->description);
  g_free (printer->media);
  g_free (printer->server);
  g_free (printer);
}

/**
 * wk_printer_get_name:
 * @printer: a #WkPrinter
 *
 * Returns: the printer's name
 */
const char *
wk_printer_get_name (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, NULL);

  return printer->name;
}

/**
 * wk_printer_get_uri:
 * @printer: a #WkPrinter
 *
 * Returns: the queue name, URI or folder it was made with
 */
const char *
wk_printer_get_uri (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, NULL);

  return printer->uri;
}

/**
 * wk_printer_get_kind:
 * @printer: a #WkPrinter
 *
 * Returns: "cups" or "folder"
 */
const char *
wk_printer_get_kind (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, NULL);

  return printer->backend->kind;
}

/**
 * wk_printer_get_description:
 * @printer: a #WkPrinter
 *
 * Returns: (nullable): where the printer is, in staff's words
 */
const char *
wk_printer_get_description (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, NULL);

  return printer->description;
}

/**
 * wk_printer_set_description:
 * @printer: a #WkPrinter
 * @description: (nullable): where the printer is ("Ward 7A office laser")
 *
 * Sets the description; call it before the printer is shared between threads.
 */
void
wk_printer_set_description (WkPrinter *printer, const char *description)
{
  g_return_if_fail (printer != NULL);

  g_free (printer->description);
  printer->description = g_strdup (description);
}

/**
 * wk_printer_get_settings:
 * @printer: a #WkPrinter
 *
 * Returns: (transfer none): how the printer prints
 */
const WkPrinterSettings *
wk_printer_get_settings (WkPrinter *printer)
{
  g_return_val_if_fail (printer != NULL, NULL);

  return &printer->settings;
}

/* ---- configuration ------------------------------------------------------------------ */

/**
 * wk_printer_new_from_config:
 * @config: a loaded configuration
 * @name: the NAME of a `[printer NAME]` group in it
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the printer its settings describe, or %NULL with
 *   %WK_PRINT_ERROR_INVALID
 */
WkPrinter *
wk_printer_new_from_config (WkConfig *config, const char *name, GError **error)
{
  g_autofree char  *group = NULL;
  WkPrinterSettings settings;
  const char       *duplex;
  g_autoptr (GError) local_error = NULL;
  WkPrinter *printer;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  group = g_strconcat ("printer ", name, NULL);
  wk_printer_settings_init (&settings);
  settings.media = wk_config_get_string (config, group, "media");
  duplex = wk_config_get_string (config, group, "duplex");
  settings.duplex = g_strcmp0 (duplex, "long-edge") == 0    ? WK_PRINTER_DUPLEX_LONG_EDGE
                    : g_strcmp0 (duplex, "short-edge") == 0 ? WK_PRINTER_DUPLEX_SHORT_EDGE
                                                            : WK_PRINTER_DUPLEX_ONE_SIDED;
  settings.mono = wk_config_get_boolean (config, group, "mono");
  settings.server = wk_config_get_string (config, group, "server");
  settings.connect_timeout_ms = wk_config_get_duration_ms (config, group, "connect-timeout");
  settings.failover_after_ms = wk_config_get_duration_ms (config, group, "failover-after");
  settings.retries = wk_config_get_int (config, group, "retries");
  printer
      = wk_printer_new (name, wk_config_get_string (config, group, "uri"), &settings, &local_error);
  if (printer == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "%s: [%s] uri: %s",
                   wk_config_get_path (config), group, local_error->message);
      return NULL;
    }
  wk_printer_set_description (printer, wk_config_get_string (config, group, "description"));
  return printer;
}

typedef struct
{
  WkPrinter *printer;
  gint64     order;
  guint      position;
} Ranked;

static int
compare_ranked (gconstpointer a, gconstpointer b)
{
  const Ranked *x = a, *y = b;

  if (x->order != y->order)
    return x->order < y->order ? -1 : 1;
  return (int)x->position - (int)y->position;
}

/**
 * wk_printer_list_from_config:
 * @config: a loaded configuration
 * @error: return location for a #GError
 *
 * Makes every configured printer, in the order documents try them: by `order`, then as
 * they appear in the file.
 *
 * Returns: (transfer full) (element-type WkPrinter): the printers (possibly none), or
 *   %NULL with %WK_PRINT_ERROR_INVALID
 */
GPtrArray *
wk_printer_list_from_config (WkConfig *config, GError **error)
{
  g_auto (GStrv) names = NULL;
  g_autoptr (GArray) ranked = g_array_new (FALSE, FALSE, sizeof (Ranked));
  g_autoptr (GPtrArray) printers
      = g_ptr_array_new_with_free_func ((GDestroyNotify)wk_printer_unref);

  g_return_val_if_fail (config != NULL, NULL);

  names = wk_config_dup_instances (config, "printer");
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *group = g_strconcat ("printer ", names[i], NULL);
      Ranked           r = { NULL, wk_config_get_int (config, group, "order"), i };

      r.printer = wk_printer_new_from_config (config, names[i], error);
      if (r.printer == NULL)
        {
          for (guint j = 0; j < ranked->len; j++)
            wk_printer_unref (g_array_index (ranked, Ranked, j).printer);
          return NULL;
        }
      g_array_append_val (ranked, r);
    }
  g_array_sort (ranked, compare_ranked);
  for (guint j = 0; j < ranked->len; j++)
    g_ptr_array_add (printers, g_array_index (ranked, Ranked, j).printer);
  return g_steal_pointer (&printers);
}

/* ---- states and reasons ------------------------------------------------------------ */

/**
 * wk_printer_state_to_string:
 * @state: a state
 *
 * Returns: "idle", "processing", "stopped" or "unreachable"
 */
const char *
wk_printer_state_to_string (WkPrinterState state)
{
  switch (state)
    {
    case WK_PRINTER_STATE_IDLE:
      return "idle";
    case WK_PRINTER_STATE_PROCESSING:
      return "processing";
    case WK_PRINTER_STATE_STOPPED:
      return "stopped";
    case WK_PRINTER_STATE_UNREACHABLE:
      return "unreachable";
    }
  return "unknown";
}

/**
 * wk_job_state_to_string:
 * @state: a job state
 *
 * Returns: the IPP keyword: "pending", "pending-held", "processing", "processing-stopped",
 *   "canceled", "aborted" or "completed"
 */
const char *
wk_job_state_to_string (WkJobState state)
{
  switch (state)
    {
    case WK_JOB_STATE_PENDING:
      return "pending";
    case WK_JOB_STATE_HELD:
      return "pending-held";
    case WK_JOB_STATE_PROCESSING:
      return "processing";
    case WK_JOB_STATE_STOPPED:
      return "processing-stopped";
    case WK_JOB_STATE_CANCELED:
      return "canceled";
    case WK_JOB_STATE_ABORTED:
      return "aborted";
    case WK_JOB_STATE_COMPLETED:
      return "completed";
    }
  return "unknown";
}

/**
 * wk_job_state_is_final:
 * @state: a job state
 *
 * Returns: whether the job is over: completed, aborted or canceled
 */
gboolean
wk_job_state_is_final (WkJobState state)
{
  return state == WK_JOB_STATE_COMPLETED || state == WK_JOB_STATE_ABORTED
         || state == WK_JOB_STATE_CANCELED;
}

/* printer-state-reasons keywords (RFC 8011, PWG 5100.x, CUPS) in words for ward staff.
 * @stops: the condition stops printing, whatever the keyword's severity suffix says. */
static const struct
{
  const char *keyword;
  const char *words;
  gboolean    stops;
} reason_words[] = {
  { "media-empty", "out of paper", TRUE },
  { "media-needed", "needs paper loading", TRUE },
  { "media-jam", "paper jam", TRUE },
  { "media-low", "paper running low", FALSE },
  { "door-open", "a door is open", TRUE },
  { "cover-open", "a cover is open", TRUE },
  { "interlock-open", "a door or cover is open", TRUE },
  { "toner-empty", "out of toner", TRUE },
  { "toner-low", "toner running low", FALSE },
  { "marker-supply-empty", "out of toner or ink", TRUE },
  { "marker-supply-low", "toner or ink running low", FALSE },
  { "marker-waste-full", "waste toner box full", TRUE },
  { "output-area-full", "output tray full", TRUE },
  { "output-tray-missing", "output tray missing", TRUE },
  { "input-tray-missing", "paper tray missing", TRUE },
  { "offline", "switched off or disconnected", TRUE },
  { "shutdown", "switched off", TRUE },
  { "connecting-to-device", "not responding (still trying to reach it)", TRUE },
  { "timed-out", "not responding", TRUE },
  { "paused", "stopped", TRUE },
  { "moving-to-paused", "stopping", TRUE },
  { "spool-area-full", "the print server's disk is full", TRUE },
  { "cups-missing-filter", "cannot convert the document for this printer", TRUE },
  { "fuser-over-temp", "overheated", TRUE },
  { "fuser-under-temp", "warming up", FALSE },
  { "cups-waiting-for-job-completed", NULL, FALSE },
  { "cups-remote-pending", NULL, FALSE },
  { "cups-remote-processing", NULL, FALSE },
  { "cups-ipp-conformance-failure-report", NULL, FALSE },
  { "other", "has a fault", TRUE },
};

/**
 * wk_printer_describe_reasons:
 * @reasons: (array zero-terminated=1): printer-state-reasons keywords
 * @problem: (out) (optional): set when one of them stops printing
 *
 * Turns printer-state-reasons into words ward staff understand ("out of paper; a door
 * is open"). Severity suffixes are respected: "-warning" and "-report" never make a
 * problem of a condition that does not stop printing. Unknown keywords are given as
 * they are, without their suffix.
 *
 * Returns: (transfer full): the words, "" when there is nothing to say
 */
char *
wk_printer_describe_reasons (const char *const *reasons, gboolean *problem)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  gboolean any_problem = FALSE;

  for (guint i = 0; reasons != NULL && reasons[i] != NULL; i++)
    {
      const char      *reason = reasons[i];
      g_autofree char *base = NULL;
      gboolean         warning = FALSE, known = FALSE, is_error = FALSE;

      if (strcmp (reason, "none") == 0 || *reason == '\0')
        continue;
      if (g_str_has_suffix (reason, "-error"))
        {
          base = g_strndup (reason, strlen (reason) - 6);
          is_error = TRUE;
        }
      else if (g_str_has_suffix (reason, "-warning") || g_str_has_suffix (reason, "-report"))
        {
          base = g_strndup (reason, strrchr (reason, '-') - reason);
          warning = g_str_has_suffix (reason, "-warning");
        }
      else
        base = g_strdup (reason);

      for (gsize k = 0; k < G_N_ELEMENTS (reason_words); k++)
        if (strcmp (base, reason_words[k].keyword) == 0)
          {
            known = TRUE;
            if (reason_words[k].words == NULL)
              break;
            if (!g_ptr_array_find_with_equal_func (words, reason_words[k].words, g_str_equal, NULL))
              g_ptr_array_add (words, g_strdup (reason_words[k].words));
            if ((reason_words[k].stops && !warning) || is_error)
              any_problem = TRUE;
            break;
          }
      if (!known)
        {
          g_strdelimit (base, "-", ' ');
          g_ptr_array_add (words, g_steal_pointer (&base));
          if (is_error)
            any_problem = TRUE;
        }
    }
  if (problem != NULL)
    *problem = any_problem;
  g_ptr_array_add (words, NULL);
  return g_strjoinv ("; ", (char **)words->pdata);
}

static char *
capitalised (const char *text)
{
  char *out = g_strdup (text);

  if (*out != '\0')
    *out = g_ascii_toupper (*out);
  return out;
}

/* The one line a screen shows for a printer. */
static char *
summarise (WkPrinterStatus *status, const char *words)
{
  const char *message
      = status->message != NULL && *status->message != '\0' ? status->message : NULL;
  g_autofree char *detail = NULL;

  if (*words != '\0' && message != NULL)
    detail = g_strdup_printf ("%s (%s)", words, message);
  else if (*words != '\0')
    detail = g_strdup (words);
  else if (message != NULL)
    detail = g_strdup (message);

  switch (status->state)
    {
    case WK_PRINTER_STATE_UNREACHABLE:
      return detail != NULL ? g_strdup_printf ("Not responding: %s", detail)
                            : g_strdup ("Not responding");
    case WK_PRINTER_STATE_STOPPED:
      return detail != NULL ? g_strdup_printf ("Stopped: %s", detail) : g_strdup ("Stopped");
    case WK_PRINTER_STATE_IDLE:
    case WK_PRINTER_STATE_PROCESSING:
      break;
    }
  if (!status->accepting)
    return detail != NULL ? g_strdup_printf ("Not accepting jobs: %s", detail)
                          : g_strdup ("Not accepting jobs");
  if (status->problem && *words != '\0')
    return capitalised (detail);
  if (status->state == WK_PRINTER_STATE_PROCESSING)
    return *words != '\0' ? g_strdup_printf ("Printing; %s", words) : g_strdup ("Printing");
  return *words != '\0' ? g_strdup_printf ("Ready; %s", words) : g_strdup ("Ready");
}

WkPrinterStatus *
_wk_printer_status_new (WkPrinterState state,
                        gboolean       accepting,
                        GStrv          reasons,
                        const char    *message)
{
  WkPrinterStatus *status = g_new0 (WkPrinterStatus, 1);
  g_autoptr (GStrvBuilder) kept = g_strv_builder_new ();
  g_autofree char *words = NULL;

  for (guint i = 0; reasons != NULL && reasons[i] != NULL; i++)
    if (strcmp (reasons[i], "none") != 0)
      g_strv_builder_add (kept, reasons[i]);
  g_strfreev (reasons);
  status->reasons = g_strv_builder_end (kept);
  /* "paused" means stopped (RFC 8011), whatever printer-state said a moment before. */
  if (g_strv_contains ((const char *const *)status->reasons, "paused"))
    state = WK_PRINTER_STATE_STOPPED;
  status->state = state;
  status->accepting = accepting;
  status->message = message != NULL && *message != '\0' ? g_strdup (message) : NULL;
  /* "paused" is how CUPS says a queue is stopped: the state already says it. */
  if (state == WK_PRINTER_STATE_STOPPED)
    {
      g_auto (GStrv) others = g_strdupv (status->reasons);
      g_autoptr (GStrvBuilder) without = g_strv_builder_new ();

      for (guint i = 0; others[i] != NULL; i++)
        if (strcmp (others[i], "paused") != 0)
          g_strv_builder_add (without, others[i]);
      g_strfreev (others);
      others = g_strv_builder_end (without);
      words = wk_printer_describe_reasons ((const char *const *)others, &status->problem);
    }
  else
    words = wk_printer_describe_reasons ((const char *const *)status->reasons, &status->problem);
  if (state == WK_PRINTER_STATE_STOPPED || state == WK_PRINTER_STATE_UNREACHABLE || !accepting)
    status->problem = TRUE;
  status->summary = summarise (status, words);
  return status;
}

/**
 * wk_printer_status_free:
 * @status: (nullable) (transfer full): a #WkPrinterStatus
 */
void
wk_printer_status_free (WkPrinterStatus *status)
{
  if (status == NULL)
    return;
  g_strfreev (status->reasons);
  g_free (status->message);
  g_free (status->summary);
  g_free (status);
}

/**
 * wk_job_status_free:
 * @status: (nullable) (transfer full): a #WkJobStatus
 */
void
wk_job_status_free (WkJobStatus *status)
{
  if (status == NULL)
    return;
  g_strfreev (status->reasons);
  g_free (status->message);
  g_free (status);
}

/**
 * wk_printer_check_job_name:
 * @job_name: a job name
 * @error: return location for a #GError
 *
 * Job names end up in CUPS's logs and on printers' panels, so they carry the chart id
 * the caller gives and never a patient identifier: 1 to 64 letters, digits, '.', '_' or
 * '-', and no run of ten or more digits (the shape of an NHS number).
 *
 * Returns: %TRUE when @job_name may be used; %FALSE with %WK_PRINT_ERROR_INVALID
 */
gboolean
wk_printer_check_job_name (const char *job_name, GError **error)
{
  gsize len, digits = 0;

  g_return_val_if_fail (job_name != NULL, FALSE);

  len = strlen (job_name);
  if (len == 0 || len > 64)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The job name must have 1 to 64 characters, not %zu", len);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = job_name[i];

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "The job name may hold only letters, digits, '.', '_' and '-' (character "
                       "%zu is not one): use the chart id",
                       i + 1);
          return FALSE;
        }
      digits = g_ascii_isdigit (c) ? digits + 1 : 0;
      if (digits >= 10)
        {
          g_set_error_literal (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                               "The job name holds ten digits in a row, the shape of an NHS "
                               "number; job names are logged by CUPS, so use the chart id");
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- blocking operations ------------------------------------------------------------ */

/**
 * wk_printer_get_status:
 * @printer: a #WkPrinter
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the printer its state. Blocks: call it from a worker thread, or use
 * wk_printer_get_status_async(). A printer (or CUPS server) that does not answer is
 * not an error: its state is %WK_PRINTER_STATE_UNREACHABLE.
 *
 * Returns: (transfer full): the status, or %NULL with an error (cancelled)
 */
WkPrinterStatus *
wk_printer_get_status (WkPrinter *printer, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (printer != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  locker = g_mutex_locker_new (&printer->lock);
  return printer->backend->get_status (printer, cancellable, error);
}

/**
 * wk_printer_submit:
 * @printer: a #WkPrinter
 * @job_name: the job's name: the chart id, never a patient identifier (see
 *   wk_printer_check_job_name())
 * @pdf: the document, a PDF in memory (it is streamed, never written to a temp file)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Submits one PDF as one job, with the printer's media, duplex and colour settings
 * (those the printer does not support are left out, with a warning: a chart printed
 * one-sided is better than none). Blocks.
 *
 * Returns: the job id (> 0), or 0 with %WK_PRINT_ERROR_UNREACHABLE,
 *   %WK_PRINT_ERROR_NOT_ACCEPTING, %WK_PRINT_ERROR_PRINTER or %WK_PRINT_ERROR_INVALID
 */
int
wk_printer_submit (WkPrinter    *printer,
                   const char   *job_name,
                   GBytes       *pdf,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (printer != NULL, 0);
  g_return_val_if_fail (job_name != NULL, 0);
  g_return_val_if_fail (pdf != NULL, 0);

  if (!wk_printer_check_job_name (job_name, error))
    return 0;
  if (g_bytes_get_size (pdf) < 5 || memcmp (g_bytes_get_data (pdf, NULL), "%PDF-", 5) != 0)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "Document %s is not a PDF (it does not start with %%PDF-)", job_name);
      return 0;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return 0;
  locker = g_mutex_locker_new (&printer->lock);
  return printer->backend->submit (printer, job_name, pdf, cancellable, error);
}

/**
 * wk_printer_get_job_status:
 * @printer: a #WkPrinter
 * @job_id: a job id wk_printer_submit() returned
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the state of one job. Blocks.
 *
 * Returns: (transfer full): the job's status, or %NULL with %WK_PRINT_ERROR_UNREACHABLE
 *   (no answer) or %WK_PRINT_ERROR_PRINTER (the printer does not know the job: it lost
 *   it, e.g. on a restart)
 */
WkJobStatus *
wk_printer_get_job_status (WkPrinter    *printer,
                           int           job_id,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (printer != NULL, NULL);
  g_return_val_if_fail (job_id > 0, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  locker = g_mutex_locker_new (&printer->lock);
  return printer->backend->get_job_status (printer, job_id, cancellable, error);
}

/**
 * wk_printer_cancel_job:
 * @printer: a #WkPrinter
 * @job_id: a job id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cancels a job that has not finished. It fails for a job that has (so a document just
 * printed is never taken for a canceled one); wk_printer_purge_job() then deletes what
 * CUPS keeps of the canceled job. Blocks.
 *
 * Returns: %TRUE when the job is canceled; %FALSE with an error (for a job that had
 *   already finished, %WK_PRINT_ERROR_PRINTER)
 */
gboolean
wk_printer_cancel_job (WkPrinter *printer, int job_id, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (printer != NULL, FALSE);
  g_return_val_if_fail (job_id > 0, FALSE);

  locker = g_mutex_locker_new (&printer->lock);
  return printer->backend->cancel_job (printer, job_id, FALSE, cancellable, error);
}

/**
 * wk_printer_purge_job:
 * @printer: a #WkPrinter
 * @job_id: a job id, usually of a finished job
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Deletes what the print system keeps of a job. CUPS keeps a printed job's document in
 * its spool for a day by default (`PreserveJobFiles`); this asks cupsd to purge it
 * (Cancel-Job with purge-job). A direct printer and a PDF folder keep nothing to purge.
 * Blocks.
 *
 * Returns: %TRUE when nothing of the job is left; %FALSE with %WK_PRINT_ERROR_PRINTER
 *   when CUPS refused (the message says what to set in cupsd.conf)
 */
gboolean
wk_printer_purge_job (WkPrinter *printer, int job_id, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (printer != NULL, FALSE);
  g_return_val_if_fail (job_id > 0, FALSE);

  locker = g_mutex_locker_new (&printer->lock);
  return printer->backend->cancel_job (printer, job_id, TRUE, cancellable, error);
}

/* ---- asynchronous variants ---------------------------------------------------------- */

typedef struct
{
  char   *job_name;
  GBytes *pdf;
  int     job_id;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->job_name);
  g_clear_pointer (&data->pdf, g_bytes_unref);
  g_free (data);
}

static GTask *
new_call (WkPrinter          *printer,
          gpointer            tag,
          CallData           *data,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, data, (GDestroyNotify)call_data_free);
  g_object_set_data_full (G_OBJECT (task), "wk-printer", wk_printer_ref (printer),
                          (GDestroyNotify)wk_printer_unref);
  return task;
}

static WkPrinter *
call_printer (GTask *task)
{
  return g_object_get_data (G_OBJECT (task), "wk-printer");
}

static void
get_status_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError          *error = NULL;
  WkPrinterStatus *status = wk_printer_get_status (call_printer (task), cancellable, &error);

  if (status == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, status, (GDestroyNotify)wk_printer_status_free);
}

/**
 * wk_printer_get_status_async:
 * @printer: a #WkPrinter
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default main context when done
 * @user_data: for @callback
 *
 * wk_printer_get_status() in a worker thread.
 */
void
wk_printer_get_status_async (WkPrinter          *printer,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (printer != NULL);

  task = new_call (printer, wk_printer_get_status_async, g_new0 (CallData, 1), cancellable,
                   callback, user_data);
  g_task_run_in_thread (task, get_status_thread);
}

/**
 * wk_printer_get_status_finish:
 * @printer: a #WkPrinter
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the status, or %NULL with an error
 */
WkPrinterStatus *
wk_printer_get_status_finish (WkPrinter *printer, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == wk_printer_get_status_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
submit_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CallData *data = task_data;
  GError   *error = NULL;
  int       job_id
      = wk_printer_submit (call_printer (task), data->job_name, data->pdf, cancellable, &error);

  if (job_id <= 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, job_id);
}

/**
 * wk_printer_submit_async:
 * @printer: a #WkPrinter
 * @job_name: the job's name (the chart id)
 * @pdf: the document
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default main context when done
 * @user_data: for @callback
 *
 * wk_printer_submit() in a worker thread.
 */
void
wk_printer_submit_async (WkPrinter          *printer,
                         const char         *job_name,
                         GBytes             *pdf,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  CallData *data = g_new0 (CallData, 1);

  g_return_if_fail (printer != NULL);

  data->job_name = g_strdup (job_name);
  data->pdf = g_bytes_ref (pdf);
  task = new_call (printer, wk_printer_submit_async, data, cancellable, callback, user_data);
  g_task_run_in_thread (task, submit_thread);
}

/**
 * wk_printer_submit_finish:
 * @printer: a #WkPrinter
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: the job id, or 0 with an error
 */
int
wk_printer_submit_finish (WkPrinter *printer, GAsyncResult *result, GError **error)
{
  gssize job_id;

  g_return_val_if_fail (g_task_is_valid (result, NULL), 0);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == wk_printer_submit_async, 0);

  job_id = g_task_propagate_int (G_TASK (result), error);
  return job_id > 0 ? (int)job_id : 0;
}

static void
job_status_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CallData    *data = task_data;
  GError      *error = NULL;
  WkJobStatus *status
      = wk_printer_get_job_status (call_printer (task), data->job_id, cancellable, &error);

  if (status == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, status, (GDestroyNotify)wk_job_status_free);
}

/**
 * wk_printer_get_job_status_async:
 * @printer: a #WkPrinter
 * @job_id: a job id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default main context when done
 * @user_data: for @callback
 *
 * wk_printer_get_job_status() in a worker thread.
 */
void
wk_printer_get_job_status_async (WkPrinter          *printer,
                                 int                 job_id,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  CallData *data = g_new0 (CallData, 1);

  g_return_if_fail (printer != NULL);

  data->job_id = job_id;
  task
      = new_call (printer, wk_printer_get_job_status_async, data, cancellable, callback, user_data);
  g_task_run_in_thread (task, job_status_thread);
}

/**
 * wk_printer_get_job_status_finish:
 * @printer: a #WkPrinter
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the job's status, or %NULL with an error
 */
WkJobStatus *
wk_printer_get_job_status_finish (WkPrinter *printer, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == wk_printer_get_job_status_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
cancel_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CallData *data = task_data;
  GError   *error = NULL;

  if (!wk_printer_cancel_job (call_printer (task), data->job_id, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * wk_printer_cancel_job_async:
 * @printer: a #WkPrinter
 * @job_id: a job id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default main context when done
 * @user_data: for @callback
 *
 * wk_printer_cancel_job() in a worker thread.
 */
void
wk_printer_cancel_job_async (WkPrinter          *printer,
                             int                 job_id,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  CallData *data = g_new0 (CallData, 1);

  g_return_if_fail (printer != NULL);

  data->job_id = job_id;
  task = new_call (printer, wk_printer_cancel_job_async, data, cancellable, callback, user_data);
  g_task_run_in_thread (task, cancel_thread);
}

/**
 * wk_printer_cancel_job_finish:
 * @printer: a #WkPrinter
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the job is canceled, else %FALSE with an error
 */
gboolean
wk_printer_cancel_job_finish (WkPrinter *printer, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == wk_printer_cancel_job_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
