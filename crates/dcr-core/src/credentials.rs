//! Client identifiers and secrets. A plaintext secret and its stored hash are
//! different types, and neither ever prints its value.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
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

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
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

/// Lower-case hex, the stored form of every digest and random id.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7591)
    }

    fn test_cost() -> BcryptCost {
        BcryptCost::new(4).unwrap()
    }

    #[test]
    fn client_id_is_a_v4_uuid() {
        let mut rng = rng();
        let mut seen = HashSet::new();
        for _ in 0..100 {
            let id = ClientId::generate(&mut rng);
            let uuid = id.as_uuid();
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
            let shown = id.to_string();
            assert_eq!(shown.len(), 36);
            assert_eq!(shown, uuid.hyphenated().to_string());
            assert_eq!(ClientId::parse(&shown), Ok(id));
            assert!(seen.insert(id), "client ids repeat");
        }
    }

    #[test]
    fn client_id_parse_accepts_only_the_hyphenated_form() {
        let id = ClientId::generate(&mut rng());
        let uuid = id.as_uuid();
        let refused = [
            uuid.simple().to_string(),
            uuid.braced().to_string(),
            uuid.urn().to_string(),
            format!(" {id}"),
            format!("{id} "),
            format!("{id}0"),
            String::new(),
            "not-a-client-id-not-a-client-id-1234".to_owned(),
            "0123456789abcdef-0123-4567-89ab-cdef".to_owned(),
        ];
        for raw in refused {
            assert_eq!(ClientId::parse(&raw), Err(InvalidClientId), "{raw:?}");
        }
        assert_eq!(ClientId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn secret_is_256_bits_of_url_safe_text() {
        let mut rng = rng();
        let mut seen = HashSet::new();
        for _ in 0..100 {
            let secret = ClientSecret::generate(&mut rng);
            let text = secret.expose();
            assert_eq!(text.len(), 43);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text:?} is not URL-safe"
            );
            let bytes = URL_SAFE_NO_PAD.decode(text).unwrap();
            assert!(bytes.len() * 8 >= 256);
            assert!(seen.insert(text.to_owned()), "secrets repeat");
        }
        let other_seed = ClientSecret::generate(&mut StdRng::seed_from_u64(1));
        assert!(!seen.contains(other_seed.expose()));
    }

    #[test]
    fn hash_verifies_only_its_secret() {
        let mut rng = rng();
        let secret = ClientSecret::generate(&mut rng);
        let hash = secret.hash(test_cost(), &mut rng).unwrap();
        assert!(
            hash.as_stored().starts_with("$2b$04$"),
            "{}",
            hash.as_stored()
        );
        assert!(!hash.as_stored().contains(secret.expose()));
        assert!(hash.verify(secret.expose()));
        let wrong = ClientSecret::generate(&mut rng);
        assert!(!hash.verify(wrong.expose()));
        assert!(!hash.verify(""));
        assert!(!hash.verify(&secret.expose()[..42]));

        // A fresh salt each time; both hashes verify.
        let again = secret.hash(test_cost(), &mut rng).unwrap();
        assert_ne!(again, hash);
        assert!(again.verify(secret.expose()));

        // Read back from the store.
        let stored = SecretHash::from_stored(hash.as_stored().to_owned());
        assert!(stored.verify(secret.expose()));
        assert!(!SecretHash::from_stored("not a bcrypt hash".to_owned()).verify(secret.expose()));
        assert!(!SecretHash::from_stored(String::new()).verify(""));
    }

    #[test]
    fn every_stored_scheme_verifies_whatever_hashes_new_secrets() {
        let mut rng = rng();
        let secret = ClientSecret::generate(&mut rng);
        let fast = secret.hash(SecretHashing::Sha256, &mut rng).unwrap();
        assert!(fast.as_stored().starts_with("$sha256$"));
        assert_eq!(fast.as_stored().len(), 8 + 64);
        assert!(!fast.is_slow());
        let slow = secret.hash(test_cost(), &mut rng).unwrap();
        assert!(slow.as_stored().starts_with("$2b$") && slow.is_slow());
        for hash in [&fast, &slow] {
            assert!(hash.verify(secret.expose()));
            assert!(!hash.verify(""));
            assert!(!hash.verify(&secret.expose()[1..]));
            assert!(hash.is_recognised());
        }
        // No salt: equal secrets, equal digests; the secret's 256 bits are
        // what no guess can find.
        assert_eq!(fast, secret.hash(SecretHashing::Sha256, &mut rng).unwrap());
    }

    /// The forms the Next.js endpoint stored, kept as they are by an import.
    #[test]
    fn imported_hashes_verify_as_they_were_stored() {
        let digest = "718873b42f6d0068d49ddb5e2890763e1bb40a9263cf061827ba5988682d35bb";
        let cases = [
            // The SHA-256 of "hello world, this is a test secret", bare hex.
            (digest.to_owned(), "hello world, this is a test secret"),
            (
                digest.to_ascii_uppercase(),
                "hello world, this is a test secret",
            ),
            (
                bcrypt::hash_with_salt("imported", 4, [7; 16])
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoA),
                "imported",
            ),
            (
                bcrypt::hash_with_salt("imported", 4, [7; 16])
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoY),
                "imported",
            ),
        ];
        for (stored, secret) in cases {
            let hash = SecretHash::from_stored(stored.clone());
            assert!(hash.is_recognised(), "{stored}");
            assert!(hash.verify(secret), "{stored}");
            assert!(!hash.verify("wrong"), "{stored}");
        }
        for unknown in [
            "",
            "plain-text-secret",
            "$1$md5crypt",
            &"g".repeat(64),
            "$sha256$abc",
        ] {
            let hash = SecretHash::from_stored(unknown.to_owned());
            assert!(!hash.is_recognised(), "{unknown}");
            assert!(!hash.verify(unknown));
        }
    }

    #[test]
    fn hash_refuses_a_longer_string_that_bcrypt_would_key_the_same() {
        let mut rng = rng();
        let secret = ClientSecret::generate(&mut rng);
        let hash = secret.hash(test_cost(), &mut rng).unwrap();
        let same_key = format!("{}\0{}", secret.expose(), &secret.expose()[..28]);
        assert_eq!(same_key.len(), 72);
        assert!(hash.verify(secret.expose()));
        assert!(!hash.verify(&same_key));
        assert!(!hash.verify(&format!("{same_key}anything")));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let mut rng = rng();
        let secret = ClientSecret::generate(&mut rng);
        let hash = secret.hash(test_cost(), &mut rng).unwrap();
        let secret_debug = format!("{secret:?}");
        let hash_debug = format!("{hash:?}");
        assert_eq!(secret_debug, "ClientSecret(<redacted>)");
        assert_eq!(hash_debug, "SecretHash(<redacted>)");
        for shown in [
            &secret_debug,
            &hash_debug,
            &format!("{secret:#?} {hash:#?}"),
        ] {
            assert!(!shown.contains(secret.expose()));
            assert!(!shown.contains(hash.as_stored()));
            assert!(!shown.contains("$2b$"));
        }
    }

    #[test]
    fn bcrypt_cost_bounds() {
        let cases = [
            (0, Err(InvalidBcryptCost(0))),
            (3, Err(InvalidBcryptCost(3))),
            (4, Ok(4)),
            (12, Ok(12)),
            (31, Ok(31)),
            (32, Err(InvalidBcryptCost(32))),
            (u32::MAX, Err(InvalidBcryptCost(u32::MAX))),
        ];
        for (cost, expected) in cases {
            assert_eq!(
                BcryptCost::new(cost).map(BcryptCost::get),
                expected,
                "{cost}"
            );
        }
        assert_eq!(BcryptCost::default(), BcryptCost::DEFAULT);
        assert_eq!(BcryptCost::default().get(), 12);
    }
}
