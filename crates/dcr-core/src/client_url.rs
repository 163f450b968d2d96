//! URL-valued metadata: `client_uri`, `logo_uri`, `tos_uri`, `policy_uri` and
//! `jwks_uri` (RFC 7591 section 2).

use url::{Host, Url};

use crate::error::UrlError;
use crate::redirect_uri::has_empty_userinfo;

/// Which schemes a URL member accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRule {
    /// `https`, or `http` to a loopback host (a developer's local client).
    HttpsOrLoopback,
    /// `https` only: key material must not travel in the clear (`jwks_uri`).
    HttpsOnly,
}

/// A checked URL member, kept verbatim as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientUrl(String);

impl ClientUrl {
    pub fn parse(raw: &str, rule: UrlRule, max_length: usize) -> Result<Self, UrlError> {
        if raw.len() > max_length {
            return Err(UrlError::TooLong { max: max_length });
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(UrlError::ForbiddenCharacter);
        }
        let url = Url::parse(raw).map_err(|_| UrlError::NotAbsolute)?;
        // An empty user-info (`https://@host/`) is refused as for redirect URIs.
        if !url.username().is_empty() || url.password().is_some() || has_empty_userinfo(raw) {
            return Err(UrlError::UserInfo);
        }
        let allowed = match (url.scheme(), rule) {
            ("https", _) => url.host().is_some(),
            ("http", UrlRule::HttpsOrLoopback) => url.host().is_some_and(|host| is_loopback(&host)),
            _ => false,
        };
        if allowed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(UrlError::InsecureScheme)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(name) => *name == "localhost",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const MAX: usize = 2000;

    #[test]
    fn checks_scheme_host_and_shape() {
        let too_long = format!("https://a.example/{}", "a".repeat(MAX));
        let cases: Vec<(&str, UrlRule, Result<(), UrlError>)> = vec![
            ("https://a.example", UrlRule::HttpsOrLoopback, Ok(())),
            (
                "https://a.example/logo.png?v=2#top",
                UrlRule::HttpsOrLoopback,
                Ok(()),
            ),
            (
                "http://localhost:3000/about",
                UrlRule::HttpsOrLoopback,
                Ok(()),
            ),
            ("http://127.0.0.1/about", UrlRule::HttpsOrLoopback, Ok(())),
            ("http://[::1]:8080/about", UrlRule::HttpsOrLoopback, Ok(())),
            (
                "http://a.example/about",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::InsecureScheme),
            ),
            (
                "http://localhost.evil.com/about",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::InsecureScheme),
            ),
            (
                "ftp://a.example/logo.png",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::InsecureScheme),
            ),
            (
                "javascript:alert(1)",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::InsecureScheme),
            ),
            (
                "data:image/png;base64,AAAA",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::InsecureScheme),
            ),
            (
                "com.example.app:/about",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::InsecureScheme),
            ),
            (
                "https://user@a.example/",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::UserInfo),
            ),
            (
                "https://u:p@a.example/",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::UserInfo),
            ),
            (
                "https://@a.example/",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::UserInfo),
            ),
            (
                "http://localhost@evil.com/",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::UserInfo),
            ),
            (
                "/logo.png",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::NotAbsolute),
            ),
            ("", UrlRule::HttpsOrLoopback, Err(UrlError::NotAbsolute)),
            (
                "https://",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::NotAbsolute),
            ),
            (
                "https://a.example/a b",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::ForbiddenCharacter),
            ),
            (
                "https://a.example/\u{0}",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::ForbiddenCharacter),
            ),
            (
                "https://a.example/\n",
                UrlRule::HttpsOrLoopback,
                Err(UrlError::ForbiddenCharacter),
            ),
            (
                &too_long,
                UrlRule::HttpsOrLoopback,
                Err(UrlError::TooLong { max: MAX }),
            ),
            // jwks_uri: key material never travels in the clear.
            ("https://a.example/jwks.json", UrlRule::HttpsOnly, Ok(())),
            (
                "http://localhost/jwks.json",
                UrlRule::HttpsOnly,
                Err(UrlError::InsecureScheme),
            ),
            (
                "http://127.0.0.1/jwks.json",
                UrlRule::HttpsOnly,
                Err(UrlError::InsecureScheme),
            ),
            (
                "http://a.example/jwks.json",
                UrlRule::HttpsOnly,
                Err(UrlError::InsecureScheme),
            ),
            (
                "https://@a.example/jwks.json",
                UrlRule::HttpsOnly,
                Err(UrlError::UserInfo),
            ),
        ];
        for (raw, rule, expected) in cases {
            let parsed = ClientUrl::parse(raw, rule, MAX);
            assert_eq!(
                parsed.clone().map(|_| ()),
                expected,
                "{raw:?} with {rule:?}"
            );
            if let Ok(url) = parsed {
                assert_eq!(url.as_str(), raw, "kept verbatim");
            }
        }
    }
}
