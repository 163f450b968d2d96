//! The well-known clients: the built-in list (`known-clients.json`), an
//! operator's file in the same format, and what it takes to be, or to pose
//! as, one of them.

use std::collections::HashMap;

use serde_json::Value;

use super::pattern::{Pattern, accepts_all};
use super::words::{self, Found, Lexicon};
use crate::redirect_uri::RedirectUri;

/// The clients this crate knows out of the box, by the redirect URIs they
/// register (see `known-clients.json` for when they were last checked).
pub(super) const BUILTIN: &str = include_str!("../../known-clients.json");
/// A client a user may recognise by name, and where its redirects go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownClient {
    pub name: String,
    /// Other names it goes by ("VS Code"): a client name holding one claims
    /// this client as much as one holding its name.
    pub aliases: Vec<String>,
    /// Who makes it ("Anthropic"): a client name holding one claims the
    /// vendor's clients.
    pub vendors: Vec<String>,
    /// Patterns as written in the file: exact, loopback without a port
    /// (any port), or ending in `*` (a prefix).
    pub redirect_uris: Vec<String>,
    /// The URL of its Client ID Metadata Document, when it uses one.
    pub metadata_document: Option<String>,
}

/// What a term of a client name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Claim {
    /// The known client at this index, by its name or an alias.
    Client(usize),
    /// The vendor at this index.
    Vendor(usize),
}

/// A vendor, spelled as first written, and the clients it makes.
#[derive(Debug, Clone)]
struct Vendor {
    name: String,
    clients: Vec<usize>,
}

/// The known clients, with what recognising them takes, read once.
#[derive(Debug, Clone, Default)]
pub struct KnownClients {
    clients: Vec<KnownClient>,
    /// One list per client, in the same order.
    patterns: Vec<Vec<Pattern>>,
    vendors: Vec<Vendor>,
    /// Every client's name and aliases, and every vendor.
    lexicon: Lexicon<Claim>,
}

mod file;
use file::{MAX_KNOWN_CLIENTS, TOP_MEMBERS, at, read_entry, refuse_unknown_members};

/// What is wrong with a known clients file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KnownClientsError(pub(super) String);

/// Two entries that claim one term: the later entry, its member, and why.
struct Conflict {
    client: usize,
    member: String,
    problem: String,
}

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
        let mut clients = Vec::with_capacity(entries.len());
        let mut patterns = Vec::with_capacity(entries.len());
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let (client, client_patterns) = read_entry(entry, &format!("clients[{index}]"))?;
            if let Some(first) = seen.insert(lower_name(&client), index) {
                return Err(at(
                    &format!("clients[{index}].name"),
                    &format!("repeats the name of clients[{first}]"),
                ));
            }
            clients.push(client);
            patterns.push(client_patterns);
        }
        Self::index(clients, patterns).map_err(|conflict| {
            at(
                &format!("clients[{}].{}", conflict.client, conflict.member),
                &conflict.problem,
            )
        })
    }

    /// These clients and the operator's: an operator's entry replaces the
    /// one of the same name (ignoring case), so a client that changes its
    /// redirect URIs can be followed without waiting for a release. `Err`
    /// when an operator's name, alias or vendor is another client's.
    pub fn with(self, extra: KnownClients) -> Result<Self, KnownClientsError> {
        let Self {
            mut clients,
            mut patterns,
            ..
        } = self;
        let mut index: HashMap<String, usize> = clients
            .iter()
            .enumerate()
            .map(|(position, client)| (lower_name(client), position))
            .collect();
        for (client, client_patterns) in extra.clients.into_iter().zip(extra.patterns) {
            match index.get(&lower_name(&client)) {
                Some(&position) => {
                    clients[position] = client;
                    patterns[position] = client_patterns;
                }
                None => {
                    index.insert(lower_name(&client), clients.len());
                    clients.push(client);
                    patterns.push(client_patterns);
                }
            }
        }
        let names: Vec<String> = clients.iter().map(|client| client.name.clone()).collect();
        Self::index(clients, patterns).map_err(|conflict| {
            KnownClientsError(format!(
                "{:?}: {}: {}",
                names[conflict.client], conflict.member, conflict.problem
            ))
        })
    }

    /// The clients with their terms found: each name and alias is one
    /// client's, and no vendor is a client's name or alias.
    fn index(clients: Vec<KnownClient>, patterns: Vec<Vec<Pattern>>) -> Result<Self, Conflict> {
        let mut owners: HashMap<String, usize> = HashMap::new();
        let mut lexicon = Lexicon::default();
        for (position, client) in clients.iter().enumerate() {
            let names = std::iter::once(("name".to_owned(), &client.name)).chain(
                client
                    .aliases
                    .iter()
                    .enumerate()
                    .map(|(index, alias)| (format!("aliases[{index}]"), alias)),
            );
            for (member, term) in names {
                let key = words::key(term);
                if let Some(&owner) = owners.get(&key).filter(|&&owner| owner != position) {
                    return Err(Conflict {
                        client: position,
                        member,
                        problem: format!("{term:?} is also a name of {:?}", clients[owner].name),
                    });
                }
                owners.insert(key, position);
                lexicon.insert(term, Claim::Client(position));
            }
        }
        let mut vendors: Vec<Vendor> = Vec::new();
        let mut vendor_keys: HashMap<String, usize> = HashMap::new();
        for (position, client) in clients.iter().enumerate() {
            for (index, vendor) in client.vendors.iter().enumerate() {
                let key = words::key(vendor);
                if let Some(&owner) = owners.get(&key) {
                    return Err(Conflict {
                        client: position,
                        member: format!("vendors[{index}]"),
                        problem: format!("{vendor:?} is a name of {:?}", clients[owner].name),
                    });
                }
                let at = *vendor_keys.entry(key).or_insert_with(|| {
                    vendors.push(Vendor {
                        name: vendor.clone(),
                        clients: Vec::new(),
                    });
                    lexicon.insert(vendor, Claim::Vendor(vendors.len() - 1));
                    vendors.len() - 1
                });
                if !vendors[at].clients.contains(&position) {
                    vendors[at].clients.push(position);
                }
            }
        }
        Ok(Self {
            clients,
            patterns,
            vendors,
            lexicon,
        })
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

    /// The known clients and vendors a client name holds as words.
    pub(super) fn claims(&self, name: &str) -> Vec<Found<Claim>> {
        self.lexicon.find(name)
    }

    /// Who a claim is about, as a consent page names it.
    pub(super) fn claimed(&self, claim: Claim) -> &str {
        match claim {
            Claim::Client(position) => &self.clients[position].name,
            Claim::Vendor(position) => &self.vendors[position].name,
        }
    }

    /// The client claimed, if a client.
    pub(super) fn client(&self, claim: Claim) -> Option<&KnownClient> {
        match claim {
            Claim::Client(position) => self.clients.get(position),
            Claim::Vendor(_) => None,
        }
    }

    /// Whether every one of `uris` goes where the claimed client's
    /// redirects go (for a vendor, where one of its clients' go).
    pub(super) fn is_backed(&self, claim: Claim, uris: &[RedirectUri]) -> bool {
        let clients: &[usize] = match claim {
            Claim::Client(ref position) => std::slice::from_ref(position),
            Claim::Vendor(position) => &self.vendors[position].clients,
        };
        accepts_all(
            clients
                .iter()
                .flat_map(|&position| self.patterns[position].iter()),
            uris,
        )
    }
}

/// The name an operator's entry replaces by.
fn lower_name(client: &KnownClient) -> String {
    client.name.trim().to_lowercase()
}
