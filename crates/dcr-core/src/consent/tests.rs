#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::policy::RegistrationPolicy;
use crate::test_support::mcp_bodies;

mod claims;
mod known;

const NOW: i64 = 1_796_068_798;

fn metadata(body: &Value) -> ClientMetadata {
    ClientMetadata::from_request(body, &RegistrationPolicy::default())
        .unwrap_or_else(|err| panic!("{body}: {err}"))
}

/// A public client with this name and these redirect URIs.
fn client(name: &str, redirect_uris: &[&str]) -> ClientMetadata {
    metadata(&json!({
        "client_name": name,
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": "none",
    }))
}

fn signals(metadata: &ClientMetadata) -> ConsentSignals {
    let subject = Subject {
        metadata,
        source: Source::Registered,
        registered_at: None,
        verified_host: None,
    };
    ConsentSignals::of(&subject, &KnownClients::builtin(), NOW)
}

fn flag_strings(metadata: &ClientMetadata) -> Vec<String> {
    name_flags(metadata, &KnownClients::builtin())
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_known_name_with_other_redirects_impersonates() {
    let cases: [(&str, &[&str], &[&str]); 6] = [
        (
            "Claude",
            &["https://evil.example/cb"],
            &["impersonates:Claude"],
        ),
        (
            "claude",
            &["https://evil.example/cb"],
            &["impersonates:Claude"],
        ),
        (
            "Claude Code (memory)",
            &["https://evil.example/cb"],
            &["impersonates:Claude Code"],
        ),
        // One redirect elsewhere is enough: the code may go there.
        (
            "Claude",
            &[
                "https://claude.ai/api/mcp/auth_callback",
                "https://evil.example/cb",
            ],
            &["impersonates:Claude"],
        ),
        ("Claude", &["https://claude.ai/api/mcp/auth_callback"], &[]),
        // Starting with a known name is not claiming it.
        ("Claudette", &["https://evil.example/cb"], &[]),
    ];
    for (name, uris, expected) in cases {
        let metadata = client(name, uris);
        assert_eq!(flag_strings(&metadata), expected, "{name}");
        assert_eq!(
            known_client(&metadata, &KnownClients::builtin()).is_some(),
            expected.is_empty() && name == "Claude",
            "{name}"
        );
    }
}

/// A client that claims a name but has no redirect URI at all is not that
/// client.
#[test]
fn a_known_name_without_redirects_is_not_the_client() {
    let metadata = metadata(&json!({
        "client_name": "Claude",
        "grant_types": ["client_credentials"],
        "response_types": [],
    }));
    assert_eq!(known_client(&metadata, &KnownClients::builtin()), None);
    assert_eq!(flag_strings(&metadata), ["impersonates:Claude"]);
}

#[test]
fn names_that_look_like_known_ones() {
    let evil = ["https://evil.example/cb"];
    let cases: [(&str, &[&str]); 9] = [
        // Cyrillic С.
        ("\u{421}laude", &["mixed_script", "confusable_with:Claude"]),
        ("\u{421}LAUDE", &["mixed_script", "confusable_with:Claude"]),
        ("C1aude", &["confusable_with:Claude"]),
        // A capital I, which lower-casing alone would turn into an i.
        ("CIaude", &["confusable_with:Claude"]),
        ("c\u{406}aude", &["mixed_script", "confusable_with:Claude"]),
        ("C1aude Code (memory)", &["confusable_with:Claude Code"]),
        (
            "\u{421}laude (x)",
            &["mixed_script", "confusable_with:Claude"],
        ),
        ("Curs0r", &["confusable_with:Cursor"]),
        ("Clause", &[]),
    ];
    for (name, expected) in cases {
        assert_eq!(flag_strings(&client(name, &evil)), expected, "{name}");
    }
}

#[test]
fn mixed_script_names() {
    let uris = ["https://app.example/cb"];
    let cases: [(&str, bool); 10] = [
        // Cyrillic а.
        ("P\u{430}ypal", true),
        // The part in parentheses is judged apart: a server's name in
        // another script is no spoof, but a mixed word inside is.
        ("Claude Code (メモリ)", false),
        (
            "Claude Code (\u{441}\u{435}\u{440}\u{432}\u{435}\u{440})",
            false,
        ),
        ("Claude Code (P\u{430}ypal)", true),
        ("Paypal", false),
        ("Агент 007 (бета)", false),
        ("クロード Code", true),
        ("クロード 日本", false),
        ("Zoë's Agent – v2", false),
        ("😀 agent", false),
    ];
    for (name, mixed) in cases {
        let flags = name_flags(&client(name, &uris), &KnownClients::builtin());
        assert_eq!(flags.contains(&NameFlag::MixedScript), mixed, "{name}");
    }
    let unnamed = metadata(&json!({"redirect_uris": uris}));
    assert_eq!(flag_strings(&unnamed), Vec::<String>::new());
}

#[test]
fn loopback_only() {
    let cases: [(&[&str], bool); 4] = [
        (&["http://127.0.0.1:61000/cb"], true),
        (&["http://localhost:1/cb", "http://[::1]:2/cb"], true),
        (
            &["http://127.0.0.1:33418", "https://vscode.dev/redirect"],
            false,
        ),
        (&["com.example.app:/cb"], false),
    ];
    for (uris, expected) in cases {
        let json = signals(&client("Agent", uris)).to_json();
        assert_eq!(json["loopback_only"], expected, "{uris:?}");
    }
    let no_redirects = metadata(&json!({
        "grant_types": ["client_credentials"],
        "response_types": [],
    }));
    assert_eq!(signals(&no_redirects).to_json()["loopback_only"], false);
}

#[test]
fn redirect_hosts_are_distinct_in_order() {
    let metadata = client(
        "Agent",
        &[
            "https://B.example/cb",
            "cursor://anysphere.cursor-mcp/x",
            "https://b.example/other",
            "http://127.0.0.1:1/cb",
            "http://[::1]:2/cb",
        ],
    );
    assert_eq!(
        signals(&metadata).to_json()["redirect_hosts"],
        json!(["b.example", "cursor", "127.0.0.1", "[::1]"])
    );
}

#[test]
fn same_host() {
    let redirect = ["https://app.example/cb", "cursor://anysphere.cursor-mcp/x"];
    let cases = [
        (json!({}), Value::Null),
        (
            json!({"client_uri": "https://APP.example/about"}),
            json!(true),
        ),
        (
            json!({"logo_uri": "https://app.example/logo.png", "tos_uri": "https://app.example/tos"}),
            json!(true),
        ),
        (
            json!({"policy_uri": "https://other.example/privacy"}),
            json!(false),
        ),
        (
            json!({"client_uri": "https://app.example/", "logo_uri": "https://cdn.example/l.png"}),
            json!(false),
        ),
    ];
    for (links, expected) in cases {
        let mut body = json!({"client_name": "Agent", "redirect_uris": redirect});
        body.as_object_mut()
            .unwrap()
            .extend(links.as_object().unwrap().clone());
        let json = signals(&metadata(&body)).to_json();
        assert_eq!(json["same_host"], expected, "{links}");
    }
}

#[test]
fn age() {
    let metadata = client("Agent", &["https://app.example/cb"]);
    let cases = [
        (None, Value::Null),
        (Some(NOW - 120), json!(120)),
        (Some(NOW), json!(0)),
        // Registered "in the future" (a clock set back): never negative.
        (Some(NOW + 5), json!(0)),
        (Some(i64::MIN), json!(i64::MAX)),
    ];
    for (registered_at, expected) in cases {
        let subject = Subject {
            metadata: &metadata,
            source: Source::Admin,
            registered_at,
            verified_host: None,
        };
        let json = ConsentSignals::of(&subject, &KnownClients::builtin(), NOW).to_json();
        assert_eq!(json["age_secs"], expected, "{registered_at:?}");
    }
}

#[test]
fn the_json_shape() {
    let metadata = metadata(&json!({
        "client_name": "Claude",
        "client_uri": "https://claude.ai",
        "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
    }));
    let subject = Subject {
        metadata: &metadata,
        source: Source::Registered,
        registered_at: Some(1_796_068_678),
        verified_host: None,
    };
    let signals = ConsentSignals::of(&subject, &KnownClients::builtin(), NOW);
    assert_eq!(
        signals.to_json(),
        json!({"redirect_hosts": ["claude.ai"], "loopback_only": false, "same_host": true,
               "name_flags": [], "known_client": "Claude", "source": "registered",
               "verified_host": null, "registered_at": 1_796_068_678, "age_secs": 120})
    );
    assert_eq!(signals.name_flags(), []);

    let impostor = client("\u{421}laude", &["https://evil.example/cb"]);
    let subject = Subject {
        metadata: &impostor,
        source: Source::MetadataDocument,
        registered_at: None,
        verified_host: Some("evil.example"),
    };
    let signals = ConsentSignals::of(&subject, &KnownClients::builtin(), NOW);
    assert_eq!(
        signals.to_json(),
        json!({"redirect_hosts": ["evil.example"], "loopback_only": false, "same_host": null,
               "name_flags": ["mixed_script", "confusable_with:Claude"], "known_client": null,
               "source": "metadata_document", "verified_host": "evil.example",
               "registered_at": null, "age_secs": null})
    );
    assert_eq!(
        signals.name_flags(),
        [
            NameFlag::MixedScript,
            NameFlag::ConfusableWith("Claude".into())
        ]
    );
}

#[test]
fn sources() {
    let cases = [
        (Source::Registered, "registered"),
        (Source::MetadataDocument, "metadata_document"),
        (Source::Admin, "admin"),
        (Source::Imported, "imported"),
    ];
    for (source, expected) in cases {
        assert_eq!(source.as_str(), expected);
    }
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[CcС\u{421}\u{441}][lI1\u{406}][aа]ude( Code)?( \\(.{0,8}\\))?",
        "[\\p{Latin}\\p{Cyrillic}\\p{Greek}\\p{Han} ()0-9]{0,20}",
    ]
}

proptest! {
    /// Whatever name registration lets through, the signals are computed.
    #[test]
    fn signals_never_panic(name in name_strategy(), uri in prop::sample::select(vec![
        "https://claude.ai/api/mcp/auth_callback",
        "http://localhost:1/callback",
        "cursor://anysphere.cursor-mcp/x",
        "https://evil.example/cb",
    ])) {
        let body = json!({"client_name": name, "redirect_uris": [uri]});
        let Ok(metadata) = ClientMetadata::from_request(&body, &RegistrationPolicy::default())
        else {
            return Ok(());
        };
        let subject = Subject {
            metadata: &metadata,
            source: Source::Registered,
            registered_at: Some(0),
            verified_host: None,
        };
        let json = ConsentSignals::of(&subject, &KnownClients::builtin(), NOW).to_json();
        prop_assert_eq!(json.as_object().map(|o| o.len()), Some(9));
    }

    /// The shortcut of `flags_of`: every ASCII text is one script to the
    /// UTS #39 tables too.
    #[test]
    fn ascii_is_always_single_script(text in "[\\x00-\\x7f]{0,40}") {
        use unicode_security::MixedScript as _;
        prop_assert!(text.is_single_script());
    }

    /// Any text at all is read or refused, never a panic.
    #[test]
    fn operator_files_never_panic(text in any::<String>()) {
        let _ = KnownClients::parse(&text);
    }
}
