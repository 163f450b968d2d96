//! The redirect URI case table the token-endpoint examples
//! (`examples/token-endpoint/`) are checked against, held here against
//! dcr-core's own matching: an example that agrees with the table agrees with
//! dcr.
#![allow(clippy::panic)]

use std::path::Path;

use dcr_core::{RedirectPolicy, RedirectUri, redirect_uri_matches};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    registered: String,
    presented: String,
    matches: bool,
    why: String,
}

fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/token-endpoint/redirect-uri-cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn the_examples_case_table_is_dcr_cores_rule() {
    let cases = cases();
    assert!(cases.len() > 50, "the table lost its cases");
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let registered = RedirectUri::parse(&case.registered, &RedirectPolicy::default())
                .unwrap_or_else(|error| {
                    panic!("{:?} is not registrable: {error}", case.registered)
                });
            let actual = redirect_uri_matches(&[registered], &case.presented);
            (actual != case.matches).then(|| {
                format!(
                    "registered {:?}, presented {:?} ({}): dcr-core says {actual}",
                    case.registered, case.presented, case.why
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
