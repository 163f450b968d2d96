//! The CPU of a registration and of a verify call that dcr-core does, per
//! request, for each MCP client fixture: the guard of the hot path that
//! `bench/load.sh` measures end to end (`docs/benchmarks.md`, target at most
//! 60 µs of dcr's CPU per public registration in all). Run with
//! `cargo bench -p dcr-core --bench registration`.
//!
//! - `register`: the body as bytes read, admitted under the default policy,
//!   a public client issued (id, registration access token and its digest),
//!   and its RFC 7592 answer serialised.
//! - `stored_read`: what a verify call does with a stored client: its
//!   metadata read back and its consent signals built and serialised.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dcr_core::consent::{ConsentSignals, KnownClients, Source, Subject};
use dcr_core::{ClientMetadata, Registration, RegistrationPolicy, SecretHashing, registration};
use rand::rngs::OsRng;
use serde_json::Value;

/// The repository's copy of the MCP client fixtures (`tests/fixtures/`).
const MCP_REGISTRATION_BODIES: &str =
    include_str!("../../../tests/fixtures/mcp-registration-bodies.json");

const NOW: i64 = 1_780_000_000;

/// The fixtures as public clients: the bodies the hot path serves most.
fn public_bodies() -> Vec<(String, Vec<u8>)> {
    let fixtures: Value = serde_json::from_str(MCP_REGISTRATION_BODIES).unwrap();
    fixtures["bodies"]
        .as_object()
        .expect("fixture file has a `bodies` object")
        .iter()
        .map(|(name, body)| {
            let mut body = body.clone();
            body["token_endpoint_auth_method"] = "none".into();
            (name.clone(), serde_json::to_vec(&body).unwrap())
        })
        .collect()
}

fn register(bytes: &[u8], policy: &RegistrationPolicy) -> Vec<u8> {
    let document = dcr_core::body::parse(bytes).unwrap();
    let admitted = registration::admit(&document, policy, None).unwrap();
    let issued = Registration::issue(
        admitted.metadata,
        policy,
        NOW,
        SecretHashing::Sha256,
        &mut OsRng,
    )
    .unwrap();
    let uri = format!(
        "https://auth.example.com/register/{}",
        issued.client.client_id
    );
    serde_json::to_vec(&issued.management_response_body(&uri)).unwrap()
}

fn registrations(c: &mut Criterion) {
    let policy = RegistrationPolicy::default();
    let mut group = c.benchmark_group("register");
    group.measurement_time(Duration::from_secs(3));
    for (name, bytes) in public_bodies() {
        group.bench_function(&name, |b| {
            b.iter(|| register(black_box(&bytes), black_box(&policy)))
        });
    }
    group.finish();
}

fn stored_reads(c: &mut Criterion) {
    let policy = RegistrationPolicy::default();
    let known = KnownClients::builtin();
    let mut group = c.benchmark_group("stored_read");
    group.measurement_time(Duration::from_secs(3));
    for (name, bytes) in public_bodies() {
        let document = dcr_core::body::parse(&bytes).unwrap();
        let metadata = registration::admit(&document, &policy, None)
            .unwrap()
            .metadata;
        let stored = Value::Object(metadata.to_json());
        group.bench_function(&name, |b| {
            b.iter(|| {
                let metadata = ClientMetadata::from_stored(black_box(&stored)).unwrap();
                let signals = ConsentSignals::of(
                    &Subject {
                        metadata: &metadata,
                        source: Source::Registered,
                        registered_at: Some(NOW - 60),
                        verified_host: None,
                    },
                    &known,
                    NOW,
                );
                serde_json::to_vec(&signals.to_json()).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, registrations, stored_reads);
criterion_main!(benches);
