/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-responder.h — a loopback HTTP(S) server the monitor's tests control. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkTestResponderMode:
 * @WK_TEST_RESPONDER_STATUS: read the request, answer with the status set, close
 * @WK_TEST_RESPONDER_HANG: read the request, never answer
 * @WK_TEST_RESPONDER_CLOSE: close the connection at once, saying nothing
 * @WK_TEST_RESPONDER_GARBAGE: answer with a line that is not HTTP
 */
typedef enum
{
  WK_TEST_RESPONDER_STATUS,
  WK_TEST_RESPONDER_HANG,
  WK_TEST_RESPONDER_CLOSE,
  WK_TEST_RESPONDER_GARBAGE,
} WkTestResponderMode;

typedef struct _WkTestResponder WkTestResponder;

WkTestResponder *wk_test_responder_new (GTlsCertificate *certificate);
void             wk_test_responder_free (WkTestResponder *responder);
guint16          wk_test_responder_get_port (WkTestResponder *responder);
char            *wk_test_responder_dup_url (WkTestResponder *responder, const char *path);
void             wk_test_responder_set_status (WkTestResponder *responder, guint status);
void             wk_test_responder_set_mode (WkTestResponder *responder, WkTestResponderMode mode);
guint            wk_test_responder_get_n_requests (WkTestResponder *responder);
const char      *wk_test_responder_get_last_request (WkTestResponder *responder);

guint16  wk_test_closed_port (void);
GSocket *wk_test_listening_socket (guint16 *port);
void     wk_test_wait_for (gboolean (*done) (gpointer data), gpointer data, const char *what);
GTlsCertificate *wk_test_certificate_new (const char *dir, char **ca_file);
void             wk_test_stop_worker_threads (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestResponder, wk_test_responder_free)

G_END_DECLS
