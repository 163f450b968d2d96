//! Hostile input over HTTP: what an attacker on the internet sends to the
//! open registration endpoint, and what the answer must be. The rules
//! themselves are tested case by case in dcr-core; these check the HTTP
//! mapping and the paths through the whole server.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

on_both_backends!(
    provenance_records_the_client_address_and_a_safe_user_agent,
    a_duplicate_member_is_refused_whatever_copy_a_gateway_kept,
    errors_never_echo_what_the_attacker_chose,
    public_clients_never_get_client_only_grants,
    a_token_holder_cannot_make_a_client_only_client_public,
    hidden_characters_are_named_by_code_point_and_nul_is_never_a_500,
    verify_refuses_a_stored_public_client_with_a_client_only_grant,
);

async fn a_duplicate_member_is_refused_whatever_copy_a_gateway_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = r#"{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],
                   "token_endpoint_auth_method":"none",
                   "redirect_uris":["https://evil.example/cb"]}"#;
    let response = app.post_register_raw(body, Some("application/json")).await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_redirect_uri",
        Some("/redirect_uris"),
    )
    .await;
    let nested = r#"{"redirect_uris":["https://a.example/cb"],"x":{"y":1,"y":2}}"#;
    let response = app
        .post_register_raw(nested, Some("application/json"))
        .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some(""),
    )
    .await;
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

async fn errors_never_echo_what_the_attacker_chose(backend: Backend) {
    let app = spawn_app(backend).await;
    let payload = "<img src=x onerror=alert(1)>";
    let bodies = [
        json!({ "redirect_uris": ["https://a.example/cb"], format!("client_name#{payload}"): "a" }),
        json!({ "redirect_uris": [format!("https://a.example/{payload}")] }),
        json!({ "redirect_uris": ["https://a.example/cb"], "client_name": format!("{payload}\u{202e}") }),
        json!({ "redirect_uris": ["https://a.example/cb"], "logo_uri": format!("javascript:{payload}") }),
        json!({ "redirect_uris": ["https://a.example/cb"], "scope": format!("\"{payload}") }),
    ];
    for body in bodies {
        let response = app.post_register(&body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let text = response.text().await.unwrap();
        assert!(
            !text.contains("img") && !text.contains('<'),
            "the answer echoes the payload: {text}"
        );
    }
    let raw =
        format!(r#"{{"redirect_uris":["https://a.example/cb"],"{payload}":1,"{payload}":2}}"#);
    let response = app.post_register_raw(raw, Some("application/json")).await;
    let text = response.text().await.unwrap();
    assert!(!text.contains("img"), "{text}");
}

async fn public_clients_never_get_client_only_grants(backend: Backend) {
    let app = spawn_app(backend).await;
    let bodies = [
        json!({
            "token_endpoint_auth_method": "none",
            "grant_types": ["client_credentials"],
        }),
        json!({
            "redirect_uris": ["http://127.0.0.1:9999/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "client_credentials"],
            "response_types": ["code"],
        }),
    ];
    for body in bodies {
        let response = app.post_register(&body).await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some("/grant_types"),
        )
        .await;
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

async fn a_token_holder_cannot_make_a_client_only_client_public(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app
        .register(&json!({
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .await;
    let client_id = registered["client_id"].as_str().unwrap();
    let token = registered["registration_access_token"].as_str().unwrap();
    let update = json!({
        "client_id": client_id,
        "grant_types": ["client_credentials"],
        "response_types": [],
        "token_endpoint_auth_method": "none",
    });
    let response = app
        .request(reqwest::Method::PUT, &format!("/register/{client_id}"))
        .bearer_auth(token)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some("/grant_types"),
    )
    .await;
    let stored = app.find_client(client_id);
    assert_eq!(
        stored.metadata.token_endpoint_auth_method,
        dcr_core::AuthMethod::ClientSecretBasic
    );
}

async fn hidden_characters_are_named_by_code_point_and_nul_is_never_a_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        ("client_name", json!("Claude\u{202E}edoC"), "U+202E"),
        ("client_name", json!("Cla\u{200B}ude"), "U+200B"),
        ("software_version", json!("1\u{0}"), "U+0000"),
        ("contacts", json!(["a\u{2028}@example.com"]), "U+2028"),
    ];
    for (member, value, code_point) in cases {
        let mut body = fixture("claude_code");
        body[member] = value;
        let response = app.post_register(&body).await;
        let field = if member == "contacts" {
            "/contacts/0".to_owned()
        } else {
            format!("/{member}")
        };
        let (_, error) = assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some(&field),
        )
        .await;
        let description = error["error_description"].as_str().unwrap();
        assert!(description.contains(code_point), "{description}");
    }
    // NUL in a member name and in a string value of a known member: 400s,
    // however Postgres would have taken them.
    let response = app
        .post_register_raw(
            r#"{"redirect_uris":["https://a.example/cb"],"client_name\u0000":"x","client_name":"a\u0000"}"#,
            Some("application/json"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

/// Defence in depth: a public client stored before such clients were
/// refused client_credentials never passes the token endpoint's check.
async fn verify_refuses_a_stored_public_client_with_a_client_only_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app.register(&fixture("claude_code")).await;
    let client_id = registered["client_id"].as_str().unwrap();
    let answer = app.verify(client_id, None).await;
    assert_eq!(answer["valid"], true);

    let mut old_row = app.find_client(client_id);
    old_row
        .metadata
        .grant_types
        .push(dcr_core::GrantType::CLIENT_CREDENTIALS);
    app.store
        .delete_client(&old_row.client_id, &dcr_core::Occasion::admin(0))
        .unwrap();
    app.store.insert_client(&old_row).unwrap();
    let answer = app.verify(client_id, None).await;
    assert_eq!(answer, json!({ "valid": false }));
}

/// Where a client came from: the address the rate limits see (behind a
/// trusted proxy, the forwarded one) and its User-Agent, made safe to show.
async fn provenance_records_the_client_address_and_a_safe_user_agent(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.trusted_proxies = Some(dcr_server::config::ListArg(vec![
            "127.0.0.1/32".parse().unwrap(),
        ]));
    })
    .await;
    let response = app
        .request(reqwest::Method::POST, "/register")
        // A byte beyond ASCII, as HTTP allows (obs-text).
        .header(
            "User-Agent",
            reqwest::header::HeaderValue::from_bytes(b"claude-code/2.0.1 (evil\xe9bytes)").unwrap(),
        )
        .header("X-Forwarded-For", "6.6.6.6, 198.51.100.23")
        .json(&fixture("claude_code"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let registered: serde_json::Value = response.json().await.unwrap();
    let client_id = registered["client_id"].as_str().unwrap();
    let view: serde_json::Value = app
        .client
        .get(format!("{}/admin/clients/{client_id}", app.admin_address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["registered_from"],
        json!({
            "address": "198.51.100.23",
            "user_agent": "claude-code/2.0.1 (evil?bytes)",
            "via": "open",
            "initial_access_token": null,
            "software_statement_issuer": null,
        })
    );
}

mod costly_bodies {
    use std::time::Duration;

    use super::*;

    on_both_backends!(
        bodies_built_to_cost_are_refused_by_their_bounds,
        verify_never_waits_behind_registration_hashing,
    );

    /// A 57 KB body of thousands of distinct response types is refused at
    /// once, by the list bound, and the server keeps answering.
    async fn bodies_built_to_cost_are_refused_by_their_bounds(backend: Backend) {
        let app = spawn_app(backend).await;
        let many: Vec<String> = (0..6500).map(|i| format!("r{i}")).collect();
        let bodies = [
            json!({ "redirect_uris": ["https://a.example/cb"], "response_types": many }),
            json!({ "redirect_uris": ["https://a.example/cb"], "grant_types": many }),
            json!({ "redirect_uris": ["https://a.example/cb"], "scope": many.join(" ") }),
        ];
        let fields = ["/response_types", "/grant_types", "/scope"];
        for (body, field) in bodies.iter().zip(fields) {
            let response = app.post_register(body).await;
            assert_error(
                response,
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                Some(field),
            )
            .await;
        }
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    }

    /// The token endpoint's check has bcrypt threads of its own: while
    /// registrations fill theirs and are shed with 503, verify still
    /// answers.
    async fn verify_never_waits_behind_registration_hashing(backend: Backend) {
        let app = spawn_app_with(backend, |settings| {
            settings.hashing.bcrypt_cost = 12;
            settings.hashing.bcrypt_threads = Some(1);
            settings.hashing.bcrypt_queue = 1;
            settings.hashing.verify_threads = Some(1);
            settings.hashing.verify_cache_size = 0;
        })
        .await;
        let registered = app.register(&fixture("claude_ai")).await;
        let client_id = registered["client_id"].as_str().unwrap().to_owned();
        let secret = registered["client_secret"].as_str().unwrap().to_owned();

        // Registrations keep both places of the registration pool (one
        // hashing, one waiting) taken until the test is over.
        let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let burst: Vec<_> = (0..4)
            .map(|_| {
                let (client, url, busy) = (app.client.clone(), app.url("/register"), busy.clone());
                tokio::spawn(async move {
                    while busy.load(std::sync::atomic::Ordering::Relaxed) {
                        let _ = client.post(&url).json(&fixture("claude_ai")).send().await;
                    }
                })
            })
            .collect();
        // Once a registration is shed, the registration pool is full.
        while app.post_register(&fixture("claude_ai")).await.status()
            != StatusCode::SERVICE_UNAVAILABLE
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let answer = app.verify(&client_id, Some(&secret)).await;
        assert_eq!(answer["valid"], true, "{answer}");
        busy.store(false, std::sync::atomic::Ordering::Relaxed);
        for registration in burst {
            registration.await.unwrap();
        }
    }
}
