//! RFC 7592 section 2.2 updates: the credential transitions, token rotation,
//! the answer, and the presented secret check.

use super::management::{CONFIG_URI, holds_token, without_management_members};
use super::*;

/// What an update does with the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Same hash, same expiry, no secret in the answer.
    Kept,
    /// A fresh secret, expiring by the policy in force at the update.
    Issued,
    /// No secret at all.
    Public,
}

/// RFC 7592 section 2.2: every pair of (registered, requested) methods. The
/// client registered at NOW with a one-hour secret, has since been disabled
/// and used, and is updated at LATER under a two-hour policy.
#[test]
fn update_transitions() {
    let registered_under = with_lifetime(3600);
    let updated_under = with_lifetime(7200);
    let cases = [
        ("client_secret_basic", "client_secret_basic", Outcome::Kept),
        ("client_secret_basic", "client_secret_post", Outcome::Kept),
        ("client_secret_post", "client_secret_basic", Outcome::Kept),
        ("client_secret_post", "client_secret_post", Outcome::Kept),
        ("none", "client_secret_basic", Outcome::Issued),
        ("none", "client_secret_post", Outcome::Issued),
        ("private_key_jwt", "client_secret_post", Outcome::Issued),
        ("tls_client_auth", "client_secret_basic", Outcome::Issued),
        ("client_secret_basic", "none", Outcome::Public),
        ("client_secret_post", "none", Outcome::Public),
        ("client_secret_basic", "private_key_jwt", Outcome::Public),
        (
            "client_secret_post",
            "self_signed_tls_client_auth",
            Outcome::Public,
        ),
        ("none", "none", Outcome::Public),
        ("none", "private_key_jwt", Outcome::Public),
        ("private_key_jwt", "none", Outcome::Public),
    ];
    for (seed, (from, to, outcome)) in (60u64..).zip(cases) {
        let case = format!("{from} -> {to}");
        let registration = issue_with(from, &registered_under, seed);
        let before = RegisteredClient {
            active: false,
            last_used_at: Some(NOW + 10),
            ..registration.client.clone()
        };
        let old_token = registration.access_token.expose();
        let update = before
            .update(
                metadata(to),
                &updated_under,
                LATER,
                cost(),
                &mut rng(seed + 100),
            )
            .unwrap();
        let new_token = update.access_token.expose();

        // Only the metadata, the credentials and the token digest change.
        assert_eq!(
            update.client,
            RegisteredClient {
                metadata: metadata(to),
                credentials: update.client.credentials.clone(),
                registration_token: Some(TokenDigest::of(new_token)),
                ..before.clone()
            },
            "{case}"
        );
        assert_eq!(update.client.client_id, registration.client.client_id);
        assert_eq!(update.client.issued_at, NOW, "{case}");
        assert!(!update.client.active, "{case}");
        assert_eq!(update.client.last_used_at, Some(NOW + 10), "{case}");

        // The token is always rotated: the new one works, the old one not.
        assert_ne!(new_token, old_token, "{case}");
        // (The client is disabled: its digest, not acceptance, is checked.)
        assert!(holds_token(&update.client, new_token), "{case}");
        assert!(!holds_token(&update.client, old_token), "{case}");
        assert_ne!(
            update.client.registration_token, registration.client.registration_token,
            "{case}"
        );

        match outcome {
            Outcome::Kept => {
                assert!(update.secret.is_none(), "{case}");
                assert_eq!(update.client.credentials, before.credentials, "{case}");
                let ClientCredentials::Confidential {
                    secret_expires_at, ..
                } = update.client.credentials
                else {
                    panic!("{case}: kept credentials are confidential");
                };
                assert_eq!(secret_expires_at, NOW + 3600, "{case}");
                assert!(update.client.secret_matches(secret_of(&registration)));
            }
            Outcome::Issued => {
                let secret = update.secret.as_ref().expect("a new secret").expose();
                let ClientCredentials::Confidential {
                    secret_hash,
                    secret_tag,
                    secret_expires_at,
                    ..
                } = &update.client.credentials
                else {
                    panic!("{case}: an issued secret makes a confidential client");
                };
                assert_eq!(*secret_expires_at, LATER + 7200, "{case}");
                assert!(secret_hash.verify(secret), "{case}");
                let tag = secret_tag.expect("an issued bcrypt secret has a tag");
                assert!(tag.belongs_to(secret_hash), "{case}");
                assert!(tag.admits(&update.client.client_id, secret), "{case}");
                assert_eq!(secret.len(), 43, "{case}");
                assert_ne!(secret, new_token, "{case}");
                assert!(update.client.secret_matches(secret), "{case}");
            }
            Outcome::Public => {
                assert!(update.secret.is_none(), "{case}");
                assert_eq!(
                    update.client.credentials,
                    ClientCredentials::Public,
                    "{case}"
                );
                if let Some(old_secret) = &registration.secret {
                    assert!(!update.client.secret_matches(old_secret.expose()));
                }
            }
        }
    }
}

/// A secret issued by an update to a client that never expires secrets.
#[test]
fn update_issues_a_non_expiring_secret_under_a_zero_lifetime() {
    let registration = issue_with("none", &with_lifetime(3600), 80);
    let update = registration
        .client
        .update(
            metadata("client_secret_basic"),
            &with_lifetime(0),
            LATER,
            cost(),
            &mut rng(81),
        )
        .unwrap();
    let ClientCredentials::Confidential {
        secret_expires_at, ..
    } = update.client.credentials
    else {
        panic!("client_secret_basic makes a confidential client");
    };
    assert_eq!(secret_expires_at, 0);
}

/// Each update rotates again: a second update invalidates the first one's
/// token, and the same seed gives the same update.
#[test]
fn successive_updates_rotate_the_token_each_time() {
    let registration = issue_with("none", &all_methods_policy(), 82);
    let policy = all_methods_policy();
    let first = registration
        .client
        .update(metadata("none"), &policy, LATER, cost(), &mut rng(83))
        .unwrap();
    let again = registration
        .client
        .update(metadata("none"), &policy, LATER, cost(), &mut rng(83))
        .unwrap();
    assert_eq!(first.client, again.client);
    assert_eq!(first.access_token.expose(), again.access_token.expose());

    let second = first
        .client
        .update(metadata("none"), &policy, LATER + 1, cost(), &mut rng(84))
        .unwrap();
    let tokens = [
        registration.access_token.expose(),
        first.access_token.expose(),
        second.access_token.expose(),
    ];
    let accepted: Vec<bool> = tokens
        .iter()
        .map(|token| second.client.accepts_registration_token(token))
        .collect();
    assert_eq!(accepted, [false, false, true]);
}

/// The answer to an update (RFC 7592 section 2.2): the RFC 7591 body of the
/// updated client, its new secret only when one was issued, the new token.
#[test]
fn update_management_body() {
    let cases = [
        ("client_secret_basic", "client_secret_post", Outcome::Kept),
        ("none", "client_secret_basic", Outcome::Issued),
        ("client_secret_basic", "none", Outcome::Public),
    ];
    for (seed, (from, to, outcome)) in (90u64..).zip(cases) {
        let case = format!("{from} -> {to}");
        let registration = issue_with(from, &with_lifetime(3600), seed);
        let update = registration
            .client
            .update(
                metadata(to),
                &with_lifetime(7200),
                LATER,
                cost(),
                &mut rng(seed + 100),
            )
            .unwrap();
        let body = update.management_response_body(CONFIG_URI);
        let mut expected = json!({
            "client_id": registration.client.client_id.to_string(),
            "client_id_issued_at": NOW,
            "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": to,
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "application_type": "web",
            "registration_access_token": update.access_token.expose(),
            "registration_client_uri": CONFIG_URI,
        });
        match outcome {
            Outcome::Kept => expected["client_secret_expires_at"] = json!(NOW + 3600),
            Outcome::Issued => {
                expected["client_secret"] = json!(update.secret.as_ref().unwrap().expose());
                expected["client_secret_expires_at"] = json!(LATER + 7200);
            }
            Outcome::Public => {}
        }
        assert_eq!(Value::Object(body.clone()), expected, "{case}");
        assert_eq!(
            without_management_members(&body),
            update.client.response_body(update.secret.as_ref()),
            "{case}"
        );
    }
}

/// No plaintext secret or token, nor their stored forms, in any `Debug` of a
/// registration or an update.
#[test]
fn debug_of_registrations_and_updates_shows_no_credential() {
    let cases = [
        ("client_secret_basic", "client_secret_post"),
        ("none", "client_secret_basic"),
        ("client_secret_post", "none"),
        ("none", "none"),
    ];
    for (seed, (from, to)) in (110u64..).zip(cases) {
        let registration = issue_with(from, &all_methods_policy(), seed);
        let update = registration
            .client
            .update(
                metadata(to),
                &all_methods_policy(),
                LATER,
                cost(),
                &mut rng(seed + 100),
            )
            .unwrap();
        let mut hidden = vec![
            registration.access_token.expose().to_owned(),
            registration.access_token.digest().to_stored(),
            update.access_token.expose().to_owned(),
            update.access_token.digest().to_stored(),
        ];
        for secret in [&registration.secret, &update.secret].into_iter().flatten() {
            hidden.push(secret.expose().to_owned());
        }
        for client in [&registration.client, &update.client] {
            if let ClientCredentials::Confidential { secret_hash, .. } = &client.credentials {
                hidden.push(secret_hash.as_stored().to_owned());
            }
        }
        let shown = [
            format!("{registration:?}"),
            format!("{registration:#?}"),
            format!("{update:?}"),
            format!("{update:#?}"),
        ];
        for text in &shown {
            for value in &hidden {
                assert!(!text.contains(value.as_str()), "{from} -> {to}: {text}");
            }
            assert!(!text.contains("$2b$"), "{from} -> {to}: {text}");
        }
    }
}

/// RFC 7592 section 2.2: a `client_secret` in an update must be the current
/// one; the update applies only then, and a client without a secret has none
/// to match.
#[test]
fn apply_update_checks_a_presented_secret_first() {
    let policy = all_methods_policy();
    let confidential = issue_with("client_secret_basic", &policy, 90);
    let public = issue_with("none", &policy, 91);
    let request = |presented: Option<&str>| UpdateRequest {
        metadata: metadata("client_secret_basic"),
        presented_secret: presented.map(str::to_owned),
    };
    let mismatch = UpdateError::Refused(MetadataError::at_key(
        "client_secret",
        Problem::SecretMismatch,
    ));
    let issued = secret_of(&confidential).to_owned();
    let cases: Vec<(&RegisteredClient, Option<&str>, Result<(), UpdateError>)> = vec![
        (&confidential.client, None, Ok(())),
        (&confidential.client, Some(&issued), Ok(())),
        (
            &confidential.client,
            Some("not-the-secret"),
            Err(mismatch.clone()),
        ),
        (&confidential.client, Some(""), Err(mismatch.clone())),
        (&public.client, None, Ok(())),
        (&public.client, Some(&issued), Err(mismatch.clone())),
    ];
    for (index, (client, presented, expected)) in cases.into_iter().enumerate() {
        let outcome = client
            .apply_update(request(presented), &policy, LATER, cost(), &mut rng(92))
            .map(|update| {
                assert_eq!(update.client.metadata, metadata("client_secret_basic"));
                assert_ne!(update.client.registration_token, client.registration_token);
            });
        assert_eq!(outcome, expected, "case {index}: {presented:?}");
    }
}
