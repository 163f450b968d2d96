//! Secret rotation, with an optional overlap: for a while after a rotation
//! the replaced secret still authenticates, so a client whose secret is
//! configured by hand can switch without a window where neither works.
//!
//! A client holds at most two secrets: a rotation during an overlap drops
//! the older one. The replaced secret's expiry is fixed at the rotation and
//! never later than its own `client_secret_expires_at`: an overlap shortens
//! nothing and lengthens no secret's life.

use rand::{CryptoRng, RngCore};

use super::{ClientCredentials, RegisteredClient, new_secret};
use crate::credentials::{ClientSecret, HashError, SecretHash, SecretHashing};
use crate::policy::RegistrationPolicy;
use crate::secret_tag::SecretTag;

/// How long a replaced secret keeps working after a rotation: 0 (the
/// default: it stops at once) to 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Overlap(u32);

impl Overlap {
    /// The old secret stops working at once.
    pub const NONE: Self = Self(0);
    /// 30 days: long enough for a monthly deployment, short enough that a
    /// forgotten overlap does not keep a leaked secret alive for good.
    pub const MAX_SECS: u32 = 30 * 24 * 60 * 60;

    pub fn from_secs(secs: u64) -> Result<Self, OverlapTooLong> {
        u32::try_from(secs)
            .ok()
            .filter(|secs| *secs <= Self::MAX_SECS)
            .map(Self)
            .ok_or(OverlapTooLong)
    }

    pub fn secs(self) -> u32 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("keep_old_for must be a whole number of seconds from 0 to 2592000 (30 days)")]
pub struct OverlapTooLong;

/// The secret a rotation replaced, still accepted until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    pub hash: SecretHash,
    /// Its tag, carried over from when it was the current secret.
    pub tag: Option<SecretTag>,
    /// Unix seconds, never 0: a replaced secret always ends.
    pub expires_at: i64,
}

impl PreviousSecret {
    /// Whether it still authenticates at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

/// Why a secret could not be rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RotateError {
    #[error("the client authenticates without a secret")]
    NotConfidential,
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// A rotation to store: the new secret (shown once), the credentials that
/// hold it, and the hash it replaces, which the store checks is still the
/// client's so that of two concurrent rotations only one wins.
#[derive(Debug)]
pub struct Rotation {
    pub secret: ClientSecret,
    pub credentials: ClientCredentials,
    pub replaces: SecretHash,
}

impl Rotation {
    /// When the replaced secret stops working; `None` when it already has.
    pub fn previous_secret_expires_at(&self) -> Option<i64> {
        self.credentials.previous_secret_expires_at()
    }
}

impl RegisteredClient {
    /// Issues a new secret for a confidential client. The current one keeps
    /// working for `overlap` after `now` (never past its own expiry); any
    /// older one is dropped. Slow with bcrypt: call it off async threads.
    pub fn rotate_secret<R: RngCore + CryptoRng>(
        &self,
        policy: &RegistrationPolicy,
        now: i64,
        overlap: Overlap,
        hashing: impl Into<SecretHashing>,
        rng: &mut R,
    ) -> Result<Rotation, RotateError> {
        let ClientCredentials::Confidential {
            secret_hash,
            secret_tag,
            secret_expires_at,
            ..
        } = &self.credentials
        else {
            return Err(RotateError::NotConfidential);
        };
        let (secret, credentials) = new_secret(self.client_id, policy, now, hashing.into(), rng)?;
        let kept_until = match now.saturating_add(i64::from(overlap.secs())) {
            end if *secret_expires_at == 0 => end,
            end => end.min(*secret_expires_at),
        };
        let previous = (kept_until > now).then(|| PreviousSecret {
            hash: secret_hash.clone(),
            tag: secret_tag.filter(|tag| tag.belongs_to(secret_hash)),
            expires_at: kept_until,
        });
        Ok(Rotation {
            secret,
            credentials: credentials.with_previous(previous),
            replaces: secret_hash.clone(),
        })
    }
}
