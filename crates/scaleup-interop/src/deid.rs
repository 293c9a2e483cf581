//! De-identification: what makes a file safe to leave the hub.
//!
//! Pseudonymised is not de-identified: a database id links a row back to the hub's records, an
//! exact date of a visit and a facility name single a person out in a village. The defaults of
//! [`Deidentification`] are therefore the safe ones: keyed pseudonyms instead of ids, every date
//! of a client shifted by the same secret number of days, ages in bands, facilities coarsened to
//! their district (cluster labels recoded), free text dropped, and a k-anonymity check (k = 5)
//! on the quasi-identifiers that refuses to write a file in which fewer than k clients share a
//! combination.
//!
//! Keys: the caller derives one 32-byte key from the hub's master key (storage's
//! `Store::deidentification_key`), so pseudonyms and date shifts are stable from one export to
//! the next (successive exports of a study link up) but nobody without the key can reverse them.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The largest shift, in days, either way. Half a year keeps seasons roughly right for a
/// reader while hiding the calendar date; intervals between one client's dates are unchanged.
pub const MAX_SHIFT_DAYS: i64 = 182;

/// Default k of the k-anonymity check.
pub const DEFAULT_K: usize = 5;

/// How an export is de-identified. `Default` is the safe configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Deidentification {
    /// Ages as bands (`18-24`, ...) instead of years.
    pub age_bands: bool,
    /// Shift every date of a client by the client's secret offset.
    pub shift_dates: bool,
    /// Drop variables that hold free text.
    pub drop_free_text: bool,
    /// Replace the facility by its district and recode cluster labels.
    pub coarsen_facility: bool,
    /// Every combination of the quasi-identifiers must be shared by at least `k` clients
    /// (`k <= 1` turns the check off).
    pub k: usize,
    /// Variables checked for k-anonymity; `None` means the default set (sex, age or age band,
    /// district, and facility when it is kept).
    pub quasi_identifiers: Option<Vec<String>>,
}

impl Default for Deidentification {
    fn default() -> Self {
        Deidentification {
            age_bands: true,
            shift_dates: true,
            drop_free_text: true,
            coarsen_facility: true,
            k: DEFAULT_K,
            quasi_identifiers: None,
        }
    }
}

/// The secret behind pseudonyms and date shifts. Its `Debug` never prints the bytes.
#[derive(Clone)]
pub struct DeidKey([u8; 32]);

impl std::fmt::Debug for DeidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeidKey(..)")
    }
}

impl DeidKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        DeidKey(bytes)
    }

    fn mac(&self, purpose: &str, id: Uuid) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A stable pseudonym for an id: `prefix` and 12 hex digits of a keyed PRF (48 bits: a
    /// collision among a million clients has a chance of about 2 in a million).
    pub fn pseudonym(&self, prefix: &str, purpose: &str, id: Uuid) -> String {
        let m = self.mac(purpose, id);
        let hex: String = m[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{hex}")
    }

    /// A stable UUID-shaped pseudonym (a random-UUID layout over 122 bits of the keyed PRF),
    /// for formats whose receivers expect UUIDs (FHIR ids).
    pub fn uuid(&self, purpose: &str, id: Uuid) -> Uuid {
        let m = self.mac(purpose, id);
        let bytes: [u8; 16] = m[..16].try_into().expect("16 bytes");
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// The client's date offset in days, in `-MAX_SHIFT_DAYS..=MAX_SHIFT_DAYS` and never 0:
    /// a keyed PRF of the client id, so the same client moves by the same days in every export
    /// made with the same key.
    pub fn date_shift(&self, client: Uuid) -> i64 {
        let m = self.mac("date-shift", client);
        let x = u64::from_be_bytes(m[..8].try_into().expect("8 bytes"));
        let span = (2 * MAX_SHIFT_DAYS) as u64; // offsets -182..-1 and 1..182
        let k = (x % span) as i64;
        if k < MAX_SHIFT_DAYS {
            k - MAX_SHIFT_DAYS
        } else {
            k - MAX_SHIFT_DAYS + 1
        }
    }
}

/// Age bands: ten-year bands with young adults split out, open at `<18` and top-coded at `55+`
/// (few clients of task-shared programmes are older, and a rare old age singles one out).
pub const AGE_BANDS: [&str; 6] = ["<18", "18-24", "25-34", "35-44", "45-54", "55+"];

pub fn age_band(age: i64) -> &'static str {
    match age {
        ..18 => AGE_BANDS[0],
        18..=24 => AGE_BANDS[1],
        25..=34 => AGE_BANDS[2],
        35..=44 => AGE_BANDS[3],
        45..=54 => AGE_BANDS[4],
        _ => AGE_BANDS[5],
    }
}

/// A combination of quasi-identifiers shared by fewer than k clients.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "k-anonymity: only {clients} client(s) share {}; at least {k} are required (coarsen a variable, drop it from the export, or lower k knowingly)",
    describe(.combination)
)]
pub struct KAnonymityError {
    /// Variable = value pairs of the failing combination (quasi-identifiers are the
    /// coarse variables of the file itself, not clinical values).
    pub combination: Vec<(String, String)>,
    pub clients: usize,
    pub k: usize,
}

fn describe(combination: &[(String, String)]) -> String {
    combination
        .iter()
        .map(|(v, x)| format!("{v}={}", if x.is_empty() { "(missing)" } else { x }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that every combination of values in `rows` (one row per record, with the client it
/// belongs to) is shared by at least `k` distinct clients. Returns the smallest failing
/// combination (fewest clients, then first in order).
pub fn check_k_anonymity(
    names: &[String],
    rows: impl IntoIterator<Item = (String, Vec<String>)>,
    k: usize,
) -> Result<(), KAnonymityError> {
    if k <= 1 || names.is_empty() {
        return Ok(());
    }
    let mut groups: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for (client, values) in rows {
        groups.entry(values).or_default().insert(client);
    }
    let worst = groups
        .iter()
        .filter(|(_, clients)| clients.len() < k)
        .min_by_key(|(_, clients)| clients.len());
    match worst {
        None => Ok(()),
        Some((values, clients)) => Err(KAnonymityError {
            combination: names.iter().cloned().zip(values.iter().cloned()).collect(),
            clients: clients.len(),
            k,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_shifts_are_stable_bounded_non_zero_and_keyed() {
        let key = DeidKey::new([7; 32]);
        let other = DeidKey::new([8; 32]);
        let mut differ = 0;
        for i in 0..2000u128 {
            let id = Uuid::from_u128(i * 7919 + 1);
            let s = key.date_shift(id);
            assert_eq!(s, key.date_shift(id), "stable");
            assert!(s != 0 && s.abs() <= MAX_SHIFT_DAYS, "{s}");
            if s != other.date_shift(id) {
                differ += 1;
            }
        }
        assert!(differ > 1900, "another key gives other shifts: {differ}");
    }

    #[test]
    fn pseudonyms_are_stable_and_hide_the_id() {
        let key = DeidKey::new([1; 32]);
        let id = Uuid::from_u128(42);
        let p = key.pseudonym("C", "client", id);
        assert_eq!(p, key.pseudonym("C", "client", id));
        assert_eq!(p.len(), 13);
        assert!(!p.contains(&id.simple().to_string()[..8]));
        assert_ne!(p, key.pseudonym("C", "episode", id));
        assert!(format!("{key:?}") == "DeidKey(..)");
    }

    #[test]
    fn k_anonymity_names_the_smallest_failing_combination() {
        let names = vec!["sex".to_string(), "age_band".to_string()];
        let row = |c: &str, s: &str, a: &str| (c.to_string(), vec![s.to_string(), a.to_string()]);
        let mut rows = vec![];
        for i in 0..6 {
            rows.push(row(&format!("c{i}"), "female", "25-34"));
        }
        // Two rows of one client count once.
        rows.push(row("m1", "male", "65+"));
        rows.push(row("m1", "male", "65+"));
        rows.push(row("m2", "male", "65+"));
        let err = check_k_anonymity(&names, rows.clone(), 5).unwrap_err();
        assert_eq!(err.clients, 2);
        assert_eq!(
            err.to_string(),
            "k-anonymity: only 2 client(s) share sex=male, age_band=65+; at least 5 are required (coarsen a variable, drop it from the export, or lower k knowingly)"
        );
        assert!(check_k_anonymity(&names, rows.clone(), 2).is_ok());
        assert!(check_k_anonymity(&names, rows, 1).is_ok());
    }

    #[test]
    fn age_bands_cover_every_age() {
        assert_eq!(age_band(17), "<18");
        assert_eq!(age_band(18), "18-24");
        assert_eq!(age_band(54), "45-54");
        assert_eq!(age_band(55), "55+");
        assert_eq!(age_band(90), "55+");
        assert_eq!(age_band(-3), "<18");
    }
}
