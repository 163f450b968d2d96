//! The dispatch of `dcr-server clients ...`: each command's arguments to
//! its admin operation, and the answer printed.

use std::io::Write;

use dcr_core::RegisteredClient;
use dcr_store::Store;
use serde_json::{Map, Value, json};

use super::events::events;
use super::output::{print_view, write_table};
use super::prune::prune;
use super::rotate::rotate_secret;
use super::{CliError, ClientArgs, ClientsCommand, ListArgs, format_time};
use crate::admin::listing::{ListQuery, ListingError};
use crate::admin::operations::ClientRef;
use crate::admin::operations::clients::{self, Activated};
use crate::admin::views::{
    admin_view, client_view, url_admin_view, url_consent_view, url_state_view,
};
use crate::clock::unix_now;
use crate::config::Config;

/// Runs one `clients` command in `store`.
pub fn run(command: ClientsCommand, config: &Config, store: &Store) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match command {
        ClientsCommand::List(args) => list(&args, store, &mut out),
        ClientsCommand::Show(args) => match ClientRef::parse(&args.client_id)? {
            ClientRef::Url(raw) => show_url_client(&raw, config, store, args.json, &mut out),
            client => {
                let client = clients::show(store, &client)?;
                print_client(&client, config, args.json, &mut out)
            }
        },
        ClientsCommand::Disable(args) => set_active(store, config, &args, false, &mut out),
        ClientsCommand::Enable(args) => set_active(store, config, &args, true, &mut out),
        ClientsCommand::Prune(args) => prune(&args, config, store, &mut out),
        ClientsCommand::Delete(args) => {
            let client_id = clients::delete(store, &ClientRef::parse(&args.client_id)?)?;
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
        // Opens the database itself, and only when it must (see `main`).
        ClientsCommand::Validate(args) => super::validate::run(&args, config),
    }
}

fn list(args: &ListArgs, store: &Store, out: &mut impl Write) -> Result<(), CliError> {
    let asked = ListQuery {
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
            ListingError::Cursor => crate::admin::listing::cursor_not_ours(),
            ListingError::Status | ListingError::ControlCharacter(_) => err.to_string(),
        })
    })?;
    let page = clients::list(store, &asked)?;
    if args.json {
        let views: Vec<Value> = page
            .clients
            .iter()
            .map(|client| Value::Object(admin_view(client)))
            .collect();
        let document = json!({
            "clients": views,
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

/// Disables or enables a client; a URL client id (Client ID Metadata
/// Documents) is recorded as the admin API records it, whether or not its
/// document can be fetched now.
fn set_active(
    store: &Store,
    config: &Config,
    args: &ClientArgs,
    active: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let client = ClientRef::parse(&args.client_id)?;
    match clients::set_active(store, &client, active, config.cimd.allow_http_loopback)? {
        Activated::Registered(client) => print_client(&client, config, args.json, out),
        Activated::Url { url, active } => print_view(url_state_view(&url, active), args.json, out),
    }
}

/// A URL client id as the admin API shows it: its document fetched now, the
/// way the server fetches it (the DCR_CIMD_* settings), and its state.
fn show_url_client(
    raw: &str,
    config: &Config,
    store: &Store,
    json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let (url_clients, runtime) = super::cimd::fetching(config)?;
    let (client, active) =
        runtime.block_on(clients::show_url_client(&url_clients, raw, async |url| {
            clients::url_client_active(store, &url)
        }))?;
    let consent = url_consent_view(&client, &config.consent.known_clients, unix_now());
    let view = match url_admin_view(&client, active, consent) {
        Value::Object(view) => view,
        _ => Map::new(),
    };
    print_view(view, json, out)
}

/// One client, as the admin API shows it: with its consent signals.
fn print_client(
    client: &RegisteredClient,
    config: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let view = client_view(
        client,
        &config.consent.known_clients,
        crate::clock::unix_now(),
    );
    print_view(view, json, out)
}

fn status(client: &RegisteredClient) -> &'static str {
    if client.active { "active" } else { "disabled" }
}
