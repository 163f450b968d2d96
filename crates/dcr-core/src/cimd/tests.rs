#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::json;

use super::*;

const CLAUDE_CODE: &str = "https://claude.ai/oauth/claude-code-client-metadata";

#[test]
fn url_client_ids_follow_the_draft() {
    let cases: [(&str, Result<(), DocumentUrlError>); 20] = [
        (CLAUDE_CODE, Ok(())),
        ("https://example.com/client.json?v=2", Ok(())),
        ("https://example.com:8443/c", Ok(())),
        ("https://EXAMPLE.com/c", Ok(())),
        ("http://example.com/c", Err(DocumentUrlError::NotHttps)),
        ("ftp://example.com/c", Err(DocumentUrlError::NotHttps)),
        ("urn:example:client", Err(DocumentUrlError::NotHttps)),
        ("https://example.com", Err(DocumentUrlError::NoPath)),
        ("https://example.com/", Err(DocumentUrlError::NoPath)),
        (
            "https://example.com/c#frag",
            Err(DocumentUrlError::Fragment),
        ),
        ("https://example.com/c#", Err(DocumentUrlError::Fragment)),
        (
            "https://example.com/a/../c",
            Err(DocumentUrlError::DotSegment),
        ),
        (
            "https://example.com/a/./c",
            Err(DocumentUrlError::DotSegment),
        ),
        (
            "https://example.com/a/%2E%2e/c",
            Err(DocumentUrlError::DotSegment),
        ),
        (
            "https://user:pw@example.com/c",
            Err(DocumentUrlError::Syntax(UriSyntaxError::UserInfo)),
        ),
        ("https://127.0.0.1/c", Err(DocumentUrlError::NotPublic)),
        ("https://10.1.2.3/c", Err(DocumentUrlError::NotPublic)),
        ("https://[::1]/c", Err(DocumentUrlError::NotPublic)),
        ("https://printer.local/c", Err(DocumentUrlError::NotPublic)),
        (
            "https://metadata.google.internal/c",
            Err(DocumentUrlError::NotPublic),
        ),
    ];
    for (raw, expected) in cases {
        assert_eq!(DocumentUrl::parse(raw, false).map(drop), expected, "{raw}");
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
    assert_eq!(
        DocumentUrl::parse(&long, false),
        Err(DocumentUrlError::TooLong)
    );
    // Parsers that repair input would read these as another host.
    for raw in [
        "https://127.1/c",
        "https:\\\\example.com/c",
        "https://exa mple.com/c",
    ] {
        assert!(DocumentUrl::parse(raw, false).is_err(), "{raw}");
    }
}

#[test]
fn http_on_loopback_only_when_allowed() {
    for raw in [
        "http://127.0.0.1:8123/c",
        "http://localhost:8123/c",
        "http://[::1]:8123/c",
    ] {
        assert_eq!(
            DocumentUrl::parse(raw, false),
            Err(DocumentUrlError::NotHttps),
            "{raw}"
        );
        let url = DocumentUrl::parse(raw, true).unwrap();
        assert!(url.is_loopback_http());
    }
    assert_eq!(
        DocumentUrl::parse("http://192.168.1.2/c", true),
        Err(DocumentUrlError::NotHttps)
    );
    // An https URL on loopback is not the development exception.
    assert_eq!(
        DocumentUrl::parse("https://127.0.0.1/c", true),
        Err(DocumentUrlError::NotPublic)
    );
}

#[test]
fn hosts_are_reported_as_fetched() {
    let url = DocumentUrl::parse("https://Claude.AI/oauth/x", false).unwrap();
    assert_eq!(url.host(), "claude.ai");
    assert_eq!(url.as_str(), "https://Claude.AI/oauth/x");
    assert_eq!(url.ip_literal(), None);
    let literal = DocumentUrl::parse("https://8.8.8.8/c", false).unwrap();
    assert_eq!(literal.ip_literal(), Some("8.8.8.8".parse().unwrap()));
}

fn claude_code_document() -> serde_json::Value {
    json!({
        "client_id": CLAUDE_CODE,
        "client_name": "Claude Code",
        "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}

fn validate(document: &serde_json::Value) -> Result<ClientMetadata, DocumentError> {
    let url = DocumentUrl::parse(CLAUDE_CODE, false).unwrap();
    validate_document(
        document.to_string().as_bytes(),
        &url,
        &RegistrationPolicy::default(),
    )
}

#[test]
fn a_document_is_a_registration_by_its_url() {
    let metadata = validate(&claude_code_document()).unwrap();
    assert_eq!(metadata.client_name.as_deref(), Some("Claude Code"));
    assert_eq!(metadata.token_endpoint_auth_method, AuthMethod::None);
    assert!(metadata.redirect_uris[0].matches("http://localhost:49152/callback"));

    let mut without_method = claude_code_document();
    without_method
        .as_object_mut()
        .unwrap()
        .remove("token_endpoint_auth_method");
    assert_eq!(
        validate(&without_method)
            .unwrap()
            .token_endpoint_auth_method,
        AuthMethod::None,
        "a document has no secret to authenticate with"
    );
    let mut with_keys = claude_code_document();
    with_keys["token_endpoint_auth_method"] = json!("private_key_jwt");
    with_keys["jwks_uri"] = json!("https://claude.ai/.well-known/jwks.json");
    // As for a registration, only when the operator offers it.
    assert!(matches!(
        validate(&with_keys),
        Err(DocumentError::Metadata(_))
    ));
    let url = DocumentUrl::parse(CLAUDE_CODE, false).unwrap();
    let mut policy = RegistrationPolicy::default();
    policy.auth_methods.push(AuthMethod::PrivateKeyJwt);
    let metadata = validate_document(with_keys.to_string().as_bytes(), &url, &policy).unwrap();
    assert_eq!(
        metadata.token_endpoint_auth_method,
        AuthMethod::PrivateKeyJwt
    );
}

#[test]
fn documents_that_are_no_registration_are_refused() {
    let with = |key: &str, value: serde_json::Value| {
        let mut document = claude_code_document();
        document[key] = value;
        document
    };
    let mut without_id = claude_code_document();
    without_id.as_object_mut().unwrap().remove("client_id");
    let cases = [
        (without_id, DocumentError::ClientIdMismatch),
        (
            with("client_id", json!("https://claude.ai/oauth/other")),
            DocumentError::ClientIdMismatch,
        ),
        (
            with(
                "client_id",
                json!("https://CLAUDE.ai/oauth/claude-code-client-metadata"),
            ),
            DocumentError::ClientIdMismatch,
        ),
        (with("client_id", json!(5)), DocumentError::ClientIdMismatch),
        (
            with("client_secret", json!("s3cret")),
            DocumentError::SharedSecret,
        ),
        (
            with("client_secret_expires_at", json!(0)),
            DocumentError::SharedSecret,
        ),
        (
            with("token_endpoint_auth_method", json!("client_secret_basic")),
            DocumentError::SharedSecret,
        ),
        (
            with("token_endpoint_auth_method", json!("client_secret_post")),
            DocumentError::SharedSecret,
        ),
        (
            with("token_endpoint_auth_method", json!("client_secret_jwt")),
            DocumentError::SharedSecret,
        ),
    ];
    for (document, expected) in cases {
        assert_eq!(validate(&document), Err(expected), "{document}");
    }
    // The registration rules apply: a dangerous redirect is refused.
    assert!(matches!(
        validate(&with("redirect_uris", json!(["javascript:alert(1)"]))),
        Err(DocumentError::Metadata(_))
    ));
    let url = DocumentUrl::parse(CLAUDE_CODE, false).unwrap();
    let policy = RegistrationPolicy::default();
    for bytes in [
        &b"not json"[..],
        b"[1]",
        b"{\"client_id\": 1, \"client_id\": 2}",
        b"",
    ] {
        assert!(validate_document(bytes, &url, &policy).is_err());
    }
}

proptest! {
    #[test]
    fn any_url_is_judged_without_panicking(raw in "\\PC{0,80}") {
        let _ = DocumentUrl::parse(&raw, true);
        let _ = DocumentUrl::parse(&format!("https://example.com/{raw}"), false);
    }

    #[test]
    fn any_document_is_judged_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let url = DocumentUrl::parse(CLAUDE_CODE, false).unwrap();
        let _ = validate_document(&bytes, &url, &RegistrationPolicy::default());
    }
}
