//! The operator's work on many clients at once: the purge of clients past
//! their lifetime (now, or what it would delete), and the import of the
//! Next.js registration endpoint's clients.

use std::path::Path;

use dcr_core::{RegisteredClient, RegistrationPolicy};
use dcr_store::{Store, StoreError, read_legacy_clients};

use super::OperationError;
use crate::admin::import::{Conversion, Report, convert};
use crate::config::Lifetimes;
use crate::purge;

/// When the never-used rule was armed (`None`: not yet).
pub fn unused_rule_armed_at(store: &Store) -> Result<Option<i64>, OperationError> {
    Ok(store.unused_purge_armed_at()?)
}

/// The clients a purge would delete at `now`.
pub fn expired_clients(
    store: &Store,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<Vec<RegisteredClient>, OperationError> {
    let expired = store.expired_clients(&lifetimes.expiry_at(now), i64::MAX)?;
    let mut clients = Vec::with_capacity(expired.len());
    for client_id in &expired {
        match store.find_client(client_id) {
            Ok(client) => clients.push(client),
            // Deleted meanwhile (by the server's purge, say): not to go now.
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(clients)
}

/// Deletes the clients past their lifetime now: how many, or `None` when
/// another process is purging.
pub fn purge_now(store: &Store, lifetimes: Lifetimes) -> Result<Option<usize>, OperationError> {
    Ok(purge::purge_now(store, lifetimes)?)
}

/// Imports the clients of the database file `from` under `policy` (today's
/// rules), or with `dry_run` only says what would be imported.
pub fn import(
    store: &Store,
    from: &Path,
    policy: &RegistrationPolicy,
    imported_at: i64,
    dry_run: bool,
) -> Result<Report, OperationError> {
    let rows = read_legacy_clients(from)?;
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    let mut clients = Vec::new();
    for (position, row) in rows.iter().enumerate() {
        match convert(row, policy, imported_at) {
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
    if dry_run {
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
    Ok(report)
}
