-- Sign-in throttling (hardening item 5; PostgreSQL; kept parallel to sqlite/0008_login_throttle.sql):
-- one counter row per throttling rule and subject, and the browsers and devices that signed in
-- before. The policy that reads them is written out in src/throttle.rs.

-- A counter of consecutive failed sign-ins. `key` is an HMAC (under a subkey of the master key)
-- of the rule and its subject (a username, an address, a device), so the table holds no
-- username or address. An attempt increments its counters before its password is checked, in
-- one transaction that first locks every row it reads, so parallel attempts are counted one
-- after another; a successful sign-in deletes the counters it passed.
CREATE TABLE login_throttle (
    key              TEXT PRIMARY KEY,
    rule             TEXT NOT NULL,          -- device | account | account_address | address
    user_id          TEXT,                   -- the account, for rules about an existing one
    failures         BIGINT NOT NULL,
    last_failure_at  TEXT
);
CREATE INDEX login_throttle_user ON login_throttle(user_id);
CREATE INDEX login_throttle_idle ON login_throttle(rule, last_failure_at);

-- Browsers and devices that signed in before: the SHA-256 of a random device token (the
-- browser keeps it in an HttpOnly cookie, a device app sends it in a header) and the account
-- it signed in to. One browser shared by several counsellors holds one token with a row each.
CREATE TABLE login_devices (
    token_hash    TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL,
    PRIMARY KEY (token_hash, user_id)
);
CREATE INDEX login_devices_user ON login_devices(user_id);
CREATE INDEX login_devices_used ON login_devices(last_used_at);
