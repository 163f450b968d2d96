//! The request middleware of both listeners: one log line per request, and
//! its count in the metrics (`Metrics::observe_request`). The line holds the
//! request id, method, route
//! pattern, path, status, latency, client address, and the client id where
//! one is known; a registration's line also says what was registered (its
//! name and authentication method, or that an existing public client was
//! handed out), so a registration is one line, not two. Never a query
//! string, a header's value (but the request id's) or a body: secrets and
//! tokens travel in those. Nothing of the line is formatted when the level
//! filters it out.
//!
//! The request id comes from `X-Request-Id` when the peer is a trusted
//! proxy (`DCR_TRUSTED_PROXIES`) and the value is a plain token, and is
//! made here otherwise; the answer carries it back in `X-Request-Id`, so a
//! gateway's log and dcr's meet.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use dcr_core::{AuthMethod, ClientId};
use rand::RngCore as _;

use crate::http::error::Outcome;
use crate::http::proxy::TrustedProxies;
use crate::observability::metrics::{Listener, Metrics};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest request id taken from a proxy.
const MAX_REQUEST_ID: usize = 128;

/// The client a registration answered with, for the request's log line.
#[derive(Debug, Clone)]
pub struct LoggedClient {
    pub client_id: ClientId,
    pub registered: Registered,
}

/// What a registration did.
#[derive(Debug, Clone)]
pub enum Registered {
    /// Stored a new client.
    New {
        client_name: Option<String>,
        auth_method: AuthMethod,
    },
    /// Handed out the existing public client of the same metadata
    /// (`DCR_DEDUP_PUBLIC`).
    Shared,
}

/// The middleware's share of the state: who may name a request's client
/// and id, and the metrics each answer is counted in.
#[derive(Debug, Clone)]
pub struct RequestLog {
    proxies: TrustedProxies,
    metrics: Metrics,
}

impl RequestLog {
    pub fn new(proxies: TrustedProxies, metrics: Metrics) -> Self {
        Self { proxies, metrics }
    }

    /// The middleware: wraps every request of a listener.
    pub fn track<S, B>(
        &self,
        listener: Listener,
        request: ServiceRequest,
        service: &S,
    ) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let started = Instant::now();
        let id = request_id(&self.proxies, &request);
        let proxies = self.proxies.clone();
        let metrics = self.metrics.clone();
        let response = service.call(request);
        async move {
            let mut response = response.await?;
            let status = response.status().as_u16();
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            let seconds = started.elapsed().as_secs_f64();
            let outcome = response.response().extensions().get::<Outcome>().copied();
            let method = response.request().method();
            metrics.observe_request(listener, method, &route, status, outcome, seconds);
            if log::log_enabled!(target: REQUEST_TARGET, log::Level::Info) {
                log_request(
                    &proxies,
                    listener,
                    &response,
                    &LineFacts {
                        id: &id,
                        route: &route,
                        status,
                        latency_ms: seconds * 1000.0,
                    },
                );
            }
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(response)
        }
    }
}

/// The log target of the request lines.
const REQUEST_TARGET: &str = "dcr_server::request";

/// What the middleware measured, for the line.
struct LineFacts<'a> {
    id: &'a str,
    route: &'a str,
    status: u16,
    latency_ms: f64,
}

/// The request's one line: called only when it is logged.
fn log_request<B>(
    proxies: &TrustedProxies,
    listener: Listener,
    response: &ServiceResponse<B>,
    facts: &LineFacts<'_>,
) {
    let LineFacts {
        id,
        route,
        status,
        latency_ms,
    } = *facts;
    let request = response.request();
    let method = request.method().as_str();
    let client_address = proxies
        .client_address(request)
        .map_or_else(|| "-".to_owned(), |address| address.to_string());
    let extensions = response.response().extensions();
    let logged = extensions.get::<LoggedClient>();
    // The client a handler named, else the path's, if it is a client id.
    let client_id = logged
        .map(|logged| logged.client_id)
        .or_else(|| {
            request
                .match_info()
                .get("client_id")
                .and_then(|raw| ClientId::parse(raw).ok())
        })
        .map_or_else(|| "-".to_owned(), |id| id.to_string());
    let latency_ms = (latency_ms * 1000.0).round() / 1000.0;
    // The path only when no route matched would be the client's text: it is
    // shown escaped, and the route pattern is the field to count.
    let path = request.path().escape_default();
    let registered = logged.map(|logged| &logged.registered);
    let (kind, client_name, auth_method) = match registered {
        Some(Registered::New {
            client_name,
            auth_method,
        }) => (
            "new",
            client_name.as_deref().unwrap_or(""),
            auth_method.as_str(),
        ),
        Some(Registered::Shared) => ("shared", "-", "-"),
        None => ("-", "-", "-"),
    };
    log::info!(
        target: REQUEST_TARGET,
        request_id = id,
        listener = listener.as_str(),
        method = method,
        route = route,
        status = status,
        latency_ms = latency_ms,
        client_address = client_address.as_str(),
        client_id = client_id.as_str(),
        registered = kind,
        client_name = client_name,
        auth_method = auth_method;
        "{method} {path} {status} {latency_ms:.3}ms from {client_address} client {client_id} request {id}{}",
        WhatRegistered(registered)
    );
}

/// The end of a registration's line: what it registered.
struct WhatRegistered<'a>(Option<&'a Registered>);

impl std::fmt::Display for WhatRegistered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            // The name is shown quoted and escaped; it holds no control
            // character.
            Some(Registered::New {
                client_name,
                auth_method,
            }) => write!(
                f,
                ": registered {:?} ({auth_method})",
                client_name.as_deref().unwrap_or("")
            ),
            Some(Registered::Shared) => {
                f.write_str(": answered with the existing public client (DCR_DEDUP_PUBLIC)")
            }
            None => Ok(()),
        }
    }
}

/// The proxy's id when it is trusted and plain; a new random one otherwise.
fn request_id(proxies: &TrustedProxies, request: &ServiceRequest) -> String {
    let from_proxy = proxies
        .sent(request.request())
        .then(|| request.headers().get(REQUEST_ID))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_plain_id(value));
    match from_proxy {
        Some(id) => id.to_owned(),
        None => {
            // Unpredictable but not secret: the thread's CSPRNG, seeded from
            // the OS, spares a system call per request.
            let mut bytes = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut bytes);
            let mut id = String::with_capacity(32);
            for byte in bytes {
                id.push(char::from(HEX[usize::from(byte >> 4)]));
                id.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
            id
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Letters, digits and `-_.:/+=`, at most 128: what request ids are made of,
/// and nothing a log viewer could misread.
fn is_plain_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_REQUEST_ID
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken_from_a_proxy() {
        let long = "a".repeat(129);
        let cases = [
            ("4bf92f3577b34da6a3ce929d0e0e4736", true),
            ("req-123_abc.def:ghi/jk+l=", true),
            ("", false),
            ("has space", false),
            ("new\nline", false),
            ("quote\"", false),
            ("caf\u{e9}", false),
            (long.as_str(), false),
        ];
        for (value, plain) in cases {
            assert_eq!(is_plain_id(value), plain, "{value:?}");
        }
    }
}
