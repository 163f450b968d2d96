//! Configuration, read once from `DCR_*` environment variables (or the matching
//! flags) into one typed value that is passed in, never a global.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser};
use dcr_core::{BcryptCost, Limits, RedirectPolicy, RegistrationPolicy, SecretHashing};
use dcr_store::{DatabaseUrl, StoreConfig};

use crate::admission::rate_limit::{Rate, RateSetting};
use crate::purge::Lifetimes;
use url::Url;

mod cimd;
mod consent;
mod discovery;
pub mod ip_range;
mod values;
pub use crate::config::ip_range::IpRange;
pub use cimd::{CimdConfig, CimdSettings, HostPatternArg};
pub use consent::{ConsentConfig, ConsentSettings, ReservedNames};
pub use discovery::Discovery;
pub use values::{
    AdminToken, AuthMethodArg, BoolArg, GrantTypeArg, ListArg, NativeSchemeArg, RegistrationMode,
    ResponseTypeArg, ScopeArg, ScopePolicyArg, SecretHashArg, TokenArg,
};
use values::{
    parse_absolute_url, parse_admin_token, parse_database_url, parse_in_range, parse_list,
    parse_public_url, parse_with,
};

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address of the public listener.
    #[arg(long, env = "DCR_BIND", default_value = "127.0.0.1:8080", value_parser = parse_with::<SocketAddr>("DCR_BIND", "a socket address such as 0.0.0.0:8080"))]
    pub bind: SocketAddr,

    /// A postgres:// URL (several hosts allowed: h1:5432,h2:5432 with
    /// ?target_session_attrs=read-write), or a SQLite file as a path or sqlite:// URL.
    #[arg(long, env = "DCR_DATABASE_URL", default_value = "dcr.sqlite3", value_parser = parse_database_url, hide_env_values = true)]
    pub database_url: DatabaseUrl,

    /// Most database connections held open at once.
    #[arg(long, env = "DCR_DATABASE_POOL_SIZE", default_value_t = 16, value_parser = parse_in_range::<u32>("DCR_DATABASE_POOL_SIZE", 1, 1000))]
    pub database_pool_size: u32,

    /// Milliseconds to wait for a database connection before answering 503.
    #[arg(long, env = "DCR_DATABASE_TIMEOUT_MS", default_value_t = 3000, value_parser = parse_in_range::<u64>("DCR_DATABASE_TIMEOUT_MS", 50, 600_000))]
    pub database_timeout_ms: u64,

    /// Threads that write registrations; each writes what queued up meanwhile
    /// as one multi-row INSERT (group commit).
    #[arg(long, env = "DCR_DATABASE_WRITERS", default_value_t = 4, value_parser = parse_in_range::<usize>("DCR_DATABASE_WRITERS", 1, 256))]
    pub database_writers: usize,

    /// Registrations that may wait for a writer before new ones get 503.
    #[arg(long, env = "DCR_DATABASE_QUEUE", default_value_t = 4096, value_parser = parse_in_range::<usize>("DCR_DATABASE_QUEUE", 1, 1_000_000))]
    pub database_queue: usize,

    /// Address of the admin listener (client management, credential checks).
    /// Without DCR_ADMIN_TOKEN it is bound to loopback whatever this says.
    #[arg(long, env = "DCR_ADMIN_BIND", default_value = "127.0.0.1:9090", value_parser = parse_with::<SocketAddr>("DCR_ADMIN_BIND", "a socket address such as 127.0.0.1:9090"))]
    pub admin_bind: SocketAddr,

    /// Bearer token the admin listener requires [default: none, loopback only].
    #[arg(long, env = "DCR_ADMIN_TOKEN", hide_env_values = true, value_parser = parse_admin_token)]
    pub admin_token: Option<AdminToken>,

    /// Comma-separated addresses or CIDR ranges of the gateways whose
    /// X-Forwarded-Proto and X-Forwarded-Host are believed [default: none].
    #[arg(long, env = "DCR_TRUSTED_PROXIES", value_parser = parse_list::<IpRange>("DCR_TRUSTED_PROXIES"))]
    pub trusted_proxies: Option<ListArg<IpRange>>,

    /// Registrations one client address may make: <count>/<second|minute|hour>
    /// (at most count at once, refilled over the period), or off.
    #[arg(long, env = "DCR_RATE_LIMIT", default_value = "60/hour", value_parser = parse_with::<RateSetting>("DCR_RATE_LIMIT", "a rate such as 60/hour, or off"))]
    pub rate_limit: RateSetting,

    /// Registrations from all addresses together: <count>/<second|minute|hour>, or off.
    #[arg(long, env = "DCR_RATE_LIMIT_GLOBAL", default_value = "6000/minute", value_parser = parse_with::<RateSetting>("DCR_RATE_LIMIT_GLOBAL", "a rate such as 6000/minute, or off"))]
    pub rate_limit_global: RateSetting,

    /// Comma-separated addresses or CIDR ranges exempt from DCR_RATE_LIMIT
    /// (still counted by DCR_RATE_LIMIT_GLOBAL) [default: none].
    #[arg(long, env = "DCR_RATE_LIMIT_EXEMPT", value_parser = parse_list::<IpRange>("DCR_RATE_LIMIT_EXEMPT"))]
    pub rate_limit_exempt: Option<ListArg<IpRange>>,

    /// Failed credentials at the verify call per end-client address and
    /// period (the address the token endpoint passes as client_address, else
    /// the caller's); past it, wrong answers become 429 and untagged secrets
    /// wait for bcrypt. <count>/<second|minute|hour>, or off.
    #[arg(long, env = "DCR_FAILED_AUTH_LIMIT", default_value = "10/minute", value_parser = parse_with::<RateSetting>("DCR_FAILED_AUTH_LIMIT", "a rate such as 10/minute, or off"))]
    pub failed_auth_limit: RateSetting,

    /// `issuer` of the authorization server metadata (RFC 8414)
    /// [default: the public base URL].
    #[arg(long, env = "DCR_ISSUER", value_parser = parse_absolute_url("DCR_ISSUER"))]
    pub issuer: Option<Url>,

    /// The authorization server's authorization endpoint, for the metadata.
    #[arg(long, env = "DCR_AUTHORIZATION_ENDPOINT", value_parser = parse_absolute_url("DCR_AUTHORIZATION_ENDPOINT"))]
    pub authorization_endpoint: Option<Url>,

    /// The authorization server's token endpoint, for the metadata.
    #[arg(long, env = "DCR_TOKEN_ENDPOINT", value_parser = parse_absolute_url("DCR_TOKEN_ENDPOINT"))]
    pub token_endpoint: Option<Url>,

    /// PKCE methods the authorization server supports, comma-separated.
    #[arg(long, env = "DCR_CODE_CHALLENGE_METHODS", default_value = "S256", value_parser = parse_list::<TokenArg>("DCR_CODE_CHALLENGE_METHODS"))]
    pub code_challenge_methods: ListArg<TokenArg>,

    /// External base URL of this service as clients see it behind the gateway
    /// (for example https://auth.example.com). Unset: derived from each request.
    #[arg(long, env = "DCR_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<Url>,

    /// How new client secrets are hashed: bcrypt (at DCR_BCRYPT_COST) or
    /// sha256. Stored hashes of either scheme always verify.
    #[arg(long, env = "DCR_SECRET_HASH", default_value = "bcrypt", value_parser = parse_with::<SecretHashArg>("DCR_SECRET_HASH", "bcrypt or sha256"))]
    pub secret_hash: SecretHashArg,

    /// bcrypt work factor for client secrets (4 to 31). Lower it only in tests.
    #[arg(long, env = "DCR_BCRYPT_COST", default_value_t = 12, value_parser = parse_in_range::<u32>("DCR_BCRYPT_COST", 4, 31))]
    pub bcrypt_cost: u32,

    /// Threads that hash secrets at once [default: the number of CPUs].
    #[arg(long, env = "DCR_BCRYPT_THREADS", value_parser = parse_in_range::<usize>("DCR_BCRYPT_THREADS", 1, 256))]
    pub bcrypt_threads: Option<usize>,

    /// Secret checks the verify call remembers, so a client's repeated token
    /// requests cost one bcrypt comparison, not one each; 0 turns it off.
    #[arg(long, env = "DCR_VERIFY_CACHE_SIZE", default_value_t = 10_000, value_parser = parse_in_range::<usize>("DCR_VERIFY_CACHE_SIZE", 0, 10_000_000))]
    pub verify_cache_size: usize,

    /// Seconds within which a client's repeated valid checks (or used
    /// reports) do not write its last_used_at again; 0 writes every use.
    #[arg(long, env = "DCR_LAST_USED_RESOLUTION_SECS", default_value_t = 60, value_parser = parse_in_range::<u64>("DCR_LAST_USED_RESOLUTION_SECS", 0, 86_400))]
    pub last_used_resolution_secs: u64,

    /// Threads that check secrets for the admin verify call (the token
    /// endpoint's check), apart from registration's: a burst of confidential
    /// registrations never delays a token request [default: the number of CPUs].
    #[arg(long, env = "DCR_VERIFY_THREADS", value_parser = parse_in_range::<usize>("DCR_VERIFY_THREADS", 1, 256))]
    pub verify_threads: Option<usize>,

    /// Registrations that may wait for a hashing thread before new ones get 503.
    #[arg(long, env = "DCR_BCRYPT_QUEUE", default_value_t = 256, value_parser = parse_in_range::<usize>("DCR_BCRYPT_QUEUE", 1, 1_000_000))]
    pub bcrypt_queue: usize,

    /// Seconds after registration at which a client never used (no successful
    /// verify call or used report) is deleted, counted from the deployment's
    /// first such call at the earliest (before it, nothing is deleted); 0
    /// keeps such clients.
    #[arg(long, env = "DCR_UNUSED_CLIENT_TTL_SECS", default_value_t = 604_800, value_parser = parse_in_range::<u64>("DCR_UNUSED_CLIENT_TTL_SECS", 0, 100 * 365 * 86_400))]
    pub unused_client_ttl_secs: u64,

    /// Seconds after its last use at which a client is deleted; 0 keeps used
    /// clients forever (7776000, 90 days, is a common choice).
    #[arg(long, env = "DCR_IDLE_CLIENT_TTL_SECS", default_value_t = 0, value_parser = parse_in_range::<u64>("DCR_IDLE_CLIENT_TTL_SECS", 0, 100 * 365 * 86_400))]
    pub idle_client_ttl_secs: u64,

    /// How log lines are written: text (for people) or json (one object
    /// per line, for log pipelines).
    #[arg(long, env = "DCR_LOG_FORMAT", default_value = "text", value_parser = parse_with::<crate::observability::logging::LogFormat>("DCR_LOG_FORMAT", "text or json"))]
    pub log_format: crate::observability::logging::LogFormat,

    #[command(flatten)]
    pub cimd: CimdSettings,

    #[command(flatten)]
    pub consent: ConsentSettings,

    /// Seconds the audit trail keeps an event; 0 keeps events forever.
    #[arg(long, env = "DCR_AUDIT_RETENTION_SECS", default_value_t = 7_776_000, value_parser = parse_in_range::<u64>("DCR_AUDIT_RETENTION_SECS", 0, 100 * 365 * 86_400))]
    pub audit_retention_secs: u64,

    /// Public-client registrations share one client per metadata: each is
    /// answered with the active client registered with equal metadata, and
    /// none (the first included) gets a registration access token.
    #[arg(long, env = "DCR_DEDUP_PUBLIC", default_value = "false", value_parser = parse_with::<BoolArg>("DCR_DEDUP_PUBLIC", "true or false"))]
    pub dedup_public: BoolArg,

    /// Who may register: open (anyone) or token (only with an initial
    /// access token from the admin API).
    #[arg(long, env = "DCR_REGISTRATION", default_value = "open", value_parser = parse_with::<RegistrationMode>("DCR_REGISTRATION", "open or token"))]
    pub registration: RegistrationMode,

    /// Seconds between two purges of expired clients.
    #[arg(long, env = "DCR_PURGE_INTERVAL_SECS", default_value_t = 300, value_parser = parse_in_range::<u64>("DCR_PURGE_INTERVAL_SECS", 1, 86_400))]
    pub purge_interval_secs: u64,

    /// Milliseconds of waiting a request may face in a hashing line (the
    /// line ahead, times the time per item, over the threads); a longer
    /// wait is answered 503 at once, with Retry-After. The time per item is
    /// the measured average plus twice its deviation; until a hash is
    /// measured, an estimate from DCR_BCRYPT_COST.
    #[arg(long, env = "DCR_QUEUE_MAX_WAIT_MS", default_value_t = 2000, value_parser = parse_in_range::<u64>("DCR_QUEUE_MAX_WAIT_MS", 1, 600_000))]
    pub queue_max_wait_ms: u64,

    /// HTTP worker threads [default: the number of CPUs].
    #[arg(long, env = "DCR_WORKERS", value_parser = parse_in_range::<usize>("DCR_WORKERS", 1, 1024))]
    pub workers: Option<usize>,

    /// Largest request body in bytes.
    #[arg(long, env = "DCR_MAX_BODY_BYTES", default_value_t = 65_536, value_parser = parse_in_range::<usize>("DCR_MAX_BODY_BYTES", 1024, 16 * 1024 * 1024))]
    pub max_body_bytes: usize,

    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT (0: stop at once).
    #[arg(long, env = "DCR_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30, value_parser = parse_in_range::<u64>("DCR_SHUTDOWN_TIMEOUT_SECS", 0, 3600))]
    pub shutdown_timeout_secs: u64,

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

    /// Accept private-use redirect schemes such as cursor:// (RFC 8252 section 7.1).
    #[arg(long, env = "DCR_ALLOW_CUSTOM_SCHEMES", default_value = "true", value_parser = parse_with::<BoolArg>("DCR_ALLOW_CUSTOM_SCHEMES", "true or false"))]
    pub allow_custom_schemes: BoolArg,

    /// Private-use redirect schemes without a dot to accept, comma-separated;
    /// schemes with a dot (com.example.app) are reverse domain names and need
    /// no listing (RFC 8252 section 7.1).
    #[arg(long, env = "DCR_NATIVE_SCHEMES", default_value = "cursor,vscode,vscode-insiders,windsurf", value_parser = parse_list::<NativeSchemeArg>("DCR_NATIVE_SCHEMES"))]
    pub native_schemes: ListArg<NativeSchemeArg>,

    /// Accept http://localhost redirects besides loopback IP literals.
    #[arg(long, env = "DCR_ALLOW_LOCALHOST", default_value = "true", value_parser = parse_with::<BoolArg>("DCR_ALLOW_LOCALHOST", "true or false"))]
    pub allow_localhost: BoolArg,

    /// Most redirect URIs in one registration.
    #[arg(long, env = "DCR_MAX_REDIRECT_URIS", default_value_t = 20, value_parser = parse_in_range::<usize>("DCR_MAX_REDIRECT_URIS", 1, 1000))]
    pub max_redirect_uris: usize,

    /// Most contacts in one registration.
    #[arg(long, env = "DCR_MAX_CONTACTS", default_value_t = 10, value_parser = parse_in_range::<usize>("DCR_MAX_CONTACTS", 0, 1000))]
    pub max_contacts: usize,

    /// Most items in grant_types, response_types, the scope, the jwks keys,
    /// and most language-tagged members (client_name#fr, ...) in one request.
    #[arg(long, env = "DCR_MAX_LIST_ITEMS", default_value_t = 32, value_parser = parse_in_range::<usize>("DCR_MAX_LIST_ITEMS", 1, 1000))]
    pub max_list_items: usize,

    /// Longest string member (name, URL, contact, scope) in bytes.
    #[arg(long, env = "DCR_MAX_STRING_LENGTH", default_value_t = 2000, value_parser = parse_in_range::<usize>("DCR_MAX_STRING_LENGTH", 16, 65_536))]
    pub max_string_length: usize,

    /// Seconds until an issued client secret expires; 0 means never.
    #[arg(long, env = "DCR_SECRET_LIFETIME_SECS", default_value_t = 0, value_parser = parse_in_range::<u64>("DCR_SECRET_LIFETIME_SECS", 0, 100 * 365 * 86_400))]
    pub secret_lifetime_secs: u64,
}

/// Everything the application needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub store: StoreConfig,
    pub database_writers: usize,
    pub database_queue: usize,
    pub public_url: Option<Url>,
    pub admin_bind: SocketAddr,
    pub admin_token: Option<AdminToken>,
    pub trusted_proxies: Vec<IpRange>,
    pub rate_limit: Option<Rate>,
    pub rate_limit_global: Option<Rate>,
    pub rate_limit_exempt: Vec<IpRange>,
    pub failed_auth_limit: Option<Rate>,
    pub discovery: Discovery,
    pub bcrypt_cost: BcryptCost,
    /// How new secrets are hashed (`DCR_SECRET_HASH`, with the cost).
    pub secret_hashing: SecretHashing,
    pub bcrypt_threads: usize,
    pub bcrypt_queue: usize,
    pub queue_max_wait: Duration,
    pub lifetimes: Lifetimes,
    pub registration: RegistrationMode,
    pub dedup_public: bool,
    pub cimd: CimdConfig,
    pub consent: ConsentConfig,
    pub purge_interval: Duration,
    pub verify_threads: usize,
    pub verify_cache_size: usize,
    pub last_used_resolution_secs: u64,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout: Duration,
    pub policy: RegistrationPolicy,
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl Settings {
    /// The built-in defaults, whatever `DCR_*` variables the environment
    /// holds: what tests start from, so a variable left in a developer's
    /// shell cannot change them.
    pub fn defaults() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let without_environment = Only::command().mut_args(|arg| arg.env(None));
        // Parsing an empty command line cannot fail: every default parses.
        match without_environment
            .try_get_matches_from(["dcr-server"])
            .and_then(|matches| Only::from_arg_matches(&matches))
        {
            Ok(only) => only.settings,
            Err(err) => unreachable_defaults(&err),
        }
    }

    pub fn into_config(self) -> Result<Config, ConfigError> {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let bcrypt_cost = BcryptCost::new(self.bcrypt_cost).map_err(|err| ConfigError {
            variable: "DCR_BCRYPT_COST",
            message: err.to_string(),
        })?;
        let policy = RegistrationPolicy {
            grant_types: self.grant_types.0.into_iter().map(|arg| arg.0).collect(),
            response_types: self.response_types.0.into_iter().map(|arg| arg.0).collect(),
            auth_methods: self.auth_methods.0.into_iter().map(|arg| arg.0).collect(),
            default_auth_method: self.default_auth_method.0,
            allowed_scopes: self.allowed_scopes.map(|arg| arg.0),
            scope_overflow: self.scope_policy.0,
            default_scope: self.default_scope.map(|arg| arg.0).unwrap_or_default(),
            redirect: RedirectPolicy {
                allow_custom_schemes: self.allow_custom_schemes.0,
                allow_localhost: self.allow_localhost.0,
                max_length: self.max_string_length,
                native_schemes: self.native_schemes.0.into_iter().map(|arg| arg.0).collect(),
            },
            limits: Limits {
                max_redirect_uris: self.max_redirect_uris,
                max_contacts: self.max_contacts,
                max_string_length: self.max_string_length,
                max_list_items: self.max_list_items,
            },
            secret_lifetime_secs: self.secret_lifetime_secs,
        };
        policy.check().map_err(|err| ConfigError {
            variable: policy_variable(&err),
            message: err.to_string(),
        })?;
        let discovery = Discovery::new(
            self.issuer,
            self.authorization_endpoint,
            self.token_endpoint,
            self.code_challenge_methods
                .0
                .into_iter()
                .map(|method| method.0)
                .collect(),
            self.public_url.as_ref(),
            &policy.grant_types,
        );
        let mut store = StoreConfig::new(self.database_url);
        store.pool_size = self.database_pool_size;
        store.acquire_timeout = Duration::from_millis(self.database_timeout_ms);
        Ok(Config {
            bind: self.bind,
            store,
            database_writers: self.database_writers,
            database_queue: self.database_queue,
            public_url: self.public_url,
            admin_bind: self.admin_bind,
            admin_token: self.admin_token,
            trusted_proxies: self.trusted_proxies.map(|list| list.0).unwrap_or_default(),
            rate_limit: self.rate_limit.0,
            rate_limit_global: self.rate_limit_global.0,
            rate_limit_exempt: self
                .rate_limit_exempt
                .map(|list| list.0)
                .unwrap_or_default(),
            failed_auth_limit: self.failed_auth_limit.0,
            discovery,
            bcrypt_cost,
            secret_hashing: match self.secret_hash {
                SecretHashArg::Bcrypt => SecretHashing::Bcrypt(bcrypt_cost),
                SecretHashArg::Sha256 => SecretHashing::Sha256,
            },
            bcrypt_threads: self.bcrypt_threads.unwrap_or(cpus),
            bcrypt_queue: self.bcrypt_queue,
            queue_max_wait: Duration::from_millis(self.queue_max_wait_ms),
            lifetimes: Lifetimes {
                unused_ttl_secs: self.unused_client_ttl_secs,
                idle_ttl_secs: self.idle_client_ttl_secs,
                audit_retention_secs: self.audit_retention_secs,
            },
            registration: self.registration,
            dedup_public: self.dedup_public.0,
            cimd: self.cimd.into_config()?,
            consent: self.consent.into_config()?,
            purge_interval: Duration::from_secs(self.purge_interval_secs),
            verify_threads: self.verify_threads.unwrap_or(cpus),
            verify_cache_size: self.verify_cache_size,
            last_used_resolution_secs: self.last_used_resolution_secs,
            workers: self.workers.unwrap_or(cpus),
            max_body_bytes: self.max_body_bytes,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
            policy,
        })
    }
}

/// Facing a network, the service must know its own URL: deriving it from
/// each request's `Host` lets anyone choose the URLs dcr hands out (as
/// Keycloak refuses to start in production without a hostname). On loopback,
/// for development, it is derived.
///
/// Only serving needs it: `migrate` and `clients` run with the same
/// environment (a container's `DCR_BIND=0.0.0.0:8080`) and serve nothing.
pub fn check_public_url(bind: SocketAddr, public_url: Option<&Url>) -> Result<(), ConfigError> {
    if bind.ip().is_loopback() || public_url.is_some() {
        return Ok(());
    }
    Err(ConfigError {
        variable: "DCR_PUBLIC_URL",
        message: format!(
            "must be set when DCR_BIND ({bind}) is not a loopback address: set it to the URL clients reach this service at, for example DCR_PUBLIC_URL=https://auth.example.com"
        ),
    })
}

#[allow(clippy::panic)] // the built-in defaults are constants: a failure is a build defect
fn unreachable_defaults(err: &clap::Error) -> ! {
    panic!("built-in configuration defaults do not parse: {err}")
}

fn policy_variable(err: &dcr_core::PolicyError) -> &'static str {
    use dcr_core::PolicyError;
    match err {
        PolicyError::ClientSecretJwtUnsupported => "DCR_AUTH_METHODS",
        PolicyError::DefaultAuthMethodNotSupported(_) => "DCR_DEFAULT_AUTH_METHOD",
        PolicyError::DefaultScopeNotAllowed => "DCR_DEFAULT_SCOPE",
        PolicyError::NothingSupported("grant type") => "DCR_GRANT_TYPES",
        PolicyError::NothingSupported(_) => "DCR_AUTH_METHODS",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
