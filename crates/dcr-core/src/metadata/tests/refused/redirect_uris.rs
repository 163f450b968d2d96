//! Refused redirect URIs, and redirect grants without any.

use super::*;

#[test]
fn refuses_bad_redirect_uris() {
    let no_custom = RegistrationPolicy {
        redirect: RedirectPolicy {
            allow_custom_schemes: false,
            ..RedirectPolicy::default()
        },
        ..RegistrationPolicy::default()
    };
    let no_localhost = RegistrationPolicy {
        redirect: RedirectPolicy {
            allow_localhost: false,
            ..RedirectPolicy::default()
        },
        ..RegistrationPolicy::default()
    };
    let short = RegistrationPolicy {
        redirect: RedirectPolicy {
            max_length: 30,
            ..RedirectPolicy::default()
        },
        ..RegistrationPolicy::default()
    };
    let too_many: Vec<String> = (0..21)
        .map(|i| format!("https://app.example/cb{i}"))
        .collect();
    assert_refused(vec![
        refused(
            "the offending URI is named by its index",
            json!({ "redirect_uris": [APP, "https://app.example/cb2", "https://a.example/cb#frag"] }),
            "/redirect_uris/2",
            Problem::RedirectUri(RedirectUriError::Fragment),
            REDIRECT,
        ),
        bad_redirect(
            "http to a remote host",
            "http://example.com/cb",
            RedirectUriError::InsecureHttp,
        ),
        bad_redirect(
            "localhost as a subdomain",
            "http://localhost.evil.com/cb",
            RedirectUriError::InsecureHttp,
        ),
        bad_redirect(
            "user-info",
            "http://localhost@evil.com/cb",
            RedirectUriError::Syntax(UriSyntaxError::UserInfo),
        ),
        bad_redirect(
            "empty user-info",
            "http://@evil.com/",
            RedirectUriError::Syntax(UriSyntaxError::UserInfo),
        ),
        bad_redirect(
            "relative",
            "/relative",
            RedirectUriError::Syntax(UriSyntaxError::NotAbsolute),
        ),
        bad_redirect(
            "javascript",
            "javascript:alert(1)",
            RedirectUriError::DangerousScheme,
        ),
        bad_redirect(
            "data",
            "data:text/html,x",
            RedirectUriError::DangerousScheme,
        ),
        bad_redirect(
            "file",
            "file:///etc/passwd",
            RedirectUriError::DangerousScheme,
        ),
        bad_redirect(
            "vbscript",
            "vbscript:msgbox(1)",
            RedirectUriError::DangerousScheme,
        ),
        bad_redirect(
            "blob",
            "blob:https://a.example/1",
            RedirectUriError::DangerousScheme,
        ),
        bad_redirect(
            "wildcard",
            "https://*.example.com/cb",
            RedirectUriError::Wildcard,
        ),
        bad_redirect(
            "whitespace",
            "https://a.example/c b",
            RedirectUriError::Syntax(UriSyntaxError::ForbiddenCharacter),
        ),
        // Control characters and length are caught by the rule for every
        // string, before the redirect URI rules; still invalid_redirect_uri.
        refused(
            "control character",
            redirect_uri("https://a.example/c\u{1}b"),
            "/redirect_uris/0",
            control('\u{1}'),
            REDIRECT,
        ),
        refused(
            "NUL",
            redirect_uri("https://a.example/cb\u{0}"),
            "/redirect_uris/0",
            control('\u{0}'),
            REDIRECT,
        ),
        refused(
            "longer than any string may be",
            redirect_uri(&format!("https://a.example/{}", "a".repeat(2000))),
            "/redirect_uris/0",
            Problem::TooLong { max: 2000 },
            REDIRECT,
        ),
        bad_redirect(
            "longer than the redirect policy allows",
            &format!("https://a.example/{}", "a".repeat(13)),
            RedirectUriError::TooLong { max: 30 },
        )
        .under(short),
        bad_redirect(
            "private-use scheme where the operator refuses them",
            "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            RedirectUriError::CustomSchemeNotAllowed,
        )
        .under(no_custom),
        bad_redirect(
            "localhost where the operator wants IP literals",
            "http://localhost:33418/callback",
            RedirectUriError::LocalhostNotAllowed,
        )
        .under(no_localhost),
        refused(
            "not an array",
            json!({ "redirect_uris": APP }),
            "/redirect_uris",
            wrong_type(JsonType::ArrayOfStrings),
            REDIRECT,
        ),
        refused(
            "an item that is not a string",
            json!({ "redirect_uris": [APP, 42] }),
            "/redirect_uris/1",
            wrong_type(JsonType::String),
            REDIRECT,
        ),
        refused(
            "an empty item",
            json!({ "redirect_uris": [""] }),
            "/redirect_uris/0",
            Problem::Empty,
            REDIRECT,
        ),
        refused(
            "more than the limit",
            json!({ "redirect_uris": too_many }),
            "/redirect_uris",
            Problem::TooMany { max: 20 },
            REDIRECT,
        ),
    ]);
}

/// `redirect_uris` is required exactly when a grant redirects.
#[test]
fn refuses_redirect_grants_without_redirect_uris() {
    let required = |rule, body| {
        refused(
            rule,
            body,
            "/redirect_uris",
            Problem::RedirectUrisRequired,
            REDIRECT,
        )
    };
    assert_refused(vec![
        required("absent, with the default grant", json!({})),
        required("empty", json!({ "redirect_uris": [] })),
        required("null", json!({ "redirect_uris": null })),
        required(
            "absent, with authorization_code",
            json!({ "grant_types": ["authorization_code", "refresh_token"] }),
        ),
        required(
            "absent, with response_types code",
            json!({ "response_types": ["code"] }),
        ),
        required(
            "absent, with implicit",
            json!({ "grant_types": ["implicit"] }),
        )
        .under(implicit_policy()),
    ]);
}
