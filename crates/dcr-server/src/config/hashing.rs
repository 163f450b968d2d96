//! Settings of secrets: how new ones are hashed, the threads and lines that
//! hash and check them, and what the verify call remembers.

use std::time::Duration;

use clap::Args;
use dcr_core::{BcryptCost, SecretHashing};

use super::ConfigError;
use super::values::{SecretHashArg, parse_in_range, parse_with};

#[derive(Debug, Clone, Args)]
pub struct HashingSettings {
    /// How new client secrets are hashed: bcrypt (at DCR_BCRYPT_COST) or
    /// sha256. Stored hashes of either scheme always verify.
    #[arg(long, env = "DCR_SECRET_HASH", default_value = "bcrypt", value_parser = parse_with::<SecretHashArg>("DCR_SECRET_HASH", "bcrypt or sha256"))]
    pub secret_hash: SecretHashArg,

    /// bcrypt work factor for client secrets (4 to 31). Lower it only in tests.
    #[arg(long, env = "DCR_BCRYPT_COST", default_value_t = 12, value_parser = parse_in_range::<u32>("DCR_BCRYPT_COST", 4, 31))]
    pub bcrypt_cost: u32,

    /// Threads that hash secrets at once [default: the number of CPUs].
    #[arg(long, env = "DCR_BCRYPT_THREADS", value_parser = parse_in_range::<usize>("DCR_BCRYPT_THREADS", 1, 256))]
    pub bcrypt_threads: Option<usize>,

    /// Secret checks the verify call remembers, so a client's repeated token
    /// requests cost one bcrypt comparison, not one each; 0 turns it off.
    #[arg(long, env = "DCR_VERIFY_CACHE_SIZE", default_value_t = 10_000, value_parser = parse_in_range::<usize>("DCR_VERIFY_CACHE_SIZE", 0, 10_000_000))]
    pub verify_cache_size: usize,

    /// Seconds within which a client's repeated valid checks (or used
    /// reports) do not write its last_used_at again; 0 writes every use.
    #[arg(long, env = "DCR_LAST_USED_RESOLUTION_SECS", default_value_t = 60, value_parser = parse_in_range::<u64>("DCR_LAST_USED_RESOLUTION_SECS", 0, 86_400))]
    pub last_used_resolution_secs: u64,

    /// Threads that check secrets for the admin verify call (the token
    /// endpoint's check), apart from registration's: a burst of confidential
    /// registrations never delays a token request [default: the number of CPUs].
    #[arg(long, env = "DCR_VERIFY_THREADS", value_parser = parse_in_range::<usize>("DCR_VERIFY_THREADS", 1, 256))]
    pub verify_threads: Option<usize>,

    /// Registrations that may wait for a hashing thread before new ones get 503.
    #[arg(long, env = "DCR_BCRYPT_QUEUE", default_value_t = 256, value_parser = parse_in_range::<usize>("DCR_BCRYPT_QUEUE", 1, 1_000_000))]
    pub bcrypt_queue: usize,

    /// Milliseconds of waiting a request may face in a hashing line (the
    /// line ahead, times the time per item, over the threads); a longer
    /// wait is answered 503 at once, with Retry-After. The time per item is
    /// the measured average plus twice its deviation; until a hash is
    /// measured, an estimate from DCR_BCRYPT_COST.
    #[arg(long, env = "DCR_QUEUE_MAX_WAIT_MS", default_value_t = 2000, value_parser = parse_in_range::<u64>("DCR_QUEUE_MAX_WAIT_MS", 1, 600_000))]
    pub queue_max_wait_ms: u64,
}

/// Hashing and checking secrets, checked.
#[derive(Debug, Clone)]
pub struct HashingConfig {
    pub bcrypt_cost: BcryptCost,
    /// How new secrets are hashed (`DCR_SECRET_HASH`, with the cost).
    pub secret_hashing: SecretHashing,
    pub bcrypt_threads: usize,
    pub bcrypt_queue: usize,
    /// Also how long a request waits for the database's turn.
    pub queue_max_wait: Duration,
    pub verify_threads: usize,
    pub verify_cache_size: usize,
    pub last_used_resolution_secs: u64,
}

impl HashingSettings {
    pub fn into_config(self) -> Result<HashingConfig, ConfigError> {
        let bcrypt_cost = BcryptCost::new(self.bcrypt_cost).map_err(|err| ConfigError {
            variable: "DCR_BCRYPT_COST",
            message: err.to_string(),
        })?;
        Ok(HashingConfig {
            bcrypt_cost,
            secret_hashing: match self.secret_hash {
                SecretHashArg::Bcrypt => SecretHashing::Bcrypt(bcrypt_cost),
                SecretHashArg::Sha256 => SecretHashing::Sha256,
            },
            bcrypt_threads: self.bcrypt_threads.unwrap_or_else(super::cpus),
            bcrypt_queue: self.bcrypt_queue,
            queue_max_wait: Duration::from_millis(self.queue_max_wait_ms),
            verify_threads: self.verify_threads.unwrap_or_else(super::cpus),
            verify_cache_size: self.verify_cache_size,
            last_used_resolution_secs: self.last_used_resolution_secs,
        })
    }
}
