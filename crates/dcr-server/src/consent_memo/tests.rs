//! A remembered answer is the answer worked out afresh, at every moment
//! and after every change; memory stays within its capacity.

use dcr_core::{RegistrationPolicy, SecretHashing};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::*;
use crate::admin::views::consent_view;

const NOW: i64 = 1_796_068_798;

fn known() -> Arc<KnownClients> {
    Arc::new(KnownClients::builtin())
}

fn client(body: &Value, seed: u64) -> RegisteredClient {
    let policy = RegistrationPolicy::default();
    let metadata = ClientMetadata::from_request(body, &policy).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    dcr_core::Registration::issue(
        metadata,
        &policy,
        NOW - 600,
        SecretHashing::Sha256,
        &mut rng,
    )
    .unwrap()
    .client
}

fn claude_code(seed: u64) -> RegisteredClient {
    client(
        &json!({
            "client_name": "Claude Code (memory)",
            "redirect_uris": ["http://localhost:52413/callback"],
            "token_endpoint_auth_method": "none"
        }),
        seed,
    )
}

#[test]
fn a_client_asked_again_is_answered_from_memory_with_its_age_moved() {
    let memo = ConsentMemo::new(known(), REMEMBERED_CLIENTS, REMEMBERED_BYTES);
    let client = claude_code(1);
    assert_eq!(
        memo.view(&client, NOW),
        consent_view(&client, &known(), NOW)
    );
    let first = memo.signals_of(&client.client_id).unwrap();
    let later = memo.view(&client, NOW + 60);
    assert!(Arc::ptr_eq(
        &first,
        &memo.signals_of(&client.client_id).unwrap()
    ));
    assert_eq!(later, consent_view(&client, &known(), NOW + 60));
    assert_eq!(later["age_secs"], 660);
    assert_eq!(later["known_client"], "Claude Code");
}

#[test]
fn a_client_whose_metadata_changed_is_worked_out_again() {
    let memo = ConsentMemo::new(known(), REMEMBERED_CLIENTS, REMEMBERED_BYTES);
    let mut client = claude_code(1);
    memo.view(&client, NOW);
    let before = memo.signals_of(&client.client_id).unwrap();
    // Renamed (RFC 7592) to another known client's name, redirects kept.
    let renamed = client_metadata_named("Cursor", &client);
    client.metadata = renamed;
    let after = memo.view(&client, NOW);
    assert_eq!(after, consent_view(&client, &known(), NOW));
    assert_ne!(after["name_flags"], json!([]), "{after}");
    assert!(!Arc::ptr_eq(
        &before,
        &memo.signals_of(&client.client_id).unwrap()
    ));
    // Registered by an operator instead: another source, worked out again.
    client.provenance.via = dcr_core::RegisteredVia::Admin;
    let by_admin = memo.view(&client, NOW);
    assert_eq!(by_admin["source"], "admin");
    assert_eq!(by_admin, consent_view(&client, &known(), NOW));
}

fn client_metadata_named(name: &str, client: &RegisteredClient) -> ClientMetadata {
    let mut body = client.metadata.to_json();
    body.insert("client_name".into(), name.into());
    ClientMetadata::from_request(&Value::Object(body), &RegistrationPolicy::default()).unwrap()
}

#[test]
fn memory_holds_at_most_its_capacity_and_still_answers_right() {
    let memo = ConsentMemo::new(known(), 2, REMEMBERED_BYTES);
    let clients: Vec<RegisteredClient> = (1..=5).map(claude_code).collect();
    for round in 0..2 {
        for client in &clients {
            let now = NOW + round;
            assert_eq!(memo.view(client, now), consent_view(client, &known(), now));
            assert!(memo.held().0 <= 2);
        }
    }
    assert_eq!(memo.held().0, 2);
}

#[test]
fn memory_holds_at_most_its_bytes_and_never_a_client_heavier_than_all_of_them() {
    let one = claude_code(1);
    let memo = ConsentMemo::new(known(), REMEMBERED_CLIENTS, 10_000);
    memo.view(&one, NOW);
    let (_, weight) = memo.held();
    assert!(weight > 0 && weight < 10_000, "{weight}");
    let budget = 3 * weight;
    let memo = ConsentMemo::new(known(), REMEMBERED_CLIENTS, budget);
    for seed in 1..=10 {
        let client = claude_code(seed);
        assert_eq!(
            memo.view(&client, NOW),
            consent_view(&client, &known(), NOW)
        );
        let (count, bytes) = memo.held();
        assert!(
            bytes <= budget && count <= 3,
            "{count} entries, {bytes} bytes"
        );
    }
    assert_eq!(memo.held(), (3, budget));
    // Asked about again, a client replaces its own entry, not another's.
    let last = claude_code(10);
    memo.view(&last, NOW + 1);
    assert_eq!(memo.held(), (3, budget));
    let heavy = ConsentMemo::new(known(), REMEMBERED_CLIENTS, weight - 1);
    assert_eq!(heavy.view(&one, NOW), consent_view(&one, &known(), NOW));
    assert_eq!(heavy.held(), (0, 0));
}
