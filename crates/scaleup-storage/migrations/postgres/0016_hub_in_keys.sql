-- The path past one database (issue 11), second step: every key of a table holding a hub's
-- data includes hub_id, as Citus requires of a table distributed by it (every primary key and
-- unique constraint holds the distribution column; a foreign key between two distributed
-- tables joins on it). Kept parallel with the sqlite folder, which does less (see there).
--
-- hub_id is appended to each key rather than put first: a key's index then still serves the
-- lookups by id it served before, and a hub's scans keep their own hub_id-led indexes.
--
-- Equivalent on one database: a record, alert, client or programme never changes hub, so
-- (x, hub_id) is unique exactly when x was. The one exception is a record's id, which a device
-- chooses: two hubs could send the same id. records_single_node_id keeps ids unique across
-- hubs on one database; distributing records means dropping it (ARCHITECTURE.md, "Size, and
-- the path past one database"), after which the push's lookup of an id before its insert is
-- what refuses another hub's record.

-- Filled by the triggers of 0013 on every insert since, and for older rows from their parent.
-- A row still without a hub has no parent (its record, alert or programme is gone): no read
-- reaches it, since every read is scoped through the parent, and a table distributed by hub
-- has no place for it. Such rows are removed here rather than left to fail the key.
DELETE FROM record_versions WHERE hub_id IS NULL;
DELETE FROM assessment_scores WHERE hub_id IS NULL;
DELETE FROM client_identities WHERE hub_id IS NULL;
DELETE FROM sync_receipts WHERE hub_id IS NULL;
DELETE FROM alert_actions WHERE hub_id IS NULL;
DELETE FROM indicator_activity WHERE hub_id IS NULL;
DELETE FROM notifications WHERE hub_id IS NULL;
ALTER TABLE record_versions ALTER COLUMN hub_id SET NOT NULL;
ALTER TABLE assessment_scores ALTER COLUMN hub_id SET NOT NULL;
ALTER TABLE client_identities ALTER COLUMN hub_id SET NOT NULL;
ALTER TABLE sync_receipts ALTER COLUMN hub_id SET NOT NULL;
ALTER TABLE alert_actions ALTER COLUMN hub_id SET NOT NULL;
ALTER TABLE indicator_activity ALTER COLUMN hub_id SET NOT NULL;
-- Always written with the hub of the event's subject (notifications.rs).
ALTER TABLE notifications ALTER COLUMN hub_id SET NOT NULL;

ALTER TABLE records DROP CONSTRAINT records_pkey, ADD PRIMARY KEY (id, hub_id);
ALTER TABLE records ADD CONSTRAINT records_single_node_id UNIQUE (id);
ALTER TABLE record_versions DROP CONSTRAINT record_versions_pkey, ADD PRIMARY KEY (record_id, version, hub_id);
ALTER TABLE client_identities DROP CONSTRAINT client_identities_pkey, ADD PRIMARY KEY (client_id, hub_id);
ALTER TABLE assessment_scores DROP CONSTRAINT assessment_scores_pkey, ADD PRIMARY KEY (record_id, hub_id);
ALTER TABLE sync_receipts DROP CONSTRAINT sync_receipts_pkey, ADD PRIMARY KEY (record_id, content_hash, hub_id);
ALTER TABLE sync_conflicts DROP CONSTRAINT sync_conflicts_pkey, ADD PRIMARY KEY (id, hub_id);

-- An alert's actions name their alert with its hub.
ALTER TABLE alert_actions DROP CONSTRAINT alert_actions_alert_id_fkey;
ALTER TABLE risk_alerts DROP CONSTRAINT risk_alerts_pkey, ADD PRIMARY KEY (id, hub_id);
ALTER TABLE risk_alerts DROP CONSTRAINT risk_alerts_record_id_rule_id_key, ADD CONSTRAINT risk_alerts_record_rule UNIQUE (record_id, rule_id, hub_id);
ALTER TABLE alert_actions DROP CONSTRAINT alert_actions_pkey, ADD PRIMARY KEY (id, hub_id);
ALTER TABLE alert_actions ADD CONSTRAINT alert_actions_alert FOREIGN KEY (alert_id, hub_id) REFERENCES risk_alerts(id, hub_id);

ALTER TABLE safety_flags DROP CONSTRAINT safety_flags_pkey, ADD PRIMARY KEY (id, hub_id);
ALTER TABLE safety_flags DROP CONSTRAINT safety_flags_record_id_rule_key, ADD CONSTRAINT safety_flags_record_rule UNIQUE (record_id, rule, hub_id);
ALTER TABLE notifications DROP CONSTRAINT notifications_pkey, ADD PRIMARY KEY (id, hub_id);
ALTER TABLE notifications DROP CONSTRAINT notifications_event_subject_id_recipient_user_id_key,
    ADD CONSTRAINT notifications_once UNIQUE (event, subject_id, recipient_user_id, hub_id);

ALTER TABLE indicator_clients DROP CONSTRAINT indicator_clients_pkey, ADD PRIMARY KEY (programme_id, client_id, hub_id);
DROP INDEX indicator_clients_client;
CREATE UNIQUE INDEX indicator_clients_client ON indicator_clients(client_id, hub_id);
ALTER TABLE indicator_episodes DROP CONSTRAINT indicator_episodes_pkey, ADD PRIMARY KEY (programme_id, episode_id, hub_id);
ALTER TABLE indicator_activity DROP CONSTRAINT indicator_activity_pkey, ADD PRIMARY KEY (programme_id, day, facility_id, counsellor_id, hub_id);

-- The trigger keeping indicator_activity (0010) names the table's key as its conflict target:
-- now with hub_id, given from the record rather than left to the insert trigger of 0013.
CREATE OR REPLACE FUNCTION records_activity_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'session' AND OLD.tag = 'attended'
       AND OLD.programme_id IS NOT NULL AND OLD.occurred_on IS NOT NULL THEN
        UPDATE indicator_activity SET sessions = sessions - 1
        WHERE programme_id = OLD.programme_id AND day = SUBSTR(OLD.occurred_on, 1, 10)
          AND facility_id = COALESCE(OLD.facility_id, '') AND counsellor_id = COALESCE(OLD.counsellor_id, '')
          AND hub_id = OLD.hub_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind = 'session' AND NEW.tag = 'attended'
       AND NEW.programme_id IS NOT NULL AND NEW.occurred_on IS NOT NULL THEN
        INSERT INTO indicator_activity (programme_id, day, facility_id, counsellor_id, sessions, hub_id)
        VALUES (NEW.programme_id, SUBSTR(NEW.occurred_on, 1, 10), COALESCE(NEW.facility_id, ''), COALESCE(NEW.counsellor_id, ''), 1, NEW.hub_id)
        ON CONFLICT (programme_id, day, facility_id, counsellor_id, hub_id) DO UPDATE SET sessions = indicator_activity.sessions + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
