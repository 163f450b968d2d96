//! Which names claim a known client or vendor, as words: the ones a phisher
//! would pick, and the ordinary ones that must pass.

use super::*;

const EVIL: &str = "https://evil.example/cb";
const CLAUDE: &str = "https://claude.ai/api/mcp/auth_callback";
const VSCODE: &str = "https://vscode.dev/redirect";

#[test]
fn names_that_claim_a_known_client_with_other_redirects() {
    let cases: &[(&str, &[&str])] = &[
        // The known name, cased or with a suffix.
        ("Claude (official)", &["impersonates:Claude"]),
        ("CLAUDE", &["impersonates:Claude"]),
        // With a product word, before or after.
        ("Claude Desktop", &["impersonates:Claude"]),
        ("Cursor IDE", &["impersonates:Cursor"]),
        ("Official Claude Connector", &["impersonates:Claude"]),
        ("ChatGPT Connector", &["impersonates:ChatGPT"]),
        ("Claude's Helper", &["impersonates:Claude"]),
        // Words run together, or a version stuck on.
        ("ClaudeConnector", &["impersonates:Claude"]),
        ("Claude3", &["impersonates:Claude"]),
        // Separators dropped: spaced out, dotted, dashed.
        ("C l a u d e", &["impersonates:Claude"]),
        ("C.L.A.U.D.E", &["impersonates:Claude"]),
        ("Chat GPT", &["impersonates:ChatGPT"]),
        ("Claude.ai", &["impersonates:Claude"]),
        ("claude-ai", &["impersonates:Claude"]),
        // Aliases.
        ("VS Code", &["impersonates:Visual Studio Code"]),
        ("VSCode Helper", &["impersonates:Visual Studio Code"]),
        ("vs_code", &["impersonates:Visual Studio Code"]),
        ("GitHub Copilot", &["impersonates:Visual Studio Code"]),
        // Mentioning a client is claiming it: the consent page shows who
        // the name points at, and where the code goes instead.
        ("My VS Code Tasks", &["impersonates:Visual Studio Code"]),
        // A known name that is also a common word is still that name.
        ("Cursor Position Helper", &["impersonates:Cursor"]),
        // Vendors, named as the file writes them.
        (
            "Anthropic Claude",
            &["impersonates:Anthropic", "impersonates:Claude"],
        ),
        ("Open AI Helper", &["impersonates:OpenAI"]),
        ("GitHub Actions", &["impersonates:GitHub"]),
        ("Microsoft Teams Agent", &["impersonates:Microsoft"]),
        // The longest name at a word wins: Claude Code, not also Claude.
        ("Claude Code (memory)", &["impersonates:Claude Code"]),
        (
            "Claude & ChatGPT Bridge",
            &["impersonates:Claude", "impersonates:ChatGPT"],
        ),
        // Named twice, flagged once.
        ("Claude for Claude", &["impersonates:Claude"]),
        // Only the look: confusable, never spelled.
        ("C1aude Desktop", &["confusable_with:Claude"]),
        (
            "\u{ff23}\u{ff4c}\u{ff41}\u{ff55}\u{ff44}\u{ff45}",
            &["confusable_with:Claude"],
        ),
        (
            "\u{421}laude Connector",
            &["mixed_script", "confusable_with:Claude"],
        ),
        ("V S C 0 D E", &["confusable_with:Visual Studio Code"]),
    ];
    for (name, expected) in cases {
        let metadata = client(name, &[EVIL]);
        assert_eq!(flag_strings(&metadata), *expected, "{name}");
        assert_eq!(
            known_client(&metadata, &KnownClients::builtin()),
            None,
            "{name}"
        );
    }
}

#[test]
fn ordinary_names_are_not_flagged() {
    let names = [
        // A known name inside a longer word is another word.
        "Claudette's Notes",
        "Claudette",
        "Precursor",
        "Cursory Review",
        "Windsurfer Logbook",
        "GitHubber",
        "Anthropology Notes",
        "Microsoftware",
        "Openair",
        // Near a known name, but not it.
        "Clause",
        "Claud",
        // Common words that a known client's name or alias holds are no
        // claim on their own.
        "Code Helper",
        "Copilot for Sales",
        "Desktop Agent",
        "Studio Notes",
        "Visual Notes",
        "Chat Assistant",
        "MCP Tasks",
        "Acme Notes",
        "Inspector Gadget",
    ];
    for name in names {
        let metadata = client(name, &[EVIL]);
        assert_eq!(flag_strings(&metadata), Vec::<String>::new(), "{name}");
    }
}

/// The client's own redirects: recognised by its name or an alias, and a
/// name that holds only its vendor is not flagged but not recognised.
#[test]
fn names_backed_by_the_clients_own_redirects() {
    let cases: &[(&str, &str, Option<&str>, &[&str])] = &[
        ("Claude Desktop", CLAUDE, Some("Claude"), &[]),
        ("Claude.ai", CLAUDE, Some("Claude"), &[]),
        ("Anthropic Claude", CLAUDE, Some("Claude"), &[]),
        ("Anthropic Connector", CLAUDE, None, &[]),
        ("My VS Code Tasks", VSCODE, Some("Visual Studio Code"), &[]),
        ("GitHub Copilot", VSCODE, Some("Visual Studio Code"), &[]),
        (
            "Claude & ChatGPT Bridge",
            CLAUDE,
            Some("Claude"),
            &["impersonates:ChatGPT"],
        ),
        // Claude Code's own loopback redirect, with its name: not Claude.
        (
            "Claude Code (memory)",
            "http://localhost:5123/callback",
            Some("Claude Code"),
            &[],
        ),
        // Only the look: the name shown is still not Claude's.
        ("C1aude", CLAUDE, None, &["confusable_with:Claude"]),
    ];
    for (name, redirect, known, expected) in cases {
        let metadata = client(name, &[redirect]);
        assert_eq!(flag_strings(&metadata), *expected, "{name}");
        assert_eq!(
            known_client(&metadata, &KnownClients::builtin()).map(|c| c.name.as_str()),
            *known,
            "{name}"
        );
    }
}

#[test]
fn an_operator_adds_aliases_and_vendors() {
    let operator = KnownClients::parse(
        &json!({"clients": [
            {"name": "Partner App", "aliases": ["Partnerly"], "vendors": ["Partner Inc"],
             "redirect_uris": ["https://partner.example/cb"]},
            {"name": "Claude", "aliases": ["Claude.ai", "Claude Desktop"], "vendors": ["Anthropic"],
             "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}
        ]})
        .to_string(),
    )
    .unwrap();
    let known = KnownClients::builtin().with(operator).unwrap();
    let cases: [(&str, &[&str]); 4] = [
        ("Partnerly Sync", &["impersonates:Partner App"]),
        ("PartnerInc Tools", &["impersonates:Partner Inc"]),
        ("Partner Tools", &[]),
        ("Claude Desktop", &["impersonates:Claude"]),
    ];
    for (name, expected) in cases {
        let flags: Vec<String> = name_flags(&client(name, &[EVIL]), &known)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(flags, expected, "{name}");
    }
    // An operator's alias that is a built-in client's name is refused.
    let clash = KnownClients::parse(
        &json!({"clients": [{"name": "Acme", "aliases": ["VS Code"],
                             "redirect_uris": ["https://acme.example/cb"]}]})
        .to_string(),
    )
    .unwrap();
    let err = KnownClients::builtin().with(clash).unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"Acme\": aliases[0]: \"VS Code\" is also a name of \"Visual Studio Code\""
    );
}

/// The longest name a client may send, spaced out into a thousand
/// one-letter words: found in one pass, every claim once.
#[test]
fn a_long_spaced_out_name_is_read_in_one_pass() {
    let name = "C l a u d e ".repeat(166);
    let known = KnownClients::builtin();
    let claims = known.claims(&name);
    assert_eq!(claims.len(), 166);
    assert!(claims.iter().all(|found| found.spelled));
}
