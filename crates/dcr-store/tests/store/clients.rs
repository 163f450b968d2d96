//! Storing and reading clients: round trips of every member, secrets stored only as hashes, rows from older rules, conflicts, concurrent and batch inserts.

use super::*;

on_both_backends!(
    provenance_round_trips_and_old_rows_have_none,
    public_client_round_trips,
    confidential_client_stores_only_a_verifiable_hash,
    every_metadata_member_round_trips,
    rows_stored_under_older_rules_still_load_list_and_hide_private_keys,
    unknown_client_is_not_found,
    duplicate_client_id_is_a_conflict,
    a_write_that_may_have_committed_is_found_stored_once,
    concurrent_inserts_all_land,
    batch_insert_stores_every_client,
    batch_insert_is_all_or_nothing,
);

fn public_client_round_trips(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1);
    assert!(registration.secret.is_none());
    store.insert_client(&registration.client).unwrap();
    let found = store.find_client(&registration.client.client_id).unwrap();
    assert_eq!(found, registration.client);
    assert_eq!(found.credentials, ClientCredentials::Public);
}

fn confidential_client_stores_only_a_verifiable_hash(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_post");
    let registration = register(body, 2);
    let secret = registration.secret.as_ref().unwrap();
    store.insert_client(&registration.client).unwrap();
    let found = store.find_client(&registration.client.client_id).unwrap();
    let ClientCredentials::Confidential { secret_hash, .. } = &found.credentials else {
        panic!("a confidential client came back public");
    };
    assert!(secret_hash.as_stored().starts_with("$2b$04$"));
    assert_ne!(secret_hash.as_stored(), secret.expose());
    assert!(secret_hash.verify(secret.expose()));
    assert!(!secret_hash.verify("not-the-secret"));
}

fn every_metadata_member_round_trips(db: &TestDatabase) {
    let store = db.store();
    let registration = register(
        json!({
            "client_name": "Inspector \u{1F50E} ünïcode",
            "client_name#fr": "Inspecteur",
            "client_name#ja-Jpan-JP": "インスペクター",
            "logo_uri#fr": "https://example.com/fr/logo.png",
            "client_uri": "https://github.com/modelcontextprotocol/inspector",
            "logo_uri": "https://example.com/logo.png",
            "tos_uri": "https://example.com/tos",
            "policy_uri": "https://example.com/policy",
            "redirect_uris": [
                "http://localhost:6274/oauth/callback",
                "http://localhost:6274/oauth/callback/debug",
                "com.example.app:/oauth2redirect"
            ],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "openid profile mcp:tools",
            "contacts": ["ops@example.com", "dev@example.com"],
            "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "abc", "y": "def"}]},
            "software_id": "com.example.inspector",
            "software_version": "1.2.3",
            "application_type": "native"
        }),
        3,
    );
    store.insert_client(&registration.client).unwrap();
    let found: RegisteredClient = store.find_client(&registration.client.client_id).unwrap();
    assert_eq!(found.metadata, registration.client.metadata);
    assert_eq!(
        found.metadata.to_json(),
        registration.client.metadata.to_json()
    );
    assert_eq!(found.issued_at, 1_790_000_000);
    assert!(found.active);
}

/// Rules added for hostile input apply to requests. A row stored before them,
/// with what they now refuse, still loads, lists and shows; key material it
/// may hold is never read back.
fn rows_stored_under_older_rules_still_load_list_and_hide_private_keys(db: &TestDatabase) {
    use diesel::prelude::*;
    let store = db.store();
    let old = json!({
        "client_name": "Old\u{202E}txt.exe",
        "redirect_uris": ["myapp://cb", "http://localhost:3000/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "client_uri": "http://localhost:3000",
        "logo_uri": "https://10.0.0.1/logo.png",
        "contacts": ["ops\u{200B}@example.com"],
        "jwks": {"keys": [{"kty": "RSA", "n": "0vx7", "e": "AQAB"}]}
    });
    assert!(ClientMetadata::from_request(&old, &RegistrationPolicy::default()).is_err());
    let mut client = register(public_body(), 17).client;
    client.metadata = ClientMetadata::from_stored(&old).unwrap();
    store.insert_client(&client).unwrap();
    // What an older version could have written into the JSON column: a key
    // with its private half.
    let mut conn = connect(db);
    let stored_metadata: String = diesel::sql_query(format!(
        "SELECT metadata AS text FROM oauth_clients WHERE client_id = '{}'",
        client.client_id
    ))
    .get_result::<Text>(&mut conn)
    .unwrap()
    .text;
    let with_private_key = stored_metadata.replace(
        r#""kty":"RSA""#,
        r#""kty":"RSA","d":"private-exponent","p":"prime""#,
    );
    assert_ne!(with_private_key, stored_metadata);
    diesel::sql_query(format!(
        "UPDATE oauth_clients SET metadata = '{}' WHERE client_id = '{}'",
        with_private_key.replace('\'', "''"),
        client.client_id
    ))
    .execute(&mut conn)
    .unwrap();

    let found = store.find_client(&client.client_id).unwrap();
    assert_eq!(found.metadata, client.metadata);
    assert_eq!(
        found.metadata.client_name.as_deref(),
        Some("Old\u{202E}txt.exe")
    );
    let shown = serde_json::Value::Object(found.metadata.to_json()).to_string();
    assert!(!shown.contains("private-exponent") && !shown.contains("prime"));
    let page = store
        .list_clients(&ClientFilter::default(), 10, None)
        .unwrap();
    assert_eq!(page.clients.len(), 1);
    assert_eq!(page.clients[0].metadata, client.metadata);
    // The credential check refuses it: a public client with a grant that
    // needs client authentication.
    assert!(!found.verify_credentials(None, 1_790_000_001));
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

fn unknown_client_is_not_found(db: &TestDatabase) {
    let store = db.store();
    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(matches!(
        store.find_client(&unknown),
        Err(StoreError::NotFound)
    ));
}

fn duplicate_client_id_is_a_conflict(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 4);
    store.insert_client(&registration.client).unwrap();
    assert!(matches!(
        store.insert_client(&registration.client),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.count_clients().unwrap(), 1);
}

/// The registration writers' second try after a batch lost its connection
/// (a killed primary whose commit reached the promoted standby): the row
/// already there is the client's own, with its one event.
fn a_write_that_may_have_committed_is_found_stored_once(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 5);
    store.insert_client(&registration.client).unwrap();
    store.insert_client_again(&registration.client).unwrap();
    assert_eq!(store.count_clients().unwrap(), 1);
    let events = store
        .client_events(&registration.client.client_id.to_string(), None, 10)
        .unwrap();
    assert_eq!(events.len(), 1);
    // Never stored before: stored now, as by a first try.
    let fresh = register(public_body(), 6);
    store.insert_client_again(&fresh.client).unwrap();
    assert_eq!(
        store.find_client(&fresh.client.client_id).unwrap(),
        fresh.client
    );
}

fn concurrent_inserts_all_land(db: &TestDatabase) {
    let store = db.store();
    let threads: Vec<_> = (0..24)
        .map(|seed| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.insert_client(&register(public_body(), 100 + seed).client)
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
    assert_eq!(store.count_clients().unwrap(), 24);
}

fn batch_insert_stores_every_client(db: &TestDatabase) {
    let store = db.store();
    let mut public = register(public_body(), 400);
    public.client.provenance.address = Some("192.0.2.40".into());
    let mut confidential_body = public_body();
    confidential_body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let confidential = register(confidential_body, 401);
    let mut third = register(public_body(), 402);
    third.client.provenance.via = dcr_core::RegisteredVia::Admin;
    store
        .insert_clients(&[&public.client, &confidential.client, &third.client])
        .unwrap();
    let actors = [
        dcr_core::Actor::Client(Some("192.0.2.40".into())),
        dcr_core::Actor::Client(None),
        dcr_core::Actor::Admin,
    ];
    for (registration, actor) in [&public, &confidential, &third].into_iter().zip(actors) {
        let client = &registration.client;
        assert_eq!(store.find_client(&client.client_id).unwrap(), *client);
        // Each client with its own event, and no other.
        let events = store
            .client_events(&client.client_id.to_string(), None, 10)
            .unwrap();
        let events: Vec<_> = events
            .into_iter()
            .map(|event| (event.kind, event.at, event.actor, event.token_id))
            .collect();
        assert_eq!(
            events,
            [(
                dcr_core::EventKind::Registered,
                client.issued_at,
                actor,
                None
            )]
        );
    }
}

fn batch_insert_is_all_or_nothing(db: &TestDatabase) {
    let store = db.store();
    let existing = register(public_body(), 410);
    store.insert_client(&existing.client).unwrap();
    let fresh = register(public_body(), 411);
    assert!(matches!(
        store.insert_clients(&[&fresh.client, &existing.client]),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.find_client(&fresh.client.client_id),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_clients().unwrap(), 1);
}

/// Where a client came from is stored beside it; a row from before it was
/// recorded reads back as an open registration from an unknown address.
fn provenance_round_trips_and_old_rows_have_none(db: &TestDatabase) {
    use diesel::prelude::*;
    let store = db.store();
    let mut client = register(public_body(), 31).client;
    client.provenance = dcr_core::Provenance {
        address: Some("198.51.100.7".into()),
        user_agent: Some("claude-code/2.0.1 \"quoted\"".into()),
        via: dcr_core::RegisteredVia::Admin,
        token_id: None,
        software_statement_issuer: Some("https://registry.example.com".into()),
    };
    store.insert_client(&client).unwrap();
    assert_eq!(store.find_client(&client.client_id).unwrap(), client);

    // A provenance written before statements were verified has no issuer.
    let earlier = register(public_body(), 33).client;
    store.insert_client(&earlier).unwrap();
    let mut conn = connect(db);
    diesel::sql_query(format!(
        "UPDATE oauth_clients SET provenance = '{{\"address\":null,\"user_agent\":\"node\",\"via\":\"open\",\"token_id\":null}}' WHERE client_id = '{}'",
        earlier.client_id
    ))
    .execute(&mut conn)
    .unwrap();
    let found = store.find_client(&earlier.client_id).unwrap();
    assert_eq!(found.provenance.user_agent.as_deref(), Some("node"));
    assert_eq!(found.provenance.software_statement_issuer, None);
    drop(conn);

    let old = register(public_body(), 32).client;
    store.insert_client(&old).unwrap();
    let mut conn = connect(db);
    diesel::sql_query(format!(
        "UPDATE oauth_clients SET provenance = NULL WHERE client_id = '{}'",
        old.client_id
    ))
    .execute(&mut conn)
    .unwrap();
    let found = store.find_client(&old.client_id).unwrap();
    assert_eq!(found.provenance, dcr_core::Provenance::default());
}
