use std::time::Duration;

use dcr_store::{ClientCounts, PoolStatus};

use super::*;
use crate::admission::hashing::HashingPool;

fn pool_status(checkouts: u64) -> PoolStatus {
    PoolStatus {
        max_connections: 16,
        open_connections: 3,
        idle_connections: 2,
        checkouts,
        waited: Duration::from_millis(checkouts),
        timeouts: checkouts / 2,
    }
}

/// The store's own totals are reported as they are: scrapes at once
/// (two Prometheus servers, a retry) never count an event twice.
#[test]
fn concurrent_scrapes_report_the_store_s_totals() {
    let pools = [
        HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(1)),
        HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(1)),
    ];
    let scrape = || Scrape {
        hashing: [("registration", &pools[0]), ("verify", &pools[1])],
        pool: pool_status(4000),
        clients: None,
        batches: dcr_store::BatchSizes::default(),
        reads: dcr_store::BatchSizes::default(),
    };
    // Rounds of first scrapes started together, each on a fresh
    // registry: where a scrape added what it read, two of them would
    // both add the whole total.
    for _ in 0..200 {
        let metrics = Metrics::new();
        let start = std::sync::Barrier::new(4);
        std::thread::scope(|threads| {
            for _ in 0..4 {
                threads.spawn(|| {
                    start.wait();
                    metrics.render(scrape());
                });
            }
        });
        let text = metrics.render(scrape());
        for line in [
            "dcr_db_pool_checkouts_total 4000\n",
            "dcr_db_pool_timeouts_total 2000\n",
            "dcr_db_pool_wait_seconds_total 4\n",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
    }
}

#[test]
fn labels_are_bounded_whatever_a_client_sends() {
    assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    assert_eq!(method_label(&Method::PUT), "PUT");
    for (status, outcome) in [
        (201, "ok"),
        (404, "invalid"),
        (429, "rate_limited"),
        (503, "unavailable"),
        (500, "error"),
    ] {
        assert_eq!(default_outcome(status), outcome);
    }
}

#[test]
fn every_metric_renders_with_the_prefix() {
    let metrics = Metrics::new();
    let answer = Answer {
        route: "/register",
        method: "POST",
        status: 201,
        outcome: "created",
        seconds: 0.01,
    };
    metrics.observe(Listener::Public, &answer);
    let pools = [
        HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(1)),
        HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(1)),
    ];
    let text = metrics.render(Scrape {
        hashing: [("registration", &pools[0]), ("verify", &pools[1])],
        pool: PoolStatus {
            max_connections: 16,
            open_connections: 3,
            idle_connections: 2,
            checkouts: 10,
            waited: Duration::from_millis(5),
            timeouts: 1,
        },
        clients: Some(ClientCounts {
            active: 4,
            disabled: 1,
        }),
        batches: dcr_store::BatchSizes {
            per_bucket: [5, 2, 1, 0, 0, 0, 1],
            rows: 5 + 2 * 2 + 3 + 64,
        },
        reads: dcr_store::BatchSizes {
            per_bucket: [0, 0, 0, 0, 2, 0, 0],
            rows: 2 * 16,
        },
    });
    for line in [
        "dcr_registrations_total{outcome=\"created\"} 1",
        "dcr_clients{state=\"active\"} 4",
        "dcr_db_pool_connections{state=\"in_use\"} 1",
        "dcr_db_pool_checkouts_total 10",
        "dcr_db_pool_timeouts_total 1",
        "dcr_hashing_queue_depth{pool=\"verify\"} 0",
        // Cumulative buckets, from the writers' per-bucket totals.
        "dcr_registration_batch_size_bucket{le=\"1\"} 5",
        "dcr_registration_batch_size_bucket{le=\"4\"} 8",
        "dcr_registration_batch_size_bucket{le=\"32\"} 8",
        "dcr_registration_batch_size_bucket{le=\"64\"} 9",
        "dcr_registration_batch_size_bucket{le=\"+Inf\"} 9",
        "dcr_registration_batch_size_sum 76",
        "dcr_registration_batch_size_count 9",
        "dcr_client_read_batch_size_bucket{le=\"8\"} 0",
        "dcr_client_read_batch_size_bucket{le=\"16\"} 2",
        "dcr_client_read_batch_size_sum 32",
        "dcr_client_read_batch_size_count 2",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(text.contains("dcr_build_info{version="));
}
