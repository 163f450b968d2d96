//! Parsers for the values of `DCR_*` variables: each error names the
//! variable, so a bad deployment says at once which setting to fix.

use std::str::FromStr;

use dcr_core::{AuthMethod, GrantType, ResponseType, Scope, ScopeOverflow};
use dcr_store::DatabaseUrl;
use url::Url;

pub(super) fn parse_with<T: FromStr>(
    variable: &'static str,
    expected: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |raw: &str| T::from_str(raw.trim()).map_err(|_| format!("{variable} must be {expected}"))
}

pub(super) fn parse_in_range<T>(
    variable: &'static str,
    min: T,
    max: T,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Copy + std::fmt::Display + Send + Sync + 'static,
{
    move |raw: &str| match raw.trim().parse::<T>() {
        Ok(value) if value >= min && value <= max => Ok(value),
        _ => Err(format!(
            "{variable} must be a whole number from {min} to {max}"
        )),
    }
}

pub(super) fn parse_list<T: FromStr<Err = String> + Clone + Send + Sync + 'static>(
    variable: &'static str,
) -> impl Fn(&str) -> Result<ListArg<T>, String> + Clone + Send + Sync + 'static {
    move |raw: &str| {
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| T::from_str(item).map_err(|why| format!("{variable}: {why}")))
            .collect::<Result<Vec<T>, String>>()
            .map(ListArg)
    }
}

pub(super) fn parse_database_url(raw: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(raw).map_err(|err| format!("DCR_DATABASE_URL: {err}"))
}

pub(super) fn parse_public_url(raw: &str) -> Result<Url, String> {
    let invalid = |why: &str| format!("DCR_PUBLIC_URL {why}");
    let url = Url::parse(raw.trim()).map_err(|_| invalid("must be an absolute URL"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("must be an http or https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must have no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must have no user information"));
    }
    Ok(url)
}

/// The admin bearer token. Never printed.
#[derive(Clone)]
pub struct AdminToken(pub String);

impl AdminToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// A token that guards every client's registration should not be guessable.
const MIN_ADMIN_TOKEN_LENGTH: usize = 32;

/// The value `.env.example` ships: known to everyone who read it.
pub(super) const EXAMPLE_ADMIN_TOKEN: &str =
    "change-me-to-a-random-string-of-32-or-more-characters";

const MAKE_ONE: &str = "make one with: openssl rand -base64 32";

/// Every refusal says why and how to make a good token, and never repeats
/// the value: clap would print it, so these messages stand alone (main.rs).
pub(super) fn parse_admin_token(raw: &str) -> Result<AdminToken, String> {
    let refused = |why: &str| format!("DCR_ADMIN_TOKEN {why}; {MAKE_ONE}");
    if raw.trim() != raw {
        return Err(refused(
            "has leading or trailing whitespace (a stray newline or space from a file?)",
        ));
    }
    if raw == EXAMPLE_ADMIN_TOKEN {
        return Err(refused(
            "is the placeholder from .env.example, known to anyone",
        ));
    }
    if raw.chars().count() < MIN_ADMIN_TOKEN_LENGTH {
        return Err(refused(&format!(
            "must be at least {MIN_ADMIN_TOKEN_LENGTH} characters"
        )));
    }
    if !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refused("must be printable ASCII without spaces"));
    }
    if raw.bytes().all(|b| b == raw.as_bytes()[0]) {
        return Err(refused("is one character repeated"));
    }
    Ok(AdminToken(raw.to_owned()))
}

pub(super) fn parse_absolute_url(
    variable: &'static str,
) -> impl Fn(&str) -> Result<Url, String> + Clone + Send + Sync + 'static {
    move |raw: &str| match Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.fragment().is_none() => Ok(url),
        _ => Err(format!(
            "{variable} must be an absolute http or https URL without a fragment"
        )),
    }
}

/// A token such as a PKCE method name.
#[derive(Debug, Clone)]
pub struct TokenArg(pub String);

impl FromStr for TokenArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        if !raw.is_empty()
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("{raw:?} is not a method name"))
        }
    }
}

/// A comma-separated list from one variable.
#[derive(Debug, Clone)]
pub struct ListArg<T>(pub Vec<T>);

#[derive(Debug, Clone)]
pub struct GrantTypeArg(pub GrantType);

impl FromStr for GrantTypeArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        GrantType::parse(raw)
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a grant type"))
    }
}

#[derive(Debug, Clone)]
pub struct ResponseTypeArg(pub ResponseType);

impl FromStr for ResponseTypeArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        ResponseType::parse(raw)
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a response type"))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct AuthMethodArg(pub AuthMethod);

impl FromStr for AuthMethodArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        AuthMethod::parse(raw)
            .map(Self)
            .map_err(|_| format!("{raw:?} is not a token endpoint auth method"))
    }
}

#[derive(Debug, Clone)]
pub struct ScopeArg(pub Scope);

impl FromStr for ScopeArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Scope::parse(raw)
            .map(Self)
            .map_err(|_| "not a list of scope tokens".to_owned())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ScopePolicyArg(pub ScopeOverflow);

impl FromStr for ScopePolicyArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "reject" => Ok(Self(ScopeOverflow::Reject)),
            "narrow" => Ok(Self(ScopeOverflow::Narrow)),
            _ => Err("must be reject or narrow".to_owned()),
        }
    }
}

/// `DCR_SECRET_HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretHashArg {
    #[default]
    Bcrypt,
    Sha256,
}

impl FromStr for SecretHashArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "bcrypt" => Ok(Self::Bcrypt),
            "sha256" => Ok(Self::Sha256),
            _ => Err("must be bcrypt or sha256".to_owned()),
        }
    }
}

/// A private-use redirect scheme an operator accepts without a dot. Schemes
/// that run code or start an operating system's protocol handler are refused
/// here, so no configuration can open them.
#[derive(Debug, Clone)]
pub struct NativeSchemeArg(pub String);

impl FromStr for NativeSchemeArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        let scheme = raw.to_ascii_lowercase();
        let valid = scheme
            .bytes()
            .next()
            .is_some_and(|first| first.is_ascii_lowercase())
            && scheme.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')
            });
        if !valid {
            return Err(format!("{raw:?} is not a URI scheme"));
        }
        if matches!(scheme.as_str(), "http" | "https") {
            return Err(format!("{raw:?} is not a private-use scheme"));
        }
        if dcr_core::DANGEROUS_SCHEMES.contains(&scheme.as_str()) {
            return Err(format!("{raw:?} is never a safe redirect scheme"));
        }
        Ok(Self(scheme))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct BoolArg(pub bool);

impl FromStr for BoolArg {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Self(true)),
            "false" | "0" | "no" | "off" => Ok(Self(false)),
            _ => Err("must be true or false".to_owned()),
        }
    }
}
