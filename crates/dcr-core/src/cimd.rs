//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
//! a client's `client_id` is an HTTPS URL, and the JSON document served there
//! is its registration. What the URL may be and what the document must hold
//! are checked here; fetching it is the server's (`dcr-server`'s `cimd`).

use std::fmt;
use std::net::IpAddr;

use serde_json::Value;

use crate::auth_method::AuthMethod;
use crate::error::{MetadataError, UriSyntaxError};
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;
use crate::uri::{StrictUri, UriHost};

/// Longest URL client id accepted: longer ones are no client's.
pub const MAX_URL_BYTES: usize = 2000;

/// A URL that may be a client id (draft section 3): `https`, with a path
/// beyond `/`, without user information, fragment or dot segments, on a host
/// that is public (or, for development only, `http` on loopback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentUrl {
    raw: String,
    host: String,
    ip: Option<IpAddr>,
    loopback_http: bool,
}

/// Why a string is not a URL client id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DocumentUrlError {
    #[error("is longer than {MAX_URL_BYTES} bytes")]
    TooLong,
    #[error("{0}")]
    Syntax(UriSyntaxError),
    #[error("must be an https URL")]
    NotHttps,
    #[error("must have a path (https://host/path)")]
    NoPath,
    #[error("must not have a fragment")]
    Fragment,
    #[error("must not have . or .. path segments")]
    DotSegment,
    #[error("must be on a public host")]
    NotPublic,
}

impl DocumentUrl {
    /// Reads `raw` by the rules of the draft. `allow_http_loopback` admits
    /// `http://127.0.0.1:PORT/...` (and `localhost`, `[::1]`) for
    /// development and tests.
    pub fn parse(raw: &str, allow_http_loopback: bool) -> Result<Self, DocumentUrlError> {
        if raw.len() > MAX_URL_BYTES {
            return Err(DocumentUrlError::TooLong);
        }
        // On the raw text: a parser would drop an empty fragment.
        if raw.contains('#') {
            return Err(DocumentUrlError::Fragment);
        }
        let uri = StrictUri::parse(raw).map_err(DocumentUrlError::Syntax)?;
        let Some(host) = &uri.host else {
            return Err(DocumentUrlError::NotHttps);
        };
        let loopback_http = match uri.scheme.as_str() {
            "https" => false,
            "http"
                if allow_http_loopback
                    && (host.is_loopback_address() || host.is_localhost_name()) =>
            {
                true
            }
            _ => return Err(DocumentUrlError::NotHttps),
        };
        if !loopback_http && !host.is_public() {
            return Err(DocumentUrlError::NotPublic);
        }
        let path = uri.url.path();
        if path.is_empty() || path == "/" {
            return Err(DocumentUrlError::NoPath);
        }
        if has_dot_segment(raw) {
            return Err(DocumentUrlError::DotSegment);
        }
        let (host, ip) = match host {
            UriHost::Name(name) => (name.clone(), None),
            UriHost::Ip(ip @ IpAddr::V4(v4)) => (v4.to_string(), Some(*ip)),
            UriHost::Ip(ip @ IpAddr::V6(v6)) => (format!("[{v6}]"), Some(*ip)),
        };
        Ok(Self {
            raw: raw.to_owned(),
            host,
            ip,
            loopback_http,
        })
    }

    /// The URL as given: the client id, compared as a string.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The host the fetch proves (lower-case; an IPv6 literal in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The address, when the host is an IP literal (no lookup is made, so it
    /// is checked here).
    pub fn ip_literal(&self) -> Option<IpAddr> {
        self.ip
    }

    /// Whether this is the development exception (`http` on loopback).
    pub fn is_loopback_http(&self) -> bool {
        self.loopback_http
    }
}

impl fmt::Display for DocumentUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// `.` or `..` segments in the path, also percent-encoded (`%2e`), which a
/// server may resolve to another document than the URL names.
fn has_dot_segment(raw: &str) -> bool {
    let after_scheme = raw.split_once("//").map_or(raw, |(_, rest)| rest);
    let path_and_query = after_scheme
        .find('/')
        .map_or("", |start| &after_scheme[start..]);
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path);
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

/// Why a fetched document is not a client's registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is not JSON: {0}")]
    NotJson(String),
    #[error("the document's client_id is not the URL it was fetched from")]
    ClientIdMismatch,
    #[error(
        "the document holds a client_secret or asks for a shared-secret auth method; a metadata document cannot carry a secret"
    )]
    SharedSecret,
    #[error("the document {0}")]
    Metadata(#[from] MetadataError),
}

/// Validates a fetched document with the policy of a registration: it must
/// name `url` as its `client_id` (simple string comparison, draft section
/// 4.1), carry no secret, and authenticate with `none` (the default here) or
/// `private_key_jwt`.
pub fn validate_document(
    bytes: &[u8],
    url: &DocumentUrl,
    server: &RegistrationPolicy,
) -> Result<ClientMetadata, DocumentError> {
    let mut document = crate::body::parse(bytes).map_err(|err| match err {
        crate::body::BodyError::Syntax(position) => DocumentError::NotJson(position),
        crate::body::BodyError::Refused(refused) => DocumentError::Metadata(refused),
    })?;
    let Value::Object(members) = &mut document else {
        return Err(DocumentError::NotJson("it is not a JSON object".into()));
    };
    match members.remove("client_id") {
        Some(Value::String(client_id)) if client_id == url.as_str() => {}
        _ => return Err(DocumentError::ClientIdMismatch),
    }
    if members.contains_key("client_secret") || members.contains_key("client_secret_expires_at") {
        return Err(DocumentError::SharedSecret);
    }
    let shared_secret = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretJwt,
    ];
    if let Some(Value::String(method)) = members.get("token_endpoint_auth_method")
        && shared_secret.iter().any(|shared| shared.as_str() == method)
    {
        return Err(DocumentError::SharedSecret);
    }
    // What a registration response would carry is not the document's to say.
    for set_by_server in [
        "client_id_issued_at",
        "registration_access_token",
        "registration_client_uri",
    ] {
        members.remove(set_by_server);
    }
    let mut policy = server.clone();
    policy.auth_methods = [AuthMethod::None, AuthMethod::PrivateKeyJwt]
        .into_iter()
        .filter(|method| server.supports_auth_method(*method))
        .collect();
    policy.default_auth_method = AuthMethod::None;
    Ok(ClientMetadata::from_request(&document, &policy)?)
}

#[cfg(test)]
mod tests;
