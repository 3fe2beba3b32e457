-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 2: what following the HL7 feed needs.

-- The time of the last feed event applied to a patient (EVN-6, else EVN-2, else MSH-7):
-- an ADT message about an older event is stale and is not applied.
ALTER TABLE patient ADD COLUMN event_at INTEGER;

-- Each order version's transaction time (ORC-9) decides staleness: a change older than
-- the current version is acknowledged and not applied. order_control says what made it.
ALTER TABLE med_order ADD COLUMN transaction_at INTEGER;
ALTER TABLE med_order ADD COLUMN order_control TEXT
  CHECK (order_control IS NULL OR order_control IN ('NW', 'XO', 'DC', 'CA', 'HD', 'RL'));

-- Messages applied from the feed, by control id (MSH-10), so that a repeat is
-- acknowledged again and not applied twice, even after a restart from a snapshot. The
-- digest (BLAKE2b of everything after MSH) tells a true repeat from a reused id. Only the
-- newest rows are kept (rowid order); wk-feed-message.c prunes the rest.
CREATE TABLE feed_message (
  control_id  TEXT PRIMARY KEY CHECK (length (control_id) BETWEEN 1 AND 199),
  digest      TEXT NOT NULL CHECK (length (digest) = 32),
  ack_code    TEXT NOT NULL CHECK (ack_code IN ('AA', 'AE', 'AR')),
  note        TEXT,
  received_at INTEGER NOT NULL
) STRICT;
