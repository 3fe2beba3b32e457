/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-config.h — wardkeep's one configuration file, checked against a schema. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WK_CONFIG_DEFAULT_PATH "/etc/wardkeep/wardkeep.conf"

/**
 * WkConfig:
 *
 * The settings of one kiosk, from one GKeyFile. Every group and key is declared in the
 * schema in wk-config.c with its type, default and documentation; loading refuses an
 * unknown group or key, a value of the wrong type and a missing required value, naming
 * the file, line, group and key and saying what was expected. Once loaded, every value
 * is valid, so the getters cannot fail; asking for a key the schema does not declare is
 * a programming error.
 *
 * Groups named "KIND NAME" (for example `[printer ward-7a]`) are instances of a kind
 * declared in the schema as "KIND *"; wk_config_dup_instances() lists their names.
 */
typedef struct _WkConfig WkConfig;

WkConfig *wk_config_load (const char *path, GError **error);
WkConfig      *
wk_config_load_from_data (const char *data, gssize length, const char *name, GError **error);
void wk_config_free (WkConfig *config);
const char *wk_config_get_path (WkConfig *config);

const char *wk_config_get_string (WkConfig *config, const char *group, const char *key);
gint64      wk_config_get_int (WkConfig *config, const char *group, const char *key);
gboolean    wk_config_get_boolean (WkConfig *config, const char *group, const char *key);
gint64      wk_config_get_duration_ms (WkConfig *config, const char *group, const char *key);
GStrv       wk_config_dup_instances (WkConfig *config, const char *kind);

gboolean wk_config_parse_duration (const char *text, gint64 *ms, GError **error);
gboolean wk_config_parse_time (const char *text, GTimeZone *zone, gint64 *unix_us, GError **error);
char    *wk_config_dup_reference (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkConfig, wk_config_free)

G_END_DECLS
