//! The shell's commands say which database they work in, never create a
//! SQLite file unless asked, take the settings after the subcommand, and
//! `clients prune` deletes only with the server's lifetimes stated.

use dcr_store::test_support::TestDatabase;

use crate::process::{Output, ScratchDir, Server, registered_ago, shell};

fn first_line(output: &Output) -> &str {
    output.stderr.lines().next().unwrap_or_default()
}

#[test]
fn a_missing_sqlite_file_is_named_and_created_only_with_create() {
    let dir = ScratchDir::new();
    let file = dir.0.join("dcr.sqlite3");
    let named = format!("database: sqlite {}", file.display());
    // No DCR_DATABASE_URL: the default, ./dcr.sqlite3, shown absolute.
    for (command, args) in [
        ("clients", &["list"][..]),
        ("clients", &["prune", "--json"]),
        ("tokens", &["list"]),
        ("import", &["--from", "old.db"]),
    ] {
        let output = shell(&dir.0, &[], command, args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command} {args:?}: {}",
            output.stderr
        );
        assert_eq!(first_line(&output), named, "{command} {args:?}");
        let error = output.failure();
        for words in [file.display().to_string().as_str(), "--create"] {
            assert!(error.contains(words), "{command} {args:?}: {error}");
        }
        assert!(output.stdout.is_empty(), "{}", output.stdout);
        assert!(
            !file.exists(),
            "{command} {args:?} created {}",
            file.display()
        );
    }

    let created = shell(&dir.0, &[], "clients", &["list", "--create"]);
    assert!(
        created.success().contains("0 client(s)"),
        "{}",
        created.stdout
    );
    assert_eq!(first_line(&created), named);
    assert!(file.exists());
    let again = shell(&dir.0, &[], "clients", &["list"]);
    assert!(again.success().contains("0 client(s)"));
}

#[test]
fn settings_are_taken_after_the_subcommand() {
    let database = TestDatabase::sqlite();
    let store = database.store();
    let client_id = registered_ago(&store, 60, "After", 1);
    let dir = ScratchDir::new();
    let url = database.url_string();
    for args in [
        &["list", "--database-url", &url, "--json"][..],
        &["--database-url", &url, "list", "--json"],
        &["list", "--json", &format!("--database-url={url}")],
    ] {
        let listed = shell(&dir.0, &[], "clients", args).json();
        assert_eq!(
            listed["clients"][0]["client_id"],
            client_id.to_string(),
            "{args:?}"
        );
    }
    assert!(!dir.0.join("dcr.sqlite3").exists());
}

/// The Postgres URL is named without its password, in the URL, its query or
/// a key/value string.
#[test]
fn a_postgres_url_is_named_without_its_password() {
    let database = TestDatabase::postgres();
    database.store();
    // The test server trusts local connections: any password is accepted.
    let url = database
        .url_string()
        .replacen("postgres@", "postgres:pw-in-userinfo@", 1);
    let with_query = format!("{url}?password=pw-in-query&application_name=dcr-e2e");
    let parsed = url::Url::parse(&url).unwrap();
    let key_value = format!(
        "host={} port={} user={} dbname={}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432),
        parsed.username(),
        parsed.path().trim_start_matches('/'),
    );
    let dir = ScratchDir::new();
    let shown = url.replacen(":pw-in-userinfo", "", 1);
    for (url, expected) in [
        (url.clone(), shown.clone()),
        (with_query, format!("{shown}?application_name=dcr-e2e")),
        // A libpq key/value string is Postgres too.
        (
            format!("{key_value} password='pw-in key/value'"),
            format!("postgres {key_value}"),
        ),
    ] {
        let env = [("DCR_DATABASE_URL", url)];
        let listed = shell(&dir.0, &env, "clients", &["list"]);
        listed.success();
        assert_eq!(first_line(&listed), format!("database: {expected}"));
        let migrated = shell(&dir.0, &env, "migrate", &[]);
        migrated.success();
        assert!(
            first_line(&migrated).ends_with(&format!("database: {expected}")),
            "{}",
            migrated.stderr
        );
        for output in [&listed, &migrated] {
            assert!(!output.stderr.contains("pw-in"), "{}", output.stderr);
        }
    }
}

#[test]
fn the_server_names_its_database_at_start_up() {
    let dir = ScratchDir::new();
    let server = Server::start(&dir.0, &[("DCR_BIND", "127.0.0.1:0".to_owned())]);
    let file = dir.0.join("dcr.sqlite3");
    assert!(
        server
            .logs()
            .contains(&format!("database: sqlite {}", file.display())),
        "{}",
        server.logs()
    );
    assert!(file.exists(), "the server still creates its file");
}

/// Without both lifetimes stated, `clients prune` only shows what it would
/// delete, and says so; `--dry-run` shows name, age and reason.
#[test]
fn prune_deletes_only_with_both_lifetimes_stated() {
    let database = TestDatabase::sqlite();
    let store = database.store();
    let now = dcr_server::clock::unix_now();
    store.arm_unused_purge(now - 30 * 86_400).unwrap();
    let old = registered_ago(&store, 10 * 86_400, "Forgotten Tool", 2);
    let recent = registered_ago(&store, 60, "Fresh Tool", 3);
    let dir = ScratchDir::new();
    let base = [("DCR_DATABASE_URL", database.url_string())];

    // The default never-used lifetime (a week) is this shell's, not
    // necessarily the server's: a dry run, said on stderr.
    for with_unused_only in [false, true] {
        let mut env = base.to_vec();
        if with_unused_only {
            env.push(("DCR_UNUSED_CLIENT_TTL_SECS", "86400".to_owned()));
        }
        let output = shell(&dir.0, &env, "clients", &["prune"]);
        let printed = output.success();
        assert!(printed.contains(&old.to_string()), "{printed}");
        assert!(printed.contains("Forgotten Tool"), "{printed}");
        assert!(printed.contains("10d"), "{printed}");
        assert!(printed.contains("never used"), "{printed}");
        assert!(
            printed.contains("1 clients would be deleted (dry run)"),
            "{printed}"
        );
        assert!(!printed.contains(&recent.to_string()), "{printed}");
        for words in [
            "dry run",
            "DCR_IDLE_CLIENT_TTL_SECS",
            "--idle-client-ttl-secs",
        ] {
            assert!(output.stderr.contains(words), "{}", output.stderr);
        }
        assert!(
            store.find_client(&old).is_ok(),
            "an implied dry run deletes nothing"
        );
    }

    let asked = shell(&dir.0, &base, "clients", &["prune", "--dry-run"]);
    assert!(asked.success().contains("Forgotten Tool"));
    assert!(
        asked
            .stderr
            .contains("this lists what 604800s and 0s would delete"),
        "{}",
        asked.stderr
    );

    let stated = shell(
        &dir.0,
        &base,
        "clients",
        &[
            "prune",
            "--json",
            "--unused-client-ttl-secs",
            "86400",
            "--idle-client-ttl-secs",
            "0",
        ],
    );
    assert_eq!(
        stated.json(),
        serde_json::json!({ "dry_run": false, "deleted": 1 })
    );
    assert!(!stated.stderr.contains("dry run"), "{}", stated.stderr);
    assert!(store.find_client(&old).is_err());
    assert!(store.find_client(&recent).is_ok());
}
