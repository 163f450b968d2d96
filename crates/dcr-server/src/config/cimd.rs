//! Settings of URL client ids (Client ID Metadata Documents).

use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use dcr_core::HostPattern;

use super::ConfigError;
use super::values::{BoolArg, ListArg, parse_in_range, parse_list, parse_with};

#[derive(Debug, Clone, Args)]
pub struct CimdSettings {
    /// URL client ids (Client ID Metadata Documents): on or off.
    #[arg(long, env = "DCR_CIMD", default_value = "on", value_parser = parse_with::<BoolArg>("DCR_CIMD", "on or off"))]
    pub cimd: BoolArg,

    /// Largest metadata document fetched, in bytes.
    #[arg(long, env = "DCR_CIMD_MAX_BYTES", default_value_t = 5120, value_parser = parse_in_range::<usize>("DCR_CIMD_MAX_BYTES", 256, 1_048_576))]
    pub cimd_max_bytes: usize,

    /// Milliseconds a document fetch may take in all (connect, TLS, body).
    #[arg(long, env = "DCR_CIMD_TIMEOUT_MS", default_value_t = 3000, value_parser = parse_in_range::<u64>("DCR_CIMD_TIMEOUT_MS", 100, 60_000))]
    pub cimd_timeout_ms: u64,

    /// Least seconds a fetched document is cached, whatever its headers say.
    #[arg(long, env = "DCR_CIMD_MIN_TTL_SECS", default_value_t = 300, value_parser = parse_in_range::<u64>("DCR_CIMD_MIN_TTL_SECS", 0, 30 * 86_400))]
    pub cimd_min_ttl_secs: u64,

    /// Most seconds a fetched document is cached, whatever its headers say.
    #[arg(long, env = "DCR_CIMD_MAX_TTL_SECS", default_value_t = 86_400, value_parser = parse_in_range::<u64>("DCR_CIMD_MAX_TTL_SECS", 1, 30 * 86_400))]
    pub cimd_max_ttl_secs: u64,

    /// Comma-separated hosts (or *.domain patterns) whose URL client ids are
    /// accepted [default: every public host].
    #[arg(long, env = "DCR_CIMD_ALLOWED_HOSTS", value_parser = parse_list::<HostPatternArg>("DCR_CIMD_ALLOWED_HOSTS"))]
    pub cimd_allowed_hosts: Option<ListArg<HostPatternArg>>,

    /// Comma-separated hosts (or *.domain patterns) whose URL client ids are
    /// refused; wins over DCR_CIMD_ALLOWED_HOSTS [default: none].
    #[arg(long, env = "DCR_CIMD_BLOCKED_HOSTS", value_parser = parse_list::<HostPatternArg>("DCR_CIMD_BLOCKED_HOSTS"))]
    pub cimd_blocked_hosts: Option<ListArg<HostPatternArg>>,

    /// Development and tests only: also fetch http://127.0.0.1:PORT/...
    /// (and localhost, [::1]) documents.
    #[arg(long, env = "DCR_CIMD_ALLOW_HTTP_LOOPBACK", default_value = "false", value_parser = parse_with::<BoolArg>("DCR_CIMD_ALLOW_HTTP_LOOPBACK", "true or false"))]
    pub cimd_allow_http_loopback: BoolArg,

    /// Document fetches under way at once; more lookups wait for a turn
    /// within DCR_CIMD_TIMEOUT_MS.
    #[arg(long, env = "DCR_CIMD_MAX_FETCHES", default_value_t = 16, value_parser = parse_in_range::<usize>("DCR_CIMD_MAX_FETCHES", 1, 1024))]
    pub cimd_max_fetches: usize,

    /// Of those, fetches under way at once for one host, so that one host
    /// cannot take every turn [default: a quarter of DCR_CIMD_MAX_FETCHES,
    /// rounded up].
    #[arg(long, env = "DCR_CIMD_MAX_FETCHES_PER_HOST", value_parser = parse_in_range::<usize>("DCR_CIMD_MAX_FETCHES_PER_HOST", 1, 1024))]
    pub cimd_max_fetches_per_host: Option<usize>,
}

/// A host pattern of configuration (see `dcr_core::HostPattern`).
#[derive(Debug, Clone)]
pub struct HostPatternArg(pub HostPattern);

impl FromStr for HostPatternArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        HostPattern::parse(raw)
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a host name or *.domain pattern"))
    }
}

/// URL client ids, checked.
#[derive(Debug, Clone)]
pub struct CimdConfig {
    pub enabled: bool,
    pub max_bytes: usize,
    pub timeout: Duration,
    pub min_ttl: Duration,
    pub max_ttl: Duration,
    pub allowed_hosts: Vec<HostPattern>,
    pub blocked_hosts: Vec<HostPattern>,
    pub allow_http_loopback: bool,
    pub max_fetches: usize,
    /// At most `max_fetches`.
    pub max_fetches_per_host: usize,
}

impl CimdSettings {
    pub fn into_config(self) -> Result<CimdConfig, ConfigError> {
        if self.cimd_min_ttl_secs > self.cimd_max_ttl_secs {
            return Err(ConfigError {
                variable: "DCR_CIMD_MIN_TTL_SECS",
                message: format!(
                    "must not exceed DCR_CIMD_MAX_TTL_SECS ({})",
                    self.cimd_max_ttl_secs
                ),
            });
        }
        let max_fetches_per_host = self
            .cimd_max_fetches_per_host
            .unwrap_or(self.cimd_max_fetches.div_ceil(4));
        if max_fetches_per_host > self.cimd_max_fetches {
            return Err(ConfigError {
                variable: "DCR_CIMD_MAX_FETCHES_PER_HOST",
                message: format!(
                    "must not exceed DCR_CIMD_MAX_FETCHES ({})",
                    self.cimd_max_fetches
                ),
            });
        }
        let patterns = |list: Option<ListArg<HostPatternArg>>| {
            list.map(|list| list.0.into_iter().map(|arg| arg.0).collect())
                .unwrap_or_default()
        };
        Ok(CimdConfig {
            enabled: self.cimd.0,
            max_bytes: self.cimd_max_bytes,
            timeout: Duration::from_millis(self.cimd_timeout_ms),
            min_ttl: Duration::from_secs(self.cimd_min_ttl_secs),
            max_ttl: Duration::from_secs(self.cimd_max_ttl_secs),
            allowed_hosts: patterns(self.cimd_allowed_hosts),
            blocked_hosts: patterns(self.cimd_blocked_hosts),
            allow_http_loopback: self.cimd_allow_http_loopback.0,
            max_fetches: self.cimd_max_fetches,
            max_fetches_per_host,
        })
    }
}

impl CimdConfig {
    /// Whether URL client ids on `host` are accepted: not blocked, and
    /// allowed when an allow list is set.
    pub fn accepts_host(&self, host: &str) -> bool {
        !self
            .blocked_hosts
            .iter()
            .any(|pattern| pattern.matches(host))
            && (self.allowed_hosts.is_empty()
                || self
                    .allowed_hosts
                    .iter()
                    .any(|pattern| pattern.matches(host)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(allowed: &[&str], blocked: &[&str]) -> CimdConfig {
        let patterns = |raw: &[&str]| raw.iter().map(|p| HostPattern::parse(p).unwrap()).collect();
        CimdConfig {
            enabled: true,
            max_bytes: 5120,
            timeout: Duration::from_secs(3),
            min_ttl: Duration::from_secs(300),
            max_ttl: Duration::from_secs(86_400),
            allowed_hosts: patterns(allowed),
            blocked_hosts: patterns(blocked),
            allow_http_loopback: false,
            max_fetches: 16,
            max_fetches_per_host: 4,
        }
    }

    #[test]
    fn blocked_hosts_win_and_an_allow_list_narrows() {
        let cases = [
            (config(&[], &[]), "claude.ai", true),
            (config(&[], &["claude.ai"]), "claude.ai", false),
            (config(&["*.example.com"], &[]), "a.example.com", true),
            (config(&["*.example.com"], &[]), "claude.ai", false),
            (
                config(&["*.example.com"], &["bad.example.com"]),
                "bad.example.com",
                false,
            ),
        ];
        for (config, host, accepted) in cases {
            assert_eq!(config.accepts_host(host), accepted, "{host}");
        }
    }

    /// One host's share of the fetches: a quarter by default (rounded up),
    /// never more than all of them.
    #[test]
    fn a_host_gets_a_quarter_of_the_fetches_unless_set() {
        let per_host = |max: usize, set: Option<usize>| {
            let mut settings = crate::config::Settings::defaults().cimd;
            settings.cimd_max_fetches = max;
            settings.cimd_max_fetches_per_host = set;
            settings
                .into_config()
                .map(|config| config.max_fetches_per_host)
        };
        assert_eq!(per_host(16, None).unwrap(), 4);
        assert_eq!(per_host(2, None).unwrap(), 1);
        assert_eq!(per_host(10, None).unwrap(), 3);
        assert_eq!(per_host(16, Some(16)).unwrap(), 16);
        let err = per_host(16, Some(17)).unwrap_err();
        assert_eq!(err.variable, "DCR_CIMD_MAX_FETCHES_PER_HOST");
    }
}
