//! The command line: `--help`, `migrate`, and configuration errors.

use std::collections::BTreeSet;

use dcr_store::test_support::TestDatabase;

use crate::process::{ScratchDir, run};

fn variables_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (index, _) in text.match_indices("DCR_") {
        let name: String = text[index..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if name.len() > 4 && !name.ends_with('_') {
            found.insert(name);
        }
    }
    found
}

/// `--help` and docs/configuration.md name the same variables.
#[test]
fn help_and_configuration_docs_list_the_same_variables() {
    let dir = ScratchDir::new();
    let (status, help) = run(&dir.0, &["--help"], &[]);
    assert!(status.success());
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("docs/configuration.md exists");
    let in_help = variables_in(&help);
    let mut in_docs = variables_in(&docs);
    in_docs.retain(|name| !name.starts_with("DCR_TEST_"));
    assert!(in_help.contains("DCR_BIND") && in_help.contains("DCR_DATABASE_URL"));
    assert_eq!(
        in_help, in_docs,
        "--help and docs/configuration.md disagree"
    );
}

/// A bad value stops the server at once, naming the variable to fix.
#[test]
fn bad_configuration_names_the_variable() {
    let dir = ScratchDir::new();
    for (variable, value) in [
        ("DCR_BCRYPT_COST", "99"),
        ("DCR_BIND", "not-an-address"),
        ("DCR_DATABASE_URL", "mysql://db/dcr"),
        ("DCR_AUTH_METHODS", "none,client_secret_jwt"),
        ("DCR_PUBLIC_URL", "ftp://example.com"),
    ] {
        let (status, output) = run(&dir.0, &[], &[(variable, value.into())]);
        assert!(!status.success(), "{variable}={value} was accepted");
        assert!(output.contains(variable), "{variable}={value}: {output}");
    }
}

/// `dcr-server migrate` applies pending migrations once; the second run is a no-op.
#[test]
fn migrate_applies_then_is_a_noop() {
    let dir = ScratchDir::new();
    let database = TestDatabase::postgres();
    let env = [("DCR_DATABASE_URL", database.url_string())];
    let (status, output) = run(&dir.0, &["migrate"], &env);
    assert!(status.success(), "{output}");
    assert!(output.contains("applied migrations"), "{output}");
    let (status, output) = run(&dir.0, &["migrate"], &env);
    assert!(status.success(), "{output}");
    assert!(output.contains("is up to date"), "{output}");
}

/// Facing a network (0.0.0.0), the server does not start without
/// DCR_PUBLIC_URL: its URLs would come from whatever Host a caller sends.
#[test]
fn a_public_bind_needs_a_public_url() {
    let dir = ScratchDir::new();
    let (status, output) = run(&dir.0, &[], &[("DCR_BIND", "0.0.0.0:0".into())]);
    assert!(
        !status.success(),
        "started without DCR_PUBLIC_URL: {output}"
    );
    assert!(output.contains("DCR_PUBLIC_URL"), "{output}");
    assert!(
        !dir.0.join("dcr.sqlite3").exists(),
        "refused before opening the database"
    );
    // Only serving hands out URLs: `migrate` in the same environment (a
    // container's DCR_BIND) needs no public URL.
    let (status, output) = run(&dir.0, &["migrate"], &[("DCR_BIND", "0.0.0.0:0".into())]);
    assert!(status.success(), "{output}");
}
