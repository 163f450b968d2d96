//! The grammar of `dcr-server clients ...`.

use clap::{Args, Subcommand};
use dcr_core::Overlap;

use crate::admin::listing::Status;

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
    /// Check a registration body without registering it: prints what it
    /// would become, or the error POST /register would answer (JSON, as
    /// POST /admin/validate answers), and exits 1 when it is not valid.
    /// Needs no database unless the body names an initial_access_token.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The registration body: a file, or - for standard input. An
    /// `initial_access_token` member decides it under that token's policy
    /// (read from the database; no use is spent).
    #[arg(value_name = "FILE|-")]
    pub body: String,
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
