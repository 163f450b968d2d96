//! Lifetimes from a shell: `clients prune` deletes what has expired, and a
//! server whose never-used rule is not armed says so at start-up.

use dcr_store::test_support::TestDatabase;
use serde_json::json;

use super::{clients, environment};
use crate::process::{ScratchDir, Server, registered_ago};

/// `clients prune`: the dry run lists what the lifetimes say has expired, the
/// real run deletes exactly that.
#[test]
fn prune_deletes_the_clients_past_their_lifetime() {
    let database = TestDatabase::sqlite();
    let store = database.store();
    let now = dcr_server::clock::unix_now();
    let old = registered_ago(&store, 10 * 86_400, "Claude Code (memory)", 1);
    let recent = registered_ago(&store, 60, "Claude Code (memory)", 2);
    let dir = ScratchDir::new();
    let mut env = environment(&database);
    env.push(("DCR_UNUSED_CLIENT_TTL_SECS", "86400".into()));
    env.push(("DCR_IDLE_CLIENT_TTL_SECS", "0".into()));

    // Until a verify call or a used report arms the never-used rule, it
    // deletes nothing, and both runs say why (on stderr, beside the result).
    let unarmed = clients(&dir.0, &env, &["prune", "--dry-run", "--json"]);
    assert_eq!(
        unarmed.json(),
        json!({ "dry_run": true, "would_delete": [] })
    );
    for args in [
        &["prune", "--dry-run"][..],
        &["prune"],
        &["prune", "--json"],
    ] {
        let output = clients(&dir.0, &env, args);
        assert!(output.success().contains('0'), "{}", output.stdout);
        for words in [
            "deletes nothing yet",
            "POST /admin/clients/{client_id}/used",
        ] {
            assert!(output.stderr.contains(words), "{}", output.stderr);
        }
    }
    assert!(store.find_client(&old).is_ok());
    // Armed two days ago: the rule applies as before.
    store.arm_unused_purge(now - 2 * 86_400).unwrap();

    let dry = clients(&dir.0, &env, &["prune", "--dry-run", "--json"]).json();
    let would_delete = dry["would_delete"].as_array().unwrap();
    assert_eq!(would_delete.len(), 1, "{dry}");
    assert_eq!(would_delete[0]["client_id"], old.to_string(), "{dry}");
    assert_eq!(would_delete[0]["reason"], "never_used", "{dry}");
    assert!(store.find_client(&old).is_ok(), "a dry run deletes nothing");

    let done = clients(&dir.0, &env, &["prune", "--json"]).json();
    assert_eq!(done, json!({ "dry_run": false, "deleted": 1 }));
    assert!(store.find_client(&old).is_err());
    assert!(store.find_client(&recent).is_ok());
}

/// A server whose never-used rule would delete clients but is not armed
/// says so at start-up, with the fix; armed, or with the rule off, it does
/// not.
#[test]
fn an_unarmed_server_warns_at_start_up() {
    const WARNING: &str = "the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) deletes nothing yet";
    let database = TestDatabase::sqlite();
    let dir = ScratchDir::new();
    let env = environment(&database);

    let unarmed = Server::start(&dir.0, &env);
    let logs = unarmed.logs();
    assert!(logs.contains(WARNING), "{logs}");
    assert!(
        logs.contains("POST /admin/clients/{client_id}/used"),
        "{logs}"
    );
    drop(unarmed);

    let mut off = env.clone();
    off.push(("DCR_UNUSED_CLIENT_TTL_SECS", "0".into()));
    let logs = Server::start(&dir.0, &off).logs();
    assert!(!logs.contains(WARNING), "{logs}");

    database.store().arm_unused_purge(1_800_000_000).unwrap();
    let logs = Server::start(&dir.0, &env).logs();
    assert!(!logs.contains(WARNING), "{logs}");
}
