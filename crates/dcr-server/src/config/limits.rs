//! Settings of the rate limits: registrations per client address and in
//! all, and failed credentials at the verify call.

use std::str::FromStr;
use std::time::Duration;

use clap::Args;

use super::ConfigError;
use super::ip_range::IpRange;
use super::values::{ListArg, parse_list, parse_with};

#[derive(Debug, Clone, Args)]
pub struct LimitsSettings {
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
}

/// The rate limits, checked; `None` is off.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub rate_limit: Option<Rate>,
    pub rate_limit_global: Option<Rate>,
    pub rate_limit_exempt: Vec<IpRange>,
    pub failed_auth_limit: Option<Rate>,
}

impl LimitsSettings {
    pub fn into_config(self) -> Result<LimitsConfig, ConfigError> {
        Ok(LimitsConfig {
            rate_limit: self.rate_limit.0,
            rate_limit_global: self.rate_limit_global.0,
            rate_limit_exempt: self
                .rate_limit_exempt
                .map(|list| list.0)
                .unwrap_or_default(),
            failed_auth_limit: self.failed_auth_limit.0,
        })
    }
}

/// `<count>/<second|minute|hour>`: at most `count` at once, refilled evenly
/// over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        let invalid = || format!("{raw:?} is not a rate such as 60/hour, or off");
        let (count, period) = raw.split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let per = match period.trim() {
            "second" => Duration::from_secs(1),
            "minute" => Duration::from_secs(60),
            "hour" => Duration::from_secs(3600),
            _ => return Err(invalid()),
        };
        if count == 0 {
            return Err(invalid());
        }
        Ok(Self { count, per })
    }
}

/// A rate limit setting: a rate, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSetting(pub Option<Rate>);

impl FromStr for RateSetting {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        if raw.trim().eq_ignore_ascii_case("off") {
            Ok(Self(None))
        } else {
            raw.parse().map(|rate| Self(Some(rate)))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rate(raw: &str) -> Rate {
        raw.parse().unwrap()
    }

    #[test]
    fn rates_parse() {
        assert_eq!(
            rate("60/hour"),
            Rate {
                count: 60,
                per: Duration::from_secs(3600)
            }
        );
        assert_eq!(rate(" 5 / second ").count, 5);
        assert_eq!(rate("100/minute").per, Duration::from_secs(60));
        for bad in ["", "60", "60/day", "0/hour", "-1/hour", "x/hour", "60/"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
        assert_eq!("off".parse::<RateSetting>(), Ok(RateSetting(None)));
        assert_eq!("OFF".parse::<RateSetting>(), Ok(RateSetting(None)));
        assert_eq!(
            "2/second".parse::<RateSetting>(),
            Ok(RateSetting(Some(rate("2/second"))))
        );
    }
}
