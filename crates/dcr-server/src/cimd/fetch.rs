//! Fetching a metadata document without being turned against the network
//! dcr runs in (SSRF): only public addresses, checked on the very addresses
//! the connection is made to (a name is resolved once, by the resolver
//! below, so a second lookup cannot answer differently: DNS rebinding); no
//! redirects, no proxy, a size cap and a total timeout.

use std::net::SocketAddr;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::http::header::HttpDate;
use dcr_core::cimd::DocumentUrl;
use dcr_core::is_public_address;
use reqwest::header::{self, HeaderMap};
use reqwest::redirect::Policy;

use crate::config::CimdConfig;

/// A document as fetched, and how long it may be cached.
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub ttl: Duration,
}

/// Why no document was fetched. Shown to operators; never holds the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the host resolves to no public address")]
    Address,
    #[error("the host name does not resolve")]
    Unresolved,
    #[error("the server answered {0}, not 200 (redirects are not followed)")]
    Status(u16),
    #[error("the document is larger than DCR_CIMD_MAX_BYTES")]
    TooLarge,
    #[error("the fetch took longer than DCR_CIMD_TIMEOUT_MS")]
    Timeout,
    #[error(
        "the fetch was cut: it took longer than half of DCR_CIMD_TIMEOUT_MS while other lookups waited for a turn"
    )]
    Cut,
    #[error("the document could not be fetched (connection or TLS failed)")]
    Network,
}

impl FetchError {
    /// The metrics' `outcome` label.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Address => "address_refused",
            // Counted as before: the metric's labels are an interface.
            Self::Unresolved => "network",
            Self::Status(_) => "status",
            Self::TooLarge => "too_large",
            Self::Timeout => "timeout",
            Self::Cut => "cut",
            Self::Network => "network",
        }
    }

    /// Whether the failure is the host's own rather than one path's: a
    /// stranger can make any host answer `404` (see `hosts`).
    pub fn is_the_hosts(&self) -> bool {
        match self {
            Self::Address | Self::Unresolved | Self::Timeout | Self::Cut | Self::Network => true,
            Self::Status(status) => *status >= 500,
            Self::TooLarge => false,
        }
    }
}

#[derive(Debug)]
pub struct Fetcher {
    /// For `https` URLs: public addresses only.
    public: reqwest::Client,
    /// For the development exception (`http` on loopback), when enabled.
    loopback: Option<reqwest::Client>,
    max_bytes: usize,
    min_ttl: Duration,
    max_ttl: Duration,
}

impl Fetcher {
    pub fn new(config: &CimdConfig) -> Result<Self, reqwest::Error> {
        let client = |allow_loopback: bool| {
            reqwest::Client::builder()
                .redirect(Policy::none())
                .no_proxy()
                .https_only(!allow_loopback)
                .timeout(config.timeout)
                .connect_timeout(config.timeout)
                .pool_max_idle_per_host(2)
                .user_agent(concat!(
                    "dcr/",
                    env!("CARGO_PKG_VERSION"),
                    " (client metadata document fetcher)"
                ))
                .dns_resolver(Arc::new(CheckedResolver { allow_loopback }))
                .build()
        };
        Ok(Self {
            public: client(false)?,
            loopback: config
                .allow_http_loopback
                .then(|| client(true))
                .transpose()?,
            max_bytes: config.max_bytes,
            min_ttl: config.min_ttl,
            max_ttl: config.max_ttl,
        })
    }

    pub async fn fetch(&self, url: &DocumentUrl) -> Result<Fetched, FetchError> {
        let client = match (&self.loopback, url.is_loopback_http()) {
            (Some(loopback), true) => loopback,
            (None, true) => return Err(FetchError::Address),
            (_, false) => &self.public,
        };
        // An IP literal is connected to without a lookup: it was judged when
        // the URL was parsed (public, or loopback for the exception).
        let mut response = client
            .get(url.as_str())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(classify)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let ttl = cache_lifetime(response.headers(), SystemTime::now())
            .unwrap_or(self.min_ttl)
            .clamp(self.min_ttl, self.max_ttl);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, ttl })
    }
}

fn classify(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        return FetchError::Timeout;
    }
    // The resolver's refusal comes back as a connect error with it as source.
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(cause) = source {
        if cause.downcast_ref::<NoPublicAddress>().is_some() {
            return FetchError::Address;
        }
        if cause.downcast_ref::<NotResolved>().is_some() {
            return FetchError::Unresolved;
        }
        source = cause.source();
    }
    FetchError::Network
}

/// How long the response says it may be cached (RFC 9111 section 4.2.1):
/// `no-store`/`no-cache` none, else `max-age` less `Age`, else `Expires` less
/// `Date` (or now). `None` when it says nothing.
pub(crate) fn cache_lifetime(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let directives: Vec<String> = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|directive| directive == "no-store" || directive == "no-cache")
    {
        return Some(Duration::ZERO);
    }
    let age = headers
        .get(header::AGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let max_age = directives.iter().find_map(|directive| {
        directive
            .strip_prefix("max-age=")
            .and_then(|seconds| seconds.trim_matches('"').parse::<u64>().ok())
    });
    if let Some(max_age) = max_age {
        return Some(Duration::from_secs(max_age.saturating_sub(age)));
    }
    let date = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| HttpDate::from_str(value).ok())
            .map(SystemTime::from)
    };
    let expires = date(header::EXPIRES)?;
    let served = date(header::DATE).unwrap_or(now);
    Some(
        expires
            .duration_since(served)
            .unwrap_or(Duration::ZERO)
            .saturating_sub(Duration::from_secs(age)),
    )
}

/// Resolves a name once and keeps only the addresses that may be fetched
/// from; the connection is made to exactly these.
#[derive(Debug)]
struct CheckedResolver {
    allow_loopback: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the host resolves to no public address")]
struct NoPublicAddress;

#[derive(Debug, thiserror::Error)]
#[error("the host name does not resolve: {0}")]
struct NotResolved(std::io::Error);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|err| {
                    Box::new(NotResolved(err)) as Box<dyn std::error::Error + Send + Sync>
                })?;
            let allowed: Vec<SocketAddr> = resolved
                .filter(|address| {
                    is_public_address(address.ip())
                        || (allow_loopback && address.ip().is_loopback())
                })
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(NoPublicAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    /// The name resolves to loopback only: refused, unless the development
    /// exception allows loopback. (A public name pointed at a private
    /// address, DNS rebinding, meets the same filter: it is the only lookup.)
    #[tokio::test]
    async fn the_resolver_keeps_public_addresses_only() {
        use reqwest::dns::Resolve as _;
        let name = |host: &str| reqwest::dns::Name::from_str(host).unwrap();
        let strict = CheckedResolver {
            allow_loopback: false,
        };
        let refused = strict.resolve(name("localhost")).await;
        assert!(
            refused
                .err()
                .is_some_and(|err| err.downcast_ref::<NoPublicAddress>().is_some())
        );
        let development = CheckedResolver {
            allow_loopback: true,
        };
        let addresses: Vec<SocketAddr> = development
            .resolve(name("localhost"))
            .await
            .unwrap()
            .collect();
        assert!(!addresses.is_empty());
        assert!(addresses.iter().all(|address| address.ip().is_loopback()));
    }

    #[test]
    fn cache_lifetimes_follow_rfc_9111() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let secs = |n: u64| Some(Duration::from_secs(n));
        let cases = [
            (vec![], None),
            (vec![("cache-control", "max-age=600")], secs(600)),
            (
                vec![("cache-control", "public, max-age=600"), ("age", "100")],
                secs(500),
            ),
            (
                vec![("cache-control", "max-age=60"), ("age", "100")],
                secs(0),
            ),
            (vec![("cache-control", "no-store, max-age=600")], secs(0)),
            (vec![("cache-control", "No-Cache")], secs(0)),
            (
                vec![
                    ("date", "Fri, 15 Jan 2027 08:00:00 GMT"),
                    ("expires", "Fri, 15 Jan 2027 09:00:00 GMT"),
                ],
                secs(3600),
            ),
            (vec![("expires", "not a date")], None),
            (vec![("cache-control", "max-age=abc")], None),
        ];
        for (pairs, expected) in cases {
            assert_eq!(cache_lifetime(&headers(&pairs), now), expected, "{pairs:?}");
        }
    }
}
