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
