-- SPDX-License-Identifier: GPL-3.0-or-later
-- Ward model, schema version 5: the same rules on coded values, checked without a
-- temporary table.
--
-- SQLite checks a CHECK (x IN ('a', 'b', 'c')) of three values or more by building a
-- temporary b-tree of the list on every insert and update of the row (two 4 KiB pages,
-- created and freed each time): about a third of the time it took to apply an HL7
-- message. x = 'a' OR x = 'b' OR x = 'c' is the same rule (also for NULL, which passes
-- both) and costs a few comparisons. The rows on disk do not change, so the table
-- definitions are rewritten in place, as SQLite documents for changing constraints
-- ("Making Other Kinds Of Table Schema Changes"), and the schema is then reloaded.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace (replace (replace (sql,
         'sex IN (''female'', ''male'', ''other'', ''unknown'')',
         'sex = ''female'' OR sex = ''male'' OR sex = ''other'' OR sex = ''unknown'''),
         'allergy_status IN (''not-recorded'', ''none-known'', ''recorded'')',
         'allergy_status = ''not-recorded'' OR allergy_status = ''none-known'' '
           || 'OR allergy_status = ''recorded'''),
         'stay IN (''pre-admitted'', ''admitted'', ''transferred-out'', ''discharged'')',
         'stay = ''pre-admitted'' OR stay = ''admitted'' OR stay = ''transferred-out'' '
           || 'OR stay = ''discharged''')
 WHERE type = 'table' AND name = 'patient';
UPDATE sqlite_schema
   SET sql = replace (replace (sql,
         'category IN (''drug'', ''food'', ''environment'', ''other'')',
         'category = ''drug'' OR category = ''food'' OR category = ''environment'' '
           || 'OR category = ''other'''),
         'severity IN (''mild'', ''moderate'', ''severe'', ''unknown'')',
         'severity = ''mild'' OR severity = ''moderate'' OR severity = ''severe'' '
           || 'OR severity = ''unknown''')
 WHERE type = 'table' AND name = 'allergy';
UPDATE sqlite_schema
   SET sql = replace (replace (replace (sql,
         'kind IN (''regular'', ''prn'', ''once'')',
         'kind = ''regular'' OR kind = ''prn'' OR kind = ''once'''),
         'status IN (''active'', ''held'', ''discontinued'')',
         'status = ''active'' OR status = ''held'' OR status = ''discontinued'''),
         'order_control IN (''NW'', ''XO'', ''DC'', ''CA'', ''HD'', ''RL'')',
         '(order_control = ''NW'' OR order_control = ''XO'' OR order_control = ''DC'' '
           || 'OR order_control = ''CA'' OR order_control = ''HD'' OR order_control = ''RL'')')
 WHERE type = 'table' AND name = 'med_order';
UPDATE sqlite_schema
   SET sql = replace (sql,
         'ack_code IN (''AA'', ''AE'', ''AR'')',
         'ack_code = ''AA'' OR ack_code = ''AE'' OR ack_code = ''AR''')
 WHERE type = 'table' AND name = 'feed_message';
PRAGMA writable_schema = RESET;
