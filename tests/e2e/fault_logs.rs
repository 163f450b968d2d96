//! What the log says of faults: a client's mistakes never as errors, and a
//! database outage as one fault (its start, a line a second, its end), not
//! a line per failed request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use dcr_store::test_support::postgres_admin_sql;

use crate::process::{ScratchDir, Server, claude_code_body};

/// Requests that do not parse are the client's mistake: actix logs them at
/// ERROR, which dcr lowers to debug (shown when asked for).
#[tokio::test]
async fn requests_that_do_not_parse_write_no_error_line() {
    let dir = ScratchDir::new();
    let server = Server::start(
        &dir.0,
        &[
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_LOG", "info,actix_http::h1=debug".into()),
        ],
    );
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let requests: [&[u8]; 3] = [
        // A header line without a colon.
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n",
        // A chunk size that is not hexadecimal.
        b"POST /register HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        // Not HTTP at all.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ];
    for request in requests {
        let answer = exchange(&address, request);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{answer}"
        );
    }
    // The server still answers, and every line about the above is written.
    let health = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    std::thread::sleep(Duration::from_millis(200));
    let logs = server.logs();
    assert!(
        !logs.lines().any(|line| line.contains(" ERROR ")),
        "a client's malformed request was logged as an error:\n{logs}"
    );
    assert!(
        logs.lines()
            .any(|line| line.contains("DEBUG actix_http::h1::dispatcher")),
        "asked for, the parser's complaints are shown at debug level:\n{logs}"
    );
}

/// Sends `bytes` on a fresh connection and reads what comes back until the
/// server closes it (or a second passes).
fn exchange(address: &str, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A database outage under load: hundreds of 503s, but the log says when
/// the fault started, about once a second that it lasts (with a count), and
/// when it ended.
#[tokio::test]
async fn a_database_outage_is_logged_as_one_fault_not_a_line_per_request() {
    let database = dcr_store::test_support::TestDatabase::postgres();
    let dir = ScratchDir::new();
    let server = Server::start(
        &dir.0,
        &[
            ("DCR_DATABASE_URL", database.url_string()),
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_BCRYPT_COST", "4".into()),
            ("DCR_DATABASE_TIMEOUT_MS", "250".into()),
            ("DCR_RATE_LIMIT", "off".into()),
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

    let name = database.postgres_name();
    postgres_admin_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"));

    let outage = Instant::now();
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (http, url) = (http.clone(), server.url("/register"));
        callers.spawn(async move {
            let mut refused = 0;
            while outage.elapsed() < Duration::from_secs(3) {
                let response = http.post(&url).json(&claude_code_body()).send().await;
                if response.is_ok_and(|response| response.status() == 503) {
                    refused += 1;
                }
            }
            refused
        });
    }
    let mut refused = 0;
    while let Some(count) = callers.join_next().await {
        refused += count.unwrap();
    }

    postgres_admin_sql(&format!("CREATE DATABASE \"{name}\""));
    dcr_store::Store::open(&dcr_store::StoreConfig::new(database.url().clone()))
        .unwrap()
        .run_migrations()
        .unwrap();
    let recovered = http
        .post(server.url("/register"))
        .json(&claude_code_body())
        .send()
        .await
        .unwrap();
    assert_eq!(recovered.status(), 201, "{}", server.logs());
    let lasted = outage.elapsed();
    std::thread::sleep(Duration::from_millis(200));

    let logs = server.logs();
    let fault_lines: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("database") && line.contains("unavailable"))
        .collect();
    assert!(refused >= 40, "only {refused} requests met the outage");
    // A line when it began, then at most one a second until it ended.
    let most = 2 + usize::try_from(lasted.as_secs()).unwrap();
    assert!(
        !fault_lines.is_empty() && fault_lines.len() <= most,
        "{} lines for {refused} failed requests in {lasted:?}:\n{}",
        fault_lines.len(),
        fault_lines.join("\n")
    );
    assert!(
        fault_lines
            .iter()
            .skip(1)
            .all(|line| line.contains("failures")),
        "each line after the first counts the failures:\n{}",
        fault_lines.join("\n")
    );
    assert!(
        logs.lines()
            .any(|line| line.contains("database available again")),
        "the end of the fault is logged:\n{logs}"
    );
}

/// Request lines wait in a buffer for a moment: they still reach the log
/// while the server runs, and every line of a burst (more than the 64 KiB
/// that are written out at once) answered just before `SIGTERM` is there
/// once the process has exited, before its last line.
#[tokio::test]
async fn every_request_line_is_written_by_exit() {
    const BURST: usize = 800;
    let dir = ScratchDir::new();
    let mut server = Server::start(&dir.0, &[("DCR_BIND", "127.0.0.1:0".into())]);
    let http = reqwest::Client::new();
    let health = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.logs().contains("GET /healthz 200") {
        assert!(
            Instant::now() < deadline,
            "a request's line did not reach the log while the server ran:\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    for _ in 0..BURST {
        let health = http.get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
    }
    server.signal("TERM");
    assert!(server.wait_for_exit(Duration::from_secs(30)).success());
    // The reader of its standard error may still be a few lines behind.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.logs().contains("dcr stopped") {
        assert!(Instant::now() < deadline, "{}", server.logs());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let logs = server.logs();
    let answered = logs
        .lines()
        .take_while(|line| !line.contains("dcr stopped"))
        .filter(|line| line.contains("GET /healthz 200"))
        .count();
    assert_eq!(answered, BURST + 1, "{logs}");
}
