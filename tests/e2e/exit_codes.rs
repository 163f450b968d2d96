//! docs/operations.md's "Exit codes" table, held against the binary: every
//! documented code is what the binary gives in the cases the table names,
//! and a failure ends with exactly one `error: ` line. Also what start-up
//! says about the database it opens (docs/operations.md, "Databases").

use std::collections::BTreeSet;
use std::net::TcpListener;

use crate::process::{ScratchDir, run};

/// The codes in the first column of the table under `## Exit codes`.
fn documented_codes() -> BTreeSet<i32> {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operations.md"
    ))
    .expect("docs/operations.md exists");
    let section = docs
        .split("\n## ")
        .find(|section| section.starts_with("Exit codes\n"))
        .expect("docs/operations.md has a section \"Exit codes\"");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|row| {
            let code = row.split('`').next().unwrap_or_default();
            code.parse()
                .unwrap_or_else(|_| panic!("not an exit code in the table: {row}"))
        })
        .collect()
}

/// A case the table names, and what the binary must do in it.
struct Case {
    what: &'static str,
    args: Vec<&'static str>,
    env: Vec<(&'static str, String)>,
    code: i32,
    /// Words the `error:` line must hold.
    says: Vec<String>,
    /// A refused value that must not be repeated (a secret).
    never: Option<String>,
}

fn case(
    what: &'static str,
    code: i32,
    args: &[&'static str],
    env: &[(&'static str, &str)],
) -> Case {
    Case {
        what,
        args: args.to_vec(),
        env: env
            .iter()
            .map(|(key, value)| (*key, (*value).to_owned()))
            .collect(),
        code,
        says: Vec::new(),
        never: None,
    }
}

impl Case {
    fn says(mut self, words: &str) -> Self {
        self.says.push(words.to_owned());
        self
    }

    fn never(mut self, secret: &str) -> Self {
        self.never = Some(secret.to_owned());
        self
    }
}

fn example_admin_token() -> String {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.env.example"))
            .expect(".env.example exists");
    example
        .lines()
        .find_map(|line| line.strip_prefix("DCR_ADMIN_TOKEN="))
        .expect(".env.example sets DCR_ADMIN_TOKEN")
        .to_owned()
}

/// A Postgres URL on the test server naming a database nobody created.
fn missing_database() -> (String, String) {
    let mut url = url::Url::parse(&dcr_store::test_support::postgres_admin_url()).unwrap();
    let name = format!("dcr_missing_{}", uuid::Uuid::new_v4().simple());
    url.set_path(&name);
    (url.to_string(), name)
}

#[test]
fn the_documented_exit_codes_hold() {
    let dir = ScratchDir::new();
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().to_string();
    let nobody = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (missing_url, missing_name) = missing_database();
    let placeholder = example_admin_token();
    let cases = [
        case("migrate", 0, &["migrate"], &[]),
        case("--help", 0, &["--help"], &[]),
        case("--version", 0, &["--version"], &[]),
        case(
            "a missing Postgres database",
            1,
            &[],
            &[
                ("DCR_DATABASE_URL", &missing_url),
                ("DCR_DATABASE_TIMEOUT_MS", "500"),
            ],
        )
        .says(&format!("database \"{missing_name}\" does not exist"))
        .says("create it first, for example: createdb "),
        case(
            "a missing Postgres database, for migrate",
            1,
            &["migrate"],
            &[("DCR_DATABASE_URL", &missing_url)],
        )
        .says("createdb"),
        case(
            "a SQLite file in a missing directory",
            1,
            &["migrate"],
            &[("DCR_DATABASE_URL", "no-such-directory/dcr.sqlite3")],
        )
        .says("the directory no-such-directory does not exist"),
        case(
            "a port in use",
            1,
            &[],
            &[("DCR_BIND", &taken), ("DCR_ADMIN_BIND", "127.0.0.1:0")],
        )
        .says(&format!("could not listen on {taken}")),
        case(
            "healthcheck, nothing listening",
            1,
            &["healthcheck"],
            &[("DCR_BIND", &nobody)],
        )
        .says("unhealthy"),
        case("an unknown flag", 2, &["--no-such-flag"], &[]).says("--no-such-flag"),
        case("a bad value", 2, &[], &[("DCR_BCRYPT_COST", "99")]).says("DCR_BCRYPT_COST"),
        case("no public URL", 2, &[], &[("DCR_BIND", "0.0.0.0:0")]).says("DCR_PUBLIC_URL"),
        case(
            "the placeholder admin token",
            2,
            &[],
            &[("DCR_ADMIN_TOKEN", &placeholder)],
        )
        .says("placeholder")
        .says("openssl rand -base64 32")
        .never(&placeholder),
        case(
            "a short admin token, as a flag",
            2,
            &["--admin-token", "hunter2-hunter2"],
            &[],
        )
        .says("at least 32 characters")
        .never("hunter2"),
        case(
            "a database URL with a password and a bad scheme",
            2,
            &[],
            &[("DCR_DATABASE_URL", "mysql://dcr:s3cr3t-pw@db/dcr")],
        )
        .says("DCR_DATABASE_URL")
        .never("s3cr3t-pw"),
    ];
    let mut held = BTreeSet::new();
    for case in &cases {
        let (status, output) = run(&dir.0, &case.args, &case.env);
        let what = case.what;
        assert_eq!(status.code(), Some(case.code), "{what}: {output}");
        held.insert(case.code);
        let errors: Vec<&str> = output
            .lines()
            .filter(|line| line.starts_with("error: "))
            .collect();
        if case.code == 0 {
            assert!(errors.is_empty(), "{what}: {output}");
            continue;
        }
        assert_eq!(errors.len(), 1, "{what}: one error line: {output}");
        for words in &case.says {
            assert!(
                errors[0].contains(words.as_str()),
                "{what}: no {words:?} in {}",
                errors[0]
            );
        }
        if let Some(secret) = &case.never {
            assert!(
                !output.contains(secret.as_str()),
                "{what} repeats the value: {output}"
            );
        }
    }
    assert_eq!(
        held,
        documented_codes(),
        "the codes in docs/operations.md's Exit codes table and the binary's differ"
    );
}

/// The server creates a missing SQLite file and says where, so a mistyped
/// path shows at once; a second start creates nothing.
#[test]
fn a_created_sqlite_file_is_named() {
    let dir = ScratchDir::new();
    let env = [("DCR_DATABASE_URL", "sqlite://fresh.sqlite3".to_owned())];
    let (status, output) = run(&dir.0, &["migrate"], &env);
    assert!(status.success(), "{output}");
    let full = std::fs::canonicalize(dir.0.join("fresh.sqlite3")).unwrap();
    assert!(
        output.contains(&format!("created the SQLite database {}", full.display())),
        "{output}"
    );
    let (status, output) = run(&dir.0, &["migrate"], &env);
    assert!(status.success(), "{output}");
    assert!(!output.contains("created the SQLite database"), "{output}");
}
