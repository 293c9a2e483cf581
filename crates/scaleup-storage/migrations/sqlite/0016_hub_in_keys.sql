-- The path past one database (issue 11), second step: on PostgreSQL every key of a table
-- holding a hub's data now includes hub_id, as Citus requires of a table distributed by it.
-- Kept parallel with the postgres folder, but a SQLite database is never distributed, and
-- changing a key in SQLite means rebuilding the table (on a national database, a copy of every
-- record). So SQLite keeps the keys its tables were created with, and gains only the two
-- unique indexes that the shared upserts name as their conflict targets
-- (`ON CONFLICT (client_id, hub_id)`, `ON CONFLICT (record_id, hub_id)`; records.rs). They
-- are unique exactly when the old keys are: a client or an assessment never changes hub.
CREATE UNIQUE INDEX client_identities_hub_key ON client_identities(client_id, hub_id);
CREATE UNIQUE INDEX assessment_scores_hub_key ON assessment_scores(record_id, hub_id);
