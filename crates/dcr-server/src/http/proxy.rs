//! The service's external base URL, for `registration_client_uri` and the
//! discovery metadata: `DCR_PUBLIC_URL` when set; otherwise derived from the
//! request, believing `X-Forwarded-Proto` / `X-Forwarded-Host` (or, where
//! they are absent, RFC 7239 `Forwarded`'s `proto=` / `host=`: see
//! `forwarded`) only from the gateways in `DCR_TRUSTED_PROXIES` (anyone else
//! could forge them).
//!
//! Whether a peer is a trusted proxy, and so what the request's client
//! address is, is decided here alone ([`TrustedProxies`]): the rate limits,
//! the request log, the verify call and the base URL all ask it.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use url::Url;

use crate::config::ip_range::IpRange;
use crate::http::authority::is_authority;
use crate::http::error::ApiError;
use crate::http::forwarded::{self, Origin};

/// The gateways in `DCR_TRUSTED_PROXIES`: only a request straight from one
/// may say things about itself in headers.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpRange]>);

impl TrustedProxies {
    pub fn new(ranges: Vec<IpRange>) -> Self {
        Self(ranges.into())
    }

    /// Whether the request came straight from a trusted proxy (which may
    /// then state its client, scheme, host and `X-Request-Id`).
    pub fn sent(&self, request: &HttpRequest) -> bool {
        request
            .peer_addr()
            .is_some_and(|peer| self.0.iter().any(|range| range.contains(peer.ip())))
    }

    /// The request's client address: the peer, or the first hop a trusted
    /// gateway saw (see `forwarded`). None without a peer address (an
    /// in-process test request).
    pub fn client_address(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        Some(forwarded::client_address(peer, request.headers(), &self.0))
    }

    /// The scheme and host a trusted `Forwarded` states (see `forwarded`).
    fn stated_origin(&self, request: &HttpRequest) -> Origin {
        request.peer_addr().map_or_else(Origin::default, |peer| {
            forwarded::stated_origin(peer.ip(), request.headers(), &self.0)
        })
    }
}

#[derive(Debug, Clone)]
pub struct PublicBase {
    configured: Option<String>,
    proxies: TrustedProxies,
}

impl PublicBase {
    pub fn new(configured: Option<&Url>, proxies: TrustedProxies) -> Self {
        Self {
            configured: configured.map(|url| url.as_str().trim_end_matches('/').to_owned()),
            proxies,
        }
    }

    /// Whether the base comes from `DCR_PUBLIC_URL` rather than requests.
    pub fn is_configured(&self) -> bool {
        self.configured.is_some()
    }

    /// The base URL, without a trailing slash. Refused when derived from a
    /// `Host` (or a trusted `X-Forwarded-Host`) that is not a host with an
    /// optional port ([`BadHost`]).
    pub fn for_request(&self, request: &HttpRequest) -> Result<String, BadHost> {
        if let Some(configured) = &self.configured {
            return Ok(configured.clone());
        }
        let headers = request.headers();
        let from_gateway = self.proxies.sent(request);
        let forwarded = |name: &str| from_gateway.then(|| first_value(headers, name)).flatten();
        let stated = self.proxies.stated_origin(request);
        let scheme = match forwarded("x-forwarded-proto").or(stated.proto.as_deref()) {
            Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let host = match forwarded("x-forwarded-host").or(stated.host.as_deref()) {
            Some(host) => authority(Some(host), BadHost::ForwardedHost)?,
            None => authority(
                headers
                    .get(header::HOST)
                    .and_then(|value| value.to_str().ok()),
                BadHost::Host,
            )?,
        };
        Ok(format!("{scheme}://{host}"))
    }
}

/// A URL was to be derived from a host header that is missing or not a
/// host with an optional port: answered `400`, never a URL that names
/// another host, or no host, to whoever follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadHost {
    Host,
    ForwardedHost,
}

impl From<BadHost> for ApiError {
    fn from(bad: BadHost) -> Self {
        ApiError::InvalidRequest(match bad {
            BadHost::Host => {
                "the Host header must be a host name or IP address with an optional port from 0 to 65535 (RFC 9110 section 7.2)"
            }
            BadHost::ForwardedHost => {
                "the forwarded host (X-Forwarded-Host, or Forwarded host=) must be a host name or IP address with an optional port from 0 to 65535"
            }
        })
    }
}

/// `value` when it is an authority (see [`is_authority`]).
fn authority(value: Option<&str>, bad: BadHost) -> Result<&str, BadHost> {
    value.filter(|value| is_authority(value)).ok_or(bad)
}

/// The first of a comma-separated header's values (a chain of proxies adds
/// its own at the end; the first is what the client asked for).
fn first_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}
