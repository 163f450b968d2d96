//! `dcr-server cimd check URL`: a client author's check of their metadata
//! document, by the verify call's own code (`cimd::check`), from a shell.

use std::io::Write;
use std::sync::Arc;

use super::{CimdCheckArgs, CimdCommand, CliError};
use crate::admin::views::cimd_check_view;
use crate::cimd::{CheckReport, Outcome, UrlClients};
use crate::clock::unix_now;
use crate::config::Config;
use crate::observability::metrics::Metrics;

pub fn run(command: CimdCommand, config: &Config) -> Result<(), CliError> {
    match command {
        CimdCommand::Check(args) => check(&args, config),
    }
}

/// Prints the report; a document verify would refuse is an error (exit 1)
/// after it is printed.
fn check(args: &CimdCheckArgs, config: &Config) -> Result<(), CliError> {
    let (url_clients, runtime) = fetching(config)?;
    let report = runtime.block_on(url_clients.check(&args.url));
    let mut out = std::io::stdout().lock();
    if args.json {
        let view = cimd_check_view(&report, &config.consent.known_clients, unix_now());
        writeln!(out, "{view:#}")?;
    } else {
        print_text(&report, config, &mut out)?;
    }
    if report.accepted() {
        Ok(())
    } else {
        Err(CliError::Invalid(
            "a verify would not accept this client_id".into(),
        ))
    }
}

/// URL client ids as the server reads them (its `DCR_CIMD_*` settings,
/// policy and known clients), and a runtime to fetch documents on, for a
/// shell command.
pub(super) fn fetching(config: &Config) -> Result<(UrlClients, tokio::runtime::Runtime), CliError> {
    let url_clients = UrlClients::new(
        config.cimd.clone(),
        Arc::new(config.policy.clone()),
        &config.consent.known_clients,
        Metrics::new(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::Invalid(format!("cannot fetch the document: {err}")))?;
    Ok((url_clients, runtime))
}

fn print_text(report: &CheckReport, config: &Config, out: &mut impl Write) -> Result<(), CliError> {
    writeln!(out, "client_id: {}", report.client_id)?;
    for (rule, outcome) in &report.rules {
        let (mark, why) = match outcome {
            Outcome::Pass => ("pass", None),
            Outcome::Fail(why) => ("FAIL", Some(why)),
            Outcome::NotChecked => ("-   ", None),
        };
        writeln!(out, "  {mark}  {:<18} {}", rule.name(), rule.says())?;
        if let Some(why) = why {
            writeln!(out, "        {why}")?;
        }
    }
    if let Some(ttl) = report.ttl {
        writeln!(
            out,
            "cache: {} s (DCR_CIMD_MIN_TTL_SECS to DCR_CIMD_MAX_TTL_SECS)",
            ttl.as_secs()
        )?;
    }
    if let Some(client) = &report.client {
        let consent = crate::admin::views::url_consent_view(
            client,
            &config.consent.known_clients,
            unix_now(),
        );
        writeln!(out, "consent: {consent}")?;
        writeln!(out, "accepted: a verify would accept this client_id")?;
    } else {
        writeln!(out, "not accepted")?;
    }
    Ok(())
}
