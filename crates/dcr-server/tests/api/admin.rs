//! The admin listener (Ory Hydra's public/admin split): the bearer token that
//! guards it, listing with filters and cursors, show, disable and enable,
//! delete, secret rotation, and the credential check a token endpoint
//! delegates (`verify`). Tools outside rely on these shapes.

use std::collections::HashSet;
use std::time::Duration;

use clap::Parser as _;
use dcr_core::{ClientCredentials, ClientId};
use dcr_server::{Cli, Settings};
use dcr_store::StoreError;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{
    Backend, TestApp, assert_error, fixture, header, spawn_app, spawn_app_with, unix_now,
};

on_both_backends!(
    every_admin_route_needs_the_token,
    without_a_token_the_loopback_admin_listener_is_open,
    listing_filters_by_name_software_id_redirect_host_and_status,
    listing_pages_through_every_client_exactly_once,
    listing_refuses_bad_parameters,
    show_is_the_registration_without_secrets,
    admin_answers_never_hold_a_secret_a_token_or_a_hash,
    a_disabled_client_fails_verification_until_enabled,
    a_deleted_client_is_gone_everywhere,
    rotating_a_secret_retires_the_old_one,
    a_rotated_secret_expires_as_the_policy_says,
    verify_answers_valid_only_for_the_right_credentials,
    verify_records_the_last_use,
    a_busy_client_has_its_last_use_written_once_per_resolution,
    an_expired_secret_fails_verification,
    secrets_expire_after_the_configured_lifetime,
    verify_refuses_bodies_it_cannot_read,
    admin_paths_stay_off_the_public_listener,
    a_remembered_secret_check_vouches_for_nothing_else,
);

/// Query parameters of `GET /admin/clients`.
type Query<'a> = Vec<(&'a str, &'a str)>;

/// Long enough for `DCR_ADMIN_TOKEN` (32 characters at least).
const ADMIN_TOKEN: &str = "dcr-admin-test-token-0123456789-abcdefghij";

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
        settings.admin_token = admin_token_setting();
        configure(settings);
    })
    .await;
    Admin { app }
}

/// `AdminToken` is built only by the command-line parser, as in production.
fn admin_token_setting() -> Option<dcr_server::config::AdminToken> {
    let cli = Cli::try_parse_from(["dcr-server", "--admin-token", ADMIN_TOKEN]).unwrap();
    assert!(cli.settings.admin_token.is_some());
    cli.settings.admin_token
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
    view
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

async fn every_admin_route_needs_the_token(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let stored = admin.app.find_client(&id);
    let routes = [
        (Method::GET, "/admin/clients".to_owned()),
        (Method::GET, format!("/admin/clients/{id}")),
        (Method::POST, format!("/admin/clients/{id}/disable")),
        (Method::POST, format!("/admin/clients/{id}/enable")),
        (Method::POST, format!("/admin/clients/{id}/rotate-secret")),
        (Method::POST, format!("/admin/clients/{id}/verify")),
        (Method::DELETE, format!("/admin/clients/{id}")),
    ];
    let same_length_wrong = "x".repeat(ADMIN_TOKEN.len());
    let refused = [
        None,
        Some(format!("Bearer {same_length_wrong}")),
        Some(format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1])),
        Some(format!("Bearer {ADMIN_TOKEN}x")),
        Some(format!("Basic {ADMIN_TOKEN}")),
        Some(ADMIN_TOKEN.to_owned()),
        Some("Bearer".to_owned()),
        // The registration access token of a client is no admin token.
        Some(format!("Bearer {}", token_of(&registration))),
    ];
    for (method, path) in &routes {
        for authorization in &refused {
            let mut request = admin
                .unauthenticated(method.clone(), path)
                .json(&with_secret(secret_of(&registration)));
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            let (headers, _) =
                assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
            assert_eq!(
                header(&headers, "www-authenticate"),
                Some(r#"Bearer realm="dcr-admin""#),
                "{method} {path} with {authorization:?}"
            );
        }
    }
    // The token is checked before anything else is read.
    let response = admin
        .unauthenticated(Method::GET, "/admin/clients?limit=abc&status=bogus")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let response = admin
        .unauthenticated(Method::POST, &format!("/admin/clients/{id}/verify"))
        .header("content-type", "text/plain")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    // Nothing was disabled, rotated, touched or deleted.
    assert_eq!(admin.app.find_client(&id), stored);

    // The scheme is case-insensitive (RFC 6750 section 2.1, RFC 9110 section 11.1).
    let response = admin
        .unauthenticated(Method::GET, "/admin/clients")
        .header("authorization", format!("bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let expected = [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::NO_CONTENT,
    ];
    for ((method, path), status) in routes.iter().zip(expected) {
        let response = admin
            .request(method.clone(), path)
            .json(&with_secret(secret_of(&registration)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
    }
}

async fn without_a_token_the_loopback_admin_listener_is_open(backend: Backend) {
    let app = spawn_app(backend).await;
    let registration = app.register(&fixture("claude_code")).await;
    for authorization in [None, Some("Bearer whatever-the-caller-sends")] {
        let mut request = app
            .client
            .get(format!("{}/admin/clients", app.admin_address));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let body = object(request.send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(body["clients"][0]["client_id"], registration["client_id"]);
    }
}

/// Without a token the admin API must not face the network: a non-loopback
/// `DCR_ADMIN_BIND` is narrowed to loopback on the same port. With a token,
/// the address is used as given.
#[tokio::test]
async fn without_a_token_a_public_admin_bind_is_narrowed_to_loopback() {
    let Some(own_address) = non_loopback_address() else {
        eprintln!("no non-loopback address on this machine: nothing to narrow from");
        return;
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let guarded = spawn_app_with(Backend::Sqlite, |settings| {
        settings.admin_bind = "0.0.0.0:0".parse().unwrap();
        settings.admin_token = admin_token_setting();
    })
    .await;
    let port = port_of(&guarded.admin_address);
    let response = client
        .get(format!("http://{own_address}:{port}/admin/clients"))
        .send()
        .await
        .expect("with a token, the admin listener is on every interface");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let open = spawn_app_with(Backend::Sqlite, |settings| {
        settings.admin_bind = "0.0.0.0:0".parse().unwrap();
    })
    .await;
    let port = port_of(&open.admin_address);
    let from_outside = client
        .get(format!("http://{own_address}:{port}/admin/clients"))
        .send()
        .await;
    assert!(
        from_outside.is_err(),
        "an admin API without a token answered on {own_address}: {from_outside:?}"
    );
    let from_loopback = client
        .get(format!("http://127.0.0.1:{port}/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(from_loopback.status(), StatusCode::OK);
}

/// This machine's address on the interface of its default route, if any.
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // Connecting a UDP socket sends nothing; it only picks a route.
    socket.connect("192.0.2.255:9").ok()?;
    let address = socket.local_addr().ok()?.ip();
    (!address.is_loopback() && !address.is_unspecified()).then_some(address)
}

fn port_of(address: &str) -> u16 {
    address.rsplit(':').next().unwrap().parse().unwrap()
}

async fn listing_filters_by_name_software_id_redirect_host_and_status(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let claude = id_of(&admin.register(&fixture("claude_ai")).await);
    let claude_code = id_of(&admin.register(&fixture("claude_code")).await);
    let cursor = id_of(&admin.register(&fixture("cursor")).await);
    let percent = id_of(
        &admin
            .register(&json!({
                "client_name": "100% Agent_v2",
                "redirect_uris": ["https://notclaude.ai/cb", "https://Agents.Example/cb"],
                "software_id": "com.example.agent",
                "token_endpoint_auth_method": "none"
            }))
            .await,
    );
    let plain = id_of(
        &admin
            .register(&json!({
                "client_name": "100 Agent v2",
                "redirect_uris": ["https://app.example/claude.ai/cb"],
                "software_id": "com.example.agent2",
                "token_endpoint_auth_method": "none"
            }))
            .await,
    );
    let nameless = id_of(
        &admin
            .register(&json!({
                "redirect_uris": ["http://127.0.0.1:33418"],
                "token_endpoint_auth_method": "none"
            }))
            .await,
    );
    let response = admin
        .post(&format!("/admin/clients/{cursor}/disable"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let all: HashSet<String> = [&claude, &claude_code, &cursor, &percent, &plain, &nameless]
        .into_iter()
        .cloned()
        .collect();
    let set = |ids: &[&String]| ids.iter().map(|id| (*id).clone()).collect::<HashSet<_>>();
    let cases: Vec<(Query, HashSet<String>)> = vec![
        (vec![], all.clone()),
        // Case-insensitive substring of the name; wildcards are literal.
        (vec![("name", "claude")], set(&[&claude, &claude_code])),
        (vec![("name", "CLAUDE CODE")], set(&[&claude_code])),
        (vec![("name", "(Memory)")], set(&[&claude_code])),
        (vec![("name", "%")], set(&[&percent])),
        (vec![("name", "_")], set(&[&percent])),
        (vec![("name", "0% a")], set(&[&percent])),
        (vec![("name", "t_v")], set(&[&percent])),
        (vec![("name", "100")], set(&[&percent, &plain])),
        (vec![("name", "nobody")], set(&[])),
        // software_id is exact.
        (vec![("software_id", "com.example.agent")], set(&[&percent])),
        (vec![("software_id", "com.example")], set(&[])),
        // The exact host of some redirect URI: not a substring of a host,
        // not a path, case-insensitive as hosts are.
        (vec![("redirect_host", "claude.ai")], set(&[&claude])),
        (vec![("redirect_host", "CLAUDE.AI")], set(&[&claude])),
        (vec![("redirect_host", "agents.example")], set(&[&percent])),
        (vec![("redirect_host", "localhost")], set(&[&claude_code])),
        (vec![("redirect_host", "127.0.0.1")], set(&[&nameless])),
        (
            vec![("redirect_host", "anysphere.cursor-retrieval")],
            set(&[&cursor]),
        ),
        (vec![("redirect_host", "example")], set(&[])),
        (vec![("redirect_host", "ai")], set(&[])),
        // Status.
        (vec![("status", "disabled")], set(&[&cursor])),
        (
            vec![("status", "active")],
            set(&[&claude, &claude_code, &percent, &plain, &nameless]),
        ),
        (vec![("status", "all")], all.clone()),
        // Every filter given must hold.
        (
            vec![
                ("name", "claude"),
                ("status", "active"),
                ("redirect_host", "localhost"),
            ],
            set(&[&claude_code]),
        ),
        (vec![("name", "cursor"), ("status", "active")], set(&[])),
        (
            vec![("name", "agent"), ("software_id", "com.example.agent2")],
            set(&[&plain]),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(admin.listed(&query).await, expected, "{query:?}");
    }
}

async fn listing_pages_through_every_client_exactly_once(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let mut registered = Vec::new();
    for (index, name) in ["claude_ai", "claude_code", "cursor", "vscode", "inspector"]
        .into_iter()
        .enumerate()
    {
        let mut body = fixture(name);
        body["client_name"] = json!(format!("paged {index}"));
        let registration = admin.register(&body).await;
        registered.push((
            registration["client_id_issued_at"].as_i64().unwrap(),
            id_of(&registration),
        ));
    }
    // Oldest first; clients of the same second in client_id order.
    registered.sort();
    let expected: Vec<String> = registered.into_iter().map(|(_, id)| id).collect();

    let (everything, next) = admin.list(&[]).await;
    assert_eq!(everything, expected);
    assert_eq!(next, None);

    let mut walked = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (page, next) = admin.list(&query).await;
        sizes.push(page.len());
        walked.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(sizes.len() < 10, "the walk never ends: {sizes:?}");
    }
    assert_eq!(walked, expected, "every client once, in order");
    assert_eq!(sizes, [2, 2, 1]);

    // A filter holds on every page.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1"), ("name", "PAGED")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (page, next) = admin.list(&query).await;
        assert!(page.len() <= 1);
        walked.extend(page);
        let Some(next) = next else { break };
        cursor = Some(next);
    }
    assert_eq!(walked, expected);

    // Deleting the client a cursor points after does not lose the rest.
    let (first, next) = admin.list(&[("limit", "2")]).await;
    let response = admin
        .send(Method::DELETE, &format!("/admin/clients/{}", first[1]))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let next = next.unwrap();
    let (rest, _) = admin.list(&[("cursor", next.as_str())]).await;
    assert_eq!(rest, expected[2..]);
}

async fn listing_refuses_bad_parameters(backend: Backend) {
    let admin = spawn_admin(backend).await;
    admin.register(&fixture("claude_code")).await;
    let bad = [
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "-1"),
        ("limit", "abc"),
        ("limit", "1.5"),
        ("limit", ""),
        ("cursor", "garbage"),
        ("cursor", "1790000000.not-a-uuid"),
        ("cursor", "soon.6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60"),
        ("status", "enabled"),
        ("status", "ACTIVE"),
        ("status", ""),
    ];
    for (name, value) in bad {
        let response = admin
            .request(Method::GET, "/admin/clients")
            .query(&[(name, value)])
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    }
    for limit in ["1", "1000"] {
        let (page, _) = admin.list(&[("limit", limit)]).await;
        assert_eq!(page.len(), 1, "limit={limit}");
    }
    // Unknown parameters are ignored.
    let (page, _) = admin.list(&[("sort", "newest")]).await;
    assert_eq!(page.len(), 1);
}

async fn show_is_the_registration_without_secrets(backend: Backend) {
    let admin = spawn_admin(backend).await;
    for body in [
        fixture("claude_ai"),
        fixture("claude_code"),
        confidential_body(),
    ] {
        let registration = admin.register(&body).await;
        let id = id_of(&registration);
        let response = admin
            .send(Method::GET, &format!("/admin/clients/{id}"))
            .await;
        assert_eq!(
            header(response.headers(), "cache-control"),
            Some("no-store")
        );
        let view = object(response, StatusCode::OK).await;
        assert_eq!(view, expected_view(&registration), "{body}");
    }
    for unknown in [
        "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
        "not-a-client-id",
        "%20",
    ] {
        let response = admin
            .send(Method::GET, &format!("/admin/clients/{unknown}"))
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

async fn admin_answers_never_hold_a_secret_a_token_or_a_hash(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&confidential_body()).await;
    let id = id_of(&registration);
    let secret = secret_of(&registration).to_owned();
    let token = token_of(&registration).to_owned();
    let stored = admin.app.find_client(&id);
    let ClientCredentials::Confidential { secret_hash, .. } = &stored.credentials else {
        panic!("client_secret_basic makes a confidential client");
    };
    let digest = stored.registration_token.as_ref().unwrap().to_stored();
    let mut forbidden = vec![
        secret.clone(),
        token,
        secret_hash.as_stored().to_owned(),
        digest,
    ];

    let mut answers = Vec::new();
    for (method, path) in [
        (Method::GET, format!("/admin/clients/{id}")),
        (Method::GET, "/admin/clients".to_owned()),
        (Method::POST, format!("/admin/clients/{id}/disable")),
        (Method::POST, format!("/admin/clients/{id}/enable")),
    ] {
        let response = admin.send(method, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        answers.push((path, response.text().await.unwrap()));
    }
    let verified = admin
        .assert_valid(&id, &with_secret(&secret), "right secret")
        .await;
    answers.push(("verify".into(), Value::Object(verified).to_string()));

    // Rotation shows the new secret once; nothing after it shows it again.
    let rotated = admin.rotate(&id).await;
    let new_secret = secret_of(&rotated).to_owned();
    let rotated_text = Value::Object(rotated).to_string();
    for old in &forbidden {
        assert!(
            !rotated_text.contains(old.as_str()),
            "rotation leaked {old}"
        );
    }
    let ClientCredentials::Confidential { secret_hash, .. } =
        admin.app.find_client(&id).credentials
    else {
        panic!("rotation keeps the client confidential");
    };
    forbidden.push(new_secret);
    forbidden.push(secret_hash.as_stored().to_owned());
    let response = admin
        .send(Method::GET, &format!("/admin/clients/{id}"))
        .await;
    answers.push(("show after rotation".into(), response.text().await.unwrap()));

    for (what, text) in &answers {
        for value in &forbidden {
            assert!(
                !text.contains(value.as_str()),
                "{what} leaked {value}: {text}"
            );
        }
        for member in SECRET_MEMBERS {
            assert!(
                !text.contains(&format!("\"{member}\"")),
                "{what} has {member}: {text}"
            );
        }
    }
}

async fn a_disabled_client_fails_verification_until_enabled(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    let public = id_of(&admin.register(&fixture("claude_code")).await);
    admin.assert_valid(&id, &right, "before disabling").await;

    for _ in 0..2 {
        // Disabling twice is no error.
        let response = admin.post(&format!("/admin/clients/{id}/disable")).await;
        let view = object(response, StatusCode::OK).await;
        assert_eq!(view["active"], false);
        assert_eq!(view, admin.show(&id).await);
    }
    assert!(!admin.app.find_client(&id).active);
    admin.assert_invalid(&id, &right, "disabled").await;
    assert_eq!(
        admin.listed(&[("status", "disabled")]).await,
        HashSet::from([id.clone()])
    );
    // Disabling also stops its registration access token (RFC 7592), with
    // the answer a wrong token gets; the operator still sees the client.
    let response = admin.read_registration(&id, token_of(&registration)).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token", None).await;

    let response = admin
        .post(&format!("/admin/clients/{public}/disable"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    admin
        .assert_invalid(&public, &json!({}), "disabled public")
        .await;

    let response = admin.post(&format!("/admin/clients/{id}/enable")).await;
    let view = object(response, StatusCode::OK).await;
    assert_eq!(view["active"], true);
    assert!(admin.app.find_client(&id).active);
    admin.assert_valid(&id, &right, "enabled again").await;
    assert_eq!(
        admin.listed(&[("status", "disabled")]).await,
        HashSet::from([public])
    );

    for action in ["disable", "enable"] {
        for unknown in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "nope"] {
            let response = admin
                .post(&format!("/admin/clients/{unknown}/{action}"))
                .await;
            assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
        }
    }
}

async fn a_deleted_client_is_gone_everywhere(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let other = id_of(&admin.register(&fixture("claude_code")).await);

    let response = admin
        .send(Method::DELETE, &format!("/admin/clients/{id}"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.text().await.unwrap(), "");

    let response = admin
        .send(Method::GET, &format!("/admin/clients/{id}"))
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    admin
        .assert_invalid(&id, &with_secret(secret_of(&registration)), "deleted")
        .await;
    let response = admin.read_registration(&id, token_of(&registration)).await;
    let (headers, _) =
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token", None).await;
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(admin.listed(&[]).await, HashSet::from([other.clone()]));
    let client_id = ClientId::parse(&id).unwrap();
    assert!(matches!(
        admin.app.store.find_client(&client_id),
        Err(StoreError::NotFound)
    ));

    for again in [id.as_str(), "not-a-client-id"] {
        let response = admin
            .send(Method::DELETE, &format!("/admin/clients/{again}"))
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    assert_eq!(admin.app.store.count_clients().unwrap(), 1);
}

async fn rotating_a_secret_retires_the_old_one(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let old = secret_of(&registration).to_owned();

    let response = admin
        .post(&format!("/admin/clients/{id}/rotate-secret"))
        .await;
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store")
    );
    let rotated = object(response, StatusCode::OK).await;
    let keys: HashSet<&str> = rotated.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        HashSet::from(["client_id", "client_secret", "client_secret_expires_at"])
    );
    assert_eq!(rotated["client_id"], id.as_str());
    assert_eq!(rotated["client_secret_expires_at"], 0);
    let new = secret_of(&rotated).to_owned();
    assert_eq!(new.len(), 43, "256 bits of base64url");
    assert_ne!(new, old);

    admin
        .assert_invalid(&id, &with_secret(&old), "the old secret")
        .await;
    admin
        .assert_valid(&id, &with_secret(&new), "the new secret")
        .await;
    let ClientCredentials::Confidential { secret_hash, .. } =
        admin.app.find_client(&id).credentials
    else {
        panic!("rotation keeps the client confidential");
    };
    assert!(secret_hash.verify(&new));
    assert!(!secret_hash.verify(&old));
    // The registration access token is another credential: it still works.
    let response = admin.read_registration(&id, token_of(&registration)).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Rotating again retires the second secret too.
    let third = secret_of(&admin.rotate(&id).await).to_owned();
    admin
        .assert_invalid(&id, &with_secret(&new), "the second secret")
        .await;
    admin
        .assert_valid(&id, &with_secret(&third), "the third secret")
        .await;

    let public = admin.register(&fixture("claude_code")).await;
    let public_id = id_of(&public);
    let stored = admin.app.find_client(&public_id);
    let response = admin
        .post(&format!("/admin/clients/{public_id}/rotate-secret"))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    assert_eq!(admin.app.find_client(&public_id), stored);
    admin
        .assert_valid(&public_id, &json!({}), "public after a refused rotation")
        .await;

    for unknown in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "nope"] {
        let response = admin
            .post(&format!("/admin/clients/{unknown}/rotate-secret"))
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

async fn a_rotated_secret_expires_as_the_policy_says(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| settings.secret_lifetime_secs = 3600).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let before = unix_now();
    let rotated = admin.rotate(&id).await;
    let after = unix_now();
    let expires_at = rotated["client_secret_expires_at"].as_i64().unwrap();
    assert!(
        (before + 3600..=after + 3600).contains(&expires_at),
        "{expires_at} is not an hour from now"
    );
    assert_eq!(
        admin.show(&id).await["client_secret_expires_at"],
        expires_at
    );
    admin
        .assert_valid(&id, &with_secret(secret_of(&rotated)), "fresh secret")
        .await;
}

async fn verify_answers_valid_only_for_the_right_credentials(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let post = admin.register(&fixture("claude_ai")).await;
    let basic = admin.register(&confidential_body()).await;
    let public = admin.register(&fixture("claude_code")).await;
    let (post_id, basic_id, public_id) = (id_of(&post), id_of(&basic), id_of(&public));
    let post_secret = secret_of(&post).to_owned();
    let basic_secret = secret_of(&basic).to_owned();

    let invalid = [
        (post_id.clone(), with_secret("wrong"), "a wrong secret"),
        (post_id.clone(), with_secret(""), "an empty secret"),
        (
            post_id.clone(),
            with_secret(&post_secret[..post_secret.len() - 1]),
            "a truncated secret",
        ),
        (
            post_id.clone(),
            json!({}),
            "a confidential client without a secret",
        ),
        (
            post_id.clone(),
            json!({ "client_secret": null }),
            "a confidential client with a null secret",
        ),
        (
            post_id.clone(),
            with_secret(&basic_secret),
            "another client's secret",
        ),
        (
            public_id.clone(),
            with_secret("anything"),
            "a public client sending a secret",
        ),
        (
            public_id.clone(),
            with_secret(&post_secret),
            "a public client sending a real secret",
        ),
        (
            "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60".into(),
            with_secret(&post_secret),
            "an unknown client",
        ),
        ("not-a-client-id".into(), json!({}), "a malformed client_id"),
        (
            post_secret.clone(),
            with_secret(&post_secret),
            "a secret as the client_id",
        ),
    ];
    for (client_id, body, case) in &invalid {
        admin.assert_invalid(client_id, body, case).await;
    }
    // A failed check is no use.
    for id in [&post_id, &basic_id, &public_id] {
        assert_eq!(admin.app.find_client(id).last_used_at, None);
    }

    let valid = [
        (&post, with_secret(&post_secret), "client_secret_post"),
        (&basic, with_secret(&basic_secret), "client_secret_basic"),
        (&public, json!({}), "a public client"),
        (
            &public,
            json!({ "client_secret": null }),
            "a public client with a null secret",
        ),
    ];
    for (registration, body, case) in valid {
        let client = admin.assert_valid(&id_of(registration), &body, case).await;
        // What the token endpoint enforces, as registered.
        for member in [
            "redirect_uris",
            "grant_types",
            "response_types",
            "token_endpoint_auth_method",
        ] {
            assert_eq!(
                client.get(member),
                registration.get(member),
                "{case}: {member}"
            );
        }
        assert_eq!(client.get("scope"), registration.get("scope"), "{case}");
        for (member, value) in &client {
            assert!(
                !SECRET_MEMBERS.contains(&member.as_str()),
                "{case}: {member} in a verify answer"
            );
            assert_eq!(registration.get(member), Some(value), "{case}: {member}");
        }
    }
    let client = admin
        .assert_valid(&basic_id, &with_secret(&basic_secret), "scope")
        .await;
    assert_eq!(client["scope"], "mcp:tools profile");
    assert_eq!(client["software_id"], "com.example.agent");
}

async fn verify_records_the_last_use(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| settings.last_used_resolution_secs = 0).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    assert_eq!(admin.show(&id).await["last_used_at"], Value::Null);

    let before = unix_now();
    admin.assert_valid(&id, &right, "first use").await;
    let after = unix_now();
    let first = admin.show(&id).await["last_used_at"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&first),
        "{first} not in {before}..={after}"
    );
    assert_eq!(admin.app.find_client(&id).last_used_at, Some(first));

    // The last use, not the first; a failed check changes nothing.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin
        .assert_invalid(&id, &with_secret("wrong"), "wrong secret")
        .await;
    assert_eq!(admin.app.find_client(&id).last_used_at, Some(first));
    admin.assert_valid(&id, &right, "second use").await;
    let second = admin.app.find_client(&id).last_used_at.unwrap();
    assert!(second > first, "{second} is not after {first}");
    assert_eq!(admin.show(&id).await["last_used_at"], second);
}

async fn an_expired_secret_fails_verification(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    let client_id = ClientId::parse(&id).unwrap();
    let ClientCredentials::Confidential { secret_hash, .. } =
        admin.app.find_client(&id).credentials
    else {
        panic!("client_secret_post makes a confidential client");
    };
    let expiring = |secret_expires_at| ClientCredentials::Confidential {
        secret_hash: secret_hash.clone(),
        secret_expires_at,
    };

    let now = unix_now();
    for (expires_at, valid) in [(now - 1, false), (now + 3600, true), (0, true)] {
        admin
            .app
            .store
            .replace_credentials(&client_id, &expiring(expires_at))
            .unwrap();
        if valid {
            admin.assert_valid(&id, &right, "unexpired").await;
        } else {
            admin.assert_invalid(&id, &right, "expired").await;
        }
        assert_eq!(
            admin.show(&id).await["client_secret_expires_at"],
            expires_at
        );
    }
}

async fn secrets_expire_after_the_configured_lifetime(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| settings.secret_lifetime_secs = 1).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let issued_at = registration["client_id_issued_at"].as_i64().unwrap();
    let expires_at = registration["client_secret_expires_at"].as_i64().unwrap();
    assert_eq!(expires_at, issued_at + 1);
    // Valid while now < expires_at; wait for the second it expires in.
    while unix_now() < expires_at {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin
        .assert_invalid(&id, &with_secret(secret_of(&registration)), "expired")
        .await;
    assert_eq!(admin.app.find_client(&id).last_used_at, None);
}

async fn verify_refuses_bodies_it_cannot_read(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let path = format!("/admin/clients/{}/verify", id_of(&registration));

    for body in [
        json!({ "client_secret": 42 }),
        json!({ "client_secret": ["s"] }),
        json!(["client_secret"]),
        json!("client_secret"),
    ] {
        let response = admin
            .request(Method::POST, &path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    }
    let response = admin
        .request(Method::POST, &path)
        .header("content-type", "application/json")
        .body("{\"client_secret\":")
        .send()
        .await
        .unwrap();
    // The admin API is outside RFC 7591: a body it cannot read is a plain
    // invalid_request, with the status that says why.
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    let response = admin
        .request(Method::POST, &path)
        .header("content-type", "text/plain")
        .body(with_secret(secret_of(&registration)).to_string())
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request",
        None,
    )
    .await;
    let response = admin
        .request(Method::POST, &path)
        .json(&json!({ "client_secret": "x".repeat(70_000) }))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        None,
    )
    .await;
    assert_eq!(
        admin.app.find_client(&id_of(&registration)).last_used_at,
        None
    );
}

async fn admin_paths_stay_off_the_public_listener(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let id = id_of(&admin.register(&fixture("claude_code")).await);

    for path in ["/admin/clients".to_owned(), format!("/admin/clients/{id}")] {
        let response = admin
            .app
            .request(Method::GET, &path)
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    let response = admin.send(Method::GET, "/register").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;

    let wrong_methods = [
        (Method::POST, "/admin/clients".to_owned(), "GET"),
        (Method::PUT, format!("/admin/clients/{id}"), "GET, DELETE"),
        (Method::GET, format!("/admin/clients/{id}/verify"), "POST"),
        (
            Method::GET,
            format!("/admin/clients/{id}/rotate-secret"),
            "POST",
        ),
    ];
    for (method, path, allow) in wrong_methods {
        let response = admin.send(method, &path).await;
        let (headers, _) = assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        )
        .await;
        assert_eq!(header(&headers, "allow"), Some(allow), "{path}");
    }
    let response = admin.send(Method::GET, "/admin/nothing").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

/// The verify call remembers secret checks bcrypt confirmed. What it
/// remembers must never vouch for another secret, outlive the secret's
/// expiry, or answer differently from a server that remembers nothing.
async fn a_remembered_secret_check_vouches_for_nothing_else(backend: Backend) {
    for cache_size in [10_000, 0] {
        let admin = spawn_admin_with(backend, |settings| {
            settings.verify_cache_size = cache_size;
            settings.secret_lifetime_secs = 2;
        })
        .await;
        let registration = admin.register(&fixture("claude_ai")).await;
        let id = id_of(&registration);
        let secret = secret_of(&registration).to_owned();
        let case = format!("cache size {cache_size}");
        for round in 0..3 {
            admin
                .assert_valid(
                    &id,
                    &with_secret(&secret),
                    &format!("{case}, round {round}"),
                )
                .await;
        }
        let mut near_miss = secret.clone();
        near_miss.pop();
        for wrong in [near_miss.as_str(), "", &format!("{secret}x")] {
            admin.assert_invalid(&id, &with_secret(wrong), &case).await;
        }
        // Another client with a remembered secret does not lend it out.
        let other = admin.register(&fixture("claude_ai")).await;
        admin
            .assert_invalid(&id_of(&other), &with_secret(&secret), &case)
            .await;
        // Expiry is checked on every call, remembered or not.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        admin
            .assert_invalid(&id, &with_secret(&secret), &format!("{case}, expired"))
            .await;
    }
}

/// With the default resolution (60 s), repeated checks within a minute write
/// the last use once: a busy client costs no write per token request.
async fn a_busy_client_has_its_last_use_written_once_per_resolution(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    admin.assert_valid(&id, &right, "first use").await;
    let first = admin.app.find_client(&id).last_used_at;
    assert!(first.is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin.assert_valid(&id, &right, "second use").await;
    assert_eq!(admin.app.find_client(&id).last_used_at, first);
}
