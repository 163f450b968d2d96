//! Building and running the application: one `Application` that binds its
//! listener first, so tests can ask for port 0 and learn the port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::{Method, header};
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};
use dcr_core::{BcryptCost, RegistrationPolicy};
use dcr_store::{ClientWriter, Store, StoreError};

use crate::config::Config;
use crate::hashing::HashingPool;
use crate::routes;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub writer: ClientWriter,
    pub policy: Arc<RegistrationPolicy>,
    pub bcrypt_cost: BcryptCost,
    pub hashing: HashingPool,
    pub max_body_bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not listen on {address}: {source}")]
    Bind {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("database {url}: {source}")]
    Database { url: String, source: StoreError },
}

pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the store, applies pending migrations and binds the listener.
    pub fn build(config: Config) -> Result<Self, StartError> {
        let store = open_store(&config)?;
        let applied = store
            .run_migrations()
            .map_err(|source| StartError::Database {
                url: store.url().to_string(),
                source,
            })?;
        if !applied.is_empty() {
            log::info!("applied migrations {}", applied.join(", "));
        }
        let listener = TcpListener::bind(config.bind).map_err(|source| StartError::Bind {
            address: config.bind,
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                address: config.bind,
                source,
            })?
            .port();
        let writer = ClientWriter::start(&store, config.database_writers, config.database_queue)
            .map_err(|source| StartError::Database {
                url: store.url().to_string(),
                source,
            })?;
        let state = web::Data::new(AppState {
            store,
            writer,
            policy: Arc::new(config.policy.clone()),
            bcrypt_cost: config.bcrypt_cost,
            hashing: HashingPool::new(config.bcrypt_threads, config.bcrypt_queue),
            max_body_bytes: config.max_body_bytes,
        });
        log::info!(
            "dcr listening on {} (database: {}, public URL: {})",
            listener
                .local_addr()
                .map_or_else(|_| config.bind.to_string(), |addr| addr.to_string()),
            state.store.url(),
            config
                .public_url
                .as_ref()
                .map_or("derived from requests", url::Url::as_str),
        );
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(request_logger())
                .service(
                    web::resource("/register")
                        .wrap(registration_cors())
                        .route(web::post().to(routes::register::register))
                        .default_service(web::to(routes::fallback)),
                )
                .route("/healthz", web::get().to(routes::health::healthz))
                .route("/readyz", web::get().to(routes::health::readyz))
                .default_service(web::to(routes::fallback))
        })
        .workers(config.workers)
        .shutdown_timeout(config.shutdown_timeout.as_secs())
        .listen(listener)
        .map_err(|source| StartError::Bind {
            address: config.bind,
            source,
        })?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the store and applies pending migrations, for `migrate` and start-up.
pub fn open_store(config: &Config) -> Result<Store, StartError> {
    Store::open(&config.store).map_err(|source| StartError::Database {
        url: config.store.url.to_string(),
        source,
    })
}

/// One line per request: who, method, path (never the query), status and
/// latency. Bodies and headers, where secrets travel, are never logged.
fn request_logger() -> Logger {
    Logger::new("%a %{method}xi %U %s %Dms")
        .custom_request_replace("method", |request| request.method().to_string())
}

/// Browser-based MCP clients (MCP Inspector, web IDEs) register from their own
/// origin: any origin may call, without credentials.
fn registration_cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods([Method::POST])
        .allowed_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(86_400)
}
