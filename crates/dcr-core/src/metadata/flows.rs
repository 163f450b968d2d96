//! `grant_types` and `response_types`: defaults, derivation of one from the
//! other, support by the operator's policy, agreement (RFC 7591 section 2.1),
//! and the grants a public client may not have (RFC 6749 sections 4.3, 4.4).

use std::collections::HashSet;

use super::Request;
use crate::error::{MetadataError, Problem, pointer_to_item};
use crate::grant_types::{GrantType, ResponseType, check_consistency};

impl Request<'_> {
    /// RFC 7591 section 2: absent `grant_types` default to `authorization_code`
    /// and absent `response_types` to `code`. When only one of them is given,
    /// the other is derived from it so the pair is consistent (section 2.1).
    pub(super) fn grant_and_response_types(
        &self,
    ) -> Result<(Vec<GrantType>, Vec<ResponseType>), MetadataError> {
        let grants = self.grant_types()?;
        let responses = self.response_types()?;
        let grants_given = grants.is_some();
        let (grants, responses) = match (grants, responses) {
            (Some(grants), Some(responses)) => (grants, responses),
            (Some(grants), None) => {
                let responses = derive_response_types(&grants);
                (grants, responses)
            }
            (None, Some(responses)) => {
                let grants = derive_grant_types(&responses);
                (grants, responses)
            }
            (None, None) => (
                vec![GrantType::AUTHORIZATION_CODE],
                vec![ResponseType::code()],
            ),
        };
        let unsupported_grant = grants
            .iter()
            .position(|grant| !self.policy.supports_grant_type(grant))
            .map(|index| pointer_to_item("grant_types", index));
        let unsupported_response = responses
            .iter()
            .position(|response_type| !self.policy.supports_response_type(response_type))
            .map(|index| pointer_to_item("response_types", index));
        // Blame the member the client sent, not the one derived from it.
        let unsupported = if grants_given {
            unsupported_grant.or(unsupported_response)
        } else {
            unsupported_response.or(unsupported_grant)
        };
        if let Some(pointer) = unsupported {
            return Err(MetadataError::new(pointer, Problem::UnsupportedValue));
        }
        check_consistency(&grants, &responses)
            .map_err(|(key, problem)| MetadataError::at_key(key, problem))?;
        Ok((grants, responses))
    }

    fn grant_types(&self) -> Result<Option<Vec<GrantType>>, MetadataError> {
        let key = "grant_types";
        let Some(raw) = self.optional_string_array(key, self.policy.limits.max_list_items)? else {
            return Ok(None);
        };
        if raw.is_empty() {
            return Err(MetadataError::at_key(key, Problem::Empty));
        }
        let mut seen = HashSet::with_capacity(raw.len());
        let mut grants: Vec<GrantType> = Vec::with_capacity(raw.len());
        for (index, text) in raw.into_iter().enumerate() {
            let grant = GrantType::parse(text)
                .map_err(|problem| MetadataError::new(pointer_to_item(key, index), problem))?;
            if seen.insert(text) {
                grants.push(grant);
            }
        }
        Ok(Some(grants))
    }

    fn response_types(&self) -> Result<Option<Vec<ResponseType>>, MetadataError> {
        let key = "response_types";
        let Some(raw) = self.optional_string_array(key, self.policy.limits.max_list_items)? else {
            return Ok(None);
        };
        let mut seen = HashSet::with_capacity(raw.len());
        let mut responses: Vec<ResponseType> = Vec::with_capacity(raw.len());
        for (index, text) in raw.into_iter().enumerate() {
            let response_type = ResponseType::parse(text)
                .map_err(|problem| MetadataError::new(pointer_to_item(key, index), problem))?;
            // `code id_token` and `id_token code` are one response type.
            if seen.insert(response_type.canonical()) {
                responses.push(response_type);
            }
        }
        Ok(Some(responses))
    }
}

/// RFC 6749 sections 4.3 and 4.4: the client credentials and password grants
/// need a client that authenticates at the token endpoint. A public client
/// with them could get tokens in its own name from anyone who learns its
/// client_id.
pub(super) fn check_public_client_grants(grants: &[GrantType]) -> Result<(), MetadataError> {
    match grants
        .iter()
        .find(|grant| grant.needs_client_authentication())
    {
        Some(grant) => Err(MetadataError::at_key(
            "grant_types",
            Problem::GrantNeedsClientAuthentication {
                grant_type: grant.named().unwrap_or("this grant"),
            },
        )),
        None => Ok(()),
    }
}

fn derive_response_types(grants: &[GrantType]) -> Vec<ResponseType> {
    let mut responses = Vec::new();
    if grants.contains(&GrantType::AUTHORIZATION_CODE) {
        responses.push(ResponseType::code());
    }
    if grants.contains(&GrantType::IMPLICIT) {
        responses.push(ResponseType::token());
    }
    responses
}

fn derive_grant_types(responses: &[ResponseType]) -> Vec<GrantType> {
    let mut grants = Vec::new();
    if responses.iter().any(|rt| rt.includes(ResponseType::CODE)) {
        grants.push(GrantType::AUTHORIZATION_CODE);
    }
    if responses.iter().any(|rt| rt.includes(ResponseType::TOKEN)) {
        grants.push(GrantType::IMPLICIT);
    }
    if grants.is_empty() {
        grants.push(GrantType::AUTHORIZATION_CODE);
    }
    grants
}
