#![allow(clippy::expect_used)] // a check that cannot read the migrations must stop loudly

use std::path::{Path, PathBuf};

use super::*;

const PG: Context = Context {
    backend: Backend::Postgres,
    in_transaction: true,
};
const PG_NO_TX: Context = Context {
    backend: Backend::Postgres,
    in_transaction: false,
};
const LITE: Context = Context {
    backend: Backend::Sqlite,
    in_transaction: true,
};

/// Statements that keep the rule. `t` is an existing table.
const KEEP: &[(&str, Context)] = &[
    (
        "CREATE TABLE n (id TEXT PRIMARY KEY, v BIGINT NOT NULL)",
        PG,
    ),
    ("create table if not exists n (id text)", LITE),
    ("ALTER TABLE t DROP CONSTRAINT t_c_fkey", PG),
    (
        "ALTER TABLE IF EXISTS t DROP CONSTRAINT IF EXISTS t_c_fkey",
        PG,
    ),
    (
        "SET LOCAL lock_timeout = '5s'; ALTER TABLE t DROP CONSTRAINT t_c_fkey",
        PG,
    ),
    (
        "CREATE TABLE n (id TEXT, u TEXT UNIQUE REFERENCES t (id), CHECK (id <> ''))",
        PG,
    ),
    (
        "CREATE TABLE n (id TEXT); CREATE UNIQUE INDEX n_idx ON n (id)",
        PG,
    ),
    ("CREATE TABLE n (id TEXT); INSERT INTO n VALUES ('a;b')", PG),
    (
        "CREATE TABLE n (id TEXT); INSERT OR IGNORE INTO n VALUES ('x')",
        LITE,
    ),
    ("CREATE TABLE n (id TEXT); UPDATE n SET id = 'y'", PG),
    (
        "CREATE TABLE n (id TEXT); ALTER TABLE n ADD COLUMN c INT NOT NULL",
        PG,
    ),
    ("ALTER TABLE t ADD COLUMN c TEXT", PG),
    ("alter table \"t\" add column c bigint", LITE),
    ("ALTER TABLE t ADD c TEXT", PG),
    ("ALTER TABLE t ADD COLUMN c BIGINT NOT NULL DEFAULT 0", PG),
    (
        "ALTER TABLE t ADD COLUMN c BOOLEAN NOT NULL DEFAULT TRUE",
        LITE,
    ),
    ("ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT 'x'", PG),
    ("ALTER TABLE t ADD COLUMN c NUMERIC(10, 2) DEFAULT -1.5", PG),
    (
        "ALTER TABLE t ADD COLUMN c JSONB NOT NULL DEFAULT '{}'::jsonb",
        PG,
    ),
    ("ALTER TABLE t ADD COLUMN a TEXT, ADD COLUMN b BIGINT", PG),
    (
        "-- ALTER TABLE t DROP COLUMN c;\nALTER TABLE t ADD COLUMN c TEXT",
        PG,
    ),
    ("/* DROP TABLE t; */ ALTER TABLE t ADD COLUMN c TEXT", PG),
    ("CREATE INDEX t_c ON t (c)", LITE),
    ("CREATE INDEX CONCURRENTLY t_c ON t (c)", PG_NO_TX),
    ("CREATE INDEX CONCURRENTLY t_c ON ONLY t (c)", PG_NO_TX),
    ("DROP INDEX t_c", LITE),
    ("drop index if exists \"t_c\"", LITE),
    ("DROP INDEX CONCURRENTLY t_c", PG_NO_TX),
    ("DROP INDEX CONCURRENTLY IF EXISTS public.t_c", PG_NO_TX),
    ("", PG),
];

/// Statements that break the rule. `t` is an existing table.
const BREAK: &[(&str, Context)] = &[
    ("DROP TABLE t", PG),
    ("DROP INDEX t_c", PG),
    ("DROP INDEX CONCURRENTLY t_c", PG),
    ("DROP INDEX CONCURRENTLY t_c", LITE),
    ("DROP INDEX CONCURRENTLY a, b", PG_NO_TX),
    ("DROP INDEX a, b", LITE),
    ("DROP INDEX CONCURRENTLY t_c CASCADE", PG_NO_TX),
    (
        "DROP INDEX CONCURRENTLY a; DROP INDEX CONCURRENTLY b",
        PG_NO_TX,
    ),
    ("DROP INDEX CONCURRENTLY", PG_NO_TX),
    ("DROP INDEX CONCURRENTLY t_pkey", PG_NO_TX),
    (
        "DROP INDEX CONCURRENTLY IF EXISTS users_email_key",
        PG_NO_TX,
    ),
    ("DROP INDEX sqlite_autoindex_users_1", LITE),
    ("ALTER TABLE t DROP CONSTRAINT t_c_key", PG),
    ("ALTER TABLE t DROP CONSTRAINT t_c_fkey", LITE),
    ("ALTER TABLE t DROP CONSTRAINT t_c_fkey, DROP COLUMN c", PG),
    ("ALTER TABLE t DROP CONSTRAINT t_c_fkey CASCADE", PG),
    ("SET LOCAL lock_timeout = '5s'", PG_NO_TX),
    ("SET LOCAL statement_timeout = '5s'", PG),
    ("SET lock_timeout = '5s'", PG),
    ("DROP TABLE t_c", LITE),
    ("ALTER TABLE t DROP COLUMN c", PG),
    ("ALTER TABLE t RENAME TO u", PG),
    ("ALTER TABLE t RENAME COLUMN c TO d", LITE),
    ("ALTER TABLE t ALTER COLUMN c TYPE BIGINT", PG),
    ("ALTER TABLE t ALTER COLUMN c SET NOT NULL", PG),
    ("ALTER TABLE t ALTER COLUMN c DROP DEFAULT", PG),
    ("ALTER TABLE t ADD COLUMN c TEXT NOT NULL", PG),
    ("ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT NULL", PG),
    ("ALTER TABLE t ADD COLUMN c BIGINT DEFAULT now()", PG),
    (
        "ALTER TABLE t ADD COLUMN c BIGINT DEFAULT now()::bigint",
        PG,
    ),
    ("ALTER TABLE t ADD COLUMN c BIGSERIAL", PG),
    ("ALTER TABLE t ADD COLUMN c TEXT REFERENCES u (id)", PG),
    ("ALTER TABLE t ADD COLUMN c TEXT UNIQUE", PG),
    ("ALTER TABLE t ADD COLUMN c INT CHECK (c > 0)", LITE),
    ("ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0)", PG),
    ("ALTER TABLE t ADD CONSTRAINT k UNIQUE (c)", PG),
    ("ALTER TABLE t ADD FOREIGN KEY (c) REFERENCES u (id)", PG),
    ("ALTER TABLE t ADD COLUMN a TEXT, DROP COLUMN b", PG),
    ("CREATE UNIQUE INDEX t_c ON t (c)", LITE),
    ("CREATE INDEX t_c ON t (c)", PG),
    ("CREATE INDEX CONCURRENTLY t_c ON t (c)", PG),
    ("CREATE INDEX CONCURRENTLY t_c ON t (c)", LITE),
    (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c ON t (c)",
        PG_NO_TX,
    ),
    (
        "CREATE INDEX CONCURRENTLY a ON t (a); CREATE INDEX CONCURRENTLY b ON t (b)",
        PG_NO_TX,
    ),
    ("UPDATE t SET c = 'x'", PG),
    ("INSERT INTO t VALUES ('x')", LITE),
    ("DELETE FROM t WHERE c IS NULL", PG),
    ("TRUNCATE t", PG),
    ("CREATE VIEW v AS SELECT * FROM t", PG),
    (
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
        PG,
    ),
    ("ALTER TABLE t ADD COLUMN c TEXT; DROP TABLE t", PG),
];

#[test]
fn statements_that_keep_the_rule_pass() {
    for (sql, context) in KEEP {
        assert_eq!(
            judge(sql, *context, &HashSet::new()),
            Vec::<String>::new(),
            "{sql}"
        );
    }
}

#[test]
fn statements_that_break_the_rule_are_refused() {
    for (sql, context) in BREAK {
        assert!(
            !judge(sql, *context, &HashSet::new()).is_empty(),
            "passed: {sql}"
        );
    }
}

/// A unique index refuses rows (and may back a foreign key): a migration
/// that created one makes its drop a break of the rule.
#[test]
fn an_index_created_unique_cannot_be_dropped() {
    let unique: HashSet<String> = [
        "CREATE UNIQUE INDEX CONCURRENTLY t_u ON t (c)",
        "-- x\ncreate unique index if not exists \"t_v\" on t (d);",
    ]
    .iter()
    .flat_map(|sql| unique_indexes(sql))
    .collect();
    assert_eq!(unique.len(), 2, "{unique:?}");
    for (sql, context) in [
        ("DROP INDEX CONCURRENTLY t_u", PG_NO_TX),
        ("DROP INDEX IF EXISTS t_v", LITE),
    ] {
        assert!(!judge(sql, context, &unique).is_empty(), "passed: {sql}");
    }
    assert!(judge("DROP INDEX CONCURRENTLY t_c", PG_NO_TX, &unique).is_empty());
}

#[test]
fn statements_strip_comments_and_literals() {
    assert_eq!(
        statements("-- a; b\nINSERT  INTO \"N\"\tVALUES ('x;''y', 'z') /* ; */;\n"),
        vec!["insert into n values ('''', '')".to_owned()]
    );
}

fn migrations_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

/// The CI check: every migration in the repository keeps the rule, or is one
/// of the few written before it.
#[test]
fn every_migration_leaves_the_schema_usable_by_the_previous_release() {
    let all = read_all(&migrations_root()).expect("the migrations directories");
    assert!(all.len() >= 22, "found {} migrations", all.len());
    let unique = all_unique_indexes(&all);
    let mut failures = Vec::new();
    for migration in &all {
        let refused = judge(&migration.up, migration.context, &unique);
        let allowed = ALLOWED_BEFORE_RULE
            .iter()
            .chain(DROPS_OF_UNUSED)
            .any(|(name, _)| *name == migration.name);
        if !refused.is_empty() && !allowed {
            failures.push(format!(
                "{:?} {}:\n  {}",
                migration.backend,
                migration.name,
                refused.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "migrations that would break replicas still on the previous release \
         (see docs/operations.md, \"Upgrading N replicas\"):\n{}",
        failures.join("\n")
    );
}

/// The allowlist is closed: only migrations from before the rule, each still
/// present and still refused (an entry that no longer needs to be there goes).
#[test]
fn the_allowlist_names_only_refused_migrations_from_before_the_rule() {
    let all = read_all(&migrations_root()).expect("the migrations directories");
    for (name, reason) in ALLOWED_BEFORE_RULE {
        assert!(*name < RULE_SINCE, "{name} is newer than the rule");
        assert!(!reason.is_empty());
        let refused = all
            .iter()
            .filter(|m| m.name == *name)
            .any(|m| !judge(&m.up, m.context, &all_unique_indexes(&all)).is_empty());
        assert!(refused, "{name} is allowlisted but missing or not refused");
    }
    for (name, unused_since) in DROPS_OF_UNUSED {
        assert!(*name >= RULE_SINCE, "{name} is older than the rule");
        assert!(!unused_since.is_empty());
        assert!(all.iter().any(|m| m.name == *name), "{name} is missing");
    }
}

fn all_unique_indexes(all: &[Migration]) -> HashSet<String> {
    all.iter().flat_map(|m| unique_indexes(&m.up)).collect()
}

/// One migration directory as the check reads it.
struct Migration {
    name: String,
    backend: Backend,
    up: String,
    context: Context,
}

fn read_all(root: &Path) -> std::io::Result<Vec<Migration>> {
    let mut all = Vec::new();
    for (dir, backend) in [("postgres", Backend::Postgres), ("sqlite", Backend::Sqlite)] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root.join(dir))?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()?;
        names.retain(|path| path.is_dir());
        names.sort();
        for path in names {
            let up = std::fs::read_to_string(path.join("up.sql"))?;
            let metadata = std::fs::read_to_string(path.join("metadata.toml")).unwrap_or_default();
            let in_transaction = !metadata
                .lines()
                .map(|line| line.split_whitespace().collect::<String>())
                .any(|line| line == "run_in_transaction=false");
            all.push(Migration {
                name: path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                backend,
                up,
                context: Context {
                    backend,
                    in_transaction,
                },
            });
        }
    }
    Ok(all)
}
