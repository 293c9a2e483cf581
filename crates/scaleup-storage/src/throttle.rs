//! Sign-in throttling: slow a password guesser down while the real user still gets in
//! (NIST SP 800-63B §5.2.2; OWASP's "device cookies").
//!
//! # The policy
//!
//! Every attempt is counted before its password is checked, as a failure; a successful sign-in
//! then deletes the counters the attempt passed. Counters are consecutive failures, kept in the
//! database (`login_throttle`), so any number of servers share them.
//!
//! **A recognised device** is a browser or device that signed in to this account before: it
//! presents a device token (an HttpOnly cookie in a browser, the `X-Scaleup-Device` header from
//! an app) that the server issued at a successful sign-in and stores hashed with the account.
//! Its attempts obey one rule only:
//!
//! | rule | counts | allowed | then |
//! |---|---|---|---|
//! | `device` (token, account) | this device's failures on this account | 5 | wait 30 s, doubling with each further failure up to 1 hour; at 100 the device is forgotten |
//!
//! So failures it did not make (from other addresses, other devices, a clinic's shared
//! connection) never slow it down. Its failures also count towards the account's total below.
//!
//! **Any other attempt** must pass all three of:
//!
//! | rule | counts | allowed | then |
//! |---|---|---|---|
//! | `account_address` (username, address) | failures for this username from this address | 5 | wait 30 s, doubling up to 1 hour |
//! | `account` (username) | failures for this username from anywhere, any device | 100 | locked for unrecognised devices until a successful sign-in (from a recognised device) or a password reset |
//! | `address` | failures from this address for any username | 30 | wait 1 s, doubling up to 5 minutes; forgotten after an hour without failures |
//!
//! - Five wrong passwords from one address slow down only that address: the same account signs
//!   in from another address at once.
//! - Failures for unknown names from a clinic's shared address (many names, few tries each) are
//!   kept per name (`account_address`); the address as a whole only ever makes unrecognised
//!   devices wait (never more than five minutes) and never touches recognised devices.
//! - NIST's ceiling of 100 consecutive failures per account holds for guessing from unrecognised
//!   devices; a recognised device's own budget ends the same way (forgotten at 100, after which
//!   it counts as unrecognised). A guesser spread over many addresses can lock new devices out
//!   of an account; its recognised devices still sign in, and that success clears the lock.
//! - A username that does not exist is throttled exactly like one that does, so throttling
//!   reveals nothing about which accounts exist.
//! - An address is an IPv4 address or an IPv6 /64 (one subscriber's network: a guesser there
//!   has 2^64 addresses).
//! - A successful sign-in deletes the `account` counter and the counter of the rule it passed
//!   (`device` or `account_address`); the `address` counter keeps the failures it had (one
//!   user's success says nothing about the others behind the address) and only gives back the
//!   successful attempt itself. A password reset deletes every counter of the account and
//!   forgets its devices.
//!
//! An attempt refused by a rule is not counted and its password is not checked: the answer
//! says how many seconds to wait (HTTP 429 with `Retry-After`), or that the account is locked
//! for unrecognised devices (429 without a time). Counters of addresses are deleted after a day
//! without failures, and counters of accounts and devices below their limit after 30 days
//! ([`Store::prune_sign_in_counters`]).
//!
//! # Why the count is exact under parallel attempts
//!
//! The attempt takes a lock on each of its counter rows (an upsert with `RETURNING`, in key
//! order so two attempts never wait on each other in a cycle), decides, and increments them in
//! the same transaction, which commits before the password hash starts. On SQLite the
//! transaction holds the database's write lock (`BEGIN IMMEDIATE`); on PostgreSQL the upsert
//! locks the row and a second attempt waits for the first to commit, then reads its count.
//! Thirty parallel wrong passwords for one account from one address are therefore verified
//! five times, not thirty.

use crate::time_util::{now_timestamp, timestamp_ago_seconds};
use crate::{Result, Store, StoreError};
use sqlx::Row;
use time::OffsetDateTime;

/// A throttling rule: what it counts and how it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    Device,
    Account,
    AccountAddress,
    Address,
}

/// How a rule answers to a number of consecutive failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// Failures allowed before any wait.
    pub free: i64,
    /// The wait after `free` failures, in seconds; each further failure doubles it.
    pub first_wait: i64,
    /// The longest wait, in seconds.
    pub max_wait: i64,
    /// Failures at which the rule refuses until its counter is deleted.
    pub lock_at: Option<i64>,
    /// Seconds without a failure after which the counter starts again from zero.
    pub forget_after: Option<i64>,
}

/// Failures after which a recognised device is forgotten (and counts as unrecognised).
pub(crate) const DEVICE_FORGOTTEN_AT: i64 = 100;

/// Seconds without failures after which an address's counters are deleted.
pub(crate) const ADDRESS_COUNTERS_KEPT: i64 = 24 * 3600;
/// Seconds without failures after which an account's or device's counter below its limit is
/// deleted.
pub(crate) const ACCOUNT_COUNTERS_KEPT: i64 = 30 * 24 * 3600;
/// Seconds a recognised device stays recognised without signing in (its cookie lives as long
/// and is renewed at every sign-in).
pub const DEVICE_KEPT_SECONDS: i64 = 365 * 24 * 3600;

impl Rule {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Rule::Device => "device",
            Rule::Account => "account",
            Rule::AccountAddress => "account_address",
            Rule::Address => "address",
        }
    }

    /// The policy, in one place (the module documentation spells it out).
    pub(crate) const fn schedule(self) -> Schedule {
        match self {
            Rule::Device | Rule::AccountAddress => Schedule {
                free: 5,
                first_wait: 30,
                max_wait: 3600,
                lock_at: None,
                forget_after: None,
            },
            Rule::Account => Schedule {
                free: 100,
                first_wait: 0,
                max_wait: 0,
                lock_at: Some(100),
                forget_after: None,
            },
            Rule::Address => Schedule {
                free: 30,
                first_wait: 1,
                max_wait: 300,
                lock_at: None,
                forget_after: Some(3600),
            },
        }
    }
}

/// A rule's answer to one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Admit,
    /// Refused; the attempt may be made again after this many seconds.
    Wait(u64),
    /// Refused until the counter is deleted.
    Locked,
}

impl Schedule {
    /// The failures that still count at `now` (a forgetting rule starts again after a quiet
    /// spell).
    pub(crate) fn counted(
        &self,
        failures: i64,
        last: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> i64 {
        match (self.forget_after, last) {
            (Some(quiet), Some(last)) if (now - last).whole_seconds() >= quiet => 0,
            _ => failures.max(0),
        }
    }

    /// The wait owed after `failures` consecutive failures, in seconds (zero while free).
    pub(crate) fn wait_after(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        // Doubling past 2^20 only overflows: every schedule reaches its ceiling long before.
        let doublings = (failures - self.free).min(20) as u32;
        self.first_wait
            .saturating_mul(1i64 << doublings)
            .min(self.max_wait)
    }

    /// Whether an attempt may go ahead, given the counter and the time of its last failure.
    pub(crate) fn verdict(
        &self,
        failures: i64,
        last: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Verdict {
        let failures = self.counted(failures, last, now);
        if self.lock_at.is_some_and(|at| failures >= at) {
            return Verdict::Locked;
        }
        let wait = self.wait_after(failures);
        let Some(last) = last else {
            return Verdict::Admit;
        };
        let elapsed = (now - last).whole_milliseconds();
        let owed = i128::from(wait) * 1000 - elapsed;
        if wait == 0 || owed <= 0 {
            Verdict::Admit
        } else {
            // Whole seconds, rounded up: a client that waits exactly this long is admitted.
            Verdict::Wait(((owed + 999) / 1000) as u64)
        }
    }
}

/// Combines the verdicts of every rule an attempt must pass: a lock beats a wait, and the
/// longest wait wins.
pub(crate) fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .fold(Verdict::Admit, |acc, v| match (acc, v) {
            (Verdict::Locked, _) | (_, Verdict::Locked) => Verdict::Locked,
            (Verdict::Wait(a), Verdict::Wait(b)) => Verdict::Wait(a.max(b)),
            (Verdict::Wait(a), Verdict::Admit) | (Verdict::Admit, Verdict::Wait(a)) => {
                Verdict::Wait(a)
            }
            (Verdict::Admit, Verdict::Admit) => Verdict::Admit,
        })
}

/// The address a rule counts: an IPv4 address as it is, an IPv6 address by its /64 (an
/// IPv4-mapped one as IPv4), anything unparseable as given.
pub(crate) fn address_subject(remote: &str) -> String {
    use std::net::IpAddr;
    match remote.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => remote.to_string(),
    }
}

/// One counter an attempt must pass.
#[derive(Clone, Debug)]
pub(crate) struct Counter {
    pub rule: Rule,
    /// The MAC naming the rule and its subject (`Keys::throttle_key`).
    pub key: String,
    /// The existing account the rule is about, if any: a password reset deletes its counters.
    pub user_id: Option<String>,
    /// Whether the rule can refuse the attempt, or only counts it (a recognised device's
    /// failures count towards the account's total, whose lock does not apply to it).
    pub enforced: bool,
}

/// An attempt that was admitted and counted: what a success clears and a refund gives back.
pub(crate) struct Admission {
    pub counters: Vec<Counter>,
    /// Each counter's failures after this attempt, in the order of `counters`.
    pub failures_after: Vec<i64>,
    /// The attempt's row in `login_attempts`.
    pub attempt_id: i64,
}

impl Admission {
    /// The failures a counter of `rule` reached with this attempt.
    pub(crate) fn failures_of(&self, rule: Rule) -> Option<i64> {
        self.counters
            .iter()
            .zip(&self.failures_after)
            .find(|(c, _)| c.rule == rule)
            .map(|(_, n)| *n)
    }
}

fn parse_time(text: Option<String>) -> Option<OffsetDateTime> {
    text.and_then(|t| {
        OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok()
    })
}

impl Store {
    /// The counters an attempt must pass: see the module documentation. `device_hash` is set
    /// only when the presented device token is recognised for this account.
    pub(crate) fn sign_in_counters(
        &self,
        username: &str,
        remote: &str,
        user_id: Option<&str>,
        device_hash: Option<&str>,
    ) -> Vec<Counter> {
        let keys = &self.keys;
        let user = user_id.map(str::to_string);
        let address = address_subject(remote);
        let account = |enforced| Counter {
            rule: Rule::Account,
            key: keys.throttle_key(&["account", username]),
            user_id: user.clone(),
            enforced,
        };
        match (device_hash, user_id) {
            (Some(device), Some(id)) => vec![
                Counter {
                    rule: Rule::Device,
                    key: keys.throttle_key(&["device", device, id]),
                    user_id: user.clone(),
                    enforced: true,
                },
                account(false),
            ],
            _ => vec![
                Counter {
                    rule: Rule::AccountAddress,
                    key: keys.throttle_key(&["account_address", username, &address]),
                    user_id: user.clone(),
                    enforced: true,
                },
                account(true),
                Counter {
                    rule: Rule::Address,
                    key: keys.throttle_key(&["address", &address]),
                    user_id: None,
                    enforced: true,
                },
            ],
        }
    }

    /// Checks an attempt against its counters and, if every rule admits it, counts it as a
    /// failure and records it in `login_attempts`, all in one transaction that commits before
    /// the password is checked. Refused: [`StoreError::RateLimited`] or
    /// [`StoreError::SignInLocked`], and nothing is counted.
    pub(crate) async fn admit_sign_in(
        &self,
        mut counters: Vec<Counter>,
        username: &str,
        remote: &str,
    ) -> Result<Admission> {
        // Key order is lock order: two attempts sharing counters lock them in the same order,
        // so neither waits for a row the other holds while holding one it wants.
        counters.sort_by(|a, b| a.key.cmp(&b.key));
        let now_text = now_timestamp();
        let now = parse_time(Some(now_text.clone())).unwrap_or_else(OffsetDateTime::now_utc);
        let mut tx = self.begin_write().await?;
        let mut counted = Vec::with_capacity(counters.len());
        let mut verdicts = Vec::with_capacity(counters.len());
        for c in &counters {
            // An upsert that changes nothing but locks the row (PostgreSQL waits here for a
            // parallel attempt on the same counter to commit) and returns its current count.
            let row = sqlx::query(
                "INSERT INTO login_throttle (key, rule, user_id, failures, last_failure_at)
                 VALUES ($1, $2, $3, 0, NULL)
                 ON CONFLICT (key) DO UPDATE SET rule = excluded.rule
                 RETURNING failures, last_failure_at",
            )
            .bind(c.key.clone())
            .bind(c.rule.as_str())
            .bind(c.user_id.clone())
            .fetch_one(&mut *tx)
            .await?;
            let failures: i64 = row.try_get("failures")?;
            let last = parse_time(row.try_get("last_failure_at")?);
            let schedule = c.rule.schedule();
            if c.enforced {
                verdicts.push(schedule.verdict(failures, last, now));
            }
            counted.push(schedule.counted(failures, last, now));
        }
        match combine(verdicts) {
            Verdict::Admit => {}
            // Dropping the transaction rolls it back: a refused attempt is not counted.
            Verdict::Wait(seconds) => {
                return Err(StoreError::RateLimited {
                    retry_after_seconds: seconds,
                });
            }
            Verdict::Locked => return Err(StoreError::SignInLocked),
        }
        let mut failures_after = Vec::with_capacity(counters.len());
        for (c, n) in counters.iter().zip(&counted) {
            sqlx::query(
                "UPDATE login_throttle SET failures = $1, last_failure_at = $2, user_id = COALESCE(user_id, $3) WHERE key = $4",
            )
            .bind(n + 1)
            .bind(now_text.clone())
            .bind(c.user_id.clone())
            .bind(c.key.clone())
            .execute(&mut *tx)
            .await?;
            failures_after.push(n + 1);
        }
        let attempt_id: i64 = sqlx::query_scalar(
            "INSERT INTO login_attempts (username, remote, at, success) VALUES ($1, $2, $3, 0) RETURNING id",
        )
        .bind(username.to_string())
        .bind(remote.to_string())
        .bind(now_text)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Admission {
            counters,
            failures_after,
            attempt_id,
        })
    }

    /// Gives back an admitted attempt whose password was never checked (the server was too
    /// busy to check it): it was no guess, so it must not count against the user.
    pub(crate) async fn refund_sign_in(&self, admission: &Admission) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for c in &admission.counters {
            sqlx::query(
                "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
            )
            .bind(c.key.clone())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM login_attempts WHERE id = $1")
            .bind(admission.attempt_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes counters nobody needs any more: an address's after a day without failures, an
    /// account's or device's below its limit after 30 days, and devices unused for a year.
    /// Locked accounts stay locked. The server calls it every minute; returns rows deleted.
    pub async fn prune_sign_in_counters(&self) -> Result<u64> {
        let address_cutoff = timestamp_ago_seconds(ADDRESS_COUNTERS_KEPT);
        let account_cutoff = timestamp_ago_seconds(ACCOUNT_COUNTERS_KEPT);
        let device_cutoff = timestamp_ago_seconds(DEVICE_KEPT_SECONDS);
        let mut deleted = 0;
        deleted += sqlx::query(
            "DELETE FROM login_throttle WHERE rule IN ('account_address', 'address') AND last_failure_at < $1",
        )
        .bind(address_cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected();
        deleted += sqlx::query(
            "DELETE FROM login_throttle WHERE rule IN ('account', 'device') AND failures < $1 AND last_failure_at < $2",
        )
        .bind(Rule::Account.schedule().lock_at.unwrap_or(i64::MAX))
        .bind(account_cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected();
        deleted += sqlx::query("DELETE FROM login_devices WHERE last_used_at < $1")
            .bind(device_cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seconds)
    }

    /// The schedule as the policy table states it, derived by hand: five free, then 30 s,
    /// 60 s, 120 s ... and never more than an hour.
    #[test]
    fn waits_double_from_thirty_seconds_to_an_hour_after_five_failures() {
        let s = Rule::AccountAddress.schedule();
        let waits: Vec<i64> = (0..=13).map(|n| s.wait_after(n)).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        );
        assert_eq!(s.wait_after(i64::MAX), 3600);
        let a = Rule::Address.schedule();
        assert_eq!(
            (
                a.wait_after(29),
                a.wait_after(30),
                a.wait_after(38),
                a.wait_after(39)
            ),
            (0, 1, 256, 300)
        );
    }

    #[test]
    fn a_wait_is_counted_from_the_last_failure_and_rounded_up() {
        let s = Rule::AccountAddress.schedule();
        assert_eq!(s.verdict(4, Some(at(100)), at(100)), Verdict::Admit);
        assert_eq!(s.verdict(5, Some(at(100)), at(100)), Verdict::Wait(30));
        let half = at(100) + time::Duration::milliseconds(29_500);
        assert_eq!(s.verdict(5, Some(at(100)), half), Verdict::Wait(1));
        assert_eq!(s.verdict(5, Some(at(100)), at(130)), Verdict::Admit);
        assert_eq!(s.verdict(6, Some(at(100)), at(130)), Verdict::Wait(30));
    }

    #[test]
    fn an_account_locks_at_nists_hundred_and_never_waits_before() {
        let s = Rule::Account.schedule();
        assert_eq!(s.verdict(99, Some(at(0)), at(0)), Verdict::Admit);
        assert_eq!(s.verdict(100, Some(at(0)), at(0)), Verdict::Locked);
        // Time alone never unlocks it.
        assert_eq!(
            s.verdict(100, Some(at(0)), at(365 * 24 * 3600)),
            Verdict::Locked
        );
    }

    #[test]
    fn an_address_is_forgiven_after_an_hour_without_failures() {
        let s = Rule::Address.schedule();
        assert_eq!(s.verdict(40, Some(at(0)), at(10)), Verdict::Wait(290));
        assert_eq!(s.verdict(40, Some(at(0)), at(3600)), Verdict::Admit);
        assert_eq!(s.counted(40, Some(at(0)), at(3600)), 0);
    }

    #[test]
    fn the_strictest_rule_decides() {
        use Verdict::*;
        assert_eq!(combine([Admit, Admit]), Admit);
        assert_eq!(combine([Admit, Wait(3), Wait(30)]), Wait(30));
        assert_eq!(combine([Wait(3), Locked, Admit]), Locked);
        assert_eq!(combine([]), Admit);
    }

    #[test]
    fn ipv6_guessers_are_counted_by_their_network() {
        assert_eq!(address_subject("192.0.2.7"), "192.0.2.7");
        assert_eq!(
            address_subject("2001:db8:1:2:aaaa::1"),
            address_subject("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(
            address_subject("2001:db8:1:2::1"),
            address_subject("2001:db8:1:3::1")
        );
        assert_eq!(address_subject("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_subject("unknown"), "unknown");
    }
}
