//! What the `clients` commands answer when there is nothing to act on: a
//! failure exit and a message that names why.

use dcr_store::test_support::TestDatabase;
use serde_json::json;

use super::{clients, environment};
use crate::process::ScratchDir;

/// A client that is not there, or an id that cannot be one: a failure exit
/// and a message that names it. Bad listing arguments fail too.
#[test]
fn commands_on_unknown_clients_fail_with_a_message() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    let env = environment(&database);

    // The CLI applies the migrations itself: no server has run here.
    let output = clients(&dir.0, &env, &["list"]);
    assert!(
        output.success().contains("0 client(s)"),
        "{}",
        output.stdout
    );
    let document = clients(&dir.0, &env, &["list", "--json"]).json();
    assert_eq!(document, json!({ "clients": [], "next_cursor": null }));

    for command in ["show", "disable", "enable", "delete", "rotate-secret"] {
        for id in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "not-a-client-id"] {
            let output = clients(&dir.0, &env, &[command, id]);
            assert_eq!(output.status.code(), Some(1), "{command} {id}");
            assert!(
                output
                    .failure()
                    .contains(&format!("no client has the client_id {id}")),
                "{command} {id}: {}",
                output.stderr
            );
            assert!(
                output.stdout.is_empty(),
                "{command} {id}: {}",
                output.stdout
            );
        }
    }

    // The message does not depend on the log filter.
    let mut quiet = env.clone();
    quiet.push(("DCR_LOG", "off".into()));
    let output = clients(&dir.0, &quiet, &["show", "not-a-client-id"]);
    assert!(
        output
            .failure()
            .contains("no client has the client_id not-a-client-id"),
        "DCR_LOG=off: {:?}",
        output.stderr
    );

    for args in [
        &["list", "--limit", "0"][..],
        &["list", "--limit", "1001"],
        &["list", "--limit", "many"],
        &["list", "--cursor", "garbage"],
        &["list", "--status", "enabled"],
        &["show"],
        &["frobnicate"],
    ] {
        let output = clients(&dir.0, &env, args);
        assert!(!output.failure().is_empty(), "{args:?} says why");
    }
}
