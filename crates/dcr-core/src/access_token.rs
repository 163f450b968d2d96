//! Registration access tokens (RFC 7592 section 1.2): bearer tokens for the
//! client configuration endpoint. High-entropy, so a fast SHA-256 digest is
//! the stored form (a slow hash buys nothing), compared in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Bytes of entropy in a token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// A plaintext registration access token, handed to the client and then
/// dropped; only its digest is stored.
pub struct AccessToken(String);

impl AccessToken {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// The SHA-256 digest of a token: the only form that is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Reads back the hex form written by [`TokenDigest::to_stored`].
    pub fn from_stored(hex: &str) -> Result<Self, InvalidDigest> {
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(InvalidDigest);
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16)
                .map_err(|_| InvalidDigest)?;
        }
        Ok(Self(bytes))
    }

    pub fn to_stored(&self) -> String {
        crate::credentials::hex(&self.0)
    }

    /// Whether `presented` is the token this digest was made from, in time
    /// that does not depend on where the digests differ.
    pub fn matches(&self, presented: &str) -> bool {
        let candidate = Self::of(presented);
        bool::from(self.0.ct_eq(&candidate.0))
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(<redacted>)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a stored token digest")]
pub struct InvalidDigest;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn tokens_are_256_bits_of_url_safe_text_and_differ() {
        let mut rng = StdRng::seed_from_u64(7);
        let first = AccessToken::generate(&mut rng);
        let second = AccessToken::generate(&mut rng);
        assert_eq!(first.expose().len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(first.expose()).unwrap().len(), 32);
        assert!(
            first
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(first.expose(), second.expose());
    }

    #[test]
    fn digest_matches_only_its_token() {
        let mut rng = StdRng::seed_from_u64(8);
        let token = AccessToken::generate(&mut rng);
        let digest = token.digest();
        assert!(digest.matches(token.expose()));
        assert!(!digest.matches(""));
        assert!(!digest.matches(&token.expose()[1..]));
        assert!(!digest.matches(AccessToken::generate(&mut rng).expose()));
    }

    #[test]
    fn stored_form_round_trips_and_rejects_garbage() {
        let digest = TokenDigest::of("token");
        let stored = digest.to_stored();
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, "token");
        assert_eq!(TokenDigest::from_stored(&stored).unwrap(), digest);
        for bad in ["", "zz", &"g".repeat(64), &"é".repeat(32), &stored[1..]] {
            assert_eq!(TokenDigest::from_stored(bad), Err(InvalidDigest), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_shows_a_token() {
        let mut rng = StdRng::seed_from_u64(9);
        let token = AccessToken::generate(&mut rng);
        let shown = format!("{token:?} {:?}", token.digest());
        assert!(!shown.contains(token.expose()));
        assert!(!shown.contains(&token.digest().to_stored()));
    }
}
