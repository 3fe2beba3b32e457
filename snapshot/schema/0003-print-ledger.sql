-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 3: the print ledger. What went out on paper, when, why and
-- where: the downtime episodes, each print request, every document printed with what each
-- page carried (as its QR code does), and every attempt to print it. Reconciliation
-- compares the paper that comes back with this; drills time the jobs. wk-ledger.c holds
-- the rules that need words; the CHECKs and triggers here are the backstop.

-- A downtime episode (WkEpisode): from the moment the ward needs paper until it is back
-- online. The daemon prints the ward once per episode.
CREATE TABLE episode (
  id         TEXT PRIMARY KEY CHECK (length (id) BETWEEN 1 AND 64),
  kind       TEXT NOT NULL CHECK (kind IN ('outage', 'manual', 'planned', 'drill')),
  -- Which drill; NULL for a real episode.
  scenario   TEXT CHECK (scenario IS NULL OR scenario IN ('outage', 'planned', 'printer-failure')),
  reason     TEXT NOT NULL CHECK (length (reason) > 0),
  who        TEXT,
  -- The NAME of the [planned NAME] window of a planned episode.
  window     TEXT,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER CHECK (ended_at IS NULL OR ended_at >= started_at),
  end_reason TEXT,
  CHECK ((kind = 'drill') = (scenario IS NOT NULL)),
  CHECK (ended_at IS NOT NULL OR end_reason IS NULL)
) STRICT;

-- One request to print: the daemon's automatic print of the ward when an episode starts
-- (requested_by 'daemon'), or a person's (kiosk, CLI). Its documents follow.
CREATE TABLE print_request (
  id           TEXT PRIMARY KEY CHECK (length (id) BETWEEN 1 AND 64),
  what         TEXT NOT NULL CHECK (what IN ('ward', 'census', 'chart')),
  -- For 'chart': the patient asked for (model id).
  patient_id   INTEGER REFERENCES patient (id) ON DELETE SET NULL,
  episode_id   TEXT REFERENCES episode (id),
  drill        INTEGER NOT NULL CHECK (drill IN (0, 1)),
  automatic    INTEGER NOT NULL CHECK (automatic IN (0, 1)),
  requested_by TEXT NOT NULL CHECK (length (requested_by) > 0),
  requested_at INTEGER NOT NULL,
  -- The printer asked for; NULL: the configured printers in failover order.
  printer      TEXT,
  CHECK (automatic = 0 OR (requested_by = 'daemon' AND what = 'ward' AND episode_id IS NOT NULL))
) STRICT;

-- The ward is printed by itself at most once per episode.
CREATE UNIQUE INDEX print_request_automatic ON print_request (episode_id) WHERE automatic = 1;

-- Every document printed (a drug chart or the census), recorded before it is sent.
CREATE TABLE printed_document (
  id           INTEGER PRIMARY KEY,
  -- The chart id as printed (8 Crockford base32 characters; printed 7KQ2-M9XD).
  chart_id     TEXT NOT NULL UNIQUE
               CHECK (length (chart_id) = 8 AND chart_id NOT GLOB '*[^0-9ABCDEFGHJKMNPQRSTVWXYZ]*'),
  request_id   TEXT NOT NULL REFERENCES print_request (id),
  kind         TEXT NOT NULL CHECK (kind IN ('chart', 'census')),
  -- The patient (model id) of a chart; NULL for the census, or once the patient's record
  -- is gone from the model (the pages' QR codes still name them).
  patient_id   INTEGER REFERENCES patient (id) ON DELETE SET NULL,
  ward_id      TEXT NOT NULL,
  position     INTEGER NOT NULL CHECK (position >= 0),
  drill        INTEGER NOT NULL CHECK (drill IN (0, 1)),
  snapshot_seq INTEGER NOT NULL CHECK (snapshot_seq >= 0),
  snapshot_at  INTEGER NOT NULL,
  printed_at   INTEGER NOT NULL,
  pages        INTEGER NOT NULL CHECK (pages >= 1),
  -- Where it finally went (the last printer tried, while it is not printed).
  printer      TEXT,
  state        TEXT NOT NULL DEFAULT 'queued'
               CHECK (state IN ('queued', 'sent', 'printed', 'not-printed')),
  reason       TEXT,
  CHECK (kind = 'chart' OR patient_id IS NULL),
  CHECK (state NOT IN ('sent', 'printed') OR printer IS NOT NULL),
  CHECK (state <> 'not-printed' OR reason IS NOT NULL)
) STRICT;

CREATE INDEX printed_document_request ON printed_document (request_id, position);
CREATE INDEX printed_document_patient ON printed_document (patient_id);

-- What each page carried: its QR payload, and the orders on it (placer id and version,
-- as in the payload). A census page carries no orders.
CREATE TABLE printed_page (
  document_id INTEGER NOT NULL REFERENCES printed_document (id) ON DELETE CASCADE,
  page        INTEGER NOT NULL CHECK (page >= 1),
  payload     TEXT,
  PRIMARY KEY (document_id, page)
) STRICT;

CREATE TABLE printed_page_order (
  document_id   INTEGER NOT NULL,
  page          INTEGER NOT NULL,
  position      INTEGER NOT NULL CHECK (position >= 0),
  placer_id     TEXT NOT NULL CHECK (length (placer_id) > 0),
  order_version INTEGER NOT NULL CHECK (order_version >= 1),
  PRIMARY KEY (document_id, page, position),
  FOREIGN KEY (document_id, page) REFERENCES printed_page (document_id, page) ON DELETE CASCADE
) STRICT;

CREATE INDEX printed_page_order_order ON printed_page_order (placer_id, order_version);

-- Every attempt to print a document: one job on one printer. Times are UTC microseconds
-- (columns ending _us): drills time them.
CREATE TABLE print_job (
  id           INTEGER PRIMARY KEY,
  document_id  INTEGER NOT NULL REFERENCES printed_document (id) ON DELETE CASCADE,
  printer      TEXT NOT NULL CHECK (length (printer) > 0),
  cups_job_id  INTEGER CHECK (cups_job_id IS NULL OR cups_job_id > 0),
  state        TEXT NOT NULL DEFAULT 'submitted'
               CHECK (state IN ('submitted', 'accepted', 'processing', 'completed', 'failed')),
  reason       TEXT,
  submitted_us INTEGER NOT NULL,
  accepted_us  INTEGER CHECK (accepted_us IS NULL OR accepted_us >= submitted_us),
  completed_us INTEGER CHECK (completed_us IS NULL OR completed_us >= submitted_us),
  failed_us    INTEGER CHECK (failed_us IS NULL OR failed_us >= submitted_us),
  CHECK (state = 'submitted' OR state = 'failed' OR cups_job_id IS NOT NULL),
  CHECK (state <> 'completed' OR completed_us IS NOT NULL),
  CHECK (state <> 'failed' OR (failed_us IS NOT NULL AND reason IS NOT NULL))
) STRICT;

CREATE INDEX print_job_document ON print_job (document_id);

-- A finished job stays finished.
CREATE TRIGGER print_job_final BEFORE UPDATE OF state ON print_job
  WHEN OLD.state IN ('completed', 'failed') AND NEW.state <> OLD.state
BEGIN
  SELECT RAISE (ABORT, 'a completed or failed print job does not change state');
END;

-- Drill paper belongs to drills, and real paper to real episodes.
CREATE TRIGGER print_request_drill BEFORE INSERT ON print_request
  WHEN NEW.episode_id IS NOT NULL
       AND (SELECT kind = 'drill' FROM episode WHERE id = NEW.episode_id) <> NEW.drill
BEGIN
  SELECT RAISE (ABORT, 'a drill print belongs to a drill episode, a real one to a real episode');
END;

-- When two records of one person are merged (HL7 A40), the merged record's orders move to
-- the survivor, and so does its paper: reconciliation finds it under the survivor.
CREATE TRIGGER printed_document_follows_merge AFTER UPDATE OF patient_id ON med_order
  WHEN OLD.patient_id <> NEW.patient_id
BEGIN
  UPDATE printed_document SET patient_id = NEW.patient_id WHERE patient_id = OLD.patient_id;
  UPDATE print_request SET patient_id = NEW.patient_id WHERE patient_id = OLD.patient_id;
END;
