//! The background purge of clients that have outlived their use
//! (`DCR_UNUSED_CLIENT_TTL_SECS`, `DCR_IDLE_CLIENT_TTL_SECS`): every
//! `DCR_PURGE_INTERVAL_SECS`, in batches, as RFC 7592 DELETE removes a
//! client. Of several replicas on one Postgres, one purges at a time.

use std::time::Duration;

use dcr_store::{Expiry, Store, StoreError};

use crate::clock::unix_now;

/// Clients removed per statement: short transactions, whatever the backlog.
pub const BATCH: i64 = 500;

/// The lifetimes of clients: 0 keeps them forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub unused_ttl_secs: u64,
    pub idle_ttl_secs: u64,
}

impl Lifetimes {
    pub fn expiry_at(self, now: i64) -> Expiry {
        Expiry::at(now, self.unused_ttl_secs, self.idle_ttl_secs)
    }

    pub fn is_off(self) -> bool {
        self.unused_ttl_secs == 0 && self.idle_ttl_secs == 0
    }
}

/// Removes every expired client now, batch by batch; `None` when another
/// replica is purging. Blocking: run it off async threads.
pub fn purge_now(store: &Store, lifetimes: Lifetimes) -> Result<Option<usize>, StoreError> {
    let expiry = lifetimes.expiry_at(unix_now());
    let mut purged = 0;
    loop {
        match store.purge_expired(&expiry, BATCH)? {
            None => return Ok((purged > 0).then_some(purged)),
            Some(removed) => {
                purged += removed;
                if i64::try_from(removed).unwrap_or(i64::MAX) < BATCH {
                    return Ok(Some(purged));
                }
            }
        }
    }
}

/// Purges every `interval` until dropped (at shutdown).
pub async fn run(store: Store, lifetimes: Lifetimes, interval: Duration) {
    if lifetimes.is_off() {
        return std::future::pending().await;
    }
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = store.clone();
        match tokio::task::spawn_blocking(move || purge_now(&store, lifetimes)).await {
            Ok(Ok(Some(purged))) if purged > 0 => {
                log::info!("purged {purged} clients past their lifetime");
            }
            Ok(Ok(_)) => {}
            Ok(Err(err)) => log::warn!("could not purge expired clients: {err}"),
            Err(err) => log::warn!("the purge task failed: {err}"),
        }
    }
}
