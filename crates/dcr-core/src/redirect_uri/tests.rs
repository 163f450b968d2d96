#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use url::{Host, Url};

use super::*;
use crate::error::UriSyntaxError;

fn parse(raw: &str) -> Result<RedirectUri, RedirectUriError> {
    RedirectUri::parse(raw, &RedirectPolicy::default())
}

fn registered(raw: &str) -> RedirectUri {
    parse(raw).unwrap_or_else(|error| panic!("{raw:?} should parse: {error:?}"))
}

/// RFC 7591 section 2, RFC 8252 sections 7 and 8: each refused shape with the
/// exact reason.
#[test]
fn refuses_unsafe_redirect_uris() {
    let too_long = format!("https://a.example/{}", "a".repeat(2000 - 18 + 1));
    let syntax = RedirectUriError::Syntax;
    let forbidden = syntax(UriSyntaxError::ForbiddenCharacter);
    let cases: Vec<(&str, RedirectUriError)> = vec![
        // http is for loopback only (RFC 8252 section 7.3).
        ("http://example.com/cb", RedirectUriError::InsecureHttp),
        (
            "http://localhost.evil.com/cb",
            RedirectUriError::InsecureHttp,
        ),
        ("http://localhost./cb", RedirectUriError::InsecureHttp),
        (
            "http://127.0.0.1.evil.com/cb",
            RedirectUriError::InsecureHttp,
        ),
        ("http://0.0.0.0/cb", RedirectUriError::InsecureHttp),
        ("http://10.0.0.1/cb", RedirectUriError::InsecureHttp),
        // User information, even empty, is refused.
        (
            "http://localhost@evil.com/cb",
            syntax(UriSyntaxError::UserInfo),
        ),
        (
            "https://user:pass@a.example/cb",
            syntax(UriSyntaxError::UserInfo),
        ),
        (
            "https://:pass@a.example/cb",
            syntax(UriSyntaxError::UserInfo),
        ),
        ("http://@evil.com/", syntax(UriSyntaxError::UserInfo)),
        ("https://@a.example/cb", syntax(UriSyntaxError::UserInfo)),
        (
            "cursor://user@anysphere.cursor-retrieval/cb",
            syntax(UriSyntaxError::UserInfo),
        ),
        // Fragments (RFC 6749 section 3.1.2), even empty ones.
        ("https://a.example/cb#frag", RedirectUriError::Fragment),
        ("https://a.example/cb#", RedirectUriError::Fragment),
        ("com.example.app:/cb#x", RedirectUriError::Fragment),
        // Relative references.
        ("/relative", syntax(UriSyntaxError::NotAbsolute)),
        ("relative/cb", syntax(UriSyntaxError::NotAbsolute)),
        ("//evil.example/cb", syntax(UriSyntaxError::NotAbsolute)),
        ("", syntax(UriSyntaxError::NotAbsolute)),
        (
            "https://a.example:99999/cb",
            syntax(UriSyntaxError::InvalidPort),
        ),
        // What RFC 3986 parsers read differently from browsers.
        (
            "https:evil.example/cb",
            syntax(UriSyntaxError::MissingAuthority),
        ),
        (
            "https:/evil.example/cb",
            syntax(UriSyntaxError::MissingAuthority),
        ),
        (
            "https:@evil.example/cb",
            syntax(UriSyntaxError::MissingAuthority),
        ),
        (
            "http:127.0.0.1/cb",
            syntax(UriSyntaxError::MissingAuthority),
        ),
        (
            "https:\\\\evil.example\\cb",
            syntax(UriSyntaxError::Backslash),
        ),
        (
            "https://a.example\\@evil.example/cb",
            syntax(UriSyntaxError::Backslash),
        ),
        ("https://a.example/c\\b", syntax(UriSyntaxError::Backslash)),
        (
            "https://claud\u{435}.ai/cb",
            syntax(UriSyntaxError::NonAscii),
        ),
        (
            "https://claude.ai/caf\u{e9}",
            syntax(UriSyntaxError::NonAscii),
        ),
        ("https:///cb", syntax(UriSyntaxError::MissingHost)),
        ("http://:8080/cb", syntax(UriSyntaxError::MissingHost)),
        ("http://127.1/cb", syntax(UriSyntaxError::AmbiguousHost)),
        (
            "http://0x7f000001/cb",
            syntax(UriSyntaxError::AmbiguousHost),
        ),
        (
            "http://2130706433/cb",
            syntax(UriSyntaxError::AmbiguousHost),
        ),
        (
            "http://[fe80::1%25eth0]:8080/cb",
            syntax(UriSyntaxError::ZoneId),
        ),
        ("http://[::1%251]/cb", syntax(UriSyntaxError::ZoneId)),
        (
            "https://a%2eexample/cb",
            syntax(UriSyntaxError::InvalidHost),
        ),
        // Unspecified addresses mean "any", not this machine.
        ("http://[::]/cb", RedirectUriError::InsecureHttp),
        ("http://[::]:8080/cb", RedirectUriError::InsecureHttp),
        ("http://0.0.0.0:8080/cb", RedirectUriError::InsecureHttp),
        // Private-use schemes are reverse domain names or on the
        // operator's list (RFC 8252 section 7.1).
        ("myapp://callback", RedirectUriError::SchemeNotAllowed),
        ("claude:/cb", RedirectUriError::SchemeNotAllowed),
        ("x-1:/cb", RedirectUriError::SchemeNotAllowed),
        ("com..app:/cb", RedirectUriError::NotReverseDomainName),
        ("com.app.:/cb", RedirectUriError::NotReverseDomainName),
        (".com.app:/cb", syntax(UriSyntaxError::NotAbsolute)),
        ("com.-app.x:/cb", RedirectUriError::NotReverseDomainName),
        ("com.app+x.y:/cb", RedirectUriError::NotReverseDomainName),
        // Operating system protocol handlers and other never-redirect schemes.
        (
            "ms-msdt:/id PCWDiagnostic",
            syntax(UriSyntaxError::ForbiddenCharacter),
        ),
        ("ms-msdt:/id", RedirectUriError::DangerousScheme),
        ("search-ms:query=x", RedirectUriError::DangerousScheme),
        ("ms-officecmd:{}", RedirectUriError::DangerousScheme),
        ("ms-settings:privacy", RedirectUriError::DangerousScheme),
        ("ssh://a.example", RedirectUriError::DangerousScheme),
        ("smb://a.example/share", RedirectUriError::DangerousScheme),
        (
            "itms-services://?action=download-manifest",
            RedirectUriError::DangerousScheme,
        ),
        ("intent://a#Intent;end", RedirectUriError::Fragment),
        ("intent://a/cb", RedirectUriError::DangerousScheme),
        (
            "jar:https://a.example/x.jar!/",
            RedirectUriError::DangerousScheme,
        ),
        ("chrome://settings", RedirectUriError::DangerousScheme),
        ("ftp://a.example/cb", RedirectUriError::DangerousScheme),
        ("ws://127.0.0.1/cb", RedirectUriError::DangerousScheme),
        ("wss://a.example/cb", RedirectUriError::DangerousScheme),
        (
            "x-apple.systempreferences:com.apple.preference",
            RedirectUriError::DangerousScheme,
        ),
        // Schemes that run code or read local data.
        ("javascript:alert(1)", RedirectUriError::DangerousScheme),
        ("JavaScript:alert(1)", RedirectUriError::DangerousScheme),
        (
            "javascript://a.example/%0aalert(1)",
            RedirectUriError::DangerousScheme,
        ),
        ("data:text/html,x", RedirectUriError::DangerousScheme),
        ("file:///etc/passwd", RedirectUriError::DangerousScheme),
        ("vbscript:msgbox(1)", RedirectUriError::DangerousScheme),
        (
            "blob:https://a.example/0e6f1d3c-1b7d-4e4f-9d38-1c2f3a4b5c6d",
            RedirectUriError::DangerousScheme,
        ),
        ("about:blank", RedirectUriError::DangerousScheme),
        (
            "view-source:https://a.example/",
            RedirectUriError::DangerousScheme,
        ),
        // Wildcards.
        ("https://*.example.com/cb", RedirectUriError::Wildcard),
        ("https://a.example/*", RedirectUriError::Wildcard),
        ("http://127.0.0.1:*/cb", RedirectUriError::Wildcard),
        // Control characters, NUL and whitespace; beyond ASCII, none at all.
        ("https://a.example/c\u{7}b", forbidden),
        ("https://a.example/cb\u{0}", forbidden),
        ("https://a.example/cb\n", forbidden),
        ("https://a.example/\u{7f}", forbidden),
        ("https://a.example/c b", forbidden),
        (" https://a.example/cb", forbidden),
        ("https://a.example/cb\t", forbidden),
        ("https://a.example/\u{85}", syntax(UriSyntaxError::NonAscii)),
        ("https://a.example/\u{a0}", syntax(UriSyntaxError::NonAscii)),
        (
            "https://a.example/\u{3000}",
            syntax(UriSyntaxError::NonAscii),
        ),
        (
            "https://a.example/\u{202e}",
            syntax(UriSyntaxError::NonAscii),
        ),
        // Length.
        (&too_long, RedirectUriError::TooLong { max: 2000 }),
    ];
    for (raw, expected) in cases {
        assert_eq!(parse(raw), Err(expected), "{raw:?}");
    }
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

/// Exact matching, with RFC 8252 section 7.3's loopback port rule the only
/// leniency.
#[test]
fn matches_exactly_or_by_the_loopback_port_rule() {
    let cases = [
        // Exact.
        ("https://a.example/cb", "https://a.example/cb", true),
        ("https://a.example/cb?x=1", "https://a.example/cb?x=1", true),
        // https never gets port leniency, nor any normalization.
        ("https://a.example/cb", "https://a.example:8443/cb", false),
        (
            "https://a.example:8443/cb",
            "https://a.example:9443/cb",
            false,
        ),
        ("https://a.example/cb", "https://a.example:443/cb", false),
        ("https://a.example/cb", "https://a.example/cb/", false),
        ("https://a.example/cb", "https://A.EXAMPLE/cb", false),
        ("https://a.example/cb", "https://a.example/cb?x=1", false),
        (
            "https://a.example/cb?x=1",
            "https://a.example/cb?x=2",
            false,
        ),
        ("https://a.example/cb", "https://a.example/cb#x", false),
        ("https://a.example/cb", "https://a.example/cb/../cb", false),
        ("https://a.example/cb", "http://a.example/cb", false),
        // Loopback: any port, all else identical.
        ("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb", true),
        ("http://127.0.0.1:33418/cb", "http://127.0.0.1:1/cb", true),
        ("http://127.0.0.1:33418/cb", "http://127.0.0.1/cb", true),
        ("http://[::1]:8080/cb", "http://[::1]:9090/cb", true),
        ("http://[::1]/cb", "http://[::1]:9090/cb", true),
        (
            "http://localhost:6274/oauth/callback",
            "http://localhost:50000/oauth/callback",
            true,
        ),
        ("http://127.0.0.1:33418", "http://127.0.0.1:33418", true),
        ("http://127.0.0.1:33418", "http://127.0.0.1:40000", true),
        (
            "http://127.0.0.1/cb?state=x",
            "http://127.0.0.1:5/cb?state=x",
            true,
        ),
        // Loopback: path must be identical.
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb2", false),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/CB", false),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb/", false),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/", false),
        // Loopback: query must be identical.
        (
            "http://127.0.0.1/cb?a=1",
            "http://127.0.0.1:5/cb?a=2",
            false,
        ),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb?a=1", false),
        ("http://127.0.0.1/cb?a=1", "http://127.0.0.1:5/cb", false),
        // Loopback: host must be identical.
        ("http://127.0.0.1/cb", "http://localhost:5/cb", false),
        ("http://localhost/cb", "http://127.0.0.1:5/cb", false),
        ("http://127.0.0.1/cb", "http://127.0.0.2:5/cb", false),
        ("http://127.0.0.1/cb", "http://[::1]:5/cb", false),
        (
            "http://localhost/cb",
            "http://localhost.evil.com:5/cb",
            false,
        ),
        ("http://localhost/cb", "http://evil.com:5/cb", false),
        // Loopback: scheme must stay http.
        ("http://127.0.0.1/cb", "https://127.0.0.1:5/cb", false),
        ("http://127.0.0.1/cb", "ws://127.0.0.1:5/cb", false),
        // Loopback: no fragment, no user information.
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb#x", false),
        ("http://127.0.0.1:5/cb", "http://127.0.0.1:5/cb#x", false),
        ("http://127.0.0.1/cb", "http://user@127.0.0.1:5/cb", false),
        ("http://127.0.0.1/cb", "http://@127.0.0.1:5/cb", false),
        (
            "http://localhost/cb",
            "http://localhost@evil.com:5/cb",
            false,
        ),
        // Loopback: the presented string must be a URI.
        ("http://127.0.0.1/cb", "not a uri", false),
        ("http://127.0.0.1/cb", "", false),
        // Private-use schemes: exact only.
        ("cursor://a/cb", "cursor://a/cb", true),
        ("com.example.app:/cb", "com.example.app:/cb", true),
        ("com.example.app:/cb", "com.example.app:/cb2", false),
        ("cursor://a/cb", "cursor://a:5/cb", false),
        ("cursor://a/cb", "cursor://a/cb#x", false),
        ("cursor://a/cb", "CURSOR://a/cb", false),
    ];
    for (registered_raw, presented, expected) in cases {
        assert_eq!(
            registered(registered_raw).matches(presented),
            expected,
            "registered {registered_raw:?}, presented {presented:?}"
        );
    }
}

#[test]
fn matches_any_registered_uri() {
    let uris = vec![
        registered("https://claude.ai/api/mcp/auth_callback"),
        registered("http://127.0.0.1:33418"),
        registered("cursor://anysphere.cursor-retrieval/oauth/user-x/callback"),
    ];
    let cases = [
        ("https://claude.ai/api/mcp/auth_callback", true),
        ("http://127.0.0.1:50123", true),
        (
            "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            true,
        ),
        ("https://claude.ai/api/mcp/auth_callback2", false),
        ("http://localhost:33418", false),
        (
            "cursor://anysphere.cursor-retrieval/oauth/user-y/callback",
            false,
        ),
    ];
    for (presented, expected) in cases {
        assert_eq!(
            redirect_uri_matches(&uris, presented),
            expected,
            "{presented:?}"
        );
    }
    assert!(!redirect_uri_matches(
        &[],
        "https://claude.ai/api/mcp/auth_callback"
    ));
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
