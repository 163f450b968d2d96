//! Initial access tokens (RFC 7591 section 3): bearer tokens an operator
//! hands out so that a registration may happen at all (`DCR_REGISTRATION=token`)
//! or may ask for more than an anonymous one. Each carries a policy that
//! decides, for the registrations it authorizes, which scopes, redirect
//! hosts, auth methods and grant types they may ask for.
//!
//! Like registration access tokens, they carry 256 random bits and are stored
//! only as a SHA-256 digest. A prefix marks them, so that secret scanners
//! and people can tell one apart from the other tokens of an authorization
//! server.

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use rand::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use crate::access_token::{AccessToken, TokenDigest};
use crate::auth_method::AuthMethod;
use crate::error::{JsonType, MetadataError, Problem, pointer_to_item};
use crate::grant_types::GrantType;
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;
use crate::redirect_uri::is_dotted_name;
use crate::scope::Scope;
use crate::text;

/// The start of every initial access token.
pub const TOKEN_PREFIX: &str = "dcr_iat_";
/// The start of every token id.
const ID_PREFIX: &str = "iat_";
/// Random bytes in a token id: an id names a token, it does not guard it.
const ID_BYTES: usize = 12;
/// Ten years: a longer-lived token is a token nobody remembers handing out.
pub const MAX_EXPIRES_IN_SECS: u64 = 10 * 365 * 86_400;
pub const MAX_USES: u64 = 1_000_000_000;
pub const MAX_DESCRIPTION_BYTES: usize = 200;
/// Longest host name (RFC 1035 section 2.3.4) or scheme pattern.
const MAX_PATTERN_BYTES: usize = 255;

const REQUEST_MEMBERS: &str = "expires_in, max_uses, description and policy";
const POLICY_MEMBERS: &str =
    "scope, redirect_uri_hosts, token_endpoint_auth_methods and grant_types";

/// A plaintext initial access token: shown to the operator once, then only
/// its digest is kept.
pub struct InitialAccessToken(String);

impl InitialAccessToken {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(format!(
            "{TOKEN_PREFIX}{}",
            AccessToken::generate(rng).expose()
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl fmt::Debug for InitialAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InitialAccessToken(<redacted>)")
    }
}

/// The public name of an initial access token (`iat_` and 24 hex digits):
/// what lists, logs and clients' provenance show instead of the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; ID_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(format!("{ID_PREFIX}{}", crate::credentials::hex(&bytes)))
    }

    /// Only the form [`TokenId::generate`] makes; anything else names no token.
    pub fn parse(raw: &str) -> Result<Self, InvalidTokenId> {
        let hex = raw.strip_prefix(ID_PREFIX).ok_or(InvalidTokenId)?;
        if hex.len() == ID_BYTES * 2
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidTokenId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an initial access token id")]
pub struct InvalidTokenId;

/// A host (`app.example.com`), all subdomains of one (`*.example.com`, not
/// the name itself), or an IP literal (`127.0.0.1`, `[::1]`), compared with
/// the host of a URL. In a token policy, a host entry of
/// [`RedirectPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    name: String,
    subdomains: bool,
}

impl HostPattern {
    /// Case-insensitive; kept in lower case, addresses in their canonical
    /// form, so that a pattern compares like the URL parser's host.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        if raw.len() > MAX_PATTERN_BYTES {
            return Err(Problem::TooLong {
                max: MAX_PATTERN_BYTES,
            });
        }
        let lower = raw.to_ascii_lowercase();
        if let Some(literal) = lower.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let address: Ipv6Addr = literal.parse().map_err(|_| Problem::InvalidHostPattern)?;
            return Ok(Self {
                name: format!("[{address}]"),
                subdomains: false,
            });
        }
        if let Ok(address) = lower.parse::<Ipv4Addr>() {
            return Ok(Self {
                name: address.to_string(),
                subdomains: false,
            });
        }
        let (name, subdomains) = match lower.strip_prefix("*.") {
            Some(parent) => (parent.to_owned(), true),
            None => (lower, false),
        };
        if is_dotted_name(&name) {
            Ok(Self { name, subdomains })
        } else {
            Err(Problem::InvalidHostPattern)
        }
    }

    /// One label, no pattern, no address (`cursor`, `vscode`): a name that
    /// no public host has.
    fn is_single_label(&self) -> bool {
        !self.subdomains
            && !self.name.contains('.')
            && !self.name.starts_with('[')
            && self.name != "localhost"
    }

    pub fn matches(&self, destination: &str) -> bool {
        if !self.subdomains {
            return destination == self.name;
        }
        destination
            .strip_suffix(self.name.as_str())
            .and_then(|head| head.strip_suffix('.'))
            .is_some_and(|head| !head.is_empty())
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subdomains {
            f.write_str("*.")?;
        }
        f.write_str(&self.name)
    }
}

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
}

impl TokenPolicy {
    /// Reads a policy as an operator sends it; lists must not be empty and
    /// name only what `server` supports (a token allowing what the server
    /// refuses anyway would mislead whoever reads it).
    fn from_request(
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
        Ok(Self {
            scope,
            redirect_uri_hosts,
            auth_methods,
            grant_types,
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

/// An operator's request for a new token (the admin API's body, or the
/// CLI's flags turned into one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenRequest {
    /// Seconds until the token stops working; `None` for never.
    pub expires_in: Option<u64>,
    /// Registrations it may authorize; `None` for any number.
    pub max_uses: Option<u64>,
    pub description: Option<String>,
    pub policy: TokenPolicy,
}

impl TokenRequest {
    pub fn from_json(body: &Value, server: &RegistrationPolicy) -> Result<Self, MetadataError> {
        let Value::Object(members) = body else {
            return Err(MetadataError::new("", Problem::NotAnObject));
        };
        if members
            .keys()
            .any(|key| !["expires_in", "max_uses", "description", "policy"].contains(&key.as_str()))
        {
            return Err(MetadataError::new(
                "",
                Problem::UnexpectedMember {
                    expected: REQUEST_MEMBERS,
                },
            ));
        }
        let expires_in = whole_number(members, "expires_in", MAX_EXPIRES_IN_SECS)?;
        let max_uses = whole_number(members, "max_uses", MAX_USES)?;
        let description = match members.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => {
                let checked = text::check_stored(raw, MAX_DESCRIPTION_BYTES)
                    .and_then(|()| text::check_readable(raw))
                    .and_then(|()| text::normalize_name(raw, MAX_DESCRIPTION_BYTES));
                Some(checked.map_err(|problem| MetadataError::new("/description", problem))?)
            }
            Some(_) => {
                return Err(MetadataError::new(
                    "/description",
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        };
        let policy = match members.get("policy") {
            None | Some(Value::Null) => TokenPolicy::default(),
            Some(value) => TokenPolicy::from_request(value, server, "/policy")?,
        };
        Ok(Self {
            expires_in,
            max_uses,
            description,
            policy,
        })
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

fn whole_number(
    members: &Map<String, Value>,
    key: &str,
    max: u64,
) -> Result<Option<u64>, MetadataError> {
    match members.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|number| (1..=max).contains(number))
            .map(Some)
            .ok_or_else(|| MetadataError::at_key(key, Problem::OutOfRange { min: 1, max })),
    }
}

mod redirect_pattern;

pub use redirect_pattern::RedirectPattern;

#[cfg(test)]
mod tests;
