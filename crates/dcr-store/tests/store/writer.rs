//! The group-commit writer: every submitted client stored, each caller told its own outcome, a full queue shedding load, and nothing stored for a caller that gave up.

use super::*;

on_both_backends!(
    writer_stores_every_submitted_client,
    a_lone_registration_is_written_as_a_batch_of_one,
    writer_reports_each_callers_own_outcome,
    a_registration_whose_caller_gave_up_is_not_stored,
    work_past_its_deadline_never_reaches_the_database,
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
    let sizes = writer.batch_sizes();
    assert_eq!(sizes.rows, 150);
    assert!(
        (3..=150).contains(&sizes.writes()),
        "150 rows in batches of at most 64: {sizes:?}"
    );
}

fn a_lone_registration_is_written_as_a_batch_of_one(db: &TestDatabase) {
    let store = db.store();
    let writer = dcr_store::ClientWriter::start(&store, 1, 16).unwrap();
    for seed in 0..3 {
        let client = register(public_body(), 600 + seed).client;
        for outcome in submit_and_wait(&writer, vec![client]) {
            outcome.unwrap();
        }
    }
    assert_eq!(
        writer.batch_sizes(),
        dcr_store::BatchSizes {
            per_bucket: [3, 0, 0, 0, 0, 0, 0],
            rows: 3
        }
    );
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

/// Submits `client` for a caller that waits until `deadline`; the outcome.
fn store_by(
    writer: &dcr_store::ClientWriter,
    client: RegisteredClient,
    deadline: std::time::Instant,
) -> Result<(), StoreError> {
    let (reply, outcome) = std::sync::mpsc::channel();
    writer
        .submit_by(client, deadline, move |result| {
            let _ = reply.send(result);
        })
        .unwrap();
    outcome.recv_timeout(Duration::from_secs(30)).unwrap()
}

/// A caller that stopped waiting (a request answered 503) must not have its
/// client stored behind its back.
fn a_registration_whose_caller_gave_up_is_not_stored(db: &TestDatabase) {
    let store = db.store();
    let writer = dcr_store::ClientWriter::start(&store, 1, 16).unwrap();
    let given_up = std::time::Instant::now();
    let outcome = store_by(&writer, register(public_body(), 900).client, given_up);
    assert!(
        matches!(outcome, Err(StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    // A caller still waiting is served as before.
    let waiting = std::time::Instant::now() + Duration::from_secs(30);
    store_by(&writer, register(public_body(), 901).client, waiting).unwrap();
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn work_past_its_deadline_never_reaches_the_database(db: &TestDatabase) {
    let store = db.store();
    let client = register(public_body(), 902).client;
    let late = store.run_by(std::time::Instant::now(), |store| {
        store.insert_client(&client)
    });
    assert!(matches!(late, Err(StoreError::Unavailable(_))), "{late:?}");
    let in_time = std::time::Instant::now() + Duration::from_secs(30);
    store
        .run_by(in_time, |store| store.insert_client(&client))
        .unwrap();
    assert_eq!(store.count_clients().unwrap(), 1);
}
