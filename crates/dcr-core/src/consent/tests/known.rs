//! The known clients' file: the built-in one, and what an operator's may
//! hold.

use super::*;

#[test]
fn the_builtin_file_parses() {
    let builtin = KnownClients::parse(BUILTIN).unwrap();
    let names: Vec<&str> = builtin.clients().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Claude",
            "Claude Code",
            "ChatGPT",
            "Cursor",
            "Visual Studio Code",
            "MCP Inspector",
            "Windsurf",
        ]
    );
    assert_eq!(KnownClients::builtin().clients(), builtin.clients());
}

/// Every body real clients send comes out as that client, with nothing to
/// warn about; a client the file does not list is nobody.
#[test]
fn fixture_bodies_are_recognised() {
    let expected = [
        ("claude_ai", Some("Claude")),
        ("claude_code", Some("Claude Code")),
        ("cursor", Some("Cursor")),
        ("vscode", Some("Visual Studio Code")),
        ("inspector", Some("MCP Inspector")),
        ("native_2026", None),
    ];
    let known = KnownClients::builtin();
    for (fixture, body) in mcp_bodies() {
        let (_, want) = expected
            .iter()
            .find(|(name, _)| *name == fixture)
            .unwrap_or_else(|| panic!("fixture {fixture} has no expectation here"));
        let metadata = metadata(&body);
        let found = known_client(&metadata, &known).map(|c| c.name.as_str());
        assert_eq!(found, *want, "{fixture}");
        assert_eq!(name_flags(&metadata, &known), [], "{fixture}");
    }
}

/// One case per way a redirect URI meets a pattern, and per way it misses.
#[test]
fn redirect_patterns() {
    let cases = [
        // (pattern, redirect URI, matches)
        ("https://claude.ai/cb", "https://claude.ai/cb", true),
        ("https://claude.ai/cb", "https://claude.ai/cb2", false),
        ("https://claude.ai/cb", "https://Claude.ai/cb", false),
        (
            "http://localhost/callback",
            "http://localhost:52413/callback",
            true,
        ),
        (
            "http://localhost/callback",
            "http://localhost/callback",
            true,
        ),
        (
            "http://localhost/callback",
            "http://localhost:1/callback?x",
            false,
        ),
        (
            "http://localhost/callback",
            "http://localhost:1/other",
            false,
        ),
        (
            "http://localhost/callback",
            "http://127.0.0.1:1/callback",
            false,
        ),
        ("http://127.0.0.1/", "http://127.0.0.1:33418", true),
        ("http://[::1]/cb", "http://[::1]:9/cb", true),
        // A port in the pattern is part of it.
        ("http://localhost:6274/cb", "http://localhost:6274/cb", true),
        (
            "http://localhost:6274/cb",
            "http://localhost:6275/cb",
            false,
        ),
        ("http://127.0.0.1:80/cb", "http://127.0.0.1:8080/cb", false),
        (
            "cursor://anysphere.cursor-mcp/*",
            "cursor://anysphere.cursor-mcp/a/b",
            true,
        ),
        (
            "cursor://anysphere.cursor-mcp/*",
            "cursor://anysphere.cursor-mcp/",
            true,
        ),
        (
            "cursor://anysphere.cursor-mcp/*",
            "cursor://anysphere.cursor-mcpx/",
            false,
        ),
        ("windsurf://*", "windsurf://codeium/cb", true),
        ("windsurf://*", "cursor://windsurf/cb", false),
    ];
    for (pattern, uri, matches) in cases {
        let parsed = Pattern::parse(pattern).unwrap();
        assert_eq!(parsed.matches(uri), matches, "{pattern} {uri}");
    }
}

#[test]
fn by_metadata_document() {
    let known = KnownClients::builtin();
    let found = known.by_metadata_document("https://claude.ai/oauth/claude-code-client-metadata");
    assert_eq!(found.map(|c| c.name.as_str()), Some("Claude Code"));
    assert_eq!(
        known.by_metadata_document("https://claude.ai/oauth/claude-code-client-metadata/"),
        None
    );
}

fn file(entries: Value) -> String {
    json!({"clients": entries}).to_string()
}

#[test]
fn bad_operator_files_say_what_is_wrong() {
    let long_name = "a".repeat(101);
    let long_a_vendor = "a".repeat(101);
    let too_many = file(Value::Array(vec![
        json!({"name": "x", "redirect_uris": ["https://a.example/cb"]});
        1001
    ]));
    let cases = [
        (
            "{".to_owned(),
            "not JSON: EOF while parsing an object at line 1 column 1",
        ),
        ("[]".to_owned(), "must be an object with a clients array"),
        ("{}".to_owned(), "clients: must be an array"),
        (
            json!({"clients": [], "extra": 1}).to_string(),
            "unknown member \"extra\" (expected checked, clients)",
        ),
        (
            json!({"clients": [], "checked": 1}).to_string(),
            "checked: must be a string",
        ),
        (too_many, "clients: must have at most 1000 entries"),
        (file(json!(["Claude"])), "clients[0]: must be an object"),
        (
            file(json!([{"name": "A", "redirect_uris": ["https://a.example/"], "uris": []}])),
            "clients[0]: unknown member \"uris\" (expected name, aliases, vendors, redirect_uris, metadata_document)",
        ),
        (
            file(json!([{"redirect_uris": ["https://a.example/"]}])),
            "clients[0].name: must be a string",
        ),
        (
            file(json!([{"name": " ", "redirect_uris": ["https://a.example/"]}])),
            "clients[0].name: must not be empty",
        ),
        (
            file(json!([{"name": long_name, "redirect_uris": ["https://a.example/"]}])),
            "clients[0].name: must be at most 100 bytes long",
        ),
        (
            file(json!([{"name": "A"}])),
            "clients[0].redirect_uris: must be an array of strings",
        ),
        (
            file(json!([{"name": "A", "redirect_uris": []}])),
            "clients[0].redirect_uris: must not be empty",
        ),
        (
            file(json!([{"name": "A", "redirect_uris": ["https://a.example/", 1]}])),
            "clients[0].redirect_uris[1]: must be a string",
        ),
        (
            file(json!([{"name": "A", "redirect_uris": ["https://a.example/", "not a url"]}])),
            "clients[0].redirect_uris[1]: is not an absolute URI",
        ),
        (
            file(json!([{"name": "A", "redirect_uris": ["*"]}])),
            "clients[0].redirect_uris[0]: is not an absolute URI",
        ),
        (
            file(json!([{"name": "A", "redirect_uris": ["https://*.a.example/cb"]}])),
            "clients[0].redirect_uris[0]: may have a * only at the end",
        ),
        (
            file(
                json!([{"name": "A", "redirect_uris": ["https://a.example/"],
                         "metadata_document": "http://a.example/m"}]),
            ),
            "clients[0].metadata_document: must be an https URL",
        ),
        (
            file(json!([
                {"name": "A", "redirect_uris": ["https://a.example/"]},
                {"name": "a", "redirect_uris": ["https://b.example/"]}
            ])),
            "clients[1].name: repeats the name of clients[0]",
        ),
        (
            file(json!([{"name": "--", "redirect_uris": ["https://a.example/"]}])),
            "clients[0].name: must have a letter or a digit",
        ),
        (
            file(json!([{"name": "A", "aliases": "B", "redirect_uris": ["https://a.example/"]}])),
            "clients[0].aliases: must be an array of strings",
        ),
        (
            file(
                json!([{"name": "A", "aliases": ["Bee", 1], "redirect_uris": ["https://a.example/"]}]),
            ),
            "clients[0].aliases[1]: must be a string",
        ),
        (
            file(
                json!([{"name": "A", "vendors": [long_a_vendor], "redirect_uris": ["https://a.example/"]}]),
            ),
            "clients[0].vendors[0]: must be at most 100 bytes long",
        ),
        (
            file(
                json!([{"name": "A", "aliases": ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11"],
                         "redirect_uris": ["https://a.example/"]}]),
            ),
            "clients[0].aliases: must have at most 10 entries",
        ),
        // Too short or too common: every name holding it would be flagged.
        (
            file(
                json!([{"name": "A", "aliases": ["A.I"], "redirect_uris": ["https://a.example/"]}]),
            ),
            "clients[0].aliases[0]: \"A.I\" is too common a word: every client name holding it would be flagged",
        ),
        (
            file(
                json!([{"name": "A", "vendors": ["Co-Pilot"], "redirect_uris": ["https://a.example/"]}]),
            ),
            "clients[0].vendors[0]: \"Co-Pilot\" is too common a word: every client name holding it would be flagged",
        ),
        // A name or alias is one client's; a vendor is no client's name.
        (
            file(json!([
                {"name": "Acme", "redirect_uris": ["https://a.example/"]},
                {"name": "Beta", "aliases": ["ACME"], "redirect_uris": ["https://b.example/"]}
            ])),
            "clients[1].aliases[0]: \"ACME\" is also a name of \"Acme\"",
        ),
        (
            file(json!([
                {"name": "Acme Agent", "redirect_uris": ["https://a.example/"]},
                {"name": "acme-agent", "redirect_uris": ["https://b.example/"]}
            ])),
            "clients[1].name: \"acme-agent\" is also a name of \"Acme Agent\"",
        ),
        (
            file(json!([
                {"name": "Acme", "redirect_uris": ["https://a.example/"]},
                {"name": "Beta", "vendors": ["Acme"], "redirect_uris": ["https://b.example/"]}
            ])),
            "clients[1].vendors[0]: \"Acme\" is a name of \"Acme\"",
        ),
    ];
    for (json, expected) in cases {
        let err = KnownClients::parse(&json).expect_err(&json);
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn an_operator_entry_replaces_the_builtin_of_that_name() {
    let operator = KnownClients::parse(
        &json!({"checked": "2027-01-01", "clients": [
            {"name": "claude", "redirect_uris": ["https://claude.ai/new_callback"]},
            {"name": "Partner App", "redirect_uris": ["https://partner.example/cb"],
             "metadata_document": "https://partner.example/client.json"}
        ]})
        .to_string(),
    )
    .unwrap();
    let known = KnownClients::builtin().with(operator).unwrap();
    // Names are compared in NFC, as client names are stored.
    let decomposed = KnownClients::parse(&file(
        json!([{"name": "Zoe\u{301}", "redirect_uris": ["https://zoe.example/cb"]}]),
    ))
    .unwrap();
    let zoe = client("Zo\u{e9}", &["https://zoe.example/cb"]);
    assert_eq!(
        known_client(&zoe, &decomposed).map(|c| c.name.as_str()),
        Some("Zo\u{e9}")
    );
    assert_eq!(known.clients().len(), 8);
    let claude: Vec<&KnownClient> = known
        .clients()
        .iter()
        .filter(|c| c.name.eq_ignore_ascii_case("claude"))
        .collect();
    assert_eq!(claude.len(), 1);
    assert_eq!(claude[0].redirect_uris, ["https://claude.ai/new_callback"]);

    let moved = client("Claude", &["https://claude.ai/new_callback"]);
    assert_eq!(
        known_client(&moved, &known).map(|c| c.name.as_str()),
        Some("claude")
    );
    let old = client("Claude", &["https://claude.ai/api/mcp/auth_callback"]);
    assert_eq!(known_client(&old, &known), None);
    assert_eq!(
        name_flags(&old, &known),
        [NameFlag::Impersonates("claude".into())]
    );
    assert!(
        known
            .by_metadata_document("https://partner.example/client.json")
            .is_some()
    );
}
