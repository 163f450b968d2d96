//! `dcr-server clients ...`: the admin operations from a shell, straight in
//! the database (no running server needed). Tables for people, `--json` for
//! scripts.

use std::io::Write;

use clap::{Args, Parser, Subcommand};
use dcr_core::{ClientId, RegisteredClient};
use dcr_store::{Store, StoreError};
use serde_json::{Map, Value, json};

pub use crate::admin::listing::Status;
use crate::admin::listing::{ListQuery, ListRequest, ListingError};
use crate::config::{Config, Settings};

pub mod database;
mod events;
pub mod import;
mod output;
mod parse;
mod prune;
mod rotate;
pub mod tokens;
pub use import::ImportArgs;
pub use output::format_time;
pub use tokens::TokensCommand;

use events::events;
use output::{print_view, write_table};
use prune::prune;
pub use rotate::RotateArgs;
use rotate::rotate_secret;

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

/// A failed command: what to tell the operator, and the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("no client has the client_id {0}")]
    NoSuchClient(String),
    #[error("no initial access token has the id {0}")]
    NoSuchToken(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the output: {0}")]
    Output(#[from] std::io::Error),
    #[error(
        "no SQLite database at {0}: run again with --create to create an empty one there, or point DCR_DATABASE_URL (--database-url) at the existing database"
    )]
    NoDatabase(String),
}

pub fn run(command: ClientsCommand, config: &Config, store: &Store) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match command {
        ClientsCommand::List(args) => list(&args, store, &mut out),
        ClientsCommand::Show(args) => {
            let client = find(store, &args.client_id)?;
            print_client(&client, config, args.json, &mut out)
        }
        ClientsCommand::Disable(args) => set_active(store, config, &args, false, &mut out),
        ClientsCommand::Enable(args) => set_active(store, config, &args, true, &mut out),
        ClientsCommand::Prune(args) => prune(&args, config, store, &mut out),
        ClientsCommand::Delete(args) => {
            let client_id = parse_id(&args.client_id)?;
            store
                .delete_client(
                    &client_id,
                    &dcr_core::Occasion::admin(crate::clock::unix_now()),
                )
                .map_err(|err| not_found(err, &args.client_id))?;
            if args.json {
                writeln!(
                    out,
                    "{}",
                    json!({ "client_id": client_id.to_string(), "deleted": true })
                )?;
            } else {
                writeln!(out, "deleted client {client_id}")?;
            }
            Ok(())
        }
        ClientsCommand::RotateSecret(args) => rotate_secret(config, store, &args, &mut out),
        ClientsCommand::Events(args) => events(&args, store, &mut out),
    }
}

fn list(args: &ListArgs, store: &Store, out: &mut impl Write) -> Result<(), CliError> {
    let ListRequest {
        filter,
        limit,
        cursor,
    } = ListQuery {
        name: args.name.clone(),
        software_id: args.software_id.clone(),
        redirect_host: args.redirect_host.clone(),
        status: args.status,
        limit: Some(args.limit),
        cursor: args.cursor.clone(),
    }
    .check()
    .map_err(|err| {
        CliError::Invalid(match err {
            ListingError::Limit => "--limit must be from 1 to 1000".into(),
            ListingError::Cursor => dcr_store::InvalidCursor.to_string(),
            ListingError::Status | ListingError::ControlCharacter(_) => err.to_string(),
        })
    })?;
    let page = store.list_clients(&filter, limit, cursor.as_ref())?;
    if args.json {
        let clients: Vec<Value> = page
            .clients
            .iter()
            .map(|c| Value::Object(view(c)))
            .collect();
        let document = json!({
            "clients": clients,
            "next_cursor": page.next.as_ref().map(ToString::to_string),
        });
        writeln!(out, "{document}")?;
        return Ok(());
    }
    let rows: Vec<[String; 6]> = page
        .clients
        .iter()
        .map(|client| {
            [
                client.client_id.to_string(),
                client.metadata.client_name.clone().unwrap_or_default(),
                client.metadata.token_endpoint_auth_method.to_string(),
                status(client).to_owned(),
                format_time(client.issued_at),
                client
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), format_time),
            ]
        })
        .collect();
    write_table(
        out,
        [
            "CLIENT_ID",
            "NAME",
            "AUTH_METHOD",
            "STATUS",
            "CREATED",
            "LAST_USED",
        ],
        &rows,
    )?;
    match &page.next {
        Some(next) => writeln!(out, "\nmore: --cursor {next}")?,
        None => writeln!(out, "\n{} client(s)", page.clients.len())?,
    }
    Ok(())
}

fn set_active(
    store: &Store,
    config: &Config,
    args: &ClientArgs,
    active: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    if crate::cimd::UrlClients::looks_like_url(&args.client_id) {
        return set_url_client_active(store, config, args, active, out);
    }
    let client_id = parse_id(&args.client_id)?;
    store
        .set_active(
            &client_id,
            active,
            &dcr_core::Occasion::admin(crate::clock::unix_now()),
        )
        .map_err(|err| not_found(err, &args.client_id))?;
    let client = find(store, &args.client_id)?;
    print_client(&client, config, args.json, out)
}

/// A URL client id (Client ID Metadata Documents) is disabled as the admin
/// API does it: recorded, whether or not its document can be fetched now.
fn set_url_client_active(
    store: &Store,
    config: &Config,
    args: &ClientArgs,
    active: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let url = dcr_core::cimd::DocumentUrl::parse(&args.client_id, config.cimd.allow_http_loopback)
        .map_err(|err| CliError::Invalid(format!("the URL client id {err}")))?;
    store.set_url_client_active(
        url.as_str(),
        active,
        &dcr_core::Occasion::admin(crate::clock::unix_now()),
    )?;
    let mut view = Map::new();
    view.insert("client_id".into(), url.as_str().into());
    view.insert("active".into(), active.into());
    view.insert("source".into(), "metadata_document".into());
    print_view(view, args.json, out)
}

/// One client, as the admin API shows it: with its consent signals.
fn print_client(
    client: &RegisteredClient,
    config: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let view = crate::admin::views::client_view(
        client,
        &config.consent.known_clients,
        crate::clock::unix_now(),
    );
    print_view(view, json, out)
}

/// The registration as an operator sees it: the same as the admin API.
fn view(client: &RegisteredClient) -> Map<String, Value> {
    crate::admin::views::admin_view(client)
}

fn status(client: &RegisteredClient) -> &'static str {
    if client.active { "active" } else { "disabled" }
}

fn find(store: &Store, raw_client_id: &str) -> Result<RegisteredClient, CliError> {
    let client_id = parse_id(raw_client_id)?;
    store
        .find_client(&client_id)
        .map_err(|err| not_found(err, raw_client_id))
}

fn parse_id(raw: &str) -> Result<ClientId, CliError> {
    ClientId::parse(raw).map_err(|_| CliError::NoSuchClient(raw.to_owned()))
}

fn not_found(err: StoreError, raw_client_id: &str) -> CliError {
    match err {
        StoreError::NotFound => CliError::NoSuchClient(raw_client_id.to_owned()),
        other => CliError::Store(other),
    }
}
