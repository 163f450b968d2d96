//! Settings of software statements (RFC 7591 section 2.3): whether a
//! registration's `software_statement` is read, and whose statements are
//! trusted, with their public keys. The keys are read here, once: a
//! statement never makes the server fetch anything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use dcr_core::software_statement::{StatementMode, TrustedIssuers};
use serde_json::Value;

use super::ConfigError;
use super::values::parse_with;

const MODE: &str = "DCR_SOFTWARE_STATEMENTS";
const ISSUERS: &str = "DCR_SOFTWARE_STATEMENT_ISSUERS";
/// Bytes of the issuers file and of each key set file it names.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Args)]
pub struct SoftwareStatementSettings {
    /// Software statements: off (a software_statement member is ignored),
    /// accept (one, when present, must verify; its claims take precedence
    /// over the body) or require (every registration without an initial
    /// access token must carry one that verifies).
    #[arg(long, env = MODE, default_value = "off", value_parser = parse_with::<StatementMode>(MODE, "off, accept or require"))]
    pub software_statements: StatementMode,

    /// A JSON file mapping each trusted issuer (iss) to its public keys: a
    /// JSON Web Key Set, inline or the path of a file holding one (relative
    /// paths from the issuers file's folder). Needed by accept and require
    /// [default: none].
    #[arg(long, env = ISSUERS)]
    pub software_statement_issuers: Option<PathBuf>,
}

/// Software statements, checked, with the trusted issuers' keys loaded.
#[derive(Debug, Clone, Default)]
pub struct SoftwareStatementConfig {
    pub mode: StatementMode,
    pub issuers: Arc<TrustedIssuers>,
}

impl SoftwareStatementSettings {
    pub fn into_config(self) -> Result<SoftwareStatementConfig, ConfigError> {
        let error = |variable, message| ConfigError { variable, message };
        let issuers = match &self.software_statement_issuers {
            Some(path) => load_issuers(path).map_err(|message| error(ISSUERS, message))?,
            None if self.software_statements == StatementMode::Off => TrustedIssuers::default(),
            None => {
                return Err(error(
                    MODE,
                    format!(
                        "{} needs {ISSUERS}, the trusted issuers and their keys",
                        self.software_statements.as_str()
                    ),
                ));
            }
        };
        Ok(SoftwareStatementConfig {
            mode: self.software_statements,
            issuers: Arc::new(issuers),
        })
    }
}

fn load_issuers(path: &Path) -> Result<TrustedIssuers, String> {
    let file = read_json(path)?;
    let folder = path.parent().unwrap_or(Path::new(""));
    TrustedIssuers::from_json(&file, &mut |named| read_json(&folder.join(named)))
        .map_err(|err| format!("{}: {err}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let cannot = |err: &dyn std::fmt::Display| format!("cannot read {}: {err}", path.display());
    let size = std::fs::metadata(path).map_err(|err| cannot(&err))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {MAX_FILE_BYTES} bytes",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|err| cannot(&err))?;
    serde_json::from_str(&text).map_err(|err| format!("{} is not JSON: {err}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const KEYS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dcr-core/tests/data/statements/public.jwks.json"
    );

    fn settings(mode: StatementMode, issuers: Option<PathBuf>) -> SoftwareStatementSettings {
        SoftwareStatementSettings {
            software_statements: mode,
            software_statement_issuers: issuers,
        }
    }

    #[test]
    fn start_up_refuses_a_missing_or_bad_issuers_file() {
        let folder = std::env::temp_dir().join(format!("dcr-statements-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let write = |name: &str, text: &str| {
            let path = folder.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let by_path = write(
            "by-path.json",
            &format!(r#"{{"https://registry.example.com": "{KEYS}"}}"#),
        );
        let inline = write(
            "inline.json",
            &format!(
                r#"{{"https://registry.example.com": {}}}"#,
                std::fs::read_to_string(KEYS).unwrap()
            ),
        );
        let hmac = write(
            "hmac.json",
            r#"{"https://registry.example.com": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}"#,
        );
        let not_json = write("not-json.json", "{");
        let missing_keys = write("missing.json", r#"{"https://a.example": "nowhere.json"}"#);
        let cases = [
            (StatementMode::Off, None, None),
            (StatementMode::Accept, None, Some(MODE)),
            (StatementMode::Require, None, Some(MODE)),
            (StatementMode::Accept, Some(by_path), None),
            (StatementMode::Require, Some(inline), None),
            (StatementMode::Accept, Some(hmac.clone()), Some(ISSUERS)),
            // A bad file is refused whatever the mode.
            (StatementMode::Off, Some(hmac), Some(ISSUERS)),
            (StatementMode::Accept, Some(not_json), Some(ISSUERS)),
            (StatementMode::Accept, Some(missing_keys), Some(ISSUERS)),
            (
                StatementMode::Accept,
                Some(folder.join("absent.json")),
                Some(ISSUERS),
            ),
        ];
        for (mode, path, refused_by) in cases {
            let outcome = settings(mode, path.clone()).into_config();
            match (outcome, refused_by) {
                (Ok(config), None) => {
                    assert_eq!(config.mode, mode);
                    assert_eq!(config.issuers.len(), usize::from(path.is_some()));
                }
                (Err(err), Some(variable)) => {
                    assert_eq!(err.variable, variable, "{path:?}: {err}");
                }
                (outcome, _) => panic!("{mode:?} {path:?}: {outcome:?}"),
            }
        }
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
