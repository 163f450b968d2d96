//! Issuing an initial access token (RFC 7591 section 3), for the admin API
//! and the CLI alike; and what start-up says of the tokens already issued.

use dcr_core::{InitialAccessToken, TokenId, TokenRequest};
use dcr_store::{Store, StoredToken};
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

/// Earlier releases wrote a private-use scheme in a token's
/// `redirect_uri_hosts` without its colon (`cursor`), and read every entry
/// as a host or a scheme; an entry without a colon is now a host only, so
/// such a token (and the RFC 7592 updates of the clients registered under
/// it) no longer admits that scheme. Named at start-up, with the fix: one
/// query over the tokens an operator issued, and advice only, so a failure
/// to read them does not stop the server.
pub fn warn_of_earlier_scheme_entries(store: &Store) {
    let tokens = match store.list_tokens() {
        Ok(tokens) => tokens,
        Err(err) => {
            log::warn!("could not check the initial access tokens' redirect entries: {err}");
            return;
        }
    };
    for token in tokens {
        let entries: Vec<String> = token
            .policy
            .redirect_uri_hosts
            .iter()
            .flatten()
            .filter(|entry| entry.reads_like_an_earlier_scheme())
            .map(ToString::to_string)
            .collect();
        if let Some(first) = entries.first() {
            log::warn!(
                "initial access token {} lists {} in redirect_uri_hosts: a host only since this release, where earlier releases also admitted the private-use scheme of that name; to admit the scheme, issue a token with the entry written with its colon ({first}:)",
                token.id,
                entries.join(", "),
            );
        }
    }
}
