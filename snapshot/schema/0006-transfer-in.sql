-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 6: patients whose orders the kiosk may not all have.
--
-- A patient who arrives on a ward this kiosk keeps from one it does not (a transfer, or an
-- admission from another ward) brings orders that were placed while they were elsewhere,
-- which this kiosk never saw. Until the interface engine sends them (see "The HL7 feed"
-- in the README), every chart of the patient says that medicines may be missing.
-- arrival says how they arrived; NULL once the kiosk has their orders (or always had).
ALTER TABLE patient ADD COLUMN arrival TEXT
  CHECK (arrival IS NULL OR arrival = 'transfer' OR arrival = 'admission');
-- When they arrived (UTC seconds), and the ward they came from when known (PV1-6).
ALTER TABLE patient ADD COLUMN arrived_at INTEGER
  CHECK (arrival IS NULL OR arrived_at IS NOT NULL);
ALTER TABLE patient ADD COLUMN arrived_from TEXT;
