//! The store suite: every test runs once on SQLite and once on the real
//! Postgres, each time on a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use dcr_core::{
    BcryptCost, ClientCredentials, ClientId, ClientMetadata, RegisteredClient, Registration,
    RegistrationPolicy,
};
use dcr_store::test_support::TestDatabase;
use dcr_store::{ClientFilter, DatabaseUrl, ListCursor, Store, StoreConfig, StoreError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

/// Runs each listed test on both backends.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&dcr_store::test_support::TestDatabase::sqlite()); } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(&dcr_store::test_support::TestDatabase::postgres()); } )*
        }
    };
}

mod arming;
mod audit;
mod clients;
mod closing;
mod connections;
mod dedup;
mod failover;
mod indexes;
mod lifecycle;
mod listing;
mod migrations;
mod purge;
mod reader;
mod rotation;
mod secret_tags;
mod tokens;
mod writer;

fn register(body: serde_json::Value, seed: u64) -> Registration {
    register_at(body, seed, 1_790_000_000)
}

/// A registration at `now`, under the default policy and a low bcrypt cost.
fn register_at(body: serde_json::Value, seed: u64, now: i64) -> Registration {
    let policy = RegistrationPolicy::default();
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    Registration::issue(
        metadata,
        &policy,
        now,
        BcryptCost::new(4).unwrap(),
        &mut rng,
    )
    .unwrap()
}

/// `client` updated (RFC 7592) to `metadata` at `now`, under the default
/// policy and a low bcrypt cost.
fn updated(
    client: &RegisteredClient,
    metadata: ClientMetadata,
    now: i64,
    seed: u64,
) -> dcr_core::Update {
    client
        .update(
            metadata,
            &RegistrationPolicy::default(),
            now,
            BcryptCost::new(4).unwrap(),
            &mut StdRng::seed_from_u64(seed),
        )
        .unwrap()
}

/// When the changes of a test happen, for their audit events.
const EVENT_TIME: i64 = 1_790_000_100;

/// An operator's change at [`EVENT_TIME`].
fn admin() -> dcr_core::Occasion {
    dcr_core::Occasion::admin(EVENT_TIME)
}

fn public_body() -> serde_json::Value {
    json!({
        "client_name": "Claude Code (memory)",
        "redirect_uris": ["http://localhost:52413/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}

/// A `SELECT COUNT(*) AS n` row.
#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A connection of the test's own to its database, beside the store's pool:
/// for raw SQL a test writes as an older version (or another tool) would.
fn connect(db: &TestDatabase) -> dcr_store::AnyConnection {
    use diesel::Connection as _;
    match db.url() {
        DatabaseUrl::Postgres(url) => {
            dcr_store::AnyConnection::Postgresql(diesel::PgConnection::establish(url).unwrap())
        }
        DatabaseUrl::Sqlite(path) => {
            dcr_store::AnyConnection::Sqlite(diesel::SqliteConnection::establish(path).unwrap())
        }
    }
}
