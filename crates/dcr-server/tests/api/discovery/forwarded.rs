//! The origin a document derived from the request names: forwarded headers
//! count from trusted proxies only, and a forged Host is never kept.

use dcr_server::Settings;
use dcr_server::config::ListArg;
use reqwest::Method;

use super::{Caching, WELL_KNOWN, document, with_endpoints};
use crate::helpers::{Backend, TestApp, spawn_app_with};

on_both_backends!(
    forwarded_headers_count_only_from_trusted_proxies,
    rfc_7239_forwarded_states_the_origin_from_trusted_proxies,
    a_document_built_from_the_host_header_is_not_stored,
);

async fn forwarded_headers_count_only_from_trusted_proxies(backend: Backend) {
    let forwarded = |app: &TestApp| {
        app.request(Method::GET, WELL_KNOWN)
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "auth.example.com")
    };

    let trusting = spawn_app_with(backend, |settings: &mut Settings| {
        settings.listeners.trusted_proxies = Some(ListArg(vec!["127.0.0.1/32".parse().unwrap()]));
        with_endpoints(settings);
    })
    .await;
    let response = forwarded(&trusting).send().await.unwrap();
    let trusted = document(response, Caching::NoStore).await;
    assert_eq!(trusted["issuer"], "https://auth.example.com");
    assert_eq!(
        trusted["registration_endpoint"],
        "https://auth.example.com/register"
    );

    let untrusting = spawn_app_with(backend, with_endpoints).await;
    let response = forwarded(&untrusting).send().await.unwrap();
    let ignored = document(response, Caching::NoStore).await;
    assert_eq!(ignored["issuer"], untrusting.address.as_str());
    assert_eq!(
        ignored["registration_endpoint"],
        untrusting.url("/register")
    );
}

/// A gateway that sends only RFC 7239 `Forwarded` states the scheme and
/// host in it; believed from trusted proxies only, and not on a request
/// that came through an `X-Forwarded-For` gateway (which passes a client's
/// `Forwarded` through unread).
async fn rfc_7239_forwarded_states_the_origin_from_trusted_proxies(backend: Backend) {
    let stated = |app: &TestApp| {
        app.request(Method::GET, WELL_KNOWN).header(
            "Forwarded",
            "for=198.51.100.1;proto=https;host=\"auth.example.com\"",
        )
    };
    let trusting = spawn_app_with(backend, |settings: &mut Settings| {
        settings.listeners.trusted_proxies = Some(ListArg(vec!["127.0.0.1/32".parse().unwrap()]));
        with_endpoints(settings);
    })
    .await;
    let response = stated(&trusting).send().await.unwrap();
    let trusted = document(response, Caching::NoStore).await;
    assert_eq!(trusted["issuer"], "https://auth.example.com");

    let response = stated(&trusting)
        .header("X-Forwarded-For", "198.51.100.1")
        .send()
        .await
        .unwrap();
    let passed_through = document(response, Caching::NoStore).await;
    assert_eq!(passed_through["issuer"], trusting.address.as_str());

    let untrusting = spawn_app_with(backend, with_endpoints).await;
    let response = stated(&untrusting).send().await.unwrap();
    let ignored = document(response, Caching::NoStore).await;
    assert_eq!(ignored["issuer"], untrusting.address.as_str());
}

/// Derived from a forged Host, the document is never kept for anyone else.
async fn a_document_built_from_the_host_header_is_not_stored(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;

    let response = app
        .request(Method::GET, WELL_KNOWN)
        .header("Host", "attacker.example")
        .send()
        .await
        .unwrap();
    let forged = document(response, Caching::NoStore).await;
    assert_eq!(forged["issuer"], "http://attacker.example");
}
