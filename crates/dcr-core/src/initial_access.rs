//! Initial access tokens (RFC 7591 section 3): bearer tokens an operator
//! hands out so that a registration may happen at all (`DCR_REGISTRATION=token`)
//! or may ask for more than an anonymous one. Each carries a policy that
//! decides, for the registrations it authorizes, which scopes, redirect
//! hosts, auth methods and grant types they may ask for.
//!
//! Like registration access tokens, they carry 256 random bits and are stored
//! only as a SHA-256 digest. A prefix marks them, so that secret scanners
//! and people can tell one apart from the other tokens of an authorization
//! server.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use rand::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use crate::access_token::{AccessToken, TokenDigest};
use crate::error::{JsonType, MetadataError, Problem};
use crate::policy::RegistrationPolicy;
use crate::redirect_uri::is_dotted_name;
use crate::text;

/// The start of every initial access token.
pub const TOKEN_PREFIX: &str = "dcr_iat_";
/// The start of every token id.
const ID_PREFIX: &str = "iat_";
/// Random bytes in a token id: an id names a token, it does not guard it.
const ID_BYTES: usize = 12;
/// Ten years: a longer-lived token is a token nobody remembers handing out.
pub const MAX_EXPIRES_IN_SECS: u64 = 10 * 365 * 86_400;
pub const MAX_USES: u64 = 1_000_000_000;
pub const MAX_DESCRIPTION_BYTES: usize = 200;
/// Longest host name (RFC 1035 section 2.3.4) or scheme pattern.
const MAX_PATTERN_BYTES: usize = 255;

const REQUEST_MEMBERS: &str = "expires_in, max_uses, description and policy";

/// A plaintext initial access token: shown to the operator once, then only
/// its digest is kept.
pub struct InitialAccessToken(String);

impl InitialAccessToken {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(format!(
            "{TOKEN_PREFIX}{}",
            AccessToken::generate(rng).expose()
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl fmt::Debug for InitialAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InitialAccessToken(<redacted>)")
    }
}

/// The public name of an initial access token (`iat_` and 24 hex digits):
/// what lists, logs and clients' provenance show instead of the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; ID_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(format!("{ID_PREFIX}{}", crate::credentials::hex(&bytes)))
    }

    /// Only the form [`TokenId::generate`] makes; anything else names no token.
    pub fn parse(raw: &str) -> Result<Self, InvalidTokenId> {
        let hex = raw.strip_prefix(ID_PREFIX).ok_or(InvalidTokenId)?;
        if hex.len() == ID_BYTES * 2
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidTokenId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an initial access token id")]
pub struct InvalidTokenId;

/// A host (`app.example.com`), all subdomains of one (`*.example.com`, not
/// the name itself), or an IP literal (`127.0.0.1`, `[::1]`), compared with
/// the host of a URL. In a token policy, a host entry of
/// [`RedirectPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    name: String,
    subdomains: bool,
}

impl HostPattern {
    /// Case-insensitive; kept in lower case, addresses in their canonical
    /// form, so that a pattern compares like the URL parser's host.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        if raw.len() > MAX_PATTERN_BYTES {
            return Err(Problem::TooLong {
                max: MAX_PATTERN_BYTES,
            });
        }
        let lower = raw.to_ascii_lowercase();
        if let Some(literal) = lower.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let address: Ipv6Addr = literal.parse().map_err(|_| Problem::InvalidHostPattern)?;
            return Ok(Self {
                name: format!("[{address}]"),
                subdomains: false,
            });
        }
        if let Ok(address) = lower.parse::<Ipv4Addr>() {
            return Ok(Self {
                name: address.to_string(),
                subdomains: false,
            });
        }
        let (name, subdomains) = match lower.strip_prefix("*.") {
            Some(parent) => (parent.to_owned(), true),
            None => (lower, false),
        };
        if is_dotted_name(&name) {
            Ok(Self { name, subdomains })
        } else {
            Err(Problem::InvalidHostPattern)
        }
    }

    /// One label, no pattern, no address (`cursor`, `vscode`): a name that
    /// no public host has.
    fn is_single_label(&self) -> bool {
        !self.subdomains
            && !self.name.contains('.')
            && !self.name.starts_with('[')
            && self.name != "localhost"
    }

    pub fn matches(&self, destination: &str) -> bool {
        if !self.subdomains {
            return destination == self.name;
        }
        destination
            .strip_suffix(self.name.as_str())
            .and_then(|head| head.strip_suffix('.'))
            .is_some_and(|head| !head.is_empty())
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subdomains {
            f.write_str("*.")?;
        }
        f.write_str(&self.name)
    }
}

/// An operator's request for a new token (the admin API's body, or the
/// CLI's flags turned into one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenRequest {
    /// Seconds until the token stops working; `None` for never.
    pub expires_in: Option<u64>,
    /// Registrations it may authorize; `None` for any number.
    pub max_uses: Option<u64>,
    pub description: Option<String>,
    pub policy: TokenPolicy,
}

impl TokenRequest {
    pub fn from_json(body: &Value, server: &RegistrationPolicy) -> Result<Self, MetadataError> {
        let Value::Object(members) = body else {
            return Err(MetadataError::new("", Problem::NotAnObject));
        };
        if members
            .keys()
            .any(|key| !["expires_in", "max_uses", "description", "policy"].contains(&key.as_str()))
        {
            return Err(MetadataError::new(
                "",
                Problem::UnexpectedMember {
                    expected: REQUEST_MEMBERS,
                },
            ));
        }
        let expires_in = whole_number(members, "expires_in", MAX_EXPIRES_IN_SECS)?;
        let max_uses = whole_number(members, "max_uses", MAX_USES)?;
        let description = match members.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => {
                let checked = text::check_stored(raw, MAX_DESCRIPTION_BYTES)
                    .and_then(|()| text::check_readable(raw))
                    .and_then(|()| text::normalize_name(raw, MAX_DESCRIPTION_BYTES));
                Some(checked.map_err(|problem| MetadataError::new("/description", problem))?)
            }
            Some(_) => {
                return Err(MetadataError::new(
                    "/description",
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        };
        let policy = match members.get("policy") {
            None | Some(Value::Null) => TokenPolicy::default(),
            Some(value) => TokenPolicy::from_request(value, server, "/policy")?,
        };
        Ok(Self {
            expires_in,
            max_uses,
            description,
            policy,
        })
    }
}

fn whole_number(
    members: &Map<String, Value>,
    key: &str,
    max: u64,
) -> Result<Option<u64>, MetadataError> {
    match members.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|number| (1..=max).contains(number))
            .map(Some)
            .ok_or_else(|| MetadataError::at_key(key, Problem::OutOfRange { min: 1, max })),
    }
}

mod policy;
mod redirect_pattern;

pub use policy::TokenPolicy;
pub use redirect_pattern::RedirectPattern;

#[cfg(test)]
mod tests;
