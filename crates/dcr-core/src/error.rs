//! The one error vocabulary of registration: every problem knows the RFC 7591
//! section 3.2.2 code it maps to and which field (as a JSON pointer) it is about.

use std::fmt;

mod statement;
mod uri;

pub use statement::StatementProblem;
pub use uri::{RedirectUriError, UriSyntaxError, UrlError};

/// The `error` codes of RFC 7591 section 3.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRedirectUri,
    InvalidClientMetadata,
    InvalidSoftwareStatement,
    UnapprovedSoftwareStatement,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidSoftwareStatement => "invalid_software_statement",
            Self::UnapprovedSoftwareStatement => "unapproved_software_statement",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON type a member was expected to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    ArrayOfStrings,
    Object,
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "a string",
            Self::ArrayOfStrings => "an array of strings",
            Self::Object => "a JSON object",
        })
    }
}

/// Kinds of characters refused in text (see `text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    /// Unicode category Cc (NUL, escape, line feed, ...).
    Control,
    /// Category Cf: bidirectional controls, zero-width characters, the soft
    /// hyphen, tag characters.
    Format,
    /// Categories Zl and Zp.
    Separator,
    /// Category Co.
    PrivateUse,
    /// The 66 code points Unicode never assigns.
    Noncharacter,
    /// Default-ignorable code points outside Cf (U+034F, variation
    /// selectors, Hangul fillers).
    DefaultIgnorable,
}

impl fmt::Display for CharClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Control => "a control character",
            Self::Format => "an invisible formatting character (bidirectional, zero-width or tag)",
            Self::Separator => "a line or paragraph separator",
            Self::PrivateUse => "a private-use character",
            Self::Noncharacter => "a noncharacter",
            Self::DefaultIgnorable => "an invisible (default-ignorable) character",
        })
    }
}

/// What is wrong with one member of a registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The body is not a JSON object.
    NotAnObject,
    WrongType {
        expected: JsonType,
    },
    Empty,
    TooLong {
        max: usize,
    },
    TooMany {
        max: usize,
    },
    /// A character refused in this member; named by its code point, never
    /// echoed.
    Character {
        code_point: char,
        class: CharClass,
    },
    /// The same member name twice in one object: parsers disagree on which
    /// copy counts.
    DuplicateMember,
    /// A member name with a control character.
    MemberNameCharacter,
    /// `client_credentials` and `password` need a client that authenticates
    /// (RFC 6749 sections 4.3 and 4.4).
    GrantNeedsClientAuthentication {
        grant_type: &'static str,
    },
    /// A JSON Web Key with private members (OpenID Connect Registration
    /// section 2: `jwks` holds public keys only).
    PrivateKeyMaterial,
    /// A symmetric key (`kty: oct`): a shared secret, never registered.
    SymmetricKey,
    /// A JSON Web Key without its `kty` string (RFC 7517 section 4.1).
    KeyTypeMissing,
    RedirectUri(RedirectUriError),
    /// A grant type that uses the redirect flow needs at least one redirect URI.
    RedirectUrisRequired,
    Url(UrlError),
    UnknownValue,
    UnsupportedValue,
    /// `grant_types` and `response_types` disagree (RFC 7591 section 2.1).
    GrantNeedsResponseType {
        response_type: &'static str,
    },
    ResponseTypeNeedsGrant {
        grant_type: &'static str,
    },
    InvalidScopeToken,
    ScopeNotAllowed,
    JwksWithJwksUri,
    JwksWithoutKeys,
    InvalidLanguageTag,
    /// The authentication method needs key material (`jwks` or `jwks_uri`).
    KeysRequired,
    /// A member the request must carry is missing.
    Required,
    /// An update names another client (RFC 7592 section 2.2).
    ClientIdMismatch,
    /// A member only the server sets was sent (RFC 7592 section 2.2).
    SetByServer,
    /// An update's `client_secret` is not the client's current secret.
    SecretMismatch,
    /// A whole number outside the range the member takes.
    OutOfRange {
        min: u64,
        max: u64,
    },
    /// A member this request does not take (the admin API's bodies are
    /// strict: a misspelt limit must not pass as no limit). Named by what
    /// the request takes, never by what was sent.
    UnexpectedMember {
        expected: &'static str,
    },
    /// Not a host name, a `*.` pattern of one, an IP literal, or (in a token
    /// policy) a private-use scheme with its colon.
    InvalidHostPattern,
    /// A redirect URI to a host an initial access token does not allow.
    HostNotAllowed,
    /// An update of a client registered with an initial access token whose
    /// policy is no longer stored: nothing says what the client may become.
    RegistrationPolicyUnknown,
    /// A name that claims, or looks like, a well-known client's without its
    /// redirect URIs (`DCR_RESERVED_NAMES=refuse`).
    ReservedName,
    /// A `software_statement` refused (RFC 7591 section 3.2.2).
    Statement(StatementProblem),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("must be a JSON object"),
            Self::WrongType { expected } => write!(f, "must be {expected}"),
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max } => write!(f, "must be at most {max} bytes long"),
            Self::TooMany { max } => write!(f, "must have at most {max} entries"),
            Self::Character { code_point, class } => write!(
                f,
                "must not contain U+{:04X}, {class}",
                u32::from(*code_point)
            ),
            Self::DuplicateMember => {
                f.write_str("has a member name more than once; send each member once")
            }
            Self::MemberNameCharacter => {
                f.write_str("has a member name with a control character")
            }
            Self::GrantNeedsClientAuthentication { grant_type } => write!(
                f,
                "includes {grant_type}, which needs a client that authenticates: choose a token_endpoint_auth_method other than none (RFC 6749 sections 4.3.2 and 4.4.2)"
            ),
            Self::PrivateKeyMaterial => f.write_str(
                "must hold public keys only: remove the private members d, p, q, dp, dq, qi and oth (OpenID Connect Dynamic Client Registration section 2)",
            ),
            Self::SymmetricKey => f.write_str(
                "must hold public keys only, not a symmetric key (kty oct)",
            ),
            Self::KeyTypeMissing => f.write_str("must have a kty string (RFC 7517 section 4.1)"),
            Self::RedirectUri(inner) => inner.fmt(f),
            Self::RedirectUrisRequired => f.write_str(
                "is required: the authorization_code and implicit grants redirect to the client",
            ),
            Self::Url(inner) => inner.fmt(f),
            Self::UnknownValue => f.write_str("has a value this server does not know"),
            Self::UnsupportedValue => f.write_str("has a value this server does not support"),
            Self::GrantNeedsResponseType { response_type } => write!(
                f,
                "does not match response_types: add the {response_type} response type (RFC 7591 section 2.1)"
            ),
            Self::ResponseTypeNeedsGrant { grant_type } => write!(
                f,
                "does not match grant_types: add the {grant_type} grant type (RFC 7591 section 2.1)"
            ),
            Self::InvalidScopeToken => f.write_str(
                "must be space-separated scope tokens of printable ASCII without quotes or backslashes (RFC 6749 section 3.3)",
            ),
            Self::ScopeNotAllowed => f.write_str("asks for a scope this server does not allow"),
            Self::JwksWithJwksUri => {
                f.write_str("must not be sent together with jwks_uri (RFC 7591 section 2)")
            }
            Self::JwksWithoutKeys => f.write_str("must be a JSON object with a keys array"),
            Self::InvalidLanguageTag => f.write_str(
                "has a language-tagged variant whose tag is not a BCP 47 language tag (RFC 7591 section 2.2)",
            ),
            Self::KeysRequired => f.write_str("needs the client's keys in jwks or jwks_uri"),
            Self::Required => f.write_str("is required (RFC 7592 section 2.2)"),
            Self::ClientIdMismatch => {
                f.write_str("must be the client_id of the client being updated (RFC 7592 section 2.2)")
            }
            Self::SetByServer => {
                f.write_str("is set by the server and must not be sent (RFC 7592 section 2.2)")
            }
            Self::SecretMismatch => f.write_str(
                "does not match the client's current secret; a client cannot choose its secret (RFC 7592 section 2.2)",
            ),
            Self::OutOfRange { min, max } => {
                write!(f, "must be a whole number from {min} to {max}")
            }
            Self::UnexpectedMember { expected } => write!(
                f,
                "has a member this request does not take; it takes {expected}"
            ),
            Self::InvalidHostPattern => f.write_str(
                "must list host names (example.com), patterns of subdomains (*.example.com), IP literals or private-use URI schemes with their colon (com.example.app:)",
            ),
            Self::HostNotAllowed => f.write_str(
                "goes to a host that the initial access token of this registration does not allow",
            ),
            Self::RegistrationPolicyUnknown => f.write_str(
                "cannot be applied: this client was registered with an initial access token that is no longer stored, and its updates are held to that token's policy",
            ),
            Self::ReservedName => f.write_str(
                "claims or resembles the name of a well-known client whose redirect URIs this registration does not have",
            ),
            Self::Statement(inner) => inner.fmt(f),
        }
    }
}

/// A refused registration request: the RFC code, the field it is about, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.description())]
pub struct MetadataError {
    /// A JSON pointer (RFC 6901) to the offending member, such as `/redirect_uris/1`;
    /// empty for the whole body.
    pub pointer: String,
    pub problem: Problem,
}

impl MetadataError {
    pub fn new(pointer: impl Into<String>, problem: Problem) -> Self {
        Self {
            pointer: pointer.into(),
            problem,
        }
    }

    /// The member a problem is about, for a key that may need escaping.
    pub fn at_key(key: &str, problem: Problem) -> Self {
        Self::new(pointer_to(key), problem)
    }

    pub fn code(&self) -> ErrorCode {
        match self.problem {
            Problem::Statement(statement) => statement.code(),
            Problem::RedirectUri(_) | Problem::RedirectUrisRequired => {
                ErrorCode::InvalidRedirectUri
            }
            _ if self.pointer == "/redirect_uris"
                || self.pointer.starts_with("/redirect_uris/") =>
            {
                ErrorCode::InvalidRedirectUri
            }
            _ => ErrorCode::InvalidClientMetadata,
        }
    }

    /// Human-readable, and limited to the characters RFC 6749 section 5.2 allows in
    /// `error_description`: it names the field and the rule, never echoes input.
    pub fn description(&self) -> String {
        if self.pointer.is_empty() {
            return format!("the request body {}", self.problem);
        }
        // `pointer` is a public field: slicing off a first byte that is not `/`
        // could split a character and panic.
        let field: String = self
            .pointer
            .strip_prefix('/')
            .unwrap_or(&self.pointer)
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '\\' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        format!("{field} {}", self.problem)
    }
}

/// A JSON pointer to a top-level member (RFC 6901 section 3 escaping).
pub fn pointer_to(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A JSON pointer to an element of a top-level array member.
pub fn pointer_to_item(key: &str, index: usize) -> String {
    format!("{}/{index}", pointer_to(key))
}

#[cfg(test)]
mod tests;
