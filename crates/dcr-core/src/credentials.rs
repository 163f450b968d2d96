//! Client identifiers and secrets. A plaintext secret and its stored hash are
//! different types, and neither ever prints its value.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use uuid::Uuid;

/// A `client_id`: a random (version 4) UUID, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(Uuid);

impl ClientId {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// Accepts only the hyphenated form this server issues.
    pub fn parse(raw: &str) -> Result<Self, InvalidClientId> {
        if raw.len() != 36 {
            return Err(InvalidClientId);
        }
        Uuid::try_parse(raw).map(Self).map_err(|_| InvalidClientId)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a client_id issued by this server")]
pub struct InvalidClientId;

/// Bytes of entropy in a secret: 256 bits (SPEC "Credentials").
const SECRET_BYTES: usize = 32;

/// A plaintext `client_secret`, shown to the client once and then dropped.
pub struct ClientSecret(String);

impl ClientSecret {
    /// 256 bits from a cryptographic RNG, as unpadded base64url (43 characters).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The plaintext, for the one response that hands it to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hashes the secret with bcrypt. Slow by design: call it off async threads.
    pub fn hash<R: RngCore + CryptoRng>(
        &self,
        cost: BcryptCost,
        rng: &mut R,
    ) -> Result<SecretHash, HashError> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let parts = bcrypt::hash_with_salt(&self.0, cost.0, salt).map_err(|_| HashError)?;
        Ok(SecretHash(parts.format_for_version(bcrypt::Version::TwoB)))
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bcrypt could not hash the secret")]
pub struct HashError;

/// The bcrypt hash of a client secret: the only form that is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    /// Wraps a hash read back from the store.
    pub fn from_stored(hash: String) -> Self {
        Self(hash)
    }

    pub fn as_stored(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is the secret this hash was made from. bcrypt
    /// compares its outputs in constant time; a malformed hash never verifies.
    pub fn verify(&self, presented: &str) -> bool {
        bcrypt::verify(presented, &self.0).unwrap_or(false)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// The bcrypt work factor: 4 to 31, default 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BcryptCost(u32);

impl BcryptCost {
    pub const DEFAULT: Self = Self(12);

    pub fn new(cost: u32) -> Result<Self, InvalidBcryptCost> {
        if (4..=31).contains(&cost) {
            Ok(Self(cost))
        } else {
            Err(InvalidBcryptCost(cost))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for BcryptCost {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bcrypt cost {0} is outside 4..=31")]
pub struct InvalidBcryptCost(pub u32);
