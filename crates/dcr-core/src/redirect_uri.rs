//! Redirect URIs as RFC 7591 section 2 and RFC 8252 sections 7-8 allow them, and
//! the match an authorization server performs at `/authorize` time.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::RedirectUriError;

/// Schemes that can run script, read local files or reach other protocols in a
/// user agent; never a redirect target, whatever the operator allows.
const DANGEROUS_SCHEMES: &[&str] = &[
    "javascript",
    "vbscript",
    "data",
    "file",
    "blob",
    "about",
    "filesystem",
    "view-source",
    "jar",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
    "sms",
    "intent",
    "chrome",
    "chrome-extension",
    "resource",
    "urn",
];

/// Which redirect URIs an operator accepts beyond `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// Private-use schemes for native apps (RFC 8252 section 7.1).
    pub allow_custom_schemes: bool,
    /// The name `localhost` besides loopback IP literals (RFC 8252 section 8.3
    /// prefers literals, but many MCP clients send `localhost`).
    pub allow_localhost: bool,
    pub max_length: usize,
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        Self {
            allow_custom_schemes: true,
            allow_localhost: true,
            max_length: 2000,
        }
    }
}

/// How a redirect URI reaches the client; decides the application type default
/// and the loopback port rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Https,
    /// `http` to `127.0.0.0/8`, `[::1]` or `localhost` (RFC 8252 section 7.3).
    Loopback,
    /// A private-use URI scheme (RFC 8252 section 7.1).
    PrivateUse,
}

/// A registered redirect URI. The string is kept verbatim, because the
/// authorization server compares it exactly (RFC 6749 section 3.1.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    verbatim: String,
    kind: RedirectKind,
}

impl RedirectUri {
    pub fn parse(raw: &str, policy: &RedirectPolicy) -> Result<Self, RedirectUriError> {
        if raw.len() > policy.max_length {
            return Err(RedirectUriError::TooLong {
                max: policy.max_length,
            });
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(RedirectUriError::ForbiddenCharacter);
        }
        if raw.contains('*') {
            return Err(RedirectUriError::Wildcard);
        }
        if raw.contains('#') {
            return Err(RedirectUriError::Fragment);
        }
        let url = Url::parse(raw).map_err(|_| RedirectUriError::NotAbsolute)?;
        if !url.username().is_empty() || url.password().is_some() || has_empty_userinfo(raw) {
            return Err(RedirectUriError::UserInfo);
        }
        let kind = match url.scheme() {
            "https" => {
                if url.host().is_none() {
                    return Err(RedirectUriError::MissingHost);
                }
                RedirectKind::Https
            }
            "http" => match url.host() {
                Some(host) if is_loopback_ip(&host) => RedirectKind::Loopback,
                Some(Host::Domain("localhost")) => {
                    if !policy.allow_localhost {
                        return Err(RedirectUriError::LocalhostNotAllowed);
                    }
                    RedirectKind::Loopback
                }
                _ => return Err(RedirectUriError::InsecureHttp),
            },
            scheme if DANGEROUS_SCHEMES.contains(&scheme) => {
                return Err(RedirectUriError::DangerousScheme);
            }
            _ => {
                if !policy.allow_custom_schemes {
                    return Err(RedirectUriError::CustomSchemeNotAllowed);
                }
                RedirectKind::PrivateUse
            }
        };
        Ok(Self {
            verbatim: raw.to_owned(),
            kind,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.verbatim
    }

    pub fn kind(&self) -> RedirectKind {
        self.kind
    }

    /// Whether a redirect URI presented at `/authorize` matches this registered
    /// one: exactly, or by the loopback port rule.
    pub fn matches(&self, presented: &str) -> bool {
        self.verbatim == presented || self.matches_loopback_on_any_port(presented)
    }

    /// RFC 8252 section 7.3: a native app binds an ephemeral port on loopback, so
    /// the server MUST allow any port for loopback redirects; scheme, host, path
    /// and query must still be identical.
    fn matches_loopback_on_any_port(&self, presented: &str) -> bool {
        if self.kind != RedirectKind::Loopback || presented.contains('#') {
            return false;
        }
        let (Ok(registered), Ok(candidate)) = (Url::parse(&self.verbatim), Url::parse(presented))
        else {
            return false;
        };
        candidate.scheme() == "http"
            && candidate.username().is_empty()
            && candidate.password().is_none()
            && !has_empty_userinfo(presented)
            && registered.host() == candidate.host()
            && registered.path() == candidate.path()
            && registered.query() == candidate.query()
    }
}

/// `http://@host/` parses with an empty user name; it still carries a user-info
/// delimiter that some parsers read differently, so it is refused too.
pub(crate) fn has_empty_userinfo(raw: &str) -> bool {
    let Some(rest) = raw.split_once("://").map(|(_, rest)| rest) else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority.contains('@')
}

fn is_loopback_ip(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => Ipv4Addr::is_loopback(ip),
        Host::Ipv6(ip) => *ip == Ipv6Addr::LOCALHOST,
        Host::Domain(_) => false,
    }
}

/// Whether `presented` matches any of the registered redirect URIs.
pub fn redirect_uri_matches(registered: &[RedirectUri], presented: &str) -> bool {
    registered.iter().any(|uri| uri.matches(presented))
}

#[cfg(test)]
mod tests;
