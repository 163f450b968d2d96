//! The background purge of clients that have outlived their use
//! (`DCR_UNUSED_CLIENT_TTL_SECS`, `DCR_IDLE_CLIENT_TTL_SECS`): every
//! `DCR_PURGE_INTERVAL_SECS`, in batches, as RFC 7592 DELETE removes a
//! client. Of several replicas on one Postgres, one purges at a time. The
//! same round drops audit events past `DCR_AUDIT_RETENTION_SECS`. The
//! never-used rule deletes nothing until the deployment arms it (`arming`).

mod arming;

use dcr_store::{Store, StoreError};

use crate::clock::unix_now;
use crate::config::Lifetimes;
use crate::observability::metrics::Metrics;

pub use arming::{Arming, UNARMED};

/// Clients removed per statement: short transactions, whatever the backlog.
pub const BATCH: i64 = 500;

/// Removes every expired client now, batch by batch; `None` when another
/// replica is purging. Blocking: run it off async threads.
pub fn purge_now(store: &Store, lifetimes: Lifetimes) -> Result<Option<usize>, StoreError> {
    let now = unix_now();
    let expiry = lifetimes.expiry_at(now);
    let mut purged = 0;
    loop {
        match store.purge_expired(&expiry, BATCH, now)? {
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

/// Removes the `DCR_DEDUP_PUBLIC` fingerprints whose client is gone
/// (deleted or purged), batch by batch. Blocking.
pub fn purge_orphan_keys_now(store: &Store) -> Result<(), StoreError> {
    let full_batch = usize::try_from(BATCH).unwrap_or(usize::MAX);
    while store.purge_orphan_public_keys(BATCH)? == full_batch {}
    Ok(())
}

/// Removes the audit events older than the retention, batch by batch, and
/// returns how many. Blocking.
pub fn purge_events_now(store: &Store, lifetimes: Lifetimes) -> Result<usize, StoreError> {
    if lifetimes.audit_retention_secs == 0 {
        return Ok(0);
    }
    let retention = i64::try_from(lifetimes.audit_retention_secs).unwrap_or(i64::MAX);
    let before = unix_now().saturating_sub(retention);
    let mut removed = 0;
    loop {
        let batch = store.purge_events(before, BATCH)?;
        removed += batch;
        if i64::try_from(batch).unwrap_or(i64::MAX) < BATCH {
            return Ok(removed);
        }
    }
}

/// Purges every `lifetimes.purge_interval` until dropped (at shutdown). Each round also
/// reads whether the never-used rule is armed: another replica may have
/// armed it.
pub async fn run(store: Store, lifetimes: Lifetimes, metrics: Metrics, arming: Arming) {
    if lifetimes.is_off() {
        return std::future::pending().await;
    }
    let interval = lifetimes.purge_interval;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = store.clone();
        let round = tokio::task::spawn_blocking(move || {
            (
                purge_now(&store, lifetimes),
                purge_events_now(&store, lifetimes),
                purge_orphan_keys_now(&store),
                store.unused_purge_armed_at(),
            )
        })
        .await;
        let Ok((clients, events, keys, armed_at)) = round else {
            log::warn!("the purge task failed");
            continue;
        };
        if let Ok(armed_at) = armed_at {
            arming.observe(armed_at);
        }
        metrics.purged(
            clients.as_ref().map_or(0, |purged| purged.unwrap_or(0)),
            *events.as_ref().unwrap_or(&0),
        );
        match clients {
            Ok(Some(purged)) if purged > 0 => {
                log::info!("purged {purged} clients past their lifetime");
            }
            Ok(_) => {}
            Err(err) => log::warn!("could not purge expired clients: {err}"),
        }
        match events {
            Ok(removed) if removed > 0 => {
                log::info!("dropped {removed} audit events past their retention");
            }
            Ok(_) => {}
            Err(err) => log::warn!("could not drop old audit events: {err}"),
        }
        if let Err(err) = keys {
            log::warn!("could not drop the fingerprints of deleted clients: {err}");
        }
    }
}
