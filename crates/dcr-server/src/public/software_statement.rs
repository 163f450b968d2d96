//! Software statements (RFC 7591 sections 2.3 and 3.1.1) on the way into
//! the registration rules: the one place a request's document becomes the
//! document admitted, for `POST /register`, RFC 7592 updates and any dry
//! run of them alike.

use dcr_core::TokenPolicy;
use dcr_core::software_statement::{self, Applied, StatementRules};
use serde_json::Value;

use crate::config::SoftwareStatementConfig;
use crate::http::error::ApiError;

/// `document` with its software statement applied, as
/// `DCR_SOFTWARE_STATEMENTS` and the registration's initial access token
/// (`token`, with its `software_statement_issuer`) say: the statement's
/// claims in place of the same members, and its issuer for the client's
/// provenance. `open` is a registration without an initial access token,
/// which `require` holds to carrying one. Refused (400,
/// `invalid_software_statement` or `unapproved_software_statement`) when a
/// statement that must verify does not.
pub fn admitted_document(
    statements: &SoftwareStatementConfig,
    document: Value,
    open: bool,
    token: Option<&TokenPolicy>,
    now: i64,
) -> Result<Applied, ApiError> {
    let rules = StatementRules {
        mode: statements.mode,
        issuers: &statements.issuers,
        open,
        required_issuer: token.and_then(|policy| policy.software_statement_issuer.as_deref()),
    };
    Ok(software_statement::apply(document, &rules, now)?)
}
