//! A bounded pool for bcrypt. Hashing takes a core for tens of milliseconds, so
//! at most one hash per core runs at a time and a burst queues here (up to a
//! limit, then 503) instead of taking the threads that answer health checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct HashingPool {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

impl HashingPool {
    pub fn new(threads: usize, max_waiting: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(threads.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
        }
    }

    /// Runs `work` on a blocking thread once a hashing slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let queued = QueueSlot::take(&self.waiting, self.max_waiting).ok_or(ApiError::Busy)?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|closed| ApiError::internal("waiting for a hashing thread", closed))?;
        drop(queued);
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await;
        outcome.map_err(|err| ApiError::internal("running a hashing task", err))
    }
}

/// One place in the waiting line, given back when dropped (also when the
/// client goes away while waiting).
struct QueueSlot<'a>(&'a AtomicUsize);

impl<'a> QueueSlot<'a> {
    fn take(waiting: &'a AtomicUsize, max_waiting: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max_waiting).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(waiting))
    }
}

impl Drop for QueueSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
