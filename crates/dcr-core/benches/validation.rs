//! How long registration validation and redirect matching take: the MCP client
//! fixtures through `ClientMetadata::from_request`, `redirect_uri_matches` at
//! `/authorize` time, and the bodies an attacker would send, each just under the
//! body limit. Kept short: `cargo bench -p dcr-core` (`-- hostile` for those).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use dcr_core::{
    ClientMetadata, MetadataError, RedirectUri, RegistrationPolicy, redirect_uri_matches,
};
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

/// The default body limit of `POST /register`; every hostile body stays under it.
const BODY_LIMIT: usize = 64 * 1024;

/// Enough of a registration for validation to get past its first checks.
const BASE: &str = r#""redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"token_endpoint_auth_method":"none""#;

/// The body reader `POST /register` runs before validation.
fn parse_body(bytes: &[u8]) -> Result<Value, dcr_core::BodyError> {
    dcr_core::body::parse(bytes)
}

/// The whole path a body takes: bytes, JSON, validated metadata or a refusal.
fn register(
    bytes: &[u8],
    policy: &RegistrationPolicy,
) -> Option<Result<ClientMetadata, MetadataError>> {
    let body = parse_body(bytes).ok()?;
    Some(ClientMetadata::from_request(&body, policy))
}

/// `head`, then `item(0)`, `item(1)`, ... joined by `separator`, then `tail`:
/// as many items as fit under [`BODY_LIMIT`].
fn fill(head: &str, separator: &str, tail: &str, item: impl Fn(usize) -> String) -> Vec<u8> {
    let mut body = String::from(head);
    for index in 0.. {
        let separator = if index == 0 { "" } else { separator };
        let next = item(index);
        if body.len() + separator.len() + next.len() + tail.len() >= BODY_LIMIT {
            break;
        }
        body.push_str(separator);
        body.push_str(&next);
    }
    body.push_str(tail);
    body.into_bytes()
}

/// Bodies built to cost the validator the most per byte. Whether each is
/// accepted or refused is the validator's business and may change; only the
/// time is measured.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    // Printable ASCII a scope token may hold (RFC 6749 section 3.3), except the
    // two JSON would need to escape.
    let scope_chars: Vec<char> = (0x21u8..=0x7e)
        .filter(|&b| b != b'"' && b != b'\\')
        .map(char::from)
        .collect();
    let nested = format!("{}{}", "[".repeat(120), "]".repeat(120));
    vec![
        // Distinct response types: each a well-formed token.
        (
            "response_types",
            fill(&format!(r#"{{{BASE},"response_types":["#), ",", "]}", |i| {
                format!(r#""a{i}""#)
            }),
        ),
        // Distinct grant types: extension grants are absolute URIs (RFC 7591
        // section 2), so `x:N` gets further than a bare word would.
        (
            "grant_types",
            fill(&format!(r#"{{{BASE},"grant_types":["#), ",", "]}", |i| {
                format!(r#""x:{i}""#)
            }),
        ),
        // Private-use scheme URIs (RFC 8252 section 7.1), short enough that
        // thousands fit.
        (
            "redirect_uris",
            fill(
                r#"{"token_endpoint_auth_method":"none","redirect_uris":["#,
                ",",
                "]}",
                |i| format!(r#""a:/{i}""#),
            ),
        ),
        // One-character tokens one space apart.
        (
            "scope",
            fill(&format!(r#"{{{BASE},"scope":""#), " ", r#""}"#, |i| {
                scope_chars[i % scope_chars.len()].to_string()
            }),
        ),
        (
            "contacts",
            fill(&format!(r#"{{{BASE},"contacts":["#), ",", "]}", |i| {
                format!(r#""c{i}@example.com""#)
            }),
        ),
        (
            "localized_client_names",
            fill(&format!("{{{BASE},"), ",", "}", |i| {
                format!(r#""client_name#xx-{i:04}":"n""#)
            }),
        ),
        (
            "unknown_members",
            fill(&format!("{{{BASE},"), ",", "}", |i| format!(r#""x{i}":0"#)),
        ),
        (
            "jwks_keys",
            fill(&format!(r#"{{{BASE},"jwks":{{"keys":["#), ",", "]}}", |i| {
                format!(r#"{{"kty":"oct","kid":"{i}"}}"#)
            }),
        ),
        // U+0301 COMBINING ACUTE ACCENT and U+202E RIGHT-TO-LEFT OVERRIDE,
        // tens of thousands of each: two and three bytes apiece.
        (
            "client_name_combining_marks",
            fill(&format!(r#"{{{BASE},"client_name":""#), "", r#""}"#, |_| {
                "\u{301}".to_owned()
            }),
        ),
        (
            "client_name_bidi_controls",
            fill(&format!(r#"{{{BASE},"client_name":""#), "", r#""}"#, |_| {
                "\u{202e}".to_owned()
            }),
        ),
        // The most readable text a body may hold: every language-tagged
        // name the list bound allows, each the longest string allowed, of
        // two-byte characters that each need the character and NFC checks.
        (
            "localized_names_at_the_limits",
            fill(&format!("{{{BASE},"), ",", "}", |i| {
                format!(r#""client_name#x-{i:02}":"{}""#, "\u{e9}".repeat(1000))
            }),
        ),
        // Arrays 120 deep (serde_json stops at 128), in unknown members.
        (
            "nested_arrays",
            fill(&format!("{{{BASE},"), ",", "}", |i| {
                format!(r#""x{i}":{nested}"#)
            }),
        ),
        // The same member again and again: serde_json keeps the last.
        (
            "duplicate_members",
            fill(&format!("{{{BASE},"), ",", "}", |_| r#""a":1"#.to_owned()),
        ),
    ]
}

fn validate_hostile_bodies(c: &mut Criterion) {
    let policy = RegistrationPolicy::default();
    let mut group = c.benchmark_group("hostile_bodies");
    // Some of these take far longer than a fixture. Flat sampling runs the same
    // number of iterations in every sample (one, for the slowest) instead of
    // criterion's growing ramp, which keeps the group to a minute or two.
    group.sampling_mode(SamplingMode::Flat);
    for (name, bytes) in hostile_bodies() {
        assert!(bytes.len() < BODY_LIMIT, "{name} is over the body limit");
        group.bench_function(name, |b| {
            b.iter(|| register(black_box(&bytes), black_box(&policy)))
        });
    }
    group.finish();
}

/// `DCR_SECRET_HASH`: hashing a new secret and checking a presented one,
/// bcrypt at the default cost against SHA-256.
fn hash_secrets(c: &mut Criterion) {
    use dcr_core::{BcryptCost, ClientSecret, SecretHashing};
    let mut rng = rand::rngs::OsRng;
    let secret = ClientSecret::generate(&mut rng);
    let mut group = c.benchmark_group("secret_hashing");
    group.sampling_mode(SamplingMode::Flat);
    for (name, hashing) in [
        ("bcrypt_cost_12", SecretHashing::Bcrypt(BcryptCost::DEFAULT)),
        ("sha256", SecretHashing::Sha256),
    ] {
        let stored = secret.hash(hashing, &mut rng).expect("hashing works");
        group.bench_function(format!("{name}/hash"), |b| {
            b.iter(|| secret.hash(hashing, &mut rng))
        });
        group.bench_function(format!("{name}/verify"), |b| {
            b.iter(|| stored.verify(secret.expose()))
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
    targets = validate_fixtures, match_redirect_uris, validate_hostile_bodies
}
criterion_group! {
    name = hashing;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3));
    targets = hash_secrets
}
criterion_main!(benches, hashing);
