-- Foundation schema (PostgreSQL). Kept line-for-line parallel to sqlite/0001_foundation.sql;
-- a test checks both folders hold the same migration names.
-- Conventions (see ARCHITECTURE.md): ids are UUID text, timestamps RFC 3339 UTC text,
-- dates YYYY-MM-DD text, booleans INTEGER 0/1 — the common ground of sqlx's Any driver.

CREATE TABLE store_state (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    change_seq    BIGINT NOT NULL,
    audit_seq     BIGINT NOT NULL,
    audit_hash    TEXT NOT NULL
);
INSERT INTO store_state (id, change_seq, audit_seq, audit_hash)
VALUES (1, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE hubs (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE org_units (
    id                   TEXT PRIMARY KEY,
    hub_id               TEXT NOT NULL REFERENCES hubs(id),
    parent_id            TEXT REFERENCES org_units(id),
    level                TEXT NOT NULL,
    code                 TEXT NOT NULL,
    name                 TEXT NOT NULL,
    catchment_population BIGINT,
    UNIQUE (hub_id, code)
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE programmes (
    id               TEXT PRIMARY KEY,
    hub_id           TEXT NOT NULL REFERENCES hubs(id),
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    protocol_code    TEXT NOT NULL,
    design           TEXT NOT NULL,
    alert_ack_hours  BIGINT NOT NULL,
    start_date       TEXT NOT NULL,
    UNIQUE (hub_id, code)
);

CREATE TABLE programme_sites (
    programme_id   TEXT NOT NULL REFERENCES programmes(id),
    org_unit_id    TEXT NOT NULL REFERENCES org_units(id),
    arm            TEXT,
    cluster        TEXT,
    crossover_period BIGINT,
    PRIMARY KEY (programme_id, org_unit_id)
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL,
    hub_id               TEXT REFERENCES hubs(id),
    supervisor_id        TEXT REFERENCES users(id),
    active               BIGINT NOT NULL,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL
);
CREATE INDEX users_supervisor ON users(supervisor_id);

CREATE TABLE user_sites (
    user_id      TEXT NOT NULL REFERENCES users(id),
    org_unit_id  TEXT NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (user_id, org_unit_id)
);

CREATE TABLE hub_grants (
    user_id  TEXT NOT NULL REFERENCES users(id),
    hub_id   TEXT NOT NULL REFERENCES hubs(id),
    PRIMARY KEY (user_id, hub_id)
);

CREATE TABLE auth_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions(user_id);

CREATE TABLE login_attempts (
    id          BIGSERIAL PRIMARY KEY,
    username    TEXT NOT NULL,
    remote      TEXT NOT NULL,
    at          TEXT NOT NULL,
    success     BIGINT NOT NULL
);
CREATE INDEX login_attempts_user_at ON login_attempts(username, at);

-- Care records: one row per record, its current version. Scoping and indicator columns are
-- extracted from the typed payload; the payload itself is the canonical JSON of the body.
CREATE TABLE records (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    hub_id         TEXT NOT NULL REFERENCES hubs(id),
    client_id      TEXT,
    episode_id     TEXT,
    counsellor_id  TEXT,
    facility_id    TEXT,
    programme_id   TEXT,
    occurred_on    TEXT,
    -- A short status derived from the body (assessment occasion, session attended/missed,
    -- episode closure, eligibility outcome) so aggregates group in SQL without parsing JSON.
    tag            TEXT,
    version        BIGINT NOT NULL,
    change_seq     BIGINT NOT NULL,
    payload        TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    device_time    TEXT NOT NULL
);
CREATE INDEX records_client ON records(client_id);
CREATE INDEX records_counsellor_seq ON records(counsellor_id, change_seq);
CREATE INDEX records_hub_kind ON records(hub_id, kind, occurred_on);
CREATE INDEX records_change_seq ON records(change_seq);

-- Every version of every record, so no edit is ever lost.
CREATE TABLE record_versions (
    record_id    TEXT NOT NULL,
    version      BIGINT NOT NULL,
    payload      TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    device_time  TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);

-- Identifying details, encrypted (XChaCha20-Poly1305, key from configuration, never stored here).
CREATE TABLE client_identities (
    client_id    TEXT PRIMARY KEY,
    key_id       TEXT NOT NULL,
    ciphertext   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Scores computed by the server from assessment responses.
CREATE TABLE assessment_scores (
    record_id    TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    instrument   TEXT NOT NULL,
    total        DOUBLE PRECISION,
    band         TEXT,
    positive     BIGINT,
    detail       TEXT NOT NULL
);
CREATE INDEX assessment_scores_client ON assessment_scores(client_id);

-- Idempotent sync: the acknowledgement given for (record id, content hash), returned verbatim on replay.
CREATE TABLE sync_receipts (
    record_id     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    ack           TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (record_id, content_hash)
);

-- Concurrent offline edits: the version that lost the race, kept for supervisor review.
CREATE TABLE sync_conflicts (
    id                TEXT PRIMARY KEY,
    record_id         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    hub_id            TEXT NOT NULL,
    client_id         TEXT,
    counsellor_id     TEXT,
    base_version      BIGINT,
    server_version    BIGINT NOT NULL,
    incoming_payload  TEXT NOT NULL,
    author_id         TEXT NOT NULL,
    device_time       TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    status            TEXT NOT NULL,
    resolved_by       TEXT,
    resolved_at       TEXT,
    resolution        TEXT
);
CREATE INDEX sync_conflicts_status ON sync_conflicts(hub_id, status);

CREATE TABLE risk_alerts (
    id               TEXT PRIMARY KEY,
    hub_id           TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    record_id        TEXT NOT NULL,
    rule_id          TEXT NOT NULL,
    level            TEXT NOT NULL,
    counsellor_id    TEXT,
    supervisor_id    TEXT,
    raised_at        TEXT NOT NULL,
    due_at           TEXT NOT NULL,
    status           TEXT NOT NULL,
    acknowledged_by  TEXT,
    acknowledged_at  TEXT,
    action           TEXT,
    escalated_at     TEXT,
    escalated_to     TEXT,
    UNIQUE (record_id, rule_id)
);
CREATE INDEX risk_alerts_supervisor ON risk_alerts(supervisor_id, status);
CREATE INDEX risk_alerts_due ON risk_alerts(status, due_at);

-- Append-only, hash-chained audit log. hash = HMAC-SHA256(audit key, prev_hash | fields).
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_role   TEXT,
    action       TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT,
    client_id    TEXT,
    hub_id       TEXT,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_client ON audit_log(client_id);

-- Hub-supplied instrument and protocol definitions (the built-in ones are compiled in).
CREATE TABLE definitions (
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    hub_id      TEXT,
    source      TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);
