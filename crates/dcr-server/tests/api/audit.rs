//! The audit trail over HTTP: every change a client goes through, by whom,
//! readable on the admin listener after the client is gone.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

on_both_backends!(
    a_client_s_life_is_in_its_events,
    events_are_paged_and_bad_queries_refused,
);

fn summary(events: &Value) -> Vec<(String, String)> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["event"].as_str().unwrap().to_owned(),
                event["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_client_s_life_is_in_its_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app.register(&fixture("claude_ai")).await;
    let id = registered["client_id"].as_str().unwrap();
    let access = registered["registration_access_token"].as_str().unwrap();
    let mut body = fixture("claude_ai");
    body["client_id"] = json!(id);
    body["client_secret"] = registered["client_secret"].clone();
    let updated = app
        .request(Method::PUT, &format!("/register/{id}"))
        .bearer_auth(access)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    let access = updated.json::<Value>().await.unwrap()["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for step in ["disable", "enable", "rotate-secret"] {
        let (status, _) = admin_json(
            &app,
            Method::POST,
            &format!("/admin/clients/{id}/{step}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{step}");
    }
    let deleted = app
        .request(Method::DELETE, &format!("/register/{id}"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let (status, events) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/clients/{id}/events"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(event, actor)| ((*event).to_owned(), (*actor).to_owned()))
            .collect()
    };
    assert_eq!(
        summary(&events),
        pairs(&[
            ("registered", "127.0.0.1"),
            ("updated", "127.0.0.1"),
            ("disabled", "admin"),
            ("enabled", "admin"),
            ("secret_rotated", "admin"),
            ("deleted", "127.0.0.1"),
        ])
    );
    let first = &events["events"][0];
    assert_eq!(first["client_id"], id);
    assert!((first["at"].as_i64().unwrap() - unix_now()).abs() < 30);
    assert_eq!(events["next_cursor"], Value::Null);
    assert!(
        !events.to_string().contains(&access),
        "no token in the trail"
    );
}

async fn events_are_paged_and_bad_queries_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app.register(&fixture("claude_code")).await;
    let id = registered["client_id"].as_str().unwrap();
    for step in ["disable", "enable", "disable"] {
        admin_json(
            &app,
            Method::POST,
            &format!("/admin/clients/{id}/{step}"),
            None,
        )
        .await;
    }
    let (_, first) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/clients/{id}/events?limit=3"),
        None,
    )
    .await;
    assert_eq!(summary(&first).len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/clients/{id}/events?limit=3&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(
        summary(&rest),
        vec![("disabled".to_owned(), "admin".to_owned())]
    );
    assert_eq!(rest["next_cursor"], Value::Null);

    for query in ["limit=0", "limit=1001", "limit=x", "cursor=abc"] {
        let (status, body) = admin_json(
            &app,
            Method::GET,
            &format!("/admin/clients/{id}/events?{query}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"], "invalid_request");
    }
    for unknown in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "not-a-client"] {
        let (status, _) = admin_json(
            &app,
            Method::GET,
            &format!("/admin/clients/{unknown}/events"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
}
