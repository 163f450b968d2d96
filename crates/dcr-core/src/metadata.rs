//! A registration request in, validated client metadata out (RFC 7591 sections
//! 2 and 3.1). Every default and cross-field rule is applied here, once.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::auth_method::AuthMethod;
use crate::client_url::ClientUrl;
use crate::error::{MetadataError, Problem, pointer_to_item};
use crate::grant_types::{GrantType, ResponseType};
use crate::jwks;
use crate::policy::{RegistrationPolicy, ScopeOverflow};
use crate::redirect_uri::RedirectUri;
use crate::scope::Scope;

/// Human-readable members that may carry a language tag (RFC 7591 section 2.2).
pub(crate) const LOCALIZABLE: [&str; 5] = [
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
];

/// Member names this server knows (RFC 7591 section 2, RFC 7592 section 2.2,
/// OpenID Connect's `application_type`): an error may name these, never a
/// name the client chose.
pub(crate) const KNOWN_MEMBERS: [&str; 23] = [
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "client_name",
    "client_uri",
    "logo_uri",
    "scope",
    "contacts",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "jwks",
    "software_id",
    "software_version",
    "software_statement",
    "application_type",
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

/// Whether a body comes from a client now, or from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Every rule applies.
    Request,
    /// Registered under the rules of its day: only the structure is read, so
    /// a rule added since never turns a working client into a broken row.
    Stored,
}

/// The metadata of a client as registered: every value checked, every default
/// filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<RedirectUri>,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub application_type: ApplicationType,
    pub client_name: Option<String>,
    pub client_uri: Option<ClientUrl>,
    pub logo_uri: Option<ClientUrl>,
    pub tos_uri: Option<ClientUrl>,
    pub policy_uri: Option<ClientUrl>,
    pub jwks_uri: Option<ClientUrl>,
    /// A JSON Web Key Set: an object with a `keys` array.
    pub jwks: Option<Map<String, Value>>,
    pub scope: Scope,
    pub contacts: Vec<String>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
    /// Language-tagged variants, keyed as sent (`client_name#fr`).
    pub localized: BTreeMap<String, String>,
}

impl ClientMetadata {
    /// Validates a registration request body against the operator's policy.
    pub fn from_request(body: &Value, policy: &RegistrationPolicy) -> Result<Self, MetadataError> {
        Self::read(body, policy, Origin::Request)
    }

    /// Reads back metadata this crate produced with [`ClientMetadata::to_json`].
    /// The policy and the rules in force may have tightened since, so only
    /// structure is checked; private key members a key set may hold from
    /// before they were refused are dropped, never shown.
    pub fn from_stored(stored: &Value) -> Result<Self, MetadataError> {
        Self::read(stored, &RegistrationPolicy::permissive(), Origin::Stored)
    }

    fn read(
        body: &Value,
        policy: &RegistrationPolicy,
        origin: Origin,
    ) -> Result<Self, MetadataError> {
        let Value::Object(members) = body else {
            return Err(MetadataError::new("", Problem::NotAnObject));
        };
        Request {
            members,
            policy,
            origin,
        }
        .validate()
    }

    /// The SHA-256 of every registered value, as hex: two registrations
    /// with equal metadata have equal fingerprints (`DCR_DEDUP_PUBLIC`).
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let canonical = Value::Object(self.to_json()).to_string();
        crate::credentials::hex(&Sha256::digest(canonical.as_bytes()))
    }

    /// The key under which `DCR_DEDUP_PUBLIC` shares one client among the
    /// registrations of this metadata: its [`ClientMetadata::fingerprint`],
    /// or `None` when the method needs a secret, which cannot be handed out
    /// twice.
    pub fn share_key(&self) -> Option<String> {
        (!self.token_endpoint_auth_method.needs_secret()).then(|| self.fingerprint())
    }

    /// Every registered value, under its RFC 7591 name.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if !self.redirect_uris.is_empty() {
            out.insert(
                "redirect_uris".into(),
                strings(self.redirect_uris.iter().map(RedirectUri::as_str)),
            );
        }
        out.insert(
            "token_endpoint_auth_method".into(),
            self.token_endpoint_auth_method.as_str().into(),
        );
        out.insert(
            "grant_types".into(),
            strings(self.grant_types.iter().map(GrantType::as_str)),
        );
        out.insert(
            "response_types".into(),
            strings(self.response_types.iter().map(ResponseType::as_str)),
        );
        out.insert(
            "application_type".into(),
            self.application_type.as_str().into(),
        );
        let optional_text = [
            ("client_name", self.client_name.as_deref()),
            (
                "client_uri",
                self.client_uri.as_ref().map(ClientUrl::as_str),
            ),
            ("logo_uri", self.logo_uri.as_ref().map(ClientUrl::as_str)),
            ("tos_uri", self.tos_uri.as_ref().map(ClientUrl::as_str)),
            (
                "policy_uri",
                self.policy_uri.as_ref().map(ClientUrl::as_str),
            ),
            ("jwks_uri", self.jwks_uri.as_ref().map(ClientUrl::as_str)),
            ("software_id", self.software_id.as_deref()),
            ("software_version", self.software_version.as_deref()),
        ];
        for (key, value) in optional_text {
            if let Some(value) = value {
                out.insert(key.into(), value.into());
            }
        }
        if !self.scope.is_empty() {
            out.insert("scope".into(), self.scope.to_string().into());
        }
        if !self.contacts.is_empty() {
            out.insert(
                "contacts".into(),
                strings(self.contacts.iter().map(String::as_str)),
            );
        }
        if let Some(jwks) = &self.jwks {
            out.insert("jwks".into(), Value::Object(jwks.clone()));
        }
        for (key, value) in &self.localized {
            out.insert(key.clone(), value.as_str().into());
        }
        out
    }

    /// Whether the authorization server must send the user agent back to a
    /// registered redirect URI for one of this client's grants.
    pub fn uses_redirects(&self) -> bool {
        self.grant_types.iter().any(GrantType::uses_redirect)
    }
}

fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(items.map(Value::from).collect())
}

/// One pass over a request body's members.
struct Request<'a> {
    members: &'a Map<String, Value>,
    policy: &'a RegistrationPolicy,
    origin: Origin,
}

impl Request<'_> {
    fn validate(&self) -> Result<ClientMetadata, MetadataError> {
        let limits = &self.policy.limits;
        let redirect_uris = self.redirect_uris()?;
        let (grant_types, response_types) = self.grant_and_response_types()?;
        if grant_types.iter().any(GrantType::uses_redirect) && redirect_uris.is_empty() {
            return Err(MetadataError::at_key(
                "redirect_uris",
                Problem::RedirectUrisRequired,
            ));
        }
        let token_endpoint_auth_method = self.auth_method()?;
        if token_endpoint_auth_method == AuthMethod::None && self.origin == Origin::Request {
            flows::check_public_client_grants(&grant_types)?;
        }
        let application_type = match self.string("application_type")? {
            Some(raw) => ApplicationType::parse(raw)
                .map_err(|problem| MetadataError::at_key("application_type", problem))?,
            None => ApplicationType::infer(&redirect_uris),
        };
        let jwks_uri = self.url("jwks_uri")?;
        let jwks = self.jwks()?;
        if jwks.is_some() && jwks_uri.is_some() {
            return Err(MetadataError::at_key("jwks", Problem::JwksWithJwksUri));
        }
        if token_endpoint_auth_method.needs_keys() && jwks.is_none() && jwks_uri.is_none() {
            return Err(MetadataError::at_key(
                "token_endpoint_auth_method",
                Problem::KeysRequired,
            ));
        }
        Ok(ClientMetadata {
            redirect_uris,
            token_endpoint_auth_method,
            grant_types,
            response_types,
            application_type,
            client_name: self.name("client_name")?,
            client_uri: self.url("client_uri")?,
            logo_uri: self.url("logo_uri")?,
            tos_uri: self.url("tos_uri")?,
            policy_uri: self.url("policy_uri")?,
            jwks_uri,
            jwks,
            scope: self.scope()?,
            contacts: self.readable_array("contacts", limits.max_contacts)?,
            software_id: self.readable("software_id")?,
            software_version: self.readable("software_version")?,
            localized: self.localized()?,
        })
    }

    fn redirect_uris(&self) -> Result<Vec<RedirectUri>, MetadataError> {
        let key = "redirect_uris";
        let raw = self.string_array(key, self.policy.limits.max_redirect_uris)?;
        let mut seen = HashSet::with_capacity(raw.len());
        let mut uris: Vec<RedirectUri> = Vec::with_capacity(raw.len());
        for (index, text) in raw.into_iter().enumerate() {
            let uri = match self.origin {
                Origin::Request => {
                    RedirectUri::parse(text, &self.policy.redirect).map_err(|reason| {
                        MetadataError::new(
                            pointer_to_item(key, index),
                            Problem::RedirectUri(reason),
                        )
                    })?
                }
                Origin::Stored => RedirectUri::from_stored(text),
            };
            // A repeated URI adds nothing to exact matching; keep the first.
            if seen.insert(text) {
                uris.push(uri);
            }
        }
        Ok(uris)
    }

    fn auth_method(&self) -> Result<AuthMethod, MetadataError> {
        let key = "token_endpoint_auth_method";
        let Some(raw) = self.string(key)? else {
            return Ok(self.policy.default_auth_method);
        };
        let method =
            AuthMethod::parse(raw).map_err(|problem| MetadataError::at_key(key, problem))?;
        if self.policy.supports_auth_method(method) {
            Ok(method)
        } else {
            Err(MetadataError::at_key(key, Problem::UnsupportedValue))
        }
    }

    fn url(&self, key: &str) -> Result<Option<ClientUrl>, MetadataError> {
        let Some(raw) = self.string(key)? else {
            return Ok(None);
        };
        match self.origin {
            Origin::Request => ClientUrl::parse(raw, self.policy.limits.max_string_length)
                .map(Some)
                .map_err(|reason| MetadataError::at_key(key, Problem::Url(reason))),
            Origin::Stored => Ok(Some(ClientUrl::from_stored(raw))),
        }
    }

    /// `jwks`: a set of public keys (see `jwks`).
    fn jwks(&self) -> Result<Option<Map<String, Value>>, MetadataError> {
        match self.members.get("jwks") {
            None | Some(Value::Null) => Ok(None),
            Some(value) => match self.origin {
                Origin::Request => jwks::check(value, self.policy.limits.max_list_items).map(Some),
                Origin::Stored => jwks::public_keys_only(value).map(Some),
            },
        }
    }

    fn scope(&self) -> Result<Scope, MetadataError> {
        let requested = match self.string("scope")? {
            Some(raw) => Scope::parse_at_most(raw, self.policy.limits.max_list_items)
                .map_err(|problem| MetadataError::at_key("scope", problem))?,
            None => Scope::default(),
        };
        let granted = match &self.policy.allowed_scopes {
            Some(allowed) if !requested.is_within(allowed) => match self.policy.scope_overflow {
                ScopeOverflow::Reject => {
                    return Err(MetadataError::at_key("scope", Problem::ScopeNotAllowed));
                }
                ScopeOverflow::Narrow => requested.intersect(allowed),
            },
            _ => requested,
        };
        if granted.is_empty() {
            Ok(self.policy.default_scope.clone())
        } else {
            Ok(granted)
        }
    }
}

mod application_type;
mod flows;
mod localized;
mod members;

pub use application_type::ApplicationType;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
