//! `clients rotate-secret`: the admin API's rotation from a shell, the same
//! operation (core's rotation, then the store's compare-and-swap) and the
//! same JSON answer (`admin::operations::rotation`).

use std::io::Write;

use dcr_store::Store;
use serde_json::Value;

use super::{CliError, RotateArgs, format_time};
use crate::admin::operations::ClientRef;
use crate::admin::operations::rotation::{self, RotationRules};
use crate::admin::views::rotation_view;
use crate::config::Config;

pub(super) fn rotate_secret(
    config: &Config,
    store: &Store,
    args: &RotateArgs,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let rules = RotationRules {
        policy: &config.policy,
        hashing: config.hashing.secret_hashing,
    };
    let client = ClientRef::parse(&args.client.client_id)?;
    let (client_id, rotation) = rotation::rotate_secret(store, &client, rules, args.keep_old_for)?;
    let view = rotation_view(&client_id, &rotation);
    if args.client.json {
        writeln!(out, "{}", Value::Object(view))?;
        return Ok(());
    }
    let expires_at = rotation.credentials.secret_expires_at().unwrap_or(0);
    writeln!(out, "client_id:     {client_id}")?;
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
