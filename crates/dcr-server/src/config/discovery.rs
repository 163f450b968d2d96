//! What the authorization server metadata (RFC 8414) says beyond what dcr
//! knows itself, and what follows from it once, at start-up: whether a
//! complete document can be published at all, and where.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::Args;
use dcr_core::GrantType;
use dcr_core::discovery::{ExtraMetadata, ExtraMetadataError, owned_members};
use url::Url;

use super::ConfigError;
use super::values::{BoolArg, ListArg, TokenArg, parse_absolute_url, parse_list, parse_with};

/// The largest `DCR_METADATA_FILE` read: a discovery document is a few KiB.
const MAX_METADATA_FILE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, Args)]
pub struct DiscoverySettings {
    /// `issuer` of the authorization server metadata (RFC 8414)
    /// [default: the public base URL].
    #[arg(long, env = "DCR_ISSUER", value_parser = parse_absolute_url("DCR_ISSUER"))]
    pub issuer: Option<Url>,

    /// The authorization server's authorization endpoint, for the metadata.
    #[arg(long, env = "DCR_AUTHORIZATION_ENDPOINT", value_parser = parse_absolute_url("DCR_AUTHORIZATION_ENDPOINT"))]
    pub authorization_endpoint: Option<Url>,

    /// The authorization server's token endpoint, for the metadata.
    #[arg(long, env = "DCR_TOKEN_ENDPOINT", value_parser = parse_absolute_url("DCR_TOKEN_ENDPOINT"))]
    pub token_endpoint: Option<Url>,

    /// PKCE methods the authorization server supports, comma-separated.
    #[arg(long, env = "DCR_CODE_CHALLENGE_METHODS", default_value = "S256", value_parser = parse_list::<TokenArg>("DCR_CODE_CHALLENGE_METHODS"))]
    pub code_challenge_methods: ListArg<TokenArg>,

    /// A JSON object of members added to the metadata (jwks_uri,
    /// revocation_endpoint, subject_types_supported, ...); none of the
    /// members dcr writes itself [default: none].
    #[arg(long, env = "DCR_METADATA_FILE")]
    pub metadata_file: Option<PathBuf>,

    /// Also serve the metadata at /.well-known/openid-configuration (OpenID
    /// Connect Discovery 1.0); needs jwks_uri, subject_types_supported and
    /// id_token_signing_alg_values_supported from DCR_METADATA_FILE, and
    /// DCR_AUTHORIZATION_ENDPOINT.
    #[arg(long, env = "DCR_OPENID_CONFIGURATION", default_value = "false", value_parser = parse_with::<BoolArg>("DCR_OPENID_CONFIGURATION", "true or false"))]
    pub openid_configuration: BoolArg,
}

impl DiscoverySettings {
    /// What the document can say follows from the public URL (the issuer's
    /// default), the grant types clients may register, and whether
    /// registration limits scopes (then `scopes_supported` is dcr's).
    pub fn into_config(
        self,
        public_url: Option<&Url>,
        grant_types: &[GrantType],
        scopes_limited: bool,
    ) -> Result<Discovery, ConfigError> {
        let mut discovery = Discovery::new(
            self.issuer,
            self.authorization_endpoint,
            self.token_endpoint,
            self.code_challenge_methods
                .0
                .into_iter()
                .map(|method| method.0)
                .collect(),
            public_url,
            grant_types,
        );
        if let Some(path) = &self.metadata_file {
            discovery.extra = read_metadata_file(path, scopes_limited)?;
        }
        if self.openid_configuration.0 {
            let missing = discovery
                .extra
                .openid_missing(discovery.authorization_endpoint.is_some());
            if !missing.is_empty() {
                return Err(ConfigError {
                    variable: "DCR_OPENID_CONFIGURATION",
                    message: format!(
                        "OpenID Connect Discovery 1.0 (section 3) requires {}: set authorization_endpoint with DCR_AUTHORIZATION_ENDPOINT and the others in DCR_METADATA_FILE, or leave DCR_OPENID_CONFIGURATION off",
                        missing.join(", ")
                    ),
                });
            }
            discovery.openid_path = Some(openid_path(discovery.issuer.as_ref().or(public_url)));
        }
        Ok(discovery)
    }
}

/// `DCR_METADATA_FILE`, read (at most 64 KiB) and checked, every error
/// naming the file and the member.
fn read_metadata_file(path: &Path, scopes_limited: bool) -> Result<ExtraMetadata, ConfigError> {
    let error = |message: String| ConfigError {
        variable: "DCR_METADATA_FILE",
        message: format!("{}: {message}", path.display()),
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| {
            file.take(MAX_METADATA_FILE_BYTES + 1)
                .read_to_string(&mut text)
        })
        .map_err(|err| error(format!("cannot read it: {err}")))?;
    if text.len() as u64 > MAX_METADATA_FILE_BYTES {
        return Err(error(format!(
            "is larger than {MAX_METADATA_FILE_BYTES} bytes"
        )));
    }
    ExtraMetadata::parse(&text, &owned_members(scopes_limited)).map_err(|err| match err {
        ExtraMetadataError::Owned(member) => error(format!(
            "{member} is written by dcr: set {} instead",
            owner_of(&member)
        )),
        other => error(other.to_string()),
    })
}

/// The setting a member dcr writes comes from.
fn owner_of(member: &str) -> &'static str {
    match member {
        "issuer" => "DCR_ISSUER",
        "registration_endpoint" => "DCR_PUBLIC_URL",
        "authorization_endpoint" => "DCR_AUTHORIZATION_ENDPOINT",
        "token_endpoint" => "DCR_TOKEN_ENDPOINT",
        "token_endpoint_auth_methods_supported" => "DCR_AUTH_METHODS",
        "grant_types_supported" => "DCR_GRANT_TYPES",
        "response_types_supported" => "DCR_RESPONSE_TYPES",
        "code_challenge_methods_supported" => "DCR_CODE_CHALLENGE_METHODS",
        "client_id_metadata_document_supported" => "DCR_CIMD",
        "scopes_supported" => "DCR_ALLOWED_SCOPES",
        _ => "its own variable",
    }
}

/// The well-known path of the metadata (RFC 8414 section 3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// The well-known suffix of OpenID Connect Discovery 1.0 (section 4).
pub const OPENID_WELL_KNOWN: &str = "/.well-known/openid-configuration";

#[derive(Debug, Clone)]
pub struct Discovery {
    issuer: Option<Url>,
    authorization_endpoint: Option<Url>,
    token_endpoint: Option<Url>,
    code_challenge_methods: Vec<String>,
    /// The variables to set before the document can be published.
    missing: Vec<&'static str>,
    /// Where the document is served: the well-known path, followed by the
    /// issuer's path when it has one.
    path: String,
    /// The operator's members (`DCR_METADATA_FILE`).
    extra: ExtraMetadata,
    /// Where the same document is served for OpenID Connect clients, when
    /// `DCR_OPENID_CONFIGURATION` is on.
    openid_path: Option<String>,
}

impl Discovery {
    /// `issuer` is `DCR_ISSUER`; without it the issuer is `public_url`
    /// (`DCR_PUBLIC_URL`), else the base each request is made to.
    pub fn new(
        issuer: Option<Url>,
        authorization_endpoint: Option<Url>,
        token_endpoint: Option<Url>,
        code_challenge_methods: Vec<String>,
        public_url: Option<&Url>,
        grant_types: &[GrantType],
    ) -> Self {
        let missing = missing_variables(
            grant_types,
            authorization_endpoint.is_some(),
            token_endpoint.is_some(),
        );
        let path = well_known_path(issuer.as_ref().or(public_url));
        Self {
            issuer,
            authorization_endpoint,
            token_endpoint,
            code_challenge_methods,
            missing,
            path,
            extra: ExtraMetadata::default(),
            openid_path: None,
        }
    }

    pub fn issuer(&self) -> Option<&Url> {
        self.issuer.as_ref()
    }

    pub fn authorization_endpoint(&self) -> Option<&Url> {
        self.authorization_endpoint.as_ref()
    }

    pub fn token_endpoint(&self) -> Option<&Url> {
        self.token_endpoint.as_ref()
    }

    pub fn code_challenge_methods(&self) -> &[String] {
        &self.code_challenge_methods
    }

    /// The variables whose absence would leave out a member RFC 8414
    /// requires; while any is missing, no document is published.
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }

    /// The one path the document is served at (RFC 8414 section 3.1):
    /// `/.well-known/oauth-authorization-server`, followed by the issuer's
    /// path when it has one.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn extra(&self) -> &ExtraMetadata {
        &self.extra
    }

    /// Where `/.well-known/openid-configuration` is served (OpenID Connect
    /// Discovery 1.0 section 4: after the issuer's path), or `None` while
    /// `DCR_OPENID_CONFIGURATION` is off.
    pub fn openid_path(&self) -> Option<&str> {
        self.openid_path.as_deref()
    }
}

/// RFC 8414 section 2: `authorization_endpoint` is REQUIRED unless no
/// supported grant type uses the authorization endpoint, `token_endpoint`
/// unless only the implicit grant is supported. (`issuer` and
/// `response_types_supported` dcr always has.)
fn missing_variables(
    grant_types: &[GrantType],
    has_authorization_endpoint: bool,
    has_token_endpoint: bool,
) -> Vec<&'static str> {
    // The grants that use the authorization endpoint are those that send
    // the user agent back to a redirect URI (RFC 6749 section 3.1).
    let needs_authorization_endpoint = grant_types.iter().any(GrantType::uses_redirect);
    let needs_token_endpoint = grant_types
        .iter()
        .any(|grant| *grant != GrantType::IMPLICIT);
    let mut missing = Vec::new();
    if needs_authorization_endpoint && !has_authorization_endpoint {
        missing.push("DCR_AUTHORIZATION_ENDPOINT");
    }
    if needs_token_endpoint && !has_token_endpoint {
        missing.push("DCR_TOKEN_ENDPOINT");
    }
    missing
}

/// OpenID Connect Discovery 1.0 section 4: the well-known suffix goes after
/// the issuer's path, unlike RFC 8414's.
fn openid_path(issuer: Option<&Url>) -> String {
    let issuer_path = issuer.map_or("", |issuer| issuer.path().trim_end_matches('/'));
    format!("{issuer_path}{OPENID_WELL_KNOWN}")
}

/// RFC 8414 section 3.1: the issuer's path, if any, goes after the
/// well-known path. An issuer derived from requests has none; a lone
/// trailing slash is no path.
fn well_known_path(issuer: Option<&Url>) -> String {
    let issuer_path = issuer.map_or("", |issuer| issuer.path().trim_end_matches('/'));
    format!("{WELL_KNOWN}{issuer_path}")
}

#[cfg(test)]
mod tests;
