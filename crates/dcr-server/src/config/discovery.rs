//! What the authorization server metadata (RFC 8414) says beyond what dcr
//! knows itself, and what follows from it once, at start-up: whether a
//! complete document can be published at all, and where.

use clap::Args;
use dcr_core::GrantType;
use url::Url;

use super::ConfigError;
use super::values::{ListArg, TokenArg, parse_absolute_url, parse_list};

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
}

impl DiscoverySettings {
    /// What the document can say follows from the public URL (the issuer's
    /// default) and the grant types clients may register.
    pub fn into_config(
        self,
        public_url: Option<&Url>,
        grant_types: &[GrantType],
    ) -> Result<Discovery, ConfigError> {
        Ok(Discovery::new(
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
        ))
    }
}

/// The well-known path of the metadata (RFC 8414 section 3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

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

/// RFC 8414 section 3.1: the issuer's path, if any, goes after the
/// well-known path. An issuer derived from requests has none; a lone
/// trailing slash is no path.
fn well_known_path(issuer: Option<&Url>) -> String {
    let issuer_path = issuer.map_or("", |issuer| issuer.path().trim_end_matches('/'));
    format!("{WELL_KNOWN}{issuer_path}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn grants(names: &[&str]) -> Vec<GrantType> {
        names
            .iter()
            .map(|name| GrantType::parse(name).unwrap())
            .collect()
    }

    #[test]
    fn required_endpoints_follow_the_grant_types() {
        let both = ["DCR_AUTHORIZATION_ENDPOINT", "DCR_TOKEN_ENDPOINT"];
        let cases: [(&[&str], bool, bool, &[&str]); 12] = [
            (
                &["authorization_code", "refresh_token", "client_credentials"],
                false,
                false,
                &both,
            ),
            (
                &["authorization_code"],
                true,
                false,
                &["DCR_TOKEN_ENDPOINT"],
            ),
            (
                &["authorization_code"],
                false,
                true,
                &["DCR_AUTHORIZATION_ENDPOINT"],
            ),
            (&["authorization_code"], true, true, &[]),
            // Only implicit: no token endpoint is needed.
            (&["implicit"], false, false, &["DCR_AUTHORIZATION_ENDPOINT"]),
            (&["implicit"], true, false, &[]),
            (
                &["implicit", "refresh_token"],
                true,
                false,
                &["DCR_TOKEN_ENDPOINT"],
            ),
            // No grant uses the authorization endpoint.
            (
                &["client_credentials"],
                false,
                false,
                &["DCR_TOKEN_ENDPOINT"],
            ),
            (&["client_credentials"], false, true, &[]),
            (
                &["urn:ietf:params:oauth:grant-type:device_code"],
                false,
                true,
                &[],
            ),
            (&["password", "refresh_token"], false, true, &[]),
            (&["authorization_code", "implicit"], false, false, &both),
        ];
        for (names, authorization, token, expected) in cases {
            assert_eq!(
                missing_variables(&grants(names), authorization, token),
                expected,
                "{names:?} with authorization endpoint {authorization}, token endpoint {token}"
            );
        }
    }

    #[test]
    fn the_document_lives_at_the_path_of_the_issuer() {
        let cases = [
            (None, WELL_KNOWN),
            (Some("https://auth.example.com"), WELL_KNOWN),
            (Some("https://auth.example.com/"), WELL_KNOWN),
            (
                Some("https://auth.example.com/tenant1"),
                "/.well-known/oauth-authorization-server/tenant1",
            ),
            (
                Some("https://auth.example.com/tenant1/"),
                "/.well-known/oauth-authorization-server/tenant1",
            ),
            (
                Some("https://auth.example.com/a/b"),
                "/.well-known/oauth-authorization-server/a/b",
            ),
        ];
        for (issuer, expected) in cases {
            let issuer = issuer.map(|raw| Url::parse(raw).unwrap());
            assert_eq!(well_known_path(issuer.as_ref()), expected, "{issuer:?}");
        }
    }

    /// `DCR_ISSUER` wins over `DCR_PUBLIC_URL` for the path too.
    #[test]
    fn the_issuer_path_comes_from_dcr_issuer_first() {
        let url = |raw: &str| Url::parse(raw).unwrap();
        let public = url("https://auth.example.com/dcr");
        let grants = grants(&["authorization_code"]);
        let at = |issuer: Option<Url>, public_url: Option<&Url>| {
            Discovery::new(issuer, None, None, Vec::new(), public_url, &grants)
                .path()
                .to_owned()
        };
        assert_eq!(at(None, Some(&public)), format!("{WELL_KNOWN}/dcr"));
        assert_eq!(
            at(Some(url("https://auth.example.com/")), Some(&public)),
            WELL_KNOWN
        );
        assert_eq!(
            at(Some(url("https://auth.example.com/t")), None),
            format!("{WELL_KNOWN}/t")
        );
        assert_eq!(at(None, None), WELL_KNOWN);
    }
}
