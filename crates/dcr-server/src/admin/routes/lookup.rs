//! `POST /admin/lookup`: what an authorization endpoint needs before it
//! shows a consent screen, in one call and without a secret (it has none):
//! whether the client may be used now and, if so, what to enforce (redirect
//! URIs and the rule that matches them, grant types, scope) and the consent
//! signals. A lookup carries no credential, so it records no use, arms no
//! lifetime rule and counts no failure; the token endpoint's verify call
//! still decides each token request.

use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::Usability;

use super::verify::{read_client_id_body, registered};
use crate::admin::operations::ClientRef;
use crate::admin::views::enforcement_view;
use crate::admin::{unusable, url_clients, usable};
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::state::AppState;

/// `POST /admin/lookup` `{"client_id": ...}`.
pub async fn lookup(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client_id = read_client_id_body(&request, payload, &state).await?;
    let found = match ClientRef::parse(&client_id) {
        Ok(ClientRef::Url(raw)) => return url_clients::lookup(&state, &raw).await,
        Ok(client) => registered(&state, client).await?,
        Err(_) => None,
    };
    let Some(client) = found else {
        return Ok(unusable("unknown_client", None));
    };
    let now = unix_now();
    let consent = state.consent_memo.view(&client, now);
    Ok(match client.usability(now) {
        Usability::Usable => usable(enforcement_view(&client), consent),
        // The operator's tools may show whom they disabled.
        Usability::Disabled => unusable("disabled", Some(enforcement_view(&client))),
        Usability::SecretExpired => unusable("secret_expired", None),
    })
}
