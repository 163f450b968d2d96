//! The batch statement on a real Postgres: one prepared statement for every
//! batch size, and every client stored with its event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dcr_core::{BcryptCost, ClientMetadata, RegisteredClient, Registration, RegistrationPolicy};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::insert_batch;
use crate::SYSTEM_USER_ID;
use crate::clients::ClientRow;
use crate::test_support::TestDatabase;

pub(crate) fn issued(seed: u64) -> RegisteredClient {
    let policy = RegistrationPolicy::default();
    let body = serde_json::json!({
        "client_name": "Claude Code (memory)",
        "redirect_uris": ["http://localhost:52413/callback"],
        "token_endpoint_auth_method": "none"
    });
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    Registration::issue(
        metadata,
        &policy,
        1_790_000_000,
        BcryptCost::new(4).unwrap(),
        &mut rng,
    )
    .unwrap()
    .client
}

pub(crate) fn count(pg: &mut PgConnection, query: &str) -> i64 {
    diesel::select(sql::<BigInt>(&format!("({query})")))
        .get_result(pg)
        .unwrap()
}

#[test]
fn batches_of_every_size_share_one_prepared_statement() {
    let database = TestDatabase::postgres();
    drop(database.store());
    let mut pg = PgConnection::establish(&database.url_string()).unwrap();
    let mut seed = 0;
    for size in [1, 3, 5, 2] {
        let clients: Vec<RegisteredClient> = (0..size)
            .map(|_| {
                seed += 1;
                issued(seed)
            })
            .collect();
        let refs: Vec<&RegisteredClient> = clients.iter().collect();
        let rows: Vec<ClientRow> = clients
            .iter()
            .map(|client| ClientRow::from_client(client, SYSTEM_USER_ID))
            .collect();
        insert_batch(&mut pg, &rows, &refs).unwrap();
    }
    // Parsed and planned once for this connection, not once per batch.
    assert_eq!(
        count(
            &mut pg,
            "SELECT count(*) FROM pg_prepared_statements \
             WHERE statement LIKE 'WITH registered AS (INSERT INTO oauth_clients%'"
        ),
        1
    );
    assert_eq!(count(&mut pg, "SELECT count(*) FROM oauth_clients"), 11);
    assert_eq!(
        count(
            &mut pg,
            "SELECT count(*) FROM audit_events e JOIN oauth_clients c \
             ON c.client_id = e.client_id AND c.created_at = e.at \
             WHERE e.event = 'registered' AND e.actor <> ''"
        ),
        11
    );
}
