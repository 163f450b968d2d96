#![doc = include_str!("../README.md")]
mod audit;
mod batches;
mod clients;
mod connection;
mod conninfo;
mod deadline;
mod dedup;
mod deployment;
mod error;
mod fault_log;
mod gate;
mod legacy;
mod lifetime;
mod listing;
mod migrate;
mod pools;
mod queries;
mod reader;
mod registrations;
mod schema;
#[cfg(feature = "test-support")]
pub mod test_support;
mod tokens;
mod url_clients;
mod writer;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

pub use batches::{BATCH_SIZE_BOUNDS, BatchSizes, MAX_BATCH, QueueFull};
pub use connection::{AnyConnection, DatabaseUrl, InvalidDatabaseUrl};
pub use error::{Cause, StoreError};
pub use legacy::{LEGACY_SYSTEM_EMAIL, LegacyClient, read_legacy_clients};
pub use lifetime::Expiry;
pub use listing::{ClientFilter, ClientPage, InvalidCursor, ListCursor};
pub use migrate::MIGRATION_LOCK_KEY;
pub use queries::{ClientCounts, SecretChange};
pub use reader::ClientReader;
pub use tokens::{StoredToken, TokenState};
pub use writer::ClientWriter;

use connection::{Manager, ManagerError, PooledConn};
use fault_log::FaultLog;
use gate::{Gate, InFlight};
use pools::{Held, Pools};

/// The user that owns self-registered clients; created by the first migration.
pub const SYSTEM_USER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// How to reach the database and how many connections to keep.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    /// How long a caller waits for a connection before the store reports
    /// itself unavailable.
    pub acquire_timeout: Duration,
    /// Whether a SQLite file that is not there is created (the server and
    /// `migrate`) or refused (the shell's commands, unless `--create`).
    pub create_sqlite: bool,
}

impl StoreConfig {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            pool_size: 16,
            acquire_timeout: Duration::from_secs(3),
            create_sqlite: true,
        }
    }
}

type PooledConnection = r2d2::PooledConnection<Manager>;

/// The registered clients, in Postgres or SQLite.
#[derive(Clone)]
pub struct Store {
    pools: Arc<Pools>,
    max_size: u32,
    acquire_timeout: Duration,
    url: DatabaseUrl,
    gate: Arc<Gate>,
    checkouts: Arc<Checkouts>,
    /// Where a database fault is logged: when it starts, while it lasts
    /// (at most once a second) and when it ends.
    faults: Arc<FaultLog>,
}

/// Connection checkouts since the store opened, for metrics.
#[derive(Debug, Default)]
struct Checkouts {
    count: AtomicU64,
    waited_micros: AtomicU64,
    timeouts: AtomicU64,
}

/// The pool as metrics show it: its size now, and the checkouts so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub max_connections: u32,
    pub open_connections: u32,
    pub idle_connections: u32,
    /// Connections handed out (counting each retry).
    pub checkouts: u64,
    /// Total time callers waited for them.
    pub waited: Duration,
    /// Callers that waited `acquire_timeout` and got none.
    pub timeouts: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Builds the pool without connecting: connections are opened on first
    /// use, so the first call (in the server, the start-up migrations) is the
    /// one that finds out whether the database is reachable.
    pub fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        let gate = Arc::new(Gate::default());
        let faults = Arc::new(FaultLog::default());
        let connect_url = match &config.url {
            DatabaseUrl::Postgres(url) => {
                DatabaseUrl::Postgres(connection::with_timeouts(url, config.acquire_timeout))
            }
            sqlite => sqlite.clone(),
        };
        let manager = Manager {
            url: connect_url,
            sqlite_busy_timeout: config.acquire_timeout.max(Duration::from_secs(5)),
            create_sqlite: config.create_sqlite,
            gate: gate.clone(),
        };
        let max_size = config.pool_size.max(1);
        let acquire_timeout = config.acquire_timeout;
        let pool_faults = faults.clone();
        let build = move || {
            r2d2::Pool::builder()
                .max_size(max_size)
                .min_idle(Some(0))
                .connection_timeout(acquire_timeout)
                // No ping before every use: it would cost a round trip per
                // request. A connection found dead is discarded and the work
                // retried once on a fresh one (`with_conn`).
                .test_on_check_out(false)
                .error_handler(Box::new(PoolErrorLogger(pool_faults.clone())))
                .build_unchecked(manager.clone())
        };
        // A connection held this long has had its connect_timeout and its
        // TCP timeouts, which end every wait a live network can end.
        let stuck_after = config.acquire_timeout;
        Ok(Self {
            pools: Arc::new(Pools::new(build, stuck_after)),
            max_size,
            acquire_timeout,
            url: config.url.clone(),
            gate,
            checkouts: Arc::default(),
            faults,
        })
    }

    /// Closes the store, for every clone: no new work starts (calls fail with
    /// `Unavailable`) and no connection is opened. Waits up to `patience` for
    /// the work under way, then closes the idle connections on this thread.
    /// Returns whether the work under way finished in time.
    ///
    /// Call it before the process exits: libpq's TLS runs on OpenSSL, which
    /// tears itself down at exit, and a pool thread still using a connection
    /// then would crash the process.
    pub fn close(&self, patience: Duration) -> bool {
        let settled = self.gate.close(patience);
        self.drop_idle_connections();
        settled
    }

    /// Discards every idle connection; the pool opens new ones on demand.
    fn drop_idle_connections(&self) {
        let (_, pool) = self.pools.current();
        while let Some(mut idle) = pool.try_get() {
            // A connection marked lost is discarded, not put back.
            idle.lost = true;
        }
    }

    /// Runs `work` for a caller that waits until `deadline` and no longer:
    /// work that has not reached the database by then is dropped
    /// (`Unavailable`) instead of being done after the caller gave up.
    pub fn run_by<T>(&self, deadline: Instant, work: impl FnOnce(&Self) -> T) -> T {
        deadline::run_by(deadline, || work(self))
    }

    /// How long a connection may be held without an answer before the
    /// store takes it for stuck (see `pools`): `acquire_timeout`.
    pub(crate) fn stuck_after(&self) -> Duration {
        self.pools.stuck_after()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    fn conn(&self) -> Result<Checkout<'_>, StoreError> {
        let in_flight = self.gate.enter()?;
        let started = Instant::now();
        let (generation, pool) = self.pools.current();
        let newly_stuck = self.pools.newly_stuck();
        if newly_stuck > 0 {
            log::warn!(
                "{newly_stuck} database connection(s) without an answer for {} ms (a frozen database server?): dropping the idle connections, which most likely sit on the same server",
                self.stuck_after().as_millis()
            );
            self.drop_idle_connections();
        }
        let conn = match deadline::remaining() {
            // A caller that gave up has its work dropped, not done late.
            Some(left) if left.is_zero() => return Err(deadline_passed()),
            Some(left) => pool.get_timeout(left.min(self.acquire_timeout)),
            None => pool.get(),
        };
        let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.checkouts
            .waited_micros
            .fetch_add(waited, Ordering::Relaxed);
        match &conn {
            Ok(_) => self.checkouts.count.fetch_add(1, Ordering::Relaxed),
            Err(_) => {
                self.pools.renew_if_stuck(generation, self.max_size);
                self.checkouts.timeouts.fetch_add(1, Ordering::Relaxed)
            }
        };
        Ok(Checkout {
            conn: conn?,
            _held: self.pools.hold(generation),
            _in_flight: in_flight,
        })
    }

    /// The pool's size now and its checkouts so far.
    pub fn pool_status(&self) -> PoolStatus {
        let state = self.pools.current().1.state();
        PoolStatus {
            max_connections: self.max_size,
            open_connections: state.connections,
            idle_connections: state.idle_connections,
            checkouts: self.checkouts.count.load(Ordering::Relaxed),
            waited: Duration::from_micros(self.checkouts.waited_micros.load(Ordering::Relaxed)),
            timeouts: self.checkouts.timeouts.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` on a pooled connection. When the database has dropped that
    /// connection (a restart or failover since it was last used), it is
    /// discarded and `work` runs again on the next one, so the first requests
    /// after a database restart do not fail. A restart kills every idle
    /// connection at once, hence up to one try per pooled connection plus a
    /// new one; dead connections fail at once, so this costs little. `work`
    /// learns whether it is a retry, to stay idempotent.
    ///
    /// An unavailable database is logged here, as one fault (see
    /// `fault_log`), not by each caller.
    fn with_conn<T>(
        &self,
        work: impl FnMut(&mut AnyConnection, Attempt) -> QueryResult<T>,
    ) -> Result<T, StoreError> {
        let outcome = self.with_conn_retrying(work);
        match &outcome {
            Err(err @ StoreError::Unavailable(cause)) => {
                // A closed store refuses work by design, at shutdown.
                if !is_closed(err) {
                    self.faults.report_failure(cause);
                }
            }
            // Any other answer came from the database.
            _ => self.faults.report_success(),
        }
        outcome
    }

    fn with_conn_retrying<T>(
        &self,
        mut work: impl FnMut(&mut AnyConnection, Attempt) -> QueryResult<T>,
    ) -> Result<T, StoreError> {
        let tries = self.max_size + 1;
        let mut attempt = Attempt::First;
        let mut read_only_since: Option<Instant> = None;
        for _ in 1..tries {
            let mut conn = self.conn()?;
            match work(&mut conn.inner, attempt) {
                Err(err) if error::is_connection_lost(&err) => {
                    conn.lost = true;
                    // The idle connections most likely sit on the same
                    // read-only server: they are dropped, so the retry opens
                    // a fresh one, which finds a writable host if libpq can
                    // reach one. A read-only answer on a connection begun
                    // since ends the request: more tries would only
                    // reconnect to that server.
                    if error::is_read_only(&err) {
                        if read_only_since.is_some_and(|since| conn.opened >= since) {
                            return Err(err.into());
                        }
                        read_only_since.get_or_insert_with(Instant::now);
                        self.drop_idle_connections();
                    }
                    log::warn!("database connection unusable ({err}); retrying on another");
                    attempt = Attempt::Retry;
                }
                result => return Ok(result?),
            }
        }
        let mut conn = self.conn()?;
        work(&mut conn.inner, attempt).map_err(|err| {
            conn.lost = error::is_connection_lost(&err);
            StoreError::from(err)
        })
    }

    /// Applies pending migrations (under an advisory lock on Postgres) and
    /// returns the versions applied.
    pub fn run_migrations(&self) -> Result<Vec<String>, StoreError> {
        migrate::run_pending(&mut self.conn()?.inner)
    }

    /// Reverts every migration: for tests of the down migrations only.
    pub fn revert_all_migrations(&self) -> Result<usize, StoreError> {
        migrate::revert_all(&mut self.conn()?.inner)
    }

    /// Whether the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.with_conn(|conn, _| conn.ping())
    }

    /// Whether the database answers and takes writes: a Postgres standby,
    /// or a server whose sessions are read-only, is `Unavailable`, and the
    /// connection that found it so is discarded (so is every other one the
    /// retry meets), so a pool that landed on it reconnects and finds the
    /// writable primary once there is one. SQLite always takes writes.
    /// One query, like `ping`: cheap enough for every readiness probe.
    pub fn ping_writable(&self) -> Result<(), StoreError> {
        self.with_conn(|conn, _| match conn {
            AnyConnection::Postgresql(pg) => {
                let read_only: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'",
                ))
                .get_result(pg)?;
                if read_only {
                    return Err(error::read_only_server());
                }
                Ok(())
            }
            AnyConnection::Sqlite(_) => conn.ping(),
        })
    }
}

/// A pooled connection, counted as work under way until it is handed back
/// (fields drop in order: the connection first).
struct Checkout<'store> {
    conn: PooledConnection,
    _held: Held<'store>,
    _in_flight: InFlight<'store>,
}

impl Deref for Checkout<'_> {
    type Target = PooledConn;

    fn deref(&self) -> &PooledConn {
        &self.conn
    }
}

impl DerefMut for Checkout<'_> {
    fn deref_mut(&mut self) -> &mut PooledConn {
        &mut self.conn
    }
}

/// Which run of a unit of work this is (see `Store::with_conn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    First,
    Retry,
}

/// r2d2 reports failed connection attempts here; they count as failures of
/// the fault under way, logged with the cause (which never holds the
/// password: libpq does not echo it).
#[derive(Debug)]
struct PoolErrorLogger(Arc<FaultLog>);

impl r2d2::HandleError<ManagerError> for PoolErrorLogger {
    fn handle_error(&self, error: ManagerError) {
        // r2d2 retries a failed connection in the background; once the store
        // is closed, every retry is refused by design and says nothing new.
        if !matches!(error, ManagerError::Closed(_)) {
            self.0
                .report_failure(&format_args!("connection failed: {error}"));
        }
    }
}

/// Whether `err` is a closed store's refusal (see `Store::close`).
fn is_closed(err: &StoreError) -> bool {
    std::error::Error::source(err).is_some_and(|source| source.is::<gate::Closed>())
}

fn deadline_passed() -> StoreError {
    StoreError::Unavailable(
        "the caller stopped waiting before the work reached the database".into(),
    )
}
