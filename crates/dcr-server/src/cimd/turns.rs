//! Turns to fetch. At most `DCR_CIMD_MAX_FETCHES` fetches at once, and at
//! most `DCR_CIMD_MAX_FETCHES_PER_HOST` of them for one host: a lookup
//! first waits in its host's line, then in the common one (each first come,
//! first served), so one host holds a bounded share of the turns and every
//! other host's lookups still get through. A fetch that runs past half the
//! timeout while lookups wait for a turn it could give them (any in the
//! common line, or its own host's) is cut (`contended`): a slow document
//! holds its turn no longer than a fair share of the time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, SemaphorePermit};
use tokio::time::{Instant, timeout_at};

#[derive(Debug)]
pub(super) struct Turns {
    all: Semaphore,
    per_host: usize,
    /// The line of each host with a lookup waiting or fetching; removed by
    /// the last one, so it holds no more hosts than lookups under way.
    hosts: Mutex<HashMap<String, HostLine>>,
    /// Lookups waiting in the common line now.
    waiting: AtomicUsize,
    /// Told when a lookup starts waiting.
    arrivals: Notify,
}

#[derive(Debug)]
struct HostLine {
    turns: Arc<Semaphore>,
    /// Lookups in this line, waiting or fetching.
    users: usize,
    /// Of those, waiting for a turn.
    waiting: usize,
}

/// The right to fetch once, for a host; given back when dropped.
#[derive(Debug)]
pub(super) struct Turn<'a> {
    // Fields drop in this order: the turns first, then the line's count.
    _common: SemaphorePermit<'a>,
    _host: OwnedSemaphorePermit,
    _line: InLine<'a>,
}

impl Turns {
    pub(super) fn new(max: usize, per_host: usize) -> Self {
        Self {
            all: Semaphore::new(max),
            per_host: per_host.clamp(1, max.max(1)),
            hosts: Mutex::default(),
            waiting: AtomicUsize::new(0),
            arrivals: Notify::new(),
        }
    }

    /// A turn to fetch from `host`, waiting at most `patience` in all;
    /// `None` when none came in time.
    pub(super) async fn take(&self, host: &str, patience: Duration) -> Option<Turn<'_>> {
        let deadline = Instant::now() + patience;
        let line = self.join(host);
        let host_turn = match line.turns.clone().try_acquire_owned() {
            Ok(turn) => turn,
            Err(_) => {
                let _waiting = self.wait(Some(host));
                timeout_at(deadline, line.turns.clone().acquire_owned())
                    .await
                    .ok()?
                    .ok()?
            }
        };
        let common = match self.all.try_acquire() {
            Ok(turn) => turn,
            Err(_) => {
                let _waiting = self.wait(None);
                timeout_at(deadline, self.all.acquire()).await.ok()?.ok()?
            }
        };
        Some(Turn {
            _common: common,
            _host: host_turn,
            _line: line,
        })
    }

    /// Returns once a lookup waits for a turn that a fetch from `host`
    /// would give back: in the common line or in `host`'s (at once if one
    /// does).
    pub(super) async fn contended(&self, host: &str) {
        loop {
            let arrival = self.arrivals.notified();
            tokio::pin!(arrival);
            // Registered before the count is read, so an arrival between the
            // two is not missed.
            arrival.as_mut().enable();
            if self.waiting.load(Ordering::SeqCst) > 0
                || self
                    .lock_hosts()
                    .get(host)
                    .is_some_and(|line| line.waiting > 0)
            {
                return;
            }
            arrival.await;
        }
    }

    fn join(&self, host: &str) -> InLine<'_> {
        let mut hosts = self.lock_hosts();
        let line = hosts.entry(host.to_owned()).or_insert_with(|| HostLine {
            turns: Arc::new(Semaphore::new(self.per_host)),
            users: 0,
            waiting: 0,
        });
        line.users += 1;
        InLine {
            turns: line.turns.clone(),
            host: host.to_owned(),
            owner: self,
        }
    }

    /// Counts a lookup as waiting in `host`'s line, or in the common one.
    fn wait(&self, host: Option<&str>) -> Waiting<'_> {
        match host {
            None => {
                self.waiting.fetch_add(1, Ordering::SeqCst);
            }
            Some(host) => {
                if let Some(line) = self.lock_hosts().get_mut(host) {
                    line.waiting += 1;
                }
            }
        }
        self.arrivals.notify_waiters();
        Waiting {
            owner: self,
            host: host.map(str::to_owned),
        }
    }

    fn lock_hosts(&self) -> MutexGuard<'_, HashMap<String, HostLine>> {
        // Every change under this lock is a single counter or entry.
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    pub(super) fn hosts_in_line(&self) -> usize {
        self.lock_hosts().len()
    }
}

/// A lookup's place in its host's line.
#[derive(Debug)]
struct InLine<'a> {
    turns: Arc<Semaphore>,
    host: String,
    owner: &'a Turns,
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        let mut hosts = self.owner.lock_hosts();
        if let Some(line) = hosts.get_mut(&self.host) {
            line.users = line.users.saturating_sub(1);
            if line.users == 0 {
                hosts.remove(&self.host);
            }
        }
    }
}

/// Counted among the waiting while alive.
#[derive(Debug)]
struct Waiting<'a> {
    owner: &'a Turns,
    host: Option<String>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        match &self.host {
            None => {
                self.owner.waiting.fetch_sub(1, Ordering::SeqCst);
            }
            Some(host) => {
                if let Some(line) = self.owner.lock_hosts().get_mut(host) {
                    line.waiting = line.waiting.saturating_sub(1);
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PATIENCE: Duration = Duration::from_millis(50);

    /// One host holds at most its share; another host still gets a turn at
    /// once, and the lines are forgotten when empty.
    #[tokio::test]
    async fn one_host_cannot_take_every_turn() {
        let turns = Turns::new(4, 2);
        let first = turns.take("slow.example", PATIENCE).await.unwrap();
        let second = turns.take("slow.example", PATIENCE).await.unwrap();
        assert!(turns.take("slow.example", PATIENCE).await.is_none());
        let other = turns.take("claude.ai", PATIENCE).await.unwrap();
        assert_eq!(turns.hosts_in_line(), 2);
        drop((first, second, other));
        assert_eq!(turns.hosts_in_line(), 0);
        assert!(turns.take("slow.example", PATIENCE).await.is_some());
    }

    /// Past the common limit, a lookup waits; a fetch under way learns that
    /// someone does.
    #[tokio::test]
    async fn a_waiting_lookup_is_seen_by_fetches_under_way() {
        let turns = Turns::new(1, 1);
        let held = turns.take("a.example", PATIENCE).await.unwrap();
        let contended = tokio::time::timeout(PATIENCE, turns.contended("a.example"));
        assert!(contended.await.is_err(), "nobody waits yet");
        let (waited, ()) = tokio::join!(turns.take("b.example", Duration::from_secs(5)), async {
            turns.contended("a.example").await;
            drop(held);
        });
        assert!(waited.is_some());
    }

    /// A lookup waiting in its host's line contends with that host's
    /// fetches only: another host's turn would not help it.
    #[tokio::test]
    async fn a_host_line_contends_with_its_own_host_only() {
        let turns = Turns::new(4, 1);
        let held = turns.take("slow.example", PATIENCE).await.unwrap();
        let _other = turns.take("claude.ai", PATIENCE).await.unwrap();
        let (waited, ()) =
            tokio::join!(turns.take("slow.example", Duration::from_secs(5)), async {
                let elsewhere = tokio::time::timeout(PATIENCE, turns.contended("claude.ai"));
                assert!(elsewhere.await.is_err(), "claude.ai's fetch is not cut");
                turns.contended("slow.example").await;
                drop(held);
            });
        assert!(waited.is_some());
    }
}
