//! URL-valued metadata: `client_uri`, `logo_uri`, `tos_uri`, `policy_uri` and
//! `jwks_uri` (RFC 7591 section 2).

use url::{Host, Url};

use crate::error::UrlError;

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
        if !url.username().is_empty() || url.password().is_some() {
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
