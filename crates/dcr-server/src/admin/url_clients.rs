//! The admin API for URL client ids (Client ID Metadata Documents): the
//! verify call and the client view answer for them as for registered
//! clients; disabling works the same. The path carries the URL
//! percent-encoded (`/admin/clients/https%3A%2F%2Fexample.com%2Fc/verify`).

use actix_web::HttpResponse;
use dcr_core::cimd::DocumentUrl;
use dcr_core::{CredentialCheck, Occasion};
use serde_json::json;

use crate::admin::views::{url_admin_view, url_consent_view, url_enforcement_view};
use crate::admin::{invalid, unusable, usable};
use crate::cimd::{FetchError, LookupError};
use crate::clock::unix_now;
use crate::http::error::{ApiError, Outcome};
use crate::http::{no_store, with_store};
use crate::state::AppState;

/// `POST /admin/clients/{url}/verify`. A URL client is valid when it is not
/// disabled, its document is valid, and its credentials pass
/// [`CredentialCheck::for_url_client`].
pub async fn verify(
    state: &AppState,
    raw: &str,
    secret_presented: bool,
) -> Result<HttpResponse, ApiError> {
    let Ok(url) = state.url_clients.parse(raw) else {
        return Ok(invalid());
    };
    if !is_active(state, &url).await? {
        return Ok(invalid());
    }
    let client = match state.url_clients.lookup(&url).await {
        Ok(client) => client,
        Err(LookupError::Busy) => {
            return Err(ApiError::Busy {
                retry_after_secs: 1,
            });
        }
        Err(_) => return Ok(invalid()),
    };
    if CredentialCheck::for_url_client(&client.metadata, secret_presented)
        != CredentialCheck::Accepted
    {
        return Ok(invalid());
    }
    let mut response = no_store(HttpResponse::Ok()).json(json!({
        "valid": true,
        "client": url_enforcement_view(&client),
        "consent": url_consent_view(&client, &state.consent.known_clients, unix_now()),
    }));
    response.extensions_mut().insert(Outcome("valid"));
    Ok(response)
}

/// `POST /admin/lookup` for a URL client id: its document fetched as the
/// verify call fetches it (the same cache). An id that is no URL client
/// here (URL client ids off, a malformed URL, a refused host) is unknown.
pub async fn lookup(state: &AppState, raw: &str) -> Result<HttpResponse, ApiError> {
    let Ok(url) = state.url_clients.parse(raw) else {
        return Ok(unusable("unknown_client", None));
    };
    if !is_active(state, &url).await? {
        return Ok(unusable("disabled", None));
    }
    match state.url_clients.lookup(&url).await {
        Ok(client) => Ok(usable(
            url_enforcement_view(&client),
            url_consent_view(&client, &state.consent.known_clients, unix_now()),
        )),
        Err(LookupError::Busy) => Err(ApiError::Busy {
            retry_after_secs: 1,
        }),
        Err(LookupError::Invalid(_) | LookupError::Fetch(FetchError::TooLarge)) => {
            Ok(unusable("invalid_document", None))
        }
        Err(_) => Ok(unusable("document_unavailable", None)),
    }
}

/// `GET /admin/clients/{url}`: the document as validated, or why there is
/// none (`404`, with the reason: the operator asked).
pub async fn show(state: &AppState, raw: &str) -> Result<HttpResponse, ApiError> {
    let url = state.url_clients.parse(raw).map_err(not_a_client)?;
    let active = is_active(state, &url).await?;
    let client = state.url_clients.lookup(&url).await.map_err(not_a_client)?;
    Ok(no_store(HttpResponse::Ok()).json(url_admin_view(
        &client,
        active,
        url_consent_view(&client, &state.consent.known_clients, unix_now()),
    )))
}

/// `POST /admin/clients/{url}/disable` and `/enable`: recorded whether or not
/// the document can be fetched now (a URL may be disabled before its first
/// use, or while its host is down).
pub async fn set_active(
    state: &AppState,
    raw: &str,
    active: bool,
) -> Result<HttpResponse, ApiError> {
    let url = DocumentUrl::parse(raw, state.url_clients.allows_http_loopback())
        .map_err(|err| not_a_client(LookupError::NotAUrl(err)))?;
    let key = url.as_str().to_owned();
    let by = Occasion::admin(unix_now());
    with_store(state, move |store| {
        store.set_url_client_active(&key, active, &by)
    })
    .await?;
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "client_id": url.as_str(),
        "active": active,
        "source": "metadata_document",
    })))
}

async fn is_active(state: &AppState, url: &DocumentUrl) -> Result<bool, ApiError> {
    let key = url.as_str().to_owned();
    with_store(state, move |store| store.url_client_active(&key)).await
}

/// The admin API's 404 for a URL that is no client now, with the reason
/// (never the document's content).
fn not_a_client(err: LookupError) -> ApiError {
    match err {
        LookupError::Busy => ApiError::Busy {
            retry_after_secs: 1,
        },
        other => ApiError::NoUrlClient(other.to_string()),
    }
}
