//! `POST /register` when it succeeds (RFC 7591 section 3.2.1): what the
//! response holds, and what lands in the store.

use std::collections::HashSet;

use dcr_core::ClientCredentials;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

use crate::helpers::{Backend, fixture, fixture_bodies, header, spawn_app, unix_now};

on_both_backends!(
    confidential_client_gets_a_secret_stored_only_as_a_bcrypt_hash,
    public_client_gets_no_secret,
    every_mcp_client_body_registers_with_the_method_it_asked_for,
    response_is_uncacheable_and_identifies_the_client,
    absent_members_get_the_rfc_7591_defaults,
    unknown_members_are_ignored,
    json_with_a_charset_parameter_is_accepted,
    fifty_concurrent_first_registrations_all_succeed,
);

/// What a registration response carries besides the metadata.
pub(crate) const ISSUED_MEMBERS: [&str; 6] = [
    "client_id",
    "client_id_issued_at",
    "client_secret",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

/// The answer minus what is shown only to the client (RFC 7592 section 3).
fn without_management(response: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    let mut registered = response.clone();
    registered.remove("registration_access_token");
    registered.remove("registration_client_uri");
    registered
}

async fn confidential_client_gets_a_secret_stored_only_as_a_bcrypt_hash(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = fixture("claude_ai");

    let response = app.register(&body).await;

    assert_eq!(response["token_endpoint_auth_method"], "client_secret_post");
    let secret = response["client_secret"].as_str().unwrap();
    // 256 bits as unpadded base64url.
    assert_eq!(secret.len(), 43, "{secret:?} is not 256 bits of base64url");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(response["client_secret_expires_at"], 0);
    for member in [
        "client_name",
        "redirect_uris",
        "grant_types",
        "response_types",
    ] {
        assert_eq!(response[member], body[member], "{member} as registered");
    }

    let stored = app.find_client(response["client_id"].as_str().unwrap());
    let ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        secret_expires_at,
        previous_secret: None,
    } = &stored.credentials
    else {
        panic!("a client_secret_post client is stored as confidential");
    };
    assert_eq!(*secret_expires_at, 0);
    // Beside the bcrypt hash, the secret's tag (never the secret).
    let tag = secret_tag.expect("a bcrypt-hashed secret is stored with its tag");
    assert!(tag.admits(&stored.client_id, secret) && tag.belongs_to(secret_hash));
    assert!(!tag.to_stored().contains(secret));
    let hash = secret_hash.as_stored();
    assert_ne!(hash, secret, "the secret is stored in plain text");
    assert!(!hash.contains(secret));
    assert!(
        hash.starts_with("$2b$04$"),
        "not a bcrypt hash at the configured cost 4"
    );
    assert!(secret_hash.verify(secret));
    assert!(!secret_hash.verify("not-the-secret"));
    assert!(!secret_hash.verify(&secret[..42]));
    assert!(stored.active);
    assert_eq!(
        stored.issued_at,
        response["client_id_issued_at"].as_i64().unwrap()
    );

    // What was stored is what was answered, minus the plaintext secret.
    let mut answered = without_management(&response);
    answered.remove("client_secret");
    assert_eq!(stored.response_body(None), answered);
}

async fn public_client_gets_no_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = fixture("claude_code");

    let response = app.register(&body).await;

    assert_eq!(response["token_endpoint_auth_method"], "none");
    assert!(
        !response.contains_key("client_secret"),
        "a public client got a secret"
    );
    assert!(!response.contains_key("client_secret_expires_at"));
    assert_eq!(response["redirect_uris"], body["redirect_uris"]);
    assert_eq!(response["application_type"], "native");

    let stored = app.find_client(response["client_id"].as_str().unwrap());
    assert_eq!(stored.credentials, ClientCredentials::Public);
    assert_eq!(stored.response_body(None), without_management(&response));
}

async fn every_mcp_client_body_registers_with_the_method_it_asked_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let bodies = fixture_bodies();
    assert!(bodies.len() >= 6, "the fixture file lost bodies");

    for (name, body) in &bodies {
        let response = app.post_register(body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{name}: {text}");
        let response: Map<String, Value> = serde_json::from_str(&text).unwrap();

        let asked = body["token_endpoint_auth_method"].as_str().unwrap();
        assert_eq!(response["token_endpoint_auth_method"], asked, "{name}");
        let needs_secret = matches!(asked, "client_secret_basic" | "client_secret_post");
        assert_eq!(
            response.contains_key("client_secret"),
            needs_secret,
            "{name}: a secret only when {asked} needs one"
        );
        assert_eq!(
            response.contains_key("client_secret_expires_at"),
            needs_secret,
            "{name}"
        );
        for member in [
            "redirect_uris",
            "grant_types",
            "response_types",
            "client_name",
        ] {
            assert_eq!(response[member], body[member], "{name}: {member}");
        }
        for member in [
            "client_uri",
            "software_id",
            "software_version",
            "application_type",
        ] {
            if let Some(sent) = body.get(member) {
                assert_eq!(&response[member], sent, "{name}: {member}");
            }
        }

        let stored = app.find_client(response["client_id"].as_str().unwrap());
        assert_eq!(
            matches!(stored.credentials, ClientCredentials::Confidential { .. }),
            needs_secret,
            "{name}"
        );
    }
    assert_eq!(
        app.store.count_clients().unwrap(),
        i64::try_from(bodies.len()).unwrap()
    );
}

async fn response_is_uncacheable_and_identifies_the_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = unix_now();

    let response = app.post_register(&fixture("claude_ai")).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(header(&headers, "pragma"), Some("no-cache"));
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Map<String, Value> = response.json().await.unwrap();
    let after = unix_now();

    let client_id = body["client_id"].as_str().unwrap();
    let uuid = uuid::Uuid::try_parse(client_id).unwrap();
    assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
    assert_eq!(
        client_id,
        uuid.hyphenated().to_string(),
        "lower-case hyphenated form"
    );
    let issued_at = body["client_id_issued_at"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&issued_at),
        "issued at {issued_at}, not between {before} and {after}"
    );
    assert_eq!(body["client_secret_expires_at"], 0);
}

async fn absent_members_get_the_rfc_7591_defaults(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app
        .register(&json!({ "redirect_uris": ["https://app.example.com/cb"] }))
        .await;

    assert_eq!(response["grant_types"], json!(["authorization_code"]));
    assert_eq!(response["response_types"], json!(["code"]));
    assert_eq!(
        response["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    assert_eq!(response["application_type"], "web");
    assert_eq!(
        response["redirect_uris"],
        json!(["https://app.example.com/cb"])
    );
    assert_eq!(response["client_secret"].as_str().unwrap().len(), 43);
    assert_eq!(response["client_secret_expires_at"], 0);
    let mut metadata: Vec<&String> = response
        .keys()
        .filter(|key| !ISSUED_MEMBERS.contains(&key.as_str()))
        .collect();
    metadata.sort();
    assert_eq!(
        metadata,
        [
            "application_type",
            "grant_types",
            "redirect_uris",
            "response_types",
            "token_endpoint_auth_method"
        ],
        "only defaults and what was sent"
    );

    let stored = app.find_client(response["client_id"].as_str().unwrap());
    assert!(matches!(
        stored.credentials,
        ClientCredentials::Confidential { .. }
    ));
}

/// RFC 7591 section 2: metadata the server does not understand is ignored.
async fn unknown_members_are_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = fixture("cursor");
    body["x_vendor_extension"] = json!({ "nested": [1, 2, 3] });
    body["another_unknown"] = json!(42);

    let response = app.register(&body).await;

    assert!(!response.contains_key("x_vendor_extension"));
    assert!(!response.contains_key("another_unknown"));
    assert_eq!(response["client_name"], "Cursor");
}

async fn json_with_a_charset_parameter_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = serde_json::to_vec(&fixture("vscode")).unwrap();

    for content_type in [
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
    ] {
        let response = app
            .post_register_raw(body.clone(), Some(content_type))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{content_type}");
    }
    assert_eq!(app.store.count_clients().unwrap(), 3);
}

/// The first registrations on a fresh database arrive together: each one
/// lands, each gets its own client_id.
async fn fifty_concurrent_first_registrations_all_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let bodies = [fixture("claude_ai"), fixture("claude_code")];
    let mut requests = JoinSet::new();
    for index in 0..50 {
        let request = app
            .client
            .post(app.url("/register"))
            .json(&bodies[index % 2]);
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "request {index}: {text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            body["client_id"].as_str().unwrap().to_owned()
        });
    }

    let mut client_ids = HashSet::new();
    while let Some(outcome) = requests.join_next().await {
        assert!(
            client_ids.insert(outcome.unwrap()),
            "a client_id was reused"
        );
    }

    assert_eq!(client_ids.len(), 50);
    assert_eq!(app.store.count_clients().unwrap(), 50);
    for client_id in &client_ids {
        app.find_client(client_id);
    }
}
