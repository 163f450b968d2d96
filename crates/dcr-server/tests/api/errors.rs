//! Refused registrations (RFC 7591 section 3.2.2): each bad body gets `400`,
//! the exact `error` code, and the `field` JSON pointer to what to fix.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_error, fixture, header, spawn_app, spawn_app_with};

on_both_backends!(
    control_characters_are_refused_never_a_server_error,
    unknown_members_are_ignored_but_not_control_characters_in_their_names,
);

mod refused_bodies {
    use super::*;

    on_both_backends!(
        malformed_json_is_refused_without_a_field,
        a_body_that_is_not_an_object_is_refused_at_the_root,
        members_of_the_wrong_type_are_refused,
        grant_and_response_types_that_disagree_are_refused,
        grant_and_response_types_outside_the_policy_are_refused,
        unsupported_auth_methods_are_refused,
        invalid_scopes_are_refused,
        scopes_outside_the_allowed_set_are_refused_by_policy,
        keys_and_urls_are_checked,
        sizes_are_bounded,
    );

    async fn malformed_json_is_refused_without_a_field(backend: Backend) {
        let app = spawn_app(backend).await;
        for body in [
            "{",
            "{\"redirect_uris\": }",
            "not json",
            "",
            "{\"client_name\": \"a\u{0}b\"}",
            "{\"redirect_uris\": [\"https://a.example/cb\"]} trailing",
        ] {
            let response = app.post_register_raw(body, Some("application/json")).await;
            let (headers, _) = assert_error(
                response,
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                None,
            )
            .await;
            assert_eq!(header(&headers, "cache-control"), Some("no-store"));
        }
        assert_eq!(app.store.count_clients().unwrap(), 0);
    }

    async fn a_body_that_is_not_an_object_is_refused_at_the_root(backend: Backend) {
        let app = spawn_app(backend).await;
        for body in [
            json!([]),
            json!([{ "redirect_uris": ["https://a.example/cb"] }]),
            json!("https://a.example/cb"),
            json!(5),
            json!(true),
            json!(null),
        ] {
            let response = app.post_register(&body).await;
            assert_error(
                response,
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                Some(""),
            )
            .await;
        }
    }

    async fn members_of_the_wrong_type_are_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let cases = [
            (
                json!({ "redirect_uris": "https://x.example/cb" }),
                "invalid_redirect_uri",
                "/redirect_uris",
            ),
            (
                json!({ "redirect_uris": ["https://x.example/cb", 3] }),
                "invalid_redirect_uri",
                "/redirect_uris/1",
            ),
            (
                with_redirect(json!({ "client_name": 5 })),
                "invalid_client_metadata",
                "/client_name",
            ),
            (
                with_redirect(json!({ "grant_types": ["authorization_code", 7] })),
                "invalid_client_metadata",
                "/grant_types/1",
            ),
            (
                with_redirect(json!({ "grant_types": "authorization_code" })),
                "invalid_client_metadata",
                "/grant_types",
            ),
            (
                with_redirect(json!({ "token_endpoint_auth_method": ["none"] })),
                "invalid_client_metadata",
                "/token_endpoint_auth_method",
            ),
            (
                with_redirect(json!({ "scope": ["read"] })),
                "invalid_client_metadata",
                "/scope",
            ),
            (
                with_redirect(json!({ "contacts": "ops@example.com" })),
                "invalid_client_metadata",
                "/contacts",
            ),
            (
                with_redirect(json!({ "jwks": "keys" })),
                "invalid_client_metadata",
                "/jwks",
            ),
            (
                with_redirect(json!({ "client_name#fr": 5 })),
                "invalid_client_metadata",
                "/client_name#fr",
            ),
        ];
        expect_errors(&app, cases).await;
    }

    /// RFC 7591 section 2.1: `authorization_code` goes with `code`.
    async fn grant_and_response_types_that_disagree_are_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let cases = [
            (
                with_redirect(json!({
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": [],
                })),
                "invalid_client_metadata",
                "/grant_types",
            ),
            (
                with_redirect(json!({
                    "grant_types": ["client_credentials"],
                    "response_types": ["code"],
                })),
                "invalid_client_metadata",
                "/response_types",
            ),
        ];
        expect_errors(&app, cases).await;
    }

    async fn grant_and_response_types_outside_the_policy_are_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let cases = [
            (
                with_redirect(json!({ "grant_types": ["authorization_code", "password"] })),
                "/grant_types/1",
            ),
            (
                with_redirect(json!({ "grant_types": ["authorization_code", "implicit"] })),
                "/grant_types/1",
            ),
            (
                with_redirect(json!({ "grant_types": ["not_a_grant"] })),
                "/grant_types/0",
            ),
            (with_redirect(json!({ "grant_types": [] })), "/grant_types"),
            (
                with_redirect(json!({ "response_types": ["code", "token"] })),
                "/response_types/1",
            ),
            (
                with_redirect(json!({ "response_types": ["code", "bad-type"] })),
                "/response_types/1",
            ),
        ];
        expect_errors(
            &app,
            cases.map(|(body, field)| (body, "invalid_client_metadata", field)),
        )
        .await;
    }

    async fn unsupported_auth_methods_are_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        for method in [
            "private_key_jwt",
            "client_secret_jwt",
            "tls_client_auth",
            "self_signed_tls_client_auth",
            "magic",
            "NONE",
        ] {
            let response = app
                .post_register(&with_redirect(
                    json!({ "token_endpoint_auth_method": method }),
                ))
                .await;
            assert_error(
                response,
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                Some("/token_endpoint_auth_method"),
            )
            .await;
        }
    }

    async fn invalid_scopes_are_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let cases = ["read \"write", "read\\write", "caf\u{e9}", "read\twrite"]
            .map(|scope| (with_redirect(json!({ "scope": scope })), "/scope"));
        expect_errors(
            &app,
            cases.map(|(body, field)| (body, "invalid_client_metadata", field)),
        )
        .await;
    }

    async fn scopes_outside_the_allowed_set_are_refused_by_policy(backend: Backend) {
        let app = spawn_app_with(backend, |settings| {
            settings.policy.allowed_scopes = Some("mcp:read mcp:write".parse().unwrap());
        })
        .await;

        let response = app
            .post_register(&with_redirect(json!({ "scope": "mcp:read admin" })))
            .await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some("/scope"),
        )
        .await;

        let registered = app
            .register(&with_redirect(json!({ "scope": "mcp:write mcp:read" })))
            .await;
        assert_eq!(registered["scope"], "mcp:write mcp:read");
    }

    async fn keys_and_urls_are_checked(backend: Backend) {
        let app = spawn_app(backend).await;
        let cases = [
            (
                with_redirect(json!({
                    "jwks": { "keys": [{ "kty": "EC" }] },
                    "jwks_uri": "https://client.example/jwks.json",
                })),
                "/jwks",
            ),
            (with_redirect(json!({ "jwks": { "no_keys": [] } })), "/jwks"),
            (
                with_redirect(json!({ "jwks_uri": "http://client.example/jwks.json" })),
                "/jwks_uri",
            ),
            (
                with_redirect(json!({ "client_uri": "http://client.example/" })),
                "/client_uri",
            ),
            (
                with_redirect(json!({ "logo_uri": "javascript:alert(1)" })),
                "/logo_uri",
            ),
            (with_redirect(json!({ "tos_uri": "/tos" })), "/tos_uri"),
            (
                with_redirect(json!({ "policy_uri": "https://u:p@client.example/" })),
                "/policy_uri",
            ),
            (
                with_redirect(json!({ "client_name#not a tag": "Nom" })),
                "/client_name",
            ),
        ];
        expect_errors(
            &app,
            cases.map(|(body, field)| (body, "invalid_client_metadata", field)),
        )
        .await;
    }

    async fn sizes_are_bounded(backend: Backend) {
        let app = spawn_app(backend).await;
        let many_uris: Vec<String> = (0..21)
            .map(|n| format!("https://a.example/cb/{n}"))
            .collect();
        let many_contacts: Vec<String> = (0..11).map(|n| format!("ops{n}@example.com")).collect();
        let cases = [
            (
                json!({ "redirect_uris": many_uris }),
                "invalid_redirect_uri",
                "/redirect_uris",
            ),
            (
                json!({ "redirect_uris": [format!("https://a.example/{}", "a".repeat(2000))] }),
                "invalid_redirect_uri",
                "/redirect_uris/0",
            ),
            (
                with_redirect(json!({ "client_name": "n".repeat(2001) })),
                "invalid_client_metadata",
                "/client_name",
            ),
            (
                with_redirect(json!({ "contacts": many_contacts })),
                "invalid_client_metadata",
                "/contacts",
            ),
            (
                with_redirect(json!({ "contacts": ["ops@example.com", ""] })),
                "invalid_client_metadata",
                "/contacts/1",
            ),
        ];
        expect_errors(&app, cases).await;

        // At the limit is fine.
        app.register(&with_redirect(json!({ "client_name": "n".repeat(2000) })))
            .await;
    }
}

/// Postgres refuses NUL in text; the request must never get that far.
async fn control_characters_are_refused_never_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut cases = Vec::new();
    for bad in ["\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{85}", "\n"] {
        let name = format!("Claude{bad}Code");
        let mut body = fixture("claude_code");
        body["client_name"] = json!(name);
        cases.push((body, "invalid_client_metadata", "/client_name".to_owned()));
    }
    let nul = "a\u{0}b";
    for (member, value, field) in [
        ("software_id", json!(nul), "/software_id"),
        ("software_version", json!(nul), "/software_version"),
        ("contacts", json!(["ops@example.com", nul]), "/contacts/1"),
        ("client_name#fr", json!(nul), "/client_name#fr"),
        (
            "client_uri",
            json!("https://client.example/\u{0}"),
            "/client_uri",
        ),
    ] {
        let mut body = fixture("claude_code");
        body[member] = value;
        cases.push((body, "invalid_client_metadata", field.to_owned()));
    }
    let mut body = fixture("claude_code");
    body["redirect_uris"] = json!(["http://localhost:52413/callback", "http://127.0.0.1/\u{0}"]);
    cases.push((body, "invalid_redirect_uri", "/redirect_uris/1".to_owned()));

    for (body, error, field) in cases {
        let response = app.post_register(&body).await;
        assert_error(response, StatusCode::BAD_REQUEST, error, Some(&field)).await;
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

/// Members the server does not understand are not stored, so a NUL in one
/// is harmless: ignored (RFC 7591 section 2), not a 500.
/// Unknown metadata is ignored (RFC 7591 section 2), whatever its value; a
/// member name with a control character is refused, never stored or echoed.
async fn unknown_members_are_ignored_but_not_control_characters_in_their_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = fixture("claude_code");
    body["x_note"] = json!("a\u{0}b");
    let response = app.register(&body).await;
    assert!(!response.contains_key("x_note"));

    body["x\u{0}key"] = json!("value");
    let response = app.post_register(&body).await;
    let (_, error) = assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some(""),
    )
    .await;
    assert!(
        !Value::Object(error.clone()).to_string().contains("key"),
        "{error:?}"
    );
    assert_eq!(app.store.count_clients().unwrap(), 1);
}

/// A valid body plus `extra` members: only the member under test is wrong.
fn with_redirect(extra: Value) -> Value {
    let mut body = json!({ "redirect_uris": ["https://client.example/cb"] });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn expect_errors<F: AsRef<str>>(
    app: &TestApp,
    cases: impl IntoIterator<Item = (Value, &'static str, F)>,
) {
    for (body, error, field) in cases {
        let response = app.post_register(&body).await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            error,
            Some(field.as_ref()),
        )
        .await;
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}
