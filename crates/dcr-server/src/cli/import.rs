//! `dcr-server import --from PATH [--dry-run] [--json]`.

use std::io::Write;

use dcr_store::Store;

use super::{CliError, ImportArgs};
use crate::admin::import::Report;
use crate::admin::operations::housekeeping::import;
use crate::clock::unix_now;
use crate::config::Config;

pub fn run(args: &ImportArgs, config: &Config, store: &Store) -> Result<(), CliError> {
    let report = import(store, &args.from, &config.policy, unix_now(), args.dry_run)?;
    print(&report, args.json, &mut std::io::stdout().lock())
}

fn print(report: &Report, json: bool, out: &mut impl Write) -> Result<(), CliError> {
    if json {
        writeln!(out, "{}", report.to_json())?;
        return Ok(());
    }
    let verb = if report.dry_run {
        "would import"
    } else {
        "imported"
    };
    writeln!(
        out,
        "{verb} {} client(s); {} already present; {} skipped",
        report.imported.len(),
        report.already_present.len(),
        report.skipped.len()
    )?;
    for (client_id, reason) in &report.skipped {
        writeln!(out, "skipped {client_id}: {reason}")?;
    }
    for (client_id, note) in &report.notes {
        writeln!(out, "note {client_id}: {note}")?;
    }
    Ok(())
}
