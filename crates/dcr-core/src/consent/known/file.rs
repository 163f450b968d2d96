//! Reading a known clients file: each entry's members, checked one by one,
//! every error naming where it is.

use serde_json::{Map, Value};
use url::Url;

use super::{KnownClient, KnownClientsError};
use crate::consent::pattern::Pattern;
use crate::consent::words;
use crate::text;

pub(super) const MAX_KNOWN_CLIENTS: usize = 1000;
const MAX_KNOWN_NAME_BYTES: usize = 100;
const MAX_ALIASES: usize = 10;
const MAX_VENDORS: usize = 5;
/// The fewest letters and digits an alias or a vendor may have: every
/// client name holding it as a word is flagged.
const MIN_TERM_CHARS: usize = 3;
/// Words too common to be an alias or a vendor: "Acme Copilot" and "Notes
/// Desktop" claim no known client. (A known client's own name is what it
/// is, common or not: "Cursor".)
const GENERIC_WORDS: [&str; 31] = [
    "agent",
    "agents",
    "app",
    "apps",
    "assistant",
    "bot",
    "chat",
    "client",
    "cloud",
    "code",
    "connector",
    "copilot",
    "desktop",
    "editor",
    "extension",
    "helper",
    "ide",
    "inspector",
    "mcp",
    "mobile",
    "my",
    "notes",
    "official",
    "plugin",
    "server",
    "studio",
    "the",
    "tool",
    "tools",
    "visual",
    "web",
];
pub(super) const TOP_MEMBERS: [&str; 2] = ["checked", "clients"];
const ENTRY_MEMBERS: [&str; 5] = [
    "name",
    "aliases",
    "vendors",
    "redirect_uris",
    "metadata_document",
];

pub(super) fn at(path: &str, problem: &str) -> KnownClientsError {
    if path.is_empty() {
        KnownClientsError(problem.to_owned())
    } else {
        KnownClientsError(format!("{path}: {problem}"))
    }
}

pub(super) fn refuse_unknown_members(
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

pub(super) fn read_entry(
    entry: &Value,
    path: &str,
) -> Result<(KnownClient, Vec<Pattern>), KnownClientsError> {
    let Value::Object(members) = entry else {
        return Err(at(path, "must be an object"));
    };
    refuse_unknown_members(members, path, &ENTRY_MEMBERS)?;
    let name_path = format!("{path}.name");
    let Some(name) = members.get("name") else {
        return Err(at(&name_path, "must be a string"));
    };
    let name = read_name(name, &name_path)?;
    let aliases = read_terms(members, "aliases", path, MAX_ALIASES)?;
    let vendors = read_terms(members, "vendors", path, MAX_VENDORS)?;
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
    let client = KnownClient {
        name,
        aliases,
        vendors,
        redirect_uris,
        metadata_document,
    };
    Ok((client, patterns))
}

/// A name, alias or vendor. Shown on consent pages like a client's own
/// name, so held to its rules; in NFC as client names are, or a name typed
/// in another normal form would never equal the one a client sends.
fn read_name(value: &Value, path: &str) -> Result<String, KnownClientsError> {
    let Value::String(name) = value else {
        return Err(at(path, "must be a string"));
    };
    if name.trim().is_empty() {
        return Err(at(path, "must not be empty"));
    }
    let name = text::check_stored(name, MAX_KNOWN_NAME_BYTES)
        .and_then(|()| text::check_readable(name))
        .and_then(|()| text::normalize_name(name, MAX_KNOWN_NAME_BYTES))
        .map_err(|problem| at(path, &problem.to_string()))?;
    if words::key(&name).is_empty() {
        return Err(at(path, "must have a letter or a digit"));
    }
    Ok(name)
}

/// `aliases` or `vendors`: optional (files written before them stay
/// valid), each specific enough that a name holding it as a word claims
/// this client.
fn read_terms(
    members: &Map<String, Value>,
    member: &str,
    path: &str,
    max: usize,
) -> Result<Vec<String>, KnownClientsError> {
    let path = format!("{path}.{member}");
    let items = match members.get(member) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(at(&path, "must be an array of strings")),
    };
    if items.len() > max {
        return Err(at(&path, &format!("must have at most {max} entries")));
    }
    let mut terms = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        let term = read_name(item, &item_path)?;
        let key = words::key(&term);
        if key.chars().count() < MIN_TERM_CHARS || GENERIC_WORDS.contains(&key.as_str()) {
            return Err(at(
                &item_path,
                &format!(
                    "{term:?} is too common a word: every client name holding it would be flagged"
                ),
            ));
        }
        terms.push(term);
    }
    Ok(terms)
}

fn is_https_url(raw: &str) -> bool {
    Url::parse(raw).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
}
