//! Settings of the two listeners: where they bind, what the public one is
//! called and whose forwarding headers it believes, and how the admin one
//! is guarded.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use url::Url;

use super::ConfigError;
use super::ip_range::IpRange;
use super::values::{
    AdminToken, ListArg, parse_admin_token, parse_in_range, parse_list, parse_public_url,
    parse_with,
};

#[derive(Debug, Clone, Args)]
pub struct ListenerSettings {
    /// Address of the public listener.
    #[arg(long, env = "DCR_BIND", default_value = "127.0.0.1:8080", value_parser = parse_with::<SocketAddr>("DCR_BIND", "a socket address such as 0.0.0.0:8080"))]
    pub bind: SocketAddr,

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

    /// External base URL of this service as clients see it behind the gateway
    /// (for example https://auth.example.com). Unset: derived from each request.
    #[arg(long, env = "DCR_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<Url>,

    /// HTTP worker threads [default: the number of CPUs].
    #[arg(long, env = "DCR_WORKERS", value_parser = parse_in_range::<usize>("DCR_WORKERS", 1, 1024))]
    pub workers: Option<usize>,

    /// Largest request body in bytes.
    #[arg(long, env = "DCR_MAX_BODY_BYTES", default_value_t = 65_536, value_parser = parse_in_range::<usize>("DCR_MAX_BODY_BYTES", 1024, 16 * 1024 * 1024))]
    pub max_body_bytes: usize,

    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT (0: stop at once).
    #[arg(long, env = "DCR_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30, value_parser = parse_in_range::<u64>("DCR_SHUTDOWN_TIMEOUT_SECS", 0, 3600))]
    pub shutdown_timeout_secs: u64,
}

/// The listeners, checked.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    pub bind: SocketAddr,
    pub public_url: Option<Url>,
    pub trusted_proxies: Vec<IpRange>,
    pub admin_bind: SocketAddr,
    pub admin_token: Option<AdminToken>,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout: Duration,
}

impl ListenerSettings {
    pub fn into_config(self) -> Result<ListenerConfig, ConfigError> {
        Ok(ListenerConfig {
            bind: self.bind,
            public_url: self.public_url,
            trusted_proxies: self.trusted_proxies.map(|list| list.0).unwrap_or_default(),
            admin_bind: self.admin_bind,
            admin_token: self.admin_token,
            workers: self.workers.unwrap_or_else(super::cpus),
            max_body_bytes: self.max_body_bytes,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
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
