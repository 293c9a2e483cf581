-- The key check value: a MAC under a subkey of the master key the database was created with.
-- A server started with another key (or none) finds a different value and refuses to start,
-- instead of sealing new identities under the wrong key and failing every read of the old ones.
CREATE TABLE key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key_id      TEXT NOT NULL,
    check_value TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
