#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::http::header::HeaderName;
use proptest::prelude::*;

use super::*;

fn ip(raw: &str) -> IpAddr {
    raw.parse().unwrap()
}

/// Header lines, as (name, value) pairs in order.
type Lines<'a> = &'a [(&'a str, &'a [u8])];

fn proxies() -> Vec<IpRange> {
    vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()]
}

/// A header map with these (name, line) pairs, in order.
fn headers(lines: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, line) in lines {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(line).unwrap(),
        );
    }
    map
}

fn client(peer: &str, lines: &[(&str, &[u8])]) -> IpAddr {
    client_address(ip(peer), &headers(lines), &proxies())
}

#[test]
fn x_forwarded_for_names_the_right_most_address_that_is_not_a_proxy() {
    let xff = "x-forwarded-for";
    let cases: [(&str, &[&[u8]], &str); 10] = [
        // An untrusted peer's header is ignored.
        ("203.0.113.9", &[b"198.51.100.1"], "203.0.113.9"),
        // A trusted peer: the right-most entry that is not a proxy.
        ("10.0.0.2", &[b"198.51.100.1"], "198.51.100.1"),
        (
            "10.0.0.2",
            &[b"1.1.1.1, 198.51.100.1, 10.0.0.3"],
            "198.51.100.1",
        ),
        ("10.0.0.2", &[b"1.1.1.1", b"198.51.100.1"], "198.51.100.1"),
        // A client forging entries to the left gains nothing.
        ("10.0.0.2", &[b"6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        // No header: the proxy itself.
        ("10.0.0.2", &[], "10.0.0.2"),
        // Garbage ends the walk at the hop that wrote it.
        ("10.0.0.2", &[b"198.51.100.1, not-an-ip"], "10.0.0.2"),
        // So does a line that is not text.
        ("10.0.0.2", &[b"6.6.6.6", b"\xff"], "10.0.0.2"),
        // Only proxies: the left-most of them.
        ("10.0.0.2", &[b"10.0.0.5, 10.0.0.3"], "10.0.0.5"),
        // Empty list items are no entries (RFC 9110 section 5.6.1).
        ("10.0.0.2", &[b"198.51.100.1, , "], "198.51.100.1"),
    ];
    for (peer, lines, expected) in cases {
        let lines: Vec<(&str, &[u8])> = lines.iter().map(|line| (xff, *line)).collect();
        assert_eq!(client(peer, &lines), ip(expected), "{peer} {lines:?}");
    }
}

#[test]
fn forwarded_is_walked_as_x_forwarded_for_is() {
    let cases: [(&str, &[&[u8]], &str); 18] = [
        ("203.0.113.9", &[b"for=198.51.100.1"], "203.0.113.9"),
        ("10.0.0.2", &[b"for=198.51.100.1"], "198.51.100.1"),
        (
            "10.0.0.2",
            &[b"For=198.51.100.1;proto=https;by=10.0.0.2"],
            "198.51.100.1",
        ),
        (
            "10.0.0.2",
            &[b"for=6.6.6.6, for=198.51.100.1;proto=https, for=10.0.0.3"],
            "198.51.100.1",
        ),
        (
            "10.0.0.2",
            &[b"for=6.6.6.6", b"for=198.51.100.1"],
            "198.51.100.1",
        ),
        // Ports, quoted as RFC 7239 writes them, and IPv6 in brackets.
        ("10.0.0.2", &[b"for=\"192.0.2.60:4711\""], "192.0.2.60"),
        (
            "10.0.0.2",
            &[b"for=\"[2001:db8:cafe::17]:4711\""],
            "2001:db8:cafe::17",
        ),
        (
            "10.0.0.2",
            &[b"for=\"[2001:db8:cafe::17]\""],
            "2001:db8:cafe::17",
        ),
        ("10.0.0.2", &[b"for=\"[2001:db8::1]:_port\""], "2001:db8::1"),
        // The same without the quotes some gateways leave out.
        ("10.0.0.2", &[b"for=192.0.2.60:80"], "192.0.2.60"),
        ("10.0.0.2", &[b"for=[2001:db8::1]:443"], "2001:db8::1"),
        ("10.0.0.2", &[b"for=2001:db8::1"], "2001:db8::1"),
        // Not an address: the walk ends at the proxy that wrote it.
        ("10.0.0.2", &[b"for=198.51.100.1, for=unknown"], "10.0.0.2"),
        ("10.0.0.2", &[b"for=198.51.100.1, for=_hidden"], "10.0.0.2"),
        ("10.0.0.2", &[b"for=198.51.100.1, proto=https"], "10.0.0.2"),
        (
            "10.0.0.2",
            &[b"for=198.51.100.1, for=\"[2001:db8::1]:99x\""],
            "10.0.0.2",
        ),
        // A parameter twice is no element.
        (
            "10.0.0.2",
            &[b"for=198.51.100.1, for=1.1.1.1;for=2.2.2.2"],
            "10.0.0.2",
        ),
        // A quote left open swallows the rest of its line.
        (
            "10.0.0.2",
            &[b"for=\"6.6.6.6, for=198.51.100.1"],
            "10.0.0.2",
        ),
    ];
    for (peer, lines, expected) in cases {
        let lines: Vec<(&str, &[u8])> = lines.iter().map(|line| ("forwarded", *line)).collect();
        assert_eq!(client(peer, &lines), ip(expected), "{peer} {lines:?}");
    }
}

/// A gateway manages one of the two headers and passes the other through
/// from the client: a client naming itself in the other gains nothing.
#[test]
fn with_both_headers_neither_is_believed_over_the_other() {
    let (xff, fwd) = ("x-forwarded-for", "forwarded");
    let cases: [(Lines<'_>, &str); 6] = [
        // Both name the same client.
        (
            &[(xff, b"198.51.100.1"), (fwd, b"for=198.51.100.1")],
            "198.51.100.1",
        ),
        // A forged Forwarded behind an X-Forwarded-For gateway, and the
        // other way round: the nearest proxy.
        (&[(xff, b"198.51.100.1"), (fwd, b"for=6.6.6.6")], "10.0.0.2"),
        (&[(xff, b"6.6.6.6"), (fwd, b"for=198.51.100.1")], "10.0.0.2"),
        // A list of proxies only names no client: the other list decides
        // (a gateway writing Forwarded behind a CDN writing X-Forwarded-For).
        (
            &[(xff, b"198.51.100.1"), (fwd, b"for=10.0.0.9")],
            "198.51.100.1",
        ),
        (
            &[(xff, b"10.0.0.9"), (fwd, b"for=198.51.100.1")],
            "198.51.100.1",
        ),
        // A hidden client is a statement, not silence.
        (&[(xff, b"6.6.6.6"), (fwd, b"for=unknown")], "10.0.0.2"),
    ];
    for (lines, expected) in cases {
        assert_eq!(client("10.0.0.2", lines), ip(expected), "{lines:?}");
    }
}

#[test]
fn a_chain_longer_than_the_cap_ends_at_the_cap() {
    let proxies_only = vec!["10.0.0.7"; 40].join(", ");
    let line = format!("198.51.100.1, {proxies_only}");
    assert_eq!(
        client("10.0.0.2", &[("x-forwarded-for", line.as_bytes())]),
        ip("10.0.0.7")
    );
    let elements = vec!["for=10.0.0.7"; 40].join(", ");
    let line = format!("for=198.51.100.1, {elements}");
    assert_eq!(
        client("10.0.0.2", &[("forwarded", line.as_bytes())]),
        ip("10.0.0.7")
    );
    // Within the cap, the client is found.
    let elements = vec!["for=10.0.0.7"; MAX_HOPS - 1].join(", ");
    let line = format!("for=198.51.100.1, {elements}");
    assert_eq!(
        client("10.0.0.2", &[("forwarded", line.as_bytes())]),
        ip("198.51.100.1")
    );
}

fn origin(peer: &str, lines: &[(&str, &[u8])]) -> Origin {
    stated_origin(ip(peer), &headers(lines), &proxies())
}

fn stated(proto: Option<&str>, host: Option<&str>) -> Origin {
    Origin {
        proto: proto.map(str::to_owned),
        host: host.map(str::to_owned),
    }
}

#[test]
fn the_origin_comes_from_the_element_the_outermost_trusted_proxy_wrote() {
    let cases: [(&str, Lines<'_>, Origin); 6] = [
        // Nothing from an untrusted peer.
        (
            "203.0.113.9",
            &[("forwarded", b"for=1.1.1.1;proto=https;host=a.example")],
            stated(None, None),
        ),
        (
            "10.0.0.2",
            &[("forwarded", b"for=198.51.100.1;proto=https;host=\"auth.example:8443\"")],
            stated(Some("https"), Some("auth.example:8443")),
        ),
        // The element the outermost trusted proxy wrote, not the client's.
        (
            "10.0.0.2",
            &[(
                "forwarded",
                b"for=6.6.6.6;host=evil.example, for=198.51.100.1;proto=https;host=auth.example, for=10.0.0.3;proto=http;host=internal",
            )],
            stated(Some("https"), Some("auth.example")),
        ),
        // A hidden client: the element that hides it is still the proxy's.
        (
            "10.0.0.2",
            &[("forwarded", b"for=_abc;proto=https;host=auth.example")],
            stated(Some("https"), Some("auth.example")),
        ),
        // A request with X-Forwarded-For came through a gateway of that
        // family, which passes a client's Forwarded through unread.
        (
            "10.0.0.2",
            &[
                ("x-forwarded-for", b"198.51.100.1"),
                ("forwarded", b"for=198.51.100.1;host=evil.example"),
            ],
            stated(None, None),
        ),
        // An element that does not parse says nothing.
        (
            "10.0.0.2",
            &[("forwarded", b"for=198.51.100.1;host=a;host=b")],
            stated(None, None),
        ),
    ];
    for (peer, lines, expected) in cases {
        assert_eq!(origin(peer, lines), expected, "{peer} {lines:?}");
    }
}

#[test]
fn values_are_tokens_or_quoted_strings_of_visible_text() {
    assert_eq!(value(b"https").as_deref(), Some("https"));
    assert_eq!(value(b"\"a\\\"b\"").as_deref(), Some("a\"b"));
    assert_eq!(value(b"\"\""), None);
    assert_eq!(value(b"\"a b\""), None);
    assert_eq!(value(b"\"open"), None);
    assert_eq!(value(b"a\"b"), None);
    assert_eq!(value(b"\"a\\\""), None);
    assert_eq!(node("192.0.2.60:65536x"), None);
    assert_eq!(node("[192.0.2.60]"), None);
    assert_eq!(node("unknown"), None);
    assert_eq!(node("[::1"), None);
    assert_eq!(node("[::1]x"), None);
}

proptest! {
    /// Whatever bytes a client sends, parsing ends, never panics, and the
    /// client is the peer or an address the headers hold.
    #[test]
    fn arbitrary_header_bytes_never_panic(
        forwarded in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..4),
        x_forwarded_for in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..3),
    ) {
        let mut map = HeaderMap::new();
        for (name, lines) in [("forwarded", &forwarded), ("x-forwarded-for", &x_forwarded_for)] {
            for line in lines {
                if let Ok(value) = HeaderValue::from_bytes(line) {
                    map.append(HeaderName::from_static(name), value);
                }
            }
        }
        let peer = ip("10.0.0.2");
        let _ = client_address(peer, &map, &proxies());
        let _ = stated_origin(peer, &map, &proxies());
        let lines: Vec<&[u8]> = forwarded.iter().map(Vec::as_slice).collect();
        prop_assert!(forwarded_elements(&lines).len() <= MAX_HOPS + 1);
    }

    /// Whatever a client writes in its own Forwarded line, the element a
    /// trusted proxy appends on a line of its own decides.
    #[test]
    fn a_client_s_own_line_cannot_displace_the_proxy_s(
        junk in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut map = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&junk) {
            map.append(HeaderName::from_static("forwarded"), value);
        }
        map.append(
            HeaderName::from_static("forwarded"),
            HeaderValue::from_static("for=198.51.100.7"),
        );
        prop_assert_eq!(client_address(ip("10.0.0.2"), &map, &proxies()), ip("198.51.100.7"));
    }

    /// Appended to the client's line, the proxy's element decides, or (a
    /// quote the client left open) the client is the proxy itself.
    #[test]
    fn a_client_s_prefix_yields_the_proxy_s_client_or_the_proxy(
        junk in "[ -~]{0,120}",
    ) {
        let line = format!("{junk}, for=198.51.100.7");
        let map = headers(&[("forwarded", line.as_bytes())]);
        let found = client_address(ip("10.0.0.2"), &map, &proxies());
        prop_assert!(found == ip("198.51.100.7") || found == ip("10.0.0.2"), "{found}");
    }

    #[test]
    fn long_lines_are_read_in_one_pass(count in 0_usize..5000) {
        let line = format!("{}for=198.51.100.7", "for=10.0.0.1, ".repeat(count));
        let map = headers(&[("forwarded", line.as_bytes())]);
        let _ = client_address(ip("10.0.0.2"), &map, &proxies());
    }
}
