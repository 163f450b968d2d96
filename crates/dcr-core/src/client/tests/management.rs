//! RFC 7592: the registration access token, the client information response
//! with its management members, and the section 2.2 update transitions.

use super::*;

pub(super) const CONFIG_URI: &str =
    "https://dcr.example/register/6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60";

const MANAGEMENT_MEMBERS: [&str; 2] = ["registration_access_token", "registration_client_uri"];

/// `body` without the two RFC 7592 members, which must both be there.
pub(super) fn without_management_members(body: &Map<String, Value>) -> Map<String, Value> {
    let mut rest = body.clone();
    for member in MANAGEMENT_MEMBERS {
        assert!(rest.remove(member).is_some(), "{member} is missing");
    }
    rest
}

/// RFC 7592 section 3, at registration: the exact RFC 7591 body plus the
/// token and the configuration endpoint, for a confidential client.
#[test]
fn management_body_of_a_confidential_registration() {
    let registration = issue_with("client_secret_post", &all_methods_policy(), 40);
    let body = registration.management_response_body(CONFIG_URI);
    let expected = json!({
        "client_id": registration.client.client_id.to_string(),
        "client_id_issued_at": NOW,
        "client_secret": secret_of(&registration),
        "client_secret_expires_at": 0,
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "application_type": "web",
        "registration_access_token": registration.access_token.expose(),
        "registration_client_uri": CONFIG_URI,
    });
    assert_eq!(Value::Object(body), expected);
}

#[test]
fn management_body_of_a_public_registration() {
    let registration = issue_with("none", &all_methods_policy(), 41);
    let body = registration.management_response_body(CONFIG_URI);
    let expected = json!({
        "client_id": registration.client.client_id.to_string(),
        "client_id_issued_at": NOW,
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "application_type": "web",
        "registration_access_token": registration.access_token.expose(),
        "registration_client_uri": CONFIG_URI,
    });
    assert_eq!(Value::Object(body), expected);
}

/// For every method: the RFC 7591 body, unchanged, plus exactly two members;
/// the token in the body is the one whose digest the client keeps.
#[test]
fn management_body_is_the_rfc7591_body_plus_two_members() {
    let policy = all_methods_policy();
    for (seed, method) in (42u64..).zip(METHODS) {
        let registration = issue_with(method, &policy, seed);
        let body = registration.management_response_body(CONFIG_URI);
        let plain = registration.response_body();
        assert_eq!(body.len(), plain.len() + 2, "{method}");
        assert_eq!(without_management_members(&body), plain, "{method}");
        assert_eq!(body["registration_client_uri"], json!(CONFIG_URI));
        let token = body["registration_access_token"].as_str().unwrap();
        assert_eq!(token, registration.access_token.expose(), "{method}");
        assert_eq!(
            registration.client.registration_token,
            Some(TokenDigest::of(token)),
            "{method}"
        );
    }
}

/// A later read (RFC 7592 section 2.1) has no plaintext secret: the body is
/// the stored client's RFC 7591 body plus whatever token and URI it is given.
#[test]
fn management_body_of_a_stored_client() {
    let registration = issue_with("client_secret_basic", &with_lifetime(3600), 48);
    let body = registration
        .client
        .management_response_body(None, "a-new-token", CONFIG_URI);
    let expected = json!({
        "client_id": registration.client.client_id.to_string(),
        "client_id_issued_at": NOW,
        "client_secret_expires_at": NOW + 3600,
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "application_type": "web",
        "registration_access_token": "a-new-token",
        "registration_client_uri": CONFIG_URI,
    });
    assert_eq!(Value::Object(body.clone()), expected);
    assert_eq!(
        without_management_members(&body),
        registration.client.response_body(None)
    );
}

/// The token is compared whole and exactly; its stored digest is no token.
#[test]
fn accepts_only_its_registration_token() {
    let registration = issue_with("client_secret_basic", &all_methods_policy(), 49);
    let client = &registration.client;
    let token = registration.access_token.expose();
    let other = AccessToken::generate(&mut rng(50));
    let digest = client.registration_token.as_ref().unwrap().to_stored();
    let cases = [
        (token.to_owned(), true),
        (String::new(), false),
        (token[..42].to_owned(), false),
        (token[1..].to_owned(), false),
        (format!("{token}x"), false),
        (format!(" {token}"), false),
        (format!("{token} "), false),
        (format!("Bearer {token}"), false),
        (token.to_ascii_uppercase(), false),
        (token.to_ascii_lowercase(), false),
        (other.expose().to_owned(), false),
        (digest, false),
        (secret_of(&registration).to_owned(), false),
        (client.client_id.to_string(), false),
    ];
    for (presented, accepted) in cases {
        assert_eq!(
            client.accepts_registration_token(&presented),
            accepted,
            "{presented:?}"
        );
    }
}

/// A disabled client's token manages nothing, and works again once the
/// client is enabled; a client with no token digest can no longer be managed
/// at all.
#[test]
fn token_acceptance_needs_an_active_client_and_a_digest() {
    let registration = issue_with("none", &all_methods_policy(), 51);
    let token = registration.access_token.expose();
    let disabled = RegisteredClient {
        active: false,
        ..registration.client.clone()
    };
    for presented in [token, "", "null", "None"] {
        assert!(
            !disabled.accepts_registration_token(presented),
            "{presented:?}"
        );
    }
    let enabled_again = RegisteredClient {
        active: true,
        ..disabled
    };
    assert!(enabled_again.accepts_registration_token(token));
    let unmanaged = RegisteredClient {
        registration_token: None,
        ..registration.client.clone()
    };
    for presented in [token, "", "null", "None"] {
        assert!(
            !unmanaged.accepts_registration_token(presented),
            "{presented:?}"
        );
    }
}

/// Whether `client` stores the digest of `token`, whatever its state.
pub(super) fn holds_token(client: &RegisteredClient, token: &str) -> bool {
    client
        .registration_token
        .as_ref()
        .is_some_and(|digest| digest.matches(token))
}

/// DCR_DEDUP_PUBLIC: a client handed to several registrants has no
/// registration access token that any of them could manage it with, and no
/// secret; one whose method needs a secret is never shared.
#[test]
fn a_shared_client_has_no_token_and_no_secret() {
    for (seed, method) in (60u64..).zip(METHODS) {
        let metadata = metadata(method);
        let shared = RegisteredClient::issue_shared(metadata.clone(), NOW, &mut rng(seed));
        if AuthMethod::parse(method).unwrap().needs_secret() {
            assert_eq!(shared, None, "{method}");
            continue;
        }
        let shared = shared.unwrap();
        assert_eq!(shared.registration_token, None, "{method}");
        assert_eq!(shared.credentials, ClientCredentials::Public, "{method}");
        assert!(shared.active && shared.last_used_at.is_none());
        assert_eq!((shared.issued_at, &shared.metadata), (NOW, &metadata));
        let body = shared.response_body(None);
        for member in MANAGEMENT_MEMBERS.iter().chain(&["client_secret"]) {
            assert!(!body.contains_key(*member), "{method}: {member}");
        }
        // No token, even an empty one, manages it.
        for presented in ["", "a-token"] {
            assert!(!shared.accepts_registration_token(presented), "{method}");
        }
    }
}
