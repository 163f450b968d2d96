//! The group-commit writer: every submitted client stored, each caller told its own outcome, a full queue shedding load.

use super::*;

on_both_backends!(
    writer_stores_every_submitted_client,
    writer_reports_each_callers_own_outcome,
);

fn submit_and_wait(
    writer: &dcr_store::ClientWriter,
    clients: Vec<RegisteredClient>,
) -> Vec<Result<(), StoreError>> {
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let (reply, outcome) = std::sync::mpsc::channel();
            writer
                .submit(client, move |result| {
                    let _ = reply.send(result);
                })
                .unwrap();
            outcome
        })
        .collect();
    receivers
        .into_iter()
        .map(|outcome| outcome.recv_timeout(Duration::from_secs(30)).unwrap())
        .collect()
}

fn writer_stores_every_submitted_client(db: &TestDatabase) {
    let store = db.store();
    let writer = dcr_store::ClientWriter::start(&store, 2, 1024).unwrap();
    let clients: Vec<RegisteredClient> = (0..150)
        .map(|seed| register(public_body(), 500 + seed).client)
        .collect();
    let expected = clients.clone();
    for outcome in submit_and_wait(&writer, clients) {
        outcome.unwrap();
    }
    assert_eq!(store.count_clients().unwrap(), 150);
    for client in expected {
        assert_eq!(store.find_client(&client.client_id).unwrap(), client);
    }
}

fn writer_reports_each_callers_own_outcome(db: &TestDatabase) {
    let store = db.store();
    let existing = register(public_body(), 700).client;
    store.insert_client(&existing).unwrap();
    let writer = dcr_store::ClientWriter::start(&store, 1, 1024).unwrap();
    let mut clients: Vec<RegisteredClient> = (0..20)
        .map(|seed| register(public_body(), 701 + seed).client)
        .collect();
    clients.insert(10, existing);
    let outcomes = submit_and_wait(&writer, clients);
    for (index, outcome) in outcomes.iter().enumerate() {
        if index == 10 {
            assert!(
                matches!(outcome, Err(StoreError::Conflict(_))),
                "{outcome:?}"
            );
        } else {
            assert!(outcome.is_ok(), "client {index}: {outcome:?}");
        }
    }
    assert_eq!(store.count_clients().unwrap(), 21);
}

#[test]
fn a_full_writer_queue_sheds_load() {
    let db = TestDatabase::sqlite();
    let store = db.store();
    // No writer thread can keep up with a queue of one while we hold the
    // SQLite write lock: the second submission finds the queue full.
    use diesel::prelude::*;
    let DatabaseUrl::Sqlite(path) = db.url() else {
        unreachable!()
    };
    let mut blocker = diesel::SqliteConnection::establish(path).unwrap();
    diesel::sql_query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .unwrap();
    let writer = dcr_store::ClientWriter::start(&store, 1, 1).unwrap();
    let mut full = false;
    for seed in 0..8 {
        if writer
            .submit(register(public_body(), 800 + seed).client, |_| {})
            .is_err()
        {
            full = true;
            break;
        }
    }
    diesel::sql_query("ROLLBACK").execute(&mut blocker).unwrap();
    assert!(full, "a bounded queue must refuse work once full");
}
