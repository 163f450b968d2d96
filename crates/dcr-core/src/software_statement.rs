//! Software statements (RFC 7591 sections 2.3 and 3.1.1): a JWT, signed by
//! an issuer this server trusts, whose claims are client metadata. A
//! statement that verifies takes precedence over the same members in the
//! body; every registration rule then applies to the merged metadata.
//!
//! Verification is pure: the trusted issuers' keys and the time are given.
//! Its cost is bounded before any cryptography: the statement's size, its
//! header's and claims' member counts, and the keys tried (the issuer's,
//! from the operator's file, never fetched). The signature is checked by
//! `jsonwebtoken` (RustCrypto backend); only RS256, PS256, ES256 and EdDSA
//! are accepted, `none` and HMAC never.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::body;
use crate::error::{MetadataError, Problem, StatementProblem};
use crate::initial_access::TokenPolicy;
use crate::metadata::KNOWN_MEMBERS;

mod issuers;

pub use issuers::{IssuersError, MAX_ISSUERS, MAX_KEYS_PER_ISSUER, TrustedIssuers};

/// The member that carries a statement.
pub const MEMBER: &str = "software_statement";
/// Bytes of a statement.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024;
/// Members of a statement's JOSE header.
pub const MAX_HEADER_MEMBERS: usize = 8;
/// Claims of a statement.
pub const MAX_CLAIMS: usize = 64;
/// Clock skew allowed on `exp` and `nbf`.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// The JWT claims (RFC 7519 section 4.1) that describe the statement, not
/// the client: never merged into the metadata.
const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// `DCR_SOFTWARE_STATEMENTS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementMode {
    /// A `software_statement` member is ignored.
    #[default]
    Off,
    /// A statement, when present, must verify.
    Accept,
    /// Every registration without an initial access token must carry one
    /// that verifies.
    Require,
}

impl StatementMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Accept => "accept",
            Self::Require => "require",
        }
    }
}

impl std::str::FromStr for StatementMode {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "off" => Ok(Self::Off),
            "accept" => Ok(Self::Accept),
            "require" => Ok(Self::Require),
            _ => Err("must be off, accept or require".to_owned()),
        }
    }
}

/// What a registration's statement is held to.
#[derive(Debug, Clone, Copy)]
pub struct StatementRules<'a> {
    pub mode: StatementMode,
    pub issuers: &'a TrustedIssuers,
    /// Whether the registration came without an initial access token
    /// (`require` applies to those).
    pub open: bool,
    /// The issuer the registration's initial access token requires, if any:
    /// its statement must be present and from this issuer, whatever the mode.
    pub required_issuer: Option<&'a str>,
}

/// A statement that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub issuer: String,
    /// Its claims, the registered JWT claims among them.
    pub claims: Map<String, Value>,
}

/// A registration document with its statement applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The metadata to admit: the body, with the statement's claims in
    /// place of the same members.
    pub document: Value,
    /// The issuer of the statement that verified, if one did.
    pub issuer: Option<String>,
}

/// Applies `rules` to a registration document (a JSON object, as
/// `body::parse` reads it) at `now` (seconds since the epoch). Without a
/// statement that must be present or is to be read, the document is
/// returned as it is.
pub fn apply(document: Value, rules: &StatementRules, now: i64) -> Result<Applied, MetadataError> {
    let refuse = |problem| MetadataError::at_key(MEMBER, Problem::Statement(problem));
    let required =
        rules.required_issuer.is_some() || (rules.mode == StatementMode::Require && rules.open);
    if rules.mode == StatementMode::Off && rules.required_issuer.is_none() {
        return Ok(Applied {
            document,
            issuer: None,
        });
    }
    let Value::Object(mut members) = document else {
        return Ok(Applied {
            document,
            issuer: None,
        });
    };
    // Absent, `null` and `""` all mean "not given", as for every member.
    let given = members
        .get(MEMBER)
        .filter(|value| !value.is_null() && value.as_str() != Some(""));
    let statement = match given {
        None if required => return Err(refuse(StatementProblem::Required)),
        None => {
            return Ok(Applied {
                document: Value::Object(members),
                issuer: None,
            });
        }
        Some(Value::String(statement)) => statement,
        Some(_) => return Err(refuse(StatementProblem::Malformed)),
    };
    let verified = verify(statement, rules.issuers, now).map_err(refuse)?;
    if let Some(required) = rules.required_issuer
        && verified.issuer != required
    {
        return Err(refuse(StatementProblem::IssuerNotAllowed));
    }
    for (name, value) in verified.claims {
        if KNOWN_MEMBERS.contains(&name.as_str())
            && name != MEMBER
            && !REGISTERED_CLAIMS.contains(&name.as_str())
        {
            members.insert(name, value);
        }
    }
    Ok(Applied {
        document: Value::Object(members),
        issuer: Some(verified.issuer),
    })
}

/// An initial access token may only require statements from a trusted
/// issuer: any other would refuse every registration it authorizes.
pub fn check_token_issuer(
    policy: &TokenPolicy,
    issuers: &TrustedIssuers,
) -> Result<(), MetadataError> {
    match &policy.software_statement_issuer {
        Some(issuer) if !issuers.trusts(issuer) => Err(MetadataError::new(
            "/policy/software_statement_issuer",
            Problem::UnknownValue,
        )),
        _ => Ok(()),
    }
}

/// Verifies a statement against the trusted issuers at `now`.
pub fn verify(
    statement: &str,
    issuers: &TrustedIssuers,
    now: i64,
) -> Result<Verified, StatementProblem> {
    if statement.len() > MAX_STATEMENT_BYTES {
        return Err(StatementProblem::TooLarge {
            max: MAX_STATEMENT_BYTES,
        });
    }
    let mut parts = statement.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(StatementProblem::Malformed);
    };
    let header = object(header)?;
    if header.len() > MAX_HEADER_MEMBERS {
        return Err(StatementProblem::TooManyHeaderMembers {
            max: MAX_HEADER_MEMBERS,
        });
    }
    let algorithm = match header.get("alg") {
        Some(Value::String(name)) => {
            issuers::accepted_algorithm(name).ok_or(StatementProblem::UnsupportedAlgorithm)?
        }
        Some(_) => return Err(StatementProblem::Malformed),
        None => return Err(StatementProblem::UnsupportedAlgorithm),
    };
    if header.contains_key("crit") {
        return Err(StatementProblem::CriticalHeader);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => return Err(StatementProblem::Malformed),
    };
    let claims = object(payload)?;
    if claims.len() > MAX_CLAIMS {
        return Err(StatementProblem::TooManyClaims { max: MAX_CLAIMS });
    }
    let Some(Value::String(issuer)) = claims.get("iss") else {
        return Err(StatementProblem::IssuerMissing);
    };
    let keys = issuers
        .keys(issuer)
        .ok_or(StatementProblem::UntrustedIssuer)?;
    let mut candidates = keys
        .iter()
        .filter(|key| kid.is_none_or(|kid| key.kid.as_deref() == Some(kid)))
        .filter(|key| key.algorithms.contains(&algorithm))
        .peekable();
    if candidates.peek().is_none() {
        return Err(StatementProblem::UnknownKey);
    }
    // The signed message is the first two parts as sent (RFC 7515 section 5.2).
    let message = &statement[..header_and_payload_len(statement)];
    let verifies = candidates.any(|key| {
        jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key.key, algorithm)
            .unwrap_or(false)
    });
    if !verifies {
        return Err(StatementProblem::BadSignature);
    }
    check_times(&claims, now)?;
    Ok(Verified {
        issuer: issuer.clone(),
        claims,
    })
}

/// The length of `header.payload`, without the last dot and signature.
fn header_and_payload_len(statement: &str) -> usize {
    statement.rfind('.').unwrap_or(0)
}

/// A base64url part that decodes to a JSON object, read as strictly as a
/// request body (no member name twice).
fn object(part: &str) -> Result<Map<String, Value>, StatementProblem> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| StatementProblem::Malformed)?;
    match body::parse_whole(&bytes) {
        Ok(Value::Object(members)) => Ok(members),
        _ => Err(StatementProblem::Malformed),
    }
}

/// `exp` and `nbf` against `now`, with [`CLOCK_SKEW_SECS`]; `iat` need only
/// be a number.
fn check_times(claims: &Map<String, Value>, now: i64) -> Result<(), StatementProblem> {
    let time = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_f64()
            .filter(|seconds| seconds.is_finite())
            .map(Some)
            .ok_or(StatementProblem::InvalidTime),
        Some(_) => Err(StatementProblem::InvalidTime),
    };
    let now = now as f64;
    let skew = CLOCK_SKEW_SECS as f64;
    time("iat")?;
    if let Some(exp) = time("exp")?
        && now >= exp + skew
    {
        return Err(StatementProblem::Expired);
    }
    if let Some(nbf) = time("nbf")?
        && now + skew < nbf
    {
        return Err(StatementProblem::NotYetValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
