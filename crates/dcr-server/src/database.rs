//! Waiting for the database from a request, with a bound. Diesel's calls
//! block their thread until the server answers, and a server that stops
//! answering without closing its connections (a frozen host, a partition,
//! a commit waiting for a synchronous standby that is gone) may never
//! answer. The request does not wait for it: after `patience` it is answered
//! 503 and the work goes on alone on its blocking thread. The store bounds
//! that work itself (connect timeout, TCP timeouts, abandoning connections
//! that stay stuck), so the thread is not lost for good either.
//!
//! A 503 is no acknowledgement: work given up on here may still commit.
//! That is the contract of every timeout (RFC 9110 section 15.6.4): a
//! registration answered 503 and retried leaves at most an unused client,
//! which the never-used rule removes.

use std::time::Duration;

use actix_web::web;
use dcr_store::{Store, StoreError};

/// Runs `work` on the blocking pool and waits at most `patience` for it.
pub async fn within<T, F>(patience: Duration, store: Store, work: F) -> Result<T, StoreError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::time::timeout(patience, web::block(move || work(&store))).await {
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
    match tokio::time::timeout(patience, answer).await {
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
