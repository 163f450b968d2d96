//! The command line's grammar: every command, subcommand and argument as
//! clap reads them (`parse.rs` adds what the derive cannot say).

use clap::{Parser, Subcommand};

use crate::config::Settings;

mod cimd;
mod clients;
mod target;
mod tokens;

pub use cimd::{CimdCheckArgs, CimdCommand};
pub use clients::{
    ClientArgs, ClientsCommand, EventsArgs, ListArgs, PruneArgs, RotateArgs, ValidateArgs,
};
pub use target::Target;
pub use tokens::{CreateArgs, ImportArgs, TokenListArgs, TokensCommand};

/// dcr: OAuth 2.0 Dynamic Client Registration (RFC 7591) for MCP clients.
///
/// Every option is read from its DCR_* environment variable; a flag given on
/// the command line wins over the variable. Options go before or after the
/// subcommand. Parse with `Cli::try_from_args` (`cli/parse.rs`).
#[derive(Debug, Parser)]
#[command(
    name = "dcr-server",
    version,
    about,
    long_about = None,
    after_help = "Logging: DCR_LOG takes an env_logger filter (default: info), for example DCR_LOG=debug or DCR_LOG=dcr_server=debug,actix_web=warn.\nEvery variable is described in docs/configuration.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve registration over HTTP (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage registered clients, straight in the database.
    Clients {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Manage initial access tokens (DCR_REGISTRATION=token), straight in
    /// the database.
    Tokens {
        #[command(flatten)]
        target: Target,
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Check URL client ids (client metadata documents) as the verify call
    /// would, without a database.
    Cimd {
        #[command(subcommand)]
        command: CimdCommand,
    },
    /// Exit 0 when /readyz at DCR_BIND answers 200, non-zero otherwise (the
    /// container's HEALTHCHECK).
    Healthcheck,
    /// Copy the clients of the Next.js registration endpoint's database
    /// (SQLite/libSQL) into this store, keeping their ids and secrets.
    Import(ImportArgs),
}
