//! A lasting database fault in the log: one line when it starts, at most one
//! a second while it lasts (with the failures since the line before), and
//! one when it ends, at the first success after it. A line per failed call
//! would write thousands of lines in a 30 s outage under load, and bury
//! what the operator needs: when it began, that it goes on, when it ended.
//!
//! `FaultLog::failure` and `FaultLog::success` take the time and say which
//! line is due, so the rule is tested with exact times; `report_failure` and
//! `report_success` write it.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The least time between two lines while a fault lasts.
const INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct FaultLog {
    /// Whether a fault is under way: a success outside a fault, the common
    /// case, takes no lock.
    faulty: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    fault: Option<Fault>,
    last_line: Option<Instant>,
    /// Failures of faults that began and ended within `INTERVAL` of a line,
    /// so no line told of them: the next fault's first line counts them.
    untold: u64,
}

#[derive(Debug)]
struct Fault {
    since: Instant,
    failures: u64,
    /// `failures` when the last line about this fault was written; `None`
    /// while no line has told of it.
    told: Option<u64>,
}

/// A line the log owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// A fault begins; `earlier` failures of short faults since the last
    /// line were not written.
    Started { earlier: u64 },
    /// The fault goes on: `failures` since it began, `since_last_line` of
    /// them since the line before (not written one by one).
    Lasting {
        lasted: Duration,
        failures: u64,
        since_last_line: u64,
    },
    /// The first success after a fault that was written.
    Ended { lasted: Duration, failures: u64 },
}

impl FaultLog {
    /// A failed call at `now`: the line due, if any.
    pub(crate) fn failure(&self, now: Instant) -> Option<Line> {
        let mut state = self.lock();
        self.faulty.store(true, Ordering::Release);
        let State {
            fault,
            last_line,
            untold,
        } = &mut *state;
        let fault = fault.get_or_insert(Fault {
            since: now,
            failures: 0,
            told: None,
        });
        fault.failures += 1;
        let due = last_line.is_none_or(|last| now.saturating_duration_since(last) >= INTERVAL);
        if !due {
            return None;
        }
        *last_line = Some(now);
        let line = match fault.told {
            None => Line::Started {
                earlier: std::mem::take(untold),
            },
            Some(told) => Line::Lasting {
                lasted: now.saturating_duration_since(fault.since),
                failures: fault.failures,
                // This failure is the line's own.
                since_last_line: fault.failures - told - 1,
            },
        };
        fault.told = Some(fault.failures);
        Some(line)
    }

    /// A call that reached the database at `now`: the line due, if any.
    pub(crate) fn success(&self, now: Instant) -> Option<Line> {
        if !self.faulty.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        let fault = state.fault.take()?;
        self.faulty.store(false, Ordering::Release);
        if fault.told.is_none() {
            state.untold += fault.failures;
            return None;
        }
        state.last_line = Some(now);
        Some(Line::Ended {
            lasted: now.saturating_duration_since(fault.since),
            failures: fault.failures,
        })
    }

    /// Counts a failure, and writes the line due with its `cause`.
    pub(crate) fn report_failure(&self, cause: &dyn Display) {
        match self.failure(Instant::now()) {
            Some(Line::Started { earlier: 0 }) => log::warn!("database unavailable: {cause}"),
            Some(Line::Started { earlier }) => log::warn!(
                "database unavailable: {cause} ({earlier} failures shortly before were not logged)"
            ),
            Some(Line::Lasting {
                lasted,
                failures,
                since_last_line,
            }) => log::warn!(
                "database still unavailable after {:.1} s ({failures} failures, {since_last_line} not logged since the last line): {cause}",
                lasted.as_secs_f64()
            ),
            Some(Line::Ended { .. }) | None => {}
        }
    }

    /// Counts a success, and writes the end of a fault if it was one.
    pub(crate) fn report_success(&self) {
        if let Some(Line::Ended { lasted, failures }) = self.success(Instant::now()) {
            log::info!(
                "database available again after {:.1} s of faults ({failures} failures)",
                lasted.as_secs_f64()
            );
        }
    }

    // Only counts live behind this lock: a panic cannot leave them unsound.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// A 30 s outage under load, a failure every millisecond: a line when
    /// it starts, about one a second while it lasts, one when it ends.
    #[test]
    fn a_lasting_fault_is_written_once_a_second_with_a_count() {
        let log = FaultLog::default();
        let start = Instant::now();
        assert_eq!(log.success(start), None);
        let mut lines = Vec::new();
        for millis in 0..30_000 {
            lines.extend(log.failure(start + ms(millis)));
        }
        assert_eq!(lines.len(), 30, "{lines:?}");
        assert_eq!(lines[0], Line::Started { earlier: 0 });
        assert_eq!(
            lines[1],
            Line::Lasting {
                lasted: ms(1000),
                failures: 1001,
                since_last_line: 999,
            }
        );
        assert_eq!(
            lines[29],
            Line::Lasting {
                lasted: ms(29_000),
                failures: 29_001,
                since_last_line: 999,
            }
        );
        assert_eq!(
            log.success(start + ms(30_000)),
            Some(Line::Ended {
                lasted: ms(30_000),
                failures: 30_000,
            })
        );
        // Over: successes say nothing more.
        assert_eq!(log.success(start + ms(30_001)), None);
    }

    #[test]
    fn a_fault_after_a_quiet_second_is_a_new_fault() {
        let log = FaultLog::default();
        let start = Instant::now();
        assert_eq!(log.failure(start), Some(Line::Started { earlier: 0 }));
        assert!(matches!(
            log.success(start + ms(10)),
            Some(Line::Ended { failures: 1, .. })
        ));
        assert_eq!(
            log.failure(start + ms(5000)),
            Some(Line::Started { earlier: 0 })
        );
    }

    /// Failures between successes (a pool short of connections now and
    /// then) do not write two lines each: short faults within a second of
    /// a line are counted, and told by the next fault's first line.
    #[test]
    fn flapping_writes_at_most_a_line_a_second_plus_the_ends() {
        let log = FaultLog::default();
        let start = Instant::now();
        let mut lines = Vec::new();
        for millis in (0..10_000).step_by(2) {
            lines.extend(log.failure(start + ms(millis)));
            lines.extend(log.success(start + ms(millis + 1)));
        }
        let starts = lines
            .iter()
            .filter(|line| matches!(line, Line::Started { .. }))
            .count();
        let ends = lines
            .iter()
            .filter(|line| matches!(line, Line::Ended { .. }))
            .count();
        assert_eq!(starts, 10, "{lines:?}");
        assert_eq!(ends, starts);
        // Every failure is counted by some line, or by the next one.
        let counted: u64 = lines
            .iter()
            .map(|line| match line {
                Line::Started { earlier } => earlier + 1,
                _ => 0,
            })
            .sum();
        assert_eq!(counted + log.lock().untold, 5000);
        assert_eq!(lines[2], Line::Started { earlier: 500 });
    }

    #[test]
    fn a_success_with_no_fault_under_way_says_nothing() {
        let log = FaultLog::default();
        let start = Instant::now();
        for millis in 0..100 {
            assert_eq!(log.success(start + ms(millis)), None);
        }
    }
}
