//! Every refused shape of redirect URI, with the exact reason.

use super::*;

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
