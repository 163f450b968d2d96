//! `GET /admin/clients`: the filters (name, software_id, redirect host,
//! status), paging with a limit and cursors, and the parameters it refuses.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{id_of, spawn_admin};
use crate::helpers::{Backend, assert_error, fixture};

on_both_backends!(
    listing_filters_by_name_software_id_redirect_host_and_status,
    listing_pages_through_every_client_exactly_once,
    listing_refuses_bad_parameters,
);

/// Query parameters of `GET /admin/clients`.
type Query<'a> = Vec<(&'a str, &'a str)>;

async fn listing_filters_by_name_software_id_redirect_host_and_status(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let claude = id_of(&admin.register(&fixture("claude_ai")).await);
    let claude_code = id_of(&admin.register(&fixture("claude_code")).await);
    let cursor = id_of(&admin.register(&fixture("cursor")).await);
    let percent = id_of(
        &admin
            .register(&json!({
                "client_name": "100% Agent_v2",
                "redirect_uris": ["https://notclaude.ai/cb", "https://Agents.Example/cb"],
                "software_id": "com.example.agent",
                "token_endpoint_auth_method": "none"
            }))
            .await,
    );
    let plain = id_of(
        &admin
            .register(&json!({
                "client_name": "100 Agent v2",
                "redirect_uris": ["https://app.example/claude.ai/cb"],
                "software_id": "com.example.agent2",
                "token_endpoint_auth_method": "none"
            }))
            .await,
    );
    let nameless = id_of(
        &admin
            .register(&json!({
                "redirect_uris": ["http://127.0.0.1:33418"],
                "token_endpoint_auth_method": "none"
            }))
            .await,
    );
    let response = admin
        .post(&format!("/admin/clients/{cursor}/disable"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let all: HashSet<String> = [&claude, &claude_code, &cursor, &percent, &plain, &nameless]
        .into_iter()
        .cloned()
        .collect();
    let set = |ids: &[&String]| ids.iter().map(|id| (*id).clone()).collect::<HashSet<_>>();
    let cases: Vec<(Query, HashSet<String>)> = vec![
        (vec![], all.clone()),
        // Case-insensitive substring of the name; wildcards are literal.
        (vec![("name", "claude")], set(&[&claude, &claude_code])),
        (vec![("name", "CLAUDE CODE")], set(&[&claude_code])),
        (vec![("name", "(Memory)")], set(&[&claude_code])),
        (vec![("name", "%")], set(&[&percent])),
        (vec![("name", "_")], set(&[&percent])),
        (vec![("name", "0% a")], set(&[&percent])),
        (vec![("name", "t_v")], set(&[&percent])),
        (vec![("name", "100")], set(&[&percent, &plain])),
        (vec![("name", "nobody")], set(&[])),
        // software_id is exact.
        (vec![("software_id", "com.example.agent")], set(&[&percent])),
        (vec![("software_id", "com.example")], set(&[])),
        // The exact host of some redirect URI: not a substring of a host,
        // not a path, case-insensitive as hosts are.
        (vec![("redirect_host", "claude.ai")], set(&[&claude])),
        (vec![("redirect_host", "CLAUDE.AI")], set(&[&claude])),
        (vec![("redirect_host", "agents.example")], set(&[&percent])),
        (vec![("redirect_host", "localhost")], set(&[&claude_code])),
        (vec![("redirect_host", "127.0.0.1")], set(&[&nameless])),
        (
            vec![("redirect_host", "anysphere.cursor-retrieval")],
            set(&[&cursor]),
        ),
        (vec![("redirect_host", "example")], set(&[])),
        (vec![("redirect_host", "ai")], set(&[])),
        // Status.
        (vec![("status", "disabled")], set(&[&cursor])),
        (
            vec![("status", "active")],
            set(&[&claude, &claude_code, &percent, &plain, &nameless]),
        ),
        (vec![("status", "all")], all.clone()),
        // Every filter given must hold.
        (
            vec![
                ("name", "claude"),
                ("status", "active"),
                ("redirect_host", "localhost"),
            ],
            set(&[&claude_code]),
        ),
        (vec![("name", "cursor"), ("status", "active")], set(&[])),
        (
            vec![("name", "agent"), ("software_id", "com.example.agent2")],
            set(&[&plain]),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(admin.listed(&query).await, expected, "{query:?}");
    }
}

async fn listing_pages_through_every_client_exactly_once(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let mut registered = Vec::new();
    for (index, name) in ["claude_ai", "claude_code", "cursor", "vscode", "inspector"]
        .into_iter()
        .enumerate()
    {
        let mut body = fixture(name);
        body["client_name"] = json!(format!("paged {index}"));
        let registration = admin.register(&body).await;
        registered.push((
            registration["client_id_issued_at"].as_i64().unwrap(),
            id_of(&registration),
        ));
    }
    // Oldest first; clients of the same second in client_id order.
    registered.sort();
    let expected: Vec<String> = registered.into_iter().map(|(_, id)| id).collect();

    let (everything, next) = admin.list(&[]).await;
    assert_eq!(everything, expected);
    assert_eq!(next, None);

    let mut walked = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (page, next) = admin.list(&query).await;
        sizes.push(page.len());
        walked.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(sizes.len() < 10, "the walk never ends: {sizes:?}");
    }
    assert_eq!(walked, expected, "every client once, in order");
    assert_eq!(sizes, [2, 2, 1]);

    // A filter holds on every page.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "1"), ("name", "PAGED")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (page, next) = admin.list(&query).await;
        assert!(page.len() <= 1);
        walked.extend(page);
        let Some(next) = next else { break };
        cursor = Some(next);
    }
    assert_eq!(walked, expected);

    // Deleting the client a cursor points after does not lose the rest.
    let (first, next) = admin.list(&[("limit", "2")]).await;
    let response = admin
        .send(Method::DELETE, &format!("/admin/clients/{}", first[1]))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let next = next.unwrap();
    let (rest, _) = admin.list(&[("cursor", next.as_str())]).await;
    assert_eq!(rest, expected[2..]);
}

async fn listing_refuses_bad_parameters(backend: Backend) {
    let admin = spawn_admin(backend).await;
    admin.register(&fixture("claude_code")).await;
    let bad = [
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "-1"),
        ("limit", "abc"),
        ("limit", "1.5"),
        ("limit", ""),
        ("cursor", "garbage"),
        ("cursor", "1790000000.not-a-uuid"),
        ("cursor", "soon.6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60"),
        ("status", "enabled"),
        ("status", "ACTIVE"),
        ("status", ""),
    ];
    for (name, value) in bad {
        let response = admin
            .request(Method::GET, "/admin/clients")
            .query(&[(name, value)])
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    }
    // Postgres refuses NUL in text: a text filter with a control character
    // is the caller's mistake (400, naming the parameter), never a 500.
    for name in ["name", "software_id", "redirect_host"] {
        for value in ["\0", "a\0b", "\u{1b}[31m", "\u{7f}"] {
            let response = admin
                .request(Method::GET, "/admin/clients")
                .query(&[(name, value)])
                .send()
                .await
                .unwrap();
            let (_, body) =
                assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
            let description = body["error_description"].as_str().unwrap();
            assert!(
                description.starts_with(&format!("{name} must not contain")),
                "{description}"
            );
        }
    }
    for limit in ["1", "1000"] {
        let (page, _) = admin.list(&[("limit", limit)]).await;
        assert_eq!(page.len(), 1, "limit={limit}");
    }
    // Unknown parameters are ignored.
    let (page, _) = admin.list(&[("sort", "newest")]).await;
    assert_eq!(page.len(), 1);
}
