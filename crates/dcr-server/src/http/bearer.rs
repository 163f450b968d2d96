//! Bearer tokens in `Authorization` headers (RFC 6750 section 2.1), for the
//! RFC 7592 endpoints and the admin listener's gate alike.
//!
//! Kept rather than `actix-web-httpauth`: its extractor answers a bad header
//! with its own plain-text challenge before our handlers run, where every
//! answer here must be JSON with an RFC error code, and the admin gate reads
//! headers in a middleware, not through an extractor. The rule is five lines.

use actix_web::http::header::{self, HeaderMap};

/// The token of an `Authorization: Bearer ...` header; the scheme is
/// case-insensitive, and a token is one non-empty word.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}
