//! `dcr-server cimd check URL`: a client author's check of a metadata
//! document from a shell, with no database, by the verify call's rules.

use super::url_client_ids::serve_one_document;
use crate::process::{ScratchDir, shell};

#[test]
fn a_document_is_checked_from_a_shell_without_a_database() {
    let dir = ScratchDir::new();
    let database = dir.0.join("never.db");
    let env = [
        (
            "DCR_DATABASE_URL",
            format!("sqlite://{}", database.display()),
        ),
        ("DCR_CIMD_ALLOW_HTTP_LOOPBACK", "true".to_owned()),
    ];
    let url = serve_one_document();

    let text = shell(&dir.0, &env, "cimd", &["check", &url]);
    let printed = text.success();
    assert!(printed.contains("pass  client_id_matches"), "{printed}");
    assert!(printed.contains("cache: 300 s"), "{printed}");
    assert!(
        printed.contains("accepted: a verify would accept"),
        "{printed}"
    );

    let report = shell(&dir.0, &env, "cimd", &["check", &url, "--json"]).json();
    assert_eq!(report["accepted"], true);
    assert_eq!(report["client"]["client_name"], "Example Agent");
    assert_eq!(report["consent"]["source"], "metadata_document");

    let gone = url.replace("/client.json", "/gone.json");
    let refused = shell(&dir.0, &env, "cimd", &["check", &gone]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        refused.stdout.contains("FAIL  status_200"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("answered 404"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("-     size"), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("would not accept"),
        "{}",
        refused.stderr
    );

    // Without the development exception, plain http is refused by the URL rule.
    let strict = shell(
        &dir.0,
        &[("DCR_DATABASE_URL", env[0].1.clone())],
        "cimd",
        &["check", &url, "--json"],
    );
    assert_eq!(strict.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(strict.stdout.trim()).unwrap();
    assert_eq!(report["rules"][1]["result"], "fail", "{report}");
    assert!(!database.exists(), "the check created a database");
}
