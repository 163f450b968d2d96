//! The rolling-upgrade rule, checked over `migrations/*/*/up.sql`: every
//! migration leaves the schema usable by the previous release, because during
//! a rolling upgrade old replicas keep serving on the migrated schema. So a
//! migration only adds: tables, nullable columns or columns with a constant
//! default, indexes (on Postgres built `CONCURRENTLY` when the table already
//! exists, so writes are not blocked), drops of plain indexes (an old
//! release's queries stay correct without one, only their plan changes) and
//! of foreign keys (an old release's writes stay valid without one). The
//! parse is deliberately crude and conservative: a statement it cannot
//! classify is refused, so a migration never passes by slipping past it. `down.sql` is not judged: rolling back
//! means running the old binary on the new schema (docs/operations.md).

use std::collections::HashSet;

#[cfg(test)]
mod tests;

/// The migrations written before the rule, that break it, each with why it
/// was acceptable. Closed: every name sorts before [`RULE_SINCE`] (a test
/// checks), so a new migration cannot be waved through by adding it here.
const ALLOWED_BEFORE_RULE: &[(&str, &str)] = &[
    (
        "2026-11-28-000002_client_lifecycle",
        "Postgres: plain CREATE INDEX on oauth_clients (blocks writes while it \
         builds). Applied before any release (0.1.0 was never tagged), when \
         oauth_clients was a day old and held no production rows.",
    ),
    (
        "2026-11-30-000004_client_lifetime_clock",
        "UPDATE of every oauth_clients row (a backfill of the column it adds, \
         which no older release reads, but it holds every row's lock until it \
         commits) and a plain CREATE INDEX on Postgres. Applied before any \
         release, before several replicas were supported.",
    ),
];

/// The first migration the rule applies to.
const RULE_SINCE: &str = "2026-12-03-000012";

/// The second half of a rename or drop split over two releases: migrations
/// that drop what the release before them no longer uses (the check cannot
/// see that; the review of this list does). Each entry: the migration, and
/// the release (or migration) since which nothing reads or writes the object.
/// Entries stay: they are history, like the migrations.
const DROPS_OF_UNUSED: &[(&str, &str)] = &[];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Backend {
    Postgres,
    Sqlite,
}

/// What the check needs to know about one migration besides its SQL.
#[derive(Clone, Copy, Debug)]
pub(super) struct Context {
    pub backend: Backend,
    /// `run_in_transaction` from its `metadata.toml` (diesel's default: true).
    pub in_transaction: bool,
}

/// Judges one `up.sql`: the reasons it breaks the rule, one per refused
/// statement (empty when it keeps the rule). `unique` names the unique
/// indexes the migrations create (see [`unique_indexes`]): none may be
/// dropped.
pub(super) fn judge(sql: &str, context: Context, unique: &HashSet<String>) -> Vec<String> {
    let statements = statements(sql);
    let mut refused = Vec::new();
    if !context.in_transaction && statements.len() != 1 {
        // Outside a transaction a failure half-way leaves the first
        // statements applied and the migration unrecorded; the retry then
        // fails on them.
        refused.push(format!(
            "run_in_transaction = false with {} statements: hold exactly one",
            statements.len()
        ));
    }
    let mut created = HashSet::new();
    for statement in &statements {
        if let Err(reason) = classify(statement, context, &mut created, unique) {
            refused.push(format!("{reason}: `{statement}`"));
        }
    }
    refused
}

/// The statements of `sql`, comments and string literals stripped (a literal
/// becomes `''`), double quotes dropped, whitespace collapsed, lower case.
pub(super) fn statements(sql: &str) -> Vec<String> {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            '\'' => {
                // '' inside a literal is an escaped quote: the loop leaves and
                // re-enters the literal, which strips it all the same.
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
                out.push_str("''");
            }
            '"' => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The names of the indexes `CREATE UNIQUE INDEX` statements in `sql` create.
pub(super) fn unique_indexes(sql: &str) -> Vec<String> {
    statements(sql)
        .iter()
        .filter_map(|statement| {
            let words: Vec<&str> = statement.split(' ').collect();
            match words.as_slice() {
                ["create", "unique", "index", rest @ ..] => {
                    let rest = rest.strip_prefix(&["concurrently"]).unwrap_or(rest);
                    skip_if_not_exists(rest)
                        .first()
                        .map(|name| (*name).to_owned())
                }
                _ => None,
            }
        })
        .collect()
}

fn classify(
    statement: &str,
    context: Context,
    created: &mut HashSet<String>,
    unique: &HashSet<String>,
) -> Result<(), String> {
    let words: Vec<&str> = statement
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let (table, rest) = match words.as_slice() {
        ["create", "table", rest @ ..] => {
            let name = skip_if_not_exists(rest).first().ok_or("no table name")?;
            created.insert((*name).to_owned());
            return Ok(());
        }
        ["create", "index" | "unique", ..] => return index(statement, &words, context, created),
        ["set", "local", "lock_timeout", ..] if context.in_transaction => {
            return Ok(());
        }
        ["alter", "table", rest @ ..] if drops_a_foreign_key(rest, context) => return Ok(()),
        ["alter", "table", rest @ ..] => {
            let rest = skip_if_not_exists(rest);
            match rest {
                [name, ..] => (*name, statement),
                [] => return Err("no table name".into()),
            }
        }
        ["insert", "into" | "or", ..] | ["update", ..] => {
            let target = words
                .iter()
                .skip_while(|w| !matches!(**w, "into" | "update"))
                .nth(1)
                .copied()
                .unwrap_or_default();
            if created.contains(target) {
                return Ok(());
            }
            return Err(
                "writes rows of an existing table (a backfill holds its row locks until \
                        the migration commits; write it in the new release's code)"
                    .into(),
            );
        }
        ["delete" | "truncate", ..] => return Err("deletes rows an old release may use".into()),
        ["drop", "index", rest @ ..] => return drop_index(rest, context, unique),
        ["drop", ..] => {
            return Err("drops what an old release may use (split over two releases)".into());
        }
        _ => return Err("not a statement the check can classify".into()),
    };
    if created.contains(table) {
        return Ok(());
    }
    alter_existing(rest)
}

/// `ALTER TABLE t DROP CONSTRAINT [IF EXISTS] t_c_fkey` alone, on Postgres:
/// a foreign key only refuses rows, so the previous release's writes stay
/// valid without it and none of its reads depends on it. The name must be
/// Postgres' own for a foreign key (`_fkey`): the check cannot tell a
/// unique constraint, whose refusals a release may rely on, by any other
/// sign. The exclusive lock it takes is brief; pair it with `SET LOCAL
/// lock_timeout` so that it waits behind a long transaction only so long.
fn drops_a_foreign_key(words: &[&str], context: Context) -> bool {
    let words = match words {
        ["if", "exists", rest @ ..] => rest,
        rest => rest,
    };
    let constraint = match words {
        [_, "drop", "constraint", "if", "exists", name] | [_, "drop", "constraint", name] => name,
        _ => return false,
    };
    context.backend == Backend::Postgres && constraint.ends_with("_fkey")
}

fn skip_if_not_exists<'a, 'b>(words: &'a [&'b str]) -> &'a [&'b str] {
    match words {
        ["if", "not", "exists", rest @ ..] => rest,
        rest => rest,
    }
}

fn index(
    statement: &str,
    words: &[&str],
    context: Context,
    created: &HashSet<String>,
) -> Result<(), String> {
    let unique = words.get(1) == Some(&"unique");
    let concurrently = words.contains(&"concurrently");
    let table = words
        .iter()
        .skip_while(|w| **w != "on")
        .skip(1)
        .find(|w| **w != "only")
        .ok_or("an index on no table")?;
    if created.contains(*table) {
        return Ok(());
    }
    if unique {
        return Err(
            "a unique index on an existing table refuses rows an old release \
                    writes"
                .into(),
        );
    }
    match context.backend {
        // SQLite has no concurrent build; it serves one process anyway.
        Backend::Sqlite if concurrently => Err("SQLite has no CONCURRENTLY".into()),
        Backend::Sqlite => Ok(()),
        Backend::Postgres if !concurrently => Err(
            "a plain CREATE INDEX blocks writes to an existing table: use CREATE INDEX \
             CONCURRENTLY in a migration with run_in_transaction = false"
                .into(),
        ),
        Backend::Postgres if context.in_transaction => Err(
            "CREATE INDEX CONCURRENTLY cannot run in a transaction: set \
                 run_in_transaction = false in metadata.toml"
                .into(),
        ),
        // A failed concurrent build leaves an invalid index that IF NOT
        // EXISTS would then keep.
        Backend::Postgres if statement.contains(" if not exists ") => {
            Err("CREATE INDEX CONCURRENTLY IF NOT EXISTS would keep an invalid index".into())
        }
        Backend::Postgres => Ok(()),
    }
}

/// `DROP INDEX [CONCURRENTLY] [IF EXISTS] name`: an old release's queries
/// stay correct without a plain index. Not a unique one (it refuses rows, and
/// may back a foreign key): refused when a migration created it with `CREATE
/// UNIQUE INDEX`, or its name is one Postgres or SQLite gives the index of a
/// PRIMARY KEY or UNIQUE constraint (both databases refuse to drop those
/// anyway). The check cannot see a unique index made any other way.
fn drop_index(words: &[&str], context: Context, unique: &HashSet<String>) -> Result<(), String> {
    let concurrently = words.first() == Some(&"concurrently");
    let rest = if concurrently { &words[1..] } else { words };
    let rest = rest.strip_prefix(&["if", "exists"]).unwrap_or(rest);
    let name = match rest {
        [name] => *name,
        [] => return Err("drops no index".into()),
        // Several names, or CASCADE, which drops what depends on the index.
        _ => return Err("DROP INDEX of more than one plain index name".into()),
    };
    let name = name.rsplit('.').next().unwrap_or(name);
    if unique.contains(name)
        || name.ends_with("_pkey")
        || name.ends_with("_key")
        || name.starts_with("sqlite_autoindex_")
    {
        return Err(format!(
            "drops the unique index {name}, which an old release's writes rely on"
        ));
    }
    match context.backend {
        Backend::Sqlite if concurrently => Err("SQLite has no CONCURRENTLY".into()),
        Backend::Sqlite => Ok(()),
        Backend::Postgres if !concurrently => Err(
            "a plain DROP INDEX locks the table against reads and writes while it waits: \
             use DROP INDEX CONCURRENTLY in a migration with run_in_transaction = false"
                .into(),
        ),
        Backend::Postgres if context.in_transaction => {
            Err("DROP INDEX CONCURRENTLY cannot run in a transaction: set \
             run_in_transaction = false in metadata.toml"
                .into())
        }
        Backend::Postgres => Ok(()),
    }
}

/// `ALTER TABLE t ...` on a table an old release uses: only added columns that
/// it may ignore (nullable, or NOT NULL with a constant default).
fn alter_existing(statement: &str) -> Result<(), String> {
    let actions = statement
        .split_once(" add ")
        .map(|(_, actions)| actions)
        .ok_or("alters an existing table other than by ADD COLUMN")?;
    if statement.contains(" rename ") || statement.contains(" drop ") {
        return Err("renames or drops in an existing table".into());
    }
    for action in top_level_commas(actions) {
        let action = action.trim().trim_start_matches("add ").trim();
        let column = action.strip_prefix("column ").unwrap_or(action);
        add_column(column)?;
    }
    Ok(())
}

fn add_column(definition: &str) -> Result<(), String> {
    let padded = format!(" {definition} ");
    let first = definition.split(' ').next().unwrap_or_default();
    if matches!(
        first,
        "constraint" | "primary" | "unique" | "check" | "foreign" | "exclude"
    ) {
        return Err("adds a constraint an old release's writes may break".into());
    }
    for word in [
        " references ",
        " check ",
        " unique ",
        " primary ",
        " generated ",
        " serial ",
        " bigserial ",
        " smallserial ",
    ] {
        if padded.contains(word) {
            return Err(format!(
                "adds a column with{word}(a constraint or a table rewrite)"
            ));
        }
    }
    let default = padded.split_once(" default ").map(|(_, d)| d.trim());
    if let Some(default) = default {
        let value = default.split(' ').next().unwrap_or_default();
        // A cast of a constant is a constant: `'{}'::jsonb`.
        let value = value.split("::").next().unwrap_or_default();
        let constant = value == "''"
            || matches!(value, "true" | "false" | "null")
            || value.parse::<f64>().is_ok();
        if !constant {
            return Err("a default that is not a constant rewrites the table".into());
        }
    }
    let has_default = default.is_some_and(|d| !d.starts_with("null"));
    if padded.contains(" not null ") && !has_default {
        return Err(
            "adds a NOT NULL column without a default: an old release's \
                    inserts fail"
                .into(),
        );
    }
    Ok(())
}

fn top_level_commas(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}
