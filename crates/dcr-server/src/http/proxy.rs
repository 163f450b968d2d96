//! The service's external base URL, for `registration_client_uri` and the
//! discovery metadata: `DCR_PUBLIC_URL` when set; otherwise derived from the
//! request, believing `X-Forwarded-Proto` / `X-Forwarded-Host` (or, where
//! they are absent, RFC 7239 `Forwarded`'s `proto=` / `host=`: see
//! `forwarded`) only from the gateways in `DCR_TRUSTED_PROXIES` (anyone else
//! could forge them).

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use url::Url;

use crate::config::ip_range::IpRange;
use crate::http::authority::is_authority;
use crate::http::error::ApiError;
use crate::http::forwarded::{self, Origin};

#[derive(Debug, Clone)]
pub struct PublicBase {
    configured: Option<String>,
    trusted_proxies: Vec<IpRange>,
}

impl PublicBase {
    pub fn new(configured: Option<&Url>, trusted_proxies: Vec<IpRange>) -> Self {
        Self {
            configured: configured.map(|url| url.as_str().trim_end_matches('/').to_owned()),
            trusted_proxies,
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
        let from_gateway = request.peer_addr().is_some_and(|peer| {
            self.trusted_proxies
                .iter()
                .any(|range| range.contains(peer.ip()))
        });
        let forwarded = |name: &str| from_gateway.then(|| first_value(headers, name)).flatten();
        let stated = request.peer_addr().map_or_else(Origin::default, |peer| {
            forwarded::stated_origin(peer.ip(), headers, &self.trusted_proxies)
        });
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
