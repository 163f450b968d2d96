//! Registration rate limits over HTTP: the 429 answer and its headers, the
//! client address behind trusted proxies only, exempt ranges and the global
//! ceiling. The bucket arithmetic is unit-tested in `rate_limit`.

use reqwest::StatusCode;

use crate::helpers::*;

on_both_backends!(
    an_address_over_its_limit_gets_429_with_when_to_retry,
    forwarded_for_counts_only_from_trusted_proxies,
    a_public_url_does_not_make_the_gateway_trusted,
    rfc_7239_forwarded_counts_from_trusted_proxies_as_x_forwarded_for_does,
    exempt_ranges_are_held_only_by_the_global_ceiling,
    failed_secrets_pause_wrong_answers_from_that_address,
);

fn limited(per_address: &str, global: &str) -> impl FnOnce(&mut dcr_server::Settings) {
    let (per_address, global) = (per_address.to_owned(), global.to_owned());
    move |settings| {
        settings.limits.rate_limit = per_address.parse().unwrap();
        settings.limits.rate_limit_global = global.parse().unwrap();
    }
}

async fn register_from(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .request(reqwest::Method::POST, "/register")
        .json(&fixture("claude_code"));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("X-Forwarded-For", forwarded_for);
    }
    request.send().await.unwrap()
}

async fn an_address_over_its_limit_gets_429_with_when_to_retry(backend: Backend) {
    let app = spawn_app_with(backend, limited("2/hour", "off")).await;
    for _ in 0..2 {
        assert_eq!(
            register_from(&app, None).await.status(),
            StatusCode::CREATED
        );
    }
    let (headers, body) = assert_error(
        register_from(&app, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        None,
    )
    .await;
    assert_eq!(header(&headers, "retry-after"), Some("1800"));
    assert_eq!(header(&headers, "ratelimit-limit"), Some("2"));
    assert_eq!(header(&headers, "ratelimit-remaining"), Some("0"));
    assert_eq!(header(&headers, "ratelimit-reset"), Some("1800"));
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("1800 seconds")
    );
    assert_eq!(app.store.count_clients().unwrap(), 2);
    // Other endpoints are not limited.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// From an untrusted peer, `X-Forwarded-For` is ignored: a client cannot
/// claim a fresh address per request.
async fn forwarded_for_counts_only_from_trusted_proxies(backend: Backend) {
    let app = spawn_app_with(backend, limited("1/hour", "off")).await;
    assert_eq!(
        register_from(&app, Some("198.51.100.1")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        register_from(&app, Some("198.51.100.2")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let behind_proxy = spawn_app_with(backend, |settings| {
        limited("1/hour", "off")(settings);
        settings.listeners.trusted_proxies = Some(dcr_server::config::ListArg(vec![
            "127.0.0.1/32".parse().unwrap(),
        ]));
    })
    .await;
    for client in ["198.51.100.1", "198.51.100.2", "6.6.6.6, 198.51.100.3"] {
        assert_eq!(
            register_from(&behind_proxy, Some(client)).await.status(),
            StatusCode::CREATED,
            "{client}"
        );
    }
    // The same client again, whatever it forges to the left.
    assert_eq!(
        register_from(&behind_proxy, Some("7.7.7.7, 198.51.100.1"))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// `DCR_PUBLIC_URL` fixes the URLs dcr hands out, not whom a request came
/// from: behind a gateway with a public URL set, clients still share the
/// gateway's bucket until the gateway is in `DCR_TRUSTED_PROXIES`
/// (docs/operations.md, "Behind a gateway").
async fn a_public_url_does_not_make_the_gateway_trusted(backend: Backend) {
    let with_public_url = |trusted: bool| {
        move |settings: &mut dcr_server::Settings| {
            limited("1/hour", "off")(settings);
            settings.listeners.public_url = Some("https://auth.example.com".parse().unwrap());
            if trusted {
                settings.listeners.trusted_proxies = Some(dcr_server::config::ListArg(vec![
                    "127.0.0.1/32".parse().unwrap(),
                ]));
            }
        }
    };
    let untrusted = spawn_app_with(backend, with_public_url(false)).await;
    assert_eq!(
        register_from(&untrusted, Some("198.51.100.1"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        register_from(&untrusted, Some("198.51.100.2"))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one bucket for every client behind the gateway"
    );
    let trusted = spawn_app_with(backend, with_public_url(true)).await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        assert_eq!(
            register_from(&trusted, Some(client)).await.status(),
            StatusCode::CREATED,
            "{client}"
        );
    }
}

/// Behind a gateway that sends only RFC 7239 `Forwarded`, each client has
/// its own bucket, as with `X-Forwarded-For`; when both headers come and
/// name different clients, neither is believed.
async fn rfc_7239_forwarded_counts_from_trusted_proxies_as_x_forwarded_for_does(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        limited("1/hour", "off")(settings);
        settings.listeners.trusted_proxies = Some(dcr_server::config::ListArg(vec![
            "127.0.0.1/32".parse().unwrap(),
        ]));
    })
    .await;
    for forwarded in [
        "for=198.51.100.1",
        "for=\"[2001:db8::1]:4711\";proto=https",
        "for=6.6.6.6, for=\"198.51.100.2:80\"",
    ] {
        assert_eq!(
            register_with(&app, &[("Forwarded", forwarded)]).await,
            StatusCode::CREATED,
            "{forwarded}"
        );
    }
    // The same client again, whatever it forges to the left.
    assert_eq!(
        register_with(&app, &[("Forwarded", "for=7.7.7.7, for=198.51.100.1")]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Two headers naming two clients: the gateway's own address, once.
    let disagreeing = [
        ("X-Forwarded-For", "198.51.100.3"),
        ("Forwarded", "for=198.51.100.4"),
    ];
    assert_eq!(register_with(&app, &disagreeing).await, StatusCode::CREATED);
    assert_eq!(
        register_with(&app, &[("Forwarded", "for=unknown")]).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a hidden client is the gateway, whose bucket is spent"
    );
}

async fn register_with(app: &TestApp, headers: &[(&str, &str)]) -> StatusCode {
    let mut request = app
        .request(reqwest::Method::POST, "/register")
        .json(&fixture("claude_code"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

async fn exempt_ranges_are_held_only_by_the_global_ceiling(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        limited("1/hour", "3/hour")(settings);
        settings.limits.rate_limit_exempt = Some(dcr_server::config::ListArg(vec![
            "127.0.0.0/8".parse().unwrap(),
        ]));
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            register_from(&app, None).await.status(),
            StatusCode::CREATED
        );
    }
    let (headers, _) = assert_error(
        register_from(&app, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        None,
    )
    .await;
    assert_eq!(header(&headers, "ratelimit-limit"), Some("3"));
}

/// Wrong secrets at the verify call from one address turn into `429` past
/// `DCR_FAILED_AUTH_LIMIT`; the right secret still passes.
async fn failed_secrets_pause_wrong_answers_from_that_address(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.failed_auth_limit = "2/hour".parse().unwrap();
    })
    .await;
    let registered = app.register(&fixture("claude_ai")).await;
    let client_id = registered["client_id"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();
    assert_eq!(app.verify(client_id, Some(secret)).await["valid"], true);
    for _ in 0..2 {
        assert_eq!(
            app.verify(client_id, Some("not-the-secret")).await["valid"],
            false
        );
    }
    let response = app
        .client
        .post(format!(
            "{}/admin/clients/{client_id}/verify",
            app.admin_address
        ))
        .json(&serde_json::json!({ "client_secret": "another-guess" }))
        .send()
        .await
        .unwrap();
    let (headers, _) = assert_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        None,
    )
    .await;
    assert_eq!(header(&headers, "retry-after"), Some("1800"));
    // The right secret is not kept out: the client keeps working.
    assert_eq!(app.verify(client_id, Some(secret)).await["valid"], true);
}
