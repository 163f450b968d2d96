#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use url::{Host, Url};

use super::*;
use crate::error::UriSyntaxError;

mod matching;
mod refused;

fn parse(raw: &str) -> Result<RedirectUri, RedirectUriError> {
    RedirectUri::parse(raw, &RedirectPolicy::default())
}

fn registered(raw: &str) -> RedirectUri {
    parse(raw).unwrap_or_else(|error| panic!("{raw:?} should parse: {error:?}"))
}

#[test]
fn length_limit_is_inclusive() {
    let at_limit = format!("https://a.example/{}", "a".repeat(2000 - 18));
    assert_eq!(at_limit.len(), 2000);
    assert_eq!(
        parse(&at_limit).map(|uri| uri.kind()),
        Ok(RedirectKind::Https)
    );
}

/// The URIs real MCP clients register, with the kind each one is.
#[test]
fn accepts_what_mcp_clients_send() {
    let cases = [
        (
            "https://claude.ai/api/mcp/auth_callback",
            RedirectKind::Https,
        ),
        ("https://vscode.dev/redirect", RedirectKind::Https),
        (
            "https://a.example:8443/cb?x=1&email=a@b.example",
            RedirectKind::Https,
        ),
        ("https://localhost/cb", RedirectKind::Https),
        ("http://localhost:33418/callback", RedirectKind::Loopback),
        ("http://127.0.0.1/cb", RedirectKind::Loopback),
        ("http://127.8.9.10:1234/cb", RedirectKind::Loopback),
        ("http://[::1]:8080/cb", RedirectKind::Loopback),
        ("http://127.0.0.1:33418", RedirectKind::Loopback),
        ("HTTP://LOCALHOST:1/cb", RedirectKind::Loopback),
        ("com.example.app:/oauth2redirect", RedirectKind::PrivateUse),
        (
            "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            RedirectKind::PrivateUse,
        ),
        (
            "vscode://vscode.github-authentication/did-authenticate",
            RedirectKind::PrivateUse,
        ),
        (
            "vscode-insiders://vscode.github-authentication/did-authenticate",
            RedirectKind::PrivateUse,
        ),
        ("windsurf://codeium.windsurf/cb", RedirectKind::PrivateUse),
        (
            "Cursor://anysphere.cursor-retrieval/cb",
            RedirectKind::PrivateUse,
        ),
        ("com.example.app:///cb", RedirectKind::PrivateUse),
        (
            "io.modelcontextprotocol.inspector:/cb",
            RedirectKind::PrivateUse,
        ),
        ("com.example-1.app2:/cb", RedirectKind::PrivateUse),
        ("https://xn--claud-7ve.ai/cb", RedirectKind::Https),
    ];
    for (raw, kind) in cases {
        let uri = registered(raw);
        assert_eq!(uri.kind(), kind, "{raw:?}");
        assert_eq!(uri.as_str(), raw, "kept verbatim");
    }
}

/// What an operator can tighten: private-use schemes, the name `localhost`,
/// the length.
#[test]
fn policy_tightens_what_is_accepted() {
    let no_custom = RedirectPolicy {
        allow_custom_schemes: false,
        ..RedirectPolicy::default()
    };
    let no_localhost = RedirectPolicy {
        allow_localhost: false,
        ..RedirectPolicy::default()
    };
    let short = RedirectPolicy {
        max_length: 20,
        ..RedirectPolicy::default()
    };
    let cases: Vec<(
        &RedirectPolicy,
        &str,
        Result<RedirectKind, RedirectUriError>,
    )> = vec![
        (
            &no_custom,
            "com.example.app:/oauth2redirect",
            Err(RedirectUriError::CustomSchemeNotAllowed),
        ),
        (
            &no_custom,
            "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            Err(RedirectUriError::CustomSchemeNotAllowed),
        ),
        // A dangerous scheme is reported as such, whatever the policy.
        (
            &no_custom,
            "javascript:alert(1)",
            Err(RedirectUriError::DangerousScheme),
        ),
        (&no_custom, "https://a.example/cb", Ok(RedirectKind::Https)),
        (
            &no_custom,
            "http://localhost:1/cb",
            Ok(RedirectKind::Loopback),
        ),
        (
            &no_localhost,
            "http://localhost:33418/callback",
            Err(RedirectUriError::LocalhostNotAllowed),
        ),
        (
            &no_localhost,
            "http://127.0.0.1:33418/callback",
            Ok(RedirectKind::Loopback),
        ),
        (
            &no_localhost,
            "http://[::1]/callback",
            Ok(RedirectKind::Loopback),
        ),
        (&no_localhost, "vscode://a/b", Ok(RedirectKind::PrivateUse)),
        (&short, "https://a.example/ab", Ok(RedirectKind::Https)),
        (
            &short,
            "https://a.example/abc",
            Err(RedirectUriError::TooLong { max: 20 }),
        ),
    ];
    for (policy, raw, expected) in cases {
        assert_eq!(
            RedirectUri::parse(raw, policy).map(|uri| uri.kind()),
            expected,
            "{raw:?} under {policy:?}"
        );
    }
}

/// Strings shaped like redirect URIs, with the characters that matter placed
/// where they matter, so the properties see many accepted URIs too.
fn uri_like() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https",
        "http",
        "HTTP",
        "cursor",
        "com.example.app",
        "javascript",
        "data",
        "file",
        "ws",
        "x-1",
    ]);
    let separator = prop::sample::select(vec!["://", ":/", ":", ":///"]);
    let userinfo = prop::sample::select(vec!["", "", "", "@", "u@", "u:p@", "localhost@"]);
    let host = prop::sample::select(vec![
        "localhost",
        "127.0.0.1",
        "127.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "a.example",
        "localhost.evil.com",
        "*.example.com",
        "0x7f.0.0.1",
        "",
    ]);
    let port = prop::sample::select(vec!["", ":0", ":8080", ":65535", ":65536", ":"]);
    let rest = "[/a-z0-9?#=&%.@*\\\\ \t\u{0}\u{7f}é:-]{0,16}";
    (scheme, separator, userinfo, host, port, rest).prop_map(
        |(scheme, separator, userinfo, host, port, rest)| {
            format!("{scheme}{separator}{userinfo}{host}{port}{rest}")
        },
    )
}

fn any_policy() -> impl Strategy<Value = RedirectPolicy> {
    (any::<bool>(), any::<bool>(), 0usize..64).prop_map(
        |(allow_custom_schemes, allow_localhost, extra)| RedirectPolicy {
            allow_custom_schemes,
            allow_localhost,
            max_length: 16 + extra,
            ..RedirectPolicy::default()
        },
    )
}

/// What every accepted redirect URI satisfies, whatever the input.
fn assert_safe(raw: &str, uri: &RedirectUri, policy: &RedirectPolicy) {
    assert_eq!(uri.as_str(), raw);
    assert!(raw.len() <= policy.max_length);
    assert!(!raw.contains('#'), "fragment in {raw:?}");
    assert!(!raw.contains('*'), "wildcard in {raw:?}");
    assert!(raw.is_ascii(), "beyond ASCII in {raw:?}");
    assert!(
        !raw.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\'),
        "control, whitespace or backslash in {raw:?}"
    );
    let url = Url::parse(raw).expect("accepted URIs are absolute");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "{raw:?}"
    );
    assert!(!DANGEROUS_SCHEMES.contains(&url.scheme()), "{raw:?}");
    match uri.kind() {
        RedirectKind::Https => assert_eq!(url.scheme(), "https"),
        RedirectKind::Loopback => {
            assert_eq!(url.scheme(), "http");
            let loopback = match url.host() {
                Some(Host::Ipv4(ip)) => ip.is_loopback(),
                Some(Host::Ipv6(ip)) => ip.is_loopback(),
                Some(Host::Domain(name)) => name == "localhost" && policy.allow_localhost,
                None => false,
            };
            assert!(loopback, "http to a non-loopback host: {raw:?}");
        }
        RedirectKind::PrivateUse => {
            assert!(policy.allow_custom_schemes);
            assert!(url.scheme() != "http" && url.scheme() != "https");
            assert!(
                url.scheme().contains('.')
                    || policy.native_schemes.iter().any(|s| s == url.scheme()),
                "dotless scheme not on the list: {raw:?}"
            );
        }
    }
    assert!(uri.matches(raw), "a URI matches itself: {raw:?}");
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_string(raw in any::<String>()) {
        if let Ok(uri) = parse(&raw) {
            assert_safe(&raw, &uri, &RedirectPolicy::default());
        }
    }

    #[test]
    fn accepted_uris_are_safe(raw in uri_like(), policy in any_policy()) {
        if let Ok(uri) = RedirectUri::parse(&raw, &policy) {
            assert_safe(&raw, &uri, &policy);
        }
    }

    #[test]
    fn matching_never_panics_and_never_accepts_fragments(
        registered_raw in uri_like(),
        presented in prop_oneof![uri_like(), any::<String>()],
    ) {
        if let Ok(uri) = parse(&registered_raw) {
            let matched = uri.matches(&presented);
            if presented.contains('#') {
                prop_assert!(!matched);
            }
            if matched && uri.kind() != RedirectKind::Loopback {
                prop_assert_eq!(uri.as_str(), presented.as_str());
            }
        }
    }

    /// RFC 8252 section 7.3: a loopback redirect matches on every port.
    #[test]
    fn loopback_matches_on_every_port(
        host in prop::sample::select(vec!["127.0.0.1", "[::1]", "localhost"]),
        registered_port in prop::option::of(1u16..),
        presented_port in 1u16..,
        path in "(/[a-z0-9._-]{0,8}){0,3}",
        query in prop::option::of("[a-z0-9=&]{0,8}"),
    ) {
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        let with_port = |port: Option<u16>| match port {
            Some(port) => format!("http://{host}:{port}{path}{query}"),
            None => format!("http://{host}{path}{query}"),
        };
        let uri = registered(&with_port(registered_port));
        prop_assert_eq!(uri.kind(), RedirectKind::Loopback);
        prop_assert!(uri.matches(&with_port(Some(presented_port))));
        let other_path = format!("http://{host}:{presented_port}{path}/x{query}");
        prop_assert!(!uri.matches(&other_path));
    }
}
