//! Hosts whose fetches keep failing. A failure is also remembered per URL,
//! but a fresh path is a fresh URL: after `STRIKES` failures in a row that
//! are the host's own (a timeout, a cut, a failed connection, no public
//! address, a `5xx`), the host is refused without a fetch for the failure
//! memory's time (`penalty`), then tried again by the next lookup. Answers
//! about one path (`404`, too large, an invalid document) neither count nor
//! clear the record: anyone can make any host answer `404`. A fetched
//! document clears it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Failures in a row that get a host refused.
const STRIKES: u32 = 3;
/// Hosts remembered at once; past this, the records no longer in force go,
/// then an arbitrary half, so the cost stays amortised constant.
const MAX_HOSTS: usize = 4096;

#[derive(Debug)]
pub(super) struct FailingHosts {
    records: Mutex<HashMap<String, Record>>,
    penalty: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
}

impl FailingHosts {
    pub(super) fn new(penalty: Duration) -> Self {
        Self {
            records: Mutex::default(),
            penalty,
        }
    }

    /// Whether lookups on `host` are refused now, without a fetch.
    pub(super) fn refuses(&self, host: &str, now: Instant) -> bool {
        self.lock()
            .get(host)
            .is_some_and(|record| record.failures >= STRIKES && now < record.last + self.penalty)
    }

    /// A failure that is the host's own.
    pub(super) fn failed(&self, host: &str, now: Instant) {
        if self.penalty.is_zero() {
            return;
        }
        let mut records = self.lock();
        if !records.contains_key(host) && records.len() >= MAX_HOSTS {
            self.sweep(&mut records, now);
        }
        let record = records.entry(host.to_owned()).or_insert(Record {
            failures: 0,
            last: now,
        });
        if now > record.last + self.forget_after() {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last = now;
    }

    /// A document was fetched from `host`.
    pub(super) fn answered(&self, host: &str) {
        self.lock().remove(host);
    }

    /// Failures older than this start a new count.
    fn forget_after(&self) -> Duration {
        self.penalty.saturating_mul(4)
    }

    fn sweep(&self, records: &mut HashMap<String, Record>, now: Instant) {
        let forget_after = self.forget_after();
        records.retain(|_, record| now < record.last + forget_after);
        if records.len() > MAX_HOSTS / 2 {
            let drop: Vec<String> = records
                .keys()
                .take(records.len() - MAX_HOSTS / 2)
                .cloned()
                .collect();
            for host in drop {
                records.remove(&host);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Record>> {
        // Every change under this lock is a single entry.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PENALTY: Duration = Duration::from_secs(30);

    #[test]
    fn a_host_is_refused_after_failures_in_a_row_for_a_while() {
        let hosts = FailingHosts::new(PENALTY);
        let start = Instant::now();
        for _ in 1..STRIKES {
            hosts.failed("slow.example", start);
        }
        assert!(!hosts.refuses("slow.example", start));
        hosts.failed("slow.example", start);
        assert!(hosts.refuses("slow.example", start));
        assert!(!hosts.refuses("claude.ai", start));
        assert!(hosts.refuses("slow.example", start + PENALTY / 2));
        // Then one lookup tries again; one more failure refuses it again.
        let later = start + PENALTY;
        assert!(!hosts.refuses("slow.example", later));
        hosts.failed("slow.example", later);
        assert!(hosts.refuses("slow.example", later));
        hosts.answered("slow.example");
        assert!(!hosts.refuses("slow.example", later));
    }

    #[test]
    fn old_failures_start_a_new_count() {
        let hosts = FailingHosts::new(PENALTY);
        let start = Instant::now();
        for _ in 1..STRIKES {
            hosts.failed("flaky.example", start);
        }
        let much_later = start + PENALTY * 5;
        hosts.failed("flaky.example", much_later);
        assert!(!hosts.refuses("flaky.example", much_later));
    }

    #[test]
    fn a_zero_penalty_remembers_nothing() {
        let hosts = FailingHosts::new(Duration::ZERO);
        let now = Instant::now();
        for _ in 0..STRIKES {
            hosts.failed("slow.example", now);
        }
        assert!(!hosts.refuses("slow.example", now));
        assert_eq!(hosts.remembered(), 0);
    }

    #[test]
    fn the_memory_is_bounded() {
        let hosts = FailingHosts::new(PENALTY);
        let now = Instant::now();
        for i in 0..MAX_HOSTS * 3 {
            hosts.failed(&format!("h{i}.example"), now);
        }
        assert!(hosts.remembered() <= MAX_HOSTS);
    }
}
