//! `POST /register` as the internet sees it: any bytes, read as the request body,
//! then validated under the production default policy and the permissive one
//! stored clients are read back with.

#![no_main]

use dcr_core::{ClientMetadata, MetadataError, RegistrationPolicy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The body reader the server runs before validation: one reading of the
/// JSON, duplicate member names refused. Its refusals must be as safe to show
/// as the validator's.
fn parse_body(bytes: &[u8]) -> Option<Value> {
    match dcr_core::body::parse(bytes) {
        Ok(body) => Some(body),
        Err(dcr_core::BodyError::Refused(error)) => {
            check_description(&error);
            None
        }
        Err(dcr_core::BodyError::Syntax(position)) => {
            assert!(position.is_ascii(), "{position:?}");
            None
        }
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some(body) = parse_body(bytes) else {
        return;
    };
    for policy in [
        RegistrationPolicy::default(),
        RegistrationPolicy::permissive(),
    ] {
        match ClientMetadata::from_request(&body, &policy) {
            Ok(metadata) => check_round_trip(&metadata),
            Err(error) => check_description(&error),
        }
    }
});

/// What is registered is stored as `to_json` and read back with `from_stored`;
/// the client read back must be the client registered.
fn check_round_trip(metadata: &ClientMetadata) {
    let stored = Value::Object(metadata.to_json());
    match ClientMetadata::from_stored(&stored) {
        Ok(read_back) => assert_eq!(
            &read_back, metadata,
            "from_stored(to_json(metadata)) differs from metadata; stored: {stored}"
        ),
        Err(error) => panic!(
            "registered metadata does not read back: {}; stored: {stored}",
            error.description()
        ),
    }
}

/// The description goes into `error_description`, which RFC 6749 section 5.2
/// limits to printable ASCII without `"` and `\`.
fn check_description(error: &MetadataError) {
    let description = error.description();
    assert!(
        description.is_ascii(),
        "description is not ASCII: {description:?}"
    );
    assert!(
        description
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
        "description has a character RFC 6749 section 5.2 forbids: {description:?}"
    );
}
