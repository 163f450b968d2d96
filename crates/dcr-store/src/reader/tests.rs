//! The readers' statement on a real Postgres: one prepared statement for
//! every batch size, and each id read back as the client stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dcr_core::{ClientId, RegisteredClient};
use diesel::prelude::*;

use super::ClientsById;
use crate::clients::ClientRow;
use crate::registrations::tests::{count, issued};
use crate::test_support::TestDatabase;

fn stored(database: &TestDatabase) -> Vec<RegisteredClient> {
    let clients: Vec<RegisteredClient> = (1..=4).map(issued).collect();
    let refs: Vec<&RegisteredClient> = clients.iter().collect();
    database.store().insert_clients(&refs).unwrap();
    clients
}

#[test]
fn reads_of_every_size_share_one_prepared_statement() {
    let database = TestDatabase::postgres();
    let clients = stored(&database);
    let mut pg = PgConnection::establish(&database.url_string()).unwrap();
    let unknown = issued(99).client_id.to_string();
    let id = |index: usize| clients[index].client_id.to_string();
    let batches = [
        vec![id(0)],
        vec![id(1), unknown.clone(), id(2)],
        vec![id(3), id(3), id(0), id(1), id(2)],
        vec![unknown],
    ];
    let mut read = Vec::new();
    for ids in &batches {
        let rows: Vec<ClientRow> = ClientsById::new(ids).load(&mut pg).unwrap();
        read.push(rows.len());
    }
    // Each stored client once, whatever repeats; none for an unknown id.
    assert_eq!(read, [1, 2, 4, 0]);
    assert_eq!(
        count(
            &mut pg,
            "SELECT count(*) FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT %FROM oauth_clients WHERE client_id = ANY($1)'"
        ),
        1
    );
}

#[test]
fn a_read_gives_back_each_client_as_stored_on_both_backends() {
    for database in [TestDatabase::sqlite(), TestDatabase::postgres()] {
        let clients = stored(&database);
        let store = database.store();
        let mut ids: Vec<ClientId> = clients.iter().map(|client| client.client_id).collect();
        ids.push(issued(99).client_id);
        let found = store.find_clients(&ids).unwrap();
        assert_eq!(found.len(), clients.len());
        for client in &clients {
            let read = found[&client.client_id.to_string()].as_ref().unwrap();
            assert_eq!(read, client);
        }
    }
}
