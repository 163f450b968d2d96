#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::*;
use crate::auth_method::AuthMethod;
use crate::error::{MetadataError, Problem};
use crate::grant_types::GrantType;
use crate::initial_access::RedirectPattern;
use crate::scope::Scope;

fn body(method: &str, redirect: &str) -> Value {
    json!({
        "client_name": "Claude Code (memory)",
        "redirect_uris": [redirect],
        "token_endpoint_auth_method": method,
        "scope": "mcp"
    })
}

const LOOPBACK: &str = "http://localhost:52413/callback";

fn partner() -> TokenPolicy {
    TokenPolicy {
        scope: Some(Scope::parse("mcp admin").unwrap()),
        redirect_uri_hosts: Some(vec![RedirectPattern::parse("localhost").unwrap()]),
        auth_methods: Some(vec![AuthMethod::None]),
        grant_types: None,
        software_statement_issuer: None,
    }
}

fn server() -> RegistrationPolicy {
    RegistrationPolicy {
        allowed_scopes: Some(Scope::parse("openid").unwrap()),
        ..RegistrationPolicy::default()
    }
}

/// Admitted (and whether under a narrowed policy), or refused at a pointer.
type Expected = Result<bool, &'static str>;

#[test]
fn a_registration_is_read_under_the_server_or_its_token() {
    let only_implicit = TokenPolicy {
        grant_types: Some(vec![GrantType::IMPLICIT]),
        ..TokenPolicy::default()
    };
    let cases: [(&str, Value, Option<TokenPolicy>, Expected); 6] = [
        // Anonymous: the server's rules, which refuse the scope.
        ("anonymous", body("none", LOOPBACK), None, Err("/scope")),
        (
            "anonymous within the server's scopes",
            json!({"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none"}),
            None,
            Ok(false),
        ),
        // A token may give more scope than anonymous clients get.
        ("token", body("none", LOOPBACK), Some(partner()), Ok(true)),
        (
            "a method the token leaves out",
            body("client_secret_basic", LOOPBACK),
            Some(partner()),
            Err("/token_endpoint_auth_method"),
        ),
        (
            "a redirect host the token leaves out",
            body("none", "https://elsewhere.example/cb"),
            Some(partner()),
            Err("/redirect_uris/0"),
        ),
        (
            "a token whose grants the server no longer supports",
            body("none", LOOPBACK),
            Some(only_implicit),
            Err("/grant_types"),
        ),
    ];
    for (case, sent, token, expected) in cases {
        let got = admit(&sent, &server(), token.as_ref());
        match expected {
            Ok(narrowed) => {
                let admitted = got.expect(case);
                assert_eq!(admitted.narrowed.is_some(), narrowed, "{case}");
            }
            Err(pointer) => assert_eq!(got.unwrap_err().pointer, pointer, "{case}"),
        }
    }
}

#[test]
fn the_narrowed_policy_is_the_one_the_client_is_issued_under() {
    let admitted = admit(&body("none", LOOPBACK), &server(), Some(&partner())).unwrap();
    assert_eq!(
        admitted.narrowed,
        Some(partner().narrow(&server()).unwrap())
    );
    assert_eq!(
        admit(&json!([]), &server(), None).unwrap_err(),
        MetadataError::new("", Problem::NotAnObject)
    );
}

#[test]
fn only_anonymous_registrations_without_a_secret_are_deduplicated() {
    let metadata = |method: &str| {
        ClientMetadata::from_request(
            &json!({"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": method}),
            &RegistrationPolicy::default(),
        )
        .unwrap()
    };
    let public = metadata("none");
    let cases = [
        (
            "dedup on, open, public",
            true,
            RegisteredVia::Open,
            &public,
            true,
        ),
        ("dedup off", false, RegisteredVia::Open, &public, false),
        ("with a token", true, RegisteredVia::Token, &public, false),
        ("by an operator", true, RegisteredVia::Admin, &public, false),
        (
            "a secret",
            true,
            RegisteredVia::Open,
            &metadata("client_secret_basic"),
            false,
        ),
    ];
    for (case, on, via, metadata, shared) in cases {
        let key = dedup_key(on, via, metadata);
        assert_eq!(key.is_some(), shared, "{case}");
        if let Some(key) = key {
            assert_eq!(key, metadata.fingerprint(), "{case}");
        }
    }
}
