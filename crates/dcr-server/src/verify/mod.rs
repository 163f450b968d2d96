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
//! - A secret whose tag does not match is refused without bcrypt (core's
//!   `SecretTag`); a right secret always matches its tag, so no one's
//!   failures can keep it out. Only a secret without a tag (issued before
//!   tags, or imported) runs bcrypt under the failure limit, charged to the
//!   end client's address (`rate_limit::FailureLimiter`), and a secret dcr
//!   issued gets its tag at its first confirmed use.
//! - During a rotation's overlap a client has two secrets: each is compared
//!   as above, and one wrong secret is still one failure. The replaced
//!   secret is a candidate only until its expiry (core drops it then), so a
//!   remembered comparison never outlives it.
//! - Every wrong answer, for any `client_id` or none, counts against the
//!   address in the same way, so the limit tells a guesser nothing about
//!   which ids exist.
//! - A valid check records the client's last use, at most once per
//!   `DCR_LAST_USED_RESOLUTION_SECS`, so a busy client costs no database
//!   write per token request, and arms the never-used rule (one write per
//!   process at most). The token endpoint's used report records the same.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use dcr_core::{CredentialCheck, RegisteredClient, SecretHash, Slot};
use dcr_store::{Store, StoreError};

use crate::admission::hashing::HashingPool;
use crate::admission::rate_limit::FailureLimiter;
use crate::database;
use crate::http::error::ApiError;
use crate::purge::Arming;
pub mod secrets;

use secrets::VerifiedSecrets;

#[derive(Debug)]
pub struct Verifier {
    memory: Arc<VerifiedSecrets>,
    failures: FailureLimiter,
    hashing: HashingPool,
    store: Store,
    last_used_resolution_secs: i64,
    arming: Arming,
    database_patience: Duration,
}

impl Verifier {
    /// The verify call's own bcrypt threads.
    pub fn hashing(&self) -> &HashingPool {
        &self.hashing
    }

    pub fn new(
        memory: VerifiedSecrets,
        failures: FailureLimiter,
        hashing: HashingPool,
        store: Store,
        last_used_resolution_secs: i64,
        arming: Arming,
        database_patience: Duration,
    ) -> Self {
        Self {
            memory: Arc::new(memory),
            failures,
            hashing,
            store,
            last_used_resolution_secs,
            arming,
            database_patience,
        }
    }

    /// Whether `client` (`None`: no client has the id asked about) may
    /// authenticate now with `presented` (its secret, or nothing for a
    /// public client), the end client being at `address`. A valid check
    /// records the use; failing to record it is logged, never an error. A
    /// wrong one counts against `address`, and past the limit is `429`.
    pub async fn verify(
        &self,
        client: Option<&RegisteredClient>,
        presented: Option<&str>,
        address: Option<IpAddr>,
        now: i64,
    ) -> Result<bool, ApiError> {
        let Some(client) = client else {
            self.count_failure(address)?;
            return Ok(false);
        };
        let valid = match client.credential_check(presented, now) {
            CredentialCheck::Refused => false,
            CredentialCheck::Accepted => true,
            CredentialCheck::CompareSecret {
                presented,
                candidates,
            } => {
                let mut charged = false;
                let mut matched = None;
                for candidate in candidates.iter() {
                    let (hash, vetted) = (candidate.hash, candidate.vetted);
                    if self
                        .compare(hash, presented, vetted, address, &mut charged)
                        .await?
                    {
                        matched = Some(candidate);
                        break;
                    }
                }
                match matched {
                    Some(candidate) => {
                        // A tag is filled in for the current secret only:
                        // it is checked against the current hash.
                        if candidate.slot == Slot::Current {
                            self.fill_in_tag(client, candidate.hash, presented).await;
                        }
                        candidate.unexpired
                    }
                    // Counted before bcrypt ran.
                    None if charged => return Ok(false),
                    None => false,
                }
            }
        };
        if valid {
            if let Err(err) = self.record_use(client, now).await {
                log::warn!(
                    "could not record the use of client {}: {err}",
                    client.client_id
                );
            }
        } else {
            self.count_failure(address)?;
        }
        Ok(valid)
    }

    /// A wrong answer, counted against `address`; `429` once it has no
    /// failures left. Alike for every `client_id`, so that nothing here
    /// says whether one exists.
    fn count_failure(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        self.failures.take(address).map_err(ApiError::RateLimited)
    }

    /// Whether `presented` is the secret of `hash`. A remembered comparison
    /// is answered at once; a new one waits its turn and runs. bcrypt
    /// without a tag that vetted the secret runs only while `address` has
    /// failures left (else `429`), holding one of them (`charged`, one for
    /// all the candidates of a check) until the secret proves right.
    async fn compare(
        &self,
        hash: &SecretHash,
        presented: &str,
        vetted: bool,
        address: Option<IpAddr>,
        charged: &mut bool,
    ) -> Result<bool, ApiError> {
        let give_back = |charged: &mut bool| {
            if std::mem::take(charged) {
                self.failures.give_back(address);
            }
        };
        if self.memory.remembers(hash, presented) {
            give_back(charged);
            return Ok(true);
        }
        // Wait for a check of this pair under way, then ask the memory again:
        // the check before may have settled it.
        let _turn = self.memory.take_turn(hash, presented).await;
        if self.memory.remembers(hash, presented) {
            give_back(charged);
            return Ok(true);
        }
        if hash.is_slow() && !vetted && !*charged {
            self.failures.take(address).map_err(ApiError::RateLimited)?;
            *charged = true;
        }
        let memory = self.memory.clone();
        let matched = if hash.is_slow() {
            let (hash, presented) = (hash.clone(), presented.to_owned());
            self.hashing
                .run(move || memory.verify(&hash, &presented))
                .await
        } else {
            // A SHA-256 comparison costs microseconds: no thread hop.
            Ok(memory.verify(hash, presented))
        };
        if !matches!(matched, Ok(false)) {
            // Right, or not checked at all (busy): not a failure.
            give_back(charged);
        }
        Ok(matched?)
    }

    /// Stores the tag of a secret just confirmed, for a client whose secret
    /// dcr issued before tags: from then on its wrong secrets cost no
    /// bcrypt. Failing to store it is logged; the next success tries again.
    async fn fill_in_tag(&self, client: &RegisteredClient, hash: &SecretHash, presented: &str) {
        let Some(tag) = client.secret_tag_to_fill_in(presented) else {
            return;
        };
        let (client_id, hash) = (client.client_id, hash.clone());
        let stored = database::within(self.database_patience, self.store.clone(), move |store| {
            store.fill_secret_tag(&client_id, &hash, &tag)
        })
        .await;
        if let Err(err) = stored {
            log::warn!("could not store the secret tag of client {client_id}: {err}");
        }
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
            let client_id = client.client_id;
            database::within(self.database_patience, self.store.clone(), move |store| {
                store.touch_last_used(&client_id, now)
            })
            .await?;
        }
        armed
    }
}
