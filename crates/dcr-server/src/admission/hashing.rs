//! A bounded pool for bcrypt. Hashing takes a core for tens of milliseconds, so
//! at most one hash per thread runs at a time, off the HTTP workers.
//!
//! Work is admitted by the wait it would have, not by a count of slots: a
//! request joins the line only if the work ahead of it (the line, times the
//! measured time per item, divided by the threads) would be done within
//! `DCR_QUEUE_MAX_WAIT_MS`; otherwise it is answered 503 at once, with a
//! `Retry-After` from the same estimate. Admission is a promise, so it counts
//! each item at its mean time plus twice its mean deviation (the way TCP
//! sets a retransmission timeout, RFC 6298): when other work on the machine
//! makes hashes slower now and then, a line admitted at the mean alone
//! would overrun the wait. `Retry-After` is advice, from the mean. A request answered after its client
//! gave up (Claude waits 10 s) would be work for nobody. On shutdown the line
//! is closed: work that has not started is answered 503 at once, and only
//! work already running finishes.
//!
//! The estimate exists before the first request: a pool starts from a
//! pessimistic figure for the configured bcrypt cost (`first_estimate`), and
//! one hash timed at start-up (`calibrate`, on a thread of its own, so
//! neither binding nor `/readyz` waits for it) replaces that figure with this
//! machine's. Without it, a fresh server would admit every request of a burst
//! until its first hash finished, and answer the last of them long after
//! their clients gave up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dcr_core::{BcryptCost, ClientSecret};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct HashingPool {
    permits: Arc<Semaphore>,
    threads: usize,
    waiting: Arc<AtomicUsize>,
    /// A hard cap on the line besides the wait (`DCR_BCRYPT_QUEUE`).
    max_waiting: usize,
    max_wait: Duration,
    /// Moving average of the time one item takes, in microseconds; until
    /// the first measurement, the first estimate.
    micros_per_item: Arc<AtomicU64>,
    /// Moving average of how far an item's time is from that average.
    micros_deviation: Arc<AtomicU64>,
    /// Whether `micros_per_item` holds a measurement yet (the first one
    /// replaces the estimate rather than averaging with it).
    measured: Arc<AtomicBool>,
    /// Where each task's time is also recorded, for metrics.
    timings: Option<prometheus::Histogram>,
}

impl HashingPool {
    /// A pool whose admission, until an item has been timed, assumes each
    /// item takes `first_estimate` (see `first_estimate` for bcrypt).
    pub fn new(
        threads: usize,
        max_waiting: usize,
        max_wait: Duration,
        first_estimate: Duration,
    ) -> Self {
        let threads = threads.max(1);
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            threads,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            max_wait,
            micros_per_item: Arc::new(AtomicU64::new(micros(first_estimate))),
            micros_deviation: Arc::new(AtomicU64::new(0)),
            measured: Arc::new(AtomicBool::new(false)),
            timings: None,
        }
    }

    /// Records each task's time in `histogram` too.
    #[must_use]
    pub fn timed_by(mut self, histogram: prometheus::Histogram) -> Self {
        self.timings = Some(histogram);
        self
    }

    /// Tasks waiting for a thread.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Tasks running now.
    pub fn running(&self) -> usize {
        self.threads
            .saturating_sub(self.permits.available_permits())
    }

    /// Runs `work` on a blocking thread once a hashing thread is free, if the
    /// wait for one is short enough.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashingError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let queued = self.join_line()?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            // Closed: the server is stopping and this work has not started.
            .map_err(|_| HashingError::Busy {
                retry_after_secs: 1,
            })?;
        drop(queued);
        let pool = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let started = Instant::now();
            let result = work();
            let took = started.elapsed();
            pool.record(took);
            if let Some(timings) = &pool.timings {
                timings.observe(took.as_secs_f64());
            }
            result
        })
        .await;
        outcome.map_err(HashingError::Failed)
    }

    /// Work not yet started is refused from now on; running work finishes.
    pub fn close(&self) {
        self.permits.close();
    }

    /// Takes `took` as the time of one item, as RFC 6298 section 2 takes a
    /// round-trip time: the first measurement replaces the first estimate
    /// (with half of it as deviation), later ones move the deviation by a
    /// quarter and the average by an eighth of the difference, so the
    /// estimate follows a changed cost or load within a few items. Two items
    /// finishing at the same instant may lose one update: an estimate.
    fn record(&self, took: Duration) {
        let sample = micros(took).max(1);
        if !self.measured.swap(true, Ordering::AcqRel) {
            self.micros_per_item.store(sample, Ordering::Relaxed);
            self.micros_deviation.store(sample / 2, Ordering::Relaxed);
            return;
        }
        let mean = self.micros_per_item.load(Ordering::Relaxed);
        let deviation = self.micros_deviation.load(Ordering::Relaxed);
        self.micros_deviation.store(
            deviation - deviation / 4 + mean.abs_diff(sample) / 4,
            Ordering::Relaxed,
        );
        self.micros_per_item
            .store(mean - mean / 8 + sample / 8, Ordering::Relaxed);
    }

    /// The wait a new item would have, from the line ahead of it, with each
    /// item at its mean time.
    fn expected_wait(&self, ahead: usize) -> Duration {
        self.wait_at(ahead, self.micros_per_item.load(Ordering::Relaxed))
    }

    /// The wait a new item would have with each item at its mean time plus
    /// twice its deviation: what admission promises.
    fn worst_wait(&self, ahead: usize) -> Duration {
        let mean = self.micros_per_item.load(Ordering::Relaxed);
        let deviation = self.micros_deviation.load(Ordering::Relaxed);
        self.wait_at(ahead, mean.saturating_add(deviation.saturating_mul(2)))
    }

    fn wait_at(&self, ahead: usize, micros_per_item: u64) -> Duration {
        // Every thread busy and `ahead` waiting: the new item starts once
        // `ahead + 1` items have finished, `threads` at a time.
        if self.permits.available_permits() > 0 && ahead == 0 {
            return Duration::ZERO;
        }
        let rounds = u32::try_from(ahead / self.threads + 1).unwrap_or(u32::MAX);
        Duration::from_micros(micros_per_item).saturating_mul(rounds)
    }

    fn join_line(&self) -> Result<QueueSlot<'_>, HashingError> {
        let mut refused_wait = None;
        let joined = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |ahead| {
                if ahead >= self.max_waiting || self.worst_wait(ahead) > self.max_wait {
                    refused_wait = Some(self.expected_wait(ahead));
                    None
                } else {
                    Some(ahead + 1)
                }
            });
        match joined {
            Ok(_) => Ok(QueueSlot(&self.waiting)),
            Err(_) => Err(HashingError::Busy {
                retry_after_secs: retry_after(refused_wait.unwrap_or(self.max_wait)),
            }),
        }
    }
}

/// Why hashing work was not done.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// The wait for a thread would be too long, or the server is stopping:
    /// retry after this many seconds.
    #[error("the hashing line is full; retry in {retry_after_secs} seconds")]
    Busy { retry_after_secs: u64 },
    /// The task itself failed (a panic on its thread).
    #[error("running a hashing task: {0}")]
    Failed(#[source] tokio::task::JoinError),
}

/// Whole seconds, rounded up, at least one.
fn retry_after(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A pessimistic time for one bcrypt hash at cost 0; each cost step doubles
/// it. 200 µs puts cost 12 at 820 ms: a current server core takes about
/// 210 ms, but the first hashes of a burst at start-up share the cores with
/// the start-up hash and each other, and took 600 to 900 ms on a busy
/// two-CPU machine. Too long an estimate only refuses a little early until
/// the first hash is timed; too short a one lets a cold server admit more
/// than it can answer in time.
const PESSIMISTIC_MICROS_AT_COST_ZERO: u64 = 200;

/// The time one item is assumed to take before any has been timed.
pub fn first_estimate(cost: BcryptCost) -> Duration {
    Duration::from_micros(PESSIMISTIC_MICROS_AT_COST_ZERO.saturating_mul(1_u64 << cost.get()))
}

/// The highest cost calibration hashes at; a higher cost is timed here and
/// scaled (bcrypt's time doubles with each step), so a cost of 31 does not
/// spend a day of a core at start-up.
const CALIBRATION_MAX_COST: u32 = 13;

/// Times one bcrypt hash at `cost` on a thread of its own and gives the
/// time to each pool as its first measurement. Returns at once: neither
/// binding the listeners nor `/readyz` waits for it, and until it is done
/// the pools keep their first estimate.
pub fn calibrate(cost: BcryptCost, pools: Vec<HashingPool>) {
    let spawned = std::thread::Builder::new()
        .name("dcr-bcrypt-calibration".to_owned())
        .spawn(move || {
            let timed = BcryptCost::new(cost.get().min(CALIBRATION_MAX_COST)).unwrap_or(cost);
            let secret = ClientSecret::generate(&mut OsRng);
            let started = Instant::now();
            if secret.hash(timed, &mut OsRng).is_err() {
                log::warn!("could not time a bcrypt hash; admission keeps its first estimate");
                return;
            }
            let took = started
                .elapsed()
                .saturating_mul(1_u32 << (cost.get() - timed.get()));
            log::info!(
                "one bcrypt hash at cost {} takes {} ms here",
                cost.get(),
                took.as_millis()
            );
            for pool in &pools {
                pool.record(took);
            }
        });
    if let Err(err) = spawned {
        log::warn!("could not start timing bcrypt ({err}); admission keeps its first estimate");
    }
}

/// One place in the waiting line, given back when dropped (also when the
/// client goes away while waiting).
#[derive(Debug)]
struct QueueSlot<'a>(&'a AtomicUsize);

impl Drop for QueueSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
