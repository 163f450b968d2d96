#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::*;
use crate::auth_method::AuthMethod;
use crate::error::ErrorCode;
use crate::metadata::ClientMetadata;
use crate::scope::Scope;

fn server() -> RegistrationPolicy {
    RegistrationPolicy {
        allowed_scopes: Some(Scope::parse("read").unwrap()),
        default_scope: Scope::parse("read").unwrap(),
        ..RegistrationPolicy::default()
    }
}

fn request(body: Value) -> Result<TokenRequest, MetadataError> {
    TokenRequest::from_json(&body, &server())
}

fn refused_at(body: Value) -> String {
    request(body.clone()).expect_err(&body.to_string()).pointer
}

#[test]
fn tokens_carry_the_prefix_and_256_bits_and_are_stored_as_digests() {
    let mut rng = StdRng::seed_from_u64(1);
    let token = InitialAccessToken::generate(&mut rng);
    let random = token.expose().strip_prefix(TOKEN_PREFIX).unwrap();
    assert_eq!(random.len(), 43, "256 bits of base64url");
    assert!(token.digest().matches(token.expose()));
    assert_ne!(
        token.expose(),
        InitialAccessToken::generate(&mut rng).expose()
    );
    assert!(!format!("{token:?}").contains(random));
}

#[test]
fn token_ids_round_trip_and_nothing_else_parses() {
    let mut rng = StdRng::seed_from_u64(2);
    let id = TokenId::generate(&mut rng);
    assert_eq!(TokenId::parse(id.as_str()), Ok(id.clone()));
    assert_eq!(id.as_str().len(), 4 + 24);
    let upper = id.as_str().to_uppercase();
    for bad in [
        "",
        "iat_",
        "iat_zz",
        &upper,
        &id.as_str()[1..],
        "iat_../../etc",
    ] {
        assert_eq!(TokenId::parse(bad), Err(InvalidTokenId), "{bad:?}");
    }
}

#[test]
fn host_patterns() {
    let cases = [
        // (pattern, destination, matches)
        ("app.example.com", "app.example.com", true),
        ("App.Example.COM", "app.example.com", true),
        ("app.example.com", "evil.app.example.com", false),
        ("*.example.com", "app.example.com", true),
        ("*.example.com", "a.b.example.com", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "evilexample.com", false),
        ("*.example.com", ".example.com", false),
        ("127.0.0.1", "127.0.0.1", true),
        ("[::1]", "[::1]", true),
        ("[0:0:0:0:0:0:0:1]", "[::1]", true),
        ("cursor", "cursor", true),
        ("com.example.app", "com.example.app", true),
        ("localhost", "localhost", true),
    ];
    for (pattern, destination, matches) in cases {
        let parsed = HostPattern::parse(pattern).unwrap();
        assert_eq!(
            parsed.matches(destination),
            matches,
            "{pattern} {destination}"
        );
    }
    for bad in [
        "",
        "*",
        "*.",
        "a..b",
        "-a.com",
        "a-.com",
        "ex ample.com",
        "example.com/path",
        "https://example.com",
        "[::1",
        "[zz]",
        "exa\u{0455}mple.com",
        "a.*.com",
        &"a".repeat(300),
    ] {
        assert!(HostPattern::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_full_request_is_read() {
    let parsed = request(json!({
        "expires_in": 3600,
        "max_uses": 5,
        "description": "Partner A\u{0301}",
        "policy": {
            "scope": "read write",
            "redirect_uri_hosts": ["app.partner.example", "*.partner.example"],
            "token_endpoint_auth_methods": ["none", "none"],
            "grant_types": ["authorization_code"]
        }
    }))
    .unwrap();
    assert_eq!(parsed.expires_in, Some(3600));
    assert_eq!(parsed.max_uses, Some(5));
    assert_eq!(parsed.description.as_deref(), Some("Partner \u{c1}"));
    assert_eq!(parsed.policy.auth_methods, Some(vec![AuthMethod::None]));
    let stored = parsed.policy.to_json();
    assert_eq!(TokenPolicy::from_stored(&stored), Some(parsed.policy));
    assert_eq!(request(json!({})).unwrap(), TokenRequest::default());
}

#[test]
fn bad_requests_name_the_member() {
    let cases = [
        (json!([]), ""),
        (json!({"max_use": 1}), ""),
        (json!({"expires_in": 0}), "/expires_in"),
        (json!({"expires_in": -5}), "/expires_in"),
        (json!({"expires_in": 1.5}), "/expires_in"),
        (json!({"expires_in": "60"}), "/expires_in"),
        (
            json!({"expires_in": MAX_EXPIRES_IN_SECS + 1}),
            "/expires_in",
        ),
        (json!({"max_uses": 0}), "/max_uses"),
        (json!({"description": 5}), "/description"),
        (json!({"description": "a\u{202e}b"}), "/description"),
        (json!({"description": "x".repeat(201)}), "/description"),
        (json!({"policy": []}), "/policy"),
        (json!({"policy": {"scopes": "read"}}), "/policy"),
        (json!({"policy": {"scope": ""}}), "/policy/scope"),
        (json!({"policy": {"scope": "a\"b"}}), "/policy/scope"),
        (
            json!({"policy": {"redirect_uri_hosts": []}}),
            "/policy/redirect_uri_hosts",
        ),
        (
            json!({"policy": {"redirect_uri_hosts": "a.com"}}),
            "/policy/redirect_uri_hosts",
        ),
        (
            json!({"policy": {"redirect_uri_hosts": ["ok.com", "not a host"]}}),
            "/policy/redirect_uri_hosts/1",
        ),
        (
            json!({"policy": {"token_endpoint_auth_methods": ["client_secret_jwt"]}}),
            "/policy/token_endpoint_auth_methods/0",
        ),
        (
            json!({"policy": {"token_endpoint_auth_methods": ["magic"]}}),
            "/policy/token_endpoint_auth_methods/0",
        ),
        (
            json!({"policy": {"grant_types": ["password"]}}),
            "/policy/grant_types/0",
        ),
        (
            json!({"policy": {"grant_types": [1]}}),
            "/policy/grant_types",
        ),
        (
            json!({"policy": {"grant_types": vec!["authorization_code"; 40].iter().enumerate().map(|(i, _)| format!("urn:x:{i}")).collect::<Vec<_>>()}}),
            "/policy/grant_types",
        ),
    ];
    for (body, pointer) in cases {
        assert_eq!(refused_at(body.clone()), pointer, "{body}");
    }
}

#[test]
fn errors_never_echo_what_was_sent() {
    let err = request(json!({"<img onerror=alert(1)>": 1})).unwrap_err();
    assert!(
        !err.description().contains("onerror"),
        "{}",
        err.description()
    );
}

fn policy(value: Value) -> TokenPolicy {
    TokenRequest::from_json(&json!({ "policy": value }), &server())
        .unwrap()
        .policy
}

fn register(policy: &TokenPolicy, body: Value) -> Result<ClientMetadata, MetadataError> {
    let narrowed = policy.narrow(&server())?;
    let metadata = ClientMetadata::from_request(&body, &narrowed)?;
    policy.check(&metadata)?;
    Ok(metadata)
}

fn body(extra: Value) -> Value {
    let mut body = json!({
        "redirect_uris": ["https://app.partner.example/cb"],
        "token_endpoint_auth_method": "none",
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

#[test]
fn a_token_policy_may_widen_the_scopes_and_refuses_beyond_them() {
    let partner = policy(json!({"scope": "read write"}));
    let metadata = register(&partner, body(json!({"scope": "read write"}))).unwrap();
    assert_eq!(metadata.scope.to_string(), "read write");
    let err = register(&partner, body(json!({"scope": "read admin"}))).unwrap_err();
    assert_eq!(err.pointer, "/scope");
    // Without a token, the server's own scopes apply.
    assert!(ClientMetadata::from_request(&body(json!({"scope": "write"})), &server()).is_err());
    // The server's default scope is kept only within the token's scopes.
    let narrow = policy(json!({"scope": "write"}));
    let metadata = register(&narrow, body(json!({}))).unwrap();
    assert!(metadata.scope.is_empty());
}

#[test]
fn a_token_policy_narrows_methods_grants_and_redirect_hosts() {
    let partner = policy(json!({
        "token_endpoint_auth_methods": ["none"],
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uri_hosts": ["*.partner.example", "127.0.0.1", "cursor:"],
    }));
    // The server's default (client_secret_basic) is not allowed: the
    // token's first method becomes the default.
    let mut without_method = body(json!({}));
    without_method
        .as_object_mut()
        .unwrap()
        .remove("token_endpoint_auth_method");
    let metadata = register(&partner, without_method).unwrap();
    assert_eq!(metadata.token_endpoint_auth_method, AuthMethod::None);

    let cases = [
        (
            json!({"token_endpoint_auth_method": "client_secret_basic"}),
            "/token_endpoint_auth_method",
        ),
        (
            json!({"grant_types": ["client_credentials"]}),
            "/grant_types/0",
        ),
        (
            json!({"redirect_uris": ["https://evil.example/cb"]}),
            "/redirect_uris/0",
        ),
        (
            json!({"redirect_uris": ["https://app.partner.example/cb", "https://partner.example/cb"]}),
            "/redirect_uris/1",
        ),
        (
            json!({"redirect_uris": ["http://localhost:3000/cb"]}),
            "/redirect_uris/0",
        ),
        (
            json!({"redirect_uris": ["vscode://cb"]}),
            "/redirect_uris/0",
        ),
    ];
    for (extra, pointer) in cases {
        let err = register(&partner, body(extra.clone())).unwrap_err();
        assert_eq!(err.pointer, pointer, "{extra}");
    }
    let err = register(
        &partner,
        body(json!({"redirect_uris": ["https://evil.example/cb"]})),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRedirectUri);
    for fine in [
        json!({"redirect_uris": ["http://127.0.0.1:5555/cb"]}),
        json!({"redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback"]}),
        json!({"redirect_uris": ["https://a.b.partner.example/cb"]}),
    ] {
        register(&partner, body(fine.clone())).unwrap_or_else(|err| panic!("{fine}: {err}"));
    }
}

#[test]
fn a_token_whose_grants_the_server_dropped_allows_none() {
    let stored = TokenPolicy::from_stored(&json!({"grant_types": ["urn:example:gone"]})).unwrap();
    let err = stored.narrow(&server()).unwrap_err();
    assert_eq!(err.pointer, "/grant_types");
}

#[test]
fn stored_policies_that_do_not_parse_are_none() {
    for bad in [
        json!(null),
        json!([]),
        json!({"scope": 5}),
        json!({"extra": 1}),
    ] {
        assert_eq!(TokenPolicy::from_stored(&bad), None, "{bad}");
    }
    assert_eq!(
        TokenPolicy::from_stored(&json!({})),
        Some(TokenPolicy::default())
    );
}

#[test]
fn a_token_policy_may_name_the_issuer_of_its_software_statements() {
    let issuer = "https://registry.example.com";
    let partner = policy(json!({ "software_statement_issuer": issuer }));
    assert_eq!(partner.software_statement_issuer.as_deref(), Some(issuer));
    let stored = partner.to_json();
    assert_eq!(stored, json!({ "software_statement_issuer": issuer }));
    assert_eq!(TokenPolicy::from_stored(&stored), Some(partner));
    // A policy stored before the member existed still loads, without one.
    let old = TokenPolicy::from_stored(&json!({ "scope": "mcp" })).unwrap();
    assert_eq!(old.software_statement_issuer, None);
    for (bad, problem) in [
        (json!(""), Problem::Empty),
        (
            json!(5),
            Problem::WrongType {
                expected: crate::error::JsonType::String,
            },
        ),
    ] {
        let err = TokenRequest::from_json(
            &json!({ "policy": { "software_statement_issuer": bad } }),
            &server(),
        )
        .unwrap_err();
        assert_eq!(err.pointer, "/policy/software_statement_issuer");
        assert_eq!(err.problem, problem);
    }
    let err = TokenRequest::from_json(
        &json!({ "policy": { "software_statement_issuer": "https://a.example/\u{202e}" } }),
        &server(),
    )
    .unwrap_err();
    assert_eq!(err.pointer, "/policy/software_statement_issuer");
}
