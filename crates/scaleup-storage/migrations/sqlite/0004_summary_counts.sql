-- Aggregate counts kept as records change, so the aggregate summary reads a small table instead
-- of grouping every record (6 s per request at a million clients; docs/benchmarks.md).
-- Two tables: per month (a dashboard period of whole months reads its cells directly) and per
-- day (for the days of a period that cover part of a month), so the period filter keeps day
-- precision, exactly as it had over the records. Triggers keep it in
-- step with every write path (sync, bulk load, conflict resolution, any later one), inside the
-- writing transaction.
CREATE TABLE summary_counts (
    hub_id      TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    day         TEXT NOT NULL,   -- first 10 characters of occurred_on, '' when absent
    kind        TEXT NOT NULL,
    tag         TEXT NOT NULL,   -- '' when the record has no tag
    n           BIGINT NOT NULL,
    -- Day before facility: a period filter reads a contiguous range of one hub's rows.
    PRIMARY KEY (hub_id, day, facility_id, kind, tag)
) WITHOUT ROWID;  -- stored in key order, counts beside their keys

INSERT INTO summary_counts (hub_id, facility_id, day, kind, tag, n)
SELECT hub_id, facility_id, COALESCE(SUBSTR(occurred_on, 1, 10), ''), kind, COALESCE(tag, ''), COUNT(*)
FROM records
WHERE kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND facility_id IS NOT NULL
GROUP BY hub_id, facility_id, COALESCE(SUBSTR(occurred_on, 1, 10), ''), kind, COALESCE(tag, '');

CREATE TABLE summary_counts_monthly (
    hub_id      TEXT NOT NULL,
    month       TEXT NOT NULL,   -- first 7 characters of occurred_on, '' when absent
    facility_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (hub_id, month, facility_id, kind, tag)
) WITHOUT ROWID;

INSERT INTO summary_counts_monthly (hub_id, month, facility_id, kind, tag, n)
SELECT hub_id, SUBSTR(day, 1, 7), facility_id, kind, tag, SUM(n)
FROM summary_counts
GROUP BY hub_id, SUBSTR(day, 1, 7), facility_id, kind, tag;

CREATE TRIGGER records_summary_insert AFTER INSERT ON records
WHEN NEW.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND NEW.facility_id IS NOT NULL
BEGIN
    INSERT INTO summary_counts (hub_id, facility_id, day, kind, tag, n)
    VALUES (NEW.hub_id, NEW.facility_id, COALESCE(SUBSTR(NEW.occurred_on, 1, 10), ''), NEW.kind, COALESCE(NEW.tag, ''), 1)
    ON CONFLICT (hub_id, facility_id, day, kind, tag) DO UPDATE SET n = n + 1;
    INSERT INTO summary_counts_monthly (hub_id, month, facility_id, kind, tag, n)
    VALUES (NEW.hub_id, COALESCE(SUBSTR(NEW.occurred_on, 1, 7), ''), NEW.facility_id, NEW.kind, COALESCE(NEW.tag, ''), 1)
    ON CONFLICT (hub_id, month, facility_id, kind, tag) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER records_summary_remove_old AFTER UPDATE OF hub_id, kind, facility_id, occurred_on, tag ON records
WHEN OLD.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND OLD.facility_id IS NOT NULL
BEGIN
    UPDATE summary_counts SET n = n - 1
    WHERE hub_id = OLD.hub_id AND facility_id = OLD.facility_id AND day = COALESCE(SUBSTR(OLD.occurred_on, 1, 10), '')
      AND kind = OLD.kind AND tag = COALESCE(OLD.tag, '');
    UPDATE summary_counts_monthly SET n = n - 1
    WHERE hub_id = OLD.hub_id AND month = COALESCE(SUBSTR(OLD.occurred_on, 1, 7), '') AND facility_id = OLD.facility_id
      AND kind = OLD.kind AND tag = COALESCE(OLD.tag, '');
END;

CREATE TRIGGER records_summary_add_new AFTER UPDATE OF hub_id, kind, facility_id, occurred_on, tag ON records
WHEN NEW.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND NEW.facility_id IS NOT NULL
BEGIN
    INSERT INTO summary_counts (hub_id, facility_id, day, kind, tag, n)
    VALUES (NEW.hub_id, NEW.facility_id, COALESCE(SUBSTR(NEW.occurred_on, 1, 10), ''), NEW.kind, COALESCE(NEW.tag, ''), 1)
    ON CONFLICT (hub_id, facility_id, day, kind, tag) DO UPDATE SET n = n + 1;
    INSERT INTO summary_counts_monthly (hub_id, month, facility_id, kind, tag, n)
    VALUES (NEW.hub_id, COALESCE(SUBSTR(NEW.occurred_on, 1, 7), ''), NEW.facility_id, NEW.kind, COALESCE(NEW.tag, ''), 1)
    ON CONFLICT (hub_id, month, facility_id, kind, tag) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER records_summary_delete AFTER DELETE ON records
WHEN OLD.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND OLD.facility_id IS NOT NULL
BEGIN
    UPDATE summary_counts SET n = n - 1
    WHERE hub_id = OLD.hub_id AND facility_id = OLD.facility_id AND day = COALESCE(SUBSTR(OLD.occurred_on, 1, 10), '')
      AND kind = OLD.kind AND tag = COALESCE(OLD.tag, '');
    UPDATE summary_counts_monthly SET n = n - 1
    WHERE hub_id = OLD.hub_id AND month = COALESCE(SUBSTR(OLD.occurred_on, 1, 7), '') AND facility_id = OLD.facility_id
      AND kind = OLD.kind AND tag = COALESCE(OLD.tag, '');
END;
