#![allow(clippy::unwrap_used, clippy::panic)]

use serde_json::{Value, json};

use super::*;
use crate::scope::Scope;

mod extra;

const BASE: &str = "https://dcr.example.com";

fn url(raw: &str) -> Url {
    Url::parse(raw).unwrap()
}

/// The inputs, owned, so that each case can change one.
struct Inputs {
    issuer: Option<Url>,
    authorization_endpoint: Option<Url>,
    token_endpoint: Option<Url>,
    code_challenge_methods: Vec<String>,
    policy: RegistrationPolicy,
    url_client_ids: bool,
    extra: ExtraMetadata,
}

fn document_with(change: impl FnOnce(&mut Inputs)) -> Map<String, Value> {
    let mut inputs = Inputs {
        issuer: None,
        authorization_endpoint: Some(url("https://auth.example.com/authorize")),
        token_endpoint: Some(url("https://auth.example.com/token")),
        code_challenge_methods: vec!["S256".to_owned()],
        policy: RegistrationPolicy::default(),
        url_client_ids: false,
        extra: ExtraMetadata::default(),
    };
    change(&mut inputs);
    ServerMetadata {
        issuer: inputs.issuer.as_ref(),
        base: BASE,
        authorization_endpoint: inputs.authorization_endpoint.as_ref(),
        token_endpoint: inputs.token_endpoint.as_ref(),
        code_challenge_methods: &inputs.code_challenge_methods,
        policy: &inputs.policy,
        url_client_ids: inputs.url_client_ids,
        extra: &inputs.extra,
    }
    .document()
}

#[test]
fn the_document_says_what_registration_accepts() {
    let document = document_with(|_| {});
    assert_eq!(
        Value::Object(document),
        json!({
            "issuer": BASE,
            "authorization_endpoint": "https://auth.example.com/authorize",
            "token_endpoint": "https://auth.example.com/token",
            "registration_endpoint": "https://dcr.example.com/register",
            "token_endpoint_auth_methods_supported":
                ["none", "client_secret_basic", "client_secret_post"],
            "grant_types_supported":
                ["authorization_code", "refresh_token", "client_credentials"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        })
    );
}

/// One case per member that depends on an input: the member, and what it
/// is (`Value::Null`: left out).
#[test]
fn each_member_follows_its_input() {
    type Change = Box<dyn Fn(&mut Inputs)>;
    let cases: Vec<(&str, Change, &str, Value)> = vec![
        (
            "DCR_ISSUER, without its trailing slash",
            Box::new(|inputs| inputs.issuer = Some(url("https://auth.example.com/tenant1/"))),
            "issuer",
            json!("https://auth.example.com/tenant1"),
        ),
        (
            "no authorization endpoint",
            Box::new(|inputs| inputs.authorization_endpoint = None),
            "authorization_endpoint",
            Value::Null,
        ),
        (
            "no token endpoint",
            Box::new(|inputs| inputs.token_endpoint = None),
            "token_endpoint",
            Value::Null,
        ),
        (
            "allowed scopes",
            Box::new(|inputs| {
                inputs.policy.allowed_scopes = Some(Scope::parse("mcp openid").unwrap());
            }),
            "scopes_supported",
            json!(["mcp", "openid"]),
        ),
        (
            "URL client ids",
            Box::new(|inputs| inputs.url_client_ids = true),
            "client_id_metadata_document_supported",
            json!(true),
        ),
        (
            "no code challenge methods",
            Box::new(|inputs| inputs.code_challenge_methods.clear()),
            "code_challenge_methods_supported",
            json!([]),
        ),
    ];
    for (case, change, member, expected) in cases {
        let document = document_with(|inputs| change(inputs));
        assert_eq!(
            document.get(member).cloned().unwrap_or(Value::Null),
            expected,
            "{case}"
        );
    }
    // Left out unless asked for.
    let plain = document_with(|_| {});
    assert!(!plain.contains_key("scopes_supported"));
    assert!(!plain.contains_key("client_id_metadata_document_supported"));
}
