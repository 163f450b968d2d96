//! Group commit for registrations. Registrations that arrive while another
//! batch is being written are stored together, in one multi-row INSERT: one
//! round trip and one durable commit for the whole batch instead of one each.
//! Alone, a registration is written at once, so batching adds no latency.
//!
//! A writer whose database stops answering without closing its connection
//! (a frozen server) waits for it, possibly for good. When every writer has
//! waited longer than the store's stuck limit, the next registration starts
//! one more (up to four times the configured number), so that once a
//! standby is promoted registrations are written again without a restart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dcr_core::RegisteredClient;

use crate::{Store, StoreError};

/// Most rows in one INSERT: 64 rows x 12 columns stays far below the bind
/// parameter limits of Postgres (65,535) and SQLite (32,766).
pub const MAX_BATCH: usize = 64;

/// The upper bounds of the batch-size buckets: powers of two up to
/// [`MAX_BATCH`].
pub const BATCH_SIZE_BOUNDS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];

/// What the caller hears once its client is stored (or not).
pub type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct Job {
    client: RegisteredClient,
    reply: Reply,
    /// When its caller stops waiting: a job still queued then is dropped.
    deadline: Option<Instant>,
}

/// The writers' queue. Dropping every `ClientWriter` stops the writer threads
/// once the queue is empty, so queued registrations are still stored.
#[derive(Clone)]
pub struct ClientWriter {
    /// Boxed: the channel reserves room for its whole capacity up front, and
    /// a job is hundreds of bytes (the client), a box one pointer.
    jobs: SyncSender<Box<Job>>,
    writers: Arc<Writers>,
}

/// The writer threads: the queue they share, and since when each has been
/// writing (`None`: waiting for work).
struct Writers {
    store: Store,
    queue: Mutex<Receiver<Box<Job>>>,
    busy_since: Mutex<Vec<Option<Instant>>>,
    most: usize,
    stuck_after: Duration,
    batches: BatchCounts,
}

/// How many rows each write carried, counted as the writers go: whether
/// registrations arrive fast enough, and the writers are few enough, for
/// the group commit to group anything.
#[derive(Debug, Default)]
struct BatchCounts {
    /// Writes per bucket of [`BATCH_SIZE_BOUNDS`] (not cumulative).
    per_bucket: [AtomicU64; BATCH_SIZE_BOUNDS.len()],
    rows: AtomicU64,
}

/// The batch sizes written so far, as a histogram's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchSizes {
    /// Writes whose size was at most the bound of the same index in
    /// [`BATCH_SIZE_BOUNDS`] and above the one before it.
    pub per_bucket: [u64; BATCH_SIZE_BOUNDS.len()],
    /// Rows written (the histogram's sum).
    pub rows: u64,
}

impl BatchSizes {
    /// Writes counted (the histogram's count).
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

impl std::fmt::Debug for ClientWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientWriter").finish_non_exhaustive()
    }
}

/// The queue is full: the database is not keeping up, so the caller should
/// shed load (503) rather than wait without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the registration write queue is full")]
pub struct QueueFull;

impl ClientWriter {
    /// Starts `threads` writer threads that take from a queue of `capacity`.
    pub fn start(store: &Store, threads: usize, capacity: usize) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::sync_channel(capacity.max(1));
        let writers = Arc::new(Writers {
            store: store.clone(),
            queue: Mutex::new(queue),
            busy_since: Mutex::default(),
            most: threads.max(1) * 4,
            stuck_after: store.stuck_after(),
            batches: BatchCounts::default(),
        });
        for _ in 0..threads.max(1) {
            Writers::spawn(&writers)?;
        }
        Ok(Self { jobs, writers })
    }

    /// Queues `client` for storage; `reply` is called from a writer thread
    /// once the row is committed or has failed.
    pub fn submit(
        &self,
        client: RegisteredClient,
        reply: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) -> Result<(), QueueFull> {
        self.queue(client, None, Box::new(reply))
    }

    /// Like `submit`, for a caller that waits until `deadline` and no
    /// longer: if no writer has taken the client by then, it is not stored,
    /// and `reply` hears `Unavailable`.
    pub fn submit_by(
        &self,
        client: RegisteredClient,
        deadline: Instant,
        reply: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) -> Result<(), QueueFull> {
        self.queue(client, Some(deadline), Box::new(reply))
    }

    /// The sizes of the batches written so far (for `/metrics`).
    pub fn batch_sizes(&self) -> BatchSizes {
        self.writers.batches.read()
    }

    fn queue(
        &self,
        client: RegisteredClient,
        deadline: Option<Instant>,
        reply: Reply,
    ) -> Result<(), QueueFull> {
        let job = Box::new(Job {
            client,
            reply,
            deadline,
        });
        match self.jobs.try_send(job) {
            Ok(()) => {
                self.writers.replace_stuck();
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(QueueFull),
            Err(TrySendError::Disconnected(job)) => {
                (job.reply)(Err(StoreError::Other(
                    "the writer threads have stopped".into(),
                )));
                Ok(())
            }
        }
    }
}

impl Writers {
    fn spawn(writers: &Arc<Self>) -> Result<(), StoreError> {
        let index = {
            let mut busy_since = lock(&writers.busy_since);
            busy_since.push(None);
            busy_since.len() - 1
        };
        let shared = writers.clone();
        std::thread::Builder::new()
            .name(format!("dcr-writer-{index}"))
            .spawn(move || shared.write_batches(index))
            .map(drop)
            .map_err(|err| {
                StoreError::Other(crate::error::Cause::while_doing(
                    "could not start a writer thread",
                    err,
                ))
            })
    }

    /// Starts one more writer if every one has been writing for longer than
    /// the stuck limit: an answer that late will most likely never come.
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
                "every registration writer has waited more than {} ms for the database (a frozen server?); starting another",
                self.stuck_after.as_millis()
            );
            if let Err(err) = Self::spawn(self) {
                log::warn!("{err}");
            }
        }
    }

    fn write_batches(&self, index: usize) {
        while let Some(batch) = next_batch(&self.queue) {
            let now = Instant::now();
            let (batch, expired): (Vec<Job>, Vec<Job>) = batch
                .into_iter()
                .partition(|job| job.deadline.is_none_or(|deadline| deadline > now));
            for job in expired {
                (job.reply)(Err(StoreError::Unavailable(
                    "the registration waited in the write queue until its caller gave up".into(),
                )));
            }
            if batch.is_empty() {
                continue;
            }
            lock(&self.busy_since)[index] = Some(now);
            self.batches.count(batch.len());
            // Nor is a batch stored once all its callers have stopped
            // waiting for a connection to store it on.
            let last_caller_waits_until = batch
                .iter()
                .map(|job| job.deadline)
                .try_fold(now, |latest, deadline| deadline.map(|at| at.max(latest)));
            match last_caller_waits_until {
                Some(deadline) => self
                    .store
                    .run_by(deadline, |store| write_batch(store, batch)),
                None => write_batch(&self.store, batch),
            }
            lock(&self.busy_since)[index] = None;
        }
    }
}

fn write_batch(store: &Store, batch: Vec<Job>) {
    let clients: Vec<&RegisteredClient> = batch.iter().map(|job| &job.client).collect();
    match store.insert_clients(&clients) {
        Ok(()) => {
            for job in batch {
                (job.reply)(Ok(()));
            }
        }
        // One bad row must not fail its neighbours: store them one by one
        // so each caller hears about its own row.
        Err(_) if batch.len() > 1 => {
            for job in batch {
                let outcome = store.insert_client(&job.client);
                (job.reply)(outcome);
            }
        }
        Err(err) => {
            for job in batch {
                (job.reply)(Err(err.clone()));
            }
        }
    }
}

/// Waits for one job, then takes whatever else is already queued, up to
/// `MAX_BATCH`. `None` once every sender is gone and the queue is empty.
fn next_batch(queue: &Mutex<Receiver<Box<Job>>>) -> Option<Vec<Job>> {
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

/// A writer that panicked while holding the lock left the queue itself intact.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
