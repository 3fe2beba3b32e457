/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-autocleanups.h — g_autoptr cleanups for the foreign types libwk-snapshot uses. */

#pragma once

#include <glib.h>
#include <sqlite3.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)
