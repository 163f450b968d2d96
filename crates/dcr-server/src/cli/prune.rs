//! `clients prune`: the purge of clients past their lifetime, now, or as a
//! dry run. It deletes only when both lifetimes are stated: this shell's
//! defaults need not be the server's (a server with
//! DCR_UNUSED_CLIENT_TTL_SECS=0 keeps what the default would delete).
//! When the never-used rule is on but holds back (not armed yet, or armed
//! less than one lifetime ago), both say why on stderr, so the printed
//! result stays what scripts read.

use std::io::Write;

use dcr_store::Store;
use serde_json::{Value, json};

use super::output::write_table;
use super::{CliError, PruneArgs, format_time};
use crate::admin::operations::housekeeping::{expired_clients, purge_now, unused_rule_armed_at};
use crate::config::{Config, Lifetimes};
use crate::purge;

/// Why a dry run is all `clients prune` does without both lifetimes.
const IMPLIED_DRY_RUN: &str = "dry run: deleting nothing, since DCR_UNUSED_CLIENT_TTL_SECS and DCR_IDLE_CLIENT_TTL_SECS are not both stated, and this shell's defaults need not be the server's. To delete, state both as the server has them (environment or --unused-client-ttl-secs and --idle-client-ttl-secs; 0 turns a rule off)";

pub(super) fn prune(
    args: &PruneArgs,
    config: &Config,
    store: &Store,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let now = crate::clock::unix_now();
    let armed_at = unused_rule_armed_at(store)?;
    if let Some(reason) = unused_rule_holds_back(config.lifetimes, armed_at, now) {
        writeln!(std::io::stderr(), "note: {reason}")?;
    }
    if !args.lifetimes_stated {
        let note = if args.dry_run {
            format!(
                "DCR_UNUSED_CLIENT_TTL_SECS and DCR_IDLE_CLIENT_TTL_SECS are not both stated: this lists what {}s and {}s would delete, which need not be what the server's lifetimes delete",
                config.lifetimes.unused_ttl_secs, config.lifetimes.idle_ttl_secs
            )
        } else {
            IMPLIED_DRY_RUN.to_owned()
        };
        writeln!(std::io::stderr(), "note: {note}")?;
    }
    if args.dry_run || !args.lifetimes_stated {
        return dry_run(args, config.lifetimes, store, now, out);
    }
    let purged = purge_now(store, config.lifetimes)?;
    match (purged, args.json) {
        (Some(purged), true) => {
            writeln!(out, "{}", json!({ "dry_run": false, "deleted": purged }))?
        }
        (Some(purged), false) => writeln!(out, "deleted {purged} clients")?,
        (None, _) => {
            return Err(CliError::Invalid(
                "another process is purging right now; try again shortly".into(),
            ));
        }
    }
    Ok(())
}

/// Each client a purge would delete now, with its name, age and reason.
fn dry_run(
    args: &PruneArgs,
    lifetimes: Lifetimes,
    store: &Store,
    now: i64,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let clients = expired_clients(store, lifetimes, now)?;
    if args.json {
        let would_delete: Vec<Value> = clients
            .iter()
            .map(|client| {
                json!({
                    "client_id": client.client_id.to_string(),
                    "client_name": client.metadata.client_name,
                    "created_at": client.issued_at,
                    "last_used_at": client.last_used_at,
                    "age_secs": now.saturating_sub(client.issued_at).max(0),
                    "reason": reason(client.last_used_at).0,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({ "dry_run": true, "would_delete": would_delete })
        )?;
        return Ok(());
    }
    let rows: Vec<[String; 4]> = clients
        .iter()
        .map(|client| {
            let reason = match client.last_used_at {
                None => format!(
                    "{}, lifetime {}",
                    reason(None).1,
                    format_duration(lifetimes.unused_ttl_secs)
                ),
                Some(used) => format!(
                    "{} {}, lifetime {}",
                    reason(Some(used)).1,
                    format_time(used),
                    format_duration(lifetimes.idle_ttl_secs)
                ),
            };
            [
                client.client_id.to_string(),
                client.metadata.client_name.clone().unwrap_or_default(),
                format_duration(u64::try_from(now.saturating_sub(client.issued_at)).unwrap_or(0)),
                reason,
            ]
        })
        .collect();
    if !rows.is_empty() {
        write_table(out, ["CLIENT_ID", "NAME", "AGE", "REASON"], &rows)?;
        writeln!(out)?;
    }
    writeln!(out, "{} clients would be deleted (dry run)", rows.len())?;
    Ok(())
}

/// Why a client the store found expired goes: the JSON code and the words.
/// Never used means the never-used rule; used once, the idle rule.
fn reason(last_used_at: Option<i64>) -> (&'static str, &'static str) {
    match last_used_at {
        None => ("never_used", "never used"),
        Some(_) => ("idle", "last used"),
    }
}

/// `10d 4h`, `3h 5m`, `2m 30s`, `45s`: the two largest units.
fn format_duration(secs: u64) -> String {
    let units = [(86_400, 'd'), (3_600, 'h'), (60, 'm'), (1, 's')];
    let Some(first) = units.iter().position(|(size, _)| secs >= *size) else {
        return "0s".to_owned();
    };
    let (size, unit) = units[first];
    let mut shown = format!("{}{unit}", secs / size);
    if let Some((next, next_unit)) = units.get(first + 1) {
        let rest = (secs % size) / next;
        if rest > 0 {
            shown.push_str(&format!(" {rest}{next_unit}"));
        }
    }
    shown
}

/// Why the never-used rule, though configured, deletes nothing at `now`;
/// `None` when it is off (`DCR_UNUSED_CLIENT_TTL_SECS=0`) or applies.
fn unused_rule_holds_back(lifetimes: Lifetimes, armed_at: Option<i64>, now: i64) -> Option<String> {
    let expiry = lifetimes.expiry_at(now);
    if expiry.unused_before.is_none() || expiry.after_arming(armed_at).unused_before.is_some() {
        return None;
    }
    Some(match armed_at {
        None => purge::UNARMED.to_owned(),
        Some(armed_at) => {
            let ttl = i64::try_from(lifetimes.unused_ttl_secs).unwrap_or(i64::MAX);
            format!(
                "the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) was armed at {}: it deletes no client before {}, one lifetime later",
                format_time(armed_at),
                format_time(armed_at.saturating_add(ttl)),
            )
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn lifetimes(unused_ttl_secs: u64) -> Lifetimes {
        Lifetimes {
            unused_ttl_secs,
            idle_ttl_secs: 0,
            audit_retention_secs: 0,
            purge_interval: std::time::Duration::from_secs(300),
        }
    }

    #[test]
    fn the_note_says_why_the_never_used_rule_deletes_nothing() {
        let week = lifetimes(7 * DAY as u64);
        let unarmed = unused_rule_holds_back(week, None, NOW).unwrap();
        assert!(
            unarmed.contains("POST /admin/clients/{client_id}/used"),
            "{unarmed}"
        );
        assert!(unarmed.contains("verify"), "{unarmed}");

        let waiting = unused_rule_holds_back(week, Some(NOW - DAY), NOW).unwrap();
        assert!(waiting.contains(&format_time(NOW - DAY)), "{waiting}");
        assert!(waiting.contains(&format_time(NOW + 6 * DAY)), "{waiting}");

        assert_eq!(unused_rule_holds_back(week, Some(NOW - 8 * DAY), NOW), None);
        assert_eq!(unused_rule_holds_back(lifetimes(0), None, NOW), None);
    }

    #[test]
    fn ages_show_their_two_largest_units() {
        let cases = [
            (0, "0s"),
            (45, "45s"),
            (150, "2m 30s"),
            (3_600, "1h"),
            (3 * 3_600 + 5 * 60 + 7, "3h 5m"),
            (10 * 86_400 + 4 * 3_600 + 59, "10d 4h"),
            (7 * 86_400, "7d"),
        ];
        for (secs, shown) in cases {
            assert_eq!(format_duration(secs), shown, "{secs}");
        }
    }
}
