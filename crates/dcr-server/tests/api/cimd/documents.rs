//! The documents' side: a tiny HTTP/1.1 server on a loopback address that
//! answers each path as the test set (at once, late, or a byte at a time).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One canned answer.
#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) delay: Duration,
    /// Set: the body is sent a byte at a time, this long apart.
    pub(crate) trickle: Option<Duration>,
}

/// An answer sent at once, whole.
pub(crate) fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    Answer {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        body: body.to_vec(),
        delay: Duration::ZERO,
        trickle: None,
    }
}

pub(crate) fn ok(body: Value) -> Answer {
    answer(
        200,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// A tiny HTTP/1.1 server on a loopback address that answers each path with
/// what the test set, and counts the requests per path.
pub(crate) struct DocumentServer {
    base: String,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, Arc<AtomicUsize>>>>,
}

impl DocumentServer {
    pub(crate) async fn start() -> Self {
        Self::start_on("127.0.0.1").await
    }

    /// On another loopback address (`127.0.0.2`, ...): another host.
    pub(crate) async fn start_on(ip: &str) -> Self {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let base = format!("http://{ip}:{}", listener.local_addr().unwrap().port());
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, Arc<AtomicUsize>>>> = Arc::default();
        let (served, counted) = (answers.clone(), hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (served, counted) = (served.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&request).into_owned();
                    let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
                    counted
                        .lock()
                        .unwrap()
                        .entry(path.clone())
                        .or_default()
                        .fetch_add(1, Ordering::SeqCst);
                    let answer = served
                        .lock()
                        .unwrap()
                        .get(&path)
                        .cloned()
                        .unwrap_or(Answer {
                            status: 404,
                            headers: vec![],
                            body: b"not here".to_vec(),
                            delay: Duration::ZERO,
                            trickle: None,
                        });
                    tokio::time::sleep(answer.delay).await;
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                        answer.status,
                        answer.body.len()
                    );
                    for (name, value) in &answer.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = socket.write_all(head.as_bytes()).await;
                    match answer.trickle {
                        None => {
                            let _ = socket.write_all(&answer.body).await;
                        }
                        Some(pause) => {
                            for byte in &answer.body {
                                if socket.write_all(&[*byte]).await.is_err() {
                                    return;
                                }
                                tokio::time::sleep(pause).await;
                            }
                        }
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            base,
            answers,
            hits,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn serve(&self, path: &str, answer: Answer) {
        self.answers.lock().unwrap().insert(path.to_owned(), answer);
    }

    /// A good document for `path`, naming its own URL.
    pub(crate) fn serve_document(&self, path: &str) -> String {
        let url = self.url(path);
        self.serve(path, ok(document(&url)));
        url
    }

    pub(crate) fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .get(path)
            .map_or(0, |count| count.load(Ordering::SeqCst))
    }
}

pub(crate) fn document(url: &str) -> Value {
    json!({
        "client_id": url,
        "client_name": "Example Agent",
        "client_uri": "https://agent.example.com/",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}
