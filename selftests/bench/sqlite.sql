-- SPDX-License-Identifier: GPL-2.0
-- A real program (issue 15): the sqlite3 shell under each allocator.
-- @rows rows of 16-215 byte hex text are inserted in one transaction,
-- indexed twice, joined and grouped, a third of them doubled in size and
-- a fifth deleted, all in memory (the page cache is the allocator's too):
-- sqlite3 :memory: ".parameter set @rows N" ".read sqlite.sql"
PRAGMA cache_size = -65536;
CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, val TEXT);
CREATE TABLE grp(id INTEGER PRIMARY KEY, name TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @rows)
INSERT INTO item(grp, val)
	SELECT abs(random()) % 1000, hex(randomblob(8 + i % 100)) FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO grp SELECT i, 'group ' || i FROM n;
COMMIT;
CREATE INDEX item_grp ON item(grp);
CREATE INDEX item_val ON item(val);
SELECT g.name, count(*), sum(length(i.val)) FROM item i JOIN grp g ON g.id = i.grp
	GROUP BY g.name ORDER BY 2 DESC LIMIT 3;
SELECT count(*) FROM item a JOIN item b ON b.grp = a.grp AND b.id = a.id + 1;
SELECT substr(val, 1, 2) AS p, count(*), max(length(val)) FROM item GROUP BY p
	ORDER BY p LIMIT 3;
UPDATE item SET val = val || val WHERE id % 3 = 0;
DELETE FROM item WHERE id % 5 = 0;
SELECT count(*), sum(length(val)) FROM item;
