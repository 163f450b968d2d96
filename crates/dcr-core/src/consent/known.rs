//! The well-known clients: the built-in list (`known-clients.json`), an
//! operator's file in the same format, and what it takes to be, or to pose
//! as, one of them.

use std::collections::HashMap;

use serde_json::{Map, Value};
use unicode_security::confusable_detection::skeleton;
use url::Url;

use crate::redirect_uri::{RedirectKind, RedirectPolicy, RedirectUri};
use crate::text;

/// The clients this crate knows out of the box, by the redirect URIs they
/// register (see `known-clients.json` for when they were last checked).
pub(super) const BUILTIN: &str = include_str!("../../known-clients.json");
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

    pub(super) fn entries(&self) -> impl Iterator<Item = (&KnownClient, &Recognizer)> {
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
pub(super) enum Pattern {
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
    pub(super) fn parse(raw: &str) -> Result<Self, &'static str> {
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

    pub(super) fn matches(&self, uri: &str) -> bool {
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
pub(super) struct Recognizer {
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
    pub(super) fn new(name: &str, patterns: Vec<Pattern>) -> Self {
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

    pub(super) fn is_claimed_by(&self, lower_name: &str) -> bool {
        lower_name == self.lower_name || lower_name.starts_with(&self.lower_claim_prefix)
    }

    /// Whether a name shows as this client's without spelling it.
    pub(super) fn is_resembled_by(&self, looks: &Looks) -> bool {
        looks
            .0
            .iter()
            .zip(self.looks.0.iter().zip(&self.claim_prefix_looks.0))
            .any(|(name, (known, prefix))| name == known || name.starts_with(prefix.as_str()))
    }

    /// Every redirect URI goes where this client's do; a client without
    /// any is nobody's.
    pub(super) fn accepts_all(&self, uris: &[RedirectUri]) -> bool {
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
pub(super) struct Looks([String; 2]);

impl Looks {
    pub(super) fn of(name: &str) -> Self {
        let fold = |text: &str| skeleton(text).collect::<String>();
        Self([fold(&name.to_lowercase()), fold(&fold(name).to_lowercase())])
    }
}
