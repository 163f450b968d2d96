//! A short keyed tag of a client secret, stored beside its bcrypt hash, so
//! that a wrong secret is refused without running bcrypt. A guess at a
//! client's secret then costs one SHA-256, not a fifth of a second of a core,
//! and needs no lockout that a stranger could trigger against the client;
//! the right secret always matches its tag and goes on to bcrypt as before.
//!
//! Why storing it is safe: the tag is 32 bits of SHA-256 over a domain
//! separator, the `client_id` and the secret. dcr's secrets carry 256 random
//! bits (SPEC "Credentials"), so whoever reads the tag (from a leaked
//! database, or by timing a guesser's answers) learns at most 32 of them:
//! 224 are left, as far beyond any guess as 256. The `client_id` in the input
//! makes each client's tag its own, and the separator keeps it unrelated to
//! every other digest dcr stores (the SHA-256 secret hash, the verify call's
//! memory). A secret dcr did not issue (an imported one) may be weak, and 32
//! bits of it at SHA-256 speed would undo what its bcrypt hash protects: it
//! never gets a tag.
//!
//! The stored form also holds 32 bits of the digest of the hash it was made
//! with. A release that predates tags replaces a secret without touching the
//! tag, and a tag left over from the old secret must not refuse the new one:
//! a tag whose hash is not the client's current hash is no tag.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::credentials::{ClientId, ClientSecret, SECRET_BYTES, SecretHash, hex};

const TAG_DOMAIN: &[u8] = b"dcr client secret tag v1\0";
const HASH_DOMAIN: &[u8] = b"dcr client secret tag hash v1\0";
/// `t1:` then the tag and the hash check, 8 hex digits each.
const STORED_PREFIX: &str = "t1:";

/// The tag of one client's secret, and a check of the hash it belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretTag {
    tag: [u8; 4],
    hash_check: [u8; 4],
}

impl SecretTag {
    /// The tag of a secret dcr has just issued to `client_id`, stored as
    /// `hash`.
    pub fn of(client_id: &ClientId, secret: &ClientSecret, hash: &SecretHash) -> Self {
        Self::made(client_id, secret.expose(), hash)
    }

    /// The tag to store for `confirmed`, a secret of `client_id` the caller
    /// has just confirmed against `hash`, when `stored` is no tag of `hash`
    /// (the client was registered before tags, or its secret was replaced
    /// by a release that writes none). Only a secret dcr issued gets one:
    /// never an `imported` client's, nor a secret of another shape than
    /// dcr's; and only beside a bcrypt hash.
    pub fn to_fill_in(
        client_id: &ClientId,
        hash: &SecretHash,
        stored: Option<SecretTag>,
        imported: bool,
        confirmed: &str,
    ) -> Option<Self> {
        let needs_one = hash.is_slow()
            && !stored.is_some_and(|tag| tag.belongs_to(hash))
            && !imported
            && has_issued_form(confirmed);
        needs_one.then(|| Self::made(client_id, confirmed, hash))
    }

    fn made(client_id: &ClientId, secret: &str, hash: &SecretHash) -> Self {
        Self {
            tag: tag_of(client_id, secret),
            hash_check: hash_check_of(hash),
        }
    }

    /// Reads back the form written by [`SecretTag::to_stored`]; `None` for
    /// anything else.
    pub fn from_stored(stored: &str) -> Option<Self> {
        let rest = stored.strip_prefix(STORED_PREFIX)?;
        let (tag, hash_check) = rest.split_once(':')?;
        Some(Self {
            tag: four_bytes(tag)?,
            hash_check: four_bytes(hash_check)?,
        })
    }

    pub fn to_stored(&self) -> String {
        format!(
            "{STORED_PREFIX}{}:{}",
            hex(&self.tag),
            hex(&self.hash_check)
        )
    }

    /// Whether this tag was made with `hash` (and so speaks for the secret
    /// `hash` was made from).
    pub fn belongs_to(&self, hash: &SecretHash) -> bool {
        bool::from(self.hash_check.ct_eq(&hash_check_of(hash)))
    }

    /// Whether `presented` may be `client_id`'s secret: always for the
    /// secret this tag was made from, for another string once in 2^32.
    pub fn admits(&self, client_id: &ClientId, presented: &str) -> bool {
        bool::from(self.tag.ct_eq(&tag_of(client_id, presented)))
    }
}

impl fmt::Debug for SecretTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretTag(<redacted>)")
    }
}

fn tag_of(client_id: &ClientId, secret: &str) -> [u8; 4] {
    let mut digest = Sha256::new();
    digest.update(TAG_DOMAIN);
    digest.update(client_id.as_uuid().as_bytes());
    digest.update(secret.as_bytes());
    first_four(&digest.finalize())
}

fn hash_check_of(hash: &SecretHash) -> [u8; 4] {
    let mut digest = Sha256::new();
    digest.update(HASH_DOMAIN);
    digest.update(hash.as_stored().as_bytes());
    first_four(&digest.finalize())
}

fn first_four(digest: &[u8]) -> [u8; 4] {
    let mut bytes = [0u8; 4];
    for (byte, from) in bytes.iter_mut().zip(digest) {
        *byte = *from;
    }
    bytes
}

/// Eight lower-case hex digits, as `hex` writes them.
fn four_bytes(text: &str) -> Option<[u8; 4]> {
    if text.len() != 8 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut bytes = [0u8; 4];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(bytes)
}

/// Whether `text` has the form of a secret dcr issues: 256 bits as unpadded
/// base64url, in its one canonical spelling.
fn has_issued_form(text: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(text)
        .is_ok_and(|bytes| bytes.len() == SECRET_BYTES)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
