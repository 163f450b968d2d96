//! Reading JSON request bodies: the content type, a size limit, and one
//! reading of the JSON (`dcr_core::body`) whose errors never echo input.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt as _;

use crate::http::error::ApiError;

/// A JSON document from the request body (RFC 7591 section 3.1, RFC 7592
/// section 2.2).
pub async fn read_json(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<serde_json::Value, ApiError> {
    let body = read_json_bytes(request, payload, limit).await?;
    parse_registration(&body)
}

/// The bytes of a JSON body, unparsed, with [`read_json`]'s checks of its
/// headers and size: for a caller that reads them more than one way.
pub async fn read_json_bytes(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    require_json(request)?;
    read_body(payload, limit).await
}

/// A registration body as [`read_json`] reads it.
pub fn parse_registration(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    dcr_core::body::parse(body).map_err(body_error)
}

/// A JSON document of the admin API, every member kept for the handler to
/// judge (the reading of [`read_json`], without its RFC 7591 vocabulary).
pub async fn read_admin_json(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<serde_json::Value, ApiError> {
    let read = async {
        require_json(request)?;
        let body = read_body(payload, limit).await?;
        dcr_core::body::parse_whole(&body).map_err(body_error)
    };
    read.await.map_err(ApiError::on_admin_api)
}

/// An optional JSON document of the admin API: `None` for an empty body,
/// which needs no `Content-Type` (a bare `POST`); anything else is read as
/// [`read_admin_json`] reads it.
pub async fn read_optional_admin_json(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Option<serde_json::Value>, ApiError> {
    let read = async {
        let body = read_body(payload, limit).await?;
        if body.is_empty() {
            return Ok(None);
        }
        require_json(request)?;
        dcr_core::body::parse_whole(&body)
            .map(Some)
            .map_err(body_error)
    };
    read.await.map_err(ApiError::on_admin_api)
}

fn body_error(err: dcr_core::BodyError) -> ApiError {
    match err {
        dcr_core::BodyError::Syntax(position) => ApiError::MalformedJson(position),
        dcr_core::BodyError::Refused(refused) => ApiError::Metadata(refused),
    }
}

/// RFC 7591 section 3.1: the request is JSON, sent as `application/json`
/// in one `Content-Type`. dcr reads the bytes as they came, as UTF-8 (RFC
/// 8259 section 8.1): a body that says it is anything else (a `charset` but
/// `utf-8`, a `Content-Encoding` but `identity`) is refused, because a
/// gateway or WAF that decodes it as it says would judge another body than
/// the one dcr registers.
fn require_json(request: &HttpRequest) -> Result<(), ApiError> {
    let headers = request.headers();
    let mut content_types = headers.get_all(header::CONTENT_TYPE);
    let content_type = match (content_types.next(), content_types.next()) {
        (Some(only), None) => only.to_str().ok(),
        _ => None,
    };
    let mut parts = content_type.unwrap_or_default().split(';');
    let is_json = parts
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let other_charset = parts
        .filter_map(|parameter| parameter.split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .any(|(_, value)| {
            let value = value.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|value| value.strip_suffix('"'))
                .unwrap_or(value);
            !unquoted.eq_ignore_ascii_case("utf-8")
        });
    if other_charset {
        return Err(ApiError::UnsupportedCharset);
    }
    let coded = headers.get_all(header::CONTENT_ENCODING).any(|value| {
        !value.to_str().is_ok_and(|codings| {
            codings
                .split(',')
                .all(|coding| coding.trim().eq_ignore_ascii_case("identity"))
        })
    });
    if coded {
        return Err(ApiError::UnsupportedContentEncoding);
    }
    Ok(())
}

/// Most bytes read and thrown away after a body turned out too large. Closing
/// the connection while the client is still sending makes many HTTP clients
/// report a broken pipe instead of the 413; reading on a little lets them see
/// it, and the cap keeps a hostile client from holding the worker.
const MAX_DISCARDED_BYTES: usize = 1024 * 1024;

/// Reads at most `limit` bytes, whatever the headers claimed.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| match err {
            actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge { limit },
            _ => ApiError::UnreadableBody,
        })?;
        if body.len() + chunk.len() > limit {
            let mut discarded = body.len() + chunk.len();
            while discarded <= MAX_DISCARDED_BYTES {
                match payload.next().await {
                    Some(Ok(chunk)) => discarded += chunk.len(),
                    _ => break,
                }
            }
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
