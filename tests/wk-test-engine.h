/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-test-engine.h — a stand-in interface engine: an MLLP listener on loopback, in a thread. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * WkTestEngineFunc:
 * @message: one message received, unframed
 * @size: its size
 * @user_data: the data given to wk_test_engine_new()
 *
 * Answers a message, on the engine's thread.
 *
 * Returns: (transfer full) (nullable): the acknowledgement, or %NULL to say nothing
 */
typedef GBytes *(*WkTestEngineFunc) (const guint8 *message, gsize size, gpointer user_data);

typedef struct _WkTestEngine WkTestEngine;

WkTestEngine *wk_test_engine_new (WkTestEngineFunc func, gpointer user_data);
char         *wk_test_engine_dup_address (WkTestEngine *engine);
guint         wk_test_engine_get_n_messages (WkTestEngine *engine);
void          wk_test_engine_free (WkTestEngine *engine);
GBytes *wk_test_engine_ack (const guint8 *message, gsize size, const char *code, const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkTestEngine, wk_test_engine_free)

G_END_DECLS
