//! A memory of secret checks that succeeded, in front of bcrypt. A token
//! endpoint asks dcr to verify a client's secret on every token request, and
//! one bcrypt comparison costs about 0.2 s of a CPU at the default cost: that
//! would cap token requests at a few per second per core.
//!
//! An entry is the SHA-256 of (stored bcrypt hash, presented secret), so it
//! vouches only for that pair: rotating the secret changes the stored hash and
//! the entry no longer applies; disabling, deleting and expiry are checked on
//! the current row every time. Secrets are 256-bit random strings, so their
//! SHA-256 is as hard to reverse as their bcrypt hash (the same reasoning as
//! for registration access tokens), and the memory holds no secret.
//!
//! Checks of one pair that nothing remembers yet take turns: after a restart
//! a token endpoint's burst for one client would otherwise run bcrypt once
//! per request, all at once. The first runs bcrypt; the others find its
//! result remembered. (A wrong secret is never remembered, so guesses at one
//! client's secret are checked one at a time.)

// Kept rather than `moka`: moka's `try_get_with` coalesces concurrent loads
// of a value, but nothing here is a value to load: a pair is remembered only
// after bcrypt confirms it, and a wrong secret must never be remembered, so
// the turns wait on the check, not on a cache entry. Two generations of hash
// sets bound the memory without moka's tree of dependencies.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use dcr_core::SecretHash;
use sha2::{Digest, Sha256};

type Key = [u8; 32];

/// Bounded by two generations of `capacity / 2` entries: when the young one
/// fills, the old one is dropped, so recently used pairs stay.
#[derive(Debug)]
pub struct VerifiedSecrets {
    generations: Mutex<Generations>,
    generation_size: usize,
    /// One lock per pair being checked, removed by the last to leave.
    turns: Mutex<HashMap<Key, TurnLock>>,
}

#[derive(Debug)]
struct TurnLock {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Turns taken or awaited, counted under the map's lock (an `Arc`'s
    /// count is not: it drops after the mutex is released).
    users: usize,
}

/// The caller's turn to check a pair; see `VerifiedSecrets::take_turn`.
#[derive(Debug)]
pub struct Turn<'memory> {
    memory: &'memory VerifiedSecrets,
    key: Key,
    /// Counted among the pair's users; also while still waiting, so a
    /// caller that gives up waiting (a dropped request) is counted out.
    counted: bool,
    lock: Option<tokio::sync::OwnedMutexGuard<()>>,
}

#[derive(Debug, Default)]
struct Generations {
    young: HashSet<Key>,
    old: HashSet<Key>,
}

impl VerifiedSecrets {
    /// `capacity` 0 turns the memory off: every check runs bcrypt.
    pub fn new(capacity: usize) -> Self {
        Self {
            generations: Mutex::new(Generations::default()),
            generation_size: capacity / 2,
            turns: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until no other check of this pair is under way. Ask `remembers`
    /// again once it is your turn: the check before may have settled it.
    /// With the memory off, there is nothing to wait for.
    pub async fn take_turn(&self, hash: &SecretHash, presented: &str) -> Turn<'_> {
        let key = Self::key(hash, presented);
        let mut turn = Turn {
            memory: self,
            key,
            counted: false,
            lock: None,
        };
        if self.generation_size == 0 {
            return turn;
        }
        let lock = {
            let mut turns = self.lock_turns();
            let entry = turns.entry(key).or_insert_with(|| TurnLock {
                lock: Arc::new(tokio::sync::Mutex::new(())),
                users: 0,
            });
            entry.users += 1;
            turn.counted = true;
            entry.lock.clone()
        };
        turn.lock = Some(lock.lock_owned().await);
        turn
    }

    fn lock_turns(&self) -> MutexGuard<'_, HashMap<Key, TurnLock>> {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn key(hash: &SecretHash, presented: &str) -> Key {
        let mut digest = Sha256::new();
        digest.update(hash.as_stored().as_bytes());
        // A separator no bcrypt hash contains, so no two pairs run together.
        digest.update([0u8]);
        digest.update(presented.as_bytes());
        digest.finalize().into()
    }

    /// Whether this exact pair has been verified before.
    pub fn remembers(&self, hash: &SecretHash, presented: &str) -> bool {
        if self.generation_size == 0 {
            return false;
        }
        let key = Self::key(hash, presented);
        let mut generations = self.lock();
        if generations.young.contains(&key) {
            return true;
        }
        if generations.old.remove(&key) {
            self.insert(&mut generations, key);
            return true;
        }
        false
    }

    /// Compares with bcrypt and remembers a match.
    pub fn verify(&self, hash: &SecretHash, presented: &str) -> bool {
        let matches = hash.verify(presented);
        if matches && self.generation_size > 0 {
            let key = Self::key(hash, presented);
            let mut generations = self.lock();
            self.insert(&mut generations, key);
        }
        matches
    }

    fn insert(&self, generations: &mut Generations, key: Key) {
        if generations.young.len() >= self.generation_size {
            generations.old = std::mem::take(&mut generations.young);
        }
        generations.young.insert(key);
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // The next caller may go on at once; the entry stays while counted.
        drop(self.lock.take());
        if !self.counted {
            return;
        }
        let mut turns = self.memory.lock_turns();
        if let Some(entry) = turns.get_mut(&self.key) {
            entry.users -= 1;
            if entry.users == 0 {
                turns.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use dcr_core::{BcryptCost, ClientSecret};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn hashed(seed: u64) -> (ClientSecret, SecretHash) {
        let mut rng = StdRng::seed_from_u64(seed);
        let secret = ClientSecret::generate(&mut rng);
        let hash = secret.hash(BcryptCost::new(4).unwrap(), &mut rng).unwrap();
        (secret, hash)
    }

    #[test]
    fn remembers_only_pairs_that_matched() {
        let memory = VerifiedSecrets::new(100);
        let (secret, hash) = hashed(1);
        assert!(!memory.remembers(&hash, secret.expose()));
        assert!(!memory.verify(&hash, "wrong"));
        assert!(!memory.remembers(&hash, "wrong"));
        assert!(memory.verify(&hash, secret.expose()));
        assert!(memory.remembers(&hash, secret.expose()));
    }

    #[test]
    fn a_new_hash_for_the_same_secret_is_a_new_pair() {
        let memory = VerifiedSecrets::new(100);
        let (secret, hash) = hashed(2);
        assert!(memory.verify(&hash, secret.expose()));
        // A rotation stores another hash: what was vouched for no longer applies.
        let rehashed = secret
            .hash(BcryptCost::new(4).unwrap(), &mut StdRng::seed_from_u64(3))
            .unwrap();
        assert!(!memory.remembers(&rehashed, secret.expose()));
    }

    #[test]
    fn stays_bounded_and_keeps_recent_pairs() {
        let memory = VerifiedSecrets::new(4);
        let pairs: Vec<_> = (10..16).map(hashed).collect();
        for (secret, hash) in &pairs {
            assert!(memory.verify(hash, secret.expose()));
        }
        let generations = memory.lock();
        assert!(generations.young.len() + generations.old.len() <= 4);
        drop(generations);
        let (secret, hash) = pairs.last().unwrap();
        assert!(memory.remembers(hash, secret.expose()));
        let (secret, hash) = pairs.first().unwrap();
        assert!(!memory.remembers(hash, secret.expose()));
    }

    /// What the verify call does: concurrent first checks of one pair, with
    /// bcrypt off the async thread.
    async fn check_concurrently(memory: &Arc<VerifiedSecrets>, presented: &str) -> usize {
        let (_, hash) = hashed(30);
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let checks = (0..16).map(|_| {
            let (memory, runs) = (memory.clone(), runs.clone());
            let (hash, presented) = (hash.clone(), presented.to_owned());
            tokio::spawn(async move {
                let _turn = memory.take_turn(&hash, &presented).await;
                if !memory.remembers(&hash, &presented) {
                    runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let bcrypt = memory.clone();
                    tokio::task::spawn_blocking(move || bcrypt.verify(&hash, &presented))
                        .await
                        .unwrap();
                }
            })
        });
        for check in checks.collect::<Vec<_>>() {
            check.await.unwrap();
        }
        runs.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_checks_of_one_pair_run_bcrypt_once() {
        let memory = Arc::new(VerifiedSecrets::new(100));
        let (secret, _) = hashed(30);
        assert_eq!(check_concurrently(&memory, secret.expose()).await, 1);
        assert!(memory.lock_turns().is_empty(), "no turn is left behind");
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_leaves_no_turn_behind() {
        let memory = VerifiedSecrets::new(100);
        let (secret, hash) = hashed(31);
        let first = memory.take_turn(&hash, secret.expose()).await;
        {
            use futures_util::FutureExt as _;
            let mut waiting = std::pin::pin!(memory.take_turn(&hash, secret.expose()));
            // Polled once, so it is queued for the lock, then dropped.
            assert!(waiting.as_mut().now_or_never().is_none());
        }
        drop(first);
        assert!(memory.lock_turns().is_empty(), "no turn is left behind");
        let _again = memory.take_turn(&hash, secret.expose()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_wrong_secret_is_checked_every_time() {
        let memory = Arc::new(VerifiedSecrets::new(100));
        assert_eq!(check_concurrently(&memory, "wrong").await, 16);
        assert!(memory.lock_turns().is_empty(), "no turn is left behind");
    }

    #[test]
    fn capacity_zero_never_remembers() {
        let memory = VerifiedSecrets::new(0);
        let (secret, hash) = hashed(20);
        assert!(memory.verify(&hash, secret.expose()));
        assert!(!memory.remembers(&hash, secret.expose()));
    }
}
