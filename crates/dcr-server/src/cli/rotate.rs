//! `clients rotate-secret`: the admin API's rotation from a shell, the same
//! operation (core's rotation, then the store's compare-and-swap) and the
//! same JSON answer.

use std::io::Write;

use clap::Args;
use dcr_core::{Overlap, RotateError};
use dcr_store::{Store, StoreError};
use rand::rngs::OsRng;
use serde_json::Value;

use super::{CliError, ClientArgs, find, format_time, not_found};
use crate::admin::views::rotation_view;
use crate::config::Config;

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

pub(super) fn rotate_secret(
    config: &Config,
    store: &Store,
    args: &RotateArgs,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let raw_id = &args.client.client_id;
    let client = find(store, raw_id)?;
    let now = crate::clock::unix_now();
    let rotation = client
        .rotate_secret(
            &config.policy,
            now,
            args.keep_old_for,
            config.hashing.secret_hashing,
            &mut OsRng,
        )
        .map_err(|err| match err {
            RotateError::NotConfidential => CliError::Invalid(
                "cannot rotate: this client authenticates without a secret".to_owned(),
            ),
            RotateError::Hash(err) => CliError::Invalid(format!("cannot rotate: {err}")),
        })?;
    store
        .rotate_secret(
            &client.client_id,
            &rotation.replaces,
            &rotation.credentials,
            &dcr_core::Occasion::admin(crate::clock::unix_now()),
        )
        .map_err(|err| match err {
            StoreError::Conflict(_) => CliError::Invalid(
                "the secret changed while this rotation ran (another rotation or an update): nothing was stored; show the client and rotate again if needed".to_owned(),
            ),
            other => not_found(other, raw_id),
        })?;
    let view = rotation_view(&client.client_id, &rotation);
    if args.client.json {
        writeln!(out, "{}", Value::Object(view))?;
        return Ok(());
    }
    let expires_at = rotation.credentials.secret_expires_at().unwrap_or(0);
    writeln!(out, "client_id:     {}", client.client_id)?;
    writeln!(out, "client_secret: {}", rotation.secret.expose())?;
    writeln!(
        out,
        "expires:       {}",
        if expires_at == 0 {
            "never".to_owned()
        } else {
            format_time(expires_at)
        }
    )?;
    match rotation.previous_secret_expires_at() {
        Some(previous) => writeln!(
            out,
            "\nThe secret is shown only now; the old one keeps working until {}.",
            format_time(previous)
        )?,
        None => writeln!(
            out,
            "\nThe secret is shown only now; the old one no longer works."
        )?,
    }
    Ok(())
}
