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
pub(crate) const SECRET_BYTES: usize = 32;

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
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// Lower-case hex, the stored form of every digest and random id.
pub(crate) fn hex(bytes: &[u8]) -> String {
    // Every registration writes several: a table, not a format! per byte.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

mod hashing;

pub use hashing::{BcryptCost, HashError, InvalidBcryptCost, SecretHash, SecretHashing};

#[cfg(test)]
mod tests;
