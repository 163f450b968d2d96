//! Consent signals on the wire: the verify answer and the admin view say
//! who a client resembles, and DCR_RESERVED_NAMES=refuse turns an
//! impersonation into a refused registration.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

on_both_backends!(
    signals_name_known_clients_and_impersonators,
    reserved_names_can_be_refused,
);

async fn consent_of(app: &TestApp, client_id: &str) -> Value {
    let answer = app.verify(client_id, None).await;
    assert_eq!(answer["valid"], true, "{answer}");
    answer["consent"].clone()
}

async fn signals_name_known_clients_and_impersonators(backend: Backend) {
    // Unique per run: both backends' variants run at once in one process,
    // and one removes its file while the other starts.
    let known_file =
        std::env::temp_dir().join(format!("dcr-known-clients-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(
        &known_file,
        json!({"clients": [{"name": "Acme Agent", "redirect_uris": ["https://agent.acme.example/callback"]}]})
            .to_string(),
    )
    .unwrap();
    let path = known_file.clone();
    let app = spawn_app_with(backend, move |settings| {
        settings.consent.known_clients_file = Some(path);
    })
    .await;
    let _ = std::fs::remove_file(&known_file);

    let real = app.register(&fixture("claude_code")).await;
    let consent = consent_of(&app, real["client_id"].as_str().unwrap()).await;
    assert_eq!(consent["known_client"], "Claude Code");
    assert_eq!(consent["name_flags"], json!([]));
    assert_eq!(consent["loopback_only"], true);
    assert_eq!(consent["source"], "registered");
    assert!(consent["age_secs"].as_i64().unwrap() >= 0);

    let cases = [
        (
            "Claude",
            "https://evil.example/callback",
            "impersonates:Claude",
        ),
        (
            "\u{421}laude",
            "https://evil.example/callback",
            "confusable_with:Claude",
        ),
        (
            "Acme Agent",
            "https://evil.example/callback",
            "impersonates:Acme Agent",
        ),
        (
            "Official Claude Connector",
            "https://evil.example/callback",
            "impersonates:Claude",
        ),
        (
            "My VS Code Tasks",
            "https://evil.example/callback",
            "impersonates:Visual Studio Code",
        ),
        (
            "Acme-Agent Pro",
            "https://evil.example/callback",
            "impersonates:Acme Agent",
        ),
        (
            "P\u{430}ypal",
            "https://evil.example/callback",
            "mixed_script",
        ),
    ];
    for (name, redirect, flag) in cases {
        let registered = app
            .register(&json!({
                "client_name": name,
                "redirect_uris": [redirect],
                "token_endpoint_auth_method": "none",
                "client_uri": "https://evil.example/",
            }))
            .await;
        let consent = consent_of(&app, registered["client_id"].as_str().unwrap()).await;
        let flags = consent["name_flags"].as_array().unwrap();
        assert!(flags.contains(&json!(flag)), "{name}: {consent}");
        assert_eq!(consent["known_client"], Value::Null, "{name}");
        assert_eq!(consent["same_host"], true, "{name}");
        assert_eq!(consent["redirect_hosts"], json!(["evil.example"]));
    }
    let operator_known = app
        .register(&json!({
            "client_name": "Acme Agent",
            "redirect_uris": ["https://agent.acme.example/callback"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    let consent = consent_of(&app, operator_known["client_id"].as_str().unwrap()).await;
    assert_eq!(consent["known_client"], "Acme Agent");
}

async fn reserved_names_can_be_refused(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.consent.reserved_names = dcr_server::config::ReservedNames::Refuse;
    })
    .await;
    for name in [
        "Claude",
        "\u{421}laude",
        "Claude Code (memory)",
        "Claude Desktop",
        "C l a u d e",
        "Anthropic Connector",
    ] {
        let response = app
            .post_register(&json!({
                "client_name": name,
                "redirect_uris": ["https://evil.example/callback"],
                "token_endpoint_auth_method": "none",
            }))
            .await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some("/client_name"),
        )
        .await;
    }
    // The real clients, and names that claim nothing, still register.
    for fixture_name in [
        "claude_ai",
        "claude_code",
        "cursor",
        "vscode",
        "inspector",
        "native_2026",
    ] {
        app.register(&fixture(fixture_name)).await;
    }
    for name in ["Claudette's Notes", "Copilot for Sales", "Code Helper"] {
        app.register(&json!({
            "client_name": name,
            "redirect_uris": ["https://notes.example/callback"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    }
}
