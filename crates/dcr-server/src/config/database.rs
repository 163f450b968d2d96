//! Settings of the database: where it is, how many connections it gets, and
//! the writers that batch registrations into it.

use std::time::Duration;

use clap::Args;
use dcr_store::{DatabaseUrl, StoreConfig};

use super::ConfigError;
use super::values::{parse_database_url, parse_in_range};

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// A postgres:// URL (several hosts allowed: h1:5432,h2:5432 with
    /// ?target_session_attrs=read-write), or a SQLite file as a path or sqlite:// URL.
    #[arg(long, env = "DCR_DATABASE_URL", default_value = "dcr.sqlite3", value_parser = parse_database_url, hide_env_values = true)]
    pub database_url: DatabaseUrl,

    /// Most database connections held open at once.
    #[arg(long, env = "DCR_DATABASE_POOL_SIZE", default_value_t = 16, value_parser = parse_in_range::<u32>("DCR_DATABASE_POOL_SIZE", 1, 1000))]
    pub database_pool_size: u32,

    /// Milliseconds to wait for a database connection before answering 503.
    #[arg(long, env = "DCR_DATABASE_TIMEOUT_MS", default_value_t = 3000, value_parser = parse_in_range::<u64>("DCR_DATABASE_TIMEOUT_MS", 50, 600_000))]
    pub database_timeout_ms: u64,

    /// Threads that write registrations; each writes what queued up meanwhile
    /// as one statement (group commit). Two: one batch fills while the other
    /// commits, and batches stay full (docs/benchmarks.md).
    #[arg(long, env = "DCR_DATABASE_WRITERS", default_value_t = 2, value_parser = parse_in_range::<usize>("DCR_DATABASE_WRITERS", 1, 256))]
    pub database_writers: usize,

    /// Registrations that may wait for a writer (and verify calls for a
    /// reader) before new ones get 503.
    #[arg(long, env = "DCR_DATABASE_QUEUE", default_value_t = 4096, value_parser = parse_in_range::<usize>("DCR_DATABASE_QUEUE", 1, 1_000_000))]
    pub database_queue: usize,
}

/// The database, checked.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub store: StoreConfig,
    pub writers: usize,
    pub queue: usize,
}

impl DatabaseSettings {
    pub fn into_config(self) -> Result<DatabaseConfig, ConfigError> {
        let mut store = StoreConfig::new(self.database_url);
        store.pool_size = self.database_pool_size;
        store.acquire_timeout = Duration::from_millis(self.database_timeout_ms);
        Ok(DatabaseConfig {
            store,
            writers: self.database_writers,
            queue: self.database_queue,
        })
    }
}
