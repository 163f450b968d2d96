#![allow(clippy::unwrap_used)]

use super::*;

const CLAUDE_CODE: &str = "https://claude.ai/oauth/claude-code-client-metadata";

fn url_clients(enabled: bool) -> UrlClients {
    let mut config = crate::Settings::defaults().into_config().unwrap().cimd;
    config.enabled = enabled;
    UrlClients::new(
        config,
        Arc::new(RegistrationPolicy::default()),
        &KnownClients::builtin(),
        Metrics::new(),
    )
}

/// A slot whose fetch is under way (its lock held, as `lookup` holds it)
/// stays in the cache however many other URLs come: the next lookup of its
/// URL waits for that fetch instead of starting another.
#[tokio::test]
async fn eviction_keeps_slots_being_fetched() {
    let clients = url_clients(true);
    let in_flight: Vec<Arc<Slot>> = (0..20)
        .map(|i| clients.slot(&format!("https://a.example/in-flight/{i}")))
        .collect();
    let _fetching: Vec<_> = in_flight
        .iter()
        .map(|slot| slot.entry.try_lock().unwrap())
        .collect();
    for i in 0..MAX_ENTRIES {
        let slot = clients.slot(&format!("https://a.example/{i}"));
        *slot.entry.try_lock().unwrap() = Some(Entry {
            outcome: Err(LookupError::Busy),
            expires: Instant::now() + Duration::from_secs(600),
        });
    }
    for (i, slot) in in_flight.iter().enumerate() {
        let again = clients.slot(&format!("https://a.example/in-flight/{i}"));
        assert!(Arc::ptr_eq(slot, &again), "in-flight/{i} was evicted");
    }
}

/// Claude Code's document (a known client's) stays cached under a flood of
/// new URLs; the cache stays bounded.
#[tokio::test]
async fn a_flood_of_urls_keeps_the_known_clients_documents() {
    let clients = url_clients(true);
    let claude_code = clients.slot(CLAUDE_CODE);
    for i in 0..2 * MAX_ENTRIES {
        clients.slot(&format!("https://flood.example/{i}"));
    }
    assert!(Arc::ptr_eq(&claude_code, &clients.slot(CLAUDE_CODE)));
    assert_eq!(clients.lock_slots().len(), MAX_ENTRIES + 1);
}

/// The first lookup that needs the fetcher builds it on a blocking thread:
/// the runtime's thread (an HTTP worker's) goes on serving meanwhile.
#[tokio::test(flavor = "current_thread")]
async fn the_fetcher_is_built_off_the_runtime_thread() {
    let clients = url_clients(true);
    let ticks = std::sync::atomic::AtomicUsize::new(0);
    let ticker = async {
        loop {
            ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::select! {
        biased;
        built = built_fetcher(&clients.fetcher, &clients.config) => assert!(built.is_ok()),
        () = ticker => unreachable!(),
    }
    let ticks = ticks.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        ticks >= 2,
        "the runtime's thread was blocked ({ticks} ticks)"
    );
}
