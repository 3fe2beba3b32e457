/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-listener.h — the HL7 feed's MLLP server: framing, TLS, allow-list, ACKs. */

#pragma once

#include "wk-config.h"
#include "wk-mllp-framer.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/** The IANA port for HL7 over MLLP, the default of `[feed] port`. */
#define WK_MLLP_DEFAULT_PORT 2575

/**
 * WkMllpHandler:
 * @message: the message, without its MLLP frame
 * @size: its length in bytes
 * @user_data: the data given to wk_mllp_listener_new()
 *
 * Applies (or refuses) one complete message. Called on the listener's main context,
 * one message at a time, in the order a connection sent them.
 *
 * Returns: (transfer full): the acknowledgement to send back, without the frame
 */
typedef GBytes *(*WkMllpHandler) (const guint8 *message, gsize size, gpointer user_data);

/**
 * WkMllpRefuseFunc:
 * @head: the first bytes of the frame (at most %WK_MLLP_HEAD_SIZE), cut at the end of its
 *   first segment when there is one: the MSH segment
 * @size: the length of @head
 * @reason: why the frame is refused, for the ERR segment ("the message is 2000000 bytes
 *   long; the largest this kiosk takes is 1048576 bytes")
 * @user_data: the data given to wk_mllp_listener_set_refuse_func()
 *
 * Builds the `MSA|AR` acknowledgement of a frame that is refused without being parsed
 * (an oversized message). Returning %NULL (no readable MSH) makes the listener close the
 * connection instead.
 *
 * Returns: (transfer full) (nullable): the acknowledgement, without the frame
 */
typedef GBytes *(*WkMllpRefuseFunc) (const guint8 *head,
                                     gsize         size,
                                     const char   *reason,
                                     gpointer      user_data);

/**
 * WkMllpStats:
 * @connections_open: connections open now
 * @connections_total: connections accepted since the listener started
 * @connections_refused: connections closed at once: peer not allowed, too many
 *   connections, failed TLS handshake
 * @frames: complete frames handed to the handler (each one acknowledged)
 * @frames_refused: frames refused without the handler: oversized, unterminated
 *   (a new start byte or the end of the connection before the end bytes), or a bad end
 * @garbage_bytes: bytes received outside any frame and dropped (line ends between
 *   frames are not counted)
 * @idle_closed: connections closed because the peer sent nothing for the idle timeout
 * @buffered_bytes: bytes held now for frames still arriving and acknowledgements not yet
 *   written, over all connections
 * @buffered_peak: the most @buffered_bytes has been
 *
 * Counters for the daemon's status and for tests.
 */
typedef struct
{
  guint   connections_open;
  guint64 connections_total;
  guint64 connections_refused;
  guint64 frames;
  guint64 frames_refused;
  guint64 garbage_bytes;
  guint64 idle_closed;
  gsize   buffered_bytes;
  gsize   buffered_peak;
} WkMllpStats;

/**
 * WkMllpListener:
 *
 * Listens for HL7 v2 messages over MLLP (`0x0B` message `0x1C 0x0D`) on one address and
 * port, plain or TLS, from the peers on an allow-list. Each complete frame goes to the
 * handler on the main context the listener was started from, and what the handler
 * returns is written back, framed, before the next message of that connection is taken.
 * Memory is bounded: a connection holds at most one frame of at most the maximum frame
 * size, plus a bounded queue of acknowledgements (reading stops while a peer does not
 * read them), and the number of connections is capped.
 */
typedef struct _WkMllpListener WkMllpListener;

WkMllpListener *
wk_mllp_listener_new (WkMllpHandler handler, gpointer user_data, GDestroyNotify destroy);
WkMllpListener *wk_mllp_listener_new_from_config (WkConfig      *config,
                                                  WkMllpHandler  handler,
                                                  gpointer       user_data,
                                                  GDestroyNotify destroy,
                                                  GError       **error);
void            wk_mllp_listener_free (WkMllpListener *listener);

void wk_mllp_listener_set_refuse_func (WkMllpListener  *listener,
                                       WkMllpRefuseFunc func,
                                       gpointer         user_data);
void wk_mllp_listener_set_max_frame_size (WkMllpListener *listener, gsize max_frame_size);
void wk_mllp_listener_set_idle_timeout (WkMllpListener *listener, guint timeout_ms);
void wk_mllp_listener_set_max_connections (WkMllpListener *listener, guint max_connections);
gboolean
wk_mllp_listener_set_allowed_peers (WkMllpListener *listener, const char *allow, GError **error);
gboolean wk_mllp_listener_set_tls (WkMllpListener *listener,
                                   const char     *certificate_file,
                                   const char     *key_file,
                                   const char     *client_ca_file,
                                   GError        **error);

gboolean wk_mllp_listener_start (WkMllpListener *listener,
                                 const char     *address,
                                 guint16         port,
                                 GError        **error);
guint16  wk_mllp_listener_get_port (WkMllpListener *listener);
gboolean wk_mllp_listener_is_tls (WkMllpListener *listener);

void  wk_mllp_listener_get_stats (WkMllpListener *listener, WkMllpStats *stats);
char *wk_mllp_listener_dup_last_error (WkMllpListener *listener, gint64 *at);

GBytes *
wk_mllp_refuse_with_ar (const guint8 *head, gsize size, const char *reason, gpointer user_data);
gboolean wk_mllp_parse_allow_list (const char *allow, GPtrArray **masks, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkMllpListener, wk_mllp_listener_free)

G_END_DECLS
