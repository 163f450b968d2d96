//! Unit tests of registered clients: issuance and its RFC 7591 response here;
//! RFC 7592 management (token, response, updates) in `management`; secrets
//! and the token endpoint's check in `credentials`. bcrypt runs at cost 4 and
//! every random source is seeded, so each value is exact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod credentials;
mod management;
mod rotation;
mod updates;
mod usability;

use crate::credentials::BcryptCost;
use std::collections::HashSet;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::*;
use crate::auth_method::AuthMethod;
use crate::credentials::ClientId;
use crate::test_support::{key_auth_policy, mcp_bodies};

const NOW: i64 = 1_767_225_600;

/// When a later operation (an update, a rotation, a token request) happens.
const LATER: i64 = NOW + 1_000;

/// Every method registration accepts here, secret-bearing ones first.
/// `client_secret_jwt` is left out: policy refuses to offer it.
const METHODS: [&str; 6] = [
    "client_secret_basic",
    "client_secret_post",
    "none",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
];

fn cost() -> BcryptCost {
    BcryptCost::new(4).unwrap()
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// The default policy plus every key- and certificate-based method.
fn all_methods_policy() -> RegistrationPolicy {
    let mut policy = key_auth_policy();
    policy.auth_methods.push(AuthMethod::TlsClientAuth);
    policy
}

fn with_lifetime(secret_lifetime_secs: u64) -> RegistrationPolicy {
    RegistrationPolicy {
        secret_lifetime_secs,
        ..all_methods_policy()
    }
}

/// A minimal request for `method`, with keys when the method needs them.
fn body_with(method: &str) -> Value {
    let mut body = json!({
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": method,
    });
    if AuthMethod::parse(method).unwrap().needs_keys() {
        body["jwks"] =
            json!({ "keys": [{ "kty": "EC", "crv": "P-256", "x": "f83O", "y": "x_FE" }] });
    }
    body
}

/// Checked metadata for `method`, as an update would carry it.
fn metadata(method: &str) -> ClientMetadata {
    ClientMetadata::from_request(&body_with(method), &all_methods_policy()).unwrap()
}

fn issue(body: Value, policy: &RegistrationPolicy, seed: u64) -> Registration {
    let metadata = ClientMetadata::from_request(&body, policy).unwrap();
    Registration::issue(metadata, policy, NOW, cost(), &mut rng(seed)).unwrap()
}

fn issue_with(method: &str, policy: &RegistrationPolicy, seed: u64) -> Registration {
    issue(body_with(method), policy, seed)
}

/// The plaintext secret of a registration that has one.
fn secret_of(registration: &Registration) -> &str {
    registration
        .secret
        .as_ref()
        .map(ClientSecret::expose)
        .expect("a secret-bearing method gets a secret")
}

/// SPEC: each MCP fixture registers, gets back the method it asked for, and
/// a secret exactly when that method needs one.
#[test]
fn every_mcp_fixture_registers() {
    let policy = RegistrationPolicy::default();
    for (seed, (name, body)) in (0u64..).zip(mcp_bodies()) {
        let asked =
            AuthMethod::parse(body["token_endpoint_auth_method"].as_str().unwrap()).unwrap();
        let registration = issue(body, &policy, seed);
        let client = &registration.client;
        assert_eq!(client.metadata.token_endpoint_auth_method, asked, "{name}");
        assert_eq!(
            registration.secret.is_some(),
            asked.needs_secret(),
            "{name}"
        );
        let response = registration.response_body();
        assert_eq!(
            response["token_endpoint_auth_method"],
            asked.as_str(),
            "{name}"
        );
        assert_eq!(
            response.contains_key("client_secret"),
            asked.needs_secret(),
            "{name}"
        );
        assert_eq!(
            response.contains_key("client_secret_expires_at"),
            asked.needs_secret(),
            "{name}"
        );
        assert!(client.active);
    }
}

/// Only the secret-bearing methods make a confidential client; key and
/// certificate methods are public as far as secrets go.
#[test]
fn issues_a_secret_exactly_when_the_method_needs_one() {
    let policy = all_methods_policy();
    let cases = [
        ("none", false),
        ("client_secret_basic", true),
        ("client_secret_post", true),
        ("private_key_jwt", false),
        ("tls_client_auth", false),
        ("self_signed_tls_client_auth", false),
    ];
    assert_eq!(cases.len(), METHODS.len());
    for (method, secret) in cases {
        let registration = issue_with(method, &policy, 1);
        assert_eq!(registration.secret.is_some(), secret, "{method}");
        match (&registration.client.credentials, &registration.secret) {
            (ClientCredentials::Public, None) => assert!(!secret),
            (ClientCredentials::Confidential { secret_hash, .. }, Some(plain)) => {
                assert!(secret);
                assert!(secret_hash.verify(plain.expose()));
            }
            (credentials, plain) => panic!("{method}: {credentials:?} with {plain:?}"),
        }
    }
}

/// RFC 7592 section 3: every registration gets a registration access token;
/// the client keeps only its SHA-256 digest, and starts active and unused.
#[test]
fn issue_stores_the_digest_of_a_fresh_registration_access_token() {
    let policy = all_methods_policy();
    let mut tokens = HashSet::new();
    for (seed, method) in (20u64..).zip(METHODS) {
        let registration = issue_with(method, &policy, seed);
        let token = registration.access_token.expose();
        let digest = TokenDigest::of(token);
        let credentials = match &registration.client.credentials {
            ClientCredentials::Confidential { secret_hash, .. } => {
                ClientCredentials::Confidential {
                    secret_hash: secret_hash.clone(),
                    secret_tag: Some(crate::secret_tag::SecretTag::of(
                        &registration.client.client_id,
                        registration.secret.as_ref().unwrap(),
                        secret_hash,
                    )),
                    secret_expires_at: 0,
                    previous_secret: None,
                }
            }
            ClientCredentials::Public => ClientCredentials::Public,
        };
        let expected = RegisteredClient {
            client_id: registration.client.client_id,
            issued_at: NOW,
            metadata: metadata(method),
            credentials,
            active: true,
            registration_token: Some(digest.clone()),
            last_used_at: None,
            provenance: crate::provenance::Provenance::default(),
        };
        assert_eq!(registration.client, expected, "{method}");
        assert_ne!(digest.to_stored(), token, "{method}");
        assert_eq!(token.len(), 43, "{method}");
        assert!(
            registration.client.accepts_registration_token(token),
            "{method}"
        );
        if let Some(secret) = &registration.secret {
            assert_ne!(secret.expose(), token, "{method}");
        }
        assert!(tokens.insert(token.to_owned()), "{method}: tokens repeat");
    }
}

#[test]
fn secret_expiry_follows_the_policy() {
    let cases = [(0, 0), (3600, NOW + 3600), (86_400 * 90, NOW + 86_400 * 90)];
    for (lifetime, expires_at) in cases {
        let policy = RegistrationPolicy {
            secret_lifetime_secs: lifetime,
            ..RegistrationPolicy::default()
        };
        let registration = issue(body_with("client_secret_basic"), &policy, 2);
        let ClientCredentials::Confidential {
            secret_expires_at, ..
        } = registration.client.credentials
        else {
            panic!("client_secret_basic makes a confidential client");
        };
        assert_eq!(secret_expires_at, expires_at, "lifetime {lifetime}");
        assert_eq!(
            registration.response_body()["client_secret_expires_at"],
            json!(expires_at)
        );
    }
}

/// RFC 7591 section 3.2.1.
#[test]
fn response_body_of_a_confidential_client() {
    let registration = issue(
        body_with("client_secret_post"),
        &RegistrationPolicy::default(),
        3,
    );
    let secret = registration.secret.as_ref().unwrap();
    let body = registration.response_body();
    let client_id = ClientId::parse(body["client_id"].as_str().unwrap()).unwrap();
    assert_eq!(client_id, registration.client.client_id);
    assert_eq!(body["client_id_issued_at"], json!(NOW));
    assert_eq!(body["client_secret"], json!(secret.expose()));
    assert_eq!(body["client_secret_expires_at"], json!(0));
    let mut expected = Map::new();
    expected.insert("client_id".into(), json!(client_id.to_string()));
    expected.insert("client_id_issued_at".into(), json!(NOW));
    expected.insert("client_secret".into(), json!(secret.expose()));
    expected.insert("client_secret_expires_at".into(), json!(0));
    expected.insert("redirect_uris".into(), json!(["https://app.example/cb"]));
    expected.insert(
        "token_endpoint_auth_method".into(),
        json!("client_secret_post"),
    );
    expected.insert("grant_types".into(), json!(["authorization_code"]));
    expected.insert("response_types".into(), json!(["code"]));
    expected.insert("application_type".into(), json!("web"));
    assert_eq!(body, expected);

    // Later reads (RFC 7592) have no plaintext, but keep the expiry.
    let read = registration.client.response_body(None);
    assert!(!read.contains_key("client_secret"));
    assert_eq!(read["client_secret_expires_at"], json!(0));
    assert_eq!(read["client_id"], body["client_id"]);
}

#[test]
fn response_body_of_a_public_client() {
    let registration = issue(body_with("none"), &RegistrationPolicy::default(), 4);
    assert!(registration.secret.is_none());
    let body = registration.response_body();
    assert!(body.contains_key("client_id"));
    assert_eq!(body["client_id_issued_at"], json!(NOW));
    assert!(!body.contains_key("client_secret"));
    assert!(!body.contains_key("client_secret_expires_at"));
    assert_eq!(body["token_endpoint_auth_method"], json!("none"));
}

/// The RFC 7591 body never carries RFC 7592 members.
#[test]
fn response_body_has_no_management_members() {
    let policy = all_methods_policy();
    for (seed, method) in (30u64..).zip(METHODS) {
        let body = issue_with(method, &policy, seed).response_body();
        assert!(!body.contains_key("registration_access_token"), "{method}");
        assert!(!body.contains_key("registration_client_uri"), "{method}");
    }
}

#[test]
fn debug_of_a_registration_shows_no_secret() {
    let registration = issue(
        body_with("client_secret_basic"),
        &RegistrationPolicy::default(),
        5,
    );
    let secret = registration.secret.as_ref().unwrap().expose().to_owned();
    let ClientCredentials::Confidential { secret_hash, .. } = &registration.client.credentials
    else {
        panic!("client_secret_basic makes a confidential client");
    };
    let shown = format!("{registration:?}");
    assert!(!shown.contains(&secret));
    assert!(!shown.contains(secret_hash.as_stored()));
}

#[test]
fn issue_is_deterministic_for_a_seed() {
    let policy = RegistrationPolicy::default();
    let first = issue(body_with("client_secret_basic"), &policy, 9);
    let second = issue(body_with("client_secret_basic"), &policy, 9);
    let third = issue(body_with("client_secret_basic"), &policy, 10);
    assert_eq!(first.client, second.client);
    assert_eq!(
        first.secret.as_ref().map(ClientSecret::expose),
        second.secret.as_ref().map(ClientSecret::expose)
    );
    assert_eq!(first.access_token.expose(), second.access_token.expose());
    assert_ne!(first.client.client_id, third.client.client_id);
    assert_ne!(
        first.secret.as_ref().map(ClientSecret::expose),
        third.secret.as_ref().map(ClientSecret::expose)
    );
    assert_ne!(first.access_token.expose(), third.access_token.expose());
}
