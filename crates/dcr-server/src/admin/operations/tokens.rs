//! Initial access tokens (RFC 7591 section 3): issue one (the token is
//! shown once), list, show and revoke them. Registration spends them.

use dcr_core::{InitialAccessToken, Occasion, TokenId, TokenRequest};
use dcr_store::{Store, StoredToken};

use super::{OperationError, missing};
use crate::admin::initial_access::issue;

/// Issues a token for `asked` at `now`: the token (shown only now) and
/// what is kept of it.
pub fn create(
    store: &Store,
    asked: TokenRequest,
    now: i64,
) -> Result<(InitialAccessToken, StoredToken), OperationError> {
    let (token, stored) = issue(asked, now);
    store.insert_token(&stored, &token.digest(), &Occasion::admin(now))?;
    Ok((token, stored))
}

/// Every token, newest first.
pub fn list(store: &Store) -> Result<Vec<StoredToken>, OperationError> {
    Ok(store.list_tokens()?)
}

/// The token with the id `raw`.
pub fn show(store: &Store, raw: &str) -> Result<StoredToken, OperationError> {
    let id = parse_id(raw)?;
    store.find_token(&id).map_err(|err| no_such_token(err, raw))
}

/// Revokes the token with the id `raw`: it authorizes no more
/// registrations; the clients it created stay. It stays listed, as revoked.
pub fn revoke(store: &Store, raw: &str, now: i64) -> Result<StoredToken, OperationError> {
    let id = parse_id(raw)?;
    store
        .revoke_token(&id, &Occasion::admin(now))
        .map_err(|err| no_such_token(err, raw))
}

fn parse_id(raw: &str) -> Result<TokenId, OperationError> {
    TokenId::parse(raw).map_err(|_| OperationError::NoSuchToken(raw.to_owned()))
}

fn no_such_token(err: dcr_store::StoreError, raw: &str) -> OperationError {
    missing(err, || OperationError::NoSuchToken(raw.to_owned()))
}
