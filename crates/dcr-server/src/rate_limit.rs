//! Rate limits on `POST /register`: one token bucket per client address and
//! one for all addresses together (the global ceiling).
//!
//! - The client address is the TCP peer, or, when the peer is a trusted
//!   proxy, the right-most `X-Forwarded-For` entry that is not itself a
//!   trusted proxy: the first hop a trusted gateway saw. Anyone else's
//!   `X-Forwarded-For` is ignored (it could name any address).
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
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use crate::config::IpRange;

/// Addresses remembered at once (each entry is a few dozen bytes).
const MAX_TRACKED: usize = 100_000;

/// `<count>/<second|minute|hour>`: at most `count` at once, refilled evenly
/// over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        let invalid = || format!("{raw:?} is not a rate such as 60/hour, or off");
        let (count, period) = raw.split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let per = match period.trim() {
            "second" => Duration::from_secs(1),
            "minute" => Duration::from_secs(60),
            "hour" => Duration::from_secs(3600),
            _ => return Err(invalid()),
        };
        if count == 0 {
            return Err(invalid());
        }
        Ok(Self { count, per })
    }
}

/// A rate limit setting: a rate, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSetting(pub Option<Rate>);

impl FromStr for RateSetting {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        if raw.trim().eq_ignore_ascii_case("off") {
            Ok(Self(None))
        } else {
            raw.parse().map(|rate| Self(Some(rate)))
        }
    }
}

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
    Address,
    Global,
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

/// The limits of `POST /register`.
#[derive(Debug)]
pub struct RateLimiter {
    per_address: Option<Rate>,
    global: Option<Rate>,
    exempt: Vec<IpRange>,
    trusted_proxies: Vec<IpRange>,
    addresses: Mutex<HashMap<IpAddr, Bucket>>,
    all: Mutex<Option<Bucket>>,
    max_tracked: usize,
}

impl RateLimiter {
    pub fn new(
        per_address: Option<Rate>,
        global: Option<Rate>,
        exempt: Vec<IpRange>,
        trusted_proxies: Vec<IpRange>,
    ) -> Self {
        Self {
            per_address,
            global,
            exempt,
            trusted_proxies,
            addresses: Mutex::new(HashMap::new()),
            all: Mutex::new(None),
            max_tracked: MAX_TRACKED,
        }
    }

    /// Takes one registration from the buckets of the request's client, or
    /// says which limit refuses it.
    pub fn admit(&self, request: &HttpRequest) -> Result<(), Limited> {
        let Some(peer) = request.peer_addr().map(|peer| peer.ip()) else {
            // No peer (a test request): only the global ceiling applies.
            return self.admit_address(None, Instant::now());
        };
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok());
        let client = client_address(peer, forwarded, &self.trusted_proxies);
        self.admit_address(Some(client), Instant::now())
    }

    fn admit_address(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Limited> {
        let own = match (self.per_address, client) {
            (Some(rate), Some(client)) if !self.exempt.iter().any(|r| r.contains(client)) => {
                Some((rate, bucket_key(client)))
            }
            _ => None,
        };
        // The client's own bucket first: a client over its own limit does not
        // spend the global budget.
        // Locked only when an address limit applies: with the limits off, a
        // registration takes no lock here.
        let mut addresses = own.map(|_| lock(&self.addresses));
        if let (Some((rate, key)), Some(addresses)) = (own, addresses.as_mut()) {
            if !addresses.contains_key(&key) && addresses.len() >= self.max_tracked {
                make_room(addresses, rate, now, self.max_tracked);
            }
            let bucket = addresses
                .entry(key)
                .or_insert_with(|| Bucket::full(rate, now));
            bucket.refill(rate, now);
            if bucket.tokens < 1.0 {
                return Err(Limited {
                    scope: LimitScope::Address,
                    limit: rate.count,
                    retry_after_secs: bucket.wait_secs(rate),
                });
            }
        }
        if let Some(rate) = self.global {
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
        }
        if let (Some((_, key)), Some(addresses)) = (own, addresses.as_mut())
            && let Some(bucket) = addresses.get_mut(&key)
        {
            bucket.tokens -= 1.0;
        }
        Ok(())
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        lock(&self.addresses).len()
    }
}

/// Drops buckets that have refilled (the same as none); if the table is
/// still more than three quarters full, drops entries until it is half full.
/// Either way the next `max / 4` new addresses need no pass over the table,
/// so the cost stays amortised constant whatever addresses come.
fn make_room(addresses: &mut HashMap<IpAddr, Bucket>, rate: Rate, now: Instant, max: usize) {
    addresses.retain(|_, bucket| {
        let mut bucket = *bucket;
        bucket.refill(rate, now);
        bucket.tokens < f64::from(rate.count)
    });
    if addresses.len() * 4 > max * 3 {
        let excess = addresses.len() - max / 2;
        let dropped: Vec<IpAddr> = addresses.keys().take(excess).copied().collect();
        for key in dropped {
            addresses.remove(&key);
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

/// The client's address: the peer, unless the peer is a trusted proxy; then
/// the right-most `X-Forwarded-For` entry that is not a trusted proxy (each
/// proxy appends the address it received from). An entry that is not an IP
/// address ends the walk at the hop that wrote it.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted_proxies: &[IpRange],
) -> IpAddr {
    let trusted = |address: IpAddr| trusted_proxies.iter().any(|range| range.contains(address));
    if !trusted(peer) {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        let Ok(address) = entry.parse::<IpAddr>() else {
            return client;
        };
        client = address;
        if !trusted(address) {
            return address;
        }
    }
    client
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    fn range(raw: &str) -> IpRange {
        raw.parse().unwrap()
    }

    fn rate(raw: &str) -> Rate {
        raw.parse().unwrap()
    }

    #[test]
    fn rates_parse() {
        assert_eq!(
            rate("60/hour"),
            Rate {
                count: 60,
                per: Duration::from_secs(3600)
            }
        );
        assert_eq!(rate(" 5 / second ").count, 5);
        assert_eq!(rate("100/minute").per, Duration::from_secs(60));
        for bad in ["", "60", "60/day", "0/hour", "-1/hour", "x/hour", "60/"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
        assert_eq!("off".parse::<RateSetting>(), Ok(RateSetting(None)));
        assert_eq!("OFF".parse::<RateSetting>(), Ok(RateSetting(None)));
        assert_eq!(
            "2/second".parse::<RateSetting>(),
            Ok(RateSetting(Some(rate("2/second"))))
        );
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let proxies = [range("10.0.0.0/8")];
        let cases: [(&str, &[&str], &str); 8] = [
            // An untrusted peer's header is ignored.
            ("203.0.113.9", &["198.51.100.1"], "203.0.113.9"),
            // A trusted peer: the right-most entry that is not a proxy.
            ("10.0.0.2", &["198.51.100.1"], "198.51.100.1"),
            (
                "10.0.0.2",
                &["1.1.1.1, 198.51.100.1, 10.0.0.3"],
                "198.51.100.1",
            ),
            ("10.0.0.2", &["1.1.1.1", "198.51.100.1"], "198.51.100.1"),
            // A client forging entries to the left gains nothing.
            ("10.0.0.2", &["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
            // No header: the proxy itself.
            ("10.0.0.2", &[], "10.0.0.2"),
            // Garbage ends the walk at the hop that wrote it.
            ("10.0.0.2", &["198.51.100.1, not-an-ip"], "10.0.0.2"),
            // Only proxies: the left-most of them.
            ("10.0.0.2", &["10.0.0.5, 10.0.0.3"], "10.0.0.5"),
        ];
        for (peer, header, expected) in cases {
            assert_eq!(
                client_address(ip(peer), header.iter().copied(), &proxies),
                ip(expected),
                "{peer} {header:?}"
            );
        }
    }

    #[test]
    fn ipv6_shares_a_bucket_per_64() {
        assert_eq!(
            bucket_key(ip("2001:db8:1:2:aaaa::1")),
            bucket_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            bucket_key(ip("2001:db8:1:2::1")),
            bucket_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(bucket_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_ne!(bucket_key(ip("192.0.2.1")), bucket_key(ip("192.0.2.2")));
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_for_the_refill() {
        let limiter = RateLimiter::new(Some(rate("3/minute")), None, Vec::new(), Vec::new());
        let start = Instant::now();
        let client = Some(ip("198.51.100.7"));
        for _ in 0..3 {
            assert_eq!(limiter.admit_address(client, start), Ok(()));
        }
        let refused = limiter.admit_address(client, start).unwrap_err();
        assert_eq!(refused.scope, LimitScope::Address);
        assert_eq!(refused.limit, 3);
        assert_eq!(refused.retry_after_secs, 20);
        // Another address is not affected.
        assert_eq!(
            limiter.admit_address(Some(ip("198.51.100.8")), start),
            Ok(())
        );
        // One token is back after 20 s, not before.
        let later = start + Duration::from_secs(19);
        assert!(limiter.admit_address(client, later).is_err());
        assert_eq!(
            limiter.admit_address(client, start + Duration::from_secs(20)),
            Ok(())
        );
    }

    #[test]
    fn exempt_ranges_skip_their_own_limit_but_count_globally() {
        let limiter = RateLimiter::new(
            Some(rate("1/hour")),
            Some(rate("3/hour")),
            vec![range("160.79.104.0/23")],
            Vec::new(),
        );
        let now = Instant::now();
        let connector = Some(ip("160.79.104.10"));
        assert_eq!(limiter.admit_address(connector, now), Ok(()));
        assert_eq!(limiter.admit_address(connector, now), Ok(()));
        let other = Some(ip("198.51.100.7"));
        assert_eq!(limiter.admit_address(other, now), Ok(()));
        // Over its own limit: refused without spending the global budget.
        assert_eq!(
            limiter.admit_address(other, now).unwrap_err().scope,
            LimitScope::Address
        );
        // The global ceiling (3) is now reached by everyone.
        let refused = limiter.admit_address(connector, now).unwrap_err();
        assert_eq!(refused.scope, LimitScope::Global);
        assert_eq!(refused.retry_after_secs, 1200);
    }

    #[test]
    fn off_admits_everything() {
        let limiter = RateLimiter::new(None, None, Vec::new(), Vec::new());
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(limiter.admit_address(Some(ip("198.51.100.7")), now), Ok(()));
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn memory_stays_bounded_whatever_addresses_come() {
        let mut limiter = RateLimiter::new(Some(rate("10/hour")), None, Vec::new(), Vec::new());
        limiter.max_tracked = 1000;
        let now = Instant::now();
        for n in 0u32..20_000 {
            let address = IpAddr::V4(std::net::Ipv4Addr::from(0x0A00_0000 + n));
            assert_eq!(limiter.admit_address(Some(address), now), Ok(()));
            assert!(limiter.tracked() <= 1000, "{}", limiter.tracked());
        }
    }
}
