//! Fresh databases for tests: each test gets its own SQLite file or its own
//! Postgres database, removed when the test ends, so no test sees another's
//! rows.
#![allow(clippy::panic, clippy::expect_used)] // a test that cannot get its database must stop loudly

use std::path::PathBuf;

use diesel::PgConnection;
use diesel::prelude::*;

use crate::{DatabaseUrl, Store, StoreConfig};

/// The Postgres server that test databases are created on.
pub const POSTGRES_ADMIN_URL_VAR: &str = "DCR_TEST_POSTGRES_URL";
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test and is dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    url: DatabaseUrl,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new SQLite file in the temp directory.
    pub fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!(
            "dcr-test-{}.sqlite3",
            uuid::Uuid::new_v4().simple()
        ));
        Self {
            url: DatabaseUrl::Sqlite(path.display().to_string()),
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    /// A new database on the Postgres server at `DCR_TEST_POSTGRES_URL`
    /// (default `postgres://postgres@127.0.0.1:5432/postgres`).
    ///
    /// Panics with directions when no server answers: Postgres-backed tests
    /// must never pass without Postgres.
    pub fn postgres() -> Self {
        let admin_url = postgres_admin_url();
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|err| {
            panic!(
                "Postgres-backed tests need a running PostgreSQL server, but {admin_url} could not be reached ({err}). \
                 Start one (on Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
                 or `docker compose up -d postgres`), or point {POSTGRES_ADMIN_URL_VAR} at a server where this user may CREATE DATABASE."
            )
        });
        let name = format!("dcr_test_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .unwrap_or_else(|err| {
                panic!("could not create test database {name} on {admin_url}: {err}")
            });
        let mut url = url::Url::parse(&admin_url).expect("the admin URL parsed when connecting");
        url.set_path(&name);
        Self {
            url: DatabaseUrl::Postgres(url.to_string()),
            cleanup: Cleanup::PostgresDatabase { admin_url, name },
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The database URL as `DCR_DATABASE_URL` would give it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
        }
    }

    /// The Postgres database's name, for statements about it as a whole
    /// (taking it away under a running server, bringing it back).
    pub fn postgres_name(&self) -> &str {
        match &self.cleanup {
            Cleanup::PostgresDatabase { name, .. } => name,
            Cleanup::SqliteFile(path) => panic!("{} is no Postgres database", path.display()),
        }
    }

    /// Sessions opened on this Postgres database from now on are read-only,
    /// as on a standby, or not; the open ones are ended, as a failover ends
    /// them.
    pub fn set_read_only(&self, read_only: bool) {
        let name = self.postgres_name();
        let value = if read_only { "on" } else { "off" };
        postgres_admin_sql(&format!(
            "ALTER DATABASE \"{name}\" SET default_transaction_read_only = {value}"
        ));
        postgres_admin_sql(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ));
    }

    /// A migrated store on this database.
    pub fn store(&self) -> Store {
        let store = Store::open(&StoreConfig::new(self.url.clone())).expect("the pool builds");
        store
            .run_migrations()
            .expect("migrations apply on a fresh database");
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut admin);
                }
            }
        }
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var(POSTGRES_ADMIN_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned())
}

/// Runs `statement` on the test Postgres server as its administrator,
/// outside any test database.
pub fn postgres_admin_sql(statement: &str) {
    let admin_url = postgres_admin_url();
    let mut admin = PgConnection::establish(&admin_url)
        .unwrap_or_else(|err| panic!("{admin_url} could not be reached: {err}"));
    diesel::sql_query(statement)
        .execute(&mut admin)
        .unwrap_or_else(|err| panic!("{statement}: {err}"));
}
