//! The operator's members: what is accepted, what is refused and why, and
//! how they join dcr's own.

use super::*;

fn parse(members: Value) -> Result<ExtraMetadata, ExtraMetadataError> {
    ExtraMetadata::parse(&members.to_string(), &owned_members(false))
}

#[test]
fn members_of_the_right_type_are_accepted() {
    let cases = [
        json!({"jwks_uri": "https://auth.example.com/jwks"}),
        json!({"revocation_endpoint": "https://auth.example.com/revoke"}),
        json!({"introspection_endpoint": "https://auth.example.com/introspect"}),
        json!({"userinfo_endpoint": "https://auth.example.com/userinfo"}),
        json!({"service_documentation": "https://docs.example.com/"}),
        json!({"check_session_iframe": "https://auth.example.com/session"}),
        // Loopback over http: a development set-up.
        json!({"jwks_uri": "http://127.0.0.1:8080/jwks"}),
        json!({"jwks_uri": "http://localhost/jwks"}),
        json!({"jwks_uri": "http://[::1]:9/jwks"}),
        json!({"authorization_response_iss_parameter_supported": true}),
        json!({"request_uri_parameter_supported": false}),
        json!({"subject_types_supported": ["public", "pairwise"]}),
        json!({"id_token_signing_alg_values_supported": ["RS256", "ES256"]}),
        json!({"ui_locales_supported": []}),
        // scopes_supported is the operator's while registration takes any scope.
        json!({"scopes_supported": ["openid", "mcp"]}),
        json!({"mtls_endpoint_aliases": {"token_endpoint": "https://mtls.example.com/token"}}),
        json!({"signed_metadata": "eyJhbGciOi..."}),
        // Members no specification gives a type: plain values only.
        json!({"x_vendor_flag": true, "x_vendor_version": 2, "x_vendor_name": "acme",
               "x_vendor_list": ["a", "b"]}),
        json!({}),
    ];
    for members in cases {
        let extra = parse(members.clone()).unwrap_or_else(|err| panic!("{members}: {err}"));
        assert_eq!(Value::Object(extra.members().clone()), members);
    }
}

#[test]
fn members_of_the_wrong_type_are_refused() {
    let url = "an https URL without a fragment (http only on a loopback host)";
    let strings = "an array of non-empty strings";
    let cases: [(Value, &str, &str); 17] = [
        (
            json!({"jwks_uri": "http://auth.example.com/jwks"}),
            "jwks_uri",
            url,
        ),
        (json!({"jwks_uri": "http://10.0.0.1/jwks"}), "jwks_uri", url),
        (json!({"jwks_uri": "/jwks"}), "jwks_uri", url),
        (
            json!({"jwks_uri": "https://a.example/jwks#k"}),
            "jwks_uri",
            url,
        ),
        (
            json!({"jwks_uri": ["https://a.example/jwks"]}),
            "jwks_uri",
            url,
        ),
        (
            json!({"revocation_endpoint": "ftp://a.example/"}),
            "revocation_endpoint",
            url,
        ),
        (json!({"op_tos_uri": 1}), "op_tos_uri", url),
        (
            json!({"service_documentation": "docs"}),
            "service_documentation",
            url,
        ),
        (
            json!({"authorization_response_iss_parameter_supported": "true"}),
            "authorization_response_iss_parameter_supported",
            "true or false",
        ),
        (
            json!({"subject_types_supported": "public"}),
            "subject_types_supported",
            strings,
        ),
        (
            json!({"subject_types_supported": ["public", 1]}),
            "subject_types_supported",
            strings,
        ),
        (
            json!({"subject_types_supported": [""]}),
            "subject_types_supported",
            strings,
        ),
        (
            json!({"mtls_endpoint_aliases": {"token_endpoint": "http://a.example/t"}}),
            "mtls_endpoint_aliases",
            "an object whose values are https URLs",
        ),
        (
            json!({"signed_metadata": ""}),
            "signed_metadata",
            "a non-empty string",
        ),
        (
            json!({"x_nested": {"a": 1}}),
            "x_nested",
            "a non-empty string, a number, a boolean or an array of non-empty strings",
        ),
        (
            json!({"x_null": null}),
            "x_null",
            "a non-empty string, a number, a boolean or an array of non-empty strings",
        ),
        (
            json!({"x_mixed": [1, "a"]}),
            "x_mixed",
            "a non-empty string, a number, a boolean or an array of non-empty strings",
        ),
    ];
    for (members, member, expected) in cases {
        assert_eq!(
            parse(members.clone()),
            Err(ExtraMetadataError::Type {
                member: member.to_owned(),
                expected,
            }),
            "{members}"
        );
    }
}

#[test]
fn dcr_members_are_never_the_operators() {
    for member in DCR_MEMBERS {
        let file = json!({ member: "https://evil.example/" }).to_string();
        assert_eq!(
            ExtraMetadata::parse(&file, &owned_members(true)),
            Err(ExtraMetadataError::Owned(member.to_owned())),
            "{member}"
        );
    }
    // scopes_supported only while registration limits scopes.
    let scopes = json!({"scopes_supported": ["mcp"]}).to_string();
    assert!(ExtraMetadata::parse(&scopes, &owned_members(false)).is_ok());
    let err = ExtraMetadata::parse(&scopes, &owned_members(true)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scopes_supported: is written by dcr from its own settings and cannot be set here"
    );
}

#[test]
fn files_that_are_not_an_object_are_refused() {
    let cases = [
        ("", "not JSON: EOF while parsing a value at line 1 column 0"),
        ("[]", "must be a JSON object of metadata members"),
        ("null", "must be a JSON object of metadata members"),
    ];
    for (text, expected) in cases {
        let err = ExtraMetadata::parse(text, &owned_members(false)).unwrap_err();
        assert_eq!(err.to_string(), expected, "{text:?}");
    }
}

#[test]
fn unregistered_members_are_named() {
    let extra = parse(json!({"jwks_url": "https://a.example/jwks",
                             "jwks_uri": "https://a.example/jwks"}))
    .unwrap();
    assert_eq!(extra.unregistered(), ["jwks_url"]);
}

#[test]
fn what_openid_configuration_needs() {
    let complete = json!({
        "jwks_uri": "https://a.example/jwks",
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let cases: [(Value, bool, &[&str]); 5] = [
        (complete.clone(), true, &[]),
        (complete, false, &["authorization_endpoint"]),
        (
            json!({}),
            true,
            &[
                "jwks_uri",
                "subject_types_supported",
                "id_token_signing_alg_values_supported",
            ],
        ),
        (
            json!({"jwks_uri": "https://a.example/jwks", "subject_types_supported": ["public"],
                   "id_token_signing_alg_values_supported": ["ES256"]}),
            true,
            &["RS256 in id_token_signing_alg_values_supported"],
        ),
        (
            json!({"jwks_uri": "https://a.example/jwks",
                   "id_token_signing_alg_values_supported": ["RS256"]}),
            true,
            &["subject_types_supported"],
        ),
    ];
    for (members, has_authorization_endpoint, expected) in cases {
        let extra = parse(members.clone()).unwrap();
        assert_eq!(
            extra.openid_missing(has_authorization_endpoint),
            expected,
            "{members}"
        );
    }
}

#[test]
fn the_operators_members_join_dcrs() {
    let extra = parse(json!({
        "jwks_uri": "https://auth.example.com/jwks",
        "authorization_response_iss_parameter_supported": true,
    }))
    .unwrap();
    let document = document_with(|inputs| inputs.extra = extra);
    assert_eq!(document["jwks_uri"], "https://auth.example.com/jwks");
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(
        document["registration_endpoint"],
        "https://dcr.example.com/register"
    );
    assert_eq!(document.len(), 10);
}
