//! Issuing an initial access token (RFC 7591 section 3), for the admin API
//! and the CLI alike.

use dcr_core::{InitialAccessToken, TokenId, TokenRequest};
use dcr_store::StoredToken;
use rand::rngs::OsRng;

/// A new token for `asked`, at `now`.
pub fn issue(asked: TokenRequest, now: i64) -> (InitialAccessToken, StoredToken) {
    let token = InitialAccessToken::generate(&mut OsRng);
    let stored = StoredToken {
        id: TokenId::generate(&mut OsRng),
        description: asked.description,
        policy: asked.policy,
        max_uses: asked.max_uses,
        uses: 0,
        created_at: now,
        expires_at: asked
            .expires_in
            .map(|secs| now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))),
        revoked_at: None,
    };
    (token, stored)
}
