#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::time::Duration;

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
    let limiter = RateLimiter::new(Some(rate("3/minute")), None, Vec::new());
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
    let limiter = RateLimiter::new(None, None, Vec::new());
    let now = Instant::now();
    for _ in 0..1000 {
        assert_eq!(limiter.admit_address(Some(ip("198.51.100.7")), now), Ok(()));
    }
    assert_eq!(limiter.tracked(), 0);
}

#[test]
fn memory_stays_bounded_whatever_addresses_come() {
    let mut limiter = RateLimiter::new(Some(rate("10/hour")), None, Vec::new());
    limiter.set_max_tracked(1000);
    let now = Instant::now();
    for n in 0u32..20_000 {
        let address = IpAddr::V4(std::net::Ipv4Addr::from(0x0A00_0000 + n));
        assert_eq!(limiter.admit_address(Some(address), now), Ok(()));
        assert!(limiter.tracked() <= 1000, "{}", limiter.tracked());
    }
}
