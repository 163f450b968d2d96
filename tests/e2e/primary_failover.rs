//! Two dcr replicas on a multi-host URL over a synchronous primary and
//! standby, under registration, update and disable load, while the primary
//! dies (or freezes) and the standby is promoted. What must hold: nothing
//! acknowledged is lost, no answer is a 5xx other than 503, no request hangs,
//! and both replicas register again within seconds of the promotion, with no
//! restart. The figures are printed as a table for docs/benchmarks.md.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::process::{ScratchDir, Server, claude_ai_body, claude_code_body};

const ADMIN_TOKEN: &str = "failover-admin-token-0123456789abcdef";
const LOAD_TASKS_PER_REPLICA: usize = 6;
/// Longer than any bound dcr sets itself: a request that reaches it hung.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// Killed: a fraction of a second. Frozen: the first connection found
/// stuck (after DCR_DATABASE_TIMEOUT_MS, 3 s) has the idle ones dropped, and
/// each new connection waits out libpq's connect_timeout (the same 3 s) on
/// the silent host before it tries the promoted one.
const RECOVERY_WITHIN: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Record {
    /// Per replica, (status or 0 for no answer, latency, answered at).
    answers: Vec<(usize, u16, Duration, Instant)>,
    registered: Vec<String>,
    renamed: HashMap<String, String>,
    disabled: Vec<String>,
    /// Client ids and the secret their acknowledged rotation issued.
    rotated: Vec<(String, String)>,
    deleted: Vec<String>,
    /// Every client a delete was sent for, answered or not: one answered
    /// 503 may still have been done, so its absence proves nothing.
    delete_sent: Vec<String>,
}

type Shared = Arc<Mutex<Record>>;

async fn call(
    record: &Shared,
    replica: usize,
    request: reqwest::RequestBuilder,
) -> Option<(u16, Value)> {
    let started = Instant::now();
    let outcome = request.timeout(CLIENT_TIMEOUT).send().await;
    let (status, body) = match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
        Err(_) => (0, Value::Null),
    };
    record
        .lock()
        .unwrap()
        .answers
        .push((replica, status, started.elapsed(), Instant::now()));
    (status != 0).then_some((status, body))
}

/// Registers clients through `replicas[home]` until `stop`, public and
/// confidential in turn. Through the other replica, some are then renamed
/// (RFC 7592 update), disabled (admin API), given a new secret (admin API)
/// or deleted (RFC 7592), none two of these.
async fn load(
    replicas: Arc<Vec<(String, String)>>,
    home: usize,
    record: Shared,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::new();
    let other = 1 - home;
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body = if n.is_multiple_of(2) {
            claude_ai_body()
        } else {
            claude_code_body()
        };
        let request = http
            .post(format!("{}/register", replicas[home].0))
            .json(&body);
        let Some((201, client)) = call(&record, home, request).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let client_id = client["client_id"].as_str().unwrap().to_owned();
        record.lock().unwrap().registered.push(client_id.clone());
        // The management URI names the replica it came from; the changes
        // go through the other one.
        let management = format!(
            "{}/register/{}",
            replicas[other].0,
            client["registration_client_uri"]
                .as_str()
                .unwrap()
                .split_once("/register/")
                .unwrap()
                .1
        );
        if n.is_multiple_of(4) {
            let mut update = body.clone();
            let name = format!("renamed {n} by {home}");
            update["client_id"] = client_id.clone().into();
            update["client_name"] = name.clone().into();
            let request = http
                .put(&management)
                .bearer_auth(client["registration_access_token"].as_str().unwrap())
                .json(&update);
            if let Some((200, _)) = call(&record, other, request).await {
                record
                    .lock()
                    .unwrap()
                    .renamed
                    .insert(client_id.clone(), name);
            }
        }
        if n % 10 == 5 {
            record.lock().unwrap().delete_sent.push(client_id.clone());
            let request = http
                .delete(&management)
                .bearer_auth(client["registration_access_token"].as_str().unwrap());
            if let Some((204, _)) = call(&record, other, request).await {
                record.lock().unwrap().deleted.push(client_id.clone());
            }
        }
        if n % 12 == 6 {
            let request = admin_post(&http, &replicas[other].1, &client_id, "rotate-secret");
            if let Some((200, rotated)) = call(&record, other, request).await {
                let secret = rotated["client_secret"].as_str().unwrap().to_owned();
                record
                    .lock()
                    .unwrap()
                    .rotated
                    .push((client_id.clone(), secret));
            }
        }
        if n.is_multiple_of(8) {
            let request = admin_post(&http, &replicas[other].1, &client_id, "disable");
            if let Some((200, _)) = call(&record, other, request).await {
                record.lock().unwrap().disabled.push(client_id);
            }
        }
    }
}

/// `POST /admin/clients/{client_id}/{action}` on the admin listener at `base`.
fn admin_post(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    action: &str,
) -> reqwest::RequestBuilder {
    http.post(format!("{base}/admin/clients/{client_id}/{action}"))
        .bearer_auth(ADMIN_TOKEN)
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    client_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    client_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_active: bool,
}

fn start_replica(dir: &ScratchDir, url: &str) -> Server {
    Server::start(
        &dir.0,
        &[
            ("DCR_DATABASE_URL", url.to_owned()),
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_ADMIN_TOKEN", ADMIN_TOKEN.into()),
            ("DCR_BCRYPT_COST", "4".into()),
            ("DCR_RATE_LIMIT_EXEMPT", "127.0.0.1".into()),
            ("DCR_RATE_LIMIT_GLOBAL", "1000000/minute".into()),
        ],
    )
}

enum Fault {
    Kill,
    Freeze,
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

async fn fail_over_under_load(fault: Fault) {
    let cluster = Cluster::start();
    cluster.execute(&cluster.primary, "CREATE DATABASE dcr");
    let url = cluster.multi_host_url("dcr");
    let dir = ScratchDir::new();
    let servers = [start_replica(&dir, &url), start_replica(&dir, &url)];
    let replicas: Arc<Vec<(String, String)>> = Arc::new(
        servers
            .iter()
            .map(|server| (server.base_url.clone(), server.admin_url.clone()))
            .collect(),
    );
    let record = Shared::default();
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..2 * LOAD_TASKS_PER_REPLICA)
        .map(|i| tokio::spawn(load(replicas.clone(), i % 2, record.clone(), stop.clone())))
        .collect();

    tokio::time::sleep(Duration::from_millis(2500)).await;
    tokio::task::block_in_place(|| match fault {
        Fault::Kill => cluster.kill_primary(),
        Fault::Freeze => cluster.freeze_primary(),
    });
    let fault_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    tokio::task::block_in_place(|| cluster.promote_standby());
    let promoted_at = Instant::now();
    // The load goes on until both replicas have registered a client since
    // the promotion, and two seconds more (or 10 s in all: then one never
    // recovered, and the assertions below say so).
    let both_back = || {
        let record = record.lock().unwrap();
        (0..2).all(|replica| {
            record.answers.iter().any(|(r, status, _, answered)| {
                *r == replica && *status == 201 && *answered >= promoted_at
            })
        })
    };
    while !both_back() && promoted_at.elapsed() < RECOVERY_WITHIN {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let record = std::mem::take(&mut *record.lock().unwrap());

    // What the promoted server holds.
    let mut conn = PgConnection::establish(&format!(
        "postgres://postgres@127.0.0.1:{}/dcr",
        cluster.standby.port
    ))
    .unwrap();
    let rows: HashMap<String, Row> =
        diesel::sql_query("SELECT client_id, client_name, is_active FROM oauth_clients")
            .load::<Row>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|row| (row.client_id.clone(), row))
            .collect();
    let deleted: std::collections::HashSet<&String> = record.delete_sent.iter().collect();
    let lost_registrations = record
        .registered
        .iter()
        .filter(|id| !deleted.contains(id) && !rows.contains_key(*id))
        .count();
    let lost_deletes = record
        .deleted
        .iter()
        .filter(|id| rows.contains_key(*id))
        .count();
    // A rotation survived if its secret is the one that verifies now; the
    // replicas are on the promoted server by now.
    let http = reqwest::Client::new();
    let mut lost_rotations = 0;
    for (client_id, secret) in &record.rotated {
        let response = http
            .post(servers[0].admin("/admin/verify"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({"client_id": client_id, "client_secret": secret}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let verdict: Value = response.json().await.unwrap();
        if verdict["valid"] != true {
            lost_rotations += 1;
            println!("rotation of {client_id} not in force: {status} {verdict}");
        }
    }
    let lost_renames = record
        .renamed
        .iter()
        .filter(|(id, name)| rows.get(*id).and_then(|row| row.client_name.as_ref()) != Some(name))
        .count();
    let lost_disables = record
        .disabled
        .iter()
        .filter(|id| rows.get(*id).is_none_or(|row| row.is_active))
        .count();

    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for (_, status, _, _) in &record.answers {
        *statuses.entry(*status).or_default() += 1;
    }
    let mut status_list: Vec<_> = statuses.iter().collect();
    status_list.sort();
    let failover_latency = record
        .answers
        .iter()
        .filter(|(_, _, _, answered)| *answered >= fault_at)
        .map(|(_, _, latency, _)| *latency)
        .max()
        .unwrap_or_default();
    let back_after: Vec<Option<Duration>> = (0..2)
        .map(|replica| {
            record
                .answers
                .iter()
                .filter(|(r, status, _, answered)| {
                    *r == replica && *status == 201 && *answered >= promoted_at
                })
                .map(|(_, _, _, answered)| *answered - promoted_at)
                .min()
        })
        .collect();
    let fault_name = match fault {
        Fault::Kill => "killed (SIGKILL)",
        Fault::Freeze => "frozen (SIGSTOP)",
    };
    println!(
        "\n| measure (primary {fault_name}, standby promoted 1 s later) | result |\n| --- | --- |"
    );
    println!(
        "| acknowledged registrations lost | {lost_registrations} of {} |",
        record.registered.len()
    );
    println!(
        "| acknowledged RFC 7592 updates lost | {lost_renames} of {} |",
        record.renamed.len()
    );
    println!(
        "| acknowledged disables lost | {lost_disables} of {} |",
        record.disabled.len()
    );
    println!(
        "| acknowledged secret rotations lost | {lost_rotations} of {} |",
        record.rotated.len()
    );
    println!(
        "| acknowledged RFC 7592 deletes undone | {lost_deletes} of {} |",
        record.deleted.len()
    );
    println!("| answers by status (0: none within {CLIENT_TIMEOUT:?}) | {status_list:?} |");
    for (replica, back) in back_after.iter().enumerate() {
        println!(
            "| replica {}: promotion to its first `201` | {} |",
            replica + 1,
            back.map_or("never".to_owned(), seconds)
        );
    }
    println!(
        "| largest latency of a request answered after the fault | {} |",
        seconds(failover_latency)
    );
    for (replica, server) in servers.iter().enumerate() {
        let logs = server.logs();
        println!(
            "| replica {}: idle connections dropped, pools renewed, writers added | {}, {}, {} |",
            replica + 1,
            logs.matches("dropping the idle connections").count(),
            logs.matches("a new connection pool takes the place")
                .count(),
            logs.matches("registration writer has waited").count()
        );
    }

    assert!(record.registered.len() > 100, "the load ran");
    assert_eq!(
        (
            lost_registrations,
            lost_renames,
            lost_disables,
            lost_rotations,
            lost_deletes
        ),
        (0, 0, 0, 0, 0),
        // The logs first: a report that keeps only the tail still shows what
        // failed.
        "replica logs:\n{}\n{}\nacknowledged work was lost (registrations, renames, disables, rotations, deletes)",
        servers[0].logs(),
        servers[1].logs()
    );
    let unexpected: Vec<_> = statuses
        .keys()
        .filter(|status| ![200, 201, 204, 503].contains(*status))
        .collect();
    assert!(
        unexpected.is_empty(),
        "replica logs:\n{}\n{}\nanswers other than 200, 201, 204 and 503 (0: no answer): {status_list:?}",
        servers[0].logs(),
        servers[1].logs()
    );
    for (replica, back) in back_after.iter().enumerate() {
        assert!(
            back.is_some_and(|after| after < RECOVERY_WITHIN),
            "its log:\n{}\nreplica {} did not register within {RECOVERY_WITHIN:?} of the promotion ({back:?})",
            servers[replica].logs(),
            replica + 1,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_primary_loses_nothing_acknowledged_and_the_replicas_recover_alone() {
    fail_over_under_load(Fault::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_primary_hangs_no_request_and_the_replicas_recover_alone() {
    fail_over_under_load(Fault::Freeze).await;
}
