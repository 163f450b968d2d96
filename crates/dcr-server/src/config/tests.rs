use super::*;
use dcr_core::{Limits, RedirectPolicy};
use dcr_store::DatabaseUrl;

/// The documented defaults (docs/configuration.md), also when the shell
/// running the tests has `DCR_*` variables set.
#[test]
fn defaults_are_the_documented_ones_whatever_the_environment() {
    let defaults = Settings::defaults();
    assert_eq!(defaults.listeners.bind, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(
        defaults.listeners.admin_bind,
        "127.0.0.1:9090".parse().unwrap()
    );
    assert_eq!(
        defaults.database.database_url,
        DatabaseUrl::Sqlite("dcr.sqlite3".into())
    );
    assert_eq!(defaults.hashing.bcrypt_cost, 12);
    assert_eq!(defaults.listeners.shutdown_timeout_secs, 30);
    assert_eq!(defaults.listeners.max_body_bytes, 65_536);
    assert!(defaults.listeners.public_url.is_none());
    assert!(defaults.listeners.admin_token.is_none());
}

/// The flags' defaults are dcr-core's: the redirect policy (native
/// schemes included) and every limit.
#[test]
fn policy_defaults_agree_with_dcr_core() {
    let policy = Settings::defaults().into_config().unwrap().policy;
    assert_eq!(policy.redirect, RedirectPolicy::default());
    assert_eq!(policy.limits, Limits::default());
}

fn settings(bind: &str, public_url: Option<&str>) -> Settings {
    let mut settings = Settings::defaults();
    settings.listeners.bind = bind.parse().unwrap();
    settings.listeners.public_url = public_url.map(|url| values::parse_public_url(url).unwrap());
    settings
}

#[test]
fn a_non_loopback_bind_needs_a_public_url() {
    for bind in ["0.0.0.0:8080", "[::]:8080", "10.1.2.3:8080", "[fd00::1]:80"] {
        let config = settings(bind, None).into_config().unwrap();
        let err = check_public_url(config.listeners.bind, config.listeners.public_url.as_ref())
            .unwrap_err();
        assert_eq!(err.variable, "DCR_PUBLIC_URL", "{bind}");
        assert!(err.message.contains(bind), "{bind}: {err}");
        assert!(err.to_string().starts_with("DCR_PUBLIC_URL: must be set"));

        let config = settings(bind, Some("https://auth.example.com"))
            .into_config()
            .unwrap();
        assert_eq!(config.listeners.bind, bind.parse().unwrap());
        assert!(
            check_public_url(config.listeners.bind, config.listeners.public_url.as_ref()).is_ok()
        );
    }
}

#[test]
fn a_loopback_bind_derives_its_url_from_requests() {
    for bind in ["127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080"] {
        let config = settings(bind, None).into_config().unwrap();
        assert!(config.listeners.public_url.is_none(), "{bind}");
        assert!(
            check_public_url(config.listeners.bind, None).is_ok(),
            "{bind}"
        );
    }
}

/// The refused admin tokens: each refusal says how to make one and never
/// repeats the value.
#[test]
fn weak_admin_tokens_are_refused_without_being_repeated() {
    let env_example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.env.example"))
            .unwrap();
    let placeholder = env_example
        .lines()
        .find_map(|line| line.strip_prefix("DCR_ADMIN_TOKEN="))
        .unwrap();
    for (token, why) in [
        (placeholder, "placeholder from .env.example"),
        (values::EXAMPLE_ADMIN_TOKEN, "placeholder from .env.example"),
        ("short-token-0123456789", "at least 32 characters"),
        ("", "at least 32 characters"),
        (&"a".repeat(64), "one character repeated"),
        (&"=".repeat(32), "one character repeated"),
        (" dcr-admin-token-0123456789-abcdefghij", "whitespace"),
        ("dcr-admin-token-0123456789-abcdefghij\n", "whitespace"),
        ("dcr-admin-token 0123456789-abcdefghij", "printable ASCII"),
    ] {
        let err = values::parse_admin_token(token).unwrap_err();
        assert!(err.starts_with("DCR_ADMIN_TOKEN "), "{token:?}: {err}");
        assert!(err.contains(why), "{token:?}: {err}");
        assert!(err.contains("openssl rand -base64 32"), "{token:?}: {err}");
        if !token.trim().is_empty() {
            assert!(!err.contains(token.trim()), "{token:?} repeated: {err}");
        }
    }
    for token in [
        "dcr-admin-token-0123456789-abcdefghij",
        "q8V0oT3mJxK2bZr9Yw1uHc4sLpA7eN6dGf5iQvXyWkM=",
    ] {
        assert_eq!(values::parse_admin_token(token).unwrap().expose(), token);
    }
}
