//! Software statements (RFC 7591 sections 2.3 and 3.1.1) on the wire:
//! ignored when off, verified when present under accept, needed under
//! require and by a token whose policy names an issuer; a statement's
//! claims win over the body's, on registration and RFC 7592 update alike,
//! and its issuer shows in the admin view's provenance.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::*;
use crate::initial_access::{created, register_with as register};
use dcr_core::software_statement::StatementMode;

on_both_backends!(
    statements_are_ignored_when_off,
    accepted_statements_win_over_the_body_and_bad_ones_are_refused,
    clients_vouched_for_by_a_statement_are_never_shared,
    required_statements_are_needed_without_a_token,
    a_token_may_require_statements_from_its_issuer,
    the_dry_run_applies_statements_as_registration_does,
);

const ISSUER: &str = "https://registry.example.com";
/// The public halves of dcr-core's test keys (its tests/data/statements).
const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../dcr-core/tests/data/statements/public.jwks.json"
);
const RSA_KEY: &[u8] = include_bytes!("../../../dcr-core/tests/data/statements/rsa.pem");
const OTHER_RSA_KEY: &[u8] =
    include_bytes!("../../../dcr-core/tests/data/statements/rsa_other.pem");
const EC_KEY: &[u8] = include_bytes!("../../../dcr-core/tests/data/statements/ec.pem");

/// The application with statements in `mode`, trusting [`ISSUER`] with the
/// test keys (named by path, as an operator's file may).
async fn spawn(backend: Backend, mode: StatementMode) -> TestApp {
    let issuers = std::env::temp_dir().join(format!("dcr-issuers-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&issuers, json!({ ISSUER: KEYS }).to_string()).unwrap();
    let path = issuers.clone();
    let app = spawn_app_with(backend, move |settings| {
        settings.software_statements.software_statements = mode;
        settings.software_statements.software_statement_issuers = Some(path);
    })
    .await;
    let _ = std::fs::remove_file(&issuers);
    app
}

fn claims(issuer: &str) -> Value {
    json!({
        "iss": issuer,
        "iat": unix_now(),
        "exp": unix_now() + 3600,
        "software_id": "com.example.agent",
        "client_name": "Example Agent",
        "redirect_uris": ["https://agent.example.com/cb"],
    })
}

fn sign(claims: &Value, kid: &str, key: &[u8]) -> String {
    let (alg, key) = if kid == "ec-1" {
        (Algorithm::ES256, EncodingKey::from_ec_pem(key).unwrap())
    } else {
        (Algorithm::RS256, EncodingKey::from_rsa_pem(key).unwrap())
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn statement() -> String {
    sign(&claims(ISSUER), "rsa-1", RSA_KEY)
}

/// What a client sends: its own name and redirect, and maybe a statement.
fn body(statement: Option<String>) -> Value {
    let mut body = json!({
        "client_name": "Whatever the client says",
        "software_id": "com.example.clone",
        "redirect_uris": ["https://clone.example/cb"],
        "token_endpoint_auth_method": "none",
    });
    if let Some(statement) = statement {
        body["software_statement"] = statement.into();
    }
    body
}

/// The admin view's `registered_from` of a client.
async fn provenance(app: &TestApp, client: &Map<String, Value>) -> Value {
    let path = format!("/admin/clients/{}", client["client_id"].as_str().unwrap());
    let (status, view) = admin_json(app, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["registered_from"].clone()
}

async fn refused(response: reqwest::Response, error: &str) -> Map<String, Value> {
    let (_, body) = assert_error(
        response,
        StatusCode::BAD_REQUEST,
        error,
        Some("/software_statement"),
    )
    .await;
    body
}

async fn statements_are_ignored_when_off(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = created(register(&app, None, &body(Some("not.a.jwt".into()))).await).await;
    assert_eq!(client["client_name"], "Whatever the client says");
    assert_eq!(
        provenance(&app, &client).await["software_statement_issuer"],
        Value::Null
    );
    // Off with an issuers file: still ignored.
    let app = spawn(backend, StatementMode::Off).await;
    let client = created(register(&app, None, &body(Some(statement()))).await).await;
    assert_eq!(client["software_id"], "com.example.clone");
}

async fn accepted_statements_win_over_the_body_and_bad_ones_are_refused(backend: Backend) {
    let app = spawn(backend, StatementMode::Accept).await;
    let client = created(register(&app, None, &body(Some(statement()))).await).await;
    assert_eq!(client["client_name"], "Example Agent");
    assert_eq!(client["software_id"], "com.example.agent");
    assert_eq!(
        client["redirect_uris"],
        json!(["https://agent.example.com/cb"])
    );
    let from = provenance(&app, &client).await;
    assert_eq!(from["software_statement_issuer"], ISSUER, "{from}");
    assert_eq!(from["via"], "open");

    // Without a statement, the body alone, as before.
    let plain = created(register(&app, None, &body(None)).await).await;
    assert_eq!(plain["software_id"], "com.example.clone");

    let mut expired = claims(ISSUER);
    expired["exp"] = json!(unix_now() - 3600);
    let secret_issuer = "https://secret-issuer.example";
    let cases = [
        (
            "wrong key",
            sign(&claims(ISSUER), "rsa-1", OTHER_RSA_KEY),
            "invalid_software_statement",
        ),
        (
            "unknown kid",
            sign(&claims(ISSUER), "rsa-9", RSA_KEY),
            "invalid_software_statement",
        ),
        (
            "expired",
            sign(&expired, "ec-1", EC_KEY),
            "invalid_software_statement",
        ),
        (
            "not a JWT",
            "not.a.jwt".into(),
            "invalid_software_statement",
        ),
        (
            "untrusted issuer",
            sign(&claims(secret_issuer), "rsa-1", RSA_KEY),
            "unapproved_software_statement",
        ),
    ];
    for (name, statement, error) in cases {
        let answer = refused(register(&app, None, &body(Some(statement))).await, error).await;
        let description = answer["error_description"].as_str().unwrap();
        assert!(
            !description.contains("secret-issuer"),
            "{name}: {description}"
        );
        assert!(!description.contains("rsa-9"), "{name}: {description}");
    }
    // A statement's claims go through every registration rule.
    let mut bad_redirect = claims(ISSUER);
    bad_redirect["redirect_uris"] = json!(["javascript:alert(1)"]);
    let response = register(
        &app,
        None,
        &body(Some(sign(&bad_redirect, "rsa-1", RSA_KEY))),
    )
    .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_redirect_uri",
        Some("/redirect_uris/0"),
    )
    .await;

    // An RFC 7592 update may carry a statement too: it wins there as well.
    let managed = created(register(&app, None, &body(None)).await).await;
    let id = managed["client_id"].as_str().unwrap();
    let token = managed["registration_access_token"].as_str().unwrap();
    let mut renamed = claims(ISSUER);
    renamed["client_name"] = json!("Renamed by its issuer");
    let mut update = body(Some(sign(&renamed, "rsa-1", RSA_KEY)));
    update["client_id"] = id.into();
    let put = |update: Value, token: String| {
        app.request(Method::PUT, &format!("/register/{id}"))
            .bearer_auth(token)
            .json(&update)
            .send()
    };
    let response = put(update.clone(), token.to_owned()).await.unwrap();
    let status = response.status();
    let updated: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["client_name"], "Renamed by its issuer");
    let token = updated["registration_access_token"].as_str().unwrap();
    update["software_statement"] = sign(&renamed, "rsa-1", OTHER_RSA_KEY).into();
    refused(
        put(update, token.to_owned()).await.unwrap(),
        "invalid_software_statement",
    )
    .await;
}

async fn required_statements_are_needed_without_a_token(backend: Backend) {
    let app = spawn(backend, StatementMode::Require).await;
    refused(
        register(&app, None, &body(None)).await,
        "invalid_software_statement",
    )
    .await;
    let client = created(register(&app, None, &body(Some(statement()))).await).await;
    assert_eq!(client["software_id"], "com.example.agent");
    // A registration with an initial access token answers to its token.
    let (_, token) = crate::initial_access::create_token(&app, json!({})).await;
    let client = created(register(&app, Some(&token), &body(None)).await).await;
    assert_eq!(client["software_id"], "com.example.clone");
}

async fn a_token_may_require_statements_from_its_issuer(backend: Backend) {
    let app = spawn(backend, StatementMode::Accept).await;
    let (status, answer) = admin_json(
        &app,
        Method::POST,
        "/admin/initial-access-tokens",
        Some(json!({ "policy": { "software_statement_issuer": "https://other.example" } })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "invalid_request");
    assert_eq!(answer["field"], "/policy/software_statement_issuer");

    let policy = json!({ "policy": { "software_statement_issuer": ISSUER } });
    let (id, token) = crate::initial_access::create_token(&app, policy).await;
    let (_, shown) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/initial-access-tokens/{id}"),
        None,
    )
    .await;
    assert_eq!(
        shown["policy"]["software_statement_issuer"], ISSUER,
        "{shown}"
    );
    refused(
        register(&app, Some(&token), &body(None)).await,
        "invalid_software_statement",
    )
    .await;
    let client = created(register(&app, Some(&token), &body(Some(statement()))).await).await;
    let from = provenance(&app, &client).await;
    assert_eq!(from["via"], "token");
    assert_eq!(from["initial_access_token"], id.as_str());
    assert_eq!(from["software_statement_issuer"], ISSUER);
}

/// `DCR_DEDUP_PUBLIC` hands a public client to later registrations of the
/// same metadata; never one whose registration carried a statement.
async fn clients_vouched_for_by_a_statement_are_never_shared(backend: Backend) {
    let issuers = std::env::temp_dir().join(format!("dcr-issuers-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&issuers, json!({ ISSUER: KEYS }).to_string()).unwrap();
    let path = issuers.clone();
    let app = spawn_app_with(backend, move |settings| {
        settings.software_statements.software_statements = StatementMode::Accept;
        settings.software_statements.software_statement_issuers = Some(path);
        settings.registration.dedup_public = dcr_server::config::BoolArg(true);
    })
    .await;
    let _ = std::fs::remove_file(&issuers);
    let vouched = created(register(&app, None, &body(Some(statement()))).await).await;
    let again = created(register(&app, None, &body(Some(statement()))).await).await;
    assert_ne!(vouched["client_id"], again["client_id"]);
    // The same metadata without a statement is not handed the vouched client.
    let mut copied = body(None);
    for member in ["client_name", "software_id", "redirect_uris"] {
        copied[member] = vouched[member].clone();
    }
    let copy = created(register(&app, None, &copied).await).await;
    assert_ne!(copy["client_id"], vouched["client_id"]);
    // Without statements, registrations of one metadata still share.
    let shared = created(register(&app, None, &copied).await).await;
    assert_eq!(shared["client_id"], copy["client_id"]);
}

/// `POST /admin/validate` runs the statement step of registration: the
/// merged metadata, the issuer the client would record, and the same
/// refusals, with nothing stored.
async fn the_dry_run_applies_statements_as_registration_does(backend: Backend) {
    let app = spawn(backend, StatementMode::Require).await;
    let validate = |body: Value| {
        let app = &app;
        async move {
            let (status, verdict) =
                admin_json(app, Method::POST, "/admin/validate", Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{verdict}");
            verdict
        }
    };
    let verdict = validate(body(Some(statement()))).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["client"]["client_name"], "Example Agent");
    assert_eq!(verdict["client"]["software_id"], "com.example.agent");
    assert_eq!(verdict["software_statement_issuer"], ISSUER);

    let verdict = validate(body(None)).await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["error"], "invalid_software_statement");
    let forged = sign(&claims(ISSUER), "rsa-1", OTHER_RSA_KEY);
    let verdict = validate(body(Some(forged))).await;
    assert_eq!(verdict["error"], "invalid_software_statement");
    let stranger = sign(&claims("https://stranger.example"), "rsa-1", RSA_KEY);
    let verdict = validate(body(Some(stranger))).await;
    assert_eq!(verdict["error"], "unapproved_software_statement");
    assert_eq!(app.store.count_clients().unwrap(), 0);
}
