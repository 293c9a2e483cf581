-- Aggregate counts kept as records change, so the aggregate summary reads a small table instead
-- of grouping every record (6 s per request at a million clients; docs/benchmarks.md).
-- One row per hub, facility, day, kind and tag: the summary groups them into months and applies
-- its period filter at day precision, exactly as it did over the records. A trigger keeps it in
-- step with every write path (sync, bulk load, conflict resolution, any later one), inside the
-- writing transaction; writers already serialise on store_state, so upserts do not race.
CREATE TABLE summary_counts (
    hub_id      TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    day         TEXT NOT NULL,   -- first 10 characters of occurred_on, '' when absent
    kind        TEXT NOT NULL,
    tag         TEXT NOT NULL,   -- '' when the record has no tag
    n           BIGINT NOT NULL,
    PRIMARY KEY (hub_id, facility_id, day, kind, tag)
);

INSERT INTO summary_counts (hub_id, facility_id, day, kind, tag, n)
SELECT hub_id, facility_id, COALESCE(SUBSTR(occurred_on, 1, 10), ''), kind, COALESCE(tag, ''), COUNT(*)
FROM records
WHERE kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND facility_id IS NOT NULL
GROUP BY hub_id, facility_id, COALESCE(SUBSTR(occurred_on, 1, 10), ''), kind, COALESCE(tag, '');

CREATE FUNCTION records_summary_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE')
       AND OLD.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session')
       AND OLD.facility_id IS NOT NULL THEN
        UPDATE summary_counts SET n = n - 1
        WHERE hub_id = OLD.hub_id AND facility_id = OLD.facility_id
          AND day = COALESCE(SUBSTR(OLD.occurred_on, 1, 10), '')
          AND kind = OLD.kind AND tag = COALESCE(OLD.tag, '');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE')
       AND NEW.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session')
       AND NEW.facility_id IS NOT NULL THEN
        INSERT INTO summary_counts (hub_id, facility_id, day, kind, tag, n)
        VALUES (NEW.hub_id, NEW.facility_id, COALESCE(SUBSTR(NEW.occurred_on, 1, 10), ''),
                NEW.kind, COALESCE(NEW.tag, ''), 1)
        ON CONFLICT (hub_id, facility_id, day, kind, tag) DO UPDATE SET n = summary_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER records_summary_insert AFTER INSERT ON records
    FOR EACH ROW EXECUTE FUNCTION records_summary_apply();
CREATE TRIGGER records_summary_update AFTER UPDATE OF hub_id, kind, facility_id, occurred_on, tag ON records
    FOR EACH ROW EXECUTE FUNCTION records_summary_apply();
CREATE TRIGGER records_summary_delete AFTER DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION records_summary_apply();
