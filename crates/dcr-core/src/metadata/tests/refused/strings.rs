//! Refused contacts, strings, bodies and language-tagged members.

use super::*;

#[test]
fn refuses_bad_contacts() {
    let contacts = |value: Value| body(json!({ "contacts": value }));
    let eleven: Vec<String> = (0..11).map(|i| format!("ops{i}@app.example")).collect();
    assert_refused(vec![
        refused(
            "too many",
            contacts(json!(eleven)),
            "/contacts",
            Problem::TooMany { max: 10 },
            METADATA,
        ),
        refused(
            "not an array",
            contacts(json!("ops@app.example")),
            "/contacts",
            wrong_type(JsonType::ArrayOfStrings),
            METADATA,
        ),
        refused(
            "an item that is not a string",
            contacts(json!(["ops@app.example", 5])),
            "/contacts/1",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "NUL",
            contacts(json!(["ops\u{0}@app.example"])),
            "/contacts/0",
            control('\u{0}'),
            METADATA,
        ),
        refused(
            "empty",
            contacts(json!([""])),
            "/contacts/0",
            Problem::Empty,
            METADATA,
        ),
        refused(
            "too long",
            contacts(json!(["a".repeat(2001)])),
            "/contacts/0",
            Problem::TooLong { max: 2000 },
            METADATA,
        ),
    ]);
}

/// Strings are bounded and free of control characters: NUL must be a 400,
/// never a database error.
#[test]
fn refuses_bad_strings() {
    let name = |value: Value| body(json!({ "client_name": value }));
    let too_long = Problem::TooLong { max: 2000 };
    assert_refused(vec![
        refused(
            "2001 bytes",
            name(json!("a".repeat(2001))),
            "/client_name",
            too_long.clone(),
            METADATA,
        ),
        refused(
            "2002 bytes in 1001 characters",
            name(json!("é".repeat(1001))),
            "/client_name",
            too_long.clone(),
            METADATA,
        ),
        refused(
            "NUL",
            name(json!("Evil\u{0}Client")),
            "/client_name",
            control('\u{0}'),
            METADATA,
        ),
        refused(
            "newline",
            name(json!("a\nb")),
            "/client_name",
            control('\n'),
            METADATA,
        ),
        refused(
            "DEL",
            name(json!("a\u{7f}")),
            "/client_name",
            control('\u{7f}'),
            METADATA,
        ),
        refused(
            "C1 control",
            name(json!("a\u{9b}")),
            "/client_name",
            control('\u{9b}'),
            METADATA,
        ),
        refused(
            "a number",
            name(json!(5)),
            "/client_name",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "an object",
            name(json!({})),
            "/client_name",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "long software_id",
            body(json!({ "software_id": "a".repeat(2001) })),
            "/software_id",
            too_long,
            METADATA,
        ),
        refused(
            "NUL in software_id",
            body(json!({ "software_id": "a\u{0}" })),
            "/software_id",
            control('\u{0}'),
            METADATA,
        ),
        refused(
            "numeric software_version",
            body(json!({ "software_version": 1.0 })),
            "/software_version",
            wrong_type(JsonType::String),
            METADATA,
        ),
    ]);
}

#[test]
fn refuses_a_body_that_is_not_an_object() {
    let not_objects = [
        json!([]),
        json!([{}]),
        json!("{}"),
        json!(null),
        json!(1),
        json!(true),
    ];
    assert_refused(
        not_objects
            .into_iter()
            .map(|body| refused("not an object", body, "", Problem::NotAnObject, METADATA))
            .collect(),
    );
}

/// RFC 7591 section 2.2.
#[test]
fn refuses_bad_language_tagged_members() {
    let member = |key: &str, value: Value| {
        let mut extra = serde_json::Map::new();
        extra.insert(key.to_owned(), value);
        body(Value::Object(extra))
    };
    // The tag is the client's text: the error names the member family, never
    // the tag.
    let bad_tag = |key: &'static str, pointer: &'static str| {
        refused(
            "invalid tag",
            member(key, json!("x")),
            pointer,
            Problem::InvalidLanguageTag,
            METADATA,
        )
    };
    let few_tags = RegistrationPolicy {
        limits: crate::policy::Limits {
            max_list_items: 2,
            ..crate::policy::Limits::default()
        },
        ..RegistrationPolicy::default()
    };
    assert_refused(vec![
        bad_tag("client_name#fr_FR", "/client_name"),
        bad_tag("client_name#", "/client_name"),
        bad_tag("client_name#123", "/client_name"),
        bad_tag("client_name#toolongtag", "/client_name"),
        bad_tag("client_name#fr-", "/client_name"),
        bad_tag("client_name#fr#CA", "/client_name"),
        bad_tag("logo_uri#f r", "/logo_uri"),
        bad_tag("client_name#<img src=x onerror=alert(1)>", "/client_name"),
        bad_tag("client_name#\u{202e}fr", "/client_name"),
        bad_tag(
            "client_name#a-bcdefgh-bcdefgh-bcdefgh-bcdefgh-bcdefgh-bcdefgh-bcdefgh-bcdefgh",
            "/client_name",
        ),
        refused(
            "a localized URL follows the URL rules",
            member("logo_uri#fr", json!("http://app.example/logo.png")),
            "/logo_uri#fr",
            Problem::Url(UrlError::InsecureScheme),
            METADATA,
        ),
        refused(
            "a localized URL with user-info",
            member("client_uri#de", json!("https://u@app.example")),
            "/client_uri#de",
            Problem::Url(UriSyntaxError::UserInfo.into()),
            METADATA,
        ),
        refused(
            "a relative localized URL",
            member("tos_uri#de", json!("/tos")),
            "/tos_uri#de",
            Problem::Url(UriSyntaxError::NotAbsolute.into()),
            METADATA,
        ),
        refused(
            "a localized name that is not a string",
            member("client_name#fr", json!(5)),
            "/client_name#fr",
            wrong_type(JsonType::String),
            METADATA,
        ),
        refused(
            "NUL in a localized name",
            member("client_name#fr", json!("a\u{0}b")),
            "/client_name#fr",
            control('\u{0}'),
            METADATA,
        ),
        refused(
            "a long localized name",
            member("client_name#fr", json!("a".repeat(2001))),
            "/client_name#fr",
            Problem::TooLong { max: 2000 },
            METADATA,
        ),
        refused(
            "more tagged values than the limit",
            body(json!({ "client_name#aa": "a", "client_name#bb": "b", "client_name#cc": "c" })),
            "/client_name#cc",
            Problem::TooMany { max: 2 },
            METADATA,
        )
        .under(few_tags),
    ]);
}
