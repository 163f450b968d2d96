//! What a consent page shows about a client, beyond the name it chose: where
//! its redirects go, whether its links agree with them, and whether its name
//! belongs to a client the user knows (or only looks like one). Registration
//! is open to anyone (RFC 7591 section 5), so a name is a claim, not a fact;
//! the redirect URIs are what decides who receives the code.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value, json};
use unicode_security::MixedScript as _;
use unicode_security::confusable_detection::skeleton;
use url::Url;

use crate::client_url::ClientUrl;
use crate::metadata::ClientMetadata;
use crate::redirect_uri::{RedirectKind, RedirectPolicy, RedirectUri};
use crate::text;

/// The clients this crate knows out of the box, by the redirect URIs they
/// register (see `known-clients.json` for when they were last checked).
const BUILTIN: &str = include_str!("../known-clients.json");
const MAX_KNOWN_CLIENTS: usize = 1000;
const MAX_KNOWN_NAME_BYTES: usize = 100;
const TOP_MEMBERS: [&str; 2] = ["checked", "clients"];
const ENTRY_MEMBERS: [&str; 3] = ["name", "redirect_uris", "metadata_document"];

/// A client a user may recognise by name, and where its redirects go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownClient {
    pub name: String,
    /// Patterns as written in the file: exact, loopback without a port
    /// (any port), or ending in `*` (a prefix).
    pub redirect_uris: Vec<String>,
    /// The URL of its Client ID Metadata Document, when it uses one.
    pub metadata_document: Option<String>,
}

/// The known clients, each with what recognising it takes, read once.
#[derive(Debug, Clone, Default)]
pub struct KnownClients {
    clients: Vec<KnownClient>,
    /// One per client, in the same order.
    recognizers: Vec<Recognizer>,
}

/// What is wrong with a known clients file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KnownClientsError(String);

impl KnownClients {
    pub fn builtin() -> Self {
        // A test parses the builtin file, so this default (no known client)
        // is never taken by a released build.
        Self::parse(BUILTIN).unwrap_or_default()
    }

    /// Reads a file in the format of `known-clients.json`.
    pub fn parse(json: &str) -> Result<Self, KnownClientsError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|err| KnownClientsError(format!("not JSON: {err}")))?;
        let Value::Object(top) = value else {
            return Err(at("", "must be an object with a clients array"));
        };
        refuse_unknown_members(&top, "", &TOP_MEMBERS)?;
        if !matches!(top.get("checked"), None | Some(Value::String(_))) {
            return Err(at("checked", "must be a string"));
        }
        let Some(Value::Array(entries)) = top.get("clients") else {
            return Err(at("clients", "must be an array"));
        };
        if entries.len() > MAX_KNOWN_CLIENTS {
            return Err(at(
                "clients",
                &format!("must have at most {MAX_KNOWN_CLIENTS} entries"),
            ));
        }
        let mut known = Self::default();
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let (client, recognizer) = read_entry(entry, &format!("clients[{index}]"))?;
            if let Some(first) = seen.insert(recognizer.lower_name.clone(), index) {
                return Err(at(
                    &format!("clients[{index}].name"),
                    &format!("repeats the name of clients[{first}]"),
                ));
            }
            known.clients.push(client);
            known.recognizers.push(recognizer);
        }
        Ok(known)
    }

    /// These clients and the operator's: an operator's entry replaces the
    /// one of the same name (ignoring case), so a client that changes its
    /// redirect URIs can be followed without waiting for a release.
    pub fn with(mut self, extra: KnownClients) -> Self {
        let mut index: HashMap<String, usize> = self
            .recognizers
            .iter()
            .enumerate()
            .map(|(position, recognizer)| (recognizer.lower_name.clone(), position))
            .collect();
        for (client, recognizer) in extra.clients.into_iter().zip(extra.recognizers) {
            match index.get(&recognizer.lower_name) {
                Some(&position) => {
                    self.clients[position] = client;
                    self.recognizers[position] = recognizer;
                }
                None => {
                    index.insert(recognizer.lower_name.clone(), self.clients.len());
                    self.clients.push(client);
                    self.recognizers.push(recognizer);
                }
            }
        }
        self
    }

    pub fn clients(&self) -> &[KnownClient] {
        &self.clients
    }

    /// The known client whose client id is this metadata document URL
    /// (compared exactly, as client ids are).
    pub fn by_metadata_document(&self, url: &str) -> Option<&KnownClient> {
        self.clients
            .iter()
            .find(|client| client.metadata_document.as_deref() == Some(url))
    }

    fn entries(&self) -> impl Iterator<Item = (&KnownClient, &Recognizer)> {
        self.clients.iter().zip(&self.recognizers)
    }
}

fn at(path: &str, problem: &str) -> KnownClientsError {
    if path.is_empty() {
        KnownClientsError(problem.to_owned())
    } else {
        KnownClientsError(format!("{path}: {problem}"))
    }
}

fn refuse_unknown_members(
    members: &Map<String, Value>,
    path: &str,
    allowed: &[&str],
) -> Result<(), KnownClientsError> {
    match members.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(at(
            path,
            &format!("unknown member {key:?} (expected {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn read_entry(entry: &Value, path: &str) -> Result<(KnownClient, Recognizer), KnownClientsError> {
    let Value::Object(members) = entry else {
        return Err(at(path, "must be an object"));
    };
    refuse_unknown_members(members, path, &ENTRY_MEMBERS)?;
    let name_path = format!("{path}.name");
    let Some(Value::String(name)) = members.get("name") else {
        return Err(at(&name_path, "must be a string"));
    };
    if name.trim().is_empty() {
        return Err(at(&name_path, "must not be empty"));
    }
    // Shown on consent pages like a client's own name, so held to its
    // rules; in NFC as client names are, or a name typed in another
    // normal form would never equal the one a client sends.
    let name = text::check_stored(name, MAX_KNOWN_NAME_BYTES)
        .and_then(|()| text::check_readable(name))
        .and_then(|()| text::normalize_name(name, MAX_KNOWN_NAME_BYTES))
        .map_err(|problem| at(&name_path, &problem.to_string()))?;
    let uris_path = format!("{path}.redirect_uris");
    let Some(Value::Array(items)) = members.get("redirect_uris") else {
        return Err(at(&uris_path, "must be an array of strings"));
    };
    if items.is_empty() {
        return Err(at(&uris_path, "must not be empty"));
    }
    let mut redirect_uris = Vec::with_capacity(items.len());
    let mut patterns = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{uris_path}[{index}]");
        let Value::String(raw) = item else {
            return Err(at(&item_path, "must be a string"));
        };
        patterns.push(Pattern::parse(raw).map_err(|problem| at(&item_path, problem))?);
        redirect_uris.push(raw.clone());
    }
    let metadata_document = match members.get("metadata_document") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) if is_https_url(raw) => Some(raw.clone()),
        Some(_) => {
            return Err(at(
                &format!("{path}.metadata_document"),
                "must be an https URL",
            ));
        }
    };
    let recognizer = Recognizer::new(&name, patterns);
    let client = KnownClient {
        name,
        redirect_uris,
        metadata_document,
    };
    Ok((client, recognizer))
}

fn is_https_url(raw: &str) -> bool {
    Url::parse(raw).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
}

/// A redirect URI pattern of a known client.
#[derive(Debug, Clone)]
enum Pattern {
    /// Compared as a string, like any registered redirect URI (RFC 6749
    /// section 3.1.2.3).
    Exact(String),
    /// `http` on loopback without a port: a native app binds whatever port
    /// is free, so any port matches (RFC 8252 section 7.3, the rule of
    /// [`RedirectUri::matches`]).
    LoopbackAnyPort(RedirectUri),
    /// Ends in `*`: any URI that starts with the rest. For private-use
    /// schemes, whose path each installation of an app chooses.
    Prefix(String),
}

impl Pattern {
    fn parse(raw: &str) -> Result<Self, &'static str> {
        let (fixed, is_prefix) = match raw.strip_suffix('*') {
            Some(fixed) => (fixed, true),
            None => (raw, false),
        };
        if fixed.contains('*') {
            return Err("may have a * only at the end");
        }
        if Url::parse(fixed).is_err() {
            return Err("is not an absolute URI");
        }
        if is_prefix {
            return Ok(Self::Prefix(fixed.to_owned()));
        }
        match RedirectUri::parse(raw, &RedirectPolicy::default()) {
            Ok(uri) if uri.kind() == RedirectKind::Loopback && !has_port(raw) => {
                Ok(Self::LoopbackAnyPort(uri))
            }
            _ => Ok(Self::Exact(raw.to_owned())),
        }
    }

    fn matches(&self, uri: &str) -> bool {
        match self {
            Self::Exact(pattern) => pattern == uri,
            Self::LoopbackAnyPort(pattern) => pattern.matches(uri),
            Self::Prefix(prefix) => uri.starts_with(prefix.as_str()),
        }
    }
}

/// Whether a URI's authority names a port. Read from the text: the URL
/// parser drops a default port, and `http://127.0.0.1:80/` names one.
fn has_port(raw: &str) -> bool {
    let Some((_, rest)) = raw.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let after_host = authority.rfind(']').map_or(0, |end| end + 1);
    authority[after_host..].contains(':')
}

/// What it takes for a client to be, or to pose as, one known client.
#[derive(Debug, Clone)]
struct Recognizer {
    /// The name, trimmed and lower-cased: what a client name claims.
    lower_name: String,
    /// `lower_name` and " (": Claude Code registers as
    /// "Claude Code (server name)".
    lower_claim_prefix: String,
    looks: Looks,
    claim_prefix_looks: Looks,
    patterns: Vec<Pattern>,
}

impl Recognizer {
    fn new(name: &str, patterns: Vec<Pattern>) -> Self {
        let name = name.trim();
        let lower_name = name.to_lowercase();
        let lower_claim_prefix = format!("{lower_name} (");
        Self {
            looks: Looks::of(name),
            claim_prefix_looks: Looks::of(&format!("{name} (")),
            lower_name,
            lower_claim_prefix,
            patterns,
        }
    }

    fn is_claimed_by(&self, lower_name: &str) -> bool {
        lower_name == self.lower_name || lower_name.starts_with(&self.lower_claim_prefix)
    }

    /// Whether a name shows as this client's without spelling it.
    fn is_resembled_by(&self, looks: &Looks) -> bool {
        looks
            .0
            .iter()
            .zip(self.looks.0.iter().zip(&self.claim_prefix_looks.0))
            .any(|(name, (known, prefix))| name == known || name.starts_with(prefix.as_str()))
    }

    /// Every redirect URI goes where this client's do; a client without
    /// any is nobody's.
    fn accepts_all(&self, uris: &[RedirectUri]) -> bool {
        !uris.is_empty()
            && uris.iter().all(|uri| {
                self.patterns
                    .iter()
                    .any(|pattern| pattern.matches(uri.as_str()))
            })
    }
}

/// A name's UTS #39 skeletons, with case folded two ways: lower-cased first
/// (Cyrillic `С` and Latin `c` meet only in lower case), and skeleton first
/// (a capital `I` folds to `l` only before lower-casing makes it `i`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Looks([String; 2]);

impl Looks {
    fn of(name: &str) -> Self {
        let fold = |text: &str| skeleton(text).collect::<String>();
        Self([fold(&name.to_lowercase()), fold(&fold(name).to_lowercase())])
    }
}

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
    let is_known = known_client(metadata, known).is_some();
    flags(metadata, known, is_known)
}

fn flags(metadata: &ClientMetadata, known: &KnownClients, is_known: bool) -> Vec<NameFlag> {
    let Some(name) = metadata.client_name.as_deref() else {
        return Vec::new();
    };
    let name = name.trim();
    let mut flags = Vec::new();
    // Each part on its own: a client's name and, in parentheses, what it
    // connects to ("Claude Code (メモリ)") may honestly be in two scripts;
    // one word in two is the spoof.
    if name.split(['(', ')']).any(|part| !part.is_single_script()) {
        flags.push(NameFlag::MixedScript);
    }
    let lower = name.to_lowercase();
    let looks = Looks::of(name);
    for (client, recognizer) in known.entries() {
        if recognizer.is_claimed_by(&lower) {
            // A name may claim two known clients ("Claude" and an
            // operator's "Claude (beta)"); being either one is enough.
            if !is_known {
                flags.push(NameFlag::Impersonates(client.name.clone()));
            }
        } else if recognizer.is_resembled_by(&looks) {
            flags.push(NameFlag::ConfusableWith(client.name.clone()));
        }
    }
    flags
}

/// The known client this one is: its name claims it and every redirect URI
/// is one of that client's.
pub fn known_client<'k>(
    metadata: &ClientMetadata,
    known: &'k KnownClients,
) -> Option<&'k KnownClient> {
    let lower = metadata.client_name.as_deref()?.trim().to_lowercase();
    known
        .entries()
        .find(|(_, recognizer)| {
            recognizer.is_claimed_by(&lower) && recognizer.accepts_all(&metadata.redirect_uris)
        })
        .map(|(client, _)| client)
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
        let known_client = known_client(metadata, known);
        Self {
            redirect_hosts: redirect_hosts(uris),
            // The MCP specification asks to warn: any program on the
            // user's machine can listen on a loopback port.
            loopback_only: !uris.is_empty()
                && uris.iter().all(|uri| uri.kind() == RedirectKind::Loopback),
            same_host: same_host(metadata),
            name_flags: flags(metadata, known, known_client.is_some()),
            known_client: known_client.map(|client| client.name.clone()),
            source: subject.source,
            verified_host: subject.verified_host.map(str::to_owned),
            registered_at: subject.registered_at,
            // A clock set back must not make a client look younger than new.
            age_secs: subject
                .registered_at
                .map(|at| now.saturating_sub(at).max(0)),
        }
    }

    pub fn name_flags(&self) -> &[NameFlag] {
        &self.name_flags
    }

    pub fn to_json(&self) -> Value {
        json!({
            "redirect_hosts": self.redirect_hosts,
            "loopback_only": self.loopback_only,
            "same_host": self.same_host,
            "name_flags": self.name_flags.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "known_client": self.known_client,
            "source": self.source.as_str(),
            "verified_host": self.verified_host,
            "registered_at": self.registered_at,
            "age_secs": self.age_secs,
        })
    }
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
