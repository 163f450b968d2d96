//! `spawn_app`: the real application on 127.0.0.1:0 over a fresh database,
//! with typed helpers for the requests and checks every module needs.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dcr_core::{ClientId, RegisteredClient};
use dcr_server::{Application, Settings};
use dcr_store::Store;
use dcr_store::test_support::TestDatabase;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Runs each listed `async fn(Backend)` once on SQLite and once on Postgres,
/// each time against a fresh database.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Which database the application under test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn fresh_database(self) -> TestDatabase {
        match self {
            Self::Sqlite => TestDatabase::sqlite(),
            Self::Postgres => TestDatabase::postgres(),
        }
    }
}

/// A running application and what a test needs to talk to it and to look
/// behind it. Fields drop in order: the application stops and the store's
/// pool closes before the database is removed.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub address: String,
    /// The admin listener, `http://127.0.0.1:PORT`, no trailing slash.
    pub admin_address: String,
    pub client: reqwest::Client,
    /// A store on the application's database, to read rows back.
    pub store: Store,
    _running: RunningApp,
    /// Shared by the replicas `spawn_replica` starts: removed with the last.
    pub db: Arc<TestDatabase>,
}

/// The application on its own thread and runtime, stopped and joined when
/// dropped: no test leaves a server or a database pool running behind it,
/// still connecting to a database that is gone when the test binary exits.
#[derive(Debug)]
struct RunningApp {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningApp {
    /// Builds the application from `config` on a new thread and returns once
    /// both listeners are bound, with their ports.
    fn start(config: dcr_server::Config) -> (Self, u16, u16) {
        let (bound, ports) = std::sync::mpsc::channel();
        let (stop, stop_requested) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dcr-test-app".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the application");
                runtime.block_on(async move {
                    let application = match Application::build(config) {
                        Ok(application) => application,
                        Err(err) => {
                            let _ = bound.send(Err(err.to_string()));
                            return;
                        }
                    };
                    let _ = bound.send(Ok((application.port(), application.admin_port())));
                    application
                        .run_until(async {
                            let _ = stop_requested.await;
                            "the test is over"
                        })
                        .await
                        .expect("the servers stop cleanly");
                });
            })
            .expect("a thread for the application");
        let (port, admin_port) = ports
            .recv()
            .expect("the application thread reports its start")
            .unwrap_or_else(|err| panic!("the application starts: {err}"));
        let running = Self {
            stop: Some(stop),
            thread: Some(thread),
        };
        (running, port, admin_port)
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let stopped = thread.join();
            if stopped.is_err() && !std::thread::panicking() {
                panic!("the application thread panicked while stopping");
            }
        }
    }
}

/// The application as tests run it by default: a low (but real) bcrypt cost.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// The application with settings changed by `configure` after the test
/// defaults are applied.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(backend.fresh_database(), configure).await
}

/// The application on a database the test already holds (alone, or shared
/// with the replicas of `spawn_replica`).
pub async fn spawn_app_on(
    db: impl Into<Arc<TestDatabase>>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let db = db.into();
    let mut settings = Settings::defaults();
    settings.listeners.bind = "127.0.0.1:0".parse().unwrap();
    settings.listeners.admin_bind = "127.0.0.1:0".parse().unwrap();
    settings.database.database_url = db.url().clone();
    settings.database.database_pool_size = 8;
    settings.hashing.bcrypt_cost = 4;
    settings.listeners.workers = Some(2);
    settings.listeners.shutdown_timeout_secs = 0;
    // Every test registers from 127.0.0.1; the rate limit tests turn the
    // limits on themselves.
    settings.limits.rate_limit = dcr_server::config::RateSetting(None);
    settings.limits.rate_limit_global = dcr_server::config::RateSetting(None);
    settings.limits.failed_auth_limit = dcr_server::config::RateSetting(None);
    configure(&mut settings);
    let config = settings
        .into_config()
        .expect("the test settings are a valid configuration");
    let (running, port, admin_port) = RunningApp::start(config);
    let address = format!("http://127.0.0.1:{port}");
    let admin_address = format!("http://127.0.0.1:{admin_port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let store = db.store();
    TestApp {
        address,
        admin_address,
        client,
        store,
        _running: running,
        db,
    }
}

/// Another replica of `app`: a second application on the same database,
/// with memories and caches of its own.
pub async fn spawn_replica(app: &TestApp, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(app.db.clone(), configure).await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request to the admin listener, with no admin token.
    pub fn admin_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.admin_address))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    /// The admin listener's Prometheus text (`GET /metrics`).
    pub async fn metrics_text(&self) -> String {
        let response = self
            .client
            .get(format!("{}/metrics", self.admin_address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    /// `POST /register` with a JSON body and `Content-Type: application/json`.
    pub async fn post_register(&self, body: &Value) -> Response {
        self.request(Method::POST, "/register")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /register` with raw bytes and the given `Content-Type` (none when
    /// `None`).
    pub async fn post_register_raw(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: Option<&str>,
    ) -> Response {
        let mut request = self.request(Method::POST, "/register").body(body);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        request.send().await.unwrap()
    }

    /// Registers `body`, asserts `201 Created` and returns the response body.
    pub async fn register(&self, body: &Value) -> Map<String, Value> {
        let response = self.post_register(body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "registration refused: {text}");
        match serde_json::from_str(&text).unwrap() {
            Value::Object(members) => members,
            other => panic!("a registration response is a JSON object, not {other}"),
        }
    }

    /// `POST /admin/clients/{id}/verify` on the admin listener, what a token
    /// endpoint asks: the `200` answer's body.
    pub async fn verify(&self, client_id: &str, secret: Option<&str>) -> Value {
        let body = secret.map_or_else(
            || serde_json::json!({}),
            |secret| serde_json::json!({ "client_secret": secret }),
        );
        let response = self
            .client
            .post(format!(
                "{}/admin/clients/{client_id}/verify",
                self.admin_address
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "verify answered: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The stored client with the `client_id` a response returned.
    pub fn find_client(&self, client_id: &str) -> RegisteredClient {
        let id = ClientId::parse(client_id).expect("the server issues parseable client ids");
        self.store
            .find_client(&id)
            .expect("a registered client is stored")
    }
}

/// The bodies real MCP clients send, by client name (`claude_ai`, ...).
pub fn fixture_bodies() -> Map<String, Value> {
    // The repository's own copy, at tests/fixtures/.
    let text = include_str!("../../../../tests/fixtures/mcp-registration-bodies.json");
    let mut document: Value = serde_json::from_str(text).unwrap();
    match document["bodies"].take() {
        Value::Object(bodies) if !bodies.is_empty() => bodies,
        other => panic!("the fixture file has no bodies: {other}"),
    }
}

pub fn fixture(name: &str) -> Value {
    fixture_bodies()
        .remove(name)
        .unwrap_or_else(|| panic!("no fixture body named {name}"))
}

pub fn unix_now() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(elapsed.as_secs()).unwrap()
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|value| value.to_str().expect("a header of ASCII text"))
}

/// Asserts the exact RFC 7591 error answer: status, JSON body with `error` and
/// a non-empty `error_description`, and the `field` JSON pointer (`None`: the
/// member must be absent, as it is for errors that are not about metadata).
/// Returns the headers and the body for further checks.
pub async fn assert_error(
    response: Response,
    status: StatusCode,
    error: &str,
    field: Option<&str>,
) -> (HeaderMap, Map<String, Value>) {
    let actual_status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(actual_status, status, "unexpected status; body: {text}");
    let content_type = header(&headers, "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "an error body is JSON, not {content_type:?}: {text}"
    );
    let body: Map<String, Value> = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("an error body is a JSON object ({err}): {text}"));
    assert_eq!(body["error"], error, "unexpected error code: {text}");
    let description = body["error_description"]
        .as_str()
        .unwrap_or_else(|| panic!("error_description is a string: {text}"));
    assert!(!description.is_empty(), "error_description is empty");
    assert_eq!(
        body.get("field").map(|field| field.as_str().unwrap()),
        field,
        "unexpected field: {text}"
    );
    (headers, body)
}

/// Asserts the one answer to every bad bearer token (RFC 6750 section 3.1):
/// `401 invalid_token` with its challenge. Returns the body.
pub async fn assert_invalid_token(response: Response) -> Map<String, Value> {
    let (headers, body) =
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token", None).await;
    assert_eq!(
        header(&headers, "www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
    body
}

/// What came back on one connection: every byte, and whether the server
/// closed it (a read returned end of file) before the wait ran out.
pub struct Exchange {
    pub text: String,
    pub closed: bool,
}

impl Exchange {
    /// The status codes of every response on the connection, in order.
    pub fn statuses(&self) -> Vec<u16> {
        self.text
            .match_indices("HTTP/1.")
            .filter_map(|(at, _)| self.text.get(at + 9..at + 12)?.parse().ok())
            .collect()
    }
}

/// Writes `request` as raw bytes on a new connection to `address` (`http://host:port`)
/// and reads until the server closes it or `wait` passes with nothing new.
pub async fn exchange(address: &str, request: &[u8], wait: Duration) -> Exchange {
    let mut stream = TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0_u8; 8192];
    let closed = loop {
        match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            // A reset after the answer is a close as well.
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    Exchange {
        text: String::from_utf8_lossy(&received).into_owned(),
        closed,
    }
}

/// One call to `app`'s admin listener: its status and JSON answer (`null`
/// when the answer is not JSON).
pub async fn admin_json(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.admin_request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
