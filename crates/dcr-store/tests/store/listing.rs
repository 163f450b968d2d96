//! Listing for operators: filters, and pages that neither skip nor repeat.

use super::*;

on_both_backends!(
    list_filters_names_case_insensitively_with_literal_wildcards,
    list_filters_software_id_exactly,
    list_filters_by_the_exact_redirect_host,
    list_filters_by_status,
    list_pages_oldest_first_without_gaps_or_repeats,
    list_cursors_round_trip_and_refuse_garbage,
);

/// A registration issued at `now` (Unix seconds), for ordering tests.
/// Stores a public client with this name and these redirect URIs.
fn insert_named(store: &Store, name: Option<&str>, redirect_uris: &[&str], seed: u64) -> ClientId {
    let mut body = json!({
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": "none"
    });
    if let Some(name) = name {
        body["client_name"] = json!(name);
    }
    let client = register(body, seed).client;
    store.insert_client(&client).unwrap();
    client.client_id
}

/// Every client matching `filter`, one page of up to 1000.
fn listed(store: &Store, filter: &ClientFilter) -> std::collections::HashSet<ClientId> {
    let page = store.list_clients(filter, 1000, None).unwrap();
    assert!(page.next.is_none());
    page.clients
        .into_iter()
        .map(|client| client.client_id)
        .collect()
}

fn ids<const N: usize>(ids: [&ClientId; N]) -> std::collections::HashSet<ClientId> {
    ids.into_iter().cloned().collect()
}

fn by_name(name: &str) -> ClientFilter {
    ClientFilter {
        name_contains: Some(name.to_owned()),
        ..ClientFilter::default()
    }
}

fn list_filters_names_case_insensitively_with_literal_wildcards(db: &TestDatabase) {
    let store = db.store();
    let cb = ["https://app.example/cb"];
    let claude = insert_named(&store, Some("Claude"), &cb, 1);
    let code = insert_named(&store, Some("Claude Code (memory)"), &cb, 2);
    let percent = insert_named(&store, Some("100% Agent"), &cb, 3);
    let hundred = insert_named(&store, Some("100 Agent"), &cb, 4);
    let underscore = insert_named(&store, Some("under_score"), &cb, 5);
    let lookalike = insert_named(&store, Some("underXscore"), &cb, 6);
    let backslash = insert_named(&store, Some(r"back\slash"), &cb, 7);
    let nameless = insert_named(&store, None, &cb, 8);

    let cases = [
        ("claude", ids([&claude, &code])),
        ("CLAUDE", ids([&claude, &code])),
        ("cLaUdE cOdE", ids([&code])),
        ("(MEMORY)", ids([&code])),
        ("%", ids([&percent])),
        ("0% a", ids([&percent])),
        ("100", ids([&percent, &hundred])),
        ("_", ids([&underscore])),
        ("r_s", ids([&underscore])),
        ("underXscore", ids([&lookalike])),
        (r"\", ids([&backslash])),
        (r"k\s", ids([&backslash])),
        ("nobody", ids([])),
    ];
    for (name, expected) in cases {
        assert_eq!(listed(&store, &by_name(name)), expected, "name {name:?}");
    }
    // No name filter: every client, the nameless one included.
    assert!(listed(&store, &ClientFilter::default()).contains(&nameless));
    assert_eq!(store.count_clients().unwrap(), 8);
}

fn list_filters_software_id_exactly(db: &TestDatabase) {
    let store = db.store();
    let mut inserted = Vec::new();
    for (seed, software_id) in [
        (1, Some("com.example.agent")),
        (2, Some("com.example.agent2")),
        (3, None),
    ] {
        let mut body = public_body();
        if let Some(software_id) = software_id {
            body["software_id"] = json!(software_id);
        }
        let client = register(body, seed).client;
        store.insert_client(&client).unwrap();
        inserted.push(client.client_id);
    }
    let filter = |software_id: &str| ClientFilter {
        software_id: Some(software_id.to_owned()),
        ..ClientFilter::default()
    };
    assert_eq!(
        listed(&store, &filter("com.example.agent")),
        ids([&inserted[0]])
    );
    assert_eq!(
        listed(&store, &filter("com.example.agent2")),
        ids([&inserted[1]])
    );
    assert_eq!(listed(&store, &filter("com.example")), ids([]));
    assert_eq!(listed(&store, &filter("COM.EXAMPLE.AGENT")), ids([]));
}

fn list_filters_by_the_exact_redirect_host(db: &TestDatabase) {
    let store = db.store();
    let claude = insert_named(
        &store,
        None,
        &["https://claude.ai/api/mcp/auth_callback"],
        1,
    );
    let lookalikes = insert_named(
        &store,
        None,
        &[
            "https://notclaude.ai/cb",
            "https://claude.ai.evil.example/cb",
            "https://app.example/claude.ai/cb",
        ],
        2,
    );
    let mixed_case = insert_named(&store, None, &["https://Agents.Example/cb"], 3);
    let loopback = insert_named(
        &store,
        None,
        &[
            "http://127.0.0.1:33418",
            "http://localhost:6274/oauth/callback",
        ],
        4,
    );
    let cursor = insert_named(
        &store,
        None,
        &["cursor://anysphere.cursor-retrieval/oauth/user-memory/callback"],
        5,
    );
    let wildcard_like = insert_named(&store, None, &["https://a_b.example/cb"], 6);

    let by_host = |host: &str| ClientFilter {
        redirect_host: Some(host.to_owned()),
        ..ClientFilter::default()
    };
    let cases = [
        ("claude.ai", ids([&claude])),
        ("CLAUDE.AI", ids([&claude])),
        ("notclaude.ai", ids([&lookalikes])),
        ("claude.ai.evil.example", ids([&lookalikes])),
        ("app.example", ids([&lookalikes])),
        ("agents.example", ids([&mixed_case])),
        ("Agents.Example", ids([&mixed_case])),
        ("127.0.0.1", ids([&loopback])),
        ("localhost", ids([&loopback])),
        ("anysphere.cursor-retrieval", ids([&cursor])),
        ("a_b.example", ids([&wildcard_like])),
        ("aXb.example", ids([])),
        ("ai", ids([])),
        ("example", ids([])),
        ("33418", ids([])),
    ];
    for (host, expected) in cases {
        assert_eq!(listed(&store, &by_host(host)), expected, "host {host:?}");
    }
}

fn list_filters_by_status(db: &TestDatabase) {
    let store = db.store();
    let cb = ["https://app.example/cb"];
    let on = insert_named(&store, Some("on"), &cb, 1);
    let off = insert_named(&store, Some("off"), &cb, 2);
    store.set_active(&off, false, &admin()).unwrap();
    let status = |active| ClientFilter {
        active,
        ..ClientFilter::default()
    };
    assert_eq!(listed(&store, &status(Some(true))), ids([&on]));
    assert_eq!(listed(&store, &status(Some(false))), ids([&off]));
    assert_eq!(listed(&store, &status(None)), ids([&on, &off]));
    // Filters combine.
    let off_named_on = ClientFilter {
        name_contains: Some("on".into()),
        active: Some(false),
        ..ClientFilter::default()
    };
    assert_eq!(listed(&store, &off_named_on), ids([]));
}

/// Walks every page of `filter` with pages of `limit`; returns the clients in
/// order and the size of each page.
pub(super) fn walk(
    store: &Store,
    filter: &ClientFilter,
    limit: usize,
) -> (Vec<ClientId>, Vec<usize>) {
    let mut walked = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    loop {
        let page = store.list_clients(filter, limit, cursor.as_ref()).unwrap();
        assert!(page.clients.len() <= limit);
        sizes.push(page.clients.len());
        walked.extend(page.clients.into_iter().map(|client| client.client_id));
        // Cursors travel as text between pages.
        match page.next {
            Some(next) => cursor = Some(ListCursor::parse(&next.to_string()).unwrap()),
            None => break,
        }
        assert!(sizes.len() <= 100, "the walk never ends");
    }
    (walked, sizes)
}

fn list_pages_oldest_first_without_gaps_or_repeats(db: &TestDatabase) {
    let store = db.store();
    // Inserted out of order, several in the same second.
    let times = [
        1_790_000_300,
        1_790_000_100,
        1_790_000_200,
        1_790_000_100,
        1_790_000_100,
        1_790_000_400,
        1_790_000_200,
    ];
    let mut expected: Vec<(i64, String, ClientId)> = Vec::new();
    for (seed, at) in (0u64..).zip(times) {
        let mut body = public_body();
        if seed % 2 == 0 {
            body["redirect_uris"] = json!(["https://even.example/cb"]);
        }
        let client = register_at(body, 900 + seed, at).client;
        store.insert_client(&client).unwrap();
        expected.push((at, client.client_id.to_string(), client.client_id));
    }
    expected.sort();
    let expected: Vec<ClientId> = expected.into_iter().map(|(_, _, id)| id).collect();

    let all = ClientFilter::default();
    // A cursor only when more rows follow: an exactly full last page is the
    // last one, never followed by an empty page.
    for (limit, sizes) in [
        (3, vec![3, 3, 1]),
        (7, vec![7]),
        (6, vec![6, 1]),
        (1, vec![1, 1, 1, 1, 1, 1, 1]),
        (1000, vec![7]),
    ] {
        let (walked, pages) = walk(&store, &all, limit);
        assert_eq!(walked, expected, "limit {limit}");
        assert_eq!(pages, sizes, "limit {limit}");
    }

    // A redirect-host filter holds on every page, even when the rows that
    // fill a page in SQL are not all its matches.
    let even = ClientFilter {
        redirect_host: Some("even.example".into()),
        ..ClientFilter::default()
    };
    let expected_even: Vec<ClientId> = expected
        .iter()
        .filter(|id| {
            store.find_client(id).unwrap().metadata.redirect_uris[0].as_str()
                == "https://even.example/cb"
        })
        .cloned()
        .collect();
    assert_eq!(expected_even.len(), 4);
    for limit in [1, 2, 3, 1000] {
        let (walked, _) = walk(&store, &even, limit);
        assert_eq!(walked, expected_even, "limit {limit}");
    }

    // Deleting the client a cursor points after loses nothing else.
    let first = store.list_clients(&all, 3, None).unwrap();
    store.delete_client(&expected[2], &admin()).unwrap();
    let rest = store.list_clients(&all, 1000, first.next.as_ref()).unwrap();
    let rest: Vec<ClientId> = rest
        .clients
        .into_iter()
        .map(|client| client.client_id)
        .collect();
    assert_eq!(rest, expected[3..]);
}

fn list_cursors_round_trip_and_refuse_garbage(db: &TestDatabase) {
    let store = db.store();
    for seed in 0..3 {
        store
            .insert_client(&register(public_body(), 950 + seed).client)
            .unwrap();
    }
    let page = store
        .list_clients(&ClientFilter::default(), 2, None)
        .unwrap();
    let next = page.next.unwrap();
    assert_eq!(ListCursor::parse(&next.to_string()).unwrap(), next);
    for garbage in [
        "",
        "garbage",
        "1790000000",
        "1790000000.",
        "1790000000.not-a-uuid",
        "soon.6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
        ".6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
    ] {
        assert!(ListCursor::parse(garbage).is_err(), "{garbage:?}");
    }
}
