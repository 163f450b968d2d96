//! A client metadata document as a URL client id's host serves it: any bytes,
//! under a fixed URL. Validation never panics; a document it accepts names
//! the URL, authenticates without a shared secret, and reads back equal.

#![no_main]

use dcr_core::cimd::{DocumentUrl, validate_document};
use dcr_core::{AuthMethod, ClientMetadata, RegistrationPolicy};
use libfuzzer_sys::fuzz_target;

const URL: &str = "https://client.example.com/oauth/metadata.json";

fuzz_target!(|bytes: &[u8]| {
    let url = DocumentUrl::parse(URL, false).expect("the fixed URL is a client id");
    let Ok(metadata) = validate_document(bytes, &url, &RegistrationPolicy::default()) else {
        return;
    };
    assert!(
        matches!(
            metadata.token_endpoint_auth_method,
            AuthMethod::None | AuthMethod::PrivateKeyJwt
        ),
        "accepted a shared-secret method"
    );
    let stored = serde_json::Value::Object(metadata.to_json());
    assert_eq!(
        ClientMetadata::from_stored(&stored).expect("accepted metadata reads back"),
        metadata
    );
});
