//! The consent signals of registered clients, remembered. A token
//! endpoint's verify and lookup calls ask about the same clients again and
//! again, and working the signals out (the name cut into words, folded and
//! looked up; each redirect URI parsed and matched) took a fifth of a verify
//! call's CPU. An entry answers only while the client's metadata, source
//! and registration time are what they were when it was worked out, so an
//! update (RFC 7592) is seen at the next call; the age is computed for each
//! answer. The known clients are read once, at start-up, so they cannot
//! change under an entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use dcr_core::consent::{ConsentSignals, KnownClients, Source, Subject};
use dcr_core::{ClientId, ClientMetadata, RegisteredClient, RegisteredVia};
use serde_json::Value;

/// Clients remembered at most: a token endpoint's working set. Past it,
/// an entry makes room for the next; a client asked about again is worked
/// out again.
pub const REMEMBERED_CLIENTS: usize = 1024;

/// Bytes the entries may hold in all. Anyone may register a client with
/// metadata up to `DCR_MAX_BODY_BYTES` and have a token endpoint verify it,
/// so the memory is bounded by size too, not by the count alone: 1,024
/// clients of usual metadata (about 1 KiB) fit, 64 of the largest.
pub const REMEMBERED_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug)]
pub struct ConsentMemo {
    known: Arc<KnownClients>,
    remembered: Mutex<Remembered>,
    capacity: usize,
    budget: usize,
}

#[derive(Debug, Default)]
struct Remembered {
    entries: HashMap<ClientId, Entry>,
    /// The entries' weights added up.
    bytes: usize,
}

/// The signals, and what they were worked out from.
#[derive(Debug)]
struct Entry {
    metadata: ClientMetadata,
    source: Source,
    registered_at: i64,
    signals: Arc<ConsentSignals>,
    /// About what the entry holds: its metadata as JSON, twice (the copy,
    /// and the signals drawn from it), and a fixed part.
    weight: usize,
}

impl ConsentMemo {
    pub fn new(known: Arc<KnownClients>, capacity: usize, budget: usize) -> Self {
        Self {
            known,
            remembered: Mutex::default(),
            capacity: capacity.max(1),
            budget,
        }
    }

    /// The consent signals of `client` at `now`, as `admin::views::consent_view`
    /// gives them.
    pub fn view(&self, client: &RegisteredClient, now: i64) -> Value {
        let subject = consent_subject(client);
        let remembered = self
            .remembered()
            .entries
            .get(&client.client_id)
            .and_then(|entry| {
                (entry.metadata == client.metadata
                    && entry.source == subject.source
                    && entry.registered_at == client.issued_at)
                    .then(|| entry.signals.clone())
            });
        if let Some(signals) = remembered {
            return signals.to_json_at(now);
        }
        let signals = ConsentSignals::of(&subject, &self.known, now);
        let view = signals.to_json();
        let weight =
            2 * serde_json::to_vec(&client.metadata.to_json()).map_or(0, |json| json.len()) + 512;
        let entry = Entry {
            metadata: client.metadata.clone(),
            source: subject.source,
            registered_at: client.issued_at,
            signals: Arc::new(signals),
            weight,
        };
        self.remember(client.client_id, entry);
        view
    }

    /// Keeps `entry`, making room first: any entries go (the working set is
    /// what is asked about again). One heavier than the whole budget is not
    /// kept.
    fn remember(&self, client_id: ClientId, entry: Entry) {
        if entry.weight > self.budget {
            return;
        }
        let mut remembered = self.remembered();
        if let Some(replaced) = remembered.entries.remove(&client_id) {
            remembered.bytes -= replaced.weight;
        }
        while remembered.entries.len() >= self.capacity
            || remembered.bytes + entry.weight > self.budget
        {
            let Some(evicted) = remembered.entries.keys().next().copied() else {
                break;
            };
            if let Some(evicted) = remembered.entries.remove(&evicted) {
                remembered.bytes -= evicted.weight;
            }
        }
        remembered.bytes += entry.weight;
        remembered.entries.insert(client_id, entry);
    }

    /// How many clients are remembered, and their weight in all.
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let remembered = self.remembered();
        (remembered.entries.len(), remembered.bytes)
    }

    /// The signals remembered for `client_id`.
    #[cfg(test)]
    fn signals_of(&self, client_id: &ClientId) -> Option<Arc<ConsentSignals>> {
        self.remembered()
            .entries
            .get(client_id)
            .map(|entry| entry.signals.clone())
    }

    /// Entries are whole whatever a thread did while holding them.
    fn remembered(&self) -> MutexGuard<'_, Remembered> {
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the consent signals of a registered client are worked out from.
pub fn consent_subject(client: &RegisteredClient) -> Subject<'_> {
    let source = match client.provenance.via {
        RegisteredVia::Admin => Source::Admin,
        RegisteredVia::Imported => Source::Imported,
        RegisteredVia::Open | RegisteredVia::Token => Source::Registered,
    };
    Subject {
        metadata: &client.metadata,
        source,
        registered_at: Some(client.issued_at),
        verified_host: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
