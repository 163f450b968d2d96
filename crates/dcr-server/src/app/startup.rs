//! Building and running the application: one `Application` that binds both
//! listeners first, so tests can ask for port 0 and learn the ports.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, Service as _};
use actix_web::{App, HttpServer, web};
use dcr_core::TokenDigest;
use dcr_store::{ClientReader, ClientWriter, Store};
use futures_util::future::{Either, ready};

use crate::admin::guard::AdminGuard;
use crate::admission::hashing::{self, HashingPool};
use crate::admission::rate_limit::{FailureLimiter, RateLimiter};
use crate::app::drain::{self, Drain};
use crate::cimd::UrlClients;
use crate::config::{Config, Lifetimes};
use crate::consent_memo::{ConsentMemo, REMEMBERED_BYTES, REMEMBERED_CLIENTS};
use crate::database;
use crate::http::proxy::{PublicBase, TrustedProxies};
use crate::observability::metrics::{Listener, Metrics};
use crate::observability::request_log::RequestLog;
use crate::purge::{self, Arming};
use crate::state::AppState;
use crate::verify::Verifier;
use crate::verify::secrets::VerifiedSecrets;
use crate::{admin, public};

mod admin_bind;
mod opening;
use admin_bind::admin_address;
use opening::ready_database;
pub use opening::{StartError, migrate_store, open_store};

/// Threads that read clients for the verify call and the lookup, in
/// batches (`dcr_store::ClientReader`): two, so one batch forms while the
/// other is at the database.
const READERS: usize = 2;

pub struct Application {
    port: u16,
    admin_port: u16,
    server: Server,
    admin_server: Server,
    /// Closed once both servers have stopped (see `Store::close`).
    store: Store,
    /// How long the closing store waits for database work still under way.
    close_patience: Duration,
    /// How long requests under way get to finish after the stop.
    shutdown_timeout: Duration,
    /// Requests under way on both listeners (see `drain`).
    drain: Arc<Drain>,
    /// Closed at shutdown: hashing not yet started is answered 503.
    hashing_pools: [HashingPool; 2],
    lifetimes: Lifetimes,
    metrics: Metrics,
    arming: Arming,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("admin_port", &self.admin_port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Refuses a public bind without `DCR_PUBLIC_URL`, then opens the store,
    /// applies pending migrations and binds both listeners.
    pub fn build(config: Config) -> Result<Self, StartError> {
        let Config {
            listeners,
            database,
            registration,
            limits,
            discovery,
            lifetimes,
            cimd,
            consent,
            software_statements,
            hashing: hashing_config,
            policy,
        } = config;
        crate::config::check_public_url(listeners.bind, listeners.public_url.as_ref())?;
        log::info!("database: {}", database.store.url.describe());
        let store = open_store(&database.store)?;
        // The database work of start-up (the first connection, with its TLS
        // handshake, the migration check and two reads) waits on round
        // trips: it runs on a thread of its own while this one builds what
        // needs no database. Its outcome is awaited before the listeners
        // are bound, and its errors come first, as when it ran alone.
        let database_ready = ready_database(store.clone(), lifetimes.unused_ttl_secs)?;
        let writer = ClientWriter::start(&store, database.writers, database.queue)
            .and_then(|writer| {
                let reader = ClientReader::start(&store, READERS, database.queue)?;
                Ok((writer, reader))
            })
            .map_err(|source| StartError::database(store.url(), source));
        let store_to_close = store.clone();
        let store_for_verify = store.clone();
        let metrics = Metrics::new();
        // Both lines admit by an estimate from the configured cost until one
        // hash, timed off the listeners' path, gives this machine's figure.
        let first_estimate = hashing::first_estimate(hashing_config.bcrypt_cost);
        let hashing = HashingPool::new(
            hashing_config.bcrypt_threads,
            hashing_config.bcrypt_queue,
            hashing_config.queue_max_wait,
            first_estimate,
        )
        .timed_by(metrics.hashing_histogram("registration"));
        let verify_hashing = HashingPool::new(
            hashing_config.verify_threads,
            hashing_config.bcrypt_queue,
            hashing_config.queue_max_wait,
            first_estimate,
        )
        .timed_by(metrics.hashing_histogram("verify"));
        let policy = Arc::new(policy);
        if cimd.allow_http_loopback {
            log::warn!(
                "DCR_CIMD_ALLOW_HTTP_LOOPBACK is on: client metadata documents are also fetched over plain http from loopback; for development and tests only"
            );
        }
        let url_clients = UrlClients::new(
            cimd,
            policy.clone(),
            &consent.known_clients,
            metrics.clone(),
        );
        let proxies = TrustedProxies::new(listeners.trusted_proxies.clone());
        let unused_purge_armed_at = database_ready
            .join()
            .unwrap_or_else(|_| Err(StartError::Panicked("the database start-up")))?;
        let (writer, reader) = writer?;
        // Bound only now: until the database is ready, a connection is
        // refused rather than left waiting.
        let listener = bind(listeners.bind)?;
        let admin_listener = bind(admin_address(&listeners))?;
        let port = local_port(&listener, listeners.bind)?;
        let admin_port = local_port(&admin_listener, listeners.admin_bind)?;
        let arming = Arming::new(
            store.clone(),
            metrics.clone(),
            unused_purge_armed_at,
            hashing_config.queue_max_wait,
        );
        let state = web::Data::new(AppState {
            store,
            database_patience: hashing_config.queue_max_wait,
            writer,
            reader,
            policy,
            registration: registration.mode,
            dedup_public: registration.dedup_public,
            url_clients,
            consent_memo: ConsentMemo::new(
                consent.known_clients.clone(),
                REMEMBERED_CLIENTS,
                REMEMBERED_BYTES,
            ),
            consent,
            software_statements,
            metrics: metrics.clone(),
            secret_hashing: hashing_config.secret_hashing,
            hashing: hashing.clone(),
            max_body_bytes: listeners.max_body_bytes,
            public_base: PublicBase::new(listeners.public_url.as_ref(), proxies.clone()),
            proxies: proxies.clone(),
            discovery: discovery.clone(),
            rate_limiter: RateLimiter::new(
                limits.rate_limit,
                limits.rate_limit_global,
                limits.rate_limit_exempt,
            ),
            verifier: Verifier::new(
                VerifiedSecrets::new(hashing_config.verify_cache_size),
                FailureLimiter::new(limits.failed_auth_limit),
                verify_hashing.clone(),
                store_for_verify,
                i64::try_from(hashing_config.last_used_resolution_secs).unwrap_or(i64::MAX),
                arming.clone(),
                hashing_config.queue_max_wait,
            ),
        });
        log::info!(
            "dcr listening on {} (database: {}, public URL: {})",
            describe(&listener, listeners.bind),
            state.store.url(),
            listeners
                .public_url
                .as_ref()
                .map_or("derived from requests", url::Url::as_str),
        );
        if discovery.missing().is_empty() {
            log::info!("discovery metadata (RFC 8414) at {}", discovery.path());
            if let Some(path) = discovery.openid_path() {
                log::info!("the same metadata for OpenID Connect at {path}");
            }
        } else {
            log::warn!(
                "discovery metadata (RFC 8414) is not published, {} answers 404: the configured grant types need {} set",
                discovery.path(),
                discovery.missing().join(" and ")
            );
        }
        if !discovery.extra().unregistered().is_empty() {
            log::warn!(
                "DCR_METADATA_FILE has members that neither RFC 8414 nor OpenID Connect Discovery defines, published as they are: {}",
                discovery.extra().unregistered().join(", ")
            );
        }
        // Digest of DCR_ADMIN_TOKEN, compared in constant time; `None` when
        // the admin listener is loopback-only and open to local callers.
        let admin_guard = AdminGuard::new(
            listeners
                .admin_token
                .as_ref()
                .map(|token| TokenDigest::of(token.expose())),
        );
        if listeners.admin_token.is_some() {
            log::info!(
                "admin API on {}, bearer token required",
                describe(&admin_listener, listeners.admin_bind)
            );
        } else {
            log::warn!(
                "admin API on {} without a token (DCR_ADMIN_TOKEN is unset): loopback only",
                describe(&admin_listener, listeners.admin_bind)
            );
        }

        let drain = Arc::new(Drain::default());
        let public_state = state.clone();
        let request_log = RequestLog::new(state.proxies.clone(), state.metrics.clone());
        let (public_log, admin_log) = (request_log.clone(), request_log);
        let public_drain = drain.clone();
        let server = HttpServer::new(move || {
            let drain = public_drain.clone();
            let logged = public_log.clone();
            App::new()
                .app_data(public_state.clone())
                .wrap_fn(database::bound_request)
                .wrap_fn(move |request, service| logged.track(Listener::Public, request, service))
                .wrap_fn(move |request, service| drain::track(&drain, request, service))
                .configure(public::public_routes)
        })
        .workers(listeners.workers)
        // Signals are handled once, for both listeners, in run_until_stopped:
        // actix's own handler stops the whole runtime as soon as one of two
        // servers is done, cutting the other's in-flight requests.
        .disable_signals()
        .listen(listener)
        .map_err(|source| StartError::Bind {
            address: listeners.bind,
            source,
        })?
        .run();

        let admin_drain = drain.clone();
        let admin_server = HttpServer::new(move || {
            let drain = admin_drain.clone();
            let guard = admin_guard.clone();
            let logged = admin_log.clone();
            App::new()
                .app_data(state.clone())
                .wrap_fn(database::bound_request)
                // Innermost but for the database deadline, so a refusal is logged, counted and drained like any
                // answer; in front of every route, the fallback included.
                .wrap_fn(move |request, service| {
                    match guard.check(request.path(), request.headers()) {
                        Ok(()) => Either::Left(service.call(request)),
                        Err(refusal) => Either::Right(ready(Ok(request.error_response(refusal)))),
                    }
                })
                .wrap_fn(move |request, service| logged.track(Listener::Admin, request, service))
                .wrap_fn(move |request, service| drain::track(&drain, request, service))
                .configure(admin::admin_routes)
        })
        .workers(listeners.workers.clamp(1, 2))
        .disable_signals()
        .listen(admin_listener)
        .map_err(|source| StartError::Bind {
            address: listeners.admin_bind,
            source,
        })?
        .run();

        // Last: the timing takes a core for a hash, which the work above
        // would otherwise share.
        hashing::calibrate(
            hashing_config.bcrypt_cost,
            vec![hashing.clone(), verify_hashing.clone()],
        );
        Ok(Self {
            port,
            admin_port,
            server,
            admin_server,
            store: store_to_close,
            close_patience: database.store.acquire_timeout,
            shutdown_timeout: listeners.shutdown_timeout,
            drain,
            hashing_pools: [hashing, verify_hashing],
            lifetimes,
            metrics,
            arming,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections and
    /// lets in-flight requests on both listeners finish (up to the shutdown
    /// timeout).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes (with the reason to log), then stops as
    /// on SIGTERM. On return the store is closed: no database work is under
    /// way and no connection is open, so the process may exit.
    pub async fn run_until(self, stop: impl Future<Output = &'static str>) -> std::io::Result<()> {
        let public_handle = self.server.handle();
        let admin_handle = self.admin_server.handle();
        let servers = futures_util::future::join(self.server, self.admin_server);
        tokio::pin!(servers);
        // Expired clients are purged while the servers run; the task is
        // dropped with this function's other futures at the stop (a purge
        // under way finishes on its blocking thread before the store closes).
        let purging = purge::run(
            self.store.clone(),
            self.lifetimes,
            self.metrics.clone(),
            self.arming.clone(),
        );
        tokio::pin!(purging);
        let stopped_by_themselves = tokio::select! {
            () = &mut purging => Err("the purge task ended"),
            (public, admin) = &mut servers => Ok(public.and(admin)),
            reason = stop => Err(reason),
        };
        let served = match stopped_by_themselves {
            Ok(served) => served,
            Err(reason) => {
                // Drain before stopping: actix's own graceful stop can drop a
                // request under way (see `drain`). No new connections, and
                // requests still arriving on open ones are answered with
                // `Connection: close`. The servers process these commands
                // themselves, so they are polled all along.
                let (drain, shutdown_timeout) = (self.drain, self.shutdown_timeout);
                let hashing_pools = self.hashing_pools;
                let shutdown = async move {
                    drain.start();
                    // Logged once the drain has begun: from this line on,
                    // every answer asks its connection to close.
                    log::info!("{reason}: finishing in-flight requests, then stopping");
                    // Hashing nobody started yet would finish for clients
                    // long gone: answered 503 now, so only work under way
                    // holds the drain.
                    for pool in &hashing_pools {
                        pool.close();
                    }
                    futures_util::future::join(public_handle.pause(), admin_handle.pause()).await;
                    let unfinished = drain.settle(shutdown_timeout).await;
                    if unfinished > 0 {
                        log::warn!(
                            "{unfinished} requests still under way after DCR_SHUTDOWN_TIMEOUT_SECS; stopping anyway"
                        );
                    }
                    // Nothing is under way: what is left are idle
                    // connections, closed at once.
                    futures_util::future::join(public_handle.stop(false), admin_handle.stop(false))
                        .await;
                };
                let (_, (public, admin)) = futures_util::future::join(shutdown, servers).await;
                public.and(admin)
            }
        };
        close_store(self.store, self.close_patience).await;
        served
    }
}

async fn close_store(store: Store, patience: Duration) {
    let closing = tokio::task::spawn_blocking(move || store.close(patience));
    match closing.await {
        Ok(true) => {}
        Ok(false) => log::warn!(
            "database work was still under way {patience:?} after the servers stopped; exiting anyway"
        ),
        Err(err) => log::error!("closing the database pool failed: {err}"),
    }
}

/// Waits for SIGTERM (what orchestrators send) or SIGINT (Ctrl-C).
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                log::error!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = terminate => "SIGTERM received",
        _ = tokio::signal::ctrl_c() => "SIGINT received",
    }
}

fn bind(address: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(address).map_err(|source| StartError::Bind { address, source })
}

fn local_port(listener: &TcpListener, address: SocketAddr) -> Result<u16, StartError> {
    listener
        .local_addr()
        .map(|local| local.port())
        .map_err(|source| StartError::Bind { address, source })
}

fn describe(listener: &TcpListener, fallback: SocketAddr) -> String {
    listener
        .local_addr()
        .map_or_else(|_| fallback.to_string(), |local| local.to_string())
}
