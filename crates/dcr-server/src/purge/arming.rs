//! The arming of the never-used rule, as this process knows it. The rule
//! deletes nothing until the deployment shows that it reports the use of its
//! clients (a valid verify of a registered client, or a used report); the
//! database keeps when that first happened (`Store::arm_unused_purge`), for
//! every replica and restart.
//!
//! Each use asks to arm, so this must cost nothing once armed: a flag read
//! from the database at start-up, set after this process's one write, or
//! when a purge round finds that another replica armed it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use actix_web::web;
use dcr_store::{Store, StoreError};

use crate::database;
use crate::observability::metrics::Metrics;

/// Why the never-used rule deletes nothing yet, and the fix: the start-up
/// warning and `clients prune` say it.
pub const UNARMED: &str = "the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) deletes nothing yet: no registered client has passed a verify call or been reported used, so dcr cannot tell a working client from an abandoned one. A token endpoint that checks client credentials itself must report each use with POST /admin/used {\"client_id\": ...} (or check them with POST /admin/verify; the operators' path forms are POST /admin/clients/{client_id}/used and /verify); the first of either arms the rule, and never-used clients are then kept one lifetime from that moment";

const UNARMED_STATE: u8 = 0;
/// This process is writing the arming now: other uses do not write too.
const ARMING_STATE: u8 = 1;
const ARMED_STATE: u8 = 2;

/// Whether the never-used rule is armed; cloned into the verifier and the
/// purge task.
#[derive(Debug, Clone)]
pub struct Arming(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    state: AtomicU8,
    store: Store,
    metrics: Metrics,
    /// How long a use waits for the arming's write (`DCR_QUEUE_MAX_WAIT_MS`).
    patience: Duration,
}

impl Arming {
    /// `armed_at`: what the database said at start-up.
    pub fn new(store: Store, metrics: Metrics, armed_at: Option<i64>, patience: Duration) -> Self {
        let arming = Self(Arc::new(Inner {
            state: AtomicU8::new(UNARMED_STATE),
            store,
            metrics,
            patience,
        }));
        arming.observe(armed_at);
        arming
    }

    pub fn is_armed(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == ARMED_STATE
    }

    /// Arms the rule at `now`, unless this process knows it is armed: one
    /// write per process, one at a time (a use meanwhile does not wait for
    /// it). A failed write is tried again by the next use.
    pub async fn arm(&self, now: i64) -> Result<(), StoreError> {
        // Every valid verify comes here: once armed, one read and no more.
        if self.is_armed() {
            return Ok(());
        }
        let claimed = self.0.state.compare_exchange(
            UNARMED_STATE,
            ARMING_STATE,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if claimed.is_err() {
            return Ok(());
        }
        let inner = self.0.clone();
        // The state is settled on the blocking thread, so a request dropped
        // while waiting (or given up on) leaves no claim behind.
        let patience = self.0.patience;
        let written = database::wait_until(
            database::deadline(patience),
            patience,
            web::block(move || {
                let armed_at = inner.store.arm_unused_purge(now);
                let settled = if armed_at.is_ok() {
                    ARMED_STATE
                } else {
                    UNARMED_STATE
                };
                inner.state.store(settled, Ordering::Release);
                inner.metrics.set_unused_purge_armed(armed_at.is_ok());
                armed_at
            }),
        )
        .await?;
        match written {
            Ok(Ok(armed_at)) => {
                if armed_at == now {
                    log::info!(
                        "a client's use was reported: the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) is armed from now on"
                    );
                }
                Ok(())
            }
            Ok(Err(err)) => Err(err),
            Err(err) => {
                self.0.state.store(UNARMED_STATE, Ordering::Release);
                Err(StoreError::Other(
                    format!("arming the never-used rule: {err}").into(),
                ))
            }
        }
    }

    /// What the database says now (a purge round reads it): another replica
    /// may have armed the rule.
    pub fn observe(&self, armed_at: Option<i64>) {
        if armed_at.is_some() {
            self.0.state.store(ARMED_STATE, Ordering::Release);
        }
        self.0.metrics.set_unused_purge_armed(self.is_armed());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use dcr_store::test_support::TestDatabase;

    use super::*;

    /// Armed once, a process never writes again: with its store closed
    /// (every call fails), arming still succeeds. A failed write leaves the
    /// rule unarmed for the next use to try; a purge round's reading arms
    /// it without a write.
    #[tokio::test]
    async fn a_process_writes_the_arming_once() {
        let db = TestDatabase::sqlite();
        let store = db.store();
        let arming = Arming::new(store.clone(), Metrics::new(), None, Duration::from_secs(2));
        assert!(!arming.is_armed());
        arming.arm(1_800_000_000).await.unwrap();
        assert!(arming.is_armed());
        assert_eq!(store.unused_purge_armed_at().unwrap(), Some(1_800_000_000));

        assert!(store.close(Duration::from_secs(1)));
        arming.arm(1_800_000_100).await.unwrap();

        let another = Arming::new(store, Metrics::new(), None, Duration::from_secs(2));
        assert!(another.arm(1_800_000_200).await.is_err());
        assert!(!another.is_armed());
        assert!(another.arm(1_800_000_300).await.is_err(), "tried again");
        another.observe(Some(1_800_000_000));
        assert!(another.is_armed());
        another.arm(1_800_000_400).await.unwrap();
    }
}
