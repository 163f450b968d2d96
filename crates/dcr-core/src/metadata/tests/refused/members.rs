//! Refused scopes, URLs and key sets.

use super::*;

#[test]
fn refuses_bad_scopes() {
    let scope_body = |value: Value| body(json!({ "scope": value }));
    let narrowing_off = RegistrationPolicy {
        allowed_scopes: Some(scope("read write")),
        scope_overflow: ScopeOverflow::Reject,
        ..RegistrationPolicy::default()
    };
    assert_refused(vec![
        refused(
            "quote",
            scope_body(json!("read \"write\"")),
            "/scope",
            Problem::InvalidScopeToken,
            METADATA,
        ),
        refused(
            "backslash",
            scope_body(json!("read wr\\ite")),
            "/scope",
            Problem::InvalidScopeToken,
            METADATA,
        ),
        refused(
            "non-ASCII",
            scope_body(json!("read écrire")),
            "/scope",
            Problem::InvalidScopeToken,
            METADATA,
        ),
        refused(
            "tab",
            scope_body(json!("read\twrite")),
            "/scope",
            control('\t'),
            METADATA,
        ),
        refused(
            "an array",
            scope_body(json!(["read"])),
            "/scope",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "outside the allowed set",
            scope_body(json!("read admin")),
            "/scope",
            Problem::ScopeNotAllowed,
            METADATA,
        )
        .under(narrowing_off),
    ]);
}

#[test]
fn refuses_bad_urls() {
    let member = |key: &str, value: Value| {
        let mut extra = serde_json::Map::new();
        extra.insert(key.to_owned(), value);
        body(Value::Object(extra))
    };
    let url_problem = |reason| Problem::Url(reason);
    assert_refused(vec![
        refused(
            "http client_uri",
            member("client_uri", json!("http://app.example")),
            "/client_uri",
            url_problem(UrlError::InsecureScheme),
            METADATA,
        ),
        refused(
            "user-info",
            member("client_uri", json!("https://user@app.example")),
            "/client_uri",
            url_problem(UriSyntaxError::UserInfo.into()),
            METADATA,
        ),
        refused(
            "empty user-info",
            member("client_uri", json!("https://@app.example")),
            "/client_uri",
            url_problem(UriSyntaxError::UserInfo.into()),
            METADATA,
        ),
        refused(
            "javascript logo",
            member("logo_uri", json!("javascript:alert(1)")),
            "/logo_uri",
            url_problem(UrlError::InsecureScheme),
            METADATA,
        ),
        refused(
            "data logo",
            member("logo_uri", json!("data:image/png;base64,AAAA")),
            "/logo_uri",
            url_problem(UrlError::InsecureScheme),
            METADATA,
        ),
        refused(
            "relative tos_uri",
            member("tos_uri", json!("/tos")),
            "/tos_uri",
            url_problem(UriSyntaxError::NotAbsolute.into()),
            METADATA,
        ),
        refused(
            "localhost as a subdomain",
            member("policy_uri", json!("http://localhost.evil.com/policy")),
            "/policy_uri",
            url_problem(UrlError::InsecureScheme),
            METADATA,
        ),
        refused(
            "whitespace",
            member("policy_uri", json!("https://app.example/a b")),
            "/policy_uri",
            url_problem(UriSyntaxError::ForbiddenCharacter.into()),
            METADATA,
        ),
        refused(
            "too long",
            member(
                "client_uri",
                json!(format!("https://app.example/{}", "a".repeat(2000))),
            ),
            "/client_uri",
            Problem::TooLong { max: 2000 },
            METADATA,
        ),
        refused(
            "a number",
            member("client_uri", json!(5)),
            "/client_uri",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "loopback jwks_uri",
            member("jwks_uri", json!("http://localhost/jwks")),
            "/jwks_uri",
            url_problem(UrlError::InsecureScheme),
            METADATA,
        ),
        refused(
            "http jwks_uri",
            member("jwks_uri", json!("http://app.example/jwks")),
            "/jwks_uri",
            url_problem(UrlError::InsecureScheme),
            METADATA,
        ),
    ]);
}

#[test]
fn refuses_bad_key_sets() {
    let jwks = |value: Value| body(json!({ "jwks": value }));
    assert_refused(vec![
        refused(
            "a string",
            jwks(json!("x")),
            "/jwks",
            wrong_type(JsonType::Object),
            METADATA,
        ),
        refused(
            "an array",
            jwks(json!([])),
            "/jwks",
            wrong_type(JsonType::Object),
            METADATA,
        ),
        refused(
            "no keys",
            jwks(json!({})),
            "/jwks",
            Problem::JwksWithoutKeys,
            METADATA,
        ),
        refused(
            "keys not an array",
            jwks(json!({ "keys": {} })),
            "/jwks",
            Problem::JwksWithoutKeys,
            METADATA,
        ),
        refused(
            "a key that is not an object",
            jwks(json!({ "keys": [1] })),
            "/jwks/keys/0",
            wrong_type(JsonType::Object),
            METADATA,
        ),
        refused(
            "jwks and jwks_uri together",
            body(
                json!({ "jwks": { "keys": [{ "kty": "EC" }] }, "jwks_uri": "https://app.example/jwks" }),
            ),
            "/jwks",
            Problem::JwksWithJwksUri,
            METADATA,
        ),
    ]);
}
