//! `clients prune`: the purge of clients past their lifetime, now, or as a
//! dry run. When the never-used rule is on but holds back (not armed yet,
//! or armed less than one lifetime ago), both say why on stderr, so the
//! printed result stays what scripts read.

use std::io::Write;

use dcr_store::Store;
use serde_json::json;

use super::{CliError, PruneArgs, format_time};
use crate::config::Config;
use crate::purge::{self, Lifetimes};

pub(super) fn prune(
    args: &PruneArgs,
    config: &Config,
    store: &Store,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let now = crate::clock::unix_now();
    let armed_at = store.unused_purge_armed_at()?;
    if let Some(reason) = unused_rule_holds_back(config.lifetimes, armed_at, now) {
        writeln!(std::io::stderr(), "note: {reason}")?;
    }
    if args.dry_run {
        let expiry = config.lifetimes.expiry_at(now);
        let expired = store.expired_clients(&expiry, i64::MAX)?;
        if args.json {
            let ids: Vec<String> = expired.iter().map(ToString::to_string).collect();
            writeln!(out, "{}", json!({ "would_delete": ids }))?;
        } else {
            for client_id in &expired {
                writeln!(out, "{client_id}")?;
            }
            writeln!(out, "{} clients would be deleted", expired.len())?;
        }
        return Ok(());
    }
    let purged = purge::purge_now(store, config.lifetimes)?;
    match (purged, args.json) {
        (Some(purged), true) => writeln!(out, "{}", json!({ "deleted": purged }))?,
        (Some(purged), false) => writeln!(out, "deleted {purged} clients")?,
        (None, _) => {
            return Err(CliError::Invalid(
                "another process is purging right now; try again shortly".into(),
            ));
        }
    }
    Ok(())
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
}
