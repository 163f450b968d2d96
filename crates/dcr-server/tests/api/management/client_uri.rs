//! `registration_client_uri` (RFC 7592 section 3): absolute, and right behind
//! a gateway.

use dcr_server::config::{IpRange, ListArg};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};

use super::{Registered, manage, ok_json, put, read, text, update_body};
use crate::helpers::{Backend, TestApp, fixture, spawn_app, spawn_app_with};

on_both_backends!(
    client_uri_uses_the_configured_public_url,
    client_uri_without_a_public_url_follows_the_host_header,
    forwarded_headers_count_only_from_trusted_proxies,
);

/// RFC 7592 section 3: behind a gateway, the configured public URL (path
/// included) is the base; forwarded headers do not override it.
async fn client_uri_uses_the_configured_public_url(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.public_url = Some("https://auth.example.com/dcr/".parse().unwrap());
        settings.trusted_proxies = Some(ListArg(vec!["127.0.0.1/32".parse().unwrap()]));
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
            settings.trusted_proxies = Some(ListArg(ranges));
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
    // A forwarded host that could bend the URL is not used.
    let (client_id, uri) = registered_uri(&app, "https", "evil.example/path?x=").await;
    assert_eq!(
        uri,
        format!(
            "https://{}/register/{client_id}",
            &app.address["http://".len()..]
        )
    );

    // From anyone else: ignored.
    for app in [
        spawn_app(backend).await,
        spawn_app_with(backend, trusting(&["10.0.0.0/8", "::1/128"])).await,
    ] {
        let (client_id, uri) = registered_uri(&app, "https", "auth.example.com").await;
        assert_eq!(uri, app.url(&format!("/register/{client_id}")));
    }
}
