//! What decides a registration body: the one path that `POST /register`
//! and its dry runs (`POST /admin/validate`, `dcr-server clients validate`)
//! share, so a body a dry run accepts is a body registration accepts, and a
//! body it refuses gets the very error registration would answer.

use dcr_core::initial_access::TOKEN_PREFIX;
use dcr_core::registration::{self, Admitted};
use dcr_core::software_statement::Applied;
use dcr_core::{MetadataError, RegistrationPolicy, TokenDigest, TokenPolicy};
use dcr_store::{Store, StoreError, StoredToken, TokenState};
use serde_json::Value;

use crate::config::{ConsentConfig, ReservedNames, SoftwareStatementConfig};
use crate::http::error::ApiError;
use crate::public::software_statement::admitted_document;
use crate::state::AppState;

/// The server's rules for a registration body.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub policy: &'a RegistrationPolicy,
    pub consent: &'a ConsentConfig,
    pub statements: &'a SoftwareStatementConfig,
}

impl<'a> Rules<'a> {
    /// The running server's.
    pub fn of(state: &'a AppState) -> Self {
        Self {
            policy: &state.policy,
            consent: &state.consent,
            statements: &state.software_statements,
        }
    }
}

/// What a registration body decides.
#[derive(Debug)]
pub struct Decided {
    /// The client's metadata, and the policy it is issued under.
    pub admitted: Admitted,
    /// The issuer of the software statement that vouched for it, for its
    /// provenance.
    pub statement_issuer: Option<String>,
}

/// The metadata `document` registers at `now`: its software statement
/// applied (`DCR_SOFTWARE_STATEMENTS`), under the server's policy narrowed
/// by `token`'s when an initial access token authorized it; refused as
/// registration refuses it.
pub fn decide(
    document: Value,
    rules: Rules<'_>,
    token: Option<&TokenPolicy>,
    now: i64,
) -> Result<Decided, ApiError> {
    let Applied { document, issuer } =
        admitted_document(rules.statements, document, token.is_none(), token, now)?;
    let admitted = registration::admit(&document, rules.policy, token)?;
    refuse_reserved_name(rules.consent, &admitted.metadata)?;
    Ok(Decided {
        admitted,
        statement_issuer: issuer,
    })
}

/// `DCR_RESERVED_NAMES=refuse`: a registration (or update) whose name
/// claims or resembles a well-known client's, without being that client, is
/// refused naming `client_name`. With `flag`, it is registered and flagged
/// in the consent signals.
pub fn refuse_reserved_name(
    consent: &ConsentConfig,
    metadata: &dcr_core::ClientMetadata,
) -> Result<(), MetadataError> {
    if consent.reserved_names == ReservedNames::Refuse {
        dcr_core::consent::refuse_reserved_name(metadata, &consent.known_clients)
    } else {
        Ok(())
    }
}

/// Whether `raw` is shaped like an initial access token at all: one that
/// is not costs no database round trip.
pub fn looks_like_token(raw: &str) -> bool {
    raw.starts_with(TOKEN_PREFIX)
}

/// The initial access token `raw`, if it exists and is active at `now`
/// (neither expired, used up nor revoked); `None` otherwise. Reading it
/// spends nothing: a registration spends a use when it stores its client.
pub fn active_token(store: &Store, raw: &str, now: i64) -> Result<Option<StoredToken>, StoreError> {
    if !looks_like_token(raw) {
        return Ok(None);
    }
    match store.find_token_by_digest(&TokenDigest::of(raw)) {
        Ok(token) if token.state(now) == TokenState::Active => Ok(Some(token)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}
