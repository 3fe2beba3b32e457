-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 7: downtime drills. One row per drill, kept as evidence for
-- the board and auditors: who ran it, which scenario, how it ended, whether it met its
-- targets, and the whole report as JSON (its timeline, figures and problems; the PDF is
-- rendered from it). The drill's paper leaves the print ledger when the drill ends
-- (wk-drill-log.c): this row is all a drill leaves behind.
CREATE TABLE drill (
  -- The drill's episode id, as its paper and the timeline name it.
  id         TEXT PRIMARY KEY CHECK (length (id) BETWEEN 1 AND 64),
  scenario   TEXT NOT NULL CHECK (scenario IN ('outage', 'planned', 'printer-failure')),
  ward_id    TEXT NOT NULL CHECK (length (ward_id) > 0),
  started_by TEXT,
  stopped_by TEXT,
  -- UTC seconds.
  started_at INTEGER NOT NULL,
  ended_at   INTEGER NOT NULL CHECK (ended_at >= started_at),
  -- 'stopped' by a person, 'taken-over' by a real downtime, or 'interrupted' (the daemon
  -- stopped during the drill; its report is made when it starts again).
  ended_how  TEXT NOT NULL CHECK (ended_how IN ('stopped', 'taken-over', 'interrupted')),
  -- Every target met.
  passed     INTEGER NOT NULL CHECK (passed IN (0, 1)),
  report     TEXT NOT NULL CHECK (json_valid (report))
) STRICT;

CREATE INDEX drill_started ON drill (started_at);

-- Evidence is not edited after the fact.
CREATE TRIGGER drill_unchanged BEFORE UPDATE ON drill
BEGIN
  SELECT RAISE (ABORT, 'a drill record is evidence and is never changed');
END;
