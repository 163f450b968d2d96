//! The client configuration endpoint (RFC 7592): a client reads, replaces and
//! deletes its registration with its registration access token, and learns
//! where to do so from `registration_client_uri`. One submodule per concern;
//! the request helpers they share are here.

mod client_uri;
mod disabled;
mod tokens;
mod updates;

use dcr_store::StoreError;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{
    Backend, TestApp, assert_error, assert_invalid_token, fixture, header, spawn_app,
};

on_both_backends!(
    register_read_update_delete,
    cross_origin_management_is_allowed,
    the_configuration_endpoint_is_one_path_segment_long,
);

/// What the server sets and an update must not carry (RFC 7592 section 2.2).
const SERVER_SET: [&str; 4] = [
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

/// A registration as the client holds it after `POST /register`.
struct Registered {
    id: String,
    token: String,
    secret: Option<String>,
    body: Map<String, Value>,
}

impl Registered {
    async fn new(app: &TestApp, body: &Value) -> Self {
        let response = app.register(body).await;
        let token = text(&response, "registration_access_token");
        assert_token_shape(&token);
        Self {
            id: text(&response, "client_id"),
            token,
            secret: response
                .get("client_secret")
                .map(|secret| secret.as_str().unwrap().to_owned()),
            body: response,
        }
    }

    /// What `GET` answers: the registration without the plaintext secret.
    fn as_read(&self) -> Map<String, Value> {
        let mut read = self.body.clone();
        read.remove("client_secret");
        read
    }

    /// The body of an update that changes nothing: the registration minus
    /// what the server sets and the secret.
    fn update_body(&self) -> Value {
        update_body(&self.body)
    }
}

fn update_body(registration: &Map<String, Value>) -> Value {
    let mut body = registration.clone();
    for member in SERVER_SET {
        body.remove(member);
    }
    body.remove("client_secret");
    Value::Object(body)
}

fn text(body: &Map<String, Value>, member: &str) -> String {
    body.get(member)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{member} is a string in {body:?}"))
        .to_owned()
}

/// 256 bits as unpadded base64url.
fn assert_token_shape(token: &str) {
    assert_eq!(token.len(), 43, "{token:?} is not 256 bits of base64url");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token:?} is not base64url"
    );
}

fn manage(app: &TestApp, method: Method, client_id: &str, token: &str) -> RequestBuilder {
    app.request(method, &format!("/register/{client_id}"))
        .bearer_auth(token)
}

async fn read(app: &TestApp, client_id: &str, token: &str) -> Response {
    manage(app, Method::GET, client_id, token)
        .send()
        .await
        .unwrap()
}

async fn put(app: &TestApp, client_id: &str, token: &str, body: &Value) -> Response {
    manage(app, Method::PUT, client_id, token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, client_id: &str, token: &str) -> Response {
    manage(app, Method::DELETE, client_id, token)
        .send()
        .await
        .unwrap()
}

/// Asserts a `200 OK` that no cache may keep, and returns its JSON body.
async fn ok_json(response: Response) -> Map<String, Value> {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "unexpected status; body: {text}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(header(&headers, "pragma"), Some("no-cache"));
    match serde_json::from_str(&text).unwrap() {
        Value::Object(members) => members,
        other => panic!("a client information response is a JSON object, not {other}"),
    }
}

async fn register_read_update_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut sent = fixture("claude_ai");
    sent["client_uri"] = json!("https://claude.ai");
    let client = Registered::new(&app, &sent).await;
    let secret = client.secret.clone().unwrap();
    assert_eq!(
        client.body["registration_client_uri"],
        app.url(&format!("/register/{}", client.id))
    );

    // Read (RFC 7592 section 2.1): the registration, the token presented, no
    // plaintext secret but its expiry.
    let read_back = ok_json(read(&app, &client.id, &client.token).await).await;
    assert_eq!(read_back, client.as_read());
    assert_eq!(read_back["client_secret_expires_at"], 0);

    // Update (section 2.2): a full replacement; what is left out is gone.
    let replacement = json!({
        "client_id": client.id,
        "client_name": "Claude (renamed)",
        "redirect_uris": [
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.com/api/mcp/auth_callback"
        ],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
        "scope": "mcp:read"
    });
    let updated = ok_json(put(&app, &client.id, &client.token, &replacement).await).await;
    let new_token = text(&updated, "registration_access_token");
    assert_token_shape(&new_token);
    assert_ne!(new_token, client.token, "an update rotates the token");
    assert_eq!(updated["client_id"], client.body["client_id"]);
    assert_eq!(
        updated["client_id_issued_at"],
        client.body["client_id_issued_at"]
    );
    assert_eq!(
        updated["registration_client_uri"],
        client.body["registration_client_uri"]
    );
    assert_eq!(updated["client_secret_expires_at"], 0);
    for member in [
        "client_name",
        "redirect_uris",
        "grant_types",
        "scope",
        "token_endpoint_auth_method",
    ] {
        assert_eq!(updated[member], replacement[member], "{member} replaced");
    }
    let mut members: Vec<&str> = updated.keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [
            "application_type",
            "client_id",
            "client_id_issued_at",
            "client_name",
            "client_secret_expires_at",
            "grant_types",
            "redirect_uris",
            "registration_access_token",
            "registration_client_uri",
            "response_types",
            "scope",
            "token_endpoint_auth_method",
        ],
        "client_uri was left out, so it is removed; the secret is not shown again"
    );

    // The old token is dead at once, for every method; the new one works.
    assert_invalid_token(read(&app, &client.id, &client.token).await).await;
    assert_invalid_token(put(&app, &client.id, &client.token, &replacement).await).await;
    assert_invalid_token(delete(&app, &client.id, &client.token).await).await;
    assert_eq!(
        ok_json(read(&app, &client.id, &new_token).await).await,
        updated
    );
    let stored = app.find_client(&client.id);
    let mut registered = updated.clone();
    registered.remove("registration_access_token");
    registered.remove("registration_client_uri");
    assert_eq!(stored.response_body(None), registered);
    assert_eq!(app.verify(&client.id, Some(&secret)).await["valid"], true);

    // The registration rules apply; a refused update changes nothing.
    let mut bad = replacement.clone();
    bad["redirect_uris"] = json!(["http://example.com/cb"]);
    assert_error(
        put(&app, &client.id, &new_token, &bad).await,
        StatusCode::BAD_REQUEST,
        "invalid_redirect_uri",
        Some("/redirect_uris/0"),
    )
    .await;
    assert_eq!(
        ok_json(read(&app, &client.id, &new_token).await).await,
        updated
    );

    // Delete (section 2.3): 204, then the token opens nothing and the
    // credentials no longer verify.
    let response = delete(&app, &client.id, &new_token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_invalid_token(read(&app, &client.id, &new_token).await).await;
    assert_invalid_token(put(&app, &client.id, &new_token, &replacement).await).await;
    assert_invalid_token(delete(&app, &client.id, &new_token).await).await;
    assert_eq!(
        app.verify(&client.id, Some(&secret)).await,
        json!({ "valid": false })
    );
    let id = dcr_core::ClientId::parse(&client.id).unwrap();
    assert!(matches!(
        app.store.find_client(&id),
        Err(StoreError::NotFound)
    ));
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

async fn cross_origin_management_is_allowed(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("inspector")).await;
    let origin = "http://localhost:6274";

    let response = app
        .request(Method::OPTIONS, &format!("/register/{}", client.id))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert!(header(headers, "access-control-allow-origin").is_some());
    let methods = header(headers, "access-control-allow-methods").unwrap();
    for method in ["GET", "PUT", "DELETE"] {
        assert!(
            methods.split(',').any(|allowed| allowed.trim() == method),
            "{method} not in {methods}"
        );
    }
    let allowed = header(headers, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");

    // The answers, refusals included, are readable from that origin.
    let response = manage(&app, Method::GET, &client.id, &client.token)
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert!(header(response.headers(), "access-control-allow-origin").is_some());
    assert_eq!(response.status(), StatusCode::OK);
    let response = manage(&app, Method::GET, &client.id, "wrong")
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert!(header(response.headers(), "access-control-allow-origin").is_some());
    assert_invalid_token(response).await;
}

/// RFC 9110 section 15.5.6: the configuration endpoint serves GET, PUT and
/// DELETE; `/register/` with no client_id is no endpoint at all.
async fn the_configuration_endpoint_is_one_path_segment_long(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_code")).await;

    for method in [Method::GET, Method::PUT, Method::DELETE] {
        for path in ["/register/".to_owned(), format!("/register/{}/", client.id)] {
            let response = app
                .request(method.clone(), &path)
                .bearer_auth(&client.token)
                .send()
                .await
                .unwrap();
            assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
        }
    }
    for method in [Method::PATCH, Method::POST] {
        let response = manage(&app, method.clone(), &client.id, &client.token)
            .json(&client.update_body())
            .send()
            .await
            .unwrap();
        let (headers, _) = assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        )
        .await;
        assert_eq!(
            header(&headers, "allow"),
            Some("GET, HEAD, PUT, DELETE"),
            "{method}"
        );
    }
    assert_eq!(
        ok_json(read(&app, &client.id, &client.token).await).await,
        client.as_read()
    );
}
