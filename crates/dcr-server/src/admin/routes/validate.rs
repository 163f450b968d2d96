//! `POST /admin/validate`: a dry run of `POST /register` (see
//! `admin::validate`).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::admin::validate::{NamedToken, named_token, verdict};
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::json_body::{parse_registration, read_json_bytes};
use crate::http::no_store;
use crate::public::decision::{Decided, Rules, decide};
use crate::public::register::active_initial_access_token;
use crate::state::AppState;

/// `200` with the verdict, valid or not; an error status only when the
/// server cannot judge the body now (`503`).
pub async fn validate(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let decided = dry_run(&request, payload, &state).await;
    let answer = verdict(decided, &state.consent.known_clients, unix_now())?;
    Ok(no_store(HttpResponse::Ok()).json(answer))
}

/// `POST /register`'s steps in its order (the token, then the body), none
/// of those that count or store: the rate limit, the token's use, the row.
async fn dry_run(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Decided, ApiError> {
    let body = read_json_bytes(request, payload, state.max_body_bytes).await?;
    let token = match named_token(&body, state.registration)? {
        NamedToken::Raw(raw) => Some(active_initial_access_token(state, raw).await?),
        NamedToken::None => None,
    };
    let document = parse_registration(&body)?;
    decide(
        document,
        Rules::of(state),
        token.as_ref().map(|token| &token.policy),
        unix_now(),
    )
}
