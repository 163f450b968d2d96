//! The syntax every URI that dcr stores must have, so that every RFC 3986
//! parser reads it the same way: the authorization server's, the consent
//! page's, the gateway's and the browser's.
//!
//! The `url` crate follows the WHATWG URL Standard, which repairs input that
//! RFC 3986 parsers read differently: `https:evil.example` and
//! `https:\\evil.example` become `https://evil.example/`, `http://127.1/` and
//! `http://0x7f.0.0.1/` become `http://127.0.0.1/`, and a percent-encoded or
//! internationalised host is decoded. Python's `urlparse`, Go's `net/url` and
//! Java's `URI` do none of that. So the raw text is checked here first, with
//! an RFC 3986 grammar narrowed to what all of them agree on, and the `url`
//! crate's reading must then match it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::UriSyntaxError;

/// A URI read by the narrow grammar, with the host as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StrictUri {
    /// Lower-cased (schemes are case-insensitive, RFC 3986 section 3.1).
    pub scheme: String,
    /// Present for `scheme://authority...`; always present for http(s).
    pub host: Option<UriHost>,
    pub url: Url,
}

/// The host of an authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UriHost {
    /// A registered name, lower-cased.
    Name(String),
    Ip(IpAddr),
}

impl StrictUri {
    /// Reads `raw`. Schemes of the web (`http`, `https`) must have an
    /// authority with a non-empty host; other schemes may omit it.
    pub(crate) fn parse(raw: &str) -> Result<Self, UriSyntaxError> {
        check_characters(raw)?;
        let (scheme, rest) = raw.split_once(':').ok_or(UriSyntaxError::NotAbsolute)?;
        if !is_scheme(scheme) {
            return Err(UriSyntaxError::NotAbsolute);
        }
        let scheme = scheme.to_ascii_lowercase();
        let web = matches!(scheme.as_str(), "http" | "https");
        let host = match rest.strip_prefix("//") {
            Some(after_slashes) => Some(parse_authority(after_slashes, web)?),
            None if web => return Err(UriSyntaxError::MissingAuthority),
            None => None,
        };
        let url = Url::parse(raw).map_err(|_| UriSyntaxError::NotAbsolute)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UriSyntaxError::UserInfo);
        }
        if let Some(host) = &host
            && web
            && !same_host(host, url.host())
        {
            return Err(UriSyntaxError::AmbiguousHost);
        }
        Ok(Self { scheme, host, url })
    }
}

/// ASCII only (an internationalised host must arrive as punycode), and
/// nothing that parsers split, trim or repair differently.
fn check_characters(raw: &str) -> Result<(), UriSyntaxError> {
    for byte in raw.bytes() {
        match byte {
            0x80.. => return Err(UriSyntaxError::NonAscii),
            b'\\' => return Err(UriSyntaxError::Backslash),
            0x00..=0x20 | 0x7f => return Err(UriSyntaxError::ForbiddenCharacter),
            _ => {}
        }
    }
    Ok(())
}

/// RFC 3986 section 3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
pub(crate) fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `authority = host [ ":" port ]`, without user information. `web` hosts
/// must not be empty.
fn parse_authority(after_slashes: &str, web: bool) -> Result<UriHost, UriSyntaxError> {
    let end = after_slashes
        .find(['/', '?', '#'])
        .unwrap_or(after_slashes.len());
    let authority = &after_slashes[..end];
    if authority.contains('@') {
        return Err(UriSyntaxError::UserInfo);
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (literal, after) = bracketed
            .split_once(']')
            .ok_or(UriSyntaxError::InvalidHost)?;
        if literal.contains('%') {
            return Err(UriSyntaxError::ZoneId);
        }
        let address: Ipv6Addr = literal.parse().map_err(|_| UriSyntaxError::InvalidHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UriSyntaxError::InvalidHost)?),
        };
        (UriHost::Ip(IpAddr::V6(address)), port)
    } else {
        let (name, port) = match authority.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        if name.is_empty() {
            if web {
                return Err(UriSyntaxError::MissingHost);
            }
            if port.is_some() {
                return Err(UriSyntaxError::InvalidHost);
            }
            // A private-use URI may have an empty authority
            // (`com.example.app:///cb`): nothing to read differently.
            return Ok(UriHost::Name(String::new()));
        }
        // Letters, digits, hyphens, dots and underscores: no percent-encoding,
        // no sub-delimiters, nothing a parser could decode or split.
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(UriSyntaxError::InvalidHost);
        }
        let host = match name.parse::<Ipv4Addr>() {
            Ok(address) => UriHost::Ip(IpAddr::V4(address)),
            Err(_) => UriHost::Name(name.to_ascii_lowercase()),
        };
        (host, port)
    };
    if let Some(port) = port {
        let digits_only = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        if !digits_only || port.len() > 5 || port.parse::<u16>().is_err() {
            return Err(UriSyntaxError::InvalidPort);
        }
    }
    Ok(host)
}

/// Whether the `url` crate read the host as it was written. It turns some
/// names into addresses (`127.1`, `0x7f.0.0.1`, `2130706433`), which other
/// parsers keep as names: such hosts are refused.
fn same_host(written: &UriHost, read: Option<Host<&str>>) -> bool {
    match (written, read) {
        (UriHost::Name(name), Some(Host::Domain(domain))) => name.eq_ignore_ascii_case(domain),
        (UriHost::Ip(IpAddr::V4(written)), Some(Host::Ipv4(read))) => *written == read,
        (UriHost::Ip(IpAddr::V6(written)), Some(Host::Ipv6(read))) => *written == read,
        _ => false,
    }
}

impl UriHost {
    /// `127.0.0.0/8`, `[::1]` or the name `localhost` (RFC 8252 section 7.3,
    /// RFC 6761 section 6.3). `0.0.0.0` and `[::]` mean "any address" to a
    /// listener, not "this machine" to a client: they are not loopback.
    pub(crate) fn is_loopback_address(&self) -> bool {
        match self {
            Self::Ip(IpAddr::V4(address)) => address.is_loopback(),
            Self::Ip(IpAddr::V6(address)) => *address == Ipv6Addr::LOCALHOST,
            Self::Name(_) => false,
        }
    }

    pub(crate) fn is_localhost_name(&self) -> bool {
        matches!(self, Self::Name(name) if name == "localhost")
    }

    /// Whether a URL with this host may be fetched or shown as a public
    /// resource: a global IP address, or a name with at least two labels
    /// outside the special-use domains that never resolve publicly.
    pub(crate) fn is_public(&self) -> bool {
        match self {
            Self::Ip(IpAddr::V4(address)) => is_public_v4(*address),
            Self::Ip(IpAddr::V6(address)) => is_public_v6(*address),
            Self::Name(name) => is_public_name(name),
        }
    }
}

/// Special-use names that never resolve publicly: RFC 6761 (`localhost`,
/// `invalid`, `test`, `example`), RFC 6762 (`local`), RFC 8375
/// (`home.arpa`), ICANN's `internal`, and the common `localdomain`/`lan`.
const PRIVATE_SUFFIXES: [&str; 9] = [
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "localdomain",
    "lan",
    "intranet",
    "corp",
    "invalid",
];

fn is_public_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || !name.contains('.') || name.split('.').any(str::is_empty) {
        return false;
    }
    !PRIVATE_SUFFIXES.iter().any(|suffix| {
        name == *suffix
            || name
                .strip_suffix(suffix)
                .is_some_and(|head| head.ends_with('.'))
    })
}

/// Not loopback, private (RFC 1918), link-local, CGNAT (RFC 6598),
/// unspecified, broadcast, multicast, reserved, or a documentation or
/// benchmarking range.
fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    !(a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..=127).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 192 && b == 168)
        || (a == 198 && (18..=19).contains(&b))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224)
}

/// Whether an address may be connected to as a public resource: what a
/// fetcher checks on every address a name resolves to (see
/// [`UriHost::is_public`] for the ranges).
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(address) => is_public_v4(address),
        IpAddr::V6(address) => is_public_v6(address),
    }
}

/// Not unspecified, loopback, unique-local (`fc00::/7`), link-local
/// (`fe80::/10`), multicast, documentation (`2001:db8::/32`); and an address
/// that embeds an IPv4 one (mapped, compatible, NAT64, 6to4) is judged by it.
fn is_public_v6(address: Ipv6Addr) -> bool {
    let segments = address.segments();
    if let Some(v4) = address.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let embedded_v4 = |high: u16, low: u16| {
        let [h1, h2] = high.to_be_bytes();
        let [l1, l2] = low.to_be_bytes();
        Ipv4Addr::new(h1, h2, l1, l2)
    };
    // `::a.b.c.d` (deprecated IPv4-compatible) and `64:ff9b::a.b.c.d` (NAT64).
    if segments[..6] == [0; 6] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    // 6to4: `2002:a.b.c.d::/48`.
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    !(address.is_unspecified()
        || address.is_loopback()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xff00) == 0xff00
        || (segments[0] == 0x2001 && segments[1] == 0x0db8))
}

#[cfg(test)]
mod tests;
