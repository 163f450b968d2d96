//! Token endpoint authentication methods (RFC 7591 section 2).

use std::fmt;

use crate::error::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// A public client: no secret at all.
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// HMAC-signed JWT with the secret as key (RFC 7523). The server keeps only a
    /// bcrypt hash of the secret, so it can never check such a JWT; policy
    /// refuses to enable this method.
    ClientSecretJwt,
    PrivateKeyJwt,
    TlsClientAuth,
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    pub const ALL: [Self; 7] = [
        Self::None,
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::ClientSecretJwt,
        Self::PrivateKeyJwt,
        Self::TlsClientAuth,
        Self::SelfSignedTlsClientAuth,
    ];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str() == raw)
            .ok_or(Problem::UnknownValue)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::TlsClientAuth => "tls_client_auth",
            Self::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// Whether the server issues a `client_secret` for this method.
    pub fn needs_secret(self) -> bool {
        matches!(
            self,
            Self::ClientSecretBasic | Self::ClientSecretPost | Self::ClientSecretJwt
        )
    }

    /// Whether the client must register its public keys (`jwks` or `jwks_uri`).
    pub fn needs_keys(self) -> bool {
        matches!(self, Self::PrivateKeyJwt | Self::SelfSignedTlsClientAuth)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(method.as_str()), Ok(method));
            assert_eq!(method.to_string(), method.as_str());
        }
        for raw in [
            "",
            "foo",
            "None",
            "client_secret_basic ",
            "CLIENT_SECRET_POST",
        ] {
            assert_eq!(
                AuthMethod::parse(raw),
                Err(Problem::UnknownValue),
                "{raw:?}"
            );
        }
    }

    /// Which methods get a secret and which need registered keys.
    #[test]
    fn secret_and_key_needs() {
        let cases = [
            (AuthMethod::None, false, false),
            (AuthMethod::ClientSecretBasic, true, false),
            (AuthMethod::ClientSecretPost, true, false),
            (AuthMethod::ClientSecretJwt, true, false),
            (AuthMethod::PrivateKeyJwt, false, true),
            (AuthMethod::TlsClientAuth, false, false),
            (AuthMethod::SelfSignedTlsClientAuth, false, true),
        ];
        assert_eq!(cases.len(), AuthMethod::ALL.len());
        for (method, secret, keys) in cases {
            assert_eq!(method.needs_secret(), secret, "{method}");
            assert_eq!(method.needs_keys(), keys, "{method}");
        }
    }
}
