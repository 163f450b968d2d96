#![doc = include_str!("../README.md")]
mod clients;
mod connection;
mod error;
mod gate;
mod listing;
mod migrate;
mod schema;
#[cfg(feature = "test-support")]
pub mod test_support;
mod writer;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use dcr_core::{ClientCredentials, ClientId, RegisteredClient, TokenDigest};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

pub use connection::{AnyConnection, DatabaseUrl, InvalidDatabaseUrl};
pub use error::StoreError;
pub use listing::{ClientFilter, ClientPage, InvalidCursor, ListCursor};
pub use writer::{ClientWriter, MAX_BATCH, QueueFull};

use clients::ClientRow;
use connection::{Manager, ManagerError, PooledConn};
use gate::{Gate, InFlight};
use schema::oauth_clients;

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
}

impl StoreConfig {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            pool_size: 16,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

type Pool = r2d2::Pool<Manager>;
type PooledConnection = r2d2::PooledConnection<Manager>;

/// The registered clients, in Postgres or SQLite.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    url: DatabaseUrl,
    gate: Arc<Gate>,
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
        let connect_url = match &config.url {
            DatabaseUrl::Postgres(url) => DatabaseUrl::Postgres(connection::with_connect_timeout(
                url,
                config.acquire_timeout,
            )),
            sqlite => sqlite.clone(),
        };
        let manager = Manager {
            url: connect_url,
            sqlite_busy_timeout: config.acquire_timeout.max(Duration::from_secs(5)),
            gate: gate.clone(),
        };
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(config.acquire_timeout)
            // No ping before every use: it would cost a round trip per
            // request. A connection found dead is discarded and the work
            // retried once on a fresh one (`with_conn`).
            .test_on_check_out(false)
            .error_handler(Box::new(PoolErrorLogger))
            .build_unchecked(manager);
        Ok(Self {
            pool,
            url: config.url.clone(),
            gate,
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
        while let Some(mut idle) = self.pool.try_get() {
            // A connection marked lost is discarded, not put back.
            idle.lost = true;
        }
        settled
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    fn conn(&self) -> Result<Checkout<'_>, StoreError> {
        let in_flight = self.gate.enter()?;
        Ok(Checkout {
            conn: self.pool.get()?,
            _in_flight: in_flight,
        })
    }

    /// Runs `work` on a pooled connection. When the database has dropped that
    /// connection (a restart or failover since it was last used), it is
    /// discarded and `work` runs again on the next one, so the first requests
    /// after a database restart do not fail. A restart kills every idle
    /// connection at once, hence up to one try per pooled connection plus a
    /// new one; dead connections fail at once, so this costs little. `work`
    /// learns whether it is a retry, to stay idempotent.
    fn with_conn<T>(
        &self,
        mut work: impl FnMut(&mut AnyConnection, Attempt) -> QueryResult<T>,
    ) -> Result<T, StoreError> {
        let tries = self.pool.max_size() + 1;
        let mut attempt = Attempt::First;
        for _ in 1..tries {
            let mut conn = self.conn()?;
            match work(&mut conn.inner, attempt) {
                Err(err) if error::is_connection_lost(&err) => {
                    conn.lost = true;
                    log::warn!("database connection lost ({err}); retrying on another");
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

    /// Stores a newly registered client, owned by the system user.
    pub fn insert_client(&self, client: &RegisteredClient) -> Result<(), StoreError> {
        self.insert_clients(&[client])
    }

    /// Stores several new clients in one statement: all or none.
    pub fn insert_clients(&self, clients: &[&RegisteredClient]) -> Result<(), StoreError> {
        let rows: Vec<ClientRow> = clients
            .iter()
            .map(|client| ClientRow::from_client(client, SYSTEM_USER_ID))
            .collect();
        self.with_conn(|conn, attempt| {
            // Diesel's multi-backend connection has no multi-row INSERT, so
            // this one statement is built per backend.
            let inserted = match conn {
                AnyConnection::Postgresql(pg) => diesel::insert_into(oauth_clients::table)
                    .values(&rows)
                    .execute(pg),
                AnyConnection::Sqlite(sqlite) => diesel::insert_into(oauth_clients::table)
                    .values(&rows)
                    .execute(sqlite),
            };
            match inserted {
                // The statement is atomic and every client_id fresh: a
                // duplicate on the retry means the first attempt committed.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) if attempt == Attempt::Retry => Ok(()),
                result => result.map(drop),
            }
        })
    }

    pub fn find_client(&self, client_id: &ClientId) -> Result<RegisteredClient, StoreError> {
        let id = client_id.to_string();
        let row: ClientRow = self.with_conn(|conn, _| {
            oauth_clients::table
                .find(&id)
                .select(ClientRow::as_select())
                .first(conn)
        })?;
        row.into_client()
    }

    /// Stores an RFC 7592 update, but only if the client still holds the
    /// registration access token the update was authorized with: of two
    /// concurrent updates with one token, exactly one wins. `NotFound` when
    /// the client is gone, its token has changed or it was disabled meanwhile
    /// (a disabled client's token manages nothing).
    ///
    /// An update that keeps the client's secret leaves the secret columns
    /// alone, so a secret rotated by an operator meanwhile is not overwritten
    /// with the one the update started from.
    pub fn replace_client(
        &self,
        updated: &RegisteredClient,
        authorized_by: &TokenDigest,
        secret: SecretChange,
    ) -> Result<(), StoreError> {
        let row = ClientRow::from_client(updated, SYSTEM_USER_ID);
        let id = updated.client_id.to_string();
        let expected = authorized_by.to_stored();
        let changed = self.with_conn(|conn, attempt| {
            let target = oauth_clients::table
                .filter(oauth_clients::client_id.eq(&id))
                .filter(oauth_clients::registration_token_digest.eq(&expected))
                .filter(oauth_clients::is_active.eq(true));
            let changed = match secret {
                SecretChange::Keep => diesel::update(target)
                    .set(row.metadata_changes())
                    .execute(conn)?,
                SecretChange::Replace => diesel::update(target)
                    .set((row.metadata_changes(), row.secret_changes()))
                    .execute(conn)?,
            };
            // A retry after a lost connection finds the new token in place
            // when the first attempt committed.
            if changed == 0 && attempt == Attempt::Retry {
                return oauth_clients::table
                    .filter(oauth_clients::client_id.eq(&id))
                    .filter(oauth_clients::registration_token_digest.eq(row.token_digest()))
                    .count()
                    .get_result::<i64>(conn)
                    .map(|found| usize::try_from(found).unwrap_or(0));
            }
            Ok(changed)
        })?;
        found_one(changed)
    }

    /// Removes a client for good, but only if it still holds the registration
    /// access token the deletion was authorized with (RFC 7592 section 2.3):
    /// a token rotated meanwhile by an update, or held by a client disabled
    /// meanwhile, no longer deletes anything. `NotFound` when the client is
    /// gone, its token has changed or it is disabled.
    pub fn delete_client_authorized(
        &self,
        client_id: &ClientId,
        authorized_by: &TokenDigest,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let expected = authorized_by.to_stored();
        let deleted = self.with_conn(|conn, _| {
            diesel::delete(
                oauth_clients::table
                    .filter(oauth_clients::client_id.eq(&id))
                    .filter(oauth_clients::registration_token_digest.eq(&expected))
                    .filter(oauth_clients::is_active.eq(true)),
            )
            .execute(conn)
        })?;
        found_one(deleted)
    }

    /// Removes a client for good. `NotFound` when there is none.
    pub fn delete_client(&self, client_id: &ClientId) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let deleted =
            self.with_conn(|conn, _| diesel::delete(oauth_clients::table.find(&id)).execute(conn))?;
        found_one(deleted)
    }

    /// Enables or disables a client. `NotFound` when there is none.
    pub fn set_active(&self, client_id: &ClientId, active: bool) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let changed = self.with_conn(|conn, _| {
            diesel::update(oauth_clients::table.find(&id))
                .set(oauth_clients::is_active.eq(active))
                .execute(conn)
        })?;
        found_one(changed)
    }

    /// Stores new credentials (a rotated secret). `NotFound` when there is no
    /// such client, or when it no longer has a secret (an update made it
    /// public meanwhile).
    pub fn replace_credentials(
        &self,
        client_id: &ClientId,
        credentials: &ClientCredentials,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let (hash, expires_at) = match credentials {
            ClientCredentials::Public => (None, 0),
            ClientCredentials::Confidential {
                secret_hash,
                secret_expires_at,
            } => (Some(secret_hash.as_stored().to_owned()), *secret_expires_at),
        };
        let changed = self.with_conn(|conn, _| {
            // Only a client that still has a secret gets a new one: an update
            // that just made it public must not be undone.
            diesel::update(
                oauth_clients::table
                    .find(&id)
                    .filter(oauth_clients::client_secret_hash.is_not_null()),
            )
            .set((
                oauth_clients::client_secret_hash.eq(&hash),
                oauth_clients::client_secret_expires_at.eq(expires_at),
            ))
            .execute(conn)
        })?;
        found_one(changed)
    }

    /// Records a successful credential check.
    pub fn touch_last_used(&self, client_id: &ClientId, now: i64) -> Result<(), StoreError> {
        let id = client_id.to_string();
        self.with_conn(|conn, _| {
            diesel::update(oauth_clients::table.find(&id))
                .set(oauth_clients::last_used_at.eq(Some(now)))
                .execute(conn)
        })?;
        Ok(())
    }

    /// One page of at most `limit` clients matching `filter`, oldest first,
    /// starting after `after`.
    pub fn list_clients(
        &self,
        filter: &ClientFilter,
        limit: usize,
        after: Option<&ListCursor>,
    ) -> Result<ClientPage, StoreError> {
        use diesel::sql_types::{Nullable, Text};
        diesel::define_sql_function!(fn lower(text: Nullable<Text>) -> Nullable<Text>);

        let limit = limit.clamp(1, 1000);
        // One row past the page tells whether another page follows, so an
        // exactly full last page does not lead to an empty one.
        let fetch = i64::try_from(limit + 1).unwrap_or(1001);
        let mut rows: Vec<ClientRow> = self.with_conn(|conn, _| {
            let mut query = oauth_clients::table
                .select(ClientRow::as_select())
                .order((
                    oauth_clients::created_at.asc(),
                    oauth_clients::client_id.asc(),
                ))
                .limit(fetch)
                .into_boxed();
            if let Some(cursor) = after {
                query = query.filter(
                    oauth_clients::created_at
                        .gt(cursor.created_at)
                        .or(oauth_clients::created_at
                            .eq(cursor.created_at)
                            .and(oauth_clients::client_id.gt(cursor.client_id.clone()))),
                );
            }
            if let Some(name) = &filter.name_contains {
                query = query.filter(
                    lower(oauth_clients::client_name)
                        .like(listing::contains_pattern(&name.to_lowercase()))
                        .escape('\\'),
                );
            }
            if let Some(software_id) = &filter.software_id {
                query = query.filter(oauth_clients::software_id.eq(software_id.clone()));
            }
            if let Some(host) = &filter.redirect_host {
                // A cheap pre-filter in SQL; the exact host test follows.
                // Hosts are case-insensitive and stored verbatim, and LIKE is
                // case-sensitive on Postgres: compare lowercased.
                query = query.filter(
                    lower(oauth_clients::redirect_uris.nullable())
                        .like(listing::contains_pattern(&host.to_ascii_lowercase()))
                        .escape('\\'),
                );
            }
            if let Some(active) = filter.active {
                query = query.filter(oauth_clients::is_active.eq(active));
            }
            query.load(conn)
        })?;
        let more_follow = rows.len() > limit;
        rows.truncate(limit);
        let mut clients = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in rows {
            let client = row.into_client()?;
            last = Some(listing::ListCursor::after(&client));
            if filter.matches_redirect_host(&client) {
                clients.push(client);
            }
        }
        Ok(ClientPage {
            clients,
            next: if more_follow { last } else { None },
        })
    }

    /// The number of stored clients.
    pub fn count_clients(&self) -> Result<i64, StoreError> {
        self.with_conn(|conn, _| oauth_clients::table.count().get_result(conn))
    }
}

/// A statement aimed at one client by its key: none touched means there is
/// no such client (or, for guarded statements, it no longer matches).
fn found_one(rows: usize) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Whether an update writes the secret columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChange {
    /// The client keeps its current secret (or stays without one).
    Keep,
    /// The update issues a secret or removes it.
    Replace,
}

/// A pooled connection, counted as work under way until it is handed back
/// (fields drop in order: the connection first).
struct Checkout<'store> {
    conn: PooledConnection,
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

/// r2d2 reports failed connection attempts here; they are logged once, with
/// the cause (which never holds the password: libpq does not echo it).
#[derive(Debug)]
struct PoolErrorLogger;

impl r2d2::HandleError<ManagerError> for PoolErrorLogger {
    fn handle_error(&self, error: ManagerError) {
        // r2d2 retries a failed connection in the background; once the store
        // is closed, every retry is refused by design and says nothing new.
        if !matches!(error, ManagerError::Closed(_)) {
            log::warn!("database connection failed: {error}");
        }
    }
}
