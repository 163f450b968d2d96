//! Shared test inputs: the MCP client fixtures and policies the tests use.

#![allow(clippy::expect_used, clippy::panic)]

use serde_json::Value;

use crate::auth_method::AuthMethod;
use crate::grant_types::{GrantType, ResponseType};
use crate::policy::RegistrationPolicy;

/// Bodies shaped like those real MCP clients send (SPEC "Registration request").
/// Kept in the repository, at `tests/fixtures/`.
const MCP_REGISTRATION_BODIES: &str =
    include_str!("../../../tests/fixtures/mcp-registration-bodies.json");

/// Every fixture body, by client name.
pub(crate) fn mcp_bodies() -> Vec<(String, Value)> {
    let fixtures: Value =
        serde_json::from_str(MCP_REGISTRATION_BODIES).expect("fixture file is JSON");
    let Some(Value::Object(bodies)) = fixtures.get("bodies") else {
        panic!("fixture file has no `bodies` object");
    };
    assert!(!bodies.is_empty(), "fixture file has no bodies");
    bodies
        .iter()
        .map(|(name, body)| (name.clone(), body.clone()))
        .collect()
}

/// The default policy plus the implicit grant and `token` response type, for the
/// RFC 7591 section 2.1 rules that need both flows enabled.
pub(crate) fn implicit_policy() -> RegistrationPolicy {
    let mut policy = RegistrationPolicy::default();
    policy.grant_types.push(GrantType::IMPLICIT);
    policy.response_types.push(ResponseType::token());
    policy
}

/// The default policy plus the key-based auth methods.
pub(crate) fn key_auth_policy() -> RegistrationPolicy {
    let mut policy = RegistrationPolicy::default();
    policy.auth_methods.push(AuthMethod::PrivateKeyJwt);
    policy
        .auth_methods
        .push(AuthMethod::SelfSignedTlsClientAuth);
    policy
}
