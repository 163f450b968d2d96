//! Closing a store: once closed, it starts no database work and opens no
//! connection, and `close` waits for the work already running.
//!
//! This is what makes a clean exit possible. libpq does its TLS through
//! OpenSSL, and OpenSSL tears itself down in an `atexit` handler: a pool thread
//! still connecting or querying while the process exits crashes it (SIGSEGV
//! after a clean shutdown). Closing the store before returning from `main`
//! leaves no such thread.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub(crate) struct Gate {
    state: Mutex<GateState>,
    settled: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    closed: bool,
    in_flight: usize,
}

/// One piece of database work under way; the gate counts it until dropped.
#[derive(Debug)]
pub(crate) struct InFlight<'gate> {
    gate: &'gate Gate,
}

/// The store was closed: no new database work starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the store is closed")]
pub struct Closed;

impl Gate {
    /// Counts the caller's work in, unless the gate is closed.
    pub(crate) fn enter(&self) -> Result<InFlight<'_>, Closed> {
        let mut state = self.lock();
        if state.closed {
            return Err(Closed);
        }
        state.in_flight += 1;
        Ok(InFlight { gate: self })
    }

    /// Refuses new work from now on and waits up to `patience` for the work
    /// under way. Returns whether it all finished in time.
    pub(crate) fn close(&self, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        let mut state = self.lock();
        state.closed = true;
        while state.in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .settled
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    // A panic while holding this lock cannot leave the counts half-updated,
    // so a poisoned lock is still sound to use.
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            self.gate.settled.notify_all();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::thread;

    use super::*;

    #[test]
    fn an_open_gate_counts_work_in_and_out() {
        let gate = Gate::default();
        let first = gate.enter().unwrap();
        let second = gate.enter().unwrap();
        assert_eq!(gate.in_flight(), 2);
        drop(first);
        drop(second);
        assert_eq!(gate.in_flight(), 0);
    }

    #[test]
    fn a_closed_gate_refuses_new_work() {
        let gate = Gate::default();
        assert!(gate.close(Duration::ZERO));
        assert_eq!(gate.enter().unwrap_err(), Closed);
    }

    #[test]
    fn closing_waits_for_the_work_under_way() {
        let gate = Arc::new(Gate::default());
        let (entered, wait_for_entry) = mpsc::channel();
        let (finish, wait_for_finish) = mpsc::channel::<()>();
        let worker = {
            let gate = gate.clone();
            thread::spawn(move || {
                let _work = gate.enter().unwrap();
                entered.send(()).unwrap();
                wait_for_finish.recv().unwrap();
            })
        };
        wait_for_entry.recv().unwrap();
        let closer = {
            let gate = gate.clone();
            thread::spawn(move || gate.close(Duration::from_secs(60)))
        };
        // The closer is now waiting (or about to): new work is refused while
        // the running work is still counted.
        while gate.enter().is_ok() {
            thread::yield_now();
        }
        assert_eq!(gate.in_flight(), 1);
        finish.send(()).unwrap();
        worker.join().unwrap();
        assert!(closer.join().unwrap(), "close saw the work finish");
        assert_eq!(gate.in_flight(), 0);
    }

    #[test]
    fn closing_gives_up_after_its_patience() {
        let gate = Gate::default();
        let _stuck = gate.enter().unwrap();
        assert!(!gate.close(Duration::from_millis(20)));
        assert_eq!(gate.in_flight(), 1);
    }
}
