//! Prometheus metrics, served as text on the admin listener (`GET /metrics`).
//! One registry per application, never a global: two applications in one
//! process (the test suites) count apart.
//!
//! Requests are counted by the request middleware of both listeners
//! (`request_log`), from the route that matched and the `Outcome` each
//! answer carries (errors set it from
//! `ApiError`, handlers on success), so no handler can forget to count.
//! What only exists at scrape time (queues, the pool, clients by state) is
//! read then, into gauges, which are set. A counter goes up only by events:
//! the ones the store counts itself (connection checkouts, waits, timeouts)
//! are reported at each scrape as the store's own totals, never added to a
//! counter here, so concurrent scrapes cannot count an event twice.

use std::sync::Arc;

use actix_web::http::Method;
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

use crate::http::error::Outcome;

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Public,
    Admin,
}

impl Listener {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Admin => "admin",
        }
    }
}

/// Request latency buckets, in seconds: from a cached verify (well under a
/// millisecond) to a registration that waited on bcrypt and the database.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Hashing time buckets: bcrypt from cost 4 (a millisecond) to 14 (a second).
const HASHING_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The application's metrics; cloned into every request's middleware, so a
/// clone is one reference count.
#[derive(Debug, Clone)]
pub struct Metrics(Arc<Instruments>);

#[derive(Debug)]
pub struct Instruments {
    registry: Registry,
    registrations: IntCounterVec,
    management: IntCounterVec,
    verifications: IntCounterVec,
    rejections: IntCounterVec,
    request_seconds: HistogramVec,
    hashing_seconds: HistogramVec,
    hashing_queue: IntGaugeVec,
    hashing_running: IntGaugeVec,
    purged_clients: IntCounter,
    dropped_events: IntCounter,
    cimd_fetches: IntCounterVec,
    cimd_cache_hits: IntCounter,
    clients: IntGaugeVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    unused_purge_armed: IntGauge,
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("dcr".into()), None).unwrap_or_else(|_| Registry::new());
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let vec = IntCounterVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|err| unreachable_metric(name, &err));
            register(&registry, Box::new(vec.clone()), name);
            vec
        };
        let registrations = counter(
            "registrations_total",
            "POST /register by outcome: created, invalid, unauthorized, rate_limited, busy, unavailable, error.",
            &["outcome"],
        );
        let management = counter(
            "management_requests_total",
            "RFC 7592 requests on /register/{client_id} by operation (read, update, delete) and outcome.",
            &["operation", "outcome"],
        );
        let verifications = counter(
            "verifications_total",
            "Admin verify calls by outcome: valid, invalid, rate_limited, busy, unavailable, error.",
            &["outcome"],
        );
        let rejections = counter(
            "rejections_total",
            "Answers 429 and 503 by status and reason (rate_limited, busy, unavailable).",
            &["status", "reason"],
        );
        let cimd_fetches = counter(
            "cimd_fetches_total",
            "Client metadata document fetches by outcome: ok, invalid, status, too_large, timeout, network, address_refused, busy.",
            &["outcome"],
        );
        let histogram = |name: &str, help: &str, labels: &[&str], buckets: &[f64]| {
            let vec = HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
            .unwrap_or_else(|err| unreachable_metric(name, &err));
            register(&registry, Box::new(vec.clone()), name);
            vec
        };
        let request_seconds = histogram(
            "http_request_duration_seconds",
            "Time to answer a request, by listener, route pattern, method and status.",
            &["listener", "route", "method", "status"],
            &LATENCY_BUCKETS,
        );
        let hashing_seconds = histogram(
            "hashing_seconds",
            "Time one bcrypt task takes, by pool (registration, verify).",
            &["pool"],
            &HASHING_BUCKETS,
        );
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let vec = IntGaugeVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|err| unreachable_metric(name, &err));
            register(&registry, Box::new(vec.clone()), name);
            vec
        };
        let hashing_queue = gauge(
            "hashing_queue_depth",
            "Tasks waiting for a bcrypt thread, by pool.",
            &["pool"],
        );
        let hashing_running = gauge(
            "hashing_running",
            "Tasks running on bcrypt threads, by pool.",
            &["pool"],
        );
        let clients = gauge(
            "clients",
            "Stored clients by state (active, disabled).",
            &["state"],
        );
        let pool_connections = gauge(
            "db_pool_connections",
            "Database connections by state (idle, in_use).",
            &["state"],
        );
        let single = |name: &str, help: &str| {
            let counter =
                IntCounter::new(name, help).unwrap_or_else(|err| unreachable_metric(name, &err));
            register(&registry, Box::new(counter.clone()), name);
            counter
        };
        let purged_clients = single(
            "purged_clients_total",
            "Clients deleted by the lifetime rules.",
        );
        let dropped_events = single(
            "audit_events_dropped_total",
            "Audit events dropped past DCR_AUDIT_RETENTION_SECS.",
        );
        let cimd_cache_hits = single(
            "cimd_cache_hits_total",
            "URL client id lookups answered from the cache.",
        );
        let pool_max = IntGauge::new("db_pool_max_connections", "DCR_DATABASE_POOL_SIZE.")
            .unwrap_or_else(|err| unreachable_metric("db_pool_max_connections", &err));
        register(
            &registry,
            Box::new(pool_max.clone()),
            "db_pool_max_connections",
        );
        let build = IntGaugeVec::new(
            Opts::new("build_info", "The running version; always 1."),
            &["version"],
        )
        .unwrap_or_else(|err| unreachable_metric("build_info", &err));
        register(&registry, Box::new(build.clone()), "build_info");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let unused_purge_armed = IntGauge::new(
            "unused_purge_armed",
            "1 once a verify call or a used report has armed the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) in this deployment; 0 before, when it deletes nothing.",
        )
        .unwrap_or_else(|err| unreachable_metric("unused_purge_armed", &err));
        register(
            &registry,
            Box::new(unused_purge_armed.clone()),
            "unused_purge_armed",
        );
        Self(Arc::new(Instruments {
            registry,
            registrations,
            management,
            verifications,
            rejections,
            request_seconds,
            hashing_seconds,
            hashing_queue,
            hashing_running,
            purged_clients,
            dropped_events,
            cimd_fetches,
            cimd_cache_hits,
            clients,
            pool_connections,
            pool_max,
            unused_purge_armed,
        }))
    }

    /// Whether the never-used rule is armed, as this process last learnt it.
    pub fn set_unused_purge_armed(&self, armed: bool) {
        self.unused_purge_armed.set(i64::from(armed));
    }

    /// The histogram a hashing pool records each task's time in.
    pub fn hashing_histogram(&self, pool: &str) -> prometheus::Histogram {
        self.hashing_seconds.with_label_values(&[pool])
    }

    pub fn purged(&self, clients: usize, events: usize) {
        self.purged_clients.inc_by(as_u64(clients));
        self.dropped_events.inc_by(as_u64(events));
    }

    pub fn cimd_fetch(&self, outcome: &str) {
        self.cimd_fetches.with_label_values(&[outcome]).inc();
    }

    pub fn cimd_cache_hit(&self) {
        self.cimd_cache_hits.inc();
    }

    /// Counts one answered request (`request_log`'s middleware, which sees
    /// every request of both listeners, reports each here): `route` is the
    /// pattern that matched, `outcome` what the answer said of itself
    /// (`Outcome`), if anything.
    pub fn observe_request(
        &self,
        listener: Listener,
        method: &Method,
        route: &str,
        status: u16,
        outcome: Option<Outcome>,
        seconds: f64,
    ) {
        self.observe(
            listener,
            &Answer {
                route,
                method: method_label(method),
                status,
                outcome: outcome.map_or_else(|| default_outcome(status), |outcome| outcome.0),
                seconds,
            },
        );
    }

    fn observe(&self, listener: Listener, answer: &Answer<'_>) {
        let status = answer.status.to_string();
        self.request_seconds
            .with_label_values(&[listener.as_str(), answer.route, answer.method, &status])
            .observe(answer.seconds);
        let outcome = answer.outcome;
        match (listener, answer.route, answer.method) {
            (Listener::Public, "/register", "POST") => {
                self.registrations.with_label_values(&[outcome]).inc();
            }
            (Listener::Public, "/register/{client_id}", method) => {
                let operation = match method {
                    "GET" => "read",
                    "PUT" => "update",
                    "DELETE" => "delete",
                    _ => "other",
                };
                self.management
                    .with_label_values(&[operation, outcome])
                    .inc();
            }
            (Listener::Admin, "/admin/clients/{client_id}/verify" | "/admin/verify", "POST") => {
                self.verifications.with_label_values(&[outcome]).inc();
            }
            _ => {}
        }
        if answer.status == 429 || answer.status == 503 {
            self.rejections.with_label_values(&[&status, outcome]).inc();
        }
    }
}

impl std::ops::Deref for Metrics {
    type Target = Instruments;

    fn deref(&self) -> &Instruments {
        &self.0
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// One answered request, as the metrics label it.
struct Answer<'a> {
    route: &'a str,
    method: &'static str,
    status: u16,
    outcome: &'static str,
    seconds: f64,
}

/// The method, from a fixed set: a client chooses it, and a label must not
/// grow with what clients choose.
fn method_label(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
    ]
    .iter()
    .find(|known| *known == method)
    .map_or("other", |known| match *known {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "PATCH",
    })
}

/// An answer that set no outcome: what its status says.
fn default_outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        429 => "rate_limited",
        503 => "unavailable",
        400..=499 => "invalid",
        _ => "error",
    }
}

fn as_u64(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

fn register(registry: &Registry, collector: Box<dyn prometheus::core::Collector>, name: &str) {
    if let Err(err) = registry.register(collector) {
        unreachable_metric(name, &err);
    }
}

/// The metrics are fixed at compile time: a name or label the library
/// refuses is a programming error, found by the first test that starts an
/// application.
#[allow(clippy::panic)]
fn unreachable_metric(name: &str, err: &prometheus::Error) -> ! {
    panic!("metric {name} is malformed: {err}")
}

mod scrape;

pub use scrape::Scrape;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
