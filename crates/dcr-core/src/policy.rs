//! What an operator accepts at registration, built from configuration.

use crate::auth_method::AuthMethod;
use crate::grant_types::{GrantType, ResponseType};
use crate::redirect_uri::RedirectPolicy;
use crate::scope::Scope;

/// What to do with requested scopes outside the allowed set (RFC 7591 section 2
/// lets the server either refuse or narrow them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeOverflow {
    /// Refuse the registration with `invalid_client_metadata`.
    Reject,
    /// Register only the allowed part and return what was registered.
    Narrow,
}

/// Upper bounds on what one registration may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_redirect_uris: usize,
    pub max_contacts: usize,
    /// Bytes in any one string member (names, URLs, contacts, scope).
    pub max_string_length: usize,
    /// Items in each other list and family of members: `grant_types`,
    /// `response_types`, scope tokens, JWKS keys, and the language-tagged
    /// variants (`client_name#fr`, ...) of one request together.
    pub max_list_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_redirect_uris: 20,
            max_contacts: 10,
            max_string_length: 2000,
            max_list_items: 32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPolicy {
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub auth_methods: Vec<AuthMethod>,
    /// Used when the client sends no `token_endpoint_auth_method`.
    pub default_auth_method: AuthMethod,
    /// `None` accepts any syntactically valid scope.
    pub allowed_scopes: Option<Scope>,
    pub scope_overflow: ScopeOverflow,
    /// Registered when the client asks for no scope; may be empty.
    pub default_scope: Scope,
    pub redirect: RedirectPolicy,
    pub limits: Limits,
    /// Seconds until an issued secret expires; 0 means never
    /// (`client_secret_expires_at: 0`, RFC 7591 section 3.2.1).
    pub secret_lifetime_secs: u64,
}

/// A policy that can never be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "client_secret_jwt cannot be offered: secrets are stored only as bcrypt hashes, so the HMAC of a client_secret_jwt assertion could never be checked"
    )]
    ClientSecretJwtUnsupported,
    #[error("the default auth method {0} is not among the supported auth methods")]
    DefaultAuthMethodNotSupported(AuthMethod),
    #[error("the default scope asks for scopes outside the allowed scopes")]
    DefaultScopeNotAllowed,
    #[error("at least one {0} must be supported")]
    NothingSupported(&'static str),
}

impl Default for RegistrationPolicy {
    /// RFC 7591 defaults, with the grants and methods MCP clients use.
    fn default() -> Self {
        Self {
            grant_types: vec![
                GrantType::AUTHORIZATION_CODE,
                GrantType::REFRESH_TOKEN,
                GrantType::CLIENT_CREDENTIALS,
            ],
            response_types: vec![ResponseType::code()],
            auth_methods: vec![
                AuthMethod::None,
                AuthMethod::ClientSecretBasic,
                AuthMethod::ClientSecretPost,
            ],
            default_auth_method: AuthMethod::ClientSecretBasic,
            allowed_scopes: None,
            scope_overflow: ScopeOverflow::Reject,
            default_scope: Scope::default(),
            redirect: RedirectPolicy::default(),
            limits: Limits::default(),
            secret_lifetime_secs: 0,
        }
    }
}

impl RegistrationPolicy {
    /// Checks that the policy is coherent; the server refuses to start otherwise.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.auth_methods.contains(&AuthMethod::ClientSecretJwt) {
            return Err(PolicyError::ClientSecretJwtUnsupported);
        }
        if self.grant_types.is_empty() {
            return Err(PolicyError::NothingSupported("grant type"));
        }
        if self.auth_methods.is_empty() {
            return Err(PolicyError::NothingSupported("auth method"));
        }
        if !self.auth_methods.contains(&self.default_auth_method) {
            return Err(PolicyError::DefaultAuthMethodNotSupported(
                self.default_auth_method,
            ));
        }
        if self
            .allowed_scopes
            .as_ref()
            .is_some_and(|allowed| !self.default_scope.is_within(allowed))
        {
            return Err(PolicyError::DefaultScopeNotAllowed);
        }
        Ok(())
    }

    /// Accepts every structurally valid registration; used to load what was
    /// registered under an earlier, possibly looser, policy.
    pub fn permissive() -> Self {
        Self {
            grant_types: Vec::new(),
            response_types: Vec::new(),
            auth_methods: AuthMethod::ALL.to_vec(),
            default_auth_method: AuthMethod::ClientSecretBasic,
            allowed_scopes: None,
            scope_overflow: ScopeOverflow::Reject,
            default_scope: Scope::default(),
            redirect: RedirectPolicy {
                allow_custom_schemes: true,
                allow_localhost: true,
                max_length: usize::MAX,
                native_schemes: Vec::new(),
            },
            limits: Limits {
                max_redirect_uris: usize::MAX,
                max_contacts: usize::MAX,
                max_string_length: usize::MAX,
                max_list_items: usize::MAX,
            },
            secret_lifetime_secs: 0,
        }
    }

    /// An empty list in a permissive policy means "anything well-formed".
    pub fn supports_grant_type(&self, grant: &GrantType) -> bool {
        self.grant_types.is_empty() || self.grant_types.contains(grant)
    }

    pub fn supports_response_type(&self, response_type: &ResponseType) -> bool {
        self.response_types.is_empty()
            || self
                .response_types
                .iter()
                .any(|supported| supported.same_as(response_type))
    }

    pub fn supports_auth_method(&self, method: AuthMethod) -> bool {
        self.auth_methods.contains(&method)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn scope(raw: &str) -> Scope {
        Scope::parse(raw).unwrap()
    }

    #[test]
    fn default_policy_is_coherent() {
        let policy = RegistrationPolicy::default();
        assert_eq!(policy.check(), Ok(()));
        assert_eq!(policy.default_auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(policy.secret_lifetime_secs, 0);
    }

    #[test]
    fn refuses_incoherent_policies() {
        let default = RegistrationPolicy::default;
        let cases = [
            (
                RegistrationPolicy {
                    auth_methods: vec![AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretJwt],
                    ..default()
                },
                PolicyError::ClientSecretJwtUnsupported,
            ),
            (
                RegistrationPolicy {
                    auth_methods: vec![AuthMethod::None],
                    ..default()
                },
                PolicyError::DefaultAuthMethodNotSupported(AuthMethod::ClientSecretBasic),
            ),
            (
                RegistrationPolicy {
                    allowed_scopes: Some(scope("read write")),
                    default_scope: scope("read admin"),
                    ..default()
                },
                PolicyError::DefaultScopeNotAllowed,
            ),
            (
                RegistrationPolicy {
                    grant_types: Vec::new(),
                    ..default()
                },
                PolicyError::NothingSupported("grant type"),
            ),
            (
                RegistrationPolicy {
                    auth_methods: Vec::new(),
                    ..default()
                },
                PolicyError::NothingSupported("auth method"),
            ),
        ];
        for (policy, expected) in cases {
            assert_eq!(policy.check(), Err(expected.clone()), "{expected}");
        }
        let narrowed = RegistrationPolicy {
            allowed_scopes: Some(scope("read write")),
            default_scope: scope("read"),
            default_auth_method: AuthMethod::None,
            ..default()
        };
        assert_eq!(narrowed.check(), Ok(()));
    }

    #[test]
    fn support_checks() {
        let policy = RegistrationPolicy::default();
        assert!(policy.supports_grant_type(&GrantType::AUTHORIZATION_CODE));
        assert!(policy.supports_grant_type(&GrantType::CLIENT_CREDENTIALS));
        assert!(!policy.supports_grant_type(&GrantType::IMPLICIT));
        assert!(!policy.supports_grant_type(&GrantType::PASSWORD));
        assert!(policy.supports_response_type(&ResponseType::code()));
        assert!(!policy.supports_response_type(&ResponseType::token()));
        assert!(policy.supports_auth_method(AuthMethod::None));
        assert!(!policy.supports_auth_method(AuthMethod::ClientSecretJwt));
        assert!(!policy.supports_auth_method(AuthMethod::PrivateKeyJwt));

        let permissive = RegistrationPolicy::permissive();
        assert!(permissive.supports_grant_type(&GrantType::IMPLICIT));
        assert!(permissive.supports_grant_type(&GrantType::parse("urn:x:y").unwrap()));
        assert!(permissive.supports_response_type(&ResponseType::parse("code id_token").unwrap()));
        for method in AuthMethod::ALL {
            assert!(permissive.supports_auth_method(method));
        }

        let hybrid = RegistrationPolicy {
            response_types: vec![ResponseType::parse("code id_token").unwrap()],
            ..RegistrationPolicy::default()
        };
        assert!(hybrid.supports_response_type(&ResponseType::parse("id_token code").unwrap()));
        assert!(!hybrid.supports_response_type(&ResponseType::code()));
    }
}
