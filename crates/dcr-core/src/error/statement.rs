//! Why a software statement (RFC 7591 sections 2.3 and 3.1.1) is refused.
//! Every description names the rule, never the token's content: not its
//! issuer, its key id nor any claim.

use std::fmt;

use super::ErrorCode;

/// What is wrong with a registration's `software_statement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementProblem {
    /// Not a string of three base64url parts whose first two are JSON
    /// objects (a JWS in compact serialization, RFC 7515 section 7.1).
    Malformed,
    TooLarge {
        max: usize,
    },
    TooManyHeaderMembers {
        max: usize,
    },
    TooManyClaims {
        max: usize,
    },
    /// An `alg` other than RS256, PS256, ES256 and EdDSA: `none` and the
    /// HMAC algorithms among them.
    UnsupportedAlgorithm,
    /// A `crit` header: this server understands no JWS extension.
    CriticalHeader,
    /// No `iss` string claim.
    IssuerMissing,
    /// An `iss` this server does not trust.
    UntrustedIssuer,
    /// A trusted issuer, but not the one the registration's initial access
    /// token requires.
    IssuerNotAllowed,
    /// A `kid` that none of the issuer's keys has, or no key of the issuer
    /// fits the algorithm.
    UnknownKey,
    BadSignature,
    /// `exp`, `nbf` or `iat` is not a number.
    InvalidTime,
    Expired,
    NotYetValid,
    /// The registration has none, and this server (`DCR_SOFTWARE_STATEMENTS=
    /// require`) or its initial access token requires one.
    Required,
}

impl StatementProblem {
    pub fn code(self) -> ErrorCode {
        match self {
            Self::UntrustedIssuer | Self::IssuerNotAllowed => {
                ErrorCode::UnapprovedSoftwareStatement
            }
            _ => ErrorCode::InvalidSoftwareStatement,
        }
    }
}

impl fmt::Display for StatementProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str(
                "must be a signed JWT in compact serialization: three base64url parts, the first two JSON objects (RFC 7591 section 2.3)",
            ),
            Self::TooLarge { max } => write!(f, "must be at most {max} bytes long"),
            Self::TooManyHeaderMembers { max } => {
                write!(f, "must have at most {max} header parameters")
            }
            Self::TooManyClaims { max } => write!(f, "must have at most {max} claims"),
            Self::UnsupportedAlgorithm => f.write_str(
                "must be signed with RS256, PS256, ES256 or EdDSA; none and HMAC are never accepted",
            ),
            Self::CriticalHeader => f.write_str(
                "must not have a crit header: this server understands no JWS extension",
            ),
            Self::IssuerMissing => f.write_str("must have an iss claim naming its issuer"),
            Self::UntrustedIssuer => {
                f.write_str("is from an issuer this server does not trust")
            }
            Self::IssuerNotAllowed => f.write_str(
                "is from an issuer that the initial access token of this registration does not accept",
            ),
            Self::UnknownKey => {
                f.write_str("is signed with a key its issuer has not registered with this server")
            }
            Self::BadSignature => f.write_str("has a signature that does not verify"),
            Self::InvalidTime => f.write_str("must have exp, nbf and iat, when present, as numbers"),
            Self::Expired => f.write_str("has expired"),
            Self::NotYetValid => f.write_str("is not valid yet"),
            Self::Required => f.write_str(
                "is required: this registration must carry a software statement (RFC 7591 section 2.3)",
            ),
        }
    }
}
