/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-mllp.h — what the MLLP tests share: throw-away TLS material, client threads. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * WkTestTls:
 * @ca: the test CA's certificate
 * @server_cert: the kiosk's certificate (localhost, 127.0.0.1), signed by @ca
 * @server_key: its key
 * @client_cert: a client certificate signed by @ca
 * @client_key: its key
 * @rogue_cert: a client certificate signed by another CA
 * @rogue_key: its key
 *
 * Paths of PEM files made for one test with openssl; nothing is reused between tests.
 */
typedef struct
{
  char *ca;
  char *server_cert;
  char *server_key;
  char *client_cert;
  char *client_key;
  char *rogue_cert;
  char *rogue_key;
} WkTestTls;

WkTestTls *wk_test_tls_new (void);
void       wk_test_tls_free (WkTestTls *tls);
gpointer   wk_test_run_in_thread (GThreadFunc func, gpointer data);
void       wk_test_settle_threads (void);
GBytes    *wk_test_ack (const guint8 *message, gsize size, const char *code, const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestTls, wk_test_tls_free)

G_END_DECLS
