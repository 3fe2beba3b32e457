-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 4: reconciliation of the paper charts after a downtime.
--
-- Pages come back and are scanned (paper_chart, paper_page, and what each page printed,
-- paper_order, decoded from its signed code); pharmacists key in what was written in the
-- boxes (paper_entry, each also an administration with source 'paper'); every action is
-- audited (reconcile_audit); discrepancy reports are signed off (reconcile_signoff); and
-- each entry exported for back-entry is recorded per format (paper_export), so nothing is
-- exported twice by accident.

-- A chart some page of which has come back. Its header is what the page's code says;
-- episode_id names the downtime episode it was printed in (NULL when none is known), and
-- outside_ledger marks a chart the daemon never printed (a kiosk printed it while the
-- daemon was down).
CREATE TABLE paper_chart (
  chart_id         TEXT PRIMARY KEY CHECK (length (chart_id) = 8),
  patient_id       INTEGER REFERENCES patient (id) ON DELETE SET NULL,
  nhs_number       TEXT,
  hospital_number  TEXT,
  ward_id          TEXT NOT NULL,
  snapshot_seq     INTEGER NOT NULL,
  snapshot_at      INTEGER NOT NULL,
  printed_at       INTEGER NOT NULL,
  utc_offset_min   INTEGER NOT NULL,
  key_id           TEXT NOT NULL CHECK (length (key_id) = 16),
  n_pages          INTEGER NOT NULL CHECK (n_pages BETWEEN 1 AND 999),
  episode_id       TEXT,
  outside_ledger   INTEGER NOT NULL DEFAULT 0 CHECK (outside_ledger IN (0, 1)),
  first_scanned_at INTEGER NOT NULL,
  CHECK (nhs_number IS NOT NULL OR hospital_number IS NOT NULL)
) STRICT;

CREATE INDEX paper_chart_episode ON paper_chart (episode_id);

-- A page that came back: scanned once or more (scans > 1 is a page returned twice).
CREATE TABLE paper_page (
  chart_id         TEXT NOT NULL REFERENCES paper_chart (chart_id) ON DELETE CASCADE,
  page             INTEGER NOT NULL CHECK (page >= 1),
  payload          TEXT NOT NULL,
  scans            INTEGER NOT NULL DEFAULT 1 CHECK (scans >= 1),
  first_scanned_at INTEGER NOT NULL,
  last_scanned_at  INTEGER NOT NULL,
  scanned_by       TEXT,
  PRIMARY KEY (chart_id, page)
) STRICT;

-- Each order as a returned page printed it, in print order.
CREATE TABLE paper_order (
  chart_id         TEXT NOT NULL,
  page             INTEGER NOT NULL,
  position         INTEGER NOT NULL,
  placer_id        TEXT NOT NULL CHECK (length (placer_id) > 0),
  version          INTEGER NOT NULL CHECK (version >= 1),
  kind             TEXT NOT NULL CHECK (kind IN ('regular', 'prn', 'once')),
  status           TEXT NOT NULL CHECK (status IN ('active', 'held', 'discontinued')),
  dmd_code         TEXT,
  drug             TEXT NOT NULL,
  drug_cut         INTEGER NOT NULL DEFAULT 0 CHECK (drug_cut IN (0, 1)),
  dose             REAL NOT NULL,
  dose_max         REAL,
  dose_unit        TEXT NOT NULL,
  route            TEXT NOT NULL,
  admin_times      TEXT,
  min_interval_min INTEGER,
  prn_max_24h      REAL,
  start_at         INTEGER NOT NULL,
  stop_at          INTEGER,
  status_at        INTEGER,
  last_given_at    INTEGER,
  PRIMARY KEY (chart_id, page, position),
  FOREIGN KEY (chart_id, page) REFERENCES paper_page (chart_id, page) ON DELETE CASCADE
) STRICT;

CREATE INDEX paper_order_placer ON paper_order (placer_id);

-- What was written in one box (a regular order's due time) or one line (an as-required
-- or once-only dose), as keyed in. An amendment writes a new entry and points the old one
-- at it (replaced_by); only entries not replaced count. flags holds what validation found
-- (comma separated: dose-differs, unit-differs, prn-max-24h, prn-interval,
-- outside-episode, given-while-held, given-while-stopped, order-changed); they are
-- recorded, shown in the report, and never stop an entry.
CREATE TABLE paper_entry (
  id                INTEGER PRIMARY KEY,
  chart_id          TEXT NOT NULL REFERENCES paper_chart (chart_id),
  page              INTEGER NOT NULL,
  placer_id         TEXT NOT NULL,
  order_version     INTEGER NOT NULL,
  due_at            INTEGER,
  given             INTEGER NOT NULL CHECK (given IN (0, 1)),
  at                INTEGER NOT NULL,
  dose              REAL CHECK (dose IS NULL OR dose > 0),
  dose_unit         TEXT,
  reason_code       TEXT,
  reason            TEXT,
  by_whom           TEXT,
  flags             TEXT NOT NULL DEFAULT '',
  note              TEXT,
  entered_by        TEXT NOT NULL CHECK (length (entered_by) > 0),
  entered_at        INTEGER NOT NULL,
  administration_id INTEGER REFERENCES administration (id) ON DELETE SET NULL,
  replaces          INTEGER REFERENCES paper_entry (id),
  replaced_by       INTEGER REFERENCES paper_entry (id),
  CHECK (given = 0 OR dose IS NOT NULL),
  CHECK (given = 1 OR reason IS NOT NULL)
) STRICT;

CREATE INDEX paper_entry_chart ON paper_entry (chart_id);
CREATE INDEX paper_entry_order ON paper_entry (placer_id, at);
-- One current entry per box.
CREATE UNIQUE INDEX paper_entry_box ON paper_entry (chart_id, placer_id, due_at)
  WHERE replaced_by IS NULL AND due_at IS NOT NULL;

-- Who did what in reconciliation, and when; details name model ids and chart ids, never
-- a patient's identifiers.
CREATE TABLE reconcile_audit (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  who      TEXT NOT NULL CHECK (length (who) > 0),
  action   TEXT NOT NULL CHECK (action IN ('scan', 'scan-again', 'enter', 'amend', 'sign-off',
                                           'export', 're-export')),
  chart_id TEXT,
  entry_id INTEGER,
  detail   TEXT
) STRICT;

-- A discrepancy report signed off: the episode it covers ('' for charts outside any
-- episode), who and when, and the digest of the report's findings, so that a report that
-- has changed since says so.
CREATE TABLE reconcile_signoff (
  id         INTEGER PRIMARY KEY,
  episode_id TEXT NOT NULL,
  signed_by  TEXT NOT NULL CHECK (length (signed_by) > 0),
  signed_at  INTEGER NOT NULL,
  digest     TEXT NOT NULL CHECK (length (digest) = 64),
  findings   INTEGER NOT NULL,
  note       TEXT
) STRICT;

CREATE INDEX reconcile_signoff_episode ON reconcile_signoff (episode_id, signed_at);

-- Each entry exported for back-entry, per format: hl7 (RAS^O17 acknowledged by the
-- interface engine), fhir, csv. A second export of the same entry in the same format is
-- a deliberate re-export (again = 1).
CREATE TABLE paper_export (
  id          INTEGER PRIMARY KEY,
  entry_id    INTEGER NOT NULL REFERENCES paper_entry (id),
  format      TEXT NOT NULL CHECK (format IN ('hl7', 'fhir', 'csv')),
  exported_at INTEGER NOT NULL,
  exported_by TEXT NOT NULL CHECK (length (exported_by) > 0),
  destination TEXT,
  control_id  TEXT,
  again       INTEGER NOT NULL DEFAULT 0 CHECK (again IN (0, 1))
) STRICT;

CREATE INDEX paper_export_entry ON paper_export (entry_id, format);
