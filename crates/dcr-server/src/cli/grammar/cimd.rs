//! The grammar of `dcr-server cimd ...`.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum CimdCommand {
    /// Fetch a client metadata document as the verify call would (the same
    /// SSRF rules, size and time limits, cache headers and DCR_CIMD_*
    /// settings) and print each rule with pass or fail, the TTL the cache
    /// would use and the consent signals. Exits 0 only when a verify would
    /// accept the document. Caches and records nothing; needs no database.
    Check(CimdCheckArgs),
}

#[derive(Debug, Args)]
pub struct CimdCheckArgs {
    /// The URL client id (the document's own URL).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Print JSON (as POST /admin/cimd/check answers) instead of text.
    #[arg(long)]
    pub json: bool,
}
