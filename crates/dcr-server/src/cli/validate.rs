//! `dcr-server clients validate FILE|-`: `POST /admin/validate` from a
//! shell, with no server running and, unless the body names an initial
//! access token, no database either (a CI step that checks a connector's
//! metadata has none).

use std::io::{Read, Write};

use dcr_store::StoredToken;

use super::{CliError, ValidateArgs};
use crate::admin::validate::{NamedToken, named_token, verdict};
use crate::clock::unix_now;
use crate::config::Config;
use crate::http::error::ApiError;
use crate::http::json_body::parse_registration;
use crate::public::decision::{Decided, Rules, active_token, decide};

/// Prints the verdict as JSON; a body that is not valid is an error (exit
/// 1) after it is printed.
pub fn run(args: &ValidateArgs, config: &Config) -> Result<(), CliError> {
    let decided = match read_body(&args.body, config.listeners.max_body_bytes)? {
        Ok(body) => dry_run(&body, config)?,
        Err(too_large) => Err(too_large),
    };
    let answer = verdict(decided, &config.consent.known_clients, unix_now())
        .map_err(|err| CliError::Invalid(format!("the body could not be judged: {err}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{answer:#}")?;
    if answer["valid"] == true {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "the body is not valid: {}",
            answer["error_description"].as_str().unwrap_or_default()
        )))
    }
}

/// At most `limit` bytes (DCR_MAX_BODY_BYTES, as the server reads): a
/// larger body gets the server's `413` as its verdict.
fn read_body(source: &str, limit: usize) -> Result<Result<Vec<u8>, ApiError>, CliError> {
    let reader: Box<dyn Read> = if source == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(source)
            .map_err(|err| CliError::Invalid(format!("cannot read {source}: {err}")))?;
        Box::new(file)
    };
    let mut body = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut body)
        .map_err(|err| CliError::Invalid(format!("cannot read {source}: {err}")))?;
    if body.len() > limit {
        return Ok(Err(ApiError::PayloadTooLarge { limit }));
    }
    Ok(Ok(body))
}

/// The server's steps (`admin::routes::validate`), with the token read
/// straight from the database: `Ok` holds the decision, `Err` a database
/// that could not be read.
fn dry_run(body: &[u8], config: &Config) -> Result<Result<Decided, ApiError>, CliError> {
    let token = match named_token(body, config.registration.mode) {
        Ok(NamedToken::Raw(raw)) => match token_in_database(&raw, config)? {
            Some(token) => Some(token),
            None => return Ok(Err(ApiError::InvalidInitialAccessToken)),
        },
        Ok(NamedToken::None) => None,
        Err(refused) => return Ok(Err(refused)),
    };
    let rules = Rules {
        policy: &config.policy,
        consent: &config.consent,
        statements: &config.software_statements,
    };
    Ok(parse_registration(body).and_then(|document| {
        decide(
            document,
            rules,
            token.as_ref().map(|token| &token.policy),
            unix_now(),
        )
    }))
}

/// The active token `raw` in the database DCR_DATABASE_URL names, opened
/// as it is (never created or migrated: a dry run changes nothing).
fn token_in_database(raw: &str, config: &Config) -> Result<Option<StoredToken>, CliError> {
    let store = super::database::open(config, false)?;
    let found = active_token(&store, raw, unix_now());
    store.close(config.database.store.acquire_timeout);
    found.map_err(|err| CliError::Operation(err.into()))
}
