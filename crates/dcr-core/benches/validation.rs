//! How long registration validation and redirect matching take: the MCP client
//! fixtures through `ClientMetadata::from_request`, and `redirect_uri_matches`
//! at `/authorize` time. Kept short: `cargo bench -p dcr-core`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dcr_core::{ClientMetadata, RedirectUri, RegistrationPolicy, redirect_uri_matches};
use serde_json::Value;

/// The repository's copy of the MCP client fixtures (`tests/fixtures/`).
const MCP_REGISTRATION_BODIES: &str =
    include_str!("../../../tests/fixtures/mcp-registration-bodies.json");

fn fixture_bodies() -> Vec<(String, Value)> {
    let fixtures: Value = serde_json::from_str(MCP_REGISTRATION_BODIES).unwrap();
    fixtures["bodies"]
        .as_object()
        .expect("fixture file has a `bodies` object")
        .iter()
        .map(|(name, body)| (name.clone(), body.clone()))
        .collect()
}

fn validate_fixtures(c: &mut Criterion) {
    let policy = RegistrationPolicy::default();
    let mut group = c.benchmark_group("from_request");
    for (name, body) in fixture_bodies() {
        ClientMetadata::from_request(&body, &policy).unwrap();
        group.bench_function(&name, |b| {
            b.iter(|| ClientMetadata::from_request(black_box(&body), black_box(&policy)))
        });
    }
    group.finish();
}

fn match_redirect_uris(c: &mut Criterion) {
    let policy = RegistrationPolicy::default().redirect;
    let registered: Vec<RedirectUri> = [
        "https://claude.ai/api/mcp/auth_callback",
        "https://vscode.dev/redirect",
        "cursor://anysphere.cursor-retrieval/oauth/user-memory/callback",
        "http://127.0.0.1:33418/oauth/callback",
    ]
    .into_iter()
    .map(|raw| RedirectUri::parse(raw, &policy).unwrap())
    .collect();
    let presented = [
        ("exact", "https://claude.ai/api/mcp/auth_callback"),
        (
            "loopback_other_port",
            "http://127.0.0.1:61000/oauth/callback",
        ),
        ("no_match", "https://evil.example/api/mcp/auth_callback"),
    ];
    let mut group = c.benchmark_group("redirect_uri_matches");
    for (name, uri) in presented {
        group.bench_function(name, |b| {
            b.iter(|| redirect_uri_matches(black_box(&registered), black_box(uri)))
        });
    }
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500))
}

criterion_group! {
    name = benches;
    config = quick();
    targets = validate_fixtures, match_redirect_uris
}
criterion_main!(benches);
