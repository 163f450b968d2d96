//! The reserved-name rule, for a deployment that refuses rather than flags
//! (`DCR_RESERVED_NAMES=refuse`): a name that claims or resembles a known
//! client's, without being that client, is refused at registration and on
//! update. Mixed script alone is only a flag: plenty of honest names mix
//! scripts, and the consent page shows it.

use super::{KnownClients, NameFlag, name_flags};
use crate::error::{MetadataError, Problem};
use crate::metadata::ClientMetadata;

/// `Err` naming `client_name` when `metadata`'s name claims (`Impersonates`)
/// or looks like (`ConfusableWith`) a client of `known` it is not.
pub fn refuse_reserved_name(
    metadata: &ClientMetadata,
    known: &KnownClients,
) -> Result<(), MetadataError> {
    let claims_another = name_flags(metadata, known).iter().any(|flag| {
        matches!(
            flag,
            NameFlag::ConfusableWith(_) | NameFlag::Impersonates(_)
        )
    });
    if claims_another {
        Err(MetadataError::at_key("client_name", Problem::ReservedName))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::RegistrationPolicy;

    #[test]
    fn names_that_claim_or_resemble_a_known_client_are_refused() {
        let claude = "https://claude.ai/api/mcp/auth_callback";
        let elsewhere = "https://evil.example/cb";
        let cases: [(&str, &str, bool); 8] = [
            // The known client itself.
            ("Claude", claude, false),
            // Its name, its redirect elsewhere: impersonation.
            ("Claude", elsewhere, true),
            ("claude", elsewhere, true),
            // Its look (digit one for l; Cyrillic С).
            ("C1aude", elsewhere, true),
            ("\u{421}laude", elsewhere, true),
            // Mixed script that looks like no known client: a flag only.
            ("P\u{430}ypal", elsewhere, false),
            // Starting with a known name is not claiming it.
            ("Claudette", elsewhere, false),
            ("Acme Notes", elsewhere, false),
        ];
        for (name, redirect, refused) in cases {
            let metadata = ClientMetadata::from_request(
                &json!({
                    "client_name": name,
                    "redirect_uris": [redirect],
                    "token_endpoint_auth_method": "none",
                }),
                &RegistrationPolicy::default(),
            )
            .unwrap();
            let outcome = refuse_reserved_name(&metadata, &KnownClients::builtin());
            assert_eq!(outcome.is_err(), refused, "{name} {redirect}");
            if let Err(err) = outcome {
                assert_eq!(
                    err,
                    MetadataError::new("/client_name", Problem::ReservedName),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn a_client_without_a_name_claims_none() {
        let metadata = ClientMetadata::from_request(
            &json!({
                "redirect_uris": ["https://evil.example/cb"],
                "token_endpoint_auth_method": "none",
            }),
            &RegistrationPolicy::default(),
        )
        .unwrap();
        assert!(refuse_reserved_name(&metadata, &KnownClients::builtin()).is_ok());
    }
}
