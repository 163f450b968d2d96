//! Properties of request validation over arbitrary JSON: it never panics, every
//! error is well-formed, and whatever it accepts survives storage unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

use super::*;
use crate::error::ErrorCode;
use crate::grant_types::check_consistency;
use crate::test_support::{implicit_policy, mcp_bodies};

/// Every member name the validator knows, plus language-tagged ones.
fn fields() -> Vec<&'static str> {
    let mut fields = KNOWN_MEMBERS.to_vec();
    fields.extend(["client_name#fr", "client_name#ja-Jpan-JP", "logo_uri#de"]);
    fields
}

/// Strings that mean something to some member, valid or nearly so.
static MEANINGFUL: [&str; 34] = [
    "",
    "https://app.example/cb",
    "https://claude.ai/api/mcp/auth_callback",
    "http://localhost:33418/callback",
    "http://127.0.0.1:33418",
    "http://[::1]:8080/cb",
    "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
    "com.example.app:/oauth2redirect",
    "http://example.com/cb",
    "https://a.example/cb#frag",
    "https://@a.example/",
    "javascript:alert(1)",
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "implicit",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
    "code",
    "token",
    "code id_token",
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "web",
    "native",
    "read write",
    "mcp:tools read read",
    "ops@app.example",
    "Claude",
    "a\u{0}b",
    "tab\there",
];

fn meaningful_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&MEANINGFUL[..]).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[ -~]{0,24}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(fields()).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "keys|kty|[a-z_]{1,8}(#[a-zA-Z0-9-]{0,10})?",
    ]
}

/// Arbitrary JSON values, biased toward the shapes registration reads.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        meaningful_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Request bodies: an object of real member names whose values are mostly of
/// the right shape, so that many are accepted and the rest fail late.
fn request_body() -> impl Strategy<Value = Value> {
    let string_list = prop::collection::vec(meaningful_string().prop_map(Value::String), 0..4)
        .prop_map(Value::Array);
    let member_value = prop_oneof![
        4 => meaningful_string().prop_map(Value::String),
        4 => string_list,
        1 => Just(serde_json::json!({ "keys": [{ "kty": "EC" }] })),
        2 => json_value(),
    ];
    prop::collection::vec((key(), member_value), 0..10).prop_map(|members| {
        let mut body: Map<String, Value> = members.into_iter().collect();
        // Most clients send redirect URIs; a valid one makes acceptance likely.
        body.entry("redirect_uris")
            .or_insert_with(|| serde_json::json!(["https://app.example/cb"]));
        Value::Object(body)
    })
}

fn policies() -> impl Strategy<Value = RegistrationPolicy> {
    prop::sample::select(vec![
        RegistrationPolicy::default(),
        implicit_policy(),
        RegistrationPolicy {
            allowed_scopes: Some(Scope::parse("read write mcp:tools").unwrap()),
            scope_overflow: ScopeOverflow::Narrow,
            default_scope: Scope::parse("read").unwrap(),
            ..RegistrationPolicy::default()
        },
        RegistrationPolicy::permissive(),
    ])
}

/// RFC 6749 section 5.2: `error_description` is `%x20-21 / %x23-5B / %x5D-7E`.
fn is_rfc6749_safe(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The invariants of one validation outcome.
fn check_outcome(body: &Value, policy: &RegistrationPolicy) -> Result<(), TestCaseError> {
    match ClientMetadata::from_request(body, policy) {
        Ok(metadata) => {
            let stored = Value::Object(metadata.to_json());
            let read_back = ClientMetadata::from_stored(&stored);
            prop_assert_eq!(read_back.as_ref(), Ok(&metadata), "stored as {}", stored);
            // Stored again, it reads back the same JSON.
            prop_assert_eq!(&Value::Object(read_back.unwrap().to_json()), &stored);
            prop_assert!(policy.supports_auth_method(metadata.token_endpoint_auth_method));
            prop_assert!(!metadata.uses_redirects() || !metadata.redirect_uris.is_empty());
            prop_assert!(
                check_consistency(&metadata.grant_types, &metadata.response_types).is_ok()
            );
            prop_assert!(!(metadata.jwks.is_some() && metadata.jwks_uri.is_some()));
            if let Some(allowed) = &policy.allowed_scopes {
                prop_assert!(metadata.scope.is_within(allowed));
            }
            for text in stored
                .as_object()
                .unwrap()
                .values()
                .filter_map(Value::as_str)
            {
                prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
            }
        }
        Err(error) => {
            prop_assert!(error.pointer.is_empty() || error.pointer.starts_with('/'));
            prop_assert!(is_rfc6749_safe(&error.description()), "{:?}", error);
            if error.code() == ErrorCode::InvalidRedirectUri {
                prop_assert!(error.pointer.starts_with("/redirect_uris"));
            }
            if error.pointer.is_empty() {
                prop_assert!(!body.is_object());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_json(body in json_value(), policy in policies()) {
        check_outcome(&body, &policy)?;
    }

    #[test]
    fn accepted_requests_survive_storage(body in request_body(), policy in policies()) {
        check_outcome(&body, &policy)?;
    }

    /// The MCP fixtures with one member replaced by anything.
    #[test]
    fn mutated_fixtures(
        index in 0usize..6,
        field in prop::sample::select(fields()),
        value in json_value(),
        policy in policies(),
    ) {
        let bodies = mcp_bodies();
        let (_, mut body) = bodies[index % bodies.len()].clone();
        body[field] = value;
        check_outcome(&body, &policy)?;
    }
}
