//! What every shell command that opens the database takes.

use clap::Args;

/// Whether a shell command may create the database it is pointed at.
#[derive(Debug, Clone, Copy, Args)]
pub struct Target {
    /// Create the SQLite file of DCR_DATABASE_URL if it is not there (without
    /// it, a missing file is an error, not a new empty database).
    #[arg(long, global = true)]
    pub create: bool,
}
