//! Grant types and response types (RFC 7591 section 2, section 2.1 table).

use std::borrow::Cow;
use std::fmt;

use crate::error::Problem;

/// An OAuth 2.0 grant type: one of RFC 7591's names or an extension grant's
/// absolute URI (RFC 6749 section 4.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GrantType(Cow<'static, str>);

impl GrantType {
    pub const AUTHORIZATION_CODE: Self = Self(Cow::Borrowed("authorization_code"));
    pub const IMPLICIT: Self = Self(Cow::Borrowed("implicit"));
    pub const PASSWORD: Self = Self(Cow::Borrowed("password"));
    pub const CLIENT_CREDENTIALS: Self = Self(Cow::Borrowed("client_credentials"));
    pub const REFRESH_TOKEN: Self = Self(Cow::Borrowed("refresh_token"));

    const NAMED: [Self; 5] = [
        Self::AUTHORIZATION_CODE,
        Self::IMPLICIT,
        Self::PASSWORD,
        Self::CLIENT_CREDENTIALS,
        Self::REFRESH_TOKEN,
    ];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        if let Some(named) = Self::NAMED.iter().find(|named| named.as_str() == raw) {
            return Ok(named.clone());
        }
        if is_absolute_uri(raw) {
            return Ok(Self(Cow::Owned(raw.to_owned())));
        }
        Err(Problem::UnknownValue)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grants whose flow sends the user agent back to a redirect URI.
    pub fn uses_redirect(&self) -> bool {
        *self == Self::AUTHORIZATION_CODE || *self == Self::IMPLICIT
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A response type: one or more space-separated tokens (`code`, `token`, or an
/// extension such as OpenID Connect's `code id_token`), kept as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseType(String);

impl ResponseType {
    pub const CODE: &'static str = "code";
    pub const TOKEN: &'static str = "token";

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let valid_token = |token: &str| {
            !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        if raw.split(' ').all(valid_token) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Problem::UnknownValue)
        }
    }

    /// The `code` response type of the authorization code flow.
    pub fn code() -> Self {
        Self(Self::CODE.to_owned())
    }

    /// The `token` response type of the implicit flow.
    pub fn token() -> Self {
        Self(Self::TOKEN.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this response type includes the given token, in any order.
    pub fn includes(&self, token: &str) -> bool {
        self.0.split(' ').any(|own| own == token)
    }

    /// Two response types are the same when they hold the same tokens
    /// (`id_token code` is `code id_token`).
    pub fn same_as(&self, other: &Self) -> bool {
        let mut mine: Vec<&str> = self.0.split(' ').collect();
        let mut theirs: Vec<&str> = other.0.split(' ').collect();
        mine.sort_unstable();
        theirs.sort_unstable();
        mine == theirs
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_absolute_uri(raw: &str) -> bool {
    raw.contains(':') && url::Url::parse(raw).is_ok()
}

/// RFC 7591 section 2.1: `authorization_code` goes with `code` and `implicit`
/// with `token`, each way round. Returns which member is inconsistent and why.
pub fn check_consistency(
    grant_types: &[GrantType],
    response_types: &[ResponseType],
) -> Result<(), (&'static str, Problem)> {
    let has_grant = |grant: &GrantType| grant_types.contains(grant);
    let has_response = |token: &str| response_types.iter().any(|rt| rt.includes(token));
    let pairs = [
        (
            GrantType::AUTHORIZATION_CODE,
            ResponseType::CODE,
            "authorization_code",
        ),
        (GrantType::IMPLICIT, ResponseType::TOKEN, "implicit"),
    ];
    for (grant, response, grant_name) in pairs {
        if has_grant(&grant) && !has_response(response) {
            return Err((
                "grant_types",
                Problem::GrantNeedsResponseType {
                    response_type: response,
                },
            ));
        }
        if has_response(response) && !has_grant(&grant) {
            return Err((
                "response_types",
                Problem::ResponseTypeNeedsGrant {
                    grant_type: grant_name,
                },
            ));
        }
    }
    Ok(())
}
