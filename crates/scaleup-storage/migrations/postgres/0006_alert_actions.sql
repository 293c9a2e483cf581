-- Care app, supervisor part (PostgreSQL; kept parallel to sqlite/0006_alert_actions.sql):
-- what supervisors did about a risk alert, supervision safety flags from competency ratings,
-- the outbox of notifications to staff, and the staff settings those notifications need.

-- Every acknowledgement and follow-up of a risk alert: one or more action codes and a note.
-- The note is free text about a client at risk: sealed like identities (XChaCha20-Poly1305,
-- the alert id as associated data), so it reaches SQL only as ciphertext.
CREATE TABLE alert_actions (
    id           TEXT PRIMARY KEY,
    alert_id     TEXT NOT NULL REFERENCES risk_alerts(id),
    kind         TEXT NOT NULL,          -- acknowledge | follow_up
    actions      TEXT NOT NULL,          -- JSON array of action codes
    note         TEXT,                   -- sealed
    note_key_id  TEXT,
    by_user_id   TEXT NOT NULL REFERENCES users(id),
    at           TEXT NOT NULL
);
CREATE INDEX alert_actions_alert ON alert_actions(alert_id, at);

-- The acknowledging actions on the alert itself, so lists need no second query; `action` stays
-- (the first of them) for clients of the API from before.
ALTER TABLE risk_alerts ADD COLUMN actions TEXT;
UPDATE risk_alerts SET actions = '["' || action || '"]' WHERE action IS NOT NULL;
-- Alerts acknowledged before this migration get their acknowledgement in the history. Its id
-- is the alert's: an alert is acknowledged once, and new actions have random UUIDs.
INSERT INTO alert_actions (id, alert_id, kind, actions, note, note_key_id, by_user_id, at)
SELECT id, id, 'acknowledge', actions, NULL, NULL, acknowledged_by, acknowledged_at
FROM risk_alerts WHERE status = 'acknowledged' AND acknowledged_by IS NOT NULL AND actions IS NOT NULL;

-- Supervision safety flags: a competency rated at a harmful level (ENACT/EQUIP level 1) in a
-- competency assessment record. One per record and rule, whatever rewrites follow.
CREATE TABLE safety_flags (
    id               TEXT PRIMARY KEY,
    hub_id           TEXT NOT NULL REFERENCES hubs(id),
    counsellor_id    TEXT NOT NULL,
    record_id        TEXT NOT NULL,
    rule             TEXT NOT NULL,
    competencies     TEXT NOT NULL,      -- JSON array of the competency ids rated harmful
    raised_by        TEXT NOT NULL,
    raised_at        TEXT NOT NULL,
    status           TEXT NOT NULL,      -- open | acknowledged
    acknowledged_by  TEXT,
    acknowledged_at  TEXT,
    note             TEXT,               -- sealed, the flag id as associated data
    note_key_id      TEXT,
    UNIQUE (record_id, rule)
);
CREATE INDEX safety_flags_hub ON safety_flags(hub_id, raised_at);
CREATE INDEX safety_flags_raised_by ON safety_flags(raised_by, raised_at);

-- Outgoing notifications, written in the transaction of the event that causes them and sent
-- by the server's sender (scaleup-web `notify`) with retries. Bodies hold ids, levels, times
-- and a hub code: never a client id, a name or clinical detail.
CREATE TABLE notifications (
    id                 TEXT PRIMARY KEY,
    event              TEXT NOT NULL,
    subject_id         TEXT NOT NULL,
    hub_id             TEXT,
    recipient_user_id  TEXT NOT NULL REFERENCES users(id),
    body               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    attempts           BIGINT NOT NULL,
    next_attempt_at    TEXT NOT NULL,
    status             TEXT NOT NULL,    -- pending | sent | failed
    last_error         TEXT,
    sent_at            TEXT,
    UNIQUE (event, subject_id, recipient_user_id)
);
CREATE INDEX notifications_due ON notifications(status, next_attempt_at);
CREATE INDEX notifications_hub ON notifications(hub_id, created_at);
CREATE INDEX notifications_created ON notifications(created_at);

-- Where and in which language staff are notified: a URN such as tel:+254700000000, and a
-- BCP-47 tag from the supported set.
ALTER TABLE users ADD COLUMN notify_address TEXT;
ALTER TABLE users ADD COLUMN language TEXT;
