//! The credential check a token endpoint delegates: every rule but the secret
//! comparison itself, which the caller may pay for as it likes (bcrypt on
//! its own threads, a memory of comparisons made). During a rotation's
//! overlap a client has two secrets, and either may be presented.

use super::{ClientCredentials, RegisteredClient};
use crate::auth_method::AuthMethod;
use crate::credentials::SecretHash;
use crate::metadata::ClientMetadata;

/// Which of a client's secrets a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Current,
    /// The one a rotation replaced, during its overlap.
    Previous,
}

/// One stored secret the presented one may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub hash: &'a SecretHash,
    pub slot: Slot,
    /// A match counts only when this holds. Compare even when it does not,
    /// so the time an answer takes says nothing about expiry.
    pub unexpired: bool,
    /// The presented secret matched this secret's stored tag: a wrong one
    /// gets this far once in 2^32, so the comparison needs no failure limit.
    pub vetted: bool,
}

/// The candidates, current first: one, or two during an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates<'a>([Option<Candidate<'a>>; 2]);

impl<'a> Candidates<'a> {
    pub fn iter(&self) -> impl Iterator<Item = Candidate<'a>> + '_ {
        self.0.iter().flatten().copied()
    }
}

/// Where a credential check stands before any secret is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialCheck<'a> {
    /// Refused by a rule that needs no comparison (a wrong secret that no
    /// candidate's tag admits is one).
    Refused,
    /// A public client presenting nothing, as it should.
    Accepted,
    /// Valid when `presented` is the secret of one of `candidates` that is
    /// unexpired. Each comparison is constant-time in itself.
    CompareSecret {
        presented: &'a str,
        candidates: Candidates<'a>,
    },
}

impl CredentialCheck<'static> {
    /// The credential check of a URL client id (a Client ID Metadata
    /// Document), whose `metadata` is its document as validated: it has no
    /// secret, so it is accepted only when none is presented and it
    /// authenticates with `none` (dcr cannot check a `private_key_jwt`
    /// assertion, as for registered clients). A disabled URL client is the
    /// caller's to refuse first: its document need not be fetched.
    pub fn for_url_client(metadata: &ClientMetadata, secret_presented: bool) -> Self {
        if secret_presented || metadata.token_endpoint_auth_method != AuthMethod::None {
            Self::Refused
        } else {
            Self::Accepted
        }
    }
}

impl RegisteredClient {
    /// The check a token endpoint delegates: is this client, now, entitled to
    /// authenticate with `presented` (its secret, or nothing for a public
    /// client)? A disabled client, an expired or wrong secret, a secret sent
    /// by a public client, and a method whose proof dcr cannot check (keys,
    /// certificates) are all refused. Slow for confidential clients (bcrypt).
    pub fn verify_credentials(&self, presented: Option<&str>, now: i64) -> bool {
        match self.credential_check(presented, now) {
            CredentialCheck::Refused => false,
            CredentialCheck::Accepted => true,
            // Every candidate is compared, matched or not, so the time
            // taken does not say which one matched.
            CredentialCheck::CompareSecret {
                presented,
                candidates,
            } => candidates.iter().fold(false, |valid, candidate| {
                (candidate.hash.verify(presented) && candidate.unexpired) | valid
            }),
        }
    }

    /// [`RegisteredClient::verify_credentials`] up to the secret comparison,
    /// which is left to the caller (who may remember comparisons already
    /// made, in front of bcrypt). Every other rule is applied here.
    pub fn credential_check<'a>(
        &'a self,
        presented: Option<&'a str>,
        now: i64,
    ) -> CredentialCheck<'a> {
        use crate::grant_types::GrantType;
        if !self.active {
            return CredentialCheck::Refused;
        }
        match (&self.credentials, presented) {
            (
                ClientCredentials::Confidential {
                    secret_hash,
                    secret_tag,
                    secret_expires_at,
                    previous_secret,
                },
                Some(presented),
            ) => {
                let current = Some((
                    secret_hash,
                    *secret_tag,
                    Slot::Current,
                    *secret_expires_at == 0 || now < *secret_expires_at,
                ));
                // A replaced secret past its overlap is no candidate at all:
                // nothing (no memory of comparisons either) revives it.
                let previous = previous_secret
                    .as_ref()
                    .filter(|previous| previous.is_live(now))
                    .map(|previous| (&previous.hash, previous.tag, Slot::Previous, true));
                let mut admitted = [current, previous].into_iter().map(|candidate| {
                    candidate.and_then(|(hash, tag, slot, unexpired)| {
                        // A tag left from a secret replaced without one
                        // says nothing.
                        let tag = tag.filter(|tag| tag.belongs_to(hash));
                        match tag {
                            Some(tag) if !tag.admits(&self.client_id, presented) => None,
                            _ => Some(Candidate {
                                hash,
                                slot,
                                unexpired,
                                vetted: tag.is_some(),
                            }),
                        }
                    })
                });
                let candidates = [admitted.next().flatten(), admitted.next().flatten()];
                if candidates.iter().all(Option::is_none) {
                    return CredentialCheck::Refused;
                }
                CredentialCheck::CompareSecret {
                    presented,
                    candidates: Candidates(candidates),
                }
            }
            // A row from before public clients were refused the grants that
            // need authentication must not pass without any (RFC 6749
            // sections 4.3.2 and 4.4.2).
            (ClientCredentials::Public, None)
                if self.metadata.token_endpoint_auth_method == AuthMethod::None
                    && !self
                        .metadata
                        .grant_types
                        .iter()
                        .any(GrantType::needs_client_authentication) =>
            {
                CredentialCheck::Accepted
            }
            _ => CredentialCheck::Refused,
        }
    }
}
