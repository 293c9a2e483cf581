//! Checkpoints: signed heads of the audit chain, kept by the hub outside the database.
//!
//! The head's MAC stops someone without the key from cutting the log's tail. It cannot stop
//! someone who also holds the key, who can rewrite every row after some point and sign a new
//! head, nor a rollback to a head they saw earlier (its MAC is still valid). A checkpoint
//! records the head (seq, hash) at a moment, where the database cannot reach it: a file on
//! another machine, a line in the hub's records, a printout. Verifying with it proves that row
//! `seq` is still in the log with that hash; since each row's hash covers the one before, and
//! the walk recomputes every row's MAC, that row pins everything before it. Cutting the log
//! below a checkpoint, or rewriting it from a row at or before one, is then caught even by
//! someone who holds the database and the key, because they cannot reach the copies.
//!
//! The checkpoint carries an HMAC-SHA256 under its own subkey of the master key, not a
//! public-key signature. A signature would let someone without the key check that a checkpoint
//! is genuine, but nobody without the key can use that: proving that the checkpointed row is
//! still in an unmodified chain means recomputing the rows' MACs, which needs the key anyway.
//! What the MAC must do here is smaller: refuse a checkpoint file that was edited (moved to an
//! earlier row, say) or made up, so that only checkpoints this database's key made count. It
//! adds no dependency. Should the rows become checkable without the key (issue 11 weighs
//! per-hub chains sealed into signed checkpoints, as certificate-transparency logs do), a
//! second format with an Ed25519 signature can sit beside this one: `format` says which, and
//! `chain` already names the chain a checkpoint belongs to.

use super::{AuditVerification, length_prefixed};
use crate::crypto::constant_time_eq;
use crate::time_util::now_timestamp;
use crate::{Result, Store};
use sqlx::Row;

/// The `format` of the checkpoints this build writes and reads.
pub const CHECKPOINT_FORMAT: &str = "scaleup-audit-checkpoint/1";

/// The chain a checkpoint belongs to. A database has one chain today; per-hub chains would
/// name the hub here, and the checkpoints of the database's chain would keep verifying.
const STORE_CHAIN: &str = "store";

/// A signed head of the audit chain, as `scaleup audit checkpoint` writes it (one JSON object a
/// line). Its fields are public: ids of the key and the row, a hash and a time, nothing about
/// anyone.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditCheckpoint {
    /// [`CHECKPOINT_FORMAT`].
    pub format: String,
    /// The public fingerprint of the database's master key.
    pub key_id: String,
    /// Which chain: `store`, the database's one chain.
    pub chain: String,
    /// The head's sequence number: the last row the checkpoint vouches for.
    pub seq: i64,
    /// That row's hash.
    pub hash: String,
    /// When the checkpoint was taken (RFC 3339, UTC).
    pub at: String,
    /// HMAC-SHA256, hex, of the fields above under the checkpoint subkey.
    pub mac: String,
}

/// What `audit_checkpoint` did.
#[derive(Debug)]
pub enum CheckpointOutcome {
    /// The chain verified up to its head, and this checkpoint signs that head.
    Signed {
        checkpoint: AuditCheckpoint,
        rows_checked: i64,
    },
    /// The chain did not verify, so no checkpoint vouches for it: the findings.
    Refused(AuditVerification),
}

impl AuditCheckpoint {
    /// Reads every checkpoint in `text`: one JSON object, or several one after another (a file
    /// that `scaleup audit checkpoint --out` appended to, one a line).
    pub fn read_all(text: &str) -> std::result::Result<Vec<AuditCheckpoint>, serde_json::Error> {
        serde_json::Deserializer::from_str(text)
            .into_iter::<AuditCheckpoint>()
            .collect()
    }

    /// The message the MAC covers: every field but the MAC, length-prefixed.
    fn message(&self) -> Vec<u8> {
        length_prefixed(&[
            Some(self.format.as_str()),
            Some(self.key_id.as_str()),
            Some(self.chain.as_str()),
            Some(self.seq.to_string().as_str()),
            Some(self.hash.as_str()),
            Some(self.at.as_str()),
        ])
    }
}

impl Store {
    /// Verifies the chain and, if it is intact, signs its head as a checkpoint for the hub to
    /// keep elsewhere. A chain that does not verify gets no checkpoint: a checkpoint says the
    /// log was whole up to its row when it was taken.
    pub async fn audit_checkpoint(&self) -> Result<CheckpointOutcome> {
        let (verification, head) = self.verify_at_head(&[]).await?;
        if !verification.ok {
            return Ok(CheckpointOutcome::Refused(verification));
        }
        let keys = self.audit_keys_for(head.audit_key_id.as_deref())?;
        let mut checkpoint = AuditCheckpoint {
            format: CHECKPOINT_FORMAT.to_string(),
            key_id: keys.key_id.clone(),
            chain: STORE_CHAIN.to_string(),
            seq: head.seq,
            hash: head.hash,
            at: now_timestamp(),
            mac: String::new(),
        };
        checkpoint.mac = keys.checkpoint_mac(&checkpoint.message());
        Ok(CheckpointOutcome::Signed {
            checkpoint,
            rows_checked: verification.rows_checked,
        })
    }

    /// What is wrong between one checkpoint and the log whose recorded head is `head_seq`, if
    /// anything. Rows up to the head are committed, so the lookup needs no shared snapshot.
    pub(super) async fn check_checkpoint(
        &self,
        checkpoint: &AuditCheckpoint,
        head_seq: i64,
    ) -> Result<Option<String>> {
        let seq = checkpoint.seq;
        // Until the MAC is checked nothing in the checkpoint is trusted, so the label names
        // only its row.
        let unverified = format!("checkpoint of row {seq}");
        if checkpoint.format != CHECKPOINT_FORMAT {
            return Ok(Some(format!(
                "{unverified}: not a checkpoint this version reads (its format is not {CHECKPOINT_FORMAT})"
            )));
        }
        // A checkpoint made before a key rotation names the retired key: its checkpoint subkey
        // is kept with the retired epoch.
        let keys = match self.keys.by_id(&checkpoint.key_id) {
            Some(k) => Some(k.audit_keys()),
            None => self
                .audit_epochs()
                .await?
                .into_iter()
                .map(|(_, k)| k)
                .find(|k| k.key_id == checkpoint.key_id),
        };
        let Some(keys) = keys.filter(|_| checkpoint.chain == STORE_CHAIN) else {
            return Ok(Some(format!(
                "{unverified}: made for another database or key (this database's key id is {})",
                self.keys.key_id
            )));
        };
        let expected = keys.checkpoint_mac(&checkpoint.message());
        if !constant_time_eq(checkpoint.mac.as_bytes(), expected.as_bytes()) {
            return Ok(Some(format!(
                "{unverified}: its MAC does not match: it was altered, or not made with this database's key"
            )));
        }
        let label = format!("checkpoint of row {seq} taken {}", checkpoint.at);
        if seq > head_seq {
            return Ok(Some(format!(
                "{label}: rows after {head_seq} were removed: the checkpoint saw row {seq} but the recorded head is row {head_seq}"
            )));
        }
        let hash: Option<String> = if seq == 0 {
            Some(super::GENESIS_HASH.to_string())
        } else {
            sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get("hash"))
                .transpose()?
        };
        Ok(match hash {
            None => Some(format!("{label}: row {seq} is missing (deleted)")),
            Some(hash) if hash != checkpoint.hash => Some(format!(
                "{label}: row {seq} is not the row checkpointed (its hash differs): the log was rewritten from row {seq} or earlier"
            )),
            Some(_) => None,
        })
    }
}
