//! Refusals that keep open registration safe on the internet: grants that
//! need a confidential client, bounded lists, text that shows what it holds,
//! URLs of public hosts, and key sets of public keys.

use super::*;

fn readable(code_point: char, class: CharClass) -> Problem {
    Problem::Character { code_point, class }
}

/// RFC 6749 sections 4.3 and 4.4: no public client gets the grants that
/// authenticate the client alone.
#[test]
fn refuses_client_only_grants_for_public_clients() {
    let public = |grants: Value| {
        body(json!({ "token_endpoint_auth_method": "none", "grant_types": grants }))
    };
    let with_password = RegistrationPolicy {
        grant_types: vec![
            GrantType::AUTHORIZATION_CODE,
            GrantType::PASSWORD,
            GrantType::CLIENT_CREDENTIALS,
        ],
        ..RegistrationPolicy::default()
    };
    let public_default = RegistrationPolicy {
        default_auth_method: AuthMethod::None,
        ..RegistrationPolicy::default()
    };
    assert_refused(vec![
        refused(
            "client_credentials alone",
            public(json!(["client_credentials"])),
            "/grant_types",
            Problem::GrantNeedsClientAuthentication {
                grant_type: "client_credentials",
            },
            METADATA,
        ),
        refused(
            "client_credentials beside the code flow",
            body(json!({
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
                "response_types": ["code"],
            })),
            "/grant_types",
            Problem::GrantNeedsClientAuthentication {
                grant_type: "client_credentials",
            },
            METADATA,
        ),
        refused(
            "password",
            public(json!(["password"])),
            "/grant_types",
            Problem::GrantNeedsClientAuthentication {
                grant_type: "password",
            },
            METADATA,
        )
        .under(with_password),
        refused(
            "public by the operator's default",
            body(json!({ "grant_types": ["client_credentials"] })),
            "/grant_types",
            Problem::GrantNeedsClientAuthentication {
                grant_type: "client_credentials",
            },
            METADATA,
        )
        .under(public_default),
    ]);
    // A client that authenticates may have them.
    let confidential = body(json!({
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
    }));
    assert!(validate(&confidential).is_ok());
}

/// Every list and family of members is bounded (DCR_MAX_LIST_ITEMS).
#[test]
fn refuses_lists_beyond_the_limit() {
    let max = Limits::default().max_list_items;
    let names = |prefix: &str, count: usize| -> Vec<String> {
        (0..count).map(|i| format!("{prefix}{i}")).collect()
    };
    let extension_grants: Vec<String> = names("urn:x:grant:", max + 1);
    let response_types: Vec<String> = names("r", max + 1);
    let scope = names("s", max + 1).join(" ");
    let keys: Vec<Value> = (0..=max)
        .map(|i| json!({ "kty": "EC", "kid": i }))
        .collect();
    let mut localized = serde_json::Map::new();
    for i in 0..=max {
        localized.insert(format!("client_name#x-{i:03}"), json!("a"));
    }
    let permissive_grants = RegistrationPolicy {
        grant_types: Vec::new(),
        response_types: Vec::new(),
        ..RegistrationPolicy::default()
    };
    assert_refused(vec![
        refused(
            "grant_types",
            body(json!({ "grant_types": extension_grants })),
            "/grant_types",
            Problem::TooMany { max },
            METADATA,
        )
        .under(permissive_grants.clone()),
        refused(
            "response_types",
            body(json!({ "response_types": response_types })),
            "/response_types",
            Problem::TooMany { max },
            METADATA,
        )
        .under(permissive_grants),
        refused(
            "scope tokens",
            body(json!({ "scope": scope })),
            "/scope",
            Problem::TooMany { max },
            METADATA,
        ),
        refused(
            "JWKS keys",
            body(json!({ "jwks": { "keys": keys } })),
            "/jwks/keys",
            Problem::TooMany { max },
            METADATA,
        ),
        refused(
            "language-tagged members",
            body(Value::Object(localized)),
            &*Box::leak(format!("/client_name#x-{max:03}").into_boxed_str()),
            Problem::TooMany { max },
            METADATA,
        ),
    ]);
    // Repeats do not count: they are dropped.
    let repeated = body(json!({ "scope": vec!["read"; 200].join(" ") }));
    assert_eq!(validate(&repeated).unwrap().scope.to_string(), "read");
}

/// Text a person reads names the refused code point; every member that is
/// such text follows the rule.
#[test]
fn refuses_hidden_characters_in_readable_text() {
    assert_refused(vec![
        refused(
            "bidi override in a name",
            body(json!({ "client_name": "Claude\u{202E}edoC" })),
            "/client_name",
            readable('\u{202E}', CharClass::Format),
            METADATA,
        ),
        refused(
            "bidi isolate in a localized name",
            body(json!({ "client_name#ar": "\u{2067}x" })),
            "/client_name#ar",
            readable('\u{2067}', CharClass::Format),
            METADATA,
        ),
        refused(
            "zero-width space in a contact",
            body(json!({ "contacts": ["ok@app.example", "a\u{200B}@app.example"] })),
            "/contacts/1",
            readable('\u{200B}', CharClass::Format),
            METADATA,
        ),
        refused(
            "soft hyphen in software_id",
            body(json!({ "software_id": "com.app\u{AD}" })),
            "/software_id",
            readable('\u{AD}', CharClass::Format),
            METADATA,
        ),
        refused(
            "tag character in software_version",
            body(json!({ "software_version": "1.0\u{E0031}" })),
            "/software_version",
            readable('\u{E0031}', CharClass::Format),
            METADATA,
        ),
        refused(
            "line separator",
            body(json!({ "client_name": "a\u{2028}b" })),
            "/client_name",
            readable('\u{2028}', CharClass::Separator),
            METADATA,
        ),
        refused(
            "paragraph separator",
            body(json!({ "client_name": "a\u{2029}b" })),
            "/client_name",
            readable('\u{2029}', CharClass::Separator),
            METADATA,
        ),
        refused(
            "private use",
            body(json!({ "client_name": "\u{F8FF} Apple" })),
            "/client_name",
            readable('\u{F8FF}', CharClass::PrivateUse),
            METADATA,
        ),
        refused(
            "noncharacter",
            body(json!({ "client_name": "a\u{FFFF}" })),
            "/client_name",
            readable('\u{FFFF}', CharClass::Noncharacter),
            METADATA,
        ),
        refused(
            "combining grapheme joiner",
            body(json!({ "client_name": "Cla\u{34F}ude" })),
            "/client_name",
            readable('\u{34F}', CharClass::DefaultIgnorable),
            METADATA,
        ),
        refused(
            "Hangul filler",
            body(json!({ "client_name": "\u{3164}" })),
            "/client_name",
            readable('\u{3164}', CharClass::DefaultIgnorable),
            METADATA,
        ),
    ]);
}

/// URLs a consent page shows or a server fetches: https, public hosts.
#[test]
fn refuses_urls_of_hosts_that_are_not_public() {
    let member = |key: &str, raw: &str| {
        let mut extra = serde_json::Map::new();
        extra.insert(key.to_owned(), json!(raw));
        body(Value::Object(extra))
    };
    let cases = [
        (
            "client_uri",
            "http://localhost:6274",
            UrlError::InsecureScheme,
        ),
        (
            "client_uri",
            "https://localhost:6274",
            UrlError::NonPublicHost,
        ),
        (
            "logo_uri",
            "https://169.254.169.254/logo.png",
            UrlError::NonPublicHost,
        ),
        (
            "logo_uri",
            "https://10.0.0.7/logo.png",
            UrlError::NonPublicHost,
        ),
        ("tos_uri", "https://100.64.1.1/tos", UrlError::NonPublicHost),
        ("tos_uri", "https://[fd00::1]/tos", UrlError::NonPublicHost),
        (
            "policy_uri",
            "https://[::]/privacy",
            UrlError::NonPublicHost,
        ),
        (
            "policy_uri",
            "https://239.1.2.3/privacy",
            UrlError::NonPublicHost,
        ),
        (
            "jwks_uri",
            "https://intranet/jwks.json",
            UrlError::NonPublicHost,
        ),
        (
            "jwks_uri",
            "https://127.0.0.1/jwks.json",
            UrlError::NonPublicHost,
        ),
        (
            "logo_uri#fr",
            "https://192.168.0.1/logo.png",
            UrlError::NonPublicHost,
        ),
        (
            "client_uri",
            "https://claud\u{435}.ai/",
            UriSyntaxError::NonAscii.into(),
        ),
        (
            "client_uri",
            "https:claude.ai/",
            UriSyntaxError::MissingAuthority.into(),
        ),
    ];
    assert_refused(
        cases
            .into_iter()
            .map(|(key, raw, reason)| {
                refused(
                    "a URL that is not https to a public host",
                    member(key, raw),
                    Box::leak(format!("/{key}").into_boxed_str()),
                    Problem::Url(reason),
                    METADATA,
                )
            })
            .collect(),
    );
}

/// OpenID Connect Registration section 2: `jwks` holds public keys only.
#[test]
fn refuses_key_sets_with_private_or_symmetric_keys() {
    let jwks = |keys: Value| body(json!({ "jwks": { "keys": keys } }));
    let rsa_public = json!({ "kty": "RSA", "n": "0vx7", "e": "AQAB" });
    let mut cases = vec![
        refused(
            "no keys",
            jwks(json!([])),
            "/jwks/keys",
            Problem::Empty,
            METADATA,
        ),
        refused(
            "a symmetric key",
            jwks(json!([rsa_public, { "kty": "oct", "k": "c2VjcmV0" }])),
            "/jwks/keys/1",
            Problem::SymmetricKey,
            METADATA,
        ),
        refused(
            "a k member under another type",
            jwks(json!([{ "kty": "EC", "k": "c2VjcmV0" }])),
            "/jwks/keys/0",
            Problem::SymmetricKey,
            METADATA,
        ),
        refused(
            "no kty",
            jwks(json!([{ "n": "0vx7", "e": "AQAB" }])),
            "/jwks/keys/0",
            Problem::KeyTypeMissing,
            METADATA,
        ),
        refused(
            "a kty that is not a string",
            jwks(json!([{ "kty": 1 }])),
            "/jwks/keys/0",
            Problem::KeyTypeMissing,
            METADATA,
        ),
    ];
    for private in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
        let mut key = rsa_public.clone();
        key[private] = json!("AAAA");
        cases.push(refused(
            "a private member",
            jwks(json!([key])),
            "/jwks/keys/0",
            Problem::PrivateKeyMaterial,
            METADATA,
        ));
    }
    assert_refused(cases);
    assert!(validate(&jwks(json!([rsa_public]))).is_ok());
}
