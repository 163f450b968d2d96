//! Configuration, read once from `DCR_*` environment variables (or the matching
//! flags) into one typed value that is passed in, never a global.
//!
//! Settings come in sections, one file each: a clap `Args` struct of the
//! section's flags that checks itself into its part of `Config`. A new
//! setting goes into its section's struct and `into_config` (and
//! docs/configuration.md); nothing here changes. This module is the bottom
//! layer: the value types the rest of the service reads (`Rate`,
//! `Lifetimes`, `LogFormat`) live in their sections.

use clap::{Args, Parser};
use dcr_core::RegistrationPolicy;

mod cimd;
mod consent;
mod database;
mod discovery;
mod hashing;
pub mod ip_range;
mod lifetimes;
mod limits;
mod listeners;
mod logging;
mod metadata_limits;
mod policy;
mod registration;
mod software_statements;
mod values;
pub use crate::config::ip_range::IpRange;
pub use cimd::{CimdConfig, CimdSettings, HostPatternArg};
pub use consent::{ConsentConfig, ConsentSettings, ReservedNames};
pub use database::{DatabaseConfig, DatabaseSettings};
pub use discovery::{Discovery, DiscoverySettings};
pub use hashing::{HashingConfig, HashingSettings};
pub use lifetimes::{Lifetimes, LifetimesSettings};
pub use limits::{LimitsConfig, LimitsSettings, Rate, RateSetting};
pub use listeners::{ListenerConfig, ListenerSettings, check_public_url};
pub use logging::{LogFormat, LoggingSettings};
pub use metadata_limits::MetadataLimitSettings;
pub use policy::PolicySettings;
pub use registration::{RegistrationConfig, RegistrationMode, RegistrationSettings};
pub use software_statements::{SoftwareStatementConfig, SoftwareStatementSettings};
pub use values::{
    AdminToken, AuthMethodArg, BoolArg, GrantTypeArg, ListArg, NativeSchemeArg, ResponseTypeArg,
    ScopeArg, ScopePolicyArg, SecretHashArg, TokenArg,
};

/// Every setting, by section (in the order of docs/configuration.md).
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub listeners: ListenerSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub registration: RegistrationSettings,
    #[command(flatten)]
    pub limits: LimitsSettings,
    #[command(flatten)]
    pub discovery: DiscoverySettings,
    #[command(flatten)]
    pub lifetimes: LifetimesSettings,
    #[command(flatten)]
    pub cimd: CimdSettings,
    #[command(flatten)]
    pub consent: ConsentSettings,
    #[command(flatten)]
    pub software_statements: SoftwareStatementSettings,
    #[command(flatten)]
    pub hashing: HashingSettings,
    #[command(flatten)]
    pub policy: PolicySettings,
    #[command(flatten)]
    pub logging: LoggingSettings,
}

/// Everything the application needs, checked, by section.
#[derive(Debug, Clone)]
pub struct Config {
    pub listeners: ListenerConfig,
    pub database: DatabaseConfig,
    pub registration: RegistrationConfig,
    pub limits: LimitsConfig,
    pub discovery: Discovery,
    pub lifetimes: Lifetimes,
    pub cimd: CimdConfig,
    pub consent: ConsentConfig,
    pub software_statements: SoftwareStatementConfig,
    pub hashing: HashingConfig,
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

    /// Checks each section; the discovery document is the one part that
    /// depends on others (the public URL, the grant types).
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let listeners = self.listeners.into_config()?;
        let policy = self.policy.into_config()?;
        let discovery = self.discovery.into_config(
            listeners.public_url.as_ref(),
            &policy.grant_types,
            policy.allowed_scopes.is_some(),
        )?;
        Ok(Config {
            database: self.database.into_config()?,
            registration: self.registration.into_config()?,
            limits: self.limits.into_config()?,
            lifetimes: self.lifetimes.into_config()?,
            cimd: self.cimd.into_config()?,
            consent: self.consent.into_config()?,
            software_statements: self.software_statements.into_config()?,
            hashing: self.hashing.into_config()?,
            listeners,
            discovery,
            policy,
        })
    }
}

/// What a thread-count setting defaults to.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[allow(clippy::panic)] // the built-in defaults are constants: a failure is a build defect
fn unreachable_defaults(err: &clap::Error) -> ! {
    panic!("built-in configuration defaults do not parse: {err}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
