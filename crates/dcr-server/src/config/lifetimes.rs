//! Settings of how long clients and audit events live, and how often the
//! purge removes those past their time.

use std::time::Duration;

use clap::Args;
use dcr_store::Expiry;

use super::ConfigError;
use super::values::parse_in_range;

#[derive(Debug, Clone, Args)]
pub struct LifetimesSettings {
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

    /// Seconds the audit trail keeps an event; 0 keeps events forever.
    #[arg(long, env = "DCR_AUDIT_RETENTION_SECS", default_value_t = 7_776_000, value_parser = parse_in_range::<u64>("DCR_AUDIT_RETENTION_SECS", 0, 100 * 365 * 86_400))]
    pub audit_retention_secs: u64,

    /// Seconds between two purges of expired clients.
    #[arg(long, env = "DCR_PURGE_INTERVAL_SECS", default_value_t = 300, value_parser = parse_in_range::<u64>("DCR_PURGE_INTERVAL_SECS", 1, 86_400))]
    pub purge_interval_secs: u64,
}

/// The lifetimes of clients and of audit events (0 keeps them forever), and
/// how often the purge enforces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub unused_ttl_secs: u64,
    pub idle_ttl_secs: u64,
    pub audit_retention_secs: u64,
    pub purge_interval: Duration,
}

impl LifetimesSettings {
    pub fn into_config(self) -> Result<Lifetimes, ConfigError> {
        Ok(Lifetimes {
            unused_ttl_secs: self.unused_client_ttl_secs,
            idle_ttl_secs: self.idle_client_ttl_secs,
            audit_retention_secs: self.audit_retention_secs,
            purge_interval: Duration::from_secs(self.purge_interval_secs),
        })
    }
}

impl Lifetimes {
    pub fn expiry_at(self, now: i64) -> Expiry {
        Expiry::at(now, self.unused_ttl_secs, self.idle_ttl_secs)
    }

    pub fn is_off(self) -> bool {
        self.unused_ttl_secs == 0 && self.idle_ttl_secs == 0 && self.audit_retention_secs == 0
    }
}
