//! Item-level responses whose scored total equals a target total.
//!
//! The generative model works on totals; devices record items. Each function here spreads a
//! total over the items at random (every item starts at its minimum and random items with room
//! left get one more point until the total is reached), after first deciding the self-harm item
//! from its own probability given the total, so risk items are positive at a realistic rate and
//! the scorer's risk flags — and so the stored alerts — follow. A person-level `risk_offset` on
//! the log-odds makes risk persist within a person instead of striking each occasion afresh.

use crate::params::{PHQ9_ITEM9_LOGIT, SSQ14_ITEM11_LOGIT};
use rand::Rng;
use std::collections::BTreeMap;

pub(crate) type ItemResponses = BTreeMap<String, Option<f64>>;

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Spreads `total - sum(min)` points over `values` (each capped at `max`).
fn spread<R: Rng>(rng: &mut R, values: &mut [i32], mut left: i32, max: i32) {
    while left > 0 {
        let open: usize = values.iter().filter(|&&v| v < max).count();
        if open == 0 {
            break;
        }
        let mut pick = rng.random_range(0..open);
        for v in values.iter_mut() {
            if *v < max {
                if pick == 0 {
                    *v += 1;
                    break;
                }
                pick -= 1;
            }
        }
        left -= 1;
    }
}

/// PHQ-9: nine items 0–3 summing to `total` (0–27); item 10 (difficulty, unscored) added.
pub(crate) fn phq9<R: Rng>(rng: &mut R, total: i32, risk_offset: f64) -> ItemResponses {
    let total = total.clamp(0, 27);
    let (a, b) = PHQ9_ITEM9_LOGIT;
    // Item 9 first: positive with probability logistic(a + b·total); mostly "several days".
    let item9 = if total > 0 && rng.random_bool(logistic(a + b * total as f64 + risk_offset)) {
        let v = if rng.random_bool(0.8) { 1 } else { 2 };
        v.min(total)
    } else {
        0
    };
    // The other eight items must take the rest (at most 24).
    let rest = (total - item9).min(24);
    let item9 = total - rest;
    let mut values = [0i32; 8];
    spread(rng, &mut values, rest, 3);
    let mut out = ItemResponses::new();
    for (i, v) in values.iter().enumerate() {
        out.insert((i + 1).to_string(), Some(*v as f64));
    }
    out.insert("9".into(), Some(item9 as f64));
    let difficulty = ((total as f64) / 8.0).floor().min(3.0);
    out.insert("10".into(), Some(difficulty));
    out
}

/// SSQ-14: fourteen yes/no items summing to `total` (0–14), item 11 the suicide item.
pub(crate) fn ssq14<R: Rng>(rng: &mut R, total: i32, risk_offset: f64) -> ItemResponses {
    let total = total.clamp(0, 14);
    let (a, b) = SSQ14_ITEM11_LOGIT;
    let item11 =
        i32::from(total > 0 && rng.random_bool(logistic(a + b * total as f64 + risk_offset)));
    let rest = (total - item11).min(13);
    let item11 = total - rest;
    let mut values = [0i32; 13];
    spread(rng, &mut values, rest, 1);
    let mut out = ItemResponses::new();
    let mut it = values.iter();
    for id in 1..=14 {
        let v = if id == 11 {
            item11
        } else {
            *it.next().expect("13 non-risk items")
        };
        out.insert(id.to_string(), Some(v as f64));
    }
    out
}

/// WHODAS 2.0 12-item, simple scoring with 1–5 codes: total 12–60.
pub(crate) fn whodas12<R: Rng>(rng: &mut R, total: i32) -> ItemResponses {
    let total = total.clamp(12, 60);
    let mut values = [1i32; 12];
    spread(rng, &mut values, total - 12, 5);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1).to_string(), Some(*v as f64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sum(r: &ItemResponses, skip: &[&str]) -> f64 {
        r.iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(_, v)| v.unwrap())
            .sum()
    }

    #[test]
    fn items_sum_to_the_target_total() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for t in 0..=27 {
            let r = phq9(&mut rng, t, 0.0);
            assert_eq!(sum(&r, &["10"]), t as f64);
            assert!(r.values().all(|v| (0.0..=3.0).contains(&v.unwrap())));
        }
        for t in 0..=14 {
            assert_eq!(sum(&ssq14(&mut rng, t, 0.0), &[]), t as f64);
        }
        for t in 12..=60 {
            let r = whodas12(&mut rng, t);
            assert_eq!(sum(&r, &[]), t as f64);
            assert!(r.values().all(|v| (1.0..=5.0).contains(&v.unwrap())));
        }
    }
}
