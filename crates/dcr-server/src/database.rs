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
//! together, counted from its first.
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
    /// When the request's wait for the database ends: set by its first call.
    static REQUEST_DEADLINE: Cell<Option<Instant>>;
}

/// The middleware (for `App::wrap_fn`) that gives each request its own
/// deadline for the database.
pub fn bound_request<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    REQUEST_DEADLINE.scope(Cell::new(None), service.call(request))
}

/// When the request's wait for the database ends, starting it if this is
/// its first call; `patience` from now outside a request (background work).
pub(crate) fn deadline(patience: Duration) -> Instant {
    let now = Instant::now();
    REQUEST_DEADLINE
        .try_with(|deadline| match deadline.get() {
            Some(until) => until,
            None => {
                let until = now + patience;
                deadline.set(Some(until));
                until
            }
        })
        .unwrap_or(now + patience)
}

/// What is left of the request's wait (see `deadline`).
pub(crate) fn remaining(patience: Duration) -> Duration {
    deadline(patience).saturating_duration_since(Instant::now())
}

/// Runs `work` on the blocking pool and waits at most `patience` for it.
pub async fn within<T, F>(patience: Duration, store: Store, work: F) -> Result<T, StoreError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let deadline = deadline(patience);
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(gave_up(patience));
    }
    // The store drops the work if it is still waiting for a connection when
    // the request stops waiting for it.
    let work = web::block(move || store.run_by(deadline, work));
    match tokio::time::timeout(left, work).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(err)) => Err(StoreError::Other(
            format!("running database work: {err}").into(),
        )),
        Err(_) => Err(gave_up(patience)),
    }
}

/// Waits at most `patience` for an answer that a store thread sends.
pub async fn answer_within<T>(
    patience: Duration,
    answer: tokio::sync::oneshot::Receiver<Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(remaining(patience), answer).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(StoreError::Other(
            "the database work ended without an answer".into(),
        )),
        Err(_) => Err(gave_up(patience)),
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
