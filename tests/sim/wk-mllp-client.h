/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-mllp-client.h — a blocking MLLP client (plain or TLS) for the simulator and tests. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkMllpClientTls:
 * @ca_file: the CA that signed the kiosk's certificate (PEM)
 * @certificate_file: (nullable): a client certificate to present (PEM)
 * @key_file: (nullable): its key (PEM)
 * @server_name: (nullable): the name the kiosk's certificate must carry; the host when
 *   %NULL
 */
typedef struct
{
  const char *ca_file;
  const char *certificate_file;
  const char *key_file;
  const char *server_name;
} WkMllpClientTls;

/**
 * WkMllpClient:
 *
 * One MLLP connection as an interface engine makes it: sends framed messages and reads
 * framed acknowledgements, blocking, with a timeout on every read and write.
 */
typedef struct _WkMllpClient WkMllpClient;

WkMllpClient *wk_mllp_client_connect (
    const char *host, guint16 port, const WkMllpClientTls *tls, guint timeout_s, GError **error);
void wk_mllp_client_free (WkMllpClient *client);

gboolean
wk_mllp_client_send (WkMllpClient *client, const void *message, gsize size, GError **error);
gboolean
wk_mllp_client_write_raw (WkMllpClient *client, const void *data, gsize size, GError **error);
GBytes  *wk_mllp_client_read_frame (WkMllpClient *client, GError **error);
GBytes  *wk_mllp_client_exchange (WkMllpClient *client, GBytes *message, GError **error);
gboolean wk_mllp_client_wait_closed (WkMllpClient *client, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkMllpClient, wk_mllp_client_free)

G_END_DECLS
