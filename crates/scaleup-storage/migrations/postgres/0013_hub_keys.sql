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
CREATE FUNCTION record_versions_hub() RETURNS trigger AS $$
BEGIN
    NEW.hub_id := (SELECT p.hub_id FROM records p WHERE p.id = NEW.record_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER record_versions_hub BEFORE INSERT ON record_versions
    FOR EACH ROW WHEN (NEW.hub_id IS NULL) EXECUTE FUNCTION record_versions_hub();

ALTER TABLE assessment_scores ADD COLUMN hub_id TEXT;
UPDATE assessment_scores SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = assessment_scores.record_id);
CREATE FUNCTION assessment_scores_hub() RETURNS trigger AS $$
BEGIN
    NEW.hub_id := (SELECT p.hub_id FROM records p WHERE p.id = NEW.record_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER assessment_scores_hub BEFORE INSERT ON assessment_scores
    FOR EACH ROW WHEN (NEW.hub_id IS NULL) EXECUTE FUNCTION assessment_scores_hub();

ALTER TABLE client_identities ADD COLUMN hub_id TEXT;
UPDATE client_identities SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = client_identities.client_id);
CREATE FUNCTION client_identities_hub() RETURNS trigger AS $$
BEGIN
    NEW.hub_id := (SELECT p.hub_id FROM records p WHERE p.id = NEW.client_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER client_identities_hub BEFORE INSERT ON client_identities
    FOR EACH ROW WHEN (NEW.hub_id IS NULL) EXECUTE FUNCTION client_identities_hub();

ALTER TABLE sync_receipts ADD COLUMN hub_id TEXT;
UPDATE sync_receipts SET hub_id = (SELECT p.hub_id FROM records p WHERE p.id = sync_receipts.record_id);
CREATE FUNCTION sync_receipts_hub() RETURNS trigger AS $$
BEGIN
    NEW.hub_id := (SELECT p.hub_id FROM records p WHERE p.id = NEW.record_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER sync_receipts_hub BEFORE INSERT ON sync_receipts
    FOR EACH ROW WHEN (NEW.hub_id IS NULL) EXECUTE FUNCTION sync_receipts_hub();

ALTER TABLE alert_actions ADD COLUMN hub_id TEXT;
UPDATE alert_actions SET hub_id = (SELECT p.hub_id FROM risk_alerts p WHERE p.id = alert_actions.alert_id);
CREATE FUNCTION alert_actions_hub() RETURNS trigger AS $$
BEGIN
    NEW.hub_id := (SELECT p.hub_id FROM risk_alerts p WHERE p.id = NEW.alert_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER alert_actions_hub BEFORE INSERT ON alert_actions
    FOR EACH ROW WHEN (NEW.hub_id IS NULL) EXECUTE FUNCTION alert_actions_hub();

ALTER TABLE indicator_activity ADD COLUMN hub_id TEXT;
UPDATE indicator_activity SET hub_id = (SELECT p.hub_id FROM programmes p WHERE p.id = indicator_activity.programme_id);
CREATE FUNCTION indicator_activity_hub() RETURNS trigger AS $$
BEGIN
    NEW.hub_id := (SELECT p.hub_id FROM programmes p WHERE p.id = NEW.programme_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER indicator_activity_hub BEFORE INSERT ON indicator_activity
    FOR EACH ROW WHEN (NEW.hub_id IS NULL) EXECUTE FUNCTION indicator_activity_hub();
