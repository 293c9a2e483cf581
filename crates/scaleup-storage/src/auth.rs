//! Accounts, passwords, sessions and sign-in throttling — all in the database, so any number
//! of stateless servers can serve the same users.
//!
//! Passwords are hashed with argon2id (the crate's default parameters: 19 MiB, 2 passes), at
//! most a few at once per server (`hashing`). Session and device tokens are 256-bit random
//! values; only their SHA-256 is stored, so a database dump does not yield usable tokens.
//! [`Store::login_with_device`] counts each attempt before it checks the password, by the
//! policy written out in `throttle`.

use crate::audit::AuditEvent;
use crate::crypto::sha256_hex;
use crate::scope::Actor;
use crate::throttle::{DEVICE_FORGOTTEN_AT, Rule};
use crate::time_util::{now_timestamp, timestamp_in};
use crate::{Result, Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use base64::Engine;
use rand::RngCore;
use scaleup_domain::role::{Capability, Role};
use sqlx::Row;

const SESSION_HOURS_COOKIE: i64 = 12;
const SESSION_HOURS_BEARER: i64 = 24 * 30;
pub const MIN_PASSWORD_LEN: usize = 10;

/// An account to create. Its `Debug` never prints the password.
#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub hub_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub site_ids: Vec<String>,
    /// One of [`SUPPORTED_LANGUAGES`]: the language of the pages and of notifications.
    pub language: Option<String>,
    /// Where notifications reach the user: `tel:+<digits>` or `whatsapp:+<digits>`.
    pub notify_address: Option<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A NewUser travels through code that may print it on failure (test assertions,
        // `{:?}` in an error path): the password must not go with it.
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("password", &"<redacted>")
            .field("role", &self.role)
            .field("hub_id", &self.hub_id)
            .field("supervisor_id", &self.supervisor_id)
            .field("site_ids", &self.site_ids)
            .field("language", &self.language)
            .field(
                "notify_address",
                &self.notify_address.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub hub_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub active: bool,
    /// One of [`SUPPORTED_LANGUAGES`], or `None` for the default (English).
    pub language: Option<String>,
    /// Where notifications reach the user (`tel:+...`, `whatsapp:+...`), if anywhere.
    pub notify_address: Option<String>,
}

/// The languages the pages and notifications may be set to (BCP-47 tags).
pub const SUPPORTED_LANGUAGES: &[&str] = &["en", "fr", "pt", "es", "sw", "hi"];

/// The schemes of a notification address; the gateway routes on them (RapidPro URNs).
pub const NOTIFY_SCHEMES: &[&str] = &["tel", "whatsapp"];

/// Checks a language tag against [`SUPPORTED_LANGUAGES`].
pub(crate) fn check_language(language: &str) -> Result<()> {
    if SUPPORTED_LANGUAGES.contains(&language) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "language",
            format!("must be one of: {}", SUPPORTED_LANGUAGES.join(", ")),
        ))
    }
}

/// Checks a notification address: a scheme of [`NOTIFY_SCHEMES`], a colon, an optional `+` and
/// 7 to 15 digits (the length of an E.164 number). The message never repeats the address.
pub(crate) fn check_notify_address(address: &str) -> Result<()> {
    let ok = address.split_once(':').is_some_and(|(scheme, number)| {
        let digits = number.strip_prefix('+').unwrap_or(number);
        NOTIFY_SCHEMES.contains(&scheme)
            && (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "notify_address",
            format!(
                "must be a scheme ({}), a colon and an international number of 7-15 digits, e.g. tel:+254700000000",
                NOTIFY_SCHEMES.join(", ")
            ),
        ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// Browser session: HttpOnly cookie, shorter life.
    Cookie,
    /// Device or integration: `Authorization: Bearer`.
    Bearer,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

// One value per sign-in, moved once: boxing the account to shrink the enum would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum LoginOutcome {
    Success {
        token: String,
        user: UserRecord,
        expires_at: String,
        /// The device token to keep for the next sign-in from this browser or device (the one
        /// it presented, if recognised; otherwise a new one): with it, failures made elsewhere
        /// never slow this device down (`throttle`).
        device_token: String,
    },
    Invalid,
}

/// A fixed argon2id hash with the default parameters, checked when the username does not
/// exist so that an unknown name costs the same time as a known one.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2NhbGV1cGR1bW15c2FsdA$1BW6GzwTvDfTXEYpD1i1Xa8bQmJpBLo7cQXVf3P8T3E";

/// A device token as the server issues it: 32 random bytes, base64url without padding.
fn new_device_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a presented device token has the form the server issues; anything else is ignored
/// (never stored, never looked up).
fn device_token_shape_ok(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(crate) fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StoreError::Internal("password hashing failed".into()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn check_password_rules(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(StoreError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.len() > 512 {
        return Err(StoreError::invalid("password", "must be at most 512 bytes"));
    }
    Ok(())
}

fn check_username(username: &str) -> Result<()> {
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "username",
            "must be 3-64 characters: letters, digits, . _ - @",
        ))
    }
}

pub(crate) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord> {
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Internal("unknown role in users table".into()))?,
        hub_id: row.try_get("hub_id")?,
        supervisor_id: row.try_get("supervisor_id")?,
        active: row.try_get::<i64, _>("active")? != 0,
        language: row.try_get("language")?,
        notify_address: row.try_get("notify_address")?,
    })
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, hub_id, supervisor_id, active, language, notify_address";

/// The same columns on a schema before migration 6, which had no staff settings: only tests
/// that build a database "from an older version" read accounts there.
const USER_COLUMNS_BEFORE_6: &str = "id, username, display_name, role, hub_id, supervisor_id, active, CAST(NULL AS TEXT) AS language, CAST(NULL AS TEXT) AS notify_address";

impl Store {
    /// The account columns this database has, for `SELECT`s that [`user_from_row`] reads.
    fn user_columns(&self) -> &'static str {
        if self.schema >= 6 {
            USER_COLUMNS
        } else {
            USER_COLUMNS_BEFORE_6
        }
    }

    /// Creates an account. `actor` is `None` only for the command line (`scaleup user add`),
    /// which runs with the operator's authority over the database.
    pub async fn create_user(&self, actor: Option<&Actor>, new: NewUser) -> Result<UserRecord> {
        self.create_user_inner(actor, new, None).await
    }

    /// Creates an account whose password was hashed by [`Store::hash_password_blocking`]
    /// (generators creating many accounts with one password hash it once).
    pub async fn create_user_prehashed(
        &self,
        actor: Option<&Actor>,
        new: NewUser,
        password_hash: String,
    ) -> Result<UserRecord> {
        self.create_user_inner(actor, new, Some(password_hash))
            .await
    }

    async fn create_user_inner(
        &self,
        actor: Option<&Actor>,
        new: NewUser,
        prehashed: Option<String>,
    ) -> Result<UserRecord> {
        check_username(&new.username)?;
        if prehashed.is_none() {
            check_password_rules(&new.password)?;
        }
        crate::setup::name_ok(&new.display_name, "display_name")?;
        if let Some(language) = &new.language {
            check_language(language)?;
        }
        if let Some(address) = &new.notify_address {
            check_notify_address(address)?;
        }
        if new.role.belongs_to_a_hub() && new.hub_id.is_none() {
            return Err(StoreError::invalid(
                "hub_id",
                "is required for every role but admin",
            ));
        }
        if let Some(actor) = actor {
            if !actor.role.can(Capability::ManageUsers) {
                return Err(StoreError::Forbidden("not allowed to create accounts"));
            }
            // The role may give this role, within the hubs it sees.
            if !actor.role.may_grant(new.role)
                || !(actor.role.sees_every_hub()
                    || new.hub_id.as_deref().is_some_and(|h| actor.may_see_hub(h)))
            {
                return Err(StoreError::Forbidden(
                    "hub managers create accounts in their own hub only",
                ));
            }
        }
        let hash = match prehashed {
            Some(h) => h,
            None => {
                let pw = new.password.clone();
                self.hashing.run(move || hash_password(&pw)).await??
            }
        };
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        if let Some(hub) = &new.hub_id {
            let exists = sqlx::query("SELECT id FROM hubs WHERE id = $1")
                .bind(hub.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::invalid("hub_id", "no such hub"));
            }
        }
        if let Some(sup) = &new.supervisor_id {
            let row = sqlx::query("SELECT role, hub_id FROM users WHERE id = $1")
                .bind(sup.clone())
                .fetch_optional(&mut *tx)
                .await?;
            let ok = match row {
                Some(r) => {
                    let role: String = r.try_get("role")?;
                    let hub: Option<String> = r.try_get("hub_id")?;
                    matches!(role.as_str(), "supervisor" | "hub_manager") && hub == new.hub_id
                }
                None => false,
            };
            if !ok {
                return Err(StoreError::invalid(
                    "supervisor_id",
                    "must be a supervisor or hub manager of the same hub",
                ));
            }
        }
        let taken = sqlx::query("SELECT id FROM users WHERE username = $1")
            .bind(new.username.clone())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::invalid("username", "is already taken"));
        }
        sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, role, hub_id, supervisor_id, active, created_at, password_changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
        )
        .bind(id.clone())
        .bind(new.username.clone())
        .bind(new.display_name.clone())
        .bind(hash)
        .bind(new.role.as_str())
        .bind(new.hub_id.clone())
        .bind(new.supervisor_id.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Settings in their own statement, so accounts without them can still be created on an
        // older schema (tests of upgrades seed old databases through this code).
        if new.language.is_some() || new.notify_address.is_some() {
            sqlx::query("UPDATE users SET language = $1, notify_address = $2 WHERE id = $3")
                .bind(new.language.clone())
                .bind(new.notify_address.clone())
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
        }
        for site in &new.site_ids {
            let ok = sqlx::query("SELECT id FROM org_units WHERE id = $1 AND hub_id = $2")
                .bind(site.clone())
                .bind(new.hub_id.clone().unwrap_or_default())
                .fetch_optional(&mut *tx)
                .await?;
            if ok.is_none() {
                return Err(StoreError::invalid(
                    "site_ids",
                    "each site must be an org unit of the user's hub",
                ));
            }
            sqlx::query("INSERT INTO user_sites (user_id, org_unit_id) VALUES ($1, $2)")
                .bind(id.clone())
                .bind(site.clone())
                .execute(&mut *tx)
                .await?;
        }
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("user.create", "user")
                .entity(id.clone())
                .hub(new.hub_id.clone())
                .detail(serde_json::json!({"role": new.role.as_str()})),
        )
        .await?;
        tx.commit().await?;
        self.user(&id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users WHERE id = $1",
            self.user_columns()
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users WHERE username = $1",
            self.user_columns()
        )))
        .bind(username.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Users the actor may administer or supervise: admins all, hub managers their hubs,
    /// supervisors their supervisees.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserRecord>> {
        let mut sql = crate::scope::Sql::new(&format!(
            "SELECT {} FROM users u WHERE 1 = 1",
            self.user_columns()
        ));
        match actor.role {
            Role::Admin => {}
            Role::HubManager => {
                sql.push_in("u.hub_id", &actor.hubs);
            }
            Role::Supervisor => {
                sql.push(" AND (u.supervisor_id = ")
                    .bind_text(actor.user_id.clone())
                    .push(" OR u.id = ")
                    .bind_text(actor.user_id.clone())
                    .push(")");
            }
            _ => return Err(StoreError::Forbidden("not allowed to list users")),
        }
        sql.push(" ORDER BY u.username");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Sets (or, with `None`, clears) the language a user reads scaleup in: the web pages call it
    /// when a signed-in user picks one. A preference of the user's own, so not audited.
    pub async fn set_user_language(&self, user_id: &str, language: Option<&str>) -> Result<()> {
        if let Some(language) = language {
            check_language(language)?;
        }
        let done = sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language.map(str::to_string))
            .bind(user_id.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Sets a new password (an admin, a hub manager for their hub's staff, or
    /// `scaleup user reset-password`) and ends the user's sessions.
    pub async fn set_password(
        &self,
        actor: Option<&Actor>,
        user_id: &str,
        password: &str,
    ) -> Result<()> {
        check_password_rules(password)?;
        let hub = match actor {
            Some(a) => self.managed_user(a, user_id).await?.hub_id,
            None => self.user(user_id).await?.and_then(|u| u.hub_id),
        };
        let hash = {
            let pw = password.to_string();
            self.hashing.run(move || hash_password(&pw)).await??
        };
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
        )
        .bind(hash)
        .bind(now_timestamp())
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM auth_sessions WHERE user_id = $1")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        // Guesses at the old password are moot, and a device's proof of having known it no
        // longer holds: the account starts again with no counters and no recognised devices.
        sqlx::query("DELETE FROM login_throttle WHERE user_id = $1")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_devices WHERE user_id = $1")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("user.password_reset", "user")
                .entity(user_id)
                .hub(hub),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a password and opens a session, for a caller that presents no device token.
    /// See [`Store::login_with_device`].
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        remote: &str,
        kind: SessionKind,
    ) -> Result<LoginOutcome> {
        self.login_with_device(username, password, remote, None, kind)
            .await
    }

    /// Checks a password and opens a session. `remote` is the caller's address; `device` the
    /// device token the browser or device presented, if any.
    ///
    /// The attempt is counted as a failure before the password is checked, by the policy in
    /// `throttle` (recognised devices by their own counter; others by account, by account and
    /// address, and by address). Refused attempts are neither checked nor counted:
    /// [`StoreError::RateLimited`] says when to retry, [`StoreError::SignInLocked`] that the
    /// account takes only recognised devices now. The check waits for a hashing slot; if none
    /// frees in time the attempt is given back and the caller gets [`StoreError::Busy`]. A
    /// success deletes the counters it passed and remembers the device.
    pub async fn login_with_device(
        &self,
        username: &str,
        password: &str,
        remote: &str,
        device: Option<&str>,
        kind: SessionKind,
    ) -> Result<LoginOutcome> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, password_hash FROM users WHERE username = $1",
            self.user_columns()
        )))
        .bind(username.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let user = row.as_ref().map(user_from_row).transpose()?;
        let presented = device
            .filter(|t| device_token_shape_ok(t))
            .map(|t| sha256_hex(t.as_bytes()));
        // Recognised: this token signed in to this very account before.
        let recognised = match (&user, &presented) {
            (Some(u), Some(hash)) => sqlx::query(
                "SELECT user_id FROM login_devices WHERE token_hash = $1 AND user_id = $2",
            )
            .bind(hash.clone())
            .bind(u.id.clone())
            .fetch_optional(&self.pool)
            .await?
            .is_some(),
            _ => false,
        };
        let counters = self.sign_in_counters(
            username,
            remote,
            user.as_ref().map(|u| u.id.as_str()),
            presented.as_deref().filter(|_| recognised),
        );
        let admission = self.admit_sign_in(counters, username, remote).await?;
        let stored = row
            .as_ref()
            .map(|r| r.try_get::<String, _>("password_hash"))
            .transpose()?
            .unwrap_or_else(|| UNKNOWN_USER_HASH.to_string());
        let pw = password.to_string();
        let matches = match self
            .hashing
            .run(move || verify_password(&pw, &stored))
            .await
        {
            Ok(matches) => matches,
            Err(busy) => {
                if let Err(e) = self.refund_sign_in(&admission).await {
                    tracing::warn!(error = %e, "giving back an unchecked sign-in attempt failed");
                }
                return Err(busy);
            }
        };
        let user = match user {
            Some(u) if matches && u.active => u,
            _ => {
                // A recognised device that keeps failing is a stolen token or a guesser at a
                // shared computer: past its limit it counts as unrecognised, where the
                // account's limit applies.
                if let (true, Some(hash), Some(u)) = (recognised, &presented, &row)
                    && admission
                        .failures_of(Rule::Device)
                        .is_some_and(|n| n >= DEVICE_FORGOTTEN_AT)
                {
                    self.forget_device(hash, &u.try_get::<String, _>("id")?)
                        .await?;
                }
                return Ok(LoginOutcome::Invalid);
            }
        };
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let hours = if kind == SessionKind::Cookie {
            SESSION_HOURS_COOKIE
        } else {
            SESSION_HOURS_BEARER
        };
        let expires_at = timestamp_in(hours);
        let actor = self.actor_for(&user).await?;
        // A token the server issued (to this or another account: one browser shared by several
        // counsellors) is kept; anything else is replaced by a new one.
        let issued = match &presented {
            Some(hash) => sqlx::query("SELECT user_id FROM login_devices WHERE token_hash = $1")
                .bind(hash.clone())
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
            None => false,
        };
        let device_token = match device {
            Some(t) if issued => t.to_string(),
            _ => new_device_token(),
        };
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO auth_sessions (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(sha256_hex(token.as_bytes()))
            .bind(user.id.clone())
            .bind(kind.as_str())
            .bind(now.clone())
            .bind(expires_at.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE login_attempts SET success = 1 WHERE id = $1")
            .bind(admission.attempt_id)
            .execute(&mut *tx)
            .await?;
        // Consecutive failures end here: the account's and those of the way it came in
        // (device, or account and address). The address's stay, as they are other people's,
        // less this attempt, which was counted as a failure before it was checked.
        for c in &admission.counters {
            let sql = if c.rule == Rule::Address {
                "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0"
            } else {
                "DELETE FROM login_throttle WHERE key = $1"
            };
            sqlx::query(sql)
                .bind(c.key.clone())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO login_devices (token_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (token_hash, user_id) DO UPDATE SET last_used_at = excluded.last_used_at",
        )
        .bind(sha256_hex(device_token.as_bytes()))
        .bind(user.id.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            Some(&actor),
            &AuditEvent::new("auth.login", "session")
                .hub(user.hub_id.clone())
                // The client's address, as the server resolved it (behind a trusted proxy,
                // from X-Forwarded-For): who signed in from where is what an investigation of
                // a stolen password asks first. `login_attempts` keeps it too.
                .detail(serde_json::json!({
                    "kind": kind.as_str(),
                    "recognised_device": recognised,
                    "address": remote,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome::Success {
            token,
            user,
            expires_at,
            device_token,
        })
    }

    /// Forgets a device for an account: its token no longer counts as recognised there.
    async fn forget_device(&self, token_hash: &str, user_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_devices WHERE token_hash = $1 AND user_id = $2")
            .bind(token_hash.to_string())
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(self.keys.throttle_key(&["device", token_hash, user_id]))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor behind a session token, if the session is live and the account active.
    pub async fn session_actor(&self, token: &str) -> Result<Option<(Actor, UserRecord)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
            // Plain column names get the table's alias; the casts of an older schema stand alone.
            self.user_columns().split(", ").map(|c| if c.contains(' ') { c.to_string() } else { format!("u.{c}") }).collect::<Vec<_>>().join(", ")
        )))
        .bind(sha256_hex(token.as_bytes()))
        .bind(now_timestamp())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let actor = self.actor_for(&user).await?;
        Ok(Some((actor, user)))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_sessions WHERE token_hash = $1")
            .bind(sha256_hex(token.as_bytes()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Builds the actor for a user: their hub plus any hubs granted to them.
    pub async fn actor_for(&self, user: &UserRecord) -> Result<Actor> {
        let mut hubs: Vec<String> = user.hub_id.iter().cloned().collect();
        let rows = sqlx::query("SELECT hub_id FROM hub_grants WHERE user_id = $1")
            .bind(user.id.clone())
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            let h: String = r.try_get("hub_id")?;
            if !hubs.contains(&h) {
                hubs.push(h);
            }
        }
        Ok(Actor {
            user_id: user.id.clone(),
            role: user.role,
            hubs,
        })
    }

    /// Grants a user read access to another hub (researchers in a network analysis, say).
    pub async fn grant_hub(
        &self,
        actor: Option<&Actor>,
        user_id: &str,
        hub_id: &str,
    ) -> Result<()> {
        if actor.is_some_and(|a| !a.role.can(Capability::ManageHubs)) {
            return Err(StoreError::Forbidden(
                "only an admin grants cross-hub access",
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO hub_grants (user_id, hub_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(user_id.to_string())
        .bind(hub_id.to_string())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("user.grant_hub", "user")
                .entity(user_id)
                .hub(Some(hub_id.to_string())),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_debug_never_prints_the_password() {
        let new = NewUser {
            username: "amina".into(),
            display_name: "Amina".into(),
            password: "hunter2-but-longer".into(),
            role: Role::Counsellor,
            hub_id: None,
            supervisor_id: None,
            site_ids: vec![],
            language: Some("sw".into()),
            notify_address: Some("tel:+254700000000".into()),
        };
        let printed = format!("{new:?} {new:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("254700000000"), "{printed}");
        assert!(printed.contains("amina") && printed.contains("<redacted>"));
    }

    /// An unknown username is checked against this hash: if it failed to parse, or had cheaper
    /// parameters than real hashes, unknown names would answer faster and reveal themselves.
    #[test]
    fn unknown_users_cost_a_full_argon2_verification() {
        let parsed = PasswordHash::new(UNKNOWN_USER_HASH).expect("the fixed hash parses");
        let params = argon2::Params::try_from(&parsed).expect("argon2 parameters");
        let default = argon2::Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
        assert_eq!(parsed.algorithm, argon2::Algorithm::Argon2id.ident());
        // It matches no password a user could send: the verification runs and fails.
        assert!(!verify_password("correct horse battery", UNKNOWN_USER_HASH));
        let real = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &real));
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(
            argon2::Params::try_from(&real).unwrap().m_cost(),
            params.m_cost()
        );
    }

    #[test]
    fn only_tokens_shaped_like_the_servers_are_looked_up() {
        assert!(device_token_shape_ok(&new_device_token()));
        assert!(!device_token_shape_ok("short"));
        assert!(!device_token_shape_ok(&"a".repeat(44)));
        assert!(!device_token_shape_ok(&format!("{}=", "a".repeat(42))));
    }

    #[test]
    fn notify_addresses_need_a_known_scheme_and_an_international_number() {
        for good in [
            "tel:+254700000000",
            "whatsapp:+919812345678",
            "tel:2547000000",
        ] {
            assert!(check_notify_address(good).is_ok(), "{good}");
        }
        for bad in [
            "+254700000000",
            "mailto:+254700000000",
            "tel:+254 700 000000",
            "tel:+12345",
            "tel:+1234567890123456",
            "tel:",
            "whatsapp:+25470000000x",
        ] {
            let Err(StoreError::Invalid { field, message }) = check_notify_address(bad) else {
                panic!("{bad} was accepted");
            };
            assert_eq!(field, "notify_address");
            // One fixed sentence for every rejected address: it cannot echo the value.
            assert!(message.starts_with("must be a scheme (tel, whatsapp), a colon"));
        }
        assert!(check_language("sw").is_ok());
        let Err(StoreError::Invalid { field, message }) = check_language("de") else {
            panic!("de was accepted");
        };
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("language", "must be one of: en, fr, pt, es, sw, hi")
        );
    }
}
