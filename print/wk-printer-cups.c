/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-printer-cups.c — the CUPS printer backend: a cupsd queue, or an IPP printer directly.
 *
 * Every printer is reached through its own HTTP connection to one address: a queue NAME
 * becomes ipp://SERVER/printers/NAME on the configured scheduler (or libcups's default
 * one), a URI is used as it is. So nothing depends on CUPS_SERVER or on the process's
 * environment, and a test can point at a private cupsd. The job sequence is CUPS 2.4's
 * destination API as cups/testdest.c uses it, with every status checked. */

#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-print-error.h"
#include "wk-printer-private.h"

#include <cups/cups.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ipp_t, ippDelete)

typedef struct
{
  char             *name;        /* the printer's name, for messages */
  char             *queue;       /* the queue name, or NULL for a URI */
  char             *printer_uri; /* what requests name as printer-uri */
  char             *host;        /* host name, address or socket path */
  int               port;
  char             *resource; /* /printers/NAME, /ipp/print, ... */
  http_encryption_t encryption;
  gboolean          scheduler; /* a cupsd queue: jobs can and must be purged */
  int               timeout_ms;
  WkPrinterDuplex   duplex;
  gboolean          mono;
  char             *media;

  http_t        *http;
  cups_dest_t   *dest;
  cups_dinfo_t  *info;
  int            num_options;
  cups_option_t *options;
} Cups;

static void
cups_disconnect (Cups *c)
{
  g_clear_pointer (&c->info, cupsFreeDestInfo);
  if (c->dest != NULL)
    cupsFreeDests (1, c->dest);
  c->dest = NULL;
  cupsFreeOptions (c->num_options, c->options);
  c->num_options = 0;
  c->options = NULL;
  g_clear_pointer (&c->http, httpClose);
}

static void
cups_finalize (gpointer data)
{
  Cups *c = data;

  cups_disconnect (c);
  g_free (c->name);
  g_free (c->queue);
  g_free (c->printer_uri);
  g_free (c->host);
  g_free (c->resource);
  g_free (c->media);
  g_free (c);
}

/* libcups calls this when the server has not answered for the connection's timeout:
 * give up, so that a dead printer is noticed instead of waited on for ever. */
static int
give_up_cb (http_t *http, void *user_data)
{
  return 0;
}

static const char *
where (Cups *c)
{
  return c->queue != NULL ? "the CUPS server" : "the printer";
}

static gboolean
cups_connect (Cups *c, GError **error)
{
  if (c->http != NULL)
    return TRUE;
  c->http = httpConnect2 (c->host, c->port, NULL, AF_UNSPEC, c->encryption, 1, c->timeout_ms, NULL);
  if (c->http == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNREACHABLE,
                   "Cannot reach %s for printer %s at %s:%d (%s). Check that it is switched on "
                   "and connected, or print to another printer",
                   where (c), c->name, c->host, c->port, cupsLastErrorString ());
      return FALSE;
    }
  httpSetTimeout (c->http, MAX (1.0, c->timeout_ms / 1000.0), give_up_cb, NULL);
  return TRUE;
}

/* After a request got no answer at all, the connection is dropped so the next call
 * connects afresh, and the caller hears "unreachable". */
static void
set_request_error (Cups *c, GError **error, const char *doing)
{
  ipp_status_t status = cupsLastError ();
  const char  *message = cupsLastErrorString ();

  if (status == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || status == IPP_STATUS_ERROR_INTERNAL
      || (c->http != NULL && httpError (c->http) != 0))
    {
      cups_disconnect (c);
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNREACHABLE,
                   "Printer %s: no answer from %s while %s (%s). Check that it is switched on "
                   "and connected, or print to another printer",
                   c->name, where (c), doing, message);
    }
  else if (status == IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS)
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_NOT_ACCEPTING,
                 "Printer %s is not accepting jobs (%s). Use another printer, or ask IT to "
                 "enable it (cupsaccept)",
                 c->name, message);
  else if (status == IPP_STATUS_ERROR_NOT_FOUND && c->info == NULL)
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                 "Printer %s: %s has no printer at %s (%s). Check the printer's uri (and server) "
                 "in the configuration",
                 c->name, where (c), c->printer_uri, message);
  else
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER, "Printer %s refused %s: %s (%s)",
                 c->name, doing, message, ippErrorString (status));
}

/* The option CUPS should get for @name = @value, if the printer supports it. */
static void
add_supported (Cups *c, const char *name, const char *value, const char *what)
{
  if (cupsCheckDestSupported (c->http, c->dest, c->info, name, value))
    c->num_options = cupsAddOption (name, value, c->num_options, &c->options);
  else if (what != NULL)
    g_message ("Printer %s cannot print %s; printing without it", c->name, what);
}

/* The destination, its capabilities and the job options, fetched once per connection. */
static gboolean
cups_prepare (Cups *c, GError **error)
{
  static const char *const sides[]
      = { CUPS_SIDES_ONE_SIDED, CUPS_SIDES_TWO_SIDED_PORTRAIT, CUPS_SIDES_TWO_SIDED_LANDSCAPE };
  cups_size_t size;

  if (!cups_connect (c, error))
    return FALSE;
  if (c->info != NULL)
    return TRUE;
  if (c->dest == NULL)
    c->dest = cupsGetDestWithURI (c->queue, c->printer_uri);
  if (c->dest == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID, "Printer %s: bad address %s (%s)",
                   c->name, c->printer_uri, cupsLastErrorString ());
      return FALSE;
    }
  c->info = cupsCopyDestInfo (c->http, c->dest);
  if (c->info == NULL)
    {
      set_request_error (c, error, "describing itself");
      return FALSE;
    }

  /* Preferences, not demands: a chart on the wrong paper or one-sided beats no chart. */
  if (c->media != NULL && *c->media != '\0')
    {
      /* "A4", "Letter" (PPD and legacy names) or a PWG name, as PWG names the size. */
      pwg_media_t *pwg = pwgMediaForPWG (c->media);

      if (pwg == NULL)
        pwg = pwgMediaForPPD (c->media);
      if (pwg == NULL)
        pwg = pwgMediaForLegacy (c->media);
      if (pwg != NULL
          && cupsGetDestMediaByName (c->http, c->dest, c->info, pwg->pwg, CUPS_MEDIA_FLAGS_DEFAULT,
                                     &size))
        c->num_options = cupsAddOption (CUPS_MEDIA, size.media, c->num_options, &c->options);
      else
        g_message ("Printer %s has no %s paper; printing on its default paper", c->name, c->media);
    }
  add_supported (c, CUPS_SIDES, sides[c->duplex],
                 c->duplex == WK_PRINTER_DUPLEX_ONE_SIDED ? NULL : "on both sides");
  if (c->mono)
    add_supported (c, CUPS_PRINT_COLOR_MODE, CUPS_PRINT_COLOR_MODE_MONOCHROME,
                   "in black and white");
  return TRUE;
}

static ipp_t *
new_request (Cups *c, ipp_op_t op)
{
  ipp_t *request = ippNewRequest (op);

  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, c->printer_uri);
  return request;
}

static ipp_t *
new_job_request (Cups *c, ipp_op_t op, int job_id)
{
  ipp_t *request = new_request (c, op);

  ippAddInteger (request, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", job_id);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
                cupsUser ());
  return request;
}

static GStrv
dup_keywords (ipp_t *response, const char *name)
{
  ipp_attribute_t *attr = ippFindAttribute (response, name, IPP_TAG_KEYWORD);
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  for (int i = 0; attr != NULL && i < ippGetCount (attr); i++)
    g_strv_builder_add (out, ippGetString (attr, i, NULL));
  return g_strv_builder_end (out);
}

static const char *
find_text (ipp_t *response, const char *name)
{
  ipp_attribute_t *attr = ippFindAttribute (response, name, IPP_TAG_ZERO);

  return attr != NULL ? ippGetString (attr, 0, NULL) : NULL;
}

/* What CUPS's ipp backend says while it cannot reach the printer behind a queue (the
 * queue itself reports no reason then). */
static gboolean
says_not_responding (const char *message)
{
  static const char *const phrases[] = {
    "may not exist or is unavailable",
    "is not responding",
    "is unreachable",
    "Unable to locate",
    "Unable to connect",
    "is busy; will retry",
  };

  for (gsize i = 0; message != NULL && i < G_N_ELEMENTS (phrases); i++)
    if (strstr (message, phrases[i]) != NULL)
      return TRUE;
  return FALSE;
}

static WkPrinterStatus *
cups_get_status (WkPrinter *printer, GCancellable *cancellable, GError **error)
{
  static const char *const wanted[] = { "printer-state", "printer-state-reasons",
                                        "printer-state-message", "printer-is-accepting-jobs" };
  Cups                    *c = _wk_printer_get_data (printer);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (ipp_t) response = NULL;
  ipp_t           *request;
  ipp_attribute_t *accepting;
  WkPrinterState   state;
  WkPrinterStatus *status;
  const char      *message;

  if (!cups_connect (c, &local_error))
    return _wk_printer_status_new (WK_PRINTER_STATE_UNREACHABLE, FALSE, NULL, local_error->message);
  request = new_request (c, IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                 G_N_ELEMENTS (wanted), NULL, wanted);
  response = cupsDoRequest (c->http, request, c->resource);
  if (response == NULL || ippGetStatusCode (response) > IPP_STATUS_OK_CONFLICTING)
    {
      set_request_error (c, &local_error, "reporting its state");
      if (g_error_matches (local_error, WK_PRINT_ERROR, WK_PRINT_ERROR_UNREACHABLE))
        return _wk_printer_status_new (WK_PRINTER_STATE_UNREACHABLE, FALSE, NULL,
                                       local_error->message);
      return _wk_printer_status_new (WK_PRINTER_STATE_STOPPED, FALSE, NULL, local_error->message);
    }

  switch (ippGetInteger (ippFindAttribute (response, "printer-state", IPP_TAG_ENUM), 0))
    {
    case IPP_PSTATE_PROCESSING:
      state = WK_PRINTER_STATE_PROCESSING;
      break;
    case IPP_PSTATE_STOPPED:
      state = WK_PRINTER_STATE_STOPPED;
      break;
    default:
      state = WK_PRINTER_STATE_IDLE;
      break;
    }
  accepting = ippFindAttribute (response, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN);
  message = find_text (response, "printer-state-message");
  status = _wk_printer_status_new (state, accepting == NULL || ippGetBoolean (accepting, 0),
                                   dup_keywords (response, "printer-state-reasons"), message);
  if (says_not_responding (message) && state != WK_PRINTER_STATE_STOPPED)
    {
      g_free (status->summary);
      status->summary = g_strdup_printf ("Not responding (%s)", message);
      status->problem = TRUE;
    }
  return status;
}

static int
cups_submit (WkPrinter    *printer,
             const char   *job_name,
             GBytes       *pdf,
             GCancellable *cancellable,
             GError      **error)
{
  Cups         *c = _wk_printer_get_data (printer);
  gsize         size = 0;
  const char   *data = g_bytes_get_data (pdf, &size);
  int           job_id = 0;
  ipp_status_t  status;
  http_status_t http_status;

  if (!cups_prepare (c, error))
    return 0;
  status = cupsCreateDestJob (c->http, c->dest, c->info, &job_id, job_name, c->num_options,
                              c->options);
  if (status > IPP_STATUS_OK_CONFLICTING || job_id <= 0)
    {
      set_request_error (c, error, "a new job");
      return 0;
    }
  http_status = cupsStartDestDocument (c->http, c->dest, c->info, job_id, job_name, CUPS_FORMAT_PDF,
                                       0, NULL, 1);
  /* The PDF goes from memory onto the connection: no temporary file anywhere. */
  for (gsize offset = 0; http_status == HTTP_STATUS_CONTINUE && offset < size; offset += 65536)
    {
      if (g_cancellable_is_cancelled (cancellable))
        break;
      http_status = cupsWriteRequestData (c->http, data + offset, MIN (65536, size - offset));
    }
  if (http_status == HTTP_STATUS_CONTINUE && !g_cancellable_is_cancelled (cancellable))
    status = cupsFinishDestDocument (c->http, c->dest, c->info);
  else
    status = IPP_STATUS_ERROR_INTERNAL;
  if (status > IPP_STATUS_OK_CONFLICTING)
    {
      g_autoptr (GError) ignored = NULL;

      if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        set_request_error (c, error, "the document");
      /* Leave no half-sent job (or its spool file) behind, on a new connection: this one
       * may be in the middle of a request. */
      cups_disconnect (c);
      if (cups_connect (c, &ignored))
        {
          g_autoptr (ipp_t) request = new_job_request (c, IPP_OP_CANCEL_JOB, job_id);

          if (c->scheduler)
            ippAddBoolean (request, IPP_TAG_OPERATION, "purge-job", 1);
          ippDelete (cupsDoRequest (c->http, g_steal_pointer (&request), c->resource));
        }
      return 0;
    }
  return job_id;
}

static WkJobStatus *
cups_get_job_status (WkPrinter *printer, int job_id, GCancellable *cancellable, GError **error)
{
  static const char *const wanted[]
      = { "job-state", "job-state-reasons", "job-state-message", "job-printer-state-message" };
  Cups *c = _wk_printer_get_data (printer);
  g_autoptr (ipp_t) response = NULL;
  ipp_t           *request;
  WkJobStatus     *status;
  const char      *message;
  ipp_attribute_t *state;

  if (!cups_connect (c, error))
    return NULL;
  request = new_job_request (c, IPP_OP_GET_JOB_ATTRIBUTES, job_id);
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                 G_N_ELEMENTS (wanted), NULL, wanted);
  response = cupsDoRequest (c->http, request, c->resource);
  if (response == NULL)
    {
      set_request_error (c, error, "reporting a job");
      return NULL;
    }
  state = ippFindAttribute (response, "job-state", IPP_TAG_ENUM);
  if (ippGetStatusCode (response) > IPP_STATUS_OK_CONFLICTING || state == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                   "Printer %s does not know job %d any more (%s): it may have restarted", c->name,
                   job_id, cupsLastErrorString ());
      return NULL;
    }
  status = g_new0 (WkJobStatus, 1);
  status->state = CLAMP (ippGetInteger (state, 0), WK_JOB_STATE_PENDING, WK_JOB_STATE_COMPLETED);
  status->reasons = dup_keywords (response, "job-state-reasons");
  message = find_text (response, "job-printer-state-message");
  if (message == NULL || *message == '\0')
    message = find_text (response, "job-state-message");
  status->message = message != NULL ? g_strstrip (g_strdup (message)) : NULL;
  if (status->message != NULL && *status->message == '\0')
    g_clear_pointer (&status->message, g_free);
  return status;
}

static gboolean
cups_cancel_job (
    WkPrinter *printer, int job_id, gboolean purge, GCancellable *cancellable, GError **error)
{
  Cups *c = _wk_printer_get_data (printer);
  g_autoptr (ipp_t) response = NULL;
  ipp_t       *request;
  ipp_status_t status;

  /* A printer addressed directly keeps no spool file we could purge. */
  if (purge && !c->scheduler)
    return TRUE;
  if (!cups_connect (c, error))
    return FALSE;
  request = new_job_request (c, IPP_OP_CANCEL_JOB, job_id);
  /* On cupsd, purge-job deletes the job's files at once, finished or not. A plain cancel
   * leaves it out: it must fail for a job that has just completed, or the caller would
   * take a printed document for a canceled one. */
  if (purge)
    ippAddBoolean (request, IPP_TAG_OPERATION, "purge-job", 1);
  response = cupsDoRequest (c->http, request, c->resource);
  if (response == NULL)
    {
      set_request_error (c, error, "canceling a job");
      return FALSE;
    }
  status = ippGetStatusCode (response);
  if (status <= IPP_STATUS_OK_CONFLICTING)
    return TRUE;
  if (purge)
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                 "CUPS refused to delete job %d of printer %s from its spool (%s). Its copy of "
                 "the chart stays in CUPS's spool folder for as long as cupsd.conf's "
                 "PreserveJobFiles says (a day by default): set \"PreserveJobFiles No\" in "
                 "/etc/cups/cupsd.conf and restart CUPS",
                 job_id, c->name, cupsLastErrorString ());
  else
    g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                 "Printer %s did not cancel job %d: %s", c->name, job_id, cupsLastErrorString ());
  return FALSE;
}

static const WkPrinterBackend cups_backend = {
  .kind = "cups",
  .get_status = cups_get_status,
  .submit = cups_submit,
  .get_job_status = cups_get_job_status,
  .cancel_job = cups_cancel_job,
  .finalize = cups_finalize,
};

/* "host", "host:port", "[v6]:port" or a socket path into host and port. */
static gboolean
split_server (const char *server, char **host, int *port)
{
  const char *colon = strrchr (server, ':');
  guint64     n;

  if (server[0] == '/')
    {
      *host = g_strdup (server);
      *port = 0;
      return TRUE;
    }
  if (colon != NULL && strchr (server, ']') < colon && strchr (colon, ']') == NULL)
    {
      if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &n, NULL))
        return FALSE;
      *host = g_strndup (server, colon - server);
      *port = (int)n;
    }
  else
    {
      *host = g_strdup (server);
      *port = ippPort ();
    }
  if (**host == '[')
    {
      char *bare = g_strndup (*host + 1, strlen (*host) - 2);

      g_free (*host);
      *host = bare;
    }
  return **host != '\0';
}

static gboolean
queue_name_is_valid (const char *queue)
{
  gsize len = strlen (queue);

  if (len == 0 || len > 127)
    return FALSE;
  for (const char *p = queue; *p != '\0'; p++)
    if (*p <= ' ' || *p == '/' || *p == '#' || *p == 127)
      return FALSE;
  return TRUE;
}

WkPrinter *
_wk_printer_new_cups (const char              *name,
                      const char              *uri,
                      const WkPrinterSettings *settings,
                      GError                 **error)
{
  g_autofree char *host = NULL;
  int              port = 0;
  Cups            *c;
  WkPrinter       *printer;

  if (strstr (uri, "://") != NULL)
    {
      char scheme[32], userpass[256], hostname[256], resource[1024];

      if (httpSeparateURI (HTTP_URI_CODING_ALL, uri, scheme, sizeof scheme, userpass,
                           sizeof userpass, hostname, sizeof hostname, &port, resource,
                           sizeof resource)
              < HTTP_URI_STATUS_OK
          || (strcmp (scheme, "ipp") != 0 && strcmp (scheme, "ipps") != 0) || *hostname == '\0')
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "\"%s\" is not an ipp:// or ipps:// printer URI. For a printer CUPS "
                       "reaches another way (socket, LPD, USB), add a CUPS queue for it and give "
                       "the queue's name",
                       uri);
          return NULL;
        }
      c = g_new0 (Cups, 1);
      c->host = g_strdup (hostname);
      c->port = port;
      c->resource = g_strdup (resource);
      c->printer_uri = g_strdup (uri);
      c->encryption
          = strcmp (scheme, "ipps") == 0 ? HTTP_ENCRYPTION_ALWAYS : HTTP_ENCRYPTION_IF_REQUESTED;
      c->scheduler
          = g_str_has_prefix (resource, "/printers/") || g_str_has_prefix (resource, "/classes/");
    }
  else
    {
      const char *server = settings->server != NULL ? settings->server : cupsServer ();
      char        printer_uri[1024];

      if (!queue_name_is_valid (uri))
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "\"%s\" is not a CUPS queue name (1 to 127 characters, no spaces, '/' or "
                       "'#'), an ipp:// or ipps:// URI, or an absolute folder path",
                       uri);
          return NULL;
        }
      if (!split_server (server, &host, &port))
        {
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                       "\"%s\" is not a CUPS server address: expected host, host:port or a "
                       "socket path",
                       server);
          return NULL;
        }
      c = g_new0 (Cups, 1);
      c->queue = g_strdup (uri);
      c->host = g_steal_pointer (&host);
      c->port = port;
      c->resource = g_strdup_printf ("/printers/%s", uri);
      httpAssembleURIf (HTTP_URI_CODING_ALL, printer_uri, sizeof printer_uri, "ipp", NULL,
                        c->host[0] == '/' ? "localhost" : c->host,
                        c->port > 0 ? c->port : ippPort (), "/printers/%s", uri);
      c->printer_uri = g_strdup (printer_uri);
      c->encryption = HTTP_ENCRYPTION_IF_REQUESTED;
      c->scheduler = TRUE;
    }
  c->name = g_strdup (name);
  c->timeout_ms = (int)CLAMP (settings->connect_timeout_ms, 100, G_MAXINT);
  c->duplex = settings->duplex;
  c->mono = settings->mono;
  c->media = g_strdup (settings->media);
  printer = _wk_printer_new (&cups_backend, name, uri, settings, c);
  _wk_printer_set_spools (printer, c->scheduler);
  return printer;
}
