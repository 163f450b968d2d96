//! Settings of the process's log. `DCR_LOG` (the filter) is read by the
//! logger itself, in env_logger's syntax.

use std::str::FromStr;

use clap::Args;

use super::values::parse_with;

/// Read before the rest of the configuration is checked, so that a refusal
/// is logged in the chosen format: it has no part in `Config`.
#[derive(Debug, Clone, Args)]
pub struct LoggingSettings {
    /// How log lines are written: text (for people) or json (one object
    /// per line, for log pipelines).
    #[arg(long, env = "DCR_LOG_FORMAT", default_value = "text", value_parser = parse_with::<LogFormat>("DCR_LOG_FORMAT", "text or json"))]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("must be text or json".to_owned()),
        }
    }
}
