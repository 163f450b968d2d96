//! A client id in the body is only ever a client id. A token endpoint that
//! passes on whatever `client_id` it was sent (`<victim>/disable?`,
//! `../initial-access-tokens?`) reaches no other admin route through
//! `/admin/verify`, `/admin/used` or `/admin/lookup`: the id is unknown, the
//! victim is untouched, no initial access token is minted.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::body_forms::answer;
use super::{id_of, object, secret_of, spawn_admin_with, with_secret};
use crate::helpers::{Backend, fixture};

on_both_backends!(hostile_client_ids_reach_no_other_route);

/// Ids a caller of the token endpoint controls, built to turn an admin URL
/// made from them into another route.
fn hostile_ids(victim: &str) -> Vec<String> {
    let mut ids: Vec<String> = [
        "{v}/disable?",
        "{v}/disable#",
        "{v}/rotate-secret?",
        "{v}/rotate-secret#",
        "{v}/enable?x=",
        "{v}/../{v}/disable?",
        "{v}%2Fdisable",
        "{v}%2frotate-secret",
        "{v}/",
        "{v}?",
        "{v}#",
        "{v}/verify",
        " {v}",
        "{v}\n",
        "{v}\u{0}",
        "/admin/clients/{v}/disable",
        "../{v}/rotate-secret?",
        "%2E%2E%2F{v}%2Fdisable",
    ]
    .iter()
    .map(|pattern| pattern.replace("{v}", victim))
    .collect();
    ids.extend(
        [
            "../initial-access-tokens?",
            "../initial-access-tokens#",
            "../../admin/initial-access-tokens?",
            "..%2Finitial-access-tokens",
            "..%2F..%2Fadmin%2Finitial-access-tokens?",
            "..",
            "../",
            ".",
            "?",
            "#",
            "/",
            "%2F",
            "%00",
        ]
        .map(str::to_owned),
    );
    ids
}

async fn hostile_client_ids_reach_no_other_route(backend: Backend) {
    // Every refused guess would count; the limit is not what is tested.
    let admin = spawn_admin_with(backend, |settings| {
        settings.limits.failed_auth_limit = "off".parse().unwrap();
    })
    .await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let victim = id_of(&registration);
    let secret = secret_of(&registration).to_owned();
    let ids = hostile_ids(&victim);
    assert!(ids.len() >= 30, "{}", ids.len());

    for id in &ids {
        let (status, verified) = admin.verify_by_body(id, &with_secret(&secret)).await;
        assert_eq!(
            (status, verified),
            (StatusCode::OK, json!({ "valid": false })),
            "verify {id:?}"
        );
        let (status, looked_up) = answer(
            admin
                .post_json("/admin/lookup", &json!({ "client_id": id }))
                .await,
        )
        .await;
        assert_eq!(
            (status, looked_up),
            (
                StatusCode::OK,
                json!({ "usable": false, "reason": "unknown_client" })
            ),
            "lookup {id:?}"
        );
        let (status, used) = answer(
            admin
                .post_json("/admin/used", &json!({ "client_id": id }))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "used {id:?}: {used}");
        assert_eq!(used["error"], "not_found", "used {id:?}");
    }

    let victim_now = admin.show(&victim).await;
    assert_eq!(victim_now["active"], true);
    assert_eq!(
        victim_now["last_used_at"],
        Value::Null,
        "no use was recorded"
    );
    let response = admin
        .send(Method::GET, "/admin/initial-access-tokens")
        .await;
    let tokens = object(response, StatusCode::OK).await;
    assert_eq!(
        tokens["tokens"],
        json!([]),
        "no token was minted: {tokens:?}"
    );
    // The secret was not rotated: it still verifies.
    let (_, verified) = admin.verify_by_body(&victim, &with_secret(&secret)).await;
    assert_eq!(verified["valid"], true, "{verified}");
}
