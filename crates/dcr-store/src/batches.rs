//! Threads that serve a queue in batches: whatever queued up while the
//! previous batch was at the database goes in the next one, so concurrent
//! callers share one round trip. Alone, a job is done at once, so batching
//! adds no latency. The registration writers (`writer.rs`) and the verify
//! call's readers (`reader.rs`) are two such queues.
//!
//! A thread whose database stops answering without closing its connection
//! (a frozen server) waits for it, possibly for good. When every thread of
//! a queue has waited longer than the store's stuck limit, the next job
//! starts one more (up to four times the configured number), so that once a
//! standby is promoted the queue is served again without a restart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{Store, StoreError};

/// Most jobs in one batch: 64 rows x 20 columns stays far below the bind
/// parameter limits of Postgres (65,535) and SQLite (32,766).
pub const MAX_BATCH: usize = 64;

/// The upper bounds of the batch-size buckets: powers of two up to
/// [`MAX_BATCH`].
pub const BATCH_SIZE_BOUNDS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];

/// What a caller hears once its job is done (or not).
pub(crate) type Reply<R> = Box<dyn FnOnce(Result<R, StoreError>) + Send>;

pub(crate) struct Job<T, R> {
    pub(crate) item: T,
    pub(crate) reply: Reply<R>,
    /// When its caller stops waiting: a job still queued then is dropped.
    pub(crate) deadline: Option<Instant>,
}

/// What a queue's threads do with a batch: answer every job's reply.
pub(crate) type Work<T, R> = fn(&Store, Vec<Job<T, R>>);

/// What a queue is for, in its threads' names and its messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Purpose {
    /// The threads' name, before their number (`dcr-writer`).
    pub(crate) thread: &'static str,
    /// Who waits, for the warning about stuck threads ("registration writer").
    pub(crate) worker: &'static str,
    /// Why a job that waited too long was dropped.
    pub(crate) gave_up: &'static str,
}

/// A queue and its threads. Dropping every handle stops the threads once the
/// queue is empty, so queued jobs are still done.
pub(crate) struct Batcher<T, R> {
    /// Boxed: the channel reserves room for its whole capacity up front, and
    /// a job may be hundreds of bytes, a box one pointer.
    jobs: SyncSender<Box<Job<T, R>>>,
    threads: Arc<Threads<T, R>>,
}

/// Named by what its threads do; the queue and the jobs are not shown.
impl<T, R> std::fmt::Debug for Batcher<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("worker", &self.threads.purpose.worker)
            .finish_non_exhaustive()
    }
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
            threads: self.threads.clone(),
        }
    }
}

/// The threads: the queue they share, and since when each has been at the
/// database (`None`: waiting for work).
struct Threads<T, R> {
    store: Store,
    queue: Mutex<Receiver<Box<Job<T, R>>>>,
    busy_since: Mutex<Vec<Option<Instant>>>,
    most: usize,
    stuck_after: Duration,
    batches: BatchCounts,
    work: Work<T, R>,
    purpose: Purpose,
}

/// The queue is full: the database is not keeping up, so the caller should
/// shed load (503) rather than wait without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the database work queue is full")]
pub struct QueueFull;

/// How many jobs each batch carried, counted as the threads go: whether jobs
/// arrive fast enough, and the threads are few enough, for batching to
/// group anything.
#[derive(Debug, Default)]
struct BatchCounts {
    /// Batches per bucket of [`BATCH_SIZE_BOUNDS`] (not cumulative).
    per_bucket: [AtomicU64; BATCH_SIZE_BOUNDS.len()],
    rows: AtomicU64,
}

/// The batch sizes so far, as a histogram's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchSizes {
    /// Batches whose size was at most the bound of the same index in
    /// [`BATCH_SIZE_BOUNDS`] and above the one before it.
    pub per_bucket: [u64; BATCH_SIZE_BOUNDS.len()],
    /// Jobs done (the histogram's sum).
    pub rows: u64,
}

impl BatchSizes {
    /// Batches counted (the histogram's count).
    pub fn writes(&self) -> u64 {
        self.per_bucket.iter().sum()
    }
}

impl BatchCounts {
    fn count(&self, size: usize) {
        let size = u64::try_from(size).unwrap_or(u64::MAX);
        let bucket = BATCH_SIZE_BOUNDS
            .iter()
            .position(|bound| size <= *bound)
            .unwrap_or(BATCH_SIZE_BOUNDS.len() - 1);
        self.per_bucket[bucket].fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(size, Ordering::Relaxed);
    }

    fn read(&self) -> BatchSizes {
        BatchSizes {
            per_bucket: std::array::from_fn(|bucket| {
                self.per_bucket[bucket].load(Ordering::Relaxed)
            }),
            rows: self.rows.load(Ordering::Relaxed),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts `threads` threads that take from a queue of `capacity` and do
    /// each batch with `work`.
    pub(crate) fn start(
        store: &Store,
        threads: usize,
        capacity: usize,
        work: Work<T, R>,
        purpose: Purpose,
    ) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::sync_channel(capacity.max(1));
        let shared = Arc::new(Threads {
            store: store.clone(),
            queue: Mutex::new(queue),
            busy_since: Mutex::default(),
            most: threads.max(1) * 4,
            stuck_after: store.stuck_after(),
            batches: BatchCounts::default(),
            work,
            purpose,
        });
        for _ in 0..threads.max(1) {
            Threads::spawn(&shared)?;
        }
        Ok(Self {
            jobs,
            threads: shared,
        })
    }

    /// Queues `item`; `reply` is called from one of the threads once it is
    /// done, or with `Unavailable` if no thread took it by `deadline`.
    pub(crate) fn submit(
        &self,
        item: T,
        deadline: Option<Instant>,
        reply: Reply<R>,
    ) -> Result<(), QueueFull> {
        let job = Box::new(Job {
            item,
            reply,
            deadline,
        });
        match self.jobs.try_send(job) {
            Ok(()) => {
                self.threads.replace_stuck();
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(QueueFull),
            Err(TrySendError::Disconnected(job)) => {
                (job.reply)(Err(StoreError::Other(
                    format!("the {} threads have stopped", self.threads.purpose.worker).into(),
                )));
                Ok(())
            }
        }
    }

    /// The sizes of the batches so far (for `/metrics`).
    pub(crate) fn batch_sizes(&self) -> BatchSizes {
        self.threads.batches.read()
    }
}

impl<T: Send + 'static, R: Send + 'static> Threads<T, R> {
    fn spawn(threads: &Arc<Self>) -> Result<(), StoreError> {
        let index = {
            let mut busy_since = lock(&threads.busy_since);
            busy_since.push(None);
            busy_since.len() - 1
        };
        let shared = threads.clone();
        std::thread::Builder::new()
            .name(format!("{}-{index}", threads.purpose.thread))
            .spawn(move || shared.serve(index))
            .map(drop)
            .map_err(|err| {
                StoreError::Other(crate::error::Cause::while_doing(
                    "could not start a database thread",
                    err,
                ))
            })
    }

    /// Starts one more thread if every one has been at the database for
    /// longer than the stuck limit: an answer that late will most likely
    /// never come.
    fn replace_stuck(self: &Arc<Self>) {
        let all_stuck = {
            let busy_since = lock(&self.busy_since);
            busy_since.len() < self.most
                && busy_since
                    .iter()
                    .all(|since| since.is_some_and(|at| at.elapsed() >= self.stuck_after))
        };
        if all_stuck {
            log::warn!(
                "every {} has waited more than {} ms for the database (a frozen server?); starting another",
                self.purpose.worker,
                self.stuck_after.as_millis()
            );
            if let Err(err) = Self::spawn(self) {
                log::warn!("{err}");
            }
        }
    }

    fn serve(&self, index: usize) {
        while let Some(batch) = next_batch(&self.queue) {
            let now = Instant::now();
            let (batch, expired): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .partition(|job: &Job<T, R>| job.deadline.is_none_or(|deadline| deadline > now));
            for job in expired {
                (job.reply)(Err(StoreError::Unavailable(self.purpose.gave_up.into())));
            }
            if batch.is_empty() {
                continue;
            }
            lock(&self.busy_since)[index] = Some(now);
            self.batches.count(batch.len());
            // Nor is a batch done once all its callers have stopped waiting
            // for a connection to do it on.
            let last_caller_waits_until = batch
                .iter()
                .map(|job| job.deadline)
                .try_fold(now, |latest, deadline| deadline.map(|at| at.max(latest)));
            match last_caller_waits_until {
                Some(deadline) => self
                    .store
                    .run_by(deadline, |store| (self.work)(store, batch)),
                None => (self.work)(&self.store, batch),
            }
            lock(&self.busy_since)[index] = None;
        }
    }
}

/// Waits for one job, then takes whatever else is already queued, up to
/// `MAX_BATCH`. `None` once every sender is gone and the queue is empty.
fn next_batch<T, R>(queue: &Mutex<Receiver<Box<Job<T, R>>>>) -> Option<Vec<Job<T, R>>> {
    let receiver = lock(queue);
    let first = receiver.recv().ok()?;
    let mut batch = vec![*first];
    while batch.len() < MAX_BATCH {
        match receiver.try_recv() {
            Ok(job) => batch.push(*job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// A thread that panicked while holding the lock left the queue itself intact.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
