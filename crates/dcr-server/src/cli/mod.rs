//! `dcr-server clients ...`, `tokens ...` and `import`: the admin operations
//! (`admin::operations`) from a shell, straight in the database (no running
//! server needed). Tables for people, `--json` for scripts. The grammar is
//! in `grammar`, the dispatch of `clients` in `clients`, the printing in
//! `output`.

pub mod cimd;
mod clients;
pub mod database;
mod events;
mod grammar;
pub mod import;
mod output;
mod parse;
mod prune;
mod rotate;
pub mod tokens;
pub mod validate;

pub use crate::admin::listing::Status;
use crate::admin::operations::OperationError;
pub use clients::run;
pub use grammar::{CimdCheckArgs, CimdCommand, ImportArgs, TokensCommand};
pub use grammar::{
    Cli, ClientArgs, ClientsCommand, Command, EventsArgs, ListArgs, PruneArgs, RotateArgs, Target,
    ValidateArgs,
};
pub use output::format_time;

/// A failed command: what to tell the operator, and the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("no client has the client_id {0}")]
    NoSuchClient(String),
    #[error("no initial access token has the id {0}")]
    NoSuchToken(String),
    #[error("{0}")]
    Invalid(String),
    /// What the operation says went wrong (the store's words).
    #[error(transparent)]
    Operation(OperationError),
    #[error("could not write the output: {0}")]
    Output(#[from] std::io::Error),
    #[error(
        "no SQLite database at {0}: run again with --create to create an empty one there, or point DCR_DATABASE_URL (--database-url) at the existing database"
    )]
    NoDatabase(String),
}

/// What the shell says of each failure of an operation.
impl From<OperationError> for CliError {
    fn from(err: OperationError) -> Self {
        match err {
            OperationError::NoSuchClient(raw) => Self::NoSuchClient(raw),
            OperationError::NoSuchToken(raw) => Self::NoSuchToken(raw),
            OperationError::RotatedMeanwhile => Self::Invalid(
                "the secret changed while this rotation ran (another rotation or an update): nothing was stored; show the client and rotate again if needed".to_owned(),
            ),
            OperationError::Rotate(dcr_core::RotateError::NotConfidential) => Self::Invalid(
                "cannot rotate: this client authenticates without a secret".to_owned(),
            ),
            err @ (OperationError::NotForUrlClient(_)
            | OperationError::NotAUrl(_)
            | OperationError::NoUrlClient(_)
            | OperationError::Rotate(_)) => Self::Invalid(err.to_string()),
            err @ OperationError::Store(_) => Self::Operation(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shell names what the operator typed, and says of a URL client id
    /// what the admin API says.
    #[test]
    fn operation_failures_read_as_the_shell_said_them() {
        let cases = [
            (
                OperationError::NoSuchClient("not-a-client-id".into()),
                "no client has the client_id not-a-client-id",
            ),
            (
                OperationError::NoSuchToken("iat_x".into()),
                "no initial access token has the id iat_x",
            ),
            (
                OperationError::NotForUrlClient("a URL client id has no secret"),
                "a URL client id has no secret",
            ),
            (
                OperationError::NotAUrl(dcr_core::cimd::DocumentUrlError::NotHttps),
                "the URL client id ",
            ),
            (
                OperationError::Rotate(dcr_core::RotateError::NotConfidential),
                "cannot rotate: this client authenticates without a secret",
            ),
            (
                OperationError::RotatedMeanwhile,
                "nothing was stored; show the client and rotate again if needed",
            ),
        ];
        for (err, words) in cases {
            let said = CliError::from(err).to_string();
            assert!(said.contains(words), "{said}");
        }
    }
}
