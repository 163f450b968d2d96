//! Unit tests of registration metadata: one table of refused requests (one case
//! per rule of SPEC "Registration request"), one of accepted ones, and the MCP
//! client fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accepted;
mod refused;

use serde_json::{Value, json};

use super::*;
use crate::client_url::ClientUrl;
use crate::redirect_uri::RedirectKind;
use crate::test_support::mcp_bodies;

/// A redirect URI every table starts from.
const APP: &str = "https://app.example/cb";

fn validate(body: &Value) -> Result<ClientMetadata, MetadataError> {
    ClientMetadata::from_request(body, &RegistrationPolicy::default())
}

fn validate_with(
    body: &Value,
    policy: &RegistrationPolicy,
) -> Result<ClientMetadata, MetadataError> {
    ClientMetadata::from_request(body, policy)
}

/// `{"redirect_uris": [APP]}` with `extra`'s members added or replaced.
fn body(extra: Value) -> Value {
    let mut base = json!({ "redirect_uris": [APP] });
    let (Value::Object(members), Value::Object(extra)) = (&mut base, extra) else {
        panic!("body() takes a JSON object");
    };
    members.extend(extra);
    base
}

fn uri(raw: &str) -> RedirectUri {
    RedirectUri::parse(raw, &RegistrationPolicy::default().redirect).unwrap()
}

fn url(raw: &str) -> ClientUrl {
    ClientUrl::parse(raw, 2000).unwrap()
}

fn scope(raw: &str) -> Scope {
    Scope::parse(raw).unwrap()
}

/// What `{"redirect_uris": [APP]}` registers: RFC 7591 defaults throughout.
fn minimal() -> ClientMetadata {
    ClientMetadata {
        redirect_uris: vec![uri(APP)],
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        grant_types: vec![GrantType::AUTHORIZATION_CODE],
        response_types: vec![ResponseType::code()],
        application_type: ApplicationType::Web,
        client_name: None,
        client_uri: None,
        logo_uri: None,
        tos_uri: None,
        policy_uri: None,
        jwks_uri: None,
        jwks: None,
        scope: Scope::default(),
        contacts: Vec::new(),
        software_id: None,
        software_version: None,
        localized: BTreeMap::new(),
    }
}

/// Stored as JSON text, read back as the store would.
fn stored_and_read_back(metadata: &ClientMetadata) -> ClientMetadata {
    let text = serde_json::to_string(&metadata.to_json()).unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    ClientMetadata::from_stored(&stored).unwrap()
}

/// SPEC: every fixture body registers under the default policy with the auth
/// method it asked for.
#[test]
fn every_mcp_fixture_validates() {
    let expected_application_type = |name: &str| match name {
        // https redirect URIs: a web client.
        "claude_ai" | "vscode" => ApplicationType::Web,
        _ => ApplicationType::Native,
    };
    let bodies = mcp_bodies();
    assert_eq!(bodies.len(), 6);
    for (name, body) in bodies {
        let metadata = validate(&body).unwrap_or_else(|error| panic!("{name}: {error:?}"));
        let asked = body["token_endpoint_auth_method"].as_str().unwrap();
        assert_eq!(
            metadata.token_endpoint_auth_method.as_str(),
            asked,
            "{name}"
        );
        assert_eq!(
            metadata.grant_types,
            [GrantType::AUTHORIZATION_CODE, GrantType::REFRESH_TOKEN],
            "{name}"
        );
        assert_eq!(metadata.response_types, [ResponseType::code()], "{name}");
        assert_eq!(
            metadata.client_name.as_deref(),
            body["client_name"].as_str(),
            "{name}"
        );
        let sent: Vec<&str> = body["redirect_uris"]
            .as_array()
            .unwrap()
            .iter()
            .map(|uri| uri.as_str().unwrap())
            .collect();
        let registered: Vec<&str> = metadata
            .redirect_uris
            .iter()
            .map(RedirectUri::as_str)
            .collect();
        assert_eq!(registered, sent, "{name}: kept verbatim");
        assert_eq!(
            metadata.application_type,
            expected_application_type(&name),
            "{name}"
        );
        assert_eq!(stored_and_read_back(&metadata), metadata, "{name}");
    }
}

#[test]
fn fixture_redirect_uris_are_of_the_expected_kinds() {
    let policy = RegistrationPolicy::default();
    for (name, body) in mcp_bodies() {
        let metadata = validate_with(&body, &policy).unwrap();
        let kinds: Vec<RedirectKind> = metadata
            .redirect_uris
            .iter()
            .map(RedirectUri::kind)
            .collect();
        let expected: &[RedirectKind] = match name.as_str() {
            "claude_ai" => &[RedirectKind::Https],
            "cursor" => &[RedirectKind::PrivateUse],
            "vscode" => &[RedirectKind::Loopback, RedirectKind::Https],
            "inspector" => &[RedirectKind::Loopback, RedirectKind::Loopback],
            "claude_code" | "native_2026" => &[RedirectKind::Loopback],
            other => panic!("a fixture this test does not know: {other}"),
        };
        assert_eq!(kinds, expected, "{name}");
    }
}

#[test]
fn to_json_holds_every_registered_value() {
    assert_eq!(
        Value::Object(minimal().to_json()),
        json!({
            "redirect_uris": [APP],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "application_type": "web",
        })
    );

    let rich = json!({
        "redirect_uris": [APP, "http://127.0.0.1:8080/cb", "com.example.app:/cb", APP],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types": ["code"],
        "client_name": "Example",
        "client_name#fr": "Exemple",
        "client_name#ja-Jpan-JP": "例のクライアント",
        "client_uri": "https://app.example",
        "logo_uri": "https://app.example/logo.png",
        "logo_uri#fr": "https://app.example/logo-fr.png",
        "tos_uri": "https://app.example/tos",
        "policy_uri": "https://app.example/privacy",
        "jwks": { "keys": [{ "kty": "EC", "crv": "P-256", "x": "f83O", "y": "x_FE" }] },
        "scope": "read  write mcp:tools read",
        "contacts": ["ops@app.example", "security@app.example"],
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1.0",
        "software_statement": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "scope#fr": "lire",
        "x-vendor": { "nested": [1, 2, null] },
    });
    let metadata = validate(&rich).unwrap();
    assert_eq!(
        Value::Object(metadata.to_json()),
        json!({
            "redirect_uris": [APP, "http://127.0.0.1:8080/cb", "com.example.app:/cb"],
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "response_types": ["code"],
            "application_type": "web",
            "client_name": "Example",
            "client_name#fr": "Exemple",
            "client_name#ja-Jpan-JP": "例のクライアント",
            "client_uri": "https://app.example",
            "logo_uri": "https://app.example/logo.png",
            "logo_uri#fr": "https://app.example/logo-fr.png",
            "tos_uri": "https://app.example/tos",
            "policy_uri": "https://app.example/privacy",
            "jwks": { "keys": [{ "kty": "EC", "crv": "P-256", "x": "f83O", "y": "x_FE" }] },
            "scope": "read write mcp:tools",
            "contacts": ["ops@app.example", "security@app.example"],
            "software_id": "4NRB1-0XZABZI9E6-5SM3R",
            "software_version": "2.1.0",
        })
    );
    assert_eq!(stored_and_read_back(&metadata), metadata);
}

/// Stored metadata reads back even after the policy has tightened.
#[test]
fn from_stored_ignores_the_current_policy() {
    let stored = json!({
        "redirect_uris": ["myapp:/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": "https://app.example/jwks",
        "grant_types": ["implicit", "urn:ietf:params:oauth:grant-type:device_code"],
        "response_types": ["token"],
        "application_type": "native",
        "scope": "anything",
    });
    let metadata = ClientMetadata::from_stored(&stored).unwrap();
    assert_eq!(Value::Object(metadata.to_json()), stored);
    assert!(validate(&stored).is_err());
    assert_eq!(
        ClientMetadata::from_stored(&json!([])),
        Err(MetadataError::new("", Problem::NotAnObject))
    );
}

/// Rows stored before a rule was added still load, list and show: the
/// rules of today apply to requests, not to what was registered. Private key
/// members such a row may hold are dropped, never shown.
#[test]
fn from_stored_reads_rows_registered_under_older_rules() {
    let stored = json!({
        "redirect_uris": ["myapp://cb", "http://localhost:3000/cb", "https://claud\u{435}.ai/cb"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "client_credentials"],
        "response_types": ["code"],
        "application_type": "web",
        "client_name": "Evil\u{202E}txt.exe",
        "client_uri": "http://localhost:3000",
        "logo_uri": "https://10.0.0.1/logo.png",
        "contacts": ["a\u{200B}@app.example"],
        "jwks": { "keys": [
            { "kty": "RSA", "n": "0vx7", "e": "AQAB", "d": "secret", "p": "x", "qi": "y" },
            { "kty": "oct", "k": "c2VjcmV0" },
        ] },
    });
    assert!(validate(&stored).is_err(), "refused as a request today");
    let metadata = ClientMetadata::from_stored(&stored).unwrap();
    assert_eq!(metadata.redirect_uris.len(), 3);
    assert_eq!(metadata.redirect_uris[0].kind(), RedirectKind::PrivateUse);
    assert_eq!(metadata.redirect_uris[1].kind(), RedirectKind::Loopback);
    assert_eq!(metadata.client_name.as_deref(), Some("Evil\u{202E}txt.exe"));
    assert_eq!(
        metadata.jwks,
        json!({ "keys": [{ "kty": "RSA", "n": "0vx7", "e": "AQAB" }] })
            .as_object()
            .cloned()
    );
    let shown = Value::Object(metadata.to_json());
    assert!(!shown.to_string().contains("secret"));
    assert!(!shown.to_string().contains("c2VjcmV0"));
    assert_eq!(ClientMetadata::from_stored(&shown), Ok(metadata));
}

#[test]
fn uses_redirects_follows_the_grants() {
    assert!(minimal().uses_redirects());
    let machine = validate(&json!({ "grant_types": ["client_credentials"] })).unwrap();
    assert!(!machine.uses_redirects());
}

/// DCR_DEDUP_PUBLIC shares a client by the fingerprint of its metadata, and
/// never one whose method needs a secret.
#[test]
fn share_keys_are_fingerprints_of_metadata_without_a_secret() {
    let public = validate(&body(json!({"token_endpoint_auth_method": "none"}))).unwrap();
    assert_eq!(public.share_key(), Some(public.fingerprint()));
    let renamed = validate(&body(json!({
        "token_endpoint_auth_method": "none",
        "client_name": "Other",
    })))
    .unwrap();
    assert_ne!(renamed.share_key(), public.share_key());
    for method in ["client_secret_basic", "client_secret_post"] {
        let confidential = validate(&body(json!({"token_endpoint_auth_method": method}))).unwrap();
        assert_eq!(confidential.share_key(), None, "{method}");
    }
}
