//! The bound on password hashing: at most a fixed number of argon2 computations run at once in
//! one server, whatever its callers do.
//!
//! Each argon2id computation with the crate's default parameters holds 19 MiB for tens of
//! milliseconds. Without a bound, a flood of parallel sign-ins started one computation per
//! request on the blocking pool (up to 512 threads), about 19 MiB each: hundreds of requests
//! were gigabytes. [`HashGate`] hands out `slots` permits (by default one per CPU: more would
//! only share the CPUs and hold more memory). A request that finds more than
//! [`QUEUE_PER_SLOT`] × `slots` others already waiting, or that waits longer than `max_wait`
//! for a slot, gets [`StoreError::Busy`] and the client is told to retry: the queue is bounded
//! in length and in time, and so is memory.
//!
//! The computations run on `slots` threads of the gate's own, not on tokio's blocking pool:
//! the allocator keeps a 19 MiB block cached per thread that ever hashed, and the blocking pool
//! grows a new thread whenever a task arrives before the last one's thread is idle again (15
//! threads and 480 MiB resident after a flood of 200 sign-ins with two permits, against about
//! 120 MiB on threads of our own). The permit travels into the job and is
//! released when the computation ends, not when the request ends: a client that hangs up
//! mid-hash cannot free its slot early and let a further computation start beside its own.

use crate::{Result, StoreError};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::Semaphore;

/// A computation handed to the gate's threads.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// How many requests may wait per slot before further ones are turned away at once. A waiting
/// request holds no hash memory and no database connection, only its task; at about 20 ms per
/// verification on one core (release build), 128 waiting per slot clear in under three seconds,
/// within the default wait.
pub const QUEUE_PER_SLOT: usize = 128;

/// How long a request waits for a slot by default before it is turned away.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);

/// What the gate has done since the server started: for operators, and for tests that prove
/// the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingStats {
    /// The most computations allowed at once.
    pub slots: usize,
    /// Computations finished (sign-ins verified, passwords hashed).
    pub completed: u64,
    /// The most computations that ever ran at once (never more than `slots`).
    pub peak_running: usize,
    /// Requests turned away because the queue was full or the wait too long.
    pub turned_away: u64,
}

/// Counts the permits of a bounded pool of password computations.
pub(crate) struct HashGate {
    semaphore: Arc<Semaphore>,
    slots: usize,
    max_wait: Duration,
    waiting: AtomicUsize,
    running: Arc<AtomicUsize>,
    peak_running: Arc<AtomicUsize>,
    completed: Arc<AtomicU64>,
    turned_away: AtomicU64,
    /// Where jobs go to the gate's threads; dropping the gate closes it and the threads end.
    jobs: mpsc::Sender<Job>,
}

/// Decrements a counter when dropped, so a request cancelled while waiting leaves the queue.
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HashGate {
    /// A gate of `slots` permits (at least one) whose requests wait at most `max_wait`.
    pub(crate) fn new(slots: usize, max_wait: Duration) -> HashGate {
        let slots = slots.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut started = 0;
        for i in 0..slots {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("scaleup-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take a job, never while running one.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panicking job must not take its thread (and so a slot) with it;
                        // its caller sees the dropped reply as an internal error.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => {
                    tracing::error!(error = %e, "could not start a password-hashing thread")
                }
            }
        }
        // One permit per thread that runs: a permit never waits for a thread, and with no
        // thread at all every sign-in is turned away (503) instead of waiting for ever.
        let slots = started;
        HashGate {
            jobs,
            semaphore: Arc::new(Semaphore::new(slots)),
            slots,
            max_wait,
            waiting: AtomicUsize::new(0),
            running: Arc::new(AtomicUsize::new(0)),
            peak_running: Arc::new(AtomicUsize::new(0)),
            completed: Arc::new(AtomicU64::new(0)),
            turned_away: AtomicU64::new(0),
        }
    }

    /// One slot per CPU the process may use.
    pub(crate) fn for_this_machine() -> HashGate {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        HashGate::new(cpus, DEFAULT_MAX_WAIT)
    }

    /// Seconds a turned-away client should wait before trying again: the longest a request
    /// waits here, at least one second.
    fn retry_after_seconds(&self) -> u64 {
        self.max_wait.as_secs().max(1)
    }

    fn busy(&self) -> StoreError {
        self.turned_away.fetch_add(1, Ordering::Relaxed);
        StoreError::Busy {
            retry_after_seconds: self.retry_after_seconds(),
        }
    }

    /// Runs `work` (an argon2 computation) on the blocking pool once a slot is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let permit = {
            if self.waiting.fetch_add(1, Ordering::SeqCst) >= QUEUE_PER_SLOT * self.slots {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return Err(self.busy());
            }
            let _leave = Leave(&self.waiting);
            match tokio::time::timeout(self.max_wait, self.semaphore.clone().acquire_owned()).await
            {
                Ok(Ok(permit)) => permit,
                // The semaphore is never closed; treat it like a full queue all the same.
                Ok(Err(_)) | Err(_) => return Err(self.busy()),
            }
        };
        let running = self.running.clone();
        let peak = self.peak_running.clone();
        let completed = self.completed.clone();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            running.fetch_sub(1, Ordering::SeqCst);
            completed.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            // The caller may have gone (the client hung up); the result is simply dropped.
            let _ = reply.send(out);
        });
        let failed = || StoreError::Internal("password hashing task failed".into());
        self.jobs.send(job).map_err(|_| failed())?;
        answer.await.map_err(|_| failed())
    }

    pub(crate) fn stats(&self) -> HashingStats {
        HashingStats {
            slots: self.slots,
            completed: self.completed.load(Ordering::SeqCst),
            peak_running: self.peak_running.load(Ordering::SeqCst),
            turned_away: self.turned_away.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flood of the issue: many parallel computations, never more than the slots at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_flood_never_runs_more_computations_than_slots() {
        let gate = Arc::new(HashGate::new(2, Duration::from_secs(30)));
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.run(|| std::thread::sleep(Duration::from_millis(5)))
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let stats = gate.stats();
        assert_eq!(stats.completed, 40);
        assert_eq!(stats.peak_running, 2, "{stats:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_waiting_too_long_is_turned_away_with_a_retry_time() {
        let gate = Arc::new(HashGate::new(1, Duration::from_millis(50)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move || hold.recv().ok()).await })
        };
        // Wait until the first computation holds the only slot.
        while gate.running.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let refused = gate.run(|| ()).await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Busy {
                    retry_after_seconds: 1
                })
            ),
            "{refused:?}"
        );
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        assert_eq!(gate.stats().turned_away, 1);
        // The slot is free again.
        gate.run(|| ()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_turns_requests_away_at_once() {
        let gate = Arc::new(HashGate::new(1, Duration::from_secs(60)));
        gate.waiting.store(QUEUE_PER_SLOT, Ordering::SeqCst);
        let started = std::time::Instant::now();
        assert!(matches!(
            gate.run(|| ()).await,
            Err(StoreError::Busy { .. })
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(gate.waiting.load(Ordering::SeqCst), QUEUE_PER_SLOT);
    }
}
