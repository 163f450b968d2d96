//! Initial access tokens (RFC 7591 section 3): stored as digests, spent by
//! one conditional UPDATE in the transaction that stores the client they
//! authorize.

use dcr_core::{EventKind, Occasion, RegisteredClient, TokenDigest, TokenId, TokenPolicy};
use diesel::prelude::*;

use crate::audit::{self, Subject};
use crate::schema::{initial_access_tokens, oauth_clients};
use crate::{Attempt, Store, StoreError};

/// An initial access token as stored: everything but the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: TokenId,
    pub description: Option<String>,
    pub policy: TokenPolicy,
    /// `None`: any number of registrations.
    pub max_uses: Option<u64>,
    pub uses: u64,
    pub created_at: i64,
    /// `None`: never expires.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Whether a token still authorizes registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::UsedUp => "used_up",
            Self::Revoked => "revoked",
        }
    }
}

impl StoredToken {
    pub fn state(&self, now: i64) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|expires_at| expires_at <= now) {
            TokenState::Expired
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            TokenState::UsedUp
        } else {
            TokenState::Active
        }
    }
}

#[derive(Insertable, Queryable, Selectable)]
#[diesel(table_name = initial_access_tokens)]
struct TokenRow {
    id: String,
    token_digest: String,
    description: Option<String>,
    policy: String,
    max_uses: Option<i64>,
    uses: i64,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn into_token(self) -> Result<StoredToken, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(
                format!("initial access token {} has a corrupt {what}", self.id).into(),
            )
        };
        let id = TokenId::parse(&self.id).map_err(|_| corrupt("id"))?;
        let policy = serde_json::from_str(&self.policy)
            .ok()
            .and_then(|value| TokenPolicy::from_stored(&value))
            .ok_or_else(|| corrupt("policy"))?;
        let count = |value: i64| u64::try_from(value).map_err(|_| corrupt("count"));
        Ok(StoredToken {
            id,
            description: self.description.clone(),
            policy,
            max_uses: self.max_uses.map(count).transpose()?,
            uses: count(self.uses)?,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        })
    }
}

fn stored_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores a new token (its digest and what describes it).
    pub fn insert_token(
        &self,
        token: &StoredToken,
        digest: &TokenDigest,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        let row = TokenRow {
            id: token.id.to_string(),
            token_digest: digest.to_stored(),
            description: token.description.clone(),
            policy: token.policy.to_json().to_string(),
            max_uses: token.max_uses.map(stored_count),
            uses: stored_count(token.uses),
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
        };
        self.with_conn(|conn, attempt| {
            conn.transaction(|conn| {
                let inserted = diesel::insert_into(initial_access_tokens::table)
                    .values(&row)
                    .execute(conn);
                match inserted {
                    // The id is fresh: on a retry it means the first
                    // attempt committed, its event with it.
                    Err(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    )) if attempt == Attempt::Retry => return Ok(()),
                    other => other?,
                };
                audit::record(conn, EventKind::TokenCreated, Subject::Token(&row.id), by)
            })
        })
    }

    /// Every token, newest first.
    pub fn list_tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        let rows: Vec<TokenRow> = self.with_conn(|conn, _| {
            initial_access_tokens::table
                .order((
                    initial_access_tokens::created_at.desc(),
                    initial_access_tokens::id.desc(),
                ))
                .select(TokenRow::as_select())
                .load(conn)
        })?;
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    pub fn find_token(&self, id: &TokenId) -> Result<StoredToken, StoreError> {
        let row: TokenRow = self.with_conn(|conn, _| {
            initial_access_tokens::table
                .find(id.as_str())
                .select(TokenRow::as_select())
                .first(conn)
        })?;
        row.into_token()
    }

    /// The token a presented one digests to, whatever its state.
    pub fn find_token_by_digest(&self, digest: &TokenDigest) -> Result<StoredToken, StoreError> {
        let stored = digest.to_stored();
        let row: TokenRow = self.with_conn(|conn, _| {
            initial_access_tokens::table
                .filter(initial_access_tokens::token_digest.eq(&stored))
                .select(TokenRow::as_select())
                .first(conn)
        })?;
        row.into_token()
    }

    /// Revokes a token: it authorizes nothing more. Revoking a revoked token
    /// changes nothing (and records nothing). `NotFound` when there is none.
    pub fn revoke_token(&self, id: &TokenId, by: &Occasion) -> Result<StoredToken, StoreError> {
        let key = id.to_string();
        self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let revoked = diesel::update(
                    initial_access_tokens::table
                        .find(&key)
                        .filter(initial_access_tokens::revoked_at.is_null()),
                )
                .set(initial_access_tokens::revoked_at.eq(Some(by.at)))
                .execute(conn)?;
                if revoked > 0 {
                    audit::record(conn, EventKind::TokenRevoked, Subject::Token(&key), by)?;
                }
                Ok(())
            })
        })?;
        self.find_token(id)
    }

    /// Stores a client registered with an initial access token, and spends
    /// one use of the token, in one transaction: only if the token is still
    /// active at `client.issued_at` (not revoked, expired or used up). Two
    /// replicas spending the last use at once: one UPDATE waits for the
    /// other's row lock, finds the count reached, and stores nothing.
    /// `NotFound` when the token no longer authorizes the registration.
    pub fn insert_client_with_token(
        &self,
        client: &RegisteredClient,
        token: &TokenId,
    ) -> Result<(), StoreError> {
        let row = crate::clients::ClientRow::from_client(client, crate::SYSTEM_USER_ID);
        let client_id = client.client_id.to_string();
        let now = client.issued_at;
        let spent = self.with_conn(|conn, attempt| {
            conn.transaction(|conn| {
                // A retry after a lost connection: the first attempt may have
                // committed, and must not spend a second use.
                if attempt == Attempt::Retry {
                    let stored: i64 = oauth_clients::table
                        .find(&client_id)
                        .count()
                        .get_result(conn)?;
                    if stored > 0 {
                        return Ok(true);
                    }
                }
                let spent = diesel::update(
                    initial_access_tokens::table
                        .find(token.as_str())
                        .filter(initial_access_tokens::revoked_at.is_null())
                        .filter(
                            initial_access_tokens::expires_at
                                .is_null()
                                .or(initial_access_tokens::expires_at.gt(now)),
                        )
                        .filter(
                            initial_access_tokens::max_uses
                                .is_null()
                                .or(initial_access_tokens::max_uses
                                    .gt(initial_access_tokens::uses.nullable())),
                        ),
                )
                .set(initial_access_tokens::uses.eq(initial_access_tokens::uses + 1))
                .execute(conn)?;
                if spent == 0 {
                    return Ok(false);
                }
                diesel::insert_into(oauth_clients::table)
                    .values(&row)
                    .execute(conn)?;
                audit::record_registrations(conn, &[client])?;
                Ok(true)
            })
        })?;
        if spent {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}
