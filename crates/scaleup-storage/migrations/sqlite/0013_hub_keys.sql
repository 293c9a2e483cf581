-- The path past one database (issue 11): every table holding a hub's data carries hub_id, so
-- that spreading hubs over databases (Citus with hub_id as the distribution column, or one
-- database per hub) is a deployment decision, not a rewrite. Kept parallel between the sqlite
-- and postgres folders.
--
-- These tables were reached only through a record, alert or programme id. Their hub_id is
-- filled from that parent by a trigger on insert, so every write path (sync, conflicts,
-- imports, the demo's bulk load, rotation) sets it without knowing; rows already there are
-- filled here. A row's parent never changes hub, so an update needs nothing.
--
-- Not here, on purpose: user_sites and programme_sites (small reference tables, replicated to
-- every node under Citus), auth_sessions and login throttling (per account, not hub data) and
-- indicator_dirty (a transient queue emptied in the writing transaction).

ALTER TABLE record_versions ADD COLUMN hub_id TEXT;
UPDATE record_versions SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = record_versions.record_id);
CREATE TRIGGER record_versions_hub AFTER INSERT ON record_versions
WHEN NEW.hub_id IS NULL
BEGIN
    UPDATE record_versions SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = NEW.record_id)
        WHERE record_id = NEW.record_id AND version = NEW.version;
END;

ALTER TABLE assessment_scores ADD COLUMN hub_id TEXT;
UPDATE assessment_scores SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = assessment_scores.record_id);
CREATE TRIGGER assessment_scores_hub AFTER INSERT ON assessment_scores
WHEN NEW.hub_id IS NULL
BEGIN
    UPDATE assessment_scores SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = NEW.record_id)
        WHERE record_id = NEW.record_id;
END;

ALTER TABLE client_identities ADD COLUMN hub_id TEXT;
UPDATE client_identities SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = client_identities.client_id);
CREATE TRIGGER client_identities_hub AFTER INSERT ON client_identities
WHEN NEW.hub_id IS NULL
BEGIN
    UPDATE client_identities SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = NEW.client_id)
        WHERE client_id = NEW.client_id;
END;

ALTER TABLE sync_receipts ADD COLUMN hub_id TEXT;
UPDATE sync_receipts SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = sync_receipts.record_id);
CREATE TRIGGER sync_receipts_hub AFTER INSERT ON sync_receipts
WHEN NEW.hub_id IS NULL
BEGIN
    UPDATE sync_receipts SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = NEW.record_id)
        WHERE record_id = NEW.record_id AND content_hash = NEW.content_hash;
END;

ALTER TABLE alert_actions ADD COLUMN hub_id TEXT;
UPDATE alert_actions SET hub_id = (SELECT p.hub_id FROM risk_alerts p WHERE p.id = alert_actions.alert_id);
CREATE TRIGGER alert_actions_hub AFTER INSERT ON alert_actions
WHEN NEW.hub_id IS NULL
BEGIN
    UPDATE alert_actions SET hub_id = (SELECT p.hub_id FROM risk_alerts p WHERE p.id = NEW.alert_id)
        WHERE id = NEW.id;
END;

ALTER TABLE indicator_activity ADD COLUMN hub_id TEXT;
UPDATE indicator_activity SET hub_id = (SELECT p.hub_id FROM programmes p WHERE p.id = indicator_activity.programme_id);
CREATE TRIGGER indicator_activity_hub AFTER INSERT ON indicator_activity
WHEN NEW.hub_id IS NULL
BEGIN
    UPDATE indicator_activity SET hub_id = (SELECT p.hub_id FROM programmes p WHERE p.id = NEW.programme_id)
        WHERE programme_id = NEW.programme_id AND day = NEW.day AND facility_id = NEW.facility_id AND counsellor_id = NEW.counsellor_id;
END;
