//! `POST /admin/clients/{id}/used`, the report of a token endpoint that
//! checks credentials itself, and the arming of the never-used rule: the
//! first valid verify or used report arms it, for every replica and restart;
//! `dcr_unused_purge_armed` on /metrics says whether it is.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Admin, id_of, object, secret_of, spawn_admin, spawn_admin_with, with_secret};
use crate::helpers::{Backend, assert_error, fixture, header, unix_now};

on_both_backends!(
    a_used_report_records_the_last_use_and_arms_the_purge,
    a_used_report_answers_as_the_other_client_routes,
    the_first_valid_verify_arms_the_purge,
    the_arming_of_another_replica_reaches_the_gauge,
);

impl Admin {
    async fn report_use(&self, client_id: &str) -> reqwest::Response {
        self.post(&format!("/admin/clients/{client_id}/used")).await
    }

    /// `dcr_unused_purge_armed` on /metrics.
    async fn armed_gauge(&self) -> f64 {
        let response = self.send(Method::GET, "/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        let line = text
            .lines()
            .find(|line| line.starts_with("dcr_unused_purge_armed "))
            .unwrap_or_else(|| panic!("no dcr_unused_purge_armed in:\n{text}"));
        assert!(
            text.contains("# TYPE dcr_unused_purge_armed gauge"),
            "{text}"
        );
        line.rsplit_once(' ').unwrap().1.parse().unwrap()
    }

    fn armed_at(&self) -> Option<i64> {
        self.app.store.unused_purge_armed_at().unwrap()
    }

    async fn event_kinds(&self, client_id: &str) -> Vec<String> {
        let response = self
            .send(Method::GET, &format!("/admin/clients/{client_id}/events"))
            .await;
        let body = object(response, StatusCode::OK).await;
        body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["event"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// 204, the last use set as a verify sets it (once per
/// DCR_LAST_USED_RESOLUTION_SECS, 60 s by default), the rule armed, and
/// nothing else recorded.
async fn a_used_report_records_the_last_use_and_arms_the_purge(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let id = id_of(&admin.register(&fixture("claude_code")).await);
    assert_eq!(admin.armed_gauge().await, 0.0);
    assert_eq!(admin.armed_at(), None);

    let before = unix_now();
    let response = admin.report_use(&id).await;
    let after = unix_now();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store")
    );
    assert!(response.text().await.unwrap().is_empty());

    let used = admin.app.find_client(&id).last_used_at.unwrap();
    assert!((before..=after).contains(&used), "{used}");
    let armed = admin.armed_at().unwrap();
    assert!((before..=after).contains(&armed), "{armed}");
    assert_eq!(admin.armed_gauge().await, 1.0);
    assert_eq!(admin.show(&id).await["last_used_at"], used);

    // Within the resolution, another report writes nothing.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = admin.report_use(&id).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    assert_eq!(admin.app.find_client(&id).last_used_at, Some(used));
    assert_eq!(admin.armed_at(), Some(armed));
    assert_eq!(admin.event_kinds(&id).await, vec!["registered"]);
}

/// Unknown ids answer the admin API's 404; a URL client id, which is not
/// stored and has no lifetime, is refused as DELETE and rotate-secret refuse
/// it; a disabled client's use is recorded (the lifetimes do not look at
/// the disabled state).
async fn a_used_report_answers_as_the_other_client_routes(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| {
        settings.hashing.last_used_resolution_secs = 0
    })
    .await;
    for unknown in ["00000000-0000-4000-8000-000000000000", "not-a-client-id"] {
        let response = admin.report_use(unknown).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    let response = admin
        .report_use("https%3A%2F%2Fagent.example.com%2Fclient.json")
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    assert_eq!(admin.armed_at(), None, "no report of these arms the rule");
    assert_eq!(admin.armed_gauge().await, 0.0);

    let id = id_of(&admin.register(&fixture("claude_code")).await);
    let disabled = admin.post(&format!("/admin/clients/{id}/disable")).await;
    assert_eq!(disabled.status(), StatusCode::OK);
    assert_eq!(admin.report_use(&id).await.status(), StatusCode::NO_CONTENT);
    assert!(admin.app.find_client(&id).last_used_at.is_some());
    assert!(admin.armed_at().is_some());
    assert_eq!(admin.show(&id).await["active"], false);
}

/// A failed check arms nothing; the first valid one arms the rule, and a
/// server started later over the same database knows it at once.
async fn the_first_valid_verify_arms_the_purge(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    admin
        .assert_invalid(&id, &with_secret("wrong"), "wrong secret")
        .await;
    assert_eq!(admin.armed_at(), None);
    assert_eq!(admin.armed_gauge().await, 0.0);

    let before = unix_now();
    admin
        .assert_valid(&id, &with_secret(secret_of(&registration)), "valid")
        .await;
    let armed = admin.armed_at().unwrap();
    assert!((before..=unix_now()).contains(&armed), "{armed}");
    assert_eq!(admin.armed_gauge().await, 1.0);

    // A server started later on the same database (a restart, another
    // replica) reads the arming at start-up.
    let url = admin.app.db.url().clone();
    let restarted =
        spawn_admin_with(backend, |settings| settings.database.database_url = url).await;
    assert_eq!(restarted.armed_gauge().await, 1.0);
}

/// Armed by another replica (straight in the database here): the next purge
/// round sets the gauge.
async fn the_arming_of_another_replica_reaches_the_gauge(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| {
        settings.lifetimes.unused_client_ttl_secs = 3600;
        settings.lifetimes.purge_interval_secs = 1;
    })
    .await;
    assert_eq!(admin.armed_gauge().await, 0.0);
    let now = unix_now();
    assert_eq!(admin.app.store.arm_unused_purge(now).unwrap(), now);
    let deadline = Instant::now() + Duration::from_secs(30);
    while admin.armed_gauge().await != 1.0 {
        assert!(Instant::now() < deadline, "the gauge never followed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        json!(admin.armed_at()),
        Value::from(now),
        "the arming stands as the other replica wrote it"
    );
}
