//! The one error vocabulary of registration: every problem knows the RFC 7591
//! section 3.2.2 code it maps to and which field (as a JSON pointer) it is about.

use std::fmt;

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

/// Why a redirect URI is refused (RFC 7591 section 2, RFC 8252 sections 7 and 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectUriError {
    NotAbsolute,
    Fragment,
    UserInfo,
    Wildcard,
    ForbiddenCharacter,
    TooLong {
        max: usize,
    },
    /// `http` to a host that is not loopback.
    InsecureHttp,
    /// `localhost` where the operator allows only loopback IP literals.
    LocalhostNotAllowed,
    /// A scheme that can run code or read local data in a browser.
    DangerousScheme,
    /// A private-use scheme where the operator allows only https and loopback.
    CustomSchemeNotAllowed,
    MissingHost,
}

impl fmt::Display for RedirectUriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAbsolute => f.write_str("must be an absolute URI"),
            Self::Fragment => f.write_str("must not contain a fragment (RFC 6749 section 3.1.2)"),
            Self::UserInfo => f.write_str("must not contain user information"),
            Self::Wildcard => f.write_str("must not contain wildcards"),
            Self::ForbiddenCharacter => {
                f.write_str("must not contain whitespace or control characters")
            }
            Self::TooLong { max } => write!(f, "must be at most {max} bytes long"),
            Self::InsecureHttp => f.write_str(
                "must use https; http is allowed only for loopback hosts (RFC 8252 section 7.3)",
            ),
            Self::LocalhostNotAllowed => f.write_str(
                "must use a loopback IP literal instead of localhost (RFC 8252 section 8.3)",
            ),
            Self::DangerousScheme => f.write_str("uses a scheme that is never allowed"),
            Self::CustomSchemeNotAllowed => {
                f.write_str("uses a private-use scheme, which this server does not accept")
            }
            Self::MissingHost => f.write_str("must name a host"),
        }
    }
}

/// Why a URL-valued metadata member (`client_uri`, `logo_uri`, ...) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    NotAbsolute,
    /// Not `https` (or, where allowed, loopback `http`).
    InsecureScheme,
    UserInfo,
    ForbiddenCharacter,
    TooLong {
        max: usize,
    },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAbsolute => f.write_str("must be an absolute URL"),
            Self::InsecureScheme => f.write_str("must be an https URL"),
            Self::UserInfo => f.write_str("must not contain user information"),
            Self::ForbiddenCharacter => {
                f.write_str("must not contain whitespace or control characters")
            }
            Self::TooLong { max } => write!(f, "must be at most {max} bytes long"),
        }
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
    /// Control characters (NUL included) are refused in every string.
    ControlCharacter,
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
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("must be a JSON object"),
            Self::WrongType { expected } => write!(f, "must be {expected}"),
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max } => write!(f, "must be at most {max} bytes long"),
            Self::TooMany { max } => write!(f, "must have at most {max} entries"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
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
            Self::InvalidLanguageTag => {
                f.write_str("has an invalid language tag (RFC 7591 section 2.2)")
            }
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
