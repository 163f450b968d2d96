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

    /// The name of an RFC 6749 grant, as a constant string.
    pub fn named(&self) -> Option<&'static str> {
        const NAMES: [&str; 5] = [
            "authorization_code",
            "implicit",
            "password",
            "client_credentials",
            "refresh_token",
        ];
        NAMES.into_iter().find(|name| *name == self.as_str())
    }

    /// Grants issued only to a client that authenticates at the token
    /// endpoint (RFC 6749 sections 4.3.2 and 4.4.2).
    pub fn needs_client_authentication(&self) -> bool {
        *self == Self::CLIENT_CREDENTIALS || *self == Self::PASSWORD
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
        self.canonical() == other.canonical()
    }

    /// The tokens in sorted order, so that equal response types are equal
    /// strings: what a set of response types is keyed by.
    pub fn canonical(&self) -> String {
        let mut tokens: Vec<&str> = self.0.split(' ').collect();
        tokens.sort_unstable();
        tokens.join(" ")
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_and_extension_grants() {
        let cases = [
            ("authorization_code", Ok(GrantType::AUTHORIZATION_CODE)),
            ("implicit", Ok(GrantType::IMPLICIT)),
            ("password", Ok(GrantType::PASSWORD)),
            ("client_credentials", Ok(GrantType::CLIENT_CREDENTIALS)),
            ("refresh_token", Ok(GrantType::REFRESH_TOKEN)),
            ("Authorization_Code", Err(Problem::UnknownValue)),
            ("authorization_code ", Err(Problem::UnknownValue)),
            ("foo", Err(Problem::UnknownValue)),
            ("", Err(Problem::UnknownValue)),
        ];
        for (raw, expected) in cases {
            assert_eq!(GrantType::parse(raw), expected, "{raw:?}");
        }
        // RFC 6749 section 4.5: an extension grant is named by an absolute URI.
        for raw in [
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "https://grants.example/custom",
        ] {
            let grant = GrantType::parse(raw).unwrap();
            assert_eq!(grant.as_str(), raw);
            assert_eq!(grant.to_string(), raw);
            assert!(!grant.uses_redirect());
        }
    }

    #[test]
    fn only_code_and_implicit_grants_redirect() {
        let cases = [
            (GrantType::AUTHORIZATION_CODE, true),
            (GrantType::IMPLICIT, true),
            (GrantType::PASSWORD, false),
            (GrantType::CLIENT_CREDENTIALS, false),
            (GrantType::REFRESH_TOKEN, false),
        ];
        for (grant, redirects) in cases {
            assert_eq!(grant.uses_redirect(), redirects, "{grant}");
        }
    }

    #[test]
    fn parses_response_types() {
        let cases = [
            ("code", Ok("code")),
            ("token", Ok("token")),
            ("code id_token", Ok("code id_token")),
            ("none", Ok("none")),
            ("", Err(Problem::UnknownValue)),
            (" code", Err(Problem::UnknownValue)),
            ("code  token", Err(Problem::UnknownValue)),
            ("code-token", Err(Problem::UnknownValue)),
            ("code\ttoken", Err(Problem::UnknownValue)),
            ("cöde", Err(Problem::UnknownValue)),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                ResponseType::parse(raw).map(|rt| rt.as_str().to_owned()),
                expected.map(str::to_owned),
                "{raw:?}"
            );
        }
        let hybrid = ResponseType::parse("id_token code").unwrap();
        assert!(hybrid.includes("code"));
        assert!(hybrid.includes("id_token"));
        assert!(!hybrid.includes("token"));
        assert!(hybrid.same_as(&ResponseType::parse("code id_token").unwrap()));
        assert!(!hybrid.same_as(&ResponseType::code()));
        assert_eq!(ResponseType::code().as_str(), "code");
        assert_eq!(ResponseType::token().to_string(), "token");
    }

    fn response_types(raw: &[&str]) -> Vec<ResponseType> {
        raw.iter()
            .map(|rt| ResponseType::parse(rt).unwrap())
            .collect()
    }

    /// RFC 7591 section 2.1, both directions.
    #[test]
    fn grant_and_response_types_agree() {
        let code_needed = Problem::GrantNeedsResponseType {
            response_type: "code",
        };
        let token_needed = Problem::GrantNeedsResponseType {
            response_type: "token",
        };
        let code_grant_needed = Problem::ResponseTypeNeedsGrant {
            grant_type: "authorization_code",
        };
        let implicit_needed = Problem::ResponseTypeNeedsGrant {
            grant_type: "implicit",
        };
        let ac = GrantType::AUTHORIZATION_CODE;
        let implicit = GrantType::IMPLICIT;
        type Case = (
            Vec<GrantType>,
            Vec<&'static str>,
            Result<(), (&'static str, Problem)>,
        );
        let cases: Vec<Case> = vec![
            (vec![ac.clone()], vec!["code"], Ok(())),
            (
                vec![ac.clone(), GrantType::REFRESH_TOKEN],
                vec!["code"],
                Ok(()),
            ),
            (vec![implicit.clone()], vec!["token"], Ok(())),
            (
                vec![ac.clone(), implicit.clone()],
                vec!["code", "token"],
                Ok(()),
            ),
            (
                vec![ac.clone(), implicit.clone()],
                vec!["code token"],
                Ok(()),
            ),
            (vec![ac.clone()], vec!["code id_token"], Ok(())),
            // The other grants need no response type.
            (vec![GrantType::CLIENT_CREDENTIALS], vec![], Ok(())),
            (vec![GrantType::PASSWORD], vec![], Ok(())),
            (vec![GrantType::REFRESH_TOKEN], vec![], Ok(())),
            (vec![], vec![], Ok(())),
            // A grant without its response type.
            (
                vec![ac.clone()],
                vec![],
                Err(("grant_types", code_needed.clone())),
            ),
            (
                vec![ac.clone()],
                vec!["token"],
                Err(("grant_types", code_needed.clone())),
            ),
            (
                vec![implicit.clone()],
                vec![],
                Err(("grant_types", token_needed.clone())),
            ),
            (
                vec![ac.clone(), implicit.clone()],
                vec!["code"],
                Err(("grant_types", token_needed.clone())),
            ),
            // A response type without its grant.
            (
                vec![],
                vec!["code"],
                Err(("response_types", code_grant_needed.clone())),
            ),
            (
                vec![GrantType::CLIENT_CREDENTIALS],
                vec!["code"],
                Err(("response_types", code_grant_needed.clone())),
            ),
            (
                vec![implicit.clone()],
                vec!["code"],
                Err(("response_types", code_grant_needed.clone())),
            ),
            (
                vec![],
                vec!["token"],
                Err(("response_types", implicit_needed.clone())),
            ),
            (
                vec![ac.clone()],
                vec!["code", "token"],
                Err(("response_types", implicit_needed.clone())),
            ),
            (
                vec![ac.clone()],
                vec!["code token"],
                Err(("response_types", implicit_needed.clone())),
            ),
        ];
        for (grants, responses, expected) in cases {
            assert_eq!(
                check_consistency(&grants, &response_types(&responses)),
                expected,
                "{grants:?} with {responses:?}"
            );
        }
    }
}
