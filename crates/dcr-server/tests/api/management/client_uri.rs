//! `registration_client_uri` (RFC 7592 section 3): absolute, and right behind
//! a gateway.

use std::time::Duration;

use dcr_server::config::{IpRange, ListArg};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};

use super::{Registered, manage, ok_json, put, read, text, update_body};
use crate::helpers::{
    Backend, TestApp, assert_error, exchange, fixture, spawn_app, spawn_app_with,
};

on_both_backends!(
    client_uri_uses_the_configured_public_url,
    client_uri_without_a_public_url_follows_the_host_header,
    forwarded_headers_count_only_from_trusted_proxies,
    a_malformed_host_is_refused_where_urls_are_derived_from_it,
);

/// RFC 7592 section 3: behind a gateway, the configured public URL (path
/// included) is the base; forwarded headers do not override it.
async fn client_uri_uses_the_configured_public_url(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.public_url = Some("https://auth.example.com/dcr/".parse().unwrap());
        settings.listeners.trusted_proxies = Some(ListArg(vec!["127.0.0.1/32".parse().unwrap()]));
    })
    .await;

    let response = app
        .request(Method::POST, "/register")
        .header("X-Forwarded-Proto", "http")
        .header("X-Forwarded-Host", "gateway.internal")
        .json(&fixture("claude_ai"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let registered: Map<String, Value> = response.json().await.unwrap();
    let client_id = text(&registered, "client_id");
    let token = text(&registered, "registration_access_token");
    let expected = format!("https://auth.example.com/dcr/register/{client_id}");
    assert_eq!(registered["registration_client_uri"], expected.as_str());

    let read_back = ok_json(read(&app, &client_id, &token).await).await;
    assert_eq!(read_back["registration_client_uri"], expected.as_str());
    let updated = ok_json(put(&app, &client_id, &token, &update_body(&registered)).await).await;
    assert_eq!(updated["registration_client_uri"], expected.as_str());
}

async fn client_uri_without_a_public_url_follows_the_host_header(backend: Backend) {
    let app = spawn_app(backend).await;

    // The Host the client used (reqwest sends 127.0.0.1:PORT): the URI works
    // as it is.
    let client = Registered::new(&app, &fixture("claude_code")).await;
    let uri = text(&client.body, "registration_client_uri");
    assert_eq!(uri, app.url(&format!("/register/{}", client.id)));
    let response = app
        .client
        .get(&uri)
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok_json(response).await["registration_client_uri"],
        uri.as_str()
    );

    let response = app
        .request(Method::POST, "/register")
        .header("Host", "dcr.internal:8443")
        .json(&fixture("cursor"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let registered: Map<String, Value> = response.json().await.unwrap();
    assert_eq!(
        registered["registration_client_uri"],
        format!(
            "http://dcr.internal:8443/register/{}",
            registered["client_id"].as_str().unwrap()
        )
    );
}

/// `X-Forwarded-Proto` / `X-Forwarded-Host` are believed from the gateways in
/// `DCR_TRUSTED_PROXIES` only; anyone else could forge them.
async fn forwarded_headers_count_only_from_trusted_proxies(backend: Backend) {
    async fn registered_uri(app: &TestApp, proto: &str, host: &str) -> (String, String) {
        let response = app
            .request(Method::POST, "/register")
            .header("X-Forwarded-Proto", proto)
            .header("X-Forwarded-Host", host)
            .json(&fixture("claude_code"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Map<String, Value> = response.json().await.unwrap();
        (
            text(&body, "client_id"),
            text(&body, "registration_client_uri"),
        )
    }
    let trusting = |ranges: &'static [&'static str]| {
        move |settings: &mut dcr_server::Settings| {
            let ranges: Vec<IpRange> = ranges.iter().map(|range| range.parse().unwrap()).collect();
            settings.listeners.trusted_proxies = Some(ListArg(ranges));
        }
    };

    // From a trusted gateway: honoured, in registration and in reads. The
    // first of a comma-separated list is what the client asked for.
    let app = spawn_app_with(backend, trusting(&["127.0.0.1/32"])).await;
    let (client_id, uri) = registered_uri(&app, "https", "auth.example.com").await;
    assert_eq!(
        uri,
        format!("https://auth.example.com/register/{client_id}")
    );
    let (client_id, uri) =
        registered_uri(&app, "https, http", "gw.example.com:8443, internal").await;
    assert_eq!(
        uri,
        format!("https://gw.example.com:8443/register/{client_id}")
    );
    let client = Registered::new(&app, &fixture("cursor")).await;
    let response = manage(&app, Method::GET, &client.id, &client.token)
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "auth.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok_json(response).await["registration_client_uri"],
        format!("https://auth.example.com/register/{}", client.id)
    );
    // Only https upgrades the scheme.
    let (client_id, uri) = registered_uri(&app, "ftp", "auth.example.com").await;
    assert_eq!(uri, format!("http://auth.example.com/register/{client_id}"));
    // A forwarded host that could bend the URL is refused, not replaced.
    for host in ["evil.example/path?x=", "[::1", "gw.example:99999"] {
        let response = app
            .request(Method::POST, "/register")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", host)
            .json(&fixture("claude_code"))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    }

    // From anyone else: ignored.
    for app in [
        spawn_app(backend).await,
        spawn_app_with(backend, trusting(&["10.0.0.0/8", "::1/128"])).await,
    ] {
        let (client_id, uri) = registered_uri(&app, "https", "auth.example.com").await;
        assert_eq!(uri, app.url(&format!("/register/{client_id}")));
    }
}

/// RFC 9110 section 7.2 and RFC 3986 section 3.2: without `DCR_PUBLIC_URL`,
/// `registration_client_uri` and the discovery document come from `Host`,
/// so a `Host` that is not a host with an optional port is refused (`400`)
/// before anything is stored, never written into a URL that names another
/// host, or none.
async fn a_malformed_host_is_refused_where_urls_are_derived_from_it(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.discovery.authorization_endpoint =
            Some("https://auth.example.com/authorize".parse().unwrap());
        settings.discovery.token_endpoint = Some("https://auth.example.com/token".parse().unwrap());
    })
    .await;
    let client = Registered::new(&app, &fixture("claude_code")).await;
    let malformed = [
        "[::1",
        "x:99999",
        "x:",
        "evil.example/path",
        "a.example, b.example",
        "user@a.example",
        "%65vil.example",
    ];
    for host in malformed {
        let refused = |response: reqwest::Response| {
            assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None)
        };
        let register = app
            .request(Method::POST, "/register")
            .header("Host", host)
            .json(&fixture("cursor"));
        refused(register.send().await.unwrap()).await;
        let read = manage(&app, Method::GET, &client.id, &client.token).header("Host", host);
        refused(read.send().await.unwrap()).await;
        let mut renamed = client.update_body();
        renamed["client_name"] = "renamed".into();
        let update = manage(&app, Method::PUT, &client.id, &client.token)
            .header("Host", host)
            .json(&renamed);
        refused(update.send().await.unwrap()).await;
        let discovery = app
            .request(Method::GET, "/.well-known/oauth-authorization-server")
            .header("Host", host);
        refused(discovery.send().await.unwrap()).await;
    }
    // Nothing was registered or changed, and the token still works.
    assert_eq!(app.store.count_clients().unwrap(), 1);
    assert_eq!(
        ok_json(read(&app, &client.id, &client.token).await).await["client_name"],
        client.body["client_name"]
    );

    // An HTTP/1.0 request may lack a Host; then there is no URL to give.
    let body =
        r#"{"redirect_uris":["http://localhost:3000/cb"],"token_endpoint_auth_method":"none"}"#;
    let request = format!(
        "POST /register HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(&app.address, request.as_bytes(), Duration::from_secs(3)).await;
    assert_eq!(answer.statuses(), [400], "{}", answer.text);
    assert!(answer.text.contains("invalid_request"), "{}", answer.text);
    // HTTP/1.1 requires exactly one Host: the HTTP parser refuses the rest.
    for head in ["", "Host: a.example\r\nHost: b.example\r\n"] {
        let request = format!(
            "POST /register HTTP/1.1\r\n{head}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let answer = exchange(&app.address, request.as_bytes(), Duration::from_secs(3)).await;
        assert_eq!(answer.statuses(), [400], "{head:?}: {}", answer.text);
    }
    assert_eq!(app.store.count_clients().unwrap(), 1);

    // With DCR_PUBLIC_URL, no URL comes from Host: it is not judged.
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.public_url = Some("https://auth.example.com/".parse().unwrap());
    })
    .await;
    let response = app
        .request(Method::POST, "/register")
        .header("Host", "x:99999")
        .json(&fixture("cursor"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}
