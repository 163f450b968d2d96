//! `dcr-server tokens ...`: initial access tokens from a shell, straight in
//! the database, as the admin API issues them.

use std::io::Write;

use clap::{Args, Subcommand};
use dcr_core::{Occasion, TokenId, TokenRequest};
use dcr_store::{Store, StoreError};
use serde_json::{Map, Value, json};

use super::{CliError, format_time, print_view, write_table};
use crate::admin::initial_access::issue;
use crate::admin::views::token_view;
use crate::clock::unix_now;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue an initial access token (printed once).
    Create(CreateArgs),
    /// List every token, newest first (never the tokens themselves).
    List(ListArgs),
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
pub struct ListArgs {
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

pub fn run(command: TokensCommand, config: &Config, store: &Store) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let now = unix_now();
    match command {
        TokensCommand::Create(args) => create(&args, config, store, now, &mut out),
        TokensCommand::List(args) => list(&args, store, now, &mut out),
        TokensCommand::Show(args) => {
            let token = store
                .find_token(&parse_id(&args.id)?)
                .map_err(|err| not_found(err, &args.id))?;
            print_view(token_view(&token, now), args.json, &mut out)
        }
        TokensCommand::Revoke(args) => {
            let token = store
                .revoke_token(&parse_id(&args.id)?, &Occasion::admin(now))
                .map_err(|err| not_found(err, &args.id))?;
            print_view(token_view(&token, now), args.json, &mut out)
        }
    }
}

/// The flags become the admin API's body, so both are held to one set of
/// rules and errors.
fn create(
    args: &CreateArgs,
    config: &Config,
    store: &Store,
    now: i64,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let mut policy = Map::new();
    if let Some(scope) = &args.scope {
        policy.insert("scope".into(), scope.clone().into());
    }
    let lists = [
        ("redirect_uri_hosts", &args.redirect_hosts),
        ("token_endpoint_auth_methods", &args.auth_methods),
        ("grant_types", &args.grant_types),
    ];
    for (key, values) in lists {
        if !values.is_empty() {
            policy.insert(key.into(), json!(values));
        }
    }
    let body = json!({
        "expires_in": args.expires_in,
        "max_uses": args.max_uses,
        "description": args.description,
        "policy": policy,
    });
    let asked = TokenRequest::from_json(&body, &config.policy)
        .map_err(|err| CliError::Invalid(flag_error(&err)))?;
    let (token, stored) = issue(asked, now);
    store.insert_token(&stored, &token.digest(), &Occasion::admin(now))?;
    let mut view = token_view(&stored, now);
    view.insert("token".into(), token.expose().into());
    print_view(view, args.json, out)?;
    if !args.json {
        writeln!(
            out,
            "\nThe token is shown only now; only its digest is kept."
        )?;
    }
    Ok(())
}

/// An error about the body, named by the flag that made it.
fn flag_error(err: &dcr_core::MetadataError) -> String {
    let flag = match err
        .pointer
        .split('/')
        .nth(2)
        .or(err.pointer.split('/').nth(1))
    {
        Some("expires_in") => "--expires-in",
        Some("max_uses") => "--max-uses",
        Some("description") => "--description",
        Some("scope") => "--scope",
        Some("redirect_uri_hosts") => "--redirect-host",
        Some("token_endpoint_auth_methods") => "--auth-method",
        Some("grant_types") => "--grant-type",
        _ => "the token",
    };
    format!("{flag}: {}", err.problem)
}

fn list(args: &ListArgs, store: &Store, now: i64, out: &mut impl Write) -> Result<(), CliError> {
    let tokens = store.list_tokens()?;
    if args.json {
        let views: Vec<Value> = tokens
            .iter()
            .map(|token| Value::Object(token_view(token, now)))
            .collect();
        writeln!(out, "{}", json!({ "tokens": views }))?;
        return Ok(());
    }
    let rows: Vec<[String; 6]> = tokens
        .iter()
        .map(|token| {
            [
                token.id.to_string(),
                token.description.clone().unwrap_or_default(),
                token.state(now).as_str().to_owned(),
                match token.max_uses {
                    Some(max) => format!("{}/{max}", token.uses),
                    None => token.uses.to_string(),
                },
                format_time(token.created_at),
                token
                    .expires_at
                    .map_or_else(|| "never".to_owned(), format_time),
            ]
        })
        .collect();
    write_table(
        out,
        ["ID", "DESCRIPTION", "STATE", "USES", "CREATED", "EXPIRES"],
        &rows,
    )?;
    writeln!(out, "\n{} token(s)", tokens.len())?;
    Ok(())
}

fn parse_id(raw: &str) -> Result<TokenId, CliError> {
    TokenId::parse(raw).map_err(|_| CliError::NoSuchToken(raw.to_owned()))
}

fn not_found(err: StoreError, raw: &str) -> CliError {
    match err {
        StoreError::NotFound => CliError::NoSuchToken(raw.to_owned()),
        other => CliError::Store(other),
    }
}
