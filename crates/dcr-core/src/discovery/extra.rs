//! The members an operator adds to the discovery document (`jwks_uri`,
//! `revocation_endpoint`, `subject_types_supported`, ...): what the
//! authorization server supports that dcr cannot know. Read once, checked
//! member by member against the types RFC 8414 section 2 and OpenID Connect
//! Discovery 1.0 section 3 give them; a member dcr writes itself is never
//! the operator's.

use serde_json::{Map, Value};
use url::Url;

use crate::redirect_uri::is_loopback_host;

/// The members dcr writes from its own settings. `scopes_supported` is
/// dcr's only while registration limits scopes (see [`owned_members`]).
pub const DCR_MEMBERS: [&str; 10] = [
    "issuer",
    "registration_endpoint",
    "authorization_endpoint",
    "token_endpoint",
    "token_endpoint_auth_methods_supported",
    "grant_types_supported",
    "response_types_supported",
    "code_challenge_methods_supported",
    "client_id_metadata_document_supported",
    "scopes_supported",
];

/// Members whose value is `true` or `false` (RFC 8414, RFC 9207, RFC 9126,
/// RFC 8705, OpenID Connect Discovery and Session Management). Any other
/// member ending in `_supported` is a list of strings.
const BOOLEANS: [&str; 13] = [
    "authorization_response_iss_parameter_supported",
    "backchannel_logout_session_supported",
    "backchannel_logout_supported",
    "backchannel_user_code_parameter_supported",
    "claims_parameter_supported",
    "frontchannel_logout_session_supported",
    "frontchannel_logout_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_pushed_authorization_requests",
    "require_request_uri_registration",
    "require_signed_request_object",
    "tls_client_certificate_bound_access_tokens",
];

/// URL members whose names do not end in `_endpoint` or `_uri`.
const OTHER_URLS: [&str; 2] = ["check_session_iframe", "service_documentation"];

/// What OpenID Connect Discovery 1.0 section 3 requires that only the
/// operator can give.
const OPENID_REQUIRED: [&str; 3] = [
    "jwks_uri",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
];

/// The members dcr writes, so the operator's file may not: all of
/// [`DCR_MEMBERS`], but `scopes_supported` only while registration limits
/// the scopes (otherwise dcr leaves it out and the file may say it).
pub fn owned_members(scopes_limited: bool) -> Vec<&'static str> {
    DCR_MEMBERS
        .into_iter()
        .filter(|member| scopes_limited || *member != "scopes_supported")
        .collect()
}

/// What is wrong with an operator's metadata, naming the member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtraMetadataError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("must be a JSON object of metadata members")]
    NotObject,
    /// dcr writes this member itself.
    #[error("{0}: is written by dcr from its own settings and cannot be set here")]
    Owned(String),
    #[error("{member}: must be {expected}")]
    Type {
        member: String,
        expected: &'static str,
    },
}

/// The operator's members, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraMetadata {
    members: Map<String, Value>,
    /// Members neither RFC 8414 nor OpenID Discovery types, by name.
    unregistered: Vec<String>,
}

impl ExtraMetadata {
    /// Reads a JSON object of metadata members. `owned` are the members
    /// dcr writes (see [`owned_members`]): naming one is an error, so that
    /// the document never says two things. URL members must be `https`,
    /// or `http` on a loopback host (a development set-up).
    pub fn parse(json: &str, owned: &[&str]) -> Result<Self, ExtraMetadataError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|err| ExtraMetadataError::NotJson(err.to_string()))?;
        let Value::Object(members) = value else {
            return Err(ExtraMetadataError::NotObject);
        };
        let mut unregistered = Vec::new();
        for (member, value) in &members {
            if owned.contains(&member.as_str()) {
                return Err(ExtraMetadataError::Owned(member.clone()));
            }
            let kind = Kind::of(member);
            if kind == Kind::Unregistered {
                unregistered.push(member.clone());
            }
            if !kind.accepts(value) {
                return Err(ExtraMetadataError::Type {
                    member: member.clone(),
                    expected: kind.expected(),
                });
            }
        }
        Ok(Self {
            members,
            unregistered,
        })
    }

    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// Members published as they are, though no specification dcr knows
    /// gives them a type: worth a line in the start-up log (a typo such as
    /// `jwks_url` lands here).
    pub fn unregistered(&self) -> &[String] {
        &self.unregistered
    }

    /// What `/.well-known/openid-configuration` would lack (OpenID Connect
    /// Discovery 1.0 section 3), each a short phrase; empty when nothing.
    /// `authorization_endpoint` is dcr's setting and REQUIRED there whatever
    /// the grant types; `id_token_signing_alg_values_supported` MUST list
    /// `RS256`. (`issuer`, `response_types_supported` and, where RFC 8414
    /// requires it, `token_endpoint` dcr checks already.)
    pub fn openid_missing(&self, has_authorization_endpoint: bool) -> Vec<String> {
        let mut missing: Vec<String> = OPENID_REQUIRED
            .into_iter()
            .filter(|member| !self.members.contains_key(*member))
            .map(str::to_owned)
            .collect();
        if let Some(Value::Array(algs)) = self.members.get("id_token_signing_alg_values_supported")
            && !algs.contains(&Value::from("RS256"))
        {
            missing.push("RS256 in id_token_signing_alg_values_supported".to_owned());
        }
        if !has_authorization_endpoint {
            missing.insert(0, "authorization_endpoint".to_owned());
        }
        missing
    }
}

/// The type a member's name gives its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Boolean,
    Url,
    Strings,
    /// `mtls_endpoint_aliases` (RFC 8705 section 5): endpoint names to URLs.
    UrlMap,
    /// `signed_metadata` (RFC 8414 section 2.1): a JWT.
    String,
    /// No specification dcr knows: a string, number, boolean or list of
    /// strings, nothing nested.
    Unregistered,
}

impl Kind {
    fn of(member: &str) -> Self {
        if BOOLEANS.contains(&member) {
            Self::Boolean
        } else if member == "mtls_endpoint_aliases" {
            Self::UrlMap
        } else if member == "signed_metadata" {
            Self::String
        } else if member.ends_with("_endpoint")
            || member.ends_with("_uri")
            || OTHER_URLS.contains(&member)
        {
            Self::Url
        } else if member.ends_with("_supported") {
            Self::Strings
        } else {
            Self::Unregistered
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::Boolean => value.is_boolean(),
            Self::Url => value.as_str().is_some_and(is_published_url),
            Self::Strings => is_strings(value),
            Self::UrlMap => value.as_object().is_some_and(|aliases| {
                aliases
                    .values()
                    .all(|url| url.as_str().is_some_and(is_published_url))
            }),
            Self::String => value.as_str().is_some_and(|text| !text.is_empty()),
            Self::Unregistered => match value {
                Value::String(text) => !text.is_empty(),
                Value::Bool(_) | Value::Number(_) => true,
                Value::Array(_) => is_strings(value),
                Value::Null | Value::Object(_) => false,
            },
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Boolean => "true or false",
            Self::Url => "an https URL without a fragment (http only on a loopback host)",
            Self::Strings => "an array of non-empty strings",
            Self::UrlMap => "an object whose values are https URLs",
            Self::String => "a non-empty string",
            Self::Unregistered => {
                "a non-empty string, a number, a boolean or an array of non-empty strings"
            }
        }
    }
}

fn is_strings(value: &Value) -> bool {
    value.as_array().is_some_and(|items| {
        items
            .iter()
            .all(|item| item.as_str().is_some_and(|text| !text.is_empty()))
    })
}

/// An endpoint a client will call: `https`, or `http` to this machine
/// (RFC 8252 section 8.3's loopback exception, for development); no
/// fragment (RFC 6749 section 3.1).
fn is_published_url(raw: &str) -> bool {
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    if url.fragment().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback_host(&url),
        _ => false,
    }
}
