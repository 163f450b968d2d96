//! The connection pool, renewed when its connections stay stuck. A database
//! server that stops answering without closing its connections (a frozen
//! process, a commit waiting for a synchronous standby that is gone) keeps
//! every thread that sent it a query waiting, and with it the connection
//! that thread holds. Were every connection of the pool stuck so, the
//! replica could not serve a request again until that server woke or died,
//! even after a standby had been promoted. So when a caller finds no
//! connection in time and at least half of the pool's connections have been
//! held longer than the stuck limit, a fresh pool takes its place: its connections are opened anew, and libpq
//! finds the writable host (skipping the silent one after its
//! `connect_timeout`). The stuck connections are abandoned to their
//! threads; they leave with the old pool once those threads get an answer.
//!
//! Before that, the first connection found stuck has the pool's idle
//! connections dropped: they were most likely opened on the same server,
//! and each would trap the next request that took it.
//!
//! The cost is bounded: a renewal at most once per stuck limit, and none
//! while as many connections as two pools hold are stuck, so a replica
//! never holds more than three pools' worth of connections.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::connection::Manager;

pub(crate) type Pool = r2d2::Pool<Manager>;

pub(crate) struct Pools {
    /// The pool in use, and how many renewals came before it.
    current: RwLock<(u64, Pool)>,
    build: Box<dyn Fn() -> Pool + Send + Sync>,
    /// Checkouts in use.
    held: Mutex<HashMap<u64, HeldEntry>>,
    next_checkout: AtomicU64,
    /// When `newly_stuck` next looks (microseconds since `origin`).
    next_look: AtomicU64,
    origin: Instant,
    stuck_after: Duration,
    renewed_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools")
            .field("stuck_after", &self.stuck_after)
            .finish_non_exhaustive()
    }
}

struct HeldEntry {
    generation: u64,
    since: Instant,
    /// Whether `newly_stuck` has counted it.
    seen_stuck: bool,
}

/// How often `newly_stuck` looks at the checkouts held.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// A checkout's entry among those held; removed when dropped.
pub(crate) struct Held<'pools> {
    pools: &'pools Pools,
    id: u64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        lock(&self.pools.held).remove(&self.id);
    }
}

impl Pools {
    pub(crate) fn new(
        build: impl Fn() -> Pool + Send + Sync + 'static,
        stuck_after: Duration,
    ) -> Self {
        Self {
            current: RwLock::new((0, build())),
            build: Box::new(build),
            held: Mutex::default(),
            next_checkout: AtomicU64::new(0),
            next_look: AtomicU64::new(0),
            origin: Instant::now(),
            stuck_after,
            renewed_at: Mutex::default(),
        }
    }

    /// The pool to take connections from now, and its generation.
    pub(crate) fn current(&self) -> (u64, Pool) {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn stuck_after(&self) -> Duration {
        self.stuck_after
    }

    /// Marks a checkout as held from now until the guard drops.
    pub(crate) fn hold(&self, generation: u64) -> Held<'_> {
        let id = self.next_checkout.fetch_add(1, Ordering::Relaxed);
        let entry = HeldEntry {
            generation,
            since: Instant::now(),
            seen_stuck: false,
        };
        lock(&self.held).insert(id, entry);
        Held { pools: self, id }
    }

    /// How many checkouts have become stuck since the last call; looks at
    /// most once per `LOOK_EVERY`, so that every checkout may ask.
    pub(crate) fn newly_stuck(&self) -> usize {
        let now = Instant::now();
        let now_micros =
            u64::try_from(now.duration_since(self.origin).as_micros()).unwrap_or(u64::MAX);
        let due = self.next_look.load(Ordering::Relaxed);
        let next =
            now_micros.saturating_add(u64::try_from(LOOK_EVERY.as_micros()).unwrap_or(u64::MAX));
        if now_micros < due
            || self
                .next_look
                .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return 0;
        }
        let mut newly = 0;
        for entry in lock(&self.held).values_mut() {
            if !entry.seen_stuck && now.duration_since(entry.since) >= self.stuck_after {
                entry.seen_stuck = true;
                newly += 1;
            }
        }
        newly
    }

    /// Called when a caller waited its time for a connection from
    /// `generation`'s pool and got none: puts a fresh pool in its place if
    /// connections are stuck. Returns whether it did.
    pub(crate) fn renew_if_stuck(&self, generation: u64, max_size: u32) -> bool {
        let now = Instant::now();
        let (stuck, stuck_here) = lock(&self.held)
            .values()
            .filter(|entry| now.duration_since(entry.since) >= self.stuck_after)
            .fold((0, 0), |(all, here), entry| {
                (all + 1, here + usize::from(entry.generation == generation))
            });
        let max_size = usize::try_from(max_size).unwrap_or(usize::MAX);
        // With fewer stuck, the pool still has room to open connections (on
        // a silent first host, each takes a connect_timeout): a new pool
        // would only throw away the ones being opened.
        if stuck_here == 0 || 2 * stuck_here < max_size || stuck >= 2 * max_size {
            return false;
        }
        let mut renewed_at = lock(&self.renewed_at);
        if renewed_at.is_some_and(|at| now.duration_since(at) < self.stuck_after) {
            return false;
        }
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        // Another caller renewed it while this one waited for the lock.
        if current.0 != generation {
            return false;
        }
        *current = (generation + 1, (self.build)());
        *renewed_at = Some(now);
        log::warn!(
            "{stuck} database connection(s) held for more than {} ms without an answer (a frozen database server?): a new connection pool takes the place of the exhausted one, and the stuck connections are abandoned",
            self.stuck_after.as_millis()
        );
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::DatabaseUrl;
    use crate::connection::Manager;
    use crate::gate::Gate;

    const STUCK_AFTER: Duration = Duration::from_millis(200);

    fn pools() -> Pools {
        let manager = Manager {
            url: DatabaseUrl::Sqlite(":memory:".into()),
            sqlite_busy_timeout: Duration::from_secs(1),
            create_sqlite: true,
            gate: Arc::new(Gate::default()),
        };
        Pools::new(
            move || {
                r2d2::Pool::builder()
                    .max_size(1)
                    .connection_timeout(Duration::from_millis(10))
                    .build_unchecked(manager.clone())
            },
            STUCK_AFTER,
        )
    }

    #[test]
    fn an_exhausted_pool_is_renewed_only_once_its_connections_are_stuck() {
        let pools = pools();
        let (generation, pool) = pools.current();
        let _taken = pool.get().unwrap();
        let _held = pools.hold(generation);
        // Busy, not stuck: the pool stays.
        assert!(pool.get().is_err());
        assert!(!pools.renew_if_stuck(generation, 1));
        std::thread::sleep(STUCK_AFTER);
        assert!(pools.renew_if_stuck(generation, 1));
        let (renewed, fresh) = pools.current();
        assert_eq!(renewed, generation + 1);
        assert!(fresh.get().is_ok(), "the new pool opens its own connection");
        // A caller that saw the old pool exhausted does not renew again.
        assert!(!pools.renew_if_stuck(generation, 1));
    }

    #[test]
    fn a_pool_with_room_to_connect_is_kept() {
        let pools = pools();
        let _held = pools.hold(0);
        std::thread::sleep(STUCK_AFTER);
        // One of four stuck: three more can still be opened.
        assert!(!pools.renew_if_stuck(0, 4));
        let _more = pools.hold(0);
        std::thread::sleep(STUCK_AFTER);
        assert!(pools.renew_if_stuck(0, 4), "two of four stuck");
    }

    #[test]
    fn renewals_stop_while_two_pools_worth_are_stuck() {
        let pools = pools();
        let _held = [pools.hold(0), pools.hold(0)];
        std::thread::sleep(STUCK_AFTER);
        assert!(!pools.renew_if_stuck(0, 1));
        assert_eq!(pools.current().0, 0);
    }

    #[test]
    fn renewals_are_at_most_one_per_stuck_limit() {
        let pools = pools();
        let _stuck = [pools.hold(0), pools.hold(1)];
        std::thread::sleep(STUCK_AFTER);
        assert!(pools.renew_if_stuck(0, 2));
        assert!(!pools.renew_if_stuck(1, 2), "too soon after the last");
        std::thread::sleep(STUCK_AFTER);
        assert!(pools.renew_if_stuck(1, 2));
    }

    #[test]
    fn a_stuck_checkout_is_reported_once() {
        let pools = pools();
        let _held = pools.hold(0);
        assert_eq!(pools.newly_stuck(), 0, "held, not yet stuck");
        std::thread::sleep(STUCK_AFTER);
        assert_eq!(pools.newly_stuck(), 1);
        std::thread::sleep(LOOK_EVERY);
        assert_eq!(pools.newly_stuck(), 0, "already reported");
    }
}
