//! A redirect URI as a client may register it: any string, parsed under the
//! production default redirect policy. What is accepted must be safe to store
//! verbatim and to compare exactly (RFC 6749 section 3.1.2, RFC 8252 section 7).

#![no_main]

use dcr_core::{RedirectPolicy, RedirectUri};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(raw) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(uri) = RedirectUri::parse(raw, &RedirectPolicy::default()) else {
        return;
    };
    assert!(raw.is_ascii(), "accepted a non-ASCII redirect URI: {raw:?}");
    assert!(
        !raw.chars().any(char::is_whitespace),
        "accepted a redirect URI with whitespace: {raw:?}"
    );
    // Browsers and the `url` crate read `\` as `/` in special schemes, so the
    // registered string and the URL followed could differ.
    assert!(!raw.contains('\\'), "accepted a backslash: {raw:?}");
    assert!(!raw.contains('#'), "accepted a fragment: {raw:?}");
    assert!(!raw.contains('*'), "accepted a wildcard: {raw:?}");
    assert_eq!(uri.as_str(), raw, "the registered string is not verbatim");
    assert!(uri.matches(raw), "does not match itself: {raw:?}");
});
