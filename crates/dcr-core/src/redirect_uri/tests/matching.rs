//! Matching at `/authorize`: exact, or by the loopback port rule.

use super::*;

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

/// `REDIRECT_URI_RULE` says what the function does: each phrase it holds,
/// with a case that shows the function doing it.
#[test]
fn the_rule_in_prose_is_the_rule_in_code() {
    let cases = [
        (
            "character for character",
            "https://a.example/cb",
            "https://a.example/cb",
            true,
        ),
        (
            "no case folding",
            "https://a.example/cb",
            "https://A.EXAMPLE/cb",
            false,
        ),
        (
            "no percent-decoding",
            "https://a.example/c%62",
            "https://a.example/cb",
            false,
        ),
        (
            "no normalization",
            "https://a.example/cb",
            "https://a.example:443/cb",
            false,
        ),
        (
            "no prefix",
            "https://a.example/cb",
            "https://a.example/cb/more",
            false,
        ),
        (
            "no wildcard",
            "https://a.example/cb",
            "https://b.a.example/cb",
            false,
        ),
        (
            "no fragment",
            "https://a.example/cb",
            "https://a.example/cb#x",
            false,
        ),
        (
            "may carry any port",
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1:51234/cb",
            true,
        ),
        (
            "or none",
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1/cb",
            true,
        ),
        ("[::1]", "http://[::1]/cb", "http://[::1]:9090/cb", true),
        (
            "or localhost",
            "http://localhost:6274/cb",
            "http://localhost:1/cb",
            true,
        ),
        (
            "127.0.0.0/8",
            "http://127.0.0.2/cb",
            "http://127.0.0.2:7/cb",
            true,
        ),
        (
            "scheme must still be http",
            "http://127.0.0.1/cb",
            "https://127.0.0.1:5/cb",
            false,
        ),
        (
            "host, path and query identical",
            "http://127.0.0.1/cb",
            "http://[::1]:5/cb",
            false,
        ),
        (
            "host, path and query identical",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5/cb2",
            false,
        ),
        (
            "host, path and query identical",
            "http://127.0.0.1/cb?a=1",
            "http://127.0.0.1:5/cb?a=2",
            false,
        ),
        (
            "compared as text like the rest",
            "http://localhost/cb",
            "http://LOCALHOST:5/cb",
            false,
        ),
        (
            "compared as text like the rest",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5/x/../cb",
            false,
        ),
        (
            "compared as text like the rest",
            "http://[::1]/cb",
            "http://[0:0:0:0:0:0:0:1]:5/cb",
            false,
        ),
        (
            "an empty path is the same as /",
            "http://127.0.0.1:33418",
            "http://127.0.0.1:5/",
            true,
        ),
        (
            "an empty path is the same as /",
            "http://127.0.0.1/",
            "http://127.0.0.1:5",
            true,
        ),
        (
            "no fragment and no user information",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5/cb#x",
            false,
        ),
        (
            "no fragment and no user information",
            "http://127.0.0.1/cb",
            "http://u@127.0.0.1:5/cb",
            false,
        ),
        (
            "https and private-use scheme",
            "https://a.example:8443/cb",
            "https://a.example:9443/cb",
            false,
        ),
        (
            "https and private-use scheme",
            "com.example.app:/cb",
            "com.example.app:/cb",
            true,
        ),
    ];
    for (phrase, registered_uri, presented, expected) in cases {
        assert!(
            REDIRECT_URI_RULE.contains(phrase),
            "the rule says {phrase:?}"
        );
        assert_eq!(
            redirect_uri_matches(&[registered(registered_uri)], presented),
            expected,
            "{phrase}: {registered_uri} against {presented}"
        );
    }
}

/// A stored `http` URI off loopback (imported from a system that allowed
/// one) is matched exactly: the loopback port rule is for loopback only.
#[test]
fn a_stored_http_uri_off_loopback_gets_no_port_leniency() {
    let cases = [
        (
            "http://app.example.com/cb",
            "http://app.example.com/cb",
            true,
        ),
        (
            "http://app.example.com/cb",
            "http://app.example.com:5/cb",
            false,
        ),
        (
            "http://app.example.com:8080/cb",
            "http://app.example.com:9/cb",
            false,
        ),
        ("http://127.0.0.1/cb", "http://127.0.0.1:5/cb", true),
        ("http://[::1]/cb", "http://[::1]:5/cb", true),
        ("http://localhost/cb", "http://localhost:5/cb", true),
    ];
    for (stored, presented, expected) in cases {
        assert_eq!(
            RedirectUri::from_stored(stored).matches(presented),
            expected,
            "stored {stored:?}, presented {presented:?}"
        );
    }
}
