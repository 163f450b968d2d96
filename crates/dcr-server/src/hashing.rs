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

use crate::error::ApiError;

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
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
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
            .map_err(|_| ApiError::Busy {
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
        outcome.map_err(|err| ApiError::internal("running a hashing task", err))
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

    fn join_line(&self) -> Result<QueueSlot<'_>, ApiError> {
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
            Err(_) => Err(ApiError::Busy {
                retry_after_secs: retry_after(refused_wait.unwrap_or(self.max_wait)),
            }),
        }
    }
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
mod tests {
    use super::*;

    fn pool(threads: usize, max_wait_ms: u64) -> HashingPool {
        HashingPool::new(
            threads,
            1000,
            Duration::from_millis(max_wait_ms),
            Duration::from_millis(1),
        )
    }

    fn cost(cost: u32) -> BcryptCost {
        BcryptCost::new(cost).unwrap()
    }

    #[test]
    fn the_estimate_is_the_line_times_the_time_per_item_over_the_threads() {
        let pool = pool(2, 2000);
        pool.micros_per_item.store(200_000, Ordering::Relaxed);
        // Free threads, nobody waiting: no wait.
        assert_eq!(pool.expected_wait(0), Duration::ZERO);
        let _busy = (
            pool.permits.clone().try_acquire_owned().unwrap(),
            pool.permits.clone().try_acquire_owned().unwrap(),
        );
        assert_eq!(pool.expected_wait(0), Duration::from_millis(200));
        assert_eq!(pool.expected_wait(1), Duration::from_millis(200));
        assert_eq!(pool.expected_wait(2), Duration::from_millis(400));
        assert_eq!(pool.expected_wait(19), Duration::from_millis(2000));
        assert_eq!(pool.expected_wait(20), Duration::from_millis(2200));
    }

    #[test]
    fn a_line_longer_than_the_wait_allows_is_refused_with_when_to_retry() {
        let pool = pool(1, 1000);
        pool.micros_per_item.store(300_000, Ordering::Relaxed);
        let _busy = pool.permits.clone().try_acquire_owned().unwrap();
        // 300 ms, 600 ms, 900 ms: admitted; the fourth would wait 1.2 s.
        let slots: Vec<_> = (0..3).map(|_| pool.join_line().unwrap()).collect();
        match pool.join_line() {
            Err(ApiError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 2),
            other => panic!("{other:?}"),
        }
        drop(slots);
        assert!(pool.join_line().is_ok());
    }

    /// Before any item has been timed, the line is held by the estimate
    /// from the configured cost: a burst at a fresh pool is not all admitted.
    #[test]
    fn a_fresh_pool_admits_by_its_first_estimate() {
        let pool = HashingPool::new(
            1,
            1000,
            Duration::from_millis(2000),
            first_estimate(cost(12)),
        );
        let _busy = pool.permits.clone().try_acquire_owned().unwrap();
        // 0.82 s and 1.64 s: admitted; the third would wait 2.46 s.
        let _slots: Vec<_> = (0..2).map(|_| pool.join_line().unwrap()).collect();
        match pool.join_line() {
            Err(ApiError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_first_estimate_doubles_with_each_cost_step() {
        assert_eq!(first_estimate(cost(4)), Duration::from_micros(3_200));
        assert_eq!(first_estimate(cost(12)), Duration::from_micros(819_200));
        assert_eq!(first_estimate(cost(13)), Duration::from_micros(1_638_400));
        assert!(first_estimate(cost(31)) > Duration::from_secs(86_400));
    }

    /// The calibration hash at start-up is the first measurement of every
    /// pool it is given, and it does not hold up the caller.
    #[test]
    fn calibration_replaces_the_first_estimate_of_each_pool() {
        let pools = [
            HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(60)),
            HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(60)),
        ];
        calibrate(cost(4), pools.to_vec());
        let deadline = Instant::now() + Duration::from_secs(30);
        while !pools
            .iter()
            .all(|pool| pool.measured.load(Ordering::Acquire))
        {
            assert!(Instant::now() < deadline, "calibration never finished");
            std::thread::sleep(Duration::from_millis(1));
        }
        for pool in &pools {
            let measured = pool.micros_per_item.load(Ordering::Relaxed);
            // A cost-4 hash: far under the minute assumed, and above zero.
            assert!(measured > 0 && measured < 60_000_000, "{measured}");
        }
    }

    #[test]
    fn the_slot_cap_holds_too() {
        let pool = HashingPool::new(1, 2, Duration::from_secs(3600), Duration::from_micros(1));
        let _busy = pool.permits.clone().try_acquire_owned().unwrap();
        let _a = pool.join_line().unwrap();
        let _b = pool.join_line().unwrap();
        assert!(matches!(pool.join_line(), Err(ApiError::Busy { .. })));
    }

    #[test]
    fn the_first_measurement_replaces_the_estimate_and_the_average_follows() {
        let pool = pool(1, 1000);
        pool.record(Duration::from_millis(200));
        assert_eq!(pool.micros_per_item.load(Ordering::Relaxed), 200_000);
        assert_eq!(pool.micros_deviation.load(Ordering::Relaxed), 100_000);
        pool.record(Duration::from_millis(400));
        assert_eq!(pool.micros_per_item.load(Ordering::Relaxed), 225_000);
        // 3/4 of 100 ms and 1/4 of the 200 ms difference.
        assert_eq!(pool.micros_deviation.load(Ordering::Relaxed), 125_000);
        // Steady items: the deviation fades, the average stays.
        for _ in 0..40 {
            pool.record(Duration::from_millis(225));
        }
        assert!(pool.micros_deviation.load(Ordering::Relaxed) < 1_000);
    }

    /// Admission counts items at their mean plus twice their deviation; the
    /// answer's Retry-After is from the mean.
    #[test]
    fn admission_allows_for_items_slower_than_the_mean() {
        let pool = pool(1, 1000);
        pool.micros_per_item.store(300_000, Ordering::Relaxed);
        pool.micros_deviation.store(100_000, Ordering::Relaxed);
        let _busy = pool.permits.clone().try_acquire_owned().unwrap();
        assert_eq!(pool.worst_wait(0), Duration::from_millis(500));
        assert_eq!(pool.expected_wait(1), Duration::from_millis(600));
        // Up to 0.5 s and 1 s: admitted; the third, up to 1.5 s, is refused
        // and told to retry in 1 s (0.9 s at the mean).
        let _slots: Vec<_> = (0..2).map(|_| pool.join_line().unwrap()).collect();
        match pool.join_line() {
            Err(ApiError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after(Duration::ZERO), 1);
        assert_eq!(retry_after(Duration::from_millis(1)), 1);
        assert_eq!(retry_after(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after(Duration::from_secs(33)), 33);
    }

    /// On shutdown, work waiting for a thread is answered at once; work
    /// already running finishes.
    #[tokio::test]
    async fn closing_refuses_waiting_work_and_lets_running_work_finish() {
        let pool = pool(1, 60_000);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let running = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    released.recv().unwrap();
                    "done"
                })
                .await
            })
        };
        while pool.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiting = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| "never").await })
        };
        while pool.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        pool.close();
        assert!(matches!(waiting.await.unwrap(), Err(ApiError::Busy { .. })));
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), "done");
    }
}
