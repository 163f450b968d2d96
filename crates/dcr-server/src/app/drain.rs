//! Graceful shutdown that finishes every request under way.
//!
//! actix-server's own graceful stop is not enough: it stops the accept thread
//! first, and a worker that sees its connection channel close before the stop
//! message ends at once, dropping the requests it is serving (the client sees
//! the connection close without an answer). So dcr drains first: it stops
//! accepting, answers requests that still arrive on open connections with
//! `Connection: close`, waits until no request is under way (a request counts
//! until its response body has been written), and only then stops the
//! servers.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::web::Bytes;

/// Requests under way on both listeners, and whether shutdown has begun.
#[derive(Debug, Default)]
pub struct Drain {
    in_flight: AtomicUsize,
    draining: AtomicBool,
}

/// One request under way, counted until dropped.
#[derive(Debug)]
pub struct Ticket {
    drain: Arc<Drain>,
}

impl Drain {
    pub fn enter(self: &Arc<Self>) -> Ticket {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Ticket {
            drain: self.clone(),
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn start(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Waits until no request is under way, or `patience` has passed.
    /// Returns the requests still under way (0 when all finished).
    pub async fn settle(&self, patience: Duration) -> usize {
        // Polled rather than signalled: shutdown is rare, and 10 ms adds
        // nothing a client would notice.
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let left = self.in_flight();
            if left == 0 || tokio::time::Instant::now() >= deadline {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.drain.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The middleware (for `App::wrap_fn`): counts the request until its body is
/// written, and once draining has begun asks the client to close the
/// connection, so no new request can arrive on it.
pub fn track<S, B>(
    drain: &Arc<Drain>,
    request: ServiceRequest,
    service: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<TrackedBody>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let ticket = drain.enter();
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        if ticket.drain.is_draining() {
            response
                .response_mut()
                .head_mut()
                .set_connection_type(ConnectionType::Close);
        }
        Ok(response.map_body(|_, body| TrackedBody {
            body: body.boxed(),
            _ticket: ticket,
        }))
    }
}

/// A response body that holds its request's ticket until it is written (or
/// the connection is gone).
#[derive(Debug)]
pub struct TrackedBody {
    body: BoxBody,
    _ticket: Ticket,
}

impl MessageBody for TrackedBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settles_once_every_ticket_is_dropped() {
        let drain = Arc::new(Drain::default());
        let first = drain.enter();
        let second = drain.enter();
        assert_eq!(drain.in_flight(), 2);
        assert_eq!(drain.settle(Duration::from_millis(30)).await, 2);
        drop(first);
        let settling = tokio::spawn({
            let drain = drain.clone();
            async move { drain.settle(Duration::from_secs(60)).await }
        });
        drop(second);
        assert_eq!(settling.await.unwrap(), 0);
    }

    #[test]
    fn draining_is_a_one_way_switch() {
        let drain = Drain::default();
        assert!(!drain.is_draining());
        drain.start();
        drain.start();
        assert!(drain.is_draining());
    }
}
