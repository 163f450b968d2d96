#![allow(clippy::unwrap_used)]

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

/// Discovery settings as the defaults have them, with both endpoints set.
fn settings() -> DiscoverySettings {
    let mut settings = crate::config::Settings::defaults().discovery;
    settings.authorization_endpoint =
        Some(Url::parse("https://auth.example.com/authorize").unwrap());
    settings.token_endpoint = Some(Url::parse("https://auth.example.com/token").unwrap());
    settings
}

/// A metadata file with these contents, removed when dropped.
struct MetadataFile(PathBuf);

impl MetadataFile {
    fn new(contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!("dcr-metadata-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for MetadataFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const OPENID_MEMBERS: &str = r#"{"jwks_uri": "https://auth.example.com/jwks",
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"]}"#;

/// `Err` is the start-up error's text.
fn configure(
    contents: Option<&str>,
    openid: bool,
    scopes_limited: bool,
    change: impl FnOnce(&mut DiscoverySettings),
) -> Result<Discovery, String> {
    let file = contents.map(MetadataFile::new);
    let mut settings = settings();
    settings.metadata_file = file.as_ref().map(|file| file.0.clone());
    settings.openid_configuration = BoolArg(openid);
    change(&mut settings);
    settings
        .into_config(None, &grants(&["authorization_code"]), scopes_limited)
        .map_err(|err| {
            let text = err.to_string();
            match &file {
                Some(file) => text.replace(&file.0.display().to_string(), "FILE"),
                None => text,
            }
        })
}

#[test]
fn the_metadata_file_is_checked_at_start_up() {
    let too_big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));
    let cases: [(&str, bool, Result<&str, &str>); 7] = [
        (OPENID_MEMBERS, false, Ok("https://auth.example.com/jwks")),
        (
            r#"{"issuer": "https://evil.example"}"#,
            false,
            Err("DCR_METADATA_FILE: FILE: issuer is written by dcr: set DCR_ISSUER instead"),
        ),
        (
            r#"{"registration_endpoint": "https://evil.example/register"}"#,
            false,
            Err(
                "DCR_METADATA_FILE: FILE: registration_endpoint is written by dcr: set DCR_PUBLIC_URL instead",
            ),
        ),
        (
            r#"{"scopes_supported": ["mcp"]}"#,
            true,
            Err(
                "DCR_METADATA_FILE: FILE: scopes_supported is written by dcr: set DCR_ALLOWED_SCOPES instead",
            ),
        ),
        (
            r#"{"jwks_uri": "http://auth.example.com/jwks"}"#,
            false,
            Err(
                "DCR_METADATA_FILE: FILE: jwks_uri: must be an https URL without a fragment (http only on a loopback host)",
            ),
        ),
        (
            "[1]",
            false,
            Err("DCR_METADATA_FILE: FILE: must be a JSON object of metadata members"),
        ),
        (
            &too_big,
            false,
            Err("DCR_METADATA_FILE: FILE: is larger than 65536 bytes"),
        ),
    ];
    for (contents, scopes_limited, expected) in cases {
        let outcome = configure(Some(contents), false, scopes_limited, |_| {});
        match expected {
            Ok(jwks_uri) => {
                let discovery = outcome.unwrap();
                assert_eq!(discovery.extra().members()["jwks_uri"], jwks_uri);
            }
            Err(message) => assert_eq!(outcome.unwrap_err(), message, "{contents:.60}"),
        }
    }
    let missing = crate::config::Settings::defaults().discovery;
    let mut missing = missing;
    missing.metadata_file = Some(PathBuf::from("/nonexistent/dcr-metadata.json"));
    let err = missing
        .into_config(None, &grants(&["authorization_code"]), false)
        .unwrap_err();
    assert_eq!(err.variable, "DCR_METADATA_FILE");
    assert!(err.message.contains("cannot read it"), "{err}");
}

#[test]
fn openid_configuration_needs_what_openid_discovery_requires() {
    /// The openid path served, or the start-up error.
    type Outcome = Result<Option<&'static str>, &'static str>;
    let cases: [(Option<&str>, bool, Outcome); 5] = [
        // Off: nothing is required, nothing is served.
        (None, false, Ok(None)),
        (
            Some(OPENID_MEMBERS),
            true,
            Ok(Some("/.well-known/openid-configuration")),
        ),
        (
            None,
            true,
            Err(
                "DCR_OPENID_CONFIGURATION: OpenID Connect Discovery 1.0 (section 3) requires jwks_uri, subject_types_supported, id_token_signing_alg_values_supported: set authorization_endpoint with DCR_AUTHORIZATION_ENDPOINT and the others in DCR_METADATA_FILE, or leave DCR_OPENID_CONFIGURATION off",
            ),
        ),
        (
            Some(
                r#"{"jwks_uri": "https://auth.example.com/jwks", "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["ES256"]}"#,
            ),
            true,
            Err(
                "DCR_OPENID_CONFIGURATION: OpenID Connect Discovery 1.0 (section 3) requires RS256 in id_token_signing_alg_values_supported: set authorization_endpoint with DCR_AUTHORIZATION_ENDPOINT and the others in DCR_METADATA_FILE, or leave DCR_OPENID_CONFIGURATION off",
            ),
        ),
        (Some(OPENID_MEMBERS), false, Ok(None)),
    ];
    for (contents, openid, expected) in cases {
        let outcome = configure(contents, openid, false, |_| {});
        match expected {
            Ok(path) => assert_eq!(outcome.unwrap().openid_path(), path, "{contents:?}"),
            Err(message) => assert_eq!(outcome.unwrap_err(), message, "{contents:?}"),
        }
    }
    // The authorization endpoint is required whatever the grant types.
    let err = configure(Some(OPENID_MEMBERS), true, false, |settings| {
        settings.authorization_endpoint = None;
    })
    .unwrap_err();
    assert!(err.contains("requires authorization_endpoint:"), "{err}");
}

/// OpenID Connect Discovery appends its suffix to the issuer's path.
#[test]
fn openid_configuration_follows_the_issuer_path() {
    let cases = [
        (None, "/.well-known/openid-configuration"),
        (
            Some("https://auth.example.com/"),
            "/.well-known/openid-configuration",
        ),
        (
            Some("https://auth.example.com/tenant1"),
            "/tenant1/.well-known/openid-configuration",
        ),
        (
            Some("https://auth.example.com/a/b/"),
            "/a/b/.well-known/openid-configuration",
        ),
    ];
    for (issuer, expected) in cases {
        let discovery = configure(Some(OPENID_MEMBERS), true, false, |settings| {
            settings.issuer = issuer.map(|raw| Url::parse(raw).unwrap());
        })
        .unwrap();
        assert_eq!(discovery.openid_path(), Some(expected), "{issuer:?}");
    }
}
