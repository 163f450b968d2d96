//! Settings of what a client may register: grant and response types, auth
//! methods, scopes, and how long its secret lasts. What its metadata may
//! hold (redirect URI forms, sizes) is `metadata_limits`.

use clap::Args;
use dcr_core::{PolicyError, RegistrationPolicy};

use super::ConfigError;
use super::metadata_limits::MetadataLimitSettings;
use super::values::{
    AuthMethodArg, GrantTypeArg, ListArg, ResponseTypeArg, ScopeArg, ScopePolicyArg,
    parse_in_range, parse_list, parse_with,
};

#[derive(Debug, Clone, Args)]
pub struct PolicySettings {
    /// Grant types clients may register, comma-separated.
    #[arg(long, env = "DCR_GRANT_TYPES", default_value = "authorization_code,refresh_token,client_credentials", value_parser = parse_list::<GrantTypeArg>("DCR_GRANT_TYPES"))]
    pub grant_types: ListArg<GrantTypeArg>,

    /// Response types clients may register, comma-separated.
    #[arg(long, env = "DCR_RESPONSE_TYPES", default_value = "code", value_parser = parse_list::<ResponseTypeArg>("DCR_RESPONSE_TYPES"))]
    pub response_types: ListArg<ResponseTypeArg>,

    /// Token endpoint auth methods clients may register, comma-separated.
    #[arg(long, env = "DCR_AUTH_METHODS", default_value = "none,client_secret_basic,client_secret_post", value_parser = parse_list::<AuthMethodArg>("DCR_AUTH_METHODS"))]
    pub auth_methods: ListArg<AuthMethodArg>,

    /// Auth method registered when a client names none (RFC 7591: client_secret_basic).
    #[arg(long, env = "DCR_DEFAULT_AUTH_METHOD", default_value = "client_secret_basic", value_parser = parse_with::<AuthMethodArg>("DCR_DEFAULT_AUTH_METHOD", "a token endpoint auth method"))]
    pub default_auth_method: AuthMethodArg,

    /// Space-separated scopes clients may register [default: any].
    #[arg(long, env = "DCR_ALLOWED_SCOPES", value_parser = parse_with::<ScopeArg>("DCR_ALLOWED_SCOPES", "space-separated scope tokens"))]
    pub allowed_scopes: Option<ScopeArg>,

    /// Scope registered when a client asks for none [default: no scope].
    #[arg(long, env = "DCR_DEFAULT_SCOPE", value_parser = parse_with::<ScopeArg>("DCR_DEFAULT_SCOPE", "space-separated scope tokens"))]
    pub default_scope: Option<ScopeArg>,

    /// What to do with requested scopes outside DCR_ALLOWED_SCOPES: reject or narrow.
    #[arg(long, env = "DCR_SCOPE_POLICY", default_value = "reject", value_parser = parse_with::<ScopePolicyArg>("DCR_SCOPE_POLICY", "reject or narrow"))]
    pub scope_policy: ScopePolicyArg,

    /// Seconds until an issued client secret expires; 0 means never.
    #[arg(long, env = "DCR_SECRET_LIFETIME_SECS", default_value_t = 0, value_parser = parse_in_range::<u64>("DCR_SECRET_LIFETIME_SECS", 0, 100 * 365 * 86_400))]
    pub secret_lifetime_secs: u64,

    #[command(flatten)]
    pub metadata: MetadataLimitSettings,
}

impl PolicySettings {
    pub fn into_config(self) -> Result<RegistrationPolicy, ConfigError> {
        let (redirect, limits) = self.metadata.into_config()?;
        let policy = RegistrationPolicy {
            grant_types: self.grant_types.0.into_iter().map(|arg| arg.0).collect(),
            response_types: self.response_types.0.into_iter().map(|arg| arg.0).collect(),
            auth_methods: self.auth_methods.0.into_iter().map(|arg| arg.0).collect(),
            default_auth_method: self.default_auth_method.0,
            allowed_scopes: self.allowed_scopes.map(|arg| arg.0),
            scope_overflow: self.scope_policy.0,
            default_scope: self.default_scope.map(|arg| arg.0).unwrap_or_default(),
            redirect,
            limits,
            secret_lifetime_secs: self.secret_lifetime_secs,
        };
        policy.check().map_err(|err| ConfigError {
            variable: policy_variable(&err),
            message: err.to_string(),
        })?;
        Ok(policy)
    }
}

fn policy_variable(err: &PolicyError) -> &'static str {
    match err {
        PolicyError::ClientSecretJwtUnsupported => "DCR_AUTH_METHODS",
        PolicyError::DefaultAuthMethodNotSupported(_) => "DCR_DEFAULT_AUTH_METHOD",
        PolicyError::DefaultScopeNotAllowed => "DCR_DEFAULT_SCOPE",
        PolicyError::NothingSupported("grant type") => "DCR_GRANT_TYPES",
        PolicyError::NothingSupported(_) => "DCR_AUTH_METHODS",
    }
}
