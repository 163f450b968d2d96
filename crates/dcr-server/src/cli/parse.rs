//! The command line, with what the derive cannot say: every setting is
//! global, so `clients list --database-url ...` works as well as
//! `--database-url ... clients list`, and `clients prune` learns whether
//! the lifetimes were stated or left to their defaults.

use std::collections::HashSet;
use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches};

use super::{Cli, ClientsCommand, Command};
use crate::config::Settings;

/// The settings `clients prune` needs as the server has them: its defaults
/// say nothing about the server's.
const PRUNE_LIFETIMES: [&str; 2] = ["unused_client_ttl_secs", "idle_client_ttl_secs"];

impl Cli {
    /// Parses a command line (`main` passes the process's; a refused one is
    /// reported by `exit::command_line_refused`).
    pub fn try_from_args(
        args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    ) -> Result<Self, clap::Error> {
        let matches = Self::command_with_global_settings().try_get_matches_from(args)?;
        let mut cli = Self::from_arg_matches(&matches)?;
        if let Some(Command::Clients {
            command: ClientsCommand::Prune(prune),
            ..
        }) = &mut cli.command
        {
            prune.lifetimes_stated = PRUNE_LIFETIMES.iter().all(|id| stated(&matches, id));
        }
        Ok(cli)
    }

    /// The command tree, every setting accepted after any subcommand.
    pub fn command_with_global_settings() -> clap::Command {
        let settings = setting_ids();
        Self::command().mut_args(|arg| {
            if settings.contains(arg.get_id().as_str()) {
                // Under their own heading, so a subcommand's help shows its
                // own options first rather than among sixty settings.
                arg.global(true).help_heading("Settings")
            } else {
                arg
            }
        })
    }
}

/// The ids of the settings (`DCR_*`); no subcommand may use one for its own
/// argument, or the setting would stop at that subcommand.
pub fn setting_ids() -> HashSet<String> {
    Settings::augment_args(clap::Command::new("settings"))
        .get_arguments()
        .map(|arg| arg.get_id().to_string())
        .collect()
}

/// Given on the command line or in the environment, at any level: a global
/// argument is recorded where it was written.
fn stated(matches: &ArgMatches, id: &str) -> bool {
    let here = matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    here || matches.subcommand().is_some_and(|(_, sub)| stated(sub, id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// Every argument of every subcommand, with its path, id and long flag.
    fn subcommand_args(
        command: &clap::Command,
        path: &str,
        found: &mut Vec<(String, String, String)>,
    ) {
        for sub in command.get_subcommands() {
            let path = format!("{path} {}", sub.get_name());
            for arg in sub.get_arguments() {
                let long = arg.get_long().unwrap_or_default().to_owned();
                found.push((path.clone(), arg.get_id().to_string(), long));
            }
            subcommand_args(sub, &path, found);
        }
    }

    #[test]
    fn no_subcommand_argument_shadows_a_setting() {
        let settings = Settings::augment_args(clap::Command::new("settings"));
        let ids = setting_ids();
        let longs: HashSet<String> = settings
            .get_arguments()
            .filter_map(|arg| arg.get_long().map(str::to_owned))
            .collect();
        assert!(ids.contains("database_url") && longs.contains("database-url"));
        let mut found = Vec::new();
        subcommand_args(&Cli::command(), "dcr-server", &mut found);
        assert!(found.iter().any(|(_, id, _)| id == "json"), "{found:?}");
        let collisions: Vec<String> = found
            .iter()
            .filter(|(_, id, long)| ids.contains(id) || longs.contains(long))
            .map(|(path, id, long)| format!("{path}: {id} (--{long})"))
            .collect();
        assert!(
            collisions.is_empty(),
            "arguments named like a setting: {collisions:?}"
        );
        Cli::command_with_global_settings().debug_assert();
    }

    #[test]
    fn settings_work_after_the_subcommand() {
        for args in [
            &[
                "dcr-server",
                "clients",
                "list",
                "--database-url",
                "/tmp/x.sqlite3",
            ][..],
            &[
                "dcr-server",
                "--database-url",
                "/tmp/x.sqlite3",
                "clients",
                "list",
            ],
            &[
                "dcr-server",
                "clients",
                "--database-url",
                "/tmp/x.sqlite3",
                "list",
            ],
            &[
                "dcr-server",
                "import",
                "--from",
                "old.db",
                "--database-url",
                "/tmp/x.sqlite3",
            ],
            &[
                "dcr-server",
                "tokens",
                "list",
                "--database-url=/tmp/x.sqlite3",
            ],
        ] {
            let cli = Cli::try_from_args(args).unwrap();
            assert_eq!(
                cli.settings.database.database_url.to_string(),
                "sqlite /tmp/x.sqlite3",
                "{args:?}"
            );
        }
    }

    #[test]
    fn create_is_taken_before_or_after_the_clients_subcommand() {
        for args in [
            &["dcr-server", "clients", "--create", "list"][..],
            &["dcr-server", "clients", "list", "--create"],
            &["dcr-server", "tokens", "list", "--create"],
            &["dcr-server", "import", "--from", "x", "--create"],
        ] {
            let create = match Cli::try_from_args(args).unwrap().command.unwrap() {
                Command::Clients { target, .. } | Command::Tokens { target, .. } => target.create,
                Command::Import(import) => import.target.create,
                _ => panic!("{args:?}"),
            };
            assert!(create, "{args:?}");
        }
        assert!(Cli::try_from_args(["dcr-server", "migrate", "--create"]).is_err());
    }

    #[test]
    fn prune_knows_whether_both_lifetimes_were_given() {
        let stated = |args: &[&str]| match Cli::try_from_args(args).unwrap().command.unwrap() {
            Command::Clients {
                command: ClientsCommand::Prune(prune),
                ..
            } => prune.lifetimes_stated,
            _ => panic!("{args:?}"),
        };
        // The environment is the process's: these tests run without the two variables.
        assert!(!stated(&["dcr-server", "clients", "prune"]));
        assert!(!stated(&[
            "dcr-server",
            "clients",
            "prune",
            "--unused-client-ttl-secs",
            "0"
        ]));
        assert!(stated(&[
            "dcr-server",
            "--idle-client-ttl-secs",
            "0",
            "clients",
            "prune",
            "--unused-client-ttl-secs",
            "86400",
        ]));
    }
}
