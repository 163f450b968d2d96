//! Group commit for registrations: registrations that arrive while another
//! batch is being written are stored together (`registrations.rs`: one
//! statement on Postgres), one round trip and one durable commit for the
//! whole batch instead of one each. The queue and its threads are
//! `batches.rs`'s.

use std::time::Instant;

use dcr_core::RegisteredClient;

use crate::batches::{BatchSizes, Batcher, Job, Purpose, QueueFull};
use crate::{Store, StoreError};

/// The writers' queue. Dropping every `ClientWriter` stops the writer threads
/// once the queue is empty, so queued registrations are still stored.
#[derive(Debug, Clone)]
pub struct ClientWriter {
    batcher: Batcher<RegisteredClient, ()>,
}

impl ClientWriter {
    /// Starts `threads` writer threads that take from a queue of `capacity`.
    pub fn start(store: &Store, threads: usize, capacity: usize) -> Result<Self, StoreError> {
        let purpose = Purpose {
            thread: "dcr-writer",
            worker: "registration writer",
            gave_up: "the registration waited in the write queue until its caller gave up",
        };
        Batcher::start(store, threads, capacity, write_batch, purpose)
            .map(|batcher| Self { batcher })
    }

    /// Queues `client` for storage; `reply` is called from a writer thread
    /// once the row is committed or has failed.
    pub fn submit(
        &self,
        client: RegisteredClient,
        reply: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) -> Result<(), QueueFull> {
        self.batcher.submit(client, None, Box::new(reply))
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
        self.batcher.submit(client, Some(deadline), Box::new(reply))
    }

    /// The sizes of the batches written so far (for `/metrics`).
    pub fn batch_sizes(&self) -> BatchSizes {
        self.batcher.batch_sizes()
    }
}

fn write_batch(store: &Store, batch: Vec<Job<RegisteredClient, ()>>) {
    let clients: Vec<&RegisteredClient> = batch.iter().map(|job| &job.item).collect();
    match store.insert_clients(&clients) {
        Ok(()) => {
            for job in batch {
                (job.reply)(Ok(()));
            }
        }
        // One bad row must not fail its neighbours: store them one by one
        // so each caller hears about its own row. A batch that failed as
        // unavailable may have committed before its connection was lost
        // (a primary killed between its commit and its answer, seen again
        // once a standby is promoted): its rows are then found stored, not
        // refused as duplicates.
        Err(err) if batch.len() > 1 => {
            let may_be_stored = matches!(err, StoreError::Unavailable(_));
            for job in batch {
                let outcome = if may_be_stored {
                    store.insert_client_again(&job.item)
                } else {
                    store.insert_client(&job.item)
                };
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
