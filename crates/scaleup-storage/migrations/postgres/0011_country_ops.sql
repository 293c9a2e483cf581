-- Running a country's instance (issue 11): key rotation (`scaleup key rotate`; storage's
-- `rotation`) and paged sync conflicts. Kept parallel between the sqlite and postgres folders.
--
-- The key that keys the audit chain's rows and head. NULL: the key recorded in key_check (a
-- database that has never rotated). A rotation's last transaction sets it to the new key.
ALTER TABLE store_state ADD COLUMN audit_key_id TEXT;
-- The only key a server may seal under once a rotation has started. NULL: no rotation yet.
-- Every audited write reads it in its transaction, so a server still configured with the old
-- key alone cannot commit anything sealed (or audited) after the rotation began.
ALTER TABLE store_state ADD COLUMN seal_key_id TEXT;

-- Audit rows keep the MACs they were written with. For each retired key: the last row it
-- keyed, and its audit subkeys sealed under the key that retired it (never the master key).
-- A change to a row of a retired epoch changes the epoch's last hash, which the first row of
-- the next epoch covers under the next key, so the chain stays tamper-evident.
CREATE TABLE audit_key_epochs (
    key_id        TEXT PRIMARY KEY,
    until_seq     BIGINT NOT NULL,
    sealed_keys   TEXT NOT NULL,
    sealed_under  TEXT NOT NULL,
    retired_at    TEXT NOT NULL
);

-- The rotation in progress, if any: what it re-seals next, so a rotation interrupted by a
-- crash resumes where it stopped. Removed when the rotation switches the key check value.
CREATE TABLE key_rotation (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    old_key_id    TEXT NOT NULL,
    new_key_id    TEXT NOT NULL,
    stage         TEXT NOT NULL,
    cursor        TEXT NOT NULL,
    resealed      BIGINT NOT NULL,
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Sync conflicts are reviewed oldest first and paged by (received_at, id) (issue 11: a list
-- capped at 500 hid every conflict after the 500th).
CREATE INDEX sync_conflicts_open_received ON sync_conflicts(status, received_at, id);
