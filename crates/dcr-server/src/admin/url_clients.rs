//! The token endpoint's calls for URL client ids (Client ID Metadata
//! Documents): the verify call and the lookup answer for them as for
//! registered clients. Showing, disabling and enabling one are admin
//! operations (`operations::clients`). The path carries the URL
//! percent-encoded (`/admin/clients/https%3A%2F%2Fexample.com%2Fc/verify`).

use actix_web::HttpResponse;
use dcr_core::CredentialCheck;
use dcr_core::cimd::DocumentUrl;

use crate::admin::operations::clients::url_client_active;
use crate::admin::operations::on_store;
use crate::admin::views::{url_consent_view, url_enforcement_view};
use crate::admin::{invalid, unusable, usable, valid};
use crate::cimd::{FetchError, LookupError};
use crate::clock::unix_now;
use crate::http::error::ApiError;
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
    Ok(valid(
        url_enforcement_view(&client),
        url_consent_view(&client, &state.consent.known_clients, unix_now()),
    ))
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

async fn is_active(state: &AppState, url: &DocumentUrl) -> Result<bool, ApiError> {
    let url = url.clone();
    Ok(on_store(state, move |store| url_client_active(store, &url)).await?)
}
