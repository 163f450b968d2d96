//! The indexes of `oauth_clients`: each one is written by every registration
//! that enters it, so the table keeps only those a query of the code uses
//! (the reasons are in the migrations from 2026-12-03-000012 on, the
//! measurements in docs/benchmarks.md, "Indexes of oauth_clients"). The
//! purge and the listing must answer as a scan of every client would.

use dcr_store::Expiry;

use super::listing::walk;
use super::purge::{DAY, NOW, armed_long_ago};
use super::*;

on_both_backends!(
    oauth_clients_has_only_the_indexes_its_queries_use,
    purge_and_listing_answer_as_a_scan_of_every_client_would,
);

/// One index as the database describes it: its name, and its definition
/// lowercased with whitespace, quotes and parentheses dropped (Postgres
/// rewrites the definition, SQLite keeps the migration's text).
#[derive(diesel::QueryableByName)]
struct Index {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    definition: Option<String>,
}

fn indexes_of_oauth_clients(db: &TestDatabase) -> Vec<(String, String)> {
    use diesel::prelude::*;
    let mut conn = connect(db);
    let query = match db.url() {
        DatabaseUrl::Postgres(_) => {
            "SELECT indexname AS name, indexdef AS definition FROM pg_indexes \
             WHERE tablename = 'oauth_clients' ORDER BY indexname"
        }
        DatabaseUrl::Sqlite(_) => {
            "SELECT name, sql AS definition FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'oauth_clients' ORDER BY name"
        }
    };
    let rows: Vec<Index> = diesel::sql_query(query).load(&mut conn).unwrap();
    rows.into_iter()
        .map(|index| {
            let definition: String = index
                .definition
                .unwrap_or_default()
                .to_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '(' | ')'))
                .collect();
            (index.name, definition)
        })
        .collect()
}

/// An index that comes back, or goes, fails here: add it with a query that
/// uses it (and its EXPLAIN in the migration), then to this list.
fn oauth_clients_has_only_the_indexes_its_queries_use(db: &TestDatabase) {
    let _store = db.store();
    let found = indexes_of_oauth_clients(db);
    let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    let primary_key = match db.url() {
        DatabaseUrl::Postgres(_) => "oauth_clients_pkey",
        DatabaseUrl::Sqlite(_) => "sqlite_autoindex_oauth_clients_1",
    };
    let mut expected = vec![
        // The listing's order and keyset cursor.
        "oauth_clients_created_at_idx",
        // The listing's software_id filter.
        "oauth_clients_some_software_id_idx",
        // The purge: never-used clients, and used ones.
        "oauth_clients_unused_lifetime_from_idx",
        "oauth_clients_used_last_used_at_idx",
        primary_key,
    ];
    expected.sort_unstable();
    assert_eq!(names, expected, "{found:#?}");
    // Partial, each with the predicate that keeps registrations out of it
    // (the last-use one) or lets the purge use it.
    for (name, predicate) in [
        (
            "oauth_clients_some_software_id_idx",
            "wheresoftware_idisnotnull",
        ),
        (
            "oauth_clients_unused_lifetime_from_idx",
            "wherelast_used_atisnull",
        ),
        (
            "oauth_clients_used_last_used_at_idx",
            "wherelast_used_atisnotnull",
        ),
    ] {
        let definition = &found.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(definition.ends_with(predicate), "{name}: {definition}");
    }
}

/// A client as the test registered it, for the answers a scan would give.
struct Known {
    id: ClientId,
    created_at: i64,
    last_used_at: Option<i64>,
    name: Option<&'static str>,
    software_id: Option<&'static str>,
}

fn purge_and_listing_answer_as_a_scan_of_every_client_would(db: &TestDatabase) {
    let store = db.store();
    armed_long_ago(&store);
    let names = [Some("Claude Code"), Some("Cursor"), None, Some("Zed 50%")];
    let software = [None, None, Some("cursor"), None, Some("rare-tool")];
    let mut known = Vec::new();
    for i in 0..48u64 {
        // Three clients a second (ties for the cursor), over 300 days.
        let created_at = NOW - 300 * DAY + (i / 3) as i64 * 19 * DAY;
        let used = (i % 4 == 1).then(|| created_at + (i as i64 % 7) * 11 * DAY);
        let (name, software_id) = (names[i as usize % 4], software[i as usize % 5]);
        let mut body = public_body();
        match name {
            Some(name) => body["client_name"] = json!(name),
            None => body
                .as_object_mut()
                .unwrap()
                .remove("client_name")
                .map(drop)
                .unwrap(),
        }
        if let Some(software_id) = software_id {
            body["software_id"] = json!(software_id);
        }
        let registration = register_at(body, 1000 + i, created_at);
        store.insert_client(&registration.client).unwrap();
        if let Some(used) = used {
            store
                .touch_last_used(&registration.client.client_id, used)
                .unwrap();
        }
        known.push(Known {
            id: registration.client.client_id,
            created_at,
            last_used_at: used,
            name,
            software_id,
        });
    }
    known.sort_by_key(|client| (client.created_at, client.id.to_string()));

    for (unused_days, idle_days, limit) in [
        (30, 90, 100),
        (30, 90, 5),
        (0, 90, 100),
        (200, 0, 100),
        (400, 400, 100),
    ] {
        let expiry = Expiry::at(NOW, unused_days * DAY as u64, idle_days * DAY as u64);
        let expected: Vec<ClientId> = known
            .iter()
            .filter(|client| match client.last_used_at {
                None => expiry.unused_before.is_some_and(|t| client.created_at < t),
                Some(used) => expiry.idle_before.is_some_and(|t| used < t),
            })
            .map(|client| client.id)
            .take(limit)
            .collect();
        let expired = store.expired_clients(&expiry, limit as i64).unwrap();
        assert_eq!(expired, expected, "{unused_days} {idle_days} {limit}");
    }
    assert!(
        !store
            .expired_clients(&Expiry::at(NOW, 30 * DAY as u64, 90 * DAY as u64), 100)
            .unwrap()
            .is_empty(),
        "the purge case finds nothing to compare"
    );

    let by = |name: Option<&str>, software_id: Option<&str>| ClientFilter {
        name_contains: name.map(str::to_owned),
        software_id: software_id.map(str::to_owned),
        ..ClientFilter::default()
    };
    for filter in [
        by(None, None),
        by(Some("code"), None),
        by(Some("50%"), None),
        by(None, Some("cursor")),
        by(None, Some("rare-tool")),
        by(Some("claude"), Some("cursor")),
    ] {
        let expected: Vec<ClientId> = known
            .iter()
            .filter(|client| {
                let name = client.name.unwrap_or_default().to_lowercase();
                filter
                    .name_contains
                    .as_deref()
                    .is_none_or(|part| client.name.is_some() && name.contains(part))
                    && filter
                        .software_id
                        .as_deref()
                        .is_none_or(|id| client.software_id == Some(id))
            })
            .map(|client| client.id)
            .collect();
        for limit in [1, 4, 50] {
            let (walked, _) = walk(&store, &filter, limit);
            assert_eq!(walked, expected, "{filter:?}, pages of {limit}");
        }
    }
}

/// A foreign key that comes back fails here: on Postgres each inserted row
/// checked and locked the system user's row (migration 000020). SQLite keeps
/// its own, in process and without a lock shared between connections.
#[test]
fn postgres_registrations_check_no_other_table() {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct Constraint {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let db = TestDatabase::postgres();
    let _store = db.store();
    let mut conn = connect(&db);
    let foreign_keys: Vec<String> = diesel::sql_query(
        "SELECT conname::text AS name FROM pg_constraint \
         WHERE conrelid = 'oauth_clients'::regclass AND contype = 'f'",
    )
    .load::<Constraint>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|constraint| constraint.name)
    .collect();
    assert_eq!(foreign_keys, Vec::<String>::new());
}
