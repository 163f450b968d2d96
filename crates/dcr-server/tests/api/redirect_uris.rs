//! Redirect URIs over HTTP (RFC 7591 section 2, RFC 8252 sections 7-8): each
//! refused one names its index in `field`, each accepted one is stored
//! verbatim.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, assert_error, spawn_app};

on_both_backends!(
    unsafe_redirect_uris_are_refused_with_their_index,
    redirect_uris_of_real_clients_are_accepted_verbatim,
    redirect_uris_are_required_for_the_code_grant,
);

/// Goes first in every refused list, so the bad URI sits at index 1.
const GOOD: &str = "https://claude.ai/api/mcp/auth_callback";

async fn unsafe_redirect_uris_are_refused_with_their_index(backend: Backend) {
    let app = spawn_app(backend).await;
    let refused = [
        // http to a host that is not loopback
        "http://example.com/cb",
        "http://localhost.evil.com/cb",
        // user information hides the real host
        "http://localhost@evil.com/cb",
        "https://user:pass@a.example/cb",
        "https://a.example/cb#frag",
        "/relative",
        "cb",
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "https://*.example.com/cb",
        "https://a.example/c b",
        "",
    ];

    for uri in refused {
        let response = app
            .post_register(&json!({
                "redirect_uris": [GOOD, uri],
                "token_endpoint_auth_method": "none",
            }))
            .await;
        let (_, body) = assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            Some("/redirect_uris/1"),
        )
        .await;
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with("redirect_uris/1 "),
            "{uri:?}: {description}"
        );
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

async fn redirect_uris_of_real_clients_are_accepted_verbatim(backend: Backend) {
    let app = spawn_app(backend).await;
    let accepted = [
        ("https://claude.ai/api/mcp/auth_callback", "web"),
        ("http://localhost:33418/callback", "native"),
        ("http://127.0.0.1/cb", "native"),
        ("http://127.0.0.1:33418", "native"),
        ("http://[::1]:8080/cb", "native"),
        ("com.example.app:/oauth2redirect", "native"),
        (
            "cursor://anysphere.cursor-retrieval/oauth/user-x/callback",
            "native",
        ),
        (
            "vscode://vscode.github-authentication/did-authenticate",
            "native",
        ),
    ];

    for (uri, application_type) in accepted {
        let response = app
            .register(&json!({
                "redirect_uris": [uri],
                "token_endpoint_auth_method": "none",
            }))
            .await;
        // Kept exactly as sent: the authorization server compares strings.
        assert_eq!(response["redirect_uris"], json!([uri]));
        assert_eq!(response["application_type"], application_type, "{uri}");
        let stored = app.find_client(response["client_id"].as_str().unwrap());
        let stored: Vec<&str> = stored
            .metadata
            .redirect_uris
            .iter()
            .map(|uri| uri.as_str())
            .collect();
        assert_eq!(stored, [uri]);
    }
}

async fn redirect_uris_are_required_for_the_code_grant(backend: Backend) {
    let app = spawn_app(backend).await;

    for body in [
        json!({ "client_name": "no redirect" }),
        json!({ "redirect_uris": [] }),
        json!({ "redirect_uris": null, "grant_types": ["authorization_code"] }),
    ] {
        let response = app.post_register(&body).await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            Some("/redirect_uris"),
        )
        .await;
    }

    // A grant without redirects needs none.
    let response = app
        .register(&json!({
            "grant_types": ["client_credentials"],
            "response_types": [],
        }))
        .await;
    assert_eq!(response["grant_types"], json!(["client_credentials"]));
    assert!(response.contains_key("client_secret"));
}
