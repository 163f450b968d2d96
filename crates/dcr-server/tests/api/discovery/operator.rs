//! The operator's members (`DCR_METADATA_FILE`) in the document, and the
//! same document at `/.well-known/openid-configuration` when
//! `DCR_OPENID_CONFIGURATION` is on.

use super::*;

on_both_backends!(
    the_operators_members_are_in_both_documents,
    openid_configuration_is_off_by_default,
);

const OPENID: &str = "/.well-known/openid-configuration";

/// What an authorization server that speaks OpenID Connect adds.
fn operator_members() -> Value {
    json!({
        "jwks_uri": "https://auth.example.com/jwks",
        "revocation_endpoint": "https://auth.example.com/oauth2/revoke",
        "introspection_endpoint": "https://auth.example.com/oauth2/introspect",
        "userinfo_endpoint": "https://auth.example.com/userinfo",
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": ["openid", "mcp"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
}

async fn the_operators_members_are_in_both_documents(backend: Backend) {
    // Unique per run: both backends' variants run at once in one process.
    let file = std::env::temp_dir().join(format!("dcr-metadata-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, operator_members().to_string()).unwrap();
    let path = file.clone();
    let app = spawn_app_with(backend, move |settings| {
        with_endpoints(settings);
        settings.listeners.public_url = Some("https://auth.example.com/dcr".parse().unwrap());
        settings.discovery.issuer = Some("https://auth.example.com/tenant1".parse().unwrap());
        settings.discovery.metadata_file = Some(path);
        settings.discovery.openid_configuration = dcr_server::config::BoolArg(true);
    })
    .await;
    let _ = std::fs::remove_file(&file);

    let oauth = document(
        app.get(&format!("{WELL_KNOWN}/tenant1")).await,
        Caching::Public,
    )
    .await;
    let mut expected = object(json!({
        "issuer": "https://auth.example.com/tenant1",
        "authorization_endpoint": AUTHORIZE,
        "token_endpoint": TOKEN,
        "registration_endpoint": "https://auth.example.com/dcr/register",
        "token_endpoint_auth_methods_supported":
            ["none", "client_secret_basic", "client_secret_post"],
        "grant_types_supported":
            ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true
    }));
    expected.extend(object(operator_members()));
    assert_eq!(oauth, expected);

    // OpenID Connect Discovery: the suffix after the issuer's path.
    let openid = document(app.get(&format!("/tenant1{OPENID}")).await, Caching::Public).await;
    assert_eq!(openid, oauth);
    // Only there: not at the bare suffix, not under another path.
    assert_no_document(&app, OPENID).await;
    assert_no_document(&app, &format!("/other{OPENID}")).await;
    let response = app
        .request(Method::POST, &format!("/tenant1{OPENID}"))
        .send()
        .await
        .unwrap();
    let (headers, _) = assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
    )
    .await;
    assert_eq!(header(&headers, "allow"), Some("GET, HEAD"));
}

async fn openid_configuration_is_off_by_default(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;
    assert_no_document(&app, OPENID).await;
    let response = app.request(Method::POST, OPENID).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    // The RFC 8414 document is there, without members nobody configured.
    let document = metadata(&app).await;
    assert!(!document.contains_key("jwks_uri"));
}
