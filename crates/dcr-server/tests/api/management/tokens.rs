//! The registration access token: only its own client opens with it, every
//! problem with it is one 401, it is stored only as a digest, and each
//! update spends it.

use dcr_core::{ClientCredentials, TokenDigest};
use dcr_store::DatabaseUrl;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel::{PgConnection, SqliteConnection};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Registered, delete, ok_json, put, read, text};
use crate::helpers::{Backend, TestApp, assert_invalid_token, fixture, spawn_app};

on_both_backends!(
    a_token_opens_only_its_own_client,
    every_token_problem_is_the_same_401,
    token_and_secret_are_stored_only_as_digest_and_hash,
    of_two_concurrent_updates_with_one_token_exactly_one_wins,
);

async fn a_token_opens_only_its_own_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = Registered::new(&app, &fixture("claude_code")).await;
    let b = Registered::new(&app, &fixture("cursor")).await;

    assert_invalid_token(read(&app, &b.id, &a.token).await).await;
    let mut takeover = b.update_body();
    takeover["redirect_uris"] = json!(["https://attacker.example/cb"]);
    assert_invalid_token(put(&app, &b.id, &a.token, &takeover).await).await;
    assert_invalid_token(delete(&app, &b.id, &a.token).await).await;

    // B is untouched, and neither token was spent.
    assert_eq!(
        ok_json(read(&app, &b.id, &b.token).await).await,
        b.as_read()
    );
    assert_eq!(
        ok_json(read(&app, &a.id, &a.token).await).await,
        a.as_read()
    );
}

/// RFC 7592 section 2 and RFC 6750 section 3.1: one 401 with one challenge
/// for every problem, unknown clients included, so a caller learns nothing
/// about which clients exist.
async fn every_token_problem_is_the_same_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_code")).await;
    let other = Registered::new(&app, &fixture("cursor")).await;
    let token = &client.token;
    let unknown = uuid::Uuid::new_v4().to_string();

    let cases: [(&str, &str, Option<String>); 12] = [
        ("no Authorization header", &client.id, None),
        (
            "Basic scheme",
            &client.id,
            Some("Basic Zm9vOmJhcg==".into()),
        ),
        ("DPoP scheme", &client.id, Some(format!("DPoP {token}"))),
        ("scheme without a token", &client.id, Some("Bearer".into())),
        (
            "no space after Bearer",
            &client.id,
            Some(format!("Bearer{token}")),
        ),
        (
            "two tokens",
            &client.id,
            Some(format!("Bearer {token} {token}")),
        ),
        (
            "truncated token",
            &client.id,
            Some(format!("Bearer {}", &token[..42])),
        ),
        (
            "token with a suffix",
            &client.id,
            Some(format!("Bearer {token}x")),
        ),
        (
            "made-up token",
            &client.id,
            Some(format!("Bearer {}", "A".repeat(43))),
        ),
        (
            "another client's token",
            &client.id,
            Some(format!("Bearer {}", other.token)),
        ),
        (
            "unknown client_id",
            &unknown,
            Some(format!("Bearer {token}")),
        ),
        (
            "malformed client_id",
            "not-a-client-id",
            Some(format!("Bearer {token}")),
        ),
    ];
    let mut answers = Vec::new();
    for (case, client_id, authorization) in &cases {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let mut request = app.request(method.clone(), &format!("/register/{client_id}"));
            if let Some(authorization) = authorization {
                request = request.header("Authorization", authorization);
            }
            if method == Method::PUT {
                let mut body = client.update_body();
                body["client_id"] = json!(client_id);
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{case}, {method}"
            );
            answers.push(assert_invalid_token(response).await);
        }
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "the answers differ, telling one problem from another: {answers:?}"
    );

    // None of it touched the client, and the scheme is case-insensitive
    // (RFC 9110 section 11.1).
    for scheme in ["bearer", "BEARER"] {
        let response = app
            .request(Method::GET, &format!("/register/{}", client.id))
            .header("Authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(ok_json(response).await, client.as_read(), "{scheme}");
    }
    assert_eq!(app.store.count_clients().unwrap(), 2);
}

/// The text columns of a row, read with plain SQL, past the store's types.
#[derive(Debug, QueryableByName)]
struct RawRow {
    #[diesel(sql_type = Text)]
    client_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    client_secret_hash: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    client_name: Option<String>,
    #[diesel(sql_type = Text)]
    redirect_uris: String,
    #[diesel(sql_type = Nullable<Text>)]
    scope: Option<String>,
    #[diesel(sql_type = Text)]
    token_endpoint_auth_method: String,
    #[diesel(sql_type = Nullable<Text>)]
    software_id: Option<String>,
    #[diesel(sql_type = Text)]
    metadata: String,
    #[diesel(sql_type = Text)]
    created_by: String,
    #[diesel(sql_type = Nullable<Text>)]
    registration_token_digest: Option<String>,
}

impl RawRow {
    fn every_value(&self) -> String {
        [
            Some(&self.client_id),
            self.client_secret_hash.as_ref(),
            self.client_name.as_ref(),
            Some(&self.redirect_uris),
            self.scope.as_ref(),
            Some(&self.token_endpoint_auth_method),
            self.software_id.as_ref(),
            Some(&self.metadata),
            Some(&self.created_by),
            self.registration_token_digest.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
    }
}

fn raw_row(app: &TestApp, client_id: &str) -> RawRow {
    let query = diesel::sql_query(
        "SELECT client_id, client_secret_hash, client_name, redirect_uris, scope, \
         token_endpoint_auth_method, software_id, metadata, created_by, \
         registration_token_digest FROM oauth_clients",
    );
    let rows: Vec<RawRow> = match app.db.url() {
        DatabaseUrl::Postgres(url) => query
            .load(&mut PgConnection::establish(url).unwrap())
            .unwrap(),
        DatabaseUrl::Sqlite(path) => query
            .load(&mut SqliteConnection::establish(path).unwrap())
            .unwrap(),
    };
    rows.into_iter()
        .find(|row| row.client_id == client_id)
        .unwrap_or_else(|| panic!("no row for client {client_id}"))
}

fn assert_stored_digest_of(app: &TestApp, client_id: &str, token: &str) {
    let digest = app
        .find_client(client_id)
        .registration_token
        .expect("a registered client has a registration token digest");
    assert!(digest.matches(token));
    let stored = digest.to_stored();
    assert_ne!(stored, token);
    assert_eq!(stored.len(), 64);
    assert!(
        stored
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{stored} is not lower-case hex"
    );
    // SHA-256 of the token, and nothing else, is in the row.
    assert_eq!(stored, TokenDigest::of(token).to_stored());
    let row = raw_row(app, client_id);
    assert_eq!(
        row.registration_token_digest.as_deref(),
        Some(stored.as_str())
    );
    assert!(
        !row.every_value().contains(token),
        "the plaintext token is in the row: {row:?}"
    );
}

/// SPEC "Credentials": the token only as a SHA-256 digest, the secret only as
/// a bcrypt hash, checked in the rows themselves.
async fn token_and_secret_are_stored_only_as_digest_and_hash(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_ai")).await;
    let secret = client.secret.clone().unwrap();

    assert_stored_digest_of(&app, &client.id, &client.token);
    let row = raw_row(&app, &client.id);
    let hash = row.client_secret_hash.as_deref().unwrap();
    assert!(
        hash.starts_with("$2b$04$"),
        "{hash} is not bcrypt at cost 4"
    );
    assert_eq!(hash.len(), 60);
    assert!(
        !row.every_value().contains(&secret),
        "the plaintext secret is in the row: {row:?}"
    );
    let ClientCredentials::Confidential { secret_hash, .. } =
        app.find_client(&client.id).credentials
    else {
        panic!("a client_secret_post client is stored as confidential");
    };
    assert_eq!(secret_hash.as_stored(), hash);
    assert!(secret_hash.verify(&secret));

    // A rotated token replaces the digest; the old one is gone from the row.
    let updated = ok_json(put(&app, &client.id, &client.token, &client.update_body()).await).await;
    let new_token = text(&updated, "registration_access_token");
    assert_stored_digest_of(&app, &client.id, &new_token);
    let row = raw_row(&app, &client.id);
    assert_ne!(
        row.registration_token_digest.as_deref(),
        Some(TokenDigest::of(&client.token).to_stored().as_str())
    );
    assert_eq!(row.client_secret_hash.as_deref(), Some(hash), "secret kept");
}

/// Every update rotates the token, so of two updates sent with one token
/// exactly one may win, however they interleave.
async fn of_two_concurrent_updates_with_one_token_exactly_one_wins(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_code")).await;
    let mut token = client.token.clone();

    for round in 0..5 {
        let mut first = client.update_body();
        first["client_name"] = json!(format!("first {round}"));
        let mut second = client.update_body();
        second["client_name"] = json!(format!("second {round}"));

        let (a, b) = tokio::join!(
            put(&app, &client.id, &token, &first),
            put(&app, &client.id, &token, &second)
        );

        let (winner, loser) = match (a.status(), b.status()) {
            (StatusCode::OK, StatusCode::UNAUTHORIZED) => (a, b),
            (StatusCode::UNAUTHORIZED, StatusCode::OK) => (b, a),
            (a, b) => panic!("round {round}: {a} and {b}, not one 200 and one 401"),
        };
        assert_invalid_token(loser).await;
        let winner = ok_json(winner).await;
        let stored = app.find_client(&client.id);
        assert_eq!(
            stored.metadata.client_name.as_deref(),
            winner["client_name"].as_str(),
            "round {round}: the stored update is the one that answered 200"
        );
        assert_invalid_token(read(&app, &client.id, &token).await).await;
        token = text(&winner, "registration_access_token");
        assert_eq!(ok_json(read(&app, &client.id, &token).await).await, winner);
    }
}
