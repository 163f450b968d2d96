//! The grammar of `dcr-server tokens ...` and `import`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::target::Target;

/// `dcr-server tokens ...`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue an initial access token (printed once).
    Create(CreateArgs),
    /// List every token, newest first (never the tokens themselves).
    List(TokenListArgs),
    /// Show one token.
    Show(TokenArgs),
    /// Revoke a token: it authorizes no more registrations.
    Revoke(TokenArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Seconds until the token stops working [default: never].
    #[arg(long)]
    pub expires_in: Option<u64>,
    /// Registrations it may authorize [default: any number].
    #[arg(long)]
    pub max_uses: Option<u64>,
    /// Who it is for, shown in lists.
    #[arg(long)]
    pub description: Option<String>,
    /// The scopes its registrations may ask for, space-separated (replaces
    /// DCR_ALLOWED_SCOPES for them).
    #[arg(long)]
    pub scope: Option<String>,
    /// A host (or *.domain) of https or loopback redirect URIs, or a
    /// private-use scheme with its colon (cursor:); repeat for more.
    #[arg(long = "redirect-host")]
    pub redirect_hosts: Vec<String>,
    /// An auth method its registrations may use; repeat for more.
    // Ids apart from the settings DCR_AUTH_METHODS and DCR_GRANT_TYPES, which
    // reach every subcommand (`cli/parse.rs`).
    #[arg(long = "auth-method", id = "token_auth_methods")]
    pub auth_methods: Vec<String>,
    /// A grant type its registrations may use; repeat for more.
    #[arg(long = "grant-type", id = "token_grant_types")]
    pub grant_types: Vec<String>,
    /// Its registrations must carry a software statement that verifies and
    /// was issued by this issuer (an iss of DCR_SOFTWARE_STATEMENT_ISSUERS).
    #[arg(long, id = "token_software_statement_issuer")]
    pub software_statement_issuer: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token's id (iat_...), never the token.
    pub id: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `dcr-server import --from PATH [--dry-run] [--json]`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The SQLite/libSQL database file of the Next.js registration endpoint.
    #[arg(long)]
    pub from: PathBuf,
    /// Report what would be imported, and store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}
