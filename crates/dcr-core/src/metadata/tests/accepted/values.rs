//! Accepted values of single members: scope, URLs, names, limits, and what
//! counts as not given.

use super::*;

/// RFC 6749 section 3.3 syntax; the operator's allowed set either refuses
/// (tested with the refusals) or narrows; the default applies when none is left.
#[test]
fn scope_as_asked_narrowed_or_defaulted() {
    let allowed = || Some(scope("read write"));
    let narrow = RegistrationPolicy {
        allowed_scopes: allowed(),
        scope_overflow: ScopeOverflow::Narrow,
        default_scope: scope("read"),
        ..RegistrationPolicy::default()
    };
    let reject = RegistrationPolicy {
        allowed_scopes: allowed(),
        scope_overflow: ScopeOverflow::Reject,
        default_scope: scope("read"),
        ..RegistrationPolicy::default()
    };
    let open_with_default = RegistrationPolicy {
        default_scope: scope("mcp:tools"),
        ..RegistrationPolicy::default()
    };
    let cases = [
        (
            RegistrationPolicy::default(),
            json!("read write"),
            "read write",
        ),
        (
            RegistrationPolicy::default(),
            json!("a!#[]^~ mcp:tools https://api.example/x"),
            "a!#[]^~ mcp:tools https://api.example/x",
        ),
        (
            RegistrationPolicy::default(),
            json!("  read   read write "),
            "read write",
        ),
        (RegistrationPolicy::default(), json!(null), ""),
        (RegistrationPolicy::default(), json!(""), ""),
        (open_with_default.clone(), json!(null), "mcp:tools"),
        (open_with_default.clone(), json!("   "), "mcp:tools"),
        (open_with_default, json!("other"), "other"),
        (narrow.clone(), json!("write admin read"), "write read"),
        (narrow.clone(), json!("admin"), "read"),
        (narrow.clone(), json!(null), "read"),
        (narrow, json!("write"), "write"),
        (reject.clone(), json!("write read"), "write read"),
        (reject, json!(null), "read"),
    ];
    for (policy, requested, registered) in cases {
        let request = body(json!({ "scope": requested }));
        let metadata = validate_with(&request, &policy)
            .unwrap_or_else(|error| panic!("{requested}: {error:?}"));
        assert_eq!(
            metadata.scope.to_string(),
            registered,
            "{requested} under {policy:?}"
        );
    }
}

#[test]
fn accepts_https_urls_of_public_hosts() {
    let request = body(json!({
        "client_uri": "https://github.com/modelcontextprotocol/inspector",
        "logo_uri": "https://app.example/logo.png",
        "tos_uri": "https://8.8.8.8/tos",
        "policy_uri": "https://[2606:4700::1111]:8443/privacy",
        "jwks_uri": "https://app.example/jwks",
    }));
    let metadata = validate(&request).unwrap();
    assert_eq!(
        metadata,
        ClientMetadata {
            client_uri: Some(url("https://github.com/modelcontextprotocol/inspector")),
            logo_uri: Some(url("https://app.example/logo.png")),
            tos_uri: Some(url("https://8.8.8.8/tos")),
            policy_uri: Some(url("https://[2606:4700::1111]:8443/privacy")),
            jwks_uri: Some(ClientUrl::parse("https://app.example/jwks", 2000).unwrap()),
            ..minimal()
        }
    );
}

/// `null` and `""` mean "not given", for every optional member.
#[test]
fn null_and_empty_strings_are_absent() {
    for empty in [json!(null), json!("")] {
        let mut request = body(json!({}));
        for key in [
            "token_endpoint_auth_method",
            "client_name",
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "jwks_uri",
            "scope",
            "software_id",
            "software_version",
            "application_type",
            "client_name#fr",
            "logo_uri#fr",
        ] {
            request[key] = empty.clone();
        }
        assert_eq!(validate(&request), Ok(minimal()), "{empty}");
    }
    let nulls = body(json!({
        "grant_types": null,
        "response_types": null,
        "contacts": null,
        "jwks": null,
    }));
    assert_eq!(validate(&nulls), Ok(minimal()));
}

/// RFC 7591 section 2: metadata the server does not understand is ignored.
#[test]
fn unknown_members_are_ignored() {
    let request = body(json!({
        "x-vendor": { "nested": [1, "\u{0}", null] },
        "post_logout_redirect_uris": 5,
        "client_id": "chosen-by-the-client",
        "client_secret": "chosen-by-the-client",
        "software_statement": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "id_token_signed_response_alg": "RS256",
        "scope#fr": "lire",
        "contacts#fr": 7,
        "jwks_uri#fr": "http://evil.example/jwks",
        "#fr": "x",
        "\u{0}": "\u{0}",
    }));
    assert_eq!(validate(&request), Ok(minimal()));
}

/// RFC 7591 section 2.2.
#[test]
fn keeps_language_tagged_values() {
    let request = body(json!({
        "client_name": "My Client",
        "client_name#fr": "Mon Client",
        "client_name#ja-Jpan-JP": "クライアント",
        "client_name#en-US": "My Client",
        "client_name#de": "",
        "client_name#it": null,
        "logo_uri#fr": "https://app.example/logo-fr.png",
        "client_uri#x-private1": "https://app.example/x",
        "tos_uri#zh-Hant-TW": "https://app.example/tos/zh",
        "policy_uri#es-419": "https://app.example/privacy/es",
    }));
    let metadata = validate(&request).unwrap();
    let expected: BTreeMap<String, String> = [
        ("client_name#fr", "Mon Client"),
        ("client_name#ja-Jpan-JP", "クライアント"),
        ("client_name#en-US", "My Client"),
        ("logo_uri#fr", "https://app.example/logo-fr.png"),
        ("client_uri#x-private1", "https://app.example/x"),
        ("tos_uri#zh-Hant-TW", "https://app.example/tos/zh"),
        ("policy_uri#es-419", "https://app.example/privacy/es"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(metadata.localized, expected);
    assert_eq!(metadata.client_name.as_deref(), Some("My Client"));
    assert_eq!(stored_and_read_back(&metadata), metadata);
}

#[test]
fn repeated_redirect_uris_are_kept_once() {
    let request = json!({
        "redirect_uris": [APP, "http://127.0.0.1/cb", APP, "http://127.0.0.1/cb", "http://127.0.0.1:1/cb"],
    });
    let registered: Vec<String> = validate(&request)
        .unwrap()
        .redirect_uris
        .iter()
        .map(|uri| uri.as_str().to_owned())
        .collect();
    assert_eq!(
        registered,
        [APP, "http://127.0.0.1/cb", "http://127.0.0.1:1/cb"]
    );
}

/// Limits are inclusive.
#[test]
fn accepts_values_at_the_limits() {
    let twenty: Vec<String> = (0..20)
        .map(|i| format!("https://app.example/cb{i}"))
        .collect();
    let ten: Vec<String> = (0..10).map(|i| format!("ops{i}@app.example")).collect();
    let request = json!({
        "redirect_uris": twenty,
        "contacts": ten,
        "client_name": "a".repeat(2000),
        "software_id": "é".repeat(1000),
    });
    let metadata = validate(&request).unwrap();
    assert_eq!(metadata.redirect_uris.len(), 20);
    assert_eq!(metadata.contacts, ten);
    assert_eq!(metadata.client_name.map(|name| name.len()), Some(2000));
    assert_eq!(metadata.software_id.map(|id| id.len()), Some(2000));
}

/// Unicode that is not a control character is a fine name.
#[test]
fn accepts_unicode_names() {
    for name in [
        "Claude Code (memory)",
        "Café ☕",
        "例のクライアント",
        "emoji 🚀",
        "مرحبا",
        "Zoë – ß Ω",
    ] {
        let metadata = validate(&body(json!({ "client_name": name }))).unwrap();
        assert_eq!(metadata.client_name.as_deref(), Some(name));
    }
}

/// Names are stored in NFC, so two spellings of one name are one string;
/// what the client sent in another form comes back composed.
#[test]
fn stores_names_in_nfc() {
    let request = body(json!({
        "client_name": "Cafe\u{301}",
        "client_name#fr": "\u{212B}ngstr\u{f6}m",
        "software_id": "e\u{301}",
    }));
    let metadata = validate(&request).unwrap();
    assert_eq!(metadata.client_name.as_deref(), Some("Caf\u{e9}"));
    assert_eq!(
        metadata.localized.get("client_name#fr").map(String::as_str),
        Some("\u{c5}ngstr\u{f6}m")
    );
    // Only names are normalised; an identifier is kept as sent.
    assert_eq!(metadata.software_id.as_deref(), Some("e\u{301}"));
}
