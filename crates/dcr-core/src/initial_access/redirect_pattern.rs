//! The entries of a token policy's `redirect_uri_hosts`: where the
//! registrations it authorizes may send the authorization code.

use std::fmt;

use crate::error::Problem;
use crate::redirect_uri::{RedirectKind, RedirectUri, is_dotted_name};

use super::HostPattern;

/// One entry of `redirect_uri_hosts`. Two kinds that never stand in for
/// each other:
/// - a host pattern (`app.example.com`, `*.example.com`, `127.0.0.1`,
///   `[::1]`) admits the host of an `https` or loopback `http` redirect
///   URI, and nothing else: `*.partner.example` must not admit the
///   private-use URI `x.partner.example:/cb`, whose scheme any app on a
///   device may claim;
/// - a scheme, written with its colon (`cursor:`, `com.example.app:`),
///   admits private-use redirect URIs of exactly that scheme (RFC 8252
///   section 7.1), and no host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectPattern {
    Host(HostPattern),
    Scheme(String),
}

impl RedirectPattern {
    /// Case-insensitive, as schemes and hosts are. A scheme is a name of
    /// `a-z 0-9 -` labels, never `http` or `https` (those redirect URIs go
    /// to hosts) and never a pattern.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let Some(scheme) = raw.strip_suffix(':') else {
            return HostPattern::parse(raw).map(Self::Host);
        };
        let scheme = scheme.to_ascii_lowercase();
        if is_dotted_name(&scheme) && scheme != "http" && scheme != "https" {
            Ok(Self::Scheme(scheme))
        } else {
            Err(Problem::InvalidHostPattern)
        }
    }

    /// Whether a redirect URI may go where this entry says.
    pub fn admits(&self, redirect: &RedirectUri) -> bool {
        match (self, redirect.kind()) {
            (Self::Host(pattern), RedirectKind::Https | RedirectKind::Loopback) => redirect
                .destination()
                .is_some_and(|host| pattern.matches(&host)),
            (Self::Scheme(scheme), RedirectKind::PrivateUse) => {
                redirect.destination().as_deref() == Some(scheme.as_str())
            }
            _ => false,
        }
    }
}

impl RedirectPattern {
    /// A host entry that earlier releases, which wrote schemes without their
    /// colon, also read as a private-use scheme, and that was almost surely
    /// meant as one: a single label (`cursor`, `vscode`) names no public
    /// host. Such a token no longer admits that scheme; start-up names it.
    pub fn reads_like_an_earlier_scheme(&self) -> bool {
        match self {
            Self::Host(pattern) => pattern.is_single_label(),
            Self::Scheme(_) => false,
        }
    }
}

impl fmt::Display for RedirectPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host(pattern) => pattern.fmt(f),
            Self::Scheme(scheme) => write!(f, "{scheme}:"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::redirect_uri::RedirectPolicy;

    #[test]
    fn single_label_hosts_read_like_the_schemes_of_earlier_releases() {
        let cases = [
            ("cursor", true),
            ("vscode", true),
            ("cursor:", false),
            ("com.example.app", false),
            ("app.example.com", false),
            ("*.example.com", false),
            ("localhost", false),
            ("127.0.0.1", false),
            ("[::1]", false),
        ];
        for (entry, earlier_scheme) in cases {
            let pattern = RedirectPattern::parse(entry).unwrap();
            assert_eq!(
                pattern.reads_like_an_earlier_scheme(),
                earlier_scheme,
                "{entry}"
            );
        }
    }

    #[test]
    fn hosts_admit_hosts_and_schemes_admit_schemes() {
        let cases = [
            // (entry, redirect URI, admitted)
            ("*.partner.example", "https://x.partner.example/cb", true),
            ("*.partner.example", "https://a.b.partner.example/cb", true),
            ("*.partner.example", "https://partner.example/cb", false),
            // A scheme that reads like a host of the pattern is no host.
            ("*.partner.example", "x.partner.example:/cb", false),
            ("*.partner.example", "x.partner.example://h/cb", false),
            (
                "*.partner.example",
                "x.partner.example://x.partner.example/cb",
                false,
            ),
            (
                "app.partner.example",
                "https://app.partner.example/cb",
                true,
            ),
            ("app.partner.example", "app.partner.example:/cb", false),
            ("com.example.app", "com.example.app:/cb", false),
            ("cursor", "cursor://anysphere.cursor-mcp/cb", false),
            ("127.0.0.1", "http://127.0.0.1:5555/cb", true),
            ("[::1]", "http://[::1]:5555/cb", true),
            ("localhost", "http://localhost:3000/cb", true),
            (
                "App.Partner.Example",
                "https://app.partner.example/cb",
                true,
            ),
            // Schemes: exactly that private-use scheme, never a host.
            ("cursor:", "cursor://anysphere.cursor-mcp/cb", true),
            ("Cursor:", "cursor://anysphere.cursor-mcp/cb", true),
            ("com.example.app:", "com.example.app:/cb", true),
            ("com.example.app:", "com.example.app.evil:/cb", false),
            ("com.example:", "com.example.app:/cb", false),
            ("vscode:", "cursor://anysphere.cursor-mcp/cb", false),
            (
                "app.partner.example:",
                "https://app.partner.example/cb",
                false,
            ),
            ("localhost:", "http://localhost:3000/cb", false),
        ];
        for (entry, redirect, admitted) in cases {
            let pattern = RedirectPattern::parse(entry).unwrap();
            let redirect = RedirectUri::parse(redirect, &RedirectPolicy::default())
                .unwrap_or_else(|err| panic!("{redirect}: {err}"));
            assert_eq!(pattern.admits(&redirect), admitted, "{entry} {redirect:?}");
        }
    }

    #[test]
    fn entries_read_back_as_written() {
        for entry in ["cursor:", "com.example.app:", "*.example.com", "[::1]"] {
            let pattern = RedirectPattern::parse(entry).unwrap();
            assert_eq!(pattern.to_string(), entry);
            assert_eq!(RedirectPattern::parse(&pattern.to_string()), Ok(pattern));
        }
        assert_eq!(
            RedirectPattern::parse("cursor"),
            Ok(RedirectPattern::Host(HostPattern::parse("cursor").unwrap()))
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            ":",
            "*.example.com:",
            "https:",
            "HTTP:",
            "http:",
            "cur sor:",
            "cursor::",
            "a..b:",
            "[::1]:",
            "cursor:/cb",
            "https://example.com",
        ] {
            assert_eq!(
                RedirectPattern::parse(bad),
                Err(Problem::InvalidHostPattern),
                "{bad:?}"
            );
        }
    }
}
