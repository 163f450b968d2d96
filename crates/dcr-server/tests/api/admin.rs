//! The admin listener (Ory Hydra's public/admin split): the bearer token that
//! guards it, listing with filters and cursors, show, disable and enable,
//! delete, secret rotation, and the credential check a token endpoint
//! delegates (`verify`). Tools outside rely on these shapes. One submodule per
//! concern; the `Admin` client and the helpers they share are here.

mod body_forms;
mod injection;
mod last_use;
mod lifecycle;
mod listener;
mod listing;
mod lookup;
mod rotation;
mod used;
mod verify;

use std::collections::HashSet;

use clap::Parser as _;
use dcr_server::{Cli, Settings};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestApp, header, spawn_app_with};

/// Long enough for `DCR_ADMIN_TOKEN` (32 characters at least).
pub(crate) const ADMIN_TOKEN: &str = "dcr-admin-test-token-0123456789-abcdefghij";

/// Members that hold or reveal a credential; no admin view has them.
const SECRET_MEMBERS: [&str; 5] = [
    "client_secret",
    "registration_access_token",
    "registration_client_uri",
    "client_secret_hash",
    "registration_token_digest",
];

/// The application with `DCR_ADMIN_TOKEN` set, and requests that carry it.
#[derive(Debug)]
struct Admin {
    app: TestApp,
}

async fn spawn_admin(backend: Backend) -> Admin {
    spawn_admin_with(backend, |_| {}).await
}

async fn spawn_admin_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Admin {
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.admin_token = admin_token_setting();
        configure(settings);
    })
    .await;
    Admin { app }
}

/// `AdminToken` is built only by the command-line parser, as in production.
pub(crate) fn admin_token_setting() -> Option<dcr_server::config::AdminToken> {
    let cli = Cli::try_parse_from(["dcr-server", "--admin-token", ADMIN_TOKEN]).unwrap();
    assert!(cli.settings.listeners.admin_token.is_some());
    cli.settings.listeners.admin_token
}

impl Admin {
    /// A request to the admin listener with the right bearer token.
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.unauthenticated(method, path).bearer_auth(ADMIN_TOKEN)
    }

    fn unauthenticated(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, format!("{}{path}", self.app.admin_address))
    }

    async fn send(&self, method: Method, path: &str) -> Response {
        self.request(method, path).send().await.unwrap()
    }

    async fn register(&self, body: &Value) -> Map<String, Value> {
        self.app.register(body).await
    }

    /// `GET /admin/clients/{id}`, which must answer 200.
    async fn show(&self, client_id: &str) -> Map<String, Value> {
        let response = self
            .send(Method::GET, &format!("/admin/clients/{client_id}"))
            .await;
        object(response, StatusCode::OK).await
    }

    /// One page of `GET /admin/clients`: the client ids and the next cursor.
    async fn list(&self, query: &[(&str, &str)]) -> (Vec<String>, Option<String>) {
        let response = self
            .request(Method::GET, "/admin/clients")
            .query(query)
            .send()
            .await
            .unwrap();
        let body = object(response, StatusCode::OK).await;
        assert_eq!(
            body.len(),
            2,
            "a page has clients and next_cursor: {body:?}"
        );
        let ids = body["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|client| client["client_id"].as_str().unwrap().to_owned())
            .collect();
        let next = match &body["next_cursor"] {
            Value::Null => None,
            Value::String(cursor) => Some(cursor.clone()),
            other => panic!("next_cursor is a string or null, not {other}"),
        };
        (ids, next)
    }

    /// The client ids of a one-page listing, as a set.
    async fn listed(&self, query: &[(&str, &str)]) -> HashSet<String> {
        let (ids, next) = self.list(query).await;
        assert_eq!(next, None, "{query:?} fits on one page");
        ids.into_iter().collect()
    }

    /// `POST /admin/clients/{id}/verify`, which always answers 200.
    async fn verify(&self, client_id: &str, body: &Value) -> Map<String, Value> {
        let response = self
            .request(Method::POST, &format!("/admin/clients/{client_id}/verify"))
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(response.headers(), "cache-control"),
            Some("no-store")
        );
        object(response, StatusCode::OK).await
    }

    /// Asserts the verify answer is exactly `{"valid": false}`: no reason, no
    /// client, nothing that helps a guesser.
    async fn assert_invalid(&self, client_id: &str, body: &Value, case: &str) {
        let answer = self.verify(client_id, body).await;
        assert_eq!(Value::Object(answer), json!({ "valid": false }), "{case}");
    }

    /// Asserts the verify answer is valid and returns its `client` member.
    async fn assert_valid(&self, client_id: &str, body: &Value, case: &str) -> Map<String, Value> {
        let mut answer = self.verify(client_id, body).await;
        assert_eq!(
            answer.remove("valid"),
            Some(json!(true)),
            "{case}: {answer:?}"
        );
        let Some(Value::Object(client)) = answer.remove("client") else {
            panic!("{case}: a valid answer names the client: {answer:?}");
        };
        let Some(Value::Object(consent)) = answer.remove("consent") else {
            panic!("{case}: a valid answer carries the consent signals: {answer:?}");
        };
        assert_eq!(consent["source"], "registered", "{case}");
        assert!(answer.is_empty(), "{case}: unexpected members {answer:?}");
        assert_eq!(client["client_id"], client_id, "{case}");
        client
    }

    async fn post(&self, path: &str) -> Response {
        self.send(Method::POST, path).await
    }

    async fn rotate(&self, client_id: &str) -> Map<String, Value> {
        let response = self
            .post(&format!("/admin/clients/{client_id}/rotate-secret"))
            .await;
        object(response, StatusCode::OK).await
    }

    /// `GET /register/{id}` on the public listener (RFC 7592 section 2.1).
    async fn read_registration(&self, client_id: &str, token: &str) -> Response {
        self.app
            .request(Method::GET, &format!("/register/{client_id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

/// Asserts `status` and a JSON object body, and returns the body.
async fn object(response: Response, status: StatusCode) -> Map<String, Value> {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "body: {text}");
    match serde_json::from_str(&text) {
        Ok(Value::Object(body)) => body,
        other => panic!("a JSON object, not {other:?}: {text}"),
    }
}

fn id_of(registration: &Map<String, Value>) -> String {
    registration["client_id"].as_str().unwrap().to_owned()
}

fn str_of<'a>(registration: &'a Map<String, Value>, member: &str) -> &'a str {
    registration[member]
        .as_str()
        .unwrap_or_else(|| panic!("{member} is a string in {registration:?}"))
}

fn secret_of(registration: &Map<String, Value>) -> &str {
    str_of(registration, "client_secret")
}

fn token_of(registration: &Map<String, Value>) -> &str {
    str_of(registration, "registration_access_token")
}

fn with_secret(secret: &str) -> Value {
    json!({ "client_secret": secret })
}

/// What an operator sees of a registration: the registration response without
/// what only the client may see, plus the client's state.
fn expected_view(registration: &Map<String, Value>) -> Map<String, Value> {
    let mut view = registration.clone();
    for member in SECRET_MEMBERS {
        view.remove(member);
    }
    view.insert("active".into(), json!(true));
    view.insert("last_used_at".into(), Value::Null);
    // Registered over loopback by a client that sends no User-Agent.
    view.insert(
        "registered_from".into(),
        json!({ "address": "127.0.0.1", "user_agent": null, "via": "open", "initial_access_token": null, "software_statement_issuer": null }),
    );
    view
}

/// Takes `age_secs` out of an answer's consent signals: two answers a moment
/// apart may fall on either side of a second's turn.
fn take_age(consent: &mut Value) -> i64 {
    consent
        .as_object_mut()
        .and_then(|consent| consent.remove("age_secs"))
        .and_then(|age| age.as_i64())
        .expect("consent signals carry age_secs")
}

fn confidential_body() -> Value {
    json!({
        "client_name": "Scoped Agent",
        "redirect_uris": ["https://agent.example/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "mcp:tools profile",
        "software_id": "com.example.agent",
        "software_version": "2.1.0"
    })
}
