//! How secrets are stored: hashed by bcrypt or SHA-256, and checked against
//! whichever scheme made the stored hash.

use std::fmt;

use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ClientSecret, hex};

impl ClientSecret {
    /// Hashes the secret by `hashing`. bcrypt is slow by design: call it
    /// off async threads.
    pub fn hash<R: RngCore + CryptoRng>(
        &self,
        hashing: impl Into<SecretHashing>,
        rng: &mut R,
    ) -> Result<SecretHash, HashError> {
        match hashing.into() {
            SecretHashing::Bcrypt(cost) => {
                let mut salt = [0u8; 16];
                rng.fill_bytes(&mut salt);
                let parts = bcrypt::hash_with_salt(&self.0, cost.0, salt).map_err(|_| HashError)?;
                Ok(SecretHash(parts.format_for_version(bcrypt::Version::TwoB)))
            }
            SecretHashing::Sha256 => Ok(SecretHash(format!(
                "{SHA256_PREFIX}{}",
                hex(&Sha256::digest(self.0.as_bytes()))
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bcrypt could not hash the secret")]
pub struct HashError;

/// How new secrets are hashed (`DCR_SECRET_HASH`). Every stored scheme
/// verifies whatever this is: the stored hash says which made it.
///
/// Secrets dcr issues carry 256 random bits, so no guess at one from a
/// leaked hash can succeed, fast hash or slow: SHA-256 is as safe for them
/// as bcrypt (the reasoning crates.io and GitHub apply to their tokens),
/// and costs microseconds instead of a fifth of a second of a core. bcrypt
/// stays the default for operators whose policy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretHashing {
    Bcrypt(BcryptCost),
    Sha256,
}

impl SecretHashing {
    /// Whether hashing takes long enough to need its own threads.
    pub fn is_slow(self) -> bool {
        matches!(self, Self::Bcrypt(_))
    }
}

impl From<BcryptCost> for SecretHashing {
    fn from(cost: BcryptCost) -> Self {
        Self::Bcrypt(cost)
    }
}

/// The stored form of a SHA-256 hash this server made: `$sha256$` and 64
/// lower-case hex digits.
const SHA256_PREFIX: &str = "$sha256$";
/// Longest secret compared against a SHA-256 hash: issued secrets are 43
/// bytes, imported ones far shorter than this.
const SHA256_MAX_SECRET_BYTES: usize = 512;

/// The longest string bcrypt reads whole: it keys on at most 72 bytes, the
/// NUL terminator included, and cycles a shorter key to fill them. So the
/// issued secret, a NUL, then the secret's first 28 bytes (and anything
/// after) would hash exactly like the secret alone. Issued secrets are 43
/// bytes; anything longer than this is refused before it reaches bcrypt.
const BCRYPT_MAX_SECRET_BYTES: usize = 71;

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
    /// Refusing on length alone says nothing about the secret: its length is
    /// public.
    ///
    /// Three stored forms verify: bcrypt (`$2a$`, `$2b$`, `$2y$`), this
    /// server's SHA-256 (`$sha256$` and 64 hex digits), and a bare
    /// 64-hex-digit SHA-256 digest (as the endpoint dcr replaces stored them,
    /// kept as they were by `dcr-server import`).
    pub fn verify(&self, presented: &str) -> bool {
        match self.scheme() {
            Some(StoredScheme::Bcrypt) => {
                presented.len() <= BCRYPT_MAX_SECRET_BYTES
                    && bcrypt::verify(presented, &self.0).unwrap_or(false)
            }
            Some(StoredScheme::Sha256(expected)) => {
                presented.len() <= SHA256_MAX_SECRET_BYTES && {
                    let actual = hex(&Sha256::digest(presented.as_bytes()));
                    bool::from(actual.as_bytes().ct_eq(expected.as_bytes()))
                }
            }
            None => false,
        }
    }

    /// Whether checking a secret against this hash is slow (bcrypt) and
    /// belongs on the hashing threads.
    pub fn is_slow(&self) -> bool {
        !matches!(self.scheme(), Some(StoredScheme::Sha256(_)))
    }

    /// Whether this is a hash some scheme verifies (an import checks it).
    pub fn is_recognised(&self) -> bool {
        self.scheme().is_some()
    }

    fn scheme(&self) -> Option<StoredScheme> {
        let is_hex_digest =
            |digest: &str| digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
        if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|prefix| self.0.starts_with(prefix))
        {
            return Some(StoredScheme::Bcrypt);
        }
        let digest = self.0.strip_prefix(SHA256_PREFIX).unwrap_or(&self.0);
        is_hex_digest(digest).then(|| StoredScheme::Sha256(digest.to_ascii_lowercase()))
    }
}

/// Which scheme made a stored hash.
enum StoredScheme {
    Bcrypt,
    /// The lower-case hex digest (a stored digest may be upper-case).
    Sha256(String),
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
