//! Settings of who may register, and whether public clients with equal
//! metadata share one registration.

use std::str::FromStr;

use clap::Args;

use super::ConfigError;
use super::values::{BoolArg, parse_with};

#[derive(Debug, Clone, Args)]
pub struct RegistrationSettings {
    /// Who may register: open (anyone) or token (only with an initial
    /// access token from the admin API).
    #[arg(long, env = "DCR_REGISTRATION", default_value = "open", value_parser = parse_with::<RegistrationMode>("DCR_REGISTRATION", "open or token"))]
    pub registration: RegistrationMode,

    /// Public-client registrations share one client per metadata: each is
    /// answered with the active client registered with equal metadata, and
    /// none (the first included) gets a registration access token.
    #[arg(long, env = "DCR_DEDUP_PUBLIC", default_value = "false", value_parser = parse_with::<BoolArg>("DCR_DEDUP_PUBLIC", "true or false"))]
    pub dedup_public: BoolArg,
}

/// Who may register (`DCR_REGISTRATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegistrationMode {
    /// Anyone; an initial access token, when presented, applies its policy.
    #[default]
    Open,
    /// Only with a valid initial access token (RFC 7591 section 3).
    Token,
}

impl FromStr for RegistrationMode {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "open" => Ok(Self::Open),
            "token" => Ok(Self::Token),
            _ => Err("must be open or token".to_owned()),
        }
    }
}

/// Registration, checked.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationConfig {
    pub mode: RegistrationMode,
    pub dedup_public: bool,
}

impl RegistrationSettings {
    pub fn into_config(self) -> Result<RegistrationConfig, ConfigError> {
        Ok(RegistrationConfig {
            mode: self.registration,
            dedup_public: self.dedup_public.0,
        })
    }
}
