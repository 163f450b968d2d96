//! The token endpoint's credential check, as the verify call runs it: the
//! rules are dcr-core's (`RegisteredClient::credential_check`); what is
//! decided here is how the secret comparison is paid for and what a valid
//! check records.
//!
//! - A comparison bcrypt confirmed is remembered (`VerifiedSecrets`), so a
//!   client's repeated token requests cost one bcrypt run, not one each.
//! - Concurrent first checks of one (hash, secret) pair take turns, so a
//!   burst after a restart runs bcrypt once.
//! - bcrypt runs on the verify call's own threads, never behind a burst of
//!   registrations.
//! - A valid check records the client's last use, at most once per
//!   `DCR_LAST_USED_RESOLUTION_SECS`, so a busy client costs no database
//!   write per token request, and arms the never-used rule (one write per
//!   process at most). The token endpoint's used report records the same.

use std::sync::Arc;

use actix_web::web;
use dcr_core::{CredentialCheck, RegisteredClient, SecretHash};
use dcr_store::{Store, StoreError};

use crate::error::ApiError;
use crate::hashing::HashingPool;
use crate::purge::Arming;
use crate::rate_limit::FailureLimiter;
use crate::verified_secrets::VerifiedSecrets;

#[derive(Debug)]
pub struct Verifier {
    memory: Arc<VerifiedSecrets>,
    failures: Arc<FailureLimiter>,
    hashing: HashingPool,
    store: Store,
    last_used_resolution_secs: i64,
    arming: Arming,
}

impl Verifier {
    /// The verify call's own bcrypt threads.
    pub fn hashing(&self) -> &HashingPool {
        &self.hashing
    }

    pub fn new(
        memory: VerifiedSecrets,
        failures: Arc<FailureLimiter>,
        hashing: HashingPool,
        store: Store,
        last_used_resolution_secs: i64,
        arming: Arming,
    ) -> Self {
        Self {
            memory: Arc::new(memory),
            failures,
            hashing,
            store,
            last_used_resolution_secs,
            arming,
        }
    }

    /// Whether `client` may authenticate now with `presented` (its secret, or
    /// nothing for a public client). A valid check records the use; failing
    /// to record it is logged, never an error.
    pub async fn verify(
        &self,
        client: &RegisteredClient,
        presented: Option<&str>,
        now: i64,
    ) -> Result<bool, ApiError> {
        let valid = match client.credential_check(presented, now) {
            CredentialCheck::Refused => false,
            CredentialCheck::Accepted => true,
            CredentialCheck::CompareSecret {
                hash,
                presented,
                unexpired,
            } => self.secret_matches(client, hash, presented).await? && unexpired,
        };
        if valid && let Err(err) = self.record_use(client, now).await {
            log::warn!(
                "could not record the use of client {}: {err}",
                client.client_id
            );
        }
        Ok(valid)
    }

    /// A remembered comparison is answered at once; a new one waits its
    /// turn, runs bcrypt unless the client has used up its failed
    /// credentials (429), and counts a failure when it does not match.
    async fn secret_matches(
        &self,
        client: &RegisteredClient,
        hash: &SecretHash,
        presented: &str,
    ) -> Result<bool, ApiError> {
        if self.memory.remembers(hash, presented) {
            return Ok(true);
        }
        // Wait for a check of this pair under way, then ask the memory again:
        // the check before may have settled it.
        let _turn = self.memory.take_turn(hash, presented).await;
        if self.memory.remembers(hash, presented) {
            return Ok(true);
        }
        self.failures
            .check(&client.client_id)
            .map_err(ApiError::RateLimited)?;
        let memory = self.memory.clone();
        let matched = if hash.is_slow() {
            let (hash, presented) = (hash.clone(), presented.to_owned());
            self.hashing
                .run(move || memory.verify(&hash, &presented))
                .await?
        } else {
            // A SHA-256 comparison costs microseconds: no thread hop.
            memory.verify(hash, presented)
        };
        if !matched {
            self.failures.record_failure(&client.client_id);
        }
        Ok(matched)
    }

    /// Records a use of `client` at `now` (a valid check, or the token
    /// endpoint's used report): its last use, unless recorded less than
    /// `DCR_LAST_USED_RESOLUTION_SECS` ago, and the arming of the
    /// never-used rule.
    pub async fn record_use(&self, client: &RegisteredClient, now: i64) -> Result<(), StoreError> {
        let armed = self.arming.arm(now).await;
        let recorded_recently = client
            .last_used_at
            .is_some_and(|last| now.saturating_sub(last) < self.last_used_resolution_secs);
        if !recorded_recently {
            let store = self.store.clone();
            let client_id = client.client_id;
            web::block(move || store.touch_last_used(&client_id, now))
                .await
                .map_err(|err| StoreError::Other(format!("recording a use: {err}").into()))??;
        }
        armed
    }
}
