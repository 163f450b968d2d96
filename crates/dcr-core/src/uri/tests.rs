#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

fn host(raw: &str) -> Option<UriHost> {
    StrictUri::parse(raw).unwrap().host
}

#[test]
fn reads_the_host_as_written() {
    let cases = [
        (
            "https://A.Example:8443/x",
            Some(UriHost::Name("a.example".into())),
        ),
        (
            "http://127.0.0.1:5000/cb",
            Some(UriHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))),
        ),
        (
            "http://[::1]/cb",
            Some(UriHost::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST))),
        ),
        (
            "cursor://anysphere.cursor-retrieval/oauth",
            Some(UriHost::Name("anysphere.cursor-retrieval".into())),
        ),
        ("com.example.app:/cb", None),
        ("com.example.app:///cb", Some(UriHost::Name(String::new()))),
    ];
    for (raw, expected) in cases {
        assert_eq!(host(raw), expected, "{raw}");
    }
}

/// What the WHATWG parser repairs and RFC 3986 parsers do not.
#[test]
fn refuses_what_parsers_read_differently() {
    let cases = [
        ("https:evil.example/cb", UriSyntaxError::MissingAuthority),
        ("https:/evil.example/cb", UriSyntaxError::MissingAuthority),
        ("https:@evil.example/cb", UriSyntaxError::MissingAuthority),
        ("HTTPS:evil.example", UriSyntaxError::MissingAuthority),
        ("https:\\\\evil.example\\cb", UriSyntaxError::Backslash),
        (
            "https://evil.example\\@good.example/",
            UriSyntaxError::Backslash,
        ),
        ("https://\u{435}vil.example/", UriSyntaxError::NonAscii),
        ("https://evil.example/\u{200b}", UriSyntaxError::NonAscii),
        (
            "https://evil.example/ cb",
            UriSyntaxError::ForbiddenCharacter,
        ),
        (
            "https://evil.example/\tcb",
            UriSyntaxError::ForbiddenCharacter,
        ),
        (" https://evil.example/", UriSyntaxError::ForbiddenCharacter),
        (
            "https://evil.example/\u{7f}",
            UriSyntaxError::ForbiddenCharacter,
        ),
        (
            "https://good.example@evil.example/",
            UriSyntaxError::UserInfo,
        ),
        ("https://:@evil.example/", UriSyntaxError::UserInfo),
        ("https:///cb", UriSyntaxError::MissingHost),
        ("https://:443/cb", UriSyntaxError::MissingHost),
        ("https://?q", UriSyntaxError::MissingHost),
        ("http://127.1/cb", UriSyntaxError::AmbiguousHost),
        ("http://0x7f.0.0.1/cb", UriSyntaxError::AmbiguousHost),
        ("http://017700000001/cb", UriSyntaxError::AmbiguousHost),
        ("http://127.0.0.01/cb", UriSyntaxError::AmbiguousHost),
        ("http://1.2.3.4./cb", UriSyntaxError::AmbiguousHost),
        ("https://evil%2Eexample/", UriSyntaxError::InvalidHost),
        (
            "https://evil.example;good.example/",
            UriSyntaxError::InvalidHost,
        ),
        ("https://[::1/", UriSyntaxError::InvalidHost),
        ("https://[127.0.0.1]/", UriSyntaxError::InvalidHost),
        ("https://[::1]x/", UriSyntaxError::InvalidHost),
        ("http://[fe80::1%25en0]/cb", UriSyntaxError::ZoneId),
        ("http://[fe80::1%en0]/cb", UriSyntaxError::ZoneId),
        ("http://127.0.0.1:/cb", UriSyntaxError::InvalidPort),
        ("http://127.0.0.1:65536/cb", UriSyntaxError::InvalidPort),
        ("http://127.0.0.1:+80/cb", UriSyntaxError::InvalidPort),
        ("http://127.0.0.1:0x50/cb", UriSyntaxError::InvalidPort),
        ("no-scheme", UriSyntaxError::NotAbsolute),
        ("1http://a.example/", UriSyntaxError::NotAbsolute),
        (":a", UriSyntaxError::NotAbsolute),
    ];
    for (raw, expected) in cases {
        assert_eq!(StrictUri::parse(raw), Err(expected), "{raw:?}");
    }
}

#[test]
fn loopback_is_this_machine_not_any_address() {
    let cases = [
        ("http://127.0.0.1/", true),
        ("http://127.255.0.9/", true),
        ("http://[::1]/", true),
        ("http://0.0.0.0/", false),
        ("http://[::]/", false),
        ("http://[::ffff:127.0.0.1]/", false),
        ("http://localhost/", false),
        ("http://128.0.0.1/", false),
    ];
    for (raw, loopback) in cases {
        assert_eq!(host(raw).unwrap().is_loopback_address(), loopback, "{raw}");
    }
    assert!(host("http://LocalHost/").unwrap().is_localhost_name());
    assert!(
        !host("http://localhost.evil.example/")
            .unwrap()
            .is_localhost_name()
    );
}

proptest! {
    /// Whatever is accepted is ASCII without whitespace or backslashes, and
    /// its web host is what the `url` crate reads too.
    #[test]
    fn accepted_uris_read_alike(raw in "(https?|com\\.ex|x):(//)?[a-z0-9.:@\\[\\]%/?#_\\\\ -]{0,24}") {
        if let Ok(uri) = StrictUri::parse(&raw) {
            prop_assert!(raw.is_ascii());
            prop_assert!(!raw.contains(['\\', ' ']));
            if matches!(uri.scheme.as_str(), "http" | "https") {
                prop_assert!(raw[uri.scheme.len()..].starts_with("://"));
                let host = uri.host.clone().unwrap();
                prop_assert!(same_host(&host, uri.url.host()));
                let after_slashes = &raw[uri.scheme.len() + 3..];
                let authority = after_slashes.split(['/', '?', '#']).next().unwrap_or_default();
                prop_assert!(!authority.contains('@'));
            }
        }
    }

    #[test]
    fn never_panics(raw in any::<String>()) {
        let _ = StrictUri::parse(&raw);
    }
}
