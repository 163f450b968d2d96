//! The service's external base URL, for `registration_client_uri` and the
//! discovery metadata: `DCR_PUBLIC_URL` when set; otherwise derived from the
//! request, believing `X-Forwarded-Proto` / `X-Forwarded-Host` (or, where
//! they are absent, RFC 7239 `Forwarded`'s `proto=` / `host=`: see
//! `forwarded`) only from the gateways in `DCR_TRUSTED_PROXIES` (anyone else
//! could forge them).

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use url::Url;

use crate::forwarded::{self, Origin};
use crate::ip_range::IpRange;

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

    /// The base URL, without a trailing slash.
    pub fn for_request(&self, request: &HttpRequest) -> String {
        if let Some(configured) = &self.configured {
            return configured.clone();
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
        let host = forwarded("x-forwarded-host")
            .or(stated.host.as_deref())
            .filter(|host| is_host(host))
            .or_else(|| first_value(headers, header::HOST.as_str()).filter(|host| is_host(host)))
            .map(str::to_owned)
            .unwrap_or_else(|| request.app_config().host().to_owned());
        format!("{scheme}://{host}")
    }
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

/// A host with an optional port, and nothing that could bend a URL.
fn is_host(candidate: &str) -> bool {
    candidate.len() <= 255
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}
