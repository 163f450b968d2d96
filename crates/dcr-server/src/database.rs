//! Waiting for the database from a request, with a bound. Diesel's calls
//! block their thread until the server answers, and a server that stops
//! answering without closing its connections (a frozen host, a partition,
//! a commit waiting for a synchronous standby that is gone) may never
//! answer. The request does not wait for it: after `patience` it is answered
//! 503. Work still waiting for a connection (or in the registration queue)
//! then is dropped by the store, not done behind the caller's back; work
//! already sent to the database goes on alone on its blocking thread, and
//! the store bounds that itself (connect timeout, TCP timeouts, abandoning
//! connections that stay stuck), so the thread is not lost for good either.
//!
//! The bound is the request's, not each call's: a request that makes several
//! calls (a lookup, then a write) waits at most `patience` for all of them
//! together.
//!
//! So a 503 acknowledges nothing: work that had reached the database may
//! still commit. That is the contract of every timeout: a registration
//! answered 503 and retried leaves at most an unused client, which the
//! never-used rule removes.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::web;
use dcr_store::{Store, StoreError};

tokio::task_local! {
    /// How long the request has waited for the database so far.
    static REQUEST_WAITED: Cell<Duration>;
}

/// The middleware (for `App::wrap_fn`) that gives each request its own
/// account of its database waits.
pub fn bound_request<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    REQUEST_WAITED.scope(Cell::new(Duration::ZERO), service.call(request))
}

/// What is left of the request's `patience` for the database; all of it
/// outside a request (background work). Only waits for the database count:
/// a request that queued for a hashing thread between two calls (bounded on
/// its own) does not lose its second call for it.
fn left(patience: Duration) -> Duration {
    REQUEST_WAITED
        .try_with(|waited| patience.saturating_sub(waited.get()))
        .unwrap_or(patience)
}

fn charge(waited: Duration) {
    let _ = REQUEST_WAITED.try_with(|total| total.set(total.get() + waited));
}

/// When a database wait that starts now must end, for work handed to a
/// thread of the store's (the registration writers).
pub(crate) fn deadline(patience: Duration) -> Instant {
    Instant::now() + left(patience)
}

/// Waits for `work` until `deadline`, charging the wait to the request.
pub(crate) async fn wait_until<T>(
    deadline: Instant,
    patience: Duration,
    work: impl Future<Output = T>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let outcome = tokio::time::timeout_at(deadline.into(), work).await;
    charge(started.elapsed());
    outcome.map_err(|_| gave_up(patience))
}

/// Runs `work` on the blocking pool and waits for it at most what is left
/// of the request's `patience`.
pub async fn within<T, F>(patience: Duration, store: Store, work: F) -> Result<T, StoreError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let deadline = deadline(patience);
    if deadline <= Instant::now() {
        return Err(gave_up(patience));
    }
    // The store drops the work if it is still waiting for a connection when
    // the request stops waiting for it.
    let work = web::block(move || store.run_by(deadline, work));
    match wait_until(deadline, patience, work).await? {
        Ok(outcome) => outcome,
        Err(err) => Err(StoreError::Other(
            format!("running database work: {err}").into(),
        )),
    }
}

/// Waits until `deadline` for the answer of work handed to a store thread
/// with that deadline.
pub async fn answer_by<T>(
    deadline: Instant,
    patience: Duration,
    answer: tokio::sync::oneshot::Receiver<Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match wait_until(deadline, patience, answer).await? {
        Ok(outcome) => outcome,
        Err(_) => Err(StoreError::Other(
            "the database work ended without an answer".into(),
        )),
    }
}

pub(crate) fn gave_up(patience: Duration) -> StoreError {
    // Each such request is counted (dcr_rejections_total, reason
    // unavailable); the store logs the fault behind it once it sees one.
    log::debug!("no answer from the database within {patience:?}; answering 503");
    StoreError::Unavailable(
        format!(
            "no answer from the database within {} ms (DCR_QUEUE_MAX_WAIT_MS)",
            patience.as_millis()
        )
        .into(),
    )
}
