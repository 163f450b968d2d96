#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::json;

use super::*;

fn refused(pointer: &str, problem: Problem) -> Result<Value, BodyError> {
    Err(BodyError::Refused(MetadataError::new(pointer, problem)))
}

/// The top-level members the server keeps, written out from RFC 7591
/// section 2, RFC 7592 section 2.2 and OpenID Connect's `application_type`
/// rather than taken from the code under test, so a member dropped from (or
/// added to) the server's list makes the properties below fail.
const KEPT_MEMBERS: [&str; 23] = [
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "client_name",
    "client_uri",
    "logo_uri",
    "scope",
    "contacts",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "jwks",
    "software_id",
    "software_version",
    "software_statement",
    "application_type",
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

/// Members that may carry a language tag (RFC 7591 section 2.2): any
/// `name#tag` of one of these is kept too.
const TAGGABLE_MEMBERS: [&str; 5] = [
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
];

fn is_kept(name: &str) -> bool {
    KEPT_MEMBERS.contains(&name)
        || name
            .split_once('#')
            .is_some_and(|(base, _tag)| TAGGABLE_MEMBERS.contains(&base))
}

/// What serde_json reads, less the top-level members the server ignores.
fn kept(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .filter(|(name, _)| is_kept(name))
                .collect(),
        ),
        other => other,
    }
}

#[test]
fn the_oracle_keeps_what_the_rfc_names() {
    for name in ["scope", "client_name#fr", "logo_uri#", "jwks", "client_id"] {
        assert!(is_kept(name), "{name}");
    }
    for name in ["scope#fr", "jwks#x", "x-vendor", "", "#fr", "client_names"] {
        assert!(!is_kept(name), "{name}");
    }
}

#[test]
fn reads_json_as_serde_json_does() {
    let bodies = [
        r#"{"client_name":"Claude","redirect_uris":["https://claude.ai/cb"]}"#,
        r#"{"jwks":[1,2.5,-3,1e300,true,false,null],"scope":{"c":{"d":"\u00e9\ud83d\ude00"}}}"#,
        r#"  {"contacts": 18446744073709551615, "client_name#fr": -9223372036854775808}  "#,
        "[]",
        r#"[{"a":1},{"b":[2]}]"#,
        r#""text""#,
        "0",
    ];
    for body in bodies {
        let expected: Value = serde_json::from_str(body).unwrap();
        assert_eq!(parse(body.as_bytes()), Ok(expected), "{body}");
    }
}

/// Members the server ignores are read, checked, and left out.
#[test]
fn leaves_out_members_the_server_ignores() {
    let body = r#"{"redirect_uris":["https://a.example/cb"],"x-vendor":{"deep":[[{"k":"v"}]]},
                   "logo_uri#fr":"https://a.example/fr.png","scope#fr":"lire","x":null}"#;
    assert_eq!(
        parse(body.as_bytes()),
        Ok(json!({
            "redirect_uris": ["https://a.example/cb"],
            "logo_uri#fr": "https://a.example/fr.png",
        }))
    );
    let repeated_inside = r#"{"x-vendor":{"deep":[{"k":1,"k":2}]}}"#;
    assert_eq!(
        parse(repeated_inside.as_bytes()),
        refused("", Problem::DuplicateMember)
    );
}

#[test]
fn a_body_read_whole_keeps_every_member_and_names_none() {
    let body = br#"{"max_use": 1, "policy": {"scope": "a"}, "x": [1, {"y": null}]}"#;
    assert_eq!(
        parse_whole(body).unwrap(),
        json!({"max_use": 1, "policy": {"scope": "a"}, "x": [1, {"y": null}]})
    );
    assert_eq!(
        parse_whole(br#"{"client_name": 1, "client_name": 2}"#),
        refused("", Problem::DuplicateMember)
    );
    assert_eq!(
        parse_whole(br#"{"policy": {"scope": "a", "scope": "b"}}"#),
        refused("", Problem::DuplicateMember)
    );
}

#[test]
fn refuses_duplicate_member_names_at_every_depth() {
    let cases = [
        (
            r#"{"redirect_uris":["https://a.example/cb"],"redirect_uris":["https://evil.example/cb"]}"#,
            refused("/redirect_uris", Problem::DuplicateMember),
        ),
        (
            r#"{"client_name":"a","client_name":"a"}"#,
            refused("/client_name", Problem::DuplicateMember),
        ),
        (
            r#"{"x-attacker<img>":1,"x-attacker<img>":2}"#,
            refused("", Problem::DuplicateMember),
        ),
        (
            r#"{"jwks":{"keys":[{"kty":"RSA","kty":"oct"}]}}"#,
            refused("/jwks", Problem::DuplicateMember),
        ),
        (
            r#"{"other":{"a":{"b":1,"b":1}}}"#,
            refused("", Problem::DuplicateMember),
        ),
        (r#"[{"a":1,"a":1}]"#, refused("", Problem::DuplicateMember)),
        // An escape spells the same name: still the same member.
        (
            r#"{"scope":"a","sc\u006fpe":"b"}"#,
            refused("/scope", Problem::DuplicateMember),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(parse(body.as_bytes()), expected, "{body}");
    }
}

#[test]
fn refuses_control_characters_in_member_names() {
    let cases = [
        (r#"{"client_name\u0000":"a"}"#, ""),
        ("{\"a\\nb\":1}", ""),
        (r#"{"jwks":{"keys\u001b":[]}}"#, "/jwks"),
        (r#"{"a":{"\u0085":1}}"#, ""),
    ];
    for (body, pointer) in cases {
        assert_eq!(
            parse(body.as_bytes()),
            refused(pointer, Problem::MemberNameCharacter),
            "{body}"
        );
    }
}

#[test]
fn syntax_errors_say_where_without_echoing() {
    let cases = [
        (r#"{"client_name": "#, "it ends early at line 1 column 16"),
        ("{\"a\":<script>}", "syntax error at line 1 column 6"),
        ("{\"a\":1} trailing", "syntax error at line 1 column 9"),
        ("", "it ends early at line 1 column 0"),
        (r#"{"a":"\ud800"}"#, "syntax error at line 1 column 13"),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse(body.as_bytes()),
            Err(BodyError::Syntax(expected.to_owned())),
            "{body}"
        );
    }
    assert!(matches!(
        parse(&[b'"', 0xff, b'"']),
        Err(BodyError::Syntax(_))
    ));
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(matches!(parse(deep.as_bytes()), Err(BodyError::Syntax(_))));
    let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(parse(fine.as_bytes()).is_ok());
}

#[test]
fn distinct_names_in_different_objects_are_fine() {
    let body = json!({"jwks": {"x": 1}, "scope": {"x": 1}, "contacts": [{"x": 1}, {"x": 2}]});
    assert_eq!(parse(body.to_string().as_bytes()), Ok(body));
}

proptest! {
    /// Whatever serde_json reads without duplicates, this reads the same.
    #[test]
    fn agrees_with_serde_json(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let ours = parse(&bytes);
        let theirs: Result<Value, _> = serde_json::from_slice(&bytes);
        match (ours, theirs) {
            (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours, kept(theirs)),
            (Ok(_), Err(_)) => prop_assert!(false, "read what serde_json refuses"),
            (Err(BodyError::Syntax(_)), theirs) => prop_assert!(theirs.is_err()),
            (Err(BodyError::Refused(_)), _) => {}
        }
    }

    #[test]
    fn round_trips_any_value(value in json_value()) {
        let text = value.to_string();
        prop_assert_eq!(parse(text.as_bytes()), Ok(kept(value)));
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                "(scope|scope#fr|jwks|client_name#fr|logo_uri#de-CH|[a-z_#]{0,8})",
                inner,
                0..6
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}
