-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 1: wards, beds, patients, allergies, orders, administrations.
--
-- Conventions: times are UTC seconds since the epoch (INTEGER, columns ending _at);
-- dates of birth are ISO 8601 text (YYYY-MM-DD); every table is STRICT so that a wrong
-- type is an error, not a silent conversion. Each later schema version is one more file
-- in this folder, applied in order by wk-model.c and recorded in PRAGMA user_version.

-- Small facts about the model itself ("ward_id", ...).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE ward (
  id   TEXT PRIMARY KEY CHECK (length (id) BETWEEN 1 AND 64),
  name TEXT NOT NULL CHECK (length (name) > 0)
) STRICT;

-- A bed is empty unless a patient's bed_id points at it; a closed bed takes nobody.
CREATE TABLE bed (
  id      INTEGER PRIMARY KEY,
  ward_id TEXT NOT NULL REFERENCES ward (id) ON DELETE CASCADE,
  bay     TEXT NOT NULL DEFAULT '',
  bed     TEXT NOT NULL CHECK (length (bed) > 0),
  closed  INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
  UNIQUE (ward_id, bay, bed)
) STRICT;

CREATE TABLE patient (
  id              INTEGER PRIMARY KEY,
  nhs_number      TEXT UNIQUE
                  CHECK (nhs_number IS NULL
                         OR (length (nhs_number) = 10 AND nhs_number NOT GLOB '*[^0-9]*')),
  hospital_number TEXT UNIQUE CHECK (hospital_number IS NULL OR length (hospital_number) > 0),
  family_name     TEXT NOT NULL CHECK (length (family_name) > 0),
  given_names     TEXT NOT NULL DEFAULT '',
  birth_date      TEXT CHECK (birth_date IS NULL
                              OR (birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                                  AND date (birth_date) = birth_date)),
  sex             TEXT NOT NULL DEFAULT 'unknown'
                  CHECK (sex IN ('female', 'male', 'other', 'unknown')),
  weight_kg       REAL CHECK (weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 700)),
  weight_at       INTEGER,
  consultant      TEXT,
  -- "none-known" (NKDA) and "not-recorded" (ask the patient) are different facts.
  allergy_status  TEXT NOT NULL DEFAULT 'not-recorded'
                  CHECK (allergy_status IN ('not-recorded', 'none-known', 'recorded')),
  stay            TEXT NOT NULL DEFAULT 'admitted'
                  CHECK (stay IN ('pre-admitted', 'admitted', 'transferred-out', 'discharged')),
  visit_number    TEXT,
  ward_id         TEXT REFERENCES ward (id) ON DELETE SET NULL,
  -- One patient per bed: the UNIQUE constraint is the rule.
  bed_id          INTEGER UNIQUE REFERENCES bed (id) ON DELETE SET NULL,
  admitted_at     INTEGER,
  left_at         INTEGER,
  updated_at      INTEGER NOT NULL,
  CHECK (nhs_number IS NOT NULL OR hospital_number IS NOT NULL),
  CHECK (bed_id IS NULL OR stay = 'admitted')
) STRICT;

CREATE TABLE allergy (
  id          INTEGER PRIMARY KEY,
  patient_id  INTEGER NOT NULL REFERENCES patient (id) ON DELETE CASCADE,
  category    TEXT NOT NULL DEFAULT 'drug'
              CHECK (category IN ('drug', 'food', 'environment', 'other')),
  substance   TEXT NOT NULL CHECK (length (substance) > 0),
  code        TEXT,
  reaction    TEXT,
  severity    TEXT NOT NULL DEFAULT 'unknown'
              CHECK (severity IN ('mild', 'moderate', 'severe', 'unknown')),
  recorded_at INTEGER
) STRICT;

CREATE INDEX allergy_patient ON allergy (patient_id);

-- Every version of every medication order is kept; the current one is the highest
-- version of a placer id (see the current_order view).
CREATE TABLE med_order (
  id               INTEGER PRIMARY KEY,
  patient_id       INTEGER NOT NULL REFERENCES patient (id) ON DELETE CASCADE,
  placer_id        TEXT NOT NULL CHECK (length (placer_id) > 0),
  version          INTEGER NOT NULL CHECK (version >= 1),
  kind             TEXT NOT NULL CHECK (kind IN ('regular', 'prn', 'once')),
  status           TEXT NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'held', 'discontinued')),
  dmd_code         TEXT,
  drug             TEXT NOT NULL CHECK (length (drug) > 0),
  dose             REAL NOT NULL CHECK (dose > 0),
  dose_max         REAL CHECK (dose_max IS NULL OR dose_max >= dose),
  dose_unit        TEXT NOT NULL CHECK (length (dose_unit) > 0),
  route            TEXT NOT NULL CHECK (length (route) > 0),
  frequency        TEXT,
  -- Due times of day in ward local time, "HH:MM" comma separated, in order.
  admin_times      TEXT CHECK (admin_times IS NULL OR admin_times GLOB '[0-2][0-9]:[0-5][0-9]*'),
  min_interval_min INTEGER CHECK (min_interval_min IS NULL OR min_interval_min > 0),
  prn_indication   TEXT,
  prn_max_24h      REAL CHECK (prn_max_24h IS NULL OR prn_max_24h > 0),
  start_at         INTEGER NOT NULL,
  stop_at          INTEGER CHECK (stop_at IS NULL OR stop_at >= start_at),
  status_at        INTEGER,
  prescriber       TEXT,
  instructions     TEXT,
  UNIQUE (placer_id, version),
  CHECK (kind = 'prn' OR (prn_indication IS NULL AND prn_max_24h IS NULL))
) STRICT;

CREATE INDEX med_order_patient ON med_order (patient_id);

CREATE VIEW current_order AS
  SELECT o.* FROM med_order o
  WHERE o.version = (SELECT max (v.version) FROM med_order v WHERE v.placer_id = o.placer_id);

CREATE TABLE administration (
  id            INTEGER PRIMARY KEY,
  placer_id     TEXT NOT NULL,
  order_version INTEGER NOT NULL,
  at            INTEGER NOT NULL,
  given         INTEGER NOT NULL CHECK (given IN (0, 1)),
  dose          REAL CHECK (dose IS NULL OR dose > 0),
  dose_unit     TEXT,
  reason        TEXT,
  by_whom       TEXT,
  source        TEXT NOT NULL DEFAULT 'feed' CHECK (source IN ('feed', 'paper')),
  external_id   TEXT UNIQUE,
  FOREIGN KEY (placer_id, order_version) REFERENCES med_order (placer_id, version)
    ON DELETE CASCADE,
  CHECK (given = 0 OR dose IS NOT NULL),
  CHECK (given = 1 OR reason IS NOT NULL)
) STRICT;

CREATE INDEX administration_order ON administration (placer_id, at);
