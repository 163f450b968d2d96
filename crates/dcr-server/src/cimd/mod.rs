//! URL client ids (Client ID Metadata Documents): the verify call and the
//! admin view accept an `https` URL as `client_id`; the document there is
//! fetched (SSRF-safely, `fetch`), validated by the registration policy,
//! and cached (`cache`). Concurrent lookups of one URL share one fetch;
//! failures are cached only briefly, per URL and per host (`hosts`); fetches
//! take turns fairly between hosts (`turns`). Each replica keeps its own
//! cache.

mod cache;
mod check;
mod fetch;
mod hosts;
mod turns;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dcr_core::cimd::{DocumentError, DocumentUrl, DocumentUrlError, validate_document};
use dcr_core::consent::KnownClients;
use dcr_core::{ClientMetadata, RegistrationPolicy};
use tokio::sync::OnceCell;

use crate::clock::unix_now;
use crate::config::CimdConfig;
use crate::observability::metrics::Metrics;

use cache::Cache;
pub use check::{CheckReport, Outcome, Rule};
pub use fetch::FetchError;
use fetch::Fetcher;
use hosts::FailingHosts;
use turns::Turns;

/// How long a failed lookup is remembered, at most: long enough that a
/// burst of verifies for a broken URL makes one fetch, short enough that a
/// fixed document is seen soon.
const NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// URLs remembered at once, known clients' documents apart (see `cache`).
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
    #[error("the host of this client_id failed its last fetches; it is tried again shortly")]
    HostFailing,
}

#[derive(Debug)]
pub struct UrlClients {
    config: CimdConfig,
    policy: Arc<RegistrationPolicy>,
    /// Built once, off the HTTP workers, and only while URL client ids are
    /// on: its TLS set-up reads and parses the system's root certificates
    /// (megabytes, and a blocking file read), so it is built by the first
    /// lookup that needs it: idle memory stays low where none comes.
    fetcher: Arc<OnceCell<Fetcher>>,
    turns: Turns,
    failing_hosts: FailingHosts,
    /// The documents of the known clients (`known-clients.json` and the
    /// operator's file): never evicted, never refused for their host.
    known: HashSet<String>,
    slots: Mutex<Cache<Arc<Slot>>>,
    metrics: Metrics,
}

/// One URL's cache entry; its lock is held while it is fetched, so every
/// other lookup of that URL waits for that one fetch. Whoever holds an
/// `Arc` of it uses it: the cache evicts a slot only when it holds the last
/// one (clones are made under the cache's lock alone).
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
    pub fn new(
        config: CimdConfig,
        policy: Arc<RegistrationPolicy>,
        known_clients: &KnownClients,
        metrics: Metrics,
    ) -> Self {
        Self {
            fetcher: Arc::default(),
            turns: Turns::new(config.max_fetches, config.max_fetches_per_host),
            failing_hosts: FailingHosts::new(negative_ttl(&config)),
            known: known_clients
                .clients()
                .iter()
                .filter_map(|client| client.metadata_document.clone())
                .collect(),
            config,
            policy,
            slots: Mutex::new(Cache::new(MAX_ENTRIES)),
            metrics,
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    pub fn allows_http_loopback(&self) -> bool {
        self.config.allow_http_loopback
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
            Err(LookupError::HostFailing) => "host_failing",
            Err(_) => "refused",
        });
        *entry = Some(Entry {
            outcome: outcome.clone(),
            expires: Instant::now() + ttl,
        });
        outcome
    }

    async fn fetch(&self, url: &DocumentUrl) -> (Result<Arc<UrlClient>, LookupError>, Duration) {
        let negative = negative_ttl(&self.config);
        let host = url.host();
        // A host that keeps failing is refused at once, before and after the
        // wait for a turn (it may have failed meanwhile).
        let known = self.known.contains(url.as_str());
        let refused = || !known && self.failing_hosts.refuses(host, Instant::now());
        if refused() {
            return (Err(LookupError::HostFailing), Duration::ZERO);
        }
        // A lookup waits for a turn no longer than a fetch may take.
        let Some(_turn) = self.turns.take(host, self.config.timeout).await else {
            return (Err(LookupError::Busy), Duration::ZERO);
        };
        if refused() {
            return (Err(LookupError::HostFailing), Duration::ZERO);
        }
        let Ok(fetcher) = built_fetcher(&self.fetcher, &self.config).await else {
            return (Err(LookupError::Fetch(FetchError::Network)), Duration::ZERO);
        };
        let fair_share = async {
            tokio::time::sleep(self.config.timeout / 2).await;
            self.turns.contended(host).await;
        };
        let fetched = tokio::select! {
            fetched = fetcher.fetch(url) => fetched,
            () = fair_share => Err(FetchError::Cut),
        };
        let fetched = match fetched {
            Ok(fetched) => {
                self.failing_hosts.answered(host);
                fetched
            }
            Err(err) => {
                if err.is_the_hosts() {
                    self.failing_hosts.failed(host, Instant::now());
                }
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

    /// The cache slot of `url`, counting this use.
    fn slot(&self, url: &str) -> Arc<Slot> {
        let pinned = self.known.contains(url);
        self.lock_slots()
            .get_or_insert(url, pinned, Arc::default, |slot| {
                Arc::strong_count(slot) == 1
            })
    }

    fn lock_slots(&self) -> MutexGuard<'_, Cache<Arc<Slot>>> {
        // A panic while holding the cache leaves it usable: at worst an
        // entry is missing from the recency order and is never evicted.
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How long a failure is remembered, per URL and per host.
fn negative_ttl(config: &CimdConfig) -> Duration {
    NEGATIVE_TTL.min(config.min_ttl)
}

/// The fetcher, built by the first caller on a blocking thread (every
/// other caller waits for that build). A failed build is logged and tried
/// again by the next lookup.
async fn built_fetcher<'a>(
    cell: &'a OnceCell<Fetcher>,
    config: &CimdConfig,
) -> Result<&'a Fetcher, FetchError> {
    cell.get_or_try_init(|| async {
        let config = config.clone();
        match tokio::task::spawn_blocking(move || Fetcher::new(&config)).await {
            Ok(Ok(fetcher)) => Ok(fetcher),
            Ok(Err(err)) => {
                log::error!("the client metadata document fetcher could not be built: {err}");
                Err(FetchError::Network)
            }
            Err(err) => {
                log::error!("building the client metadata document fetcher failed: {err}");
                Err(FetchError::Network)
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests;
