//! What a consent page shows about a client, beyond the name it chose: where
//! its redirects go, whether its links agree with them, and whether its name
//! belongs to a client the user knows (or only looks like one). Registration
//! is open to anyone (RFC 7591 section 5), so a name is a claim, not a fact;
//! the redirect URIs are what decides who receives the code.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Value, json};
use unicode_security::MixedScript as _;
use url::Url;

use crate::client_url::ClientUrl;
use crate::metadata::ClientMetadata;
use crate::redirect_uri::{RedirectKind, RedirectUri};

mod known;
mod pattern;
mod reserved;
mod words;
#[cfg(test)]
use known::BUILTIN;
use known::Claim;
pub use known::{KnownClient, KnownClients, KnownClientsError};
#[cfg(test)]
use pattern::Pattern;
pub use reserved::refuse_reserved_name;
use words::Found;

/// How the client came to exist on this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Registered,
    MetadataDocument,
    Admin,
    Imported,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::MetadataDocument => "metadata_document",
            Self::Admin => "admin",
            Self::Imported => "imported",
        }
    }
}

/// The client a consent page is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub metadata: &'a ClientMetadata,
    pub source: Source,
    /// Seconds since the Unix epoch.
    pub registered_at: Option<i64>,
    pub verified_host: Option<&'a str>,
}

/// Why a client name deserves a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameFlag {
    /// Letters of more than one script: the usual way to spell one name
    /// with another's look.
    MixedScript,
    /// Shows as this known client's name without being it.
    ConfusableWith(String),
    /// Says it is this known client but redirects elsewhere.
    Impersonates(String),
}

impl fmt::Display for NameFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MixedScript => f.write_str("mixed_script"),
            Self::ConfusableWith(name) => write!(f, "confusable_with:{name}"),
            Self::Impersonates(name) => write!(f, "impersonates:{name}"),
        }
    }
}

pub fn name_flags(metadata: &ClientMetadata, known: &KnownClients) -> Vec<NameFlag> {
    let claims = claims_of(metadata, known);
    flags_of(metadata, known, &claims)
}

/// The known clients and vendors the metadata's name holds as words: found
/// once, for both the flags and the known client.
fn claims_of(metadata: &ClientMetadata, known: &KnownClients) -> Vec<Found<Claim>> {
    metadata
        .client_name
        .as_deref()
        .map(|name| known.claims(name))
        .unwrap_or_default()
}

fn flags_of(
    metadata: &ClientMetadata,
    known: &KnownClients,
    claims: &[Found<Claim>],
) -> Vec<NameFlag> {
    let Some(name) = metadata.client_name.as_deref() else {
        return Vec::new();
    };
    let mut flags = Vec::new();
    // Each part on its own: a client's name and, in parentheses, what it
    // connects to ("Claude Code (メモリ)") may honestly be in two scripts;
    // one word in two is the spoof.
    // ASCII is Latin and Common alone: single-script without the tables.
    if name
        .split(['(', ')'])
        .any(|part| !part.is_ascii() && !part.is_single_script())
    {
        flags.push(NameFlag::MixedScript);
    }
    for found in claims.iter().copied() {
        let claimed = known.claimed(found.what).to_owned();
        let flag = if !found.spelled {
            // Looks like a known name without spelling it: whatever its
            // redirects, the name shown is not the one it resembles.
            NameFlag::ConfusableWith(claimed)
        } else if known.is_backed(found.what, &metadata.redirect_uris) {
            // Names it, and the code goes where that client's goes.
            continue;
        } else {
            NameFlag::Impersonates(claimed)
        };
        if !flags.contains(&flag) {
            flags.push(flag);
        }
    }
    flags
}

/// The known client this one is: its name holds that client's name or an
/// alias as words ("Claude", "Claude (memory)", "VS Code Tasks"), and every
/// redirect URI is one of that client's.
pub fn known_client<'k>(
    metadata: &ClientMetadata,
    known: &'k KnownClients,
) -> Option<&'k KnownClient> {
    known_client_of(metadata, known, &claims_of(metadata, known))
}

fn known_client_of<'k>(
    metadata: &ClientMetadata,
    known: &'k KnownClients,
    claims: &[Found<Claim>],
) -> Option<&'k KnownClient> {
    claims
        .iter()
        .filter(|found| found.spelled && known.is_backed(found.what, &metadata.redirect_uris))
        .find_map(|found| known.client(found.what))
}

/// What a consent page shows about a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSignals {
    redirect_hosts: Vec<String>,
    loopback_only: bool,
    same_host: Option<bool>,
    name_flags: Vec<NameFlag>,
    known_client: Option<String>,
    source: Source,
    verified_host: Option<String>,
    registered_at: Option<i64>,
    age_secs: Option<i64>,
}

impl ConsentSignals {
    pub fn of(subject: &Subject<'_>, known: &KnownClients, now: i64) -> Self {
        let metadata = subject.metadata;
        let uris = &metadata.redirect_uris;
        let claims = claims_of(metadata, known);
        let known_client = known_client_of(metadata, known, &claims);
        Self {
            redirect_hosts: redirect_hosts(uris),
            // The MCP specification asks to warn: any program on the
            // user's machine can listen on a loopback port.
            loopback_only: !uris.is_empty()
                && uris.iter().all(|uri| uri.kind() == RedirectKind::Loopback),
            same_host: same_host(metadata),
            name_flags: flags_of(metadata, known, &claims),
            known_client: known_client.map(|client| client.name.clone()),
            source: subject.source,
            verified_host: subject.verified_host.map(str::to_owned),
            registered_at: subject.registered_at,
            age_secs: age_at(subject.registered_at, now),
        }
    }

    pub fn name_flags(&self) -> &[NameFlag] {
        &self.name_flags
    }

    pub fn to_json(&self) -> Value {
        self.json_with_age(self.age_secs)
    }

    /// The signals as shown at `now`: worked out once, they hold while the
    /// client's metadata does; only the age moves.
    pub fn to_json_at(&self, now: i64) -> Value {
        self.json_with_age(age_at(self.registered_at, now))
    }

    fn json_with_age(&self, age_secs: Option<i64>) -> Value {
        json!({
            "redirect_hosts": self.redirect_hosts,
            "loopback_only": self.loopback_only,
            "same_host": self.same_host,
            "name_flags": self.name_flags.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "known_client": self.known_client,
            "source": self.source.as_str(),
            "verified_host": self.verified_host,
            "registered_at": self.registered_at,
            "age_secs": age_secs,
        })
    }
}

/// A clock set back must not make a client look younger than new.
fn age_at(registered_at: Option<i64>, now: i64) -> Option<i64> {
    registered_at.map(|at| now.saturating_sub(at).max(0))
}

/// Distinct destinations, in the order first seen.
fn redirect_hosts(uris: &[RedirectUri]) -> Vec<String> {
    let mut seen = HashSet::with_capacity(uris.len());
    uris.iter()
        .filter_map(RedirectUri::destination)
        .filter(|destination| seen.insert(destination.clone()))
        .collect()
}

/// RFC 7591 section 5: the URLs a consent page links to SHOULD be on the
/// host the redirects go to, or a client could borrow another's reputation.
/// `None` when there is no such URL.
fn same_host(metadata: &ClientMetadata) -> Option<bool> {
    let links: Vec<&ClientUrl> = [
        &metadata.client_uri,
        &metadata.logo_uri,
        &metadata.tos_uri,
        &metadata.policy_uri,
    ]
    .into_iter()
    .flatten()
    .collect();
    if links.is_empty() {
        return None;
    }
    let redirect_hosts: HashSet<String> = metadata
        .redirect_uris
        .iter()
        .filter(|uri| uri.kind() != RedirectKind::PrivateUse)
        .filter_map(RedirectUri::destination)
        .collect();
    Some(links.iter().all(|link| {
        Url::parse(link.as_str())
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|host| redirect_hosts.contains(&host))
    }))
}

#[cfg(test)]
mod tests;
