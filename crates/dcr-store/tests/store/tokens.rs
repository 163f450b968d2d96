//! Initial access tokens: stored as digests, spent atomically with the
//! client they authorize.

use dcr_core::{InitialAccessToken, Occasion, TokenId, TokenRequest};
use dcr_store::{StoredToken, TokenState};

use super::*;

on_both_backends!(
    tokens_round_trip_and_are_found_by_digest_only,
    revoking_is_recorded_once_and_keeps_the_token_listed,
    a_token_is_spent_with_the_client_it_authorizes,
    a_spent_expired_or_revoked_token_stores_nothing,
    replicas_cannot_overspend_a_token,
);

fn new_token(
    seed: u64,
    max_uses: Option<u64>,
    expires_at: Option<i64>,
) -> (InitialAccessToken, StoredToken) {
    let mut rng = StdRng::seed_from_u64(seed);
    let policy = TokenRequest::from_json(
        &json!({"policy": {"scope": "mcp:tools mcp:admin", "redirect_uri_hosts": ["localhost"]}}),
        &RegistrationPolicy::default(),
    )
    .unwrap()
    .policy;
    let token = InitialAccessToken::generate(&mut rng);
    let stored = StoredToken {
        id: TokenId::generate(&mut rng),
        description: Some("Partner \u{c9}".into()),
        policy,
        max_uses,
        uses: 0,
        created_at: EVENT_TIME,
        expires_at,
        revoked_at: None,
    };
    (token, stored)
}

/// A client registered with `token` at `EVENT_TIME`.
fn client_of(token: &TokenId, seed: u64) -> RegisteredClient {
    let mut client = register_at(public_body(), seed, EVENT_TIME).client;
    client.provenance.via = dcr_core::RegisteredVia::Token;
    client.provenance.token_id = Some(token.clone());
    client
}

fn tokens_round_trip_and_are_found_by_digest_only(db: &TestDatabase) {
    let store = db.store();
    let (token, stored) = new_token(1, Some(3), Some(EVENT_TIME + 60));
    store
        .insert_token(&stored, &token.digest(), &admin())
        .unwrap();
    assert_eq!(store.find_token(&stored.id).unwrap(), stored);
    assert_eq!(store.find_token_by_digest(&token.digest()).unwrap(), stored);
    assert_eq!(store.list_tokens().unwrap(), vec![stored.clone()]);
    assert!(matches!(
        store.find_token_by_digest(&dcr_core::TokenDigest::of(&stored.id.to_string())),
        Err(StoreError::NotFound)
    ));
    // The token itself is nowhere in the table.
    let mut conn = connect(db);
    let rows: Vec<Count> = diesel::RunQueryDsl::load(
        diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM initial_access_tokens WHERE token_digest = '{}' OR policy LIKE '%{}%'",
            token.expose(),
            token.expose()
        )),
        &mut conn,
    )
    .unwrap();
    assert_eq!(rows[0].n, 0);

    assert_eq!(stored.state(EVENT_TIME), TokenState::Active);
    assert_eq!(stored.state(EVENT_TIME + 60), TokenState::Expired);
    let used_up = StoredToken {
        uses: 3,
        ..stored.clone()
    };
    assert_eq!(used_up.state(EVENT_TIME), TokenState::UsedUp);
    let revoked = StoredToken {
        revoked_at: Some(EVENT_TIME),
        ..stored
    };
    assert_eq!(revoked.state(EVENT_TIME), TokenState::Revoked);
}

fn revoking_is_recorded_once_and_keeps_the_token_listed(db: &TestDatabase) {
    let store = db.store();
    let (token, stored) = new_token(2, None, None);
    store
        .insert_token(&stored, &token.digest(), &admin())
        .unwrap();
    let revoked = store
        .revoke_token(&stored.id, &Occasion::admin(EVENT_TIME + 5))
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(EVENT_TIME + 5));
    // Again: the first revocation stands.
    let again = store
        .revoke_token(&stored.id, &Occasion::admin(EVENT_TIME + 9))
        .unwrap();
    assert_eq!(again.revoked_at, Some(EVENT_TIME + 5));
    assert_eq!(store.list_tokens().unwrap(), vec![revoked]);
    let unknown = TokenId::generate(&mut StdRng::seed_from_u64(99));
    assert!(matches!(
        store.revoke_token(&unknown, &admin()),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        token_events(db),
        vec!["token_created".to_owned(), "token_revoked".to_owned()]
    );
}

fn token_events(db: &TestDatabase) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Kind {
        #[diesel(sql_type = diesel::sql_types::Text)]
        event: String,
    }
    let mut conn = connect(db);
    let rows: Vec<Kind> = diesel::RunQueryDsl::load(
        diesel::sql_query("SELECT event FROM audit_events WHERE token_id IS NOT NULL ORDER BY id"),
        &mut conn,
    )
    .unwrap();
    rows.into_iter().map(|row| row.event).collect()
}

fn a_token_is_spent_with_the_client_it_authorizes(db: &TestDatabase) {
    let store = db.store();
    let (token, stored) = new_token(3, Some(2), None);
    store
        .insert_token(&stored, &token.digest(), &admin())
        .unwrap();
    let client = client_of(&stored.id, 30);
    store.insert_client_with_token(&client, &stored.id).unwrap();
    assert_eq!(store.find_client(&client.client_id).unwrap(), client);
    assert_eq!(store.find_token(&stored.id).unwrap().uses, 1);
    let events = store
        .client_events(&client.client_id.to_string(), None, 10)
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, dcr_core::EventKind::Registered);
    assert_eq!(events[0].token_id.as_deref(), Some(stored.id.as_str()));
}

fn a_spent_expired_or_revoked_token_stores_nothing(db: &TestDatabase) {
    let store = db.store();
    let (token, once) = new_token(4, Some(1), None);
    store
        .insert_token(&once, &token.digest(), &admin())
        .unwrap();
    store
        .insert_client_with_token(&client_of(&once.id, 40), &once.id)
        .unwrap();
    let (expired_token, expired) = new_token(5, None, Some(EVENT_TIME));
    store
        .insert_token(&expired, &expired_token.digest(), &admin())
        .unwrap();
    let (revoked_token, revoked) = new_token(6, None, None);
    store
        .insert_token(&revoked, &revoked_token.digest(), &admin())
        .unwrap();
    store.revoke_token(&revoked.id, &admin()).unwrap();
    let unknown = TokenId::generate(&mut StdRng::seed_from_u64(7));

    for (seed, id) in [
        (41, &once.id),
        (42, &expired.id),
        (43, &revoked.id),
        (44, &unknown),
    ] {
        let client = client_of(id, seed);
        assert!(
            matches!(
                store.insert_client_with_token(&client, id),
                Err(StoreError::NotFound)
            ),
            "{id}"
        );
        assert!(matches!(
            store.find_client(&client.client_id),
            Err(StoreError::NotFound)
        ));
    }
    assert_eq!(store.find_token(&once.id).unwrap().uses, 1);
    assert_eq!(store.find_token(&expired.id).unwrap().uses, 0);
}

/// Several stores (as replicas have) spend one token at once: exactly
/// `max_uses` registrations are stored.
fn replicas_cannot_overspend_a_token(db: &TestDatabase) {
    let (token, stored) = new_token(8, Some(3), None);
    db.store()
        .insert_token(&stored, &token.digest(), &admin())
        .unwrap();
    let replicas: Vec<Store> = (0..4)
        .map(|_| Store::open(&StoreConfig::new(db.url().clone())).unwrap())
        .collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(12));
    let handles: Vec<_> = (0..12u64)
        .map(|attempt| {
            let store = replicas[usize::try_from(attempt).unwrap() % replicas.len()].clone();
            let barrier = barrier.clone();
            let id = stored.id.clone();
            let client = client_of(&id, 100 + attempt);
            std::thread::spawn(move || {
                barrier.wait();
                store.insert_client_with_token(&client, &id)
            })
        })
        .collect();
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let stored_clients = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Ok(()) | Err(StoreError::NotFound)),
            "{outcome:?}"
        );
    }
    assert_eq!(stored_clients, 3);
    assert_eq!(db.store().count_clients().unwrap(), 3);
    assert_eq!(db.store().find_token(&stored.id).unwrap().uses, 3);
}
