//! A caller's deadline for the store work it runs on this thread. A caller
//! that gave up waiting (a request answered 503) must not have its work done
//! later behind its back: work that has not reached the database by the
//! deadline is dropped, so a 503 means "not done" whenever the work was
//! still waiting for a connection. Work already sent to the database may
//! still complete; nothing can call that back.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `work` with `deadline` in force on this thread.
pub(crate) fn run_by<T>(deadline: Instant, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(DEADLINE.with(|cell| cell.replace(Some(deadline))));
    work()
}

/// How long the caller still waits, if it set a deadline.
pub(crate) fn remaining() -> Option<Duration> {
    DEADLINE
        .with(Cell::get)
        .map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_holds_inside_and_is_restored_after() {
        assert_eq!(remaining(), None);
        let later = Instant::now() + Duration::from_secs(60);
        run_by(later, || {
            assert!(remaining().unwrap() > Duration::from_secs(59));
            run_by(Instant::now(), || {
                assert_eq!(remaining(), Some(Duration::ZERO))
            });
            assert!(remaining().unwrap() > Duration::from_secs(59));
        });
        assert_eq!(remaining(), None);
    }
}
