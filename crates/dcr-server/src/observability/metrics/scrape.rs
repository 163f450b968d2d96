//! A scrape: what exists only at that moment (hashing lines, the pool, the
//! client counts) read into the gauges, and the text exposition format.

use dcr_store::{BATCH_SIZE_BOUNDS, BatchSizes, ClientCounts, PoolStatus};
use prometheus::proto::{Bucket, Counter, Histogram, Metric, MetricFamily, MetricType};
use prometheus::{Encoder as _, TextEncoder};

use super::Metrics;
use crate::admission::hashing::HashingPool;

/// What a scrape reads at that moment.
#[derive(Debug)]
pub struct Scrape<'a> {
    pub hashing: [(&'static str, &'a HashingPool); 2],
    pub pool: PoolStatus,
    /// `None` when the database did not answer (the gauges keep their last
    /// values; `dcr_db_pool_timeouts_total` tells why).
    pub clients: Option<ClientCounts>,
    /// The registration writers' batches so far.
    pub batches: BatchSizes,
    /// The verify call's readers' batches so far.
    pub reads: BatchSizes,
}

impl Metrics {
    /// The text exposition format, with what exists only now read first.
    pub fn render(&self, now: Scrape<'_>) -> String {
        for (name, pool) in now.hashing {
            self.hashing_queue
                .with_label_values(&[name])
                .set(as_i64(pool.waiting()));
            self.hashing_running
                .with_label_values(&[name])
                .set(as_i64(pool.running()));
        }
        if let Some(counts) = now.clients {
            self.clients
                .with_label_values(&["active"])
                .set(counts.active);
            self.clients
                .with_label_values(&["disabled"])
                .set(counts.disabled);
        }
        let pool = now.pool;
        let idle = i64::from(pool.idle_connections);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.open_connections) - idle);
        self.pool_max.set(i64::from(pool.max_connections));
        let mut families = self.registry.gather();
        families.extend(store_counters(&pool));
        families.push(batch_sizes(
            "registration_batch_size",
            "Registrations stored per write of the group-commit writers (DCR_DATABASE_WRITERS).",
            &now.batches,
        ));
        families.push(batch_sizes(
            "client_read_batch_size",
            "Clients asked for per read of the verify and lookup calls' readers.",
            &now.reads,
        ));
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut text = Vec::new();
        match TextEncoder::new().encode(&families, &mut text) {
            Ok(()) => String::from_utf8_lossy(&text).into_owned(),
            Err(err) => {
                log::error!("could not render the metrics: {err}");
                String::new()
            }
        }
    }
}

/// The counters the store keeps itself, as its totals now: read, never
/// added up here (two scrapes at once would each add what the other did).
fn store_counters(pool: &PoolStatus) -> [MetricFamily; 3] {
    let counter = |name: &str, help: &str, value: f64| {
        let mut total = Counter::default();
        total.set_value(value);
        let mut metric = Metric::default();
        metric.set_counter(total);
        let mut family = MetricFamily::default();
        family.set_name(format!("dcr_{name}"));
        family.set_help(help.to_owned());
        family.set_field_type(MetricType::COUNTER);
        family.set_metric(vec![metric]);
        family
    };
    [
        counter(
            "db_pool_checkouts_total",
            "Database connections handed out.",
            pool.checkouts as f64,
        ),
        counter(
            "db_pool_timeouts_total",
            "Callers that waited DCR_DATABASE_TIMEOUT_MS for a connection and got none (answered 503).",
            pool.timeouts as f64,
        ),
        counter(
            "db_pool_wait_seconds_total",
            "Time spent waiting for a database connection.",
            pool.waited.as_secs_f64(),
        ),
    ]
}

/// A queue's batch sizes (the writers', the readers') as a histogram, from
/// the totals it keeps (like the pool's counters: read, never added up
/// here).
fn batch_sizes(name: &str, help: &str, batches: &BatchSizes) -> MetricFamily {
    let mut below = 0;
    let buckets = BATCH_SIZE_BOUNDS
        .iter()
        .zip(batches.per_bucket)
        .map(|(bound, writes)| {
            below += writes;
            let mut bucket = Bucket::default();
            bucket.set_upper_bound(*bound as f64);
            bucket.set_cumulative_count(below);
            bucket
        })
        .collect();
    let mut histogram = Histogram::default();
    histogram.set_bucket(buckets);
    histogram.set_sample_count(batches.writes());
    histogram.set_sample_sum(batches.rows as f64);
    let mut metric = Metric::default();
    metric.set_histogram(histogram);
    let mut family = MetricFamily::default();
    family.set_name(format!("dcr_{name}"));
    family.set_help(help.to_owned());
    family.set_field_type(MetricType::HISTOGRAM);
    family.set_metric(vec![metric]);
    family
}

fn as_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
