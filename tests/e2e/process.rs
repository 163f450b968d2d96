//! Running the binary: environment in, port and log lines out.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

pub const BINARY: &str = env!("CARGO_BIN_EXE_dcr-server");

/// `DCR_ADMIN_TOKEN` for the tests that start a server with one.
pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789-abcdefghijklmnop";

/// A running dcr-server process; killed if the test ends first.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub admin_url: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary with exactly `env` (plus PATH), in `dir`, and waits
    /// until it logs the address it listens on.
    pub fn start(dir: &Path, env: &[(&str, String)]) -> Self {
        let mut command = Command::new(BINARY);
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DCR_LOG", "info")
            // Any free port, unless the test names one.
            .env("DCR_ADMIN_BIND", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the dcr-server binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                for marker in ["dcr listening on ", "admin API on "] {
                    if let Some(rest) = line.split(marker).nth(1) {
                        let address = rest.split_whitespace().next().unwrap_or_default();
                        let address = address.trim_end_matches(',').to_owned();
                        let _ = address_tx.send((marker, address));
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let mut public = None;
        let mut admin = None;
        while public.is_none() || admin.is_none() {
            match address_rx.recv_timeout(Duration::from_secs(60)) {
                Ok(("dcr listening on ", address)) => public = Some(address),
                Ok((_, address)) => admin = Some(address),
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "dcr-server did not start; its log:\n{}",
                        logs.lock().unwrap().join("\n")
                    );
                }
            }
        }
        Self {
            child,
            base_url: format!("http://{}", public.unwrap_or_default()),
            admin_url: format!("http://{}", admin.unwrap_or_default()),
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn admin(&self, path: &str) -> String {
        format!("{}{path}", self.admin_url)
    }

    /// `POST /admin/clients/{id}/verify`, with `admin_token` as the bearer
    /// when the server has one: the answer, which must be a 200. An error
    /// body has no `valid`, so a negative assertion would pass on it unseen.
    pub async fn verify(
        &self,
        admin_token: Option<&str>,
        client_id: &str,
        body: &Value,
    ) -> Map<String, Value> {
        let mut request = reqwest::Client::new()
            .post(self.admin(&format!("/admin/clients/{client_id}/verify")))
            .json(body);
        if let Some(token) = admin_token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "verify {client_id} with {body}: {text}"
        );
        serde_json::from_str(&text).unwrap()
    }

    /// The verify answer's `valid` (see `verify`).
    pub async fn is_valid(&self, admin_token: Option<&str>, client_id: &str, body: &Value) -> bool {
        self.verify(admin_token, client_id, body).await["valid"]
            .as_bool()
            .expect("the verify answer's valid is a boolean")
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal the way an orchestrator does (`kill -TERM`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit by itself.
    pub fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "dcr-server did not exit within {within:?}; its log:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a run of the binary printed, kept apart: results on stdout, errors
/// (through the log) on stderr.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> &str {
        assert!(
            self.status.success(),
            "exit status {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.stdout
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.success().trim()).unwrap_or_else(|err| {
            panic!("--json prints one JSON document ({err}): {}", self.stdout)
        })
    }

    pub fn failure(&self) -> &str {
        assert!(
            !self.status.success(),
            "expected a failure\nstdout:\n{}",
            self.stdout
        );
        &self.stderr
    }
}

/// Runs `dcr-server COMMAND ARGS` with exactly `env` (plus PATH).
pub fn shell(dir: &Path, env: &[(&str, String)], command: &str, args: &[&str]) -> Output {
    let output = Command::new(BINARY)
        .current_dir(dir)
        .arg(command)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DCR_LOG", "info")
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .output()
        .expect("the dcr-server binary runs");
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Stores a client registered `age` seconds ago, never used.
pub fn registered_ago(
    store: &dcr_store::Store,
    age: i64,
    name: &str,
    seed: u64,
) -> dcr_core::ClientId {
    let policy = dcr_core::RegistrationPolicy::default();
    let mut body = claude_code_body();
    body["client_name"] = name.into();
    let metadata = dcr_core::ClientMetadata::from_request(&body, &policy).unwrap();
    let registration = dcr_core::Registration::issue(
        metadata,
        &policy,
        dcr_server::clock::unix_now() - age,
        dcr_core::BcryptCost::new(4).unwrap(),
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed),
    )
    .unwrap();
    store.insert_client(&registration.client).unwrap();
    registration.client.client_id
}

/// Runs the binary to completion and returns its status and combined output.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, String)]) -> (ExitStatus, String) {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DCR_LOG", "info");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the dcr-server binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status, text)
}

/// A scratch directory, removed afterwards.
pub struct ScratchDir(pub std::path::PathBuf);

impl ScratchDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("dcr-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn claude_code_body() -> serde_json::Value {
    serde_json::json!({
        "client_name": "Claude Code (memory)",
        "redirect_uris": ["http://localhost:52413/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}

pub fn claude_ai_body() -> serde_json::Value {
    serde_json::json!({
        "client_name": "Claude",
        "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post"
    })
}

/// The member names of a JSON object (which the CLI's `--json` prints).
pub fn member_names(object: &Value) -> std::collections::HashSet<&str> {
    object
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}
