//! The rules of one `POST /register` (RFC 7591 section 3) that are not the
//! metadata's own: which policy the body is read under, and whether the
//! client it asks for may be one shared with earlier registrations of the
//! same metadata (`DCR_DEDUP_PUBLIC`).

use serde_json::Value;

use crate::error::MetadataError;
use crate::initial_access::TokenPolicy;
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;
use crate::provenance::RegisteredVia;

/// A registration body that passed its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub metadata: ClientMetadata,
    /// The policy the client is issued under when it is not the server's
    /// own: the server's, narrowed by the initial access token's.
    pub narrowed: Option<RegistrationPolicy>,
}

/// Reads a registration body under the server's policy or, when an initial
/// access token authorized it, under that policy narrowed by the token's,
/// which also decides where redirects may go.
pub fn admit(
    body: &Value,
    server: &RegistrationPolicy,
    token: Option<&TokenPolicy>,
) -> Result<Admitted, MetadataError> {
    let Some(token) = token else {
        return Ok(Admitted {
            metadata: ClientMetadata::from_request(body, server)?,
            narrowed: None,
        });
    };
    let policy = token.narrow(server)?;
    let metadata = ClientMetadata::from_request(body, &policy)?;
    token.check(&metadata)?;
    Ok(Admitted {
        metadata,
        narrowed: Some(policy),
    })
}

/// The key under which `DCR_DEDUP_PUBLIC` may answer this registration with
/// the client of an earlier one ([`ClientMetadata::share_key`]), or `None`
/// when it gets a client of its own: deduplication is off, the registration
/// came with an initial access token (it is counted to its token, and held
/// to its policy), or its method needs a secret, which cannot be handed out
/// twice.
pub fn dedup_key(
    dedup_public: bool,
    via: RegisteredVia,
    metadata: &ClientMetadata,
) -> Option<String> {
    if !dedup_public || via != RegisteredVia::Open {
        return None;
    }
    metadata.share_key()
}

#[cfg(test)]
mod tests;
