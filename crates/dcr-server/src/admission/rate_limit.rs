//! Rate limits on `POST /register`: one token bucket per client address and
//! one for all addresses together (the global ceiling).
//!
//! - The client address is decided by the HTTP layer's proxy trust
//!   (`http::proxy::TrustedProxies`): the TCP peer, or, behind a trusted
//!   proxy, the first hop a trusted gateway saw. The limiter only counts.
//! - IPv6 addresses share a bucket per /64, the block one subscriber gets.
//! - Exempt ranges (hosted connectors' published egress) skip the
//!   per-address bucket but still count against the global ceiling.
//! - Memory is bounded: at most `MAX_TRACKED` addresses are remembered. A
//!   bucket that has refilled is the same as no bucket and is dropped first;
//!   past that, half the table is dropped at once (an attacker rotating
//!   addresses faster than buckets refill is held by the global ceiling).
//!
//! Each replica keeps its own buckets: with N replicas behind a balancer, an
//! address gets up to N times its limit (see docs/operations.md).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::config::Rate;
use crate::config::ip_range::IpRange;

mod failures;

pub use failures::FailureLimiter;

/// Addresses remembered at once (each entry is a few dozen bytes).
const MAX_TRACKED: usize = 100_000;

/// What a refused request is told (RFC 9110 `Retry-After`, and the
/// `RateLimit-*` fields of the IETF draft).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Which limit: the client's own or the global ceiling.
    pub scope: LimitScope,
    pub limit: u32,
    /// Whole seconds until one request will be allowed again (at least 1).
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    /// Registrations from one client address.
    Address,
    /// Registrations from all addresses.
    Global,
    /// Failed credentials from one end-client address (the verify call).
    FailedCredentials,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.count),
            updated: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        let per_second = f64::from(rate.count) / rate.per.as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(f64::from(rate.count));
        self.updated = now;
    }

    /// Seconds until one token is there again.
    fn wait_secs(&self, rate: Rate) -> u64 {
        let per_second = f64::from(rate.count) / rate.per.as_secs_f64();
        let missing = (1.0 - self.tokens).max(0.0);
        // Whole seconds, rounded up, so a retry at that time succeeds.
        let secs = (missing / per_second).ceil();
        if secs.is_finite() && secs >= 1.0 {
            secs as u64
        } else {
            1
        }
    }
}

/// A bounded table of token buckets, one per key, all at one rate. A key
/// without a bucket has a full one.
#[derive(Debug)]
struct Buckets<K> {
    rate: Rate,
    table: Mutex<HashMap<K, Bucket>>,
    max_tracked: usize,
}

impl<K: Eq + Hash + Copy> Buckets<K> {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            table: Mutex::new(HashMap::new()),
            max_tracked: MAX_TRACKED,
        }
    }

    /// Takes one token for `key` if it has one and `also` agrees (checked
    /// under the same lock, so concurrent requests cannot both take the
    /// last token); otherwise the seconds until one is back, or `also`'s
    /// refusal.
    fn take<E>(
        &self,
        key: K,
        now: Instant,
        also: impl FnOnce() -> Result<(), E>,
        wait: impl FnOnce(u64) -> E,
    ) -> Result<(), E> {
        let rate = self.rate;
        let mut table = lock(&self.table);
        if !table.contains_key(&key) && table.len() >= self.max_tracked {
            make_room(&mut table, rate, now, self.max_tracked);
        }
        let bucket = table.entry(key).or_insert_with(|| Bucket::full(rate, now));
        bucket.refill(rate, now);
        if bucket.tokens < 1.0 {
            return Err(wait(bucket.wait_secs(rate)));
        }
        also()?;
        bucket.tokens -= 1.0;
        Ok(())
    }

    /// Gives back a token `take` took (up to a full bucket).
    fn give_back(&self, key: K, now: Instant) {
        let mut table = lock(&self.table);
        if let Some(bucket) = table.get_mut(&key) {
            bucket.refill(self.rate, now);
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(self.rate.count));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.table).len()
    }
}

/// The limits of `POST /register`.
#[derive(Debug)]
pub struct RateLimiter {
    addresses: Option<Buckets<IpAddr>>,
    global: Option<Rate>,
    all: Mutex<Option<Bucket>>,
    exempt: Vec<IpRange>,
}

impl RateLimiter {
    pub fn new(per_address: Option<Rate>, global: Option<Rate>, exempt: Vec<IpRange>) -> Self {
        Self {
            addresses: per_address.map(Buckets::new),
            global,
            all: Mutex::new(None),
            exempt,
        }
    }

    /// Takes one registration from the buckets of `client` (the request's
    /// client address), or says which limit refuses it. Without an address
    /// (an in-process test request) only the global ceiling applies.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), Limited> {
        self.admit_address(client, Instant::now())
    }

    fn admit_address(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Limited> {
        let own = match (&self.addresses, client) {
            (Some(addresses), Some(client)) if !self.exempt.iter().any(|r| r.contains(client)) => {
                Some((addresses, bucket_key(client)))
            }
            _ => None,
        };
        // The client's own bucket first: a client over its own limit does not
        // spend the global budget. With the limits off, no lock is taken.
        match own {
            Some((addresses, key)) => addresses.take(
                key,
                now,
                || self.admit_globally(now),
                |retry_after_secs| Limited {
                    scope: LimitScope::Address,
                    limit: addresses.rate.count,
                    retry_after_secs,
                },
            ),
            None => self.admit_globally(now),
        }
    }

    fn admit_globally(&self, now: Instant) -> Result<(), Limited> {
        let Some(rate) = self.global else {
            return Ok(());
        };
        let mut all = lock(&self.all);
        let bucket = all.get_or_insert_with(|| Bucket::full(rate, now));
        bucket.refill(rate, now);
        if bucket.tokens < 1.0 {
            return Err(Limited {
                scope: LimitScope::Global,
                limit: rate.count,
                retry_after_secs: bucket.wait_secs(rate),
            });
        }
        bucket.tokens -= 1.0;
        Ok(())
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.addresses.as_ref().map_or(0, Buckets::len)
    }

    #[cfg(test)]
    fn set_max_tracked(&mut self, max: usize) {
        if let Some(addresses) = &mut self.addresses {
            addresses.max_tracked = max;
        }
    }
}

/// Drops buckets that have refilled (the same as none); if the table is
/// still more than three quarters full, drops entries until it is half full.
/// Either way the next `max / 4` new keys need no pass over the table, so
/// the cost stays amortised constant whatever keys come.
fn make_room<K: Eq + Hash + Copy>(
    table: &mut HashMap<K, Bucket>,
    rate: Rate,
    now: Instant,
    max: usize,
) {
    table.retain(|_, bucket| {
        let mut bucket = *bucket;
        bucket.refill(rate, now);
        bucket.tokens < f64::from(rate.count)
    });
    if table.len() * 4 > max * 3 {
        let excess = table.len() - max / 2;
        let dropped: Vec<K> = table.keys().take(excess).copied().collect();
        for key in dropped {
            table.remove(&key);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The address a limit is kept for: IPv4 as is (also when it arrives as an
/// IPv4-mapped IPv6 address), IPv6 by its /64.
fn bucket_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;
