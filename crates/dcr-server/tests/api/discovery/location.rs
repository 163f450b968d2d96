//! Where the document is (RFC 8414 section 3.1): below the well-known path,
//! followed by the issuer's path, and nowhere else.

use super::{Caching, WELL_KNOWN, assert_no_document, document, metadata, with_endpoints};
use crate::helpers::{Backend, spawn_app_with};

on_both_backends!(
    an_issuer_with_a_path_has_its_document_below_the_well_known_path,
    the_configured_issuer_decides_where_the_document_is,
    a_derived_issuer_has_its_document_at_the_well_known_path_only,
);

/// RFC 8414 section 3.1: an issuer with a path (here DCR_PUBLIC_URL's) has
/// its document at the well-known path followed by that path, and nowhere
/// else.
async fn an_issuer_with_a_path_has_its_document_below_the_well_known_path(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.public_url = Some("https://auth.example.com/dcr/".parse().unwrap());
        with_endpoints(settings);
    })
    .await;

    let response = app.get(&format!("{WELL_KNOWN}/dcr")).await;
    let document = document(response, Caching::Public).await;
    assert_eq!(document["issuer"], "https://auth.example.com/dcr");
    assert_eq!(
        document["registration_endpoint"],
        "https://auth.example.com/dcr/register"
    );
    for path in [
        WELL_KNOWN.to_owned(),
        format!("{WELL_KNOWN}/"),
        format!("{WELL_KNOWN}/dcr/"),
        format!("{WELL_KNOWN}/dcr/x"),
        format!("{WELL_KNOWN}/tenant/one"),
        format!("/dcr{WELL_KNOWN}"),
    ] {
        assert_no_document(&app, &path).await;
    }
}

/// DCR_ISSUER's path decides, not DCR_PUBLIC_URL's.
async fn the_configured_issuer_decides_where_the_document_is(backend: Backend) {
    let tenant = spawn_app_with(backend, |settings| {
        settings.listeners.public_url = Some("https://dcr.example.com".parse().unwrap());
        settings.discovery.issuer = Some("https://auth.example.com/tenant1".parse().unwrap());
        with_endpoints(settings);
    })
    .await;
    let response = tenant.get(&format!("{WELL_KNOWN}/tenant1")).await;
    let served = document(response, Caching::Public).await;
    assert_eq!(served["issuer"], "https://auth.example.com/tenant1");
    assert_eq!(
        served["registration_endpoint"],
        "https://dcr.example.com/register"
    );
    assert_no_document(&tenant, WELL_KNOWN).await;
    assert_no_document(&tenant, &format!("{WELL_KNOWN}/tenant2")).await;

    // A trailing slash alone is no path.
    let root = spawn_app_with(backend, |settings| {
        settings.listeners.public_url = Some("https://dcr.example.com/dcr".parse().unwrap());
        settings.discovery.issuer = Some("https://auth.example.com/".parse().unwrap());
        with_endpoints(settings);
    })
    .await;
    let served = document(root.get(WELL_KNOWN).await, Caching::Public).await;
    assert_eq!(served["issuer"], "https://auth.example.com");
    for suffix in ["/", "/dcr", "/tenant1"] {
        assert_no_document(&root, &format!("{WELL_KNOWN}{suffix}")).await;
    }
}

/// An issuer derived from requests has no path: the plain well-known path
/// only.
async fn a_derived_issuer_has_its_document_at_the_well_known_path_only(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;

    assert_eq!(metadata(&app).await["issuer"], app.address.as_str());
    for suffix in ["/", "/dcr", "/tenant/one"] {
        assert_no_document(&app, &format!("{WELL_KNOWN}{suffix}")).await;
    }
}
