/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-config.c — wardkeep's one configuration file, checked against a schema. */

#define G_LOG_DOMAIN "wardkeep-snapshot"

#include "wk-config.h"

#include "wk-mllp-listener.h"
#include "wk-probe.h"
#include "wk-reconcile-settings.h"
#include "wk-snapshot-error.h"

#include <gio/gio.h>
#include <string.h>

typedef enum
{
  TYPE_STRING,
  TYPE_INT,
  TYPE_BOOLEAN,
  TYPE_DURATION,
  TYPE_ENUM,
} KeyType;

/* Returns NULL when @value is acceptable, else what is wrong with it (freed by caller). */
typedef char *(*CheckFunc) (const char *value);

typedef struct
{
  const char *group; /* "ward", or "printer *" for every group "printer NAME" */
  const char *key;
  KeyType     type;
  const char *fallback; /* the default, as it would be written in the file */
  gboolean    required;
  double      min, max; /* INT, DURATION (in ms); unbounded when both are 0 */
  const char *choices;  /* ENUM: "a|b|c" */
  CheckFunc   check;
  const char *doc;
} KeySpec;

/* Checks what one key alone cannot (a key that depends on another); returns the first
 * problem (freed by caller) and the key it is about, or NULL. */
typedef char *(*GroupCheckFunc) (GKeyFile *file, const char *group, const char **key);

typedef struct
{
  const char    *group;
  const char    *doc;
  GroupCheckFunc check;
} GroupSpec;

static char *check_identifier (const char *value);
static char *check_timezone (const char *value);
static char *check_time (const char *value);
static char *check_monitor_group (GKeyFile *file, const char *group, const char **key);
static char *check_probe_group (GKeyFile *file, const char *group, const char **key);
static char *check_planned_group (GKeyFile *file, const char *group, const char **key);
static char *check_ward_list (const char *value);
static char *check_code (const char *value);
static char *check_listen_address (const char *value);
static char *check_allow_list (const char *value);
static char *check_pin_hash (const char *value);
static char *check_trusted_keys (const char *value);
static char *check_reasons (const char *value);
static char *check_address (const char *value);
static char *check_reconcile_group (GKeyFile *file, const char *group, const char **key);

/* The groups, in the order the reference lists them. */
static const GroupSpec groups[] = {
  { "ward", "The ward this kiosk serves." },
  { "log", "What is logged (never patient data, whatever the level)." },
  { "keys", "The kiosk's master key (see \"Keys\")." },
  { "snapshot", "The encrypted rolling snapshots of the ward model." },
  { "chart", "Paper drug charts and the ward census." },
  { "hl7", "How the HL7 feed is read (see \"The HL7 feed\"): which wards are kept, and how this "
           "trust's feed spells identifiers and locations." },
  { "feed", "The HL7 v2 feed the kiosk listens for over MLLP (see \"The HL7 feed\")." },
  { "printer *",
    "One group per printer the ward can print to, `[printer NAME]`; NAME is how screens "
    "and logs call it." },
  { "monitor",
    "How the health monitor decides that the central systems are down (see \"Outage "
    "detection\").",
    check_monitor_group },
  { "probe *",
    "One group per check of a central system, `[probe NAME]`. DOWNTIME needs every probe to "
    "fail; one that answers keeps the ward online.",
    check_probe_group },
  { "planned *",
    "One group per planned downtime window, `[planned NAME]`: charts print at "
    "`[monitor] planned-lead-time` before it starts.",
    check_planned_group },
  { "daemon", "The daemon wardkeepd (see \"Status and control\" and \"Outage behaviour\")." },
  { "kiosk", "The ward's touch screen, `wardkeep-kiosk` (see \"The kiosk\")." },
  { "reconcile",
    "Reconciliation after a downtime (see \"After the outage\"): which kiosks' charts are "
    "trusted, the codes staff write for a dose not given, and where administrations are "
    "exported for back-entry.",
    check_reconcile_group },
};

/* Every setting. Adding one here documents it (`wardkeep config reference`, which the
 * README's configuration reference must match) and makes it loadable. */
static const KeySpec schema[] = {
  { "ward", "id", TYPE_STRING, NULL, TRUE, .check = check_identifier,
    .doc = "The ward's code as the HL7 feed spells it in PV1-3.1, e.g. `7A`." },
  { "ward", "name", TYPE_STRING, NULL, FALSE,
    .doc = "The ward's name on screens and paper; the code when not set." },
  { "ward", "timezone", TYPE_STRING, "Europe/London", FALSE, .check = check_timezone,
    .doc = "The ward's time zone: times are stored in UTC and shown in this zone." },
  { "log", "level", TYPE_ENUM, "message", FALSE, .choices = "message|debug",
    .doc = "`message` logs what an operator needs; `debug` adds tracing for developers." },
  { "keys", "file", TYPE_STRING, "/etc/wardkeep/wardkeep.key", FALSE,
    .doc = "The master key file (32 bytes, mode 0600 or 0400), used when the systemd "
           "credential `wardkeep.key` is not there." },
  { "snapshot", "directory", TYPE_STRING, "/var/lib/wardkeep/snapshots", FALSE,
    .doc = "Where snapshots are written (made mode 0750: the wardkeep user writes, the "
           "wardkeep group reads)." },
  { "snapshot", "debounce", TYPE_DURATION, "2s", FALSE, .min = 100, .max = 600000,
    .doc = "How long after a change the next snapshot is written (changes in between join "
           "it and start the wait again)." },
  { "snapshot", "max-delay", TYPE_DURATION, "10s", FALSE, .min = 100, .max = 3600000,
    .doc = "The longest a change waits to be written while more keep arriving; also how "
           "often a failed write is retried." },
  { "snapshot", "keep", TYPE_INT, "20", FALSE, .min = 1, .max = 1000,
    .doc = "How many of the newest snapshots are kept." },
  { "snapshot", "keep-hourly", TYPE_BOOLEAN, "true", FALSE,
    .doc = "Also keep the newest snapshot of each of the last 24 hours (UTC clock hours). "
           "The newest snapshot that verifies is always kept." },
  { "chart", "paper", TYPE_ENUM, "a4", FALSE, .choices = "a4|letter",
    .doc = "The paper the ward printer holds: A4, or US Letter." },
  { "chart", "grid-hours", TYPE_ENUM, "24", FALSE, .choices = "24|48|72",
    .doc = "How many hours after printing a chart's administration grid has boxes for." },
  { "chart", "stopped-window", TYPE_DURATION, "24h", FALSE, .min = 3600000, .max = 604800000,
    .doc = "Orders stopped this long before the data time are listed as STOPPED (never in the "
           "grid); older ones are left off." },
  { "hl7", "wards", TYPE_STRING, NULL, FALSE, .check = check_ward_list,
    .doc = "The wards whose patients are kept, as PV1-3 spells them, separated by spaces or "
           "commas; `*` keeps every ward (a whole hospital). Not set: the `[ward] id` alone." },
  { "hl7", "nhs-number-type", TYPE_STRING, "NH", FALSE, .check = check_code,
    .doc = "The identifier type code (PID-3.5) of the NHS number among the PID-3 repetitions." },
  { "hl7", "nhs-number-authority", TYPE_STRING, "NHS", FALSE, .check = check_code,
    .doc = "The assigning authority (PID-3.4) of the NHS number; `*` accepts any." },
  { "hl7", "hospital-number-type", TYPE_STRING, "MR", FALSE, .check = check_code,
    .doc = "The identifier type code (PID-3.5) of the local hospital number." },
  { "hl7", "hospital-number-authority", TYPE_STRING, "*", FALSE, .check = check_code,
    .doc = "The assigning authority (PID-3.4) of the hospital number, such as the trust's "
           "code; `*` accepts any." },
  { "hl7", "location-ward", TYPE_INT, "1", FALSE, .min = 1, .max = 9,
    .doc = "The component of PV1-3 that holds the ward." },
  { "hl7", "location-bay", TYPE_INT, "2", FALSE, .min = 0, .max = 9,
    .doc = "The component of PV1-3 that holds the bay or room; 0 when the feed sends none." },
  { "hl7", "location-bed", TYPE_INT, "3", FALSE, .min = 1, .max = 9,
    .doc = "The component of PV1-3 that holds the bed." },
  { "hl7", "max-message-size", TYPE_INT, "1048576", FALSE, .min = 1024, .max = 67108864,
    .doc = "The largest MLLP payload (a message or a batch) taken, in bytes; a larger one is "
           "refused with AR." },
  { "hl7", "default-charset", TYPE_ENUM, "ascii", FALSE, .choices = "ascii|utf-8|8859-1",
    .doc = "The character set of a message without MSH-18 (HL7's default is ASCII); text that "
           "does not decode is refused." },
  { "feed", "address", TYPE_STRING, "*", FALSE, .check = check_listen_address,
    .doc = "The address to listen on: `*` for every address (IPv4 and IPv6), or one such as "
           "`10.1.2.3`." },
  { "feed", "port", TYPE_INT, "2575", FALSE, .min = 0, .max = 65535,
    .doc = "The TCP port (2575 is HL7's); 0 picks a free one, which the status shows." },
  { "feed", "allow", TYPE_STRING, "127.0.0.1, ::1", FALSE, .check = check_allow_list,
    .doc = "The peers that may send the feed: addresses or networks (`10.1.2.0/24`), "
           "separated by commas, or `*` for any. Other peers are disconnected at once and "
           "logged." },
  { "feed", "tls-certificate", TYPE_STRING, NULL, FALSE,
    .doc = "The kiosk's TLS certificate (PEM); when set, with `tls-key`, the feed is MLLP over "
           "TLS and plain connections fail." },
  { "feed", "tls-key", TYPE_STRING, NULL, FALSE,
    .doc = "The private key of `tls-certificate` (PEM), readable only by wardkeep." },
  { "feed", "tls-client-ca", TYPE_STRING, NULL, FALSE,
    .doc = "When set, peers must present a client certificate signed by a CA in this file "
           "(PEM); others fail the TLS handshake." },
  { "feed", "idle-timeout", TYPE_DURATION, "15min", FALSE, .min = 1000, .max = 86400000,
    .doc = "A connection on which nothing arrives or leaves for this long is closed (interface "
           "engines reconnect when they next send)." },
  { "feed", "frame-timeout", TYPE_DURATION, "30s", FALSE, .min = 100, .max = 3600000,
    .doc = "A message begun (0x0B) must end (0x1C 0x0D) within this long, or the connection is "
           "closed and the partial message dropped." },
  { "feed", "max-connections", TYPE_INT, "64", FALSE, .min = 1, .max = 4096,
    .doc = "How many feed connections may be open at once; more are disconnected at once." },
  { "printer *", "uri", TYPE_STRING, NULL, TRUE,
    .doc = "The CUPS queue name, or an `ipp://` / `ipps://` URI of the printer." },
  { "printer *", "description", TYPE_STRING, NULL, FALSE,
    .doc = "Where the printer is, in words staff use (\"Ward 7A office laser\")." },
  { "monitor", "interval", TYPE_DURATION, "15s", FALSE, .min = 100, .max = 3600000,
    .doc = "How often each probe runs (a probe may set its own)." },
  { "monitor", "timeout", TYPE_DURATION, "5s", FALSE, .min = 100, .max = 300000,
    .doc = "How long one probe run may take before it counts as failed; less than the "
           "interval." },
  { "monitor", "failures-to-confirm", TYPE_INT, "3", FALSE, .min = 1, .max = 100,
    .doc = "N: DOWNTIME once every probe has failed this many times in a row (with the "
           "defaults, 30 to 45 s after the systems stop answering)." },
  { "monitor", "successes-to-recover", TYPE_INT, "3", FALSE, .min = 1, .max = 100,
    .doc = "M: back ONLINE once a probe has answered this many times in a row." },
  { "monitor", "confirmation-delay", TYPE_DURATION, "0s", FALSE, .min = 0, .max = 3600000,
    .doc = "How long a detected downtime must last before the ward is printed; declared and "
           "planned downtime print at once." },
  { "monitor", "feed-silence-warning", TYPE_DURATION, "30min", FALSE, .min = 1000, .max = 86400000,
    .doc = "After this long without an HL7 message, warn (a warning, never a downtime)." },
  { "monitor", "planned-lead-time", TYPE_DURATION, "15min", FALSE, .min = 0, .max = 86400000,
    .doc = "How long before a planned window starts its charts are printed." },
  { "probe *", "kind", TYPE_ENUM, NULL, TRUE, .choices = "http|tcp",
    .doc = "`http`: a GET of `url` must answer `expect-status`; `tcp`: a connection to "
           "`address` must be accepted." },
  { "probe *", "url", TYPE_STRING, NULL, FALSE,
    .doc = "For `http`: the http:// or https:// URL to GET, such as the EPR's health page." },
  { "probe *", "address", TYPE_STRING, NULL, FALSE,
    .doc = "For `tcp`: host:port to connect to, such as the interface engine's MLLP port." },
  { "probe *", "expect-status", TYPE_INT, "200", FALSE, .min = 100, .max = 599,
    .doc = "For `http`: the HTTP status that means the system is up." },
  { "probe *", "interval", TYPE_DURATION, NULL, FALSE, .min = 100, .max = 3600000,
    .doc = "How often this probe runs; `[monitor] interval` when not set." },
  { "probe *", "timeout", TYPE_DURATION, NULL, FALSE, .min = 100, .max = 300000,
    .doc = "How long one run may take; `[monitor] timeout` when not set." },
  { "probe *", "ca-file", TYPE_STRING, NULL, FALSE,
    .doc = "For https: a PEM file of the certificate authorities to trust instead of the "
           "system's (a hospital's own CA)." },
  { "planned *", "start", TYPE_STRING, NULL, TRUE, .check = check_time,
    .doc = "When the window starts: `2026-03-01 01:00` in the ward's time zone, or with a UTC "
           "offset (`2026-03-01T01:00Z`, `2026-03-01 02:00+01:00`)." },
  { "planned *", "end", TYPE_STRING, NULL, TRUE, .check = check_time,
    .doc = "When it ends, written as `start`; after it." },
  { "planned *", "reason", TYPE_STRING, NULL, TRUE,
    .doc = "Why, in words staff understand (\"EPR upgrade\"); shown on screen and in logs." },
  { "printer *", "order", TYPE_INT, "50", FALSE, .min = 1, .max = 100,
    .doc = "Which printer documents go to first: the lowest order first, equal orders in file "
           "order. When one cannot print, the rest of the ward goes to the next (see "
           "\"Printing\")." },
  { "printer *", "server", TYPE_STRING, NULL, FALSE,
    .doc = "For a queue name: the CUPS server, `host:port` or a socket path; not set: this "
           "machine's CUPS (client.conf, `CUPS_SERVER`, the local socket)." },
  { "printer *", "media", TYPE_STRING, "A4", FALSE,
    .doc = "Paper size as CUPS names it (`A4`, `A3`, `Letter`, or a PWG name such as "
           "`iso_a4_210x297mm`); a printer without it prints on its default paper." },
  { "printer *", "duplex", TYPE_ENUM, "one-sided", FALSE,
    .choices = "one-sided|long-edge|short-edge",
    .doc = "Print on one side, or on both sides turned on the long or short edge; a printer "
           "that cannot prints one-sided." },
  { "printer *", "mono", TYPE_BOOLEAN, "false", FALSE,
    .doc = "Print in black and white (charts are designed to read in black and white)." },
  { "printer *", "connect-timeout", TYPE_DURATION, "10s", FALSE, .min = 500, .max = 300000,
    .doc = "How long connecting to the printer (or CUPS), or waiting for its answer, may take "
           "before it counts as not responding." },
  { "printer *", "failover-after", TYPE_DURATION, "2min", FALSE, .min = 1000, .max = 3600000,
    .doc = "How long the printer may print nothing of ours while jobs wait (out of paper, jam, "
           "not responding) before the rest goes to the next printer." },
  { "printer *", "retries", TYPE_INT, "2", FALSE, .max = 10,
    .doc = "How many more times a refused submission or a failed job is tried on this printer "
           "before it counts as failed." },
  { "daemon", "control-socket", TYPE_STRING, "/run/wardkeep/control", FALSE,
    .doc = "The Unix socket where the daemon answers the kiosk, `wardkeep` and scripts (mode "
           "0660)." },
  { "daemon", "control-group", TYPE_STRING, NULL, FALSE,
    .doc = "The group given the control socket: its members may use it. Not set: the daemon's "
           "own group (`wardkeep` under systemd)." },
  { "daemon", "state-directory", TYPE_STRING, "/var/lib/wardkeep", FALSE,
    .doc = "Where the daemon keeps what it must remember across a restart: the downtime "
           "episode it is in and where its print stands (no patient data)." },
  { "kiosk", "ward-pin", TYPE_STRING, NULL, FALSE, .check = check_pin_hash,
    .doc = "The ward PIN that unlocks the kiosk, as the Argon2id hash `wardkeep kiosk hash-pin` "
           "prints. Not set: nobody can unlock it (it shows the status and the census only)." },
  { "kiosk", "admin-pin", TYPE_STRING, NULL, FALSE, .check = check_pin_hash,
    .doc = "The PIN of the nurse in charge and IT, which declares and ends downtime and starts "
           "and stops drills, as an Argon2id hash (`wardkeep kiosk hash-pin --admin`). Not set: "
           "the kiosk offers none of these." },
  { "kiosk", "lock-after", TYPE_DURATION, "2min", FALSE, .min = 10000, .max = 3600000,
    .doc = "The kiosk locks after this long without a touch or a key press." },
  { "kiosk", "lock-screen-names", TYPE_BOOLEAN, "false", FALSE,
    .doc = "Whether the locked screen's census shows names and NHS numbers; otherwise only beds, "
           "allergy markers and numbers of medicines." },
  { "kiosk", "stale-data-warning", TYPE_DURATION, "15min", FALSE, .min = 60000, .max = 86400000,
    .doc = "\"Data as of\" turns to a warning colour when the data shown is older than this (not "
           "while the daemon says the snapshot holds every message of a quiet feed)." },
  { "kiosk", "pin-attempts", TYPE_INT, "5", FALSE, .min = 3, .max = 20,
    .doc = "Wrong PINs in a row before unlocking is blocked." },
  { "kiosk", "pin-lockout", TYPE_DURATION, "5min", FALSE, .min = 30000, .max = 86400000,
    .doc = "How long unlocking is blocked after `pin-attempts` wrong PINs; doubled for each "
           "further block until a right PIN is entered (at most a day)." },
  { "kiosk", "state-directory", TYPE_STRING, "/var/lib/wardkeep-kiosk", FALSE,
    .doc = "Where the kiosk keeps its count of wrong PINs, so that a restart does not reset it; "
           "writable by the kiosk's user only." },
  { "reconcile", "trusted-keys", TYPE_STRING, NULL, FALSE, .check = check_trusted_keys,
    .doc = "The public keys of other kiosks whose charts are reconciled here, as `wardkeep key "
           "public` prints them (64 hex digits), each optionally after its key id and a colon "
           "(`KEYID:HEX`, checked), separated by spaces, commas or semicolons." },
  { "reconcile", "trust-own-key", TYPE_BOOLEAN, "true", FALSE,
    .doc = "Trust this kiosk's own key too. A chart signed by a key not trusted is refused." },
  { "reconcile", "not-given-reasons", TYPE_STRING, WK_RECONCILE_DEFAULT_REASONS, FALSE,
    .check = check_reasons,
    .doc = "The codes staff write in a box for a dose not given, `CODE=meaning` separated by "
           "semicolons, as the trust's drug chart prints them." },
  { "reconcile", "refused-reason", TYPE_STRING, "1", FALSE,
    .doc = "The code of `not-given-reasons` that means the patient refused (exported as "
           "RXA-20 `RE`; the others as `NA`)." },
  { "reconcile", "export-address", TYPE_STRING, NULL, FALSE, .check = check_address,
    .doc = "host:port of the interface engine's MLLP listener that takes RAS^O17 back-entry "
           "messages; not set: HL7 export is off (FHIR and CSV still work)." },
  { "reconcile", "export-tls", TYPE_BOOLEAN, "false", FALSE,
    .doc = "Connect to `export-address` with TLS (MLLP over TLS), checking its certificate." },
  { "reconcile", "export-ca-file", TYPE_STRING, NULL, FALSE,
    .doc = "With TLS: a PEM file of the certificate authorities to trust instead of the "
           "system's." },
  { "reconcile", "export-timeout", TYPE_DURATION, "10s", FALSE, .min = 100, .max = 300000,
    .doc = "How long to wait for a message's acknowledgement before counting it as failed." },
  { "reconcile", "export-retries", TYPE_INT, "3", FALSE, .min = 0, .max = 20,
    .doc = "How many times a message is sent again after a failure (no connection, no or a "
           "negative acknowledgement other than AR) before the export stops." },
  { "reconcile", "export-retry-delay", TYPE_DURATION, "5s", FALSE, .min = 0, .max = 600000,
    .doc = "How long to wait before sending a message again." },
  { "reconcile", "export-receiving-application", TYPE_STRING, "EPR", FALSE, .check = check_code,
    .doc = "MSH-5 of exported messages: the application the interface engine routes them to." },
  { "reconcile", "export-receiving-facility", TYPE_STRING, NULL, FALSE, .check = check_code,
    .doc = "MSH-6 of exported messages; not set: empty." },
};

struct _WkConfig
{
  char       *path;
  GKeyFile   *file;
  GHashTable *strings; /* "group\nkey" -> resolved string, for borrowed returns */
};

/* Lines of groups and keys, so that errors point into the file. */
typedef struct
{
  GHashTable *lines; /* "group" or "group\nkey" -> line number */
  GPtrArray  *problems;
  const char *name;
} Checker;

static gboolean
is_blank (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

/* What is wrong with a code or name (a ward id, the NAME of [printer NAME]), or NULL. */
static const char *
identifier_problem (const char *value)
{
  if (*value == '\0' || strlen (value) > 64)
    return "expected 1 to 64 characters";
  for (const char *p = value; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p) || *p == ' ')
      return "expected no spaces or control characters";
  return NULL;
}

static char *
check_identifier (const char *value)
{
  return g_strdup (identifier_problem (value));
}

/* A duration setting of @group, else of [monitor], else the schema's default, in ms. */
static gint64
group_duration (GKeyFile *file, const char *group, const char *key)
{
  const char *groups_to_try[] = { group, "monitor" };
  gint64      ms = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (groups_to_try); i++)
    {
      g_autofree char *raw = g_key_file_get_value (file, groups_to_try[i], key, NULL);

      if (raw != NULL)
        return wk_config_parse_duration (raw, &ms, NULL) ? ms : -1;
    }
  return strcmp (key, "interval") == 0 ? 15000 : 5000;
}

static char *
check_monitor_group (GKeyFile *file, const char *group, const char **key)
{
  gint64 interval = group_duration (file, group, "interval");
  gint64 timeout = group_duration (file, group, "timeout");

  *key = "timeout";
  if (interval > 0 && timeout > 0 && timeout >= interval)
    return g_strdup ("must be shorter than the interval, so that one run ends before the next");
  return NULL;
}

static char *
check_probe_group (GKeyFile *file, const char *group, const char **key)
{
  g_autofree char *kind = g_key_file_get_value (file, group, "kind", NULL);
  g_autofree char *url = g_key_file_get_string (file, group, "url", NULL);
  g_autofree char *address = g_key_file_get_string (file, group, "address", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WkProbe) probe = NULL;
  gint64 interval = group_duration (file, group, "interval");
  gint64 timeout = group_duration (file, group, "timeout");

  if (g_strcmp0 (kind, "http") == 0)
    {
      *key = "url";
      if (address != NULL)
        return g_strdup ("an http probe takes url, not address");
      if (url == NULL)
        return g_strdup ("missing: an http probe needs the URL to GET");
      probe = wk_probe_new_http ("check", url, 200, &error);
    }
  else if (g_strcmp0 (kind, "tcp") == 0)
    {
      *key = "address";
      if (url != NULL)
        return g_strdup ("a tcp probe takes address (host:port), not url");
      if (g_key_file_has_key (file, group, "expect-status", NULL)
          || g_key_file_has_key (file, group, "ca-file", NULL))
        {
          *key = g_key_file_has_key (file, group, "ca-file", NULL) ? "ca-file" : "expect-status";
          return g_strdup ("only for http probes");
        }
      if (address == NULL)
        return g_strdup ("missing: a tcp probe needs host:port");
      probe = wk_probe_new_tcp ("check", address, &error);
    }
  if (error != NULL)
    return g_strdup (error->message);
  *key = "timeout";
  if (interval > 0 && timeout > 0 && timeout >= interval)
    return g_strdup ("must be shorter than the probe's interval, so that one run ends before "
                     "the next");
  return NULL;
}

static char *
check_planned_group (GKeyFile *file, const char *group, const char **key)
{
  g_autofree char *zone_name = g_key_file_get_string (file, "ward", "timezone", NULL);
  g_autofree char *start = g_key_file_get_string (file, group, "start", NULL);
  g_autofree char *end = g_key_file_get_string (file, group, "end", NULL);
  g_autoptr (GTimeZone) zone
      = g_time_zone_new_identifier (zone_name != NULL ? zone_name : "Europe/London");
  gint64 start_us, end_us;

  *key = "end";
  if (zone != NULL && start != NULL && end != NULL
      && wk_config_parse_time (start, zone, &start_us, NULL)
      && wk_config_parse_time (end, zone, &end_us, NULL) && end_us <= start_us)
    return g_strdup_printf ("must be after start (%s)", start);
  return NULL;
}

static char *
check_time (const char *value)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GError) error = NULL;
  gint64 us;

  if (!wk_config_parse_time (value, utc, &us, &error))
    return g_strdup (error->message);
  return NULL;
}

/* A list of ward codes, or "*". */
static char *
check_ward_list (const char *value)
{
  g_auto (GStrv) codes = g_strsplit_set (value, " ,", -1);
  g_autofree char *trimmed = g_strstrip (g_strdup (value));
  guint            n = 0;

  if (strcmp (trimmed, "*") == 0)
    return NULL;
  for (guint i = 0; codes[i] != NULL; i++)
    {
      if (*codes[i] == '\0')
        continue;
      if (strcmp (codes[i], "*") == 0 || identifier_problem (codes[i]) != NULL)
        return g_strdup ("expected ward codes separated by spaces or commas, or `*` alone for "
                         "every ward");
      n++;
    }
  if (n == 0)
    return g_strdup ("expected at least one ward code, or `*` for every ward");
  return NULL;
}

/* An HL7 code (type code, assigning authority), or "*". */
static char *
check_code (const char *value)
{
  if (*value == '\0' || strlen (value) > 32)
    return g_strdup ("expected a code of 1 to 32 characters, or `*`");
  for (const char *p = value; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p) || strchr ("|^~\\&", *p) != NULL)
      return g_strdup ("expected a code without control characters or HL7 delimiters");
  return NULL;
}

/* An Argon2id string as libsodium's crypto_pwhash_str() writes it. */
static char *
check_pin_hash (const char *value)
{
  if (!g_str_has_prefix (value, "$argon2id$v=") || strlen (value) >= 128
      || strstr (value, "$m=") == NULL || strchr (value, ' ') != NULL)
    return g_strdup ("expected an Argon2id hash such as `$argon2id$v=19$m=65536,t=2,p=1$...`, "
                     "as printed by `wardkeep kiosk hash-pin`; never the PIN itself");
  return NULL;
}

static char *
check_trusted_keys (const char *value)
{
  g_autoptr (GByteArray) keys = g_byte_array_new ();
  g_autoptr (GError) error = NULL;

  if (!wk_reconcile_parse_trusted_keys (value, keys, &error))
    return g_strdup (error->message);
  return NULL;
}

static char *
check_reasons (const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) reasons = wk_reconcile_parse_reasons (value, &error);

  if (reasons == NULL)
    return g_strdup (error->message);
  return NULL;
}

/* host:port, with a port. */
static char *
check_address (const char *value)
{
  g_autoptr (GSocketConnectable) address = g_network_address_parse (value, 0, NULL);

  if (address == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (address)) == 0)
    return g_strdup ("expected host:port, such as `engine.example.nhs.uk:6661`");
  return NULL;
}

/* The refused code must be one of the reasons. */
static char *
check_reconcile_group (GKeyFile *file, const char *group, const char **key)
{
  g_autofree char *text = g_key_file_get_string (file, group, "not-given-reasons", NULL);
  g_autofree char *refused = g_key_file_get_string (file, group, "refused-reason", NULL);
  g_autoptr (GPtrArray) reasons = NULL;

  if (refused == NULL)
    return NULL;
  reasons = wk_reconcile_parse_reasons (text != NULL ? text : WK_RECONCILE_DEFAULT_REASONS, NULL);
  if (reasons == NULL)
    return NULL;
  for (guint i = 0; i < reasons->len; i++)
    if (g_ascii_strcasecmp (((WkNotGivenReason *)reasons->pdata[i])->code, refused) == 0)
      return NULL;
  *key = "refused-reason";
  return g_strdup_printf ("\"%s\" is not one of the codes of not-given-reasons", refused);
}

static char *
check_timezone (const char *value)
{
  GTimeZone *tz = g_time_zone_new_identifier (value);

  if (tz == NULL)
    return g_strdup ("expected a time zone name from the tz database, e.g. Europe/London");
  g_time_zone_unref (tz);
  return NULL;
}

static char *
check_listen_address (const char *value)
{
  GInetAddress *address;

  if (strcmp (value, "*") == 0)
    return NULL;
  address = g_inet_address_new_from_string (value);
  if (address == NULL)
    return g_strdup ("expected `*` or an IP address such as 10.1.2.3 or ::1");
  g_object_unref (address);
  return NULL;
}

static char *
check_allow_list (const char *value)
{
  g_autoptr (GError) error = NULL;

  if (!wk_mllp_parse_allow_list (value, NULL, &error))
    return g_strdup (error->message);
  return NULL;
}

static void
add_problem (Checker *checker, const char *group, const char *key, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

static void
add_problem (Checker *checker, const char *group, const char *key, const char *format, ...)
{
  g_autofree char *where = NULL;
  g_autofree char *what = NULL;
  gpointer         line = NULL;
  va_list          args;

  if (group != NULL)
    {
      g_autofree char *lookup
          = key != NULL ? g_strconcat (group, "\n", key, NULL) : g_strdup (group);

      line = g_hash_table_lookup (checker->lines, lookup);
      if (line == NULL)
        line = g_hash_table_lookup (checker->lines, group);
    }
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (line != NULL)
    where = g_strdup_printf ("%s line %d", checker->name, GPOINTER_TO_INT (line));
  else
    where = g_strdup (checker->name);
  if (group != NULL && key != NULL)
    g_ptr_array_add (checker->problems,
                     g_strdup_printf ("%s: [%s] %s: %s", where, group, key, what));
  else if (group != NULL)
    g_ptr_array_add (checker->problems, g_strdup_printf ("%s: [%s]: %s", where, group, what));
  else
    g_ptr_array_add (checker->problems, g_strdup_printf ("%s: %s", where, what));
}

/* The schema group a file group belongs to: itself, or "KIND *" for "KIND NAME". */
static const char *
schema_group_of (const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      const char *spec = groups[i].group;
      gsize       n = strlen (spec);

      if (n > 2 && g_str_has_suffix (spec, " *"))
        {
          if (strncmp (group, spec, n - 1) == 0 && group[n - 1] != '\0'
              && identifier_problem (group + n - 1) == NULL)
            return spec;
        }
      else if (strcmp (group, spec) == 0)
        return spec;
    }
  return NULL;
}

static const KeySpec *
find_key (const char *schema_group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    if (strcmp (schema[i].group, schema_group) == 0 && strcmp (schema[i].key, key) == 0)
      return &schema[i];
  return NULL;
}

static gsize
edit_distance (const char *a, const char *b)
{
  gsize  la = strlen (a), lb = strlen (b);
  gsize *row = g_new (gsize, lb + 1);
  gsize  result;

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      gsize diagonal = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          gsize above = row[j];

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] != b[j - 1]));
          diagonal = above;
        }
    }
  result = row[lb];
  g_free (row);
  return result;
}

/* " (did you mean X?)" for the closest of @candidates within two edits, else "". */
static char *
suggestion (
    const char *word, const char *const *candidates, gsize n, const char *before, const char *after)
{
  const char *best = NULL;
  gsize       best_distance = 3;

  for (gsize i = 0; i < n; i++)
    {
      gsize d = edit_distance (word, candidates[i]);

      if (d < best_distance)
        {
          best = candidates[i];
          best_distance = d;
        }
    }
  if (best == NULL)
    return g_strdup ("");
  return g_strdup_printf (" (did you mean %s%s%s?)", before, best, after);
}

static const char *
type_description (const KeySpec *spec, char **owned)
{
  switch (spec->type)
    {
    case TYPE_STRING:
      return "text";
    case TYPE_INT:
      if (spec->min != 0 || spec->max != 0)
        return *owned = g_strdup_printf ("a whole number from %.0f to %.0f", spec->min, spec->max);
      return "a whole number";
    case TYPE_BOOLEAN:
      return "true or false";
    case TYPE_DURATION:
      return "a duration such as 500ms, 2s, 15min, 1h or 1h30min";
    case TYPE_ENUM:
      {
        g_auto (GStrv) choices = g_strsplit (spec->choices, "|", -1);
        g_autofree char *list = g_strjoinv ("`, `", choices);

        return *owned = g_strdup_printf ("one of `%s`", list);
      }
    }
  g_assert_not_reached ();
}

/**
 * wk_config_parse_duration:
 * @text: a duration: whole numbers each followed by a unit (ms, s, min, h, d), such as
 *   "500ms", "2s", "15min" or "1h30min"
 * @ms: (out): the duration in milliseconds
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success; %FALSE with %WK_SNAPSHOT_ERROR_CONFIG
 */
gboolean
wk_config_parse_duration (const char *text, gint64 *ms, GError **error)
{
  static const struct
  {
    const char *unit;
    gint64      ms;
  } units[] = {
    { "ms", 1 }, { "min", 60000 }, { "s", 1000 }, { "h", 3600000 }, { "d", 86400000 },
  };

  const char *p = text;
  gint64      total = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (ms != NULL, FALSE);

  if (*p == '\0')
    goto bad;
  while (*p != '\0')
    {
      guint64 n = 0;
      gsize   u;

      if (!g_ascii_isdigit (*p))
        goto bad;
      while (g_ascii_isdigit (*p))
        {
          n = n * 10 + (guint64)(*p++ - '0');
          if (n > G_MAXINT32)
            goto bad;
        }
      for (u = 0; u < G_N_ELEMENTS (units); u++)
        if (g_str_has_prefix (p, units[u].unit) && !g_ascii_isalpha (p[strlen (units[u].unit)]))
          break;
      if (u == G_N_ELEMENTS (units))
        goto bad;
      p += strlen (units[u].unit);
      total += (gint64)n * units[u].ms;
      if (total > (gint64)366 * 86400000)
        goto bad;
    }
  *ms = total;
  return TRUE;

bad:
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
               "expected a duration such as 500ms, 2s, 15min, 1h or 1h30min (at most a year), "
               "got \"%s\"",
               text);
  return FALSE;
}

static gboolean
take_digits (const char **p, int n, int *value)
{
  *value = 0;
  for (int i = 0; i < n; i++, (*p)++)
    {
      if (!g_ascii_isdigit (**p))
        return FALSE;
      *value = *value * 10 + (**p - '0');
    }
  return TRUE;
}

/**
 * wk_config_parse_time:
 * @text: a date and time: "2026-03-01 01:00", "2026-03-01T01:00:30", optionally followed
 *   by a UTC offset ("Z", "+01:00", "-0500")
 * @zone: the time zone of a time written without an offset (the ward's)
 * @unix_us: (out): the time in microseconds since 1970 (UTC)
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success; %FALSE with %WK_SNAPSHOT_ERROR_CONFIG
 */
gboolean
wk_config_parse_time (const char *text, GTimeZone *zone, gint64 *unix_us, GError **error)
{
  g_autoptr (GTimeZone) offset_zone = NULL;
  g_autoptr (GDateTime) time = NULL;
  const char *p = text;
  int         year, month, day, hour, minute, second = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (zone != NULL, FALSE);
  g_return_val_if_fail (unix_us != NULL, FALSE);

  /* YYYY-MM-DD[T ]HH:MM[:SS]; a failed test leaves at once, so p never runs past the end. */
  if (!take_digits (&p, 4, &year) || *p++ != '-' || !take_digits (&p, 2, &month) || *p++ != '-'
      || !take_digits (&p, 2, &day) || (*p != 'T' && *p != ' ')
      || !(p++, take_digits (&p, 2, &hour)) || *p++ != ':' || !take_digits (&p, 2, &minute))
    goto bad;
  if (*p == ':' && !(p++, take_digits (&p, 2, &second)))
    goto bad;

  /* [Z | +HH | +HH:MM | +HHMM] */
  if (*p == 'Z' && p[1] == '\0')
    offset_zone = g_time_zone_new_utc ();
  else if (*p == '+' || *p == '-')
    {
      char             sign = *p++;
      int              hours, minutes = 0;
      g_autofree char *offset = NULL;

      if (!take_digits (&p, 2, &hours) || hours > 23)
        goto bad;
      if (*p == ':')
        p++;
      if (*p != '\0' && (!take_digits (&p, 2, &minutes) || minutes > 59))
        goto bad;
      if (*p != '\0')
        goto bad;
      offset = g_strdup_printf ("%c%02d:%02d", sign, hours, minutes);
      offset_zone = g_time_zone_new_identifier (offset);
      if (offset_zone == NULL)
        goto bad;
    }
  else if (*p != '\0')
    goto bad;

  if (year < 1970)
    goto bad;
  time = g_date_time_new (offset_zone != NULL ? offset_zone : zone, year, month, day, hour, minute,
                          second);
  if (time == NULL)
    goto bad;
  *unix_us = g_date_time_to_unix (time) * G_USEC_PER_SEC;
  return TRUE;

bad:
  g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
               "expected a date and time such as 2026-03-01 01:00 (the ward's time zone) or "
               "2026-03-01T01:00Z, got \"%s\"",
               text);
  return FALSE;
}

/* Checks one value against its spec; adds a problem when it is wrong. */
static void
check_value (Checker *checker, GKeyFile *file, const char *group, const KeySpec *spec)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *raw = g_key_file_get_value (file, group, spec->key, NULL);
  g_autofree char *owned = NULL;
  g_autofree char *value = NULL;
  g_autofree char *problem = NULL;
  const char      *expected = type_description (spec, &owned);

  switch (spec->type)
    {
    case TYPE_STRING:
      value = g_key_file_get_string (file, group, spec->key, &error);
      if (value == NULL)
        problem = g_strdup_printf ("%s", error->message);
      else if (spec->required && is_blank (value))
        problem = g_strdup ("must not be empty");
      break;

    case TYPE_INT:
      {
        gint64 n;

        if (!g_ascii_string_to_signed (
                raw, 10, (spec->min != 0 || spec->max != 0) ? (gint64)spec->min : G_MININT64,
                (spec->min != 0 || spec->max != 0) ? (gint64)spec->max : G_MAXINT64, &n, NULL))
          problem = g_strdup_printf ("expected %s, got \"%s\"", expected, raw);
        break;
      }

    case TYPE_BOOLEAN:
      if (g_strcmp0 (raw, "true") != 0 && g_strcmp0 (raw, "false") != 0)
        problem = g_strdup_printf ("expected %s, got \"%s\"", expected, raw);
      break;

    case TYPE_DURATION:
      {
        gint64 ms = 0;

        if (!wk_config_parse_duration (raw, &ms, &error))
          problem = g_strdup (error->message);
        else if ((spec->min != 0 || spec->max != 0) && (ms < spec->min || ms > spec->max))
          problem = g_strdup_printf ("expected a duration from %.0f ms to %.0f ms, got \"%s\"",
                                     spec->min, spec->max, raw);
        break;
      }

    case TYPE_ENUM:
      {
        g_auto (GStrv) choices = g_strsplit (spec->choices, "|", -1);

        if (!g_strv_contains ((const char *const *)choices, raw))
          problem = g_strdup_printf ("expected %s; got \"%s\"", expected, raw);
        break;
      }
    }

  if (problem == NULL && spec->check != NULL)
    problem = spec->check (value != NULL ? value : raw);
  if (problem != NULL)
    add_problem (checker, group, spec->key, "%s", problem);
}

/* Records the line of every group and key, and refuses lines GKeyFile would misread. */
static void
scan_lines (Checker *checker, const char *data, gsize length)
{
  g_autofree char *copy = g_strndup (data, length);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *eq;

      if (*line == '\0' || *line == '#')
        continue;
      if (*line == '[' && line[strlen (line) - 1] == ']')
        {
          g_free (group);
          group = g_strndup (line + 1, strlen (line) - 2);
          if (!g_hash_table_contains (checker->lines, group))
            g_hash_table_insert (checker->lines, g_strdup (group), GINT_TO_POINTER (i + 1));
          else
            add_problem (checker, NULL, NULL, "line %u: group [%s] appears twice; keep one", i + 1,
                         group);
          continue;
        }
      eq = strchr (line, '=');
      if (eq == NULL || group == NULL)
        {
          add_problem (checker, NULL, NULL,
                       "line %u: expected \"[group]\", \"key = value\" or a # comment%s", i + 1,
                       group == NULL && eq != NULL ? " (a setting must come after a [group])" : "");
          continue;
        }
      *eq = '\0';
      g_strchomp (line);
      {
        g_autofree char *lookup = g_strconcat (group, "\n", line, NULL);
        gpointer         before = g_hash_table_lookup (checker->lines, lookup);

        if (before != NULL)
          add_problem (checker, NULL, NULL, "line %u: [%s] %s is set twice (first on line %d)",
                       i + 1, group, line, GPOINTER_TO_INT (before));
        else
          g_hash_table_insert (checker->lines, g_steal_pointer (&lookup), GINT_TO_POINTER (i + 1));
      }
    }
}

static void
check_file (Checker *checker, GKeyFile *file)
{
  g_auto (GStrv) file_groups = g_key_file_get_groups (file, NULL);
  const char *group_names[G_N_ELEMENTS (groups)];

  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    group_names[i] = groups[i].group;

  /* Every group and key in the file must be in the schema, with a valid value. */
  for (guint g = 0; file_groups[g] != NULL; g++)
    {
      const char *group = file_groups[g];
      const char *spec_group = schema_group_of (group);
      g_auto (GStrv) keys = NULL;

      if (spec_group == NULL)
        {
          g_autofree char *hint = suggestion (group, group_names, G_N_ELEMENTS (groups), "[", "]");

          add_problem (checker, group, NULL, "unknown group%s", hint);
          continue;
        }
      keys = g_key_file_get_keys (file, group, NULL, NULL);
      for (guint k = 0; keys[k] != NULL; k++)
        {
          const KeySpec *spec = find_key (spec_group, keys[k]);

          if (spec == NULL)
            {
              g_autoptr (GPtrArray) names = g_ptr_array_new ();
              g_autofree char *hint = NULL;
              g_autofree char *known = NULL;

              for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
                if (strcmp (schema[i].group, spec_group) == 0)
                  g_ptr_array_add (names, (gpointer)schema[i].key);
              hint = suggestion (keys[k], (const char *const *)names->pdata, names->len, "", "");
              g_ptr_array_add (names, NULL);
              known = g_strjoinv (", ", (char **)names->pdata);
              add_problem (checker, group, keys[k], "unknown key%s; [%s] takes: %s", hint,
                           spec_group, known);
              continue;
            }
          check_value (checker, file, group, spec);
        }
    }

  /* Every required key must be there, in plain groups and in each instance. */
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    {
      const KeySpec *spec = &schema[i];

      if (!spec->required)
        continue;
      if (g_str_has_suffix (spec->group, " *"))
        {
          for (guint g = 0; file_groups[g] != NULL; g++)
            if (schema_group_of (file_groups[g]) == spec->group
                && !g_key_file_has_key (file, file_groups[g], spec->key, NULL))
              add_problem (checker, file_groups[g], NULL, "missing required key \"%s\": %s",
                           spec->key, spec->doc);
        }
      else if (!g_key_file_has_key (file, spec->group, spec->key, NULL))
        add_problem (checker, spec->group, spec->key, "missing, and required: %s", spec->doc);
    }

  /* What keys mean together (the checks pass over values already found wrong). */
  for (guint g = 0; file_groups[g] != NULL; g++)
    {
      const char *spec_group = schema_group_of (file_groups[g]);

      for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
        if (groups[i].check != NULL && g_strcmp0 (groups[i].group, spec_group) == 0)
          {
            const char      *key = NULL;
            g_autofree char *problem = groups[i].check (file, file_groups[g], &key);

            if (problem != NULL)
              add_problem (checker, file_groups[g], key, "%s", problem);
          }
    }
  /* [monitor]'s timing holds even when the file has no [monitor] group. */
  if (!g_key_file_has_group (file, "monitor"))
    {
      const char      *key = NULL;
      g_autofree char *problem = check_monitor_group (file, "monitor", &key);

      if (problem != NULL)
        add_problem (checker, "monitor", key, "%s", problem);
    }
}

/**
 * wk_config_load_from_data:
 * @data: the text of a configuration file
 * @length: its length, or -1 when nul-terminated
 * @name: what to call it in error messages (its path)
 * @error: return location for a #GError
 *
 * Loads and checks a configuration. Every problem found is listed in the error, one per
 * line, each naming the file, line, group and key and what was expected.
 *
 * Returns: (transfer full): the configuration, or %NULL with %WK_SNAPSHOT_ERROR_CONFIG
 */
WkConfig *
wk_config_load_from_data (const char *data, gssize length, const char *name, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  Checker   checker = { lines, problems, name };
  WkConfig *config;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (length < 0)
    length = strlen (data);
  if (!g_utf8_validate (data, length, NULL))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "%s: the file is not UTF-8 text", name);
      return NULL;
    }
  scan_lines (&checker, data, length);
  if (problems->len == 0
      && !g_key_file_load_from_data (file, data, length, G_KEY_FILE_KEEP_TRANSLATIONS,
                                     &local_error))
    add_problem (&checker, NULL, NULL, "%s", local_error->message);
  if (problems->len == 0)
    check_file (&checker, file);

  if (problems->len == 1)
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG, "%s",
                   (char *)problems->pdata[0]);
      return NULL;
    }
  if (problems->len > 1)
    {
      g_autoptr (GString) message = g_string_new (NULL);

      g_string_printf (message, "%u problems in the configuration:", problems->len);
      for (guint i = 0; i < problems->len; i++)
        g_string_append_printf (message, "\n  %s", (char *)problems->pdata[i]);
      g_set_error_literal (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG, message->str);
      return NULL;
    }

  config = g_new0 (WkConfig, 1);
  config->path = g_strdup (name);
  config->file = g_steal_pointer (&file);
  config->strings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return config;
}

/**
 * wk_config_load:
 * @path: (nullable): the file; %NULL for %WK_CONFIG_DEFAULT_PATH
 * @error: return location for a #GError
 *
 * Reads and checks the configuration file at @path.
 *
 * Returns: (transfer full): the configuration, or %NULL with %WK_SNAPSHOT_ERROR_CONFIG
 */
WkConfig *
wk_config_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize            length = 0;
  g_autoptr (GError) local_error = NULL;

  if (path == NULL)
    path = WK_CONFIG_DEFAULT_PATH;
  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, WK_SNAPSHOT_ERROR, WK_SNAPSHOT_ERROR_CONFIG,
                   "Cannot read the configuration: %s. Create it from the sample in "
                   "/usr/share/doc/wardkeep/wardkeep.conf or pass --config FILE",
                   local_error->message);
      return NULL;
    }
  return wk_config_load_from_data (data, length, path, error);
}

/**
 * wk_config_free:
 * @config: (nullable) (transfer full): a #WkConfig
 */
void
wk_config_free (WkConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_key_file_free (config->file);
  g_hash_table_unref (config->strings);
  g_free (config);
}

/**
 * wk_config_get_path:
 * @config: a #WkConfig
 *
 * Returns: the file the configuration came from (or the name it was given)
 */
const char *
wk_config_get_path (WkConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  return config->path;
}

/* The raw text of a setting: the file's, else the default (NULL when neither). */
static char *
dup_raw (
    WkConfig *config, const char *group, const char *key, KeyType type, const KeySpec **out_spec)
{
  const char    *spec_group = schema_group_of (group);
  const KeySpec *spec = spec_group != NULL ? find_key (spec_group, key) : NULL;

  if (spec == NULL || (spec->type != type && !(type == TYPE_STRING && spec->type == TYPE_ENUM)))
    {
      g_critical ("wardkeep asked for the setting [%s] %s, which its schema does not declare "
                  "with that type",
                  group, key);
      return NULL;
    }
  if (out_spec != NULL)
    *out_spec = spec;
  if (g_key_file_has_key (config->file, group, key, NULL))
    return g_key_file_get_value (config->file, group, key, NULL);
  return g_strdup (spec->fallback);
}

/**
 * wk_config_get_string:
 * @config: a #WkConfig
 * @group: the group, e.g. "ward" or "printer office"
 * @key: the key
 *
 * Returns: (nullable): the value or its default; %NULL for an optional setting that is
 *   not set and has no default
 */
const char *
wk_config_get_string (WkConfig *config, const char *group, const char *key)
{
  g_autofree char *lookup = NULL;
  const char      *cached;
  g_autofree char *raw = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  lookup = g_strconcat (group, "\n", key, NULL);
  cached = g_hash_table_lookup (config->strings, lookup);
  if (cached != NULL)
    return cached;
  raw = dup_raw (config, group, key, TYPE_STRING, NULL);
  if (raw == NULL)
    return NULL;
  /* Unescape as GKeyFile does, when the value came from the file. */
  if (g_key_file_has_key (config->file, group, key, NULL))
    {
      g_free (raw);
      raw = g_key_file_get_string (config->file, group, key, NULL);
    }
  cached = raw;
  g_hash_table_insert (config->strings, g_steal_pointer (&lookup), g_steal_pointer (&raw));
  return cached;
}

/**
 * wk_config_get_int:
 * @config: a #WkConfig
 * @group: the group
 * @key: the key
 *
 * Returns: the value or its default
 */
gint64
wk_config_get_int (WkConfig *config, const char *group, const char *key)
{
  g_autofree char *raw = NULL;

  g_return_val_if_fail (config != NULL, 0);

  raw = dup_raw (config, group, key, TYPE_INT, NULL);
  return raw != NULL ? g_ascii_strtoll (raw, NULL, 10) : 0;
}

/**
 * wk_config_get_boolean:
 * @config: a #WkConfig
 * @group: the group
 * @key: the key
 *
 * Returns: the value or its default
 */
gboolean
wk_config_get_boolean (WkConfig *config, const char *group, const char *key)
{
  g_autofree char *raw = NULL;

  g_return_val_if_fail (config != NULL, FALSE);

  raw = dup_raw (config, group, key, TYPE_BOOLEAN, NULL);
  return g_strcmp0 (raw, "true") == 0;
}

/**
 * wk_config_get_duration_ms:
 * @config: a #WkConfig
 * @group: the group
 * @key: the key
 *
 * Returns: the value or its default, in milliseconds
 */
gint64
wk_config_get_duration_ms (WkConfig *config, const char *group, const char *key)
{
  g_autofree char *raw = NULL;
  gint64           ms = 0;

  g_return_val_if_fail (config != NULL, 0);

  raw = dup_raw (config, group, key, TYPE_DURATION, NULL);
  if (raw != NULL && !wk_config_parse_duration (raw, &ms, NULL))
    g_assert_not_reached (); /* checked when loaded */
  return ms;
}

/**
 * wk_config_dup_instances:
 * @config: a #WkConfig
 * @kind: the kind of group, e.g. "printer"
 *
 * Returns: (transfer full): the NAMEs of the `[KIND NAME]` groups, in file order
 */
GStrv
wk_config_dup_instances (WkConfig *config, const char *kind)
{
  g_auto (GStrv) file_groups = NULL;
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  prefix = g_strconcat (kind, " ", NULL);
  file_groups = g_key_file_get_groups (config->file, NULL);
  for (guint i = 0; file_groups[i] != NULL; i++)
    if (g_str_has_prefix (file_groups[i], prefix))
      g_strv_builder_add (names, file_groups[i] + strlen (prefix));
  return g_strv_builder_end (names);
}

/**
 * wk_config_dup_reference:
 *
 * Describes every setting, as the Markdown the README's configuration reference holds.
 *
 * Returns: (transfer full): the reference
 */
char *
wk_config_dup_reference (void)
{
  GString *out = g_string_new (NULL);

  for (gsize g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      g_autofree char *heading = NULL;

      if (g_str_has_suffix (groups[g].group, " *"))
        heading = g_strdup_printf ("%.*s NAME", (int)strlen (groups[g].group) - 2, groups[g].group);
      else
        heading = g_strdup (groups[g].group);
      g_string_append_printf (out, "#### `[%s]`\n\n%s\n\n", heading, groups[g].doc);
      g_string_append (out, "| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
      for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
        {
          const KeySpec   *spec = &schema[i];
          g_autofree char *owned = NULL;
          const char      *type = type_description (spec, &owned);
          g_autofree char *fallback = NULL;

          if (strcmp (spec->group, groups[g].group) != 0)
            continue;
          if (spec->required)
            fallback = g_strdup ("**required**");
          else if (spec->fallback != NULL)
            fallback = g_strdup_printf ("`%s`", spec->fallback);
          else
            fallback = g_strdup ("not set");
          g_string_append_printf (out, "| `%s` | %s | %s | %s |\n", spec->key, type, fallback,
                                  spec->doc);
        }
      g_string_append_c (out, '\n');
    }
  g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}
