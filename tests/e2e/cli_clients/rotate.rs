//! `clients rotate-secret --keep-old-for SECONDS`: the old secret keeps
//! working on the running server for the overlap, and the next rotation
//! drops it.

use std::collections::HashSet;

use dcr_store::test_support::TestDatabase;
use serde_json::json;

use super::{admin_show, clients, environment, id_of, register};
use crate::process::{ADMIN_TOKEN, ScratchDir, Server, claude_ai_body, member_names};

#[tokio::test]
async fn keep_old_for_keeps_the_old_secret_working_on_the_server() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    let env = environment(&database);
    let server = Server::start(&dir.0, &env);
    let claude = register(&server, &claude_ai_body()).await;
    let id = id_of(&claude);
    let first = json!({ "client_secret": claude["client_secret"] });

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let before = i64::try_from(before).unwrap();
    let rotated = clients(
        &dir.0,
        &env,
        &["rotate-secret", &id, "--keep-old-for", "3600", "--json"],
    )
    .json();
    let keys = member_names(&rotated);
    assert_eq!(
        keys,
        HashSet::from([
            "client_id",
            "client_secret",
            "client_secret_expires_at",
            "previous_secret_expires_at",
        ])
    );
    let until = rotated["previous_secret_expires_at"].as_i64().unwrap();
    assert!((before + 3600..=before + 3660).contains(&until), "{until}");
    let second = json!({ "client_secret": rotated["client_secret"] });
    assert!(
        server.is_valid(Some(ADMIN_TOKEN), &id, &first).await,
        "the old secret, kept"
    );
    assert!(
        server.is_valid(Some(ADMIN_TOKEN), &id, &second).await,
        "the new secret"
    );
    assert_eq!(
        admin_show(&server, &id).await["previous_secret_expires_at"],
        until
    );

    // The text names when the old secret stops; this rotation drops the
    // first secret and keeps the second.
    let output = clients(
        &dir.0,
        &env,
        &["rotate-secret", &id, "--keep-old-for", "60"],
    );
    let text = output.success();
    assert!(text.contains("the old one keeps working until"), "{text}");
    assert!(
        !server.is_valid(Some(ADMIN_TOKEN), &id, &first).await,
        "the oldest, dropped"
    );
    assert!(
        server.is_valid(Some(ADMIN_TOKEN), &id, &second).await,
        "the one just replaced"
    );

    for bad in ["2592001", "-1", "1.5", "an hour"] {
        let flag = format!("--keep-old-for={bad}");
        let output = clients(&dir.0, &env, &["rotate-secret", &id, &flag]);
        assert!(
            output.failure().contains("2592000"),
            "{bad}: {}",
            output.stderr
        );
    }
    assert!(
        server.is_valid(Some(ADMIN_TOKEN), &id, &second).await,
        "refused flags change nothing"
    );

    // The default: no overlap.
    let output = clients(&dir.0, &env, &["rotate-secret", &id]);
    assert!(output.success().contains("the old one no longer works"));
    assert!(!server.is_valid(Some(ADMIN_TOKEN), &id, &second).await);
}
