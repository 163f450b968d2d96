//! `dcr-server tokens ...`: initial access tokens from a shell, straight in
//! the database, as the admin API issues them.

use std::io::Write;

use dcr_core::TokenRequest;
use dcr_core::software_statement;
use dcr_store::Store;
use serde_json::{Map, Value, json};

use super::grammar::{CreateArgs, TokenListArgs};
use super::output::{print_view, write_table};
use super::{CliError, TokensCommand, format_time};
use crate::admin::operations::tokens;
use crate::admin::views::token_view;
use crate::clock::unix_now;
use crate::config::Config;

pub fn run(command: TokensCommand, config: &Config, store: &Store) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let now = unix_now();
    match command {
        TokensCommand::Create(args) => create(&args, config, store, now, &mut out),
        TokensCommand::List(args) => list(&args, store, now, &mut out),
        TokensCommand::Show(args) => {
            let token = tokens::show(store, &args.id)?;
            print_view(token_view(&token, now), args.json, &mut out)
        }
        TokensCommand::Revoke(args) => {
            let token = tokens::revoke(store, &args.id, now)?;
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
    if let Some(issuer) = &args.software_statement_issuer {
        policy.insert("software_statement_issuer".into(), issuer.clone().into());
    }
    let body = json!({
        "expires_in": args.expires_in,
        "max_uses": args.max_uses,
        "description": args.description,
        "policy": policy,
    });
    let asked = TokenRequest::from_json(&body, &config.policy)
        .and_then(|asked| {
            software_statement::check_token_issuer(
                &asked.policy,
                &config.software_statements.issuers,
            )?;
            Ok(asked)
        })
        .map_err(|err| CliError::Invalid(flag_error(&err)))?;
    let (token, stored) = tokens::create(store, asked, now)?;
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
        Some("software_statement_issuer") => "--software-statement-issuer",
        _ => "the token",
    };
    format!("{flag}: {}", err.problem)
}

fn list(
    args: &TokenListArgs,
    store: &Store,
    now: i64,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let listed = tokens::list(store)?;
    if args.json {
        let views: Vec<Value> = listed
            .iter()
            .map(|token| Value::Object(token_view(token, now)))
            .collect();
        writeln!(out, "{}", json!({ "tokens": views }))?;
        return Ok(());
    }
    let rows: Vec<[String; 6]> = listed
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
    writeln!(out, "\n{} token(s)", listed.len())?;
    Ok(())
}
