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

#[derive(Debug)]
pub struct ConsentMemo {
    known: Arc<KnownClients>,
    entries: Mutex<HashMap<ClientId, Entry>>,
    capacity: usize,
}

/// The signals, and what they were worked out from.
#[derive(Debug)]
struct Entry {
    metadata: ClientMetadata,
    source: Source,
    registered_at: i64,
    signals: Arc<ConsentSignals>,
}

impl ConsentMemo {
    pub fn new(known: Arc<KnownClients>, capacity: usize) -> Self {
        Self {
            known,
            entries: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// The consent signals of `client` at `now`, as `admin::views::consent_view`
    /// gives them.
    pub fn view(&self, client: &RegisteredClient, now: i64) -> Value {
        let subject = consent_subject(client);
        let remembered = self.entries().get(&client.client_id).and_then(|entry| {
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
        let entry = Entry {
            metadata: client.metadata.clone(),
            source: subject.source,
            registered_at: client.issued_at,
            signals: Arc::new(signals),
        };
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&client.client_id) {
            // Any entry: the working set is what is asked about again.
            if let Some(evicted) = entries.keys().next().copied() {
                entries.remove(&evicted);
            }
        }
        entries.insert(client.client_id, entry);
        view
    }

    /// How many clients are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }

    /// The signals remembered for `client_id`.
    #[cfg(test)]
    fn remembered(&self, client_id: &ClientId) -> Option<Arc<ConsentSignals>> {
        self.entries()
            .get(client_id)
            .map(|entry| entry.signals.clone())
    }

    /// Entries are whole whatever a thread did while holding them.
    fn entries(&self) -> MutexGuard<'_, HashMap<ClientId, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
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
