//! The policy an initial access token carries: what the registrations it
//! authorizes may ask for, read from an operator's request and applied to a
//! registration on top of the server's own policy.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::RedirectPattern;
use crate::auth_method::AuthMethod;
use crate::error::{JsonType, MetadataError, Problem, pointer_to_item};
use crate::grant_types::GrantType;
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;
use crate::scope::Scope;

const POLICY_MEMBERS: &str = "scope, redirect_uri_hosts, token_endpoint_auth_methods, grant_types and software_statement_issuer";

/// Bytes of a `software_statement_issuer`.
pub const MAX_ISSUER_BYTES: usize = 2000;

/// What the registrations an initial access token authorizes may ask for.
/// A member left out leaves that part to the server's policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenPolicy {
    /// Replaces `DCR_ALLOWED_SCOPES` for these registrations: it may be
    /// wider, which is how an operator gives a partner more than anonymous
    /// clients get. A scope outside it is refused, never narrowed.
    pub scope: Option<Scope>,
    /// Every redirect URI must go to one of these.
    pub redirect_uri_hosts: Option<Vec<RedirectPattern>>,
    /// A subset of the server's auth methods.
    pub auth_methods: Option<Vec<AuthMethod>>,
    /// A subset of the server's grant types.
    pub grant_types: Option<Vec<GrantType>>,
    /// The registrations must carry a software statement that verifies and
    /// whose `iss` is this issuer (RFC 7591 section 2.3), whatever
    /// `DCR_SOFTWARE_STATEMENTS` says.
    pub software_statement_issuer: Option<String>,
}

impl TokenPolicy {
    /// Reads a policy as an operator sends it; lists must not be empty and
    /// name only what `server` supports (a token allowing what the server
    /// refuses anyway would mislead whoever reads it).
    pub(super) fn from_request(
        value: &Value,
        server: &RegistrationPolicy,
        base: &str,
    ) -> Result<Self, MetadataError> {
        let Value::Object(members) = value else {
            return Err(MetadataError::new(
                base,
                Problem::WrongType {
                    expected: JsonType::Object,
                },
            ));
        };
        if members.keys().any(|key| {
            ![
                "scope",
                "redirect_uri_hosts",
                "token_endpoint_auth_methods",
                "grant_types",
                "software_statement_issuer",
            ]
            .contains(&key.as_str())
        }) {
            return Err(MetadataError::new(
                base,
                Problem::UnexpectedMember {
                    expected: POLICY_MEMBERS,
                },
            ));
        }
        let max_items = server.limits.max_list_items;
        let at = |key: &str| format!("{base}/{key}");
        let scope = match members.get("scope") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => {
                let scope = Scope::parse_at_most(raw, max_items)
                    .map_err(|problem| MetadataError::new(at("scope"), problem))?;
                if scope.is_empty() {
                    return Err(MetadataError::new(at("scope"), Problem::Empty));
                }
                Some(scope)
            }
            Some(_) => {
                return Err(MetadataError::new(
                    at("scope"),
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        };
        let list = |key: &str| string_list(members, key, base, max_items);
        let redirect_uri_hosts = read_items(
            list("redirect_uri_hosts")?,
            base,
            "redirect_uri_hosts",
            RedirectPattern::parse,
        )?;
        let auth_methods = read_items(
            list("token_endpoint_auth_methods")?,
            base,
            "token_endpoint_auth_methods",
            |raw| {
                let method = AuthMethod::parse(raw)?;
                supported(server.supports_auth_method(method), method)
            },
        )?;
        let grant_types = read_items(list("grant_types")?, base, "grant_types", |raw| {
            let grant = GrantType::parse(raw)?;
            supported(server.supports_grant_type(&grant), grant)
        })?;
        let software_statement_issuer = match members.get("software_statement_issuer") {
            None | Some(Value::Null) => None,
            Some(Value::String(issuer)) => {
                let at = || at("software_statement_issuer");
                if issuer.is_empty() {
                    return Err(MetadataError::new(at(), Problem::Empty));
                }
                crate::text::check_stored(issuer, MAX_ISSUER_BYTES)
                    .and_then(|()| crate::text::check_readable(issuer))
                    .map_err(|problem| MetadataError::new(at(), problem))?;
                Some(issuer.clone())
            }
            Some(_) => {
                return Err(MetadataError::new(
                    at("software_statement_issuer"),
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        };
        Ok(Self {
            scope,
            redirect_uri_hosts,
            auth_methods,
            grant_types,
            software_statement_issuer,
        })
    }

    /// Reads back what [`TokenPolicy::to_json`] wrote; `None` for anything
    /// else. What the server supports may have changed since: that is
    /// settled when the policy is applied ([`TokenPolicy::narrow`]).
    pub fn from_stored(stored: &Value) -> Option<Self> {
        Self::from_request(stored, &RegistrationPolicy::permissive(), "").ok()
    }

    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(scope) = &self.scope {
            out.insert("scope".into(), scope.to_string().into());
        }
        let strings =
            |items: Vec<String>| Value::Array(items.into_iter().map(Value::from).collect());
        if let Some(hosts) = &self.redirect_uri_hosts {
            out.insert(
                "redirect_uri_hosts".into(),
                strings(hosts.iter().map(ToString::to_string).collect()),
            );
        }
        if let Some(methods) = &self.auth_methods {
            out.insert(
                "token_endpoint_auth_methods".into(),
                strings(methods.iter().map(|m| m.as_str().to_owned()).collect()),
            );
        }
        if let Some(grants) = &self.grant_types {
            out.insert(
                "grant_types".into(),
                strings(grants.iter().map(|g| g.as_str().to_owned()).collect()),
            );
        }
        if let Some(issuer) = &self.software_statement_issuer {
            out.insert("software_statement_issuer".into(), issuer.clone().into());
        }
        Value::Object(out)
    }

    /// The policy a registration with this token is validated against: the
    /// server's, with this token's scopes in place of the allowed scopes,
    /// and its auth methods and grant types as far as the server (still)
    /// supports them. Refused, naming the member, when nothing of a list is
    /// left: an empty list would read as "anything" to the validator.
    pub fn narrow(&self, server: &RegistrationPolicy) -> Result<RegistrationPolicy, MetadataError> {
        let mut policy = server.clone();
        if let Some(scope) = &self.scope {
            policy.default_scope = server.default_scope.intersect(scope);
            policy.allowed_scopes = Some(scope.clone());
            policy.scope_overflow = crate::policy::ScopeOverflow::Reject;
        }
        if let Some(methods) = &self.auth_methods {
            policy.auth_methods = methods
                .iter()
                .copied()
                .filter(|method| server.supports_auth_method(*method))
                .collect();
            if !policy.auth_methods.contains(&server.default_auth_method)
                && let Some(first) = policy.auth_methods.first()
            {
                policy.default_auth_method = *first;
            }
        }
        if let Some(grants) = &self.grant_types {
            policy.grant_types = grants
                .iter()
                .filter(|grant| server.supports_grant_type(grant))
                .cloned()
                .collect();
            if policy.grant_types.is_empty() {
                return Err(MetadataError::at_key(
                    "grant_types",
                    Problem::UnsupportedValue,
                ));
            }
        }
        Ok(policy)
    }

    /// The rules [`TokenPolicy::narrow`] cannot express: where redirects go.
    pub fn check(&self, metadata: &ClientMetadata) -> Result<(), MetadataError> {
        let Some(patterns) = &self.redirect_uri_hosts else {
            return Ok(());
        };
        for (index, redirect) in metadata.redirect_uris.iter().enumerate() {
            if !patterns.iter().any(|pattern| pattern.admits(redirect)) {
                return Err(MetadataError::new(
                    pointer_to_item("redirect_uris", index),
                    Problem::HostNotAllowed,
                ));
            }
        }
        Ok(())
    }
}

/// Each item of an optional list read by `read`, an error naming its index.
fn read_items<T>(
    raw: Option<Vec<&str>>,
    base: &str,
    key: &str,
    read: impl Fn(&str) -> Result<T, Problem>,
) -> Result<Option<Vec<T>>, MetadataError> {
    raw.map(|raw| {
        raw.iter()
            .enumerate()
            .map(|(index, raw)| {
                read(raw).map_err(|problem| MetadataError::new(item(base, key, index), problem))
            })
            .collect()
    })
    .transpose()
}

/// A value this server offers, or `UnsupportedValue`.
fn supported<T>(offered: bool, value: T) -> Result<T, Problem> {
    if offered {
        Ok(value)
    } else {
        Err(Problem::UnsupportedValue)
    }
}

fn item(base: &str, key: &str, index: usize) -> String {
    format!("{base}{}", pointer_to_item(key, index))
}

/// A non-empty array of strings, repeats dropped, or `None` when absent.
fn string_list<'a>(
    members: &'a Map<String, Value>,
    key: &str,
    base: &str,
    max_items: usize,
) -> Result<Option<Vec<&'a str>>, MetadataError> {
    let pointer = format!("{base}/{key}");
    let items = match members.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(MetadataError::new(
                pointer,
                Problem::WrongType {
                    expected: JsonType::ArrayOfStrings,
                },
            ));
        }
    };
    if items.is_empty() {
        return Err(MetadataError::new(pointer, Problem::Empty));
    }
    if items.len() > max_items {
        return Err(MetadataError::new(
            pointer,
            Problem::TooMany { max: max_items },
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for value in items {
        let Value::String(text) = value else {
            return Err(MetadataError::new(
                pointer,
                Problem::WrongType {
                    expected: JsonType::ArrayOfStrings,
                },
            ));
        };
        if seen.insert(text.as_str()) {
            out.push(text.as_str());
        }
    }
    Ok(Some(out))
}
