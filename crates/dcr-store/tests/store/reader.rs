//! The grouped reads of the verify call: each caller hears its own client
//! (or that there is none), also when a batch asks for one client several
//! times, and a caller that stopped waiting is not served.

use std::time::Instant;

use super::*;

on_both_backends!(
    each_lookup_hears_its_own_client,
    a_lookup_whose_caller_gave_up_is_not_read,
);

/// Queues every lookup at once (so they batch), then waits for each answer.
fn find_all(
    reader: &dcr_store::ClientReader,
    ids: &[ClientId],
) -> Vec<Result<Option<RegisteredClient>, StoreError>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let answers: Vec<_> = ids
        .iter()
        .map(|id| {
            let (reply, answer) = std::sync::mpsc::channel();
            reader
                .find_by(*id, deadline, move |result| {
                    let _ = reply.send(result);
                })
                .unwrap();
            answer
        })
        .collect();
    answers
        .into_iter()
        .map(|answer| answer.recv_timeout(Duration::from_secs(30)).unwrap())
        .collect()
}

fn each_lookup_hears_its_own_client(db: &TestDatabase) {
    let store = db.store();
    let stored: Vec<RegisteredClient> = (0..3)
        .map(|seed| register(public_body(), 950 + seed).client)
        .collect();
    for client in &stored {
        store.insert_client(client).unwrap();
    }
    let missing = register(public_body(), 960).client.client_id;
    let reader = dcr_store::ClientReader::start(&store, 1, 1024).unwrap();
    // Each stored client asked for many times over, among ids no client has.
    let mut ids = Vec::new();
    for round in 0..40 {
        ids.push(stored[round % 3].client_id);
        ids.push(stored[0].client_id);
        ids.push(missing);
    }
    let answers = find_all(&reader, &ids);
    for (id, answer) in ids.iter().zip(answers) {
        let expected = stored.iter().find(|client| client.client_id == *id);
        assert_eq!(answer.unwrap().as_ref(), expected, "the answer for {id}");
    }
    let sizes = reader.batch_sizes();
    assert_eq!(sizes.rows, 120);
    assert!((2..=120).contains(&sizes.writes()), "{sizes:?}");
}

fn a_lookup_whose_caller_gave_up_is_not_read(db: &TestDatabase) {
    let store = db.store();
    let client = register(public_body(), 970).client;
    store.insert_client(&client).unwrap();
    let reader = dcr_store::ClientReader::start(&store, 1, 16).unwrap();
    let (reply, answer) = std::sync::mpsc::channel();
    reader
        .find_by(client.client_id, Instant::now(), move |result| {
            let _ = reply.send(result);
        })
        .unwrap();
    let answer = answer.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(
        matches!(answer, Err(StoreError::Unavailable(_))),
        "{answer:?}"
    );
    assert_eq!(reader.batch_sizes().rows, 0);
    // A caller still waiting is served as before.
    let answers = find_all(&reader, &[client.client_id]);
    assert_eq!(answers[0].as_ref().unwrap().as_ref(), Some(&client));
}
