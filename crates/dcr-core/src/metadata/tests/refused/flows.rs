//! Refused grant types, response types, auth methods and application types.

use super::*;

#[test]
fn refuses_bad_grant_and_response_types() {
    let grants = |grants: Value| body(json!({ "grant_types": grants }));
    let responses = |responses: Value| body(json!({ "response_types": responses }));
    let both = |grants: Value, responses: Value| {
        body(json!({ "grant_types": grants, "response_types": responses }))
    };
    assert_refused(vec![
        refused(
            "empty grant_types",
            grants(json!([])),
            "/grant_types",
            Problem::Empty,
            METADATA,
        ),
        refused(
            "unknown grant",
            grants(json!(["foo"])),
            "/grant_types/0",
            Problem::UnknownValue,
            METADATA,
        ),
        refused(
            "unsupported grant",
            grants(json!(["authorization_code", "password"])),
            "/grant_types/1",
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "unsupported extension grant",
            grants(json!([
                "authorization_code",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])),
            "/grant_types/1",
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "implicit is off by default",
            grants(json!(["implicit"])),
            "/grant_types/0",
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "grant_types not an array",
            grants(json!("authorization_code")),
            "/grant_types",
            wrong_type(JsonType::ArrayOfStrings),
            METADATA,
        ),
        refused(
            "a grant that is not a string",
            grants(json!([1])),
            "/grant_types/0",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "unsupported response type",
            both(json!(["authorization_code"]), json!(["code", "token"])),
            "/response_types/1",
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "unsupported response type, grant_types absent",
            responses(json!(["token"])),
            "/response_types/0",
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "unsupported hybrid response type",
            responses(json!(["code id_token"])),
            "/response_types/0",
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "malformed response type",
            responses(json!(["code!"])),
            "/response_types/0",
            Problem::UnknownValue,
            METADATA,
        ),
        refused(
            "response_types not an array",
            responses(json!("code")),
            "/response_types",
            wrong_type(JsonType::ArrayOfStrings),
            METADATA,
        ),
    ]);
}

/// RFC 7591 section 2.1, both directions; the implicit flow enabled where a
/// case needs it.
#[test]
fn refuses_inconsistent_grant_and_response_types() {
    let both = |grants: Value, responses: Value| {
        body(json!({ "grant_types": grants, "response_types": responses }))
    };
    let grant_needs = |response_type| Problem::GrantNeedsResponseType { response_type };
    let response_needs = |grant_type| Problem::ResponseTypeNeedsGrant { grant_type };
    assert_refused(vec![
        refused(
            "authorization_code without code",
            both(json!(["authorization_code"]), json!(["token"])),
            "/grant_types",
            grant_needs("code"),
            METADATA,
        )
        .under(implicit_policy()),
        refused(
            "authorization_code with no response type",
            both(json!(["authorization_code", "refresh_token"]), json!([])),
            "/grant_types",
            grant_needs("code"),
            METADATA,
        ),
        refused(
            "implicit without token",
            both(json!(["authorization_code", "implicit"]), json!(["code"])),
            "/grant_types",
            grant_needs("token"),
            METADATA,
        )
        .under(implicit_policy()),
        refused(
            "token without implicit",
            both(json!(["authorization_code"]), json!(["code", "token"])),
            "/response_types",
            response_needs("implicit"),
            METADATA,
        )
        .under(implicit_policy()),
        refused(
            "code without authorization_code",
            both(json!(["implicit"]), json!(["code"])),
            "/response_types",
            response_needs("authorization_code"),
            METADATA,
        )
        .under(implicit_policy()),
        refused(
            "code with client_credentials only",
            both(json!(["client_credentials"]), json!(["code"])),
            "/response_types",
            response_needs("authorization_code"),
            METADATA,
        ),
    ]);
}

#[test]
fn refuses_bad_auth_methods() {
    let method = |value: Value| body(json!({ "token_endpoint_auth_method": value }));
    let secrets_only = RegistrationPolicy {
        auth_methods: vec![AuthMethod::ClientSecretBasic],
        ..RegistrationPolicy::default()
    };
    let pointer = "/token_endpoint_auth_method";
    assert_refused(vec![
        refused(
            "unknown",
            method(json!("foo")),
            pointer,
            Problem::UnknownValue,
            METADATA,
        ),
        refused(
            "private_key_jwt is off by default",
            method(json!("private_key_jwt")),
            pointer,
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "client_secret_jwt is never on",
            method(json!("client_secret_jwt")),
            pointer,
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "tls_client_auth is off by default",
            method(json!("tls_client_auth")),
            pointer,
            Problem::UnsupportedValue,
            METADATA,
        ),
        refused(
            "public clients turned off",
            method(json!("none")),
            pointer,
            Problem::UnsupportedValue,
            METADATA,
        )
        .under(secrets_only),
        refused(
            "a number",
            method(json!(7)),
            pointer,
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "an array",
            method(json!(["none"])),
            pointer,
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "private_key_jwt without keys",
            method(json!("private_key_jwt")),
            pointer,
            Problem::KeysRequired,
            METADATA,
        )
        .under(key_auth_policy()),
        refused(
            "self_signed_tls_client_auth without keys",
            method(json!("self_signed_tls_client_auth")),
            pointer,
            Problem::KeysRequired,
            METADATA,
        )
        .under(key_auth_policy()),
    ]);
}

#[test]
fn refuses_bad_application_types() {
    let app = |value: Value| body(json!({ "application_type": value }));
    let pointer = "/application_type";
    assert_refused(vec![
        refused(
            "unknown",
            app(json!("desktop")),
            pointer,
            Problem::UnknownValue,
            METADATA,
        ),
        refused(
            "case matters",
            app(json!("Web")),
            pointer,
            Problem::UnknownValue,
            METADATA,
        ),
        refused(
            "a number",
            app(json!(1)),
            pointer,
            wrong_type(JsonType::String),
            METADATA,
        ),
    ]);
}
