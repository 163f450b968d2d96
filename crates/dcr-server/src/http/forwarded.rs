//! What the gateways in `DCR_TRUSTED_PROXIES` say about a request, read in
//! one place for the rate limits, the logs and the audit trail (the client's
//! address) and for the URLs dcr derives (the scheme and host the client
//! used). Two header families say it:
//!
//! - `X-Forwarded-For` (a list of addresses, each proxy appending the one it
//!   received from), with `X-Forwarded-Proto` and `X-Forwarded-Host`;
//! - `Forwarded` (RFC 7239): a list of elements, each proxy appending one
//!   such as `for=192.0.2.60;proto=https;host=auth.example`.
//!
//! Both lists are walked the same way, from the right: the entries a trusted
//! proxy appended are believed, up to the first one that is not itself a
//! trusted proxy, which is the client. An entry that is not an address
//! (RFC 7239's `unknown` and obfuscated `_names`, garbage) ends the walk at
//! the proxy that wrote it. Entries to the left of the client were written
//! by the client or its own proxies, and could say anything.
//!
//! A gateway manages one family and passes the other through from the client
//! untouched, so when a request carries both lists neither is believed over
//! the other: when both name a client, it must be the same one, or the
//! client is taken to be the nearest proxy. A list made only of trusted
//! proxies names no client (a gateway's own hop, behind a proxy that writes
//! the other family), and the other list decides. The
//! scheme and host come from `X-Forwarded-Proto` / `-Host` when present (see
//! `proxy`), and from `Forwarded` only on a request without
//! `X-Forwarded-For` (one that came through a `Forwarded` gateway), from the
//! element the walk stopped at: the one the outermost trusted proxy wrote.
//!
//! Parsing is one pass over each header line, never panics, and looks at no
//! more than `MAX_HOPS` entries from the right.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::http::header::{HeaderMap, HeaderValue};

use crate::config::ip_range::IpRange;

/// Entries read from the right of a list: more than any real chain of
/// proxies. A longer chain is cut here, as if its next entry were not an
/// address.
pub const MAX_HOPS: usize = 32;

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED: &str = "forwarded";

/// The client's address: the peer, unless the peer is a trusted proxy; then
/// what the trusted proxies' headers say (see the module's rules).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let by_x_forwarded_for = lines(headers, X_FORWARDED_FOR)
        .map(|lines| walk(peer, x_forwarded_for_hops(&lines), trusted));
    let by_forwarded = lines(headers, FORWARDED).map(|lines| {
        let elements = forwarded_elements(&lines);
        walk(peer, elements.iter().map(Element::hop), trusted)
    });
    match (by_x_forwarded_for, by_forwarded) {
        (Some(one), Some(other)) => match (one.ran_out, other.ran_out) {
            (false, true) => one.client,
            (true, false) => other.client,
            _ if one.client == other.client => one.client,
            // Only proxies in both: the walk X-Forwarded-For alone gives.
            (true, true) => one.client,
            // Two different clients: one list is the client's own words.
            (false, false) => peer,
        },
        (Some(walked), None) | (None, Some(walked)) => walked.client,
        (None, None) => peer,
    }
}

/// The scheme and host the client used, as `Forwarded` states them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub proto: Option<String>,
    pub host: Option<String>,
}

/// The scheme and host `Forwarded` states, read only from a trusted peer and
/// on a request without `X-Forwarded-For`: a gateway of that family passes a
/// client's `Forwarded` through unread. The caller prefers
/// `X-Forwarded-Proto` / `-Host` where present.
pub fn stated_origin(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> Origin {
    if !is_trusted(peer, trusted) || headers.contains_key(X_FORWARDED_FOR) {
        return Origin::default();
    }
    let Some(lines) = lines(headers, FORWARDED) else {
        return Origin::default();
    };
    let elements = forwarded_elements(&lines);
    let stopped = walk(peer, elements.iter().map(Element::hop), trusted).stopped_at;
    match stopped.and_then(|at| elements.get(at)) {
        Some(Some(element)) => Origin {
            proto: element.proto.clone(),
            host: element.host.clone(),
        },
        _ => Origin::default(),
    }
}

fn is_trusted(address: IpAddr, trusted: &[IpRange]) -> bool {
    trusted.iter().any(|range| range.contains(address))
}

/// A header's lines, in order; `None` when it is absent.
fn lines<'a>(headers: &'a HeaderMap, name: &str) -> Option<Vec<&'a [u8]>> {
    let lines: Vec<&[u8]> = headers.get_all(name).map(HeaderValue::as_bytes).collect();
    (!lines.is_empty()).then_some(lines)
}

/// One entry of a list, as the walk sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Address(IpAddr),
    /// Not an address: `unknown`, an obfuscated name, garbage.
    Opaque,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Walked {
    client: IpAddr,
    /// Which hop (counted from the right) the walk stopped at.
    stopped_at: Option<usize>,
    /// Whether every entry was a trusted proxy, so the list names no
    /// client (`client` is then the left-most proxy, or the peer).
    ran_out: bool,
}

/// Walks `hops`, nearest first: each trusted address is a proxy that
/// forwarded the request, the first other address is the client, and an
/// opaque hop ends the walk at the proxy before it.
fn walk(peer: IpAddr, hops: impl Iterator<Item = Hop>, trusted: &[IpRange]) -> Walked {
    let mut walked = Walked {
        client: peer,
        stopped_at: None,
        ran_out: true,
    };
    for (at, hop) in hops.enumerate() {
        walked.stopped_at = Some(at);
        if at == MAX_HOPS {
            // Cut: as if this entry were not an address.
            walked.ran_out = false;
            walked.stopped_at = at.checked_sub(1);
            break;
        }
        match hop {
            Hop::Address(address) => {
                walked.client = address;
                if !is_trusted(address, trusted) {
                    walked.ran_out = false;
                    break;
                }
            }
            Hop::Opaque => {
                walked.ran_out = false;
                break;
            }
        }
    }
    walked
}

/// `X-Forwarded-For` entries, nearest first (the last line's last entry).
/// Empty entries are skipped (RFC 9110 section 5.6.1); anything else that
/// is not a bare IP address is opaque.
fn x_forwarded_for_hops<'a>(lines: &'a [&'a [u8]]) -> impl Iterator<Item = Hop> + 'a {
    lines
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(|byte| *byte == b','))
        .map(trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            std::str::from_utf8(entry)
                .ok()
                .and_then(|entry| entry.parse().ok())
                .map_or(Hop::Opaque, Hop::Address)
        })
}

/// What one proxy said in a `Forwarded` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Element {
    /// `for=`: `None` when absent or not an address.
    client: Option<IpAddr>,
    proto: Option<String>,
    host: Option<String>,
}

impl Element {
    fn hop(element: &Option<Self>) -> Hop {
        element
            .as_ref()
            .and_then(|element| element.client)
            .map_or(Hop::Opaque, Hop::Address)
    }
}

/// `Forwarded` elements, nearest first: `MAX_HOPS` of them and one more
/// (so a walk sees that the list goes on); `None` for an element that does
/// not parse.
fn forwarded_elements(lines: &[&[u8]]) -> Vec<Option<Element>> {
    let mut elements = Vec::new();
    for line in lines.iter().rev() {
        let left = (MAX_HOPS + 1).saturating_sub(elements.len());
        if left == 0 {
            break;
        }
        // Elements are only found left to right (a quoted string may hold a
        // comma), so each line's last `left` are kept as they come.
        let mut line_elements = std::collections::VecDeque::with_capacity(left);
        for raw in split_outside_quotes(line, b',') {
            let raw = trim(raw);
            if raw.is_empty() {
                continue;
            }
            if line_elements.len() == left {
                line_elements.pop_front();
            }
            line_elements.push_back(raw);
        }
        elements.extend(line_elements.into_iter().rev().map(parse_element));
    }
    elements
}

/// One element: `pair *( ";" pair )`, each `name=value` with a token or a
/// quoted string for value (RFC 7239 section 4). A parameter given twice
/// makes the element unreadable (section 4: "MUST NOT occur more than once").
fn parse_element(raw: &[u8]) -> Option<Element> {
    let mut element = Element::default();
    let (mut seen_for, mut seen_proto, mut seen_host) = (false, false, false);
    for pair in split_outside_quotes(raw, b';') {
        let pair = trim(pair);
        if pair.is_empty() {
            continue;
        }
        let equals = pair.iter().position(|byte| *byte == b'=')?;
        let (name, value) = (&pair[..equals], value(&pair[equals + 1..])?);
        if name.is_empty() || !name.iter().all(|byte| is_tchar(*byte)) {
            return None;
        }
        let seen = if name.eq_ignore_ascii_case(b"for") {
            element.client = node(&value);
            &mut seen_for
        } else if name.eq_ignore_ascii_case(b"proto") {
            element.proto = Some(value);
            &mut seen_proto
        } else if name.eq_ignore_ascii_case(b"host") {
            element.host = Some(value);
            &mut seen_host
        } else {
            // `by` and extensions: read past.
            continue;
        };
        if std::mem::replace(seen, true) {
            return None;
        }
    }
    Some(element)
}

/// A value: a quoted string (unescaped), or the raw text. RFC 7239 asks for
/// quotes around anything that is not a token (`"[2001:db8::1]:4711"`,
/// `"192.0.2.60:80"`); gateways that leave them out are read the same.
fn value(raw: &[u8]) -> Option<String> {
    let text = match raw {
        [b'"', inner @ .., b'"'] => {
            let mut text = Vec::with_capacity(inner.len());
            let mut bytes = inner.iter();
            while let Some(&byte) = bytes.next() {
                match byte {
                    b'\\' => text.push(*bytes.next()?),
                    b'"' => return None,
                    _ => text.push(byte),
                }
            }
            text
        }
        _ if raw
            .iter()
            .all(|byte| byte.is_ascii_graphic() && *byte != b'"') =>
        {
            raw.to_vec()
        }
        _ => return None,
    };
    // Visible ASCII only: nothing a log line or a URL could be bent with.
    if text.is_empty() || !text.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    String::from_utf8(text).ok()
}

/// A `for=` node (RFC 7239 section 6): an IPv4 address or a bracketed IPv6
/// address, each with an optional port. `unknown` and obfuscated names are
/// not addresses. A bare IPv6 address (without brackets, so without a port)
/// is read too.
fn node(value: &str) -> Option<IpAddr> {
    if let Some(rest) = value.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        if !after.is_empty() && !is_port(after.strip_prefix(':')?) {
            return None;
        }
        return address.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(address) = value.parse::<IpAddr>() {
        return Some(address);
    }
    let (address, port) = value.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    address.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// `1*5DIGIT`, or an obfuscated port (`_` and letters, digits, `._-`).
fn is_port(port: &str) -> bool {
    match port.strip_prefix('_') {
        Some(obfuscated) => {
            !obfuscated.is_empty()
                && obfuscated
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte))
        }
        None => (1..=5).contains(&port.len()) && port.bytes().all(|byte| byte.is_ascii_digit()),
    }
}

/// RFC 9110 section 5.6.2 `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Splits at `separator` outside quoted strings. An unterminated quote runs
/// to the end of the line: that piece then fails to parse, and ends a walk
/// that reaches it.
fn split_outside_quotes(line: &[u8], separator: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let text = rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (at, &byte) in text.iter().enumerate() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                _ if byte == separator && !quoted => {
                    rest = Some(&text[at + 1..]);
                    return Some(&text[..at]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(text)
    })
}

/// Without the optional whitespace around list items (space and tab).
fn trim(bytes: &[u8]) -> &[u8] {
    let is_ows = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |end| end + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests;
