//! Accepted requests, with the exact metadata each registers.

use super::*;
use crate::test_support::{implicit_policy, key_auth_policy};

mod values;

#[test]
fn applies_rfc7591_defaults() {
    assert_eq!(validate(&body(json!({}))), Ok(minimal()));
}

/// RFC 7591 section 2: absent `grant_types` and `response_types` default, and
/// either one given derives the other (section 2.1).
#[test]
fn derives_grant_and_response_types() {
    let ac = GrantType::AUTHORIZATION_CODE;
    let implicit = GrantType::IMPLICIT;
    let code = ResponseType::code();
    let token = ResponseType::token();
    let cases: Vec<(Value, RegistrationPolicy, Vec<GrantType>, Vec<ResponseType>)> = vec![
        (
            json!({}),
            RegistrationPolicy::default(),
            vec![ac.clone()],
            vec![code.clone()],
        ),
        (
            json!({ "grant_types": ["authorization_code", "refresh_token"] }),
            RegistrationPolicy::default(),
            vec![ac.clone(), GrantType::REFRESH_TOKEN],
            vec![code.clone()],
        ),
        (
            json!({ "response_types": ["code"] }),
            RegistrationPolicy::default(),
            vec![ac.clone()],
            vec![code.clone()],
        ),
        (
            json!({ "grant_types": ["authorization_code", "authorization_code"], "response_types": ["code", "code"] }),
            RegistrationPolicy::default(),
            vec![ac.clone()],
            vec![code.clone()],
        ),
        (
            json!({ "grant_types": ["client_credentials"] }),
            RegistrationPolicy::default(),
            vec![GrantType::CLIENT_CREDENTIALS],
            vec![],
        ),
        (
            json!({ "grant_types": ["refresh_token", "client_credentials"], "response_types": [] }),
            RegistrationPolicy::default(),
            vec![GrantType::REFRESH_TOKEN, GrantType::CLIENT_CREDENTIALS],
            vec![],
        ),
        (
            json!({ "grant_types": ["implicit"] }),
            implicit_policy(),
            vec![implicit.clone()],
            vec![token.clone()],
        ),
        (
            json!({ "response_types": ["token"] }),
            implicit_policy(),
            vec![implicit.clone()],
            vec![token.clone()],
        ),
        (
            json!({ "response_types": ["code", "token"] }),
            implicit_policy(),
            vec![ac.clone(), implicit.clone()],
            vec![code.clone(), token.clone()],
        ),
        (
            json!({ "grant_types": ["authorization_code", "implicit"] }),
            implicit_policy(),
            vec![ac.clone(), implicit.clone()],
            vec![code.clone(), token.clone()],
        ),
    ];
    for (extra, policy, grants, responses) in cases {
        let request = body(extra.clone());
        let metadata =
            validate_with(&request, &policy).unwrap_or_else(|error| panic!("{extra}: {error:?}"));
        assert_eq!(metadata.grant_types, grants, "{extra}");
        assert_eq!(metadata.response_types, responses, "{extra}");
    }
}

/// `redirect_uris` may be left out when no grant redirects.
#[test]
fn machine_clients_need_no_redirect_uris() {
    let metadata = validate(&json!({
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",
    }))
    .unwrap();
    assert!(metadata.redirect_uris.is_empty());
    assert_eq!(metadata.grant_types, [GrantType::CLIENT_CREDENTIALS]);
    assert!(metadata.response_types.is_empty());
    assert_eq!(metadata.application_type, ApplicationType::Web);
    assert!(!metadata.to_json().contains_key("redirect_uris"));
    assert_eq!(stored_and_read_back(&metadata), metadata);
}

#[test]
fn takes_the_auth_method_asked_for_or_the_default() {
    let public_by_default = RegistrationPolicy {
        default_auth_method: AuthMethod::None,
        ..RegistrationPolicy::default()
    };
    let cases = [
        (
            json!("none"),
            RegistrationPolicy::default(),
            AuthMethod::None,
        ),
        (
            json!("client_secret_basic"),
            RegistrationPolicy::default(),
            AuthMethod::ClientSecretBasic,
        ),
        (
            json!("client_secret_post"),
            RegistrationPolicy::default(),
            AuthMethod::ClientSecretPost,
        ),
        (
            json!(null),
            RegistrationPolicy::default(),
            AuthMethod::ClientSecretBasic,
        ),
        (
            json!(""),
            RegistrationPolicy::default(),
            AuthMethod::ClientSecretBasic,
        ),
        (json!(null), public_by_default.clone(), AuthMethod::None),
        (
            json!("client_secret_basic"),
            public_by_default,
            AuthMethod::ClientSecretBasic,
        ),
    ];
    for (method, policy, expected) in cases {
        let request = body(json!({ "token_endpoint_auth_method": method }));
        let metadata = validate_with(&request, &policy).unwrap();
        assert_eq!(metadata.token_endpoint_auth_method, expected, "{method}");
    }
}

/// Key-based methods with their keys, by value or by reference.
#[test]
fn key_based_methods_with_keys() {
    let jwks = json!({ "keys": [{ "kty": "RSA", "n": "0vx7", "e": "AQAB" }] });
    let cases = [
        body(json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks })),
        body(
            json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example/jwks" }),
        ),
        body(json!({ "token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": jwks })),
    ];
    for request in cases {
        let metadata = validate_with(&request, &key_auth_policy())
            .unwrap_or_else(|error| panic!("{request}: {error:?}"));
        assert!(metadata.token_endpoint_auth_method.needs_keys());
        assert!(metadata.jwks.is_some() != metadata.jwks_uri.is_some());
        assert_eq!(stored_and_read_back(&metadata), metadata);
    }
    let with_jwks = validate(&body(json!({ "jwks": jwks }))).unwrap();
    assert_eq!(with_jwks.jwks.map(Value::Object), Some(jwks));
}

/// Explicit `application_type` wins; otherwise a client redirecting only to
/// loopback or private-use URIs is native.
#[test]
fn application_type_explicit_or_inferred() {
    let cases = [
        (
            json!({ "application_type": "web", "redirect_uris": ["http://127.0.0.1/cb"] }),
            ApplicationType::Web,
        ),
        (
            json!({ "application_type": "native", "redirect_uris": [APP] }),
            ApplicationType::Native,
        ),
        (
            json!({ "redirect_uris": ["http://127.0.0.1:61000/cb"] }),
            ApplicationType::Native,
        ),
        (
            json!({ "redirect_uris": ["http://[::1]/cb", "http://localhost/cb"] }),
            ApplicationType::Native,
        ),
        (
            json!({ "redirect_uris": ["com.example.app:/cb"] }),
            ApplicationType::Native,
        ),
        (
            json!({ "redirect_uris": ["http://127.0.0.1/cb", "cursor://a/cb"] }),
            ApplicationType::Native,
        ),
        (
            json!({ "application_type": null, "redirect_uris": ["cursor://a/cb"] }),
            ApplicationType::Native,
        ),
        (
            json!({ "application_type": "", "redirect_uris": ["cursor://a/cb"] }),
            ApplicationType::Native,
        ),
        (
            json!({ "redirect_uris": ["http://127.0.0.1/cb", APP] }),
            ApplicationType::Web,
        ),
        (json!({ "redirect_uris": [APP] }), ApplicationType::Web),
        (
            json!({ "grant_types": ["client_credentials"] }),
            ApplicationType::Web,
        ),
    ];
    for (request, expected) in cases {
        let metadata = validate(&request).unwrap_or_else(|error| panic!("{request}: {error:?}"));
        assert_eq!(metadata.application_type, expected, "{request}");
    }
}
