//! The value of `Host` (RFC 9110 section 7.2) or `X-Forwarded-Host`, as dcr
//! accepts it when it builds a URL from it: an RFC 3986 authority without
//! user information, in a form that every URL parser reads alike.

use std::net::Ipv6Addr;

/// Longest authority accepted (a DNS name is at most 253 characters).
const MAX_LEN: usize = 255;

/// Whether `candidate` is `host [ ":" port ]` (RFC 3986 section 3.2.2 and
/// 3.2.3): the host an IPv6 address in brackets, or a name (an IPv4 address
/// included) of letters, digits, `-`, `.`, `_` and `~`; the port 1 to 5
/// digits, at most 65535. Percent-encoding, sub-delimiters and `IPvFuture`
/// are refused: they could make the URL dcr writes mean another host to
/// whoever reads it.
pub fn is_authority(candidate: &str) -> bool {
    if candidate.len() > MAX_LEN {
        return false;
    }
    let (host_is_valid, port) = if let Some(literal) = candidate.strip_prefix('[') {
        let Some((address, rest)) = literal.split_once(']') else {
            return false;
        };
        let port = match rest {
            "" => None,
            rest => match rest.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (address.parse::<Ipv6Addr>().is_ok(), port)
    } else {
        match candidate.split_once(':') {
            Some((name, port)) => (is_name(name), Some(port)),
            None => (is_name(candidate), None),
        }
    };
    host_is_valid && port.is_none_or(is_port)
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn is_port(port: &str) -> bool {
    (1..=5).contains(&port.len())
        && port.bytes().all(|b| b.is_ascii_digit())
        && port
            .parse::<u32>()
            .is_ok_and(|port| port <= u32::from(u16::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_with_optional_ports_are_authorities() {
        for good in [
            "auth.example.com",
            "auth.example.com:8443",
            "localhost",
            "dcr_server:8080",
            "127.0.0.1",
            "127.0.0.1:0",
            "x:65535",
            "x:00080",
            "[::1]",
            "[::1]:8080",
            "[2001:db8::ffff:192.0.2.1]:443",
            "AUTH.Example.COM",
        ] {
            assert!(is_authority(good), "{good}");
        }
    }

    #[test]
    fn anything_that_could_bend_a_url_is_not() {
        let long = format!("{}.example", "a".repeat(MAX_LEN));
        for bad in [
            "",
            ":8080",
            "x:",
            "x:99999",
            "x:65536",
            "x:123456",
            "x:-1",
            "x:+80",
            "x: 80",
            "x:80:81",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[::1]:99999",
            "::1",
            "[127.0.0.1]",
            "[fe80::1%25eth0]",
            "[v1.fe80::a+en1]",
            "[]",
            "user@host",
            "evil.example/path?x=",
            "evil.example#frag",
            "evil.example\\x",
            "a b",
            "%65vil.example",
            "x;y",
            "x,y",
            "h\u{e9}te.example",
            long.as_str(),
        ] {
            assert!(!is_authority(bad), "{bad:?}");
        }
    }
}
