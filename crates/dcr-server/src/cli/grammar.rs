//! The command line's grammar: every command, subcommand and argument as
//! clap reads them (`parse.rs` adds what the derive cannot say).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use dcr_core::Overlap;

use crate::admin::listing::Status;
use crate::config::Settings;

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
    /// Exit 0 when /readyz at DCR_BIND answers 200, non-zero otherwise (the
    /// container's HEALTHCHECK).
    Healthcheck,
    /// Copy the clients of the Next.js registration endpoint's database
    /// (SQLite/libSQL) into this store, keeping their ids and secrets.
    Import(ImportArgs),
}

/// Whether a shell command may create the database it is pointed at.
#[derive(Debug, Clone, Copy, Args)]
pub struct Target {
    /// Create the SQLite file of DCR_DATABASE_URL if it is not there (without
    /// it, a missing file is an error, not a new empty database).
    #[arg(long, global = true)]
    pub create: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// List clients, oldest first.
    List(ListArgs),
    /// Show one client.
    Show(ClientArgs),
    /// Stop a client from passing credential checks.
    Disable(ClientArgs),
    /// Let a disabled client pass credential checks again.
    Enable(ClientArgs),
    /// Delete a client for good.
    Delete(ClientArgs),
    /// Issue a new secret (printed once); the old one stops working, at once
    /// or after --keep-old-for.
    RotateSecret(RotateArgs),
    /// What happened to a client (also after it was deleted), oldest first.
    Events(EventsArgs),
    /// Delete the clients past DCR_UNUSED_CLIENT_TTL_SECS or
    /// DCR_IDLE_CLIENT_TTL_SECS now (as the server does every
    /// DCR_PURGE_INTERVAL_SECS). Deletes only when both lifetimes are stated
    /// (flags or environment), as the server has them; otherwise a dry run.
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// List the clients that would go (name, age, reason), and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Whether both lifetimes came from flags or the environment rather
    /// than from the defaults (set by `Cli::try_from_args`).
    #[arg(skip)]
    pub lifetimes_stated: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The client's client_id.
    pub client_id: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The client's client_id.
    pub client_id: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only clients whose name contains this (case-insensitive).
    #[arg(long)]
    pub name: Option<String>,
    /// Only clients with this software_id.
    #[arg(long)]
    pub software_id: Option<String>,
    /// Only clients with a redirect URI on this host.
    #[arg(long)]
    pub redirect_host: Option<String>,
    /// Only active or only disabled clients.
    #[arg(long, value_enum, default_value_t = Status::All)]
    pub status: Status,
    /// Most clients to list (1 to 1000).
    #[arg(long, default_value_t = crate::admin::listing::DEFAULT_PAGE)]
    pub limit: usize,
    /// Start after this cursor (printed at the end of a full page).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Keep the old secret working for SECONDS more (0 to 2592000, 30
    /// days), so whoever holds it can switch; 0, the default, ends it at
    /// once.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_overlap)]
    pub keep_old_for: Overlap,
}

fn parse_overlap(raw: &str) -> Result<Overlap, String> {
    let too_long = |_| dcr_core::OverlapTooLong.to_string();
    raw.parse::<u64>()
        .map_err(|_| dcr_core::OverlapTooLong.to_string())
        .and_then(|secs| Overlap::from_secs(secs).map_err(too_long))
}

/// `dcr-server tokens ...`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue an initial access token (printed once).
    Create(CreateArgs),
    /// List every token, newest first (never the tokens themselves).
    List(TokenListArgs),
    /// Show one token.
    Show(TokenArgs),
    /// Revoke a token: it authorizes no more registrations.
    Revoke(TokenArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Seconds until the token stops working [default: never].
    #[arg(long)]
    pub expires_in: Option<u64>,
    /// Registrations it may authorize [default: any number].
    #[arg(long)]
    pub max_uses: Option<u64>,
    /// Who it is for, shown in lists.
    #[arg(long)]
    pub description: Option<String>,
    /// The scopes its registrations may ask for, space-separated (replaces
    /// DCR_ALLOWED_SCOPES for them).
    #[arg(long)]
    pub scope: Option<String>,
    /// A host (or *.domain) of https or loopback redirect URIs, or a
    /// private-use scheme with its colon (cursor:); repeat for more.
    #[arg(long = "redirect-host")]
    pub redirect_hosts: Vec<String>,
    /// An auth method its registrations may use; repeat for more.
    // Ids apart from the settings DCR_AUTH_METHODS and DCR_GRANT_TYPES, which
    // reach every subcommand (`cli/parse.rs`).
    #[arg(long = "auth-method", id = "token_auth_methods")]
    pub auth_methods: Vec<String>,
    /// A grant type its registrations may use; repeat for more.
    #[arg(long = "grant-type", id = "token_grant_types")]
    pub grant_types: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token's id (iat_...), never the token.
    pub id: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `dcr-server import --from PATH [--dry-run] [--json]`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The SQLite/libSQL database file of the Next.js registration endpoint.
    #[arg(long)]
    pub from: PathBuf,
    /// Report what would be imported, and store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}
