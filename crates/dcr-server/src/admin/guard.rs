//! The admin listener's gate: one middleware in front of every admin route,
//! so no route can forget it.
//!
//! - The admin API is for programs (the token endpoint, operators' tools),
//!   never for browsers: a request with an `Origin` header, or with a
//!   `Sec-Fetch-Site` other than `none` / `same-origin`, is refused (403) with
//!   or without a token. A web page the operator has open could otherwise
//!   reach a listener on their own machine (CSRF).
//! - With `DCR_ADMIN_TOKEN` set, every request carries it as a bearer token
//!   (401 otherwise).
//! - Without it, the listener is bound to loopback and open to local callers,
//!   so it answers only requests addressed to a loopback host: a page whose
//!   name an attacker points at 127.0.0.1 (DNS rebinding) sends its own name
//!   in `Host` (403).
//!
//! `/healthz` tells nothing and is answered to everyone, as probes need.

use std::net::{Ipv4Addr, Ipv6Addr};

use actix_web::http::header::{self, HeaderMap};
use dcr_core::TokenDigest;

use crate::http::bearer::bearer_token;
use crate::http::error::ApiError;

/// What the gate knows: the digest of `DCR_ADMIN_TOKEN`, if set.
#[derive(Debug, Clone)]
pub struct AdminGuard {
    token: Option<TokenDigest>,
}

impl AdminGuard {
    pub fn new(token: Option<TokenDigest>) -> Self {
        Self { token }
    }

    /// Whether a request to `path` with `headers` may reach the admin routes.
    pub fn check(&self, path: &str, headers: &HeaderMap) -> Result<(), ApiError> {
        if path == "/healthz" {
            return Ok(());
        }
        if headers.contains_key(header::ORIGIN) {
            return Err(ApiError::AdminForbidden(
                "the admin API does not answer browsers: a request with an Origin header is refused",
            ));
        }
        let fetched_by_a_page = headers
            .get("sec-fetch-site")
            .is_some_and(|site| !matches!(site.as_bytes(), b"none" | b"same-origin"));
        if fetched_by_a_page {
            return Err(ApiError::AdminForbidden(
                "the admin API does not answer browsers: a cross-site or same-site request is refused",
            ));
        }
        match &self.token {
            Some(expected) => match bearer_token(headers) {
                Some(presented) if expected.matches(presented) => Ok(()),
                _ => Err(ApiError::AdminUnauthorized),
            },
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|host| host.to_str().ok());
                if host.is_some_and(is_loopback_host) {
                    Ok(())
                } else {
                    Err(ApiError::AdminForbidden(
                        "without DCR_ADMIN_TOKEN the admin API answers only requests addressed to localhost, 127.0.0.1 or [::1]",
                    ))
                }
            }
        }
    }
}

/// A `Host` header naming this machine's loopback: `localhost`, an address
/// in 127.0.0.0/8 or `[::1]`, each with an optional port. `localhost.` and
/// names that merely start like one (`127.0.0.1.evil.example`) are not.
fn is_loopback_host(host: &str) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, rest)) => (address, rest),
            None => return false,
        },
        None => match host.find(':') {
            Some(colon) => host.split_at(colon),
            None => (host, ""),
        },
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|digits| {
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok()
        });
    let name_ok = if host.starts_with('[') {
        name.parse::<Ipv6Addr>()
            .is_ok_and(|address| address.is_loopback())
    } else {
        name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<Ipv4Addr>()
                .is_ok_and(|address| address.is_loopback())
    };
    port_ok && name_ok
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LocalHost:9090",
            "127.0.0.1",
            "127.0.0.1:9090",
            "127.1.2.3:1",
            "[::1]",
            "[::1]:9090",
            "[0:0:0:0:0:0:0:1]:80",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn other_hosts() {
        for host in [
            "",
            "evil.example",
            "evil.example:9090",
            "localhost.evil.com",
            "localhost.",
            "localhost.:9090",
            "127.0.0.1.evil.com",
            "127.0.0.1.evil.com:9090",
            "127.0.0.1:",
            "127.0.0.1:abc",
            "127.0.0.1:65536",
            "127.0.0.1:+80",
            "127.0.0.1:80:80",
            "127.1",
            "0x7f.0.0.1",
            "128.0.0.1",
            "10.0.0.1",
            "0.0.0.0",
            "::1",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[::]",
            "[::ffff:127.0.0.1]",
            "[fe80::1]:9090",
            "localhost@evil.example",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn refused_with(result: Result<(), ApiError>) -> &'static str {
        match result {
            Err(ApiError::AdminForbidden(_)) => "forbidden",
            Err(ApiError::AdminUnauthorized) => "unauthorized",
            Err(other) => panic!("unexpected refusal {other:?}"),
            Ok(()) => "allowed",
        }
    }

    #[test]
    fn without_a_token() {
        let open = AdminGuard::new(None);
        let cases: [(&[(&'static str, &'static str)], &str); 9] = [
            (&[("host", "127.0.0.1:9090")], "allowed"),
            (&[("host", "localhost")], "allowed"),
            (
                &[("host", "localhost"), ("sec-fetch-site", "none")],
                "allowed",
            ),
            (
                &[("host", "localhost"), ("sec-fetch-site", "same-origin")],
                "allowed",
            ),
            (&[], "forbidden"),
            (&[("host", "evil.example")], "forbidden"),
            (
                &[("host", "localhost"), ("origin", "http://localhost")],
                "forbidden",
            ),
            (
                &[("host", "localhost"), ("sec-fetch-site", "cross-site")],
                "forbidden",
            ),
            (
                &[("host", "localhost"), ("sec-fetch-site", "same-site")],
                "forbidden",
            ),
        ];
        for (pairs, expected) in cases {
            let verdict = refused_with(open.check("/admin/clients", &headers(pairs)));
            assert_eq!(verdict, expected, "{pairs:?}");
        }
        assert_eq!(
            refused_with(open.check("/healthz", &headers(&[]))),
            "allowed"
        );
    }

    #[test]
    fn with_a_token() {
        let token = "dcr-admin-test-token-0123456789-abcdefghij";
        let guarded = AdminGuard::new(Some(TokenDigest::of(token)));
        let bearer = "Bearer dcr-admin-test-token-0123456789-abcdefghij";
        let cases: [(&[(&'static str, &'static str)], &str); 5] = [
            (&[("authorization", bearer)], "allowed"),
            // Any host: with a token the listener may face a network.
            (
                &[("authorization", bearer), ("host", "admin.internal")],
                "allowed",
            ),
            (&[("host", "localhost")], "unauthorized"),
            (
                &[("authorization", "Bearer wrong"), ("host", "localhost")],
                "unauthorized",
            ),
            (
                &[("authorization", bearer), ("origin", "https://a.example")],
                "forbidden",
            ),
        ];
        for (pairs, expected) in cases {
            let verdict = refused_with(guarded.check("/admin/clients", &headers(pairs)));
            assert_eq!(verdict, expected, "{pairs:?}");
        }
        assert_eq!(
            refused_with(guarded.check("/healthz", &headers(&[]))),
            "allowed"
        );
    }
}
