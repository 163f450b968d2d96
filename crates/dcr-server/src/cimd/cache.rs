//! Which URLs the cache keeps when it is full: a segmented LRU. A URL enters
//! on probation; a second use moves it to the protected segment (most of
//! the room), so a flood of URLs each used once churns probation only and
//! the documents in steady use stay. Known clients' documents are pinned:
//! never evicted (the list is bounded). An entry in use, that is with a
//! fetch under way or lookups waiting for it, is never evicted either, so
//! a burst for one URL always shares one fetch. Each operation costs
//! O(log n), plus O(log n) per entry in use met while making room (at most
//! the lookups under way).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Share of the room for entries used more than once.
const PROTECTED_PERCENT: usize = 80;

#[derive(Debug)]
pub(super) struct Cache<V> {
    entries: HashMap<Arc<str>, Node<V>>,
    /// Least recently used first, by the tick of the last use.
    probation: BTreeMap<u64, Arc<str>>,
    protected: BTreeMap<u64, Arc<str>>,
    /// Entries on probation and protected at most (pinned ones apart),
    /// unless every candidate is in use.
    capacity: usize,
    protected_capacity: usize,
    tick: u64,
}

#[derive(Debug)]
struct Node<V> {
    value: V,
    place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Pinned,
    Probation(u64),
    Protected(u64),
}

impl<V> Cache<V> {
    pub(super) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            entries: HashMap::new(),
            probation: BTreeMap::new(),
            protected: BTreeMap::new(),
            capacity,
            protected_capacity: capacity * PROTECTED_PERCENT / 100,
            tick: 0,
        }
    }

    /// The value kept for `key`, counting this use; else a new one from
    /// `make`, after making room by evicting entries that `settled` says
    /// nobody uses now.
    pub(super) fn get_or_insert(
        &mut self,
        key: &str,
        pinned: bool,
        make: impl FnOnce() -> V,
        settled: impl Fn(&V) -> bool,
    ) -> V
    where
        V: Clone,
    {
        if let Some(value) = self.touch(key) {
            return value;
        }
        let key: Arc<str> = Arc::from(key);
        let place = if pinned {
            Place::Pinned
        } else {
            self.make_room(&settled);
            let tick = self.next_tick();
            self.probation.insert(tick, key.clone());
            Place::Probation(tick)
        };
        let value = make();
        self.entries.insert(
            key,
            Node {
                value: value.clone(),
                place,
            },
        );
        value
    }

    /// Entries kept, pinned ones included.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub(super) fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// A second (or later) use: to the protected segment's most recent end;
    /// its least recent entry goes back on probation when it overflows.
    fn touch(&mut self, key: &str) -> Option<V>
    where
        V: Clone,
    {
        let (shared, node) = self.entries.get_key_value(key)?;
        let (shared, value, place) = (shared.clone(), node.value.clone(), node.place);
        match place {
            Place::Pinned => return Some(value),
            Place::Probation(tick) => self.probation.remove(&tick),
            Place::Protected(tick) => self.protected.remove(&tick),
        };
        let tick = self.next_tick();
        self.protected.insert(tick, shared.clone());
        self.set_place(&shared, Place::Protected(tick));
        if self.protected.len() > self.protected_capacity
            && let Some((_, demoted)) = self.protected.pop_first()
        {
            let tick = self.next_tick();
            self.probation.insert(tick, demoted.clone());
            self.set_place(&demoted, Place::Probation(tick));
        }
        Some(value)
    }

    fn set_place(&mut self, key: &str, place: Place) {
        if let Some(node) = self.entries.get_mut(key) {
            node.place = place;
        }
    }

    /// Evicts until there is room for one more: the least recently used
    /// settled entry on probation, else in the protected segment. When every
    /// entry is in use, the cache grows past its capacity for a while (by
    /// at most the lookups under way).
    fn make_room(&mut self, settled: &impl Fn(&V) -> bool) {
        while self.probation.len() + self.protected.len() >= self.capacity {
            if !self.evict_one(false, settled) && !self.evict_one(true, settled) {
                return;
            }
        }
    }

    fn evict_one(&mut self, protected: bool, settled: &impl Fn(&V) -> bool) -> bool {
        let mut in_use = Vec::new();
        let evicted = loop {
            let segment = if protected {
                &mut self.protected
            } else {
                &mut self.probation
            };
            let Some((_, key)) = segment.pop_first() else {
                break false;
            };
            if self
                .entries
                .get(&key)
                .is_none_or(|node| settled(&node.value))
            {
                self.entries.remove(&key);
                break true;
            }
            in_use.push(key);
        };
        // Entries in use are being used: they go to the recent end.
        for key in in_use {
            let tick = self.next_tick();
            let place = if protected {
                self.protected.insert(tick, key.clone());
                Place::Protected(tick)
            } else {
                self.probation.insert(tick, key.clone());
                Place::Probation(tick)
            };
            self.set_place(&key, place);
        }
        evicted
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn use_key(cache: &mut Cache<Arc<()>>, key: &str) -> Arc<()> {
        let pinned = key.starts_with("known");
        cache.get_or_insert(key, pinned, Arc::default, |value| {
            Arc::strong_count(value) == 1
        })
    }

    /// A flood of URLs used once keeps neither a known client's document
    /// nor one in steady use out of the cache.
    #[test]
    fn a_flood_of_new_urls_evicts_neither_known_nor_reused_entries() {
        let mut cache = Cache::new(10);
        use_key(&mut cache, "known-claude-code");
        use_key(&mut cache, "steady");
        use_key(&mut cache, "steady");
        for i in 0..1000 {
            use_key(&mut cache, &format!("flood-{i}"));
        }
        assert!(cache.contains("known-claude-code"));
        assert!(cache.contains("steady"));
        assert!(cache.contains("flood-999"));
        assert!(!cache.contains("flood-0"));
        assert_eq!(cache.len(), 11, "the capacity and the pinned entry");
    }

    /// An entry in use (a fetch under way) is never evicted: the next
    /// lookup of its URL finds the very same entry.
    #[test]
    fn entries_in_use_are_never_evicted() {
        let mut cache = Cache::new(8);
        let in_use: Vec<Arc<()>> = (0..4)
            .map(|i| use_key(&mut cache, &format!("fetching-{i}")))
            .collect();
        for i in 0..1000 {
            use_key(&mut cache, &format!("flood-{i}"));
        }
        for (i, held) in in_use.iter().enumerate() {
            let found = use_key(&mut cache, &format!("fetching-{i}"));
            assert!(Arc::ptr_eq(held, &found), "fetching-{i} was evicted");
        }
        assert_eq!(cache.len(), 8);
    }

    /// Every entry in use: the cache grows rather than evict one, and
    /// shrinks back once they settle.
    #[test]
    fn a_cache_of_entries_in_use_grows_then_shrinks_back() {
        let mut cache = Cache::new(4);
        let held: Vec<Arc<()>> = (0..6)
            .map(|i| use_key(&mut cache, &format!("fetching-{i}")))
            .collect();
        assert_eq!(cache.len(), 6);
        drop(held);
        use_key(&mut cache, "later");
        assert_eq!(cache.len(), 4);
    }

    /// Among entries used more than once, the least recently used goes
    /// back on probation first, and from there out.
    #[test]
    fn the_least_recently_used_goes_first() {
        let mut cache = Cache::new(5);
        for key in ["a", "b", "c", "d"] {
            use_key(&mut cache, key);
            use_key(&mut cache, key);
        }
        // The protected segment holds 4 of 5: "a" is its oldest, used now.
        use_key(&mut cache, "a");
        use_key(&mut cache, "e");
        use_key(&mut cache, "e");
        use_key(&mut cache, "f");
        for kept in ["a", "c", "d", "e", "f"] {
            assert!(cache.contains(kept), "{kept}");
        }
        assert!(!cache.contains("b"), "b was the least recently used");
    }
}
