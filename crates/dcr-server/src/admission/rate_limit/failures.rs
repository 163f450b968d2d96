//! Failed credentials at the verify call, counted per end-client address
//! (`DCR_FAILED_AUTH_LIMIT`): what bounds the bcrypt time that wrong secrets
//! can cost, without letting anyone lock a client out.
//!
//! - The address is the end client's, as the token endpoint passes it
//!   (`client_address`), else the verify call's own caller.
//! - Per address, not per client: a stranger's failures are charged to the
//!   stranger, so no one can pause another client's credentials by naming
//!   its `client_id`; and one address buys at most the limit's worth of
//!   bcrypt whatever `client_id`s it cycles through.
//! - Every wrong answer counts, whatever the `client_id` (unknown, deleted,
//!   existing; tagged or not), and past the limit every check that cannot
//!   be shown right without bcrypt is answered `429`: the limit itself tells
//!   a guesser nothing about which ids exist.
//! - A check that must run bcrypt without a tag to vet the secret (a secret
//!   issued before tags, an imported one) takes its failure's worth before
//!   bcrypt runs and gives it back when the secret was right, so concurrent
//!   guesses cannot all slip under the limit at once.
//!
//! Each replica keeps its own counts, as for the registration limits.

use std::net::IpAddr;
use std::time::Instant;

use super::{Buckets, LimitScope, Limited, Rate, bucket_key};

#[derive(Debug)]
pub struct FailureLimiter {
    failures: Option<Buckets<IpAddr>>,
}

impl FailureLimiter {
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            failures: rate.map(Buckets::new),
        }
    }

    /// Takes one failure's worth from `address`, or refuses while it has
    /// none left. Without an address (an in-process request with no peer)
    /// nothing is counted.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), Limited> {
        self.take_at(address, Instant::now())
    }

    /// Gives back what `take` took, for a check that turned out right.
    pub fn give_back(&self, address: Option<IpAddr>) {
        if let (Some(failures), Some(address)) = (&self.failures, address) {
            failures.give_back(bucket_key(address), Instant::now());
        }
    }

    fn take_at(&self, address: Option<IpAddr>, now: Instant) -> Result<(), Limited> {
        let (Some(failures), Some(address)) = (&self.failures, address) else {
            return Ok(());
        };
        failures.take(
            bucket_key(address),
            now,
            || Ok(()),
            |retry_after_secs| Limited {
                scope: LimitScope::FailedCredentials,
                limit: failures.rate.count,
                retry_after_secs,
            },
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> Option<IpAddr> {
        Some(raw.parse().unwrap())
    }

    #[test]
    fn an_address_gets_its_failures_then_waits_for_the_refill() {
        let limiter = FailureLimiter::new(Some("2/minute".parse().unwrap()));
        let now = Instant::now();
        let guesser = ip("203.0.113.9");
        assert_eq!(limiter.take_at(guesser, now), Ok(()));
        assert_eq!(limiter.take_at(guesser, now), Ok(()));
        let refused = limiter.take_at(guesser, now).unwrap_err();
        assert_eq!(refused.scope, LimitScope::FailedCredentials);
        assert_eq!(refused.limit, 2);
        assert_eq!(refused.retry_after_secs, 30);
        // Another address is not affected; the guesser's refills.
        assert_eq!(limiter.take_at(ip("198.51.100.7"), now), Ok(()));
        let later = now + std::time::Duration::from_secs(30);
        assert_eq!(limiter.take_at(guesser, later), Ok(()));
        assert!(limiter.take_at(guesser, later).is_err());
    }

    #[test]
    fn a_right_check_gives_back_what_it_took() {
        let limiter = FailureLimiter::new(Some("1/hour".parse().unwrap()));
        let client = ip("2001:db8::1");
        for _ in 0..5 {
            assert_eq!(limiter.take(client), Ok(()));
            limiter.give_back(client);
        }
        // The same /64 is the same end client.
        assert_eq!(limiter.take(ip("2001:db8::2")), Ok(()));
        assert!(limiter.take(client).is_err());
        // Never more than a full bucket.
        limiter.give_back(client);
        limiter.give_back(client);
        assert_eq!(limiter.take(client), Ok(()));
        assert!(limiter.take(client).is_err());
    }

    #[test]
    fn off_or_without_an_address_nothing_is_counted() {
        let off = FailureLimiter::new(None);
        let limited = FailureLimiter::new(Some("1/hour".parse().unwrap()));
        for _ in 0..100 {
            assert_eq!(off.take(ip("203.0.113.9")), Ok(()));
            assert_eq!(limited.take(None), Ok(()));
        }
    }
}
