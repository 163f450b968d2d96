//! Settings of the consent signals: which clients are well known, and what
//! a name that claims one of them without being it gets.

use std::io::Read as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use clap::Args;
use dcr_core::consent::KnownClients;

use super::ConfigError;
use super::values::parse_with;

/// The largest `DCR_KNOWN_CLIENTS_FILE` read: the built-in list is a few
/// KiB, and every entry is checked against every client name.
const MAX_KNOWN_CLIENTS_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Args)]
pub struct ConsentSettings {
    /// A JSON file of well-known clients added to the built-in list (same
    /// format as the repository's known-clients.json) [default: none].
    #[arg(long, env = "DCR_KNOWN_CLIENTS_FILE")]
    pub known_clients_file: Option<PathBuf>,

    /// What a registration whose name claims (or looks like) a well-known
    /// client's, without its redirect URIs, gets: flag (registered, and
    /// flagged in the consent signals) or refuse (400).
    #[arg(long, env = "DCR_RESERVED_NAMES", default_value = "flag", value_parser = parse_with::<ReservedNames>("DCR_RESERVED_NAMES", "flag or refuse"))]
    pub reserved_names: ReservedNames,
}

/// `DCR_RESERVED_NAMES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReservedNames {
    #[default]
    Flag,
    Refuse,
}

impl FromStr for ReservedNames {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "flag" => Ok(Self::Flag),
            "refuse" => Ok(Self::Refuse),
            _ => Err("must be flag or refuse".to_owned()),
        }
    }
}

/// The consent signals' configuration, checked and loaded.
#[derive(Debug, Clone)]
pub struct ConsentConfig {
    pub known_clients: Arc<KnownClients>,
    pub reserved_names: ReservedNames,
}

impl ConsentSettings {
    pub fn into_config(self) -> Result<ConsentConfig, ConfigError> {
        let mut known = KnownClients::builtin();
        if let Some(path) = &self.known_clients_file {
            let error = |message: String| ConfigError {
                variable: "DCR_KNOWN_CLIENTS_FILE",
                message,
            };
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|file| {
                    file.take(MAX_KNOWN_CLIENTS_FILE_BYTES + 1)
                        .read_to_string(&mut text)
                })
                .map_err(|err| error(format!("cannot read {}: {err}", path.display())))?;
            if text.len() as u64 > MAX_KNOWN_CLIENTS_FILE_BYTES {
                return Err(error(format!(
                    "{}: is larger than {MAX_KNOWN_CLIENTS_FILE_BYTES} bytes",
                    path.display()
                )));
            }
            let extra = KnownClients::parse(&text)
                .map_err(|err| error(format!("{}: {err}", path.display())))?;
            known = known
                .with(extra)
                .map_err(|err| error(format!("{}: {err}", path.display())))?;
        }
        Ok(ConsentConfig {
            known_clients: Arc::new(known),
            reserved_names: self.reserved_names,
        })
    }
}
