/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-model-private.h — what the model's type modules share inside libwk-snapshot. */

#pragma once

#include "wk-model.h"

#include <sqlite3.h>

G_BEGIN_DECLS

/* A cached statement borrowed from the model; g_auto() resets it when it goes out of
 * scope so that no statement is left half-stepped. */
typedef sqlite3_stmt *WkModelStmt;

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (WkModelStmt, sqlite3_reset, NULL)

/* Maps an enum value to the text stored in the database and back. */
typedef struct
{
  int         value;
  const char *nick;
} WkEnumNick;

sqlite3      *_wk_model_get_db (WkModel *model);
sqlite3_stmt *_wk_model_prepare (WkModel *model, const char *sql, GError **error);
gboolean _wk_model_step_done (WkModel *model, sqlite3_stmt *stmt, const char *what, GError **error);
void     _wk_model_set_error (WkModel *model, GError **error, const char *what);
void     _wk_model_touch (WkModel *model);
gboolean _wk_model_end (WkModel *model, gboolean ok, GError **error);

const char *_wk_enum_to_nick (const WkEnumNick *nicks, int value);
gboolean    _wk_enum_from_nick (const WkEnumNick *nicks, const char *nick, int *value);

char    *_wk_stmt_dup_text (sqlite3_stmt *stmt, int column);
void     _wk_stmt_bind_text (sqlite3_stmt *stmt, int index, const char *text);
void     _wk_stmt_bind_text_static (sqlite3_stmt *stmt, int index, const char *text);
void     _wk_stmt_bind_time (sqlite3_stmt *stmt, int index, gint64 time);
gint64   _wk_stmt_get_time (sqlite3_stmt *stmt, int column);
void     _wk_stmt_bind_double (sqlite3_stmt *stmt, int index, double value);
double   _wk_stmt_get_double (sqlite3_stmt *stmt, int column);
gboolean _wk_text_is_blank (const char *text);

G_END_DECLS
