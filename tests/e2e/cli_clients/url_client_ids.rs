//! URL client ids (metadata documents) from a shell.

use dcr_store::test_support::TestDatabase;
use serde_json::json;

use super::{clients, environment};
use crate::process::ScratchDir;

/// `clients disable|enable|events` take a URL client id too, as the admin
/// API does: the decision is stored, whatever the document says now.
#[test]
fn url_client_ids_are_disabled_from_the_shell() {
    let database = TestDatabase::sqlite();
    // The shell's commands open only an existing SQLite file.
    database.store();
    let dir = ScratchDir::new();
    let env = environment(&database);
    let url = "https://agent.example.com/oauth/client.json";
    let disabled = clients(&dir.0, &env, &["disable", url, "--json"]).json();
    assert_eq!(
        disabled,
        json!({"client_id": url, "active": false, "source": "metadata_document"})
    );
    assert!(!database.store().url_client_active(url).unwrap());
    clients(&dir.0, &env, &["enable", url]).success();
    assert!(database.store().url_client_active(url).unwrap());
    let events = clients(&dir.0, &env, &["events", url, "--json"]).json();
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["disabled", "enabled"]);
    let refused = clients(&dir.0, &env, &["disable", "http://agent.example.com/c"]);
    assert!(refused.failure().contains("https"), "{}", refused.stderr);
}

/// `clients show` of a URL client id fetches its document the way the
/// server does (here over HTTP on loopback, which the settings allow) and
/// shows it as the admin API does, with the state the store records.
#[test]
fn a_url_client_id_is_shown_from_its_document() {
    let database = TestDatabase::sqlite();
    database.store();
    let dir = ScratchDir::new();
    let mut env = environment(&database);
    env.push(("DCR_CIMD_ALLOW_HTTP_LOOPBACK", "true".into()));
    let url = serve_one_document();
    clients(&dir.0, &env, &["disable", &url]).success();

    let shown = clients(&dir.0, &env, &["show", &url, "--json"]).json();
    assert_eq!(shown["client_id"], url.as_str());
    assert_eq!(shown["client_name"], "Example Agent");
    assert_eq!(shown["source"], "metadata_document");
    assert_eq!(shown["active"], false);

    // A document that cannot be fetched: the shell says why, as the API does.
    let gone = url.replace("/client.json", "/gone.json");
    let refused = clients(&dir.0, &env, &["show", &gone]);
    assert!(
        refused.failure().contains("no client at this URL"),
        "{}",
        refused.stderr
    );
}

/// A loopback HTTP server whose `/client.json` is a good client metadata
/// document naming its own URL; any other path is a 404.
pub(super) fn serve_one_document() -> String {
    use std::io::{Read as _, Write as _};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/client.json", listener.local_addr().unwrap());
    let body = json!({
        "client_id": url,
        "client_name": "Example Agent",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "token_endpoint_auth_method": "none"
    })
    .to_string();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let read = socket.read(&mut request).unwrap_or(0);
            let answer = if request[..read].starts_with(b"GET /client.json ") {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = socket.write_all(answer.as_bytes());
        }
    });
    url
}
