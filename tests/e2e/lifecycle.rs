//! Start on a fresh machine, serve, log safely, stop gracefully.

use std::time::Duration;

use serde_json::Value;

use dcr_store::test_support::postgres_admin_sql;

use crate::process::{ScratchDir, Server, claude_ai_body, claude_code_body};

/// `cargo run -p dcr-server` with nothing configured: an embedded SQLite file
/// in the working directory, created on first start.
#[tokio::test]
async fn serves_on_embedded_sqlite_with_no_setup() {
    let dir = ScratchDir::new();
    let server = Server::start(&dir.0, &[("DCR_BIND", "127.0.0.1:0".into())]);
    let client = reqwest::Client::new();
    let response = client
        .post(server.url("/register"))
        .json(&claude_code_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert!(body.get("client_secret").is_none());
    assert!(
        dir.0.join("dcr.sqlite3").exists(),
        "the default database file is created"
    );
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let admin = client.get(server.admin("/healthz")).send().await.unwrap();
    assert_eq!(
        admin.status(),
        200,
        "the admin listener runs beside the public one"
    );
    // Without the authorization server's endpoints, no discovery document
    // (RFC 8414 would call it incomplete), and the log says what to set.
    let discovery = client
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 404);
    let logs = server.logs();
    assert!(
        logs.contains("need DCR_AUTHORIZATION_ENDPOINT and DCR_TOKEN_ENDPOINT set"),
        "{logs}"
    );
}

/// The plaintext secret, and request bodies, never reach the log.
#[tokio::test]
async fn secrets_never_reach_the_log() {
    let dir = ScratchDir::new();
    let server = Server::start(
        &dir.0,
        &[
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_BCRYPT_COST", "4".into()),
            ("DCR_LOG", "trace".into()),
        ],
    );
    let http = reqwest::Client::new();
    // A wrong bearer token, then a right one (an initial access token).
    let refused = http
        .post(server.url("/register"))
        .header(
            "Authorization",
            "Bearer e2e-bearer-token-must-not-be-logged",
        )
        .json(&claude_ai_body())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let issued: Value = http
        .post(server.admin("/admin/initial-access-tokens"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let initial_access_token = issued["token"].as_str().unwrap().to_owned();
    let response = http
        .post(server.url("/register"))
        .bearer_auth(&initial_access_token)
        .json(&claude_ai_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(200));
    let logs = server.logs();
    assert!(
        logs.contains("POST /register 201"),
        "one line per request:\n{logs}"
    );
    let client_id = body["client_id"].as_str().unwrap();
    let registration_lines: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains(client_id))
        .collect();
    assert_eq!(
        registration_lines.len(),
        1,
        "one line per registration:\n{logs}"
    );
    assert!(
        registration_lines[0].contains("POST /register 201 ")
            && registration_lines[0]
                .contains(&format!("from 127.0.0.1 client {client_id} request "))
            && registration_lines[0].ends_with(": registered \"Claude\" (client_secret_post)"),
        "the request line says what was registered:\n{logs}"
    );
    assert!(!logs.contains(&secret), "the client secret was logged");
    assert!(
        !logs.contains("e2e-bearer-token-must-not-be-logged"),
        "a bearer token was logged"
    );
    assert!(
        !logs.contains(&initial_access_token),
        "an initial access token was logged"
    );
    let registration_token = body["registration_access_token"].as_str().unwrap();
    assert!(
        !logs.contains(registration_token),
        "a registration access token was logged"
    );
    assert!(
        !logs.contains("auth_callback"),
        "the request body was logged"
    );
}

/// A server whose confidential registrations take a while: a slow hash keeps
/// a request in flight while a signal lands.
fn start_slow_server(dir: &ScratchDir) -> Server {
    Server::start(
        &dir.0,
        &[
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_BCRYPT_COST", "13".into()),
        ],
    )
}

/// Registers a confidential client on `http`, in the background; yields the
/// status.
fn register_in_background(
    http: &reqwest::Client,
    server: &Server,
) -> tokio::task::JoinHandle<reqwest::Result<u16>> {
    let request = http.post(server.url("/register")).json(&claude_ai_body());
    tokio::spawn(async move {
        request
            .send()
            .await
            .map(|response| response.status().as_u16())
    })
}

fn assert_clean_exit(server: &mut Server) {
    let status = server.wait_for_exit(Duration::from_secs(30));
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        server.logs()
    );
    assert!(server.logs().contains("dcr stopped"));
}

/// SIGTERM lets an in-flight registration finish, then the process exits 0.
#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits() {
    let dir = ScratchDir::new();
    let mut server = start_slow_server(&dir);
    let in_flight = register_in_background(&reqwest::Client::new(), &server);
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.signal("TERM");
    assert_eq!(
        in_flight.await.unwrap().unwrap(),
        201,
        "the in-flight request completed"
    );
    assert_clean_exit(&mut server);
}

/// After SIGTERM, a request on a connection that was already open (a
/// gateway's keep-alive pool) is still answered, with `Connection: close`,
/// while the request under way finishes; then the process exits 0.
#[tokio::test]
async fn sigterm_serves_open_connections_and_asks_them_to_close() {
    let dir = ScratchDir::new();
    let mut server = start_slow_server(&dir);
    let http = reqwest::Client::new();
    let in_flight = register_in_background(&http, &server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A second connection, left open and idle in the client's pool.
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    server.signal("TERM");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.logs().contains("SIGTERM received") {
        assert!(std::time::Instant::now() < deadline, "{}", server.logs());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let late = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(late.status(), 200);
    assert_eq!(
        late.headers()
            .get("connection")
            .map(|value| value.to_str().unwrap()),
        Some("close")
    );
    assert_eq!(in_flight.await.unwrap().unwrap(), 201);
    assert_clean_exit(&mut server);
}

/// SIGTERM while the database is gone: the pool is still trying to reconnect
/// in the background, yet the process stops cleanly, exit status 0. (A pool
/// thread still inside libpq's TLS when the process exits would crash it.)
#[tokio::test]
async fn sigterm_during_a_database_outage_exits_cleanly() {
    let database = dcr_store::test_support::TestDatabase::postgres();
    let dir = ScratchDir::new();
    let mut server = Server::start(
        &dir.0,
        &[
            ("DCR_DATABASE_URL", database.url_string()),
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_BCRYPT_COST", "4".into()),
            ("DCR_DATABASE_TIMEOUT_MS", "300".into()),
        ],
    );
    let http = reqwest::Client::new();
    let registered = http
        .post(server.url("/register"))
        .json(&claude_code_body())
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    postgres_admin_sql(&format!(
        "DROP DATABASE \"{}\" WITH (FORCE)",
        database.postgres_name()
    ));
    for _ in 0..3 {
        let refused = http
            .post(server.url("/register"))
            .json(&claude_code_body())
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 503, "{}", server.logs());
    }

    server.signal("TERM");
    assert_clean_exit(&mut server);
}

/// `dcr-server healthcheck`, what the image's HEALTHCHECK runs: 0 while
/// `/readyz` answers 200 at DCR_BIND, non-zero when nothing answers.
#[test]
fn healthcheck_exits_zero_only_while_the_server_is_ready() {
    let dir = ScratchDir::new();
    let server = Server::start(&dir.0, &[("DCR_BIND", "127.0.0.1:0".into())]);
    let bind = server.base_url.trim_start_matches("http://").to_owned();
    let (status, output) =
        crate::process::run(&dir.0, &["healthcheck"], &[("DCR_BIND", bind.clone())]);
    assert!(status.success(), "{output}");
    drop(server);
    let (status, output) = crate::process::run(&dir.0, &["healthcheck"], &[("DCR_BIND", bind)]);
    assert!(!status.success(), "{output}");
    assert!(output.contains("unhealthy"), "{output}");
}

/// DCR_LOG_FORMAT=json: every line one JSON object; each request's line
/// with its fields; the request id taken only from a trusted proxy and
/// returned in X-Request-Id; no secret, token or query string anywhere.
#[tokio::test]
async fn json_logs_carry_each_request_s_fields_and_no_secret() {
    for trusted in [false, true] {
        let dir = ScratchDir::new();
        let mut env = vec![
            ("DCR_BIND", "127.0.0.1:0".to_owned()),
            ("DCR_BCRYPT_COST", "4".to_owned()),
            ("DCR_LOG_FORMAT", "json".to_owned()),
        ];
        if trusted {
            env.push(("DCR_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()));
        }
        let server = Server::start(&dir.0, &env);
        let response = reqwest::Client::new()
            .post(server.url("/register?secret_in_query=1"))
            .header("X-Request-Id", "gateway-req-42")
            .json(&claude_ai_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let returned_id = response
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(returned_id == "gateway-req-42", trusted, "{returned_id}");
        let body: Value = response.json().await.unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let logs = server.logs();
        let lines: Vec<Value> = logs
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect();
        for line in &lines {
            for member in ["time", "level", "target", "message"] {
                assert!(line.get(member).is_some(), "{member} missing: {line}");
            }
        }
        let request = lines
            .iter()
            .find(|line| line["target"] == "dcr_server::request" && line["route"] == "/register")
            .unwrap_or_else(|| panic!("no request line: {logs}"));
        assert_eq!(request["method"], "POST");
        assert_eq!(request["status"], 201);
        assert_eq!(request["client_address"], "127.0.0.1");
        assert_eq!(request["client_id"], body["client_id"]);
        assert_eq!(request["request_id"], returned_id.as_str());
        assert!(request["latency_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(request["registered"], "new");
        assert_eq!(request["client_name"], body["client_name"]);
        assert_eq!(request["auth_method"], body["token_endpoint_auth_method"]);
        let about_client = lines
            .iter()
            .filter(|line| {
                line.to_string()
                    .contains(body["client_id"].as_str().unwrap())
            })
            .count();
        assert_eq!(about_client, 1, "one line per registration: {logs}");
        for secret in [
            body["client_secret"].as_str().unwrap(),
            body["registration_access_token"].as_str().unwrap(),
            "secret_in_query",
        ] {
            assert!(!logs.contains(secret), "{secret} reached the log");
        }
    }
}
