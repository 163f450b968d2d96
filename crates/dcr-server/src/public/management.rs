//! The client configuration endpoint (RFC 7592 section 2): a client reads,
//! replaces and deletes its own registration with its registration access
//! token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use dcr_core::{
    ClientId, Occasion, RegisteredClient, RegisteredUnder, TokenPolicy, UpdateError, UpdateRules,
};
use rand::rngs::OsRng;

use crate::clock::unix_now;
use crate::http::bearer::bearer_token;
use crate::http::error::ApiError;
use crate::http::json_body::read_json;
use crate::http::no_store;
use crate::public::decision::refuse_reserved_name;
use crate::public::software_statement::admitted_document;
use crate::state::{AppState, find_in_store};

/// `GET /register/{client_id}` (RFC 7592 section 2.1). The plaintext secret
/// is not recoverable, so it is omitted; the token is the one presented.
pub async fn read(
    request: HttpRequest,
    Managed { client, token }: Managed,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client_uri = state
        .configuration_endpoint(&request)?
        .client_uri(&client.client_id);
    Ok(
        no_store(HttpResponse::Ok()).json(client.management_response_body(
            None,
            &token,
            &client_uri,
        )),
    )
}

/// `PUT /register/{client_id}` (RFC 7592 section 2.2): full replacement of
/// the metadata, under the rules of registration; the token is rotated.
pub async fn update(
    request: HttpRequest,
    Managed { client, token }: Managed,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = state.configuration_endpoint(&request)?;
    let document = read_json(&request, payload, state.max_body_bytes).await?;
    let (rules, token_policy) = update_rules(&state, &client).await?;
    let open = client.provenance.token_id.is_none();
    let document = admitted_document(
        &state.software_statements,
        document,
        open,
        token_policy.as_ref(),
        unix_now(),
    )?
    .document;
    let update_request = rules.parse(&document, &client.client_id)?;

    let hashing = state.secret_hashing;
    let now = unix_now();
    let by = Occasion::client(client_address(&state, &request), now);
    let authorized_by = dcr_core::TokenDigest::of(&token);
    // Checking the presented secret and issuing a new one both hash: one
    // trip to the hashing pool does both.
    let update = state
        .hashing
        .run(move || client.apply_update(update_request, rules.policy(), now, hashing, &mut OsRng))
        .await?
        .map_err(|err| match err {
            UpdateError::Refused(refused) => ApiError::Metadata(refused),
            UpdateError::Hash(err) => ApiError::internal("issuing credentials", err),
        })?;
    refuse_reserved_name(&state.consent, &update.client.metadata)?;

    let stored = update.client.clone();
    let secret_change = if update.secret_replaced {
        dcr_store::SecretChange::Replace
    } else {
        dcr_store::SecretChange::Keep
    };
    find_in_store(&state, move |store| {
        store.replace_client(&stored, &authorized_by, secret_change, &by)
    })
    .await?
    .ok_or(TOKEN_NO_LONGER_VALID)?;
    let client_uri = endpoint.client_uri(&update.client.client_id);
    Ok(no_store(HttpResponse::Ok()).json(update.management_response_body(&client_uri)))
}

/// `DELETE /register/{client_id}` (RFC 7592 section 2.3): the client and its
/// token stop working everywhere.
pub async fn delete(
    request: HttpRequest,
    Managed { client, token }: Managed,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let authorized_by = dcr_core::TokenDigest::of(&token);
    let by = Occasion::client(client_address(&state, &request), unix_now());
    find_in_store(&state, move |store| {
        store.delete_client_authorized(&client.client_id, &authorized_by, &by)
    })
    .await?
    .ok_or(TOKEN_NO_LONGER_VALID)?;
    Ok(no_store(HttpResponse::NoContent()).finish())
}

/// The rules an update is held to ([`UpdateRules`], [`RegisteredUnder::of`]): for a client created
/// with an initial access token, that token's policy is read whatever the
/// token's state (revoked tokens are kept), and a token that is gone refuses
/// the update. The token's policy comes too, for its software statement
/// issuer.
async fn update_rules(
    state: &AppState,
    client: &RegisteredClient,
) -> Result<(UpdateRules, Option<TokenPolicy>), ApiError> {
    let registered_with = client.provenance.token_id.as_ref();
    // No token, no store trip: the server's rules.
    let Some(token_id) = registered_with.cloned() else {
        return Ok((
            UpdateRules::new(&state.policy, RegisteredUnder::Server)?,
            None,
        ));
    };
    let token = find_in_store(state, move |store| store.find_token(&token_id)).await?;
    let policy = token.map(|token| token.policy);
    let under = RegisteredUnder::of(registered_with, policy.as_ref());
    Ok((UpdateRules::new(&state.policy, under)?, policy))
}

fn client_address(state: &AppState, request: &HttpRequest) -> Option<String> {
    state
        .proxies
        .client_address(request)
        .map(|address| address.to_string())
}

/// The client named in the path, when the bearer token is its registration
/// access token (RFC 7592 section 2): every handler of the configuration
/// endpoint takes one, so none can forget the check. Every failure is the
/// same 401, unknown clients included, so the endpoint tells a guesser
/// nothing.
pub struct Managed {
    pub client: RegisteredClient,
    /// The token presented, which the client's stored digest matches.
    pub token: String,
}

impl std::fmt::Debug for Managed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Managed")
            .field("client_id", &self.client.client_id)
            .finish_non_exhaustive()
    }
}

impl FromRequest for Managed {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request.app_data::<web::Data<AppState>>().ok_or_else(|| {
                ApiError::internal(
                    "checking a registration access token",
                    "the application state is not registered",
                )
            })?;
            let token = bearer_token(request.headers())
                .ok_or(ApiError::InvalidToken)?
                .to_owned();
            let raw_client_id = request.match_info().get("client_id").unwrap_or_default();
            let client_id = ClientId::parse(raw_client_id).map_err(|_| ApiError::InvalidToken)?;
            let client = find_in_store(state, move |store| store.find_client(&client_id))
                .await?
                .ok_or(TOKEN_NO_LONGER_VALID)?;
            // One digest and a constant-time compare: cheap enough to need
            // no failure limit, so no one's wrong tokens keep the client out
            // and no limit answers differently for an id that exists.
            if client.accepts_registration_token(&token) {
                Ok(Self { client, token })
            } else {
                Err(ApiError::InvalidToken)
            }
        })
    }
}

/// A client that is gone, or whose token an update rotated meanwhile, is an
/// invalid token to whoever presented it.
const TOKEN_NO_LONGER_VALID: ApiError = ApiError::InvalidToken;
