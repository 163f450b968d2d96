#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::error::ErrorCode;
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;

const ISSUER: &str = "https://registry.example.com";
const NOW: i64 = 1_800_000_000;

/// The committed test keys (tests/data/statements/README.md).
fn fixture(name: &str) -> &'static [u8] {
    match name {
        "public.jwks.json" => include_bytes!("../../tests/data/statements/public.jwks.json"),
        "rsa.pem" => include_bytes!("../../tests/data/statements/rsa.pem"),
        "rsa_other.pem" => include_bytes!("../../tests/data/statements/rsa_other.pem"),
        "ec.pem" => include_bytes!("../../tests/data/statements/ec.pem"),
        "ed25519.pem" => include_bytes!("../../tests/data/statements/ed25519.pem"),
        other => panic!("no fixture {other}"),
    }
}

fn issuers() -> TrustedIssuers {
    let jwks: Value = serde_json::from_slice(fixture("public.jwks.json")).unwrap();
    TrustedIssuers::from_json(&json!({ ISSUER: jwks }), &mut |_| Err("no files".into())).unwrap()
}

/// The fixture key `kid` and the key to sign with it.
fn signing_key(kid: &str) -> EncodingKey {
    match kid {
        "rsa-1" => EncodingKey::from_rsa_pem(fixture("rsa.pem")),
        "rsa-other" => EncodingKey::from_rsa_pem(fixture("rsa_other.pem")),
        "ec-1" => EncodingKey::from_ec_pem(fixture("ec.pem")),
        "ed-1" => EncodingKey::from_ed_pem(fixture("ed25519.pem")),
        other => panic!("no fixture key {other}"),
    }
    .unwrap()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "software_id": "com.example.agent",
        "client_name": "Example Agent",
        "redirect_uris": ["https://agent.example.com/cb"],
    })
}

/// `claims` signed by the fixture key `sign_with`, its header naming `kid`.
fn signed(alg: Algorithm, kid: Option<&str>, sign_with: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &signing_key(sign_with)).unwrap()
}

/// A token with any header and signature bytes: for what no library signs.
fn raw(header: &Value, claims: &Value, signature: &[u8]) -> String {
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    format!(
        "{}.{}.{}",
        part(header),
        part(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[test]
fn statements_verify_or_are_refused_for_one_reason() {
    use StatementProblem as P;
    let mut expired = claims();
    expired["exp"] = json!(NOW - 3600);
    let mut early = claims();
    early["nbf"] = json!(NOW + 3600);
    let mut within_skew = claims();
    within_skew["exp"] = json!(NOW - 30);
    within_skew["nbf"] = json!(NOW + 30);
    let mut stranger = claims();
    stranger["iss"] = json!("https://stranger.example");
    let mut no_issuer = claims();
    no_issuer.as_object_mut().unwrap().remove("iss");
    let mut text_time = claims();
    text_time["exp"] = json!("tomorrow");
    let mut many = claims();
    for index in 0..MAX_CLAIMS {
        many[format!("x{index}")] = json!(index);
    }
    let mut crowded = json!({ "alg": "RS256", "kid": "rsa-1" });
    for index in 0..MAX_HEADER_MEMBERS {
        crowded[format!("x{index}")] = json!(index);
    }
    let mut large = claims();
    large["client_name"] = json!("a".repeat(MAX_STATEMENT_BYTES));
    let good = signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &claims());
    let tampered = {
        let (signed_part, _) = good.rsplit_once('.').unwrap();
        let other = signed(Algorithm::RS256, Some("rsa-1"), "rsa-other", &claims());
        format!("{signed_part}.{}", other.rsplit_once('.').unwrap().1)
    };
    let none = raw(&json!({ "alg": "none" }), &claims(), b"");
    let hs256 = raw(
        &json!({ "alg": "HS256", "kid": "rsa-1" }),
        &claims(),
        &[7; 32],
    );
    let cases: Vec<(&str, String, Result<(), StatementProblem>)> = vec![
        ("RS256", good.clone(), Ok(())),
        (
            "PS256",
            signed(Algorithm::PS256, Some("rsa-1"), "rsa-1", &claims()),
            Ok(()),
        ),
        (
            "ES256",
            signed(Algorithm::ES256, Some("ec-1"), "ec-1", &claims()),
            Ok(()),
        ),
        (
            "EdDSA",
            signed(Algorithm::EdDSA, Some("ed-1"), "ed-1", &claims()),
            Ok(()),
        ),
        (
            "no kid: every fitting key is tried",
            signed(Algorithm::ES256, None, "ec-1", &claims()),
            Ok(()),
        ),
        (
            "exp and nbf within the clock skew",
            signed(Algorithm::RS256, None, "rsa-1", &within_skew),
            Ok(()),
        ),
        ("alg none", none, Err(P::UnsupportedAlgorithm)),
        ("HS256", hs256, Err(P::UnsupportedAlgorithm)),
        (
            "unknown kid",
            signed(Algorithm::RS256, Some("rsa-9"), "rsa-1", &claims()),
            Err(P::UnknownKey),
        ),
        (
            "kid of a key of another type",
            signed(Algorithm::ES256, Some("rsa-1"), "ec-1", &claims()),
            Err(P::UnknownKey),
        ),
        (
            "signed by another key than its kid's",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-other", &claims()),
            Err(P::BadSignature),
        ),
        ("signature of other content", tampered, Err(P::BadSignature)),
        (
            "expired",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &expired),
            Err(P::Expired),
        ),
        (
            "nbf in the future",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &early),
            Err(P::NotYetValid),
        ),
        (
            "exp not a number",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &text_time),
            Err(P::InvalidTime),
        ),
        (
            "unknown issuer",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &stranger),
            Err(P::UntrustedIssuer),
        ),
        (
            "no issuer",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &no_issuer),
            Err(P::IssuerMissing),
        ),
        (
            "too large",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &large),
            Err(P::TooLarge {
                max: MAX_STATEMENT_BYTES,
            }),
        ),
        (
            "too many claims",
            signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &many),
            Err(P::TooManyClaims { max: MAX_CLAIMS }),
        ),
        (
            "too many header members",
            raw(&crowded, &claims(), b"x"),
            Err(P::TooManyHeaderMembers {
                max: MAX_HEADER_MEMBERS,
            }),
        ),
        (
            "crit header",
            raw(
                &json!({ "alg": "RS256", "crit": ["b64"], "b64": false }),
                &claims(),
                b"x",
            ),
            Err(P::CriticalHeader),
        ),
        (
            "two parts",
            "eyJhbGciOiJSUzI1NiJ9.e30".into(),
            Err(P::Malformed),
        ),
        ("four parts", format!("{good}.x"), Err(P::Malformed)),
        ("not base64url", "e30=.e30.c2ln".into(), Err(P::Malformed)),
        (
            "claims not an object",
            raw(&json!({ "alg": "RS256" }), &json!([1]), b"x"),
            Err(P::Malformed),
        ),
        (
            "header not JSON",
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("{")),
            Err(P::Malformed),
        ),
        (
            "duplicate claim",
            format!(
                "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
                URL_SAFE_NO_PAD.encode(r#"{"iss":"a","iss":"b"}"#)
            ),
            Err(P::Malformed),
        ),
        ("empty", String::new(), Err(P::Malformed)),
    ];
    let issuers = issuers();
    for (name, statement, expected) in cases {
        let outcome = verify(&statement, &issuers, NOW).map(|verified| {
            assert_eq!(verified.issuer, ISSUER, "{name}");
        });
        assert_eq!(outcome, expected, "{name}");
    }
}

#[test]
fn refusals_have_their_rfc_code_and_never_echo_the_token() {
    let stranger = json!({ "iss": "https://secret-issuer.example", "client_name": "Sekrit" });
    let statement = signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &stranger);
    let body = json!({ "software_statement": statement });
    let err = apply(body, &rules(StatementMode::Accept), NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnapprovedSoftwareStatement);
    assert_eq!(err.pointer, "/software_statement");
    let description = err.description();
    for secret in ["secret-issuer", "Sekrit", "rsa-1", &statement[..20]] {
        assert!(!description.contains(secret), "{description}");
    }
    let bad = json!({ "software_statement": "a.b.c" });
    let err = apply(bad, &rules(StatementMode::Accept), NOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSoftwareStatement);
}

fn rules(mode: StatementMode) -> StatementRules<'static> {
    static ISSUERS: std::sync::OnceLock<TrustedIssuers> = std::sync::OnceLock::new();
    StatementRules {
        mode,
        issuers: ISSUERS.get_or_init(issuers),
        open: true,
        required_issuer: None,
    }
}

#[test]
fn claims_take_precedence_over_the_body() {
    let statement = signed(Algorithm::EdDSA, Some("ed-1"), "ed-1", &claims());
    let body = json!({
        "client_name": "Whatever the client says",
        "software_id": "com.evil.clone",
        "scope": "mcp",
        "redirect_uris": ["https://evil.example/cb"],
        "software_statement": statement,
    });
    let applied = apply(body, &rules(StatementMode::Accept), NOW).unwrap();
    assert_eq!(applied.issuer.as_deref(), Some(ISSUER));
    let document = applied.document;
    assert_eq!(document["client_name"], "Example Agent");
    assert_eq!(document["software_id"], "com.example.agent");
    assert_eq!(
        document["redirect_uris"],
        json!(["https://agent.example.com/cb"])
    );
    assert_eq!(document["scope"], "mcp", "members the statement lacks stay");
    for claim in ["iss", "iat", "exp"] {
        assert!(document.get(claim).is_none(), "{claim} is no metadata");
    }
    // Every registration rule applies to the merged metadata.
    let metadata = ClientMetadata::from_request(&document, &RegistrationPolicy::default()).unwrap();
    assert_eq!(metadata.software_id.as_deref(), Some("com.example.agent"));
    let mut bad = claims();
    bad["redirect_uris"] = json!(["javascript:alert(1)"]);
    let statement = signed(Algorithm::EdDSA, Some("ed-1"), "ed-1", &bad);
    let document = apply(
        json!({ "software_statement": statement }),
        &rules(StatementMode::Accept),
        NOW,
    )
    .unwrap()
    .document;
    assert!(ClientMetadata::from_request(&document, &RegistrationPolicy::default()).is_err());
}

mod issuers;
mod modes;
mod proptests;
