//! The secret checks: `secret_matches` (RFC 7592 updates), `rotate_secret`,
//! and `verify_credentials`, the check a token endpoint delegates.

use super::*;

/// What a caller presents, resolved against the client's issued secret.
#[derive(Debug, Clone, Copy)]
enum Presented {
    Nothing,
    /// The secret the registration issued.
    Issued,
    /// The issued secret less its last character.
    Truncated,
    /// The issued secret with one character appended.
    Extended,
    Literal(&'static str),
}

impl Presented {
    fn resolve(self, registration: &Registration) -> Option<String> {
        let issued = || secret_of(registration).to_owned();
        match self {
            Self::Nothing => None,
            Self::Issued => Some(issued()),
            Self::Truncated => {
                let mut secret = issued();
                secret.pop();
                Some(secret)
            }
            Self::Extended => Some(issued() + "A"),
            Self::Literal(text) => Some(text.to_owned()),
        }
    }
}

#[test]
fn secret_matches_only_the_current_secret() {
    let registration = issue_with("client_secret_basic", &all_methods_policy(), 200);
    let client = &registration.client;
    let secret = secret_of(&registration);
    let ClientCredentials::Confidential { secret_hash, .. } = &client.credentials else {
        panic!("client_secret_basic makes a confidential client");
    };
    let other = ClientSecret::generate(&mut rng(201));
    let cases = [
        (secret.to_owned(), true),
        (String::new(), false),
        (secret[..42].to_owned(), false),
        (format!("{secret}A"), false),
        (format!(" {secret}"), false),
        (secret.to_ascii_uppercase(), false),
        (other.expose().to_owned(), false),
        (secret_hash.as_stored().to_owned(), false),
        (registration.access_token.expose().to_owned(), false),
    ];
    for (presented, matches) in cases {
        assert_eq!(client.secret_matches(&presented), matches, "{presented:?}");
    }
}

/// A public client has no secret, so nothing matches, not even nothing.
#[test]
fn secret_matches_nothing_for_a_public_client() {
    for method in ["none", "private_key_jwt", "tls_client_auth"] {
        let registration = issue_with(method, &all_methods_policy(), 202);
        for presented in ["", "secret", registration.access_token.expose()] {
            assert!(
                !registration.client.secret_matches(presented),
                "{method}: {presented:?}"
            );
        }
    }
}

#[test]
fn rotate_secret_refuses_a_client_without_a_secret() {
    let policy = all_methods_policy();
    for (seed, method) in (210u64..).zip(METHODS) {
        let registration = issue_with(method, &policy, seed);
        let rotated = registration.client.rotate_secret(
            &policy,
            LATER,
            Overlap::NONE,
            cost(),
            &mut rng(seed + 100),
        );
        match rotated {
            Err(error) => {
                assert_eq!(error, RotateError::NotConfidential, "{method}");
                assert!(registration.secret.is_none(), "{method}");
            }
            Ok(Rotation { secret, .. }) => {
                assert!(
                    AuthMethod::parse(method).unwrap().needs_secret(),
                    "{method} got a secret"
                );
                assert_eq!(secret.expose().len(), 43, "{method}");
            }
        }
    }
}

/// A rotation issues a fresh secret that expires by the policy in force at
/// the rotation; once stored, only the new secret works.
#[test]
fn rotate_secret_issues_a_new_secret() {
    let cases = [(0, 0), (3600, LATER + 3600), (7200, LATER + 7200)];
    for (seed, (lifetime, expires_at)) in (220u64..).zip(cases) {
        // Registered under a policy the rotation does not follow.
        let registration = issue_with("client_secret_post", &with_lifetime(60), seed);
        let old_secret = secret_of(&registration);
        let Rotation {
            secret,
            credentials,
            replaces,
        } = registration
            .client
            .rotate_secret(
                &with_lifetime(lifetime),
                LATER,
                Overlap::NONE,
                cost(),
                &mut rng(seed + 100),
            )
            .unwrap();
        let ClientCredentials::Confidential {
            secret_hash,
            secret_tag,
            secret_expires_at,
            previous_secret: None,
        } = &credentials
        else {
            panic!("rotation without an overlap keeps a confidential client, and no old secret");
        };
        assert!(
            replaces.verify(old_secret),
            "it replaces the secret it started from"
        );
        assert_eq!(*secret_expires_at, expires_at, "lifetime {lifetime}");
        assert_ne!(secret.expose(), old_secret);
        assert_eq!(secret.expose().len(), 43);
        assert!(secret_hash.verify(secret.expose()));
        assert!(!secret_hash.verify(old_secret));
        // The new secret's tag, made with the new hash.
        let tag = secret_tag.expect("a rotated bcrypt secret has a tag");
        assert!(tag.belongs_to(secret_hash));
        let client_id = registration.client.client_id;
        assert!(tag.admits(&client_id, secret.expose()));
        assert!(!tag.admits(&client_id, old_secret));

        let rotated = RegisteredClient {
            credentials: credentials.clone(),
            ..registration.client.clone()
        };
        assert!(rotated.secret_matches(secret.expose()));
        assert!(!rotated.secret_matches(old_secret));
        assert!(rotated.verify_credentials(Some(secret.expose()), LATER));
        assert!(!rotated.verify_credentials(Some(old_secret), LATER));
        // The client it was asked of is untouched.
        assert!(registration.client.secret_matches(old_secret));
        assert!(!registration.client.secret_matches(secret.expose()));
    }
}

/// The token endpoint's check, rule by rule. Secrets are issued at NOW; a
/// one-hour secret expires at NOW + 3600 exactly.
#[test]
fn verify_credentials() {
    use Presented::{Extended, Issued, Literal, Nothing, Truncated};
    const HOUR: i64 = 3600;
    // (method, secret lifetime, active, presented, now, accepted)
    let cases = [
        // A confidential client: the issued secret, unexpired, and nothing else.
        ("client_secret_basic", 0, true, Issued, NOW, true),
        ("client_secret_post", 0, true, Issued, NOW, true),
        ("client_secret_basic", 0, true, Issued, i64::MAX, true),
        ("client_secret_basic", 0, true, Issued, i64::MIN, true),
        ("client_secret_basic", 0, true, Nothing, NOW, false),
        ("client_secret_basic", 0, true, Literal(""), NOW, false),
        (
            "client_secret_basic",
            0,
            true,
            Literal("secret"),
            NOW,
            false,
        ),
        ("client_secret_basic", 0, true, Truncated, NOW, false),
        ("client_secret_basic", 0, true, Extended, NOW, false),
        ("client_secret_post", 0, true, Nothing, NOW, false),
        // Expiry: valid strictly before `client_secret_expires_at`.
        ("client_secret_basic", 3600, true, Issued, NOW, true),
        (
            "client_secret_basic",
            3600,
            true,
            Issued,
            NOW + HOUR - 1,
            true,
        ),
        ("client_secret_basic", 3600, true, Issued, NOW + HOUR, false),
        (
            "client_secret_basic",
            3600,
            true,
            Issued,
            NOW + HOUR + 1,
            false,
        ),
        ("client_secret_post", 3600, true, Issued, i64::MAX, false),
        ("client_secret_basic", 3600, true, Truncated, NOW, false),
        ("client_secret_basic", 3600, true, Nothing, NOW, false),
        // A disabled client is refused whatever it presents.
        ("client_secret_basic", 0, false, Issued, NOW, false),
        ("client_secret_basic", 3600, false, Issued, NOW, false),
        ("client_secret_basic", 0, false, Nothing, NOW, false),
        ("none", 0, false, Nothing, NOW, false),
        // A public client with method none: only by presenting nothing.
        ("none", 0, true, Nothing, NOW, true),
        ("none", 0, true, Nothing, i64::MAX, true),
        ("none", 3600, true, Nothing, NOW + HOUR + 1, true),
        ("none", 0, true, Literal(""), NOW, false),
        ("none", 0, true, Literal("secret"), NOW, false),
        // Keys and certificates: dcr cannot check the proof, so never.
        ("private_key_jwt", 0, true, Nothing, NOW, false),
        ("private_key_jwt", 0, true, Literal(""), NOW, false),
        (
            "private_key_jwt",
            0,
            true,
            Literal("eyJhbGciOiJFUzI1NiJ9.e30.c2ln"),
            NOW,
            false,
        ),
        ("tls_client_auth", 0, true, Nothing, NOW, false),
        ("tls_client_auth", 0, true, Literal("secret"), NOW, false),
        ("self_signed_tls_client_auth", 0, true, Nothing, NOW, false),
        (
            "self_signed_tls_client_auth",
            0,
            true,
            Literal("secret"),
            NOW,
            false,
        ),
    ];
    for (seed, (method, lifetime, active, presented, now, accepted)) in (230u64..).zip(cases) {
        let registration = issue_with(method, &with_lifetime(lifetime), seed);
        let client = RegisteredClient {
            active,
            ..registration.client.clone()
        };
        let presented = presented.resolve(&registration);
        assert_eq!(
            client.verify_credentials(presented.as_deref(), now),
            accepted,
            "{method}, lifetime {lifetime}, active {active}, {presented:?} at {now}"
        );
    }
}

/// Defence in depth: a public client whose row, stored before such clients
/// were refused, holds a grant that needs client authentication never
/// passes the check (RFC 6749 sections 4.3.2 and 4.4.2).
#[test]
fn verify_credentials_refuses_public_clients_with_client_only_grants() {
    let registration = issue_with("none", &with_lifetime(0), 91);
    use crate::grant_types::GrantType;
    for grant in [GrantType::CLIENT_CREDENTIALS, GrantType::PASSWORD] {
        let mut client = registration.client.clone();
        client.metadata.grant_types.push(grant.clone());
        assert!(!client.verify_credentials(None, NOW), "{grant}");
        assert!(!client.verify_credentials(Some(""), NOW), "{grant}");
    }
    assert!(registration.client.verify_credentials(None, NOW));
}

/// A registration access token is no client secret, for any client.
#[test]
fn verify_credentials_refuses_the_registration_token() {
    let policy = all_methods_policy();
    for (seed, method) in (280u64..).zip(METHODS) {
        let registration = issue_with(method, &policy, seed);
        let token = registration.access_token.expose();
        assert!(
            !registration.client.verify_credentials(Some(token), NOW),
            "{method}"
        );
    }
}

/// bcrypt keys on at most 72 bytes, cycling a shorter key with its NUL
/// terminator: `secret`, NUL, and the secret's first 28 bytes fill those 72
/// bytes exactly as `secret` alone does. Such a string is not the secret.
#[test]
fn a_string_that_bcrypt_confuses_with_the_secret_is_refused() {
    let registration = issue_with("client_secret_basic", &all_methods_policy(), 290);
    let secret = secret_of(&registration);
    let cycled = format!("{secret}\0{}", &secret[..28]);
    assert_eq!(cycled.len(), 72);
    for presented in [
        cycled.clone(),
        format!("{cycled}anything"),
        format!("{secret}\0"),
        format!("{secret}\0{secret}"),
        "x".repeat(200),
    ] {
        assert!(
            !registration
                .client
                .verify_credentials(Some(&presented), NOW),
            "{presented:?}"
        );
        assert!(
            !registration.client.secret_matches(&presented),
            "{presented:?}"
        );
    }
    assert!(registration.client.verify_credentials(Some(secret), NOW));
}

/// The check up to the secret comparison: the comparison is asked for even
/// when the secret has expired (timing), and never when a rule already says
/// no.
#[test]
fn credential_check_leaves_only_the_comparison_to_the_caller() {
    let policy = with_lifetime(3600);
    let registration = issue_with("client_secret_basic", &policy, 240);
    let secret = secret_of(&registration);
    let confidential = registration.client.clone();
    let public = issue_with("none", &policy, 241).client;
    let compare =
        |client: &RegisteredClient, now: i64| match client.credential_check(Some(secret), now) {
            CredentialCheck::CompareSecret {
                candidates,
                presented,
            } => {
                let only: Vec<_> = candidates.iter().collect();
                assert_eq!(only.len(), 1, "one secret, one candidate");
                Some((only[0].unexpired, presented.to_owned()))
            }
            _ => None,
        };
    assert_eq!(compare(&confidential, NOW), Some((true, secret.to_owned())));
    assert_eq!(
        compare(&confidential, NOW + 3600),
        Some((false, secret.to_owned()))
    );
    assert_eq!(
        confidential.credential_check(None, NOW),
        CredentialCheck::Refused
    );
    let disabled = RegisteredClient {
        active: false,
        ..confidential
    };
    assert_eq!(
        disabled.credential_check(Some("x"), NOW),
        CredentialCheck::Refused
    );
    assert_eq!(
        public.credential_check(None, NOW),
        CredentialCheck::Accepted
    );
    assert_eq!(
        public.credential_check(Some("x"), NOW),
        CredentialCheck::Refused
    );
}

#[test]
fn a_url_client_is_accepted_only_without_a_secret_and_with_none() {
    let with_method = |method: AuthMethod| {
        let mut metadata = issue_with("none", &all_methods_policy(), 242)
            .client
            .metadata;
        metadata.token_endpoint_auth_method = method;
        metadata
    };
    let cases = [
        (AuthMethod::None, false, CredentialCheck::Accepted),
        (AuthMethod::None, true, CredentialCheck::Refused),
        (AuthMethod::PrivateKeyJwt, false, CredentialCheck::Refused),
        (AuthMethod::PrivateKeyJwt, true, CredentialCheck::Refused),
    ];
    for (method, secret_presented, expected) in cases {
        assert_eq!(
            CredentialCheck::for_url_client(&with_method(method), secret_presented),
            expected,
            "{method} with a secret: {secret_presented}"
        );
    }
}
