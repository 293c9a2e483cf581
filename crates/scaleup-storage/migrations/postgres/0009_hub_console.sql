-- The hub console (PostgreSQL; kept parallel to sqlite/0009_hub_console.sql).
--
-- Definition files belong to a hub (hub_id) or to the whole network (hub_id NULL), and a hub
-- may keep several versions of one instrument, so a file is known by an id rather than by
-- (kind, code). Files stored before this migration were loaded for every hub: they stay
-- network-wide. `version` is what the file declares ('' for files stored before: the server
-- reads it from the file itself when it needs it).
CREATE TABLE definitions_v8 (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    code      TEXT NOT NULL,
    version   TEXT NOT NULL,
    hub_id    TEXT REFERENCES hubs(id),
    source    TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL
);
INSERT INTO definitions_v8 (id, kind, code, version, hub_id, source, added_by, added_at)
SELECT 'v7:' || kind || ':' || code, kind, code, '', NULL, source, added_by, added_at FROM definitions;
DROP TABLE definitions;
ALTER TABLE definitions_v8 RENAME TO definitions;
CREATE INDEX definitions_hub ON definitions(hub_id, added_at);

-- Bumped in the transaction of every definition upload: each server compares it with the
-- version its catalogue was loaded at and reloads when it moved (no restart).
ALTER TABLE store_state ADD COLUMN definitions_version BIGINT NOT NULL DEFAULT 0;

-- The coverage cascade's need = catchment population x prevalence, with where the figure comes from.
ALTER TABLE org_units ADD COLUMN prevalence DOUBLE PRECISION;
ALTER TABLE org_units ADD COLUMN prevalence_source TEXT;

-- The console's lists, each in its order within the caller's scope: a hub's accounts by
-- username, a hub's audit events newest first.
CREATE INDEX users_hub_username ON users(hub_id, username);
CREATE INDEX audit_log_hub_seq ON audit_log(hub_id, seq);
