//! What every handler shares, built once by `startup` and handed to the
//! routes; routes import this module, never the wiring.

use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpRequest;
use dcr_core::{ClientId, RegisteredClient, RegistrationPolicy, SecretHashing};
use dcr_store::{ClientReader, ClientWriter, QueueFull, Store, StoreError};

use crate::admission::hashing::HashingPool;
use crate::admission::rate_limit::RateLimiter;
use crate::cimd::UrlClients;
use crate::config::{ConsentConfig, Discovery, RegistrationMode, SoftwareStatementConfig};
use crate::consent_memo::ConsentMemo;
use crate::http::error::ApiError;
use crate::http::proxy::{PublicBase, TrustedProxies};
use crate::observability::metrics::Metrics;
use crate::verify::Verifier;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    /// How long a request waits for the database (`DCR_QUEUE_MAX_WAIT_MS`).
    pub database_patience: std::time::Duration,
    pub writer: ClientWriter,
    /// Grouped reads of registered clients for verify and lookup.
    pub reader: ClientReader,
    pub policy: Arc<RegistrationPolicy>,
    /// Whether registration needs an initial access token.
    pub registration: RegistrationMode,
    /// `DCR_DEDUP_PUBLIC`.
    pub dedup_public: bool,
    pub metrics: Metrics,
    /// URL client ids (Client ID Metadata Documents).
    pub url_clients: UrlClients,
    /// Well-known clients and the reserved-name rule (consent signals).
    pub consent: ConsentConfig,
    /// The consent signals of the registered clients verify and lookup
    /// were asked about.
    pub consent_memo: ConsentMemo,
    /// `DCR_SOFTWARE_STATEMENTS` and the trusted issuers' keys.
    pub software_statements: SoftwareStatementConfig,
    /// How new secrets are hashed (`DCR_SECRET_HASH`).
    pub secret_hashing: SecretHashing,
    /// bcrypt for registrations, RFC 7592 updates and rotations.
    pub hashing: HashingPool,
    pub max_body_bytes: usize,
    pub public_base: PublicBase,
    /// Who may state a request's client, scheme and host (`DCR_TRUSTED_PROXIES`).
    pub proxies: TrustedProxies,
    pub discovery: Discovery,
    /// The verify call's credential check.
    pub verifier: Verifier,
    /// The limits of `POST /register`.
    pub rate_limiter: RateLimiter,
}

impl AppState {
    /// The client configuration endpoint (RFC 7592 section 3) as this
    /// request reaches it; refused (`400`) when it would come from a bad
    /// `Host` (see `proxy`). Asked before any work that the answer reports.
    pub fn configuration_endpoint(
        &self,
        request: &HttpRequest,
    ) -> Result<ConfigurationEndpoint, ApiError> {
        Ok(ConfigurationEndpoint(format!(
            "{}/register",
            self.public_base.for_request(request)?
        )))
    }
}

/// Where clients manage their registration, for one request.
#[derive(Debug)]
pub struct ConfigurationEndpoint(String);

impl ConfigurationEndpoint {
    /// A client's `registration_client_uri`.
    pub fn client_uri(&self, client_id: &ClientId) -> String {
        format!("{}/{client_id}", self.0)
    }
}

/// Runs store work on the blocking pool: Diesel is synchronous and must not
/// hold an HTTP worker thread. No answer within `DCR_QUEUE_MAX_WAIT_MS` is
/// a 503 (see `database`). A row the work expected and did not find is
/// [`ApiError::NoSuchRow`]; where a missing row has a meaning on the
/// endpoint (an invalid token, an unknown client), use [`find_in_store`].
pub async fn with_store<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    crate::database::within(state.database_patience, state.store.clone(), work)
        .await
        .map_err(ApiError::from)
}

/// [`with_store`] for work that looks a row up: `None` when it is not
/// stored, for the handler to say what that means on its endpoint.
pub async fn find_in_store<T, F>(state: &AppState, work: F) -> Result<Option<T>, ApiError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    with_store(state, move |store| match work(store) {
        Ok(found) => Ok(Some(found)),
        Err(StoreError::NotFound) => Ok(None),
        Err(err) => Err(err),
    })
    .await
}

/// The registered client `client_id`, through the grouped reads (the verify
/// call and the lookup, a token endpoint's calls on every token request):
/// `None` when no client has the id.
pub async fn read_client(
    state: &AppState,
    client_id: ClientId,
) -> Result<Option<RegisteredClient>, ApiError> {
    through_queue(state, |deadline, reply| {
        state.reader.find_by(client_id, deadline, reply)
    })
    .await
}

/// Work handed to one of the store's batch queues (the registration
/// writers, the verify call's readers) with `submit`, waited for as
/// [`with_store`] waits: at most what is left of the request's patience,
/// after which the store drops the work if no thread has taken it. A full
/// queue is `503` at once.
pub async fn through_queue<T: Send + 'static>(
    state: &AppState,
    submit: impl FnOnce(Instant, Box<dyn FnOnce(Result<T, StoreError>) + Send>) -> Result<(), QueueFull>,
) -> Result<T, ApiError> {
    let (answer_tx, answer_rx) = tokio::sync::oneshot::channel();
    let deadline = crate::database::deadline(state.database_patience);
    submit(
        deadline,
        Box::new(move |outcome| {
            // The caller may have stopped waiting: nobody to tell.
            let _ = answer_tx.send(outcome);
        }),
    )
    .map_err(|_| {
        // One line per shed request would flood the log in exactly the
        // overload it reports; each is counted (dcr_rejections_total,
        // reason busy), and a database fault behind it is logged by the
        // store, once a second.
        log::debug!("database work queue full; shedding load");
        // The threads drain thousands a second: the line clears at once.
        ApiError::Busy {
            retry_after_secs: 1,
        }
    })?;
    Ok(crate::database::answer_by(deadline, state.database_patience, answer_rx).await?)
}
