-- National scale (issue 11): transactions of different hubs never wait for each other, and a
-- read never waits for a write. Kept parallel between the sqlite and postgres folders.
--
-- Change sequences per hub. Writers of one hub serialise on their hub's row (taken by the
-- record's write, held to its commit, so a hub's numbers commit in order and a pull cursor
-- never skips a late commit); other hubs' writers take other rows. Every hub starts from the
-- store-wide number reached so far (store_state.change_seq, frozen from here on), so a cursor
-- handed out before this migration, one number for all hubs, still never skips a change.
CREATE TABLE hub_sequences (
    hub_id      TEXT PRIMARY KEY REFERENCES hubs(id),
    change_seq  BIGINT NOT NULL
);
INSERT INTO hub_sequences (hub_id, change_seq)
SELECT id, (SELECT change_seq FROM store_state WHERE id = 1) FROM hubs;
-- A pull walks one hub's changes in order.
CREATE INDEX records_hub_seq ON records(hub_id, change_seq);

-- Audit events are written here, in the transaction of what they record, without a lock; a
-- sealer (one at a time, under the chain head's lock) moves them into audit_log in the order
-- they became visible, chaining and signing them. So no transaction waits on the chain head,
-- and an event waits at most one sealing interval to be chained.
CREATE TABLE audit_pending (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_role   TEXT,
    action       TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT,
    client_id    TEXT,
    hub_id       TEXT,
    detail       TEXT NOT NULL
);

-- The key a server must hold to commit anything sealed or audited once a rotation has started
-- (was store_state.seal_key_id). A row of its own: every audited transaction share-locks it,
-- and the chain head's row, which the sealer updates, must not be that row, or every
-- transaction would queue behind the sealer.
CREATE TABLE seal_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    seal_key_id  TEXT
);
INSERT INTO seal_state (id, seal_key_id) SELECT 1, seal_key_id FROM store_state WHERE id = 1;
