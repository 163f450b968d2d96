//! The authorization server metadata dcr publishes (RFC 8414 section 2):
//! where registration is, what it accepts, and the authorization server's
//! own endpoints as the operator configured them.

use serde_json::{Map, Value};
use url::Url;

use crate::policy::RegistrationPolicy;

mod extra;
pub use extra::{DCR_MEMBERS, ExtraMetadata, ExtraMetadataError, owned_members};

/// What the document is built from.
#[derive(Debug, Clone, Copy)]
pub struct ServerMetadata<'a> {
    /// `DCR_ISSUER`; without it the issuer is `base`.
    pub issuer: Option<&'a Url>,
    /// The public base URL registration is reached at, without a trailing
    /// slash.
    pub base: &'a str,
    pub authorization_endpoint: Option<&'a Url>,
    pub token_endpoint: Option<&'a Url>,
    pub code_challenge_methods: &'a [String],
    /// What registration accepts.
    pub policy: &'a RegistrationPolicy,
    /// URL client ids are resolved by the verify call
    /// (draft-ietf-oauth-client-id-metadata-document section 5).
    pub url_client_ids: bool,
    /// The operator's members (`DCR_METADATA_FILE`), none of them dcr's.
    pub extra: &'a ExtraMetadata,
}

impl ServerMetadata<'_> {
    /// The document's members. An endpoint the operator did not configure
    /// is left out, as are `scopes_supported` when any scope is accepted and
    /// `client_id_metadata_document_supported` when URL client ids are off.
    /// The operator's members follow; where one names a member dcr wrote
    /// (which reading the file refuses), dcr's stays.
    pub fn document(&self) -> Map<String, Value> {
        let policy = self.policy;
        let mut document = Map::new();
        let issuer = self.issuer.map_or_else(
            || self.base.to_owned(),
            |issuer| issuer.as_str().trim_end_matches('/').to_owned(),
        );
        document.insert("issuer".into(), issuer.into());
        if let Some(endpoint) = self.authorization_endpoint {
            document.insert("authorization_endpoint".into(), endpoint.as_str().into());
        }
        if let Some(endpoint) = self.token_endpoint {
            document.insert("token_endpoint".into(), endpoint.as_str().into());
        }
        document.insert(
            "registration_endpoint".into(),
            format!("{}/register", self.base).into(),
        );
        document.insert(
            "token_endpoint_auth_methods_supported".into(),
            strings(policy.auth_methods.iter().map(|method| method.as_str())),
        );
        document.insert(
            "grant_types_supported".into(),
            strings(policy.grant_types.iter().map(|grant| grant.as_str())),
        );
        document.insert(
            "response_types_supported".into(),
            strings(
                policy
                    .response_types
                    .iter()
                    .map(|response| response.as_str()),
            ),
        );
        if let Some(allowed) = &policy.allowed_scopes {
            document.insert(
                "scopes_supported".into(),
                strings(allowed.tokens().iter().map(|token| token.as_str())),
            );
        }
        document.insert(
            "code_challenge_methods_supported".into(),
            strings(self.code_challenge_methods.iter().map(String::as_str)),
        );
        if self.url_client_ids {
            document.insert(
                "client_id_metadata_document_supported".into(),
                Value::Bool(true),
            );
        }
        for (member, value) in self.extra.members() {
            if !document.contains_key(member) {
                document.insert(member.clone(), value.clone());
            }
        }
        document
    }
}

fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(items.map(Value::from).collect())
}

#[cfg(test)]
mod tests;
