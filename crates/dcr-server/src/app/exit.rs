//! How the process ends when it cannot do what it was asked: one line,
//! `error: ...`, on standard error, and an exit code that tells an
//! orchestrator whether a restart can help (docs/operations.md, "Exit codes").

use std::fmt::Display;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Why the process stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Something went wrong while running (database unreachable or missing,
    /// a port in use, a command that failed): it may work on another try.
    Runtime,
    /// A setting or argument is refused (a bad value, an unknown flag,
    /// `DCR_PUBLIC_URL` missing, a weak admin token): it fails again until
    /// the configuration changes.
    Settings,
}

impl Failure {
    pub fn code(self) -> u8 {
        match self {
            Self::Runtime => 1,
            Self::Settings => 2,
        }
    }

    /// Prints `error: <message>` as one line (a database's message may span
    /// several) and gives the exit code.
    pub fn report(self, message: impl Display) -> ExitCode {
        // After the log lines that led here, not before them.
        crate::observability::logging::flush();
        eprintln!("error: {}", one_line(&message.to_string()));
        ExitCode::from(self.code())
    }
}

/// A command line clap refused. `--help` and `--version` print as clap
/// prints them. A refused value is never repeated: it may be a secret (the
/// admin token, a database URL with its password), so the message is the
/// value parser's own, which names the variable.
pub fn command_line_refused(err: &clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Printing to a closed stdout is not worth an error of its own.
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(err)
                .map_or_else(|| "invalid value".to_owned(), ToString::to_string);
            match err.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(arg)) => {
                    Failure::Settings.report(format_args!("invalid value for '{arg}': {why}"))
                }
                _ => Failure::Settings.report(why),
            }
        }
        _ => {
            // Clap's own wording (`error: unexpected argument ...`) with its
            // usage hint: it repeats only what was mistyped, never a value.
            let _ = err.print();
            ExitCode::from(Failure::Settings.code())
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_message_over_several_lines_becomes_one() {
        assert_eq!(
            one_line("could not connect:\n    FATAL:  database \"x\" does not exist\n    \n"),
            "could not connect: FATAL: database \"x\" does not exist"
        );
    }
}
