//! URL client ids (Client ID Metadata Documents): the verify call and the
//! admin view accept an `https` URL as `client_id`; the document there is
//! fetched (SSRF-safely, `fetch`), validated by the registration policy,
//! and cached. Concurrent lookups of one URL share one fetch; failures are
//! cached only briefly. Each replica keeps its own cache.

mod fetch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use dcr_core::cimd::{DocumentError, DocumentUrl, DocumentUrlError, validate_document};
use dcr_core::{ClientMetadata, RegistrationPolicy};
use tokio::sync::Semaphore;

use crate::clock::unix_now;
use crate::config::CimdConfig;
use crate::metrics::Metrics;

pub use fetch::FetchError;
use fetch::Fetcher;

/// How long a failed lookup is remembered, at most: long enough that a
/// burst of verifies for a broken URL makes one fetch, short enough that a
/// fixed document is seen soon.
const NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// URLs remembered at once; past this, expired entries go first, then an
/// arbitrary half.
const MAX_ENTRIES: usize = 10_000;

/// A client identified by the document at its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlClient {
    pub url: DocumentUrl,
    pub metadata: ClientMetadata,
    /// When the document was fetched (Unix seconds).
    pub fetched_at: i64,
}

/// Why a URL is not (now) a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("URL client ids are turned off (DCR_CIMD=off)")]
    Off,
    #[error("the client_id {0}")]
    NotAUrl(DocumentUrlError),
    #[error(
        "the host of this client_id is not accepted (DCR_CIMD_ALLOWED_HOSTS, DCR_CIMD_BLOCKED_HOSTS)"
    )]
    HostRefused,
    #[error("{0}")]
    Fetch(FetchError),
    #[error("{0}")]
    Invalid(DocumentError),
    #[error("too many documents are being fetched; retry shortly")]
    Busy,
}

#[derive(Debug)]
pub struct UrlClients {
    config: CimdConfig,
    policy: Arc<RegistrationPolicy>,
    /// Built on the first lookup: its TLS set-up (the system's root
    /// certificates, parsed) costs megabytes that a deployment without URL
    /// client ids never needs.
    fetcher: OnceLock<Fetcher>,
    turns: Semaphore,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    metrics: Metrics,
}

/// One URL's cache entry; its lock is held while it is fetched, so every
/// other lookup of that URL waits for that one fetch.
#[derive(Debug, Default)]
struct Slot {
    entry: tokio::sync::Mutex<Option<Entry>>,
}

#[derive(Debug)]
struct Entry {
    outcome: Result<Arc<UrlClient>, LookupError>,
    expires: Instant,
}

impl UrlClients {
    pub fn new(config: CimdConfig, policy: Arc<RegistrationPolicy>, metrics: Metrics) -> Self {
        Self {
            fetcher: OnceLock::new(),
            turns: Semaphore::new(config.max_fetches),
            config,
            policy,
            slots: Mutex::default(),
            metrics,
        }
    }

    fn fetcher(&self) -> Result<&Fetcher, FetchError> {
        if let Some(fetcher) = self.fetcher.get() {
            return Ok(fetcher);
        }
        let built = Fetcher::new(&self.config).map_err(|err| {
            log::error!("the client metadata document fetcher could not be built: {err}");
            FetchError::Network
        })?;
        // Two first lookups at once may both build one; either is kept.
        Ok(self.fetcher.get_or_init(|| built))
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    pub fn allows_http_loopback(&self) -> bool {
        self.config.allow_http_loopback
    }

    /// Whether `raw` is meant as a URL client id (a registered client's id
    /// is a UUID, never a URL).
    pub fn looks_like_url(raw: &str) -> bool {
        raw.starts_with("https://") || raw.starts_with("http://")
    }

    /// Reads `raw` as a URL client id under the operator's rules.
    pub fn parse(&self, raw: &str) -> Result<DocumentUrl, LookupError> {
        if !self.config.enabled {
            return Err(LookupError::Off);
        }
        let url = DocumentUrl::parse(raw, self.config.allow_http_loopback)
            .map_err(LookupError::NotAUrl)?;
        if !self.config.accepts_host(url.host()) {
            return Err(LookupError::HostRefused);
        }
        Ok(url)
    }

    /// The client at `url`: from the cache while fresh, else fetched (once,
    /// however many ask at the same time) and validated.
    pub async fn lookup(&self, url: &DocumentUrl) -> Result<Arc<UrlClient>, LookupError> {
        let slot = self.slot(url.as_str());
        let mut entry = slot.entry.lock().await;
        if let Some(cached) = entry.as_ref()
            && cached.expires > Instant::now()
        {
            self.metrics.cimd_cache_hit();
            return cached.outcome.clone();
        }
        let (outcome, ttl) = self.fetch(url).await;
        self.metrics.cimd_fetch(match &outcome {
            Ok(_) => "ok",
            Err(LookupError::Fetch(err)) => err.outcome(),
            Err(LookupError::Invalid(_)) => "invalid",
            Err(LookupError::Busy) => "busy",
            Err(_) => "refused",
        });
        *entry = Some(Entry {
            outcome: outcome.clone(),
            expires: Instant::now() + ttl,
        });
        outcome
    }

    async fn fetch(&self, url: &DocumentUrl) -> (Result<Arc<UrlClient>, LookupError>, Duration) {
        let negative = NEGATIVE_TTL.min(self.config.min_ttl);
        // A bounded number of fetches at once; a lookup waits for a turn no
        // longer than a fetch may take.
        let turn = tokio::time::timeout(self.config.timeout, self.turns.acquire()).await;
        let Ok(Ok(_turn)) = turn else {
            return (Err(LookupError::Busy), Duration::ZERO);
        };
        let fetched = match async { self.fetcher()?.fetch(url).await }.await {
            Ok(fetched) => fetched,
            Err(err) => {
                log::info!("client metadata document {url} not fetched: {err}");
                return (Err(LookupError::Fetch(err)), negative);
            }
        };
        match validate_document(&fetched.body, url, &self.policy) {
            Ok(metadata) => (
                Ok(Arc::new(UrlClient {
                    url: url.clone(),
                    metadata,
                    fetched_at: unix_now(),
                })),
                fetched.ttl,
            ),
            Err(err) => {
                log::info!("client metadata document {url} refused: {err}");
                (Err(LookupError::Invalid(err)), negative)
            }
        }
    }

    fn slot(&self, url: &str) -> Arc<Slot> {
        let mut slots = self.lock_slots();
        if let Some(slot) = slots.get(url) {
            return slot.clone();
        }
        if slots.len() >= MAX_ENTRIES {
            evict(&mut slots);
        }
        let slot = Arc::new(Slot::default());
        slots.insert(url.to_owned(), slot.clone());
        slot
    }

    fn lock_slots(&self) -> MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        // A panic while holding the map leaves it consistent: every
        // operation on it is a single insert or removal.
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Makes room: entries that have expired (and are not being fetched) go;
/// if none has, half the table, so the cost stays amortised constant.
fn evict(slots: &mut HashMap<String, Arc<Slot>>) {
    let now = Instant::now();
    slots.retain(|_, slot| match slot.entry.try_lock() {
        Ok(entry) => entry.as_ref().is_some_and(|entry| entry.expires > now),
        // Being fetched: someone waits for it.
        Err(_) => true,
    });
    if slots.len() >= MAX_ENTRIES {
        let drop: Vec<String> = slots.keys().take(MAX_ENTRIES / 2).cloned().collect();
        for url in drop {
            slots.remove(&url);
        }
    }
}
