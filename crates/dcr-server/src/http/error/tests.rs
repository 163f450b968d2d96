use actix_web::body::to_bytes;
use dcr_core::Problem;
use serde_json::Value;

use super::*;

struct Expected {
    status: u16,
    code: &'static str,
    header: Option<(&'static str, &'static str)>,
}

fn expect(status: u16, code: &'static str) -> Expected {
    Expected {
        status,
        code,
        header: None,
    }
}

fn with_header(
    status: u16,
    code: &'static str,
    name: &'static str,
    value: &'static str,
) -> Expected {
    Expected {
        status,
        code,
        header: Some((name, value)),
    }
}

/// Every variant, as a client sees it: status, RFC code, the headers its
/// status calls for, a JSON body that is never cached.
#[actix_web::test]
async fn every_variant_maps_to_its_answer() {
    let metadata = MetadataError::new("/client_name", Problem::Empty);
    let cases: Vec<(ApiError, Expected)> = vec![
        (
            ApiError::Metadata(metadata),
            expect(400, "invalid_client_metadata"),
        ),
        (
            ApiError::MalformedJson("it ends early at line 1 column 2".into()),
            expect(400, "invalid_client_metadata"),
        ),
        (
            ApiError::UnsupportedMediaType,
            expect(415, "invalid_client_metadata"),
        ),
        (
            ApiError::UnsupportedContentEncoding,
            with_header(
                415,
                "invalid_client_metadata",
                "accept-encoding",
                "identity",
            ),
        ),
        (
            ApiError::UnsupportedContentEncoding.on_admin_api(),
            with_header(415, "invalid_request", "accept-encoding", "identity"),
        ),
        (
            ApiError::UnsupportedCharset,
            expect(415, "invalid_client_metadata"),
        ),
        (
            ApiError::PayloadTooLarge { limit: 65_536 },
            expect(413, "invalid_client_metadata"),
        ),
        (
            ApiError::UnreadableBody,
            expect(400, "invalid_client_metadata"),
        ),
        (
            ApiError::MalformedJson("x".into()).on_admin_api(),
            expect(400, "invalid_request"),
        ),
        (
            ApiError::PayloadTooLarge { limit: 10 }.on_admin_api(),
            expect(413, "invalid_request"),
        ),
        (ApiError::NoSuchRoute, expect(404, "not_found")),
        (ApiError::NoSuchRow, expect(404, "not_found")),
        (ApiError::DiscoveryNotConfigured, expect(404, "not_found")),
        (
            ApiError::InvalidToken,
            with_header(
                401,
                "invalid_token",
                "www-authenticate",
                r#"Bearer error="invalid_token""#,
            ),
        ),
        (
            ApiError::AdminUnauthorized,
            with_header(
                401,
                "unauthorized",
                "www-authenticate",
                r#"Bearer realm="dcr-admin""#,
            ),
        ),
        (
            ApiError::AdminForbidden("no browsers"),
            expect(403, "forbidden"),
        ),
        (
            ApiError::InvalidInitialAccessToken,
            with_header(
                401,
                "invalid_token",
                "www-authenticate",
                r#"Bearer error="invalid_token""#,
            ),
        ),
        (ApiError::TokenNotFound, expect(404, "not_found")),
        (
            ApiError::NoUrlClient("the server answered 404".into()),
            expect(404, "not_found"),
        ),
        (ApiError::ClientNotFound, expect(404, "not_found")),
        (
            ApiError::InvalidRequest("limit must be from 1 to 1000"),
            expect(400, "invalid_request"),
        ),
        (
            ApiError::MethodNotAllowed {
                allow: "GET".into(),
            },
            with_header(405, "method_not_allowed", "allow", "GET"),
        ),
        (
            ApiError::Unavailable,
            with_header(
                503,
                "temporarily_unavailable",
                "retry-after",
                RETRY_AFTER_SECS,
            ),
        ),
        (
            ApiError::Busy {
                retry_after_secs: 3,
            },
            with_header(503, "temporarily_unavailable", "retry-after", "3"),
        ),
        (
            ApiError::RateLimited(crate::admission::rate_limit::Limited {
                scope: crate::admission::rate_limit::LimitScope::Address,
                limit: 60,
                retry_after_secs: 42,
            }),
            with_header(429, "rate_limited", "retry-after", "42"),
        ),
        (
            ApiError::internal("testing", std::io::Error::other("disk on fire")),
            expect(500, "server_error"),
        ),
    ];
    for (error, expected) in cases {
        let shown = format!("{error:?}");
        let response = error.error_response();
        assert_eq!(response.status().as_u16(), expected.status, "{shown}");
        let headers = response.headers().clone();
        assert_eq!(headers.get("cache-control").unwrap(), "no-store", "{shown}");
        assert_eq!(headers.get("pragma").unwrap(), "no-cache", "{shown}");
        assert!(
            headers
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{shown}"
        );
        if let Some((name, value)) = expected.header {
            assert_eq!(headers.get(name).unwrap(), value, "{shown}");
        }
        let body: Value =
            serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap();
        assert_eq!(body["error"], expected.code, "{shown}");
        let description = body["error_description"].as_str().unwrap();
        assert!(!description.is_empty(), "{shown}");
        assert!(!description.contains("disk on fire"), "{shown}");
    }
}

/// Metadata errors name the field; nothing else carries one.
#[actix_web::test]
async fn only_metadata_errors_name_a_field() {
    let error = ApiError::Metadata(MetadataError::new("/redirect_uris/1", Problem::Empty));
    let body: Value =
        serde_json::from_slice(&to_bytes(error.error_response().into_body()).await.unwrap())
            .unwrap();
    assert_eq!(body["field"], "/redirect_uris/1");
    assert_eq!(body["error"], "invalid_redirect_uri");
    let body: Value = serde_json::from_slice(
        &to_bytes(ApiError::NoSuchRoute.error_response().into_body())
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(body.get("field").is_none());
}

/// A store failure keeps its cause for the log, and the answer is fixed.
#[test]
fn store_errors_map_to_their_status_and_keep_their_cause() {
    assert!(matches!(
        ApiError::from(StoreError::NotFound),
        ApiError::NoSuchRow
    ));
    let internal = ApiError::from(StoreError::Other("constraint violated".into()));
    assert_eq!(internal.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        internal.to_string(),
        "the server failed to process the request"
    );
    let cause = std::error::Error::source(&internal).unwrap().to_string();
    assert!(cause.contains("constraint violated"), "{cause}");
}
