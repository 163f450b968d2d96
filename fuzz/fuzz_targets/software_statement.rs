//! A software statement as a registration carries it (RFC 7591 section
//! 2.3): any bytes, verified against fixed trusted issuers (dcr-core's test
//! keys) and applied to a body under `accept`. Verification never panics; a
//! statement it accepts is from the trusted issuer; every refusal is one of
//! the two statement codes, at `/software_statement`, and its description
//! is printable ASCII without `"` or `\` (RFC 6749 section 5.2) and never
//! repeats the issuer it was given.

#![no_main]

use dcr_core::ErrorCode;
use dcr_core::software_statement::{self, StatementMode, StatementRules, TrustedIssuers};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const ISSUER: &str = "https://registry.example.com";
const KEYS: &str = include_str!("../../crates/dcr-core/tests/data/statements/public.jwks.json");
/// A fixed time, so that runs reproduce.
const NOW: i64 = 1_800_000_000;

fuzz_target!(|bytes: &[u8]| {
    let Ok(statement) = std::str::from_utf8(bytes) else {
        return;
    };
    let keys: Value = serde_json::from_str(KEYS).expect("the test keys are JSON");
    let issuers =
        TrustedIssuers::from_json(&json!({ ISSUER: keys }), &mut |_| Err("no files".into()))
            .expect("the test keys are a valid issuers file");
    if let Ok(verified) = software_statement::verify(statement, &issuers, NOW) {
        assert_eq!(verified.issuer, ISSUER, "accepted an untrusted issuer");
    }
    let rules = StatementRules {
        mode: StatementMode::Accept,
        issuers: &issuers,
        open: true,
        required_issuer: None,
    };
    let body = json!({ "client_name": "fuzz", "software_statement": statement });
    match software_statement::apply(body, &rules, NOW) {
        Ok(applied) => {
            assert_eq!(applied.issuer.as_deref(), Some(ISSUER));
            assert!(
                applied.document.get("iss").is_none(),
                "a JWT claim became metadata"
            );
        }
        Err(err) => {
            assert_eq!(err.pointer, "/software_statement");
            assert!(matches!(
                err.code(),
                ErrorCode::InvalidSoftwareStatement | ErrorCode::UnapprovedSoftwareStatement
            ));
            let description = err.description();
            assert!(
                description
                    .bytes()
                    .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
                "not RFC 6749 safe: {description:?}"
            );
            assert!(!description.contains(ISSUER), "echoed the issuer");
        }
    }
});
