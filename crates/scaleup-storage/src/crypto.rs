//! Keys and encryption of identifying details.
//!
//! One 32-byte master key comes from configuration (a key file or an environment variable),
//! never from the database. Subkeys are derived from it with HMAC-SHA256 and a label, one per
//! use, so a value made for one purpose can never pass as another's: one encrypts identities
//! (XChaCha20-Poly1305, random 192-bit nonce, the client id as associated data so a ciphertext
//! cannot be moved to another client), one keys the audit chain's rows, one the chain's recorded
//! head, one the checkpoints a hub keeps outside the database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The configured master key. Its `Debug` never prints the bytes.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key must be 32 bytes, base64-encoded (generate one with `scaleup key generate`)")]
    Malformed,
}

impl MasterKey {
    /// Parses the base64 form stored in a key file or `SCALEUP_MASTER_KEY`.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = B64.decode(text.trim()).map_err(|_| KeyError::Malformed)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(MasterKey(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        MasterKey(bytes)
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// The keys of this master key, with `previous` (the key being rotated away from, while a
    /// rotation runs) to open what is still sealed under it and to check its audit rows.
    pub(crate) fn derive_with_previous(&self, previous: Option<&MasterKey>) -> Keys {
        let mut keys = self.derive();
        keys.previous = previous
            .filter(|p| p.0 != self.0)
            .map(|p| Box::new(p.derive()));
        keys
    }

    pub(crate) fn derive(&self) -> Keys {
        let sub = |label: &[u8]| -> [u8; 32] {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let identity = sub(b"scaleup/identity-encryption/v1");
        let audit = sub(b"scaleup/audit-chain/v1");
        let audit_head = sub(b"scaleup/audit-head/v1");
        let audit_checkpoint = sub(b"scaleup/audit-checkpoint/v1");
        let throttle = sub(b"scaleup/login-throttle/v1");
        let export = sub(b"scaleup/export-deidentification/v1");
        // A short public fingerprint, stored beside each ciphertext, tells which key encrypted it
        // (for rotation) without revealing anything about the key.
        let key_id = hex(&Sha256::digest(sub(b"scaleup/key-id/v1"))[..6]);
        // The full-length check value stored in the database: proves a key is the one the
        // database was made with, and reveals nothing about it (a MAC under its own subkey).
        let check_value = hex(&sub(b"scaleup/key-check/v1"));
        Keys {
            identity,
            audit,
            audit_head,
            audit_checkpoint,
            throttle,
            export,
            key_id,
            check_value,
            previous: None,
        }
    }
}

pub(crate) struct Keys {
    identity: [u8; 32],
    audit: [u8; 32],
    audit_head: [u8; 32],
    audit_checkpoint: [u8; 32],
    throttle: [u8; 32],
    /// Pseudonyms and date shifts of exports (`Store::deidentification_key`).
    export: [u8; 32],
    pub(crate) key_id: String,
    pub(crate) check_value: String,
    /// During a key rotation: the key being retired (`scaleup key rotate`).
    pub(crate) previous: Option<Box<Keys>>,
}

/// The subkeys that key the audit chain under one master key: rows, head and checkpoints.
/// Rows written before a key rotation keep the MACs they were written with; the retired key's
/// row and checkpoint subkeys are kept in `audit_key_epochs`, sealed under the key that retired
/// it, so the chain stays verifiable with the current key alone (see `rotation`).
#[derive(Clone)]
pub(crate) struct AuditKeys {
    pub(crate) key_id: String,
    audit: [u8; 32],
    head: [u8; 32],
    checkpoint: [u8; 32],
}

impl AuditKeys {
    /// The MAC of one audit row (the row's `hash`).
    pub(crate) fn row_mac(&self, message: &[u8]) -> String {
        hmac_hex(&self.audit, message)
    }

    /// The MAC of the audit chain's recorded head (`store_state.audit_head_mac`).
    pub(crate) fn head_mac(&self, message: &[u8]) -> String {
        hmac_hex(&self.head, message)
    }

    /// The MAC of a checkpoint a hub keeps outside the database.
    pub(crate) fn checkpoint_mac(&self, message: &[u8]) -> String {
        hmac_hex(&self.checkpoint, message)
    }

    /// These subkeys sealed under `under` (its identity subkey; the retired key id as
    /// associated data), for `audit_key_epochs`. Neither subkey opens an identity or derives
    /// the master key.
    pub(crate) fn seal_under(&self, under: &Keys) -> String {
        let plain = serde_json::json!({
            "audit": hex(&self.audit),
            "head": hex(&self.head),
            "checkpoint": hex(&self.checkpoint),
        });
        under.seal(&epoch_aad(&self.key_id), plain.to_string().as_bytes())
    }

    /// Opens what [`AuditKeys::seal_under`] sealed.
    pub(crate) fn open_sealed(
        key_id: &str,
        sealed: &str,
        under: &Keys,
    ) -> Result<AuditKeys, crate::StoreError> {
        let plain = under.open_with_own_key(&epoch_aad(key_id), sealed)?;
        let v: serde_json::Value = serde_json::from_slice(&plain)
            .map_err(|_| crate::StoreError::Crypto("sealed audit keys are not JSON"))?;
        let field = |name: &str| -> Result<[u8; 32], crate::StoreError> {
            let text = v[name].as_str().unwrap_or_default();
            let bytes: Vec<u8> = (0..text.len() / 2)
                .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            bytes
                .try_into()
                .map_err(|_| crate::StoreError::Crypto("sealed audit keys are malformed"))
        };
        Ok(AuditKeys {
            key_id: key_id.to_string(),
            audit: field("audit")?,
            head: field("head")?,
            checkpoint: field("checkpoint")?,
        })
    }
}

fn epoch_aad(key_id: &str) -> String {
    format!("audit-epoch:{key_id}")
}

impl Keys {
    /// Encrypts `plaintext` for `client_id`: base64(nonce || ciphertext).
    pub(crate) fn seal(&self, client_id: &str, plaintext: &[u8]) -> String {
        let cipher = XChaCha20Poly1305::new((&self.identity).into());
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: client_id.as_bytes(),
                },
            )
            .expect("encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        B64.encode(out)
    }

    /// This key's audit subkeys.
    pub(crate) fn audit_keys(&self) -> AuditKeys {
        AuditKeys {
            key_id: self.key_id.clone(),
            audit: self.audit,
            head: self.audit_head,
            checkpoint: self.audit_checkpoint,
        }
    }

    /// The keys with this id: these or, during a rotation, the previous ones.
    pub(crate) fn by_id(&self, key_id: &str) -> Option<&Keys> {
        if self.key_id == key_id {
            Some(self)
        } else {
            self.previous.as_deref().filter(|p| p.key_id == key_id)
        }
    }

    /// Decrypts what [`Keys::seal`] made for `client_id`, under this key or, while a rotation
    /// runs, the previous one (a wrong key fails authentication, so trying both is safe).
    pub(crate) fn open(&self, client_id: &str, sealed: &str) -> Result<Vec<u8>, crate::StoreError> {
        match self.open_with_own_key(client_id, sealed) {
            Ok(plain) => Ok(plain),
            Err(e) => match &self.previous {
                Some(previous) => previous.open_with_own_key(client_id, sealed).map_err(|_| e),
                None => Err(e),
            },
        }
    }

    /// Decrypts under this key only.
    pub(crate) fn open_with_own_key(
        &self,
        client_id: &str,
        sealed: &str,
    ) -> Result<Vec<u8>, crate::StoreError> {
        let bytes = B64
            .decode(sealed)
            .map_err(|_| crate::StoreError::Crypto("ciphertext is not base64"))?;
        if bytes.len() < 24 {
            return Err(crate::StoreError::Crypto("ciphertext too short"));
        }
        let cipher = XChaCha20Poly1305::new((&self.identity).into());
        cipher
            .decrypt(
                XNonce::from_slice(&bytes[..24]),
                Payload {
                    msg: &bytes[24..],
                    aad: client_id.as_bytes(),
                },
            )
            .map_err(|_| {
                crate::StoreError::Crypto("identity could not be decrypted with the configured key")
            })
    }

    /// The key of a sign-in throttling counter: a MAC of its parts (each preceded by its length,
    /// so no two lists of parts collide), so the table of counters names no username or address
    /// and cannot be matched against guessed ones without the key.
    pub(crate) fn export_key(&self) -> [u8; 32] {
        self.export
    }

    pub(crate) fn throttle_key(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.throttle)
            .expect("HMAC takes any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }
}

fn hmac_hex(key: &[u8; 32], message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    hex(&mac.finalize().into_bytes())
}

/// Compares two MACs (or check values) in time that does not depend on where they differ, so
/// a caller who can submit values and time the answer learns nothing about the right one.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_identity_opens_only_for_its_client_and_key() {
        let keys = MasterKey::generate().derive();
        let sealed = keys.seal("client-a", b"Amina, 0712 000 000");
        assert_eq!(
            keys.open("client-a", &sealed).unwrap(),
            b"Amina, 0712 000 000"
        );
        assert!(keys.open("client-b", &sealed).is_err());
        assert!(
            MasterKey::generate()
                .derive()
                .open("client-a", &sealed)
                .is_err()
        );
        assert!(!sealed.contains("Amina"));
    }

    #[test]
    fn each_use_of_the_key_has_its_own_subkey() {
        let keys = MasterKey::generate().derive();
        let message = b"the same bytes";
        let audit = keys.audit_keys();
        let macs = [
            audit.row_mac(message),
            audit.head_mac(message),
            audit.checkpoint_mac(message),
        ];
        assert!(macs[0] != macs[1] && macs[1] != macs[2] && macs[0] != macs[2]);
        assert_eq!(audit.head_mac(message), macs[1], "deterministic");
    }

    #[test]
    fn master_key_round_trips_and_rejects_short_keys() {
        let k = MasterKey::generate();
        assert_eq!(MasterKey::from_base64(&k.to_base64()).unwrap().0, k.0);
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert_eq!(format!("{k:?}"), "MasterKey(..)");
    }
}
