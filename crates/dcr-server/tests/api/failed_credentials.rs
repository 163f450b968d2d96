//! Failed credentials: no stranger can keep a client's right credentials
//! out, wrong secrets cost no bcrypt (or, for a secret without a tag, only
//! a bounded amount per end-client address), and no answer says whether a
//! client_id exists.

use dcr_core::{ClientCredentials, ClientId, Occasion, Provenance, RegisteredVia, SecretTag};
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

on_both_backends!(
    a_burst_of_wrong_secrets_never_keeps_the_right_one_out,
    wrong_secrets_run_no_bcrypt,
    secrets_without_a_tag_are_limited_per_address_and_get_their_tag,
    unknown_deleted_and_existing_ids_answer_alike_through_a_burst,
    wrong_registration_tokens_never_keep_the_right_one_out,
    a_malformed_client_address_is_refused,
);

/// What `DCR_FAILED_AUTH_LIMIT` is in these tests: far below a burst.
const LIMIT: &str = "3/hour";
const BURST: usize = 12;

async fn spawn_limited(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.limits.failed_auth_limit = LIMIT.parse().unwrap();
    })
    .await
}

/// A new application over `app`'s database, whichever backend it is: no
/// memory of checks, no counts.
async fn restarted(app: &TestApp) -> TestApp {
    spawn_replica(app, |settings| {
        settings.limits.failed_auth_limit = LIMIT.parse().unwrap();
    })
    .await
}

/// `POST /admin/clients/{id}/verify`, the end client at `address` (none:
/// the verify call's own caller).
async fn verify_from(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    address: Option<&str>,
) -> Response {
    let mut body = json!({ "client_secret": secret });
    if let Some(address) = address {
        body["client_address"] = json!(address);
    }
    app.client
        .post(format!(
            "{}/admin/clients/{client_id}/verify",
            app.admin_address
        ))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Status, body and the rate limit headers: everything an answer says.
async fn answer(response: Response) -> (StatusCode, Vec<(String, String)>, String) {
    let status = response.status();
    let headers = limit_headers(response.headers());
    (status, headers, response.text().await.unwrap())
}

fn limit_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    [
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "www-authenticate",
        "content-type",
    ]
    .iter()
    .filter_map(|name| header(headers, name).map(|value| ((*name).to_owned(), value.to_owned())))
    .collect()
}

async fn assert_valid(app: &TestApp, client_id: &str, secret: &str, address: Option<&str>) {
    let (status, _, body) = answer(verify_from(app, client_id, secret, address).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["valid"], true, "{body}");
}

/// Wrong secrets: `valid: false` while the address has failures left, then
/// `429`.
async fn burst_of_wrong_secrets(app: &TestApp, client_id: &str, address: Option<&str>) {
    for attempt in 0..BURST {
        let response = verify_from(app, client_id, "not-the-secret", address).await;
        if attempt < 3 {
            assert_eq!(response.status(), StatusCode::OK, "attempt {attempt}");
            assert_eq!(response.json::<Value>().await.unwrap()["valid"], false);
        } else {
            assert_error(
                response,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                None,
            )
            .await;
        }
    }
}

/// How many secret comparisons the verify call's bcrypt threads ran.
async fn bcrypt_runs(app: &TestApp) -> f64 {
    app.metrics_text()
        .await
        .lines()
        .find_map(|line| line.strip_prefix(r#"dcr_hashing_seconds_count{pool="verify"} "#))
        .map_or(0.0, |count| count.parse().unwrap())
}

/// An answer with its counts of seconds (`Retry-After`, `RateLimit-Reset`
/// and the description's) written as `#`.
fn without_seconds(
    (status, headers, body): &(StatusCode, Vec<(String, String)>, String),
) -> (StatusCode, Vec<(String, String)>, String) {
    let hash_digits = |text: &str| {
        let mut out = String::new();
        for c in text.chars() {
            if !c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('#') {
                out.push('#');
            }
        }
        out
    };
    let headers = headers
        .iter()
        .map(|(name, value)| match name.as_str() {
            "retry-after" | "ratelimit-reset" => (name.clone(), hash_digits(value)),
            _ => (name.clone(), value.clone()),
        })
        .collect();
    (*status, headers, hash_digits(body))
}

fn strings(registered: &serde_json::Map<String, Value>) -> (String, String) {
    (
        registered["client_id"].as_str().unwrap().to_owned(),
        registered["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// The client's secret as a release before tags stored it: no tag.
fn drop_tag(app: &TestApp, client_id: &str) {
    let ClientCredentials::Confidential {
        secret_hash,
        secret_expires_at,
        ..
    } = app.find_client(client_id).credentials
    else {
        panic!("a confidential client");
    };
    let untagged = ClientCredentials::Confidential {
        secret_hash,
        secret_tag: None,
        secret_expires_at,
        previous_secret: None,
    };
    let id = ClientId::parse(client_id).unwrap();
    app.store
        .replace_credentials(&id, &untagged, &Occasion::admin(unix_now()))
        .unwrap();
}

fn stored_tag(app: &TestApp, client_id: &str) -> Option<SecretTag> {
    match app.find_client(client_id).credentials {
        ClientCredentials::Confidential { secret_tag, .. } => secret_tag,
        ClientCredentials::Public => None,
    }
}

/// Ten wrong secrets used to pause the client's checks for everyone, the
/// right secret included (after a restart, when no check was remembered).
/// Now the right secret passes at once, from the very address that sent the
/// wrong ones.
async fn a_burst_of_wrong_secrets_never_keeps_the_right_one_out(backend: Backend) {
    let app = spawn_limited(backend).await;
    let (id, secret) = strings(&app.register(&fixture("claude_ai")).await);
    burst_of_wrong_secrets(&app, &id, None).await;
    assert_valid(&app, &id, &secret, None).await;

    // After a restart: nothing remembered, nothing counted.
    let again = restarted(&app).await;
    burst_of_wrong_secrets(&again, &id, None).await;
    assert_valid(&again, &id, &secret, None).await;
    // And from an end client the token endpoint names.
    burst_of_wrong_secrets(&again, &id, Some("203.0.113.9")).await;
    assert_valid(&again, &id, &secret, Some("203.0.113.9")).await;
}

/// A wrong secret whose tag does not match is refused without bcrypt: a
/// guesser costs the verify call's bcrypt threads nothing.
async fn wrong_secrets_run_no_bcrypt(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, secret) = strings(&app.register(&fixture("claude_ai")).await);
    let before = bcrypt_runs(&app).await;
    for attempt in 0..BURST {
        // Guesses of the issued shape, and other strings.
        let guess = format!("{attempt:0>43}");
        for wrong in [guess.as_str(), "wrong", &secret[..42]] {
            assert_eq!(app.verify(&id, Some(wrong)).await["valid"], false);
        }
    }
    assert_eq!(
        bcrypt_runs(&app).await,
        before,
        "no bcrypt for wrong secrets"
    );
    assert_eq!(app.verify(&id, Some(&secret)).await["valid"], true);
    assert_eq!(
        bcrypt_runs(&app).await,
        before + 1.0,
        "one for the right one"
    );
}

/// A secret stored before tags (or imported) needs bcrypt to tell right from
/// wrong: its failures are charged to the end client's address, so a
/// guesser's burst costs a bounded amount of bcrypt and the client's own
/// address is not affected. Its first confirmed use stores the tag of a
/// secret dcr issued, never of an imported one.
async fn secrets_without_a_tag_are_limited_per_address_and_get_their_tag(backend: Backend) {
    let app = spawn_limited(backend).await;
    let (id, secret) = strings(&app.register(&fixture("claude_ai")).await);
    drop_tag(&app, &id);
    let guesser = Some("203.0.113.9");
    let before = bcrypt_runs(&app).await;
    burst_of_wrong_secrets(&app, &id, guesser).await;
    assert_eq!(
        bcrypt_runs(&app).await,
        before + 3.0,
        "bounded by the limit"
    );
    // From the guesser's address, even the right secret would need bcrypt.
    let (status, _, _) = answer(verify_from(&app, &id, &secret, guesser).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The client itself, elsewhere: valid at once, and its tag is stored.
    assert_valid(&app, &id, &secret, Some("198.51.100.7")).await;
    let tag = stored_tag(&app, &id).expect("the tag of a secret dcr issued");
    assert!(tag.admits(&ClientId::parse(&id).unwrap(), &secret));
    // Now tagged: the guesser's address gets the right secret through, and
    // wrong ones cost no bcrypt.
    assert_valid(&app, &id, &secret, guesser).await;
    let after = bcrypt_runs(&app).await;
    let (status, _, _) = answer(verify_from(&app, &id, "wrong", Some("192.0.2.1")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bcrypt_runs(&app).await, after);

    // An imported client never gets a tag: its secret may be weak.
    let (imported_id, imported_secret) = strings(&app.register(&fixture("claude_ai")).await);
    drop_tag(&app, &imported_id);
    let mut imported = app.find_client(&imported_id);
    app.store
        .delete_client(&imported.client_id, &Occasion::admin(0))
        .unwrap();
    imported.provenance = Provenance {
        via: RegisteredVia::Imported,
        ..Provenance::default()
    };
    app.store.import_clients(&[imported], unix_now()).unwrap();
    assert_valid(&app, &imported_id, &imported_secret, None).await;
    assert_eq!(stored_tag(&app, &imported_id), None);
}

/// Wrong secrets for an id no client has, one that was deleted, one with a
/// tag and one without: every answer the same, status, body and headers,
/// through a burst past the limit.
async fn unknown_deleted_and_existing_ids_answer_alike_through_a_burst(backend: Backend) {
    let app = spawn_limited(backend).await;
    let (tagged, _) = strings(&app.register(&fixture("claude_ai")).await);
    let (untagged, _) = strings(&app.register(&fixture("claude_ai")).await);
    drop_tag(&app, &untagged);
    let (deleted, _) = strings(&app.register(&fixture("claude_ai")).await);
    let gone = app
        .client
        .delete(format!("{}/admin/clients/{deleted}", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let ids = [
        ("unknown", "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60".to_owned()),
        ("not a client id", "not-a-client-id".to_owned()),
        ("deleted", deleted),
        ("existing, tagged", tagged),
        ("existing, untagged", untagged),
    ];
    let mut statuses = Vec::new();
    for attempt in 0..BURST {
        let mut answers = Vec::new();
        // Each id from its own address, so each has the same history.
        for (index, (what, id)) in ids.iter().enumerate() {
            let address = format!("203.0.113.{}", index + 1);
            let response = verify_from(&app, id, "not-the-secret", Some(&address)).await;
            answers.push((*what, answer(response).await));
        }
        // The seconds to wait are counted from each address's last failure,
        // a few milliseconds apart: they may round to the next second.
        let waits: Vec<u64> = answers
            .iter()
            .filter_map(|(_, (_, headers, _))| {
                headers
                    .iter()
                    .find(|(name, _)| name == "retry-after")
                    .map(|(_, value)| value.parse().unwrap())
            })
            .collect();
        assert!(
            waits.is_empty() || waits.len() == answers.len(),
            "attempt {attempt}: only some answers say when to retry"
        );
        if let (Some(least), Some(most)) = (waits.iter().min(), waits.iter().max()) {
            assert!(most - least <= 1, "attempt {attempt}: {waits:?}");
        }
        let (_, first) = &answers[0];
        let first = without_seconds(first);
        for (what, other) in &answers[1..] {
            assert_eq!(
                without_seconds(other),
                first,
                "attempt {attempt}: {what} answers otherwise"
            );
        }
        statuses.push(first.0);
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert_eq!(statuses[BURST - 1], StatusCode::TOO_MANY_REQUESTS);
}

/// A registration access token check is one digest: no failure limit, so a
/// burst of wrong tokens never keeps the right one out, and every wrong one
/// is the same `401` whether or not the client exists.
async fn wrong_registration_tokens_never_keep_the_right_one_out(backend: Backend) {
    let app = spawn_limited(backend).await;
    let registered = app.register(&fixture("claude_code")).await;
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app.register(&fixture("claude_code")).await;
    let deleted_id = deleted["client_id"].as_str().unwrap().to_owned();
    let deleted_token = deleted["registration_access_token"].as_str().unwrap();
    let gone = app
        .request(Method::DELETE, &format!("/register/{deleted_id}"))
        .bearer_auth(deleted_token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let unknown = "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60".to_owned();
    let read = |app: &TestApp, id: &str, token: &str| {
        app.request(Method::GET, &format!("/register/{id}"))
            .bearer_auth(token.to_owned())
            .send()
    };

    for target in [&app, &restarted(&app).await] {
        for attempt in 0..BURST {
            let mut answers = Vec::new();
            for id in [&id, &deleted_id, &unknown] {
                answers.push(answer(read(target, id, "wrong-token").await.unwrap()).await);
            }
            assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED, "attempt {attempt}");
            assert_eq!(answers[1], answers[0], "attempt {attempt}: deleted");
            assert_eq!(answers[2], answers[0], "attempt {attempt}: unknown");
        }
        let right = read(target, &id, &token).await.unwrap();
        assert_eq!(right.status(), StatusCode::OK);
    }
}

/// `client_address` is an IP address as written, or absent: anything else
/// is a `400` that names it (it decides whose failures are whose).
async fn a_malformed_client_address_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, secret) = strings(&app.register(&fixture("claude_ai")).await);
    let post = |body: Value| {
        app.client
            .post(format!("{}/admin/clients/{id}/verify", app.admin_address))
            .json(&body)
            .send()
    };
    for malformed in [
        json!("203.0.113.9:443"),
        json!("[2001:db8::1]"),
        json!("fe80::1%eth0"),
        json!("203.0.113.009"),
        json!(" 203.0.113.9"),
        json!("203.0.113.0/24"),
        json!("host.example"),
        json!(""),
        json!(42),
        json!(["203.0.113.9"]),
    ] {
        let response = post(json!({ "client_secret": secret, "client_address": malformed }))
            .await
            .unwrap();
        let (_, body) =
            assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains("client_address"),
            "{malformed}: {description}"
        );
    }
    for fine in [
        json!("203.0.113.9"),
        json!("2001:db8::1"),
        json!("::ffff:203.0.113.9"),
        Value::Null,
    ] {
        let response = post(json!({ "client_secret": secret, "client_address": fine }))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{fine}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["valid"],
            true,
            "{fine}"
        );
    }
}

mod overlap;
