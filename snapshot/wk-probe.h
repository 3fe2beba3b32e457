/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-probe.h — one health probe of a central system: a TCP connect or an HTTP(S) GET. */

#pragma once

#include "wk-clock.h"
#include "wk-config.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkProbeKind:
 * @WK_PROBE_TCP: the system answers when a TCP connection to host:port is accepted
 * @WK_PROBE_HTTP: the system answers when an HTTP or HTTPS GET returns the expected status
 */
typedef enum
{
  WK_PROBE_TCP,
  WK_PROBE_HTTP,
} WkProbeKind;

/** The interval and timeout of a probe when nothing else is configured. */
#define WK_PROBE_DEFAULT_INTERVAL_US (15 * G_USEC_PER_SEC)
#define WK_PROBE_DEFAULT_TIMEOUT_US (5 * G_USEC_PER_SEC)

/**
 * WkProbeResult:
 * @ok: whether the system answered as expected
 * @reason: what happened, in words for staff and logs: "HTTP 200 in 12 ms",
 *   "connection refused", "timed out after 5 s waiting for the response", "HTTP 503
 *   (expected 200)"
 * @http_status: the status the server sent, or 0 (TCP probes, no status line)
 * @started_us: when the probe started (monotonic time of the probe's clock)
 * @finished_us: when the result was known (monotonic time)
 *
 * What one run of a probe found.
 */
typedef struct
{
  gboolean ok;
  char    *reason;
  guint    http_status;
  gint64   started_us;
  gint64   finished_us;
} WkProbeResult;

WkProbeResult *wk_probe_result_new (gboolean ok, const char *reason);
WkProbeResult *wk_probe_result_copy (const WkProbeResult *result);
void           wk_probe_result_free (WkProbeResult *result);

/**
 * WkProbe:
 *
 * One configured check of a central system: a TCP connect to host:port, or an HTTP or
 * HTTPS GET of a URL that must answer with an expected status. Each probe has its own
 * interval (how often the monitor runs it) and timeout (how long one run may take: a run
 * still waiting then fails, "timed out after 5 s"). A run never blocks the main loop: it
 * connects, sends and reads with GIO's asynchronous calls, and its timeout is scheduled on
 * a #WkClock. HTTPS checks the server's certificate against the system's trusted
 * certificates, or against the PEM file set with wk_probe_set_ca_file(). Probes never go
 * through a proxy: the kiosk checks the central systems themselves.
 *
 * For an HTTP probe only the status line is read (at most 1 KiB, "HTTP/1.x NNN ..."),
 * then the connection is closed; the body is never read.
 */
typedef struct _WkProbe WkProbe;

WkProbe *wk_probe_new_tcp (const char *name, const char *address, GError **error);
WkProbe *wk_probe_new_http (const char *name, const char *url, guint expect_status, GError **error);
WkProbe *wk_probe_new_from_config (WkConfig *config, const char *name, GError **error);
WkProbe *wk_probe_ref (WkProbe *probe);
void     wk_probe_unref (WkProbe *probe);

void     wk_probe_set_timing (WkProbe *probe, gint64 interval_us, gint64 timeout_us);
gboolean wk_probe_set_ca_file (WkProbe *probe, const char *path, GError **error);

const char *wk_probe_get_name (WkProbe *probe);
WkProbeKind wk_probe_get_kind (WkProbe *probe);
const char *wk_probe_get_target (WkProbe *probe);
gint64      wk_probe_get_interval (WkProbe *probe);
gint64      wk_probe_get_timeout (WkProbe *probe);

void           wk_probe_run_async (WkProbe            *probe,
                                   WkClock            *clock,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
WkProbeResult *wk_probe_run_finish (WkProbe *probe, GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkProbe, wk_probe_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkProbeResult, wk_probe_result_free)

G_END_DECLS
