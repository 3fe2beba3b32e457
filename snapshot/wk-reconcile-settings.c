/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-settings.c — the [reconcile] settings: trusted kiosk keys, reasons, export. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-reconcile-settings.h"

#include "wk-snapshot-error.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void
reason_free (gpointer data)
{
  WkNotGivenReason *reason = data;

  g_free (reason->code);
  g_free (reason->text);
  g_free (reason);
}

/**
 * wk_reconcile_parse_trusted_keys:
 * @text: keys separated by spaces, commas or semicolons, each the 64 hex digits of a
 *   kiosk's public key (`wardkeep key public`), optionally after its key id and a colon
 *   (`KEYID:HEX`), which must then be that key's id
 * @keys: the keys are appended here, %WK_KEYS_PUBLIC_KEY_SIZE bytes each
 * @error: return location for a #GError
 *
 * Returns: %TRUE when every key is well formed; else %FALSE with
 *   %WK_SNAPSHOT_ERROR_INVALID naming the key at fault
 */
gboolean
wk_reconcile_parse_trusted_keys (const char *text, GByteArray *keys, GError **error)
{
  g_auto (GStrv) items = g_strsplit_set (text, " ,;\t", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char      *item = items[i], *hex = item, *colon = strchr (item, ':');
      guint8           key[WK_KEYS_PUBLIC_KEY_SIZE];
      size_t           n = 0;
      g_autofree char *id = NULL;

      if (*item == '\0')
        continue;
      if (colon != NULL)
        hex = colon + 1;
      if (strlen (hex) != 2 * WK_KEYS_PUBLIC_KEY_SIZE
          || sodium_hex2bin (key, sizeof key, hex, strlen (hex), NULL, &n, NULL) != 0
          || n != sizeof key)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "key %u (\"%.20s...\") is not a public key: expected the 64 hex digits "
                       "`wardkeep key public` prints, optionally after the key id and a colon",
                       i + 1, item);
          return FALSE;
        }
      id = wk_keys_dup_key_id_for (key);
      if (colon != NULL && g_ascii_strncasecmp (item, id, colon - item) != 0)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "key %u is given with key id %.*s, but that public key's id is %s: one of "
                       "the two was copied wrongly",
                       i + 1, (int)(colon - item), item, id);
          return FALSE;
        }
      g_byte_array_append (keys, key, sizeof key);
    }
  return TRUE;
}

/**
 * wk_reconcile_parse_reasons:
 * @text: `CODE=meaning` pairs separated by semicolons ("1=Patient refused;2=Nil by mouth")
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type WkNotGivenReason): the reasons, or %NULL with
 *   %WK_SNAPSHOT_ERROR_INVALID naming the pair at fault
 */
GPtrArray *
wk_reconcile_parse_reasons (const char *text, GError **error)
{
  g_auto (GStrv) items = g_strsplit (text, ";", -1);
  g_autoptr (GPtrArray) reasons = g_ptr_array_new_with_free_func (reason_free);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char             *equals;
      g_autofree char  *code = NULL;
      g_autofree char  *meaning = NULL;
      WkNotGivenReason *reason;

      g_strstrip (items[i]);
      if (*items[i] == '\0')
        continue;
      equals = strchr (items[i], '=');
      if (equals == NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "\"%s\" is not CODE=meaning", items[i]);
          return NULL;
        }
      code = g_strstrip (g_strndup (items[i], equals - items[i]));
      meaning = g_strstrip (g_strdup (equals + 1));
      if (*code == '\0' || strlen (code) > 8 || *meaning == '\0'
          || strpbrk (code, " |^~\\&") != NULL)
        {
          g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                       "\"%s\": a code is 1 to 8 characters without spaces or HL7 delimiters, "
                       "and needs its meaning after =",
                       items[i]);
          return NULL;
        }
      for (guint j = 0; j < reasons->len; j++)
        if (g_ascii_strcasecmp (((WkNotGivenReason *)reasons->pdata[j])->code, code) == 0)
          {
            g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                         "the code \"%s\" is given twice", code);
            return NULL;
          }
      reason = g_new0 (WkNotGivenReason, 1);
      reason->code = g_steal_pointer (&code);
      reason->text = g_steal_pointer (&meaning);
      g_ptr_array_add (reasons, reason);
    }
  if (reasons->len == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "at least one CODE=meaning is needed");
      return NULL;
    }
  return g_steal_pointer (&reasons);
}

/**
 * wk_reconcile_settings_new:
 * @config: the configuration
 * @own_keys: (nullable): this kiosk's keys, trusted when `trust-own-key` is on
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the settings, or %NULL with %WK_SNAPSHOT_ERROR_INVALID when
 *   no key would be trusted
 */
WkReconcileSettings *
wk_reconcile_settings_new (WkConfig *config, WkKeys *own_keys, GError **error)
{
  g_autoptr (WkReconcileSettings) settings = g_new0 (WkReconcileSettings, 1);
  g_autoptr (GByteArray) keys = g_byte_array_new ();
  const char *trusted = wk_config_get_string (config, "reconcile", "trusted-keys");
  const char *authority;

  g_return_val_if_fail (config != NULL, NULL);

  settings->ward_id = g_strdup (wk_config_get_string (config, "ward", "id"));
  settings->timezone = g_strdup (wk_config_get_string (config, "ward", "timezone"));
  settings->grid_hours = atoi (wk_config_get_string (config, "chart", "grid-hours"));
  /* The configuration was checked when loaded: these parse. */
  if (own_keys != NULL && wk_config_get_boolean (config, "reconcile", "trust-own-key"))
    g_byte_array_append (keys, wk_keys_get_public_key (own_keys), WK_KEYS_PUBLIC_KEY_SIZE);
  if (trusted != NULL && !wk_reconcile_parse_trusted_keys (trusted, keys, error))
    return NULL;
  if (keys->len == 0)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_INVALID,
                   "No kiosk key is trusted to verify charts: set [reconcile] trusted-keys, or "
                   "trust-own-key with this kiosk's key available");
      return NULL;
    }
  settings->n_trusted = keys->len / WK_KEYS_PUBLIC_KEY_SIZE;
  settings->trusted_keys = g_byte_array_free (g_steal_pointer (&keys), FALSE);
  settings->reasons = wk_reconcile_parse_reasons (
      wk_config_get_string (config, "reconcile", "not-given-reasons"), error);
  if (settings->reasons == NULL)
    return NULL;
  settings->refused_code = g_strdup (wk_config_get_string (config, "reconcile", "refused-reason"));
  settings->export_address
      = g_strdup (wk_config_get_string (config, "reconcile", "export-address"));
  settings->export_tls = wk_config_get_boolean (config, "reconcile", "export-tls");
  settings->export_ca_file
      = g_strdup (wk_config_get_string (config, "reconcile", "export-ca-file"));
  settings->export_timeout_ms
      = (guint)wk_config_get_duration_ms (config, "reconcile", "export-timeout");
  settings->export_retries = (guint)wk_config_get_int (config, "reconcile", "export-retries");
  settings->export_retry_delay_ms
      = (guint)wk_config_get_duration_ms (config, "reconcile", "export-retry-delay");
  settings->receiving_application
      = g_strdup (wk_config_get_string (config, "reconcile", "export-receiving-application"));
  settings->receiving_facility
      = g_strdup (wk_config_get_string (config, "reconcile", "export-receiving-facility"));
  /* Exported messages name patients the way the feed does. */
  settings->nhs_number_type = g_strdup (wk_config_get_string (config, "hl7", "nhs-number-type"));
  authority = wk_config_get_string (config, "hl7", "nhs-number-authority");
  settings->nhs_number_authority = g_strdup (strcmp (authority, "*") != 0 ? authority : "NHS");
  settings->hospital_number_type
      = g_strdup (wk_config_get_string (config, "hl7", "hospital-number-type"));
  authority = wk_config_get_string (config, "hl7", "hospital-number-authority");
  settings->hospital_number_authority = strcmp (authority, "*") != 0 ? g_strdup (authority) : NULL;
  return g_steal_pointer (&settings);
}

/**
 * wk_reconcile_settings_free:
 * @settings: (nullable) (transfer full): a #WkReconcileSettings
 */
void
wk_reconcile_settings_free (WkReconcileSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->ward_id);
  g_free (settings->timezone);
  g_free (settings->trusted_keys);
  g_clear_pointer (&settings->reasons, g_ptr_array_unref);
  g_free (settings->refused_code);
  g_free (settings->export_address);
  g_free (settings->export_ca_file);
  g_free (settings->receiving_application);
  g_free (settings->receiving_facility);
  g_free (settings->nhs_number_type);
  g_free (settings->nhs_number_authority);
  g_free (settings->hospital_number_type);
  g_free (settings->hospital_number_authority);
  g_free (settings);
}

/**
 * wk_reconcile_settings_find_reason:
 * @settings: a #WkReconcileSettings
 * @code: a not-given code as written (case does not matter)
 *
 * Returns: (nullable): the reason, or %NULL when the code is not configured
 */
const WkNotGivenReason *
wk_reconcile_settings_find_reason (const WkReconcileSettings *settings, const char *code)
{
  for (guint i = 0; code != NULL && i < settings->reasons->len; i++)
    {
      const WkNotGivenReason *reason = settings->reasons->pdata[i];

      if (g_ascii_strcasecmp (reason->code, code) == 0)
        return reason;
    }
  return NULL;
}
