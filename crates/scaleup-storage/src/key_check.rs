//! The database remembers which master key it was made with.
//!
//! Without this, a server given the wrong key (a copied database, a regenerated key file)
//! starts and says it is healthy, then fails every read of an existing identity, seals new
//! identities under a key nobody keeps, and extends the audit chain with rows that the real key
//! calls forged. Now the first start writes a key check value (a MAC under a subkey, so it
//! reveals nothing about the key) and every later start compares it before serving.
//!
//! A database made before key checks existed has none. Before adopting the configured key, the
//! store proves it against what the database already holds: the newest audit row's MAC and one
//! sealed identity. Only an empty database, or one whose data the key opens, gets a check value.

use crate::crypto::constant_time_eq;
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use sqlx::Row;

impl Store {
    /// Refuses a master key that is not the database's own; records the key of a new database.
    /// Returns the id of the key the check value names: the configured key or, while a key
    /// rotation runs, the previous one.
    pub(crate) async fn check_key(&self) -> Result<String> {
        let stored = sqlx::query("SELECT key_id, check_value FROM key_check WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = stored {
            return self.compare_check_value(&row);
        }
        if !self.existing_data_opens_with_key().await? {
            return Err(self.wrong_key(None));
        }
        // Two servers starting at once may both get here; the first insert wins and the second
        // compares against it.
        sqlx::query(
            "INSERT INTO key_check (id, key_id, check_value, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(self.keys.key_id.clone())
        .bind(self.keys.check_value.clone())
        .bind(now_timestamp())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT key_id, check_value FROM key_check WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        self.compare_check_value(&row)
    }

    /// The key id the database was made with (a public fingerprint), once recorded.
    pub async fn database_key_id(&self) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT key_id FROM key_check WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<String, _>("key_id"))
            .transpose()?)
    }

    fn compare_check_value(&self, row: &sqlx::any::AnyRow) -> Result<String> {
        let check: String = row.try_get("check_value")?;
        let keys = std::iter::once(&*self.keys).chain(self.keys.previous.as_deref());
        for k in keys {
            if constant_time_eq(check.as_bytes(), k.check_value.as_bytes()) {
                return Ok(k.key_id.clone());
            }
        }
        Err(self.wrong_key(Some(row.try_get("key_id")?)))
    }

    fn wrong_key(&self, expected: Option<String>) -> StoreError {
        StoreError::WrongKey {
            configured: self.keys.key_id.clone(),
            expected,
        }
    }

    /// Whether the configured key opens what an older database already holds: the newest
    /// audit row's MAC and one sealed identity. True for a database holding neither.
    async fn existing_data_opens_with_key(&self) -> Result<bool> {
        if let Some(false) = self.newest_audit_row_matches_key().await? {
            return Ok(false);
        }
        let identity = sqlx::query("SELECT client_id, ciphertext FROM client_identities LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = identity {
            let client: String = row.try_get("client_id")?;
            let sealed: String = row.try_get("ciphertext")?;
            if self.keys.open(&client, &sealed).is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
