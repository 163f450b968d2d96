//! `dcr-server import --from PATH [--dry-run] [--json]`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use dcr_store::{Store, StoreError, read_legacy_clients};

use super::CliError;
use crate::admin::import::{Conversion, Report, convert};
use crate::clock::unix_now;
use crate::config::Config;

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
    pub target: super::Target,
}

pub fn run(args: &ImportArgs, config: &Config, store: &Store) -> Result<(), CliError> {
    let rows = read_legacy_clients(&args.from)?;
    let imported_at = unix_now();
    let mut report = Report {
        dry_run: args.dry_run,
        ..Report::default()
    };
    let mut clients = Vec::new();
    for (position, row) in rows.iter().enumerate() {
        match convert(row, &config.policy, imported_at) {
            Conversion::Client { client, notes } => {
                report
                    .notes
                    .extend(notes.into_iter().map(|note| (client.client_id, note)));
                clients.push(*client);
            }
            Conversion::Skipped(reason) => {
                // The stored id, made safe to print; or the row's place.
                let label = if row.client_id.is_empty() || row.client_id.len() > 100 {
                    format!("row {}", position + 1)
                } else {
                    row.client_id.escape_default().to_string()
                };
                report.skipped.push((label, reason));
            }
        }
    }
    if args.dry_run {
        for client in &clients {
            match store.find_client(&client.client_id) {
                Ok(_) => report.already_present.push(client.client_id),
                Err(StoreError::NotFound) => report.imported.push(client.client_id),
                Err(other) => return Err(other.into()),
            }
        }
    } else {
        let (stored, present) = store.import_clients(&clients, imported_at)?;
        report.imported = stored;
        report.already_present = present;
    }
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
