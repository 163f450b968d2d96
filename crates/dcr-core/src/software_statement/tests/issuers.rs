//! The issuers file, and the issuers a token may require.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::*;

#[test]
fn a_token_may_only_require_a_trusted_issuer() {
    let policy = |issuer: Option<&str>| crate::initial_access::TokenPolicy {
        software_statement_issuer: issuer.map(str::to_owned),
        ..Default::default()
    };
    let trusted = issuers();
    assert!(check_token_issuer(&policy(None), &trusted).is_ok());
    assert!(check_token_issuer(&policy(Some(ISSUER)), &trusted).is_ok());
    let err = check_token_issuer(&policy(Some("https://other.example")), &trusted).unwrap_err();
    assert_eq!(err.pointer, "/policy/software_statement_issuer");
    let none = TrustedIssuers::default();
    assert!(check_token_issuer(&policy(Some(ISSUER)), &none).is_err());
}

#[test]
fn issuers_files_are_refused_with_a_reason() {
    let jwks: Value = serde_json::from_slice(fixture("public.jwks.json")).unwrap();
    let rsa = jwks["keys"][0].clone();
    let with = |patch: Value| {
        let mut key = rsa.clone();
        for (name, value) in patch.as_object().unwrap() {
            key[name] = value.clone();
        }
        json!({ ISSUER: { "keys": [key] } })
    };
    let cases = [
        ("not an object", json!([]), "JSON object"),
        ("no issuer", json!({}), "names no issuer"),
        ("not a key set", json!({ ISSUER: 5 }), "must map to"),
        ("no keys", json!({ ISSUER: { "keys": [] } }), "has no keys"),
        (
            "HMAC key",
            json!({ ISSUER: { "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] } }),
            "never accepted",
        ),
        ("private key", with(json!({ "d": "AQAB" })), "public key"),
        ("alg HS256", with(json!({ "alg": "HS256" })), "alg"),
        ("alg ES256 on RSA", with(json!({ "alg": "ES256" })), "alg"),
        ("use enc", with(json!({ "use": "enc" })), "use sig"),
        (
            "short modulus",
            with(json!({ "n": URL_SAFE_NO_PAD.encode([0xff; 128]) })),
            "2048",
        ),
        (
            "P-384",
            json!({ ISSUER: { "keys": [{ "kty": "EC", "crv": "P-384", "x": "AA", "y": "AA" }] } }),
            "P-256",
        ),
        (
            "duplicate kid",
            json!({ ISSUER: { "keys": [rsa.clone(), rsa.clone()] } }),
            "kid",
        ),
        (
            "unreadable file",
            json!({ ISSUER: "/no/such/file" }),
            "/no/such/file",
        ),
    ];
    for (name, file, message) in cases {
        let err =
            TrustedIssuers::from_json(&file, &mut |_| Err("cannot read".into())).expect_err(name);
        assert!(err.0.contains(message), "{name}: {err}");
    }
    let from_file = TrustedIssuers::from_json(&json!({ ISSUER: "keys.json" }), &mut |path| {
        assert_eq!(path, "keys.json");
        Ok(jwks.clone())
    })
    .unwrap();
    assert!(from_file.trusts(ISSUER));
    assert!(!from_file.trusts("https://other.example"));
    let pinned = TrustedIssuers::from_json(&with(json!({ "alg": "PS256" })), &mut |_| {
        Err("no files".into())
    })
    .unwrap();
    let rs256 = signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &claims());
    assert_eq!(
        verify(&rs256, &pinned, NOW).unwrap_err(),
        StatementProblem::UnknownKey,
        "a key's alg pins it"
    );
}
