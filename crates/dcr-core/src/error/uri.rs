//! Why a URI is refused: its text (by the narrow RFC 3986 grammar of
//! `uri`), or its meaning as a redirect URI or another URL member.

use std::fmt;

/// Why a URI's text is refused before its meaning is looked at: what RFC 3986
/// parsers would read differently (see `uri`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriSyntaxError {
    NotAbsolute,
    /// Anything outside ASCII; an internationalised host must arrive as
    /// punycode (`xn--...`).
    NonAscii,
    Backslash,
    /// Whitespace or a control character.
    ForbiddenCharacter,
    /// `http:` and `https:` need `scheme://host`.
    MissingAuthority,
    MissingHost,
    UserInfo,
    /// A host with characters beyond letters, digits, `-`, `.` and `_`, or a
    /// malformed IP literal.
    InvalidHost,
    /// A host that some parsers read as an IP address and others as a name
    /// (`127.1`, `0x7f.0.0.1`, `2130706433`).
    AmbiguousHost,
    InvalidPort,
    /// An IPv6 zone identifier (`[fe80::1%25eth0]`): meaningful only on one
    /// machine, and read differently by parsers.
    ZoneId,
}

impl fmt::Display for UriSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAbsolute => "must be an absolute URI",
            Self::NonAscii => {
                "must be ASCII only; send an internationalised host name as punycode (xn--)"
            }
            Self::Backslash => "must not contain a backslash",
            Self::ForbiddenCharacter => "must not contain whitespace or control characters",
            Self::MissingAuthority => "must start with the scheme followed by :// and a host",
            Self::MissingHost => "must name a host",
            Self::UserInfo => "must not contain user information",
            Self::InvalidHost => {
                "must have a host of letters, digits, hyphens and dots, or an IP literal"
            }
            Self::AmbiguousHost => {
                "has a host that URL parsers read differently; write an IP address in dotted decimal"
            }
            Self::InvalidPort => "must have a port from 1 to 5 digits, at most 65535",
            Self::ZoneId => "must not contain an IPv6 zone identifier",
        })
    }
}

/// Why a redirect URI is refused (RFC 7591 section 2, RFC 8252 sections 7 and 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectUriError {
    Syntax(UriSyntaxError),
    Fragment,
    Wildcard,
    TooLong {
        max: usize,
    },
    /// `http` to a host that is not loopback.
    InsecureHttp,
    /// `localhost` where the operator allows only loopback IP literals.
    LocalhostNotAllowed,
    /// A scheme that can run code, read local data or start an operating
    /// system's protocol handler.
    DangerousScheme,
    /// A private-use scheme where the operator allows only https and loopback.
    CustomSchemeNotAllowed,
    /// A private-use scheme without a dot that is not on the operator's list
    /// (DCR_NATIVE_SCHEMES).
    SchemeNotAllowed,
    /// A private-use scheme with a dot that is not a reverse domain name.
    NotReverseDomainName,
}

impl From<UriSyntaxError> for RedirectUriError {
    fn from(err: UriSyntaxError) -> Self {
        Self::Syntax(err)
    }
}

impl fmt::Display for RedirectUriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(inner) => inner.fmt(f),
            Self::Fragment => f.write_str("must not contain a fragment (RFC 6749 section 3.1.2)"),
            Self::Wildcard => f.write_str("must not contain wildcards"),
            Self::TooLong { max } => write!(f, "must be at most {max} bytes long"),
            Self::InsecureHttp => f.write_str(
                "must use https; http is allowed only for loopback hosts (RFC 8252 section 7.3)",
            ),
            Self::LocalhostNotAllowed => f.write_str(
                "must use a loopback IP literal instead of localhost (RFC 8252 section 8.3)",
            ),
            Self::DangerousScheme => f.write_str("uses a scheme that is never allowed"),
            Self::CustomSchemeNotAllowed => {
                f.write_str("uses a private-use scheme, which this server does not accept")
            }
            Self::SchemeNotAllowed => f.write_str(
                "uses a private-use scheme that is neither a reverse domain name such as com.example.app nor one this server accepts (RFC 8252 section 7.1)",
            ),
            Self::NotReverseDomainName => f.write_str(
                "uses a private-use scheme that is not a reverse domain name such as com.example.app (RFC 8252 section 7.1)",
            ),
        }
    }
}

/// Why a URL-valued metadata member (`client_uri`, `logo_uri`, ...) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    Syntax(UriSyntaxError),
    /// Not `https`.
    InsecureScheme,
    /// A loopback, private, link-local or otherwise non-public address, or a
    /// name that does not resolve publicly (`intranet`, `*.local`).
    NonPublicHost,
    TooLong {
        max: usize,
    },
}

impl From<UriSyntaxError> for UrlError {
    fn from(err: UriSyntaxError) -> Self {
        Self::Syntax(err)
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(inner) => inner.fmt(f),
            Self::InsecureScheme => f.write_str("must be an https URL"),
            Self::NonPublicHost => f.write_str(
                "must name a public host: no loopback, private, link-local or special-use address or name",
            ),
            Self::TooLong { max } => write!(f, "must be at most {max} bytes long"),
        }
    }
}
